//! Files the CLI writes: never replaced without `--force`, never through a symbolic link, key
//! folders private whatever the umask, and `clyra sign` keeping the bundle's mode.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;
use common::{build_bundle, clyra, example_spec, text, TempDir};

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

fn mode(path: impl AsRef<Path>) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Runs `clyra args` under `umask 000` (set in a shell that then execs the binary).
fn clyra_umask_000(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_clyra"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn keygen_creates_the_key_folder_private_under_a_permissive_umask() {
    let dir = TempDir::new();
    let keys = dir.path("project/.clyra/keys");
    let out = clyra_umask_000(&["keygen", "--out", &keys]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(mode(&keys), 0o700);
    // Missing parents are created without group or others write.
    assert_eq!(mode(dir.path("project/.clyra")) & 0o022, 0);
    assert_eq!(mode(dir.path("project")) & 0o022, 0);
    assert_eq!(mode(format!("{keys}/clyra.key")), 0o600);
    assert_eq!(mode(format!("{keys}/clyra.pub")) & 0o022, 0);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn keygen_warns_about_an_existing_folder_others_can_write() {
    let dir = TempDir::new();
    let keys = dir.path("keys");
    std::fs::create_dir(&keys).unwrap();
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = clyra(&["keygen", "--out", &keys, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("warning: ")
            && stderr.contains("mode 0777")
            && stderr.contains("clyra.pub")
            && stderr.lines().count() == 1,
        "{stderr}"
    );
    // stdout stays one JSON document; the folder is the user's and is left as it was.
    let _: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(mode(&keys), 0o777);

    let private = dir.path("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = clyra(&["keygen", "--out", &private]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

/// A signed bundle at `dir/run.zip` and a second key to co-sign it with.
fn bundle_and_second_key(dir: &TempDir) -> (String, String) {
    for name in ["a", "b"] {
        assert!(clyra(&["keygen", "--out", &dir.path(name)])
            .status
            .success());
    }
    let spec = dir.write("spec.json", example_spec().as_bytes());
    let results = dir.write("run_results.json", b"{\"results\":[]}\n");
    let bundle = dir.path("run.zip");
    let out = build_bundle(&spec, &dir.path("a/clyra.key"), &results, &bundle);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (bundle, dir.path("b/clyra.key"))
}

fn sign(bundle: &str, key: &str) -> Output {
    clyra(&[
        "sign",
        bundle,
        "--key",
        key,
        "--signed-at",
        "2026-11-20T09:05:00Z",
    ])
}

#[test]
fn sign_keeps_the_bundle_mode() {
    let dir = TempDir::new();
    let (bundle, key) = bundle_and_second_key(&dir);
    std::fs::set_permissions(&bundle, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = std::fs::read(&bundle).unwrap();
    let out = sign(&bundle, &key);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_ne!(std::fs::read(&bundle).unwrap(), before);
    assert_eq!(mode(&bundle), 0o600);
}

#[test]
fn sign_refuses_a_symlink_and_leaves_its_target_alone() {
    let dir = TempDir::new();
    let (bundle, key) = bundle_and_second_key(&dir);
    let link = dir.path("link.zip");
    symlink(&bundle, &link).unwrap();
    let before = std::fs::read(&bundle).unwrap();
    let out = sign(&link, &key);
    assert_eq!(out.status.code(), Some(4));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("symbolic link") && stderr.contains("(cli.io)"),
        "{stderr}"
    );
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&bundle).unwrap(), before);
    // The real path signs.
    assert_eq!(sign(&bundle, &key).status.code(), Some(0));
}

#[test]
fn demo_out_refuses_existing_files_without_force() {
    let dir = TempDir::new();
    let out_dir = dir.path("demo");
    std::fs::create_dir(&out_dir).unwrap();
    let trust = dir.write("demo/trust.json", b"mine\n");
    let out = clyra(&["demo", "--out", &out_dir]);
    assert_eq!(out.status.code(), Some(4));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("trust.json")
            && stderr.contains("--force")
            && stderr.contains("(cli.exists)"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&trust).unwrap(), b"mine\n");
    // Nothing else was written either.
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 1);

    let out = clyra(&["demo", "--out", &out_dir, "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_ne!(std::fs::read(&trust).unwrap(), b"mine\n");
    assert!(Path::new(&out_dir).join("def.zip").is_file());

    // A symbolic link is refused even with --force.
    let elsewhere = dir.write("elsewhere.json", b"keep\n");
    std::fs::remove_file(&trust).unwrap();
    symlink(&elsewhere, &trust).unwrap();
    let out = clyra(&["demo", "--out", &out_dir, "--force"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&elsewhere).unwrap(), b"keep\n");
}

/// Runs `clyra args`, with and without `--force`: each run must refuse the symbolic link `link`
/// (exit 4, `symbolic link` on stderr) and leave it and its target (holding `keep\n`) alone.
fn assert_link_refused(args: &[&str], link: &str, target: &str) {
    for force in [false, true] {
        let mut args = args.to_vec();
        if force {
            args.push("--force");
        }
        let out = clyra(&args);
        assert_eq!(out.status.code(), Some(4), "force {force}");
        assert!(
            text(&out.stderr).contains("symbolic link"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(std::fs::read(target).unwrap(), b"keep\n");
        assert!(std::fs::symlink_metadata(link)
            .unwrap()
            .file_type()
            .is_symlink());
    }
}

#[test]
fn outputs_are_never_written_through_a_symlink() {
    let dir = TempDir::new();
    let (bundle, _) = bundle_and_second_key(&dir);
    let target = dir.write("target.json", b"keep\n");
    let link = dir.path("receipt.json");
    symlink(&target, &link).unwrap();
    assert_link_refused(
        &[
            "receipt", "extract", &bundle, "--event", "0", "--out", &link,
        ],
        &link,
        &target,
    );
}

#[test]
fn keygen_refuses_a_linked_key_file_before_writing_either() {
    let dir = TempDir::new();
    let keys = dir.path("keys");
    std::fs::create_dir(&keys).unwrap();
    let target = dir.write("elsewhere.pub", b"keep\n");
    let link = format!("{keys}/clyra.pub");
    symlink(&target, &link).unwrap();
    assert_link_refused(&["keygen", "--out", &keys], &link, &target);
    assert!(!Path::new(&keys).join("clyra.key").exists());
}

#[test]
fn doctor_warns_about_a_key_folder_others_can_write() {
    let dir = TempDir::new();
    let keys = dir.path(".clyra/keys");
    assert!(clyra(&["keygen", "--out", &keys]).status.success());
    let key_finding = |dir: &TempDir| {
        let out = clyra(&["doctor", "--dir", &dir.path(""), "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == "key")
            .unwrap()
            .clone()
    };
    assert_eq!(key_finding(&dir)["status"], "ok");
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o777)).unwrap();
    let finding = key_finding(&dir);
    assert_eq!(finding["status"], "warning", "{finding}");
    assert!(
        finding["message"].as_str().unwrap().contains("mode 0777"),
        "{finding}"
    );
    assert_eq!(finding["fix"], format!("chmod go-w {keys}"));
}
