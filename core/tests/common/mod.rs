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
