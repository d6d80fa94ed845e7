//! `clyra._clyra`: the compiled core of the `clyra` Python package.
//!
//! Bindings convert types and errors only (STYLE rule 1): each function forwards a JSON call to
//! `clyra_core::ffi` (one module here per core area), releases the GIL around the work
//! ([`gil::released`]) and turns failures into exceptions in one place ([`errors`]).

mod badge;
mod bundle;
mod canon;
mod cli;
mod dbt;
mod display;
mod errors;
mod gil;
mod guard;
mod policy;
mod signers;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _clyra(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(canon::canonicalize, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::keygen, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::build_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::sign_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::approve, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::verify_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::inspect_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::receipt_extract, m)?)?;
    m.add_function(wrap_pyfunction!(bundle::receipt_verify, m)?)?;
    m.add_function(wrap_pyfunction!(badge::badge_verify, m)?)?;
    m.add_function(wrap_pyfunction!(dbt::dbt_seal, m)?)?;
    m.add_function(wrap_pyfunction!(dbt::fingerprint, m)?)?;
    m.add_function(wrap_pyfunction!(dbt::dbt_plan, m)?)?;
    m.add_function(wrap_pyfunction!(dbt::dbt_gate, m)?)?;
    m.add_function(wrap_pyfunction!(guard::sql_check, m)?)?;
    m.add_function(wrap_pyfunction!(guard::genai_scan, m)?)?;
    m.add_function(wrap_pyfunction!(policy::policy_load, m)?)?;
    m.add_function(wrap_pyfunction!(policy::policy_canon, m)?)?;
    m.add_function(wrap_pyfunction!(policy::policy_lint, m)?)?;
    m.add_function(wrap_pyfunction!(policy::policy_eval, m)?)?;
    m.add_function(wrap_pyfunction!(cli::run, m)?)?;
    m.add_function(wrap_pyfunction!(display::display_escape, m)?)?;
    Ok(())
}
