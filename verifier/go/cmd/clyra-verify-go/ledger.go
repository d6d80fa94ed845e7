package main

import (
	"fmt"
	"io"

	"github.com/clyra-dev/clyra/verifier/go/ledger"
	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// runLedgerVerify is conformance.md §6.9: `ledger-verify PROOF --key KEYFILE`.
func runLedgerVerify(args []string, stdout, stderr io.Writer) int {
	if len(args) != 3 || args[1] != "--key" {
		fmt.Fprintln(stderr, "usage: clyra-verify-go ledger-verify PROOF --key KEYFILE")
		return verdictError(stdout, codeUsage)
	}
	lim := limits.Default()
	keyText, err := readFile(args[2], 4096)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdictError(stdout, codeIO)
	}
	key, err := ledger.ParseVerifierKey(string(keyText))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdictError(stdout, ledger.CodeKey)
	}
	proof, err := readFile(args[0], 1<<20)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdictError(stdout, codeIO)
	}
	v := ledger.VerifyProofFile(proof, key, lim)
	fmt.Fprintf(stdout, "%s\n", v.JSON())
	return v.Exit
}
