//! `clyra policy canon|lint|eval|init` and `clyra doctor` end to end: the built binary, its
//! output in both formats and its exit codes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{clyra, text, TempDir};

#[test]
fn init_writes_a_policy_that_lints_clean_and_refuses_to_overwrite() {
    let dir = TempDir::new();
    let path = dir.path(".clyra/policy.yaml");
    let out = clyra(&["policy", "init", "--env", "prod", "--out", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("policy hash sha256:"));
    let out = clyra(&["policy", "lint", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("0 errors, 0 warnings"));
    let out = clyra(&["policy", "init", "--env", "dev", "--out", &path]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("(cli.exists)"));
    let out = clyra(&["policy", "init", "--env", "dev", "--out", &path, "--force"]);
    assert_eq!(out.status.code(), Some(0));
    let out = clyra(&["policy", "init", "--env", "dev"]);
    assert_eq!(text(&out.stdout), std::fs::read_to_string(&path).unwrap());
}

#[test]
fn lint_exit_codes_and_formats() {
    let dir = TempDir::new();
    let bad = dir.write("bad.yaml", b"version: 1\ndata_platform:\n  mode: always\n");
    let out = clyra(&["policy", "lint", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("{bad}:3:9: error [policy.schema]")),
        "{stdout}"
    );
    assert!(stdout.contains("  fix: "), "{stdout}");
    let warn = dir.write("warn.yaml", b"version: 1\ndata_platform:\n  rules:\n    - {id: a, when: 'change.environment == \"prod\"', decision: deny}\n");
    let out = clyra(&["policy", "lint", &warn, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["L001", "L003"]);
    assert_eq!(v["findings"][0]["fix"]["edit"]["op"], "replace");
    assert_eq!(
        v["findings"][0]["fix"]["yaml"],
        "when: 'change.environment == \"production\"'"
    );
    let out = clyra(&["policy", "lint", &dir.path("missing.yaml")]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("(cli.io)"));
}

#[test]
fn canon_prints_the_json_whose_hash_is_the_policy_hash() {
    let dir = TempDir::new();
    let p = dir.write("p.yaml", b"# comment\nversion: 1\nname: 'x'\n");
    let out = clyra(&["policy", "canon", &p]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), r#"{"name":"x","version":1}"#);
    let out = clyra(&["policy", "canon", &p, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    use sha2_hex::digest;
    assert_eq!(
        v["policy_hash"].as_str().unwrap(),
        digest(br#"{"name":"x","version":1}"#)
    );
    let bad = dir.write("bad.yaml", b"a: !!str x\n");
    let out = clyra(&["policy", "canon", &bad]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("bad.yaml:1:")
            && text(&out.stderr).contains("(policy.yaml_subset)"),
        "{}",
        text(&out.stderr)
    );
}

mod sha2_hex {
    pub fn digest(bytes: &[u8]) -> String {
        clyra_core::digest::Sha256Digest::of(bytes).to_prefixed()
    }
}

#[test]
fn eval_prints_decision_reason_and_exits_by_decision() {
    let dir = TempDir::new();
    let policy = dir.path("policy.yaml");
    assert_eq!(
        clyra(&["policy", "init", "--env", "prod", "--out", &policy])
            .status
            .code(),
        Some(0)
    );
    let cases = [
        (r#"{"change":{"environment":"development"}}"#, 0, "allow"),
        (
            r#"{"change":{"environment":"production"},"dbt":{"tests_failed":1}}"#,
            1,
            "deny",
        ),
        (
            r#"{"change":{"environment":"production"}}"#,
            2,
            "require_approval",
        ),
    ];
    for (facts, exit, decision) in cases {
        let f = dir.write("facts.json", facts.as_bytes());
        let out = clyra(&["policy", "eval", &policy, "--facts", &f]);
        assert_eq!(
            out.status.code(),
            Some(exit),
            "{facts}: {}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stdout).starts_with(&format!("decision: {decision}")),
            "{}",
            text(&out.stdout)
        );
        let out = clyra(&["policy", "eval", &policy, "--facts", &f, "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
        assert_eq!(v["decision"], decision);
        assert!(v["reason"].as_str().unwrap().len() > 10);
        assert!(v["decisions"].is_array());
    }
    let f = dir.write("facts.json", br#"{"change":{"enviroment":"production"}}"#);
    let out = clyra(&["policy", "eval", &policy, "--facts", &f]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("(policy.unknown_fact)"),
        "{}",
        text(&out.stderr)
    );
    let f = dir.write("facts.json", b"{");
    let out = clyra(&["policy", "eval", &policy, "--facts", &f, "--format", "json"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stdout).contains(r#""code":"policy.facts""#));
}

#[test]
fn doctor_reports_each_problem_with_a_fix_then_passes() {
    let dir = TempDir::new();
    let root = dir.path("");
    let out = clyra(&["doctor", "--dir", &root]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("ERROR    policy")
            && stdout.contains("fix: clyra policy init --env prod --out"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ERROR    key") && stdout.contains("fix: clyra keygen --out"),
        "{stdout}"
    );
    assert!(stdout.contains("skipped  dbt"), "{stdout}");
    // Fix them: policy, key, trust holding the key as producer.
    let clyra_dir = dir.path(".clyra");
    assert_eq!(
        clyra(&[
            "policy",
            "init",
            "--env",
            "prod",
            "--out",
            &format!("{clyra_dir}/policy.yaml")
        ])
        .status
        .code(),
        Some(0)
    );
    let keys = format!("{clyra_dir}/keys");
    let out = clyra(&["keygen", "--out", &keys, "--format", "json"]);
    let key: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let pem = std::fs::read_to_string(format!("{keys}/clyra.pub")).unwrap();
    let trust = serde_json::json!({"version": 0, "keys": [{"keyid": key["keyid"], "scheme": "ed25519", "public_key_pem": pem, "roles": ["producer"]}], "thresholds": {"producer": 1}});
    let trust_bytes =
        clyra_core::jcs::canonicalize(trust.to_string().as_bytes(), &clyra_core::Limits::default())
            .unwrap();
    std::fs::write(format!("{clyra_dir}/trust.json"), trust_bytes).unwrap();
    let out = clyra(&["doctor", "--dir", &root, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let statuses: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["ok", "ok", "ok", "skipped", "skipped", "ok"]);
    // A dbt project makes python3 and dbt relevant.
    std::fs::write(dir.path("dbt_project.yml"), "name: x\n").unwrap();
    let out = clyra(&["doctor", "--dir", &root, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_ne!(v["findings"][4]["status"], "skipped");
}

/// The lint output shown in docs/policy.md is what `clyra policy lint` prints for the YAML block
/// above it (run in a folder holding it as `policy.yaml`).
#[test]
fn docs_lint_output_is_real() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/policy.md"))
        .unwrap();
    let after = &doc[doc.find("<!-- policy: lint L001 L003 -->").unwrap()..];
    let yaml_open = after.find("```yaml\n").unwrap() + 8;
    let yaml = &after[yaml_open..yaml_open + after[yaml_open..].find("```").unwrap()];
    let text_open = after.find("```text\n").unwrap() + 8;
    let shown = &after[text_open..text_open + after[text_open..].find("```").unwrap()];
    let dir = TempDir::new();
    dir.write("policy.yaml", yaml.as_bytes());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clyra"))
        .args(["policy", "lint", "policy.yaml"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let printed = text(&out.stdout);
    for line in shown.lines() {
        assert!(
            printed.lines().any(|l| l == line),
            "docs line not printed: {line}\n{printed}"
        );
    }
}
