package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/clyra-dev/clyra/verifier/go/ledger"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/timefmt"
	"github.com/clyra-dev/clyra/verifier/go/verify"
)

const (
	codeTrustFile  = "trust.file"
	codePolicyFile = "policy.file"
)

// verifyArgs are the arguments of `verify BUNDLE --trust TRUST --at TIME [--policy POLICY]`.
type verifyArgs struct {
	bundle, trust, at, policy string
	hasPolicy                 bool
	// ledgerProof is a ledger receipt (conformance.md §6.4, trust-v0.md §6.5), "" when none.
	ledgerProof string
}

// parseVerifyArgs accepts the flags in any order around the one positional BUNDLE, each flag at
// most once, as `--flag VALUE` or `--flag=VALUE`.
func parseVerifyArgs(args []string) (verifyArgs, error) {
	var a verifyArgs
	seen := map[string]bool{}
	positional := 0
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "--") {
			positional++
			a.bundle = arg
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
		if seen[name] {
			return a, fmt.Errorf("--%s given twice", name)
		}
		seen[name] = true
		switch name {
		case "trust":
			a.trust = value
		case "at":
			a.at = value
		case "policy":
			a.policy, a.hasPolicy = value, true
		case "ledger-proof":
			a.ledgerProof = value
		default:
			return a, fmt.Errorf("unknown flag --%s", name)
		}
	}
	switch {
	case positional != 1:
		return a, fmt.Errorf("exactly one BUNDLE is required")
	case !seen["trust"]:
		return a, fmt.Errorf("--trust is required")
	case !seen["at"]:
		return a, fmt.Errorf("--at is required")
	case !timefmt.Valid(a.at):
		return a, fmt.Errorf("--at %q is not a valid timestamp", a.at)
	}
	return a, nil
}

// runVerify is conformance.md §6.4 and §6.6.
func runVerify(args []string, stdout, stderr io.Writer) int {
	a, err := parseVerifyArgs(args)
	if err != nil {
		return usageError(stdout, stderr, "verify BUNDLE --trust TRUST --at TIME [--policy POLICY] [--ledger-proof PROOF]", err)
	}
	lim := limits.Default()
	bundle, err := openBundle(a.bundle, lim.BundleMaxBytes)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdictError(stdout, codeIO)
	}
	defer bundle.close()
	tr, exit, ok := loadTrust(a.trust, lim, stdout, stderr)
	if !ok {
		return exit
	}
	var policyBytes []byte
	if a.hasPolicy {
		if policyBytes, exit, ok = loadPolicy(a.policy, lim, stdout, stderr); !ok {
			return exit
		}
	}
	if a.ledgerProof == "" {
		v := verify.BundleAt(bundle.r, bundle.size, tr, a.at, policyBytes, lim)
		fmt.Fprintf(stdout, "%s\n", v.JSON())
		return v.Exit
	}
	// trust-v0.md §6.5 and ledger-v0.md §5.2: the receipt is rule 5a's evidence, and its own
	// checks follow the bundle's, against the trust file's ledger key.
	proof, err := readFile(a.ledgerProof, ledger.MaxProofBytes)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return verdictError(stdout, codeIO)
	}
	key := ledger.DefaultLedgerKey(proof, tr, lim)
	if key == nil {
		fmt.Fprintln(stderr, "--ledger-proof needs the trust file to list the ledger's key in ledger_keys")
		return verdictError(stdout, ledger.CodeKey)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(bundle.r, 0, bundle.size)); err != nil {
		fmt.Fprintln(stderr, err)
		return verdictError(stdout, codeIO)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	v := verify.BundleAtWitnessed(bundle.r, bundle.size, tr, a.at, policyBytes, lim, ledger.Witness(proof, tr, sum, lim))
	v = verify.Decide(append(v.Checks, ledger.InclusionChecks(proof, key, sum, lim)...))
	fmt.Fprintf(stdout, "%s\n", v.JSON())
	return v.Exit
}

// policyFileError prints the conformance.md §6.6 shape for `policy.file` with its detail (the
// policy-v1.md §1.3 rule that refused the file) and returns exit 4.
func policyFileError(stdout io.Writer, detail string) int {
	fmt.Fprintf(stdout, "{\"outcome\":\"ERROR\",\"primary\":%s,\"exit\":4,\"checks\":[],\"detail\":%s}\n", strconv.Quote(codePolicyFile), strconv.Quote(detail))
	return 4
}

// bundleFile is an opened bundle (conformance.md §6.7): a regular file is read in place through
// its io.ReaderAt (the container reader streams it; nothing grows with artifact size); anything
// else that is not a directory (a pipe, a FIFO, a device) is spooled, at most max+1 bytes, into
// an unlinked temporary file and judged on the bytes copied. Memory stays flat either way.
type bundleFile struct {
	r     io.ReaderAt
	size  int64
	close func()
}

func openBundle(path string, max int64) (*bundleFile, error) {
	f, st, err := openInput(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() {
		// Clamped to max+1 like readFile, so an oversized file is reported the same way.
		return &bundleFile{r: f, size: min(st.Size(), max+1), close: func() { f.Close() }}, nil
	}
	defer f.Close()
	spool, n, err := spoolStream(f, max)
	if err != nil {
		return nil, err
	}
	return &bundleFile{r: spool, size: n, close: func() { spool.Close() }}, nil
}

// spoolStream copies at most max+1 bytes of r into a temporary file whose name is removed at
// once (the space returns to the system when the file is closed, even after a crash).
func spoolStream(r io.Reader, max int64) (*os.File, int64, error) {
	spool, err := os.CreateTemp("", ".clyra-spool-*")
	if err != nil {
		return nil, 0, err
	}
	if err := os.Remove(spool.Name()); err != nil {
		spool.Close()
		return nil, 0, err
	}
	n, err := io.Copy(spool, io.LimitReader(r, max+1))
	if err != nil {
		spool.Close()
		return nil, 0, err
	}
	return spool, n, nil
}
