//! The one helper that releases the GIL around heavy pure work: hashing, signing, verifying
//! (STYLE rule 9). The closure gets owned or borrowed bytes, never Python objects.

use pyo3::Python;

/// Runs `work` with the GIL released, so other Python threads run meanwhile.
pub fn released<T: Send, F: FnOnce() -> T + Send>(py: Python<'_>, work: F) -> T {
    py.detach(work)
}
