//! RFC 9162 §2.1 Merkle trees: tree hashes, inclusion and consistency proofs.
//!
//! spec: merkle.md — SHA-256; leaf = H(0x00‖data), node = H(0x01‖left‖right), empty tree = H("");
//! the tree splits at the largest power of two below its size, with no sorting and no padding.
//! Hashes are plain `[u8; 32]` values; every verifier takes byte slices and rejects any hash that
//! is not exactly 32 bytes long.
//!
//! - [`TreeBuilder`] and [`root_from_leaf_hashes`] compute tree hashes in one pass.
//! - [`inclusion_proof`] and [`consistency_proof`] build proofs (RFC 9162 §2.1.3.1, §2.1.4.1).
//! - [`verify_inclusion`], [`root_from_inclusion_proof`] and [`verify_consistency`] check them
//!   (RFC 9162 §2.1.3.2, §2.1.4.2), with the edge rules of merkle.md §5.

mod proof;
mod tree;

pub use proof::{
    consistency_proof, inclusion_proof, root_from_inclusion_proof, verify_consistency,
    verify_inclusion,
};
pub use tree::{root_from_leaf_hashes, TreeBuilder};

use sha2::{Digest as _, Sha256};

use crate::error::Coded;

/// Length in bytes of every Merkle hash (SHA-256).
pub const HASH_LEN: usize = 32;

/// Domain-separation prefix of a leaf hash (RFC 9162 §2.1.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash (RFC 9162 §2.1.1).
const NODE_PREFIX: u8 = 0x01;

/// The hash of the empty tree, `SHA-256("")`.
///
/// spec: merkle.md §1.3 (RFC 9162 §2.1.1: MTH({}) = HASH()).
pub fn empty_root() -> [u8; HASH_LEN] {
    Sha256::digest([]).into()
}

/// The hash of a leaf, `SHA-256(0x00 ‖ data)`.
///
/// spec: merkle.md §1.1 (RFC 9162 §2.1.1: MTH({d(0)}) = HASH(0x00 || d(0))). The prefix keeps a
/// leaf from ever being read as an interior node (second-preimage resistance).
pub fn leaf_hash(data: &[u8]) -> [u8; HASH_LEN] {
    // Short leaves (hashes, small records) go through one stack buffer and one call, which is
    // faster than streaming them (see benches/benches/merkle.rs); longer ones are streamed.
    let mut block = [LEAF_PREFIX; 1 + 2 * HASH_LEN];
    if let Some((input, _)) = block.split_at_mut_checked(1 + data.len()) {
        if let Some((_, slot)) = input.split_first_mut() {
            slot.copy_from_slice(data);
            return Sha256::digest(input).into();
        }
    }
    Sha256::new()
        .chain_update([LEAF_PREFIX])
        .chain_update(data)
        .finalize()
        .into()
}

/// The hash of an interior node, `SHA-256(0x01 ‖ left ‖ right)`.
///
/// spec: merkle.md §1.2 (RFC 9162 §2.1.1: HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))).
pub fn node_hash(left: &[u8; HASH_LEN], right: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    // One 65-byte stack buffer hashed in a single call: no allocation, and measurably faster
    // than three `chain_update` calls (see benches/benches/merkle.rs).
    let mut block = [0u8; 1 + 2 * HASH_LEN];
    let (prefix, children) = block.split_at_mut(1);
    let (l, r) = children.split_at_mut(HASH_LEN);
    prefix.fill(NODE_PREFIX);
    l.copy_from_slice(left);
    r.copy_from_slice(right);
    Sha256::digest(block).into()
}

/// Which hash argument an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashRole {
    /// The leaf hash whose inclusion is proved.
    Leaf,
    /// The root of the tree an inclusion proof leads to.
    Root,
    /// The root of the older (smaller) tree of a consistency proof.
    OldRoot,
    /// The root of the newer (larger) tree of a consistency proof.
    NewRoot,
    /// The proof hash at this zero-based position.
    Proof(usize),
}

impl std::fmt::Display for HashRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Leaf => f.write_str("leaf hash"),
            Self::Root => f.write_str("root"),
            Self::OldRoot => f.write_str("old root"),
            Self::NewRoot => f.write_str("new root"),
            Self::Proof(i) => write!(f, "proof hash {i}"),
        }
    }
}

/// Why a Merkle proof was not built or not accepted.
///
/// spec: merkle.md §5 — each variant has one stable code registered in `spec/verdicts.md`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MerkleError {
    /// A hash argument is not exactly 32 bytes long (`merkle.bad_hash_length`).
    #[error(transparent)]
    BadHashLength(#[from] BadHashLengthError),
    /// The leaf index is not below the tree size (`merkle.index_out_of_range`).
    #[error(transparent)]
    IndexOutOfRange(#[from] IndexOutOfRangeError),
    /// The old tree is larger than the new one (`merkle.size_order`).
    #[error(transparent)]
    SizeOrder(#[from] SizeOrderError),
    /// A consistency proof from the empty tree was asked for or given (`merkle.empty_old_tree`).
    #[error(transparent)]
    EmptyOldTree(#[from] EmptyOldTreeError),
    /// The proof has more or fewer hashes than the sizes require (`merkle.proof_length`).
    #[error(transparent)]
    ProofLength(#[from] ProofLengthError),
    /// The proof has more hashes than `Limits::merkle_max_proof_hashes` (`merkle.proof_too_long`).
    #[error(transparent)]
    ProofTooLong(#[from] ProofTooLongError),
    /// The proof does not lead to the given root (`merkle.root_mismatch`).
    #[error(transparent)]
    RootMismatch(#[from] RootMismatchError),
}

impl Coded for MerkleError {
    fn code(&self) -> &'static str {
        match self {
            Self::BadHashLength(_) => "merkle.bad_hash_length",
            Self::IndexOutOfRange(_) => "merkle.index_out_of_range",
            Self::SizeOrder(_) => "merkle.size_order",
            Self::EmptyOldTree(_) => "merkle.empty_old_tree",
            Self::ProofLength(_) => "merkle.proof_length",
            Self::ProofTooLong(_) => "merkle.proof_too_long",
            Self::RootMismatch(_) => "merkle.root_mismatch",
        }
    }
}

/// A hash argument that is not exactly 32 bytes long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {role} is {len} bytes long; a Merkle hash is 32 bytes")]
pub struct BadHashLengthError {
    role: HashRole,
    len: usize,
}

impl BadHashLengthError {
    /// Which argument had the wrong length.
    pub fn role(&self) -> HashRole {
        self.role
    }

    /// Its length in bytes.
    pub fn length(&self) -> usize {
        self.len
    }
}

/// A leaf index at or beyond the tree size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("leaf index `{index}` is outside a tree of {tree_size} leaves")]
pub struct IndexOutOfRangeError {
    index: u64,
    tree_size: u64,
}

impl IndexOutOfRangeError {
    /// The leaf index given.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The size of the tree.
    pub fn tree_size(&self) -> u64 {
        self.tree_size
    }
}

/// An old tree size larger than the new one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("old tree size `{old_size}` is larger than new tree size `{new_size}`")]
pub struct SizeOrderError {
    old_size: u64,
    new_size: u64,
}

impl SizeOrderError {
    /// The old (first) tree size.
    pub fn old_size(&self) -> u64 {
        self.old_size
    }

    /// The new (second) tree size.
    pub fn new_size(&self) -> u64 {
        self.new_size
    }
}

/// A consistency proof from the empty tree, which proves nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a consistency proof from the empty tree proves nothing")]
pub struct EmptyOldTreeError;

/// A proof whose number of hashes differs from the number the sizes require.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the proof has {actual} hashes where {expected} are required")]
pub struct ProofLengthError {
    expected: usize,
    actual: usize,
}

impl ProofLengthError {
    /// The number of hashes the tree sizes require.
    pub fn expected(&self) -> usize {
        self.expected
    }

    /// The number of hashes given.
    pub fn actual(&self) -> usize {
        self.actual
    }
}

/// A proof longer than the configured limit; rejected before any hashing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the proof has {len} hashes, more than the limit of {max}")]
pub struct ProofTooLongError {
    len: usize,
    max: usize,
}

impl ProofTooLongError {
    /// The number of hashes given.
    pub fn hashes(&self) -> usize {
        self.len
    }

    /// The limit in force (`Limits::merkle_max_proof_hashes`).
    pub fn max(&self) -> usize {
        self.max
    }
}

/// A proof that does not lead to the given root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the proof does not lead to the given {role}")]
pub struct RootMismatchError {
    role: HashRole,
}

impl RootMismatchError {
    /// Which root differs: [`HashRole::Root`], [`HashRole::OldRoot`] or [`HashRole::NewRoot`].
    pub fn role(&self) -> HashRole {
        self.role
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_domain_separated() {
        let d = [7u8; 32];
        assert_eq!(leaf_hash(b""), <[u8; 32]>::from(Sha256::digest([0u8])));
        assert_eq!(node_hash(&d, &d), {
            let mut v = vec![1u8];
            v.extend_from_slice(&d);
            v.extend_from_slice(&d);
            <[u8; 32]>::from(Sha256::digest(&v))
        });
        assert_ne!(leaf_hash(&[1u8; 64]), node_hash(&[1u8; 32], &[1u8; 32]));
        assert_eq!(
            crate::digest::to_hex(&empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn messages_are_lowercase_without_period() {
        let errors: Vec<MerkleError> = vec![
            BadHashLengthError {
                role: HashRole::Proof(2),
                len: 31,
            }
            .into(),
            IndexOutOfRangeError {
                index: 3,
                tree_size: 3,
            }
            .into(),
            SizeOrderError {
                old_size: 4,
                new_size: 3,
            }
            .into(),
            EmptyOldTreeError.into(),
            ProofLengthError {
                expected: 3,
                actual: 4,
            }
            .into(),
            ProofTooLongError { len: 65, max: 64 }.into(),
            RootMismatchError {
                role: HashRole::OldRoot,
            }
            .into(),
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &errors {
            let text = e.to_string();
            assert!(!text.ends_with('.'), "{text}");
            assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
            assert!(e.code().starts_with("merkle."));
            codes.insert(e.code());
        }
        assert_eq!(codes.len(), errors.len(), "codes are distinct");
        assert_eq!(
            errors[0].to_string(),
            "the proof hash 2 is 31 bytes long; a Merkle hash is 32 bytes"
        );
    }
}
