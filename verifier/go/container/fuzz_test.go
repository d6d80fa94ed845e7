package container

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// TestMutationsNeverPanic flips random bytes of a valid bundle: every result is a bundle or a
// container code, never a panic (bundle-v0.md §1.3).
func TestMutationsNeverPanic(t *testing.T) {
	good := build(validRecs(t), eocdOpts{})
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 3000; i++ {
		b := bytes.Clone(good)
		for j := rng.Intn(4) + 1; j > 0; j-- {
			b[rng.Intn(len(b))] = byte(rng.Intn(256))
		}
		if _, err := ReadBytes(b, limits.Default()); err != nil && err.Code == "" {
			t.Fatal("empty code")
		}
	}
}

// FuzzRead: any byte string yields a bundle or a coded error.
func FuzzRead(f *testing.F) {
	f.Add(build(validRecs(f), eocdOpts{}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ReadBytes(data, limits.Default()); err != nil && err.Code == "" {
			t.Fatal("empty code")
		}
	})
}
