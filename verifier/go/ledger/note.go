// Package ledger verifies the evidence ledger's signed checkpoints and proof files
// (spec/ledger-v0.md), written from the spec alone: C2SP signed notes with Ed25519 note keys,
// C2SP tlog-checkpoint bodies, tlog-cosignature/v1 cosignatures, ledger receipts (inclusion) and
// consistency proofs.
package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/clyra-dev/clyra/verifier/go/internal/b64"
)

// Codes of verdicts.md, section ledger.
const (
	CodeCheckpointMalformed = "ledger.checkpoint_malformed"
	CodeOriginMismatch      = "ledger.origin_mismatch"
	CodeUntrustedKey        = "ledger.untrusted_key"
	CodeCheckpointSignature = "ledger.checkpoint_signature"
	CodeTreeSizeMismatch    = "ledger.tree_size_mismatch"
	CodeInclusion           = "ledger.inclusion"
	CodeBundleMismatch      = "ledger.bundle_mismatch"
	CodeRewound             = "ledger.rewound"
	CodeFork                = "ledger.fork"
	CodeInconsistent        = "ledger.inconsistent"
	CodeProofSchema         = "ledger.proof_schema"
	CodeWitnessMissing      = "ledger.witness_missing"
	CodeWitnessSignature    = "ledger.witness_signature"
	CodeKey                 = "ledger.key"
)

// Signature types of note keys (ledger-v0.md §3.3, §3.5).
const (
	AlgEd25519     byte = 0x01
	AlgCosignature byte = 0x04
)

const (
	sigPrefix = "\u2014 "
)

// Error is a ledger failure with its registered code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func fail(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ValidName reports whether name is a key name and origin Clyra accepts (ledger-v0.md §3.1):
// 1 to 255 printable ASCII characters other than '+'.
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > 255 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x21 || c > 0x7e || c == '+' {
			return false
		}
	}
	return true
}

// KeyHash is the first 4 bytes, big-endian, of SHA-256(name || "\n" || alg || public key).
func KeyHash(name string, alg byte, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', alg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil)[:4])
}

// VerifierKey is a note verifier key: name, signature type, Ed25519 public key and key hash.
type VerifierKey struct {
	Name string
	Alg  byte
	Pub  ed25519.PublicKey
	Hash uint32
}

// ParseVerifierKey parses `<name>+<8 hex>+<base64(alg || key)>` and checks the hash.
func ParseVerifierKey(text string) (*VerifierKey, error) {
	text = strings.TrimRight(text, "\n")
	parts := strings.SplitN(text, "+", 3)
	if len(parts) != 3 || len(parts[1]) != 8 || !ValidName(parts[0]) {
		return nil, fail(CodeKey, "a verifier key is name+8 hex digits+base64 key")
	}
	for _, c := range parts[1] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return nil, fail(CodeKey, "the key hash is not hex")
		}
	}
	hash, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil {
		return nil, fail(CodeKey, "the key hash is not hex")
	}
	raw, err := b64.Decode(parts[2])
	if err != nil || len(raw) != 33 || (raw[0] != AlgEd25519 && raw[0] != AlgCosignature) {
		return nil, fail(CodeKey, "the key is not base64 of a type byte and 32 Ed25519 key bytes")
	}
	k := &VerifierKey{Name: parts[0], Alg: raw[0], Pub: ed25519.PublicKey(raw[1:])}
	k.Hash = KeyHash(k.Name, k.Alg, raw[1:])
	if uint32(hash) != k.Hash {
		return nil, fail(CodeKey, "the key hash does not match the key")
	}
	return k, nil
}

// signature is one signature line of a note.
type signature struct {
	name string
	hash uint32
	sig  []byte
}

// Note is a parsed signed note: its text (ending in LF) and signature lines.
type Note struct {
	Text string
	sigs []signature
}

// ParseNote parses a signed note (ledger-v0.md §3.2).
func ParseNote(msg []byte) (*Note, error) {
	bad := func(why string) error { return fail(CodeCheckpointMalformed, "malformed note: %s", why) }
	if len(msg) > MaxNoteBytes {
		return nil, bad("larger than 1 MiB (limits.md L54)")
	}
	if !utf8.Valid(msg) {
		return nil, bad("not UTF-8")
	}
	for _, r := range string(msg) {
		if r < 0x20 && r != '\n' {
			return nil, bad("a control character other than LF")
		}
	}
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 0 {
		return nil, bad("no signature block")
	}
	text, sigs := msg[:split+1], msg[split+2:]
	if len(sigs) == 0 || sigs[len(sigs)-1] != '\n' {
		return nil, bad("the signature block is empty or does not end in LF")
	}
	n := &Note{Text: string(text)}
	for _, line := range strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		if len(n.sigs) == MaxNoteSignatures {
			return nil, bad("more than 100 signatures")
		}
		rest, ok := strings.CutPrefix(line, sigPrefix)
		if !ok {
			return nil, bad("a signature line does not start with the em dash")
		}
		name, b, ok := strings.Cut(rest, " ")
		if !ok {
			return nil, bad("a signature line has no space")
		}
		raw, err := b64.Decode(b)
		if err != nil || !ValidName(name) || len(raw) < 5 {
			return nil, bad("a signature line's name or signature is malformed")
		}
		n.sigs = append(n.sigs, signature{name: name, hash: binary.BigEndian.Uint32(raw[:4]), sig: raw[4:]})
	}
	return n, nil
}

func (n *Note) find(k *VerifierKey) *signature {
	for i := range n.sigs {
		if n.sigs[i].name == k.Name && n.sigs[i].hash == k.Hash {
			return &n.sigs[i]
		}
	}
	return nil
}

// Verify checks the signature of the ledger key k over the text (§3.4 steps 3–4).
func (n *Note) Verify(k *VerifierKey) error {
	s := n.find(k)
	if s == nil {
		return fail(CodeUntrustedKey, "no signature by the key %s+%08x", k.Name, k.Hash)
	}
	if len(s.sig) != ed25519.SignatureSize || !ed25519.Verify(k.Pub, []byte(n.Text), s.sig) {
		return fail(CodeCheckpointSignature, "the signature by %s does not verify", k.Name)
	}
	return nil
}

// VerifyCosignature checks a cosignature/v1 by the witness k (§3.5) and returns its time.
func (n *Note) VerifyCosignature(k *VerifierKey) (uint64, error) {
	s := n.find(k)
	if s == nil {
		return 0, fail(CodeWitnessMissing, "no cosignature by the witness %s", k.Name)
	}
	if len(s.sig) != 8+ed25519.SignatureSize {
		return 0, fail(CodeWitnessSignature, "the cosignature by %s does not verify", k.Name)
	}
	t := binary.BigEndian.Uint64(s.sig[:8])
	msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", t, n.Text)
	if t > MaxTreeSize || !ed25519.Verify(k.Pub, []byte(msg), s.sig[8:]) {
		return 0, fail(CodeWitnessSignature, "the cosignature by %s does not verify", k.Name)
	}
	return t, nil
}

// Checkpoint is a checkpoint body (C2SP tlog-checkpoint).
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   [32]byte
}

// ParseCheckpoint parses a checkpoint body; extension lines are accepted and ignored.
func ParseCheckpoint(text string) (*Checkpoint, error) {
	bad := func(why string) error { return fail(CodeCheckpointMalformed, "malformed checkpoint: %s", why) }
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if !strings.HasSuffix(text, "\n") || len(lines) < 3 {
		return nil, bad("fewer than three lines")
	}
	for _, ext := range lines[3:] {
		if ext == "" {
			return nil, bad("an empty extension line")
		}
	}
	if !ValidName(lines[0]) {
		return nil, bad("the origin is not a key name")
	}
	size := lines[1]
	if size == "" || (len(size) > 1 && size[0] == '0') || strings.Trim(size, "0123456789") != "" {
		return nil, bad("the tree size is not a decimal number")
	}
	n, err := strconv.ParseUint(size, 10, 64)
	if err != nil || n > MaxTreeSize {
		return nil, bad("the tree size is above 2^63 - 1")
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != 32 || strings.ContainsAny(lines[2], "\r\n") {
		return nil, bad("the root is not 32 bytes of base64")
	}
	cp := &Checkpoint{Origin: lines[0], Size: n}
	copy(cp.Root[:], root)
	return cp, nil
}

// OpenCheckpoint parses a signed checkpoint without checking signatures (§3.4 step 1).
func OpenCheckpoint(note []byte) (*Checkpoint, *Note, error) {
	n, err := ParseNote(note)
	if err != nil {
		return nil, nil, err
	}
	cp, err := ParseCheckpoint(n.Text)
	if err != nil {
		return nil, nil, err
	}
	return cp, n, nil
}

// VerifyCheckpoint parses a signed checkpoint and verifies it with the ledger key (§3.4, in
// order). On ledger.untrusted_key the parsed checkpoint is returned with the error.
func VerifyCheckpoint(note []byte, k *VerifierKey) (*Checkpoint, error) {
	cp, n, err := OpenCheckpoint(note)
	if err != nil {
		return nil, err
	}
	if cp.Origin != k.Name {
		return nil, fail(CodeOriginMismatch, "the checkpoint's origin %s is not the key's name %s", cp.Origin, k.Name)
	}
	if err := n.Verify(k); err != nil {
		if e, ok := err.(*Error); ok && e.Code == CodeUntrustedKey {
			return cp, err
		}
		return nil, err
	}
	return cp, nil
}
