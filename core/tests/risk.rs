//! The `risk/v1` score (spec/risk-v1.md): the worked computations of §7, the bounds of §2–§3, the
//! risk step of §6, and the risk blocks of the DEF and PEF worked manifests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::sliced_string_as_bytes
)]

use clyra_core::jcs::{self, Value};
use clyra_core::risk::{
    self, default_weights, score, ChangeMagnitude, Factors, RiskBlock, RiskError, Weights,
};
use clyra_core::verdict::Severity;
use clyra_core::{Coded, Limits};

/// The json blocks after each `<!-- MARKER -->` line of a spec file, in order.
fn spec_blocks(file: &str, marker: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(format!("{}/../spec/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut blocks = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(&format!("<!-- {marker} -->")) {
        rest = &rest[at..];
        let open = rest.find("```json\n").unwrap() + "```json\n".len();
        let close = open + rest[open..].find("```").unwrap();
        blocks.push(rest[open..close].to_owned());
        rest = &rest[close..];
    }
    blocks
}

fn parse(text: &str) -> Value {
    jcs::parse(text.as_bytes(), &Limits::default()).unwrap()
}

fn factors(magnitude: ChangeMagnitude) -> Factors {
    Factors {
        change_magnitude: magnitude,
        violations_critical: 0,
        violations_warning: 0,
        production: false,
        off_hours: false,
        approval_bypassed: false,
        threats: 0,
        sql_findings: 0,
        first_time_actor: false,
    }
}

#[test]
fn worked_computations_of_section_7() {
    let w = default_weights();
    let example1 = Factors {
        production: true,
        ..factors(ChangeMagnitude::Schema)
    };
    assert_eq!(score(&w, &example1), 35);
    let example2 = Factors {
        violations_critical: 1,
        off_hours: true,
        threats: 2,
        first_time_actor: true,
        ..factors(ChangeMagnitude::Data)
    };
    assert_eq!(score(&w, &example2), 70);
    // raw 123, clamped.
    let example3 = Factors {
        violations_critical: 2,
        production: true,
        approval_bypassed: true,
        sql_findings: 1,
        ..factors(ChangeMagnitude::Schema)
    };
    assert_eq!(score(&w, &example3), 100);
    let just_below = Factors {
        violations_critical: 3,
        production: true,
        ..factors(ChangeMagnitude::Schema)
    };
    assert_eq!(score(&w, &just_below), 100); // raw 110
    let ninety_nine = Factors {
        violations_warning: 16,
        ..factors(ChangeMagnitude::None)
    };
    assert_eq!(
        score(
            &Weights {
                violation_warning: 6,
                ..w
            },
            &ninety_nine
        ),
        96
    );
}

#[test]
fn each_weight_applies_to_its_factor() {
    let zero = Weights {
        magnitude_schema: 0,
        magnitude_data: 0,
        magnitude_config: 0,
        violation_critical: 0,
        violation_warning: 0,
        production: 0,
        off_hours: 0,
        approval_bypassed: 0,
        threat: 0,
        sql_finding: 0,
        first_time_actor: 0,
    };
    let none = factors(ChangeMagnitude::None);
    let cases: [(Weights, Factors, u64); 11] = [
        (
            Weights {
                magnitude_schema: 7,
                ..zero
            },
            factors(ChangeMagnitude::Schema),
            7,
        ),
        (
            Weights {
                magnitude_data: 7,
                ..zero
            },
            factors(ChangeMagnitude::Data),
            7,
        ),
        (
            Weights {
                magnitude_config: 7,
                ..zero
            },
            factors(ChangeMagnitude::Config),
            7,
        ),
        (
            Weights {
                violation_critical: 7,
                ..zero
            },
            Factors {
                violations_critical: 3,
                ..none
            },
            21,
        ),
        (
            Weights {
                violation_warning: 7,
                ..zero
            },
            Factors {
                violations_warning: 3,
                ..none
            },
            21,
        ),
        (
            Weights {
                production: 7,
                ..zero
            },
            Factors {
                production: true,
                ..none
            },
            7,
        ),
        (
            Weights {
                off_hours: 7,
                ..zero
            },
            Factors {
                off_hours: true,
                ..none
            },
            7,
        ),
        (
            Weights {
                approval_bypassed: 7,
                ..zero
            },
            Factors {
                approval_bypassed: true,
                ..none
            },
            7,
        ),
        (
            Weights { threat: 7, ..zero },
            Factors { threats: 3, ..none },
            21,
        ),
        (
            Weights {
                sql_finding: 7,
                ..zero
            },
            Factors {
                sql_findings: 3,
                ..none
            },
            21,
        ),
        (
            Weights {
                first_time_actor: 7,
                ..zero
            },
            Factors {
                first_time_actor: true,
                ..none
            },
            7,
        ),
    ];
    for (i, (w, f, expected)) in cases.iter().enumerate() {
        assert_eq!(score(w, f), *expected, "case {i}");
        // No other weight applies.
        assert_eq!(score(&zero, f), 0, "case {i}");
    }
    // The magnitude none applies no weight.
    let all = Weights {
        magnitude_schema: 1000,
        magnitude_data: 1000,
        magnitude_config: 1000,
        ..zero
    };
    assert_eq!(score(&all, &none), 0);
}

#[test]
fn extreme_values_clamp_without_overflow() {
    let max = Weights {
        magnitude_schema: 1000,
        magnitude_data: 1000,
        magnitude_config: 1000,
        violation_critical: 1000,
        violation_warning: 1000,
        production: 1000,
        off_hours: 1000,
        approval_bypassed: 1000,
        threat: 1000,
        sql_finding: 1000,
        first_time_actor: 1000,
    };
    let f = Factors {
        change_magnitude: ChangeMagnitude::Schema,
        violations_critical: 1_000_000,
        violations_warning: 1_000_000,
        production: true,
        off_hours: true,
        approval_bypassed: true,
        threats: 1_000_000,
        sql_findings: 1_000_000,
        first_time_actor: true,
    };
    assert_eq!(score(&max, &f), 100);
    // Beyond the bounds the arithmetic saturates and still clamps.
    let huge = Weights {
        violation_critical: u64::MAX,
        ..max
    };
    let f = Factors {
        violations_critical: u64::MAX,
        ..f
    };
    assert_eq!(score(&huge, &f), 100);
}

#[test]
fn the_spec_examples_recompute() {
    let blocks = spec_blocks("risk-v1.md", "example: risk-v1");
    assert_eq!(blocks.len(), 2);
    let scores: Vec<u64> = blocks
        .iter()
        .map(|b| {
            let value = parse(b);
            let check = risk::check(&value);
            assert_eq!(check.code(), "ok", "{}", check.message());
            let block = RiskBlock::parse(&value).unwrap();
            assert_eq!(*block.weights(), default_weights());
            assert_eq!(score(block.weights(), block.factors()), block.score());
            block.score()
        })
        .collect();
    assert_eq!(scores, [35, 100]);
    let [counter] = spec_blocks("risk-v1.md", "counterexample: risk-v1")
        .try_into()
        .unwrap();
    let check = risk::check(&parse(&counter));
    assert_eq!(
        (check.code(), check.severity()),
        ("risk.schema", Severity::Fail)
    );
}

#[test]
fn the_def_and_pef_worked_manifests_recompute() {
    for (file, marker) in [
        ("def-v0.md", "example: manifest-def-v0"),
        ("pef-v0.md", "example: manifest-pef-v0"),
    ] {
        let [manifest] = spec_blocks(file, marker).try_into().unwrap();
        let manifest = parse(&manifest);
        let value = manifest.get("risk").unwrap();
        let check = risk::check(value);
        assert_eq!(check.code(), "ok", "{file}: {}", check.message());
        let block = RiskBlock::parse(value).unwrap();
        assert_eq!(
            score(block.weights(), block.factors()),
            block.score(),
            "{file}"
        );
    }
}

/// The spec's example 1 as a mutable serde value.
fn example1() -> serde_json::Value {
    serde_json::from_str(&spec_blocks("risk-v1.md", "example: risk-v1")[0]).unwrap()
}

fn check_of(v: &serde_json::Value) -> (&'static str, Severity) {
    let check = risk::check(&parse(&v.to_string()));
    (check.code(), check.severity())
}

#[test]
fn the_risk_step_codes() {
    use serde_json::json;
    const SCHEMA: (&str, Severity) = ("risk.schema", Severity::Fail);
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = example1();
        f(&mut v);
        check_of(&v)
    };
    assert_eq!(edit(&|_| {}), ("ok", Severity::Ok));
    // §6.1 item 1: another algorithm, even with a malformed block.
    for alg in ["risk/v2", "other/v1", "RISK/v1", ""] {
        assert_eq!(
            edit(&|v| {
                v["algorithm"] = json!(alg);
                v["weights"] = json!(null);
            }),
            ("risk.algorithm_unknown", Severity::Indeterminate)
        );
    }
    let err = RiskBlock::parse(&parse(r#"{"algorithm":"risk/v2"}"#)).unwrap_err();
    assert_eq!(
        err,
        RiskError::AlgorithmUnknown {
            algorithm: "risk/v2".into()
        }
    );
    assert_eq!(err.code(), "risk.algorithm_unknown");
    // §6.1 item 2: the bounds.
    assert_eq!(check_of(&json!("risk/v1")), SCHEMA);
    assert_eq!(check_of(&json!({})), SCHEMA);
    assert_eq!(edit(&|v| v["algorithm"] = json!(1)), SCHEMA);
    assert_eq!(edit(&|v| v["extra"] = json!(1)), SCHEMA);
    assert_eq!(
        edit(&|v| {
            v.as_object_mut().unwrap().remove("score");
        }),
        SCHEMA
    );
    assert_eq!(edit(&|v| v["score"] = json!(101)), SCHEMA);
    assert_eq!(edit(&|v| v["score"] = json!(-1)), SCHEMA);
    assert_eq!(edit(&|v| v["score"] = json!(35.5)), SCHEMA);
    assert_eq!(edit(&|v| v["score"] = json!("35")), SCHEMA);
    assert_eq!(edit(&|v| v["weights"]["threat"] = json!(1001)), SCHEMA);
    assert_eq!(edit(&|v| v["weights"]["threat"] = json!(-1)), SCHEMA);
    assert_eq!(edit(&|v| v["weights"]["extra"] = json!(1)), SCHEMA);
    assert_eq!(
        edit(&|v| {
            v["weights"].as_object_mut().unwrap().remove("threat");
        }),
        SCHEMA
    );
    assert_eq!(edit(&|v| v["weights"] = json!([])), SCHEMA);
    assert_eq!(
        edit(&|v| v["factors"]["threats"] = json!(1_000_001)),
        SCHEMA
    );
    assert_eq!(edit(&|v| v["factors"]["production"] = json!(1)), SCHEMA);
    assert_eq!(
        edit(&|v| v["factors"]["change_magnitude"] = json!("ddl")),
        SCHEMA
    );
    assert_eq!(edit(&|v| v["factors"]["extra"] = json!(true)), SCHEMA);
    assert_eq!(
        edit(&|v| {
            v["factors"].as_object_mut().unwrap().remove("off_hours");
        }),
        SCHEMA
    );
    // Bounds are inclusive.
    assert_eq!(
        edit(&|v| {
            v["weights"]["threat"] = json!(1000);
            v["factors"]["threats"] = json!(1_000_000);
            v["score"] = json!(100);
        }),
        ("ok", Severity::Ok)
    );
    // §6.1 item 3.
    assert_eq!(
        edit(&|v| v["score"] = json!(36)),
        ("risk.score_mismatch", Severity::Fail)
    );
    assert_eq!(
        edit(&|v| v["weights"]["production"] = json!(16)),
        ("risk.score_mismatch", Severity::Fail)
    );
    for (code, severity) in [
        edit(&|_| {}),
        SCHEMA,
        ("risk.score_mismatch", Severity::Fail),
    ] {
        assert!(risk::CODES.contains(&(code, severity)));
    }
}
