//! `clyra sign`: add one more producer signature to a finished bundle (co-signing).

use std::path::PathBuf;

use clap::Args;
use clyra_core::build::co_sign_with;
use clyra_core::{Coded, Limits};
use serde_json::json;

use super::bundle::{io_problem, read};
use super::keys::open_signer;
use crate::exit::Exit;
use crate::output::{Format, Problem, CODE_IO};
use crate::{atomic, clock, Context};

/// Arguments of `clyra sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The bundle to co-sign; it is replaced, atomically, by the co-signed bundle
    #[arg(value_name = "BUNDLE.zip")]
    pub bundle: PathBuf,

    /// Your key: a key file (PKCS#8 PEM, as `clyra keygen` writes it) or a key URI (file:…,
    /// pkcs11:…, cmd:…; spec/signer-command-v0.md)
    #[arg(long, value_name = "KEY")]
    pub key: String,

    /// The signing time recorded in the signature (YYYY-MM-DDTHH:MM:SSZ); default: now, UTC
    #[arg(long, value_name = "TIME")]
    pub signed_at: Option<String>,
}

/// Runs `clyra sign`.
pub fn run(args: &SignArgs, cx: &mut Context<'_>) -> Exit {
    match sign(args, cx.format) {
        Ok(report) => cx.print(&report, Exit::Ok),
        Err(problem) => cx.fail(&problem),
    }
}

fn sign(args: &SignArgs, format: Format) -> Result<String, Problem> {
    let limits = Limits::default();
    // The bundle is replaced in place: a link would be replaced by a regular file and its target
    // left unsigned, so it is refused before anything is read (atomic::replace checks again).
    let is_link = args
        .bundle
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        return Err(Problem::new(
            CODE_IO,
            format!(
                "cannot sign `{}` in place: it {}",
                args.bundle.display(),
                atomic::SYMLINK_REFUSED
            ),
        ));
    }
    let bundle = read(&args.bundle)?;
    let key = open_signer(&args.key)?;
    let signed_at = args.signed_at.clone().unwrap_or_else(clock::now_utc);
    let signed = co_sign_with(&bundle, &*key, &signed_at, &limits)
        .map_err(|e| Problem::new(e.code(), format!("{}: {e}", args.bundle.display())))?;
    // spec: the file keeps its permissions (a 0600 bundle stays 0600).
    atomic::replace(&args.bundle, &signed).map_err(|e| io_problem(&args.bundle, &e, "write"))?;
    let keyid = key.public_key().keyid();
    Ok(match format {
        Format::Human => format!(
            "{}\n  signed by  {keyid}\n  signed at  {signed_at}\n",
            args.bundle.display()
        ),
        Format::Json => format!(
            "{}\n",
            json!({"bundle": args.bundle.display().to_string(), "keyid": keyid, "signed_at": signed_at})
        ),
    })
}
