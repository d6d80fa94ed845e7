//! The evidence a badge rests on and its criteria per framework (spec: badge-v0.md §3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{BadgeError, BadgeErrorKind};
use crate::jcs::Value;
use crate::ledger::Record;
use crate::policy::model::TableDoc;

/// A framework a badge speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    /// SOX ITGC program changes.
    Sox,
    /// PCI DSS v4.0.1.
    Pci,
    /// HIPAA security rule.
    Hipaa,
}

impl Framework {
    /// Parses `sox`, `pci` or `hipaa`.
    pub fn parse(name: &str) -> Result<Self, BadgeError> {
        match name {
            "sox" => Ok(Self::Sox),
            "pci" => Ok(Self::Pci),
            "hipaa" => Ok(Self::Hipaa),
            other => Err(BadgeError::new(
                BadgeErrorKind::Input,
                format!("unknown framework `{other}` (expected sox, pci or hipaa)"),
            )),
        }
    }

    /// The name in claims, e.g. `sox`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sox => "sox",
            Self::Pci => "pci",
            Self::Hipaa => "hipaa",
        }
    }

    /// The criterion ids of this framework, in claim order (badge-v0.md §3.3).
    pub const fn criteria(self) -> &'static [&'static str] {
        match self {
            Self::Sox => &[
                "evidence_verified",
                "tests_pass",
                "schema_changes_approved",
                "tickets_created",
            ],
            Self::Pci => &["evidence_verified", "daily_reviews", "data_tagged"],
            Self::Hipaa => &["evidence_verified", "phi_marked"],
        }
    }
}

/// A bundle the host verified, with what the criteria read from it.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleItem {
    /// The manifest's `bundle_id` (empty when the manifest did not read).
    pub bundle_id: String,
    /// SHA-256 of the bundle file, 64 lowercase hex.
    pub sha256: String,
    /// Whether the verdict was VALID.
    pub valid: bool,
    /// The manifest, when the manifest step passed.
    pub manifest: Option<Value>,
}

/// One item of evidence (badge-v0.md §3.1).
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A verified bundle.
    Bundle(BundleItem),
    /// A ledger record whose bundle was not given.
    Record(Record),
}

/// A ticket record line (badge-v0.md §3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRef {
    /// The bundle the ticket files.
    pub bundle_id: String,
    /// `servicenow` or `jira`.
    pub system: String,
    /// The ticket's number or key.
    pub ticket: String,
}

/// What `data_tagged` and `phi_marked` read from the given policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFacts {
    /// `sha256:<hex>` of the policy (policy-v1.md).
    pub hash: String,
    /// `data_platform.tables`.
    pub tables: Vec<TableDoc>,
    /// `compliance.frameworks`.
    pub frameworks: Vec<String>,
}

/// The ledger checkpoint a badge rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerRef {
    /// The checkpoint's origin.
    pub origin: String,
    /// Its tree size.
    pub size: u64,
    /// Its root hash, 64 lowercase hex.
    pub root: String,
}

/// Everything the criteria judge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvidenceSet {
    /// The items, bundles first in the order given, then ledger records.
    pub items: Vec<Item>,
    /// Ticket records, when given.
    pub tickets: Option<Vec<TicketRef>>,
    /// The policy, when given.
    pub policy: Option<PolicyFacts>,
    /// The ledger checkpoint, when a ledger was given.
    pub ledger: Option<LedgerRef>,
}

/// The result of one criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every judged item passed.
    Pass,
    /// Some judged item failed.
    Fail,
    /// No item could be judged.
    NotEvaluated,
}

/// One criterion's result in the claims (badge-v0.md §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// The criterion id, e.g. `tests_pass`.
    pub id: String,
    /// Its result.
    pub result: Outcome,
    /// Items judged.
    pub judged: u64,
    /// Items that failed.
    pub failed: u64,
    /// Plain-language reason.
    pub reason: String,
}

/// One item's judgement: `None` = not judged.
type Judge<'a> = &'a dyn Fn(&Item) -> Option<bool>;

/// Evaluates `framework`'s criteria over `set` (badge-v0.md §3.2–§3.3), in claim order.
pub fn evaluate(framework: Framework, set: &EvidenceSet) -> Result<Vec<Criterion>, BadgeError> {
    if set.items.is_empty() {
        return Err(BadgeError::new(
            BadgeErrorKind::Input,
            "no evidence: give bundles or a ledger with entries",
        ));
    }
    Ok(framework
        .criteria()
        .iter()
        .map(|id| criterion(id, set))
        .collect())
}

/// The status of a list of results (badge-v0.md §3.5).
pub fn status(criteria: &[Criterion]) -> &'static str {
    if criteria.iter().any(|c| c.result == Outcome::Fail) {
        "failing"
    } else if criteria.iter().any(|c| c.result == Outcome::NotEvaluated) {
        "incomplete"
    } else {
        "passing"
    }
}

fn criterion(id: &str, set: &EvidenceSet) -> Criterion {
    match id {
        "evidence_verified" => over(id, set, "bundles verified VALID", &|item| match item {
            Item::Bundle(b) => Some(b.valid),
            Item::Record(_) => Some(true),
        }),
        "tests_pass" => over(id, set, "bundles with all tests passing", &|item| {
            let tests = def(item)?.get("tests")?.as_array()?;
            Some(tests.iter().all(|t| {
                matches!(
                    t.get("status").and_then(Value::as_str),
                    Some("pass" | "warn" | "skipped")
                )
            }))
        }),
        "schema_changes_approved" => over(
            id,
            set,
            "bundles whose schema change is approved",
            &|item| {
                let manifest = manifest(item)?;
                let kind = manifest.get("change")?.get("kind")?.as_str()?;
                if kind != "schema" {
                    return Some(true);
                }
                let approvals = manifest.get("approvals")?;
                let required = approvals.get("required")?.as_u64()?;
                let listed = approvals.get("approvals").and_then(Value::as_array);
                let listed = listed.map_or(0, <[Value]>::len) as u64;
                Some(required >= 1 && listed >= required)
            },
        ),
        "tickets_created" => match &set.tickets {
            None => not_evaluated(
                id,
                "no ticket record given (clyra export --servicenow|--jira writes one)",
            ),
            Some(tickets) => over(id, set, "bundles with a ticket", &|item| match item {
                Item::Bundle(b) => Some(tickets.iter().any(|t| t.bundle_id == b.bundle_id)),
                Item::Record(r) => Some(tickets.iter().any(|t| t.bundle_id == r.bundle_id)),
            }),
        },
        "daily_reviews" => daily_reviews(set),
        "data_tagged" | "phi_marked" => match &set.policy {
            None => not_evaluated(
                id,
                "no policy given: classifications are read from its data_platform.tables",
            ),
            Some(policy) => {
                let hipaa = id == "phi_marked";
                if hipaa && !policy.frameworks.iter().any(|f| f == "hipaa") {
                    let mut c = over(id, set, "", &|_| Some(false));
                    c.reason = "the policy's compliance.frameworks does not list hipaa".into();
                    return c;
                }
                over(
                    id,
                    set,
                    "bundles whose changed relations are all classified",
                    &|item| {
                        let manifest = manifest(item)?;
                        let assets = manifest.get("def")?.get("assets")?.as_array()?;
                        let same_policy = manifest
                            .get("policy")
                            .and_then(|p| p.get("hash"))
                            .and_then(Value::as_str)
                            == Some(policy.hash.as_str());
                        Some(
                            same_policy
                                && assets.iter().all(|a| {
                                    a.get("relation").and_then(Value::as_str).is_some_and(|r| {
                                        policy.tables.iter().any(|t| table_matches(&t.name, r))
                                    })
                                }),
                        )
                    },
                )
            }
        },
        other => not_evaluated(other, "unknown criterion"),
    }
}

fn manifest(item: &Item) -> Option<&Value> {
    match item {
        Item::Bundle(b) => b.manifest.as_ref(),
        Item::Record(_) => None,
    }
}

fn def(item: &Item) -> Option<&Value> {
    manifest(item)?.get("def")
}

/// `pattern` names `table` exactly (ASCII case-insensitive, as warehouses fold), or is a prefix
/// ending in `*`.
fn table_matches(pattern: &str, table: &str) -> bool {
    let (pattern, table) = (pattern.to_ascii_lowercase(), table.to_ascii_lowercase());
    match pattern.strip_suffix('*') {
        Some(prefix) => table.starts_with(prefix),
        None => pattern == table,
    }
}

fn not_evaluated(id: &str, reason: &str) -> Criterion {
    Criterion {
        id: id.to_owned(),
        result: Outcome::NotEvaluated,
        judged: 0,
        failed: 0,
        reason: reason.to_owned(),
    }
}

/// Judges each item with `judge` and folds the results (badge-v0.md §3.2).
fn over(id: &str, set: &EvidenceSet, what: &str, judge: Judge<'_>) -> Criterion {
    let (mut judged, mut failed) = (0u64, 0u64);
    for item in &set.items {
        if let Some(ok) = judge(item) {
            judged += 1;
            failed += u64::from(!ok);
        }
    }
    let skipped = set.items.len() as u64 - judged;
    let result = match (judged, failed) {
        (0, _) => Outcome::NotEvaluated,
        (_, 0) => Outcome::Pass,
        _ => Outcome::Fail,
    };
    let mut reason = format!("{} of {judged} {what}", judged - failed);
    if judged == 0 {
        reason = "no item carries what this criterion reads".to_owned();
    }
    if skipped > 0 {
        reason.push_str(&format!(
            "; {skipped} item(s) not judged (ledger records or non-DEF bundles)"
        ));
    }
    Criterion {
        id: id.to_owned(),
        result,
        judged,
        failed,
        reason,
    }
}

/// `daily_reviews`: per UTC day with production items, one of them lists an approval.
fn daily_reviews(set: &EvidenceSet) -> Criterion {
    // day -> (production items, any approved)
    let mut days: BTreeMap<String, (u64, bool)> = BTreeMap::new();
    for item in &set.items {
        let (environment, created_at, approvals) = match item {
            Item::Bundle(b) => {
                let Some(m) = &b.manifest else { continue };
                let env = m
                    .get("change")
                    .and_then(|c| c.get("environment"))
                    .and_then(Value::as_str);
                let at = m.get("created_at").and_then(Value::as_str);
                let n = m
                    .get("approvals")
                    .and_then(|a| a.get("approvals"))
                    .and_then(Value::as_array)
                    .map_or(0, <[Value]>::len);
                match (env, at) {
                    (Some(e), Some(a)) => (e.to_owned(), a.to_owned(), n),
                    _ => continue,
                }
            }
            Item::Record(r) => (
                r.environment.clone(),
                r.created_at.clone(),
                r.approvals.len(),
            ),
        };
        if environment != "production" {
            continue;
        }
        let day = created_at.get(..10).unwrap_or_default().to_owned();
        let entry = days.entry(day).or_insert((0, false));
        entry.0 += 1;
        entry.1 |= approvals > 0;
    }
    let judged: u64 = days.values().map(|d| d.0).sum();
    let failed: u64 = days.values().filter(|d| !d.1).map(|d| d.0).sum();
    let bad_days = days.values().filter(|d| !d.1).count();
    if judged == 0 {
        return not_evaluated("daily_reviews", "no production change in the evidence");
    }
    Criterion {
        id: "daily_reviews".into(),
        result: if failed == 0 {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        judged,
        failed,
        reason: format!(
            "{} of {} days with production changes have a reviewed (approved) change",
            days.len() - bad_days,
            days.len()
        ),
    }
}
