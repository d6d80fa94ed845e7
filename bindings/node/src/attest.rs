//! Attestations for Node (spec: attestation-v0.md §6): verify an attestation and recompute its
//! statuses from the bundle files the call names, through `clyra_core::ffi::attest`; this host
//! only opens the files (streamed, never read whole).

use std::io::BufReader;

use clyra_core::ffi::attest as ffi;
use clyra_core::ffi::{Answer, DetailedError};
use clyra_core::Limits;
use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi_derive::napi;

use crate::files::{open, read_bounded, read_text};
use crate::task::{answered, Answered};

/// Verifies attestation bytes: the answer of `ffi::attest::attest_verify`, each bundle of the
/// call's `bundles` opened from disk as the core asks for it.
#[napi(ts_return_type = "Promise<string>")]
pub fn attest_verify(call: String, attestation: Uint8Array) -> AsyncTask<Answered> {
    let attestation = attestation.to_vec();
    answered(move || {
        ffi::attest_verify(call.as_bytes(), &attestation, |path| {
            open(path).map(|(file, len)| (BufReader::new(file), len))
        })
    })
}

/// The files and flags of `clyra attest verify`.
#[napi(object)]
pub struct AttestArgs {
    /// The attestation file's path.
    pub attestation: String,
    /// The bundle files it covers.
    pub bundles: Vec<String>,
    /// The trust file's path.
    pub trust: String,
    /// The policy files' paths (`--policy`, repeatable).
    pub policies: Vec<String>,
    /// The verification time (the caller's clock when the user gave none).
    pub at: String,
    /// `human` or `json`.
    pub format: String,
}

/// What `clyra attest verify` prints for `args`: answer `{exit, text}`, or the failure (exit 4)
/// with the CLI's code and the file it concerns.
#[napi(ts_return_type = "Promise<string>")]
pub fn attest_verify_printed(args: AttestArgs) -> AsyncTask<Answered> {
    answered(move || {
        let limits = Limits::default();
        let read = (|| -> Result<_, DetailedError> {
            let trust = read_text(&args.trust, limits.json_max_bytes)?;
            let policies = args
                .policies
                .iter()
                .map(|p| read_text(p, limits.policy_max_bytes))
                .collect::<Result<Vec<_>, _>>()?;
            let attestation = read_bounded(&args.attestation, limits.json_max_bytes)?;
            Ok((trust, policies, attestation))
        })();
        let (trust, policies, attestation) = match read {
            Ok(read) => read,
            Err(error) => return Answer::<()>::of(Err(vec![error])).to_json(),
        };
        let call = serde_json::json!({
            "trust": trust, "trust_name": args.trust, "policies": policies,
            "policy_names": args.policies, "at": args.at, "bundles": args.bundles,
            "format": args.format, "name": args.attestation,
        });
        ffi::attest_verify(call.to_string().as_bytes(), &attestation, |path| {
            open(path).map(|(file, len)| (BufReader::new(file), len))
        })
    })
}
