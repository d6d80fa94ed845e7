//! Files named by the user, read as `clyra` reads them: bounded text files (trust, policy,
//! receipt) and bundles opened for streaming. An unreadable file is the CLI's `cli.io` failure.

use std::fs::File;
use std::io::{self, Read};

use clyra_core::ffi::{io_error, Answer, DetailedError};

/// The failure answer of an unreadable `path`.
pub fn unreadable(error: &io::Error, path: &str) -> Vec<u8> {
    Answer::<()>::of(Err(vec![io_error(error, path)])).to_json()
}

/// At most `limit + 1` bytes of `path` (enough for the parser to report a size error).
pub fn read_bounded(path: &str, limit: usize) -> Result<Vec<u8>, DetailedError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(cap).read_to_end(&mut bytes))
        .map_err(|e| io_error(&e, path))?;
    Ok(bytes)
}

/// The text of a bounded file: invalid UTF-8 becomes U+FFFD, which every parser then rejects
/// with the code of that file (`trust.file`, `policy.file`).
pub fn read_text(path: &str, limit: usize) -> Result<String, DetailedError> {
    read_bounded(path, limit).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// `path` opened for reading, with its length.
pub fn open(path: &str) -> Result<(File, u64), DetailedError> {
    File::open(path)
        .and_then(|f| {
            let len = f.metadata()?.len();
            Ok((f, len))
        })
        .map_err(|e| io_error(&e, path))
}
