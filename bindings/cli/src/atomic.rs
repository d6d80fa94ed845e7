//! Writing files so that a crash or a refusal never leaves a partial file behind.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
///
/// `mode` sets Unix permissions from the moment the temporary file is created (so a private key
/// is never readable by others, even briefly). With `overwrite` false, an existing `path` is an
/// `AlreadyExists` error and nothing is written.
pub fn write(path: &Path, bytes: &[u8], mode: u32, overwrite: bool) -> io::Result<()> {
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists"));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = open_new(&tmp, mode)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Streams a file to `path` atomically: `fill` writes a temporary file in the same folder, which
/// is then fsynced and renamed over `path`. When `fill` fails, nothing is left behind.
///
/// With `overwrite` false, an existing `path` is an `AlreadyExists` error and `fill` never runs.
pub fn write_streamed<T, E: From<io::Error>>(
    path: &Path,
    mode: u32,
    overwrite: bool,
    fill: impl FnOnce(&mut File) -> Result<T, E>,
) -> Result<T, E> {
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists").into());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = open_new(&tmp, mode)?;
        let value = fill(&mut file)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
fn open_new(path: &Path, mode: u32) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
}

#[cfg(not(unix))]
fn open_new(path: &Path, _mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
}
