//! Bundles for Python: keys, build, co-sign, approve, verify, inspect, receipts
//! (`clyra_core::ffi::bundle`). Calls and results are JSON texts; the public `clyra` package turns
//! them into typed objects. A damaged bundle is a verdict, never an exception.

use clyra_core::ffi::bundle as ffi;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::result_of;
use crate::gil::released;
use crate::signers::produced_with;

/// The result JSON and the produced bytes of a producing call.
pub(crate) fn produced<'py>(
    py: Python<'py>,
    out: ffi::Produced,
) -> PyResult<(String, Bound<'py, PyBytes>)> {
    let result = result_of(py, &out.answer)?;
    Ok((result, PyBytes::new(py, &out.bytes)))
}

/// Artifacts as the core's producing calls take them: `(name, bytes)` borrowed from Python's.
pub(crate) fn borrowed(artifacts: &[(String, Vec<u8>)]) -> Vec<(String, &[u8])> {
    artifacts
        .iter()
        .map(|(n, b)| (n.clone(), b.as_slice()))
        .collect()
}

/// A new signing key: (`{"keyid","public_pem","scheme"}` JSON, private key PKCS#8 PEM bytes).
#[pyfunction]
pub fn keygen<'py>(py: Python<'py>, call: &str) -> PyResult<(String, Bound<'py, PyBytes>)> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| PyOSError::new_err(format!("no randomness for a key: {e}")))?;
    let out = released(py, || ffi::keygen(call.as_bytes(), seed));
    produced(py, out)
}

/// Builds a bundle from a build call and `(name, bytes)` artifacts: (report JSON, bundle bytes).
/// `key_uris` are producer keys by URI (`file:`, `pkcs11:`, `cmd:`), signing after the call's keys.
#[pyfunction]
#[pyo3(signature = (call, artifacts, key_uris = Vec::new()))]
pub fn build_bundle<'py>(
    py: Python<'py>,
    call: &str,
    artifacts: Vec<(String, Vec<u8>)>,
    key_uris: Vec<String>,
) -> PyResult<(String, Bound<'py, PyBytes>)> {
    let out = released(py, || {
        let artifacts = borrowed(&artifacts);
        produced_with(&key_uris, |signers| {
            ffi::build_signed(call.as_bytes(), &artifacts, signers)
        })
    });
    produced(py, out)
}

/// Co-signs a bundle: (`{"keyid"}` JSON, new bundle bytes). The key is the call's PEM `key` or
/// `key_uri` (a key file, `pkcs11:`, `cmd:`).
#[pyfunction]
#[pyo3(signature = (call, bundle, key_uri = None))]
pub fn sign_bundle<'py>(
    py: Python<'py>,
    call: &str,
    bundle: &[u8],
    key_uri: Option<String>,
) -> PyResult<(String, Bound<'py, PyBytes>)> {
    let uris: Vec<String> = key_uri.into_iter().collect();
    let out = released(py, || {
        produced_with(&uris, |signers| {
            ffi::sign_signed(call.as_bytes(), bundle, signers.first().copied())
        })
    });
    produced(py, out)
}

/// Signs an approval of a spec's change: (`{"keyid"}` JSON, envelope file bytes). The key is the
/// call's PEM `key` or `key_uri`.
#[pyfunction]
#[pyo3(signature = (call, key_uri = None))]
pub fn approve<'py>(
    py: Python<'py>,
    call: &str,
    key_uri: Option<String>,
) -> PyResult<(String, Bound<'py, PyBytes>)> {
    let uris: Vec<String> = key_uri.into_iter().collect();
    let out = released(py, || {
        produced_with(&uris, |signers| {
            ffi::approve_signed(call.as_bytes(), signers.first().copied())
        })
    });
    produced(py, out)
}

/// Verifies a bundle: the verdict JSON (verdicts.md §3).
#[pyfunction]
pub fn verify_bundle(py: Python<'_>, call: &str, bundle: &[u8]) -> PyResult<String> {
    let answer = released(py, || ffi::verify(call.as_bytes(), bundle));
    result_of(py, &answer)
}

/// What is inside a bundle, as JSON (not a verdict).
#[pyfunction]
pub fn inspect_bundle(py: Python<'_>, bundle: &[u8]) -> PyResult<String> {
    let answer = released(py, || ffi::inspect(bundle));
    result_of(py, &answer)
}

/// The receipt of one journal event, as its canonical JSON text (a JSON string result).
#[pyfunction]
pub fn receipt_extract(py: Python<'_>, call: &str, bundle: &[u8]) -> PyResult<String> {
    let answer = released(py, || ffi::receipt_extract(call.as_bytes(), bundle));
    result_of(py, &answer)
}

/// Verifies a receipt's bytes: the verdict JSON.
#[pyfunction]
pub fn receipt_verify(py: Python<'_>, call: &str, receipt: &[u8]) -> PyResult<String> {
    let answer = released(py, || ffi::receipt_verify(call.as_bytes(), receipt));
    result_of(py, &answer)
}
