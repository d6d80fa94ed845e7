//! Reading a whole ledger: every record and tile re-hashed against the checkpoint, replayed
//! approvals found, consistency with an earlier checkpoint (spec: ledger-v0.md §6, §7.3).

use std::collections::{HashMap, HashSet};

use super::note::{Checkpoint, Note, VerifierKey};
use super::proof::{check, check_consistency};
use super::record::Record;
use super::tiles::{
    entries_path, split_entries, split_hashes, tile_path, TileStore, TiledTree, TILE_WIDTH,
};
use super::{Hash, LedgerError, LedgerErrorKind as K};
use crate::limits::Limits;
use crate::merkle::{leaf_hash, root_from_leaf_hashes, TreeBuilder};
use crate::verdict::{Check, Severity, Step};
use crate::verify::Verdict;

/// Two records that share an approval nonce or envelope digest (§6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The earlier record's index.
    pub first: u64,
    /// The later record's index.
    pub second: u64,
    /// `nonce` or `digest`.
    pub what: &'static str,
    /// The shared value.
    pub value: String,
}

/// What a ledger's records say, indexed for appends and replay checks.
#[derive(Debug, Default, Clone)]
pub struct Index {
    /// Leaf index by `bundle_sha256`.
    pub by_bundle: HashMap<String, u64>,
    /// Leaf index by approval nonce.
    pub nonces: HashMap<String, u64>,
    /// Leaf index by approval envelope digest.
    pub digests: HashMap<String, u64>,
    /// Replays found, in index order.
    pub replays: Vec<Replay>,
}

impl Index {
    /// Adds `record` at `index`, noting replays of earlier approvals.
    pub fn add(&mut self, index: u64, record: &Record) {
        self.by_bundle
            .entry(record.bundle_sha256.clone())
            .or_insert(index);
        self.add_approvals(index, record);
    }

    /// Adds only `record`'s approvals at `index` (replay checks without the by-bundle lookup),
    /// noting replays of earlier approvals.
    pub fn add_approvals(&mut self, index: u64, record: &Record) {
        for replay in self.replays_of(record) {
            self.replays.push(Replay {
                second: index,
                ..replay
            });
        }
        for a in &record.approvals {
            self.nonces.entry(a.nonce.clone()).or_insert(index);
            self.digests.entry(a.digest.clone()).or_insert(index);
        }
    }

    /// The earlier records whose approvals `record` would replay (`second` is left 0).
    pub fn replays_of(&self, record: &Record) -> Vec<Replay> {
        let mut out = Vec::new();
        for a in &record.approvals {
            if let Some(first) = self.nonces.get(&a.nonce) {
                out.push(Replay {
                    first: *first,
                    second: 0,
                    what: "nonce",
                    value: a.nonce.clone(),
                });
            } else if let Some(first) = self.digests.get(&a.digest) {
                out.push(Replay {
                    first: *first,
                    second: 0,
                    what: "digest",
                    value: a.digest.clone(),
                });
            }
        }
        out
    }
}

/// Reads the entry bundle of level-0 tile `tile` for a tree of `size` leaves and parses its
/// records (`ledger.tile_missing`, `ledger.tile_truncated`, `ledger.record`).
pub fn read_entries<S: TileStore>(
    store: &mut S,
    size: u64,
    tile: u64,
    limits: &Limits,
) -> Result<Vec<(Vec<u8>, Record)>, LedgerError> {
    let width = super::tiles::tile_width(size, 0, tile);
    let path = entries_path(tile, width);
    let bytes = store
        .read(&path)?
        .ok_or_else(|| LedgerError::new(K::TileMissing, format!("`{path}` is missing")))?;
    split_entries(&bytes, width, &path)?
        .into_iter()
        .map(|raw| {
            let record = Record::parse(&raw, limits)?;
            Ok((raw, record))
        })
        .collect()
}

/// Reads every record of the first `size` leaves into an [`Index`], without checking tiles
/// (what an append needs: identity and replays).
pub fn index<S: TileStore>(
    store: &mut S,
    size: u64,
    limits: &Limits,
) -> Result<Index, LedgerError> {
    let mut index = Index::default();
    let mut at = 0u64;
    for tile in 0..size.div_ceil(TILE_WIDTH) {
        for (_, record) in read_entries(store, size, tile, limits)? {
            index.add(at, &record);
            at += 1;
        }
    }
    Ok(index)
}

/// Reads every record of the first `size` leaves, one entry bundle at a time, and indexes only
/// what an append of `records` needs: where their bundles already are, and the first record
/// using each of their approvals' nonces and digests. Lookups of those keys give what
/// [`index`] gives, in memory O(records) instead of O(size) (§6, §7.1).
pub fn index_for<S: TileStore>(
    store: &mut S,
    size: u64,
    records: &[Record],
    limits: &Limits,
) -> Result<Index, LedgerError> {
    let shas: HashSet<&str> = records.iter().map(|r| r.bundle_sha256.as_str()).collect();
    let approvals = || records.iter().flat_map(|r| r.approvals.iter());
    let nonces: HashSet<&str> = approvals().map(|a| a.nonce.as_str()).collect();
    let digests: HashSet<&str> = approvals().map(|a| a.digest.as_str()).collect();
    let mut index = Index::default();
    let mut at = 0u64;
    for tile in 0..size.div_ceil(TILE_WIDTH) {
        for (_, record) in read_entries(store, size, tile, limits)? {
            if shas.contains(record.bundle_sha256.as_str()) {
                index.by_bundle.entry(record.bundle_sha256).or_insert(at);
            }
            for a in record.approvals {
                if nonces.contains(a.nonce.as_str()) {
                    index.nonces.entry(a.nonce).or_insert(at);
                }
                if digests.contains(a.digest.as_str()) {
                    index.digests.entry(a.digest).or_insert(at);
                }
            }
            at += 1;
        }
    }
    Ok(index)
}

/// Re-reads every record and tile of the tree of `cp.size` leaves and checks them against each
/// other and `cp.root` (§4.2, §4.3). Returns the records' approvals indexed for replays (its
/// `by_bundle` is left empty: a verification needs no lookup by bundle).
///
/// Streams: one entry bundle at a time, and per tile level only the tile being filled (at most
/// 256 hashes), so memory is O(log n) in the ledger's size, not one hash per entry (§4.3).
pub fn check_tiles<S: TileStore>(
    store: &mut S,
    cp: &Checkpoint,
    limits: &Limits,
) -> Result<Index, LedgerError> {
    let size = cp.size;
    let mut index = Index::default();
    let mut levels = LevelChecker::default();
    let mut tree = TreeBuilder::new();
    let mut at = 0u64;
    for tile in 0..size.div_ceil(TILE_WIDTH) {
        for (raw, record) in read_entries(store, size, tile, limits)? {
            let hash = leaf_hash(&raw);
            tree.push_leaf_hash(hash);
            index.add_approvals(at, &record);
            at += 1;
            levels.push(store, 0, hash)?;
        }
    }
    levels.finish(store)?;
    if tree.root() != cp.root {
        return Err(LedgerError::new(
            K::TileMismatch,
            "the records do not hash to the checkpoint's root",
        ));
    }
    Ok(index)
}

/// The hash tiles checked while the records stream by: per tile level, the hashes of the tile
/// being filled and how many full tiles of that level were checked already.
#[derive(Default)]
struct LevelChecker {
    /// `(full tiles checked, hashes of the next tile so far)` per level.
    levels: Vec<(u64, Vec<Hash>)>,
}

impl LevelChecker {
    /// Adds `hash` to tile level `level`; a tile that fills up is checked against its file and
    /// its subtree root goes one level up.
    fn push<S: TileStore>(
        &mut self,
        store: &mut S,
        level: u8,
        hash: Hash,
    ) -> Result<(), LedgerError> {
        let mut level = level;
        let mut hash = hash;
        loop {
            while self.levels.len() <= usize::from(level) {
                self.levels.push((0, Vec::new()));
            }
            let Some((done, hashes)) = self.levels.get_mut(usize::from(level)) else {
                return Err(LedgerError::new(K::TileMissing, "tree too tall"));
            };
            hashes.push(hash);
            if hashes.len() as u64 != TILE_WIDTH {
                return Ok(());
            }
            compare_tile(store, level, *done, hashes)?;
            hash = root_from_leaf_hashes(hashes);
            hashes.clear();
            *done += 1;
            level = level
                .checked_add(1)
                .ok_or_else(|| LedgerError::new(K::TileMissing, "tree too tall"))?;
        }
    }

    /// Checks the partial tile of every level against its file.
    fn finish<S: TileStore>(&self, store: &mut S) -> Result<(), LedgerError> {
        for (level, (done, hashes)) in self.levels.iter().enumerate() {
            if !hashes.is_empty() {
                let level = u8::try_from(level)
                    .map_err(|_| LedgerError::new(K::TileMissing, "tree too tall"))?;
                compare_tile(store, level, *done, hashes)?;
            }
        }
        Ok(())
    }
}

/// Reads hash tile `tile` of `level` (its width: `expected.len()`) and compares it with the
/// hashes computed from the records below it (`ledger.tile_missing`, `ledger.tile_truncated`,
/// `ledger.tile_mismatch`).
fn compare_tile<S: TileStore>(
    store: &mut S,
    level: u8,
    tile: u64,
    expected: &[Hash],
) -> Result<(), LedgerError> {
    let path = tile_path(level, tile, expected.len() as u64);
    let bytes = store
        .read(&path)?
        .ok_or_else(|| LedgerError::new(K::TileMissing, format!("`{path}` is missing")))?;
    if split_hashes(&bytes, expected.len() as u64, &path)? != expected {
        return Err(LedgerError::new(
            K::TileMismatch,
            format!("`{path}` does not hold the hashes of the records below it"),
        ));
    }
    Ok(())
}

/// What `clyra ledger verify` checks (§7.3), as a verdict, and the index of the records when the
/// tiles could be read.
pub struct LedgerVerification {
    /// Every check, step `ledger`.
    pub verdict: Verdict,
    /// The current checkpoint, when it parsed.
    pub checkpoint: Option<Checkpoint>,
    /// The records' index, when every tile checked.
    pub index: Option<Index>,
}

/// Verifies the ledger in `store` whose current signed checkpoint is `note`: the checkpoint
/// (§3.4), each `witnesses` cosignature (§3.5), every tile and record (§4), replays (§6), and,
/// with `since`, consistency from that earlier signed checkpoint (§5.4).
pub fn verify_ledger<S: TileStore>(
    store: &mut S,
    note: &[u8],
    key: &VerifierKey,
    since: Option<&[u8]>,
    witnesses: &[VerifierKey],
    limits: &Limits,
) -> LedgerVerification {
    let mut checks = Vec::new();
    let cp = match Checkpoint::verify(note, key) {
        Ok(cp) => {
            checks.push(check("checkpoint", Ok(())));
            Some(cp)
        }
        Err(e) => {
            let untrusted = e.kind() == K::UntrustedKey;
            checks.push(check("checkpoint", Err(e)));
            if untrusted {
                Checkpoint::open(note).ok().map(|(cp, _)| cp)
            } else {
                None
            }
        }
    };
    for w in witnesses {
        let result = Note::parse(note)
            .and_then(|n| n.verify_cosignature(w))
            .map(|_| ());
        checks.push(check(&format!("witness {}", w.name()), result));
    }
    let mut index = None;
    if let Some(cp) = &cp {
        match check_tiles(store, cp, limits) {
            Ok(found) => {
                checks.push(check("tiles", Ok(())));
                for r in &found.replays {
                    checks.push(check(
                        "replay",
                        Err(LedgerError::new(
                            K::Replay,
                            format!(
                                "records {} and {} share the approval {} `{}`",
                                r.first, r.second, r.what, r.value
                            ),
                        )),
                    ));
                }
                index = Some(found);
            }
            Err(e) => checks.push(check("tiles", Err(e))),
        }
        if let Some(old_note) = since {
            checks.push(check(
                "since",
                since_check(store, old_note, cp, key, limits),
            ));
        }
    } else {
        checks.push(
            Check::new(Step::Ledger, "skipped", Severity::Ok)
                .with_subject("tiles")
                .with_message("not checked: the checkpoint failed"),
        );
    }
    LedgerVerification {
        verdict: Verdict::from_checks(checks),
        checkpoint: cp,
        index,
    }
}

/// Consistency from the earlier checkpoint `old_note` to `cp`, with a proof built from the tiles.
fn since_check<S: TileStore>(
    store: &mut S,
    old_note: &[u8],
    cp: &Checkpoint,
    key: &VerifierKey,
    limits: &Limits,
) -> Result<(), LedgerError> {
    let old = Checkpoint::verify(old_note, key)?;
    if old.size > cp.size || old.size == 0 || (old.size == cp.size) {
        return check_consistency(&old, cp, &[], limits);
    }
    let proof = TiledTree::new(store, cp.size).consistency_proof(old.size)?;
    check_consistency(&old, cp, &proof, limits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ledger::record::RecordApproval;

    fn record(n: u8, nonce: &str, digest: u8) -> Record {
        let mut r = Record::parse(
            &Record {
                v: 0,
                bundle_id: format!("b-{n}"),
                bundle_sha256: crate::digest::to_hex(&[n; 32]),
                manifest_digest: format!("sha256:{}", crate::digest::to_hex(&[n; 32])),
                format: "def/v0".into(),
                created_at: "2026-11-20T09:01:15Z".into(),
                subject: "s".into(),
                environment: "production".into(),
                approvals: vec![],
                logged_at: "2026-11-20T09:01:15Z".into(),
            }
            .to_bytes(),
            &Limits::default(),
        )
        .unwrap();
        r.approvals.push(RecordApproval {
            digest: format!("sha256:{}", crate::digest::to_hex(&[digest; 32])),
            nonce: nonce.into(),
        });
        r
    }

    #[test]
    fn shared_nonces_and_digests_are_replays() {
        let mut store = crate::ledger::tiles::MemoryStore::default();
        let records = [
            record(1, "n-1", 1),
            record(2, "n-2", 2),
            record(3, "n-1", 3),
            record(4, "n-4", 2),
        ];
        let bytes: Vec<Vec<u8>> = records.iter().map(Record::to_bytes).collect();
        let root = store.append(0, &bytes).unwrap();
        let cp = Checkpoint {
            origin: "o".into(),
            size: 4,
            root,
        };
        let index = check_tiles(&mut store, &cp, &Limits::default()).unwrap();
        let found: Vec<_> = index
            .replays
            .iter()
            .map(|r| (r.first, r.second, r.what))
            .collect();
        assert_eq!(found, vec![(0, 2, "nonce"), (1, 3, "digest")]);
        assert!(index.replays_of(&record(9, "n-9", 9)).is_empty());
    }
}
