//! Bundles over the FFI: keygen, build, co-sign, approve, verify, inspect, receipts.
//!
//! Each call is JSON (`deny_unknown_fields`); bytes JSON carries badly (a bundle, artifacts, a
//! seed) travel beside it. Producing calls return the new bytes with the answer; a failed
//! verification is a `success` whose result is the verdict (DESIGN §8), so only unusable
//! arguments — a key, a trust file, a time — are failures.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

use super::{parse_call, Answer, DetailedError};
use crate::approval::{approval_payload, sign_approval_with, ApprovalRequest};
use crate::build::{build_bundle, co_sign_with, ApprovalFile, Artifact, BuildInputs, BundleSpec};
use crate::crypto::{PublicKey, Scheme, Signer, SigningKey};
use crate::error::Coded;
use crate::format::Schemas;
use crate::jcs;
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::trust::Trust;

/// The answer JSON of a producing call and, on success, the bytes it produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Produced {
    /// The answer: `success` with a report, or `failure`.
    pub answer: Vec<u8>,
    /// The produced bytes (bundle, key, envelope); empty on failure.
    pub bytes: Vec<u8>,
}

impl Produced {
    fn of<T: Serialize>(result: Result<(T, Vec<u8>), Vec<DetailedError>>) -> Self {
        match result {
            Ok((report, bytes)) => Self {
                answer: Answer::of(Ok(report)).to_json(),
                bytes,
            },
            Err(errors) => Self {
                answer: Answer::<T>::of(Err(errors)).to_json(),
                bytes: Vec::new(),
            },
        }
    }
}

pub(super) fn coded<E: Coded + std::fmt::Display>(error: E) -> Vec<DetailedError> {
    vec![DetailedError::of(&error)]
}

fn signing_key(pem: &str, what: &str) -> Result<SigningKey, Vec<DetailedError>> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| {
        vec![DetailedError::of(&e)
            .with_path(what.to_owned())
            .with_help("give the PKCS#8 PEM private key that `clyra keygen` wrote (clyra.key)")]
    })
}

pub(super) fn timestamp(text: &str, what: &str) -> Result<Timestamp, Vec<DetailedError>> {
    Timestamp::parse(text).map_err(|e| {
        vec![DetailedError::new(
            "cli.usage",
            format!("`{text}` is not a UTC timestamp like 2026-12-01T00:00:00Z: {e}"),
        )
        .with_path(what.to_owned())]
    })
}

pub(super) fn schemas() -> Result<Schemas, Vec<DetailedError>> {
    Schemas::new().map_err(|e| vec![DetailedError::new("ffi.answer", e.to_string())])
}

/// The answer of `answer` run with freshly compiled schemas, or the `ffi.answer` failure when the
/// embedded schemas do not compile (the `*_with` functions take schemas a host compiled once).
pub(super) fn with_schemas(answer: impl FnOnce(&Schemas) -> Vec<u8>) -> Vec<u8> {
    match schemas() {
        Ok(schemas) => answer(&schemas),
        Err(errors) => Answer::<()>::of(Err(errors)).to_json(),
    }
}

pub(super) fn json_value(bytes: &[u8]) -> Result<serde_json::Value, Vec<DetailedError>> {
    serde_json::from_slice(bytes).map_err(|e| vec![DetailedError::new("ffi.answer", e.to_string())])
}

/// The call of [`keygen`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeygenCall {
    /// `ed25519` (default) or `ecdsa-p256-sha256`.
    #[serde(default)]
    pub scheme: Option<String>,
}

/// The result of [`keygen`]; the private key PEM is the produced bytes.
#[derive(Debug, Clone, Serialize)]
pub struct KeyPair {
    /// `sha256:<hex>` of the public key's SPKI DER.
    pub keyid: String,
    /// The public key, SPKI PEM.
    pub public_pem: String,
    /// The scheme.
    pub scheme: String,
}

/// A new signing key from 32 bytes of the caller's randomness (the core draws none).
pub fn keygen(call: &[u8], seed: [u8; 32]) -> Produced {
    Produced::of(parse_call::<KeygenCall>(call).and_then(|c| {
        let scheme: Scheme = c
            .scheme
            .as_deref()
            .unwrap_or("ed25519")
            .parse()
            .map_err(coded)?;
        let key = SigningKey::generate(scheme, seed).map_err(coded)?;
        let pem = key.to_pkcs8_pem().map_err(coded)?;
        let public = key.public_key();
        Ok((
            KeyPair {
                keyid: public.keyid().to_owned(),
                public_pem: public.to_pem(),
                scheme: scheme.as_str().to_owned(),
            },
            pem.as_bytes().to_vec(),
        ))
    }))
}

/// One approval envelope given to [`build`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    /// The envelope file's text, exactly as the approver's tool wrote it.
    pub envelope: String,
    /// The nonce the producer issued for it.
    pub nonce: String,
}

/// The call of [`build`]: the bundle spec and everything but the artifacts' bytes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildCall {
    /// The bundle spec (bundle-v0.md §9), as a JSON text.
    pub spec: String,
    /// The producer keys, PKCS#8 PEM; each signs one envelope.
    pub keys: Vec<String>,
    /// The approval envelopes, in order.
    #[serde(default)]
    pub approvals: Vec<ApprovalInput>,
    /// The approvers' public keys, PEM.
    #[serde(default)]
    pub approver_keys: Vec<String>,
    /// The signing time written into every producer Statement.
    pub signed_at: String,
}

/// The result of [`build`]; the bundle is the produced bytes.
#[derive(Debug, Clone, Serialize)]
pub struct BuildResult {
    /// The bundle's identifier.
    pub bundle_id: String,
    /// `sha256:` of `manifest.json`.
    pub manifest_digest: String,
    /// The Merkle root.
    pub merkle_root: String,
    /// The journal head.
    pub journal_head: String,
    /// The risk score.
    pub risk_score: u64,
    /// The entries, in the order written.
    pub entries: Vec<String>,
}

/// Builds one bundle (bundle-v0.md §9) from the call and `artifacts` (name, bytes).
pub fn build(call: &[u8], artifacts: &[(String, &[u8])]) -> Produced {
    build_signed(call, artifacts, &[])
}

/// [`build`] with producer `signers` the host opened from key URIs (a PKCS#11 token, a signer
/// command: spec/signer-command-v0.md), signing after the call's `keys`. The call's `keys` may
/// then be empty; a signer that cannot sign is `build.signer` with its `signer.*` detail.
pub fn build_signed(
    call: &[u8],
    artifacts: &[(String, &[u8])],
    signers: &[&dyn Signer],
) -> Produced {
    let limits = Limits::default();
    Produced::of(parse_call::<BuildCall>(call).and_then(|c| {
        let spec = BundleSpec::parse(c.spec.as_bytes(), &limits).map_err(coded)?;
        let keys = c
            .keys
            .iter()
            .enumerate()
            .map(|(i, pem)| signing_key(pem, &format!("keys[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let signers: Vec<&dyn Signer> = keys
            .iter()
            .map(|k| k as &dyn Signer)
            .chain(signers.iter().copied())
            .collect();
        let approver_keys = c
            .approver_keys
            .iter()
            .map(|pem| PublicKey::from_pem(pem.as_bytes(), &limits).map_err(coded))
            .collect::<Result<Vec<_>, _>>()?;
        let inputs = BuildInputs {
            artifacts: artifacts
                .iter()
                .map(|(name, bytes)| Artifact::new(name.as_str(), Cursor::new(*bytes)))
                .collect(),
            approvals: c
                .approvals
                .into_iter()
                .map(|a| ApprovalFile {
                    envelope: a.envelope.into_bytes(),
                    nonce: a.nonce,
                })
                .collect(),
            approver_keys: &approver_keys,
            signers: &signers,
            signed_at: &c.signed_at,
        };
        let mut sink = Cursor::new(Vec::new());
        let report = build_bundle(&spec, inputs, &mut sink, &limits).map_err(coded)?;
        Ok((
            BuildResult {
                bundle_id: report.bundle_id,
                manifest_digest: report.manifest_digest.to_prefixed(),
                merkle_root: report.merkle_root.to_prefixed(),
                journal_head: report.journal_head.to_prefixed(),
                risk_score: report.risk_score,
                entries: report.entries,
            },
            sink.into_inner(),
        ))
    }))
}

/// The call of [`sign`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignCall {
    /// The co-signer's PKCS#8 PEM private key; absent when the host gives a signer.
    #[serde(default)]
    pub key: Option<String>,
    /// The signing time.
    pub signed_at: String,
}

/// The result of [`sign`]; the co-signed bundle is the produced bytes.
#[derive(Debug, Clone, Serialize)]
pub struct SignResult {
    /// The keyid that signed.
    pub keyid: String,
}

/// Adds one producer signature to `bundle` (bundle-v0.md §9.5).
pub fn sign(call: &[u8], bundle: &[u8]) -> Produced {
    sign_signed(call, bundle, None)
}

/// [`sign`] with the co-signer a host opened from a key URI (a token, a signer command) instead
/// of the call's `key`: exactly one of the two is given.
pub fn sign_signed(call: &[u8], bundle: &[u8], signer: Option<&dyn Signer>) -> Produced {
    Produced::of(parse_call::<SignCall>(call).and_then(|c| {
        let key = c
            .key
            .as_deref()
            .map(|pem| signing_key(pem, "key"))
            .transpose()?;
        let signer = one_signer(key.as_ref(), signer)?;
        let signed =
            co_sign_with(bundle, signer, &c.signed_at, &Limits::default()).map_err(coded)?;
        Ok((
            SignResult {
                keyid: signer.public_key().keyid().to_owned(),
            },
            signed,
        ))
    }))
}

/// The one signer of a call: its PEM `key` or the host's signer, never both or neither.
fn one_signer<'a>(
    key: Option<&'a SigningKey>,
    signer: Option<&'a dyn Signer>,
) -> Result<&'a dyn Signer, Vec<DetailedError>> {
    match (key, signer) {
        (Some(k), None) => Ok(k),
        (None, Some(s)) => Ok(s),
        _ => Err(vec![DetailedError::new(
            "ffi.call",
            "give exactly one signing key: the call's `key` (PEM) or a key URI",
        )]),
    }
}

/// The call of [`approve`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveCall {
    /// The bundle spec (its `change` is what is approved), as a JSON text.
    pub spec: String,
    /// The approver's PKCS#8 PEM private key; absent when the host gives a signer.
    #[serde(default)]
    pub key: Option<String>,
    /// The approver's identity at the IdP.
    pub sso_sub: String,
    /// The IdP's domain.
    pub idp_domain: String,
    /// Whether the approver passed MFA.
    #[serde(default)]
    pub mfa_verified: bool,
    /// The producer's nonce.
    pub nonce: String,
    /// When the approval was given.
    pub approved_at: String,
    /// Until when it holds.
    pub expires_at: String,
}

/// The result of [`approve`]; the envelope file is the produced bytes.
#[derive(Debug, Clone, Serialize)]
pub struct ApproveResult {
    /// The approver's keyid.
    pub keyid: String,
}

/// Signs an approval of the spec's `change` (approval-v0.md §2).
pub fn approve(call: &[u8]) -> Produced {
    approve_signed(call, None)
}

/// [`approve`] with the approver's signer a host opened from a key URI instead of the call's
/// `key`: exactly one of the two is given.
pub fn approve_signed(call: &[u8], signer: Option<&dyn Signer>) -> Produced {
    let limits = Limits::default();
    Produced::of(parse_call::<ApproveCall>(call).and_then(|c| {
        let spec = BundleSpec::parse(c.spec.as_bytes(), &limits).map_err(coded)?;
        let change = spec.change().ok_or_else(|| {
            vec![DetailedError::new(
                "build.spec_schema",
                "the bundle spec has no `change`",
            )]
        })?;
        let key = c
            .key
            .as_deref()
            .map(|pem| signing_key(pem, "key"))
            .transpose()?;
        let signer = one_signer(key.as_ref(), signer)?;
        let request = ApprovalRequest {
            sso_sub: &c.sso_sub,
            idp_domain: &c.idp_domain,
            mfa_verified: c.mfa_verified,
            challenge_nonce: &c.nonce,
            approved_at: &c.approved_at,
            expires_at: &c.expires_at,
        };
        let payload = approval_payload(change, &request, &schemas()?).map_err(|e| {
            vec![DetailedError::new(
                e.code(),
                format!("{e} [{}]", e.detail()),
            )]
        })?;
        let envelope = sign_approval_with(&payload, signer)
            .map_err(|e| vec![DetailedError::of(&e).with_path("key".to_owned())])?;
        Ok((
            ApproveResult {
                keyid: signer.public_key().keyid().to_owned(),
            },
            envelope,
        ))
    }))
}

/// The call of [`verify`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyCall {
    /// The trust file's text (trust-v0.md), or a bare PEM public key.
    pub trust: String,
    /// The verification time.
    pub at: String,
    /// The policy document's JSON text, when given.
    #[serde(default)]
    pub policy: Option<String>,
    /// Adds the auditor view as member `audit` (verdicts.md §3.1).
    #[serde(default)]
    pub auditor: bool,
    /// A ledger receipt's JSON text (`clyra verify --ledger-proof`): rule 5a's evidence of time
    /// (trust-v0.md §6.5) and its own checks appended (ledger-v0.md §5.2), with the trust file's
    /// ledger key.
    #[serde(default)]
    pub ledger_proof: Option<String>,
}

/// Verifies `bundle` (bundle-v0.md §7): the verdict JSON of verdicts.md §3, never a failure for
/// a damaged bundle; failures only for an unusable trust file, policy or time.
pub fn verify(call: &[u8], bundle: &[u8]) -> Vec<u8> {
    super::verifier::verify_reader(call, Cursor::new(bundle), bundle.len() as u64)
}

/// Inspects `bundle`: its summary JSON (not a verdict; see `core::inspect`).
pub fn inspect(bundle: &[u8]) -> Vec<u8> {
    let limits = Limits::default();
    Answer::of(
        crate::inspect::inspect(Cursor::new(bundle), bundle.len() as u64, &limits)
            .map_err(coded)
            .and_then(|v| json_value(&jcs::to_vec(&v))),
    )
    .to_json()
}

/// The call of [`receipt_extract`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptExtractCall {
    /// The journal event's `seq`.
    pub seq: u64,
}

/// The receipt of one journal event of `bundle` (receipt-v0.md §3), as its canonical JSON text.
pub fn receipt_extract(call: &[u8], bundle: &[u8]) -> Vec<u8> {
    let limits = Limits::default();
    Answer::of(parse_call::<ReceiptExtractCall>(call).and_then(|c| {
        let bytes =
            crate::receipt::extract(Cursor::new(bundle), bundle.len() as u64, c.seq, &limits)
                .map_err(coded)?;
        String::from_utf8(bytes)
            .map_err(|_| vec![DetailedError::new("ffi.answer", "receipt is not UTF-8")])
    }))
    .to_json()
}

/// The call of [`receipt_verify`] (the receipt's bytes travel beside it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptVerifyCall {
    /// The trust file's text, or a bare PEM public key.
    pub trust: String,
    /// The verification time.
    pub at: String,
}

/// Verifies the receipt `receipt` (receipt-v0.md §4): its verdict JSON; any bytes give a verdict.
pub fn receipt_verify(call: &[u8], receipt: &[u8]) -> Vec<u8> {
    with_schemas(|schemas| receipt_verify_with(schemas, call, receipt))
}

/// [`receipt_verify`] with schemas the host compiled once (`Schemas::new`), for hosts that
/// verify many receipts in one process (Node's addon): the same answer without compiling the
/// schemas per call. The core keeps no global state (DESIGN §2); the host owns the compiled value.
pub fn receipt_verify_with(schemas: &Schemas, call: &[u8], receipt: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<ReceiptVerifyCall>(call).and_then(|c| {
        // The trust file is checked first so that its failure carries its detail.
        Trust::parse(c.trust.as_bytes(), &Limits::default()).map_err(|e| {
            vec![DetailedError::new("trust.file", e.to_string()).with_detail(e.detail())]
        })?;
        let verdict =
            crate::receipt::verify_receipt_bytes_with(receipt, c.trust.as_bytes(), &c.at, schemas)
                .map_err(coded)?;
        json_value(&verdict.to_json())
    }))
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).unwrap()
    }

    fn spec() -> String {
        r#"{"format":"def/v0","created_at":"2026-11-20T09:01:15Z",
            "producer":{"name":"clyra-dbt","version":"0.1.0","host":"dbt-core 1.11.2"},
            "change":{"actor":"dana@example.com","environment":"development","kind":"data","subject":"model.shop.orders"},
            "policy":{"required":false,"decisions":[]},
            "risk":{"factors":{"change_magnitude":"data","violations_critical":0,"violations_warning":0,"production":false,"off_hours":false,"approval_bypassed":false,"threats":0,"sql_findings":0,"first_time_actor":false}},
            "approvals":{"required":0},
            "def":{"run":{"tool":"dbt","tool_version":"1.11.2","invocation_id":"i-1","command":"dbt build","started_at":"2026-11-20T09:00:00Z","finished_at":"2026-11-20T09:01:00Z","environment":"dev","actor":"dana","status":"success"},"assets":[],"tests":[],"metrics":{}},
            "journal":[{"at":"2026-11-20T09:00:00Z","kind":"run.started","data":{}}]}"#
            .to_owned()
    }

    #[test]
    fn keygen_build_verify_inspect_receipt_round_trip() {
        let key = keygen(br#"{}"#, [7; 32]);
        let pair = answer(&key.answer);
        let pem = String::from_utf8(key.bytes).unwrap();
        let public = pair["result"]["public_pem"].as_str().unwrap().to_owned();
        let call =
            serde_json::json!({"spec": spec(), "keys": [pem], "signed_at": "2026-11-20T09:02:00Z"});
        let built = build(
            &serde_json::to_vec(&call).unwrap(),
            &[("dbt/run_results.json".to_owned(), b"{}".as_slice())],
        );
        assert_eq!(
            answer(&built.answer)["type"],
            "success",
            "{:?}",
            answer(&built.answer)
        );
        let vcall =
            serde_json::json!({"trust": public, "at": "2026-12-01T00:00:00Z", "auditor": true});
        let verdict = answer(&verify(&serde_json::to_vec(&vcall).unwrap(), &built.bytes));
        assert_eq!(verdict["result"]["outcome"], "VALID", "{verdict}");
        assert!(verdict["result"]["audit_text"].is_string());
        let mut damaged = built.bytes.clone();
        let last = damaged.len() - 30;
        damaged[last] ^= 1;
        let verdict = answer(&verify(&serde_json::to_vec(&vcall).unwrap(), &damaged));
        assert_eq!(verdict["result"]["outcome"], "INVALID");
        assert_eq!(answer(&inspect(&built.bytes))["result"]["format"], "def/v0");
        let receipt = answer(&receipt_extract(br#"{"seq":0}"#, &built.bytes));
        let rcall = serde_json::json!({"trust": public, "at": "2026-12-01T00:00:00Z"});
        let text = receipt["result"].as_str().unwrap().as_bytes().to_vec();
        let rverdict = answer(&receipt_verify(&serde_json::to_vec(&rcall).unwrap(), &text));
        assert_eq!(rverdict["result"]["outcome"], "VALID", "{rverdict}");
        let other = keygen(br#"{"scheme":"ecdsa-p256-sha256"}"#, [9; 32]);
        let scall = serde_json::json!({"key": String::from_utf8(other.bytes).unwrap(), "signed_at": "2026-11-20T09:03:00Z"});
        let signed = sign(&serde_json::to_vec(&scall).unwrap(), &built.bytes);
        assert_eq!(answer(&signed.answer)["type"], "success");
        assert!(signed.bytes.len() > built.bytes.len());
    }

    #[test]
    fn bad_trust_and_key_are_failures() {
        let v = answer(&verify(
            br#"{"trust":"nope","at":"2026-12-01T00:00:00Z"}"#,
            b"",
        ));
        assert_eq!(v["errors"][0]["code"], "trust.file");
        let call = serde_json::json!({"spec": spec(), "keys": ["not a key"], "signed_at": "2026-11-20T09:02:00Z"});
        let b = answer(&build(&serde_json::to_vec(&call).unwrap(), &[]).answer);
        assert_eq!(b["type"], "failure");
        assert!(b["errors"][0]["code"].as_str().unwrap().starts_with("key."));
        let k = answer(&keygen(br#"{"scheme":"rsa-pss-sha256"}"#, [1; 32]).answer);
        assert_eq!(k["errors"][0]["code"], "key.signing_unsupported");
    }

    #[test]
    fn approve_signs_the_change() {
        let key = keygen(br#"{}"#, [3; 32]);
        let call = serde_json::json!({"spec": spec(), "key": String::from_utf8(key.bytes).unwrap(),
            "sso_sub": "lee", "idp_domain": "idp.example", "mfa_verified": true, "nonce": "n-0123456789abcdef",
            "approved_at": "2026-11-20T08:00:00Z", "expires_at": "2026-11-20T10:00:00Z"});
        let out = approve(&serde_json::to_vec(&call).unwrap());
        assert_eq!(
            answer(&out.answer)["type"],
            "success",
            "{:?}",
            answer(&out.answer)
        );
        assert!(String::from_utf8(out.bytes)
            .unwrap()
            .contains("application/vnd.clyra.approval+json"));
    }
}
