use serde_json::{json, Value};

use super::*;
use crate::Coded;

fn run_results(invocation: &str, test_status: &str) -> Value {
    json!({
        "metadata": {"dbt_version": "1.11.16", "invocation_id": invocation,
            "invocation_started_at": "2026-11-21T07:46:43.169757Z", "generated_at": "2026-11-21T07:46:46.803771Z"},
        "elapsed_time": 0.85,
        "args": {"which": "build"},
        "results": [
            {"unique_id": "model.shop.orders", "status": "success", "compiled_code": "select 1",
             "adapter_response": {"rows_affected": 4},
             "timing": [{"name": "execute", "started_at": "2026-11-21T07:46:44.1Z", "completed_at": "2026-11-21T07:46:45.2Z"}]},
            {"unique_id": "test.shop.not_null_orders_id.1", "status": test_status, "failures": 0,
             "timing": [{"name": "execute", "started_at": "2026-11-21T07:46:45.3Z", "completed_at": "2026-11-21T07:46:45.9Z"}]}
        ]
    })
}

fn manifest(invocation: &str, adapter: &str) -> Value {
    json!({
        "metadata": {"invocation_id": invocation, "project_name": "shop", "adapter_type": adapter},
        "nodes": {
            "model.shop.orders": {"resource_type": "model", "database": "shop", "schema": "main", "alias": "orders",
                "depends_on": {"nodes": ["model.shop.stg_orders"]}},
            "test.shop.not_null_orders_id.1": {"resource_type": "test", "attached_node": "model.shop.orders"}
        }
    })
}

fn facts(invocation: &str, extra: &[(&str, &str, &str)]) -> Value {
    let mut rows = vec![json!(["shop", "main", "orders", "id", "INTEGER", "NO"])];
    for (name, ty, nullable) in extra {
        rows.push(json!(["shop", "main", "orders", name, ty, nullable]));
    }
    json!({"invocation_id": invocation, "target": "dev", "columns": rows,
        "wal_lsn": "0/16b3748", "isolation_level": "read committed"})
}

fn context() -> RunContext {
    RunContext {
        producer_version: "0.1.0".into(),
        created_at: "2026-11-21T07:47:00Z".into(),
        actor: "dana@example.com".into(),
        environments: [("dev".to_owned(), "development".to_owned())]
            .into_iter()
            .collect(),
        ..RunContext::default()
    }
}

#[test]
fn two_runs_give_a_semantic_delta_and_a_buildable_spec() {
    let first = seal_spec(
        &run_results("a-1", "pass"),
        &manifest("a-1", "duckdb"),
        Some(&facts("a-1", &[("status", "VARCHAR", "YES")])),
        None,
        &context(),
    )
    .unwrap();
    let asset = &first.spec["def"]["assets"][0];
    assert_eq!(asset["change"], "schema");
    assert!(asset.get("before").is_none() && asset.get("columns_added").is_none());
    assert_eq!(first.spec["def"]["run"]["status"], "success");
    assert_eq!(
        first.spec["lineage"],
        json!([{"from": "model.shop.stg_orders", "to": "model.shop.orders"}])
    );
    assert_eq!(first.spec["def"]["metrics"]["rows_affected"], 4);
    // The spec builds into a bundle that the builder's own verifier checks accept.
    let spec = crate::build::BundleSpec::parse(
        &serde_json::to_vec(&first.spec).unwrap(),
        &crate::Limits::default(),
    );
    assert!(spec.is_ok(), "{spec:?}");

    let second = seal_spec(
        &run_results("a-2", "fail"),
        &manifest("a-2", "duckdb"),
        Some(&facts(
            "a-2",
            &[("status", "INTEGER", "YES"), ("amount", "DOUBLE", "YES")],
        )),
        Some(&first.state),
        &context(),
    )
    .unwrap();
    let asset = &second.spec["def"]["assets"][0];
    assert_eq!(asset["columns_added"], json!(["amount"]));
    assert_eq!(asset["columns_changed"], json!(["status"]));
    assert_eq!(
        asset["before"]["schema_fingerprint"],
        first.spec["def"]["assets"][0]["after"]["schema_fingerprint"]
    );
    assert_eq!(second.spec["risk"]["factors"]["violations_critical"], 1);
    assert_eq!(second.spec["def"]["run"]["status"], "partial");
    assert_eq!(
        second.summary["schema_changes"][0]["columns_added"],
        json!(["amount"])
    );

    // Same columns again: a data change with equal fingerprints.
    let third = seal_spec(
        &run_results("a-3", "pass"),
        &manifest("a-3", "duckdb"),
        Some(&facts(
            "a-3",
            &[("status", "integer", "YES"), ("amount", "DOUBLE", "YES")],
        )),
        Some(&second.state),
        &context(),
    )
    .unwrap();
    assert_eq!(third.spec["def"]["assets"][0]["change"], "data");
    assert_eq!(third.spec["change"]["kind"], "data");
}

#[test]
fn postgres_anchor_and_journal_in_time_order() {
    let sealed = seal_spec(
        &run_results("p-1", "pass"),
        &manifest("p-1", "postgres"),
        Some(&facts("p-1", &[])),
        None,
        &context(),
    )
    .unwrap();
    assert_eq!(
        sealed.spec["anchors"],
        json!([{"kind": "postgres", "wal_lsn": "0/16B3748", "isolation_level": "read committed"}])
    );
    let journal = sealed.spec["journal"].as_array().unwrap();
    let times: Vec<&str> = journal.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    assert_eq!(journal.first().unwrap()["kind"], "run.started");
    assert_eq!(journal.last().unwrap()["kind"], "run.finished");
}

#[test]
fn bad_inputs_have_codes() {
    let err = |r: Result<Sealed, DefError>| r.unwrap_err().code();
    let mut cx = context();
    cx.environments.clear();
    assert_eq!(
        err(seal_spec(
            &run_results("e", "pass"),
            &manifest("e", "duckdb"),
            Some(&facts("e", &[])),
            None,
            &cx
        )),
        "seal.environment"
    );
    assert_eq!(
        err(seal_spec(
            &run_results("e", "pass"),
            &manifest("other", "duckdb"),
            None,
            None,
            &context()
        )),
        "seal.artifact"
    );
    assert_eq!(
        err(seal_spec(
            &json!({}),
            &manifest("e", "duckdb"),
            None,
            None,
            &context()
        )),
        "seal.artifact"
    );
    assert_eq!(
        err(seal_spec(
            &run_results("e", "pass"),
            &manifest("e", "duckdb"),
            Some(&facts("x", &[])),
            None,
            &context()
        )),
        "seal.facts"
    );
    assert_eq!(
        err(seal_spec(
            &run_results("e", "pass"),
            &manifest("e", "duckdb"),
            Some(&json!({"target": "dev", "columns": [[1]]})),
            None,
            &context()
        )),
        "seal.facts"
    );
    assert_eq!(
        err(seal_spec(
            &run_results("e", "pass"),
            &manifest("e", "duckdb"),
            Some(&facts("e", &[])),
            Some(&json!({})),
            &context()
        )),
        "seal.state"
    );
    let mut early = context();
    early.created_at = "2026-11-21T07:46:00Z".into();
    assert_eq!(
        err(seal_spec(
            &run_results("e", "pass"),
            &manifest("e", "duckdb"),
            Some(&facts("e", &[])),
            None,
            &early
        )),
        "seal.time"
    );
    let mut cx = context();
    cx.target = None;
    assert_eq!(
        err(seal_spec(
            &run_results("e", "pass"),
            &manifest("e", "duckdb"),
            None,
            None,
            &cx
        )),
        "seal.environment"
    );
}

#[test]
fn policy_facts_of_a_sealed_run_drive_the_policy() {
    let sealed = seal_spec(
        &run_results("p-1", "fail"),
        &manifest("p-1", "duckdb"),
        Some(&facts("p-1", &[])),
        None,
        &context(),
    )
    .unwrap();
    let f = crate::def::facts::policy_facts(&sealed);
    assert_eq!(f["dbt"]["tests_failed"], 1, "{f}");
    assert_eq!(f["dbt"]["tests_total"], 1, "{f}");
    assert_eq!(f["dbt"]["command"], "build", "{f}");
    assert_eq!(f["dbt"]["target"], "dev", "{f}");
    assert_eq!(f["change"]["environment"], "development", "{f}");
    assert!(f["dbt"]["models"]
        .as_array()
        .unwrap()
        .contains(&json!("model.shop.orders")));
    let starter = crate::policy::init::starter(crate::policy::init::InitEnv::Dev);
    let e = crate::ffi::policy::evaluate_text(starter, "policy.yaml", &f).unwrap();
    assert_eq!(e.evaluation.rule.as_deref(), Some("dbt-tests-failed"));
    assert!(e.evaluation.blocked);
}

#[test]
fn enforced_approval_decisions_set_the_required_count_and_shadow_ones_the_risk() {
    let producer = String::from_utf8(crate::ffi::bundle::keygen(b"{}", [1; 32]).bytes).unwrap();
    let seal_under = |mode: &str| -> Value {
        let policy = format!(
            "version: 1\nname: t\ndefault_decision: allow\ndata_platform:\n  mode: enforce\n  rules:\n    - id: two\n      when: 'dbt.command == \"build\" && sql.statements == 1'\n      decision: require_two_person\n      mode: {mode}\n      reason: builds need two\n"
        );
        let call = json!({"context": {"producer_version": "0.1.0", "created_at": "2026-11-21T07:47:00Z",
            "actor": "dana@example.com", "environments": {"dev": "development"}},
            "facts": facts("p-1", &[]), "keys": [producer], "signed_at": "2026-11-21T07:47:00Z", "policy": policy});
        let out = crate::ffi::dbt::seal(
            call.to_string().as_bytes(),
            run_results("p-1", "pass").to_string().as_bytes(),
            manifest("p-1", "duckdb").to_string().as_bytes(),
            &[],
        );
        let answer: Value = serde_json::from_slice(&out.answer).unwrap();
        assert_eq!(answer["type"], "success", "{answer}");
        answer["result"].clone()
    };
    // Enforced: the bundle requires two approvals and holds none; the host fails the run.
    let enforced = seal_under("enforce");
    assert_eq!(enforced["spec"]["approvals"]["required"], 2);
    assert_eq!(enforced["spec"]["policy"]["required"], true);
    assert_eq!(enforced["approvals_required"], 2);
    assert_eq!(enforced["approvals_recorded"], 0);
    assert_eq!(
        enforced["spec"]["risk"]["factors"]["approval_bypassed"],
        false
    );
    // Shadow: recorded only; the count stays 0 and the risk counts the bypass.
    let shadow = seal_under("shadow");
    assert_eq!(shadow["spec"]["approvals"]["required"], 0);
    assert_eq!(shadow["spec"]["policy"]["required"], false);
    assert_eq!(shadow["spec"]["policy"]["decisions"][0]["mode"], "shadow");
    assert_eq!(shadow["approvals_required"], 0);
    assert_eq!(shadow["spec"]["risk"]["factors"]["approval_bypassed"], true);
    // One `policy.decided` event, right after `run.started` (the policy is recorded once).
    let kinds: Vec<&str> = shadow["spec"]["journal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[..2], ["run.started", "policy.decided"]);
    assert_eq!(kinds.iter().filter(|k| **k == "policy.decided").count(), 1);
}
