//! `verify_bundle_hashed`: a host's `ArtifactHasher` changes how artifact bytes are read, never
//! the verdict. Every golden bundle vector is verified without a hasher and with hashers that
//! compute the entries in reverse order (as a parallel host may finish them), return none, or
//! return only the first; all verdicts must be identical, checks and their order included. The
//! same for digests a host took itself (`HostDigests`, the browser page's WebCrypto path), which
//! are checked against their entries.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::io::Cursor;
use std::path::Path;

use clyra_core::bundle::{read_entry_data, ContainerError, EntryDigest, EntryInfo};
use clyra_core::digest::Sha256Digest;
use clyra_core::ffi::verifier::{stored_artifacts, verify_printed};
use clyra_core::format::Schemas;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verify::{crc32_update, verify_bundle_hashed, ArtifactHasher, VerifyInputs};
use clyra_core::Limits;

/// Hashes the entries last to first over its own reader on the same bytes, then keeps `keep`.
struct Reversed<'a> {
    bytes: &'a [u8],
    keep: usize,
}

impl ArtifactHasher for Reversed<'_> {
    fn hash_artifacts(
        &self,
        entries: &[EntryInfo],
    ) -> Vec<Option<Result<EntryDigest, ContainerError>>> {
        let mut reader = Cursor::new(self.bytes);
        let mut out: Vec<_> = entries
            .iter()
            .rev()
            .map(|e| Some(read_entry_data(&mut reader, e, &mut std::io::sink())))
            .collect();
        out.reverse();
        out.truncate(self.keep);
        out
    }
}

/// The golden vectors' folders, in order.
fn vector_dirs() -> Vec<std::path::PathBuf> {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let mut dirs: Vec<_> = std::fs::read_dir(&vectors)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn a_hasher_never_changes_a_verdict() {
    let limits = Limits::default();
    let schemas = Schemas::new().unwrap();
    let mut compared = 0;
    for dir in vector_dirs() {
        let Ok(bytes) = std::fs::read(dir.join("bundle.zip")) else {
            continue;
        };
        let Ok(trust) = Trust::parse(&std::fs::read(dir.join("trust.json")).unwrap(), &limits)
        else {
            continue;
        };
        let args: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("args.json")).unwrap()).unwrap();
        let at = Timestamp::parse(args["at"].as_str().unwrap()).unwrap();
        let policy = args["policy"]
            .as_str()
            .map(|p| std::fs::read(dir.join(p)).unwrap());
        let inputs = VerifyInputs {
            trust: &trust,
            at: &at,
            policy: policy.as_deref(),
            schemas: &schemas,
            limits: &limits,
            witnessed: None,
        };
        let len = bytes.len() as u64;
        let plain = verify_bundle_hashed(Cursor::new(&bytes), len, &inputs, None).0;
        for keep in [usize::MAX, 0, 1] {
            let hasher = Reversed {
                bytes: &bytes,
                keep,
            };
            let hashed = verify_bundle_hashed(Cursor::new(&bytes), len, &inputs, Some(&hasher)).0;
            assert_eq!(hashed, plain, "{} (keep {keep})", dir.display());
        }
        compared += 1;
    }
    assert!(compared >= 100, "only {compared} bundle vectors compared");
}

/// The `artifact_digests` a browser host would send for `bytes` (node/web/worker.js): every
/// stored artifact `stored_artifacts` lists, digested over the bytes at its offset (cut at the end
/// of the file), with the CRC-32 taken in two pieces through `crc32_update`.
fn host_digests(bytes: &[u8]) -> Vec<serde_json::Value> {
    let listed: serde_json::Value =
        serde_json::from_slice(&stored_artifacts(Cursor::new(bytes), bytes.len() as u64)).unwrap();
    listed["result"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let offset = e["offset"].as_u64().unwrap() as usize;
            let end = (offset + e["size"].as_u64().unwrap() as usize).min(bytes.len());
            let data = &bytes[offset.min(end)..end];
            let half = data.len() / 2;
            let crc = crc32_update(crc32_update(0, &data[..half]), &data[half..]);
            serde_json::json!({"name": e["name"], "offset": offset, "read": data.len(),
                "crc32": crc, "sha256": Sha256Digest::of(data).to_hex()})
        })
        .collect()
}

/// A `verify_printed` call for the vector in `dir`, or `None` when it is not a plain bundle check.
fn print_call(dir: &Path) -> Option<serde_json::Value> {
    let args: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("args.json")).ok()?).ok()?;
    let mut call = serde_json::json!({"trust": std::fs::read_to_string(dir.join("trust.json")).ok()?,
        "trust_name": "trust.json", "at": args["at"].as_str()?, "format": "json", "name": "bundle.zip"});
    if let Some(policy) = args["policy"].as_str() {
        call["policy"] = std::fs::read_to_string(dir.join(policy)).ok()?.into();
        call["policy_name"] = policy.into();
    }
    if let Some(proof) = args["ledger_proof"].as_str() {
        call["ledger_proof"] = std::fs::read_to_string(dir.join(proof)).ok()?.into();
    }
    Some(call)
}

fn printed(call: &serde_json::Value, bytes: &[u8]) -> Vec<u8> {
    verify_printed(
        call.to_string().as_bytes(),
        Cursor::new(bytes),
        bytes.len() as u64,
    )
}

#[test]
fn host_digests_never_change_a_printed_verdict() {
    let (mut compared, mut digested) = (0, 0);
    for dir in vector_dirs() {
        let (Ok(bytes), Some(call)) = (std::fs::read(dir.join("bundle.zip")), print_call(&dir))
        else {
            continue;
        };
        let digests = host_digests(&bytes);
        digested += usize::from(!digests.is_empty());
        let mut with = call.clone();
        with["artifact_digests"] = digests.into();
        assert_eq!(
            String::from_utf8(printed(&with, &bytes)).unwrap(),
            String::from_utf8(printed(&call, &bytes)).unwrap(),
            "{}",
            dir.display()
        );
        compared += 1;
    }
    assert!(compared >= 100, "only {compared} bundle vectors compared");
    // Most vectors deflate their artifacts (the page hashes those in wasm).
    assert!(
        digested >= 3,
        "only {digested} vectors had stored artifacts"
    );
}

/// A VALID bundle with stored artifacts, and its call.
fn minimal() -> (Vec<u8>, serde_json::Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/0013-def-several-artifacts");
    let bytes = std::fs::read(dir.join("bundle.zip")).unwrap();
    let call = print_call(&dir).unwrap();
    (bytes, call)
}

/// The JSON verdict of `call` with `digests` over `bytes`.
fn verdict_with(
    bytes: &[u8],
    call: &serde_json::Value,
    digests: Vec<serde_json::Value>,
) -> serde_json::Value {
    let mut call = call.clone();
    call["artifact_digests"] = digests.into();
    let answer: serde_json::Value = serde_json::from_slice(&printed(&call, bytes)).unwrap();
    serde_json::from_str(answer["result"]["text"].as_str().unwrap()).unwrap()
}

#[test]
fn a_host_digest_that_does_not_match_its_entry_is_zip_crc() {
    let (bytes, call) = minimal();
    let honest = host_digests(&bytes);
    assert!(!honest.is_empty());
    assert_eq!(
        verdict_with(&bytes, &call, honest.clone())["outcome"],
        "VALID"
    );
    for (field, value) in [
        (
            "crc32",
            serde_json::json!(honest[0]["crc32"].as_u64().unwrap() ^ 1),
        ),
        (
            "read",
            serde_json::json!(honest[0]["read"].as_u64().unwrap() - 1),
        ),
    ] {
        let mut digests = honest.clone();
        digests[0][field] = value;
        let verdict = verdict_with(&bytes, &call, digests);
        assert_eq!(verdict["outcome"], "INVALID", "{field}");
        assert_eq!(verdict["primary"], "zip.crc", "{field}: {verdict}");
    }
}

#[test]
fn a_host_sha256_stands_for_the_entry_and_unmatched_digests_are_ignored() {
    let (bytes, call) = minimal();
    let honest = host_digests(&bytes);
    let mut wrong = honest.clone();
    wrong[0]["sha256"] = Sha256Digest::of(b"other").to_hex().into();
    assert_eq!(verdict_with(&bytes, &call, wrong)["outcome"], "INVALID");
    // Another name, another offset or a digest that is not hex: the core reads the entry itself.
    for (field, value) in [
        ("name", serde_json::json!("artifacts/other")),
        (
            "offset",
            serde_json::json!(honest[0]["offset"].as_u64().unwrap() + 1),
        ),
        ("sha256", serde_json::json!("not hex")),
    ] {
        let mut digests = honest.clone();
        digests[0][field] = value;
        assert_eq!(
            verdict_with(&bytes, &call, digests)["outcome"],
            "VALID",
            "{field}"
        );
    }
}

#[test]
fn stored_artifacts_of_a_broken_container_is_empty() {
    let listed: serde_json::Value =
        serde_json::from_slice(&stored_artifacts(Cursor::new(b"not a zip"), 9)).unwrap();
    assert_eq!(
        listed,
        serde_json::json!({"type": "success", "result": {"entries": []}})
    );
}

#[test]
fn a_stored_entry_with_a_changed_byte_gives_the_same_verdict_with_host_digests() {
    let (mut bytes, call) = minimal();
    let honest = host_digests(&bytes);
    let at = honest[0]["offset"].as_u64().unwrap() as usize;
    bytes[at] ^= 0x20;
    let plain: serde_json::Value = serde_json::from_slice(&printed(&call, &bytes)).unwrap();
    let plain: serde_json::Value =
        serde_json::from_str(plain["result"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(plain["primary"], "zip.crc", "{plain}");
    // The host digests the changed bytes honestly: its CRC-32 no longer matches the entry's.
    assert_eq!(verdict_with(&bytes, &call, host_digests(&bytes)), plain);
}
