//! The Merkle Tree Hash (MTH) of RFC 9162 §2.1.1, computed in one streaming pass.
//!
//! spec: merkle.md §2 — MTH({}) = SHA-256(""); MTH({d}) = leaf hash; for n > 1,
//! MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two smaller than n.

use super::{empty_root, leaf_hash, node_hash, HASH_LEN};

/// Streaming computation of a tree hash in O(log n) memory.
///
/// Leaves are pushed in order; the builder keeps only the roots of the complete (power-of-two)
/// subtrees seen so far, largest first. [`TreeBuilder::root`] merges them right to left, which
/// gives exactly the split rule of RFC 9162 §2.1.1: the leftmost complete subtree holds the
/// largest power of two smaller than n leaves.
#[derive(Debug, Clone, Default)]
pub struct TreeBuilder {
    /// Number of leaves pushed so far.
    len: u64,
    // INVARIANT: `stack` holds one root per set bit of `len`, from the most significant bit (the
    // leftmost, largest complete subtree) to the least significant one (the rightmost, smallest).
    stack: Vec<[u8; HASH_LEN]>,
}

impl TreeBuilder {
    /// An empty tree (its root is [`empty_root`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf given by its data; the builder hashes it as `SHA-256(0x00 ‖ data)`.
    pub fn push_leaf(&mut self, data: &[u8]) {
        self.push_leaf_hash(leaf_hash(data));
    }

    /// Appends a leaf given by its leaf hash (already `SHA-256(0x00 ‖ data)`).
    pub fn push_leaf_hash(&mut self, hash: [u8; HASH_LEN]) {
        // Adding one leaf is binary increment: every trailing 1 bit of `len` is a complete subtree
        // of the same size as the carry, so it merges with it (left child = the older subtree).
        let mut carry = hash;
        let mut bits = self.len;
        while bits & 1 == 1 {
            match self.stack.pop() {
                Some(left) => carry = node_hash(&left, &carry),
                None => break, // unreachable by the INVARIANT; stopping keeps the stack well-formed
            }
            bits >>= 1;
        }
        self.stack.push(carry);
        self.len = self.len.saturating_add(1);
    }

    /// The number of leaves pushed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no leaf has been pushed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tree hash of the leaves pushed so far (RFC 9162 §2.1.1 MTH).
    pub fn root(&self) -> [u8; HASH_LEN] {
        // spec: merkle.md §2 — merging the complete subtrees right to left splits every remaining
        // range at its largest power of two, so this equals the recursive definition.
        let mut subtrees = self.stack.iter().rev();
        match subtrees.next() {
            None => empty_root(),
            Some(last) => subtrees.fold(*last, |right, left| node_hash(left, &right)),
        }
    }
}

/// The tree hash of a list of leaf hashes (RFC 9162 §2.1.1 MTH), in O(n) time.
pub fn root_from_leaf_hashes(leaf_hashes: &[[u8; HASH_LEN]]) -> [u8; HASH_LEN] {
    let mut builder = TreeBuilder::new();
    for hash in leaf_hashes {
        builder.push_leaf_hash(*hash);
    }
    builder.root()
}

/// The split point of a tree of `n ≥ 2` leaves: the largest power of two strictly below `n`.
///
/// spec: merkle.md §2 (RFC 9162 §2.1.1: "k is the largest power of two smaller than n").
/// For `n < 2` there is no split; the function then returns 0.
pub(super) fn split_point(n: usize) -> usize {
    match n.checked_sub(1) {
        Some(last) if last > 0 => 1 << last.ilog2(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9162 §2.1.1 MTH, transcribed literally (recursive, for tests only).
    fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn split_point_is_the_largest_power_of_two_below_n() {
        let cases = [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 4),
            (8, 4),
            (9, 8),
            (1025, 1024),
        ];
        for (n, k) in cases {
            assert_eq!(split_point(n), k, "n = {n}");
        }
    }

    #[test]
    fn builder_matches_the_recursive_definition() {
        let leaves: Vec<[u8; 32]> = (0u32..300).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut builder = TreeBuilder::new();
        assert!(builder.is_empty());
        assert_eq!(builder.root(), empty_root());
        for i in 0..leaves.len() {
            builder.push_leaf(&(i as u32).to_be_bytes());
            assert_eq!(builder.len(), i as u64 + 1);
            assert_eq!(builder.root(), mth(&leaves[..=i]), "size {}", i + 1);
            assert_eq!(root_from_leaf_hashes(&leaves[..=i]), builder.root());
        }
        assert_eq!(root_from_leaf_hashes(&[]), empty_root());
    }
}
