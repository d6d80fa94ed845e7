package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/clyra-dev/clyra/verifier/go/attest"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/timefmt"
	"github.com/clyra-dev/clyra/verifier/go/verify"
)

// attestArgs are the arguments of `attest-verify ATTESTATION [BUNDLE…] --trust TRUST --at TIME
// [--policy POLICY]…` (attestation-v0.md §6).
type attestArgs struct {
	attestation, trust, at string
	bundles, policies      []string
}

func parseAttestArgs(args []string) (attestArgs, error) {
	var a attestArgs
	var positional []string
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "--") {
			positional = append(positional, arg)
			continue
		}
		name, value, hasValue := strings.Cut(arg[2:], "=")
		if !hasValue {
			if i+1 >= len(args) {
				return a, fmt.Errorf("--%s needs a value", name)
			}
			i++
			value = args[i]
		}
		if seen[name] && name != "policy" {
			return a, fmt.Errorf("--%s given twice", name)
		}
		seen[name] = true
		switch name {
		case "trust":
			a.trust = value
		case "at":
			a.at = value
		case "policy":
			a.policies = append(a.policies, value)
		default:
			return a, fmt.Errorf("unknown flag --%s", name)
		}
	}
	switch {
	case len(positional) < 1:
		return a, fmt.Errorf("ATTESTATION is required")
	case !seen["trust"]:
		return a, fmt.Errorf("--trust is required")
	case !seen["at"]:
		return a, fmt.Errorf("--at is required")
	case !timefmt.Valid(a.at):
		return a, fmt.Errorf("--at %q is not a valid timestamp", a.at)
	}
	a.attestation, a.bundles = positional[0], positional[1:]
	return a, nil
}

// runAttestVerify verifies an attestation and, with bundles, recomputes its statuses; it prints
// one verdict line (outcome, primary, exit, checks) like `verify`.
func runAttestVerify(args []string, stdout, stderr io.Writer) int {
	a, err := parseAttestArgs(args)
	if err != nil {
		return usageError(stdout, stderr, "attest-verify ATTESTATION [BUNDLE…] --trust TRUST --at TIME [--policy POLICY]…", err)
	}
	lim := limits.Default()
	tr, exit, ok := loadTrust(a.trust, lim, stdout, stderr)
	if !ok {
		return exit
	}
	var policies [][]byte
	for _, p := range a.policies {
		b, exit, ok := loadPolicy(p, lim, stdout, stderr)
		if !ok {
			return exit
		}
		policies = append(policies, b)
	}
	data, exit, ok := readInput(a.attestation, lim.JSONMaxBytes, stdout, stderr)
	if !ok {
		return exit
	}
	checks, opened := attest.Open(data, tr, a.at, lim)
	if opened != nil {
		var facts []attest.Facts
		if len(a.bundles) > 0 {
			facts = []attest.Facts{}
			for _, path := range a.bundles {
				b, err := openBundle(path, lim.BundleMaxBytes)
				if err != nil {
					fmt.Fprintln(stderr, err)
					return verdictError(stdout, codeIO)
				}
				facts = append(facts, attest.BundleFactsAt(b.r, b.size, tr, opened.VerifiedAt, policies, lim))
				b.close()
			}
		}
		checks = append(checks, attest.Recompute(opened, facts)...)
	}
	v := verify.Decide(checks)
	fmt.Fprintf(stdout, "%s\n", v.JSON())
	return v.Exit
}
