//! Differential checks from a fixed seed: the streaming canonicalizer, the value tree and the
//! serde_jcs oracle must agree on random documents, and on random corruptions of them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use clyra_core::jcs;
use clyra_core::{Coded, Limits};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PIECES: &[&str] = &[
    "a",
    "b",
    "\u{e9}",
    "\u{fb33}",
    "\u{1f602}",
    "\u{e000}",
    "\n",
    "\"",
    "\\",
    "/",
    "\u{7f}",
    "\u{0}",
    "\u{2028}",
    "key",
    "Z",
    "1",
    "\u{10ffff}",
    "\u{ffff}",
];

/// A random string written with random (but valid) escapes; returns (json text, decoded).
fn string(rng: &mut Rng) -> (String, String) {
    let mut decoded = String::new();
    let mut json = String::from("\"");
    for _ in 0..rng.below(5) {
        let piece = PIECES[rng.below(PIECES.len() as u64) as usize];
        decoded.push_str(piece);
        for c in piece.chars() {
            let escape = rng.below(4) == 0;
            match c {
                '"' => json.push_str("\\\""),
                '\\' => json.push_str("\\\\"),
                c if (c as u32) < 0x20 || escape => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        json.push_str(&format!("\\u{:04X}", u));
                    }
                }
                c => json.push(c),
            }
        }
    }
    json.push('"');
    (json, decoded)
}

fn number(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => format!("{}", rng.below(1 << 53) as i64 - (1 << 52)),
        1 => format!("{:e}", f64::from_bits(rng.next() & 0x7fef_ffff_ffff_ffff)),
        2 => format!("{}.{}", rng.below(1000), rng.below(1000)),
        3 => format!("{}E-{}", rng.below(99) + 1, rng.below(30)),
        _ => format!("-{}e+{}", rng.below(9) + 1, rng.below(300)),
    }
}

fn value(rng: &mut Rng, depth: u32) -> String {
    let ws = |rng: &mut Rng| [" ", "", "\n", "\t", "\r\n "][rng.below(5) as usize].to_owned();
    match if depth > 4 {
        rng.below(4)
    } else {
        rng.below(6)
    } {
        0 => ["null", "true", "false"][rng.below(3) as usize].to_owned(),
        1 => number(rng),
        2 | 3 => string(rng).0,
        4 => {
            let items: Vec<_> = (0..rng.below(5)).map(|_| value(rng, depth + 1)).collect();
            format!("[{}{}]", ws(rng), items.join(&format!(",{}", ws(rng))))
        }
        _ => {
            let mut seen = std::collections::HashSet::new();
            let mut members = Vec::new();
            for _ in 0..rng.below(6) {
                let (json, decoded) = string(rng);
                if seen.insert(decoded) {
                    members.push(format!(
                        "{json}{}:{}{}",
                        ws(rng),
                        ws(rng),
                        value(rng, depth + 1)
                    ));
                }
            }
            format!("{{{}}}", members.join(","))
        }
    }
}

#[test]
fn stream_tree_and_serde_jcs_agree_on_random_documents() {
    let mut rng = Rng(0x5EED_0001);
    let limits = Limits::default();
    let mut refused = 0;
    let cases: usize = std::env::var("CLYRA_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    for case in 0..cases {
        let doc = value(&mut rng, 0);
        let stream = match jcs::canonicalize(doc.as_bytes(), &limits) {
            Ok(bytes) => bytes,
            // Numbers of magnitude [2^53, 10^21) are refused by design (primitives.md §2.2.7).
            Err(e) if e.code() == "jcs.integer_out_of_range" => {
                assert_eq!(jcs::parse(doc.as_bytes(), &limits).unwrap_err(), e);
                refused += 1;
                continue;
            }
            Err(e) => panic!("case {case}: {e}: {doc}"),
        };
        let tree = jcs::to_vec(&jcs::parse(doc.as_bytes(), &limits).unwrap());
        assert_eq!(stream, tree, "case {case}: {doc}");
        let oracle: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(
            String::from_utf8(stream.clone()).unwrap(),
            String::from_utf8(serde_jcs::to_vec(&oracle).unwrap()).unwrap(),
            "case {case}: {doc}"
        );
        if let Err(e) = jcs::parse_canonical(&stream, &limits) {
            panic!("case {case}: {e}: {}", String::from_utf8_lossy(&stream));
        }
    }
    assert!(
        refused < cases / 10,
        "{refused} of {cases} documents refused: the generator is off"
    );
    eprintln!("{cases} documents compared with serde_jcs; {refused} refused by design");
}

#[test]
fn stream_and_tree_fail_identically_on_corrupted_documents() {
    let mut rng = Rng(0x5EED_0002);
    let limits = Limits::default();
    let mut rejected = 0;
    for _ in 0..20_000 {
        let mut doc = value(&mut rng, 0).into_bytes();
        if doc.is_empty() {
            continue;
        }
        for _ in 0..=rng.below(3) {
            let at = rng.below(doc.len() as u64) as usize;
            match rng.below(4) {
                0 => doc[at] = rng.next() as u8,
                1 => {
                    doc.remove(at);
                }
                2 => doc.insert(at, b"{}[]\",:\\0e-"[rng.below(11) as usize]),
                _ => doc.truncate(at),
            }
            if doc.is_empty() {
                break;
            }
        }
        let stream = jcs::canonicalize(&doc, &limits);
        let tree = jcs::parse(&doc, &limits).map(|v| jcs::to_vec(&v));
        assert_eq!(stream, tree, "{}", String::from_utf8_lossy(&doc));
        rejected += usize::from(stream.is_err());
    }
    assert!(
        rejected > 10_000,
        "only {rejected} corruptions rejected: the mutator is too gentle"
    );
}
