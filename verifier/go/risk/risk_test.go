package risk

import (
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// TestWorkedComputations is risk-v1.md §7's table.
func TestWorkedComputations(t *testing.T) {
	for _, c := range []struct {
		f    Factors
		want int64
	}{
		{Factors{ChangeMagnitude: "schema", Production: true}, 35},
		{Factors{ChangeMagnitude: "data", ViolationsCritical: 1, OffHours: true, Threats: 2, FirstTimeActor: true}, 70},
		{Factors{ChangeMagnitude: "schema", ViolationsCritical: 2, Production: true, ApprovalBypassed: true, SQLFindings: 1}, 100},
		{Factors{ChangeMagnitude: "none"}, 0},
		{Factors{ChangeMagnitude: "config", ViolationsWarning: 3}, 20},
	} {
		if got := Score(DefaultWeights, c.f); got != c.want {
			t.Errorf("%+v: %d, want %d", c.f, got, c.want)
		}
	}
	// The bound of §4.2: raw 4,000,005,000 (beyond 32 bits) clamps to 100.
	w := Weights{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}
	f := Factors{"schema", 1_000_000, 1_000_000, true, true, true, 1_000_000, 1_000_000, true}
	if got := Score(w, f); got != 100 {
		t.Errorf("max: %d", got)
	}
}

func riskBlocks(t *testing.T) (examples, counter []jcs.Value) {
	lim := limits.Default()
	for _, ex := range specdoc.Examples(t) {
		v, err := jcs.Parse(ex.JSON, lim)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case ex.Stem == "risk-v1" && ex.Counter:
			counter = append(counter, v)
		case ex.Stem == "risk-v1":
			examples = append(examples, v)
		case strings.HasPrefix(ex.Stem, "manifest-") && !ex.Counter:
			r, ok := v.Get("risk")
			if !ok {
				t.Fatalf("%s:%d: no risk block", ex.File, ex.Line)
			}
			examples = append(examples, r)
		}
	}
	if len(examples) != 4 || len(counter) != 1 {
		t.Fatalf("%d risk examples (want 2 + the DEF and PEF manifests), %d counterexamples", len(examples), len(counter))
	}
	return examples, counter
}

// TestSpecBlocks: the risk-v1.md examples and the risk blocks of the DEF and PEF worked manifests
// recompute to their recorded scores; the counterexample is risk.schema.
func TestSpecBlocks(t *testing.T) {
	examples, counter := riskBlocks(t)
	for i, b := range examples {
		if f := Check(b); f.Code != "ok" {
			t.Errorf("example %d: %+v", i, f)
		}
	}
	if f := Check(counter[0]); f.Code != CodeSchema {
		t.Errorf("counterexample: %+v", f)
	}
}

func TestCheckCodes(t *testing.T) {
	examples, _ := riskBlocks(t)
	var canon []byte
	for _, e := range examples {
		if c, _ := jcs.Marshal(e); strings.Contains(string(c), `"score":35`) {
			canon = c
		}
	}
	mod := func(old, new string) jcs.Value {
		v, err := jcs.Parse([]byte(strings.Replace(string(canon), old, new, 1)), limits.Default())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ label, old, new, code string }{
		{"unknown algorithm", `"risk/v1"`, `"risk/v2"`, CodeAlgorithmUnknown},
		{"unknown algorithm, malformed rest", `"risk/v1","factors":{`, `"risk/v2","factors":{"x":1,`, CodeAlgorithmUnknown},
		{"score off by one", `"score":35`, `"score":36`, CodeScoreMismatch},
		{"score above 100", `"score":35`, `"score":101`, CodeSchema},
		{"extra member", `"score":35`, `"score":35,"x":1`, CodeSchema},
		{"missing factor", `"threats":0,`, ``, CodeSchema},
		{"bad magnitude", `"change_magnitude":"schema"`, `"change_magnitude":"ddl"`, CodeSchema},
		{"fractional count", `"threats":0`, `"threats":0.5`, CodeSchema},
		{"count above bound", `"threats":0`, `"threats":1000001`, CodeSchema},
		{"algorithm not a string", `"risk/v1"`, `1`, CodeSchema},
	} {
		if f := Check(mod(c.old, c.new)); f.Code != c.code {
			t.Errorf("%s: %+v, want %s", c.label, f, c.code)
		}
	}
	if f := Check(jcs.String("x")); f.Code != CodeSchema {
		t.Errorf("non-object: %+v", f)
	}
}
