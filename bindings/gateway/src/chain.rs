//! The per-request chain (spec: gateway-config-v0.md §8): tenant fence → kill switch → GCRA
//! rate → idempotency → policy (allow, deny, hold) → GenAI scan → loop breaker → upstream under
//! its circuit breaker → response scan. Every step is a core primitive; this file only maps
//! their decisions to HTTP answers and records them in the request's trail. Holds live in
//! `hold.rs`, the steps after the policy in `forward.rs`.

use std::net::SocketAddr;

use base64::Engine;
use bytes::Bytes;
use clyra_core::digest::{to_hex, Sha256Digest};
use clyra_core::guard::enforce::{
    EnforceError, IdempotencyOutcome, KillSwitch, LoopBreaker, RateKey, RateLimiter, TenantFence,
    UnixMillis,
};
use clyra_core::jcs::{self, Map, Value};
use clyra_core::policy::{evaluate, evaluate_sections, Decision as PolicyDecision};
use clyra_core::time::Timestamp;
use clyra_core::Coded;
use hyper::http::request::Parts;

use crate::answer::{Answer, Trail};
use crate::config::{OnError, RouteMode};
use crate::evidence::int;
use crate::gateway::{Gateway, Route};
use crate::mcp::{self, McpCall};

/// Largest upstream response body the gateway buffers (it hashes, scans and may store it).
pub(crate) const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// Request headers never forwarded (hop-by-hop, or the gateway's own).
pub(crate) const HOP_BY_HOP: [&str; 9] = [
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

pub(crate) fn now_timestamp() -> Timestamp {
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
pub(crate) fn gate(route: &Route, trail: &mut Trail, answer: Answer) -> Option<Answer> {
    if route.config.mode == RouteMode::Shadow {
        trail.would_block.push(answer.code);
        None
    } else {
        Some(answer)
    }
}

/// A store failure: 503 when failing closed; when failing open the check is skipped.
pub(crate) fn store_failed(
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
pub(crate) use check;

/// Runs the chain for one request whose body has been read.
pub async fn run(gw: &Gateway, req: &Incoming, body: Bytes, trail: &mut Trail) -> Answer {
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
    if gw.store.prefetches() {
        // Fence, kill switch and rate bucket: one `MGET`.
        trail.pre.want(TenantFence::store_key(&tenant));
        trail.pre.want(KillSwitch::store_key(&route.scope));
        if route.rate.is_some() {
            trail.pre.want(RateLimiter::store_key(RateKey {
                tenant: &tenant,
                actor: &req.actor,
                route: &route.config.prefix,
            }));
        }
    }
    // 1. Tenant fence.
    if let Some(d) = check!(
        gw,
        trail,
        "fence",
        gw.store
            .with_prefetch(&mut trail.pre, |s| gw.fence.check(s, &tenant, None, now))
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
        gw.store
            .with_prefetch(&mut trail.pre, |s| route.kill.check(s, &route.scope, now))
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
            gw.store
                .with_prefetch(&mut trail.pre, |s| limiter.check(s, key, now))
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
                let payload = fingerprint_payload(req, &body, &gw.limits);
                if let (true, Some(_)) = (gw.store.prefetches(), &route.loop_breaker) {
                    // The loop breaker's steps ride along with the idempotency claim.
                    trail
                        .pre
                        .want(LoopBreaker::store_key(&tenant, loop_session(req)));
                }
                match gw.store.with_prefetch(&mut trail.pre, |s| {
                    idem.begin(s, &tenant, key, &payload, now)
                }) {
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
    let mut answer = after_idempotency(gw, route, req, &tenant, &body, call.as_ref(), trail).await;
    if !rate_headers.is_empty() && answer.status != 429 {
        answer.headers.extend(rate_headers);
    }
    // The idempotency record is finished by `finish_idempotency` while the outcome is synced.
    if let Some((key, fingerprint)) = claimed {
        trail.claimed = Some(Claimed {
            route: req.route,
            tenant,
            key,
            fingerprint,
        });
    }
    answer
}

/// An idempotency key this request claimed and must finish once its answer is known.
#[derive(Debug)]
pub struct Claimed {
    route: usize,
    tenant: String,
    key: String,
    fingerprint: [u8; 32],
}

/// Finishes the idempotency record `claimed`: a final answer is stored for replay, a failure
/// (5xx) frees the key. Called while the request's outcome event is being synced: both must be
/// done before the answer leaves, neither needs the other.
pub fn finish_idempotency(gw: &Gateway, claimed: Claimed, answer: &Answer) {
    let Some(idem) = gw
        .routes
        .get(claimed.route)
        .and_then(|r| r.idempotency.as_ref())
    else {
        return;
    };
    let Claimed {
        tenant,
        key,
        fingerprint: fp,
        ..
    } = claimed;
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

/// The loop breaker's session of a request: its session header, else its actor.
pub(crate) fn loop_session(req: &Incoming) -> &str {
    req.session.as_deref().unwrap_or(&req.actor)
}

pub(crate) fn path_only(path: &str) -> &str {
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
        let sections = route.config.policy_sections.as_deref();
        let evaluation = match sections {
            None => evaluate(policy, &facts),
            Some(names) => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                evaluate_sections(policy, &facts, &names)
            }
        };
        let mut p = Map::new();
        if let Some(names) = sections {
            let names: Vec<Value> = names.iter().map(|n| Value::from(n.as_str())).collect();
            p.insert("sections", Value::from(names));
        }
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
                            return crate::hold::hold(gw, req, body, &e, &change, trail);
                        }
                    }
                }
            }
        }
    }
    crate::forward::forward(gw, route, req, tenant, body, call, trail).await
}

/// Route, method, path, tenant and actor of a request, as recorded.
pub(crate) fn request_fields(req: &Incoming) -> Map {
    let mut m = Map::new();
    m.insert("route", int(req.route as u64));
    m.insert("method", Value::from(req.method.as_str()));
    m.insert("path", Value::from(req.path.as_str()));
    if let Some(t) = &req.tenant {
        m.insert("tenant", Value::from(t.as_str()));
    }
    m.insert("actor", Value::from(req.actor.as_str()));
    m
}

/// The `data` of the request's `gateway.request` journal event.
/// Moves the trail's checks and threats into the event (the SIEM lines do not need them).
pub fn event_data(req: &Incoming, answer: &Answer, trail: &mut Trail) -> Map {
    let mut m = request_fields(req);
    m.insert("request_id", Value::from(req.id.as_str()));
    m.insert("status", int(u64::from(answer.status)));
    m.insert("decision", Value::from(answer.decision));
    m.insert("code", Value::from(answer.code));
    m.insert("reason", Value::from(answer.reason.as_str()));
    m.insert("checks", Value::from(std::mem::take(&mut trail.checks)));
    if let Some(i) = trail.intent.take() {
        m.insert("intent", Value::from(i));
    }
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
