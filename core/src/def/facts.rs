//! The policy facts of one sealed dbt run (policy-v1.md §5): what a policy reads about the run.
//!
//! Made from the bundle spec and summary of [`super::dbt::seal_spec`], so the facts a policy
//! decided on are exactly what the bundle records: `change.*` from the manifest's `change`,
//! `dbt.*` from `def.run` and `def.tests`, `sql.findings` from the SQL guard.

use serde_json::{json, Value};

use super::dbt::Sealed;
use crate::policy::facts::policy_severity;

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `change.summary`: "dbt build on target prod: schema change to model.shop.orders (relations 5,
/// tests 12, status success)".
fn summary_line(spec: &Value, relations: usize, tests: usize) -> String {
    format!(
        "{} on target {}: {} change to {} (relations {relations}, tests {tests}, status {})",
        text(spec, "/def/run/command"),
        text(spec, "/def/run/environment"),
        text(spec, "/change/kind"),
        text(spec, "/change/subject"),
        text(spec, "/def/run/status"),
    )
}

/// The facts document (`change`, `dbt`, `sql` namespaces) of a sealed run.
pub fn policy_facts(sealed: &Sealed) -> Value {
    let spec = &sealed.spec;
    let change = spec.get("change").cloned().unwrap_or_else(|| json!({}));
    let tests = spec
        .pointer("/def/tests")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let count = |statuses: &[&str]| {
        tests
            .iter()
            .filter(|t| statuses.contains(&text(t, "/status")))
            .count()
    };
    let models: Vec<&str> = spec
        .pointer("/def/assets")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|x| text(x, "/id")).collect())
        .unwrap_or_default();
    let tables: Vec<&str> = spec
        .pointer("/def/assets")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| text(x, "/relation"))
                .filter(|r| !r.is_empty())
                .collect()
        })
        .unwrap_or_default();
    // `dbt build --target dev` → `build`.
    let command = text(spec, "/def/run/command")
        .split_whitespace()
        .nth(1)
        .unwrap_or("");
    let findings: Vec<Value> = sealed
        .summary
        .get("sql_findings")
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .map(|x| {
                    let guard = text(x, "/severity");
                    json!({"rule": text(x, "/rule"), "severity": policy_severity(guard), "guard_severity": guard,
                    "table": text(x, "/object"), "asset": text(x, "/asset")})
                })
                .collect()
        })
        .unwrap_or_default();
    let statements = sealed
        .summary
        .get("sql_statements")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    json!({
        "change": {
            "summary": summary_line(spec, tables.len(), tests.len()),
            "subject": text(&change, "/subject"),
            "kind": text(&change, "/kind"),
            "environment": text(&change, "/environment"),
            "actor": text(&change, "/actor"),
            "deployer": text(&change, "/deployer"),
            "tables": tables,
        },
        "dbt": {
            "command": command,
            "target": text(&sealed.summary, "/target"),
            "models": models,
            "tests_total": tests.len(),
            "tests_failed": count(&["fail", "error"]),
            "tests_warned": count(&["warn"]),
            "drift": sealed.summary.get("drift").and_then(Value::as_array).map(|d| {
                d.iter().map(|x| json!({"rule": text(x, "/rule"), "asset": text(x, "/asset")})).collect::<Vec<_>>()
            }).unwrap_or_default(),
        },
        "sql": {"statements": statements, "findings": findings},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_follow_the_sealed_spec() {
        let sealed = Sealed {
            spec: json!({"change": {"subject": "model.shop.orders", "kind": "schema", "environment": "development",
                "actor": "ana", "deployer": "ci"},
                "def": {"run": {"command": "dbt build --target dev", "environment": "dev", "status": "success"},
                    "assets": [{"id": "model.shop.orders", "relation": "shop.main.orders"}],
                    "tests": [{"status": "pass"}, {"status": "fail"}, {"status": "error"}, {"status": "warn"}]}}),
            state: json!({}),
            summary: json!({"target": "dev", "sql_statements": 7, "sql_findings": [{"asset": "model.shop.orders",
                "rule": "sql.update_without_where", "severity": "error", "object": "orders"}]}),
        };
        let f = policy_facts(&sealed);
        assert_eq!(f["dbt"]["command"], "build");
        assert_eq!(f["dbt"]["tests_total"], 4);
        assert_eq!(f["dbt"]["tests_failed"], 2);
        assert_eq!(f["dbt"]["tests_warned"], 1);
        assert_eq!(f["dbt"]["models"], json!(["model.shop.orders"]));
        assert_eq!(f["change"]["tables"], json!(["shop.main.orders"]));
        assert_eq!(f["change"]["environment"], "development");
        assert_eq!(f["sql"]["findings"][0]["rule"], "sql.update_without_where");
        assert_eq!(f["sql"]["findings"][0]["severity"], "critical");
        assert_eq!(f["sql"]["findings"][0]["guard_severity"], "error");
        assert_eq!(f["sql"]["statements"], 7);
        assert_eq!(
            f["change"]["summary"],
            "dbt build --target dev on target dev: schema change to model.shop.orders (relations 1, tests 4, status success)"
        );
        assert_eq!(f["sql"]["findings"][0]["table"], "orders");
    }
}
