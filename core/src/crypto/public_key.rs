//! Public keys parsed strictly from SPKI (DER or PEM), with their keyids.

use std::fmt;

use rsa::traits::PublicKeyParts as _;
use spki::der::{Decode as _, Encode as _};
use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

use super::{pem, KeyError, Scheme};
use crate::digest::Sha256Digest;
use crate::limits::Limits;

const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The SPKI prefix of every Ed25519 public key (RFC 8410); the 32 key bytes follow.
pub(crate) const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The SPKI prefix of every uncompressed P-256 public key (RFC 5480); the 65-byte point follows.
pub(crate) const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Smallest and largest RSA modulus accepted, in bits.
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 4096;
const RSA_EXPONENT: u64 = 65537;

/// The algorithm of a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// An Ed25519 key.
    Ed25519,
    /// An ECDSA key on NIST P-256.
    EcdsaP256,
    /// An RSA key (2048 to 4096 bits, e = 65537).
    Rsa,
}

impl KeyAlgorithm {
    /// A short lowercase name for messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::EcdsaP256 => "ecdsa-p256",
            KeyAlgorithm::Rsa => "rsa",
        }
    }
}

/// The parsed key material, ready for verification.
#[derive(Clone)]
pub(crate) enum KeyMaterial {
    Ed25519(ed25519_dalek::VerifyingKey),
    EcdsaP256(p256::ecdsa::VerifyingKey),
    Rsa(rsa::RsaPublicKey),
}

/// A public key that passed every key rule, with its SPKI DER and keyid.
///
/// Two keys are equal when their SPKI DER bytes are equal.
#[derive(Clone)]
pub struct PublicKey {
    material: KeyMaterial,
    // INVARIANT: `spki_der` is the strict DER encoding `material` was parsed from, and `keyid` is
    // `sha256:` + hex(SHA-256(spki_der)).
    spki_der: Vec<u8>,
    keyid: String,
}

impl PublicKey {
    /// Parses a strict PEM `PUBLIC KEY` block (see `spec/signatures.md` §2).
    pub fn from_pem(pem: &[u8], limits: &Limits) -> Result<Self, KeyError> {
        check_size(pem.len(), limits)?;
        let der = pem::decode_public_key(pem)?;
        Self::from_spki_der(&der, limits)
    }

    /// Parses a strictly DER-encoded SubjectPublicKeyInfo (see `spec/signatures.md` §2).
    pub fn from_spki_der(der: &[u8], limits: &Limits) -> Result<Self, KeyError> {
        check_size(der.len(), limits)?;
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| {
            // A well-formed SPKI whose algorithm OID the OID parser cannot hold (an arc beyond
            // its range) is an unknown algorithm, not malformed DER (signatures.md §2.2).
            match unparsed_oid(der) {
                Some(oid) => KeyError::UnsupportedAlgorithm { oid },
                None => KeyError::DerMalformed {
                    reason: "not a DER SubjectPublicKeyInfo",
                },
            }
        })?;
        // spec: signatures.md §2.2 — DER only: the structure must re-encode to the same bytes.
        let reencoded = spki.to_der().map_err(|_| KeyError::DerMalformed {
            reason: "SubjectPublicKeyInfo does not re-encode",
        })?;
        if reencoded != der {
            return Err(KeyError::DerMalformed {
                reason: "SubjectPublicKeyInfo is not in canonical DER form",
            });
        }
        let key_bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or(KeyError::DerMalformed {
                reason: "public key bit string has unused bits",
            })?;
        let oid = spki.algorithm.oid;
        let params = spki.algorithm.parameters;
        let material = if oid == OID_ED25519 && params.is_none() {
            ed25519_material(key_bytes)?
        } else if oid == OID_EC_PUBLIC_KEY
            && params.and_then(|p| p.decode_as::<ObjectIdentifier>().ok()) == Some(OID_P256)
        {
            p256_material(key_bytes)?
        } else if oid == OID_RSA && params.is_some_and(|p| p.is_null()) {
            rsa_material(key_bytes)?
        } else {
            let curve = params
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .map(|c| format!(" {c}"))
                .unwrap_or_default();
            return Err(KeyError::UnsupportedAlgorithm {
                oid: format!("{oid}{curve}"),
            });
        };
        Ok(Self::new(material, der.to_vec()))
    }

    /// Builds an Ed25519 key from its 32 raw bytes (RFC 8032 encoding of the point A).
    pub fn ed25519_from_raw(raw: &[u8; 32]) -> Result<Self, KeyError> {
        let material = ed25519_material(raw)?;
        let mut der = ED25519_SPKI_PREFIX.to_vec();
        der.extend_from_slice(raw);
        Ok(Self::new(material, der))
    }

    pub(crate) fn new(material: KeyMaterial, spki_der: Vec<u8>) -> Self {
        // spec: signatures.md §3 — keyid = `sha256:` + hex(SHA-256(SPKI DER)).
        let keyid = Sha256Digest::of(&spki_der).to_prefixed();
        Self {
            material,
            spki_der,
            keyid,
        }
    }

    /// The keyid: `sha256:` followed by the lowercase hex SHA-256 of the SPKI DER.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    /// The SubjectPublicKeyInfo DER bytes.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The key as the one accepted PEM form (64-character lines, LF, trailing LF).
    pub fn to_pem(&self) -> String {
        pem::encode_public_key(&self.spki_der)
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self.material {
            KeyMaterial::Ed25519(_) => KeyAlgorithm::Ed25519,
            KeyMaterial::EcdsaP256(_) => KeyAlgorithm::EcdsaP256,
            KeyMaterial::Rsa(_) => KeyAlgorithm::Rsa,
        }
    }

    /// Whether this key may verify signatures of `scheme`.
    ///
    /// spec: signatures.md §4.1 — Ed25519 and P-256 keys fix their scheme; RSA keys accept both
    /// RSA schemes (the scheme is recorded next to the signature).
    pub fn scheme_allowed(&self, scheme: Scheme) -> bool {
        matches!(
            (&self.material, scheme),
            (KeyMaterial::Ed25519(_), Scheme::Ed25519)
                | (KeyMaterial::EcdsaP256(_), Scheme::EcdsaP256Sha256)
                | (
                    KeyMaterial::Rsa(_),
                    Scheme::RsaPkcs1v15Sha256 | Scheme::RsaPssSha256
                )
        )
    }

    /// The only scheme an Ed25519 or P-256 key can use; `None` for RSA keys.
    pub fn implied_scheme(&self) -> Option<Scheme> {
        match self.material {
            KeyMaterial::Ed25519(_) => Some(Scheme::Ed25519),
            KeyMaterial::EcdsaP256(_) => Some(Scheme::EcdsaP256Sha256),
            KeyMaterial::Rsa(_) => None,
        }
    }

    pub(crate) fn material(&self) -> &KeyMaterial {
        &self.material
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm())
            .field("keyid", &self.keyid)
            .finish()
    }
}

/// When `der` is a structurally valid DER SubjectPublicKeyInfo — SEQUENCE { SEQUENCE { OID,
/// at most one parameter of any tag }, BIT STRING with 0 unused bits }, minimal lengths, no
/// trailing bytes — that the `spki` parser still refused (an OID arc beyond `const-oid`'s range,
/// a parameter tag `der` does not know), a description of its algorithm; else `None`. Found by the
/// Rust-vs-Go differential campaign (OID 2.15253.112; ecPublicKey with a tag-7 parameter).
fn unparsed_oid(der: &[u8]) -> Option<String> {
    let (outer, rest) = tlv(der)?;
    if outer.0 != 0x30 || !rest.is_empty() {
        return None;
    }
    let (alg, rest) = tlv(outer.1)?;
    let (bits, rest) = tlv(rest)?;
    if alg.0 != 0x30 || bits.0 != 0x03 || bits.1.first() != Some(&0) || !rest.is_empty() {
        return None;
    }
    let (oid, rest) = tlv(alg.1)?;
    let (param, rest) = if rest.is_empty() {
        (None, rest)
    } else {
        let (p, r) = tlv(rest)?;
        (Some(p.0), r)
    };
    // X.690 8.19: each subidentifier minimal (no leading 0x80), the last octet ends one.
    let bytes = oid.1;
    let mut at_start = true;
    for b in bytes {
        if at_start && *b == 0x80 {
            return None;
        }
        at_start = b & 0x80 == 0;
    }
    let ok = oid.0 == 0x06 && rest.is_empty() && at_start && !bytes.is_empty();
    ok.then(|| {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        match param {
            Some(tag) => format!("oid {hex} with a parameter of tag {tag:#04x}"),
            None => format!("oid {hex}"),
        }
    })
}

/// A DER element: its tag octet and its value octets.
type Element<'a> = (u8, &'a [u8]);

/// One DER TLV with a low tag number and a minimal definite length: (element, rest).
fn tlv(bytes: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (len_bytes, rest) = rest.split_at(n);
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        // Minimal: no leading zero octet, and long form only when short form cannot hold it.
        if len_bytes.first() == Some(&0) || len < 0x80 {
            return None;
        }
        (len, rest)
    };
    (rest.len() >= len).then(|| {
        let (value, rest) = rest.split_at(len);
        ((tag, value), rest)
    })
}

fn check_size(size: usize, limits: &Limits) -> Result<(), KeyError> {
    if size > limits.key_max_bytes {
        return Err(KeyError::TooLarge {
            size,
            limit: limits.key_max_bytes,
        });
    }
    Ok(())
}

fn ed25519_material(bytes: &[u8]) -> Result<KeyMaterial, KeyError> {
    let raw: &[u8; 32] = bytes.try_into().map_err(|_| KeyError::Invalid {
        reason: "an Ed25519 key is 32 bytes",
    })?;
    // Decompression only: small-order and mixed-order points are accepted here, as by Go
    // (spec: signatures.md §4.2).
    let key = ed25519_dalek::VerifyingKey::from_bytes(raw).map_err(|_| KeyError::Invalid {
        reason: "bytes are not an Ed25519 point",
    })?;
    Ok(KeyMaterial::Ed25519(key))
}

fn p256_material(bytes: &[u8]) -> Result<KeyMaterial, KeyError> {
    // spec: signatures.md §2.3 — SEC1 uncompressed form only (0x04 || X || Y).
    match bytes.first() {
        Some(0x04) if bytes.len() == 65 => {}
        Some(0x02 | 0x03) => return Err(KeyError::PointNotUncompressed),
        _ => {
            return Err(KeyError::Invalid {
                reason: "a P-256 key is a 65-byte uncompressed SEC1 point",
            })
        }
    }
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes).map_err(|_| KeyError::Invalid {
        reason: "point is not on the P-256 curve",
    })?;
    Ok(KeyMaterial::EcdsaP256(key))
}

fn rsa_material(bytes: &[u8]) -> Result<KeyMaterial, KeyError> {
    let pkcs1 = rsa::pkcs1::RsaPublicKey::from_der(bytes).map_err(|_| KeyError::DerMalformed {
        reason: "not a DER RSAPublicKey",
    })?;
    // The bit string's content is opaque to the SPKI re-encoding check: re-encode it as well.
    if pkcs1.to_der().ok().as_deref() != Some(bytes) {
        return Err(KeyError::DerMalformed {
            reason: "RSAPublicKey is not in canonical DER form",
        });
    }
    let n = rsa::BigUint::from_bytes_be(pkcs1.modulus.as_bytes());
    let e = rsa::BigUint::from_bytes_be(pkcs1.public_exponent.as_bytes());
    // spec: signatures.md §2.4 — 2048 to 4096 bits, e = 65537.
    let bits = n.bits();
    if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
        return Err(KeyError::RsaSize { bits });
    }
    if e != rsa::BigUint::from(RSA_EXPONENT) {
        return Err(KeyError::RsaExponent);
    }
    let key = rsa::RsaPublicKey::new(n, e).map_err(|_| KeyError::Invalid {
        reason: "RSA key parameters are out of range",
    })?;
    debug_assert_eq!(key.n().bits(), bits);
    Ok(KeyMaterial::Rsa(key))
}
