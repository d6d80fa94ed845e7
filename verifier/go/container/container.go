// Package container is the strict zip reader of bundle-v0.md §2: it checks a bundle file in the
// order of §2.4 (the whole file, the EOCD, each central-directory entry's headers, then each
// entry's data, then the entry set) and stops at the first failure with its `zip.*` or
// `bundle.*` code.
//
// It parses the zip structures by hand (no archive/zip), inflates with compress/flate and checks
// CRC-32 and sizes while streaming each entry's data; every entry's SHA-256 and size are recorded.
// Contents are kept in memory only for manifest.json, journal.ndjson and the keys/, approvals/ and
// signatures/ entries (the latter only up to limits.md L7: a larger one is rejected by its parser
// from Entry.Size alone); artifacts are hashed, never kept. Nothing is extracted to a file system.
package container

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// Codes of the container step (verdicts.md "zip" and "bundle"), in reader order.
const (
	CodeSizeLimit       = "zip.size_limit"
	CodeEOCD            = "zip.eocd"
	CodeName            = "zip.name"
	CodeFlags           = "zip.flags"
	CodeMethod          = "zip.method"
	CodeExtra           = "zip.extra"
	CodeLocalHeader     = "zip.local_header"
	CodeRatio           = "zip.ratio"
	CodeCRC             = "zip.crc"
	CodeMissingEntry    = "bundle.missing_entry"
	CodeUnexpectedEntry = "bundle.unexpected_entry"
	CodeEntryOrder      = "bundle.entry_order"
)

// Error is the first container failure: its code, the entry it concerns (empty for whole-file
// checks) and an informative detail.
type Error struct {
	Code    string
	Subject string
	Detail  string
}

func (e *Error) Error() string {
	if e.Subject != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Subject, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Detail)
}

func fail(code, subject, format string, args ...any) *Error {
	return &Error{Code: code, Subject: subject, Detail: fmt.Sprintf(format, args...)}
}

// Entry is one checked entry of the bundle, in central-directory order.
type Entry struct {
	Name           string
	Method         uint16 // 0 stored, 8 deflate
	CRC32          uint32
	CompressedSize uint64
	Size           uint64 // uncompressed size
	Offset         uint64 // local header offset
	SHA256         [32]byte
	// Data holds the uncompressed bytes when Retained (see the package comment).
	Data     []byte
	Retained bool
}

// Bundle is a container that passed every check of bundle-v0.md §2.4.
type Bundle struct {
	Entries []Entry
}

// Entry returns the entry with this exact name, or nil.
func (b *Bundle) Entry(name string) *Entry {
	for i := range b.Entries {
		if b.Entries[i].Name == name {
			return &b.Entries[i]
		}
	}
	return nil
}

// Zip record signatures and sizes.
const (
	sigLocal        = 0x04034b50
	sigCentral      = 0x02014b50
	sigEOCD         = 0x06054b50
	sigZip64EOCD    = 0x06064b50
	sigZip64Loc     = 0x07064b50
	eocdLen         = 22
	zip64LocLen     = 20
	zip64EOCDLen    = 56
	centralLen      = 46
	localLen        = 30
	max32           = 0xFFFFFFFF
	maxKeptExtra    = 64 // longer extra fields are never valid (a zip64 field is at most 28 bytes)
	zip64HeaderID   = 0x0001
	unixHost        = 3
	fileTypeRegular = 8
)

// central is one central-directory record as read in §2.4.2 item 3.
type central struct {
	madeBy     uint16
	flags      uint16
	method     uint16
	crc        uint32
	csize32    uint32
	usize32    uint32
	nameLen    uint16
	extraLen   uint16
	commentLen uint16
	diskStart  uint16
	extAttrs   uint32
	offset32   uint32
	name       []byte // kept when nameLen ≤ 255
	extra      []byte // kept when extraLen ≤ maxKeptExtra
	// resolved after zip64 (item 4)
	csize, usize, offset uint64
	dataStart, dataEnd   uint64
}

type reader struct {
	r       io.ReaderAt
	size    uint64
	lim     limits.Limits
	copyBuf []byte // shared by every entry's data check (data.go)
}

// readAt reads n bytes at off; ok is false when they are not all inside the file.
func (rd *reader) readAt(off uint64, n int) ([]byte, bool) {
	if off > rd.size || uint64(n) > rd.size-off {
		return nil, false
	}
	buf := make([]byte, n)
	if _, err := rd.r.ReadAt(buf, int64(off)); err != nil {
		return nil, false
	}
	return buf, true
}

// ReadBytes checks a bundle held in memory (see Read).
func ReadBytes(data []byte, lim limits.Limits) (*Bundle, *Error) {
	return Read(bytes.NewReader(data), int64(len(data)), lim)
}

// Read checks the bundle of size bytes readable from r, in the order of bundle-v0.md §2.4, and
// returns its entries, or the first failure.
func Read(r io.ReaderAt, size int64, lim limits.Limits) (*Bundle, *Error) {
	if size < 0 || size > lim.BundleMaxBytes {
		// §2.4.2: the file size first (L10).
		return nil, fail(CodeSizeLimit, "", "file of %d bytes is above the bundle limit %d", size, lim.BundleMaxBytes)
	}
	rd := &reader{r: r, size: uint64(size), lim: lim}
	cds, cdOffset, err := rd.directory()
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, len(cds))
	if err := rd.headers(cds, cdOffset, entries); err != nil {
		return nil, err
	}
	for i := range cds {
		if err := rd.data(&cds[i], &entries[i]); err != nil {
			return nil, err
		}
	}
	if err := checkEntrySet(entries); err != nil {
		return nil, err
	}
	return &Bundle{Entries: entries}, nil
}

// directory runs §2.4.2 items 1–4 (and the zip64 records of §2.5.3) and returns the
// central-directory records and the directory's offset.
func (rd *reader) directory() ([]central, uint64, *Error) {
	le := binary.LittleEndian
	if rd.size < eocdLen {
		return nil, 0, fail(CodeEOCD, "", "file shorter than an end-of-central-directory record")
	}
	eocdStart := rd.size - eocdLen
	e, ok := rd.readAt(eocdStart, eocdLen)
	if !ok {
		return nil, 0, fail(CodeEOCD, "", "cannot read the end-of-central-directory record")
	}
	// Item 1: the last 22 bytes are the EOCD, with comment length 0; no backward search.
	if le.Uint32(e[0:]) != sigEOCD || le.Uint16(e[20:]) != 0 {
		return nil, 0, fail(CodeEOCD, "", "the last 22 bytes are not an end-of-central-directory record without comment")
	}
	// Item 2.
	disk, cdDisk := le.Uint16(e[4:]), le.Uint16(e[6:])
	onDisk, total := le.Uint16(e[8:]), le.Uint16(e[10:])
	if disk != 0 || cdDisk != 0 || onDisk != total {
		return nil, 0, fail(CodeEOCD, "", "disk numbers %d/%d or entry counts %d/%d", disk, cdDisk, onDisk, total)
	}
	cdSize, cdOffset := uint64(le.Uint32(e[12:])), uint64(le.Uint32(e[16:]))
	end := eocdStart // where the central directory must end (item 4)
	// Item 3, with §2.5.3: zip64 records only when an EOCD offset or size field holds 0xFFFFFFFF.
	if cdSize == max32 || cdOffset == max32 {
		if eocdStart < zip64LocLen+zip64EOCDLen {
			return nil, 0, fail(CodeEOCD, "", "no room for the zip64 records")
		}
		locStart := eocdStart - zip64LocLen
		loc, _ := rd.readAt(locStart, zip64LocLen)
		recStart := locStart - zip64EOCDLen
		if le.Uint32(loc[0:]) != sigZip64Loc || le.Uint32(loc[4:]) != 0 || le.Uint32(loc[16:]) != 1 ||
			le.Uint64(loc[8:]) != recStart {
			return nil, 0, fail(CodeEOCD, "", "no zip64 locator directly before the EOCD pointing at the record before it")
		}
		rec, _ := rd.readAt(recStart, zip64EOCDLen)
		if le.Uint32(rec[0:]) != sigZip64EOCD || le.Uint64(rec[4:]) != zip64EOCDLen-12 ||
			le.Uint32(rec[16:]) != 0 || le.Uint32(rec[20:]) != 0 {
			return nil, 0, fail(CodeEOCD, "", "malformed zip64 end-of-central-directory record")
		}
		if le.Uint64(rec[24:]) != uint64(total) || le.Uint64(rec[32:]) != uint64(total) {
			return nil, 0, fail(CodeEOCD, "", "zip64 entry counts differ from the EOCD's")
		}
		size64, off64 := le.Uint64(rec[40:]), le.Uint64(rec[48:])
		for _, f := range []struct{ v32, v64 uint64 }{{cdSize, size64}, {cdOffset, off64}} {
			if f.v32 == max32 && f.v64 < max32 || f.v32 != max32 && f.v32 != f.v64 {
				return nil, 0, fail(CodeEOCD, "", "zip64 record not needed or inconsistent with the EOCD")
			}
		}
		cdSize, cdOffset, end = size64, off64, recStart
	}
	if cdOffset > end || cdSize > end-cdOffset {
		return nil, 0, fail(CodeEOCD, "", "central directory outside the file")
	}
	cdEnd := cdOffset + cdSize
	cds := make([]central, 0, min(int(total), 1024))
	pos := cdOffset
	for i := 0; i < int(total); i++ {
		h, ok := rd.readAt(pos, centralLen)
		if !ok || pos+centralLen > cdEnd || le.Uint32(h[0:]) != sigCentral {
			return nil, 0, fail(CodeEOCD, "", "central-directory record %d missing", i)
		}
		c := central{
			madeBy: le.Uint16(h[4:]), flags: le.Uint16(h[8:]), method: le.Uint16(h[10:]),
			crc: le.Uint32(h[16:]), csize32: le.Uint32(h[20:]), usize32: le.Uint32(h[24:]),
			nameLen: le.Uint16(h[28:]), extraLen: le.Uint16(h[30:]), commentLen: le.Uint16(h[32:]),
			diskStart: le.Uint16(h[34:]), extAttrs: le.Uint32(h[38:]), offset32: le.Uint32(h[42:]),
		}
		varLen := uint64(c.nameLen) + uint64(c.extraLen) + uint64(c.commentLen)
		if centralLen+varLen > cdEnd-pos {
			return nil, 0, fail(CodeEOCD, "", "central-directory record %d runs past the directory", i)
		}
		if c.nameLen <= 255 {
			c.name, _ = rd.readAt(pos+centralLen, int(c.nameLen))
		}
		if c.extraLen <= maxKeptExtra {
			c.extra, _ = rd.readAt(pos+centralLen+uint64(c.nameLen), int(c.extraLen))
		}
		cds = append(cds, c)
		pos += centralLen + varLen
	}
	if pos != cdEnd {
		return nil, 0, fail(CodeEOCD, "", "central directory holds more than its %d records", total)
	}
	// Item 4.
	if cdEnd != end {
		return nil, 0, fail(CodeEOCD, "", "bytes between the central directory and the end records")
	}
	if len(cds) == 0 && cdOffset != 0 || len(cds) > 0 && cds[0].offset32 != 0 {
		return nil, 0, fail(CodeEOCD, "", "bytes before the first local header")
	}
	return cds, cdOffset, nil
}

// headers runs §2.4.3 items 1–7 for each entry in central-directory order.
func (rd *reader) headers(cds []central, cdOffset uint64, entries []Entry) *Error {
	le := binary.LittleEndian
	folded := make(map[string]struct{}, len(cds))
	var prevEnd, total uint64
	var nSig, nAppr, nKeys, nArt int
	for i := range cds {
		c := &cds[i]
		name := string(c.name)
		subject := name
		// Item 1: zip.name.
		if c.name == nil || !validName(c.name) {
			return fail(CodeName, safeSubject(c.name), "entry name outside bundle-v0.md §2.1.1")
		}
		f := string(bytes.ToLower(c.name))
		if _, dup := folded[f]; dup {
			return fail(CodeName, subject, "entry name equal to an earlier one after case folding")
		}
		folded[f] = struct{}{}
		// Item 2: zip.flags.
		if c.flags != 0 {
			return fail(CodeFlags, subject, "general-purpose flags 0x%04x", c.flags)
		}
		if c.madeBy>>8 == unixHost {
			if t := c.extAttrs >> 28; t != 0 && t != fileTypeRegular {
				return fail(CodeFlags, subject, "external attributes file type %d is not a regular file", t)
			}
		}
		// Item 3: zip.method (32-bit size fields).
		if err := checkMethod(c, name, uint64(c.csize32), uint64(c.usize32)); err != nil {
			return err
		}
		// Item 4: zip.extra, central side, then zip64 resolution.
		if c.commentLen != 0 {
			return fail(CodeExtra, subject, "file comment of %d bytes", c.commentLen)
		}
		if err := resolveZip64(c); err != nil {
			err.Subject = subject
			return err
		}
		if c.csize32 == max32 && c.usize32 == max32 {
			if err := checkMethod(c, name, c.csize, c.usize); err != nil {
				return err
			}
		}
		// Item 4: the local header and its extra field.
		lh, ok := rd.readAt(c.offset, localLen)
		if !ok || le.Uint32(lh[0:]) != sigLocal {
			return fail(CodeLocalHeader, subject, "no local header at offset %d", c.offset)
		}
		lNameLen, lExtraLen := le.Uint16(lh[26:]), le.Uint16(lh[28:])
		lVar, ok := rd.readAt(c.offset+localLen, int(lNameLen)+int(lExtraLen))
		if !ok {
			return fail(CodeLocalHeader, subject, "local header name or extra field outside the file")
		}
		lName, lExtra := lVar[:lNameLen], lVar[lNameLen:]
		needZip64 := c.usize >= max32 || c.csize >= max32
		var lUsize, lCsize = uint64(le.Uint32(lh[22:])), uint64(le.Uint32(lh[18:]))
		if !needZip64 {
			if len(lExtra) != 0 {
				return fail(CodeExtra, subject, "local extra field of %d bytes", len(lExtra))
			}
		} else {
			if len(lExtra) != 20 || le.Uint16(lExtra[0:]) != zip64HeaderID || le.Uint16(lExtra[2:]) != 16 {
				return fail(CodeExtra, subject, "local extra field is not one zip64 field with two sizes")
			}
			if lUsize != max32 || lCsize != max32 {
				return fail(CodeLocalHeader, subject, "local size fields do not hold 0xFFFFFFFF for zip64")
			}
			lUsize, lCsize = le.Uint64(lExtra[4:]), le.Uint64(lExtra[12:])
		}
		// Item 5: zip.local_header.
		if !bytes.Equal(lName, c.name) || le.Uint16(lh[6:]) != c.flags || le.Uint16(lh[8:]) != c.method ||
			le.Uint32(lh[14:]) != c.crc || lUsize != c.usize || lCsize != c.csize {
			return fail(CodeLocalHeader, subject, "local header differs from the central directory")
		}
		if c.diskStart != 0 {
			return fail(CodeLocalHeader, subject, "disk number start %d", c.diskStart)
		}
		if c.offset != prevEnd {
			return fail(CodeLocalHeader, subject, "local record at %d, previous data ended at %d", c.offset, prevEnd)
		}
		c.dataStart = c.offset + localLen + uint64(lNameLen) + uint64(lExtraLen)
		if c.dataStart > cdOffset || c.csize > cdOffset-c.dataStart {
			return fail(CodeLocalHeader, subject, "entry data overlaps the central directory")
		}
		c.dataEnd = c.dataStart + c.csize
		if i == len(cds)-1 && c.dataEnd != cdOffset {
			return fail(CodeLocalHeader, subject, "gap between the last entry's data and the central directory")
		}
		prevEnd = c.dataEnd
		// Item 6: zip.size_limit.
		lim := rd.lim
		var perEntry int64 = -1
		switch {
		case name == "manifest.json":
			perEntry = lim.ManifestMaxBytes
		case name == "journal.ndjson":
			perEntry = lim.JournalMaxBytes
		case hasPrefix(name, "artifacts/"):
			perEntry = lim.ArtifactMaxBytes
		}
		if perEntry >= 0 && c.usize > uint64(perEntry) {
			return fail(CodeSizeLimit, subject, "uncompressed size %d above the entry limit %d", c.usize, perEntry)
		}
		if c.usize > uint64(lim.BundleMaxTotalUncompressed) || total > uint64(lim.BundleMaxTotalUncompressed)-c.usize {
			return fail(CodeSizeLimit, subject, "total uncompressed size above %d", lim.BundleMaxTotalUncompressed)
		}
		total += c.usize
		if i+1 > lim.BundleMaxEntries {
			return fail(CodeSizeLimit, subject, "more than %d entries", lim.BundleMaxEntries)
		}
		for _, g := range []struct {
			prefix string
			n      *int
			max    int
		}{{"signatures/", &nSig, lim.BundleMaxSignatures}, {"approvals/", &nAppr, lim.BundleMaxApprovals},
			{"keys/", &nKeys, lim.BundleMaxKeys}, {"artifacts/", &nArt, lim.BundleMaxArtifacts}} {
			if hasPrefix(name, g.prefix) {
				*g.n++
				if *g.n > g.max {
					return fail(CodeSizeLimit, subject, "more than %d %s entries", g.max, g.prefix)
				}
			}
		}
		// Item 7: zip.ratio (L18), integer arithmetic.
		if c.method == 8 && c.usize > uint64(lim.ZipRatioMinBytes) && c.usize > uint64(lim.ZipMaxRatio)*c.csize {
			return fail(CodeRatio, subject, "ratio %d/%d above %d", c.usize, c.csize, lim.ZipMaxRatio)
		}
		entries[i] = Entry{Name: name, Method: c.method, CRC32: c.crc, CompressedSize: c.csize, Size: c.usize, Offset: c.offset}
	}
	return nil
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// safeSubject renders a rejected name for a message: printable ASCII only.
func safeSubject(name []byte) string {
	if name == nil {
		return "(name longer than 255 bytes)"
	}
	return fmt.Sprintf("%q", name)
}

// validName is bundle-v0.md §2.1.1.
func validName(n []byte) bool {
	if len(n) < 1 || len(n) > 255 || n[0] == '/' || n[len(n)-1] == '/' {
		return false
	}
	for _, b := range n {
		ok := b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '/' || b == '-'
		if !ok {
			return false
		}
	}
	for _, seg := range bytes.Split(n, []byte("/")) {
		if len(seg) == 0 || string(seg) == "." || string(seg) == ".." {
			return false
		}
	}
	return true
}

// deflatable is §2.2.1: deflate only for manifest.json, journal.ndjson and artifacts/ entries
// ending in .json or .ndjson.
func deflatable(name string) bool {
	if name == "manifest.json" || name == "journal.ndjson" {
		return true
	}
	if !hasPrefix(name, "artifacts/") {
		return false
	}
	return hasSuffix(name, ".json") || hasSuffix(name, ".ndjson")
}

func hasSuffix(s, p string) bool { return len(s) >= len(p) && s[len(s)-len(p):] == p }

func checkMethod(c *central, name string, csize, usize uint64) *Error {
	switch c.method {
	case 0:
		if csize != usize {
			return fail(CodeMethod, name, "stored entry with compressed size %d and size %d", csize, usize)
		}
	case 8:
		if !deflatable(name) {
			return fail(CodeMethod, name, "deflate on an entry that must be stored")
		}
	default:
		return fail(CodeMethod, name, "compression method %d", c.method)
	}
	return nil
}

// resolveZip64 is §2.4.3 item 4 for the central extra field, with §2.5.1–§2.5.2.
func resolveZip64(c *central) *Error {
	le := binary.LittleEndian
	c.usize, c.csize, c.offset = uint64(c.usize32), uint64(c.csize32), uint64(c.offset32)
	wanted := []*uint64{}
	if c.usize32 == max32 {
		wanted = append(wanted, &c.usize)
	}
	if c.csize32 == max32 {
		wanted = append(wanted, &c.csize)
	}
	if c.offset32 == max32 {
		wanted = append(wanted, &c.offset)
	}
	if c.extraLen == 0 {
		if len(wanted) != 0 {
			return fail(CodeExtra, "", "a 0xFFFFFFFF field without its zip64 value")
		}
		return nil
	}
	x := c.extra
	if x == nil || len(x) < 4 || le.Uint16(x[0:]) != zip64HeaderID {
		return fail(CodeExtra, "", "central extra field other than one zip64 field")
	}
	if int(le.Uint16(x[2:])) != len(x)-4 {
		return fail(CodeExtra, "", "central extra field holds more than one zip64 field")
	}
	if len(wanted) == 0 || len(x)-4 != 8*len(wanted) {
		return fail(CodeExtra, "", "zip64 field holds %d bytes where %d values are needed", len(x)-4, len(wanted))
	}
	for i, p := range wanted {
		v := le.Uint64(x[4+8*i:])
		if v < max32 {
			return fail(CodeExtra, "", "zip64 value %d below 0xFFFFFFFF", v)
		}
		*p = v
	}
	return nil
}
