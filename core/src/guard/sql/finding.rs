//! What the SQL guard reports: rule ids, severities, findings and where they point.
//!
//! spec: guard-sql.md §2 — rule ids are stable codes registered in `spec/verdicts.md`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a finding is. A host denies on `error`, holds or flags on `warning`, logs `info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: recorded, never blocks.
    Info,
    /// Needs a look: a check command exits 2 when warnings are the worst.
    Warning,
    /// Blocks: a check command exits 1.
    Error,
}

impl Severity {
    /// The lowercase name (`error`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident => $id:literal, $severity:ident;)*) => {
        /// A rule of the SQL guard; its id is a stable code (guard-sql.md §2).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in registry order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable id, e.g. `sql.delete_without_where`.
            pub fn id(self) -> &'static str {
                match self {
                    $(Self::$variant => $id,)*
                }
            }

            /// The severity a finding of this rule has unless the policy overrides it.
            pub fn default_severity(self) -> Severity {
                match self {
                    $(Self::$variant => Severity::$severity,)*
                }
            }

            /// The rule with id `id`, if there is one.
            pub fn from_id(id: &str) -> Option<Self> {
                match id {
                    $($id => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

rules! {
    /// A statement the parser rejects: never a silent pass.
    ParseError => "sql.parse_error", Error;
    /// The input is larger than `sql_max_bytes`; nothing was parsed.
    TooLarge => "sql.too_large", Error;
    /// One statement is larger than `sql_max_statement_bytes`; it was not parsed.
    StatementTooLarge => "sql.statement_too_large", Error;
    /// More statements than `sql_max_statements`; the rest were not checked.
    TooManyStatements => "sql.too_many_statements", Error;
    /// Nesting deeper than `sql_max_depth`; the statement was not parsed.
    TooDeep => "sql.too_deep", Error;
    /// `UPDATE` without `WHERE`: every row changes.
    UpdateWithoutWhere => "sql.update_without_where", Error;
    /// `DELETE` without `WHERE`: every row goes.
    DeleteWithoutWhere => "sql.delete_without_where", Error;
    /// A `WHERE` that is always true (`1=1`, `TRUE`, `x=x`, `… OR 1=1`, `NOT (1=0)`).
    TautologicalWhere => "sql.tautological_where", Error;
    /// `MERGE` whose `ON` is constant and which deletes: it can delete every target row.
    MergeConstantOnDelete => "sql.merge_constant_on_delete", Error;
    /// `TRUNCATE`.
    Truncate => "sql.truncate", Error;
    /// `DROP TABLE` (and materialized views).
    DropTable => "sql.drop_table", Error;
    /// `DROP VIEW`.
    DropView => "sql.drop_view", Warning;
    /// `DROP SCHEMA`.
    DropSchema => "sql.drop_schema", Error;
    /// `DROP DATABASE`.
    DropDatabase => "sql.drop_database", Error;
    /// `ALTER TABLE … DROP COLUMN`.
    DropColumn => "sql.drop_column", Error;
    /// `ALTER TABLE … ALTER COLUMN … TYPE` (and `MODIFY`/`CHANGE` with a type).
    AlterColumnType => "sql.alter_column_type", Warning;
    /// A rename of a table, view, schema or column (and Snowflake `SWAP WITH`).
    Rename => "sql.rename", Warning;
    /// `GRANT`.
    Grant => "sql.grant", Warning;
    /// `REVOKE`.
    Revoke => "sql.revoke", Warning;
    /// A statement affected more rows than the policy's `max_rows_affected`.
    RowsAffectedLimit => "sql.rows_affected_limit", Error;
    /// A statement the parser cannot read whose tokens show a destructive kind (guard-sql.md
    /// §3.3): never allowed, never downgraded.
    UnreadableDestructive => "sql.unreadable_destructive", Error;
    /// A statement the parser cannot read, judged by its tokens as read-only, session or write
    /// (guard-sql.md §3.3); the policy's `unreadable` decides whether it blocks.
    UnreadableJudged => "sql.unreadable_judged", Info;
    /// `INSERT OVERWRITE`: replaces every row of the table (or of the partitions named).
    InsertOverwrite => "sql.insert_overwrite", Warning;
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// Where a statement sits in the input: 1-based lines and columns (in characters) and byte
/// offsets (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Byte offset of the statement's first token.
    pub start_byte: usize,
    /// Byte offset just after the statement's last token.
    pub end_byte: usize,
    /// Line of the first token, from 1.
    pub start_line: u64,
    /// Column of the first token, from 1, in characters.
    pub start_column: u64,
    /// Line of the last token's end.
    pub end_line: u64,
    /// Column just after the last token, in characters.
    pub end_column: u64,
}

impl Span {
    /// This span of a text that starts at `base` in a larger text, as a span of the larger text.
    pub(crate) fn moved(&self, base: &Span) -> Span {
        let column = |line: u64, column: u64| {
            if line == 1 {
                column + base.start_column - 1
            } else {
                column
            }
        };
        Span {
            start_byte: self.start_byte + base.start_byte,
            end_byte: self.end_byte + base.start_byte,
            start_line: self.start_line + base.start_line - 1,
            start_column: column(self.start_line, self.start_column),
            end_line: self.end_line + base.start_line - 1,
            end_column: column(self.end_line, self.end_column),
        }
    }
}

/// One thing the guard found in one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule, serialized as its id.
    pub rule: Rule,
    /// The severity after the policy's overrides.
    pub severity: Severity,
    /// What was found, in words (informative; may change).
    pub message: String,
    /// Index of the statement in the input, from 0.
    pub statement: usize,
    /// The object concerned (`schema.table`, a column as `table.column`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Where the statement is, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

/// The result of checking one SQL text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SqlReport {
    /// The dialect used.
    pub dialect: super::SqlDialect,
    /// Statements found (parsed or not), up to the statement limit.
    pub statements: usize,
    /// Statements recognised as dbt's own materialisation steps (not flagged; guard-sql.md §4).
    pub dbt_recognised: usize,
    /// Findings suppressed by the policy's allowlist.
    pub allowed: usize,
    /// Every finding, in statement order.
    pub findings: Vec<Finding>,
}

impl SqlReport {
    /// The worst severity among the findings, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// The exit code of a check command (guard-sql.md §6.1): 1 with any error, 2 with warnings
    /// and no error, else 0.
    pub fn exit_code(&self) -> u8 {
        match self.worst() {
            Some(Severity::Error) => 1,
            Some(Severity::Warning) => 2,
            _ => 0,
        }
    }

    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}
