//! `canonicalize` for Node: a JSON text to its RFC 8785 form (`clyra_core::ffi::canon`).

use napi_derive::napi;

/// The answer of `ffi::canon::canonicalize` for `call` (`{"json": "<text>"}`): small and
/// bounded, so it runs on the calling thread.
#[napi]
pub fn canonicalize(call: String) -> String {
    String::from_utf8_lossy(&clyra_core::ffi::canon::canonicalize(call.as_bytes())).into_owned()
}
