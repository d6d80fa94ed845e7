package main

import (
	"fmt"
	"io"

	"github.com/clyra-dev/clyra/verifier/go/badge"
	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// runBadgeVerify is `badge-verify BADGE --trust TRUST --at TIME` (badge-v0.md §5): the badge
// verdict JSON on one line, exit 0–3, or the §6.6 error shape with exit 4.
func runBadgeVerify(args []string, stdout, stderr io.Writer) int {
	a, err := parseVerifyArgs(args)
	if err == nil && a.hasPolicy {
		err = fmt.Errorf("unknown flag --policy")
	}
	if err != nil {
		return usageError(stdout, stderr, "badge-verify BADGE --trust TRUST --at TIME", err)
	}
	lim := limits.Default()
	data, exit, ok := readInput(a.bundle, badge.MaxBytes, stdout, stderr)
	if !ok {
		return exit
	}
	tr, exit, ok := loadTrust(a.trust, lim, stdout, stderr)
	if !ok {
		return exit
	}
	v := badge.Verify(data, tr, a.at, lim)
	fmt.Fprintf(stdout, "%s\n", v.JSON())
	return v.Exit
}
