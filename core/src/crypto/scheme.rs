//! The closed set of signature schemes Clyra knows, and their registered names.

use std::fmt;
use std::str::FromStr;

use super::KeyError;

/// A signature scheme: key algorithm, hash and signature encoding together.
///
/// spec: signatures.md §1 — the names are the strings recorded in trust files and predicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Ed25519 (RFC 8032), 64-byte signatures, cofactorless verification.
    Ed25519,
    /// ECDSA over P-256 with SHA-256, ASN.1 DER signatures.
    EcdsaP256Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (verify only).
    RsaPkcs1v15Sha256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (verify only).
    RsaPssSha256,
}

impl Scheme {
    /// Every scheme, in registry order.
    pub const ALL: [Scheme; 4] = [
        Scheme::Ed25519,
        Scheme::EcdsaP256Sha256,
        Scheme::RsaPkcs1v15Sha256,
        Scheme::RsaPssSha256,
    ];

    /// The registered name, e.g. `ecdsa-p256-sha256`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Ed25519 => "ed25519",
            Scheme::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Scheme::RsaPkcs1v15Sha256 => "rsa-pkcs1v15-sha256",
            Scheme::RsaPssSha256 => "rsa-pss-sha256",
        }
    }
}

impl FromStr for Scheme {
    type Err = KeyError;

    /// Parses a registered name exactly (case-sensitive); anything else is `key.unknown_scheme`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| KeyError::UnknownScheme {
                name: name.to_owned(),
            })
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Coded;

    #[test]
    fn names_round_trip() {
        for s in Scheme::ALL {
            assert_eq!(s.as_str().parse::<Scheme>().unwrap(), s);
        }
    }

    #[test]
    fn unknown_names_are_typed_errors() {
        for name in [
            "",
            "ED25519",
            "ecdsa-p256",
            "rsa-pss-sha256 ",
            "hmac-sha256",
        ] {
            let err = name.parse::<Scheme>().unwrap_err();
            assert_eq!(err.code(), "key.unknown_scheme", "{name}");
        }
    }
}
