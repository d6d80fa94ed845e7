// Package attest verifies attestations (spec/attestation-v0.md §6): the DSSE envelope, a
// signature by a trusted producer key, the predicate's schema and catalogue, the subjects against
// the bundles given, and every control status recomputed from those bundles by §4.
package attest

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/clyra-dev/clyra/verifier/go/dsse"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
	"github.com/clyra-dev/clyra/verifier/go/trust"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
	"github.com/clyra-dev/clyra/verifier/go/verify"
)

// Codes of attestation-v0.md §6 (verdicts.md, section attest).
const (
	CodeEnvelope       = "attest.envelope"
	CodeUntrusted      = "attest.untrusted"
	CodeSignature      = "attest.signature"
	CodeSchema         = "attest.schema"
	CodeSubject        = "attest.subject_mismatch"
	CodeStatus         = "attest.status_mismatch"
	CodeNotRecomputed  = "attest.not_recomputed"
	PredicateType      = "https://clyra.dev/attestation/v0"
	statementType      = "https://in-toto.io/Statement/v1"
	inTotoPayloadType  = "application/vnd.in-toto+json"
	step               = "attestation"
	emptySubjectName   = "empty"
	emptySubjectSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

func hexDecode(dst []byte, s string) (int, error) { return hex.Decode(dst, []byte(s)) }

// Opened is an attestation whose envelope, signature and predicate passed (§6.1 items 1–3).
type Opened struct {
	Subjects   []Subject
	Predicate  jcs.Value
	Framework  string
	VerifiedAt string
}

// Subject is one entry of the Statement's subject list.
type Subject struct{ Name, SHA256 string }

func check(code string, sev verdict.Severity, msg string) verify.Check {
	return verify.Check{Step: step, Code: code, Severity: sev, Message: msg}
}

func ok(msg string) verify.Check { return check("ok", verdict.OK, msg) }

func failed(code, msg string) verify.Check { return check(code, verdict.Fail, msg) }

// Open runs items 1–3 of §6.1 on the envelope file data with tr, judged at `at`.
func Open(data []byte, tr *trust.Trust, at string, lim limits.Limits) ([]verify.Check, *Opened) {
	env, err := dsse.Decode(data, lim)
	if err != nil {
		return []verify.Check{failed(CodeEnvelope, "not a DSSE envelope: "+err.Error())}, nil
	}
	if env.PayloadType != inTotoPayloadType {
		return []verify.Check{failed(CodeEnvelope, "payloadType is not in-toto")}, nil
	}
	if err := jcs.CheckCanonical(env.Payload, lim); err != nil {
		return []verify.Check{failed(CodeEnvelope, "the payload is not canonical JSON")}, nil
	}
	st, _ := jcs.Parse(env.Payload, lim)
	op, why := statement(st)
	if why != "" {
		return []verify.Check{failed(CodeEnvelope, why)}, nil
	}
	checks := []verify.Check{ok("envelope and Statement read")}
	attestedAt, _ := str(op.Predicate, "attested_at")
	signed := ""
	var untrusted []string
	for _, s := range env.Signatures {
		key := tr.Lookup(s.KeyID)
		if key == nil || !key.Producer {
			untrusted = append(untrusted, s.KeyID)
			continue
		}
		if err := dsse.Verify(env, key.Public, key.Scheme, lim); err != nil {
			return append(checks, failed(CodeSignature, fmt.Sprintf("the signature by `%s` does not verify", s.KeyID))), nil
		}
		if attestedAt == "" || !key.InWindow(attestedAt) || key.RevokedBy(at) {
			return append(checks, failed(CodeSignature, fmt.Sprintf("key `%s` is outside its window at attested_at or revoked", s.KeyID))), nil
		}
		signed = s.KeyID
		break
	}
	if signed == "" {
		return append(checks, check(CodeUntrusted, verdict.Untrusted,
			"no signature by a producer key of the trust file (signed by "+strings.Join(untrusted, ", ")+")")), nil
	}
	checks = append(checks, ok("signed by trusted key `"+signed+"`"))
	if why := checkPredicate(op); why != "" {
		return append(checks, failed(CodeSchema, why)), nil
	}
	return append(checks, ok("predicate valid for "+op.Framework)), op
}

// statement reads an in-toto Statement with the attestation predicate type.
func statement(st jcs.Value) (*Opened, string) {
	if st.Kind() != jcs.KindObject || len(st.Members()) != 4 {
		return nil, "the payload is not a Statement"
	}
	if t, _ := str(st, "_type"); t != statementType {
		return nil, "the payload is not an in-toto Statement v1"
	}
	if t, _ := str(st, "predicateType"); t != PredicateType {
		return nil, "predicateType is not " + PredicateType
	}
	p, okP := st.Get("predicate")
	subjects := items(st, "subject")
	if !okP || p.Kind() != jcs.KindObject || len(subjects) == 0 {
		return nil, "the Statement has no predicate object or no subject"
	}
	op := &Opened{Predicate: p}
	for _, s := range subjects {
		name, okN := str(s, "name")
		digest, okD := str(s, "digest", "sha256")
		d, _ := get(s, "digest")
		if !okN || !okD || len(s.Members()) != 2 || len(d.Members()) != 1 || len(digest) != 64 || strings.ToLower(digest) != digest {
			return nil, "a subject is not {name, digest: {sha256}}"
		}
		op.Subjects = append(op.Subjects, Subject{Name: name, SHA256: digest})
	}
	op.Framework, _ = str(p, "framework", "id")
	op.VerifiedAt, _ = str(p, "verified_at")
	return op, ""
}

// checkPredicate is §6.1 item 3: schema, then the catalogue's ids, titles and requirements.
func checkPredicate(op *Opened) string {
	if err := schema.Validate("attestation-v0", op.Predicate); err != nil {
		return "the predicate breaks attestation-v0: " + err.Error()
	}
	cat, found := catalogue[op.Framework]
	if !found {
		return "unknown framework"
	}
	controls := items(op.Predicate, "controls")
	if len(controls) != len(cat) {
		return fmt.Sprintf("%d controls, the catalogue of %s has %d", len(controls), op.Framework, len(cat))
	}
	for i, c := range controls {
		id, _ := str(c, "id")
		title, _ := str(c, "title")
		var reqs []string
		for _, r := range items(c, "requirements") {
			reqs = append(reqs, r.AsString())
		}
		if id != cat[i].id || title != cat[i].title || strings.Join(reqs, ",") != strings.Join(cat[i].requirements, ",") {
			return fmt.Sprintf("control `%s` differs from the catalogue entry `%s`", id, cat[i].id)
		}
	}
	return ""
}

// Recompute is items 4–5 of §6.1 over the bundles' facts (any order; nil: none given).
func Recompute(op *Opened, given []Facts) []verify.Check {
	if given == nil {
		return []verify.Check{check(CodeNotRecomputed, verdict.Warn, "no bundles given: the statuses were not recomputed")}
	}
	empty := len(op.Subjects) == 1 && op.Subjects[0].Name == emptySubjectName && op.Subjects[0].SHA256 == emptySubjectSHA256
	var ordered []Facts
	if !empty {
		for _, s := range op.Subjects {
			var match []int
			for i := range given {
				if given[i].sameDigest(s.SHA256) {
					match = append(match, i)
				}
			}
			if len(match) != 1 {
				return []verify.Check{failed(CodeSubject, fmt.Sprintf("subject `%s` is matched by %d bundles given", s.Name, len(match)))}
			}
			ordered = append(ordered, given[match[0]])
		}
	}
	for i := range given {
		found := false
		for _, s := range op.Subjects {
			if given[i].sameDigest(s.SHA256) {
				found = true
			}
		}
		if !found {
			return []verify.Check{failed(CodeSubject, fmt.Sprintf("bundle %s is not a subject", hex.EncodeToString(given[i].SHA256[:])))}
		}
	}
	checks := []verify.Check{ok(fmt.Sprintf("%d bundles match the subjects", len(ordered)))}
	if why := compare(op, ordered); why != "" {
		return append(checks, failed(CodeStatus, why))
	}
	return append(checks, ok("control statuses recomputed from the bundles"))
}

func canon(v jcs.Value) string {
	b, err := jcs.Marshal(v)
	if err != nil {
		return "!" + err.Error()
	}
	return string(b)
}

func num(n int) jcs.Value { return jcs.Number(float64(n)) }

func member(k string, v jcs.Value) jcs.Member { return jcs.Member{Key: k, Value: v} }

// compare recomputes §3.4–§3.5 and the summary and returns why they differ ("" when equal).
func compare(op *Opened, bundles []Facts) string {
	p := op.Predicate
	var verdicts, invalid []jcs.Value
	for i, b := range bundles {
		verdicts = append(verdicts, jcs.Object(member("subject", num(i)), member("outcome", jcs.String(b.Outcome)), member("primary", jcs.String(b.Primary))))
		if b.Outcome != verify.Valid {
			invalid = append(invalid, jcs.Object(member("kind", jcs.String("invalid_bundle")), member("subject", num(i)),
				member("outcome", jcs.String(b.Outcome)), member("primary", jcs.String(b.Primary))))
		}
	}
	signedBundles, _ := get(p, "bundles")
	if canon(signedBundles) != canon(jcs.Array(verdicts...)) {
		return "the bundles' verdicts differ"
	}
	var signedInvalid []jcs.Value
	for _, f := range items(p, "findings") {
		if k, _ := str(f, "kind"); k == "invalid_bundle" {
			signedInvalid = append(signedInvalid, f)
		}
	}
	if canon(jcs.Array(signedInvalid...)) != canon(jcs.Array(invalid...)) {
		return "the invalid-bundle findings differ"
	}
	gaps := len(items(p, "completeness", "gaps"))
	counts := map[string]int{}
	signed := items(p, "controls")
	for i, c := range catalogue[op.Framework] {
		status, refs := evaluate(c, bundles, gaps)
		counts[status]++
		if i >= len(signed) {
			return "a control is missing"
		}
		if s, _ := str(signed[i], "status"); s != status {
			return fmt.Sprintf("control `%s`: signed status `%s`, recomputed `%s`", c.id, s, status)
		}
		signedRefs, _ := get(signed[i], "references")
		if canon(signedRefs) != canon(refs) {
			return fmt.Sprintf("control `%s`: the references differ", c.id)
		}
	}
	summary := jcs.Object(member("supported", num(counts["supported"])), member("not_supported", num(counts["not_supported"])),
		member("exception", num(counts["exception"])), member("not_applicable", num(counts["not_applicable"])))
	signedSummary, _ := get(p, "summary")
	if canon(signedSummary) != canon(summary) {
		return "the summary differs"
	}
	return ""
}

// resultOf is §4.3 for one control and one bundle: the result ("" when not applicable) and the
// failing requirements.
func resultOf(c control, b *Facts) (string, []string) {
	if !b.manifestRead {
		return "fail", []string{reqVerified}
	}
	for _, r := range c.requirements {
		if (r == reqTwoPerson || r == reqVoice) && b.result(r, c.months) == na {
			return "", nil
		}
	}
	var failing []string
	for _, r := range c.requirements {
		if b.result(r, c.months) == fail {
			failing = append(failing, r)
		}
	}
	for _, r := range failing {
		if r == reqVerified {
			return "fail", failing
		}
	}
	if len(c.requirements) > 1 {
		allNA := true
		for _, r := range c.requirements {
			if r != reqVerified && b.result(r, c.months) != na {
				allNA = false
			}
		}
		if allNA {
			return "", nil
		}
	}
	if len(failing) == 0 {
		return "pass", nil
	}
	exceptable := true
	for _, r := range failing {
		if r != reqTests && r != reqEnforce {
			exceptable = false
		}
	}
	if exceptable && b.approvedException {
		return "exception", failing
	}
	return "fail", failing
}

// evaluate is §4.3–§4.4 for one control: its status and its references as JSON.
func evaluate(c control, bundles []Facts, gaps int) (string, jcs.Value) {
	var refs []jcs.Value
	anyFail, anyException := false, false
	for i := range bundles {
		b := &bundles[i]
		result, failing := resultOf(c, b)
		if result == "" {
			continue
		}
		anyFail = anyFail || result == "fail"
		anyException = anyException || result == "exception"
		ms := []jcs.Member{member("subject", num(i)), member("result", jcs.String(result))}
		if len(failing) > 0 {
			var fs []jcs.Value
			for _, f := range failing {
				fs = append(fs, jcs.String(f))
			}
			ms = append(ms, member("failed", jcs.Array(fs...)))
		}
		if len(b.approvals) > 0 {
			var as []jcs.Value
			for _, a := range b.approvals {
				as = append(as, jcs.Object(member("file", jcs.String(a[0])), member("digest", jcs.String(a[1]))))
			}
			ms = append(ms, member("approvals", jcs.Array(as...)))
		}
		if len(b.journalSeq) > 0 {
			var ss []jcs.Value
			for _, s := range b.journalSeq {
				ss = append(ss, jcs.Number(float64(s)))
			}
			ms = append(ms, member("journal_seq", jcs.Array(ss...)))
		}
		refs = append(refs, jcs.Object(ms...))
	}
	status := "supported"
	switch {
	case gaps > 0 || anyFail:
		status = "not_supported"
	case anyException:
		status = "exception"
	case len(refs) == 0:
		status = "not_applicable"
	}
	return status, jcs.Array(refs...)
}
