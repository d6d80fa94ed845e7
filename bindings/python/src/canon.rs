//! Canonical JSON (RFC 8785) for Python: `clyra_core::ffi::canon`.

use pyo3::prelude::*;

use crate::errors::result_of;
use crate::gil::released;

/// `{"canonical": str, "digest": "sha256:…"}` of a strict JSON text, as JSON; raises
/// `CanonError` with the `jcs.*` code when the text is rejected.
#[pyfunction]
pub fn canonicalize(py: Python<'_>, json: &str) -> PyResult<String> {
    let call = serde_json::json!({ "json": json }).to_string();
    let answer = released(py, || clyra_core::ffi::canon::canonicalize(call.as_bytes()));
    result_of(py, &answer)
}
