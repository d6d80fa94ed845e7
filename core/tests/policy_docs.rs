//! docs/policy.md's examples are tested (STYLE rule 19): every `<!-- policy: NAME -->` YAML block
//! loads and lints as stated, and every `<!-- facts: NAME expect DECISION -->` JSON block gets
//! that decision from policy NAME.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use clyra_core::jcs;
use clyra_core::policy::lint;
use clyra_core::policy::{evaluate, Policy};
use clyra_core::Limits;

/// `(marker, block)` pairs: each `<!-- … -->` line followed by a fenced block.
fn marked_blocks() -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/policy.md")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(marker) = line
            .strip_prefix("<!-- ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        let open = (i + 1..lines.len())
            .find(|&j| lines[j].starts_with("```"))
            .unwrap();
        let close = (open + 1..lines.len())
            .find(|&j| lines[j] == "```")
            .unwrap();
        out.push((marker.to_owned(), lines[open + 1..close].join("\n")));
    }
    out
}

#[test]
fn docs_examples_load_lint_and_decide_as_written() {
    let limits = Limits::default();
    let mut policies: BTreeMap<String, Policy> = BTreeMap::new();
    let (mut loaded, mut decided) = (0, 0);
    for (marker, block) in marked_blocks() {
        let words: Vec<&str> = marker.split_whitespace().collect();
        match words.as_slice() {
            ["policy:", name, rest @ ..] => {
                let report = lint::lint(block.as_bytes(), "policy.yaml", &limits);
                let ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
                let expected: Vec<&str> = rest.to_vec();
                assert_eq!(ids, expected, "{name}: {:#?}", report.findings);
                policies.insert(
                    (*name).to_owned(),
                    Policy::load(block.as_bytes(), "policy.yaml", &limits).unwrap(),
                );
                loaded += 1;
            }
            ["facts:", name, "expect", decision] => {
                let policy = &policies[*name];
                let facts = jcs::parse(block.as_bytes(), &limits).unwrap();
                let e = evaluate(policy, &facts).unwrap();
                assert_eq!(e.decision.as_str(), *decision, "{name}: {}", e.reason);
                if *name == "shadow" {
                    assert!(
                        e.reason.contains("rule `big-backfill` would deny"),
                        "{}",
                        e.reason
                    );
                }
                decided += 1;
            }
            _ => {}
        }
    }
    assert!(
        loaded >= 5 && decided >= 6,
        "{loaded} policies, {decided} decisions"
    );
}
