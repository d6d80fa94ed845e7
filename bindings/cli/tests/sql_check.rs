//! `clyra sql check` end to end: the built binary on files and stdin, dialects, dbt context,
//! policy files, output formats and exit codes (0 clean, 1 errors, 2 warnings, 4 could not run).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Output;

use common::{clyra, text, TempDir};

fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    common::clyra_stdin(args, input)
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn exit_codes_follow_the_worst_finding() {
    let dir = TempDir::new();
    let cases: [(&str, i32); 4] = [
        ("select 1; create table t (a int)", 0),
        ("drop view v", 2),
        ("select 1; delete from orders; drop view v", 1),
        ("selec 1", 1),
    ];
    for (sql, exit) in cases {
        let file = dir.write("in.sql", sql.as_bytes());
        let out = clyra(&["sql", "check", &file]);
        assert_eq!(
            out.status.code(),
            Some(exit),
            "{sql}: {}",
            text(&out.stdout)
        );
    }
}

#[test]
fn human_output_names_statement_line_rule_and_summary() {
    let dir = TempDir::new();
    let file = dir.write("m.sql", b"select 1;\n  delete from shop.orders;\n");
    let out = clyra(&["sql", "check", &file]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "statement 2 (line 2, column 3): error [sql.delete_without_where] on `shop.orders`"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 statements (postgres): 1 error, 0 warnings, 0 info"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn json_output_from_stdin_is_the_ffi_result() {
    let out = with_stdin(
        &[
            "sql",
            "check",
            "-",
            "--dialect",
            "bigquery",
            "--format",
            "json",
        ],
        b"MERGE INTO t USING s ON FALSE WHEN NOT MATCHED BY SOURCE THEN DELETE",
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["dialect"], "bigquery");
    assert_eq!(v["exit"], 1);
    assert_eq!(v["counts"]["error"], 1);
    assert_eq!(v["findings"][0]["rule"], "sql.merge_constant_on_delete");
    // No file argument reads stdin too.
    let out = with_stdin(&["sql", "check", "--format", "json"], b"select 1");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["statements"], 1);
}

#[test]
fn dbt_flag_and_relations_recognise_dbt_statements() {
    let dir = TempDir::new();
    let sql = "alter table \"db\".\"s\".\"orders__dbt_tmp\" rename to \"orders\";\n\
               drop table if exists \"db\".\"s\".\"orders__dbt_backup\" cascade;\n\
               truncate table \"db\".\"s\".\"seed\"";
    let file = dir.write("dbt.sql", sql.as_bytes());
    let bare = clyra(&["sql", "check", &file, "--format", "json"]);
    assert_eq!(json(&bare)["findings"].as_array().unwrap().len(), 3);
    let dbt = clyra(&["sql", "check", &file, "--dbt", "--format", "json"]);
    let v = json(&dbt);
    assert_eq!(v["dbt_recognised"], 2);
    assert_eq!(v["findings"][0]["rule"], "sql.truncate");
    let rel = clyra(&["sql", "check", &file, "--relation", "\"db\".\"s\".\"seed\""]);
    assert_eq!(rel.status.code(), Some(0), "{}", text(&rel.stdout));
}

#[test]
fn policy_file_allows_and_overrides() {
    let dir = TempDir::new();
    let file = dir.write("p.sql", b"truncate staging.orders; grant select on t to r");
    let policy = dir.write(
        "policy.json",
        br#"{"allow":[{"rule":"sql.truncate","objects":["staging.*"]}],"severity":{"sql.grant":"info"}}"#,
    );
    let out = clyra(&[
        "sql", "check", &file, "--policy", &policy, "--format", "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["allowed"], 1);
    assert_eq!(v["findings"][0]["severity"], "info");
}

#[test]
fn unreadable_statements_are_judged_by_tokens_and_the_policy_decides() {
    let dir = TempDir::new();
    let file = dir.write(
        "u.sql",
        b"show tables ((; insert into t replace where d = 1 select 1",
    );
    let out = clyra(&[
        "sql",
        "check",
        &file,
        "--dialect",
        "databricks",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let v = json(&out);
    assert_eq!(v["findings"][0]["rule"], "sql.unreadable_judged");
    assert_eq!(v["findings"][1]["severity"], "info");
    let policy = dir.write("writes.json", br#"{"unreadable":"writes"}"#);
    let out = clyra(&[
        "sql",
        "check",
        &file,
        "--dialect",
        "databricks",
        "--policy",
        &policy,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let destructive = dir.write("d.sql", b"drop dynamic table s.t weird");
    let out = clyra(&[
        "sql",
        "check",
        &destructive,
        "--dialect",
        "snowflake",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json(&out)["findings"][0]["rule"],
        "sql.unreadable_destructive"
    );
}

#[test]
fn could_not_run_is_exit_4_with_a_code() {
    let dir = TempDir::new();
    let file = dir.write("x.sql", b"select 1");
    let bad_policy = dir.write("bad.json", br#"{"allow":[{"rule":"sql.parse_error"}]}"#);
    let not_json = dir.write("nj.json", b"allow: []");
    let missing = dir.path("missing.sql");
    let cases: [(Vec<&str>, &str); 5] = [
        (
            vec!["sql", "check", &file, "--dialect", "mysql"],
            "sql.dialect",
        ),
        (
            vec!["sql", "check", &file, "--policy", &bad_policy],
            "sql.policy",
        ),
        (
            vec!["sql", "check", &file, "--policy", &not_json],
            "sql.policy",
        ),
        (vec!["sql", "check", &missing], "cli.io"),
        (vec!["sql", "check", &file, "--bogus"], "cli.usage"),
    ];
    for (mut args, code) in cases {
        args.extend(["--format", "json"]);
        let out = clyra(&args);
        assert_eq!(out.status.code(), Some(4), "{args:?}");
        assert_eq!(json(&out)["errors"][0]["code"], code, "{args:?}");
    }
    let out = clyra(&["sql", "check", &file, "--dialect", "mysql"]);
    assert!(text(&out.stderr).contains("(sql.dialect)"));
}

#[test]
fn help_lists_the_command() {
    let out = clyra(&["--help"]);
    assert!(text(&out.stdout).contains("sql"));
    let out = clyra(&["sql", "check", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("--dialect"));
}

/// The console examples of docs/guards.md are this command's real output.
#[test]
fn docs_example_is_the_real_output() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/guards.md"))
        .unwrap();
    for marker in ["sql-check", "sql-check-unreadable"] {
        let block = doc
            .split(&format!("<!-- example: {marker} -->"))
            .nth(1)
            .unwrap();
        let block = block
            .split("```console\n")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let mut lines = block.lines();
        let command = lines.next().unwrap().strip_prefix("$ ").unwrap();
        let expected: Vec<&str> = lines.collect();
        let (input, args) = command.split_once(" | clyra ").unwrap();
        let input = input
            .strip_prefix("printf '")
            .unwrap()
            .strip_suffix('\'')
            .unwrap()
            .replace("\\n", "\n");
        let args: Vec<&str> = args.split(' ').collect();
        let out = with_stdin(&args, input.as_bytes());
        assert_eq!(
            text(&out.stdout).lines().collect::<Vec<_>>(),
            expected,
            "{marker}"
        );
        assert_eq!(out.status.code(), Some(1));
    }
}
