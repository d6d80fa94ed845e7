//! `clyra verify`: verify an evidence bundle offline against a trust file and print the verdict.
//!
//! The command reads the trust file and the policy (both bounded), parses them and the
//! verification time — any of these unusable is exit 4 — then streams the bundle from disk through
//! `clyra_core::verify::verify_bundle`. A damaged bundle is a verdict (exit 1), never exit 4.
//! `--at` defaults to the host's current UTC time: the CLI reads the clock, the core never does.

use std::io::{self, BufReader};

use clap::Args;
use clyra_core::audit::{audit, AuditReport};
use clyra_core::format::Schemas;
use clyra_core::ledger::witness::BundleReceipt;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verify::{read_policy, verify_bundle_hashed, Verdict, VerifyInputs};
use clyra_core::{Coded, Limits};

use crate::exit::Exit;
use crate::hasher::ParallelHasher;
use crate::output::{DocumentFormat, Format, Problem, Source, CODE_IO, CODE_USAGE};
use crate::progress::Progress;
use crate::Context;

/// Arguments of `clyra verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle to verify (a `.zip` made by `clyra bundle build` or a producer)
    #[arg(value_name = "BUNDLE")]
    pub bundle: String,

    /// Trust file: the keys you trust (trust-v0 JSON, or one public key PEM)
    #[arg(long, value_name = "TRUST")]
    pub trust: String,

    /// Verification time, e.g. 2026-12-01T00:00:00Z (UTC); default: now
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// Policy the bundle must have been produced under (.clyra/policy.yaml, or its JSON form)
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<String>,

    /// Auditor view: controls each check supports, a summary sentence, the risk breakdown and
    /// the lineage tree (human: after the checks; JSON: an `audit` member)
    #[arg(long)]
    pub auditor: bool,

    /// A ledger receipt (`clyra ledger prove BUNDLE`): adds the check that this bundle is in the
    /// ledger at the receipt's checkpoint; cosigned by a witness of the trust file before a
    /// producer key's revocation, it keeps that key's signature counted (trust-v0 rule 5a)
    #[arg(long, value_name = "PROOF")]
    pub ledger_proof: Option<String>,

    /// The ledger's verifier key (text or file), for --ledger-proof's checks (default: the trust
    /// file's `ledger_keys` entry named as the checkpoint's origin)
    #[arg(long, value_name = "VKEY", requires = "ledger_proof")]
    pub ledger_key: Option<String>,

    /// With --auditor --format pdf|md: write the auditor one-pager to this file
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,

    /// Replace --out if it exists
    #[arg(long)]
    pub force: bool,

    /// Threads that hash artifacts in parallel (default: the number of cores, at most 8)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
}

/// The default number of hashing threads: the cores available, at most 8.
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Runs `clyra verify`.
pub fn run(args: &VerifyArgs, cx: &mut Context<'_>) -> Exit {
    let limits = Limits::default();
    if let Err(problem) = check_document_args(args, cx) {
        return cx.fail(&problem);
    }
    let prepared = trust_file(&args.trust, &limits)
        .and_then(|(trust, _)| Ok((trust, at_or_now(args.at.as_deref())?)));
    let (trust, (at_text, at)) = match prepared {
        Ok(p) => p,
        Err(problem) => return cx.fail(&problem),
    };
    let policy = match &args.policy {
        None => None,
        Some(path) => {
            let source = Source::File(path.clone());
            // policy-v1.md §1.3: L36 is checked before parsing, so read at most L36 + 1 bytes.
            let bytes = match read_bounded(path, limits.policy_max_bytes) {
                Ok(bytes) => bytes,
                Err(err) => return cx.fail(&io_problem(&err).in_source(&source)),
            };
            if let Err(err) = read_policy(&bytes, &limits) {
                return cx.fail(
                    &Problem::new(err.code(), err.message())
                        .with_detail(err.detail())
                        .in_source(&source),
                );
            }
            Some(bytes)
        }
    };
    let schemas = match Schemas::new() {
        Ok(schemas) => schemas,
        Err(err) => return cx.fail(&Problem::new(CODE_USAGE, err.to_string())),
    };
    let bundle_source = Source::File(args.bundle.clone());
    // conformance.md §6.7: a directory is `cli.io`; a pipe or device is spooled, at most L10 + 1
    // bytes, and judged on the bytes read.
    let (file, len) = match crate::input::open(&args.bundle, limits.bundle_max_bytes) {
        Ok(input) => (input.file, input.len),
        Err(err) => return cx.fail(&io_problem(&err).in_source(&bundle_source)),
    };
    // trust-v0.md §6.5: the receipt is read, and judged against these bundle bytes, before the
    // bundle itself, since rule 5a is part of the trust-and-time step.
    let proof = match &args.ledger_proof {
        None => None,
        Some(path) => match read_receipt_inputs(path, args.ledger_key.as_deref(), &limits) {
            Ok(inputs) => Some(inputs),
            Err(problem) => return cx.fail(&problem),
        },
    };
    let receipt = match &proof {
        None => None,
        Some((bytes, given)) => {
            let key = match BundleReceipt::key(bytes, given.clone(), &trust, &limits) {
                Ok(key) => key,
                Err(err) => return cx.fail(&Problem::new(err.code(), err.to_string())),
            };
            match crate::hasher::file_sha256(&file) {
                Ok(sha256) => Some(BundleReceipt::new(bytes, key, sha256, &trust, &limits)),
                Err(err) => return cx.fail(&io_problem(&err)),
            }
        }
    };
    let inputs = VerifyInputs {
        trust: &trust,
        at: &at,
        policy: policy.as_deref(),
        schemas: &schemas,
        limits: &limits,
        witnessed: receipt.as_ref().map(BundleReceipt::witnessed),
    };
    // The core reads headers and small entries on one handle; the host hashes artifacts on
    // `jobs` threads over the same open file (docs/architecture.md, "Parallel artifact hashing").
    let jobs = args.jobs.map_or_else(default_jobs, usize::from);
    let progress = Progress::new("verifying", len, cx.stderr_is_terminal);
    let hasher = ParallelHasher::new(&file, jobs, progress.counter());
    let (verdict, evidence) =
        progress.run(|| verify_bundle_hashed(BufReader::new(&file), len, &inputs, Some(&hasher)));
    // ledger-v0.md §5.2: the receipt's checks follow the bundle's own.
    let verdict = match &receipt {
        Some(receipt) => receipt.append_checks(verdict, &limits),
        None => verdict,
    };
    let report = args
        .auditor
        .then(|| audit(&verdict, evidence.manifest.as_ref(), &evidence.approvals));
    if let (Some(kind), Some(report)) = (cx.document, &report) {
        return match write_one_pager(args, kind, &verdict, report, &evidence, &at_text) {
            Ok(text) => cx.print(&text, exit_of(&verdict)),
            Err(problem) => cx.fail(&problem),
        };
    }
    print_verdict(&verdict, report.as_ref(), &args.bundle, &at_text, cx)
}

/// Reads the receipt at `path` (its bytes, and the key of `--ledger-key` when given): what
/// [`BundleReceipt`] judges once the key is chosen and the bundle hashed.
fn read_receipt_inputs(
    path: &str,
    ledger_key: Option<&str>,
    limits: &Limits,
) -> Result<(Vec<u8>, Option<clyra_core::ledger::VerifierKey>), Problem> {
    let bytes = read_bounded(path, limits.receipt_max_bytes)
        .map_err(|err| io_problem(&err).in_source(&Source::File(path.to_owned())))?;
    let given = ledger_key.map(super::ledger::read_vkey).transpose()?;
    Ok((bytes, given))
}

/// `--format pdf|md` needs `--auditor` and, for pdf, `--out`; an existing `--out` is refused
/// before any work unless `--force`.
fn check_document_args(args: &VerifyArgs, cx: &Context<'_>) -> Result<(), Problem> {
    let Some(kind) = cx.document else {
        return Ok(());
    };
    if !args.auditor {
        return Err(Problem::new(
            CODE_USAGE,
            "--format pdf|md writes the auditor one-pager: add --auditor",
        ));
    }
    match &args.out {
        None if kind == DocumentFormat::Pdf => Err(Problem::new(
            CODE_USAGE,
            "--format pdf needs --out FILE.pdf",
        )),
        None => Ok(()),
        Some(out) => Ok(crate::atomic::check_target(out, args.force)?),
    }
}

/// The command that prints the verdict JSON the one-pager is made from.
fn recheck_command(args: &VerifyArgs, at: &str) -> String {
    let mut cmd = format!(
        "clyra verify {} --trust {} --at {at}",
        args.bundle, args.trust
    );
    if let Some(policy) = &args.policy {
        cmd.push_str(&format!(" --policy {policy}"));
    }
    if let Some(proof) = &args.ledger_proof {
        cmd.push_str(&format!(" --ledger-proof {proof}"));
    }
    if let Some(key) = &args.ledger_key {
        cmd.push_str(&format!(" --ledger-key {key}"));
    }
    cmd.push_str(" --auditor --format json");
    cmd
}

/// Renders the auditor one-pager and writes it to `--out` (or returns Markdown for stdout).
fn write_one_pager(
    args: &VerifyArgs,
    kind: DocumentFormat,
    verdict: &Verdict,
    report: &AuditReport,
    evidence: &clyra_core::verify::Evidence,
    at: &str,
) -> Result<String, Problem> {
    // The exact bytes `--auditor --format json` prints: the page carries their digest.
    let verdict_json = verdict.to_output(Some(report), &args.bundle, at, true);
    let manifest = evidence
        .manifest
        .as_ref()
        .and_then(clyra_core::report::manifest_value);
    let command = recheck_command(args, at);
    let input = clyra_report::auditor::AuditorInput {
        verdict,
        audit: report,
        manifest: manifest.as_ref(),
        approvals: &evidence.approvals,
        bundle: &args.bundle,
        at,
        command: &command,
        verdict_json: verdict_json.as_bytes(),
    };
    let doc = clyra_report::auditor::auditor_document(&input);
    let bytes = match kind {
        DocumentFormat::Pdf => {
            clyra_report::pdf::render(&doc).map_err(|e| Problem::new(e.code(), e.message()))?
        }
        DocumentFormat::Markdown => clyra_report::daily::to_markdown(&doc).into_bytes(),
    };
    match &args.out {
        Some(out) => {
            crate::atomic::write(out, &bytes, 0o644, args.force)?;
            Ok(format!(
                "{}: {} ({} bytes), verdict {} ({})\n",
                out.display(),
                if kind == DocumentFormat::Pdf {
                    "auditor one-pager, PDF/A-2u"
                } else {
                    "auditor one-pager, Markdown"
                },
                bytes.len(),
                verdict.outcome.as_str(),
                verdict.primary
            ))
        }
        None => Ok(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

fn exit_of(verdict: &Verdict) -> Exit {
    match verdict.exit {
        0 => Exit::Ok,
        1 => Exit::Invalid,
        2 => Exit::Warning,
        _ => Exit::Indeterminate,
    }
}

/// Prints `verdict` of `name` (with the auditor view when given) and returns its exit code.
pub(crate) fn print_verdict(
    verdict: &Verdict,
    report: Option<&AuditReport>,
    name: &str,
    at: &str,
    cx: &mut Context<'_>,
) -> Exit {
    let exit = match verdict.exit {
        0 => Exit::Ok,
        1 => Exit::Invalid,
        2 => Exit::Warning,
        _ => Exit::Indeterminate,
    };
    // One rendering for every verifier host (clyra_core::verify, `Verdict::to_output`).
    let text = verdict.to_output(report, name, at, cx.format == Format::Json);
    cx.print(&text, exit)
}

pub(crate) use crate::input::read_bounded;

/// The trust file at `path` (read up to L1 + 1 bytes, limits.md) parsed, and its bytes: an I/O
/// or `trust.*` problem naming the file. Every command that judges against a trust file reads it
/// here.
pub(crate) fn trust_file(path: &str, limits: &Limits) -> Result<(Trust, Vec<u8>), Problem> {
    let source = Source::File(path.to_owned());
    let bytes =
        read_bounded(path, limits.json_max_bytes).map_err(|e| io_problem(&e).in_source(&source))?;
    let trust = Trust::parse(&bytes, limits).map_err(|e| {
        Problem::new(e.code(), e.to_string())
            .with_detail(e.detail())
            .in_source(&source)
    })?;
    Ok((trust, bytes))
}

/// `--at` (now when absent) as given and parsed; `cli.usage` when it is not a UTC timestamp.
pub(crate) fn at_or_now(at: Option<&str>) -> Result<(String, Timestamp), Problem> {
    let text = at.map_or_else(crate::clock::now_utc, str::to_owned);
    let at = Timestamp::parse(&text).map_err(|_| {
        Problem::new(
            CODE_USAGE,
            format!("--at `{text}` is not a UTC timestamp like 2026-12-01T00:00:00Z"),
        )
    })?;
    Ok((text, at))
}

pub(crate) fn io_problem(err: &io::Error) -> Problem {
    let reason = match err.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => err.to_string().to_lowercase(),
    };
    Problem::new(CODE_IO, format!("cannot read: {reason}"))
}
