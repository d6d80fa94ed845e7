//! Signature verification for the four schemes.
//!
//! spec: signatures.md §4 — the rules are chosen to agree with Go's standard library, which the
//! independent verifier uses: cofactorless Ed25519, DER ECDSA with high-S accepted, RSA with an
//! explicit `s < n` check and PSS with a fixed 32-byte salt.

use p256::ecdsa::signature::Verifier as _;
use rsa::traits::PublicKeyParts as _;
use sha2::Sha256;
use spki::DecodePublicKey as _;

use super::public_key::KeyMaterial;
use super::{PublicKey, Scheme, SignatureError};

/// The PSS salt length every Clyra RSA-PSS signature uses (the SHA-256 output size).
const PSS_SALT_LEN: usize = 32;

/// Verifies `sig` over `msg` with `key` under `scheme`.
///
/// Fails with `sig.scheme_mismatch` when the key cannot use the scheme, `sig.malformed` when the
/// signature bytes cannot be a signature of this scheme and key, and `sig.invalid` otherwise.
pub fn verify(
    key: &PublicKey,
    scheme: Scheme,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), SignatureError> {
    // spec: signatures.md §4.1 — the key's algorithm must allow the scheme.
    if !key.scheme_allowed(scheme) {
        return Err(SignatureError::SchemeMismatch {
            scheme: scheme.as_str(),
            key: key.algorithm().as_str(),
        });
    }
    match key.material() {
        KeyMaterial::Ed25519(vk) => verify_ed25519(vk, msg, sig),
        KeyMaterial::EcdsaP256(vk) => verify_p256(vk, msg, sig),
        KeyMaterial::Rsa(pk) => verify_rsa(pk, scheme, msg, sig),
    }
}

fn verify_ed25519(
    vk: &ed25519_dalek::VerifyingKey,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), SignatureError> {
    let bytes: &[u8; 64] = sig.try_into().map_err(|_| SignatureError::Malformed {
        reason: "an Ed25519 signature is 64 bytes",
    })?;
    let sig = ed25519_dalek::Signature::from_bytes(bytes);
    // spec: signatures.md §4.2 — cofactorless `verify`, not `verify_strict`: this accepts the
    // same speccheck cases as Go's crypto/ed25519 (S must still be below L).
    vk.verify(msg, &sig).map_err(|_| SignatureError::Invalid)
}

fn verify_p256(
    vk: &p256::ecdsa::VerifyingKey,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), SignatureError> {
    // spec: signatures.md §4.3 — strict DER (no BER, no trailing bytes, r and s in [1, n-1]);
    // high-S signatures are accepted, as by Go.
    let sig = p256::ecdsa::Signature::from_der(sig).map_err(|_| SignatureError::Malformed {
        reason: "not a DER ECDSA P-256 signature",
    })?;
    vk.verify(msg, &sig).map_err(|_| SignatureError::Invalid)
}

/// Verifies an RSA signature; the key's size and exponent are not checked here.
pub(crate) fn verify_rsa(
    pk: &rsa::RsaPublicKey,
    scheme: Scheme,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), SignatureError> {
    // spec: signatures.md §4.4 — the signature has exactly the modulus length and, read as a
    // big-endian integer, is below n (checked here, not left to the crate).
    if sig.len() != pk.size() {
        return Err(SignatureError::Malformed {
            reason: "RSA signature length differs from the modulus length",
        });
    }
    if rsa::BigUint::from_bytes_be(sig) >= *pk.n() {
        return Err(SignatureError::Malformed {
            reason: "RSA signature is not below the modulus",
        });
    }
    let invalid = |_| SignatureError::Invalid;
    match scheme {
        Scheme::RsaPkcs1v15Sha256 => {
            let vk = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(pk.clone());
            let sig = rsa::pkcs1v15::Signature::try_from(sig).map_err(invalid)?;
            vk.verify(msg, &sig).map_err(invalid)
        }
        Scheme::RsaPssSha256 => {
            // spec: signatures.md §4.5 — MGF1-SHA-256, salt length exactly 32.
            let vk = rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(pk.clone(), PSS_SALT_LEN);
            let sig = rsa::pss::Signature::try_from(sig).map_err(invalid)?;
            vk.verify(msg, &sig).map_err(invalid)
        }
        Scheme::Ed25519 | Scheme::EcdsaP256Sha256 => Err(SignatureError::SchemeMismatch {
            scheme: scheme.as_str(),
            key: "rsa",
        }),
    }
}

/// Verifies an RSA signature with a key taken from any SPKI the `rsa` crate accepts, bypassing
/// Clyra's key rules (size 2048–4096, e = 65537). For conformance tests only: Wycheproof has
/// groups with e = 3.
pub(crate) fn verify_rsa_spki_unchecked(
    spki_der: &[u8],
    scheme: Scheme,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), SignatureError> {
    let pk = rsa::RsaPublicKey::from_public_key_der(spki_der).map_err(|_| {
        SignatureError::Malformed {
            reason: "not an RSA public key",
        }
    })?;
    verify_rsa(&pk, scheme, msg, sig)
}
