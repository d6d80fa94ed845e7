//! The one error type of the report crate, with stable codes registered in spec/verdicts.md.

use clyra_core::Coded;

/// What went wrong while making a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportErrorKind {
    /// `report.input`: the evidence given cannot be reported on (e.g. a malformed date).
    Input,
    /// `report.pdf`: the PDF could not be produced (a bug: report it).
    Pdf,
}

/// A report error: a kind (its stable code) and a lowercase message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError {
    kind: ReportErrorKind,
    message: String,
}

impl ReportError {
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self {
            kind: ReportErrorKind::Input,
            message: message.into(),
        }
    }

    pub(crate) fn pdf(message: impl Into<String>) -> Self {
        Self {
            kind: ReportErrorKind::Pdf,
            message: message.into(),
        }
    }

    /// The kind, for callers that branch on it.
    pub fn kind(&self) -> ReportErrorKind {
        self.kind
    }

    /// The message (lowercase, no trailing period).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReportError {}

impl Coded for ReportError {
    fn code(&self) -> &'static str {
        match self.kind {
            ReportErrorKind::Input => "report.input",
            ReportErrorKind::Pdf => "report.pdf",
        }
    }
}
