//! Strings a bundle, receipt or file name controls never drive the terminal (verdicts.md §3.3):
//! human output escapes them visibly, JSON output carries them exactly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;
use common::{build_bundle, clyra, example_spec, text, TempDir};

use clyra_core::display::is_unsafe;
use serde_json::{json, Value};

/// Erase the line, return to its start and print a forged verdict; a right-to-left override; a C1
/// CSI; DEL; and a literal backslash sequence that must stay distinguishable from a real escape.
const EVIL: &str = "\u{1b}[2K\rVALID (ok)\n  ok forged \u{202e}gnp.exe \u{9b}31m \u{7f} \\x1b";
/// How [`EVIL`] reads once escaped.
const EVIL_SHOWN: &str =
    "\\x1b[2K\\rVALID (ok)\\n  ok forged \\u{202e}gnp.exe \\u{9b}31m \\x7f \\\\x1b";
const AT: &str = "2026-12-01T00:00:00Z";

/// A signed bundle whose subject, actor, deployer, summary and a policy decision's reason carry
/// [`EVIL`], built through `clyra bundle build --spec` like any producer's.
fn hostile_bundle(dir: &TempDir) -> (String, String) {
    let key_dir = dir.path("k");
    let out = clyra(&["keygen", "--out", &key_dir]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut spec: Value = serde_json::from_str(&example_spec()).unwrap();
    spec["change"]["subject"] = json!(format!("model.shop.orders{EVIL}"));
    spec["change"]["actor"] = json!(format!("dana{EVIL}"));
    spec["change"]["deployer"] = json!("ci\u{2066}bot\u{2069}\u{200f}\u{61c}");
    spec["change"]["summary"] = json!(format!("sum\tmary{EVIL}"));
    spec["policy"] = json!({
        "hash": format!("sha256:{}", "ab".repeat(32)),
        "required": false,
        "decisions": [{"rule": "no_prod_friday", "decision": "deny", "mode": "shadow",
                       "reason": format!("because{EVIL}")}],
    });
    let spec_path = dir.write("spec.json", spec.to_string().as_bytes());
    let results = dir.write("run_results.json", b"{\"results\":[]}\n");
    let bundle = dir.path("b.zip");
    let out = build_bundle(
        &spec_path,
        &format!("{key_dir}/clyra.key"),
        &results,
        &bundle,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    (bundle, format!("{key_dir}/clyra.pub"))
}

/// No character of the output may drive a terminal, and the forged line never starts a line.
fn assert_shown_safely(output: &[u8]) -> String {
    let out = String::from_utf8(output.to_vec()).unwrap();
    let raw: Vec<String> = out
        .chars()
        .filter(|c| *c != '\n' && is_unsafe(*c))
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect();
    assert!(raw.is_empty(), "raw {raw:?} in:\n{out}");
    assert!(
        !out.lines()
            .any(|l| l.starts_with("VALID") || l.starts_with("  ok forged")),
        "a forged line:\n{out}"
    );
    out
}

/// `clyra verify BUNDLE --trust TRUST --at AT --auditor` plus `extra`.
fn verify_auditor(bundle: &str, trust: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["verify", bundle, "--trust", trust, "--at", AT, "--auditor"];
    args.extend_from_slice(extra);
    clyra(&args)
}

#[test]
fn verify_and_auditor_escape_what_the_manifest_says() {
    let dir = TempDir::new();
    let (bundle, trust) = hostile_bundle(&dir);
    let out = verify_auditor(&bundle, &trust, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let human = assert_shown_safely(&out.stdout);
    assert!(
        human.contains(&format!(
            "model.shop.orders{EVIL_SHOWN}` in production by dana{EVIL_SHOWN},"
        )),
        "{human}"
    );
    assert!(human.contains(&format!("because{EVIL_SHOWN}\n")), "{human}");

    let out = verify_auditor(&bundle, &trust, &["--format", "json"]);
    let verdict: Value = serde_json::from_slice(&out.stdout).unwrap();
    let summary = verdict["audit"]["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("model.shop.orders{EVIL}`")),
        "{summary}"
    );
    let notes = verdict["audit"]["notes"][0].as_str().unwrap();
    assert!(notes.ends_with(&format!("because{EVIL}")), "{notes}");
}

#[test]
fn inspect_escapes_every_field() {
    let dir = TempDir::new();
    let (bundle, _) = hostile_bundle(&dir);
    let out = clyra(&["inspect", &bundle]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let human = assert_shown_safely(&out.stdout);
    for line in [
        format!("  subject      model.shop.orders{EVIL_SHOWN}\n"),
        format!("  actor        dana{EVIL_SHOWN}\n"),
        "  deployer     ci\\u{2066}bot\\u{2069}\\u{200f}\\u{61c}\n".to_owned(),
        format!("  summary      sum\\tmary{EVIL_SHOWN}\n"),
    ] {
        assert!(human.contains(&line), "{line:?} not in\n{human}");
    }

    let out = clyra(&["inspect", &bundle, "--format", "json"]);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary["change"]["subject"],
        format!("model.shop.orders{EVIL}")
    );
    assert_eq!(
        summary["change"]["deployer"],
        "ci\u{2066}bot\u{2069}\u{200f}\u{61c}"
    );
}

#[test]
fn receipt_verify_escapes_what_the_receipt_says() {
    let dir = TempDir::new();
    let (bundle, trust) = hostile_bundle(&dir);
    let receipt = dir.path("r.json");
    let out = clyra(&[
        "receipt", "extract", &bundle, "--event", "1", "--out", &receipt,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = clyra(&["receipt", "verify", &receipt, "--trust", &trust, "--at", AT]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_shown_safely(&out.stdout);

    // A member the schema does not allow is quoted by the check's message.
    let mut value: Value = serde_json::from_slice(&std::fs::read(&receipt).unwrap()).unwrap();
    value[format!("x{EVIL}")] = json!(1);
    let tampered = dir.write("tampered.json", value.to_string().as_bytes());
    let out = clyra(&[
        "receipt", "verify", &tampered, "--trust", &trust, "--at", AT,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let human = assert_shown_safely(&out.stdout);
    assert!(
        human.contains(&format!("'x{EVIL_SHOWN}' was unexpected")),
        "{human}"
    );

    let out = clyra(&[
        "receipt", "verify", &tampered, "--trust", &trust, "--at", AT, "--format", "json",
    ]);
    let verdict: Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = verdict["checks"][0]["message"].as_str().unwrap();
    assert!(message.contains(&format!("'x{EVIL}'")), "{message}");
}

#[test]
fn errors_escape_the_paths_and_messages_they_quote() {
    let dir = TempDir::new();
    let (bundle, _) = hostile_bundle(&dir);
    let trust = dir.path(&format!("t{}.json", "\u{1b}[2K\rVALID"));
    let out = clyra(&["verify", &bundle, "--trust", &trust, "--at", AT]);
    assert_eq!(out.status.code(), Some(4));
    let stderr = assert_shown_safely(&out.stderr);
    assert!(
        stderr.contains("t\\x1b[2K\\rVALID.json: cannot read"),
        "{stderr}"
    );

    let out = clyra(&[
        "verify", &bundle, "--trust", &trust, "--at", AT, "--format", "json",
    ]);
    let errors: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(errors["errors"][0]["path"], trust.as_str());
}
