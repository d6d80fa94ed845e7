//! Ledger proofs for Node (spec: ledger-v0.md §6): verify a proof file's bytes against a ledger
//! verifier key through `clyra_core::ffi::ledger`.

use std::path::Path;

use clyra_core::ffi::ledger as ffi;
use clyra_core::ffi::{Answer, DetailedError};
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

/// The files and flags of `clyra ledger check`.
#[napi(object)]
pub struct LedgerCheckArgs {
    /// The proof file's path.
    pub proof: String,
    /// The ledger's verifier key: its text, or a file holding it.
    pub key: String,
    /// The time shown in the human text (the caller's clock).
    pub at: String,
    /// `human` or `json`.
    pub format: String,
}

/// `cli.io` as `clyra ledger check` words it (`cannot read `PATH`: reason`, no `path` member).
fn unreadable(path: &str, error: &std::io::Error) -> DetailedError {
    DetailedError::new(
        "cli.io",
        format!("cannot read `{path}`: {}", error.to_string().to_lowercase()),
    )
}

/// A ledger verifier key as `clyra` reads `--key`/`--ledger-key`: the text of the file `arg`
/// names (`ledger.key` when it is not UTF-8, `cli.io` when unreadable), else `arg` itself.
pub fn read_key(arg: &str) -> Result<String, DetailedError> {
    if !Path::new(arg).is_file() {
        return Ok(arg.to_owned());
    }
    let bytes = std::fs::read(arg).map_err(|e| unreadable(arg, &e))?;
    String::from_utf8(bytes)
        .map_err(|_| DetailedError::new("ledger.key", format!("`{arg}` is not text")))
}

/// What `clyra ledger check` prints for `args`: answer `{exit, text}`, or the failure (exit 4):
/// the key is read from a file when `key` names one, else taken as the key's text.
#[napi(ts_return_type = "Promise<string>")]
pub fn ledger_check_printed(args: LedgerCheckArgs) -> AsyncTask<Answered> {
    answered(move || {
        let read = (|| -> Result<_, DetailedError> {
            let key = read_key(&args.key)?;
            let proof = std::fs::read(&args.proof).map_err(|e| unreadable(&args.proof, &e))?;
            Ok((key, proof))
        })();
        let (key, proof) = match read {
            Ok(read) => read,
            Err(error) => return Answer::<()>::of(Err(vec![error])).to_json(),
        };
        let call = serde_json::json!({
            "key": key, "at": args.at, "format": args.format, "name": args.proof,
        });
        ffi::proof_verify(call.to_string().as_bytes(), &proof)
    })
}
