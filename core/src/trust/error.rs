//! The one error of trust files: `trust.file`, with the underlying `jcs.*` or `key.*` code.

use crate::crypto::KeyError;
use crate::error::Coded;
use crate::jcs::JcsError;

/// A trust file is unusable: the verifier produces no verdict and exits 4 (trust-v0.md §3).
///
/// The code is always `trust.file`; [`detail`](TrustFileError::detail) names the underlying
/// primitive code when there is one (`jcs.duplicate_key`, `key.pem_malformed`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustFileError {
    /// The JSON form is not strict JSON, or is larger than `json_max_bytes` (§3.1 item 1).
    #[error("trust file is not strict JSON: {0}")]
    Json(#[source] JcsError),
    /// The JSON form does not match `trust-v0.schema.json` (§3.1 item 2).
    #[error("trust file field `{field}` {reason}")]
    Schema {
        /// Path of the offending member, e.g. `keys[1].roles`.
        field: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A scheme name that is not registered (§3.1 item 2, §3.2).
    #[error("trust file field `{field}` names the unknown scheme `{name}`")]
    UnknownScheme {
        /// Path of the member.
        field: String,
        /// The name as written.
        name: String,
    },
    /// A key that breaks a rule of signatures.md §2 (§3.1 item 3, §4.2).
    #[error("trust file key `{field}` is not usable: {source}")]
    Key {
        /// Path of the key (`keys[0].public_key_pem`, or `<pem>` for the bare-PEM form).
        field: String,
        /// The key rule broken.
        #[source]
        source: KeyError,
    },
    /// The stated keyid is not the keyid of the key (§3.1 item 3).
    #[error("trust file key `keys[{index}]` states keyid `{stated}` but its key has `{computed}`")]
    KeyidMismatch {
        /// Index of the key in `keys`.
        index: usize,
        /// The keyid written in the file.
        stated: String,
        /// The keyid of the key.
        computed: String,
    },
    /// The scheme cannot be used with the key's algorithm (§2.3).
    #[error(
        "trust file key `keys[{index}]`: scheme `{scheme}` is not allowed for a {algorithm} key"
    )]
    SchemeNotAllowed {
        /// Index of the key in `keys`.
        index: usize,
        /// The scheme written in the file.
        scheme: &'static str,
        /// The key's algorithm.
        algorithm: &'static str,
    },
    /// `not_before` is after `not_after` (§3.1 item 3).
    #[error("trust file key `keys[{index}]`: `not_before` is after `not_after`")]
    WindowOrder {
        /// Index of the key in `keys`.
        index: usize,
    },
    /// Two keys with the same keyid (§2.4, §3.1 item 4).
    #[error("trust file key `keys[{index}]` repeats keyid `{keyid}`")]
    DuplicateKeyid {
        /// Index of the later key.
        index: usize,
        /// The repeated keyid.
        keyid: String,
    },
    /// The producer threshold exceeds the number of producer keys (§3.1 item 5).
    #[error("producer threshold {threshold} can never be met with {producers} producer key(s)")]
    ThresholdUnreachable {
        /// `thresholds.producer`.
        threshold: u64,
        /// Keys holding the role `producer`.
        producers: usize,
    },
    /// An item of `ledger_keys` (`witnesses` when `witness`) that is not a verifier key of the
    /// right type (§3.1 item 6).
    #[error("trust file field `{field}` is not a {kind} verifier key: {reason}")]
    VerifierKey {
        /// Path of the item, e.g. `witnesses[0]`.
        field: String,
        /// `ledger` (type 0x01) or `witness` (type 0x04).
        kind: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// An RSA key given in bare-PEM form (§4.2).
    #[error("an RSA key cannot be given as a bare PEM trust file (its scheme would be ambiguous)")]
    RsaBarePem,
}

impl TrustFileError {
    /// The code of every trust file error (exit 4, never part of a verdict).
    pub const CODE: &'static str = "trust.file";

    /// The detail of trust-v0.md §3.4: the underlying `jcs.*` or `key.*` code, or the name of
    /// the rule broken (`schema`, `keyid_mismatch`, `sig.scheme_mismatch`, `window`,
    /// `duplicate_keyid`, `threshold`, `ledger_key`, `witness_key`). Always present; an `Option` for callers that print it.
    pub fn detail(&self) -> Option<&'static str> {
        Some(match self {
            TrustFileError::Json(err) => err.code(),
            TrustFileError::Key { source, .. } => source.code(),
            TrustFileError::Schema { .. } | TrustFileError::UnknownScheme { .. } => "schema",
            TrustFileError::KeyidMismatch { .. } => "keyid_mismatch",
            TrustFileError::SchemeNotAllowed { .. } => "sig.scheme_mismatch",
            TrustFileError::WindowOrder { .. } => "window",
            TrustFileError::DuplicateKeyid { .. } => "duplicate_keyid",
            TrustFileError::ThresholdUnreachable { .. } => "threshold",
            TrustFileError::VerifierKey {
                kind: "witness", ..
            } => "witness_key",
            TrustFileError::VerifierKey { .. } => "ledger_key",
            TrustFileError::RsaBarePem => "key.unsupported_algorithm",
        })
    }
}

impl Coded for TrustFileError {
    fn code(&self) -> &'static str {
        Self::CODE
    }
}
