//! Receipts for Node: verify bytes (verdict JSON) or a file (the printed output of
//! `clyra receipt verify`) through `clyra_core::ffi`.

use clyra_core::ffi::bundle as ffi;
use clyra_core::ffi::verifier;
use clyra_core::ffi::{Answer, DetailedError};
use clyra_core::Limits;
use napi::bindgen_prelude::{AsyncTask, Uint8Array};
use napi_derive::napi;

use crate::files::{read_bounded, read_text};
use crate::schemas::compiled;
use crate::task::{answered, Answered};

/// Verifies receipt bytes: the answer of `ffi::bundle::receipt_verify`.
#[napi(ts_return_type = "Promise<string>")]
pub fn receipt_verify(call: String, receipt: Uint8Array) -> AsyncTask<Answered> {
    let receipt = receipt.to_vec();
    answered(move || receipt_answer(&call, &receipt))
}

/// Verifies the receipt at `path` (at most one byte past the receipt limit L23 is read, so an
/// endless stream is `receipt.too_large`; a directory is `cli.io`).
#[napi(ts_return_type = "Promise<string>")]
pub fn receipt_verify_file(call: String, path: String) -> AsyncTask<Answered> {
    answered(
        move || match read_bounded(&path, Limits::default().receipt_max_bytes) {
            Ok(receipt) => receipt_answer(&call, &receipt),
            Err(error) => Answer::<()>::of(Err(vec![error])).to_json(),
        },
    )
}

/// The files and flags of `clyra receipt verify`.
#[napi(object)]
pub struct ReceiptArgs {
    /// The receipt's path.
    pub receipt: String,
    /// The trust file's path.
    pub trust: String,
    /// The verification time.
    pub at: String,
    /// `human` or `json`.
    pub format: String,
}

/// What `clyra receipt verify` prints for `args`: answer `{exit, text}` or the failure.
#[napi(ts_return_type = "Promise<string>")]
pub fn receipt_verify_printed(args: ReceiptArgs) -> AsyncTask<Answered> {
    answered(move || {
        let limits = Limits::default();
        let read = (|| -> Result<_, DetailedError> {
            let trust = read_text(&args.trust, limits.json_max_bytes)?;
            // One byte past the limit is enough for `receipt.too_large`.
            let receipt = read_bounded(&args.receipt, limits.receipt_max_bytes)?;
            Ok((trust, receipt))
        })();
        let (trust, receipt) = match read {
            Ok(read) => read,
            Err(error) => return Answer::<()>::of(Err(vec![error])).to_json(),
        };
        let call = serde_json::json!({
            "trust": trust, "trust_name": args.trust, "at": args.at,
            "format": args.format, "name": args.receipt,
        });
        let call = call.to_string();
        match compiled() {
            Some(schemas) => {
                verifier::receipt_verify_printed_with(schemas, call.as_bytes(), &receipt)
            }
            None => verifier::receipt_verify_printed(call.as_bytes(), &receipt),
        }
    })
}

/// The answer of `ffi::bundle::receipt_verify` with the compiled schemas.
fn receipt_answer(call: &str, receipt: &[u8]) -> Vec<u8> {
    match compiled() {
        Some(schemas) => ffi::receipt_verify_with(schemas, call.as_bytes(), receipt),
        None => ffi::receipt_verify(call.as_bytes(), receipt),
    }
}
