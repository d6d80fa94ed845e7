package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/clyra-dev/clyra/verifier/go/container"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/journal"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/manifest"
	"github.com/clyra-dev/clyra/verifier/go/merkle"
	"github.com/clyra-dev/clyra/verifier/go/policy"
	"github.com/clyra-dev/clyra/verifier/go/risk"
	"github.com/clyra-dev/clyra/verifier/go/trust"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

// Codes recorded by this package (verdicts.md §4).
const (
	CodeOK                = "ok"
	CodeSkipped           = "skipped"
	CodeArtifactMissing   = "artifact.missing"
	CodeArtifactUnlisted  = "artifact.unlisted"
	CodeArtifactSize      = "artifact.size_mismatch"
	CodeArtifactDigest    = "artifact.digest_mismatch"
	CodeMerkleRoot        = "merkle.root_mismatch"
	CodeMerkleSize        = "merkle.size_mismatch"
	CodePolicyHash        = "policy.hash_mismatch"
	CodePolicyMissing     = "policy.missing"
	CodePolicyNotRequired = "policy.not_required"
	CodeWeightsMismatch   = "risk.weights_mismatch"
	CodeKeyFilename       = "key.filename_mismatch"
	CodeSignatureFile     = "signature.file_mismatch"
	CodeSchemeUnknown     = "signature.scheme_unknown"
	CodeStatementSchema   = "statement.schema"
	CodeSubjectMismatch   = "statement.subject_mismatch"
	CodePredicateType     = "statement.predicate_type"
	CodeBinding           = "statement.binding"
	CodeUnexpectedEntry   = "bundle.unexpected_entry"
	CodeMissingEntry      = "bundle.missing_entry"
	CodeSchemeMismatch    = "sig.scheme_mismatch"
	InTotoPayloadType     = "application/vnd.in-toto+json"
	ApprovalPayloadType   = "application/vnd.clyra.approval+json"
	predicateTypePrefix   = "https://clyra.dev/"
	journalName           = "journal.ndjson"
	signaturesDir         = "signatures/"
	approvalsDir          = "approvals/"
	keysDir               = "keys/"
	artifactsDir          = "artifacts/"
)

// run is the state of one verification.
type run struct {
	lim    limits.Limits
	trust  *trust.Trust
	at     string
	policy []byte
	// witnessed is rule 5a's evidence (trust-v0.md §6.5), nil without a ledger receipt.
	witnessed *trust.Witnessed
	checks    []Check
	// given is the policy file read by policy.Read (nil: none given, or givenErr says why it is
	// unusable — a library caller's problem; the CLI refuses such a file first).
	given    *policy.Policy
	givenErr *policy.FileError

	b        *container.Bundle
	m        *manifest.Manifest
	manBytes []byte
	// keys by keyid-hex: parsed key files that passed §6.1 (nil entry: the file failed).
	keys map[string]*keyFile
	// producerHex is the set of keyid-hex of the signature files.
	producerHex map[string]bool
}

func (r *run) add(step, code string, sev verdict.Severity, subject, msg string) {
	r.checks = append(r.checks, Check{Step: step, Code: code, Severity: sev, Subject: subject, Message: msg})
}

func (r *run) ok(step, subject, msg string) { r.add(step, CodeOK, verdict.OK, subject, msg) }

func (r *run) fail(step, code, subject, msg string) {
	r.add(step, code, verdict.Fail, subject, msg)
}

func (r *run) skipFrom(i int) {
	for _, s := range Steps[i:] {
		r.add(s, CodeSkipped, verdict.OK, "", "not run: the container or manifest step stopped the run")
	}
}

// Bundle verifies a bundle (bundle-v0.md §7) against a usable trust, at the verification time at
// (a valid timestamp), with the policy document given (nil when none), within lim.
func Bundle(data []byte, tr *trust.Trust, at string, policy []byte, lim limits.Limits) Verdict {
	return BundleAt(bytes.NewReader(data), int64(len(data)), tr, at, policy, lim)
}

// BundleAt is Bundle over a bundle of size bytes readable from ra (an *os.File, typically): the
// container is streamed from ra, so memory does not grow with the size of the artifacts.
func BundleAt(ra io.ReaderAt, size int64, tr *trust.Trust, at string, policy []byte, lim limits.Limits) Verdict {
	return BundleAtWitnessed(ra, size, tr, at, policy, lim, nil)
}

// BundleAtWitnessed is BundleAt with what a ledger receipt given with the bundle proves about its
// time (trust-v0.md §6.5, rule 5a; ledger.Witness computes it), nil without a receipt.
func BundleAtWitnessed(ra io.ReaderAt, size int64, tr *trust.Trust, at string, policy []byte, lim limits.Limits, w *trust.Witnessed) Verdict {
	r := &run{lim: lim, trust: tr, at: at, policy: policy, witnessed: w}
	if policy != nil {
		r.given, r.givenErr = readPolicy(policy, lim)
	}
	r.pipeline(ra, size)
	return Decide(r.checks)
}

func (r *run) pipeline(ra io.ReaderAt, size int64) {
	// 1. container
	b, cerr := container.Read(ra, size, r.lim)
	if cerr != nil {
		r.fail(StepContainer, cerr.Code, cerr.Subject, cerr.Detail)
		r.skipFrom(1)
		return
	}
	r.b = b
	r.ok(StepContainer, "", fmt.Sprintf("%d entries", len(b.Entries)))

	// 2. manifest
	me := b.Entry(manifest.Subject)
	r.manBytes = me.Data
	m, f := manifest.Check(me.Data, r.lim)
	if f != nil {
		msg := f.Detail
		r.add(StepManifest, f.Code, f.Severity, f.Subject, msg)
		r.skipFrom(2)
		return
	}
	r.m = m
	r.ok(StepManifest, manifest.Subject, "manifest is canonical and valid for "+m.Format)
	for _, w := range m.Warnings {
		r.add(StepManifest, w.Code, w.Severity, w.Subject, w.Detail)
	}

	r.artifacts()
	r.journal()
	r.merkle()
	sigs := r.keysAndEnvelopes()
	r.trustStep(sigs)
	r.approvals()
	r.policyStep()
	r.riskStep()
}

// get walks object members of v.
func get(v jcs.Value, path ...string) (jcs.Value, bool) {
	for _, p := range path {
		var ok bool
		if v, ok = v.Get(p); !ok {
			return jcs.Value{}, false
		}
	}
	return v, true
}

func getString(v jcs.Value, path ...string) string {
	x, ok := get(v, path...)
	if !ok || x.Kind() != jcs.KindString {
		return ""
	}
	return x.AsString()
}

func getUint(v jcs.Value, path ...string) uint64 {
	x, ok := get(v, path...)
	if !ok || x.Kind() != jcs.KindNumber || x.AsNumber() < 0 {
		return 0
	}
	return uint64(x.AsNumber())
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

type artifactRecord struct {
	path   string
	sha256 string
	size   uint64
}

func (r *run) artifactList() []artifactRecord {
	list, _ := r.m.Value.Get("artifacts")
	var out []artifactRecord
	for _, a := range list.Items() {
		out = append(out, artifactRecord{path: getString(a, "path"), sha256: getString(a, "sha256"), size: getUint(a, "size")})
	}
	return out
}

// artifacts is step 3 (bundle-v0.md §7.1).
func (r *run) artifacts() {
	listed := map[string]bool{}
	n := 0
	for _, a := range r.artifactList() {
		listed[a.path] = true
		e := r.b.Entry(a.path)
		g, _, _ := container.Classify(a.path)
		switch {
		case e == nil || g < 0 || !strings.HasPrefix(a.path, artifactsDir):
			r.fail(StepArtifacts, CodeArtifactMissing, a.path, "listed artifact is not in the container")
		case e.Size != a.size:
			r.fail(StepArtifacts, CodeArtifactSize, a.path, fmt.Sprintf("size %d, manifest records %d", e.Size, a.size))
		case hex.EncodeToString(e.SHA256[:]) != a.sha256:
			r.fail(StepArtifacts, CodeArtifactDigest, a.path, "SHA-256 differs from the manifest's")
		default:
			r.ok(StepArtifacts, a.path, "size and SHA-256 match")
		}
		n++
	}
	for _, e := range r.b.Entries {
		if strings.HasPrefix(e.Name, artifactsDir) && !listed[e.Name] {
			r.fail(StepArtifacts, CodeArtifactUnlisted, e.Name, "artifact entry not listed in the manifest")
			n++
		}
	}
	if n == 0 {
		r.ok(StepArtifacts, "", "no artifacts")
	}
}

// journal is step 4 (bundle-v0.md §3.5).
func (r *run) journal() {
	data := r.b.Entry(journalName).Data
	jm := journal.Manifest{
		CreatedAt: r.m.CreatedAt,
		Count:     getUint(r.m.Value, "journal", "count"),
		Head:      getString(r.m.Value, "journal", "head"),
	}
	if err := journal.Check(data, jm, r.lim); err != nil {
		subject := journalName
		if err.Line >= 0 {
			subject = fmt.Sprintf("%s:%d", journalName, err.Line)
		}
		msg := err.Msg
		if err.Detail != "" {
			msg = err.Detail + ": " + msg
		}
		r.fail(StepJournal, err.Code, subject, msg)
		return
	}
	r.ok(StepJournal, journalName, fmt.Sprintf("%d lines", jm.Count))
}

// merkle is step 5 (bundle-v0.md §4).
func (r *run) merkle() {
	data := r.b.Entry(journalName).Data
	// spec: bundle-v0.md §4.1 — a journal of more than L16 lines has already failed the journal
	// step: its tree is not recomputed, so a flood of (empty) lines costs no hashing.
	lines := bytes.Count(data, []byte{'\n'})
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	if lines > r.lim.JournalMaxEvents {
		r.add(StepMerkle, CodeSkipped, verdict.OK, manifest.Subject, fmt.Sprintf("not run: the journal has %d lines, more than %d", lines, r.lim.JournalMaxEvents))
		return
	}
	// The tree keeps O(log n) peaks: memory stays flat however many lines the journal has.
	var tree merkle.Tree
	journal.EachLine(data, func(_ int, line []byte) bool {
		tree.Append(line)
		return true
	})
	for _, a := range r.artifactList() {
		rec, err := jcs.Marshal(jcs.Object(
			jcs.Member{Key: "path", Value: jcs.String(a.path)},
			jcs.Member{Key: "sha256", Value: jcs.String(a.sha256)},
			jcs.Member{Key: "size", Value: jcs.Number(float64(a.size))},
		))
		if err != nil {
			panic(err) // a schema-valid size is an integer below 2^53
		}
		tree.Append(rec)
	}
	bad := false
	if size := getUint(r.m.Value, "merkle", "size"); size != tree.Size() {
		r.fail(StepMerkle, CodeMerkleSize, manifest.Subject, fmt.Sprintf("%d leaves, merkle.size %d", tree.Size(), size))
		bad = true
	}
	root := tree.Root()
	got := "sha256:" + hex.EncodeToString(root[:])
	if want := getString(r.m.Value, "merkle", "root"); got != want {
		r.fail(StepMerkle, CodeMerkleRoot, manifest.Subject, "recomputed root "+got)
		bad = true
	}
	if !bad {
		r.ok(StepMerkle, manifest.Subject, "root and size match")
	}
}

// policyStep is step 10.
func (r *run) policyStep() {
	pol, _ := r.m.Value.Get("policy")
	required := false
	if v, ok := pol.Get("required"); ok && v.Kind() == jcs.KindBool {
		required = v.AsBool()
	}
	hash, hasHash := "", false
	if v, ok := pol.Get("hash"); ok && v.Kind() == jcs.KindString {
		hash, hasHash = v.AsString(), true
	}
	if r.policy == nil {
		if required {
			r.add(StepPolicy, CodePolicyMissing, verdict.Indeterminate, manifest.Subject, "policy.required is true and no policy was given")
		} else {
			r.add(StepPolicy, CodePolicyNotRequired, verdict.OK, manifest.Subject, "no policy given and none required")
		}
		return
	}
	switch {
	case r.givenErr != nil:
		r.fail(StepPolicy, CodePolicyHash, manifest.Subject, "the policy file is unusable: "+r.givenErr.Error())
	case !hasHash:
		r.fail(StepPolicy, CodePolicyHash, manifest.Subject, "a policy was given but the manifest records no policy.hash")
	case r.given.Digest != hash:
		r.fail(StepPolicy, CodePolicyHash, manifest.Subject, "policy digest "+r.given.Digest+" differs from policy.hash")
	default:
		r.ok(StepPolicy, manifest.Subject, "policy hash matches")
	}
}

// riskStep is step 11 (risk-v1.md §6.1): the score, then, with a usable policy, the recorded
// weights against the policy's (item 4; runs whatever the score check and the hash gave).
func (r *run) riskStep() {
	block, _ := r.m.Value.Get("risk")
	f := risk.Check(block)
	r.add(StepRisk, f.Code, f.Severity, manifest.Subject, f.Detail)
	if r.given == nil || (f.Code != CodeOK && f.Code != risk.CodeScoreMismatch) {
		return
	}
	recorded, _, _ := risk.Decode(block)
	if diff := risk.WeightsDiff(recorded, r.given.Weights); diff != "" {
		r.fail(StepRisk, CodeWeightsMismatch, manifest.Subject, "the recorded risk weights are not the given policy's: "+diff)
		return
	}
	r.ok(StepRisk, manifest.Subject, "the recorded risk weights are the given policy's")
}

// readPolicy is policy.Read under another name: BundleAt's parameter `policy` shadows the package.
func readPolicy(data []byte, lim limits.Limits) (*policy.Policy, *policy.FileError) {
	return policy.Read(data, lim)
}

// trustStep is step 8 (trust-v0.md §5–§7).
func (r *run) trustStep(sigs []trust.Signature) {
	fs := trust.JudgeWitnessed(r.trust, r.m.CreatedAt, r.at, sigs, r.witnessed)
	for _, f := range fs {
		r.add(StepTrust, f.Code, f.Severity, f.Subject, f.Detail)
	}
	if len(sigs) == 0 {
		r.add(StepTrust, CodeSkipped, verdict.OK, signaturesDir, "no producer signature passed the keys and statement steps")
	}
}
