//! Badges for Python (spec: badge-v0.md §5): verify a badge's bytes through `clyra_core::ffi`.

use clyra_core::ffi::badge as ffi;
use pyo3::prelude::*;

use crate::errors::result_of;
use crate::gil::released;

/// Verifies badge bytes: the badge verdict JSON of badge-v0.md §5.3 (any bytes give a verdict).
#[pyfunction]
pub fn badge_verify(py: Python<'_>, call: &str, badge: &[u8]) -> PyResult<String> {
    let answer = released(py, || ffi::badge_verify(call.as_bytes(), badge));
    result_of(py, &answer)
}
