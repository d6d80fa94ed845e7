//! Holds (policy-v1.md §9): a request the policy sends for approval is parked at a checkpoint in
//! the state store and answered 202; a resume carrying enough counting approvals releases it once
//! and runs it from the GenAI scan on (gateway-config-v0.md §8).

use base64::Engine;
use bytes::Bytes;
use clyra_core::digest::Sha256Digest;
use clyra_core::guard::enforce::EnforceError;
use clyra_core::jcs::{self, Map, Value};
use clyra_core::policy::checkpoint::{self, CheckpointRequest, ResumeRequest};
use clyra_core::policy::PolicyErrorKind;

use crate::answer::{Answer, Trail};
use crate::chain::{now_ms, now_timestamp, random_id, Incoming};
use crate::evidence::HOLD_EXPIRED_KIND;
use crate::gateway::Gateway;
use crate::mcp;

/// Parks the request at a checkpoint (policy-v1.md §9) and answers 202 with the hold.
pub(crate) fn hold(
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
    crate::sweep::index_hold(gw, &hold_id, cp.value.get("expires_at"));
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
    let mut m = crate::chain::request_fields(req);
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
    let Some((cp, req, held_body)) = decode(gw, &stored) else {
        let a = Answer::block(
            500,
            "gateway.store",
            "error",
            "a stored hold does not decode",
        );
        return (None, a, trail);
    };
    let cp = &cp;
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
        if e.kind() == PolicyErrorKind::TokenExpired {
            // Another resume or the sweep recorded it first, or the store failed (logged;
            // the 410 still goes).
            if let Err(e) = record_expired(gw, &key, &stored, hold_id, "resume").await {
                eprintln!(
                    "clyra-gateway: hold `{hold_id}`: state store failed: {e} (gateway.store)"
                );
            }
        }
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
    let mut a = crate::forward::forward(
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

/// A stored hold's checkpoint, request (under a new request id) and body.
fn decode(gw: &Gateway, stored: &[u8]) -> Option<(Value, Incoming, Vec<u8>)> {
    let record = jcs::parse(stored, &gw.limits).ok()?;
    let cp = record.get("checkpoint")?.clone();
    let req = request_from_value(record.get("request")?, &random_id("r"))?;
    let body = record.get("body")?.as_str()?;
    let body = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    Some((cp, req, body))
}

/// An expired hold, detected at a resume attempt or by the sweep (`detected`, §8.1): it is
/// removed from the store (claimed by compare-and-set, so the expiry is recorded once) and
/// leaves its own `gateway.hold_expired` journal event, whose `expired_at` is the hold's own
/// `expires_at` (not the time it was noticed). Returns whether this call recorded it.
pub(crate) async fn record_expired(
    gw: &Gateway,
    key: &str,
    stored: &[u8],
    hold_id: &str,
    detected: &'static str,
) -> Result<bool, EnforceError> {
    let Some((cp, req, _)) = decode(gw, stored) else {
        eprintln!("clyra-gateway: hold `{hold_id}`: a stored hold does not decode (gateway.store)");
        return Ok(false);
    };
    if !gw
        .store
        .with(|s| s.compare_and_set(key, Some(stored), None, 0, now_ms()))?
    {
        return Ok(false);
    }
    let mut data = crate::chain::request_fields(&req);
    data.insert("hold_id", Value::from(hold_id));
    if let Some(t) = cp.get("expires_at") {
        data.insert("expired_at", t.clone());
    }
    data.insert("detected", Value::from(detected));
    if let Err(e) = gw.evidence.record_kind(HOLD_EXPIRED_KIND, data).await {
        eprintln!("clyra-gateway: hold `{hold_id}`: its expiry could not be recorded: {e}");
        return Ok(false);
    }
    Ok(true)
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
