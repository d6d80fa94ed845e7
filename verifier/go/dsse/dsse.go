// Package dsse decodes DSSE v1 envelopes strictly and verifies them as spec/dsse.md requires:
// the pre-authentication encoding, strict envelope decoding over Clyra's own strict JSON
// parser, signature verification and the canonical-payload rule.
package dsse

import (
	"fmt"
	"strconv"

	"github.com/clyra-dev/clyra/verifier/go/internal/b64"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// Codes of spec/verdicts.md §4 (section dsse). JSON errors keep their jcs.* code and signature
// errors their sig.* code.
const (
	CodeTooLarge            = "dsse.too_large"
	CodePayloadTooLarge     = "dsse.payload_too_large"
	CodeMissingField        = "dsse.missing_field"
	CodeUnknownField        = "dsse.unknown_field"
	CodeWrongType           = "dsse.wrong_type"
	CodeBadBase64           = "dsse.bad_base64"
	CodeNoSignatures        = "dsse.no_signatures"
	CodeTooManySignatures   = "dsse.too_many_signatures"
	CodeKeyIDMismatch       = "dsse.keyid_mismatch"
	CodePayloadNotCanonical = "dsse.payload_not_canonical"
)

// Error is a rejected envelope with its stable code.
type Error struct {
	code   string
	detail string
}

// Code returns the registered code, e.g. "dsse.bad_base64".
func (e *Error) Code() string { return e.code }

// Error returns the code and a lowercase message.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.code, e.detail) }

func newError(code, format string, args ...any) *Error {
	return &Error{code: code, detail: fmt.Sprintf(format, args...)}
}

// Envelope is a decoded DSSE envelope; Payload and each Sig hold the decoded bytes.
type Envelope struct {
	Payload     []byte
	PayloadType string
	Signatures  []Signature
}

// Signature is one entry of an envelope's signatures; KeyID is required in Clyra.
type Signature struct {
	KeyID string
	Sig   []byte
}

// PAE returns "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body (dsse.md §1).
func PAE(payloadType string, payload []byte) []byte {
	out := make([]byte, 0, len(payloadType)+len(payload)+32)
	out = append(out, "DSSEv1 "...)
	out = strconv.AppendInt(out, int64(len(payloadType)), 10)
	out = append(out, ' ')
	out = append(out, payloadType...)
	out = append(out, ' ')
	out = strconv.AppendInt(out, int64(len(payload)), 10)
	out = append(out, ' ')
	return append(out, payload...)
}

// Decode parses an envelope file by the rules of dsse.md §3, each applied to the whole envelope
// before the next: size (1), strict JSON (2), JSON types (3), missing then unknown fields (4),
// base64 (5), payload size (6), signature count (7). Within a rule, fields are taken in the
// order payload, payloadType, signatures, then signature by signature (keyid, sig).
func Decode(data []byte, lim limits.Limits) (*Envelope, error) {
	if int64(len(data)) > lim.DSSEMaxEnvelopeBytes {
		return nil, newError(CodeTooLarge, "envelope of %d bytes, more than %d", len(data), lim.DSSEMaxEnvelopeBytes)
	}
	root, err := jcs.Parse(data, lim)
	if err != nil {
		return nil, err
	}
	// Rule 3: types.
	if root.Kind() != jcs.KindObject {
		return nil, newError(CodeWrongType, "envelope is a JSON %s, not an object", root.Kind())
	}
	payload, hasPayload := root.Get("payload")
	payloadType, hasType := root.Get("payloadType")
	sigs, hasSigs := root.Get("signatures")
	if hasPayload && payload.Kind() != jcs.KindString {
		return nil, newError(CodeWrongType, "`payload` is a %s, not a string", payload.Kind())
	}
	if hasType && payloadType.Kind() != jcs.KindString {
		return nil, newError(CodeWrongType, "`payloadType` is a %s, not a string", payloadType.Kind())
	}
	if hasSigs {
		if sigs.Kind() != jcs.KindArray {
			return nil, newError(CodeWrongType, "`signatures` is a %s, not an array", sigs.Kind())
		}
		for i, s := range sigs.Items() {
			if s.Kind() != jcs.KindObject {
				return nil, newError(CodeWrongType, "signature %d is a %s, not an object", i, s.Kind())
			}
			for _, name := range []string{"keyid", "sig"} {
				if v, ok := s.Get(name); ok && v.Kind() != jcs.KindString {
					return nil, newError(CodeWrongType, "signature %d `%s` is a %s, not a string", i, name, v.Kind())
				}
			}
		}
	}
	// Rule 4: missing, then unknown fields.
	for _, f := range []struct {
		name    string
		present bool
	}{{"payload", hasPayload}, {"payloadType", hasType}, {"signatures", hasSigs}} {
		if !f.present {
			return nil, newError(CodeMissingField, "envelope has no `%s`", f.name)
		}
	}
	for i, s := range sigs.Items() {
		for _, name := range []string{"keyid", "sig"} {
			if _, ok := s.Get(name); !ok {
				return nil, newError(CodeMissingField, "signature %d has no `%s`", i, name)
			}
		}
	}
	for _, m := range root.Members() {
		if m.Key != "payload" && m.Key != "payloadType" && m.Key != "signatures" {
			return nil, newError(CodeUnknownField, "envelope field `%s` is not defined", m.Key)
		}
	}
	for i, s := range sigs.Items() {
		for _, m := range s.Members() {
			if m.Key != "keyid" && m.Key != "sig" {
				return nil, newError(CodeUnknownField, "signature %d field `%s` is not defined", i, m.Key)
			}
		}
	}
	// Rule 5: base64 (signatures.md §5).
	env := &Envelope{PayloadType: payloadType.AsString()}
	if env.Payload, err = b64.Decode(payload.AsString()); err != nil {
		return nil, newError(CodeBadBase64, "`payload` is not strict base64")
	}
	for i, s := range sigs.Items() {
		keyid, _ := s.Get("keyid")
		sv, _ := s.Get("sig")
		raw, err := b64.Decode(sv.AsString())
		if err != nil {
			return nil, newError(CodeBadBase64, "signature %d `sig` is not strict base64", i)
		}
		env.Signatures = append(env.Signatures, Signature{KeyID: keyid.AsString(), Sig: raw})
	}
	// Rule 6, then rule 7.
	if int64(len(env.Payload)) > lim.DSSEMaxPayloadBytes {
		return nil, newError(CodePayloadTooLarge, "payload of %d bytes, more than %d", len(env.Payload), lim.DSSEMaxPayloadBytes)
	}
	if len(env.Signatures) == 0 {
		return nil, newError(CodeNoSignatures, "`signatures` is empty")
	}
	if len(env.Signatures) > lim.DSSEMaxSignatures {
		return nil, newError(CodeTooManySignatures, "%d signatures, more than %d", len(env.Signatures), lim.DSSEMaxSignatures)
	}
	return env, nil
}
