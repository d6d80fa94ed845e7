package journal

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
)

// synthJournal builds a valid journal of n events shaped like benches/bundle_scale.sh's
// (kind model.finished, data {"n": i}), with its manifest values.
func synthJournal(n int) ([]byte, Manifest) {
	var b []byte
	prev := ZeroDigest
	for i := 0; i < n; i++ {
		line := fmt.Sprintf(`{"at":"2026-11-20T08:59:00Z","data":{"n":%d},"kind":"model.finished","prev":"%s","seq":%d}`, i, prev, i)
		prev = Digest([]byte(line))
		b = append(append(b, line...), '\n')
	}
	return b, Manifest{CreatedAt: "2026-11-20T09:00:00Z", Count: uint64(n), Head: prev}
}

func TestSynthJournal(t *testing.T) {
	data, m := synthJournal(1000)
	if err := Check(data, m, limits.Default()); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCheck100k is the journal step on a 100,000-event journal (issue 5).
func BenchmarkCheck100k(b *testing.B) {
	data, m := synthJournal(100_000)
	lim := limits.Default()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Check(data, m, lim); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPlainEventAgrees: every event the fast path accepts, the schema accepts; and the fast path
// accepts the ordinary shapes (so the benchmark measures it).
func TestPlainEventAgrees(t *testing.T) {
	lim := limits.Default()
	base := map[string]string{
		"at":   `"2026-11-20T08:59:00Z"`,
		"data": `{"n":1}`,
		"kind": `"model.finished"`,
		"prev": `"` + ZeroDigest + `"`,
		"seq":  `0`,
	}
	variants := map[string][]string{
		"at":   {`"2026-11-20T08:59:00Z"`, `"2026-11-20T08:59:00"`, `"2026-11-20 08:59:00Z"`, `"2026-11-20T08:59:00.1Z"`, `"x026-11-20T08:59:00Z"`, `1`, `"2026-13-40T99:99:99Z"`},
		"data": {`{}`, `{"a":[1,2]}`, `[]`, `null`, `"x"`},
		"kind": {`"a.b"`, `"run.started"`, `"a_1.b_2.c3"`, `"a"`, `"A.b"`, `"a..b"`, `"a.b."`, `".a.b"`, `"1a.b"`, `"a._b"`, `"a.b-c"`, `"` + strings.Repeat("a", 250) + `.bcde"`, `"` + strings.Repeat("a", 252) + `.bcd"`, `7`},
		"prev": {`"` + ZeroDigest + `"`, `"sha256:` + strings.Repeat("A", 64) + `"`, `"sha256:` + strings.Repeat("a", 63) + `"`, `"sha512:` + strings.Repeat("a", 64) + `"`, `null`},
		"seq":  {`0`, `1`, `9007199254740991`, `-1`, `1.5`, `"1"`, `1e3`},
	}
	keys := []string{"at", "data", "kind", "prev", "seq"}
	build := func(over string, val string, drop string, extra bool) []byte {
		var b strings.Builder
		b.WriteByte('{')
		first := true
		for _, k := range keys {
			if k == drop {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			v := base[k]
			if k == over {
				v = val
			}
			b.WriteString(`"` + k + `":` + v)
		}
		if extra {
			b.WriteString(`,"zz":1`)
		}
		b.WriteByte('}')
		return []byte(b.String())
	}
	var docs [][]byte
	for k, vs := range variants {
		for _, v := range vs {
			docs = append(docs, build(k, v, "", false))
		}
		docs = append(docs, build("", "", k, false))
	}
	docs = append(docs, build("", "", "", true), []byte(`[]`), []byte(`"x"`))
	plain := 0
	for _, d := range docs {
		v, err := jcs.Parse(d, lim)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if plainEvent(v) {
			plain++
			if err := schema.Validate(schema.JournalEvent, v); err != nil {
				t.Errorf("fast path accepts %s, the schema rejects it: %v", d, err)
			}
		}
	}
	if plain < 10 {
		t.Fatalf("fast path accepted only %d documents", plain)
	}
}
