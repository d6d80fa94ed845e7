//! `clyra badge issue|verify` (spec/badge-v0.md) end to end over the golden vectors' bundles, a
//! ledger, and PyJWT (a standard JOSE library) verifying our badge with our public key and
//! rejecting an expired, altered or foreign one.
//!
//! The PyJWT part needs `tests/interop/.venv` (`python3 -m venv tests/interop/.venv &&
//! tests/interop/.venv/bin/pip install -r tests/interop/requirements.txt`); without it that test
//! fails when `CI` is set and otherwise prints how to create it and returns.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{clyra, exits, repo, text, vector, TempDir};

use std::path::{Path, PathBuf};
use std::process::Command;

const AT: &str = "2026-12-01T00:00:00Z";

/// Issues a SOX badge over two valid vector bundles into `dir/out`; returns the JSON output.
fn issue(dir: &TempDir, at: Option<&str>, extra: &[&str]) -> serde_json::Value {
    let keygen = clyra(&["keygen", "--out", &dir.path("keys")]);
    assert!(keygen.status.success() || dir.0.join("keys/clyra.key").exists());
    let (b1, b2) = (
        vector("0001-def-minimal", "bundle.zip"),
        vector("0003-def-p256-producer", "bundle.zip"),
    );
    let trust = dir.write("trust.json", &trust_both());
    let key = dir.path("keys/clyra.key");
    let out = dir.path("out");
    let mut args = vec![
        "badge",
        "issue",
        &b1,
        &b2,
        "--trust",
        &trust,
        "--framework",
        "sox",
        "--key",
        &key,
        "--project",
        "acme/shop",
        "--out",
        &out,
        "--format",
        "json",
    ];
    if let Some(at) = at {
        args.extend(["--at", at]);
    }
    args.extend(extra);
    let o = clyra(&args);
    exits(&o, 0);
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A trust file holding the producers of vectors 0001 and 0003.
fn trust_both() -> Vec<u8> {
    let read = |v: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(vector(v, "trust.json")).unwrap()).unwrap()
    };
    let mut a = read("0001-def-minimal");
    let b = read("0003-def-p256-producer");
    let extra = b["keys"][0].clone();
    a["keys"].as_array_mut().unwrap().push(extra);
    serde_json::to_vec(&a).unwrap()
}

fn self_trust(dir: &TempDir) -> String {
    // A bare public key PEM is a trust of one producer key (trust-v0.md).
    dir.path("keys/clyra.pub")
}

fn verify(badge: &str, trust: &str, at: &str) -> (Option<i32>, serde_json::Value) {
    let o = clyra(&[
        "badge", "verify", badge, "--trust", trust, "--at", at, "--format", "json",
    ]);
    (
        o.status.code(),
        serde_json::from_slice(&o.stdout).unwrap_or_default(),
    )
}

#[test]
fn issue_writes_the_badge_files_and_the_claims() {
    let dir = TempDir::new();
    let out = issue(&dir, Some(AT), &[]);
    let claims = &out["claims"];
    assert_eq!(claims["sub"], "acme/shop");
    assert_eq!(claims["framework"], "sox");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        7_776_000
    );
    let ids: Vec<&str> = claims["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "evidence_verified",
            "tests_pass",
            "schema_changes_approved",
            "tickets_created"
        ]
    );
    assert_eq!(claims["criteria"][0]["result"], "pass");
    assert_eq!(claims["criteria"][3]["result"], "not_evaluated");
    // The vector bundles are schema changes without approvals.
    assert_eq!(claims["criteria"][2]["result"], "fail");
    assert_eq!(claims["status"], "failing");
    assert_eq!(claims["evidence"]["bundles"].as_array().unwrap().len(), 2);
    let svg = std::fs::read_to_string(dir.path("out/badge.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("clyra sox") && svg.contains("failing"));
    let endpoint: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path("out/badge.json")).unwrap()).unwrap();
    assert_eq!(endpoint["schemaVersion"], 1);
    assert_eq!(endpoint["message"], "failing");
    assert_eq!(endpoint["color"], "red");
    // Files are never replaced without --force.
    let again = clyra(&[
        "badge",
        "issue",
        &vector("0001-def-minimal", "bundle.zip"),
        "--trust",
        &dir.path("trust.json"),
        "--framework",
        "sox",
        "--key",
        &dir.path("keys/clyra.key"),
        "--project",
        "p",
        "--out",
        &dir.path("out"),
        "--at",
        AT,
        "--format",
        "json",
    ]);
    assert_eq!(again.status.code(), Some(4));
    assert!(
        text(&again.stdout).contains("cli.exists"),
        "{}",
        text(&again.stdout)
    );
}

#[test]
fn tickets_and_ledger_join_the_evidence() {
    let dir = TempDir::new();
    let tickets = dir.write(
        "tickets.json",
        br#"[{"bundle_id":"x","system":"jira","ticket":"OPS-1"}]"#,
    );
    let out = issue(&dir, Some(AT), &["--tickets", &tickets]);
    let c = &out["claims"]["criteria"][3];
    assert_eq!(
        (
            c["result"].as_str(),
            c["judged"].as_u64(),
            c["failed"].as_u64()
        ),
        (Some("fail"), Some(2), Some(2))
    );
    // A malformed ticket record is an input error.
    let bad = dir.write("bad.json", b"{}");
    let o = clyra(&[
        "badge",
        "issue",
        &vector("0001-def-minimal", "bundle.zip"),
        "--trust",
        &dir.path("trust.json"),
        "--framework",
        "sox",
        "--key",
        &dir.path("keys/clyra.key"),
        "--project",
        "p",
        "--out",
        &dir.path("out2"),
        "--at",
        AT,
        "--tickets",
        &bad,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o.stdout).contains("badge.input"));

    // A ledger with one bundle appended: the checkpoint is the evidence; PCI judges its record.
    let ledger = dir.path("ledger");
    let key = dir.path("keys/clyra.key");
    let init = clyra(&["ledger", "init", &ledger, "--key", &key]);
    assert!(init.status.success(), "{}", text(&init.stderr));
    let b = vector("0001-def-minimal", "bundle.zip");
    let append = clyra(&[
        "ledger",
        "append",
        &b,
        "--ledger",
        &ledger,
        "--key",
        &key,
        "--logged-at",
        AT,
    ]);
    assert!(append.status.success(), "{}", text(&append.stderr));
    let o = clyra(&[
        "badge",
        "issue",
        "--ledger",
        &ledger,
        "--framework",
        "pci",
        "--key",
        &key,
        "--project",
        "p",
        "--out",
        &dir.path("out3"),
        "--at",
        AT,
        "--format",
        "json",
    ]);
    exits(&o, 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["claims"]["evidence"]["ledger"]["size"], 1);
    assert_eq!(
        v["claims"]["evidence"]["bundles"].as_array().unwrap().len(),
        0
    );
    let daily = &v["claims"]["criteria"][1];
    assert_eq!(
        (daily["id"].as_str(), daily["result"].as_str()),
        (Some("daily_reviews"), Some("fail"))
    );
    // Bundles without a trust file, and no evidence at all, are refused.
    let o = clyra(&[
        "badge",
        "issue",
        &b,
        "--framework",
        "sox",
        "--key",
        &key,
        "--project",
        "p",
        "--out",
        &dir.path("o4"),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    let o = clyra(&[
        "badge",
        "issue",
        "--framework",
        "sox",
        "--key",
        &key,
        "--project",
        "p",
        "--out",
        &dir.path("o5"),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o.stdout).contains("badge.input"));
}

#[test]
fn verify_gives_a_clear_verdict_and_exit_code() {
    let dir = TempDir::new();
    issue(&dir, Some(AT), &[]);
    let badge = dir.path("out/badge.jws");
    let trust = self_trust(&dir);
    let (code, v) = verify(&badge, &trust, "2026-12-02T00:00:00Z");
    assert_eq!(
        (code, v["outcome"].as_str(), v["primary"].as_str()),
        (Some(0), Some("VALID"), Some("ok"))
    );
    assert_eq!(v["badge"]["status"], "failing");
    let (code, v) = verify(&badge, &trust, "2027-03-01T00:00:00Z");
    assert_eq!(
        (code, v["primary"].as_str()),
        (Some(1), Some("badge.expired"))
    );
    let (code, v) = verify(&badge, &vector("0001-def-minimal", "trust.json"), AT);
    assert_eq!(
        (code, v["outcome"].as_str(), v["primary"].as_str()),
        (
            Some(2),
            Some("VALID_UNTRUSTED"),
            Some("badge.untrusted_key")
        )
    );
    let (code, v) = verify(&badge, &trust, "2026-11-01T00:00:00Z");
    assert_eq!(
        (code, v["primary"].as_str()),
        (Some(3), Some("badge.not_yet_valid"))
    );
    // One character of the signature changed.
    let jws = std::fs::read_to_string(&badge).unwrap();
    let mut altered = jws.trim_end().to_owned();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'Q' } else { 'A' });
    let altered_path = dir.write("altered.jws", altered.as_bytes());
    let (code, v) = verify(&altered_path, &trust, AT);
    assert_eq!(
        (code, v["primary"].as_str()),
        (Some(1), Some("badge.signature"))
    );
    // Unusable inputs are exit 4.
    let o = clyra(&[
        "badge",
        "verify",
        &dir.path("nope.jws"),
        "--trust",
        &trust,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    let o = clyra(&[
        "badge", "verify", &badge, "--trust", &badge, "--format", "json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    // Human output names the verdict.
    let o = clyra(&["badge", "verify", &badge, "--trust", &trust, "--at", AT]);
    assert!(
        text(&o.stdout).contains("VALID (ok)"),
        "{}",
        text(&o.stdout)
    );
}

/// The venv's Python, or `None` (after explaining) when it is missing outside CI.
fn python() -> Option<PathBuf> {
    let python = repo().join("tests/interop/.venv/bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import jwt"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    let how = "python3 -m venv tests/interop/.venv && \
               tests/interop/.venv/bin/pip install -r tests/interop/requirements.txt";
    assert!(
        std::env::var_os("CI").is_none(),
        "PyJWT missing in {}; create it with: {how}",
        python.display()
    );
    println!(
        "SKIPPED PyJWT interop: no PyJWT at {}; create it with: {how}",
        python.display()
    );
    None
}

fn pyjwt(python: &Path, badge: &str, pem: &str) -> (i32, String) {
    let o = Command::new(python)
        .arg(repo().join("tests/interop/verify_badge.py"))
        .args([badge, pem])
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        format!("{}{}", text(&o.stdout), text(&o.stderr)),
    )
}

#[test]
fn pyjwt_verifies_our_badge_and_rejects_expired_altered_and_foreign_ones() {
    let Some(python) = python() else { return };
    let dir = TempDir::new();
    // Issued now (PyJWT judges expiry by its own clock).
    issue(&dir, None, &[]);
    let badge = dir.path("out/badge.jws");
    let pem = dir.path("keys/clyra.pub");
    let (code, out) = pyjwt(&python, &badge, &pem);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok acme/shop failing"), "{out}");

    let jws = std::fs::read_to_string(&badge).unwrap();
    let parts: Vec<&str> = jws.trim_end().split('.').collect();
    let altered = format!(
        "{}.{}A.{}",
        parts[0],
        &parts[1][..parts[1].len() - 1],
        parts[2]
    );
    let altered = dir.write("altered.jws", altered.as_bytes());
    let (code, out) = pyjwt(&python, &altered, &pem);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rejected"), "{out}");

    let other = TempDir::new();
    assert!(clyra(&["keygen", "--out", &other.path("k")])
        .status
        .success());
    let (code, out) = pyjwt(&python, &badge, &other.path("k/clyra.pub"));
    assert_eq!(
        (code, out.contains("InvalidSignatureError")),
        (1, true),
        "{out}"
    );

    // Issued 100 days ago: expired 10 days ago.
    let dir2 = TempDir::new();
    let then = clyra_core_time_days_ago(100);
    issue(&dir2, Some(&then), &[]);
    let (code, out) = pyjwt(
        &python,
        &dir2.path("out/badge.jws"),
        &dir2.path("keys/clyra.pub"),
    );
    assert_eq!(
        (code, out.contains("ExpiredSignatureError")),
        (1, true),
        "{out}"
    );
}

fn clyra_core_time_days_ago(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    clyra_core::time::Timestamp::from_unix_seconds(now - days * 86_400)
        .unwrap()
        .as_str()
        .to_owned()
}

/// `--key` is a key URI: an openssl-made Ed25519 key as a file, as `file:` and behind a signer
/// command gives the same badge bytes (Ed25519 is deterministic); a failing command writes nothing.
#[test]
fn issue_takes_a_key_uri() {
    let dir = TempDir::new();
    let key = dir.path("issuer.pem");
    let made = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out", &key])
        .status()
        .expect("openssl");
    assert!(made.success());
    let public = dir.path("issuer.pub");
    let pubbed = Command::new("openssl")
        .args(["pkey", "-in", &key, "-pubout", "-out", &public])
        .status()
        .unwrap();
    assert!(pubbed.success());
    let signer = repo().join("signer/tests/data/openssl-signer.sh");
    let b1 = vector("0001-def-minimal", "bundle.zip");
    let trust = dir.write("trust.json", &trust_both());
    let run = |uri: &str, out: &str, mode: &str| {
        Command::new(env!("CARGO_BIN_EXE_clyra"))
            .args([
                "badge",
                "issue",
                &b1,
                "--trust",
                &trust,
                "--framework",
                "sox",
                "--key",
                uri,
                "--project",
                "acme/shop",
                "--at",
                AT,
                "--out",
                out,
            ])
            .env("CLYRA_TEST_SIGNER_KEY", &key)
            .env("CLYRA_TEST_SIGNER_MODE", mode)
            .output()
            .unwrap()
    };
    let cmd_uri = format!("cmd:bash {}", signer.display());
    let file_uri = format!("file:{key}");
    let mut badges = Vec::new();
    for (i, uri) in [key.as_str(), file_uri.as_str(), cmd_uri.as_str()]
        .iter()
        .enumerate()
    {
        let out = dir.path(&format!("out{i}"));
        let o = run(uri, &out, "");
        assert_eq!(o.status.code(), Some(0), "{uri}: {o:?}");
        let jws = format!("{out}/badge.jws");
        let (code, verdict) = verify(&jws, &public, AT);
        assert_eq!(code, Some(0), "{uri}: {verdict}");
        badges.push(std::fs::read(&jws).unwrap());
    }
    assert_eq!(badges[0], badges[1]);
    assert_eq!(badges[0], badges[2]);

    let failed = dir.path("failed");
    let o = run(&cmd_uri, &failed, "exit1");
    assert_eq!(o.status.code(), Some(4), "{o:?}");
    assert!(text(&o.stderr).contains("signer.failed"), "{o:?}");
    assert!(!Path::new(&failed).join("badge.jws").exists());

    // A P-256 key signs DSSE, never a badge (alg EdDSA only).
    let p256 = dir.path("p256.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-out", &p256])
        .status()
        .unwrap();
    assert!(made.success());
    let o = run(&p256, &dir.path("p256-out"), "");
    assert_eq!(o.status.code(), Some(4), "{o:?}");
    assert!(text(&o.stderr).contains("badge.key"), "{o:?}");
}
