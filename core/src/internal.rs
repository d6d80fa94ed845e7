//! Entry points for fuzz targets and tests; not part of the public API.

/// Shims that fuzz targets call; each must never panic, whatever the input.
pub mod fuzzing {
    use crate::dsse::Envelope;
    use crate::jcs;
    use crate::Limits;

    /// Parses `data` strictly and canonicalizes it; checks the invariants that must hold.
    ///
    /// The tree path and the streaming path must agree, and canonical output must be a fixed
    /// point that `parse_canonical` accepts.
    #[expect(
        clippy::panic,
        reason = "a broken invariant is what the fuzzer looks for"
    )]
    pub fn jcs_parse(data: &[u8]) {
        let limits = Limits::default();
        let tree = jcs::parse(data, &limits);
        let stream = jcs::canonicalize(data, &limits);
        match (tree, stream) {
            (Ok(value), Ok(bytes)) => {
                if jcs::to_vec(&value) != bytes {
                    panic!("tree and stream canonical forms differ");
                }
                if jcs::parse_canonical(&bytes, &limits).is_err() {
                    panic!("canonical output is not accepted as canonical");
                }
            }
            (Err(a), Err(b)) if a == b => {}
            (a, b) => panic!("tree and stream disagree: {:?} vs {:?}", a.err(), b.err()),
        }
    }

    /// Opens `data` as a bundle container and streams every entry into `io::sink()`, then runs
    /// the entry-set checks: every input must give `Ok` or a coded error, never a panic.
    pub fn bundle_read(data: &[u8]) {
        use crate::bundle::{check_entry_set, Container};
        let limits = Limits::default();
        let Ok(mut container) =
            Container::open(std::io::Cursor::new(data), data.len() as u64, &limits)
        else {
            return;
        };
        for index in 0..container.entries().len() {
            if container.read_entry(index, &mut std::io::sink()).is_err() {
                return;
            }
        }
        let names: Vec<String> = container.entries().iter().map(|e| e.name.clone()).collect();
        let _ = check_entry_set(&names);
    }

    /// Verifies `data` as a bundle with a fixed trust (one Ed25519 producer key) at a fixed time:
    /// every input must yield a verdict whose outcome, primary code and exit agree, never a panic.
    /// Not on wasm: jsonschema's validators are not `Sync` there, so they cannot live in a static
    /// (the fuzzers run natively).
    #[cfg(not(target_family = "wasm"))]
    #[expect(
        clippy::panic,
        reason = "a broken invariant is what the fuzzer looks for"
    )]
    pub fn verify_bundle(data: &[u8]) {
        use std::sync::OnceLock;

        use crate::format::Schemas;
        use crate::time::Timestamp;
        use crate::trust::Trust;
        use crate::verdict::{exit_code, primary_code, Outcome};
        use crate::verify::{verify_bundle, VerifyInputs};

        const TRUST: &[u8] = b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAefLLIdo3wNVIQ9sYZ51LGCa/Bl4PpR9ntknEB1pAp5Q=\n-----END PUBLIC KEY-----\n";
        static FIXED: OnceLock<Option<(Trust, Timestamp, Schemas)>> = OnceLock::new();
        let limits = Limits::default();
        let Some((trust, at, schemas)) = FIXED.get_or_init(|| {
            Some((
                Trust::parse(TRUST, &limits).ok()?,
                Timestamp::parse("2026-12-01T00:00:00Z").ok()?,
                Schemas::new().ok()?,
            ))
        }) else {
            panic!("the fixed trust, time or schemas do not parse");
        };
        let inputs = VerifyInputs {
            trust,
            at,
            policy: None,
            schemas,
            limits: &limits,
            witnessed: None,
        };
        let verdict = verify_bundle(std::io::Cursor::new(data), data.len() as u64, &inputs);
        if verdict.outcome != Outcome::of(&verdict.checks)
            || verdict.primary != primary_code(&verdict.checks)
            || verdict.exit != exit_code(&verdict.checks)
            || verdict.checks.is_empty()
        {
            panic!("inconsistent verdict: {verdict:?}");
        }
    }

    /// Normalises `data` and scans it with the GenAI guard: the map back to the input must be
    /// consistent and every finding's span must lie inside the input, whatever the bytes.
    #[cfg(feature = "guard")]
    #[expect(
        clippy::panic,
        reason = "a broken invariant is what the fuzzer looks for"
    )]
    pub fn genai_normalise(data: &[u8]) {
        use std::sync::OnceLock;

        use crate::guard::genai::normalise::normalise;
        use crate::guard::genai::Scanner;

        let n = normalise(data);
        if n.origin.len() != n.text.len() {
            panic!("origin map and text lengths differ");
        }
        let mut last = 0;
        for &(start, end) in &n.origin {
            if start > end || end as usize > data.len() || start < last {
                panic!("origin range {start}..{end} out of order or out of the input");
            }
            last = start;
        }
        static SCANNER: OnceLock<Option<Scanner>> = OnceLock::new();
        let Some(scanner) = SCANNER.get_or_init(|| Scanner::new().ok()) else {
            panic!("the scanner does not build");
        };
        let Ok(report) = scanner.scan(data, &Limits::default()) else {
            return;
        };
        for f in &report.findings {
            if let Some(span) = f.span {
                if span.start > span.end || span.end as usize > data.len() {
                    panic!("span {}..{} outside the input", span.start, span.end);
                }
            }
            if f.confidence > 1000 {
                panic!("confidence above 1000");
            }
        }
    }

    /// Decodes `data` as a DSSE envelope; a decoded envelope must survive encode + decode.
    #[expect(
        clippy::panic,
        reason = "a broken invariant is what the fuzzer looks for"
    )]
    pub fn dsse_decode(data: &[u8]) {
        let limits = Limits::default();
        if let Ok(envelope) = Envelope::decode(data, &limits) {
            match Envelope::decode(&envelope.encode(), &limits) {
                Ok(again) if again == envelope => {}
                other => panic!("envelope does not round-trip: {:?}", other.err()),
            }
        }
    }

    /// Fuzz shim of the SQL guard: the first byte picks the dialect and whether a dbt context is
    /// given; the rest is the SQL text. Every input must give a report whose findings point inside
    /// the text and at a counted statement, never a panic or a stack overflow.
    #[cfg(feature = "guard")]
    #[expect(
        clippy::panic,
        reason = "a broken invariant is what the fuzzer looks for"
    )]
    pub fn sql_guard(data: &[u8]) {
        use crate::guard::sql::{check, CheckOptions, DbtContext, Rule, SqlDialect};
        let Some((&first, sql)) = data.split_first() else {
            return;
        };
        let dialect = SqlDialect::ALL
            .get(usize::from(first % 5))
            .copied()
            .unwrap_or_default();
        let ctx = DbtContext {
            relations: vec!["\"db\".\"s\".\"m\"".into()],
        };
        let mut options = CheckOptions::new(dialect);
        options.dbt = (first & 0x80 != 0).then_some(&ctx);
        let report = check(sql, &options);
        for f in &report.findings {
            let counted = f.statement < report.statements
                || (f.rule == Rule::TooManyStatements && f.statement == report.statements)
                || report.statements == 0;
            if !counted {
                panic!("finding of an uncounted statement: {f:?}");
            }
            if let Some(span) = f.span {
                if span.start_byte > span.end_byte || span.end_byte > sql.len() {
                    panic!("span outside the text: {f:?}");
                }
            }
        }
        if report.exit_code() == 0
            && report
                .findings
                .iter()
                .any(|f| f.severity == crate::guard::sql::Severity::Error)
        {
            panic!("error findings with exit 0");
        }
    }

    /// Loads `data` as a policy file, lints it, and evaluates a loaded policy over fixed facts:
    /// every input must give a result or a coded error, never a panic or unbounded work; a
    /// loaded policy's hash must be the digest a verifier computes from the same bytes.
    #[expect(
        clippy::panic,
        reason = "a broken invariant is what the fuzzer looks for"
    )]
    pub fn policy_load(data: &[u8]) {
        use crate::policy::{document_digest, evaluate, lint, Policy};
        use crate::{jcs, Limits};
        let limits = Limits::default();
        let report = lint::lint(data, "fuzz.yaml", &limits);
        let Ok(policy) = Policy::load(data, "fuzz.yaml", &limits) else {
            return;
        };
        if report.exit_code() == 1 {
            panic!("a policy that loads has lint errors");
        }
        match document_digest(data, &limits) {
            Ok(d) if d == policy.hash() => {}
            other => panic!("verifier digest {other:?} differs from the policy hash"),
        }
        let facts = br#"{"change":{"kind":"schema","environment":"production","actor":"a","tables":["t1","t2"]},"dbt":{"tests_failed":1},"sql":{"findings":[{"rule":"r","severity":"critical"}]},"call":{"at":"2026-07-01T13:30:00Z","callee_tz":"America/Chicago"}}"#;
        if let Ok(facts) = jcs::parse(facts, &limits) {
            let _ = evaluate(&policy, &facts);
            // Compiled plans decide as the interpreter does (policy/plan.rs).
            if let Ok(facts) = crate::policy::facts::Facts::from_value(&facts, policy.doc()) {
                let fast = crate::policy::eval::evaluate_facts(&policy, &facts);
                let reference = crate::policy::eval::evaluate_facts_interpreted(&policy, &facts);
                if fast != reference {
                    panic!("compiled plans decide {fast:?}, the interpreter {reference:?}");
                }
            }
        }
    }
}

/// Lower-level paths that conformance tests need and production code must not use.
pub mod conformance {
    use crate::crypto::{Scheme, SignatureError};

    /// Verifies an RSA signature with a key from any SPKI the `rsa` crate accepts, skipping
    /// Clyra's key rules (2048–4096 bits, e = 65537); for Wycheproof groups with e = 3.
    pub fn rsa_verify_unchecked_key(
        spki_der: &[u8],
        scheme: Scheme,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), SignatureError> {
        crate::crypto::verify_rsa_spki_unchecked(spki_der, scheme, msg, sig)
    }
}
