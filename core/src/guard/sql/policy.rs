//! What a policy may say to the SQL guard: allowlists, severity overrides and the
//! rows-affected limit (guard-sql.md §5). The policy file feeds this struct.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::finding::{Finding, Rule, Severity};
use super::SqlError;

/// The SQL part of a policy. Deserializes from JSON or YAML with unknown members rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlPolicy {
    /// Findings to allow: a rule id and, optionally, the objects it is allowed on.
    #[serde(default)]
    pub allow: Vec<AllowEntry>,
    /// Severity overrides by rule id (`{"sql.grant": "error"}`).
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Most rows one statement may affect; more is a `sql.rows_affected_limit` finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows_affected: Option<u64>,
    /// Which statements the parser cannot read block (guard-sql.md §3.3).
    #[serde(default, skip_serializing_if = "Unreadable::is_default")]
    pub unreadable: Unreadable,
}

/// Which statements the parser cannot read are errors (guard-sql.md §3.3). A statement whose
/// tokens show a destructive kind is an error under every choice; one whose kind is unknown is
/// `sql.parse_error`, also always an error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unreadable {
    /// Only destructive kinds block; read-only, session and write kinds are `info`.
    #[default]
    Destructive,
    /// Destructive and write kinds block; read-only and session kinds are `info`.
    Writes,
    /// Every statement the parser cannot read blocks.
    All,
}

impl Unreadable {
    /// Whether this is the default (`destructive`).
    pub fn is_default(&self) -> bool {
        *self == Self::Destructive
    }

    /// The lowercase name (`destructive`, `writes`, `all`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Destructive => "destructive",
            Self::Writes => "writes",
            Self::All => "all",
        }
    }
}

/// One allowlist entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    /// The rule id allowed, e.g. `sql.truncate`.
    pub rule: String,
    /// Object patterns (`staging.*`, `*_tmp`); empty allows the rule everywhere. `*` matches
    /// any characters, case is ignored, and a pattern matches a name or any dotted suffix of
    /// it (`orders` matches `analytics.shop.orders`).
    #[serde(default)]
    pub objects: Vec<String>,
}

/// Rules that say the guard could not judge a statement: never allowed, never downgraded.
const UNJUDGED: [Rule; 6] = [
    Rule::ParseError,
    Rule::UnreadableDestructive,
    Rule::TooLarge,
    Rule::StatementTooLarge,
    Rule::TooManyStatements,
    Rule::TooDeep,
];

impl SqlPolicy {
    /// Checks every rule id and pattern; a policy that fails here is `sql.policy`.
    pub fn validate(&self) -> Result<(), SqlError> {
        for entry in &self.allow {
            let rule = known(&entry.rule)?;
            judged_by_knob(rule)?;
            if UNJUDGED.contains(&rule) {
                return Err(SqlError::Policy(format!(
                    "`{}` cannot be allowed: the statement was not judged",
                    entry.rule
                )));
            }
            if entry.objects.iter().any(String::is_empty) {
                return Err(SqlError::Policy(format!(
                    "an object pattern of `{}` is empty",
                    entry.rule
                )));
            }
        }
        for (id, severity) in &self.severity {
            let rule = known(id)?;
            judged_by_knob(rule)?;
            if UNJUDGED.contains(&rule) && *severity != Severity::Error {
                return Err(SqlError::Policy(format!(
                    "`{id}` is always an error: the statement was not judged"
                )));
            }
        }
        Ok(())
    }

    /// The severity of `rule` under this policy.
    pub fn severity_of(&self, rule: Rule) -> Severity {
        self.severity
            .get(rule.id())
            .copied()
            .unwrap_or_else(|| rule.default_severity())
    }

    /// Whether the allowlist covers `finding`.
    pub fn allows(&self, finding: &Finding) -> bool {
        self.allow.iter().any(|entry| {
            entry.rule == finding.rule.id()
                && (entry.objects.is_empty()
                    || finding
                        .object
                        .as_deref()
                        .is_some_and(|o| entry.objects.iter().any(|p| matches_object(p, o))))
        })
    }
}

/// `sql.unreadable_judged` takes its severity from `unreadable` only.
fn judged_by_knob(rule: Rule) -> Result<(), SqlError> {
    if rule == Rule::UnreadableJudged {
        return Err(SqlError::Policy(
            "`sql.unreadable_judged` is set by `unreadable`, not allowed or overridden".to_owned(),
        ));
    }
    Ok(())
}

fn known(id: &str) -> Result<Rule, SqlError> {
    Rule::from_id(id).ok_or_else(|| SqlError::Policy(format!("unknown rule `{id}`")))
}

/// Whether `pattern` matches `name` or one of its dotted suffixes, ignoring ASCII case.
pub(crate) fn matches_object(pattern: &str, name: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let name = name.to_ascii_lowercase();
    let mut suffix = name.as_str();
    loop {
        if glob(pattern.as_bytes(), suffix.as_bytes()) {
            return true;
        }
        match suffix.split_once('.') {
            Some((_, rest)) => suffix = rest,
            None => return false,
        }
    }
}

/// `*`-only glob, linear time (greedy with one backtrack point).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if Some(c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names_and_suffixes() {
        assert!(matches_object("staging.*", "analytics.staging.orders"));
        assert!(matches_object("ORDERS", "analytics.staging.orders"));
        assert!(matches_object("*_tmp", "s.t_tmp"));
        assert!(matches_object("*", "x"));
        assert!(!matches_object("staging.*", "analytics.prod.orders"));
        assert!(!matches_object("orders", "orders_v2"));
        assert!(matches_object("a*b*c", "axxbyyc"));
        assert!(!matches_object("a*b*c", "axxbyy"));
    }

    #[test]
    fn unknown_and_unjudged_rules_are_refused() {
        let p: SqlPolicy = serde_json::from_str(r#"{"allow":[{"rule":"sql.nope"}]}"#).unwrap();
        assert_eq!(crate::Coded::code(&p.validate().unwrap_err()), "sql.policy");
        let p: SqlPolicy =
            serde_json::from_str(r#"{"allow":[{"rule":"sql.parse_error"}]}"#).unwrap();
        assert!(p.validate().is_err());
        let p: SqlPolicy = serde_json::from_str(r#"{"severity":{"sql.too_deep":"info"}}"#).unwrap();
        assert!(p.validate().is_err());
        let p: SqlPolicy =
            serde_json::from_str(r#"{"allow":[{"rule":"sql.truncate","objects":[""]}]}"#).unwrap();
        assert!(p.validate().is_err());
        assert!(serde_json::from_str::<SqlPolicy>(r#"{"alow":[]}"#).is_err());
        let ok: SqlPolicy = serde_json::from_str(
            r#"{"allow":[{"rule":"sql.truncate","objects":["staging.*"]}],"severity":{"sql.grant":"error"},"max_rows_affected":10}"#,
        )
        .unwrap();
        ok.validate().unwrap();
        assert_eq!(ok.severity_of(Rule::Grant), Severity::Error);
        assert_eq!(ok.severity_of(Rule::Revoke), Severity::Warning);
    }
}
