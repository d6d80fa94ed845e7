//! Showback (docs/showback.md): one line per bundle of a daily review with the columns
//! `agent_id|run_id|date|risk_score|cost_attribution|framework_status`, as CSV for accounting
//! imports (QuickBooks, Xero) and as JSON beside it.

use serde::{Deserialize, Serialize};

use super::daily::{BundleFacts, DailyReview};

/// The CSV header, exactly.
pub const COLUMNS: [&str; 6] = [
    "agent_id",
    "run_id",
    "date",
    "risk_score",
    "cost_attribution",
    "framework_status",
];

/// One showback line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowbackLine {
    /// `change.actor`: the agent, person or service the run is charged to (empty when unknown).
    pub agent_id: String,
    /// The tool's run id (`def.run.invocation_id`), else the bundle id.
    pub run_id: String,
    /// The day the change was made, `YYYY-MM-DD` (from `created_at`).
    pub date: String,
    /// `risk.score` 0–100, absent when not recorded.
    pub risk_score: Option<u64>,
    /// `payout.payout_ref` (the chargeback record), empty when not recorded.
    pub cost_attribution: String,
    /// `compliant`, `exception`, `non_compliant` or `unverified` (docs/showback.md).
    pub framework_status: String,
}

/// The status of one bundle for accounting: `non_compliant` when it failed verification or an
/// approval, or an approver is its author; `unverified` when missing, altered, indeterminate or
/// signed by an untrusted key; `exception` when a policy exception applied; else `compliant`.
pub fn framework_status(f: &BundleFacts) -> &'static str {
    let approval_ok = f.approval_codes.is_empty() && f.approvals_counted >= f.approvals_required;
    match f.status.as_str() {
        "INVALID" => "non_compliant",
        _ if !f.sod_violations.is_empty() || !approval_ok => "non_compliant",
        "VALID" if !f.policy_exceptions.is_empty() => "exception",
        "VALID" => "compliant",
        _ => "unverified",
    }
}

/// The showback lines of `review`, in ledger order.
pub fn lines(review: &DailyReview) -> Vec<ShowbackLine> {
    review.bundles.iter().map(line).collect()
}

/// The showback line of one bundle's facts.
pub fn line(f: &BundleFacts) -> ShowbackLine {
    ShowbackLine {
        agent_id: f.actor.clone().unwrap_or_default(),
        run_id: f.run_id.clone(),
        date: f.created_at.get(..10).unwrap_or_default().to_owned(),
        risk_score: f.risk_score,
        cost_attribution: f.cost_attribution.clone().unwrap_or_default(),
        framework_status: framework_status(f).to_owned(),
    }
}

/// One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF; and prefixed with
/// `'` when it starts with `=`, `+`, `-`, `@`, tab or CR, so a spreadsheet never runs it as a
/// formula (OWASP CSV injection).
fn field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The lines as CSV: the header of [`COLUMNS`], then one row per line, CRLF line ends (RFC 4180).
pub fn to_csv(lines: &[ShowbackLine]) -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for l in lines {
        out.push_str(&csv_row(l));
    }
    out
}

/// One CSV row of [`to_csv`], with its CRLF.
pub fn csv_row(l: &ShowbackLine) -> String {
    let score = l.risk_score.map_or_else(String::new, |s| s.to_string());
    let row = [
        field(&l.agent_id),
        field(&l.run_id),
        field(&l.date),
        score,
        field(&l.cost_attribution),
        field(&l.framework_status),
    ];
    let mut out = row.join(",");
    out.push_str("\r\n");
    out
}

/// The lines as canonical JSON: `{"columns": [...], "lines": [...]}`.
pub fn to_json(lines: &[ShowbackLine]) -> Vec<u8> {
    let value = serde_json::json!({ "columns": COLUMNS, "lines": lines });
    super::canonical(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-1,2"), "\"'-1,2\"");
    }
}
