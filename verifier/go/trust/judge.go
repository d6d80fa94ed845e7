package trust

import (
	"fmt"

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
)

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
		case k.RevokedBy(at):
			out = append(out, verdict.Finding{Code: CodeKeyRevoked, Severity: verdict.Fail, Subject: s.File,
				Detail: fmt.Sprintf("revoked_at %s ≤ %s", k.RevokedAt, at)})
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
