//! A ledger in a local directory (spec: ledger-v0.md §1, §7): reading tiles, the appenders' lock,
//! atomic writes in the order that keeps a crashed append harmless.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use clyra_core::ledger::note::VerifierKey;
use clyra_core::ledger::tiles::TileWrite;
use clyra_core::ledger::{LedgerError, LedgerErrorKind as K, TileStore};

use crate::atomic;

/// `format` of `ledger.json`.
pub const CONFIG_FORMAT: &str = "clyra-ledger/v0";

/// A ledger directory.
pub struct LedgerDir {
    root: PathBuf,
}

/// `ledger.json`: the origin and the ledger's verifier key.
pub struct Config {
    /// The checkpoint origin (and key name).
    pub origin: String,
    /// The ledger's verifier key.
    pub key: VerifierKey,
}

fn storage(path: &Path, err: &io::Error) -> LedgerError {
    LedgerError::new(
        K::Storage,
        format!("`{}`: {}", path.display(), err.to_string().to_lowercase()),
    )
}

impl LedgerDir {
    /// The ledger at `root` (nothing is read yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `ledger.json` and the checkpoint of the empty tree (`clyra ledger init`).
    pub fn create(&self, config_json: &[u8], checkpoint: &[u8]) -> Result<(), LedgerError> {
        fs::create_dir_all(&self.root).map_err(|e| storage(&self.root, &e))?;
        let path = self.root.join("ledger.json");
        if path.exists() {
            return Err(LedgerError::new(
                K::Config,
                format!("`{}` already holds a ledger", self.root.display()),
            ));
        }
        self.write(&self.root.join("checkpoint"), checkpoint)?;
        self.write(&path, config_json)
    }

    /// The current signed checkpoint's bytes.
    pub fn checkpoint(&self) -> Result<Vec<u8>, LedgerError> {
        let path = self.root.join("checkpoint");
        fs::read(&path).map_err(|e| storage(&path, &e))
    }

    /// Takes the appenders' exclusive lock (released when the file is dropped): two appenders
    /// never build two trees of one size (§7.1).
    pub fn lock(&self) -> Result<File, LedgerError> {
        let path = self.root.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| storage(&path, &e))?;
        file.lock().map_err(|e| storage(&path, &e))?;
        Ok(file)
    }

    /// Writes `bytes` to `path` atomically, creating its folders.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), LedgerError> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| storage(parent, &e))?;
        }
        atomic::write(path, bytes, 0o644, true).map_err(|e| storage(path, &e))
    }

    /// Writes `bytes` to `path` as a temporary file renamed into place, without fsync: an append
    /// makes every such file durable at once ([`LedgerDir::commit`]) before the checkpoint that
    /// covers it. A crash before that leaves files no signed checkpoint covers (§7.2).
    fn write_unsynced(&self, path: &Path, bytes: &[u8]) -> Result<(), LedgerError> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| storage(parent, &e))?;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        fs::write(&tmp, bytes)
            .and_then(|()| fs::rename(&tmp, path))
            .map_err(|e| {
                let _ = fs::remove_file(&tmp);
                storage(path, &e)
            })
    }

    /// Writes a bundle's bytes to `bundles/<sha256>.zip` unless it is there (made durable by
    /// [`LedgerDir::commit`]).
    pub fn store_bundle(&self, sha256_hex: &str, bytes: &[u8]) -> Result<(), LedgerError> {
        let path = self.root.join("bundles").join(format!("{sha256_hex}.zip"));
        if path.exists() {
            return Ok(());
        }
        self.write_unsynced(&path, bytes)
    }

    /// Writes the tiles of an append, makes them and the stored bundles durable, then replaces
    /// the checkpoint atomically, last (§7.2).
    pub fn commit(&self, writes: &[TileWrite], checkpoint: &[u8]) -> Result<(), LedgerError> {
        for w in writes {
            self.write_unsynced(&self.root.join(&w.path), &w.bytes)?;
        }
        self.sync_everything(writes)?;
        self.write(&self.root.join("checkpoint"), checkpoint)
    }

    /// Flushes every file written so far to disk: one `syncfs` of the ledger's file system
    /// (one call instead of an fsync per file, which costs ~4 ms each on ext4 here).
    #[cfg(target_os = "linux")]
    fn sync_everything(&self, _writes: &[TileWrite]) -> Result<(), LedgerError> {
        let dir = File::open(&self.root).map_err(|e| storage(&self.root, &e))?;
        rustix::fs::syncfs(&dir).map_err(|e| storage(&self.root, &io::Error::from(e)))
    }

    /// Flushes every file an append wrote (no `syncfs` here): each tile, then the bundles folder.
    #[cfg(not(target_os = "linux"))]
    fn sync_everything(&self, writes: &[TileWrite]) -> Result<(), LedgerError> {
        let mut paths: Vec<PathBuf> = writes.iter().map(|w| self.root.join(&w.path)).collect();
        if let Ok(entries) = fs::read_dir(self.root.join("bundles")) {
            paths.extend(entries.flatten().map(|e| e.path()));
        }
        for p in paths {
            File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(|e| storage(&p, &e))?;
        }
        Ok(())
    }
}

impl TileStore for LedgerDir {
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        let full = self.root.join(path);
        match fs::read(&full) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(storage(&full, &e)),
        }
    }
}
