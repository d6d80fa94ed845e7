//! The deterministic container writer: the exact layout of bundle-v0 §2.3, so that the same
//! entries give the same bytes.

use std::collections::HashSet;
use std::io::{self, Read, Seek, SeekFrom, Write};

use miniz_oxide::deflate::core::{create_comp_flags_from_zip_params, CompressorOxide};
use miniz_oxide::deflate::stream::deflate;
use miniz_oxide::{MZFlush, MZStatus};
use sha2::{Digest as _, Sha256};

use super::error::{ContainerError, ContainerErrorKind as Kind};
use super::names::{check_entry_set, check_name, cmp_expected, deflate_allowed, EntryClass};
use super::reader::{EntryDigest, Method, BUFFER_BYTES};
use super::zip_format::{
    encode_zip64_extra, field32, needs_zip64, CentralHeader, Eocd, LocalHeader, Zip64Eocd,
    Zip64Locator, DOS_DATE, DOS_TIME, EXTERNAL_ATTRS, LOCAL_LEN, VERSION_MADE_BY, VERSION_NEEDED,
    VERSION_NEEDED_ZIP64, ZIP64_EOCD_RECORD_SIZE,
};
use crate::digest::Sha256Digest;
use crate::Limits;

/// The deflate level bundle-v0 §2.2.2 fixes.
pub const DEFLATE_LEVEL: i32 = 6;

/// The size and CRC-32 of an entry's uncompressed bytes, as [`ContainerWriter::add_entry_unhashed`]
/// wrote them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryCrc {
    /// Number of bytes.
    pub size: u64,
    /// CRC-32 (IEEE) of the bytes, as the zip headers record it.
    pub crc32: u32,
}

/// Why writing a container failed: the entries break a container rule, or the sink failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The entries would not make a valid container (name, order, method, limits, entry set).
    #[error(transparent)]
    Container(#[from] ContainerError),
    /// Reading an entry's source or writing the sink failed.
    #[error("i/o error while writing a bundle: {0}")]
    Io(#[from] io::Error),
}

/// One entry as written, for the central directory.
struct Written {
    name: String,
    method: Method,
    crc32: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
}

/// Writes a bundle container entry by entry, in the order bundle-v0 §2.1.4 requires.
///
/// The container starts at offset 0 of `sink`. The sink must be readable too: in the rare case
/// that an entry's sizes need zip64 (≥ 4 GiB − 1), its data is moved 20 bytes forward to make
/// room for the zip64 field in its local header. After an error the output is unusable.
#[derive(Debug)]
pub struct ContainerWriter<W> {
    sink: W,
    limits: Limits,
    entries: Vec<Written>,
    folded: HashSet<String>,
    position: u64,
    total: u64,
}

impl std::fmt::Debug for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Written")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<W: Read + Write + Seek> ContainerWriter<W> {
    /// Starts a container at offset 0 of `sink`; entries are refused beyond `limits`.
    pub fn new(sink: W, limits: &Limits) -> Self {
        Self {
            sink,
            limits: limits.clone(),
            entries: Vec::new(),
            folded: HashSet::new(),
            position: 0,
            total: 0,
        }
    }

    /// Appends the entry `name` with the bytes read from `source`, deflated (miniz_oxide, level
    /// 6) when `method` is [`Method::Deflated`]. Returns the SHA-256 and size of the bytes.
    ///
    /// Refused, before anything is written: an invalid or case-fold duplicate name
    /// (`zip.name`), a name of none of the §2.1.3 forms (`bundle.unexpected_entry`), a name not
    /// after the previous one in §2.1.4 order (`bundle.entry_order`), deflate where §2.2.1
    /// forbids it (`zip.method`), one entry more than a count limit allows (`zip.size_limit`).
    /// Bytes beyond the entry's or the total size limit fail with `zip.size_limit` while
    /// streaming.
    pub fn add_entry(
        &mut self,
        name: &str,
        method: Method,
        source: impl Read,
    ) -> Result<EntryDigest, WriteError> {
        let (written, sha256) = self.write_entry(name, method, source, true)?;
        Ok(EntryDigest {
            // INVARIANT: `write_entry` returns a digest whenever it was asked to hash.
            sha256: sha256.unwrap_or(Sha256Digest::from_bytes([0; 32])),
            size: written.size,
        })
    }

    /// Appends the entry `name` as [`ContainerWriter::add_entry`] does, without computing the
    /// SHA-256 of its bytes: for a caller that already hashed them (a bundle builder hashes
    /// artifacts in a first pass, since the manifest that records their digests comes first).
    /// Returns the size and CRC-32 of the bytes written, so the caller can check that its
    /// source still holds what it hashed.
    pub fn add_entry_unhashed(
        &mut self,
        name: &str,
        method: Method,
        source: impl Read,
    ) -> Result<EntryCrc, WriteError> {
        self.write_entry(name, method, source, false)
            .map(|(written, _)| written)
    }

    fn write_entry(
        &mut self,
        name: &str,
        method: Method,
        mut source: impl Read,
        hash: bool,
    ) -> Result<(EntryCrc, Option<Sha256Digest>), WriteError> {
        let class = self.admit(name, method)?;
        let offset = self.position;
        let entry_limit = match class {
            EntryClass::Manifest => self.limits.bundle_max_manifest_bytes,
            EntryClass::Journal => self.limits.bundle_max_journal_bytes,
            EntryClass::Artifact => self.limits.bundle_max_artifact_bytes,
            _ => u64::MAX,
        };
        let limit = entry_limit.min(
            self.limits.bundle_max_total_uncompressed
                - self.total.min(self.limits.bundle_max_total_uncompressed),
        );

        // Placeholder local header; CRC-32 and sizes are patched once the data is written.
        let mut header = Vec::with_capacity(LOCAL_LEN + name.len());
        local_header(name, method, 0, 0, 0, offset).encode(&mut header);
        header.extend_from_slice(name.as_bytes());
        self.sink.seek(SeekFrom::Start(offset))?;
        self.sink.write_all(&header)?;
        let data_start = offset + header.len() as u64;

        let mut input = Input::new(&mut source, limit, hash);
        let compressed = match method {
            Method::Stored => copy(&mut input, &mut self.sink)?,
            Method::Deflated => deflate_into(&mut input, &mut self.sink)?,
        };
        if input.over_limit {
            return Err(ContainerError::new(Kind::SizeLimit)
                .with_entry(name.as_bytes())
                .into());
        }
        let uncompressed = input.count;
        let crc32 = input.crc.finalize();
        let sha256 = input
            .sha256
            .take()
            .map(|h| Sha256Digest::from_bytes(h.finalize().into()));

        // spec: bundle-v0 §2.5.2 — a local header whose sizes need zip64 carries both sizes in
        // a zip64 field; make room for it.
        let sizes_need_zip64 = needs_zip64(uncompressed) || needs_zip64(compressed);
        let mut data_end = data_start + compressed;
        let mut header = Vec::with_capacity(LOCAL_LEN + name.len() + 20);
        let mut fixed = local_header(name, method, crc32, compressed, uncompressed, offset);
        if sizes_need_zip64 {
            shift_forward(&mut self.sink, data_start, data_end, 20)?;
            data_end += 20;
            fixed.extra_len = 20;
            fixed.compressed_size = super::zip_format::ZIP64_MARKER;
            fixed.uncompressed_size = super::zip_format::ZIP64_MARKER;
        }
        fixed.encode(&mut header);
        header.extend_from_slice(name.as_bytes());
        if sizes_need_zip64 {
            encode_zip64_extra(&[uncompressed, compressed], &mut header);
        }
        self.sink.seek(SeekFrom::Start(offset))?;
        self.sink.write_all(&header)?;

        self.folded.insert(name.to_ascii_lowercase());
        self.total += uncompressed;
        self.position = data_end;
        self.entries.push(Written {
            name: name.to_owned(),
            method,
            crc32,
            compressed,
            uncompressed,
            offset,
        });
        Ok((
            EntryCrc {
                size: uncompressed,
                crc32,
            },
            sha256,
        ))
    }

    /// Checks the entry set (`bundle.missing_entry`, bundle-v0 §2.4.4), then writes the central
    /// directory, the zip64 end records when §2.5.3 requires them, and the EOCD. Returns the
    /// sink, positioned at the end of the container.
    pub fn finish(mut self) -> Result<W, WriteError> {
        let names: Vec<&str> = self.entries.iter().map(|e| e.name.as_str()).collect();
        check_entry_set(&names)?;
        let count =
            u16::try_from(self.entries.len()).map_err(|_| ContainerError::new(Kind::SizeLimit))?;

        let cd_offset = self.position;
        let mut cd = Vec::new();
        for e in &self.entries {
            let mut zip64 = Vec::new();
            for v in [e.uncompressed, e.compressed, e.offset] {
                if needs_zip64(v) {
                    zip64.push(v);
                }
            }
            let mut extra = Vec::new();
            if !zip64.is_empty() {
                encode_zip64_extra(&zip64, &mut extra);
            }
            CentralHeader {
                version_made_by: VERSION_MADE_BY,
                version_needed: version_needed(e.uncompressed, e.compressed, e.offset),
                flags: 0,
                method: e.method.code(),
                time: DOS_TIME,
                date: DOS_DATE,
                crc32: e.crc32,
                compressed_size: field32(e.compressed),
                uncompressed_size: field32(e.uncompressed),
                name_len: name_len(&e.name),
                extra_len: name_len_bytes(&extra),
                comment_len: 0,
                disk_start: 0,
                internal_attrs: 0,
                external_attrs: EXTERNAL_ATTRS,
                local_offset: field32(e.offset),
            }
            .encode(&mut cd);
            cd.extend_from_slice(e.name.as_bytes());
            cd.extend_from_slice(&extra);
        }
        let cd_size = cd.len() as u64;
        let mut end = Vec::new();
        if needs_zip64(cd_offset) || needs_zip64(cd_size) {
            let record_at = cd_offset + cd_size;
            Zip64Eocd {
                record_size: ZIP64_EOCD_RECORD_SIZE,
                version_made_by: VERSION_MADE_BY,
                version_needed: VERSION_NEEDED_ZIP64,
                disk: 0,
                cd_disk: 0,
                entries_on_disk: u64::from(count),
                entries_total: u64::from(count),
                cd_size,
                cd_offset,
            }
            .encode(&mut end);
            Zip64Locator {
                eocd_disk: 0,
                eocd_offset: record_at,
                total_disks: 1,
            }
            .encode(&mut end);
        }
        Eocd {
            disk: 0,
            cd_disk: 0,
            entries_on_disk: count,
            entries_total: count,
            cd_size: field32(cd_size),
            cd_offset: field32(cd_offset),
            comment_len: 0,
        }
        .encode(&mut end);
        self.sink.seek(SeekFrom::Start(cd_offset))?;
        self.sink.write_all(&cd)?;
        self.sink.write_all(&end)?;
        self.sink.flush()?;
        Ok(self.sink)
    }

    /// The checks made before an entry is written; returns its class.
    fn admit(&self, name: &str, method: Method) -> Result<EntryClass, ContainerError> {
        let err = |kind: Kind| ContainerError::new(kind).with_entry(name.as_bytes());
        check_name(name.as_bytes())?;
        if self.folded.contains(&name.to_ascii_lowercase()) {
            return Err(err(Kind::Name));
        }
        let class = EntryClass::of(name).ok_or_else(|| err(Kind::UnexpectedEntry))?;
        if let Some(previous) = self.entries.last() {
            if cmp_expected(&previous.name, name) != std::cmp::Ordering::Less {
                return Err(err(Kind::EntryOrder));
            }
        }
        if method == Method::Deflated && !deflate_allowed(name) {
            return Err(err(Kind::Method));
        }
        let in_class = self
            .entries
            .iter()
            .filter(|e| EntryClass::of(&e.name) == Some(class))
            .count();
        let class_limit = match class {
            EntryClass::Artifact => self.limits.bundle_max_artifacts,
            EntryClass::Key => self.limits.bundle_max_keys,
            EntryClass::Approval => self.limits.bundle_max_approvals,
            EntryClass::Signature => self.limits.bundle_max_signatures,
            EntryClass::Manifest | EntryClass::Journal => 1,
        };
        if self.entries.len() >= self.limits.bundle_max_entries || in_class >= class_limit {
            return Err(err(Kind::SizeLimit));
        }
        Ok(class)
    }
}

/// The version needed to extract: 45 when the central directory carries a zip64 field.
fn version_needed(uncompressed: u64, compressed: u64, offset: u64) -> u16 {
    if needs_zip64(uncompressed) || needs_zip64(compressed) || needs_zip64(offset) {
        VERSION_NEEDED_ZIP64
    } else {
        VERSION_NEEDED
    }
}

fn local_header(
    name: &str,
    method: Method,
    crc32: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
) -> LocalHeader {
    LocalHeader {
        version_needed: version_needed(uncompressed, compressed, offset),
        flags: 0,
        method: method.code(),
        time: DOS_TIME,
        date: DOS_DATE,
        crc32,
        compressed_size: field32(compressed),
        uncompressed_size: field32(uncompressed),
        name_len: name_len(name),
        extra_len: 0,
    }
}

/// INVARIANT: names passed `check_name` (≤ 255 bytes).
fn name_len(name: &str) -> u16 {
    name_len_bytes(name.as_bytes())
}

/// INVARIANT: only called on names (≤ 255 bytes) and zip64 fields (≤ 28 bytes).
fn name_len_bytes(bytes: &[u8]) -> u16 {
    u16::try_from(bytes.len()).unwrap_or(u16::MAX)
}

/// The entry's source, hashed and counted as it is read, cut off one byte past `limit`.
struct Input<'a, R> {
    source: &'a mut R,
    limit: u64,
    count: u64,
    over_limit: bool,
    crc: crc32fast::Hasher,
    sha256: Option<Sha256>,
}

impl<'a, R: Read> Input<'a, R> {
    fn new(source: &'a mut R, limit: u64, hash: bool) -> Self {
        Self {
            source,
            limit,
            count: 0,
            over_limit: false,
            crc: crc32fast::Hasher::new(),
            sha256: hash.then(Sha256::new),
        }
    }

    /// Reads the next chunk into `buf`; 0 at the end of the source or past the limit.
    fn next(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.over_limit {
            return Ok(0);
        }
        let n = loop {
            match self.source.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        let chunk = buf.get(..n).unwrap_or_default();
        self.count += n as u64;
        if self.count > self.limit {
            self.over_limit = true;
            return Ok(0);
        }
        self.crc.update(chunk);
        if let Some(h) = self.sha256.as_mut() {
            h.update(chunk);
        }
        Ok(n)
    }
}

/// Copies the source unchanged; returns the number of bytes written.
fn copy<R: Read>(input: &mut Input<'_, R>, sink: &mut impl Write) -> io::Result<u64> {
    let mut buf = vec![0u8; BUFFER_BYTES];
    let mut written = 0u64;
    loop {
        let n = input.next(&mut buf)?;
        if n == 0 {
            return Ok(written);
        }
        sink.write_all(buf.get(..n).unwrap_or_default())?;
        written += n as u64;
    }
}

/// Deflates the source (raw RFC 1951, level 6); returns the number of bytes written.
fn deflate_into<R: Read>(input: &mut Input<'_, R>, sink: &mut impl Write) -> io::Result<u64> {
    // spec: bundle-v0 §2.2.2 — miniz_oxide, level 6; window bits 0 selects a raw stream.
    let mut compressor = Box::new(CompressorOxide::new(create_comp_flags_from_zip_params(
        DEFLATE_LEVEL,
        0,
        0,
    )));
    let mut in_buf = vec![0u8; BUFFER_BYTES];
    let mut out_buf = vec![0u8; BUFFER_BYTES];
    let mut written = 0u64;
    let mut emit = |bytes: &[u8], sink: &mut dyn Write| -> io::Result<()> {
        sink.write_all(bytes)?;
        written += bytes.len() as u64;
        Ok(())
    };
    loop {
        let n = input.next(&mut in_buf)?;
        let flush = if n == 0 {
            MZFlush::Finish
        } else {
            MZFlush::None
        };
        let mut pending = in_buf.get(..n).unwrap_or_default();
        loop {
            let result = deflate(&mut compressor, pending, &mut out_buf, flush);
            pending = pending.get(result.bytes_consumed..).unwrap_or_default();
            emit(
                out_buf.get(..result.bytes_written).unwrap_or_default(),
                sink,
            )?;
            match result.status {
                Ok(MZStatus::StreamEnd) => return Ok(written),
                Ok(_) => {}
                Err(e) => {
                    // Buf means "no progress possible": all input taken, wait for more.
                    if e != miniz_oxide::MZError::Buf || flush == MZFlush::Finish {
                        return Err(io::Error::other(format!("deflate failed: {e:?}")));
                    }
                }
            }
            if pending.is_empty()
                && flush != MZFlush::Finish
                && result.bytes_written < out_buf.len()
            {
                break;
            }
        }
    }
}

/// Moves the bytes `[start, end)` of `sink` to `[start + by, end + by)`, copying from the end so
/// that no byte is overwritten before it is moved.
fn shift_forward<W: Read + Write + Seek>(
    sink: &mut W,
    start: u64,
    end: u64,
    by: u64,
) -> io::Result<()> {
    let mut buf = vec![0u8; BUFFER_BYTES];
    let mut chunk_end = end;
    while chunk_end > start {
        let len = (chunk_end - start).min(BUFFER_BYTES as u64);
        let chunk_start = chunk_end - len;
        // INVARIANT: len ≤ BUFFER_BYTES.
        let chunk = buf
            .get_mut(..usize::try_from(len).unwrap_or(BUFFER_BYTES))
            .unwrap_or_default();
        sink.seek(SeekFrom::Start(chunk_start))?;
        sink.read_exact(chunk)?;
        sink.seek(SeekFrom::Start(chunk_start + by))?;
        sink.write_all(chunk)?;
        chunk_end = chunk_start;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn shift_forward_moves_bytes_without_clobbering() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut sink = Cursor::new(data.clone());
        shift_forward(&mut sink, 10, 190_000, 20).unwrap();
        let out = sink.into_inner();
        assert_eq!(&out[30..190_020], &data[10..190_000]);
        assert_eq!(&out[..30], &data[..30]);
    }
}
