// Package verdict holds the severities of verdicts.md §1 and the record of one check.
package verdict

// Severity of a check (verdicts.md §1.1).
type Severity string

// The five severities, from best to worst.
const (
	OK            Severity = "ok"
	Warn          Severity = "warn"
	Untrusted     Severity = "untrusted"
	Indeterminate Severity = "indeterminate"
	Fail          Severity = "fail"
)

// Rank orders severities: ok 0 < warn 1 < untrusted 2 < indeterminate 3 < fail 4.
func (s Severity) Rank() int {
	switch s {
	case Warn:
		return 1
	case Untrusted:
		return 2
	case Indeterminate:
		return 3
	case Fail:
		return 4
	}
	return 0
}

// Finding is one recorded check: its code, severity, the subject it concerns (entry, line or
// key; may be empty) and an informative detail (for wrapped codes, the underlying code).
type Finding struct {
	Code     string
	Severity Severity
	Subject  string
	Detail   string
}
