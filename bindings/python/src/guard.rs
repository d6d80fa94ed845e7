//! Guards for Python: the SQL guard and the GenAI scan (`clyra_core::ffi::{guard, genai}`).

use pyo3::prelude::*;

use crate::errors::result_of;
use crate::gil::released;

/// Checks SQL (guard-sql.md): the report JSON (`findings`, `counts`, `exit`, …).
#[pyfunction]
pub fn sql_check(py: Python<'_>, call: &str) -> PyResult<String> {
    let answer = released(py, || clyra_core::ffi::guard::sql_check(call.as_bytes()));
    result_of(py, &answer)
}

/// Scans a text or agent steps (guard-genai.md): the report JSON (`findings`, `worst`, …).
#[pyfunction]
pub fn genai_scan(py: Python<'_>, call: &str) -> PyResult<String> {
    let answer = released(py, || clyra_core::ffi::genai::genai_scan(call.as_bytes()));
    result_of(py, &answer)
}
