//! Entry points for fuzz targets and tests; not part of the public API.

/// Shims that fuzz targets call; each must never panic, whatever the input.
pub mod fuzzing {}
