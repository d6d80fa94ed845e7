package main

import (
	"fmt"
	"io"

	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/trust"
	"github.com/clyra-dev/clyra/verifier/go/verify"
)

// runReceiptVerify is conformance.md §6.5 and §6.6:
// `receipt-verify RECEIPT --trust TRUST --at TIME`.
func runReceiptVerify(args []string, stdout, stderr io.Writer) int {
	a, err := parseVerifyArgs(args)
	if err == nil && a.hasPolicy {
		err = fmt.Errorf("unknown flag --policy")
	}
	if err != nil {
		fmt.Fprintln(stderr, "usage: clyra-verify-go receipt-verify RECEIPT --trust TRUST --at TIME:", err)
		return verdictError(stdout, codeUsage)
	}
	lim := limits.Default()
	// At most L23 + 1 bytes, so that an oversized receipt is reported as receipt.too_large.
	receipt, err := readFile(a.bundle, lim.ReceiptMaxBytes)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdictError(stdout, codeIO)
	}
	trustBytes, err := readFile(a.trust, lim.JSONMaxBytes)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdictError(stdout, codeIO)
	}
	tr, ferr := trust.Parse(trustBytes, lim)
	if ferr != nil {
		fmt.Fprintln(stderr, ferr)
		return trustFileError(stdout, ferr.Detail)
	}
	v := verify.Receipt(receipt, tr, a.at, lim)
	fmt.Fprintf(stdout, "%s\n", v.JSON())
	return v.Exit
}
