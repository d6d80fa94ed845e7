package b64

import "testing"

func TestDecode(t *testing.T) {
	good := map[string]string{"": "", "AA==": "\x00", "AAE=": "\x00\x01", "AAEC": "\x00\x01\x02", "+/+/": "\xfb\xff\xbf"}
	for in, want := range good {
		got, err := Decode(in)
		if err != nil || string(got) != want {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"AA", "AA=", "AB==", "AAF=", "AA==\n", "AA\r\n==", "AA ==", " AA==", "AA\t==", "-_-_", "AA==AA==", "A===", "=", "AAE=\n"} {
		if _, err := Decode(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
