//! Vectorgen's own byte-level zip encoder for hostile containers (conformance.md §4.2): it writes
//! exactly the fields it is given, so that exactly the intended defect is present. With no field
//! overridden it writes the layout of bundle-v0.md §2.3.

use clyra_core::bundle::{Method, DEFLATE_LEVEL};

/// One entry, every header field explicit.
#[derive(Clone, Debug)]
pub struct RawEntry {
    /// Name in the central directory.
    pub name: Vec<u8>,
    /// Name in the local header.
    pub local_name: Vec<u8>,
    /// Method code in both headers.
    pub method: u16,
    /// Method code in the local header.
    pub local_method: u16,
    /// General-purpose flags in both headers.
    pub flags: u16,
    /// The bytes as stored in the file (compressed when deflated).
    pub stored: Vec<u8>,
    /// CRC-32 in both headers.
    pub crc: u32,
    /// Uncompressed size in both headers.
    pub size: u32,
    /// Extra field in both headers.
    pub extra: Vec<u8>,
}

/// Raw deflate at the pinned level (bundle-v0.md §2.2.2).
pub fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(data, DEFLATE_LEVEL as u8)
}

impl RawEntry {
    /// An honest entry.
    pub fn new(name: &str, method: Method, data: &[u8]) -> RawEntry {
        let (code, stored) = match method {
            Method::Stored => (0, data.to_vec()),
            Method::Deflated => (8, deflate(data)),
        };
        RawEntry {
            name: name.as_bytes().to_vec(),
            local_name: name.as_bytes().to_vec(),
            method: code,
            local_method: code,
            flags: 0,
            stored,
            crc: crc32fast::hash(data),
            size: u32::try_from(data.len()).unwrap_or(u32::MAX),
            extra: Vec::new(),
        }
    }
}

fn p16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn p32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn len16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Writes local records, the central directory and the EOCD (with `comment`).
pub fn encode(entries: &[RawEntry], comment: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push(len32(out.len()));
        p32(&mut out, 0x0403_4b50);
        p16(&mut out, 20);
        p16(&mut out, e.flags);
        p16(&mut out, e.local_method);
        p16(&mut out, 0);
        p16(&mut out, 0x0021);
        p32(&mut out, e.crc);
        p32(&mut out, len32(e.stored.len()));
        p32(&mut out, e.size);
        p16(&mut out, len16(e.local_name.len()));
        p16(&mut out, len16(e.extra.len()));
        out.extend_from_slice(&e.local_name);
        out.extend_from_slice(&e.extra);
        out.extend_from_slice(&e.stored);
    }
    let cd_offset = len32(out.len());
    for (e, offset) in entries.iter().zip(&offsets) {
        p32(&mut out, 0x0201_4b50);
        p16(&mut out, 0x0314);
        p16(&mut out, 20);
        p16(&mut out, e.flags);
        p16(&mut out, e.method);
        p16(&mut out, 0);
        p16(&mut out, 0x0021);
        p32(&mut out, e.crc);
        p32(&mut out, len32(e.stored.len()));
        p32(&mut out, e.size);
        p16(&mut out, len16(e.name.len()));
        p16(&mut out, len16(e.extra.len()));
        p16(&mut out, 0);
        p16(&mut out, 0);
        p16(&mut out, 0);
        p32(&mut out, 0x81A4_0000);
        p32(&mut out, *offset);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.extra);
    }
    let cd_size = len32(out.len()) - cd_offset;
    p32(&mut out, 0x0605_4b50);
    p16(&mut out, 0);
    p16(&mut out, 0);
    p16(&mut out, len16(entries.len()));
    p16(&mut out, len16(entries.len()));
    p32(&mut out, cd_size);
    p32(&mut out, cd_offset);
    p16(&mut out, len16(comment.len()));
    out.extend_from_slice(comment);
    out
}
