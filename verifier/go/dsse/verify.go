package dsse

import (
	"strings"

	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/sig"
)

// Verify checks env against key and scheme (dsse.md §5): the first signature whose keyid equals
// the key's keyid byte for byte (else dsse.keyid_mismatch) must verify over
// PAE(payloadType, payload) (sig.* codes); then, and only then, a JSON payload must be canonical
// (dsse.md §6, dsse.payload_not_canonical).
func Verify(env *Envelope, key *sig.PublicKey, scheme sig.Scheme, lim limits.Limits) error {
	keyid := key.KeyID()
	var match *Signature
	for i := range env.Signatures {
		if env.Signatures[i].KeyID == keyid {
			match = &env.Signatures[i]
			break
		}
	}
	if match == nil {
		return newError(CodeKeyIDMismatch, "no signature carries keyid `%s`", keyid)
	}
	if err := sig.Verify(key, scheme, PAE(env.PayloadType, env.Payload), match.Sig); err != nil {
		return err
	}
	if IsJSONType(env.PayloadType) {
		if err := jcs.CheckCanonical(env.Payload, lim); err != nil {
			return newError(CodePayloadNotCanonical, "payload is not canonical JSON (%v)", err)
		}
	}
	return nil
}

// IsJSONType reports whether a payload type is `application/json` or ends in `+json`
// (RFC 6839), the types whose payloads must be canonical JSON (dsse.md §6). The comparison is
// exact (case-sensitive, no parameters).
func IsJSONType(payloadType string) bool {
	return payloadType == "application/json" || strings.HasSuffix(payloadType, "+json")
}
