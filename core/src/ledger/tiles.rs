//! C2SP tlog-tiles: tile paths, and the Merkle tree read from tiles — tree hashes, inclusion and
//! consistency proofs reading only the tiles they need, and the tiles an append writes.
//!
//! spec: ledger-v0.md §4. A tile at level `L` holds up to 256 consecutive hashes of tree level
//! `8L`; a perfect subtree of height `h` is the Merkle root of `2^(h mod 8)` consecutive hashes of
//! one tile at level `h / 8`, so any tree hash of an aligned range is computed from a few tiles.

use std::collections::HashMap;

use super::{Hash, LedgerError, LedgerErrorKind as K};
use crate::merkle::{node_hash, root_from_leaf_hashes, HASH_LEN};

pub use super::limits::TILE_WIDTH;
use super::limits::{MAX_APPEND_RECORDS, TILE_HEIGHT};

/// Where tiles and entry bundles are read from; the host implements it over a directory or an
/// object store. `Ok(None)` means the file does not exist.
pub trait TileStore {
    /// The bytes of the file at `path` (relative to the ledger's location).
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError>;
}

/// `<N>` of a tile path: zero-padded 3-digit elements, all but the last prefixed with `x`.
fn index_path(index: u64) -> String {
    let mut groups = vec![format!("{:03}", index % 1000)];
    let mut rest = index / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn with_width(base: String, width: u64) -> String {
    if width == TILE_WIDTH {
        base
    } else {
        format!("{base}.p/{width}")
    }
}

/// The path of hash tile `index` at `level` with `width` hashes (256 = full).
pub fn tile_path(level: u8, index: u64, width: u64) -> String {
    with_width(format!("tile/{level}/{}", index_path(index)), width)
}

/// The path of entry bundle `index` with `width` records (256 = full).
pub fn entries_path(index: u64, width: u64) -> String {
    with_width(format!("tile/entries/{}", index_path(index)), width)
}

/// Number of hashes at tile level `level` of a tree of `size` leaves: `⌊size / 256^level⌋`.
fn hashes_at(size: u64, level: u8) -> u64 {
    let shift = u32::from(level) * TILE_HEIGHT;
    size.checked_shr(shift).unwrap_or(0)
}

/// The width a tile (`index` at `level`) has in a tree of `size` leaves: 256 when full, less when
/// partial, 0 when the tile does not exist yet.
pub fn tile_width(size: u64, level: u8, index: u64) -> u64 {
    let count = hashes_at(size, level);
    count
        .saturating_sub(index.saturating_mul(TILE_WIDTH))
        .min(TILE_WIDTH)
}

/// Splits tile bytes into hashes, checking the length against `width` (`ledger.tile_truncated`).
pub fn split_hashes(bytes: &[u8], width: u64, path: &str) -> Result<Vec<Hash>, LedgerError> {
    if bytes.len() as u64 != width * HASH_LEN as u64 {
        return Err(LedgerError::new(
            K::TileTruncated,
            format!(
                "`{path}` is {} bytes; {width} hashes are {} bytes",
                bytes.len(),
                width * 32
            ),
        ));
    }
    Ok(bytes
        .chunks_exact(HASH_LEN)
        .map(|c| {
            let mut h = [0u8; HASH_LEN];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

/// Splits an entry bundle into its `width` records (`ledger.tile_truncated` when it does not).
pub fn split_entries(bytes: &[u8], width: u64, path: &str) -> Result<Vec<Vec<u8>>, LedgerError> {
    let bad = || {
        LedgerError::new(
            K::TileTruncated,
            format!("`{path}` does not hold exactly {width} length-prefixed records"),
        )
    };
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (len, tail) = rest.split_at_checked(2).ok_or_else(bad)?;
        let len = usize::from(u16::from_be_bytes([
            len.first().copied().unwrap_or(0),
            len.get(1).copied().unwrap_or(0),
        ]));
        let (record, tail) = tail.split_at_checked(len).ok_or_else(bad)?;
        out.push(record.to_vec());
        rest = tail;
    }
    if out.len() as u64 != width {
        return Err(bad());
    }
    Ok(out)
}

/// Encodes records as an entry bundle (big-endian `uint16` lengths).
pub fn join_entries<R: AsRef<[u8]>>(records: &[R]) -> Result<Vec<u8>, LedgerError> {
    let mut out = Vec::new();
    for r in records {
        let r = r.as_ref();
        let len = u16::try_from(r.len())
            .map_err(|_| LedgerError::new(K::Record, "a record is longer than 65,535 bytes"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(r);
    }
    Ok(out)
}

/// One file an append writes: its path and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileWrite {
    /// Path relative to the ledger's location.
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// The Merkle tree of `size` leaves, read from a [`TileStore`] on demand, each tile at most once.
pub struct TiledTree<'s, S: TileStore> {
    store: &'s mut S,
    size: u64,
    cache: HashMap<(u8, u64), Vec<Hash>>,
    /// Tiles read, for benchmarks and tests ("reading only the tiles it needs").
    reads: usize,
}

impl<'s, S: TileStore> TiledTree<'s, S> {
    /// The tree of the first `size` leaves of the ledger in `store`.
    pub fn new(store: &'s mut S, size: u64) -> Self {
        Self {
            store,
            size,
            cache: HashMap::new(),
            reads: 0,
        }
    }

    /// The number of tiles read so far.
    pub fn tiles_read(&self) -> usize {
        self.reads
    }

    /// The hashes of tile `index` at `level` as this tree's size sees it.
    fn tile(&mut self, level: u8, index: u64) -> Result<&Vec<Hash>, LedgerError> {
        let key = (level, index);
        if !self.cache.contains_key(&key) {
            let width = tile_width(self.size, level, index);
            let path = tile_path(level, index, width);
            self.reads += 1;
            let hashes = match self.store.read(&path)? {
                Some(bytes) => split_hashes(&bytes, width, &path)?,
                // tlog-tiles: a partial tile may be gone once the full tile exists; the full
                // tile's first `width` hashes are the same hashes.
                None if width < TILE_WIDTH => {
                    let full = tile_path(level, index, TILE_WIDTH);
                    let bytes = self.store.read(&full)?.ok_or_else(|| {
                        LedgerError::new(K::TileMissing, format!("`{path}` is missing"))
                    })?;
                    let mut hashes = split_hashes(&bytes, TILE_WIDTH, &full)?;
                    hashes.truncate(usize::try_from(width).unwrap_or(0));
                    hashes
                }
                None => {
                    return Err(LedgerError::new(
                        K::TileMissing,
                        format!("`{path}` is missing"),
                    ))
                }
            };
            self.cache.insert(key, hashes);
        }
        self.cache
            .get(&key)
            .ok_or_else(|| LedgerError::new(K::TileMissing, "tile cache"))
    }

    /// The hash of the perfect subtree of height `height` whose leaves start at `index << height`.
    fn perfect(&mut self, height: u32, index: u64) -> Result<Hash, LedgerError> {
        let level = u8::try_from(height / TILE_HEIGHT)
            .map_err(|_| LedgerError::new(K::TileMissing, "tree too tall"))?;
        let r = height % TILE_HEIGHT;
        let first = index << r; // position of the first hash at this tile level
        let tile_index = first / TILE_WIDTH;
        let offset = usize::try_from(first % TILE_WIDTH).unwrap_or(usize::MAX);
        let count = 1usize << r;
        let path = tile_path(level, tile_index, tile_width(self.size, level, tile_index));
        let hashes = self.tile(level, tile_index)?;
        let slice = hashes
            .get(offset..offset.saturating_add(count))
            .ok_or_else(|| {
                LedgerError::new(
                    K::TileTruncated,
                    format!("`{path}` is too short for the tree size"),
                )
            })?;
        Ok(root_from_leaf_hashes(slice))
    }

    /// `MTH(D[start:end])` for a range the RFC 9162 recursion asks for: `start` is a multiple of a
    /// power of two at least `end − start`. Read as perfect subtrees, folded right to left.
    fn range_hash(&mut self, start: u64, end: u64) -> Result<Hash, LedgerError> {
        let mut pieces = Vec::new();
        let mut at = start;
        while at < end {
            let remaining = end - at;
            let mut h = 63 - remaining.leading_zeros(); // largest 2^h <= remaining
            if at != 0 {
                h = h.min(at.trailing_zeros());
            }
            pieces.push(self.perfect(h, at >> h)?);
            at += 1u64 << h;
        }
        let mut iter = pieces.into_iter().rev();
        let Some(mut acc) = iter.next() else {
            return Ok(crate::merkle::empty_root());
        };
        for left in iter {
            acc = node_hash(&left, &acc);
        }
        Ok(acc)
    }

    /// The tree hash of all `size` leaves.
    pub fn root(&mut self) -> Result<Hash, LedgerError> {
        self.range_hash(0, self.size)
    }

    /// The leaf hash at `index`.
    pub fn leaf(&mut self, index: u64) -> Result<Hash, LedgerError> {
        self.perfect(0, index)
    }

    /// The inclusion proof of leaf `index` (RFC 9162 §2.1.3.1 PATH), from the tiles.
    pub fn inclusion_proof(&mut self, index: u64) -> Result<Vec<Hash>, LedgerError> {
        if index >= self.size {
            return Err(LedgerError::new(
                K::NotFound,
                format!("leaf {index} is outside a tree of {} leaves", self.size),
            ));
        }
        let (mut lo, mut hi, mut m) = (0u64, self.size, index);
        let mut siblings = Vec::new();
        while hi - lo > 1 {
            let k = split(hi - lo);
            if m < k {
                siblings.push(self.range_hash(lo + k, hi)?);
                hi = lo + k;
            } else {
                siblings.push(self.range_hash(lo, lo + k)?);
                m -= k;
                lo += k;
            }
        }
        siblings.reverse();
        Ok(siblings)
    }

    /// The consistency proof from the first `old_size` leaves to this tree (RFC 9162 §2.1.4.1),
    /// from the tiles. `old_size` must be in `1..=size`.
    pub fn consistency_proof(&mut self, old_size: u64) -> Result<Vec<Hash>, LedgerError> {
        if old_size == 0 || old_size > self.size {
            return Err(LedgerError::new(
                K::Rewound,
                format!(
                    "no consistency proof from {old_size} to {} leaves",
                    self.size
                ),
            ));
        }
        // SUBPROOF(m, D[lo:hi], b), unrolled; hashes come out top-down.
        let (mut lo, mut hi, mut m, mut whole) = (0u64, self.size, old_size, true);
        let mut proof = Vec::new();
        loop {
            if m == hi - lo {
                if !whole {
                    proof.push(self.range_hash(lo, hi)?);
                }
                break;
            }
            let k = split(hi - lo);
            if m <= k {
                proof.push(self.range_hash(lo + k, hi)?);
                hi = lo + k;
            } else {
                proof.push(self.range_hash(lo, lo + k)?);
                m -= k;
                lo += k;
                whole = false;
            }
        }
        proof.reverse();
        Ok(proof)
    }
}

/// The largest power of two strictly below `n` (`n ≥ 2`).
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The files an append of `records` to a ledger of `old_size` leaves writes, in write order
/// (entry bundles, then tiles from level 0 up), and the new tree's root.
///
/// Reads only the right-edge partial tiles and entry bundle of `old_size` from `store`.
pub fn append<S: TileStore, R: AsRef<[u8]>>(
    store: &mut S,
    old_size: u64,
    records: &[R],
) -> Result<(Vec<TileWrite>, Hash), LedgerError> {
    if records.len() > MAX_APPEND_RECORDS {
        return Err(LedgerError::new(
            K::AppendTooLarge,
            format!(
                "{} records in one append; at most {MAX_APPEND_RECORDS} (limits.md L55)",
                records.len()
            ),
        ));
    }
    let mut writes = Vec::new();
    // Entry bundles: the old partial bundle's records, then the new ones.
    let first_tile = old_size / TILE_WIDTH;
    let kept = old_size % TILE_WIDTH;
    let mut entries: Vec<Vec<u8>> = if kept > 0 {
        let path = entries_path(first_tile, kept);
        let bytes = store
            .read(&path)?
            .ok_or_else(|| LedgerError::new(K::TileMissing, format!("`{path}` is missing")))?;
        split_entries(&bytes, kept, &path)?
    } else {
        Vec::new()
    };
    entries.extend(records.iter().map(|r| r.as_ref().to_vec()));
    for (i, chunk) in entries.chunks(TILE_WIDTH as usize).enumerate() {
        writes.push(TileWrite {
            path: entries_path(first_tile + i as u64, chunk.len() as u64),
            bytes: join_entries(chunk)?,
        });
    }
    // Hash tiles, level by level: the new hashes of each level, appended to its partial tile.
    let new_size = old_size + records.len() as u64;
    let mut level_hashes: Vec<Hash> = records
        .iter()
        .map(|r| crate::merkle::leaf_hash(r.as_ref()))
        .collect();
    let mut level: u8 = 0;
    while !level_hashes.is_empty() {
        let start = hashes_at(old_size, level);
        let tile = start / TILE_WIDTH;
        let kept = start % TILE_WIDTH;
        let mut hashes = if kept > 0 {
            let path = tile_path(level, tile, kept);
            let bytes = store
                .read(&path)?
                .ok_or_else(|| LedgerError::new(K::TileMissing, format!("`{path}` is missing")))?;
            split_hashes(&bytes, kept, &path)?
        } else {
            Vec::new()
        };
        hashes.extend_from_slice(&level_hashes);
        let mut up = Vec::new();
        for (i, chunk) in hashes.chunks(TILE_WIDTH as usize).enumerate() {
            writes.push(TileWrite {
                path: tile_path(level, tile + i as u64, chunk.len() as u64),
                bytes: chunk.concat(),
            });
            if chunk.len() as u64 == TILE_WIDTH {
                up.push(root_from_leaf_hashes(chunk));
            }
        }
        level_hashes = up;
        level = level
            .checked_add(1)
            .ok_or_else(|| LedgerError::new(K::TileMissing, "tree too tall"))?;
    }
    let mut overlay = Overlay {
        inner: store,
        writes: &writes,
    };
    let root = TiledTree::new(&mut overlay, new_size).root()?;
    Ok((writes, root))
}

/// A store seen through the files an append is about to write.
struct Overlay<'a, S: TileStore> {
    inner: &'a mut S,
    writes: &'a [TileWrite],
}

impl<S: TileStore> TileStore for Overlay<'_, S> {
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        match self.writes.iter().find(|w| w.path == path) {
            Some(w) => Ok(Some(w.bytes.clone())),
            None => self.inner.read(path),
        }
    }
}

/// A [`TileStore`] in memory, for tests, vector generation and benchmarks.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    /// Files by path.
    pub files: HashMap<String, Vec<u8>>,
}

impl TileStore for MemoryStore {
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.files.get(path).cloned())
    }
}

impl MemoryStore {
    /// Appends `records` to the ledger of `old_size` leaves held here; returns the new root.
    pub fn append<R: AsRef<[u8]>>(
        &mut self,
        old_size: u64,
        records: &[R],
    ) -> Result<Hash, LedgerError> {
        let (writes, root) = append(self, old_size, records)?;
        for w in writes {
            self.files.insert(w.path, w.bytes);
        }
        Ok(root)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::merkle::{consistency_proof, inclusion_proof, leaf_hash};

    #[test]
    fn paths_follow_tlog_tiles() {
        assert_eq!(tile_path(0, 1_234_067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path(1, 0, 17), "tile/1/000.p/17");
        assert_eq!(entries_path(5, 256), "tile/entries/005");
        assert_eq!(tile_width(70_000, 0, 273), 112);
        assert_eq!(tile_width(70_000, 1, 1), 17);
        assert_eq!(tile_width(70_000, 2, 0), 1);
        assert_eq!(tile_width(256, 1, 0), 1);
        assert_eq!(tile_width(256, 0, 1), 0);
    }

    #[test]
    fn tiled_proofs_equal_the_in_memory_ones() {
        let records: Vec<Vec<u8>> = (0..1100u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let hashes: Vec<Hash> = records.iter().map(|r| leaf_hash(r)).collect();
        let mut store = MemoryStore::default();
        let mut size = 0u64;
        // Appends in uneven batches so that partial tiles are extended and completed.
        for batch in [1usize, 2, 253, 1, 300, 543] {
            let chunk = &records[size as usize..size as usize + batch];
            let root = store.append(size, chunk).unwrap();
            size += batch as u64;
            assert_eq!(
                root,
                root_from_leaf_hashes(&hashes[..size as usize]),
                "size {size}"
            );
        }
        // Trees of the sizes that had a checkpoint (only those have all their partial tiles).
        for n in [1u64, 3, 256, 257, 557, 1100] {
            let all = &hashes[..n as usize];
            let mut tree = TiledTree::new(&mut store, n);
            assert_eq!(tree.root().unwrap(), root_from_leaf_hashes(all));
            for i in [0, n / 3, n / 2, n - 1] {
                assert_eq!(
                    tree.inclusion_proof(i).unwrap(),
                    inclusion_proof(all, i).unwrap(),
                    "{i}/{n}"
                );
            }
            for m in [1, 2, n / 2 + 1, n - 1, n] {
                let m = m.clamp(1, n);
                assert_eq!(
                    tree.consistency_proof(m).unwrap(),
                    consistency_proof(all, m).unwrap(),
                    "{m}/{n}"
                );
            }
        }
        let _ = Limits::default();
    }

    #[test]
    fn truncated_and_missing_tiles_are_typed() {
        let mut store = MemoryStore::default();
        store.append(0, &[b"a".to_vec(), b"b".to_vec()]).unwrap();
        let path = tile_path(0, 0, 2);
        store.files.get_mut(&path).unwrap().pop();
        let err = TiledTree::new(&mut store, 2).root().unwrap_err();
        assert_eq!(err.kind(), K::TileTruncated);
        store.files.remove(&path);
        let err = TiledTree::new(&mut store, 2).root().unwrap_err();
        assert_eq!(err.kind(), K::TileMissing);
    }
}
