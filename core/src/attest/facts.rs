//! What one verified bundle contributes to an attestation: its verdict and the manifest facts of
//! attestation-v0.md §4.2, evaluated once per bundle so memory does not grow with bundle size.

use crate::digest::Sha256Digest;
use crate::jcs::Value;
use crate::verdict::Outcome;
use crate::verify::{ApprovalRecord, Verdict};

use super::Requirement;

/// A requirement's result for one bundle (attestation-v0.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Met {
    /// The requirement passes.
    Pass,
    /// It fails.
    Fail,
    /// It does not apply to this bundle.
    NotApplicable,
}

/// One bundle as an attestation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFacts {
    /// The subject name: the manifest's `bundle_id`, else the file name (attestation-v0.md §2.2).
    pub name: String,
    /// SHA-256 of the bundle file's bytes.
    pub sha256: Sha256Digest,
    /// The verdict's outcome.
    pub outcome: Outcome,
    /// The verdict's primary code.
    pub primary: &'static str,
    /// Whether the manifest step passed (the manifest facts below are known).
    pub manifest_read: bool,
    /// The manifest's `created_at`, when read.
    pub created_at: Option<String>,
    /// Results of every requirement but `retention`, in [`Requirement::ALL`] order.
    met: [Met; 11],
    /// The retention period in months (12·Y + M + ⌊D/30⌋), when recorded.
    retention_months: Option<u64>,
    /// Whether the manifest records an enforce-mode `require_approval`/`require_two_person`
    /// decision and at least one approval entry (§4.3 item 6).
    pub approved_exception: bool,
    /// The manifest's approval entries: (file, envelope digest).
    pub approvals: Vec<(String, String)>,
    /// The `seq` of each recorded policy decision that carries one.
    pub journal_seq: Vec<u64>,
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
}

fn array<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_array)
        .unwrap_or(&[])
}

fn uint(v: &Value, path: &[&str]) -> Option<u64> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_u64)
}

fn met(b: bool) -> Met {
    if b {
        Met::Pass
    } else {
        Met::Fail
    }
}

/// Months of an ISO 8601 period `PnYnMnD` (attestation-v0.md §4.2: 12·Y + M + ⌊D/30⌋).
pub(crate) fn period_months(period: &str) -> Option<u64> {
    let rest = period.strip_prefix('P')?;
    let (mut months, mut number) = (0u64, String::new());
    for ch in rest.chars() {
        if ch.is_ascii_digit() {
            number.push(ch);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        let add = match ch {
            'Y' => n.checked_mul(12)?,
            'M' => n,
            'D' => n / 30,
            _ => return None,
        };
        months = months.checked_add(add)?;
    }
    number.is_empty().then_some(months)
}

impl BundleFacts {
    /// The facts of a bundle named `file_name` whose bytes hash to `sha256`, from its verdict,
    /// the manifest when the manifest step passed, and the approval payloads as recorded.
    pub fn of(
        file_name: &str,
        sha256: Sha256Digest,
        verdict: &Verdict,
        manifest: Option<&Value>,
        approvals: &[ApprovalRecord],
    ) -> Self {
        let mut facts = BundleFacts {
            name: file_name.to_owned(),
            sha256,
            outcome: verdict.outcome,
            primary: verdict.primary,
            manifest_read: false,
            created_at: None,
            met: [Met::NotApplicable; 11],
            retention_months: None,
            approved_exception: false,
            approvals: Vec::new(),
            journal_seq: Vec::new(),
        };
        let Some(m) = manifest else {
            facts.set(Requirement::Verified, Met::Fail);
            return facts;
        };
        facts.manifest_read = true;
        if let Some(id) = text(m, &["bundle_id"]) {
            id.clone_into(&mut facts.name);
        }
        facts.created_at = text(m, &["created_at"]).map(str::to_owned);
        let format = text(m, &["format"]).unwrap_or("");
        let def = format == "def/v0";
        let production = text(m, &["change", "environment"]) == Some("production");
        let required = uint(m, &["approvals", "required"]).unwrap_or(0);
        let entries = array(m, &["approvals", "entries"]);
        let count = entries.len() as u64;
        facts.approvals = entries
            .iter()
            .map(|e| {
                (
                    text(e, &["file"]).unwrap_or("").to_owned(),
                    text(e, &["digest"]).unwrap_or("").to_owned(),
                )
            })
            .collect();
        let decisions = array(m, &["policy", "decisions"]);
        facts.journal_seq = decisions.iter().filter_map(|d| uint(d, &["seq"])).collect();
        let actor = text(m, &["change", "actor"]);
        let deployer = text(m, &["change", "deployer"]);
        let has_policy = text(m, &["policy", "hash"]).is_some();
        let enforced = decisions.iter().all(|d| {
            text(d, &["decision"]) == Some("allow") || text(d, &["mode"]) == Some("enforce")
        });
        let set = |facts: &mut BundleFacts, r: Requirement, v: Met| facts.set(r, v);

        set(
            &mut facts,
            Requirement::Verified,
            met(verdict.outcome == Outcome::Valid),
        );
        let approval_applies = production || required >= 1;
        if approval_applies {
            set(
                &mut facts,
                Requirement::Approval,
                met(required >= 1 && count >= required),
            );
            let distinct_roles = match (actor, deployer) {
                (Some(a), Some(d)) => a != d,
                _ => true,
            };
            let independent = approvals.iter().all(|a| {
                a.sso_sub
                    .as_deref()
                    .is_none_or(|s| Some(s) != actor && Some(s) != deployer)
            });
            set(
                &mut facts,
                Requirement::Sod,
                met(count >= 1 && distinct_roles && independent),
            );
        }
        if count >= 1 {
            set(
                &mut facts,
                Requirement::Mfa,
                met(approvals.len() as u64 == count
                    && approvals.iter().all(|a| a.mfa_verified == Some(true))),
            );
        }
        if required == 2 {
            set(&mut facts, Requirement::TwoPerson, met(count >= 2));
        }
        if def {
            let tests = array(m, &["def", "tests"]);
            let failing = tests
                .iter()
                .any(|t| matches!(text(t, &["status"]), Some("fail" | "error")));
            set(
                &mut facts,
                Requirement::Tests,
                met(!tests.is_empty() && !failing),
            );
            set(
                &mut facts,
                Requirement::Anchors,
                met(!array(m, &["anchors"]).is_empty()),
            );
        }
        set(&mut facts, Requirement::Policy, met(has_policy));
        if !decisions.is_empty() {
            set(&mut facts, Requirement::Enforce, met(enforced));
        }
        let calls = format == "pef/v0"
            && array(m, &["pef", "operations"])
                .iter()
                .any(|op| text(op, &["target"]).is_some_and(|t| t.starts_with("tel:")));
        if calls {
            set(&mut facts, Requirement::Voice, met(has_policy && enforced));
        }
        facts.retention_months = text(m, &["retention", "period"]).and_then(period_months);
        facts.approved_exception = count >= 1
            && decisions.iter().any(|d| {
                text(d, &["mode"]) == Some("enforce")
                    && matches!(
                        text(d, &["decision"]),
                        Some("require_approval" | "require_two_person")
                    )
            });
        facts
    }

    fn set(&mut self, r: Requirement, v: Met) {
        if let Some(slot) = self.met.get_mut(r as usize) {
            *slot = v;
        }
    }

    /// The result of requirement `r` for this bundle, `retention` judged against `min_months`.
    pub fn met(&self, r: Requirement, min_months: u64) -> Met {
        if r == Requirement::Retention {
            if !self.manifest_read {
                return Met::Fail;
            }
            return met(self.retention_months.is_some_and(|m| m >= min_months));
        }
        self.met
            .get(r as usize)
            .copied()
            .unwrap_or(Met::NotApplicable)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::period_months;

    #[test]
    fn periods_count_months() {
        assert_eq!(period_months("P7Y"), Some(84));
        assert_eq!(period_months("P1Y6M"), Some(18));
        assert_eq!(period_months("P45D"), Some(1));
        assert_eq!(period_months("P6M29D"), Some(6));
        assert_eq!(period_months("7Y"), None);
        assert_eq!(period_months("P7"), None);
        assert_eq!(period_months("P7W"), None);
    }
}
