// Package jcs parses JSON strictly and writes it in the canonical form of RFC 8785 (JCS), as
// spec/primitives.md §2 requires of every signed or hashed JSON document in Clyra evidence.
package jcs

import "fmt"

// Codes of spec/verdicts.md §4 (section jcs). Every rejection carries one of them.
const (
	CodeTooLarge          = "jcs.too_large"
	CodeUnexpectedEnd     = "jcs.unexpected_end"
	CodeUnexpectedChar    = "jcs.unexpected_character"
	CodeTrailingChars     = "jcs.trailing_characters"
	CodeInvalidUTF8       = "jcs.invalid_utf8"
	CodeControlCharacter  = "jcs.control_character"
	CodeInvalidEscape     = "jcs.invalid_escape"
	CodeLoneSurrogate     = "jcs.lone_surrogate"
	CodeInvalidNumber     = "jcs.invalid_number"
	CodeNonFinite         = "jcs.non_finite"
	CodeNumberTooLong     = "jcs.number_too_long"
	CodeNumberOverflow    = "jcs.number_overflow"
	CodeIntegerOutOfRange = "jcs.integer_out_of_range"
	CodeDuplicateKey      = "jcs.duplicate_key"
	CodeTooDeep           = "jcs.too_deep"
	CodeStringTooLong     = "jcs.string_too_long"
	CodeTooManyEntries    = "jcs.too_many_entries"
	CodeTooManyValues     = "jcs.too_many_values"
	CodeNotCanonical      = "jcs.not_canonical"
)

// Error is a rejection of JSON input: a stable code and the byte offset where the problem was
// found (spec: primitives.md §2.3).
type Error struct {
	code   string
	offset int64
	detail string
}

func newError(code string, offset int, detail string) *Error {
	return &Error{code: code, offset: int64(offset), detail: detail}
}

// Code returns the registered code, e.g. "jcs.duplicate_key".
func (e *Error) Code() string { return e.code }

// Offset returns the byte offset into the input where the problem was found.
func (e *Error) Offset() int64 { return e.offset }

// Error returns the code, offset and a lowercase message.
func (e *Error) Error() string {
	return fmt.Sprintf("%s at byte %d: %s", e.code, e.offset, e.detail)
}
