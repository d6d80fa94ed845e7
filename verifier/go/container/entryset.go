package container

import "fmt"

// Entry groups of bundle-v0.md §2.1.3, in the order of §2.1.4.
const (
	groupManifest = iota
	groupJournal
	groupArtifact
	groupKey
	groupApproval
	groupSignature
)

func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// Classify returns the §2.1.3 group of an entry name that already passed §2.1.1, or -1 for a
// name of none of the forms. For keys/ and signatures/ it also returns the keyid-hex; for
// approvals/ the number.
func Classify(name string) (group int, hex string, number int) {
	switch {
	case name == "manifest.json":
		return groupManifest, "", 0
	case name == "journal.ndjson":
		return groupJournal, "", 0
	case hasPrefix(name, "artifacts/") && len(name) > len("artifacts/"):
		return groupArtifact, "", 0
	case hasPrefix(name, "keys/") && hasSuffix(name, ".pub.pem"):
		h := name[len("keys/") : len(name)-len(".pub.pem")]
		if isLowerHex64(h) {
			return groupKey, h, 0
		}
	case hasPrefix(name, "signatures/") && hasSuffix(name, ".dsse.json"):
		h := name[len("signatures/") : len(name)-len(".dsse.json")]
		if isLowerHex64(h) {
			return groupSignature, h, 0
		}
	case hasPrefix(name, "approvals/") && hasSuffix(name, ".dsse.json"):
		d := name[len("approvals/") : len(name)-len(".dsse.json")]
		if len(d) == 4 {
			n := 0
			for i := 0; i < 4; i++ {
				if d[i] < '0' || d[i] > '9' {
					return -1, "", 0
				}
				n = n*10 + int(d[i]-'0')
			}
			if n >= 1 {
				return groupApproval, "", n
			}
		}
	}
	return -1, "", 0
}

// checkEntrySet is §2.4.4: bundle.missing_entry (manifest.json, journal.ndjson, at least one
// signature, the key of each signature in central-directory order, then the lowest missing
// approval number), then bundle.unexpected_entry (the first such entry in central-directory
// order), then bundle.entry_order (the first entry out of order).
func checkEntrySet(entries []Entry) *Error {
	present := make(map[string]bool, len(entries))
	for _, e := range entries {
		present[e.Name] = true
	}
	for _, req := range []string{"manifest.json", "journal.ndjson"} {
		if !present[req] {
			return fail(CodeMissingEntry, req, "required entry missing")
		}
	}
	var sigs []string
	approvals := map[int]bool{}
	highest := 0
	for _, e := range entries {
		g, h, n := Classify(e.Name)
		switch g {
		case groupSignature:
			sigs = append(sigs, h)
		case groupApproval:
			approvals[n] = true
			highest = max(highest, n)
		}
	}
	if len(sigs) == 0 {
		return fail(CodeMissingEntry, "signatures/", "no producer signature")
	}
	for _, h := range sigs {
		if k := "keys/" + h + ".pub.pem"; !present[k] {
			return fail(CodeMissingEntry, k, "key file of signatures/%s.dsse.json missing", h)
		}
	}
	for n := 1; n < highest; n++ {
		if !approvals[n] {
			return fail(CodeMissingEntry, fmt.Sprintf("approvals/%04d.dsse.json", n), "approval number below the highest present is missing")
		}
	}
	for _, e := range entries {
		if g, _, _ := Classify(e.Name); g < 0 {
			return fail(CodeUnexpectedEntry, e.Name, "entry name of none of the bundle-v0.md §2.1.3 forms")
		}
	}
	less := func(a, b string) bool {
		ga, _, _ := Classify(a)
		gb, _, _ := Classify(b)
		if ga != gb {
			return ga < gb
		}
		return a < b
	}
	for i := 1; i < len(entries); i++ {
		if !less(entries[i-1].Name, entries[i].Name) {
			return fail(CodeEntryOrder, entries[i].Name, "entry out of order after %s", entries[i-1].Name)
		}
	}
	return nil
}
