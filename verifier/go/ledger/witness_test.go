package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/trust"
)

// witnessedVector reads a witnessed vector (conformance.md §2.9): its trust, receipt and the
// SHA-256 of its bundle.
func witnessedVector(t *testing.T, slug string) (*trust.Trust, []byte, string) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(specdoc.Root(t), "vectors", "*-"+slug))
	if len(dirs) != 1 {
		t.Fatalf("vector %s: %v", slug, dirs)
	}
	tr, ferr := trust.Parse(read(t, filepath.Join(dirs[0], "trust.json")), limits.Default())
	if ferr != nil {
		t.Fatal(ferr)
	}
	sum := sha256.Sum256(read(t, filepath.Join(dirs[0], "bundle.zip")))
	return tr, read(t, filepath.Join(dirs[0], "ledger-proof.json")), hex.EncodeToString(sum[:])
}

func unix(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(v.Unix())
}

// Witness gives each step of trust-v0.md §6.5.1 its result on the witnessed vectors.
func TestWitnessSteps(t *testing.T) {
	cases := []struct {
		slug, code string
		at         string
	}{
		{"witness-revoked-key-cosigned-before", "", "2026-11-21T00:00:00Z"},
		{"witness-cosigned-after-revocation", "", "2026-11-26T00:00:00Z"},
		{"witness-cosigned-at-revocation", "", "2026-11-25T00:00:00Z"},
		{"witness-not-in-trust", trust.CodeWitnessUntrusted, ""},
		{"witness-ledger-key-untrusted", trust.CodeWitnessUntrusted, ""},
		{"witness-receipt-other-bundle", trust.CodeWitnessProofMismatch, ""},
		{"witness-cosignature-tampered", trust.CodeWitnessProofMismatch, ""},
	}
	for _, c := range cases {
		tr, proof, sum := witnessedVector(t, c.slug)
		w := Witness(proof, tr, sum, limits.Default())
		if w.Code != c.code || (c.code == "" && w.Time != unix(t, c.at)) {
			t.Errorf("%s: got %+v", c.slug, w)
		}
	}
	// Other bytes than the bundle's, and a receipt that is not one, are mismatches.
	tr, proof, _ := witnessedVector(t, "witness-revoked-key-cosigned-before")
	if w := Witness(proof, tr, strings.Repeat("0", 64), limits.Default()); w.Code != trust.CodeWitnessProofMismatch {
		t.Errorf("other bytes: %+v", w)
	}
	if w := Witness([]byte(`{}`), tr, strings.Repeat("0", 64), limits.Default()); w.Code != trust.CodeWitnessProofMismatch {
		t.Errorf("not a receipt: %+v", w)
	}
	// No witnesses in the trust: untrusted; no ledger keys: untrusted.
	bare := *tr
	bare.Witnesses = nil
	if _, _, sum := witnessedVector(t, "witness-revoked-key-cosigned-before"); Witness(proof, &bare, sum, limits.Default()).Code != trust.CodeWitnessUntrusted {
		t.Error("no witnesses")
	}
	bare = *tr
	bare.LedgerKeys = nil
	if _, _, sum := witnessedVector(t, "witness-revoked-key-cosigned-before"); Witness(proof, &bare, sum, limits.Default()).Code != trust.CodeWitnessUntrusted {
		t.Error("no ledger keys")
	}
}

// The earliest valid cosignature among trusted witnesses is the witnessed time; an invalid line
// by another trusted witness does not matter once one verifies.
func TestWitnessEarliestCosignature(t *testing.T) {
	tr, proof, sum := witnessedVector(t, "witness-revoked-key-cosigned-before")
	var receipt map[string]any
	if err := json.Unmarshal(proof, &receipt); err != nil {
		t.Fatal(err)
	}
	cp := receipt["checkpoint"].(string)
	body := cp[:strings.Index(cp, "\n\n")+1]
	line := func(name string, priv ed25519.PrivateKey, pub ed25519.PublicKey, ts uint64, corrupt bool) (string, string) {
		hash := KeyHash(name, AlgCosignature, pub)
		sig := ed25519.Sign(priv, []byte(fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, body)))
		if corrupt {
			sig[0] ^= 1
		}
		raw := binary.BigEndian.AppendUint32(nil, hash)
		raw = binary.BigEndian.AppendUint64(raw, ts)
		raw = append(raw, sig...)
		vkey := fmt.Sprintf("%s+%08x+%s", name, hash, base64.StdEncoding.EncodeToString(append([]byte{AlgCosignature}, pub...)))
		return "\u2014 " + name + " " + base64.StdEncoding.EncodeToString(raw) + "\n", vkey
	}
	pub1, priv1, _ := ed25519.GenerateKey(rand.Reader)
	pub2, priv2, _ := ed25519.GenerateKey(rand.Reader)
	early := unix(t, "2026-11-20T12:00:00Z")
	l1, k1 := line("witness.example/early", priv1, pub1, early, false)
	l2, k2 := line("witness.example/broken", priv2, pub2, early-100, true)
	receipt["checkpoint"] = cp + l1 + l2
	edited, _ := json.Marshal(receipt)
	more := *tr
	more.Witnesses = append(append([]string(nil), tr.Witnesses...), k1, k2)
	if w := Witness(edited, &more, sum, limits.Default()); w.Code != "" || w.Time != early {
		t.Errorf("got %+v, want the early witness's %d", w, early)
	}
	// Only the broken witness trusted: a line by it that fails is a mismatch.
	more.Witnesses = []string{k2}
	if w := Witness(edited, &more, sum, limits.Default()); w.Code != trust.CodeWitnessProofMismatch {
		t.Errorf("broken only: %+v", w)
	}
}

// DefaultLedgerKey picks the key named as the origin, else the first, else none.
func TestDefaultLedgerKey(t *testing.T) {
	tr, proof, _ := witnessedVector(t, "witness-revoked-key-cosigned-before")
	k := DefaultLedgerKey(proof, tr, limits.Default())
	if k == nil || k.Name != "vectors.clyra.dev/ledger" {
		t.Fatalf("got %+v", k)
	}
	// The first key when the origin cannot be read.
	if got := DefaultLedgerKey([]byte("{}"), tr, limits.Default()); got == nil || got.Name != k.Name {
		t.Errorf("unreadable receipt: %+v", got)
	}
	bare := *tr
	bare.LedgerKeys = nil
	if DefaultLedgerKey(proof, &bare, limits.Default()) != nil {
		t.Error("a key without ledger_keys")
	}
}
