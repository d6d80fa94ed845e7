package merkle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/conformance"
	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// The test decodes conformance files with encoding/json: they are test data, not signed bytes.

type inclusionVector struct {
	LeafIdx  uint64   `json:"leafIdx"`
	TreeSize uint64   `json:"treeSize"`
	Root     []byte   `json:"root"`
	LeafHash []byte   `json:"leafHash"`
	Proof    [][]byte `json:"proof"`
	Desc     string   `json:"desc"`
	WantErr  bool     `json:"wantErr"`
}

type consistencyVector struct {
	Size1   uint64   `json:"size1"`
	Size2   uint64   `json:"size2"`
	Root1   []byte   `json:"root1"`
	Root2   []byte   `json:"root2"`
	Proof   [][]byte `json:"proof"`
	Desc    string   `json:"desc"`
	WantErr bool     `json:"wantErr"`
}

// differsFromUpstream is the one vector merkle.md §7.1 decides against its wantErr.
const differsFromUpstream = "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"

func vectorFiles(t *testing.T, kind string) []string {
	t.Helper()
	root := conformance.Path(t, "transparency-dev-merkle", "testdata", kind)
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func rel(t *testing.T, p string) string {
	r, err := filepath.Rel(conformance.Path(t, "transparency-dev-merkle", "testdata"), p)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(r)
}

func TestTransparencyDevInclusion(t *testing.T) {
	files := vectorFiles(t, "inclusion")
	errs := 0
	for _, f := range files {
		var v inclusionVector
		if err := json.Unmarshal(mustRead(t, f), &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		err := VerifyInclusion(limits.Default(), v.LeafHash, v.LeafIdx, v.TreeSize, v.Proof, v.Root)
		if (err != nil) != v.WantErr {
			t.Errorf("%s (%s): err %v, wantErr %v", rel(t, f), v.Desc, err, v.WantErr)
		}
		if err != nil {
			errs++
		}
	}
	if len(files) != 98 || errs != 92 {
		t.Errorf("inclusion: %d files, %d rejected; want 98, 92", len(files), errs)
	}
}

func TestTransparencyDevConsistency(t *testing.T) {
	files := vectorFiles(t, "consistency")
	errs := 0
	for _, f := range files {
		var v consistencyVector
		if err := json.Unmarshal(mustRead(t, f), &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		err := VerifyConsistency(limits.Default(), v.Size1, v.Size2, v.Proof, v.Root1, v.Root2)
		want := v.WantErr
		if rel(t, f) == differsFromUpstream {
			// merkle.md §7.1: 12-byte placeholder roots, rejected by §5 rule 2.
			if v.WantErr {
				t.Errorf("%s: upstream changed: wantErr is now true", differsFromUpstream)
			}
			want = true
			if e, ok := err.(*Error); !ok || e.Code() != CodeBadHashLength {
				t.Errorf("%s: got %v, want %s", differsFromUpstream, err, CodeBadHashLength)
			}
		}
		if (err != nil) != want {
			t.Errorf("%s (%s): err %v, wantErr %v", rel(t, f), v.Desc, err, want)
		}
		if err != nil {
			errs++
		}
	}
	if len(files) != 98 || errs != 93 {
		t.Errorf("consistency: %d files, %d rejected; want 98, 93 (92 upstream + 1, merkle.md §7.1)", len(files), errs)
	}
}

func TestReferenceTree(t *testing.T) {
	var ref struct {
		LeafInputs        []string   `json:"leafInputs"`
		RootHashesBySize  []string   `json:"rootHashesBySize"`
		NodeHashesByLevel [][]string `json:"nodeHashesByLevel"`
	}
	if err := json.Unmarshal(conformance.ReadFile(t, "transparency-dev-merkle", "extracted", "reference-tree.json"), &ref); err != nil {
		t.Fatal(err)
	}
	leaves := make([][]byte, len(ref.LeafInputs))
	for i, s := range ref.LeafInputs {
		leaves[i] = mustHex(t, s)
	}
	if len(ref.RootHashesBySize) != 9 {
		t.Fatalf("%d roots, want 9", len(ref.RootHashesBySize))
	}
	for n, want := range ref.RootHashesBySize {
		if got := Root(leaves[:n]); hex.EncodeToString(got[:]) != want {
			t.Errorf("MTH of %d leaves: %x, want %s", n, got, want)
		}
	}
	nodes := 0
	for l, level := range ref.NodeHashesByLevel {
		w := 1 << l
		for j, want := range level {
			if got := Root(leaves[j*w : (j+1)*w]); hex.EncodeToString(got[:]) != want {
				t.Errorf("node level %d index %d: %x, want %s", l, j, got, want)
			}
			nodes++
		}
	}
	if nodes != 15 {
		t.Errorf("%d subtree hashes, want 15", nodes)
	}
}

// TestExhaustiveDigest is merkle.md §7.2: every tree of 1..64 one-byte leaves, every inclusion
// and consistency proof, hashed into one SHA-256; every proof verifies and fails when one bit of
// a root is flipped.
func TestExhaustiveDigest(t *testing.T) {
	const want = "ebc1ff7339d56f1ab98569c086845c15cbcf6aea95545173b9963631cac4758e"
	lim := limits.Default()
	digest := sha256.New()
	var incl, cons int
	for n := uint64(1); n <= 64; n++ {
		leaves := make([]Hash, n)
		for i := range leaves {
			leaves[i] = LeafHash([]byte{byte(i)})
		}
		root := rootOfHashes(leaves)
		var tr Tree
		for i := uint64(0); i < n; i++ {
			tr.Append([]byte{byte(i)})
		}
		if tr.Root() != root || tr.Size() != n {
			t.Fatalf("n=%d: streaming root differs", n)
		}
		digest.Write(root[:])
		flipped := root
		flipped[0] ^= 1
		for i := uint64(0); i < n; i++ {
			proof, err := InclusionProof(leaves, i)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range proof {
				digest.Write(h[:])
			}
			pb := asBytes(proof)
			if err := VerifyInclusion(lim, leaves[i][:], i, n, pb, root[:]); err != nil {
				t.Errorf("inclusion %d/%d: %v", i, n, err)
			}
			if err := VerifyInclusion(lim, leaves[i][:], i, n, pb, flipped[:]); codeOf(err) != CodeRootMismatch {
				t.Errorf("inclusion %d/%d with a flipped root: %v", i, n, err)
			}
			incl++
		}
		for m := uint64(1); m <= n; m++ {
			proof, err := ConsistencyProof(leaves, m)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range proof {
				digest.Write(h[:])
			}
			old := rootOfHashes(leaves[:m])
			oldFlipped := old
			oldFlipped[31] ^= 0x80
			pb := asBytes(proof)
			if err := VerifyConsistency(lim, m, n, pb, old[:], root[:]); err != nil {
				t.Errorf("consistency %d→%d: %v", m, n, err)
			}
			if err := VerifyConsistency(lim, m, n, pb, oldFlipped[:], root[:]); codeOf(err) != CodeRootMismatch {
				t.Errorf("consistency %d→%d, root1 flipped: %v", m, n, err)
			}
			if err := VerifyConsistency(lim, m, n, pb, old[:], flipped[:]); codeOf(err) != CodeRootMismatch {
				t.Errorf("consistency %d→%d, root2 flipped: %v", m, n, err)
			}
			cons++
		}
	}
	if incl != 2080 || cons != 2080 {
		t.Errorf("%d inclusion and %d consistency proofs, want 2080 each", incl, cons)
	}
	if got := hex.EncodeToString(digest.Sum(nil)); got != want {
		t.Errorf("exhaustive digest %s, want %s", got, want)
	}
}

// TestEdgeRules checks each rule of merkle.md §5 and its order.
func TestEdgeRules(t *testing.T) {
	lim := limits.Default()
	h := make([]byte, 32)
	short := make([]byte, 31)
	long := make([][]byte, 65)
	for i := range long {
		long[i] = short // rule 1 comes before rule 2
	}
	cases := []struct {
		name string
		err  error
		code string
	}{
		{"inclusion too long", VerifyInclusion(lim, short, 5, 1, long, short), CodeProofTooLong},
		{"consistency too long", VerifyConsistency(lim, 9, 1, long, short, short), CodeProofTooLong},
		{"leaf hash length before index", VerifyInclusion(lim, short, 5, 1, nil, h), CodeBadHashLength},
		{"root length", VerifyInclusion(lim, h, 0, 1, nil, nil), CodeBadHashLength},
		{"proof hash length", VerifyInclusion(lim, h, 0, 2, [][]byte{short}, h), CodeBadHashLength},
		{"index = size", VerifyInclusion(lim, h, 1, 1, nil, h), CodeIndexOutOfRange},
		{"empty tree has no inclusion", VerifyInclusion(lim, h, 0, 0, nil, h), CodeIndexOutOfRange},
		{"inclusion too short", VerifyInclusion(lim, h, 0, 2, nil, h), CodeProofLength},
		{"inclusion too long by one", VerifyInclusion(lim, h, 0, 1, [][]byte{h}, h), CodeProofLength},
		{"size order before empty", VerifyConsistency(lim, 2, 0, nil, h, h), CodeSizeOrder},
		{"root2 length", VerifyConsistency(lim, 1, 1, nil, h, short), CodeBadHashLength},
		{"empty old tree, equal roots", VerifyConsistency(lim, 0, 0, nil, h, h), CodeEmptyOldTree},
		{"empty old tree", VerifyConsistency(lim, 0, 5, nil, h, h), CodeEmptyOldTree},
		{"equal sizes with a proof", VerifyConsistency(lim, 3, 3, [][]byte{h}, h, h), CodeProofLength},
		{"equal sizes, different roots", VerifyConsistency(lim, 3, 3, nil, h, append(make([]byte, 31), 1)), CodeRootMismatch},
		{"consistency length", VerifyConsistency(lim, 1, 2, nil, h, h), CodeProofLength},
	}
	for _, c := range cases {
		if codeOf(c.err) != c.code {
			t.Errorf("%s: got %v, want %s", c.name, c.err, c.code)
		}
	}
	if err := VerifyConsistency(lim, 3, 3, nil, h, h); err != nil {
		t.Errorf("equal sizes, equal roots: %v", err)
	}
	// merkle.md §3.3: the same proof and root verify index 1111 for sizes 1140 and 1141.
	leaves := make([]Hash, 1141)
	for i := range leaves {
		leaves[i] = LeafHash([]byte{byte(i), byte(i >> 8)})
	}
	proof, err := InclusionProof(leaves[:1140], 1111)
	if err != nil {
		t.Fatal(err)
	}
	root := rootOfHashes(leaves[:1140])
	for _, size := range []uint64{1140, 1141} {
		if err := VerifyInclusion(lim, leaves[1111][:], 1111, size, asBytes(proof), root[:]); err != nil {
			t.Errorf("size %d: %v", size, err)
		}
	}
	// Builder codes.
	if _, err := InclusionProof(leaves[:3], 3); codeOf(err) != CodeIndexOutOfRange {
		t.Errorf("InclusionProof m=n: %v", err)
	}
	if _, err := ConsistencyProof(leaves[:3], 4); codeOf(err) != CodeSizeOrder {
		t.Errorf("ConsistencyProof m>n: %v", err)
	}
	if _, err := ConsistencyProof(leaves[:3], 0); codeOf(err) != CodeEmptyOldTree {
		t.Errorf("ConsistencyProof m=0: %v", err)
	}
	if got := EmptyRoot(); hex.EncodeToString(got[:]) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty root %x", got)
	}
}

func codeOf(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Code()
	}
	if err == nil {
		return "<nil>"
	}
	return "?" + err.Error()
}

func asBytes(hs []Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
