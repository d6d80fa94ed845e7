package trust

import (
	"fmt"
	"time"

	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

// Codes of the trust-and-time step (trust-v0.md §7).
const (
	CodeTimeFuture          = "time.future"
	CodeSignedBeforeCreated = "time.signed_before_created"
	CodeKeyRevoked          = "time.key_revoked"
	CodeKeyWindow           = "time.key_window"
	CodeUntrustedKey        = "trust.untrusted_key"
	CodeExtraUntrustedKey   = "trust.extra_untrusted_key"
	CodeThreshold           = "trust.threshold"
	CodeRole                = "trust.role"
	// Rule 5a (trust-v0.md §6.5).
	CodeKeyRevokedWitnessed    = "time.key_revoked_witnessed"
	CodeWitnessAfterRevocation = "time.witness_after_revocation"
	CodeWitnessUntrusted       = "time.witness_untrusted"
	CodeWitnessProofMismatch   = "time.witness_proof_mismatch"
)

// Witnessed is what a ledger receipt given with a bundle proves about its time (trust-v0.md
// §6.5.1): Code is "" when a trusted witness cosigned a checkpoint including the bundle, at the
// POSIX second Time (the earliest valid trusted cosignature); otherwise CodeWitnessUntrusted or
// CodeWitnessProofMismatch, with Message saying why.
type Witnessed struct {
	Code    string
	Time    uint64
	Message string
}

// rule5a is §6.5.2 for a key revoked at revokedAt: the finding's code and severity and whether the
// signature goes on to rule 6 (counted if it passes).
func rule5a(w *Witnessed, revokedAt string) (string, verdict.Severity, string, bool) {
	if w.Code != "" {
		return w.Code, verdict.Fail, w.Message, false
	}
	r, err := time.Parse(time.RFC3339, revokedAt)
	if err == nil && r.Unix() >= 0 && w.Time < uint64(r.Unix()) {
		return CodeKeyRevokedWitnessed, verdict.Warn, fmt.Sprintf("revoked, but a trusted witness cosigned a checkpoint including this bundle at %s, before revoked_at %s", seconds(w.Time), revokedAt), true
	}
	return CodeWitnessAfterRevocation, verdict.Fail, fmt.Sprintf("the earliest trusted cosignature (%s) is not before revoked_at %s", seconds(w.Time), revokedAt), false
}

// seconds shows a POSIX second as a UTC timestamp, or as the number when out of range.
func seconds(t uint64) string {
	if t > 253402300799 { // 9999-12-31T23:59:59Z
		return fmt.Sprint(t)
	}
	return time.Unix(int64(t), 0).UTC().Format(time.RFC3339)
}

// Signature is one producer envelope that passed the keys-and-envelopes and statement steps
// (§5.1): its file name, signer keyid, the predicate's scheme and signed_at.
type Signature struct {
	File     string
	KeyID    string
	Scheme   string
	SignedAt string
}

// Trusted is §5.2: the trust holds the keyid with role producer and the predicate's scheme.
func (t *Trust) Trusted(s Signature) *Key {
	k := t.Lookup(s.KeyID)
	if k == nil || !k.Producer || string(k.Scheme) != s.Scheme {
		return nil
	}
	return k
}

// Judge is the trust-and-time step (§5–§7) over the signatures, given in file-name order. It
// returns the findings in the order of §7: time.future for manifest.json (rule 1), then for each
// signature ok (counted) or its code from rules 2, 3, 5 or 6 (an untrusted signature that passes
// rules 2–3 records nothing here), then trust.untrusted_key or trust.extra_untrusted_key for each
// untrusted signature, and last trust.threshold (subject `signatures/`).
func Judge(t *Trust, createdAt, at string, sigs []Signature) []verdict.Finding {
	return JudgeWitnessed(t, createdAt, at, sigs, nil)
}

// JudgeWitnessed is Judge with rule 5a (§6.5): with w, a revoked key's signature is judged by what
// the ledger receipt proves instead of failing with time.key_revoked.
func JudgeWitnessed(t *Trust, createdAt, at string, sigs []Signature, w *Witnessed) []verdict.Finding {
	var out []verdict.Finding
	if createdAt > at {
		out = append(out, verdict.Finding{Code: CodeTimeFuture, Severity: verdict.Indeterminate, Subject: "manifest.json",
			Detail: fmt.Sprintf("created_at %s after %s", createdAt, at)})
	}
	var untrusted []Signature
	counted := map[string]bool{}
	for _, s := range sigs {
		switch {
		case s.SignedAt > at:
			out = append(out, verdict.Finding{Code: CodeTimeFuture, Severity: verdict.Indeterminate, Subject: s.File,
				Detail: fmt.Sprintf("signed_at %s after %s", s.SignedAt, at)})
			continue
		case s.SignedAt < createdAt:
			out = append(out, verdict.Finding{Code: CodeSignedBeforeCreated, Severity: verdict.Fail, Subject: s.File,
				Detail: fmt.Sprintf("signed_at %s before created_at %s", s.SignedAt, createdAt)})
			continue
		}
		k := t.Trusted(s)
		switch {
		case k == nil:
			untrusted = append(untrusted, s)
		case k.RevokedBy(at) && w == nil:
			out = append(out, verdict.Finding{Code: CodeKeyRevoked, Severity: verdict.Fail, Subject: s.File,
				Detail: fmt.Sprintf("revoked_at %s ≤ %s", k.RevokedAt, at)})
		case k.RevokedBy(at):
			code, sev, msg, goOn := rule5a(w, k.RevokedAt)
			if goOn && !k.InWindow(s.SignedAt) {
				code, sev, msg = CodeKeyWindow, verdict.Fail, fmt.Sprintf("signed_at %s outside [%s, %s]", s.SignedAt, k.NotBefore, k.NotAfter)
			} else if goOn {
				counted[s.KeyID] = true
			}
			out = append(out, verdict.Finding{Code: code, Severity: sev, Subject: s.File, Detail: msg})
		case !k.InWindow(s.SignedAt):
			out = append(out, verdict.Finding{Code: CodeKeyWindow, Severity: verdict.Fail, Subject: s.File,
				Detail: fmt.Sprintf("signed_at %s outside [%s, %s]", s.SignedAt, k.NotBefore, k.NotAfter)})
		default:
			counted[s.KeyID] = true
			out = append(out, verdict.Finding{Code: "ok", Severity: verdict.OK, Subject: s.File})
		}
	}
	n := len(counted)
	for _, s := range untrusted {
		if n >= t.Threshold {
			out = append(out, verdict.Finding{Code: CodeExtraUntrustedKey, Severity: verdict.Warn, Subject: s.File, Detail: s.KeyID})
		} else {
			out = append(out, verdict.Finding{Code: CodeUntrustedKey, Severity: verdict.Untrusted, Subject: s.File, Detail: s.KeyID})
		}
	}
	if n > 0 && n < t.Threshold {
		out = append(out, verdict.Finding{Code: CodeThreshold, Severity: verdict.Fail, Subject: "signatures/",
			Detail: fmt.Sprintf("%d of %d trusted producer keys", n, t.Threshold)})
	}
	return out
}
