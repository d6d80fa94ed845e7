//! What a verifier host needs beyond bytes in, verdict out: verification from any reader (a file
//! streamed by Node, a browser `File` read in slices) and the exact output of `clyra verify` and
//! `clyra receipt verify` (text or JSON line, and the exit code), so `npx clyra-verify` and the
//! browser page print what the Rust CLI prints without a second renderer.

use std::io::{Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

use super::bundle::{json_value, timestamp, with_schemas};
use super::{parse_call, Answer, DetailedError};
use crate::audit::{audit, AuditReport};
use crate::bundle::{Container, EntryClass, Method};
use crate::digest::Sha256Digest;
use crate::error::Coded;
use crate::format::Schemas;
use crate::jcs::{self, Value};
use crate::ledger::witness::BundleReceipt;
use crate::ledger::VerifierKey;
use crate::limits::Limits;
use crate::receipt::verify_receipt;
use crate::time::Timestamp;
use crate::trust::Trust;
use crate::verify::{
    policy_digest, verify_bundle_hashed, ArtifactHasher, Evidence, HostDigest, HostDigests,
    Verdict, VerifyInputs,
};

/// What a host lends a verification, to spare work without changing the verdict: the JSON
/// Schemas compiled once per process, and optionally a hasher that reads the artifacts on several
/// threads (the CLI's and Node's `clyra_host::hasher::ParallelHasher`, over the same bytes).
#[derive(Clone, Copy)]
pub struct Lent<'a> {
    /// The compiled schemas (`Schemas::new`).
    pub schemas: &'a Schemas,
    /// The artifact hasher, or `None` for the core's own single-threaded reading.
    pub hasher: Option<&'a dyn ArtifactHasher>,
}

impl<'a> Lent<'a> {
    /// Only compiled schemas, no hasher.
    pub fn schemas(schemas: &'a Schemas) -> Self {
        Self {
            schemas,
            hasher: None,
        }
    }
}

/// The usable arguments of one verification: trust, time and policy bytes.
struct Prepared {
    trust: Trust,
    at: Timestamp,
    policy: Option<Vec<u8>>,
}

/// Where each argument came from, for the `path` of its error (a file name as the user gave it).
#[derive(Default)]
struct Names<'a> {
    trust: Option<&'a str>,
    policy: Option<&'a str>,
}

fn with_path(error: DetailedError, path: Option<&str>) -> DetailedError {
    match path {
        Some(path) => error.with_path(path),
        None => error,
    }
}

/// Parses trust, time and policy in the order `clyra verify` does (trust, time, policy), so the
/// first unusable argument is the one the CLI reports.
fn prepare(
    trust: &str,
    at: &str,
    policy: Option<&str>,
    names: &Names<'_>,
) -> Result<Prepared, Vec<DetailedError>> {
    let limits = Limits::default();
    let trust = Trust::parse(trust.as_bytes(), &limits).map_err(|e| {
        let error = DetailedError::new("trust.file", e.to_string()).with_detail(e.detail());
        vec![match names.trust {
            Some(path) => error.with_path(path),
            None => error.with_help("give the trust file `clyra dbt init` wrote (.clyra/trust.json) or a producer's PEM public key"),
        }]
    })?;
    let at = match names.trust {
        // A host printing like the CLI names the flag, as the CLI does.
        Some(_) => Timestamp::parse(at).map_err(|_| {
            vec![DetailedError::new(
                "cli.usage",
                format!("--at `{at}` is not a UTC timestamp like 2026-12-01T00:00:00Z"),
            )]
        })?,
        None => timestamp(at, "at")?,
    };
    if let Some(policy) = policy {
        policy_digest(policy.as_bytes(), &limits).map_err(|e| {
            // policy-v1.md §1.3: the failing rule is the detail (conformance.md §6.6).
            vec![with_path(
                DetailedError::new(e.code(), e.message()).with_detail(e.detail()),
                names.policy,
            )]
        })?;
    }
    Ok(Prepared {
        trust,
        at,
        policy: policy.map(|p| p.as_bytes().to_vec()),
    })
}

/// The SHA-256 of the `len` bytes of `bundle` (the bundle file's identity in a ledger record,
/// ledger-v0.md §2.1), which is left at its start.
fn bundle_sha256<R: Read + Seek>(bundle: &mut R, len: u64) -> std::io::Result<Sha256Digest> {
    bundle.seek(SeekFrom::Start(0))?;
    let sha = Sha256Digest::of_reader(bundle.by_ref().take(len))?;
    bundle.seek(SeekFrom::Start(0))?;
    Ok(sha)
}

/// Runs the verification of `bundle` (`len` bytes) with `prepared`: the verdict and, when
/// `auditor`, the auditor report. With `ledger_proof`, rule 5a (trust-v0.md §6.5) and the
/// receipt's own checks (ledger-v0.md §5.2, the trust file's ledger key), as `clyra verify
/// --ledger-proof` does; a trust file without `ledger_keys` is then `ledger.key`.
fn run<R: Read + Seek>(
    prepared: &Prepared,
    lent: Lent<'_>,
    mut bundle: R,
    len: u64,
    auditor: bool,
    ledger: Option<&LedgerProof<'_>>,
) -> Result<(Verdict, Option<AuditReport>), Vec<DetailedError>> {
    let (verdict, evidence) = run_bundle(prepared, lent, &mut bundle, len, ledger)?;
    let report = auditor.then(|| audit(&verdict, evidence.manifest.as_ref(), &evidence.approvals));
    Ok((verdict, report))
}

/// A ledger receipt given with a verification (`clyra verify --ledger-proof PROOF [--ledger-key
/// VKEY]`), as the host read its files: the proof's bytes and, when given, the ledger verifier
/// key's text, or the failure of reading each (reported in the CLI's order: proof, then key).
pub struct LedgerProof<'a> {
    /// The proof file's bytes (at most L23 + 1 of them), or why it could not be read.
    pub proof: Result<&'a [u8], DetailedError>,
    /// `--ledger-key`: the key's text (`name+hash+base64`) or why it could not be read; `None`
    /// takes the trust file's `ledger_keys` entry (ledger-v0.md §5.2).
    pub key: Option<Result<&'a str, DetailedError>>,
}

/// Picks the receipt's ledger key and hashes the bundle (left at its start), before the bundle is
/// verified: rule 5a belongs to the trust-and-time step.
fn receipt<'a, R: Read + Seek>(
    ledger: &'a LedgerProof<'a>,
    trust: &Trust,
    bundle: &mut R,
    len: u64,
    limits: &Limits,
) -> Result<BundleReceipt<'a>, Vec<DetailedError>> {
    let proof = *ledger.proof.as_ref().map_err(|e| vec![e.clone()])?;
    let given = match &ledger.key {
        Some(Ok(text)) => Some(
            VerifierKey::parse(text.trim())
                .map_err(|e| vec![DetailedError::new(e.code(), e.to_string())])?,
        ),
        Some(Err(e)) => return Err(vec![e.clone()]),
        None => None,
    };
    let key = BundleReceipt::key(proof, given, trust, limits)
        .map_err(|e| vec![DetailedError::new(e.code(), e.to_string())])?;
    let sha256 = bundle_sha256(bundle, len).map_err(|e| {
        vec![DetailedError::new(
            "cli.io",
            format!("cannot read the bundle: {e}"),
        )]
    })?;
    Ok(BundleReceipt::new(proof, key, sha256, trust, limits))
}

/// The bundle's verdict (with the receipt's checks after its own, ledger-v0.md §5.2) and the
/// evidence the auditor view is made from.
fn run_bundle<R: Read + Seek>(
    prepared: &Prepared,
    lent: Lent<'_>,
    mut bundle: R,
    len: u64,
    ledger: Option<&LedgerProof<'_>>,
) -> Result<(Verdict, Evidence), Vec<DetailedError>> {
    let limits = Limits::default();
    let receipt = match ledger {
        None => None,
        Some(ledger) => Some(receipt(ledger, &prepared.trust, &mut bundle, len, &limits)?),
    };
    let inputs = VerifyInputs {
        trust: &prepared.trust,
        at: &prepared.at,
        policy: prepared.policy.as_deref(),
        schemas: lent.schemas,
        limits: &limits,
        witnessed: receipt.as_ref().map(BundleReceipt::witnessed),
    };
    let (verdict, evidence) = verify_bundle_hashed(bundle, len, &inputs, lent.hasher);
    let verdict = match receipt {
        Some(receipt) => receipt.append_checks(verdict, &limits),
        None => verdict,
    };
    Ok((verdict, evidence))
}

/// [`super::bundle::verify`] over any reader of `len` bytes: the call is a
/// [`super::bundle::VerifyCall`]; the answer its verdict JSON (with `audit` and `audit_text`
/// when the call asks for the auditor view).
pub fn verify_reader<R: Read + Seek>(call: &[u8], bundle: R, len: u64) -> Vec<u8> {
    with_schemas(|schemas| verify_reader_with(Lent::schemas(schemas), call, bundle, len))
}

/// [`verify_reader`] with what the host lends ([`Lent`]): schemas compiled once, for hosts that
/// verify many bundles in one process (Node's addon), and its artifact hasher. The same answer;
/// the core keeps no global state and starts no thread (DESIGN §2), the host owns both.
pub fn verify_reader_with<R: Read + Seek>(
    lent: Lent<'_>,
    call: &[u8],
    bundle: R,
    len: u64,
) -> Vec<u8> {
    Answer::of(parse_call::<super::bundle::VerifyCall>(call).and_then(|c| {
        let prepared = prepare(&c.trust, &c.at, c.policy.as_deref(), &Names::default())?;
        let ledger = c.ledger_proof.as_deref().map(|p| LedgerProof {
            proof: Ok(p.as_bytes()),
            key: None,
        });
        let (verdict, report) = run(&prepared, lent, bundle, len, c.auditor, ledger.as_ref())?;
        let json = match report {
            None => verdict.to_json(),
            Some(report) => match jcs::parse(&verdict.to_json(), &Limits::default()) {
                Ok(Value::Object(mut top)) => {
                    top.insert("audit", report.to_value());
                    top.insert("audit_text", Value::from(report.to_text()));
                    jcs::to_vec(&Value::from(top))
                }
                _ => verdict.to_json(),
            },
        };
        json_value(&json)
    }))
    .to_json()
}

/// The output format of `clyra verify --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The text for people.
    Human,
    /// One JSON line: the verdict (verdicts.md §3).
    Json,
}

/// The call of [`verify_printed`]: the arguments of `clyra verify` that apply to any host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintCall {
    /// The trust file's text, or a bare PEM public key.
    pub trust: String,
    /// The trust file's name as the user gave it (the `path` of its errors).
    pub trust_name: String,
    /// The verification time.
    pub at: String,
    /// The policy document's text (strict JSON or the policy YAML subset), when given.
    #[serde(default)]
    pub policy: Option<String>,
    /// The policy file's name as the user gave it.
    #[serde(default)]
    pub policy_name: Option<String>,
    /// Adds the auditor view (`--auditor`).
    #[serde(default)]
    pub auditor: bool,
    /// `human` or `json`.
    pub format: Format,
    /// The bundle or receipt as the user named it (the first word of the human text).
    pub name: String,
    /// A ledger receipt's JSON text (`--ledger-proof`; see [`super::bundle::VerifyCall`]).
    #[serde(default)]
    pub ledger_proof: Option<String>,
    /// Digests the host took of stored artifact entries ([`stored_artifacts`]) with a SHA-256 of
    /// its own, checked and used as [`HostDigests`] (when the host lends no hasher).
    #[serde(default)]
    pub artifact_digests: Vec<HostDigest>,
}

/// What `clyra verify` would print on stdout, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Printed {
    /// 0 VALID, 1 INVALID, 2 VALID with warnings or VALID_UNTRUSTED, 3 INDETERMINATE.
    pub exit: u8,
    /// The standard output, byte for byte (ends with a newline).
    pub text: String,
}

/// Verifies `bundle` (`len` bytes) and renders the output of `clyra verify` with the call's
/// format; failures carry the CLI's code, message, detail and path (exit 4).
pub fn verify_printed<R: Read + Seek>(call: &[u8], bundle: R, len: u64) -> Vec<u8> {
    with_schemas(|schemas| verify_printed_with(Lent::schemas(schemas), call, bundle, len, None))
}

/// [`verify_printed`] with what the host lends (see [`verify_reader_with`]) and, when given, a
/// ledger receipt whose checks follow the bundle's (`--ledger-proof`).
pub fn verify_printed_with<R: Read + Seek>(
    lent: Lent<'_>,
    call: &[u8],
    mut bundle: R,
    len: u64,
    ledger: Option<LedgerProof<'_>>,
) -> Vec<u8> {
    Answer::of(parse_call::<PrintCall>(call).and_then(|c| {
        let names = Names {
            trust: Some(&c.trust_name),
            policy: c.policy_name.as_deref(),
        };
        let prepared = prepare(&c.trust, &c.at, c.policy.as_deref(), &names)?;
        let digests = HostDigests(c.artifact_digests);
        let lent = match lent.hasher {
            None if !digests.0.is_empty() => Lent {
                hasher: Some(&digests),
                ..lent
            },
            _ => lent,
        };
        // A receipt in the call (the page, the wasm driver) or read by the host (`--ledger-proof`).
        let from_call = c.ledger_proof.as_deref().map(|p| LedgerProof {
            proof: Ok(p.as_bytes()),
            key: None,
        });
        let (verdict, report) = run(
            &prepared,
            lent,
            &mut bundle,
            len,
            c.auditor,
            ledger.as_ref().or(from_call.as_ref()),
        )?;
        Ok(Printed {
            exit: verdict.exit,
            text: verdict.to_output(report.as_ref(), &c.name, &c.at, c.format == Format::Json),
        })
    }))
    .to_json()
}

/// A stored `artifacts/` entry ([`stored_artifacts`]): where its bytes are in the bundle file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredArtifact {
    /// The entry's name.
    pub name: String,
    /// Its data offset in the file.
    pub offset: u64,
    /// Its size (stored: the same compressed and uncompressed, else the entry is not listed).
    pub size: u64,
}

/// The stored `artifacts/` entries of `bundle` (`len` bytes), in central-directory order, for a
/// host that digests them with a SHA-256 of its own before verifying ([`PrintCall`]'s
/// `artifact_digests`; the browser page's WebCrypto, issue 13). The answer `{entries}` is empty
/// when the container does not open: the verification then reports why.
pub fn stored_artifacts<R: Read + Seek>(bundle: R, len: u64) -> Vec<u8> {
    let entries = Container::open(bundle, len, &Limits::default())
        .map(|c| {
            c.entries()
                .iter()
                .filter(|e| {
                    EntryClass::of(&e.name) == Some(EntryClass::Artifact)
                        && e.method == Method::Stored
                        && e.compressed_size == e.uncompressed_size
                })
                .map(|e| StoredArtifact {
                    name: e.name.clone(),
                    offset: e.data_offset,
                    size: e.compressed_size,
                })
                .collect()
        })
        .unwrap_or_default();
    Answer::of(Ok(StoredEntries { entries })).to_json()
}

/// The answer of [`stored_artifacts`].
#[derive(Serialize)]
struct StoredEntries {
    entries: Vec<StoredArtifact>,
}

/// The call of [`receipt_verify_printed`]: the arguments of `clyra receipt verify`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptPrintCall {
    /// The trust file's text, or a bare PEM public key.
    pub trust: String,
    /// The trust file's name as the user gave it.
    pub trust_name: String,
    /// The verification time.
    pub at: String,
    /// `human` or `json`.
    pub format: Format,
    /// The receipt as the user named it.
    pub name: String,
}

/// Verifies the receipt `receipt` and renders the output of `clyra receipt verify`.
pub fn receipt_verify_printed(call: &[u8], receipt: &[u8]) -> Vec<u8> {
    with_schemas(|schemas| receipt_verify_printed_with(schemas, call, receipt))
}

/// [`receipt_verify_printed`] with schemas the host compiled once (see [`verify_reader_with`]).
pub fn receipt_verify_printed_with(schemas: &Schemas, call: &[u8], receipt: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<ReceiptPrintCall>(call).and_then(|c| {
        let names = Names {
            trust: Some(&c.trust_name),
            policy: None,
        };
        let prepared = prepare(&c.trust, &c.at, None, &names)?;
        let limits = Limits::default();
        let verdict = verify_receipt(receipt, &prepared.trust, &prepared.at, schemas, &limits);
        Ok(Printed {
            exit: verdict.exit,
            text: verdict.to_output(None, &c.name, &c.at, c.format == Format::Json),
        })
    }))
    .to_json()
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn answer(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn garbage_is_a_printed_invalid_verdict_and_bad_trust_names_its_file() {
        let call = serde_json::json!({"trust": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
            "trust_name": "t.pem", "at": "2026-12-01T00:00:00Z", "format": "human", "name": "x.zip"});
        let out = answer(&verify_printed(
            call.to_string().as_bytes(),
            Cursor::new(b"not a zip"),
            9,
        ));
        assert_eq!(out["result"]["exit"], 1, "{out}");
        assert!(out["result"]["text"]
            .as_str()
            .unwrap()
            .starts_with("x.zip: INVALID"));
        let bad = serde_json::json!({"trust": "{", "trust_name": "t.json",
            "at": "2026-12-01T00:00:00Z", "format": "json", "name": "x.zip"});
        let out = answer(&verify_printed(
            bad.to_string().as_bytes(),
            Cursor::new(b""),
            0,
        ));
        assert_eq!(out["errors"][0]["code"], "trust.file");
        assert_eq!(out["errors"][0]["path"], "t.json");
    }
}
