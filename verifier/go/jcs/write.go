package jcs

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// Canonicalize parses data strictly (Parse) and returns its RFC 8785 canonical bytes.
func Canonicalize(data []byte, lim limits.Limits) ([]byte, error) {
	v, err := Parse(data, lim)
	if err != nil {
		return nil, err
	}
	return Marshal(v)
}

// CheckCanonical reports whether data is strict JSON in canonical form, i.e.
// data == canonicalize(parse(data)) (spec: primitives.md §2.1). A parse failure returns its own
// code; valid JSON that differs returns jcs.not_canonical at the first differing byte (the
// shorter length when one is a prefix of the other).
func CheckCanonical(data []byte, lim limits.Limits) error {
	v, err := Parse(data, lim)
	if err != nil {
		return err
	}
	_, err = CheckCanonicalValue(data, v, nil)
	return err
}

// CheckCanonicalValue is CheckCanonical for data already parsed into v (v = Parse(data)), so a
// caller that needs the value parses once. The canonical form is written into buf[:0], which is
// returned for reuse.
func CheckCanonicalValue(data []byte, v Value, buf []byte) ([]byte, error) {
	canon, err := AppendCanonical(buf[:0], v)
	if err != nil {
		return buf, err
	}
	return canon, compareCanonical(canon, data)
}

func compareCanonical(canon, data []byte) error {
	n := min(len(canon), len(data))
	for i := 0; i < n; i++ {
		if canon[i] != data[i] {
			return newError(CodeNotCanonical, i, "bytes differ from the canonical form")
		}
	}
	if len(canon) != len(data) {
		return newError(CodeNotCanonical, n, "bytes differ from the canonical form")
	}
	return nil
}

// Marshal writes v in canonical form (spec: primitives.md §2.4–2.6). Values from Parse always
// succeed; a constructed value with a non-finite number (jcs.non_finite), a string that is not
// UTF-8 (jcs.invalid_utf8) or a repeated object key (jcs.duplicate_key) is rejected, at offset 0.
func Marshal(v Value) ([]byte, error) {
	return appendValue(nil, v)
}

// AppendCanonical appends the canonical form of v to dst (see Marshal).
func AppendCanonical(dst []byte, v Value) ([]byte, error) {
	return appendValue(dst, v)
}

// keysSorted reports whether the members' keys are strictly increasing as UTF-16 code-unit
// sequences, checked without allocating when every key is ASCII (where UTF-16 order is byte
// order); ok is false when some key is not ASCII and the caller must sort.
func keysSorted(ms []Member) (sorted, ok bool) {
	sorted = true
	for i := range ms {
		k := ms[i].Key
		for j := 0; j < len(k); j++ {
			if k[j] >= utf8.RuneSelf {
				return false, false
			}
		}
		if i > 0 && ms[i-1].Key >= k {
			sorted = false
		}
	}
	return sorted, true
}

func appendValue(dst []byte, v Value) ([]byte, error) {
	switch v.kind {
	case KindNull:
		return append(dst, "null"...), nil
	case KindBool:
		if v.b {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case KindNumber:
		if v.num == math.Trunc(v.num) && math.Abs(v.num) <= maxSafeInteger && v.num != 0 {
			// An integer of magnitude at most 2^53 − 1 prints as its exact decimal digits
			// (the k ≤ n ≤ 21 case of FormatNumber).
			return strconv.AppendInt(dst, int64(v.num), 10), nil
		}
		s, err := FormatNumber(v.num)
		if err != nil {
			return nil, err
		}
		return append(dst, s...), nil
	case KindString:
		return appendString(dst, v.str)
	case KindArray:
		dst = append(dst, '[')
		for i, item := range v.Items() {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendValue(dst, item); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case KindObject:
		members := v.Members()
		if sorted, ok := keysSorted(members); ok && sorted {
			// Already in canonical order with distinct keys: write in place.
			dst = append(dst, '{')
			for i := range members {
				if i > 0 {
					dst = append(dst, ',')
				}
				var err error
				if dst, err = appendString(dst, members[i].Key); err != nil {
					return nil, err
				}
				dst = append(dst, ':')
				if dst, err = appendValue(dst, members[i].Value); err != nil {
					return nil, err
				}
			}
			return append(dst, '}'), nil
		}
		type sortable struct {
			units []uint16
			m     *Member
		}
		sorted := make([]sortable, len(members))
		for i := range members {
			sorted[i] = sortable{utf16.Encode([]rune(members[i].Key)), &members[i]}
		}
		// spec: primitives.md §2.6 — keys compared as sequences of UTF-16 code units.
		slices.SortStableFunc(sorted, func(a, b sortable) int { return slices.Compare(a.units, b.units) })
		dst = append(dst, '{')
		for i, s := range sorted {
			if i > 0 {
				if slices.Equal(sorted[i-1].units, s.units) {
					return nil, newError(CodeDuplicateKey, 0, "object key appears twice")
				}
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendString(dst, s.m.Key); err != nil {
				return nil, err
			}
			dst = append(dst, ':')
			if dst, err = appendValue(dst, s.m.Value); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	}
	return nil, newError(CodeUnexpectedChar, 0, "value of unknown kind")
}

const hexDigits = "0123456789abcdef"

// appendString writes s per primitives.md §2.5.
func appendString(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, newError(CodeInvalidUTF8, 0, "string is not well-formed UTF-8")
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"'), nil
}

// FormatNumber writes f as ECMAScript Number::toString (radix 10) does, the form RFC 8785 uses
// (spec: primitives.md §2.4): the shortest round-tripping digits, laid out by the exponent.
// NaN and ±Inf are rejected with jcs.non_finite.
func FormatNumber(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", newError(CodeNonFinite, 0, "NaN and Infinity have no JSON form")
	}
	if f == 0 {
		return "0", nil // also -0
	}
	var b strings.Builder
	if f < 0 {
		b.WriteByte('-')
		f = -f
	}
	// Shortest digits d1.d2…dk and exponent: f = 0.d1…dk × 10^n in ECMA-262 terms.
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expText, _ := strings.Cut(sci, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, err := strconv.Atoi(expText)
	if err != nil {
		return "", newError(CodeInvalidNumber, 0, "unexpected float layout")
	}
	k := len(digits)
	n := exp + 1
	switch {
	case k <= n && n <= 21:
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", n-k))
	case 0 < n && n <= 21:
		b.WriteString(digits[:n])
		b.WriteByte('.')
		b.WriteString(digits[n:])
	case -6 < n && n <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -n))
		b.WriteString(digits)
	default:
		b.WriteByte(digits[0])
		if k > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if n-1 >= 0 {
			b.WriteByte('+')
		}
		b.WriteString(strconv.Itoa(n - 1))
	}
	return b.String(), nil
}
