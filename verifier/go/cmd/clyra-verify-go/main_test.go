package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/b64"
	"github.com/clyra-dev/clyra/verifier/go/internal/conformance"
)

func call(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	s := out.String()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("%v: output is not one line: %q", args, s)
	}
	return strings.TrimSuffix(s, "\n"), code
}

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestJCSCommand(t *testing.T) {
	out, code := call(t, "jcs", write(t, `{"b":1, "a":[1.0]}`))
	if want := `{"ok":true,"canonical":"` + b64.Encode([]byte(`{"a":[1],"b":1}`)) + `"}`; out != want || code != 0 {
		t.Errorf("got %s (%d), want %s", out, code, want)
	}
	out, code = call(t, "jcs", write(t, `{"a":1,"\u0061":2}`))
	if want := `{"ok":false,"code":"jcs.duplicate_key","offset":7}`; out != want || code != 1 {
		t.Errorf("got %s (%d), want %s", out, code, want)
	}
	out, code = call(t, "jcs", filepath.Join(t.TempDir(), "missing"))
	if want := `{"ok":false,"code":"cli.io","offset":0}`; out != want || code != 4 {
		t.Errorf("got %s (%d), want %s", out, code, want)
	}
	out, code = call(t, "jcs")
	if want := `{"ok":false,"code":"cli.usage","offset":0}`; out != want || code != 4 {
		t.Errorf("got %s (%d), want %s", out, code, want)
	}
	// The cyberphone files through the command.
	dir := conformance.Path(t, "cyberphone-json-canonicalization", "testdata")
	for _, name := range []string{"weird.json", "values.json"} {
		out, code := call(t, "jcs", filepath.Join(dir, "input", name))
		want, err := os.ReadFile(filepath.Join(dir, "output", name))
		if err != nil {
			t.Fatal(err)
		}
		if out != `{"ok":true,"canonical":"`+b64.Encode(want)+`"}` || code != 0 {
			t.Errorf("%s: %s (%d)", name, out, code)
		}
	}
}

// TestMerkleRootCommand runs the reference tree through the command (conformance.md §7.3).
func TestMerkleRootCommand(t *testing.T) {
	var ref struct {
		LeafInputs       []string `json:"leafInputs"`
		RootHashesBySize []string `json:"rootHashesBySize"`
	}
	if err := json.Unmarshal(conformance.ReadFile(t, "transparency-dev-merkle", "extracted", "reference-tree.json"), &ref); err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= 8; n++ {
		var b strings.Builder
		for _, l := range ref.LeafInputs[:n] {
			b.WriteString(l + "\n")
		}
		out, code := call(t, "merkle-root", write(t, b.String()))
		want := `{"root":"sha256:` + ref.RootHashesBySize[n] + `","size":` + string(rune('0'+n)) + `}`
		if out != want || code != 0 {
			t.Errorf("n=%d: got %s (%d), want %s", n, out, code, want)
		}
	}
	for name, content := range map[string]string{
		"uppercase hex": "AB\n",
		"odd length":    "abc\n",
		"no final LF":   "ab",
		"CRLF":          "ab\r\n",
		"space":         "ab \n",
		"non-hex":       "zz\n",
	} {
		out, code := call(t, "merkle-root", write(t, content))
		if want := `{"ok":false,"code":"cli.usage","offset":0}`; out != want || code != 4 {
			t.Errorf("%s: got %s (%d)", name, out, code)
		}
	}
	out, _ := call(t, "merkle-root", write(t, "\n\n"))
	two := hex.EncodeToString(nil) // two empty leaves
	if want := "{\"root\":\"sha256:" + rootOfTwoEmpty(t) + "\",\"size\":2}"; out != want || two != "" {
		t.Errorf("two empty leaves: %s", out)
	}
}

// rootOfTwoEmpty is node(leaf(""), leaf("")), computed here from merkle.md §1.
func rootOfTwoEmpty(t *testing.T) string {
	t.Helper()
	leaf := sha256.Sum256([]byte{0})
	node := sha256.Sum256(append(append([]byte{1}, leaf[:]...), leaf[:]...))
	return hex.EncodeToString(node[:])
}

func TestVerifyUnreadable(t *testing.T) {
	want := `{"outcome":"ERROR","primary":"cli.io","exit":4,"checks":[]}`
	out, code := call(t, "verify", filepath.Join(t.TempDir(), "absent.zip"), "--trust", "t.json", "--at", "2026-01-01T00:00:00Z")
	if out != want || code != 4 {
		t.Errorf("got %s (%d)", out, code)
	}
}

func TestOtherCommands(t *testing.T) {
	want := `{"outcome":"ERROR","primary":"cli.usage","exit":4,"checks":[]}`
	for _, args := range [][]string{
		{"verify", "b.zip", "--trust", "t.json"},
		{"verify", "b.zip", "--trust", "t.json", "--at", "2026-13-01T00:00:00Z"},
		{"verify", "b.zip", "--trust", "t.json", "--at", "2026-01-01T00:00:00Z", "--bogus", "x"},
		{"verify", "--trust", "t.json", "--at", "2026-01-01T00:00:00Z"},
		{"receipt-verify", "r.json", "--trust", "t.json"},
		{"receipt-verify", "r.json", "--trust", "t.json", "--at", "2026-01-01T00:00:00Z", "--policy", "p.json"},
		{},
		{"canon"},
	} {
		if out, code := call(t, args...); out != want || code != 4 {
			t.Errorf("%v: got %s (%d)", args, out, code)
		}
	}
}
