// Package risk implements the risk/v1 score (risk-v1.md): the exact integer formula of §4 and the
// checks of the risk step (§6).
package risk

import (
	"fmt"

	"github.com/clyra-dev/clyra/verifier/go/jcs"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

// Codes of the risk step (risk-v1.md §6).
const (
	CodeAlgorithmUnknown = "risk.algorithm_unknown"
	CodeSchema           = "risk.schema"
	CodeScoreMismatch    = "risk.score_mismatch"
)

// Algorithm is the one algorithm this verifier implements.
const Algorithm = "risk/v1"

// Weights are the eleven weights of §2 (each 0..1000 once validated).
type Weights struct {
	MagnitudeSchema, MagnitudeData, MagnitudeConfig int64
	ViolationCritical, ViolationWarning             int64
	Production, OffHours, ApprovalBypassed          int64
	Threat, SQLFinding, FirstTimeActor              int64
}

// DefaultWeights are the defaults of §2.1.
var DefaultWeights = Weights{20, 10, 5, 25, 5, 15, 5, 30, 10, 8, 10}

// Factors are the nine factors of §3.
type Factors struct {
	ChangeMagnitude                       string // none, config, data or schema
	ViolationsCritical, ViolationsWarning int64
	Production, OffHours                  bool
	ApprovalBypassed                      bool
	Threats, SQLFindings                  int64
	FirstTimeActor                        bool
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Score is the formula of §4.1, in signed 64-bit integers.
func Score(w Weights, f Factors) int64 {
	var m int64
	switch f.ChangeMagnitude {
	case "schema":
		m = w.MagnitudeSchema
	case "data":
		m = w.MagnitudeData
	case "config":
		m = w.MagnitudeConfig
	}
	raw := m +
		f.ViolationsCritical*w.ViolationCritical +
		f.ViolationsWarning*w.ViolationWarning +
		b2i(f.Production)*w.Production +
		b2i(f.OffHours)*w.OffHours +
		b2i(f.ApprovalBypassed)*w.ApprovalBypassed +
		f.Threats*w.Threat +
		f.SQLFindings*w.SQLFinding +
		b2i(f.FirstTimeActor)*w.FirstTimeActor
	return min(100, max(0, raw))
}

func integer(v jcs.Value, key string) int64 {
	x, _ := v.Get(key)
	return int64(x.AsNumber())
}

func boolean(v jcs.Value, key string) bool {
	x, _ := v.Get(key)
	return x.AsBool()
}

// Decode reads weights, factors and score from a block already valid against $defs/risk_v1.
func Decode(block jcs.Value) (Weights, Factors, int64) {
	w, _ := block.Get("weights")
	f, _ := block.Get("factors")
	cm, _ := f.Get("change_magnitude")
	return Weights{
			integer(w, "magnitude_schema"), integer(w, "magnitude_data"), integer(w, "magnitude_config"),
			integer(w, "violation_critical"), integer(w, "violation_warning"),
			integer(w, "production"), integer(w, "off_hours"), integer(w, "approval_bypassed"),
			integer(w, "threat"), integer(w, "sql_finding"), integer(w, "first_time_actor"),
		}, Factors{
			ChangeMagnitude:    cm.AsString(),
			ViolationsCritical: integer(f, "violations_critical"), ViolationsWarning: integer(f, "violations_warning"),
			Production: boolean(f, "production"), OffHours: boolean(f, "off_hours"),
			ApprovalBypassed: boolean(f, "approval_bypassed"),
			Threats:          integer(f, "threats"), SQLFindings: integer(f, "sql_findings"),
			FirstTimeActor: boolean(f, "first_time_actor"),
		}, integer(block, "score")
}

// named lists the eleven weights by their names, in the order of §2.1.
func (w Weights) named() [11]struct {
	name string
	v    int64
} {
	return [11]struct {
		name string
		v    int64
	}{
		{"magnitude_schema", w.MagnitudeSchema}, {"magnitude_data", w.MagnitudeData},
		{"magnitude_config", w.MagnitudeConfig}, {"violation_critical", w.ViolationCritical},
		{"violation_warning", w.ViolationWarning}, {"production", w.Production},
		{"off_hours", w.OffHours}, {"approval_bypassed", w.ApprovalBypassed},
		{"threat", w.Threat}, {"sql_finding", w.SQLFinding}, {"first_time_actor", w.FirstTimeActor},
	}
}

// WeightsDiff names each weight whose recorded value differs from the policy's, as
// "name R (policy P)" joined by ", "; empty when all eleven are equal (§6.1 item 4).
func WeightsDiff(recorded, policy Weights) string {
	out := ""
	p := policy.named()
	for i, r := range recorded.named() {
		if r.v != p[i].v {
			if out != "" {
				out += ", "
			}
			out += fmt.Sprintf("%s %d (policy %d)", r.name, r.v, p[i].v)
		}
	}
	return out
}

// Check is the risk step (§6.1) on the manifest's `risk` value: an unknown algorithm is
// indeterminate and ends the step; a block invalid against $defs/risk_v1 is risk.schema; then the
// recomputed score must equal the recorded one. A passing step returns code ok.
func Check(block jcs.Value) verdict.Finding {
	alg, ok := block.Get("algorithm")
	if block.Kind() != jcs.KindObject || !ok || alg.Kind() != jcs.KindString {
		return verdict.Finding{Code: CodeSchema, Severity: verdict.Fail, Subject: "manifest.json", Detail: "risk is not an object with a string algorithm"}
	}
	if alg.AsString() != Algorithm {
		return verdict.Finding{Code: CodeAlgorithmUnknown, Severity: verdict.Indeterminate, Subject: "manifest.json", Detail: alg.AsString()}
	}
	if err := schema.Validate(schema.RiskV1, block); err != nil {
		return verdict.Finding{Code: CodeSchema, Severity: verdict.Fail, Subject: "manifest.json", Detail: err.Error()}
	}
	w, f, recorded := Decode(block)
	if got := Score(w, f); got != recorded {
		return verdict.Finding{Code: CodeScoreMismatch, Severity: verdict.Fail, Subject: "manifest.json",
			Detail: fmt.Sprintf("recomputed score %d, recorded %d", got, recorded)}
	}
	return verdict.Finding{Code: "ok", Severity: verdict.OK, Subject: "manifest.json"}
}
