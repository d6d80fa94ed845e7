package sig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"math/big"

	"github.com/clyra-dev/clyra/verifier/go/internal/b64"
	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// Algorithm is the key algorithm of an SPKI (signatures.md §2.2).
type Algorithm uint8

// The three key algorithms.
const (
	AlgEd25519 Algorithm = iota + 1
	AlgP256
	AlgRSA
)

// String returns "ed25519", "p256" or "rsa".
func (a Algorithm) String() string {
	switch a {
	case AlgEd25519:
		return "ed25519"
	case AlgP256:
		return "p256"
	case AlgRSA:
		return "rsa"
	}
	return "unknown"
}

// PublicKey is a parsed, validated public key with its exact SPKI DER bytes.
type PublicKey struct {
	alg Algorithm
	der []byte
	ed  ed25519.PublicKey
	ec  *ecdsa.PublicKey
	rsa *rsa.PublicKey
}

// Algorithm returns the key's algorithm.
func (k *PublicKey) Algorithm() Algorithm { return k.alg }

// DER returns a copy of the key's SPKI DER bytes.
func (k *PublicKey) DER() []byte { return bytes.Clone(k.der) }

// KeyID returns "sha256:" + lowercase hex of SHA-256 over the SPKI DER (signatures.md §3).
func (k *PublicKey) KeyID() string { return KeyIDOf(k.der) }

// KeyIDOf returns the keyid of SPKI DER bytes (signatures.md §3).
func KeyIDOf(der []byte) string {
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}

const (
	pemBegin = "-----BEGIN PUBLIC KEY-----\n"
	pemEnd   = "-----END PUBLIC KEY-----"
)

// ParsePEM parses a public key in the strict PEM form of signatures.md §2.1, then its DER
// (§2.2–2.5). lim bounds the PEM text (limits.md L6).
func ParsePEM(text []byte, lim limits.Limits) (*PublicKey, error) {
	if len(text) > lim.KeyMaxBytes {
		return nil, newError(CodeKeyTooLarge, "key of %d bytes, more than %d", len(text), lim.KeyMaxBytes)
	}
	der, err := pemBody(text)
	if err != nil {
		return nil, err
	}
	return ParseDER(der, lim)
}

// pemBody checks RFC 7468 stricttextualmsg with label PUBLIC KEY and returns the decoded body.
func pemBody(text []byte) ([]byte, error) {
	bad := func(why string) error { return newError(CodePEMMalformed, "%s", why) }
	if bytes.IndexByte(text, '\r') >= 0 {
		return nil, bad("PEM holds a CR")
	}
	s := string(text)
	if len(s) < len(pemBegin) || s[:len(pemBegin)] != pemBegin {
		return nil, bad("PEM must start with `-----BEGIN PUBLIC KEY-----` and LF")
	}
	s = s[len(pemBegin):]
	var body []byte
	lastLen := 64
	for {
		nl := bytes.IndexByte([]byte(s), '\n')
		if nl < 0 {
			// The end line, with no LF after it.
			if s != pemEnd {
				return nil, bad("PEM must end with `-----END PUBLIC KEY-----` and at most one LF")
			}
			break
		}
		line := s[:nl]
		if line == pemEnd {
			if s[nl+1:] != "" {
				return nil, bad("text after the PEM end line")
			}
			break
		}
		if lastLen != 64 {
			return nil, bad("only the last base64 line may be shorter than 64 characters")
		}
		if len(line) == 0 || len(line) > 64 {
			return nil, bad("base64 lines hold 1 to 64 characters")
		}
		body = append(body, line...)
		lastLen = len(line)
		s = s[nl+1:]
	}
	if len(body) == 0 {
		return nil, bad("PEM has no base64 body")
	}
	der, err := b64.Decode(string(body))
	if err != nil {
		return nil, bad("PEM body is not strict base64")
	}
	return der, nil
}

// DER contents of the algorithm identifiers of signatures.md §2.2.
var (
	oidEd25519   = []byte{0x2b, 0x65, 0x70}
	oidECPublic  = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}
	oidRSA       = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}
	paramsP256   = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	paramsNull   = []byte{0x05, 0x00}
	exponentF4   = big.NewInt(65537)
	minRSABits   = 2048
	maxRSABits   = 4096
	tagSequence  = byte(0x30)
	tagBitString = byte(0x03)
	tagOID       = byte(0x06)
	tagInteger   = byte(0x02)
)

// ParseDER parses an X.509 SubjectPublicKeyInfo in strict DER (signatures.md §2.2–2.5).
func ParseDER(der []byte, lim limits.Limits) (*PublicKey, error) {
	if len(der) > lim.KeyMaxBytes {
		return nil, newError(CodeKeyTooLarge, "key of %d bytes, more than %d", len(der), lim.KeyMaxBytes)
	}
	return parseSPKI(der, true)
}

// parseSPKI parses der; strictRSA applies signatures.md §2.4 (off only for the test-only path
// that runs Wycheproof groups with e = 3 keys, signatures.md §6).
func parseSPKI(der []byte, strictRSA bool) (*PublicKey, error) {
	malformed := func(why string) error { return newError(CodeDERMalformed, "%s", why) }
	tag, spki, rest, ok := readTLV(der)
	if !ok || tag != tagSequence || len(rest) != 0 {
		return nil, malformed("not one DER SEQUENCE without trailing bytes")
	}
	tag, algID, rest, ok := readTLV(spki)
	if !ok || tag != tagSequence {
		return nil, malformed("no AlgorithmIdentifier")
	}
	tag, bitString, rest, ok := readTLV(rest)
	if !ok || tag != tagBitString || len(rest) != 0 {
		return nil, malformed("no subjectPublicKey BIT STRING, or trailing bytes")
	}
	if len(bitString) == 0 || bitString[0] != 0 {
		return nil, malformed("subjectPublicKey has unused bits")
	}
	keyBytes := bitString[1:]
	tag, oid, params, ok := readTLV(algID)
	if !ok || tag != tagOID || !validOID(oid) {
		return nil, malformed("no algorithm OBJECT IDENTIFIER")
	}
	if len(params) > 0 {
		if _, _, after, ok := readTLV(params); !ok || len(after) != 0 {
			return nil, malformed("algorithm parameters are not one DER element")
		}
	}
	switch {
	case bytes.Equal(oid, oidEd25519):
		if len(params) != 0 {
			return nil, newError(CodeUnsupportedAlgorithm, "Ed25519 with parameters")
		}
		if len(keyBytes) != ed25519.PublicKeySize || !ed25519Decompresses(keyBytes) {
			return nil, newError(CodeKeyInvalid, "not an Ed25519 point encoding")
		}
		return &PublicKey{alg: AlgEd25519, der: bytes.Clone(der), ed: ed25519.PublicKey(bytes.Clone(keyBytes))}, nil
	case bytes.Equal(oid, oidECPublic):
		if !bytes.Equal(params, paramsP256) {
			return nil, newError(CodeUnsupportedAlgorithm, "EC key on a curve other than P-256")
		}
		if len(keyBytes) > 0 && (keyBytes[0] == 0x02 || keyBytes[0] == 0x03) {
			return nil, newError(CodePointNotUncompressed, "compressed P-256 point")
		}
		if len(keyBytes) != 65 || keyBytes[0] != 0x04 {
			return nil, newError(CodeKeyInvalid, "P-256 point is not 65 bytes 04‖X‖Y")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), keyBytes)
		if err != nil {
			return nil, newError(CodeKeyInvalid, "P-256 point not on the curve")
		}
		return &PublicKey{alg: AlgP256, der: bytes.Clone(der), ec: pub}, nil
	case bytes.Equal(oid, oidRSA):
		if !bytes.Equal(params, paramsNull) {
			return nil, newError(CodeUnsupportedAlgorithm, "RSA without NULL parameters")
		}
		pub, err := parseRSAPublicKey(keyBytes, strictRSA)
		if err != nil {
			return nil, err
		}
		return &PublicKey{alg: AlgRSA, der: bytes.Clone(der), rsa: pub}, nil
	}
	return nil, newError(CodeUnsupportedAlgorithm, "SPKI algorithm is not Ed25519, P-256 or RSA")
}

// parseRSAPublicKey parses DER RSAPublicKey {n, e} and applies signatures.md §2.4 when strict.
func parseRSAPublicKey(b []byte, strict bool) (*rsa.PublicKey, error) {
	malformed := newError(CodeDERMalformed, "RSAPublicKey is not canonical DER")
	tag, seq, rest, ok := readTLV(b)
	if !ok || tag != tagSequence || len(rest) != 0 {
		return nil, malformed
	}
	tag, nBytes, rest, ok := readTLV(seq)
	if !ok || tag != tagInteger || !minimalInteger(nBytes) {
		return nil, malformed
	}
	tag, eBytes, rest, ok := readTLV(rest)
	if !ok || tag != tagInteger || !minimalInteger(eBytes) || len(rest) != 0 {
		return nil, malformed
	}
	if nBytes[0]&0x80 != 0 || eBytes[0]&0x80 != 0 {
		return nil, newError(CodeKeyInvalid, "negative RSA modulus or exponent")
	}
	n := new(big.Int).SetBytes(nBytes)
	e := new(big.Int).SetBytes(eBytes)
	if strict {
		if bits := n.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, newError(CodeRSASize, "RSA modulus of %d bits, want 2048 to 4096", bits)
		}
		if e.Cmp(exponentF4) != 0 {
			return nil, newError(CodeRSAExponent, "RSA public exponent %s, want 65537", e)
		}
	}
	if n.Sign() == 0 || e.Sign() == 0 || !e.IsInt64() || e.Int64() > 1<<31-1 {
		return nil, newError(CodeKeyInvalid, "RSA modulus or exponent out of range")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

// Field constants of edwards25519 (RFC 8032 §5.1).
var (
	edP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	edD = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), edP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, edP)
	}()
	edLegendre = new(big.Int).Rsh(new(big.Int).Sub(edP, big.NewInt(1)), 1)
)

// ed25519Decompresses reports whether a 32-byte encoding decodes to a curve point by the rule
// Go's crypto/ed25519 applies (signatures.md §2.5): y is taken mod p (non-canonical encodings
// accepted), and x² = (y²−1)/(d·y²+1) must have a square root; the sign bit is not checked
// against x = 0.
func ed25519Decompresses(enc []byte) bool {
	le := bytes.Clone(enc)
	le[31] &= 0x7f
	for i, j := 0, len(le)-1; i < j; i, j = i+1, j-1 {
		le[i], le[j] = le[j], le[i]
	}
	y := new(big.Int).SetBytes(le)
	y.Mod(y, edP)
	y2 := new(big.Int).Mul(y, y)
	y2.Mod(y2, edP)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	u.Mod(u, edP)
	v := new(big.Int).Mul(edD, y2)
	v.Add(v, big.NewInt(1))
	v.Mod(v, edP)
	if u.Sign() == 0 {
		return true
	}
	w := new(big.Int).ModInverse(v, edP) // v ≠ 0: d is not a square
	if w == nil {
		return false
	}
	w.Mul(w, u)
	w.Mod(w, edP)
	return new(big.Int).Exp(w, edLegendre, edP).Cmp(big.NewInt(1)) == 0
}
