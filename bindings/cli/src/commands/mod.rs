//! One file per `clyra` command. Each exposes its clap arguments and a `run` function.
//!
//! Commands, in the order `clyra --help` lists them:
//! - `canon`: print the RFC 8785 canonical form of a JSON document.
//!
//! Next (added by their owners, only once they work — DESIGN §11): `keygen` (`keygen.rs`) and
//! `demo` (`demo.rs`). Register a new command here, in `Command` in `lib.rs`, and in `README.md`.

pub mod canon;
