//! `clyra receipt extract` and `clyra receipt verify`: a self-contained proof that one journal
//! event belongs to a signed bundle (spec/receipt-v0.md), made from a bundle and checked alone.

use std::io::BufReader;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use clyra_core::format::Schemas;
use clyra_core::receipt::{extract, verify_receipt};
use clyra_core::{Coded, Limits};

use super::verify::{at_or_now, io_problem, print_verdict, read_bounded, trust_file};
use crate::exit::Exit;
use crate::output::{DocumentFormat, Format, Problem, Source, CODE_USAGE};
use crate::{atomic, Context};

/// Arguments of `clyra receipt`.
#[derive(Debug, Args)]
pub struct ReceiptArgs {
    #[command(subcommand)]
    command: ReceiptCommand,
}

#[derive(Debug, Subcommand)]
enum ReceiptCommand {
    /// Write the receipt of one journal event of a bundle (a JSON file that verifies alone)
    #[command(long_about = EXTRACT_LONG_ABOUT, after_help = EXTRACT_EXAMPLES)]
    Extract(ExtractArgs),
    /// Verify a receipt offline against the keys you trust; print the verdict
    #[command(long_about = VERIFY_LONG_ABOUT, after_help = VERIFY_EXAMPLES)]
    Verify(VerifyReceiptArgs),
}

const EXTRACT_LONG_ABOUT: &str = "\
Write the receipt of one journal event of a bundle.

A receipt (spec/receipt-v0.md) is a small JSON file that proves one event belongs to a signed \
bundle: it carries the manifest, the producer signatures and their public keys, the event and its \
Merkle inclusion proof. Anyone can check it with `clyra receipt verify` without the bundle. The \
bundle is checked first (everything except trust, time, approvals and policy, which a receipt \
does not carry); a bundle that fails is refused (receipt.bundle_invalid, exit 4). --out is never \
replaced unless you pass --force.";

const EXTRACT_EXAMPLES: &str = "\
Examples:
  $ clyra receipt extract run.bundle.zip --event 2 --out test-result.receipt.json";

const VERIFY_LONG_ABOUT: &str = "\
Verify a receipt offline against the keys you trust, and print the verdict.

Checks the receipt's shape, its manifest, that the event is the journal line it claims to be and \
that its inclusion proof leads to the signed Merkle root, the producer signatures, trust and time, \
and the risk score. The verdict and exit codes are those of `clyra verify`: VALID (0), \
VALID_UNTRUSTED (2), INVALID (1), INDETERMINATE (3). --at defaults to now (UTC).

A receipt does not cover the bundle's artifacts, other journal lines, approvals or policy: a VALID \
receipt can come from a bundle whose approvals fail. The verdict says so (`not_covered` in JSON, a \
NOT COVERED line for people); verify the bundle itself for those.";

const VERIFY_EXAMPLES: &str = "\
Examples:
  $ clyra receipt verify test-result.receipt.json --trust trust.json
  $ clyra receipt verify test-result.receipt.json --trust producer.pub --at 2026-12-01T00:00:00Z --format json";

/// Arguments of `clyra receipt extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The bundle holding the event
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,

    /// The event's `seq` (its line number in journal.ndjson, from 0)
    #[arg(long, value_name = "SEQ")]
    pub event: u64,

    /// Where to write the receipt (canonical JSON), or with --format pdf|md its sheet
    #[arg(long, value_name = "RECEIPT.json")]
    pub out: PathBuf,

    /// Replace --out if it exists
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `clyra receipt verify`.
#[derive(Debug, Args)]
pub struct VerifyReceiptArgs {
    /// The receipt to verify
    #[arg(value_name = "RECEIPT.json")]
    pub receipt: String,

    /// Trust file: the keys you trust (trust-v0 JSON, or one public key PEM)
    #[arg(long, value_name = "TRUST")]
    pub trust: String,

    /// Verification time, e.g. 2026-12-01T00:00:00Z (UTC); default: now
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// Runs `clyra receipt …`.
pub fn run(args: &ReceiptArgs, cx: &mut Context<'_>) -> Exit {
    match &args.command {
        ReceiptCommand::Extract(args) => match run_extract(args, cx.format, cx.document) {
            Ok(text) => cx.print(&text, Exit::Ok),
            Err(problem) => cx.fail(&problem),
        },
        ReceiptCommand::Verify(_) if cx.document.is_some() => cx.fail(&Problem::new(
            CODE_USAGE,
            "--format md|pdf is for `clyra receipt extract`; `receipt verify` prints a verdict",
        )),
        ReceiptCommand::Verify(args) => run_verify(args, cx),
    }
}

fn run_extract(
    args: &ExtractArgs,
    format: Format,
    document: Option<DocumentFormat>,
) -> Result<String, Problem> {
    let limits = Limits::default();
    let source = Source::File(args.bundle.display().to_string());
    // conformance.md §6.7, as for `clyra verify`.
    let input = crate::input::open(&args.bundle.display().to_string(), limits.bundle_max_bytes)
        .map_err(|e| io_problem(&e).in_source(&source))?;
    let receipt = extract(BufReader::new(input.file), input.len, args.event, &limits)
        .map_err(|e| Problem::new(e.code(), e.message()).in_source(&source))?;
    if let Some(kind) = document {
        // The sheet carries the digest of `receipt`, which the same extraction writes again.
        atomic::check_target(&args.out, args.force)?;
        let bundle = args.bundle.display().to_string();
        let doc = clyra_report::receipt::receipt_document(&receipt, &bundle, args.event)
            .map_err(|e| Problem::new(e.code(), e.message()))?;
        let bytes = match kind {
            DocumentFormat::Pdf => {
                clyra_report::pdf::render(&doc).map_err(|e| Problem::new(e.code(), e.message()))?
            }
            DocumentFormat::Markdown => clyra_report::daily::to_markdown(&doc).into_bytes(),
        };
        atomic::write(&args.out, &bytes, 0o644, args.force)?;
        return Ok(format!(
            "{}: receipt sheet of event {} ({} bytes)\n",
            args.out.display(),
            args.event,
            bytes.len()
        ));
    }
    atomic::write(&args.out, &receipt, 0o644, args.force)?;
    Ok(match format {
        Format::Human => format!(
            "{}: receipt of event {} ({} bytes)\n",
            args.out.display(),
            args.event,
            receipt.len()
        ),
        Format::Json => format!(
            "{}\n",
            serde_json::json!({
                "out": args.out.display().to_string(),
                "event": args.event,
                "bytes": receipt.len(),
            })
        ),
    })
}

fn run_verify(args: &VerifyReceiptArgs, cx: &mut Context<'_>) -> Exit {
    let limits = Limits::default();
    let prepared = trust_file(&args.trust, &limits)
        .and_then(|(trust, _)| Ok((trust, at_or_now(args.at.as_deref())?)));
    let (trust, (at_text, at)) = match prepared {
        Ok(p) => p,
        Err(problem) => return cx.fail(&problem),
    };
    let schemas = match Schemas::new() {
        Ok(schemas) => schemas,
        Err(err) => return cx.fail(&Problem::new(CODE_USAGE, err.to_string())),
    };
    // One byte past the limit is enough for `receipt.too_large`.
    let receipt_source = Source::File(args.receipt.clone());
    let bytes = match read_bounded(&args.receipt, limits.receipt_max_bytes) {
        Ok(bytes) => bytes,
        Err(err) => return cx.fail(&io_problem(&err).in_source(&receipt_source)),
    };
    let verdict = verify_receipt(&bytes, &trust, &at, &schemas, &limits);
    print_verdict(&verdict, None, &args.receipt, &at_text, cx)
}
