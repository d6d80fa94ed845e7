//! The receipt sheet (`clyra receipt extract … --format pdf`): one journal event of a bundle, the
//! change it belongs to, the inclusion proof, and the SHA-256 of the receipt JSON it was made
//! from, with the commands that make and verify that JSON again.

use serde_json::Value;

use crate::auditor::{sha256_digest, text};
use crate::document::{pairs, Document};
use crate::error::ReportError;

/// The sheet of `receipt_json` (the exact bytes `clyra receipt extract` writes), extracted from
/// the bundle named `bundle` at event `seq`.
pub fn receipt_document(
    receipt_json: &[u8],
    bundle: &str,
    seq: u64,
) -> Result<Document, ReportError> {
    let receipt: Value = serde_json::from_slice(receipt_json)
        .map_err(|e| ReportError::input(format!("the receipt is not json: {e}")))?;
    let r = Some(&receipt);
    let m = receipt.get("manifest");
    let digest = sha256_digest(receipt_json);
    let created = text(m, &["created_at"])
        .ok_or_else(|| ReportError::input("the receipt's manifest has no `created_at`"))?;
    let mut doc = Document::new("Receipt of one event", created, digest.clone());
    doc.subtitle = format!(
        "event {seq} of bundle {}",
        text(m, &["bundle_id"]).unwrap_or("(no bundle id)")
    );
    let get =
        |v: Option<&Value>, path: &[&str]| text(v, path).unwrap_or("(not recorded)").to_owned();
    doc.heading("The event");
    let event = receipt.get("event");
    let data = event
        .and_then(|e| e.get("data"))
        .map_or_else(String::new, |d| {
            String::from_utf8_lossy(&clyra_core::report::canonical(d)).into_owned()
        });
    doc.key_values(pairs([
        ("Kind", get(event, &["kind"])),
        ("At", get(event, &["at"])),
        (
            "Sequence number",
            event
                .and_then(|e| e.get("seq"))
                .and_then(Value::as_u64)
                .map_or_else(String::new, |s| s.to_string()),
        ),
        ("Previous line", get(event, &["prev"])),
    ]));
    doc.code(data);

    doc.heading("The change it belongs to");
    doc.key_values(pairs([
        ("Format", get(m, &["format"])),
        ("Subject", get(m, &["change", "subject"])),
        ("Kind", get(m, &["change", "kind"])),
        ("Author (actor)", get(m, &["change", "actor"])),
        ("Environment", get(m, &["change", "environment"])),
        ("Created at", get(m, &["created_at"])),
        (
            "Risk score",
            m.and_then(|m| m.pointer("/risk/score"))
                .and_then(Value::as_u64)
                .map_or_else(|| "(not recorded)".to_owned(), |s| s.to_string()),
        ),
    ]));

    doc.heading("Inclusion proof");
    let number = |k: &str| {
        r.and_then(|r| r.get(k))
            .and_then(Value::as_u64)
            .map_or_else(String::new, |n| n.to_string())
    };
    doc.key_values(pairs([
        ("Leaf index", number("leaf_index")),
        ("Tree size", number("tree_size")),
        ("Merkle root", get(m, &["merkle", "root"])),
        (
            "Signatures",
            receipt
                .get("envelopes")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
                .to_string(),
        ),
    ]));
    let proof: Vec<&str> = receipt
        .get("proof")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if proof.is_empty() {
        doc.paragraph("The proof is empty: the tree has one leaf.");
    } else {
        doc.code(proof.join("\n"));
    }
    doc.paragraph(
        "A receipt does not cover the bundle's artifacts, other journal lines, approvals or \
         policy: verify the bundle itself for those.",
    );

    doc.heading("Re-check it yourself");
    doc.paragraph(
        "Extraction is deterministic: the first command writes the same receipt JSON again; its \
         SHA-256 equals the digest below. The second verifies it against the keys you trust.",
    );
    doc.code(format!(
        "clyra receipt extract {bundle} --event {seq} --out receipt.json\n\
         sha256sum receipt.json\n\
         clyra receipt verify receipt.json --trust TRUST"
    ));
    doc.key_values(pairs([("Receipt JSON digest", digest)]));
    Ok(doc)
}
