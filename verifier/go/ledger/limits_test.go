package ledger

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// noteOf builds a note of `sigs` signature lines whose body carries an extension line padding
// the whole note to exactly `size` bytes (when size is non-zero).
func noteOf(sigs, size int) []byte {
	body := "example.com/log\n1\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"
	line := "\u2014 w " + base64.StdEncoding.EncodeToString(make([]byte, 68)) + "\n"
	tail := "\n" + strings.Repeat(line, sigs)
	if size > 0 {
		pad := size - len(body) - len(tail) - 1
		body += strings.Repeat("x", pad) + "\n"
	}
	return []byte(body + tail)
}

// L54: a note of exactly MaxNoteBytes parses, one byte more is ledger.checkpoint_malformed.
func TestNoteSizeLimit(t *testing.T) {
	at := noteOf(1, MaxNoteBytes)
	if len(at) != MaxNoteBytes {
		t.Fatalf("built %d bytes", len(at))
	}
	if _, err := ParseNote(at); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	over := noteOf(1, MaxNoteBytes+1)
	_, err := ParseNote(over)
	if e, ok := err.(*Error); !ok || e.Code != CodeCheckpointMalformed || !strings.Contains(e.Message, "L54") {
		t.Fatalf("one past the limit: %v", err)
	}
}

// L49: MaxNoteSignatures signature lines parse, one more is ledger.checkpoint_malformed.
func TestNoteSignatureLimit(t *testing.T) {
	if n, err := ParseNote(noteOf(MaxNoteSignatures, 0)); err != nil || len(n.sigs) != MaxNoteSignatures {
		t.Fatalf("at the limit: %v", err)
	}
	_, err := ParseNote(noteOf(MaxNoteSignatures+1, 0))
	if e, ok := err.(*Error); !ok || e.Code != CodeCheckpointMalformed || !strings.Contains(e.Message, "more than 100") {
		t.Fatalf("one past the limit: %v", err)
	}
}

// L50: a tree size of 2^63 − 1 parses, 2^63 is ledger.checkpoint_malformed.
func TestTreeSizeLimit(t *testing.T) {
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	body := func(n uint64) string {
		return "example.com/log\n" + strconv.FormatUint(n, 10) + "\n" + root + "\n"
	}
	if cp, err := ParseCheckpoint(body(MaxTreeSize)); err != nil || cp.Size != MaxTreeSize {
		t.Fatalf("at the limit: %v", err)
	}
	_, err := ParseCheckpoint(body(MaxTreeSize + 1))
	if e, ok := err.(*Error); !ok || e.Code != CodeCheckpointMalformed {
		t.Fatalf("one past the limit: %v", err)
	}
}

// L47: a proof file of MaxProofBytes is parsed (and fails later for what it holds), one byte more
// is refused for its size.
func TestProofFileLimit(t *testing.T) {
	doc := func(n int) []byte { return []byte("{}" + strings.Repeat(" ", n-2)) }
	_, err := parseFile(doc(MaxProofBytes), "ledger-inclusion-v0", limits.Default())
	if err == nil || strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Fatalf("at the limit: %v", err)
	}
	_, err = parseFile(doc(MaxProofBytes+1), "ledger-inclusion-v0", limits.Default())
	if e, ok := err.(*Error); !ok || e.Code != CodeProofSchema || !strings.Contains(e.Message, "larger than 1 MiB") {
		t.Fatalf("one past the limit: %v", err)
	}
}
