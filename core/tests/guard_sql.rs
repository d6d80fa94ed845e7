//! The SQL guard: every rule positive and negative (per dialect where syntax differs), the
//! constant folder, dbt's own statement shapes (from dbt-core / dbt-adapters macros), policy
//! allowlists, parse errors and limits (spec: guard-sql.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use clyra_core::guard::sql::*;
use clyra_core::Limits;

use SqlDialect::{Bigquery, Databricks, Duckdb, Postgres, Snowflake};

fn run(dialect: SqlDialect, sql: &str, dbt: Option<&DbtContext>) -> SqlReport {
    let mut options = CheckOptions::new(dialect);
    options.dbt = dbt;
    check(sql.as_bytes(), &options)
}

/// The rule ids found in `sql`, in order.
fn rules(dialect: SqlDialect, sql: &str) -> Vec<&'static str> {
    run(dialect, sql, None)
        .findings
        .iter()
        .map(|f| f.rule.id())
        .collect()
}

/// At most 80 characters of `sql`, for assertion messages.
fn short(sql: &str) -> String {
    sql.chars().take(80).collect()
}

fn one(dialect: SqlDialect, sql: &str, expected: &str) {
    assert_eq!(rules(dialect, sql), [expected], "{dialect}: {}", short(sql));
}

fn none(dialect: SqlDialect, sql: &str) {
    let report = run(dialect, sql, None);
    assert!(
        report.findings.is_empty(),
        "{dialect}: {sql}: {:?}",
        report.findings
    );
}

#[test]
fn update_and_delete_without_where() {
    for d in SqlDialect::ALL {
        one(
            d,
            "UPDATE orders SET status = 'x'",
            "sql.update_without_where",
        );
        none(d, "UPDATE orders SET status = 'x' WHERE id = 7");
        one(d, "DELETE FROM orders", "sql.delete_without_where");
        none(d, "DELETE FROM orders WHERE id = 7");
    }
    // Postgres joins: UPDATE … FROM and DELETE … USING still need a WHERE.
    one(
        Postgres,
        "UPDATE t SET a = s.a FROM s",
        "sql.update_without_where",
    );
    none(Postgres, "UPDATE t SET a = s.a FROM s WHERE s.id = t.id");
    one(
        Postgres,
        "DELETE FROM t USING s",
        "sql.delete_without_where",
    );
    none(Postgres, "DELETE FROM t USING s WHERE s.id = t.id");
    // BigQuery's FROM-less DELETE (BigQuery requires WHERE; `WHERE true` deletes all).
    one(Bigquery, "DELETE ds.t WHERE true", "sql.tautological_where");
    none(Bigquery, "DELETE ds.t WHERE d < '2026-01-01'");
}

#[test]
fn tautological_where_needs_an_always_true_predicate() {
    let always = [
        "1=1",
        "TRUE",
        "x = x",
        "t.x = t.x",
        "id = 5 OR 1=1",
        "NOT (1=0)",
        "'a' = 'a'",
        "2 > 1",
        "1 <> 2",
        "NULL IS NULL",
        "5 IS NOT NULL",
        "x IN (x, 1)",
        "1 IN (3, 2, 1)",
        "2 BETWEEN 1 AND 3",
        "name LIKE '%'",
        "(1 + 1) = 2",
        "'a' || 'b' = 'ab'",
        "x >= x",
        "(id = 5) OR (2 = 2)",
        "NOT FALSE",
        "(1=1) IS TRUE",
        "x IS NOT DISTINCT FROM x",
        "1",
        "-1 < 0",
        "CAST(1 AS INT) = 1",
        "TRUE AND 1 = 1",
        "a = 1 OR b = 2 OR 3 = 3",
    ];
    for w in always {
        for d in SqlDialect::ALL {
            one(
                d,
                &format!("DELETE FROM t WHERE {w}"),
                "sql.tautological_where",
            );
        }
        one(
            Postgres,
            &format!("UPDATE t SET a = 1 WHERE {w}"),
            "sql.tautological_where",
        );
    }
    let depends = [
        "id = 1",
        "1 = 0",
        "FALSE",
        "x <> x",
        "NULL = NULL",
        "a = b",
        "x = x AND y = 1",
        "1 = 1 AND y = 2",
        "NOT (1 = 1)",
        "random() = random()",
        "x IN (1, 2)",
        "name LIKE 'a%'",
        "name NOT LIKE '%'",
        "1 / 0 = 1",
        "'1' = 'x'",
        "$1 = $1",
    ];
    for w in depends {
        none(Postgres, &format!("DELETE FROM t WHERE {w}"));
    }
}

#[test]
fn queries_flag_only_an_always_true_disjunct() {
    for d in SqlDialect::ALL {
        let r = run(d, "SELECT * FROM users WHERE name = 'bob' OR 1=1", None);
        assert_eq!(r.findings.len(), 1, "{d}");
        assert_eq!(r.findings[0].rule, Rule::TautologicalWhere);
        assert_eq!(r.findings[0].severity, Severity::Warning);
        assert_eq!(r.findings[0].object.as_deref(), Some("users"));
        none(d, "SELECT * FROM users WHERE 1=1 AND name = 'bob'");
        none(d, "SELECT * FROM users WHERE 1=1");
        none(d, "SELECT * FROM users WHERE a = 1 OR b = 2");
    }
    // Inside CTEs, set operations and INSERT … SELECT too.
    let sqls = [
        "WITH x AS (SELECT * FROM u WHERE id = 1 OR 'a' = 'a') SELECT * FROM x",
        "SELECT 1 FROM a UNION ALL SELECT 2 FROM u WHERE id = 1 OR TRUE",
        "INSERT INTO t SELECT * FROM u WHERE id = 1 OR 2 > 1",
    ];
    for sql in sqls {
        one(Postgres, sql, "sql.tautological_where");
    }
}

#[test]
fn merge_with_a_constant_on_that_deletes() {
    for d in [Snowflake, Databricks, Bigquery, Postgres, Duckdb] {
        one(
            d,
            "MERGE INTO t USING s ON FALSE WHEN NOT MATCHED BY SOURCE THEN DELETE",
            "sql.merge_constant_on_delete",
        );
        one(
            d,
            "MERGE INTO t USING s ON 1 = 1 WHEN MATCHED THEN DELETE",
            "sql.merge_constant_on_delete",
        );
        // Constant ON without a delete that can fire: inserts only, or a matched delete under FALSE.
        none(
            d,
            "MERGE INTO t USING s ON FALSE WHEN NOT MATCHED THEN INSERT (a) VALUES (s.a)",
        );
        none(d, "MERGE INTO t USING s ON FALSE WHEN MATCHED THEN DELETE");
        none(
            d,
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id)",
        );
    }
}

#[test]
fn ddl_and_dcl_rules() {
    for d in SqlDialect::ALL {
        one(d, "TRUNCATE TABLE orders", "sql.truncate");
        one(d, "DROP TABLE orders", "sql.drop_table");
        one(d, "DROP VIEW v", "sql.drop_view");
        one(d, "DROP SCHEMA s", "sql.drop_schema");
        none(d, "CREATE TABLE t (a INT)");
        none(d, "CREATE VIEW v AS SELECT 1");
        one(d, "ALTER TABLE t RENAME TO u", "sql.rename");
        one(d, "ALTER TABLE t DROP COLUMN c", "sql.drop_column");
        none(d, "ALTER TABLE t ADD COLUMN c INT");
    }
    for d in [Snowflake, Postgres, Databricks, Duckdb] {
        one(d, "DROP DATABASE analytics", "sql.drop_database");
    }
    one(Postgres, "DROP MATERIALIZED VIEW mv", "sql.drop_table");
    assert_eq!(rules(Postgres, "TRUNCATE a, b").len(), 2);
    one(Snowflake, "TRUNCATE TABLE IF EXISTS t", "sql.truncate");
    none(Postgres, "DROP INDEX i");
    // Column types, per dialect syntax.
    one(
        Postgres,
        "ALTER TABLE t ALTER COLUMN c TYPE BIGINT",
        "sql.alter_column_type",
    );
    one(
        Duckdb,
        "ALTER TABLE t ALTER c TYPE BIGINT",
        "sql.alter_column_type",
    );
    one(
        Snowflake,
        "ALTER TABLE t ALTER COLUMN c SET DATA TYPE NUMBER(38,0)",
        "sql.alter_column_type",
    );
    one(
        Bigquery,
        "ALTER TABLE ds.t ALTER COLUMN c SET DATA TYPE NUMERIC",
        "sql.alter_column_type",
    );
    none(Postgres, "ALTER TABLE t ALTER COLUMN c SET NOT NULL");
    // INSERT OVERWRITE replaces every row (of the partitions named).
    one(
        Databricks,
        "INSERT OVERWRITE TABLE s.t SELECT 1",
        "sql.insert_overwrite",
    );
    one(
        Snowflake,
        "INSERT OVERWRITE INTO t SELECT * FROM u",
        "sql.insert_overwrite",
    );
    // Renames: columns, schemas, Snowflake SWAP, views.
    one(Postgres, "ALTER TABLE t RENAME COLUMN a TO b", "sql.rename");
    one(Postgres, "ALTER SCHEMA s RENAME TO s2", "sql.rename");
    one(Snowflake, "ALTER TABLE t SWAP WITH u", "sql.rename");
    one(Duckdb, "ALTER VIEW v RENAME TO w", "sql.rename");
    one(Snowflake, "ALTER VIEW v RENAME TO w", "sql.rename");
    // Privileges.
    one(Postgres, "GRANT SELECT ON t TO analyst", "sql.grant");
    one(Postgres, "REVOKE SELECT ON t FROM analyst", "sql.revoke");
    one(Snowflake, "GRANT USAGE ON SCHEMA s TO ROLE r", "sql.grant");
    one(
        Snowflake,
        "REVOKE ALL ON ALL TABLES IN SCHEMA s FROM ROLE r",
        "sql.revoke",
    );
    let r = run(Postgres, "GRANT SELECT ON t TO analyst", None);
    assert_eq!(r.findings[0].object.as_deref(), Some("t"));
    assert_eq!(r.findings[0].severity, Severity::Warning);
}

#[test]
fn findings_carry_statement_index_span_and_object() {
    let sql = "SELECT 1;\n  DELETE FROM \"Shop\".orders;\nSELECT 'ü';  TRUNCATE t";
    let r = run(Postgres, sql, None);
    assert_eq!(r.statements, 4);
    let [delete, truncate] = r.findings.as_slice() else {
        panic!("{:?}", r.findings)
    };
    assert_eq!(delete.statement, 1);
    assert_eq!(delete.object.as_deref(), Some("Shop.orders"));
    let span = delete.span.unwrap();
    assert_eq!(
        &sql[span.start_byte..span.end_byte],
        "DELETE FROM \"Shop\".orders"
    );
    assert_eq!((span.start_line, span.start_column), (2, 3));
    assert_eq!((span.end_line, span.end_column), (2, 28));
    let span = truncate.span.unwrap();
    assert_eq!(truncate.statement, 3);
    assert_eq!(&sql[span.start_byte..span.end_byte], "TRUNCATE t");
    assert_eq!(r.worst(), Some(Severity::Error));
    assert_eq!(r.count(Severity::Error), 2);
}

#[test]
fn a_statement_that_does_not_parse_is_judged_by_its_tokens_and_checking_goes_on() {
    let r = run(Postgres, "SELEC 1; DELETE FROM t; SELECT (1", None);
    let got: Vec<(usize, &str, Severity)> = r
        .findings
        .iter()
        .map(|f| (f.statement, f.rule.id(), f.severity))
        .collect();
    assert_eq!(
        got,
        [
            (0, "sql.parse_error", Severity::Error),
            (1, "sql.delete_without_where", Severity::Error),
            (2, "sql.unreadable_judged", Severity::Info)
        ]
    );
    assert!(r.findings[2].message.contains("judged by its tokens"));
    // Two statements without a separator: read-only by their tokens.
    one(Postgres, "SELECT 1 SELECT 2", "sql.unreadable_judged");
    // A text that does not tokenize (unterminated string): cut leniently, the statement that
    // does not tokenize is judged by its lenient tokens, with its location (§3.3.1).
    let r = run(Postgres, "SELECT 1;\nSELECT 'oops", None);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].rule, Rule::UnreadableJudged);
    assert_eq!(r.findings[0].statement, 1);
    assert_eq!(r.findings[0].span.unwrap().start_line, 2);
    assert!(r.findings[0].message.contains("does not tokenize"));
    // With no kind its tokens show, it stays a blocking parse error.
    one(Postgres, "SELECT 1;\nFROBNICATE 'oops", "sql.parse_error");
    // Bytes that are not UTF-8.
    let r = check(b"SELECT '\xff'", &CheckOptions::new(Postgres));
    assert_eq!(r.findings[0].rule, Rule::ParseError);
    // Nothing to check is clean.
    assert!(run(Postgres, " ;; -- nothing\n", None).findings.is_empty());
}

/// Statements sqlparser 0.63 cannot read (guard-sql.md §3.3), each with the class its tokens show.
#[test]
fn unreadable_statements_block_only_when_destructive_by_default() {
    let cases: [(SqlDialect, &str, &str, Severity, Option<&str>); 9] = [
        (
            Snowflake,
            "DESCRIBE STAGE @s",
            "sql.unreadable_judged",
            Severity::Info,
            None,
        ),
        (
            Snowflake,
            "ALTER SESSION SET QUERY_TAG = 'x' UNKNOWN_THING",
            "sql.unreadable_judged",
            Severity::Info,
            None,
        ),
        (
            Snowflake,
            "COPY INTO @my_stage/out/ FROM (SELECT 1) FILE_FORMAT = (TYPE = PARQUET) HEADER = TRUE WEIRD",
            "sql.unreadable_judged",
            Severity::Info,
            None,
        ),
        (
            Snowflake,
            "DROP DYNAMIC TABLE IF EXISTS db.s.t WEIRD",
            "sql.unreadable_destructive",
            Severity::Error,
            Some("db.s.t"),
        ),
        (
            Databricks,
            "DELETE FROM cat.s.t WHERE a = 1 WEIRD STUFF",
            "sql.unreadable_destructive",
            Severity::Error,
            Some("cat.s.t"),
        ),
        (
            Databricks,
            "ALTER TABLE s.t DROP PARTITION (d = '1') PURGE WEIRD",
            "sql.unreadable_destructive",
            Severity::Error,
            Some("s.t"),
        ),
        (
            Snowflake,
            "BEGIN\n  DELETE FROM t WEIRD",
            "sql.unreadable_destructive",
            Severity::Error,
            None,
        ),
        (
            Databricks,
            "INSERT INTO s.t REPLACE WHERE d = 1 SELECT * FROM u",
            "sql.unreadable_judged",
            Severity::Info,
            Some("s.t"),
        ),
        (
            Postgres,
            "FROBNICATE t",
            "sql.parse_error",
            Severity::Error,
            None,
        ),
    ];
    for (dialect, sql, rule, severity, object) in cases {
        let r = run(dialect, sql, None);
        assert_eq!(r.findings.len(), 1, "{sql}: {:?}", r.findings);
        let f = &r.findings[0];
        assert_eq!(
            (f.rule.id(), f.severity),
            (rule, severity),
            "{sql}: {}",
            f.message
        );
        assert_eq!(f.object.as_deref(), object, "{sql}");
    }
    // The policy's `unreadable` decides what else blocks.
    let sql = "SHOW TABLES ((; INSERT INTO s.t REPLACE WHERE d = 1 SELECT 1";
    for (knob, expected) in [
        ("destructive", [Severity::Info, Severity::Info]),
        ("writes", [Severity::Info, Severity::Error]),
        ("all", [Severity::Error, Severity::Error]),
    ] {
        let policy: SqlPolicy =
            serde_json::from_str(&format!(r#"{{"unreadable":"{knob}"}}"#)).unwrap();
        policy.validate().unwrap();
        let mut options = CheckOptions::new(Databricks);
        options.policy = Some(&policy);
        let r = check(sql.as_bytes(), &options);
        let got: Vec<Severity> = r.findings.iter().map(|f| f.severity).collect();
        assert_eq!(got, expected, "{knob}");
    }
    // Neither unreadable rule can be allowed or downgraded; the judged one is set by the knob.
    for bad in [
        r#"{"allow":[{"rule":"sql.unreadable_destructive"}]}"#,
        r#"{"severity":{"sql.unreadable_destructive":"warning"}}"#,
        r#"{"allow":[{"rule":"sql.unreadable_judged"}]}"#,
        r#"{"severity":{"sql.unreadable_judged":"error"}}"#,
        r#"{"unreadable":"none"}"#,
    ] {
        let parsed = serde_json::from_str::<SqlPolicy>(bad);
        assert!(parsed.map_or(true, |p| p.validate().is_err()), "{bad}");
    }
}

#[test]
fn limits_are_findings_never_panics() {
    let mut options = CheckOptions::new(Postgres);
    options.limits.sql_max_bytes = 100;
    let r = check(&[b' '; 101], &options);
    assert_eq!(r.findings[0].rule, Rule::TooLarge);
    assert_eq!(r.statements, 0);

    options.limits = Limits::default();
    options.limits.sql_max_statement_bytes = 20;
    options.limits.sql_max_statements = 3;
    let r = check(
        b"SELECT 1; SELECT 123456789012345678901; SELECT 3; SELECT 4; DELETE FROM t",
        &options,
    );
    let got: Vec<(usize, &str)> = r
        .findings
        .iter()
        .map(|f| (f.statement, f.rule.id()))
        .collect();
    assert_eq!(
        got,
        [
            (1, "sql.statement_too_large"),
            (3, "sql.too_many_statements")
        ]
    );
    assert_eq!(r.statements, 3);

    // Deep nesting stops at the parser's recursion limit (L27).
    let deep = format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000));
    one(Postgres, &deep, "sql.too_deep");
    // Every nesting construct stops at L27 within 1 MiB of stack.
    let nests = [
        ("NOT ", "", "1"),
        ("(", ")", "1"),
        ("(SELECT ", ")", "1"),
        ("CASE WHEN a THEN ", " END", "1"),
        ("f(", ")", "1"),
        ("CAST(", " AS INT)", "1"),
        ("EXISTS (SELECT 1 WHERE ", ")", "TRUE"),
        ("a IN (SELECT b FROM t WHERE ", ")", "TRUE"),
        ("ARRAY[", "]", "1"),
        ("1 + (SELECT * FROM ", ") AS x", "t"),
    ];
    for (open, close, middle) in nests {
        for n in [20, 40, 200] {
            let sql = format!("SELECT {}{middle}{}", open.repeat(n), close.repeat(n));
            let handle = std::thread::Builder::new()
                .stack_size(1024 * 1024)
                .spawn(move || run(Postgres, &sql, None).findings.len())
                .unwrap();
            assert!(handle.join().unwrap() <= 1, "{open} × {n}");
        }
    }
    // Long operator chains stop before parsing (L28); 100,000 ORs use no stack.
    let chain = format!("DELETE FROM t WHERE {}a = 1", "a = 1 OR ".repeat(100_000));
    one(Postgres, &chain, "sql.too_deep");
    // Other left-deep chains the parser builds in a loop: casts, postfix tests, concatenations.
    for piece in ["::int", " IS NULL", " || 'a'", " COLLATE \"C\"", " -> 'k'"] {
        let sql = format!("SELECT 1{}", piece.repeat(50_000));
        one(Postgres, &sql, "sql.too_deep");
    }
    for prefix in ["NOT ", "- ", "~ "] {
        let sql = format!("SELECT {}1", prefix.repeat(50_000));
        assert_eq!(rules(Postgres, &sql).len(), 1, "{prefix}");
    }
    // Just below the chain limit parses and folds (iteratively): no finding.
    let chain = format!("DELETE FROM t WHERE {}a = 1", "a = 1 OR ".repeat(900));
    none(Postgres, &chain);
    let chain = format!("DELETE FROM t WHERE {}1 = 1", "a = 1 OR ".repeat(900));
    one(Postgres, &chain, "sql.tautological_where");
    // Limit findings cannot be allowed or downgraded by policy.
    let policy: SqlPolicy = serde_json::from_str(r#"{"allow":[{"rule":"sql.too_deep"}]}"#).unwrap();
    assert_eq!(
        clyra_core::Coded::code(&policy.validate().unwrap_err()),
        "sql.policy"
    );
}

#[test]
fn policy_allowlists_and_severity_overrides() {
    let policy: SqlPolicy = serde_json::from_str(
        r#"{"allow":[{"rule":"sql.truncate","objects":["staging.*"]},{"rule":"sql.grant"}],
            "severity":{"sql.rename":"error","sql.drop_view":"info"},"max_rows_affected":1000}"#,
    )
    .unwrap();
    policy.validate().unwrap();
    let mut options = CheckOptions::new(Postgres);
    options.policy = Some(&policy);
    let sql = "TRUNCATE analytics.staging.orders; TRUNCATE prod.orders; GRANT SELECT ON t TO r; \
               ALTER TABLE a RENAME TO b; DROP VIEW v";
    let r = check(sql.as_bytes(), &options);
    let got: Vec<(&str, Severity)> = r
        .findings
        .iter()
        .map(|f| (f.rule.id(), f.severity))
        .collect();
    assert_eq!(
        got,
        [
            ("sql.truncate", Severity::Error),
            ("sql.rename", Severity::Error),
            ("sql.drop_view", Severity::Info)
        ]
    );
    assert_eq!(r.allowed, 2);
    let f = rows_affected(0, 1001, &policy).unwrap();
    assert_eq!(f.rule, Rule::RowsAffectedLimit);
    assert_eq!(f.severity, Severity::Error);
    assert!(rows_affected(0, 1000, &policy).is_none());
    assert!(rows_affected(0, u64::MAX, &SqlPolicy::default()).is_none());
}

#[test]
fn rule_ids_are_registered_and_stable() {
    let registry =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/verdicts.md"))
            .unwrap();
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/guard-sql.md"))
            .unwrap();
    for rule in Rule::ALL {
        assert!(
            registry.contains(&format!("| `{}` |", rule.id())),
            "{rule} not in verdicts.md"
        );
        let row = format!("| `{}` | {} |", rule.id(), rule.default_severity());
        assert!(spec.contains(&row), "guard-sql.md lacks `{row}`");
        assert_eq!(Rule::from_id(rule.id()), Some(*rule));
    }
}

/// A dbt context naming the model relations of the examples below.
fn dbt() -> DbtContext {
    DbtContext {
        relations: vec![
            r#""analytics"."dbt_prod"."orders""#.into(),
            r#""analytics"."dbt_prod"."raw_customers""#.into(),
            "`proj`.`ds`.`events`".into(),
        ],
    }
}

/// Every statement is flagged without dbt context and recognised with it.
fn dbt_own(dialect: SqlDialect, sql: &str) {
    let bare = run(dialect, sql, None);
    assert!(
        !bare.findings.is_empty(),
        "{dialect}: not flagged without context: {sql}"
    );
    let ctx = dbt();
    let with = run(dialect, sql, Some(&ctx));
    assert!(
        with.findings.is_empty(),
        "{dialect}: {sql}: {:?}",
        with.findings
    );
    assert!(with.dbt_recognised > 0);
}

/// Still flagged under dbt context: not one of dbt's own shapes.
fn not_dbt(dialect: SqlDialect, sql: &str) {
    let ctx = dbt();
    let with = run(dialect, sql, Some(&ctx));
    assert!(
        !with.findings.is_empty(),
        "{dialect}: wrongly recognised: {sql}"
    );
}

#[test]
fn dbt_table_and_view_swaps_through_tmp_and_backup_relations() {
    // default__rename_relation, default__drop_relation (dbt-core global project); Postgres,
    // Snowflake and DuckDB render relations quoted, BigQuery with backticks.
    for d in [Postgres, Snowflake, Duckdb, Databricks] {
        dbt_own(
            d,
            r#"alter table "analytics"."dbt_prod"."orders" rename to "orders__dbt_backup""#,
        );
        dbt_own(
            d,
            r#"alter table "analytics"."dbt_prod"."orders__dbt_tmp" rename to "orders""#,
        );
        dbt_own(
            d,
            r#"drop table if exists "analytics"."dbt_prod"."orders__dbt_backup" cascade"#,
        );
        dbt_own(
            d,
            r#"drop view if exists "analytics"."dbt_prod"."orders__dbt_backup" cascade"#,
        );
    }
    dbt_own(
        Duckdb,
        r#"alter view "shop"."main"."stg_orders__dbt_tmp" rename to "stg_orders""#,
    );
    dbt_own(
        Postgres,
        r#"drop table if exists "orders__dbt_tmp20261121074629827365" cascade"#,
    );
    dbt_own(
        Bigquery,
        "drop table if exists `proj`.`ds`.`events__dbt_tmp`",
    );
    dbt_own(
        Snowflake,
        r#"truncate table "analytics"."dbt_prod"."orders__dbt_tmp""#,
    );
    // Spoofs: renaming a tmp relation onto another model, dropping a real table.
    not_dbt(
        Postgres,
        r#"alter table "analytics"."dbt_prod"."orders__dbt_tmp" rename to "customers""#,
    );
    not_dbt(
        Postgres,
        r#"alter table "analytics"."dbt_prod"."customers" rename to "orders""#,
    );
    not_dbt(
        Postgres,
        r#"drop table if exists "analytics"."dbt_prod"."customers" cascade"#,
    );
    not_dbt(
        Postgres,
        r#"drop table "x__dbt_tmp", "analytics"."dbt_prod"."customers""#,
    );
    not_dbt(Postgres, r#"drop schema "analytics"."dbt_prod__dbt_tmp""#);
}

#[test]
fn dbt_seeds_and_full_refresh_on_the_run_relations() {
    // default__truncate_relation (seed reload) and full-refresh drops of the model itself.
    dbt_own(
        Postgres,
        r#"truncate table "analytics"."dbt_prod"."raw_customers""#,
    );
    dbt_own(
        Duckdb,
        r#"drop table if exists "analytics"."dbt_prod"."raw_customers" cascade"#,
    );
    not_dbt(
        Postgres,
        r#"truncate table "analytics"."dbt_prod"."payments""#,
    );
    // dbt-postgres seed loads: psycopg placeholders, logged abridged to 512 characters + `...`.
    let insert = r#"insert into "analytics"."dbt_prod"."raw_customers" ("id", "name") values (%s,%s),(%s,%s)"#;
    dbt_own(Postgres, insert);
    dbt_own(Postgres, &format!("\n  {insert}\n  ..."));
    dbt_own(Postgres, &format!("{}...", &insert[..insert.len() - 4]));
    not_dbt(Postgres, &format!("{insert}; drop table x..."));
    not_dbt(
        Postgres,
        r#"insert into "analytics"."dbt_prod"."payments" ("id") values (%s)..."#,
    );
    // Without relations in the context, only dbt-owned (`__dbt_*`) relations are recognised.
    let empty = DbtContext::default();
    let r = run(
        Postgres,
        r#"truncate table "analytics"."dbt_prod"."raw_customers""#,
        Some(&empty),
    );
    assert_eq!(r.findings.len(), 1);
}

#[test]
fn dbt_incremental_merges_and_deletes() {
    // default__get_insert_overwrite_merge_sql (BigQuery insert_overwrite).
    let overwrite = "merge into `proj`.`ds`.`events` as DBT_INTERNAL_DEST \
        using (select * from `proj`.`ds`.`events__dbt_tmp`) as DBT_INTERNAL_SOURCE \
        on FALSE \
        when not matched by source and DBT_INTERNAL_DEST.event_date in ('2026-11-20', '2026-11-21') \
        then delete \
        when not matched then insert (`event_date`, `id`) values (`event_date`, `id`)";
    dbt_own(Bigquery, overwrite);
    // default__get_merge_sql without unique_key: ON FALSE, inserts only: never flagged.
    let append = r#"merge into "analytics"."dbt_prod"."orders" as DBT_INTERNAL_DEST
        using "analytics"."dbt_prod"."orders__dbt_tmp" as DBT_INTERNAL_SOURCE
        on FALSE
        when not matched then insert ("id", "status") values ("id", "status")"#;
    none(Snowflake, append);
    // A merge with dbt's aliases into a relation the run does not materialise is flagged.
    not_dbt(
        Bigquery,
        &overwrite.replace("`proj`.`ds`.`events` as", "`proj`.`ds`.`payments` as"),
    );
    // default__get_delete_insert_merge_sql: a WHERE, nothing to flag either way.
    let delete_insert = r#"delete from "analytics"."dbt_prod"."orders"
        where (id) in (select (id) from "orders__dbt_tmp20261121074629892057");
        insert into "analytics"."dbt_prod"."orders" ("id", "status")
        (select "id", "status" from "orders__dbt_tmp20261121074629892057")"#;
    none(Postgres, delete_insert);
    // Deleting everything from dbt's own temp relation is recognised; from a model, not.
    dbt_own(Postgres, r#"delete from "orders__dbt_tmp123""#);
    not_dbt(Postgres, r#"delete from "analytics"."dbt_prod"."orders""#);
    // dbt-duckdb's get_columns_in_relation reads `(describe rel)` as a table.
    none(
        Duckdb,
        r#"select column_name from (describe "shop"."main"."orders")"#,
    );
    // DuckDB's MERGE … UPDATE BY NAME / INSERT BY NAME (dbt-duckdb merge strategy) parses.
    none(
        Duckdb,
        r#"MERGE INTO "shop"."main"."orders_merge" AS DBT_INTERNAL_DEST
        USING "orders_merge__dbt_tmp20261121074629963410" AS DBT_INTERNAL_SOURCE
        ON (DBT_INTERNAL_SOURCE.id = DBT_INTERNAL_DEST.id)
        WHEN MATCHED THEN UPDATE BY NAME WHEN NOT MATCHED THEN INSERT BY NAME"#,
    );
}

#[test]
fn dbt_alter_column_type_sequence() {
    // default__alter_column_type: add tmp column, copy, drop the old one (cascade), rename.
    let steps = r#"alter table "analytics"."dbt_prod"."orders" add column "amount__dbt_alter" numeric(18,2);
        update "analytics"."dbt_prod"."orders" set "amount__dbt_alter" = "amount";
        alter table "analytics"."dbt_prod"."orders" drop column "amount" cascade;
        alter table "analytics"."dbt_prod"."orders" rename column "amount__dbt_alter" to "amount""#;
    let bare = rules(Postgres, steps);
    assert_eq!(
        bare,
        ["sql.update_without_where", "sql.drop_column", "sql.rename"]
    );
    let ctx = dbt();
    let r = run(Postgres, steps, Some(&ctx));
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.dbt_recognised, 3);
    // The drop alone (no preceding tmp column) is a real drop.
    not_dbt(
        Postgres,
        r#"alter table "analytics"."dbt_prod"."orders" drop column "amount" cascade"#,
    );
    // Copying a different column is not the shape.
    not_dbt(
        Postgres,
        r#"alter table t add column "a__dbt_alter" int; update t set "a__dbt_alter" = "b""#,
    );
    // snowflake__alter_column_type on a run relation.
    dbt_own(
        Snowflake,
        r#"alter table "analytics"."dbt_prod"."orders" alter "amount" set data type number(38,2)"#,
    );
    not_dbt(
        Snowflake,
        r#"alter table "analytics"."dbt_prod"."payments" alter "amount" set data type number(38,2)"#,
    );
}

#[test]
fn dbt_grants_on_run_relations() {
    // default__get_grant_sql / default__get_revoke_sql.
    dbt_own(
        Postgres,
        r#"grant select on "analytics"."dbt_prod"."orders" to reporter"#,
    );
    dbt_own(
        Snowflake,
        r#"revoke select on "analytics"."dbt_prod"."orders" from "reporter""#,
    );
    not_dbt(
        Postgres,
        r#"grant select on "analytics"."dbt_prod"."payments" to reporter"#,
    );
    not_dbt(Postgres, "grant all on schema dbt_prod to public");
}

/// The false-positive measurement over real SQL (tests/corpus/sql/README.md): TPC-H and TPC-DS
/// in every dialect, and every statement dbt-duckdb 1.11 executed for a sample project, under
/// its dbt context. Zero error findings; the counts are printed.
#[test]
fn real_sql_corpus_has_no_error_findings() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus/sql/");
    let read = |f: &str| std::fs::read(format!("{dir}{f}")).unwrap();
    let relations = String::from_utf8(read("dbt_duckdb_relations.txt")).unwrap();
    let ctx = DbtContext {
        relations: relations.lines().map(str::to_owned).collect(),
    };
    let mut total = (0, 0, 0, 0);
    let cases: Vec<(&str, SqlDialect, Option<&DbtContext>, usize)> = vec![
        ("tpch.sql", Snowflake, None, 22),
        ("tpch.sql", Databricks, None, 22),
        ("tpch.sql", Postgres, None, 22),
        ("tpch.sql", Bigquery, None, 22),
        ("tpch.sql", Duckdb, None, 22),
        ("tpcds.sql", Snowflake, None, 99),
        ("tpcds.sql", Databricks, None, 99),
        ("tpcds.sql", Postgres, None, 99),
        ("tpcds.sql", Bigquery, None, 99),
        ("tpcds.sql", Duckdb, None, 99),
        ("dbt_duckdb_build.sql", Duckdb, Some(&ctx), 60),
        ("dbt_duckdb_incremental.sql", Duckdb, Some(&ctx), 78),
        ("dbt_duckdb_full_refresh.sql", Duckdb, Some(&ctx), 87),
    ];
    for (file, dialect, dbt, statements) in cases {
        let mut options = CheckOptions::new(dialect);
        options.dbt = dbt;
        let r = check(&read(file), &options);
        assert_eq!(r.statements, statements, "{file} {dialect}");
        assert_eq!(
            r.count(Severity::Error),
            0,
            "{file} {dialect}: {:?}",
            r.findings
        );
        println!(
            "{file} {dialect}: {} statements, {} errors, {} warnings, {} info, {} dbt recognised",
            r.statements,
            r.count(Severity::Error),
            r.count(Severity::Warning),
            r.count(Severity::Info),
            r.dbt_recognised
        );
        total.0 += r.statements;
        total.1 += r.count(Severity::Warning);
        total.2 += r.count(Severity::Info);
        total.3 += r.dbt_recognised;
    }
    println!(
        "total: {} statements, 0 errors, {} warnings, {} info, {} dbt recognised",
        total.0, total.1, total.2, total.3
    );
}

/// Texts sqlparser 0.63's tokenizer rejects, from the public corpus (tests/corpus/sql): read
/// leniently and judged, never blocking (guard-sql.md §3.3.1).
#[test]
fn texts_the_tokenizer_rejects_are_judged_by_lenient_tokens() {
    let cases: &[(SqlDialect, &str)] = &[
        (Bigquery, r"SELECT `a\`b`"),
        (Databricks, r#"SELECT r"\\foo.bar\""#),
        (
            Postgres,
            r"SELECT U&'d\0061t\0061', U&'d!+000061ta' UESCAPE '!', U&'a\\b', U&'\D83D\DE00'",
        ),
        (Duckdb, "SELECT 1_"),
        (Duckdb, "SELECT 1e_5"),
        (Duckdb, "SELECT 1._5"),
        (Duckdb, "SELECT $🦆$duck$🦆$"),
    ];
    for (dialect, sql) in cases {
        let r = run(*dialect, sql, None);
        let got: Vec<(&str, Severity)> = r
            .findings
            .iter()
            .map(|f| (f.rule.id(), f.severity))
            .collect();
        assert_eq!(
            got,
            [("sql.unreadable_judged", Severity::Info)],
            "{dialect}: {sql}"
        );
        assert!(r.findings[0].message.contains("does not tokenize"), "{sql}");
    }
}

/// No destructive statement hides behind a literal the tokenizer rejects (guard-sql.md §3.3.1).
#[test]
fn a_destructive_statement_after_an_untokenizable_literal_is_still_flagged() {
    // In the same statement: judged destructive by its lenient tokens.
    one(
        Duckdb,
        "SELECT 1_ DROP TABLE t",
        "sql.unreadable_destructive",
    );
    one(
        Duckdb,
        "WITH a AS (SELECT $🦆$x$🦆$) DELETE FROM t",
        "sql.unreadable_destructive",
    );
    one(
        Bigquery,
        r"SELECT `a\`b` FROM t WHERE x IN (SELECT 1) DELETE FROM t",
        "sql.unreadable_destructive",
    );
    one(
        Postgres,
        "SELECT U&'x!0061' UESCAPE '!', d FROM (DELETE FROM t RETURNING 1) AS d",
        "sql.unreadable_destructive",
    );
    // In a later statement: read by sqlparser and checked by the rules, spans in the whole text.
    let r = run(Duckdb, "SELECT 1_;\nDROP TABLE t", None);
    let got: Vec<(usize, &str)> = r
        .findings
        .iter()
        .map(|f| (f.statement, f.rule.id()))
        .collect();
    assert_eq!(got, [(0, "sql.unreadable_judged"), (1, "sql.drop_table")]);
    let span = r.findings[1].span.unwrap();
    assert_eq!(
        (span.start_line, span.start_column, span.start_byte),
        (2, 1, 11)
    );
    // A backslash never ends a literal later than a dialect would: the DROP after it shows.
    assert_eq!(
        rules(Duckdb, r"SELECT 1_, '\'; DROP TABLE t; --'"),
        ["sql.unreadable_judged", "sql.drop_table"]
    );
    // Unclosed quotes, dollar quotes and comments hide nothing.
    for sql in [
        "SELECT 1_, 'x; DROP TABLE t",
        "SELECT 1_, $🦆$ x DROP TABLE t",
        "SELECT 1_ /* DROP TABLE t",
        "SELECT 1_, $;DROP/**/TABLE/**/t;$",
    ] {
        let r = run(Duckdb, sql, None);
        assert!(
            r.findings.iter().any(|f| f.severity == Severity::Error
                && matches!(f.rule, Rule::UnreadableDestructive | Rule::DropTable)),
            "{sql}: {:?}",
            r.findings
        );
    }
}

/// guard-sql.md §3.3.2: a Databricks raw literal ends at its first closing quote, even after a
/// backslash; sqlparser would read the DROP behind it as part of one string.
#[test]
fn a_databricks_raw_literal_ending_in_a_backslash_hides_no_statement() {
    for text in [
        r#"SELECT r"\\foo.bar\"; DROP TABLE t; --""#,
        r#"SELECT R'C:\dir\'; DROP TABLE t; --'"#,
    ] {
        let r = run(Databricks, text, None);
        let rules: Vec<&str> = r.findings.iter().map(|f| f.rule.id()).collect();
        assert!(rules.contains(&"sql.drop_table"), "{text}: {rules:?}");
    }
    // Raw literals without a backslash before the quote, and other dialects, read as before:
    // nothing blocks.
    let blocking = |r: &SqlReport| r.findings.iter().any(|f| f.severity == Severity::Error);
    let r = run(Databricks, r#"SELECT r'\d+' AS re, 'it''s' FROM t"#, None);
    assert!(!blocking(&r), "{:?}", r.findings);
    let r = run(Bigquery, r#"SELECT r"\\foo", x FROM t"#, None);
    assert!(!blocking(&r), "{:?}", r.findings);
    // A word ending in r before a quote is not a raw prefix; comments and strings are skipped.
    let r = run(Databricks, "SELECT 'a\\'' AS x -- r\"\\\"\n", None);
    assert!(
        r.findings.iter().all(|f| f.rule.id() != "sql.drop_table"),
        "{:?}",
        r.findings
    );
}
