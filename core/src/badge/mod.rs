//! Signed compliance badges (spec: badge-v0.md): criteria per framework evaluated over verified
//! evidence, issued as a compact JWS (RFC 7515) signed with Ed25519 (`alg` `EdDSA`, RFC 8037).
//!
//! Pure: the host verifies bundles, reads ledgers and the clock, and hands the facts in.
//! - [`criteria`]: the evidence items, the criteria of §3 and their results;
//! - [`jws`]: claims (§4), issuing and verifying the compact JWS (§2, §5);
//! - [`render`]: the SVG badge and the shields.io endpoint document (§6).

pub mod criteria;
pub mod jws;
pub mod render;

pub use criteria::{evaluate, BundleItem, Criterion, EvidenceSet, Framework, Item, Outcome};
pub use jws::{issue, verify, BadgeVerdict, Claims};

use crate::crypto::SignerErrorKind;
use crate::error::Coded;

/// Ninety days in seconds: `exp` − `iat` (badge-v0.md §4.1).
pub const LIFETIME_SECONDS: i64 = 90 * 24 * 60 * 60;

/// Largest badge, in bytes (badge-v0.md §2.1).
pub const MAX_BADGE_BYTES: usize = 65_536;

/// What went wrong, as one stable code of `verdicts.md` (section `badge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BadgeErrorKind {
    /// `badge.input`: the issue inputs are unusable.
    Input,
    /// `badge.key`: the issuing key is not Ed25519.
    Key,
    /// The signer could not sign (its own `signer.*` code).
    Signer(SignerErrorKind),
}

impl BadgeErrorKind {
    /// The registered code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Input => "badge.input",
            Self::Key => "badge.key",
            Self::Signer(kind) => kind.code(),
        }
    }
}

/// An error of `badge issue` (never a verdict): a kind and a lowercase message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BadgeError {
    kind: BadgeErrorKind,
    message: String,
}

impl BadgeError {
    /// An error of `kind` with `message` (lowercase, no trailing period).
    pub fn new(kind: BadgeErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The kind, for callers that branch on it.
    pub fn kind(&self) -> BadgeErrorKind {
        self.kind
    }
}

impl Coded for BadgeError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }
}
