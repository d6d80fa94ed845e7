//! Trains the GenAI classifier (`core/src/guard/genai/model.bin`) on the development split.
//!
//! Usage: `cargo run --release -p clyra-core --example genai_train -- DEV.jsonl OUT.bin`, or
//! `… -- --loso DATA_DIR OUT.jsonl` for the leave-one-source-out evaluation that
//! `tests/genai/report.py` reads (see [`loso`]).
//! (tests/genai/README.md). Logistic regression over the hashed n-gram features of
//! `clyra_core::guard::genai::model`, trained with AdaGrad in a fixed order (deterministic), class
//! weights balancing the two labels. The (flag) threshold is the lowest in 500..=990 per mille
//! whose any-finding false-positive rate (rules included) is at most 4% over leave-one-source-out
//! scores on the development split; the final weights are trained on all of it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use clyra_core::guard::genai::model::{for_each_bucket, Lexicon, Model};
use clyra_core::guard::genai::normalise::normalise;
use clyra_core::guard::genai::{Detector, Scanner, Severity};
use clyra_core::Limits;
use serde_json::{json, Value};

const BITS: u32 = 16;
const EPOCHS: usize = 30;
const RATE: f64 = 0.4;
const L2: f64 = 1e-6;
/// Within a label, a source of n examples weighs n^(1 - SOURCE_POWER) in all: 1 gives every
/// source the same weight, so the largest sources (in-the-wild jailbreaks, do-not-answer, the
/// persona prompts) do not teach their style as the style of their label (issue 20).
const SOURCE_POWER: f64 = 1.0;

struct Example {
    normalised: String,
    features: Vec<(usize, f64)>,
    /// Features of a copy with typos ([`typos`]), trained on beside the original.
    noisy: Vec<(usize, f64)>,
    label: bool,
    source: String,
}

/// A copy of `text` with slips in about one word in six of five letters or more (a letter
/// dropped, doubled, swapped with the next, or a vowel written as a leetspeak digit), chosen by a
/// generator seeded with `seed`: training on both teaches the classifier that a slip does not
/// change what a text is, for either label.
fn typos(text: &str, seed: u64) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::with_capacity(text.len() + 8);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String, r: u64| {
        let letters: Vec<char> = word.chars().collect();
        if letters.len() >= 5 && r.is_multiple_of(6) {
            let i = ((r >> 8) % (letters.len() as u64 - 1)) as usize;
            let mut w = letters.clone();
            match (r >> 16) % 4 {
                0 => {
                    w.remove(i);
                }
                1 => w.insert(i, letters[i]),
                2 => w.swap(i, i + 1),
                _ => {
                    for c in w.iter_mut() {
                        let leet = match *c {
                            'a' => '4',
                            'e' => '3',
                            'i' => '1',
                            'o' => '0',
                            _ => continue,
                        };
                        *c = leet;
                        break;
                    }
                }
            }
            out.extend(w);
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out, next());
            out.push(c);
        }
    }
    flush(&mut word, &mut out, next());
    out
}

fn features(text: &str) -> Vec<(usize, f64)> {
    let n = normalise(text.as_bytes());
    let mut buckets = Vec::new();
    let lexicon = Lexicon::new();
    for_each_bucket(n.text.as_bytes(), BITS, &lexicon, |b| buckets.push(b));
    let total = buckets.len().max(1) as f64;
    buckets.sort_unstable();
    let mut out: Vec<(usize, f64)> = Vec::new();
    for b in buckets {
        match out.last_mut() {
            Some((last, count)) if *last == b => *count += 1.0,
            _ => out.push((b, 1.0)),
        }
    }
    for f in &mut out {
        f.1 /= total.sqrt();
    }
    out
}

fn train(examples: &[&Example]) -> (f64, Vec<f64>) {
    let size = 1usize << BITS;
    let mut w = vec![0.0f64; size];
    let mut g2 = vec![1e-8f64; size];
    let (mut bias, mut bias_g2) = (0.0f64, 1e-8f64);
    let total = examples.len() as f64;
    let weights = example_weights(examples, total);
    let mut order: Vec<usize> = (0..2 * examples.len()).collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..EPOCHS {
        // Fisher-Yates with xorshift64: the same order on every run.
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        for &k in &order {
            let e = examples[k % examples.len()];
            let features = if k < examples.len() {
                &e.features
            } else {
                &e.noisy
            };
            let z = bias + features.iter().map(|&(b, v)| w[b] * v).sum::<f64>();
            let p = 1.0 / (1.0 + (-z).exp());
            let weight = weights[k % examples.len()];
            let err = weight * (p - f64::from(u8::from(e.label)));
            for &(b, v) in features {
                let g = err * v + L2 * w[b];
                g2[b] += g * g;
                w[b] -= RATE * g / g2[b].sqrt();
            }
            bias_g2 += err * err;
            bias -= RATE * err / bias_g2.sqrt();
        }
    }
    (bias, w)
}

/// Each example's weight: the two labels weigh the same in all; within a label, a source of n
/// examples weighs n^(1 - [`SOURCE_POWER`]).
fn example_weights(examples: &[&Example], total: f64) -> Vec<f64> {
    let p = SOURCE_POWER;
    let mut counts: std::collections::BTreeMap<(&str, bool), f64> = Default::default();
    for e in examples {
        *counts.entry((e.source.as_str(), e.label)).or_default() += 1.0;
    }
    let mut class_mass = [0.0f64; 2];
    for (&(_, label), &n) in &counts {
        class_mass[usize::from(label)] += n.powf(1.0 - p);
    }
    examples
        .iter()
        .map(|e| {
            let n = counts[&(e.source.as_str(), e.label)];
            (total / 2.0) / class_mass[usize::from(e.label)] * n.powf(-p)
        })
        .collect()
}

fn quantise(bias: f64, w: &[f64], threshold: u16) -> Model {
    let max = w.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-9);
    let scale = (32767.0 / max).floor().min(4096.0) as u32;
    let weights = w
        .iter()
        .map(|x| (x * f64::from(scale)).round() as i16)
        .collect();
    Model::from_parts(
        BITS,
        scale,
        (bias * f64::from(scale)).round() as i32,
        threshold,
        weights,
    )
}

fn prf(scores: &[(u16, bool)], threshold: u16) -> (f64, f64, f64) {
    let tp = scores.iter().filter(|(s, l)| *s >= threshold && *l).count() as f64;
    let fp = scores
        .iter()
        .filter(|(s, l)| *s >= threshold && !*l)
        .count() as f64;
    let fneg = scores.iter().filter(|(s, l)| *s < threshold && *l).count() as f64;
    let p = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let r = if tp + fneg > 0.0 {
        tp / (tp + fneg)
    } else {
        0.0
    };
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f)
}

fn read_rows(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn example(row: &Value) -> Example {
    let text = row["text"].as_str().unwrap();
    Example {
        normalised: normalise(text.as_bytes()).text,
        features: features(text),
        noisy: features(&typos(
            text,
            u64::from_str_radix(row["id"].as_str().unwrap(), 16).unwrap(),
        )),
        label: row["label"].as_u64().unwrap() == 1,
        source: row["source"].as_str().unwrap().to_string(),
    }
}

/// One JSON line: the example's id, source, family, label, the setting and what each system says.
fn verdict(scanner: &Scanner, row: &Value, setting: &str) -> Value {
    let text = row["text"].as_str().unwrap();
    let report = scanner.scan(text.as_bytes(), &Limits::default()).unwrap();
    let rule = |f: &&clyra_core::guard::genai::Finding| f.detector != Detector::Classifier;
    json!({
        "id": row["id"], "source": row["source"], "family": row["family"], "label": row["label"],
        "setting": setting,
        "rules_error": report.findings.iter().filter(rule).any(|f| f.severity == Severity::Error),
        "rules_any": report.findings.iter().any(|f| rule(&f)),
        "classifier": report.findings.iter().any(|f| f.detector == Detector::Classifier),
        "error": report.worst == Some(Severity::Error),
        "any": report.worst.is_some(),
        "rules_permille": report.findings.iter().filter(rule).map(|f| f.confidence).max().unwrap_or(0),
        "classifier_permille": report
            .findings
            .iter()
            .filter(|f| f.detector == Detector::Classifier)
            .map(|f| f.confidence)
            .max()
            .unwrap_or(0),
    })
}

/// Leave-one-source-out: for each source of the labelled data (both parts of the split), a
/// model trained the same way on every other source scans the held-out source (`loso`), with
/// thresholds chosen without it ([`nested_thresholds`]). Beside it, the shipped scanner scans the evaluation part (`split`)
/// and the external sets it never saw (`external`).
fn loso(dir: &str, out: &str) {
    let dir = std::path::Path::new(dir);
    let mut rows = read_rows(&dir.join("dev.jsonl"));
    let eval = read_rows(&dir.join("eval.jsonl"));
    rows.extend(eval.iter().cloned());
    let external = read_rows(&dir.join("external.jsonl"));
    let shipped = Scanner::new().unwrap();
    let mut lines: Vec<Value> = Vec::new();
    lines.extend(eval.iter().map(|r| verdict(&shipped, r, "split")));
    lines.extend(external.iter().map(|r| verdict(&shipped, r, "external")));
    let examples: Vec<Example> = rows.iter().map(example).collect();
    let sources = sources_of(&rows);
    for &held in &sources {
        let (bias, w) = trained_without(&examples, &rows, held);
        let (rule_block, nested, flag) = nested_thresholds(&examples, &rows, &sources, held);
        let scanner = Scanner::with_model(quantise(bias, &w, flag)).unwrap();
        let held_rows = rows.iter().filter(|r| r["source"] == held);
        lines.extend(held_rows.map(|r| {
            let mut v = verdict(&scanner, r, "loso");
            let block = v["rules_permille"].as_u64().unwrap() >= u64::from(rule_block)
                || v["classifier_permille"].as_u64().unwrap() >= u64::from(nested);
            v["nested_threshold"] = json!(nested);
            v["flag_threshold"] = json!(flag);
            v["rule_block_threshold"] = json!(rule_block);
            v["error_nested"] = json!(block);
            v
        }));
        eprintln!("loso: held out {held}, nested thresholds: rules block at {rule_block}, classifier blocks at {nested}, flags at {flag}");
    }
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(out, text).unwrap();
}

/// What one row scanned by a model that never trained on its source says: (highest rule
/// confidence per mille, any rule finding, classifier score per mille when at least
/// [`FLAG_FLOOR`], label).
type Scored = (u64, bool, u64, bool);

/// Lowest classifier threshold considered when flagging (per mille): 500 is the even-odds point of
/// the class-balanced model.
const FLAG_FLOOR: u16 = 500;
/// Budget of the any-finding false-positive rate when choosing the flag threshold: the goal of
/// issue 20 (5%) less one point of margin, fixed before measuring.
const ANY_FPR_BUDGET: f64 = 0.04;
/// Budget of the blocking false-positive rate (the goal of issue 20).
const BLOCK_FPR_BUDGET: f64 = 0.02;

/// Cross-source scores: every source of `sources` except `exclude` is in turn held out of a
/// model trained on the remaining rows (never on `exclude`), which scans it.
fn cross_source(
    examples: &[Example],
    rows: &[Value],
    sources: &[&str],
    exclude: Option<&str>,
) -> Vec<Scored> {
    let held: Vec<&str> = sources
        .iter()
        .copied()
        .filter(|s| Some(*s) != exclude)
        .collect();
    let per_source = par_map(&held, |&inner_held| {
        let train_set: Vec<&Example> = examples
            .iter()
            .zip(rows)
            .filter(|(_, r)| {
                Some(r["source"].as_str().unwrap()) != exclude && r["source"] != inner_held
            })
            .map(|(e, _)| e)
            .collect();
        let (bias, w) = train(&train_set);
        let scanner = Scanner::with_model(quantise(bias, &w, FLAG_FLOOR)).unwrap();
        rows.iter()
            .filter(|r| r["source"] == inner_held)
            .map(|r| {
                let v = verdict(&scanner, r, "inner");
                (
                    v["rules_permille"].as_u64().unwrap(),
                    v["rules_any"].as_bool().unwrap(),
                    v["classifier_permille"].as_u64().unwrap(),
                    r["label"].as_u64().unwrap() == 1,
                )
            })
            .collect::<Vec<Scored>>()
    });
    per_source.into_iter().flatten().collect()
}

/// `f` over `items` on every available CPU; the results in the order of `items` (training is
/// deterministic per item, so the output does not depend on the number of threads).
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(items.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    out.sort_unstable_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// The lowest threshold in `from..=990` (by 10) whose false-positive rate over `scored`, with
/// `rule` deciding what the rules alone flag, is at most `budget` (1000 if none is).
fn lowest_threshold(
    scored: &[Scored],
    from: u16,
    budget: f64,
    rule: impl Fn(&Scored) -> bool,
) -> u16 {
    let negatives = scored.iter().filter(|x| !x.3).count().max(1) as f64;
    (from / 10..=99)
        .map(|t| t * 10)
        .find(|&t| {
            let fp = scored
                .iter()
                .filter(|x| !x.3 && (rule(x) || x.2 >= u64::from(t)))
                .count() as f64;
            fp / negatives <= budget
        })
        .unwrap_or(1000)
}

/// Rule confidences (per mille) from which a rule finding may be calibrated to block.
const RULE_BLOCK_CHOICES: [u64; 4] = [550, 600, 650, 700];

/// The blocking thresholds (rule confidence, classifier score) that maximise recall over
/// `scored` at a blocking false-positive rate of at most [`BLOCK_FPR_BUDGET`]: for each rule
/// threshold in [`RULE_BLOCK_CHOICES`], the lowest classifier threshold in 700..=990 within the
/// budget; ties go to the stricter rule threshold.
fn block_thresholds(scored: &[Scored]) -> (u16, u16) {
    let positives = scored.iter().filter(|x| x.3).count().max(1) as f64;
    let mut best: Option<(f64, u16, u16)> = None;
    for &r in RULE_BLOCK_CHOICES.iter().rev() {
        let c = lowest_threshold(scored, 700, BLOCK_FPR_BUDGET, |x| x.0 >= r);
        let tp = scored
            .iter()
            .filter(|x| x.3 && (x.0 >= r || x.2 >= u64::from(c)))
            .count() as f64;
        let recall = tp / positives;
        if best.is_none_or(|b| recall > b.0 + 1e-12) {
            best = Some((recall, r as u16, c));
        }
    }
    best.map_or((700, 1000), |b| (b.1, b.2))
}

/// The thresholds chosen WITHOUT the held-out source (nested leave-one-source-out): every other
/// source is in turn held out of a model trained on the rest of the training sources, and
/// [`block_thresholds`] picks the rule and classifier blocking thresholds on those scores;
/// flagging: the lowest classifier threshold in 500..=990 whose inner any-finding false-positive
/// rate (any rule finding counts) is at most [`ANY_FPR_BUDGET`]. The outer held-out source never
/// influences them. Returns (rule blocking, classifier blocking, classifier flagging).
fn nested_thresholds(
    examples: &[Example],
    rows: &[Value],
    sources: &[&str],
    held: &str,
) -> (u16, u16, u16) {
    let inner = cross_source(examples, rows, sources, Some(held));
    let (rule, block) = block_thresholds(&inner);
    (
        rule,
        block,
        lowest_threshold(&inner, FLAG_FLOOR, ANY_FPR_BUDGET, |x| x.1),
    )
}

/// The sources of `rows`, sorted, each once.
fn sources_of(rows: &[Value]) -> Vec<&str> {
    let mut sources: Vec<&str> = rows.iter().map(|r| r["source"].as_str().unwrap()).collect();
    sources.sort_unstable();
    sources.dedup();
    sources
}

/// A model (bias, weights) trained on every example whose source is not `held`.
fn trained_without(examples: &[Example], rows: &[Value], held: &str) -> (f64, Vec<f64>) {
    let train_set: Vec<&Example> = examples
        .iter()
        .zip(rows)
        .filter(|(_, r)| r["source"] != held)
        .map(|(e, _)| e)
        .collect();
    train(&train_set)
}

/// Plain leave-one-source-out scores (no thresholds): for each source, a model trained on every
/// other source gives each of its rows the classifier's score; one JSON line per row.
fn scores(dir: &str, out: &str) {
    let dir = std::path::Path::new(dir);
    let mut rows = read_rows(&dir.join("dev.jsonl"));
    rows.extend(read_rows(&dir.join("eval.jsonl")));
    let examples: Vec<Example> = rows.iter().map(example).collect();
    let sources = sources_of(&rows);
    let lines = par_map(&sources, |&held| {
        let (bias, w) = trained_without(&examples, &rows, held);
        let model = quantise(bias, &w, FLAG_FLOOR);
        examples
            .iter()
            .zip(&rows)
            .filter(|(_, r)| r["source"] == held)
            .map(|(e, r)| {
                let v = json!({"id": r["id"], "source": r["source"], "family": r["family"],
                    "label": r["label"], "score": model.score(e.normalised.as_bytes()),
                    "chars": r["text"].as_str().unwrap().len()});
                format!("{v}\n")
            })
            .collect::<String>()
    });
    std::fs::write(out, lines.concat()).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, dir, out] = args.as_slice() {
        if flag == "--loso" {
            return loso(dir, out);
        }
        if flag == "--scores" {
            return scores(dir, out);
        }
    }
    let [_, dev, out] = args.as_slice() else {
        eprintln!("usage: genai_train DEV.jsonl OUT.bin | genai_train --loso DATA_DIR OUT.jsonl");
        std::process::exit(4);
    };
    let rows = read_rows(std::path::Path::new(dev));
    let examples: Vec<Example> = rows.iter().map(example).collect();
    let sources = sources_of(&rows);
    // Cross-source scores of the quantised models, as the scanner computes them (each source of
    // the development split scanned by a model trained on the others), choose the flag threshold.
    let scored = cross_source(&examples, &rows, &sources, None);
    let threshold = lowest_threshold(&scored, FLAG_FLOOR, ANY_FPR_BUDGET, |x| x.1);
    let (rule_block, block) = block_thresholds(&scored);
    let oof: Vec<(u16, bool)> = scored
        .iter()
        .map(|x| (u16::try_from(x.2).unwrap(), x.3))
        .collect();
    let (p, r, f) = prf(&oof, threshold);
    println!("development split, leave-one-source-out: flag threshold {threshold} per mille (any-finding FPR <= {ANY_FPR_BUDGET}), classifier precision {p:.3}, recall {r:.3}, F1 {f:.3}; blocking thresholds for FPR <= {BLOCK_FPR_BUDGET}: rules {rule_block}, classifier {block}");
    let all: Vec<&Example> = examples.iter().collect();
    let (bias, w) = train(&all);
    let model = quantise(bias, &w, threshold);
    let fit: Vec<(u16, bool)> = examples
        .iter()
        .map(|e| (model.score(e.normalised.as_bytes()), e.label))
        .collect();
    let (p, r, f) = prf(&fit, threshold);
    println!("development split, training fit: precision {p:.3}, recall {r:.3}, F1 {f:.3}");
    std::fs::write(out, model.to_bytes()).unwrap();
    println!("wrote {out}");
}
