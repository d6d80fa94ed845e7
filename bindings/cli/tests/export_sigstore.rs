//! `clyra export --sigstore` (spec/dsse.md §9) end to end: npm `@sigstore/verify` 3.1.1 accepts
//! the export offline with the producer's public key, and rejects it once the payload changes.
//!
//! Needs `tests/interop/node_modules`; install it with `npm ci --prefix tests/interop`. Without
//! it the test fails when `CI` is set and otherwise prints how to install it and returns.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{clyra, example_spec, TempDir};

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use clyra_core::bundle::Container;
use clyra_core::crypto::PublicKey;
use clyra_core::digest::Sha256Digest;
use clyra_core::Limits;

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

/// Whether `tests/interop/node_modules` holds @sigstore/verify (after explaining when it does not).
fn node_ready() -> bool {
    let module = interop_dir().join("node_modules/@sigstore/verify/package.json");
    if module.exists() {
        return true;
    }
    let how = "npm ci --prefix tests/interop";
    assert!(
        std::env::var_os("CI").is_none(),
        "@sigstore/verify missing at {}; install it with: {how}",
        module.display()
    );
    println!(
        "SKIPPED @sigstore/verify interop: no {}; install it with: {how}",
        module.display()
    );
    false
}

/// Runs the Node verifier; returns its exit code.
fn node_verify(export: &str, pem: &str, manifest_sha256: &str) -> i32 {
    let out = Command::new("node")
        .arg(interop_dir().join("verify_sigstore.mjs"))
        .args([export, pem, manifest_sha256])
        .output()
        .expect("node (20 or later) on PATH");
    println!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.code().unwrap()
}

fn manifest_sha256(bundle: &[u8]) -> String {
    let mut c =
        Container::open(Cursor::new(bundle), bundle.len() as u64, &Limits::default()).unwrap();
    let index = c
        .entries()
        .iter()
        .position(|e| e.name == "manifest.json")
        .unwrap();
    Sha256Digest::of(&c.read_small_entry(index, 1 << 20).unwrap()).to_hex()
}

fn keyid(pem_path: &str) -> String {
    let pem = std::fs::read(pem_path).unwrap();
    PublicKey::from_pem(&pem, &Limits::default())
        .unwrap()
        .keyid()
        .to_owned()
}

/// The export with one base64 character of its payload changed (signature left as it was).
fn tampered(export: &str) -> String {
    let mut json: serde_json::Value = serde_json::from_str(export).unwrap();
    let env = &mut json["dsseEnvelope"];
    let mut payload = env["payload"].as_str().unwrap().to_owned();
    let mid = payload.len() / 2;
    let new = if &payload[mid..=mid] == "A" { "B" } else { "A" };
    payload.replace_range(mid..=mid, new);
    env["payload"] = payload.into();
    json.to_string()
}

#[test]
fn sigstore_verify_accepts_the_export_and_rejects_a_tampered_one() {
    if !node_ready() {
        return;
    }
    let dir = TempDir::new();
    for (name, alg) in [("a", "ed25519"), ("b", "p256")] {
        clyra(&["keygen", "--alg", alg, "--out", &dir.path(name)]);
    }
    std::fs::write(dir.path("spec.json"), example_spec()).unwrap();
    std::fs::write(dir.path("run_results.json"), b"{\"results\":[]}\n").unwrap();
    let bundle = dir.path("bundle.zip");
    let artifact = format!("run_results.json={}", dir.path("run_results.json"));
    clyra(&[
        "bundle",
        "build",
        "--spec",
        &dir.path("spec.json"),
        "--key",
        &dir.path("a/clyra.key"),
        "--artifact",
        &artifact,
        "--out",
        &bundle,
        "--signed-at",
        "2026-11-20T09:01:16Z",
    ]);
    clyra(&[
        "sign",
        &bundle,
        "--key",
        &dir.path("b/clyra.key"),
        "--signed-at",
        "2026-11-20T09:02:00Z",
    ]);
    let manifest = manifest_sha256(&std::fs::read(&bundle).unwrap());

    for (name, other) in [("a", "b"), ("b", "a")] {
        let pem = dir.path(&format!("{name}/clyra.pub"));
        let wrong_pem = dir.path(&format!("{other}/clyra.pub"));
        let keyid = keyid(&pem);
        let export = dir.path(&format!("{name}.sigstore.json"));
        let out = clyra(&[
            "export",
            "--sigstore",
            &bundle,
            "--key",
            &keyid,
            "--out",
            &export,
            "--format",
            "json",
        ]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["keyid"], keyid.as_str());

        assert_eq!(node_verify(&export, &pem, &manifest), 0, "{name}: export");
        assert_eq!(
            node_verify(&export, &wrong_pem, &manifest),
            1,
            "{name}: another key"
        );
        let wrong_manifest = Sha256Digest::of(b"another manifest").to_hex();
        assert_eq!(
            node_verify(&export, &pem, &wrong_manifest),
            1,
            "{name}: another manifest digest"
        );
        let bad = dir.path(&format!("{name}.tampered.json"));
        std::fs::write(&bad, tampered(&std::fs::read_to_string(&export).unwrap())).unwrap();
        assert_eq!(node_verify(&bad, &pem, &manifest), 1, "{name}: tampered");
    }

    // Without --key: the first producer signature; an existing --out is refused without --force.
    let first = dir.path("first.sigstore.json");
    clyra(&["export", "--sigstore", &bundle, "--out", &first]);
    let again = Command::new(env!("CARGO_BIN_EXE_clyra"))
        .args(["export", "--sigstore", &bundle, "--out", &first])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&again.stderr).contains("(cli.exists)"));
    clyra(&["export", "--sigstore", &bundle, "--out", &first, "--force"]);
    let verified = ["a", "b"]
        .iter()
        .filter(|name| node_verify(&first, &dir.path(&format!("{name}/clyra.pub")), &manifest) == 0)
        .count();
    assert_eq!(verified, 1);

    let missing = Command::new(env!("CARGO_BIN_EXE_clyra"))
        .args([
            "export",
            "--sigstore",
            &bundle,
            "--key",
            "sha256:00",
            "--out",
        ])
        .arg(dir.path("none.json"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("(export.no_signature)"));
}
