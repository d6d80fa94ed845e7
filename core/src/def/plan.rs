//! The plan of a dbt invocation (plan-v0.md): what it will do, determined before it runs, as a
//! canonical document whose digest an approval binds; the policy facts known before execution;
//! and the drift between a plan and what dbt then executed.
//!
//! A host (the Python `clyra.dbt` package) compiles the selection in-process (`dbt compile`, no
//! model is materialised) and hands the selected nodes with their compiled SQL here; this module
//! digests the SQL, runs the SQL guard on it, classifies the relations with the policy and makes
//! the plan, its digest and the `change` an approver signs. It reads no file and no clock.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{json, Value};

use super::dbt::{environment_of, ExecutedSql, RunContext};
use super::error::{DefError, DefErrorKind as Kind};
use super::guard;
use crate::digest::Sha256Digest;
use crate::limits::Limits;
use crate::policy::facts::policy_severity;
use crate::policy::PolicyDoc;

/// The `type` of a plan document.
pub const PLAN_TYPE: &str = "https://clyra.dev/plan/v0";

/// The plan schema text (mirror of `spec/schemas/plan-v0.schema.json`).
pub const PLAN_SCHEMA: &str = include_str!("../../schemas/plan-v0.schema.json");

/// Node kinds a plan lists (plan-v0.md §2): what `dbt build` materialises or tests.
const PLANNED_KINDS: [&str; 4] = ["model", "seed", "snapshot", "test"];

/// One selected node as the host compiled it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeInput {
    /// dbt's `unique_id`.
    pub id: String,
    /// `model`, `seed`, `snapshot` or `test` (other kinds are left out of the plan).
    pub resource_type: String,
    /// The node's `config.materialized`, when it has one.
    #[serde(default)]
    pub materialization: Option<String>,
    /// The relation it writes, `db.schema.name`, for models, seeds and snapshots.
    #[serde(default)]
    pub relation: Option<String>,
    /// The compiled SQL text (digested, never recorded), when the node has SQL.
    #[serde(default)]
    pub sql: Option<String>,
}

/// What the host determined about an invocation before running it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Who, where, which commit (`target` is required; `subject` names the change).
    pub context: RunContext,
    /// dbt's version (`dbt --version`'s `installed`).
    pub tool_version: String,
    /// The dbt project's name.
    pub project: String,
    /// The adapter type (`duckdb`, `postgres`, …): the SQL guard's dialect.
    pub adapter: String,
    /// The dbt command: `build`, `run`, `seed`, `snapshot` or `test`.
    pub command: String,
    /// dbt's arguments as given, without path options (plan-v0.md §2).
    pub args: Vec<String>,
    /// The selected nodes.
    pub nodes: Vec<NodeInput>,
    /// The working tree has changes not in `git_commit`.
    #[serde(default)]
    pub dirty: bool,
    /// The kind of change approved (default `schema` when the plan writes a relation, else `data`).
    #[serde(default)]
    pub kind: Option<String>,
}

/// A plan with its digest and the `change` object an approval signs.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The plan document (plan-v0.md §2).
    pub document: Value,
    /// `sha256:` of its canonical bytes (plan-v0.md §3).
    pub digest: String,
    /// The manifest `change`, with `plan` = the digest (approval-v0.md §3.1).
    pub change: Value,
}

fn plan_error(message: impl Into<String>) -> DefError {
    DefError::new(
        Kind::Plan,
        message,
        "plan the run again with `clyra dbt plan` and approve that plan",
    )
}

/// The RFC 8785 form of `value` (primitives.md §2).
pub fn canonical_bytes(value: &Value) -> Result<Vec<u8>, DefError> {
    let bytes = serde_json::to_vec(value).map_err(|e| plan_error(e.to_string()))?;
    crate::jcs::canonicalize(&bytes, &Limits::default())
        .map_err(|e| plan_error(format!("the plan is not canonical JSON: {e}")))
}

/// `sha256:` of the RFC 8785 form of `value` (plan-v0.md §3).
pub fn canonical_digest(value: &Value) -> Result<String, DefError> {
    Ok(Sha256Digest::of(&canonical_bytes(value)?).to_prefixed())
}

/// Makes the plan of `input`; `policy` classifies its relations (`pii_tables`) and its hash
/// is recorded, so an approval also binds the policy that asked for it.
pub fn make_plan(input: &PlanInput, policy: Option<(&PolicyDoc, &str)>) -> Result<Plan, DefError> {
    let cx = &input.context;
    let target = cx.target.as_deref().ok_or_else(|| {
        DefError::new(
            Kind::Environment,
            "the run's dbt target is unknown",
            "pass dbt's --target NAME after `--`",
        )
    })?;
    let environment = environment_of(target, cx)?;
    if !matches!(
        input.command.as_str(),
        "build" | "run" | "seed" | "snapshot" | "test"
    ) {
        return Err(plan_error(format!(
            "`dbt {}` cannot be planned",
            input.command
        )));
    }
    let mut nodes = BTreeMap::new();
    let mut executed = Vec::new();
    for n in &input.nodes {
        if !PLANNED_KINDS.contains(&n.resource_type.as_str()) {
            continue;
        }
        let mut node = json!({"id": n.id, "resource_type": n.resource_type});
        if let Some(map) = node.as_object_mut() {
            if let Some(m) = &n.materialization {
                map.insert("materialization".into(), Value::from(m.as_str()));
            }
            if let Some(r) = &n.relation {
                map.insert("relation".into(), Value::from(r.as_str()));
            }
            if let Some(sql) = &n.sql {
                map.insert(
                    "sql".into(),
                    Value::from(Sha256Digest::of(sql.as_bytes()).to_prefixed()),
                );
                if n.resource_type != "test" {
                    executed.push(ExecutedSql {
                        node: n.id.clone(),
                        sql: sql.clone(),
                    });
                }
            }
        }
        if nodes.insert(n.id.clone(), node).is_some() {
            return Err(plan_error(format!("node `{}` is listed twice", n.id)));
        }
    }
    let relations: BTreeSet<&str> = input
        .nodes
        .iter()
        .filter(|n| n.resource_type != "test")
        .filter_map(|n| n.relation.as_deref())
        .collect();
    let pii: Vec<&str> = match policy {
        Some((doc, _)) => relations
            .iter()
            .copied()
            .filter(|r| doc.is_pii_table(r))
            .collect(),
        None => Vec::new(),
    };
    let findings = sql_findings(&input.adapter, &relations, &executed);
    let writes = input.nodes.iter().any(|n| {
        matches!(n.resource_type.as_str(), "model" | "seed" | "snapshot")
            && n.materialization.as_deref() != Some("ephemeral")
    });
    let kind = input
        .kind
        .clone()
        .unwrap_or_else(|| if writes { "schema" } else { "data" }.to_owned());
    let subject = cx
        .subject
        .clone()
        .unwrap_or_else(|| format!("project:{}", input.project));
    let deployer = cx.deployer.clone().unwrap_or_else(|| cx.actor.clone());
    let mut git = json!({"dirty": input.dirty});
    if let (Some(commit), Some(map)) = (&cx.git_commit, git.as_object_mut()) {
        map.insert("commit".into(), Value::from(commit.as_str()));
    }
    let mut document = json!({
        "type": PLAN_TYPE, "tool": "dbt", "tool_version": input.tool_version, "project": input.project,
        "adapter": input.adapter, "command": input.command, "args": input.args, "target": target,
        "environment": environment, "subject": subject, "kind": kind, "actor": cx.actor,
        "deployer": deployer, "git": git, "nodes": nodes.into_values().collect::<Vec<_>>(),
        "pii_tables": pii, "sql_findings": findings,
    });
    if let (Some((_, hash)), Some(map)) = (policy, document.as_object_mut()) {
        map.insert("policy_hash".into(), Value::from(hash));
    }
    plan_of(document)
}

/// The SQL guard's findings on the compiled SQL, in the policy's shape (policy-v1.md §5.2).
fn sql_findings(adapter: &str, relations: &BTreeSet<&str>, executed: &[ExecutedSql]) -> Vec<Value> {
    let nodes: serde_json::Map<String, Value> = relations
        .iter()
        .map(|r| ((*r).to_owned(), json!({"relation_name": r})))
        .collect();
    guard::findings(adapter, &[], &nodes, executed)
        .findings
        .iter()
        .map(|f| {
            let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            json!({"asset": s("asset"), "rule": s("rule"), "severity": policy_severity(&s("severity")),
                "guard_severity": s("severity"), "table": s("object")})
        })
        .collect()
}

/// Checks a plan document given back by a host (a held plan, the plan of a run being sealed)
/// against `plan-v0.schema.json` and returns it with its digest and change.
pub fn plan_of(document: Value) -> Result<Plan, DefError> {
    let schema: Value = serde_json::from_str(PLAN_SCHEMA)
        .map_err(|e| plan_error(format!("embedded schema: {e}")))?;
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .map_err(|e| plan_error(format!("embedded schema: {e}")))?;
    if let Some(e) = validator.iter_errors(&document).next() {
        return Err(plan_error(format!(
            "the plan does not match plan-v0.schema.json: {e} at `{}`",
            e.instance_path()
        )));
    }
    let digest = canonical_digest(&document)?;
    let s = |k: &str| document.get(k).cloned().unwrap_or(Value::Null);
    let change = json!({"subject": s("subject"), "kind": s("kind"), "actor": s("actor"),
        "deployer": s("deployer"), "environment": s("environment"), "plan": digest});
    Ok(Plan {
        document,
        digest,
        change,
    })
}

/// The policy facts known before execution (plan-v0.md §4): `change.*` and `dbt.command`,
/// `dbt.target`, `dbt.models`, `sql.findings` from the compiled SQL. Facts only a run can
/// know (`dbt.tests_*`, `dbt.drift`, `sql.statements`) are absent, and read as zero.
pub fn plan_facts(plan: &Plan) -> Value {
    let d = &plan.document;
    let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let nodes = d
        .get("nodes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let tables: Vec<&str> = nodes
        .iter()
        .filter(|n| n.get("resource_type").and_then(Value::as_str) != Some("test"))
        .filter_map(|n| n.get("relation").and_then(Value::as_str))
        .collect();
    let models: Vec<&str> = nodes
        .iter()
        .filter(|n| n.get("resource_type").and_then(Value::as_str) == Some("model"))
        .filter_map(|n| n.get("id").and_then(Value::as_str))
        .collect();
    let summary = format!(
        "dbt {} on target {}: planned {} change to {} ({} nodes, plan {})",
        s("command"),
        s("target"),
        s("kind"),
        s("subject"),
        nodes.len(),
        plan.digest
    );
    json!({
        "change": {"summary": summary, "subject": s("subject"), "kind": s("kind"), "environment": s("environment"),
            "actor": s("actor"), "deployer": s("deployer"), "tables": tables},
        "dbt": {"command": s("command"), "target": s("target"), "models": models},
        "sql": {"findings": d.get("sql_findings").cloned().unwrap_or_else(|| json!([]))},
    })
}

/// The drift between a plan and the run's `run_results.json` results (plan-v0.md §5): a node
/// dbt ran that the plan does not list (`plan.unplanned_node`), and a node whose compiled SQL
/// digest differs from the planned one (`plan.sql_changed`). Skipped nodes ran nothing.
pub fn drift(plan: &Value, results: &[Value]) -> Vec<Value> {
    let planned: BTreeMap<&str, Option<&str>> = plan
        .get("nodes")
        .and_then(Value::as_array)
        .map(|nodes| {
            nodes
                .iter()
                .filter_map(|n| {
                    let id = n.get("id")?.as_str()?;
                    Some((id, n.get("sql").and_then(Value::as_str)))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for r in results {
        let Some(id) = r.get("unique_id").and_then(Value::as_str) else {
            continue;
        };
        let kind = id.split('.').next().unwrap_or("");
        if !PLANNED_KINDS.contains(&kind)
            || r.get("status").and_then(Value::as_str) == Some("skipped")
        {
            continue;
        }
        let ran = r
            .get("compiled_code")
            .and_then(Value::as_str)
            .map(|c| Sha256Digest::of(c.as_bytes()).to_prefixed());
        match planned.get(id) {
            None => out.push(json!({"rule": "plan.unplanned_node", "asset": id})),
            Some(Some(sql)) if ran.as_deref().is_some_and(|r| r != *sql) => {
                out.push(json!({"rule": "plan.sql_changed", "asset": id, "planned": sql, "executed": ran}));
            }
            Some(_) => {}
        }
    }
    out
}

impl super::dbt::Sealed {
    /// Binds a sealed run to the plan it was gated on (plan-v0.md §5): the manifest `change` is
    /// the plan's (what the approvals signed), a `plan.checked` event follows `run.started`, each
    /// drift item is a `plan.drift` event before `run.finished`, and the summary lists the drift
    /// (`drift`), which the policy reads as `dbt.drift`.
    pub fn record_plan(&mut self, plan: &Plan, results: &[Value]) {
        let found = drift(&plan.document, results);
        let nodes = plan
            .document
            .get("nodes")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if let Some(summary) = self.summary.as_object_mut() {
            summary.insert("drift".into(), Value::from(found.clone()));
            summary.insert("plan".into(), Value::from(plan.digest.as_str()));
        }
        let Some(spec) = self.spec.as_object_mut() else {
            return;
        };
        spec.insert("change".into(), plan.change.clone());
        if let Some(journal) = spec.get_mut("journal").and_then(Value::as_array_mut) {
            let at = |e: Option<&Value>| {
                e.and_then(|e| e.get("at"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let started = at(journal.first());
            let finished = at(journal.last());
            let checked = json!({"at": started, "kind": "plan.checked", "data": {"plan": plan.digest, "nodes": nodes}});
            let first = journal.len().min(1);
            journal.insert(first, checked);
            let last = journal.len().saturating_sub(1);
            let events: Vec<Value> = found
                .iter()
                .map(|d| json!({"at": finished, "kind": "plan.drift", "data": d}))
                .collect();
            journal.splice(last..last, events);
        }
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
