//! Attestations through the FFI (spec: attestation-v0.md §6): verify an attestation and
//! recompute its statuses from the bundles it covers, as `clyra attest verify` does, for hosts
//! without the CLI (Node). The host opens each bundle through the `open` callback, in the order
//! the CLI would, so the first unusable argument is the one the CLI reports.

use std::io::{Read, Seek};
use std::path::Path;

use serde::Deserialize;

use super::bundle::{json_value, schemas};
use super::verifier::{Format, Printed};
use super::{parse_call, Answer, DetailedError};
use crate::attest::{self, AttestVerdict, FactsInputs};
use crate::digest::Sha256Digest;
use crate::error::Coded;
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::trust::Trust;
use crate::verify::read_policy;

/// The call of [`attest_verify`] (the attestation's bytes travel beside it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestVerifyCall {
    /// The trust file's text: the attestation's signer and the bundles' keys.
    pub trust: String,
    /// The trust file as the user named it (the `path` of its errors).
    #[serde(default)]
    pub trust_name: Option<String>,
    /// The policy documents' texts the bundles were produced under (§4.5 chooses per bundle).
    #[serde(default)]
    pub policies: Vec<String>,
    /// The policy files as the user named them, in the same order.
    #[serde(default)]
    pub policy_names: Vec<String>,
    /// The verification time.
    pub at: String,
    /// The bundles it covers, as the host names them for `open` (none: statuses are not
    /// recomputed, §6.1 item 5 is then a warning).
    #[serde(default)]
    pub bundles: Vec<String>,
    /// Print as `clyra attest verify --format …` instead of answering the verdict.
    #[serde(default)]
    pub format: Option<Format>,
    /// The attestation as the user named it (the first word of the human text).
    #[serde(default)]
    pub name: Option<String>,
}

fn located(error: DetailedError, path: Option<&String>) -> DetailedError {
    match path {
        Some(p) => error.with_path(p.clone()),
        None => error,
    }
}

/// The verdict of `clyra attest verify` for the call: trust, policies and time first, then the
/// attestation, then each bundle opened through `open` (its `cli.io` error stops the call).
fn verdict_of<R, F>(
    c: &AttestVerifyCall,
    attestation: &[u8],
    mut open: F,
) -> Result<AttestVerdict, Vec<DetailedError>>
where
    R: Read + Seek,
    F: FnMut(&str) -> Result<(R, u64), DetailedError>,
{
    let limits = Limits::default();
    let trust = Trust::parse(c.trust.as_bytes(), &limits).map_err(|e| {
        vec![located(
            DetailedError::new(e.code(), e.to_string()).with_detail(e.detail()),
            c.trust_name.as_ref(),
        )]
    })?;
    let mut policies: Vec<(Sha256Digest, Vec<u8>)> = Vec::with_capacity(c.policies.len());
    for (i, text) in c.policies.iter().enumerate() {
        let given = read_policy(text.as_bytes(), &limits).map_err(|e| {
            vec![located(
                DetailedError::new(e.code(), e.message()).with_detail(e.detail()),
                c.policy_names.get(i),
            )]
        })?;
        policies.push((given.hash, text.as_bytes().to_vec()));
    }
    let at = Timestamp::parse(&c.at).map_err(|_| {
        vec![DetailedError::new(
            "cli.usage",
            format!(
                "--at `{}` is not a UTC timestamp like 2026-12-01T00:00:00Z",
                c.at
            ),
        )]
    })?;
    let schemas = schemas()?;
    let (mut checks, opened) = attest::open(attestation, &trust, &at, &limits);
    if let Some(opened) = &opened {
        if c.bundles.is_empty() {
            checks.extend(attest::recompute(opened, None));
        } else {
            let verified_at = Timestamp::parse(&opened.verified_at).map_err(|_| {
                vec![DetailedError::new(
                    "cli.usage",
                    "the attestation's verified_at is not a timestamp",
                )]
            })?;
            let inputs = FactsInputs {
                trust: &trust,
                policies: &policies,
                schemas: &schemas,
                limits: &limits,
            };
            let mut facts = Vec::with_capacity(c.bundles.len());
            for shown in &c.bundles {
                let io = |e: std::io::Error| vec![super::io_error(&e, shown)];
                let (mut reader, len) = open(shown).map_err(|e| vec![e])?;
                let sha = attest::reader_sha256(&mut reader).map_err(io)?;
                let name = Path::new(shown)
                    .file_name()
                    .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
                facts.push(
                    attest::bundle_facts(&name, sha, &mut reader, len, &inputs, &verified_at)
                        .map_err(io)?,
                );
            }
            checks.extend(attest::recompute(opened, Some(&facts)));
        }
    }
    Ok(AttestVerdict::of(checks))
}

/// Verifies `attestation` (attestation-v0.md §6.1), recomputing its statuses from the bundles
/// the call names, each opened by the host's `open` (a reader and its length, or the `cli.io`
/// error). Answers the verdict JSON, or with a `format` what `clyra attest verify` prints
/// (`{exit, text}`). Fails (exit 4) for an unusable trust file, policy, time or bundle file.
pub fn attest_verify<R, F>(call: &[u8], attestation: &[u8], open: F) -> Vec<u8>
where
    R: Read + Seek,
    F: FnMut(&str) -> Result<(R, u64), DetailedError>,
{
    let c = match parse_call::<AttestVerifyCall>(call) {
        Ok(c) => c,
        Err(errors) => return Answer::<()>::of(Err(errors)).to_json(),
    };
    let verdict = verdict_of(&c, attestation, open);
    match c.format {
        None => Answer::of(verdict.and_then(|v| json_value(&v.to_json()))).to_json(),
        Some(format) => Answer::of(verdict.map(|v| Printed {
            exit: v.exit,
            text: v.to_output(
                c.name.as_deref().unwrap_or("attestation"),
                format == Format::Json,
            ),
        }))
        .to_json(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use std::io::Cursor;

    use super::*;

    fn never(name: &str) -> Result<(Cursor<Vec<u8>>, u64), DetailedError> {
        Err(DetailedError::new("cli.io", "cannot read").with_path(name))
    }

    #[test]
    fn unusable_arguments_fail_and_any_attestation_bytes_give_a_verdict() {
        let a: serde_json::Value =
            serde_json::from_slice(&attest_verify(br#"{"trust":"{}","at":"x"}"#, b"", never))
                .unwrap();
        assert_eq!(a["errors"][0]["code"], "trust.file");
        let a: serde_json::Value =
            serde_json::from_slice(&attest_verify(br#"{"at":"x"}"#, b"", never)).unwrap();
        assert_eq!(a["errors"][0]["code"], "ffi.call");
    }
}
