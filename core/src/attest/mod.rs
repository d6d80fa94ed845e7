//! Attestations: one signed statement of a framework's controls over a set of verified bundles.
//!
//! spec: attestation-v0.md. Pure: the host verifies each bundle (core::verify), turns each into
//! [`BundleFacts`], and gives them here with the period, the digests of the trust and policy
//! files and, with a ledger, the completeness it found. [`predicate`] evaluates every control of
//! the framework's catalogue ([`catalogue`]) deterministically; [`statement`] wraps it in an
//! in-toto Statement whose subjects are the bundles' digests, signed as DSSE by [`sign`].
//! [`verify`] checks an attestation and recomputes its statuses from the bundles.

mod bundles;
pub mod catalogue;
mod facts;
pub mod oscal;
mod predicate;
mod verify;

pub use bundles::{bundle_facts, choose_policy, reader_sha256, FactsInputs};
pub use catalogue::{ControlDef, Framework};
pub use facts::{BundleFacts, Met};
pub use predicate::{
    evaluate, predicate, statement, Completeness, ControlResult, Gap, Inputs, Period, PeriodBasis,
    Reference, Status, PREDICATE_TYPE,
};
pub use verify::{open, recompute, AttestCheck, AttestVerdict, Opened};

use crate::crypto::{Signer, SignerError, SigningKey};
use crate::dsse::{self, Envelope, Statement, IN_TOTO_PAYLOAD_TYPE};

/// A per-bundle requirement of attestation-v0.md §4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Requirement {
    /// The bundle's verdict is VALID.
    Verified = 0,
    /// Approvals present as required.
    Approval = 1,
    /// Segregation of duties.
    Sod = 2,
    /// Every approval with MFA.
    Mfa = 3,
    /// Two approvals where two are required.
    TwoPerson = 4,
    /// Tests recorded and none failing.
    Tests = 5,
    /// Warehouse anchors recorded.
    Anchors = 6,
    /// The policy hash recorded.
    Policy = 7,
    /// Restricting decisions enforced.
    Enforce = 8,
    /// Retention period at least the control's minimum.
    Retention = 9,
    /// Calls to phone numbers decided by an enforced policy.
    Voice = 10,
}

impl Requirement {
    /// Every requirement, in the order of attestation-v0.md §4.2.
    pub const ALL: [Requirement; 11] = [
        Requirement::Verified,
        Requirement::Approval,
        Requirement::Sod,
        Requirement::Mfa,
        Requirement::TwoPerson,
        Requirement::Tests,
        Requirement::Anchors,
        Requirement::Policy,
        Requirement::Enforce,
        Requirement::Retention,
        Requirement::Voice,
    ];

    /// The requirement's name in the predicate, e.g. `two_person`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Requirement::Verified => "verified",
            Requirement::Approval => "approval",
            Requirement::Sod => "sod",
            Requirement::Mfa => "mfa",
            Requirement::TwoPerson => "two_person",
            Requirement::Tests => "tests",
            Requirement::Anchors => "anchors",
            Requirement::Policy => "policy",
            Requirement::Enforce => "enforce",
            Requirement::Retention => "retention",
            Requirement::Voice => "voice",
        }
    }
}

/// Signs `statement` with `key` as a DSSE envelope over its canonical bytes (attestation-v0.md §2).
pub fn sign(statement: &Statement, key: &SigningKey) -> Envelope {
    dsse::sign(IN_TOTO_PAYLOAD_TYPE, &statement.to_canonical_bytes(), key)
}

/// Signs `statement` through any [`Signer`] (a PKCS#11 token, a signer command), so the
/// attesting key need not be a file; the signature is checked before it is returned.
pub fn sign_with<S: Signer + ?Sized>(
    statement: &Statement,
    signer: &S,
) -> Result<Envelope, SignerError> {
    dsse::sign_with(
        IN_TOTO_PAYLOAD_TYPE,
        &statement.to_canonical_bytes(),
        signer,
    )
}

/// Errors of `clyra attest` that stop it before anything is written (exit 4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    /// The same bundle bytes were given twice.
    #[error("bundle `{name}` is given twice (same SHA-256)")]
    DuplicateBundle {
        /// The file name.
        name: String,
    },
    /// The signing key is not a producer key of the trust file (in its window, not revoked).
    #[error(
        "the signing key `{keyid}` is not a producer key of the trust file at the signing time"
    )]
    KeyNotTrusted {
        /// Its keyid.
        keyid: String,
    },
    /// `--from`/`--until` do not make a period.
    #[error("the period is not valid: {reason}")]
    Period {
        /// Why.
        reason: String,
    },
}

impl crate::error::Coded for AttestError {
    fn code(&self) -> &'static str {
        match self {
            AttestError::DuplicateBundle { .. } => "attest.duplicate_bundle",
            AttestError::KeyNotTrusted { .. } => "attest.key_not_trusted",
            AttestError::Period { .. } => "attest.period",
        }
    }
}
