//! The `Signer` trait: how every signing path of the core signs, whoever holds the private key.
//!
//! spec: signer-command-v0.md §1 — the core never opens a key store, a device or a process: a
//! host hands it a `Signer` (a key file, a PKCS#11 token, an external command, a cloud KMS behind
//! one) that returns a signature over the exact message bytes it is given (for DSSE, the PAE).
//! [`sign_checked`] verifies what a signer returned with the signer's own public key before any
//! signature is written, so a misbehaving signer yields a typed error, never a broken bundle.

use super::{verify, PublicKey, Scheme, SigningKey};
use crate::error::Coded;

/// Something that signs messages with one private key whose public half and scheme it knows.
///
/// Implementations return, for `ed25519`, the raw 64-byte signature; for `ecdsa-p256-sha256`, an
/// ASN.1 DER ECDSA signature over SHA-256(message) (signatures.md §3). RSA schemes are
/// verify-only and never sign (DESIGN §7).
pub trait Signer {
    /// The public key of the signing key; its keyid names the signature.
    fn public_key(&self) -> &PublicKey;

    /// The scheme the signatures are made with, recorded in the signed predicate.
    fn scheme(&self) -> Scheme;

    /// Signs `message` (its exact bytes; the signer hashes as the scheme requires).
    ///
    /// An error message must never contain secret material (a private key, a PIN, a token).
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError>;
}

impl Signer for SigningKey {
    fn public_key(&self) -> &PublicKey {
        SigningKey::public_key(self)
    }

    fn scheme(&self) -> Scheme {
        SigningKey::scheme(self)
    }

    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        Ok(self.sign(message))
    }
}

impl<S: Signer + ?Sized> Signer for &S {
    fn public_key(&self) -> &PublicKey {
        (**self).public_key()
    }

    fn scheme(&self) -> Scheme {
        (**self).scheme()
    }

    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        (**self).try_sign(message)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn public_key(&self) -> &PublicKey {
        (**self).public_key()
    }

    fn scheme(&self) -> Scheme {
        (**self).scheme()
    }

    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        (**self).try_sign(message)
    }
}

/// Signs `message` with `signer` and checks the signature with the signer's public key.
///
/// spec: signer-command-v0.md §5 — a signature that does not verify under the signer's key and
/// scheme is `signer.bad_signature`: the signer answered with another key, another scheme, or
/// garbage. An RSA scheme is `key.signing_unsupported` before the signer is asked.
pub fn sign_checked<S: Signer + ?Sized>(
    signer: &S,
    message: &[u8],
) -> Result<Vec<u8>, SignerError> {
    let scheme = signer.scheme();
    if matches!(scheme, Scheme::RsaPkcs1v15Sha256 | Scheme::RsaPssSha256) {
        return Err(SignerError::new(
            SignerErrorKind::Unsupported,
            format!("signing with scheme `{}` is not supported", scheme.as_str()),
        ));
    }
    let signature = signer.try_sign(message)?;
    verify(signer.public_key(), scheme, message, &signature).map_err(|e| {
        SignerError::new(
            SignerErrorKind::BadSignature,
            format!(
                "the signer's answer is not a valid `{}` signature by `{}` ({})",
                scheme.as_str(),
                signer.public_key().keyid(),
                e.code()
            ),
        )
    })?;
    Ok(signature)
}

/// Why a signer could not sign: one kind per stable `signer.*` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignerErrorKind {
    /// A key URI that cannot be parsed or names an unknown scheme (`signer.uri`).
    Uri,
    /// The key, token, slot or object named is not there (`signer.not_found`).
    NotFound,
    /// The PIN could not be read from its source, or was refused (`signer.pin`).
    Pin,
    /// The key's algorithm or the mechanism it needs is not supported (`signer.unsupported`).
    Unsupported,
    /// The device, library or command failed to sign (`signer.failed`).
    Failed,
    /// The external command did not answer in time (`signer.timeout`).
    Timeout,
    /// The answer is malformed, too large, or not a valid signature by the key
    /// (`signer.bad_signature`).
    BadSignature,
}

impl SignerErrorKind {
    /// The stable code of this kind.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Uri => "signer.uri",
            Self::NotFound => "signer.not_found",
            Self::Pin => "signer.pin",
            Self::Unsupported => "signer.unsupported",
            Self::Failed => "signer.failed",
            Self::Timeout => "signer.timeout",
            Self::BadSignature => "signer.bad_signature",
        }
    }

    /// Every kind, for registry tests.
    pub const ALL: [SignerErrorKind; 7] = [
        Self::Uri,
        Self::NotFound,
        Self::Pin,
        Self::Unsupported,
        Self::Failed,
        Self::Timeout,
        Self::BadSignature,
    ];
}

/// A signer could not sign. The message never holds secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SignerError {
    kind: SignerErrorKind,
    message: String,
}

impl SignerError {
    /// An error of `kind` explained by `message` (lowercase, no secret material).
    pub fn new(kind: SignerErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// What kind of problem it is.
    pub const fn kind(&self) -> SignerErrorKind {
        self.kind
    }
}

impl Coded for SignerError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Liar(SigningKey, SigningKey);

    impl Signer for Liar {
        fn public_key(&self) -> &PublicKey {
            self.0.public_key()
        }
        fn scheme(&self) -> Scheme {
            self.0.scheme()
        }
        fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
            Ok(self.1.sign(message))
        }
    }

    #[test]
    fn checked_signing_accepts_the_key_and_refuses_another_key() {
        let a = SigningKey::generate(Scheme::Ed25519, [1; 32]).unwrap();
        let b = SigningKey::generate(Scheme::Ed25519, [2; 32]).unwrap();
        let sig = sign_checked(&a, b"msg").unwrap();
        assert_eq!(sig, a.sign(b"msg"));
        let err = sign_checked(&Liar(a, b), b"msg").unwrap_err();
        assert_eq!(err.code(), "signer.bad_signature");
    }

    #[test]
    fn p256_keys_sign_through_the_trait_and_boxes_forward() {
        let k = SigningKey::generate(Scheme::EcdsaP256Sha256, [3; 32]).unwrap();
        let boxed: Box<dyn Signer> = Box::new(k.clone());
        let sig = sign_checked(&boxed, b"m").unwrap();
        verify(k.public_key(), Scheme::EcdsaP256Sha256, b"m", &sig).unwrap();
        assert_eq!(boxed.scheme(), Scheme::EcdsaP256Sha256);
    }
}
