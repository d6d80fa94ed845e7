//! Where a ledger lives (ledger-v0.md §1, §7, §8): the small storage trait the `clyra ledger`
//! commands use, with a local directory ([`LedgerDir`]) and S3-compatible object storage
//! ([`LedgerS3`]) behind it. Host code: the core only reads tiles through `TileStore`.

use std::fs::File;
use std::path::{Path, PathBuf};

use clyra_core::jcs;
use clyra_core::ledger::note::{Checkpoint, VerifierKey};
use clyra_core::ledger::tiles::TileWrite;
use clyra_core::ledger::{LedgerError, LedgerErrorKind as K, TileStore};
use clyra_core::Limits;

use crate::ledger_dir::{Config, LedgerDir, CONFIG_FORMAT};
use crate::ledger_s3::LedgerS3;
use clyra_core::ledger::retention::Retention;

/// The version of the checkpoint an appender read: an S3 ETag, or nothing for a directory
/// (whose appenders hold the lock instead).
pub type Tag = Option<String>;

/// The appenders' lock, released when dropped: a directory's `flock`ed file (§7.1) or an
/// object-storage lease (§8.2).
pub enum LockGuard {
    /// `<dir>/.lock`, locked.
    File(File),
    /// `<prefix>/.lock`, created with `If-None-Match: *`.
    S3(Box<crate::ledger_s3::S3Lock>),
}

/// A ledger's storage: reading (through `TileStore`), creating, and the append's writes in the
/// order that keeps a crashed or losing append harmless.
pub trait LedgerStorage: TileStore {
    /// The location as the user wrote it (a directory or `s3://bucket/prefix`).
    fn name(&self) -> String;
    /// Writes `ledger.json` and the empty tree's checkpoint; refuses a location that holds one.
    fn create(&mut self, config_json: &[u8], checkpoint: &[u8]) -> Result<(), LedgerError>;
    /// The current checkpoint's bytes and version tag.
    fn checkpoint_tagged(&mut self) -> Result<(Vec<u8>, Tag), LedgerError>;
    /// Takes the appenders' lock (§7.1, §8.2).
    fn lock(&self) -> Result<LockGuard, LedgerError>;
    /// Stores a bundle at `bundles/<sha256>.zip` unless it is there.
    fn store_bundle(&mut self, sha256_hex: &str, bytes: &[u8]) -> Result<(), LedgerError>;
    /// Writes tiles, then replaces the checkpoint last, only if it is still the version `tag`
    /// (`ledger.conflict` otherwise, on object storage).
    fn commit(
        &mut self,
        writes: &[TileWrite],
        checkpoint: &[u8],
        tag: &Tag,
    ) -> Result<(), LedgerError>;
    /// Replaces the checkpoint (a cosigned copy) if it is still the version `tag`.
    fn replace_checkpoint(&mut self, checkpoint: &[u8], tag: &Tag) -> Result<(), LedgerError>;

    /// The directory a local ledger lives in; `None` on object storage.
    fn local_root(&self) -> Option<&Path> {
        None
    }

    /// Reads `ledger.json` (`ledger.config` when absent or malformed).
    fn config(&mut self) -> Result<Config, LedgerError> {
        let name = self.name();
        let bytes = self.read("ledger.json")?;
        parse_config(bytes.as_deref(), &name)
    }

    /// The current checkpoint's bytes.
    fn checkpoint(&mut self) -> Result<Vec<u8>, LedgerError> {
        self.checkpoint_tagged().map(|(b, _)| b)
    }

    /// The current checkpoint, verified with the ledger key, and its version tag.
    fn verified_checkpoint(
        &mut self,
        key: &VerifierKey,
    ) -> Result<(Vec<u8>, Checkpoint, Tag), LedgerError> {
        let (note, tag) = self.checkpoint_tagged()?;
        let cp = Checkpoint::verify(&note, key)?;
        Ok((note, cp, tag))
    }
}

impl TileStore for Box<dyn LedgerStorage> {
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        (**self).read(path)
    }
}

/// Options of object-storage writes (ledger-v0.md §8.3); ignored by directories.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Object Lock retention (COMPLIANCE mode) and legal hold, resolved from the sources of
    /// ledger-v0.md §8.3 ([`clyra_core::ledger::retention::resolve`]).
    pub retention: Option<Retention>,
}

/// Opens the ledger at `location`: `s3://bucket/prefix` or a directory. Nothing is read yet
/// (an S3 location reads its configuration from the `AWS_*` environment variables).
pub fn open(location: &Path, opts: &WriteOptions) -> Result<Box<dyn LedgerStorage>, LedgerError> {
    match location.to_str().and_then(|s| s.strip_prefix("s3://")) {
        Some(rest) => Ok(Box::new(LedgerS3::from_env(rest, opts.retention.clone())?)),
        None => Ok(Box::new(LedgerDir::new(location))),
    }
}

/// `retain_days` of the ledger entry of a project config (`.clyra/config.json`, ledger-v0.md
/// §8.3): `"ledger": {"location": "s3://…", "retain_days": N}`; `None` when the entry is a plain
/// location or absent. `ledger.config` when the file is not JSON or `retain_days` is not 1–36600.
pub fn config_retain_days(bytes: &[u8], name: &str) -> Result<Option<u32>, LedgerError> {
    let bad = |why: &str| LedgerError::new(K::Config, format!("`{name}`: {why}"));
    let value = jcs::parse(bytes, &Limits::default()).map_err(|_| bad("not JSON"))?;
    let Some(days) = value.get("ledger").and_then(|l| l.get("retain_days")) else {
        return Ok(None);
    };
    days.as_u64()
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| (1..=clyra_core::ledger::retention::MAX_DAYS).contains(d))
        .map(Some)
        .ok_or_else(|| bad("ledger.retain_days must be a whole number of days, 1 to 36600"))
}

/// Where the commands that read a ledger's bundles as files (`attest --ledger`, `report
/// daily-review`) find `bundles/<sha256>.zip`: the ledger's own directory, or, on object storage,
/// a private temporary directory the bundles are downloaded into ([`BundleFiles::fetch`]),
/// removed when dropped.
pub struct BundleFiles {
    root: PathBuf,
    temporary: bool,
}

impl BundleFiles {
    /// The bundle files of `ledger`.
    pub fn of(ledger: &dyn LedgerStorage) -> Result<Self, LedgerError> {
        if let Some(root) = ledger.local_root() {
            return Ok(Self {
                root: root.to_path_buf(),
                temporary: false,
            });
        }
        let mut nonce = [0u8; 8];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| LedgerError::new(K::Storage, format!("no randomness: {e}")))?;
        let root = std::env::temp_dir().join(format!("clyra-ledger-{}", hex::encode(nonce)));
        let made = std::fs::DirBuilder::new()
            .recursive(true)
            .mode_private()
            .create(root.join("bundles"));
        made.map_err(|e| LedgerError::new(K::Storage, format!("`{}`: {e}", root.display())))?;
        Ok(Self {
            root,
            temporary: true,
        })
    }

    /// The directory holding `bundles/`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Downloads `bundles/<sha256_hex>.zip` from object storage (nothing to do for a directory).
    /// An absent bundle stays absent: the caller reports it missing.
    pub fn fetch(
        &self,
        ledger: &mut dyn LedgerStorage,
        sha256_hex: &str,
    ) -> Result<(), LedgerError> {
        if !self.temporary || !sha256_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(());
        }
        let name = format!("bundles/{sha256_hex}.zip");
        let target = self.root.join(&name);
        if target.exists() {
            return Ok(());
        }
        if let Some(bytes) = ledger.read(&name)? {
            std::fs::write(&target, bytes).map_err(|e| {
                LedgerError::new(K::Storage, format!("`{}`: {e}", target.display()))
            })?;
        }
        Ok(())
    }
}

impl Drop for BundleFiles {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// Private directories (0700 on Unix): downloaded evidence is not for other users.
trait PrivateDir {
    fn mode_private(&mut self) -> &mut Self;
}

impl PrivateDir for std::fs::DirBuilder {
    #[cfg(unix)]
    fn mode_private(&mut self) -> &mut Self {
        use std::os::unix::fs::DirBuilderExt;
        self.mode(0o700)
    }
    #[cfg(not(unix))]
    fn mode_private(&mut self) -> &mut Self {
        self
    }
}

/// Parses `ledger.json` of the ledger `name` (`None`: absent).
pub fn parse_config(bytes: Option<&[u8]>, name: &str) -> Result<Config, LedgerError> {
    let bad = |why: &str| LedgerError::new(K::Config, format!("`{name}` is not a ledger: {why}"));
    let bytes = bytes.ok_or_else(|| bad("no readable ledger.json"))?;
    let value =
        jcs::parse(bytes, &Limits::default()).map_err(|_| bad("ledger.json is not JSON"))?;
    let field = |k: &str| value.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    if field("format").as_deref() != Some(CONFIG_FORMAT) {
        return Err(bad("ledger.json has no `format` clyra-ledger/v0"));
    }
    let origin = field("origin").ok_or_else(|| bad("ledger.json has no `origin`"))?;
    let key = VerifierKey::parse(&field("key").ok_or_else(|| bad("ledger.json has no `key`"))?)?;
    if key.name() != origin {
        return Err(bad("the key's name is not the origin"));
    }
    Ok(Config { origin, key })
}

impl LedgerStorage for LedgerDir {
    fn local_root(&self) -> Option<&Path> {
        Some(self.root())
    }
    fn name(&self) -> String {
        self.root().display().to_string()
    }
    fn create(&mut self, config_json: &[u8], checkpoint: &[u8]) -> Result<(), LedgerError> {
        LedgerDir::create(self, config_json, checkpoint)
    }
    fn checkpoint_tagged(&mut self) -> Result<(Vec<u8>, Tag), LedgerError> {
        LedgerDir::checkpoint(self).map(|b| (b, None))
    }
    fn lock(&self) -> Result<LockGuard, LedgerError> {
        LedgerDir::lock(self).map(LockGuard::File)
    }
    fn store_bundle(&mut self, sha256_hex: &str, bytes: &[u8]) -> Result<(), LedgerError> {
        LedgerDir::store_bundle(self, sha256_hex, bytes)
    }
    fn commit(
        &mut self,
        writes: &[TileWrite],
        checkpoint: &[u8],
        _tag: &Tag,
    ) -> Result<(), LedgerError> {
        LedgerDir::commit(self, writes, checkpoint)
    }
    fn replace_checkpoint(&mut self, checkpoint: &[u8], _tag: &Tag) -> Result<(), LedgerError> {
        self.write(&self.root().join("checkpoint"), checkpoint)
    }
}
