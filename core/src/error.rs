//! Conventions shared by every error type of the core.
//!
//! Each area has its own error type (`JcsError`, `MerkleError`, `KeyError`, ...). Every one of
//! them carries a stable code registered in `spec/verdicts.md`; hosts (CLI JSON, Python, Node, Go)
//! expose that code unchanged, and tests assert codes, never messages.

/// An error with a stable, registered code (see `spec/verdicts.md`).
pub trait Coded {
    /// The stable code, e.g. `jcs.duplicate_key`. Never changes once released.
    fn code(&self) -> &'static str;
}
