//! Ledger proofs through the FFI (spec: ledger-v0.md §6, conformance.md §6.9): verify a proof
//! file (inclusion receipt or consistency proof) against the ledger's verifier key, as
//! `clyra ledger check` does, for hosts without the CLI (Node).

use serde::Deserialize;

use super::bundle::json_value;
use super::verifier::{Format, Printed};
use super::{parse_call, Answer, DetailedError};
use crate::error::Coded;
use crate::ledger::proof::verify_proof_file;
use crate::ledger::VerifierKey;
use crate::limits::Limits;
use crate::verify::Verdict;

/// The call of [`proof_verify`] (the proof file's bytes travel beside it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofVerifyCall {
    /// The ledger's verifier key text (`name+hash+base64`, note format).
    pub key: String,
    /// Print as `clyra ledger check --format …` instead of answering the verdict.
    #[serde(default)]
    pub format: Option<Format>,
    /// The proof file as the user named it (the first word of the human text).
    #[serde(default)]
    pub name: Option<String>,
    /// The time shown in the human text (the proof itself does not depend on a clock).
    #[serde(default)]
    pub at: Option<String>,
}

fn verdict_of(c: &ProofVerifyCall, proof: &[u8]) -> Result<Verdict, Vec<DetailedError>> {
    let key = VerifierKey::parse(c.key.trim())
        .map_err(|e| vec![DetailedError::new(e.code(), e.to_string())])?;
    Ok(verify_proof_file(proof, &key, &Limits::default()))
}

/// Verifies the proof file `proof` with the call's key: the verdict JSON (verdicts.md §3) as
/// `result`, or, when the call has a `format`, what `clyra ledger check` prints (`{exit, text}`).
/// Fails only with the ledger key's code (an unusable key, exit 4).
pub fn proof_verify(call: &[u8], proof: &[u8]) -> Vec<u8> {
    let parsed = parse_call::<ProofVerifyCall>(call);
    let call = match parsed {
        Ok(c) => c,
        Err(errors) => return Answer::<()>::of(Err(errors)).to_json(),
    };
    match call.format {
        None => {
            Answer::of(verdict_of(&call, proof).and_then(|v| json_value(&v.to_json()))).to_json()
        }
        Some(format) => Answer::of(verdict_of(&call, proof).map(|v| Printed {
            exit: v.exit,
            text: v.to_output(
                None,
                call.name.as_deref().unwrap_or("proof"),
                call.at.as_deref().unwrap_or(""),
                format == Format::Json,
            ),
        }))
        .to_json(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn answer(call: &str, proof: &[u8]) -> serde_json::Value {
        serde_json::from_slice(&proof_verify(call.as_bytes(), proof)).unwrap()
    }

    #[test]
    fn a_bad_key_fails_and_any_proof_bytes_give_a_verdict() {
        let a = answer(r#"{"key":"nope"}"#, b"{}");
        assert_eq!(a["type"], "failure");
        assert_eq!(a["errors"][0]["code"], "ledger.key");
        let a = answer(r#"{"key":"x","y":1}"#, b"{}");
        assert_eq!(a["errors"][0]["code"], "ffi.call");
    }
}
