//! The policy engine over JSON (policy-v1.md): `load`, `canon`, `lint`, `eval`, `checkpoint`
//! and `resume`. Every call carries the policy text (YAML or JSON) and, for errors, a file name.

use serde::{Deserialize, Serialize};

use super::{parse_call, Answer, DetailedError};
use crate::error::Coded;
use crate::format::Schemas;
use crate::jcs::{self, Value};
use crate::limits::Limits;
use crate::policy::checkpoint::{self, CheckpointRequest, ResumeRequest, Resumed};
use crate::policy::lint::{self, Report};
use crate::policy::{evaluate, Evaluation, Policy, PolicyError};
use crate::time::Timestamp;
use crate::trust::Trust;

fn default_file() -> String {
    "policy.yaml".to_owned()
}

/// A call that names a policy only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyCall {
    /// The policy text (the YAML subset, or JSON).
    pub policy: String,
    /// The file name errors carry (default `policy.yaml`).
    #[serde(default = "default_file")]
    pub file: String,
}

/// The result of [`load`]: the policy's hash and rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loaded {
    /// `sha256:` of the canonical JSON: the manifest's `policy.hash`.
    pub policy_hash: String,
    /// The canonical JSON of the document.
    pub canonical: String,
    /// Each rule in evaluation order.
    pub rules: Vec<LoadedRule>,
}

/// One rule of [`Loaded`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedRule {
    /// Rule id.
    pub id: String,
    /// Its section.
    pub section: &'static str,
    /// Its decision.
    pub decision: &'static str,
    /// Its effective mode.
    pub mode: &'static str,
    /// The facts its condition reads.
    pub facts: Vec<String>,
}

/// The detailed error of a policy error: code, message, `file:line:column`, and a hint.
pub fn detailed(e: &PolicyError) -> DetailedError {
    let mut d = DetailedError::new(e.code(), e.message());
    if let Some(l) = e.location() {
        d = d.with_path(l.to_string());
    } else if let Some(p) = e.pointer() {
        d = d.with_path(p.to_owned());
    }
    d
}

pub(crate) fn load_policy(c: &PolicyCall) -> Result<Policy, Vec<DetailedError>> {
    Policy::load(c.policy.as_bytes(), &c.file, &Limits::default()).map_err(|e| vec![detailed(&e)])
}

/// Loads and checks a policy: `{"policy": TEXT, "file"?: NAME}` → its hash and rules.
pub fn load(call: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<PolicyCall>(call).and_then(|c| {
        let p = load_policy(&c)?;
        Ok(Loaded {
            policy_hash: p.hash().to_prefixed(),
            canonical: String::from_utf8_lossy(p.canonical()).into_owned(),
            rules: p
                .rules()
                .iter()
                .map(|r| LoadedRule {
                    id: r.id.clone(),
                    section: r.section,
                    decision: r.decision.as_str(),
                    mode: r.mode.as_str(),
                    facts: r.condition.facts().to_vec(),
                })
                .collect(),
        })
    }))
    .to_json()
}

/// The canonical JSON and hash of the document as written (subset checks only, like a
/// verifier): `{"policy": TEXT}` → `{"canonical", "digest"}`.
pub fn canon(call: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<PolicyCall>(call).and_then(|c| {
        let (value, _) = crate::policy::read(c.policy.as_bytes(), &c.file, &Limits::default())
            .map_err(|e| vec![detailed(&e)])?;
        let canonical = jcs::to_vec(&value);
        Ok(super::canon::Canonical {
            digest: crate::digest::Sha256Digest::of(&canonical).to_prefixed(),
            canonical: String::from_utf8_lossy(&canonical).into_owned(),
        })
    }))
    .to_json()
}

/// Lints a policy: `{"policy": TEXT}` → the report (a policy that does not load is a report
/// with error findings, not a failure).
pub fn lint(call: &[u8]) -> Vec<u8> {
    Answer::of(
        parse_call::<PolicyCall>(call)
            .map(|c| -> Report { lint::lint(c.policy.as_bytes(), &c.file, &Limits::default()) }),
    )
    .to_json()
}

/// The call of [`eval`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalCall {
    /// The policy text.
    pub policy: String,
    /// The file name errors carry.
    #[serde(default = "default_file")]
    pub file: String,
    /// The facts document (policy-v1.md §5).
    pub facts: serde_json::Value,
}

/// The result of [`eval`]: the evaluation and the manifest's `policy.decisions` entries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluated {
    /// The evaluation.
    #[serde(flatten)]
    pub evaluation: Evaluation,
    /// `policy.decisions` for the manifest.
    pub decisions: serde_json::Value,
}

fn facts_value(facts: &serde_json::Value) -> Result<Value, Vec<DetailedError>> {
    let bytes = serde_json::to_vec(facts)
        .map_err(|e| vec![DetailedError::new("policy.facts", e.to_string())])?;
    jcs::parse(&bytes, &Limits::default())
        .map_err(|e| vec![DetailedError::new("policy.facts", format!("facts: {e}"))])
}

fn to_serde(v: &Value) -> serde_json::Value {
    serde_json::from_slice(&jcs::to_vec(v)).unwrap_or(serde_json::Value::Null)
}

fn evaluated(policy: &Policy, facts: &serde_json::Value) -> Result<Evaluated, Vec<DetailedError>> {
    let facts = facts_value(facts)?;
    let evaluation = evaluate(policy, &facts).map_err(|e| vec![detailed(&e)])?;
    let decisions = to_serde(&Value::from(evaluation.decisions()));
    Ok(Evaluated {
        evaluation,
        decisions,
    })
}

/// Loads policy `text` (named `file` in errors) and evaluates it over `facts`: the shared step
/// of [`eval`] and of hosts that build the facts in the core (`ffi::dbt::seal`).
pub fn evaluate_text(
    text: &str,
    file: &str,
    facts: &serde_json::Value,
) -> Result<Evaluated, Vec<DetailedError>> {
    let policy = load_policy(&PolicyCall {
        policy: text.to_owned(),
        file: file.to_owned(),
    })?;
    evaluated(&policy, facts)
}

/// Evaluates a policy over facts: `{"policy", "facts"}` → decision, rule, mode, reason,
/// matched rules, `approvals_required`, `decisions`.
pub fn eval(call: &[u8]) -> Vec<u8> {
    Answer::of(
        parse_call::<EvalCall>(call).and_then(|c| evaluate_text(&c.policy, &c.file, &c.facts)),
    )
    .to_json()
}

/// The call of [`checkpoint`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointCall {
    /// The policy text.
    pub policy: String,
    /// The file name errors carry.
    #[serde(default = "default_file")]
    pub file: String,
    /// The facts document.
    pub facts: serde_json::Value,
    /// The manifest's `change` object.
    pub change: serde_json::Value,
    /// Producer-issued nonces, one per approval.
    pub nonces: Vec<String>,
    /// Now, RFC 3339 UTC.
    pub now: String,
    /// Lifetime in seconds.
    pub ttl_seconds: u64,
    /// The token secret, hex (≥ 32 bytes).
    pub secret_hex: String,
}

/// The result of [`checkpoint`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpointed {
    /// The evaluation that asked for approvals.
    pub evaluation: Evaluated,
    /// The checkpoint object.
    pub checkpoint: serde_json::Value,
    /// Its resume token.
    pub token: String,
}

fn secret(hex_text: &str) -> Result<Vec<u8>, Vec<DetailedError>> {
    let bad = || {
        vec![DetailedError::new(
            "policy.checkpoint",
            "secret_hex is not hex",
        )]
    };
    let digit = |b: u8| char::from(b).to_digit(16);
    let bytes = hex_text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(bad());
    }
    bytes
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some(u8::try_from(digit(*hi)? * 16 + digit(*lo)?).ok()?),
            _ => None,
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)
}

fn timestamp(text: &str) -> Result<Timestamp, Vec<DetailedError>> {
    Timestamp::parse(text).map_err(|e| {
        vec![DetailedError::new(
            "policy.checkpoint",
            format!("`{text}`: {e}"),
        )]
    })
}

/// Evaluates, and for an approval decision makes the HITL checkpoint and its resume token.
pub fn checkpoint(call: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<CheckpointCall>(call).and_then(|c| {
        let policy = load_policy(&PolicyCall {
            policy: c.policy.clone(),
            file: c.file.clone(),
        })?;
        let evaluation = evaluated(&policy, &c.facts)?;
        let change = facts_value(&c.change)?;
        let now = timestamp(&c.now)?;
        let secret = secret(&c.secret_hex)?;
        let cp = checkpoint::create(&CheckpointRequest {
            evaluation: &evaluation.evaluation,
            change: &change,
            nonces: &c.nonces,
            now: &now,
            ttl_seconds: c.ttl_seconds,
            secret: &secret,
        })
        .map_err(|e| vec![detailed(&e)])?;
        Ok(Checkpointed {
            evaluation,
            checkpoint: to_serde(&cp.value),
            token: cp.token,
        })
    }))
    .to_json()
}

/// The call of [`resume`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeCall {
    /// The checkpoint object as made.
    pub checkpoint: serde_json::Value,
    /// Its token.
    pub token: String,
    /// The token secret, hex.
    pub secret_hex: String,
    /// Now, RFC 3339 UTC.
    pub now: String,
    /// Approval envelope files (their JSON text), any order.
    pub approvals: Vec<String>,
    /// The trust file (trust-v0 JSON text) holding approver keys.
    pub trust: String,
}

/// Resumes a checkpoint: token, expiry, then approvals counted as approval-v0.md §5 says.
pub fn resume(call: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<ResumeCall>(call).and_then(
        |c| -> Result<Resumed, Vec<DetailedError>> {
            let limits = Limits::default();
            let cp = facts_value(&c.checkpoint)?;
            let trust = Trust::parse(c.trust.as_bytes(), &limits)
                .map_err(|e| vec![DetailedError::of(&e)])?;
            let schemas = Schemas::new()
                .map_err(|e| vec![DetailedError::new("ffi.answer", e.to_string())])?;
            let approvals: Vec<Vec<u8>> =
                c.approvals.iter().map(|a| a.as_bytes().to_vec()).collect();
            checkpoint::resume(&ResumeRequest {
                checkpoint: &cp,
                token: &c.token,
                secret: &secret(&c.secret_hex)?,
                now: &timestamp(&c.now)?,
                approvals: &approvals,
                trust: &trust,
                schemas: &schemas,
                limits: &limits,
            })
            .map_err(|e| vec![detailed(&e)])
        },
    ))
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(v: serde_json::Value) -> String {
        v.to_string()
    }

    #[test]
    fn load_eval_lint_canon_over_json() {
        let policy = crate::policy::init::starter(crate::policy::init::InitEnv::Prod);
        let out = String::from_utf8(load(call(serde_json::json!({"policy": policy})).as_bytes()))
            .unwrap();
        assert!(
            out.starts_with(r#"{"type":"success","result":{"policy_hash":"sha256:"#),
            "{out}"
        );
        let out = String::from_utf8(eval(
            call(serde_json::json!({"policy": policy, "facts": {"dbt": {"tests_failed": 1}}}))
                .as_bytes(),
        ))
        .unwrap();
        assert!(
            out.contains(r#""decision":"deny""#)
                && out.contains(r#""decisions":[{"decision":"deny""#),
            "{out}"
        );
        let out = String::from_utf8(lint(call(serde_json::json!({"policy": policy})).as_bytes()))
            .unwrap();
        // Clean but for L009 info: the starter's `deny` on failed tests is detective.
        assert!(
            out.contains(r#""findings":[{"id":"L009","severity":"info""#)
                && !out.contains(r#""severity":"warning""#),
            "{out}"
        );
        let out = String::from_utf8(canon(
            call(serde_json::json!({"policy": "version: 1\n"})).as_bytes(),
        ))
        .unwrap();
        assert!(out.contains(r#""canonical":"{\"version\":1}""#), "{out}");
    }

    #[test]
    fn errors_carry_code_and_file_position() {
        let out = String::from_utf8(load(
            call(serde_json::json!({"policy": "version: 1\nname: &a x\n", "file": "x.yaml"}))
                .as_bytes(),
        ))
        .unwrap();
        assert!(
            out.contains(r#""code":"policy.yaml_subset""#) && out.contains(r#""path":"x.yaml:2:"#),
            "{out}"
        );
        let out = String::from_utf8(eval(
            call(serde_json::json!({"policy": "version: 1\n", "facts": {"x": {}}})).as_bytes(),
        ))
        .unwrap();
        assert!(
            out.contains(r#""code":"policy.unknown_fact""#) && out.contains(r#""path":"/x""#),
            "{out}"
        );
        let out = String::from_utf8(eval(br#"{"policy":"version: 1\n"}"#)).unwrap();
        assert!(out.contains(r#""code":"ffi.call""#), "{out}");
    }
}
