//! Verifying an attestation (attestation-v0.md §6): envelope, signature by a trusted producer key,
//! predicate schema and catalogue, subjects against the bundles given, and every status
//! recomputed from those bundles.

#[cfg(not(feature = "schema-lite"))]
use jsonschema::Draft;

use crate::digest::Sha256Digest;
use crate::dsse::{self, Envelope, Statement, IN_TOTO_PAYLOAD_TYPE};
use crate::jcs::{self, Value};
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::trust::{Role, Trust};
use crate::verdict::{Outcome, Severity};

use super::catalogue::Framework;
use super::facts::BundleFacts;
use super::predicate::{bundles_value, evaluate, references_value, summary_value, PREDICATE_TYPE};

const SCHEMA: &str = include_str!("../../schemas/attestation-v0.schema.json");

/// One recorded check of an attestation verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestCheck {
    /// The registered code (`ok` when it passed).
    pub code: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// What was found, in plain words.
    pub message: String,
}

impl AttestCheck {
    fn ok(message: impl Into<String>) -> Self {
        Self {
            code: "ok",
            severity: Severity::Ok,
            message: message.into(),
        }
    }

    fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            message: message.into(),
        }
    }
}

/// The verdict on an attestation, as verdicts.md §1 computes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestVerdict {
    /// The worst severity, as an outcome.
    pub outcome: Outcome,
    /// The first check with the worst severity (`ok` when clean).
    pub primary: &'static str,
    /// 0, 1, 2 or 3.
    pub exit: u8,
    /// Every check, in order.
    pub checks: Vec<AttestCheck>,
}

impl AttestVerdict {
    /// The verdict of `checks`.
    pub fn of(checks: Vec<AttestCheck>) -> Self {
        let worst = checks
            .iter()
            .map(|c| c.severity)
            .max()
            .unwrap_or(Severity::Ok);
        let primary = if worst == Severity::Ok {
            "ok"
        } else {
            checks
                .iter()
                .find(|c| c.severity == worst)
                .map_or("ok", |c| c.code)
        };
        let warned = checks.iter().any(|c| c.severity == Severity::Warn);
        let outcome = worst.outcome();
        Self {
            outcome,
            primary,
            exit: outcome.exit_code(warned),
            checks,
        }
    }

    /// The verdict as one canonical JSON object: `{"checks":[{"code","message","severity"}…],
    /// "exit","outcome","primary"}`.
    pub fn to_json(&self) -> Vec<u8> {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                let mut m = jcs::Map::new();
                m.insert("code", Value::from(c.code));
                m.insert("severity", Value::from(c.severity.as_str()));
                m.insert("message", Value::from(c.message.as_str()));
                Value::from(m)
            })
            .collect();
        let mut top = jcs::Map::new();
        top.insert("outcome", Value::from(self.outcome.as_str()));
        top.insert("primary", Value::from(self.primary));
        top.insert("exit", Value::from(u32::from(self.exit)));
        top.insert("checks", Value::from(checks));
        jcs::to_vec(&Value::from(top))
    }
}

/// An attestation whose envelope, signature and predicate passed (§6.1 items 1–3).
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// The signed Statement.
    pub statement: Statement,
    /// Its framework.
    pub framework: Framework,
    /// The predicate's `verified_at`: the time to verify the bundles at.
    pub verified_at: String,
}

fn fail(code: &'static str, message: impl Into<String>) -> AttestCheck {
    AttestCheck::new(code, Severity::Fail, message)
}

/// Items 1–3 of attestation-v0.md §6.1 on the envelope file `bytes`, judged with `trust` at `at`.
/// Returns the checks recorded and, when all passed, the opened attestation.
pub fn open(
    bytes: &[u8],
    trust: &Trust,
    at: &Timestamp,
    limits: &Limits,
) -> (Vec<AttestCheck>, Option<Opened>) {
    let mut checks = Vec::new();
    let envelope = match Envelope::decode(bytes, limits) {
        Ok(e) if e.payload_type == IN_TOTO_PAYLOAD_TYPE => e,
        Ok(e) => {
            checks.push(fail(
                "attest.envelope",
                format!("payloadType `{}` is not in-toto", e.payload_type),
            ));
            return (checks, None);
        }
        Err(e) => {
            checks.push(fail("attest.envelope", format!("not a DSSE envelope: {e}")));
            return (checks, None);
        }
    };
    let statement = match jcs::check_canonical(&envelope.payload, limits)
        .map_err(|e| e.to_string())
        .and_then(|()| Statement::parse(&envelope.payload, limits).map_err(|e| e.to_string()))
    {
        Ok(s) if s.predicate_type == PREDICATE_TYPE => s,
        Ok(s) => {
            checks.push(fail(
                "attest.envelope",
                format!(
                    "predicateType `{}` is not {PREDICATE_TYPE}",
                    s.predicate_type
                ),
            ));
            return (checks, None);
        }
        Err(e) => {
            checks.push(fail(
                "attest.envelope",
                format!("the payload is not a Statement: {e}"),
            ));
            return (checks, None);
        }
    };
    checks.push(AttestCheck::ok("envelope and Statement read"));
    let attested_at = statement
        .predicate
        .get("attested_at")
        .and_then(Value::as_str)
        .and_then(|t| Timestamp::parse(t).ok());
    // spec: attestation-v0.md §6.1 item 2 — a trusted producer key, in window, not revoked.
    let mut untrusted = Vec::new();
    let mut signed = None;
    for sig in &envelope.signatures {
        let Some(key) = trust.key(&sig.keyid).filter(|k| k.has_role(Role::Producer)) else {
            untrusted.push(sig.keyid.clone());
            continue;
        };
        if dsse::verify_signature(&envelope, key.public_key(), key.scheme()).is_err() {
            checks.push(fail(
                "attest.signature",
                format!("the signature by `{}` does not verify", sig.keyid),
            ));
            return (checks, None);
        }
        let in_window = attested_at.as_ref().is_some_and(|t| key.in_window(t));
        if !in_window || key.revoked(at) {
            checks.push(fail(
                "attest.signature",
                format!(
                    "key `{}` is outside its window at `attested_at` or revoked",
                    sig.keyid
                ),
            ));
            return (checks, None);
        }
        signed = Some(sig.keyid.clone());
        break;
    }
    match signed {
        Some(keyid) => checks.push(AttestCheck::ok(format!("signed by trusted key `{keyid}`"))),
        None => {
            checks.push(AttestCheck::new(
                "attest.untrusted",
                Severity::Untrusted,
                format!(
                    "no signature by a producer key of the trust file (signed by {})",
                    untrusted.join(", ")
                ),
            ));
            return (checks, None);
        }
    }
    match check_predicate(&statement.predicate) {
        Ok(framework) => {
            checks.push(AttestCheck::ok(format!(
                "predicate valid for {}",
                framework.name()
            )));
            let verified_at = statement
                .predicate
                .get("verified_at")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            (
                checks,
                Some(Opened {
                    statement,
                    framework,
                    verified_at,
                }),
            )
        }
        Err(why) => {
            checks.push(fail("attest.schema", why));
            (checks, None)
        }
    }
}

/// The predicate's first violation of the attestation schema (`message at `path``), checked by
/// `jsonschema`; `Err` when the schema does not compile.
#[cfg(not(feature = "schema-lite"))]
fn schema_violation(
    schema: serde_json::Value,
    instance: &serde_json::Value,
) -> Result<Option<String>, String> {
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .build(&schema)
        .map_err(|e| format!("schema: {e}"))?;
    let first = validator
        .iter_errors(instance)
        .next()
        .map(|e| format!("{e} at `{}`", e.instance_path()));
    Ok(first)
}

/// The same with the subset validator (`schema-lite`, the browser build: `jsonschema` and its
/// regex engines stay out of the module, ADR 0011); the same errors and messages on every vector
/// predicate and its mutations (core/tests/schema_lite.rs).
#[cfg(feature = "schema-lite")]
fn schema_violation(
    schema: serde_json::Value,
    instance: &serde_json::Value,
) -> Result<Option<String>, String> {
    let id = schema
        .get("$id")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let set = crate::format::schema_lite::LiteSet::new(vec![schema])
        .map_err(|e| format!("schema: {e}"))?;
    let validator = set
        .validator(&id)
        .ok_or_else(|| "schema: no $id".to_owned())?;
    Ok(validator
        .errors(instance)
        .into_iter()
        .next()
        .map(|v| format!("{} at `{}`", v.message, v.path)))
}

/// Schema and catalogue of the predicate (§6.1 item 3).
fn check_predicate(predicate: &Value) -> Result<Framework, String> {
    let schema: serde_json::Value =
        serde_json::from_str(SCHEMA).map_err(|e| format!("schema: {e}"))?;
    let instance: serde_json::Value =
        serde_json::from_slice(&jcs::to_vec(predicate)).map_err(|e| e.to_string())?;
    if let Some(why) = schema_violation(schema, &instance)? {
        return Err(why);
    }
    let framework = predicate
        .get("framework")
        .and_then(|f| f.get("id"))
        .and_then(Value::as_str)
        .and_then(Framework::parse)
        .ok_or("unknown framework")?;
    let controls = predicate
        .get("controls")
        .and_then(Value::as_array)
        .unwrap_or(&[]);
    let catalogue = framework.controls();
    if controls.len() != catalogue.len() {
        return Err(format!(
            "{} controls, the catalogue of {} has {}",
            controls.len(),
            framework.id(),
            catalogue.len()
        ));
    }
    for (c, def) in controls.iter().zip(catalogue) {
        let text = |k| c.get(k).and_then(Value::as_str).unwrap_or("");
        let reqs: Vec<&str> = c
            .get("requirements")
            .and_then(Value::as_array)
            .unwrap_or(&[])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let want: Vec<&str> = def.requirements.iter().map(|r| r.as_str()).collect();
        if text("id") != def.id || text("title") != def.title || reqs != want {
            return Err(format!(
                "control `{}` differs from the catalogue entry `{}`",
                text("id"),
                def.id
            ));
        }
    }
    Ok(framework)
}

/// Items 4–5 of attestation-v0.md §6.1: `bundles` (in any order; `None`: none given) against the
/// subjects, and every status recomputed from them.
pub fn recompute(opened: &Opened, bundles: Option<&[BundleFacts]>) -> Vec<AttestCheck> {
    let Some(given) = bundles else {
        return vec![AttestCheck::new(
            "attest.not_recomputed",
            Severity::Warn,
            "no bundles given: the statuses were not recomputed",
        )];
    };
    let subjects = &opened.statement.subject;
    let empty = subjects.len() == 1
        && subjects
            .first()
            .is_some_and(|s| s.name == "empty" && s.sha256 == Sha256Digest::of(b""));
    let mut ordered: Vec<BundleFacts> = Vec::with_capacity(given.len());
    if !empty {
        for s in subjects {
            let matches: Vec<&BundleFacts> =
                given.iter().filter(|b| b.sha256 == s.sha256).collect();
            match matches.as_slice() {
                [one] => ordered.push((*one).clone()),
                [] => {
                    return vec![fail(
                        "attest.subject_mismatch",
                        format!("no bundle given for subject `{}` ({})", s.name, s.sha256),
                    )]
                }
                _ => {
                    return vec![fail(
                        "attest.subject_mismatch",
                        format!("subject `{}` is matched by several bundles", s.name),
                    )]
                }
            }
        }
    }
    if let Some(extra) = given
        .iter()
        .find(|b| !subjects.iter().any(|s| s.sha256 == b.sha256))
    {
        return vec![fail(
            "attest.subject_mismatch",
            format!(
                "bundle `{}` ({}) is not a subject",
                extra.name, extra.sha256
            ),
        )];
    }
    let mut checks = vec![AttestCheck::ok(format!(
        "{} bundles match the subjects",
        ordered.len()
    ))];
    let p = &opened.statement.predicate;
    let gap_count = p
        .get("completeness")
        .and_then(|c| c.get("gaps"))
        .and_then(Value::as_array)
        .map_or(0, <[Value]>::len);
    let controls = evaluate(opened.framework, &ordered, gap_count);
    let mut mismatch: Option<String> = None;
    if p.get("bundles") != Some(&bundles_value(&ordered)) {
        mismatch = Some("the bundles' verdicts differ".to_owned());
    }
    let invalid: Vec<&Value> = p
        .get("findings")
        .and_then(Value::as_array)
        .unwrap_or(&[])
        .iter()
        .filter(|f| f.get("kind").and_then(Value::as_str) == Some("invalid_bundle"))
        .collect();
    let expected_invalid = super::predicate::findings_value(&ordered, &[]);
    let expected_invalid: Vec<&Value> = expected_invalid.as_array().unwrap_or(&[]).iter().collect();
    if mismatch.is_none() && invalid != expected_invalid {
        mismatch = Some("the invalid-bundle findings differ".to_owned());
    }
    let signed = p.get("controls").and_then(Value::as_array).unwrap_or(&[]);
    if mismatch.is_none() {
        for (c, s) in controls.iter().zip(signed) {
            let status = s.get("status").and_then(Value::as_str).unwrap_or("");
            if status != c.status.as_str() {
                mismatch = Some(format!(
                    "control `{}`: signed status `{status}`, recomputed `{}`",
                    c.def.id,
                    c.status.as_str()
                ));
                break;
            }
            if s.get("references") != Some(&references_value(c, &ordered)) {
                mismatch = Some(format!("control `{}`: the references differ", c.def.id));
                break;
            }
        }
    }
    if mismatch.is_none() && p.get("summary") != Some(&summary_value(&controls)) {
        mismatch = Some("the summary differs".to_owned());
    }
    match mismatch {
        Some(why) => checks.push(fail("attest.status_mismatch", why)),
        None => checks.push(AttestCheck::ok(format!(
            "{} control statuses recomputed from the bundles",
            controls.len()
        ))),
    }
    checks
}
