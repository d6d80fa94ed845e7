//! Trust files: which keys a verifier trusts, in which role and period, and how many producer
//! signatures a bundle needs; plus the trust-and-time decisions of the verifier.
//!
//! spec: trust-v0.md — a trust file is strict JSON (not necessarily canonical) or one bare PEM
//! key (§1, §4); an unusable one is `trust.file` (§3). [`judge`] holds the pure decisions of the
//! pipeline's trust-and-time step (§5, §6).

mod error;
pub mod judge;

pub use error::TrustFileError;
pub use judge::{
    judge_signature, producer_threshold, trust_and_time, ProducerSignature, SignatureJudgement,
    ThresholdStatus, Witnessed,
};

use std::collections::BTreeSet;

use crate::crypto::{KeyAlgorithm, PublicKey, Scheme};
use crate::digest::Sha256Digest;
use crate::jcs::{self, Map, Value};
use crate::ledger::note::{VerifierKey, ALG_COSIGNATURE_V1, ALG_ED25519};
use crate::limits::Limits;
use crate::time::{Timestamp, TimestampError};

/// Most keys in one trust file (trust-v0.md §2.1).
pub const MAX_KEYS: usize = 1_024;

/// Most items of `ledger_keys`, and of `witnesses` (trust-v0.md §2.1).
pub const MAX_VERIFIER_KEYS: usize = 16;

/// Largest producer threshold (trust-v0.md §2.1).
pub const MAX_PRODUCER_THRESHOLD: u64 = 16;

/// Longest `public_key_pem` string the schema accepts, in characters (trust-v0.schema.json).
const MAX_PEM_CHARS: usize = 16_384;

/// What a trusted key may sign (trust-v0.md §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// May sign `signatures/` envelopes.
    Producer,
    /// May sign `approvals/` envelopes.
    Approver,
}

impl Role {
    /// The name in a trust file, e.g. `producer`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Producer => "producer",
            Role::Approver => "approver",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [Role::Producer, Role::Approver]
            .into_iter()
            .find(|r| r.as_str() == name)
    }
}

/// One key of a trust file, checked against every rule of trust-v0.md §2–§3.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustedKey {
    // INVARIANT: `keyid == public_key.keyid()`, `public_key.scheme_allowed(scheme)`,
    // `roles` is non-empty without duplicates, and `not_before <= not_after` when both are set.
    keyid: String,
    scheme: Scheme,
    public_key: PublicKey,
    roles: Vec<Role>,
    not_before: Option<Timestamp>,
    not_after: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

impl TrustedKey {
    /// The keyid, `sha256:` + 64 lowercase hex digits.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    /// The one scheme this key is trusted with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The roles, in file order (one or two, distinct).
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// Whether the key holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// First second the key may sign, if bounded.
    pub fn not_before(&self) -> Option<&Timestamp> {
        self.not_before.as_ref()
    }

    /// Last second the key may sign, if bounded.
    pub fn not_after(&self) -> Option<&Timestamp> {
        self.not_after.as_ref()
    }

    /// The time from which the key is revoked, if it is.
    pub fn revoked_at(&self) -> Option<&Timestamp> {
        self.revoked_at.as_ref()
    }

    /// Whether `t` lies inside the key's window, both ends inclusive (trust-v0.md §2.5).
    pub fn in_window(&self, t: &Timestamp) -> bool {
        self.not_before.as_ref().is_none_or(|nb| nb <= t)
            && self.not_after.as_ref().is_none_or(|na| t <= na)
    }

    /// Whether the key is revoked at `at`: `revoked_at ≤ at` (trust-v0.md §6.2 rule 5).
    pub fn revoked(&self, at: &Timestamp) -> bool {
        self.revoked_at.as_ref().is_some_and(|r| r <= at)
    }
}

/// A usable trust: keys with unique keyids and a reachable producer threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Trust {
    // INVARIANT: 1..=MAX_KEYS keys with unique keyids; 1 <= producer_threshold <= the number of
    // keys holding `Role::Producer`.
    keys: Vec<TrustedKey>,
    producer_threshold: u64,
    // INVARIANT: every item is of type `ALG_ED25519` (ledger) or `ALG_COSIGNATURE_V1` (witness).
    ledger_keys: Vec<VerifierKey>,
    witnesses: Vec<VerifierKey>,
}

impl Trust {
    /// Parses a trust file in either form (trust-v0.md §1.1): bare PEM when the first byte is
    /// `-`, JSON otherwise. Every check of §3 (or §4) runs in order; the first failure is returned.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, TrustFileError> {
        if bytes.first() == Some(&b'-') {
            Self::parse_pem(bytes, limits)
        } else {
            Self::parse_json(bytes, limits)
        }
    }

    /// The keys, in file order.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// The key with this keyid (compared byte for byte), if the trust holds it.
    pub fn key(&self, keyid: &str) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.keyid == keyid)
    }

    /// `thresholds.producer`: distinct trusted producer keys a bundle needs.
    pub fn producer_threshold(&self) -> u64 {
        self.producer_threshold
    }

    /// The trusted ledger verifier keys (`ledger_keys`, type 0x01), in file order: whose
    /// checkpoints rule 5a accepts (trust-v0.md §6.5).
    pub fn ledger_keys(&self) -> &[VerifierKey] {
        &self.ledger_keys
    }

    /// The trusted witness verifier keys (`witnesses`, type 0x04), in file order: whose
    /// cosignatures prove a bundle's time under rule 5a (trust-v0.md §6.5).
    pub fn witnesses(&self) -> &[VerifierKey] {
        &self.witnesses
    }

    // spec: trust-v0.md §4 — one strict PEM key, at most `key_max_bytes`, not RSA.
    fn parse_pem(bytes: &[u8], limits: &Limits) -> Result<Self, TrustFileError> {
        let public_key =
            PublicKey::from_pem(bytes, limits).map_err(|source| TrustFileError::Key {
                field: "<pem>".to_owned(),
                source,
            })?;
        let scheme = public_key
            .implied_scheme()
            .ok_or(TrustFileError::RsaBarePem)?;
        let key = TrustedKey {
            keyid: public_key.keyid().to_owned(),
            scheme,
            public_key,
            roles: vec![Role::Producer],
            not_before: None,
            not_after: None,
            revoked_at: None,
        };
        Ok(Self {
            keys: vec![key],
            producer_threshold: 1,
            ledger_keys: Vec::new(),
            witnesses: Vec::new(),
        })
    }

    fn parse_json(bytes: &[u8], limits: &Limits) -> Result<Self, TrustFileError> {
        // spec: trust-v0.md §3.1 item 1 — strict JSON within L1; not required to be canonical.
        let value = jcs::parse(bytes, limits).map_err(TrustFileError::Json)?;
        // Item 2: the whole file against the schema before any key is parsed.
        let shape = FileShape::read(&value)?;
        // Item 3: each key in order.
        let mut keys = Vec::with_capacity(shape.keys.len());
        for (index, entry) in shape.keys.into_iter().enumerate() {
            keys.push(entry.check(index, limits)?);
        }
        // Item 4: unique keyids.
        let mut seen = BTreeSet::new();
        for (index, key) in keys.iter().enumerate() {
            if !seen.insert(key.keyid.as_str()) {
                return Err(TrustFileError::DuplicateKeyid {
                    index,
                    keyid: key.keyid.clone(),
                });
            }
        }
        // Item 5: a threshold that can be met.
        let producers = keys.iter().filter(|k| k.has_role(Role::Producer)).count();
        if usize::try_from(shape.producer_threshold).map_or(true, |t| t > producers) {
            return Err(TrustFileError::ThresholdUnreachable {
                threshold: shape.producer_threshold,
                producers,
            });
        }
        // Item 6: ledger keys, then witnesses, each of its type.
        let ledger_keys = verifier_keys(&shape.ledger_keys, "ledger_keys", ALG_ED25519)?;
        let witnesses = verifier_keys(&shape.witnesses, "witnesses", ALG_COSIGNATURE_V1)?;
        Ok(Self {
            keys,
            producer_threshold: shape.producer_threshold,
            ledger_keys,
            witnesses,
        })
    }
}

/// Parses each verifier key text of `field` and requires the signature type `alg` (trust-v0.md
/// §3.1 item 6).
fn verifier_keys(texts: &[&str], field: &str, alg: u8) -> Result<Vec<VerifierKey>, TrustFileError> {
    let kind = if alg == ALG_ED25519 {
        "ledger"
    } else {
        "witness"
    };
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let refuse = |reason: String| TrustFileError::VerifierKey {
                field: format!("{field}[{i}]"),
                kind,
                reason,
            };
            let key = VerifierKey::parse(text).map_err(|e| refuse(e.to_string()))?;
            if key.alg() == alg {
                Ok(key)
            } else {
                Err(refuse(format!(
                    "its type is {:#04x}, not {alg:#04x}",
                    key.alg()
                )))
            }
        })
        .collect()
}

/// A trust file that passed the schema (§3.1 item 2), keys not yet parsed.
struct FileShape<'a> {
    keys: Vec<KeyShape<'a>>,
    producer_threshold: u64,
    ledger_keys: Vec<&'a str>,
    witnesses: Vec<&'a str>,
}

/// One `keys` item that passed the schema.
struct KeyShape<'a> {
    keyid: &'a str,
    scheme: Scheme,
    pem: &'a str,
    roles: Vec<Role>,
    not_before: Option<Timestamp>,
    not_after: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

fn schema(field: impl Into<String>, reason: &'static str) -> TrustFileError {
    TrustFileError::Schema {
        field: field.into(),
        reason,
    }
}

/// Requires `map` to hold only `allowed` members and every one of `required`.
fn members(map: &Map, at: &str, allowed: &[&str], required: &[&str]) -> Result<(), TrustFileError> {
    if let Some(extra) = map.keys().find(|k| !allowed.contains(k)) {
        return Err(schema(join(at, extra), "is not allowed"));
    }
    if let Some(missing) = required.iter().find(|r| map.get(r).is_none()) {
        return Err(schema(join(at, missing), "is missing"));
    }
    Ok(())
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

impl<'a> FileShape<'a> {
    // spec: trust-v0.md §2.1, trust-v0.schema.json — checked by hand, member by member.
    fn read(value: &'a Value) -> Result<Self, TrustFileError> {
        let map = value
            .as_object()
            .ok_or_else(|| schema("(top level)", "must be an object"))?;
        members(
            map,
            "",
            &["keys", "ledger_keys", "thresholds", "version", "witnesses"],
            &["keys", "thresholds", "version"],
        )?;
        if map.get("version").and_then(Value::as_u64) != Some(0) {
            return Err(schema("version", "must be 0"));
        }
        let items = map
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| schema("keys", "must be an array"))?;
        if items.is_empty() || items.len() > MAX_KEYS {
            return Err(schema("keys", "must hold 1 to 1024 keys"));
        }
        let keys = items
            .iter()
            .enumerate()
            .map(|(i, item)| KeyShape::read(item, &format!("keys[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let thresholds = map
            .get("thresholds")
            .and_then(Value::as_object)
            .ok_or_else(|| schema("thresholds", "must be an object"))?;
        members(thresholds, "thresholds", &["producer"], &["producer"])?;
        let producer_threshold = thresholds
            .get("producer")
            .and_then(Value::as_u64)
            .filter(|n| (1..=MAX_PRODUCER_THRESHOLD).contains(n))
            .ok_or_else(|| schema("thresholds.producer", "must be an integer from 1 to 16"))?;
        Ok(Self {
            keys,
            producer_threshold,
            ledger_keys: read_verifier_keys(map.get("ledger_keys"), "ledger_keys")?,
            witnesses: read_verifier_keys(map.get("witnesses"), "witnesses")?,
        })
    }
}

/// An optional array of 1 to 16 verifier key texts matching the schema's `verifier_key` pattern
/// `^[!-*,-~]{1,255}\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$`; absent is empty.
fn read_verifier_keys<'a>(
    value: Option<&'a Value>,
    at: &str,
) -> Result<Vec<&'a str>, TrustFileError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let items = value
        .as_array()
        .ok_or_else(|| schema(at, "must be an array"))?;
    if items.is_empty() || items.len() > MAX_VERIFIER_KEYS {
        return Err(schema(at, "must hold 1 to 16 verifier keys"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_str()
                .filter(|t| verifier_key_pattern(t))
                .ok_or_else(|| {
                    schema(
                        format!("{at}[{i}]"),
                        "must be a verifier key `name+hash+key`",
                    )
                })
        })
        .collect()
}

/// The schema's `verifier_key` pattern.
fn verifier_key_pattern(text: &str) -> bool {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    (1..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'+')
        && hash.len() == 8
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && key.len() == 44
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

impl<'a> KeyShape<'a> {
    fn read(item: &'a Value, at: &str) -> Result<Self, TrustFileError> {
        let map = item
            .as_object()
            .ok_or_else(|| schema(at, "must be an object"))?;
        members(
            map,
            at,
            &[
                "keyid",
                "not_after",
                "not_before",
                "public_key_pem",
                "revoked_at",
                "roles",
                "scheme",
            ],
            &["keyid", "public_key_pem", "roles", "scheme"],
        )?;
        let string = |name: &str| {
            map.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| schema(join(at, name), "must be a string"))
        };
        let keyid = string("keyid")?;
        if !is_keyid(keyid) {
            return Err(schema(
                join(at, "keyid"),
                "must be `sha256:` + 64 lowercase hex",
            ));
        }
        let scheme_name = string("scheme")?;
        let scheme = scheme_name
            .parse::<Scheme>()
            .map_err(|_| TrustFileError::UnknownScheme {
                field: join(at, "scheme"),
                name: scheme_name.to_owned(),
            })?;
        let pem = string("public_key_pem")?;
        if pem.chars().count() > MAX_PEM_CHARS || !pem_pattern(pem.as_bytes()) {
            return Err(schema(
                join(at, "public_key_pem"),
                "must be one PEM `PUBLIC KEY` block",
            ));
        }
        let roles = read_roles(map.get("roles"), &join(at, "roles"))?;
        let time = |name: &str| -> Result<Option<Timestamp>, TrustFileError> {
            let Some(v) = map.get(name) else {
                return Ok(None);
            };
            let text = v
                .as_str()
                .ok_or_else(|| schema(join(at, name), "must be a string"))?;
            Timestamp::parse(text).map(Some).map_err(|e| match e {
                TimestampError::InvalidTime => schema(join(at, name), "is not a valid time"),
                _ => schema(join(at, name), "must be a timestamp `YYYY-MM-DDTHH:MM:SSZ`"),
            })
        };
        Ok(Self {
            keyid,
            scheme,
            pem,
            roles,
            not_before: time("not_before")?,
            not_after: time("not_after")?,
            revoked_at: time("revoked_at")?,
        })
    }

    // spec: trust-v0.md §3.1 item 3 — key rules, keyid, scheme, window order, in this order.
    fn check(self, index: usize, limits: &Limits) -> Result<TrustedKey, TrustFileError> {
        let public_key = PublicKey::from_pem(self.pem.as_bytes(), limits).map_err(|source| {
            TrustFileError::Key {
                field: format!("keys[{index}].public_key_pem"),
                source,
            }
        })?;
        if public_key.keyid() != self.keyid {
            return Err(TrustFileError::KeyidMismatch {
                index,
                stated: self.keyid.to_owned(),
                computed: public_key.keyid().to_owned(),
            });
        }
        if !public_key.scheme_allowed(self.scheme) {
            return Err(TrustFileError::SchemeNotAllowed {
                index,
                scheme: self.scheme.as_str(),
                algorithm: algorithm_name(public_key.algorithm()),
            });
        }
        if let (Some(nb), Some(na)) = (&self.not_before, &self.not_after) {
            if nb > na {
                return Err(TrustFileError::WindowOrder { index });
            }
        }
        Ok(TrustedKey {
            keyid: self.keyid.to_owned(),
            scheme: self.scheme,
            public_key,
            roles: self.roles,
            not_before: self.not_before,
            not_after: self.not_after,
            revoked_at: self.revoked_at,
        })
    }
}

fn algorithm_name(algorithm: KeyAlgorithm) -> &'static str {
    match algorithm {
        KeyAlgorithm::Ed25519 => "Ed25519",
        KeyAlgorithm::EcdsaP256 => "P-256",
        KeyAlgorithm::Rsa => "RSA",
    }
}

fn read_roles(value: Option<&Value>, at: &str) -> Result<Vec<Role>, TrustFileError> {
    let items = value
        .and_then(Value::as_array)
        .ok_or_else(|| schema(at, "must be an array"))?;
    if items.is_empty() || items.len() > 2 {
        return Err(schema(at, "must hold 1 or 2 roles"));
    }
    let mut roles = Vec::with_capacity(items.len());
    for item in items {
        let role = item
            .as_str()
            .and_then(Role::parse)
            .ok_or_else(|| schema(at, "must hold only `producer` and `approver`"))?;
        if roles.contains(&role) {
            return Err(schema(at, "must not repeat a role"));
        }
        roles.push(role);
    }
    Ok(roles)
}

/// `^sha256:[0-9a-f]{64}$`
fn is_keyid(text: &str) -> bool {
    Sha256Digest::from_prefixed(text).is_some()
}

/// The schema's PEM pattern:
/// `^-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/]{1,62}[A-Za-z0-9+/=]{2}\n-----END PUBLIC KEY-----\n?$`
fn pem_pattern(text: &[u8]) -> bool {
    let Some(rest) = text.strip_prefix(b"-----BEGIN PUBLIC KEY-----\n") else {
        return false;
    };
    let end = b"\n-----END PUBLIC KEY-----";
    let body = if let Some(b) = rest.strip_suffix(b"\n-----END PUBLIC KEY-----\n") {
        b
    } else if let Some(b) = rest.strip_suffix(end) {
        b
    } else {
        return false;
    };
    let base64 = |b: &u8| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/';
    let lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    let Some((last, full)) = lines.split_last() else {
        return false;
    };
    let full_ok = full.iter().all(|l| l.len() == 64 && l.iter().all(base64));
    let last_ok = (3..=64).contains(&last.len())
        && last
            .split_at_checked(last.len().saturating_sub(2))
            .is_some_and(|(head, tail)| {
                head.iter().all(base64) && tail.iter().all(|b| base64(b) || *b == b'=')
            });
    full_ok && last_ok
}
