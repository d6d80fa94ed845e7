//! Every CEL construct of the supported subset (policy-v1.md §4), evaluated; every construct
//! outside it rejected at load; the limits on length, depth and comprehension nesting.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use clyra_core::jcs;
use clyra_core::policy::{evaluate, Decision, Policy, PolicyError};
use clyra_core::{Coded, Limits};

const FACTS: &str = r#"{
  "change": {"kind": "schema", "environment": "production", "actor": "alice@shop.example",
             "deployer": "ci@shop.example", "tables": ["shop.orders", "shop.customers"]},
  "dbt": {"tests_total": 12, "tests_failed": 2, "models": ["orders"]},
  "sql": {"statements": 3, "findings": [{"rule": "sql.drop_table", "severity": "critical", "table": "shop.orders", "score": 9.5},
                                         {"rule": "sql.delete_without_where", "severity": "high", "table": "shop.customers"}]},
  "genai": {"findings": []}
}"#;

fn compile(when: &str) -> Result<Policy, PolicyError> {
    let text = format!(
        "version: 1\ndata_platform:\n  rules:\n    - id: r\n      when: '{}'\n      decision: deny\n",
        when.replace('\'', "''")
    );
    Policy::load(text.as_bytes(), "p.yaml", &Limits::default())
}

fn holds(when: &str) -> bool {
    let policy = compile(when).unwrap_or_else(|e| panic!("`{when}`: {e}"));
    let facts = jcs::parse(FACTS.as_bytes(), &Limits::default()).unwrap();
    let e = evaluate(&policy, &facts).unwrap();
    if let Some(m) = e.matched.first() {
        assert!(m.code.is_none(), "`{when}` failed: {}", m.reason);
    }
    e.decision == Decision::Deny
}

/// Each construct, true and false, on the facts above.
#[test]
fn every_supported_construct_evaluates() {
    let cases: &[(&str, bool)] = &[
        // literals
        ("true", true),
        ("false", false),
        ("null == null", true),
        ("1 == 1", true),
        ("1u == 1u", true),
        ("1.5 == 1.5", true),
        ("\"a\" == 'a'", true),
        // fact selection, every namespace, zero values of absent members
        ("change.kind == \"schema\"", true),
        ("change.environment == \"staging\"", false),
        ("change.summary == \"\"", true),
        ("dbt.tests_warned == 0", true),
        ("size(change.pii_tables) == 0", true),
        // has()
        ("has(change.kind)", true),
        // logic
        ("change.kind == \"schema\" && dbt.tests_failed > 0", true),
        ("change.kind == \"data\" || dbt.tests_failed > 0", true),
        ("!(dbt.tests_failed > 0)", false),
        ("dbt.tests_failed > 0 ? true : false", true),
        // comparison
        ("dbt.tests_failed != 0", true),
        ("dbt.tests_failed < 3", true),
        ("dbt.tests_failed <= 2", true),
        ("dbt.tests_failed >= 3", false),
        ("\"a\" < \"b\"", true),
        // arithmetic
        ("dbt.tests_failed + 1 == 3", true),
        ("dbt.tests_total - dbt.tests_failed == 10", true),
        ("dbt.tests_failed * 50 > 99", true),
        ("dbt.tests_failed * 100 / dbt.tests_total > 10", true),
        ("dbt.tests_total % 5 == 2", true),
        ("-dbt.tests_failed == -2", true),
        ("\"shop.\" + \"orders\" == change.tables[0]", true),
        // lists, indexing, in
        ("[1, 2, 3][1] == 2", true),
        ("\"shop.orders\" in change.tables", true),
        ("change.environment in [\"production\", \"staging\"]", true),
        ("size(change.tables) == 2", true),
        ("change.tables.size() == 2", true),
        ("size(change.actor) > 0", true),
        // strings
        ("change.actor.contains(\"@shop\")", true),
        ("change.actor.startsWith(\"alice\")", true),
        ("change.actor.endsWith(\".example\")", true),
        ("string(dbt.tests_failed) == \"2\"", true),
        ("int(\"7\") == 7", true),
        // maps inside findings: member access, index by key
        ("sql.findings[0].rule == \"sql.drop_table\"", true),
        ("sql.findings[0][\"severity\"] == \"critical\"", true),
        ("sql.findings[0].score > 9.0", true),
        ("has(sql.findings[1].score)", false),
        // macros
        ("sql.findings.exists(f, f.severity == \"critical\")", true),
        ("sql.findings.all(f, f.severity == \"critical\")", false),
        ("sql.findings.exists_one(f, f.severity == \"high\")", true),
        ("sql.findings.map(f, f.table) == change.tables", true),
        ("size(sql.findings.filter(f, f.severity == \"high\")) == 1", true),
        ("genai.findings.all(f, f.severity == \"low\")", true),
        ("change.tables.exists(t, sql.findings.exists(f, f.table == t && f.severity == \"critical\"))", true),
    ];
    for (when, expected) in cases {
        assert_eq!(holds(when), *expected, "`{when}`");
    }
}

#[test]
fn constructs_outside_the_subset_are_rejected_with_a_position() {
    let cases: &[&str] = &[
        "change.actor.matches(\"^a\")",
        "b\"abc\" == b\"abc\"",
        "{\"a\": 1}[\"a\"] == 1",
        "timestamp(\"2026-01-01T00:00:00Z\") > timestamp(\"2025-01-01T00:00:00Z\")",
        "duration(\"1h\") > duration(\"1m\")",
        "change.tables.exists(i, t, t == \"x\")",
        "contains(change.actor, \"a\")",
        "dbt.tests_failed.contains(1)",
        "change.tables.startsWith(\"a\")",
        "type(1) == int",
        "google.protobuf.Value{}",
    ];
    for when in cases {
        let e = compile(when).expect_err(when);
        assert!(
            [
                "policy.cel_unsupported",
                "policy.cel_syntax",
                "policy.unknown_fact",
                "policy.fact_type"
            ]
            .contains(&e.code()),
            "`{when}`: {} {e}",
            e.code()
        );
        assert!(e.location().is_some(), "`{when}`");
    }
}

#[test]
fn unknown_facts_are_load_errors() {
    for when in [
        "change.enviroment == \"production\"",
        "chnage.kind == \"x\"",
        "tables == []",
        "change.kind.name == \"x\"",
    ] {
        let e = compile(when).unwrap_err();
        assert_eq!(e.code(), "policy.unknown_fact", "`{when}`: {e}");
        assert!(e.message().contains("condition line 1, column"), "{e}");
    }
    // Comprehension variables are not facts.
    assert!(compile("sql.findings.exists(f, f.anything == 1)").is_ok());
}

#[test]
fn syntax_errors_carry_the_position_in_the_condition() {
    let e = compile("change.kind == \"schema\" &&").unwrap_err();
    assert_eq!(e.code(), "policy.cel_syntax");
    assert!(e.message().contains("condition line 1, column"), "{e}");
    let l = e.location().unwrap();
    assert_eq!((l.line, l.column), (5, 13));
}

#[test]
fn limits_bound_length_depth_and_nesting() {
    let long = format!("change.kind == \"{}\"", "x".repeat(5000));
    let text = format!(
        "version: 1\ndata_platform:\n  rules:\n    - {{id: r, when: '{long}', decision: deny}}\n"
    );
    let e = Policy::load(text.as_bytes(), "p.yaml", &Limits::default()).unwrap_err();
    assert_eq!(e.code(), "policy.schema"); // maxLength 4096 in the schema, before CEL
    let mut limits = Limits::default();
    limits.policy_cel_max_bytes = 20;
    let text = "version: 1\ndata_platform:\n  rules:\n    - {id: r, when: 'change.kind == \"schema\"', decision: deny}\n";
    let e = Policy::load(text.as_bytes(), "p.yaml", &limits).unwrap_err();
    assert_eq!(e.code(), "policy.cel_limit");
    let deep = format!("{}true{}", "(".repeat(100), ")".repeat(100));
    assert_eq!(compile(&deep).unwrap_err().code(), "policy.cel_limit");
    let long_chain = vec!["dbt.tests_failed"; 100].join(" + ") + " > 0";
    assert_eq!(compile(&long_chain).unwrap_err().code(), "policy.cel_limit");
    let ok_chain = vec!["dbt.tests_failed"; 30].join(" + ") + " > 0";
    assert!(compile(&ok_chain).is_ok());
    let nested =
        "sql.findings.exists(a, sql.findings.exists(b, sql.findings.exists(c, a == b && b == c)))";
    assert_eq!(compile(nested).unwrap_err().code(), "policy.cel_limit");
}

#[test]
fn a_condition_that_is_not_a_bool_fails_closed() {
    let policy = compile("dbt.tests_failed").unwrap();
    let facts = jcs::parse(FACTS.as_bytes(), &Limits::default()).unwrap();
    let e = evaluate(&policy, &facts).unwrap();
    assert_eq!(e.decision, Decision::Deny);
    assert_eq!(e.matched[0].code, Some("policy.cel_eval"));
    assert!(
        e.matched[0].reason.contains("not a bool"),
        "{}",
        e.matched[0].reason
    );
}

/// Inputs that make recursive parsers or evaluators recurse deeply are rejected or evaluated
/// within the default test-thread stack (2 MiB), in a debug build.
#[test]
fn pathological_conditions_neither_crash_nor_run_away() {
    let chain = |op: &str, n: usize| vec!["dbt.tests_failed"; n].join(op);
    let cases = [
        chain(" + ", 1000) + " > 0",
        chain(" > 0 && dbt.tests_failed", 1000) + " > 0",
        chain(" > 0 || dbt.tests_failed", 1000) + " > 0",
        format!("{}true", "!".repeat(2000)),
        format!("{}1 == 1", "-".repeat(2000)),
        format!("{}1{} == 1", "(".repeat(8), ")".repeat(8)),
        format!("{}1{} == 1", "(".repeat(9), ")".repeat(9)),
        format!("{}1{} == 1", "(".repeat(5000), ")".repeat(5000)),
        format!("{}1{}[0] == 1", "[".repeat(40), "]".repeat(40)),
        format!("{}true", "true ? ".repeat(40)) + &" : false".repeat(40),
        "size(".repeat(30) + "change.tables" + &")".repeat(30) + " > 0",
        "change.tables".to_owned() + &".map(t, t)".repeat(3) + " == []",
        "\"".repeat(3) + "x",
        ")".repeat(100),
    ];
    for when in cases {
        eprintln!("case: {}", when.get(..60).unwrap_or(&when));
        match compile(&when) {
            Ok(policy) => {
                let facts = jcs::parse(FACTS.as_bytes(), &Limits::default()).unwrap();
                let _ = evaluate(&policy, &facts).unwrap();
            }
            Err(e) => assert!(e.code().starts_with("policy."), "{e}"),
        }
    }
}
