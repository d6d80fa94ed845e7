//! The SQL dialects the guard parses, mapped to sqlparser's dialects (guard-sql.md §1).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlparser::dialect::{
    BigQueryDialect, DatabricksDialect, Dialect, DuckDbDialect, PostgreSqlDialect, SnowflakeDialect,
};

/// A warehouse dialect. `postgres` is the default (also for Redshift-like SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqlDialect {
    /// Snowflake.
    Snowflake,
    /// Databricks (Spark SQL, Delta).
    Databricks,
    /// PostgreSQL.
    #[default]
    Postgres,
    /// Google BigQuery.
    Bigquery,
    /// DuckDB.
    Duckdb,
}

impl SqlDialect {
    /// Every dialect, in documentation order.
    pub const ALL: [SqlDialect; 5] = [
        Self::Snowflake,
        Self::Databricks,
        Self::Postgres,
        Self::Bigquery,
        Self::Duckdb,
    ];

    /// The lowercase name (`snowflake`, `databricks`, `postgres`, `bigquery`, `duckdb`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snowflake => "snowflake",
            Self::Databricks => "databricks",
            Self::Postgres => "postgres",
            Self::Bigquery => "bigquery",
            Self::Duckdb => "duckdb",
        }
    }

    /// The sqlparser dialect that parses this one.
    pub(crate) fn parser(self) -> &'static dyn Dialect {
        match self {
            Self::Snowflake => &SnowflakeDialect,
            Self::Databricks => &DatabricksDialect,
            Self::Postgres => &PostgreSqlDialect {},
            Self::Bigquery => &BigQueryDialect,
            Self::Duckdb => &DuckDbDialect,
        }
    }
}

impl fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SqlDialect {
    type Err = super::SqlError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| super::SqlError::dialect(name))
    }
}

#[cfg(test)]
mod tests {
    use super::SqlDialect;

    #[test]
    fn names_round_trip() {
        for d in SqlDialect::ALL {
            assert_eq!(d.as_str().parse::<SqlDialect>().unwrap(), d);
        }
        assert_eq!("DuckDB".parse::<SqlDialect>().unwrap(), SqlDialect::Duckdb);
        assert!("mysql".parse::<SqlDialect>().is_err());
    }
}
