//! What every verifier host does with a path the user gave, before the core sees a byte
//! (conformance.md §6.7, §6.8): the `clyra` CLI and the Node addon open inputs the same way, so a
//! FIFO, a pipe, a device or a directory gets the same verdict from both.
//!
//! This is host code, not core code: the core is pure and reads only the `Read + Seek` it is
//! given (DESIGN §2). It has no dependency beyond `std`.

pub mod input;
