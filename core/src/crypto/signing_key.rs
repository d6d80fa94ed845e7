//! Signing keys (Ed25519 and P-256 only): import, export, deterministic generation from a seed.
//!
//! RSA signing is deliberately absent from production code (DESIGN §7): the `rsa` crate's
//! signing is exposed to RUSTSEC-2023-0071 and Clyra only needs to verify RSA signatures.

use std::fmt;

use ed25519_dalek::Signer as _;
use pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use sha2::{Digest as _, Sha256};
use zeroize::{Zeroize as _, Zeroizing};

use super::public_key::{KeyMaterial, ED25519_SPKI_PREFIX, P256_SPKI_PREFIX};
use super::{KeyError, PublicKey, Scheme};

const OID_ED25519: pkcs8::ObjectIdentifier = pkcs8::ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_EC_PUBLIC_KEY: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// Domain separation tag of P-256 key derivation (see [`SigningKey::generate`]).
const P256_KEYGEN_TAG: &[u8] = b"clyra p256 keygen v1";

#[derive(Clone)]
enum Secret {
    Ed25519(ed25519_dalek::SigningKey),
    EcdsaP256(p256::ecdsa::SigningKey),
}

/// A private key that signs evidence: Ed25519 or ECDSA P-256.
///
/// The secret is zeroized on drop; `Debug` prints only the public keyid.
#[derive(Clone)]
pub struct SigningKey {
    secret: Secret,
    public: PublicKey,
}

impl SigningKey {
    /// Derives a key deterministically from 32 bytes of caller-supplied randomness.
    ///
    /// The core has no randomness of its own: the caller draws `seed` from a CSPRNG.
    /// - `ed25519`: `seed` is the RFC 8032 private key as is.
    /// - `ecdsa-p256-sha256`: the scalar is SHA-256(`"clyra p256 keygen v1"` ‖ seed ‖ counter as
    ///   4 big-endian bytes) for the first counter from 0 whose digest is a valid scalar
    ///   (non-zero and below the group order; a retry happens with probability below 2^-32).
    /// - RSA schemes: `key.signing_unsupported`.
    pub fn generate(scheme: Scheme, seed: [u8; 32]) -> Result<Self, KeyError> {
        let seed = Zeroizing::new(seed);
        match scheme {
            Scheme::Ed25519 => Ok(Self::from_secret(Secret::Ed25519(
                ed25519_dalek::SigningKey::from_bytes(&seed),
            ))),
            Scheme::EcdsaP256Sha256 => {
                for counter in 0u32..=u32::MAX {
                    let mut digest = Sha256::new();
                    digest.update(P256_KEYGEN_TAG);
                    digest.update(seed.as_slice());
                    digest.update(counter.to_be_bytes());
                    let mut candidate: [u8; 32] = digest.finalize().into();
                    let key = p256::ecdsa::SigningKey::from_slice(&candidate);
                    candidate.zeroize();
                    if let Ok(key) = key {
                        return Ok(Self::from_secret(Secret::EcdsaP256(key)));
                    }
                }
                Err(KeyError::Invalid {
                    reason: "no valid P-256 scalar derived from the seed",
                })
            }
            Scheme::RsaPkcs1v15Sha256 | Scheme::RsaPssSha256 => Err(KeyError::SigningUnsupported {
                scheme: scheme.as_str(),
            }),
        }
    }

    /// Parses an unencrypted PKCS#8 `PRIVATE KEY` PEM holding an Ed25519 or P-256 key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let bad = |reason| KeyError::Pkcs8Malformed { reason };
        let (label, doc) = pkcs8::SecretDocument::from_pem(pem)
            .map_err(|_| bad("not a PEM-encoded PKCS#8 document"))?;
        if label != "PRIVATE KEY" {
            return Err(bad("PEM label must be `PRIVATE KEY`"));
        }
        let info = pkcs8::PrivateKeyInfo::try_from(doc.as_bytes())
            .map_err(|_| bad("not a PKCS#8 PrivateKeyInfo"))?;
        let secret = if info.algorithm.oid == OID_ED25519 {
            Secret::Ed25519(
                ed25519_dalek::SigningKey::from_pkcs8_der(doc.as_bytes())
                    .map_err(|_| bad("invalid Ed25519 private key"))?,
            )
        } else if info.algorithm.oid == OID_EC_PUBLIC_KEY {
            Secret::EcdsaP256(
                p256::ecdsa::SigningKey::from_pkcs8_der(doc.as_bytes())
                    .map_err(|_| bad("invalid P-256 private key"))?,
            )
        } else {
            return Err(bad("only Ed25519 and P-256 private keys can sign"));
        };
        Ok(Self::from_secret(secret))
    }

    fn from_secret(secret: Secret) -> Self {
        let public = match &secret {
            Secret::Ed25519(key) => {
                let vk = key.verifying_key();
                let mut der = ED25519_SPKI_PREFIX.to_vec();
                der.extend_from_slice(vk.as_bytes());
                PublicKey::new(KeyMaterial::Ed25519(vk), der)
            }
            Secret::EcdsaP256(key) => {
                let vk = *key.verifying_key();
                // SPKI DER of an uncompressed P-256 point: fixed 26-byte prefix + 65-byte point.
                let mut der = P256_SPKI_PREFIX.to_vec();
                der.extend_from_slice(vk.to_encoded_point(false).as_bytes());
                PublicKey::new(KeyMaterial::EcdsaP256(vk), der)
            }
        };
        Self { secret, public }
    }

    /// Exports the key as an unencrypted PKCS#8 PEM (LF line endings), zeroized on drop.
    ///
    /// Ed25519 keys are written as PKCS#8 v1 (RFC 8410 §7, no public key member): OpenSSL 3.0
    /// and most tools read only that form; the public key is derived from the seed anyway.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let pem = match &self.secret {
            Secret::Ed25519(key) => ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: key.to_bytes(),
                public_key: None,
            }
            .to_pkcs8_pem(LineEnding::LF),
            Secret::EcdsaP256(key) => key.to_pkcs8_pem(LineEnding::LF),
        };
        pem.map_err(|_| KeyError::Pkcs8Malformed {
            reason: "private key could not be encoded",
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The scheme this key signs with.
    pub fn scheme(&self) -> Scheme {
        match self.secret {
            Secret::Ed25519(_) => Scheme::Ed25519,
            Secret::EcdsaP256(_) => Scheme::EcdsaP256Sha256,
        }
    }

    /// Signs `msg`: Ed25519 gives the raw 64 bytes; P-256 gives an ASN.1 DER ECDSA signature
    /// over SHA-256(msg) with an RFC 6979 deterministic nonce.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match &self.secret {
            Secret::Ed25519(key) => key.sign(msg).to_bytes().to_vec(),
            Secret::EcdsaP256(key) => {
                let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(key, msg);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("scheme", &self.scheme())
            .field("keyid", &self.public.keyid())
            .finish_non_exhaustive()
    }
}
