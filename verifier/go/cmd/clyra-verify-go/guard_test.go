package main

import (
	"bytes"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// guardTestEnv selects, in a re-executed test binary, how the stand-in worker ends.
const guardTestEnv = "CLYRA_GUARD_TEST"

// TestMain lets this test binary act as a worker whose ending the tests choose: the only way to
// cause the runtime's own fatal errors, which no user input is meant to reach.
func TestMain(m *testing.M) {
	mode := os.Getenv(guardTestEnv)
	if mode == "" {
		os.Exit(m.Run())
	}
	fd, _ := strconv.Atoi(os.Getenv(workerEnv))
	report := os.NewFile(uintptr(fd), "report")
	switch mode {
	case "verdict-2": // a normal VALID_UNTRUSTED run
		os.Stdout.WriteString("{\"outcome\":\"VALID_UNTRUSTED\"}\n")
		report.Write([]byte{2})
		os.Exit(2)
	case "goroutine-panic": // a panic on another goroutine: the runtime exits 2
		go func() { panic("simulated bug on a goroutine") }()
		time.Sleep(time.Minute)
	case "stack-overflow": // a fatal error no recover() catches: the runtime exits 2
		debug.SetMaxStack(1 << 20)
		var deep func(int) int
		deep = func(n int) int { return deep(n+1) + 1 }
		deep(0)
	case "unreported-1": // exits 1 without reporting (e.g. os.Exit from a library)
		os.Exit(1)
	case "killed": // killed by a signal, as by the kernel's out-of-memory killer
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	}
	os.Exit(0)
}

func superviseMode(t *testing.T, mode string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := supervise(os.Args[0], []string{"verify", "x"}, []string{guardTestEnv + "=" + mode}, strings.NewReader(""), &out, &errOut)
	return out.String(), code
}

func TestSupervisorPassesReportedVerdicts(t *testing.T) {
	out, code := superviseMode(t, "verdict-2")
	if code != 2 || out != "{\"outcome\":\"VALID_UNTRUSTED\"}\n" {
		t.Errorf("got %q, exit %d; want the worker's verdict and exit 2", out, code)
	}
}

func TestEveryInternalFailureExits4(t *testing.T) {
	for _, mode := range []string{"goroutine-panic", "stack-overflow", "unreported-1", "killed"} {
		out, code := superviseMode(t, mode)
		if code != 4 {
			t.Errorf("%s: exit %d, want 4", mode, code)
		}
		if want := "{\"outcome\":\"ERROR\",\"primary\":\"cli.internal\",\"exit\":4,\"checks\":[]}\n"; out != want {
			t.Errorf("%s: stdout %q, want %q", mode, out, want)
		}
	}
}

func TestPanicInTheCommandExits4(t *testing.T) {
	var out bytes.Buffer
	bug := func([]string, io.Writer, io.Writer) int { panic("simulated bug") }
	if code := guarded(bug, []string{"jcs", "f"}, &out, io.Discard); code != 4 {
		t.Errorf("exit %d, want 4", code)
	}
	if want := "{\"ok\":false,\"code\":\"cli.internal\",\"offset\":0}\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
}
