//! `clyra badge issue|verify`: signed compliance badges (spec: badge-v0.md).
//!
//! `issue` verifies each bundle (and reads a ledger) at `--at`, evaluates the framework's
//! criteria in the core, signs the claims as a compact JWS and writes `badge.jws`, `badge.svg`
//! and `badge.json` (shields.io endpoint) into `--out`. `verify` judges a badge against a trust
//! file. The clock is read here, never in the core.

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use clyra_core::badge::criteria::{LedgerRef, PolicyFacts, TicketRef};
use clyra_core::badge::{self, render, BundleItem, Claims, EvidenceSet, Framework, Item};
use clyra_core::format::Schemas;
use clyra_core::ledger::scan::read_entries;
use clyra_core::ledger::tiles::TILE_WIDTH;
use clyra_core::policy::Policy;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verdict::Outcome;
use clyra_core::verify::{verify_bundle_with_evidence, VerifyInputs};
use clyra_core::{Coded, Limits};
use serde_json::json;

use super::bundle::read;
use super::keys::open_signer;
use crate::exit::Exit;
use crate::ledger_store::{self, WriteOptions};
use crate::output::{write_problem, Format, Problem, CODE_USAGE};
use crate::{atomic, Context};

/// Arguments of `clyra badge`.
#[derive(Debug, Args)]
pub struct BadgeArgs {
    #[command(subcommand)]
    command: BadgeCommand,
}

#[derive(Debug, Subcommand)]
enum BadgeCommand {
    /// Evaluate a framework's criteria over bundles or a ledger and sign a badge
    Issue(IssueArgs),
    /// Verify a badge against the keys you trust
    Verify(VerifyBadgeArgs),
}

/// Arguments of `clyra badge issue`.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The evidence bundles (each verified against --trust at --at)
    #[arg(value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    /// A ledger directory: its records join the evidence (bundles given are matched by SHA-256)
    #[arg(long, value_name = "DIR")]
    pub ledger: Option<PathBuf>,
    /// sox, pci or hipaa
    #[arg(long, value_name = "FRAMEWORK")]
    pub framework: String,
    /// The issuer's Ed25519 signing key URI: a PKCS#8 file or path (as `clyra keygen` writes),
    /// `pkcs11:token=…;object=…`, or `cmd:PROGRAM ARG…`
    #[arg(long, value_name = "KEY")]
    pub key: String,
    /// The project the badge is for (the `sub` claim)
    #[arg(long, value_name = "NAME")]
    pub project: String,
    /// The issuer (the `iss` claim); default: the key's keyid
    #[arg(long, value_name = "NAME")]
    pub issuer: Option<String>,
    /// Trust file the bundles are verified against (required with bundles)
    #[arg(long, value_name = "TRUST")]
    pub trust: Option<PathBuf>,
    /// The policy: bundles are verified against it; data_tagged and phi_marked read its tables
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<PathBuf>,
    /// Ticket records written by `clyra export --servicenow|--jira` (JSON array); repeatable
    #[arg(long, value_name = "FILE")]
    pub tickets: Vec<PathBuf>,
    /// The directory to write badge.jws, badge.svg and badge.json into
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Issue time, e.g. 2026-12-01T00:00:00Z (UTC); default: now
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Replace existing files in --out
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `clyra badge verify`.
#[derive(Debug, Args)]
pub struct VerifyBadgeArgs {
    /// The badge (badge.jws)
    #[arg(value_name = "BADGE")]
    pub badge: PathBuf,
    /// Trust file: the keys you trust (trust-v0 JSON, or one public key PEM)
    #[arg(long, value_name = "TRUST")]
    pub trust: PathBuf,
    /// Verification time, e.g. 2026-12-01T00:00:00Z (UTC); default: now
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// Runs `clyra badge …`.
pub fn run(args: &BadgeArgs, cx: &mut Context<'_>) -> Exit {
    match &args.command {
        BadgeCommand::Issue(a) => match issue(a, cx.format) {
            Ok(text) => cx.print(&text, Exit::Ok),
            Err(p) => cx.fail(&p),
        },
        BadgeCommand::Verify(a) => verify(a, cx),
    }
}

fn coded(e: &(impl Coded + std::fmt::Display), what: &str) -> Problem {
    Problem::new(e.code(), format!("{what}: {e}"))
}

fn at_of(at: Option<&String>) -> Result<Timestamp, Problem> {
    super::verify::at_or_now(at.map(String::as_str)).map(|(_, at)| at)
}

fn read_trust(path: &Path, limits: &Limits) -> Result<Trust, Problem> {
    super::verify::trust_file(&path.display().to_string(), limits).map(|(trust, _)| trust)
}

fn issue(args: &IssueArgs, format: Format) -> Result<String, Problem> {
    let limits = Limits::default();
    let framework = Framework::parse(&args.framework).map_err(|e| coded(&e, "--framework"))?;
    let at = at_of(args.at.as_ref())?;
    let key = open_signer(&args.key)?;
    let names = ["badge.jws", "badge.svg", "badge.json"];
    for name in names {
        let path = args.out.join(name);
        atomic::check_target(&path, args.force).map_err(|e| write_problem(&path, &e))?;
    }
    if args.bundles.is_empty() && args.ledger.is_none() {
        return Err(Problem::new(
            "badge.input",
            "give bundles, --ledger DIR, or both",
        ));
    }
    let policy_bytes = args.policy.as_deref().map(read).transpose()?;
    let policy = match (&policy_bytes, &args.policy) {
        (Some(bytes), Some(path)) => {
            let p = Policy::load(bytes, &path.display().to_string(), &limits)
                .map_err(|e| coded(&e, &path.display().to_string()))?;
            Some(PolicyFacts {
                hash: p.hash().to_prefixed(),
                tables: p.doc().tables(),
                frameworks: p
                    .doc()
                    .compliance
                    .as_ref()
                    .map(|c| c.frameworks.clone())
                    .unwrap_or_default(),
            })
        }
        _ => None,
    };
    let mut set = EvidenceSet {
        policy,
        ..EvidenceSet::default()
    };
    if !args.bundles.is_empty() {
        let trust_path = args.trust.as_deref().ok_or_else(|| {
            Problem::new(
                CODE_USAGE,
                "--trust is required to verify the bundles given",
            )
        })?;
        let trust = read_trust(trust_path, &limits)?;
        let schemas = Schemas::new().map_err(|e| Problem::new(CODE_USAGE, e.to_string()))?;
        let inputs = VerifyInputs {
            trust: &trust,
            at: &at,
            policy: policy_bytes.as_deref(),
            schemas: &schemas,
            limits: &limits,
            witnessed: None,
        };
        for path in &args.bundles {
            let shown = path.display().to_string();
            let input = crate::input::open(&shown, limits.bundle_max_bytes)
                .map_err(|e| super::bundle::io_problem(path, &e, "read"))?;
            let sha = crate::hasher::file_sha256(&input.file)
                .map_err(|e| super::bundle::io_problem(path, &e, "read"))?;
            let (verdict, evidence) =
                verify_bundle_with_evidence(BufReader::new(&input.file), input.len, &inputs);
            let bundle_id = evidence
                .manifest
                .as_ref()
                .and_then(|m| m.get("bundle_id"))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            set.items.push(Item::Bundle(BundleItem {
                bundle_id,
                sha256: sha.to_hex(),
                valid: verdict.outcome == Outcome::Valid,
                manifest: evidence.manifest,
            }));
        }
    }
    if let Some(dir) = &args.ledger {
        add_ledger(dir, &mut set, &limits)?;
    }
    if !args.tickets.is_empty() {
        let mut tickets = Vec::new();
        for path in &args.tickets {
            let bytes = read(path)?;
            let lines: Vec<TicketRef> = serde_json::from_slice(&bytes).map_err(|e| {
                Problem::new(
                    "badge.input",
                    format!(
                        "{}: not a ticket record (badge-v0.md §3.4): {e}",
                        path.display()
                    ),
                )
            })?;
            tickets.extend(lines);
        }
        set.tickets = Some(tickets);
    }
    let criteria = badge::evaluate(framework, &set).map_err(|e| coded(&e, "badge"))?;
    let issuer = args
        .issuer
        .clone()
        .unwrap_or_else(|| key.public_key().keyid().to_owned());
    let claims = Claims::new(&issuer, &args.project, &at, framework, criteria, &set)
        .map_err(|e| coded(&e, "badge"))?;
    let jws = badge::issue(&claims, &*key).map_err(|e| coded(&e, "--key"))?;
    fs::create_dir_all(&args.out).map_err(|e| write_problem(&args.out, &e))?;
    let files = [
        format!("{jws}\n"),
        render::svg(&claims),
        render::endpoint_json(&claims),
    ];
    for (name, bytes) in names.iter().zip(files) {
        let path = args.out.join(name);
        atomic::write(&path, bytes.as_bytes(), 0o644, args.force)
            .map_err(|e| write_problem(&path, &e))?;
    }
    Ok(match format {
        Format::Human => {
            let mut text = format!(
                "{}: {} badge of `{}`: {}\n  id       {}\n  expires  {}\n",
                args.out.join("badge.jws").display(),
                framework.as_str(),
                claims.sub,
                claims.status,
                claims.jti,
                crate::clock::format_utc(claims.exp),
            );
            for c in &claims.criteria {
                let result = serde_json::to_value(c.result).unwrap_or_default();
                text.push_str(&format!(
                    "  {:<24} {:<13} {}\n",
                    c.id,
                    result.as_str().unwrap_or_default(),
                    c.reason
                ));
            }
            text
        }
        Format::Json => format!(
            "{}\n",
            json!({"out": args.out.display().to_string(), "claims": claims})
        ),
    })
}

/// Adds the ledger's records (those whose bundle was not given) and its checkpoint to `set`.
fn add_ledger(dir: &Path, set: &mut EvidenceSet, limits: &Limits) -> Result<(), Problem> {
    let problem = |e: clyra_core::ledger::LedgerError| coded(&e, &dir.display().to_string());
    let mut ledger = ledger_store::open(dir, &WriteOptions::default()).map_err(problem)?;
    let config = ledger.config().map_err(problem)?;
    let (_, cp, _) = ledger.verified_checkpoint(&config.key).map_err(problem)?;
    for tile in 0..cp.size.div_ceil(TILE_WIDTH) {
        for (_, record) in read_entries(&mut ledger, cp.size, tile, limits).map_err(problem)? {
            let given = set
                .items
                .iter()
                .any(|item| matches!(item, Item::Bundle(b) if b.sha256 == record.bundle_sha256));
            if !given {
                set.items.push(Item::Record(record));
            }
        }
    }
    set.ledger = Some(LedgerRef {
        origin: cp.origin.clone(),
        size: cp.size,
        root: clyra_core::digest::to_hex(&cp.root),
    });
    Ok(())
}

fn verify(args: &VerifyBadgeArgs, cx: &mut Context<'_>) -> Exit {
    let limits = Limits::default();
    let prepared = (|| {
        let at = at_of(args.at.as_ref())?;
        let trust = read_trust(&args.trust, &limits)?;
        let bytes =
            crate::input::read_bounded(&args.badge.display().to_string(), badge::MAX_BADGE_BYTES)
                .map_err(|e| super::bundle::io_problem(&args.badge, &e, "read"))?;
        Ok::<_, Problem>((at, trust, bytes))
    })();
    let (at, trust, bytes) = match prepared {
        Ok(p) => p,
        Err(p) => return cx.fail(&p),
    };
    let verdict = badge::verify(&bytes, &trust, &at);
    let exit = match verdict.exit {
        0 => Exit::Ok,
        1 => Exit::Invalid,
        2 => Exit::Warning,
        _ => Exit::Indeterminate,
    };
    let text = match cx.format {
        Format::Json => format!("{}\n", String::from_utf8_lossy(&verdict.to_json())),
        Format::Human => {
            let mut text = format!(
                "{}: {} ({})\n  {}\n",
                args.badge.display(),
                verdict.outcome,
                verdict.primary,
                verdict.message
            );
            if let Some(c) = &verdict.claims {
                text.push_str(&format!(
                    "  project  {}\n  issuer   {}\n  status   {} ({})\n  issued   {}\n  expires  {}\n",
                    c.sub,
                    c.iss,
                    c.status,
                    c.framework.as_str(),
                    crate::clock::format_utc(c.iat),
                    crate::clock::format_utc(c.exp)
                ));
            }
            text
        }
    };
    cx.print(&text, exit)
}
