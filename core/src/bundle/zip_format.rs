//! Zip record layouts (APPNOTE 6.3.x), the fixed values the deterministic writer uses, and
//! little-endian encoding and decoding of each record's fixed part.
//!
//! spec: bundle-v0 §2.3 (the values a writer uses) and §2.5 (zip64).

/// Signature of a local file header.
pub const LOCAL_SIG: u32 = 0x0403_4b50;
/// Signature of a central-directory file header.
pub const CENTRAL_SIG: u32 = 0x0201_4b50;
/// Signature of the end-of-central-directory record.
pub const EOCD_SIG: u32 = 0x0605_4b50;
/// Signature of the zip64 end-of-central-directory record.
pub const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
/// Signature of the zip64 end-of-central-directory locator.
pub const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;

/// Fixed part of a local header, in bytes (name and extra field follow).
pub const LOCAL_LEN: usize = 30;
/// Fixed part of a central-directory header, in bytes (name, extra, comment follow).
pub const CENTRAL_LEN: usize = 46;
/// The end-of-central-directory record without comment, in bytes.
pub const EOCD_LEN: usize = 22;
/// The zip64 end-of-central-directory record without extensible data, in bytes.
pub const ZIP64_EOCD_LEN: usize = 56;
/// The zip64 end-of-central-directory locator, in bytes.
pub const ZIP64_LOCATOR_LEN: usize = 20;
/// The "size of record" field of a zip64 EOCD without extensible data (its length minus 12).
pub const ZIP64_EOCD_RECORD_SIZE: u64 = 44;

/// A 32-bit size or offset field holding this value has its value in the zip64 field.
pub const ZIP64_MARKER: u32 = 0xFFFF_FFFF;
/// Header ID of the zip64 extended-information extra field.
pub const ZIP64_EXTRA_ID: u16 = 0x0001;

/// Compression method: stored.
pub const METHOD_STORED: u16 = 0;
/// Compression method: deflate (RFC 1951).
pub const METHOD_DEFLATED: u16 = 8;

/// Version made by: host 3 (Unix), spec version 2.0 (bundle-v0 §2.3 item 3).
pub const VERSION_MADE_BY: u16 = 0x0314;
/// Version needed to extract without zip64.
pub const VERSION_NEEDED: u16 = 20;
/// Version needed to extract with zip64.
pub const VERSION_NEEDED_ZIP64: u16 = 45;
/// Last-modified time written: 00:00:00.
pub const DOS_TIME: u16 = 0x0000;
/// Last-modified date written: 1980-01-01.
pub const DOS_DATE: u16 = 0x0021;
/// External attributes written: regular file, mode 0644 (`0o100644 << 16`).
pub const EXTERNAL_ATTRS: u32 = 0o100_644 << 16;
/// Host number of Unix in the high byte of version made by.
pub const HOST_UNIX: u16 = 3;

/// Whether a size or offset needs zip64: it does not fit a 32-bit field below the marker.
pub const fn needs_zip64(value: u64) -> bool {
    value >= ZIP64_MARKER as u64
}

/// The 32-bit field for `value`: the value itself, or the marker when it needs zip64.
pub fn field32(value: u64) -> u32 {
    u32::try_from(value)
        .ok()
        .filter(|v| *v != ZIP64_MARKER)
        .unwrap_or(ZIP64_MARKER)
}

/// Reads little-endian integers from the front of a byte slice.
pub struct LeReader<'a>(&'a [u8]);

impl<'a> LeReader<'a> {
    /// Starts reading at the front of `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    /// The next two bytes as a little-endian `u16`, or `None` at the end.
    pub fn u16(&mut self) -> Option<u16> {
        let (head, rest) = self.0.split_first_chunk::<2>()?;
        self.0 = rest;
        Some(u16::from_le_bytes(*head))
    }

    /// The next four bytes as a little-endian `u32`, or `None` at the end.
    pub fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_le_bytes(*head))
    }

    /// The next eight bytes as a little-endian `u64`, or `None` at the end.
    pub fn u64(&mut self) -> Option<u64> {
        let (head, rest) = self.0.split_first_chunk::<8>()?;
        self.0 = rest;
        Some(u64::from_le_bytes(*head))
    }

    /// The next `n` bytes, or `None` when fewer remain.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    /// The bytes not read yet.
    pub const fn rest(&self) -> &'a [u8] {
        self.0
    }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The fixed part of a local file header (after its signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalHeader {
    /// Version needed to extract.
    pub version_needed: u16,
    /// General-purpose bit flags.
    pub flags: u16,
    /// Compression method.
    pub method: u16,
    /// DOS last-modified time.
    pub time: u16,
    /// DOS last-modified date.
    pub date: u16,
    /// CRC-32 of the uncompressed data.
    pub crc32: u32,
    /// Compressed size, or the zip64 marker.
    pub compressed_size: u32,
    /// Uncompressed size, or the zip64 marker.
    pub uncompressed_size: u32,
    /// Length of the name that follows.
    pub name_len: u16,
    /// Length of the extra field that follows the name.
    pub extra_len: u16,
}

impl LocalHeader {
    /// Decodes the 30 fixed bytes; `None` when the signature is wrong.
    pub fn decode(bytes: &[u8; LOCAL_LEN]) -> Option<Self> {
        let mut r = LeReader::new(bytes);
        if r.u32()? != LOCAL_SIG {
            return None;
        }
        Some(Self {
            version_needed: r.u16()?,
            flags: r.u16()?,
            method: r.u16()?,
            time: r.u16()?,
            date: r.u16()?,
            crc32: r.u32()?,
            compressed_size: r.u32()?,
            uncompressed_size: r.u32()?,
            name_len: r.u16()?,
            extra_len: r.u16()?,
        })
    }

    /// Appends the 30 fixed bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put32(out, LOCAL_SIG);
        put16(out, self.version_needed);
        put16(out, self.flags);
        put16(out, self.method);
        put16(out, self.time);
        put16(out, self.date);
        put32(out, self.crc32);
        put32(out, self.compressed_size);
        put32(out, self.uncompressed_size);
        put16(out, self.name_len);
        put16(out, self.extra_len);
    }
}

/// The fixed part of a central-directory file header (after its signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CentralHeader {
    /// Version made by (high byte: host system).
    pub version_made_by: u16,
    /// Version needed to extract.
    pub version_needed: u16,
    /// General-purpose bit flags.
    pub flags: u16,
    /// Compression method.
    pub method: u16,
    /// DOS last-modified time.
    pub time: u16,
    /// DOS last-modified date.
    pub date: u16,
    /// CRC-32 of the uncompressed data.
    pub crc32: u32,
    /// Compressed size, or the zip64 marker.
    pub compressed_size: u32,
    /// Uncompressed size, or the zip64 marker.
    pub uncompressed_size: u32,
    /// Length of the name that follows.
    pub name_len: u16,
    /// Length of the extra field that follows the name.
    pub extra_len: u16,
    /// Length of the file comment that follows the extra field.
    pub comment_len: u16,
    /// Disk number where the entry starts.
    pub disk_start: u16,
    /// Internal file attributes.
    pub internal_attrs: u16,
    /// External file attributes (Unix mode in the high 16 bits).
    pub external_attrs: u32,
    /// Offset of the local header, or the zip64 marker.
    pub local_offset: u32,
}

impl CentralHeader {
    /// Decodes the 46 fixed bytes; `None` when the signature is wrong.
    pub fn decode(bytes: &[u8; CENTRAL_LEN]) -> Option<Self> {
        let mut r = LeReader::new(bytes);
        if r.u32()? != CENTRAL_SIG {
            return None;
        }
        Some(Self {
            version_made_by: r.u16()?,
            version_needed: r.u16()?,
            flags: r.u16()?,
            method: r.u16()?,
            time: r.u16()?,
            date: r.u16()?,
            crc32: r.u32()?,
            compressed_size: r.u32()?,
            uncompressed_size: r.u32()?,
            name_len: r.u16()?,
            extra_len: r.u16()?,
            comment_len: r.u16()?,
            disk_start: r.u16()?,
            internal_attrs: r.u16()?,
            external_attrs: r.u32()?,
            local_offset: r.u32()?,
        })
    }

    /// Appends the 46 fixed bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put32(out, CENTRAL_SIG);
        put16(out, self.version_made_by);
        put16(out, self.version_needed);
        put16(out, self.flags);
        put16(out, self.method);
        put16(out, self.time);
        put16(out, self.date);
        put32(out, self.crc32);
        put32(out, self.compressed_size);
        put32(out, self.uncompressed_size);
        put16(out, self.name_len);
        put16(out, self.extra_len);
        put16(out, self.comment_len);
        put16(out, self.disk_start);
        put16(out, self.internal_attrs);
        put32(out, self.external_attrs);
        put32(out, self.local_offset);
    }
}

/// The end-of-central-directory record (after its signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eocd {
    /// Number of this disk.
    pub disk: u16,
    /// Disk where the central directory starts.
    pub cd_disk: u16,
    /// Central-directory records on this disk.
    pub entries_on_disk: u16,
    /// Central-directory records in total.
    pub entries_total: u16,
    /// Size of the central directory, or the zip64 marker.
    pub cd_size: u32,
    /// Offset of the central directory, or the zip64 marker.
    pub cd_offset: u32,
    /// Length of the archive comment.
    pub comment_len: u16,
}

impl Eocd {
    /// Decodes the 22 bytes; `None` when the signature is wrong.
    pub fn decode(bytes: &[u8; EOCD_LEN]) -> Option<Self> {
        let mut r = LeReader::new(bytes);
        if r.u32()? != EOCD_SIG {
            return None;
        }
        Some(Self {
            disk: r.u16()?,
            cd_disk: r.u16()?,
            entries_on_disk: r.u16()?,
            entries_total: r.u16()?,
            cd_size: r.u32()?,
            cd_offset: r.u32()?,
            comment_len: r.u16()?,
        })
    }

    /// Appends the 22 bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put32(out, EOCD_SIG);
        put16(out, self.disk);
        put16(out, self.cd_disk);
        put16(out, self.entries_on_disk);
        put16(out, self.entries_total);
        put32(out, self.cd_size);
        put32(out, self.cd_offset);
        put16(out, self.comment_len);
    }
}

/// The zip64 end-of-central-directory record (after its signature), without extensible data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zip64Eocd {
    /// Size of the rest of the record (44 without extensible data).
    pub record_size: u64,
    /// Version made by.
    pub version_made_by: u16,
    /// Version needed to extract.
    pub version_needed: u16,
    /// Number of this disk.
    pub disk: u32,
    /// Disk where the central directory starts.
    pub cd_disk: u32,
    /// Central-directory records on this disk.
    pub entries_on_disk: u64,
    /// Central-directory records in total.
    pub entries_total: u64,
    /// Size of the central directory.
    pub cd_size: u64,
    /// Offset of the central directory.
    pub cd_offset: u64,
}

impl Zip64Eocd {
    /// Decodes the 56 bytes; `None` when the signature is wrong.
    pub fn decode(bytes: &[u8; ZIP64_EOCD_LEN]) -> Option<Self> {
        let mut r = LeReader::new(bytes);
        if r.u32()? != ZIP64_EOCD_SIG {
            return None;
        }
        Some(Self {
            record_size: r.u64()?,
            version_made_by: r.u16()?,
            version_needed: r.u16()?,
            disk: r.u32()?,
            cd_disk: r.u32()?,
            entries_on_disk: r.u64()?,
            entries_total: r.u64()?,
            cd_size: r.u64()?,
            cd_offset: r.u64()?,
        })
    }

    /// Appends the 56 bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put32(out, ZIP64_EOCD_SIG);
        put64(out, self.record_size);
        put16(out, self.version_made_by);
        put16(out, self.version_needed);
        put32(out, self.disk);
        put32(out, self.cd_disk);
        put64(out, self.entries_on_disk);
        put64(out, self.entries_total);
        put64(out, self.cd_size);
        put64(out, self.cd_offset);
    }
}

/// The zip64 end-of-central-directory locator (after its signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zip64Locator {
    /// Disk holding the zip64 EOCD record.
    pub eocd_disk: u32,
    /// Offset of the zip64 EOCD record.
    pub eocd_offset: u64,
    /// Total number of disks.
    pub total_disks: u32,
}

impl Zip64Locator {
    /// Decodes the 20 bytes; `None` when the signature is wrong.
    pub fn decode(bytes: &[u8; ZIP64_LOCATOR_LEN]) -> Option<Self> {
        let mut r = LeReader::new(bytes);
        if r.u32()? != ZIP64_LOCATOR_SIG {
            return None;
        }
        Some(Self {
            eocd_disk: r.u32()?,
            eocd_offset: r.u64()?,
            total_disks: r.u32()?,
        })
    }

    /// Appends the 20 bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put32(out, ZIP64_LOCATOR_SIG);
        put32(out, self.eocd_disk);
        put64(out, self.eocd_offset);
        put32(out, self.total_disks);
    }
}

/// Appends a zip64 extended-information field holding `values` (8 bytes each, in order).
pub fn encode_zip64_extra(values: &[u64], out: &mut Vec<u8>) {
    put16(out, ZIP64_EXTRA_ID);
    // INVARIANT: at most three values, so the data length (≤ 24) fits a u16.
    put16(out, u16::try_from(values.len() * 8).unwrap_or(u16::MAX));
    for v in values {
        put64(out, *v);
    }
}

/// Parses an extra field that must be empty or exactly one zip64 field; returns its values
/// (empty when the extra field is empty), or `None` when the extra field is anything else or
/// the zip64 data is not a whole number of 8-byte values.
pub fn decode_zip64_extra(extra: &[u8]) -> Option<Vec<u64>> {
    if extra.is_empty() {
        return Some(Vec::new());
    }
    let mut r = LeReader::new(extra);
    if r.u16()? != ZIP64_EXTRA_ID {
        return None;
    }
    let len = usize::from(r.u16()?);
    let data = r.bytes(len)?;
    if !r.rest().is_empty() || len % 8 != 0 {
        return None;
    }
    let mut values = LeReader::new(data);
    (0..len / 8).map(|_| values.u64()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let local = LocalHeader {
            version_needed: 20,
            flags: 0,
            method: 8,
            time: 0,
            date: 0x21,
            crc32: 0xdead_beef,
            compressed_size: 5,
            uncompressed_size: 7,
            name_len: 3,
            extra_len: 0,
        };
        let mut out = Vec::new();
        local.encode(&mut out);
        let fixed: [u8; LOCAL_LEN] = out.as_slice().try_into().unwrap();
        assert_eq!(LocalHeader::decode(&fixed), Some(local));

        let z = Zip64Eocd {
            record_size: 44,
            version_made_by: VERSION_MADE_BY,
            version_needed: 45,
            disk: 0,
            cd_disk: 0,
            entries_on_disk: 3,
            entries_total: 3,
            cd_size: 1 << 33,
            cd_offset: 9,
        };
        let mut out = Vec::new();
        z.encode(&mut out);
        let fixed: [u8; ZIP64_EOCD_LEN] = out.as_slice().try_into().unwrap();
        assert_eq!(Zip64Eocd::decode(&fixed), Some(z));
        assert_eq!(EXTERNAL_ATTRS, 0x81A4_0000);
    }

    #[test]
    fn zip64_fields() {
        assert!(!needs_zip64(0xFFFF_FFFE));
        assert!(needs_zip64(0xFFFF_FFFF));
        assert_eq!(field32(0xFFFF_FFFE), 0xFFFF_FFFE);
        assert_eq!(field32(0xFFFF_FFFF), ZIP64_MARKER);
        assert_eq!(field32(1 << 40), ZIP64_MARKER);
        let mut extra = Vec::new();
        encode_zip64_extra(&[1 << 32, 5], &mut extra);
        assert_eq!(decode_zip64_extra(&extra), Some(vec![1 << 32, 5]));
        assert_eq!(decode_zip64_extra(&[]), Some(vec![]));
        assert_eq!(decode_zip64_extra(&[2, 0, 0, 0]), None);
        assert_eq!(decode_zip64_extra(&[1, 0, 4, 0, 0, 0, 0, 0]), None);
        assert_eq!(decode_zip64_extra(&[1, 0, 0, 0, 1]), None);
    }
}
