//! `clyra ledger …` and `clyra verify --ledger-proof` end to end, through the built binary:
//! appends, proofs, tampering, rewinds, forks, replays, concurrent appenders and kill -9.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{clyra, ledger_bundles, ok, repo, text, verdict, TempDir};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Ledger {
    dir: TempDir,
    vkey: String,
}

impl Ledger {
    fn new() -> Self {
        let dir = TempDir::new();
        ok(&clyra(&["keygen", "--out", &dir.path("k")]));
        ok(&clyra(&[
            "ledger",
            "init",
            &dir.path("L"),
            "--key",
            &dir.path("k/clyra.key"),
        ]));
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path("L/ledger.json")).unwrap()).unwrap();
        let vkey = config["key"].as_str().unwrap().to_owned();
        Self { dir, vkey }
    }

    fn l(&self) -> String {
        self.dir.path("L")
    }

    fn append(&self, bundles: &[&Path]) -> Output {
        let (l, k) = (self.l(), self.dir.path("k/clyra.key"));
        let mut args = vec![
            "ledger",
            "append",
            "--ledger",
            &l,
            "--key",
            &k,
            "--logged-at",
            "2026-12-01T10:00:00Z",
        ];
        let paths: Vec<String> = bundles.iter().map(|p| p.display().to_string()).collect();
        args.extend(paths.iter().map(String::as_str));
        clyra(&args)
    }

    fn save_checkpoint(&self, name: &str) -> String {
        let path = self.dir.path(name);
        std::fs::copy(self.dir.path("L/checkpoint"), &path).unwrap();
        path
    }

    /// `clyra ledger cosign` by the witness key `w/clyra.key` (made by the first call) named
    /// `witness.example/w1`, its state kept in `witness-state`.
    fn cosign(&self) -> Output {
        let wk = self.dir.path("w/clyra.key");
        if !Path::new(&wk).exists() {
            ok(&clyra(&["keygen", "--out", &self.dir.path("w")]));
        }
        let (l, state) = (self.l(), self.dir.path("witness-state"));
        clyra(&[
            "ledger",
            "cosign",
            &l,
            "--witness-key",
            &wk,
            "--name",
            "witness.example/w1",
            "--key",
            &self.vkey,
            "--state",
            &state,
            "--format",
            "json",
        ])
    }

    fn verify(&self, extra: &[&str]) -> (String, String, i32) {
        let l = self.l();
        let mut args = vec!["ledger", "verify", &l, "--key", &self.vkey];
        args.extend(extra);
        verdict(&args)
    }
}

const VALID: (&str, &str, i32) = ("VALID", "ok", 0);

fn is(got: (String, String, i32), want: (&str, &str, i32)) {
    assert_eq!((got.0.as_str(), got.1.as_str(), got.2), want);
}

#[test]
fn append_prove_check_and_verify_with_a_receipt() {
    let ledger = Ledger::new();
    let all = ledger_bundles();
    assert!(all.len() >= 20, "{}", all.len());
    let cp0 = ledger.save_checkpoint("cp0");
    ok(&ledger.append(&[&all[0]]));
    let cp1 = ledger.save_checkpoint("cp1");
    // Idempotent: the same bundle again keeps its index.
    let again = ok(&ledger.append(&[&all[0], &all[1]]));
    assert!(again.contains("already at index 0"), "{again}");
    assert!(again.contains("appended at index 1"), "{again}");
    let rest: Vec<&Path> = all[2..].iter().map(PathBuf::as_path).collect();
    ok(&ledger.append(&rest));
    is(ledger.verify(&[]), VALID);
    is(ledger.verify(&["--since", &cp1]), VALID);
    is(ledger.verify(&["--since", &cp0]), VALID);

    // A ledger receipt for the last bundle whose vector verifies VALID with its own trust file
    // (later vectors may carry a deliberately broken trust file), checked alone and with the bundle.
    let last_index = all
        .iter()
        .rposition(|b| {
            let expected = std::fs::read(b.parent().unwrap().join("expected.json")).unwrap();
            serde_json::from_slice::<serde_json::Value>(&expected).unwrap()["outcome"] == "VALID"
        })
        .unwrap();
    let last = all[last_index].display().to_string();
    let receipt = ledger.dir.path("receipt.json");
    ok(&clyra(&[
        "ledger",
        "prove",
        &last,
        "--ledger",
        &ledger.l(),
        "--out",
        &receipt,
    ]));
    is(
        verdict(&["ledger", "check", &receipt, "--key", &ledger.vkey]),
        VALID,
    );
    let dir = Path::new(&last).parent().unwrap();
    let trust = dir.join("trust.json").display().to_string();
    let args: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("args.json")).unwrap()).unwrap();
    let at = args["at"].as_str().unwrap();
    let plain = verdict(&["verify", &last, "--trust", &trust, "--at", at]);
    let with = verdict(&[
        "verify",
        &last,
        "--trust",
        &trust,
        "--at",
        at,
        "--ledger-proof",
        &receipt,
        "--ledger-key",
        &ledger.vkey,
    ]);
    assert_eq!(
        plain, with,
        "a passing ledger check leaves the verdict as it was"
    );
    let other = all[0].display().to_string();
    let mismatch = verdict(&[
        "verify",
        &other,
        "--trust",
        &trust,
        "--at",
        at,
        "--ledger-proof",
        &receipt,
        "--ledger-key",
        &ledger.vkey,
    ]);
    assert_eq!(mismatch.2, 1);

    // The same receipt by index.
    let by_index = ledger.dir.path("by-index.json");
    let at_index = last_index.to_string();
    ok(&clyra(&[
        "ledger",
        "prove",
        "--index",
        &at_index,
        "--ledger",
        &ledger.l(),
        "--out",
        &by_index,
    ]));
    assert_eq!(
        std::fs::read(&by_index).unwrap(),
        std::fs::read(&receipt).unwrap()
    );

    // A consistency proof, checked alone.
    let proof = ledger.dir.path("consistency.json");
    ok(&clyra(&[
        "ledger",
        "prove",
        "--since",
        &cp1,
        "--ledger",
        &ledger.l(),
        "--out",
        &proof,
    ]));
    is(
        verdict(&["ledger", "check", &proof, "--key", &ledger.vkey]),
        VALID,
    );

    // list: every record, and none before the logged time.
    let listed = ok(&clyra(&[
        "ledger",
        "list",
        "--ledger",
        &ledger.l(),
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), all.len());
    let none = ok(&clyra(&[
        "ledger",
        "list",
        "--ledger",
        &ledger.l(),
        "--until",
        "2026-12-01T10:00:00Z",
        "--format",
        "json",
    ]));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&none).unwrap()["entries"],
        serde_json::json!([])
    );

    // A bundle that is not there.
    let out = clyra(&[
        "ledger",
        "prove",
        &repo()
            .join("vectors/keys/producer-ed25519-1.key")
            .display()
            .to_string(),
        "--ledger",
        &ledger.l(),
    ]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("ledger.not_found"));
}

#[test]
fn tampering_rewinds_forks_and_wrong_keys_are_caught() {
    let ledger = Ledger::new();
    let all = ledger_bundles();
    let first: Vec<&Path> = all[..5].iter().map(PathBuf::as_path).collect();
    ok(&ledger.append(&first));
    let cp5 = ledger.save_checkpoint("cp5");
    let more: Vec<&Path> = all[5..9].iter().map(PathBuf::as_path).collect();
    ok(&ledger.append(&more));
    let cp9 = ledger.save_checkpoint("cp9");

    // Rewound: the ledger put back to 5 entries, verified since the 9-entry checkpoint.
    std::fs::copy(&cp5, ledger.dir.path("L/checkpoint")).unwrap();
    is(
        ledger.verify(&["--since", &cp9]),
        ("INVALID", "ledger.rewound", 1),
    );
    std::fs::copy(&cp9, ledger.dir.path("L/checkpoint")).unwrap();
    is(ledger.verify(&[]), VALID);

    // Altered tile and truncated tile.
    let tile = ledger.dir.path("L/tile/0/000.p/9");
    let good = std::fs::read(&tile).unwrap();
    let mut bad = good.clone();
    bad[40] ^= 1;
    std::fs::write(&tile, &bad).unwrap();
    is(ledger.verify(&[]), ("INVALID", "ledger.tile_mismatch", 1));
    std::fs::write(&tile, &good[..good.len() - 1]).unwrap();
    is(ledger.verify(&[]), ("INVALID", "ledger.tile_truncated", 1));
    std::fs::write(&tile, &good).unwrap();
    // An altered record in an entry bundle.
    let entries = ledger.dir.path("L/tile/entries/000.p/9");
    let good_entries = std::fs::read(&entries).unwrap();
    let mut altered = good_entries.clone();
    let at = altered
        .windows(10)
        .position(|w| w == b"production")
        .unwrap();
    altered[at + 9] = b'm';
    std::fs::write(&entries, altered).unwrap();
    assert_eq!(ledger.verify(&[]).2, 1);
    std::fs::write(&entries, &good_entries).unwrap();

    // Forged checkpoint: the size changed after signing.
    let note = std::fs::read_to_string(&cp9).unwrap();
    std::fs::write(
        ledger.dir.path("L/checkpoint"),
        note.replacen("\n9\n", "\n8\n", 1),
    )
    .unwrap();
    is(
        ledger.verify(&[]),
        ("INVALID", "ledger.checkpoint_signature", 1),
    );
    std::fs::copy(&cp9, ledger.dir.path("L/checkpoint")).unwrap();

    // Another ledger key: untrusted (exit 2), not invalid.
    let stranger = Ledger::new();
    let l = ledger.l();
    let origin = ledger.vkey.split('+').next().unwrap();
    let foreign = stranger
        .vkey
        .replacen(stranger.vkey.split('+').next().unwrap(), origin, 1);
    let out = verdict(&["ledger", "verify", &l, "--key", &foreign]);
    assert_eq!(
        out.1, "ledger.key",
        "a key whose hash does not match its name is unusable"
    );
    is(
        verdict(&["ledger", "verify", &l, "--key", &stranger.vkey]),
        ("INVALID", "ledger.origin_mismatch", 1),
    );
    let same_name = TempDir::new();
    ok(&clyra(&["keygen", "--out", &same_name.path("k")]));
    let init = ok(&clyra(&[
        "ledger",
        "init",
        &same_name.path("L"),
        "--key",
        &same_name.path("k/clyra.key"),
        "--origin",
        origin,
        "--format",
        "json",
    ]));
    let impostor: serde_json::Value = serde_json::from_str(&init).unwrap();
    let impostor = impostor["key"].as_str().unwrap();
    is(
        verdict(&["ledger", "verify", &l, "--key", impostor]),
        ("VALID_UNTRUSTED", "ledger.untrusted_key", 2),
    );

    // Fork: the same key and origin, different entries, one size.
    let fork = TempDir::new();
    ok(&clyra(&[
        "ledger",
        "init",
        &fork.path("F"),
        "--key",
        &ledger.dir.path("k/clyra.key"),
    ]));
    let other: Vec<String> = all[9..18].iter().map(|p| p.display().to_string()).collect();
    let k = ledger.dir.path("k/clyra.key");
    let f = fork.path("F");
    let mut args = vec!["ledger", "append", "--ledger", &f, "--key", &k];
    args.extend(other.iter().map(String::as_str));
    ok(&clyra(&args));
    is(
        ledger.verify(&["--since", &fork.path("F/checkpoint")]),
        ("INVALID", "ledger.fork", 1),
    );
}

#[test]
fn a_replayed_approval_is_refused_and_reported() {
    let ledger = Ledger::new();
    let original = repo().join("vectors/0006-def-approvals-one/bundle.zip");
    let copy = ledger.dir.path("copy.zip");
    std::fs::copy(&original, &copy).unwrap();
    ok(&clyra(&["keygen", "--out", &ledger.dir.path("k2")]));
    ok(&clyra(&[
        "sign",
        &copy,
        "--key",
        &ledger.dir.path("k2/clyra.key"),
        "--signed-at",
        "2026-11-20T09:05:00Z",
    ]));
    ok(&ledger.append(&[&original]));
    let out = ledger.append(&[Path::new(&copy)]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("ledger.replay"),
        "{}",
        text(&out.stderr)
    );
    is(ledger.verify(&[]), VALID);
}

#[test]
fn two_appenders_at_once_never_fork() {
    let ledger = Ledger::new();
    let all = ledger_bundles();
    let (a, b) = all.split_at(all.len() / 2);
    let spawn = |set: &[PathBuf]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clyra"));
        cmd.args([
            "ledger",
            "append",
            "--ledger",
            &ledger.l(),
            "--key",
            &ledger.dir.path("k/clyra.key"),
        ]);
        cmd.args(set)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut x, mut y) = (spawn(a), spawn(b));
    assert!(x.wait().unwrap().success() && y.wait().unwrap().success());
    is(ledger.verify(&[]), VALID);
    let note = std::fs::read_to_string(ledger.dir.path("L/checkpoint")).unwrap();
    assert_eq!(note.lines().nth(1).unwrap(), all.len().to_string());
}

#[test]
fn kill_9_during_append_leaves_a_ledger_that_verifies() {
    let ledger = Ledger::new();
    let all = ledger_bundles();
    let mut appended_before = 0usize;
    for (round, delay_ms) in [2u64, 5, 9, 14, 20, 30, 45].into_iter().enumerate() {
        let cp = ledger.save_checkpoint(&format!("cp-{round}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_clyra"))
            .args([
                "ledger",
                "append",
                "--ledger",
                &ledger.l(),
                "--key",
                &ledger.dir.path("k/clyra.key"),
            ])
            .args(&all)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        // Whatever the moment, the ledger verifies and extends the checkpoint before the kill.
        is(ledger.verify(&[]), VALID);
        is(ledger.verify(&["--since", &cp]), VALID);
        let note = std::fs::read_to_string(ledger.dir.path("L/checkpoint")).unwrap();
        let size: usize = note.lines().nth(1).unwrap().parse().unwrap();
        assert!(size == appended_before || size == all.len(), "size {size}");
        appended_before = size;
    }
    // A later append completes over whatever a killed one left behind.
    ok(&ledger.append(&all.iter().map(PathBuf::as_path).collect::<Vec<_>>()));
    is(ledger.verify(&[]), VALID);
}

#[test]
fn a_witness_cosigns_after_checking_consistency_and_verify_requires_it() {
    let ledger = Ledger::new();
    let all = ledger_bundles();
    ok(&ledger.append(&[&all[0], &all[1]]));
    let out: serde_json::Value = serde_json::from_str(&ok(&ledger.cosign())).unwrap();
    let wkey = out["key"].as_str().unwrap().to_owned();
    is(ledger.verify(&["--witness", &wkey]), VALID);
    // A new checkpoint carries no cosignature until the witness signs it.
    ok(&ledger.append(&[&all[2]]));
    is(
        ledger.verify(&["--witness", &wkey]),
        ("INVALID", "ledger.witness_missing", 1),
    );
    ok(&ledger.cosign());
    is(ledger.verify(&["--witness", &wkey]), VALID);
    // A rewound ledger is refused by the witness: it remembers the last checkpoint it signed.
    let cp3 = ledger.save_checkpoint("cp3");
    ok(&ledger.append(&[&all[3]]));
    ok(&ledger.cosign());
    let after = ledger.save_checkpoint("after");
    std::fs::copy(&cp3, ledger.dir.path("L/checkpoint")).unwrap();
    let refused = ledger.cosign();
    assert_eq!(refused.status.code(), Some(4));
    assert!(
        text(&refused.stdout).contains("ledger.rewound"),
        "{}",
        text(&refused.stdout)
    );
    std::fs::copy(&after, ledger.dir.path("L/checkpoint")).unwrap();
}

/// trust-v0.md §6.5 (rule 5a) end to end: a bundle appended and cosigned by a witness, then its
/// producer key revoked — `clyra verify --ledger-proof` keeps the signature when the trust file
/// lists the ledger key and the witness and the cosignature precedes the revocation.
#[test]
fn a_witnessed_receipt_keeps_a_revoked_key_signature() {
    use clyra_core::time::Timestamp;
    let ledger = Ledger::new();
    let dir = repo().join("vectors").join("0001-def-minimal");
    let bundle = dir.join("bundle.zip").display().to_string();
    let other = ledger_bundles()
        .into_iter()
        .find(|b| !b.starts_with(&dir))
        .unwrap()
        .display()
        .to_string();
    ok(&ledger.append(&[Path::new(&bundle)]));
    let l = ledger.l();
    let out = ok(&ledger.cosign());
    let wkey = serde_json::from_str::<serde_json::Value>(&out).unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let receipt = ledger.dir.path("receipt.json");
    ok(&clyra(&[
        "ledger", "prove", &bundle, "--ledger", &l, "--out", &receipt,
    ]));
    // The cosignature carries the host's clock: revoke a day after it, verify two days after.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let day = |n: i64| {
        Timestamp::from_unix_seconds(now + n * 86_400)
            .unwrap()
            .as_str()
            .to_owned()
    };
    let at = day(2);
    let trust_file = |revoked_at: &str, ledger_keys: bool, witnesses: bool| {
        let mut t: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("trust.json")).unwrap()).unwrap();
        t["keys"][0]["revoked_at"] = serde_json::json!(revoked_at);
        if ledger_keys {
            t["ledger_keys"] = serde_json::json!([ledger.vkey]);
        }
        if witnesses {
            t["witnesses"] = serde_json::json!([wkey]);
        }
        let path = ledger.dir.path(&format!(
            "trust-{revoked_at}-{ledger_keys}-{witnesses}.json"
        ));
        std::fs::write(&path, t.to_string()).unwrap();
        path
    };
    let run = |b: &str, trust: &str, extra: &[&str]| {
        let mut args = vec!["verify", b, "--trust", trust, "--at", &at];
        args.extend(extra);
        verdict(&args)
    };
    let full = trust_file(&day(1), true, true);
    is(
        run(&bundle, &full, &["--ledger-proof", &receipt]),
        ("VALID", "time.key_revoked_witnessed", 2),
    );
    // Without the receipt, rule 5 as before.
    is(run(&bundle, &full, &[]), ("INVALID", "time.key_revoked", 1));
    // Revoked before the cosignature.
    let early = trust_file("2026-11-25T00:00:00Z", true, true);
    is(
        run(&bundle, &early, &["--ledger-proof", &receipt]),
        ("INVALID", "time.witness_after_revocation", 1),
    );
    // The witness not listed.
    let no_witness = trust_file(&day(1), true, false);
    is(
        run(&bundle, &no_witness, &["--ledger-proof", &receipt]),
        ("INVALID", "time.witness_untrusted", 1),
    );
    // Another bundle with this receipt.
    is(
        run(&other, &full, &["--ledger-proof", &receipt]),
        ("INVALID", "time.witness_proof_mismatch", 1),
    );
    // No ledger key anywhere is a usage error; --ledger-key serves the receipt's own checks,
    // but rule 5a trusts only the trust file's ledger keys.
    let no_ledger = trust_file(&day(1), false, true);
    is(
        run(&bundle, &no_ledger, &["--ledger-proof", &receipt]),
        ("ERROR", "ledger.key", 4),
    );
    is(
        run(
            &bundle,
            &no_ledger,
            &["--ledger-proof", &receipt, "--ledger-key", &ledger.vkey],
        ),
        ("INVALID", "time.witness_untrusted", 1),
    );
}
