package verify

import (
	"strings"

	"github.com/clyra-dev/clyra/verifier/go/container"
	"github.com/clyra-dev/clyra/verifier/go/dsse"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/manifest"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
	"github.com/clyra-dev/clyra/verifier/go/sig"
	"github.com/clyra-dev/clyra/verifier/go/timefmt"
	"github.com/clyra-dev/clyra/verifier/go/trust"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

// keyFile is a key file that passed bundle-v0.md §6.1.
type keyFile struct {
	name string
	key  *sig.PublicKey
}

// coder is any error with a registered code.
type coder interface{ Code() string }

func codeOf(err error, fallback string) string {
	if c, ok := err.(coder); ok {
		return c.Code()
	}
	return fallback
}

// groups of container.Classify.
func group(name string) (string, string) {
	for _, d := range []string{keysDir, signaturesDir, approvalsDir} {
		if strings.HasPrefix(name, d) {
			_, h, _ := container.Classify(name)
			return d, h
		}
	}
	return "", ""
}

// approvalSignerHex returns the keyid-hex of every signature of every approvals/ envelope that
// decodes (used to tell whether a key file signs something, §6.1).
func (r *run) approvalSignerHex() map[string]bool {
	out := map[string]bool{}
	for _, e := range r.b.Entries {
		if !strings.HasPrefix(e.Name, approvalsDir) {
			continue
		}
		env, err := dsse.Decode(e.Data, r.lim)
		if err != nil {
			continue
		}
		for _, s := range env.Signatures {
			if h, ok := strings.CutPrefix(s.KeyID, "sha256:"); ok {
				out[h] = true
			}
		}
	}
	return out
}

// keysAndEnvelopes is steps 6 and 7 (bundle-v0.md §6.1, §6.6); it returns the producer
// signatures that passed both, in file-name order.
func (r *run) keysAndEnvelopes() []trust.Signature {
	r.keys = map[string]*keyFile{}
	r.producerHex = map[string]bool{}
	for _, e := range r.b.Entries {
		if d, h := group(e.Name); d == signaturesDir {
			r.producerHex[h] = true
		}
	}
	approvers := r.approvalSignerHex()

	for _, e := range r.b.Entries {
		d, h := group(e.Name)
		if d != keysDir {
			continue
		}
		r.keys[h] = nil
		k, err := sig.ParsePEM(e.Data, r.lim)
		if err != nil {
			r.fail(StepKeys, codeOf(err, "key.invalid"), e.Name, err.Error())
			continue
		}
		if k.KeyID() != "sha256:"+h {
			r.fail(StepKeys, CodeKeyFilename, e.Name, "keyid is "+k.KeyID())
			continue
		}
		r.keys[h] = &keyFile{name: e.Name, key: k}
		if !r.producerHex[h] && !approvers[h] {
			r.fail(StepKeys, CodeUnexpectedEntry, e.Name, "the key signs no signature and no approval")
			continue
		}
		r.ok(StepKeys, e.Name, "key file parses and matches its name")
	}

	var out []trust.Signature
	type passed struct {
		name   string
		st     jcs.Value
		scheme sig.Scheme
		keyid  string
	}
	var bound []passed
	for _, e := range r.b.Entries {
		d, h := group(e.Name)
		if d != signaturesDir {
			continue
		}
		st, scheme, ok := r.envelope(e, h)
		if ok {
			bound = append(bound, passed{name: e.Name, st: st, scheme: scheme, keyid: "sha256:" + h})
		}
	}
	if len(bound) == 0 && len(r.producerHex) > 0 {
		r.add(StepStatement, CodeSkipped, verdict.OK, signaturesDir, "no envelope passed the keys step")
	}
	for _, p := range bound {
		if r.bind(p.name, p.st) {
			out = append(out, trust.Signature{File: p.name, KeyID: p.keyid, Scheme: string(p.scheme),
				SignedAt: getString(p.st, "predicate", "signed_at")})
		}
	}
	return out
}

// envelope is §6.6 items 1–7 for one signature file; it returns the Statement and the scheme.
func (r *run) envelope(e container.Entry, h string) (jcs.Value, sig.Scheme, bool) {
	name := e.Name
	env, err := dsse.Decode(e.Data, r.lim)
	if err != nil {
		r.fail(StepKeys, codeOf(err, dsse.CodeTooLarge), name, err.Error())
		return jcs.Value{}, "", false
	}
	if len(env.Signatures) != 1 || env.Signatures[0].KeyID != "sha256:"+h {
		r.fail(StepKeys, CodeSignatureFile, name, "not exactly one signature by sha256:"+h)
		return jcs.Value{}, "", false
	}
	kf := r.keys[h]
	if kf == nil {
		r.add(StepKeys, CodeSkipped, verdict.OK, name, "the signer's key file failed")
		return jcs.Value{}, "", false
	}
	// item 3: scheme
	var scheme sig.Scheme
	switch kf.key.Algorithm() {
	case sig.AlgEd25519:
		scheme = sig.Ed25519
	case sig.AlgP256:
		scheme = sig.ECDSAP256SHA256
	default:
		pv, perr := jcs.Parse(env.Payload, r.lim)
		sv, ok := get(pv, "predicate", "scheme")
		if perr != nil || !ok || sv.Kind() != jcs.KindString {
			r.fail(StepKeys, CodeStatementSchema, name, "RSA key: the payload has no string predicate.scheme")
			return jcs.Value{}, "", false
		}
		s, serr := sig.ParseScheme(sv.AsString())
		if serr != nil {
			r.add(StepKeys, CodeSchemeUnknown, verdict.Indeterminate, name, "unknown scheme "+sv.AsString())
			return jcs.Value{}, "", false
		}
		scheme = s
	}
	// item 4
	if err := dsse.Verify(env, kf.key, scheme, r.lim); err != nil {
		r.fail(StepKeys, codeOf(err, "sig.invalid"), name, err.Error())
		return jcs.Value{}, "", false
	}
	// item 4a
	if env.PayloadType != InTotoPayloadType {
		r.fail(StepKeys, CodeStatementSchema, name, "payloadType is not "+InTotoPayloadType)
		return jcs.Value{}, "", false
	}
	st, err := jcs.Parse(env.Payload, r.lim)
	if err != nil { // unreachable: dsse.Verify checked the canonical payload
		r.fail(StepKeys, "dsse.payload_not_canonical", name, err.Error())
		return jcs.Value{}, "", false
	}
	// item 5
	if code, msg := statementStructure(st); code != "" {
		r.fail(StepKeys, code, name, msg)
		return jcs.Value{}, "", false
	}
	// item 6
	if err := schema.Validate(schema.Statement, st); err != nil {
		r.fail(StepKeys, CodeStatementSchema, name, err.Error())
		return jcs.Value{}, "", false
	}
	if !timefmt.Valid(getString(st, "predicate", "signed_at")) {
		r.fail(StepKeys, CodeStatementSchema, name, "signed_at is not a valid time")
		return jcs.Value{}, "", false
	}
	// item 7
	ps, perr := sig.ParseScheme(getString(st, "predicate", "scheme"))
	if perr != nil {
		r.add(StepKeys, CodeSchemeUnknown, verdict.Indeterminate, name, "unknown predicate.scheme")
		return jcs.Value{}, "", false
	}
	if ps != scheme {
		r.fail(StepKeys, CodeSchemeMismatch, name, "predicate.scheme "+string(ps)+" is not the key's scheme "+string(scheme))
		return jcs.Value{}, "", false
	}
	r.ok(StepKeys, name, "signature verifies; statement well formed")
	return st, scheme, true
}

// bind is §6.6 item 8 (§6.5).
func (r *run) bind(name string, st jcs.Value) bool {
	subj, _ := st.Get("subject")
	items := subj.Items()
	if len(items) != 1 || getString(items[0], "name") != manifest.Subject ||
		"sha256:"+getString(items[0], "digest", "sha256") != digestOf(r.manBytes) {
		r.fail(StepStatement, CodeSubjectMismatch, name, "subject is not manifest.json with its SHA-256")
		return false
	}
	if getString(st, "predicateType") != predicateTypePrefix+r.m.Format {
		r.fail(StepStatement, CodePredicateType, name, "predicateType does not match format "+r.m.Format)
		return false
	}
	for _, p := range [][3]string{
		{"bundle_id", "bundle_id", ""},
		{"merkle_root", "merkle", "root"},
		{"journal_head", "journal", "head"},
	} {
		path := []string{p[1]}
		if p[2] != "" {
			path = append(path, p[2])
		}
		if getString(st, "predicate", p[0]) != getString(r.m.Value, path...) {
			r.fail(StepStatement, CodeBinding, name, "predicate."+p[0]+" differs from the manifest")
			return false
		}
	}
	r.ok(StepStatement, name, "statement binds the manifest")
	return true
}

// statementStructure is dsse.md §7: the first problem's code, or "".
func statementStructure(st jcs.Value) (string, string) {
	const (
		missing  = "dsse.missing_field"
		unknown  = "dsse.unknown_field"
		wrong    = "dsse.wrong_type"
		stType   = "dsse.statement_type"
		noSubj   = "dsse.no_subject"
		subjDig  = "dsse.subject_digest"
		typeURI  = "https://in-toto.io/Statement/v1"
		lowerHex = "0123456789abcdef"
	)
	if st.Kind() != jcs.KindObject {
		return wrong, "statement is not an object"
	}
	if c, m := exactMembers(st, []string{"_type", "subject", "predicateType", "predicate"}); c != "" {
		return c, m
	}
	t, _ := st.Get("_type")
	if t.Kind() != jcs.KindString {
		return wrong, "_type is not a string"
	}
	subj, _ := st.Get("subject")
	if subj.Kind() != jcs.KindArray {
		return wrong, "subject is not an array"
	}
	pt, _ := st.Get("predicateType")
	if pt.Kind() != jcs.KindString {
		return wrong, "predicateType is not a string"
	}
	pred, _ := st.Get("predicate")
	if pred.Kind() != jcs.KindObject {
		return wrong, "predicate is not an object"
	}
	if t.AsString() != typeURI {
		return stType, "_type is not " + typeURI
	}
	if len(subj.Items()) == 0 {
		return noSubj, "subject is empty"
	}
	for _, s := range subj.Items() {
		if s.Kind() != jcs.KindObject {
			return wrong, "a subject is not an object"
		}
		if c, m := exactMembers(s, []string{"name", "digest"}); c != "" {
			return c, m
		}
		n, _ := s.Get("name")
		d, _ := s.Get("digest")
		if n.Kind() != jcs.KindString || d.Kind() != jcs.KindObject {
			return wrong, "a subject's name or digest has the wrong type"
		}
		if c, m := exactMembers(d, []string{"sha256"}); c != "" {
			return c, m
		}
		h, _ := d.Get("sha256")
		if h.Kind() != jcs.KindString {
			return wrong, "digest.sha256 is not a string"
		}
		hs := h.AsString()
		if len(hs) != 64 || strings.Trim(hs, lowerHex) != "" {
			return subjDig, "digest.sha256 is not 64 lowercase hex digits"
		}
	}
	return "", ""
}

// exactMembers reports a missing member (in the order given), then an unknown one.
func exactMembers(v jcs.Value, names []string) (string, string) {
	for _, n := range names {
		if _, ok := v.Get(n); !ok {
			return "dsse.missing_field", "missing member " + n
		}
	}
	for _, m := range v.Members() {
		known := false
		for _, n := range names {
			if m.Key == n {
				known = true
			}
		}
		if !known {
			return "dsse.unknown_field", "unknown member " + m.Key
		}
	}
	return "", ""
}
