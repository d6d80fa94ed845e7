package journal

import (
	"fmt"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
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
