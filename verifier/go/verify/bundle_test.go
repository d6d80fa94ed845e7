package verify

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/trust"
)

type triple struct {
	outcome, primary string
	exit             int
}

func check(t *testing.T, name string, v Verdict, want triple) {
	t.Helper()
	got := triple{v.Outcome, v.Primary, v.Exit}
	if got != want {
		t.Errorf("%s: got %+v, want %+v\n%s", name, got, want, v.JSON())
	}
	// every step is recorded, in pipeline order
	idx := 0
	seen := map[string]bool{}
	for _, c := range v.Checks {
		for idx < len(Steps) && Steps[idx] != c.Step {
			idx++
		}
		if idx == len(Steps) {
			t.Errorf("%s: check %+v out of pipeline order", name, c)
			break
		}
		seen[c.Step] = true
	}
	for _, s := range Steps {
		if !seen[s] {
			t.Errorf("%s: step %s not recorded\n%s", name, s, v.JSON())
		}
	}
	var back map[string]any
	if err := json.Unmarshal(v.JSON(), &back); err != nil {
		t.Errorf("%s: verdict JSON: %v", name, err)
	}
}

func producerTrust(t *testing.T, s *spec, extra ...trustKey) *trust.Trust {
	keys := []trustKey{{s: s.producers[0], roles: []string{"producer"}}}
	return trustFile(t, append(keys, extra...)...)
}

func TestBundleVerdicts(t *testing.T) {
	lim := limits.Default()
	type tc struct {
		name   string
		edit   func(s *spec)
		trust  func(t *testing.T, s *spec) *trust.Trust // nil: the producer key, role producer
		at     string                                   // "" = verifyAt
		policy []byte                                   // nil = testPolicy; use noPolicy for none
		want   triple
	}
	noPolicy := []byte{}
	cases := []tc{
		{name: "clean", want: triple{Valid, "ok", 0}},
		{name: "untrusted producer", trust: func(t *testing.T, s *spec) *trust.Trust {
			return trustFile(t, trustKey{s: newEd(t), roles: []string{"producer"}})
		}, want: triple{ValidUntrusted, "trust.untrusted_key", 2}},
		{name: "artifact digest", edit: func(s *spec) {
			s.editArtifacts = func(d map[string][]byte) { d["artifacts/compiled/orders.sql"] = []byte("select 2;\n") }
		}, want: triple{Invalid, "artifact.digest_mismatch", 1}},
		{name: "journal prev", edit: func(s *spec) {
			s.editEvents = func(lines [][]byte) [][]byte {
				lines[1] = bytes.Replace(lines[1], []byte(`"prev":"sha256:`), []byte(`"prev":"sha256:00`), 1)
				lines[1] = append(lines[1][:len(lines[1])-len(`","seq":1}`)-2], []byte(`","seq":1}`)...)
				return lines
			}
		}, want: triple{Invalid, "journal.prev", 1}},
		{name: "merkle root", edit: func(s *spec) {
			s.editManifest = func(m map[string]any) {
				m["merkle"].(map[string]any)["root"] = "sha256:" + string(bytes.Repeat([]byte("ab"), 32))
			}
		}, want: triple{Invalid, "merkle.root_mismatch", 1}},
		{name: "manifest not canonical", edit: func(s *spec) {
			s.manifestBytes = func(c []byte) []byte { return append([]byte(" "), c...) }
		}, want: triple{Invalid, "manifest.not_canonical", 1}},
		{name: "unknown format", edit: func(s *spec) {
			s.editManifest = func(m map[string]any) { m["format"] = "def/v9" }
		}, want: triple{Indeterminate, "manifest.format_unknown", 3}},
		{name: "subject mismatch", edit: func(s *spec) {
			s.editStatement = func(st map[string]any) {
				st["subject"] = []any{map[string]any{"name": "manifest.json", "digest": map[string]any{"sha256": string(bytes.Repeat([]byte("0"), 64))}}}
			}
		}, want: triple{Invalid, "statement.subject_mismatch", 1}},
		{name: "revoked producer key", trust: func(t *testing.T, s *spec) *trust.Trust {
			return trustFile(t, trustKey{s: s.producers[0], roles: []string{"producer"}, revokedAt: "2026-11-20T12:00:00Z"})
		}, want: triple{Invalid, "time.key_revoked", 1}},
		{name: "time future", at: "2026-11-20T09:00:00Z", want: triple{Indeterminate, "time.future", 3}},
		{name: "risk mismatch", edit: func(s *spec) {
			s.editManifest = func(m map[string]any) { m["risk"].(map[string]any)["score"] = 41 }
		}, want: triple{Invalid, "risk.score_mismatch", 1}},
		{name: "policy missing", policy: noPolicy, want: triple{Indeterminate, "policy.missing", 3}},
		{name: "wrong policy", policy: []byte(`{"rules":[],"version":1}`), want: triple{Invalid, "policy.hash_mismatch", 1}},
		{name: "no policy, not required", edit: func(s *spec) {
			s.policy = nil
			s.editManifest = func(m map[string]any) { m["policy"].(map[string]any)["decisions"] = []any{} }
		}, policy: noPolicy,
			want: triple{Valid, "ok", 0}},
		{name: "bundle id derived-looking", edit: func(s *spec) {
			s.editManifest = func(m map[string]any) { m["bundle_id"] = "b-00000000000000000000000000000000" }
		}, want: triple{Invalid, "manifest.bundle_id_mismatch", 1}},
		{name: "unlisted artifact", edit: func(s *spec) {
			s.editArtifacts = func(d map[string][]byte) { d["artifacts/zz.txt"] = []byte("x") }
		}, want: triple{Invalid, "artifact.unlisted", 1}},
		{name: "journal head", edit: func(s *spec) {
			s.editManifest = func(m map[string]any) {
				m["journal"].(map[string]any)["head"] = "sha256:" + string(bytes.Repeat([]byte("1"), 64))
			}
		}, want: triple{Invalid, "journal.head_mismatch", 1}},
		{name: "signed before created", edit: func(s *spec) { s.signedAt = "2026-11-20T09:00:00Z" },
			want: triple{Invalid, "time.signed_before_created", 1}},
		{name: "statement binding", edit: func(s *spec) {
			s.editStatement = func(st map[string]any) { st["predicate"].(map[string]any)["bundle_id"] = "other" }
		}, want: triple{Invalid, "statement.binding", 1}},
		{name: "predicate scheme mismatch", edit: func(s *spec) {
			s.editStatement = func(st map[string]any) { st["predicate"].(map[string]any)["scheme"] = "ecdsa-p256-sha256" }
		}, want: triple{Invalid, "sig.scheme_mismatch", 1}},
		{name: "bad signature", edit: func(s *spec) {
			s.editEntries = func(es []zipEntry) []zipEntry {
				last := &es[len(es)-1]
				var env map[string]any
				_ = json.Unmarshal(last.data, &env)
				other := newEd(t)
				good := other.envelope(t, InTotoPayloadType, []byte(`{}`))
				var genv map[string]any
				_ = json.Unmarshal(good, &genv)
				env["signatures"].([]any)[0].(map[string]any)["sig"] = genv["signatures"].([]any)[0].(map[string]any)["sig"]
				last.data, _ = json.Marshal(env)
				return es
			}
		}, want: triple{Invalid, "sig.invalid", 1}},
	}
	for _, c := range cases {
		s := defaultSpec(t)
		if c.edit != nil {
			c.edit(s)
		}
		data := s.build(t)
		var tr *trust.Trust
		if c.trust != nil {
			tr = c.trust(t, s)
		} else {
			tr = producerTrust(t, s)
		}
		at := c.at
		if at == "" {
			at = verifyAt
		}
		pol := c.policy
		switch {
		case pol == nil:
			pol = testPolicy
		case len(pol) == 0:
			pol = nil
		}
		check(t, c.name, Bundle(data, tr, at, pol, lim), c.want)
	}
}

func TestRandomBytes(t *testing.T) {
	s := defaultSpec(t)
	tr := producerTrust(t, s)
	for _, n := range []int{0, 1, 22, 100, 4096} {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		v := Bundle(b, tr, verifyAt, nil, limits.Default())
		check(t, "random", v, triple{Invalid, "zip.eocd", 1})
	}
}

func approver(t *testing.T, sub, nonce string) approvalSpec {
	return approvalSpec{by: newEC(t), ssoSub: sub, nonce: nonce,
		approvedAt: "2026-11-20T08:55:00Z", expiresAt: "2026-11-20T20:55:00Z"}
}

func approvalTrust(t *testing.T, s *spec) *trust.Trust {
	keys := []trustKey{{s: s.producers[0], roles: []string{"producer"}}}
	for _, a := range s.approvals {
		keys = append(keys, trustKey{s: a.by, roles: []string{"approver"}})
	}
	return trustFile(t, keys...)
}

func TestApprovals(t *testing.T) {
	lim := limits.Default()
	type tc struct {
		name      string
		approvals func(t *testing.T) []approvalSpec
		trust     func(t *testing.T, s *spec) *trust.Trust
		want      triple
	}
	two := func(t *testing.T) []approvalSpec {
		return []approvalSpec{approver(t, "00u-bob", "n-7f3c9a21e4b04d5e"), approver(t, "00u-carol", "n-c41d08b6a95e2f73")}
	}
	cases := []tc{
		{name: "two approvals", approvals: two, want: triple{Valid, "ok", 0}},
		{name: "self approval", approvals: func(t *testing.T) []approvalSpec {
			a := two(t)
			a[1].ssoSub = "maria.chen@acme.example" // change.actor
			return a
		}, want: triple{Invalid, "approval.self_approval", 1}},
		{name: "one approval of two", approvals: func(t *testing.T) []approvalSpec { return two(t)[:1] },
			want: triple{Invalid, "approval.insufficient", 1}},
		{name: "untrusted approvers", approvals: two, trust: func(t *testing.T, s *spec) *trust.Trust {
			return producerTrust(t, s)
		}, want: triple{ValidUntrusted, "approval.insufficient_trusted", 2}},
		{name: "duplicate sso_sub", approvals: func(t *testing.T) []approvalSpec {
			a := two(t)
			a[1].ssoSub = a[0].ssoSub
			return a
		}, want: triple{Invalid, "approval.duplicate_approver", 1}},
		{name: "approved after execution", approvals: func(t *testing.T) []approvalSpec {
			a := two(t)
			a[0].approvedAt = "2026-11-20T09:00:10Z"
			return a
		}, want: triple{Invalid, "approval.after_execution", 1}},
		{name: "expired at change time", approvals: func(t *testing.T) []approvalSpec {
			a := two(t)
			a[0].expiresAt = "2026-11-20T09:00:46Z"
			return a
		}, want: triple{Invalid, "approval.window", 1}},
		{name: "nonce mismatch", approvals: func(t *testing.T) []approvalSpec {
			a := two(t)
			a[1].nonce = a[0].nonce
			return a
		}, want: triple{Invalid, "approval.nonce", 1}},
	}
	for _, c := range cases {
		s := defaultSpec(t)
		s.required = 2
		s.approvals = c.approvals(t)
		data := s.build(t)
		tr := approvalTrust(t, s)
		if c.trust != nil {
			tr = c.trust(t, s)
		}
		check(t, c.name, Bundle(data, tr, verifyAt, testPolicy, lim), c.want)
	}

	// producer key also approves: trust.role
	s := defaultSpec(t)
	s.required = 1
	s.approvals = []approvalSpec{approver(t, "00u-bob", "n-1")}
	s.approvals[0].by = s.producers[0]
	check(t, "producer approves", Bundle(s.build(t), producerTrust(t, s), verifyAt, testPolicy, lim),
		triple{Invalid, "trust.role", 1})

	// payload hash over another change
	s = defaultSpec(t)
	s.required = 1
	s.approvals = []approvalSpec{approver(t, "00u-bob", "n-1")}
	s.approvalChange = func(ch map[string]any) map[string]any {
		c := map[string]any{}
		for k, v := range ch {
			c[k] = v
		}
		c["summary"] = "something else"
		return c
	}
	check(t, "payload hash", Bundle(s.build(t), approvalTrust(t, s), verifyAt, testPolicy, lim),
		triple{Invalid, "approval.payload_hash", 1})
}

func TestVerdictJSON(t *testing.T) {
	v := Decide(nil)
	if got := string(v.JSON()); got != `{"outcome":"VALID","primary":"ok","exit":0,"checks":[]}` {
		t.Errorf("empty verdict: %s", got)
	}
	if got := string(ErrorJSON("trust.file")); got != `{"outcome":"ERROR","primary":"trust.file","exit":4,"checks":[]}` {
		t.Errorf("error shape: %s", got)
	}
}
