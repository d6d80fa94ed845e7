//! Artifacts: their names, and the hash pass that runs before anything is written.
//!
//! The manifest is the first entry of a bundle and records every artifact's SHA-256 and size
//! (bundle-v0.md §2.1.4, §5.13), so the builder reads each artifact twice: a hash pass here
//! computes SHA-256, CRC-32 and size, streaming; the write pass then only copies (deflating where
//! allowed) and computes the CRC-32 the zip headers need, which must equal the hash pass's — else
//! the source changed in between (`build.artifact_changed`). SHA-256 is computed once per
//! artifact. Memory use is one 64 KiB buffer per pass, whatever the artifact's size.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read, Seek, SeekFrom};

use sha2::{Digest as _, Sha256};

use super::error::{BuildError, BuildErrorKind as Kind};
use crate::bundle::{check_name, EntryClass};
use crate::digest::Sha256Digest;
use crate::error::Coded;
use crate::Limits;

/// A readable, seekable artifact source (a file, an in-memory cursor).
pub trait ArtifactSource: Read + Seek {}

impl<T: Read + Seek + ?Sized> ArtifactSource for T {}

/// One artifact to put in a bundle: its name under `artifacts/` and its bytes.
///
/// The source is read from its current position to its end, twice (see the module docs); it
/// must not change between the two reads.
pub struct Artifact<'a> {
    name: String,
    source: Box<dyn ArtifactSource + 'a>,
}

impl<'a> Artifact<'a> {
    /// An artifact named `name` (e.g. `dbt/run_results.json`, stored as
    /// `artifacts/dbt/run_results.json`) read from `source`.
    pub fn new(name: impl Into<String>, source: impl Read + Seek + 'a) -> Self {
        Self {
            name: name.into(),
            source: Box::new(source),
        }
    }

    /// The name under `artifacts/`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Debug for Artifact<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Artifact")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// An artifact after the hash pass, its source rewound to where it started.
pub(crate) struct HashedArtifact<'a> {
    pub path: String,
    pub sha256: Sha256Digest,
    pub size: u64,
    pub crc32: u32,
    pub media_type: Option<String>,
    pub source: Box<dyn ArtifactSource + 'a>,
}

/// Checks the names, hashes every artifact once and returns them sorted by path bytes.
pub(crate) fn hash_artifacts<'a>(
    artifacts: Vec<Artifact<'a>>,
    media_types: &BTreeMap<String, String>,
    limits: &Limits,
) -> Result<Vec<HashedArtifact<'a>>, BuildError> {
    if artifacts.len() > limits.bundle_max_artifacts {
        return Err(BuildError::new(
            Kind::Container,
            format!(
                "{} artifacts are more than a bundle may hold ({})",
                artifacts.len(),
                limits.bundle_max_artifacts
            ),
        )
        .with_detail("zip.size_limit"));
    }
    let given: HashSet<&str> = artifacts.iter().map(|a| a.name.as_str()).collect();
    if let Some(name) = media_types.keys().find(|n| !given.contains(n.as_str())) {
        return Err(
            BuildError::new(Kind::SpecSchema, "names an artifact that was not given")
                .with_subject(format!("artifacts.{name}")),
        );
    }
    let mut folded = HashSet::new();
    let mut hashed = Vec::with_capacity(artifacts.len());
    for Artifact { name, mut source } in artifacts {
        let path = format!("artifacts/{name}");
        // spec: bundle-v0 §2.1.1–§2.1.3 — a valid entry name of the `artifacts/` form.
        check_name(path.as_bytes()).map_err(|e| {
            BuildError::new(Kind::ArtifactName, "is not a valid artifact name")
                .with_detail(e.code())
                .with_subject(name.clone())
        })?;
        if EntryClass::of(&path) != Some(EntryClass::Artifact) {
            return Err(
                BuildError::new(Kind::ArtifactName, "is not a valid artifact name")
                    .with_subject(name),
            );
        }
        if !folded.insert(path.to_ascii_lowercase()) {
            return Err(BuildError::new(
                Kind::ArtifactName,
                "is given twice (names are compared ignoring ASCII case)",
            )
            .with_subject(name));
        }
        let (sha256, size, crc32) = hash_source(&mut source, limits.bundle_max_artifact_bytes)
            .map_err(|e| {
                BuildError::new(Kind::Io, format!("cannot read the artifact: {e}"))
                    .with_subject(name.clone())
            })?
            .ok_or_else(|| {
                BuildError::new(
                    Kind::Container,
                    format!(
                        "is larger than an artifact may be ({} bytes)",
                        limits.bundle_max_artifact_bytes
                    ),
                )
                .with_detail("zip.size_limit")
                .with_subject(name.clone())
            })?;
        hashed.push(HashedArtifact {
            media_type: media_types.get(&name).cloned(),
            path,
            sha256,
            size,
            crc32,
            source,
        });
    }
    // spec: bundle-v0 §5.13 — sorted by the bytes of `path`.
    hashed.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    Ok(hashed)
}

/// SHA-256, size and CRC-32 of the source from its position to its end, then rewinds it;
/// `None` when it holds more than `max` bytes.
fn hash_source(
    source: &mut (impl Read + Seek + ?Sized),
    max: u64,
) -> io::Result<Option<(Sha256Digest, u64, u32)>> {
    let start = source.stream_position()?;
    let mut sha256 = Sha256::new();
    let mut crc = crc32fast::Hasher::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        size += n as u64;
        if size > max {
            return Ok(None);
        }
        sha256.update(chunk);
        crc.update(chunk);
    }
    source.seek(SeekFrom::Start(start))?;
    Ok(Some((
        Sha256Digest::from_bytes(sha256.finalize().into()),
        size,
        crc.finalize(),
    )))
}
