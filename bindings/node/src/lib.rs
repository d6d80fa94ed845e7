//! The native addon of the `clyra-verify` npm package (node/).
//!
//! Bindings convert types and errors only (STYLE rules 1 and 10): every function forwards a JSON
//! call to `clyra_core::ffi` and returns its answer JSON text (`success` or `failure`); the
//! package's `index.js` turns failures into `ClyraError` with `.code`. Anything that reads or
//! verifies a bundle or a receipt runs as an `AsyncTask` on libuv's thread pool ([`task`]), so
//! the event loop stays free. One module per area: [`bundle`], [`receipt`], [`canon`], [`badge`],
//! [`ledger`], [`attest`], [`envelope`]; [`schemas`] holds the compiled JSON Schemas every call shares.

#![deny(clippy::all)]

pub mod attest;
pub mod badge;
pub mod bundle;
pub mod canon;
pub mod envelope;
pub mod files;
pub mod ledger;
pub mod receipt;
pub mod schemas;
pub mod task;

use napi_derive::napi;

/// The addon's allocator. The core runs on libuv's worker threads, where glibc's malloc serves
/// each thread from a secondary arena that grows by `mprotect` a page range at a time (≈870
/// calls verifying a 100,000-event bundle, against none on the CLI's main thread); mimalloc's
/// thread-local heaps allocate there as fast as on the main thread. Memory handed to Node is
/// copied into V8, so no allocation crosses the boundary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The version of the addon (the workspace version of clyra-core).
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
