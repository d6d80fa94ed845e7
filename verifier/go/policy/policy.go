// Package policy reads a policy file given to a verifier (policy-v1.md §1.3): what the policy and
// risk steps compare with the manifest — the policy's hash and its risk/v1 weights. Rules are
// never compiled or evaluated here: the producer's decisions are signed evidence.
package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/risk"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
)

// Details of policy.file (policy-v1.md §1.3, verdicts.md §4): the rule that refused the file.
const (
	DetailTooLarge = "policy.too_large"
	DetailBOM      = "policy.bom"
	DetailSchema   = "policy.schema"
)

// bom is the UTF-8 byte-order mark a policy file must not start with (policy-v1.md §1.1).
var bom = []byte{0xEF, 0xBB, 0xBF}

// Policy is a usable policy file.
type Policy struct {
	// Digest is "sha256:" + hex SHA-256 of the document's canonical JSON (policy-v1.md §1.2).
	Digest string
	// Weights are compliance.risk.weights over the risk-v1.md §2.1 defaults.
	Weights risk.Weights
}

// FileError says why a policy file is unusable: the code of the failing rule (the detail of
// policy.file) and words.
type FileError struct {
	Detail string
	Msg    string
}

func (e *FileError) Error() string { return e.Msg + " (" + e.Detail + ")" }

// Read reads a policy file in the order of policy-v1.md §1.3: at most L36 bytes, no byte-order
// mark, strict JSON (this verifier reads no YAML: a YAML file is refused with the jcs code of its
// first byte that is not JSON), valid against policy-v1.schema.json.
func Read(data []byte, lim limits.Limits) (*Policy, *FileError) {
	if int64(len(data)) > lim.PolicyMaxBytes {
		return nil, &FileError{DetailTooLarge, fmt.Sprintf("the policy file is larger than %d bytes", lim.PolicyMaxBytes)}
	}
	if bytes.HasPrefix(data, bom) {
		return nil, &FileError{DetailBOM, "the policy file starts with a byte-order mark"}
	}
	v, err := jcs.Parse(data, lim)
	if err != nil {
		code := jcs.CodeUnexpectedChar
		if je, ok := err.(*jcs.Error); ok {
			code = je.Code()
		}
		return nil, &FileError{code, "the policy file is not strict JSON: " + err.Error()}
	}
	if err := schema.Validate(schema.Policy, v); err != nil {
		return nil, &FileError{DetailSchema, "the policy breaks policy-v1.schema.json: " + err.Error()}
	}
	canon, err := jcs.Marshal(v)
	if err != nil {
		return nil, &FileError{DetailSchema, "the policy cannot be canonicalized: " + err.Error()}
	}
	sum := sha256.Sum256(canon)
	return &Policy{Digest: "sha256:" + hex.EncodeToString(sum[:]), Weights: weights(v)}, nil
}

// weights overlays compliance.risk.weights (schema-valid: integers 0..1000 under known names)
// on the defaults.
func weights(v jcs.Value) risk.Weights {
	w := risk.DefaultWeights
	compliance, _ := v.Get("compliance")
	rk, _ := compliance.Get("risk")
	given, ok := rk.Get("weights")
	if !ok || given.Kind() != jcs.KindObject {
		return w
	}
	slots := map[string]*int64{
		"magnitude_schema": &w.MagnitudeSchema, "magnitude_data": &w.MagnitudeData,
		"magnitude_config": &w.MagnitudeConfig, "violation_critical": &w.ViolationCritical,
		"violation_warning": &w.ViolationWarning, "production": &w.Production,
		"off_hours": &w.OffHours, "approval_bypassed": &w.ApprovalBypassed,
		"threat": &w.Threat, "sql_finding": &w.SQLFinding, "first_time_actor": &w.FirstTimeActor,
	}
	for name, slot := range slots {
		if x, ok := given.Get(name); ok && x.Kind() == jcs.KindNumber {
			*slot = int64(x.AsNumber())
		}
	}
	return w
}
