//! Shared by the signer tests.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, dead_code)]

use clyra_core::crypto::{verify, Signer};
use clyra_core::dsse::{self, Envelope};

/// Signs a DSSE envelope over `payload` through `signer`, checks its keyid and its signature with
/// the signer's public key and scheme, and returns it.
pub fn signs_dsse(signer: &dyn Signer, payload: &[u8]) -> Envelope {
    let envelope = dsse::sign_with("application/vnd.in-toto+json", payload, signer).unwrap();
    let message = dsse::pae("application/vnd.in-toto+json", payload);
    let sig = &envelope.signatures[0];
    assert_eq!(sig.keyid, signer.public_key().keyid());
    verify(signer.public_key(), signer.scheme(), &message, &sig.sig).unwrap();
    envelope
}
