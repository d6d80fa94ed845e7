//! The policy document as typed data (policy-v1.md §3), read after the schema accepted it.

use serde::{Deserialize, Serialize};

use super::tcpa::{LocalTime, Window};
use crate::risk::{default_weights, Weights};

/// A decision a rule (or the default) makes (bundle-v0.md §5.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Go ahead after one counted approval.
    RequireApproval,
    /// Go ahead after two counted approvals from two different people (two-person rule).
    RequireTwoPerson,
    /// Stop.
    Deny,
}

impl Decision {
    /// The recorded name, e.g. `require_approval`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::RequireApproval => "require_approval",
            Self::RequireTwoPerson => "require_two_person",
        }
    }

    /// Approvals the decision needs: the manifest's `approvals.required` (approval-v0.md §4.3).
    pub const fn approvals(self) -> u8 {
        match self {
            Self::RequireApproval => 1,
            Self::RequireTwoPerson => 2,
            Self::Allow | Self::Deny => 0,
        }
    }

    /// Whether the change cannot go ahead as it is (deny, or approvals still missing).
    pub const fn blocks(self) -> bool {
        !matches!(self, Self::Allow)
    }
}

/// How a rule or section is applied (policy-v1.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Not evaluated; recorded nowhere.
    Off,
    /// Evaluated and recorded; never decides.
    Shadow,
    /// Evaluated; the first matching rule decides.
    Enforce,
}

impl Mode {
    /// The recorded name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Shadow => "shadow",
            Self::Off => "off",
        }
    }
}

/// One rule as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    /// Unique id, recorded in `policy.decisions`.
    pub id: String,
    /// What the rule is for.
    #[serde(default)]
    pub description: Option<String>,
    /// The CEL condition.
    pub when: String,
    /// What a match decides.
    pub decision: Decision,
    /// The rule's own mode (the section's when absent).
    #[serde(default)]
    pub mode: Option<Mode>,
    /// The plain-language reason recorded with the decision.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A table's classification (`data_platform.tables`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDoc {
    /// Table name; a trailing `*` matches any suffix (`shop.customers_*`).
    pub name: String,
    /// `pii`, `phi`, `pci`, `confidential`, `internal` or `public`.
    pub classification: String,
}

/// Members every rule-bearing section shares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SectionDoc {
    /// The section's mode (default `enforce`).
    #[serde(default)]
    pub mode: Option<Mode>,
    /// The section's rules, in evaluation order.
    #[serde(default)]
    pub rules: Vec<RuleDoc>,
    /// Everything else, read by hosts (schema-checked; see policy-v1.md §3).
    #[serde(flatten)]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

/// `compliance.retention`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionDoc {
    /// ISO 8601 period, e.g. `P7Y`.
    pub period: String,
    /// Whether a legal hold applies.
    #[serde(default)]
    pub legal_hold: Option<bool>,
}

/// `compliance.risk`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskDoc {
    /// Weights overriding risk-v1.md §2.1 defaults, by name.
    #[serde(default)]
    pub weights: std::collections::BTreeMap<String, u64>,
    /// Score thresholds.
    #[serde(default)]
    pub thresholds: Thresholds,
}

/// Risk score thresholds (`compliance.risk.thresholds`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// A score at or above this asks for review.
    #[serde(default)]
    pub review: Option<u64>,
    /// A score at or above this blocks.
    #[serde(default)]
    pub block: Option<u64>,
}

/// The `compliance` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceDoc {
    /// Frameworks in scope, e.g. `sox`.
    #[serde(default)]
    pub frameworks: Vec<String>,
    /// Evidence retention.
    #[serde(default)]
    pub retention: Option<RetentionDoc>,
    /// Risk weights and thresholds that `risk/v1` uses.
    #[serde(default)]
    pub risk: RiskDoc,
}

/// The whole document.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// Always 1.
    pub version: u8,
    /// A name for people.
    #[serde(default)]
    pub name: Option<String>,
    /// The decision when no enforced rule matches (default `allow`).
    #[serde(default)]
    pub default_decision: Option<Decision>,
    /// dbt, warehouse guards, approvals, activation, environments, table classes.
    #[serde(default)]
    pub data_platform: Option<SectionDoc>,
    /// GenAI detectors, thresholds, kill switch.
    #[serde(default)]
    pub genai_security: Option<SectionDoc>,
    /// TCPA calling window, disclaimer, consent, opt-out.
    #[serde(default)]
    pub voice_compliance: Option<SectionDoc>,
    /// Idempotency, rate limits, tenant fencing, loop breaker.
    #[serde(default)]
    pub enforcement: Option<SectionDoc>,
    /// Frameworks, retention, risk weights and thresholds.
    #[serde(default)]
    pub compliance: Option<ComplianceDoc>,
}

/// The rule-bearing sections, in evaluation order (policy-v1.md §8).
pub const SECTIONS: [&str; 4] = [
    "data_platform",
    "genai_security",
    "voice_compliance",
    "enforcement",
];

impl PolicyDoc {
    /// The section named `name` (one of [`SECTIONS`]).
    pub fn section(&self, name: &str) -> Option<&SectionDoc> {
        match name {
            "data_platform" => self.data_platform.as_ref(),
            "genai_security" => self.genai_security.as_ref(),
            "voice_compliance" => self.voice_compliance.as_ref(),
            "enforcement" => self.enforcement.as_ref(),
            _ => None,
        }
    }

    /// The decision when no enforced rule matches.
    pub fn default_decision(&self) -> Decision {
        self.default_decision.unwrap_or(Decision::Allow)
    }

    /// The classified tables of `data_platform.tables`.
    pub fn tables(&self) -> Vec<TableDoc> {
        self.data_platform
            .as_ref()
            .and_then(|s| s.settings.get("tables"))
            .and_then(|t| serde_json::from_value(t.clone()).ok())
            .unwrap_or_default()
    }

    /// Whether `table` is classified `pii` (a `*` at the end of a name matches any suffix).
    pub fn is_pii_table(&self, table: &str) -> bool {
        let Some(tables) = self
            .data_platform
            .as_ref()
            .and_then(|s| s.settings.get("tables"))
            .and_then(serde_json::Value::as_array)
        else {
            return false;
        };
        tables.iter().any(|t| {
            t.get("classification").and_then(serde_json::Value::as_str) == Some("pii")
                && t.get("name")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|name| table_matches(name, table))
        })
    }

    /// `voice_compliance.calling_window`, or the TCPA default 08:00–21:00.
    pub fn calling_window(&self) -> Window {
        let window = self
            .voice_compliance
            .as_ref()
            .and_then(|s| s.settings.get("calling_window"));
        let at = |key: &str| {
            window
                .and_then(|w| w.get(key))
                .and_then(serde_json::Value::as_str)
                .and_then(LocalTime::parse)
        };
        match (at("start"), at("end")) {
            (Some(start), Some(end)) => Window { start, end },
            _ => Window::TCPA,
        }
    }

    /// The risk weights `risk/v1` uses: risk-v1.md §2.1 defaults, overridden by
    /// `compliance.risk.weights`.
    pub fn risk_weights(&self) -> Weights {
        let mut w = default_weights();
        let Some(given) = self.compliance.as_ref().map(|c| &c.risk.weights) else {
            return w;
        };
        for (name, value) in given {
            let slot = match name.as_str() {
                "magnitude_schema" => &mut w.magnitude_schema,
                "magnitude_data" => &mut w.magnitude_data,
                "magnitude_config" => &mut w.magnitude_config,
                "violation_critical" => &mut w.violation_critical,
                "violation_warning" => &mut w.violation_warning,
                "production" => &mut w.production,
                "off_hours" => &mut w.off_hours,
                "approval_bypassed" => &mut w.approval_bypassed,
                "threat" => &mut w.threat,
                "sql_finding" => &mut w.sql_finding,
                "first_time_actor" => &mut w.first_time_actor,
                _ => continue,
            };
            *slot = *value;
        }
        w
    }

    /// `compliance.risk.thresholds`.
    pub fn risk_thresholds(&self) -> Thresholds {
        self.compliance
            .as_ref()
            .map(|c| c.risk.thresholds)
            .unwrap_or_default()
    }
}

/// `pattern` names `table` exactly, or is a prefix ending in `*`.
pub(crate) fn table_matches(pattern: &str, table: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => table.starts_with(prefix),
        None => pattern == table,
    }
}
