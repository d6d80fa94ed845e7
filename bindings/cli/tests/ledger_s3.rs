//! `clyra ledger …` on S3-compatible object storage (ledger-v0.md §8) against a real server with
//! Object Lock on loopback: versitygw, started here through `scripts/s3-server.sh` (which builds it
//! once from the Go module proxy). Retention, legal hold, a refused raw delete of a locked
//! version, same checkpoints and proofs as a directory, concurrent appenders, bad credentials.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{ledger_bundles, ok, text, TempDir};

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use clyra_core::digest::Sha256Digest;
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

const ACCESS: &str = "clyra-test";
const SECRET: &str = "clyra-test-secret";

/// The server, stopped when dropped.
struct Server {
    pid: u32,
    endpoint: String,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
    }
}

fn start() -> Server {
    let dir = TempDir::new();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/s3-server.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(dir.path("srv"))
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let line = text(&out.stdout);
    assert!(out.status.success(), "s3-server.sh start failed: {line}");
    let endpoint = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("endpoint="))
        .unwrap()
        .to_owned();
    let pid = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("pid="))
        .unwrap()
        .parse()
        .unwrap();
    Server {
        pid,
        endpoint,
        _dir: dir,
    }
}

impl Server {
    fn bucket(&self, name: &str) -> Bucket {
        Bucket::new(
            self.endpoint.parse().unwrap(),
            UrlStyle::Path,
            name.to_owned(),
            "us-east-1",
        )
        .unwrap()
    }

    /// Creates `name` with Object Lock (and so versioning) enabled.
    fn create_bucket(&self, name: &str) {
        self.create_bucket_with(name, true);
    }

    /// Creates `name`, with Object Lock enabled or not.
    fn create_bucket_with(&self, name: &str, object_lock: bool) {
        let creds = Credentials::new(ACCESS, SECRET);
        let b = self.bucket(name);
        let mut action = b.create_bucket(&creds);
        if object_lock {
            action
                .headers_mut()
                .insert("x-amz-bucket-object-lock-enabled", "true");
        }
        let url = action.sign(Duration::from_secs(60));
        let mut req = agent().put(url.as_str());
        if object_lock {
            req = req.header("x-amz-bucket-object-lock-enabled", "true");
        }
        let resp = req.send_empty().unwrap();
        assert_eq!(resp.status().as_u16(), 200, "create bucket {name}");
    }

    /// GetObjectRetention of `key`: (mode, retain-until in Unix seconds).
    fn retention(&self, bucket: &str, key: &str) -> (String, i64) {
        let (st, _, body) = self.raw("GET", bucket, key, &[("retention", "")]);
        assert_eq!(st, 200, "{body}");
        let until = clyra_core::time::Timestamp::parse(xml(&body, "RetainUntilDate"))
            .unwrap()
            .unix_seconds();
        (xml(&body, "Mode").to_owned(), until)
    }

    /// A raw signed request: (status, headers, body).
    fn raw(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        query: &[(&str, &str)],
    ) -> (u16, ureq::http::HeaderMap, String) {
        let creds = Credentials::new(ACCESS, SECRET);
        let b = self.bucket(bucket);
        let url = match method {
            "DELETE" => {
                let mut a = b.delete_object(Some(&creds), key);
                for (k, v) in query {
                    a.query_mut().insert(*k, *v);
                }
                a.sign(Duration::from_secs(60))
            }
            "HEAD" => b
                .head_object(Some(&creds), key)
                .sign(Duration::from_secs(60)),
            _ => {
                let mut a = b.get_object(Some(&creds), key);
                for (k, v) in query {
                    a.query_mut().insert(*k, *v);
                }
                a.sign(Duration::from_secs(60))
            }
        };
        let resp = match method {
            "DELETE" => agent().delete(url.as_str()).call(),
            "HEAD" => agent().head(url.as_str()).call(),
            _ => agent().get(url.as_str()).call(),
        }
        .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().read_to_string().unwrap_or_default();
        (status, headers, body)
    }

    fn clyra(&self, args: &[&str]) -> Output {
        self.cmd(args, SECRET).output().unwrap()
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.cmd(args, SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn cmd(&self, args: &[&str], secret: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_clyra"));
        c.args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", ACCESS)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_REGION", "us-east-1")
            .env("CLYRA_S3_PATH_STYLE", "1");
        c
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// A server with the Object Lock bucket `bucket`, a temporary directory and a ledger key in it.
fn setup(bucket: &str) -> (Server, TempDir, String) {
    let srv = start();
    srv.create_bucket(bucket);
    let tmp = TempDir::new();
    ok(&srv.clyra(&["keygen", "--out", &tmp.path("k")]));
    let key = tmp.path("k/clyra.key");
    (srv, tmp, key)
}

/// Asserts a typed failure: exit 4 and `code` in the JSON output.
#[track_caller]
fn refused(out: &Output, code: &str) {
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(code), "{}", text(&out.stdout));
}

fn sha_hex(p: &Path) -> String {
    Sha256Digest::of(&std::fs::read(p).unwrap()).to_hex()
}

/// `<tag>…</tag>` of an XML body.
fn xml<'a>(body: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = body
        .find(&open)
        .unwrap_or_else(|| panic!("no {tag} in {body}"))
        + open.len();
    let end = body[start..].find(&format!("</{tag}>")).unwrap() + start;
    &body[start..end]
}

#[test]
fn s3_ledger_matches_a_directory_locks_bundles_and_never_forks() {
    let (srv, tmp, key) = setup("ledger");
    let all = ledger_bundles();
    assert!(all.len() >= 6, "need vector bundles, found {}", all.len());
    let first: Vec<&str> = all[..3].iter().map(|p| p.to_str().unwrap()).collect();
    let at = "2026-12-04T10:00:00Z";

    // Same key, same bundles, same time: a directory and an S3 prefix give the same bytes.
    let dir = tmp.path("L");
    let s3 = "s3://ledger/team/a";
    ok(&srv.clyra(&["ledger", "init", &dir, "--key", &key]));
    ok(&srv.clyra(&["ledger", "init", s3, "--key", &key, "--retain-days", "30"]));
    let before = chrono_now();
    for l in [dir.as_str(), s3] {
        let mut args = vec![
            "ledger",
            "append",
            "--ledger",
            l,
            "--key",
            &key,
            "--logged-at",
            at,
        ];
        args.extend(&first);
        args.extend(["--retain-days", "30", "--legal-hold"]);
        ok(&srv.clyra(&args));
    }
    let after = chrono_now();
    let (_, _, disk_cp) = (0, 0, std::fs::read(tmp.path("L/checkpoint")).unwrap());
    let (st, _, s3_cp) = srv.raw("GET", "ledger", "team/a/checkpoint", &[]);
    assert_eq!(st, 200);
    assert_eq!(s3_cp.as_bytes(), disk_cp.as_slice(), "same checkpoint");
    for l in [dir.as_str(), s3] {
        let out = ok(&srv.clyra(&["ledger", "verify", l, "--format", "json"]));
        assert!(out.contains("\"VALID\""), "{l}: {out}");
    }
    let proof = |l: &str| ok(&srv.clyra(&["ledger", "prove", first[1], "--ledger", l]));
    assert_eq!(proof(&dir), proof(s3), "same inclusion proof");
    let list = ok(&srv.clyra(&["ledger", "list", "--ledger", s3]));
    assert!(list.contains("3 of 3 entries listed"), "{list}");

    // Retention: COMPLIANCE until append time + 30 days; legal hold on.
    let bkey = format!("team/a/bundles/{}.zip", sha_hex(&all[0]));
    let (st, _, body) = srv.raw("GET", "ledger", &bkey, &[("retention", "")]);
    assert_eq!(st, 200, "{body}");
    assert_eq!(xml(&body, "Mode"), "COMPLIANCE");
    let until = clyra_core::time::Timestamp::parse(xml(&body, "RetainUntilDate"))
        .unwrap()
        .unix_seconds();
    assert!(
        until >= before + 30 * 86_400 - 1 && until <= after + 30 * 86_400 + 1,
        "retain-until {until} not append time + 30 days ({before}..{after})"
    );
    let (st, _, body) = srv.raw("GET", "ledger", &bkey, &[("legal-hold", "")]);
    assert_eq!(st, 200, "{body}");
    assert_eq!(xml(&body, "Status"), "ON");

    // The storage refuses a raw delete of the locked version; the bundle is still there.
    let (st, headers, _) = srv.raw("HEAD", "ledger", &bkey, &[]);
    assert_eq!(st, 200);
    let version = headers
        .get("x-amz-version-id")
        .expect("a versioned bucket")
        .to_str()
        .unwrap()
        .to_owned();
    let (st, _, body) = srv.raw("DELETE", "ledger", &bkey, &[("versionId", &version)]);
    assert_eq!(st, 403, "locked version deleted: {body}");
    assert_eq!(srv.raw("HEAD", "ledger", &bkey, &[]).0, 200);

    // Concurrent appenders (4 processes, different bundles) never fork the log.
    let rest: Vec<String> = all[3..].iter().map(|p| p.display().to_string()).collect();
    let groups: Vec<Vec<String>> = (0..4)
        .map(|i| rest.iter().skip(i).step_by(4).cloned().collect())
        .filter(|g: &Vec<String>| !g.is_empty())
        .collect();
    let children: Vec<Child> = groups
        .iter()
        .map(|g| {
            let mut args = vec![
                "ledger",
                "append",
                "--ledger",
                s3,
                "--key",
                &key,
                "--retain-days",
                "1",
            ];
            args.extend(g.iter().map(String::as_str));
            srv.spawn(&args)
        })
        .collect();
    for c in children {
        ok(&c.wait_with_output().unwrap());
    }
    let out = ok(&srv.clyra(&["ledger", "verify", s3, "--format", "json"]));
    assert!(out.contains("\"VALID\""), "{out}");
    let list = ok(&srv.clyra(&["ledger", "list", "--ledger", s3]));
    let n = all.len();
    assert!(
        list.contains(&format!("{n} of {n} entries listed")),
        "{list}"
    );

    // A witness cosigns the S3 checkpoint (swapped on its ETag); verify --witness requires it.
    let (_, _, config) = srv.raw("GET", "ledger", "team/a/ledger.json", &[]);
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    let vkey = config["key"].as_str().unwrap();
    ok(&srv.clyra(&["keygen", "--out", &tmp.path("w")]));
    let (wk, state) = (tmp.path("w/clyra.key"), tmp.path("w/state"));
    let out = ok(&srv.clyra(&[
        "ledger",
        "cosign",
        s3,
        "--witness-key",
        &wk,
        "--name",
        "witness.example/w1",
        "--key",
        vkey,
        "--state",
        &state,
        "--format",
        "json",
    ]));
    let wkey: serde_json::Value = serde_json::from_str(&out).unwrap();
    let wkey = wkey["key"].as_str().unwrap();
    let out = ok(&srv.clyra(&[
        "ledger",
        "verify",
        s3,
        "--key",
        vkey,
        "--witness",
        wkey,
        "--format",
        "json",
    ]));
    assert!(out.contains("\"VALID\""), "{out}");
    let out = srv.clyra(&[
        "ledger",
        "verify",
        &dir,
        "--key",
        vkey,
        "--witness",
        wkey,
        "--format",
        "json",
    ]);
    assert!(!out.status.success(), "the directory has no cosignature");
}

#[test]
fn bad_credentials_or_endpoint_are_typed_errors_and_write_nothing() {
    let (srv, _tmp, key) = setup("badcreds");
    let args = [
        "ledger",
        "init",
        "s3://badcreds/x",
        "--key",
        &key,
        "--retain-days",
        "1",
        "--format",
        "json",
    ];
    let out = srv.cmd(&args, "wrong-secret-value").output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("ledger.storage_auth"), "{all}");
    assert!(
        !all.contains("wrong-secret-value") && !all.contains(SECRET),
        "secret printed"
    );
    assert_eq!(
        srv.raw("HEAD", "badcreds", "x/checkpoint", &[]).0,
        404,
        "wrote a checkpoint"
    );
    assert_eq!(srv.raw("HEAD", "badcreds", "x/ledger.json", &[]).0, 404);

    let mut c = srv.cmd(&args, SECRET);
    c.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let out = c.output().unwrap();
    refused(&out, "ledger.storage");

    // Without a retention period an S3 ledger is refused before anything is written.
    let out = srv.clyra(&[
        "ledger",
        "init",
        "s3://badcreds/y",
        "--key",
        &key,
        "--format",
        "json",
    ]);
    refused(&out, "ledger.storage_lock");
    assert_eq!(srv.raw("HEAD", "badcreds", "y/checkpoint", &[]).0, 404);
}

/// Now, in Unix seconds.
fn chrono_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// `period` added to each second in [before, after] (the append's time is in between), as Unix
/// seconds: the retain-until dates the policy allows.
fn allowed(period: &str, before: i64, after: i64) -> Vec<i64> {
    let p = clyra_core::ledger::retention::Period::parse(period).unwrap();
    (before..=after)
        .map(|t| {
            let until = p
                .retain_until(&clyra_core::time::Timestamp::from_unix_seconds(t).unwrap())
                .unwrap();
            clyra_core::time::Timestamp::parse(&until)
                .unwrap()
                .unix_seconds()
        })
        .collect()
}

#[test]
fn retention_comes_from_the_policy_then_the_config_and_the_flag_wins() {
    let (srv, tmp, key) = setup("ret");
    let period = "P1Y2M3D";
    let policy = tmp.path("policy.yaml");
    std::fs::write(
        &policy,
        format!("version: 1\ncompliance:\n  retention: {{period: {period}, legal_hold: true}}\n"),
    )
    .unwrap();
    let config = tmp.path("config.json");
    std::fs::write(
        &config,
        r#"{"environments": {}, "ledger": {"location": "s3://ret/p", "retain_days": 5}}"#,
    )
    .unwrap();
    let all = ledger_bundles();
    let s3 = "s3://ret/p";
    ok(&srv.clyra(&["ledger", "init", s3, "--key", &key, "--policy", &policy]));
    let (mode, until) = srv.retention("ret", "p/ledger.json");
    assert_eq!(mode, "COMPLIANCE");
    assert!(until > chrono_now() + 365 * 86_400, "init used the policy");

    // The policy's period (calendar arithmetic) and legal hold, read back with GetObjectRetention.
    let append = |b: &Path, extra: &[&str]| {
        let mut args = vec!["ledger", "append", "--ledger", s3, "--key", &key];
        args.push(b.to_str().unwrap());
        args.extend(extra);
        let before = chrono_now();
        ok(&srv.clyra(&args));
        let after = chrono_now();
        let bkey = format!("p/bundles/{}.zip", sha_hex(b));
        let (mode, until) = srv.retention("ret", &bkey);
        assert_eq!(mode, "COMPLIANCE");
        let (_, _, hold) = srv.raw("GET", "ret", &bkey, &[("legal-hold", "")]);
        (until, before, after, hold)
    };
    let (until, before, after, hold) = append(&all[0], &["--policy", &policy, "--config", &config]);
    assert!(
        allowed(period, before, after).contains(&until),
        "retain-until {until} is not the append time + {period}"
    );
    assert!(
        hold.contains("<Status>ON</Status>"),
        "policy legal_hold: {hold}"
    );

    // No policy: the config's ledger.retain_days; no legal hold.
    let (until, before, after, hold) = append(&all[1], &["--config", &config]);
    assert!(
        allowed("P5D", before, after).contains(&until),
        "retain-until {until} is not the append time + 5 days"
    );
    assert!(
        !hold.contains("<Status>ON</Status>"),
        "no legal hold asked: {hold}"
    );

    // --retain-days beats the policy.
    let (until, before, after, _) = append(&all[2], &["--retain-days", "2", "--policy", &policy]);
    assert!(allowed("P2D", before, after).contains(&until), "{until}");

    // A policy with a zero period (schema-valid) is refused before anything is written.
    std::fs::write(
        &policy,
        "version: 1\ncompliance:\n  retention: {period: P0D}\n",
    )
    .unwrap();
    let out = srv.clyra(&[
        "ledger",
        "append",
        "--ledger",
        s3,
        "--key",
        &key,
        all[3].to_str().unwrap(),
        "--policy",
        &policy,
        "--format",
        "json",
    ]);
    refused(&out, "ledger.storage_lock");
    let bkey = format!("p/bundles/{}.zip", sha_hex(&all[3]));
    assert_eq!(srv.raw("HEAD", "ret", &bkey, &[]).0, 404);
}

#[test]
fn init_refuses_a_bucket_without_object_lock() {
    let srv = start();
    srv.create_bucket_with("plain", false);
    srv.create_bucket("locked");
    let tmp = TempDir::new();
    ok(&srv.clyra(&["keygen", "--out", &tmp.path("k")]));
    let key = tmp.path("k/clyra.key");
    let init = |loc: &str| {
        srv.clyra(&[
            "ledger",
            "init",
            loc,
            "--key",
            &key,
            "--retain-days",
            "1",
            "--format",
            "json",
        ])
    };
    let out = init("s3://plain/x");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ledger.storage_lock"), "{stdout}");
    assert!(stdout.contains("Object Lock"), "{stdout}");
    assert_eq!(
        srv.raw("HEAD", "plain", "x/checkpoint", &[]).0,
        404,
        "wrote a checkpoint"
    );
    assert_eq!(srv.raw("HEAD", "plain", "x/ledger.json", &[]).0, 404);
    ok(&init("s3://locked/x"));
    assert_eq!(srv.raw("HEAD", "locked", "x/checkpoint", &[]).0, 200);
}

/// `report daily-review --ledger s3://…` and `attest --ledger s3://…` read the same records and
/// bundles as from a directory holding the same appends: same review, same attestation summary.
#[test]
fn daily_review_and_attest_read_an_s3_ledger_like_a_directory() {
    let (srv, tmp, key) = setup("review");
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors");
    let v = |slug: &str, file: &str| vectors.join(slug).join(file).display().to_string();
    let dir = tmp.path("L");
    let s3 = "s3://review/r";
    ok(&srv.clyra(&["ledger", "init", &dir, "--key", &key]));
    ok(&srv.clyra(&["ledger", "init", s3, "--key", &key, "--retain-days", "1"]));
    let slugs = ["0006-def-approvals-one", "0084-approval-insufficient"];
    for l in [dir.as_str(), s3] {
        for (i, slug) in slugs.iter().enumerate() {
            let at = format!("2026-11-20T1{i}:00:00Z");
            ok(&srv.clyra(&[
                "ledger",
                "append",
                &v(slug, "bundle.zip"),
                "--ledger",
                l,
                "--key",
                &key,
                "--logged-at",
                &at,
                "--retain-days",
                "1",
            ]));
        }
    }
    let trust = v(slugs[0], "trust.json");
    let review = |l: &str| {
        let out = srv.clyra(&[
            "report",
            "daily-review",
            "--ledger",
            l,
            "--date",
            "2026-11-20",
            "--trust",
            &trust,
            "--at",
            "2026-12-01T00:00:00Z",
            "--format",
            "json",
        ]);
        (out.status.code(), text(&out.stdout))
    };
    let (from_dir, from_s3) = (review(&dir), review(s3));
    // One valid bundle, one short of approvals (exit 1), none missing: the bundles were read.
    assert!(
        from_s3.1.contains("\"missing\":0,\"valid\":1"),
        "{from_s3:?}"
    );
    assert_eq!(from_dir, from_s3, "same daily review");

    let attest = |l: &str, out: &str| {
        let out = srv.clyra(&[
            "attest",
            "--ledger",
            l,
            "--from",
            "2026-11-01",
            "--until",
            "2026-12-01",
            "--framework",
            "sox",
            "--key",
            &v("keys", "producer-ed25519-1.key"),
            "--trust",
            &trust,
            "--at",
            "2026-12-01T00:00:00Z",
            "--out",
            &tmp.path(out),
            "--format",
            "json",
        ]);
        let mut s: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}{}", text(&out.stdout), text(&out.stderr)));
        for path in ["attestation", "oscal", "pdf"] {
            s.as_object_mut().unwrap().remove(path);
        }
        (out.status.code(), s)
    };
    let (code_dir, a_dir) = attest(&dir, "a-dir");
    let (code_s3, a_s3) = attest(s3, "a-s3");
    assert_eq!(a_s3["bundles"], 2, "{a_s3}");
    assert_eq!(
        (code_dir, &a_dir),
        (code_s3, &a_s3),
        "same attestation summary"
    );

    // A bundle gone from the bucket (a delete marker) is a gap, as in a directory.
    let bkey = format!(
        "r/bundles/{}.zip",
        sha_hex(Path::new(&v(slugs[1], "bundle.zip")))
    );
    assert_eq!(srv.raw("DELETE", "review", &bkey, &[]).0, 204);
    let (_, gap) = attest(s3, "a-gap");
    assert_eq!(gap["bundles"], 1, "{gap}");
}
