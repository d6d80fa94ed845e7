//! The one error type of the policy engine: a stable code, a message and, where the problem
//! sits in a file, its line and column.

use crate::error::Coded;

/// Where in a policy file (or a rule's condition) a problem sits; lines and columns count from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name the caller gave (e.g. `.clyra/policy.yaml`), or `<policy>`.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1 (in characters).
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// What went wrong, each with its registered code (`spec/verdicts.md`, `policy.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// The file is larger than limits.md L36.
    TooLarge,
    /// Not well-formed YAML.
    Yaml,
    /// The file starts with a UTF-8 byte-order mark (policy-v1.md §1.1).
    Bom,
    /// Well-formed YAML outside the JSON-compatible subset (tags, anchors, merge keys, …).
    Subset,
    /// Breaks `policy-v1.schema.json`.
    Schema,
    /// A rule id is used twice.
    DuplicateRule,
    /// A condition is not valid CEL.
    CelSyntax,
    /// A condition uses a CEL construct outside the supported subset.
    CelUnsupported,
    /// A condition exceeds a size, depth or nesting limit.
    CelLimit,
    /// A condition or a facts document names a fact the vocabulary does not define.
    UnknownFact,
    /// A fact has the wrong type, or a required fact is missing.
    FactType,
    /// The facts document is not a strict JSON object.
    Facts,
    /// A condition would exceed the evaluation cost budget (limits.md L41) on these facts.
    CelCost,
    /// A condition failed at evaluation time (type mismatch, division by zero, …).
    CelEval,
    /// A time zone name the bundled tz database does not know.
    TimeZone,
    /// A resume token that does not match its checkpoint.
    TokenInvalid,
    /// A resume token used after its checkpoint expired.
    TokenExpired,
    /// Fewer counted approvals than the checkpoint requires.
    ApprovalsInsufficient,
    /// A checkpoint request that cannot be honoured (not an approval decision, too few nonces, …).
    Checkpoint,
}

impl PolicyErrorKind {
    /// The stable code (spec/verdicts.md).
    pub const fn code(self) -> &'static str {
        match self {
            Self::TooLarge => "policy.too_large",
            Self::Yaml => "policy.yaml",
            Self::Bom => "policy.bom",
            Self::Subset => "policy.yaml_subset",
            Self::Schema => "policy.schema",
            Self::DuplicateRule => "policy.duplicate_rule",
            Self::CelSyntax => "policy.cel_syntax",
            Self::CelUnsupported => "policy.cel_unsupported",
            Self::CelLimit => "policy.cel_limit",
            Self::UnknownFact => "policy.unknown_fact",
            Self::FactType => "policy.fact_type",
            Self::Facts => "policy.facts",
            Self::CelCost => "policy.cel_cost",
            Self::CelEval => "policy.cel_eval",
            Self::TimeZone => "policy.time_zone",
            Self::TokenInvalid => "policy.token_invalid",
            Self::TokenExpired => "policy.token_expired",
            Self::ApprovalsInsufficient => "policy.approvals_insufficient",
            Self::Checkpoint => "policy.checkpoint",
        }
    }

    /// Every kind, for the registry test.
    pub const ALL: [PolicyErrorKind; 19] = [
        Self::TooLarge,
        Self::Yaml,
        Self::Bom,
        Self::Subset,
        Self::Schema,
        Self::DuplicateRule,
        Self::CelSyntax,
        Self::CelUnsupported,
        Self::CelLimit,
        Self::UnknownFact,
        Self::FactType,
        Self::Facts,
        Self::CelCost,
        Self::CelEval,
        Self::TimeZone,
        Self::TokenInvalid,
        Self::TokenExpired,
        Self::ApprovalsInsufficient,
        Self::Checkpoint,
    ];
}

/// A policy problem: kind (its code), message, and where it is when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location.as_ref().map(|l| format!("{l}: ")).unwrap_or_default())]
pub struct PolicyError {
    kind: PolicyErrorKind,
    message: String,
    location: Option<Location>,
    pointer: Option<String>,
}

impl PolicyError {
    /// An error of `kind` with `message` and no location.
    pub(crate) fn new(kind: PolicyErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            location: None,
            pointer: None,
        }
    }

    /// Adds where the problem is.
    #[must_use]
    pub(crate) fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    /// Adds the JSON pointer of the offending value.
    #[must_use]
    pub(crate) fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// What went wrong.
    pub const fn kind(&self) -> PolicyErrorKind {
        self.kind
    }

    /// The message without the location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// File, line and column, when the problem sits in a file.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// The JSON pointer of the offending value, when known (e.g. `/data_platform/rules/2/when`).
    pub fn pointer(&self) -> Option<&str> {
        self.pointer.as_deref()
    }
}

impl Coded for PolicyError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }
}
