//! DEF producers' shared logic: schema fingerprints, semantic deltas and dbt runs as bundle specs.
//!
//! spec: def-v0.md. A host (the Python `clyra.dbt` package, any orchestrator) gathers facts —
//! dbt's `run_results.json` and `manifest.json`, the column lists and anchors the `on-run-end`
//! hook logged, the previous run's state — and hands them here as values; this module turns them
//! into a bundle spec (bundle-v0.md §9) and the next state. It reads no file and no clock.

mod anchors;
pub mod dbt;
mod error;
pub mod facts;
pub mod fingerprint;
mod guard;
pub mod plan;

pub use error::{DefError, DefErrorKind};
