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
        let creds = Credentials::new(ACCESS, SECRET);
        let b = self.bucket(name);
        let mut action = b.create_bucket(&creds);
        action
            .headers_mut()
            .insert("x-amz-bucket-object-lock-enabled", "true");
        let url = action.sign(Duration::from_secs(60));
        let resp = agent()
            .put(url.as_str())
            .header("x-amz-bucket-object-lock-enabled", "true")
            .send_empty()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "create bucket {name}");
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
    let srv = start();
    srv.create_bucket("ledger");
    let tmp = TempDir::new();
    ok(&srv.clyra(&["keygen", "--out", &tmp.path("k")]));
    let key = tmp.path("k/clyra.key");
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
    let srv = start();
    srv.create_bucket("badcreds");
    let tmp = TempDir::new();
    ok(&srv.clyra(&["keygen", "--out", &tmp.path("k")]));
    let key = tmp.path("k/clyra.key");
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
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stdout).contains("ledger.storage"),
        "{}",
        text(&out.stdout)
    );

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
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stdout).contains("ledger.storage_lock"),
        "{}",
        text(&out.stdout)
    );
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
