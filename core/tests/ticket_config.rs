//! The ticket configuration (spec/ticket-config-v0.md): docs/integrations.md's examples load
//! (STYLE rule 19), errors carry line and column, and the rendered ticket follows §2–§5.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use clyra_core::jcs;
use clyra_core::ticket::{TicketConfig, TicketFacts};
use clyra_core::{Coded, Limits};

fn load(text: &str) -> Result<TicketConfig, clyra_core::ticket::TicketError> {
    TicketConfig::load(text.as_bytes(), "t.yaml", &Limits::default())
}

fn docs_examples() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/integrations.md"
    ))
    .unwrap();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("<!-- ticket-config -->") {
        rest = &rest[i..];
        let open = rest.find("```yaml\n").unwrap() + 8;
        let close = open + rest[open..].find("```").unwrap();
        out.push(rest[open..close].to_owned());
        rest = &rest[close..];
    }
    out
}

#[test]
fn the_documented_configurations_load() {
    let examples = docs_examples();
    assert_eq!(examples.len(), 2);
    for yaml in examples {
        load(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    }
}

#[test]
fn errors_name_line_and_column() {
    let e = load("version: 0\nverification_url: x\nservicenow:\n  instance: ftp://x\n  auth: {method: basic, username: {env: U}, password: {env: P}}\n").unwrap_err();
    assert_eq!(e.code(), "ticket.config");
    assert_eq!(e.location().map(|l| l.line), Some(4), "{e}");
    let e = load("version: 0\nverification_url: \"{bundle_id\"\n").unwrap_err();
    assert_eq!(e.location().map(|l| l.line), Some(2), "{e}");
    let e = load("version: 0\nverification_url: x\njira:\n  site: https://a.atlassian.net\n  project: ops\n  auth: {method: bearer, token: {env: T}}\n").unwrap_err();
    assert_eq!(e.location().map(|l| l.line), Some(5), "{e}");
    assert!(load("version: 0\n").is_err());
    assert!(load("version: 0\nverification_url: x\nretry: {base_delay_ms: -1}\n").is_err());
}

fn manifest() -> jcs::Value {
    jcs::parse(
        br#"{"bundle_id":"b-1","format":"def/v0","change":{"kind":"data","subject":"model.shop.orders","environment":"production","actor":"dana"},
            "approvals":{"required":1,"approvals":[{"file":"approvals/0001.dsse.json"}]},"risk":{"score":25,"algorithm":"risk/v1"},
            "policy":{"required":false,"decisions":[{"rule":"r1","decision":"allow","mode":"shadow","reason":"ok"}]},
            "def":{"run":{"tool":"dbt","command":"dbt build","status":"success"},"tests":[{"id":"t1","status":"pass"},{"id":"t2","status":"fail"}],"assets":[]}}"#,
        &Limits::default(),
    )
    .unwrap()
}

#[test]
fn the_ticket_says_what_the_bundle_says() {
    let config = load("version: 0\nverification_url: \"https://v.example/#b={bundle_id}&s={change.subject}\"\njira:\n  site: https://a.atlassian.net\n  project: OPS\n  auth: {method: bearer, token: {env: T}}\n  fields: {sox_compliant: customfield_1}\n").unwrap();
    let facts = TicketFacts::new(
        "run.zip",
        &"ab".repeat(32),
        "VALID",
        "ok",
        Some(manifest()),
        None,
        Some("badge:1".into()),
    );
    assert_eq!(
        facts.attestation_hash,
        format!("sha256:{}", "ab".repeat(32))
    );
    assert_eq!(facts.attestation_type, "https://clyra.dev/def/v0");
    assert!(!facts.sox_compliant, "a failing test");
    assert!(
        facts.framework_status.starts_with("sox=failing; pci="),
        "{}",
        facts.framework_status
    );
    assert_eq!(
        facts.verification_link(&config).unwrap(),
        "https://v.example/#b=b-1&s=model.shop.orders"
    );
    assert_eq!(
        facts.summary(&config).unwrap(),
        "Clyra evidence: data change to model.shop.orders (production)"
    );
    let jira = config.jira.as_ref().unwrap();
    let body = facts.jira_body(&config, jira).unwrap();
    assert_eq!(body["fields"]["customfield_1"], "false");
    assert_eq!(
        body["fields"]["labels"][1],
        format!("clyra-{}", "ab".repeat(16))
    );
    let adf = &body["fields"]["description"];
    assert_eq!(
        (adf["type"].as_str(), adf["version"].as_u64()),
        (Some("doc"), Some(1))
    );
    let text = adf.to_string();
    for needle in [
        "failing: t2",
        "required: 1, given: 1",
        "score: 25 (risk/v1)",
        "r1: allow (shadow) ok",
        "verdict: VALID (ok)",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let fields: Vec<&str> = facts.fields("x").iter().map(|(n, _)| *n).collect();
    assert_eq!(fields.last(), Some(&"badge_id"));
}
