package sig

import (
	"encoding/hex"
	"testing"
)

func codeOf(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Code()
	}
	if err == nil {
		return "<nil>"
	}
	return "?" + err.Error()
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
