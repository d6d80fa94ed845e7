package merkle

import (
	"bytes"
	"math/bits"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// InclusionProof returns PATH(m, D[n]) of RFC 9162 §2.1.3.1 for the leaf hashes of a tree of
// n = len(leaves) leaves (merkle.md §3.1), leaf level first. m ≥ n is merkle.index_out_of_range.
func InclusionProof(leaves []Hash, m uint64) ([]Hash, error) {
	if m >= uint64(len(leaves)) {
		return nil, newError(CodeIndexOutOfRange, "leaf %d is not in a tree of %d leaves", m, len(leaves))
	}
	return path(m, leaves), nil
}

func path(m uint64, leaves []Hash) []Hash {
	n := uint64(len(leaves))
	if n <= 1 {
		return nil
	}
	k := split(n)
	if m < k {
		return append(path(m, leaves[:k]), rootOfHashes(leaves[k:]))
	}
	return append(path(m-k, leaves[k:]), rootOfHashes(leaves[:k]))
}

// ConsistencyProof returns PROOF(m, D[n]) of RFC 9162 §2.1.4.1 between the first m leaves and
// all n = len(leaves) leaves (merkle.md §4.1). m = 0 is merkle.empty_old_tree; m > n is
// merkle.size_order; m = n gives the empty proof.
func ConsistencyProof(leaves []Hash, m uint64) ([]Hash, error) {
	n := uint64(len(leaves))
	if m > n {
		return nil, newError(CodeSizeOrder, "old size %d is larger than new size %d", m, n)
	}
	if m == 0 {
		return nil, newError(CodeEmptyOldTree, "no consistency proof from the empty tree")
	}
	return subproof(m, leaves, true), nil
}

func subproof(m uint64, leaves []Hash, complete bool) []Hash {
	n := uint64(len(leaves))
	if m == n {
		if complete {
			return nil
		}
		return []Hash{rootOfHashes(leaves)}
	}
	k := split(n)
	if m <= k {
		return append(subproof(m, leaves[:k], complete), rootOfHashes(leaves[k:]))
	}
	return append(subproof(m-k, leaves[k:], false), rootOfHashes(leaves[:k]))
}

// inclusionLength returns inner and border of merkle.md §3.2.
func inclusionLength(index, size uint64) (inner, border int) {
	inner = bits.Len64(index ^ (size - 1))
	border = bits.OnesCount64(index >> uint(inner)) // index >> 64 is 0 in Go
	return inner, border
}

func toHash(b []byte) Hash {
	var h Hash
	copy(h[:], b)
	return h
}

// checkLengths applies merkle.md §5 rules 1–2: the proof count, then every hash's length in
// the order the table gives (the leaf hash, the roots, then the proof).
func checkLengths(lim limits.Limits, proof [][]byte, named ...[]byte) error {
	if len(proof) > lim.MerkleMaxProofHashes {
		return newError(CodeProofTooLong, "proof has %d hashes, more than %d", len(proof), lim.MerkleMaxProofHashes)
	}
	for _, h := range named {
		if len(h) != HashSize {
			return newError(CodeBadHashLength, "hash of %d bytes, want %d", len(h), HashSize)
		}
	}
	for i, h := range proof {
		if len(h) != HashSize {
			return newError(CodeBadHashLength, "proof hash %d has %d bytes, want %d", i, len(h), HashSize)
		}
	}
	return nil
}

// VerifyInclusion checks that leafHash is leaf index of a tree of size leaves with root root,
// by RFC 9162 §2.1.3.2 after the edge rules of merkle.md §5 (in that order).
func VerifyInclusion(lim limits.Limits, leafHash []byte, index, size uint64, proof [][]byte, root []byte) error {
	if err := checkLengths(lim, proof, leafHash, root); err != nil {
		return err
	}
	if index >= size {
		return newError(CodeIndexOutOfRange, "leaf index %d is not below tree size %d", index, size)
	}
	inner, border := inclusionLength(index, size)
	if len(proof) != inner+border {
		return newError(CodeProofLength, "proof has %d hashes, want %d", len(proof), inner+border)
	}
	fn, sn := index, size-1
	r := toHash(leafHash)
	for _, pb := range proof {
		p := toHash(pb)
		if sn == 0 {
			return newError(CodeRootMismatch, "proof continues above the root")
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 || !bytes.Equal(r[:], root) {
		return newError(CodeRootMismatch, "computed root differs from the given root")
	}
	return nil
}

// VerifyConsistency checks that a tree of size1 leaves with root1 is a prefix of a tree of
// size2 leaves with root2, by RFC 9162 §2.1.4.2 after the edge rules of merkle.md §5; equal
// sizes need an empty proof and equal roots (merkle.md §4.2).
func VerifyConsistency(lim limits.Limits, size1, size2 uint64, proof [][]byte, root1, root2 []byte) error {
	if err := checkLengths(lim, proof, root1, root2); err != nil {
		return err
	}
	if size1 > size2 {
		return newError(CodeSizeOrder, "old size %d is larger than new size %d", size1, size2)
	}
	if size1 == 0 {
		return newError(CodeEmptyOldTree, "a consistency proof from the empty tree proves nothing")
	}
	if size1 == size2 {
		if len(proof) != 0 {
			return newError(CodeProofLength, "proof has %d hashes, want 0 for equal sizes", len(proof))
		}
		if !bytes.Equal(root1, root2) {
			return newError(CodeRootMismatch, "equal sizes with different roots")
		}
		return nil
	}
	inner, border := inclusionLength(size1-1, size2)
	shift := bits.TrailingZeros64(size1)
	start := 1
	if size1 == 1<<uint(shift) {
		start = 0
	}
	want := start + inner - shift + border
	if len(proof) != want {
		return newError(CodeProofLength, "proof has %d hashes, want %d", len(proof), want)
	}
	// RFC 9162 §2.1.4.2, steps 2–7.
	path := make([]Hash, 0, len(proof)+1)
	if start == 0 {
		path = append(path, toHash(root1))
	}
	for _, p := range proof {
		path = append(path, toHash(p))
	}
	fn, sn := size1-1, size2-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return newError(CodeRootMismatch, "proof continues above the root")
		}
		if fn&1 == 1 || fn == sn {
			fr = NodeHash(c, fr)
			sr = NodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = NodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	if !bytes.Equal(fr[:], root1) {
		return newError(CodeRootMismatch, "proof does not lead to the old root")
	}
	if !bytes.Equal(sr[:], root2) || sn != 0 {
		return newError(CodeRootMismatch, "proof does not lead to the new root")
	}
	return nil
}
