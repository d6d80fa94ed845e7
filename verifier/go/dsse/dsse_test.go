package dsse

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/b64"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/sig"
)

func codeOf(err error) string {
	if err == nil {
		return "<nil>"
	}
	if c, ok := err.(interface{ Code() string }); ok {
		return c.Code()
	}
	return "?" + err.Error()
}

func TestPAEExample(t *testing.T) {
	got := string(PAE("http://example.com/HelloWorld", []byte("hello world")))
	if want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := string(PAE("", nil)); got != "DSSEv1 0  0 " {
		t.Errorf("empty PAE %q", got)
	}
}

// signer is a test key: its parsed public key, scheme and a signing function over PAE bytes.
type signer struct {
	name   string
	key    *sig.PublicKey
	scheme sig.Scheme
	sign   func(msg []byte) []byte
}

func signers(t *testing.T) []signer {
	t.Helper()
	lim := limits.Default()
	parse := func(pub crypto.PublicKey) *sig.PublicKey {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		k, err := sig.ParsePEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), lim)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	must := func(b []byte, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	digest := func(m []byte) []byte { d := sha256.Sum256(m); return d[:] }
	return []signer{
		{"ed25519", parse(edPub), sig.Ed25519, func(m []byte) []byte { return ed25519.Sign(edPriv, m) }},
		{"p256", parse(&ecPriv.PublicKey), sig.ECDSAP256SHA256, func(m []byte) []byte {
			return must(ecdsa.SignASN1(rand.Reader, ecPriv, digest(m)))
		}},
		{"rsa-pkcs1v15", parse(&rsaPriv.PublicKey), sig.RSAPKCS1v15SHA256, func(m []byte) []byte {
			return must(rsa.SignPKCS1v15(rand.Reader, rsaPriv, crypto.SHA256, digest(m)))
		}},
		{"rsa-pss", parse(&rsaPriv.PublicKey), sig.RSAPSSSHA256, func(m []byte) []byte {
			return must(rsa.SignPSS(rand.Reader, rsaPriv, crypto.SHA256, digest(m), &rsa.PSSOptions{SaltLength: 32}))
		}},
	}
}

// encode writes the canonical envelope JSON of dsse.md §2 with the given base64 texts.
func encode(t *testing.T, payload, payloadType string, sigs ...[2]string) []byte {
	t.Helper()
	items := make([]jcs.Value, len(sigs))
	for i, s := range sigs {
		items[i] = jcs.Object(jcs.Member{Key: "keyid", Value: jcs.String(s[0])}, jcs.Member{Key: "sig", Value: jcs.String(s[1])})
	}
	out, err := jcs.Marshal(jcs.Object(
		jcs.Member{Key: "payload", Value: jcs.String(payload)},
		jcs.Member{Key: "payloadType", Value: jcs.String(payloadType)},
		jcs.Member{Key: "signatures", Value: jcs.Array(items...)},
	))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const statementType = "application/vnd.in-toto+json"

const statement = `{"_type":"https://in-toto.io/Statement/v1","predicate":{"bundle_id":"b-1","role":"producer"},"predicateType":"https://clyra.dev/def/v0","subject":[{"digest":{"sha256":"` +
	"0000000000000000000000000000000000000000000000000000000000000000" + `"},"name":"manifest.json"}]}`

func TestRoundTripAndTampering(t *testing.T) {
	lim := limits.Default()
	for _, s := range signers(t) {
		payload := []byte(statement)
		sigBytes := s.sign(PAE(statementType, payload))
		file := encode(t, b64.Encode(payload), statementType, [2]string{s.key.KeyID(), b64.Encode(sigBytes)})
		env, err := Decode(file, lim)
		if err != nil {
			t.Fatalf("%s: decode: %v", s.name, err)
		}
		if err := Verify(env, s.key, s.scheme, lim); err != nil {
			t.Errorf("%s: verify: %v", s.name, err)
		}
		check := func(what string, e *Envelope, key *sig.PublicKey, scheme sig.Scheme, want string) {
			t.Helper()
			if got := codeOf(Verify(e, key, scheme, lim)); got != want {
				t.Errorf("%s %s: got %s, want %s", s.name, what, got, want)
			}
		}
		tampered := *env
		tampered.Payload = []byte(strings.Replace(statement, "b-1", "b-2", 1))
		check("payload tampered", &tampered, s.key, s.scheme, sig.CodeSigInvalid)
		tampered = *env
		tampered.PayloadType = "application/vnd.in-toto+jsoN"
		check("payloadType tampered", &tampered, s.key, s.scheme, sig.CodeSigInvalid)
		tampered = *env
		flipped := append([]byte(nil), sigBytes...)
		flipped[len(flipped)/2] ^= 1
		tampered.Signatures = []Signature{{KeyID: s.key.KeyID(), Sig: flipped}}
		if s.scheme == sig.ECDSAP256SHA256 {
			// A flipped bit inside DER may break its form instead of its value.
			if c := codeOf(Verify(&tampered, s.key, s.scheme, lim)); c != sig.CodeSigInvalid && c != sig.CodeSigMalformed {
				t.Errorf("%s signature tampered: %s", s.name, c)
			}
		} else {
			check("signature tampered", &tampered, s.key, s.scheme, sig.CodeSigInvalid)
		}
		tampered = *env
		tampered.Signatures = []Signature{{KeyID: strings.ToUpper(s.key.KeyID()), Sig: sigBytes}}
		check("keyid case changed", &tampered, s.key, s.scheme, CodeKeyIDMismatch)
		// A second, foreign signature first does not hide the matching one.
		tampered = *env
		tampered.Signatures = []Signature{{KeyID: "sha256:00", Sig: []byte{1}}, env.Signatures[0]}
		check("matching signature second", &tampered, s.key, s.scheme, "<nil>")
	}
}

func TestSchemeMismatchAndCanonicalPayload(t *testing.T) {
	lim := limits.Default()
	ss := signers(t)
	ed := ss[0]
	sign := func(pt string, payload []byte) *Envelope {
		return &Envelope{Payload: payload, PayloadType: pt, Signatures: []Signature{{KeyID: ed.key.KeyID(), Sig: ed.sign(PAE(pt, payload))}}}
	}
	cases := []struct {
		name    string
		pt      string
		payload string
		want    string
	}{
		{"canonical in-toto", statementType, statement, "<nil>"},
		{"spaces", statementType, strings.Replace(statement, ":", ": ", 1), CodePayloadNotCanonical},
		{"unsorted", "application/json", `{"b":1,"a":2}`, CodePayloadNotCanonical},
		{"trailing LF", "application/vnd.clyra.approval+json", statement + "\n", CodePayloadNotCanonical},
		{"not JSON", statementType, "hello", CodePayloadNotCanonical},
		{"duplicate key", "application/json", `{"a":1,"a":1}`, CodePayloadNotCanonical},
		{"opaque type, not JSON", "text/plain", "hello", "<nil>"},
		{"opaque type that looks like JSON", "application/jsonx", `{"b":1,"a":2}`, "<nil>"},
		{"scalar JSON payload", "application/json", `"x"`, "<nil>"},
	}
	for _, c := range cases {
		if got := codeOf(Verify(sign(c.pt, []byte(c.payload)), ed.key, ed.scheme, lim)); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
	// The signature is checked before the payload: a non-canonical payload with a bad signature
	// reports the signature.
	env := sign(statementType, []byte("not json"))
	env.Signatures[0].Sig[0] ^= 1
	if got := codeOf(Verify(env, ed.key, ed.scheme, lim)); got != sig.CodeSigInvalid {
		t.Errorf("order: got %s", got)
	}
	if got := codeOf(Verify(sign(statementType, []byte(statement)), ed.key, sig.ECDSAP256SHA256, lim)); got != sig.CodeSchemeMismatch {
		t.Errorf("scheme mismatch: got %s", got)
	}
}

// TestDecodeRejections covers each rule of dsse.md §3 and its order.
func TestDecodeRejections(t *testing.T) {
	lim := limits.Default()
	p := b64.Encode([]byte(statement))
	good := string(encode(t, p, statementType, [2]string{"sha256:ab", "AAAA"}))
	cases := []struct {
		name string
		file string
		want string
	}{
		{"good", good, "<nil>"},
		{"whitespace is fine in the file", strings.Replace(good, ",", " ,\n", -1), "<nil>"},
		{"members in any order", `{"signatures":[{"sig":"AAAA","keyid":"k"}],"payloadType":"t","payload":""}`, "<nil>"},
		{"duplicate key", strings.Replace(good, `{"payload"`, `{"payloadType":"x","payload"`, 1), jcs.CodeDuplicateKey},
		{"invalid UTF-8", strings.Replace(good, `"sha256:ab"`, "\"sha256:\xff\"", 1), jcs.CodeInvalidUTF8},
		{"trailing comma", strings.Replace(good, `}]}`, `},]}`, 1), jcs.CodeUnexpectedChar},
		{"array at the top", `[` + good + `]`, CodeWrongType},
		{"payload a number", `{"payload":1,"payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA"}]}`, CodeWrongType},
		{"payloadType null", `{"payload":"","payloadType":null,"signatures":[{"keyid":"k","sig":"AAAA"}]}`, CodeWrongType},
		{"signatures an object", `{"payload":"","payloadType":"t","signatures":{}}`, CodeWrongType},
		{"signature a string", `{"payload":"","payloadType":"t","signatures":["AAAA"]}`, CodeWrongType},
		{"keyid a number", `{"payload":"","payloadType":"t","signatures":[{"keyid":1,"sig":"AAAA"}]}`, CodeWrongType},
		{"wrong type before missing", `{"payload":1,"signatures":[]}`, CodeWrongType},
		{"missing payload", `{"payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA"}]}`, CodeMissingField},
		{"missing signatures", `{"payload":"","payloadType":"t"}`, CodeMissingField},
		{"missing keyid", `{"payload":"","payloadType":"t","signatures":[{"sig":"AAAA"}]}`, CodeMissingField},
		{"missing before unknown", `{"extra":1,"payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA"}]}`, CodeMissingField},
		{"unknown envelope field", `{"payload":"","payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA"}],"x":1}`, CodeUnknownField},
		{"unknown signature field", `{"payload":"","payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA","cert":""}]}`, CodeUnknownField},
		{"payload unpadded", `{"payload":"AA","payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA"}]}`, CodeBadBase64},
		{"payload pad bits", `{"payload":"AB==","payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA"}]}`, CodeBadBase64},
		{"payload URL-safe", `{"payload":"-_-_","payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA"}]}`, CodeBadBase64},
		{"payload escaped LF", `{"payload":"AAAA\nAAAA","payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA"}]}`, CodeBadBase64},
		{"payload escaped CR", `{"payload":"AAAA\r","payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA"}]}`, CodeBadBase64},
		{"payload space", `{"payload":"AA AA","payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA"}]}`, CodeBadBase64},
		{"sig unpadded", `{"payload":"","payloadType":"t","signatures":[{"keyid":"k","sig":"AAA"}]}`, CodeBadBase64},
		{"base64 before count", `{"payload":"A","payloadType":"t","signatures":[]}`, CodeBadBase64},
		{"no signatures", `{"payload":"","payloadType":"t","signatures":[]}`, CodeNoSignatures},
		{"17 signatures", `{"payload":"","payloadType":"t","signatures":[` + strings.TrimSuffix(strings.Repeat(`{"keyid":"k","sig":""},`, 17), ",") + `]}`, CodeTooManySignatures},
	}
	for _, c := range cases {
		if _, err := Decode([]byte(c.file), lim); codeOf(err) != c.want {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
	}
	sixteen := `{"payload":"","payloadType":"t","signatures":[` + strings.TrimSuffix(strings.Repeat(`{"keyid":"k","sig":""},`, 16), ",") + `]}`
	if env, err := Decode([]byte(sixteen), lim); err != nil || len(env.Signatures) != 16 {
		t.Errorf("16 signatures: %v", err)
	}
	small := lim
	small.DSSEMaxEnvelopeBytes = int64(len(good)) - 1
	if _, err := Decode([]byte(good), small); codeOf(err) != CodeTooLarge {
		t.Errorf("L7: %v", err)
	}
	small = lim
	small.DSSEMaxPayloadBytes = int64(len(statement)) - 1
	if _, err := Decode([]byte(good), small); codeOf(err) != CodePayloadTooLarge {
		t.Errorf("L8: %v", err)
	}
	small.DSSEMaxPayloadBytes = int64(len(statement))
	if _, err := Decode([]byte(good), small); err != nil {
		t.Errorf("payload at L8: %v", err)
	}
}
