package sig

// A minimal strict DER reader: definite minimal lengths, single-byte tags, nothing BER.

// readTLV splits one DER element off b. ok is false for anything that is not strict DER.
func readTLV(b []byte) (tag byte, content, rest []byte, ok bool) {
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return 0, nil, nil, false
	}
	tag = b[0]
	l := int(b[1])
	b = b[2:]
	if l >= 0x80 {
		n := l & 0x7f
		if n == 0 || n > 4 || len(b) < n || b[0] == 0 {
			return 0, nil, nil, false // indefinite, too long, or leading zero byte
		}
		l = 0
		for _, c := range b[:n] {
			l = l<<8 | int(c)
		}
		if l < 0x80 {
			return 0, nil, nil, false // long form where the short form fits
		}
		b = b[n:]
	}
	if l > len(b) {
		return 0, nil, nil, false
	}
	return tag, b[:l], b[l:], true
}

// minimalInteger reports whether c is the content of a minimal DER INTEGER.
func minimalInteger(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	if len(c) > 1 && ((c[0] == 0x00 && c[1]&0x80 == 0) || (c[0] == 0xff && c[1]&0x80 != 0)) {
		return false
	}
	return true
}

// validOID reports whether c is the content of a DER OBJECT IDENTIFIER (minimal base-128 arcs).
func validOID(c []byte) bool {
	if len(c) == 0 || c[len(c)-1]&0x80 != 0 {
		return false
	}
	start := true
	for _, b := range c {
		if start && b == 0x80 {
			return false
		}
		start = b&0x80 == 0
	}
	return true
}
