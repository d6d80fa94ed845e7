package sig

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/conformance"
	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// Wycheproof files are test data and are decoded with encoding/json.

type wpFile struct {
	NumberOfTests int       `json:"numberOfTests"`
	TestGroups    []wpGroup `json:"testGroups"`
}

type wpGroup struct {
	PublicKeyDer string `json:"publicKeyDer"`
	PublicKey    struct {
		PK             string `json:"pk"`
		PublicExponent string `json:"publicExponent"`
	} `json:"publicKey"`
	Sha    string   `json:"sha"`
	MgfSha string   `json:"mgfSha"`
	SLen   *int     `json:"sLen"`
	Tests  []wpTest `json:"tests"`
}

type wpTest struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Msg     string   `json:"msg"`
	Sig     string   `json:"sig"`
	Result  string   `json:"result"`
}

type tally struct{ valid, invalid, acceptable, e3 int }

func (c tally) String() string {
	return fmt.Sprintf("%d valid, %d invalid, %d acceptable (%d through the e=3 path)", c.valid, c.invalid, c.acceptable, c.e3)
}

// runWycheproof verifies every test of file with scheme, through the strict parser for e = 65537
// keys and the test-only path for e = 3 keys (whose strict parse must fail with key.rsa_exponent,
// signatures.md §6). keep selects groups. "acceptable" cases must be rejected (signatures.md §6).
func runWycheproof(t *testing.T, file string, scheme Scheme, keep func(wpGroup) bool) tally {
	t.Helper()
	var f wpFile
	if err := json.Unmarshal(conformance.ReadFile(t, "c2sp-wycheproof", "testvectors_v1", file), &f); err != nil {
		t.Fatal(err)
	}
	var c tally
	total := 0
	for _, g := range f.TestGroups {
		total += len(g.Tests)
		if keep != nil && !keep(g) {
			continue
		}
		der := mustHex(t, g.PublicKeyDer)
		key, err := ParseDER(der, limits.Default())
		relaxed := false
		if g.PublicKey.PublicExponent == "03" {
			if codeOf(err) != CodeRSAExponent {
				t.Errorf("%s: e=3 key: strict parse gave %v, want %s", file, err, CodeRSAExponent)
			}
			key, err = parseSPKI(der, false)
			relaxed = true
		}
		if err != nil {
			t.Fatalf("%s: group key rejected: %v", file, err)
		}
		for _, tc := range g.Tests {
			var verr error
			if relaxed {
				verr = verifyRSA(key.rsa, scheme, mustHex(t, tc.Msg), mustHex(t, tc.Sig))
				c.e3++
			} else {
				verr = Verify(key, scheme, mustHex(t, tc.Msg), mustHex(t, tc.Sig))
			}
			if verr != nil {
				if e, ok := verr.(*Error); !ok || (e.Code() != CodeSigMalformed && e.Code() != CodeSigInvalid) {
					t.Errorf("%s tc %d: unexpected error %v", file, tc.TcID, verr)
				}
			}
			switch tc.Result {
			case "valid":
				c.valid++
				if verr != nil {
					t.Errorf("%s tc %d (%s %v): valid signature rejected: %v", file, tc.TcID, tc.Comment, tc.Flags, verr)
				}
			case "invalid":
				c.invalid++
				if verr == nil {
					t.Errorf("%s tc %d (%s %v): invalid signature accepted", file, tc.TcID, tc.Comment, tc.Flags)
				}
			case "acceptable":
				c.acceptable++
				if verr == nil {
					t.Errorf("%s tc %d (%s %v): acceptable case accepted; Clyra rejects them", file, tc.TcID, tc.Comment, tc.Flags)
				}
			default:
				t.Fatalf("%s tc %d: result %q", file, tc.TcID, tc.Result)
			}
		}
	}
	if total != f.NumberOfTests {
		t.Errorf("%s: %d tests, numberOfTests says %d", file, total, f.NumberOfTests)
	}
	t.Logf("%s: %s", file, c)
	return c
}

func TestWycheproofEd25519(t *testing.T) {
	// ed25519_test.json also states the raw key; check it matches the SPKI.
	got := runWycheproof(t, "ed25519_test.json", Ed25519, func(g wpGroup) bool {
		k, err := ParseDER(mustHex(t, g.PublicKeyDer), limits.Default())
		if err == nil && hex.EncodeToString(k.ed) != g.PublicKey.PK {
			t.Errorf("raw key %s differs from SPKI", g.PublicKey.PK)
		}
		return true
	})
	if want := (tally{valid: 88, invalid: 63}); got != want {
		t.Errorf("ed25519: %v, want %v", got, want)
	}
}

func TestWycheproofECDSAP256(t *testing.T) {
	got := runWycheproof(t, "ecdsa_secp256r1_sha256_test.json", ECDSAP256SHA256, nil)
	if want := (tally{valid: 174, invalid: 310}); got != want {
		t.Errorf("ecdsa: %v, want %v", got, want)
	}
}

func TestWycheproofRSAPKCS1v15(t *testing.T) {
	for _, c := range []struct {
		file string
		want tally
	}{
		{"rsa_signature_2048_sha256_test.json", tally{valid: 9, invalid: 249, acceptable: 1, e3: 2}},
		{"rsa_signature_3072_sha256_test.json", tally{valid: 8, invalid: 250, acceptable: 1, e3: 1}},
		{"rsa_signature_4096_sha256_test.json", tally{valid: 7, invalid: 250, acceptable: 1}},
	} {
		if got := runWycheproof(t, c.file, RSAPKCS1v15SHA256, nil); got != c.want {
			t.Errorf("%s: %v, want %v", c.file, got, c.want)
		}
	}
}

func TestWycheproofRSAPSS(t *testing.T) {
	for _, file := range []string{
		"rsa_pss_2048_sha256_mgf1_32_test.json",
		"rsa_pss_3072_sha256_mgf1_32_test.json",
		"rsa_pss_4096_sha256_mgf1_32_test.json",
	} {
		if got, want := runWycheproof(t, file, RSAPSSSHA256, nil), (tally{valid: 63, invalid: 45}); got != want {
			t.Errorf("%s: %v, want %v", file, got, want)
		}
	}
	sha256Salt32 := func(g wpGroup) bool {
		return g.Sha == "SHA-256" && g.MgfSha == "SHA-256" && g.SLen != nil && *g.SLen == 32
	}
	if got, want := runWycheproof(t, "rsa_pss_misc_test.json", RSAPSSSHA256, sha256Salt32), (tally{valid: 1}); got != want {
		t.Errorf("rsa_pss_misc salt 32: %v, want %v", got, want)
	}
}

// TestPSSOtherSaltLengths: the rsa_pss_misc SHA-256/MGF1-SHA-256 signatures with salt lengths
// other than 32 are valid for their own parameters but invalid in Clyra (signatures.md §4.5).
func TestPSSOtherSaltLengths(t *testing.T) {
	var f wpFile
	if err := json.Unmarshal(conformance.ReadFile(t, "c2sp-wycheproof", "testvectors_v1", "rsa_pss_misc_test.json"), &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range f.TestGroups {
		if g.Sha != "SHA-256" || g.MgfSha != "SHA-256" || g.SLen == nil || *g.SLen == 32 {
			continue
		}
		key, err := ParseDER(mustHex(t, g.PublicKeyDer), limits.Default())
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range g.Tests {
			if err := Verify(key, RSAPSSSHA256, mustHex(t, tc.Msg), mustHex(t, tc.Sig)); codeOf(err) != CodeSigInvalid {
				t.Errorf("salt %d tc %d: got %v, want %s", *g.SLen, tc.TcID, err, CodeSigInvalid)
			}
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d other-salt cases, want 5", n)
	}
}

// TestSpeccheck pins the ed25519-speccheck pattern of signatures.md §4.2.
func TestSpeccheck(t *testing.T) {
	var cases []struct {
		Message   string `json:"message"`
		PubKey    string `json:"pub_key"`
		Signature string `json:"signature"`
	}
	if err := json.Unmarshal(conformance.ReadFile(t, "ed25519-speccheck", "cases.json"), &cases); err != nil {
		t.Fatal(err)
	}
	const want = "VVVVXXXXXXXV"
	got := ""
	for i, c := range cases {
		der := append(mustHex(t, "302a300506032b6570032100"), mustHex(t, c.PubKey)...)
		key, err := ParseDER(der, limits.Default())
		if err == nil {
			err = Verify(key, Ed25519, mustHex(t, c.Message), mustHex(t, c.Signature))
		}
		if err == nil {
			got += "V"
		} else {
			got += "X"
			t.Logf("case %d: %v", i, err)
		}
	}
	if got != want {
		t.Errorf("speccheck pattern %s, want %s", got, want)
	}
}
