//! The peer of the daily-review benchmark (`benches/report_scale.sh`): plain verification of every
//! bundle in a folder, in-process, on J threads, as `clyra verify` does one bundle (the core's
//! `verify_bundle_with_evidence` over the open file). Prints `bundles valid` on one line.
//!
//! Usage: `verify_all DIR TRUST AT J`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::fs::File;
use std::io::BufReader;
use std::sync::atomic::{AtomicUsize, Ordering};

use clyra_core::format::Schemas;
use clyra_core::time::Timestamp;
use clyra_core::trust::Trust;
use clyra_core::verify::{verify_bundle_with_evidence, VerifyInputs};
use clyra_core::Limits;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut files: Vec<_> = std::fs::read_dir(&args[1])
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let limits = Limits::default();
    let trust = Trust::parse(&std::fs::read(&args[2]).unwrap(), &limits).unwrap();
    let at = Timestamp::parse(&args[3]).unwrap();
    let jobs: usize = args[4].parse().unwrap();
    let next = AtomicUsize::new(0);
    let valid = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                let schemas = Schemas::new().unwrap();
                let inputs = VerifyInputs {
                    trust: &trust,
                    at: &at,
                    policy: None,
                    schemas: &schemas,
                    limits: &limits,
                    witnessed: None,
                };
                while let Some(path) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let file = File::open(path).unwrap();
                    let len = file.metadata().unwrap().len();
                    let (verdict, _) =
                        verify_bundle_with_evidence(BufReader::new(&file), len, &inputs);
                    if verdict.exit == 0 {
                        valid.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    println!("{} {}", files.len(), valid.load(Ordering::Relaxed));
}
