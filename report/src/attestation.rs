//! The attestation report (`clyra attest … --out DIR` writes `attestation.pdf`): the framework,
//! the period, each control's status with its plain-language rationale, the findings and the
//! bundles covered, with the SHA-256 of the signed Statement it was made from.

use serde_json::Value;

use crate::auditor::{sha256_digest, text};
use crate::document::{pairs, Document};
use crate::error::ReportError;

/// The report of `statement_json`: the exact payload bytes of the attestation's DSSE envelope
/// (an in-toto Statement with predicate type `https://clyra.dev/attestation/v0`).
pub fn attestation_document(statement_json: &[u8]) -> Result<Document, ReportError> {
    let statement: Value = serde_json::from_slice(statement_json)
        .map_err(|e| ReportError::input(format!("the statement is not json: {e}")))?;
    let p = statement
        .get("predicate")
        .ok_or_else(|| ReportError::input("the statement has no `predicate`"))?;
    let pr = Some(p);
    let attested = text(pr, &["attested_at"])
        .ok_or_else(|| ReportError::input("the predicate has no `attested_at`"))?;
    let digest = sha256_digest(statement_json);
    let framework = text(pr, &["framework", "name"]).unwrap_or("(unknown framework)");
    let mut doc = Document::new(format!("{framework} attestation"), attested, digest.clone());
    let subjects = array(statement.get("subject"));
    doc.subtitle = format!(
        "{} bundle(s), verified at {}",
        subjects.len(),
        text(pr, &["verified_at"]).unwrap_or("?")
    );

    doc.heading("Summary");
    let count = |k: &str| {
        p.get("summary")
            .and_then(|s| s.get(k))
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .to_string()
    };
    let period = match (
        text(pr, &["period", "from"]),
        text(pr, &["period", "until"]),
    ) {
        (Some(f), Some(u)) => format!("{f} to {u}"),
        _ => "(not recorded)".to_owned(),
    };
    doc.key_values(pairs([
        (
            "Framework",
            format!(
                "{framework} ({})",
                text(pr, &["framework", "id"]).unwrap_or("?")
            ),
        ),
        ("Period", period),
        (
            "Completeness",
            text(pr, &["completeness", "mode"])
                .unwrap_or("?")
                .to_owned(),
        ),
        (
            "Trust file",
            text(pr, &["trust", "digest"]).unwrap_or("?").to_owned(),
        ),
        ("Supported", count("supported")),
        ("Not supported", count("not_supported")),
        ("Exception", count("exception")),
        ("Not applicable", count("not_applicable")),
    ]));

    doc.heading("Controls");
    let controls = array(p.get("controls"));
    let rows = controls
        .iter()
        .map(|c| {
            let refs = array(c.get("references"));
            let failed = refs
                .iter()
                .filter(|r| text(Some(r), &["result"]) == Some("fail"))
                .count();
            vec![
                text(Some(c), &["id"]).unwrap_or("?").to_owned(),
                text(Some(c), &["status"]).unwrap_or("?").to_owned(),
                format!("{} of {} bundle(s) fail", failed, refs.len()),
            ]
        })
        .collect();
    doc.table(
        vec!["Control".into(), "Status".into(), "Evidence".into()],
        rows,
    );

    let findings = array(p.get("findings"));
    doc.heading("Findings");
    if findings.is_empty() {
        doc.paragraph("None: every bundle verified and the evidence is complete.");
    } else {
        let rows = findings
            .iter()
            .map(|f| {
                let kind = text(Some(f), &["kind"]).unwrap_or("?").to_owned();
                let what = match kind.as_str() {
                    "gap" => format!(
                        "ledger entry {} ({}): {}",
                        f.get("index").and_then(Value::as_u64).unwrap_or(0),
                        text(Some(f), &["bundle_id"]).unwrap_or("?"),
                        text(Some(f), &["reason"]).unwrap_or("?")
                    ),
                    _ => format!(
                        "bundle {}: {} ({})",
                        subject_name(&subjects, f.get("subject")),
                        text(Some(f), &["outcome"]).unwrap_or("?"),
                        text(Some(f), &["primary"]).unwrap_or("?")
                    ),
                };
                vec![kind, what]
            })
            .collect();
        doc.table(vec!["Kind".into(), "Finding".into()], rows);
    }

    doc.heading("Control rationale");
    for c in &controls {
        let r = c.get("rationale");
        doc.paragraph(format!(
            "{} — {} ({})",
            text(Some(c), &["id"]).unwrap_or("?"),
            text(Some(c), &["title"]).unwrap_or(""),
            text(Some(c), &["status"]).unwrap_or("?")
        ));
        doc.key_values(pairs([
            (
                "Objective",
                text(r, &["objective"]).unwrap_or("").to_owned(),
            ),
            (
                "Mechanism",
                text(r, &["mechanism"]).unwrap_or("").to_owned(),
            ),
            ("Evidence", text(r, &["evidence"]).unwrap_or("").to_owned()),
            (
                "How to re-test",
                text(r, &["retest"]).unwrap_or("").to_owned(),
            ),
        ]));
    }

    doc.heading("Bundles covered");
    let rows = subjects
        .iter()
        .map(|s| {
            vec![
                text(Some(s), &["name"]).unwrap_or("?").to_owned(),
                text(Some(s), &["digest", "sha256"])
                    .unwrap_or("?")
                    .to_owned(),
            ]
        })
        .collect();
    doc.table(vec!["Bundle".into(), "SHA-256 of the file".into()], rows);

    doc.heading("Re-check");
    doc.paragraph(format!(
        "This report renders the signed Statement whose SHA-256 is {digest}. Re-check the \
         signature and recompute every status from the bundles with `clyra attest verify \
         attestation.dsse.json --trust TRUST BUNDLE...` (or the Go verifier's `attest-verify`)."
    ));
    Ok(doc)
}

fn array(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

fn subject_name(subjects: &[Value], index: Option<&Value>) -> String {
    index
        .and_then(Value::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| subjects.get(i))
        .and_then(|s| text(Some(s), &["name"]))
        .unwrap_or("?")
        .to_owned()
}
