//! `clyra report daily-review`: every bundle a ledger lists for one day, verified and reviewed
//! (spec/daily-review-v0.md), as JSON, Markdown or PDF, with showback (CSV and JSON) and SIEM
//! (OCSF or ECS NDJSON) exports.
//!
//! This file only reads and writes files: the ledger's entries and bundles in, the documents out.
//! Verification and aggregation are the core's (`clyra_core::report`), the layout clyra-report's.
//! Bundles are verified on `--jobs` threads, one at a time each, one ledger tile (256 entries) at
//! a time, and reduced to their facts at once; the facts are counted into the review and spooled
//! to an unlinked temporary file, from which every output is streamed (daily-review-v0.md §5.3).
//! Memory is bounded by the largest bundle per thread and the findings, not by the number of
//! bundles.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Args, Subcommand, ValueEnum};
use clyra_core::format::Schemas;
use clyra_core::ledger::scan::read_entries;
use clyra_core::ledger::tiles::TILE_WIDTH;
use clyra_core::ledger::{LedgerError, Record};
use clyra_core::report::daily::{
    recorded_policy_hash, BundleFacts, DailyReview, EntryEvidence, LedgerSource, ReviewScope,
};
use clyra_core::report::{showback, stream};
use clyra_core::siem;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verify::{policy_digest, verify_bundle_with_evidence, VerifyInputs};
use clyra_core::{Coded, Limits};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::verify::{at_or_now, io_problem, read_bounded, trust_file};
use crate::exit::Exit;
use crate::ledger_store::{self, BundleFiles, WriteOptions};
use crate::output::{DocumentFormat, Format, Problem, Source, CODE_USAGE};
use crate::{atomic, Context};

/// Arguments of `clyra report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Review one day of a ledger's bundles: completeness, approvals, segregation of duties,
    /// risk, tests, schema changes, exceptions, GenAI threats, TCPA events
    #[command(long_about = DAILY_LONG_ABOUT, after_help = DAILY_EXAMPLES)]
    DailyReview(DailyArgs),
}

const DAILY_LONG_ABOUT: &str = "\
Review one day of a ledger's bundles (spec/daily-review-v0.md).

Every record the ledger logged that day (UTC, as `clyra ledger list --since --until` selects them) \
is looked up in the ledger's bundles/ folder by its SHA-256 and verified against --trust at --at. \
The review lists the entries that are missing, altered, INVALID or INDETERMINATE (the completeness \
of the day), schema migrations, row-count deltas, test results, the approval compliance rate, \
approvals by the author or deployer, the risk distribution and high-risk changes, policy \
exceptions, GenAI threats and TCPA rule decisions.

--format json (default output: stdout) prints or writes the review JSON; md writes Markdown; pdf \
writes a PDF/A document (needs --out). --showback FILE.csv also writes FILE.json; --siem ocsf|ecs \
writes one event per bundle to --siem-out. Files are never replaced unless you pass --force.

Exit: 0 clean; 1 the day is incomplete, or an approval is missing or by the author; 2 findings \
to read (failed tests, high-risk changes, exceptions, threats) only; 4 could not run.";

const DAILY_EXAMPLES: &str = "\
Examples:
  $ clyra report daily-review --ledger .clyra/ledger --date 2026-12-01 --trust trust.json --format pdf --out review.pdf
  $ clyra report daily-review --date 2026-12-01 --trust trust.json --format json --showback showback.csv --siem ocsf --siem-out events.ndjson";

/// SIEM event schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SiemFormat {
    /// OCSF 1.8.0, class API Activity (6003).
    Ocsf,
    /// Elastic Common Schema 9.4.0.
    Ecs,
}

/// Arguments of `clyra report daily-review`.
#[derive(Debug, Args)]
pub struct DailyArgs {
    /// The ledger: a directory, or s3://bucket/prefix (AWS_* environment variables)
    #[arg(long, value_name = "DIR", default_value = ".clyra/ledger")]
    pub ledger: PathBuf,
    /// The day, YYYY-MM-DD (UTC)
    #[arg(long, value_name = "DAY")]
    pub date: String,
    /// Trust file: the keys you trust (trust-v0 JSON, or one public key PEM)
    #[arg(long, value_name = "TRUST")]
    pub trust: String,
    /// A policy bundles were produced under (.clyra/policy.yaml or its JSON form); repeatable:
    /// each bundle is verified with the one whose hash its manifest records
    #[arg(long, value_name = "POLICY")]
    pub policy: Vec<String>,
    /// Verification time for every bundle; default: now
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// The ledger's verifier key (text or file); default: the key in ledger.json
    #[arg(long, value_name = "VKEY")]
    pub ledger_key: Option<String>,
    /// Lowest risk score listed as high risk
    #[arg(long, value_name = "SCORE", default_value_t = clyra_core::report::daily::DEFAULT_HIGH_RISK,
          value_parser = clap::value_parser!(u64).range(0..=100))]
    pub high_risk: u64,
    /// Where to write the review (json: default stdout; md: default stdout; pdf: required)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write the showback CSV here, and its JSON beside it (FILE with `.json`)
    #[arg(long, value_name = "FILE.csv")]
    pub showback: Option<PathBuf>,
    /// Write one SIEM event per bundle in this schema (needs --siem-out)
    #[arg(long, value_enum, value_name = "SCHEMA", requires = "siem_out")]
    pub siem: Option<SiemFormat>,
    /// The NDJSON file for --siem
    #[arg(long, value_name = "FILE.ndjson", requires = "siem")]
    pub siem_out: Option<PathBuf>,
    /// Also attest SOX ITGC over the day (`clyra attest --ledger --framework sox`) into this folder:
    /// attestation.dsse.json, oscal-assessment-results.json, attestation.pdf (needs --key)
    #[arg(long, value_name = "DIR", requires = "key")]
    pub attest_sox: Option<PathBuf>,
    /// The attesting key URI for --attest-sox (a key file, `pkcs11:`, `cmd:`)
    #[arg(long, value_name = "KEY", requires = "attest_sox")]
    pub key: Option<String>,
    /// Threads that verify bundles (default: the number of cores, at most 8)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
    /// Replace output files that exist
    #[arg(long)]
    pub force: bool,
}

/// Runs `clyra report …`.
pub fn run(args: &ReportArgs, cx: &mut Context<'_>) -> Exit {
    match &args.command {
        ReportCommand::DailyReview(a) => match daily(a, cx.format, cx.document) {
            Ok((text, exit)) => cx.print(&text, exit),
            Err(problem) => cx.fail(&problem),
        },
    }
}

fn ledger_problem(e: &LedgerError) -> Problem {
    Problem::new(e.code(), e.to_string())
}

/// The facts of every entry in `entries`, verified on `jobs` threads, in the order given.
fn verify_all(
    root: &Path,
    entries: &[(u64, Record)],
    trust: &Trust,
    at: &Timestamp,
    policies: &[(String, Vec<u8>)],
    jobs: usize,
) -> Result<Vec<BundleFacts>, Problem> {
    let limits = Limits::default();
    let next = AtomicUsize::new(0);
    let results = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<Vec<(usize, BundleFacts)>, Problem> {
                    let schemas =
                        Schemas::new().map_err(|e| Problem::new(CODE_USAGE, e.to_string()))?;
                    let inputs = VerifyInputs {
                        trust,
                        at,
                        policy: None,
                        schemas: &schemas,
                        limits: &limits,
                        witnessed: None,
                    };
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((index, record)) = entries.get(i) else {
                            break;
                        };
                        let path = root
                            .join("bundles")
                            .join(format!("{}.zip", record.bundle_sha256));
                        done.push((i, facts_of(&path, *index, record, &inputs, policies)?));
                    }
                    Ok(done)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| {
                    Err(Problem::new("cli.internal", "a verifier thread failed"))
                })
            })
            .collect::<Vec<_>>()
    });
    let mut all = Vec::with_capacity(entries.len());
    for r in results {
        all.extend(r?);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, f)| f).collect())
}

/// Finds, hashes and verifies one bundle.
fn facts_of(
    path: &Path,
    index: u64,
    record: &Record,
    inputs: &VerifyInputs<'_>,
    policies: &[(String, Vec<u8>)],
) -> Result<BundleFacts, Problem> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(BundleFacts::of(index, record, EntryEvidence::Missing))
        }
        Err(e) => return Err(io_problem(&e).in_source(&Source::File(path.display().to_string()))),
    };
    let source = || Source::File(path.display().to_string());
    let mut hasher = Sha256::new();
    let len = io::copy(&mut (&mut file).take(u64::MAX), &mut hasher)
        .map_err(|e| io_problem(&e).in_source(&source()))?;
    if hex::encode(hasher.finalize()) != record.bundle_sha256 {
        return Ok(BundleFacts::of(
            index,
            record,
            EntryEvidence::DigestMismatch,
        ));
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| io_problem(&e).in_source(&source()))?;
    // daily-review-v0.md §2.1: the policy whose hash the manifest records, when one was given.
    let policy = if policies.is_empty() {
        None
    } else {
        let recorded = recorded_policy_hash(BufReader::new(&file), len, inputs.limits);
        file.seek(SeekFrom::Start(0))
            .map_err(|e| io_problem(&e).in_source(&source()))?;
        recorded.and_then(|h| policies.iter().find(|(d, _)| *d == h))
    };
    let inputs = VerifyInputs {
        policy: policy.map(|(_, bytes)| bytes.as_slice()),
        ..*inputs
    };
    let (verdict, evidence) = verify_bundle_with_evidence(BufReader::new(&file), len, &inputs);
    Ok(BundleFacts::of(
        index,
        record,
        EntryEvidence::Verified {
            verdict: &verdict,
            evidence: &evidence,
        },
    ))
}

/// `FILE.csv` → `FILE.json`; any other name gets `.json` appended.
fn beside(csv: &Path) -> PathBuf {
    if csv.extension().is_some_and(|e| e == "csv") {
        csv.with_extension("json")
    } else {
        let mut name = csv.as_os_str().to_owned();
        name.push(".json");
        PathBuf::from(name)
    }
}

fn daily(
    args: &DailyArgs,
    format: Format,
    document: Option<DocumentFormat>,
) -> Result<(String, Exit), Problem> {
    let limits = Limits::default();
    let (trust, _) = trust_file(&args.trust, &limits)?;
    let (at_text, at) = at_or_now(args.at.as_deref())?;
    let mut policies = Vec::new();
    for path in &args.policy {
        let source = Source::File(path.clone());
        let bytes = read_bounded(path, limits.policy_max_bytes)
            .map_err(|e| io_problem(&e).in_source(&source))?;
        let digest = policy_digest(&bytes, &limits).map_err(|e| {
            Problem::new(e.code(), e.message())
                .with_detail(e.detail())
                .in_source(&source)
        })?;
        policies.push((digest.to_prefixed(), bytes));
    }
    if document == Some(DocumentFormat::Pdf) && args.out.is_none() {
        return Err(Problem::new(
            CODE_USAGE,
            "--format pdf needs --out FILE.pdf",
        ));
    }
    // Refuse before any work when an output exists (atomic writes check again).
    let showback_json = args.showback.as_deref().map(beside);
    for path in [&args.out, &args.showback, &showback_json, &args.siem_out]
        .into_iter()
        .flatten()
    {
        atomic::check_target(path, args.force)?;
    }
    if let Some(dir) = &args.attest_sox {
        for name in super::attest::FILES {
            atomic::check_target(&dir.join(name), args.force)?;
        }
    }

    let mut dir = ledger_store::open(&args.ledger, &WriteOptions::default())
        .map_err(|e| ledger_problem(&e))?;
    // An s3:// ledger's bundles of the day are downloaded into a temporary directory.
    let files = BundleFiles::of(&*dir).map_err(|e| ledger_problem(&e))?;
    let config = dir.config().map_err(|e| ledger_problem(&e))?;
    let key = match &args.ledger_key {
        Some(text) => super::ledger::read_vkey(text)?,
        None => config.key,
    };
    let (_, cp, _) = dir
        .verified_checkpoint(&key)
        .map_err(|e| ledger_problem(&e))?;
    let source = LedgerSource {
        origin: cp.origin.clone(),
        tree_size: cp.size,
        root: base64_std(&cp.root),
    };
    let scope = ReviewScope::of_day(&args.date, at_text.clone(), source, args.high_risk)
        .ok_or_else(|| {
            Problem::new(
                "report.input",
                format!("--date `{}` is not a day like 2026-12-01", args.date),
            )
        })?;
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        usize::from,
    );
    // One tile of entries at a time: the rows go to the spool, only the aggregates stay.
    let mut review = DailyReview::begin(scope.clone());
    let mut spool = Spool::new().map_err(|e| io_problem(&e))?;
    for tile in 0..cp.size.div_ceil(TILE_WIDTH) {
        let records =
            read_entries(&mut dir, cp.size, tile, &limits).map_err(|e| ledger_problem(&e))?;
        let entries: Vec<(u64, Record)> = records
            .into_iter()
            .enumerate()
            .filter(|(_, (_, record))| scope.contains(&record.logged_at))
            .map(|(i, (_, record))| (tile * TILE_WIDTH + i as u64, record))
            .collect();
        if entries.is_empty() {
            continue;
        }
        for (_, record) in &entries {
            files
                .fetch(&mut *dir, &record.bundle_sha256)
                .map_err(|e| ledger_problem(&e))?;
        }
        for f in verify_all(files.root(), &entries, &trust, &at, &policies, jobs)? {
            review.tally(&f);
            spool.push(&f).map_err(|e| io_problem(&e))?;
        }
    }
    review.close();
    spool.finish().map_err(|e| io_problem(&e))?;

    let mut written = Vec::new();
    let mut stream_to =
        |path: &Path, fill: &dyn Fn(&mut dyn Write) -> io::Result<()>| -> Result<(), Problem> {
            atomic::write_streamed(path, 0o644, args.force, |file| -> io::Result<()> {
                let mut out = BufWriter::new(file);
                fill(&mut out)?;
                out.flush()
            })?;
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            written.push(json!({"path": path.display().to_string(), "bytes": bytes}));
            Ok(())
        };
    let review_json = |out: &mut dyn Write| stream::write_review_json(&review, spool.rows()?, out);
    let mut stdout_doc = None;
    match document {
        Some(kind) => {
            let mut hasher = HashWriter(Sha256::new());
            review_json(&mut hasher).map_err(|e| io_problem(&e))?;
            let digest = format!("sha256:{}", hex::encode(hasher.0.finalize()));
            let doc = clyra_report::daily::daily_document_with_digest(&review, digest);
            let bytes = match kind {
                DocumentFormat::Pdf => clyra_report::pdf::render(&doc)
                    .map_err(|e| Problem::new(e.code(), e.message()))?,
                DocumentFormat::Markdown => clyra_report::daily::to_markdown(&doc).into_bytes(),
            };
            match &args.out {
                Some(out) => stream_to(out, &|w| w.write_all(&bytes))?,
                None => stdout_doc = Some(String::from_utf8_lossy(&bytes).into_owned()),
            }
        }
        None => {
            if let Some(out) = &args.out {
                stream_to(out, &review_json)?;
            } else if format == Format::Json {
                // Standard output is one text: the review is held here only.
                let mut json = Vec::new();
                review_json(&mut json).map_err(|e| io_problem(&e))?;
                json.push(b'\n');
                stdout_doc = Some(String::from_utf8_lossy(&json).into_owned());
            }
        }
    }
    let lines =
        || -> io::Result<_> { Ok(spool.rows()?.map(|row| row.map(|f| showback::line(&f)))) };
    if let (Some(csv), Some(csv_json)) = (&args.showback, &showback_json) {
        stream_to(csv, &|w| stream::write_showback_csv(lines()?, w))?;
        stream_to(csv_json, &|w| stream::write_showback_json(lines()?, w))?;
    }
    if let (Some(schema), Some(out)) = (args.siem, &args.siem_out) {
        let event = match schema {
            SiemFormat::Ocsf => siem::bundle::ocsf,
            SiemFormat::Ecs => siem::bundle::ecs,
        };
        stream_to(out, &|w| stream::write_siem_ndjson(spool.rows()?, event, w))?;
    }

    // The SOX ITGC roll-up: an attestation over the same ledger day (attestation-v0.md).
    let rollup = match (&args.attest_sox, &args.key) {
        (Some(dir), Some(key)) => Some(super::attest::sox_rollup(
            &args.ledger,
            &review.since,
            &review.until,
            key,
            dir,
            &args.trust,
            &args.policy,
            &at_text,
            args.force,
        )?),
        _ => None,
    };
    if let Some((summary, _)) = &rollup {
        for name in ["attestation", "oscal", "pdf"] {
            if let Some(path) = summary[name].as_str() {
                let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
                written.push(json!({"path": path, "bytes": bytes}));
            }
        }
    }

    let exit = if !review.complete
        || !review.sod_violations.is_empty()
        || !review.approval_gaps.is_empty()
        || rollup.as_ref().is_some_and(|(_, e)| *e == Exit::Invalid)
    {
        Exit::Invalid
    } else if !review.test_failures.is_empty()
        || !review.high_risk.is_empty()
        || !review.policy_exceptions.is_empty()
        || !review.genai_threats.is_empty()
    {
        Exit::Warning
    } else {
        Exit::Ok
    };
    let text = match (stdout_doc, format) {
        (Some(doc), _) => doc,
        (None, Format::Json) => format!(
            "{}\n",
            json!({"date": review.date, "entries": review.totals.entries, "complete": review.complete, "written": written})
        ),
        (None, Format::Human) => {
            let mut t = format!(
                "daily review {}: {} entries, complete: {}, approval compliance {}, {} segregation-of-duties violations, {} high-risk changes\n",
                review.date,
                review.totals.entries,
                if review.complete { "yes" } else { "NO" },
                review.rate_text(),
                review.sod_violations.len(),
                review.high_risk.len()
            );
            for w in &written {
                t.push_str(&format!(
                    "wrote {} ({} bytes)\n",
                    w["path"].as_str().unwrap_or(""),
                    w["bytes"]
                ));
            }
            t
        }
    };
    Ok((text, exit))
}

/// Standard padded base64, as checkpoints write root hashes.
fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A `Write` that only hashes: the digest of the review JSON without holding it.
struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The day's rows, one canonical JSON line per entry in ledger order, in a temporary file that
/// is unlinked as soon as it is open (nothing is left behind, even on a crash).
struct Spool {
    out: BufWriter<File>,
}

impl Spool {
    fn new() -> io::Result<Self> {
        use std::sync::atomic::AtomicU64;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir();
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".clyra-review-{}-{n}", std::process::id()));
        let file = options.open(&path)?;
        // Unlinked while open (Unix); elsewhere the name stays until it is closed.
        let _ = std::fs::remove_file(&path);
        Ok(Self {
            out: BufWriter::new(file),
        })
    }

    fn push(&mut self, facts: &BundleFacts) -> io::Result<()> {
        self.out.write_all(&clyra_core::report::canonical(facts))?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The rows from the first, one at a time.
    fn rows(&self) -> io::Result<impl Iterator<Item = io::Result<BundleFacts>>> {
        let mut file = self.out.get_ref().try_clone()?;
        file.seek(SeekFrom::Start(0))?;
        Ok(BufReader::new(file).lines().map(|line| {
            let line = line?;
            serde_json::from_str(&line).map_err(io::Error::other)
        }))
    }
}
