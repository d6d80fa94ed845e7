//! The daily review (spec: daily-review-v0.md): what an ITGC reviewer reads each morning about
//! the previous day's evidence, aggregated from the bundles one ledger lists for that day.
//!
//! Pure and streaming: a host verifies each bundle, reduces it with [`BundleFacts::of`] to a few
//! hundred bytes, and counts the facts in ledger order into a review ([`DailyReview::tally`]),
//! keeping each row out of memory and writing the outputs from it ([`super::stream`]). No bundle
//! is kept; memory grows with the findings, never with the number or size of bundles.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ledger::Record;
use crate::verdict::{Severity, Step};
use crate::verify::{Evidence, Verdict};

/// `type` of a daily review document.
pub const DAILY_REVIEW_TYPE: &str = "https://clyra.dev/daily-review/v0";

/// Default lowest score counted as high risk (daily-review-v0.md §4.6).
pub const DEFAULT_HIGH_RISK: u64 = 60;

/// What the host found for one ledger entry (daily-review-v0.md §3).
#[derive(Debug, Clone, Copy)]
pub enum EntryEvidence<'a> {
    /// `bundles/<sha256>.zip` is absent.
    Missing,
    /// A file is there, but its SHA-256 is not the one the record holds.
    DigestMismatch,
    /// The bundle was found and verified.
    Verified {
        /// Its verdict.
        verdict: &'a Verdict,
        /// The manifest and approvals the verifier read.
        evidence: &'a Evidence,
    },
}

/// One changed relation whose columns changed (`def.assets[]` with `change` `schema`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaMigration {
    /// The asset id.
    pub asset: String,
    /// The relation written, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// Columns only after the change.
    pub columns_added: Vec<String>,
    /// Columns only before the change.
    pub columns_removed: Vec<String>,
    /// Columns whose type or nullability changed.
    pub columns_changed: Vec<String>,
}

/// A row-count change of one asset, from a snapshot before and one after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowCountDelta {
    /// The asset id.
    pub asset: String,
    /// Rows in the earliest snapshot.
    pub before: i64,
    /// Rows in the latest snapshot.
    pub after: i64,
    /// `after - before`.
    pub delta: i64,
}

/// A dbt (or other tool) test that did not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestFailure {
    /// The test id.
    pub test: String,
    /// `fail`, `warn` or `error`.
    pub status: String,
    /// The tested asset, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// The failing-row count the tool reported, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<u64>,
}

/// A recorded policy decision an auditor reviews: an approved exception, a shadow or disabled
/// rule that would have acted, or a TCPA rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRow {
    /// The rule id.
    pub rule: String,
    /// `allow`, `deny`, `require_approval` or `require_two_person`.
    pub decision: String,
    /// `enforce`, `shadow` or `off`.
    pub mode: String,
    /// The evaluator's plain-language reason.
    pub reason: String,
}

/// One GenAI threat finding (`pef.threats[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatRow {
    /// OWASP Top 10 for LLM Applications id, e.g. `LLM01`.
    pub owasp_llm: String,
    /// MITRE ATLAS technique, when mapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlas: Option<String>,
    /// Confidence in percent.
    pub confidence: u64,
    /// The detector and its version.
    pub detector: String,
}

/// An approval whose approver is the change's author or deployer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SodViolation {
    /// The approval file.
    pub file: String,
    /// The approver's `sso_sub`, equal to `change.actor` or `change.deployer`.
    pub approver: String,
}

/// Everything the review needs of one ledger entry: its identity, the verdict in brief, and the
/// facts of its manifest. Serializable: it is also the per-bundle row of the review, the source
/// of showback lines and SIEM events, and the seam for a SOX roll-up attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFacts {
    /// The entry's index in the ledger.
    pub index: u64,
    /// The record's `bundle_id`.
    pub bundle_id: String,
    /// The record's SHA-256 of the bundle file.
    pub bundle_sha256: String,
    /// The record's `logged_at`.
    pub logged_at: String,
    /// The record's `created_at`.
    pub created_at: String,
    /// `def/v0` or `pef/v0`.
    pub format: String,
    /// `change.subject`.
    pub subject: String,
    /// `change.environment`.
    pub environment: String,
    /// `VALID`, `VALID_UNTRUSTED`, `INVALID`, `INDETERMINATE`, or `MISSING` / `DIGEST_MISMATCH`
    /// when the bundle could not be verified at all.
    pub status: String,
    /// The verdict's primary code (`ledger.bundle_missing` / `ledger.bundle_mismatch` otherwise).
    pub primary: String,
    /// `change.kind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `change.actor`: the author (a person, an agent or a service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// `change.deployer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployer: Option<String>,
    /// The tool's run id (`def.run.invocation_id`), else the bundle id.
    pub run_id: String,
    /// `risk.score`, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<u64>,
    /// `approvals.required`.
    pub approvals_required: u64,
    /// Approvals whose every check passed.
    pub approvals_counted: u64,
    /// Non-passing approval codes of the verdict, in order, without repeats.
    pub approval_codes: Vec<String>,
    /// Approvals by the author or deployer.
    pub sod_violations: Vec<SodViolation>,
    /// Schema changes.
    pub schema_migrations: Vec<SchemaMigration>,
    /// Row-count changes.
    pub row_count_deltas: Vec<RowCountDelta>,
    /// Tests that passed.
    pub tests_passed: u64,
    /// Tests skipped.
    pub tests_skipped: u64,
    /// Tests that did not pass (fail, warn, error).
    pub test_failures: Vec<TestFailure>,
    /// Enforce-mode decisions that required approval (exceptions granted by approval), and
    /// shadow- or off-mode decisions other than `allow` (the rule would have acted).
    pub policy_exceptions: Vec<DecisionRow>,
    /// Decisions of rules whose id starts with `tcpa`.
    pub tcpa_events: Vec<DecisionRow>,
    /// GenAI threat findings.
    pub threats: Vec<ThreatRow>,
    /// `payout.payout_ref`: the chargeback record the run is attributed to, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_attribution: Option<String>,
    /// `def.metrics.duration_ms`, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// `def.metrics.bytes_scanned`, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_scanned: Option<u64>,
}

fn s(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn u(v: &Value, pointer: &str) -> Option<u64> {
    v.pointer(pointer).and_then(Value::as_u64)
}

fn arr<'v>(v: &'v Value, pointer: &str) -> &'v [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn strings(v: &Value, pointer: &str) -> Vec<String> {
    arr(v, pointer)
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

impl BundleFacts {
    /// The facts of ledger entry `index` (`record`) given what the host found for its bundle.
    /// The manifest is read only when the verifier read it (`evidence.manifest`).
    pub fn of(index: u64, record: &Record, found: EntryEvidence<'_>) -> Self {
        let mut facts = Self {
            index,
            bundle_id: record.bundle_id.clone(),
            bundle_sha256: record.bundle_sha256.clone(),
            logged_at: record.logged_at.clone(),
            created_at: record.created_at.clone(),
            format: record.format.clone(),
            subject: record.subject.clone(),
            environment: record.environment.clone(),
            status: String::new(),
            primary: String::new(),
            kind: None,
            actor: None,
            deployer: None,
            run_id: record.bundle_id.clone(),
            risk_score: None,
            approvals_required: 0,
            approvals_counted: 0,
            approval_codes: Vec::new(),
            sod_violations: Vec::new(),
            schema_migrations: Vec::new(),
            row_count_deltas: Vec::new(),
            tests_passed: 0,
            tests_skipped: 0,
            test_failures: Vec::new(),
            policy_exceptions: Vec::new(),
            tcpa_events: Vec::new(),
            threats: Vec::new(),
            cost_attribution: None,
            duration_ms: None,
            bytes_scanned: None,
        };
        let (verdict, evidence) = match found {
            EntryEvidence::Missing => {
                facts.status = "MISSING".to_owned();
                facts.primary = "report.bundle_missing".to_owned();
                return facts;
            }
            EntryEvidence::DigestMismatch => {
                facts.status = "DIGEST_MISMATCH".to_owned();
                facts.primary = "ledger.bundle_mismatch".to_owned();
                return facts;
            }
            EntryEvidence::Verified { verdict, evidence } => (verdict, evidence),
        };
        facts.status = verdict.outcome.as_str().to_owned();
        facts.primary = verdict.primary.to_owned();
        for c in &verdict.checks {
            if c.step() == Step::Approvals
                && c.severity() != Severity::Ok
                && !facts.approval_codes.iter().any(|k| k == c.code())
            {
                facts.approval_codes.push(c.code().to_owned());
            }
        }
        let Some(m) = evidence.manifest.as_ref().and_then(super::manifest_value) else {
            return facts;
        };
        facts.read_manifest(&m);
        // An approval counts when the approvals step recorded nothing but `ok` for its file.
        facts.approvals_counted = evidence
            .approvals
            .iter()
            .filter(|a| {
                !verdict.checks.iter().any(|c| {
                    c.step() == Step::Approvals
                        && c.subject() == Some(a.file.as_str())
                        && c.severity() != Severity::Ok
                })
            })
            .count() as u64;
        for a in &evidence.approvals {
            let Some(sub) = &a.sso_sub else { continue };
            if Some(sub) == facts.actor.as_ref() || Some(sub) == facts.deployer.as_ref() {
                facts.sod_violations.push(SodViolation {
                    file: a.file.clone(),
                    approver: sub.clone(),
                });
            }
        }
        facts
    }

    fn read_manifest(&mut self, m: &Value) {
        self.kind = s(m, "/change/kind");
        self.actor = s(m, "/change/actor");
        self.deployer = s(m, "/change/deployer");
        if let Some(run) = s(m, "/def/run/invocation_id") {
            self.run_id = run;
        }
        self.risk_score = u(m, "/risk/score");
        self.approvals_required = u(m, "/approvals/required").unwrap_or(0);
        self.cost_attribution = s(m, "/payout/payout_ref");
        self.duration_ms = u(m, "/def/metrics/duration_ms");
        self.bytes_scanned = u(m, "/def/metrics/bytes_scanned");
        for a in arr(m, "/def/assets") {
            if a.get("change").and_then(Value::as_str) == Some("schema") {
                self.schema_migrations.push(SchemaMigration {
                    asset: s(a, "/id").unwrap_or_default(),
                    relation: s(a, "/relation"),
                    columns_added: strings(a, "/columns_added"),
                    columns_removed: strings(a, "/columns_removed"),
                    columns_changed: strings(a, "/columns_changed"),
                });
            }
        }
        self.row_count_deltas = row_count_deltas(arr(m, "/snapshots"));
        for t in arr(m, "/def/tests") {
            match t.get("status").and_then(Value::as_str) {
                Some("pass") => self.tests_passed += 1,
                Some("skipped") => self.tests_skipped += 1,
                Some(status) => self.test_failures.push(TestFailure {
                    test: s(t, "/id").unwrap_or_default(),
                    status: status.to_owned(),
                    asset: s(t, "/asset"),
                    failures: u(t, "/failures"),
                }),
                None => {}
            }
        }
        for d in arr(m, "/policy/decisions") {
            let row = DecisionRow {
                rule: s(d, "/rule").unwrap_or_default(),
                decision: s(d, "/decision").unwrap_or_default(),
                mode: s(d, "/mode").unwrap_or_default(),
                reason: s(d, "/reason").unwrap_or_default(),
            };
            let approved = row.mode == "enforce"
                && matches!(
                    row.decision.as_str(),
                    "require_approval" | "require_two_person"
                );
            let would_have_acted = row.mode != "enforce" && row.decision != "allow";
            if row.rule.to_ascii_lowercase().starts_with("tcpa") {
                self.tcpa_events.push(row.clone());
            }
            if approved || would_have_acted {
                self.policy_exceptions.push(row);
            }
        }
        for t in arr(m, "/pef/threats") {
            self.threats.push(ThreatRow {
                owasp_llm: s(t, "/owasp_llm/id").unwrap_or_default(),
                atlas: s(t, "/atlas"),
                confidence: u(t, "/confidence").unwrap_or(0),
                detector: s(t, "/detector").unwrap_or_default(),
            });
        }
    }

    /// Whether the entry is accounted for: found, intact and verified VALID or VALID_UNTRUSTED.
    pub fn accounted(&self) -> bool {
        matches!(self.status.as_str(), "VALID" | "VALID_UNTRUSTED")
    }
}

/// Row-count deltas per asset: the earliest and the latest snapshot of each asset with at least
/// two snapshots (def-v0.md §5.3), in order of first appearance.
fn row_count_deltas(snapshots: &[Value]) -> Vec<RowCountDelta> {
    // (asset, earliest (taken_at, rows), latest (taken_at, rows), snapshots seen)
    type Span = (String, (String, i64), (String, i64), usize);
    let mut by_asset: Vec<Span> = Vec::new();
    for snap in snapshots {
        let (Some(asset), Some(at), Some(rows)) = (
            s(snap, "/asset"),
            s(snap, "/taken_at"),
            snap.get("row_count").and_then(Value::as_i64),
        ) else {
            continue;
        };
        if let Some(entry) = by_asset.iter_mut().find(|e| e.0 == asset) {
            if at < entry.1 .0 {
                entry.1 = (at.clone(), rows);
            }
            if at >= entry.2 .0 {
                entry.2 = (at, rows);
            }
            entry.3 += 1;
        } else {
            by_asset.push((asset, (at.clone(), rows), (at, rows), 1));
        }
    }
    by_asset
        .into_iter()
        .filter(|e| e.3 >= 2)
        .map(|(asset, (_, before), (_, after), _)| RowCountDelta {
            asset,
            before,
            after,
            delta: after.saturating_sub(before),
        })
        .collect()
}

/// The `policy.hash` a bundle's manifest records, read from the container before verification so
/// a host given several policies can pass each bundle the one it was produced under
/// (daily-review-v0.md §2.1). `None` when the bundle or its manifest does not read, or records no
/// hash: verification then reports what is wrong.
pub fn recorded_policy_hash<R: std::io::Read + std::io::Seek>(
    source: R,
    len: u64,
    limits: &crate::Limits,
) -> Option<String> {
    let mut container = crate::bundle::Container::open(source, len, limits).ok()?;
    let index = container
        .entries()
        .iter()
        .position(|e| e.name == "manifest.json")?;
    let bytes = container
        .read_small_entry(index, limits.bundle_max_manifest_bytes)
        .ok()?;
    let manifest: Value = serde_json::from_slice(&bytes).ok()?;
    s(&manifest, "/policy/hash")
}

/// The ledger the review was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerSource {
    /// The checkpoint origin.
    pub origin: String,
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// The checkpoint's root hash, base64 as in the checkpoint.
    pub root: String,
}

/// Counts per verification status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Ledger entries of the day.
    pub entries: u64,
    /// VALID.
    pub valid: u64,
    /// VALID_UNTRUSTED.
    pub valid_untrusted: u64,
    /// INVALID.
    pub invalid: u64,
    /// INDETERMINATE.
    pub indeterminate: u64,
    /// Bundle file absent.
    pub missing: u64,
    /// Bundle file present with other bytes than logged.
    pub digest_mismatch: u64,
}

/// Risk scores in bands (daily-review-v0.md §4.6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskDistribution {
    /// 0–29.
    pub low: u64,
    /// 30–59.
    pub medium: u64,
    /// 60–79.
    pub high: u64,
    /// 80–100.
    pub critical: u64,
    /// No score recorded (or the manifest was not read).
    pub unscored: u64,
}

/// Test results summed over the day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestTotals {
    /// Passed.
    pub pass: u64,
    /// Failed.
    pub fail: u64,
    /// Passed with a warning.
    pub warn: u64,
    /// Errored.
    pub error: u64,
    /// Skipped.
    pub skipped: u64,
}

/// Approval compliance over the bundles that required approval.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalCompliance {
    /// Bundles with `approvals.required` ≥ 1.
    pub required: u64,
    /// Of those, bundles whose approvals step recorded no failure (every required approval
    /// counted).
    pub compliant: u64,
    /// `compliant / required` in basis points (10000 = 100 %), absent when none required approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bp: Option<u64>,
}

/// A finding about one bundle, with the bundle it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item<T> {
    /// The ledger index.
    pub index: u64,
    /// The bundle id.
    pub bundle_id: String,
    /// The finding.
    #[serde(flatten)]
    pub item: T,
}

/// A bundle that leaves the day incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Its status (`MISSING`, `DIGEST_MISMATCH`, `INVALID`, `INDETERMINATE`).
    pub status: String,
    /// The primary code.
    pub primary: String,
}

/// A high-risk change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HighRisk {
    /// The subject.
    pub subject: String,
    /// The score.
    pub score: u64,
    /// The author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Its verification status.
    pub status: String,
}

/// Approval problems of one bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalGap {
    /// `approvals.required`.
    pub required: u64,
    /// Approvals counted.
    pub counted: u64,
    /// The approval codes recorded.
    pub codes: Vec<String>,
}

/// The daily review (schema `daily-review-v0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyReview {
    /// Always [`DAILY_REVIEW_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The day reviewed, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Entries logged at or after this time…
    pub since: String,
    /// …and before this one.
    pub until: String,
    /// The verification time used for every bundle.
    pub verified_at: String,
    /// The ledger.
    pub ledger: LedgerSource,
    /// Lowest score listed under `high_risk`.
    pub high_risk_threshold: u64,
    /// Counts per status.
    pub totals: Totals,
    /// Whether every entry of the day is accounted for (found, intact, VALID or VALID_UNTRUSTED).
    pub complete: bool,
    /// The entries that are not.
    pub gaps: Vec<Item<Gap>>,
    /// Schema changes.
    pub schema_migrations: Vec<Item<SchemaMigration>>,
    /// Row-count changes.
    pub row_count_deltas: Vec<Item<RowCountDelta>>,
    /// Test totals.
    pub tests: TestTotals,
    /// Tests that did not pass.
    pub test_failures: Vec<Item<TestFailure>>,
    /// Approval compliance.
    pub approvals: ApprovalCompliance,
    /// Bundles requiring approval whose approvals did not all count.
    pub approval_gaps: Vec<Item<ApprovalGap>>,
    /// Approvals by the author or deployer.
    pub sod_violations: Vec<Item<SodViolation>>,
    /// Risk bands.
    pub risk: RiskDistribution,
    /// Changes at or above the threshold.
    pub high_risk: Vec<Item<HighRisk>>,
    /// Policy exceptions.
    pub policy_exceptions: Vec<Item<DecisionRow>>,
    /// GenAI threat findings.
    pub genai_threats: Vec<Item<ThreatRow>>,
    /// TCPA rule decisions.
    pub tcpa_events: Vec<Item<DecisionRow>>,
    /// One row per entry, in ledger order.
    pub bundles: Vec<BundleFacts>,
}

/// What the review is over: the day, the window, the time of verification and the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewScope {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `YYYY-MM-DDT00:00:00Z`.
    pub since: String,
    /// The next day's `T00:00:00Z`.
    pub until: String,
    /// The verification time.
    pub verified_at: String,
    /// The ledger.
    pub ledger: LedgerSource,
    /// Lowest high-risk score.
    pub high_risk_threshold: u64,
}

impl ReviewScope {
    /// The scope of day `date` (`YYYY-MM-DD`), or `None` when it is not a calendar date.
    pub fn of_day(
        date: &str,
        verified_at: String,
        ledger: LedgerSource,
        high_risk_threshold: u64,
    ) -> Option<Self> {
        let day: jiff::civil::Date = date.parse().ok()?;
        if day.to_string() != date {
            return None;
        }
        let next = day.tomorrow().ok()?;
        Some(Self {
            date: date.to_owned(),
            since: format!("{day}T00:00:00Z"),
            until: format!("{next}T00:00:00Z"),
            verified_at,
            ledger,
            high_risk_threshold,
        })
    }

    /// Whether a record logged at `logged_at` belongs to the day (`since` ≤ t < `until`, compared
    /// as the ledger's fixed-width UTC timestamps, as `clyra ledger list --since --until` does).
    pub fn contains(&self, logged_at: &str) -> bool {
        logged_at >= self.since.as_str() && logged_at < self.until.as_str()
    }
}

fn item<T>(f: &BundleFacts, item: T) -> Item<T> {
    Item {
        index: f.index,
        bundle_id: f.bundle_id.clone(),
        item,
    }
}

impl DailyReview {
    /// The review of `scope` over the facts of its entries, in ledger order, every row kept in
    /// `bundles`. A host with many entries uses [`Self::begin`], [`Self::tally`] and
    /// [`Self::close`] instead and keeps the rows elsewhere ([`super::stream`]).
    pub fn from_facts(scope: ReviewScope, facts: impl IntoIterator<Item = BundleFacts>) -> Self {
        let mut r = Self::begin(scope);
        for f in facts {
            r.tally(&f);
            r.bundles.push(f);
        }
        r.close();
        r
    }

    /// An empty review of `scope`, to [`Self::tally`] entries into, in ledger order.
    pub fn begin(scope: ReviewScope) -> Self {
        Self {
            kind: DAILY_REVIEW_TYPE.to_owned(),
            date: scope.date,
            since: scope.since,
            until: scope.until,
            verified_at: scope.verified_at,
            ledger: scope.ledger,
            high_risk_threshold: scope.high_risk_threshold,
            totals: Totals::default(),
            complete: true,
            gaps: Vec::new(),
            schema_migrations: Vec::new(),
            row_count_deltas: Vec::new(),
            tests: TestTotals::default(),
            test_failures: Vec::new(),
            approvals: ApprovalCompliance::default(),
            approval_gaps: Vec::new(),
            sod_violations: Vec::new(),
            risk: RiskDistribution::default(),
            high_risk: Vec::new(),
            policy_exceptions: Vec::new(),
            genai_threats: Vec::new(),
            tcpa_events: Vec::new(),
            bundles: Vec::new(),
        }
    }

    /// Counts one entry's facts into the totals and findings, without keeping its row: memory
    /// grows with the findings, not with the entries.
    pub fn tally(&mut self, f: &BundleFacts) {
        let t = &mut self.totals;
        t.entries += 1;
        match f.status.as_str() {
            "VALID" => t.valid += 1,
            "VALID_UNTRUSTED" => t.valid_untrusted += 1,
            "INVALID" => t.invalid += 1,
            "INDETERMINATE" => t.indeterminate += 1,
            "MISSING" => t.missing += 1,
            _ => t.digest_mismatch += 1,
        }
        if !f.accounted() {
            self.gaps.push(item(
                f,
                Gap {
                    status: f.status.clone(),
                    primary: f.primary.clone(),
                },
            ));
        }
        for m in &f.schema_migrations {
            self.schema_migrations.push(item(f, m.clone()));
        }
        for d in &f.row_count_deltas {
            self.row_count_deltas.push(item(f, d.clone()));
        }
        self.tests.pass += f.tests_passed;
        self.tests.skipped += f.tests_skipped;
        for t in &f.test_failures {
            match t.status.as_str() {
                "fail" => self.tests.fail += 1,
                "warn" => self.tests.warn += 1,
                _ => self.tests.error += 1,
            }
            self.test_failures.push(item(f, t.clone()));
        }
        if f.approvals_required > 0 {
            self.approvals.required += 1;
            if f.approval_codes.is_empty() && f.approvals_counted >= f.approvals_required {
                self.approvals.compliant += 1;
            } else {
                self.approval_gaps.push(item(
                    f,
                    ApprovalGap {
                        required: f.approvals_required,
                        counted: f.approvals_counted,
                        codes: f.approval_codes.clone(),
                    },
                ));
            }
        }
        for v in &f.sod_violations {
            self.sod_violations.push(item(f, v.clone()));
        }
        match f.risk_score {
            None => self.risk.unscored += 1,
            Some(0..=29) => self.risk.low += 1,
            Some(30..=59) => self.risk.medium += 1,
            Some(60..=79) => self.risk.high += 1,
            Some(_) => self.risk.critical += 1,
        }
        if let Some(score) = f.risk_score.filter(|s| *s >= self.high_risk_threshold) {
            self.high_risk.push(item(
                f,
                HighRisk {
                    subject: f.subject.clone(),
                    score,
                    actor: f.actor.clone(),
                    status: f.status.clone(),
                },
            ));
        }
        for d in &f.policy_exceptions {
            self.policy_exceptions.push(item(f, d.clone()));
        }
        for d in &f.threats {
            self.genai_threats.push(item(f, d.clone()));
        }
        for d in &f.tcpa_events {
            self.tcpa_events.push(item(f, d.clone()));
        }
    }

    /// Completes the review after the last [`Self::tally`]: the compliance rate and `complete`.
    pub fn close(&mut self) {
        self.approvals.rate_bp = (self.approvals.required > 0)
            .then(|| self.approvals.compliant * 10_000 / self.approvals.required);
        self.complete = self.gaps.is_empty();
    }

    /// The review as canonical JSON (RFC 8785), no trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        super::canonical(self)
    }

    /// The approval compliance rate as text, e.g. `97.50 %`, or `n/a`.
    pub fn rate_text(&self) -> String {
        self.approvals.rate_bp.map_or_else(
            || "n/a (no change required approval)".to_owned(),
            |bp| format!("{}.{:02} %", bp / 100, bp % 100),
        )
    }
}
