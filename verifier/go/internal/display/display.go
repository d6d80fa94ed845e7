// Package display shows strings from evidence to people (spec/verdicts.md §3.3): control and
// bidirectional characters become visible escapes, so a hostile bundle, receipt or trust file
// cannot move the cursor, erase a line or print a forged verdict on a terminal. JSON output
// never goes through it.
package display

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// IsUnsafe reports whether r must not reach a terminal raw: C0 controls (TAB and LF included),
// DEL, C1 controls, the bidirectional marks, embeddings, overrides and isolates, and the line
// and paragraph separators.
func IsUnsafe(r rune) bool {
	switch {
	case r <= 0x1f, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x2028 && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// Escape returns s as it may be shown to a person: each unsafe rune written `\t`, `\n`, `\r`,
// `\xHH` (below U+0080) or `\u{H…}`, and `\` doubled so that the escapes are unambiguous.
// Invalid UTF-8 bytes are written `\xHH` too.
func Escape(s string) string {
	return escape(s, true, false)
}

// Report returns a whole report with every unsafe rune but LF escaped as Escape does, and `\`
// left alone: the backstop for a field that was not escaped on its own.
func Report(s string) string {
	return escape(s, false, true)
}

func escape(s string, doubleBackslash, keepLF bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\\' && doubleBackslash:
			b.WriteString(`\\`)
		case r == '\n' && keepLF:
			b.WriteByte('\n')
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case IsUnsafe(r) && r < 0x80:
			fmt.Fprintf(&b, "\\x%02x", r)
		case IsUnsafe(r):
			fmt.Fprintf(&b, "\\u{%x}", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Writer wraps w so that everything written through it is passed through Report: every message
// the command prints for people, whatever it quotes, reaches the terminal without a raw control
// or bidirectional character. Each Write is escaped on its own (fmt.Fprintln writes a line at
// once).
func Writer(w io.Writer) io.Writer {
	return reportWriter{w}
}

type reportWriter struct{ w io.Writer }

func (r reportWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, Report(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
