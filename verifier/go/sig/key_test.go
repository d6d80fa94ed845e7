package sig

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

const rfc8032Test1 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

// TestKeyIDExample is the example of signatures.md §3.
func TestKeyIDExample(t *testing.T) {
	der := mustHex(t, "302a300506032b6570032100"+rfc8032Test1)
	k, err := ParseDER(der, limits.Default())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.KeyID(), "sha256:06e3fd8fda29bb60ab59557de61edb0aecdb231134be30e75b455f8e1b792fa9"; got != want {
		t.Errorf("keyid %s, want %s", got, want)
	}
	if k.Algorithm() != AlgEd25519 || !bytes.Equal(k.DER(), der) {
		t.Errorf("algorithm or DER differ")
	}
}

func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func spkiOf(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// generatedKeys returns SPKI DER of freshly generated keys (Go's encoders write the strict form).
func generatedKeys(t *testing.T) (edDER, ecDER, rsaDER []byte, edPriv ed25519.PrivateKey, ecPriv *ecdsa.PrivateKey, rsaPriv *rsa.PrivateKey) {
	t.Helper()
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaPriv, err = rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return spkiOf(t, edPub), spkiOf(t, &ecPriv.PublicKey), spkiOf(t, &rsaPriv.PublicKey), edPriv, ecPriv, rsaPriv
}

// TestSignVerifyAllSchemes signs with generated keys and checks pairing, tampering and forms.
func TestSignVerifyAllSchemes(t *testing.T) {
	edDER, ecDER, rsaDER, edPriv, ecPriv, rsaPriv := generatedKeys(t)
	lim := limits.Default()
	msg := []byte("clyra")
	digest := sha256.Sum256(msg)
	ecSig, err := ecdsa.SignASN1(rand.Reader, ecPriv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	pkcs, err := rsa.SignPKCS1v15(rand.Reader, rsaPriv, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	pss, err := rsa.SignPSS(rand.Reader, rsaPriv, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	pss20, err := rsa.SignPSS(rand.Reader, rsaPriv, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: 20})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]byte{"ed": edDER, "ec": ecDER, "rsa": rsaDER}
	parsed := map[string]*PublicKey{}
	for name, der := range keys {
		k, err := ParsePEM(pemOf(der), lim)
		if err != nil {
			t.Fatalf("%s PEM: %v", name, err)
		}
		if k.KeyID() != KeyIDOf(der) {
			t.Errorf("%s keyid", name)
		}
		parsed[name] = k
	}
	cases := []struct {
		key    string
		scheme Scheme
		sig    []byte
		msg    []byte
		code   string
	}{
		{"ed", Ed25519, ed25519.Sign(edPriv, msg), msg, ""},
		{"ed", Ed25519, ed25519.Sign(edPriv, msg), []byte("clyrb"), CodeSigInvalid},
		{"ed", Ed25519, ed25519.Sign(edPriv, msg)[:63], msg, CodeSigMalformed},
		{"ed", ECDSAP256SHA256, ecSig, msg, CodeSchemeMismatch},
		{"ec", ECDSAP256SHA256, ecSig, msg, ""},
		{"ec", ECDSAP256SHA256, highS(ecSig), msg, ""}, // signatures.md §4.3: high S accepted
		{"ec", ECDSAP256SHA256, ecSig, []byte("clyrb"), CodeSigInvalid},
		{"ec", ECDSAP256SHA256, append(bytes.Clone(ecSig), 0), msg, CodeSigMalformed},
		{"ec", ECDSAP256SHA256, p1363(ecSig), msg, CodeSigMalformed},
		{"ec", Ed25519, ecSig, msg, CodeSchemeMismatch},
		{"ec", RSAPKCS1v15SHA256, ecSig, msg, CodeSchemeMismatch},
		{"rsa", RSAPKCS1v15SHA256, pkcs, msg, ""},
		{"rsa", RSAPSSSHA256, pss, msg, ""},
		{"rsa", RSAPSSSHA256, pss20, msg, CodeSigInvalid},
		{"rsa", RSAPSSSHA256, pkcs, msg, CodeSigInvalid},
		{"rsa", RSAPKCS1v15SHA256, pss, msg, CodeSigInvalid},
		{"rsa", RSAPKCS1v15SHA256, pkcs[1:], msg, CodeSigMalformed},
		{"rsa", RSAPKCS1v15SHA256, rsaPriv.N.Bytes(), msg, CodeSigMalformed}, // s = n
		{"rsa", Ed25519, pkcs, msg, CodeSchemeMismatch},
		{"rsa", Scheme("RSA-PSS-SHA256"), pss, msg, CodeUnknownScheme},
	}
	for i, c := range cases {
		err := Verify(parsed[c.key], c.scheme, c.msg, c.sig)
		want := c.code
		if want == "" {
			want = "<nil>"
		}
		if codeOf(err) != want {
			t.Errorf("case %d (%s %s): got %v, want %s", i, c.key, c.scheme, err, want)
		}
	}
}

// highS returns the same ECDSA signature with s replaced by n − s.
func highS(der []byte) []byte {
	_, seq, _, _ := readTLV(der)
	_, r, rest, _ := readTLV(seq)
	_, s, _, _ := readTLV(rest)
	n := elliptic.P256().Params().N
	s2 := new(big.Int).Sub(n, new(big.Int).SetBytes(s))
	return derSeq(derInt(new(big.Int).SetBytes(r)), derInt(s2))
}

func p1363(der []byte) []byte {
	_, seq, _, _ := readTLV(der)
	_, r, rest, _ := readTLV(seq)
	_, s, _, _ := readTLV(rest)
	out := make([]byte, 64)
	new(big.Int).SetBytes(r).FillBytes(out[:32])
	new(big.Int).SetBytes(s).FillBytes(out[32:])
	return out
}

func derInt(v *big.Int) []byte {
	b := v.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return append([]byte{0x02, byte(len(b))}, b...)
}

func derSeq(parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	return append([]byte{0x30, byte(len(body))}, body...)
}

func TestParseSchemeNames(t *testing.T) {
	for _, s := range []string{"ed25519", "ecdsa-p256-sha256", "rsa-pkcs1v15-sha256", "rsa-pss-sha256"} {
		if got, err := ParseScheme(s); err != nil || string(got) != s {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"Ed25519", "ed25519 ", "ecdsa-sha2-nistp256", "rsa-pss-sha384", ""} {
		if _, err := ParseScheme(s); codeOf(err) != CodeUnknownScheme {
			t.Errorf("%q: %v", s, err)
		}
	}
}

// TestPEMRejections covers signatures.md §2.1.
func TestPEMRejections(t *testing.T) {
	edDER := mustHex(t, "302a300506032b6570032100"+rfc8032Test1)
	good := string(pemOf(edDER)) // one 60-character line
	if _, err := ParsePEM([]byte(good), limits.Default()); err != nil {
		t.Fatalf("good PEM: %v", err)
	}
	if _, err := ParsePEM([]byte(strings.TrimSuffix(good, "\n")), limits.Default()); err != nil {
		t.Errorf("PEM without the final LF: %v", err)
	}
	_, _, rsaDER, _, _, _ := generatedKeys(t)
	long := string(pemOf(rsaDER)) // several 64-character lines
	lines := strings.Split(long, "\n")
	bad := map[string]string{
		"CRLF":               strings.ReplaceAll(good, "\n", "\r\n"),
		"leading text":       "x\n" + good,
		"leading blank line": "\n" + good,
		"trailing text":      good + "x",
		"two LFs at the end": good + "\n",
		"two blocks":         good + good,
		"wrong label":        strings.ReplaceAll(good, "PUBLIC KEY", "RSA PUBLIC KEY"),
		"header":             strings.Replace(good, "-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1),
		"empty line":         strings.Replace(long, lines[1]+"\n", lines[1]+"\n\n", 1),
		"short inner line":   strings.Replace(long, lines[1]+"\n", lines[1][:60]+"\n"+lines[1][60:]+"\n", 1),
		"65-character line":  strings.Replace(long, lines[1]+"\n"+lines[2], lines[1]+lines[2][:1]+"\n"+lines[2][1:], 1),
		"space in body":      strings.Replace(good, "MCow", "MC w", 1),
		"trailing space":     strings.Replace(good, "-----END PUBLIC KEY-----", "-----END PUBLIC KEY----- ", 1),
		"no body":            "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
		"missing padding":    strings.Replace(good, "=\n", "\n", 1),
		"non-zero pad bits":  nonZeroPad(t, good),
		"URL-safe alphabet":  "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n",
		"no end line":        "-----BEGIN PUBLIC KEY-----\n" + lines[1] + "\n",
		"tab before end":     strings.Replace(good, "\n-----END", "\n\t-----END", 1),
	}
	for name, text := range bad {
		if _, err := ParsePEM([]byte(text), limits.Default()); codeOf(err) != CodePEMMalformed {
			t.Errorf("%s: got %v, want %s", name, err, CodePEMMalformed)
		}
	}
	lim := limits.Default()
	lim.KeyMaxBytes = len(good) - 1
	if _, err := ParsePEM([]byte(good), lim); codeOf(err) != CodeKeyTooLarge {
		t.Errorf("L6: %v", err)
	}
	if _, err := ParsePEM(bytes.Repeat([]byte("A"), 16385), limits.Default()); codeOf(err) != CodeKeyTooLarge {
		t.Errorf("16385 bytes: %v", err)
	}
}

func nonZeroPad(t *testing.T, good string) string {
	t.Helper()
	// The Ed25519 SPKI is 44 bytes: its base64 ends in one `=`, the char before it carries 2 pad bits.
	i := strings.Index(good, "=\n")
	if i < 1 {
		t.Fatal("no padding in the PEM")
	}
	c := good[i-1]
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	v := strings.IndexByte(alphabet, c)
	return good[:i-1] + string(alphabet[v|1]) + good[i:]
}

// TestDERRejections covers signatures.md §2.2–2.5.
func TestDERRejections(t *testing.T) {
	edPrefix := "302a300506032b6570032100"
	_, ecDER, _, _, ecPriv, rsaPriv := generatedKeys(t)
	point := elliptic.Marshal(elliptic.P256(), ecPriv.X, ecPriv.Y)
	compressed := elliptic.MarshalCompressed(elliptic.P256(), ecPriv.X, ecPriv.Y)
	ecAlg := "301306072a8648ce3d020106082a8648ce3d030107"
	spkiEC := func(alg string, pt []byte) []byte {
		bs := append([]byte{0x03, byte(len(pt) + 1), 0x00}, pt...)
		return derSeq(mustHex(t, alg), bs)
	}
	rsaAlgNull := "300d06092a864886f70d0101010500"
	rsaKey := func(n *big.Int, e int64) []byte {
		inner := derSeqLong(derIntLong(n), derInt(big.NewInt(e)))
		bs := append(append([]byte{0x03}, derLen(len(inner)+1)...), append([]byte{0x00}, inner...)...)
		return derSeqLong(mustHex(t, rsaAlgNull), bs)
	}
	if _, err := ParseDER(spkiEC(ecAlg, point), limits.Default()); err != nil {
		t.Fatalf("rebuilt EC SPKI: %v (Go's: %x)", err, ecDER)
	}
	if _, err := ParseDER(rsaKey(rsaPriv.N, 65537), limits.Default()); err != nil {
		t.Fatalf("rebuilt RSA SPKI: %v", err)
	}
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	offCurve := bytes.Clone(point)
	offCurve[64] ^= 1
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	n4097 := new(big.Int).Lsh(big.NewInt(1), 4096)
	n4097.Add(n4097, big.NewInt(1))
	n2047 := new(big.Int).Rsh(rsaPriv.N, 1)
	cases := []struct {
		name string
		der  []byte
		code string
	}{
		{"trailing byte", append(mustHex(t, edPrefix+rfc8032Test1), 0), CodeDERMalformed},
		{"long-form length", mustHex(t, "30812a300506032b6570032100"+rfc8032Test1), CodeDERMalformed},
		{"indefinite length", mustHex(t, "3080300506032b6570032100"+rfc8032Test1+"0000"), CodeDERMalformed},
		{"unused bits", mustHex(t, "302a300506032b6570032101"+rfc8032Test1), CodeDERMalformed},
		{"truncated", mustHex(t, edPrefix+rfc8032Test1)[:40], CodeDERMalformed},
		{"not a sequence", mustHex(t, "312a300506032b6570032100"+rfc8032Test1), CodeDERMalformed},
		{"empty", nil, CodeDERMalformed},
		{"non-minimal OID", mustHex(t, "302b30060604802b6570032100"+rfc8032Test1), CodeDERMalformed},
		{"Ed25519 with NULL parameters", mustHex(t, "302c300706032b65700500032100"+rfc8032Test1), CodeUnsupportedAlgorithm},
		{"X25519", spkiOf(t, x25519.PublicKey()), CodeUnsupportedAlgorithm},
		{"P-384", spkiOf(t, &p384.PublicKey), CodeUnsupportedAlgorithm},
		{"RSA-PSS OID", spkiWith(t, "300b06092a864886f70d01010a", rsaInner(rsaPriv.N)), CodeUnsupportedAlgorithm},
		{"RSA without NULL", spkiWith(t, "300b06092a864886f70d010101", rsaInner(rsaPriv.N)), CodeUnsupportedAlgorithm},
		{"RSA with other parameters", spkiWith(t, "300f06092a864886f70d0101010402abcd", rsaInner(rsaPriv.N)), CodeUnsupportedAlgorithm},
		{"RSA inner trailing byte", spkiWith(t, rsaAlgNull, append(rsaInner(rsaPriv.N), 0)), CodeDERMalformed},
		{"Ed25519 key of 31 bytes", mustHex(t, "3029300506032b6570032000"+rfc8032Test1[:62]), CodeKeyInvalid},
		{"EC point compressed", spkiEC(ecAlg, compressed), CodePointNotUncompressed},
		{"EC point off the curve", spkiEC(ecAlg, offCurve), CodeKeyInvalid},
		{"EC point 64 bytes", spkiEC(ecAlg, point[1:]), CodeKeyInvalid},
		{"EC identity encoding", spkiEC(ecAlg, []byte{0x00}), CodeKeyInvalid},
		{"EC no curve", spkiEC("300906072a8648ce3d0201", point), CodeUnsupportedAlgorithm},
		{"RSA 1024", spkiOf(t, &rsa1024.PublicKey), CodeRSASize},
		{"RSA 2047", rsaKey(n2047, 65537), CodeRSASize},
		{"RSA 4097", rsaKey(n4097, 65537), CodeRSASize},
		{"RSA e=3", rsaKey(rsaPriv.N, 3), CodeRSAExponent},
		{"RSA e=65539", rsaKey(rsaPriv.N, 65539), CodeRSAExponent},
		{"RSA 1024 and e=3: size first", rsaKey(rsa1024.N, 3), CodeRSASize},
		{"RSA non-minimal modulus", rsaKeyRaw(t, rsaAlgNull, append([]byte{0x00}, padded(rsaPriv.N)...), 65537), CodeDERMalformed},
		{"RSA negative modulus", rsaKeyRaw(t, rsaAlgNull, rsaPriv.N.Bytes(), 65537), CodeKeyInvalid},
	}
	for _, c := range cases {
		if _, err := ParseDER(c.der, limits.Default()); codeOf(err) != c.code {
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := ParseDER(make([]byte, 16385), limits.Default()); codeOf(err) != CodeKeyTooLarge {
		t.Errorf("L6 on DER: %v", err)
	}
	// The 4096-bit bound is inclusive.
	n4096 := new(big.Int).Lsh(big.NewInt(1), 4095)
	n4096.Add(n4096, big.NewInt(1))
	if _, err := ParseDER(rsaKey(n4096, 65537), limits.Default()); err != nil {
		t.Errorf("4096-bit modulus: %v", err)
	}
}

// spkiWith builds an SPKI from an AlgorithmIdentifier (hex) and subjectPublicKey bytes.
func spkiWith(t *testing.T, alg string, key []byte) []byte {
	bs := append(append([]byte{0x03}, derLen(len(key)+1)...), append([]byte{0x00}, key...)...)
	return derSeqLong(mustHex(t, alg), bs)
}

func rsaInner(n *big.Int) []byte { return derSeqLong(derIntLong(n), derInt(big.NewInt(65537))) }

// padded returns the modulus bytes with the DER sign byte.
func padded(n *big.Int) []byte { return append([]byte{0x00}, n.Bytes()...) }

func rsaKeyRaw(t *testing.T, alg string, nContent []byte, e int64) []byte {
	intN := append(append([]byte{0x02}, derLen(len(nContent))...), nContent...)
	inner := derSeqLong(intN, derInt(big.NewInt(e)))
	bs := append(append([]byte{0x03}, derLen(len(inner)+1)...), append([]byte{0x00}, inner...)...)
	return derSeqLong(mustHex(t, alg), bs)
}

func derLen(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x100:
		return []byte{0x81, byte(n)}
	default:
		return []byte{0x82, byte(n >> 8), byte(n)}
	}
}

func derIntLong(v *big.Int) []byte {
	b := v.Bytes()
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return append(append([]byte{0x02}, derLen(len(b))...), b...)
}

func derSeqLong(parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	return append(append([]byte{0x30}, derLen(len(body))...), body...)
}
