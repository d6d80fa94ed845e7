package timefmt

import "testing"

func TestValid(t *testing.T) {
	good := []string{
		"2026-11-20T09:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
		"2024-02-29T12:00:00Z", "2000-02-29T00:00:00Z", "2026-04-30T00:00:00Z",
	}
	for _, s := range good {
		if !Valid(s) || !MatchesPattern(s) {
			t.Errorf("%q rejected", s)
		}
	}
	pattern := []string{
		"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z",
		"2026-01-01T00:60:00Z", "2026-12-31T23:59:60Z",
	}
	for _, s := range pattern {
		if !MatchesPattern(s) || Valid(s) {
			t.Errorf("%q: pattern %v valid %v", s, MatchesPattern(s), Valid(s))
		}
	}
	bad := []string{
		"", "2026-11-20T09:00:00", "2026-11-20T09:00:00z", "2026-11-20 09:00:00Z", "2026-11-20T09:00:00.0Z",
		"2026-11-20T09:00:00+00:00", "20261-11-20T09:00:00Z", "２026-11-20T09:00:00Z", "2026-11-20T09:00:0aZ",
	}
	for _, s := range bad {
		if MatchesPattern(s) || Valid(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestCompare(t *testing.T) {
	if Compare("2026-11-20T09:00:00Z", "2026-11-20T09:00:01Z") != -1 ||
		Compare("2026-11-20T09:00:00Z", "2026-11-20T09:00:00Z") != 0 ||
		Compare("2027-01-01T00:00:00Z", "2026-12-31T23:59:59Z") != 1 {
		t.Error("compare")
	}
}
