//! dbt evidence for Python (`clyra_core::ffi::dbt`): seal a run, fingerprint a relation.

use clyra_core::ffi::dbt as ffi;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::bundle::{borrowed, produced};
use crate::errors::result_of;
use crate::gil::released;
use crate::signers::{produced_with, with_signers};

/// Seals a dbt run into a signed DEF bundle: (`{"bundle","state","summary","spec"}` JSON, bundle).
/// `key_uris` are producer keys by URI (the project config's `key`), besides the call's `keys`.
#[pyfunction]
#[pyo3(signature = (call, run_results, manifest, artifacts, key_uris = Vec::new()))]
pub fn dbt_seal<'py>(
    py: Python<'py>,
    call: &str,
    run_results: &[u8],
    manifest: &[u8],
    artifacts: Vec<(String, Vec<u8>)>,
    key_uris: Vec<String>,
) -> PyResult<(String, Bound<'py, PyBytes>)> {
    let out = released(py, || {
        let artifacts = borrowed(&artifacts);
        produced_with(&key_uris, |signers| {
            ffi::seal_signed(call.as_bytes(), run_results, manifest, &artifacts, signers)
        })
    });
    produced(py, out)
}

/// The schema fingerprint of a relation (def-v0.md §3): `{"fingerprint"}` JSON.
#[pyfunction]
pub fn fingerprint(py: Python<'_>, call: &str) -> PyResult<String> {
    let answer = released(py, || ffi::fingerprint(call.as_bytes()));
    result_of(py, &answer)
}

/// Plans a dbt invocation (plan-v0.md): the plan, its digest, the `change` to approve and the
/// policy's pre-execution decision, as JSON.
#[pyfunction]
pub fn dbt_plan(py: Python<'_>, call: &str) -> PyResult<String> {
    let answer = released(py, || clyra_core::ffi::gate::plan(call.as_bytes()));
    result_of(py, &answer)
}

/// Decides on a plan before dbt runs: policy over the pre-execution facts and the approvals
/// against the plan's `change`; `gate` is `pass`, `deny` or `approval_required`. `key_uris` are
/// producer keys by URI, besides the call's `keys`.
#[pyfunction]
#[pyo3(signature = (call, key_uris = Vec::new()))]
pub fn dbt_gate(py: Python<'_>, call: &str, key_uris: Vec<String>) -> PyResult<String> {
    let answer = released(py, || {
        with_signers(&key_uris, |signers| {
            clyra_core::ffi::gate::gate_signed(call.as_bytes(), signers)
        })
    });
    result_of(py, &answer)
}
