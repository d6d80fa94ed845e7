package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

// worked returns the canonical DEF and PEF worked manifests of def-v0.md and pef-v0.md.
func worked(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	for _, ex := range specdoc.Examples(t) {
		if strings.HasPrefix(ex.Stem, "manifest-") && !ex.Counter {
			c, err := jcs.Canonicalize(ex.JSON, limits.Default())
			if err != nil {
				t.Fatal(err)
			}
			out[ex.Stem] = c
		}
	}
	if len(out) != 2 {
		t.Fatalf("worked manifests: %d", len(out))
	}
	return out
}

func TestWorkedManifests(t *testing.T) {
	for stem, data := range worked(t) {
		m, f := Check(data, limits.Default())
		if f != nil {
			t.Errorf("%s: %+v", stem, *f)
			continue
		}
		if !DerivedLooking(m.BundleID) {
			t.Errorf("%s: bundle_id %s is not derived", stem, m.BundleID)
		}
		if len(m.Warnings) != 0 {
			t.Errorf("%s: warnings %+v", stem, m.Warnings)
		}
	}
}

// TestBundleIDWorkedExample is bundle-v0.md §8.6.
func TestBundleIDWorkedExample(t *testing.T) {
	change, err := jcs.Parse([]byte(`{"actor":"dana@example.com","environment":"production","kind":"schema","subject":"model.shop.orders"}`), limits.Default())
	if err != nil {
		t.Fatal(err)
	}
	root := "sha256:40275dbfb8404b851ca4b4c2cef24beff79acb4dda7bd75c9f6c1852d73456d0"
	in, err := DerivationInput(change, "2026-11-20T09:01:15Z", "def/v0", root)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"change":{"actor":"dana@example.com","environment":"production","kind":"schema","subject":"model.shop.orders"},"created_at":"2026-11-20T09:01:15Z","format":"def/v0","merkle_root":"` + root + `"}`
	sum := sha256.Sum256(in)
	if string(in) != want || len(in) != 254 || hex.EncodeToString(sum[:]) != "9b1e65ea9d63e473b86cc787f851ad93b5e72bf9dc4415cc94ae4c62a03c8506" {
		t.Fatalf("derivation input %d bytes %s", len(in), in)
	}
	id, _ := DeriveBundleID(change, "2026-11-20T09:01:15Z", "def/v0", root)
	if id != "b-9b1e65ea9d63e473b86cc787f851ad93" {
		t.Fatalf("bundle_id %s", id)
	}
	// The approval payload_hash of §8.6: the digest of JCS(change).
	c, _ := jcs.Marshal(change)
	ph := sha256.Sum256(c)
	if hex.EncodeToString(ph[:]) != "de7585e70d87c4a1f1cf3b0edfeaf808a8734e05e9bc51164bdb4b3638eaf6dd" {
		t.Fatalf("payload_hash %x", ph)
	}
}

// TestCodes reaches every code of §5.18 from the worked DEF (and PEF) manifest.
func TestCodes(t *testing.T) {
	lim := limits.Default()
	all := worked(t)
	def, pef := string(all["manifest-def-v0"]), string(all["manifest-pef-v0"])
	recanon := func(s string) []byte {
		c, err := jcs.Canonicalize([]byte(s), lim)
		if err != nil {
			t.Fatalf("%v in %s", err, s)
		}
		return c
	}
	mod := func(base, old, new string) []byte {
		if !strings.Contains(base, old) {
			t.Fatalf("%q not in the manifest", old)
		}
		return recanon(strings.Replace(base, old, new, 1))
	}
	// A derived bundle_id replaced by a host-given one, so that later changes of created_at,
	// change or format do not trip item 7 first.
	bid := def[strings.Index(def, `"bundle_id":"`)+13:][:34]
	host := func(s string) string { return strings.Replace(s, bid, "host:run-42", 1) }
	cases := []struct {
		label string
		data  []byte
		code  string
		sev   verdict.Severity
	}{
		{"not JSON", []byte(`{"format":`), CodeJSON, verdict.Fail},
		{"duplicate key", []byte(`{"format":"def/v0","format":"def/v0"}`), CodeJSON, verdict.Fail},
		{"not an object", []byte(`[]`), CodeJSON, verdict.Fail},
		{"not canonical", append([]byte(def), '\n'), CodeNotCanonical, verdict.Fail},
		{"not canonical (spaces)", []byte(strings.Replace(def, `":`, `": `, 1)), CodeNotCanonical, verdict.Fail},
		{"format def/v1", mod(def, `"format":"def/v0"`, `"format":"def/v1"`), CodeFormatUnknown, verdict.Indeterminate},
		{"format xyz", []byte(`{"format":"xyz"}`), CodeFormatUnknown, verdict.Indeterminate},
		{"format absent", []byte(`{"bundle_id":"x"}`), CodeSchema, verdict.Fail},
		{"format not a string", []byte(`{"format":0}`), CodeSchema, verdict.Fail},
		{"unknown member", mod(def, `{"anchors"`, `{"aaa":1,"anchors"`), CodeSchema, verdict.Fail},
		{"missing member", mod(def, `"extensions":{},`, ``), CodeSchema, verdict.Fail},
		{"def manifest labelled pef", mod(host(def), `"format":"def/v0"`, `"format":"pef/v0"`), CodeSchema, verdict.Fail},
		{"created_at 30 February", mod(def, `"created_at":"2026-11-20T09:00:47Z"`, `"created_at":"2026-02-30T09:00:47Z"`), CodeTime, verdict.Fail},
		{"created_at leap second", mod(def, `"created_at":"2026-11-20T09:00:47Z"`, `"created_at":"2026-12-31T23:59:60Z"`), CodeTime, verdict.Fail},
		{"created_at pattern", mod(def, `"created_at":"2026-11-20T09:00:47Z"`, `"created_at":"2026-11-20 09:00:47Z"`), CodeSchema, verdict.Fail},
		{"artifacts unsorted", mod(def, `"path":"artifacts/compiled/orders.sql"`, `"path":"artifacts/zz/orders.sql"`), CodeSchema, verdict.Fail},
		{"artifacts duplicate", mod(def, `"path":"artifacts/compiled/orders.sql"`, `"path":"artifacts/dbt/manifest.json"`), CodeSchema, verdict.Fail},
		{"bundle_id mismatch", mod(def, bid, bid[:33]+string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", bid[33])+1)%16])), CodeBundleIDMismatch, verdict.Fail},
		{"created_at changed", mod(def, `"created_at":"2026-11-20T09:00:47Z"`, `"created_at":"2026-11-20T09:00:48Z"`), CodeBundleIDMismatch, verdict.Fail},
		{"change changed", mod(def, `"subject":"model.shop.orders"`, `"subject":"model.shop.order"`), CodeBundleIDMismatch, verdict.Fail},
	}
	for _, c := range cases {
		_, f := Check(c.data, lim)
		if f == nil {
			t.Errorf("%s: passed, want %s", c.label, c.code)
			continue
		}
		if f.Code != c.code || f.Severity != c.sev {
			t.Errorf("%s: %+v, want %s", c.label, *f, c.code)
		}
	}
	// Host-given identifiers are not recomputed.
	if _, f := Check(mod(host(def), `"created_at":"2026-11-20T09:00:47Z"`, `"created_at":"2026-11-20T09:00:48Z"`), lim); f != nil {
		t.Errorf("host-given bundle_id: %+v", *f)
	}
	// Item 8: unknown extensions warn once per key, in key order; mcp/c2pa are known for pef/v0
	// only.
	m, f := Check(mod(def, `"extensions":{}`, `"extensions":{"zeta":1,"mcp":{},"alpha":[]}`), lim)
	if f != nil {
		t.Fatalf("def extensions: %+v", *f)
	}
	if len(m.Warnings) != 3 || m.Warnings[0].Detail != "alpha" || m.Warnings[1].Detail != "mcp" || m.Warnings[2].Detail != "zeta" ||
		m.Warnings[0].Code != CodeUnknownExtension || m.Warnings[0].Severity != verdict.Warn {
		t.Errorf("def warnings %+v", m.Warnings)
	}
	m, f = Check(mod(pef, `"extensions":{`, `"extensions":{"x-vendor":true,`), lim)
	if f != nil {
		t.Fatalf("pef extensions: %+v", *f)
	}
	if len(m.Warnings) != 1 || m.Warnings[0].Detail != "x-vendor" {
		t.Errorf("pef warnings %+v", m.Warnings)
	}
	// Order: item 5 (time) before item 7 (bundle id) before item 8.
	if _, f := Check(mod(def, `"created_at":"2026-11-20T09:00:47Z"`, `"created_at":"2026-13-20T09:00:47Z"`), lim); f == nil || f.Code != CodeTime {
		t.Errorf("time before bundle id: %+v", f)
	}
}
