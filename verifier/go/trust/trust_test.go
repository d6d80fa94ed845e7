package trust

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

const (
	edID   = "sha256:9953d15527f1aa1f92166a377dc4b1b576c649477efe5d333ba0c68862236ff8"
	p256ID = "sha256:803bf9164a80cf2ee369efc6d7a6813f4aac68ec3990f2aae74ea035452b7ea2"
	edPEM  = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAefLLIdo3wNVIQ9sYZ51LGCa/Bl4PpR9ntknEB1pAp5Q=\n-----END PUBLIC KEY-----\n"
)

// workedFile returns the trust file of trust-v0.md §8, as written in the spec (not canonical).
func workedFile(t *testing.T) string {
	for _, ex := range specdoc.Examples(t) {
		if ex.Stem == "trust-v0" && !ex.Counter {
			return string(ex.JSON)
		}
	}
	t.Fatal("no trust-v0 example")
	return ""
}

func TestWorkedTrustFile(t *testing.T) {
	tr, err := Parse([]byte(workedFile(t)), limits.Default())
	if err != nil {
		t.Fatalf("worked trust file: %v", err)
	}
	if len(tr.Keys) != 2 || tr.Threshold != 1 {
		t.Fatalf("%+v", tr)
	}
	ed, p := tr.Lookup(edID), tr.Lookup(p256ID)
	if ed == nil || p == nil || !ed.Producer || ed.Approver || p.Producer || !p.Approver ||
		ed.NotBefore != "2026-11-01T00:00:00Z" || ed.NotAfter != "2027-11-01T00:00:00Z" || p.NotAfter != "" || ed.Scheme != "ed25519" {
		t.Fatalf("keys %+v", tr.Keys)
	}
	// Canonical form also parses (it need not be canonical, but may be).
	c, _ := jcs.Canonicalize([]byte(workedFile(t)), limits.Default())
	if _, err := Parse(c, limits.Default()); err != nil {
		t.Fatal(err)
	}
	// The bare-PEM file of the first key (§4.1, §8).
	b, err := Parse([]byte(edPEM), limits.Default())
	if err != nil {
		t.Fatalf("bare PEM: %v", err)
	}
	k := b.Keys[0]
	if len(b.Keys) != 1 || b.Threshold != 1 || k.KeyID != edID || k.Scheme != "ed25519" || !k.Producer || k.Approver ||
		k.NotBefore != "" || k.NotAfter != "" || k.RevokedAt != "" {
		t.Fatalf("bare PEM %+v", b)
	}
	if _, err := Parse([]byte(strings.TrimSuffix(edPEM, "\n")), limits.Default()); err != nil {
		t.Errorf("bare PEM without final LF: %v", err)
	}
}

func rsaPEM(t *testing.T) string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestUnusableFiles(t *testing.T) {
	lim := limits.Default()
	w := workedFile(t)
	mod := func(old, new string) string {
		if !strings.Contains(w, old) {
			t.Fatalf("%q not in the trust file", old)
		}
		return strings.Replace(w, old, new, 1)
	}
	edEntry := w[strings.Index(w, "    {"):strings.Index(w, "    },")] + "    }"
	small := lim
	small.JSONMaxBytes = 100
	rsa := rsaPEM(t)
	cases := []struct {
		label, data, detail string
		lim                 limits.Limits
	}{
		{"too large", w, "jcs.too_large", small},
		{"not JSON", `{"version":0,`, "jcs.unexpected_end", lim},
		{"duplicate key", mod(`"version": 0,`, `"version": 0, "version": 0,`), "jcs.duplicate_key", lim},
		{"big integer", mod(`"version": 0`, `"version": 9007199254740992`), "jcs.integer_out_of_range", lim},
		{"BOM", "\xef\xbb\xbf" + w, "jcs.unexpected_character", lim},
		{"empty file", "", "jcs.unexpected_end", lim},
		{"version 1", mod(`"version": 0`, `"version": 1`), DetailSchema, lim},
		{"unknown scheme", mod(`"scheme": "ed25519"`, `"scheme": "ed448"`), DetailSchema, lim},
		{"unknown role", mod(`"producer"
      ]`, `"auditor"
      ]`), DetailSchema, lim},
		{"missing threshold", mod(`"producer": 1`, ``), DetailSchema, lim},
		{"threshold 0", mod(`"producer": 1`, `"producer": 0`), DetailSchema, lim},
		{"unknown member", mod(`"version": 0,`, `"version": 0, "extra": true,`), DetailSchema, lim},
		{"null optional", mod(`"not_after": "2027-11-01T00:00:00Z"`, `"not_after": null`), DetailSchema, lim},
		{"no keys", `{"version":0,"keys":[],"thresholds":{"producer":1}}`, DetailSchema, lim},
		{"not an object", `[]`, DetailSchema, lim},
		{"30 February", mod(`"not_before": "2026-11-01T00:00:00Z"`, `"not_before": "2026-02-30T00:00:00Z"`), DetailSchema, lim},
		{"leap second", mod(`"not_after": "2027-11-01T00:00:00Z"`, `"not_after": "2027-06-30T23:59:60Z"`), DetailSchema, lim},
		{"month 13 revoked_at", mod(`"not_after": "2027-11-01T00:00:00Z"`, `"not_after": "2027-11-01T00:00:00Z", "revoked_at": "2027-13-01T00:00:00Z"`), DetailSchema, lim},
		{"non-canonical base64", mod(`pAp5Q=`, `pAp5R=`), "key.pem_malformed", lim},
		{"PEM DER malformed", mod(`MCowBQYDK2VwAyEAefLLIdo3wNVIQ9sYZ51LGCa/Bl4PpR9ntknEB1pAp5Q=`, `MCwwBQYDK2VwAyEAefLLIdo3wNVIQ9sYZ51LGCa/Bl4PpR9ntknEB1pAp5Q=`), "key.der_malformed", lim},
		{"keyid mismatch", mod(edID, p256ID), DetailKeyIDMismatch, lim},
		{"scheme not allowed", mod(`"scheme": "ed25519"`, `"scheme": "ecdsa-p256-sha256"`), DetailSchemeMismatch, lim},
		{"window reversed", mod(`"not_after": "2027-11-01T00:00:00Z"`, `"not_after": "2026-10-31T23:59:59Z"`), DetailWindow, lim},
		{"duplicate keyid", mod(`"keys": [`, `"keys": [`+edEntry+`,`), DetailDuplicateKeyID, lim},
		{"threshold unreachable", mod(`"producer": 1`, `"producer": 2`), DetailThreshold, lim},
		{"bare PEM RSA", rsa, DetailBarePEMRSA, lim},
		{"bare PEM with CRLF", strings.ReplaceAll(edPEM, "\n", "\r\n"), "key.pem_malformed", lim},
		{"bare PEM with text after", edPEM + "x", "key.pem_malformed", lim},
		{"bare PEM too large", edPEM + strings.Repeat("A", 16384), "key.too_large", lim},
	}
	for _, c := range cases {
		tr, err := Parse([]byte(c.data), c.lim)
		if err == nil {
			t.Errorf("%s: accepted %+v", c.label, tr)
			continue
		}
		if err.Code() != CodeFile || err.Detail != c.detail {
			t.Errorf("%s: %v, want detail %s", c.label, err, c.detail)
		}
	}
	// An RSA key in the JSON form is fine with either RSA scheme, and only with those.
	esc := strings.ReplaceAll(rsa, "\n", `\n`)
	for _, s := range []string{"rsa-pss-sha256", "rsa-pkcs1v15-sha256", "ed25519"} {
		keyid := rsaKeyID(t, rsa)
		doc := `{"version":0,"keys":[{"keyid":"` + keyid + `","scheme":"` + s + `","public_key_pem":"` + esc + `","roles":["producer"]}],"thresholds":{"producer":1}}`
		_, err := Parse([]byte(doc), lim)
		if (s == "ed25519") != (err != nil) {
			t.Errorf("RSA key with %s: %v", s, err)
		}
	}
}

func rsaKeyID(t *testing.T, p string) string {
	doc := `{"version":0,"keys":[{"keyid":"sha256:` + strings.Repeat("0", 64) + `","scheme":"rsa-pss-sha256","public_key_pem":"` + strings.ReplaceAll(p, "\n", `\n`) + `","roles":["producer"]}],"thresholds":{"producer":1}}`
	_, err := Parse([]byte(doc), limits.Default())
	if err == nil || err.Detail != DetailKeyIDMismatch {
		t.Fatalf("rsa keyid: %v", err)
	}
	return err.Msg[strings.LastIndex(err.Msg, " ")+1:]
}

func codes(fs []verdict.Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.Code+"@"+f.Subject)
	}
	return strings.Join(s, " ")
}

func TestJudge(t *testing.T) {
	const (
		created = "2026-11-20T09:01:15Z"
		at      = "2026-12-01T00:00:00Z"
		other   = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
		other2  = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	)
	tr, err := Parse([]byte(workedFile(t)), limits.Default())
	if err != nil {
		t.Fatal(err)
	}
	good := Signature{File: "signatures/a.dsse.json", KeyID: edID, Scheme: "ed25519", SignedAt: "2026-11-20T09:01:16Z"}
	with := func(f func(s *Signature)) Signature { s := good; f(&s); return s }
	untrusted := Signature{File: "signatures/b.dsse.json", KeyID: other, Scheme: "ed25519", SignedAt: "2026-11-20T09:01:16Z"}
	untrusted2 := Signature{File: "signatures/c.dsse.json", KeyID: other2, Scheme: "ed25519", SignedAt: "2026-11-20T09:01:16Z"}
	revoked := *tr
	revoked.Keys = append([]Key(nil), tr.Keys...)
	revoked.Keys[0].RevokedAt = at
	two := *tr
	two.Threshold = 2
	cases := []struct {
		label     string
		tr        *Trust
		created   string
		at        string
		sigs      []Signature
		want      string
		worstCode string
	}{
		{"counted", tr, created, at, []Signature{good}, "ok@signatures/a.dsse.json", ""},
		{"signed_at = created_at", tr, created, at, []Signature{with(func(s *Signature) { s.SignedAt = created })}, "ok@signatures/a.dsse.json", ""},
		{"created_at = at", tr, created, created, []Signature{with(func(s *Signature) { s.SignedAt = created })}, "ok@signatures/a.dsse.json", ""},
		{"created_at in the future", tr, at, "2026-11-30T00:00:00Z", []Signature{with(func(s *Signature) { s.SignedAt = at })},
			"time.future@manifest.json time.future@signatures/a.dsse.json", ""},
		{"signed_at in the future", tr, created, "2026-11-20T09:01:15Z", []Signature{good}, "time.future@signatures/a.dsse.json", ""},
		{"signed before created", tr, created, at, []Signature{with(func(s *Signature) { s.SignedAt = "2026-11-20T09:01:14Z" })},
			"time.signed_before_created@signatures/a.dsse.json", ""},
		{"revoked at = at", &revoked, created, at, []Signature{good}, "time.key_revoked@signatures/a.dsse.json", ""},
		{"window: before not_before", tr, "2026-10-01T00:00:00Z", at, []Signature{with(func(s *Signature) { s.SignedAt = "2026-10-31T23:59:59Z" })},
			"time.key_window@signatures/a.dsse.json", ""},
		{"window: not_before inclusive", tr, "2026-10-01T00:00:00Z", at, []Signature{with(func(s *Signature) { s.SignedAt = "2026-11-01T00:00:00Z" })},
			"ok@signatures/a.dsse.json", ""},
		{"window: after not_after", tr, created, "2028-01-01T00:00:00Z", []Signature{with(func(s *Signature) { s.SignedAt = "2027-11-01T00:00:01Z" })},
			"time.key_window@signatures/a.dsse.json", ""},
		{"untrusted only", tr, created, at, []Signature{untrusted}, "trust.untrusted_key@signatures/b.dsse.json", ""},
		{"wrong scheme is untrusted", tr, created, at, []Signature{with(func(s *Signature) { s.Scheme = "ecdsa-p256-sha256" })},
			"trust.untrusted_key@signatures/a.dsse.json", ""},
		{"approver key is untrusted", tr, created, at, []Signature{{File: "signatures/d.dsse.json", KeyID: p256ID, Scheme: "ecdsa-p256-sha256", SignedAt: good.SignedAt}},
			"trust.untrusted_key@signatures/d.dsse.json", ""},
		{"threshold met, extra untrusted", tr, created, at, []Signature{good, untrusted},
			"ok@signatures/a.dsse.json trust.extra_untrusted_key@signatures/b.dsse.json", ""},
		{"threshold not met", &two, created, at, []Signature{good, untrusted, untrusted2},
			"ok@signatures/a.dsse.json trust.untrusted_key@signatures/b.dsse.json trust.untrusted_key@signatures/c.dsse.json trust.threshold@signatures/", ""},
		{"n = 0 with revoked: no threshold", &revoked, created, at, []Signature{good, untrusted},
			"time.key_revoked@signatures/a.dsse.json trust.untrusted_key@signatures/b.dsse.json", ""},
		{"untrusted in the future keeps time.future", tr, created, created, []Signature{untrusted}, "time.future@signatures/b.dsse.json", ""},
		{"no signatures", tr, created, at, nil, "", ""},
	}
	for _, c := range cases {
		got := Judge(c.tr, c.created, c.at, c.sigs)
		if codes(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.label, codes(got), c.want)
		}
	}
	// Severities of §7.
	sev := map[string]verdict.Severity{}
	for _, c := range cases {
		for _, f := range Judge(c.tr, c.created, c.at, c.sigs) {
			sev[f.Code] = f.Severity
		}
	}
	want := map[string]verdict.Severity{"ok": verdict.OK, CodeTimeFuture: verdict.Indeterminate, CodeSignedBeforeCreated: verdict.Fail,
		CodeKeyRevoked: verdict.Fail, CodeKeyWindow: verdict.Fail, CodeUntrustedKey: verdict.Untrusted,
		CodeExtraUntrustedKey: verdict.Warn, CodeThreshold: verdict.Fail}
	for code, s := range want {
		if sev[code] != s {
			t.Errorf("%s severity %s, want %s", code, sev[code], s)
		}
	}
}
