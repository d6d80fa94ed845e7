// Command clyra-verify-go is the Go verifier's adapter for the conformance CLI protocol
// (spec/conformance.md §6). It implements `jcs FILE`, `merkle-root FILE`, `verify`,
// `receipt-verify`, `ledger-verify`, `badge-verify` and `attest-verify`.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/clyra-dev/clyra/verifier/go/internal/b64"
	"github.com/clyra-dev/clyra/verifier/go/internal/display"
	"github.com/clyra-dev/clyra/verifier/go/jcs"
	"github.com/clyra-dev/clyra/verifier/go/limits"
	"github.com/clyra-dev/clyra/verifier/go/merkle"
)

const (
	codeUsage = "cli.usage"
	codeIO    = "cli.io"
)

// run executes one protocol command and returns the process exit code. stdout carries JSON
// only; the messages on stderr quote paths and input, so they are escaped (verdicts.md §3.2).
func run(args []string, stdout, stderr io.Writer) int {
	stderr = display.Writer(stderr)
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: clyra-verify-go jcs FILE | merkle-root FILE | verify … | receipt-verify …")
		return verdictError(stdout, codeUsage)
	}
	switch args[0] {
	case "jcs":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: clyra-verify-go jcs FILE")
			return primitiveError(stdout, codeUsage)
		}
		return runJCS(args[1], stdout, stderr)
	case "merkle-root":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: clyra-verify-go merkle-root FILE")
			return primitiveError(stdout, codeUsage)
		}
		return runMerkleRoot(args[1], stdout, stderr)
	case "verify":
		return runVerify(args[1:], stdout, stderr)
	case "receipt-verify":
		return runReceiptVerify(args[1:], stdout, stderr)
	case "ledger-verify":
		return runLedgerVerify(args[1:], stdout, stderr)
	case "badge-verify":
		return runBadgeVerify(args[1:], stdout, stderr)
	case "attest-verify":
		return runAttestVerify(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "unknown command `%s`\n", args[0])
		return verdictError(stdout, codeUsage)
	}
}

// primitiveError prints the §6.6 shape for jcs and merkle-root and returns exit 4.
func primitiveError(stdout io.Writer, code string) int {
	fmt.Fprintf(stdout, "{\"ok\":false,\"code\":%s,\"offset\":0}\n", strconv.Quote(code))
	return 4
}

// verdictError prints the §6.6 shape for verify and receipt-verify and returns exit 4.
func verdictError(stdout io.Writer, code string) int {
	fmt.Fprintf(stdout, "{\"outcome\":\"ERROR\",\"primary\":%s,\"exit\":4,\"checks\":[]}\n", strconv.Quote(code))
	return 4
}

// trustFileError prints the conformance.md §6.6 shape for `trust.file` with its detail
// (trust-v0.md §3.4) and returns exit 4.
func trustFileError(stdout io.Writer, detail string) int {
	fmt.Fprintf(stdout, "{\"outcome\":\"ERROR\",\"primary\":%s,\"exit\":4,\"checks\":[],\"detail\":%s}\n", strconv.Quote(codeTrustFile), strconv.Quote(detail))
	return 4
}

// readFile reads at most max+1 bytes of path into memory (conformance.md §6.7: a directory is
// an error; a pipe or device is read as a stream, still at most max+1 bytes).
func readFile(path string, max int64) ([]byte, error) {
	f, _, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}

// openInput opens path for reading, with its file information, and refuses a directory
// (conformance.md §6.7: `cli.io`).
func openInput(path string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: is a directory", path)
	}
	return f, st, nil
}

// runJCS is conformance.md §6.2.
func runJCS(path string, stdout, stderr io.Writer) int {
	lim := limits.Default()
	data, err := readFile(path, lim.JSONMaxBytes)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return primitiveError(stdout, codeIO)
	}
	canon, err := jcs.Canonicalize(data, lim)
	if err != nil {
		e, ok := err.(*jcs.Error)
		if !ok {
			fmt.Fprintln(stderr, err)
			return primitiveError(stdout, codeIO)
		}
		fmt.Fprintln(stderr, e)
		fmt.Fprintf(stdout, "{\"ok\":false,\"code\":%s,\"offset\":%d}\n", strconv.Quote(e.Code()), e.Offset())
		return 1
	}
	fmt.Fprintf(stdout, "{\"ok\":true,\"canonical\":\"%s\"}\n", b64.Encode(canon))
	return 0
}

// runMerkleRoot is conformance.md §6.3: one leaf per line as lowercase hex, each line ending in
// LF; an empty line is an empty leaf and an empty file the empty tree. The file is read as a
// stream (§6.7): one line in memory at a time, at most maxLeafLine bytes, and at most
// lim.BundleMaxBytes bytes in all; the tree keeps only its O(log n) peaks.
func runMerkleRoot(path string, stdout, stderr io.Writer) int {
	return merkleRoot(path, limits.Default().BundleMaxBytes, stdout, stderr)
}

// maxLeafLine bounds one merkle-root line: the hex of a leaf of at most L17 bytes, and its LF.
const maxLeafLine = 2*(1<<20) + 1

func merkleRoot(path string, max int64, stdout, stderr io.Writer) int {
	f, _, err := openInput(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return primitiveError(stdout, codeIO)
	}
	defer f.Close()
	in := bufio.NewReaderSize(io.LimitReader(f, max+1), 64*1024)
	var tree merkle.Tree
	var read int64
	var line []byte
	for {
		chunk, err := in.ReadSlice('\n')
		read += int64(len(chunk))
		if read > max {
			fmt.Fprintf(stderr, "the file is longer than %d bytes\n", max)
			return primitiveError(stdout, codeUsage)
		}
		line = append(line, chunk...)
		if len(line) > maxLeafLine {
			fmt.Fprintf(stderr, "line %d is longer than %d bytes\n", tree.Size()+1, maxLeafLine)
			return primitiveError(stdout, codeUsage)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(line) > 0 {
				fmt.Fprintln(stderr, "the last line does not end in LF")
				return primitiveError(stdout, codeUsage)
			}
			break
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return primitiveError(stdout, codeIO)
		}
		leaf, ok := lowerHex(line[:len(line)-1])
		if !ok {
			fmt.Fprintf(stderr, "line %d is not lowercase hex\n", tree.Size()+1)
			return primitiveError(stdout, codeUsage)
		}
		tree.Append(leaf)
		line = line[:0]
	}
	root := tree.Root()
	fmt.Fprintf(stdout, "{\"root\":\"sha256:%s\",\"size\":%d}\n", hex.EncodeToString(root[:]), tree.Size())
	return 0
}

// lowerHex decodes an even-length string of lowercase hex digits.
func lowerHex(line []byte) ([]byte, bool) {
	for _, c := range line {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return nil, false
		}
	}
	out, err := hex.DecodeString(string(line))
	return out, err == nil
}
