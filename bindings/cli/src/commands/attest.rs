//! `clyra attest`: a signed attestation of a framework's controls over verified bundles (given one
//! by one, or a ledger's window), with its OSCAL assessment-results view; `clyra attest verify`
//! checks one and recomputes its statuses from the bundles (spec/attestation-v0.md).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use clyra_core::attest::{
    self, oscal, BundleFacts, Completeness, FactsInputs, Framework, Gap, Inputs, Opened, Status,
};
use clyra_core::digest::Sha256Digest;
use clyra_core::format::Schemas;
use clyra_core::ledger::scan::{check_tiles, read_entries, verify_ledger};
use clyra_core::ledger::tiles::TILE_WIDTH;
use clyra_core::ledger::Checkpoint;
use clyra_core::time::Timestamp;
use clyra_core::trust::{Role, Trust};
use clyra_core::verify::read_policy;
use clyra_core::{Coded, Limits};
use serde_json::{json, Value};

use super::keys::open_signer;
use super::verify::{at_or_now, io_problem, read_bounded, trust_file};
use crate::exit::Exit;
use crate::ledger_store::{self, BundleFiles, WriteOptions};
use crate::output::{Format, Problem, Source, CODE_USAGE};
use crate::{atomic, Context};

/// The attestation file written into `--out`.
pub const ATTESTATION_FILE: &str = "attestation.dsse.json";
/// The OSCAL assessment-results file written into `--out`.
pub const OSCAL_FILE: &str = "oscal-assessment-results.json";
/// The attestation report people read (PDF/A-2u, clyra-report), beside the signed files.
pub const PDF_FILE: &str = "attestation.pdf";
/// Every file `clyra attest` writes into its folder.
pub const FILES: [&str; 3] = [ATTESTATION_FILE, OSCAL_FILE, PDF_FILE];

/// Which time of a ledger record places it in an attestation's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// The bundle's `created_at`.
    CreatedAt,
    /// The record's `logged_at`.
    LoggedAt,
}

impl By {
    fn basis(self) -> attest::PeriodBasis {
        match self {
            Self::CreatedAt => attest::PeriodBasis::CreatedAt,
            Self::LoggedAt => attest::PeriodBasis::LoggedAt,
        }
    }
}

/// Arguments of `clyra attest`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct AttestArgs {
    #[command(subcommand)]
    command: Option<AttestCommand>,
    /// The bundles to attest (or use --ledger with --from and --until)
    #[arg(
        value_name = "BUNDLE",
        required_unless_present = "ledger",
        conflicts_with = "ledger"
    )]
    pub bundles: Vec<String>,
    /// A ledger (a directory or s3://bucket/prefix): attest every bundle it records with `created_at` in [--from, --until)
    #[arg(long, value_name = "LOCATION", requires_all = ["from", "until"])]
    pub ledger: Option<PathBuf>,
    /// Which time of a ledger record places it in the period: the bundle's `created-at`, or
    /// `logged-at` (when it was appended: the daily review's day)
    #[arg(
        long,
        value_enum,
        value_name = "TIME",
        default_value = "created-at",
        requires = "ledger"
    )]
    pub by: By,
    /// Start of the period (YYYY-MM-DD or a UTC timestamp), included
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// End of the period (YYYY-MM-DD or a UTC timestamp), excluded
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// An earlier checkpoint of the ledger (as saved from .clyra/ledger/checkpoint): the current
    /// one must extend it (a consistency proof from the tiles), recorded in the attestation
    #[arg(long, value_name = "CHECKPOINT", requires = "ledger")]
    pub since: Option<PathBuf>,
    /// The framework: sox, pci, hipaa, eu-ai-act, nist-rmf, tcpa or soc2
    #[arg(long, value_name = "F", required = true)]
    pub framework: Option<String>,
    /// The signing key URI (a PKCS#8 file or path, `pkcs11:`, `cmd:`): a producer key of the trust file
    #[arg(long, value_name = "KEY", required = true)]
    pub key: Option<String>,
    /// The folder to write attestation.dsse.json and oscal-assessment-results.json into
    #[arg(long, value_name = "DIR", required = true)]
    pub out: Option<PathBuf>,
    /// The trust file the bundles are verified with (default: .clyra/trust.json)
    #[arg(long, value_name = "TRUST", default_value = ".clyra/trust.json")]
    pub trust: String,
    /// A policy the bundles were produced under (repeat for several: each bundle is verified
    /// with the one whose hash its manifest records)
    #[arg(long, value_name = "POLICY")]
    pub policy: Vec<String>,
    /// Verification and signing time (UTC); default: now
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Replace existing output files
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
enum AttestCommand {
    /// Verify an attestation: signature, subjects against the bundles, statuses recomputed
    Verify(VerifyAttestationArgs),
}

/// Arguments of `clyra attest verify`.
#[derive(Debug, Args)]
pub struct VerifyAttestationArgs {
    /// The attestation file (attestation.dsse.json)
    #[arg(value_name = "ATTESTATION")]
    pub attestation: String,
    /// The bundles it covers: their digests are matched and every status recomputed
    #[arg(value_name = "BUNDLE")]
    pub bundles: Vec<String>,
    /// Trust file: the attestation's signer and the bundles' keys
    #[arg(long, value_name = "TRUST")]
    pub trust: String,
    /// A policy the bundles were produced under (repeat for several: each bundle is verified
    /// with the one whose hash its manifest records)
    #[arg(long, value_name = "POLICY")]
    pub policy: Vec<String>,
    /// Verification time (UTC); default: now
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// Runs `clyra attest` or `clyra attest verify`.
pub fn run(args: &AttestArgs, cx: &mut Context<'_>) -> Exit {
    let result = match &args.command {
        Some(AttestCommand::Verify(v)) => verify(v, cx.format),
        None => make(args, cx.format),
    };
    match result {
        Ok((text, exit)) => cx.print(&text, exit),
        Err(problem) => cx.fail(&problem),
    }
}

/// The SOX ITGC roll-up of `clyra report daily-review --attest-sox DIR --key KEY`: `clyra attest
/// --ledger LEDGER --by logged-at --from SINCE --until UNTIL --framework sox` into `out`: the
/// entries the review selected (by `logged_at`), with the review's
/// trust, policies and time. Returns the attestation's JSON summary and its exit (1 when a
/// control is not supported).
#[allow(clippy::too_many_arguments)]
pub(crate) fn sox_rollup(
    ledger: &Path,
    since: &str,
    until: &str,
    key: &str,
    out: &Path,
    trust: &str,
    policy: &[String],
    at: &str,
    force: bool,
) -> Result<(Value, Exit), Problem> {
    let args = AttestArgs {
        command: None,
        bundles: Vec::new(),
        ledger: Some(ledger.to_path_buf()),
        from: Some(since.to_owned()),
        until: Some(until.to_owned()),
        since: None,
        by: By::LoggedAt,
        framework: Some("sox".to_owned()),
        key: Some(key.to_owned()),
        out: Some(out.to_path_buf()),
        trust: trust.to_owned(),
        policy: policy.to_vec(),
        at: Some(at.to_owned()),
        force,
    };
    let (text, exit) = make(&args, Format::Json)?;
    let summary = serde_json::from_str(&text)
        .map_err(|e| Problem::new(CODE_USAGE, format!("the SOX roll-up summary: {e}")))?;
    Ok((summary, exit))
}

/// The common inputs of both commands: trust (with its file digest), policy, schemas, time.
struct Setup {
    limits: Limits,
    trust: Trust,
    trust_digest: Sha256Digest,
    /// Each policy file given: its hash and bytes.
    policies: Vec<(Sha256Digest, Vec<u8>)>,
    schemas: Schemas,
    at_text: String,
    at: Timestamp,
}

fn setup(trust_path: &str, policy_paths: &[String], at: Option<&str>) -> Result<Setup, Problem> {
    let limits = Limits::default();
    let (trust, bytes) = trust_file(trust_path, &limits)?;
    let mut policies = Vec::with_capacity(policy_paths.len());
    for path in policy_paths {
        let source = Source::File(path.to_owned());
        let bytes = read_bounded(path, limits.policy_max_bytes)
            .map_err(|e| io_problem(&e).in_source(&source))?;
        let given = read_policy(&bytes, &limits).map_err(|e| {
            Problem::new(e.code(), e.message())
                .with_detail(e.detail())
                .in_source(&source)
        })?;
        policies.push((given.hash, bytes));
    }
    let (at_text, at) = at_or_now(at)?;
    let schemas = Schemas::new().map_err(|e| Problem::new(CODE_USAGE, e.to_string()))?;
    Ok(Setup {
        limits,
        trust_digest: Sha256Digest::of(&bytes),
        trust,
        policies,
        schemas,
        at_text,
        at,
    })
}

/// Verifies the bundle file at `path` and returns its facts (`cli.io` when it cannot be read):
/// `clyra_core::attest::bundle_facts` over the open file, hashed by the CLI's hasher.
fn facts_of(path: &Path, s: &Setup, at: &Timestamp) -> Result<BundleFacts, Problem> {
    let shown = path.display().to_string();
    let io = |e: std::io::Error| io_problem(&e).in_source(&Source::File(shown.clone()));
    let input = crate::input::open(&shown, s.limits.bundle_max_bytes).map_err(io)?;
    let sha = crate::hasher::file_sha256(&input.file).map_err(io)?;
    let inputs = FactsInputs {
        trust: &s.trust,
        policies: &s.policies,
        schemas: &s.schemas,
        limits: &s.limits,
    };
    let name = path
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    attest::bundle_facts(&name, sha, &input.file, input.len, &inputs, at).map_err(io)
}

/// A period bound: `YYYY-MM-DD` (midnight UTC) or a UTC timestamp.
fn bound(text: &str) -> Result<String, Problem> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    Timestamp::parse(&full).map(|_| full).map_err(|_| {
        Problem::new(
            "attest.period",
            format!("`{text}` is not a date (YYYY-MM-DD) or a UTC timestamp"),
        )
    })
}

fn make(args: &AttestArgs, format: Format) -> Result<(String, Exit), Problem> {
    let framework_text = args.framework.as_deref().unwrap_or("");
    let framework = Framework::parse(framework_text).ok_or_else(|| {
        Problem::new(
            "attest.framework",
            format!(
                "--framework `{framework_text}` is not one of sox, pci, hipaa, eu-ai-act, nist-rmf, tcpa, soc2"
            ),
        )
    })?;
    let (Some(key_path), Some(out)) = (&args.key, &args.out) else {
        return Err(Problem::new(CODE_USAGE, "--key and --out are required"));
    };
    let s = setup(&args.trust, &args.policy, args.at.as_deref())?;
    let key = open_signer(key_path)?;
    let keyid = key.public_key().keyid().to_owned();
    // attestation-v0.md §2.3: a producer key of the trust file, in its window and not revoked
    // at the signing time (else `attest verify` would refuse what this writes).
    if !s
        .trust
        .key(&keyid)
        .is_some_and(|k| k.has_role(Role::Producer) && k.in_window(&s.at) && !k.revoked(&s.at))
    {
        let e = attest::AttestError::KeyNotTrusted { keyid };
        return Err(Problem::new(e.code(), e.to_string()));
    }
    let targets = [
        out.join(ATTESTATION_FILE),
        out.join(OSCAL_FILE),
        out.join(PDF_FILE),
    ];
    for t in &targets {
        atomic::check_target(t, args.force).map_err(|e| crate::output::write_problem(t, &e))?;
    }
    // An s3:// ledger's bundles are downloaded into a temporary directory kept until the end.
    let (paths, completeness, period, _files) = match &args.ledger {
        None => (
            args.bundles.iter().map(PathBuf::from).collect(),
            Completeness::Bundles,
            None,
            None,
        ),
        Some(dir) => {
            let from = bound(args.from.as_deref().unwrap_or(""))?;
            let until = bound(args.until.as_deref().unwrap_or(""))?;
            if from >= until {
                return Err(Problem::new(
                    "attest.period",
                    format!("--from `{from}` is not before --until `{until}`"),
                ));
            }
            let since = match &args.since {
                Some(path) => Some(super::bundle::read(path)?),
                None => None,
            };
            let basis = args.by.basis();
            let (paths, completeness, files) =
                ledger_window(dir, &from, &until, basis, since.as_deref(), &s.limits)?;
            let period = attest::Period { from, until, basis };
            (paths, completeness, Some(period), Some(files))
        }
    };
    let mut bundles: Vec<BundleFacts> = Vec::with_capacity(paths.len());
    for path in &paths {
        let facts = facts_of(path, &s, &s.at)?;
        if bundles.iter().any(|b| b.sha256 == facts.sha256) {
            let e = attest::AttestError::DuplicateBundle {
                name: path.display().to_string(),
            };
            return Err(Problem::new(e.code(), e.to_string()));
        }
        bundles.push(facts);
    }
    let inputs = Inputs {
        framework,
        attested_at: s.at_text.clone(),
        verified_at: s.at_text.clone(),
        period,
        trust_digest: s.trust_digest,
        policy_digests: s.policies.iter().map(|(hash, _)| *hash).collect(),
        completeness,
    };
    let predicate = attest::predicate(&inputs, &bundles);
    let statement = attest::statement(&bundles, predicate);
    let envelope = attest::sign_with(&statement, key.as_ref())
        .map_err(|e| Problem::new(e.code(), e.to_string()))?;
    let oscal_bytes = oscal::assessment_results(&statement);
    let pdf_bytes = clyra_report::attestation::attestation_document(&envelope.payload)
        .and_then(|doc| clyra_report::pdf::render(&doc))
        .map_err(|e| Problem::new(e.code(), e.message()))?;
    std::fs::create_dir_all(out).map_err(|e| crate::output::write_problem(out, &e))?;
    let [attestation_path, oscal_path, pdf_path] = &targets;
    let mut envelope_bytes = envelope.encode();
    envelope_bytes.push(b'\n');
    atomic::write(attestation_path, &envelope_bytes, 0o644, args.force)
        .map_err(|e| crate::output::write_problem(attestation_path, &e))?;
    let mut oscal_out = oscal_bytes;
    oscal_out.push(b'\n');
    atomic::write(oscal_path, &oscal_out, 0o644, args.force)
        .map_err(|e| crate::output::write_problem(oscal_path, &e))?;
    atomic::write(pdf_path, &pdf_bytes, 0o644, args.force)
        .map_err(|e| crate::output::write_problem(pdf_path, &e))?;
    let controls = attest::evaluate(
        framework,
        &bundles,
        match &inputs.completeness {
            Completeness::Bundles => 0,
            Completeness::Ledger { gaps, .. } => gaps.len(),
        },
    );
    let exit = if controls.iter().any(|c| c.status == Status::NotSupported) {
        Exit::Invalid
    } else {
        Exit::Ok
    };
    let text = match format {
        Format::Json => format!(
            "{}\n",
            json!({
                "framework": framework.id(),
                "bundles": bundles.len(),
                "attestation": attestation_path.display().to_string(),
                "oscal": oscal_path.display().to_string(),
                "pdf": pdf_path.display().to_string(),
                "controls": controls.iter().map(|c| json!({"id": c.def.id, "status": c.status.as_str()})).collect::<Vec<_>>(),
            })
        ),
        Format::Human => {
            let mut t = format!(
                "{} attestation over {} bundles\n",
                framework.name(),
                bundles.len()
            );
            for b in bundles.iter().filter(|b| b.outcome.as_str() != "VALID") {
                t.push_str(&format!(
                    "  finding: {} is {} ({})\n",
                    b.name,
                    b.outcome.as_str(),
                    b.primary
                ));
            }
            if let Completeness::Ledger { entries, gaps, .. } = &inputs.completeness {
                t.push_str(&format!(
                    "  ledger: {entries} records in the period, {} gaps\n",
                    gaps.len()
                ));
                for g in gaps {
                    t.push_str(&format!(
                        "  finding: ledger record {} ({}) has no bundle file: {}\n",
                        g.index, g.bundle_id, g.reason
                    ));
                }
            }
            for c in &controls {
                t.push_str(&format!("  {:<15} {}\n", c.status.as_str(), c.def.id));
            }
            t.push_str(&format!(
                "wrote {}\nwrote {}\nwrote {}\n",
                attestation_path.display(),
                oscal_path.display(),
                pdf_path.display()
            ));
            t
        }
    };
    Ok((text, exit))
}

/// The bundle files of the ledger records with `created_at` (or `logged_at`, by `basis`) in
/// [from, until), in index order, and the completeness found (attestation-v0.md §3.3); `dir` is a
/// directory or `s3://bucket/prefix`, whose bundles are downloaded into the returned
/// [`BundleFiles`] (the paths are valid while it lives).
fn ledger_window(
    dir: &Path,
    from: &str,
    until: &str,
    basis: attest::PeriodBasis,
    since: Option<&[u8]>,
    limits: &Limits,
) -> Result<(Vec<PathBuf>, Completeness, BundleFiles), Problem> {
    let ledger_problem = |e: clyra_core::ledger::LedgerError| Problem::new(e.code(), e.to_string());
    let mut store = ledger_store::open(dir, &WriteOptions::default()).map_err(ledger_problem)?;
    let files = BundleFiles::of(&*store).map_err(ledger_problem)?;
    let config = store.config().map_err(ledger_problem)?;
    let (note, cp, _) = store
        .verified_checkpoint(&config.key)
        .map_err(ledger_problem)?;
    // attestation-v0.md §3.3: every record is the one the signed checkpoint commits to and, with
    // --since, the ledger extends the earlier checkpoint (nothing removed or rewritten).
    let since_cp = match since {
        None => {
            check_tiles(&mut store, &cp, limits).map_err(ledger_problem)?;
            None
        }
        Some(old) => {
            let checked = verify_ledger(&mut store, &note, &config.key, Some(old), &[], limits);
            if checked.verdict.exit != 0 {
                let detail = checked
                    .verdict
                    .checks
                    .iter()
                    .find(|c| c.code() == checked.verdict.primary)
                    .map_or_else(String::new, |c| c.message().to_owned());
                return Err(Problem::new(
                    checked.verdict.primary,
                    format!("the ledger does not verify since the checkpoint given: {detail}"),
                ));
            }
            let old_cp = Checkpoint::verify(old, &config.key).map_err(ledger_problem)?;
            Some((old_cp.size, Sha256Digest::from_bytes(old_cp.root)))
        }
    };
    let mut paths = Vec::new();
    let mut gaps = Vec::new();
    let mut entries = 0u64;
    for tile in 0..cp.size.div_ceil(TILE_WIDTH) {
        let records = read_entries(&mut store, cp.size, tile, limits).map_err(ledger_problem)?;
        for (i, (_, r)) in records.into_iter().enumerate() {
            let index = tile * TILE_WIDTH + i as u64;
            let time = match basis {
                attest::PeriodBasis::CreatedAt => r.created_at.as_str(),
                attest::PeriodBasis::LoggedAt => r.logged_at.as_str(),
            };
            if time < from || time >= until {
                continue;
            }
            entries += 1;
            files
                .fetch(&mut *store, &r.bundle_sha256)
                .map_err(ledger_problem)?;
            let path = files
                .root()
                .join("bundles")
                .join(format!("{}.zip", r.bundle_sha256));
            let reason = match std::fs::File::open(&path) {
                Err(_) => Some("missing"),
                Ok(file) => match crate::hasher::file_sha256(&file) {
                    Ok(sha) if sha.to_hex() == r.bundle_sha256 => None,
                    _ => Some("digest_mismatch"),
                },
            };
            match reason {
                None => paths.push(path),
                Some(reason) => gaps.push(Gap {
                    index,
                    bundle_id: r.bundle_id.clone(),
                    bundle_sha256: r.bundle_sha256.clone(),
                    reason,
                }),
            }
        }
    }
    Ok((
        paths,
        Completeness::Ledger {
            origin: cp.origin.clone(),
            size: cp.size,
            root: Sha256Digest::from_bytes(cp.root),
            entries,
            gaps,
            since: since_cp,
        },
        files,
    ))
}

fn verify(args: &VerifyAttestationArgs, format: Format) -> Result<(String, Exit), Problem> {
    let s = setup(&args.trust, &args.policy, args.at.as_deref())?;
    let source = Source::File(args.attestation.clone());
    let bytes = read_bounded(&args.attestation, s.limits.json_max_bytes)
        .map_err(|e| io_problem(&e).in_source(&source))?;
    let (mut checks, opened) = attest::open(&bytes, &s.trust, &s.at, &s.limits);
    if let Some(opened) = &opened {
        checks.extend(recheck(opened, &args.bundles, &s)?);
    }
    let verdict = attest::AttestVerdict::of(checks);
    let exit = match verdict.exit {
        0 => Exit::Ok,
        1 => Exit::Invalid,
        2 => Exit::Warning,
        _ => Exit::Indeterminate,
    };
    let text = verdict.to_output(&args.attestation, format == Format::Json);
    Ok((text, exit))
}

/// Items 4–5 of attestation-v0.md §6.1: the bundles verified at the attestation's `verified_at`.
fn recheck(
    opened: &Opened,
    bundles: &[String],
    s: &Setup,
) -> Result<Vec<attest::AttestCheck>, Problem> {
    if bundles.is_empty() {
        return Ok(attest::recompute(opened, None));
    }
    let at = Timestamp::parse(&opened.verified_at).map_err(|_| {
        Problem::new(
            CODE_USAGE,
            "the attestation's verified_at is not a timestamp",
        )
    })?;
    let facts = bundles
        .iter()
        .map(|b| facts_of(Path::new(b), s, &at))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(attest::recompute(opened, Some(&facts)))
}
