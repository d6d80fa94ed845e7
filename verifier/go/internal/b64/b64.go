// Package b64 decodes base64 as spec/signatures.md §5 requires everywhere Clyra carries bytes:
// the standard alphabet, `=` padding, zero pad bits, no whitespace or line breaks.
package b64

import (
	"encoding/base64"
	"errors"
	"strings"
)

var errLineBreak = errors.New("base64 holds a line break")

// Decode returns the bytes of s, or an error when s breaks signatures.md §5. Go's decoder skips
// CR and LF even in strict mode, so they are rejected here first.
func Decode(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errLineBreak
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}

// Encode returns the standard padded base64 of b.
func Encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
