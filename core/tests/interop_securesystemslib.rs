//! Clyra DSSE envelopes verify with Python securesystemslib (DESIGN §7 interop), and a tampered
//! envelope is rejected by it.
//!
//! Needs `tests/interop/.venv`; create it with
//! `python3 -m venv tests/interop/.venv && tests/interop/.venv/bin/pip install -r tests/interop/requirements.txt`.
//! Without it the test fails when `CI` is set and otherwise prints how to create it and returns.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::path::{Path, PathBuf};
use std::process::Command;

use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::digest::Sha256Digest;
use clyra_core::dsse::{self, Envelope, Statement, Subject, IN_TOTO_PAYLOAD_TYPE};
use clyra_core::jcs::{Map, Value};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// The venv's Python, or `None` (after explaining) when it is missing outside CI.
fn python() -> Option<PathBuf> {
    let python = interop_dir().join(".venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    let how = "python3 -m venv tests/interop/.venv && \
               tests/interop/.venv/bin/pip install -r tests/interop/requirements.txt";
    assert!(
        std::env::var_os("CI").is_none(),
        "securesystemslib venv missing at {}; create it with: {how}",
        python.display()
    );
    println!(
        "SKIPPED securesystemslib interop: no venv at {}; create it with: {how}",
        python.display()
    );
    None
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clyra-interop-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the Python verifier; returns its exit code.
fn sslib_verify(python: &Path, dir: &Path, env: &Envelope, key: &SigningKey) -> i32 {
    let env_path = dir.join("envelope.dsse.json");
    let pem_path = dir.join("key.pub.pem");
    std::fs::write(&env_path, env.encode()).unwrap();
    std::fs::write(&pem_path, key.public_key().to_pem()).unwrap();
    let out = Command::new(python)
        .arg(interop_dir().join("verify_dsse.py"))
        .arg(&env_path)
        .arg(&pem_path)
        .arg(key.public_key().keyid())
        .arg(key.scheme().as_str())
        .output()
        .unwrap();
    println!(
        "{}: {}{}",
        key.scheme(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.code().unwrap()
}

fn statement() -> Statement {
    let mut predicate = Map::new();
    predicate.insert("bundle_id", Value::from("interop-1"));
    predicate.insert("role", Value::from("producer"));
    Statement {
        subject: vec![Subject {
            name: "manifest.json".to_owned(),
            sha256: Sha256Digest::of(b"{\"format\":\"def/v0\"}"),
        }],
        predicate_type: "https://clyra.dev/def/v0".to_owned(),
        predicate: Value::from(predicate),
    }
}

#[test]
fn securesystemslib_verifies_clyra_envelopes_and_rejects_tampered_ones() {
    let Some(python) = python() else { return };
    let dir = temp_dir("sslib");
    for scheme in [Scheme::Ed25519, Scheme::EcdsaP256Sha256] {
        let key = SigningKey::generate(scheme, [0x5a; 32]).unwrap();
        let env = dsse::sign(
            IN_TOTO_PAYLOAD_TYPE,
            &statement().to_canonical_bytes(),
            &key,
        );
        assert_eq!(
            sslib_verify(&python, &dir, &env, &key),
            0,
            "{scheme}: valid envelope"
        );

        let mut tampered = env.clone();
        tampered.payload = String::from_utf8(tampered.payload)
            .unwrap()
            .replace("interop-1", "interop-2")
            .into_bytes();
        assert_eq!(
            sslib_verify(&python, &dir, &tampered, &key),
            1,
            "{scheme}: tampered payload"
        );

        let mut retyped = env.clone();
        retyped.payload_type = "application/json".to_owned();
        assert_eq!(
            sslib_verify(&python, &dir, &retyped, &key),
            1,
            "{scheme}: tampered type"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
