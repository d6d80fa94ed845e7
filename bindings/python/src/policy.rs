//! The policy engine for Python (policy-v1.md): `clyra_core::ffi::policy` load, canon, lint, eval.
//!
//! Each function takes the JSON call of its `ffi::policy` counterpart and returns the answer's
//! `result` as JSON; failures raise `PolicyError` (`policy.*`) or `UsageError` (`ffi.call`).

use pyo3::prelude::*;

use crate::errors::result_of;
use crate::gil::released;

/// Loads and checks a policy: `{"policy", "file"?}` → `{"policy_hash", "canonical", "rules"}`.
#[pyfunction]
pub fn policy_load(py: Python<'_>, call: &str) -> PyResult<String> {
    let answer = released(py, || clyra_core::ffi::policy::load(call.as_bytes()));
    result_of(py, &answer)
}

/// The canonical JSON and digest of a policy as written: `{"policy"}` → `{"canonical", "digest"}`.
#[pyfunction]
pub fn policy_canon(py: Python<'_>, call: &str) -> PyResult<String> {
    let answer = released(py, || clyra_core::ffi::policy::canon(call.as_bytes()));
    result_of(py, &answer)
}

/// Lints a policy: `{"policy", "file"?}` → the lint report (findings, never an exception for
/// a policy that does not load).
#[pyfunction]
pub fn policy_lint(py: Python<'_>, call: &str) -> PyResult<String> {
    let answer = released(py, || clyra_core::ffi::policy::lint(call.as_bytes()));
    result_of(py, &answer)
}

/// Evaluates a policy over facts: `{"policy", "file"?, "facts"}` → the evaluation with the
/// manifest's `decisions`.
#[pyfunction]
pub fn policy_eval(py: Python<'_>, call: &str) -> PyResult<String> {
    let answer = released(py, || clyra_core::ffi::policy::eval(call.as_bytes()));
    result_of(py, &answer)
}
