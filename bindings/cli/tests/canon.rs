//! `clyra canon` end to end: the built binary on files and stdin, its output bytes, errors and
//! exit codes (DESIGN §8: 4 for usage errors, unreadable paths and bad input).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A file in a fresh, unique temporary directory (removed when dropped).
struct TempFile {
    dir: PathBuf,
    path: PathBuf,
}

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("clyra-cli-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        Self { dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn clyra(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clyra"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The process may exit before reading stdin (e.g. on a usage error): ignore a broken pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// Asserts exit 4, nothing on stdout, and exactly one stderr line naming `source`, `code` and,
/// when given, the byte offset.
fn assert_one_error_line(out: &Output, source: &str, offset: Option<usize>, code: &str) {
    assert_eq!(out.status.code(), Some(4), "stderr: {}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.ends_with('\n'));
    let line = stderr.trim_end();
    assert!(line.starts_with(&format!("error: {source}: ")), "{line}");
    if let Some(offset) = offset {
        assert!(line.contains(&format!(": byte {offset}: ")), "{line}");
    }
    assert!(line.ends_with(&format!(" ({code})")), "{line}");
}

#[test]
fn canonicalizes_a_small_object_from_a_file() {
    let file = TempFile::new(
        "in.json",
        br#"{ "b": [1, 2.50, "x"], "a": {"z": null, "y": true} }"#,
    );
    let out = clyra(&["canon", file.arg()], b"");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    // Exact bytes: no trailing newline when stdout is not a terminal.
    assert_eq!(
        text(&out.stdout),
        r#"{"a":{"y":true,"z":null},"b":[1,2.5,"x"]}"#
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn reads_stdin_when_the_file_is_dash_or_absent() {
    let input = "{\"é\":1,\"a\":\"\\u0041\\n\"}\n".as_bytes();
    let expected = "{\"a\":\"A\\n\",\"é\":1}";
    for args in [&["canon"][..], &["canon", "-"][..]] {
        let out = clyra(args, input);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), expected, "{args:?}");
    }
}

#[test]
fn keys_sort_by_utf16_code_units() {
    // U+1F600 (surrogates D83D DE00) sorts before U+FB01 in UTF-16, after it in code points.
    let out = clyra(&["canon"], "{\"\u{FB01}\":1,\"\u{1F600}\":2}".as_bytes());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "{\"\u{1F600}\":2,\"\u{FB01}\":1}");
}

#[test]
fn numbers_print_in_their_es6_form() {
    let input = b"[1E21, 1e-7, 0.000001, -0, 0.1, 1.0, 5e-324, 1.7976931348623157e308, \
                  9007199254740991, -9007199254740991, 4.50e+2]";
    let out = clyra(&["canon"], input);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "[1e+21,1e-7,0.000001,0,0.1,1,5e-324,1.7976931348623157e+308,\
         9007199254740991,-9007199254740991,450]"
    );
    // Values in [2^53, 10^21) would print as unsafe integer literals: strict refuses them.
    let strict = clyra(&["canon"], b"[1e20]");
    assert_one_error_line(&strict, "<stdin>", Some(1), "jcs.integer_out_of_range");
    let lossy = clyra(&["canon", "--lossy"], b"[1e20, 1.2345678901234568e20]");
    assert_eq!(
        text(&lossy.stdout),
        "[100000000000000000000,123456789012345680000]"
    );
}

#[test]
fn integers_beyond_2_pow_53_are_rejected_unless_lossy() {
    let strict = clyra(&["canon"], b"[1, 9007199254740993]");
    assert_one_error_line(&strict, "<stdin>", Some(4), "jcs.integer_out_of_range");

    let lossy = clyra(&["canon", "--lossy"], b"[1, 9007199254740993]");
    assert_eq!(
        lossy.status.code(),
        Some(0),
        "stderr: {}",
        text(&lossy.stderr)
    );
    assert_eq!(text(&lossy.stdout), "[1,9007199254740992]");
}

#[test]
fn each_bad_input_exits_4_with_one_line_naming_offset_and_code() {
    let cases: [(&[u8], usize, &str); 8] = [
        (br#"{"a":1,"a":2}"#, 7, "jcs.duplicate_key"),
        (br#"["\ud800"]"#, 2, "jcs.lone_surrogate"),
        (b"[\"\xff\"]", 2, "jcs.invalid_utf8"),
        (b"[NaN]", 1, "jcs.non_finite"),
        (b"[1] x", 4, "jcs.trailing_characters"),
        (b"[01]", 2, "jcs.invalid_number"),
        (b"{\"a\":", 5, "jcs.unexpected_end"),
        (b"[1e400]", 1, "jcs.number_overflow"),
    ];
    for (input, offset, code) in cases {
        let file = TempFile::new("bad.json", input);
        let out = clyra(&["canon", file.arg()], b"");
        assert_one_error_line(&out, file.arg(), Some(offset), code);
    }
}

#[test]
fn the_error_line_reads_like_the_documented_form() {
    let file = TempFile::new("dup.json", br#"{"key":1,"key":2}"#);
    let out = clyra(&["canon", file.arg()], b"");
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}: byte 9: duplicate object key (jcs.duplicate_key)\n",
            file.arg()
        )
    );
}

#[test]
fn json_format_prints_errors_as_one_json_line_on_stdout() {
    let file = TempFile::new("dup.json", br#"{"a":1,"a":2}"#);
    let out = clyra(&["--format", "json", "canon", file.arg()], b"");
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
    let expected = format!(
        "{{\"errors\":[{{\"code\":\"jcs.duplicate_key\",\"message\":\"duplicate object key\",\
         \"offset\":7,\"path\":{}}}]}}\n",
        serde_json::to_string(file.arg()).unwrap()
    );
    assert_eq!(text(&out.stdout), expected);

    // Output stays raw canonical bytes in JSON format.
    let ok = clyra(&["canon", "--format=json"], br#"{"b":0, "a":1}"#);
    assert_eq!(
        (ok.status.code(), text(&ok.stdout)),
        (Some(0), r#"{"a":1,"b":0}"#)
    );
}

#[test]
fn input_over_the_size_limit_is_refused() {
    let limit = clyra_core::Limits::default().json_max_bytes;
    let mut input = vec![b' '; limit];
    input.push(b'0');
    let file = TempFile::new("big.json", &input);
    let out = clyra(&["canon", file.arg()], b"");
    assert_one_error_line(&out, file.arg(), Some(limit), "jcs.too_large");
}

#[test]
fn a_missing_file_exits_4_with_one_line() {
    let file = TempFile::new("present.json", b"{}");
    let missing = file.dir.join("absent.json");
    let missing = missing.to_str().unwrap();
    let out = clyra(&["canon", missing], b"");
    assert_one_error_line(&out, missing, None, "cli.io");
    assert!(text(&out.stderr).contains("no such file"));
}

#[test]
fn a_directory_is_an_unreadable_path() {
    let file = TempFile::new("present.json", b"{}");
    let dir = file.dir.to_str().unwrap();
    let out = clyra(&["canon", dir], b"");
    assert_one_error_line(&out, dir, None, "cli.io");
}

#[test]
fn usage_errors_exit_4_not_2() {
    for args in [
        &["canon", "--bogus"][..],
        &["frobnicate"][..],
        &["--format", "xml", "canon"][..],
    ] {
        let out = clyra(args, b"{}");
        assert_eq!(
            out.status.code(),
            Some(4),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).starts_with("error: "), "{args:?}");
    }
    // With --format json the usage error is a JSON line on stdout, with a stable code.
    let out = clyra(&["--format", "json", "canon", "--bogus"], b"{}");
    assert_eq!(out.status.code(), Some(4));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["errors"][0]["code"], "cli.usage");
}

#[test]
fn no_command_prints_help_and_exits_4() {
    let out = clyra(&[], b"");
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("Usage: clyra"));
}

#[test]
fn help_and_version_exit_0() {
    let top = clyra(&["--help"], b"");
    assert_eq!(top.status.code(), Some(0));
    let help = text(&top.stdout);
    assert!(help.contains("verify offline"), "{help}");
    assert!(help.contains("canon"), "{help}");
    assert!(help.contains("canonical JSON"), "{help}");

    let canon = clyra(&["canon", "--help"], b"");
    assert_eq!(canon.status.code(), Some(0));
    let help = text(&canon.stdout);
    assert!(
        help.contains("canonical JSON") || help.contains("Canonical JSON"),
        "{help}"
    );
    assert!(help.contains("RFC 8785"), "{help}");
    assert!(help.contains("Examples:"), "{help}");

    let version = clyra(&["--version"], b"");
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        text(&version.stdout),
        format!("clyra {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_library_entry_point_runs_on_in_memory_streams() {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let exit = clyra_cli::run(
        ["clyra", "canon", "--lossy"],
        &mut &b"[18446744073709551616]"[..],
        &mut stdout,
        &mut stderr,
    );
    assert_eq!((exit, exit.code()), (clyra_cli::Exit::Ok, 0));
    assert_eq!(text(&stdout), "[18446744073709552000]");
    assert!(stderr.is_empty());

    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let terminal = clyra_cli::Terminal {
        stdout: true,
        stderr: false,
    };
    let exit = clyra_cli::run_on(
        ["clyra", "canon"],
        &mut &b"{}"[..],
        &mut stdout,
        &mut stderr,
        terminal,
    );
    assert_eq!(exit, clyra_cli::Exit::Ok);
    assert_eq!(text(&stdout), "{}\n", "a terminal gets a final newline");
}

/// Runs every `$ echo 'INPUT' | clyra ARGS` example in `doc` and compares the next line with the
/// output. Returns how many examples were checked.
fn check_examples(doc: &str) -> usize {
    let lines: Vec<&str> = doc.lines().map(str::trim).collect();
    let mut checked = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("$ echo '") else {
            continue;
        };
        let (input, args) = rest.split_once("' | clyra ").unwrap();
        let args: Vec<&str> = args.split_whitespace().collect();
        let out = clyra(&args, format!("{input}\n").as_bytes());
        assert_eq!(out.status.code(), Some(0), "{line}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), lines[i + 1], "{line}");
        checked += 1;
    }
    checked
}

#[test]
fn readme_and_help_examples_hold() {
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(readme).unwrap();
    assert!(check_examples(&readme) >= 2, "README examples not found");

    let help = clyra(&["canon", "--help"], b"");
    assert!(
        check_examples(text(&help.stdout)) >= 2,
        "help examples not found"
    );
}
