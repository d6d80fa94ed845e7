//! The policy engine (policy-v1.md): a `.clyra/policy.yaml` file loaded strictly, its rules'
//! CEL conditions compiled once, evaluated over documented facts into a decision with its
//! reason; shadow rules recorded but never deciding; HITL checkpoints with resume tokens; lint
//! findings with fixes; starter policies.
//!
//! Policy hash = `sha256:` of the JCS of the document as written (the YAML read as JSON).
//! Verifiers compare hashes; they never re-evaluate rules (decisions are signed evidence).

pub mod cel;
pub mod checkpoint;
mod error;
pub mod eval;
pub mod facts;
pub mod init;
pub mod lint;
pub mod model;
mod plan;
mod schema;
pub mod tcpa;
pub mod yaml;

use std::sync::Arc;

pub use error::{Location, PolicyError, PolicyErrorKind};
pub use eval::{evaluate, evaluate_sections, Evaluation, RuleOutcome};
pub use model::{Decision, Mode, PolicyDoc};
pub use schema::{PolicySchema, POLICY_SCHEMA};

use self::cel::{Condition, PolicyLimits};
use crate::digest::Sha256Digest;
use crate::jcs::{self, Value};
use crate::limits::Limits;

/// One compiled rule, with the mode it is applied in.
#[derive(Debug)]
pub struct Rule {
    /// The rule id.
    pub id: String,
    /// The section it belongs to (one of [`model::SECTIONS`]).
    pub section: &'static str,
    /// Its index in the section's `rules`.
    pub index: usize,
    /// What a match decides.
    pub decision: Decision,
    /// The effective mode: the weaker of the rule's and its section's (off < shadow < enforce).
    pub mode: Mode,
    /// The plain-language reason (the rule's `reason`, else its `description`, else its id).
    pub reason: String,
    /// The compiled condition.
    pub condition: Condition,
}

impl Rule {
    /// The JSON pointer of the rule in the document.
    pub fn pointer(&self) -> String {
        format!("/{}/rules/{}", self.section, self.index)
    }
}

/// A loaded policy: the document, its canonical form and hash, and the compiled rules in
/// evaluation order.
pub struct Policy {
    doc: PolicyDoc,
    value: Value,
    canonical: Vec<u8>,
    hash: Sha256Digest,
    /// `hash` as `sha256:…`, made once (every evaluation reports it).
    hash_prefixed: String,
    spans: yaml::Spans,
    rules: Vec<Rule>,
    env: Arc<::cel::Env>,
    limits: PolicyLimits,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("hash", &self.hash.to_prefixed())
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// Loads policy text (YAML subset or JSON) named `file` in errors: size (L36), YAML subset,
    /// schema, unique rule ids, then every condition. The first problem is returned; use
    /// [`lint::lint`] to see them all.
    pub fn load(text: &[u8], file: &str, limits: &Limits) -> Result<Self, PolicyError> {
        let (value, spans) = read(text, file, limits)?;
        let schema = PolicySchema::new()?;
        let instance = to_serde(&value)?;
        if let Some(first) = schema.errors(&instance, &spans).into_iter().next() {
            return Err(first);
        }
        Self::from_checked(value, instance, spans, limits).map_err(|mut errors| {
            errors.truncate(1);
            errors.pop().unwrap_or_else(|| {
                PolicyError::new(PolicyErrorKind::Schema, "the policy could not be read")
            })
        })
    }

    /// Builds a policy from a schema-valid document; every rule problem found, in order.
    pub(crate) fn from_checked(
        value: Value,
        instance: serde_json::Value,
        spans: yaml::Spans,
        limits: &Limits,
    ) -> Result<Self, Vec<PolicyError>> {
        let doc: PolicyDoc = serde_json::from_value(instance).map_err(|e| {
            vec![PolicyError::new(
                PolicyErrorKind::Schema,
                format!("the policy does not match its schema: {e}"),
            )]
        })?;
        let env = cel::environment();
        let policy_limits = PolicyLimits::of(limits);
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        let mut total = 0usize;
        for section in model::SECTIONS {
            let Some(doc_section) = doc.section(section) else {
                continue;
            };
            let section_mode = doc_section.mode.unwrap_or(Mode::Enforce);
            for (index, r) in doc_section.rules.iter().enumerate() {
                total += 1;
                let pointer = format!("/{section}/rules/{index}");
                if total > limits.policy_max_rules {
                    errors.push(
                        PolicyError::new(
                            PolicyErrorKind::Schema,
                            format!("more than {} rules", limits.policy_max_rules),
                        )
                        .at(spans.locate(&pointer))
                        .with_pointer(pointer.clone()),
                    );
                    break;
                }
                if rules.iter().any(|other: &Rule| other.id == r.id) {
                    errors.push(
                        PolicyError::new(
                            PolicyErrorKind::DuplicateRule,
                            format!("rule id `{}` is used twice", r.id),
                        )
                        .at(spans.locate(&format!("{pointer}/id")))
                        .with_pointer(format!("{pointer}/id")),
                    );
                }
                let when = format!("{pointer}/when");
                match Condition::compile(&r.when, &env, &policy_limits) {
                    Ok(condition) => rules.push(Rule {
                        id: r.id.clone(),
                        section,
                        index,
                        decision: r.decision,
                        mode: r.mode.unwrap_or(section_mode).min(section_mode),
                        reason: r
                            .reason
                            .clone()
                            .or_else(|| r.description.clone())
                            .unwrap_or_else(|| format!("rule `{}` matched", r.id)),
                        condition,
                    }),
                    Err(e) => errors.push(
                        e.into_policy_error()
                            .at(spans.locate(&when))
                            .with_pointer(when),
                    ),
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let canonical = jcs::to_vec(&value);
        let hash = Sha256Digest::of(&canonical);
        Ok(Self {
            doc,
            value,
            canonical,
            hash,
            hash_prefixed: hash.to_prefixed(),
            spans,
            rules,
            env,
            limits: policy_limits,
        })
    }

    /// The typed document.
    pub fn doc(&self) -> &PolicyDoc {
        &self.doc
    }

    /// The document as a JSON value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The canonical JSON (RFC 8785) of the document: what `clyra policy canon` prints.
    pub fn canonical(&self) -> &[u8] {
        &self.canonical
    }

    /// The policy hash recorded as the manifest's `policy.hash`.
    pub fn hash(&self) -> Sha256Digest {
        self.hash
    }

    /// The policy hash as `sha256:…`.
    pub(crate) fn hash_prefixed(&self) -> &str {
        &self.hash_prefixed
    }

    /// The compiled rules in evaluation order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Node positions, for locating findings.
    pub fn spans(&self) -> &yaml::Spans {
        &self.spans
    }

    pub(crate) fn env(&self) -> &Arc<::cel::Env> {
        &self.env
    }

    pub(crate) fn limits(&self) -> &PolicyLimits {
        &self.limits
    }
}

/// The UTF-8 byte-order mark a policy file must not start with (policy-v1.md §1.1).
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The checks on a policy file's bytes before any parsing (policy-v1.md §1.1, §1.3 items 1–2):
/// at most L36 bytes (`policy.too_large`), no byte-order mark (`policy.bom`).
fn check_bytes(text: &[u8], limits: &Limits) -> Result<(), PolicyError> {
    if text.len() > limits.policy_max_bytes {
        return Err(PolicyError::new(
            PolicyErrorKind::TooLarge,
            format!(
                "the policy file is larger than {} bytes",
                limits.policy_max_bytes
            ),
        ));
    }
    if text.starts_with(BOM) {
        return Err(PolicyError::new(
            PolicyErrorKind::Bom,
            "the policy file starts with a byte-order mark: save it as UTF-8 without one",
        ));
    }
    Ok(())
}

/// Reads policy text into its JSON value: size (L36), byte-order mark, then the YAML subset
/// (JSON is YAML).
pub fn read(text: &[u8], file: &str, limits: &Limits) -> Result<(Value, yaml::Spans), PolicyError> {
    check_bytes(text, limits)?;
    let text = std::str::from_utf8(text).map_err(|e| {
        PolicyError::new(
            PolicyErrorKind::Yaml,
            format!("the policy file is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    yaml::parse(text, file, limits)
}

/// A policy file as a verifier reads it (policy-v1.md §1.3): what steps 10 and 11 compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GivenPolicy {
    /// `sha256:` of the JCS of the document (§1.2), compared with `policy.hash`.
    pub hash: Sha256Digest,
    /// `compliance.risk.weights` over the risk-v1.md §2.1 defaults, compared with the manifest's
    /// recorded `risk.weights`.
    pub risk_weights: crate::risk::Weights,
}

/// Reads a policy file given to a verifier (policy-v1.md §1.3), in order: at most L36 bytes
/// (`policy.too_large`), no byte-order mark (`policy.bom`), strict JSON or else the YAML subset
/// of §2 (`policy.yaml`, `policy.yaml_subset`), valid against `policy-v1.schema.json`
/// (`policy.schema`). Rules are neither compiled nor evaluated: decisions are signed evidence.
pub fn read_given(bytes: &[u8], limits: &Limits) -> Result<GivenPolicy, PolicyError> {
    check_bytes(bytes, limits)?;
    let (value, spans) = match jcs::parse(bytes, limits) {
        Ok(value) => (value, yaml::Spans::default()),
        Err(_) => read(bytes, "<policy>", limits)?,
    };
    let instance = to_serde(&value)?;
    if let Some(first) = PolicySchema::new()?
        .errors(&instance, &spans)
        .into_iter()
        .next()
    {
        return Err(first);
    }
    let doc: PolicyDoc = serde_json::from_value(instance).map_err(|e| {
        PolicyError::new(
            PolicyErrorKind::Schema,
            format!("the policy does not match its schema: {e}"),
        )
    })?;
    Ok(GivenPolicy {
        hash: Sha256Digest::of(&jcs::to_vec(&value)),
        risk_weights: doc.risk_weights(),
    })
}

/// The digest of a policy file as a verifier takes it ([`read_given`]): the JCS of strict JSON as
/// is (DESIGN §4), else of the YAML subset read as JSON, once the file passed §1.3's checks.
pub fn document_digest(bytes: &[u8], limits: &Limits) -> Result<Sha256Digest, PolicyError> {
    read_given(bytes, limits).map(|given| given.hash)
}

/// The document as a `serde_json` value (for schema validation and typed reading).
pub(crate) fn to_serde(value: &Value) -> Result<serde_json::Value, PolicyError> {
    serde_json::from_slice(&jcs::to_vec(value))
        .map_err(|e| PolicyError::new(PolicyErrorKind::Schema, format!("internal: {e}")))
}
