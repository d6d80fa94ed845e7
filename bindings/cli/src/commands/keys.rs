//! `clyra keys rotate`: add a new key to a trust file with a validity window and close the old
//! key's window after an overlap — never deleting it, so bundles it signed keep verifying.
//! Also the one place the CLI opens a signer from a key URI (spec/signer-command-v0.md §2).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use clyra_core::crypto::{PublicKey, Signer};
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::{Coded, Limits};
use serde_json::{json, Value};

use super::bundle::{io_problem, read};
use crate::exit::Exit;
use crate::output::{Format, Problem, CODE_USAGE};
use crate::{atomic, clock, Context};

/// One day in seconds.
pub(crate) const DAY: i64 = 86_400;
/// The default key cycle: a new key's window is 180 days (the rotation policy doctor checks).
pub(crate) const DEFAULT_CYCLE_DAYS: u32 = 180;
/// Doctor warns this many days before a key's window ends (day 150 of the 180-day cycle).
pub(crate) const WARN_DAYS: i64 = 30;

/// Opens the signer a key URI names (`file:`, a path, `pkcs11:`, `cmd:`); errors carry the
/// `signer.*` code and never a secret.
pub(crate) fn open_signer(uri: &str) -> Result<Box<dyn Signer>, Problem> {
    clyra_signer::open(uri).map_err(|e| Problem::new(e.code(), e.to_string()))
}

/// Arguments of `clyra keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Add a new key to a trust file and end the old key's window after an overlap (never deletes it)
    #[command(long_about = ROTATE_LONG_ABOUT, after_help = ROTATE_EXAMPLES)]
    Rotate(RotateArgs),
}

const ROTATE_LONG_ABOUT: &str = "\
Add a new key to a trust file and end the old key's window after an overlap.

The new key (a public key PEM file, or any signing key URI: a key file, pkcs11:, cmd:) is added \
with the roles given, not_before = --at and not_after = --at + --cycle days. Every other key \
holding one of those roles whose window is open at --at gets not_after = --at + --overlap days \
(or keeps an earlier not_after). No key is ever removed: bundles the old key signed inside its \
window stay VALID. The trust file is rewritten atomically in place. `clyra doctor` warns 30 days \
before a key's window ends and reports an error once it has ended.";

const ROTATE_EXAMPLES: &str = "\
Examples:
  $ clyra keygen --out .clyra/keys-2027
  $ clyra keys rotate --trust .clyra/trust.json --key .clyra/keys-2027/clyra.pub
  $ clyra keys rotate --trust release-trust.json \\
      --key 'pkcs11:token=release;object=r2?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/run/pin' \\
      --overlap 14 --at 2027-06-01T00:00:00Z";

/// Arguments of `clyra keys rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The trust file to update (spec/trust-v0.md), rewritten atomically
    #[arg(long, value_name = "TRUST.json")]
    pub trust: PathBuf,

    /// The new key: a public key PEM file, or a signing key URI (file:, a path, pkcs11:, cmd:)
    #[arg(long, value_name = "KEY")]
    pub key: String,

    /// Days the old keys may still sign after --at
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub overlap: u32,

    /// The new key's window in days (its not_after is --at plus this)
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_CYCLE_DAYS)]
    pub cycle: u32,

    /// The rotation time: the new key's not_before (YYYY-MM-DDTHH:MM:SSZ); default: now, UTC
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// The new key's roles: producer, approver or both (repeat)
    #[arg(long, value_name = "ROLE", default_values_t = ["producer".to_owned()])]
    pub role: Vec<String>,
}

/// Runs `clyra keys …`.
pub fn run(args: &KeysArgs, cx: &mut Context<'_>) -> Exit {
    match &args.command {
        KeysCommand::Rotate(rotate) => match run_rotate(rotate, cx.format) {
            Ok(report) => cx.print(&report, Exit::Ok),
            Err(problem) => cx.fail(&problem),
        },
    }
}

/// `time` plus `days` days, as a timestamp.
pub(crate) fn plus_days(time: &Timestamp, days: i64) -> Result<Timestamp, Problem> {
    time.unix_seconds()
        .checked_add(days.saturating_mul(DAY))
        .and_then(Timestamp::from_unix_seconds)
        .ok_or_else(|| {
            Problem::new(
                CODE_USAGE,
                format!("{days} days after `{}` is out of range", time.as_str()),
            )
        })
}

/// The public key of `--key`: a PEM public key file as is, else the signer the URI opens.
fn new_public_key(key: &str, limits: &Limits) -> Result<PublicKey, Problem> {
    let path = std::path::Path::new(key);
    if path.is_file() {
        let bytes = read(path)?;
        if bytes.starts_with(b"-----BEGIN PUBLIC KEY-----") {
            return PublicKey::from_pem(&bytes, limits)
                .map_err(|e| Problem::new(e.code(), format!("{key}: {e}")));
        }
    }
    Ok(open_signer(key)?.public_key().clone())
}

fn run_rotate(args: &RotateArgs, format: Format) -> Result<String, Problem> {
    let limits = Limits::default();
    for role in &args.role {
        if role != "producer" && role != "approver" {
            return Err(Problem::new(
                CODE_USAGE,
                format!("--role `{role}` is not producer or approver"),
            ));
        }
    }
    let at_text = args.at.clone().unwrap_or_else(clock::now_utc);
    let at = Timestamp::parse(&at_text)
        .map_err(|e| Problem::new(CODE_USAGE, format!("--at `{at_text}`: {e}")))?;
    let bytes = read(&args.trust)?;
    // The file must be a usable trust file before and after.
    Trust::parse(&bytes, &limits)
        .map_err(|e| Problem::new(e.code(), format!("{}: {e}", args.trust.display())))?;
    let mut doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Problem::new(CODE_USAGE, format!("{}: {e}", args.trust.display())))?;
    let public = new_public_key(&args.key, &limits)?;
    let scheme = public.implied_scheme().ok_or_else(|| {
        Problem::new(
            CODE_USAGE,
            "an RSA key's scheme cannot be implied: add it to the trust file by hand",
        )
    })?;
    let retire_at = plus_days(&at, i64::from(args.overlap))?;
    let new_until = plus_days(&at, i64::from(args.cycle))?;
    let keys = doc
        .get_mut("keys")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| Problem::new(CODE_USAGE, "the trust file has no `keys` array"))?;
    if keys
        .iter()
        .any(|k| k.get("keyid").and_then(Value::as_str) == Some(public.keyid()))
    {
        return Err(Problem::new(
            CODE_USAGE,
            format!("{} is already in {}", public.keyid(), args.trust.display()),
        ));
    }
    let mut retired = Vec::new();
    for key in keys.iter_mut() {
        let shares_role = key
            .get("roles")
            .and_then(Value::as_array)
            .is_some_and(|roles| {
                roles
                    .iter()
                    .any(|r| r.as_str().is_some_and(|r| args.role.iter().any(|w| w == r)))
            });
        let field = |name: &str| {
            key.get(name)
                .and_then(Value::as_str)
                .and_then(|t| Timestamp::parse(t).ok())
        };
        let open_at = field("not_before").is_none_or(|nb| nb <= at)
            && field("not_after").is_none_or(|na| at <= na)
            && field("revoked_at").is_none_or(|r| at < r);
        if !shares_role || !open_at {
            continue;
        }
        let until = match field("not_after") {
            Some(na) if na < retire_at => na,
            _ => retire_at.clone(),
        };
        if let Some(obj) = key.as_object_mut() {
            obj.insert("not_after".into(), Value::from(until.as_str()));
            retired.push((
                obj.get("keyid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                until,
            ));
        }
    }
    keys.push(json!({
        "keyid": public.keyid(),
        "scheme": scheme.as_str(),
        "public_key_pem": public.to_pem(),
        "roles": args.role,
        "not_before": at.as_str(),
        "not_after": new_until.as_str(),
    }));
    let mut out =
        serde_json::to_vec_pretty(&doc).map_err(|e| Problem::new(CODE_USAGE, e.to_string()))?;
    out.push(b'\n');
    Trust::parse(&out, &limits).map_err(|e| {
        Problem::new(
            e.code(),
            format!("the rotated trust file would be unusable: {e}"),
        )
    })?;
    atomic::replace(&args.trust, &out).map_err(|e| io_problem(&args.trust, &e, "write"))?;
    Ok(match format {
        Format::Human => {
            let mut text = format!(
                "{}: added {} ({}) valid {} to {}\n",
                args.trust.display(),
                public.keyid(),
                args.role.join(", "),
                at.as_str(),
                new_until.as_str()
            );
            for (keyid, until) in &retired {
                text.push_str(&format!(
                    "  {keyid} signs until {} (kept: its bundles stay valid)\n",
                    until.as_str()
                ));
            }
            text
        }
        Format::Json => format!(
            "{}\n",
            json!({
                "trust": args.trust.display().to_string(),
                "added": {"keyid": public.keyid(), "not_before": at.as_str(), "not_after": new_until.as_str(), "roles": args.role},
                "retired": retired.iter().map(|(k, u)| json!({"keyid": k, "not_after": u.as_str()})).collect::<Vec<_>>(),
            })
        ),
    })
}

/// `clyra doctor`'s rotation check of the signing key `keyid` in the trust file at `trust`, at
/// `at` (default now): an error once its window has ended (or it is revoked), a warning in the
/// last 30 days. A key without `not_after` gets the default policy: a 180-day cycle from its
/// `not_before`, warned from day 150. A key without either bound has no cycle to check.
pub(crate) fn check_rotation(
    trust: &std::path::Path,
    keyid: Option<&str>,
    at: Option<&str>,
) -> super::doctor::Finding {
    use super::doctor::{finding, Status};
    let skipped = |message: String| finding("rotation", Status::Skipped, message, String::new());
    let at_text = at.map_or_else(clock::now_utc, str::to_owned);
    let Ok(at) = Timestamp::parse(&at_text) else {
        return finding(
            "rotation",
            Status::Error,
            format!("--at `{at_text}` is not a valid time"),
            "give --at as YYYY-MM-DDTHH:MM:SSZ".into(),
        );
    };
    let Some(keyid) = keyid else {
        return skipped("no signing key to check".into());
    };
    let Some(entry) = std::fs::read(trust)
        .ok()
        .and_then(|bytes| Trust::parse(&bytes, &Limits::default()).ok())
        .and_then(|t| t.key(keyid).cloned())
    else {
        return skipped(format!("{keyid} is not in a usable trust file"));
    };
    let fix = format!(
        "clyra keygen --out NEW_DIR && clyra keys rotate --trust {} --key NEW_DIR/clyra.pub",
        trust.display()
    );
    if let Some(revoked) = entry.revoked_at().filter(|r| **r <= at) {
        return finding(
            "rotation",
            Status::Error,
            format!(
                "{keyid} was revoked at {}: bundles it signs are INVALID",
                revoked.as_str()
            ),
            fix,
        );
    }
    let (end, why) = match (entry.not_after(), entry.not_before()) {
        (Some(end), _) => (end.clone(), "its window ends"),
        (None, Some(start)) => match plus_days(start, i64::from(DEFAULT_CYCLE_DAYS)) {
            Ok(end) => (end, "the default 180-day cycle from its not_before ends"),
            Err(_) => return skipped(format!("{keyid} has no window end to check")),
        },
        (None, None) => {
            return finding(
                "rotation",
                Status::Ok,
                format!("{keyid} has no validity window: nothing to rotate by date"),
                String::new(),
            )
        }
    };
    let days_left = (end.unix_seconds() - at.unix_seconds()).div_euclid(DAY);
    if at > end {
        finding(
            "rotation",
            Status::Error,
            format!(
                "{keyid}: {why} at {}; bundles it signs now are INVALID",
                end.as_str()
            ),
            fix,
        )
    } else if end.unix_seconds() - at.unix_seconds() <= WARN_DAYS * DAY {
        finding(
            "rotation",
            Status::Warning,
            format!(
                "{keyid}: {why} at {} ({days_left} days left): rotate now",
                end.as_str()
            ),
            fix,
        )
    } else {
        finding(
            "rotation",
            Status::Ok,
            format!("{keyid}: {why} at {} ({days_left} days left)", end.as_str()),
            String::new(),
        )
    }
}
