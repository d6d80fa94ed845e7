package trust

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

// witnessedTrust is the trust file of vector witness-revoked-key-cosigned-before (one revoked
// producer key, a ledger key and a witness) as JSON members.
func witnessedTrust(t *testing.T) map[string]any {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(specdoc.Root(t), "vectors", "*-witness-revoked-key-cosigned-before", "trust.json"))
	if len(dirs) != 1 {
		t.Fatalf("vector: %v", dirs)
	}
	data, err := os.ReadFile(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// §2.1 and §3.1 item 6: ledger_keys and witnesses, each of its type, or trust.file.
func TestLedgerKeysAndWitnesses(t *testing.T) {
	base := witnessedTrust(t)
	ledger := base["ledger_keys"].([]any)[0].(string)
	witness := base["witnesses"].([]any)[0].(string)
	parse := func(l, w any) (*Trust, *FileError) {
		v := map[string]any{}
		for k, x := range base {
			v[k] = x
		}
		v["ledger_keys"], v["witnesses"] = l, w
		data, _ := json.Marshal(v)
		return Parse(data, limits.Default())
	}
	tr, err := parse([]any{ledger}, []any{witness, witness})
	if err != nil || len(tr.LedgerKeys) != 1 || len(tr.Witnesses) != 2 {
		t.Fatalf("%v %+v", err, tr)
	}
	parts := strings.SplitN(ledger, "+", 3)
	for _, c := range []struct {
		name   string
		l, w   any
		detail string
	}{
		{"witness as ledger key", []any{witness}, []any{witness}, DetailLedgerKey},
		{"ledger key as witness", []any{ledger}, []any{ledger}, DetailWitnessKey},
		{"bad hash", []any{parts[0] + "+00000000+" + parts[2]}, []any{witness}, DetailLedgerKey},
		{"uppercase hash", []any{parts[0] + "+ABCDEF01+" + parts[2]}, []any{witness}, DetailSchema},
		{"empty", []any{}, []any{witness}, DetailSchema},
		{"17 witnesses", []any{ledger}, func() []any {
			a := make([]any, 17)
			for i := range a {
				a[i] = witness
			}
			return a
		}(), DetailSchema},
		{"not a string", []any{1}, []any{witness}, DetailSchema},
	} {
		if _, err := parse(c.l, c.w); err == nil || err.Detail != c.detail {
			t.Errorf("%s: %v, want %s", c.name, err, c.detail)
		}
	}
}

// §6.5.2: rule 5a decides for revoked keys only; strictly before revoked_at; rule 6 still applies.
func TestJudgeWitnessed(t *testing.T) {
	tr, ferr := Parse([]byte(workedFile(t)), limits.Default())
	if ferr != nil {
		t.Fatal(ferr)
	}
	const (
		created = "2026-11-20T09:01:15Z"
		at      = "2026-12-01T00:00:00Z"
		revAt   = "2026-11-25T00:00:00Z"
		revUnix = uint64(1795564800) // 2026-11-25T00:00:00Z
	)
	revoked := *tr
	revoked.Keys = append([]Key(nil), tr.Keys...)
	revoked.Keys[0].RevokedAt = revAt
	sig := Signature{File: "signatures/a.dsse.json", KeyID: edID, Scheme: "ed25519", SignedAt: "2026-11-20T09:01:16Z"}
	cases := []struct {
		label string
		tr    *Trust
		s     Signature
		w     *Witnessed
		want  string
		sev   verdict.Severity
	}{
		{"before", &revoked, sig, &Witnessed{Time: revUnix - 1}, CodeKeyRevokedWitnessed, verdict.Warn},
		{"at", &revoked, sig, &Witnessed{Time: revUnix}, CodeWitnessAfterRevocation, verdict.Fail},
		{"after", &revoked, sig, &Witnessed{Time: revUnix + 1}, CodeWitnessAfterRevocation, verdict.Fail},
		{"untrusted", &revoked, sig, &Witnessed{Code: CodeWitnessUntrusted}, CodeWitnessUntrusted, verdict.Fail},
		{"mismatch", &revoked, sig, &Witnessed{Code: CodeWitnessProofMismatch}, CodeWitnessProofMismatch, verdict.Fail},
		{"no receipt", &revoked, sig, nil, CodeKeyRevoked, verdict.Fail},
		{"not revoked", tr, sig, &Witnessed{Code: CodeWitnessProofMismatch}, "ok", verdict.OK},
		{"witnessed but outside the window", &revoked, Signature{File: sig.File, KeyID: edID, Scheme: "ed25519", SignedAt: "2026-10-31T23:59:59Z"},
			&Witnessed{Time: 0}, CodeKeyWindow, verdict.Fail},
	}
	for _, c := range cases {
		createdAt := created
		if c.s.SignedAt < created {
			createdAt = "2026-10-01T00:00:00Z"
		}
		got := JudgeWitnessed(c.tr, createdAt, at, []Signature{c.s}, c.w)
		if len(got) != 1 || got[0].Code != c.want || got[0].Severity != c.sev {
			t.Errorf("%s: got %+v, want %s", c.label, got, c.want)
		}
	}
	// A witnessed signature counts: no trust.threshold with threshold 1.
	if got := JudgeWitnessed(&revoked, created, at, []Signature{sig, {File: "signatures/b.dsse.json", KeyID: "sha256:" + strings.Repeat("1", 64), Scheme: "ed25519", SignedAt: sig.SignedAt}}, &Witnessed{Time: 0}); codes(got) != "time.key_revoked_witnessed@signatures/a.dsse.json trust.extra_untrusted_key@signatures/b.dsse.json" {
		t.Errorf("counted: %s", codes(got))
	}
}
