//! The evidence ledger (spec: ledger-v0.md): an append-only log of bundle records, as an RFC 9162
//! Merkle tree stored as C2SP `tlog-tiles`, with C2SP `tlog-checkpoint` checkpoints signed as C2SP
//! `signed-note` notes.
//!
//! Pure: hosts read and write the files; this module only computes. One idea per file:
//! - [`note`]: signed notes, verifier keys, checkpoints, cosignatures (§3);
//! - [`record`]: the leaf record of a bundle (§2);
//! - [`tiles`]: tile paths and the tiled tree (hashes, proofs, appends) over a [`TileStore`] (§4);
//! - [`proof`]: the inclusion and consistency proof files and their verdicts (§5);
//! - [`scan`]: whole-ledger verification and replayed approvals (§6, §7.3);
//! - [`witness`]: what a witnessed receipt proves about a bundle's time (trust-v0.md §6.5).

pub mod limits;
pub mod note;
pub mod proof;
pub mod record;
pub mod retention;
pub mod scan;
pub mod tiles;
pub mod witness;

pub use note::{Checkpoint, Note, NoteSigner, VerifierKey};
pub use proof::{ConsistencyProof, InclusionProof};
pub use record::Record;
pub use tiles::{TileStore, TiledTree};

use crate::error::Coded;

/// What went wrong, as one stable code of `verdicts.md` (section `ledger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LedgerErrorKind {
    /// `ledger.checkpoint_malformed`
    CheckpointMalformed,
    /// `ledger.origin_mismatch`
    OriginMismatch,
    /// `ledger.untrusted_key`
    UntrustedKey,
    /// `ledger.checkpoint_signature`
    CheckpointSignature,
    /// `ledger.tree_size_mismatch`
    TreeSizeMismatch,
    /// `ledger.inclusion`
    Inclusion,
    /// `ledger.bundle_mismatch`
    BundleMismatch,
    /// `ledger.rewound`
    Rewound,
    /// `ledger.fork`
    Fork,
    /// `ledger.inconsistent`
    Inconsistent,
    /// `ledger.proof_schema`
    ProofSchema,
    /// `ledger.tile_truncated`
    TileTruncated,
    /// `ledger.tile_missing`
    TileMissing,
    /// `ledger.tile_mismatch`
    TileMismatch,
    /// `ledger.record`
    Record,
    /// `ledger.replay`
    Replay,
    /// `ledger.witness_missing`
    WitnessMissing,
    /// `ledger.witness_signature`
    WitnessSignature,
    /// `ledger.key`
    Key,
    /// `ledger.config`
    Config,
    /// `ledger.bundle_invalid`
    BundleInvalid,
    /// `ledger.not_found`
    NotFound,
    /// `ledger.storage`
    Storage,
    /// `ledger.storage_auth`: object storage refused the credentials (ledger-v0.md §8.5)
    StorageAuth,
    /// `ledger.storage_lock`: no Object Lock retention can be set (ledger-v0.md §8.3)
    StorageLock,
    /// `ledger.storage_cas`: the store gave the checkpoint no ETag (ledger-v0.md §8.2)
    StorageCas,
    /// `ledger.conflict`: another appender kept winning the checkpoint's swap (ledger-v0.md §8.2)
    Conflict,
    /// `ledger.append_too_large`
    AppendTooLarge,
}

impl LedgerErrorKind {
    /// The registered code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::CheckpointMalformed => "ledger.checkpoint_malformed",
            Self::OriginMismatch => "ledger.origin_mismatch",
            Self::UntrustedKey => "ledger.untrusted_key",
            Self::CheckpointSignature => "ledger.checkpoint_signature",
            Self::TreeSizeMismatch => "ledger.tree_size_mismatch",
            Self::Inclusion => "ledger.inclusion",
            Self::BundleMismatch => "ledger.bundle_mismatch",
            Self::Rewound => "ledger.rewound",
            Self::Fork => "ledger.fork",
            Self::Inconsistent => "ledger.inconsistent",
            Self::ProofSchema => "ledger.proof_schema",
            Self::TileTruncated => "ledger.tile_truncated",
            Self::TileMissing => "ledger.tile_missing",
            Self::TileMismatch => "ledger.tile_mismatch",
            Self::Record => "ledger.record",
            Self::Replay => "ledger.replay",
            Self::WitnessMissing => "ledger.witness_missing",
            Self::WitnessSignature => "ledger.witness_signature",
            Self::Key => "ledger.key",
            Self::Config => "ledger.config",
            Self::BundleInvalid => "ledger.bundle_invalid",
            Self::NotFound => "ledger.not_found",
            Self::Storage => "ledger.storage",
            Self::StorageAuth => "ledger.storage_auth",
            Self::StorageLock => "ledger.storage_lock",
            Self::StorageCas => "ledger.storage_cas",
            Self::Conflict => "ledger.conflict",
            Self::AppendTooLarge => "ledger.append_too_large",
        }
    }
}

/// A ledger error: a kind (its stable code) and a lowercase message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LedgerError {
    kind: LedgerErrorKind,
    message: String,
}

impl LedgerError {
    /// An error of `kind` with `message` (lowercase, no trailing period).
    pub fn new(kind: LedgerErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The kind, for callers that branch on it.
    pub fn kind(&self) -> LedgerErrorKind {
        self.kind
    }
}

impl Coded for LedgerError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// A 32-byte Merkle hash (`merkle::HASH_LEN`).
pub type Hash = [u8; crate::merkle::HASH_LEN];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_in_the_ledger_area_and_distinct() {
        use LedgerErrorKind as K;
        let all = [
            K::CheckpointMalformed,
            K::OriginMismatch,
            K::UntrustedKey,
            K::CheckpointSignature,
            K::TreeSizeMismatch,
            K::Inclusion,
            K::BundleMismatch,
            K::Rewound,
            K::Fork,
            K::Inconsistent,
            K::ProofSchema,
            K::TileTruncated,
            K::TileMissing,
            K::TileMismatch,
            K::Record,
            K::Replay,
            K::WitnessMissing,
            K::WitnessSignature,
            K::Key,
            K::Config,
            K::BundleInvalid,
            K::NotFound,
            K::Storage,
            K::AppendTooLarge,
        ];
        let codes: std::collections::BTreeSet<_> = all.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), all.len());
        let registry = include_str!("../../../spec/verdicts.md");
        for code in codes {
            assert!(code.starts_with("ledger."));
            assert!(registry.contains(&format!("| `{code}` |")), "{code}");
        }
    }
}
