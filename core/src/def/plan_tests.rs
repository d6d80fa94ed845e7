use super::*;

fn context() -> RunContext {
    serde_json::from_value(
        json!({"producer_version": "0", "created_at": "2026-11-21T08:00:00Z",
        "actor": "dana", "deployer": "ci", "environments": {"prod": "production"}, "target": "prod",
        "git_commit": "0123456789abcdef0123456789abcdef01234567"}),
    )
    .unwrap()
}

fn input(sql: &str) -> PlanInput {
    serde_json::from_value(
        json!({"context": {"producer_version": "0", "created_at": "2026-11-21T08:00:00Z",
        "actor": "x", "environments": {}}, "tool_version": "1.11.2",
        "project": "shop", "adapter": "duckdb", "command": "build", "args": ["--target", "prod"],
        "nodes": [
            {"id": "model.shop.orders", "resource_type": "model", "materialization": "table",
             "relation": "shop.main.orders", "sql": sql},
            {"id": "test.shop.not_null", "resource_type": "test", "sql": "select 1"},
            {"id": "analysis.shop.a", "resource_type": "analysis", "sql": "select 2"}]}),
    )
    .map(|mut i: PlanInput| {
        i.context = context();
        i
    })
    .unwrap()
}

#[test]
fn the_plan_is_canonical_and_its_change_binds_the_digest() {
    let plan = make_plan(&input("select 1 as id"), None).unwrap();
    assert_eq!(plan.document["type"], PLAN_TYPE);
    assert_eq!(plan.document["environment"], "production");
    assert_eq!(plan.document["kind"], "schema");
    assert_eq!(plan.document["subject"], "project:shop");
    assert_eq!(
        plan.document["nodes"].as_array().unwrap().len(),
        2,
        "analyses are not planned"
    );
    assert_eq!(plan.document["git"]["dirty"], false);
    assert_eq!(plan.change["plan"], plan.digest.as_str());
    assert_eq!(plan.digest, canonical_digest(&plan.document).unwrap());
    // The same inputs give the same digest; one byte of SQL changes it.
    assert_eq!(
        make_plan(&input("select 1 as id"), None).unwrap().digest,
        plan.digest
    );
    assert_ne!(
        make_plan(&input("select 2 as id"), None).unwrap().digest,
        plan.digest
    );
    // A plan given back is checked against the schema.
    assert_eq!(plan_of(plan.document.clone()).unwrap(), plan);
    let mut bad = plan.document.clone();
    bad["environment"] = json!("moon");
    assert_eq!(
        crate::error::Coded::code(&plan_of(bad).unwrap_err()),
        "plan.invalid"
    );
}

#[test]
fn compiled_sql_findings_and_pre_execution_facts() {
    let plan = make_plan(&input("delete from shop.main.orders"), None).unwrap();
    assert_eq!(
        plan.document["sql_findings"][0]["rule"],
        "sql.delete_without_where"
    );
    assert_eq!(plan.document["sql_findings"][0]["severity"], "critical");
    let facts = plan_facts(&plan);
    assert_eq!(facts["dbt"]["models"], json!(["model.shop.orders"]));
    assert_eq!(facts["change"]["tables"], json!(["shop.main.orders"]));
    assert_eq!(facts["change"]["environment"], "production");
    assert!(
        facts["dbt"].get("tests_failed").is_none(),
        "known only after execution"
    );
}

#[test]
fn unmapped_targets_and_duplicate_nodes_are_refused() {
    let mut i = input("select 1");
    i.context.target = Some("qa".into());
    assert_eq!(
        crate::error::Coded::code(&make_plan(&i, None).unwrap_err()),
        "seal.environment"
    );
    let mut i = input("select 1");
    let again = i.nodes[0].clone();
    i.nodes.push(again);
    assert_eq!(
        crate::error::Coded::code(&make_plan(&i, None).unwrap_err()),
        "plan.invalid"
    );
}

#[test]
fn drift_is_an_unplanned_node_or_changed_sql() {
    let plan = make_plan(&input("select 1 as id"), None).unwrap();
    let same = json!({"unique_id": "model.shop.orders", "status": "success", "compiled_code": "select 1 as id"});
    assert!(drift(&plan.document, &[same]).is_empty());
    let edited = json!({"unique_id": "model.shop.orders", "status": "success", "compiled_code": "select 2 as id"});
    let extra =
        json!({"unique_id": "model.shop.new", "status": "success", "compiled_code": "select 3"});
    let skipped = json!({"unique_id": "model.shop.other", "status": "skipped"});
    let found = drift(&plan.document, &[edited, extra, skipped]);
    let rules: Vec<&str> = found.iter().map(|d| d["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["plan.sql_changed", "plan.unplanned_node"]);
    assert_eq!(found[1]["asset"], "model.shop.new");
}
