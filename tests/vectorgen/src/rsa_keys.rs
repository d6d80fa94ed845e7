//! RSA signing for the RSA vectors (`rsa-pkcs1v15-sha256`, `rsa-pss-sha256`).
//!
//! Clyra never signs with RSA in production code (signatures.md §1, DESIGN §7): the `rsa` crate's
//! private-key operations are exposed to RUSTSEC-2023-0071 (Marvin, a timing side channel). This
//! is the justified exception FIELD-NOTES asks for: vectorgen is a test-only generator that runs
//! offline on fixed keys committed in `vectors/keys/` (conformance.md §2.3: "RSA signing is done by
//! vectorgen alone"), its keys protect nothing, and no attacker can time it. Keys are made once from
//! a seeded deterministic generator (SHA-256 in counter mode over SHA-256(key name)) and only read
//! afterwards; PSS salts come from the vector's seed (conformance.md §4.1), so every byte is
//! reproducible.

use std::collections::BTreeMap;
use std::path::Path;

use clyra_core::crypto::{PublicKey, Scheme};
use clyra_core::dsse::{self, Envelope};
use clyra_core::Limits;
use rand_core::{CryptoRng, RngCore};
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _, Signer as _};
use rsa::RsaPrivateKey;
use sha2::{Digest, Sha256};

/// The RSA keys of `vectors/keys/`, in the order they were created, with their modulus size.
pub const RSA_KEY_NAMES: &[(&str, usize)] = &[
    ("producer-rsa2048-1", 2048),
    ("producer-rsa3072-1", 3072),
    ("approver-rsa2048-1", 2048),
];

/// A deterministic byte stream: SHA-256(seed ‖ counter as 8 bytes big-endian), block after block.
/// Only for generating fixed test keys and PSS salts; never for anything secret.
pub struct SeedRng {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeedRng {
    /// A stream from `seed`.
    pub fn new(seed: [u8; 32]) -> SeedRng {
        SeedRng {
            seed,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl RngCore for SeedRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_be_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_be_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for byte in dest {
            if self.used == 32 {
                let mut h = Sha256::new();
                h.update(self.seed);
                h.update(self.counter.to_be_bytes());
                self.block = h.finalize().into();
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for SeedRng {}

/// The loaded RSA keys, by name.
pub struct RsaKeys(BTreeMap<String, RsaPrivateKey>);

impl RsaKeys {
    /// Reads every RSA key of `dir`, creating (once) the missing ones from SHA-256(key name).
    pub fn load(dir: &Path, create: bool) -> RsaKeys {
        let mut map = BTreeMap::new();
        for (name, bits) in RSA_KEY_NAMES {
            let path = dir.join(format!("{name}.key"));
            if !path.exists() {
                assert!(create, "missing committed key {}", path.display());
                let seed: [u8; 32] = Sha256::digest(name.as_bytes()).into();
                let key = RsaPrivateKey::new(&mut SeedRng::new(seed), *bits).unwrap();
                let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(&path, pem.as_bytes()).unwrap();
            }
            let pem = std::fs::read_to_string(&path).unwrap();
            map.insert(
                (*name).to_owned(),
                RsaPrivateKey::from_pkcs8_pem(&pem).unwrap(),
            );
        }
        RsaKeys(map)
    }

    fn key(&self, name: &str) -> &RsaPrivateKey {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("no RSA key {name}"))
    }

    /// The public key of `name`, as the core reads it.
    pub fn public(&self, name: &str) -> PublicKey {
        let der = self.key(name).to_public_key().to_public_key_der().unwrap();
        PublicKey::from_spki_der(der.as_bytes(), &Limits::default()).unwrap()
    }

    /// A signature over `message` under `scheme`; PSS takes its salt from `salt_seed` and uses
    /// `salt_len` bytes of it (32 is the only length signatures.md §4.5 accepts).
    pub fn sign(
        &self,
        name: &str,
        scheme: Scheme,
        message: &[u8],
        salt_seed: [u8; 32],
        salt_len: usize,
    ) -> Vec<u8> {
        let key = self.key(name).clone();
        match scheme {
            Scheme::RsaPkcs1v15Sha256 => rsa::pkcs1v15::SigningKey::<Sha256>::new(key)
                .sign(message)
                .to_vec(),
            Scheme::RsaPssSha256 => {
                rsa::pss::SigningKey::<Sha256>::new_with_salt_len(key, salt_len)
                    .sign_with_rng(&mut SeedRng::new(salt_seed), message)
                    .to_vec()
            }
            other => panic!("not an RSA scheme: {other:?}"),
        }
    }

    /// The modulus `n` of `name`, big-endian, as long as a signature.
    pub fn modulus(&self, name: &str) -> Vec<u8> {
        use rsa::traits::PublicKeyParts as _;
        self.key(name).n().to_bytes_be()
    }

    /// A DSSE envelope (dsse.md §2) by `name` over `payload`, signed over its PAE; `salt` is the
    /// PSS salt seed and length.
    pub fn envelope(
        &self,
        name: &str,
        scheme: Scheme,
        payload_type: &str,
        payload: &[u8],
        salt: ([u8; 32], usize),
    ) -> Envelope {
        let sig = self.sign(
            name,
            scheme,
            &dsse::pae(payload_type, payload),
            salt.0,
            salt.1,
        );
        Envelope {
            payload_type: payload_type.to_owned(),
            payload: payload.to_vec(),
            signatures: vec![dsse::Signature {
                keyid: self.public(name).keyid().to_owned(),
                sig,
            }],
        }
    }
}
