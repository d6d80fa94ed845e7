package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// ledgerVectors returns the vector folders holding ledger-proof.json without a bundle
// (conformance.md §2.6).
func ledgerVectors(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(specdoc.Root(t), "vectors", "*", "ledger-proof.json"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no ledger vectors: %v", err)
	}
	var out []string
	for _, proof := range dirs {
		// A witnessed vector (§2.9) holds a bundle too and is run with verify, not ledger-verify.
		if _, err := os.Stat(filepath.Join(filepath.Dir(proof), "bundle.zip")); err != nil {
			out = append(out, filepath.Dir(proof))
		}
	}
	return out
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The Go verifier gives every ledger vector its expected (outcome, primary, exit).
func TestLedgerVectors(t *testing.T) {
	for _, dir := range ledgerVectors(t) {
		key, err := ParseVerifierKey(string(read(t, filepath.Join(dir, "ledger-key.txt"))))
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		var want struct {
			Outcome, Primary string
			Exit             int
		}
		if err := json.Unmarshal(read(t, filepath.Join(dir, "expected.json")), &want); err != nil {
			t.Fatal(err)
		}
		v := VerifyProofFile(read(t, filepath.Join(dir, "ledger-proof.json")), key, limits.Default())
		if v.Outcome != want.Outcome || v.Primary != want.Primary || v.Exit != want.Exit {
			t.Errorf("%s: got %s/%s/%d, want %s/%s/%d", filepath.Base(dir), v.Outcome, v.Primary, v.Exit,
				want.Outcome, want.Primary, want.Exit)
		}
	}
}

// golang.org/x/mod/sumdb/note, the reference signed-note implementation, verifies the
// checkpoints Clyra signs (the Rust core wrote them into the vectors), with the verifier key text
// Clyra prints, and rejects the forged one.
func TestSumdbNoteVerifiesClyraCheckpoints(t *testing.T) {
	checked := 0
	for _, dir := range ledgerVectors(t) {
		vkey := strings.TrimSpace(string(read(t, filepath.Join(dir, "ledger-key.txt"))))
		verifier, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatalf("sumdb/note rejects Clyra's verifier key %q: %v", vkey, err)
		}
		var file map[string]any
		if err := json.Unmarshal(read(t, filepath.Join(dir, "ledger-proof.json")), &file); err != nil {
			t.Fatal(err)
		}
		for _, member := range []string{"checkpoint", "old", "new"} {
			text, ok := file[member].(string)
			if !ok {
				continue
			}
			n, err := note.Open([]byte(text), note.VerifierList(verifier))
			ours, oursErr := VerifyCheckpoint([]byte(text), mustKey(t, vkey))
			switch filepath.Base(dir)[5:] {
			case "ledger-checkpoint-forged":
				if err == nil || oursErr == nil {
					t.Errorf("%s: a forged checkpoint verified (sumdb: %v, ours: %v)", dir, err, oursErr)
				}
			case "ledger-checkpoint-untrusted-key":
				if _, ok := err.(*note.UnverifiedNoteError); !ok {
					t.Errorf("%s: sumdb/note: %v, want an unverified note", dir, err)
				}
			default:
				if err != nil || oursErr != nil {
					t.Fatalf("%s %s: sumdb/note: %v; ours: %v", dir, member, err, oursErr)
				}
				if n.Text != fmt.Sprintf("%s\n%d\n%s\n", ours.Origin, ours.Size, base64.StdEncoding.EncodeToString(ours.Root[:])) {
					t.Errorf("%s: the note text differs from the parsed checkpoint", dir)
				}
				checked++
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d checkpoints checked", checked)
	}
}

func mustKey(t *testing.T, vkey string) *VerifierKey {
	t.Helper()
	k, err := ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The other direction: a checkpoint signed by sumdb/note verifies here, and a cosignature/v1
// made with crypto/ed25519 by the spec's recipe verifies as a witness cosignature.
func TestNotesSignedBySumdbVerify(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "example.com/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	body := "example.com/log\n7\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"
	msg, err := note.Sign(&note.Note{Text: body}, signer)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := VerifyCheckpoint(msg, mustKey(t, vkey))
	if err != nil || cp.Size != 7 {
		t.Fatalf("%v %+v", err, cp)
	}
	// A witness cosignature/v1 (tlog-cosignature), then verified by VerifyCosignature.
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	name := "witness.example/w1"
	hash := KeyHash(name, AlgCosignature, pub)
	const ts = uint64(1700000000)
	sig := ed25519.Sign(priv, []byte(fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, body)))
	raw := binary.BigEndian.AppendUint32(nil, hash)
	raw = binary.BigEndian.AppendUint64(raw, ts)
	raw = append(raw, sig...)
	cosigned := string(msg) + "\u2014 " + name + " " + base64.StdEncoding.EncodeToString(raw) + "\n"
	n, err := ParseNote([]byte(cosigned))
	if err != nil {
		t.Fatal(err)
	}
	w := &VerifierKey{Name: name, Alg: AlgCosignature, Pub: pub, Hash: hash}
	if got, err := n.VerifyCosignature(w); err != nil || got != ts {
		t.Fatalf("%v %d", err, got)
	}
	if _, err := VerifyCheckpoint([]byte(cosigned), mustKey(t, vkey)); err != nil {
		t.Fatal(err)
	}
}
