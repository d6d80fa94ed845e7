//! `clyra export --servicenow | --jira`: an attested change ticket from a bundle
//! (spec: ticket-config-v0.md). The core renders what the ticket says; this file resolves
//! secrets, builds the requests and sends them (or prints them for `--dry-run`).

use std::io::BufReader;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clyra_core::format::Schemas;
use clyra_core::ticket::config::{Jira, JiraAuth, Secret, ServiceNow, ServiceNowAuth};
use clyra_core::ticket::{TicketConfig, TicketError, TicketErrorKind as K, TicketFacts};
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verify::{verify_bundle_with_evidence, VerifyInputs};
use clyra_core::{Coded, Limits};
use serde_json::{json, Value};

use crate::http::{query_encode, Body, Client, Request};
use crate::output::{Format, Problem};

/// Which service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// ServiceNow Table API.
    ServiceNow,
    /// Jira Cloud REST v3.
    Jira,
}

impl System {
    fn as_str(self) -> &'static str {
        match self {
            System::ServiceNow => "servicenow",
            System::Jira => "jira",
        }
    }
}

/// What `export` passes in.
pub struct TicketArgs<'a> {
    /// The service.
    pub system: System,
    /// The bundle.
    pub bundle: &'a Path,
    /// The configuration file.
    pub config: &'a Path,
    /// An attestation file (opaque, hashed).
    pub attestation: Option<&'a Path>,
    /// A badge (its jti becomes `badge_id`).
    pub badge: Option<&'a Path>,
    /// Overrides the configuration's trust file.
    pub trust: Option<&'a Path>,
    /// Print the requests, send nothing.
    pub dry_run: bool,
    /// Where to write the ticket record.
    pub record: Option<&'a Path>,
    /// Replace the record file.
    pub force: bool,
}

fn problem(e: &TicketError) -> Problem {
    Problem::new(e.code(), e.to_string())
}

fn read(path: &Path, kind: K) -> Result<Vec<u8>, TicketError> {
    std::fs::read(path).map_err(|e| {
        TicketError::new(
            kind,
            format!(
                "cannot read `{}`: {}",
                path.display(),
                e.to_string().to_lowercase()
            ),
        )
    })
}

/// Reads and validates the configuration (`ticket.config` with line and column).
pub fn load_config(path: &Path) -> Result<TicketConfig, TicketError> {
    let bytes = read(path, K::Config)?;
    TicketConfig::load(&bytes, &path.display().to_string(), &Limits::default())
}

/// A secret's value (§1.3): an environment variable, or a file readable by its owner only.
pub fn secret(s: &Secret, what: &str) -> Result<String, TicketError> {
    match s {
        Secret::Env(name) => match std::env::var(name) {
            Ok(v) if !v.is_empty() => Ok(v),
            _ => Err(TicketError::new(
                K::Secret,
                format!("{what}: the environment variable `{name}` is not set"),
            )),
        },
        Secret::File(path) => {
            let meta = std::fs::metadata(path).map_err(|_| {
                TicketError::new(
                    K::Secret,
                    format!("{what}: cannot read the secret file `{path}`"),
                )
            })?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(TicketError::new(
                        K::Secret,
                        format!("{what}: the secret file `{path}` has mode {mode:04o}: make it 0600 (chmod 600)"),
                    ));
                }
            }
            let _ = meta;
            let text = std::fs::read_to_string(path).map_err(|_| {
                TicketError::new(
                    K::Secret,
                    format!("{what}: cannot read the secret file `{path}`"),
                )
            })?;
            let value = text.strip_suffix('\n').unwrap_or(&text);
            let value = value.strip_suffix('\r').unwrap_or(value);
            if value.is_empty() {
                return Err(TicketError::new(
                    K::Secret,
                    format!("{what}: the secret file `{path}` is empty"),
                ));
            }
            Ok(value.to_owned())
        }
    }
}

/// Verifies the bundle and gathers the ticket's facts.
fn facts(args: &TicketArgs<'_>, config: &TicketConfig) -> Result<TicketFacts, TicketError> {
    let limits = Limits::default();
    let trust_path: PathBuf = match (args.trust, &config.trust) {
        (Some(t), _) => t.to_path_buf(),
        (None, Some(t)) => args.config.parent().unwrap_or(Path::new(".")).join(t),
        (None, None) => {
            return Err(TicketError::new(
                K::Config,
                "no trust file: set `trust` in the configuration or pass --trust",
            ))
        }
    };
    let trust = Trust::parse(&read(&trust_path, K::Config)?, &limits)
        .map_err(|e| TicketError::new(K::Config, format!("{}: {e}", trust_path.display())))?;
    let at = Timestamp::parse(&crate::clock::now_utc())
        .map_err(|_| TicketError::new(K::Bundle, "the clock is unreadable"))?;
    let schemas = Schemas::new().map_err(|e| TicketError::new(K::Bundle, e.to_string()))?;
    let shown = args.bundle.display().to_string();
    let input = crate::input::open(&shown, limits.bundle_max_bytes)
        .map_err(|e| TicketError::new(K::Bundle, format!("cannot read `{shown}`: {e}")))?;
    let sha = crate::hasher::file_sha256(&input.file)
        .map_err(|e| TicketError::new(K::Bundle, format!("cannot read `{shown}`: {e}")))?;
    let inputs = VerifyInputs {
        trust: &trust,
        at: &at,
        policy: None,
        schemas: &schemas,
        limits: &limits,
        witnessed: None,
    };
    let (verdict, evidence) =
        verify_bundle_with_evidence(BufReader::new(&input.file), input.len, &inputs);
    let attestation = args.attestation.map(|p| read(p, K::Bundle)).transpose()?;
    let badge_id = match args.badge {
        None => None,
        Some(p) => Some(badge_id(&read(p, K::Bundle)?, p)?),
    };
    let name = args
        .bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle.zip".into());
    Ok(TicketFacts::new(
        &name,
        &sha.to_hex(),
        verdict.outcome.as_str(),
        verdict.primary,
        evidence.manifest,
        attestation.as_deref(),
        badge_id,
    ))
}

/// The `jti` of a badge file (not verified here: `clyra badge verify` does that).
fn badge_id(bytes: &[u8], path: &Path) -> Result<String, TicketError> {
    let bad = || {
        TicketError::new(
            K::Bundle,
            format!("`{}` is not a badge (badge-v0.md)", path.display()),
        )
    };
    let text = std::str::from_utf8(bytes).map_err(|_| bad())?.trim();
    let payload = text.split('.').nth(1).ok_or_else(bad)?;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| bad())?;
    let claims: Value = serde_json::from_slice(&payload).map_err(|_| bad())?;
    claims
        .get("jti")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(bad)
}

/// Where the requests go: print them, or send them.
enum Mode<'a> {
    DryRun(&'a mut Vec<Value>),
    Send(Client),
}

impl Mode<'_> {
    /// Sends (or records) `req`; a dry run answers `placeholder`.
    fn send(&mut self, req: Request, what: &str, placeholder: Value) -> Result<Value, TicketError> {
        match self {
            Mode::DryRun(shown) => {
                shown.push(req.shown());
                Ok(placeholder)
            }
            Mode::Send(client) => {
                let resp = client.send(&req, what)?;
                if resp.body.is_empty() {
                    return Ok(Value::Null);
                }
                resp.json(what)
            }
        }
    }
}

/// The ticket record (§6.3).
fn record(facts: &TicketFacts, system: System, ticket: &str, url: &str, created: bool) -> Value {
    json!({
        "bundle_id": facts.bundle_id, "system": system.as_str(), "ticket": ticket, "url": url,
        "attestation_hash": facts.attestation_hash, "created": created,
    })
}

fn servicenow(
    sn: &ServiceNow,
    config: &TicketConfig,
    facts: &TicketFacts,
    bundle: &[u8],
    mode: &mut Mode<'_>,
) -> Result<Value, TicketError> {
    let base = sn.instance.trim_end_matches('/');
    let table = sn.table();
    let auth = match &sn.auth {
        ServiceNowAuth::Basic { username, password } => {
            let user = secret(username, "servicenow.auth.username")?;
            let pass = secret(password, "servicenow.auth.password")?;
            format!("Basic {}", STANDARD.encode(format!("{user}:{pass}")))
        }
        ServiceNowAuth::Oauth {
            client_id,
            client_secret,
        } => {
            let id = secret(client_id, "servicenow.auth.client_id")?;
            let key = secret(client_secret, "servicenow.auth.client_secret")?;
            let req = Request::new("POST", format!("{base}/oauth_token.do"))
                .header("Accept", "application/json")
                .body(Body::Form(vec![
                    ("grant_type".into(), "client_credentials".into(), false),
                    ("client_id".into(), id, true),
                    ("client_secret".into(), key, true),
                ]));
            let answer = mode.send(
                req,
                "servicenow oauth token",
                json!({"access_token": "<token>"}),
            )?;
            let token = answer
                .get("access_token")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    TicketError::new(
                        K::Auth,
                        "servicenow oauth token: the answer has no access_token",
                    )
                })?;
            format!("Bearer {token}")
        }
    };
    let hash_column = sn.column("attestation_hash");
    let lookup = Request::new(
        "GET",
        format!(
            "{base}/api/now/table/{table}?sysparm_query={}&sysparm_fields=sys_id,number&sysparm_limit=1",
            query_encode(&format!("{hash_column}={}", facts.attestation_hash))
        ),
    )
    .header("Accept", "application/json")
    .secret_header("Authorization", &auth);
    let found = mode.send(lookup, "servicenow duplicate lookup", json!({"result": []}))?;
    let url_of = |sys_id: &str| format!("{base}/nav_to.do?uri={table}.do%3Fsys_id%3D{sys_id}");
    if let Some(first) = found
        .get("result")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
    {
        let number = first
            .get("number")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let sys_id = first
            .get("sys_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Ok(record(
            facts,
            System::ServiceNow,
            number,
            &url_of(sys_id),
            false,
        ));
    }
    let create = Request::new("POST", format!("{base}/api/now/table/{table}"))
        .header("Accept", "application/json")
        .secret_header("Authorization", &auth)
        .body(Body::Json(facts.servicenow_body(config, sn)?));
    let created = mode.send(
        create,
        "servicenow create",
        json!({"result": {"sys_id": "<sys_id>", "number": "<number>"}}),
    )?;
    let result = created.get("result");
    let field = |k: &str| {
        result
            .and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(sys_id), Some(number)) = (field("sys_id"), field("number")) else {
        return Err(TicketError::new(
            K::Http,
            "servicenow create: the answer has no result.sys_id and result.number",
        ));
    };
    let attach = Request::new(
        "POST",
        format!(
            "{base}/api/now/attachment/file?table_name={table}&table_sys_id={sys_id}&file_name={}",
            query_encode(file_name_only(&facts.file_name))
        ),
    )
    .header("Accept", "application/json")
    .secret_header("Authorization", &auth)
    .body(Body::Bytes("application/zip", bundle.to_vec()));
    mode.send(attach, "servicenow attachment", Value::Null)
        .map_err(|e| {
            TicketError::new(
                K::Attachment,
                format!("ticket {number} was created but the bundle was not attached: {e}"),
            )
        })?;
    Ok(record(
        facts,
        System::ServiceNow,
        &number,
        &url_of(&sys_id),
        true,
    ))
}

fn file_name_only(path: &str) -> &str {
    Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

fn jira(
    j: &Jira,
    config: &TicketConfig,
    facts: &TicketFacts,
    bundle: &[u8],
    mode: &mut Mode<'_>,
) -> Result<Value, TicketError> {
    let base = j.site.trim_end_matches('/');
    let auth = match &j.auth {
        JiraAuth::Basic { email, token } => {
            let email = secret(email, "jira.auth.email")?;
            let token = secret(token, "jira.auth.token")?;
            format!("Basic {}", STANDARD.encode(format!("{email}:{token}")))
        }
        JiraAuth::Bearer { token } => format!("Bearer {}", secret(token, "jira.auth.token")?),
    };
    let with_auth = |r: Request| {
        r.header("Accept", "application/json")
            .secret_header("Authorization", &auth)
    };
    let search = with_auth(Request::new(
        "POST",
        format!("{base}/rest/api/3/search/jql"),
    ))
    .body(Body::Json(facts.jira_search_body(j)));
    let found = mode.send(search, "jira duplicate lookup", json!({"issues": []}))?;
    if let Some(first) = found
        .get("issues")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
    {
        let key = first.get("key").and_then(Value::as_str).unwrap_or_default();
        return Ok(record(
            facts,
            System::Jira,
            key,
            &format!("{base}/browse/{key}"),
            false,
        ));
    }
    let create = with_auth(Request::new("POST", format!("{base}/rest/api/3/issue")))
        .body(Body::Json(facts.jira_body(config, j)?));
    let created = mode.send(create, "jira create", json!({"id": "<id>", "key": "<key>"}))?;
    let key = created
        .get("key")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| TicketError::new(K::Http, "jira create: the answer has no key"))?;
    let attach = with_auth(Request::new(
        "POST",
        format!("{base}/rest/api/3/issue/{key}/attachments"),
    ))
    .header("X-Atlassian-Token", "no-check")
    .body(Body::Multipart(
        "file".into(),
        file_name_only(&facts.file_name).into(),
        "application/zip",
        bundle.to_vec(),
    ));
    mode.send(attach, "jira attachment", json!([]))
        .map_err(|e| {
            TicketError::new(
                K::Attachment,
                format!("issue {key} was created but the bundle was not attached: {e}"),
            )
        })?;
    let link = facts.verification_link(config)?;
    let remote = with_auth(Request::new(
        "POST",
        format!("{base}/rest/api/3/issue/{key}/remotelink"),
    ))
    .body(Body::Json(facts.jira_remote_link_body(&link)));
    mode.send(remote, "jira remote link", json!({"id": 0}))
        .map_err(|e| {
            TicketError::new(
                K::Attachment,
                format!("issue {key} was created but its remote link was not added: {e}"),
            )
        })?;
    Ok(record(
        facts,
        System::Jira,
        &key,
        &format!("{base}/browse/{key}"),
        true,
    ))
}

/// Runs the export; returns the printed text.
pub fn export(args: &TicketArgs<'_>, format: Format) -> Result<String, Problem> {
    let config = load_config(args.config).map_err(|e| problem(&e))?;
    if let Some(path) = args.record {
        crate::atomic::check_target(path, args.force)
            .map_err(|e| crate::output::write_problem(path, &e))?;
    }
    let facts = facts(args, &config).map_err(|e| problem(&e))?;
    let bundle = read(args.bundle, K::Bundle).map_err(|e| problem(&e))?;
    let mut shown = Vec::new();
    let mut mode = if args.dry_run {
        Mode::DryRun(&mut shown)
    } else {
        Mode::Send(Client::new(config.retry))
    };
    let missing = |name: &str| {
        Problem::new(
            K::Config.code(),
            format!(
                "{}: no `{name}` block in the configuration",
                args.config.display()
            ),
        )
    };
    let result = match args.system {
        System::ServiceNow => {
            let sn = config
                .servicenow
                .as_ref()
                .ok_or_else(|| missing("servicenow"))?;
            servicenow(sn, &config, &facts, &bundle, &mut mode)
        }
        System::Jira => {
            let j = config.jira.as_ref().ok_or_else(|| missing("jira"))?;
            jira(j, &config, &facts, &bundle, &mut mode)
        }
    }
    .map_err(|e| problem(&e))?;
    drop(mode);
    if args.dry_run {
        return Ok(match format {
            Format::Json => format!("{}\n", json!({"dry_run": true, "requests": shown})),
            Format::Human => {
                let mut text = format!("dry run: {} request(s), nothing sent\n", shown.len());
                for r in &shown {
                    text.push_str(&format!(
                        "\n{} {}\n",
                        r.get("method").and_then(Value::as_str).unwrap_or_default(),
                        r.get("url").and_then(Value::as_str).unwrap_or_default()
                    ));
                    if let Some(h) = r.get("headers").and_then(Value::as_object) {
                        for (k, v) in h {
                            text.push_str(&format!("{k}: {}\n", v.as_str().unwrap_or_default()));
                        }
                    }
                    if let Some(body) = r.get("body").filter(|b| !b.is_null()) {
                        text.push_str(&format!(
                            "\n{}\n",
                            serde_json::to_string_pretty(body).unwrap_or_default()
                        ));
                    }
                }
                text
            }
        });
    }
    if let Some(path) = args.record {
        let bytes = format!("{}\n", json!([result]));
        crate::atomic::write(path, bytes.as_bytes(), 0o644, args.force)
            .map_err(|e| crate::output::write_problem(path, &e))?;
    }
    Ok(match format {
        Format::Json => format!("{result}\n"),
        Format::Human => format!(
            "{} {} {} ({})\n  attestation  {}\n",
            if result.get("created") == Some(&json!(true)) {
                "created"
            } else {
                "already filed:"
            },
            args.system.as_str(),
            result
                .get("ticket")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            result
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            facts.attestation_hash,
        ),
    })
}

/// `clyra doctor --ticket-config`: the file, every secret, and the connection (§6.4). Returns
/// one line per check, or the first problem.
pub fn doctor(path: &Path) -> Result<Vec<String>, Problem> {
    let config = load_config(path).map_err(|e| problem(&e))?;
    let mut lines = vec![format!("{}: valid ticket configuration", path.display())];
    let client = Client::new(config.retry);
    if let Some(sn) = &config.servicenow {
        let base = sn.instance.trim_end_matches('/');
        let req = match &sn.auth {
            ServiceNowAuth::Oauth {
                client_id,
                client_secret,
            } => Request::new("POST", format!("{base}/oauth_token.do"))
                .header("Accept", "application/json")
                .body(Body::Form(vec![
                    ("grant_type".into(), "client_credentials".into(), false),
                    (
                        "client_id".into(),
                        secret(client_id, "servicenow.auth.client_id").map_err(|e| problem(&e))?,
                        true,
                    ),
                    (
                        "client_secret".into(),
                        secret(client_secret, "servicenow.auth.client_secret")
                            .map_err(|e| problem(&e))?,
                        true,
                    ),
                ])),
            ServiceNowAuth::Basic { username, password } => {
                let user = secret(username, "servicenow.auth.username").map_err(|e| problem(&e))?;
                let pass = secret(password, "servicenow.auth.password").map_err(|e| problem(&e))?;
                Request::new(
                    "GET",
                    format!("{base}/api/now/table/{}?sysparm_limit=1", sn.table()),
                )
                .header("Accept", "application/json")
                .secret_header(
                    "Authorization",
                    &format!("Basic {}", STANDARD.encode(format!("{user}:{pass}"))),
                )
            }
        };
        client.send(&req, "servicenow").map_err(|e| problem(&e))?;
        lines.push(format!("servicenow: {base} accepted the credentials"));
    }
    if let Some(j) = &config.jira {
        let base = j.site.trim_end_matches('/');
        let auth = match &j.auth {
            JiraAuth::Basic { email, token } => format!(
                "Basic {}",
                STANDARD.encode(format!(
                    "{}:{}",
                    secret(email, "jira.auth.email").map_err(|e| problem(&e))?,
                    secret(token, "jira.auth.token").map_err(|e| problem(&e))?
                ))
            ),
            JiraAuth::Bearer { token } => format!(
                "Bearer {}",
                secret(token, "jira.auth.token").map_err(|e| problem(&e))?
            ),
        };
        let req = Request::new("GET", format!("{base}/rest/api/3/myself"))
            .header("Accept", "application/json")
            .secret_header("Authorization", &auth);
        client.send(&req, "jira").map_err(|e| problem(&e))?;
        lines.push(format!("jira: {base} accepted the credentials"));
    }
    Ok(lines)
}
