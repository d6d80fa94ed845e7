package attest

import (
	"bytes"
	"crypto/sha256"
	"io"
	"strconv"
	"strings"

	"github.com/clyra-dev/clyra/verifier/go/container"
	"github.com/clyra-dev/clyra/verifier/go/dsse"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/manifest"
	"github.com/clyra-dev/clyra/verifier/go/policy"
	"github.com/clyra-dev/clyra/verifier/go/trust"
	"github.com/clyra-dev/clyra/verifier/go/verify"
)

// Requirement results of attestation-v0.md §4.2.
const (
	pass = "pass"
	fail = "fail"
	na   = "n/a"
)

// Facts is one bundle as an attestation sees it (attestation-v0.md §4.2): its verdict and the
// requirement results read from its manifest and approval payloads.
type Facts struct {
	SHA256            [32]byte
	Outcome, Primary  string
	manifestRead      bool
	met               map[string]string
	hasRetention      bool
	retentionMonths   uint64
	approvedException bool
	approvals         [][2]string
	journalSeq        []uint64
}

func get(v jcs.Value, path ...string) (jcs.Value, bool) {
	for _, p := range path {
		next, ok := v.Get(p)
		if !ok {
			return jcs.Value{}, false
		}
		v = next
	}
	return v, true
}

func str(v jcs.Value, path ...string) (string, bool) {
	x, ok := get(v, path...)
	if !ok || x.Kind() != jcs.KindString {
		return "", false
	}
	return x.AsString(), true
}

func items(v jcs.Value, path ...string) []jcs.Value {
	x, ok := get(v, path...)
	if !ok {
		return nil
	}
	return x.Items()
}

func uintOf(v jcs.Value, path ...string) (uint64, bool) {
	x, ok := get(v, path...)
	if !ok || x.Kind() != jcs.KindNumber || x.AsNumber() < 0 || x.AsNumber() != float64(uint64(x.AsNumber())) {
		return 0, false
	}
	return uint64(x.AsNumber()), true
}

func met(b bool) string {
	if b {
		return pass
	}
	return fail
}

// periodMonths is 12·Y + M + ⌊D/30⌋ of a period `PnYnMnD` (attestation-v0.md §4.2).
func periodMonths(p string) (uint64, bool) {
	rest, ok := strings.CutPrefix(p, "P")
	if !ok {
		return 0, false
	}
	var months uint64
	num := ""
	for _, ch := range rest {
		if ch >= '0' && ch <= '9' {
			num += string(ch)
			continue
		}
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			return 0, false
		}
		num = ""
		switch ch {
		case 'Y':
			months += n * 12
		case 'M':
			months += n
		case 'D':
			months += n / 30
		default:
			return 0, false
		}
	}
	return months, num == ""
}

// choosePolicy is attestation-v0.md §4.5: the policy whose digest the manifest records, else the
// first given, else none.
func choosePolicy(recorded string, policies [][]byte, lim limits.Limits) []byte {
	for _, p := range policies {
		if got, err := policy.Read(p, lim); err == nil && got.Digest == recorded {
			return p
		}
	}
	if len(policies) > 0 {
		return policies[0]
	}
	return nil
}

// BundleFacts verifies data at `at` with tr and the matching policy, and reads its facts.
func BundleFacts(data []byte, tr *trust.Trust, at string, policies [][]byte, lim limits.Limits) Facts {
	return BundleFactsAt(bytes.NewReader(data), int64(len(data)), tr, at, policies, lim)
}

// BundleFactsAt is BundleFacts over a bundle of size bytes readable from r (an *os.File): the
// bundle is streamed (hashed, then verified), so memory does not grow with its artifacts.
func BundleFactsAt(r io.ReaderAt, size int64, tr *trust.Trust, at string, policies [][]byte, lim limits.Limits) Facts {
	f := Facts{met: map[string]string{}}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err == nil {
		copy(f.SHA256[:], h.Sum(nil))
	}
	var m jcs.Value
	var approvalPayloads []jcs.Value
	b, cerr := container.Read(r, size, lim)
	if cerr == nil {
		if man, ferr := manifest.Check(b.Entry(manifest.Subject).Data, lim); ferr == nil {
			f.manifestRead = true
			m = man.Value
			for _, e := range items(m, "approvals", "entries") {
				file, _ := str(e, "file")
				var payload jcs.Value
				if entry := b.Entry(file); entry != nil && entry.Retained {
					if env, err := dsse.Decode(entry.Data, lim); err == nil {
						payload, _ = jcs.Parse(env.Payload, lim)
					}
				}
				approvalPayloads = append(approvalPayloads, payload)
			}
		}
	}
	recorded := ""
	if f.manifestRead {
		recorded, _ = str(m, "policy", "hash")
	}
	v := verify.BundleAt(r, size, tr, at, choosePolicy(recorded, policies, lim), lim)
	f.Outcome, f.Primary = v.Outcome, v.Primary
	if !f.manifestRead {
		f.met[reqVerified] = fail
		return f
	}
	format, _ := str(m, "format")
	def := format == manifest.FormatDEF
	env, _ := str(m, "change", "environment")
	required, _ := uintOf(m, "approvals", "required")
	entries := items(m, "approvals", "entries")
	count := uint64(len(entries))
	for _, e := range entries {
		file, _ := str(e, "file")
		digest, _ := str(e, "digest")
		f.approvals = append(f.approvals, [2]string{file, digest})
	}
	decisions := items(m, "policy", "decisions")
	for _, d := range decisions {
		if s, ok := uintOf(d, "seq"); ok {
			f.journalSeq = append(f.journalSeq, s)
		}
	}
	actor, hasActor := str(m, "change", "actor")
	deployer, hasDeployer := str(m, "change", "deployer")
	_, hasPolicy := str(m, "policy", "hash")
	enforced := true
	for _, d := range decisions {
		dec, _ := str(d, "decision")
		mode, _ := str(d, "mode")
		if dec != "allow" && mode != "enforce" {
			enforced = false
		}
	}
	f.met[reqVerified] = met(v.Outcome == verify.Valid)
	if env == "production" || required >= 1 {
		f.met[reqApproval] = met(required >= 1 && count >= required)
		distinct := !(hasActor && hasDeployer) || actor != deployer
		independent := true
		for _, p := range approvalPayloads {
			if sub, ok := str(p, "sso_sub"); ok && ((hasActor && sub == actor) || (hasDeployer && sub == deployer)) {
				independent = false
			}
		}
		f.met[reqSod] = met(count >= 1 && distinct && independent)
	}
	if count >= 1 {
		all := true
		for _, p := range approvalPayloads {
			x, ok := get(p, "mfa_verified")
			if !ok || x.Kind() != jcs.KindBool || !x.AsBool() {
				all = false
			}
		}
		f.met[reqMfa] = met(all)
	}
	if required == 2 {
		f.met[reqTwoPerson] = met(count >= 2)
	}
	if def {
		tests := items(m, "def", "tests")
		failing := false
		for _, t := range tests {
			if s, _ := str(t, "status"); s == "fail" || s == "error" {
				failing = true
			}
		}
		f.met[reqTests] = met(len(tests) > 0 && !failing)
		f.met[reqAnchors] = met(len(items(m, "anchors")) > 0)
	}
	f.met[reqPolicy] = met(hasPolicy)
	if len(decisions) > 0 {
		f.met[reqEnforce] = met(enforced)
	}
	if format == manifest.FormatPEF {
		calls := false
		for _, op := range items(m, "pef", "operations") {
			if t, _ := str(op, "target"); strings.HasPrefix(t, "tel:") {
				calls = true
			}
		}
		if calls {
			f.met[reqVoice] = met(hasPolicy && enforced)
		}
	}
	if p, ok := str(m, "retention", "period"); ok {
		f.retentionMonths, f.hasRetention = periodMonths(p)
	}
	if count >= 1 {
		for _, d := range decisions {
			dec, _ := str(d, "decision")
			mode, _ := str(d, "mode")
			if mode == "enforce" && (dec == "require_approval" || dec == "require_two_person") {
				f.approvedException = true
			}
		}
	}
	return f
}

// result is requirement r for this bundle, retention judged against months.
func (f *Facts) result(r string, months uint64) string {
	if r == reqRetention {
		if !f.manifestRead {
			return fail
		}
		return met(f.hasRetention && f.retentionMonths >= months)
	}
	if v, ok := f.met[r]; ok {
		return v
	}
	return na
}

// sameDigest reports whether f is the bundle of a subject digest.
func (f *Facts) sameDigest(hexDigest string) bool {
	var d [32]byte
	n, err := hexDecode(d[:], hexDigest)
	return err == nil && n == 32 && bytes.Equal(d[:], f.SHA256[:])
}
