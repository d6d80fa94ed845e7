//! SIEM events for enforcement decisions (the gateway: one event per allow, deny or hold).
//!
//! [`ocsf`] maps a [`DecisionRecord`] to an OCSF 1.8.0 API Activity event (class 6003, profile
//! `security_control`); [`ocsf_finding`] maps each GenAI finding of the decision to an OCSF
//! Detection Finding (class 2004); [`ecs`] maps it to an Elastic Common Schema 9.4.0 document. Pure: the
//! host gives every value, including the time. Gateway-specific facts go under `unmapped.clyra`
//! (OCSF) and `clyra.*` (ECS, the project's custom namespace), never under invented standard
//! names. The field names saved searches use (docs/siem/) are [`OCSF_FIELDS`],
//! [`OCSF_FINDING_FIELDS`] and [`ECS_FIELDS`].

use crate::jcs::{Map, Number, Value};

/// OCSF schema version written in `metadata.version`.
pub const OCSF_VERSION: &str = "1.8.0";
/// ECS version written in `ecs.version`.
pub const ECS_VERSION: &str = "9.4.0";

/// Dotted OCSF field names every decision event carries (saved searches may rely on them).
pub const OCSF_FIELDS: &[&str] = &[
    "class_uid",
    "activity_id",
    "action",
    "action_id",
    "disposition",
    "disposition_id",
    "severity_id",
    "status_id",
    "time",
    "actor.user.uid",
    "api.operation",
    "api.request.uid",
    "api.response.code",
    "src_endpoint.ip",
    "metadata.tenant_uid",
    "metadata.product.name",
    "unmapped.clyra.code",
    "unmapped.clyra.decision",
    "unmapped.clyra.receipt_id",
];

/// Dotted ECS field names every decision event carries.
pub const ECS_FIELDS: &[&str] = &[
    "@timestamp",
    "ecs.version",
    "event.kind",
    "event.category",
    "event.type",
    "event.action",
    "event.outcome",
    "event.reason",
    "event.id",
    "event.duration",
    "organization.id",
    "user.id",
    "source.ip",
    "http.request.method",
    "http.request.id",
    "http.response.status_code",
    "url.path",
    "clyra.code",
    "clyra.decision",
    "clyra.receipt_id",
];

/// One enforcement decision as the host saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisionRecord<'a> {
    /// When it was decided, Unix milliseconds.
    pub time_ms: u64,
    /// How long the request took, milliseconds.
    pub duration_ms: u64,
    /// The request id.
    pub request_id: &'a str,
    /// The receipt id (`<bundle_id>/<seq>`).
    pub receipt_id: &'a str,
    /// The tenant (empty when unknown).
    pub tenant: &'a str,
    /// The actor.
    pub actor: &'a str,
    /// The client IP address.
    pub src_ip: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// Path (without query).
    pub path: &'a str,
    /// HTTP status answered.
    pub status: u16,
    /// `allow`, `deny`, `hold`, `released`, `replay` or `error`.
    pub decision: &'a str,
    /// `ok` or the `gateway.*` code.
    pub code: &'a str,
    /// Plain-language reason.
    pub reason: &'a str,
    /// The deciding policy rule, if any.
    pub rule: Option<&'a str>,
    /// The MCP tool, if any.
    pub tool: Option<&'a str>,
    /// Whether the route is in shadow mode.
    pub shadow: bool,
}

/// One GenAI finding of a decision (a PEF threat with its severity), for [`ocsf_finding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingRecord<'a> {
    /// The PEF threat's `detector` (`genai.external:<vendor name>` for an external finding).
    pub detector: &'a str,
    /// OWASP LLM id (`LLM01`).
    pub owasp: &'a str,
    /// MITRE ATLAS technique id, when known.
    pub atlas: Option<&'a str>,
    /// Confidence, percent (0–100).
    pub confidence: u64,
    /// Whether the finding's severity is `error` (else `warn`).
    pub error: bool,
}

/// Dotted OCSF field names every Detection Finding carries (saved searches may rely on them).
pub const OCSF_FINDING_FIELDS: &[&str] = &[
    "class_uid",
    "activity_id",
    "action_id",
    "disposition_id",
    "severity_id",
    "confidence_score",
    "time",
    "finding_info.uid",
    "finding_info.title",
    "finding_info.types",
    "finding_info.analytic.name",
    "metadata.tenant_uid",
    "metadata.product.name",
    "unmapped.clyra.detector",
    "unmapped.clyra.receipt_id",
];

impl DecisionRecord<'_> {
    /// Whether the request went on (allowed, released, replayed).
    fn allowed(&self) -> bool {
        matches!(self.decision, "allow" | "released" | "replay")
    }
}

fn int(n: u64) -> Value {
    let n = i64::try_from(n.min(crate::jcs::MAX_SAFE_INTEGER)).unwrap_or(0);
    Number::from_i64(n).map_or(Value::Null, Value::Number)
}

fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Map {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    m
}

/// OCSF API Activity `activity_id` and name of an HTTP method.
fn activity(method: &str) -> (u64, &'static str) {
    match method {
        "POST" => (1, "Create"),
        "GET" | "HEAD" => (2, "Read"),
        "PUT" | "PATCH" => (3, "Update"),
        "DELETE" => (4, "Delete"),
        _ => (99, "Other"),
    }
}

/// The `security_control` profile's outcome of a decision: action and disposition (ids with
/// their captions), shared by the API Activity event and its Detection Findings.
fn outcome(r: &DecisionRecord<'_>) -> [(&'static str, Value); 4] {
    let (action_id, action) = if r.allowed() {
        (1, "Allowed")
    } else {
        (2, "Denied")
    };
    let (disposition_id, disposition) = match r.decision {
        "allow" | "released" | "replay" => (1, "Allowed"),
        "hold" => (14, "Delayed"),
        "error" => (27, "Error"),
        _ => (2, "Blocked"),
    };
    [
        ("action_id", int(action_id)),
        ("action", Value::from(action)),
        ("disposition_id", int(disposition_id)),
        ("disposition", Value::from(disposition)),
    ]
}

/// `metadata` of a decision's OCSF events (`uid`: the receipt id, or a finding's id).
fn metadata(r: &DecisionRecord<'_>, uid: &str) -> Map {
    let mut metadata = obj([
        (
            "product",
            Value::from(obj([
                ("name", Value::from("clyra-gateway")),
                ("vendor_name", Value::from("Clyra")),
            ])),
        ),
        ("version", Value::from(OCSF_VERSION)),
        ("uid", Value::from(uid)),
        (
            "profiles",
            Value::from(vec![Value::from("security_control")]),
        ),
    ]);
    if !r.tenant.is_empty() {
        metadata.insert("tenant_uid", Value::from(r.tenant));
    }
    metadata
}

/// `unmapped.clyra` of a decision's OCSF events (and `clyra` of its ECS document).
fn clyra_facts(r: &DecisionRecord<'_>) -> Map {
    let mut clyra = obj([
        ("code", Value::from(r.code)),
        ("decision", Value::from(r.decision)),
        ("receipt_id", Value::from(r.receipt_id)),
        ("shadow", Value::from(r.shadow)),
    ]);
    if let Some(t) = r.tool {
        clyra.insert("tool", Value::from(t));
    }
    clyra
}

/// The OCSF 1.8.0 API Activity (6003) event of a decision.
pub fn ocsf(r: &DecisionRecord<'_>) -> Value {
    let (activity_id, activity_name) = activity(r.method);
    let (severity_id, severity) = match r.decision {
        "allow" | "released" | "replay" => (1, "Informational"),
        "hold" | "error" => (2, "Low"),
        _ => (3, "Medium"),
    };
    let (status_id, status) = if r.status < 400 {
        (1, "Success")
    } else {
        (2, "Failure")
    };
    let clyra = clyra_facts(r);
    let metadata = metadata(r, r.receipt_id);
    let mut event = obj([
        ("class_uid", int(6003)),
        ("class_name", Value::from("API Activity")),
        ("category_uid", int(6)),
        ("category_name", Value::from("Application Activity")),
        ("activity_id", int(activity_id)),
        ("activity_name", Value::from(activity_name)),
        ("type_uid", int(600_300 + activity_id)),
        (
            "type_name",
            Value::from(format!("API Activity: {activity_name}")),
        ),
        ("time", int(r.time_ms)),
        ("duration", int(r.duration_ms)),
        ("severity_id", int(severity_id)),
        ("severity", Value::from(severity)),
        ("status_id", int(status_id)),
        ("status", Value::from(status)),
        ("message", Value::from(r.reason)),
        (
            "actor",
            Value::from(obj([(
                "user",
                Value::from(obj([("uid", Value::from(r.actor))])),
            )])),
        ),
        (
            "api",
            Value::from(obj([
                ("operation", Value::from(format!("{} {}", r.method, r.path))),
                (
                    "request",
                    Value::from(obj([("uid", Value::from(r.request_id))])),
                ),
                (
                    "response",
                    Value::from(obj([("code", int(u64::from(r.status)))])),
                ),
            ])),
        ),
        (
            "src_endpoint",
            Value::from(obj([("ip", Value::from(r.src_ip))])),
        ),
        ("metadata", Value::from(metadata)),
        (
            "unmapped",
            Value::from(obj([("clyra", Value::from(clyra))])),
        ),
    ]);
    for (k, v) in outcome(r) {
        event.insert(k, v);
    }
    if let Some(rule) = r.rule {
        event.insert(
            "policy",
            Value::from(obj([
                ("uid", Value::from(rule)),
                ("name", Value::from(rule)),
            ])),
        );
    }
    Value::from(event)
}

/// The OCSF 1.8.0 Detection Finding (2004) of the `n`th GenAI finding of a decision
/// (gateway-config-v0.md §11): `finding_info.uid` and `metadata.uid` are `<receipt_id>#<n>`.
pub fn ocsf_finding(r: &DecisionRecord<'_>, f: &FindingRecord<'_>, n: usize) -> Value {
    let uid = format!("{}#{n}", r.receipt_id);
    let (severity_id, severity) = if f.error { (4, "High") } else { (3, "Medium") };
    let mut clyra = clyra_facts(r);
    clyra.insert("detector", Value::from(f.detector));
    if let Some(a) = f.atlas {
        clyra.insert("atlas", Value::from(a));
    }
    let finding_info = obj([
        ("uid", Value::from(uid.as_str())),
        (
            "title",
            Value::from(format!("{} found {}", f.detector, f.owasp)),
        ),
        ("types", Value::from(vec![Value::from(f.owasp)])),
        (
            "analytic",
            Value::from(obj([
                ("uid", Value::from(f.detector)),
                ("name", Value::from(f.detector)),
                ("type_id", int(1)),
                ("type", Value::from("Rule")),
            ])),
        ),
    ]);
    let mut event = obj([
        ("class_uid", int(2004)),
        ("class_name", Value::from("Detection Finding")),
        ("category_uid", int(2)),
        ("category_name", Value::from("Findings")),
        ("activity_id", int(1)),
        ("activity_name", Value::from("Create")),
        ("type_uid", int(200_401)),
        ("type_name", Value::from("Detection Finding: Create")),
        ("time", int(r.time_ms)),
        ("severity_id", int(severity_id)),
        ("severity", Value::from(severity)),
        ("confidence_score", int(f.confidence.min(100))),
        // A finding's status is its triage state: each is new.
        ("status_id", int(1)),
        ("status", Value::from("New")),
        ("message", Value::from(r.reason)),
        ("finding_info", Value::from(finding_info)),
        (
            "resources",
            Value::from(vec![Value::from(obj([
                ("type", Value::from("api")),
                ("name", Value::from(format!("{} {}", r.method, r.path))),
            ]))]),
        ),
        (
            "evidences",
            Value::from(vec![Value::from(obj([
                (
                    "actor",
                    Value::from(obj([(
                        "user",
                        Value::from(obj([("uid", Value::from(r.actor))])),
                    )])),
                ),
                (
                    "src_endpoint",
                    Value::from(obj([("ip", Value::from(r.src_ip))])),
                ),
            ]))]),
        ),
        ("metadata", Value::from(metadata(r, &uid))),
        (
            "unmapped",
            Value::from(obj([("clyra", Value::from(clyra))])),
        ),
    ]);
    for (k, v) in outcome(r) {
        event.insert(k, v);
    }
    Value::from(event)
}

/// RFC 3339 UTC with milliseconds of Unix milliseconds (ECS `@timestamp`).
fn rfc3339_ms(ms: u64) -> String {
    let secs = i64::try_from(ms / 1_000).unwrap_or(0);
    let base = crate::time::Timestamp::from_unix_seconds(secs)
        .map(|t| t.as_str().to_owned())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    format!("{}.{:03}Z", base.trim_end_matches('Z'), ms % 1_000)
}

/// The ECS 9.4.0 document of a decision (`event.category` `api`, custom fields under `clyra`).
pub fn ecs(r: &DecisionRecord<'_>) -> Value {
    let allowed = r.allowed();
    let event_type = if allowed { "allowed" } else { "denied" };
    let outcome = if r.status < 400 { "success" } else { "failure" };
    let clyra = clyra_facts(r);
    let mut event = obj([
        ("kind", Value::from("event")),
        ("category", Value::from(vec![Value::from("api")])),
        ("type", Value::from(vec![Value::from(event_type)])),
        ("action", Value::from(format!("gateway-{}", r.decision))),
        ("outcome", Value::from(outcome)),
        ("reason", Value::from(r.reason)),
        ("id", Value::from(r.request_id)),
        ("duration", int(r.duration_ms.saturating_mul(1_000_000))),
    ]);
    event.insert("dataset", Value::from("clyra.gateway"));
    let mut doc = obj([
        ("@timestamp", Value::from(rfc3339_ms(r.time_ms))),
        (
            "ecs",
            Value::from(obj([("version", Value::from(ECS_VERSION))])),
        ),
        ("event", Value::from(event)),
        ("user", Value::from(obj([("id", Value::from(r.actor))]))),
        ("source", Value::from(obj([("ip", Value::from(r.src_ip))]))),
        (
            "http",
            Value::from(obj([
                (
                    "request",
                    Value::from(obj([
                        ("method", Value::from(r.method)),
                        ("id", Value::from(r.request_id)),
                    ])),
                ),
                (
                    "response",
                    Value::from(obj([("status_code", int(u64::from(r.status)))])),
                ),
            ])),
        ),
        ("url", Value::from(obj([("path", Value::from(r.path))]))),
        ("clyra", Value::from(clyra)),
    ]);
    if !r.tenant.is_empty() {
        doc.insert(
            "organization",
            Value::from(obj([("id", Value::from(r.tenant))])),
        );
    }
    if let Some(rule) = r.rule {
        doc.insert("rule", Value::from(obj([("id", Value::from(rule))])));
    }
    if let Some(t) = r.tool {
        doc.insert(
            "gen_ai",
            Value::from(obj([(
                "tool",
                Value::from(obj([("name", Value::from(t))])),
            )])),
        );
    }
    Value::from(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(decision: &'static str, status: u16) -> DecisionRecord<'static> {
        DecisionRecord {
            time_ms: 1_764_806_400_123,
            duration_ms: 3,
            request_id: "r-1",
            receipt_id: "gw-1-0000000000/0",
            tenant: "acme",
            actor: "agent:a",
            src_ip: "127.0.0.1",
            method: "POST",
            path: "/crm/contacts",
            status,
            decision,
            code: "ok",
            reason: "forwarded",
            rule: Some("r1"),
            tool: None,
            shadow: false,
        }
    }

    #[test]
    fn ocsf_ids_follow_the_decision() {
        let allow = ocsf(&record("allow", 200));
        assert_eq!(allow.get("type_uid").and_then(Value::as_u64), Some(600_301));
        assert_eq!(allow.get("action_id").and_then(Value::as_u64), Some(1));
        let deny = ocsf(&record("deny", 403));
        assert_eq!(deny.get("action_id").and_then(Value::as_u64), Some(2));
        assert_eq!(deny.get("disposition_id").and_then(Value::as_u64), Some(2));
        let hold = ocsf(&record("hold", 202));
        assert_eq!(
            hold.get("disposition").and_then(Value::as_str),
            Some("Delayed")
        );
    }

    #[test]
    fn ocsf_finding_ids_follow_the_finding_and_the_decision() {
        let f = FindingRecord {
            detector: "genai.external:acme.pii",
            owasp: "LLM02",
            atlas: None,
            confidence: 92,
            error: true,
        };
        let e = ocsf_finding(&record("deny", 403), &f, 1);
        assert_eq!(e.get("type_uid").and_then(Value::as_u64), Some(200_401));
        assert_eq!(e.get("severity_id").and_then(Value::as_u64), Some(4));
        assert_eq!(e.get("action_id").and_then(Value::as_u64), Some(2));
        assert_eq!(e.get("confidence_score").and_then(Value::as_u64), Some(92));
        let info = e.get("finding_info");
        assert_eq!(
            info.and_then(|i| i.get("uid")).and_then(Value::as_str),
            Some("gw-1-0000000000/0#1")
        );
        let warn = ocsf_finding(
            &record("allow", 200),
            &FindingRecord { error: false, ..f },
            0,
        );
        assert_eq!(warn.get("severity_id").and_then(Value::as_u64), Some(3));
        assert_eq!(warn.get("disposition_id").and_then(Value::as_u64), Some(1));
    }

    /// The value at a dotted path (`a.b.c`), if any.
    fn at<'v>(v: &'v Value, dotted: &str) -> Option<&'v Value> {
        dotted.split('.').try_fold(v, |v, k| v.get(k))
    }

    #[test]
    fn every_listed_field_is_emitted() {
        let r = record("deny", 403);
        let f = FindingRecord {
            detector: "genai.instruction_override",
            owasp: "LLM01",
            atlas: Some("AML.T0051"),
            confidence: 85,
            error: true,
        };
        for (fields, event) in [
            (OCSF_FIELDS, ocsf(&r)),
            (OCSF_FINDING_FIELDS, ocsf_finding(&r, &f, 0)),
            (ECS_FIELDS, ecs(&r)),
        ] {
            for name in fields {
                // `@timestamp` is one key; every other name is a dotted path.
                let found = event.get(name).or_else(|| at(&event, name));
                assert!(found.is_some(), "`{name}` is missing");
            }
        }
    }

    #[test]
    fn ecs_timestamp_has_milliseconds_and_types_match() {
        let doc = ecs(&record("deny", 429));
        assert_eq!(
            doc.get("@timestamp").and_then(Value::as_str),
            Some("2025-12-04T00:00:00.123Z")
        );
        let event = doc.get("event").and_then(Value::as_object);
        let types = event.and_then(|e| e.get("type")).and_then(Value::as_array);
        assert_eq!(
            types.and_then(|t| t.first()).and_then(Value::as_str),
            Some("denied")
        );
        assert_eq!(
            event.and_then(|e| e.get("outcome")).and_then(Value::as_str),
            Some("failure")
        );
    }
}
