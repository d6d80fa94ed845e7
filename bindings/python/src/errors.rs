//! The one place where Clyra's coded errors become Python exceptions (STYLE rule 9).
//!
//! Every failure answer of `clyra_core::ffi` (`{"type":"failure","errors":[{code,message,help?,
//! path?}]}`) is raised as one exception: `ClyraError` or the subclass of the code's family (the
//! part before the first dot), with `.code`, `.help`, `.path` and `.errors` (every error given).

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3::{create_exception, PyErr};
use serde_json::Value;

create_exception!(
    _clyra,
    ClyraError,
    PyException,
    "Base of every Clyra error; `.code` is the stable code of spec/verdicts.md."
);
create_exception!(
    _clyra,
    UsageError,
    ClyraError,
    "A malformed call, argument or path (`cli.*`, `ffi.*`)."
);
create_exception!(
    _clyra,
    CanonError,
    ClyraError,
    "A JSON text canonical JSON rejects (`jcs.*`)."
);
create_exception!(
    _clyra,
    SigningKeyError,
    ClyraError,
    "An unusable key (`key.*`)."
);
create_exception!(
    _clyra,
    TrustError,
    ClyraError,
    "An unusable trust file (`trust.*`)."
);
create_exception!(
    _clyra,
    PolicyError,
    ClyraError,
    "An unusable policy (`policy.*`)."
);
create_exception!(
    _clyra,
    BuildError,
    ClyraError,
    "A bundle that cannot be built or co-signed (`build.*`)."
);
create_exception!(
    _clyra,
    ApprovalError,
    ClyraError,
    "An approval that cannot be made (`approval.*`)."
);
create_exception!(
    _clyra,
    ReceiptError,
    ClyraError,
    "A receipt that cannot be extracted (`receipt.*`)."
);
create_exception!(
    _clyra,
    BundleError,
    ClyraError,
    "A bundle that cannot be read for inspection (`zip.*`, `bundle.*`, `manifest.*`, `inspect.*`)."
);
create_exception!(
    _clyra,
    GuardError,
    ClyraError,
    "A guard that cannot run: unknown dialect, unusable SQL policy, bad scan input (`sql.*`, `genai.*`)."
);
create_exception!(
    _clyra,
    SealError,
    ClyraError,
    "A tool's facts that cannot be sealed as evidence (`seal.*`), or planned (`plan.*`)."
);

/// Registers the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ClyraError", py.get_type::<ClyraError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("CanonError", py.get_type::<CanonError>())?;
    m.add("SigningKeyError", py.get_type::<SigningKeyError>())?;
    m.add("TrustError", py.get_type::<TrustError>())?;
    m.add("PolicyError", py.get_type::<PolicyError>())?;
    m.add("BuildError", py.get_type::<BuildError>())?;
    m.add("ApprovalError", py.get_type::<ApprovalError>())?;
    m.add("ReceiptError", py.get_type::<ReceiptError>())?;
    m.add("BundleError", py.get_type::<BundleError>())?;
    m.add("SealError", py.get_type::<SealError>())?;
    m.add("GuardError", py.get_type::<GuardError>())?;
    // Class-level defaults, so the attributes exist before an instance sets them.
    let base = py.get_type::<ClyraError>();
    base.setattr("code", "")?;
    base.setattr("help", py.None())?;
    base.setattr("path", py.None())?;
    base.setattr("errors", PyList::empty(py))?;
    Ok(())
}

/// The exception of a failure whose first error has `code`.
fn new_error(code: &str, message: String) -> PyErr {
    match code.split('.').next().unwrap_or_default() {
        "cli" | "ffi" => UsageError::new_err(message),
        "jcs" => CanonError::new_err(message),
        "key" | "signer" => SigningKeyError::new_err(message),
        "trust" => TrustError::new_err(message),
        "policy" => PolicyError::new_err(message),
        "build" => BuildError::new_err(message),
        "approval" => ApprovalError::new_err(message),
        "receipt" => ReceiptError::new_err(message),
        "zip" | "bundle" | "manifest" | "inspect" | "export" => BundleError::new_err(message),
        "seal" | "plan" => SealError::new_err(message),
        "sql" | "genai" => GuardError::new_err(message),
        _ => ClyraError::new_err(message),
    }
}

/// The `result` member of an FFI answer as JSON text, or the exception of its failure.
pub fn result_of(py: Python<'_>, answer: &[u8]) -> PyResult<String> {
    let parsed: Value = serde_json::from_slice(answer)
        .map_err(|e| ClyraError::new_err(format!("malformed answer from the core: {e}")))?;
    if parsed.get("type").and_then(Value::as_str) == Some("success") {
        return Ok(parsed
            .get("result")
            .map(Value::to_string)
            .unwrap_or_default());
    }
    let errors = parsed
        .get("errors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let first = errors.first().cloned().unwrap_or(Value::Null);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let code = text(&first, "code").unwrap_or_else(|| "ffi.answer".to_owned());
    let message = text(&first, "message").unwrap_or_default();
    let err = new_error(&code, format!("{message} ({code})"));
    let value = err.value(py);
    value.setattr("code", &code)?;
    value.setattr("help", text(&first, "help"))?;
    value.setattr("path", text(&first, "path"))?;
    let all = PyList::empty(py);
    for e in &errors {
        all.append(e.to_string())?;
    }
    value.setattr("errors", all)?;
    Err(err)
}
