package main

import (
	"fmt"
	"io"

	"github.com/clyra-dev/clyra/verifier/go/limits"
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
		return usageError(stdout, stderr, "receipt-verify RECEIPT --trust TRUST --at TIME", err)
	}
	lim := limits.Default()
	// At most L23 + 1 bytes, so that an oversized receipt is reported as receipt.too_large.
	receipt, exit, ok := readInput(a.bundle, lim.ReceiptMaxBytes, stdout, stderr)
	if !ok {
		return exit
	}
	tr, exit, ok := loadTrust(a.trust, lim, stdout, stderr)
	if !ok {
		return exit
	}
	v := verify.Receipt(receipt, tr, a.at, lim)
	fmt.Fprintf(stdout, "%s\n", v.JSON())
	return v.Exit
}
