// Package journal checks journal.ndjson (bundle-v0.md §3.5) and splits it into the Merkle leaves
// of §4.1.
package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
	"github.com/clyra-dev/clyra/verifier/go/timefmt"
)

// Codes of the journal step (verdicts.md "journal"), all severity fail.
const (
	CodeEmpty             = "journal.empty"
	CodeNoTrailingNewline = "journal.no_trailing_newline"
	CodeTooManyEvents     = "journal.too_many_events"
	CodeLineTooLong       = "journal.line_too_long"
	CodeNotCanonical      = "journal.not_canonical"
	CodeSchema            = "journal.schema"
	CodeSeq               = "journal.seq"
	CodePrev              = "journal.prev"
	CodeTimeOrder         = "journal.time_order"
	CodeCountMismatch     = "journal.count_mismatch"
	CodeHeadMismatch      = "journal.head_mismatch"
)

// ZeroDigest is the `prev` of line 0.
const ZeroDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// Error is the journal step's first failure. Line is the 0-based line number, or -1 for a check
// of the whole file (items 1, 2, 11, 12). Detail is the jcs.* code for journal.not_canonical.
type Error struct {
	Code   string
	Line   int
	Detail string
	Msg    string
}

func (e *Error) Error() string {
	s := e.Code
	if e.Line >= 0 {
		s += fmt.Sprintf(" (line %d)", e.Line)
	}
	if e.Detail != "" {
		s += " [" + e.Detail + "]"
	}
	return s + ": " + e.Msg
}

// Manifest holds the manifest values the journal is checked against.
type Manifest struct {
	CreatedAt string // created_at
	Count     uint64 // journal.count
	Head      string // journal.head
}

// Digest returns `sha256:` + lowercase hex of SHA-256(b).
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Lines returns the Merkle leaves of §4.1: the pieces of data between LFs, without the empty piece
// after a final LF (so a journal without a trailing LF still yields its last piece, an empty line
// is an empty leaf, and an empty file yields none).
func Lines(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	pieces := bytes.Split(data, []byte{'\n'})
	if data[len(data)-1] == '\n' {
		pieces = pieces[:len(pieces)-1]
	}
	return pieces
}

// EachLine calls yield with each piece Lines would return, in order, without building the list
// (memory stays flat however many lines the journal has), until yield returns false.
func EachLine(data []byte, yield func(n int, line []byte) bool) {
	for n := 0; len(data) > 0; n++ {
		line, rest, found := bytes.Cut(data, []byte{'\n'})
		if !yield(n, line) {
			return
		}
		if !found {
			return
		}
		data = rest
	}
}

// Check runs bundle-v0.md §3.5 in order and returns the first failure, or nil. No line after a
// failing one is checked, and the count and head checks run only when every line passed.
func Check(data []byte, m Manifest, lim limits.Limits) *Error {
	if len(data) == 0 {
		return &Error{Code: CodeEmpty, Line: -1, Msg: "journal.ndjson is empty"}
	}
	if data[len(data)-1] != '\n' {
		return &Error{Code: CodeNoTrailingNewline, Line: -1, Msg: "the last byte is not LF"}
	}
	prevDigest, prevAt := ZeroDigest, ""
	var canon []byte // reused for every line's canonical form
	var parser jcs.Parser
	var failure *Error
	count := 0
	step := func(n int, line []byte) *Error {
		if n >= lim.JournalMaxEvents {
			return &Error{Code: CodeTooManyEvents, Line: n, Msg: fmt.Sprintf("more than %d lines", lim.JournalMaxEvents)}
		}
		if len(line) == 0 {
			return &Error{Code: CodeNoTrailingNewline, Line: n, Msg: "empty line"}
		}
		if int64(len(line)) > lim.JournalMaxLineBytes {
			return &Error{Code: CodeLineTooLong, Line: n, Msg: fmt.Sprintf("line of %d bytes", len(line))}
		}
		v, err := parser.Parse(line, lim)
		if err != nil {
			code := err.Error()
			if je, ok := err.(*jcs.Error); ok {
				code = je.Code()
			}
			return &Error{Code: CodeNotCanonical, Line: n, Detail: code, Msg: err.Error()}
		}
		var cerr error
		if canon, cerr = jcs.CheckCanonicalValue(line, v, canon); cerr != nil {
			return &Error{Code: CodeNotCanonical, Line: n, Detail: jcs.CodeNotCanonical, Msg: cerr.Error()}
		}
		if !plainEvent(v) {
			// Only an event outside the fast path goes to the validator (which may still
			// accept it); the message of a failure is the validator's.
			if err := schema.Validate(schema.JournalEvent, v); err != nil {
				return &Error{Code: CodeSchema, Line: n, Msg: err.Error()}
			}
		}
		atV, _ := v.Get("at")
		at := atV.AsString()
		if !timefmt.Valid(at) {
			return &Error{Code: CodeSchema, Line: n, Msg: "at " + at + " is not a valid time"}
		}
		seq, _ := v.Get("seq")
		if seq.AsNumber() != float64(n) {
			return &Error{Code: CodeSeq, Line: n, Msg: fmt.Sprintf("seq %v on line %d", seq.AsNumber(), n)}
		}
		prev, _ := v.Get("prev")
		if prev.AsString() != prevDigest {
			return &Error{Code: CodePrev, Line: n, Msg: fmt.Sprintf("prev %s, expected %s", prev.AsString(), prevDigest)}
		}
		if n > 0 && timefmt.Compare(at, prevAt) < 0 {
			return &Error{Code: CodeTimeOrder, Line: n, Msg: fmt.Sprintf("at %s before the previous line's %s", at, prevAt)}
		}
		if timefmt.Compare(at, m.CreatedAt) > 0 {
			return &Error{Code: CodeTimeOrder, Line: n, Msg: fmt.Sprintf("at %s after created_at %s", at, m.CreatedAt)}
		}
		prevDigest, prevAt = Digest(line), at
		return nil
	}
	// Lines are visited one at a time: an empty line (or any failure) stops the walk at once,
	// so a journal of millions of empty lines fails at line 0 without a list of its lines.
	EachLine(data, func(n int, line []byte) bool {
		count = n + 1
		failure = step(n, line)
		return failure == nil
	})
	if failure != nil {
		return failure
	}
	if uint64(count) != m.Count {
		return &Error{Code: CodeCountMismatch, Line: -1, Msg: fmt.Sprintf("%d lines, journal.count %d", count, m.Count)}
	}
	if prevDigest != m.Head {
		return &Error{Code: CodeHeadMismatch, Line: -1, Msg: fmt.Sprintf("head %s, journal.head %s", prevDigest, m.Head)}
	}
	return nil
}

// plainEvent reports whether v certainly satisfies journal-event-v0.schema.json: exactly the five
// members at, data, kind, prev and seq, with at, kind and prev matching the schema's patterns
// (kind within its maxLength), data an object and seq an integer in [0, 2^53 − 1]. It is a
// sufficient test only: false means "ask the validator", never "invalid". TestPlainEventAgrees
// checks it against the schema.
func plainEvent(v jcs.Value) bool {
	ms := v.Members()
	if v.Kind() != jcs.KindObject || len(ms) != 5 {
		return false
	}
	var seen uint8
	for _, m := range ms {
		x := m.Value
		switch m.Key {
		case "at":
			if x.Kind() != jcs.KindString || !plainAt(x.AsString()) {
				return false
			}
			seen |= 1
		case "data":
			if x.Kind() != jcs.KindObject {
				return false
			}
			seen |= 2
		case "kind":
			if x.Kind() != jcs.KindString || !plainKind(x.AsString()) {
				return false
			}
			seen |= 4
		case "prev":
			if x.Kind() != jcs.KindString || !plainDigest(x.AsString()) {
				return false
			}
			seen |= 8
		case "seq":
			f := x.AsNumber()
			if x.Kind() != jcs.KindNumber || f < 0 || f > 1<<53-1 || f != math.Trunc(f) {
				return false
			}
			seen |= 16
		default:
			return false
		}
	}
	return seen == 31
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// plainAt is ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$.
func plainAt(s string) bool {
	const form = "dddd-dd-ddTdd:dd:ddZ"
	if len(s) != len(form) {
		return false
	}
	for i := 0; i < len(form); i++ {
		if form[i] == 'd' {
			if !isDigit(s[i]) {
				return false
			}
		} else if s[i] != form[i] {
			return false
		}
	}
	return true
}

// plainKind is ^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$ within 255 characters.
func plainKind(s string) bool {
	if len(s) > 255 {
		return false
	}
	segs := 0
	start := true // at the first byte of a segment
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			start = false
		case isDigit(c) || c == '_':
			if start {
				return false
			}
		case c == '.':
			if start {
				return false
			}
			segs++
			start = true
		default:
			return false
		}
	}
	return !start && segs >= 1
}

// plainDigest is ^sha256:[0-9a-f]{64}$.
func plainDigest(s string) bool {
	if len(s) != 7+64 || s[:7] != "sha256:" {
		return false
	}
	for i := 7; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
