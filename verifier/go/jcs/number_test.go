package jcs

import (
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// halfAboveOne is the decimal text of 1 + 2^-53, the exact halfway point between 1 and the next
// double.
const halfAboveOne = "1.00000000000000011102230246251565404236316680908203125"

func canonOf(t *testing.T, input string) string {
	t.Helper()
	out, err := Canonicalize([]byte(input), limits.Default())
	if err != nil {
		t.Fatalf("%.40q...: %v", input, err)
	}
	return string(out)
}

// TestNumberTokenBound pins primitives.md §2.2.6: a token of at most L45 (800) bytes with at most
// L46 (4) exponent digits is read; one byte or digit more is jcs.number_too_long at its first
// byte, after the grammar and before the value rules.
func TestNumberTokenBound(t *testing.T) {
	lim := limits.Default()
	longest := "1." + strings.Repeat("0", 797) + "1"
	if len(longest) != 800 {
		t.Fatalf("longest is %d bytes", len(longest))
	}
	if got := canonOf(t, longest); got != "1" {
		t.Errorf("800-byte token: got %s, want 1", got)
	}
	over := "1." + strings.Repeat("0", 798) + "1"
	integer := "1" + strings.Repeat("0", 800)
	for _, c := range []rejectCase{
		{"801-byte token", over, CodeNumberTooLong, 0},
		{"801-byte token in an array", "[0," + over + "]", CodeNumberTooLong, 3},
		{"801-byte negative integer", "-1" + strings.Repeat("0", 799), CodeNumberTooLong, 0},
		{"long integer literal: length before range", integer, CodeNumberTooLong, 0},
		{"800-byte integer literal overflows", "1" + strings.Repeat("0", 799), CodeNumberOverflow, 0},
		{"grammar break in a long token", "1." + strings.Repeat("0", 900) + "ex", CodeInvalidNumber, 903},
		{"long token cut inside its exponent", "1." + strings.Repeat("0", 900) + "e", CodeUnexpectedEnd, 903},
		{"long token then trailing byte", "1." + strings.Repeat("0", 900) + "x", CodeNumberTooLong, 0},
		{"5 exponent digits", "1e00005", CodeNumberTooLong, 0},
		{"exponent 10000", "1e10000", CodeNumberTooLong, 0},
		{"exponent -10001 in an array", "[1,5e-10001]", CodeNumberTooLong, 3},
		{"exponent 9999 overflows", "1e9999", CodeNumberOverflow, 0},
	} {
		checkReject(t, lim, c)
	}
	for in, want := range map[string]string{"1e0005": "100000", "1E-0007": "1e-7", "1e-9999": "0"} {
		if got := canonOf(t, in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	tight := limits.Default()
	tight.JSONMaxNumberBytes, tight.JSONMaxExponentDigits = 3, 1
	if _, err := Parse([]byte("-12"), tight); err != nil {
		t.Errorf("-12 within a 3-byte limit: %v", err)
	}
	checkReject(t, tight, rejectCase{"lowered L45", "1234", CodeNumberTooLong, 0})
	checkReject(t, tight, rejectCase{"lowered L46", "1e10", CodeNumberTooLong, 0})
}

// TestLongNumbersRoundFromAllDigits checks strconv.ParseFloat behind the bound: halfway points
// decided by the last byte of an 800-byte token, and long spellings of small values that the
// standard parser misread beyond 800 digits or exponents of 10,000.
func TestLongNumbersRoundFromAllDigits(t *testing.T) {
	pad := 800 - len(halfAboveOne) - 1
	above := halfAboveOne + strings.Repeat("0", pad) + "1"
	below := halfAboveOne[:len(halfAboveOne)-1] + "4" + strings.Repeat("9", pad+1)
	for _, c := range []struct{ in, want string }{
		{halfAboveOne, "1"},
		{above, "1.0000000000000002"},
		{below, "1"},
		{"1" + strings.Repeat("0", 790) + "e-789", "10"},
		{"0." + strings.Repeat("0", 792) + "5e+793", "5"},
	} {
		if len(c.in) > 800 {
			t.Fatalf("%d-byte case", len(c.in))
		}
		if got := canonOf(t, c.in); got != c.want {
			t.Errorf("%.30q... (%d bytes): got %s, want %s", c.in, len(c.in), got, c.want)
		}
	}
}
