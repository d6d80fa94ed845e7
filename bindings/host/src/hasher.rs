//! Artifact hashing on several threads for `clyra verify` and the Node addon: the host side of
//! `clyra_core::verify::ArtifactHasher` (threads are host work; the core stays single-threaded).
//!
//! The core stays single-threaded; this hasher reads the bundle's `artifacts/` entries on up to
//! `jobs` scoped threads, each through its own positioned reader over the *same open file* (no
//! second `open` of the path, so every thread reads exactly the bytes the core opened), and checks
//! each entry with `clyra_core::bundle::read_entry_data`, as the core would. Entries are spread by
//! compressed size (largest first, to the least-loaded thread). Bytes hashed so far are added to
//! an optional shared counter, which the progress bar reads.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use clyra_core::bundle::{read_entry_data, ContainerError, EntryDigest, EntryInfo};
use clyra_core::verify::ArtifactHasher;

/// Hashes artifacts of one open bundle file on up to `jobs` threads.
pub struct ParallelHasher<'a> {
    file: &'a File,
    jobs: usize,
    progress: Option<&'a AtomicU64>,
}

impl<'a> ParallelHasher<'a> {
    /// A hasher over `file` (the bundle the core reads) with `jobs` threads (at least 1).
    pub fn new(file: &'a File, jobs: usize, progress: Option<&'a AtomicU64>) -> Self {
        Self {
            file,
            jobs: jobs.max(1),
            progress,
        }
    }

    /// Hashes the entries at `indices` of `entries` on the current thread.
    fn run_group(
        &self,
        entries: &[EntryInfo],
        indices: &[usize],
    ) -> Vec<(usize, Result<EntryDigest, ContainerError>)> {
        let mut reader = At {
            file: self.file,
            pos: 0,
        };
        indices
            .iter()
            .filter_map(|&i| entries.get(i).map(|e| (i, e)))
            .map(|(i, entry)| {
                let mut sink = Counter(self.progress);
                (i, read_entry_data(&mut reader, entry, &mut sink))
            })
            .collect()
    }
}

impl ArtifactHasher for ParallelHasher<'_> {
    fn hash_artifacts(
        &self,
        entries: &[EntryInfo],
    ) -> Vec<Option<Result<EntryDigest, ContainerError>>> {
        let sizes: Vec<u64> = entries.iter().map(|e| e.compressed_size).collect();
        let groups = spread(&sizes, self.jobs);
        let mut results: Vec<Option<Result<EntryDigest, ContainerError>>> =
            entries.iter().map(|_| None).collect();
        let finished: Vec<_> = if groups.len() <= 1 {
            groups
                .iter()
                .flat_map(|g| self.run_group(entries, g))
                .collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = groups
                    .iter()
                    .map(|g| scope.spawn(move || self.run_group(entries, g)))
                    .collect();
                // A thread that panicked leaves its entries to the core (read in place).
                handles
                    .into_iter()
                    .filter_map(|h| h.join().ok())
                    .flatten()
                    .collect()
            })
        };
        for (i, result) in finished {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(result);
            }
        }
        // The core reads in place every entry without a result.
        results
    }
}

/// Indices of `sizes` in at most `jobs` groups of about equal total size (largest first, each to
/// the least-loaded group).
fn spread(sizes: &[u64], jobs: usize) -> Vec<Vec<usize>> {
    let size = |i: usize| sizes.get(i).copied().unwrap_or(0);
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size(i)));
    let mut groups: Vec<(u64, Vec<usize>)> = (0..jobs.min(sizes.len()))
        .map(|_| (0, Vec::new()))
        .collect();
    for i in order {
        if let Some(group) = groups.iter_mut().min_by_key(|(load, _)| *load) {
            group.0 += size(i);
            group.1.push(i);
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// A reader with its own position over a shared open file (positioned reads, no shared offset).
pub struct At<'f> {
    file: &'f File,
    pos: u64,
}

impl<'f> At<'f> {
    /// A reader of `file` from offset 0 that never moves the file's shared offset.
    pub fn new(file: &'f File) -> Self {
        Self { file, pos: 0 }
    }
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = read_at(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for At<'_> {
    fn seek(&mut self, from: SeekFrom) -> io::Result<u64> {
        let invalid = || io::Error::new(io::ErrorKind::InvalidInput, "seek out of range");
        self.pos = match from {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => self.pos.checked_add_signed(d).ok_or_else(invalid)?,
            SeekFrom::End(d) => self
                .file
                .metadata()?
                .len()
                .checked_add_signed(d)
                .ok_or_else(invalid)?,
        };
        Ok(self.pos)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, pos)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, pos)
}

/// A sink that discards bytes and adds their count to the progress counter.
struct Counter<'a>(Option<&'a AtomicU64>);

impl Write for Counter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(counter) = self.0 {
            counter.fetch_add(buf.len() as u64, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_balances_by_size_and_covers_every_entry_once() {
        let sizes = [100, 10, 60, 50];
        let groups = spread(&sizes, 2);
        assert_eq!(groups, vec![vec![0, 1], vec![2, 3]]);
        let mut all: Vec<usize> = groups.concat();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2, 3]);
        assert_eq!(spread(&sizes, 8).len(), 4);
        assert_eq!(spread(&sizes, 1), vec![vec![0, 2, 3, 1]]);
        assert!(spread(&[], 2).is_empty());
    }
}
