package verify

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/clyra-dev/clyra/verifier/go/container"
	"github.com/clyra-dev/clyra/verifier/go/dsse"
	"github.com/clyra-dev/clyra/verifier/go/internal/b64"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/journal"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/manifest"
	"github.com/clyra-dev/clyra/verifier/go/merkle"
	schema "github.com/clyra-dev/clyra/verifier/go/schemas"
	"github.com/clyra-dev/clyra/verifier/go/sig"
	"github.com/clyra-dev/clyra/verifier/go/timefmt"
	"github.com/clyra-dev/clyra/verifier/go/trust"
	"github.com/clyra-dev/clyra/verifier/go/verdict"
)

// Codes of receipt-v0.md §4.3.
const (
	CodeReceiptTooLarge      = "receipt.too_large"
	CodeReceiptSchema        = "receipt.schema"
	CodeReceiptEventMismatch = "receipt.event_mismatch"
	CodeReceiptProof         = "receipt.proof"
	// ReceiptType is the receipt's `type` (receipt-v0.md §2.1).
	ReceiptType = "https://clyra.dev/receipt/v0"
)

// Step names of a receipt run (verdicts.md §2, receipts; informative).
const (
	StepReceipt = "receipt"
	StepEvent   = "event"
	StepProof   = "proof"
)

// receiptSteps lists the steps after the receipt, format and schema steps, for skipped records.
var receiptSteps = []string{StepEvent, StepProof, StepKeys, StepStatement, StepTrust, StepRisk}

// receiptMembers are the members of a receipt (receipt-v0.md §2.1), in table order.
var receiptMembers = []string{"type", "manifest", "envelopes", "keys", "event", "leaf_index", "proof", "tree_size"}

func (r *run) receiptSkip() {
	for _, s := range receiptSteps {
		r.add(s, CodeSkipped, verdict.OK, "", "not run: the receipt, format or schema step stopped the run")
	}
}

// NotCovered returns the steps a receipt verdict never covers, in order (receipt-v0.md §1.2,
// verdicts.md §3.2): "journal" stands for every line but the receipt's event. A VALID receipt says
// nothing about them — in particular not that the bundle's approvals passed.
func NotCovered() []string { return []string{"artifacts", "journal", "approvals", "policy"} }

// Receipt verifies a receipt (receipt-v0.md §4) against a usable trust, at the verification time at
// (a valid timestamp), within lim.
func Receipt(data []byte, tr *trust.Trust, at string, lim limits.Limits) Verdict {
	r := &run{lim: lim, trust: tr, at: at}
	r.receipt(data)
	v := Decide(r.checks)
	v.NotCovered = NotCovered()
	return v
}

func (r *run) receipt(data []byte) {
	// 1. Receipt: size (before parsing), strict JSON, an object.
	if int64(len(data)) > r.lim.ReceiptMaxBytes {
		r.fail(StepReceipt, CodeReceiptTooLarge, "", fmt.Sprintf("%d bytes, more than %d", len(data), r.lim.ReceiptMaxBytes))
		r.receiptSkip()
		return
	}
	rv, err := jcs.Parse(data, r.lim)
	if err != nil {
		r.fail(StepReceipt, CodeReceiptSchema, "", codeOf(err, "jcs")+": "+err.Error())
		r.receiptSkip()
		return
	}
	if rv.Kind() != jcs.KindObject {
		r.fail(StepReceipt, CodeReceiptSchema, "", "the receipt is not a JSON object")
		r.receiptSkip()
		return
	}
	r.ok(StepReceipt, "", "strict JSON object")

	// 2. Format.
	mv, ok := rv.Get("manifest")
	var format string
	if ok && mv.Kind() == jcs.KindObject {
		if f, ok := mv.Get("format"); ok && f.Kind() == jcs.KindString {
			format = f.AsString()
		}
	}
	if !ok || mv.Kind() != jcs.KindObject || !hasStringFormat(mv) {
		r.fail(StepManifest, CodeReceiptSchema, "manifest", "manifest is not an object with a string format")
		r.receiptSkip()
		return
	}
	if format != manifest.FormatDEF && format != manifest.FormatPEF {
		r.add(StepManifest, manifest.CodeFormatUnknown, verdict.Indeterminate, "manifest", "unknown format "+format)
		r.receiptSkip()
		return
	}

	// 3. Schema: the receipt outside `manifest`, then the manifest rules on M = JCS(manifest).
	if subject, msg := receiptShape(rv); subject != "" || msg != "" {
		r.fail(StepReceipt, CodeReceiptSchema, subject, msg)
		r.receiptSkip()
		return
	}
	m, merr := jcs.Marshal(mv)
	if merr != nil {
		r.fail(StepManifest, manifest.CodeJSON, "manifest", merr.Error())
		r.receiptSkip()
		return
	}
	if int64(len(m)) > r.lim.ManifestMaxBytes {
		r.fail(StepManifest, manifest.CodeJSON, "manifest", fmt.Sprintf("JCS(manifest) is %d bytes, more than %d (L14)", len(m), r.lim.ManifestMaxBytes))
		r.receiptSkip()
		return
	}
	man, f := manifest.Check(m, r.lim)
	if f != nil {
		r.add(StepManifest, f.Code, f.Severity, "manifest", f.Detail)
		r.receiptSkip()
		return
	}
	r.m, r.manBytes = man, m
	r.ok(StepManifest, "manifest", "receipt shape valid; manifest valid for "+man.Format)
	for _, w := range man.Warnings {
		r.add(StepManifest, w.Code, w.Severity, "manifest", w.Detail)
	}

	ev, _ := rv.Get("event")
	line, lerr := jcs.Marshal(ev)
	if lerr != nil { // unreachable: a parsed value always marshals
		r.fail(StepEvent, CodeReceiptEventMismatch, "event", lerr.Error())
		return
	}
	leafIndex := getUint(rv, "leaf_index")
	count := getUint(man.Value, "journal", "count")

	// 4. Event.
	r.receiptEvent(ev, leafIndex, count)
	// 5. Proof.
	r.receiptProof(rv, line, leafIndex)
	// 6. Head.
	if count > 0 && leafIndex == count-1 {
		if digestOf(line) != getString(man.Value, "journal", "head") {
			r.fail(StepEvent, CodeReceiptEventMismatch, "event", "the last event's digest is not journal.head")
		} else {
			r.ok(StepEvent, "event", "the last event's digest is journal.head")
		}
	}
	// 7–8. Keys, envelopes, statements.
	sigs := r.receiptKeysAndEnvelopes(rv)
	// 9. Trust and time.
	r.trustStep(sigs)
	// 10. Risk.
	r.riskStep()
}

func hasStringFormat(mv jcs.Value) bool {
	f, ok := mv.Get("format")
	return ok && f.Kind() == jcs.KindString
}

// receiptShape is §4.1 step 3 outside `manifest`: exact members, each member's schema
// (receipt-v0.schema.json), and as many keys as envelopes. It returns the subject and message of
// the first violation, or "", "".
func receiptShape(rv jcs.Value) (string, string) {
	for _, n := range receiptMembers {
		if _, ok := rv.Get(n); !ok {
			return n, "missing member " + n
		}
	}
	for _, mem := range rv.Members() {
		known := false
		for _, n := range receiptMembers {
			known = known || mem.Key == n
		}
		if !known {
			return mem.Key, "unknown member " + mem.Key
		}
	}
	for _, n := range receiptMembers {
		if n == "manifest" {
			continue
		}
		v, _ := rv.Get(n)
		if err := schema.Validate("receipt-v0.schema.json#/properties/"+n, v); err != nil {
			return n, err.Error()
		}
	}
	envs, _ := rv.Get("envelopes")
	keys, _ := rv.Get("keys")
	if len(envs.Items()) != len(keys.Items()) {
		return "keys", fmt.Sprintf("%d keys for %d envelopes", len(keys.Items()), len(envs.Items()))
	}
	return "", ""
}

// receiptEvent is §4.1 step 4.
func (r *run) receiptEvent(ev jcs.Value, leafIndex, count uint64) {
	msg := ""
	switch {
	case leafIndex >= count:
		msg = fmt.Sprintf("leaf_index %d is not below journal.count %d", leafIndex, count)
	case getUint(ev, "seq") != leafIndex:
		msg = fmt.Sprintf("event.seq %d is not leaf_index %d", getUint(ev, "seq"), leafIndex)
	case timefmt.Compare(getString(ev, "at"), r.m.CreatedAt) > 0:
		msg = "event.at is after manifest.created_at"
	case leafIndex == 0 && getString(ev, "prev") != journal.ZeroDigest:
		msg = "event 0's prev is not the zero digest"
	}
	if msg != "" {
		r.fail(StepEvent, CodeReceiptEventMismatch, "event", msg)
		return
	}
	r.ok(StepEvent, "event", "event fits the manifest's journal")
}

// receiptProof is §4.1 step 5.
func (r *run) receiptProof(rv jcs.Value, line []byte, leafIndex uint64) {
	treeSize := getUint(rv, "tree_size")
	if size := getUint(r.m.Value, "merkle", "size"); treeSize != size {
		r.fail(StepProof, CodeReceiptProof, "tree_size", fmt.Sprintf("tree_size %d, merkle.size %d", treeSize, size))
		return
	}
	pv, _ := rv.Get("proof")
	var proof [][]byte
	for _, h := range pv.Items() {
		b, _ := hex.DecodeString(h.AsString()) // schema: 64 lowercase hex
		proof = append(proof, b)
	}
	root, _ := hex.DecodeString(strings.TrimPrefix(getString(r.m.Value, "merkle", "root"), "sha256:"))
	leaf := merkle.LeafHash(line)
	if err := merkle.VerifyInclusion(r.lim, leaf[:], leafIndex, treeSize, proof, root); err != nil {
		r.fail(StepProof, CodeReceiptProof, "proof", codeOf(err, "merkle")+": "+err.Error())
		return
	}
	r.ok(StepProof, "proof", "the inclusion proof leads to merkle.root")
}

// receiptKeysAndEnvelopes is §4.1 steps 7–8; it returns the producer signatures that passed both.
func (r *run) receiptKeysAndEnvelopes(rv jcs.Value) []trust.Signature {
	kv, _ := rv.Get("keys")
	ev, _ := rv.Get("envelopes")
	keys := kv.Items()
	r.keys = map[string]*keyFile{}
	hexes := make([]string, len(keys))
	for i, k := range keys {
		name := fmt.Sprintf("keys[%d]", i)
		pk, err := sig.ParsePEM([]byte(k.AsString()), r.lim)
		if err != nil {
			r.fail(StepKeys, codeOf(err, "key.invalid"), name, err.Error())
			continue
		}
		h := strings.TrimPrefix(pk.KeyID(), "sha256:")
		hexes[i] = h
		r.keys[h] = &keyFile{name: name, key: pk}
		r.ok(StepKeys, name, "key parses")
	}

	type passed struct {
		name   string
		st     jcs.Value
		scheme sig.Scheme
		keyid  string
	}
	var bound []passed
	prevKeyID := ""
	for i, e := range ev.Items() {
		name := fmt.Sprintf("envelopes[%d]", i)
		data, err := b64.Decode(e.AsString())
		if err != nil {
			r.fail(StepKeys, CodeReceiptSchema, name, "not standard padded base64: "+err.Error())
			continue
		}
		h := hexes[i]
		if h == "" {
			if _, derr := dsse.Decode(data, r.lim); derr != nil {
				r.fail(StepKeys, codeOf(derr, dsse.CodeTooLarge), name, derr.Error())
			} else {
				r.add(StepKeys, CodeSkipped, verdict.OK, name, "the signer's key failed")
			}
			continue
		}
		// Size, strict decoding and the one signature by keys[i] first (as envelope() does), so
		// that the order rule is checked where §4.1 step 7 lists it: after them, before the
		// scheme and the signature.
		env, derr := dsse.Decode(data, r.lim)
		if derr != nil {
			r.fail(StepKeys, codeOf(derr, dsse.CodeTooLarge), name, derr.Error())
			continue
		}
		if len(env.Signatures) != 1 || env.Signatures[0].KeyID != "sha256:"+h {
			r.fail(StepKeys, CodeSignatureFile, name, "not exactly one signature by sha256:"+h)
			continue
		}
		if prevKeyID != "" && !(prevKeyID < h) {
			r.fail(StepKeys, CodeReceiptSchema, name, "envelopes are not in strictly ascending keyid order")
			continue
		}
		prevKeyID = h
		st, scheme, ok := r.envelope(container.Entry{Name: name, Data: data}, h)
		if ok {
			bound = append(bound, passed{name: name, st: st, scheme: scheme, keyid: "sha256:" + h})
		}
	}
	if len(bound) == 0 {
		r.add(StepStatement, CodeSkipped, verdict.OK, "envelopes", "no envelope passed the keys step")
	}
	var out []trust.Signature
	for _, p := range bound {
		if r.bind(p.name, p.st) {
			out = append(out, trust.Signature{File: p.name, KeyID: p.keyid, Scheme: string(p.scheme),
				SignedAt: getString(p.st, "predicate", "signed_at")})
		}
	}
	return out
}
