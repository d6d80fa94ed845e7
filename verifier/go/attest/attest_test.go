package attest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/trust"
	"github.com/clyra-dev/clyra/verifier/go/verify"
)

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// attestVectors returns the vector folders holding attestation.dsse.json.
func attestVectors(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(specdoc.Root(t), "vectors", "*", "attestation.dsse.json"))
	if err != nil || len(files) < 4 {
		t.Fatalf("attestation vectors missing: %v", err)
	}
	for i := range files {
		files[i] = filepath.Dir(files[i])
	}
	return files
}

func run(t *testing.T, dir string, withBundle bool) verify.Verdict {
	t.Helper()
	lim := limits.Default()
	var args struct{ At string }
	if err := json.Unmarshal(read(t, filepath.Join(dir, "args.json")), &args); err != nil {
		t.Fatal(err)
	}
	tr, ferr := trust.Parse(read(t, filepath.Join(dir, "trust.json")), lim)
	if ferr != nil {
		t.Fatal(ferr)
	}
	checks, op := Open(read(t, filepath.Join(dir, "attestation.dsse.json")), tr, args.At, lim)
	if op != nil {
		var facts []Facts
		if withBundle {
			facts = []Facts{BundleFacts(read(t, filepath.Join(dir, "bundle.zip")), tr, op.VerifiedAt, nil, lim)}
		}
		checks = append(checks, Recompute(op, facts)...)
	}
	return verify.Decide(checks)
}

// Every attestation vector gives its expected (outcome, primary, exit).
func TestAttestationVectors(t *testing.T) {
	for _, dir := range attestVectors(t) {
		var want struct {
			Outcome, Primary string
			Exit             int
		}
		if err := json.Unmarshal(read(t, filepath.Join(dir, "expected.json")), &want); err != nil {
			t.Fatal(err)
		}
		got := run(t, dir, true)
		if got.Outcome != want.Outcome || got.Primary != want.Primary || got.Exit != want.Exit {
			t.Errorf("%s: got %s/%s/%d, want %s/%s/%d", filepath.Base(dir), got.Outcome, got.Primary, got.Exit, want.Outcome, want.Primary, want.Exit)
		}
	}
}

// Without bundles the statuses are not recomputed: a warning, never a silent pass.
func TestWithoutBundlesIsAWarning(t *testing.T) {
	for _, dir := range attestVectors(t) {
		if strings.HasSuffix(dir, "-attestation-valid") {
			got := run(t, dir, false)
			if got.Primary != CodeNotRecomputed || got.Exit != 2 {
				t.Fatalf("got %s/%d", got.Primary, got.Exit)
			}
			return
		}
	}
	t.Fatal("no attestation-valid vector")
}

// A tampered envelope is attest.envelope, never a panic.
func TestGarbageIsAnEnvelopeFailure(t *testing.T) {
	tr := &trust.Trust{}
	for _, data := range []string{"", "{}", "not json", `{"payload":"","payloadType":"x","signatures":[]}`} {
		checks, op := Open([]byte(data), tr, "2026-12-01T00:00:00Z", limits.Default())
		if op != nil || len(checks) != 1 || checks[0].Code != CodeEnvelope {
			t.Errorf("%q: %+v", data, checks)
		}
	}
}

func TestPeriodMonths(t *testing.T) {
	for p, want := range map[string]uint64{"P7Y": 84, "P1Y6M": 18, "P45D": 1, "P6M29D": 6} {
		if got, ok := periodMonths(p); !ok || got != want {
			t.Errorf("%s: %d %v", p, got, ok)
		}
	}
	for _, p := range []string{"7Y", "P7", "P7W"} {
		if _, ok := periodMonths(p); ok {
			t.Errorf("%s accepted", p)
		}
	}
}
