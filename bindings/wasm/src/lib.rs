//! The browser verifier: `clyra_core::ffi` for a web page, through wasm-bindgen.
//!
//! Bindings convert types and errors only (STYLE rule 1): each function takes a JSON call and
//! returns the FFI answer JSON text. A bundle is a JS `Blob` (a `File` the user chose) read in
//! windows of at most 8 MiB through `FileReaderSync` ([`blob`], which buffers them), so a large
//! bundle is never copied whole into wasm memory; `FileReaderSync` exists only in workers, so the page runs these in a Worker.

pub mod blob;

use std::io::ErrorKind;

use clyra_core::ffi::{self, verifier};
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::Blob;

use crate::blob::BlobReader;

/// Verifies the bundle `bundle`: the answer of `ffi::bundle::verify` (verdict JSON).
#[wasm_bindgen]
pub fn verify(call: &str, bundle: &Blob) -> String {
    let reader = BlobReader::new(bundle.clone());
    let len = reader.len();
    text(verifier::verify_reader(call.as_bytes(), reader, len))
}

/// What `clyra verify` prints for the call (`ffi::verifier::PrintCall`): answer `{exit, text}`.
#[wasm_bindgen(js_name = verifyPrinted)]
pub fn verify_printed(call: &str, bundle: &Blob) -> String {
    let reader = BlobReader::new(bundle.clone());
    let len = reader.len();
    text(verifier::verify_printed(call.as_bytes(), reader, len))
}

/// The stored artifact entries of the bundle (`ffi::verifier::stored_artifacts`): what the page
/// may digest with WebCrypto before `verifyPrinted`, passing the digests in the call.
#[wasm_bindgen(js_name = storedArtifacts)]
pub fn stored_artifacts(bundle: &Blob) -> String {
    let reader = BlobReader::new(bundle.clone());
    let len = reader.len();
    text(verifier::stored_artifacts(reader, len))
}

/// The CRC-32 of `bytes` following bytes whose CRC-32 is `crc` (`verify::crc32_update`).
#[wasm_bindgen(js_name = crc32Update)]
pub fn crc32_update(crc: u32, bytes: &[u8]) -> u32 {
    clyra_core::verify::crc32_update(crc, bytes)
}

/// What `clyra receipt verify` prints for the call and the receipt's bytes.
#[wasm_bindgen(js_name = receiptVerifyPrinted)]
pub fn receipt_verify_printed(call: &str, receipt: &[u8]) -> String {
    text(verifier::receipt_verify_printed(call.as_bytes(), receipt))
}

/// Verifies a badge's bytes (badge-v0.md §5): the answer of `ffi::badge::badge_verify`.
#[wasm_bindgen(js_name = badgeVerify)]
pub fn badge_verify(call: &str, badge: &[u8]) -> String {
    text(ffi::badge::badge_verify(call.as_bytes(), badge))
}

/// Verifies a ledger proof file (ledger-v0.md §5) against the call's ledger key: the answer of
/// `ffi::ledger::proof_verify`.
#[wasm_bindgen(js_name = ledgerProofVerify)]
pub fn ledger_proof_verify(call: &str, proof: &[u8]) -> String {
    text(ffi::ledger::proof_verify(call.as_bytes(), proof))
}

/// Verifies an attestation (attestation-v0.md §6.1) and recomputes its statuses from `bundles`,
/// the Files the call's `bundles` names, in the same order, each read in windows as `verify`
/// reads a bundle: the answer of `ffi::attest::attest_verify` (what `clyra attest verify`
/// reports).
#[wasm_bindgen(js_name = attestVerify)]
pub fn attest_verify(call: &str, attestation: &[u8], bundles: Vec<Blob>) -> String {
    let mut files = bundles.into_iter();
    text(ffi::attest::attest_verify(
        call.as_bytes(),
        attestation,
        |name: &str| match files.next() {
            Some(blob) => {
                let reader = BlobReader::new(blob);
                let len = reader.len();
                Ok((reader, len))
            }
            None => Err(ffi::io_error(&ErrorKind::NotFound.into(), name)),
        },
    ))
}

/// The answer of `ffi::canon::canonicalize`.
#[wasm_bindgen]
pub fn canonicalize(call: &str) -> String {
    text(ffi::canon::canonicalize(call.as_bytes()))
}

/// The version of the core.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

fn text(answer: Vec<u8>) -> String {
    String::from_utf8_lossy(&answer).into_owned()
}
