package sig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
)

// Scheme is a registered signature scheme name (signatures.md §1).
type Scheme string

// The four schemes of format version 0.
const (
	Ed25519           Scheme = "ed25519"
	ECDSAP256SHA256   Scheme = "ecdsa-p256-sha256"
	RSAPKCS1v15SHA256 Scheme = "rsa-pkcs1v15-sha256"
	RSAPSSSHA256      Scheme = "rsa-pss-sha256"
)

// ParseScheme returns the scheme named name, matched exactly (case-sensitive); any other name
// is key.unknown_scheme.
func ParseScheme(name string) (Scheme, error) {
	switch s := Scheme(name); s {
	case Ed25519, ECDSAP256SHA256, RSAPKCS1v15SHA256, RSAPSSSHA256:
		return s, nil
	}
	return "", newError(CodeUnknownScheme, "unknown scheme `%s`", name)
}

// pssSaltLength is fixed (signatures.md §4.5); Go's 0 would mean auto-detect.
const pssSaltLength = 32

// Verify checks signature over msg with key under scheme (signatures.md §4): the pairing of key
// and scheme (sig.scheme_mismatch), the form of the signature (sig.malformed), then the
// cryptographic check (sig.invalid).
func Verify(key *PublicKey, scheme Scheme, msg, signature []byte) error {
	if _, err := ParseScheme(string(scheme)); err != nil {
		return err
	}
	switch key.alg {
	case AlgEd25519:
		if scheme != Ed25519 {
			return mismatch(key, scheme)
		}
		if len(signature) != ed25519.SignatureSize {
			return newError(CodeSigMalformed, "Ed25519 signature of %d bytes, want 64", len(signature))
		}
		// Cofactorless, S < L checked by crypto/ed25519 (signatures.md §4.2).
		if !ed25519.Verify(key.ed, msg, signature) {
			return newError(CodeSigInvalid, "Ed25519 signature does not verify")
		}
		return nil
	case AlgP256:
		if scheme != ECDSAP256SHA256 {
			return mismatch(key, scheme)
		}
		return verifyECDSA(key.ec, msg, signature)
	case AlgRSA:
		if scheme != RSAPKCS1v15SHA256 && scheme != RSAPSSSHA256 {
			return mismatch(key, scheme)
		}
		return verifyRSA(key.rsa, scheme, msg, signature)
	}
	return newError(CodeSchemeMismatch, "key of unknown algorithm")
}

func mismatch(key *PublicKey, scheme Scheme) error {
	return newError(CodeSchemeMismatch, "%s key cannot verify scheme `%s`", key.alg, scheme)
}

// verifyECDSA checks a strict-DER ECDSA P-256 signature (signatures.md §4.3); high S is accepted.
func verifyECDSA(pub *ecdsa.PublicKey, msg, signature []byte) error {
	if !strictECDSASignature(signature, elliptic.P256().Params().N) {
		return newError(CodeSigMalformed, "ECDSA signature is not strict DER with 0 < r, s < n")
	}
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub, digest[:], signature) {
		return newError(CodeSigInvalid, "ECDSA signature does not verify")
	}
	return nil
}

// strictECDSASignature reports whether b is DER SEQUENCE { r INTEGER, s INTEGER } with minimal
// positive integers in (0, n) and no trailing bytes.
func strictECDSASignature(b []byte, n *big.Int) bool {
	tag, seq, rest, ok := readTLV(b)
	if !ok || tag != tagSequence || len(rest) != 0 {
		return false
	}
	for i := 0; i < 2; i++ {
		var c []byte
		tag, c, seq, ok = readTLV(seq)
		if !ok || tag != tagInteger || !minimalInteger(c) || c[0]&0x80 != 0 {
			return false
		}
		v := new(big.Int).SetBytes(c)
		if v.Sign() == 0 || v.Cmp(n) >= 0 {
			return false
		}
	}
	return len(seq) == 0
}

// verifyRSA checks an RSA signature under either RSA scheme (signatures.md §4.4–4.5). It is
// the lower-level path: it applies no key policy of its own.
func verifyRSA(pub *rsa.PublicKey, scheme Scheme, msg, signature []byte) error {
	k := (pub.N.BitLen() + 7) / 8
	if len(signature) != k {
		return newError(CodeSigMalformed, "RSA signature of %d bytes, want %d", len(signature), k)
	}
	if new(big.Int).SetBytes(signature).Cmp(pub.N) >= 0 {
		return newError(CodeSigMalformed, "RSA signature is not below the modulus")
	}
	digest := sha256.Sum256(msg)
	var err error
	switch scheme {
	case RSAPKCS1v15SHA256:
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], signature)
	case RSAPSSSHA256:
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], signature, &rsa.PSSOptions{SaltLength: pssSaltLength, Hash: crypto.SHA256})
	default:
		return newError(CodeSchemeMismatch, "scheme `%s` is not an RSA scheme", scheme)
	}
	if err != nil {
		return newError(CodeSigInvalid, "RSA signature does not verify")
	}
	return nil
}
