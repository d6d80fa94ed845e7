//! Enforcement primitives (in progress).
