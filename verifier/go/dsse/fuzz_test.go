package dsse

import (
	"bytes"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/internal/b64"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// FuzzDecodeEnvelope checks that Decode never panics, returns only coded errors, and that an
// accepted envelope re-encodes to an envelope that decodes to the same values.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"payload":"e30=","payloadType":"application/json","signatures":[{"keyid":"sha256:ab","sig":"AAAA"}]}`))
	f.Add([]byte(`{"payload":"","payloadType":"t","signatures":[]}`))
	f.Add([]byte(`{"payload":"AB==","payloadType":"t","signatures":[{"keyid":"k","sig":"AAAA","x":1}]}`))
	f.Add([]byte(`[{"payload":1}]`))
	lim := limits.Default()
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Decode(data, lim)
		if err != nil {
			if _, ok := err.(interface{ Code() string }); !ok {
				t.Fatalf("uncoded error %T: %v", err, err)
			}
			return
		}
		items := make([]jcs.Value, len(env.Signatures))
		for i, s := range env.Signatures {
			items[i] = jcs.Object(jcs.Member{Key: "keyid", Value: jcs.String(s.KeyID)}, jcs.Member{Key: "sig", Value: jcs.String(b64.Encode(s.Sig))})
		}
		again, err := jcs.Marshal(jcs.Object(
			jcs.Member{Key: "payload", Value: jcs.String(b64.Encode(env.Payload))},
			jcs.Member{Key: "payloadType", Value: jcs.String(env.PayloadType)},
			jcs.Member{Key: "signatures", Value: jcs.Array(items...)},
		))
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		env2, err := Decode(again, lim)
		if err != nil {
			t.Fatalf("re-encoded envelope rejected: %v", err)
		}
		if !bytes.Equal(env.Payload, env2.Payload) || env.PayloadType != env2.PayloadType || len(env.Signatures) != len(env2.Signatures) {
			t.Fatalf("round trip changed the envelope")
		}
		_ = PAE(env.PayloadType, env.Payload)
	})
}
