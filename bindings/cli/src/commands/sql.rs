//! `clyra sql check`: the SQL guard on a file or stdin (spec/guard-sql.md), exit 0 clean,
//! 1 errors, 2 warnings only, 4 could not run.

use std::fs::File;
use std::io::Read;

use clap::{Args, Subcommand};
use clyra_core::ffi::guard::{check_of, SqlCheck};
use clyra_core::guard::sql::{DbtContext, SqlDialect, SqlError, SqlPolicy};
use clyra_core::{Coded, Limits};

use super::verify::io_problem;
use crate::exit::Exit;
use crate::output::{shown, Format, Problem, Source};
use crate::Context;

/// Arguments of `clyra sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    #[command(subcommand)]
    command: SqlCommand,
}

#[derive(Debug, Subcommand)]
enum SqlCommand {
    /// Check SQL statements for destructive or suspicious operations; exit 0 clean, 1 errors, 2 warnings
    #[command(long_about = CHECK_LONG_ABOUT, after_help = CHECK_EXAMPLES)]
    Check(SqlCheckArgs),
}

const CHECK_LONG_ABOUT: &str = "\
Check SQL statements before they run, and report what they can do that a guard should stop or flag.

Each statement (separated by `;`) is parsed in the chosen dialect and checked by rules with stable \
ids (spec/guard-sql.md): UPDATE or DELETE without WHERE, always-true WHERE (1=1, TRUE, x=x, \
OR 1=1, NOT (1=0)), MERGE with a constant ON that deletes, TRUNCATE, DROP TABLE/VIEW/SCHEMA/\
DATABASE/COLUMN, column type changes, renames, GRANT and REVOKE. A statement the parser cannot read \
is judged by its tokens, never passed silently: a destructive kind (DELETE, DROP, TRUNCATE, ALTER … \
DROP, MERGE … DELETE, GRANT…) is an error (sql.unreadable_destructive), a read-only, session or \
write kind an info finding (sql.unreadable_judged), an unknown kind an error (sql.parse_error).

With --dbt the statements dbt issues while materialising (swaps through __dbt_tmp and \
__dbt_backup relations, seed truncation, incremental merges, alter_column_type) are recognised and \
not flagged; --relation names the relations the run materialises (repeatable; implies --dbt). \
--policy reads a JSON object {\"allow\":[{\"rule\":…,\"objects\":[…]}],\"severity\":{…},\
\"unreadable\":\"destructive|writes|all\"} that allows findings, changes severities and says which \
unreadable statements block.

Exit codes: 0 no findings (or only info), 1 any error, 2 warnings only, 4 could not run.";

const CHECK_EXAMPLES: &str = "\
Examples:
  $ clyra sql check migration.sql --dialect snowflake
  $ echo 'delete from orders' | clyra sql check - --format json
  $ clyra sql check run.sql --dialect duckdb --dbt --relation '\"shop\".\"main\".\"orders\"'";

/// Arguments of `clyra sql check`.
#[derive(Debug, Args)]
pub struct SqlCheckArgs {
    /// SQL file to check; `-` or nothing reads standard input
    #[arg(value_name = "FILE")]
    pub file: Option<String>,

    /// Dialect: snowflake, databricks, postgres, bigquery or duckdb
    #[arg(long, default_value = "postgres")]
    pub dialect: String,

    /// The statements come from dbt: recognise its own materialisation statements
    #[arg(long)]
    pub dbt: bool,

    /// A relation the dbt run materialises, e.g. '"db"."schema"."model"' (repeatable; implies --dbt)
    #[arg(long = "relation", value_name = "RELATION")]
    pub relations: Vec<String>,

    /// SQL policy (JSON): allowlists and severity overrides
    #[arg(long, value_name = "FILE")]
    pub policy: Option<String>,
}

/// Runs `clyra sql`.
pub fn run(args: &SqlArgs, cx: &mut Context<'_>) -> Exit {
    match &args.command {
        SqlCommand::Check(args) => check(args, cx),
    }
}

fn check(args: &SqlCheckArgs, cx: &mut Context<'_>) -> Exit {
    let dialect: SqlDialect = match args.dialect.parse() {
        Ok(d) => d,
        Err(e) => return cx.fail(&sql_problem(&e)),
    };
    let policy = match args.policy.as_deref().map(read_policy).transpose() {
        Ok(p) => p,
        Err(problem) => return cx.fail(&problem),
    };
    let source = match args.file.as_deref() {
        None | Some("-") => Source::Stdin,
        Some(path) => Source::File(path.to_owned()),
    };
    let limit = Limits::default().sql_max_bytes;
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut sql = Vec::new();
    let read = match &source {
        Source::Stdin => cx.stdin.take(cap).read_to_end(&mut sql),
        Source::File(path) => File::open(path).and_then(|f| f.take(cap).read_to_end(&mut sql)),
    };
    if let Err(e) = read {
        return cx.fail(&io_problem(&e).in_source(&source));
    }
    let dbt = (args.dbt || !args.relations.is_empty()).then(|| DbtContext {
        relations: args.relations.clone(),
    });
    let result = match check_of(&sql, dialect, dbt.as_ref(), policy.as_ref(), &[]) {
        Ok(result) => result,
        Err(errors) => {
            let message = errors
                .first()
                .map_or_else(String::new, |e| e.message.clone());
            return cx.fail(&Problem::new("sql.policy", message));
        }
    };
    let exit = match result.exit {
        0 => Exit::Ok,
        1 => Exit::Invalid,
        _ => Exit::Warning,
    };
    let text = match cx.format {
        Format::Json => {
            let mut line = serde_json::to_string(&result).unwrap_or_default();
            line.push('\n');
            line
        }
        Format::Human => human(&result, source.path().unwrap_or("<stdin>")),
    };
    cx.print(&text, exit)
}

fn sql_problem(e: &SqlError) -> Problem {
    Problem::new(e.code(), e.to_string())
}

/// Reads and validates a SQL policy file (`sql.policy` when it is unusable).
fn read_policy(path: &str) -> Result<SqlPolicy, Problem> {
    let source = Source::File(path.to_owned());
    let bytes = super::verify::read_bounded(path, Limits::default().json_max_bytes)
        .map_err(|e| io_problem(&e).in_source(&source))?;
    let policy: SqlPolicy = serde_json::from_slice(&bytes)
        .map_err(|e| Problem::new("sql.policy", format!("sql policy: {e}")).in_source(&source))?;
    policy
        .validate()
        .map_err(|e| sql_problem(&e).in_source(&source))?;
    Ok(policy)
}

/// One line per finding, then a summary line.
fn human(result: &SqlCheck, name: &str) -> String {
    let mut out = String::new();
    for f in &result.report.findings {
        let place = f.span.map_or_else(String::new, |s| {
            format!(" (line {}, column {})", s.start_line, s.start_column)
        });
        let object = f
            .object
            .as_deref()
            .map_or_else(String::new, |o| format!(" on `{}`", shown(o)));
        out.push_str(&format!(
            "{}: statement {}{place}: {} [{}]{object}: {}\n",
            shown(name),
            f.statement + 1,
            f.severity,
            f.rule,
            shown(&f.message)
        ));
    }
    let r = &result.report;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    out.push_str(&format!(
        "{}: {} ({}): {}, {}, {} info; {} recognised as dbt's own, {} allowed by policy\n",
        shown(name),
        plural(r.statements, "statement"),
        r.dialect,
        plural(result.counts.error, "error"),
        plural(result.counts.warning, "warning"),
        result.counts.info,
        r.dbt_recognised,
        r.allowed
    ));
    out
}
