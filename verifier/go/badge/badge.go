// Package badge verifies Clyra compliance badges (spec/badge-v0.md): a compact JWS signed with
// Ed25519 (alg EdDSA) whose claims state a framework's criteria results. Standard library only,
// written from the spec.
package badge

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/sig"
	"github.com/clyra-dev/clyra/verifier/go/trust"
)

// Lifetime is exp − iat in seconds: 90 days (badge-v0.md §4.1).
const Lifetime = 90 * 24 * 60 * 60

// MaxBytes is the largest badge (badge-v0.md §2.1).
const MaxBytes = 65536

// typ is the header's explicit type (badge-v0.md §2.2).
const typ = "clyra-badge+jwt"

// ed25519SPKIPrefix is the DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
var ed25519SPKIPrefix = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}

// criteriaOf lists each framework's criterion ids in claim order (badge-v0.md §3.3).
var criteriaOf = map[string][]string{
	"sox":   {"evidence_verified", "tests_pass", "schema_changes_approved", "tickets_created"},
	"pci":   {"evidence_verified", "daily_reviews", "data_tagged"},
	"hipaa": {"evidence_verified", "phi_marked"},
}

// Summary is what a verdict reports of claims that passed §4.2.
type Summary struct {
	Iss, Sub, Framework, Status, Jti string
	Iat, Exp                         int64
}

// Verdict is the result of Verify (badge-v0.md §5).
type Verdict struct {
	Outcome string
	Primary string
	Exit    int
	Message string
	Claims  *Summary
}

func verdict(outcome, primary string, exit int, format string, a ...any) Verdict {
	return Verdict{Outcome: outcome, Primary: primary, Exit: exit, Message: fmt.Sprintf(format, a...)}
}

func invalid(primary, format string, a ...any) Verdict {
	return verdict("INVALID", primary, 1, format, a...)
}

// JSON is the verdict JSON of badge-v0.md §5.3, canonical.
func (v Verdict) JSON() []byte {
	members := []jcs.Member{
		{Key: "outcome", Value: jcs.String(v.Outcome)},
		{Key: "primary", Value: jcs.String(v.Primary)},
		{Key: "exit", Value: jcs.Number(float64(v.Exit))},
		{Key: "message", Value: jcs.String(v.Message)},
	}
	if c := v.Claims; c != nil {
		members = append(members, jcs.Member{Key: "badge", Value: jcs.Object(
			jcs.Member{Key: "iss", Value: jcs.String(c.Iss)},
			jcs.Member{Key: "sub", Value: jcs.String(c.Sub)},
			jcs.Member{Key: "framework", Value: jcs.String(c.Framework)},
			jcs.Member{Key: "status", Value: jcs.String(c.Status)},
			jcs.Member{Key: "iat", Value: jcs.Number(float64(c.Iat))},
			jcs.Member{Key: "exp", Value: jcs.Number(float64(c.Exp))},
			jcs.Member{Key: "jti", Value: jcs.String(c.Jti)},
		)})
	}
	out, _ := jcs.Marshal(jcs.Object(members...))
	return out
}

// b64 is base64url without padding, strict (no trailing bits, no padding, no whitespace).
var b64 = base64.RawURLEncoding.Strict()

func decodeSegment(seg []byte) ([]byte, bool) {
	// The standard decoder skips CR and LF: refuse them (and any other byte outside the alphabet).
	if bytes.ContainsAny(seg, "\r\n") {
		return nil, false
	}
	out, err := b64.DecodeString(string(seg))
	return out, err == nil
}

// Verify judges badge against tr at `at` (an RFC 3339 UTC timestamp, whole seconds). Every
// byte string yields a verdict.
func Verify(badge []byte, tr *trust.Trust, at string, lim limits.Limits) Verdict {
	badge = bytes.TrimSuffix(badge, []byte("\n"))
	if len(badge) > MaxBytes {
		return invalid("badge.malformed", "the badge is larger than 65,536 bytes")
	}
	parts := bytes.Split(badge, []byte("."))
	if len(parts) != 3 {
		return invalid("badge.malformed", "a compact JWS has exactly three segments")
	}
	header, ok1 := decodeSegment(parts[0])
	payload, ok2 := decodeSegment(parts[1])
	signature, ok3 := decodeSegment(parts[2])
	if !ok1 || !ok2 || !ok3 {
		return invalid("badge.malformed", "a segment is not unpadded base64url")
	}
	h, err := jcs.Parse(header, lim)
	if err != nil {
		return invalid("badge.malformed", "the header is not strict JSON")
	}
	if alg, _ := h.Get("alg"); alg.Kind() != jcs.KindString || alg.AsString() != "EdDSA" {
		return invalid("badge.alg", "the header's alg is not EdDSA")
	}
	if !hasExactly(h, "alg", "jwk", "kid", "typ") {
		return invalid("badge.malformed", "the header must have exactly alg, jwk, kid and typ")
	}
	if t, _ := h.Get("typ"); t.Kind() != jcs.KindString || t.AsString() != typ {
		return invalid("badge.malformed", "the header's typ is not clyra-badge+jwt")
	}
	jwk, _ := h.Get("jwk")
	if !hasExactly(jwk, "crv", "kty", "x") || str(jwk, "kty") != "OKP" || str(jwk, "crv") != "Ed25519" {
		return invalid("badge.malformed", "the header's jwk is not an Ed25519 OKP key (crv, kty, x)")
	}
	raw, ok := decodeSegment([]byte(str(jwk, "x")))
	if !ok || len(raw) != ed25519.PublicKeySize {
		return invalid("badge.malformed", "the jwk's x is not 32 bytes of base64url")
	}
	der := append(append([]byte{}, ed25519SPKIPrefix...), raw...)
	key, err := sig.ParseDER(der, lim)
	if err != nil {
		return invalid("badge.malformed", "the jwk's x is not an Ed25519 public key")
	}
	if kid, _ := h.Get("kid"); kid.Kind() != jcs.KindString || kid.AsString() != key.KeyID() {
		return invalid("badge.key_mismatch", "the header's kid is not the keyid of its jwk")
	}
	if len(signature) != ed25519.SignatureSize {
		return invalid("badge.signature", "an Ed25519 signature has 64 bytes")
	}
	input := badge[:len(parts[0])+1+len(parts[1])]
	if sig.Verify(key, sig.Ed25519, input, signature) != nil {
		return invalid("badge.signature", "the signature does not verify: the badge was altered or signed by another key")
	}
	summary, why := checkClaims(payload, lim)
	if why != "" {
		return invalid("badge.claims", "%s", why)
	}
	v := judge(summary, key.KeyID(), tr, at)
	v.Claims = summary
	return v
}

func hasExactly(v jcs.Value, names ...string) bool {
	if v.Kind() != jcs.KindObject || len(v.Members()) != len(names) {
		return false
	}
	for _, n := range names {
		if _, ok := v.Get(n); !ok {
			return false
		}
	}
	return true
}

func str(v jcs.Value, name string) string {
	m, ok := v.Get(name)
	if !ok || m.Kind() != jcs.KindString {
		return ""
	}
	return m.AsString()
}

// integer returns the member as an integer when it is a whole number within ±(2^53−1).
func integer(v jcs.Value, name string) (int64, bool) {
	m, ok := v.Get(name)
	if !ok || m.Kind() != jcs.KindNumber {
		return 0, false
	}
	f := m.AsNumber()
	if f != math.Trunc(f) || math.Abs(f) > 9007199254740991 {
		return 0, false
	}
	return int64(f), true
}

func text(v jcs.Value, name string, limit int) bool {
	m, ok := v.Get(name)
	n := utf8.RuneCountInString(m.AsString())
	return ok && m.Kind() == jcs.KindString && (limit == 0 || (n >= 1 && n <= limit))
}

// checkClaims is badge-v0.md §2.3 and §4.2; it returns a reason when the claims are wrong.
func checkClaims(payload []byte, lim limits.Limits) (*Summary, string) {
	c, err := jcs.Parse(payload, lim)
	if err != nil {
		return nil, "the claims are not strict JSON"
	}
	if jcs.CheckCanonical(payload, lim) != nil {
		return nil, "the claims are not canonical JSON"
	}
	if !hasExactly(c, "iss", "sub", "iat", "exp", "jti", "v", "framework", "status", "criteria", "evidence") {
		return nil, "the claims must have exactly the members of badge-v0.md §4.1"
	}
	if !text(c, "iss", 256) || !text(c, "sub", 256) || !text(c, "jti", 0) || !text(c, "status", 0) {
		return nil, "iss, sub, jti and status must be strings (iss and sub of 1 to 256 characters)"
	}
	iat, ok1 := integer(c, "iat")
	exp, ok2 := integer(c, "exp")
	ver, ok3 := integer(c, "v")
	if !ok1 || !ok2 || !ok3 {
		return nil, "iat, exp and v must be integers"
	}
	if ver != 0 {
		return nil, "v must be 0"
	}
	if exp != iat+Lifetime {
		return nil, "exp must be iat + 7776000 (90 days)"
	}
	if y := time.Unix(iat, 0).UTC().Year(); y < 0 || y > 9999 {
		return nil, "iat is not a representable time"
	}
	framework := str(c, "framework")
	want, known := criteriaOf[framework]
	if !known {
		return nil, "unknown framework"
	}
	crit, _ := c.Get("criteria")
	if crit.Kind() != jcs.KindArray || len(crit.Items()) != len(want) {
		return nil, "the criteria are not those of the framework, in order"
	}
	fail, incomplete := false, false
	for i, item := range crit.Items() {
		if !hasExactly(item, "id", "result", "judged", "failed", "reason") || !text(item, "reason", 0) {
			return nil, "a criterion must have exactly id, result, judged, failed and reason"
		}
		judged, okj := integer(item, "judged")
		failed, okf := integer(item, "failed")
		if !okj || !okf || judged < 0 || failed < 0 {
			return nil, "judged and failed must be non-negative integers"
		}
		if str(item, "id") != want[i] {
			return nil, "the criteria are not those of the framework, in order"
		}
		switch str(item, "result") {
		case "pass":
		case "fail":
			fail = true
		case "not_evaluated":
			incomplete = true
		default:
			return nil, "a criterion's result must be pass, fail or not_evaluated"
		}
	}
	status := "passing"
	if fail {
		status = "failing"
	} else if incomplete {
		status = "incomplete"
	}
	if str(c, "status") != status {
		return nil, "status does not follow from the criteria"
	}
	if why := checkEvidence(c); why != "" {
		return nil, why
	}
	// jti: the first 32 hex digits of SHA-256 of the canonical claims without jti.
	var rest []jcs.Member
	for _, m := range c.Members() {
		if m.Key != "jti" {
			rest = append(rest, m)
		}
	}
	canon, err := jcs.Marshal(jcs.Object(rest...))
	if err != nil {
		return nil, "the claims cannot be canonicalized"
	}
	sum := sha256.Sum256(canon)
	if str(c, "jti") != "badge:"+hex.EncodeToString(sum[:])[:32] {
		return nil, "jti is not the badge id of the claims"
	}
	return &Summary{Iss: str(c, "iss"), Sub: str(c, "sub"), Framework: framework, Status: status,
		Jti: str(c, "jti"), Iat: iat, Exp: exp}, ""
}

func checkEvidence(c jcs.Value) string {
	ev, _ := c.Get("evidence")
	_, hasLedger := ev.Get("ledger")
	if !(hasExactly(ev, "bundles") || (hasLedger && hasExactly(ev, "bundles", "ledger"))) {
		return "evidence must have bundles and optionally ledger"
	}
	bundles, _ := ev.Get("bundles")
	if bundles.Kind() != jcs.KindArray {
		return "evidence.bundles must be an array"
	}
	for _, b := range bundles.Items() {
		if !hasExactly(b, "bundle_id", "sha256") || !text(b, "bundle_id", 0) || !text(b, "sha256", 0) {
			return "an evidence bundle must have exactly bundle_id and sha256 (strings)"
		}
	}
	if hasLedger {
		l, _ := ev.Get("ledger")
		size, ok := integer(l, "size")
		if !hasExactly(l, "origin", "size", "root") || !text(l, "origin", 0) || !text(l, "root", 0) || !ok || size < 0 {
			return "evidence.ledger must have exactly origin, size and root"
		}
	}
	return ""
}

// judge is badge-v0.md §5.1 steps 4–7.
func judge(c *Summary, keyid string, tr *trust.Trust, at string) Verdict {
	atTime, err := time.Parse("2006-01-02T15:04:05Z", at)
	if err != nil {
		return invalid("badge.claims", "the verification time is not a timestamp")
	}
	now := atTime.Unix()
	iatText := time.Unix(c.Iat, 0).UTC().Format("2006-01-02T15:04:05Z")
	if c.Iat > now {
		return verdict("INDETERMINATE", "badge.not_yet_valid", 3, "issued at %s, after the verification time %s", iatText, at)
	}
	if now >= c.Exp {
		return invalid("badge.expired", "the badge expired at %s", time.Unix(c.Exp, 0).UTC().Format("2006-01-02T15:04:05Z"))
	}
	k := tr.Lookup(keyid)
	if k == nil || !k.Producer || k.Scheme != sig.Ed25519 {
		return verdict("VALID_UNTRUSTED", "badge.untrusted_key", 2, "signed by %s, which the trust file does not hold as an ed25519 producer", keyid)
	}
	if !k.InWindow(iatText) || k.RevokedBy(at) {
		return invalid("badge.key_window", "the key %s is outside its trust window at issue or revoked", keyid)
	}
	return verdict("VALID", "ok", 0, "%s badge of `%s`: %s (signed by a trusted key)", c.Framework, c.Sub, c.Status)
}
