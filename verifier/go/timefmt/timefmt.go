// Package timefmt implements the timestamps of bundle-v0.md §1.2 and trust-v0.md: the pattern
// `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`, calendar validity in the proleptic
// Gregorian calendar without leap seconds, and comparison as strings (for this form byte order is
// time order).
package timefmt

// MatchesPattern reports whether s has the timestamp form (20 bytes, digits where the pattern
// has [0-9], the literal separators elsewhere). It says nothing about calendar validity.
func MatchesPattern(s string) bool {
	const shape = "dddd-dd-ddTdd:dd:ddZ"
	if len(s) != len(shape) {
		return false
	}
	for i := 0; i < len(shape); i++ {
		c := s[i]
		if shape[i] == 'd' {
			if c < '0' || c > '9' {
				return false
			}
		} else if c != shape[i] {
			return false
		}
	}
	return true
}

func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// Valid reports whether s matches the pattern and is a valid time: month 01–12, day within the
// month (29 February only in leap years), hour 00–23, minute 00–59, second 00–59.
func Valid(s string) bool {
	if !MatchesPattern(s) {
		return false
	}
	year, month, day := num(s[0:4]), num(s[5:7]), num(s[8:10])
	hour, minute, second := num(s[11:13]), num(s[14:16]), num(s[17:19])
	if month < 1 || month > 12 || day < 1 || day > DaysIn(year, month) {
		return false
	}
	return hour <= 23 && minute <= 59 && second <= 59
}

// DaysIn returns the number of days of month (1–12) of year in the proleptic Gregorian calendar.
func DaysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Compare compares two timestamps as strings: -1 when a is earlier, 0 when equal, +1 when later.
// Both are expected to match the pattern.
func Compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
