package main

import (
	"fmt"
	"io"

	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/policy"
	"github.com/clyra-dev/clyra/verifier/go/trust"
)

// The commands' shared input steps (conformance.md §6.6): each reads one input and, when it
// cannot be used, prints the error shape on stdout and the reason on stderr, returning ok=false
// and the exit code the command must return.

// readInput reads at most max+1 bytes of path; an unreadable input is cli.io.
func readInput(path string, max int64, stdout, stderr io.Writer) (data []byte, exit int, ok bool) {
	data, err := readFile(path, max)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, verdictError(stdout, codeIO), false
	}
	return data, 0, true
}

// loadTrust reads and parses a trust file; a file that is not one is trust.file with its detail.
func loadTrust(path string, lim limits.Limits, stdout, stderr io.Writer) (tr *trust.Trust, exit int, ok bool) {
	data, exit, ok := readInput(path, lim.JSONMaxBytes, stdout, stderr)
	if !ok {
		return nil, exit, false
	}
	tr, ferr := trust.Parse(data, lim)
	if ferr != nil {
		fmt.Fprintln(stderr, ferr)
		return nil, trustFileError(stdout, ferr.Detail), false
	}
	return tr, 0, true
}

// loadPolicy reads a policy (at most L36 + 1 bytes, policy-v1.md §1.3) and checks it is one;
// the verifier hashes its bytes, so the bytes are returned.
func loadPolicy(path string, lim limits.Limits, stdout, stderr io.Writer) (data []byte, exit int, ok bool) {
	data, exit, ok = readInput(path, lim.PolicyMaxBytes, stdout, stderr)
	if !ok {
		return nil, exit, false
	}
	if _, perr := policy.Read(data, lim); perr != nil {
		fmt.Fprintln(stderr, "policy:", perr)
		return nil, policyFileError(stdout, perr.Detail), false
	}
	return data, 0, true
}

// usageError prints the command's usage line with the reason and the cli.usage error shape.
func usageError(stdout, stderr io.Writer, usage string, err error) int {
	fmt.Fprintln(stderr, "usage: clyra-verify-go "+usage+":", err)
	return verdictError(stdout, codeUsage)
}
