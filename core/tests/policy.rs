//! The policy engine end to end: load errors with locations, evaluation and modes, lint
//! findings and their fixes, starting policies, the hash, TCPA facts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use clyra_core::jcs::{self, Value};
use clyra_core::policy::init::{starter, InitEnv};
use clyra_core::policy::lint::{self, Severity};
use clyra_core::policy::{evaluate, Decision, Mode, Policy};
use clyra_core::{Coded, Limits};

fn load(text: &str) -> Policy {
    Policy::load(text.as_bytes(), "p.yaml", &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn load_err(text: &str) -> clyra_core::policy::PolicyError {
    Policy::load(text.as_bytes(), "p.yaml", &Limits::default()).unwrap_err()
}

fn facts(json: &str) -> Value {
    jcs::parse(json.as_bytes(), &Limits::default()).unwrap()
}

fn policy_with(rules: &str) -> Policy {
    load(&format!("version: 1\ndata_platform:\n  rules:\n{rules}"))
}

#[test]
fn lint_l009_flags_enforced_rules_on_facts_known_only_after_execution() {
    let text = "version: 1\ndata_platform:\n  rules:\n    - {id: late-approval, when: 'dbt.tests_failed > 0', decision: require_approval}\n    - {id: late-deny, when: 'size(dbt.drift) > 0', decision: deny}\n    - {id: early, when: 'change.environment == \"production\"', decision: require_approval}\n    - {id: shadowed-late, when: 'sql.statements > 9', decision: require_approval, mode: shadow}\n";
    let report = lint::lint(text.as_bytes(), "p.yaml", &Limits::default());
    let l009: Vec<(&str, lint::Severity)> = report
        .findings
        .iter()
        .filter(|f| f.id == "L009")
        .map(|f| (f.pointer.as_deref().unwrap_or(""), f.severity))
        .collect();
    assert_eq!(
        l009,
        [
            ("/data_platform/rules/0/when", lint::Severity::Warning),
            ("/data_platform/rules/1/when", lint::Severity::Info)
        ]
    );
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn starters_load_and_lint_clean() {
    for env in [InitEnv::Prod, InitEnv::Dev] {
        let text = starter(env);
        load(text);
        let report = lint::lint(text.as_bytes(), "policy.yaml", &Limits::default());
        // Clean but for L009 info: the `deny` on failed tests is detective (plan-v0.md §4).
        let rest: Vec<_> = report
            .findings
            .iter()
            .filter(|f| !(f.id == "L009" && f.severity == lint::Severity::Info))
            .collect();
        assert!(rest.is_empty(), "{env:?}: {rest:#?}");
        assert_eq!(report.exit_code(), 0);
    }
}

#[test]
fn prod_starter_decides_as_documented() {
    let p = load(starter(InitEnv::Prod));
    let e = evaluate(&p, &facts(r#"{"change":{"environment":"production","kind":"schema","actor":"alice","tables":["analytics.orders"]},"dbt":{"tests_failed":0}}"#)).unwrap();
    assert_eq!(e.decision, Decision::RequireApproval);
    assert_eq!(e.rule.as_deref(), Some("production-change"));
    assert_eq!(e.approvals_required, 1);
    assert!(e.blocked);
    // PII tables: two-person rule outranks one approval.
    let e = evaluate(
        &p,
        &facts(r#"{"change":{"environment":"production","tables":["analytics.customer_emails"]}}"#),
    )
    .unwrap();
    assert_eq!(e.decision, Decision::RequireTwoPerson);
    assert_eq!(e.approvals_required, 2);
    // Failing tests deny, whatever else matches.
    let e = evaluate(
        &p,
        &facts(r#"{"change":{"environment":"production"},"dbt":{"tests_failed":2}}"#),
    )
    .unwrap();
    assert_eq!(e.decision, Decision::Deny);
    assert_eq!(e.rule.as_deref(), Some("dbt-tests-failed"));
    assert!(e.reason.contains("dbt tests failed"), "{}", e.reason);
    // Development: allowed by default, TCPA rules not applicable without call facts.
    let e = evaluate(&p, &facts(r#"{"change":{"environment":"development"}}"#)).unwrap();
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.mode, "default");
    assert!(e.not_applicable.contains(&"tcpa-calling-window".to_owned()));
}

#[test]
fn tcpa_window_uses_the_callee_local_time() {
    let p = load(starter(InitEnv::Prod));
    let call = |at: &str, tz: &str| {
        facts(&format!(
            r#"{{"call":{{"at":"{at}","callee_tz":"{tz}","consent":true,"disclaimer":true}}}}"#
        ))
    };
    // 13:30Z = 08:30 in Chicago (CDT): allowed; 06:30 in Los Angeles: denied.
    let e = evaluate(&p, &call("2026-07-01T13:30:00Z", "America/Chicago")).unwrap();
    assert_eq!(e.decision, Decision::Allow, "{}", e.reason);
    let e = evaluate(&p, &call("2026-07-01T13:30:00Z", "America/Los_Angeles")).unwrap();
    assert_eq!(e.decision, Decision::Deny);
    assert_eq!(e.rule.as_deref(), Some("tcpa-calling-window"));
    let e = evaluate(&p, &call("2026-07-01T13:30:00Z", "Nowhere/Town")).unwrap_err();
    assert_eq!(e.code(), "policy.time_zone");
    let e = evaluate(&p, &facts(r#"{"call":{"callee_tz":"UTC"}}"#)).unwrap_err();
    assert_eq!(e.code(), "policy.fact_type");
    let e = evaluate(
        &p,
        &facts(r#"{"call":{"at":"2026-07-01T13:30:00Z","callee_tz":"UTC","within_window":true}}"#),
    )
    .unwrap_err();
    assert_eq!(
        e.code(),
        "policy.fact_type",
        "derived facts cannot be given"
    );
}

#[test]
fn shadow_rules_are_recorded_and_never_block() {
    let p = policy_with(
        "    - {id: would-deny, when: 'dbt.tests_failed > 0', decision: deny, mode: shadow}\n    - {id: would-approve, when: 'true', decision: require_two_person, mode: shadow}\n",
    );
    let e = evaluate(&p, &facts(r#"{"dbt":{"tests_failed":3}}"#)).unwrap();
    assert_eq!(e.decision, Decision::Allow);
    assert!(!e.blocked);
    assert_eq!(e.approvals_required, 0);
    assert_eq!(e.shadow().count(), 2);
    assert!(
        e.reason
            .contains("shadow (not enforced): rule `would-deny` would deny"),
        "{}",
        e.reason
    );
    let decisions = e.decisions();
    assert_eq!(decisions.len(), 2);
    assert_eq!(decisions[0].get("mode").unwrap().as_str(), Some("shadow"));
    assert_eq!(decisions[0].get("decision").unwrap().as_str(), Some("deny"));
}

#[test]
fn section_and_rule_modes_combine_to_the_weaker() {
    let text = "version: 1\ndata_platform:\n  mode: shadow\n  rules:\n    - {id: a, when: 'true', decision: deny, mode: enforce}\ngenai_security:\n  mode: off\n  rules:\n    - {id: b, when: 'true', decision: deny}\nenforcement:\n  rules:\n    - {id: c, when: 'true', decision: deny, mode: off}\n    - {id: d, when: 'true', decision: require_approval}\n";
    let p = load(text);
    let modes: Vec<(&str, Mode)> = p.rules().iter().map(|r| (r.id.as_str(), r.mode)).collect();
    assert_eq!(
        modes,
        vec![
            ("a", Mode::Shadow),
            ("b", Mode::Off),
            ("c", Mode::Off),
            ("d", Mode::Enforce)
        ]
    );
    let e = evaluate(&p, &facts("{}")).unwrap();
    assert_eq!(e.decision, Decision::RequireApproval);
    assert_eq!(e.rule.as_deref(), Some("d"));
    // Off rules are nowhere in the result.
    assert!(e.matched.iter().all(|m| m.rule != "b" && m.rule != "c"));
    assert_eq!(e.matched.len(), 2);
}

#[test]
fn strongest_decision_wins_and_the_first_such_rule_decides() {
    let p = policy_with(
        "    - {id: approve, when: 'true', decision: require_approval}\n    - {id: deny1, when: 'change.kind == \"schema\"', decision: deny}\n    - {id: deny2, when: 'true', decision: deny}\n",
    );
    let e = evaluate(&p, &facts(r#"{"change":{"kind":"schema"}}"#)).unwrap();
    assert_eq!(e.decision, Decision::Deny);
    assert_eq!(e.rule.as_deref(), Some("deny1"));
    // Nothing outranks deny: deny2 is not evaluated.
    assert_eq!(
        e.matched
            .iter()
            .map(|m| m.rule.as_str())
            .collect::<Vec<_>>(),
        vec!["approve", "deny1"]
    );
    let e = evaluate(&p, &facts(r#"{"change":{"kind":"data"}}"#)).unwrap();
    assert_eq!(e.rule.as_deref(), Some("deny2"));
}

#[test]
fn default_decision_applies_when_nothing_matches() {
    let p = load("version: 1\ndefault_decision: require_approval\n");
    let e = evaluate(&p, &facts("{}")).unwrap();
    assert_eq!(e.decision, Decision::RequireApproval);
    assert_eq!(e.mode, "default");
    assert_eq!(e.approvals_required, 1);
}

#[test]
fn runtime_errors_fail_closed_when_enforced() {
    let p = policy_with(
        "    - {id: bad-index, when: 'change.tables[5] == \"x\"', decision: allow}\n    - {id: bad-shadow, when: 'change.tables[5] == \"x\"', decision: allow, mode: shadow}\n",
    );
    let e = evaluate(&p, &facts(r#"{"change":{"tables":["a"]}}"#)).unwrap();
    assert_eq!(e.decision, Decision::Deny);
    assert_eq!(e.rule.as_deref(), Some("bad-index"));
    assert_eq!(e.matched[0].code, Some("policy.cel_eval"));
    assert_eq!(e.matched[1].code, Some("policy.cel_eval"));
    assert_eq!(e.matched[1].decision, Decision::Allow);
}

#[test]
fn runaway_expressions_are_bounded_by_the_cost_budget() {
    let p = policy_with(
        "    - {id: quadratic, when: 'sql.findings.exists(a, sql.findings.exists(b, a.rule == b.rule && a.table != b.table))', decision: deny}\n",
    );
    let few: Vec<String> = (0..10)
        .map(|i| format!(r#"{{"rule":"r{i}","table":"t"}}"#))
        .collect();
    let e = evaluate(
        &p,
        &facts(&format!(r#"{{"sql":{{"findings":[{}]}}}}"#, few.join(","))),
    )
    .unwrap();
    assert_eq!(e.decision, Decision::Allow);
    let many: Vec<String> = (0..400)
        .map(|i| format!(r#"{{"rule":"r{i}","table":"t"}}"#))
        .collect();
    let started = std::time::Instant::now();
    let e = evaluate(
        &p,
        &facts(&format!(r#"{{"sql":{{"findings":[{}]}}}}"#, many.join(","))),
    )
    .unwrap();
    assert_eq!(e.decision, Decision::Deny, "over budget fails closed");
    assert_eq!(e.matched[0].code, Some("policy.cel_cost"));
    assert!(started.elapsed().as_secs() < 2);
}

#[test]
fn facts_are_checked_against_the_vocabulary() {
    let p = load(starter(InitEnv::Prod));
    for (json, code) in [
        (r#"{"chnage":{}}"#, "policy.unknown_fact"),
        (
            r#"{"change":{"enviroment":"production"}}"#,
            "policy.unknown_fact",
        ),
        (r#"{"change":{"tables":"orders"}}"#, "policy.fact_type"),
        (r#"{"dbt":{"tests_failed":1.5}}"#, "policy.fact_type"),
        (r#"{"sql":{"findings":["x"]}}"#, "policy.fact_type"),
        (r#"[1]"#, "policy.facts"),
        (r#"{"change":{"pii_tables":[]}}"#, "policy.fact_type"),
    ] {
        let e = evaluate(&p, &facts(json)).unwrap_err();
        assert_eq!(e.code(), code, "{json}: {e}");
    }
}

#[test]
fn load_errors_are_typed_and_located() {
    let cases: &[(&str, &str, usize)] = &[
        ("version: 1\ndata_platform:\n  rules: [\n", "policy.yaml", 4),
        ("version: 1\nname: &n x\n", "policy.yaml_subset", 2),
        ("version: 1\nname: !!str x\n", "policy.yaml_subset", 2),
        ("version: 1\ndata_platform:\n  <<: {mode: shadow}\n", "policy.yaml_subset", 3),
        ("version: 1\ndata_platform:\n  mode: enforced\n", "policy.schema", 3),
        ("version: 2\n", "policy.schema", 1),
        ("version: 1\nextra: true\n", "policy.schema", 1),
        ("version: 1\ndata_platform:\n  rules:\n    - {id: a, when: 'true', decision: allow}\n    - {id: a, when: 'true', decision: deny}\n", "policy.duplicate_rule", 5),
        ("version: 1\ndata_platform:\n  rules:\n    - id: a\n      when: 'change.kind == '\n      decision: deny\n", "policy.cel_syntax", 5),
        ("version: 1\ndata_platform:\n  rules:\n    - id: a\n      when: 'change.knd == \"schema\"'\n      decision: deny\n", "policy.unknown_fact", 5),
        ("version: 1\ndata_platform:\n  rules:\n    - id: a\n      when: 'now > 1'\n      decision: deny\n", "policy.unknown_fact", 5),
        ("version: 1\ndata_platform:\n  rules:\n    - id: a\n      when: 'change.kind.matches(\"x\")'\n      decision: deny\n", "policy.cel_unsupported", 5),
    ];
    for (text, code, line) in cases {
        let e = load_err(text);
        assert_eq!(e.code(), *code, "{text}: {e}");
        let l = e
            .location()
            .unwrap_or_else(|| panic!("no location: {text}: {e}"));
        assert_eq!(l.file, "p.yaml");
        assert!(
            l.line == *line || (*code == "policy.yaml" && l.line >= 3),
            "{text}: {e}"
        );
    }
    // The CEL position inside the condition is in the message.
    let e = load_err("version: 1\ndata_platform:\n  rules:\n    - {id: a, when: 'change.kind == \"x\" && (', decision: deny}\n");
    assert_eq!(e.code(), "policy.cel_syntax");
    assert!(e.message().contains("condition line 1, column"), "{e}");
    let e = Policy::load(&vec![b' '; 2 * 1024 * 1024], "p.yaml", &Limits::default()).unwrap_err();
    assert_eq!(e.code(), "policy.too_large");
}

#[test]
fn hash_is_the_jcs_of_the_document_as_written() {
    let yaml = "version: 1\nname: x\ndata_platform:\n  rules:\n    - {id: a, when: 'true', decision: deny}\n";
    let json = r#"{"data_platform":{"rules":[{"decision":"deny","id":"a","when":"true"}]},"name":"x","version":1}"#;
    let p = load(yaml);
    assert_eq!(p.canonical(), json.as_bytes());
    let digest = clyra_core::digest::Sha256Digest::of(json.as_bytes());
    assert_eq!(p.hash(), digest);
    // Comments, key order and quoting do not change it; the JSON form hashes the same.
    let p2 = load("# c\nname: 'x'   # trailing\ndata_platform: {rules: [{when: \"true\", id: a, decision: deny}]}\nversion: 1\n");
    assert_eq!(p2.hash(), p.hash());
    let p3 = load(json);
    assert_eq!(p3.hash(), p.hash());
    assert_eq!(
        clyra_core::policy::document_digest(yaml.as_bytes(), &Limits::default()).unwrap(),
        digest
    );
    assert_eq!(
        clyra_core::policy::document_digest(json.as_bytes(), &Limits::default()).unwrap(),
        digest
    );
    // Any change of meaning changes it.
    assert_ne!(load(&yaml.replace("deny", "allow")).hash(), p.hash());
}

#[test]
fn risk_weights_and_thresholds_come_from_compliance() {
    let p = load("version: 1\ncompliance:\n  risk:\n    weights: {production: 40}\n    thresholds: {review: 30, block: 70}\n");
    let w = p.doc().risk_weights();
    assert_eq!(w.production, 40);
    assert_eq!(
        w.magnitude_schema,
        clyra_core::risk::default_weights().magnitude_schema
    );
    assert_eq!(p.doc().risk_thresholds().block, Some(70));
}

/// Applies a finding's edit, re-lints, and checks that finding id is gone.
fn fix_removes(text: &str, id: &str) {
    let limits = Limits::default();
    let report = lint::lint(text.as_bytes(), "p.yaml", &limits);
    let found = report
        .findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id} in {:#?}", report.findings));
    assert!(found.location.is_some(), "{found:?}");
    assert!(!found.fix.yaml.is_empty());
    let (doc, _) = clyra_core::policy::read(text.as_bytes(), "p.yaml", &limits).unwrap();
    let fixed = lint::apply(&doc, found.fix.edit.as_ref().unwrap()).unwrap();
    let fixed_text = String::from_utf8(jcs::to_vec(&fixed)).unwrap();
    let again = lint::lint(fixed_text.as_bytes(), "p.json", &limits);
    assert!(
        again
            .findings
            .iter()
            .all(|f| f.id != id && f.severity != Severity::Error),
        "{id} still there after its fix: {:#?}",
        again.findings
    );
}

#[test]
fn lint_findings_and_their_fixes() {
    let base = "version: 1\ndata_platform:\n  environments: [development]\n  rules:\n";
    // L001: a value outside the fact's domain; and a contradiction.
    fix_removes(
        &format!("{base}    - {{id: a, when: 'change.environment == \"prod\"', decision: deny}}\n"),
        "L001",
    );
    fix_removes(&format!("{base}    - {{id: a, when: 'change.kind == \"schema\" && change.kind == \"data\"', decision: deny}}\n"), "L001");
    fix_removes(
        &format!("{base}    - {{id: a, when: 'false', decision: deny}}\n"),
        "L001",
    );
    // L002: shadowed by an earlier rule with an equal or stronger decision.
    fix_removes(&format!("{base}    - {{id: a, when: 'dbt.tests_failed > 0', decision: deny}}\n    - {{id: b, when: 'dbt.tests_failed > 0 && change.kind == \"schema\"', decision: require_approval}}\n"), "L002");
    // L003: production in scope, no approval rule.
    fix_removes("version: 1\ndata_platform:\n  rules: []\n", "L003");
    fix_removes("version: 1\n", "L003");
    // L004: PII tables without a rule.
    fix_removes("version: 1\ndata_platform:\n  environments: [development]\n  tables: [{name: crm.people, classification: pii}]\n", "L004");
    // L005: block_on_test_failure without a deny rule.
    fix_removes("version: 1\ndata_platform:\n  environments: [test]\n  dbt: {block_on_test_failure: true}\n", "L005");
    // L006: retention shorter than the frameworks need; and none at all.
    fix_removes("version: 1\ndata_platform: {environments: [test]}\ncompliance:\n  frameworks: [sox]\n  retention: {period: P1Y}\n", "L006");
    fix_removes(
        "version: 1\ndata_platform: {environments: [test]}\ncompliance:\n  frameworks: [hipaa]\n",
        "L006",
    );
    // L007: TCPA window wider than the law; TCPA without a window rule.
    fix_removes("version: 1\ndata_platform: {environments: [test]}\nvoice_compliance:\n  calling_window: {start: \"07:00\", end: \"21:00\"}\n  rules: [{id: w, when: '!call.within_window', decision: deny}]\ncompliance: {frameworks: [tcpa], retention: {period: P5Y}}\n", "L007");
    fix_removes("version: 1\ndata_platform: {environments: [test]}\ncompliance: {frameworks: [tcpa], retention: {period: P5Y}}\n", "L007");
    // L008: an off rule (info only: exit 0).
    let text = format!("{base}    - {{id: a, when: 'true', decision: deny, mode: off}}\n");
    assert_eq!(
        lint::lint(text.as_bytes(), "p.yaml", &Limits::default()).exit_code(),
        0
    );
    fix_removes(&text, "L008");
}

#[test]
fn lint_reports_every_schema_error_with_line_and_column_and_exits_1() {
    let text = "version: 1\ndata_platform:\n  mode: always\ngenai_security:\n  kill_switch: {score: 101}\n";
    let report = lint::lint(text.as_bytes(), "p.yaml", &Limits::default());
    assert_eq!(report.exit_code(), 1);
    let located: Vec<&str> = report
        .findings
        .iter()
        .filter_map(|f| f.location.as_deref())
        .collect();
    assert_eq!(
        located,
        vec!["p.yaml:3:9", "p.yaml:5:24"],
        "{:#?}",
        report.findings
    );
    assert!(report
        .findings
        .iter()
        .all(|f| f.id == "policy.schema" && !f.fix.description.is_empty()));
    let warn = lint::lint(b"version: 1\n", "p.yaml", &Limits::default());
    assert_eq!(warn.exit_code(), 2);
}

#[test]
fn every_policy_error_code_is_registered() {
    let registry =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/verdicts.md"))
            .unwrap();
    for kind in clyra_core::policy::PolicyErrorKind::ALL {
        assert!(
            registry.contains(&format!("| `{}` |", kind.code())),
            "{} not registered",
            kind.code()
        );
    }
}

/// The fact table of spec/policy-v1.md §5.1 is the vocabulary, row for row.
#[test]
fn spec_fact_table_is_the_vocabulary() {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/policy-v1.md"))
            .unwrap();
    let rows: Vec<(String, String, bool)> = spec
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let [_, fact, ty, kind, ..] = cells.as_slice() else {
                return None;
            };
            let fact = fact.strip_prefix('`')?.strip_suffix('`')?;
            (kind == &"given" || kind == &"derived")
                .then(|| (fact.to_owned(), (*ty).to_owned(), *kind == "derived"))
        })
        .collect();
    let ours: Vec<(String, String, bool)> = clyra_core::policy::facts::VOCABULARY
        .iter()
        .map(|f| {
            (
                format!("{}.{}", f.namespace, f.member),
                f.ty.as_str().to_owned(),
                f.derived,
            )
        })
        .collect();
    assert_eq!(rows, ours);
}

/// The worked example of spec/policy-v1.md §11 lints clean and decides as the text says.
#[test]
fn spec_example_decides_as_stated() {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/policy-v1.md"))
            .unwrap();
    let after = &spec[spec.find("<!-- example: policy-v1 -->").unwrap()..];
    let open = after.find("```json").unwrap() + 7;
    let close = open + after[open..].find("```").unwrap();
    let text = &after[open..close];
    assert!(
        lint::lint(text.as_bytes(), "example.json", &Limits::default())
            .findings
            .iter()
            .all(|f| f.id == "L009" && f.severity == lint::Severity::Info)
    );
    let p = load(text);
    let e = evaluate(
        &p,
        &facts(r#"{"change": {"environment": "production", "tables": ["shop.customers"]}}"#),
    )
    .unwrap();
    assert_eq!(
        (e.decision, e.rule.as_deref(), e.matched.len()),
        (Decision::RequireTwoPerson, Some("pii-tables"), 2)
    );
    let e = evaluate(&p, &facts(r#"{"change": {"environment": "production", "tables": ["shop.customers"]}, "dbt": {"tests_failed": 1}}"#)).unwrap();
    assert_eq!(
        (e.decision, e.rule.as_deref()),
        (Decision::Deny, Some("dbt-tests-failed"))
    );
}

#[test]
fn a_bom_and_a_yaml_1_1_directive_are_refused_by_the_engine_too() {
    // policy-v1.md §1.1 and §2.1: one reading for the engine and every verifier.
    assert_eq!(load_err("\u{feff}version: 1\n").code(), "policy.bom");
    assert_eq!(load_err("\u{feff}{\"version\": 1}").code(), "policy.bom");
    let err = load_err("%YAML 1.1\n---\nversion: 1\ndata_platform:\n  mode: off\n");
    assert_eq!(err.code(), "policy.yaml_subset");
    assert!(err.to_string().contains("%YAML 1.1"), "{err}");
    // `%YAML 1.2` is the version the subset is read with: `off` stays the string "off".
    let p = load("%YAML 1.2\n---\nversion: 1\ndata_platform:\n  mode: off\n");
    assert_eq!(
        p.canonical(),
        br#"{"data_platform":{"mode":"off"},"version":1}"#.as_slice()
    );
}

/// `data_platform.warehouse_guard.unreadable` takes the SQL guard's three choices (guard-sql.md §5.1).
#[test]
fn warehouse_guard_unreadable_takes_the_sql_guard_choices() {
    for knob in ["destructive", "writes", "all"] {
        load(&format!(
            "version: 1\ndata_platform:\n  warehouse_guard:\n    unreadable: {knob}\n"
        ));
        let sql: clyra_core::guard::sql::SqlPolicy =
            serde_json::from_str(&format!(r#"{{"unreadable":"{knob}"}}"#)).unwrap();
        assert_eq!(sql.unreadable.as_str(), knob);
    }
    let e = load_err("version: 1\ndata_platform:\n  warehouse_guard:\n    unreadable: never\n");
    assert_eq!(clyra_core::Coded::code(&e), "policy.schema");
}

#[test]
fn evaluate_sections_runs_only_the_named_sections() {
    use clyra_core::policy::evaluate_sections;
    let p = load("version: 1\ndata_platform:\n  rules:\n    - {id: dp, when: 'true', decision: deny}\nenforcement:\n  rules:\n    - {id: en, when: 'true', decision: require_approval}\n");
    let f = facts("{}");
    // The whole policy: the data-platform deny decides.
    let all = evaluate(&p, &f).unwrap();
    assert_eq!(all.decision, Decision::Deny);
    // Only `enforcement`: the deny of another section is skipped, not even recorded.
    let en = evaluate_sections(&p, &f, &["enforcement"]).unwrap();
    assert_eq!(en.decision, Decision::RequireApproval);
    assert_eq!(en.rule.as_deref(), Some("en"));
    assert!(en.matched.iter().all(|m| m.section == "enforcement"));
    assert_eq!(en.policy_hash, all.policy_hash);
    // A section without rules: the default decision.
    let none = evaluate_sections(&p, &f, &["voice_compliance"]).unwrap();
    assert_eq!(none.decision, Decision::Allow);
    assert_eq!(none.mode, "default");
    // Every section named: the same as the whole policy.
    let every = evaluate_sections(
        &p,
        &f,
        &[
            "data_platform",
            "genai_security",
            "voice_compliance",
            "enforcement",
        ],
    )
    .unwrap();
    assert_eq!(every.decision, all.decision);
    assert_eq!(every.matched.len(), all.matched.len());
    // An unknown name is an error, not an empty section.
    let e = evaluate_sections(&p, &f, &["enforcment"]).unwrap_err();
    assert_eq!(e.code(), "policy.schema");
    assert!(e.message().contains("enforcment"), "{}", e.message());
}
