//! `clyra doctor`: check a project's Clyra setup — the policy, the signing key, the trust file
//! and the tools the host needs — and say how to fix each problem.
//!
//! The checks of files use the core (policy lint, key and trust parsing); only finding files and
//! programs on `PATH` is the host's own work.

use std::path::{Path, PathBuf};

use clap::Args;
use clyra_core::crypto::{sign_checked, SigningKey};
use clyra_core::policy::lint::{self, Severity};
use clyra_core::trust::{Role, Trust};
use clyra_core::{Coded, Limits};
use serde::Serialize;

use super::keygen::{PRIVATE_KEY_FILE, PUBLIC_KEY_FILE};
use crate::exit::Exit;
use crate::output::{shown, Format};
use crate::Context;

/// Arguments of `clyra doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The project folder (holds `.clyra/`; a dbt project has `dbt_project.yml`)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// The policy file (default DIR/.clyra/policy.yaml)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// The producer's signing key URI: a key file (default DIR/.clyra/keys/clyra.key),
    /// `pkcs11:token=…;object=…` or `cmd:PROGRAM ARG…` (opened and asked for one test signature)
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,

    /// The trust file (default DIR/.clyra/trust.json)
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,

    /// Check only this ticket configuration (spec/ticket-config-v0.md): the file, its secrets
    /// and the connection; exit 0 when all is fine, 4 with the `ticket.*` code otherwise
    #[arg(long, value_name = "FILE")]
    pub ticket_config: Option<PathBuf>,
    /// Judge key windows at this time instead of now (YYYY-MM-DDTHH:MM:SSZ)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not relevant here.
    Skipped,
    /// Fine.
    Ok,
    /// Works, but should be fixed.
    Warning,
    /// Broken.
    Error,
}

/// One check of `clyra doctor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was checked: `policy`, `key`, `trust`, `rotation`, `python3`, `dbt`.
    pub check: &'static str,
    /// The outcome.
    pub status: Status,
    /// What was found.
    pub message: String,
    /// How to fix it (empty when fine).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

pub(crate) fn finding(
    check: &'static str,
    status: Status,
    message: String,
    fix: String,
) -> Finding {
    Finding {
        check,
        status,
        message,
        fix,
    }
}

/// Runs `clyra doctor`: exit 0 all fine, 1 an error, 2 warnings only.
pub fn run(args: &DoctorArgs, cx: &mut Context<'_>) -> Exit {
    if let Some(path) = &args.ticket_config {
        return match super::ticket::doctor(path) {
            Ok(lines) => {
                let text = match cx.format {
                    crate::output::Format::Json => {
                        format!(
                            "{}\n",
                            serde_json::json!({"ticket_config": "ok", "checks": lines})
                        )
                    }
                    crate::output::Format::Human => format!("{}\n", lines.join("\n")),
                };
                cx.print(&text, Exit::Ok)
            }
            Err(problem) => cx.fail(&problem),
        };
    }
    let clyra_dir = args.dir.join(".clyra");
    let policy = args
        .policy
        .clone()
        .unwrap_or_else(|| clyra_dir.join("policy.yaml"));
    let key = args.key.clone().unwrap_or_else(|| {
        clyra_dir
            .join("keys")
            .join(PRIVATE_KEY_FILE)
            .display()
            .to_string()
    });
    let trust = args
        .trust
        .clone()
        .unwrap_or_else(|| clyra_dir.join("trust.json"));
    let mut findings = vec![check_policy(&policy)];
    let (key_finding, keyid) = match clyra_signer::KeyUri::parse(&key) {
        Ok(clyra_signer::KeyUri::File(path)) => check_key(&path),
        _ => check_signer(&key),
    };
    findings.push(key_finding);
    findings.push(check_trust(&trust, keyid.as_deref()));
    let dbt_project = args.dir.join("dbt_project.yml").is_file();
    for (tool, fix) in [
        (
            "python3",
            "install Python 3.10 or later (e.g. `apt-get install python3`)",
        ),
        (
            "dbt",
            "install dbt: `pip install 'dbt-core>=1.11,<1.12' dbt-duckdb` (or your adapter)",
        ),
    ] {
        findings.push(if !dbt_project {
            finding(
                tool,
                Status::Skipped,
                "no dbt_project.yml here: not needed".into(),
                String::new(),
            )
        } else if on_path(tool) {
            finding(
                tool,
                Status::Ok,
                format!("`{tool}` found on PATH"),
                String::new(),
            )
        } else {
            finding(
                tool,
                Status::Error,
                format!("`{tool}` is not on PATH; the dbt integration needs it"),
                fix.into(),
            )
        });
    }
    // Last, so the earlier findings keep their places.
    findings.push(super::keys::check_rotation(
        &trust,
        keyid.as_deref(),
        args.at.as_deref(),
    ));
    let worst = findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Ok);
    let exit = match worst {
        Status::Error => Exit::Invalid,
        Status::Warning => Exit::Warning,
        _ => Exit::Ok,
    };
    let text = match cx.format {
        Format::Json => format!(
            "{}\n",
            serde_json::json!({"findings": findings, "exit": exit.code()})
        ),
        Format::Human => {
            let mut out = String::new();
            for f in &findings {
                let label = match f.status {
                    Status::Ok => "ok",
                    Status::Skipped => "skipped",
                    Status::Warning => "warning",
                    Status::Error => "ERROR",
                };
                // Messages quote paths and policy text (verdicts.md §3.3).
                let message = shown(&f.message);
                out.push_str(&format!("{label:<8} {:<8} {message}\n", f.check));
                if !f.fix.is_empty() {
                    out.push_str(&format!("         fix: {}\n", shown(&f.fix)));
                }
            }
            out
        }
    };
    cx.print(&text, exit)
}

fn check_policy(path: &Path) -> Finding {
    let shown = path.display().to_string();
    let Ok(bytes) = std::fs::read(path) else {
        return finding(
            "policy",
            Status::Error,
            format!("`{shown}` cannot be read"),
            format!("clyra policy init --env prod --out {shown}"),
        );
    };
    let report = lint::lint(&bytes, &shown, &Limits::default());
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let hash = report.policy_hash.clone().unwrap_or_default();
    match (count(Severity::Error), count(Severity::Warning)) {
        (0, 0) => finding(
            "policy",
            Status::Ok,
            format!("`{shown}` loads and lints clean ({hash})"),
            String::new(),
        ),
        (0, w) => finding(
            "policy",
            Status::Warning,
            format!("`{shown}` loads with {w} lint warnings"),
            format!("clyra policy lint {shown}   # each warning shows its fix"),
        ),
        (e, _) => finding(
            "policy",
            Status::Error,
            format!(
                "`{shown}` does not load: {}",
                report
                    .findings
                    .first()
                    .map(|f| format!("{} {}", f.location.clone().unwrap_or_default(), f.message))
                    .unwrap_or_default()
            ),
            format!("clyra policy lint {shown}   # {e} errors, each with line, column and fix"),
        ),
    }
}

fn check_key(path: &Path) -> (Finding, Option<String>) {
    let shown = path.display().to_string();
    let dir = path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| ".".into());
    let Ok(pem) = std::fs::read_to_string(path) else {
        return (
            finding(
                "key",
                Status::Error,
                format!("`{shown}` cannot be read"),
                format!("clyra keygen --out {dir}"),
            ),
            None,
        );
    };
    let key = match SigningKey::from_pkcs8_pem(&pem) {
        Ok(k) => k,
        Err(e) => {
            return (
                finding(
                    "key",
                    Status::Error,
                    format!("`{shown}` is not a private key: {e}"),
                    format!("clyra keygen --out {dir} --force"),
                ),
                None,
            )
        }
    };
    let keyid = key.public_key().keyid().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                return (
                    finding(
                        "key",
                        Status::Warning,
                        format!("`{shown}` ({keyid}) is readable by others"),
                        format!("chmod 600 {shown}"),
                    ),
                    Some(keyid),
                );
            }
        }
    }
    // The folder too: whoever can write it can replace clyra.pub, the key given to verifiers.
    if let Some(mode) = std::fs::metadata(&dir)
        .ok()
        .and_then(|m| super::keygen::writable_by_others(&m))
    {
        return (
            finding(
                "key",
                Status::Warning,
                format!(
                    "`{dir}` (mode {mode:04o}) can be written by group or others: another user \
                     could replace {PUBLIC_KEY_FILE}"
                ),
                format!("chmod go-w {dir}"),
            ),
            Some(keyid),
        );
    }
    (
        finding(
            "key",
            Status::Ok,
            format!("`{shown}` holds {keyid}"),
            String::new(),
        ),
        Some(keyid),
    )
}

/// A `pkcs11:` or `cmd:` key: opened, and one test signature checked against its public key.
fn check_signer(uri: &str) -> (Finding, Option<String>) {
    let signer = match clyra_signer::open(uri) {
        Ok(s) => s,
        Err(e) => {
            return (
                finding(
                    "key",
                    Status::Error,
                    format!("the signer cannot be opened ({}): {e}", e.code()),
                    "check the key URI, the token or the command (docs/signers/)".into(),
                ),
                None,
            )
        }
    };
    let keyid = signer.public_key().keyid().to_owned();
    match sign_checked(&*signer, b"clyra doctor: test signature") {
        Ok(_) => (
            finding(
                "key",
                Status::Ok,
                format!(
                    "the signer holds {keyid} ({}) and signs",
                    signer.scheme().as_str()
                ),
                String::new(),
            ),
            Some(keyid),
        ),
        Err(e) => (
            finding(
                "key",
                Status::Error,
                format!("the signer of {keyid} did not sign ({}): {e}", e.code()),
                "check the token's PIN, the key's usage or the command (docs/signers/)".into(),
            ),
            Some(keyid),
        ),
    }
}

fn check_trust(path: &Path, keyid: Option<&str>) -> Finding {
    let shown = path.display().to_string();
    let public = path
        .parent()
        .map(|d| d.join("keys").join(PUBLIC_KEY_FILE).display().to_string())
        .unwrap_or_else(|| PUBLIC_KEY_FILE.into());
    let Ok(bytes) = std::fs::read(path) else {
        return finding(
            "trust",
            Status::Error,
            format!("`{shown}` cannot be read"),
            format!("write a trust file (spec/trust-v0.md) listing your producer key, or verify with `--trust {public}`"),
        );
    };
    let trust = match Trust::parse(&bytes, &Limits::default()) {
        Ok(t) => t,
        Err(e) => {
            return finding(
                "trust",
                Status::Error,
                format!("`{shown}` is unusable: {e}"),
                "fix the trust file as spec/trust-v0.md describes".into(),
            )
        }
    };
    match keyid {
        Some(id) if !trust.key(id).is_some_and(|k| k.has_role(Role::Producer)) => finding(
            "trust",
            Status::Warning,
            format!("`{shown}` does not trust the producer key {id}: its bundles verify as VALID_UNTRUSTED"),
            format!("add {id} to `{shown}` with roles [\"producer\"]"),
        ),
        _ => finding("trust", Status::Ok, format!("`{shown}` holds {} keys", trust.keys().len()), String::new()),
    }
}

/// Whether `program` is an executable file in a `PATH` folder.
fn on_path(program: &str) -> bool {
    let Some(paths) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&paths).any(|dir| {
        let candidate = dir.join(program);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(&candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        }
        #[cfg(not(unix))]
        {
            candidate.is_file()
        }
    })
}
