//! Differential test of the compiled condition plans against the `cel` interpreter: random
//! facts × the starter policies (templates), the conditions of the policy tests and benches, and
//! conditions written to reach every deferral of the plan (type mismatches, missing keys,
//! overflow, division by zero, doubles, out-of-range indexes). For every rule the plan's answer,
//! where it gives one, must be the interpreter's; whole evaluations (decisions, reasons, error
//! messages) must be identical.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use clyra_core::jcs::{self, Map, Number, Value};
use clyra_core::policy::eval::{evaluate_facts, evaluate_facts_interpreted};
use clyra_core::policy::facts::Facts;
use clyra_core::policy::init::{starter, InitEnv};
use clyra_core::policy::{cel, Policy};
use clyra_core::Limits;
use common::Rng;

/// Conditions beyond the templates: the constructs of `policy_cel.rs`, the bench's 50-rule
/// mix, the rules of `policy.rs`, and edge cases for every kind of deferral.
const CONDITIONS: &[&str] = &[
    // policy_cel.rs
    "true",
    "false",
    "null == null",
    "1 == 1",
    "1u == 1u",
    "1.5 == 1.5",
    "\"a\" == 'a'",
    "change.kind == \"schema\"",
    "change.environment == \"staging\"",
    "change.summary == \"\"",
    "dbt.tests_warned == 0",
    "size(change.pii_tables) == 0",
    "has(change.kind)",
    "change.kind == \"schema\" && dbt.tests_failed > 0",
    "change.kind == \"data\" || dbt.tests_failed > 0",
    "!(dbt.tests_failed > 0)",
    "dbt.tests_failed > 0 ? true : false",
    "dbt.tests_failed != 0",
    "dbt.tests_failed < 3",
    "dbt.tests_failed <= 2",
    "dbt.tests_failed >= 3",
    "\"a\" < \"b\"",
    "dbt.tests_failed + 1 == 3",
    "dbt.tests_total - dbt.tests_failed == 10",
    "dbt.tests_failed * 50 > 99",
    "dbt.tests_failed * 100 / dbt.tests_total > 10",
    "dbt.tests_total % 5 == 2",
    "-dbt.tests_failed == -2",
    "\"shop.\" + \"orders\" == change.tables[0]",
    "[1, 2, 3][1] == 2",
    "\"shop.orders\" in change.tables",
    "change.environment in [\"production\", \"staging\"]",
    "size(change.tables) == 2",
    "change.tables.size() == 2",
    "size(change.actor) > 0",
    "change.actor.contains(\"@shop\")",
    "change.actor.startsWith(\"alice\")",
    "change.actor.endsWith(\".example\")",
    "string(dbt.tests_failed) == \"2\"",
    "int(\"7\") == 7",
    "sql.findings[0].rule == \"sql.drop_table\"",
    "sql.findings[0][\"severity\"] == \"critical\"",
    "sql.findings[0].score > 9.0",
    "has(sql.findings[1].score)",
    "sql.findings.exists(f, f.severity == \"critical\")",
    "sql.findings.all(f, f.severity == \"critical\")",
    "sql.findings.exists_one(f, f.severity == \"high\")",
    "sql.findings.map(f, f.table) == change.tables",
    "size(sql.findings.filter(f, f.severity == \"high\")) == 1",
    "genai.findings.all(f, f.severity == \"low\")",
    "change.tables.exists(t, sql.findings.exists(f, f.table == t && f.severity == \"critical\"))",
    // policy.rs
    "size(dbt.drift) > 0",
    "sql.statements > 9",
    "change.tables[5] == \"x\"",
    "sql.findings.exists(a, sql.findings.exists(b, a.rule == b.rule && a.table != b.table))",
    "change.kind == \"schema\" && change.kind == \"data\"",
    // the bench's mix (benches/benches/policy.rs)
    "change.kind == \"kind5\" && dbt.tests_failed > 5",
    "change.environment == \"production\" && dbt.tests_failed > 1",
    "\"shop.table2\" in change.tables || change.actor.startsWith(\"bot2\")",
    "sql.findings.exists(f, f.severity == \"critical\" && f.rule == \"r3\")",
    "size(change.tables) > 14 && dbt.tests_warned > 4",
    // deferrals and their neighbours
    "dbt.tests_total * 9007199254740991 * 9007199254740991 > 0",
    "dbt.tests_total / dbt.tests_failed > 1",
    "dbt.tests_total % dbt.tests_failed == 0",
    "-(dbt.tests_total - 9223372036854775807 - 1) > 0",
    "sql.findings.exists(f, f.confidence > 800)",
    "genai.findings.exists(f, f.confidence >= 850 && f.severity in [\"high\", \"critical\"])",
    "sql.findings.exists(f, f.table == null)",
    "sql.findings.exists(f, has(f.table) && f.table in change.tables)",
    "sql.findings.all(f, !has(f.asset) || f.asset.startsWith(\"model.\"))",
    "sql.findings.exists(f, f.flag)",
    "sql.findings.exists(f, !f.flag)",
    "sql.findings.exists(f, f.flag ? f.rule == \"a\" : f.rule == \"b\")",
    "sql.findings.exists(f, f.tags.exists(t, t == \"pii\"))",
    "sql.findings.exists(f, size(f.tags) > 1)",
    "sql.findings.exists(f, f.nested.level == 2)",
    "sql.findings.exists(f, f.nested[\"level\"] > 1)",
    "sql.findings.exists(f, f.score == 2.5)",
    "sql.findings.exists(f, f.score > 2)",
    "sql.findings.exists(f, f.severity == 1)",
    "sql.findings.exists(f, f.severity < \"m\")",
    "sql.findings.exists(f, f.severity != \"info\" && f.guard_severity == \"error\")",
    "sql.findings.exists_one(f, f.rule.startsWith(\"sql.\"))",
    "sql.findings.map(f, f.severity).exists(s, s == \"critical\")",
    "sql.findings.map(f, f.rule == \"r\", f.table).exists(t, t == \"shop.orders\")",
    "size(sql.findings.map(f, f.rule)) == size(sql.findings)",
    "sql.findings.filter(f, f.severity == \"critical\").size() > 0",
    "size(sql.findings.filter(f, f.severity == \"high\" || f.severity == \"critical\")) > 1",
    "(change.tables + dbt.models).exists(t, t == \"orders\")",
    "size(change.tables + change.pii_tables) > 2",
    "size(change.tables + [\"x\", \"y\"]) == 4",
    "change.tables.exists(change, change == \"shop.orders\")",
    "change.tables.exists(t, change.tables.exists(t, t == \"shop.customers\"))",
    "change.tables.all(t, t.startsWith(\"shop.\"))",
    "change.tables.exists_one(t, t.endsWith(\"orders\"))",
    "change.tables[0] == change.tables[size(change.tables) - 1]",
    "change.tables[-1] == \"x\"",
    "change.tables[1u] == \"x\"",
    "size(change.summary) == 5",
    "change.summary + \"!\" == \"héllo!\"",
    "change.actor < change.deployer",
    "change.actor >= \"bot\"",
    "change.subject.contains(change.kind)",
    "1 in [1, \"a\"]",
    "\"a\" in [1, \"a\"]",
    "1 == 1.0",
    "1 == 1u",
    "true == 1",
    "null != \"\"",
    "dbt.tests_failed in [0, 1, 2]",
    "dbt.tests_failed > 0 == true",
    "(dbt.tests_failed > 0) < true",
    "dbt.tests_failed || true",
    "false && dbt.tests_failed",
    "dbt.tests_failed ? true : false",
    "[change.kind, change.environment][1] == \"production\"",
    "call.within_window && !call.opted_out",
    "call.local_time < \"09:00\"",
    "!call.consent || !call.disclaimer",
    "request.rows > 100000 && request.method == \"POST\"",
    "request.tenant != \"\" && request.tool.startsWith(\"crm.\")",
    "genai.model.contains(\"gpt\") || genai.tool == \"shell\"",
    "dbt.command == \"build\" && dbt.target == \"prod\"",
    "dbt.models.exists(m, m in change.tables)",
    "dbt.drift.exists(d, d.rule == \"plan.sql_changed\")",
    "sql.findings",
    "change.kind",
    "dbt.tests_failed",
];

const STRINGS: &[&str] = &[
    "",
    "production",
    "staging",
    "development",
    "schema",
    "data",
    "model.shop.orders",
    "shop.orders",
    "shop.customers",
    "pii.users",
    "orders",
    "alice@shop.example",
    "bot2",
    "ci@shop.example",
    "héllo",
    "critical",
    "high",
    "info",
    "sql.drop_table",
    "r",
    "a",
    "b",
    "POST",
    "crm.push",
    "gpt-4o",
    "shell",
    "build",
    "prod",
    "plan.sql_changed",
];

const INTS: &[i64] = &[
    0,
    1,
    2,
    -1,
    3,
    10,
    850,
    100_001,
    9_007_199_254_740_991,
    -9_007_199_254_740_991,
];

fn string(rng: &mut Rng) -> Value {
    Value::String(rng.pick(STRINGS).to_owned())
}

fn int(rng: &mut Rng) -> Value {
    Value::Number(Number::from_i64(INTS[rng.below(INTS.len())]).unwrap())
}

fn strings(rng: &mut Rng) -> Value {
    let n = rng.below(4);
    Value::Array((0..n).map(|_| string(rng)).collect())
}

/// Any JSON value, mostly small (finding members of every type).
fn any(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 1 { 6 } else { 8 }) {
        0 | 1 => string(rng),
        2 => int(rng),
        3 => Value::Number(Number::from_f64([2.5, 9.5, -0.5][rng.below(3)]).unwrap()),
        4 => Value::Bool(rng.chance(50)),
        5 => Value::Null,
        6 => strings(rng),
        _ => {
            let mut m = Map::new();
            m.insert("level", int(rng));
            if rng.chance(50) {
                m.insert("name", any(rng, depth + 1));
            }
            Value::from(m)
        }
    }
}

fn finding(rng: &mut Rng) -> Value {
    let mut m = Map::new();
    let keys = [
        "rule",
        "severity",
        "guard_severity",
        "table",
        "asset",
        "detector",
        "confidence",
        "score",
        "flag",
        "tags",
        "nested",
    ];
    for key in keys {
        if !rng.chance(60) {
            continue;
        }
        let typical = match key {
            "confidence" => int(rng),
            "score" => Value::Number(Number::from_f64(2.5).unwrap()),
            "flag" => Value::Bool(rng.chance(50)),
            "tags" => strings(rng),
            "nested" => any(rng, 1),
            _ => string(rng),
        };
        let value = if rng.chance(80) { typical } else { any(rng, 0) };
        m.insert(key, value);
    }
    Value::from(m)
}

fn findings(rng: &mut Rng) -> Value {
    let n = rng.below(4);
    Value::Array((0..n).map(|_| finding(rng)).collect())
}

/// Random facts that pass the vocabulary check.
fn facts(rng: &mut Rng) -> Value {
    let mut top = Map::new();
    let mut section = |rng: &mut Rng, name: &str, members: &[(&str, u8)]| {
        if !rng.chance(75) {
            return;
        }
        let mut m = Map::new();
        for (member, ty) in members {
            if !rng.chance(70) {
                continue;
            }
            let value = match ty {
                0 => string(rng),
                1 => int(rng),
                2 => Value::Bool(rng.chance(50)),
                3 => strings(rng),
                _ => findings(rng),
            };
            m.insert(*member, value);
        }
        if name == "call" {
            m.insert(
                "at",
                Value::from(
                    [
                        "2026-07-01T13:30:00Z",
                        "2026-07-01T03:00:00Z",
                        "2026-12-24T23:59:59Z",
                    ][rng.below(3)],
                ),
            );
            m.insert(
                "callee_tz",
                Value::from(["America/Chicago", "Europe/Paris", "UTC"][rng.below(3)]),
            );
        }
        top.insert(name, Value::from(m));
    };
    section(
        rng,
        "change",
        &[
            ("subject", 0),
            ("kind", 0),
            ("environment", 0),
            ("actor", 0),
            ("deployer", 0),
            ("summary", 0),
            ("tables", 3),
        ],
    );
    section(
        rng,
        "dbt",
        &[
            ("command", 0),
            ("target", 0),
            ("models", 3),
            ("tests_total", 1),
            ("tests_failed", 1),
            ("tests_warned", 1),
            ("drift", 4),
        ],
    );
    section(rng, "sql", &[("statements", 1), ("findings", 4)]);
    section(rng, "genai", &[("model", 0), ("tool", 0), ("findings", 4)]);
    section(
        rng,
        "call",
        &[
            ("callee", 0),
            ("consent", 2),
            ("opted_out", 2),
            ("disclaimer", 2),
        ],
    );
    section(
        rng,
        "request",
        &[("tenant", 0), ("tool", 0), ("method", 0), ("rows", 1)],
    );
    Value::from(top)
}

/// One policy holding every condition of `CONDITIONS` that loads, as rules of `mode`.
fn conditions_policy(mode: &str) -> Policy {
    let mut text = String::from(
        "version: 1\ndata_platform:\n  tables:\n    - {name: shop.customers, classification: pii}\n    - {name: pii.*, classification: pii}\n  rules:\n",
    );
    let mut loaded = 0;
    for (i, when) in CONDITIONS.iter().enumerate() {
        let rule = format!(
            "    - id: r{i}\n      when: '{}'\n      decision: {}\n      mode: {mode}\n",
            when.replace('\'', "''"),
            ["deny", "require_approval", "require_two_person", "allow"][i % 4]
        );
        let candidate = format!("{text}{rule}");
        if Policy::load(candidate.as_bytes(), "p.yaml", &Limits::default()).is_ok() {
            text = candidate;
            loaded += 1;
        }
    }
    assert!(loaded > 120, "only {loaded} conditions load");
    Policy::load(text.as_bytes(), "p.yaml", &Limits::default()).unwrap()
}

fn policies() -> Vec<(String, Policy)> {
    let limits = Limits::default();
    vec![
        (
            "prod template".into(),
            Policy::load(starter(InitEnv::Prod).as_bytes(), "prod.yaml", &limits).unwrap(),
        ),
        (
            "dev template".into(),
            Policy::load(starter(InitEnv::Dev).as_bytes(), "dev.yaml", &limits).unwrap(),
        ),
        ("conditions, shadow".into(), conditions_policy("shadow")),
        ("conditions, enforce".into(), conditions_policy("enforce")),
    ]
}

#[test]
fn compiled_plans_decide_as_the_interpreter_does() {
    let policies = policies();
    let limits = Limits::default();
    let env = cel::environment();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut answered, mut deferred) = (0u64, 0u64);
    for round in 0..400 {
        let json = facts(&mut rng);
        for (name, policy) in &policies {
            let Ok(facts) = Facts::from_value(&json, policy.doc()) else {
                continue;
            };
            // Whole evaluations: decision, deciding rule, reasons, error codes and messages.
            let fast = evaluate_facts(policy, &facts);
            let reference = evaluate_facts_interpreted(policy, &facts);
            assert_eq!(
                fast,
                reference,
                "{name}, round {round}, facts {}",
                String::from_utf8_lossy(&jcs::to_vec(&json))
            );
            // Rule by rule: where the plan answers, it is the interpreter's answer.
            let context = cel::context(&env, &facts);
            for rule in policy.rules() {
                let interpreted =
                    rule.condition
                        .evaluate(&context, &facts, limits.policy_cel_max_cost);
                match rule.condition.evaluate_compiled(&facts) {
                    Some(b) => {
                        answered += 1;
                        assert_eq!(
                            interpreted.as_ref().ok(),
                            Some(&b),
                            "`{}` on {}: plan {b}, interpreter {interpreted:?}",
                            rule.condition.source(),
                            String::from_utf8_lossy(&jcs::to_vec(&json))
                        );
                    }
                    // A compiled condition the interpreter answers: the plan should too.
                    None if rule.condition.is_compiled() && interpreted.is_ok() => {
                        let applicable = rule.condition.facts().iter().all(|f| {
                            let namespace = f.split('.').next().unwrap_or_default();
                            json.get(namespace).is_some()
                        });
                        if applicable {
                            deferred += 1;
                        }
                    }
                    None => {}
                }
            }
        }
    }
    // The test must exercise the plans, not only their deferrals (the deferrals left are the
    // conditions on doubles and uints, list equality, and errors the interpreter absorbs).
    eprintln!("plans answered {answered}, deferred on a value the interpreter gives {deferred}");
    assert!(
        answered > 8 * deferred,
        "plans answered {answered}, deferred {deferred}"
    );
}

#[test]
fn templates_and_typical_conditions_compile() {
    for (name, policy) in policies().iter().take(2) {
        for rule in policy.rules() {
            assert!(
                rule.condition.is_compiled(),
                "{name}: `{}` has no plan",
                rule.condition.source()
            );
        }
    }
    let compiled = conditions_policy("enforce")
        .rules()
        .iter()
        .filter(|r| r.condition.is_compiled())
        .count();
    assert!(compiled > 110, "{compiled} conditions compiled");
}

/// Facts of every namespace: each template rule reads them through its plan, the interpreter's
/// context never built for the answer.
#[test]
fn template_rules_answer_without_the_interpreter() {
    let json = jcs::parse(
        br#"{"change": {"environment": "production", "tables": ["shop.customers"]},
             "dbt": {"tests_failed": 1}, "sql": {"findings": [{"severity": "critical"}]},
             "genai": {"findings": [{"severity": "high"}]},
             "call": {"at": "2026-07-01T13:30:00Z", "callee_tz": "America/Chicago"},
             "request": {"rows": 5}}"#,
        &Limits::default(),
    )
    .unwrap();
    for env in [InitEnv::Prod, InitEnv::Dev] {
        let policy = Policy::load(starter(env).as_bytes(), "p.yaml", &Limits::default()).unwrap();
        let facts = Facts::from_value(&json, policy.doc()).unwrap();
        for rule in policy.rules() {
            assert!(
                rule.condition.evaluate_compiled(&facts).is_some(),
                "`{}` deferred",
                rule.condition.source()
            );
        }
    }
}

/// The `policy_load` fuzz target (which also compares plans with the interpreter) on its seed
/// corpus, the starter policies and the conditions policy: what `cargo fuzz` starts from.
#[test]
fn fuzz_target_policy_load_holds_on_its_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/policy_load");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    assert!(!seeds.is_empty());
    seeds.push(starter(InitEnv::Prod).as_bytes().to_vec());
    seeds.push(starter(InitEnv::Dev).as_bytes().to_vec());
    for seed in &seeds {
        clyra_core::internal::fuzzing::policy_load(seed);
    }
}
