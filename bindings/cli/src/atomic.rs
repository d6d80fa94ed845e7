//! Writing files so that a crash or a refusal never leaves a partial file behind.
//!
//! Every command that writes goes through here, with the same rules: an existing file is
//! replaced only when the user passed `--force` (`overwrite`), and a symbolic link is never
//! replaced nor written through, with or without `--force` (renaming over a link would replace
//! the link and leave its target unchanged, without a word).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// The message of the error for an output path that is a symbolic link.
pub const SYMLINK_REFUSED: &str =
    "is a symbolic link; clyra never replaces or writes through a link: give the real path";

/// Checks that `path` may be written: a symbolic link is refused (`InvalidInput`,
/// [`SYMLINK_REFUSED`]); an existing entry is refused (`AlreadyExists`) unless `overwrite`.
pub fn check_target(path: &Path, overwrite: bool) -> io::Result<()> {
    match path.symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => {
            Err(io::Error::new(io::ErrorKind::InvalidInput, SYMLINK_REFUSED))
        }
        Ok(_) if !overwrite => Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists")),
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
///
/// `mode` sets Unix permissions from the moment the temporary file is created (so a private key
/// is never readable by others, even briefly). With `overwrite` false, an existing `path` is an
/// `AlreadyExists` error and nothing is written; a symbolic link is always refused
/// ([`check_target`]).
pub fn write(path: &Path, bytes: &[u8], mode: u32, overwrite: bool) -> io::Result<()> {
    check_target(path, overwrite)?;
    stream_then_rename(path, mode, None, |file| file.write_all(bytes))
}

/// Replaces the existing regular file `path` with `bytes`, atomically, keeping its permissions
/// exactly (a 0600 bundle stays 0600). A symbolic link is refused ([`SYMLINK_REFUSED`]), and so
/// is anything but a regular file: the commands that rewrite a file in place (`clyra sign`)
/// never leave the real file unchanged while reporting success.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let meta = path.symlink_metadata()?;
    if meta.file_type().is_symlink() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, SYMLINK_REFUSED));
    }
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a regular file",
        ));
    }
    stream_then_rename(path, 0o600, Some(meta.permissions()), |file| {
        file.write_all(bytes)
    })
}

/// Streams a file to `path` atomically: `fill` writes a temporary file in the same folder, which
/// is then fsynced and renamed over `path`. When `fill` fails, nothing is left behind.
///
/// With `overwrite` false, an existing `path` is an `AlreadyExists` error and `fill` never runs;
/// a symbolic link is always refused ([`check_target`]).
pub fn write_streamed<T, E: From<io::Error>>(
    path: &Path,
    mode: u32,
    overwrite: bool,
    fill: impl FnOnce(&mut File) -> Result<T, E>,
) -> Result<T, E> {
    check_target(path, overwrite)?;
    stream_then_rename(path, mode, None, fill)
}

/// `fill` writes a temporary file in `path`'s folder, created with `mode` (then given
/// `permissions` exactly, when set, before any byte is written); it is fsynced and renamed over
/// `path`, and the rename made durable. On error the temporary file is removed.
fn stream_then_rename<T, E: From<io::Error>>(
    path: &Path,
    mode: u32,
    permissions: Option<fs::Permissions>,
    fill: impl FnOnce(&mut File) -> Result<T, E>,
) -> Result<T, E> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = open_new(&tmp, mode)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        let value = fill(&mut file)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
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

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::{symlink, PermissionsExt};

    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("clyra-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn refuses_existing_files_without_overwrite_and_links_always() {
        let dir = temp_dir("refuse");
        let file = dir.join("a.json");
        write(&file, b"1", 0o644, false).unwrap();
        let err = write(&file, b"2", 0o644, false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        write(&file, b"2", 0o644, true).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"2");
        let link = dir.join("link.json");
        symlink(&file, &link).unwrap();
        for overwrite in [false, true] {
            let err = write(&link, b"3", 0o644, overwrite).unwrap_err();
            assert_eq!(err.to_string(), SYMLINK_REFUSED);
        }
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&file).unwrap(), b"2");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn replace_keeps_the_mode_and_refuses_links() {
        let dir = temp_dir("replace");
        let file = dir.join("b.zip");
        fs::write(&file, b"old").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        replace(&file, b"new").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"new");
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600);
        let link = dir.join("link.zip");
        symlink(&file, &link).unwrap();
        assert_eq!(
            replace(&link, b"x").unwrap_err().to_string(),
            SYMLINK_REFUSED
        );
        assert_eq!(fs::read(&file).unwrap(), b"new");
        assert!(replace(&dir, b"x").is_err());
        fs::remove_dir_all(dir).unwrap();
    }
}
