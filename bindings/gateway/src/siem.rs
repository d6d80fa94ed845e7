//! SIEM outputs: one OCSF and/or one ECS NDJSON line per recorded decision, plus one OCSF
//! Detection Finding per GenAI finding (the mapping is the core's `siem::decision`), written by a thread off the request path. Lines are queued without
//! bound, so none is dropped; each is written after the decision is in the WAL.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use clyra_core::jcs::{self, Value};
use clyra_core::siem::decision::{ecs, ocsf, ocsf_finding, DecisionRecord, FindingRecord};

use crate::answer::{Answer, Trail};
use crate::chain::{now_ms, Incoming};
use crate::config::{lower, RouteMode, SiemConfig};
use crate::error::{GatewayError, CODE_IO};

/// One decision's OCSF and ECS lines.
type Lines = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The SIEM line writer.
pub struct SiemWriter {
    tx: mpsc::Sender<Lines>,
    ocsf: bool,
    ecs: bool,
}

fn open(path: &Path) -> Result<Box<dyn Write + Send>, GatewayError> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(std::io::stdout()));
    }
    let f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            GatewayError::new(CODE_IO, format!("siem `{}`: {}", path.display(), lower(&e)))
        })?;
    Ok(Box::new(f))
}

impl SiemWriter {
    /// Opens the configured outputs (append); `None` when none is configured.
    pub fn open(config: &SiemConfig) -> Result<Option<Self>, GatewayError> {
        if config.ocsf.is_none() && config.ecs.is_none() {
            return Ok(None);
        }
        let mut o = config.ocsf.as_deref().map(open).transpose()?;
        let mut e = config.ecs.as_deref().map(open).transpose()?;
        let (tx, rx) = mpsc::channel::<Lines>();
        std::thread::Builder::new()
            .name("clyra-siem".into())
            .spawn(move || {
                for (ol, el) in rx {
                    for (line, out) in [(ol, o.as_mut()), (el, e.as_mut())] {
                        if let (Some(line), Some(out)) = (line, out) {
                            if let Err(err) = out.write_all(&line).and_then(|()| out.flush()) {
                                eprintln!("clyra-gateway: siem write failed: {err} (gateway.io)");
                                std::thread::sleep(Duration::from_millis(100));
                            }
                        }
                    }
                }
            })
            .map_err(|e| GatewayError::new(CODE_IO, e.to_string()))?;
        Ok(Some(Self {
            tx,
            ocsf: config.ocsf.is_some(),
            ecs: config.ecs.is_some(),
        }))
    }

    /// Queues the lines of one recorded decision.
    pub fn decision(
        &self,
        req: &Incoming,
        answer: &Answer,
        trail: &Trail,
        receipt: &str,
        elapsed: Duration,
        mode: RouteMode,
    ) {
        let rule = trail
            .policy
            .as_ref()
            .and_then(|p| p.get("rule"))
            .and_then(Value::as_str);
        let tool = trail
            .mcp
            .as_ref()
            .and_then(|m| m.get("tool"))
            .and_then(Value::as_str);
        let record = DecisionRecord {
            time_ms: now_ms().0,
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            request_id: &req.id,
            receipt_id: receipt,
            tenant: req.tenant.as_deref().unwrap_or_default(),
            actor: &req.actor,
            src_ip: &req.peer,
            method: &req.method,
            path: req.path.split('?').next().unwrap_or_default(),
            status: answer.status,
            decision: answer.decision,
            code: answer.code,
            reason: &answer.reason,
            rule,
            tool,
            shadow: mode == RouteMode::Shadow,
        };
        let line = |v: Value| {
            let mut l = jcs::to_vec(&v);
            l.push(b'\n');
            l
        };
        // The decision's API Activity event, then one Detection Finding per GenAI finding
        // (gateway-config-v0.md §11).
        let o = self.ocsf.then(|| {
            let mut lines = line(ocsf(&record));
            for (n, f) in trail.found.iter().enumerate() {
                let finding = FindingRecord {
                    detector: &f.detector,
                    owasp: &f.owasp,
                    atlas: f.atlas.as_deref(),
                    confidence: f.confidence,
                    error: f.error,
                };
                lines.extend(line(ocsf_finding(&record, &finding, n)));
            }
            lines
        });
        let e = self.ecs.then(|| line(ecs(&record)));
        let _ = self.tx.send((o, e));
    }
}
