//! One DSSE envelope against a trust file for Node (spec: dsse.md §10), through
//! `clyra_core::ffi::dsse`: the DSSE-only check, the peer of a Sigstore verifier's.

use clyra_core::ffi::dsse as ffi;
use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi_derive::napi;

use crate::task::{answered, Answered};

/// Verifies envelope bytes off the main thread: the answer of `ffi::dsse::verify_envelope`.
#[napi(ts_return_type = "Promise<string>")]
pub fn envelope_verify(call: String, envelope: Uint8Array) -> AsyncTask<Answered> {
    let envelope = envelope.to_vec();
    answered(move || ffi::verify_envelope(call.as_bytes(), &envelope))
}

/// Verifies envelope bytes on the calling thread (no thread-pool hop: one envelope is
/// microseconds of work, bounded by the envelope limit L7): the same answer.
#[napi]
pub fn envelope_verify_sync(call: String, envelope: &[u8]) -> String {
    String::from_utf8_lossy(&ffi::verify_envelope(call.as_bytes(), envelope)).into_owned()
}
