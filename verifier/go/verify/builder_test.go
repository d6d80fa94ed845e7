package verify

// A tiny test-only bundle writer (bundle-v0.md §2.3, stored entries only), built on the DEF
// worked manifest of def-v0.md §11.3 with the journal, artifacts, Merkle tree, approvals and
// signatures recomputed and a host-given bundle_id.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"sort"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/dsse"
	"github.com/clyra-dev/clyra/verifier/go/internal/specdoc"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/journal"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/merkle"
	"github.com/clyra-dev/clyra/verifier/go/sig"
	"github.com/clyra-dev/clyra/verifier/go/trust"
)

type zipEntry struct {
	name string
	data []byte
}

// writeZip is the deterministic layout of bundle-v0.md §2.3 with every entry stored.
func writeZip(entries []zipEntry) []byte {
	var out, cd bytes.Buffer
	le := func(b *bytes.Buffer, v any) { _ = binary.Write(b, binary.LittleEndian, v) }
	for _, e := range entries {
		off := uint32(out.Len())
		crc := crc32.ChecksumIEEE(e.data)
		n := uint32(len(e.data))
		le(&out, uint32(0x04034b50))
		le(&out, uint16(20))
		le(&out, uint16(0))
		le(&out, uint16(0))
		le(&out, uint16(0))
		le(&out, uint16(0x21))
		le(&out, crc)
		le(&out, n)
		le(&out, n)
		le(&out, uint16(len(e.name)))
		le(&out, uint16(0))
		out.WriteString(e.name)
		out.Write(e.data)

		le(&cd, uint32(0x02014b50))
		le(&cd, uint16(0x0314))
		le(&cd, uint16(20))
		le(&cd, uint16(0))
		le(&cd, uint16(0))
		le(&cd, uint16(0))
		le(&cd, uint16(0x21))
		le(&cd, crc)
		le(&cd, n)
		le(&cd, n)
		le(&cd, uint16(len(e.name)))
		le(&cd, uint16(0))
		le(&cd, uint16(0))
		le(&cd, uint16(0))
		le(&cd, uint16(0))
		le(&cd, uint32(0x81A40000))
		le(&cd, off)
		cd.WriteString(e.name)
	}
	cdOff := uint32(out.Len())
	out.Write(cd.Bytes())
	le(&out, uint32(0x06054b50))
	le(&out, uint16(0))
	le(&out, uint16(0))
	le(&out, uint16(len(entries)))
	le(&out, uint16(len(entries)))
	le(&out, uint32(cd.Len()))
	le(&out, cdOff)
	le(&out, uint16(0))
	return out.Bytes()
}

func canon(t testing.TB, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	c, err := jcs.Canonicalize(raw, limits.Default())
	if err != nil {
		t.Fatalf("canonicalize %s: %v", raw, err)
	}
	return c
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func pemOf(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func keyidOf(t testing.TB, pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sig.KeyIDOf(der)
}

// signer is a test key: Ed25519 or P-256.
type signer struct {
	ed  ed25519.PrivateKey
	ec  *ecdsa.PrivateKey
	pub crypto.PublicKey
}

func newEd(t testing.TB) *signer {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{ed: priv, pub: pub}
}

func newEC(t testing.TB) *signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{ec: k, pub: &k.PublicKey}
}

func (s *signer) scheme() string {
	if s.ed != nil {
		return "ed25519"
	}
	return "ecdsa-p256-sha256"
}

func (s *signer) keyid(t testing.TB) string { return keyidOf(t, s.pub) }
func (s *signer) hex(t testing.TB) string   { return strings.TrimPrefix(s.keyid(t), "sha256:") }

// envelope signs payload and returns the envelope file bytes.
func (s *signer) envelope(t testing.TB, payloadType string, payload []byte) []byte {
	t.Helper()
	msg := dsse.PAE(payloadType, payload)
	var sg []byte
	if s.ed != nil {
		sg = ed25519.Sign(s.ed, msg)
	} else {
		h := sha256.Sum256(msg)
		var err error
		if sg, err = ecdsa.SignASN1(rand.Reader, s.ec, h[:]); err != nil {
			t.Fatal(err)
		}
	}
	type sigJSON struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	}
	env := struct {
		Payload     string    `json:"payload"`
		PayloadType string    `json:"payloadType"`
		Signatures  []sigJSON `json:"signatures"`
	}{base64.StdEncoding.EncodeToString(payload), payloadType,
		[]sigJSON{{s.keyid(t), base64.StdEncoding.EncodeToString(sg)}}}
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type approvalSpec struct {
	by         *signer
	ssoSub     string
	nonce      string
	approvedAt string
	expiresAt  string
}

// spec describes one test bundle; hooks alter it at the documented points.
type spec struct {
	producers []*signer
	events    []map[string]any
	artifacts map[string][]byte
	approvals []approvalSpec
	required  int
	policy    []byte // the policy whose hash the manifest records (nil: no hash, required false)
	signedAt  string

	// hooks
	editEvents     func(lines [][]byte) [][]byte       // after the journal lines are built
	editManifest   func(m map[string]any)              // after every derived value is set
	manifestBytes  func(canonical []byte) []byte       // the bytes written as manifest.json
	editStatement  func(st map[string]any)             // before signing
	editArtifacts  func(data map[string][]byte)        // the bytes written to the zip
	editEntries    func(entries []zipEntry) []zipEntry // last
	requirePolicy  *bool
	approvalChange func(change map[string]any) map[string]any
}

const (
	createdAt = "2026-11-20T09:00:47Z"
	verifyAt  = "2026-11-21T00:00:00Z"
	bundleID  = "host-test-0001"
)

var testPolicy = []byte(`{"data_platform":{"rules":[{"decision":"require_two_person","id":"prod-schema-change","when":"change.environment == \"production\""}]},"version":1}`)

func defaultSpec(t testing.TB) *spec {
	return &spec{
		producers: []*signer{newEd(t)},
		events: []map[string]any{
			{"at": "2026-11-20T09:00:00Z", "kind": "run.started", "data": map[string]any{"invocation": "x"}},
			{"at": "2026-11-20T09:00:40Z", "kind": "run.finished", "data": map[string]any{"status": "success"}},
		},
		artifacts: map[string][]byte{"artifacts/compiled/orders.sql": []byte("select 1;\n")},
		policy:    testPolicy,
		signedAt:  "2026-11-20T09:00:50Z",
	}
}

// template is the DEF worked manifest of def-v0.md §11.3.
func template(t testing.TB) map[string]any {
	t.Helper()
	for _, ex := range specdoc.Examples(t) {
		if ex.File == "def-v0.md" && ex.Stem == "manifest-def-v0" && !ex.Counter {
			d := json.NewDecoder(bytes.NewReader(ex.JSON))
			d.UseNumber()
			var m map[string]any
			if err := d.Decode(&m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatal("def-v0.md has no manifest-def-v0 example")
	return nil
}

// build returns the bundle bytes.
func (s *spec) build(t testing.TB) []byte {
	t.Helper()
	m := template(t)
	m["bundle_id"] = bundleID
	m["created_at"] = createdAt
	change := m["change"].(map[string]any)

	// journal
	var lines [][]byte
	prev := journal.ZeroDigest
	for i, ev := range s.events {
		e := map[string]any{"seq": i, "prev": prev}
		for k, v := range ev {
			e[k] = v
		}
		line := canon(t, e)
		lines = append(lines, line)
		prev = digest(line)
	}
	if s.editEvents != nil {
		lines = s.editEvents(lines)
	}
	var jbuf bytes.Buffer
	for _, l := range lines {
		jbuf.Write(l)
		jbuf.WriteByte('\n')
	}
	m["journal"] = map[string]any{"head": digest(lines[len(lines)-1]), "count": len(lines)}

	// artifacts
	var paths []string
	for p := range s.artifacts {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var arts []any
	leaves := append([][]byte{}, lines...)
	for _, p := range paths {
		h := sha256.Sum256(s.artifacts[p])
		rec := map[string]any{"path": p, "sha256": hex.EncodeToString(h[:]), "size": len(s.artifacts[p])}
		leaves = append(leaves, canon(t, rec))
		a := map[string]any{"path": p, "sha256": rec["sha256"], "size": rec["size"], "media_type": "application/sql"}
		arts = append(arts, a)
	}
	if arts == nil {
		arts = []any{}
	}
	m["artifacts"] = arts
	root := merkle.Root(leaves)
	m["merkle"] = map[string]any{"root": "sha256:" + hex.EncodeToString(root[:]), "size": len(leaves)}

	// policy
	pol := m["policy"].(map[string]any)
	if s.policy != nil {
		c, err := jcs.Canonicalize(s.policy, limits.Default())
		if err != nil {
			t.Fatal(err)
		}
		pol["hash"] = digest(c)
		pol["required"] = true
	} else {
		delete(pol, "hash")
		pol["required"] = false
	}
	if s.requirePolicy != nil {
		pol["required"] = *s.requirePolicy
	}

	// approvals
	approvalChange := change
	if s.approvalChange != nil {
		approvalChange = s.approvalChange(change)
	}
	payloadHash := digest(canon(t, approvalChange))
	var entries []any
	var approvalFiles []zipEntry
	for i, a := range s.approvals {
		payload := canon(t, map[string]any{
			"type": "https://clyra.dev/approval/v0", "sso_sub": a.ssoSub, "idp_domain": "acme.okta.com",
			"mfa_verified": true, "challenge_nonce": a.nonce, "payload_hash": payloadHash,
			"approved_at": a.approvedAt, "expires_at": a.expiresAt,
		})
		file := fmt.Sprintf("approvals/%04d.dsse.json", i+1)
		env := a.by.envelope(t, ApprovalPayloadType, payload)
		approvalFiles = append(approvalFiles, zipEntry{file, env})
		entries = append(entries, map[string]any{"file": file, "digest": digest(env), "nonce": a.nonce})
	}
	if entries == nil {
		entries = []any{}
	}
	m["approvals"] = map[string]any{"required": s.required, "entries": entries}

	if s.editManifest != nil {
		s.editManifest(m)
	}
	manBytes := canon(t, m)
	if s.manifestBytes != nil {
		manBytes = s.manifestBytes(manBytes)
	}
	mh := sha256.Sum256(manBytes)

	// keys and signatures
	keyFiles := map[string][]byte{}
	for _, a := range s.approvals {
		keyFiles["keys/"+a.by.hex(t)+".pub.pem"] = pemOf(t, a.by.pub)
	}
	sigFiles := map[string][]byte{}
	for _, p := range s.producers {
		keyFiles["keys/"+p.hex(t)+".pub.pem"] = pemOf(t, p.pub)
		st := map[string]any{
			"_type":         "https://in-toto.io/Statement/v1",
			"subject":       []any{map[string]any{"name": "manifest.json", "digest": map[string]any{"sha256": hex.EncodeToString(mh[:])}}},
			"predicateType": "https://clyra.dev/" + m["format"].(string),
			"predicate": map[string]any{
				"bundle_id": m["bundle_id"], "merkle_root": m["merkle"].(map[string]any)["root"],
				"journal_head": m["journal"].(map[string]any)["head"], "signed_at": s.signedAt,
				"role": "producer", "scheme": p.scheme(),
			},
		}
		if s.editStatement != nil {
			s.editStatement(st)
		}
		sigFiles["signatures/"+p.hex(t)+".dsse.json"] = p.envelope(t, InTotoPayloadType, canon(t, st))
	}

	artData := map[string][]byte{}
	for p, b := range s.artifacts {
		artData[p] = b
	}
	if s.editArtifacts != nil {
		s.editArtifacts(artData)
	}
	zes := []zipEntry{{"manifest.json", manBytes}, {"journal.ndjson", jbuf.Bytes()}}
	zes = append(zes, sorted(artData)...)
	zes = append(zes, sorted(keyFiles)...)
	zes = append(zes, approvalFiles...)
	zes = append(zes, sorted(sigFiles)...)
	if s.editEntries != nil {
		zes = s.editEntries(zes)
	}
	return writeZip(zes)
}

func sorted(files map[string][]byte) []zipEntry {
	var out []zipEntry
	for n, b := range files {
		out = append(out, zipEntry{n, b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

type trustKey struct {
	s         *signer
	roles     []string
	revokedAt string
}

// trustFile builds and parses a trust file (trust-v0.md) holding keys, threshold 1.
func trustFile(t testing.TB, keys ...trustKey) *trust.Trust {
	t.Helper()
	var ks []any
	for _, k := range keys {
		e := map[string]any{"keyid": k.s.keyid(t), "scheme": k.s.scheme(), "public_key_pem": string(pemOf(t, k.s.pub)), "roles": k.roles}
		if k.revokedAt != "" {
			e["revoked_at"] = k.revokedAt
		}
		ks = append(ks, e)
	}
	raw := canon(t, map[string]any{"version": 0, "keys": ks, "thresholds": map[string]any{"producer": 1}})
	tr, ferr := trust.Parse(raw, limits.Default())
	if ferr != nil {
		t.Fatalf("trust file: %v", ferr)
	}
	return tr
}
