//! Evidence formats: the manifest of a bundle, checked as bundle-v0.md §5 orders.
//!
//! spec: bundle-v0.md §5, def-v0.md, pef-v0.md. Schemas are the generated mirror `core/schemas`
//! of `spec/schemas`, embedded so that the crate (and every binding) carries them.

mod manifest;
pub(crate) use manifest::{derived_bundle_id, is_derived_form};
#[doc(hidden)]
pub mod schema_lite;
mod schemas;
mod statement;

pub use manifest::{
    check_manifest, ApprovalEntry, ArtifactRecord, Manifest, ManifestCheck, ManifestError,
    ManifestErrorKind,
};
pub(crate) use schemas::first_error;
/// The embedded schema files, `(stem, text)`: for tests that check them with another engine.
#[doc(hidden)]
pub use schemas::FILES as EMBEDDED_SCHEMAS;
pub use schemas::{SchemaError, Schemas, Validator, Violation};
pub use statement::{bind_statement, ProducerClaim, StatementError};

/// The evidence format a manifest declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// DEF v0: data-platform changes (`def/v0`).
    DefV0,
    /// PEF v0: automation and agent actions (`pef/v0`).
    PefV0,
}

impl Format {
    /// Parses the manifest's `format` string; other formats and versions are unknown.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "def/v0" => Some(Self::DefV0),
            "pef/v0" => Some(Self::PefV0),
            _ => None,
        }
    }

    /// The `format` string, e.g. `def/v0`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DefV0 => "def/v0",
            Self::PefV0 => "pef/v0",
        }
    }

    /// The in-toto `predicateType` a producer statement for this format carries.
    pub const fn predicate_type(self) -> &'static str {
        match self {
            Self::DefV0 => "https://clyra.dev/def/v0",
            Self::PefV0 => "https://clyra.dev/pef/v0",
        }
    }

    /// The extension keys this format defines (validated by its schema when present).
    pub const fn known_extensions(self) -> &'static [&'static str] {
        match self {
            Self::DefV0 => &[],
            Self::PefV0 => &["mcp", "c2pa"],
        }
    }
}
