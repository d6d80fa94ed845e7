//! `clyra export --sigstore`: one producer signature of a bundle as a Sigstore bundle v0.3
//! (spec: dsse.md §9), for Sigstore tools such as `@sigstore/verify`; `clyra export --servicenow |
//! --jira`: an attested change ticket (spec: ticket-config-v0.md, [`super::ticket`]).

use std::path::PathBuf;

use clap::Args;
use clyra_core::bundle::Container;
use clyra_core::digest::Sha256Digest;
use clyra_core::export::sigstore_bundle;
use clyra_core::{Coded, Limits};
use serde_json::json;

use super::bundle::io_problem;
use crate::exit::Exit;
use crate::output::{write_problem, Format, Problem};
use crate::{atomic, Context};

/// Arguments of `clyra export`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["sigstore", "servicenow", "jira"])))]
pub struct ExportArgs {
    /// Write a Sigstore bundle v0.3
    #[arg(long)]
    pub sigstore: bool,

    /// File a ServiceNow change request (Table API) for the bundle (needs --config)
    #[arg(long, requires = "config")]
    pub servicenow: bool,

    /// File a Jira Cloud issue for the bundle (needs --config)
    #[arg(long, requires = "config")]
    pub jira: bool,

    /// Ticket configuration (YAML, spec/ticket-config-v0.md); secrets come from env vars or 0600 files
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// An attestation file: its SHA-256 is the ticket's attestation hash (default: the bundle's)
    #[arg(long, value_name = "FILE")]
    pub attestation: Option<PathBuf>,

    /// A badge (badge.jws) whose id the ticket records
    #[arg(long, value_name = "BADGE")]
    pub badge: Option<PathBuf>,

    /// Trust file to verify the bundle against (default: `trust` of the ticket configuration)
    #[arg(long, value_name = "TRUST")]
    pub trust: Option<PathBuf>,

    /// Print the exact requests (secrets redacted) and send nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Write the ticket record (JSON, read by `clyra badge issue --tickets`) to FILE
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// The evidence bundle whose producer signature to export
    #[arg(value_name = "BUNDLE.zip")]
    pub bundle: PathBuf,

    /// Where to write the Sigstore bundle JSON (e.g. change.sigstore.json)
    #[arg(long, value_name = "FILE", required_if_eq("sigstore", "true"))]
    pub out: Option<PathBuf>,

    /// Which producer signature: its keyid (`sha256:<hex>` or `<hex>`); default: the first one
    #[arg(long, value_name = "KEYID")]
    pub key: Option<String>,

    /// Replace FILE if it exists instead of refusing
    #[arg(long)]
    pub force: bool,
}

/// Runs `clyra export`.
pub fn run(args: &ExportArgs, cx: &mut Context<'_>) -> Exit {
    let system = if args.servicenow {
        Some(super::ticket::System::ServiceNow)
    } else if args.jira {
        Some(super::ticket::System::Jira)
    } else {
        None
    };
    if let (Some(system), Some(config)) = (system, &args.config) {
        let ticket = super::ticket::TicketArgs {
            system,
            bundle: &args.bundle,
            config,
            attestation: args.attestation.as_deref(),
            badge: args.badge.as_deref(),
            trust: args.trust.as_deref(),
            dry_run: args.dry_run,
            record: args.record.as_deref(),
            force: args.force,
        };
        return match super::ticket::export(&ticket, cx.format) {
            Ok(report) => cx.print(&report, Exit::Ok),
            Err(problem) => cx.fail(&problem),
        };
    }
    match export(args, cx.format) {
        Ok(report) => cx.print(&report, Exit::Ok),
        Err(problem) => cx.fail(&problem),
    }
}

/// The long help of `clyra export`.
pub const LONG_ABOUT: &str = "\
Export one producer signature of an evidence bundle as a Sigstore bundle v0.3, so Sigstore tools \
(for example npm @sigstore/verify) can check it offline with the producer's public key.

The signed in-toto Statement and its signature are copied unchanged. The key is named by a \
public-key hint (base64 of the SHA-256 of the key, the digest in its keyid); there are no \
transparency-log entries, so verify with a public key and log thresholds of 0. Sigstore verifiers \
check only the signature: check the payloadType (application/vnd.in-toto+json) and the subject \
(manifest.json and its SHA-256) yourself. The export does not verify the bundle: run \
`clyra verify` first. FILE is written atomically and never replaced unless you pass --force. \
See spec/dsse.md §9.

With --servicenow or --jira instead, file an attested change ticket for the bundle (spec/ticket-config-v0.md): the bundle is verified, the ticket is looked up by its attestation hash (never filed twice), created with the attestation fields and a description of the change, and the bundle is attached. --config names the ticket configuration; secrets come from environment variables or 0600 files only. --dry-run prints the exact requests (secrets redacted) and sends nothing. Each request is tried at most 3 times (backoff, Retry-After). See docs/integrations.md.";

/// The examples of `clyra export --help`.
pub const EXAMPLES: &str = "\
Examples:
  $ clyra export --sigstore change.zip --out change.sigstore.json
  $ clyra export --sigstore change.zip --key sha256:3f2a... --out change.sigstore.json --force
  $ clyra export --servicenow change.zip --config .clyra/tickets.yaml --dry-run
  $ clyra export --jira change.zip --config .clyra/tickets.yaml --attestation att.dsse.json --record change.ticket.json";

const PREFIX: &str = "signatures/";
const SUFFIX: &str = ".dsse.json";

fn export(args: &ExportArgs, format: Format) -> Result<String, Problem> {
    let limits = Limits::default();
    let out = args
        .out
        .as_deref()
        .ok_or_else(|| Problem::new(crate::output::CODE_USAGE, "--sigstore needs --out FILE"))?;
    // Refused before any work, with the writer's own rules (an existing file, a link).
    atomic::check_target(out, args.force).map_err(|e| write_problem(out, &e))?;
    let bundle_err = |detail: &'static str| {
        Problem::new(
            "export.bundle",
            format!(
                "{}: cannot read the bundle container ({detail})",
                args.bundle.display()
            ),
        )
    };
    // conformance.md §6.7, as for `clyra verify`.
    let input = crate::input::open(&args.bundle.display().to_string(), limits.bundle_max_bytes)
        .map_err(|e| io_problem(&args.bundle, &e, "read"))?;
    let mut container =
        Container::open(input.file, input.len, &limits).map_err(|e| bundle_err(e.code()))?;

    let wanted = args
        .key
        .as_deref()
        .map(|k| k.strip_prefix("sha256:").unwrap_or(k));
    let found = container
        .entries()
        .iter()
        .enumerate()
        .find_map(|(i, entry)| {
            let hex = entry.name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
            (wanted.is_none() || wanted == Some(hex)).then(|| (i, entry.name.clone()))
        });
    let Some((index, name)) = found else {
        let which = match &args.key {
            Some(key) => format!("no producer signature by `{key}`"),
            None => "no producer signature".to_owned(),
        };
        return Err(Problem::new(
            "export.no_signature",
            format!(
                "{}: {which} (no {PREFIX}<keyid>{SUFFIX} entry)",
                args.bundle.display()
            ),
        ));
    };
    // One byte over the envelope limit, so an oversized envelope is `dsse.too_large` below.
    let max = u64::try_from(limits.dsse_max_envelope_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let envelope = container
        .read_small_entry(index, max)
        .map_err(|e| bundle_err(e.code()))?;
    let exported = sigstore_bundle(&envelope, &limits).map_err(|e| {
        let detail = e.detail().map(|d| format!(" ({d})")).unwrap_or_default();
        Problem::new(
            e.code(),
            format!("{}: {name}: {e}{detail}", args.bundle.display()),
        )
    })?;
    atomic::write(out, &exported, 0o644, args.force).map_err(|e| write_problem(out, &e))?;

    let keyid = format!(
        "sha256:{}",
        name.trim_start_matches(PREFIX).trim_end_matches(SUFFIX)
    );
    let digest = Sha256Digest::of(&exported).to_prefixed();
    Ok(match format {
        Format::Human => format!(
            "{}\n  exported   {name} (producer {keyid})\n  format     Sigstore bundle v0.3, public-key hint, no tlog entries\n  verify it  with the producer's public key; check payloadType and subject yourself (spec/dsse.md §9)\n",
            out.display()
        ),
        Format::Json => format!(
            "{}\n",
            json!({
                "out": out.display().to_string(),
                "envelope": name,
                "keyid": keyid,
                "media_type": clyra_core::export::SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
                "sha256": digest,
            })
        ),
    })
}
