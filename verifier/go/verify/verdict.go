// Package verify is the bundle verification pipeline of bundle-v0.md §7: eleven steps in the
// order of verdicts.md §2, every check recorded, and the outcome, primary code and exit code of
// verdicts.md §1.
package verify

import (
	"bytes"
	"encoding/json"

	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

// Outcomes of verdicts.md §1.2.
const (
	Valid          = "VALID"
	ValidUntrusted = "VALID_UNTRUSTED"
	Indeterminate  = "INDETERMINATE"
	Invalid        = "INVALID"
)

// Step names recorded in checks (verdicts.md §2).
const (
	StepContainer = "container"
	StepManifest  = "manifest"
	StepArtifacts = "artifacts"
	StepJournal   = "journal"
	StepMerkle    = "merkle"
	StepKeys      = "keys"
	StepStatement = "statement"
	StepTrust     = "trust"
	StepApprovals = "approvals"
	StepPolicy    = "policy"
	StepRisk      = "risk"
)

// Steps lists the eleven steps in pipeline order.
var Steps = []string{StepContainer, StepManifest, StepArtifacts, StepJournal, StepMerkle, StepKeys,
	StepStatement, StepTrust, StepApprovals, StepPolicy, StepRisk}

// Check is one recorded check (verdicts.md §3).
type Check struct {
	Step     string           `json:"step"`
	Code     string           `json:"code"`
	Severity verdict.Severity `json:"severity"`
	Subject  string           `json:"subject,omitempty"`
	Message  string           `json:"message"`
}

// Verdict is the result of a verification (verdicts.md §1, §3).
type Verdict struct {
	Outcome string  `json:"outcome"`
	Primary string  `json:"primary"`
	Exit    int     `json:"exit"`
	Checks  []Check `json:"checks"`
	// NotCovered is set for a receipt verdict only: the steps it cannot run (verdicts.md §3.2).
	NotCovered []string `json:"not_covered,omitempty"`
}

// Decide computes outcome, primary code and exit code from checks (verdicts.md §1.2–§1.4).
func Decide(checks []Check) Verdict {
	worst := verdict.OK
	for _, c := range checks {
		if c.Severity.Rank() > worst.Rank() {
			worst = c.Severity
		}
	}
	v := Verdict{Primary: "ok", Checks: checks}
	if v.Checks == nil {
		v.Checks = []Check{}
	}
	if worst != verdict.OK {
		for _, c := range checks {
			if c.Severity == worst {
				v.Primary = c.Code
				break
			}
		}
	}
	switch worst {
	case verdict.Fail:
		v.Outcome, v.Exit = Invalid, 1
	case verdict.Indeterminate:
		v.Outcome, v.Exit = Indeterminate, 3
	case verdict.Untrusted:
		v.Outcome, v.Exit = ValidUntrusted, 2
	case verdict.Warn:
		v.Outcome, v.Exit = Valid, 2
	default:
		v.Outcome, v.Exit = Valid, 0
	}
	return v
}

// JSON returns the verdict JSON of verdicts.md §3 on one line (no trailing LF).
func (v Verdict) JSON() []byte {
	if v.Checks == nil {
		v.Checks = []Check{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every field is a string, an int or a slice of such structs: Encode cannot fail.
		panic(err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// ErrorJSON is the conformance.md §6.6 shape for a run that could not start.
func ErrorJSON(code string) []byte {
	b, _ := json.Marshal(code)
	return []byte(`{"outcome":"ERROR","primary":` + string(b) + `,"exit":4,"checks":[]}`)
}
