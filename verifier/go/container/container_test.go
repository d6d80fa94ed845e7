package container

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"math/rand"
	"strings"
	"testing"

	"github.com/clyra-dev/clyra/verifier/go/limits"
)

// rec is one entry as the test writer lays it out; the fields default to what bundle-v0.md §2.3
// prescribes and tests change them to build hostile archives byte by byte.
type rec struct {
	name, localName                   []byte
	content                           []byte
	payload                           []byte // the stored or deflated bytes
	method, localMethod               uint16
	flags, localFlags                 uint16
	crc, localCRC                     uint32
	csize, usize, localCsize, lUsize  uint32
	centralExtra, localExtra, comment []byte
	madeBy                            uint16
	extAttrs                          uint32
	diskStart                         uint16
	gapBefore                         int     // bytes inserted before the local header
	offsetOverride                    *uint32 // central local-header offset
}

const hexA = "9953d15527f1aa1f92166a377dc4b1b576c649477efe5d333ba0c68862236ff8"

func deflate(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, 6)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func newRec(t testing.TB, name string, content []byte, method uint16) *rec {
	r := &rec{name: []byte(name), localName: []byte(name), content: content, method: method, localMethod: method,
		madeBy: 0x0314, extAttrs: 0o100644 << 16}
	r.payload = content
	if method == 8 {
		r.payload = deflate(t, content)
	}
	r.crc = crc32.ChecksumIEEE(content)
	r.localCRC = r.crc
	r.csize, r.usize = uint32(len(r.payload)), uint32(len(content))
	r.localCsize, r.lUsize = r.csize, r.usize
	return r
}

func validRecs(t testing.TB) []*rec {
	return []*rec{
		newRec(t, "manifest.json", []byte(`{"format":"def/v0"}`), 8),
		newRec(t, "journal.ndjson", []byte("{\"seq\":0}\n"), 8),
		newRec(t, "artifacts/bin/data.bin", []byte{0, 1, 2, 3, 'P', 'K', 5, 6}, 0),
		newRec(t, "artifacts/run_results.json", []byte(strings.Repeat(`{"a":1}`, 50)+"\n"), 8),
		newRec(t, "keys/"+hexA+".pub.pem", []byte("-----BEGIN PUBLIC KEY-----\n"), 0),
		newRec(t, "approvals/0001.dsse.json", []byte(`{"payload":""}`), 0),
		newRec(t, "signatures/"+hexA+".dsse.json", []byte(`{"payload":"","signatures":[]}`), 0),
	}
}

type eocdOpts struct {
	comment []byte
}

func build(recs []*rec, o eocdOpts) []byte {
	le := binary.LittleEndian
	var out []byte
	offsets := make([]uint32, len(recs))
	for i, r := range recs {
		out = append(out, make([]byte, r.gapBefore)...)
		offsets[i] = uint32(len(out))
		h := make([]byte, 30)
		le.PutUint32(h[0:], sigLocal)
		le.PutUint16(h[4:], 20)
		le.PutUint16(h[6:], r.localFlags)
		le.PutUint16(h[8:], r.localMethod)
		le.PutUint16(h[10:], 0)
		le.PutUint16(h[12:], 0x21)
		le.PutUint32(h[14:], r.localCRC)
		le.PutUint32(h[18:], r.localCsize)
		le.PutUint32(h[22:], r.lUsize)
		le.PutUint16(h[26:], uint16(len(r.localName)))
		le.PutUint16(h[28:], uint16(len(r.localExtra)))
		out = append(out, h...)
		out = append(out, r.localName...)
		out = append(out, r.localExtra...)
		out = append(out, r.payload...)
	}
	cdStart := len(out)
	for i, r := range recs {
		h := make([]byte, 46)
		le.PutUint32(h[0:], sigCentral)
		le.PutUint16(h[4:], r.madeBy)
		le.PutUint16(h[6:], 20)
		le.PutUint16(h[8:], r.flags)
		le.PutUint16(h[10:], r.method)
		le.PutUint16(h[14:], 0x21)
		le.PutUint32(h[16:], r.crc)
		le.PutUint32(h[20:], r.csize)
		le.PutUint32(h[24:], r.usize)
		le.PutUint16(h[28:], uint16(len(r.name)))
		le.PutUint16(h[30:], uint16(len(r.centralExtra)))
		le.PutUint16(h[32:], uint16(len(r.comment)))
		le.PutUint16(h[34:], r.diskStart)
		le.PutUint32(h[38:], r.extAttrs)
		off := offsets[i]
		if r.offsetOverride != nil {
			off = *r.offsetOverride
		}
		le.PutUint32(h[42:], off)
		out = append(out, h...)
		out = append(out, r.name...)
		out = append(out, r.centralExtra...)
		out = append(out, r.comment...)
	}
	cdSize := len(out) - cdStart
	out = append(out, eocd(len(recs), cdSize, cdStart, len(o.comment))...)
	return append(out, o.comment...)
}

func eocd(n, cdSize, cdStart, commentLen int) []byte {
	le := binary.LittleEndian
	e := make([]byte, 22)
	le.PutUint32(e[0:], sigEOCD)
	le.PutUint16(e[8:], uint16(n))
	le.PutUint16(e[10:], uint16(n))
	le.PutUint32(e[12:], uint32(cdSize))
	le.PutUint32(e[16:], uint32(cdStart))
	le.PutUint16(e[20:], uint16(commentLen))
	return e
}

func TestValidBundleOpens(t *testing.T) {
	recs := validRecs(t)
	b, err := ReadBytes(build(recs, eocdOpts{}), limits.Default())
	if err != nil {
		t.Fatalf("valid bundle rejected: %v", err)
	}
	if len(b.Entries) != len(recs) {
		t.Fatalf("%d entries", len(b.Entries))
	}
	for i, r := range recs {
		e := b.Entries[i]
		if e.Name != string(r.name) || e.Size != uint64(len(r.content)) || e.SHA256 != sha256.Sum256(r.content) {
			t.Errorf("%s: size %d digest mismatch", e.Name, e.Size)
		}
		art := strings.HasPrefix(e.Name, "artifacts/")
		if e.Retained == art || (!art && !bytes.Equal(e.Data, r.content)) {
			t.Errorf("%s: retained %v", e.Name, e.Retained)
		}
	}
	if b.Entry("manifest.json") == nil || b.Entry("nope") != nil {
		t.Error("Entry lookup")
	}
	// The minimal bundle: manifest, journal, one key, one signature.
	min := []*rec{recs[0], recs[1], recs[4], recs[6]}
	if _, err := ReadBytes(build(min, eocdOpts{}), limits.Default()); err != nil {
		t.Fatalf("minimal bundle rejected: %v", err)
	}
}

func expect(t *testing.T, label string, data []byte, lim limits.Limits, code string) {
	t.Helper()
	_, err := ReadBytes(data, lim)
	if err == nil {
		t.Errorf("%s: accepted, want %s", label, code)
		return
	}
	if err.Code != code {
		t.Errorf("%s: %v, want %s", label, err, code)
	}
}

func TestWholeFile(t *testing.T) {
	lim := limits.Default()
	good := build(validRecs(t), eocdOpts{})
	small := lim
	small.BundleMaxBytes = int64(len(good) - 1)
	expect(t, "above L10", good, small, CodeSizeLimit)
	expect(t, "empty file", nil, lim, CodeEOCD)
	expect(t, "21 bytes", good[len(good)-21:], lim, CodeEOCD)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 50; i++ {
		junk := make([]byte, rng.Intn(4096))
		rng.Read(junk)
		expect(t, "random bytes", junk, lim, CodeEOCD)
	}
	expect(t, "prefix bytes", append([]byte("MZ\x90\x00"), good...), lim, CodeEOCD)
	expect(t, "trailing byte", append(bytes.Clone(good), 0), lim, CodeEOCD)
	expect(t, "truncated", good[:len(good)-1], lim, CodeEOCD)
	expect(t, "truncated in the middle", good[:len(good)/2], lim, CodeEOCD)
	expect(t, "archive comment", build(validRecs(t), eocdOpts{comment: []byte("hi")}), lim, CodeEOCD)
	// Two EOCDs: the last 22 bytes are valid, but a second record precedes them.
	two := append(bytes.Clone(good), good[len(good)-22:]...)
	expect(t, "two EOCDs", two, lim, CodeEOCD)
	// A prefix with every offset shifted consistently: the first local header is not at 0.
	recs := validRecs(t)
	recs[0].gapBefore = 3
	expect(t, "shifted prefix", build(recs, eocdOpts{}), lim, CodeEOCD)
	// Bad disk numbers and counts.
	for _, c := range []struct {
		off int
		v   uint16
	}{{4, 1}, {6, 1}, {8, 6}} {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint16(b[len(b)-22+c.off:], c.v)
		expect(t, "eocd field", b, lim, CodeEOCD)
	}
	// Entry count one more or one fewer than the records.
	for _, n := range []uint16{6, 8} {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint16(b[len(b)-22+8:], n)
		binary.LittleEndian.PutUint16(b[len(b)-22+10:], n)
		expect(t, "eocd count", b, lim, CodeEOCD)
	}
	// Central directory offset beyond the file.
	b := bytes.Clone(good)
	binary.LittleEndian.PutUint32(b[len(b)-22+16:], uint32(len(b)))
	expect(t, "cd outside", b, lim, CodeEOCD)
	// An empty central directory not at offset 0 (bytes before it).
	empty := append([]byte{0}, eocd(0, 0, 1, 0)...)
	expect(t, "empty cd at 1", empty, lim, CodeEOCD)
	// An empty archive is a valid zip, but a bundle needs manifest.json.
	expect(t, "empty archive", eocd(0, 0, 0, 0), lim, CodeMissingEntry)
	// An unneeded zip64 EOCD record and locator between the directory and the EOCD.
	b = bytes.Clone(good)
	e := b[len(b)-22:]
	cdSize, cdOff := binary.LittleEndian.Uint32(e[12:]), binary.LittleEndian.Uint32(e[16:])
	b = b[:len(b)-22]
	recStart := len(b)
	z := make([]byte, 56)
	binary.LittleEndian.PutUint32(z[0:], sigZip64EOCD)
	binary.LittleEndian.PutUint64(z[4:], 44)
	binary.LittleEndian.PutUint64(z[24:], 7)
	binary.LittleEndian.PutUint64(z[32:], 7)
	binary.LittleEndian.PutUint64(z[40:], uint64(cdSize))
	binary.LittleEndian.PutUint64(z[48:], uint64(cdOff))
	l := make([]byte, 20)
	binary.LittleEndian.PutUint32(l[0:], sigZip64Loc)
	binary.LittleEndian.PutUint64(l[8:], uint64(recStart))
	binary.LittleEndian.PutUint32(l[16:], 1)
	b = append(append(b, z...), l...)
	expect(t, "unneeded zip64 records", append(bytes.Clone(b), e...), lim, CodeEOCD)
	// The same, with the EOCD pointing at the zip64 record: values below 0xFFFFFFFF.
	e2 := bytes.Clone(e)
	binary.LittleEndian.PutUint32(e2[16:], 0xFFFFFFFF)
	expect(t, "zip64 offset below 0xFFFFFFFF", append(bytes.Clone(b), e2...), lim, CodeEOCD)
}

// mutate builds the valid bundle after applying f to its records.
func mutate(t *testing.T, f func(recs []*rec) []*rec) []byte {
	return build(f(validRecs(t)), eocdOpts{})
}

func TestEntryHeaders(t *testing.T) {
	lim := limits.Default()
	rename := func(i int, name string) func([]*rec) []*rec {
		return func(r []*rec) []*rec { r[i].name, r[i].localName = []byte(name), []byte(name); return r }
	}
	names := []string{
		"", "/manifest.json", "artifacts/../journal.ndjson", "artifacts/./x.json", "artifacts//x.json",
		"artifacts\\x.json", "artifacts/dir/", "artifacts/x y.json", "artifacts/é.json", "artifacts/x\x00",
		"artifacts/" + strings.Repeat("a", 246), "..", ".",
	}
	for _, n := range names {
		expect(t, "name "+n, mutate(t, rename(3, n)), lim, CodeName)
	}
	// 255 bytes is allowed (then unsorted: artifacts/aaa… after artifacts/bin/…; so put it first).
	long := "artifacts/" + strings.Repeat("a", 245)
	if _, err := ReadBytes(mutate(t, rename(2, long)), lim); err != nil {
		t.Errorf("255-byte name: %v", err)
	}
	expect(t, "case fold duplicate", mutate(t, rename(3, "artifacts/BIN/data.bin")), lim, CodeName)
	expect(t, "exact duplicate", mutate(t, rename(1, "manifest.json")), lim, CodeName)

	set := func(f func(r *rec)) func([]*rec) []*rec {
		return func(r []*rec) []*rec { f(r[2]); return r }
	}
	expect(t, "encryption flag", mutate(t, set(func(r *rec) { r.flags, r.localFlags = 1, 1 })), lim, CodeFlags)
	expect(t, "data descriptor flag", mutate(t, set(func(r *rec) { r.flags, r.localFlags = 8, 8 })), lim, CodeFlags)
	expect(t, "utf-8 flag", mutate(t, set(func(r *rec) { r.flags, r.localFlags = 1<<11, 1<<11 })), lim, CodeFlags)
	expect(t, "directory attributes", mutate(t, set(func(r *rec) { r.extAttrs = 0o040755 << 16 })), lim, CodeFlags)
	expect(t, "symlink attributes", mutate(t, set(func(r *rec) { r.extAttrs = 0o120777 << 16 })), lim, CodeFlags)
	if _, err := ReadBytes(mutate(t, set(func(r *rec) { r.extAttrs = 0o040755 << 16; r.madeBy = 0x0014 })), lim); err != nil {
		t.Errorf("DOS host attributes are not checked: %v", err)
	}
	if _, err := ReadBytes(mutate(t, set(func(r *rec) { r.extAttrs = 0 })), lim); err != nil {
		t.Errorf("type 0 allowed: %v", err)
	}

	expect(t, "method 12", mutate(t, set(func(r *rec) { r.method, r.localMethod = 12, 12 })), lim, CodeMethod)
	expect(t, "deflate on a non-JSON artifact", mutate(t, func(r []*rec) []*rec {
		r[2] = newRec(t, "artifacts/bin/data.bin", r[2].content, 8)
		return r
	}), lim, CodeMethod)
	expect(t, "deflate on a key", mutate(t, func(r []*rec) []*rec {
		r[4] = newRec(t, string(r[4].name), r[4].content, 8)
		return r
	}), lim, CodeMethod)
	expect(t, "deflate on a signature", mutate(t, func(r []*rec) []*rec {
		r[6] = newRec(t, string(r[6].name), r[6].content, 8)
		return r
	}), lim, CodeMethod)
	expect(t, "stored with differing sizes", mutate(t, set(func(r *rec) { r.usize++; r.lUsize++ })), lim, CodeMethod)

	unknownExtra := []byte{0x55, 0x54, 5, 0, 1, 0, 0, 0, 0}
	expect(t, "unknown central extra", mutate(t, set(func(r *rec) { r.centralExtra = unknownExtra })), lim, CodeExtra)
	expect(t, "unknown local extra", mutate(t, set(func(r *rec) { r.localExtra = unknownExtra })), lim, CodeExtra)
	expect(t, "central comment", mutate(t, set(func(r *rec) { r.comment = []byte("c") })), lim, CodeExtra)
	z64 := func(vals ...uint64) []byte {
		b := []byte{1, 0, byte(8 * len(vals)), 0}
		for _, v := range vals {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
		return b
	}
	expect(t, "unneeded zip64 field", mutate(t, set(func(r *rec) { r.centralExtra = z64() })), lim, CodeExtra)
	expect(t, "zip64 field without 0xFFFFFFFF", mutate(t, set(func(r *rec) { r.centralExtra = z64(8) })), lim, CodeExtra)
	expect(t, "0xFFFFFFFF without zip64", mutate(t, set(func(r *rec) { r.csize, r.usize = 0xFFFFFFFF, 0xFFFFFFFF })), lim, CodeExtra)
	expect(t, "zip64 value below 0xFFFFFFFF", mutate(t, set(func(r *rec) {
		r.csize, r.usize = 0xFFFFFFFF, 0xFFFFFFFF
		r.centralExtra = z64(8, 8)
	})), lim, CodeExtra)
	expect(t, "zip64 offset beyond the file", mutate(t, set(func(r *rec) {
		o := uint32(0xFFFFFFFF)
		r.offsetOverride = &o
		r.centralExtra = z64(1 << 40)
	})), lim, CodeLocalHeader)

	expect(t, "local name differs", mutate(t, set(func(r *rec) { r.localName = []byte("artifacts/bin/data.bim") })), lim, CodeLocalHeader)
	expect(t, "local name case differs", mutate(t, set(func(r *rec) { r.localName = []byte("artifacts/bin/DATA.bin") })), lim, CodeLocalHeader)
	expect(t, "local method differs", mutate(t, set(func(r *rec) { r.localMethod = 8 })), lim, CodeLocalHeader)
	expect(t, "local flags differ", mutate(t, set(func(r *rec) { r.localFlags = 8 })), lim, CodeLocalHeader)
	expect(t, "local crc differs", mutate(t, set(func(r *rec) { r.localCRC ^= 1 })), lim, CodeLocalHeader)
	expect(t, "local size differs", mutate(t, set(func(r *rec) { r.localCsize++ })), lim, CodeLocalHeader)
	expect(t, "disk number start", mutate(t, set(func(r *rec) { r.diskStart = 1 })), lim, CodeLocalHeader)
	expect(t, "gap between entries", mutate(t, set(func(r *rec) { r.gapBefore = 1 })), lim, CodeLocalHeader)
	expect(t, "no local header at offset", mutate(t, set(func(r *rec) { o := uint32(3); r.offsetOverride = &o })), lim, CodeLocalHeader)
	// Overlap: entry 2 claims one more data byte (its sizes agree), so entry 3's header lies
	// inside it.
	expect(t, "overlap", mutate(t, func(r []*rec) []*rec {
		r[2].csize++
		r[2].usize++
		r[2].localCsize++
		r[2].lUsize++
		return r
	}), lim, CodeLocalHeader)
	// Overlap with the central directory: the last entry claims more data than there is.
	expect(t, "last entry runs into the directory", mutate(t, func(r []*rec) []*rec {
		l := r[len(r)-1]
		l.csize, l.usize, l.localCsize, l.lUsize = l.csize+1, l.usize+1, l.localCsize+1, l.lUsize+1
		return r
	}), lim, CodeLocalHeader)
	// Gap before the central directory: one byte after the last entry's data.
	expect(t, "gap before the directory", mutate(t, func(r []*rec) []*rec {
		l := r[len(r)-1]
		l.payload = append(bytes.Clone(l.payload), 0)
		return r
	}), lim, CodeLocalHeader)
}

func TestLimitsAndData(t *testing.T) {
	good := build(validRecs(t), eocdOpts{})
	lim := limits.Default()
	for _, c := range []struct {
		label string
		f     func(l *limits.Limits)
	}{
		{"manifest L14", func(l *limits.Limits) { l.ManifestMaxBytes = 18 }},
		{"journal L15", func(l *limits.Limits) { l.JournalMaxBytes = 9 }},
		{"artifact L13", func(l *limits.Limits) { l.ArtifactMaxBytes = 7 }},
		{"total L11", func(l *limits.Limits) { l.BundleMaxTotalUncompressed = 100 }},
		{"entries L12", func(l *limits.Limits) { l.BundleMaxEntries = 6 }},
		{"signatures L19", func(l *limits.Limits) { l.BundleMaxSignatures = 0 }},
		{"approvals L20", func(l *limits.Limits) { l.BundleMaxApprovals = 0 }},
		{"keys L21", func(l *limits.Limits) { l.BundleMaxKeys = 0 }},
		{"artifacts L22", func(l *limits.Limits) { l.BundleMaxArtifacts = 1 }},
	} {
		l := lim
		c.f(&l)
		expect(t, c.label, good, l, CodeSizeLimit)
	}
	// Counts by prefix include names not of the §2.1.3 form.
	l := lim
	l.BundleMaxKeys = 1
	expect(t, "keys count counts odd names", mutate(t, func(r []*rec) []*rec {
		k := newRec(t, "keys/zz.pub.pem", []byte("x"), 0)
		return append(r[:5], append([]*rec{k}, r[5:]...)...)
	}), l, CodeSizeLimit)

	// Zip bomb: 2 MiB of zeros deflate to ~2 KiB, far above 200:1.
	bomb := newRec(t, "journal.ndjson", make([]byte, 2<<20), 8)
	expect(t, "zip bomb", mutate(t, func(r []*rec) []*rec { r[1] = bomb; return r }), lim, CodeRatio)
	// Exactly at the boundary: not above 1 MiB is never a ratio failure.
	mib := newRec(t, "journal.ndjson", make([]byte, 1<<20), 8)
	if _, err := ReadBytes(mutate(t, func(r []*rec) []*rec { r[1] = mib; return r }), lim); err != nil {
		t.Errorf("1 MiB entry: %v", err)
	}

	set := func(i int, f func(r *rec)) func([]*rec) []*rec {
		return func(r []*rec) []*rec { f(r[i]); return r }
	}
	expect(t, "crc mismatch", mutate(t, set(2, func(r *rec) { r.crc ^= 1; r.localCRC ^= 1 })), lim, CodeCRC)
	expect(t, "stored data changed", mutate(t, set(2, func(r *rec) { r.payload = bytes.Clone(r.payload); r.payload[0] ^= 0x80 })), lim, CodeCRC)
	expect(t, "deflate garbage", mutate(t, set(3, func(r *rec) {
		r.payload = bytes.Repeat([]byte{0xff}, len(r.payload))
	})), lim, CodeCRC)
	expect(t, "deflate yields more", mutate(t, set(3, func(r *rec) { r.usize--; r.lUsize-- })), lim, CodeCRC)
	expect(t, "deflate yields fewer", mutate(t, set(3, func(r *rec) { r.usize++; r.lUsize++ })), lim, CodeCRC)
	expect(t, "deflate stream shorter than its compressed size", mutate(t, set(3, func(r *rec) {
		r.payload = append(bytes.Clone(r.payload), 0)
		r.csize++
		r.localCsize++
	})), lim, CodeCRC)
	expect(t, "deflate stream cut", mutate(t, set(3, func(r *rec) {
		r.payload = r.payload[:len(r.payload)-1]
		r.csize--
		r.localCsize--
	})), lim, CodeCRC)
	// Two passes (§2.4.1): a header failure of a later entry wins over a data failure of an
	// earlier one.
	expect(t, "headers before data", mutate(t, func(r []*rec) []*rec {
		r[2].crc ^= 1
		r[2].localCRC ^= 1
		r[5].flags, r[5].localFlags = 1, 1
		return r
	}), lim, CodeFlags)
}

func TestEntrySet(t *testing.T) {
	lim := limits.Default()
	drop := func(i int) func([]*rec) []*rec {
		return func(r []*rec) []*rec { return append(r[:i], r[i+1:]...) }
	}
	expect(t, "no manifest", mutate(t, drop(0)), lim, CodeMissingEntry)
	expect(t, "no journal", mutate(t, drop(1)), lim, CodeMissingEntry)
	expect(t, "no signature", mutate(t, drop(6)), lim, CodeMissingEntry)
	expect(t, "signature without key", mutate(t, drop(4)), lim, CodeMissingEntry)
	expect(t, "approval gap", mutate(t, func(r []*rec) []*rec {
		r[5] = newRec(t, "approvals/0002.dsse.json", r[5].content, 0)
		return r
	}), lim, CodeMissingEntry)
	insert := func(name string, at int) func([]*rec) []*rec {
		return func(r []*rec) []*rec {
			e := newRec(t, name, []byte("x"), 0)
			return append(r[:at], append([]*rec{e}, r[at:]...)...)
		}
	}
	for _, n := range []string{"notes.txt", "keys/" + strings.ToUpper(strings.Repeat("ab", 32)) + ".pub.pem", "keys/abc.pub.pem",
		"approvals/0000.dsse.json", "approvals/1.dsse.json", "signatures/" + hexA + ".json", "journal.ndjson.bak", "artifacts"} {
		expect(t, "unexpected "+n, mutate(t, insert(n, 7)), lim, CodeUnexpectedEntry)
	}
	// Missing wins over unexpected.
	expect(t, "missing before unexpected", mutate(t, func(r []*rec) []*rec {
		r = insert("notes.txt", 2)(r)
		return r[1:]
	}), lim, CodeMissingEntry)
	swap := func(i, j int) func([]*rec) []*rec {
		return func(r []*rec) []*rec { r[i], r[j] = r[j], r[i]; return r }
	}
	expect(t, "journal before manifest", mutate(t, swap(0, 1)), lim, CodeEntryOrder)
	expect(t, "artifacts unsorted", mutate(t, swap(2, 3)), lim, CodeEntryOrder)
	expect(t, "signature before key", mutate(t, swap(4, 6)), lim, CodeEntryOrder)
	expect(t, "approvals out of order", mutate(t, func(r []*rec) []*rec {
		a2 := newRec(t, "approvals/0002.dsse.json", []byte("x"), 0)
		return append(r[:5], append([]*rec{a2}, r[5:]...)...)
	}), lim, CodeEntryOrder)
	if g, h, _ := Classify("signatures/" + hexA + ".dsse.json"); g != groupSignature || h != hexA {
		t.Error("Classify signature")
	}
}
