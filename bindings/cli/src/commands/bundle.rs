//! `clyra bundle build`: seal a bundle spec, artifacts and approvals into one signed bundle.
//!
//! The host side of `clyra_core::build`: reads the files named on the command line, the keys
//! (PKCS#8 PEM, as `clyra keygen` writes them) and the clock (for a default `--signed-at`), and
//! streams the bundle into a temporary file next to `--out`, renamed into place once complete.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use clyra_core::build::{build_bundle, ApprovalFile, Artifact, BuildInputs, BundleSpec};
use clyra_core::crypto::{PublicKey, Signer, SigningKey};
use clyra_core::{Coded, Limits};
use serde_json::json;

use crate::exit::Exit;
use crate::output::{Format, Problem, CODE_EXISTS, CODE_IO, CODE_USAGE};
use crate::progress::{Counted, Progress};
use crate::{atomic, clock, Context};

/// Arguments of `clyra bundle`.
#[derive(Debug, Args)]
pub struct BundleArgs {
    #[command(subcommand)]
    command: BundleCommand,
}

#[derive(Debug, Subcommand)]
enum BundleCommand {
    /// Build one signed evidence bundle (a zip) from a bundle spec, artifacts and approvals
    #[command(long_about = BUILD_LONG_ABOUT, after_help = BUILD_EXAMPLES)]
    Build(BuildArgs),
}

const BUILD_LONG_ABOUT: &str = "\
Build one signed evidence bundle (a zip) from a bundle spec, artifacts and approvals.

The bundle spec (spec/bundle-v0.md §9, schema spec/schemas/bundle-spec-v0.schema.json) is a JSON \
file with what only you know about the change: format, created_at, producer, change, policy, \
risk factors, approvals.required and the journal events. Clyra computes the rest: the journal's \
seq and prev chain, each artifact's SHA-256, the Merkle root, the risk score, the approval \
entries and the bundle_id (unless the spec gives one), checks the result the way a verifier \
will, signs it with every --key and writes the zip. The same inputs and --signed-at give the \
same bytes. --out is never replaced unless you pass --force.";

const BUILD_EXAMPLES: &str = "\
Examples:
  $ clyra bundle build --spec run.json --key .clyra/keys/clyra.key \\
      --artifact dbt/run_results.json=target/run_results.json --out run.bundle.zip
  $ clyra bundle build --spec run.json --key ci.key \\
      --approval approvals/lee.dsse.json=n-7f3c9a21e4b04d5e8a1b2c3d4e5f6071 --approver-key lee.pub \\
      --signed-at 2026-11-20T09:01:16Z --out run.bundle.zip";

/// Arguments of `clyra bundle build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The bundle spec: a JSON file (spec/bundle-v0.md §9)
    #[arg(long, value_name = "SPEC.json")]
    pub spec: PathBuf,

    /// A producer's key: a key file (PKCS#8 PEM, as `clyra keygen` writes it) or a key URI
    /// (file:…, pkcs11:…, cmd:…; spec/signer-command-v0.md); repeat to sign with several
    #[arg(long, value_name = "KEY", required = true)]
    pub key: Vec<String>,

    /// Add the file PATH as `artifacts/NAME` (NAME may hold `/`); repeat for each artifact
    #[arg(long, value_name = "NAME=PATH")]
    pub artifact: Vec<String>,

    /// Add an approval envelope file with the nonce you issued for it; repeat, in order (0001 first)
    #[arg(long, value_name = "FILE=NONCE")]
    pub approval: Vec<String>,

    /// The public key (PEM) of an approval's signer; one for every approver
    #[arg(long, value_name = "PEM")]
    pub approver_key: Vec<PathBuf>,

    /// Where to write the bundle
    #[arg(long, value_name = "BUNDLE.zip")]
    pub out: PathBuf,

    /// The signing time recorded in each signature (YYYY-MM-DDTHH:MM:SSZ); default: now, UTC
    #[arg(long, value_name = "TIME")]
    pub signed_at: Option<String>,

    /// Replace --out if it exists
    #[arg(long)]
    pub force: bool,
}

/// Runs `clyra bundle …`.
pub fn run(args: &BundleArgs, cx: &mut Context<'_>) -> Exit {
    match &args.command {
        BundleCommand::Build(build) => match run_build(build, cx.format, cx.stderr_is_terminal) {
            Ok(report) => cx.print(&report, Exit::Ok),
            Err(problem) => cx.fail(&problem),
        },
    }
}

fn run_build(args: &BuildArgs, format: Format, progress_bar: bool) -> Result<String, Problem> {
    let limits = Limits::default();
    let spec_bytes = read(&args.spec)?;
    let spec = BundleSpec::parse(&spec_bytes, &limits)
        .map_err(|e| Problem::new(e.code(), format!("{}: {e}", args.spec.display())))?;
    let keys = args
        .key
        .iter()
        .map(|uri| super::keys::open_signer(uri))
        .collect::<Result<Vec<_>, _>>()?;
    let signers: Vec<&dyn Signer> = keys.iter().map(|k| k.as_ref()).collect();
    let approver_keys = args
        .approver_key
        .iter()
        .map(|path| {
            PublicKey::from_pem(&read(path)?, &limits)
                .map_err(|e| Problem::new(e.code(), format!("{}: {e}", path.display())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut files = Vec::with_capacity(args.artifact.len());
    for pair in &args.artifact {
        let (name, path) = pair.split_once('=').ok_or_else(|| {
            Problem::new(CODE_USAGE, format!("--artifact `{pair}` is not NAME=PATH"))
        })?;
        let file = File::open(path).map_err(|e| io_problem(Path::new(path), &e, "read"))?;
        let size = file.metadata().map_or(0, |m| m.len());
        files.push((name, file, size));
    }
    // The builder reads each artifact twice (hash, then write: bundle-v0.md §9.2).
    let total = files
        .iter()
        .map(|(_, _, size)| size.saturating_mul(2))
        .sum();
    let progress = Progress::new("building ", total, progress_bar);
    let artifacts = files
        .into_iter()
        .map(|(name, file, _)| {
            Artifact::new(name, Counted::new(BufReader::new(file), progress.counter()))
        })
        .collect();
    let mut approvals = Vec::with_capacity(args.approval.len());
    for pair in &args.approval {
        let (path, nonce) = pair.rsplit_once('=').ok_or_else(|| {
            Problem::new(
                CODE_USAGE,
                format!("--approval `{pair}` is not FILE=NONCE (the nonce you issued for it)"),
            )
        })?;
        approvals.push(ApprovalFile {
            envelope: read(Path::new(path))?,
            nonce: nonce.to_owned(),
        });
    }
    let signed_at = args.signed_at.clone().unwrap_or_else(clock::now_utc);
    let inputs = BuildInputs {
        artifacts,
        approvals,
        approver_keys: &approver_keys,
        signers: &signers,
        signed_at: &signed_at,
    };
    let report = progress.run(|| {
        atomic::write_streamed(&args.out, 0o644, args.force, |file| {
            build_bundle(&spec, inputs, file, &limits)
                .map_err(|e| Problem::new(e.code(), e.to_string()))
        })
    })?;
    Ok(match format {
        Format::Human => format!(
            "{}\n  bundle_id    {}\n  entries      {}\n  merkle root  {}\n  risk score   {}\n  signed at    {signed_at}\n",
            args.out.display(),
            report.bundle_id,
            report.entries.len(),
            report.merkle_root.to_prefixed(),
            report.risk_score,
        ),
        Format::Json => format!(
            "{}\n",
            json!({
                "out": args.out.display().to_string(),
                "bundle_id": report.bundle_id,
                "manifest_digest": report.manifest_digest.to_prefixed(),
                "merkle_root": report.merkle_root.to_prefixed(),
                "journal_head": report.journal_head.to_prefixed(),
                "risk_score": report.risk_score,
                "signed_at": signed_at,
                "entries": report.entries,
            })
        ),
    })
}

impl From<std::io::Error> for Problem {
    fn from(err: std::io::Error) -> Self {
        let code = if err.kind() == std::io::ErrorKind::AlreadyExists {
            CODE_EXISTS
        } else {
            CODE_IO
        };
        let message = if code == CODE_EXISTS {
            "the output exists; pass --force to replace it".to_owned()
        } else {
            format!(
                "cannot write the output: {}",
                err.to_string().to_lowercase()
            )
        };
        Problem::new(code, message)
    }
}

/// Reads a whole input file (`cli.io` when it cannot be read).
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Problem> {
    std::fs::read(path).map_err(|e| io_problem(path, &e, "read"))
}

/// Reads a PKCS#8 PEM private key file.
#[allow(
    dead_code,
    reason = "kept for existing callers; commands open keys by URI with keys::open_signer"
)]
pub(crate) fn read_signing_key(path: &Path) -> Result<SigningKey, Problem> {
    let bytes = read(path)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Problem::new(
            CODE_USAGE,
            format!("{}: not a PEM text file", path.display()),
        )
    })?;
    SigningKey::from_pkcs8_pem(&text)
        .map_err(|e| Problem::new(e.code(), format!("{}: {e}", path.display())))
}

pub(crate) fn io_problem(path: &Path, err: &std::io::Error, verb: &str) -> Problem {
    Problem::new(
        CODE_IO,
        format!(
            "cannot {verb} `{}`: {}",
            path.display(),
            err.to_string().to_lowercase()
        ),
    )
}
