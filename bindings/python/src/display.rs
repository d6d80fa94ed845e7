//! Showing evidence strings to people from Python: `clyra_core::display` (verdicts.md §3.3).

use pyo3::prelude::*;

/// `text` as it may be printed on a terminal: control and bidirectional characters written as
/// visible escapes (`\x1b`, `\u{202e}`), `\` doubled. The `clyra dbt` messages print every
/// string they did not write themselves through it.
#[pyfunction]
pub fn display_escape(text: &str) -> String {
    clyra_core::display::escape(text).into_owned()
}
