use super::*;
use crate::ffi::bundle::{approve, keygen};

const POLICY: &str = "version: 1\nname: t\ndata_platform:\n  mode: enforce\n  rules:\n    - id: prod\n      when: 'change.environment == \"production\"'\n      decision: require_approval\n      reason: prod\n    - id: no-drops\n      when: '\"model.shop.frozen\" in dbt.models'\n      decision: deny\n      reason: frozen\n";

fn plan_call(model: &str, sql: &str) -> Value {
    serde_json::json!({"input": {"context": {"producer_version": "0", "created_at": "2026-11-21T08:00:00Z",
        "actor": "dana", "deployer": "ci", "environments": {"prod": "production"}, "target": "prod"},
        "tool_version": "1.11.2", "project": "shop", "adapter": "duckdb", "command": "build", "args": [],
        "nodes": [{"id": model, "resource_type": "model", "materialization": "table", "relation": "shop.main.x", "sql": sql}]},
        "policy": POLICY})
}

fn answer(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn signed(request: &Value, nonce: &str) -> (String, String) {
    let approver = keygen(b"{}", [2; 32]);
    let public: Value = answer(&approver.answer);
    let call = serde_json::json!({"spec": request.to_string(), "key": String::from_utf8(approver.bytes).unwrap(),
        "sso_sub": "lee", "idp_domain": "idp.example", "mfa_verified": true, "nonce": nonce,
        "approved_at": "2026-11-21T07:00:00Z", "expires_at": "2026-11-21T12:00:00Z"});
    let envelope = String::from_utf8(approve(call.to_string().as_bytes()).bytes).unwrap();
    (
        envelope,
        public["result"]["public_pem"].as_str().unwrap().to_owned(),
    )
}

fn gate_with(plan: &Value, approvals: &[(String, &str)], key: &str) -> Value {
    let producer = String::from_utf8(keygen(b"{}", [1; 32]).bytes).unwrap();
    let given: Vec<Value> = approvals
        .iter()
        .map(|(e, n)| serde_json::json!({"envelope": e, "nonce": n}))
        .collect();
    let call = serde_json::json!({"plan": plan, "policy": POLICY, "approvals": given, "approver_keys": [key],
        "keys": [producer], "at": "2026-11-21T08:00:00Z", "producer_version": "0"});
    answer(&gate(call.to_string().as_bytes()))
}

#[test]
fn production_plan_needs_an_approval_of_this_very_plan() {
    let a = answer(&plan(
        plan_call("model.shop.orders", "select 1")
            .to_string()
            .as_bytes(),
    ));
    let a = &a["result"];
    assert_eq!(a["gate"], "approval_required", "{a}");
    assert_eq!(a["approvals_required"], 1);
    assert_eq!(a["change"]["plan"], a["digest"]);
    let (envelope, key) = signed(&a["request"], "n-0123456789abcdef");
    let ok = gate_with(
        &a["plan"],
        &[(envelope.clone(), "n-0123456789abcdef")],
        &key,
    );
    assert_eq!(ok["result"]["gate"], "pass", "{ok}");
    assert_eq!(ok["result"]["approvals_counted"], 1);
    // The approval of plan A does not cover plan B (one byte of SQL differs).
    let b = answer(&plan(
        plan_call("model.shop.orders", "select 2")
            .to_string()
            .as_bytes(),
    ));
    let refused = gate_with(
        &b["result"]["plan"],
        &[(envelope, "n-0123456789abcdef")],
        &key,
    );
    assert_eq!(refused["result"]["gate"], "approval_required", "{refused}");
    assert_eq!(
        refused["result"]["approval_errors"][0]["code"],
        "build.approval"
    );
}

#[test]
fn an_enforced_deny_on_planned_facts_stops_the_plan() {
    let a = answer(&plan(
        plan_call("model.shop.frozen", "select 1")
            .to_string()
            .as_bytes(),
    ));
    assert_eq!(a["result"]["gate"], "deny", "{a}");
    assert_eq!(a["result"]["policy"]["rule"], "no-drops");
    let bad = gate_with(&serde_json::json!({"type": "x"}), &[], "");
    assert_eq!(bad["errors"][0]["code"], "plan.invalid", "{bad}");
}
