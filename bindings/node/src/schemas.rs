//! The embedded JSON Schemas, compiled once per process for every call of the addon.
//!
//! Compiling them takes milliseconds, more than a whole receipt verification; the core keeps no
//! global state (DESIGN §2), so the host holds the compiled, immutable value and passes it to the
//! `clyra_core::ffi::*_with` functions. Workers of one process share it (it is `Sync`).

use std::sync::OnceLock;

use clyra_core::format::Schemas;

static COMPILED: OnceLock<Option<Schemas>> = OnceLock::new();

/// The compiled schemas, or `None` when they do not compile (then callers use the plain
/// `ffi` function, which answers the compilation failure).
pub fn compiled() -> Option<&'static Schemas> {
    COMPILED.get_or_init(|| Schemas::new().ok()).as_ref()
}
