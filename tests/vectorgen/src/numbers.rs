//! Long number literals (issue 21; primitives.md §2.2.6, limits.md L45–L46, ADR 0005): changed
//! values written as long literals that a parser keeping only 800 digits (the Go standard
//! library's slow path) reads back as the signed ones. Every implementation now rejects the token
//! (`jcs.number_too_long`) before reading its value. Append-only like `cases.rs`.

use clyra_core::Limits;
use serde_json::{json, Value};

use crate::cases::{invalid, receipt_vector, t1, vector, Case, P1};
use crate::{build, canon, def_spec, parse, prefixed, producer, trust, Build, Ctx, Vector};

/// 808 bytes worth 1,024,000: just below 1024000 + 2^-34, the halfway point to the next double.
/// A reader that keeps 800 digits and puts the point after them reads 1024.
fn rows_1024000() -> String {
    below_halfway(1_024_000, 34, 796)
}

/// 808 bytes worth 2,048,000 (just below 2048000 + 2^-33); read as 2048 the same way.
fn rows_2048000() -> String {
    below_halfway(2_048_000, 33, 796)
}

/// 806 bytes worth 10 (just below 10 + 2^-50); read as 1 the same way.
fn threshold_10() -> String {
    below_halfway(10, 50, 799)
}

/// `integer + 2^-m − 10^-exponent` (rounds to `integer`), written as one integer then
/// `e-exponent`: `integer`, the `m` fraction digits of 2^-m (those of 5^m) with the last one
/// lowered from 5 to 4, then nines up to `exponent` fraction digits.
fn below_halfway(integer: u64, m: u32, exponent: usize) -> String {
    let half_ulp = format!("{:0>width$}", 5u128.pow(m), width = m as usize);
    let lowered = format!("{}4", half_ulp.strip_suffix('5').unwrap());
    let nines = "9".repeat(exponent - m as usize);
    format!("{integer}{lowered}{nines}e-{exponent}")
}

/// A receipt of journal line 2 of a bundle whose line says `rows_affected` 1024, with the value
/// replaced by `literal` (its text as is).
fn receipt_with_rows(ctx: &Ctx<'_>, literal: &str) -> Vector {
    let mut spec = def_spec(ctx);
    spec["journal"][2]["data"]["rows_affected"] = json!(1024);
    spec["def"]["metrics"]["rows_affected"] = json!(1024);
    let bundle = build(ctx, &spec, Build::default());
    let receipt = clyra_core::receipt::extract(
        std::io::Cursor::new(&bundle),
        bundle.len() as u64,
        2,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("extract: {e}"));
    let mut r: Value = parse(&receipt);
    r["event"]["data"]["rows_affected"] = json!(7_777_777);
    let text = String::from_utf8(canon(&r)).unwrap();
    assert_eq!(text.matches("7777777").count(), 1);
    receipt_vector(text.replace("7777777", literal).into_bytes(), t1(ctx))
}

/// The policy whose hash the bundle records: `max_rows` 2048.
fn policy_2048() -> Vec<u8> {
    br#"{"version": 1, "data_platform": {"activation": {"reverse_etl": "enforce", "max_rows": 2048}}}"#
        .to_vec()
}

/// A DEF bundle whose policy block is required, with the hash of [`policy_2048`].
fn policy_bundle(ctx: &Ctx<'_>, policy: Vec<u8>) -> Vector {
    let mut spec = def_spec(ctx);
    let hash =
        prefixed(&clyra_core::jcs::canonicalize(&policy_2048(), &Limits::default()).unwrap());
    spec["policy"] = json!({"required": true, "hash": hash, "decisions": []});
    Vector {
        policy: Some(policy),
        ..vector(build(ctx, &spec, Build::default()), t1(ctx))
    }
}

/// The cases, appended at the end of the case list.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            slug: "number-receipt-event-long-literal",
            readme: "receipt of line 2 of a bundle whose event says rows_affected 1024, the value changed to 1024000 written as an 808-byte literal that a reader keeping 800 digits takes for 1024: a number token beyond L45 (primitives.md 2.2.6), not strict JSON, receipt.schema",
            expected: invalid("receipt.schema"),
            make: |c| receipt_with_rows(c, &rows_1024000()),
        },
        Case {
            slug: "number-receipt-event-short-literal",
            readme: "the same receipt with the value changed to 1024000 written plainly: the leaf hash changes, receipt.proof (the long spelling above is refused before its value)",
            expected: invalid("receipt.proof"),
            make: |c| receipt_with_rows(c, "1024000"),
        },
        Case {
            slug: "number-policy-max-rows-long-literal",
            readme: "bundle recording the hash of a policy with max_rows 2048, verified with that policy whose max_rows is 2048000 written as an 808-byte literal that a reader keeping 800 digits takes for 2048: beyond L45, ERROR policy.file exit 4",
            expected: ("ERROR", "policy.file", 4),
            make: |c| {
                let text = String::from_utf8(policy_2048()).unwrap();
                policy_bundle(c, text.replace("2048", &rows_2048000()).into_bytes())
            },
        },
        Case {
            slug: "number-policy-yaml-long-literal",
            readme: "the same bundle verified with the policy as YAML, max_rows written 2048 followed by a point and 900 zeros (worth 2048, 905 bytes): YAML numbers follow the JSON rule (policy-v1.md 2.1), beyond L45, ERROR policy.file exit 4",
            expected: ("ERROR", "policy.file", 4),
            make: |c| {
                let yaml = format!(
                    "version: 1\ndata_platform:\n  activation:\n    reverse_etl: enforce\n    max_rows: 2048.{}\n",
                    "0".repeat(900)
                );
                policy_bundle(c, yaml.into_bytes())
            },
        },
        Case {
            slug: "number-policy-max-rows-at-limit",
            readme: "the same bundle verified with the JSON policy whose max_rows is 2048 written as an 800-byte literal (2048, a point, 795 zeros): within L45, the same canonical policy, VALID",
            expected: crate::cases::VALID,
            make: |c| {
                let text = String::from_utf8(policy_2048()).unwrap();
                let long = format!("2048.{}", "0".repeat(795));
                assert_eq!(long.len(), 800);
                policy_bundle(c, text.replace("2048", &long).into_bytes())
            },
        },
        Case {
            slug: "number-trust-threshold-long-literal",
            readme: "0001 with a trust file whose producer threshold is 10 written as an 806-byte literal that a reader keeping 800 digits takes for 1 (so one signature would pass): beyond L45, ERROR trust.file detail jcs.number_too_long",
            expected: ("ERROR", "trust.file", 4),
            make: |c| {
                let t = String::from_utf8(trust(c.keys, &[producer(P1)], 7_777_777)).unwrap();
                assert_eq!(t.matches("\"producer\":7777777}").count(), 1);
                let t = t.replace("\"producer\":7777777}", &format!("\"producer\":{}}}", threshold_10()));
                Vector {
                    detail: Some("jcs.number_too_long"),
                    ..vector(crate::cases::base(c).write(), t.into_bytes())
                }
            },
        },
    ]
}
