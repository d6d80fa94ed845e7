//! Key URIs in the CLI (a signer command, refused PINs) and `clyra keys rotate` with the doctor's
//! rotation warnings, end to end through the built binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{clyra, example_spec, text, TempDir};

use std::path::Path;
use std::process::Output;

use clyra_core::crypto::PublicKey;
use clyra_core::Limits;

/// Keys `old` (Ed25519) and `new` (P-256), the example spec and an artifact in `dir`.
fn setup(dir: &TempDir) {
    for (name, alg) in [("old", "ed25519"), ("new", "p256")] {
        let out = clyra(&["keygen", "--alg", alg, "--out", &dir.path(name)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    dir.write("spec.json", example_spec().as_bytes());
    dir.write("run_results.json", b"{\"results\":[]}\n");
    // A clean policy, so the doctor's exit is the rotation check's.
    let policy = dir.path(".clyra/policy.yaml");
    let out = clyra(&["policy", "init", "--env", "prod", "--out", &policy]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn build(dir: &TempDir, key: &str, out: &str, signed_at: &str) -> Output {
    let artifact = format!("run_results.json={}", dir.path("run_results.json"));
    let spec = dir.path("spec.json");
    clyra(&[
        "bundle",
        "build",
        "--spec",
        &spec,
        "--key",
        key,
        "--artifact",
        &artifact,
        "--out",
        out,
        "--signed-at",
        signed_at,
    ])
}

fn keyid(pem_path: &str) -> String {
    let pem = std::fs::read(pem_path).unwrap();
    PublicKey::from_pem(&pem, &Limits::default())
        .unwrap()
        .keyid()
        .to_owned()
}

/// (outcome, primary, exit) of `clyra verify --format json`.
fn verify(bundle: &str, trust: &str, at: &str) -> (String, String, i32) {
    let out = clyra(&[
        "verify", bundle, "--trust", trust, "--at", at, "--format", "json",
    ]);
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    (
        verdict["outcome"].as_str().unwrap().to_owned(),
        verdict["primary"].as_str().unwrap().to_owned(),
        out.status.code().unwrap(),
    )
}

/// The doctor's rotation finding (status, message) and its exit code, judged at `at`.
fn doctor(dir: &TempDir, key: &str, at: &str) -> (String, String, i32) {
    let out = clyra(&[
        "doctor",
        "--dir",
        &dir.path(""),
        "--key",
        key,
        "--trust",
        &dir.path("trust.json"),
        "--at",
        at,
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rotation = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "rotation")
        .unwrap()
        .clone();
    (
        rotation["status"].as_str().unwrap().to_owned(),
        rotation["message"].as_str().unwrap().to_owned(),
        out.status.code().unwrap(),
    )
}

#[test]
fn rotation_keeps_old_bundles_valid_and_doctor_warns_on_time() {
    let dir = TempDir::new();
    setup(&dir);
    let (old_pub, new_pub) = (dir.path("old/clyra.pub"), dir.path("new/clyra.pub"));
    let (old_key, new_key) = (dir.path("old/clyra.key"), dir.path("new/clyra.key"));
    let old_id = keyid(&old_pub);
    // The old key since 2026-07-01, no not_after: the default 180-day cycle ends 2026-12-28.
    let trust = serde_json::json!({
        "version": 0,
        "keys": [{
            "keyid": old_id,
            "scheme": "ed25519",
            "public_key_pem": std::fs::read_to_string(&old_pub).unwrap(),
            "roles": ["producer"],
            "not_before": "2026-07-01T00:00:00Z",
        }],
        "thresholds": {"producer": 1},
    });
    let trust_path = dir.write("trust.json", trust.to_string().as_bytes());
    let old_bundle = dir.path("old.zip");
    let built = build(&dir, &old_key, &old_bundle, "2026-11-20T09:01:16Z");
    assert!(built.status.success(), "{}", text(&built.stderr));

    // Before rotation, by the default policy: ok, then a warning from day 150, an error after 180.
    let (status, _, exit) = doctor(&dir, &old_key, "2026-11-20T00:00:00Z");
    assert_eq!((status.as_str(), exit), ("ok", 0));
    let (status, message, exit) = doctor(&dir, &old_key, "2026-11-28T00:00:00Z");
    assert_eq!((status.as_str(), exit), ("warning", 2), "{message}");
    assert!(
        message.contains("2026-12-28T00:00:00Z") && message.contains("30 days left"),
        "{message}"
    );
    let (status, _, exit) = doctor(&dir, &old_key, "2026-12-28T00:00:01Z");
    assert_eq!((status.as_str(), exit), ("error", 1));

    // Rotate on 2026-12-01 with a 7-day overlap.
    let out = clyra(&[
        "keys",
        "rotate",
        "--trust",
        &trust_path,
        "--key",
        &new_pub,
        "--at",
        "2026-12-01T00:00:00Z",
        "--overlap",
        "7",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["retired"][0]["keyid"], old_id.as_str());
    assert_eq!(report["retired"][0]["not_after"], "2026-12-08T00:00:00Z");
    assert_eq!(report["added"]["not_after"], "2027-05-30T00:00:00Z");
    let rotated: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&trust_path).unwrap()).unwrap();
    let keys = rotated["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "the old key is kept");
    assert_eq!(keys[0]["keyid"], old_id.as_str());
    assert_eq!(keys[1]["not_before"], "2026-12-01T00:00:00Z");
    assert_eq!(keys[1]["scheme"], "ecdsa-p256-sha256");

    // The old bundle still verifies, long after the rotation.
    assert_eq!(
        verify(&old_bundle, &trust_path, "2027-03-01T00:00:00Z"),
        ("VALID".into(), "ok".into(), 0)
    );
    // New bundles are signed by the new key and verify.
    let new_bundle = dir.path("new.zip");
    let built = build(&dir, &new_key, &new_bundle, "2026-12-02T00:00:00Z");
    assert!(built.status.success(), "{}", text(&built.stderr));
    assert_eq!(
        verify(&new_bundle, &trust_path, "2027-03-01T00:00:00Z"),
        ("VALID".into(), "ok".into(), 0)
    );
    let inspect = clyra(&["inspect", &new_bundle, "--format", "json"]);
    assert!(text(&inspect.stdout).contains(&keyid(&new_pub)));
    // The old key signing after its window closed is caught.
    let late = dir.path("late.zip");
    let built = build(&dir, &old_key, &late, "2026-12-20T00:00:00Z");
    assert!(built.status.success(), "{}", text(&built.stderr));
    let (outcome, _, exit) = verify(&late, &trust_path, "2027-03-01T00:00:00Z");
    assert_eq!((outcome.as_str(), exit), ("INVALID", 1));

    // Doctor after rotation: the old key warns then errors at its new end; the new key is ok
    // until 30 days before 2027-05-30.
    assert_eq!(doctor(&dir, &old_key, "2026-12-05T00:00:00Z").0, "warning");
    assert_eq!(doctor(&dir, &old_key, "2026-12-09T00:00:00Z").0, "error");
    assert_eq!(doctor(&dir, &new_key, "2027-01-01T00:00:00Z").0, "ok");
    assert_eq!(doctor(&dir, &new_key, "2027-04-30T00:00:00Z").0, "warning");
    assert_eq!(doctor(&dir, &new_key, "2027-05-31T00:00:00Z").0, "error");

    // The same key twice is refused, and the trust file is left as it was.
    let before = std::fs::read(&trust_path).unwrap();
    let again = clyra(&[
        "keys",
        "rotate",
        "--trust",
        &trust_path,
        "--key",
        &new_key,
        "--at",
        "2027-01-01T00:00:00Z",
    ]);
    assert_eq!(again.status.code(), Some(4));
    assert_eq!(std::fs::read(&trust_path).unwrap(), before);
}

fn script() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../signer/tests/data/openssl-signer.sh")
        .display()
        .to_string()
}

#[test]
fn a_signer_command_signs_bundles_the_cli_builds() {
    let dir = TempDir::new();
    setup(&dir);
    // OpenSSL 3.0 reads PKCS#8 v1: the test signer's key is made by openssl.
    let key = dir.path("kms.pem");
    let made = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out", &key])
        .status()
        .unwrap();
    assert!(made.success());
    let public = dir.path("kms.pub");
    let made = std::process::Command::new("openssl")
        .args(["pkey", "-in", &key, "-pubout", "-out", &public])
        .status()
        .unwrap();
    assert!(made.success());
    let uri = format!("cmd:/usr/bin/env CLYRA_TEST_SIGNER_KEY={key} {}", script());
    let bundle = dir.path("run.zip");
    let built = build(&dir, &uri, &bundle, "2026-11-20T09:01:16Z");
    assert!(built.status.success(), "{}", text(&built.stderr));
    assert_eq!(
        verify(&bundle, &public, "2026-12-01T00:00:00Z"),
        ("VALID".into(), "ok".into(), 0)
    );
    // A failing command: exit 4 with the signer's code, nothing written.
    let uri = format!(
        "cmd:/usr/bin/env CLYRA_TEST_SIGNER_KEY={key} CLYRA_TEST_SIGNER_MODE=exit4 {}",
        script()
    );
    let out = dir.path("refused.zip");
    let refused = build(&dir, &uri, &out, "2026-11-20T09:01:16Z");
    assert_eq!(refused.status.code(), Some(4));
    assert!(
        text(&refused.stderr).contains("signer.pin"),
        "{}",
        text(&refused.stderr)
    );
    assert!(!Path::new(&out).exists());

    // `clyra doctor --key cmd:…` opens the signer and checks one test signature.
    let key_finding = |uri: &str| {
        let out = clyra(&[
            "doctor",
            "--dir",
            &dir.path(""),
            "--key",
            uri,
            "--format",
            "json",
        ]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == "key")
            .unwrap()
            .clone()
    };
    let good = format!("cmd:/usr/bin/env CLYRA_TEST_SIGNER_KEY={key} {}", script());
    let found = key_finding(&good);
    assert_eq!(found["status"], "ok", "{found}");
    assert!(
        found["message"].as_str().unwrap().contains(&keyid(&public)),
        "{found}"
    );
    let bad = format!(
        "cmd:/usr/bin/env CLYRA_TEST_SIGNER_KEY={key} CLYRA_TEST_SIGNER_MODE=garbage {}",
        script()
    );
    let found = key_finding(&bad);
    assert_eq!(found["status"], "error", "{found}");
    assert!(
        found["message"].as_str().unwrap().contains("signer."),
        "{found}"
    );
}

#[test]
fn secrets_never_reach_errors() {
    let dir = TempDir::new();
    setup(&dir);
    let out = dir.path("x.zip");
    let pin_uri = "pkcs11:token=t;object=k?module-path=/nonexistent.so&pin-value=hunter2-PIN-7731";
    let refused = build(&dir, pin_uri, &out, "2026-11-20T09:01:16Z");
    assert_eq!(refused.status.code(), Some(4));
    let all = format!("{}{}", text(&refused.stdout), text(&refused.stderr));
    assert!(
        all.contains("signer.pin") && !all.contains("hunter2"),
        "{all}"
    );
    // A damaged key file: the error names the file, never its content.
    let pem = std::fs::read_to_string(dir.path("old/clyra.key")).unwrap();
    let damaged = dir.write(
        "damaged.key",
        pem.replace("PRIVATE KEY", "PRIVATE KEYS").as_bytes(),
    );
    let refused = build(&dir, &damaged, &out, "2026-11-20T09:01:16Z");
    let all = format!("{}{}", text(&refused.stdout), text(&refused.stderr));
    assert_eq!(refused.status.code(), Some(4));
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!all.contains(line), "{all}");
    }
    // The same in JSON output.
    let refused = clyra(&[
        "--format",
        "json",
        "sign",
        &dir.path("none.zip"),
        "--key",
        pin_uri,
    ]);
    assert!(
        !text(&refused.stdout).contains("hunter2") && !text(&refused.stderr).contains("hunter2")
    );
}
