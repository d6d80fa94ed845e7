//! Runs the SQL guard over a statement corpus for `tests/corpus/sql/report.py`.
//!
//! Usage: `cargo run -p clyra-core --example sql_corpus < corpus.jsonl > results.jsonl`. Each
//! input line is `{"id": …, "dialect": "snowflake", "sql": "…"}`; each output line is
//! `{"id": …, "statements": n, "findings": [[rule, severity], …]}`, checked with default options
//! (no dbt context, no policy).
#![allow(missing_docs)]

use std::error::Error;
use std::io::{BufRead, Write};

use clyra_core::guard::sql::{check, CheckOptions, SqlDialect};
use serde_json::{json, Value};

fn main() -> Result<(), Box<dyn Error>> {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lines() {
        let line = line?;
        let case: Value = serde_json::from_str(&line)?;
        let member = |key: &str| case.get(key).and_then(Value::as_str).unwrap_or_default();
        let dialect: SqlDialect = member("dialect").parse()?;
        let sql = member("sql");
        let report = check(sql.as_bytes(), &CheckOptions::new(dialect));
        let findings: Vec<Value> = report
            .findings
            .iter()
            .map(|f| json!([f.rule.id(), f.severity.as_str()]))
            .collect();
        let answer =
            json!({"id": case.get("id"), "statements": report.statements, "findings": findings});
        writeln!(out, "{answer}")?;
    }
    out.flush()?;
    Ok(())
}
