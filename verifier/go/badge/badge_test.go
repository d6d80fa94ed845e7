package badge

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/trust"
)

// TestVectors runs every badge vector (conformance.md §2.7) and compares (outcome, primary, exit).
func TestVectors(t *testing.T) {
	dirs, err := filepath.Glob("../../../vectors/*/badge.jws")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no badge vectors found: %v", err)
	}
	lim := limits.Default()
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			read := func(name string) []byte {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			var args struct{ At string }
			var exp struct {
				Outcome, Primary string
				Exit             int
			}
			if json.Unmarshal(read("args.json"), &args) != nil || json.Unmarshal(read("expected.json"), &exp) != nil {
				t.Fatal("bad args.json or expected.json")
			}
			tr, ferr := trust.Parse(read("trust.json"), lim)
			if ferr != nil {
				t.Fatal(ferr)
			}
			v := Verify(read("badge.jws"), tr, args.At, lim)
			if v.Outcome != exp.Outcome || v.Primary != exp.Primary || v.Exit != exp.Exit {
				t.Fatalf("got %s/%s/%d want %s/%s/%d (%s)", v.Outcome, v.Primary, v.Exit, exp.Outcome, exp.Primary, exp.Exit, v.Message)
			}
		})
	}
}

// TestMalformed checks encodings the vectors do not pin: each is badge.malformed, never a panic.
func TestMalformed(t *testing.T) {
	found, _ := filepath.Glob("../../../vectors/*-badge-valid/badge.jws")
	if len(found) != 1 {
		t.Fatal("the badge-valid vector is missing")
	}
	valid, err := os.ReadFile(found[0])
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := trust.Parse([]byte(`{"version":0,"keys":[],"thresholds":{"producer":0}}`), limits.Default())
	if tr == nil {
		tr = &trust.Trust{}
	}
	jws := strings.TrimSpace(string(valid))
	for _, bad := range []string{"", "a.b", jws + ".x", jws + "=", strings.Replace(jws, ".", "\n.", 1), strings.Repeat("A", MaxBytes+1)} {
		v := Verify([]byte(bad), tr, "2026-12-01T00:00:00Z", limits.Default())
		if v.Primary != "badge.malformed" || v.Exit != 1 {
			t.Errorf("%q: got %s/%d", bad[:min(len(bad), 20)], v.Primary, v.Exit)
		}
	}
}
