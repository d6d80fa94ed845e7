package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
)

// trustExample is the trust file of trust-v0.md §8.
func trustExample(t *testing.T) string {
	t.Helper()
	for _, ex := range specdoc.Examples(t) {
		if ex.Stem == "trust-v0" && !ex.Counter {
			return string(ex.JSON)
		}
	}
	t.Fatal("no trust-v0 example in spec/")
	return ""
}

func TestVerifyCommand(t *testing.T) {
	trustPath := write(t, trustExample(t))
	at := "2026-11-21T00:00:00Z"
	errShape := func(code string) string {
		return `{"outcome":"ERROR","primary":"` + code + `","exit":4,"checks":[]}`
	}
	policyErr := func(detail string) string { // policy-v1.md §1.3, conformance.md §6.6
		return `{"outcome":"ERROR","primary":"policy.file","exit":4,"checks":[],"detail":"` + detail + `"}`
	}
	cases := []struct {
		name string
		args []string
		want string // the whole line when an ERROR shape; else the expected primary
		exit int
	}{
		{"bad trust", []string{"verify", write(t, "PK"), "--trust", write(t, `{"version":0}`), "--at", at}, `{"outcome":"ERROR","primary":"trust.file","exit":4,"checks":[],"detail":"schema"}`, 4},
		{"bad policy", []string{"verify", write(t, "PK"), "--trust", trustPath, "--at", at, "--policy", write(t, `{"a":1,"a":2}`)}, policyErr("jcs.duplicate_key"), 4},
		{"policy not an object", []string{"verify", write(t, "PK"), "--trust", trustPath, "--at", at, "--policy", write(t, `[]`)}, policyErr("policy.schema"), 4},
		{"policy off schema", []string{"verify", write(t, "PK"), "--trust", trustPath, "--at", at, "--policy", write(t, `{"rules":[],"version":1}`)}, policyErr("policy.schema"), 4},
		{"policy with a BOM", []string{"verify", write(t, "PK"), "--trust", trustPath, "--at", at, "--policy", write(t, "\xEF\xBB\xBF"+`{"version":1}`)}, policyErr("policy.bom"), 4},
		{"policy over L36", []string{"verify", write(t, "PK"), "--trust", trustPath, "--at", at, "--policy", write(t, `{"version":1}`+strings.Repeat(" ", 1<<20))}, policyErr("policy.too_large"), 4},
		{"policy YAML 1.1", []string{"verify", write(t, "PK"), "--trust", trustPath, "--at", at, "--policy", write(t, "%YAML 1.1\n---\nversion: 1\n")}, policyErr("jcs.unexpected_character"), 4},
		{"unreadable trust", []string{"verify", write(t, "PK"), "--trust", trustPath + ".absent", "--at", at}, errShape("cli.io"), 4},
		{"garbage bundle", []string{"verify", write(t, "not a zip"), "--trust", trustPath, "--at", at}, "zip.eocd", 1},
		{"flags first", []string{"verify", "--at=" + at, "--trust", trustPath, write(t, "")}, "zip.eocd", 1},
	}
	for _, c := range cases {
		out, code := call(t, c.args...)
		if code != c.exit {
			t.Errorf("%s: exit %d, want %d (%s)", c.name, code, c.exit, out)
		}
		if strings.HasPrefix(c.want, "{") {
			if out != c.want {
				t.Errorf("%s: got %s, want %s", c.name, out, c.want)
			}
			continue
		}
		var v struct {
			Outcome string           `json:"outcome"`
			Primary string           `json:"primary"`
			Exit    int              `json:"exit"`
			Checks  []map[string]any `json:"checks"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%s: %v: %s", c.name, err, out)
		}
		if v.Outcome != "INVALID" || v.Primary != c.want || v.Exit != c.exit || len(v.Checks) != 11 {
			t.Errorf("%s: got %s", c.name, out)
		}
	}
}

// TestOpenBundle: a regular file is read in place with its size clamped to max+1 (as readFile
// reads at most max+1 bytes), so an oversized bundle meets the same zip.size_limit.
func TestOpenBundle(t *testing.T) {
	path := write(t, "0123456789")
	for _, c := range []struct{ max, size int64 }{{100, 10}, {10, 10}, {9, 10}, {4, 5}} {
		b, err := openBundle(path, c.max)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, c.size)
		if n, err := b.r.ReadAt(buf, 0); b.size != c.size || n != int(c.size) || err != nil || string(buf) != "0123456789"[:c.size] {
			t.Errorf("max %d: size %d, read %d %v %q", c.max, b.size, n, err, buf)
		}
		b.close()
	}
	if _, err := openBundle(path+".missing", 10); err == nil {
		t.Error("a missing file opened")
	}
}

// TestVerifyLedgerProof: `verify --ledger-proof` (conformance.md §6.4) applies rule 5a and appends
// the receipt's ledger checks; a trust file without ledger_keys is the ERROR ledger.key.
func TestVerifyLedgerProof(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(specdoc.Root(t), "vectors", "*-witness-revoked-key-cosigned-before"))
	if len(dirs) != 1 {
		t.Fatalf("vector: %v", dirs)
	}
	dir := dirs[0]
	bundle, trustPath, proof := filepath.Join(dir, "bundle.zip"), filepath.Join(dir, "trust.json"), filepath.Join(dir, "ledger-proof.json")
	out, code := call(t, "verify", bundle, "--trust", trustPath, "--at", "2026-12-01T00:00:00Z", "--ledger-proof", proof)
	var v struct {
		Primary string
		Checks  []struct{ Step, Code, Subject string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 2 || v.Primary != "time.key_revoked_witnessed" {
		t.Fatalf("exit %d: %s", code, out)
	}
	// The five ledger checks follow the bundle's own, all passing.
	ledgerChecks := 0
	for _, c := range v.Checks {
		if c.Step == "ledger" {
			ledgerChecks++
			if c.Code != "ok" {
				t.Errorf("ledger check %s: %s", c.Subject, c.Code)
			}
		}
	}
	if ledgerChecks != 5 {
		t.Errorf("%d ledger checks: %s", ledgerChecks, out)
	}
	// Without the receipt: rule 5.
	if out, code := call(t, "verify", bundle, "--trust", trustPath, "--at", "2026-12-01T00:00:00Z"); code != 1 || !strings.Contains(out, `"primary":"time.key_revoked"`) {
		t.Errorf("no receipt: %d %s", code, out)
	}
	// No ledger key in the trust file.
	data, err := os.ReadFile(trustPath)
	if err != nil {
		t.Fatal(err)
	}
	var tr map[string]any
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatal(err)
	}
	delete(tr, "ledger_keys")
	plain, _ := json.Marshal(tr)
	if out, code := call(t, "verify", bundle, "--trust", write(t, string(plain)), "--at", "2026-12-01T00:00:00Z", "--ledger-proof", proof); code != 4 || out != `{"outcome":"ERROR","primary":"ledger.key","exit":4,"checks":[]}` {
		t.Errorf("no ledger key: %d %s", code, out)
	}
}
