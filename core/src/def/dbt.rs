//! One dbt run as a DEF bundle spec (def-v0.md §2, bundle-v0.md §9) and the state for the next.
//!
//! Inputs: dbt's `run_results.json` (v6) and `manifest.json` (v12) as parsed JSON, the facts the
//! `on-run-end` hook of the `clyra` dbt package logged (column lists, WAL LSN, Delta history),
//! the state the previous run left in `.clyra/state/`, and the host's [`RunContext`]. Output: the
//! bundle spec, the next state and a short summary. Each changed relation gets a schema
//! fingerprint (§3) from the logged columns and a semantic delta (columns added, removed,
//! retyped) against the previous state; compiled SQL is recorded by digest, never as rows.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::anchors::{self, Anchor};
use super::error::{DefError, DefErrorKind as Kind};
use super::fingerprint::{delta, fingerprint, Column};
use super::guard;
use crate::digest::Sha256Digest;
use crate::time::Timestamp;

/// What the host knows about the run besides dbt's artifacts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunContext {
    /// The integration's version (`producer.version`).
    pub producer_version: String,
    /// When the bundle is sealed (`created_at`); not before the run finished.
    pub created_at: String,
    /// The author of the change (`change.actor`): the commit author, or the user.
    pub actor: String,
    /// The identity that executed the run (`change.deployer`, `def.run.actor`); default `actor`.
    #[serde(default)]
    pub deployer: Option<String>,
    /// dbt target name → `production` | `staging` | `development` | `test` (def-v0.md §2.2.5).
    pub environments: BTreeMap<String, String>,
    /// The dbt target, when the hook's facts do not say it.
    #[serde(default)]
    pub target: Option<String>,
    /// The command line as run; default `dbt <which>`.
    #[serde(default)]
    pub command: Option<String>,
    /// The project's git commit (40 lowercase hex), when in a checkout.
    #[serde(default)]
    pub git_commit: Option<String>,
    /// The policy block (def-v0.md §7): hash, required, decisions; default none.
    #[serde(default)]
    pub policy: Option<Value>,
    /// The SQL dbt executed, per node, as the host saw it (dbt's `SQLQuery` events); when empty
    /// the guard reads each result's `compiled_code` instead (a run sealed from artifacts).
    #[serde(default)]
    pub executed_sql: Vec<ExecutedSql>,
    /// Whether the run happened outside working hours (risk factor), as the host judges.
    #[serde(default)]
    pub off_hours: bool,
    /// `approvals.required`: 0, 1 or 2.
    #[serde(default)]
    pub approvals_required: u8,
    /// The `change.subject`; default: the one changed asset, or the project.
    #[serde(default)]
    pub subject: Option<String>,
    /// Media types of the artifacts the host adds (`artifacts/<name>`).
    #[serde(default)]
    pub artifacts: BTreeMap<String, String>,
}

/// One SQL statement text dbt executed for a node.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutedSql {
    /// The node's `unique_id`.
    pub node: String,
    /// The SQL text.
    pub sql: String,
}

/// The result of [`seal_spec`].
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    /// The bundle spec (bundle-v0.md §9).
    pub spec: Value,
    /// The state to keep for the next run (`.clyra/state/last.json`): per relation
    /// (lowercased `db.schema.table`) its asset id, fingerprint and columns; the actors seen.
    pub state: Value,
    /// What happened, for people: status, schema changes, tests, anchors.
    pub summary: Value,
}

fn artifact(message: impl Into<String>) -> DefError {
    DefError::new(
        Kind::Artifact,
        message,
        "run dbt again so that target/ holds the run's own run_results.json and manifest.json",
    )
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// An RFC 3339 time from dbt (`2026-11-21T07:46:43.169757Z`, `+00:00`, or a space) truncated
/// to whole seconds.
fn second(t: &str) -> Option<Timestamp> {
    let head = t.get(..19)?.replace(' ', "T");
    Timestamp::parse(&format!("{head}Z")).ok()
}

/// Columns per lowercased `db.schema.table` from the hook's `columns` rows
/// `[catalog, schema, table, column, type, nullable]`.
fn columns_of(facts: &Map<String, Value>) -> Result<BTreeMap<String, Vec<Column>>, DefError> {
    let mut out: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    let rows = match facts.get("columns") {
        None => return Ok(out),
        Some(v) => v
            .as_array()
            .ok_or_else(|| facts_error("`columns` is not a list"))?,
    };
    for row in rows {
        let cells = row.as_array().map(Vec::as_slice).unwrap_or_default();
        let [db, schema, table, name, ty, nullable] = cells else {
            return Err(facts_error(
                "a `columns` row is not [catalog, schema, table, column, type, nullable]",
            ));
        };
        let s = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| facts_error("a `columns` cell is not text"))
        };
        let nullable = match nullable {
            Value::Bool(b) => *b,
            Value::String(t) => matches!(t.to_ascii_uppercase().as_str(), "YES" | "TRUE" | "Y"),
            _ => return Err(facts_error("a column's nullability is not YES/NO")),
        };
        let key = format!("{}.{}.{}", s(db)?, s(schema)?, s(table)?).to_ascii_lowercase();
        out.entry(key).or_default().push(Column {
            name: s(name)?,
            data_type: s(ty)?,
            nullable,
        });
    }
    Ok(out)
}

fn facts_error(what: &str) -> DefError {
    DefError::new(
        Kind::Facts,
        format!("the facts logged by the clyra dbt hook are malformed: {what}"),
        "reinstall the hook with `clyra dbt init --force` and run again",
    )
}

fn state_error(what: &str) -> DefError {
    DefError::new(
        Kind::State,
        format!("the previous run's state is malformed: {what}"),
        "remove .clyra/state/last.json; the next run records every relation as new",
    )
}

/// A node event on the journal: its time, kind and data.
struct Event {
    at: Timestamp,
    kind: &'static str,
    data: Value,
}

fn event(at: &Timestamp, kind: &'static str, data: Value) -> Event {
    Event {
        at: at.clone(),
        kind,
        data,
    }
}

fn test_status(status: &str) -> &'static str {
    match status {
        "pass" | "success" => "pass",
        "fail" => "fail",
        "warn" => "warn",
        "skipped" | "no-op" => "skipped",
        _ => "error",
    }
}

/// The manifest's `change` object: what an approver signs (its digest is the approval's
/// `payload_hash`), so the approval preflight and the seal make it in one place.
pub fn change_of(subject: &str, kind: &str, cx: &RunContext, environment: &str) -> Value {
    let deployer = cx.deployer.clone().unwrap_or_else(|| cx.actor.clone());
    json!({"subject": subject, "kind": kind, "actor": cx.actor, "deployer": deployer, "environment": environment})
}

/// risk-v1's `approval_bypassed`: an enforce or shadow decision needs more approvals than the
/// run records (`require_approval` 1, `require_two_person` 2).
fn approval_bypassed(decisions: &[Value], required: u8) -> bool {
    use crate::policy::model::{Decision, Mode};
    use serde::Deserialize;
    decisions.iter().any(|d| {
        let needs = d
            .get("decision")
            .and_then(|v| Decision::deserialize(v).ok())
            .map_or(0, Decision::approvals);
        let mode = d.get("mode").and_then(|v| Mode::deserialize(v).ok());
        matches!(mode, Some(Mode::Enforce | Mode::Shadow)) && needs > required
    })
}

/// The environment of the run's target (def-v0.md §2.2.5: explicit mapping only).
pub fn environment_of<'a>(target: &str, cx: &'a RunContext) -> Result<&'a str, DefError> {
    cx.environments.get(target).map(String::as_str).ok_or_else(|| {
        DefError::new(
            Kind::Environment,
            format!("dbt target `{target}` is not mapped to an environment"),
            "add it to `environments` in .clyra/config.json (production, staging, development or test)",
        )
    })
}

/// Makes the bundle spec, the next state and a summary of one dbt run (see the module docs).
pub fn seal_spec(
    run_results: &Value,
    manifest: &Value,
    facts: Option<&Value>,
    previous: Option<&Value>,
    cx: &RunContext,
) -> Result<Sealed, DefError> {
    let invocation = text(run_results, "/metadata/invocation_id")
        .ok_or_else(|| artifact("run_results.json has no `metadata.invocation_id`"))?;
    let tool_version = text(run_results, "/metadata/dbt_version")
        .ok_or_else(|| artifact("run_results.json has no `metadata.dbt_version`"))?;
    let results = run_results
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| artifact("run_results.json has no `results` list"))?;
    let nodes = manifest
        .get("nodes")
        .and_then(Value::as_object)
        .ok_or_else(|| artifact("manifest.json has no `nodes` object"))?;
    let manifest_invocation = text(manifest, "/metadata/invocation_id").unwrap_or(invocation);
    if manifest_invocation != invocation {
        return Err(artifact(format!(
            "manifest.json is from invocation `{manifest_invocation}`, run_results.json from `{invocation}`"
        )));
    }
    let project = text(manifest, "/metadata/project_name").unwrap_or("dbt");
    let adapter = text(manifest, "/metadata/adapter_type").unwrap_or("");
    let empty = Map::new();
    let facts = match facts {
        None => &empty,
        Some(f) => f
            .as_object()
            .ok_or_else(|| facts_error("not a JSON object"))?,
    };
    if let Some(id) = facts.get("invocation_id").and_then(Value::as_str) {
        if id != invocation {
            return Err(facts_error(&format!(
                "they are from invocation `{id}`, not `{invocation}`"
            )));
        }
    }

    // def-v0.md §2.2.5: the target maps to an environment by explicit configuration only.
    let target = cx
        .target
        .as_deref()
        .or_else(|| facts.get("target").and_then(Value::as_str))
        .or_else(|| text(run_results, "/args/target"))
        .ok_or_else(|| {
            DefError::new(
                Kind::Environment,
                "the run's dbt target is unknown",
                "pass --target NAME (the profile's target)",
            )
        })?;
    let environment = environment_of(target, cx)?;

    let created_at = Timestamp::parse(&cx.created_at).map_err(|e| {
        DefError::new(
            Kind::Time,
            format!("created_at: {e}"),
            "give a UTC time like 2026-11-20T09:00:00Z",
        )
    })?;
    let finished = text(run_results, "/metadata/generated_at")
        .and_then(second)
        .ok_or_else(|| artifact("run_results.json has no valid `metadata.generated_at`"))?;
    let started = text(run_results, "/metadata/invocation_started_at")
        .and_then(second)
        .unwrap_or_else(|| finished.clone());
    if created_at < finished || finished < started {
        return Err(DefError::new(
            Kind::Time,
            format!("the run finished at {finished}, after the bundle's created_at {created_at}"),
            "check the machine's clock",
        ));
    }
    let clamp = |t: Option<Timestamp>| {
        t.map_or_else(
            || finished.clone(),
            |t| t.clamp(started.clone(), finished.clone()),
        )
    };

    let columns = columns_of(facts)?;
    let prev_relations = match previous {
        None => None,
        Some(p) => Some(
            p.get("relations")
                .and_then(Value::as_object)
                .ok_or_else(|| state_error("no `relations` object"))?,
        ),
    };
    let history = facts.get("history").and_then(Value::as_object);
    let tags = facts
        .get("session_tags")
        .and_then(Value::as_object)
        .unwrap_or(&empty);

    let mut events: Vec<Event> = Vec::new();
    let mut assets = Vec::new();
    let mut tests = Vec::new();
    let mut anchors_out: Vec<Anchor> = Vec::new();
    let mut lineage: Vec<(String, String)> = Vec::new();
    let mut relations = prev_relations.cloned().unwrap_or_default();
    let (mut rows_affected, mut bytes_scanned, mut failed, mut succeeded) =
        (0u64, 0u64, 0usize, 0usize);
    let mut schema_changes = Vec::new();
    let mut node_times: BTreeMap<String, Timestamp> = BTreeMap::new();
    for result in results {
        let id =
            text(result, "/unique_id").ok_or_else(|| artifact("a result has no `unique_id`"))?;
        let status = text(result, "/status").unwrap_or("error");
        let node = nodes.get(id);
        let kind = node
            .and_then(|n| text(n, "/resource_type"))
            .or_else(|| id.split('.').next())
            .unwrap_or("");
        let timing = result
            .get("timing")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let execute = timing.iter().find(|t| text(t, "/name") == Some("execute"));
        let window = (
            execute.and_then(|t| text(t, "/started_at")),
            execute.and_then(|t| text(t, "/completed_at")),
        );
        let at = clamp(window.1.and_then(second));
        node_times.insert(id.to_owned(), at.clone());
        if matches!(status, "success" | "pass") {
            succeeded += 1;
        } else if matches!(status, "error" | "fail" | "skipped" | "runtime error") {
            failed += 1;
        }
        if let Some(n) = result
            .pointer("/adapter_response/rows_affected")
            .and_then(Value::as_u64)
        {
            rows_affected = rows_affected.saturating_add(n);
        }
        for k in ["bytes_processed", "bytes_scanned"] {
            if let Some(n) = result
                .pointer(&format!("/adapter_response/{k}"))
                .and_then(Value::as_u64)
            {
                bytes_scanned = bytes_scanned.saturating_add(n);
            }
        }
        if kind == "test" {
            let mut t = json!({"id": id, "status": test_status(status)});
            let asset = node
                .and_then(|n| text(n, "/attached_node"))
                .map(str::to_owned);
            if let Some(map) = t.as_object_mut() {
                if let Some(a) = &asset {
                    map.insert("asset".into(), Value::from(a.as_str()));
                }
                if let Some(f) = result.get("failures").and_then(Value::as_u64) {
                    map.insert("failures".into(), Value::from(f));
                }
            }
            events.push(event(&at, "test.result", t.clone()));
            tests.push(t);
            continue;
        }
        let mut data = json!({"id": id, "resource_type": kind, "status": status});
        if let (Some(code), Some(map)) = (text(result, "/compiled_code"), data.as_object_mut()) {
            map.insert(
                "compiled_sql".into(),
                Value::from(Sha256Digest::of(code.as_bytes()).to_prefixed()),
            );
        }
        events.push(event(&at, "node.finished", data));
        if !matches!(kind, "model" | "seed" | "snapshot") || status != "success" {
            continue;
        }
        let Some(node) = node else { continue };
        let ident = text(node, "/alias")
            .or_else(|| text(node, "/name"))
            .unwrap_or(id);
        let relation = format!(
            "{}.{}.{}",
            text(node, "/database").unwrap_or(""),
            text(node, "/schema").unwrap_or(""),
            ident
        );
        let key = relation.to_ascii_lowercase();
        let mut asset = json!({"id": id, "relation": relation, "change": "data"});
        let prev = prev_relations.and_then(|r| r.get(&key));
        let before_fp = prev.and_then(|p| text(p, "/fingerprint"));
        if let (Some(cols), Some(map)) = (columns.get(&key), asset.as_object_mut()) {
            let after_fp = fingerprint(&key, cols)?;
            let before_cols: Option<Vec<Column>> = match prev.and_then(|p| p.get("columns")) {
                None => None,
                Some(c) => Some(
                    serde_json::from_value(c.clone()).map_err(|e| state_error(&e.to_string()))?,
                ),
            };
            let mut changed = json!({"asset": id, "after": after_fp, "change": "schema"});
            if before_fp != Some(after_fp.as_str()) {
                map.insert("change".into(), Value::from("schema"));
                if let Some(fp) = before_fp {
                    map.insert("before".into(), json!({"schema_fingerprint": fp}));
                    if let Some(c) = changed.as_object_mut() {
                        c.insert("before".into(), Value::from(fp));
                    }
                }
                map.insert("after".into(), json!({"schema_fingerprint": after_fp}));
                let d = before_cols.map(|b| delta(&b, cols)).unwrap_or_default();
                for (name, list) in [
                    ("columns_added", &d.columns_added),
                    ("columns_removed", &d.columns_removed),
                    ("columns_changed", &d.columns_changed),
                ] {
                    if !list.is_empty() {
                        map.insert(name.into(), json!(list));
                        if let Some(c) = changed.as_object_mut() {
                            c.insert(name.into(), json!(list));
                        }
                    }
                }
                schema_changes.push(changed.clone());
                events.push(event(&at, "asset.changed", changed));
            } else {
                map.insert("before".into(), json!({"schema_fingerprint": after_fp}));
                map.insert("after".into(), json!({"schema_fingerprint": after_fp}));
            }
            relations.insert(
                key.clone(),
                json!({"asset": id, "fingerprint": after_fp, "columns": cols}),
            );
        }
        let anchor = match adapter {
            "snowflake" => anchors::snowflake(id, result, tags),
            "databricks" => {
                let rows = history
                    .and_then(|h| h.get(&key))
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                anchors::databricks(
                    id,
                    &key,
                    result,
                    rows,
                    (window.0.unwrap_or(""), window.1.unwrap_or("")),
                )
            }
            _ => None,
        };
        if let Some(a) = anchor {
            events.push(event(&at, "anchor.recorded", a.event.clone()));
            anchors_out.push(a);
        }
        if let Some(deps) = node.pointer("/depends_on/nodes").and_then(Value::as_array) {
            for from in deps.iter().filter_map(Value::as_str) {
                let edge = (from.to_owned(), id.to_owned());
                if !lineage.contains(&edge) {
                    lineage.push(edge);
                }
            }
        }
        assets.push(asset);
    }
    let guard::RunFindings {
        statements: sql_statements,
        findings: sql_findings,
    } = guard::findings(adapter, results, nodes, &cx.executed_sql);
    for f in &sql_findings {
        let at = text(f, "/asset")
            .and_then(|a| node_times.get(a).cloned())
            .unwrap_or_else(|| clamp(None));
        events.push(event(&at, "sql.finding", f.clone()));
    }
    if adapter == "postgres" {
        if let Some(a) = anchors::postgres(facts) {
            events.push(event(&finished, "anchor.recorded", a.event.clone()));
            anchors_out.push(a);
        }
    }
    // Journal order is time order (bundle-v0 §3.5: `at` never decreases); ties keep dbt's order.
    events.sort_by(|a, b| a.at.cmp(&b.at));

    let status = if failed == 0 && !results.is_empty() {
        "success"
    } else if succeeded == 0 {
        "error"
    } else {
        "partial"
    };
    let which = text(run_results, "/args/which").unwrap_or("build");
    let command = cx.command.clone().unwrap_or_else(|| format!("dbt {which}"));
    let deployer = cx.deployer.clone().unwrap_or_else(|| cx.actor.clone());
    let mut journal = vec![
        json!({"at": started.as_str(), "kind": "run.started", "data": {
        "command": command, "invocation_id": invocation, "target": target, "tool": "dbt", "tool_version": tool_version}}),
    ];
    journal.extend(
        events
            .into_iter()
            .map(|e| json!({"at": e.at.as_str(), "kind": e.kind, "data": e.data})),
    );
    let duration_ms = run_results
        .get("elapsed_time")
        .and_then(Value::as_f64)
        .map(|s| (s * 1000.0).max(0.0).floor() as u64);
    let mut finished_data = json!({"status": status});
    let mut metrics = json!({"rows_affected": rows_affected});
    if let (Some(ms), Some(m), Some(f)) = (
        duration_ms,
        metrics.as_object_mut(),
        finished_data.as_object_mut(),
    ) {
        m.insert("duration_ms".into(), Value::from(ms));
        f.insert("duration_ms".into(), Value::from(ms));
    }
    if bytes_scanned > 0 {
        if let Some(m) = metrics.as_object_mut() {
            m.insert("bytes_scanned".into(), Value::from(bytes_scanned));
        }
    }
    journal.push(json!({"at": finished.as_str(), "kind": "run.finished", "data": finished_data}));

    let rank = |c: &str| match c {
        "schema" => 3,
        "data" => 2,
        "config" => 1,
        _ => 0,
    };
    let kind = assets
        .iter()
        .filter_map(|a| text(a, "/change"))
        .max_by_key(|c| rank(c))
        .unwrap_or("data")
        .to_owned();
    let subject = cx
        .subject
        .clone()
        .unwrap_or_else(|| match assets.as_slice() {
            [one] => text(one, "/id").unwrap_or(project).to_owned(),
            _ => format!("project:{project}"),
        });
    let mut run = json!({"tool": "dbt", "tool_version": tool_version, "invocation_id": invocation, "command": command,
        "started_at": started.as_str(), "finished_at": finished.as_str(), "environment": target, "actor": deployer, "status": status});
    if let (Some(commit), Some(map)) = (&cx.git_commit, run.as_object_mut()) {
        map.insert("git_commit".into(), Value::from(commit.as_str()));
    }
    let known: BTreeSet<String> = previous
        .and_then(|p| p.get("actors"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let count = |s: &str| {
        tests
            .iter()
            .filter(|t| text(t, "/status") == Some(s))
            .count()
    };
    let critical = count("fail") + count("error");
    let factors = json!({"change_magnitude": kind, "violations_critical": critical, "violations_warning": count("warn"),
        "production": environment == "production", "off_hours": cx.off_hours, "threats": 0,
        "sql_findings": sql_findings.len(), "first_time_actor": previous.is_some() && !known.contains(&cx.actor)});
    let artifacts: Map<String, Value> = cx
        .artifacts
        .iter()
        .map(|(k, v)| (k.clone(), json!({"media_type": v})))
        .collect();
    let spec = json!({
        "format": "def/v0",
        "created_at": created_at.as_str(),
        "producer": {"name": "clyra-dbt", "version": cx.producer_version, "host": format!("dbt-core {tool_version}")},
        "change": change_of(&subject, &kind, cx, environment),
        "anchors": anchors_out.iter().map(|a| a.manifest.clone()).collect::<Vec<_>>(),
        "lineage": lineage.iter().map(|(f, t)| json!({"from": f, "to": t})).collect::<Vec<_>>(),
        "risk": {"factors": factors},
        "def": {"run": run, "assets": assets, "tests": tests, "metrics": metrics},
        "artifacts": artifacts,
        "journal": journal,
    });
    let mut actors = known;
    actors.insert(cx.actor.clone());
    let state = json!({"version": 0, "invocation_id": invocation, "actors": actors, "relations": relations});
    let summary = json!({"sql_findings": sql_findings, "sql_statements": sql_statements, "invocation_id": invocation, "status": status, "environment": environment, "target": target,
        "schema_changes": schema_changes, "tests_failed": critical, "anchors": anchors_out.len(), "assets": assets.len()});
    let mut sealed = Sealed {
        spec,
        state,
        summary,
    };
    sealed.record_policy(cx.policy.clone(), cx.approvals_required);
    Ok(sealed)
}

impl Sealed {
    /// Records the policy over the sealed run (def-v0.md §7): the `policy` block (`None`: no
    /// policy), one `policy.decided` event per decision right after `run.started`,
    /// `approvals.required`, and risk-v1's `approval_bypassed` (the spec holds these only
    /// once this has run). A host that evaluates its policy
    /// over this run's facts calls it again; the new block replaces the old.
    pub fn record_policy(&mut self, policy: Option<Value>, approvals_required: u8) {
        let policy = policy.unwrap_or_else(|| json!({"required": false, "decisions": []}));
        let decisions = policy
            .get("decisions")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let bypassed = approval_bypassed(decisions, approvals_required);
        let Some(spec) = self.spec.as_object_mut() else {
            return;
        };
        if let Some(journal) = spec.get_mut("journal").and_then(Value::as_array_mut) {
            journal.retain(|e| text(e, "/kind") != Some("policy.decided"));
            let started = journal
                .first()
                .and_then(|e| text(e, "/at"))
                .unwrap_or_default()
                .to_owned();
            let events = decisions.iter().map(|d| {
                let mut data = Map::new();
                data.insert("applies_to".into(), Value::from(0));
                for k in ["rule", "decision", "mode"] {
                    if let Some(v) = d.get(k) {
                        data.insert(k.into(), v.clone());
                    }
                }
                json!({"at": started, "kind": "policy.decided", "data": data})
            });
            let at = journal.len().min(1);
            journal.splice(at..at, events.collect::<Vec<_>>());
        }
        if let Some(factors) = spec
            .get_mut("risk")
            .and_then(|r| r.get_mut("factors"))
            .and_then(Value::as_object_mut)
        {
            factors.insert("approval_bypassed".into(), Value::Bool(bypassed));
        }
        spec.insert("approvals".into(), json!({"required": approvals_required}));
        spec.insert("policy".into(), policy);
    }
}

#[cfg(test)]
#[path = "dbt_tests.rs"]
mod tests;
