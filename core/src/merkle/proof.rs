//! Inclusion and consistency proofs: building them (RFC 9162 §2.1.3.1, §2.1.4.1) and checking
//! them (RFC 9162 §2.1.3.2, §2.1.4.2) with the edge rules of merkle.md §5.
//!
//! Builders take the full list of leaf hashes and run in O(n) time: each level hashes only the
//! sibling subtree it leaves aside. Verifiers take byte slices, check every edge rule before any
//! hashing, then follow the RFC algorithms step by step.

use super::tree::{root_from_leaf_hashes, split_point};
use super::{
    BadHashLengthError, EmptyOldTreeError, HashRole, IndexOutOfRangeError, MerkleError,
    ProofLengthError, ProofTooLongError, RootMismatchError, SizeOrderError, HASH_LEN,
};
use crate::limits::Limits;

/// The inclusion proof (audit path) of the leaf at `index` in the tree of `leaf_hashes`.
///
/// spec: merkle.md §3.1 (RFC 9162 §2.1.3.1 PATH(m, D[n])). The proof lists sibling subtree
/// hashes from the leaf up to the root. Fails with `merkle.index_out_of_range` when
/// `index >= leaf_hashes.len()`.
pub fn inclusion_proof(
    leaf_hashes: &[[u8; HASH_LEN]],
    index: u64,
) -> Result<Vec<[u8; HASH_LEN]>, MerkleError> {
    let tree_size = leaf_hashes.len() as u64;
    let mut m = usize::try_from(index)
        .ok()
        .filter(|m| *m < leaf_hashes.len())
        .ok_or(IndexOutOfRangeError { index, tree_size })?;
    // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])      when m < k
    //               = PATH(m - k, D[k:n]) : MTH(D[0:k])  when m >= k
    // Unrolled from the root down: the siblings come out top-down, the proof lists them bottom-up.
    let mut range = leaf_hashes;
    let mut siblings = Vec::new();
    while range.len() > 1 {
        // PATH(0, {d(0)}) = {} ends the loop.
        let Some((left, right)) = range.split_at_checked(split_point(range.len())) else {
            break; // unreachable: len >= 2 implies 0 < k < len
        };
        if m < left.len() {
            siblings.push(root_from_leaf_hashes(right));
            range = left;
        } else {
            siblings.push(root_from_leaf_hashes(left));
            m -= left.len();
            range = right;
        }
    }
    siblings.reverse();
    Ok(siblings)
}

/// The consistency proof between the first `old_size` leaves and all of `leaf_hashes`.
///
/// spec: merkle.md §4.1 (RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true)). Fails with
/// `merkle.empty_old_tree` when `old_size` is 0 and `merkle.size_order` when it exceeds the number
/// of leaves. Equal sizes give the empty proof.
pub fn consistency_proof(
    leaf_hashes: &[[u8; HASH_LEN]],
    old_size: u64,
) -> Result<Vec<[u8; HASH_LEN]>, MerkleError> {
    let new_size = leaf_hashes.len() as u64;
    let size_order = SizeOrderError { old_size, new_size };
    let mut m = usize::try_from(old_size).map_err(|_| size_order.clone())?;
    if m > leaf_hashes.len() {
        return Err(size_order.into());
    }
    if m == 0 {
        return Err(EmptyOldTreeError.into());
    }
    // SUBPROOF(m, D[m], b)  = {} if b, else {MTH(D[m])}
    // SUBPROOF(m, D[n], b)  = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          when m <= k
    //                       = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  when m > k
    // Unrolled from the root down, as in `inclusion_proof`; `b` says whether the old tree is still
    // a complete subtree whose hash the verifier already has.
    let mut range = leaf_hashes;
    let mut b = true;
    let mut proof = Vec::new();
    while m < range.len() {
        let Some((left, right)) = range.split_at_checked(split_point(range.len())) else {
            break; // unreachable: 1 <= m < len implies len >= 2 and 0 < k < len
        };
        if m <= left.len() {
            proof.push(root_from_leaf_hashes(right));
            range = left;
        } else {
            proof.push(root_from_leaf_hashes(left));
            m -= left.len();
            range = right;
            b = false;
        }
    }
    if !b {
        proof.push(root_from_leaf_hashes(range));
    }
    proof.reverse();
    Ok(proof)
}

/// Checks that `proof` shows the leaf `leaf_hash` at `index` in the tree of `tree_size` leaves
/// whose hash is `root`.
///
/// spec: merkle.md §3.2 and §5 (RFC 9162 §2.1.3.2). Every hash must be 32 bytes, `index` must be
/// below `tree_size`, the proof must have exactly the required number of hashes and at most
/// `limits.merkle_max_proof_hashes`; all of this is checked before any hashing.
pub fn verify_inclusion<P: AsRef<[u8]>>(
    leaf_hash: &[u8],
    index: u64,
    tree_size: u64,
    proof: &[P],
    root: &[u8],
    limits: &Limits,
) -> Result<(), MerkleError> {
    check_proof_count(proof.len(), limits)?;
    let leaf = to_hash(leaf_hash, HashRole::Leaf)?;
    let root = to_hash(root, HashRole::Root)?;
    let path = to_hashes(proof)?;
    if inclusion_root(leaf, index, tree_size, &path)? == root {
        Ok(())
    } else {
        Err(RootMismatchError {
            role: HashRole::Root,
        }
        .into())
    }
}

/// The root that `proof` leads to from the leaf `leaf_hash` at `index` in a tree of `tree_size`
/// leaves, for callers (receipts) that compare it with a root obtained elsewhere.
///
/// spec: merkle.md §3.2 and §5 — the same checks as [`verify_inclusion`], without the final
/// comparison.
pub fn root_from_inclusion_proof<P: AsRef<[u8]>>(
    leaf_hash: &[u8],
    index: u64,
    tree_size: u64,
    proof: &[P],
    limits: &Limits,
) -> Result<[u8; HASH_LEN], MerkleError> {
    check_proof_count(proof.len(), limits)?;
    let leaf = to_hash(leaf_hash, HashRole::Leaf)?;
    let path = to_hashes(proof)?;
    inclusion_root(leaf, index, tree_size, &path)
}

/// Checks that `proof` shows the tree of `old_size` leaves with hash `old_root` to be a prefix of
/// the tree of `new_size` leaves with hash `new_root`.
///
/// spec: merkle.md §4.2 and §5 (RFC 9162 §2.1.4.2). Every hash must be 32 bytes; `old_size` must
/// be at least 1 and at most `new_size`; equal sizes need an empty proof and equal roots; the
/// proof must have exactly the required number of hashes and at most
/// `limits.merkle_max_proof_hashes`; all of this is checked before any hashing.
pub fn verify_consistency<P: AsRef<[u8]>>(
    old_size: u64,
    new_size: u64,
    proof: &[P],
    old_root: &[u8],
    new_root: &[u8],
    limits: &Limits,
) -> Result<(), MerkleError> {
    check_proof_count(proof.len(), limits)?;
    let first_hash = to_hash(old_root, HashRole::OldRoot)?;
    let second_hash = to_hash(new_root, HashRole::NewRoot)?;
    let path = to_hashes(proof)?;
    if old_size > new_size {
        return Err(SizeOrderError { old_size, new_size }.into());
    }
    if old_size == 0 {
        return Err(EmptyOldTreeError.into());
    }
    if old_size == new_size {
        // spec: merkle.md §4.2 — not covered by RFC 9162 (which needs first < second): the empty
        // proof shows a tree consistent with itself.
        if !path.is_empty() {
            return Err(ProofLengthError {
                expected: 0,
                actual: path.len(),
            }
            .into());
        }
        if first_hash != second_hash {
            return Err(RootMismatchError {
                role: HashRole::NewRoot,
            }
            .into());
        }
        return Ok(());
    }
    // INVARIANT from here: 0 < first < second.
    let (first, second) = (old_size, new_size);
    let expected = consistency_proof_len(first, second);
    let mismatch = || ProofLengthError {
        expected,
        actual: path.len(),
    };
    if path.len() != expected {
        return Err(mismatch().into());
    }
    // 1. If consistency_path is an empty array, stop and fail: `expected` is never 0 here.
    // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    let (seed, rest) = if first.is_power_of_two() {
        (first_hash, path.as_slice())
    } else {
        match path.split_first() {
            Some((seed, rest)) => (*seed, rest),
            None => return Err(mismatch().into()),
        }
    };
    // 3. Set fn to first - 1 and sn to second - 1.
    let (mut fn_, mut sn) = (first - 1, second - 1);
    // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. Set both fr and sr to the first value in the consistency_path array.
    let (mut fr, mut sr) = (seed, seed);
    // 6. For each subsequent value c in the consistency_path array:
    for c in rest {
        // a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0 {
            return Err(mismatch().into());
        }
        // b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn_ & 1 == 1 || fn_ == sn {
            // i. Set fr to HASH(0x01 || c || fr). ii. Set sr to HASH(0x01 || c || sr).
            fr = super::node_hash(c, &fr);
            sr = super::node_hash(c, &sr);
            // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either
            //      LSB(fn) is set or fn is 0.
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            // Otherwise: i. Set sr to HASH(0x01 || sr || c).
            sr = super::node_hash(&sr, c);
        }
        // c. Finally, right-shift both fn and sn one time.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7. Verify that fr equals first_hash, that sr equals second_hash, and that sn is 0.
    if sn != 0 {
        return Err(mismatch().into());
    }
    if fr != first_hash {
        return Err(RootMismatchError {
            role: HashRole::OldRoot,
        }
        .into());
    }
    if sr != second_hash {
        return Err(RootMismatchError {
            role: HashRole::NewRoot,
        }
        .into());
    }
    Ok(())
}

/// RFC 9162 §2.1.3.2 after the argument checks: the root the inclusion path leads to.
fn inclusion_root(
    hash: [u8; HASH_LEN],
    leaf_index: u64,
    tree_size: u64,
    inclusion_path: &[[u8; HASH_LEN]],
) -> Result<[u8; HASH_LEN], MerkleError> {
    // 1. Compare leaf_index against tree_size. If leaf_index >= tree_size, then fail.
    if leaf_index >= tree_size {
        return Err(IndexOutOfRangeError {
            index: leaf_index,
            tree_size,
        }
        .into());
    }
    // spec: merkle.md §5 — the proof length must be exactly the one the sizes require.
    let expected = inclusion_proof_len(leaf_index, tree_size);
    let mismatch = || ProofLengthError {
        expected,
        actual: inclusion_path.len(),
    };
    if inclusion_path.len() != expected {
        return Err(mismatch().into());
    }
    // 2. Set fn to leaf_index and sn to tree_size - 1.
    let (mut fn_, mut sn) = (leaf_index, tree_size - 1);
    // 3. Set r to hash.
    let mut r = hash;
    // 4. For each value p in the inclusion_path array:
    for p in inclusion_path {
        // a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0 {
            return Err(mismatch().into());
        }
        // b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn_ & 1 == 1 || fn_ == sn {
            // i. Set r to HASH(0x01 || p || r).
            r = super::node_hash(p, &r);
            // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either
            //     LSB(fn) is set or fn is 0.
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            // Otherwise: i. Set r to HASH(0x01 || r || p).
            r = super::node_hash(&r, p);
        }
        // c. Finally, right-shift both fn and sn one time.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. Compare sn to 0 (r is compared with the root by the caller).
    if sn != 0 {
        return Err(mismatch().into());
    }
    Ok(r)
}

/// Number of hashes in the inclusion proof of `index < tree_size`.
///
/// spec: merkle.md §3.2 — `inner = bit_length(index XOR (tree_size - 1))` levels where the path
/// to the leaf and the path to the last leaf differ, plus `border = popcount(index >> inner)`
/// levels above them where the leaf's subtree has a left sibling.
fn inclusion_proof_len(index: u64, tree_size: u64) -> usize {
    let inner = u64::BITS - (index ^ (tree_size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// Number of hashes in the consistency proof of `0 < first < second`.
///
/// spec: merkle.md §4.2 — with `inner` and `border` of the inclusion proof of leaf `first - 1` in
/// the tree of `second` leaves and `shift = trailing_zeros(first)`, the proof has
/// `inner - shift + border` hashes, plus one (the old root's first component) unless `first` is
/// a power of two.
fn consistency_proof_len(first: u64, second: u64) -> usize {
    let index = first - 1;
    let inner = u64::BITS - (index ^ (second - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    let shift = first.trailing_zeros();
    let seed = u32::from(!first.is_power_of_two());
    (seed + inner.saturating_sub(shift) + border) as usize
}

/// spec: merkle.md §5 — a proof longer than the limit is rejected before anything else.
fn check_proof_count(len: usize, limits: &Limits) -> Result<(), MerkleError> {
    if len > limits.merkle_max_proof_hashes {
        return Err(ProofTooLongError {
            len,
            max: limits.merkle_max_proof_hashes,
        }
        .into());
    }
    Ok(())
}

/// spec: merkle.md §5 — every hash is exactly 32 bytes.
fn to_hash(bytes: &[u8], role: HashRole) -> Result<[u8; HASH_LEN], MerkleError> {
    <[u8; HASH_LEN]>::try_from(bytes).map_err(|_| {
        BadHashLengthError {
            role,
            len: bytes.len(),
        }
        .into()
    })
}

/// Every proof hash as a 32-byte array, in order; the first one of another length is an error.
fn to_hashes<P: AsRef<[u8]>>(proof: &[P]) -> Result<Vec<[u8; HASH_LEN]>, MerkleError> {
    proof
        .iter()
        .enumerate()
        .map(|(i, p)| to_hash(p.as_ref(), HashRole::Proof(i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Coded;
    use crate::merkle::{leaf_hash, node_hash};

    /// The seven-leaf tree of RFC 9162 §2.1.5, with its node names.
    struct Rfc {
        leaves: Vec<[u8; 32]>,
        nodes: std::collections::HashMap<char, [u8; 32]>,
    }

    fn rfc_tree() -> Rfc {
        let leaves: Vec<[u8; 32]> = (0u8..7).map(|i| leaf_hash(&[i])).collect();
        let mut n = std::collections::HashMap::new();
        for (name, leaf) in "abcdefj".chars().zip(&leaves) {
            n.insert(name, *leaf);
        }
        n.insert('g', node_hash(&n[&'a'], &n[&'b']));
        n.insert('h', node_hash(&n[&'c'], &n[&'d']));
        n.insert('i', node_hash(&n[&'e'], &n[&'f']));
        n.insert('k', node_hash(&n[&'g'], &n[&'h']));
        n.insert('l', node_hash(&n[&'i'], &n[&'j']));
        Rfc { leaves, nodes: n }
    }

    fn named(rfc: &Rfc, names: &str) -> Vec<[u8; 32]> {
        names.chars().map(|c| rfc.nodes[&c]).collect()
    }

    #[test]
    fn rfc_9162_section_2_1_5_examples() {
        let rfc = rfc_tree();
        let root = node_hash(&rfc.nodes[&'k'], &rfc.nodes[&'l']);
        assert_eq!(root_from_leaf_hashes(&rfc.leaves), root);
        let limits = Limits::default();
        for (index, path) in [(0, "bhl"), (3, "cgl"), (4, "fjk"), (6, "ik")] {
            let proof = inclusion_proof(&rfc.leaves, index).unwrap();
            assert_eq!(proof, named(&rfc, path), "d{index}");
            let leaf = rfc.leaves[index as usize];
            verify_inclusion(&leaf, index, 7, &proof, &root, &limits).unwrap();
        }
        let hash0 = node_hash(&rfc.nodes[&'g'], &rfc.nodes[&'c']);
        let hash1 = rfc.nodes[&'k'];
        let hash2 = node_hash(&rfc.nodes[&'k'], &rfc.nodes[&'i']);
        for (size, old_root, path) in [(3, hash0, "cdgl"), (4, hash1, "l"), (6, hash2, "ijk")] {
            let proof = consistency_proof(&rfc.leaves, size).unwrap();
            assert_eq!(proof, named(&rfc, path), "size {size}");
            verify_consistency(size, 7, &proof, &old_root, &root, &limits).unwrap();
        }
    }

    fn code(result: Result<impl Sized, MerkleError>) -> &'static str {
        match result {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn builders_reject_bad_arguments() {
        let leaves: Vec<[u8; 32]> = (0u8..5).map(|i| leaf_hash(&[i])).collect();
        assert_eq!(
            code(inclusion_proof(&leaves, 5)),
            "merkle.index_out_of_range"
        );
        assert_eq!(code(inclusion_proof(&[], 0)), "merkle.index_out_of_range");
        assert_eq!(
            code(inclusion_proof(&leaves, u64::MAX)),
            "merkle.index_out_of_range"
        );
        assert_eq!(code(consistency_proof(&leaves, 6)), "merkle.size_order");
        assert_eq!(
            code(consistency_proof(&leaves, u64::MAX)),
            "merkle.size_order"
        );
        assert_eq!(code(consistency_proof(&leaves, 0)), "merkle.empty_old_tree");
        assert_eq!(code(consistency_proof(&[], 0)), "merkle.empty_old_tree");
        assert_eq!(
            consistency_proof(&leaves, 5).unwrap(),
            Vec::<[u8; 32]>::new()
        );
        assert_eq!(
            inclusion_proof(&leaves[..1], 0).unwrap(),
            Vec::<[u8; 32]>::new()
        );
    }

    #[test]
    fn every_error_is_reachable_from_the_verifiers_in_the_specified_order() {
        let rfc = rfc_tree();
        let root = root_from_leaf_hashes(&rfc.leaves);
        let leaf = rfc.leaves[3];
        let proof = inclusion_proof(&rfc.leaves, 3).unwrap();
        let limits = Limits::default();
        let incl = |leaf: &[u8], index, size, proof: &[Vec<u8>], root: &[u8], limits: &Limits| {
            code(verify_inclusion(leaf, index, size, proof, root, limits))
        };
        let p: Vec<Vec<u8>> = proof.iter().map(|h| h.to_vec()).collect();
        assert_eq!(incl(&leaf, 3, 7, &p, &root, &limits), "ok");
        // merkle.proof_too_long comes first, even with short hashes and a bad index.
        let tight = Limits {
            merkle_max_proof_hashes: 2,
            ..Limits::default()
        };
        assert_eq!(incl(&[], 9, 7, &p, &[], &tight), "merkle.proof_too_long");
        let long = vec![vec![0u8; 1]; 65];
        assert_eq!(
            incl(&leaf, 3, 7, &long, &root, &limits),
            "merkle.proof_too_long"
        );
        // then merkle.bad_hash_length: leaf, root, each proof hash.
        assert_eq!(
            incl(&leaf[..31], 9, 7, &p, &root, &limits),
            "merkle.bad_hash_length"
        );
        assert_eq!(
            incl(&leaf, 9, 7, &p, &[0; 33], &limits),
            "merkle.bad_hash_length"
        );
        let mut short = p.clone();
        short[2].pop();
        let e = verify_inclusion(&leaf, 9, 7, &short, &root, &limits).unwrap_err();
        assert_eq!(
            e,
            BadHashLengthError {
                role: HashRole::Proof(2),
                len: 31
            }
            .into()
        );
        // then merkle.index_out_of_range.
        assert_eq!(
            incl(&leaf, 7, 7, &p, &root, &limits),
            "merkle.index_out_of_range"
        );
        assert_eq!(
            incl(&leaf, 0, 0, &[], &root, &limits),
            "merkle.index_out_of_range"
        );
        // then merkle.proof_length: missing or extra hashes.
        assert_eq!(
            incl(&leaf, 3, 7, &p[..2], &root, &limits),
            "merkle.proof_length"
        );
        let mut extra = p.clone();
        extra.push(root.to_vec());
        assert_eq!(
            incl(&leaf, 3, 7, &extra, &root, &limits),
            "merkle.proof_length"
        );
        // last merkle.root_mismatch.
        assert_eq!(
            incl(&leaf, 2, 7, &p, &root, &limits),
            "merkle.root_mismatch"
        );
        let computed = root_from_inclusion_proof(&leaf, 3, 7, &proof, &limits).unwrap();
        assert_eq!(computed, root);
        assert_eq!(
            code(root_from_inclusion_proof(&leaf, 3, 7, &long, &limits)),
            "merkle.proof_too_long"
        );

        let old = root_from_leaf_hashes(&rfc.leaves[..3]);
        let cons = consistency_proof(&rfc.leaves, 3).unwrap();
        let c = |s1, s2, proof: &[[u8; 32]], r1: &[u8], r2: &[u8]| {
            code(verify_consistency(s1, s2, proof, r1, r2, &limits))
        };
        assert_eq!(c(3, 7, &cons, &old, &root), "ok");
        assert_eq!(
            c(3, 7, &[[0; 32]; 65], &old, &root),
            "merkle.proof_too_long"
        );
        assert_eq!(c(3, 7, &cons, &old[..0], &root), "merkle.bad_hash_length");
        assert_eq!(c(3, 7, &cons, &old, &[0; 64]), "merkle.bad_hash_length");
        assert_eq!(c(8, 7, &cons, &old, &root), "merkle.size_order");
        assert_eq!(c(0, 7, &cons, &old, &root), "merkle.empty_old_tree");
        assert_eq!(c(0, 0, &[], &root, &root), "merkle.empty_old_tree");
        assert_eq!(c(7, 7, &[], &root, &root), "ok");
        assert_eq!(c(7, 7, &cons[..1], &root, &root), "merkle.proof_length");
        assert_eq!(c(7, 7, &[], &old, &root), "merkle.root_mismatch");
        assert_eq!(c(3, 7, &cons[..3], &old, &root), "merkle.proof_length");
        assert_eq!(c(3, 7, &[], &old, &root), "merkle.proof_length");
        assert_eq!(c(3, 7, &cons, &root, &root), "merkle.root_mismatch");
        assert_eq!(c(3, 7, &cons, &old, &old), "merkle.root_mismatch");
        let e = verify_consistency(3, 7, &cons, &root, &old, &limits).unwrap_err();
        assert_eq!(
            e,
            RootMismatchError {
                role: HashRole::OldRoot
            }
            .into()
        );
    }

    #[test]
    fn proof_lengths_match_the_builders_and_fit_the_default_limit() {
        let leaves: Vec<[u8; 32]> = (0u16..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for n in 1..=leaves.len() {
            for m in 0..n {
                let len = inclusion_proof(&leaves[..n], m as u64).unwrap().len();
                assert_eq!(inclusion_proof_len(m as u64, n as u64), len, "({m}, {n})");
            }
            for m in 1..n {
                let len = consistency_proof(&leaves[..n], m as u64).unwrap().len();
                assert_eq!(consistency_proof_len(m as u64, n as u64), len, "({m}, {n})");
            }
        }
        let max = Limits::default().merkle_max_proof_hashes;
        for (a, b) in [(0, u64::MAX), (u64::MAX - 1, u64::MAX), (1 << 63, u64::MAX)] {
            assert!(inclusion_proof_len(a, b) <= max);
        }
        // spec: merkle.md §5 — the default limit admits every proof of a tree below 2^63 leaves;
        // beyond that a consistency proof can need 65 hashes.
        let below = (1u64 << 63) - 1;
        for (a, b) in [(1, below), (below - 1, below), ((1 << 62) - 1, below)] {
            assert!(consistency_proof_len(a, b) <= max, "({a}, {b})");
        }
        assert_eq!(consistency_proof_len((1 << 63) - 1, u64::MAX), 65);
    }
}
