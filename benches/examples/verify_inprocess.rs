//! The Rust peer of the Python verify benchmark (benches/dbt_overhead.py): verifies one bundle N
//! times in-process and prints the median milliseconds of the native API
//! (`verify_bundle_bytes`) and of the FFI entry the Python binding calls (`ffi::bundle::verify`).
//!
//! Usage: `verify_inprocess BUNDLE TRUST AT N` — prints `native_ms ffi_ms` on one line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bundle = std::fs::read(&args[1]).unwrap();
    let trust = std::fs::read(&args[2]).unwrap();
    let at = &args[3];
    let n: usize = args[4].parse().unwrap();
    let mut native = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let verdict = clyra_core::verify::verify_bundle_bytes(&bundle, &trust, at, None).unwrap();
        let json = verdict.to_json();
        native.push(start.elapsed().as_secs_f64() * 1e3);
        assert!(json.starts_with(b"{"));
    }
    let call =
        serde_json::json!({"trust": String::from_utf8(trust).unwrap(), "at": at}).to_string();
    let mut ffi = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let answer = clyra_core::ffi::bundle::verify(call.as_bytes(), &bundle);
        ffi.push(start.elapsed().as_secs_f64() * 1e3);
        assert!(answer.starts_with(b"{\"type\":\"success\""));
    }
    println!("{:.3} {:.3}", median(native), median(ffi));
}
