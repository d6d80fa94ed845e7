package verify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/trust"
)

// specExample returns the JSON of the first `<!-- example: stem -->` block in spec/file.
func specExample(t *testing.T, file, stem string) []byte {
	t.Helper()
	for _, e := range specdoc.Examples(t) {
		if e.File == file && e.Stem == stem && !e.Counter {
			return e.JSON
		}
	}
	t.Fatalf("no example %s in %s", stem, file)
	return nil
}

func specTrust(t *testing.T) *trust.Trust {
	t.Helper()
	tr, err := trust.Parse(specExample(t, "trust-v0.md", "trust-v0"), limits.Default())
	if err != nil {
		t.Fatalf("trust: %v", err)
	}
	return tr
}

// editReceipt decodes the spec's receipt, applies f and re-encodes it.
func editReceipt(t *testing.T, f func(map[string]any)) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(specExample(t, "receipt-v0.md", "receipt-v0")))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantVerdict(t *testing.T, name string, v Verdict, outcome, primary string, exit int) {
	t.Helper()
	if v.Outcome != outcome || v.Primary != primary || v.Exit != exit {
		t.Errorf("%s: got %s/%s/%d, want %s/%s/%d\n%s", name, v.Outcome, v.Primary, v.Exit, outcome, primary, exit, v.JSON())
	}
}

func TestReceiptSpecExample(t *testing.T) {
	lim := limits.Default()
	data := specExample(t, "receipt-v0.md", "receipt-v0")
	tr := specTrust(t)
	wantVerdict(t, "after signed_at", Receipt(data, tr, "2026-11-21T00:00:00Z", lim), Valid, "ok", 0)
	wantVerdict(t, "before created_at", Receipt(data, tr, "2026-11-20T10:02:29Z", lim), Indeterminate, "time.future", 3)
	// Between created_at (10:02:30) and signed_at (10:02:31): the signature is from the future.
	wantVerdict(t, "before signed_at", Receipt(data, tr, "2026-11-20T10:02:30Z", lim), Indeterminate, "time.future", 3)

	// The bare PEM of the approver key as trust: the producer key is not trusted.
	approverPEM := "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEapraYH2TpenENEKDYpREMQ0KU/cA\no9pevmuh/xjjUacLAxO9HGUk65cvb3+10cljVCA260TlaNhe+xzkrFf96g==\n-----END PUBLIC KEY-----\n"
	atr, ferr := trust.Parse([]byte(approverPEM), lim)
	if ferr != nil {
		t.Fatal(ferr)
	}
	wantVerdict(t, "approver PEM as trust", Receipt(data, atr, "2026-11-21T00:00:00Z", lim), ValidUntrusted, "trust.untrusted_key", 2)
}

func TestReceiptMutations(t *testing.T) {
	lim := limits.Default()
	tr := specTrust(t)
	at := "2026-11-21T00:00:00Z"
	for _, c := range []struct {
		name    string
		data    []byte
		outcome string
		primary string
		exit    int
	}{
		{"reformatted", editReceipt(t, func(map[string]any) {}), Valid, "ok", 0},
		{"tampered event", editReceipt(t, func(m map[string]any) {
			m["event"].(map[string]any)["data"].(map[string]any)["status"] = "fail"
		}), Invalid, "receipt.proof", 1},
		{"wrong leaf_index", editReceipt(t, func(m map[string]any) { m["leaf_index"] = 1 }), Invalid, "receipt.event_mismatch", 1},
		{"leaf_index beyond journal", editReceipt(t, func(m map[string]any) { m["leaf_index"] = 4 }), Invalid, "receipt.event_mismatch", 1},
		{"flipped proof hash", editReceipt(t, func(m map[string]any) {
			m["proof"].([]any)[0] = "e424848cad0d2fbde59559cd02d66cd2fa27e7290a2eb924e80a73d1d4ce71c5"
		}), Invalid, "receipt.proof", 1},
		{"short proof", editReceipt(t, func(m map[string]any) { m["proof"] = m["proof"].([]any)[:1] }), Invalid, "receipt.proof", 1},
		{"tree_size", editReceipt(t, func(m map[string]any) { m["tree_size"] = 5 }), Invalid, "receipt.proof", 1},
		{"manifest changed", editReceipt(t, func(m map[string]any) {
			// Not an input of bundle_id (change is): the manifest stays valid, only its digest moves.
			m["manifest"].(map[string]any)["producer"].(map[string]any)["version"] = "0.1.1"
		}), Invalid, "statement.subject_mismatch", 1},
		{"format unknown", editReceipt(t, func(m map[string]any) { m["manifest"].(map[string]any)["format"] = "def/v1" }), Indeterminate, "manifest.format_unknown", 3},
		{"manifest schema", editReceipt(t, func(m map[string]any) { delete(m["manifest"].(map[string]any), "risk") }), Invalid, "manifest.schema", 1},
		{"extra member", editReceipt(t, func(m map[string]any) { m["x"] = 1 }), Invalid, "receipt.schema", 1},
		{"keys count", editReceipt(t, func(m map[string]any) { m["keys"] = append(m["keys"].([]any), m["keys"].([]any)[0]) }), Invalid, "receipt.schema", 1},
		{"no envelope", editReceipt(t, func(m map[string]any) { m["envelopes"] = []any{} }), Invalid, "receipt.schema", 1},
		{"not JSON", []byte("{\"type\":"), Invalid, "receipt.schema", 1},
		{"not an object", []byte("[]"), Invalid, "receipt.schema", 1},
		{"too large", make([]byte, lim.ReceiptMaxBytes+1), Invalid, "receipt.too_large", 1},
	} {
		wantVerdict(t, c.name, Receipt(c.data, tr, at, lim), c.outcome, c.primary, c.exit)
	}
}

// TestReceiptNotCovered: every receipt verdict, whatever its outcome, names the steps it does not
// cover (verdicts.md §3.2), in its JSON too; a bundle verdict has no such member.
func TestReceiptNotCovered(t *testing.T) {
	lim := limits.Default()
	data := specExample(t, "receipt-v0.md", "receipt-v0")
	tr := specTrust(t)
	want := `"not_covered":["artifacts","journal","approvals","policy"]`
	for name, v := range map[string]Verdict{
		"valid":      Receipt(data, tr, "2026-11-21T00:00:00Z", lim),
		"not a JSON": Receipt([]byte("not a receipt"), tr, "2026-11-21T00:00:00Z", lim),
	} {
		if !strings.Contains(string(v.JSON()), want) {
			t.Errorf("%s: %s lacks %s", name, v.JSON(), want)
		}
	}
	if b := Bundle([]byte("PK"), tr, "2026-11-21T00:00:00Z", nil, lim); strings.Contains(string(b.JSON()), "not_covered") {
		t.Errorf("a bundle verdict with not_covered: %s", b.JSON())
	}
}
