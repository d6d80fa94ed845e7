//! The 12 ed25519-speccheck edge cases (novifinancial/ed25519-speccheck `cases.json`), read in place.
//!
//! spec: signatures.md §4.2 — Clyra verifies Ed25519 cofactorlessly with ed25519-dalek `verify()`,
//! which gives the same accept/reject pattern as Go's `crypto/ed25519.Verify`. The pattern is
//! pinned here; the Go verifier pins the same one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use clyra_core::crypto::{verify, PublicKey, Scheme};

/// Expected outcome per case, `true` = accept (V), `false` = reject (X).
/// Reasons follow the upstream README's condition table (A = public key, R = signature point).
const EXPECTED: [(bool, &str); 12] = [
    (
        true,
        "0: S = 0, small-order A and small-order R; the equation holds",
    ),
    (
        true,
        "1: 0 < S < L, small-order A, mixed-order R; holds cofactorless",
    ),
    (
        true,
        "2: 0 < S < L, mixed-order A, small-order R; holds cofactorless",
    ),
    (
        true,
        "3: 0 < S < L, mixed-order A and R; holds both cofactored and cofactorless",
    ),
    (
        false,
        "4: mixed-order A and R; holds only in the cofactored equation",
    ),
    (
        false,
        "5: mixed-order A, order-L R; holds only cofactored (with a pre-reduced hash)",
    ),
    (false, "6: S > L (non-canonical scalar) is rejected"),
    (false, "7: S >> L (top bits set) is rejected"),
    (
        false,
        "8: non-canonical encoding of R; the hash uses R's bytes, so it does not match",
    ),
    (false, "9: non-canonical encoding of R (other variant)"),
    (
        false,
        "10: non-canonical encoding of A; the hash over A's bytes does not match",
    ),
    (
        true,
        "11: non-canonical encoding of A that the hash was computed over; accepted like Go",
    ),
];

#[test]
fn speccheck_pattern_matches_go() {
    let bytes = common::read("ed25519-speccheck/cases.json");
    let cases: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 12);
    let mut pattern = String::new();
    for (i, (case, (expected, why))) in cases.iter().zip(EXPECTED).enumerate() {
        let pk: [u8; 32] = hex::decode(case["pub_key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let msg = hex::decode(case["message"].as_str().unwrap()).unwrap();
        let sig = hex::decode(case["signature"].as_str().unwrap()).unwrap();
        // A key that does not decode counts as a rejection.
        let accepted = PublicKey::ed25519_from_raw(&pk)
            .map(|key| verify(&key, Scheme::Ed25519, &msg, &sig).is_ok())
            .unwrap_or(false);
        pattern.push_str(if accepted { "V " } else { "X " });
        assert_eq!(accepted, expected, "case {i}: {why}");
    }
    assert_eq!(pattern.trim_end(), "V V V V X X X X X X X V");
}
