//! The error of the SQL guard's inputs: an unknown dialect or an unusable policy. Findings are
//! not errors: a bad statement is a finding (guard-sql.md §3).

use crate::error::Coded;

/// Why a SQL check could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    /// The dialect name is not one of the five supported.
    #[error(
        "unknown dialect `{0}` (expected snowflake, databricks, postgres, bigquery or duckdb)"
    )]
    Dialect(String),
    /// The SQL policy names an unknown rule, allows a rule that cannot be allowed, or has an
    /// empty pattern.
    #[error("sql policy: {0}")]
    Policy(String),
}

impl SqlError {
    pub(crate) fn dialect(name: &str) -> Self {
        Self::Dialect(name.to_owned())
    }
}

impl Coded for SqlError {
    fn code(&self) -> &'static str {
        match self {
            Self::Dialect(_) => "sql.dialect",
            Self::Policy(_) => "sql.policy",
        }
    }
}
