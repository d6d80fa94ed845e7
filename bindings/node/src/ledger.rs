//! Ledger proofs for Node (spec: ledger-v0.md §6): verify a proof file's bytes against a ledger
//! verifier key through `clyra_core::ffi::ledger`.

use clyra_core::ffi::ledger as ffi;
use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi_derive::napi;

use crate::task::{answered, Answered};

/// Verifies proof bytes (inclusion receipt or consistency proof): the answer of
/// `ffi::ledger::proof_verify` (the verdict, or with `format` the printed `{exit, text}`).
#[napi(ts_return_type = "Promise<string>")]
pub fn ledger_proof_verify(call: String, proof: Uint8Array) -> AsyncTask<Answered> {
    let proof = proof.to_vec();
    answered(move || ffi::proof_verify(call.as_bytes(), &proof))
}
