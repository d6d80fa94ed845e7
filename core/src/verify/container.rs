//! Step 1, container: the structural checks of bundle-v0.md §2.4 in order — headers (§2.4.2–
//! §2.4.3 items 1–7), then every entry's data (item 8) in a second pass, then the entry set
//! (§2.4.4). The data pass reads each entry exactly once: small entries (manifest, journal, keys,
//! envelopes) into memory within their limits, artifacts streamed into `io::sink()` while their
//! SHA-256 and size are taken for the artifacts step.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek};

use crate::bundle::{check_entry_set, Container, ContainerError, EntryClass, EntryDigest};
use crate::error::Coded;
use crate::limits::Limits;
use crate::verdict::{Check, Severity, Step};
use crate::verify::ArtifactHasher;

/// The manifest entry name.
pub(crate) const MANIFEST: &str = "manifest.json";
/// The journal entry name.
pub(crate) const JOURNAL: &str = "journal.ndjson";

/// A container that passed step 1, with what the later steps read from it.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// Entry names, in central-directory order (which §2.1.4 fixes).
    pub names: Vec<String>,
    /// Bytes of the manifest, journal, key, approval and signature entries within their limits.
    small: BTreeMap<String, Vec<u8>>,
    /// Uncompressed size of every entry.
    pub sizes: BTreeMap<String, u64>,
    /// SHA-256 and size of every `artifacts/` entry.
    pub artifacts: BTreeMap<String, EntryDigest>,
}

impl Loaded {
    /// The bytes of a small entry, when present and within its limit.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.small.get(name).map(Vec::as_slice)
    }

    /// The names of entries of `class`, in order.
    pub fn of_class(&self, class: EntryClass) -> impl Iterator<Item = &str> {
        self.names
            .iter()
            .map(String::as_str)
            .filter(move |n| EntryClass::of(n) == Some(class))
    }

    /// Small entries of `class` by name (for the approvals step).
    pub fn files_of(&self, class: EntryClass) -> BTreeMap<String, Vec<u8>> {
        self.small
            .iter()
            .filter(|(n, _)| EntryClass::of(n) == Some(class))
            .map(|(n, b)| (n.clone(), b.clone()))
            .collect()
    }
}

/// Runs step 1; the one failing check when the container is rejected. With a `hasher`, the
/// artifacts' data is read out by the host (all of it, before the walk); the walk and the order of
/// reports are the same either way.
pub(crate) fn load<R: Read + Seek>(
    source: R,
    len: u64,
    limits: &Limits,
    hasher: Option<&dyn ArtifactHasher>,
) -> Result<Loaded, Box<Check>> {
    let mut container = Container::open(source, len, limits).map_err(failure)?;
    let mut loaded = Loaded::default();
    let entries = container.entries().to_vec();
    let artifacts: Vec<_> = entries
        .iter()
        .filter(|e| EntryClass::of(&e.name) == Some(EntryClass::Artifact))
        .cloned()
        .collect();
    let mut hashed = hasher
        .map(|h| h.hash_artifacts(&artifacts))
        .unwrap_or_default()
        .into_iter();
    for (index, entry) in entries.iter().enumerate() {
        let is_artifact = EntryClass::of(&entry.name) == Some(EntryClass::Artifact);
        let max = match EntryClass::of(&entry.name) {
            Some(EntryClass::Manifest) => Some(limits.bundle_max_manifest_bytes),
            Some(EntryClass::Journal) => Some(limits.bundle_max_journal_bytes),
            Some(EntryClass::Key) => Some(limits.key_max_bytes as u64),
            Some(EntryClass::Approval | EntryClass::Signature) => {
                Some(limits.dsse_max_envelope_bytes as u64)
            }
            Some(EntryClass::Artifact) | None => None,
        };
        match max {
            // Larger key or envelope files are reported by their own step (`key.too_large`,
            // `dsse.too_large`); their data is still checked here.
            Some(max) if entry.uncompressed_size <= max => {
                let bytes = container.read_small_entry(index, max).map_err(failure)?;
                loaded.small.insert(entry.name.clone(), bytes);
            }
            _ => {
                let precomputed = if is_artifact {
                    hashed.next().flatten()
                } else {
                    None
                };
                let digest = match precomputed {
                    Some(result) => result,
                    None => container.read_entry(index, &mut io::sink()),
                }
                .map_err(failure)?;
                if is_artifact {
                    loaded.artifacts.insert(entry.name.clone(), digest);
                }
            }
        }
        loaded
            .sizes
            .insert(entry.name.clone(), entry.uncompressed_size);
        loaded.names.push(entry.name.clone());
    }
    check_entry_set(&loaded.names).map_err(failure)?;
    Ok(loaded)
}

fn failure(err: ContainerError) -> Box<Check> {
    let mut check =
        Check::new(Step::Container, err.code(), Severity::Fail).with_message(err.to_string());
    if let Some(entry) = err.entry() {
        check = check.with_subject(entry);
    }
    Box::new(check)
}
