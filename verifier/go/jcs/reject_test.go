package jcs

import (
	"bytes"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

type rejectCase struct {
	name   string
	input  string
	code   string
	offset int64
}

func checkReject(t *testing.T, lim limits.Limits, c rejectCase) {
	t.Helper()
	_, err := Parse([]byte(c.input), lim)
	e, ok := err.(*Error)
	if !ok {
		t.Errorf("%s: %q: got %v, want %s at %d", c.name, c.input, err, c.code, c.offset)
		return
	}
	if e.Code() != c.code || e.Offset() != c.offset {
		t.Errorf("%s: %q: got %s at %d, want %s at %d", c.name, c.input, e.Code(), e.Offset(), c.code, c.offset)
	}
}

// TestRejections covers every jcs.* code of verdicts.md with its offset, including the examples
// of primitives.md §2.2.
func TestRejections(t *testing.T) {
	cases := []rejectCase{
		// primitives.md §2.2.4 example.
		{"duplicate after unescaping", `{"a":1,"\u0061":2}`, CodeDuplicateKey, 7},
		{"duplicate plain", `{"a":1,"b":2,"a":3}`, CodeDuplicateKey, 13},
		{"first duplicate of an object", `{"a":1,"a":2,"b":3,"b":4}`, CodeDuplicateKey, 7},
		{"duplicate reported at close: later error wins", `{"a":1,"a":2,"b":tru}`, CodeUnexpectedChar, 20},
		{"inner object closes first", `{"a":1,"a":{"b":1,"b":2}}`, CodeDuplicateKey, 18},
		{"duplicate in nested array object", `[{"x":0,"x":0}]`, CodeDuplicateKey, 8},
		// primitives.md §2.2.7 examples.
		{"integer literal 2^53", `9007199254740992`, CodeIntegerOutOfRange, 0},
		{"negative integer literal", `[-9007199254740992]`, CodeIntegerOutOfRange, 1},
		{"9e18", `9e18`, CodeIntegerOutOfRange, 0},
		{"9007199254740992.0", `9007199254740992.0`, CodeIntegerOutOfRange, 0},
		{"fraction rounding up to 2^53", `9007199254740991.5`, CodeIntegerOutOfRange, 0},
		{"just below 1e21", `[1,9.99999999999999e20]`, CodeIntegerOutOfRange, 3},
		{"integer literal 1e21 written out", `1000000000000000000000`, CodeIntegerOutOfRange, 0},
		// Syntax.
		{"empty input", ``, CodeUnexpectedEnd, 0},
		{"only whitespace", " \n\t\r", CodeUnexpectedEnd, 4},
		{"open array", `[1,2`, CodeUnexpectedEnd, 4},
		{"open string", `"abc`, CodeUnexpectedEnd, 4},
		{"open object after colon", `{"a":`, CodeUnexpectedEnd, 5},
		{"truncated literal", `tru`, CodeUnexpectedEnd, 3},
		{"minus at end", `-`, CodeUnexpectedEnd, 1},
		{"dot at end", `1.`, CodeUnexpectedEnd, 2},
		{"exponent at end", `1e+`, CodeUnexpectedEnd, 3},
		{"backslash at end", `"\`, CodeUnexpectedEnd, 2},
		{"short \\u at end", `"\u00`, CodeUnexpectedEnd, 5},
		{"high surrogate at end", `"\ud83d`, CodeUnexpectedEnd, 7},
		{"byte order mark", "\xef\xbb\xbf{}", CodeUnexpectedChar, 0},
		{"single quotes", `['a']`, CodeUnexpectedChar, 1},
		{"trailing comma in array", `[1,]`, CodeUnexpectedChar, 3},
		{"trailing comma in object", `{"a":1,}`, CodeUnexpectedChar, 7},
		{"unquoted key", `{a:1}`, CodeUnexpectedChar, 1},
		{"missing colon", `{"a" 1}`, CodeUnexpectedChar, 5},
		{"bad literal", `[trUe]`, CodeUnexpectedChar, 3},
		{"Inf is not a word", `Inf`, CodeUnexpectedChar, 0},
		{"form feed whitespace", "[\f1]", CodeUnexpectedChar, 1},
		{"mismatched close", `[1}`, CodeUnexpectedChar, 2},
		{"trailing value", `1 2`, CodeTrailingChars, 2},
		{"trailing close", `{}}`, CodeTrailingChars, 2},
		{"trailing NUL", "[]\x00", CodeTrailingChars, 2},
		// UTF-8.
		{"invalid byte in string", "\"a\xffb\"", CodeInvalidUTF8, 2},
		{"overlong slash", "\"\xc0\xaf\"", CodeInvalidUTF8, 1},
		{"encoded surrogate", "\"\xed\xa0\x80\"", CodeInvalidUTF8, 1},
		{"above U+10FFFF", "\"\xf4\x90\x80\x80\"", CodeInvalidUTF8, 1},
		{"truncated sequence", "\"\xe2\x82\"", CodeInvalidUTF8, 1},
		{"invalid byte outside strings", "[\xff]", CodeInvalidUTF8, 1},
		{"invalid byte after value", "1\xff", CodeInvalidUTF8, 1},
		{"valid non-ASCII outside strings", "[\xc3\xa9]", CodeUnexpectedChar, 1},
		// Strings.
		{"raw tab", "\"a\tb\"", CodeControlCharacter, 2},
		{"raw NUL", "\"\x00\"", CodeControlCharacter, 1},
		{"raw LF in key", "{\"a\n\":1}", CodeControlCharacter, 3},
		{"unknown escape", `"\x41"`, CodeInvalidEscape, 1},
		{"escaped apostrophe", `"\'"`, CodeInvalidEscape, 1},
		{"short \\u", `"\u12G4"`, CodeInvalidEscape, 1},
		{"bad hex in low half", `"\ud83d\uZZZZ"`, CodeInvalidEscape, 7},
		{"lone low surrogate", `"\ude02"`, CodeLoneSurrogate, 1},
		{"lone high surrogate", `"a\ud83db"`, CodeLoneSurrogate, 2},
		{"high then other escape", `"\ud83d\n"`, CodeLoneSurrogate, 1},
		{"two high surrogates", `"\ud83d\ud83d"`, CodeLoneSurrogate, 1},
		{"high then BMP escape", `"\ud83d\u0041"`, CodeLoneSurrogate, 1},
		// Numbers.
		{"leading zero", `[01]`, CodeInvalidNumber, 2},
		{"negative leading zero", `-012`, CodeInvalidNumber, 2},
		{"plus sign", `+1`, CodeUnexpectedChar, 0},
		{"bare dot", `.5`, CodeUnexpectedChar, 0},
		{"missing fraction digits", `[1.]`, CodeInvalidNumber, 3},
		{"missing exponent digits", `[1e]`, CodeInvalidNumber, 3},
		{"minus letter", `-a`, CodeInvalidNumber, 1},
		{"hex number", `0x10`, CodeTrailingChars, 1},
		{"NaN", `NaN`, CodeNonFinite, 0},
		{"Infinity", `[Infinity]`, CodeNonFinite, 1},
		{"-Infinity", `{"a":-Infinity}`, CodeNonFinite, 5},
		{"overflow", `[1e309]`, CodeNumberOverflow, 1},
		{"negative overflow", `-1.8e308`, CodeNumberOverflow, 0},
		{"huge integer literal overflows first", `[` + strings.Repeat("9", 400) + `]`, CodeNumberOverflow, 1},
	}
	for _, c := range cases {
		checkReject(t, limits.Default(), c)
	}
}

// TestAccepted pins values at the edges of the rules above.
func TestAccepted(t *testing.T) {
	cases := map[string]string{
		`9007199254740991`:                      `9007199254740991`,
		`-9007199254740991`:                     `-9007199254740991`,
		`1e21`:                                  `1e+21`,
		`1e-400`:                                `0`,
		`-0`:                                    `0`,
		`-0.0e-5`:                               `0`,
		`4.50`:                                  `4.5`,
		`1e-7`:                                  `1e-7`,
		`0.000001`:                              `0.000001`,
		`123e-2`:                                `1.23`,
		`[1.7976931348623157e308]`:              `[1.7976931348623157e+308]`,
		`"\u0000\u001f\u007f\u2028"`:            "\"\\u0000\\u001f\x7f\u2028\"",
		`"\/\b\f\n\r\t\"\\"`:                    `"/\b\f\n\r\t\"\\"`,
		`"\uD83D\uDE02"`:                        "\"\U0001F602\"",
		" \t\r\n{ \"b\" : [ ] , \"a\" : { } } ": `{"a":{},"b":[]}`,
	}
	for in, want := range cases {
		got, err := Canonicalize([]byte(in), limits.Default())
		if err != nil || string(got) != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestLimits checks L1–L4 at their edges (with lowered limits where the defaults are large).
func TestLimits(t *testing.T) {
	lim := limits.Default()
	deep := strings.Repeat("[", 128) + strings.Repeat("]", 128)
	if _, err := Parse([]byte(deep), lim); err != nil {
		t.Errorf("depth 128: %v", err)
	}
	checkReject(t, lim, rejectCase{"depth 129", strings.Repeat("[", 129) + strings.Repeat("]", 129), CodeTooDeep, 128})
	// 100,000 levels are rejected at level 129 without recursion (limits.md L2 note).
	checkReject(t, lim, rejectCase{"depth 100000", strings.Repeat("[", 100_000), CodeTooDeep, 128})
	checkReject(t, lim, rejectCase{"depth objects", strings.Repeat(`{"a":`, 200), CodeTooDeep, 128 * 5})

	small := lim
	small.JSONMaxDepth = 1
	checkReject(t, small, rejectCase{"[[1]] has depth 2", `[[1]]`, CodeTooDeep, 1})

	small = lim
	small.JSONMaxBytes = 10
	if _, err := Parse([]byte(`[1,2,3,40]`), small); err != nil {
		t.Errorf("10 bytes at L1=10: %v", err)
	}
	checkReject(t, small, rejectCase{"11 bytes", `[1,2,3,400]`, CodeTooLarge, 10})

	small = lim
	small.JSONMaxStringBytes = 4
	if _, err := Parse([]byte(`["abcd","\u00e9\u00e9"]`), small); err != nil {
		t.Errorf("4-byte strings at L3=4: %v", err)
	}
	checkReject(t, small, rejectCase{"5 bytes", `["abcde"]`, CodeStringTooLong, 6})
	checkReject(t, small, rejectCase{"key too long", `{"abcde":1}`, CodeStringTooLong, 6})
	checkReject(t, small, rejectCase{"escape crosses", `"abc\u00e9"`, CodeStringTooLong, 4})
	checkReject(t, small, rejectCase{"limit met before a later error", "\"abcde\x01\"", CodeStringTooLong, 5})

	small = lim
	small.JSONMaxEntries = 3
	if _, err := Parse([]byte(`[[1,2,3],{"a":1,"b":2,"c":3}]`), small); err != nil {
		t.Errorf("3 entries at L4=3: %v", err)
	}
	checkReject(t, small, rejectCase{"4 array entries", `[1,2,3, 4]`, CodeTooManyEntries, 8})
	checkReject(t, small, rejectCase{"4 members", `{"a":1,"b":2,"c":3,"d":4}`, CodeTooManyEntries, 19})

	// Default L4: 1,000,000 entries pass, 1,000,001 fail at the extra entry. Each entry takes
	// 8 bytes, so that the value budget of L43–L44 (one value per 8 bytes) is not what stops it.
	var b bytes.Buffer
	b.WriteByte('[')
	for i := 0; i < 1_000_000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("1000000")
	}
	if _, err := Parse(append(bytes.Clone(b.Bytes()), ']'), lim); err != nil {
		t.Errorf("1,000,000 entries: %v", err)
	}
	extra := b.Len() + 1
	b.WriteString(",1000000]")
	checkReject(t, lim, rejectCase{"1,000,001 entries", b.String(), CodeTooManyEntries, int64(extra)})
}

// TestValueBudget is limits.md L43–L44: a document of n bytes holds at most L43 + n/L44 values,
// counted at each value's first byte (primitives.md §2.3).
func TestValueBudget(t *testing.T) {
	small := limits.Default()
	small.JSONValuesBase, small.JSONBytesPerValue = 3, 8
	// 9 bytes: budget 3 + 1 = 4 values.
	if _, err := Parse([]byte(`[[],{},1]`), small); err != nil {
		t.Errorf("4 values in 9 bytes: %v", err)
	}
	checkReject(t, small, rejectCase{"5 values in 11 bytes", `[[],{},1,2]`, CodeTooManyValues, 9})
	checkReject(t, small, rejectCase{"counted before its grammar", `[[],{},1,x]`, CodeUnexpectedChar, 9})
	checkReject(t, small, rejectCase{"counted before its grammar", `[[],{},1,t]`, CodeTooManyValues, 9})
	// 25 bytes: budget 6; 5 values (4 keys do not count).
	if _, err := Parse([]byte(`{"a":{"b":{"c":1}},"d":2}`), small); err != nil {
		t.Errorf("keys counted as values: %v", err)
	}
	// Default: 768 KiB of `[],` (one value per 3 bytes) is rejected at the first value beyond
	// 4096 + n/8; the golden manifests hold one value per 21 bytes.
	lim := limits.Default()
	doc := []byte("[" + strings.Repeat("[],", 1<<18) + "[]]")
	budget := 4096 + len(doc)/8
	// Value 1 is the outer array (byte 0); value k ≥ 2 starts at byte 1 + 3(k-2); value
	// budget+1 is the first beyond.
	_, err := Parse(doc, lim)
	if e, ok := err.(*Error); !ok || e.Code() != CodeTooManyValues || e.Offset() != int64(1+3*(budget-1)) {
		t.Errorf("768 KiB of empty arrays: got %v, want %s at %d", err, CodeTooManyValues, 1+3*(budget-1))
	}
}

// TestNotCanonical: CheckCanonical reports the first differing byte.
func TestNotCanonical(t *testing.T) {
	cases := []rejectCase{
		{"space", `{"a": 1}`, CodeNotCanonical, 5},
		{"order", `{"b":1,"a":2}`, CodeNotCanonical, 2},
		{"number form", `[1.0]`, CodeNotCanonical, 2},
		{"escape form", `"\u0041"`, CodeNotCanonical, 1},
		{"trailing LF", "{}\n", CodeNotCanonical, 2},
		{"parse error keeps its code", `{"a":1,"a":1}`, CodeDuplicateKey, 7},
	}
	for _, c := range cases {
		err := CheckCanonical([]byte(c.input), limits.Default())
		e, ok := err.(*Error)
		if !ok || e.Code() != c.code || e.Offset() != c.offset {
			t.Errorf("%s: %q: got %v, want %s at %d", c.name, c.input, err, c.code, c.offset)
		}
	}
	if err := CheckCanonical([]byte(`{"a":[1,"x",null,true,1e+30]}`), limits.Default()); err != nil {
		t.Errorf("canonical input rejected: %v", err)
	}
}

// TestMarshalRejects covers constructed values the writer refuses.
func TestMarshalRejects(t *testing.T) {
	nan := 0.0
	for _, c := range []struct {
		v    Value
		code string
	}{
		{Number(nan / nan), CodeNonFinite},
		{Array(Number(1 / nan)), CodeNonFinite},
		{String("\xff"), CodeInvalidUTF8},
		{Object(Member{"a", Null()}, Member{"a", Null()}), CodeDuplicateKey},
	} {
		_, err := Marshal(c.v)
		if e, ok := err.(*Error); !ok || e.Code() != c.code {
			t.Errorf("got %v, want %s", err, c.code)
		}
	}
}
