//! The per-request chain (spec: gateway-config-v0.md §8): tenant fence → kill switch → GCRA
//! rate → idempotency → policy (allow, deny, hold) → GenAI scan → loop breaker → upstream under
//! its circuit breaker → response scan. Every step is a core primitive; this file only maps
//! their decisions to HTTP answers and records them in the request's trail.

use std::net::SocketAddr;

use base64::Engine;
use bytes::Bytes;
use clyra_core::digest::{to_hex, Sha256Digest};
use clyra_core::guard::enforce::{EnforceError, IdempotencyOutcome, RateKey, Signal, UnixMillis};
use clyra_core::guard::genai::Severity;
use clyra_core::jcs::{self, Map, Value};
use clyra_core::policy::checkpoint::{self, CheckpointRequest, ResumeRequest};
use clyra_core::policy::{evaluate, Decision as PolicyDecision, PolicyErrorKind};
use clyra_core::time::Timestamp;
use clyra_core::Coded;
use http_body_util::{BodyExt, Full, Limited};
use hyper::http::request::Parts;

use crate::answer::{Answer, Trail};
use crate::config::{BlockAt, OnError, RouteMode};
use crate::evidence::int;
use crate::gateway::{Gateway, Route};
use crate::mcp::{self, McpCall};

/// Largest upstream response body the gateway buffers (it hashes, scans and may store it).
const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// Request headers never forwarded (hop-by-hop, or the gateway's own).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// What the chain needs of a request besides its body.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Route index.
    pub route: usize,
    /// Request id (random).
    pub id: String,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Tenant header value.
    pub tenant: Option<String>,
    /// Actor header value.
    pub actor: String,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// Loop session header value.
    pub session: Option<String>,
    /// Headers to forward.
    pub headers: Vec<(String, String)>,
    /// Client address.
    pub peer: String,
}

impl Incoming {
    /// Reads what the chain needs from the request head.
    pub fn from_parts(gw: &Gateway, route: usize, parts: &Parts, peer: SocketAddr) -> Self {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let rc = gw.routes.get(route).map(|r| &r.config);
        let tenant_header = rc.map_or("x-tenant", |c| c.tenant_header.as_str());
        let actor_header = rc.map_or("x-actor", |c| c.actor_header.as_str());
        let session_header = rc
            .and_then(|c| c.loop_breaker.as_ref())
            .map(|l| l.session_header.clone());
        let headers = parts
            .headers
            .iter()
            .filter(|(k, _)| !HOP_BY_HOP.contains(&k.as_str()))
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        Self {
            route,
            id: random_id("r"),
            method: parts.method.as_str().to_owned(),
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
            tenant: header(tenant_header).filter(|t| !t.is_empty()),
            actor: header(actor_header)
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| "anonymous".into()),
            idempotency_key: header("idempotency-key"),
            session: session_header.and_then(|h| header(&h)),
            headers,
            peer: peer.ip().to_string(),
        }
    }
}

/// `prefix-<24 hex>` from operating-system randomness (a counter if that fails).
pub fn random_id(prefix: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut raw = [0u8; 12];
    if getrandom::getrandom(&mut raw).is_err() {
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        raw = [0; 12];
        if let Some(tail) = raw.get_mut(4..) {
            tail.copy_from_slice(&n.to_be_bytes());
        }
    }
    format!("{prefix}-{}", to_hex(&raw))
}

/// Now in Unix milliseconds (the primitives take time as an input).
pub fn now_ms() -> UnixMillis {
    UnixMillis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    )
}

fn now_timestamp() -> Timestamp {
    let secs = i64::try_from(now_ms().0 / 1_000).unwrap_or(0);
    Timestamp::from_unix_seconds(secs)
        .or_else(|| Timestamp::from_unix_seconds(0))
        .unwrap_or_else(unreachable_timestamp)
}

#[allow(clippy::unwrap_used, reason = "a constant that parses")]
fn unreachable_timestamp() -> Timestamp {
    Timestamp::parse("1970-01-01T00:00:00Z").unwrap()
}

/// A blocking answer, unless the route is in shadow mode: then it is recorded and `None`.
fn gate(route: &Route, trail: &mut Trail, answer: Answer) -> Option<Answer> {
    if route.config.mode == RouteMode::Shadow {
        trail.would_block.push(answer.code);
        None
    } else {
        Some(answer)
    }
}

/// A store failure: 503 when failing closed; when failing open the check is skipped.
fn store_failed(
    gw: &Gateway,
    trail: &mut Trail,
    check: &'static str,
    e: &EnforceError,
) -> Option<Answer> {
    match gw.on_error {
        OnError::Closed => {
            eprintln!("clyra-gateway: state store failed at {check}: {e} ({}); failing closed, 503 (gateway.store)", e.code());
            Some(
                Answer::block(
                    503,
                    "gateway.store",
                    "error",
                    format!("the state store failed at {check}"),
                )
                .with("retry-after", "1"),
            )
        }
        OnError::Open => {
            eprintln!("clyra-gateway: state store failed at {check}: {e} ({}); failing open, check skipped (gateway.store)", e.code());
            trail.failed_open.push(check);
            None
        }
    }
}

macro_rules! check {
    ($gw:expr, $trail:expr, $name:literal, $call:expr) => {
        match $call {
            Ok(d) => Some(d),
            Err(e) => match store_failed($gw, $trail, $name, &e) {
                Some(stop) => return stop,
                None => None,
            },
        }
    };
}

/// Runs the chain for one request whose body has been read.
pub async fn run(gw: &Gateway, req: Incoming, body: Bytes, trail: &mut Trail) -> Answer {
    let Some(route) = gw.routes.get(req.route) else {
        return Answer::block(404, "gateway.no_route", "deny", "no route");
    };
    let Some(tenant) = req.tenant.clone() else {
        return Answer::block(
            400,
            "gateway.tenant_missing",
            "deny",
            format!(
                "header `{}` naming the tenant is required",
                route.config.tenant_header
            ),
        );
    };
    trail.body_digest = Some(Sha256Digest::of(&body).to_prefixed());
    let call = match &route.config.mcp {
        // Streamable HTTP lets a server refuse the server-initiated SSE stream with 405; the
        // gateway does, since it checks and records whole request/response pairs.
        Some(_) if req.method == "GET" => {
            return Answer::block(
                405,
                "gateway.mcp_stream",
                "deny",
                "the gateway offers no server-initiated SSE stream on MCP routes",
            )
            .with("allow", "POST, DELETE");
        }
        Some(m) if req.method == "POST" => {
            match mcp::parse_request(&body, &m.server_id, &gw.limits) {
                Ok(c) => Some(c),
                Err(a) => return a,
            }
        }
        _ => None,
    };
    if let Some(c) = &call {
        trail.mcp = Some(c.facts());
    }
    let now = now_ms();
    // 1. Tenant fence.
    if let Some(d) = check!(
        gw,
        trail,
        "fence",
        gw.store.with(|s| gw.fence.check(s, &tenant, None, now))
    ) {
        trail.push(&d);
        if !d.allowed() {
            if let Some(a) = gate(
                route,
                trail,
                Answer::block(
                    403,
                    "gateway.fenced",
                    "deny",
                    format!("tenant `{tenant}` is fenced"),
                ),
            ) {
                return a;
            }
        }
    }
    // 2. Kill switch of the route.
    if let Some(d) = check!(
        gw,
        trail,
        "kill",
        gw.store.with(|s| route.kill.check(s, &route.scope, now))
    ) {
        trail.push(&d);
        if !d.allowed {
            let a = Answer::block(
                503,
                "gateway.killed",
                "deny",
                format!("the kill switch of `{}` is engaged", route.scope),
            )
            .with("retry-after", "30");
            if let Some(a) = gate(route, trail, a) {
                return a;
            }
        }
    }
    // 3. GCRA rate.
    let mut rate_headers = Vec::new();
    if let Some(limiter) = &route.rate {
        let key = RateKey {
            tenant: &tenant,
            actor: &req.actor,
            route: &route.config.prefix,
        };
        if let Some(d) = check!(
            gw,
            trail,
            "rate",
            gw.store.with(|s| limiter.check(s, key, now))
        ) {
            trail.push(&d);
            rate_headers = vec![
                ("ratelimit-limit".to_owned(), d.limit.to_string()),
                ("ratelimit-remaining".to_owned(), d.remaining.to_string()),
                (
                    "ratelimit-reset".to_owned(),
                    d.reset_after_ms.div_ceil(1_000).to_string(),
                ),
            ];
            if !d.allowed {
                let mut a =
                    Answer::block(429, "gateway.rate_limited", "deny", "rate limit exceeded");
                a.headers.extend(rate_headers.iter().cloned());
                let a = a.with("retry-after", d.retry_after_secs().unwrap_or(1).to_string());
                if let Some(a) = gate(route, trail, a) {
                    return a;
                }
            }
        }
    }
    // 4. Idempotency.
    let mut claimed: Option<(String, [u8; 32])> = None;
    let is_tool_call = call.as_ref().is_none_or(McpCall::is_tool_call);
    if let (Some(idem), true) = (&route.idempotency, is_tool_call) {
        let required = route.config.idempotency.is_some_and(|c| c.required);
        match &req.idempotency_key {
            None if required => {
                return Answer::block(
                    400,
                    "gateway.idempotency_key_missing",
                    "deny",
                    "an `Idempotency-Key` header is required",
                );
            }
            None => {}
            Some(key) => {
                let payload = fingerprint_payload(&req, &body, &gw.limits);
                match gw
                    .store
                    .with(|s| idem.begin(s, &tenant, key, &payload, now))
                {
                    Ok(d) => {
                        trail.push(&d);
                        match &d.outcome {
                            IdempotencyOutcome::Proceed => {
                                claimed = Some((key.clone(), d.fingerprint))
                            }
                            IdempotencyOutcome::Replay(stored) => {
                                return Answer::from_stored(stored).unwrap_or_else(|| {
                                    Answer::block(
                                        500,
                                        "gateway.store",
                                        "error",
                                        "a stored response does not decode",
                                    )
                                });
                            }
                            IdempotencyOutcome::Mismatch => {
                                return Answer::block(
                                    422,
                                    "gateway.idempotency_mismatch",
                                    "deny",
                                    "this idempotency key was used with another request",
                                );
                            }
                            IdempotencyOutcome::Conflict => {
                                return Answer::block(
                                    409,
                                    "gateway.idempotency_in_flight",
                                    "deny",
                                    "a request with this idempotency key is in flight",
                                )
                                .with("retry-after", "1");
                            }
                        }
                    }
                    Err(e @ (EnforceError::IdempotencyKey(_) | EnforceError::Payload(_))) => {
                        return Answer::block(
                            400,
                            "gateway.idempotency_key",
                            "deny",
                            e.to_string(),
                        );
                    }
                    Err(e) => {
                        if let Some(stop) = store_failed(gw, trail, "idempotency", &e) {
                            return stop;
                        }
                    }
                }
            }
        }
    }
    let mut answer = after_idempotency(gw, route, &req, &tenant, &body, call.as_ref(), trail).await;
    if !rate_headers.is_empty() && answer.status != 429 {
        answer.headers.extend(rate_headers);
    }
    // Finish the idempotency record: a final answer is stored for replay, a failure frees the key.
    if let (Some(idem), Some((key, fp))) = (&route.idempotency, claimed) {
        let now = now_ms();
        let done = if answer.status < 500 {
            gw.store
                .with(|s| idem.complete(s, &tenant, &key, &fp, &answer.to_stored(), now))
        } else {
            gw.store.with(|s| idem.abandon(s, &tenant, &key, &fp, now))
        };
        if let Err(e) = done {
            eprintln!(
                "clyra-gateway: idempotency key `{key}` could not be finished: {e} ({})",
                e.code()
            );
        }
    }
    answer
}

/// What the idempotency fingerprint covers: method, path and the body (as JSON when it is JSON,
/// so that key order does not matter; else its base64).
fn fingerprint_payload(req: &Incoming, body: &[u8], limits: &clyra_core::Limits) -> Vec<u8> {
    let mut m = Map::new();
    m.insert("method", Value::from(req.method.as_str()));
    m.insert("path", Value::from(req.path.as_str()));
    match jcs::parse(body, limits) {
        Ok(v) => m.insert("json", v),
        Err(_) => m.insert(
            "raw",
            Value::from(base64::engine::general_purpose::STANDARD.encode(body)),
        ),
    };
    jcs::to_vec(&Value::from(m))
}

/// The policy facts of a request (policy-v1.md §5: `change`, `request`, `genai`).
fn facts(
    gw: &Gateway,
    route: &Route,
    req: &Incoming,
    tenant: &str,
    call: Option<&McpCall>,
) -> (Value, Value) {
    let obj = |pairs: Vec<(&str, Value)>| {
        let mut m = Map::new();
        for (k, v) in pairs {
            m.insert(k, v);
        }
        Value::from(m)
    };
    let tool = call
        .and_then(|c| c.tool.clone())
        .or_else(|| route.config.tool.clone())
        .unwrap_or_else(|| path_only(&req.path).to_owned());
    let change = obj(vec![
        (
            "subject",
            Value::from(format!("{}{}", route.config.upstream, path_only(&req.path))),
        ),
        ("kind", Value::from(route.config.change_kind.as_str())),
        ("actor", Value::from(req.actor.as_str())),
        (
            "environment",
            Value::from(gw.config.evidence.environment.as_str()),
        ),
        (
            "summary",
            Value::from(format!(
                "{} {} for tenant {tenant}",
                req.method,
                path_only(&req.path)
            )),
        ),
    ]);
    let mut all = vec![
        ("change", change.clone()),
        (
            "request",
            obj(vec![
                ("tenant", Value::from(tenant)),
                ("tool", Value::from(tool.as_str())),
                ("method", Value::from(req.method.as_str())),
            ]),
        ),
    ];
    if call.is_some() {
        all.push(("genai", obj(vec![("tool", Value::from(tool.as_str()))])));
    }
    (obj(all), change)
}

fn path_only(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// Policy onward.
async fn after_idempotency(
    gw: &Gateway,
    route: &Route,
    req: &Incoming,
    tenant: &str,
    body: &Bytes,
    call: Option<&McpCall>,
    trail: &mut Trail,
) -> Answer {
    // 5. Policy (only tool calls in MCP mode; every request otherwise).
    if let (Some(policy), true) = (&gw.policy, call.is_none_or(McpCall::is_tool_call)) {
        let (facts, change) = facts(gw, route, req, tenant, call);
        let evaluation = evaluate(policy, &facts);
        let mut p = Map::new();
        match evaluation {
            Err(e) => {
                p.insert("decision", Value::from("deny"));
                p.insert("error", Value::from(e.code()));
                trail.policy = Some(p);
                let a = Answer::block(
                    403,
                    "gateway.policy_error",
                    "deny",
                    format!("the policy could not be evaluated: {}", e.message()),
                );
                if let Some(a) = gate(route, trail, a) {
                    return a;
                }
            }
            Ok(e) => {
                p.insert("decision", Value::from(e.decision.as_str()));
                if let Some(rule) = &e.rule {
                    p.insert("rule", Value::from(rule.as_str()));
                }
                p.insert("reason", Value::from(e.reason.as_str()));
                p.insert("hash", Value::from(e.policy_hash.as_str()));
                trail.policy = Some(p);
                match e.decision {
                    PolicyDecision::Allow => {}
                    PolicyDecision::Deny => {
                        let a =
                            Answer::block(403, "gateway.policy_denied", "deny", e.reason.clone());
                        if let Some(a) = gate(route, trail, a) {
                            return a;
                        }
                    }
                    PolicyDecision::RequireApproval | PolicyDecision::RequireTwoPerson => {
                        if route.config.mode == RouteMode::Shadow {
                            trail.would_block.push("gateway.held");
                        } else {
                            return hold(gw, req, body, &e, &change, trail);
                        }
                    }
                }
            }
        }
    }
    forward(gw, route, req, tenant, body, call, trail).await
}

/// Parks the request at a checkpoint (policy-v1.md §9) and answers 202 with the hold.
fn hold(
    gw: &Gateway,
    req: &Incoming,
    body: &Bytes,
    evaluation: &clyra_core::policy::Evaluation,
    change: &Value,
    trail: &mut Trail,
) -> Answer {
    let nonces: Vec<String> = (0..evaluation.approvals_required)
        .map(|_| random_id("n"))
        .collect();
    let now = now_timestamp();
    let cp = match checkpoint::create(&CheckpointRequest {
        evaluation,
        change,
        nonces: &nonces,
        now: &now,
        ttl_seconds: gw.hold_ttl_s,
        secret: &gw.secret,
    }) {
        Ok(cp) => cp,
        Err(e) => return Answer::block(500, "gateway.hold", "error", e.message().to_owned()),
    };
    let hold_id = random_id("h");
    let mut record = Map::new();
    record.insert("checkpoint", cp.value.clone());
    record.insert("request", request_value(req));
    record.insert(
        "body",
        Value::from(base64::engine::general_purpose::STANDARD.encode(body)),
    );
    let bytes = jcs::to_vec(&Value::from(record));
    let ttl_ms = gw
        .hold_ttl_s
        .saturating_mul(1_000)
        .saturating_add(86_400_000);
    let key = format!("hold:{hold_id}");
    if let Err(e) = gw
        .store
        .with(|s| s.put_if_absent(&key, &bytes, ttl_ms, now_ms()).map(|_| ()))
    {
        eprintln!("clyra-gateway: hold `{hold_id}` could not be stored: {e} (gateway.store)");
        return Answer::block(
            503,
            "gateway.store",
            "error",
            "the hold could not be stored",
        )
        .with("retry-after", "1");
    }
    let mut out = Map::new();
    out.insert("hold_id", Value::from(hold_id.as_str()));
    out.insert("token", Value::from(cp.token.as_str()));
    out.insert(
        "resume",
        Value::from(format!("/_clyra/holds/{hold_id}/resume")),
    );
    for k in [
        "expires_at",
        "nonces",
        "change",
        "approvals_required",
        "decision",
        "rule",
    ] {
        if let Some(v) = cp.value.get(k) {
            out.insert(k, v.clone());
        }
    }
    if let Some(p) = &mut trail.policy {
        p.insert("hold_id", Value::from(hold_id.as_str()));
        // A hold never resumed is read from the journal as held until `expires_at`.
        if let Some(e) = cp.value.get("expires_at") {
            p.insert("expires_at", e.clone());
        }
    }
    Answer {
        status: 202,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Bytes::from(jcs::to_vec(&Value::from(out))),
        code: "gateway.held",
        decision: "hold",
        reason: evaluation.reason.clone(),
    }
}

fn request_value(req: &Incoming) -> Value {
    let mut m = Map::new();
    m.insert("route", int(req.route as u64));
    m.insert("method", Value::from(req.method.as_str()));
    m.insert("path", Value::from(req.path.as_str()));
    if let Some(t) = &req.tenant {
        m.insert("tenant", Value::from(t.as_str()));
    }
    m.insert("actor", Value::from(req.actor.as_str()));
    if let Some(s) = &req.session {
        m.insert("session", Value::from(s.as_str()));
    }
    m.insert("peer", Value::from(req.peer.as_str()));
    let headers: Vec<Value> = req
        .headers
        .iter()
        .map(|(k, v)| Value::from(vec![Value::from(k.as_str()), Value::from(v.as_str())]))
        .collect();
    m.insert("headers", Value::from(headers));
    Value::from(m)
}

fn request_from_value(v: &Value, id: &str) -> Option<Incoming> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let headers = v
        .get("headers")?
        .as_array()?
        .iter()
        .filter_map(|h| {
            let pair = h.as_array()?;
            Some((
                pair.first()?.as_str()?.to_owned(),
                pair.get(1)?.as_str()?.to_owned(),
            ))
        })
        .collect();
    Some(Incoming {
        route: usize::try_from(v.get("route")?.as_u64()?).ok()?,
        id: id.to_owned(),
        method: s("method")?,
        path: s("path")?,
        tenant: s("tenant"),
        actor: s("actor")?,
        idempotency_key: None,
        session: s("session"),
        headers,
        peer: s("peer").unwrap_or_default(),
    })
}

/// `POST /_clyra/holds/<id>/resume`: checks the token, the expiry and the approvals (the core's
/// checkpoint resume), claims the hold once, then runs the held request from the GenAI scan on.
/// Returns the held request (to record the decision under) when the hold was found.
pub async fn resume_hold(
    gw: &Gateway,
    hold_id: &str,
    body: &[u8],
) -> (Option<Incoming>, Answer, Trail) {
    let mut trail = Trail::default();
    let bad = |m: &str| Answer::block(400, "gateway.resume_args", "error", m.to_owned());
    let Ok(Value::Object(args)) = jcs::parse(body, &gw.limits) else {
        return (
            None,
            bad("the body must be a JSON object `{\"token\", \"approvals\"}`"),
            trail,
        );
    };
    let Some(token) = args.get("token").and_then(Value::as_str) else {
        return (None, bad("`token` is required"), trail);
    };
    let approvals: Vec<Vec<u8>> = args
        .get("approvals")
        .and_then(Value::as_array)
        .unwrap_or_default()
        .iter()
        .map(|a| match a {
            Value::String(s) => s.as_bytes().to_vec(),
            other => jcs::to_vec(other),
        })
        .collect();
    let key = format!("hold:{hold_id}");
    let stored = match gw.store.with(|s| s.get(&key, now_ms())) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return (
                None,
                Answer::block(
                    404,
                    "gateway.hold_unknown",
                    "deny",
                    format!("no hold `{hold_id}`"),
                ),
                trail,
            )
        }
        Err(e) => {
            eprintln!("clyra-gateway: hold `{hold_id}`: state store failed: {e} (gateway.store)");
            return (
                None,
                Answer::block(503, "gateway.store", "error", "the state store failed")
                    .with("retry-after", "1"),
                trail,
            );
        }
    };
    let Ok(record) = jcs::parse(&stored, &gw.limits) else {
        return (
            None,
            Answer::block(
                500,
                "gateway.store",
                "error",
                "a stored hold does not decode",
            ),
            trail,
        );
    };
    let (Some(cp), Some(req), Some(held_body)) = (
        record.get("checkpoint"),
        record
            .get("request")
            .and_then(|r| request_from_value(r, &random_id("r"))),
        record
            .get("body")
            .and_then(Value::as_str)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok()),
    ) else {
        return (
            None,
            Answer::block(
                500,
                "gateway.store",
                "error",
                "a stored hold does not decode",
            ),
            trail,
        );
    };
    let mut p = Map::new();
    p.insert("hold_id", Value::from(hold_id));
    for k in ["decision", "rule"] {
        if let Some(v) = cp.get(k) {
            p.insert(k, v.clone());
        }
    }
    trail.policy = Some(p);
    let Some(trust) = &gw.trust else {
        let a = Answer::block(
            403,
            "gateway.approval",
            "deny",
            "no approver trust is configured (approvals.trust)",
        );
        return (Some(req), a, trail);
    };
    let now = now_timestamp();
    let resumed = checkpoint::resume(&ResumeRequest {
        checkpoint: cp,
        token,
        secret: &gw.secret,
        now: &now,
        approvals: &approvals,
        trust,
        schemas: &gw.schemas,
        limits: &gw.limits,
    });
    if let Err(e) = resumed {
        let a = match e.kind() {
            PolicyErrorKind::TokenExpired => {
                Answer::block(410, "gateway.hold_expired", "deny", e.message().to_owned())
            }
            PolicyErrorKind::TokenInvalid => {
                Answer::block(403, "gateway.hold_token", "deny", e.message().to_owned())
            }
            _ => Answer::block(403, "gateway.approval", "deny", e.message().to_owned()),
        };
        return (Some(req), a, trail);
    }
    // Claim the hold exactly once (two resumes racing: one wins).
    match gw
        .store
        .with(|s| s.compare_and_set(&key, Some(&stored), None, 0, now_ms()))
    {
        Ok(true) => {}
        Ok(false) => {
            return (
                Some(req),
                Answer::block(
                    409,
                    "gateway.hold_claimed",
                    "deny",
                    "this hold was already released",
                ),
                trail,
            )
        }
        Err(e) => {
            eprintln!("clyra-gateway: hold `{hold_id}`: state store failed: {e} (gateway.store)");
            return (
                Some(req),
                Answer::block(503, "gateway.store", "error", "the state store failed"),
                trail,
            );
        }
    }
    trail.principals = approvals
        .iter()
        .filter_map(|a| principal(a, &gw.limits))
        .collect();
    let Some(route) = gw.routes.get(req.route) else {
        return (
            Some(req),
            Answer::block(404, "gateway.no_route", "deny", "the held route is gone"),
            trail,
        );
    };
    let tenant = req.tenant.clone().unwrap_or_default();
    let held_body = Bytes::from(held_body);
    trail.body_digest = Some(Sha256Digest::of(&held_body).to_prefixed());
    let call = route
        .config
        .mcp
        .as_ref()
        .and_then(|m| mcp::parse_request(&held_body, &m.server_id, &gw.limits).ok());
    if let Some(c) = &call {
        let mut facts = c.facts();
        if let Some(first) = trail.principals.first() {
            facts.insert("approval_principal", Value::from(first.as_str()));
        }
        trail.mcp = Some(facts);
    }
    let mut a = forward(
        gw,
        route,
        &req,
        &tenant,
        &held_body,
        call.as_ref(),
        &mut trail,
    )
    .await;
    if a.decision == "allow" {
        a.decision = "released";
    }
    (Some(req), a, trail)
}

/// The `sso_sub` an approval envelope carries.
fn principal(envelope: &[u8], limits: &clyra_core::Limits) -> Option<String> {
    let env = clyra_core::dsse::Envelope::decode(envelope, limits).ok()?;
    let payload = jcs::parse(&env.payload, limits).ok()?;
    payload
        .get("sso_sub")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// GenAI scan, loop breaker, upstream under its circuit, response scan, kill-switch signals.
async fn forward(
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
            if let Some(a) = scan_text(gw, route, scanner, text, scan.block_at, trail, false) {
                return a;
            }
        }
    }
    // 7. Loop breaker.
    if let (Some(lb), true) = (&route.loop_breaker, tool_call) {
        let session = req.session.clone().unwrap_or_else(|| req.actor.clone());
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
            gw.store.with(|s| lb.step(s, tenant, &session, &step, now))
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
    let sent = send(gw, upstream, req, body.clone()).await;
    let ok = matches!(&sent, Ok(a) if a.status < 500);
    let now = now_ms();
    if let Err(e) = gw
        .store
        .with(|s| upstream.circuit.record(s, &upstream.name, ok, now))
    {
        eprintln!(
            "clyra-gateway: circuit `{}` could not record: {e} (gateway.store)",
            upstream.name
        );
    }
    // Only the signals a threshold reads: each record is a store round trip.
    if let Some(k) = route.config.kill {
        let bytes = sent.as_ref().map_or(0, |a| a.body.len() as u64) + body.len() as u64;
        let recorded = gw.store.with(|s| {
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
            if let Some(a) = scan_text(gw, route, scanner, &body, scan.block_at, trail, true) {
                return a;
            }
        }
    }
    answer.reason = format!("forwarded to `{}`", upstream.name);
    answer
}

/// Scans `text`; records threats (and a kill-switch threat signal); a blocking finding gives
/// the answer to send.
fn scan_text(
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
        t.insert("confidence", int(u64::from(f.confidence / 10)));
        t.insert("detector", Value::from(f.detector.id()));
        trail.threats.push(Value::from(t));
    }
    if route.config.kill.is_some_and(|k| k.max_threats.is_some()) && !report.findings.is_empty() {
        let count = report.findings.len() as u64;
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
    let first = report.findings.first().map_or("genai", |f| f.detector.id());
    let a = Answer::block(
        status,
        code,
        "deny",
        format!("the GenAI scanner found `{first}`"),
    );
    gate(route, trail, a)
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

/// The `data` of the request's `gateway.request` journal event.
/// Moves the trail's checks and threats into the event (the SIEM lines do not need them).
pub fn event_data(req: &Incoming, answer: &Answer, trail: &mut Trail) -> Map {
    let mut m = Map::new();
    m.insert("request_id", Value::from(req.id.as_str()));
    m.insert("route", int(req.route as u64));
    m.insert("method", Value::from(req.method.as_str()));
    m.insert("path", Value::from(req.path.as_str()));
    if let Some(t) = &req.tenant {
        m.insert("tenant", Value::from(t.as_str()));
    }
    m.insert("actor", Value::from(req.actor.as_str()));
    m.insert("status", int(u64::from(answer.status)));
    m.insert("decision", Value::from(answer.decision));
    m.insert("code", Value::from(answer.code));
    m.insert("reason", Value::from(answer.reason.as_str()));
    m.insert("checks", Value::from(std::mem::take(&mut trail.checks)));
    if !trail.threats.is_empty() {
        m.insert("threats", Value::from(std::mem::take(&mut trail.threats)));
    }
    if let Some(p) = &trail.policy {
        m.insert("policy", Value::from(p.clone()));
    }
    if let Some(x) = &trail.mcp {
        m.insert("mcp", Value::from(x.clone()));
    }
    if !trail.would_block.is_empty() {
        let w: Vec<Value> = trail.would_block.iter().map(|c| Value::from(*c)).collect();
        m.insert("would_block", Value::from(w));
    }
    if !trail.failed_open.is_empty() {
        let w: Vec<Value> = trail.failed_open.iter().map(|c| Value::from(*c)).collect();
        m.insert("failed_open", Value::from(w));
    }
    if !trail.principals.is_empty() {
        let w: Vec<Value> = trail
            .principals
            .iter()
            .map(|c| Value::from(c.as_str()))
            .collect();
        m.insert("approval_principals", Value::from(w));
    }
    // The PEF operation (pef-v0.md): what was asked, what was decided, what happened.
    let policy_decision = trail
        .policy
        .as_ref()
        .and_then(|p| p.get("decision"))
        .and_then(Value::as_str)
        .filter(|d| ["allow", "deny", "require_approval", "require_two_person"].contains(d));
    let decision = match (answer.decision, policy_decision) {
        ("deny" | "error", _) if answer.status != 202 => "deny",
        (_, Some(d)) => d,
        _ => "allow",
    };
    let outcome = match answer.decision {
        "hold" => "held",
        "allow" | "released" | "replay" if answer.status < 500 => "executed",
        "error" => "failed",
        "allow" | "released" => "failed",
        _ => "blocked",
    };
    let mut op = Map::new();
    op.insert("actor", Value::from(req.actor.as_str()));
    let tool = trail
        .mcp
        .as_ref()
        .and_then(|x| x.get("tool"))
        .and_then(Value::as_str)
        .map_or_else(
            || format!("{} {}", req.method, path_only(&req.path)),
            str::to_owned,
        );
    op.insert("tool", Value::from(tool));
    op.insert("target", Value::from(path_only(&req.path)));
    let params = trail
        .mcp
        .as_ref()
        .and_then(|x| x.get("params_hash"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let params = params.or_else(|| trail.body_digest.clone());
    op.insert(
        "parameters_hash",
        Value::from(params.unwrap_or_else(|| Sha256Digest::of(b"").to_prefixed())),
    );
    op.insert("decision", Value::from(decision));
    op.insert("outcome", Value::from(outcome));
    if outcome == "executed" {
        op.insert(
            "result_hash",
            Value::from(Sha256Digest::of(&answer.body).to_prefixed()),
        );
    }
    m.insert("operation", Value::from(op));
    m
}
