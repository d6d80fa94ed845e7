//! Opening an input path that may not be a regular file (conformance.md §6.7).
//!
//! A regular file is read in place. A directory is refused with an I/O error (`cli.io`, exit 4).
//! Anything else — a pipe, a FIFO, a process substitution, a character device, a socket — is a
//! stream whose length nobody knows in advance: it is copied, at most `limit + 1` bytes, into an
//! unlinked temporary file, and the verdict is judged on exactly the bytes copied. Memory stays
//! flat whatever the stream carries; a stream longer than the limit reaches the core as a file of
//! `limit + 1` bytes, which the core rejects with the limit's own code (`zip.size_limit` for L10).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// An opened input: the file to read (the original, or the spooled copy of a stream) and its
/// length in bytes.
#[derive(Debug)]
pub struct Input {
    /// The file the core reads; positioned at its start.
    pub file: File,
    /// Its length in bytes (for a stream: the bytes copied, at most `limit + 1`).
    pub len: u64,
}

/// Opens `path` for verification under `limit` bytes (conformance.md §6.7).
pub fn open(path: &str, limit: u64) -> io::Result<Input> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    if meta.is_file() {
        return Ok(Input {
            file,
            len: meta.len(),
        });
    }
    spool(file, limit)
}

/// Copies at most `limit + 1` bytes of `stream` into an unlinked temporary file.
pub fn spool(stream: impl Read, limit: u64) -> io::Result<Input> {
    let mut file = unlinked_temp()?;
    let len = io::copy(&mut stream.take(limit.saturating_add(1)), &mut file)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(Input { file, len })
}

/// Reads at most `limit + 1` bytes of `path` into memory (enough for a parser to report a size
/// error); a directory is an I/O error (conformance.md §6.7).
pub fn read_bounded(path: &str, limit: usize) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    file.take(cap).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A new temporary file, readable and writable by this process alone, whose name is already
/// removed: the space returns to the system when the handle closes, even after a crash.
fn unlinked_temp() -> io::Result<File> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for _ in 0..16 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path: PathBuf = dir.join(format!(".clyra-spool-{}-{nanos}-{n}", std::process::id()));
        let mut options = OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(file) => {
                fs::remove_file(&path)?;
                return Ok(file);
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary file name",
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{open, spool};
    use std::io::{Cursor, Read};

    #[test]
    fn a_stream_is_spooled_up_to_one_byte_past_the_limit() {
        let mut input = spool(Cursor::new(vec![7u8; 100]), 10).unwrap();
        assert_eq!(input.len, 11);
        let mut copy = Vec::new();
        input.file.read_to_end(&mut copy).unwrap();
        assert_eq!(copy, vec![7u8; 11]);
    }

    #[test]
    fn a_stream_within_the_limit_is_copied_whole() {
        let mut input = spool(Cursor::new(b"abc".to_vec()), 10).unwrap();
        assert_eq!(input.len, 3);
        let mut copy = Vec::new();
        input.file.read_to_end(&mut copy).unwrap();
        assert_eq!(copy, b"abc");
    }

    #[test]
    fn a_directory_is_an_io_error() {
        let err = open(&std::env::temp_dir().display().to_string(), 10).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::IsADirectory);
    }

    #[test]
    fn a_device_is_read_as_a_stream() {
        let input = open("/dev/null", 10).unwrap();
        assert_eq!(input.len, 0);
        // /dev/zero never ends: the copy stops one byte past the limit.
        let input = open("/dev/zero", 1000).unwrap();
        assert_eq!(input.len, 1001);
    }
}
