//! Helpers shared by the `clyra` integration tests: a scratch folder, the built binary, its
//! outcomes, and the golden vectors.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use clyra_core::digest::Sha256Digest;
use clyra_core::ledger::Record;
use clyra_core::Limits;

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

/// Asserts that `out` exited 0 (showing its stdout and stderr when not); returns its stdout.
#[track_caller]
pub fn ok(out: &Output) -> String {
    exits(out, 0);
    text(&out.stdout)
}

/// Asserts that `out` exited with `code`, showing its stdout and stderr when not.
#[track_caller]
pub fn exits(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// (outcome, primary, exit) of `clyra ARGS --format json`: a verdict, or `ERROR` and the first
/// error's code for an exit-4 failure. A verdict's `exit` member must be the process's exit.
#[track_caller]
pub fn verdict(args: &[&str]) -> (String, String, i32) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = clyra(&all);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{} {}", text(&out.stdout), text(&out.stderr)));
    let code = out.status.code().unwrap();
    match v.get("outcome") {
        Some(o) => {
            assert_eq!(v["exit"], code, "{v}");
            (
                o.as_str().unwrap().into(),
                v["primary"].as_str().unwrap().into(),
                code,
            )
        }
        None => (
            "ERROR".into(),
            v["errors"][0]["code"].as_str().unwrap().into(),
            code,
        ),
    }
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The path of `file` in the golden vector `name` (e.g. `0001-def-minimal`), as an argument.
pub fn vector(name: &str, file: &str) -> String {
    repo()
        .join("vectors")
        .join(name)
        .join(file)
        .display()
        .to_string()
}

/// The vector bundles a ledger records (container and manifest read, no approvals), sorted.
pub fn ledger_bundles() -> Vec<PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(repo().join("vectors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|d| d.join("bundle.zip"))
        .filter(|p| {
            let Ok(bytes) = std::fs::read(p) else {
                return false;
            };
            let sha = Sha256Digest::of(&bytes);
            Record::of_bundle(
                Cursor::new(&bytes),
                bytes.len() as u64,
                &sha,
                "2026-12-01T00:00:00Z",
                &Limits::default(),
            )
            .is_ok_and(|r| r.approvals.is_empty())
        })
        .collect()
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
