//! The producer Statement: its structure, schema, scheme and binding to the manifest.
//!
//! spec: bundle-v0.md §6.4–§6.6 steps 5–8. Runs on a payload whose signature already verified.

use super::manifest::Manifest;
use super::schemas::{first_error, Schemas};
use crate::crypto::{PublicKey, Scheme};
use crate::digest::Sha256Digest;
use crate::dsse::{DsseError, Statement};
use crate::error::Coded;
use crate::jcs::Value;
use crate::limits::Limits;

/// What a verified producer Statement claims, once it binds the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerClaim {
    /// The signing time (`predicate.signed_at`), judged by the trust step.
    pub signed_at: String,
    /// The signature scheme the producer recorded.
    pub scheme: Scheme,
}

/// Why a producer Statement does not bind the manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// Not an in-toto Statement v1 (`dsse.*` code of the structure rule).
    #[error("not an in-toto statement: {0}")]
    Structure(DsseError),
    /// Not valid against statement-v0 (`statement.schema`).
    #[error("statement does not match its schema: {0}")]
    Schema(String),
    /// `predicate.scheme` is not a registered scheme (`signature.scheme_unknown`, indeterminate).
    #[error("unknown signature scheme `{0}`")]
    SchemeUnknown(String),
    /// The recorded scheme does not fit the signing key (`sig.scheme_mismatch`).
    #[error("scheme `{0}` does not fit the signing key")]
    SchemeMismatch(String),
    /// The subject is not `manifest.json` with the manifest's digest (`statement.subject_mismatch`).
    #[error("the statement's subject is not this manifest")]
    SubjectMismatch,
    /// `predicateType` does not match the manifest's format (`statement.predicate_type`).
    #[error("predicate type `{0}` does not match the manifest's format")]
    PredicateType(String),
    /// `bundle_id`, `merkle_root` or `journal_head` differ from the manifest (`statement.binding`).
    #[error("predicate `{0}` differs from the manifest")]
    Binding(&'static str),
}

impl Coded for StatementError {
    fn code(&self) -> &'static str {
        match self {
            Self::Structure(e) => e.code(),
            Self::Schema(_) => "statement.schema",
            Self::SchemeUnknown(_) => "signature.scheme_unknown",
            Self::SchemeMismatch(_) => "sig.scheme_mismatch",
            Self::SubjectMismatch => "statement.subject_mismatch",
            Self::PredicateType(_) => "statement.predicate_type",
            Self::Binding(_) => "statement.binding",
        }
    }
}

/// Checks that a verified producer payload is a Statement that binds `manifest`, whose exact
/// bytes hash to `manifest_digest`, and was signed under a scheme that fits `key`.
pub fn bind_statement(
    payload: &[u8],
    key: &PublicKey,
    manifest: &Manifest,
    manifest_digest: &Sha256Digest,
    schemas: &Schemas,
    limits: &Limits,
) -> Result<ProducerClaim, StatementError> {
    // 5. in-toto Statement v1 structure (dsse.md §7).
    let statement = Statement::parse(payload, limits).map_err(StatementError::Structure)?;
    // 6. statement-v0. The payload is canonical (checked with the signature), so serde reads it alike.
    let instance: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| StatementError::Schema(e.to_string()))?;
    if let Some(error) = first_error(schemas.statement(), &instance) {
        return Err(StatementError::Schema(error));
    }
    let field = |name: &'static str| statement.predicate.get(name).and_then(Value::as_str);
    // 7. a known scheme that fits the key.
    let scheme_name = field("scheme").ok_or(StatementError::Schema(
        "`predicate.scheme` is missing".into(),
    ))?;
    let scheme: Scheme = scheme_name
        .parse()
        .map_err(|_| StatementError::SchemeUnknown(scheme_name.to_owned()))?;
    if !key.scheme_allowed(scheme) {
        return Err(StatementError::SchemeMismatch(scheme_name.to_owned()));
    }
    // 8. binding, items in order.
    let binds_manifest = matches!(statement.subject.as_slice(),
        [only] if only.name == "manifest.json" && only.sha256 == *manifest_digest);
    if !binds_manifest {
        return Err(StatementError::SubjectMismatch);
    }
    if statement.predicate_type != manifest.format.predicate_type() {
        return Err(StatementError::PredicateType(statement.predicate_type));
    }
    let expected = [
        ("bundle_id", manifest.bundle_id.clone()),
        ("merkle_root", manifest.merkle_root.to_prefixed()),
        ("journal_head", manifest.journal_head.to_prefixed()),
    ];
    for (name, value) in expected {
        if field(name) != Some(value.as_str()) {
            return Err(StatementError::Binding(name));
        }
    }
    let signed_at = field("signed_at").ok_or(StatementError::Schema(
        "`predicate.signed_at` is missing".into(),
    ))?;
    Ok(ProducerClaim {
        signed_at: signed_at.to_owned(),
        scheme,
    })
}
