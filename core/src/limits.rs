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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_max_bytes: 64 * 1024 * 1024,
            json_max_depth: 128,
            json_max_string_bytes: 16 * 1024 * 1024,
            json_max_entries: 1_000_000,
            merkle_max_proof_hashes: 64,
            key_max_bytes: 16 * 1024,
            dsse_max_envelope_bytes: 16 * 1024 * 1024,
            dsse_max_payload_bytes: 8 * 1024 * 1024,
            dsse_max_signatures: 16,
        }
    }
}
