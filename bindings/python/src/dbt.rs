//! dbt evidence for Python (`clyra_core::ffi::dbt`): seal a run, fingerprint a relation.

use clyra_core::crypto::Signer;
use clyra_core::ffi::dbt as ffi;
use clyra_core::ffi::{Answer, DetailedError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::result_of;
use crate::gil::released;

/// Opens the producer signers of `key_uris` (a key file, `pkcs11:`, `cmd:`:
/// spec/signer-command-v0.md) and runs `then` with them, or answers the `signer.*` failure.
fn with_signers(key_uris: &[String], then: impl FnOnce(&[&dyn Signer]) -> Vec<u8>) -> Vec<u8> {
    let opened: Result<Vec<Box<dyn Signer>>, _> =
        key_uris.iter().map(|uri| clyra_signer::open(uri)).collect();
    match opened {
        Ok(signers) => {
            let refs: Vec<&dyn Signer> = signers.iter().map(|s| s.as_ref()).collect();
            then(&refs)
        }
        Err(e) => Answer::<()>::of(Err(vec![DetailedError::of(&e)])).to_json(),
    }
}

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
        let borrowed: Vec<(String, &[u8])> = artifacts
            .iter()
            .map(|(n, b)| (n.clone(), b.as_slice()))
            .collect();
        let mut bytes = Vec::new();
        let answer = with_signers(&key_uris, |signers| {
            let produced =
                ffi::seal_signed(call.as_bytes(), run_results, manifest, &borrowed, signers);
            bytes = produced.bytes;
            produced.answer
        });
        clyra_core::ffi::bundle::Produced { answer, bytes }
    });
    let result = result_of(py, &out.answer)?;
    Ok((result, PyBytes::new(py, &out.bytes)))
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
