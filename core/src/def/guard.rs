//! SQL-guard findings of a dbt run (guard-sql.md): every statement dbt executed for a node (or,
//! for a run sealed from its artifacts, each node's compiled SQL), checked in the adapter's
//! dialect with dbt's own materialisation statements recognised on the run's relations.

use serde_json::{json, Map, Value};

use super::dbt::ExecutedSql;
use crate::ffi::guard::{check_of, dialect_of};
use crate::guard::sql::{DbtContext, Severity};

/// The SQL guard's verdict on a run.
pub(crate) struct RunFindings {
    /// The statements checked (dbt's own included).
    pub statements: usize,
    /// The findings (severity `error` or `warning`) as journal data: `asset`, `rule`,
    /// `severity`, `statement`, `object`?, `message`, `sql` (the digest of the checked text).
    pub findings: Vec<Value>,
}

/// Checks every statement the run executed (or each node's compiled SQL).
pub(crate) fn findings(
    adapter: &str,
    results: &[Value],
    nodes: &Map<String, Value>,
    executed: &[ExecutedSql],
) -> RunFindings {
    let dialect = dialect_of(Some(adapter)).unwrap_or_default();
    let relations: Vec<String> = nodes
        .values()
        .filter_map(|n| n.get("relation_name").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let dbt = DbtContext { relations };
    let texts: Vec<(String, String)> = if executed.is_empty() {
        results
            .iter()
            .filter_map(|r| {
                let id = r.get("unique_id")?.as_str()?;
                let code = r.get("compiled_code")?.as_str()?;
                (!id.starts_with("test.")).then(|| (id.to_owned(), code.to_owned()))
            })
            .collect()
    } else {
        executed
            .iter()
            .map(|e| (e.node.clone(), e.sql.clone()))
            .collect()
    };
    let mut out = Vec::new();
    let mut statements = 0;
    for (node, sql) in texts {
        let Ok(check) = check_of(sql.as_bytes(), dialect, Some(&dbt), None, &[]) else {
            continue;
        };
        statements += check.report.statements;
        let digest = crate::digest::Sha256Digest::of(sql.as_bytes()).to_prefixed();
        for f in check.report.findings {
            if !matches!(f.severity, Severity::Error | Severity::Warning) {
                continue;
            }
            let mut v = json!({"asset": node, "rule": f.rule, "severity": f.severity,
                "statement": f.statement, "message": f.message, "sql": digest});
            if let (Some(object), Some(map)) = (f.object, v.as_object_mut()) {
                map.insert("object".into(), Value::from(object));
            }
            out.push(v);
        }
    }
    RunFindings {
        statements,
        findings: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_without_where_is_flagged_and_dbt_own_sql_is_not() {
        let nodes = json!({"model.shop.flags": {"relation_name": "\"shop\".\"main\".\"flags\""}});
        let executed = vec![
            ExecutedSql {
                node: "model.shop.flags".into(),
                sql: "create table \"shop\".\"main\".\"flags__dbt_tmp\" as (select 1 as a)".into(),
            },
            ExecutedSql {
                node: "model.shop.flags".into(),
                sql: "update \"shop\".\"main\".\"flags\" set reviewed = true".into(),
            },
        ];
        let run = findings("duckdb", &[], nodes.as_object().unwrap(), &executed);
        assert_eq!(run.statements, 2);
        let found = run.findings;
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0]["rule"], "sql.update_without_where");
        assert_eq!(found[0]["asset"], "model.shop.flags");
        // Sealed from artifacts: the compiled code of each result is checked.
        let results = vec![json!({"unique_id": "model.shop.x", "compiled_code": "delete from t"})];
        let found = findings("postgres", &results, nodes.as_object().unwrap(), &[]).findings;
        assert_eq!(found[0]["rule"], "sql.delete_without_where");
        assert!(findings(
            "postgres",
            &[json!({"unique_id": "model.shop.y", "compiled_code": "select 1"})],
            nodes.as_object().unwrap(),
            &[]
        )
        .findings
        .is_empty());
    }
}
