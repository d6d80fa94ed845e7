package schema_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
)

// TestMirrorMatchesSpec fails when verifier/go/schemas drifts from spec/schemas (run
// `just sync-schemas`).
func TestMirrorMatchesSpec(t *testing.T) {
	src, err := filepath.Glob(specdoc.Path(t, "schemas", "*.schema.json"))
	if err != nil || len(src) == 0 {
		t.Fatalf("no spec/schemas/*.schema.json: %v", err)
	}
	var want []string
	for _, p := range src {
		name := filepath.Base(p)
		want = append(want, name)
		spec, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		mirror, err := schema.File(name)
		if err != nil {
			t.Errorf("%s missing from verifier/go/schemas (run just sync-schemas)", name)
			continue
		}
		if !bytes.Equal(spec, mirror) {
			t.Errorf("%s differs from spec/schemas (run just sync-schemas)", name)
		}
	}
	sort.Strings(want)
	got := schema.Names()
	if len(got) != len(want) {
		t.Errorf("mirror holds %v, spec holds %v", got, want)
	}
}

// TestAllCompile compiles every embedded schema.
func TestAllCompile(t *testing.T) {
	for _, name := range schema.Names() {
		if _, err := schema.Get(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := schema.Get(schema.RiskV1); err != nil {
		t.Errorf("%s: %v", schema.RiskV1, err)
	}
	if _, err := schema.Get("nonexistent-v9"); err == nil {
		t.Error("unknown schema compiled")
	}
}

// TestSpecExamples checks every worked example of spec/*.md: canonical size and digest as stated,
// valid against its schema; every counterexample is rejected.
func TestSpecExamples(t *testing.T) {
	exs := specdoc.Examples(t)
	if len(exs) < 10 {
		t.Fatalf("only %d marked examples found", len(exs))
	}
	lim := limits.Default()
	for _, ex := range exs {
		v, err := jcs.Parse(ex.JSON, lim)
		if err != nil {
			t.Errorf("%s:%d: %v", ex.File, ex.Line, err)
			continue
		}
		canon, err := jcs.Marshal(v)
		if err != nil {
			t.Errorf("%s:%d: %v", ex.File, ex.Line, err)
			continue
		}
		err = schema.Validate(ex.Stem, v)
		if ex.Counter {
			if err == nil {
				t.Errorf("%s:%d: counterexample %s validates", ex.File, ex.Line, ex.Stem)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s:%d: example %s: %v", ex.File, ex.Line, ex.Stem, err)
		}
		if ex.Digest == "" {
			t.Errorf("%s:%d: example without a Canonical form line", ex.File, ex.Line)
			continue
		}
		sum := sha256.Sum256(canon)
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != ex.Digest || len(canon) != ex.Size {
			t.Errorf("%s:%d: canonical form %d bytes %s, spec says %d bytes %s", ex.File, ex.Line, len(canon), got, ex.Size, ex.Digest)
		}
	}
}

// TestBigIntegers: integers up to 2^53−1 compare exactly (no float rounding in the bounds).
func TestBigIntegers(t *testing.T) {
	lim := limits.Default()
	line := func(seq string) jcs.Value {
		v, err := jcs.Parse([]byte(`{"at":"2026-11-20T09:00:00Z","data":{},"kind":"run.started","prev":"sha256:0000000000000000000000000000000000000000000000000000000000000000","seq":`+seq+`}`), lim)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := schema.Validate(schema.JournalEvent, line("9007199254740991")); err != nil {
		t.Errorf("2^53-1: %v", err)
	}
	for _, bad := range []string{"-1", "1.5", "\"1\""} {
		if err := schema.Validate(schema.JournalEvent, line(bad)); err == nil {
			t.Errorf("seq %s validates", bad)
		}
	}
	if err := schema.Validate(schema.JournalEvent, line("1.0")); err != nil {
		t.Errorf("1.0 is the integer 1: %v", err)
	}
}
