//! Policy evaluation: a 50-rule policy over typical facts (goal: p50 under 20 µs), and the extra
//! cost of shadow rules (goal: under 50 µs).
//!
//! Named peer: the `cel` crate alone (`peer_cel_50_programs`) — the same 50 compiled conditions
//! executed against a context built once, with no facts checking, no derived facts, no cost bound
//! and no result assembly. `clyra_eval_50 / peer_cel_50_programs` is the engine's overhead.
//!
//! - `policy_eval_50/clyra_eval_50`: `evaluate` from the facts JSON value: facts checked against
//!   the vocabulary into typed slots, all 50 enforced rules evaluated by their compiled plans
//!   (none matches, the worst case: no early stop; none defers, so the `cel` interpreter's
//!   context is never built), result built.
//! - `policy_eval_50/clyra_eval_50_prepared`: the same from already-checked facts.
//! - `policy_shadow/clyra_enforce_only`: the first rule denies; the 49 others are enforced, so
//!   they are skipped. `policy_shadow/clyra_with_49_shadow`: the same 49 rules in shadow mode,
//!   all evaluated and recorded. The difference is what shadow evaluation adds.

use std::hint::black_box;
use std::sync::Arc;

use clyra_core::jcs::{self, Value};
use clyra_core::policy::eval::evaluate_facts;
use clyra_core::policy::facts::Facts;
use clyra_core::policy::{evaluate, Policy};
use clyra_core::Limits;
use criterion::{criterion_group, criterion_main, Criterion};

const FACTS: &str = r#"{
  "change": {"subject": "model.shop.orders", "kind": "schema", "environment": "production",
             "actor": "alice@shop.example", "deployer": "ci@shop.example",
             "tables": ["shop.orders", "shop.order_items", "shop.customers"]},
  "dbt": {"command": "build", "target": "prod", "models": ["orders", "order_items"],
          "tests_total": 40, "tests_failed": 0, "tests_warned": 1},
  "sql": {"statements": 12, "findings": [
    {"rule": "sql.select_star", "severity": "low", "table": "shop.orders"},
    {"rule": "sql.missing_where", "severity": "medium", "table": "shop.order_items"},
    {"rule": "sql.grant", "severity": "low", "table": "shop.customers"}]},
  "genai": {"findings": []}
}"#;

/// Condition `i` of 50: a mix of comparisons, logic, membership, string methods and
/// comprehensions, none true on FACTS.
fn condition(i: usize) -> String {
    match i % 5 {
        0 => format!("change.kind == \"kind{i}\" && dbt.tests_failed > {i}"),
        1 => format!("change.environment == \"production\" && dbt.tests_failed > {i}"),
        2 => format!("\"shop.table{i}\" in change.tables || change.actor.startsWith(\"bot{i}\")"),
        3 => format!("sql.findings.exists(f, f.severity == \"critical\" && f.rule == \"r{i}\")"),
        _ => format!("size(change.tables) > {} && dbt.tests_warned > {i}", 10 + i),
    }
}

fn policy(first_denies: bool, rest_mode: &str) -> Policy {
    let mut text =
        String::from("version: 1\ndata_platform:\n  environments: [development]\n  rules:\n");
    for i in 0..50 {
        let (when, mode) = if i == 0 && first_denies {
            ("change.environment == \"production\"".to_owned(), "enforce")
        } else {
            (
                condition(i),
                if first_denies { rest_mode } else { "enforce" },
            )
        };
        text.push_str(&format!(
            "    - id: rule-{i}\n      when: '{when}'\n      decision: {}\n      mode: {mode}\n",
            if i % 2 == 0 {
                "deny"
            } else {
                "require_approval"
            }
        ));
    }
    Policy::load(text.as_bytes(), "bench.yaml", &Limits::default()).unwrap()
}

fn facts() -> Value {
    jcs::parse(FACTS.as_bytes(), &Limits::default()).unwrap()
}

fn eval_50(c: &mut Criterion) {
    let policy = policy(false, "enforce");
    let facts_json = facts();
    let prepared = Facts::from_value(&facts_json, policy.doc()).unwrap();
    assert_eq!(evaluate(&policy, &facts_json).unwrap().matched.len(), 0);
    for rule in policy.rules() {
        assert_eq!(
            rule.condition.evaluate_compiled(&prepared),
            Some(false),
            "{} runs in its compiled plan",
            rule.id
        );
    }
    let mut group = c.benchmark_group("policy_eval_50");
    group.bench_function("clyra_eval_50", |b| {
        b.iter(|| black_box(evaluate(black_box(&policy), black_box(&facts_json)).unwrap()))
    });
    group.bench_function("clyra_eval_50_prepared", |b| {
        b.iter(|| black_box(evaluate_facts(black_box(&policy), black_box(&prepared))))
    });
    // The peer: the cel crate with the same 50 programs and variables, context built once.
    let env = Arc::new(cel::Env::stdlib());
    let programs: Vec<cel::Program> = (0..50)
        .map(|i| env.compile(&condition(i)).unwrap())
        .collect();
    let json: serde_json::Value = serde_json::from_str(FACTS).unwrap();
    let mut context = cel::Context::with_env(Arc::clone(&env));
    for (name, value) in json.as_object().unwrap() {
        context.add_variable(name.as_str(), value.clone()).unwrap();
    }
    for (i, p) in programs.iter().enumerate() {
        assert_eq!(
            p.execute(&context),
            Ok(cel::Value::Bool(false)),
            "peer condition {i}"
        );
    }
    group.bench_function("peer_cel_50_programs", |b| {
        b.iter(|| {
            let mut any = false;
            for p in &programs {
                any |= matches!(p.execute(black_box(&context)), Ok(cel::Value::Bool(true)));
            }
            black_box(any)
        })
    });
    group.finish();
}

fn shadow(c: &mut Criterion) {
    let enforce = policy(true, "enforce");
    let shadowed = policy(true, "shadow");
    let facts_json = facts();
    assert_eq!(evaluate(&enforce, &facts_json).unwrap().matched.len(), 1);
    let mut group = c.benchmark_group("policy_shadow");
    group.bench_function("clyra_enforce_only", |b| {
        b.iter(|| black_box(evaluate(black_box(&enforce), black_box(&facts_json)).unwrap()))
    });
    group.bench_function("clyra_with_49_shadow", |b| {
        b.iter(|| black_box(evaluate(black_box(&shadowed), black_box(&facts_json)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, eval_50, shadow);
criterion_main!(benches);
