//! The bundle container (bundle-v0 §2): writer round trips, determinism, and hostile zips built
//! byte by byte, each rejected with its exact code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{self, Cursor};

use clyra_core::bundle::{
    check_entry_set, Container, ContainerError, ContainerWriter, EntryDigest, Method, WriteError,
};
use clyra_core::digest::Sha256Digest;
use clyra_core::{Coded, Limits};
use common::Rng;

const HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn key_name() -> String {
    format!("keys/{HEX}.pub.pem")
}

fn sig_name() -> String {
    format!("signatures/{HEX}.dsse.json")
}

/// The entries of a small valid bundle: (name, method, bytes).
fn sample_entries() -> Vec<(String, Method, Vec<u8>)> {
    let journal = br#"{"at":"2026-11-20T09:00:00Z","data":{},"kind":"run.started","prev":"sha256:0000000000000000000000000000000000000000000000000000000000000000","seq":0}
"#
    .to_vec();
    vec![
        (
            "manifest.json".into(),
            Method::Deflated,
            br#"{"format":"def/v0","note":"PK\u0005\u0006 inside data is fine"}"#.to_vec(),
        ),
        (
            "journal.ndjson".into(),
            Method::Deflated,
            journal.repeat(50),
        ),
        (
            "artifacts/blob.bin".into(),
            Method::Stored,
            Rng(7).bytes(200_000),
        ),
        ("artifacts/empty.json".into(), Method::Deflated, Vec::new()),
        (
            "artifacts/run_results.json".into(),
            Method::Deflated,
            br#"{"results":[]}"#.repeat(5000),
        ),
        (
            key_name(),
            Method::Stored,
            b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".to_vec(),
        ),
        (
            "approvals/0001.dsse.json".into(),
            Method::Stored,
            b"{}".to_vec(),
        ),
        (sig_name(), Method::Stored, b"{\"payload\":\"\"}".to_vec()),
    ]
}

fn write(entries: &[(String, Method, Vec<u8>)]) -> (Vec<u8>, Vec<EntryDigest>) {
    let mut writer = ContainerWriter::new(Cursor::new(Vec::new()), &Limits::default());
    let digests = entries
        .iter()
        .map(|(name, method, bytes)| writer.add_entry(name, *method, bytes.as_slice()).unwrap())
        .collect();
    (writer.finish().unwrap().into_inner(), digests)
}

fn open<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<Container<Cursor<&'a [u8]>>, ContainerError> {
    Container::open(Cursor::new(bytes), bytes.len() as u64, limits)
}

/// The container step as a verifier runs it: open, stream every entry, then the entry set.
fn container_step(bytes: &[u8], limits: &Limits) -> Result<(), ContainerError> {
    let mut container = open(bytes, limits)?;
    for index in 0..container.entries().len() {
        container.read_entry(index, &mut io::sink())?;
    }
    let names: Vec<String> = container.entries().iter().map(|e| e.name.clone()).collect();
    check_entry_set(&names)
}

fn code(bytes: &[u8]) -> &'static str {
    code_with(bytes, &Limits::default())
}

fn code_with(bytes: &[u8], limits: &Limits) -> &'static str {
    container_step(bytes, limits).map_or_else(|e| e.code(), |()| "ok")
}

#[test]
fn round_trip_names_bytes_and_digests() {
    let entries = sample_entries();
    let (bytes, digests) = write(&entries);
    let mut container = open(&bytes, &Limits::default()).unwrap();
    let names: Vec<&str> = container
        .entries()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let expected: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, expected);
    for (index, (name, method, content)) in entries.iter().enumerate() {
        let info = container.entries()[index].clone();
        assert_eq!(info.method, *method, "{name}");
        assert_eq!(info.uncompressed_size, content.len() as u64);
        let mut out = Vec::new();
        let digest = container.read_entry(index, &mut out).unwrap();
        assert_eq!(&out, content, "{name}");
        assert_eq!(digest, digests[index]);
        assert_eq!(digest.sha256, Sha256Digest::of(content));
        assert_eq!(digest.size, content.len() as u64);
        assert_eq!(
            container.read_small_entry(index, 1 << 20).unwrap(),
            *content
        );
    }
    let big = container.read_small_entry(2, 1000).unwrap_err();
    assert_eq!(big.code(), "zip.size_limit");
    assert_eq!(code(&bytes), "ok");
    // Deflate actually happened where asked, and the run_results artifact shrank.
    let rr = &container.entries()[4];
    assert!(rr.compressed_size < rr.uncompressed_size / 10);
}

#[test]
fn writer_is_deterministic_and_lays_out_exactly() {
    let (a, _) = write(&sample_entries());
    let (b, _) = write(&sample_entries());
    assert_eq!(a, b);
    assert_eq!(&a[..4], b"PK\x03\x04");
    // EOCD: last 22 bytes, no comment; version made by 0x0314, time 0, date 0x21, attrs 0644.
    let eocd = &a[a.len() - 22..];
    assert_eq!(&eocd[..4], b"PK\x05\x06");
    assert_eq!(&eocd[20..], &[0, 0]);
    let cd_offset = u32::from_le_bytes(eocd[16..20].try_into().unwrap()) as usize;
    let cd = &a[cd_offset..];
    assert_eq!(&cd[..4], b"PK\x01\x02");
    assert_eq!(&cd[4..6], &0x0314u16.to_le_bytes());
    assert_eq!(&cd[6..8], &20u16.to_le_bytes());
    assert_eq!(&cd[8..10], &[0, 0]);
    assert_eq!(&cd[12..16], &[0, 0, 0x21, 0]);
    assert_eq!(&cd[38..42], &0x81A4_0000u32.to_le_bytes());
    assert_eq!(&a[10..14], &[0, 0, 0x21, 0]);
    // A golden digest pins the whole layout (update only on a deliberate format change).
    let mut w = ContainerWriter::new(Cursor::new(Vec::new()), &Limits::default());
    w.add_entry("manifest.json", Method::Stored, &b"{}"[..])
        .unwrap();
    w.add_entry("journal.ndjson", Method::Deflated, &b"{}\n"[..])
        .unwrap();
    w.add_entry(&key_name(), Method::Stored, &b"k"[..]).unwrap();
    w.add_entry(&sig_name(), Method::Stored, &b"s"[..]).unwrap();
    let small = w.finish().unwrap().into_inner();
    assert_eq!(
        Sha256Digest::of(&small).to_hex(),
        "95dd84edc28ffd21eca5fc86c110ca02488138a6b8dac5af5f30cad8aa66236c"
    );
}

#[test]
fn writer_refuses_what_readers_reject() {
    let limits = Limits::default();
    let new = || ContainerWriter::new(Cursor::new(Vec::new()), &limits);
    let err_code = |r: Result<EntryDigest, WriteError>| match r {
        Err(WriteError::Container(e)) => e.code(),
        Err(e) => panic!("{e}"),
        Ok(_) => "ok",
    };
    let mut w = new();
    assert_eq!(
        err_code(w.add_entry("../x", Method::Stored, &b""[..])),
        "zip.name"
    );
    assert_eq!(
        err_code(w.add_entry("x", Method::Stored, &b""[..])),
        "bundle.unexpected_entry"
    );
    assert_eq!(
        err_code(w.add_entry(&key_name(), Method::Deflated, &b""[..])),
        "zip.method"
    );
    assert_eq!(
        err_code(w.add_entry("artifacts/a.bin", Method::Deflated, &b""[..])),
        "zip.method"
    );
    assert_eq!(
        err_code(w.add_entry("journal.ndjson", Method::Stored, &b""[..])),
        "ok"
    );
    assert_eq!(
        err_code(w.add_entry("manifest.json", Method::Stored, &b""[..])),
        "bundle.entry_order"
    );
    assert_eq!(
        err_code(w.add_entry("artifacts/B", Method::Stored, &b""[..])),
        "ok"
    );
    assert_eq!(
        err_code(w.add_entry("artifacts/b", Method::Stored, &b""[..])),
        "zip.name"
    );
    assert_eq!(
        err_code(w.add_entry("artifacts/A", Method::Stored, &b""[..])),
        "bundle.entry_order"
    );
    match w.finish() {
        Err(WriteError::Container(e)) => assert_eq!(e.code(), "bundle.missing_entry"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let mut tight = Limits::default();
    tight.bundle_max_manifest_bytes = 10;
    let mut w = ContainerWriter::new(Cursor::new(Vec::new()), &tight);
    assert_eq!(
        err_code(w.add_entry("manifest.json", Method::Deflated, &[b' '; 11][..])),
        "zip.size_limit"
    );
}

// ---------------------------------------------------------------------------------------------
// A byte-level zip assembler for hostile containers.

#[derive(Clone)]
struct Raw {
    name: Vec<u8>,
    local_name: Option<Vec<u8>>,
    method: u16,
    local_method: Option<u16>,
    flags: u16,
    local_flags: Option<u16>,
    made_by: u16,
    attrs: u32,
    crc: u32,
    local_crc: Option<u32>,
    data: Vec<u8>,
    csize: u32,
    usize: u32,
    local_csize: Option<u32>,
    local_usize: Option<u32>,
    central_extra: Vec<u8>,
    local_extra: Vec<u8>,
    comment: Vec<u8>,
    offset: Option<u32>,
    gap_after: Vec<u8>,
}

fn stored(name: &str, content: &[u8]) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        local_name: None,
        method: 0,
        local_method: None,
        flags: 0,
        local_flags: None,
        made_by: 0x0314,
        attrs: 0x81A4_0000,
        crc: crc32fast::hash(content),
        local_crc: None,
        data: content.to_vec(),
        csize: content.len() as u32,
        usize: content.len() as u32,
        local_csize: None,
        local_usize: None,
        central_extra: Vec::new(),
        local_extra: Vec::new(),
        comment: Vec::new(),
        offset: None,
        gap_after: Vec::new(),
    }
}

fn deflated(name: &str, content: &[u8]) -> Raw {
    let data = miniz_oxide::deflate::compress_to_vec(content, 6);
    Raw {
        method: 8,
        csize: data.len() as u32,
        data,
        ..stored(name, content)
    }
}

#[derive(Clone, Default)]
struct Zip {
    entries: Vec<Raw>,
    prefix: Vec<u8>,
    before_eocd: Vec<u8>,
    trailing: Vec<u8>,
    comment: Vec<u8>,
    count: Option<u16>,
    disk: u16,
}

fn u16le(v: u16) -> [u8; 2] {
    v.to_le_bytes()
}
fn u32le(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

impl Zip {
    fn valid() -> Self {
        Self {
            entries: vec![
                deflated("manifest.json", br#"{"format":"def/v0"}"#),
                stored("journal.ndjson", b"{}\n"),
                stored("artifacts/a.bin", b"artifact bytes"),
                stored(&key_name(), b"key"),
                stored(&sig_name(), b"sig"),
            ],
            ..Self::default()
        }
    }

    fn with(mut self, index: usize, edit: impl FnOnce(&mut Raw)) -> Self {
        edit(&mut self.entries[index]);
        self
    }

    fn build(&self) -> Vec<u8> {
        let mut out = self.prefix.clone();
        let mut offsets = Vec::new();
        for e in &self.entries {
            offsets.push(out.len() as u32);
            let local_name = e.local_name.as_ref().unwrap_or(&e.name);
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&u16le(20));
            out.extend_from_slice(&u16le(e.local_flags.unwrap_or(e.flags)));
            out.extend_from_slice(&u16le(e.local_method.unwrap_or(e.method)));
            out.extend_from_slice(&u16le(0));
            out.extend_from_slice(&u16le(0x21));
            out.extend_from_slice(&u32le(e.local_crc.unwrap_or(e.crc)));
            out.extend_from_slice(&u32le(e.local_csize.unwrap_or(e.csize)));
            out.extend_from_slice(&u32le(e.local_usize.unwrap_or(e.usize)));
            out.extend_from_slice(&u16le(local_name.len() as u16));
            out.extend_from_slice(&u16le(e.local_extra.len() as u16));
            out.extend_from_slice(local_name);
            out.extend_from_slice(&e.local_extra);
            out.extend_from_slice(&e.data);
            out.extend_from_slice(&e.gap_after);
        }
        let cd_offset = out.len() as u32;
        for (e, offset) in self.entries.iter().zip(offsets) {
            out.extend_from_slice(b"PK\x01\x02");
            out.extend_from_slice(&u16le(e.made_by));
            out.extend_from_slice(&u16le(20));
            out.extend_from_slice(&u16le(e.flags));
            out.extend_from_slice(&u16le(e.method));
            out.extend_from_slice(&u16le(0));
            out.extend_from_slice(&u16le(0x21));
            out.extend_from_slice(&u32le(e.crc));
            out.extend_from_slice(&u32le(e.csize));
            out.extend_from_slice(&u32le(e.usize));
            out.extend_from_slice(&u16le(e.name.len() as u16));
            out.extend_from_slice(&u16le(e.central_extra.len() as u16));
            out.extend_from_slice(&u16le(e.comment.len() as u16));
            out.extend_from_slice(&u16le(0));
            out.extend_from_slice(&u16le(0));
            out.extend_from_slice(&u32le(e.attrs));
            out.extend_from_slice(&u32le(e.offset.unwrap_or(offset)));
            out.extend_from_slice(&e.name);
            out.extend_from_slice(&e.central_extra);
            out.extend_from_slice(&e.comment);
        }
        let cd_size = out.len() as u32 - cd_offset;
        out.extend_from_slice(&self.before_eocd);
        let count = self.count.unwrap_or(self.entries.len() as u16);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&u16le(self.disk));
        out.extend_from_slice(&u16le(0));
        out.extend_from_slice(&u16le(count));
        out.extend_from_slice(&u16le(count));
        out.extend_from_slice(&u32le(cd_size));
        out.extend_from_slice(&u32le(cd_offset));
        out.extend_from_slice(&u16le(self.comment.len() as u16));
        out.extend_from_slice(&self.comment);
        out.extend_from_slice(&self.trailing);
        out
    }
}

fn zip64_extra(values: &[u64]) -> Vec<u8> {
    let mut out = vec![1, 0];
    out.extend_from_slice(&u16le(values.len() as u16 * 8));
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[test]
fn the_assembler_builds_a_valid_bundle() {
    assert_eq!(code(&Zip::valid().build()), "ok");
}

#[test]
fn end_record_problems_are_zip_eocd() {
    let valid = Zip::valid().build();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty file", Vec::new()),
        ("21 bytes", vec![0; 21]),
        ("random bytes", Rng(1).bytes(5000)),
        (
            "prefix bytes",
            Zip {
                prefix: b"#!/bin/sh\n".to_vec(),
                ..Zip::valid()
            }
            .build(),
        ),
        (
            "trailing bytes",
            Zip {
                trailing: vec![0],
                ..Zip::valid()
            }
            .build(),
        ),
        (
            "archive comment",
            Zip {
                comment: b"hi".to_vec(),
                ..Zip::valid()
            }
            .build(),
        ),
        ("two EOCDs", {
            let mut z = Zip::valid();
            z.before_eocd = valid[valid.len() - 22..].to_vec();
            z.build()
        }),
        (
            "bytes between directory and EOCD",
            Zip {
                before_eocd: vec![0; 4],
                ..Zip::valid()
            }
            .build(),
        ),
        (
            "count too high",
            Zip {
                count: Some(6),
                ..Zip::valid()
            }
            .build(),
        ),
        (
            "count too low",
            Zip {
                count: Some(4),
                ..Zip::valid()
            }
            .build(),
        ),
        (
            "disk number",
            Zip {
                disk: 1,
                ..Zip::valid()
            }
            .build(),
        ),
        ("truncated by one byte", valid[..valid.len() - 1].to_vec()),
        ("truncated in the middle", valid[..valid.len() / 2].to_vec()),
        (
            "first offset not 0",
            Zip::valid().with(0, |e| e.offset = Some(1)).build(),
        ),
    ];
    for (why, bytes) in cases {
        assert_eq!(code(&bytes), "zip.eocd", "{why}");
    }
    // A copy of a valid bundle with its EOCD moved: the reader never searches backwards.
    let mut shifted = valid.clone();
    shifted.extend_from_slice(&[0; 22]);
    assert_eq!(code(&shifted), "zip.eocd");
}

#[test]
fn zip64_end_records_only_when_needed() {
    // A zip64 EOCD record and locator before a normal EOCD: the directory does not end at the
    // EOCD, so the unneeded zip64 records fail as zip.eocd.
    let valid = Zip::valid().build();
    let eocd_at = valid.len() - 22;
    let cd_offset = u32::from_le_bytes(valid[eocd_at + 16..eocd_at + 20].try_into().unwrap());
    let cd_size = u32::from_le_bytes(valid[eocd_at + 12..eocd_at + 16].try_into().unwrap());
    let mut z64 = Vec::new();
    z64.extend_from_slice(b"PK\x06\x06");
    z64.extend_from_slice(&44u64.to_le_bytes());
    z64.extend_from_slice(&u16le(0x0314));
    z64.extend_from_slice(&u16le(45));
    z64.extend_from_slice(&[0; 8]);
    z64.extend_from_slice(&5u64.to_le_bytes());
    z64.extend_from_slice(&5u64.to_le_bytes());
    z64.extend_from_slice(&u64::from(cd_size).to_le_bytes());
    z64.extend_from_slice(&u64::from(cd_offset).to_le_bytes());
    let mut locator = Vec::new();
    locator.extend_from_slice(b"PK\x06\x07");
    locator.extend_from_slice(&[0; 4]);
    locator.extend_from_slice(&(u64::from(cd_offset + cd_size)).to_le_bytes());
    locator.extend_from_slice(&u32le(1));
    let unneeded = Zip {
        before_eocd: [z64.clone(), locator.clone()].concat(),
        ..Zip::valid()
    };
    assert_eq!(code(&unneeded.build()), "zip.eocd");

    // The same records, with the EOCD pointing at them through markers, but values that fit:
    // the 32-bit fields must hold the marker only when the value needs it.
    let mut bytes = unneeded.build();
    let at = bytes.len() - 22;
    bytes[at + 12..at + 20].copy_from_slice(&[0xFF; 8]);
    assert_eq!(code(&bytes), "zip.eocd");

    // Markers without any zip64 records.
    let mut bytes = valid.clone();
    bytes[eocd_at + 16..eocd_at + 20].copy_from_slice(&[0xFF; 4]);
    assert_eq!(code(&bytes), "zip.eocd");
}

#[test]
fn names() {
    let cases = [
        "artifacts/../manifest.json",
        "/etc/passwd",
        "artifacts\\a.bin",
        "artifacts/",
        "artifacts//a",
        "artifacts/./a",
        "artifacts/a b",
        "artifacts/\u{e9}",
    ];
    for name in cases {
        let z = Zip::valid().with(2, |e| e.name = name.as_bytes().to_vec());
        assert_eq!(code(&z.build()), "zip.name", "{name}");
    }
    let long = format!("artifacts/{}", "a".repeat(246));
    assert_eq!(
        code(&Zip::valid().with(2, |e| e.name = long.into_bytes()).build()),
        "zip.name"
    );
    let nul = Zip::valid().with(2, |e| e.name = b"artifacts/a\0".to_vec());
    assert_eq!(code(&nul.build()), "zip.name");
    // Case-fold duplicates: the later one fails, whatever the order check would say.
    let mut z = Zip::valid();
    z.entries.insert(3, stored("artifacts/A.bin", b"x"));
    assert_eq!(code(&z.build()), "zip.name");
    let mut z = Zip::valid();
    z.entries.insert(1, stored("MANIFEST.json", b"x"));
    let err = container_step(&z.build(), &Limits::default()).unwrap_err();
    assert_eq!(
        (err.code(), err.entry()),
        ("zip.name", Some("MANIFEST.json"))
    );
}

#[test]
fn flags_and_file_types() {
    for (why, flags) in [
        ("encryption", 1u16),
        ("data descriptor", 8),
        ("utf-8", 0x800),
        ("bit 15", 0x8000),
    ] {
        let z = Zip::valid().with(2, |e| e.flags = flags);
        assert_eq!(code(&z.build()), "zip.flags", "{why}");
    }
    for (why, attrs) in [
        ("directory", 0o040_755u32 << 16),
        ("symlink", 0o120_777 << 16),
        ("fifo", 0o010_644 << 16),
    ] {
        let z = Zip::valid().with(2, |e| e.attrs = attrs);
        assert_eq!(code(&z.build()), "zip.flags", "{why}");
    }
    // File types are only read for Unix hosts; a type-less Unix mode is fine.
    assert_eq!(
        code(&Zip::valid().with(2, |e| e.attrs = 0o644 << 16).build()),
        "ok"
    );
    let dos = Zip::valid().with(2, |e| {
        e.made_by = 0x0014;
        e.attrs = 0o040_755 << 16;
    });
    assert_eq!(code(&dos.build()), "ok");
}

#[test]
fn methods() {
    for method in [1u16, 9, 12, 14, 93, 99] {
        let z = Zip::valid().with(2, |e| {
            e.method = method;
            e.local_method = Some(method);
        });
        assert_eq!(code(&z.build()), "zip.method", "method {method}");
    }
    let mut z = Zip::valid();
    z.entries[2] = deflated("artifacts/a.bin", b"not json");
    assert_eq!(
        code(&z.build()),
        "zip.method",
        "deflate on a non-JSON artifact"
    );
    let mut z = Zip::valid();
    z.entries[3] = deflated(&key_name(), b"key");
    assert_eq!(code(&z.build()), "zip.method", "deflate on a key");
    let z = Zip::valid().with(2, |e| {
        e.csize -= 1;
        e.data.pop();
    });
    assert_eq!(code(&z.build()), "zip.method", "stored sizes differ");
    // Deflate is fine on JSON and NDJSON artifacts.
    let mut z = Zip::valid();
    z.entries.insert(3, deflated("artifacts/a.ndjson", b"{}\n"));
    assert_eq!(code(&z.build()), "ok");
}

#[test]
fn extra_fields_and_comments() {
    let unknown = vec![0x55, 0x54, 5, 0, 1, 2, 3, 4, 5];
    let z = Zip::valid().with(2, |e| e.central_extra = unknown.clone());
    assert_eq!(code(&z.build()), "zip.extra", "unknown central extra");
    let z = Zip::valid().with(2, |e| e.local_extra = unknown.clone());
    assert_eq!(code(&z.build()), "zip.extra", "unknown local extra");
    let z = Zip::valid().with(2, |e| e.central_extra = zip64_extra(&[14]));
    assert_eq!(
        code(&z.build()),
        "zip.extra",
        "zip64 field nobody asked for"
    );
    let z = Zip::valid().with(2, |e| e.central_extra = zip64_extra(&[]));
    assert_eq!(code(&z.build()), "zip.extra", "empty zip64 field");
    let z = Zip::valid().with(2, |e| {
        e.usize = u32::MAX;
        e.csize = u32::MAX;
        e.central_extra = zip64_extra(&[14, 14]);
    });
    assert_eq!(
        code(&z.build()),
        "zip.extra",
        "zip64 values below the marker"
    );
    let z = Zip::valid().with(2, |e| {
        e.usize = u32::MAX;
        e.csize = u32::MAX;
    });
    assert_eq!(code(&z.build()), "zip.extra", "marker without zip64 field");
    let z = Zip::valid().with(2, |e| e.comment = b"c".to_vec());
    assert_eq!(code(&z.build()), "zip.extra", "file comment");
    let z = Zip::valid().with(2, |e| e.central_extra = vec![0; 40]);
    assert_eq!(code(&z.build()), "zip.extra", "long extra");
}

#[test]
fn local_headers_must_match_and_follow_each_other() {
    let cases: Vec<(&str, Zip)> = vec![
        (
            "name",
            Zip::valid().with(2, |e| e.local_name = Some(b"artifacts/b.bin".to_vec())),
        ),
        (
            "name length",
            Zip::valid().with(2, |e| e.local_name = Some(b"artifacts/a.binx".to_vec())),
        ),
        (
            "crc",
            Zip::valid().with(2, |e| e.local_crc = Some(e.crc ^ 1)),
        ),
        (
            "compressed size",
            Zip::valid().with(2, |e| e.local_csize = Some(e.csize + 1)),
        ),
        (
            "uncompressed size",
            Zip::valid().with(0, |e| e.local_usize = Some(e.usize + 1)),
        ),
        ("method", Zip::valid().with(0, |e| e.local_method = Some(0))),
        ("flags", Zip::valid().with(2, |e| e.local_flags = Some(8))),
        (
            "gap between records",
            Zip::valid().with(1, |e| e.gap_after = vec![0]),
        ),
        (
            "gap before the directory",
            Zip::valid().with(4, |e| e.gap_after = vec![0]),
        ),
        (
            "overlap: second entry points at the first",
            Zip::valid().with(1, |e| e.offset = Some(0)),
        ),
        (
            "overlap: offset inside data",
            Zip::valid().with(2, |e| e.offset = Some(50)),
        ),
        (
            "offset past the file",
            Zip::valid().with(2, |e| e.offset = Some(1 << 30)),
        ),
        (
            "last entry runs into the directory",
            Zip::valid().with(4, |e| {
                e.csize += 1;
                e.usize += 1;
                e.local_csize = Some(e.csize);
                e.local_usize = Some(e.usize);
            }),
        ),
    ];
    for (why, z) in cases {
        assert_eq!(code(&z.build()), "zip.local_header", "{why}");
    }
    // An entry on another disk (disk number start 1).
    let mut bytes = Zip::valid().build();
    let cd_offset = {
        let at = bytes.len() - 22;
        u32::from_le_bytes(bytes[at + 16..at + 20].try_into().unwrap()) as usize
    };
    bytes[cd_offset + 34] = 1;
    assert_eq!(code(&bytes), "zip.local_header");
    // A local header with a wrong signature.
    let mut bytes = Zip::valid().build();
    bytes[0] = b'Q';
    assert_eq!(code(&bytes), "zip.local_header");
}

#[test]
fn limits_are_zip_size_limit() {
    let bytes = Zip::valid().build();
    let mut l = Limits::default();
    l.bundle_max_bytes = bytes.len() as u64 - 1;
    assert_eq!(code_with(&bytes, &l), "zip.size_limit", "file size");
    let mut l = Limits::default();
    l.bundle_max_entries = 4;
    let err = container_step(&bytes, &l).unwrap_err();
    assert_eq!(
        (err.code(), err.entry()),
        ("zip.size_limit", Some(sig_name().as_str())),
        "entries"
    );
    let mut l = Limits::default();
    l.bundle_max_manifest_bytes = 5;
    assert_eq!(code_with(&bytes, &l), "zip.size_limit", "manifest");
    let mut l = Limits::default();
    l.bundle_max_journal_bytes = 2;
    assert_eq!(code_with(&bytes, &l), "zip.size_limit", "journal");
    let mut l = Limits::default();
    l.bundle_max_artifact_bytes = 13;
    assert_eq!(code_with(&bytes, &l), "zip.size_limit", "artifact");
    let mut l = Limits::default();
    l.bundle_max_total_uncompressed = 20;
    assert_eq!(code_with(&bytes, &l), "zip.size_limit", "total");
    let mut l = Limits::default();
    l.bundle_max_artifacts = 0;
    assert_eq!(code_with(&bytes, &l), "zip.size_limit", "artifacts");
    let mut l = Limits::default();
    l.bundle_max_keys = 0;
    assert_eq!(code_with(&bytes, &l), "zip.size_limit", "keys");
    let mut l = Limits::default();
    l.bundle_max_signatures = 0;
    assert_eq!(code_with(&bytes, &l), "zip.size_limit", "signatures");
    let mut z = Zip::valid();
    z.entries
        .insert(4, stored("approvals/0001.dsse.json", b"{}"));
    z.entries
        .insert(5, stored("approvals/0002.dsse.json", b"{}"));
    let mut l = Limits::default();
    l.bundle_max_approvals = 1;
    assert_eq!(code_with(&z.build(), &l), "zip.size_limit", "approvals");
    // Too many entries with defaults: 10,001 artifacts (limit L22 first, then L12).
    let mut z = Zip::valid();
    for i in 0..10_001 {
        z.entries
            .insert(3, stored(&format!("artifacts/x{i:05}"), b""));
    }
    let mut l = Limits::default();
    l.bundle_max_artifacts = 20_000;
    assert_eq!(code_with(&z.build(), &l), "zip.size_limit", "L12");
    assert_eq!(code(&z.build()), "zip.size_limit", "L22");
}

#[test]
fn zip_bomb_is_zip_ratio() {
    let zeros = vec![0u8; 2 * 1024 * 1024];
    let mut z = Zip::valid();
    z.entries.insert(3, deflated("artifacts/bomb.json", &zeros));
    assert!(z.entries[3].data.len() < zeros.len() / 200);
    assert_eq!(code(&z.build()), "zip.ratio");
    // At most 1 MiB, the ratio is not checked.
    let mut z = Zip::valid();
    z.entries
        .insert(3, deflated("artifacts/bomb.json", &zeros[..1024 * 1024]));
    assert_eq!(code(&z.build()), "ok");
    // A lie about the uncompressed size cannot get more bytes out: inflating stops one past it.
    let mut z = Zip::valid();
    let mut bomb = deflated("artifacts/bomb.json", &zeros);
    bomb.usize = 1000;
    bomb.local_usize = Some(1000);
    z.entries.insert(3, bomb);
    let mut out = Vec::new();
    let bytes = z.build();
    let mut c = open(&bytes, &Limits::default()).unwrap();
    assert_eq!(c.read_entry(3, &mut out).unwrap_err().code(), "zip.crc");
    assert!(out.len() <= 1000);
}

#[test]
fn data_problems_are_zip_crc() {
    let cases: Vec<(&str, Zip)> = vec![
        ("stored crc", Zip::valid().with(2, |e| e.crc ^= 1)),
        ("deflated crc", Zip::valid().with(0, |e| e.crc ^= 1)),
        (
            "not deflate data",
            Zip::valid().with(0, |e| {
                e.data = vec![0xFF; e.data.len()];
            }),
        ),
        (
            "deflate stream ends early",
            Zip::valid().with(0, |e| {
                e.data.truncate(e.data.len() - 2);
                e.csize -= 2;
            }),
        ),
        (
            "bytes after the deflate stream",
            Zip::valid().with(0, |e| {
                e.data.push(0);
                e.csize += 1;
            }),
        ),
        (
            "uncompressed size too small",
            Zip::valid().with(0, |e| e.usize -= 1),
        ),
        (
            "uncompressed size too large",
            Zip::valid().with(0, |e| e.usize += 1),
        ),
    ];
    for (why, z) in cases {
        let z = z
            .with(0, |e| e.local_usize = Some(e.usize))
            .with(0, |e| e.local_csize = Some(e.csize));
        let bytes = z.build();
        assert!(
            open(&bytes, &Limits::default()).is_ok(),
            "{why}: structure is fine"
        );
        assert_eq!(code(&bytes), "zip.crc", "{why}");
    }
}

#[test]
fn entry_set_and_order() {
    let without = |index: usize| {
        let mut z = Zip::valid();
        z.entries.remove(index);
        z.build()
    };
    assert_eq!(code(&without(0)), "bundle.missing_entry", "manifest");
    assert_eq!(code(&without(1)), "bundle.missing_entry", "journal");
    assert_eq!(code(&without(3)), "bundle.missing_entry", "signer key");
    assert_eq!(code(&without(4)), "bundle.missing_entry", "signature");
    let mut z = Zip::valid();
    z.entries
        .insert(4, stored("approvals/0002.dsse.json", b"{}"));
    assert_eq!(code(&z.build()), "bundle.missing_entry", "approval gap");
    let mut z = Zip::valid();
    z.entries.push(stored("notes.txt", b"x"));
    assert_eq!(code(&z.build()), "bundle.unexpected_entry");
    let mut z = Zip::valid();
    z.entries.insert(4, stored("approvals/1.dsse.json", b"{}"));
    assert_eq!(code(&z.build()), "bundle.unexpected_entry");
    // Missing is checked before unexpected, unexpected before order.
    let mut z = Zip::valid();
    z.entries.remove(0);
    z.entries.push(stored("notes.txt", b"x"));
    assert_eq!(code(&z.build()), "bundle.missing_entry");
    let mut z = Zip::valid();
    z.entries.swap(0, 1);
    z.entries.push(stored("notes.txt", b"x"));
    assert_eq!(code(&z.build()), "bundle.unexpected_entry");
    let mut z = Zip::valid();
    z.entries.swap(0, 1);
    assert_eq!(code(&z.build()), "bundle.entry_order");
    let mut z = Zip::valid();
    z.entries.swap(3, 4);
    assert_eq!(code(&z.build()), "bundle.entry_order");
    let mut z = Zip::valid();
    z.entries.insert(2, stored("artifacts/b.bin", b"x"));
    assert_eq!(code(&z.build()), "bundle.entry_order");
    // No entries at all.
    assert_eq!(code(&Zip::default().build()), "bundle.missing_entry");
}

#[test]
fn checks_run_in_spec_order() {
    // Entry 1 has a bad name, entry 0 bad data: structure of every entry comes first.
    let z = Zip::valid()
        .with(0, |e| e.crc ^= 1)
        .with(2, |e| e.name = b"../x".to_vec());
    assert_eq!(code(&z.build()), "zip.name");
    // Within one entry: name before flags before method before extra before local header.
    let z = Zip::valid().with(2, |e| {
        e.name = b"a\\b".to_vec();
        e.flags = 1;
    });
    assert_eq!(code(&z.build()), "zip.name");
    let z = Zip::valid().with(2, |e| {
        e.flags = 1;
        e.method = 12;
    });
    assert_eq!(code(&z.build()), "zip.flags");
    let z = Zip::valid().with(2, |e| {
        e.method = 12;
        e.comment = b"x".to_vec();
    });
    assert_eq!(code(&z.build()), "zip.method");
    let z = Zip::valid().with(2, |e| {
        e.comment = b"x".to_vec();
        e.local_crc = Some(0);
    });
    assert_eq!(code(&z.build()), "zip.extra");
}

#[test]
fn mutated_containers_never_panic() {
    let (valid, _) = write(&sample_entries()[..]);
    let small = Zip::valid().build();
    let mut rng = Rng(0x5eed);
    let mut outcomes = std::collections::BTreeMap::<&str, usize>::new();
    for case in 0..4000 {
        let mut bytes = if case % 2 == 0 {
            small.clone()
        } else {
            valid.clone()
        };
        match rng.below(4) {
            0 | 1 => {
                for _ in 0..=rng.below(4) {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next() as u8;
                }
            }
            2 => {
                let at = rng.below(bytes.len());
                bytes.truncate(at);
            }
            _ => {
                let at = rng.below(bytes.len());
                let n = rng.below(8) + 1;
                let extra = rng.bytes(n);
                bytes.splice(at..at, extra);
            }
        }
        let c = code(&bytes);
        assert!(
            c == "ok" || c.starts_with("zip.") || c.starts_with("bundle."),
            "{c}"
        );
        *outcomes.entry(c).or_default() += 1;
    }
    // The mutations reach well beyond the end record.
    for expected in ["zip.eocd", "zip.local_header", "zip.crc"] {
        assert!(outcomes.contains_key(expected), "{outcomes:?}");
    }
}

/// Writes the sample bundle to `$CLYRA_WRITE_SAMPLE_BUNDLE` for checks with other zip readers.
#[test]
fn sample_bundle_for_other_readers() {
    if let Some(path) = std::env::var_os("CLYRA_WRITE_SAMPLE_BUNDLE") {
        std::fs::write(&path, write(&sample_entries()).0).unwrap();
        let mut small = path;
        small.push(".small");
        std::fs::write(small, Zip::valid().build()).unwrap();
    }
}
