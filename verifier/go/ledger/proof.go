package ledger

import (
	"encoding/hex"
	"errors"

	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/merkle"
	"github.com/clyra-dev/clyra/verifier/go/schemas"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
	"github.com/clyra-dev/clyra/verifier/go/verify"
)

// StepLedger is the step of every ledger check (ledger-v0.md §5.5).
const StepLedger = "ledger"

// Types of the two proof files (ledger-v0.md §5.1, §5.3).
const (
	InclusionType   = "clyra.ledger.inclusion/v0"
	ConsistencyType = "clyra.ledger.consistency/v0"
)

var okMessages = map[string]string{
	"proof":          "the proof file is well formed",
	"checkpoint":     "signed by the ledger key",
	"old checkpoint": "signed by the ledger key",
	"new checkpoint": "signed by the ledger key",
	"tree_size":      "the proof is for the checkpoint's tree size",
	"inclusion":      "the record is in the checkpoint's tree",
	"bundle":         "the record names these exact bundle bytes",
	"consistency":    "the older tree is a prefix of the newer one",
}

func check(subject string, err error) verify.Check {
	if err == nil {
		return verify.Check{Step: StepLedger, Code: "ok", Severity: verdict.OK, Subject: subject, Message: okMessages[subject]}
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: CodeProofSchema, Message: err.Error()}
	}
	sev := verdict.Fail
	if e.Code == CodeUntrustedKey {
		sev = verdict.Untrusted
	}
	return verify.Check{Step: StepLedger, Code: e.Code, Severity: sev, Subject: subject, Message: e.Message}
}

func skipped(subject string) verify.Check {
	return verify.Check{Step: StepLedger, Code: "skipped", Severity: verdict.OK, Subject: subject,
		Message: "not checked: an earlier ledger check failed"}
}

// parseFile parses a proof file strictly and checks it against its schema (§5 step 1).
func parseFile(data []byte, stem string, lim limits.Limits) (jcs.Value, error) {
	if len(data) > MaxProofBytes {
		return jcs.Value{}, fail(CodeProofSchema, "bad proof file: larger than 1 MiB")
	}
	v, err := jcs.Parse(data, lim)
	if err != nil {
		return jcs.Value{}, fail(CodeProofSchema, "bad proof file: %v", err)
	}
	if err := schema.Validate(stem, v); err != nil {
		return jcs.Value{}, fail(CodeProofSchema, "bad proof file: %v", err)
	}
	return v, nil
}

func str(v jcs.Value, key string) string {
	m, _ := v.Get(key)
	return m.AsString()
}

func hashes(v jcs.Value) ([][]byte, error) {
	p, _ := v.Get("proof")
	var out [][]byte
	for _, h := range p.Items() {
		b, err := hex.DecodeString(h.AsString())
		if err != nil {
			return nil, fail(CodeProofSchema, "a proof hash is not hex")
		}
		out = append(out, b)
	}
	return out, nil
}

// openCheckpoint verifies a note, keeping an untrusted-but-well-formed checkpoint for later
// checks (VALID_UNTRUSTED at best).
func openCheckpoint(note string, k *VerifierKey) (*Checkpoint, error) {
	return VerifyCheckpoint([]byte(note), k)
}

// InclusionChecks are the checks of a ledger receipt (§5.2); with bundleSHA256 (64 hex) the
// record must name that bundle.
func InclusionChecks(data []byte, k *VerifierKey, bundleSHA256 string, lim limits.Limits) []verify.Check {
	subjects := []string{"tree_size", "inclusion"}
	if bundleSHA256 != "" {
		subjects = append(subjects, "bundle")
	}
	v, err := parseFile(data, "ledger-inclusion-v0", lim)
	var record jcs.Value
	if err == nil {
		record, _ = v.Get("record")
		if verr := schema.Validate("ledger-record-v0", record); verr != nil {
			err = fail(CodeProofSchema, "bad proof file: the record: %v", verr)
		}
	}
	if err != nil {
		checks := []verify.Check{check("proof", err), skipped("checkpoint")}
		for _, s := range subjects {
			checks = append(checks, skipped(s))
		}
		return checks
	}
	checks := []verify.Check{check("proof", nil)}
	cp, err := openCheckpoint(str(v, "checkpoint"), k)
	checks = append(checks, check("checkpoint", err))
	if cp == nil {
		for _, s := range subjects {
			checks = append(checks, skipped(s))
		}
		return checks
	}
	sizeV, _ := v.Get("tree_size")
	indexV, _ := v.Get("index")
	size, index := uint64(sizeV.AsNumber()), uint64(indexV.AsNumber())
	if size != cp.Size {
		checks = append(checks, check("tree_size", fail(CodeTreeSizeMismatch,
			"the proof is for a tree of %d leaves; the checkpoint has %d", size, cp.Size)))
		checks = append(checks, skipped("inclusion"))
	} else {
		checks = append(checks, check("tree_size", nil))
		leafBytes, merr := jcs.Marshal(record)
		path, herr := hashes(v)
		switch {
		case merr != nil:
			err = fail(CodeProofSchema, "the record cannot be canonicalized")
		case herr != nil:
			err = herr
		default:
			leaf := merkle.LeafHash(leafBytes)
			if verr := merkle.VerifyInclusion(lim, leaf[:], index, cp.Size, path, cp.Root[:]); verr != nil {
				err = fail(CodeInclusion, "record %d is not in the checkpoint's tree: %v", index, verr)
			}
		}
		checks = append(checks, check("inclusion", err))
	}
	if bundleSHA256 != "" {
		var berr error
		if got := str(record, "bundle_sha256"); got != bundleSHA256 {
			berr = fail(CodeBundleMismatch, "the record names bundle bytes %s, not these (%s)", got, bundleSHA256)
		}
		checks = append(checks, check("bundle", berr))
	}
	return checks
}

// CheckConsistency judges two verified checkpoints and a proof (§5.4 step 3).
func CheckConsistency(lim limits.Limits, old, cur *Checkpoint, proof [][]byte) error {
	if old.Size > cur.Size {
		return fail(CodeRewound, "the log shrank from %d to %d leaves", old.Size, cur.Size)
	}
	if old.Size == cur.Size && old.Root != cur.Root {
		return fail(CodeFork, "two different trees of %d leaves", old.Size)
	}
	if old.Size == 0 {
		if len(proof) != 0 {
			return fail(CodeInconsistent, "a proof from the empty log must be empty")
		}
		return nil
	}
	if err := merkle.VerifyConsistency(lim, old.Size, cur.Size, proof, old.Root[:], cur.Root[:]); err != nil {
		return fail(CodeInconsistent, "the tree of %d leaves is not a prefix of the tree of %d: %v", old.Size, cur.Size, err)
	}
	return nil
}

// ConsistencyChecks are the checks of a consistency proof file (§5.4).
func ConsistencyChecks(data []byte, k *VerifierKey, lim limits.Limits) []verify.Check {
	v, err := parseFile(data, "ledger-consistency-v0", lim)
	if err != nil {
		return []verify.Check{check("proof", err), skipped("old checkpoint"), skipped("new checkpoint"), skipped("consistency")}
	}
	checks := []verify.Check{check("proof", nil)}
	old, oerr := openCheckpoint(str(v, "old"), k)
	checks = append(checks, check("old checkpoint", oerr))
	cur, nerr := openCheckpoint(str(v, "new"), k)
	checks = append(checks, check("new checkpoint", nerr))
	if old == nil || cur == nil {
		return append(checks, skipped("consistency"))
	}
	path, err := hashes(v)
	if err == nil {
		err = CheckConsistency(lim, old, cur, path)
	}
	return append(checks, check("consistency", err))
}

// VerifyProofFile verifies either proof file, chosen by its `type`, and returns the verdict.
func VerifyProofFile(data []byte, k *VerifierKey, lim limits.Limits) verify.Verdict {
	if v, err := jcs.Parse(data, lim); err == nil && str(v, "type") == ConsistencyType {
		return verify.Decide(ConsistencyChecks(data, k, lim))
	}
	return verify.Decide(InclusionChecks(data, k, "", lim))
}
