//! RFC 8785 conformance, read in place from `../shared/conformance` (never copied).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use std::path::Path;

use clyra_core::jcs::{self, format_number, IntegerMode, JcsErrorKind, Number};
use clyra_core::{Coded, Limits};
use sha2::{Digest, Sha256};

fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Canonicalizes every `input/X.json` and compares with `output/X.json`; returns the count.
fn check_io_set(root: &str, strip_one_lf: bool) -> usize {
    let input = common::conformance(&format!("{root}/input"));
    let mut count = 0;
    for path in files_in(&input) {
        let name = path.file_name().unwrap().to_str().unwrap();
        let got = jcs::canonicalize(&std::fs::read(&path).unwrap(), &Limits::default())
            .unwrap_or_else(|e| panic!("{root}/{name}: {e} ({})", e.code()));
        let mut want = common::read(&format!("{root}/output/{name}"));
        if strip_one_lf && want.last() == Some(&b'\n') {
            want.pop();
        }
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{root}/{name}"
        );
        // outhex holds the same bytes as hex; check it where upstream has it.
        let outhex = common::shared_dir()
            .join("conformance")
            .join(root)
            .join("outhex")
            .join(name.replace(".json", ".txt"));
        if outhex.exists() {
            let hex = std::fs::read_to_string(&outhex).unwrap();
            let bytes: Vec<u8> = hex
                .split_whitespace()
                .map(|h| u8::from_str_radix(h, 16).unwrap())
                .collect();
            assert_eq!(got, bytes, "{root}/outhex/{name}");
        }
        count += 1;
    }
    count
}

#[test]
fn cyberphone_reference_vectors() {
    assert_eq!(
        check_io_set("cyberphone-json-canonicalization/testdata", false),
        6
    );
}

#[test]
fn gowebpki_top_level_scalars() {
    // Clyra accepts any top-level value in `canon` (DESIGN §4); manifests must be objects.
    assert_eq!(check_io_set("gowebpki-jcs/testdata", false), 4);
}

#[test]
fn erdtman_variant_vectors() {
    assert_eq!(check_io_set("erdtman-canonicalize/test/testdata", true), 6);
}

#[test]
fn es6_number_formatting_first_100000_lines() {
    let text = common::read(
        "cyberphone-json-canonicalization/generated/es6testfile100m-first-100000-lines.txt",
    );
    let text = String::from_utf8(text).unwrap();
    let mut lines = 0;
    let mut out = Vec::new();
    for line in text.lines() {
        let (hex, expected) = line.split_once(',').unwrap();
        let value = f64::from_bits(u64::from_str_radix(hex, 16).unwrap());
        out.clear();
        format_number(Number::from_f64(value).unwrap(), &mut out);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            expected,
            "line {} ({hex})",
            lines + 1
        );
        // The parser must read the printed form back to the same double.
        let back = jcs::parse(expected.as_bytes(), &Limits::default());
        let back = match back {
            Ok(v) => v.as_number().unwrap().as_f64(),
            // Integer literals beyond 2^53 are out of range in strict mode; lossy reads them.
            Err(e) if e.kind() == JcsErrorKind::IntegerOutOfRange => {
                jcs::parse_with(expected.as_bytes(), &Limits::default(), IntegerMode::Lossy)
                    .unwrap()
                    .as_number()
                    .unwrap()
                    .as_f64()
            }
            Err(e) => panic!("line {}: {expected}: {e}", lines + 1),
        };
        assert_eq!(
            back.to_bits(),
            if value == 0.0 { 0 } else { value.to_bits() },
            "{expected}"
        );
        lines += 1;
    }
    assert_eq!(lines, 100_000);
}

/// The ES6 reference sequence (cyberphone `testdata/numgen.go`): 168 fixed edge values (the
/// first 168 lines of the stored file), then 2,000 subnormal-boundary patterns, then a SHA-256
/// chain read as four little-endian doubles per step, skipping ±0 and non-finite values.
#[test]
#[ignore = "regenerates 1,000,000 lines (~40 MB); run with `cargo test -- --ignored`"]
fn es6_number_formatting_one_million_generated_lines() {
    let stored = common::read(
        "cyberphone-json-canonicalization/generated/es6testfile100m-first-100000-lines.txt",
    );
    let stored = String::from_utf8(stored).unwrap();
    let fixed: Vec<u64> = stored
        .lines()
        .take(168)
        .map(|l| u64::from_str_radix(l.split_once(',').unwrap().0, 16).unwrap())
        .collect();
    let total = 1_000_000usize;
    let mut hasher = Sha256::new();
    let mut emitted = 0usize;
    let mut out = Vec::new();
    let mut emit = |bits: u64, hasher: &mut Sha256, emitted: &mut usize| {
        out.clear();
        format_number(Number::from_f64(f64::from_bits(bits)).unwrap(), &mut out);
        hasher.update(format!("{bits:x},").as_bytes());
        hasher.update(&out);
        hasher.update(b"\n");
        *emitted += 1;
    };
    for &bits in &fixed {
        emit(bits, &mut hasher, &mut emitted);
    }
    for i in 0..2000u64 {
        emit(0x0010_0000_0000_0000 + i, &mut hasher, &mut emitted);
    }
    let mut state = [0u8; 32];
    'chain: loop {
        state = Sha256::digest(state).into();
        for chunk in state.chunks_exact(8) {
            let bits = u64::from_le_bytes(chunk.try_into().unwrap());
            let f = f64::from_bits(bits);
            if f == 0.0 || !f.is_finite() {
                continue;
            }
            emit(bits, &mut hasher, &mut emitted);
            if emitted == total {
                break 'chain;
            }
        }
    }
    assert_eq!(
        hex::encode(hasher.finalize()),
        "49415fee2c56c77864931bd3624faad425c3c577d6d74e89a83bc725506dad16"
    );
}

/// JSON.org's checker: every pass file parses, every fail file is rejected — except the two
/// `_EXCLUDE` files, which RFC 8259 allows and Clyra accepts: `fail01` is a top-level string
/// (Clyra accepts any top-level value) and `fail18` nests 20 deep (Clyra's limit is 128).
#[test]
fn jsonchecker_pass_and_fail_files() {
    let dir = common::conformance("json-benchmark/data/jsonchecker");
    let (mut pass, mut fail, mut excluded) = (0, 0, 0);
    for path in files_in(&dir) {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let result = jcs::parse(&std::fs::read(&path).unwrap(), &Limits::default());
        if name.contains("_EXCLUDE") {
            assert!(
                result.is_ok(),
                "{name} is legal JSON and must parse: {result:?}"
            );
            excluded += 1;
        } else if name.starts_with("pass") {
            assert!(result.is_ok(), "{name}: {result:?}");
            pass += 1;
        } else {
            let err = result.expect_err(&name);
            assert!(err.code().starts_with("jcs."), "{name}");
            fail += 1;
        }
    }
    assert_eq!((pass, fail, excluded), (3, 31, 2));
}

/// serde_jcs 0.2.0 is the oracle: on inputs both accept, the bytes must agree.
#[test]
fn agrees_with_serde_jcs_on_benchmark_corpus() {
    for (file, mode) in [
        ("canada.json", IntegerMode::Strict),
        ("citm_catalog.json", IntegerMode::Strict),
        ("twitter.json", IntegerMode::Lossy),
    ] {
        let bytes = common::read(&format!("json-benchmark/data/{file}"));
        let ours = jcs::canonicalize_with(&bytes, &Limits::default(), mode).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let oracle = serde_jcs::to_vec(&value).unwrap();
        if mode == IntegerMode::Strict {
            assert_eq!(ours, oracle, "{file}");
        } else {
            // serde_jcs prints u64 ids exactly; lossy mode rounds them to doubles as ES6 does.
            // Compare after re-reading both as doubles.
            let a: serde_json::Value = serde_json::from_slice(&ours).unwrap();
            let b: serde_json::Value = serde_json::from_slice(&oracle).unwrap();
            assert_eq!(normalize(&a), normalize(&b), "{file}");
        }
    }
    // twitter.json has 18-19 digit ids: strict mode must refuse it, naming the offset.
    let twitter = common::read("json-benchmark/data/twitter.json");
    let err = jcs::canonicalize(&twitter, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "jcs.integer_out_of_range");
    assert!(
        twitter[err.offset()..].starts_with(b"50"),
        "offset {}",
        err.offset()
    );
}

fn normalize(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        serde_json::Value::Array(a) => a.iter().map(normalize).collect(),
        serde_json::Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), normalize(v))).collect(),
        other => other.clone(),
    }
}

/// json-benchmark round-trip files: all parse; the four with integers beyond ±(2^53−1) are
/// rejected in strict mode and rounded in lossy mode; output is a fixed point.
#[test]
fn roundtrip_files() {
    let dir = common::conformance("json-benchmark/data/roundtrip");
    let mut rejected = Vec::new();
    let mut count = 0;
    for path in files_in(&dir) {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let bytes = std::fs::read(&path).unwrap();
        let lossy = jcs::canonicalize_with(&bytes, &Limits::default(), IntegerMode::Lossy).unwrap();
        assert_eq!(
            jcs::canonicalize(&lossy, &Limits::default())
                .ok()
                .as_ref()
                .unwrap_or(&lossy),
            &lossy
        );
        match jcs::canonicalize(&bytes, &Limits::default()) {
            Ok(c) => assert_eq!(c, lossy, "{name}"),
            Err(e) => {
                assert_eq!(e.kind(), JcsErrorKind::IntegerOutOfRange, "{name}");
                rejected.push(name);
            }
        }
        count += 1;
    }
    assert_eq!(count, 27);
    assert_eq!(
        rejected,
        [
            "roundtrip13.json",
            "roundtrip14.json",
            "roundtrip18.json",
            "roundtrip19.json"
        ]
    );
}
