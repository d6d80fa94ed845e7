package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// conformance.md §6.7 with a small limit injected: a stream is judged on at most max+1 bytes.
func TestStreamIsSpooledUpToOneBytePastTheLimit(t *testing.T) {
	b, err := openBundle("/dev/zero", 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	if b.size != 1001 {
		t.Errorf("size %d, want 1001", b.size)
	}
	buf := make([]byte, 1001)
	if n, err := b.r.ReadAt(buf, 0); n != 1001 || err != nil {
		t.Errorf("ReadAt: %d, %v", n, err)
	}
}

func TestFIFOIsReadAsAStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err == nil {
			f.WriteString("PK-not-a-zip")
			f.Close()
		}
	}()
	b, err := openBundle(path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	if b.size != int64(len("PK-not-a-zip")) {
		t.Errorf("size %d, want the bytes written", b.size)
	}
}

func TestDirectoryIsCliIO(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"verify", dir, "--trust", dir, "--at", "2026-12-01T00:00:00Z"},
		{"receipt-verify", dir, "--trust", dir, "--at", "2026-12-01T00:00:00Z"},
	} {
		out, code := call(t, args...)
		if code != 4 || !strings.Contains(out, `"primary":"cli.io"`) {
			t.Errorf("%v: %s (%d), want cli.io exit 4", args, out, code)
		}
	}
	for _, cmd := range []string{"jcs", "merkle-root"} {
		out, code := call(t, cmd, dir)
		if code != 4 || !strings.Contains(out, `"code":"cli.io"`) {
			t.Errorf("%s: %s (%d), want cli.io exit 4", cmd, out, code)
		}
	}
}

func TestMerkleRootIsBounded(t *testing.T) {
	var out strings.Builder
	if code := merkleRoot("/dev/zero", 4096, &out, &strings.Builder{}); code != 4 {
		t.Errorf("/dev/zero: exit %d, want 4 (a line over its bound)", code)
	}
	out.Reset()
	path := write(t, strings.Repeat("\n", 5000))
	if code := merkleRoot(path, 4096, &out, &strings.Builder{}); code != 4 {
		t.Errorf("5000 empty lines under a 4096-byte bound: exit %d, want 4", code)
	}
	out.Reset()
	if code := merkleRoot(path, 5000, &out, &strings.Builder{}); code != 0 || !strings.Contains(out.String(), `"size":5000`) {
		t.Errorf("5000 empty lines: %s (%d)", out.String(), code)
	}
}
