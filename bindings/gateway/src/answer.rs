//! What a request gets back, and the trail of checks its journal event records.

use bytes::Bytes;
use clyra_core::guard::enforce::Decision;
use clyra_core::jcs::{self, Map, Value};
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Response, StatusCode};

/// A response before it is recorded and sent.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
    /// `ok` or the `gateway.*` code of a blocking answer.
    pub code: &'static str,
    /// `allow`, `deny`, `hold`, `released`, `replay` or `error`.
    pub decision: &'static str,
    /// Plain-language reason.
    pub reason: String,
}

impl Answer {
    /// A blocking answer with a JSON body `{"code","message"}`.
    pub fn block(
        status: u16,
        code: &'static str,
        decision: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        let reason = reason.into();
        let mut m = Map::new();
        m.insert("code", Value::from(code));
        m.insert("message", Value::from(reason.as_str()));
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(jcs::to_vec(&Value::from(m))),
            code,
            decision,
            reason,
        }
    }

    /// Adds a header.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The hyper response.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        let mut r = Response::new(Full::new(self.body));
        *r.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_GATEWAY);
        for (k, v) in self.headers {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                r.headers_mut().append(k, v);
            }
        }
        r
    }

    /// The stored form replayed for an idempotency key: status, content type, body.
    pub fn to_stored(&self) -> Vec<u8> {
        let ct = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map_or("", |(_, v)| v.as_str());
        let mut out = Vec::with_capacity(self.body.len() + 8 + ct.len());
        out.extend_from_slice(&self.status.to_be_bytes());
        out.extend_from_slice(&(ct.len() as u32).to_be_bytes());
        out.extend_from_slice(ct.as_bytes());
        out.extend_from_slice(&self.body);
        out
    }

    /// Reads [`Answer::to_stored`] back as a replay.
    pub fn from_stored(bytes: &[u8]) -> Option<Self> {
        let status = u16::from_be_bytes(bytes.get(..2)?.try_into().ok()?);
        let len = u32::from_be_bytes(bytes.get(2..6)?.try_into().ok()?) as usize;
        let ct = std::str::from_utf8(bytes.get(6..6 + len)?).ok()?;
        let body = bytes.get(6 + len..)?;
        let mut headers = vec![("idempotency-replayed".to_owned(), "true".to_owned())];
        if !ct.is_empty() {
            headers.push(("content-type".into(), ct.to_owned()));
        }
        Some(Self {
            status,
            headers,
            body: Bytes::copy_from_slice(body),
            code: "ok",
            decision: "replay",
            reason: "replay of the stored response".into(),
        })
    }
}

/// The checks one request went through, in order, for its journal event.
#[derive(Debug, Default)]
pub struct Trail {
    /// Each primitive's decision event (`kind`, `data`).
    pub checks: Vec<Value>,
    /// Threats (PEF threat objects without `seq`).
    pub threats: Vec<Value>,
    /// The same findings as `threats`, with their severity, for the SIEM's Detection Findings.
    pub found: Vec<Found>,
    /// The policy outcome.
    pub policy: Option<Map>,
    /// MCP facts.
    pub mcp: Option<Map>,
    /// Blocking answers a shadow route let through (their codes).
    pub would_block: Vec<&'static str>,
    /// Checks skipped because the store failed and `on_error` is `open`.
    pub failed_open: Vec<&'static str>,
    /// `sha256:` of the request body.
    pub body_digest: Option<String>,
    /// Approval principals that released a hold.
    pub principals: Vec<String>,
    /// Id of the `gateway.intent` event written before the upstream call.
    pub intent: Option<String>,
    /// The idempotency key to finish once the answer is known.
    pub claimed: Option<crate::chain::Claimed>,
    /// State-store keys this request's next checks read, fetched ahead (Redis round trips).
    pub pre: crate::redis_store::Prefetch,
    /// Per-stage timing (a no-op unless `CLYRA_GATEWAY_STAGES` is set).
    pub clock: crate::stages::Clock,
}

/// One GenAI finding of a request as the SIEM reports it (gateway-config-v0.md §11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The PEF threat's `detector` (`genai.external:<vendor name>` for an external finding).
    pub detector: String,
    /// OWASP LLM id (`LLM01`).
    pub owasp: String,
    /// MITRE ATLAS technique, when known.
    pub atlas: Option<String>,
    /// Confidence, percent.
    pub confidence: u64,
    /// Whether the finding's severity is `error` (else `warn`).
    pub error: bool,
}

impl Trail {
    /// Records a primitive's decision (its event without `at`, which the WAL line carries).
    pub fn push(&mut self, d: &dyn Decision) {
        let mut m = Map::new();
        m.insert("kind", Value::from(d.kind()));
        m.insert("data", Value::from(d.data()));
        self.checks.push(Value::from(m));
    }
}
