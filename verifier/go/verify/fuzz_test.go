package verify

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/trust"
)

// FuzzBundle runs the whole pipeline (bundle-v0.md §7) over mutations of the golden bundle vectors
// of ../../vectors, verified against vector 0001's trust: any byte string yields a verdict with a
// known outcome, an exit code that matches it and a primary code, never a panic.
func FuzzBundle(f *testing.F) {
	lim := limits.Default()
	trustBytes, err := os.ReadFile("../../../vectors/0001-def-minimal/trust.json")
	if err != nil {
		f.Skip("vectors not found: ", err)
	}
	tr, ferr := trust.Parse(trustBytes, lim)
	if ferr != nil {
		f.Fatal(ferr)
	}
	seeds, _ := filepath.Glob("../../../vectors/*/bundle.zip")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	exits := map[string]int{Valid: -1, ValidUntrusted: 2, Invalid: 1, Indeterminate: 3}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := Bundle(data, tr, "2026-12-01T00:00:00Z", nil, lim)
		want, ok := exits[v.Outcome]
		if !ok || v.Primary == "" || (want >= 0 && v.Exit != want) || (want < 0 && v.Exit != 0 && v.Exit != 2) {
			t.Fatalf("verdict %s/%s/%d", v.Outcome, v.Primary, v.Exit)
		}
	})
}
