//! `clyra approve`: sign an approval of a planned change (spec/approval-v0.md), as the approver.
//!
//! The payload is built by `clyra_core::approval::approval_payload` from the bundle spec's
//! `change`; this command only reads the files and the clock and writes the envelope atomically.

use std::path::PathBuf;

use clap::Args;
use clyra_core::approval::{approval_payload, sign_approval_with, ApprovalRequest};
use clyra_core::build::BundleSpec;
use clyra_core::format::Schemas;
use clyra_core::{Coded, Limits};

use super::bundle::read;
use super::keys::open_signer;
use crate::exit::Exit;
use crate::output::{Format, Problem, CODE_USAGE};
use crate::{atomic, clock, Context};

/// Arguments of `clyra approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The bundle spec of the change to approve (its `change` object is what you sign)
    #[arg(long, value_name = "SPEC.json")]
    pub spec: PathBuf,

    /// Your key as approver: a key file (PKCS#8 PEM, as `clyra keygen` writes it) or a key URI
    /// (file:…, pkcs11:…, cmd:…; spec/signer-command-v0.md)
    #[arg(long, value_name = "KEY")]
    pub key: String,

    /// Your subject at the identity provider (OIDC `sub`), e.g. lee.ortiz@acme.example
    #[arg(long, value_name = "SUB")]
    pub sso_sub: String,

    /// The identity provider's DNS name, lowercase, e.g. acme.okta.com
    #[arg(long, value_name = "DOMAIN")]
    pub idp_domain: String,

    /// Record that your login used multi-factor authentication
    #[arg(long)]
    pub mfa: bool,

    /// The last second at which the change may use this approval (UTC)
    #[arg(long, value_name = "TIME")]
    pub expires: String,

    /// When you approve (UTC); default: now
    #[arg(long, value_name = "TIME")]
    pub approved_at: Option<String>,

    /// The nonce the producer issued for this approval request
    #[arg(long, value_name = "NONCE")]
    pub nonce: String,

    /// Where to write the approval envelope
    #[arg(long, value_name = "APPROVAL.dsse.json")]
    pub out: PathBuf,

    /// Replace --out if it exists
    #[arg(long)]
    pub force: bool,
}

/// Runs `clyra approve`.
pub fn run(args: &ApproveArgs, cx: &mut Context<'_>) -> Exit {
    match approve(args, cx.format) {
        Ok(text) => cx.print(&text, Exit::Ok),
        Err(problem) => cx.fail(&problem),
    }
}

fn approve(args: &ApproveArgs, format: Format) -> Result<String, Problem> {
    let limits = Limits::default();
    let spec = BundleSpec::parse(&read(&args.spec)?, &limits)
        .map_err(|e| Problem::new(e.code(), format!("{}: {e}", args.spec.display())))?;
    let change = spec.change().ok_or_else(|| {
        Problem::new(
            "build.spec_schema",
            format!("{}: the bundle spec has no `change`", args.spec.display()),
        )
    })?;
    let key = open_signer(&args.key)?;
    let schemas = Schemas::new().map_err(|e| Problem::new(CODE_USAGE, e.to_string()))?;
    let approved_at = args.approved_at.clone().unwrap_or_else(clock::now_utc);
    let request = ApprovalRequest {
        sso_sub: &args.sso_sub,
        idp_domain: &args.idp_domain,
        mfa_verified: args.mfa,
        challenge_nonce: &args.nonce,
        approved_at: &approved_at,
        expires_at: &args.expires,
    };
    let payload = approval_payload(change, &request, &schemas)
        .map_err(|e| Problem::new(e.code(), format!("{e} [{}]", e.detail())))?;
    let envelope =
        sign_approval_with(&payload, &*key).map_err(|e| Problem::new(e.code(), e.to_string()))?;
    atomic::write(&args.out, &envelope, 0o644, args.force)?;
    let keyid = key.public_key().keyid().to_owned();
    Ok(match format {
        Format::Human => format!(
            "{}: approval by {} ({keyid}), approved at {approved_at}, expires {}\n",
            args.out.display(),
            args.sso_sub,
            args.expires
        ),
        Format::Json => format!(
            "{}\n",
            serde_json::json!({
                "out": args.out.display().to_string(),
                "keyid": keyid,
                "sso_sub": args.sso_sub,
                "approved_at": approved_at,
                "expires_at": args.expires,
                "challenge_nonce": args.nonce,
            })
        ),
    })
}
