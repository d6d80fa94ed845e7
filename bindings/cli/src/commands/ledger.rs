//! `clyra ledger …`: the evidence ledger (spec/ledger-v0.md) in a local directory — init, append,
//! prove, verify, list, check a proof file, cosign as a witness.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use clyra_core::digest::Sha256Digest;
use clyra_core::ledger::note::{Note, ALG_COSIGNATURE_V1, ALG_ED25519};
use clyra_core::ledger::proof::{verify_proof_file, ConsistencyProof, InclusionProof};
use clyra_core::ledger::retention::{resolve, Sources};
use clyra_core::ledger::scan::{self, read_entries};
use clyra_core::ledger::tiles::{self, TiledTree, TILE_WIDTH};
use clyra_core::ledger::{
    Checkpoint, LedgerError, LedgerErrorKind as K, NoteSigner, Record, VerifierKey,
};
use clyra_core::policy::Policy;
use clyra_core::verify::Verdict;
use clyra_core::{Coded, Limits};
use serde_json::json;

use super::bundle::read;
use super::keys::open_signer;
use super::verify::print_verdict;
use crate::exit::Exit;
use crate::ledger_dir::{LedgerDir, CONFIG_FORMAT};
use crate::ledger_store::{self, LedgerStorage, WriteOptions};
use crate::output::{Format, Problem, CODE_USAGE};
use crate::{clock, Context};

/// The ledger `clyra dbt` and the defaults use.
const DEFAULT_LEDGER: &str = ".clyra/ledger";
/// The producer key `clyra dbt init` writes.
const DEFAULT_KEY: &str = ".clyra/keys/clyra.key";

/// Arguments of `clyra ledger`.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Create an empty ledger in DIR, signed with KEY (an Ed25519 key from `clyra keygen`)
    Init(InitArgs),
    /// Append bundles (idempotent: a bundle already there keeps its index); signs a new checkpoint
    Append(AppendArgs),
    /// Write the inclusion proof of BUNDLE (a ledger receipt), or with --since a consistency proof
    Prove(ProveArgs),
    /// Re-check every tile and record against the signed checkpoint; with --since, consistency
    Verify(VerifyLedgerArgs),
    /// List the records appended (index, time, bundle, subject), optionally between two times
    List(ListArgs),
    /// Verify a proof file (ledger receipt or consistency proof) against the ledger key; print the verdict
    Check(CheckArgs),
    /// Cosign the current checkpoint as a witness after checking consistency with the last one you cosigned
    Cosign(CosignArgs),
}

/// Object-storage retention of `clyra ledger init` and `append` (ledger-v0.md §8.3).
#[derive(Debug, Clone, Args)]
pub struct RetentionArgs {
    /// s3:// ledgers: Object Lock retention (COMPLIANCE mode) of the objects written, in days
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36_600))]
    pub retain_days: Option<u32>,
    /// s3:// ledgers: also set an Object Lock legal hold on the objects written
    #[arg(long)]
    pub legal_hold: bool,
    /// s3:// ledgers: the policy whose compliance.retention (period, legal_hold) applies when
    /// --retain-days is not given
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<PathBuf>,
    /// s3:// ledgers: a project config (.clyra/config.json) whose ledger entry's retain_days
    /// applies when neither --retain-days nor the policy gives a period
    #[arg(long, value_name = "CONFIG")]
    pub config: Option<PathBuf>,
}

impl RetentionArgs {
    /// The write options: the retention resolved from the flags, the policy and the config
    /// (ledger-v0.md §8.3), in that order.
    pub fn options(&self) -> Result<WriteOptions, Problem> {
        let limits = Limits::default();
        let policy = match &self.policy {
            None => None,
            Some(path) => {
                let bytes = read(path)?;
                let p = Policy::load(&bytes, &path.display().to_string(), &limits)
                    .map_err(|e| Problem::new(e.code(), e.to_string()))?;
                Some(p)
            }
        };
        let config_retain_days = match &self.config {
            None => None,
            Some(path) => {
                ledger_store::config_retain_days(&read(path)?, &path.display().to_string())
                    .map_err(|e| problem(&e))?
            }
        };
        let retention = resolve(&Sources {
            retain_days: self.retain_days,
            legal_hold: self.legal_hold,
            policy: policy.as_ref().map(Policy::doc),
            config_retain_days,
        })
        .map_err(|e| problem(&e))?;
        Ok(WriteOptions { retention })
    }
}

/// Opens a ledger location (a directory or `s3://bucket/prefix`) for reading.
fn open(location: &Path) -> Result<Box<dyn LedgerStorage>, Problem> {
    ledger_store::open(location, &WriteOptions::default()).map_err(|e| problem(&e))
}

/// Arguments of `clyra ledger init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The ledger to create: a directory, or s3://bucket/prefix (AWS_* environment variables)
    #[arg(value_name = "LOCATION")]
    pub dir: PathBuf,
    /// The ledger's signing key (Ed25519): a key file or a key URI (pkcs11:…, cmd:…)
    #[arg(long, value_name = "KEY")]
    pub key: String,
    /// The checkpoint origin and key name (default: clyra.local/ledger/<8 hex of the key>)
    #[arg(long, value_name = "NAME")]
    pub origin: Option<String>,
    /// Object Lock retention of what is written (s3:// ledgers)
    #[command(flatten)]
    pub retention: RetentionArgs,
}

/// Arguments of `clyra ledger append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// The bundles to append, in order
    #[arg(value_name = "BUNDLE", required = true)]
    pub bundles: Vec<PathBuf>,
    /// The ledger: a directory, or s3://bucket/prefix
    #[arg(long, value_name = "DIR", default_value = DEFAULT_LEDGER)]
    pub ledger: PathBuf,
    /// The ledger's signing key: a key file or a key URI (pkcs11:…, cmd:…)
    #[arg(long, value_name = "KEY", default_value = DEFAULT_KEY)]
    pub key: String,
    /// The time recorded as `logged_at` (default: now, UTC)
    #[arg(long, value_name = "TIME")]
    pub logged_at: Option<String>,
    /// Object Lock retention of what is written (s3:// ledgers)
    #[command(flatten)]
    pub retention: RetentionArgs,
}

/// Arguments of `clyra ledger prove`.
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The bundle whose inclusion to prove (omit with --since or --index)
    #[arg(value_name = "BUNDLE", required_unless_present_any = ["since", "index"])]
    pub bundle: Option<PathBuf>,
    /// Instead: the inclusion proof of the record at this index (reads one entry bundle and the
    /// tiles the proof needs, not the whole ledger)
    #[arg(long, value_name = "N", conflicts_with_all = ["bundle", "since"])]
    pub index: Option<u64>,
    /// Instead: a consistency proof from this earlier checkpoint file to the current one
    #[arg(long, value_name = "CHECKPOINT", conflicts_with = "bundle")]
    pub since: Option<PathBuf>,
    /// The ledger: a directory, or s3://bucket/prefix
    #[arg(long, value_name = "DIR", default_value = DEFAULT_LEDGER)]
    pub ledger: PathBuf,
    /// Where to write the proof (default: stdout)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Arguments of `clyra ledger verify`.
#[derive(Debug, Args)]
pub struct VerifyLedgerArgs {
    /// The ledger: a directory, or s3://bucket/prefix
    #[arg(value_name = "DIR", default_value = DEFAULT_LEDGER)]
    pub dir: PathBuf,
    /// An earlier checkpoint file you kept: the current tree must extend it
    #[arg(long, value_name = "CHECKPOINT")]
    pub since: Option<PathBuf>,
    /// The ledger's verifier key (text or file); default: the one in ledger.json, untrusted
    #[arg(long, value_name = "VKEY")]
    pub key: Option<String>,
    /// Require a cosignature by this witness verifier key (text or file); repeatable
    #[arg(long, value_name = "VKEY")]
    pub witness: Vec<String>,
}

/// Arguments of `clyra ledger list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The ledger: a directory, or s3://bucket/prefix
    #[arg(long, value_name = "DIR", default_value = DEFAULT_LEDGER)]
    pub ledger: PathBuf,
    /// Only records logged at or after this time
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only records logged before this time
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

/// Arguments of `clyra ledger check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The proof file (ledger receipt or consistency proof)
    #[arg(value_name = "PROOF")]
    pub proof: PathBuf,
    /// The ledger's verifier key (text or file)
    #[arg(long, value_name = "VKEY")]
    pub key: String,
}

/// Arguments of `clyra ledger cosign`.
#[derive(Debug, Args)]
pub struct CosignArgs {
    /// The ledger: a directory, or s3://bucket/prefix
    #[arg(value_name = "DIR", default_value = DEFAULT_LEDGER)]
    pub dir: PathBuf,
    /// The witness's signing key (Ed25519): a key file or a key URI (pkcs11:…, cmd:…)
    #[arg(long, value_name = "KEY")]
    pub witness_key: String,
    /// The witness's name (e.g. witness.example.com/w1)
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The ledger's verifier key (text or file)
    #[arg(long, value_name = "VKEY")]
    pub key: String,
    /// The witness's state: the last checkpoint it cosigned (read, then replaced)
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
}

/// Runs `clyra ledger …`.
pub fn run(args: &LedgerArgs, cx: &mut Context<'_>) -> Exit {
    let format = cx.format;
    let result = match &args.command {
        LedgerCommand::Init(a) => init(a, format),
        LedgerCommand::Append(a) => append(a, format),
        LedgerCommand::Prove(a) => prove(a, format),
        LedgerCommand::List(a) => list(a, format),
        LedgerCommand::Cosign(a) => cosign(a, format),
        LedgerCommand::Verify(a) => return verify(a, cx),
        LedgerCommand::Check(a) => return check(a, cx),
    };
    match result {
        Ok(text) => cx.print(&text, Exit::Ok),
        Err(problem) => cx.fail(&problem),
    }
}

fn problem(e: &LedgerError) -> Problem {
    Problem::new(e.code(), e.to_string())
}

/// A verifier key given as text or as a file holding it (`ledger.key`, exit 4).
pub(crate) fn read_vkey(arg: &str) -> Result<VerifierKey, Problem> {
    let text = if Path::new(arg).is_file() {
        String::from_utf8(read(Path::new(arg))?)
            .map_err(|_| Problem::new(K::Key.code(), format!("`{arg}` is not text")))?
    } else {
        arg.to_owned()
    };
    VerifierKey::parse(text.trim()).map_err(|e| problem(&e))
}

fn init(args: &InitArgs, format: Format) -> Result<String, Problem> {
    let key = open_signer(&args.key)?;
    let origin = match &args.origin {
        Some(o) => o.clone(),
        None => {
            let keyid = key.public_key().keyid();
            let hex = keyid.strip_prefix("sha256:").unwrap_or(keyid);
            format!("clyra.local/ledger/{}", hex.get(..8).unwrap_or(hex))
        }
    };
    let signer = NoteSigner::new(&*key, &origin, ALG_ED25519).map_err(|e| problem(&e))?;
    let vkey = signer.verifier().to_text();
    let empty = Checkpoint {
        origin: origin.clone(),
        size: 0,
        root: clyra_core::merkle::empty_root(),
    };
    let note = empty.sign(&signer).map_err(|e| problem(&e))?;
    let config = json!({"format": CONFIG_FORMAT, "origin": origin, "key": vkey});
    let config = clyra_core::jcs::canonicalize(config.to_string().as_bytes(), &Limits::default())
        .map_err(|e| Problem::new(CODE_USAGE, e.to_string()))?;
    ledger_store::open(&args.dir, &args.retention.options()?)
        .and_then(|mut l| l.create(&config, note.as_bytes()))
        .map_err(|e| problem(&e))?;
    Ok(match format {
        Format::Human => format!(
            "{}: empty ledger\n  origin  {origin}\n  key     {vkey}\nGive auditors the key line; they pass it as --key.\n",
            args.dir.display()
        ),
        Format::Json => format!(
            "{}\n",
            json!({"ledger": args.dir.display().to_string(), "origin": origin, "key": vkey})
        ),
    })
}

fn append(args: &AppendArgs, format: Format) -> Result<String, Problem> {
    let mut dir =
        ledger_store::open(&args.ledger, &args.retention.options()?).map_err(|e| problem(&e))?;
    let config = dir.config().map_err(|e| problem(&e))?;
    let key = open_signer(&args.key)?;
    let signer = NoteSigner::new(&*key, &config.origin, ALG_ED25519).map_err(|e| problem(&e))?;
    if signer.verifier() != &config.key {
        return Err(Problem::new(
            K::Key.code(),
            format!(
                "{}: not this ledger's key ({})",
                args.key,
                config.key.to_text()
            ),
        ));
    }
    let logged_at = args.logged_at.clone().unwrap_or_else(clock::now_utc);
    let _lock = dir.lock().map_err(|e| problem(&e))?;
    // Object storage: a lost compare-and-swap on the checkpoint redoes the append (§8.2).
    let mut tries = 0;
    loop {
        tries += 1;
        match append_once(args, &mut dir, &config, &signer, &logged_at) {
            Err(e) if e.kind() == K::Conflict && tries < APPEND_TRIES => continue,
            Err(e) if e.kind() == K::Conflict => {
                return Err(Problem::new(
                    K::Conflict.code(),
                    format!("{e} in {APPEND_TRIES} tries; nothing was appended"),
                ))
            }
            Err(e) => return Err(problem(&e)),
            Ok(Err(p)) => return Err(p),
            Ok(Ok((report, size))) => return Ok(append_report(args, format, &report, size)),
        }
    }
}

/// Tries of an append that keeps losing the checkpoint's swap to other appenders (§8.2).
const APPEND_TRIES: u32 = 8;

/// (bundle, index, newly appended) of each bundle of an append.
type AppendReport = Vec<(String, u64, bool)>;

/// One try of an append: storage errors as `LedgerError` (a conflict is retried), the rest as a
/// problem.
fn append_once(
    args: &AppendArgs,
    dir: &mut Box<dyn LedgerStorage>,
    config: &crate::ledger_dir::Config,
    signer: &NoteSigner<'_, dyn clyra_signer::Signer>,
    logged_at: &str,
) -> Result<Result<(AppendReport, u64), Problem>, LedgerError> {
    let limits = Limits::default();
    let (_, cp, tag) = dir.verified_checkpoint(&config.key)?;
    // First pass: each bundle's digest and record (its bytes are dropped), so that the ledger is
    // then read once keeping only what these bundles need (memory flat in the ledger's size).
    let mut inputs = Vec::new();
    for path in &args.bundles {
        let bytes = match read(path) {
            Ok(b) => b,
            Err(p) => return Ok(Err(p)),
        };
        let sha = Sha256Digest::of(&bytes);
        let record = Record::of_bundle(
            Cursor::new(&bytes),
            bytes.len() as u64,
            &sha,
            logged_at,
            &limits,
        );
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                return Ok(Err(Problem::new(
                    e.code(),
                    format!("{}: {e}", path.display()),
                )))
            }
        };
        inputs.push((path, sha, record));
    }
    let wanted: Vec<Record> = inputs.iter().map(|(_, _, r)| r.clone()).collect();
    let mut index = scan::index_for(dir, cp.size, &wanted, &limits)?;
    drop(wanted);
    let mut records = Vec::new();
    let mut report = Vec::new();
    for (path, sha, record) in inputs {
        if let Some(at) = index.by_bundle.get(&sha.to_hex()) {
            report.push((path.display().to_string(), *at, false));
            continue;
        }
        if let Some(r) = index.replays_of(&record).first() {
            return Ok(Err(Problem::new(
                K::Replay.code(),
                format!(
                    "{}: its approval {} `{}` is already recorded by entry {}; nothing was appended",
                    path.display(),
                    r.what,
                    r.value,
                    r.first
                ),
            )));
        }
        let at = cp.size + records.len() as u64;
        index.add(at, &record);
        let bytes = match read(path) {
            Ok(b) => b,
            Err(p) => return Ok(Err(p)),
        };
        if Sha256Digest::of(&bytes) != sha {
            return Ok(Err(Problem::new(
                K::Storage.code(),
                format!(
                    "{}: the file changed while it was being appended; nothing was appended",
                    path.display()
                ),
            )));
        }
        dir.store_bundle(&sha.to_hex(), &bytes)?;
        report.push((path.display().to_string(), at, true));
        records.push(record.to_bytes());
    }
    let mut size = cp.size;
    if !records.is_empty() {
        let (writes, root) = tiles::append(dir, cp.size, &records)?;
        size += records.len() as u64;
        let next = Checkpoint {
            origin: config.origin.clone(),
            size,
            root,
        };
        let note = next.sign(signer)?;
        dir.commit(&writes, note.as_bytes(), &tag)?;
    }
    Ok(Ok((report, size)))
}

fn append_report(args: &AppendArgs, format: Format, report: &AppendReport, size: u64) -> String {
    match format {
        Format::Human => {
            let mut text = String::new();
            for (path, at, new) in report {
                let what = if *new { "appended at" } else { "already at" };
                text.push_str(&format!("{path}: {what} index {at}\n"));
            }
            text.push_str(&format!(
                "{}: checkpoint of {size} entries\n",
                args.ledger.display()
            ));
            text
        }
        Format::Json => {
            let entries: Vec<_> = report
                .iter()
                .map(|(p, at, new)| json!({"bundle": p, "index": at, "appended": new}))
                .collect();
            format!("{}\n", json!({"entries": entries, "tree_size": size}))
        }
    }
}

fn write_or_return(
    out: Option<&PathBuf>,
    bytes: &[u8],
    what: String,
    format: Format,
) -> Result<String, Problem> {
    match out {
        None => Ok(format!("{}\n", String::from_utf8_lossy(bytes))),
        Some(path) => {
            LedgerDir::new(".")
                .write(path, bytes)
                .map_err(|e| problem(&e))?;
            Ok(match format {
                Format::Human => format!("{}: {what}\n", path.display()),
                Format::Json => format!(
                    "{}\n",
                    json!({"out": path.display().to_string(), "what": what})
                ),
            })
        }
    }
}

fn prove(args: &ProveArgs, format: Format) -> Result<String, Problem> {
    let limits = Limits::default();
    let mut dir = open(&args.ledger)?;
    let config = dir.config().map_err(|e| problem(&e))?;
    let (note, cp, _) = dir
        .verified_checkpoint(&config.key)
        .map_err(|e| problem(&e))?;
    let note = String::from_utf8_lossy(&note).into_owned();
    if let Some(since) = &args.since {
        let old_note = read(since)?;
        let old = Checkpoint::verify(&old_note, &config.key).map_err(|e| problem(&e))?;
        let mut tree = TiledTree::new(&mut dir, cp.size);
        let path = if old.size == 0 || old.size == cp.size {
            Vec::new()
        } else {
            tree.consistency_proof(old.size).map_err(|e| problem(&e))?
        };
        clyra_core::ledger::proof::check_consistency(&old, &cp, &path, &limits)
            .map_err(|e| problem(&e))?;
        let proof =
            ConsistencyProof::new(String::from_utf8_lossy(&old_note).into_owned(), note, &path);
        let what = format!("consistency proof from {} to {} entries", old.size, cp.size);
        return write_or_return(args.out.as_ref(), &proof.to_bytes(), what, format);
    }
    if let Some(index) = args.index {
        if index >= cp.size {
            return Err(Problem::new(
                K::NotFound.code(),
                format!("no entry {index} in a ledger of {} entries", cp.size),
            ));
        }
        let entries = read_entries(&mut dir, cp.size, index / TILE_WIDTH, &limits)
            .map_err(|e| problem(&e))?;
        let record = entries
            .into_iter()
            .nth((index % TILE_WIDTH) as usize)
            .map(|(_, r)| r)
            .ok_or_else(|| Problem::new(K::TileTruncated.code(), "entry bundle too short"))?;
        let path = TiledTree::new(&mut dir, cp.size)
            .inclusion_proof(index)
            .map_err(|e| problem(&e))?;
        let proof = InclusionProof::new(note, cp.size, index, record, &path);
        let what = format!(
            "inclusion of entry {index} in the checkpoint of {} entries",
            cp.size
        );
        return write_or_return(args.out.as_ref(), &proof.to_bytes(), what, format);
    }
    let Some(bundle) = &args.bundle else {
        return Err(Problem::new(CODE_USAGE, "give BUNDLE, --index or --since"));
    };
    let sha = Sha256Digest::of(&read(bundle)?).to_hex();
    // Find the record: the entry bundles are read one tile at a time.
    for tile in 0..cp.size.div_ceil(TILE_WIDTH) {
        let entries = read_entries(&mut dir, cp.size, tile, &limits).map_err(|e| problem(&e))?;
        if let Some(i) = entries.iter().position(|(_, r)| r.bundle_sha256 == sha) {
            let index = tile * TILE_WIDTH + i as u64;
            let record = entries.into_iter().nth(i).map(|(_, r)| r);
            let Some(record) = record else { break };
            let mut tree = TiledTree::new(&mut dir, cp.size);
            let path = tree.inclusion_proof(index).map_err(|e| problem(&e))?;
            let proof = InclusionProof::new(note, cp.size, index, record, &path);
            let what = format!(
                "inclusion of entry {index} in the checkpoint of {} entries",
                cp.size
            );
            return write_or_return(args.out.as_ref(), &proof.to_bytes(), what, format);
        }
    }
    Err(Problem::new(
        K::NotFound.code(),
        format!("{}: not in the ledger", bundle.display()),
    ))
}

fn verify(args: &VerifyLedgerArgs, cx: &mut Context<'_>) -> Exit {
    let limits = Limits::default();
    let mut dir = match open(&args.dir) {
        Ok(d) => d,
        Err(p) => return cx.fail(&p),
    };
    let key = match &args.key {
        Some(k) => read_vkey(k),
        None => dir.config().map(|c| c.key).map_err(|e| problem(&e)),
    };
    let key = match key {
        Ok(k) => k,
        Err(p) => return cx.fail(&p),
    };
    let mut witnesses = Vec::new();
    for w in &args.witness {
        match read_vkey(w) {
            Ok(k) => witnesses.push(k),
            Err(p) => return cx.fail(&p),
        }
    }
    let note = match dir.checkpoint() {
        Ok(n) => n,
        Err(e) => return cx.fail(&problem(&e)),
    };
    let since = match &args.since {
        Some(p) => match read(p) {
            Ok(b) => Some(b),
            Err(p) => return cx.fail(&p),
        },
        None => None,
    };
    let result = scan::verify_ledger(&mut dir, &note, &key, since.as_deref(), &witnesses, &limits);
    if args.key.is_none() && cx.format == Format::Human {
        let _ = writeln_err(
            cx,
            "note: --key not given: the ledger's own key from ledger.json was used",
        );
    }
    let name = args.dir.display().to_string();
    print_verdict(&result.verdict, None, &name, &clock::now_utc(), cx)
}

fn writeln_err(cx: &mut Context<'_>, text: &str) -> std::io::Result<()> {
    writeln!(cx.stderr, "{text}")
}

fn check(args: &CheckArgs, cx: &mut Context<'_>) -> Exit {
    let limits = Limits::default();
    let key = match read_vkey(&args.key) {
        Ok(k) => k,
        Err(p) => return cx.fail(&p),
    };
    let bytes = match read(&args.proof) {
        Ok(b) => b,
        Err(p) => return cx.fail(&p),
    };
    let verdict: Verdict = verify_proof_file(&bytes, &key, &limits);
    let name = args.proof.display().to_string();
    print_verdict(&verdict, None, &name, &clock::now_utc(), cx)
}

fn list(args: &ListArgs, format: Format) -> Result<String, Problem> {
    let limits = Limits::default();
    let mut dir = open(&args.ledger)?;
    let config = dir.config().map_err(|e| problem(&e))?;
    let (_, cp, _) = dir
        .verified_checkpoint(&config.key)
        .map_err(|e| problem(&e))?;
    let mut text = String::new();
    let mut rows = Vec::new();
    for tile in 0..cp.size.div_ceil(TILE_WIDTH) {
        let entries = read_entries(&mut dir, cp.size, tile, &limits).map_err(|e| problem(&e))?;
        for (i, (_, r)) in entries.into_iter().enumerate() {
            let after = args
                .since
                .as_deref()
                .is_none_or(|s| r.logged_at.as_str() >= s);
            let before = args
                .until
                .as_deref()
                .is_none_or(|u| r.logged_at.as_str() < u);
            if !(after && before) {
                continue;
            }
            let index = tile * TILE_WIDTH + i as u64;
            match format {
                Format::Human => text.push_str(&format!(
                    "{index:>6}  {}  {}  {}  {}  {}\n",
                    r.logged_at, r.format, r.environment, r.subject, r.bundle_id
                )),
                Format::Json => rows.push(
                    json!({"index": index, "record": serde_json::to_value(&r).unwrap_or_default()}),
                ),
            }
        }
    }
    Ok(match format {
        Format::Human => format!(
            "{text}{} of {} entries listed\n",
            text.lines().count(),
            cp.size
        ),
        Format::Json => format!("{}\n", json!({"tree_size": cp.size, "entries": rows})),
    })
}

fn cosign(args: &CosignArgs, format: Format) -> Result<String, Problem> {
    let limits = Limits::default();
    let mut dir = open(&args.dir)?;
    let key = read_vkey(&args.key)?;
    let (note, cp, tag) = dir.verified_checkpoint(&key).map_err(|e| problem(&e))?;
    // tlog-cosignature: cosign only a checkpoint consistent with the last one cosigned.
    if let Ok(old_note) = std::fs::read(&args.state) {
        let old = Checkpoint::verify(&old_note, &key).map_err(|e| problem(&e))?;
        let path = if old.size == 0 || old.size >= cp.size {
            Vec::new()
        } else {
            TiledTree::new(&mut dir, cp.size)
                .consistency_proof(old.size)
                .map_err(|e| problem(&e))?
        };
        clyra_core::ledger::proof::check_consistency(&old, &cp, &path, &limits)
            .map_err(|e| problem(&e))?;
    }
    let witness_key = open_signer(&args.witness_key)?;
    let witness =
        NoteSigner::new(&*witness_key, &args.name, ALG_COSIGNATURE_V1).map_err(|e| problem(&e))?;
    let now = clyra_core::time::Timestamp::parse(&clock::now_utc())
        .map(|t| t.unix_seconds())
        .unwrap_or(0);
    let cosigned = Note::cosign(
        &String::from_utf8_lossy(&note),
        &witness,
        u64::try_from(now).unwrap_or(0),
    )
    .map_err(|e| problem(&e))?;
    LedgerDir::new(".")
        .write(&args.state, &note)
        .map_err(|e| problem(&e))?;
    let _lock = dir.lock().map_err(|e| problem(&e))?;
    // The checkpoint may have moved on since it was read: cosign only the one checked
    // (a directory compares under the lock; object storage swaps on the version read).
    if dir.checkpoint().map_err(|e| problem(&e))? == note {
        dir.replace_checkpoint(cosigned.as_bytes(), &tag)
            .map_err(|e| problem(&e))?;
    } else {
        return Err(Problem::new(
            K::Storage.code(),
            "the checkpoint changed while cosigning; run again",
        ));
    }
    let vkey = witness.verifier().to_text();
    Ok(match format {
        Format::Human => format!(
            "{}: checkpoint of {} entries cosigned by {}\n  witness key  {vkey}\n",
            args.dir.display(),
            cp.size,
            args.name
        ),
        Format::Json => format!(
            "{}\n",
            json!({"tree_size": cp.size, "witness": args.name, "key": vkey})
        ),
    })
}
