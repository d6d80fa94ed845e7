//! Blocking HTTP for ticket exports (spec: ticket-config-v0.md §6): requests described as data,
//! printed (secrets redacted) for `--dry-run`, or sent with ureq with at most 3 attempts,
//! exponential backoff on 429/5xx and connection failures, and `Retry-After` honoured.

use std::time::Duration;

use clyra_core::ticket::config::Retry;
use clyra_core::ticket::{TicketError, TicketErrorKind as K};
use serde_json::{json, Value};

/// Attempts per request (§6.1).
pub const MAX_ATTEMPTS: u32 = 3;

/// What a request carries.
#[derive(Debug, Clone)]
pub enum Body {
    /// No body.
    Empty,
    /// A JSON document.
    Json(Value),
    /// `application/x-www-form-urlencoded` pairs; `true` marks a secret value.
    Form(Vec<(String, String, bool)>),
    /// Raw bytes of a content type (an attachment).
    Bytes(&'static str, Vec<u8>),
    /// One `multipart/form-data` file part: field name, file name, content type, bytes.
    Multipart(String, String, &'static str, Vec<u8>),
}

/// One request: method, URL, headers (`true` marks a secret value) and body.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The full URL.
    pub url: String,
    /// Headers; secret values are printed as `<redacted>`.
    pub headers: Vec<(String, String, bool)>,
    /// The body.
    pub body: Body,
}

/// An answer: status, `Retry-After` seconds when given, body bytes.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON (`ticket.http` when it is not).
    pub fn json(&self, what: &str) -> Result<Value, TicketError> {
        serde_json::from_slice(&self.body)
            .map_err(|_| TicketError::new(K::Http, format!("{what}: the answer is not JSON")))
    }
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: &'static str, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_owned(), value.to_owned(), false));
        self
    }

    /// Adds a header whose value is a secret.
    #[must_use]
    pub fn secret_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned(), true));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// The content type and bytes sent.
    fn encoded(&self) -> (Option<String>, Vec<u8>) {
        match &self.body {
            Body::Empty => (None, Vec::new()),
            Body::Json(v) => (
                Some("application/json".into()),
                serde_json::to_vec(v).unwrap_or_default(),
            ),
            Body::Form(pairs) => {
                let text: Vec<String> = pairs
                    .iter()
                    .map(|(k, v, _)| format!("{}={}", form_encode(k), form_encode(v)))
                    .collect();
                (
                    Some("application/x-www-form-urlencoded".into()),
                    text.join("&").into_bytes(),
                )
            }
            Body::Bytes(kind, bytes) => (Some((*kind).into()), bytes.clone()),
            Body::Multipart(field, name, kind, bytes) => {
                let boundary = format!(
                    "clyra-{}",
                    clyra_core::digest::Sha256Digest::of(bytes)
                        .to_hex()
                        .get(..24)
                        .unwrap_or_default()
                );
                let mut body = format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: {kind}\r\n\r\n"
                )
                .into_bytes();
                body.extend_from_slice(bytes);
                body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                (
                    Some(format!("multipart/form-data; boundary={boundary}")),
                    body,
                )
            }
        }
    }

    /// The request as `--dry-run` prints it: secrets redacted, attachments as size and type.
    pub fn shown(&self) -> Value {
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v, secret)| {
                (
                    k.clone(),
                    json!(if *secret { redact(v) } else { v.clone() }),
                )
            })
            .collect();
        let body = match &self.body {
            Body::Empty => Value::Null,
            Body::Json(v) => v.clone(),
            Body::Form(pairs) => pairs
                .iter()
                .map(|(k, v, secret)| (k.clone(), json!(if *secret { "<redacted>" } else { v })))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            Body::Bytes(kind, bytes) => json!(format!("<{} bytes of {kind}>", bytes.len())),
            Body::Multipart(field, name, kind, bytes) => json!(format!(
                "<multipart/form-data: part `{field}`, file `{name}`, {} bytes of {kind}>",
                bytes.len()
            )),
        };
        json!({"method": self.method, "url": self.url, "headers": headers, "body": body})
    }
}

/// `Basic …`/`Bearer …` keep their scheme; anything else is fully redacted.
fn redact(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) if scheme == "Basic" || scheme == "Bearer" => {
            format!("{scheme} <redacted>")
        }
        _ => "<redacted>".into(),
    }
}

fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a URL query value.
pub fn query_encode(text: &str) -> String {
    clyra_core::ticket::template::percent_encode(text)
}

/// Sends requests with retries (§6.1).
pub struct Client {
    agent: ureq::Agent,
    retry: Retry,
}

impl Client {
    /// A client with the configuration's retry timing and a 30 s timeout per request.
    pub fn new(retry: Retry) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Self { agent, retry }
    }

    /// Sends `req` up to 3 times; 2xx is returned, other 4xx and a third failure are errors
    /// (`ticket.auth` for 401/403, else `ticket.http`). `what` names the step in messages.
    pub fn send(&self, req: &Request, what: &str) -> Result<Response, TicketError> {
        let mut last = String::new();
        for attempt in 1..=MAX_ATTEMPTS {
            let wait = match self.once(req) {
                Ok((resp, retry_after)) => match resp.status {
                    200..=299 => return Ok(resp),
                    401 | 403 => {
                        return Err(TicketError::new(
                            K::Auth,
                            format!(
                                "{what}: the service refused the credentials (HTTP {})",
                                resp.status
                            ),
                        ))
                    }
                    429 | 500..=599 => {
                        last = format!("HTTP {}", resp.status);
                        retry_after
                    }
                    status => {
                        return Err(TicketError::new(
                            K::Http,
                            format!("{what}: HTTP {status}: {}", excerpt(&resp.body)),
                        ))
                    }
                },
                Err(e) => {
                    last = e;
                    None
                }
            };
            if attempt < MAX_ATTEMPTS {
                let delay = match wait {
                    Some(s) => Duration::from_secs(s.min(self.retry.max_retry_after_s)),
                    None => Duration::from_millis(
                        self.retry.base_delay_ms.saturating_mul(1 << (attempt - 1)),
                    ),
                };
                std::thread::sleep(delay);
            }
        }
        Err(TicketError::new(
            K::Http,
            format!("{what}: failed after {MAX_ATTEMPTS} attempts ({last})"),
        ))
    }

    /// One attempt: the response and its `Retry-After` seconds, or a transport error text.
    fn once(&self, req: &Request) -> Result<(Response, Option<u64>), String> {
        let (kind, bytes) = req.encoded();
        let result = match req.method {
            "GET" => {
                let mut r = self.agent.get(&req.url);
                for (k, v, _) in &req.headers {
                    r = r.header(k, v);
                }
                r.call()
            }
            _ => {
                let mut r = self.agent.post(&req.url);
                for (k, v, _) in &req.headers {
                    r = r.header(k, v);
                }
                if let Some(kind) = kind {
                    r = r.header("Content-Type", &kind);
                }
                r.send(&bytes[..])
            }
        };
        // A transport error's text names the host, never a header or a body: no secret in it.
        let mut resp = result.map_err(|e| format!("connection failed: {e}"))?;
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| format!("reading the answer failed: {e}"))?;
        Ok((Response { status, body }, retry_after))
    }
}

/// The first 200 characters of an answer, for error messages.
fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(200).collect()
}
