//! The approvals step: each approval envelope of a bundle judged by the rules of approval-v0.md §5.
//!
//! Approvals are DSSE envelopes signed before the bundle is sealed. They bind the manifest's
//! `change` (`payload_hash`) and a producer-issued nonce, and count toward `approvals.required`
//! only when intact, timely, trusted and given by someone other than the author and deployer.

use std::collections::BTreeMap;

use crate::crypto::{KeyAlgorithm, PublicKey, Scheme};
use crate::digest::Sha256Digest;
use crate::dsse::{self, Envelope};
use crate::error::Coded;
use crate::format::{ApprovalEntry, Manifest, Schemas};
use crate::jcs::{self, Value};
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::trust::{Role, Trust};
use crate::verdict::{Check, Severity, Step};

/// The payloadType of an approval envelope (approval-v0.md §2).
pub const APPROVAL_PAYLOAD_TYPE: &str = "application/vnd.clyra.approval+json";

/// What the approvals step needs from the earlier steps.
#[derive(Debug, Clone, Copy)]
pub struct ApprovalContext<'a> {
    /// The manifest (format, `change`, `created_at`, approval entries, required count).
    pub manifest: &'a Manifest,
    /// `created_at`, parsed.
    pub created_at: &'a Timestamp,
    /// The `at` of journal line 0: approvals must precede execution.
    pub first_event_at: &'a Timestamp,
    /// The verification time.
    pub at: &'a Timestamp,
    /// The verifier's trust.
    pub trust: &'a Trust,
    /// Keyids that sign producer envelopes of this bundle (one role per key per bundle).
    pub producer_keyids: &'a [String],
    /// The bundle's key files that parsed, by keyid.
    pub keys: &'a BTreeMap<String, PublicKey>,
    /// Compiled schemas (approval-v0).
    pub schemas: &'a Schemas,
    /// Bounds for envelopes and payloads.
    pub limits: &'a Limits,
}

/// The approvals step's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalReport {
    /// The checks, in the order of approval-v0.md §5 (per approval, then the bundle-wide rules).
    pub checks: Vec<Check>,
    /// How many approvals counted.
    pub counted: usize,
    /// Keyids of approval signers (key files they use are not unexpected entries).
    pub signers: Vec<String>,
}

/// One approval's progress through the rules.
struct Judged {
    file: String,
    /// Codes other than `ok` met so far.
    codes: Vec<&'static str>,
    /// Signer keyid and `sso_sub`, once the payload passed rule 7.
    identity: Option<(String, String)>,
}

/// Runs approval-v0.md §5 over the manifest's entries; `files` maps entry names to their bytes.
pub fn check_approvals(
    cx: &ApprovalContext<'_>,
    files: &BTreeMap<String, Vec<u8>>,
) -> ApprovalReport {
    let mut checks = Vec::new();
    let mut judged = Vec::new();
    let mut signers = Vec::new();
    let mut seen_nonces: Vec<&str> = Vec::new();
    for (i, entry) in cx.manifest.approvals.iter().enumerate() {
        let mut one = Judged {
            file: entry.file.clone(),
            codes: Vec::new(),
            identity: None,
        };
        let mut record = |code: &'static str,
                          severity: Severity,
                          detail: Option<&'static str>,
                          message: String| {
            let mut check = Check::new(Step::Approvals, code, severity)
                .with_subject(entry.file.clone())
                .with_message(message);
            if let Some(detail) = detail {
                check = check.with_detail(detail);
            }
            one.codes.push(code);
            checks.push(check);
        };
        if let Some(signer) = judge(
            cx,
            i,
            entry,
            files,
            &seen_nonces,
            &mut record,
            &mut one.identity,
        ) {
            signers.push(signer);
        }
        seen_nonces.push(entry.nonce.as_str());
        if one.codes.is_empty() {
            checks.push(Check::ok(Step::Approvals).with_subject(entry.file.clone()));
        }
        judged.push(one);
    }
    // Rule 16: distinct signers and distinct people among approvals that passed rule 7.
    for later in 1..judged.len() {
        let duplicate = match judged.get(later).and_then(|j| j.identity.as_ref()) {
            Some((keyid, sub)) => judged
                .iter()
                .take(later)
                .filter_map(|j| j.identity.as_ref())
                .any(|(k, s)| k == keyid || s == sub),
            None => false,
        };
        if duplicate {
            if let Some(j) = judged.get_mut(later) {
                j.codes.push("approval.duplicate_approver");
                checks.push(
                    Check::new(
                        Step::Approvals,
                        "approval.duplicate_approver",
                        Severity::Fail,
                    )
                    .with_subject(j.file.clone())
                    .with_message(
                        "an earlier approval has the same signer key or the same sso_sub",
                    ),
                );
            }
        }
    }
    // Rule 17: enough counted approvals (§5.3–5.4).
    let counted = judged.iter().filter(|j| j.codes.is_empty()).count();
    let untrusted_only = judged
        .iter()
        // Rule 12's untrusted approvals only: an RSA approval stopped at rule 5 never reached
        // rule 7 (no identity), was never verified and does not help (§5.4, vector 0123).
        .filter(|j| j.codes == ["approval.untrusted"] && j.identity.is_some())
        .count();
    let required = usize::from(cx.manifest.approvals_required);
    if counted < required {
        let (code, severity) = if counted + untrusted_only >= required {
            ("approval.insufficient_trusted", Severity::Untrusted)
        } else {
            ("approval.insufficient", Severity::Fail)
        };
        checks.push(
            Check::new(Step::Approvals, code, severity)
                .with_subject("approvals")
                .with_message(format!("{counted} of {required} required approvals count")),
        );
    }
    // Rule 18: the author deploying their own production change.
    let change = cx.manifest.value.get("change");
    let field = |name: &str| change.and_then(|c| c.get(name)).and_then(Value::as_str);
    if field("environment") == Some("production")
        && field("deployer").is_some()
        && field("actor") == field("deployer")
    {
        checks.push(
            Check::new(
                Step::Approvals,
                "approval.actor_is_deployer",
                Severity::Warn,
            )
            .with_subject("manifest.json")
            .with_message("the author of this production change also deployed it"),
        );
    }
    ApprovalReport {
        checks,
        counted,
        signers,
    }
}

/// Applies rules 1–15 to approval `i`; returns the signer's keyid once known.
fn judge(
    cx: &ApprovalContext<'_>,
    i: usize,
    entry: &ApprovalEntry,
    files: &BTreeMap<String, Vec<u8>>,
    seen_nonces: &[&str],
    record: &mut impl FnMut(&'static str, Severity, Option<&'static str>, String),
    identity: &mut Option<(String, String)>,
) -> Option<String> {
    // Rules 1–7: the first failure ends this approval's checks.
    if entry.file != format!("approvals/{:04}.dsse.json", i + 1) {
        record(
            "approval.schema",
            Severity::Fail,
            None,
            format!("entry {} must be approvals/{:04}.dsse.json", i + 1, i + 1),
        );
        return None;
    }
    // Rule 2: a file absent from the zip has no bytes whose digest could match (vector 0139).
    let Some(bytes) = files.get(&entry.file) else {
        record(
            "approval.digest",
            Severity::Fail,
            None,
            "the approval file is not in the bundle".into(),
        );
        return None;
    };
    if Sha256Digest::of(bytes) != entry.digest {
        record(
            "approval.digest",
            Severity::Fail,
            None,
            "the file's SHA-256 differs from the manifest's digest".into(),
        );
        return None;
    }
    let envelope = match Envelope::decode(bytes, cx.limits) {
        Ok(env) if env.signatures.len() == 1 => env,
        Ok(_) => {
            record(
                "approval.signature",
                Severity::Fail,
                None,
                "an approval holds exactly one signature".into(),
            );
            return None;
        }
        Err(e) => {
            record(
                "approval.signature",
                Severity::Fail,
                Some(e.code()),
                e.to_string(),
            );
            return None;
        }
    };
    if envelope.payload_type != APPROVAL_PAYLOAD_TYPE {
        record(
            "approval.schema",
            Severity::Fail,
            None,
            format!("payloadType must be {APPROVAL_PAYLOAD_TYPE}"),
        );
        return None;
    }
    let keyid = envelope
        .signatures
        .first()
        .map(|s| s.keyid.clone())
        .unwrap_or_default();
    let Some(key) = cx.keys.get(&keyid) else {
        let hex = keyid.strip_prefix("sha256:").unwrap_or(&keyid);
        record(
            "bundle.missing_entry",
            Severity::Fail,
            None,
            format!("keys/{hex}.pub.pem is missing"),
        );
        return None;
    };
    if cx.producer_keyids.contains(&keyid) {
        record(
            "trust.role",
            Severity::Fail,
            None,
            "this key also signs a producer envelope".into(),
        );
        return Some(keyid);
    }
    let trusted = cx.trust.key(&keyid).filter(|k| k.has_role(Role::Approver));
    // The scheme: fixed by the key, or for RSA by the trust entry (approvals carry none).
    let scheme = match key.algorithm() {
        KeyAlgorithm::Ed25519 => Scheme::Ed25519,
        KeyAlgorithm::EcdsaP256 => Scheme::EcdsaP256Sha256,
        KeyAlgorithm::Rsa => match cx.trust.key(&keyid) {
            Some(k) => k.scheme(),
            None => {
                record(
                    "approval.untrusted",
                    Severity::Warn,
                    None,
                    "an RSA approver key this verifier does not trust".into(),
                );
                return Some(keyid);
            }
        },
    };
    let payload = match dsse::verify(&envelope, key, scheme, cx.limits) {
        Ok(payload) => payload,
        Err(e) => {
            record(
                "approval.signature",
                Severity::Fail,
                Some(e.code()),
                e.to_string(),
            );
            return Some(keyid);
        }
    };
    let instance: Option<serde_json::Value> = serde_json::from_slice(payload).ok();
    let schema_error = match &instance {
        Some(v) => cx
            .schemas
            .approval()
            .errors(v)
            .into_iter()
            .next()
            .map(|e| e.message),
        None => Some("not JSON".to_owned()),
    };
    let parsed = jcs::parse(payload, cx.limits).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
    };
    let times = (
        field("approved_at").map(Timestamp::parse),
        field("expires_at").map(Timestamp::parse),
    );
    let (Some(Ok(approved_at)), Some(Ok(expires_at)), None) =
        (times.0, times.1, schema_error.clone())
    else {
        let why =
            schema_error.unwrap_or_else(|| "approved_at or expires_at is not a valid time".into());
        record("approval.schema", Severity::Fail, None, why);
        return Some(keyid);
    };
    let sso_sub = field("sso_sub").unwrap_or_default().to_owned();
    *identity = Some((keyid.clone(), sso_sub.clone()));
    // Rules 8–15: every rule is checked.
    let nonce = field("challenge_nonce").unwrap_or_default();
    if nonce != entry.nonce || seen_nonces.contains(&entry.nonce.as_str()) {
        record(
            "approval.nonce",
            Severity::Fail,
            None,
            "challenge_nonce differs from the manifest's nonce, or repeats".into(),
        );
    }
    if field("payload_hash") != Some(cx.manifest.change_digest.to_prefixed().as_str()) {
        record(
            "approval.payload_hash",
            Severity::Fail,
            None,
            "payload_hash is not the digest of this change".into(),
        );
    }
    if !(approved_at <= *cx.created_at && *cx.created_at <= expires_at) {
        record(
            "approval.window",
            Severity::Fail,
            None,
            "the change was not made between approved_at and expires_at".into(),
        );
    }
    if approved_at > *cx.first_event_at {
        record(
            "approval.after_execution",
            Severity::Fail,
            None,
            "approved after the first journal event".into(),
        );
    }
    match trusted.filter(|k| k.scheme() == scheme) {
        None => record(
            "approval.untrusted",
            Severity::Warn,
            None,
            "the trust does not hold this key as an approver".into(),
        ),
        Some(k) => {
            if k.revoked(cx.at) {
                record(
                    "time.key_revoked",
                    Severity::Fail,
                    None,
                    "the approver key is revoked".into(),
                );
            }
            if !k.in_window(&approved_at) {
                record(
                    "approval.key_window",
                    Severity::Fail,
                    None,
                    "approved_at is outside the approver key's window".into(),
                );
            }
        }
    }
    let change = cx.manifest.value.get("change");
    let person = |name: &str| change.and_then(|c| c.get(name)).and_then(Value::as_str);
    if Some(sso_sub.as_str()) == person("actor") || Some(sso_sub.as_str()) == person("deployer") {
        record(
            "approval.self_approval",
            Severity::Fail,
            None,
            "the approver is the change's author or deployer".into(),
        );
    }
    Some(keyid)
}

/// What an approver signs, besides the bundle's `change` (approval-v0.md §2.3).
#[derive(Debug, Clone, Copy)]
pub struct ApprovalRequest<'a> {
    /// The approver's subject at the identity provider (OIDC `sub`).
    pub sso_sub: &'a str,
    /// The identity provider's DNS name, lowercase.
    pub idp_domain: &'a str,
    /// Whether the identity provider reported a multi-factor login.
    pub mfa_verified: bool,
    /// The producer's nonce for this approval (§3.2).
    pub challenge_nonce: &'a str,
    /// When the approver signs.
    pub approved_at: &'a str,
    /// The last second at which a change may use this approval.
    pub expires_at: &'a str,
}

/// A request that breaks approval-v0.md §2.3 (`build.approval`, detail `approval.schema` or
/// `approval.window`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (build.approval)")]
pub struct ApprovalPayloadError {
    detail: &'static str,
    message: String,
}

impl ApprovalPayloadError {
    /// `approval.schema` or `approval.window`.
    pub fn detail(&self) -> &'static str {
        self.detail
    }
}

impl Coded for ApprovalPayloadError {
    fn code(&self) -> &'static str {
        "build.approval"
    }
}

/// The canonical approval payload (approval-v0.md §2.3) for `change`, the bundle's `change`
/// object exactly as the manifest will record it: `payload_hash` is the digest of JCS(`change`)
/// (§3.1). Checked against the approval schema; `approved_at` must not be after `expires_at`.
pub fn approval_payload(
    change: &Value,
    request: &ApprovalRequest<'_>,
    schemas: &Schemas,
) -> Result<Vec<u8>, ApprovalPayloadError> {
    let error = |detail: &'static str, message: String| ApprovalPayloadError { detail, message };
    let mut m = jcs::Map::new();
    m.insert("type", Value::from("https://clyra.dev/approval/v0"));
    m.insert("sso_sub", Value::from(request.sso_sub));
    m.insert("idp_domain", Value::from(request.idp_domain));
    m.insert("mfa_verified", Value::from(request.mfa_verified));
    m.insert("challenge_nonce", Value::from(request.challenge_nonce));
    m.insert(
        "payload_hash",
        Value::from(Sha256Digest::of(&jcs::to_vec(change)).to_prefixed()),
    );
    m.insert("approved_at", Value::from(request.approved_at));
    m.insert("expires_at", Value::from(request.expires_at));
    let payload = jcs::to_vec(&Value::from(m));
    let instance: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|e| error("approval.schema", e.to_string()))?;
    if let Some(message) = crate::format::first_error(schemas.approval(), &instance) {
        return Err(error("approval.schema", message));
    }
    let approved = Timestamp::parse(request.approved_at)
        .map_err(|e| error("approval.window", format!("approved_at: {e}")))?;
    let expires = Timestamp::parse(request.expires_at)
        .map_err(|e| error("approval.window", format!("expires_at: {e}")))?;
    if approved > expires {
        return Err(error(
            "approval.window",
            format!("approved_at {approved} is after expires_at {expires}"),
        ));
    }
    Ok(payload)
}

/// The approval envelope file (approval-v0.md §2.1): `payload` (from [`approval_payload`]) signed
/// by the approver's `key`, as the bytes to write.
pub fn sign_approval(payload: &[u8], key: &crate::crypto::SigningKey) -> Vec<u8> {
    dsse::sign(APPROVAL_PAYLOAD_TYPE, payload, key).encode()
}

/// [`sign_approval`] through any [`Signer`](crate::crypto::Signer) (a token, a command): the
/// envelope file's bytes, or the signer's `signer.*` error.
pub fn sign_approval_with<S: crate::crypto::Signer + ?Sized>(
    payload: &[u8],
    signer: &S,
) -> Result<Vec<u8>, crate::crypto::SignerError> {
    Ok(dsse::sign_with(APPROVAL_PAYLOAD_TYPE, payload, signer)?.encode())
}
