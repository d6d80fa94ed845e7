//! How a verdict is printed by every verifier host: the human text and the JSON line of
//! `clyra verify` (verdicts.md §3), shared so that `clyra`, `npx clyra-verify` and the browser
//! page print the same bytes for the same verdict.

use crate::audit::AuditReport;
use crate::display::escape;
use crate::jcs::{self, Value};
use crate::limits::Limits;
use crate::verdict::Severity;

use super::Verdict;

impl Verdict {
    /// The verdict for people: `<name>: OUTCOME (primary) at <at>`, one line per check, then
    /// `exit N`. `name` is the bundle or receipt as the user named it. Subjects and messages quote
    /// the evidence, so they are escaped (verdicts.md §3.3).
    pub fn to_text(&self, name: &str, at: &str) -> String {
        let mut out = format!(
            "{}: {} ({}) at {}\n",
            escape(name),
            self.outcome,
            self.primary,
            escape(at)
        );
        for check in &self.checks {
            let label = match check.severity() {
                Severity::Ok => "ok",
                Severity::Warn => "warn",
                Severity::Untrusted => "untrusted",
                Severity::Indeterminate => "INDETERMINATE",
                Severity::Fail => "FAIL",
            };
            let code = if check.code() == "ok" {
                String::new()
            } else {
                format!(" [{}]", check.code())
            };
            let subject = check
                .subject()
                .map(|s| format!(" {}:", escape(s)))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {label:<13} {:<10}{subject} {}{code}\n",
                check.step().as_str(),
                escape(check.message())
            ));
        }
        out.push_str(&self.not_covered_text());
        out.push_str(&format!("exit {}\n", self.exit));
        out
    }

    /// For a receipt verdict, what it does not cover, in words (verdicts.md §3.2); empty otherwise.
    fn not_covered_text(&self) -> String {
        if self.not_covered.is_empty() {
            return String::new();
        }
        let steps: Vec<&str> = self
            .not_covered
            .iter()
            .map(|s| {
                if *s == "journal" {
                    "journal (other lines)"
                } else {
                    s
                }
            })
            .collect();
        format!(
            "  NOT COVERED   {}: a receipt proves one event's inclusion in a signed bundle, not the \
             bundle's verdict (its approvals may fail); verify the bundle itself for these\n",
            steps.join(", ")
        )
    }

    /// The verdict JSON of verdicts.md §3 with the optional, informative `audit` member of the
    /// auditor view when `report` is given (canonical form, no trailing newline).
    pub fn to_json_with_audit(&self, report: Option<&AuditReport>) -> Vec<u8> {
        let Some(report) = report else {
            return self.to_json();
        };
        match jcs::parse(&self.to_json(), &Limits::default()) {
            Ok(Value::Object(mut top)) => {
                top.insert("audit", report.to_value());
                jcs::to_vec(&Value::from(top))
            }
            _ => self.to_json(),
        }
    }

    /// What `clyra verify` prints on stdout: the JSON line (`json`) or the human text, followed by
    /// the auditor view's text when `report` is given.
    pub fn to_output(
        &self,
        report: Option<&AuditReport>,
        name: &str,
        at: &str,
        json: bool,
    ) -> String {
        if json {
            let mut line = String::from_utf8_lossy(&self.to_json_with_audit(report)).into_owned();
            line.push('\n');
            return line;
        }
        let mut text = self.to_text(name, at);
        if let Some(report) = report {
            text.push('\n');
            text.push_str(&report.to_text());
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use crate::verdict::{Check, Step};

    use super::Verdict;

    #[test]
    fn text_lists_every_check_and_the_exit() {
        let verdict = Verdict::from_checks(vec![Check::ok(Step::Container)
            .with_subject("zip")
            .with_message("well formed")]);
        let text = verdict.to_text("b.zip", "2026-12-01T00:00:00Z");
        assert_eq!(
            text,
            "b.zip: VALID (ok) at 2026-12-01T00:00:00Z\n  ok            container  zip: well formed\nexit 0\n"
        );
        assert!(verdict
            .to_output(None, "b.zip", "t", true)
            .starts_with("{\"checks\""));
    }
}
