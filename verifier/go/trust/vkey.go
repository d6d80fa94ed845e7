package trust

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// Signature types of note verifier keys (ledger-v0.md §3.3, §3.5).
const (
	algLedger  = 0x01
	algWitness = 0x04
)

// checkVerifierKey is trust-v0.md §3.1 item 6 for one item (the schema already fixed its shape):
// `<name>+<8 hex>+<base64(type || 32-byte key)>` whose type is alg and whose hash is the first 4
// bytes of SHA-256(name || LF || type || key). It returns "" when the key is usable, else why not.
// (The trust package cannot import the ledger package, which imports verify, which imports trust.)
func checkVerifierKey(text string, alg byte) string {
	parts := strings.SplitN(text, "+", 3)
	if len(parts) != 3 {
		return "not name+hash+key"
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(raw) != 33 {
		return "the key is not base64 of a type byte and 32 key bytes"
	}
	if raw[0] != alg {
		return "the key's type is not the member's"
	}
	h := sha256.New()
	h.Write([]byte(parts[0]))
	h.Write([]byte{'\n'})
	h.Write(raw)
	want := make([]byte, 4)
	binary.BigEndian.PutUint32(want, binary.BigEndian.Uint32(h.Sum(nil)[:4]))
	if parts[1] != hex.EncodeToString(want) {
		return "the key hash does not match the key"
	}
	return ""
}
