//! Entry points for fuzz targets and tests; not part of the public API.

/// Shims that fuzz targets call; each must never panic, whatever the input.
pub mod fuzzing {
    use crate::limits::Limits;

    /// Decodes `data` as a DSSE envelope with default limits; the result is ignored.
    pub fn dsse_decode(data: &[u8]) {
        let _ = crate::dsse::Envelope::decode(data, &Limits::default());
    }
}

/// Lower-level paths that conformance tests need and production code must not use.
pub mod conformance {
    use crate::crypto::{Scheme, SignatureError};

    /// Verifies an RSA signature with a key from any SPKI the `rsa` crate accepts, skipping
    /// Clyra's key rules (2048–4096 bits, e = 65537); for Wycheproof groups with e = 3.
    pub fn rsa_verify_unchecked_key(
        spki_der: &[u8],
        scheme: Scheme,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), SignatureError> {
        crate::crypto::verify_rsa_spki_unchecked(spki_der, scheme, msg, sig)
    }
}
