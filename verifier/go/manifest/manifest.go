// Package manifest runs the manifest checks of bundle-v0.md §5.18, in order, and derives
// bundle_id per §5.4.
package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
	"github.com/clyra-dev/clyra/verifier/go/timefmt"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

// Codes of the manifest step (verdicts.md "manifest").
const (
	CodeJSON             = "manifest.json"
	CodeNotCanonical     = "manifest.not_canonical"
	CodeFormatUnknown    = "manifest.format_unknown"
	CodeSchema           = "manifest.schema"
	CodeTime             = "manifest.time"
	CodeBundleIDMismatch = "manifest.bundle_id_mismatch"
	CodeUnknownExtension = "manifest.unknown_extension"
)

// The two known formats (§5.3).
const (
	FormatDEF = "def/v0"
	FormatPEF = "pef/v0"
)

// Subject of every manifest finding.
const Subject = "manifest.json"

// Manifest is a manifest that passed every fail/indeterminate check of §5.18.
type Manifest struct {
	Value     jcs.Value
	Format    string
	BundleID  string
	CreatedAt string
	// Warnings are the manifest.unknown_extension findings (item 8), one per key in key order.
	Warnings []verdict.Finding
}

func fail(code, detail string) *verdict.Finding {
	return &verdict.Finding{Code: code, Severity: verdict.Fail, Subject: Subject, Detail: detail}
}

// Check runs §5.18 items 1–8 on the manifest.json bytes. It returns the manifest, or the first
// fail or indeterminate finding (which stops the run, bundle-v0.md §7).
func Check(data []byte, lim limits.Limits) (*Manifest, *verdict.Finding) {
	// 1: strict JSON, an object (verdicts.md: manifest.json also for "not an object").
	v, err := jcs.Parse(data, lim)
	if err != nil {
		code := err.Error()
		if je, ok := err.(*jcs.Error); ok {
			code = je.Code()
		}
		return nil, fail(CodeJSON, code)
	}
	if v.Kind() != jcs.KindObject {
		return nil, fail(CodeJSON, "not an object")
	}
	// 2: canonical form.
	if err := jcs.CheckCanonical(data, lim); err != nil {
		return nil, fail(CodeNotCanonical, err.Error())
	}
	// 3: format known; absent or not a string is manifest.schema (§5.3).
	f, ok := v.Get("format")
	if !ok || f.Kind() != jcs.KindString {
		return nil, fail(CodeSchema, "format absent or not a string")
	}
	format := f.AsString()
	var stem string
	switch format {
	case FormatDEF:
		stem = schema.ManifestDEF
	case FormatPEF:
		stem = schema.ManifestPEF
	default:
		return nil, &verdict.Finding{Code: CodeFormatUnknown, Severity: verdict.Indeterminate, Subject: Subject, Detail: format}
	}
	// 4: schema of the format.
	if err := schema.Validate(stem, v); err != nil {
		return nil, fail(CodeSchema, err.Error())
	}
	// 5: created_at a valid time.
	ca, _ := v.Get("created_at")
	createdAt := ca.AsString()
	if !timefmt.Valid(createdAt) {
		return nil, fail(CodeTime, "created_at "+createdAt+" is not a valid time")
	}
	// 6: artifacts sorted by path bytes, no duplicates.
	arts, _ := v.Get("artifacts")
	prev := ""
	for i, a := range arts.Items() {
		p, _ := a.Get("path")
		if i > 0 && !(prev < p.AsString()) {
			return nil, fail(CodeSchema, fmt.Sprintf("artifacts not sorted by path at %q", p.AsString()))
		}
		prev = p.AsString()
	}
	// 7: a derived-looking bundle_id matches its derivation.
	bid, _ := v.Get("bundle_id")
	bundleID := bid.AsString()
	if DerivedLooking(bundleID) {
		change, _ := v.Get("change")
		mk, _ := v.Get("merkle")
		root, _ := mk.Get("root")
		want, err := DeriveBundleID(change, createdAt, format, root.AsString())
		if err != nil {
			return nil, fail(CodeBundleIDMismatch, err.Error())
		}
		if want != bundleID {
			return nil, fail(CodeBundleIDMismatch, fmt.Sprintf("bundle_id %s, derived %s", bundleID, want))
		}
	}
	// 8: unknown extension keys (warn), in key order.
	m := &Manifest{Value: v, Format: format, BundleID: bundleID, CreatedAt: createdAt}
	ext, _ := v.Get("extensions")
	for _, mem := range ext.Members() {
		if format == FormatPEF && (mem.Key == "mcp" || mem.Key == "c2pa") {
			continue
		}
		m.Warnings = append(m.Warnings, verdict.Finding{Code: CodeUnknownExtension, Severity: verdict.Warn, Subject: Subject, Detail: mem.Key})
	}
	return m, nil
}

// DerivedLooking reports whether id matches ^b-[0-9a-f]{32}$ (§5.4).
func DerivedLooking(id string) bool {
	if len(id) != 34 || id[:2] != "b-" {
		return false
	}
	for i := 2; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// DerivationInput returns the canonical bytes hashed by §5.4.
func DerivationInput(change jcs.Value, createdAt, format, merkleRoot string) ([]byte, error) {
	return jcs.Marshal(jcs.Object(
		jcs.Member{Key: "change", Value: change},
		jcs.Member{Key: "created_at", Value: jcs.String(createdAt)},
		jcs.Member{Key: "format", Value: jcs.String(format)},
		jcs.Member{Key: "merkle_root", Value: jcs.String(merkleRoot)},
	))
}

// DeriveBundleID is §5.4: "b-" + the first 32 hex digits of SHA-256(JCS({change, created_at,
// format, merkle_root})).
func DeriveBundleID(change jcs.Value, createdAt, format, merkleRoot string) (string, error) {
	in, err := DerivationInput(change, createdAt, format, merkleRoot)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(in)
	return "b-" + hex.EncodeToString(sum[:16]), nil
}
