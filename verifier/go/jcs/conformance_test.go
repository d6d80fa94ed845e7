package jcs

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/conformance"
	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// pairs runs every input/output pair under dir; trimLF strips one trailing LF from expectations.
func pairs(t *testing.T, dir string, trimLF bool) int {
	t.Helper()
	inputs, err := filepath.Glob(filepath.Join(dir, "input", "*.json"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs under %s: %v", dir, err)
	}
	for _, in := range inputs {
		name := filepath.Base(in)
		src, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, "output", name))
		if err != nil {
			t.Fatal(err)
		}
		if trimLF {
			want = bytes.TrimSuffix(want, []byte("\n"))
		}
		got, err := Canonicalize(src, limits.Default())
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", in, got, want)
		}
		if err := CheckCanonical(got, limits.Default()); err != nil {
			t.Errorf("%s: canonical output not canonical: %v", in, err)
		}
		hexPath := filepath.Join(dir, "outhex", strings.TrimSuffix(name, ".json")+".txt")
		if hx, err := os.ReadFile(hexPath); err == nil {
			want, err := hex.DecodeString(strings.Join(strings.Fields(string(hx)), ""))
			if err != nil {
				t.Fatalf("%s: %v", hexPath, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: bytes differ from outhex", in)
			}
		}
	}
	return len(inputs)
}

func TestCyberphonePairs(t *testing.T) {
	if n := pairs(t, conformance.Path(t, "cyberphone-json-canonicalization", "testdata"), false); n != 6 {
		t.Errorf("cyberphone: %d pairs, want 6", n)
	}
}

func TestGowebpkiPairs(t *testing.T) {
	if n := pairs(t, conformance.Path(t, "gowebpki-jcs", "testdata"), false); n != 4 {
		t.Errorf("gowebpki: %d pairs, want 4", n)
	}
}

func TestErdtmanPairs(t *testing.T) {
	if n := pairs(t, conformance.Path(t, "erdtman-canonicalize", "test", "testdata"), true); n != 6 {
		t.Errorf("erdtman: %d pairs, want 6", n)
	}
}

// TestES6Numbers formats all 100,000 stored ES6 reference lines (primitives.md §2.4).
func TestES6Numbers(t *testing.T) {
	path := conformance.Path(t, "cyberphone-json-canonicalization", "generated", "es6testfile100m-first-100000-lines.txt")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != "22776e6d4b49fa294a0d0f349268e5c28808fe7e0cb2bcbe28f63894e494d4c7" {
		t.Fatalf("ES6 file hash differs from the README's")
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	lines, bad := 0, 0
	for sc.Scan() {
		lines++
		hexBits, want, ok := strings.Cut(sc.Text(), ",")
		if !ok {
			t.Fatalf("line %d: no comma", lines)
		}
		bits, err := strconv.ParseUint(hexBits, 16, 64)
		if err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		f := math.Float64frombits(bits)
		got, err := FormatNumber(f)
		if err != nil || got != want {
			bad++
			if bad <= 10 {
				t.Errorf("line %d (%s): got %q (%v), want %q", lines, hexBits, got, err, want)
			}
			continue
		}
		// The printed form parses back to the same double (strict mode may reject it only
		// when it is an integer of magnitude ≥ 2^53, primitives.md §2.2.7).
		v, err := Parse([]byte(got), limits.Default())
		if err != nil {
			if e := err.(*Error); e.Code() != CodeIntegerOutOfRange || math.Abs(f) < 1<<53 {
				t.Errorf("line %d: %q does not parse: %v", lines, got, err)
			}
		} else if v.AsNumber() != f {
			t.Errorf("line %d: %q parses to %v, want %v", lines, got, v.AsNumber(), f)
		}
	}
	if lines != 100_000 {
		t.Errorf("%d lines, want 100000", lines)
	}
	if bad != 0 {
		t.Errorf("%d mismatches", bad)
	}
	t.Logf("ES6 numbers: %d lines, %d mismatches", lines, bad)
}

// TestJSONChecker: all pass* accepted, all fail* rejected except the two _EXCLUDE files
// (primitives.md §2.7).
func TestJSONChecker(t *testing.T) {
	dir := conformance.Path(t, "json-benchmark", "data", "jsonchecker")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var pass, fail, excluded int
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, perr := Canonicalize(data, limits.Default())
		switch {
		case strings.HasPrefix(name, "pass"), strings.HasSuffix(name, "_EXCLUDE.json"):
			if perr != nil {
				t.Errorf("%s rejected: %v", name, perr)
			}
			if strings.HasPrefix(name, "pass") {
				pass++
			} else {
				excluded++
			}
		case strings.HasPrefix(name, "fail"):
			if perr == nil {
				t.Errorf("%s accepted", name)
			} else {
				t.Logf("%s: %v", name, perr)
			}
			fail++
		}
	}
	if pass != 3 || fail != 31 || excluded != 2 {
		t.Errorf("jsonchecker: %d pass, %d fail, %d excluded; want 3, 31, 2", pass, fail, excluded)
	}
}

// TestRoundtrip: the 27 json-benchmark roundtrip files; the four 64-bit integers beyond 2^53−1
// are rejected in strict mode, the rest canonicalize to a fixed point.
func TestRoundtrip(t *testing.T) {
	dir := conformance.Path(t, "json-benchmark", "data", "roundtrip")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	rejected := map[string]bool{"roundtrip13.json": true, "roundtrip14.json": true, "roundtrip18.json": true, "roundtrip19.json": true}
	var nAccepted, nRejected int
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Canonicalize(data, limits.Default())
		if rejected[name] {
			e, ok := err.(*Error)
			if !ok || e.Code() != CodeIntegerOutOfRange || e.Offset() != 1 {
				t.Errorf("%s: got %v, want jcs.integer_out_of_range at 1", name, err)
			}
			nRejected++
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := CheckCanonical(got, limits.Default()); err != nil {
			t.Errorf("%s: output %q not a fixed point: %v", name, got, err)
		}
		nAccepted++
	}
	if nAccepted != 23 || nRejected != 4 {
		t.Errorf("roundtrip: %d accepted, %d rejected; want 23, 4", nAccepted, nRejected)
	}
}
