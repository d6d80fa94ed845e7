package jcs

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// maxSafeInteger is 2^53 − 1, the largest integer literal strict mode accepts (primitives.md §2.2.7).
const maxSafeInteger = 1<<53 - 1

// frame is one open array or object on the parser's explicit stack.
type frame struct {
	object bool
	// start is where this container's items or members begin on the parser's shared
	// p.items / p.members stacks; they are copied out, at their exact size, when it closes.
	start int
	// seen holds the keys met once the object is large (see dupKey); small objects are scanned.
	seen map[string]struct{}
	// dupOffset is the offset of the first repeated key met in this object, or -1; it is
	// reported when the object closes (primitives.md §2.3).
	dupOffset int
	key       string
}

type parser struct {
	data  []byte
	pos   int
	lim   limits.Limits
	stack []frame
	// items and members are the shared scratch stacks of the open containers' contents.
	items   []Value
	members []Member
	// values counts the values begun so far, against maxValues (limits.md L43–L44).
	values, maxValues int
}

// valueBudget is limits.md L43–L44 for a document of n bytes.
func valueBudget(n int, lim limits.Limits) int {
	return lim.JSONValuesBase + n/max(lim.JSONBytesPerValue, 1)
}

// smallObject is the member count up to which a repeated key is found by scanning the members
// instead of through a map.
const smallObject = 16

// count returns the number of items or members the open container f holds so far.
func (p *parser) count(f *frame) int {
	if f.object {
		return len(p.members) - f.start
	}
	return len(p.items) - f.start
}

// dupKey reports whether key was already met in the open object f, and records it.
func (p *parser) dupKey(f *frame, key string) bool {
	if f.seen != nil {
		if _, dup := f.seen[key]; dup {
			return true
		}
		f.seen[key] = struct{}{}
		return false
	}
	ms := p.members[f.start:]
	for i := range ms {
		if ms[i].Key == key {
			return true
		}
	}
	if len(ms) >= smallObject {
		f.seen = make(map[string]struct{}, 2*len(ms))
		for i := range ms {
			f.seen[ms[i].Key] = struct{}{}
		}
		f.seen[key] = struct{}{}
	}
	return false
}

type state uint8

const (
	expectValue state = iota // a value must start here
	expectKey                // an object key must start here
	afterValue               // a value ended inside a container: `,` or the closing bracket
)

// Parse parses data as strict JSON (spec: primitives.md §2.2) within the bounds lim and returns
// its value. Any top-level value is accepted. A rejection is an *Error with the code and offset
// of the first problem met scanning left to right; a duplicate key is reported when its object
// closes, at the offset of the later key's opening quote.
//
// Depth is tracked on an explicit stack, so no input can exhaust the goroutine stack.
func Parse(data []byte, lim limits.Limits) (Value, error) {
	if int64(len(data)) > lim.JSONMaxBytes {
		// spec: limits.md L1; offset = the first byte beyond the limit.
		return Value{}, &Error{code: CodeTooLarge, offset: lim.JSONMaxBytes, detail: "document larger than the size limit"}
	}
	p := &parser{data: data, lim: lim, maxValues: valueBudget(len(data), lim)}
	return p.run()
}

// Parser parses documents one after another as Parse does, reusing its scratch memory between
// them (for the lines of a journal). The zero value is ready; it is not safe for concurrent use.
type Parser struct{ p parser }

// Parse is Parse(data, lim).
func (ps *Parser) Parse(data []byte, lim limits.Limits) (Value, error) {
	if int64(len(data)) > lim.JSONMaxBytes {
		return Parse(data, lim)
	}
	ps.p = parser{data: data, lim: lim, stack: ps.p.stack[:0], items: ps.p.items[:0], members: ps.p.members[:0], maxValues: valueBudget(len(data), lim)}
	return ps.p.run()
}

func (p *parser) run() (Value, error) {
	st := expectValue
	for {
		switch st {
		case expectValue:
			p.skipWS()
			if p.pos >= len(p.data) {
				return Value{}, p.endErr()
			}
			if top := p.top(); top != nil && !top.object && p.count(top) >= p.lim.JSONMaxEntries {
				return Value{}, newError(CodeTooManyEntries, p.pos, "array has more entries than the limit")
			}
			c := p.data[p.pos]
			// spec: limits.md L43–L44, primitives.md §2.3 — the first byte of the first value
			// beyond the budget, before anything else about that value.
			if c == '{' || c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n' || c == '-' || (c >= '0' && c <= '9') {
				p.values++
				if p.values > p.maxValues {
					return Value{}, newError(CodeTooManyValues, p.pos, "the document holds more values than its size allows")
				}
			}
			switch {
			case c == '{' || c == '[':
				if len(p.stack) >= p.lim.JSONMaxDepth {
					return Value{}, newError(CodeTooDeep, p.pos, "nesting deeper than the depth limit")
				}
				f := frame{object: c == '{', dupOffset: -1}
				if f.object {
					f.start = len(p.members)
				} else {
					f.start = len(p.items)
				}
				p.stack = append(p.stack, f)
				p.pos++
				p.skipWS()
				if p.pos >= len(p.data) {
					return Value{}, p.endErr()
				}
				closer := byte(']')
				if f.object {
					closer = '}'
				}
				if p.data[p.pos] == closer {
					p.pos++
					v, done, err := p.closeTop()
					if err != nil || done {
						return v, err
					}
					st = afterValue
					continue
				}
				if f.object {
					st = expectKey
				}
				continue
			case c == '"':
				s, err := p.parseString()
				if err != nil {
					return Value{}, err
				}
				v, done := p.complete(String(s))
				if done {
					return p.finish(v)
				}
			case c == 't' || c == 'f' || c == 'n':
				v, err := p.parseLiteral()
				if err != nil {
					return Value{}, err
				}
				v, done := p.complete(v)
				if done {
					return p.finish(v)
				}
			case c == '-' || (c >= '0' && c <= '9'):
				f, err := p.parseNumber()
				if err != nil {
					return Value{}, err
				}
				v, done := p.complete(Number(f))
				if done {
					return p.finish(v)
				}
			case c == 'N' || c == 'I':
				if p.hasWordAt(p.pos, "NaN") || p.hasWordAt(p.pos, "Infinity") {
					return Value{}, newError(CodeNonFinite, p.pos, "NaN and Infinity are not JSON numbers")
				}
				return Value{}, newError(CodeUnexpectedChar, p.pos, "a value cannot start with this byte")
			default:
				return Value{}, p.badByte(CodeUnexpectedChar, "a value cannot start with this byte")
			}
			st = afterValue
		case expectKey:
			p.skipWS()
			if p.pos >= len(p.data) {
				return Value{}, p.endErr()
			}
			top := p.top()
			if p.data[p.pos] != '"' {
				return Value{}, p.badByte(CodeUnexpectedChar, "expected an object key")
			}
			if p.count(top) >= p.lim.JSONMaxEntries {
				return Value{}, newError(CodeTooManyEntries, p.pos, "object has more members than the limit")
			}
			keyOffset := p.pos
			key, err := p.parseString()
			if err != nil {
				return Value{}, err
			}
			if p.dupKey(top, key) && top.dupOffset < 0 {
				top.dupOffset = keyOffset
			}
			top.key = key
			p.skipWS()
			if p.pos >= len(p.data) {
				return Value{}, p.endErr()
			}
			if p.data[p.pos] != ':' {
				return Value{}, p.badByte(CodeUnexpectedChar, "expected `:` after an object key")
			}
			p.pos++
			st = expectValue
		case afterValue:
			p.skipWS()
			if p.pos >= len(p.data) {
				return Value{}, p.endErr()
			}
			top := p.top()
			c := p.data[p.pos]
			switch {
			case c == ',':
				p.pos++
				if top.object {
					st = expectKey
				} else {
					st = expectValue
				}
			case (c == '}' && top.object) || (c == ']' && !top.object):
				if top.object && top.dupOffset >= 0 {
					return Value{}, newError(CodeDuplicateKey, top.dupOffset, "object key appears twice")
				}
				p.pos++
				v, done, err := p.closeTop()
				if err != nil || done {
					return v, err
				}
			default:
				return Value{}, p.badByte(CodeUnexpectedChar, "expected `,` or the end of the container")
			}
		}
	}
}

func (p *parser) top() *frame {
	if len(p.stack) == 0 {
		return nil
	}
	return &p.stack[len(p.stack)-1]
}

// complete hands a finished value to the enclosing container; done reports a finished top level.
func (p *parser) complete(v Value) (Value, bool) {
	top := p.top()
	if top == nil {
		return v, true
	}
	if top.object {
		p.members = append(p.members, Member{Key: top.key, Value: v})
	} else {
		p.items = append(p.items, v)
	}
	return Value{}, false
}

// closeTop pops the innermost container (its closing byte already consumed).
func (p *parser) closeTop() (Value, bool, error) {
	f := p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	var v Value
	if f.object {
		ms := make([]Member, len(p.members)-f.start)
		copy(ms, p.members[f.start:])
		clear(p.members[f.start:])
		p.members = p.members[:f.start]
		v = Object(ms...)
	} else {
		items := make([]Value, len(p.items)-f.start)
		copy(items, p.items[f.start:])
		clear(p.items[f.start:])
		p.items = p.items[:f.start]
		v = Array(items...)
	}
	v, done := p.complete(v)
	if !done {
		return Value{}, false, nil
	}
	v, err := p.finish(v)
	return v, true, err
}

// finish checks that only whitespace follows the top-level value.
func (p *parser) finish(v Value) (Value, error) {
	p.skipWS()
	if p.pos < len(p.data) {
		return Value{}, p.badByte(CodeTrailingChars, "only whitespace may follow the top-level value")
	}
	return v, nil
}

func (p *parser) skipWS() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) endErr() error {
	return newError(CodeUnexpectedEnd, len(p.data), "input ends inside a value")
}

// badByte reports the byte at p.pos: jcs.invalid_utf8 when no well-formed UTF-8 sequence starts
// there (the whole input must be UTF-8, primitives.md §2.2.1), else the given code.
func (p *parser) badByte(code, detail string) error {
	if c := p.data[p.pos]; c >= utf8.RuneSelf {
		if r, n := utf8.DecodeRune(p.data[p.pos:]); r == utf8.RuneError && n <= 1 {
			return newError(CodeInvalidUTF8, p.pos, "bytes are not well-formed UTF-8")
		}
	}
	return newError(code, p.pos, detail)
}

func (p *parser) hasWordAt(at int, word string) bool {
	return len(p.data)-at >= len(word) && string(p.data[at:at+len(word)]) == word
}

func (p *parser) parseLiteral() (Value, error) {
	var word string
	var v Value
	switch p.data[p.pos] {
	case 't':
		word, v = "true", Bool(true)
	case 'f':
		word, v = "false", Bool(false)
	default:
		word, v = "null", Null()
	}
	for i := 0; i < len(word); i++ {
		if p.pos >= len(p.data) {
			return Value{}, p.endErr()
		}
		if p.data[p.pos] != word[i] {
			return Value{}, p.badByte(CodeUnexpectedChar, "invalid literal")
		}
		p.pos++
	}
	return v, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) digits() {
	for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
		p.pos++
	}
}

// parseNumber reads one number token (RFC 8259 grammar) and applies primitives.md §2.2.5–7.
// Grammar errors are reported at the first byte that breaks the grammar; value errors
// (overflow, integer range, NaN/Infinity) at the token's first byte.
func (p *parser) parseNumber() (float64, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
		if p.pos >= len(p.data) {
			return 0, p.endErr()
		}
		if p.hasWordAt(p.pos, "Infinity") {
			return 0, newError(CodeNonFinite, start, "-Infinity is not a JSON number")
		}
	}
	integer := true
	switch c := p.data[p.pos]; {
	case c == '0':
		p.pos++
		if p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			return 0, newError(CodeInvalidNumber, p.pos, "leading zero")
		}
	case c >= '1' && c <= '9':
		p.digits()
	default:
		return 0, p.badByte(CodeInvalidNumber, "missing digits")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		integer = false
		p.pos++
		if p.pos >= len(p.data) {
			return 0, p.endErr()
		}
		if !isDigit(p.data[p.pos]) {
			return 0, p.badByte(CodeInvalidNumber, "missing fraction digits")
		}
		p.digits()
	}
	exponentDigits := 0
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		integer = false
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(p.data) {
			return 0, p.endErr()
		}
		if !isDigit(p.data[p.pos]) {
			return 0, p.badByte(CodeInvalidNumber, "missing exponent digits")
		}
		exponentStart := p.pos
		p.digits()
		exponentDigits = p.pos - exponentStart
	}
	// spec: primitives.md §2.2.6 — the token's length (L45) and exponent digits (L46) are bounded
	// after its grammar and before its value. strconv.ParseFloat rounds correctly (nearest, ties
	// to even) only while the digits fit its 800-digit decimal and the exponent stays below
	// 10,000 (beyond, it loses the point's position and clamps the exponent): the bounds keep
	// every accepted token inside both.
	if p.pos-start > p.lim.JSONMaxNumberBytes || exponentDigits > p.lim.JSONMaxExponentDigits {
		return 0, newError(CodeNumberTooLong, start, "number token exceeds the length limit")
	}
	f, err := strconv.ParseFloat(string(p.data[start:p.pos]), 64)
	if math.IsInf(f, 0) {
		return 0, newError(CodeNumberOverflow, start, "number rounds to infinity")
	}
	if err != nil {
		// ErrRange without infinity is underflow: the value rounds to (near) zero and is kept.
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, newError(CodeInvalidNumber, start, "number does not parse")
		}
	}
	a := math.Abs(f)
	// spec: primitives.md §2.2.7 (strict integers).
	if integer && a > maxSafeInteger {
		return 0, newError(CodeIntegerOutOfRange, start, "integer literal outside ±(2^53−1)")
	}
	if !integer && a >= 1<<53 && a < 1e21 {
		return 0, newError(CodeIntegerOutOfRange, start, "number in [2^53, 10^21) would print as an out-of-range integer")
	}
	return f, nil
}

// parseString reads a string starting at its opening quote and returns the decoded text.
func (p *parser) parseString() (string, error) {
	p.pos++ // opening quote
	maxLen := int(min(p.lim.JSONMaxStringBytes, math.MaxInt))
	// Fast path: printable ASCII without escapes up to the closing quote, within the limit, is
	// its own decoded text. Anything else is decoded below from the start.
	for i := p.pos; i < len(p.data) && i-p.pos <= maxLen; i++ {
		c := p.data[i]
		if c == '"' {
			s := string(p.data[p.pos:i])
			p.pos = i + 1
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	buf := make([]byte, 0, 16)
	for {
		if p.pos >= len(p.data) {
			return "", p.endErr()
		}
		at := p.pos
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c == '\\':
			r, err := p.parseEscape()
			if err != nil {
				return "", err
			}
			buf = utf8.AppendRune(buf, r)
		case c < 0x20:
			return "", newError(CodeControlCharacter, p.pos, "raw control character in a string")
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.pos++
		default:
			r, n := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && n <= 1 {
				return "", newError(CodeInvalidUTF8, p.pos, "bytes are not well-formed UTF-8")
			}
			buf = append(buf, p.data[p.pos:p.pos+n]...)
			p.pos += n
		}
		if len(buf) > maxLen {
			// spec: limits.md L3; offset = the character or escape that crosses the limit.
			return "", newError(CodeStringTooLong, at, "decoded string longer than the limit")
		}
	}
}

// parseEscape decodes one escape at p.pos (a backslash), joining a surrogate pair.
func (p *parser) parseEscape() (rune, error) {
	start := p.pos
	if p.pos+1 >= len(p.data) {
		return 0, p.endErr()
	}
	e := p.data[p.pos+1]
	p.pos += 2
	switch e {
	case '"':
		return '"', nil
	case '\\':
		return '\\', nil
	case '/':
		return '/', nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
	default:
		return 0, newError(CodeInvalidEscape, start, "escape not defined by JSON")
	}
	r, err := p.hex4(start)
	if err != nil {
		return 0, err
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, newError(CodeLoneSurrogate, start, "low surrogate without a high surrogate")
	case r >= 0xD800 && r <= 0xDBFF:
		// A high surrogate must be followed directly by a `\u` low surrogate.
		if p.pos >= len(p.data) || (p.data[p.pos] == '\\' && p.pos+1 >= len(p.data)) {
			return 0, p.endErr()
		}
		if p.data[p.pos] != '\\' || p.data[p.pos+1] != 'u' {
			return 0, newError(CodeLoneSurrogate, start, "high surrogate without a low surrogate")
		}
		second := p.pos
		p.pos += 2
		lo, err := p.hex4(second)
		if err != nil {
			return 0, err
		}
		if lo < 0xDC00 || lo > 0xDFFF {
			return 0, newError(CodeLoneSurrogate, start, "high surrogate without a low surrogate")
		}
		return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), nil
	}
	return r, nil
}

// hex4 reads the four hex digits of a `\u` escape that started at escape.
func (p *parser) hex4(escape int) (rune, error) {
	var r rune
	for i := 0; i < 4; i++ {
		if p.pos >= len(p.data) {
			return 0, p.endErr()
		}
		c := p.data[p.pos]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, newError(CodeInvalidEscape, escape, "`\\u` needs four hex digits")
		}
		r = r<<4 | rune(d)
		p.pos++
	}
	return r, nil
}
