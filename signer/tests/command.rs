//! The command signer against the test script `tests/data/openssl-signer.sh` (signer-command/v0).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;

use clyra_core::crypto::{Scheme, Signer, SigningKey};
use clyra_core::dsse;
use clyra_signer::{open, CommandSigner, KeyUri};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/openssl-signer.sh")
}

/// A fresh key made by openssl (OpenSSL 3.0 does not read the PKCS#8 v2 form `clyra keygen`
/// writes for Ed25519), as a file and as the same key loaded by the core.
fn key_file(scheme: Scheme, name: &str) -> (PathBuf, SigningKey) {
    let dir = std::env::temp_dir().join(format!("clyra-signer-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("key.pem");
    let mut cmd = std::process::Command::new("openssl");
    cmd.arg("genpkey").arg("-out").arg(&path);
    match scheme {
        Scheme::Ed25519 => cmd.args(["-algorithm", "ed25519"]),
        _ => cmd.args(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
    };
    assert!(cmd.status().unwrap().success());
    let key = SigningKey::from_pkcs8_pem(&std::fs::read_to_string(&path).unwrap()).unwrap();
    (path, key)
}

/// The words of a `cmd:` URI running the script with `key` and a misbehaviour `mode`.
fn uri(key: &Path, mode: &str) -> String {
    format!(
        "cmd:/usr/bin/env CLYRA_TEST_SIGNER_KEY={} CLYRA_TEST_SIGNER_MODE={mode} {}",
        key.display(),
        script().display()
    )
}

/// The error of opening `uri`.
fn open_err(uri: &str) -> clyra_core::crypto::SignerError {
    match open(uri) {
        Ok(_) => panic!("`{uri}` opened"),
        Err(e) => e,
    }
}

fn words(uri: &str) -> Vec<String> {
    match KeyUri::parse(uri).unwrap() {
        KeyUri::Command(words) => words,
        other => panic!("not a command: {other:?}"),
    }
}

#[test]
fn ed25519_and_p256_sign_through_a_command() {
    for (scheme, seed) in [(Scheme::Ed25519, 1u8), (Scheme::EcdsaP256Sha256, 2)] {
        let (path, key) = key_file(scheme, &format!("ok{seed}"));
        let signer = open(&uri(&path, "")).unwrap();
        assert_eq!(signer.public_key().keyid(), key.public_key().keyid());
        assert_eq!(signer.scheme(), scheme);
        let envelope = common::signs_dsse(signer.as_ref(), b"{}");
        let sig = &envelope.signatures[0].sig;
        let message = dsse::pae("application/vnd.in-toto+json", b"{}");
        if scheme == Scheme::Ed25519 {
            // Ed25519 is deterministic: the command's signature is the key file's.
            assert_eq!(sig, &key.sign(&message));
        }
    }
}

#[test]
fn misbehaving_commands_give_their_codes() {
    let (path, _) = key_file(Scheme::Ed25519, "bad");
    for (mode, code) in [
        ("garbage", "signer.bad_signature"),
        ("huge", "signer.bad_signature"),
        ("exit1", "signer.failed"),
        ("exit2", "signer.unsupported"),
        ("exit3", "signer.not_found"),
        ("exit4", "signer.pin"),
    ] {
        let signer = open(&uri(&path, mode)).unwrap();
        let err = clyra_core::crypto::sign_checked(&signer, b"m").unwrap_err();
        assert_eq!(err.kind().code(), code, "{mode}: {err}");
    }
    // A signature by another key than the one announced.
    let signer = open(&uri(&path, "")).unwrap();
    let (other_path, _) = key_file(Scheme::Ed25519, "other");
    // Swap the key file under the opened signer: it now signs with `other`.
    std::fs::copy(&other_path, &path).unwrap();
    let err = clyra_core::crypto::sign_checked(&signer, b"m").unwrap_err();
    assert_eq!(err.kind().code(), "signer.bad_signature");
}

#[test]
fn a_slow_command_is_killed_at_its_time_limit() {
    let (path, _) = key_file(Scheme::Ed25519, "slow");
    let signer = CommandSigner::open(words(&uri(&path, "sleep")), Duration::from_secs(1)).unwrap();
    let start = Instant::now();
    let err = signer.try_sign(b"m").unwrap_err();
    assert_eq!(err.kind().code(), "signer.timeout");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_missing_program_is_not_found() {
    let err = open_err("cmd:/nonexistent/clyra-signer-xyz");
    assert_eq!(err.kind().code(), "signer.not_found");
}

#[test]
fn key_files_open_by_path_and_uri_and_never_echo_the_key() {
    let (path, key) = key_file(Scheme::EcdsaP256Sha256, "file");
    for uri in [
        path.display().to_string(),
        format!("file:{}", path.display()),
    ] {
        let signer = open(&uri).unwrap();
        assert_eq!(signer.public_key().keyid(), key.public_key().keyid());
    }
    // A key file that is not PKCS#8: the error names the file, not its bytes.
    let pem = std::fs::read_to_string(&path).unwrap();
    let broken = path.with_file_name("broken.pem");
    std::fs::write(&broken, pem.replace("PRIVATE KEY", "PRIVATE KEYS")).unwrap();
    let err = open_err(&broken.display().to_string());
    let body: String = pem.lines().nth(1).unwrap().to_owned();
    assert!(!format!("{err} {err:?}").contains(&body), "{err}");
    assert_eq!(
        open_err("/nonexistent/k.pem").kind().code(),
        "signer.not_found"
    );
}
