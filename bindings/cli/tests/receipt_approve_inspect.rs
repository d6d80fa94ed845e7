//! `clyra receipt extract|verify`, `clyra approve` and `clyra inspect` end to end, through the
//! built binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{clyra, ok, verdict, TempDir};

use std::path::Path;

use clyra_core::crypto::PublicKey;
use clyra_core::Limits;

const AT: &str = "2026-12-01T00:00:00Z";
const NONCE: &str = "n-7f3c9a21e4b04d5e8a1b2c3d4e5f6071";

/// The worked bundle spec of spec/bundle-v0.md §9.6, with `approvals.required` = `required`.
fn example_spec(required: u32) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/bundle-v0.md"),
    )
    .unwrap();
    let after = &text[text.find("<!-- example: bundle-spec-v0 -->").unwrap()..];
    let open = after.find("```json").unwrap() + 7;
    let close = open + after[open..].find("```").unwrap();
    let mut spec: serde_json::Value = serde_json::from_str(&after[open..close]).unwrap();
    spec["approvals"]["required"] = required.into();
    spec.to_string()
}

/// Keys `a` (Ed25519 producer) and `b` (P-256 approver), the spec, and a trust holding both.
fn setup(dir: &TempDir, required: u32) {
    for (name, alg) in [("a", "ed25519"), ("b", "p256")] {
        ok(&clyra(&["keygen", "--alg", alg, "--out", &dir.path(name)]));
    }
    std::fs::write(dir.path("spec.json"), example_spec(required)).unwrap();
    let entry = |name: &str, scheme: &str, role: &str| {
        let pem = std::fs::read_to_string(dir.path(&format!("{name}/clyra.pub"))).unwrap();
        let key = PublicKey::from_pem(pem.as_bytes(), &Limits::default()).unwrap();
        serde_json::json!({
            "keyid": key.keyid(), "scheme": scheme, "public_key_pem": pem, "roles": [role],
        })
    };
    let trust = serde_json::json!({
        "version": 0,
        "keys": [entry("a", "ed25519", "producer"), entry("b", "ecdsa-p256-sha256", "approver")],
        "thresholds": {"producer": 1},
    });
    std::fs::write(dir.path("trust.json"), trust.to_string()).unwrap();
}

fn build(dir: &TempDir, extra: &[&str]) -> String {
    let out = dir.path("run.zip");
    let (spec, key) = (dir.path("spec.json"), dir.path("a/clyra.key"));
    std::fs::write(dir.path("run_results.json"), b"{\"results\":[]}\n").unwrap();
    let artifact = format!("run_results.json={}", dir.path("run_results.json"));
    let mut args = vec![
        "bundle",
        "build",
        "--artifact",
        &artifact,
        "--spec",
        &spec,
        "--key",
        &key,
        "--out",
        &out,
        "--signed-at",
        "2026-11-20T09:01:16Z",
    ];
    args.extend_from_slice(extra);
    ok(&clyra(&args));
    out
}

#[test]
fn receipt_extract_then_verify_and_tamper() {
    let dir = TempDir::new();
    setup(&dir, 0);
    let bundle = build(&dir, &[]);
    let receipt = dir.path("r.json");
    ok(&clyra(&[
        "receipt", "extract", &bundle, "--event", "1", "--out", &receipt,
    ]));
    let trust = dir.path("trust.json");
    let check = |file: &str| verdict(&["receipt", "verify", file, "--trust", &trust, "--at", AT]);
    assert_eq!(check(&receipt), ("VALID".into(), "ok".into(), 0));
    // Human output too.
    let human = clyra(&["receipt", "verify", &receipt, "--trust", &trust, "--at", AT]);
    assert_eq!(human.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&human.stdout).contains("VALID"));
    // verdicts.md §3.2: a receipt verdict says what it does not cover, in words and in JSON.
    assert!(String::from_utf8_lossy(&human.stdout)
        .contains("NOT COVERED   artifacts, journal (other lines), approvals, policy"));
    let json = clyra(&[
        "receipt", "verify", &receipt, "--trust", &trust, "--at", AT, "--format", "json",
    ]);
    assert!(String::from_utf8_lossy(&json.stdout)
        .contains(r#""not_covered":["artifacts","journal","approvals","policy"]"#));
    // Refuses to overwrite; --force replaces.
    let again = clyra(&[
        "receipt", "extract", &bundle, "--event", "1", "--out", &receipt,
    ]);
    assert_eq!(again.status.code(), Some(4));
    ok(&clyra(&[
        "receipt", "extract", &bundle, "--event", "2", "--out", &receipt, "--force",
    ]));
    assert_eq!(check(&receipt), ("VALID".into(), "ok".into(), 0));
    // No such event: exit 4.
    let none = clyra(&[
        "receipt",
        "extract",
        &bundle,
        "--event",
        "99",
        "--out",
        &dir.path("none.json"),
        "--format",
        "json",
    ]);
    assert_eq!(none.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&none.stdout).contains("receipt.no_event"));
    // Tampered event data: INVALID, exit 1.
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&receipt).unwrap()).unwrap();
    value["event"]["data"] = serde_json::json!({"tampered": true});
    let tampered = dir.path("tampered.json");
    std::fs::write(&tampered, value.to_string()).unwrap();
    assert_eq!(
        check(&tampered),
        ("INVALID".into(), "receipt.proof".into(), 1)
    );
}

#[test]
fn approve_then_build_then_verify() {
    let dir = TempDir::new();
    setup(&dir, 1);
    let approval = dir.path("lee.dsse.json");
    let (spec, key_b) = (dir.path("spec.json"), dir.path("b/clyra.key"));
    ok(&clyra(&[
        "approve",
        "--spec",
        &spec,
        "--key",
        &key_b,
        "--sso-sub",
        "lee.ortiz@acme.example",
        "--idp-domain",
        "acme.okta.com",
        "--mfa",
        "--expires",
        "2026-11-21T08:30:00Z",
        "--approved-at",
        "2026-11-20T08:30:00Z",
        "--nonce",
        NONCE,
        "--out",
        &approval,
    ]));
    let pair = format!("{approval}={NONCE}");
    let pub_b = dir.path("b/clyra.pub");
    let bundle = build(&dir, &["--approval", &pair, "--approver-key", &pub_b]);
    let trust = dir.path("trust.json");
    assert_eq!(
        verdict(&["verify", &bundle, "--trust", &trust, "--at", AT]),
        ("VALID".into(), "ok".into(), 0)
    );
    // Inspect shows the approval and the schema delta.
    let human = clyra(&["inspect", &bundle]);
    ok(&human);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("lee.ortiz@acme.example"), "{text}");
    assert!(text.contains("columns added: discount_cents"), "{text}");
    let json = clyra(&["inspect", &bundle, "--format", "json"]);
    ok(&json);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["format"], "def/v0");
    assert_eq!(v["schema_deltas"][0]["columns_added"][0], "discount_cents");
    assert_eq!(
        v["approvals"]["entries"][0]["sso_sub"],
        "lee.ortiz@acme.example"
    );
    assert_eq!(v["signers"][0]["scheme"], "ed25519");
    assert_eq!(v["journal"]["count"], 3);
    // An approval past its expiry is refused by the approver's own tool.
    let bad = clyra(&[
        "approve",
        "--spec",
        &spec,
        "--key",
        &key_b,
        "--sso-sub",
        "lee",
        "--idp-domain",
        "acme.okta.com",
        "--expires",
        "2026-11-19T00:00:00Z",
        "--approved-at",
        "2026-11-20T08:30:00Z",
        "--nonce",
        NONCE,
        "--out",
        &dir.path("bad.json"),
        "--format",
        "json",
    ]);
    assert_eq!(bad.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("build.approval"));
}

#[test]
fn help_lists_the_new_commands() {
    let out = clyra(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["receipt", "approve", "inspect"] {
        assert!(text.contains(cmd), "{text}");
    }
    ok(&clyra(&["receipt", "extract", "--help"]));
    ok(&clyra(&["receipt", "verify", "--help"]));
}
