//! Badges for Python (spec: badge-v0.md §5): verify a badge's bytes through
//! `clyra_core::ffi::badge`. Any bytes give a verdict; only the trust file and `at` raise.

use clyra_core::ffi::badge as ffi;
use pyo3::prelude::*;

use crate::errors::result_of;
use crate::gil::released;

/// Verifies badge bytes (a compact JWS, badge-v0.md §2) against the call's `trust` at its `at`:
/// the verdict JSON of badge-v0.md §5.3. Raises `TrustError` (`trust.file`) or `UsageError`
/// (`cli.usage` for a bad `at`, `ffi.call` for a malformed call).
#[pyfunction]
pub fn badge_verify(py: Python<'_>, call: &str, badge: &[u8]) -> PyResult<String> {
    let answer = released(py, || ffi::badge_verify(call.as_bytes(), badge));
    result_of(py, &answer)
}
