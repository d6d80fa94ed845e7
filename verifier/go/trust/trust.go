// Package trust reads trust files (trust-v0.md §1–§4: the JSON form and the bare-PEM form, with
// every check of §3) and judges producer signatures against them (§5–§7: trust, thresholds and
// time rules), returning codes and severities.
package trust

import (
	"errors"
	"fmt"

	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
	"github.com/clyra-dev/clyra/verifier/go/sig"
	"github.com/clyra-dev/clyra/verifier/go/timefmt"
)

// CodeFile is the exit-4 code of an unusable trust file.
const CodeFile = "trust.file"

// Details of trust.file that are not jcs.* or key.* codes (trust-v0.md §3.1 items 2–5, §4.2).
const (
	DetailSchema         = "schema"                     // item 2: the schema, or a timestamp that is not a valid time
	DetailKeyIDMismatch  = "keyid_mismatch"             // item 3: keyid is not the key's
	DetailSchemeMismatch = sig.CodeSchemeMismatch       // item 3: scheme not allowed for the key (2.3)
	DetailWindow         = "window"                     // item 3: not_before > not_after
	DetailDuplicateKeyID = "duplicate_keyid"            // item 4
	DetailThreshold      = "threshold"                  // item 5
	DetailBarePEMRSA     = sig.CodeUnsupportedAlgorithm // §4.2: an RSA key in bare-PEM form
	DetailLedgerKey      = "ledger_key"                 // item 6: a ledger_keys item that is not a type-0x01 verifier key
	DetailWitnessKey     = "witness_key"                // item 6: a witnesses item that is not a type-0x04 verifier key
)

// FileError is an unusable trust file: code trust.file (exit 4), with the underlying code as
// Detail and the key index it concerns (-1 when none).
type FileError struct {
	Detail string
	Key    int
	Msg    string
}

// Code returns trust.file.
func (e *FileError) Code() string { return CodeFile }

func (e *FileError) Error() string {
	if e.Key >= 0 {
		return fmt.Sprintf("%s [%s] keys[%d]: %s", CodeFile, e.Detail, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s [%s]: %s", CodeFile, e.Detail, e.Msg)
}

// Role names (trust-v0.md §2.2).
const (
	RoleProducer = "producer"
	RoleApprover = "approver"
)

// Key is one trusted key. Optional timestamps are "" when absent.
type Key struct {
	KeyID     string
	Scheme    sig.Scheme
	PEM       string
	Public    *sig.PublicKey
	Producer  bool
	Approver  bool
	NotBefore string
	NotAfter  string
	RevokedAt string
}

// InWindow is 2.5: inside the window at t, both ends inclusive.
func (k *Key) InWindow(t string) bool {
	return (k.NotBefore == "" || k.NotBefore <= t) && (k.NotAfter == "" || t <= k.NotAfter)
}

// RevokedBy is §6.2 rule 5: revoked_at present and revoked_at ≤ at.
func (k *Key) RevokedBy(at string) bool { return k.RevokedAt != "" && k.RevokedAt <= at }

// Trust is a usable trust file.
type Trust struct {
	Keys []Key
	// Threshold is thresholds.producer.
	Threshold int
	// LedgerKeys and Witnesses are the verifier key texts of `ledger_keys` (type 0x01) and
	// `witnesses` (type 0x04), checked by §3.1 item 6 (rule 5a, §6.5).
	LedgerKeys []string
	Witnesses  []string
}

// Lookup returns the key with this keyid (byte for byte), or nil.
func (t *Trust) Lookup(keyid string) *Key {
	for i := range t.Keys {
		if t.Keys[i].KeyID == keyid {
			return &t.Keys[i]
		}
	}
	return nil
}

// Parse reads a trust file in either form (§1.1: a first byte `-` is the bare-PEM form).
func Parse(data []byte, lim limits.Limits) (*Trust, *FileError) {
	if len(data) > 0 && data[0] == '-' {
		return parsePEM(data, lim)
	}
	return parseJSON(data, lim)
}

func keyCode(err error) string {
	var se *sig.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return err.Error()
}

// parsePEM is §4.
func parsePEM(data []byte, lim limits.Limits) (*Trust, *FileError) {
	pub, err := sig.ParsePEM(data, lim)
	if err != nil {
		return nil, &FileError{Detail: keyCode(err), Key: -1, Msg: err.Error()}
	}
	var s sig.Scheme
	switch pub.Algorithm() {
	case sig.AlgEd25519:
		s = sig.Ed25519
	case sig.AlgP256:
		s = sig.ECDSAP256SHA256
	default:
		return nil, &FileError{Detail: DetailBarePEMRSA, Key: -1, Msg: "an RSA key cannot be given in bare-PEM form"}
	}
	return &Trust{Keys: []Key{{KeyID: pub.KeyID(), Scheme: s, PEM: string(data), Public: pub, Producer: true}}, Threshold: 1}, nil
}

// allowed is 2.3.
func allowed(alg sig.Algorithm, s sig.Scheme) bool {
	switch alg {
	case sig.AlgEd25519:
		return s == sig.Ed25519
	case sig.AlgP256:
		return s == sig.ECDSAP256SHA256
	case sig.AlgRSA:
		return s == sig.RSAPKCS1v15SHA256 || s == sig.RSAPSSSHA256
	}
	return false
}

func str(v jcs.Value, key string) string {
	x, _ := v.Get(key)
	return x.AsString()
}

// parseJSON is §2 with the checks of §3.1 in order.
func parseJSON(data []byte, lim limits.Limits) (*Trust, *FileError) {
	// Item 1: size (L1) and strict JSON; not necessarily canonical.
	v, err := jcs.Parse(data, lim)
	if err != nil {
		code := err.Error()
		var je *jcs.Error
		if errors.As(err, &je) {
			code = je.Code()
		}
		return nil, &FileError{Detail: code, Key: -1, Msg: err.Error()}
	}
	// Item 2: schema, then every timestamp a valid time.
	if err := schema.Validate(schema.Trust, v); err != nil {
		return nil, &FileError{Detail: DetailSchema, Key: -1, Msg: err.Error()}
	}
	keys, _ := v.Get("keys")
	items := keys.Items()
	for i, it := range items {
		for _, f := range []string{"not_before", "not_after", "revoked_at"} {
			if ts, ok := it.Get(f); ok && !timefmt.Valid(ts.AsString()) {
				return nil, &FileError{Detail: DetailSchema, Key: i, Msg: f + " " + ts.AsString() + " is not a valid time"}
			}
		}
	}
	t := &Trust{}
	// Item 3: each key in order.
	for i, it := range items {
		k := Key{KeyID: str(it, "keyid"), Scheme: sig.Scheme(str(it, "scheme")), PEM: str(it, "public_key_pem"),
			NotBefore: str(it, "not_before"), NotAfter: str(it, "not_after"), RevokedAt: str(it, "revoked_at")}
		roles, _ := it.Get("roles")
		for _, r := range roles.Items() {
			switch r.AsString() {
			case RoleProducer:
				k.Producer = true
			case RoleApprover:
				k.Approver = true
			}
		}
		pub, err := sig.ParsePEM([]byte(k.PEM), lim)
		if err != nil {
			return nil, &FileError{Detail: keyCode(err), Key: i, Msg: err.Error()}
		}
		if pub.KeyID() != k.KeyID {
			return nil, &FileError{Detail: DetailKeyIDMismatch, Key: i, Msg: "keyid " + k.KeyID + " is not the key's " + pub.KeyID()}
		}
		if !allowed(pub.Algorithm(), k.Scheme) {
			return nil, &FileError{Detail: DetailSchemeMismatch, Key: i, Msg: fmt.Sprintf("scheme %s not allowed for a %s key", k.Scheme, pub.Algorithm())}
		}
		if k.NotBefore != "" && k.NotAfter != "" && k.NotBefore > k.NotAfter {
			return nil, &FileError{Detail: DetailWindow, Key: i, Msg: "not_before after not_after"}
		}
		k.Public = pub
		t.Keys = append(t.Keys, k)
	}
	// Item 4: unique keyids.
	seen := map[string]bool{}
	for i, k := range t.Keys {
		if seen[k.KeyID] {
			return nil, &FileError{Detail: DetailDuplicateKeyID, Key: i, Msg: "keyid " + k.KeyID + " repeated"}
		}
		seen[k.KeyID] = true
	}
	// Item 5: the threshold can be met.
	th, _ := v.Get("thresholds")
	p, _ := th.Get("producer")
	t.Threshold = int(p.AsNumber())
	producers := 0
	for _, k := range t.Keys {
		if k.Producer {
			producers++
		}
	}
	if t.Threshold > producers {
		return nil, &FileError{Detail: DetailThreshold, Key: -1, Msg: fmt.Sprintf("threshold %d above the %d producer keys", t.Threshold, producers)}
	}
	// Item 6: ledger keys, then witnesses, each of its type.
	for _, f := range []struct {
		member, detail string
		alg            byte
		into           *[]string
	}{{"ledger_keys", DetailLedgerKey, algLedger, &t.LedgerKeys}, {"witnesses", DetailWitnessKey, algWitness, &t.Witnesses}} {
		list, _ := v.Get(f.member)
		for i, it := range list.Items() {
			if why := checkVerifierKey(it.AsString(), f.alg); why != "" {
				return nil, &FileError{Detail: f.detail, Key: -1, Msg: fmt.Sprintf("%s[%d]: %s", f.member, i, why)}
			}
			*f.into = append(*f.into, it.AsString())
		}
	}
	return t, nil
}
