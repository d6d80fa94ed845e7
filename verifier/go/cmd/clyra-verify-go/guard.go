package main

// A crash never looks like a verdict (verdicts.md §1.4, conformance.md §6.8): exit statuses 0–3
// are verdicts, and the Go runtime ends a process that hits a fatal error (out of memory, stack
// overflow, a panic on another goroutine, a concurrent map write) with status 2 — the code of
// VALID_UNTRUSTED. No recover() can catch those. So the command runs in a worker process that
// reports its exit code on a pipe just before exiting; the supervisor (this same binary) passes
// the code on only when the worker reported it and exited with it, and exits 4 otherwise.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
)

const (
	// workerEnv marks the worker process; its value is the file descriptor of the report pipe.
	workerEnv    = "CLYRA_VERIFY_GO_WORKER"
	codeInternal = "cli.internal"
	// memoryLimit is the worker's soft heap limit (runtime/debug.SetMemoryLimit): past it the
	// collector runs harder before the heap grows, so transient garbage cannot push a run that
	// fits in a few hundred MiB into an out-of-memory death. It is not a hard cap: the
	// supervisor is what turns any runtime death into exit 4.
	memoryLimit = 3 << 30
)

// main runs the worker when this process is one, and the supervisor otherwise.
func main() {
	if fd, err := strconv.Atoi(os.Getenv(workerEnv)); err == nil && fd >= 3 {
		os.Exit(worker(os.Args[1:], os.NewFile(uintptr(fd), "report")))
	}
	exe, err := os.Executable()
	if err != nil {
		// Without a path to ourselves, run in process: panics still map to 4, fatal errors not.
		fmt.Fprintln(os.Stderr, "clyra-verify-go: cannot find own executable, running unsupervised:", err)
		os.Exit(guarded(run, os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(supervise(exe, os.Args[1:], nil, os.Stdin, os.Stdout, os.Stderr))
}

// worker runs one command with a memory limit and panics recovered, then reports its exit code.
func worker(args []string, report *os.File) int {
	debug.SetMemoryLimit(memoryLimit)
	code := guarded(run, args, os.Stdout, os.Stderr)
	if report != nil {
		report.Write([]byte{byte(code)})
		report.Close()
	}
	return code
}

// guarded runs command (run, or a test's stand-in) and turns a panic on its goroutine into exit 4 with a message and the
// §6.6 ERROR shape (code cli.internal).
func guarded(command func([]string, io.Writer, io.Writer) int, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "clyra-verify-go: internal error (a bug; please report it): %v\n%s", r, debug.Stack())
			code = internalError(args, stdout)
		}
	}()
	return command(args, stdout, stderr)
}

// internalError prints the §6.6 shape of the command in args with code cli.internal; returns 4.
func internalError(args []string, stdout io.Writer) int {
	if len(args) > 0 && (args[0] == "jcs" || args[0] == "merkle-root") {
		return primitiveError(stdout, codeInternal)
	}
	return verdictError(stdout, codeInternal)
}

// countingWriter counts the bytes passed to w.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// inheritedFDs returns, as exec.Cmd.ExtraFiles (entry i is descriptor 3+i, nil is closed), the
// descriptors named by arguments of the form /dev/fd/N or /proc/self/fd/N.
func inheritedFDs(args []string) []*os.File {
	var files []*os.File
	for _, a := range args {
		for _, prefix := range []string{"/dev/fd/", "/proc/self/fd/"} {
			rest, ok := strings.CutPrefix(a, prefix)
			n, err := strconv.Atoi(rest)
			if !ok || err != nil || n < 3 || n > 1<<16 {
				continue
			}
			for len(files) < n-2 {
				files = append(files, nil)
			}
			files[n-3] = os.NewFile(uintptr(n), a)
		}
	}
	return files
}

// supervise runs exe as a worker with args (and extraEnv) and returns the worker's exit code when
// the worker reported that same code, else 4 with a message (and the §6.6 ERROR line when the
// worker printed nothing).
func supervise(exe string, args, extraEnv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(stderr, "clyra-verify-go: cannot start the worker:", err)
		return internalError(args, stdout)
	}
	defer r.Close()
	out := &countingWriter{w: stdout}
	cmd := exec.Command(exe, args...)
	// A path like /dev/fd/63 (bash's process substitution) names a descriptor of this process:
	// the worker gets it under the same number, and the report pipe after the highest one.
	cmd.ExtraFiles = inheritedFDs(args)
	reportFD := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, w)
	cmd.Env = append(append(os.Environ(), workerEnv+"="+strconv.Itoa(reportFD)), extraEnv...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, out, stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		fmt.Fprintln(stderr, "clyra-verify-go: cannot start the worker:", err)
		return internalError(args, stdout)
	}
	w.Close()
	report, _ := io.ReadAll(io.LimitReader(r, 2))
	werr := cmd.Wait()
	code := cmd.ProcessState.ExitCode() // -1 when killed by a signal
	if len(report) == 1 && int(report[0]) == code && code >= 0 && code <= 4 {
		return code
	}
	fmt.Fprintf(stderr, "clyra-verify-go: the verifier stopped abnormally (%v); this is a bug, not a verdict: exit 4\n", werr)
	if out.n == 0 {
		internalError(args, stdout)
	}
	return 4
}
