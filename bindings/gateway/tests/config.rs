//! The configuration file: validated at start with line and column (gateway-config-v0.md §1),
//! and `clyra-gateway --check-config`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Command;

use clyra_gateway::config::Config;
use common::*;

const GOOD: &str = "version: 0
listen: \"127.0.0.1:0\"
secret_file: secret
evidence:
  dir: evidence
  signing_key: producer.pem
upstreams:
  crm: {url: \"http://127.0.0.1:9\"}
routes:
  - prefix: /crm
    upstream: crm
    rate: {limit: 10, period_ms: 1000}
";

/// `clyra-gateway --check-config path`.
fn check_config(path: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_clyra-gateway"))
        .arg("--check-config")
        .arg(path)
        .output()
        .unwrap()
}

fn error_of(text: &str) -> clyra_gateway::error::GatewayError {
    Config::parse(text.as_bytes(), "gw.yaml").unwrap_err()
}

#[test]
fn errors_carry_line_and_column() {
    assert!(Config::parse(GOOD.as_bytes(), "gw.yaml").is_ok());

    // An unknown key inside a route: the route's line.
    let e = error_of(&GOOD.replace("    upstream: crm\n", "    upstream: crm\n    retries: 3\n"));
    assert_eq!(e.code(), "gateway.config");
    let l = e.location().unwrap();
    assert_eq!((l.file.as_str(), l.line), ("gw.yaml", 10), "{e}");

    // A wrong type: the value's own line and column.
    let e = error_of(&GOOD.replace("limit: 10", "limit: ten"));
    let l = e.location().unwrap();
    assert_eq!(l.line, 12, "{e}");
    assert!(l.column > 10, "{e}");

    // A route naming an undefined upstream.
    let e = error_of(&GOOD.replace("    upstream: crm\n", "    upstream: erp\n"));
    assert!(e.message().contains("`erp`"), "{e}");
    assert_eq!(e.location().unwrap().line, 11, "{e}");

    // Not YAML of the subset (an anchor), and broken YAML.
    let e = error_of(&GOOD.replace("secret_file: secret", "secret_file: &a secret"));
    assert_eq!(e.code(), "gateway.config_yaml");
    assert_eq!(e.location().unwrap().line, 3, "{e}");
    let e = error_of("version: 0\nlisten: [\n");
    assert_eq!(e.code(), "gateway.config_yaml");
    assert!(e.location().is_some(), "{e}");

    // A missing required member, and a rate the core refuses.
    let e = error_of(&GOOD.replace("secret_file: secret\n", ""));
    assert_eq!(e.code(), "gateway.config");
    assert!(e.message().contains("secret_file"), "{e}");
    let e = error_of(&GOOD.replace("limit: 10, period_ms: 1000", "limit: 1000000, period_ms: 1"));
    assert!(e.message().contains("microsecond"), "{e}");
}

#[test]
fn check_config_exits_0_or_4_without_starting() {
    let dir = TempDir::new("check");
    write_files(dir.path());
    let path = dir.path().join("gw.yaml");
    std::fs::write(&path, GOOD).unwrap();
    let run = || check_config(&path);
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !dir.path().join("evidence").exists(),
        "checking starts nothing"
    );

    std::fs::write(&path, GOOD.replace("limit: 10", "limit: -1")).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gw.yaml:12:") && err.contains("(gateway.config)"),
        "{err}"
    );

    // A file the config names is missing.
    std::fs::write(
        &path,
        GOOD.replace("secret_file: secret", "secret_file: nowhere"),
    )
    .unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gateway.config_file"));

    // A detector without a scan (gateway-config-v0.md §7.1); with one it is valid.
    let text = GOOD.replace(
        "    upstream: crm\n",
        "    upstream: crm\n    detector: {url: \"http://127.0.0.1:7/\", timeout_ms: 200}\n",
    );
    std::fs::write(&path, &text).unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gw.yaml:12:") && err.contains("no `scan`"),
        "{err}"
    );
    std::fs::write(
        &path,
        text.replace("    detector:", "    scan: {request: true}\n    detector:"),
    )
    .unwrap();
    assert_eq!(run().status.code(), Some(0));
}

#[test]
fn the_examples_in_docs_gateway_md_are_valid() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/gateway.md"),
    )
    .unwrap();
    let blocks: Vec<&str> = doc
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 4);
    for block in blocks {
        if block.starts_with("version: 0") {
            if let Err(e) = Config::parse(block.as_bytes(), "docs/gateway.md") {
                panic!("{e}\n{block}");
            }
        } else {
            let p = clyra_core::policy::Policy::load(
                block.as_bytes(),
                "docs/gateway.md",
                &Default::default(),
            );
            assert!(p.is_ok(), "{:?}\n{block}", p.err());
        }
    }
}

#[test]
fn policy_sections_are_checked_with_line_and_column() {
    let with_policy = GOOD.replace(
        "secret_file: secret\n",
        "secret_file: secret\npolicy: policy.yaml\n",
    );
    let ok = with_policy.replace(
        "    upstream: crm\n",
        "    upstream: crm\n    policy_sections: [enforcement, genai_security]\n",
    );
    let c = Config::parse(ok.as_bytes(), "gw.yaml").unwrap();
    assert_eq!(
        c.routes[0].policy_sections.as_deref(),
        Some(&["enforcement".to_owned(), "genai_security".to_owned()][..])
    );
    // Not a section: the item's line and column.
    let e = error_of(&with_policy.replace(
        "    upstream: crm\n",
        "    upstream: crm\n    policy_sections: [enforcement, enforcment]\n",
    ));
    assert_eq!(e.code(), "gateway.config");
    let l = e.location().unwrap();
    assert_eq!(l.line, 13, "{e}");
    assert!(l.column > 20, "{e}");
    // Empty, and repeated.
    for bad in ["[]", "[enforcement, enforcement]"] {
        let e = error_of(&with_policy.replace(
            "    upstream: crm\n",
            &format!("    upstream: crm\n    policy_sections: {bad}\n"),
        ));
        assert_eq!(e.location().unwrap().line, 13, "{bad}: {e}");
    }
    // Sections without a policy file.
    let e = error_of(&GOOD.replace(
        "    upstream: crm\n",
        "    upstream: crm\n    policy_sections: [enforcement]\n",
    ));
    assert!(e.message().contains("no `policy`"), "{e}");
    assert_eq!(e.location().unwrap().line, 12, "{e}");
}

#[test]
fn detector_and_sweep_settings_are_checked_with_line_and_column() {
    use clyra_gateway::config::DetectorFallback;
    let scanned = GOOD.replace(
        "    upstream: crm\n",
        "    upstream: crm\n    scan: {request: true}\n",
    );
    let with = |detector: &str| {
        scanned.replace(
            "    scan: {request: true}\n",
            &format!("    scan: {{request: true}}\n    detector: {detector}\n"),
        )
    };
    // Defaults: the 500 ms of guard-genai.md §10, fallback closed.
    let c = Config::parse(
        with("{url: \"http://127.0.0.1:7/detect\"}").as_bytes(),
        "gw.yaml",
    )
    .unwrap();
    let d = c.routes[0].detector.as_ref().unwrap();
    assert_eq!((d.timeout_ms, d.fallback), (500, DetectorFallback::Closed));
    let c = Config::parse(
        with("{url: \"http://127.0.0.1:7/\", timeout_ms: 50, fallback: open}").as_bytes(),
        "gw.yaml",
    )
    .unwrap();
    let d = c.routes[0].detector.as_ref().unwrap();
    assert_eq!((d.timeout_ms, d.fallback), (50, DetectorFallback::Open));
    // More than 500 ms, no time at all, a fallback that is not one, TLS, no url: the line of
    // the detector.
    for bad in [
        "{url: \"http://127.0.0.1:7/\", timeout_ms: 501}",
        "{url: \"http://127.0.0.1:7/\", timeout_ms: 0}",
        "{url: \"http://127.0.0.1:7/\", fallback: ignore}",
        "{url: \"https://vendor.example/detect\"}",
        "{timeout_ms: 100}",
    ] {
        let e = error_of(&with(bad));
        assert_eq!(e.code(), "gateway.config", "{bad}");
        assert_eq!(e.location().unwrap().line, 13, "{bad}: {e}");
    }
    // A detector asks on the scan's texts: without `scan` it is an error.
    let e = error_of(&GOOD.replace(
        "    upstream: crm\n",
        "    upstream: crm\n    detector: {url: \"http://127.0.0.1:7/\"}\n",
    ));
    assert!(e.message().contains("no `scan`"), "{e}");
    assert_eq!(e.location().unwrap().line, 12, "{e}");

    // The sweep interval: default 10 s, bounds 10 ms – 1 h.
    let approvals = GOOD.replace(
        "secret_file: secret\n",
        "secret_file: secret\napprovals: {trust: trust.json, ttl_s: 60}\n",
    );
    let c = Config::parse(approvals.as_bytes(), "gw.yaml").unwrap();
    assert_eq!(c.approvals.unwrap().sweep_ms, 10_000);
    let c = Config::parse(
        approvals
            .replace("ttl_s: 60", "ttl_s: 60, sweep_ms: 250")
            .as_bytes(),
        "gw.yaml",
    )
    .unwrap();
    assert_eq!(c.approvals.unwrap().sweep_ms, 250);
    for bad in ["sweep_ms: 9", "sweep_ms: 3600001"] {
        let e = error_of(&approvals.replace("ttl_s: 60", &format!("ttl_s: 60, {bad}")));
        assert_eq!(e.location().unwrap().line, 4, "{bad}: {e}");
    }
}
