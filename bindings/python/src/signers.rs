//! Signers opened from key URIs (a key file, `pkcs11:`, `cmd:`: spec/signer-command-v0.md) for
//! the producing calls; a URI that cannot be opened is the call's failure answer.

use clyra_core::crypto::Signer;
use clyra_core::ffi::bundle::Produced;
use clyra_core::ffi::{Answer, DetailedError};

/// Opens the signers of `key_uris` and runs `then` with them, or answers the `signer.*` failure.
pub(crate) fn with_signers(
    key_uris: &[String],
    then: impl FnOnce(&[&dyn Signer]) -> Vec<u8>,
) -> Vec<u8> {
    let opened: Result<Vec<Box<dyn Signer>>, _> =
        key_uris.iter().map(|uri| clyra_signer::open(uri)).collect();
    match opened {
        Ok(signers) => {
            let refs: Vec<&dyn Signer> = signers.iter().map(|s| s.as_ref()).collect();
            then(&refs)
        }
        Err(e) => Answer::<()>::of(Err(vec![DetailedError::of(&e)])).to_json(),
    }
}

/// [`with_signers`] for a call that also produces bytes (a bundle, an envelope).
pub(crate) fn produced_with(
    key_uris: &[String],
    then: impl FnOnce(&[&dyn Signer]) -> Produced,
) -> Produced {
    let mut bytes = Vec::new();
    let answer = with_signers(key_uris, |signers| {
        let produced = then(signers);
        bytes = produced.bytes;
        produced.answer
    });
    Produced { answer, bytes }
}
