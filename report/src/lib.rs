//! Clyra reports as documents people read: the auditor one-pager of a verified bundle, the
//! receipt sheet, the daily review and the attestation report, rendered as deterministic PDF/A-2u with embedded fonts.
//!
//! A separate crate so verifier hosts (wasm, Node) never carry PDF code. Every PDF is a generic
//! [`Document`] (title, key/value blocks, tables, paragraphs) built by an adapter and laid out by
//! [`pdf::render`].
#![warn(missing_docs)]

pub mod attestation;
pub mod auditor;
pub mod daily;
pub mod document;
pub mod error;
pub mod pdf;
pub mod receipt;

pub use document::{Block, Document};
pub use error::{ReportError, ReportErrorKind};
