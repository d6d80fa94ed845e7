//! Helpers shared by the integration tests: where the public conformance data lives.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The `shared/` folder beside the repository (or `$CLYRA_SHARED`).
///
/// Conformance data is read in place, never copied into the repository. A missing folder fails the
/// test with a clear message: these tests never skip.
pub fn shared_dir() -> PathBuf {
    let dir = match std::env::var_os("CLYRA_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    };
    assert!(
        dir.join("conformance").is_dir(),
        "conformance data not found at {} (set CLYRA_SHARED to the shared/ folder)",
        dir.display()
    );
    dir
}

/// A path inside `shared/conformance/`, which must exist.
pub fn conformance(relative: &str) -> PathBuf {
    let path = shared_dir().join("conformance").join(relative);
    assert!(
        path.exists(),
        "missing conformance data: {}",
        path.display()
    );
    path
}

/// Reads a conformance file into bytes.
pub fn read(relative: &str) -> Vec<u8> {
    let path = conformance(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The canonical bytes of the first `<!-- example: STEM -->` JSON block of `spec/FILE`.
pub fn spec_example(file: &str, stem: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../spec")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let marker = format!("<!-- example: {stem} -->");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker} in {file}"));
    let block = text.get(start..).unwrap_or_default();
    let open = block
        .find("```json")
        .map(|i| i + "```json".len())
        .unwrap_or_default();
    let close = block
        .get(open..)
        .and_then(|b| b.find("```"))
        .map(|i| open + i)
        .unwrap_or_default();
    let json = block.as_bytes().get(open..close).unwrap_or_default();
    clyra_core::jcs::canonicalize(json, &clyra_core::Limits::default())
        .unwrap_or_else(|e| panic!("{file} {stem}: {e}"))
}

/// The same example as an object.
pub fn spec_example_object(file: &str, stem: &str) -> clyra_core::jcs::Map {
    match clyra_core::jcs::parse(&spec_example(file, stem), &clyra_core::Limits::default()) {
        Ok(clyra_core::jcs::Value::Object(map)) => map,
        other => panic!("{file} {stem} is not an object: {other:?}"),
    }
}

/// A deterministic pseudo-random generator (xorshift64*), so failures reproduce: bytes for
/// incompressible data and mutations, choices for random test inputs.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = self.below(items.len());
        items.get(i).copied().unwrap_or_default()
    }
}
