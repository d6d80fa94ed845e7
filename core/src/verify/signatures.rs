//! Steps 6–7: key files, producer envelopes (bundle-v0.md §6.1–§6.6 items 1–7) and the statement
//! binding (§6.6 item 8). Key files and envelopes are checked in file-name order; the binding
//! checks of all envelopes follow the keys-step checks of all envelopes (pipeline order).

use std::collections::{BTreeMap, BTreeSet};

use super::container::Loaded;
use super::Sealed;
use crate::bundle::EntryClass;
use crate::crypto::{PublicKey, Scheme};
use crate::digest::Sha256Digest;
use crate::dsse::{self, Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::error::Coded;
use crate::format::{bind_statement, Manifest, Schemas, StatementError};
use crate::jcs;
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::verdict::{Check, Severity, Step};

/// A producer signature that passed steps 6 and 7: the trust step's input.
#[derive(Debug, Clone)]
pub(crate) struct Producer {
    /// `signatures/<hex>.dsse.json`.
    pub subject: String,
    pub keyid: String,
    pub scheme: Scheme,
    pub signed_at: Timestamp,
}

/// What steps 6–7 hand the later steps.
#[derive(Debug, Default)]
pub(crate) struct Signed {
    /// Signatures that verified and bind the manifest, by file name.
    pub producers: Vec<Producer>,
    /// The keyid of every `signatures/` file (one role per key per bundle).
    pub producer_keyids: Vec<String>,
    /// Key files that passed their checks, by keyid.
    pub keys: BTreeMap<String, PublicKey>,
}

/// Runs steps 6 and 7, recording their checks in pipeline order.
pub(crate) fn check(
    loaded: &Loaded,
    sealed: &Sealed,
    schemas: &Schemas,
    limits: &Limits,
    checks: &mut Vec<Check>,
) -> Signed {
    let mut signed = Signed {
        producer_keyids: loaded
            .of_class(EntryClass::Signature)
            .map(|n| format!("sha256:{}", hex_of(n)))
            .collect(),
        ..Signed::default()
    };
    // Approval signers are known only from their envelopes (§6.1).
    let approval_signers: BTreeSet<String> = loaded
        .of_class(EntryClass::Approval)
        .filter_map(|n| loaded.bytes(n))
        .filter_map(|b| Envelope::decode(b, limits).ok())
        .flat_map(|e| e.signatures.into_iter().map(|s| s.keyid))
        .collect();

    for name in loaded.of_class(EntryClass::Key) {
        let keyid = format!("sha256:{}", hex_of(name));
        let fail = |code: &'static str, message: String| {
            Check::new(Step::Keys, code, Severity::Fail)
                .with_subject(name)
                .with_message(message)
        };
        let check = match key_file(loaded, name, limits) {
            Err(check) => check,
            Ok(key) if key.keyid() != keyid => fail(
                "key.filename_mismatch",
                format!("the key's keyid is {}", key.keyid()),
            ),
            Ok(_)
                if !signed.producer_keyids.contains(&keyid)
                    && !approval_signers.contains(&keyid) =>
            {
                fail(
                    "bundle.unexpected_entry",
                    "the key signs no signature and no approval of this bundle".into(),
                )
            }
            Ok(key) => {
                let message = format!("{:?} key {keyid}", key.algorithm());
                signed.keys.insert(keyid, key);
                Check::ok(Step::Keys)
                    .with_subject(name)
                    .with_message(message)
            }
        };
        checks.push(check);
    }

    let manifest_digest = Sha256Digest::of(&sealed.manifest_bytes);
    let mut bindings = Vec::new();
    for name in loaded.of_class(EntryClass::Signature) {
        let keyid = format!("sha256:{}", hex_of(name));
        let bytes = loaded.bytes(name);
        let result = decode_envelope(name, bytes, &keyid, limits).and_then(|envelope| {
            verify_envelope(
                name,
                &envelope,
                &keyid,
                signed.keys.get(&keyid),
                &sealed.manifest,
                &manifest_digest,
                schemas,
                limits,
            )
        });
        record_envelope(
            result,
            name,
            &keyid,
            checks,
            &mut bindings,
            &mut signed.producers,
        );
    }
    checks.extend(bindings);
    signed
}

/// Records the outcome of one envelope: the keys-step check in `checks`, the statement-step check
/// in `bindings` (appended after every envelope's keys check), the producer when it passed.
pub(crate) fn record_envelope(
    result: Result<Producer, Check>,
    subject: &str,
    keyid: &str,
    checks: &mut Vec<Check>,
    bindings: &mut Vec<Check>,
    producers: &mut Vec<Producer>,
) {
    match result {
        Ok(producer) => {
            checks.push(
                Check::ok(Step::Keys)
                    .with_subject(subject)
                    .with_message(format!("{} signature by {keyid} verifies", producer.scheme)),
            );
            bindings.push(
                Check::ok(Step::Statement)
                    .with_subject(subject)
                    .with_message("the statement binds the manifest"),
            );
            producers.push(producer);
        }
        Err(check) if check.step() == Step::Statement => {
            checks.push(
                Check::ok(Step::Keys)
                    .with_subject(subject)
                    .with_message(format!("signature by {keyid} verifies")),
            );
            bindings.push(check);
        }
        Err(check) => checks.push(check),
    }
}

/// The `<hex>` of `keys/<hex>.pub.pem` or `signatures/<hex>.dsse.json`.
pub(crate) fn hex_of(name: &str) -> &str {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.split('.').next().unwrap_or(base)
}

/// §6.1: a key file within L6 that parses as a public key.
fn key_file(loaded: &Loaded, name: &str, limits: &Limits) -> Result<PublicKey, Check> {
    let fail = |code: &'static str, message: String| {
        Check::new(Step::Keys, code, Severity::Fail)
            .with_subject(name)
            .with_message(message)
    };
    let bytes = loaded.bytes(name).ok_or_else(|| {
        fail(
            "key.too_large",
            format!("larger than {} bytes", limits.key_max_bytes),
        )
    })?;
    PublicKey::from_pem(bytes, limits).map_err(|e| fail(e.code(), e.to_string()))
}

/// §6.6 items 1–2 for one envelope file (`bytes` is `None` when it exceeds L7): decoding, then
/// exactly one signature, by `keyid`. The failing check is of step `keys`.
pub(crate) fn decode_envelope(
    subject: &str,
    bytes: Option<&[u8]>,
    keyid: &str,
    limits: &Limits,
) -> Result<Envelope, Check> {
    let fail = |code: &'static str, message: String| {
        Check::new(Step::Keys, code, Severity::Fail)
            .with_subject(subject)
            .with_message(message)
    };
    // 1. decoding, within L7.
    let bytes = bytes.ok_or_else(|| {
        fail(
            "dsse.too_large",
            format!("larger than {} bytes", limits.dsse_max_envelope_bytes),
        )
    })?;
    let envelope = Envelope::decode(bytes, limits).map_err(|e| fail(e.code(), e.to_string()))?;
    // 2. exactly one signature, by the key the file is named after.
    if !matches!(envelope.signatures.as_slice(), [only] if only.keyid == keyid) {
        return Err(fail(
            "signature.file_mismatch",
            format!("the envelope must hold exactly one signature with keyid {keyid}"),
        ));
    }
    Ok(envelope)
}

/// §6.6 items 3–8 for one decoded envelope: the producer it proves, or the first failing check
/// (step `statement` for the binding items, `keys` otherwise). `key` is `None` when the signer's
/// key failed its own checks (the envelope is then `skipped`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_envelope(
    subject: &str,
    envelope: &Envelope,
    keyid: &str,
    key: Option<&PublicKey>,
    manifest: &Manifest,
    manifest_digest: &Sha256Digest,
    schemas: &Schemas,
    limits: &Limits,
) -> Result<Producer, Check> {
    let at = |step: Step, code: &'static str, severity: Severity, message: String| {
        Check::new(step, code, severity)
            .with_subject(subject)
            .with_message(message)
    };
    let fail = |code: &'static str, message: String| at(Step::Keys, code, Severity::Fail, message);
    let Some(key) = key else {
        return Err(at(
            Step::Keys,
            "skipped",
            Severity::Ok,
            "not checked: its key file failed".into(),
        ));
    };
    // 3. the scheme: implied by Ed25519 and P-256 keys, recorded in the payload for RSA (§6.3).
    let scheme = match key.implied_scheme() {
        Some(scheme) => scheme,
        None => {
            let recorded = jcs::parse(&envelope.payload, limits)
                .ok()
                .and_then(|v| {
                    v.get("predicate")
                        .and_then(|p| p.get("scheme"))
                        .and_then(|s| s.as_str().map(str::to_owned))
                })
                .ok_or_else(|| {
                    fail(
                        "statement.schema",
                        "an RSA signature's payload has no string `predicate.scheme`".into(),
                    )
                })?;
            recorded.parse().map_err(|_| {
                at(
                    Step::Keys,
                    "signature.scheme_unknown",
                    Severity::Indeterminate,
                    format!("scheme `{recorded}` is not registered"),
                )
            })?
        }
    };
    // 4. signature and canonical payload.
    let payload =
        dsse::verify(envelope, key, scheme, limits).map_err(|e| fail(e.code(), e.to_string()))?;
    // 4a. the payload type of a producer Statement (§6.4).
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(fail(
            "statement.schema",
            format!(
                "payloadType `{}` is not `{IN_TOTO_PAYLOAD_TYPE}`",
                envelope.payload_type
            ),
        ));
    }
    // 5–8. Statement structure, schema, recorded scheme, binding.
    let claim =
        bind_statement(payload, key, manifest, manifest_digest, schemas, limits).map_err(|e| {
            let (step, severity) = match e {
                StatementError::SubjectMismatch
                | StatementError::PredicateType(_)
                | StatementError::Binding(_) => (Step::Statement, Severity::Fail),
                StatementError::SchemeUnknown(_) => (Step::Keys, Severity::Indeterminate),
                _ => (Step::Keys, Severity::Fail),
            };
            at(step, e.code(), severity, e.to_string())
        })?;
    let signed_at = Timestamp::parse(&claim.signed_at).map_err(|e| {
        at(
            Step::Statement,
            "statement.schema",
            Severity::Fail,
            format!("`signed_at` `{}`: {e}", claim.signed_at),
        )
    })?;
    Ok(Producer {
        subject: subject.to_owned(),
        keyid: keyid.to_owned(),
        scheme: claim.scheme,
        signed_at,
    })
}
