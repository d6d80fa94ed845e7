//! Helpers shared by the `clyra` integration tests: a scratch folder and the built binary.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh, unique folder under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates the folder.
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("clyra-cli-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The path of `name` inside the folder, as a string argument.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }

    /// Writes `bytes` to `name` inside the folder and returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the built `clyra` binary with `args`.
pub fn clyra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clyra"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs the built `clyra` binary with `args` and `stdin` as its standard input.
pub fn clyra_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_clyra"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The process may exit before reading stdin (e.g. on a usage error): ignore a broken pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// Bytes as text (the CLI prints UTF-8).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The worked bundle spec of spec/bundle-v0.md §9.6.
pub fn example_spec() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/bundle-v0.md");
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("<!-- example: bundle-spec-v0 -->").unwrap();
    let block = &text[start..];
    let open = block.find("```json").unwrap() + "```json".len();
    let close = open + block[open..].find("```").unwrap();
    block[open..close].to_owned()
}

/// Runs `clyra bundle build` of `spec` signed by `key` with one `run_results.json` artifact
/// (`artifact`, a path) into `out`, at a fixed signing time.
pub fn build_bundle(spec: &str, key: &str, artifact: &str, out: &str) -> Output {
    let artifact = format!("run_results.json={artifact}");
    clyra(&[
        "bundle",
        "build",
        "--spec",
        spec,
        "--key",
        key,
        "--artifact",
        &artifact,
        "--out",
        out,
        "--signed-at",
        "2026-11-20T09:01:16Z",
    ])
}
