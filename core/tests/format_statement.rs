//! `format::bind_statement`: a producer Statement binds the manifest, or says exactly why not.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::format::{bind_statement, check_manifest, Manifest, Schemas};
use clyra_core::jcs::{self, Map, Value};
use clyra_core::{Coded, Limits};

fn def_manifest() -> Vec<u8> {
    common::spec_example("def-v0.md", "manifest-def-v0")
}

/// A canonical Statement for `manifest`, with `tweak` applied to its top-level object.
fn statement(
    manifest: &Manifest,
    digest: &Sha256Digest,
    scheme: &str,
    tweak: impl FnOnce(&mut Map),
) -> Vec<u8> {
    let mut predicate = Map::new();
    predicate.insert("bundle_id", Value::from(manifest.bundle_id.as_str()));
    predicate.insert(
        "merkle_root",
        Value::from(manifest.merkle_root.to_prefixed()),
    );
    predicate.insert(
        "journal_head",
        Value::from(manifest.journal_head.to_prefixed()),
    );
    predicate.insert("signed_at", Value::from(manifest.created_at.as_str()));
    predicate.insert("role", Value::from("producer"));
    predicate.insert("scheme", Value::from(scheme));
    let mut sha = Map::new();
    sha.insert("sha256", Value::from(digest.to_hex()));
    let mut subject = Map::new();
    subject.insert("name", Value::from("manifest.json"));
    subject.insert("digest", Value::from(sha));
    let mut top = Map::new();
    top.insert("_type", Value::from("https://in-toto.io/Statement/v1"));
    top.insert("subject", Value::from(vec![Value::from(subject)]));
    top.insert(
        "predicateType",
        Value::from(manifest.format.predicate_type()),
    );
    top.insert("predicate", Value::from(predicate));
    tweak(&mut top);
    jcs::to_vec(&Value::from(top))
}

fn set_predicate(top: &mut Map, name: &str, value: Value) {
    let Some(Value::Object(mut p)) = top.remove("predicate") else {
        panic!()
    };
    p.insert(name, value);
    top.insert("predicate", Value::from(p));
}

#[test]
fn binding_holds_and_each_break_has_its_code() {
    let schemas = Schemas::new().unwrap();
    let limits = Limits::default();
    let bytes = def_manifest();
    let (manifest, _) = check_manifest(&bytes, &schemas, &limits).unwrap();
    let digest = Sha256Digest::of(&bytes);
    let key = SigningKey::generate(Scheme::Ed25519, [7; 32]).unwrap();
    let public = key.public_key();
    let bind =
        |payload: Vec<u8>| bind_statement(&payload, public, &manifest, &digest, &schemas, &limits);

    let claim = bind(statement(&manifest, &digest, "ed25519", |_| {})).unwrap();
    assert_eq!(
        (claim.scheme, claim.signed_at.as_str()),
        (Scheme::Ed25519, manifest.created_at.as_str())
    );

    let code = |payload: Vec<u8>| bind(payload).unwrap_err().code();
    let other = Sha256Digest::of(b"another manifest");
    assert_eq!(
        code(statement(&manifest, &other, "ed25519", |_| {})),
        "statement.subject_mismatch"
    );
    assert_eq!(
        code(statement(&manifest, &digest, "ed25519", |t| {
            t.insert("predicateType", Value::from("https://clyra.dev/pef/v0"));
        })),
        "statement.predicate_type"
    );
    for name in ["bundle_id", "merkle_root", "journal_head"] {
        let wrong = if name == "bundle_id" {
            "acme:other".to_owned()
        } else {
            other.to_prefixed()
        };
        let got = code(statement(&manifest, &digest, "ed25519", |t| {
            set_predicate(t, name, Value::from(wrong))
        }));
        assert_eq!(got, "statement.binding", "{name}");
    }
    assert_eq!(
        code(statement(&manifest, &digest, "ed448", |_| {})),
        "signature.scheme_unknown"
    );
    assert_eq!(
        code(statement(&manifest, &digest, "ecdsa-p256-sha256", |_| {})),
        "sig.scheme_mismatch"
    );
    assert_eq!(
        code(statement(&manifest, &digest, "ed25519", |t| set_predicate(
            t,
            "extra",
            Value::Null
        ))),
        "statement.schema"
    );
    assert_eq!(
        code(statement(&manifest, &digest, "ed25519", |t| set_predicate(
            t,
            "role",
            Value::from("approver")
        ))),
        "statement.schema"
    );
    let not_statement = code(statement(&manifest, &digest, "ed25519", |t| {
        t.insert("_type", Value::from("https://in-toto.io/Statement/v0.1"));
    }));
    assert!(not_statement.starts_with("dsse."), "{not_statement}");
}
