//! SQL guard throughput (statements per second) against its peer: a bare sqlparser 0.63.0
//! parse of the same statements (the guard = tokenize + cut + parse + rules + dbt recognition).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use clyra_core::guard::sql::{check, CheckOptions, DbtContext, SqlDialect};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use sqlparser::dialect::{Dialect, DuckDbDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;

fn corpus(file: &str) -> String {
    let path = format!("{}/../tests/corpus/sql/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Short statements of an application's day: point updates, deletes, inserts, lookups.
fn oltp(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&match i % 5 {
            0 => format!("UPDATE orders SET status = 'shipped', updated_at = now() WHERE id = {i};\n"),
            1 => format!("DELETE FROM sessions WHERE user_id = {i} AND expires_at < now();\n"),
            2 => format!("INSERT INTO events (id, kind, payload) VALUES ({i}, 'click', '{{\"x\":1}}');\n"),
            3 => format!("SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = {i};\n"),
            _ => format!("SELECT count(*) FROM items WHERE cart_id = {i} AND deleted = false;\n"),
        });
    }
    out
}

/// The statements of `text` one by one (the corpus separates them with `;` and a blank line).
fn statements(text: &str) -> Vec<String> {
    text.split(";\n")
        .map(str::trim)
        .filter(|s| {
            !s.is_empty()
                && !s
                    .lines()
                    .all(|l| l.trim().is_empty() || l.trim().starts_with("--"))
        })
        .map(str::to_owned)
        .collect()
}

fn bench_one(
    c: &mut Criterion,
    name: &str,
    text: &str,
    dialect: SqlDialect,
    peer: &dyn Dialect,
    dbt: Option<&DbtContext>,
) {
    let mut options = CheckOptions::new(dialect);
    options.dbt = dbt;
    let report = check(text.as_bytes(), &options);
    let n = report.statements;
    let pieces = statements(text);
    let mut group = c.benchmark_group(format!("sql_guard_{name}"));
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(30);
    group.bench_function("clyra", |b| {
        b.iter(|| check(black_box(text.as_bytes()), &options))
    });
    group.bench_function("peer_sqlparser_parse", |b| {
        b.iter(|| {
            for s in &pieces {
                let _ = black_box(Parser::parse_sql(peer, black_box(s)));
            }
        })
    });
    group.finish();
}

fn sql_guard(c: &mut Criterion) {
    let relations = corpus("dbt_duckdb_relations.txt");
    let ctx = DbtContext {
        relations: relations.lines().map(str::to_owned).collect(),
    };
    bench_one(
        c,
        "oltp_1000",
        &oltp(1_000),
        SqlDialect::Postgres,
        &PostgreSqlDialect {},
        None,
    );
    bench_one(
        c,
        "tpch",
        &corpus("tpch.sql"),
        SqlDialect::Postgres,
        &PostgreSqlDialect {},
        None,
    );
    bench_one(
        c,
        "dbt_duckdb",
        &corpus("dbt_duckdb_incremental.sql"),
        SqlDialect::Duckdb,
        &DuckDbDialect {},
        Some(&ctx),
    );
}

criterion_group!(benches, sql_guard);
criterion_main!(benches);
