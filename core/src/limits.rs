//! The one place where every size, depth and count bound of the core is defined.
//!
//! spec: limits.md — the defaults below are that table, value for value. Every parser takes a
//! `&Limits`; no input can make the core allocate or recurse beyond these bounds.

/// Bounds applied by every parser and verifier of the core.
///
/// Build one with [`Limits::default`] and adjust fields; the struct is non-exhaustive so that
/// later limits can be added without breaking callers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest JSON document accepted, in bytes (limits.md L1).
    pub json_max_bytes: usize,
    /// Deepest nesting of arrays and objects; the top-level value is depth 1 (limits.md L2).
    pub json_max_depth: usize,
    /// Longest decoded JSON string, in UTF-8 bytes (limits.md L3).
    pub json_max_string_bytes: usize,
    /// Most members of one object or elements of one array (limits.md L4).
    pub json_max_entries: usize,
    /// Values any JSON document may hold whatever its size (limits.md L43).
    pub json_values_base: usize,
    /// Bytes of a JSON document per further value it may hold (limits.md L44): a document of
    /// `n` bytes holds at most `json_values_base + n / json_bytes_per_value` values, which bounds
    /// the memory its parsed form takes by a multiple of `n`.
    pub json_bytes_per_value: usize,
    /// Longest JSON number token (sign, digits, point and exponent), in bytes (limits.md L45).
    pub json_max_number_bytes: usize,
    /// Most digits in the exponent of one JSON number token, leading zeros included (limits.md L46).
    pub json_max_exponent_digits: usize,
    /// Most hashes in one Merkle inclusion or consistency proof (limits.md L5).
    pub merkle_max_proof_hashes: usize,
    /// Largest PEM or DER key accepted, in bytes (limits.md L6).
    pub key_max_bytes: usize,
    /// Largest DSSE envelope file, in bytes (limits.md L7).
    pub dsse_max_envelope_bytes: usize,
    /// Largest decoded DSSE payload, in bytes (limits.md L8).
    pub dsse_max_payload_bytes: usize,
    /// Most signatures in one DSSE envelope (limits.md L9).
    pub dsse_max_signatures: usize,
    /// Largest bundle file, in bytes; checked before anything else is read (limits.md L10).
    pub bundle_max_bytes: u64,
    /// Largest total uncompressed size of all bundle entries, in bytes (limits.md L11).
    pub bundle_max_total_uncompressed: u64,
    /// Most entries in one bundle (limits.md L12).
    pub bundle_max_entries: usize,
    /// Largest uncompressed `artifacts/` entry, in bytes (limits.md L13).
    pub bundle_max_artifact_bytes: u64,
    /// Largest uncompressed `manifest.json`, in bytes (limits.md L14).
    pub bundle_max_manifest_bytes: u64,
    /// Largest uncompressed `journal.ndjson`, in bytes (limits.md L15).
    pub bundle_max_journal_bytes: u64,
    /// Most journal events (lines) (limits.md L16).
    pub journal_max_events: usize,
    /// Longest journal line without its LF, in bytes (limits.md L17).
    pub journal_max_line_bytes: usize,
    /// Highest uncompressed/compressed ratio of a deflated entry of more than 1 MiB
    /// (limits.md L18; integer test `uncompressed > ratio × compressed` fails).
    pub bundle_max_ratio: u64,
    /// Most `signatures/` entries in one bundle (limits.md L19).
    pub bundle_max_signatures: usize,
    /// Most `approvals/` entries in one bundle (limits.md L20).
    pub bundle_max_approvals: usize,
    /// Most `keys/` entries in one bundle (limits.md L21).
    pub bundle_max_keys: usize,
    /// Most `artifacts/` entries in one bundle (limits.md L22).
    pub bundle_max_artifacts: usize,
    /// Largest receipt file, in bytes (limits.md L23).
    pub receipt_max_bytes: usize,
    /// Largest SQL text the SQL guard checks, in bytes (limits.md L24).
    pub sql_max_bytes: usize,
    /// Largest single SQL statement, in bytes (limits.md L25).
    pub sql_max_statement_bytes: usize,
    /// Most statements in one SQL text (limits.md L26).
    pub sql_max_statements: usize,
    /// Deepest nesting the SQL parser follows: its recursion limit (limits.md L27).
    pub sql_max_depth: usize,
    /// Longest chain of binary operators at one parenthesis level (limits.md L28).
    pub sql_max_operator_chain: usize,
    /// Longest idempotency key, in bytes (limits.md L29).
    pub idempotency_max_key_bytes: usize,
    /// Largest response an idempotency record stores for replay, in bytes (limits.md L30).
    pub idempotency_max_response_bytes: usize,
    /// Most live entries of the in-memory enforcement store (limits.md L31).
    pub store_max_entries: usize,
    /// Largest text one GenAI scan accepts, in bytes (limits.md L32).
    pub genai_max_input_bytes: usize,
    /// Most nested encodings a GenAI scan decodes (base64 inside hex is 2) (limits.md L33).
    pub genai_max_decode_depth: usize,
    /// Most encoded payloads one GenAI scan decodes, over all layers (limits.md L34).
    pub genai_max_payloads: usize,
    /// Most agent steps in one GenAI steps scan (limits.md L35).
    pub genai_max_steps: usize,
    /// Largest policy file, in bytes (limits.md L36).
    pub policy_max_bytes: usize,
    /// Most rules in one policy, all sections together (limits.md L37).
    pub policy_max_rules: usize,
    /// Longest rule condition, in bytes (limits.md L38).
    pub policy_cel_max_bytes: usize,
    /// Deepest nesting of brackets and conditionals (`(`, `[`, `{`, `?`) in a condition: the CEL
    /// parser recurses deeply per level (limits.md L39).
    pub policy_cel_max_nesting: usize,
    /// Deepest nesting of comprehensions (`exists`, `all`, …) in a condition (limits.md L40).
    pub policy_cel_max_comprehension_nesting: usize,
    /// Most expression nodes one condition may visit on given facts, by its cost bound
    /// (limits.md L41).
    pub policy_cel_max_cost: u64,
    /// Deepest expression tree of a condition after parsing (limits.md L42).
    pub policy_cel_max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_max_bytes: 64 * 1024 * 1024,
            json_max_depth: 128,
            json_max_string_bytes: 16 * 1024 * 1024,
            json_max_entries: 1_000_000,
            json_values_base: 4096,
            json_bytes_per_value: 8,
            json_max_number_bytes: 800,
            json_max_exponent_digits: 4,
            merkle_max_proof_hashes: 64,
            key_max_bytes: 16 * 1024,
            dsse_max_envelope_bytes: 16 * 1024 * 1024,
            dsse_max_payload_bytes: 8 * 1024 * 1024,
            dsse_max_signatures: 16,
            bundle_max_bytes: 4 * 1024 * 1024 * 1024 + 1024 * 1024,
            bundle_max_total_uncompressed: 4 * 1024 * 1024 * 1024,
            bundle_max_entries: 10_000,
            bundle_max_artifact_bytes: 4 * 1024 * 1024 * 1024,
            bundle_max_manifest_bytes: 16 * 1024 * 1024,
            bundle_max_journal_bytes: 1024 * 1024 * 1024,
            journal_max_events: 1_000_000,
            journal_max_line_bytes: 1024 * 1024,
            bundle_max_ratio: 200,
            bundle_max_signatures: 16,
            bundle_max_approvals: 16,
            bundle_max_keys: 32,
            bundle_max_artifacts: 4096,
            receipt_max_bytes: 32 * 1024 * 1024,
            sql_max_bytes: 16 * 1024 * 1024,
            sql_max_statement_bytes: 1024 * 1024,
            sql_max_statements: 10_000,
            sql_max_depth: 40,
            sql_max_operator_chain: 2_000,
            idempotency_max_key_bytes: 255,
            idempotency_max_response_bytes: 1024 * 1024,
            store_max_entries: 1_000_000,
            genai_max_input_bytes: 1024 * 1024,
            genai_max_decode_depth: 2,
            genai_max_payloads: 64,
            genai_max_steps: 10_000,
            policy_max_bytes: 1024 * 1024,
            policy_max_rules: 1_000,
            policy_cel_max_bytes: 4_096,
            policy_cel_max_nesting: 8,
            policy_cel_max_comprehension_nesting: 2,
            policy_cel_max_cost: 100_000,
            policy_cel_max_depth: 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Limits;

    /// `L<n> → default` from the table of `spec/limits.md`: the number in parentheses when the
    /// cell has one (`16 MiB (16,777,216 bytes)`), else the cell itself (`128`).
    fn spec_defaults() -> Vec<(String, u64)> {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/limits.md"))
                .unwrap();
        let mut out = Vec::new();
        for line in text.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let [_, id, _, default, ..] = cells.as_slice() else {
                continue;
            };
            let Some(n) = id.strip_prefix('L') else {
                continue;
            };
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let number = default
                .split_once('(')
                .map_or(*default, |(_, rest)| rest.split(' ').next().unwrap());
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            out.push(((*id).to_owned(), digits.parse().unwrap()));
        }
        out
    }

    #[test]
    fn defaults_are_the_spec_table() {
        let l = Limits::default();
        let ours: Vec<(&str, u64)> = vec![
            ("L1", l.json_max_bytes as u64),
            ("L2", l.json_max_depth as u64),
            ("L3", l.json_max_string_bytes as u64),
            ("L4", l.json_max_entries as u64),
            ("L5", l.merkle_max_proof_hashes as u64),
            ("L6", l.key_max_bytes as u64),
            ("L7", l.dsse_max_envelope_bytes as u64),
            ("L8", l.dsse_max_payload_bytes as u64),
            ("L9", l.dsse_max_signatures as u64),
            ("L10", l.bundle_max_bytes),
            ("L11", l.bundle_max_total_uncompressed),
            ("L12", l.bundle_max_entries as u64),
            ("L13", l.bundle_max_artifact_bytes),
            ("L14", l.bundle_max_manifest_bytes),
            ("L15", l.bundle_max_journal_bytes),
            ("L16", l.journal_max_events as u64),
            ("L17", l.journal_max_line_bytes as u64),
            ("L18", l.bundle_max_ratio),
            ("L19", l.bundle_max_signatures as u64),
            ("L20", l.bundle_max_approvals as u64),
            ("L21", l.bundle_max_keys as u64),
            ("L22", l.bundle_max_artifacts as u64),
            ("L23", l.receipt_max_bytes as u64),
            ("L24", l.sql_max_bytes as u64),
            ("L25", l.sql_max_statement_bytes as u64),
            ("L26", l.sql_max_statements as u64),
            ("L27", l.sql_max_depth as u64),
            ("L28", l.sql_max_operator_chain as u64),
            ("L29", l.idempotency_max_key_bytes as u64),
            ("L30", l.idempotency_max_response_bytes as u64),
            ("L31", l.store_max_entries as u64),
            ("L32", l.genai_max_input_bytes as u64),
            ("L33", l.genai_max_decode_depth as u64),
            ("L34", l.genai_max_payloads as u64),
            ("L35", l.genai_max_steps as u64),
            ("L36", l.policy_max_bytes as u64),
            ("L37", l.policy_max_rules as u64),
            ("L38", l.policy_cel_max_bytes as u64),
            ("L39", l.policy_cel_max_nesting as u64),
            ("L40", l.policy_cel_max_comprehension_nesting as u64),
            ("L41", l.policy_cel_max_cost),
            ("L42", l.policy_cel_max_depth as u64),
            ("L43", l.json_values_base as u64),
            ("L44", l.json_bytes_per_value as u64),
            ("L45", l.json_max_number_bytes as u64),
            ("L46", l.json_max_exponent_digits as u64),
            ("L47", crate::ledger::limits::MAX_PROOF_BYTES as u64),
            ("L48", crate::ledger::limits::MAX_RECORD_BYTES as u64),
            ("L49", crate::ledger::limits::MAX_NOTE_SIGNATURES as u64),
            ("L50", crate::ledger::limits::MAX_TREE_SIZE),
            ("L51", crate::ledger::limits::TILE_WIDTH),
            ("L52", crate::ledger::limits::MAX_RECORD_APPROVALS as u64),
            ("L53", crate::ledger::limits::MAX_SUBJECT_BYTES as u64),
            ("L54", crate::ledger::limits::MAX_NOTE_BYTES as u64),
            ("L55", crate::ledger::limits::MAX_APPEND_RECORDS as u64),
        ];
        let spec = spec_defaults();
        let spec: Vec<(&str, u64)> = spec.iter().map(|(id, v)| (id.as_str(), *v)).collect();
        assert_eq!(ours, spec);
    }
}
