//! `clyra inspect`: what is inside a bundle, readable. Informative, not a verification.

use std::io::BufReader;

use clap::Args;
use clyra_core::inspect::inspect;
use clyra_core::jcs::{self, Value};
use clyra_core::{Coded, Limits};

use super::verify::io_problem;
use crate::exit::Exit;
use crate::output::{shown, Format, Problem, Source};
use crate::Context;

/// Arguments of `clyra inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The bundle to look into
    #[arg(value_name = "BUNDLE")]
    pub bundle: String,
}

/// Runs `clyra inspect`.
pub fn run(args: &InspectArgs, cx: &mut Context<'_>) -> Exit {
    let source = Source::File(args.bundle.clone());
    // conformance.md §6.7, as for `clyra verify`.
    let (file, len) = match crate::input::open(&args.bundle, Limits::default().bundle_max_bytes) {
        Ok(input) => (input.file, input.len),
        Err(err) => return cx.fail(&io_problem(&err).in_source(&source)),
    };
    let summary = match inspect(BufReader::new(file), len, &Limits::default()) {
        Ok(summary) => summary,
        Err(err) => return cx.fail(&Problem::new(err.code(), err.to_string()).in_source(&source)),
    };
    let text = match cx.format {
        Format::Json => {
            let mut line = String::from_utf8_lossy(&jcs::to_vec(&summary)).into_owned();
            line.push('\n');
            line
        }
        Format::Human => human(&summary, &args.bundle),
    };
    cx.print(&text, Exit::Ok)
}

/// A value of the summary as it may be shown: strings escaped (verdicts.md §3.3), other values as
/// canonical JSON (escaped too: JSON leaves C1 and bidirectional characters raw).
fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => shown(s).into_owned(),
        Some(other) => shown(&String::from_utf8_lossy(&jcs::to_vec(other))).into_owned(),
        None => "-".to_owned(),
    }
}

fn list(v: Option<&Value>) -> String {
    v.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|i| text(Some(i)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn human(s: &Value, bundle: &str) -> String {
    let get = |path: &[&str]| {
        let mut v = Some(s);
        for p in path {
            v = v.and_then(|x| x.get(p));
        }
        v
    };
    let mut out = format!(
        "{} (not verified: run `clyra verify` for a verdict)\n  format       {}\n  bundle id    {}\n  created at   {}\n",
        shown(bundle),
        text(get(&["format"])),
        text(get(&["bundle_id"])),
        text(get(&["created_at"])),
    );
    out.push_str("change\n");
    for key in [
        "subject",
        "kind",
        "actor",
        "deployer",
        "environment",
        "summary",
    ] {
        if let Some(v) = get(&["change", key]) {
            out.push_str(&format!("  {key:<12} {}\n", text(Some(v))));
        }
    }
    let artifacts = get(&["artifacts"])
        .and_then(Value::as_array)
        .unwrap_or_default();
    out.push_str(&format!("artifacts ({})\n", artifacts.len()));
    for a in artifacts {
        out.push_str(&format!(
            "  {}  {} bytes\n",
            text(a.get("path")),
            text(a.get("size"))
        ));
    }
    out.push_str(&format!(
        "journal ({} events)\n",
        text(get(&["journal", "count"]))
    ));
    if let Some(kinds) = get(&["journal", "kinds"]).and_then(Value::as_object) {
        for (kind, n) in kinds.iter() {
            out.push_str(&format!("  {}  x{}\n", shown(kind), text(Some(n))));
        }
    }
    let signers = get(&["signers"])
        .and_then(Value::as_array)
        .unwrap_or_default();
    out.push_str(&format!("signers ({})\n", signers.len()));
    for sgn in signers {
        out.push_str(&format!(
            "  {}  {}  signed at {}\n",
            text(sgn.get("keyid")),
            text(sgn.get("scheme")),
            text(sgn.get("signed_at"))
        ));
    }
    let approvals = get(&["approvals", "entries"])
        .and_then(Value::as_array)
        .unwrap_or_default();
    out.push_str(&format!(
        "approvals ({}, {} required)\n",
        approvals.len(),
        text(get(&["approvals", "required"]))
    ));
    for a in approvals {
        out.push_str(&format!(
            "  {}  approved at {}  expires {}\n",
            text(a.get("sso_sub")),
            text(a.get("approved_at")),
            text(a.get("expires_at"))
        ));
    }
    out.push_str(&format!("risk score {}\n", text(get(&["risk", "score"]))));
    if let Some(factors) = get(&["risk", "factors"]).and_then(Value::as_object) {
        for (name, v) in factors.iter() {
            out.push_str(&format!("  {:<20} {}\n", shown(name), text(Some(v))));
        }
    }
    if let Some(deltas) = get(&["schema_deltas"]).and_then(Value::as_array) {
        out.push_str(&format!("schema deltas ({})\n", deltas.len()));
        for d in deltas {
            out.push_str(&format!("  {}\n", text(d.get("id"))));
            for (key, label) in [
                ("columns_added", "added"),
                ("columns_removed", "removed"),
                ("columns_changed", "changed"),
            ] {
                if d.get(key).is_some() {
                    out.push_str(&format!("    columns {label}: {}\n", list(d.get(key))));
                }
            }
        }
    }
    out
}
