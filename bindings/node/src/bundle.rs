//! Bundles for Node: verify (bytes or a path, verdict JSON or the printed output of
//! `clyra verify`), inspect (`clyra_core::ffi::bundle`, `clyra_core::ffi::verifier`).

use std::io::BufReader;

use clyra_core::ffi::bundle as ffi;
use clyra_core::ffi::verifier;
use clyra_core::ffi::verifier::Lent;
use clyra_core::ffi::{Answer, DetailedError};
use clyra_core::format::Schemas;
use clyra_core::verify::ArtifactHasher;
use clyra_core::Limits;
use clyra_host::hasher::ParallelHasher;
use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi_derive::napi;

use crate::files::{open, read_text};
use crate::schemas::compiled;
use crate::task::{answered, Answered};

/// Verifies bundle bytes: the answer of `ffi::bundle::verify` (a verdict, or a failure for an
/// unusable trust file, policy or time).
#[napi(ts_return_type = "Promise<string>")]
pub fn verify_bundle(call: String, bundle: Uint8Array) -> AsyncTask<Answered> {
    let bundle = bundle.to_vec();
    answered(move || {
        let len = bundle.len() as u64;
        verify_answer(&call, std::io::Cursor::new(bundle), len, None)
    })
}

/// Verifies the bundle at `path`, streamed from disk (never read whole into memory).
#[napi(ts_return_type = "Promise<string>")]
pub fn verify_bundle_file(call: String, path: String) -> AsyncTask<Answered> {
    answered(move || match open(&path) {
        Ok((file, len)) => {
            let hasher = ParallelHasher::new(&file, jobs(), None);
            verify_answer(&call, BufReader::new(&file), len, Some(&hasher))
        }
        Err(error) => Answer::<()>::of(Err(vec![error])).to_json(),
    })
}

/// The files and flags of `clyra verify` (paths as the user typed them).
#[napi(object)]
pub struct VerifyArgs {
    /// The bundle's path.
    pub bundle: String,
    /// The trust file's path.
    pub trust: String,
    /// The verification time (the caller's clock when the user gave none).
    pub at: String,
    /// The policy file's path.
    pub policy: Option<String>,
    /// `--auditor`.
    pub auditor: bool,
    /// `human` or `json`.
    pub format: String,
    /// `--ledger-proof`: a ledger receipt's path, checked after the bundle (needs `ledger_key`).
    pub ledger_proof: Option<String>,
    /// `--ledger-key`: the ledger's verifier key, its text or a file holding it.
    pub ledger_key: Option<String>,
}

/// What `clyra verify` prints for `args`: answer `{exit, text}`, or the failure (exit 4) with
/// the CLI's code and the file it concerns.
#[napi(ts_return_type = "Promise<string>")]
pub fn verify_printed(args: VerifyArgs) -> AsyncTask<Answered> {
    answered(move || {
        let prepared = (|| -> Result<_, DetailedError> {
            let limits = Limits::default();
            let trust = read_text(&args.trust, limits.json_max_bytes)?;
            let policy = match &args.policy {
                Some(path) => Some(read_text(path, limits.json_max_bytes)?),
                None => None,
            };
            let (file, len) = open(&args.bundle)?;
            Ok((trust, policy, file, len))
        })();
        let (trust, policy, file, len) = match prepared {
            Ok(prepared) => prepared,
            Err(error) => return Answer::<()>::of(Err(vec![error])).to_json(),
        };
        let call = serde_json::json!({
            "trust": trust, "trust_name": args.trust, "at": args.at,
            "policy": policy, "policy_name": args.policy, "auditor": args.auditor,
            "format": args.format, "name": args.bundle,
        });
        let call = call.to_string();
        let hasher = ParallelHasher::new(&file, jobs(), None);
        let bundle = BufReader::new(&file);
        // `--ledger-proof` (and `--ledger-key`, else the trust file's `ledger_keys`): the files
        // read now, their failures reported by the core in the order `clyra verify` reports them.
        let proof = args.ledger_proof.as_deref().map(read_proof);
        let key = args.ledger_key.as_deref().map(crate::ledger::read_key);
        let ledger = proof.as_ref().map(|proof| verifier::LedgerProof {
            proof: proof.as_deref().map_err(Clone::clone),
            key: key.as_ref().map(|k| k.as_deref().map_err(Clone::clone)),
        });
        let fresh;
        let schemas = match compiled() {
            Some(schemas) => schemas,
            None => match Schemas::new() {
                Ok(schemas) => {
                    fresh = schemas;
                    &fresh
                }
                Err(_) => return verifier::verify_printed(call.as_bytes(), bundle, len),
            },
        };
        let lent = Lent {
            schemas,
            hasher: Some(&hasher),
        };
        verifier::verify_printed_with(lent, call.as_bytes(), bundle, len, ledger)
    })
}

/// A `--ledger-proof` file, read as `clyra verify` reads it: at most one byte past the receipt
/// limit (L23), `cli.io` naming the file when it cannot be read.
fn read_proof(path: &str) -> Result<Vec<u8>, DetailedError> {
    crate::files::read_bounded(path, Limits::default().receipt_max_bytes)
}

/// The answer of `ffi::verifier::verify_reader` with the compiled schemas and, for a file, the
/// CLI's parallel artifact hashing.
fn verify_answer<R: std::io::Read + std::io::Seek>(
    call: &str,
    bundle: R,
    len: u64,
    hasher: Option<&dyn ArtifactHasher>,
) -> Vec<u8> {
    match compiled() {
        Some(schemas) => {
            verifier::verify_reader_with(Lent { schemas, hasher }, call.as_bytes(), bundle, len)
        }
        None => verifier::verify_reader(call.as_bytes(), bundle, len),
    }
}

/// Threads that hash artifacts, as `clyra verify` picks them: the cores available, at most 8.
fn jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// What is inside bundle bytes (not a verdict): the answer of `ffi::bundle::inspect`.
#[napi(ts_return_type = "Promise<string>")]
pub fn inspect_bundle(bundle: Uint8Array) -> AsyncTask<Answered> {
    let bundle = bundle.to_vec();
    answered(move || ffi::inspect(&bundle))
}

/// What is inside the bundle at `path`.
#[napi(ts_return_type = "Promise<string>")]
pub fn inspect_bundle_file(path: String) -> AsyncTask<Answered> {
    answered(move || match read_whole(&path) {
        Ok(bundle) => ffi::inspect(&bundle),
        Err(error) => error,
    })
}

/// The receipt of one journal event of bundle bytes: the answer of `ffi::bundle::receipt_extract`.
#[napi(ts_return_type = "Promise<string>")]
pub fn receipt_extract(call: String, bundle: Uint8Array) -> AsyncTask<Answered> {
    let bundle = bundle.to_vec();
    answered(move || ffi::receipt_extract(call.as_bytes(), &bundle))
}

/// The receipt of one journal event of the bundle at `path`.
#[napi(ts_return_type = "Promise<string>")]
pub fn receipt_extract_file(call: String, path: String) -> AsyncTask<Answered> {
    answered(move || match read_whole(&path) {
        Ok(bundle) => ffi::receipt_extract(call.as_bytes(), &bundle),
        Err(error) => error,
    })
}

/// The bytes of the bundle at `path` for the byte-taking calls (inspect, extract): opened as
/// `clyra` opens it, so a stream stops one byte past the limit; the failure answer otherwise.
fn read_whole(path: &str) -> Result<Vec<u8>, Vec<u8>> {
    use std::io::Read;
    let fail = |error: DetailedError| Answer::<()>::of(Err(vec![error])).to_json();
    let (file, len) = open(path).map_err(fail)?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(len)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(clyra_core::ffi::io_error(&e, path)))?;
    Ok(bytes)
}
