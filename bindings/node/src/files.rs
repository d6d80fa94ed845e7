//! Files named by the user, read as `clyra` reads them (conformance.md §6.7, through the shared
//! `clyra_host::input`): bounded text files (trust, policy, receipt, badge) and bundles opened for
//! streaming, a FIFO, pipe or device spooled up to the limit, a directory refused. An unreadable
//! file is the CLI's `cli.io` failure.

use std::fs::File;

use clyra_core::ffi::{io_error, DetailedError};
use clyra_core::Limits;
use clyra_host::input;

/// At most `limit + 1` bytes of `path` (enough for the parser to report a size error).
pub fn read_bounded(path: &str, limit: usize) -> Result<Vec<u8>, DetailedError> {
    input::read_bounded(path, limit).map_err(|e| io_error(&e, path))
}

/// The text of a bounded file: invalid UTF-8 becomes U+FFFD, which every parser then rejects
/// with the code of that file (`trust.file`, `policy.file`).
pub fn read_text(path: &str, limit: usize) -> Result<String, DetailedError> {
    read_bounded(path, limit).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The bundle at `path` opened for reading, with its length (a stream is spooled, at most one
/// byte past the bundle limit L10, into an unlinked temporary file).
pub fn open(path: &str) -> Result<(File, u64), DetailedError> {
    input::open(path, Limits::default().bundle_max_bytes)
        .map(|i| (i.file, i.len))
        .map_err(|e| io_error(&e, path))
}
