package verify

import (
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// BenchmarkBundle100k verifies a bundle whose journal holds 100,000 events (issue 5), in memory.
func BenchmarkBundle100k(b *testing.B) {
	s := defaultSpec(b)
	s.events = nil
	for i := 0; i < 100_000; i++ {
		s.events = append(s.events, map[string]any{"at": "2026-11-20T09:00:00Z", "kind": "model.finished", "data": map[string]any{"n": i}})
	}
	data := s.build(b)
	tr := trustFile(b, trustKey{s: s.producers[0], roles: []string{"producer"}})
	lim := limits.Default()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if v := Bundle(data, tr, verifyAt, testPolicy, lim); v.Outcome != Valid {
			b.Fatalf("outcome %s, primary %s", v.Outcome, v.Primary)
		}
	}
}
