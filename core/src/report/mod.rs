//! Reports over many bundles (spec: daily-review-v0.md): the daily review and the showback
//! export. Pure: hosts list, read and verify the bundles; this module only aggregates.

pub mod daily;
pub mod showback;
pub mod stream;

pub use daily::{BundleFacts, DailyReview, EntryEvidence, ReviewScope};

/// `value` as canonical JSON (RFC 8785), serialized and canonicalized in one streaming pass (no
/// value tree: a review of 10,000 bundles is ~10 MB of JSON). Reports are our own output, holding
/// only integers within ±(2^53−1) and strings the evidence already bounded, so the parser's size
/// and count limits are lifted to the document's own size; should canonicalization still fail,
/// the plain serde form is returned.
pub fn canonical<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let plain = serde_json::to_vec(value).unwrap_or_default();
    let limits = crate::Limits {
        json_max_bytes: plain.len(),
        json_max_string_bytes: plain.len(),
        json_max_entries: plain.len(),
        json_values_base: plain.len(),
        ..crate::Limits::default()
    };
    crate::jcs::canonicalize(&plain, &limits).unwrap_or(plain)
}

/// A manifest as the verifier read it ([`crate::verify::Evidence::manifest`]), as a
/// `serde_json` value for reading fields.
pub fn manifest_value(manifest: &crate::jcs::Value) -> Option<serde_json::Value> {
    serde_json::from_slice(&crate::jcs::to_vec(manifest)).ok()
}
