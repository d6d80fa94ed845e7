//! `clyra export --servicenow | --jira` (spec/ticket-config-v0.md) against local loopback servers
//! that behave as the documented APIs do: ServiceNow OAuth client credentials, Table API and
//! Attachment API; Jira Cloud REST v3 search, issue, attachments (X-Atlassian-Token) and remote
//! links; basic and bearer auth, 401s, 429 with Retry-After and 5xx. Happy paths, retries,
//! duplicate prevention, auth failure, bad configuration, dry runs, secrets never printed, and
//! `clyra doctor --ticket-config`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
mod common;
use common::{exits, text, vector, TempDir};

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine as _;
use serde_json::{json, Value};

const SN_ID: &str = "clyra-client";
const SN_SECRET: &str = "s3cr3t-client-VALUE-8d1f";
const JIRA_EMAIL: &str = "ci@acme.example";
const JIRA_TOKEN: &str = "ATATT-jira-token-VALUE-77aa";
const TOKEN: &str = "oauth-access-token-VALUE-42";

/// One request the server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct State {
    seen: Vec<Seen>,
    /// (path prefix, status, Retry-After): answered instead, once each, in order.
    faults: Vec<(String, u16, Option<u64>)>,
    /// Created records: (attestation hash or label, number/key).
    records: Vec<(String, String)>,
}

/// A loopback server mimicking ServiceNow and Jira Cloud.
struct Server {
    url: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(req) = read_request(&mut stream) else {
                    continue;
                };
                let (status, retry, body) = answer(&shared, req);
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                if let Some(r) = retry {
                    head.push_str(&format!("Retry-After: {r}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body.as_bytes());
            }
        });
        Self { url, state }
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    fn fault(&self, path: &str, status: u16, retry_after: Option<u64>) {
        self.state
            .lock()
            .unwrap()
            .faults
            .push((path.into(), status, retry_after));
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// The documented behaviour, reduced to what Clyra uses.
fn answer(state: &Arc<Mutex<State>>, req: Seen) -> (u16, Option<u64>, String) {
    let mut s = state.lock().unwrap();
    s.seen.push(req.clone());
    if let Some(i) = s
        .faults
        .iter()
        .position(|(p, _, _)| req.path.starts_with(p.as_str()))
    {
        let (_, status, retry) = s.faults.remove(i);
        return (status, retry, r#"{"error":{"message":"try later"}}"#.into());
    }
    let auth = req
        .headers
        .get("authorization")
        .cloned()
        .unwrap_or_default();
    let bearer_ok = auth == format!("Bearer {TOKEN}");
    let path = req.path.as_str();
    let unauthorized = (
        401,
        None,
        r#"{"error":{"message":"User Not Authenticated"}}"#.to_owned(),
    );
    if path == "/oauth_token.do" {
        let form = String::from_utf8_lossy(&req.body).to_string();
        let ok = form.contains("grant_type=client_credentials")
            && form.contains(&format!("client_id={SN_ID}"))
            && form.contains(&format!("client_secret={SN_SECRET}"));
        return if ok {
            (
                200,
                None,
                json!({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 1799})
                    .to_string(),
            )
        } else {
            (401, None, r#"{"error":"access_denied"}"#.into())
        };
    }
    if path.starts_with("/api/now/") {
        if !(bearer_ok || auth == basic("admin", SN_SECRET)) {
            return unauthorized;
        }
        if req.method == "GET" && path.starts_with("/api/now/table/change_request?") {
            let found: Vec<Value> = s
                .records
                .iter()
                .filter(|(hash, _)| path.contains(hash.as_str()))
                .map(|(_, n)| json!({"sys_id": format!("sys-{n}"), "number": n}))
                .collect();
            return (200, None, json!({"result": found}).to_string());
        }
        if req.method == "POST" && path == "/api/now/table/change_request" {
            let body = req.json();
            let number = format!("CHG003{:04}", s.records.len() + 1);
            let hash = body["u_attestation_hash"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            s.records.push((hash, number.clone()));
            return (
                201,
                None,
                json!({"result": {"sys_id": format!("sys-{number}"), "number": number}})
                    .to_string(),
            );
        }
        if req.method == "POST"
            && path.starts_with(
                "/api/now/attachment/file?table_name=change_request&table_sys_id=sys-CHG",
            )
        {
            return (
                201,
                None,
                json!({"result": {"sys_id": "att-1", "size_bytes": req.body.len().to_string()}})
                    .to_string(),
            );
        }
        return (404, None, "{}".into());
    }
    if path.starts_with("/rest/api/3/") {
        if !(auth == basic(JIRA_EMAIL, JIRA_TOKEN) || auth == format!("Bearer {JIRA_TOKEN}")) {
            return unauthorized;
        }
        match (req.method.as_str(), path) {
            ("GET", "/rest/api/3/myself") => {
                return (200, None, json!({"accountId": "1"}).to_string())
            }
            ("POST", "/rest/api/3/search/jql") => {
                let jql = req.json()["jql"].as_str().unwrap_or_default().to_owned();
                let issues: Vec<Value> = s
                    .records
                    .iter()
                    .filter(|(label, _)| jql.contains(label.as_str()))
                    .map(|(_, k)| json!({"id": "1", "key": k}))
                    .collect();
                return (
                    200,
                    None,
                    json!({"issues": issues, "isLast": true}).to_string(),
                );
            }
            ("POST", "/rest/api/3/issue") => {
                let body = req.json();
                let key = format!("OPS-{}", s.records.len() + 1);
                let label = body["fields"]["labels"][1]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                s.records.push((label, key.clone()));
                return (
                    201,
                    None,
                    json!({"id": "10001", "key": key, "self": "x"}).to_string(),
                );
            }
            ("POST", p) if p.ends_with("/attachments") => {
                if req.headers.get("x-atlassian-token").map(String::as_str) != Some("no-check") {
                    return (403, None, r#"{"message":"XSRF check failed"}"#.into());
                }
                return (
                    200,
                    None,
                    json!([{"id": "1", "filename": "bundle.zip"}]).to_string(),
                );
            }
            ("POST", p) if p.ends_with("/remotelink") => {
                return (201, None, json!({"id": 1, "self": "x"}).to_string())
            }
            _ => return (404, None, "{}".into()),
        }
    }
    (404, None, "{}".into())
}

fn bundle() -> String {
    vector("0001-def-minimal", "bundle.zip")
}

fn trust() -> String {
    vector("0001-def-minimal", "trust.json")
}

fn servicenow_config(dir: &TempDir, url: &str, secret_env: &str) -> String {
    dir.write(
        "tickets.yaml",
        format!(
            "version: 0\ntrust: {}\nverification_url: \"https://verify.example.com/#b={{bundle_id}}\"\nretry:\n  base_delay_ms: 10\nservicenow:\n  instance: {url}\n  auth:\n    method: oauth\n    client_id: {{env: SN_ID}}\n    client_secret: {{env: {secret_env}}}\n  values:\n    category: Software\n    assignment_group: Data Platform\n",
            trust()
        )
        .as_bytes(),
    )
}

fn jira_config(dir: &TempDir, url: &str) -> String {
    dir.write(
        "jira.yaml",
        format!(
            "version: 0\ntrust: {}\nverification_url: \"https://verify.example.com/#b={{bundle_id}}\"\nretry: {{base_delay_ms: 10}}\njira:\n  site: {url}\n  project: OPS\n  auth: {{method: basic, email: {{env: JIRA_EMAIL}}, token: {{env: JIRA_TOKEN}}}}\n  fields: {{attestation_hash: customfield_10050}}\n  labels: [dbt]\n",
            trust()
        )
        .as_bytes(),
    )
}

/// Runs clyra with the secrets in its environment (never on its command line).
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clyra"))
        .args(args)
        .env("SN_ID", SN_ID)
        .env("SN_SECRET", SN_SECRET)
        .env("SN_WRONG", "not-the-secret-VALUE")
        .env("JIRA_EMAIL", JIRA_EMAIL)
        .env("JIRA_TOKEN", JIRA_TOKEN)
        .output()
        .unwrap()
}

/// No secret value appears in what clyra printed.
fn no_secrets(o: &Output) {
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    for s in [SN_SECRET, JIRA_TOKEN, TOKEN, "not-the-secret-VALUE"] {
        assert!(!all.contains(s), "secret printed: {all}");
    }
}

fn json_out(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("{}{}", text(&o.stdout), text(&o.stderr)))
}

fn bundle_hash() -> String {
    format!(
        "sha256:{}",
        clyra_core::digest::Sha256Digest::of(&std::fs::read(bundle()).unwrap()).to_hex()
    )
}

#[test]
fn servicenow_files_one_change_request_with_fields_and_attachment() {
    let server = Server::start();
    let dir = TempDir::new();
    let cfg = servicenow_config(&dir, &server.url, "SN_SECRET");
    let rec = dir.path("ticket.json");
    let o = run(&[
        "export",
        "--servicenow",
        &bundle(),
        "--config",
        &cfg,
        "--record",
        &rec,
        "--format",
        "json",
    ]);
    no_secrets(&o);
    exits(&o, 0);
    let out = json_out(&o);
    assert_eq!(
        (out["created"].as_bool(), out["ticket"].as_str()),
        (Some(true), Some("CHG0030001"))
    );
    assert_eq!(out["system"], "servicenow");
    assert_eq!(out["attestation_hash"], bundle_hash());
    let record: Value = serde_json::from_slice(&std::fs::read(&rec).unwrap()).unwrap();
    assert_eq!(record[0]["ticket"], "CHG0030001");

    let seen = server.seen();
    let paths: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.path.split('?').next().unwrap()))
        .collect();
    assert_eq!(
        paths,
        [
            ("POST", "/oauth_token.do"),
            ("GET", "/api/now/table/change_request"),
            ("POST", "/api/now/table/change_request"),
            ("POST", "/api/now/attachment/file"),
        ]
    );
    assert!(
        seen[1].path.contains(&format!(
            "sysparm_query=u_attestation_hash%3D{}",
            bundle_hash()
        )),
        "{}",
        seen[1].path
    );
    let body = seen[2].json();
    assert_eq!(body["u_attestation_hash"], bundle_hash());
    assert_eq!(body["u_attestation_type"], "https://clyra.dev/def/v0");
    assert_eq!(
        body["u_sox_compliant"], "false",
        "the vector's schema change has no approval"
    );
    assert!(body["u_framework_status"]
        .as_str()
        .unwrap()
        .starts_with("sox=failing; pci="));
    assert!(body["u_verification_link"]
        .as_str()
        .unwrap()
        .starts_with("https://verify.example.com/#b="));
    assert!(body.get("u_badge_id").is_none());
    assert_eq!(body["category"], "Software");
    assert!(body["short_description"]
        .as_str()
        .unwrap()
        .starts_with("Clyra evidence: schema change to "));
    let description = body["description"].as_str().unwrap();
    for section in [
        "Change\n",
        "Run\n",
        "Tests\n",
        "Approvals\n",
        "Risk\n",
        "Controls\n",
        "Evidence\n",
    ] {
        assert!(description.contains(section), "{description}");
    }
    assert_eq!(seen[2].headers["authorization"], format!("Bearer {TOKEN}"));
    assert_eq!(seen[3].headers["content-type"], "application/zip");
    assert_eq!(seen[3].body, std::fs::read(bundle()).unwrap());
    assert!(seen[3]
        .path
        .contains("table_sys_id=sys-CHG0030001&file_name=bundle.zip"));

    // Run again: the duplicate lookup finds it; nothing is created.
    let o = run(&[
        "export",
        "--servicenow",
        &bundle(),
        "--config",
        &cfg,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = json_out(&o);
    assert_eq!(
        (out["created"].as_bool(), out["ticket"].as_str()),
        (Some(false), Some("CHG0030001"))
    );
    let creates = server
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.path == "/api/now/table/change_request")
        .count();
    assert_eq!(creates, 1);
}

#[test]
fn retries_honour_retry_after_and_stop_after_three_attempts() {
    let server = Server::start();
    let dir = TempDir::new();
    let cfg = servicenow_config(&dir, &server.url, "SN_SECRET");
    server.fault("/api/now/table/change_request", 429, Some(1));
    server.fault("/api/now/table/change_request", 503, None);
    let start = Instant::now();
    let o = run(&[
        "export",
        "--servicenow",
        &bundle(),
        "--config",
        &cfg,
        "--format",
        "json",
    ]);
    exits(&o, 0);
    assert!(
        start.elapsed().as_millis() >= 1000,
        "Retry-After: 1 was not honoured"
    );
    // Lookup: 429 then 503 then 200 (three attempts), then the create once.
    let lookups = server.seen().iter().filter(|s| s.method == "GET").count();
    assert_eq!(lookups, 3);

    // Three 5xx in a row: ticket.http, no ticket.
    let server = Server::start();
    let cfg = servicenow_config(&dir, &server.url, "SN_SECRET");
    for _ in 0..3 {
        server.fault("/api/now/table/change_request", 502, None);
    }
    let o = run(&[
        "export",
        "--servicenow",
        &bundle(),
        "--config",
        &cfg,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(json_out(&o)["errors"][0]["code"], "ticket.http");
    assert!(text(&o.stdout).contains("3 attempts"));
    assert_eq!(server.seen().len(), 4, "token + 3 lookups, no create");
}

#[test]
fn wrong_credentials_are_ticket_auth_and_never_printed() {
    let server = Server::start();
    let dir = TempDir::new();
    let cfg = servicenow_config(&dir, &server.url, "SN_WRONG");
    let o = run(&[
        "export",
        "--servicenow",
        &bundle(),
        "--config",
        &cfg,
        "--format",
        "json",
    ]);
    no_secrets(&o);
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(json_out(&o)["errors"][0]["code"], "ticket.auth");
    assert_eq!(server.seen().len(), 1, "a 401 is not retried");
    let o = run(&["export", "--servicenow", &bundle(), "--config", &cfg]);
    no_secrets(&o);
}

#[test]
fn bad_configurations_are_refused_with_line_and_column() {
    let dir = TempDir::new();
    let cases: [(&str, &str, &str); 6] = [
        ("version: 0\nverification_url: x\nservicenow:\n  instance: https://a.example\n  auth: {method: oauth, client_id: {env: A}, client_secret: {env: B}}\n  colour: red\n", "ticket.config", "bad.yaml:6:"),
        ("version: 0\nverification_url: \"{nope}\"\n", "ticket.config", "bad.yaml:2:"),
        ("version: 0\nverification_url: x\njira:\n  site: http://jira.example.com\n  project: OPS\n  auth: {method: bearer, token: {env: T}}\n", "ticket.config", "bad.yaml:4:"),
        ("version: 0\nverification_url: x\nservicenow:\n  instance: https://a.example\n  auth: {method: oauth, client_id: \"inline-secret\", client_secret: {env: B}}\n", "ticket.config", "bad.yaml:5:"),
        ("version: 1\nverification_url: x\n", "ticket.config", "bad.yaml:1:"),
        ("version: 0\nverification_url: x\nfoo: &a 1\n", "ticket.config", "bad.yaml:3:"),
    ];
    for (yaml, code, location) in cases {
        let cfg = dir.write("bad.yaml", yaml.as_bytes());
        let o = run(&[
            "export",
            "--jira",
            &bundle(),
            "--config",
            &cfg,
            "--dry-run",
            "--format",
            "json",
        ]);
        assert_eq!(o.status.code(), Some(4), "{yaml}");
        let out = json_out(&o);
        assert_eq!(out["errors"][0]["code"], code, "{yaml}");
        assert!(
            out["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(location),
            "{yaml}: {out}"
        );
    }
    // A secret from an unset variable, or from a file others can read.
    let server = Server::start();
    let cfg = servicenow_config(&dir, &server.url, "UNSET_SECRET_VAR");
    let o = run(&[
        "export",
        "--servicenow",
        &bundle(),
        "--config",
        &cfg,
        "--format",
        "json",
    ]);
    assert_eq!(json_out(&o)["errors"][0]["code"], "ticket.secret");
    let secret_file = dir.write("secret.txt", format!("{SN_SECRET}\n").as_bytes());
    let yaml = std::fs::read_to_string(&cfg).unwrap().replace(
        "{env: UNSET_SECRET_VAR}",
        &format!("{{file: {secret_file}}}"),
    );
    let cfg = dir.write("file.yaml", yaml.as_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = run(&[
            "export",
            "--servicenow",
            &bundle(),
            "--config",
            &cfg,
            "--format",
            "json",
        ]);
        assert_eq!(json_out(&o)["errors"][0]["code"], "ticket.secret");
        assert!(text(&o.stdout).contains("0644"));
        std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let o = run(&[
        "export",
        "--servicenow",
        &bundle(),
        "--config",
        &cfg,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    no_secrets(&o);
}

#[test]
fn dry_run_prints_the_exact_requests_redacted_and_sends_nothing() {
    let server = Server::start();
    let dir = TempDir::new();
    let cfg = servicenow_config(&dir, &server.url, "SN_SECRET");
    let o = run(&[
        "export",
        "--servicenow",
        &bundle(),
        "--config",
        &cfg,
        "--dry-run",
        "--format",
        "json",
    ]);
    no_secrets(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(server.seen().is_empty());
    let out = json_out(&o);
    let reqs = out["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[0]["body"]["client_secret"], "<redacted>");
    assert_eq!(reqs[0]["body"]["client_id"], "<redacted>");
    assert_eq!(reqs[2]["headers"]["Authorization"], "Bearer <redacted>");
    assert_eq!(reqs[2]["body"]["u_attestation_hash"], bundle_hash());
    assert!(reqs[3]["body"]
        .as_str()
        .unwrap()
        .contains("bytes of application/zip"));
    let o = run(&[
        "export",
        "--jira",
        &bundle(),
        "--config",
        &jira_config(&dir, &server.url),
        "--dry-run",
    ]);
    no_secrets(&o);
    assert!(
        text(&o.stdout).contains("Authorization: Basic <redacted>"),
        "{}",
        text(&o.stdout)
    );
    assert!(text(&o.stdout).contains("X-Atlassian-Token: no-check"));
    assert!(server.seen().is_empty());
}

#[test]
fn jira_files_one_issue_with_adf_attachment_and_remote_link() {
    let server = Server::start();
    let dir = TempDir::new();
    let cfg = jira_config(&dir, &server.url);
    // An attestation: a DSSE envelope over an in-toto Statement.
    let statement = json!({"_type": "https://in-toto.io/Statement/v1", "subject": [],
        "predicateType": "https://slsa.dev/provenance/v1", "predicate": {}});
    let envelope = json!({"payloadType": "application/vnd.in-toto+json",
        "payload": base64::engine::general_purpose::STANDARD.encode(statement.to_string()), "signatures": []});
    let att = dir.write("att.dsse.json", envelope.to_string().as_bytes());
    let att_hash = format!(
        "sha256:{}",
        clyra_core::digest::Sha256Digest::of(&std::fs::read(&att).unwrap()).to_hex()
    );
    let o = run(&[
        "export",
        "--jira",
        &bundle(),
        "--config",
        &cfg,
        "--attestation",
        &att,
        "--format",
        "json",
    ]);
    no_secrets(&o);
    exits(&o, 0);
    let out = json_out(&o);
    assert_eq!(
        (out["ticket"].as_str(), out["created"].as_bool()),
        (Some("OPS-1"), Some(true))
    );
    assert_eq!(out["url"], format!("{}/browse/OPS-1", server.url));
    let seen = server.seen();
    let steps: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        steps,
        [
            "/rest/api/3/search/jql",
            "/rest/api/3/issue",
            "/rest/api/3/issue/OPS-1/attachments",
            "/rest/api/3/issue/OPS-1/remotelink"
        ]
    );
    let label = format!("clyra-{}", &att_hash[7..39]);
    assert_eq!(
        seen[0].json()["jql"],
        format!("project = \"OPS\" AND labels = \"{label}\"")
    );
    let fields = &seen[1].json()["fields"];
    assert_eq!(fields["project"]["key"], "OPS");
    assert_eq!(fields["issuetype"]["name"], "Task");
    assert_eq!(fields["labels"], json!(["clyra", label, "dbt"]));
    assert_eq!(fields["customfield_10050"], att_hash);
    assert_eq!(fields["description"]["type"], "doc");
    assert_eq!(fields["description"]["version"], 1);
    assert_eq!(fields["description"]["content"][0]["type"], "heading");
    assert!(
        fields.get("customfield_attestation_type").is_none(),
        "only mapped fields are sent"
    );
    assert!(seen[2].headers["content-type"].starts_with("multipart/form-data; boundary="));
    assert!(text(&seen[2].body).contains("name=\"file\"; filename=\"bundle.zip\""));
    assert!(seen[3].json()["object"]["url"]
        .as_str()
        .unwrap()
        .starts_with("https://verify.example.com/"));
    // Again: found by its label, not created twice.
    let o = run(&[
        "export",
        "--jira",
        &bundle(),
        "--config",
        &cfg,
        "--attestation",
        &att,
        "--format",
        "json",
    ]);
    assert_eq!(json_out(&o)["created"], false);
    assert_eq!(
        server
            .seen()
            .iter()
            .filter(|s| s.path == "/rest/api/3/issue")
            .count(),
        1
    );
}

#[test]
fn doctor_checks_the_ticket_configuration_and_connection() {
    let server = Server::start();
    let dir = TempDir::new();
    let o = run(&["doctor", "--ticket-config", &jira_config(&dir, &server.url)]);
    exits(&o, 0);
    assert!(text(&o.stdout).contains("jira: "));
    assert_eq!(server.seen()[0].path, "/rest/api/3/myself");
    let o = run(&[
        "doctor",
        "--ticket-config",
        &servicenow_config(&dir, &server.url, "SN_WRONG"),
        "--format",
        "json",
    ]);
    no_secrets(&o);
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(json_out(&o)["errors"][0]["code"], "ticket.auth");
}
