//! Reflex and prompt-loop detection over a sequence of agent steps.
//!
//! spec: guard-genai.md §6. Each step (its tool name and text, normalised) becomes a set of
//! hashed 5-byte shingles. Two steps are *near-identical* when the Jaccard similarity of their
//! sets is at least 90%. For each period p in 1..=4, a run of consecutive steps i with step i
//! near-identical to step i − p is a loop of `reps = run / p + 1` repetitions; three or more
//! repetitions are a `genai.prompt_loop` finding over the steps involved. The smallest period is
//! reported first; a larger period over steps already reported is not reported again.

use serde::Deserialize;

use super::error::GenaiError;
use super::normalise::normalise;
use crate::limits::Limits;

/// Longest period looked for.
pub const MAX_PERIOD: usize = 4;
/// Fewest repetitions reported.
pub const MIN_REPETITIONS: usize = 3;
/// Similarity at or above which two steps are near-identical, per mille.
pub const NEAR_PERMILLE: u64 = 900;
/// Shingles kept per step (the smallest hashes): bounds the work per comparison.
const MAX_SHINGLES: usize = 2048;

/// One agent step: what the agent sent or did.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The text of the step (a prompt, a tool call's arguments, a message).
    pub text: String,
    /// The tool called, when the step is a tool call.
    #[serde(default)]
    pub tool: Option<String>,
}

/// Parses a steps document: a JSON array of [`Step`] objects, at most `genai_max_steps` of them.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Vec<Step>, GenaiError> {
    if bytes.len() > limits.json_max_bytes {
        return Err(GenaiError::Steps(format!(
            "document of {} bytes is larger than the JSON limit",
            bytes.len()
        )));
    }
    let steps: Vec<Step> =
        serde_json::from_slice(bytes).map_err(|e| GenaiError::Steps(e.to_string()))?;
    if steps.len() > limits.genai_max_steps {
        return Err(GenaiError::TooManySteps(
            steps.len(),
            limits.genai_max_steps,
        ));
    }
    Ok(steps)
}

/// A loop found: steps `start..end` repeat with `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loop {
    /// First step of the loop.
    pub start: usize,
    /// One past the last step.
    pub end: usize,
    /// Steps per repetition.
    pub period: usize,
    /// Number of repetitions.
    pub repetitions: usize,
}

fn shingles(step: &Step) -> Vec<u64> {
    let mut bytes = Vec::with_capacity(step.text.len() + 16);
    if let Some(tool) = &step.tool {
        bytes.extend_from_slice(tool.as_bytes());
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(step.text.as_bytes());
    let text = normalise(&bytes).text.into_bytes();
    let mut out: Vec<u64> = if text.len() < 5 {
        vec![fnv(&text)]
    } else {
        text.windows(5).map(fnv).collect()
    };
    out.sort_unstable();
    out.dedup();
    out.truncate(MAX_SHINGLES);
    out
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Whether two sorted shingle sets have Jaccard similarity ≥ [`NEAR_PERMILLE`].
fn near(a: &[u64], b: &[u64]) -> bool {
    let (mut i, mut j, mut common) = (0, 0, 0u64);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = (a.len() + b.len()) as u64 - common;
    union == 0 || common * 1000 >= NEAR_PERMILLE * union
}

/// Every loop in `steps`.
pub fn loops(steps: &[Step]) -> Vec<Loop> {
    let sets: Vec<Vec<u64>> = steps.iter().map(shingles).collect();
    let mut found: Vec<Loop> = Vec::new();
    for period in 1..=MAX_PERIOD {
        let mut run_start: Option<usize> = None;
        for i in period..=sets.len() {
            let same = i < sets.len()
                && matches!((sets.get(i), sets.get(i - period)), (Some(a), Some(b)) if near(a, b));
            match (same, run_start) {
                (true, None) => run_start = Some(i),
                (false, Some(first)) => {
                    run_start = None;
                    let run = i - first;
                    let repetitions = run / period + 1;
                    let candidate = Loop {
                        start: first - period,
                        end: i,
                        period,
                        repetitions,
                    };
                    let covered = found
                        .iter()
                        .any(|l| l.start <= candidate.start && candidate.end <= l.end);
                    if repetitions >= MIN_REPETITIONS && !covered {
                        found.push(candidate);
                    }
                }
                _ => {}
            }
        }
    }
    found.sort_by_key(|l| (l.start, l.period));
    found
}

/// Confidence of a loop, per mille: 3 repetitions 700, 4 800, 5 or more 900.
pub fn confidence(l: &Loop) -> u16 {
    match l.repetitions {
        0..=3 => 700,
        4 => 800,
        _ => 900,
    }
}

#[cfg(test)]
mod tests {
    use super::{loops, Step};

    fn step(text: &str) -> Step {
        Step {
            text: text.to_owned(),
            tool: Some("search".to_owned()),
        }
    }

    #[test]
    fn repeated_and_cycling_steps_are_loops() {
        let same: Vec<Step> = (0..5)
            .map(|_| step("search the web for weather in paris today"))
            .collect();
        let l = loops(&same);
        assert_eq!(l.len(), 1);
        assert_eq!(
            (l[0].start, l[0].end, l[0].period, l[0].repetitions),
            (0, 5, 1, 5)
        );

        let texts = [
            "open the file report.csv",
            "read the file report.csv",
            "close the file report.csv",
        ];
        let cycle: Vec<Step> = (0..9).map(|i| step(texts[i % 3])).collect();
        let l = loops(&cycle);
        assert_eq!((l[0].period, l[0].repetitions), (3, 3), "{l:?}");
    }

    #[test]
    fn parses_steps_documents() {
        let limits = crate::limits::Limits::default();
        let steps = super::parse(br#"[{"text":"a","tool":"t"},{"text":"b"}]"#, &limits).unwrap();
        assert_eq!(
            steps[1],
            Step {
                text: "b".to_owned(),
                tool: None
            }
        );
        for bad in [&b"{}"[..], br#"[{"txt":"a"}]"#, b"[1]", b"nope"] {
            assert_eq!(
                crate::Coded::code(&super::parse(bad, &limits).unwrap_err()),
                "genai.steps"
            );
        }
    }

    #[test]
    fn progressing_steps_are_not_loops() {
        let steps: Vec<Step> = [
            "list the tables in the warehouse",
            "describe table orders",
            "count rows in orders by day",
            "plot the daily counts",
            "write the summary",
        ]
        .iter()
        .map(|t| step(t))
        .collect();
        assert!(loops(&steps).is_empty());
        assert!(loops(&steps[..2]).is_empty());
    }
}
