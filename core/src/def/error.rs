//! The errors of turning a tool's facts into DEF evidence: one type, a stable `def.*` code each.

use std::fmt;

use crate::error::Coded;

/// Why a DEF bundle spec could not be made from the facts given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefError {
    kind: DefErrorKind,
    message: String,
    help: &'static str,
}

/// What kind of input was unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DefErrorKind {
    /// `run_results.json` or `manifest.json` is missing a member or is not dbt's shape.
    Artifact,
    /// The facts the hook logged are malformed.
    Facts,
    /// The state of the previous run is malformed.
    State,
    /// The run's target is not mapped to an environment (def-v0.md §2.2.5).
    Environment,
    /// A time is malformed or out of order.
    Time,
    /// A relation's columns cannot be fingerprinted (duplicate names, def-v0.md §3.3).
    Columns,
    /// A plan cannot be made, or a plan given back does not match plan-v0.schema.json.
    Plan,
}

impl DefError {
    pub(crate) fn new(kind: DefErrorKind, message: impl Into<String>, help: &'static str) -> Self {
        Self {
            kind,
            message: message.into(),
            help,
        }
    }

    /// What kind of problem it is.
    pub const fn kind(&self) -> DefErrorKind {
        self.kind
    }

    /// How to fix it.
    pub fn help(&self) -> &'static str {
        self.help
    }
}

impl fmt::Display for DefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DefError {}

impl Coded for DefError {
    fn code(&self) -> &'static str {
        match self.kind {
            DefErrorKind::Artifact => "seal.artifact",
            DefErrorKind::Facts => "seal.facts",
            DefErrorKind::State => "seal.state",
            DefErrorKind::Environment => "seal.environment",
            DefErrorKind::Time => "seal.time",
            DefErrorKind::Columns => "seal.columns",
            DefErrorKind::Plan => "plan.invalid",
        }
    }
}
