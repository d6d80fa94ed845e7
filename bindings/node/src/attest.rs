//! Attestations for Node (spec: attestation-v0.md §6): verify an attestation and recompute its
//! statuses from the bundle files the call names, through `clyra_core::ffi::attest`; this host
//! only opens the files (streamed, never read whole).

use std::io::BufReader;

use clyra_core::ffi::attest as ffi;
use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi_derive::napi;

use crate::files::open;
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
