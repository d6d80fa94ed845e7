//! A route's external GenAI detector (spec: gateway-config-v0.md §7.1, guard-genai.md §10): the
//! host's half of the exchange. The request body, the answer's rules and the merge into the
//! report are the core's (`clyra_core::guard::genai::external`, the same functions the CLI's
//! `--detector` uses); this file only does the HTTP, on the tokio runtime with the gateway's
//! pooled upstream client, and records what happened.

use std::time::{Duration, Instant};

use bytes::Bytes;
use clyra_core::guard::genai::external::{self, Exchange};
use clyra_core::guard::genai::Report;
use clyra_core::jcs::{Map, Value};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;

use crate::answer::Trail;
use crate::config::DetectorConfig;
use crate::evidence::int;

/// Journal `checks` kind of one exchange with an external detector.
pub const CHECK_KIND: &str = "genai.external";

/// Asks the detector about `text`, merges its answer (or the failure's fallback) into `report`
/// with the core's merge, and records the exchange in `trail.checks`; a failure is logged.
pub async fn ask_and_merge(
    client: &Client<HttpConnector, Full<Bytes>>,
    config: &DetectorConfig,
    report: Report,
    text: &[u8],
    trail: &mut Trail,
) -> Report {
    let started = Instant::now();
    let answer = exchange(client, config, text).await;
    let took = started.elapsed();
    let exchange = match &answer {
        Ok(body) => Exchange::Answered(body),
        Err(failure) => failure.clone(),
    };
    let merged = external::merge(report, &exchange, text.len(), config.fallback.core());
    let mut data = Map::new();
    if let Some(status) = &merged.external {
        let message = match (&exchange, &status.message) {
            // The core names the CLI's fixed 500 ms; the route may allow less.
            (Exchange::Timeout, _) => Some(format!("no answer within {} ms", config.timeout_ms)),
            (_, m) => m.clone(),
        };
        data.insert("status", Value::from(status.status));
        data.insert(
            "fallback",
            Value::from(match config.fallback.core() {
                external::Fallback::Open => "open",
                external::Fallback::Closed => "closed",
            }),
        );
        if let Some(c) = status.code {
            data.insert("code", Value::from(c));
        }
        if status.status != "answered" {
            eprintln!(
                "clyra-gateway: external detector {}: {} ({}); fallback {} applied",
                config.url,
                status.status,
                message.as_deref().unwrap_or_default(),
                if config.fallback.core() == external::Fallback::Open {
                    "open (warn finding)"
                } else {
                    "closed (error finding)"
                },
            );
        }
        if let Some(m) = message {
            data.insert("message", Value::from(m));
        }
        let vendor = merged
            .findings
            .iter()
            .filter(|f| f.external.as_deref().is_some_and(|n| n != "fallback"))
            .count();
        data.insert("findings", int(vendor as u64));
    }
    data.insert(
        "ms",
        int(u64::try_from(took.as_millis()).unwrap_or(u64::MAX)),
    );
    let mut check = Map::new();
    check.insert("kind", Value::from(CHECK_KIND));
    check.insert("data", Value::from(data));
    trail.checks.push(Value::from(check));
    merged
}

/// POSTs the text within the route's timeout (the whole exchange): the 200 answer's body, or
/// how the exchange failed.
async fn exchange(
    client: &Client<HttpConnector, Full<Bytes>>,
    config: &DetectorConfig,
    text: &[u8],
) -> Result<Vec<u8>, Exchange<'static>> {
    let request = hyper::Request::builder()
        .method("POST")
        .uri(config.url.as_str())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(external::request_body(text))))
        .map_err(|e| Exchange::Unreachable(format!("bad detector request: {e}")))?;
    let whole = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| Exchange::Unreachable(error_chain(&e)))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(Exchange::HttpStatus(status));
        }
        let limit = usize::try_from(external::MAX_ANSWER_BYTES).unwrap_or(usize::MAX);
        match Limited::new(response.into_body(), limit).collect().await {
            Ok(body) => Ok(body.to_bytes().to_vec()),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(Exchange::Oversized),
            Err(e) => Err(Exchange::Unreachable(format!(
                "the answer body failed: {e}"
            ))),
        }
    };
    match tokio::time::timeout(Duration::from_millis(config.timeout_ms), whole).await {
        Ok(r) => r,
        Err(_) => Err(Exchange::Timeout),
    }
}

/// An error with its sources (`client error (Connect): tcp connect error: refused`).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
