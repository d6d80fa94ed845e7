//! Every way the strict parser refuses input: a typed error, a stable code and the byte offset.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]
use clyra_core::jcs::{self, IntegerMode, JcsErrorKind, Map, Number, Value};
use clyra_core::{Coded, Limits};

fn rejects(input: &[u8], code: &str, offset: usize) {
    let err = jcs::canonicalize(input, &Limits::default()).expect_err(&format!(
        "{} must be rejected",
        String::from_utf8_lossy(input)
    ));
    assert_eq!(
        (err.code(), err.offset()),
        (code, offset),
        "{}",
        String::from_utf8_lossy(input)
    );
}

#[test]
fn duplicate_keys_are_rejected_at_the_second_key() {
    rejects(br#"{"a":1,"a":2}"#, "jcs.duplicate_key", 7);
    rejects(br#"{"b":1,"a":2,"b":3}"#, "jcs.duplicate_key", 13);
    // Escapes are decoded before comparing: "\u0061" is "a".
    rejects(br#"{"a":1,"\u0061":2}"#, "jcs.duplicate_key", 7);
    rejects(br#"[{"x":{"k":1,"k":1}}]"#, "jcs.duplicate_key", 13);
}

#[test]
fn lone_surrogates_are_rejected() {
    rejects(br#""\ud800""#, "jcs.lone_surrogate", 1);
    rejects(br#""\udc00""#, "jcs.lone_surrogate", 1);
    rejects(br#""\ud800\u0041""#, "jcs.lone_surrogate", 1);
    rejects(br#""\ud800x""#, "jcs.lone_surrogate", 1);
    rejects(br#"["ok","\uDBFF"]"#, "jcs.lone_surrogate", 7);
    // A proper pair is fine and prints as the character itself.
    assert_eq!(
        jcs::canonicalize(br#""\ud83d\ude02""#, &Limits::default()).unwrap(),
        "\"😂\"".as_bytes()
    );
}

#[test]
fn invalid_utf8_is_rejected() {
    rejects(b"\"ab\xff\"", "jcs.invalid_utf8", 3);
    rejects(b"\"\xc3\x28\"", "jcs.invalid_utf8", 1);
    rejects(b"\"\xed\xa0\x80\"", "jcs.invalid_utf8", 1); // UTF-8-encoded surrogate
    rejects(b"\"\xe2\x82\"", "jcs.invalid_utf8", 1); // truncated sequence
    rejects(b"\xff", "jcs.invalid_utf8", 0);
    rejects(b"[1,\xc0\x80]", "jcs.invalid_utf8", 3);
    rejects(b"\"abc\xe2", "jcs.invalid_utf8", 4);
}

#[test]
fn invalid_escapes_are_rejected() {
    rejects(br#""\x41""#, "jcs.invalid_escape", 1);
    rejects(br#""\u12""#, "jcs.invalid_escape", 1);
    rejects(br#""\u12G4""#, "jcs.invalid_escape", 1);
    rejects(br#""\'""#, "jcs.invalid_escape", 1);
    rejects(b"\"\\", "jcs.unexpected_end", 2);
}

#[test]
fn raw_control_characters_are_rejected() {
    rejects(b"\"a\tb\"", "jcs.control_character", 2);
    rejects(b"\"\x00\"", "jcs.control_character", 1);
    rejects(b"{\"k\n\":1}", "jcs.control_character", 3);
    // DEL (0x7f) is not a control character for JSON and stays literal.
    assert_eq!(
        jcs::canonicalize(b"\"\x7f\"", &Limits::default()).unwrap(),
        b"\"\x7f\""
    );
}

#[test]
fn non_finite_numbers_are_rejected() {
    rejects(b"NaN", "jcs.non_finite", 0);
    rejects(b"[Infinity]", "jcs.non_finite", 1);
    rejects(b"{\"x\":-Infinity}", "jcs.non_finite", 5);
    rejects(b"-NaN", "jcs.invalid_number", 1); // only NaN, Infinity, -Infinity are non-finite words
    rejects(b"Inf", "jcs.unexpected_character", 0);
    assert!(Number::from_f64(f64::NAN).is_none());
    assert!(Number::from_f64(f64::INFINITY).is_none());
}

#[test]
fn overflow_to_infinity_is_rejected_and_underflow_is_zero() {
    rejects(b"1e309", "jcs.number_overflow", 0);
    rejects(b"[-1.8e308]", "jcs.number_overflow", 1);
    assert_eq!(
        jcs::canonicalize(b"1e-400", &Limits::default()).unwrap(),
        b"0"
    );
    assert_eq!(
        jcs::canonicalize(b"-1e-400", &Limits::default()).unwrap(),
        b"0"
    );
    assert_eq!(
        jcs::canonicalize(b"1.7976931348623157e308", &Limits::default()).unwrap(),
        b"1.7976931348623157e+308"
    );
}

/// The decimal text of 1 + 2^-53, the exact halfway point between 1 and the next double.
const HALF_ABOVE_ONE: &str = "1.00000000000000011102230246251565404236316680908203125";

fn canon(input: &[u8]) -> String {
    String::from_utf8(jcs::canonicalize(input, &Limits::default()).unwrap()).unwrap()
}

#[test]
fn number_tokens_are_bounded_at_l43_bytes_and_l44_exponent_digits() {
    let limits = Limits::default();
    assert_eq!(limits.json_max_number_bytes, 800);
    assert_eq!(limits.json_max_exponent_digits, 4);
    // The longest token accepted: 800 bytes. One more byte is jcs.number_too_long at its start.
    let longest = format!("1.{}1", "0".repeat(797));
    assert_eq!(longest.len(), 800);
    assert_eq!(canon(longest.as_bytes()), "1");
    let over = format!("1.{}1", "0".repeat(798));
    rejects(over.as_bytes(), "jcs.number_too_long", 0);
    rejects(format!("[0,{over}]").as_bytes(), "jcs.number_too_long", 3);
    let negative = format!("-1{}", "0".repeat(799));
    rejects(negative.as_bytes(), "jcs.number_too_long", 0);
    // The bound comes before the value rules: a long integer literal is not integer_out_of_range.
    let integer = format!("1{}", "0".repeat(800));
    rejects(integer.as_bytes(), "jcs.number_too_long", 0);
    let at_800 = format!("1{}", "0".repeat(799));
    rejects(at_800.as_bytes(), "jcs.number_overflow", 0);
    // ... and after the grammar: a break anywhere in a long token keeps its own code and offset.
    let broken = format!("1.{}ex", "0".repeat(900));
    rejects(broken.as_bytes(), "jcs.invalid_number", 903);
    let trailing = format!("1.{}x", "0".repeat(900));
    rejects(trailing.as_bytes(), "jcs.number_too_long", 0);
    let cut = format!("1.{}e", "0".repeat(900));
    rejects(cut.as_bytes(), "jcs.unexpected_end", cut.len());
    // Exponents: 4 digits (leading zeros count), then jcs.number_too_long, never a clamp.
    assert_eq!(canon(b"1e0005"), "100000");
    assert_eq!(canon(b"1E-0007"), "1e-7");
    rejects(b"1e00005", "jcs.number_too_long", 0);
    rejects(b"1e9999", "jcs.number_overflow", 0);
    assert_eq!(canon(b"1e-9999"), "0");
    rejects(b"1e10000", "jcs.number_too_long", 0);
    rejects(b"[1,5e-10001]", "jcs.number_too_long", 3);
    // Lossy mode applies the same bound.
    let lossy = jcs::canonicalize_with(integer.as_bytes(), &limits, IntegerMode::Lossy);
    assert_eq!(lossy.unwrap_err().code(), "jcs.number_too_long");
    // A host may lower the limits.
    let mut tight = Limits::default();
    tight.json_max_number_bytes = 3;
    tight.json_max_exponent_digits = 1;
    assert_eq!(jcs::canonicalize(b"-12", &tight).unwrap(), b"-12");
    assert_eq!(
        jcs::canonicalize(b"1234", &tight).unwrap_err().code(),
        "jcs.number_too_long"
    );
    assert_eq!(
        jcs::canonicalize(b"1e10", &tight).unwrap_err().code(),
        "jcs.number_too_long"
    );
}

#[test]
fn numbers_within_the_bound_round_to_nearest_from_all_their_digits() {
    // Exactly halfway between 1 and 1 + 2^-52: ties to even, 1.
    assert_eq!(canon(HALF_ABOVE_ONE.as_bytes()), "1");
    // The same with a 1 at byte 800: above halfway, rounds up.
    let pad = 800 - HALF_ABOVE_ONE.len() - 1;
    let above = format!("{HALF_ABOVE_ONE}{}1", "0".repeat(pad));
    assert_eq!(above.len(), 800);
    assert_eq!(canon(above.as_bytes()), "1.0000000000000002");
    // Just below halfway with nines up to byte 800: 1.
    let below = format!(
        "{}4{}",
        &HALF_ABOVE_ONE[..HALF_ABOVE_ONE.len() - 1],
        "9".repeat(pad + 1)
    );
    assert_eq!(below.len(), 800);
    assert_eq!(canon(below.as_bytes()), "1");
    // Long spellings of small values (the Go standard parser lost the point beyond 800 digits).
    let ten = format!("1{}e-{}", "0".repeat(790), 789);
    assert_eq!(canon(ten.as_bytes()), "10");
    let five = format!("0.{}5e+{}", "0".repeat(792), 793);
    assert_eq!(five.len(), 800);
    assert_eq!(canon(five.as_bytes()), "5");
}

#[test]
fn integer_literals_beyond_2_pow_53_need_lossy_mode() {
    let limits = Limits::default();
    assert_eq!(
        jcs::canonicalize(b"9007199254740991", &limits).unwrap(),
        b"9007199254740991"
    );
    assert_eq!(
        jcs::canonicalize(b"-9007199254740991", &limits).unwrap(),
        b"-9007199254740991"
    );
    rejects(b"9007199254740992", "jcs.integer_out_of_range", 0);
    rejects(b"[-9007199254740992]", "jcs.integer_out_of_range", 1);
    rejects(
        b"123456789012345678901234567890",
        "jcs.integer_out_of_range",
        0,
    );
    // Values in [2^53, 10^21) print as integer literals beyond the safe range: also refused,
    // so canonical output always parses again (found by the differential test).
    rejects(b"9007199254740993.0", "jcs.integer_out_of_range", 0);
    rejects(b"[-9e18]", "jcs.integer_out_of_range", 1);
    rejects(b"1e20", "jcs.integer_out_of_range", 0);
    assert_eq!(
        jcs::canonicalize(b"9007199254740991.0", &limits).unwrap(),
        b"9007199254740991"
    );
    assert_eq!(jcs::canonicalize(b"1e21", &limits).unwrap(), b"1e+21");
    assert_eq!(
        jcs::canonicalize(b"-1.5e300", &limits).unwrap(),
        b"-1.5e+300"
    );
    let lossy = jcs::canonicalize_with(b"1e20", &limits, IntegerMode::Lossy).unwrap();
    assert_eq!(lossy, b"100000000000000000000");
    let lossy = jcs::canonicalize_with(b"9007199254740993", &limits, IntegerMode::Lossy).unwrap();
    assert_eq!(lossy, b"9007199254740992");
}

#[test]
fn grammar_errors_are_rejected() {
    rejects(b"", "jcs.unexpected_end", 0);
    rejects(b"   ", "jcs.unexpected_end", 3);
    rejects(b"[1,]", "jcs.unexpected_character", 3);
    rejects(b"{\"a\":1,}", "jcs.unexpected_character", 7);
    rejects(b"{\"a\" 1}", "jcs.unexpected_character", 5);
    rejects(b"{a:1}", "jcs.unexpected_character", 1);
    rejects(b"[1 2]", "jcs.unexpected_character", 3);
    rejects(b"01", "jcs.invalid_number", 1);
    rejects(b"-", "jcs.unexpected_end", 1);
    rejects(b"-x", "jcs.invalid_number", 1);
    rejects(b"1.x", "jcs.invalid_number", 2);
    rejects(b"1ex", "jcs.invalid_number", 2);
    // ill-formed UTF-8 where a digit is required is invalid_utf8, not invalid_number (found by
    // tests/differential, seed 1: the Go verifier already said so)
    rejects(b"1.\xb3", "jcs.invalid_utf8", 2);
    rejects(b"-\x97", "jcs.invalid_utf8", 1);
    rejects(b"1e\xc0", "jcs.invalid_utf8", 2);
    rejects(b"-\xc3\xa9", "jcs.invalid_number", 1);
    // several duplicates in one object: the first met left to right, not the first in key order
    // (found by tests/differential, seed 3)
    rejects(
        b"{\"b\":1,\"a\":2,\"b\":3,\"a\":4}",
        "jcs.duplicate_key",
        13,
    );
    rejects(
        b"{\"\\u00e9\":1,\"\":2,\"\\u00e9\":1,\"\":0}",
        "jcs.duplicate_key",
        17,
    );
    rejects(b"1e+", "jcs.unexpected_end", 3);
    rejects(b"1.", "jcs.unexpected_end", 2);
    rejects(b"1e", "jcs.unexpected_end", 2);
    rejects(b".5", "jcs.unexpected_character", 0);
    rejects(b"+1", "jcs.unexpected_character", 0);
    rejects(b"tru", "jcs.unexpected_end", 3);
    rejects(b"nul1", "jcs.unexpected_character", 3);
    rejects(b"trux", "jcs.unexpected_character", 3);
    rejects(b"1 2", "jcs.trailing_characters", 2);
    rejects(b"{} x", "jcs.trailing_characters", 3);
    rejects(b"[1]\xff", "jcs.invalid_utf8", 3);
    rejects(b"\xe2", "jcs.invalid_utf8", 0);
    rejects(b"\"\\u", "jcs.unexpected_end", 3);
    rejects(b"\"\\ud800", "jcs.unexpected_end", 7);
    rejects(
        &[b"1".as_slice(), &[b'0'; 400]].concat(),
        "jcs.number_overflow",
        0,
    );
    rejects(b"\xef\xbb\xbf{}", "jcs.unexpected_character", 0); // byte order mark
    rejects(b"\"abc", "jcs.unexpected_end", 4);
    rejects(b"[", "jcs.unexpected_end", 1);
    rejects(b"{\"a\":", "jcs.unexpected_end", 5);
    rejects(b"\x0c1", "jcs.unexpected_character", 0); // form feed is not JSON whitespace
}

#[test]
fn depth_is_limited_without_exhausting_the_stack() {
    let limits = Limits::default();
    let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
    assert!(jcs::canonicalize(ok.as_bytes(), &limits).is_ok());
    rejects(
        format!("{}{}", "[".repeat(129), "]".repeat(129)).as_bytes(),
        "jcs.too_deep",
        128,
    );
    // 100,000 levels: rejected at the limit, no recursion anywhere.
    let deep_arrays = "[".repeat(100_000);
    rejects(deep_arrays.as_bytes(), "jcs.too_deep", 128);
    let deep_objects = "{\"a\":".repeat(100_000);
    rejects(deep_objects.as_bytes(), "jcs.too_deep", 128 * 5);
    let mut tight = Limits::default();
    tight.json_max_depth = 2;
    assert!(jcs::parse(b"[[1]]", &tight).is_ok());
    assert_eq!(
        jcs::parse(b"[[[1]]]", &tight).unwrap_err().kind(),
        JcsErrorKind::TooDeep
    );
}

#[test]
fn sizes_and_counts_are_limited() {
    let mut limits = Limits::default();
    limits.json_max_bytes = 8;
    assert_eq!(
        jcs::parse(b"[1,2,3,4]", &limits).unwrap_err().code(),
        "jcs.too_large"
    );
    let mut limits = Limits::default();
    limits.json_max_string_bytes = 4;
    assert!(jcs::parse(b"\"abcd\"", &limits).is_ok());
    assert_eq!(
        jcs::parse(b"\"abcde\"", &limits).unwrap_err().code(),
        "jcs.string_too_long"
    );
    assert_eq!(
        jcs::parse(b"\"ab\\ncd\"", &limits).unwrap_err().code(),
        "jcs.string_too_long"
    );
    // Offsets: the first byte of the character or escape that crosses the limit.
    let at = |input: &[u8], limits: &Limits| jcs::parse(input, limits).unwrap_err().offset();
    assert_eq!(at(b"\"abcde\"", &limits), 5);
    assert_eq!(at(b"\"ab\\ncd\"", &limits), 6);
    assert_eq!(at(b"\"abcd\\n\"", &limits), 5);
    assert_eq!(at("\"a\u{e9}\u{e9}\"".as_bytes(), &limits), 4);
    assert_eq!(at(b"\"abcdefgh", &limits), 5); // unterminated: the crossing comes first
    let mut limits = Limits::default();
    limits.json_max_entries = 3;
    assert!(jcs::parse(b"[1,2,3]", &limits).is_ok());
    // Offsets: the first byte of the first entry beyond the limit.
    assert_eq!(at(b"[1,2,3, 4]", &limits), 8);
    assert_eq!(at(br#"{"a":1,"b":2,"c":3, "d":4}"#, &limits), 20);
    assert_eq!(
        jcs::parse(b"[1,2,3,4]", &limits).unwrap_err().code(),
        "jcs.too_many_entries"
    );
    assert_eq!(
        jcs::parse(br#"{"a":1,"b":2,"c":3,"d":4}"#, &limits)
            .unwrap_err()
            .code(),
        "jcs.too_many_entries"
    );
}

/// limits.md L45–L46: a document of n bytes holds at most L45 + n / L46 values, counted at each
/// value's first byte, before its grammar (primitives.md §2.3). The Go verifier's
/// `TestValueBudget` checks the same inputs.
#[test]
fn the_value_budget_is_proportional_to_the_document_size() {
    let mut small = Limits::default();
    small.json_values_base = 3;
    small.json_bytes_per_value = 8;
    let err = |input: &[u8], limits: &Limits| {
        let e = jcs::parse(input, limits).unwrap_err();
        (e.code(), e.offset())
    };
    // 9 bytes: budget 3 + 1 = 4 values.
    assert!(jcs::parse(b"[[],{},1]", &small).is_ok());
    assert_eq!(err(b"[[],{},1,2]", &small), ("jcs.too_many_values", 9));
    assert_eq!(err(b"[[],{},1,x]", &small), ("jcs.unexpected_character", 9));
    assert_eq!(err(b"[[],{},1,t]", &small), ("jcs.too_many_values", 9));
    // 25 bytes: budget 6; 5 values (keys do not count).
    assert!(jcs::parse(br#"{"a":{"b":{"c":1}},"d":2}"#, &small).is_ok());
    // Default: 768 KiB of `[],` is rejected at value budget + 1, which starts at byte
    // 1 + 3 (budget - 1) (value 1 is the outer array at byte 0).
    let limits = Limits::default();
    let mut doc = b"[".to_vec();
    doc.extend(b"[],".repeat(1 << 18));
    doc.extend(b"[]]");
    let budget = 4096 + doc.len() / 8;
    assert_eq!(
        err(&doc, &limits),
        ("jcs.too_many_values", 1 + 3 * (budget - 1))
    );
}

#[test]
fn parse_canonical_accepts_only_canonical_bytes() {
    let limits = Limits::default();
    assert!(jcs::parse_canonical(br#"{"a":[1,"x"],"b":null}"#, &limits).is_ok());
    let err = jcs::parse_canonical(br#"{"b":null,"a":1}"#, &limits).unwrap_err();
    assert_eq!((err.code(), err.offset()), ("jcs.not_canonical", 2));
    let err = jcs::parse_canonical(b"{\"a\":1.0}", &limits).unwrap_err();
    assert_eq!((err.code(), err.offset()), ("jcs.not_canonical", 6));
    let err = jcs::parse_canonical(b"{\"a\":1} ", &limits).unwrap_err();
    assert_eq!((err.code(), err.offset()), ("jcs.not_canonical", 7));
    let err = jcs::parse_canonical(b"\"\\u0041\"", &limits).unwrap_err();
    assert_eq!(err.code(), "jcs.not_canonical");
    // The tree-free check agrees with parse_canonical, offsets included.
    for input in [
        &br#"{"b":null,"a":1}"#[..],
        b"{\"a\":1.0}",
        b"{\"a\":1} ",
        b"\"\\u0041\"",
        b"[1,2]",
        b"{\"a\":1,\"a\":1}",
    ] {
        assert_eq!(
            jcs::check_canonical(input, &limits),
            jcs::parse_canonical(input, &limits).map(|_| ())
        );
    }
}

#[test]
fn writer_escapes_exactly_what_rfc8785_requires() {
    let s: String = (0u8..0x20)
        .map(char::from)
        .chain("\"\\/\u{7f}\u{2028}é😂".chars())
        .collect();
    let out = jcs::to_vec(&Value::String(s));
    let expected = concat!(
        r#""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#,
        r#"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d"#,
        r#"\u001e\u001f\"\\/"#,
        "\u{7f}\u{2028}é😂\""
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn built_values_serialize_canonically() {
    let mut inner = Map::new();
    inner.insert("z", Value::Null);
    inner.insert(
        "a",
        Value::from(vec![Value::from(true), Value::from(1u32), Value::from("x")]),
    );
    let mut outer: Map = [
        ("b", Value::from(inner)),
        ("a", Value::Number(Number::from_f64(-0.0).unwrap())),
    ]
    .into_iter()
    .collect();
    outer.insert("€", Value::from(Number::from_f64(1e21).unwrap()));
    assert_eq!(
        jcs::to_vec(&Value::from(outer)),
        r#"{"a":0,"b":{"a":[true,1,"x"],"z":null},"€":1e+21}"#.as_bytes()
    );
}

#[test]
fn every_error_code_is_registered_in_the_spec() {
    let registry =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/verdicts.md"))
            .unwrap();
    for kind in JcsErrorKind::ALL {
        assert!(
            registry.contains(&format!("`{}`", kind.code())),
            "{} missing from spec/verdicts.md",
            kind.code()
        );
    }
}

#[test]
fn several_duplicates_in_the_tree_parser_too() {
    // jcs::parse closes objects in tree.rs, not stream.rs: same rule, first duplicate met.
    let err = jcs::parse(b"{\"b\":1,\"a\":2,\"b\":3,\"a\":4}", &Limits::default())
        .expect_err("duplicates must be rejected");
    assert_eq!((err.code(), err.offset()), ("jcs.duplicate_key", 13));
}
