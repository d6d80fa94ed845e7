// Package sig parses public keys strictly and verifies signatures with the schemes of
// spec/signatures.md: ed25519, ecdsa-p256-sha256, rsa-pkcs1v15-sha256 and rsa-pss-sha256.
// Every encoding rule is checked before any cryptographic operation.
package sig

import "fmt"

// Codes of spec/verdicts.md §4 (sections key and sig).
const (
	CodeUnknownScheme        = "key.unknown_scheme"
	CodeKeyTooLarge          = "key.too_large"
	CodePEMMalformed         = "key.pem_malformed"
	CodeDERMalformed         = "key.der_malformed"
	CodeUnsupportedAlgorithm = "key.unsupported_algorithm"
	CodeKeyInvalid           = "key.invalid"
	CodePointNotUncompressed = "key.point_not_uncompressed"
	CodeRSASize              = "key.rsa_size"
	CodeRSAExponent          = "key.rsa_exponent"
	CodeSchemeMismatch       = "sig.scheme_mismatch"
	CodeSigMalformed         = "sig.malformed"
	CodeSigInvalid           = "sig.invalid"
)

// Error is a rejected key, scheme or signature with its stable code.
type Error struct {
	code   string
	detail string
}

// Code returns the registered code, e.g. "sig.invalid".
func (e *Error) Code() string { return e.code }

// Error returns the code and a lowercase message.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.code, e.detail) }

func newError(code, format string, args ...any) *Error {
	return &Error{code: code, detail: fmt.Sprintf(format, args...)}
}
