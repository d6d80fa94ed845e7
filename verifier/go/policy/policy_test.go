package policy

import (
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/risk"
)

// TestReadRules pins the order and details of policy-v1.md §1.3.
func TestReadRules(t *testing.T) {
	lim := limits.Default()
	valid := `{"version":1,"data_platform":{"rules":[]}}`
	cases := []struct {
		name, data, detail string
	}{
		{"over L36", valid + strings.Repeat(" ", 1<<20), DetailTooLarge},
		{"L36 wins over a BOM", "\xEF\xBB\xBF" + valid + strings.Repeat(" ", 1<<20), DetailTooLarge},
		{"BOM", "\xEF\xBB\xBF" + valid, DetailBOM},
		{"YAML", "version: 1\n", "jcs.unexpected_character"},
		{"duplicate key", `{"version":1,"version":1}`, "jcs.duplicate_key"},
		{"not an object", `[1]`, DetailSchema},
		{"top-level rules", `{"version":1,"rules":[]}`, DetailSchema},
		{"weight above 1000", `{"version":1,"compliance":{"risk":{"weights":{"threat":1001}}}}`, DetailSchema},
	}
	for _, c := range cases {
		_, err := Read([]byte(c.data), lim)
		if err == nil || err.Detail != c.detail {
			t.Errorf("%s: got %v, want detail %s", c.name, err, c.detail)
		}
	}
	// Exactly L36 bytes is read; layout does not change the digest.
	edge := valid + strings.Repeat(" ", 1<<20-len(valid))
	a, err := Read([]byte(edge), lim)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Read([]byte(valid), lim)
	if err != nil || a.Digest != b.Digest || b.Weights != risk.DefaultWeights {
		t.Fatalf("edge %v, digests %s %s, weights %v", err, a.Digest, b.Digest, b.Weights)
	}
}

// TestWeightsOverlayDefaults: compliance.risk.weights replaces the weights it names only.
func TestWeightsOverlayDefaults(t *testing.T) {
	p, err := Read([]byte(`{"version":1,"compliance":{"risk":{"weights":{"production":40,"magnitude_schema":0},"thresholds":{"block":80}}}}`), limits.Default())
	if err != nil {
		t.Fatal(err)
	}
	want := risk.DefaultWeights
	want.Production, want.MagnitudeSchema = 40, 0
	if p.Weights != want {
		t.Fatalf("got %+v, want %+v", p.Weights, want)
	}
	if d := risk.WeightsDiff(risk.DefaultWeights, p.Weights); d != "magnitude_schema 20 (policy 0), production 15 (policy 40)" {
		t.Fatalf("diff %q", d)
	}
}
