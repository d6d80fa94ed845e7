//! The HTTP side: accept connections with header timeouts, bound concurrency, dispatch to the
//! chain, the hold resume endpoint and the admin endpoints, record and answer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clyra_core::jcs::{Map, Value};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::answer::{Answer, Trail};
use crate::chain::{self, Incoming as Req};
use crate::config::Config;
use crate::error::{GatewayError, CODE_IO};
use crate::gateway::Gateway;

/// A running gateway.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The gateway.
    pub gateway: Arc<Gateway>,
    /// The accept loop.
    pub task: tokio::task::JoinHandle<()>,
}

/// Builds the gateway from `config`, binds its listen address and starts serving.
pub async fn start(config: Config) -> Result<Running, GatewayError> {
    let listen = config.listen.clone();
    let gateway = Arc::new(
        tokio::task::spawn_blocking(move || Gateway::build(config))
            .await
            .map_err(|e| GatewayError::new(CODE_IO, e.to_string()))??,
    );
    let listener = TcpListener::bind(&listen)
        .await
        .map_err(|e| GatewayError::new(CODE_IO, format!("listen on `{listen}`: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| GatewayError::new(CODE_IO, e.to_string()))?;
    let gw = gateway.clone();
    let task = tokio::spawn(async move {
        // The hold-expiry sweep (gateway-config-v0.md §8.1) stops with the accept loop.
        let _sweeper = crate::sweep::Sweeper::start(gw.clone());
        serve(gw, listener).await;
    });
    Ok(Running {
        addr,
        gateway,
        task,
    })
}

/// The accept loop: one hyper HTTP/1 connection task per client.
pub async fn serve(gw: Arc<Gateway>, listener: TcpListener) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("clyra-gateway: accept: {e} (gateway.io)");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let gw = gw.clone();
        tokio::spawn(async move {
            let limits = &gw.config.limits;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_millis(limits.header_timeout_ms))
                .max_buf_size(limits.max_header_bytes.max(8_192));
            let service = service_fn(|req| {
                let gw = gw.clone();
                async move { Ok::<_, Infallible>(handle(gw, req, peer).await) }
            });
            if let Err(e) = builder
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                if e.is_timeout() {
                    eprintln!("clyra-gateway: {peer}: request headers too slow, connection closed (gateway.header_timeout)");
                } else if !e.is_incomplete_message() {
                    eprintln!("clyra-gateway: {peer}: {e} (gateway.http)");
                }
            }
        });
    }
}

/// One request.
async fn handle(
    gw: Arc<Gateway>,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/_clyra/") {
        return match own_endpoint(&gw, req, rest.to_owned()).await {
            Reply::Plain(a) => a.into_response(),
            Reply::Recorded(b) => {
                let (req, a, trail, started) = *b;
                finish(&gw, &req, a, trail, started).await
            }
        };
    }
    let Some((route_index, _)) = gw.route(&path) else {
        return Answer::block(
            404,
            "gateway.no_route",
            "deny",
            format!("no route serves `{path}`"),
        )
        .into_response();
    };
    let Ok(_permit) = gw.in_flight.clone().try_acquire_owned() else {
        eprintln!("clyra-gateway: {path}: over max_in_flight, 503 (gateway.overloaded)");
        return Answer::block(
            503,
            "gateway.overloaded",
            "error",
            "too many requests in flight",
        )
        .with("retry-after", "1")
        .into_response();
    };
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let route = gw.routes.get(route_index);
    let max = route.map_or(0, |r| r.config.max_body_bytes);
    let timeout = Duration::from_millis(gw.config.limits.body_timeout_ms);
    let mut trail = Trail {
        clock: crate::stages::Clock::start(),
        ..Trail::default()
    };
    let incoming = Req::from_parts(&gw, route_index, &parts, peer);
    let answer = match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Err(_) => {
            eprintln!("clyra-gateway: {path}: request body too slow, 408 (gateway.body_timeout)");
            Answer::block(
                408,
                "gateway.body_timeout",
                "error",
                "the request body arrived too slowly",
            )
        }
        Ok(Err(e)) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Answer::block(
                    413,
                    "gateway.body_too_large",
                    "deny",
                    format!("the body is larger than {max} bytes"),
                )
            } else {
                Answer::block(
                    400,
                    "gateway.http",
                    "error",
                    format!("the request body could not be read: {e}"),
                )
            }
        }
        Ok(Ok(collected)) => {
            let body = collected.to_bytes();
            trail.clock.lap(crate::stages::Stage::Body);
            let a = chain::run(&gw, &incoming, body, &mut trail).await;
            // Before an upstream call the laps are the checks; after it, what follows it.
            let stage = if trail.intent.is_some() {
                crate::stages::Stage::After
            } else {
                crate::stages::Stage::Checks
            };
            trail.clock.lap(stage);
            a
        }
    };
    finish(&gw, &incoming, answer, trail, started).await
}

/// Records the request's event (synced before the answer leaves), sends its SIEM lines and
/// adds the `Clyra-Receipt` header.
pub(crate) async fn finish(
    gw: &Gateway,
    req: &Req,
    answer: Answer,
    mut trail: Trail,
    started: Instant,
) -> Response<Full<Bytes>> {
    let data = chain::event_data(req, &answer, &mut trail);
    trail.clock.lap(crate::stages::Stage::Event);
    let submitted = gw.evidence.submit(data);
    if let Some(claimed) = trail.claimed.take() {
        chain::finish_idempotency(gw, claimed, &answer);
    }
    let recorded = submitted.recorded(&mut trail.clock).await;
    std::mem::take(&mut trail.clock).finish();
    match recorded {
        Ok(receipt) => {
            if let Some(siem) = &gw.siem {
                let mode = gw
                    .routes
                    .get(req.route)
                    .map(|r| r.config.mode)
                    .unwrap_or_default();
                siem.decision(req, &answer, &trail, &receipt, started.elapsed(), mode);
            }
            answer.with("clyra-receipt", receipt).into_response()
        }
        Err(e) => {
            eprintln!(
                "clyra-gateway: {}: the decision could not be recorded: {e}",
                req.path
            );
            Answer::block(
                503,
                "gateway.wal",
                "error",
                "the decision could not be recorded",
            )
            .with("retry-after", "1")
            .into_response()
        }
    }
}

/// An answer of the gateway's own endpoints: plain, or a decision to record first.
enum Reply {
    Plain(Answer),
    Recorded(Box<(Req, Answer, Trail, Instant)>),
}

impl From<Answer> for Reply {
    fn from(a: Answer) -> Self {
        Self::Plain(a)
    }
}

/// `/_clyra/…`: health, hold resume, admin.
async fn own_endpoint(gw: &Arc<Gateway>, req: Request<Incoming>, rest: String) -> Reply {
    if rest == "health" {
        let mut a = Answer::block(200, "ok", "allow", "ok");
        a.body = Bytes::from_static(b"{\"status\":\"ok\"}");
        return a.into();
    }
    let post = req.method() == hyper::Method::POST;
    let authorized = gw.admin_token.as_ref().is_some_and(|t| {
        req.headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| constant_eq(given.as_bytes(), t.as_bytes()))
    });
    let body = match tokio::time::timeout(
        Duration::from_millis(gw.config.limits.body_timeout_ms),
        Limited::new(req.into_body(), 4 << 20).collect(),
    )
    .await
    {
        Ok(Ok(b)) => b.to_bytes(),
        _ => {
            return Answer::block(
                400,
                "gateway.http",
                "error",
                "the request body could not be read",
            )
            .into()
        }
    };
    if let Some(hold) = rest
        .strip_prefix("holds/")
        .and_then(|r| r.strip_suffix("/resume"))
    {
        if !post {
            return Answer::block(405, "gateway.http", "error", "use POST").into();
        }
        let started = Instant::now();
        let (req, answer, trail) = crate::hold::resume_hold(gw, hold, &body).await;
        return match req {
            Some(req) => Reply::Recorded(Box::new((req, answer, trail, started))),
            None => Reply::Plain(answer),
        };
    }
    if let Some(action) = rest.strip_prefix("admin/") {
        if gw.admin_token.is_none() {
            return Answer::block(404, "gateway.no_route", "deny", "admin endpoints are off")
                .into();
        }
        if !authorized {
            return Answer::block(
                401,
                "gateway.admin_auth",
                "deny",
                "a valid admin bearer token is required",
            )
            .into();
        }
        if !post {
            return Answer::block(405, "gateway.http", "error", "use POST").into();
        }
        return admin(gw, action, &body).into();
    }
    Answer::block(404, "gateway.no_route", "deny", "unknown gateway endpoint").into()
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Fence, unfence, kill, unkill.
fn admin(gw: &Gateway, action: &str, body: &[u8]) -> Answer {
    let Ok(Value::Object(args)) = clyra_core::jcs::parse(body, &gw.limits) else {
        return Answer::block(
            400,
            "gateway.admin_args",
            "error",
            "the body must be a JSON object",
        );
    };
    let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_owned);
    let ttl = args.get("ttl_ms").and_then(Value::as_u64).unwrap_or(0);
    let now = chain::now_ms();
    let done = match (action, text("tenant"), text("scope")) {
        ("fence", Some(t), _) => {
            let reason = text("reason").unwrap_or_else(|| "fenced by an operator".into());
            gw.store.with(|s| gw.fence.fence(s, &t, &reason, ttl, now))
        }
        ("unfence", Some(t), _) => gw.store.with(|s| gw.fence.lift(s, &t, now)),
        ("kill", _, Some(scope)) | ("unkill", _, Some(scope)) => {
            let Some(route) = gw.routes.iter().find(|r| r.scope == scope) else {
                return Answer::block(
                    404,
                    "gateway.admin_args",
                    "error",
                    format!("no route has scope `{scope}`"),
                );
            };
            if action == "kill" {
                gw.store
                    .with(|s| route.kill.engage(s, &scope, ttl, now).map(|_| ()))
            } else {
                gw.store
                    .with(|s| route.kill.release(s, &scope, ttl, now).map(|_| ()))
            }
        }
        _ => {
            return Answer::block(
                400,
                "gateway.admin_args",
                "error",
                "unknown action or missing tenant/scope",
            )
        }
    };
    match done {
        Ok(()) => {
            eprintln!("clyra-gateway: admin {action} done");
            let mut m = Map::new();
            m.insert("done", Value::from(action));
            let mut a = Answer::block(200, "ok", "allow", "done");
            a.body = Bytes::from(clyra_core::jcs::to_vec(&Value::from(m)));
            a
        }
        Err(e) => Answer::block(503, "gateway.store", "error", e.to_string()),
    }
}
