package container

import (
	"compress/flate"
	"crypto/sha256"
	"errors"
	"hash/crc32"
	"io"
)

// countingReader reads a section of the file through a small buffer and implements io.ByteReader,
// so that compress/flate reads no byte beyond the ones it needs and the bytes it consumed can be
// counted exactly.
type countingReader struct {
	r        io.Reader
	buf      []byte
	i, n     int
	consumed uint64
}

func (c *countingReader) fill() error {
	if c.i < c.n {
		return nil
	}
	n, err := c.r.Read(c.buf)
	c.i, c.n = 0, n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

func (c *countingReader) ReadByte() (byte, error) {
	if err := c.fill(); err != nil {
		return 0, err
	}
	b := c.buf[c.i]
	c.i++
	c.consumed++
	return b, nil
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.i >= c.n && len(p) >= len(c.buf) {
		// Nothing buffered and a large read: straight into p, no second copy.
		n, err := c.r.Read(p)
		c.consumed += uint64(n)
		if n > 0 {
			return n, nil
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return 0, err
	}
	if err := c.fill(); err != nil {
		return 0, err
	}
	n := copy(p, c.buf[c.i:c.n])
	c.i += n
	c.consumed += uint64(n)
	return n, nil
}

// copyBufSize is the one buffer an entry's data is hashed through: SHA-256 and CRC-32 run over
// blocks this large, and memory stays the same whatever the artifact sizes.
const copyBufSize = 1 << 20

// retained reports whether an entry's bytes are kept (package comment).
func (rd *reader) retained(name string, size uint64) bool {
	switch {
	case name == "manifest.json", name == "journal.ndjson":
		return true
	case hasPrefix(name, "keys/"), hasPrefix(name, "approvals/"), hasPrefix(name, "signatures/"):
		return size <= uint64(rd.lim.DSSEMaxEnvelopeBytes)
	}
	return false
}

// data is §2.4.3 item 8 (zip.crc): the data, inflated when deflated, consumes exactly the
// compressed size, yields exactly the uncompressed size (reading at most one byte more) and has
// the recorded CRC-32. It records the SHA-256 of the uncompressed bytes.
func (rd *reader) data(c *central, e *Entry) *Error {
	section := io.NewSectionReader(rd.r, int64(c.dataStart), int64(c.csize))
	src := &countingReader{r: section, buf: make([]byte, 32*1024)}
	crc := crc32.NewIEEE()
	sum := sha256.New()
	sinks := []io.Writer{crc, sum}
	var kept *keptBuffer
	if rd.retained(e.Name, c.usize) {
		kept = &keptBuffer{b: make([]byte, 0, min(c.usize, 1<<24))}
		sinks = append(sinks, kept)
	}
	w := io.MultiWriter(sinks...)
	var in io.Reader = src
	if c.method == 8 {
		in = flate.NewReader(src)
	}
	if rd.copyBuf == nil {
		rd.copyBuf = make([]byte, copyBufSize)
	}
	n, err := io.CopyBuffer(w, io.LimitReader(in, int64(min(c.usize, 1<<62))+1), rd.copyBuf)
	if err != nil {
		var corrupt flate.CorruptInputError
		switch {
		case errors.As(err, &corrupt), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return fail(CodeCRC, e.Name, "data does not inflate: %v", err)
		default:
			return fail(CodeCRC, e.Name, "cannot read the data: %v", err)
		}
	}
	if uint64(n) != c.usize {
		return fail(CodeCRC, e.Name, "data yields %d bytes, the header says %d", n, c.usize)
	}
	if src.consumed != c.csize {
		return fail(CodeCRC, e.Name, "data consumes %d of its %d compressed bytes", src.consumed, c.csize)
	}
	if got := crc.Sum32(); got != c.crc {
		return fail(CodeCRC, e.Name, "CRC-32 %08x, the header says %08x", got, c.crc)
	}
	copy(e.SHA256[:], sum.Sum(nil))
	if kept != nil {
		e.Data, e.Retained = kept.b, true
	}
	return nil
}

type keptBuffer struct{ b []byte }

func (k *keptBuffer) Write(p []byte) (int, error) { k.b = append(k.b, p...); return len(p), nil }
