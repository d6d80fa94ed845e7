package display

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
)

// specCases reads the examples of spec/verdicts.md §3.3: a JSON string literal and the
// text it is shown as.
func specCases(t *testing.T) map[string]string {
	t.Helper()
	text, err := os.ReadFile(specdoc.Path(t, "verdicts.md"))
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(text), "§3.3 **Human output")
	if start < 0 {
		t.Fatal("verdicts.md has no §3.3")
	}
	row := regexp.MustCompile("(?m)^- `(\"[^`]*\")` is shown as `([^`]*)`$")
	cases := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(text[start:]), -1) {
		var in string
		if err := json.Unmarshal([]byte(m[1]), &in); err != nil {
			t.Fatalf("%s: %v", m[1], err)
		}
		cases[in] = m[2]
	}
	if len(cases) < 5 {
		t.Fatalf("only %d examples in verdicts.md §3.3", len(cases))
	}
	return cases
}

func TestEscapeFollowsTheSpecExamples(t *testing.T) {
	for in, want := range specCases(t) {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeCoversEveryUnsafeRune(t *testing.T) {
	extra := map[string]string{
		"\u2066\u2069\u200e\u200f\u061c": `\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}`,
		"\u2028\u2029":                   `\u{2028}\u{2029}`,
		"\u00a0\u200b":                   "\u00a0\u200b",
		"\xff":                           `\xff`,
	}
	for in, want := range extra {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	for r := rune(0); r < 0x3000; r++ {
		got := Escape(string(r))
		for _, c := range got {
			if IsUnsafe(c) {
				t.Fatalf("U+%04X shown as %q", r, got)
			}
		}
		if (len(got) != len(string(r))) != (IsUnsafe(r) || r == '\\') {
			t.Fatalf("U+%04X shown as %q", r, got)
		}
	}
}

func TestWriterKeepsLinesAndBackslashes(t *testing.T) {
	var out bytes.Buffer
	w := Writer(&out)
	if _, err := w.Write([]byte("trust: \\x1b `\x1b[2K\rVALID\u202e`\n")); err != nil {
		t.Fatal(err)
	}
	if want := "trust: \\x1b `\\x1b[2K\\rVALID\\u{202e}`\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}
