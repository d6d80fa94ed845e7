//! `spec/verdicts.md` is the one registry of codes: well-formed, unique, with a known severity,
//! and complete — every code the spec text mentions is registered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::Path;

const AREAS: &[&str] = &[
    "jcs",
    "attest",
    "seal",
    "plan",
    "ffi",
    "merkle",
    "key",
    "signer",
    "sig",
    "dsse",
    "cli",
    "zip",
    "bundle",
    "manifest",
    "artifact",
    "journal",
    "signature",
    "statement",
    "trust",
    "time",
    "approval",
    "policy",
    "risk",
    "receipt",
    "ledger",
    "build",
    "export",
    "ffi",
    "sql",
    "enforce",
    "genai",
    "badge",
    "ticket",
    "gateway",
    "report",
];

/// Manifest field paths (`journal.head`, `risk.score`) look like codes; a code's reason is never
/// one of these field names.
const FIELD_NAMES: &[&str] = &[
    "head",
    "count",
    "root",
    "size",
    "hash",
    "required",
    "decisions",
    "algorithm",
    "score",
    "weights",
    "factors",
    "entries",
    "period",
    "legal_hold",
    "keys",
    "thresholds",
    "version",
];

/// File names (`journal.ndjson`, `manifest.json`) look like codes too.
fn is_file_name(token: &str) -> bool {
    [".json", ".ndjson", ".pem", ".zip", ".md", ".key", ".pub"]
        .iter()
        .any(|ext| token.ends_with(ext))
}

fn spec(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../spec")
            .join(name),
    )
    .unwrap()
}

/// `code → severity` from the registry's table rows `| \`code\` | severity | meaning |`.
fn registry() -> BTreeMap<String, String> {
    let mut codes = BTreeMap::new();
    for line in spec("verdicts.md").lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, code, severity, _meaning, ..] = cells.as_slice() else {
            continue;
        };
        let Some(code) = code.strip_prefix('`').and_then(|c| c.strip_suffix('`')) else {
            continue;
        };
        assert!(
            codes
                .insert(code.to_owned(), (*severity).to_owned())
                .is_none(),
            "`{code}` registered twice"
        );
    }
    codes
}

fn well_formed(code: &str) -> bool {
    if code == "ok" || code == "skipped" {
        return true;
    }
    let Some((area, reason)) = code.split_once('.') else {
        return false;
    };
    AREAS.contains(&area)
        && !reason.is_empty()
        && reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[test]
fn codes_are_well_formed_unique_and_have_a_severity() {
    let codes = registry();
    assert!(codes.len() > 100, "only {} codes registered", codes.len());
    for (code, severity) in &codes {
        assert!(well_formed(code), "`{code}` is not `<area>.<reason>`");
        assert!(
            ["ok", "warn", "untrusted", "indeterminate", "fail", "—"].contains(&severity.as_str()),
            "`{code}` has severity `{severity}`"
        );
    }
}

/// Journal event kinds (`policy.decided`) share the code syntax; the format specs declare them in
/// tables whose second column is a description, not a severity.
fn declared_kinds(texts: &[String]) -> Vec<String> {
    let severities = [
        "ok",
        "warn",
        "untrusted",
        "indeterminate",
        "fail",
        "—",
        "severity",
    ];
    let mut kinds = Vec::new();
    for line in texts.iter().flat_map(|t| t.lines()) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, first, second, ..] = cells.as_slice() else {
            continue;
        };
        if let Some(token) = first.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
            if !severities.contains(second) {
                kinds.push(token.to_owned());
            }
        }
    }
    kinds
}

#[test]
fn every_code_the_spec_mentions_is_registered() {
    let mut codes = registry();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let texts: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md") && !p.ends_with("verdicts.md"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for kind in declared_kinds(&texts) {
        codes.entry(kind).or_insert_with(|| "kind".to_owned());
    }
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, token) in text.split('`').enumerate() {
            // Odd pieces are inside backticks.
            let field = token
                .split_once('.')
                .is_some_and(|(_, reason)| FIELD_NAMES.contains(&reason));
            if i % 2 == 1
                && token != "ok"
                && well_formed(token)
                && !field
                && !is_file_name(token)
                && !codes.contains_key(token)
            {
                missing.push(format!(
                    "{}: `{token}`",
                    path.file_name().unwrap().to_str().unwrap()
                ));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "codes used in spec/ but not registered in verdicts.md:\n{}",
        missing.join("\n")
    );
}
