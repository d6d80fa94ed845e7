package verify

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// A journal of 30 million empty lines (issue 21): an empty line fails the journal step on its own
// (bundle-v0.md §3.5), and nothing in the verifier may keep a list of the lines. Before the fix
// the line list alone took 720 MB (30 M slice headers).
func TestThirtyMillionEmptyJournalLines(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 30 MB bundle")
	}
	const lines = 30_000_000
	s := defaultSpec(t)
	s.editEntries = func(es []zipEntry) []zipEntry {
		for i := range es {
			if es[i].name == journalName {
				es[i].data = bytes.Repeat([]byte{'\n'}, lines)
			}
		}
		return es
	}
	data := s.build(t)
	tr := producerTrust(t, s)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	v := Bundle(data, tr, verifyAt, testPolicy, limits.Default())
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	check(t, "30 M empty lines", v, triple{Invalid, "journal.no_trailing_newline", 1})
	// The container keeps journal.ndjson (30 MB, bounded by L15, grown by appending: up to 3×
	// its size allocated in all); everything else is small.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("verified in %v, allocated %d MB", elapsed, alloc>>20)
	if alloc > 4*lines {
		t.Errorf("allocated %d bytes for a %d-byte journal: not bounded", alloc, lines)
	}
	// bundle-v0.md §4.1: more than L16 lines, so the Merkle tree is not recomputed.
	for _, c := range v.Checks {
		if c.Step == StepMerkle && c.Code != CodeSkipped {
			t.Errorf("merkle step recorded %s, want skipped", c.Code)
		}
	}
	if elapsed > 10*time.Second {
		t.Errorf("took %v: the flood was hashed", elapsed)
	}
}
