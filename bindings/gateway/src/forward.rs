//! After the policy: GenAI scan of the request, loop breaker, the upstream under its circuit
//! breaker (hang 504, reset 502), GenAI scan of the response, kill-switch signals.

use bytes::Bytes;
use clyra_core::digest::Sha256Digest;
use clyra_core::guard::enforce::{CircuitBreaker, KillSwitch, Signal};
use clyra_core::guard::genai::Severity;
use clyra_core::jcs::{Map, Value};
use http_body_util::{BodyExt, Full, Limited};

use crate::answer::{Answer, Found, Trail};
use crate::chain::{
    check, gate, loop_session, now_ms, store_failed, Incoming, HOP_BY_HOP, MAX_RESPONSE_BYTES,
};
use crate::config::BlockAt;
use crate::evidence::int;
use crate::gateway::{Gateway, Route};
use crate::mcp::{self, McpCall};

/// GenAI scan, loop breaker, upstream under its circuit, response scan, kill-switch signals.
pub(crate) async fn forward(
    gw: &Gateway,
    route: &Route,
    req: &Incoming,
    tenant: &str,
    body: &Bytes,
    call: Option<&McpCall>,
    trail: &mut Trail,
) -> Answer {
    let tool_call = call.is_none_or(McpCall::is_tool_call);
    // 6. GenAI scan of the request (tool arguments in MCP mode).
    if let (Some(scan), Some(scanner), true) = (route.config.scan, &gw.scanner, tool_call) {
        if scan.request {
            let text: &[u8] = call.map_or(body.as_ref(), |c| c.arguments.as_bytes());
            if let Some(a) = scan_text(gw, route, scanner, text, scan.block_at, trail, false).await
            {
                return a;
            }
        }
    }
    // 7. Loop breaker.
    if let (Some(lb), true) = (&route.loop_breaker, tool_call) {
        let session = loop_session(req);
        let step = match call {
            Some(c) => c.params_canonical.clone(),
            None => {
                let mut s = format!("{} {}\n", req.method, req.path).into_bytes();
                s.extend_from_slice(Sha256Digest::of(body).to_prefixed().as_bytes());
                s
            }
        };
        let now = now_ms();
        if let Some(d) = check!(
            gw,
            trail,
            "loop",
            gw.store
                .with_prefetch(&mut trail.pre, |s| lb.step(s, tenant, session, &step, now))
        ) {
            trail.push(&d);
            if !d.allowed {
                let wait = d
                    .cool_off_until
                    .map_or(1, |u| now.until(u).div_ceil(1_000).max(1));
                let a = Answer::block(
                    429,
                    "gateway.loop",
                    "deny",
                    "the agent repeats the same step: cooling off",
                )
                .with("retry-after", wait.to_string());
                if let Some(a) = gate(route, trail, a) {
                    return a;
                }
            }
        }
    }
    // 8. Upstream under its circuit breaker.
    let Some(upstream) = gw.upstreams.get(&route.config.upstream) else {
        return Answer::block(
            502,
            "gateway.upstream_error",
            "error",
            "the route's upstream is not defined",
        );
    };
    // The intent, durable before anything is sent upstream: a WAL that cannot take it
    // answers 503 and the upstream is never called (gateway-config-v0.md §5).
    if let Err(a) = intent(gw, req, trail).await {
        return a;
    }
    let now = now_ms();
    if let Some(d) = check!(
        gw,
        trail,
        "circuit",
        gw.store
            .with(|s| upstream.circuit.acquire(s, &upstream.name, now))
    ) {
        trail.push(&d);
        if !d.allowed {
            let a = Answer::block(
                503,
                "gateway.circuit_open",
                "deny",
                format!("upstream `{}` is failing: circuit open", upstream.name),
            )
            .with(
                "retry-after",
                d.retry_after_ms.div_ceil(1_000).max(1).to_string(),
            );
            // A shadow route still cannot reach an open circuit's upstream usefully; it tries.
            if let Some(a) = gate(route, trail, a) {
                return a;
            }
        }
    }
    trail.clock.lap(crate::stages::Stage::Checks);
    let sent = send(gw, upstream, req, body.clone()).await;
    trail.clock.lap(crate::stages::Stage::Upstream);
    let ok = matches!(&sent, Ok(a) if a.status < 500);
    let now = now_ms();
    let kill_counts = route
        .config
        .kill
        .is_some_and(|k| k.max_error_percent.is_some() || k.max_bytes.is_some());
    if gw.store.prefetches() && kill_counts {
        // The circuit and the kill switch's window: one `MGET`.
        trail.pre.want(CircuitBreaker::store_key(&upstream.name));
        trail.pre.want(KillSwitch::window_key(&route.scope));
    }
    if let Err(e) = gw.store.with_prefetch(&mut trail.pre, |s| {
        upstream.circuit.record(s, &upstream.name, ok, now)
    }) {
        eprintln!(
            "clyra-gateway: circuit `{}` could not record: {e} (gateway.store)",
            upstream.name
        );
    }
    // Only the signals a threshold reads: each record is a store round trip.
    if let Some(k) = route.config.kill {
        let bytes = sent.as_ref().map_or(0, |a| a.body.len() as u64) + body.len() as u64;
        let recorded = gw.store.with_prefetch(&mut trail.pre, |s| {
            if k.max_error_percent.is_some() {
                route
                    .kill
                    .record(s, &route.scope, Signal::Outcome { error: !ok }, now)?;
            }
            if k.max_bytes.is_some() {
                route
                    .kill
                    .record(s, &route.scope, Signal::Data { bytes, rows: 0 }, now)?;
            }
            Ok(())
        });
        if let Err(e) = recorded {
            eprintln!(
                "clyra-gateway: kill switch `{}` could not record: {e} (gateway.store)",
                route.scope
            );
        }
    }
    let mut answer = match sent {
        Ok(a) => a,
        Err(a) => return a,
    };
    if let (Some(c), Some(facts)) = (call, trail.mcp.as_mut()) {
        if let Some(h) = mcp::result_hash(&answer, c, &gw.limits) {
            facts.insert("result_hash", Value::from(h));
        }
    }
    // 9. GenAI scan of the response (tool results).
    if let (Some(scan), Some(scanner), true) = (route.config.scan, &gw.scanner, tool_call) {
        if scan.response {
            let body = answer.body.clone();
            if let Some(a) = scan_text(gw, route, scanner, &body, scan.block_at, trail, true).await
            {
                return a;
            }
        }
    }
    answer.reason = format!("forwarded to `{}`", upstream.name);
    answer
}

/// Writes and syncs the request's `gateway.intent` event; its id goes into the trail (the
/// outcome event's `data.intent`).
async fn intent(gw: &Gateway, req: &Incoming, trail: &mut Trail) -> Result<(), Answer> {
    let mut data = crate::chain::request_fields(req);
    data.insert("request_id", Value::from(req.id.as_str()));
    if let Some(p) = &trail.policy {
        data.insert("policy", Value::from(p.clone()));
    }
    if let Some(d) = &trail.body_digest {
        data.insert("body", Value::from(d.as_str()));
    }
    match gw.evidence.record_intent(data, &mut trail.clock).await {
        Ok(id) => {
            trail.intent = Some(id);
            Ok(())
        }
        Err(e) => {
            eprintln!(
                "clyra-gateway: {}: the intent could not be recorded, not sent upstream: {e}",
                req.id
            );
            Err(Answer::block(
                503,
                "gateway.io",
                "error",
                "the decision could not be recorded; the request was not sent",
            )
            .with("retry-after", "1"))
        }
    }
}

/// Scans `text` (and asks the route's external detector, merged by the core); records threats
/// (and a kill-switch threat signal); a blocking finding gives the answer to send.
async fn scan_text(
    gw: &Gateway,
    route: &Route,
    scanner: &clyra_core::guard::genai::Scanner,
    text: &[u8],
    block_at: BlockAt,
    trail: &mut Trail,
    response: bool,
) -> Option<Answer> {
    let (code, status) = if response {
        ("gateway.threat_response", 502)
    } else {
        ("gateway.threat", 403)
    };
    let report = match scanner.scan(text, &gw.limits) {
        Ok(r) => r,
        Err(e) => {
            let a = Answer::block(
                status,
                code,
                "deny",
                format!("the text could not be scanned: {e}"),
            );
            return gate(route, trail, a);
        }
    };
    let report = match &route.config.detector {
        Some(d) => crate::detector::ask_and_merge(&gw.client, d, report, text, trail).await,
        None => report,
    };
    for f in &report.findings {
        let mut t = Map::new();
        let id = f
            .owasp
            .first()
            .and_then(|o| o.split(':').next())
            .unwrap_or("LLM01");
        let mut owasp = Map::new();
        owasp.insert("edition", Value::from(f.owasp_edition));
        owasp.insert("id", Value::from(id));
        t.insert("owasp_llm", Value::from(owasp));
        if let Some(a) = f.atlas.first() {
            t.insert("atlas", Value::from(*a));
        }
        let confidence = u64::from(f.confidence / 10);
        t.insert("confidence", int(confidence));
        let detector = threat_detector(f);
        t.insert("detector", Value::from(detector.as_str()));
        trail.threats.push(Value::from(t));
        trail.found.push(Found {
            detector,
            owasp: id.to_owned(),
            atlas: f.atlas.first().map(|a| (*a).to_owned()),
            confidence,
            error: f.severity == Severity::Error,
        });
    }
    // A failed external detector's fallback finding is not a threat: an outage of the detector
    // must not trip the route's kill switch (gateway-config-v0.md §7.1).
    let count = report
        .findings
        .iter()
        .filter(|f| f.external.as_deref() != Some("fallback"))
        .count() as u64;
    if route.config.kill.is_some_and(|k| k.max_threats.is_some()) && count > 0 {
        let _ = gw.store.with(|s| {
            route
                .kill
                .record(s, &route.scope, Signal::Threat { count }, now_ms())
        });
    }
    let blocks = matches!(
        (report.worst, block_at),
        (Some(Severity::Error), _) | (Some(Severity::Warn), BlockAt::Warn)
    );
    if !blocks {
        return None;
    }
    let first = report
        .findings
        .first()
        .map_or_else(|| "genai".to_owned(), threat_detector);
    let a = Answer::block(
        status,
        code,
        "deny",
        format!("the GenAI scanner found `{first}`"),
    );
    gate(route, trail, a)
}

/// The PEF threat's `detector` of a finding: its id, and for an external finding the vendor's
/// name for it (`genai.external:<name>`, gateway-config-v0.md §10).
fn threat_detector(f: &clyra_core::guard::genai::Finding) -> String {
    match &f.external {
        Some(name) => format!("{}:{name}", f.detector.id()),
        None => f.detector.id().to_owned(),
    }
}

/// Sends the request upstream; a hang is 504, a reset or refusal 502, each with a log line.
async fn send(
    gw: &Gateway,
    upstream: &crate::gateway::Upstream,
    req: &Incoming,
    body: Bytes,
) -> Result<Answer, Answer> {
    let uri = format!("{}{}", upstream.base, req.path);
    let mut builder = hyper::Request::builder()
        .method(req.method.as_str())
        .uri(&uri);
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let request = builder
        .header("x-clyra-request-id", req.id.as_str())
        .body(Full::new(body))
        .map_err(|e| {
            Answer::block(
                502,
                "gateway.upstream_error",
                "error",
                format!("bad upstream request: {e}"),
            )
        })?;
    let failed = |code: &'static str, status: u16, what: String| {
        eprintln!(
            "clyra-gateway: upstream `{}` {uri}: {what} ({code})",
            upstream.name
        );
        Answer::block(status, code, "error", what)
    };
    let response = match tokio::time::timeout(upstream.timeout, gw.client.request(request)).await {
        Err(_) => {
            return Err(failed(
                "gateway.upstream_timeout",
                504,
                format!("no response within {} ms", upstream.timeout.as_millis()),
            ))
        }
        Ok(Err(e)) => {
            return Err(failed(
                "gateway.upstream_error",
                502,
                format!("upstream failed: {e}"),
            ))
        }
        Ok(Ok(r)) => r,
    };
    let (parts, incoming) = response.into_parts();
    let collected = tokio::time::timeout(
        upstream.timeout,
        Limited::new(incoming, MAX_RESPONSE_BYTES).collect(),
    )
    .await;
    let body = match collected {
        Err(_) => {
            return Err(failed(
                "gateway.upstream_timeout",
                504,
                "the response body stalled".into(),
            ))
        }
        Ok(Err(e)) => {
            return Err(failed(
                "gateway.upstream_error",
                502,
                format!("the response body failed: {e}"),
            ))
        }
        Ok(Ok(b)) => b.to_bytes(),
    };
    let headers = parts
        .headers
        .iter()
        .filter(|(k, _)| !HOP_BY_HOP.contains(&k.as_str()) && k.as_str() != "content-length")
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    Ok(Answer {
        status: parts.status.as_u16(),
        headers,
        body,
        code: "ok",
        decision: "allow",
        reason: String::new(),
    })
}
