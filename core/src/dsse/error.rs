//! Errors of DSSE envelope and in-toto Statement handling (`dsse.*`).

use crate::crypto::SignatureError;
use crate::error::Coded;
use crate::jcs::JcsError;

/// An envelope or statement was rejected, or did not verify.
///
/// JSON syntax errors keep their `jcs.*` code and signature failures their `sig.*` code, so the
/// code always names the precise rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsseError {
    /// The envelope file is larger than `Limits::dsse_max_envelope_bytes`.
    #[error("envelope of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The decoded payload is larger than `Limits::dsse_max_payload_bytes`.
    #[error("payload exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The envelope or statement is not valid strict JSON.
    #[error("invalid JSON: {0}")]
    Json(#[source] JcsError),
    /// A required field is absent.
    #[error("missing field `{field}`")]
    MissingField {
        /// Path of the field, e.g. `signatures[0].sig`.
        field: String,
    },
    /// A field that the format does not define.
    #[error("unknown field `{field}`")]
    UnknownField {
        /// Path of the field.
        field: String,
    },
    /// A field holds the wrong JSON type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// Path of the field.
        field: String,
        /// The JSON type required.
        expected: &'static str,
    },
    /// A base64 field is not canonical standard padded base64.
    #[error("field `{field}` is not canonical padded standard base64")]
    Base64 {
        /// Path of the field.
        field: String,
    },
    /// The envelope has no signature.
    #[error("envelope has no signatures")]
    NoSignatures,
    /// The envelope has more signatures than `Limits::dsse_max_signatures`.
    #[error("envelope has {count} signatures, more than the limit of {limit}")]
    TooManySignatures {
        /// Signatures found.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// No signature carries the verifying key's keyid.
    #[error("no signature has keyid `{keyid}`")]
    KeyidMismatch {
        /// The verifying key's keyid.
        keyid: String,
    },
    /// The signature over the PAE did not verify.
    #[error(transparent)]
    Signature(SignatureError),
    /// A JSON payload is not in canonical form (or not strict JSON at all).
    #[error("payload is not canonical JSON: {source}")]
    PayloadNotCanonical {
        /// The canonical-form check that failed.
        source: JcsError,
    },
    /// The statement's `_type` is not in-toto Statement v1.
    #[error("statement `_type` must be `https://in-toto.io/Statement/v1`, found `{found}`")]
    StatementType {
        /// The `_type` found.
        found: String,
    },
    /// The statement has an empty `subject` list.
    #[error("statement `subject` is empty")]
    NoSubject,
    /// A subject digest is not 64 lowercase hex digits.
    #[error("field `{field}` must be 64 lowercase hex digits")]
    SubjectDigest {
        /// Path of the digest field.
        field: String,
    },
}

impl Coded for DsseError {
    fn code(&self) -> &'static str {
        match self {
            DsseError::TooLarge { .. } => "dsse.too_large",
            DsseError::PayloadTooLarge { .. } => "dsse.payload_too_large",
            DsseError::Json(inner) => inner.code(),
            DsseError::MissingField { .. } => "dsse.missing_field",
            DsseError::UnknownField { .. } => "dsse.unknown_field",
            DsseError::WrongType { .. } => "dsse.wrong_type",
            DsseError::Base64 { .. } => "dsse.bad_base64",
            DsseError::NoSignatures => "dsse.no_signatures",
            DsseError::TooManySignatures { .. } => "dsse.too_many_signatures",
            DsseError::KeyidMismatch { .. } => "dsse.keyid_mismatch",
            DsseError::Signature(inner) => inner.code(),
            DsseError::PayloadNotCanonical { .. } => "dsse.payload_not_canonical",
            DsseError::StatementType { .. } => "dsse.statement_type",
            DsseError::NoSubject => "dsse.no_subject",
            DsseError::SubjectDigest { .. } => "dsse.subject_digest",
        }
    }
}
