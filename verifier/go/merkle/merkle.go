// Package merkle implements the RFC 9162 §2.1 Merkle tree with SHA-256 as spec/merkle.md fixes
// it: tree hashes, inclusion and consistency proofs, and their verification with Clyra's edge
// rules and codes (merkle.md §5).
package merkle

import (
	"crypto/sha256"
	"fmt"
)

// Codes of spec/verdicts.md §4 (section merkle), in the order merkle.md §5 checks them.
const (
	CodeProofTooLong    = "merkle.proof_too_long"
	CodeBadHashLength   = "merkle.bad_hash_length"
	CodeIndexOutOfRange = "merkle.index_out_of_range"
	CodeSizeOrder       = "merkle.size_order"
	CodeEmptyOldTree    = "merkle.empty_old_tree"
	CodeProofLength     = "merkle.proof_length"
	CodeRootMismatch    = "merkle.root_mismatch"
)

// HashSize is the length of every hash: SHA-256, 32 bytes.
const HashSize = sha256.Size

// Hash is one SHA-256 tree hash.
type Hash [HashSize]byte

// Error is a rejected proof or a proof request outside the tree, with its stable code.
type Error struct {
	code   string
	detail string
}

// Code returns the registered code, e.g. "merkle.root_mismatch".
func (e *Error) Code() string { return e.code }

// Error returns the code and a lowercase message.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.code, e.detail) }

func newError(code, format string, args ...any) *Error {
	return &Error{code: code, detail: fmt.Sprintf(format, args...)}
}

// EmptyRoot returns MTH({}) = SHA-256("") (merkle.md §1.3).
func EmptyRoot() Hash { return sha256.Sum256(nil) }

// LeafHash returns SHA-256(0x00 ‖ data) (merkle.md §1.1).
func LeafHash(data []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash returns SHA-256(0x01 ‖ left ‖ right) (merkle.md §1.2).
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*HashSize]byte
	buf[0] = 0x01
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// Tree computes MTH over leaves appended one by one, keeping only the roots of complete
// subtrees (merkle.md §2.3): O(log n) memory.
type Tree struct {
	size  uint64
	peaks []Hash // roots of complete subtrees, largest first
}

// Append adds one leaf's data.
func (t *Tree) Append(data []byte) {
	t.AppendHash(LeafHash(data))
}

// AppendHash adds one leaf by its leaf hash.
func (t *Tree) AppendHash(leaf Hash) {
	h := leaf
	for s := t.size; s&1 == 1; s >>= 1 {
		h = NodeHash(t.peaks[len(t.peaks)-1], h)
		t.peaks = t.peaks[:len(t.peaks)-1]
	}
	t.peaks = append(t.peaks, h)
	t.size++
}

// Size returns the number of leaves appended.
func (t *Tree) Size() uint64 { return t.size }

// Root returns MTH of the leaves appended so far: the peaks merged right to left.
func (t *Tree) Root() Hash {
	if len(t.peaks) == 0 {
		return EmptyRoot()
	}
	h := t.peaks[len(t.peaks)-1]
	for i := len(t.peaks) - 2; i >= 0; i-- {
		h = NodeHash(t.peaks[i], h)
	}
	return h
}

// Root returns MTH(leaves) (merkle.md §2.1).
func Root(leaves [][]byte) Hash {
	var t Tree
	for _, l := range leaves {
		t.Append(l)
	}
	return t.Root()
}

// split returns the largest power of two strictly smaller than n (n ≥ 2).
func split(n uint64) uint64 {
	k := uint64(1)
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// rootOfHashes is MTH over leaf hashes (recursive; for proof building, depth ≤ 64).
func rootOfHashes(leaves []Hash) Hash {
	switch len(leaves) {
	case 0:
		return EmptyRoot()
	case 1:
		return leaves[0]
	}
	k := split(uint64(len(leaves)))
	return NodeHash(rootOfHashes(leaves[:k]), rootOfHashes(leaves[k:]))
}
