//! Errors of key parsing (`key.*`) and signature verification (`sig.*`).

use crate::error::Coded;

/// A public or private key could not be parsed, or breaks the key rules.
///
/// spec: signatures.md §2 — every rule has its own code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The scheme name is not one of the registered names.
    #[error("unknown signature scheme `{name}`")]
    UnknownScheme {
        /// The name as given.
        name: String,
    },
    /// The encoded key is larger than `Limits::key_max_bytes`.
    #[error("key encoding of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The PEM text breaks the strict PEM rules.
    #[error("malformed PEM public key: {reason}")]
    PemMalformed {
        /// Which rule was broken.
        reason: &'static str,
    },
    /// The DER bytes are not a strictly DER-encoded SubjectPublicKeyInfo.
    #[error("malformed DER public key: {reason}")]
    DerMalformed {
        /// Which rule was broken.
        reason: &'static str,
    },
    /// The SPKI algorithm is not Ed25519, P-256 or RSA (or has the wrong parameters).
    #[error("unsupported public key algorithm `{oid}`")]
    UnsupportedAlgorithm {
        /// The algorithm OID (and curve OID) found.
        oid: String,
    },
    /// The key material does not decode to a valid public key.
    #[error("invalid public key: {reason}")]
    Invalid {
        /// Why the key material was refused.
        reason: &'static str,
    },
    /// A P-256 point is not in uncompressed SEC1 form.
    #[error("P-256 public key point must be uncompressed")]
    PointNotUncompressed,
    /// The RSA modulus size is outside 2048..=4096 bits.
    #[error("RSA modulus of {bits} bits is outside 2048 to 4096 bits")]
    RsaSize {
        /// Bit length of the modulus.
        bits: usize,
    },
    /// The RSA public exponent is not 65537.
    #[error("RSA public exponent must be 65537")]
    RsaExponent,
    /// A PKCS#8 private key could not be parsed.
    #[error("malformed PKCS#8 private key: {reason}")]
    Pkcs8Malformed {
        /// What went wrong.
        reason: &'static str,
    },
    /// The core does not sign with this scheme (RSA is verify-only).
    #[error("signing with scheme `{scheme}` is not supported")]
    SigningUnsupported {
        /// The scheme asked for.
        scheme: &'static str,
    },
}

impl Coded for KeyError {
    fn code(&self) -> &'static str {
        match self {
            KeyError::UnknownScheme { .. } => "key.unknown_scheme",
            KeyError::TooLarge { .. } => "key.too_large",
            KeyError::PemMalformed { .. } => "key.pem_malformed",
            KeyError::DerMalformed { .. } => "key.der_malformed",
            KeyError::UnsupportedAlgorithm { .. } => "key.unsupported_algorithm",
            KeyError::Invalid { .. } => "key.invalid",
            KeyError::PointNotUncompressed => "key.point_not_uncompressed",
            KeyError::RsaSize { .. } => "key.rsa_size",
            KeyError::RsaExponent => "key.rsa_exponent",
            KeyError::Pkcs8Malformed { .. } => "key.pkcs8_malformed",
            KeyError::SigningUnsupported { .. } => "key.signing_unsupported",
        }
    }
}

/// A signature did not verify, or could not be checked with the given key and scheme.
///
/// spec: signatures.md §4.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The key's algorithm cannot be used with the scheme.
    #[error("scheme `{scheme}` cannot be used with a {key} key")]
    SchemeMismatch {
        /// The scheme asked for.
        scheme: &'static str,
        /// The key's algorithm.
        key: &'static str,
    },
    /// The signature bytes are not a well-formed signature for the scheme and key.
    #[error("malformed signature: {reason}")]
    Malformed {
        /// Which encoding rule was broken.
        reason: &'static str,
    },
    /// The signature is well formed but does not verify.
    #[error("signature does not verify")]
    Invalid,
}

impl Coded for SignatureError {
    fn code(&self) -> &'static str {
        match self {
            SignatureError::SchemeMismatch { .. } => "sig.scheme_mismatch",
            SignatureError::Malformed { .. } => "sig.malformed",
            SignatureError::Invalid => "sig.invalid",
        }
    }
}
