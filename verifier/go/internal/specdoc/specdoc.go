// Package specdoc reads the normative text under spec/ for tests: the repository root, and the
// worked examples marked `<!-- example: STEM -->` or `<!-- counterexample: STEM -->` followed by
// a ```json block (and, for examples, the `Canonical form: N bytes, `sha256:…`.` line after it).
// It fails the test, never skips, when spec/ is missing.
package specdoc

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Root returns the repository root: the folder holding verifier/go/go.mod above the working
// directory.
func Root(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "verifier", "go", "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no repository root (a folder with verifier/go/go.mod) above %s", wd)
		}
		dir = parent
	}
}

// Path returns a path under spec/, failing the test when spec/ is missing.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	dir := filepath.Join(Root(t), "spec")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("spec folder %s missing", dir)
	}
	return filepath.Join(append([]string{dir}, elem...)...)
}

// Example is one marked JSON block of the spec text.
type Example struct {
	File    string // e.g. "bundle-v0.md"
	Line    int    // 1-based line of the marker
	Stem    string // schema stem, e.g. "journal-event-v0"
	Counter bool   // a counterexample: must fail its schema
	JSON    []byte // the block's text
	// Size and Digest are the stated canonical form (examples only; 0 and "" when absent).
	Size   int
	Digest string
}

var (
	markerRE    = regexp.MustCompile(`^<!-- (example|counterexample): ([a-z0-9-]+) -->$`)
	canonicalRE = regexp.MustCompile("^Canonical form: ([0-9]+) bytes, `(sha256:[0-9a-f]{64})`\\.$")
)

// Examples returns every marked block of spec/*.md, by file name then line.
func Examples(t testing.TB) []Example {
	t.Helper()
	files, err := filepath.Glob(Path(t, "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no spec/*.md: %v", err)
	}
	sort.Strings(files)
	var out []Example
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("%v", err)
		}
		out = append(out, parse(t, filepath.Base(f), data)...)
	}
	return out
}

func parse(t testing.TB, name string, data []byte) []Example {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	var out []Example
	for i := 0; i < len(lines); i++ {
		m := markerRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		ex := Example{File: name, Line: i + 1, Stem: m[2], Counter: m[1] == "counterexample"}
		j := i + 1
		if j >= len(lines) || lines[j] != "```json" {
			t.Fatalf("%s:%d: marker not followed by a ```json block", name, i+1)
		}
		var body []string
		for j++; j < len(lines) && lines[j] != "```"; j++ {
			body = append(body, lines[j])
		}
		if j >= len(lines) {
			t.Fatalf("%s:%d: unterminated json block", name, i+1)
		}
		ex.JSON = []byte(strings.Join(body, "\n") + "\n")
		// The canonical-form line is the first non-empty line after the block.
		for k := j + 1; k < len(lines); k++ {
			if strings.TrimSpace(lines[k]) == "" {
				continue
			}
			if c := canonicalRE.FindStringSubmatch(lines[k]); c != nil {
				ex.Size, _ = strconv.Atoi(c[1])
				ex.Digest = c[2]
			}
			break
		}
		out = append(out, ex)
		i = j
	}
	return out
}
