package verify

import (
	"fmt"
	"strings"

	"github.com/clyra-dev/clyra/verifier/go/dsse"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/journal"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
	"github.com/clyra-dev/clyra/verifier/go/sig"
	"github.com/clyra-dev/clyra/verifier/go/timefmt"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

// Codes of approval-v0.md §5.
const (
	CodeApprovalDigest       = "approval.digest"
	CodeApprovalSchema       = "approval.schema"
	CodeApprovalSignature    = "approval.signature"
	CodeApprovalUntrusted    = "approval.untrusted"
	CodeApprovalKeyWindow    = "approval.key_window"
	CodeApprovalNonce        = "approval.nonce"
	CodeApprovalPayloadHash  = "approval.payload_hash"
	CodeApprovalWindow       = "approval.window"
	CodeApprovalAfterExec    = "approval.after_execution"
	CodeApprovalSelf         = "approval.self_approval"
	CodeApprovalDuplicate    = "approval.duplicate_approver"
	CodeApprovalInsufficient = "approval.insufficient"
	CodeApprovalInsuffTrust  = "approval.insufficient_trusted"
	CodeActorIsDeployer      = "approval.actor_is_deployer"
	CodeTrustRole            = "trust.role"
	CodeKeyRevoked           = "time.key_revoked"
)

// approvalState is what rules 1–15 found for one entry.
type approvalState struct {
	file    string
	codes   []string // codes other than ok, in rule order
	passed7 bool
	keyid   string
	ssoSub  string
	rule12  bool // approval.untrusted from rule 12
	rsaStop bool // stopped at rule 5 as untrusted RSA
}

// journalStart is the `at` of journal line 0, or created_at when it has no valid `at` (5.1).
func (r *run) journalStart() string {
	start := r.m.CreatedAt
	journal.EachLine(r.b.Entry(journalName).Data, func(_ int, line []byte) bool {
		if v, err := jcs.Parse(line, r.lim); err == nil {
			if at := getString(v, "at"); timefmt.Valid(at) {
				start = at
			}
		}
		return false // line 0 only
	})
	return start
}

func (r *run) approvalFail(st *approvalState, code, msg string) {
	st.codes = append(st.codes, code)
	r.fail(StepApprovals, code, st.file, msg)
}

// approvals is step 9 (approval-v0.md §5).
func (r *run) approvals() {
	block, _ := r.m.Value.Get("approvals")
	required := int(getUint(block, "required"))
	entriesV, _ := block.Get("entries")
	entries := entriesV.Items()
	change, _ := r.m.Value.Get("change")
	changeCanon, err := jcs.Marshal(change)
	if err != nil {
		panic(err) // a parsed manifest value always marshals
	}
	payloadHash := digestOf(changeCanon)
	actor := getString(change, "actor")
	deployer, hasDeployer := "", false
	if d, ok := change.Get("deployer"); ok && d.Kind() == jcs.KindString {
		deployer, hasDeployer = d.AsString(), true
	}
	createdAt := r.m.CreatedAt
	start := r.journalStart()

	var states []*approvalState
	seenNonce := map[string]bool{}
	named := map[string]bool{}
	for i, ev := range entries {
		file := getString(ev, "file")
		named[file] = true
		nonce := getString(ev, "nonce")
		st := &approvalState{file: file}
		states = append(states, st)
		r.approval(st, i, ev, nonce, seenNonce, payloadHash, actor, deployer, hasDeployer, createdAt, start)
		seenNonce[nonce] = true
	}

	// rule 16
	keys := map[string]bool{}
	subs := map[string]bool{}
	for _, st := range states {
		if !st.passed7 {
			continue
		}
		if keys[st.keyid] || subs[st.ssoSub] {
			r.approvalFail(st, CodeApprovalDuplicate, "an earlier approval has the same signer key or sso_sub")
		}
		keys[st.keyid] = true
		subs[st.ssoSub] = true
	}
	counted, untrustedOnly := 0, 0
	for _, st := range states {
		if len(st.codes) == 0 {
			counted++
		} else if st.rule12 && len(st.codes) == 1 {
			untrustedOnly++
		}
	}
	// rule 17
	switch {
	case counted >= required:
		r.ok(StepApprovals, approvalsDir, fmt.Sprintf("%d counted approvals, %d required", counted, required))
	case counted+untrustedOnly >= required:
		r.add(StepApprovals, CodeApprovalInsuffTrust, verdict.Untrusted, approvalsDir,
			fmt.Sprintf("%d counted approvals, %d required; the rest only with untrusted approver keys", counted, required))
	default:
		r.fail(StepApprovals, CodeApprovalInsufficient, approvalsDir, fmt.Sprintf("%d counted approvals, %d required", counted, required))
	}
	// rule 18
	if getString(change, "environment") == "production" && hasDeployer && actor == deployer {
		r.add(StepApprovals, CodeActorIsDeployer, verdict.Warn, "manifest.json", "production change deployed by its author")
	}
	// rule 19
	for _, e := range r.b.Entries {
		if strings.HasPrefix(e.Name, approvalsDir) && !named[e.Name] {
			r.fail(StepApprovals, CodeUnexpectedEntry, e.Name, "approval file not named by approvals.entries")
		}
	}
}

// approval is rules 1–15 for the i-th entry.
func (r *run) approval(st *approvalState, i int, ev jcs.Value, nonce string, seenNonce map[string]bool,
	payloadHash, actor, deployer string, hasDeployer bool, createdAt, start string) {
	file := st.file
	// rule 1
	if file != fmt.Sprintf("approvals/%04d.dsse.json", i+1) {
		r.approvalFail(st, CodeApprovalSchema, "file is not approvals/"+fmt.Sprintf("%04d", i+1)+".dsse.json")
		return
	}
	// rule 2
	e := r.b.Entry(file)
	if e == nil || digestOf(e.Data) != getString(ev, "digest") {
		r.approvalFail(st, CodeApprovalDigest, "the file is absent or its digest differs")
		return
	}
	// rule 3
	env, err := dsse.Decode(e.Data, r.lim)
	if err != nil {
		r.approvalFail(st, CodeApprovalSignature, codeOf(err, "dsse")+": "+err.Error())
		return
	}
	if len(env.Signatures) != 1 {
		r.approvalFail(st, CodeApprovalSignature, "dsse.too_many_signatures: not exactly one signature")
		return
	}
	// rule 4
	if env.PayloadType != ApprovalPayloadType {
		r.approvalFail(st, CodeApprovalSchema, "payloadType is not "+ApprovalPayloadType)
		return
	}
	// rule 5
	keyid := env.Signatures[0].KeyID
	st.keyid = keyid
	h, okHex := strings.CutPrefix(keyid, "sha256:")
	kf, present := r.keys[h]
	if !okHex || !present {
		r.approvalFail(st, CodeMissingEntry, "no key file keys/"+h+".pub.pem for the approval's signer")
		return
	}
	if kf == nil {
		st.codes = append(st.codes, CodeSkipped)
		r.add(StepApprovals, CodeSkipped, verdict.OK, file, "the signer's key file failed the keys step")
		return
	}
	if r.producerHex[h] {
		r.approvalFail(st, CodeTrustRole, "the key also signs a producer envelope")
		return
	}
	var scheme sig.Scheme
	switch kf.key.Algorithm() {
	case sig.AlgEd25519:
		scheme = sig.Ed25519
	case sig.AlgP256:
		scheme = sig.ECDSAP256SHA256
	default:
		tk := r.trust.Lookup(keyid)
		if tk == nil {
			st.codes = append(st.codes, CodeApprovalUntrusted)
			st.rsaStop = true
			r.add(StepApprovals, CodeApprovalUntrusted, verdict.Warn, file, "RSA approver key not in the trust")
			return
		}
		scheme = tk.Scheme
	}
	// rule 6
	if err := dsse.Verify(env, kf.key, scheme, r.lim); err != nil {
		r.approvalFail(st, CodeApprovalSignature, codeOf(err, "sig.invalid")+": "+err.Error())
		return
	}
	// rule 7
	p, err := jcs.Parse(env.Payload, r.lim)
	if err == nil {
		err = schema.Validate(schema.Approval, p)
	}
	if err == nil && (!timefmt.Valid(getString(p, "approved_at")) || !timefmt.Valid(getString(p, "expires_at"))) {
		err = fmt.Errorf("approved_at or expires_at is not a valid time")
	}
	if err != nil {
		r.approvalFail(st, CodeApprovalSchema, err.Error())
		return
	}
	st.passed7 = true
	st.ssoSub = getString(p, "sso_sub")
	approvedAt := getString(p, "approved_at")
	// rule 8
	if getString(p, "challenge_nonce") != nonce || seenNonce[nonce] {
		r.approvalFail(st, CodeApprovalNonce, "challenge_nonce differs from the entry's nonce or repeats an earlier one")
	}
	// rule 9
	if getString(p, "payload_hash") != payloadHash {
		r.approvalFail(st, CodeApprovalPayloadHash, "payload_hash differs from the digest of change")
	}
	// rule 10
	if timefmt.Compare(approvedAt, createdAt) > 0 || timefmt.Compare(createdAt, getString(p, "expires_at")) > 0 {
		r.approvalFail(st, CodeApprovalWindow, "not approved_at ≤ created_at ≤ expires_at")
	}
	// rule 11
	if timefmt.Compare(approvedAt, start) > 0 {
		r.approvalFail(st, CodeApprovalAfterExec, "approved after the first journal event")
	}
	// rule 12
	tk := r.trust.Lookup(keyid)
	if tk == nil || !tk.Approver || tk.Scheme != scheme {
		st.rule12 = true
		st.codes = append(st.codes, CodeApprovalUntrusted)
		r.add(StepApprovals, CodeApprovalUntrusted, verdict.Warn, file, "the trust does not hold this approver key")
	} else {
		// rule 13
		if tk.RevokedBy(r.at) {
			r.approvalFail(st, CodeKeyRevoked, "the approver key is revoked")
		}
		// rule 14
		if !tk.InWindow(approvedAt) {
			r.approvalFail(st, CodeApprovalKeyWindow, "approved_at is outside the approver key's window")
		}
	}
	// rule 15
	if st.ssoSub == actor || (hasDeployer && st.ssoSub == deployer) {
		r.approvalFail(st, CodeApprovalSelf, "the approver is the change's actor or deployer")
	}
	if len(st.codes) == 0 {
		r.ok(StepApprovals, file, "approval verifies")
	}
}
