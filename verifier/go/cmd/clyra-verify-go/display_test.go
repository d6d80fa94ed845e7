package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/display"
)

// TestStderrEscapesWhatItQuotes: a path (or any input a message quotes) never reaches stderr with
// a raw control or bidirectional character (verdicts.md §3.3); stdout stays exact JSON.
func TestStderrEscapesWhatItQuotes(t *testing.T) {
	hostile := filepath.Join(t.TempDir(), "b\x1b[2K\rVALID\u202e.zip")
	var out, errOut bytes.Buffer
	code := run([]string{"verify", hostile, "--trust", hostile, "--at", "2026-12-01T00:00:00Z"}, &out, &errOut)
	if code != 4 {
		t.Fatalf("exit %d, want 4", code)
	}
	msg := errOut.String()
	for _, r := range strings.TrimSuffix(msg, "\n") {
		if display.IsUnsafe(r) {
			t.Fatalf("raw U+%04X on stderr: %q", r, msg)
		}
	}
	if !strings.Contains(msg, `b\x1b[2K\rVALID\u{202e}.zip`) {
		t.Fatalf("stderr %q does not show the path escaped", msg)
	}
	if want := `{"outcome":"ERROR","primary":"cli.io","exit":4,"checks":[]}` + "\n"; out.String() != want {
		t.Fatalf("stdout %q, want %q", out.String(), want)
	}
}
