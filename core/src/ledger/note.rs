//! C2SP signed notes, note verifier keys, tlog checkpoints and tlog cosignatures.
//!
//! spec: ledger-v0.md §3 — the formats are those of `golang.org/x/mod/sumdb/note` and the C2SP
//! `signed-note`, `tlog-checkpoint` and `tlog-cosignature` specifications, so that their tools read
//! Clyra checkpoints and Clyra reads theirs.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::Verifier as _;
use sha2::{Digest as _, Sha256};

use super::{Hash, LedgerError, LedgerErrorKind as K};
use crate::crypto::{sign_checked, KeyAlgorithm, PublicKey, Signer, SigningKey};

/// Signature type byte of an Ed25519 note key (signed-note).
pub const ALG_ED25519: u8 = 0x01;
/// Signature type byte of an Ed25519 cosignature/v1 key (tlog-cosignature).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// The prefix of every signature line: U+2014 EM DASH and a space.
const SIG_PREFIX: &str = "\u{2014} ";
// Most signature lines a note may carry (L49), its largest size (L54) and the largest tree size
// or cosignature time (L50).
use super::limits::{MAX_NOTE_BYTES, MAX_NOTE_SIGNATURES as MAX_SIGNATURES, MAX_TREE_SIZE};

/// Whether `name` is a key name (and origin) Clyra accepts: 1–255 printable ASCII characters
/// other than `+` (ledger-v0.md §3.1, a subset of signed-note's rules).
pub fn valid_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'+')
}

/// The 32-bit key hash of signed-note: the first 4 bytes, big-endian, of
/// `SHA-256(name ‖ "\n" ‖ alg ‖ public key)`.
pub fn key_hash(name: &str, alg: u8, public: &[u8; 32]) -> u32 {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n")
        .chain_update([alg])
        .chain_update(public)
        .finalize();
    let mut four = [0u8; 4];
    four.copy_from_slice(digest.get(..4).unwrap_or(&[0; 4]));
    u32::from_be_bytes(four)
}

/// A note verifier key: a name, a signature type and an Ed25519 public key (ledger-v0.md §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    alg: u8,
    public: [u8; 32],
    hash: u32,
}

impl VerifierKey {
    /// The verifier key named `name` for `public` with signature type `alg` (`0x01` for ledger
    /// keys, `0x04` for witnesses).
    pub fn new(name: &str, alg: u8, public: [u8; 32]) -> Result<Self, LedgerError> {
        if !valid_name(name) {
            return Err(LedgerError::new(
                K::Key,
                format!("`{name}` is not a key name: 1 to 255 printable ASCII characters, no `+`"),
            ));
        }
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE_V1 {
            return Err(LedgerError::new(
                K::Key,
                format!("unknown key type {alg:#04x}"),
            ));
        }
        Ok(Self {
            hash: key_hash(name, alg, &public),
            name: name.to_owned(),
            alg,
            public,
        })
    }

    /// Parses `<name>+<8 hex>+<base64(alg ‖ public key)>`; the hash must match the key.
    pub fn parse(text: &str) -> Result<Self, LedgerError> {
        let bad = || LedgerError::new(K::Key, "a verifier key is `name+8 hex digits+base64 key`");
        let text = text.trim_end_matches('\n');
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(hash_hex), Some(key64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if hash_hex.len() != 8 || !hash_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let hash = u32::from_str_radix(hash_hex, 16).map_err(|_| bad())?;
        let raw = STANDARD.decode(key64).map_err(|_| bad())?;
        let (alg, public) = match raw.split_first() {
            Some((alg, public)) => (*alg, public),
            None => return Err(bad()),
        };
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| LedgerError::new(K::Key, "an Ed25519 verifier key holds 32 key bytes"))?;
        let key = Self::new(name, alg, public)?;
        if key.hash != hash {
            return Err(LedgerError::new(
                K::Key,
                format!("the key hash `{hash_hex}` does not match the key"),
            ));
        }
        Ok(key)
    }

    /// The verifier key of a Clyra Ed25519 signing key, named `name`, of type `alg`.
    pub fn of_signing_key(key: &SigningKey, name: &str, alg: u8) -> Result<Self, LedgerError> {
        Self::of_public_key(key.public_key(), name, alg)
    }

    /// The verifier key of an Ed25519 public key (a token's or a command's), named `name`, of
    /// type `alg`.
    pub fn of_public_key(key: &PublicKey, name: &str, alg: u8) -> Result<Self, LedgerError> {
        Self::new(name, alg, ed25519_public(key)?)
    }

    /// The text form `<name>+<hash>+<base64>`.
    pub fn to_text(&self) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(self.alg);
        raw.extend_from_slice(&self.public);
        format!("{}+{:08x}+{}", self.name, self.hash, STANDARD.encode(raw))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 32-bit key hash.
    pub fn hash(&self) -> u32 {
        self.hash
    }

    /// The signature type: [`ALG_ED25519`] for a ledger key, [`ALG_COSIGNATURE_V1`] for a
    /// witness.
    pub fn alg(&self) -> u8 {
        self.alg
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <&[u8; 64]>::try_from(sig) else {
            return false;
        };
        let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(&self.public) else {
            return false;
        };
        // spec: signatures.md §4.2 — cofactorless verification, as Go's crypto/ed25519.
        vk.verify(msg, &ed25519_dalek::Signature::from_bytes(sig))
            .is_ok()
    }
}

/// The raw 32-byte public key of an Ed25519 signing key; other algorithms are `ledger.key`.
fn ed25519_public(public: &PublicKey) -> Result<[u8; 32], LedgerError> {
    if public.algorithm() != KeyAlgorithm::Ed25519 {
        return Err(LedgerError::new(
            K::Key,
            format!(
                "a ledger or witness key must be Ed25519, not {}",
                public.algorithm().as_str()
            ),
        ));
    }
    let der = public.spki_der();
    der.get(der.len().saturating_sub(32)..)
        .and_then(|raw| <[u8; 32]>::try_from(raw).ok())
        .ok_or_else(|| LedgerError::new(K::Key, "malformed Ed25519 public key"))
}

/// A Clyra Ed25519 signer (a key file by default; any [`Signer`]) used as a note signer under a
/// name.
pub struct NoteSigner<'a, S: Signer + ?Sized = SigningKey> {
    key: &'a S,
    verifier: VerifierKey,
}

impl<'a, S: Signer + ?Sized> NoteSigner<'a, S> {
    /// `key` signing notes as `name` with signature type `alg`.
    pub fn new(key: &'a S, name: &str, alg: u8) -> Result<Self, LedgerError> {
        Ok(Self {
            verifier: VerifierKey::of_public_key(key.public_key(), name, alg)?,
            key,
        })
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// One signature line (with its LF) for the message `msg`, with `prefix` bytes (the
    /// cosignature timestamp) between the key hash and the signature.
    fn line(&self, msg: &[u8], prefix: &[u8]) -> Result<String, LedgerError> {
        let mut raw = self.verifier.hash.to_be_bytes().to_vec();
        raw.extend_from_slice(prefix);
        let sig = sign_checked(self.key, msg).map_err(|e| {
            LedgerError::new(K::Key, format!("could not sign: {e} ({})", e.kind().code()))
        })?;
        raw.extend_from_slice(&sig);
        Ok(format!(
            "{SIG_PREFIX}{} {}\n",
            self.verifier.name,
            STANDARD.encode(raw)
        ))
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    hash: u32,
    /// The signature bytes after the 4-byte key hash.
    sig: Vec<u8>,
}

/// A parsed signed note: the text (ending in LF) and its signature lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note (ledger-v0.md §3.2); any defect is `ledger.checkpoint_malformed`.
    pub fn parse(bytes: &[u8]) -> Result<Self, LedgerError> {
        let bad =
            |why: &str| LedgerError::new(K::CheckpointMalformed, format!("malformed note: {why}"));
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(bad("larger than 1 MiB (limits.md L54)"));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        if text.chars().any(|c| c < ' ' && c != '\n') {
            return Err(bad("a control character other than LF"));
        }
        let split = text
            .rfind("\n\n")
            .ok_or_else(|| bad("no signature block"))?;
        let (body, rest) = text.split_at(split + 1);
        let sigs = rest.strip_prefix('\n').unwrap_or(rest);
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(bad("the signature block is empty or does not end in LF"));
        }
        let mut signatures = Vec::new();
        for line in sigs.split_terminator('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(bad("more than 100 signatures"));
            }
            let line = line
                .strip_prefix(SIG_PREFIX)
                .ok_or_else(|| bad("a signature line does not start with `— `"))?;
            let (name, b64) = line
                .split_once(' ')
                .ok_or_else(|| bad("a signature line has no space"))?;
            let raw = STANDARD
                .decode(b64)
                .map_err(|_| bad("a signature is not base64"))?;
            if !valid_name(name) || raw.len() < 5 {
                return Err(bad("a signature line's name or signature is malformed"));
            }
            let (hash, sig) = raw.split_at(4);
            let mut four = [0u8; 4];
            four.copy_from_slice(hash);
            signatures.push(NoteSignature {
                name: name.to_owned(),
                hash: u32::from_be_bytes(four),
                sig: sig.to_vec(),
            });
        }
        Ok(Self {
            text: body.to_owned(),
            signatures,
        })
    }

    /// The signed text, ending in LF.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether some signature line carries `key`'s name and key hash (§3.4 step 3), whether or
    /// not it verifies.
    pub fn has_line(&self, key: &VerifierKey) -> bool {
        self.signatures
            .iter()
            .any(|s| s.name == key.name && s.hash == key.hash)
    }

    /// Checks the signature of `key` (§3.4 steps 3–4): the first line with its name and hash must
    /// verify over the text.
    pub fn verify(&self, key: &VerifierKey) -> Result<(), LedgerError> {
        let line = self
            .signatures
            .iter()
            .find(|s| s.name == key.name && s.hash == key.hash)
            .ok_or_else(|| {
                LedgerError::new(
                    K::UntrustedKey,
                    format!("no signature by the key `{}+{:08x}`", key.name, key.hash),
                )
            })?;
        if key.verify(self.text.as_bytes(), &line.sig) {
            Ok(())
        } else {
            Err(LedgerError::new(
                K::CheckpointSignature,
                format!("the signature by `{}` does not verify", key.name),
            ))
        }
    }

    /// Checks a cosignature/v1 of the witness `key` (§3.5) and returns its timestamp.
    pub fn verify_cosignature(&self, key: &VerifierKey) -> Result<u64, LedgerError> {
        let line = self
            .signatures
            .iter()
            .find(|s| s.name == key.name && s.hash == key.hash)
            .ok_or_else(|| {
                LedgerError::new(
                    K::WitnessMissing,
                    format!("no cosignature by the witness `{}`", key.name),
                )
            })?;
        let invalid = || {
            LedgerError::new(
                K::WitnessSignature,
                format!("the cosignature by `{}` does not verify", key.name),
            )
        };
        let (time, sig) = line.sig.split_at_checked(8).ok_or_else(invalid)?;
        let mut eight = [0u8; 8];
        eight.copy_from_slice(time);
        let timestamp = u64::from_be_bytes(eight);
        if timestamp > MAX_TREE_SIZE || !key.verify(&cosigned_message(&self.text, timestamp), sig) {
            return Err(invalid());
        }
        Ok(timestamp)
    }

    /// Signs `text` (which must end in LF) with `signer`, giving a new note.
    pub fn sign<S: Signer + ?Sized>(
        text: &str,
        signer: &NoteSigner<'_, S>,
    ) -> Result<String, LedgerError> {
        if !text.ends_with('\n') {
            return Err(LedgerError::new(
                K::CheckpointMalformed,
                "a note text ends in LF",
            ));
        }
        Ok(format!("{text}\n{}", signer.line(text.as_bytes(), &[])?))
    }

    /// Adds a cosignature/v1 line by `witness` at `timestamp` to the signed `note` (§3.5).
    pub fn cosign<S: Signer + ?Sized>(
        note: &str,
        witness: &NoteSigner<'_, S>,
        timestamp: u64,
    ) -> Result<String, LedgerError> {
        let parsed = Self::parse(note.as_bytes())?;
        if timestamp > MAX_TREE_SIZE {
            return Err(LedgerError::new(
                K::Key,
                "a cosignature time is at most 2^63 - 1",
            ));
        }
        let msg = cosigned_message(&parsed.text, timestamp);
        Ok(format!(
            "{note}{}",
            witness.line(&msg, &timestamp.to_be_bytes())?
        ))
    }
}

/// `cosignature/v1\ntime <t>\n` followed by the checkpoint body (tlog-cosignature).
fn cosigned_message(body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

/// A checkpoint body (C2SP tlog-checkpoint): origin, tree size, root hash, extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin (also the ledger key's name).
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The Merkle tree hash of those leaves.
    pub root: Hash,
}

impl Checkpoint {
    /// The body text: three lines, each ending in LF.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// Parses a body (§3.1); extension lines are accepted and ignored.
    pub fn parse_body(text: &str) -> Result<Self, LedgerError> {
        let bad = |why: &str| {
            LedgerError::new(
                K::CheckpointMalformed,
                format!("malformed checkpoint: {why}"),
            )
        };
        let mut lines = text.split_terminator('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(bad("fewer than three lines"));
        };
        if lines.any(str::is_empty) {
            return Err(bad("an empty extension line"));
        }
        if !valid_name(origin) {
            return Err(bad("the origin is not a key name"));
        }
        let digits_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size: u64 = size
            .parse()
            .ok()
            .filter(|s| digits_ok && *s <= MAX_TREE_SIZE)
            .ok_or_else(|| bad("the tree size is not a decimal number below 2^63"))?;
        let root: Hash = STANDARD
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("the root is not 32 bytes of base64"))?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }

    /// Signs this checkpoint as a note with the ledger key.
    pub fn sign<S: Signer + ?Sized>(
        &self,
        signer: &NoteSigner<'_, S>,
    ) -> Result<String, LedgerError> {
        Note::sign(&self.body(), signer)
    }

    /// Parses and verifies a signed checkpoint against the trusted ledger key (§3.4, in order).
    pub fn verify(note: &[u8], key: &VerifierKey) -> Result<Self, LedgerError> {
        let (checkpoint, note) = Self::open(note)?;
        if checkpoint.origin != key.name {
            return Err(LedgerError::new(
                K::OriginMismatch,
                format!(
                    "the checkpoint's origin `{}` is not the key's name `{}`",
                    checkpoint.origin, key.name
                ),
            ));
        }
        note.verify(key)?;
        Ok(checkpoint)
    }

    /// Parses a signed checkpoint without checking any signature (§3.4 step 1).
    pub fn open(note: &[u8]) -> Result<(Self, Note), LedgerError> {
        let note = Note::parse(note)?;
        Ok((Self::parse_body(note.text())?, note))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::crypto::Scheme;

    fn key(seed: u8) -> SigningKey {
        SigningKey::generate(Scheme::Ed25519, [seed; 32]).unwrap()
    }

    #[test]
    fn sign_verify_round_trip_and_tamper() {
        let k = key(1);
        let signer = NoteSigner::new(&k, "example.com/log", ALG_ED25519).unwrap();
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size: 5,
            root: [7; 32],
        };
        let note = cp.sign(&signer).unwrap();
        let vkey = VerifierKey::parse(&signer.verifier().to_text()).unwrap();
        assert_eq!(Checkpoint::verify(note.as_bytes(), &vkey).unwrap(), cp);
        let forged = note.replacen("\n5\n", "\n6\n", 1);
        let err = Checkpoint::verify(forged.as_bytes(), &vkey).unwrap_err();
        assert_eq!(err.kind(), K::CheckpointSignature);
        let k2 = key(2);
        let other = NoteSigner::new(&k2, "example.com/log", ALG_ED25519).unwrap();
        let err = Checkpoint::verify(note.as_bytes(), other.verifier()).unwrap_err();
        assert_eq!(err.kind(), K::UntrustedKey);
        let elsewhere = NoteSigner::new(&k, "other.example", ALG_ED25519).unwrap();
        let err = Checkpoint::verify(note.as_bytes(), elsewhere.verifier()).unwrap_err();
        assert_eq!(err.kind(), K::OriginMismatch);
    }

    #[test]
    fn malformed_notes_are_rejected() {
        for bad in [
            "a\n1\nAAAA\n",
            "a\n01\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} a AAAAAAA=\n",
            "a\n1\nBwcH\n\n\u{2014} a AAAAAAA=\n",
            "a\tb\n1\nx\n\n\u{2014} a AAAAAAA=\n",
            "a\n1\nx\n\n- a AAAAAAA=\n",
        ] {
            let err = Checkpoint::open(bad.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), K::CheckpointMalformed, "{bad:?}");
        }
    }

    #[test]
    fn cosignatures_verify_and_need_the_witness() {
        let k = key(3);
        let signer = NoteSigner::new(&k, "log.example", ALG_ED25519).unwrap();
        let cp = Checkpoint {
            origin: "log.example".into(),
            size: 1,
            root: [1; 32],
        };
        let note = cp.sign(&signer).unwrap();
        let w = key(4);
        let witness = NoteSigner::new(&w, "witness.example/w1", ALG_COSIGNATURE_V1).unwrap();
        let cosigned = Note::cosign(&note, &witness, 1_700_000_000).unwrap();
        let parsed = Note::parse(cosigned.as_bytes()).unwrap();
        assert_eq!(
            parsed.verify_cosignature(witness.verifier()).unwrap(),
            1_700_000_000
        );
        assert!(Checkpoint::verify(cosigned.as_bytes(), signer.verifier()).is_ok());
        let missing = Note::parse(note.as_bytes()).unwrap();
        assert_eq!(
            missing
                .verify_cosignature(witness.verifier())
                .unwrap_err()
                .kind(),
            K::WitnessMissing
        );
    }
}
