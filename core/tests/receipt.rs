//! Receipts (receipt-v0.md): extraction from a built bundle, verification, one mutation per
//! failure code, and the spec's worked example.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use std::io::Cursor;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clyra_core::build::{build_bundle, BuildInputs, BundleSpec};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::format::Schemas;
use clyra_core::jcs::{self, Map, Value};
use clyra_core::receipt::{extract, verify_receipt, verify_receipt_bytes};
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verdict::Outcome;
use clyra_core::verify::Verdict;
use clyra_core::{Coded, Limits};

const SIGNED_AT: &str = "2026-11-20T09:01:16Z";
const AT: &str = "2026-12-01T00:00:00Z";

fn spec_text(file: &str) -> String {
    std::fs::read_to_string(format!("{}/../spec/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn obj(fields: &[(&str, Value)]) -> Value {
    Value::from(fields.iter().cloned().collect::<Map>())
}

/// A bundle spec from the DEF worked manifest (def-v0.md §11), without approvals or artifacts.
fn spec() -> BundleSpec {
    let text = spec_text("def-v0.md");
    let after = &text[text.find("<!-- example: manifest-def-v0 -->").unwrap()..];
    let open = after.find("```json").unwrap() + 7;
    let close = open + after[open..].find("```").unwrap();
    let Value::Object(mut m) =
        jcs::parse(&after.as_bytes()[open..close], &Limits::default()).unwrap()
    else {
        panic!()
    };
    for computed in ["bundle_id", "artifacts", "journal", "merkle"] {
        m.remove(computed);
    }
    let factors = m.get("risk").unwrap().get("factors").unwrap().clone();
    m.insert("risk", obj(&[("factors", factors)]));
    m.insert("approvals", obj(&[("required", Value::from(0u32))]));
    let events: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with("{\"at\":\""))
        .map(|l| {
            let Value::Object(mut e) = jcs::parse(l.as_bytes(), &Limits::default()).unwrap() else {
                panic!()
            };
            e.remove("seq");
            e.remove("prev");
            Value::from(e)
        })
        .collect();
    m.insert("journal", Value::from(events));
    BundleSpec::parse(&jcs::to_vec(&Value::from(m)), &Limits::default()).unwrap()
}

fn producer() -> SigningKey {
    SigningKey::generate(Scheme::Ed25519, [9; 32]).unwrap()
}

fn bundle() -> Vec<u8> {
    let key = producer();
    let mut out = Cursor::new(Vec::new());
    build_bundle(
        &spec(),
        BuildInputs {
            artifacts: vec![],
            approvals: vec![],
            approver_keys: &[],
            signers: &[&key],
            signed_at: SIGNED_AT,
        },
        &mut out,
        &Limits::default(),
    )
    .unwrap();
    out.into_inner()
}

fn trust_of(key: &SigningKey) -> Vec<u8> {
    let doc = obj(&[
        ("version", Value::from(0u32)),
        (
            "keys",
            Value::from(vec![obj(&[
                ("keyid", Value::from(key.public_key().keyid())),
                ("scheme", Value::from(key.scheme().as_str())),
                ("public_key_pem", Value::from(key.public_key().to_pem())),
                ("roles", Value::from(vec![Value::from("producer")])),
            ])]),
        ),
        ("thresholds", obj(&[("producer", Value::from(1u32))])),
    ]);
    jcs::to_vec(&doc)
}

fn receipt_of(bundle: &[u8], seq: u64) -> Vec<u8> {
    extract(
        Cursor::new(bundle),
        bundle.len() as u64,
        seq,
        &Limits::default(),
    )
    .unwrap()
}

fn verify(receipt: &[u8]) -> Verdict {
    verify_receipt_bytes(receipt, &trust_of(&producer()), AT).unwrap()
}

#[track_caller]
fn expect(verdict: &Verdict, outcome: Outcome, primary: &str, exit: u8) {
    assert_eq!(
        (verdict.outcome, verdict.primary, verdict.exit),
        (outcome, primary, exit),
        "checks: {:#?}",
        verdict
            .checks
            .iter()
            .map(|c| (c.step(), c.code(), c.subject(), c.message()))
            .collect::<Vec<_>>()
    );
}

/// The receipt of line 1 of the built bundle, edited, canonical again.
fn mutated(edit: impl FnOnce(&mut Map)) -> Vec<u8> {
    let receipt = receipt_of(&bundle(), 1);
    let Value::Object(mut m) = jcs::parse(&receipt, &Limits::default()).unwrap() else {
        panic!()
    };
    edit(&mut m);
    jcs::to_vec(&Value::from(m))
}

/// Edits the object member `key` of `m` in place.
fn with_object(m: &mut Map, key: &str, edit: impl FnOnce(&mut Map)) {
    let Some(Value::Object(mut inner)) = m.remove(key) else {
        panic!()
    };
    edit(&mut inner);
    m.insert(key, Value::from(inner));
}

#[test]
fn first_middle_and_last_events_verify() {
    let bundle = bundle();
    let count = 10;
    for seq in [0, count / 2, count - 1] {
        let receipt = receipt_of(&bundle, seq);
        // Canonical output.
        assert_eq!(
            jcs::canonicalize(&receipt, &Limits::default()).unwrap(),
            receipt
        );
        expect(&verify(&receipt), Outcome::Valid, "ok", 0);
    }
    let err = extract(
        Cursor::new(&bundle),
        bundle.len() as u64,
        count,
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "receipt.no_event");
}

#[test]
fn a_broken_bundle_gives_no_receipt() {
    let mut bundle = bundle();
    let at = bundle.len() / 2;
    bundle[at] ^= 1;
    let err = extract(
        Cursor::new(&bundle),
        bundle.len() as u64,
        0,
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "receipt.bundle_invalid");
    assert!(err.detail().is_some());
}

#[test]
fn tampered_event_data() {
    let r = mutated(|m| {
        with_object(m, "event", |e| {
            e.insert("kind", Value::from("tampered.kind"));
        });
    });
    expect(&verify(&r), Outcome::Invalid, "receipt.proof", 1);
}

#[test]
fn wrong_leaf_index() {
    let r = mutated(|m| {
        m.insert("leaf_index", Value::from(2u32));
    });
    expect(&verify(&r), Outcome::Invalid, "receipt.event_mismatch", 1);
}

#[test]
fn leaf_index_beyond_the_journal() {
    let r = mutated(|m| {
        m.insert("leaf_index", Value::from(10u32));
    });
    expect(&verify(&r), Outcome::Invalid, "receipt.event_mismatch", 1);
}

fn edit_proof(m: &mut Map, edit: impl FnOnce(&mut Vec<Value>)) {
    let Some(Value::Array(proof)) = m.remove("proof") else {
        panic!()
    };
    let mut proof = proof;
    edit(&mut proof);
    m.insert("proof", Value::from(proof));
}

#[test]
fn proof_element_flipped() {
    let r = mutated(|m| {
        edit_proof(m, |p| {
            let mut hex = p[0].as_str().unwrap().to_owned();
            let flipped = if hex.starts_with('0') { "1" } else { "0" };
            hex.replace_range(0..1, flipped);
            p[0] = Value::from(hex);
        });
    });
    let v = verify(&r);
    expect(&v, Outcome::Invalid, "receipt.proof", 1);
    let check = v
        .checks
        .iter()
        .find(|c| c.code() == "receipt.proof")
        .unwrap();
    assert_eq!(check.detail(), Some("merkle.root_mismatch"));
}

#[test]
fn proof_too_short() {
    let r = mutated(|m| {
        edit_proof(m, |p| {
            p.pop();
        });
    });
    let v = verify(&r);
    expect(&v, Outcome::Invalid, "receipt.proof", 1);
    let check = v
        .checks
        .iter()
        .find(|c| c.code() == "receipt.proof")
        .unwrap();
    assert_eq!(check.detail(), Some("merkle.proof_length"));
}

#[test]
fn tree_size_changed() {
    let r = mutated(|m| {
        m.insert("tree_size", Value::from(11u32));
    });
    expect(&verify(&r), Outcome::Invalid, "receipt.proof", 1);
}

#[test]
fn manifest_changed_is_a_subject_mismatch() {
    // A member outside the derived bundle_id: the statement's subject digest no longer matches.
    let r = mutated(|m| {
        with_object(m, "manifest", |manifest| {
            with_object(manifest, "producer", |producer| {
                producer.insert("version", Value::from("9.9.9"));
            });
        });
    });
    expect(
        &verify(&r),
        Outcome::Invalid,
        "statement.subject_mismatch",
        1,
    );
    // The change itself: the derived bundle_id no longer matches, which stops the run.
    let r = mutated(|m| {
        with_object(m, "manifest", |manifest| {
            with_object(manifest, "change", |change| {
                change.insert("summary", Value::from("something else"));
            });
        });
    });
    expect(
        &verify(&r),
        Outcome::Invalid,
        "manifest.bundle_id_mismatch",
        1,
    );
}

#[test]
fn envelope_removed() {
    let r = mutated(|m| {
        m.insert("envelopes", Value::from(Vec::<Value>::new()));
        m.insert("keys", Value::from(Vec::<Value>::new()));
    });
    expect(&verify(&r), Outcome::Invalid, "receipt.schema", 1);
    let r = mutated(|m| {
        m.insert("envelopes", Value::from(Vec::<Value>::new()));
    });
    expect(&verify(&r), Outcome::Invalid, "receipt.schema", 1);
}

#[test]
fn envelope_not_base64() {
    let r = mutated(|m| {
        m.insert("envelopes", Value::from(vec![Value::from("AAAA")]));
    });
    // Decodes, but to bytes that are not an envelope.
    let v = verify(&r);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert_eq!(v.exit, 1);
}

#[test]
fn untrusted_key_is_valid_untrusted() {
    let receipt = receipt_of(&bundle(), 1);
    let other = SigningKey::generate(Scheme::Ed25519, [3; 32]).unwrap();
    let v = verify_receipt_bytes(&receipt, &trust_of(&other), AT).unwrap();
    expect(&v, Outcome::ValidUntrusted, "trust.untrusted_key", 2);
}

#[test]
fn future_time_is_indeterminate() {
    let receipt = receipt_of(&bundle(), 1);
    let v = verify_receipt_bytes(&receipt, &trust_of(&producer()), "2026-11-20T09:01:00Z").unwrap();
    expect(&v, Outcome::Indeterminate, "time.future", 3);
}

#[test]
fn receipt_too_large() {
    let mut receipt = receipt_of(&bundle(), 1);
    receipt.resize(32 * 1024 * 1024 + 1, b' ');
    expect(&verify(&receipt), Outcome::Invalid, "receipt.too_large", 1);
}

#[test]
fn not_json() {
    let v = verify(b"{\"type\":");
    expect(&v, Outcome::Invalid, "receipt.schema", 1);
    assert_eq!(v.checks[0].detail(), Some("jcs.unexpected_end"));
    expect(&verify(b"[]"), Outcome::Invalid, "receipt.schema", 1);
}

#[test]
fn unknown_manifest_format_is_indeterminate() {
    let r = mutated(|m| {
        with_object(m, "manifest", |manifest| {
            manifest.insert("format", Value::from("def/v9"));
        });
    });
    expect(
        &verify(&r),
        Outcome::Indeterminate,
        "manifest.format_unknown",
        3,
    );
}

#[test]
fn non_canonical_formatting_still_verifies() {
    let receipt = receipt_of(&bundle(), 3);
    let value: serde_json::Value = serde_json::from_slice(&receipt).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    expect(&verify(&pretty), Outcome::Valid, "ok", 0);
}

#[test]
fn envelope_bytes_are_the_bundle_files() {
    let receipt = receipt_of(&bundle(), 0);
    let value = jcs::parse(&receipt, &Limits::default()).unwrap();
    let envelope = value.get("envelopes").unwrap().as_array().unwrap()[0]
        .as_str()
        .unwrap();
    let bytes = STANDARD.decode(envelope).unwrap();
    assert!(bytes.starts_with(b"{\"payload\":"));
}

/// spec/receipt-v0.md §5: the worked receipt with the worked trust of trust-v0.md §8.
#[test]
fn spec_example_verifies() {
    let receipt = common::spec_example("receipt-v0.md", "receipt-v0");
    let trust = common::spec_example("trust-v0.md", "trust-v0");
    let v = verify_receipt_bytes(&receipt, &trust, "2026-11-21T00:00:00Z").unwrap();
    expect(&v, Outcome::Valid, "ok", 0);
    let v = verify_receipt_bytes(&receipt, &trust, "2026-11-20T10:02:29Z").unwrap();
    expect(&v, Outcome::Indeterminate, "time.future", 3);
    let approver_pem = Trust::parse(&trust, &Limits::default())
        .unwrap()
        .keys()
        .iter()
        .find(|k| k.keyid().starts_with("sha256:803b"))
        .unwrap()
        .public_key()
        .to_pem();
    let v =
        verify_receipt_bytes(&receipt, approver_pem.as_bytes(), "2026-11-21T00:00:00Z").unwrap();
    expect(&v, Outcome::ValidUntrusted, "trust.untrusted_key", 2);
}

#[test]
fn verify_receipt_with_compiled_inputs() {
    let receipt = receipt_of(&bundle(), 2);
    let limits = Limits::default();
    let trust = Trust::parse(&trust_of(&producer()), &limits).unwrap();
    let at = Timestamp::parse(AT).unwrap();
    let schemas = Schemas::new().unwrap();
    expect(
        &verify_receipt(&receipt, &trust, &at, &schemas, &limits),
        Outcome::Valid,
        "ok",
        0,
    );
    assert!(verify_receipt_bytes(&receipt, b"not a trust", AT).is_err());
    assert!(verify_receipt_bytes(&receipt, &trust_of(&producer()), "yesterday").is_err());
}

#[test]
fn every_receipt_verdict_says_what_it_does_not_cover() {
    // receipt-v0.md §1.2, verdicts.md §3.2: whatever the outcome, the same list, in order.
    for receipt in [receipt_of(&bundle(), 1), b"not a receipt".to_vec()] {
        let verdict = verify(&receipt);
        assert_eq!(
            verdict.not_covered,
            ["artifacts", "journal", "approvals", "policy"]
        );
        let json = jcs::parse(&verdict.to_json(), &Limits::default()).unwrap();
        let listed: Vec<&str> = json
            .get("not_covered")
            .and_then(Value::as_array)
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(listed, ["artifacts", "journal", "approvals", "policy"]);
    }
}
