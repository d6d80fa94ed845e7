package jcs

import (
	"bytes"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// FuzzParse checks that Parse never panics and that canonical output re-parses and is a fixed
// point of canonicalization.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"b":[1,2.5,-0,1e30,"x"],"a":{"\u00e9":null,"\ud83d\ude02":true}}`,
		`[9007199254740991,1e21,5e-324,0.000001,1e-7]`,
		`{"a":1,"\u0061":2}`, `"\ud800"`, "\"\xff\"", `[01]`, `NaN`, `9e18`, `[[[[]]]]`,
		`[1e0005,1e-9999,1e10000]`, "[1." + strings.Repeat("0", 797) + "1]",
	} {
		f.Add([]byte(s))
	}
	lim := limits.Default()
	f.Fuzz(func(t *testing.T, data []byte) {
		canon, err := Canonicalize(data, lim)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		again, err := Canonicalize(canon, lim)
		if err != nil {
			t.Fatalf("canonical output %q does not parse: %v", canon, err)
		}
		if !bytes.Equal(again, canon) {
			t.Fatalf("not a fixed point: %q then %q", canon, again)
		}
		if err := CheckCanonical(canon, lim); err != nil {
			t.Fatalf("CheckCanonical(%q): %v", canon, err)
		}
	})
}
