//! The strict container reader: every structural check of bundle-v0 §2.4.2–§2.4.3 when the
//! container is opened, then the data checks (§2.4.3 item 8) while each entry is streamed.

use std::collections::HashSet;
use std::io::{self, Read, Seek, SeekFrom, Write};

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
use sha2::{Digest as _, Sha256};

use super::error::{ContainerError, ContainerErrorKind as Kind};
use super::names::{check_name, deflate_allowed, EntryClass, MAX_NAME_BYTES};
use super::zip_format::{
    decode_zip64_extra, field32, needs_zip64, CentralHeader, Eocd, LocalHeader, Zip64Eocd,
    Zip64Locator, CENTRAL_LEN, EOCD_LEN, HOST_UNIX, LOCAL_LEN, METHOD_DEFLATED, METHOD_STORED,
    ZIP64_EOCD_LEN, ZIP64_EOCD_RECORD_SIZE, ZIP64_LOCATOR_LEN, ZIP64_MARKER,
};
use crate::digest::Sha256Digest;
use crate::Limits;

/// Size of the buffers entry data is streamed through; memory use does not depend on entry size.
pub(crate) const BUFFER_BYTES: usize = 64 * 1024;

/// Deflated entries above this uncompressed size are subject to the ratio limit (bundle-v0
/// §2.4.3 item 7; limits.md L18).
pub const RATIO_THRESHOLD_BYTES: u64 = 1024 * 1024;

/// The longest extra field that can be valid: one zip64 field with three values.
const MAX_VALID_EXTRA: usize = 4 + 3 * 8;

/// How an entry's data is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Method 0: the data is the entry's bytes.
    Stored,
    /// Method 8: the data is a raw deflate stream (RFC 1951) of the entry's bytes.
    Deflated,
}

impl Method {
    pub(crate) const fn code(self) -> u16 {
        match self {
            Self::Stored => METHOD_STORED,
            Self::Deflated => METHOD_DEFLATED,
        }
    }
}

/// One entry of an opened container, as the central directory records it (after zip64
/// resolution) and the checks of bundle-v0 §2.4.3 items 1–7 accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryInfo {
    /// The entry name (§2.1.1 rules hold).
    pub name: String,
    /// The compression method.
    pub method: Method,
    /// Size of the stored data, in bytes.
    pub compressed_size: u64,
    /// Size of the entry's bytes after inflating, in bytes.
    pub uncompressed_size: u64,
    /// The recorded CRC-32 of the entry's bytes.
    pub crc32: u32,
    /// Offset of the entry's local header in the file.
    pub local_offset: u64,
    /// Offset of the entry's data in the file.
    pub data_offset: u64,
}

/// The SHA-256 and length of an entry's bytes (after inflating), computed while streaming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryDigest {
    /// SHA-256 of the entry's bytes.
    pub sha256: Sha256Digest,
    /// Number of bytes.
    pub size: u64,
}

/// An opened bundle container whose structure passed every check of bundle-v0 §2.4.2 and
/// §2.4.3 items 1–7; entry data is checked (item 8) as each entry is read.
#[derive(Debug)]
pub struct Container<R> {
    source: R,
    entries: Vec<EntryInfo>,
}

/// Where the end records say the central directory is.
struct Directory {
    offset: u64,
    size: u64,
    count: u16,
}

/// A central-directory record as read, before its checks.
struct RawRecord {
    /// Offset of the record in the file.
    at: u64,
    header: CentralHeader,
    /// The name, cut after `MAX_NAME_BYTES + 1` bytes (a longer name fails anyway).
    name: Vec<u8>,
    /// The extra field, or `None` when it is longer than any valid extra field.
    extra: Option<Vec<u8>>,
}

impl<R: Read + Seek> Container<R> {
    /// Opens the container of `len` bytes in `source`, checking in the order of bundle-v0
    /// §2.4.2 (file size, end records, central directory) and then, entry by entry, §2.4.3
    /// items 1–7 (name, flags, method, extra fields, local header, limits, ratio).
    ///
    /// The data checks (item 8) run in [`Container::read_entry`]; the entry-set checks (§2.4.4)
    /// are [`check_entry_set`](super::check_entry_set). A source that cannot be read where the
    /// records say data is fails with the code of the check being made.
    pub fn open(mut source: R, len: u64, limits: &Limits) -> Result<Self, ContainerError> {
        // spec: bundle-v0 §2.4.2 — L10 before anything is read.
        if len > limits.bundle_max_bytes {
            return Err(ContainerError::new(Kind::SizeLimit).at(len));
        }
        let dir = read_end_records(&mut source, len)?;
        let records = read_directory(&mut source, &dir, limits)?;
        let mut checker = EntryChecker::new(&dir, limits);
        let mut entries = Vec::with_capacity(records.len());
        for (index, record) in records.iter().enumerate() {
            let last = index + 1 == usize::from(dir.count);
            entries.push(checker.check(&mut source, record, last)?);
        }
        Ok(Self { source, entries })
    }

    /// The entries, in central-directory order.
    pub fn entries(&self) -> &[EntryInfo] {
        &self.entries
    }

    /// The source the container was opened from.
    pub fn into_inner(self) -> R {
        self.source
    }

    /// Streams entry `index`'s bytes (inflated when deflated) into `sink`, checking bundle-v0
    /// §2.4.3 item 8: the data consumes exactly the compressed size, yields exactly the
    /// uncompressed size and has the recorded CRC-32 (`zip.crc`). Returns their SHA-256.
    ///
    /// Memory use is bounded by two 64 KiB buffers. Bytes already written to `sink` when an
    /// error is returned must be discarded. An `index` beyond [`Container::entries`] is
    /// `bundle.missing_entry`; a failing `sink` is `zip.crc` (the entry could not be read out).
    pub fn read_entry(
        &mut self,
        index: usize,
        sink: &mut impl Write,
    ) -> Result<EntryDigest, ContainerError> {
        let entry = self
            .entries
            .get(index)
            .ok_or_else(|| ContainerError::new(Kind::MissingEntry))?;
        read_entry_data(&mut self.source, entry, sink)
    }

    /// Reads entry `index` into memory, as [`Container::read_entry`] does, when its
    /// uncompressed size is at most `max` bytes; else `zip.size_limit`, before anything is read.
    ///
    /// For the manifest, journal, keys and envelopes, whose own limits bound `max`. Callers that
    /// owe a more specific code (`key.too_large`, `dsse.too_large`) compare
    /// [`EntryInfo::uncompressed_size`] with their limit first.
    pub fn read_small_entry(&mut self, index: usize, max: u64) -> Result<Vec<u8>, ContainerError> {
        let entry = self
            .entries
            .get(index)
            .ok_or_else(|| ContainerError::new(Kind::MissingEntry))?;
        if entry.uncompressed_size > max {
            return Err(ContainerError::new(Kind::SizeLimit).with_entry(entry.name.as_bytes()));
        }
        let capacity = usize::try_from(entry.uncompressed_size).unwrap_or(0);
        let mut bytes = Vec::with_capacity(capacity);
        self.read_entry(index, &mut bytes)?;
        Ok(bytes)
    }
}

/// Reads out the data of `entry`, an entry of a [`Container`] that opened the same bytes, from
/// `source` into `sink`, checking bundle-v0 §2.4.3 item 8 exactly as [`Container::read_entry`]
/// does (which calls it), and returns its SHA-256 and size.
///
/// For hosts that read entries on several handles at once (an [`crate::verify::ArtifactHasher`]):
/// the core itself stays single-threaded. Errors are `zip.crc` naming the entry.
pub fn read_entry_data<R: Read + Seek>(
    source: &mut R,
    entry: &EntryInfo,
    sink: &mut impl Write,
) -> Result<EntryDigest, ContainerError> {
    let crc_err = || ContainerError::new(Kind::Crc).with_entry(entry.name.as_bytes());
    source
        .seek(SeekFrom::Start(entry.data_offset))
        .map_err(|_| crc_err().at(entry.data_offset))?;
    let mut data = source.take(entry.compressed_size);
    let mut out = Output::new(sink, entry.uncompressed_size);
    let consumed = match entry.method {
        Method::Stored => copy_stored(&mut data, &mut out),
        Method::Deflated => copy_inflated(&mut data, &mut out),
    }
    .ok_or_else(crc_err)?;
    // spec: bundle-v0 §2.4.3 item 8.
    if consumed != entry.compressed_size
        || out.written != entry.uncompressed_size
        || out.crc.clone().finalize() != entry.crc32
    {
        return Err(crc_err());
    }
    Ok(EntryDigest {
        sha256: Sha256Digest::from_bytes(out.sha256.finalize().into()),
        size: out.written,
    })
}

/// Reads `buf.len()` bytes at `offset`; any failure is `kind` at that offset.
fn read_at<R: Read + Seek>(
    source: &mut R,
    offset: u64,
    buf: &mut [u8],
    kind: Kind,
) -> Result<(), ContainerError> {
    source
        .seek(SeekFrom::Start(offset))
        .and_then(|_| source.read_exact(buf))
        .map_err(|_| ContainerError::new(kind).at(offset))
}

/// spec: bundle-v0 §2.4.2 items 1–4 (and §2.5.3): the EOCD is the last 22 bytes, without
/// backward search; zip64 records only when needed; the central directory ends where they begin.
fn read_end_records<R: Read + Seek>(source: &mut R, len: u64) -> Result<Directory, ContainerError> {
    let eocd_err = |at: u64| ContainerError::new(Kind::Eocd).at(at);
    let eocd_at = len
        .checked_sub(EOCD_LEN as u64)
        .ok_or_else(|| eocd_err(0))?;
    let mut buf = [0u8; EOCD_LEN];
    read_at(source, eocd_at, &mut buf, Kind::Eocd)?;
    let eocd = Eocd::decode(&buf).ok_or_else(|| eocd_err(eocd_at))?;
    if eocd.comment_len != 0
        || eocd.disk != 0
        || eocd.cd_disk != 0
        || eocd.entries_on_disk != eocd.entries_total
    {
        return Err(eocd_err(eocd_at));
    }
    let (offset, size, end) = if eocd.cd_size == ZIP64_MARKER || eocd.cd_offset == ZIP64_MARKER {
        let locator_at = eocd_at
            .checked_sub(ZIP64_LOCATOR_LEN as u64)
            .ok_or_else(|| eocd_err(eocd_at))?;
        let mut buf = [0u8; ZIP64_LOCATOR_LEN];
        read_at(source, locator_at, &mut buf, Kind::Eocd)?;
        let locator = Zip64Locator::decode(&buf).ok_or_else(|| eocd_err(locator_at))?;
        let record_at = locator_at
            .checked_sub(ZIP64_EOCD_LEN as u64)
            .ok_or_else(|| eocd_err(locator_at))?;
        if locator.eocd_disk != 0 || locator.total_disks != 1 || locator.eocd_offset != record_at {
            return Err(eocd_err(locator_at));
        }
        let mut buf = [0u8; ZIP64_EOCD_LEN];
        read_at(source, record_at, &mut buf, Kind::Eocd)?;
        let record = Zip64Eocd::decode(&buf).ok_or_else(|| eocd_err(record_at))?;
        // The 32-bit fields hold the marker exactly when the value needs zip64, else the value.
        if record.record_size != ZIP64_EOCD_RECORD_SIZE
            || record.disk != 0
            || record.cd_disk != 0
            || record.entries_on_disk != record.entries_total
            || record.entries_total != u64::from(eocd.entries_total)
            || field32(record.cd_size) != eocd.cd_size
            || field32(record.cd_offset) != eocd.cd_offset
        {
            return Err(eocd_err(record_at));
        }
        (record.cd_offset, record.cd_size, record_at)
    } else {
        (u64::from(eocd.cd_offset), u64::from(eocd.cd_size), eocd_at)
    };
    if offset.checked_add(size) != Some(end) {
        return Err(eocd_err(end));
    }
    if eocd.entries_total == 0 && offset != 0 {
        // No entries: the central directory itself must start at offset 0 (no prefix bytes).
        return Err(eocd_err(0));
    }
    Ok(Directory {
        offset,
        size,
        count: eocd.entries_total,
    })
}

/// spec: bundle-v0 §2.4.2 items 3–4: the central directory holds exactly `count` records, and
/// the first one's local header is at offset 0. Keeps at most L12 + 1 records in memory (the
/// entry after L12 fails its count check before any later one is looked at).
fn read_directory<R: Read + Seek>(
    source: &mut R,
    dir: &Directory,
    limits: &Limits,
) -> Result<Vec<RawRecord>, ContainerError> {
    let eocd_err = |at: u64| ContainerError::new(Kind::Eocd).at(at);
    source
        .seek(SeekFrom::Start(dir.offset))
        .map_err(|_| eocd_err(dir.offset))?;
    let mut reader = io::BufReader::with_capacity(BUFFER_BYTES, source.take(dir.size));
    let keep = limits.bundle_max_entries.saturating_add(1);
    let mut records = Vec::with_capacity(usize::from(dir.count).min(keep));
    let mut at = dir.offset;
    for _ in 0..dir.count {
        let mut fixed = [0u8; CENTRAL_LEN];
        reader.read_exact(&mut fixed).map_err(|_| eocd_err(at))?;
        let header = CentralHeader::decode(&fixed).ok_or_else(|| eocd_err(at))?;
        let name_len = usize::from(header.name_len);
        let mut name = vec![0u8; name_len.min(MAX_NAME_BYTES + 1)];
        reader.read_exact(&mut name).map_err(|_| eocd_err(at))?;
        skip(&mut reader, name_len.saturating_sub(name.len())).ok_or_else(|| eocd_err(at))?;
        let extra_len = usize::from(header.extra_len);
        let extra = if extra_len <= MAX_VALID_EXTRA {
            let mut extra = vec![0u8; extra_len];
            reader.read_exact(&mut extra).map_err(|_| eocd_err(at))?;
            Some(extra)
        } else {
            skip(&mut reader, extra_len).ok_or_else(|| eocd_err(at))?;
            None
        };
        skip(&mut reader, usize::from(header.comment_len)).ok_or_else(|| eocd_err(at))?;
        if records.len() < keep {
            records.push(RawRecord {
                at,
                header,
                name,
                extra,
            });
        }
        at += (CENTRAL_LEN + name_len + extra_len + usize::from(header.comment_len)) as u64;
    }
    if at != dir.offset + dir.size {
        return Err(eocd_err(at));
    }
    if let Some(first) = records.first() {
        if first.header.local_offset != 0 {
            return Err(eocd_err(first.at));
        }
    }
    Ok(records)
}

/// Skips exactly `n` bytes; `None` when the reader ends first.
fn skip(reader: &mut impl Read, n: usize) -> Option<()> {
    let n = n as u64;
    (io::copy(&mut reader.take(n), &mut io::sink()).ok()? == n).then_some(())
}

/// The running state of §2.4.3 across entries.
struct EntryChecker<'a> {
    limits: &'a Limits,
    file_len_cd: u64,
    folded: HashSet<String>,
    next_offset: u64,
    total: u64,
    count: usize,
    artifacts: usize,
    keys: usize,
    approvals: usize,
    signatures: usize,
}

impl<'a> EntryChecker<'a> {
    fn new(dir: &Directory, limits: &'a Limits) -> Self {
        Self {
            limits,
            file_len_cd: dir.offset,
            folded: HashSet::new(),
            next_offset: 0,
            total: 0,
            count: 0,
            artifacts: 0,
            keys: 0,
            approvals: 0,
            signatures: 0,
        }
    }

    /// spec: bundle-v0 §2.4.3 items 1–7 for one entry, in order.
    fn check<R: Read + Seek>(
        &mut self,
        source: &mut R,
        record: &RawRecord,
        last: bool,
    ) -> Result<EntryInfo, ContainerError> {
        let h = &record.header;
        let err = |kind: Kind| {
            ContainerError::new(kind)
                .with_entry(&record.name)
                .at(record.at)
        };

        // 1. zip.name: §2.1.1, then §2.1.2 (the later of two case-fold equal names fails).
        let name = check_name(&record.name).map_err(|e| e.at(record.at))?;
        if !self.folded.insert(name.to_ascii_lowercase()) {
            return Err(err(Kind::Name));
        }

        // 2. zip.flags: no flag bits; a Unix host's file type is unset or a regular file.
        if h.flags != 0
            || (h.version_made_by >> 8 == HOST_UNIX && !matches!(h.external_attrs >> 28, 0 | 8))
        {
            return Err(err(Kind::Flags));
        }

        // 3. zip.method: stored, or deflate where §2.2.1 allows it; stored sizes are equal.
        let method = match h.method {
            METHOD_STORED => Method::Stored,
            METHOD_DEFLATED if deflate_allowed(name) => Method::Deflated,
            _ => return Err(err(Kind::Method)),
        };
        if method == Method::Stored && h.compressed_size != h.uncompressed_size {
            return Err(err(Kind::Method));
        }

        // 4. zip.extra: no comment; the central extra field is empty or exactly the zip64 field
        //    the marker fields ask for (§2.5.1–§2.5.2), each value ≥ the marker.
        if h.comment_len != 0 {
            return Err(err(Kind::Extra));
        }
        let extra = record.extra.as_deref().ok_or_else(|| err(Kind::Extra))?;
        let mut values = decode_zip64_extra(extra)
            .ok_or_else(|| err(Kind::Extra))?
            .into_iter();
        let mut resolve = |field: u32| -> Result<u64, ContainerError> {
            if field != ZIP64_MARKER {
                return Ok(u64::from(field));
            }
            values
                .next()
                .filter(|v| needs_zip64(*v))
                .ok_or_else(|| err(Kind::Extra))
        };
        let uncompressed = resolve(h.uncompressed_size)?;
        let compressed = resolve(h.compressed_size)?;
        let offset = resolve(h.local_offset)?;
        if values.next().is_some()
            || (!extra.is_empty()
                && ![h.uncompressed_size, h.compressed_size, h.local_offset]
                    .contains(&ZIP64_MARKER))
        {
            return Err(err(Kind::Extra));
        }
        // A stored entry whose sizes both needed zip64 compares them once resolved.
        if method == Method::Stored && compressed != uncompressed {
            return Err(err(Kind::Method));
        }
        //    The local header is read where the central directory says; one that cannot be
        //    read or lacks its signature is zip.local_header, before its extra field is judged.
        let local_err = |at: u64| {
            ContainerError::new(Kind::LocalHeader)
                .with_entry(&record.name)
                .at(at)
        };
        let mut fixed = [0u8; LOCAL_LEN];
        read_at(source, offset, &mut fixed, Kind::LocalHeader).map_err(|_| local_err(offset))?;
        let local = LocalHeader::decode(&fixed).ok_or_else(|| local_err(offset))?;
        let sizes_need_zip64 = needs_zip64(uncompressed) || needs_zip64(compressed);
        let local_extra_len = usize::from(local.extra_len);
        let expected_extra_len = if sizes_need_zip64 { 4 + 2 * 8 } else { 0 };
        // The whole local header (name and extra field too) must be readable first
        // (spec: bundle-v0.md §2.4.3 item 4); the differential test pinned this order.
        let name_at = offset + LOCAL_LEN as u64;
        let local_name_len = usize::from(local.name_len);
        let mut local_name = vec![0u8; local_name_len.min(MAX_NAME_BYTES + 1)];
        let mut local_extra = vec![0u8; local_extra_len];
        read_at(source, name_at, &mut local_name, Kind::LocalHeader)
            .map_err(|_| local_err(name_at))?;
        let extra_at = name_at + local_name_len as u64;
        read_at(source, extra_at, &mut local_extra, Kind::LocalHeader)
            .map_err(|_| local_err(extra_at))?;
        if local_extra_len != expected_extra_len {
            return Err(err(Kind::Extra));
        }
        let local_values = decode_zip64_extra(&local_extra).ok_or_else(|| err(Kind::Extra))?;
        if local_values.len() != if sizes_need_zip64 { 2 } else { 0 } {
            return Err(err(Kind::Extra));
        }

        // 5. zip.local_header: same name, flags, method, CRC-32 and sizes; the entry starts on
        //    disk 0; records contiguous.
        let local_sizes_match = if sizes_need_zip64 {
            local.uncompressed_size == ZIP64_MARKER
                && local.compressed_size == ZIP64_MARKER
                && local_values == [uncompressed, compressed]
        } else {
            u64::from(local.uncompressed_size) == uncompressed
                && u64::from(local.compressed_size) == compressed
        };
        if local_name_len != record.name.len()
            || local_name != record.name
            || local.flags != h.flags
            || local.method != h.method
            || local.crc32 != h.crc32
            || !local_sizes_match
            || h.disk_start != 0
        {
            return Err(local_err(offset));
        }
        if offset != self.next_offset {
            return Err(local_err(offset));
        }
        let data_offset = extra_at + local_extra_len as u64;
        let data_end = data_offset
            .checked_add(compressed)
            .filter(|end| *end <= self.file_len_cd && (!last || *end == self.file_len_cd))
            .ok_or_else(|| local_err(data_offset))?;
        self.next_offset = data_end;

        // 6. zip.size_limit: the entry, the running total, the running counts.
        let limits = self.limits;
        let class = EntryClass::by_prefix(name);
        let entry_limit = match class {
            Some(EntryClass::Manifest) => Some(limits.bundle_max_manifest_bytes),
            Some(EntryClass::Journal) => Some(limits.bundle_max_journal_bytes),
            Some(EntryClass::Artifact) => Some(limits.bundle_max_artifact_bytes),
            _ => None,
        };
        self.total = self.total.saturating_add(uncompressed);
        self.count += 1;
        let mut uncounted = 0usize;
        let (class_count, class_limit) = match class {
            Some(EntryClass::Artifact) => (&mut self.artifacts, limits.bundle_max_artifacts),
            Some(EntryClass::Key) => (&mut self.keys, limits.bundle_max_keys),
            Some(EntryClass::Approval) => (&mut self.approvals, limits.bundle_max_approvals),
            Some(EntryClass::Signature) => (&mut self.signatures, limits.bundle_max_signatures),
            _ => (&mut uncounted, usize::MAX),
        };
        *class_count += 1;
        if entry_limit.is_some_and(|max| uncompressed > max)
            || self.total > limits.bundle_max_total_uncompressed
            || self.count > limits.bundle_max_entries
            || *class_count > class_limit
        {
            return Err(err(Kind::SizeLimit));
        }

        // 7. zip.ratio: integer test, deflated entries above 1 MiB only.
        if method == Method::Deflated
            && uncompressed > RATIO_THRESHOLD_BYTES
            && u128::from(uncompressed)
                > u128::from(limits.bundle_max_ratio) * u128::from(compressed)
        {
            return Err(err(Kind::Ratio));
        }

        Ok(EntryInfo {
            name: name.to_owned(),
            method,
            compressed_size: compressed,
            uncompressed_size: uncompressed,
            crc32: h.crc32,
            local_offset: offset,
            data_offset,
        })
    }
}

/// Where streamed entry bytes go: the caller's sink, the CRC-32 and the SHA-256; refuses to
/// take more than the recorded uncompressed size.
struct Output<'a, W> {
    sink: &'a mut W,
    limit: u64,
    written: u64,
    crc: crc32fast::Hasher,
    sha256: Sha256,
}

impl<'a, W: Write> Output<'a, W> {
    fn new(sink: &'a mut W, limit: u64) -> Self {
        Self {
            sink,
            limit,
            written: 0,
            crc: crc32fast::Hasher::new(),
            sha256: Sha256::new(),
        }
    }

    /// Takes `bytes`; `None` when they go beyond the recorded size or the sink fails.
    fn take(&mut self, bytes: &[u8]) -> Option<()> {
        let total = self.written.checked_add(bytes.len() as u64)?;
        if total > self.limit {
            return None;
        }
        self.sink.write_all(bytes).ok()?;
        self.crc.update(bytes);
        self.sha256.update(bytes);
        self.written = total;
        Some(())
    }
}

/// Copies stored data; returns the number of bytes read.
fn copy_stored<W: Write>(data: &mut impl Read, out: &mut Output<'_, W>) -> Option<u64> {
    let mut buf = vec![0u8; BUFFER_BYTES];
    let mut consumed = 0u64;
    loop {
        let n = read_some(data, &mut buf)?;
        if n == 0 {
            return Some(consumed);
        }
        out.take(buf.get(..n)?)?;
        consumed += n as u64;
    }
}

/// Inflates a raw deflate stream; returns the number of compressed bytes the stream used.
/// `None` when the stream is invalid, ends early, or yields more than the recorded size.
fn copy_inflated<W: Write>(data: &mut impl Read, out: &mut Output<'_, W>) -> Option<u64> {
    let mut state = InflateState::new_boxed(DataFormat::Raw);
    let mut input = vec![0u8; BUFFER_BYTES];
    let mut output = vec![0u8; BUFFER_BYTES];
    let (mut start, mut end) = (0usize, 0usize);
    let mut consumed = 0u64;
    let mut eof = false;
    loop {
        if start == end && !eof {
            end = read_some(data, &mut input)?;
            start = 0;
            eof = end == 0;
        }
        let result = inflate(
            &mut state,
            input.get(start..end)?,
            &mut output,
            MZFlush::None,
        );
        start += result.bytes_consumed;
        consumed += result.bytes_consumed as u64;
        // spec: bundle-v0 §2.4.3 item 8 — stop once more than the recorded size comes out.
        out.take(output.get(..result.bytes_written)?)?;
        match result.status {
            Ok(MZStatus::StreamEnd) => {
                // The stream must use every compressed byte: nothing may follow it.
                let trailing = end - start > 0 || read_some(data, &mut input)? > 0;
                return (!trailing).then_some(consumed);
            }
            Ok(_) | Err(MZError::Buf) => {
                let progress = result.bytes_consumed > 0 || result.bytes_written > 0;
                if !progress && (eof || start < end) {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
}

/// One `read`, retried on interruption.
fn read_some(data: &mut impl Read, buf: &mut [u8]) -> Option<usize> {
    loop {
        match data.read(buf) {
            Ok(n) => return Some(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}
