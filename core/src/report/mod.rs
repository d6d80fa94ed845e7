//! Reports over many bundles (spec: daily-review-v0.md): the daily review and the showback
//! export. Pure: hosts list, read and verify the bundles; this module only aggregates.

pub mod daily;
pub mod showback;

pub use daily::{BundleFacts, DailyReview, EntryEvidence, ReviewScope};

/// `value` as canonical JSON (RFC 8785). Reports hold only integers within ±(2^53−1) and
/// strings, so canonicalization cannot fail; should it, the plain serde form is returned.
pub fn canonical(value: &serde_json::Value) -> Vec<u8> {
    let plain = serde_json::to_vec(value).unwrap_or_default();
    crate::jcs::canonicalize(&plain, &crate::Limits::default()).unwrap_or(plain)
}

/// A manifest as the verifier read it ([`crate::verify::Evidence::manifest`]), as a
/// `serde_json` value for reading fields.
pub fn manifest_value(manifest: &crate::jcs::Value) -> Option<serde_json::Value> {
    serde_json::from_slice(&crate::jcs::to_vec(manifest)).ok()
}
