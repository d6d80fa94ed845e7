//! One bundle file turned into [`BundleFacts`] for `attest` and `attest verify` (attestation-v0.md
//! §4.5, §6.1 items 4–5), over any reader a host gives: the CLI's open file, Node's. Pure: the
//! host opens the file and, when it has a faster hasher, its digest.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use crate::bundle::Container;
use crate::digest::Sha256Digest;
use crate::format::Schemas;
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::trust::Trust;
use crate::verify::{verify_bundle_with_evidence, VerifyInputs};

use super::{AttestVerdict, BundleFacts};

/// The inputs every bundle of one attestation is verified with.
pub struct FactsInputs<'a> {
    /// The trust file.
    pub trust: &'a Trust,
    /// Each policy file given: its hash and bytes, in the order given.
    pub policies: &'a [(Sha256Digest, Vec<u8>)],
    /// The bundle schemas.
    pub schemas: &'a Schemas,
    /// The limits.
    pub limits: &'a Limits,
}

/// The SHA-256 of everything `reader` yields from its start (the subject digest of §5).
pub fn reader_sha256<R: Read + Seek>(mut reader: R) -> io::Result<Sha256Digest> {
    reader.seek(SeekFrom::Start(0))?;
    Sha256Digest::of_reader(reader)
}

/// The policy to verify a bundle with (attestation-v0.md §4.5): the one whose hash the manifest
/// records, else the first given, else none.
pub fn choose_policy<'p, R: Read + Seek>(
    bundle: R,
    len: u64,
    policies: &'p [(Sha256Digest, Vec<u8>)],
    limits: &Limits,
) -> Option<&'p [u8]> {
    let recorded = Container::open(bundle, len, limits)
        .ok()
        .and_then(|mut c| {
            let index = c.entries().iter().position(|e| e.name == "manifest.json")?;
            c.read_small_entry(index, limits.bundle_max_manifest_bytes)
                .ok()
        })
        .and_then(|bytes| crate::jcs::parse(&bytes, limits).ok())
        .and_then(|m| {
            m.get("policy")
                .and_then(|p| p.get("hash"))
                .and_then(|h| h.as_str())
                .and_then(Sha256Digest::from_prefixed)
        });
    policies
        .iter()
        .find(|(hash, _)| Some(*hash) == recorded)
        .or_else(|| policies.first())
        .map(|(_, bytes)| bytes.as_slice())
}

/// Verifies the bundle `name` (`len` bytes of `bundle`, whose digest is `sha256`) at `at` with
/// the policy §4.5 chooses, and returns its facts. Only the reader's own I/O errors fail.
pub fn bundle_facts<R: Read + Seek>(
    name: &str,
    sha256: Sha256Digest,
    mut bundle: R,
    len: u64,
    inputs: &FactsInputs<'_>,
    at: &Timestamp,
) -> io::Result<BundleFacts> {
    bundle.seek(SeekFrom::Start(0))?;
    let mut bundle = BufReader::new(bundle);
    let policy = choose_policy(&mut bundle, len, inputs.policies, inputs.limits);
    bundle.seek(SeekFrom::Start(0))?;
    let verify = VerifyInputs {
        trust: inputs.trust,
        at,
        policy,
        schemas: inputs.schemas,
        limits: inputs.limits,
        witnessed: None,
    };
    let (verdict, evidence) = verify_bundle_with_evidence(&mut bundle, len, &verify);
    Ok(BundleFacts::of(
        name,
        sha256,
        &verdict,
        evidence.manifest.as_ref(),
        &evidence.approvals,
    ))
}

impl AttestVerdict {
    /// What `clyra attest verify` prints for the attestation `name`: the canonical verdict JSON
    /// line, or the text for people (outcome, every check, the exit).
    pub fn to_output(&self, name: &str, json: bool) -> String {
        if json {
            let mut out = self.to_json();
            out.push(b'\n');
            return String::from_utf8_lossy(&out).into_owned();
        }
        let mut t = format!("{name}: {} ({})\n", self.outcome, self.primary);
        for c in &self.checks {
            t.push_str(&format!("  {:<24} {}\n", c.code, c.message));
        }
        t.push_str(&format!("exit {}\n", self.exit));
        t
    }
}
