//! Writes N small, distinct, signed DEF bundles for the ledger benchmark (`benches/ledger_scale.sh`).
//!
//! Usage: `ledger_bundles N DIR` — bundle i has subject `model.bench.m<i>`; one fixed Ed25519 key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Cursor;

use clyra_core::build::{build_bundle, BuildInputs, BundleSpec};
use clyra_core::crypto::{Scheme, SigningKey};
use clyra_core::Limits;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .expect("usage: ledger_bundles N DIR");
    let dir = std::path::PathBuf::from(args.get(2).expect("usage: ledger_bundles N DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let key = SigningKey::generate(Scheme::Ed25519, [7; 32]).unwrap();
    let limits = Limits::default();
    for i in 0..n {
        let spec = format!(
            r#"{{"format":"def/v0","created_at":"2026-11-20T09:00:00Z","producer":{{"name":"bench","version":"0"}},
 "change":{{"subject":"model.bench.m{i}","kind":"data","actor":"bench@example.com","environment":"test"}},
 "policy":{{"required":false,"decisions":[]}},
 "risk":{{"factors":{{"change_magnitude":"data","violations_critical":0,"violations_warning":0,"production":false,"off_hours":false,"approval_bypassed":false,"threats":0,"sql_findings":0,"first_time_actor":false}}}},
 "approvals":{{"required":0}},
 "journal":[{{"at":"2026-11-20T08:59:00Z","kind":"run.started","data":{{}}}}],
 "def":{{"run":{{"tool":"bench","tool_version":"0","invocation_id":"bench-{i}","command":"bench","started_at":"2026-11-20T08:59:00Z","finished_at":"2026-11-20T09:00:00Z","environment":"test","actor":"bench@example.com","status":"success"}},"assets":[],"tests":[],"metrics":{{}}}}}}"#
        );
        let spec = BundleSpec::parse(spec.as_bytes(), &limits).unwrap();
        let signers = [&key];
        let inputs = BuildInputs {
            artifacts: vec![],
            approvals: vec![],
            approver_keys: &[],
            signers: &signers,
            signed_at: "2026-11-20T09:01:00Z",
        };
        let mut out = Cursor::new(Vec::new());
        build_bundle(&spec, inputs, &mut out, &limits).unwrap();
        std::fs::write(dir.join(format!("b{i:06}.zip")), out.into_inner()).unwrap();
    }
}
