package ledger

import (
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/schemas"
	"github.com/clyra-dev/clyra/verifier/go/trust"
)

// Witness is rule 5a's evidence (trust-v0.md §6.5.1): what the ledger receipt data proves about
// the time of the bundle whose bytes hash to bundleSHA256 (64 lowercase hex), against the ledger
// keys and witnesses of tr. The steps run in the spec's order; the first that fails decides.
func Witness(data []byte, tr *trust.Trust, bundleSHA256 string, lim limits.Limits) *trust.Witnessed {
	mismatch := func(msg string) *trust.Witnessed {
		return &trust.Witnessed{Code: trust.CodeWitnessProofMismatch, Message: msg}
	}
	untrusted := func(msg string) *trust.Witnessed {
		return &trust.Witnessed{Code: trust.CodeWitnessUntrusted, Message: msg}
	}
	// 1. a receipt with a well-formed signed checkpoint.
	v, err := parseFile(data, "ledger-inclusion-v0", lim)
	if err != nil {
		return mismatch(err.Error())
	}
	record, _ := v.Get("record")
	if err := schema.Validate("ledger-record-v0", record); err != nil {
		return mismatch("bad proof file: the record: " + err.Error())
	}
	cp, note, err := OpenCheckpoint([]byte(str(v, "checkpoint")))
	if err != nil {
		return mismatch(err.Error())
	}
	// 2. a trusted ledger key named as the origin, with a line in the note.
	var key *VerifierKey
	for _, text := range tr.LedgerKeys {
		if k, err := ParseVerifierKey(text); err == nil && k.Name == cp.Origin && note.find(k) != nil {
			key = k
			break
		}
	}
	if key == nil {
		return untrusted("no ledger key of the trust file signed the checkpoint of " + cp.Origin)
	}
	// 3. its signature, the tree size, the inclusion and these bundle bytes: §5.2's own checks.
	for _, c := range InclusionChecks(data, key, bundleSHA256, lim) {
		if c.Code != "ok" {
			return mismatch(c.Message)
		}
	}
	// 4. a line by some trusted witness; 5. the earliest valid cosignature among them.
	listed, found := false, false
	var earliest uint64
	for _, text := range tr.Witnesses {
		w, err := ParseVerifierKey(text)
		if err != nil || note.find(w) == nil {
			continue
		}
		listed = true
		if t, err := note.VerifyCosignature(w); err == nil && (!found || t < earliest) {
			earliest, found = t, true
		}
	}
	switch {
	case !listed:
		return untrusted("no witness of the trust file cosigned the checkpoint")
	case !found:
		return mismatch("no cosignature by a witness of the trust file verifies")
	}
	return &trust.Witnessed{Time: earliest}
}

// DefaultLedgerKey is the ledger key of a receipt's own checks when none is named (ledger-v0.md
// §5.2): the first of the trust's ledger_keys named as the checkpoint's origin, else the first;
// nil when the trust lists none.
func DefaultLedgerKey(data []byte, tr *trust.Trust, lim limits.Limits) *VerifierKey {
	origin := ""
	if v, err := parseFile(data, "ledger-inclusion-v0", lim); err == nil {
		if cp, _, err := OpenCheckpoint([]byte(str(v, "checkpoint"))); err == nil {
			origin = cp.Origin
		}
	}
	var first *VerifierKey
	for _, text := range tr.LedgerKeys {
		k, err := ParseVerifierKey(text)
		if err != nil {
			continue
		}
		if origin != "" && k.Name == origin {
			return k
		}
		if first == nil {
			first = k
		}
	}
	return first
}
