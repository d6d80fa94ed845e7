//! One file per `clyra` command. Each exposes its clap arguments and a `run` function.
//!
//! Commands, in the order `clyra --help` lists them:
//! - `canon`: print the RFC 8785 canonical form of a JSON document.
//! - `keygen`: create a signing key pair.
//! - `keys rotate`: add a new key to a trust file and close the old key's window.
//! - `bundle build`: build one signed evidence bundle from a bundle spec.
//! - `sign`: add a producer signature to a bundle.
//! - `demo`: sign a small example of evidence and verify it.
//! - `verify`: verify an evidence bundle against a trust file and print the verdict.
//! - `receipt extract` / `receipt verify`: a one-event proof, made from a bundle, checked alone.
//! - `approve`: sign an approval of a planned change, as the approver.
//! - `inspect`: what is inside a bundle, readable.
//! - `export --sigstore`: write one producer signature as a Sigstore bundle v0.3.
//! - `policy canon|lint|eval|init`: the policy file, its hash, findings, decisions, a start.
//! - `doctor`: check the project's policy, key, trust file and host tools.
//! - `sql check`: the SQL guard on a file or stdin.
//! - `genai scan`: scan a prompt or agent steps for injection, jailbreaks, leaks and loops.
//! - `ledger init|append|prove|verify|list|check|cosign`: the evidence ledger (spec/ledger-v0.md).
//! - `badge issue|verify`: signed compliance badges (spec/badge-v0.md).
//! - `attest` / `attest verify`: a signed attestation of a framework's controls (spec/attestation-v0.md).
//! - `report daily-review`: the day's bundles of a ledger reviewed, with showback and SIEM exports.
//!
//! A command exists only once it works (DESIGN §11). Register a new one here, in `Command` in
//! `lib.rs`, and in `README.md`.

pub mod approve;
pub mod attest;
pub mod badge;
pub mod bundle;
pub mod canon;
pub mod demo;
pub mod doctor;
pub mod export;
pub mod genai;
pub mod inspect;
pub mod keygen;
pub mod keys;
pub mod ledger;
pub mod policy;
pub mod receipt;
pub mod report;
pub mod sign;
pub mod sql;
pub mod ticket;
pub mod verify;
