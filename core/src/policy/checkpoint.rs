//! HITL checkpoints (policy-v1.md §9): a `require_approval` / `require_two_person` decision
//! parks the change at a checkpoint with an expiring resume token; resuming needs approvals that
//! count under approval-v0.md §5 (the same checks a verifier runs), as many as the decision asks.
//!
//! Pure: `now`, the nonces and the token secret are inputs. The token is
//! `ck1.` + base64url(HMAC-SHA256(secret, JCS(checkpoint))), so the same inputs give the same
//! token and a checkpoint cannot be edited (e.g. its expiry pushed back) without the secret.

use std::collections::BTreeMap;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::error::{PolicyError, PolicyErrorKind};
use super::eval::Evaluation;
use crate::approval::{check_approvals, ApprovalContext};
use crate::digest::Sha256Digest;
use crate::dsse::Envelope;
use crate::format::{ApprovalEntry, Format, Manifest, Schemas};
use crate::jcs::{self, Map, Value};
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::trust::{Role, Trust};

/// The checkpoint document's `type`.
pub const CHECKPOINT_TYPE: &str = "https://clyra.dev/checkpoint/v1";

/// Token prefix (the format version of the token).
const TOKEN_PREFIX: &str = "ck1.";

/// Shortest accepted token secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// Longest accepted checkpoint lifetime: 7 days.
pub const MAX_TTL_SECONDS: u64 = 7 * 24 * 3600;

/// A checkpoint: the canonical JSON object and its resume token.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The checkpoint object (policy-v1.md §9.2).
    pub value: Value,
    /// The resume token.
    pub token: String,
}

/// What a checkpoint is made from.
#[derive(Debug, Clone, Copy)]
pub struct CheckpointRequest<'a> {
    /// The evaluation whose decision asks for approvals.
    pub evaluation: &'a Evaluation,
    /// The manifest's `change` object, final (approvals bind its digest).
    pub change: &'a Value,
    /// Producer-issued nonces, one per approval requested (at least `approvals_required`).
    pub nonces: &'a [String],
    /// Now (the host's clock, passed in).
    pub now: &'a Timestamp,
    /// Lifetime in seconds (1 ..= 7 days).
    pub ttl_seconds: u64,
    /// The token secret (≥ 32 bytes), kept by the host.
    pub secret: &'a [u8],
}

/// Creates the checkpoint and its token.
pub fn create(request: &CheckpointRequest<'_>) -> Result<Checkpoint, PolicyError> {
    let fail = |m: String| PolicyError::new(PolicyErrorKind::Checkpoint, m);
    let e = request.evaluation;
    let required = e.approvals_required;
    if required == 0 {
        return Err(fail(format!(
            "decision `{}` needs no approval: no checkpoint",
            e.decision.as_str()
        )));
    }
    if request.secret.len() < MIN_SECRET_BYTES {
        return Err(fail(format!(
            "the token secret must be at least {MIN_SECRET_BYTES} bytes"
        )));
    }
    if request.ttl_seconds == 0 || request.ttl_seconds > MAX_TTL_SECONDS {
        return Err(fail(format!("ttl must be 1..={MAX_TTL_SECONDS} seconds")));
    }
    if request.nonces.len() < usize::from(required) {
        return Err(fail(format!(
            "{required} approvals need {required} nonces, {} given",
            request.nonces.len()
        )));
    }
    for (i, n) in request.nonces.iter().enumerate() {
        if !is_identifier(n) || request.nonces.iter().take(i).any(|m| m == n) {
            return Err(fail(format!("nonce `{n}` is malformed or repeated")));
        }
    }
    if request.change.as_object().is_none() {
        return Err(fail("the change must be a JSON object".into()));
    }
    let expires = add_seconds(request.now, request.ttl_seconds)?;
    let mut m = Map::new();
    m.insert("type", Value::from(CHECKPOINT_TYPE));
    m.insert("policy_hash", Value::from(e.policy_hash.as_str()));
    m.insert("rule", e.rule.as_deref().map_or(Value::Null, Value::from));
    m.insert("decision", Value::from(e.decision.as_str()));
    m.insert("approvals_required", Value::from(u32::from(required)));
    m.insert("change", request.change.clone());
    m.insert(
        "change_digest",
        Value::from(Sha256Digest::of(&jcs::to_vec(request.change)).to_prefixed()),
    );
    m.insert(
        "nonces",
        Value::from(
            request
                .nonces
                .iter()
                .map(|n| Value::from(n.as_str()))
                .collect::<Vec<_>>(),
        ),
    );
    m.insert("created_at", Value::from(request.now.as_str()));
    m.insert("expires_at", Value::from(expires.as_str()));
    let value = Value::from(m);
    let token = token_of(&value, request.secret)?;
    Ok(Checkpoint { value, token })
}

/// The result of a successful resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resumed {
    /// Approvals the checkpoint required (the manifest's `approvals.required`).
    pub approvals_required: u8,
    /// Approvals that counted.
    pub counted: usize,
    /// The approval checks, `code subject: message` each.
    pub checks: Vec<String>,
}

/// What resuming needs besides the checkpoint.
#[derive(Debug, Clone, Copy)]
pub struct ResumeRequest<'a> {
    /// The checkpoint object as created.
    pub checkpoint: &'a Value,
    /// Its token.
    pub token: &'a str,
    /// The token secret.
    pub secret: &'a [u8],
    /// Now.
    pub now: &'a Timestamp,
    /// Approval envelope files (approval-v0.md §2), in any order.
    pub approvals: &'a [Vec<u8>],
    /// The trust: approver keys (role `approver`) that may count.
    pub trust: &'a Trust,
    /// Compiled schemas (approval payloads).
    pub schemas: &'a Schemas,
    /// Bounds.
    pub limits: &'a Limits,
}

/// Checks the token, the expiry and the approvals; `Ok` when the change may go ahead.
pub fn resume(request: &ResumeRequest<'_>) -> Result<Resumed, PolicyError> {
    let cp = request.checkpoint;
    let expected = token_of(cp, request.secret)?;
    let given = request.token.strip_prefix(TOKEN_PREFIX).and_then(|t| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t)
            .ok()
    });
    let mut mac = mac(request.secret)?;
    mac.update(&jcs::to_vec(cp));
    let valid = given.is_some_and(|tag| mac.verify_slice(&tag).is_ok());
    if !valid || expected.len() != request.token.len() {
        return Err(PolicyError::new(
            PolicyErrorKind::TokenInvalid,
            "the resume token does not match this checkpoint",
        ));
    }
    let field = |name: &str| cp.get(name);
    let expires_at = field("expires_at")
        .and_then(Value::as_str)
        .and_then(|t| Timestamp::parse(t).ok())
        .ok_or_else(|| {
            PolicyError::new(PolicyErrorKind::Checkpoint, "checkpoint lacks expires_at")
        })?;
    if *request.now > expires_at {
        return Err(PolicyError::new(
            PolicyErrorKind::TokenExpired,
            format!("the checkpoint expired at {expires_at}"),
        ));
    }
    let required = field("approvals_required")
        .and_then(Value::as_u64)
        .and_then(|r| u8::try_from(r).ok())
        .filter(|r| (1..=2).contains(r))
        .ok_or_else(|| {
            PolicyError::new(
                PolicyErrorKind::Checkpoint,
                "checkpoint lacks approvals_required",
            )
        })?;
    let change = field("change").cloned().unwrap_or(Value::Null);
    let nonces: Vec<&str> = field("nonces")
        .and_then(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // The approvals step of a bundle, run on an in-memory manifest that records this change,
    // these approvals and the nonces they answer; created_at and the first event are `now`.
    let mut files = BTreeMap::new();
    let mut entries = Vec::new();
    for (i, bytes) in request.approvals.iter().enumerate() {
        let file = format!("approvals/{:04}.dsse.json", i + 1);
        let nonce = answered_nonce(bytes, request.limits)
            .filter(|n| nonces.contains(&n.as_str()))
            .or_else(|| nonces.get(i).map(|n| (*n).to_owned()))
            .unwrap_or_default();
        entries.push(ApprovalEntry {
            file: file.clone(),
            digest: Sha256Digest::of(bytes),
            nonce,
        });
        files.insert(file, bytes.clone());
    }
    let mut value = Map::new();
    value.insert("change", change.clone());
    let manifest = Manifest {
        format: Format::DefV0,
        bundle_id: String::new(),
        created_at: request.now.as_str().to_owned(),
        change_digest: Sha256Digest::of(&jcs::to_vec(&change)),
        policy_hash: None,
        policy_required: false,
        approvals_required: required,
        approvals: entries,
        artifacts: Vec::new(),
        journal_head: Sha256Digest::of(b""),
        journal_count: 0,
        merkle_root: Sha256Digest::of(b""),
        merkle_size: 0,
        value: Value::from(value),
    };
    let keys = request
        .trust
        .keys()
        .iter()
        .filter(|k| k.has_role(Role::Approver))
        .map(|k| (k.keyid().to_owned(), k.public_key().clone()))
        .collect();
    let cx = ApprovalContext {
        manifest: &manifest,
        created_at: request.now,
        first_event_at: request.now,
        at: request.now,
        trust: request.trust,
        producer_keyids: &[],
        keys: &keys,
        schemas: request.schemas,
        limits: request.limits,
    };
    let report = check_approvals(&cx, &files);
    let checks: Vec<String> = report
        .checks
        .iter()
        .map(|c| {
            format!(
                "{} {}: {}",
                c.code(),
                c.subject().unwrap_or("approvals"),
                c.message()
            )
        })
        .collect();
    if report.counted < usize::from(required) {
        let problems: Vec<&str> = report
            .checks
            .iter()
            .map(|c| c.code())
            .filter(|c| *c != "ok")
            .collect();
        return Err(PolicyError::new(
            PolicyErrorKind::ApprovalsInsufficient,
            format!(
                "{} of {required} required approvals count ({})",
                report.counted,
                if problems.is_empty() {
                    "none given".to_owned()
                } else {
                    problems.join(", ")
                }
            ),
        ));
    }
    Ok(Resumed {
        approvals_required: required,
        counted: report.counted,
        checks,
    })
}

/// The `challenge_nonce` an approval envelope answers, if it decodes that far.
fn answered_nonce(bytes: &[u8], limits: &Limits) -> Option<String> {
    let envelope = Envelope::decode(bytes, limits).ok()?;
    let payload = jcs::parse(&envelope.payload, limits).ok()?;
    payload
        .get("challenge_nonce")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn mac(secret: &[u8]) -> Result<Hmac<Sha256>, PolicyError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(PolicyError::new(
            PolicyErrorKind::Checkpoint,
            format!("the token secret must be at least {MIN_SECRET_BYTES} bytes"),
        ));
    }
    Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| PolicyError::new(PolicyErrorKind::Checkpoint, "unusable token secret"))
}

fn token_of(checkpoint: &Value, secret: &[u8]) -> Result<String, PolicyError> {
    let mut mac = mac(secret)?;
    mac.update(&jcs::to_vec(checkpoint));
    let tag = mac.finalize().into_bytes();
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
    ))
}

/// `t` plus `seconds`, as a timestamp of the spec's form.
fn add_seconds(t: &Timestamp, seconds: u64) -> Result<Timestamp, PolicyError> {
    let fail = || PolicyError::new(PolicyErrorKind::Checkpoint, "expiry out of range");
    let secs = t
        .unix_seconds()
        .checked_add(i64::try_from(seconds).map_err(|_| fail())?)
        .ok_or_else(fail)?;
    let ts = jiff::Timestamp::from_second(secs).map_err(|_| fail())?;
    Timestamp::parse(&ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).map_err(|_| fail())
}

/// The identifier pattern of approval-v0.md §2.3: `^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,255}$`.
fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 256
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._:/@+-".contains(c))
}
