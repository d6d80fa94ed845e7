//! `clyra verify --auditor` end to end on the demo bundles: the auditor view after the checks
//! (human) or as the `audit` member (JSON), with exit codes unchanged.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;
use common::{clyra, TempDir};

use std::process::Output;

use clyra_core::jcs::{self, Value};
use clyra_core::Limits;

const AT: &str = "2026-11-21T09:00:47Z";

fn demo() -> TempDir {
    let dir = TempDir::new();
    let out = clyra(&["demo", "--out", dir.0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    dir
}

fn verify_def(dir: &TempDir, extra: &[&str]) -> Output {
    let (bundle, trust, policy) = (
        dir.path("def.zip"),
        dir.path("trust.json"),
        dir.path("def-policy.json"),
    );
    let mut args = vec![
        "verify", &bundle, "--trust", &trust, "--policy", &policy, "--at", AT,
    ];
    args.extend_from_slice(extra);
    clyra(&args)
}

#[test]
fn auditor_view_of_the_demo_def_bundle() {
    let dir = demo();
    let out = verify_def(&dir, &["--auditor"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    // The checks come first, unchanged, then the auditor view.
    let (checks, view) = text.split_once("AUDITOR VIEW\n").unwrap();
    assert!(checks.contains("VALID (ok)") && checks.ends_with("exit 0\n\n"));
    let summary = view.lines().next().unwrap();
    assert!(summary.starts_with("Summary: Schema change to `model.shop.orders` in production"));
    // The demo's two approvers (commands/demo.rs).
    assert!(summary.contains("lee.ortiz@acme.example"), "{summary}");
    assert!(summary.contains("sam.kim@acme.example"), "{summary}");
    assert!(summary.ends_with("risk 40/100"), "{summary}");
    assert!(view.contains("source.shop.raw.orders\n"));
    assert!(view.contains("  └── model.shop.stg_orders\n"));
    assert!(view.contains("      └── model.shop.orders [changed]\n"));
    assert!(view.contains("HIPAA 164.312(b)"));
    assert!(view.contains("SOX ITGC COSO P10"));
    assert!(view.contains("EU AI Act Art. 12(1)"));
    assert!(view.contains("raw 40; score min(100, max(0, 40)) = 40; recorded 40"));
    // risk-v1.md §2.3: the weights stand beside the score, and whether a policy checked them.
    assert!(
        view.contains("  weights: magnitude_schema 20, magnitude_data 10,"),
        "{view}"
    );
    assert!(view.contains("checked against the given policy"), "{view}");
    // Without --policy the weights are the producer's own choice, and the view says so.
    let (bundle, trust) = (dir.path("def.zip"), dir.path("trust.json"));
    let out = clyra(&[
        "verify",
        &bundle,
        "--trust",
        &trust,
        "--at",
        AT,
        "--auditor",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("were NOT checked: give --policy"), "{text}");
}

#[test]
fn auditor_json_adds_an_audit_member_and_keeps_the_verdict() {
    let dir = demo();
    let plain = verify_def(&dir, &["--format", "json"]);
    let audited = verify_def(&dir, &["--auditor", "--format", "json"]);
    assert_eq!(plain.status.code(), audited.status.code());
    let limits = Limits::default();
    let plain = jcs::parse(plain.stdout.trim_ascii_end(), &limits).unwrap();
    let Value::Object(mut audited) = jcs::parse(audited.stdout.trim_ascii_end(), &limits).unwrap()
    else {
        panic!("not an object")
    };
    let audit = audited.remove("audit").unwrap();
    assert_eq!(Value::from(audited), plain);
    let summary = audit.get("summary").and_then(Value::as_str).unwrap();
    assert!(summary.ends_with("risk 40/100"), "{summary}");
    assert_eq!(
        audit
            .get("risk")
            .and_then(|r| r.get("raw"))
            .and_then(Value::as_u64),
        Some(40)
    );
    assert_eq!(
        audit.get("steps").and_then(Value::as_array).unwrap().len(),
        11
    );
    let risk = audit.get("risk").unwrap();
    assert_eq!(
        risk.get("weights_checked").and_then(Value::as_bool),
        Some(true)
    );
    assert_eq!(
        risk.get("weights")
            .and_then(|w| w.get("production"))
            .and_then(Value::as_u64),
        Some(15)
    );
}

#[test]
fn auditor_mode_keeps_the_exit_code_of_a_damaged_bundle() {
    let dir = demo();
    std::fs::write(dir.path("def.zip"), b"not a zip").unwrap();
    let plain = verify_def(&dir, &[]);
    let audited = verify_def(&dir, &["--auditor"]);
    assert_eq!(plain.status.code(), Some(1));
    assert_eq!(audited.status.code(), Some(1));
    let text = String::from_utf8(audited.stdout).unwrap();
    assert!(text.contains("Summary: The manifest could not be read"));
    assert!(
        text.contains("container  DOES NOT SUPPORT (fail: zip.eocd)"),
        "{text}"
    );
}
