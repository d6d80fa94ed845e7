//! `clyra keygen`: create a signing key pair for producing evidence.
//!
//! The core takes randomness as input; this host draws the 32-byte seed from the operating
//! system. The private key is written as PKCS#8 PEM with mode 0600, the public key as SPKI PEM.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::Coded;
use serde_json::json;

use crate::exit::Exit;
use crate::output::{shown, write_problem, Format, Problem, CODE_IO};
use crate::{atomic, Context};

/// Private key file name inside `--out`.
pub const PRIVATE_KEY_FILE: &str = "clyra.key";
/// Public key file name inside `--out`.
pub const PUBLIC_KEY_FILE: &str = "clyra.pub";

/// Signature algorithms a key can be generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Algorithm {
    /// Ed25519 (the default; fast, small signatures)
    Ed25519,
    /// ECDSA on NIST P-256 with SHA-256 (for FIPS-minded environments)
    P256,
}

impl Algorithm {
    fn scheme(self) -> Scheme {
        match self {
            Self::Ed25519 => Scheme::Ed25519,
            Self::P256 => Scheme::EcdsaP256Sha256,
        }
    }
}

/// Arguments of `clyra keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Signature algorithm of the new key
    #[arg(long, value_enum, default_value_t = Algorithm::Ed25519)]
    pub alg: Algorithm,

    /// Folder to write `clyra.key` (private, mode 0600) and `clyra.pub` into; created if missing
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Replace existing key files instead of refusing
    #[arg(long)]
    pub force: bool,
}

/// Runs `clyra keygen`.
pub fn run(args: &KeygenArgs, cx: &mut Context<'_>) -> Exit {
    let mut seed = [0u8; 32];
    if let Err(err) = getrandom::getrandom(&mut seed) {
        return cx.fail(&Problem::new(
            CODE_IO,
            format!("no randomness from the system: {err}"),
        ));
    }
    let key = match SigningKey::generate(args.alg.scheme(), seed) {
        Ok(key) => key,
        Err(err) => return cx.fail(&Problem::new(err.code(), err.to_string())),
    };
    seed.fill(0);
    let private_pem = match key.to_pkcs8_pem() {
        Ok(pem) => pem,
        Err(err) => return cx.fail(&Problem::new(err.code(), err.to_string())),
    };
    let public_pem = key.public_key().to_pem();
    let private_path = args.out.join(PRIVATE_KEY_FILE);
    let public_path = args.out.join(PUBLIC_KEY_FILE);
    // Both refused before either is written: an existing file without --force, or a link.
    for path in [&private_path, &public_path] {
        if let Err(err) = atomic::check_target(path, args.force) {
            return cx.fail(&write_problem(path, &err));
        }
    }
    match key_folder(&args.out) {
        Ok(None) => {}
        Ok(Some(warning)) => {
            // A warning, not a refusal: the folder is the user's; stderr keeps stdout parseable.
            let _ = writeln!(cx.stderr, "warning: {}", shown(&warning));
        }
        Err(err) => return cx.fail(&write_problem(&args.out, &err)),
    }
    // Private key first: a public key without its private key would be useless.
    for (path, bytes, mode) in [
        (&private_path, private_pem.as_bytes(), 0o600),
        (&public_path, public_pem.as_bytes(), 0o644),
    ] {
        if let Err(err) = atomic::write(path, bytes, mode, args.force) {
            return cx.fail(&write_problem(path, &err));
        }
    }
    let keyid = key.public_key().keyid();
    let scheme = key.scheme().as_str();
    let report = match cx.format {
        Format::Human => format!(
            "{keyid}\n  scheme       {scheme}\n  private key  {} (keep secret)\n  public key   {}\n",
            private_path.display(),
            public_path.display()
        ),
        Format::Json => format!(
            "{}\n",
            json!({
                "keyid": keyid,
                "scheme": scheme,
                "private_key": private_path.display().to_string(),
                "public_key": public_path.display().to_string(),
            })
        ),
    };
    cx.print(&report, Exit::Ok)
}

/// Makes sure the key folder `dir` exists: created 0700 when missing (its missing parents at most
/// 0755, whatever the umask), so no other user can replace `clyra.pub` in it. An existing folder
/// that group or others can write is kept, and the warning to print is returned.
fn key_folder(dir: &Path) -> std::io::Result<Option<String>> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "exists and is not a folder",
        )),
        Ok(meta) => Ok(writable_by_others(&meta).map(|mode| {
            format!(
                "`{}` (mode {mode:04o}) can be written by group or others: another user could \
                 replace {PUBLIC_KEY_FILE}, the key you give to verifiers; run `chmod go-w {}`",
                dir.display(),
                dir.display()
            )
        })),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_dirs(parent, 0o755)?;
            }
            create_dirs(dir, 0o700).map(|()| None)
        }
        Err(err) => Err(err),
    }
}

#[cfg(unix)]
fn create_dirs(dir: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dirs(dir: &Path, _mode: u32) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// The permission bits of a folder that group or others can write, else `None`.
#[cfg(unix)]
pub(crate) fn writable_by_others(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    (mode & 0o022 != 0).then_some(mode)
}

#[cfg(not(unix))]
pub(crate) fn writable_by_others(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}
