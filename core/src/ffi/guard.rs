//! `sql_check`: the SQL guard over JSON (guard-sql.md), and the shared result every host prints.

use serde::{Deserialize, Serialize};

use super::{parse_call, Answer, DetailedError};
use crate::guard::sql::{self, CheckOptions, DbtContext, SqlDialect, SqlPolicy, SqlReport};
use crate::Limits;

/// The call of [`sql_check`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlCheckCall {
    /// The SQL text: statements separated by `;`.
    pub sql: String,
    /// `snowflake`, `databricks`, `postgres` (default), `bigquery` or `duckdb`.
    #[serde(default)]
    pub dialect: Option<String>,
    /// Set when dbt issues the statements (guard-sql.md §4).
    #[serde(default)]
    pub dbt: Option<DbtContext>,
    /// The SQL part of a policy (guard-sql.md §5).
    #[serde(default)]
    pub policy: Option<SqlPolicy>,
    /// Rows each statement affected, when the host knows (checked against `max_rows_affected`).
    #[serde(default)]
    pub rows_affected: Vec<RowsAffected>,
}

/// Rows one statement affected.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowsAffected {
    /// The statement index, from 0.
    pub statement: usize,
    /// Rows it affected.
    pub rows: u64,
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Findings of severity `error`.
    pub error: usize,
    /// Findings of severity `warning`.
    pub warning: usize,
    /// Findings of severity `info`.
    pub info: usize,
}

/// The result of [`sql_check`]: the report, its counts and the check command's exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SqlCheck {
    /// The report.
    #[serde(flatten)]
    pub report: SqlReport,
    /// Findings by severity.
    pub counts: Counts,
    /// 0 clean, 1 errors, 2 warnings only (guard-sql.md §6.1).
    pub exit: u8,
}

/// Checks `call.sql`; an unknown dialect or unusable policy is a failure (`sql.*`).
pub fn sql_check(call: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<SqlCheckCall>(call).and_then(|c| {
        let dialect = dialect_of(c.dialect.as_deref())?;
        check_of(
            c.sql.as_bytes(),
            dialect,
            c.dbt.as_ref(),
            c.policy.as_ref(),
            &c.rows_affected,
        )
    }))
    .to_json()
}

/// The dialect named `name` (`postgres` when `None`).
pub fn dialect_of(name: Option<&str>) -> Result<SqlDialect, Vec<DetailedError>> {
    name.map_or(Ok(SqlDialect::default()), |n| {
        n.parse().map_err(|e| vec![DetailedError::of(&e)])
    })
}

/// Runs the guard (shared by every host's `sql check`): validates the policy, checks `sql`,
/// adds rows-affected findings, counts and sets the exit code.
pub fn check_of(
    sql: &[u8],
    dialect: SqlDialect,
    dbt: Option<&DbtContext>,
    policy: Option<&SqlPolicy>,
    rows_affected: &[RowsAffected],
) -> Result<SqlCheck, Vec<DetailedError>> {
    if let Some(p) = policy {
        p.validate().map_err(|e| vec![DetailedError::of(&e)])?;
    }
    let options = CheckOptions {
        dialect,
        dbt,
        policy,
        limits: Limits::default(),
    };
    let mut report = sql::check(sql, &options);
    if let Some(p) = policy {
        for r in rows_affected {
            if let Some(f) = sql::rows_affected(r.statement, r.rows, p) {
                report.findings.push(f);
            }
        }
        report.findings.sort_by_key(|f| f.statement);
    }
    let counts = Counts {
        error: report.count(sql::Severity::Error),
        warning: report.count(sql::Severity::Warning),
        info: report.count(sql::Severity::Info),
    };
    let exit = report.exit_code();
    Ok(SqlCheck {
        report,
        counts,
        exit,
    })
}

#[cfg(test)]
mod tests {
    use super::sql_check;

    fn answer(call: &str) -> serde_json::Value {
        serde_json::from_slice(&sql_check(call.as_bytes())).unwrap()
    }

    #[test]
    fn reports_findings_with_counts_and_exit() {
        let a = answer(r#"{"sql":"delete from t; drop view v","dialect":"snowflake"}"#);
        assert_eq!(a["type"], "success");
        let r = &a["result"];
        assert_eq!(r["dialect"], "snowflake");
        assert_eq!(r["statements"], 2);
        assert_eq!(r["exit"], 1);
        assert_eq!(r["counts"]["error"], 1);
        assert_eq!(r["counts"]["warning"], 1);
        assert_eq!(r["findings"][0]["rule"], "sql.delete_without_where");
        assert_eq!(r["findings"][0]["severity"], "error");
        assert_eq!(r["findings"][0]["span"]["start_byte"], 0);
        assert_eq!(r["findings"][1]["object"], "v");
    }

    #[test]
    fn dbt_context_policy_and_rows_affected() {
        let a = answer(
            r#"{"sql":"drop table \"m__dbt_backup\"; update t set a = 1 where id = 2",
                "dbt":{"relations":["\"db\".\"s\".\"m\""]},
                "policy":{"max_rows_affected":10},
                "rows_affected":[{"statement":1,"rows":11}]}"#,
        );
        let r = &a["result"];
        assert_eq!(r["dbt_recognised"], 1);
        assert_eq!(r["findings"][0]["rule"], "sql.rows_affected_limit");
        assert_eq!(r["findings"][0]["statement"], 1);
        assert_eq!(r["exit"], 1);
        let clean = answer(r#"{"sql":"select 1"}"#);
        assert_eq!(clean["result"]["exit"], 0);
        assert_eq!(clean["result"]["dialect"], "postgres");
    }

    #[test]
    fn bad_dialect_policy_or_call_is_a_coded_failure() {
        for (call, code) in [
            (r#"{"sql":"","dialect":"mysql"}"#, "sql.dialect"),
            (
                r#"{"sql":"","policy":{"allow":[{"rule":"sql.nope"}]}}"#,
                "sql.policy",
            ),
            (r#"{"sql":"","policy":{"oops":1}}"#, "ffi.call"),
            (r#"{"sql":"","extra":1}"#, "ffi.call"),
        ] {
            let a = answer(call);
            assert_eq!(a["type"], "failure", "{call}");
            assert_eq!(a["errors"][0]["code"], code, "{call}");
        }
    }
}
