//! Clyra core: the pure library behind every Clyra host.
//!
//! It implements RFC 8785 canonical JSON ([`jcs`]), RFC 9162 Merkle trees ([`merkle`]),
//! signatures ([`crypto`]) and DSSE envelopes over in-toto Statements ([`dsse`]).
//! The core performs no I/O of its own: no network, no clock, no environment, no global state.
//! Time, randomness and keys are inputs; every parser is bounded by [`Limits`].
#![warn(missing_docs)]

pub mod approval;
pub mod attest;
pub mod audit;
pub mod badge;
pub mod build;
pub mod bundle;
pub mod crypto;
#[cfg(feature = "guard")]
pub mod def;
pub mod digest;
pub mod display;
pub mod dsse;
pub mod error;
pub mod export;
pub mod ffi;
pub mod format;
#[cfg(feature = "guard")]
pub mod guard;
pub mod inspect;
pub mod jcs;
pub mod journal;
pub mod ledger;
pub mod limits;
pub mod merkle;
pub mod policy;
pub mod receipt;
pub mod report;
pub mod risk;
pub mod siem;
pub mod ticket;
pub mod time;
pub mod trust;
pub mod verdict;
pub mod verify;

#[doc(hidden)]
pub mod internal;

pub use error::Coded;
pub use limits::Limits;
