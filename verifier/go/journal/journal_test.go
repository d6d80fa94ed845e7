package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/merkle"
)

const (
	createdAt = "2026-11-20T09:01:15Z"
	head      = "sha256:9bc808f9d5d8854adc57bf06281d924dd92b8076f25bd807ef36f6d52f6cbb0a"
	record    = `{"path":"artifacts/run_results.json","sha256":"8492fc4aeee27e38f6f740277dcedc2cbda876ba6cae2329e18f0350f5836bc5","size":199}`
	root      = "40275dbfb8404b851ca4b4c2cef24beff79acb4dda7bd75c9f6c1852d73456d0"
)

// workedLines returns the three canonical lines of bundle-v0.md §8.1–§8.3, read from the spec.
func workedLines(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, ex := range specdoc.Examples(t) {
		if ex.File == "bundle-v0.md" && ex.Stem == "journal-event-v0" && !ex.Counter {
			c, err := jcs.Canonicalize(ex.JSON, limits.Default())
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
	}
	if len(out) != 3 {
		t.Fatalf("%d worked journal lines in bundle-v0.md, want 3", len(out))
	}
	return out
}

func join(lines [][]byte) []byte {
	var b []byte
	for _, l := range lines {
		b = append(append(b, l...), '\n')
	}
	return b
}

func worked() Manifest { return Manifest{CreatedAt: createdAt, Count: 3, Head: head} }

func TestWorkedJournal(t *testing.T) {
	lines := workedLines(t)
	data := join(lines)
	sum := sha256.Sum256(data)
	if len(data) != 735 || hex.EncodeToString(sum[:]) != "c56f6178b336ca85ad171420a8e5541ca1b52a9bcd26609ec4f70b2a94af85ab" {
		t.Fatalf("journal.ndjson %d bytes %x", len(data), sum)
	}
	if err := Check(data, worked(), limits.Default()); err != nil {
		t.Fatalf("worked journal: %v", err)
	}
	if Digest(lines[2]) != head {
		t.Fatal("head")
	}
	leaves := append(Lines(data), []byte(record))
	r := merkle.Root(leaves)
	if hex.EncodeToString(r[:]) != root {
		t.Fatalf("merkle root %x", r)
	}
}

func TestLines(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{{"", nil}, {"a\n", []string{"a"}}, {"a", []string{"a"}}, {"a\n\nb\n", []string{"a", "", "b"}}, {"\n", []string{""}}} {
		got := Lines([]byte(c.in))
		if len(got) != len(c.want) {
			t.Errorf("%q: %q", c.in, got)
			continue
		}
		for i := range got {
			if string(got[i]) != c.want[i] {
				t.Errorf("%q: %q", c.in, got)
			}
		}
	}
}

func canon(t *testing.T, s string) []byte {
	c, err := jcs.Canonicalize([]byte(s), limits.Default())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMutations(t *testing.T) {
	lim := limits.Default()
	lines := workedLines(t)
	check := func(label string, data []byte, m Manifest, lim limits.Limits, code string, line int, detail string) {
		t.Helper()
		err := Check(data, m, lim)
		if err == nil {
			t.Errorf("%s: accepted, want %s", label, code)
			return
		}
		if err.Code != code || err.Line != line || (detail != "" && err.Detail != detail) {
			t.Errorf("%s: %v, want %s line %d %s", label, err, code, line, detail)
		}
	}
	l0, l1, l2 := lines[0], lines[1], lines[2]
	ls := func(ls ...[]byte) []byte { return join(ls) }
	check("empty", nil, worked(), lim, CodeEmpty, -1, "")
	check("no trailing LF", ls(l0, l1, l2)[:733], worked(), lim, CodeNoTrailingNewline, -1, "")
	check("empty line", append(ls(l0, l1), append([]byte{'\n'}, append(l2, '\n')...)...), worked(), lim, CodeNoTrailingNewline, 2, "")
	check("CRLF", bytes.ReplaceAll(ls(l0, l1, l2), []byte("\n"), []byte("\r\n")), worked(), lim, CodeNotCanonical, 0, jcs.CodeNotCanonical)
	check("BOM", append([]byte("\xef\xbb\xbf"), ls(l0, l1, l2)...), worked(), lim, CodeNotCanonical, 0, "")
	small := lim
	small.JournalMaxEvents = 2
	check("too many events", ls(l0, l1, l2), worked(), small, CodeTooManyEvents, 2, "")
	small = lim
	small.JournalMaxLineBytes = 265
	check("line too long", ls(l0, l1, l2), worked(), small, CodeLineTooLong, 1, "")
	check("reorder", ls(l0, l2, l1), worked(), lim, CodeSeq, 1, "")
	check("remove line 1", ls(l0, l2), worked(), lim, CodeSeq, 1, "")
	check("remove line 0", ls(l1, l2), worked(), lim, CodeSeq, 0, "")
	extra := canon(t, `{"at":"2026-11-20T09:00:30Z","data":{},"kind":"x.y","prev":"`+Digest(l0)+`","seq":1}`)
	check("insert", ls(l0, extra, l1, l2), worked(), lim, CodeSeq, 2, "")
	brokenPrev := bytes.Replace(l1, []byte("f5e0056e"), []byte("f5e0056f"), 1)
	check("broken prev", ls(l0, brokenPrev, l2), worked(), lim, CodePrev, 1, "")
	wrongSeq := bytes.Replace(l2, []byte(`"seq":2`), []byte(`"seq":3`), 1)
	check("wrong seq", ls(l0, l1, wrongSeq), worked(), lim, CodeSeq, 2, "")
	spaced := bytes.Replace(l1, []byte(`"seq":1`), []byte(`"seq": 1`), 1)
	check("non-canonical line", ls(l0, spaced, l2), worked(), lim, CodeNotCanonical, 1, jcs.CodeNotCanonical)
	dup := bytes.Replace(l1, []byte(`{"at"`), []byte(`{"at":"x","at"`), 1)
	check("duplicate key", ls(l0, dup, l2), worked(), lim, CodeNotCanonical, 1, jcs.CodeDuplicateKey)
	badSchema := canon(t, `{"at":"2026-11-20T09:00:00Z","data":{},"kind":"started","prev":"`+ZeroDigest+`","seq":0}`)
	check("schema", ls(badSchema), worked(), lim, CodeSchema, 0, "")
	badTime := canon(t, `{"at":"2026-02-30T09:00:00Z","data":{},"kind":"run.started","prev":"`+ZeroDigest+`","seq":0}`)
	check("invalid time", ls(badTime), worked(), lim, CodeSchema, 0, "")
	leap := canon(t, `{"at":"2026-06-30T23:59:60Z","data":{},"kind":"run.started","prev":"`+ZeroDigest+`","seq":0}`)
	check("leap second", ls(leap), worked(), lim, CodeSchema, 0, "")
	// Time backwards: line 1 at 08:59:59, with line 2's prev chained to it.
	back := canon(t, strings.Replace(string(l1), "2026-11-20T09:00:41Z", "2026-11-20T08:59:59Z", 1))
	check("time backwards", ls(l0, back), worked(), lim, CodeTimeOrder, 1, "")
	m := worked()
	m.CreatedAt = "2026-11-20T09:01:11Z"
	check("event after created_at", ls(l0, l1, l2), m, lim, CodeTimeOrder, 2, "")
	m = worked()
	m.CreatedAt = "2026-11-20T09:01:12Z" // equal passes
	if err := Check(ls(l0, l1, l2), Manifest{CreatedAt: m.CreatedAt, Count: 3, Head: head}, lim); err != nil {
		t.Errorf("at = created_at: %v", err)
	}
	m = worked()
	m.Count = 4
	check("count", ls(l0, l1, l2), m, lim, CodeCountMismatch, -1, "")
	m = worked()
	m.Head = Digest(l1)
	check("head", ls(l0, l1, l2), m, lim, CodeHeadMismatch, -1, "")
	// A prefix of the journal: count first, then head.
	check("truncated journal", ls(l0, l1), worked(), lim, CodeCountMismatch, -1, "")
	m = worked()
	m.Count = 2
	check("truncated journal, count adjusted", ls(l0, l1), m, lim, CodeHeadMismatch, -1, "")
}
