//! What every verifier host does with a path the user gave, before the core sees a byte
//! (conformance.md §6.7, §6.8): the `clyra` CLI and the Node addon open inputs the same way, so a
//! FIFO, a pipe, a device or a directory gets the same verdict from both.
//!
//! The hosts also share [`hasher`]: `clyra verify`'s artifact hashing on several threads, so the
//! Node addon verifies a large bundle with the CLI's parallelism.
//!
//! This is host code, not core code: the core is pure, single-threaded and reads only the
//! `Read + Seek` it is given (DESIGN §2). Its only dependency is the core (no default features).

pub mod hasher;
pub mod input;
