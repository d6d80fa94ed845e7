package main

import (
	"fmt"
	"io"

	"github.com/clyra-dev/clyra/verifier/go/badge"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/trust"
)

// runBadgeVerify is `badge-verify BADGE --trust TRUST --at TIME` (badge-v0.md §5): the badge
// verdict JSON on one line, exit 0–3, or the §6.6 error shape with exit 4.
func runBadgeVerify(args []string, stdout, stderr io.Writer) int {
	a, err := parseVerifyArgs(args)
	if err == nil && a.hasPolicy {
		err = fmt.Errorf("unknown flag --policy")
	}
	if err != nil {
		fmt.Fprintln(stderr, "usage: clyra-verify-go badge-verify BADGE --trust TRUST --at TIME:", err)
		return verdictError(stdout, codeUsage)
	}
	lim := limits.Default()
	data, err := readFile(a.bundle, badge.MaxBytes)
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
	v := badge.Verify(data, tr, a.at, lim)
	fmt.Fprintf(stdout, "%s\n", v.JSON())
	return v.Exit
}
