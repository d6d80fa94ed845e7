//! SIEM events for sealed bundles (reports: `clyra report daily-review --siem`): one event per
//! ledger entry, from its [`BundleFacts`], in OCSF 1.8.0 (class API Activity, 6003) or ECS 9.4.0.
//! The mapping is documented in docs/siem.md; Clyra-specific fields go under OCSF `unmapped.clyra`
//! and the ECS custom namespace `clyra.*`.

use serde_json::{json, Map, Value};

use crate::report::daily::BundleFacts;
use crate::time::Timestamp;

/// The OCSF schema version the events conform to.
pub const OCSF_VERSION: &str = "1.8.0";
/// The ECS version the events conform to.
pub const ECS_VERSION: &str = "9.4.0";

const API_ACTIVITY: u64 = 6003;

/// OCSF `severity_id` of a bundle: High (4) when it is not accounted for (missing, altered,
/// INVALID, INDETERMINATE); otherwise by risk score: Informational (1) below 30, Low (2) below
/// 60, Medium (3) below 80, High (4) from 80; Informational when unscored.
pub fn severity_id(f: &BundleFacts) -> u64 {
    if !f.accounted() {
        return 4;
    }
    match f.risk_score {
        None | Some(0..=29) => 1,
        Some(30..=59) => 2,
        Some(60..=79) => 3,
        Some(_) => 4,
    }
}

fn severity_name(id: u64) -> &'static str {
    match id {
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        _ => "Unknown",
    }
}

/// `created_at` in epoch milliseconds (0 when it does not parse, which a schema-valid manifest
/// never gives).
fn epoch_ms(f: &BundleFacts) -> i64 {
    Timestamp::parse(&f.created_at).map_or(0, |t| t.unix_seconds().saturating_mul(1000))
}

fn message(f: &BundleFacts) -> String {
    format!(
        "{} {} change of {} by {}: {}",
        f.format,
        f.kind.as_deref().unwrap_or("unknown"),
        f.subject,
        f.actor.as_deref().unwrap_or("an unknown actor"),
        f.status
    )
}

/// The Clyra fields neither schema has a place for.
fn clyra_fields(f: &BundleFacts) -> Value {
    let mut m = Map::new();
    m.insert("bundle_id".into(), json!(f.bundle_id));
    m.insert("bundle_sha256".into(), json!(f.bundle_sha256));
    m.insert("ledger_index".into(), json!(f.index));
    m.insert("format".into(), json!(f.format));
    m.insert("verdict".into(), json!(f.status));
    m.insert("primary".into(), json!(f.primary));
    m.insert("environment".into(), json!(f.environment));
    m.insert("run_id".into(), json!(f.run_id));
    m.insert("approvals_required".into(), json!(f.approvals_required));
    m.insert("approvals_counted".into(), json!(f.approvals_counted));
    m.insert("sod_violations".into(), json!(f.sod_violations.len()));
    m.insert("schema_migrations".into(), json!(f.schema_migrations.len()));
    m.insert("test_failures".into(), json!(f.test_failures.len()));
    m.insert("policy_exceptions".into(), json!(f.policy_exceptions.len()));
    m.insert("genai_threats".into(), json!(f.threats.len()));
    m.insert("tcpa_events".into(), json!(f.tcpa_events.len()));
    if let Some(kind) = &f.kind {
        m.insert("change_kind".into(), json!(kind));
    }
    Value::Object(m)
}

/// The OCSF 1.8.0 API Activity event of one bundle: activity Update (3) for a DEF change, Other
/// (99) for a PEF action; status Success when the bundle is accounted for, else Failure.
pub fn ocsf(f: &BundleFacts) -> Value {
    let (activity_id, activity_name) = if f.format == "def/v0" {
        (3, "Update")
    } else {
        (99, "Other")
    };
    let sev = severity_id(f);
    let (status_id, status) = if f.accounted() {
        (1, "Success")
    } else {
        (2, "Failure")
    };
    let mut event = json!({
        "activity_id": activity_id,
        "activity_name": activity_name,
        "category_uid": API_ACTIVITY / 1000,
        "category_name": "Application Activity",
        "class_uid": API_ACTIVITY,
        "class_name": "API Activity",
        "type_uid": API_ACTIVITY * 100 + activity_id,
        "type_name": format!("API Activity: {activity_name}"),
        "time": epoch_ms(f),
        "severity_id": sev,
        "severity": severity_name(sev),
        "status_id": status_id,
        "status": status,
        "message": message(f),
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "Clyra",
                "vendor_name": "Clyra",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "uid": f.bundle_id,
            "correlation_uid": f.run_id,
            "log_name": "clyra-ledger",
        },
        "actor": {
            "user": { "name": f.actor.clone().unwrap_or_default() },
        },
        "api": {
            "operation": f.kind.clone().unwrap_or_else(|| "unknown".to_owned()),
            "service": { "name": "clyra" },
        },
        "src_endpoint": { "name": f.environment },
        "resources": [ { "uid": f.subject, "type": "asset" } ],
        "unmapped": { "clyra": clyra_fields(f) },
    });
    if let (Some(score), Some(obj)) = (f.risk_score, event.as_object_mut()) {
        obj.insert("risk_score".into(), json!(score));
    }
    event
}

/// The ECS 9.4.0 event of one bundle: `event.category` `database` (DEF) or `api` (PEF), type
/// `change`, outcome `success` when the bundle is accounted for, else `failure`.
pub fn ecs(f: &BundleFacts) -> Value {
    let category = if f.format == "def/v0" {
        "database"
    } else {
        "api"
    };
    let mut event = json!({
        "@timestamp": f.created_at,
        "ecs": { "version": ECS_VERSION },
        "message": message(f),
        "event": {
            "kind": "event",
            "category": [category],
            "type": ["change"],
            "outcome": if f.accounted() { "success" } else { "failure" },
            "action": "bundle-sealed",
            "dataset": "clyra.bundle",
            "provider": "clyra",
            "id": f.bundle_id,
            "severity": severity_id(f),
            "reason": f.primary,
        },
        "user": { "name": f.actor.clone().unwrap_or_default() },
        "labels": { "environment": f.environment, "subject": f.subject },
        "clyra": clyra_fields(f),
    });
    if let Some(score) = f.risk_score {
        if let Some(ev) = event.get_mut("event").and_then(Value::as_object_mut) {
            ev.insert("risk_score".into(), json!(score));
        }
    }
    event
}

/// One NDJSON line (canonical JSON and LF) per bundle.
pub fn to_ndjson(facts: &[BundleFacts], event: fn(&BundleFacts) -> Value) -> Vec<u8> {
    let mut out = Vec::new();
    for f in facts {
        out.extend_from_slice(&crate::report::canonical(&event(f)));
        out.push(b'\n');
    }
    out
}
