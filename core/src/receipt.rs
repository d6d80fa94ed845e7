//! Receipts: one journal event with its Merkle inclusion proof and the signed manifest, verifiable
//! alone (receipt-v0.md).
//!
//! [`extract`] makes the canonical receipt of journal line `seq` from a bundle whose content and
//! signatures check (receipt-v0.md §3); [`verify_receipt`] runs the ten steps of receipt-v0.md §4
//! and returns a [`Verdict`], reusing the bundle pipeline's manifest, envelope, statement, trust
//! and risk checks. Any byte string given as a receipt yields a verdict, never an error or a panic.

use std::io::{Read, Seek};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::crypto::PublicKey;
use crate::digest::{to_hex, Sha256Digest};
use crate::error::Coded;
use crate::format::{Format, Schemas};
use crate::jcs::{self, Map, Number, Value};
use crate::journal;
use crate::limits::Limits;
use crate::merkle::{inclusion_proof, leaf_hash, verify_inclusion, HASH_LEN};
use crate::time::Timestamp;
use crate::trust::Trust;
use crate::verdict::{Check, Severity, Step};
use crate::verify::container::{self, JOURNAL, MANIFEST};
use crate::verify::signatures::{self, decode_envelope, record_envelope, verify_envelope};
use crate::verify::{content, judgement, UsageError, Verdict};

/// The receipt `type` (receipt-v0.md §2.1).
pub const RECEIPT_TYPE: &str = "https://clyra.dev/receipt/v0";

/// `event.prev` of journal line 0.
const GENESIS_PREV: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// Why a receipt could not be extracted (exit 4 in a host; never part of a verdict).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct ReceiptError {
    code: &'static str,
    detail: Option<&'static str>,
    message: String,
}

impl ReceiptError {
    fn new(code: &'static str, detail: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            code,
            detail,
            message: message.into(),
        }
    }

    /// The code of the bundle check that failed, for `receipt.bundle_invalid`.
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }

    /// What was wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl Coded for ReceiptError {
    /// `receipt.bundle_invalid` (the bundle's content or signatures do not check; the failing
    /// code is the detail) or `receipt.no_event` (no journal line `seq`).
    fn code(&self) -> &'static str {
        self.code
    }
}

/// Extracts the receipt of journal line `seq` from the bundle of `len` bytes in `bundle`
/// (receipt-v0.md §3): canonical receipt JSON, without a trailing newline.
///
/// The bundle is checked first as a verifier would, except for trust, time, approvals and policy,
/// which a receipt does not carry (§1.2): any `fail` or `indeterminate` check of the container,
/// manifest, artifacts, journal, Merkle, keys, statement or risk steps refuses the extraction
/// (`receipt.bundle_invalid`, detail the failing code), as does a bundle without a producer
/// signature that verifies. `seq` at or beyond `journal.count` is `receipt.no_event`.
pub fn extract<R: Read + Seek>(
    bundle: R,
    len: u64,
    seq: u64,
    limits: &Limits,
) -> Result<Vec<u8>, ReceiptError> {
    let schemas = Schemas::new()
        .map_err(|e| ReceiptError::new("receipt.bundle_invalid", None, e.to_string()))?;
    let invalid = |check: &Check| {
        let subject = check
            .subject()
            .map(|s| format!("{s}: "))
            .unwrap_or_default();
        ReceiptError::new(
            "receipt.bundle_invalid",
            Some(check.code()),
            format!(
                "the bundle does not verify: {subject}{} ({})",
                check.message(),
                check.code()
            ),
        )
    };
    let loaded = container::load(bundle, len, limits, None).map_err(|c| invalid(&c))?;
    let mut checks = Vec::new();
    let manifest_bytes = loaded.bytes(MANIFEST).unwrap_or_default();
    let sealed = content::manifest_checks(manifest_bytes, MANIFEST, &schemas, limits, &mut checks);
    let Some(sealed) = sealed else {
        return Err(checks
            .last()
            .map(invalid)
            .unwrap_or_else(|| ReceiptError::new("receipt.bundle_invalid", None, "no manifest")));
    };
    content::artifacts(&loaded, &sealed.manifest, &mut checks);
    let journal_bytes = loaded.bytes(JOURNAL).unwrap_or_default();
    content::journal(journal_bytes, &sealed, limits, &mut checks);
    content::merkle(journal_bytes, &sealed.manifest, limits, &mut checks);
    let signed = signatures::check(&loaded, &sealed, &schemas, limits, &mut checks);
    judgement::risk(&sealed.manifest, None, &mut checks);
    if let Some(bad) = checks
        .iter()
        .find(|c| matches!(c.severity(), Severity::Fail | Severity::Indeterminate))
    {
        return Err(invalid(bad));
    }
    if signed.producers.is_empty() {
        return Err(ReceiptError::new(
            "receipt.bundle_invalid",
            None,
            "the bundle has no producer signature that verifies",
        ));
    }
    let manifest = &sealed.manifest;
    if seq >= manifest.journal_count {
        return Err(ReceiptError::new(
            "receipt.no_event",
            None,
            format!(
                "the journal has {} events (seq 0 to {}); {seq} is not one of them",
                manifest.journal_count,
                manifest.journal_count.saturating_sub(1)
            ),
        ));
    }
    // Leaves: the journal lines, then the artifact records (bundle-v0.md §4.1).
    let lines: Vec<&[u8]> = journal::lines(journal_bytes).collect();
    let mut leaves: Vec<[u8; HASH_LEN]> = lines.iter().map(|l| leaf_hash(l)).collect();
    leaves.extend(
        manifest
            .artifacts
            .iter()
            .map(|a| leaf_hash(&content::artifact_record(&a.path, &a.sha256, a.size))),
    );
    let index = usize::try_from(seq).unwrap_or(usize::MAX);
    let line = lines
        .get(index)
        .ok_or_else(|| ReceiptError::new("receipt.no_event", None, "no such journal line"))?;
    let proof = inclusion_proof(&leaves, seq)
        .map_err(|e| ReceiptError::new("receipt.no_event", Some(e.code()), e.to_string()))?;
    let parse = |bytes: &[u8]| {
        jcs::parse(bytes, limits)
            .map_err(|e| ReceiptError::new("receipt.bundle_invalid", Some(e.code()), e.to_string()))
    };
    let mut envelopes = Vec::new();
    let mut keys = Vec::new();
    for name in loaded.of_class(crate::bundle::EntryClass::Signature) {
        let hex = signatures::hex_of(name);
        let key_name = format!("keys/{hex}.pub.pem");
        let (Some(envelope), Some(key)) = (loaded.bytes(name), loaded.bytes(&key_name)) else {
            return Err(ReceiptError::new(
                "receipt.bundle_invalid",
                None,
                format!("{name} or {key_name} could not be read"),
            ));
        };
        envelopes.push(Value::from(STANDARD.encode(envelope)));
        keys.push(Value::from(String::from_utf8_lossy(key).into_owned()));
    }
    let integer = |n: u64| {
        i64::try_from(n)
            .ok()
            .and_then(Number::from_i64)
            .map_or(Value::Null, Value::from)
    };
    let mut receipt = Map::new();
    receipt.insert("type", Value::from(RECEIPT_TYPE));
    receipt.insert("manifest", parse(manifest_bytes)?);
    receipt.insert("envelopes", Value::from(envelopes));
    receipt.insert("keys", Value::from(keys));
    receipt.insert("event", parse(line)?);
    receipt.insert("leaf_index", integer(seq));
    receipt.insert(
        "proof",
        Value::from(
            proof
                .iter()
                .map(|h| Value::from(to_hex(h)))
                .collect::<Vec<_>>(),
        ),
    );
    receipt.insert("tree_size", integer(manifest.merkle_size));
    Ok(jcs::to_vec(&Value::from(receipt)))
}

/// The steps of verdicts.md §2 a receipt verdict never covers, in this order (receipt-v0.md §1.2,
/// verdicts.md §3.2): `journal` stands for every line but the receipt's event. A VALID receipt
/// says nothing about them — in particular not that the bundle's approvals passed.
pub const NOT_COVERED: [&str; 4] = ["artifacts", "journal", "approvals", "policy"];

/// Verifies the receipt `bytes` against `trust` at `at` (receipt-v0.md §4); the verdict's
/// `not_covered` is [`NOT_COVERED`].
pub fn verify_receipt(
    bytes: &[u8],
    trust: &Trust,
    at: &Timestamp,
    schemas: &Schemas,
    limits: &Limits,
) -> Verdict {
    let mut checks = Vec::new();
    if run(bytes, trust, at, schemas, limits, &mut checks).is_none() {
        skip_rest(&mut checks);
    }
    Verdict::of_receipt(checks)
}

/// Verifies `bytes` as a receipt against a trust file (`trust_bytes`, either form of trust-v0.md)
/// at the timestamp `at`: the JSON/FFI-ready entry point.
///
/// Errors only when verification cannot run: `trust.file` or `cli.usage` (`at` is not a
/// timestamp). Every receipt byte string yields a verdict.
pub fn verify_receipt_bytes(
    bytes: &[u8],
    trust_bytes: &[u8],
    at: &str,
) -> Result<Verdict, UsageError> {
    let schemas = Schemas::new().map_err(|e| UsageError::new("cli.usage", e.to_string()))?;
    verify_receipt_bytes_with(bytes, trust_bytes, at, &schemas)
}

/// [`verify_receipt_bytes`] with schemas the caller compiled once ([`Schemas::new`]): a host
/// verifying many receipts pays the schema compilation (milliseconds) once, not per receipt.
/// Same errors and verdicts.
pub fn verify_receipt_bytes_with(
    bytes: &[u8],
    trust_bytes: &[u8],
    at: &str,
    schemas: &Schemas,
) -> Result<Verdict, UsageError> {
    let limits = Limits::default();
    let trust = Trust::parse(trust_bytes, &limits)
        .map_err(|e| UsageError::new("trust.file", e.to_string()))?;
    let at = parse_at(at)?;
    Ok(verify_receipt(bytes, &trust, &at, schemas, &limits))
}

/// The verification time of the JSON/FFI entry points (`cli.usage` when it is no timestamp).
fn parse_at(at: &str) -> Result<Timestamp, UsageError> {
    Timestamp::parse(at).map_err(|e| {
        UsageError::new(
            "cli.usage",
            format!("`{at}` is not a timestamp (YYYY-MM-DDThh:mm:ssZ): {e}"),
        )
    })
}

/// After a stopping failure in steps 1–3: the later steps, recorded as `skipped`.
fn skip_rest(checks: &mut Vec<Check>) {
    for (step, subject) in [
        (Step::Receipt, "event"),
        (Step::Keys, "envelopes"),
        (Step::Statement, "envelopes"),
        (Step::Trust, "envelopes"),
        (Step::Risk, "manifest"),
    ] {
        checks.push(
            Check::new(step, "skipped", Severity::Ok)
                .with_subject(subject)
                .with_message("not run: the receipt or its manifest failed"),
        );
    }
}

fn receipt_fail(code: &'static str, subject: &str, message: impl Into<String>) -> Check {
    Check::new(Step::Receipt, code, Severity::Fail)
        .with_subject(subject)
        .with_message(message)
}

/// Steps 1–10; `None` when a step 1–3 failure stopped the run (its check is recorded).
fn run(
    bytes: &[u8],
    trust: &Trust,
    at: &Timestamp,
    schemas: &Schemas,
    limits: &Limits,
    checks: &mut Vec<Check>,
) -> Option<()> {
    // 1. Receipt: size before parsing, then strict JSON with an object at the top.
    if bytes.len() > limits.receipt_max_bytes {
        checks.push(receipt_fail(
            "receipt.too_large",
            "receipt",
            format!(
                "{} bytes, more than {}",
                bytes.len(),
                limits.receipt_max_bytes
            ),
        ));
        return None;
    }
    let value = match jcs::parse(bytes, limits) {
        Ok(value) => value,
        Err(e) => {
            checks.push(
                receipt_fail("receipt.schema", "receipt", format!("not strict JSON: {e}"))
                    .with_detail(e.code()),
            );
            return None;
        }
    };
    if value.as_object().is_none() {
        checks.push(receipt_fail(
            "receipt.schema",
            "receipt",
            "the top level is not an object",
        ));
        return None;
    }
    // 2. Format.
    let Some(manifest) = value.get("manifest").filter(|m| m.as_object().is_some()) else {
        checks.push(receipt_fail(
            "receipt.schema",
            "manifest",
            "`manifest` is missing or not an object",
        ));
        return None;
    };
    let Some(format_name) = manifest.get("format").and_then(Value::as_str) else {
        checks.push(receipt_fail(
            "receipt.schema",
            "manifest",
            "`manifest.format` is missing or not a string",
        ));
        return None;
    };
    if Format::from_name(format_name).is_none() {
        checks.push(
            Check::new(
                Step::Manifest,
                "manifest.format_unknown",
                Severity::Indeterminate,
            )
            .with_subject("manifest")
            .with_message(format!(
                "format `{format_name}` is not known to this verifier"
            )),
        );
        return None;
    }
    // 3. Schema: outside `manifest` first; the manifest's own rules run on M = JCS(manifest).
    let instance: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            checks.push(receipt_fail("receipt.schema", "receipt", e.to_string()));
            return None;
        }
    };
    let mut outside = None;
    for error in schemas.receipt().errors(&instance) {
        if error.path != "/manifest" && !error.path.starts_with("/manifest/") {
            outside = Some(error.located());
            break;
        }
    }
    if let Some(message) = outside {
        checks.push(receipt_fail("receipt.schema", "receipt", message));
        return None;
    }
    let envelopes = value.get("envelopes").and_then(Value::as_array)?;
    let keys = value.get("keys").and_then(Value::as_array)?;
    if envelopes.len() != keys.len() {
        checks.push(receipt_fail(
            "receipt.schema",
            "keys",
            format!("{} keys for {} envelopes", keys.len(), envelopes.len()),
        ));
        return None;
    }
    let m_bytes = jcs::to_vec(manifest);
    if m_bytes.len() as u64 > limits.bundle_max_manifest_bytes {
        checks.push(
            Check::new(Step::Manifest, "manifest.json", Severity::Fail)
                .with_subject("manifest")
                .with_message(format!(
                    "the canonical manifest has {} bytes, more than {} (L14)",
                    m_bytes.len(),
                    limits.bundle_max_manifest_bytes
                )),
        );
        return None;
    }
    let sealed = content::manifest_checks(&m_bytes, "manifest", schemas, limits, checks)?;
    let manifest = &sealed.manifest;

    // 4. Event.
    let event = value.get("event")?;
    let line = jcs::to_vec(event);
    let leaf_index = value.get("leaf_index").and_then(Value::as_u64)?;
    let tree_size = value.get("tree_size").and_then(Value::as_u64)?;
    let start = checks.len();
    let event_at = event
        .get("at")
        .and_then(Value::as_str)
        .and_then(|t| Timestamp::parse(t).ok());
    let mismatch = if leaf_index >= manifest.journal_count {
        Some(format!(
            "leaf_index {leaf_index} is beyond the journal's {} events",
            manifest.journal_count
        ))
    } else if event.get("seq").and_then(Value::as_u64) != Some(leaf_index) {
        Some(format!("event.seq is not leaf_index {leaf_index}"))
    } else if event_at.is_none_or(|t| t > sealed.created_at) {
        Some(format!(
            "event.at is not a time at or before created_at {}",
            sealed.created_at
        ))
    } else if leaf_index == 0 && event.get("prev").and_then(Value::as_str) != Some(GENESIS_PREV) {
        Some("event 0's prev is not the genesis value".to_owned())
    } else {
        None
    };
    if let Some(message) = mismatch {
        checks.push(receipt_fail("receipt.event_mismatch", "event", message));
    }

    // 5. Proof.
    if tree_size != manifest.merkle_size {
        checks.push(receipt_fail(
            "receipt.proof",
            "tree_size",
            format!(
                "tree_size {tree_size}, the manifest's merkle.size is {}",
                manifest.merkle_size
            ),
        ));
    } else {
        let proof: Vec<Vec<u8>> = value
            .get("proof")
            .and_then(Value::as_array)
            .unwrap_or_default()
            .iter()
            .map(|h| h.as_str().and_then(decode_hex).unwrap_or_default())
            .collect();
        let leaf = leaf_hash(&line);
        if let Err(e) = verify_inclusion(
            &leaf,
            leaf_index,
            tree_size,
            &proof,
            manifest.merkle_root.as_bytes(),
            limits,
        ) {
            checks.push(
                receipt_fail(
                    "receipt.proof",
                    "proof",
                    format!("the inclusion proof does not lead to merkle.root: {e}"),
                )
                .with_detail(e.code()),
            );
        }
    }

    // 6. Head.
    if leaf_index + 1 == manifest.journal_count && Sha256Digest::of(&line) != manifest.journal_head
    {
        checks.push(receipt_fail(
            "receipt.event_mismatch",
            "event",
            "the last event's digest is not journal.head",
        ));
    }
    if checks.len() == start {
        checks.push(
            Check::ok(Step::Receipt)
                .with_subject("event")
                .with_message(format!(
                    "event {leaf_index} is leaf {leaf_index} of the tree of {tree_size} under merkle.root"
                )),
        );
    }

    // 7. Keys and envelopes.
    let mut parsed_keys: Vec<Option<PublicKey>> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let subject = format!("keys[{i}]");
        let pem = key.as_str().unwrap_or_default();
        match PublicKey::from_pem(pem.as_bytes(), limits) {
            Ok(key) => {
                checks.push(
                    Check::ok(Step::Keys)
                        .with_subject(subject)
                        .with_message(format!("{:?} key {}", key.algorithm(), key.keyid())),
                );
                parsed_keys.push(Some(key));
            }
            Err(e) => {
                checks.push(
                    Check::new(Step::Keys, e.code(), Severity::Fail)
                        .with_subject(subject)
                        .with_message(e.to_string()),
                );
                parsed_keys.push(None);
            }
        }
    }
    let digest = Sha256Digest::of(&m_bytes);
    let mut bindings = Vec::new();
    let mut producers = Vec::new();
    let mut previous: Option<String> = None;
    for (i, (text, key)) in envelopes.iter().zip(&parsed_keys).enumerate() {
        let subject = format!("envelopes[{i}]");
        let Some(file) = text.as_str().and_then(|t| STANDARD.decode(t).ok()) else {
            checks.push(
                Check::new(Step::Keys, "receipt.schema", Severity::Fail)
                    .with_subject(subject)
                    .with_message("not standard padded base64"),
            );
            continue;
        };
        let keyid = key
            .as_ref()
            .map(|k| k.keyid().to_owned())
            .or_else(|| {
                // A key that failed: the envelope is still decoded, then skipped.
                crate::dsse::Envelope::decode(&file, limits)
                    .ok()
                    .and_then(|e| e.signatures.first().map(|s| s.keyid.clone()))
            })
            .unwrap_or_default();
        let bytes = (file.len() <= limits.dsse_max_envelope_bytes).then_some(file.as_slice());
        let result = decode_envelope(&subject, bytes, &keyid, limits).and_then(|envelope| {
            // receipt-v0.md §4.1 step 7: the order rule applies to envelopes whose key parsed.
            if key.is_some()
                && previous
                    .as_ref()
                    .is_some_and(|p| p.as_str() >= keyid.as_str())
            {
                return Err(Check::new(Step::Keys, "receipt.schema", Severity::Fail)
                    .with_subject(subject.as_str())
                    .with_message("the envelopes are not in strictly ascending keyid order"));
            }
            if key.is_some() {
                previous = Some(keyid.clone());
            }
            verify_envelope(
                &subject,
                &envelope,
                &keyid,
                key.as_ref(),
                manifest,
                &digest,
                schemas,
                limits,
            )
        });
        record_envelope(
            result,
            &subject,
            &keyid,
            checks,
            &mut bindings,
            &mut producers,
        );
    }
    // 8. Statement.
    checks.extend(bindings);
    // 9. Trust and time.
    judgement::trust_checks(
        &producers,
        &sealed.created_at,
        trust,
        at,
        None,
        "envelopes",
        checks,
    );
    // 10. Risk.
    judgement::risk(manifest, None, checks);
    Some(())
}

/// Lowercase hex (the schema already fixed the pattern) to bytes.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| match pair {
            [high, low] => Some((digit(*high)? << 4) | digit(*low)?),
            _ => None,
        })
        .collect()
}
