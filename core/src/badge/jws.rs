//! Badge claims and the compact JWS that carries them (spec: badge-v0.md §2, §4, §5).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::criteria::{status, Criterion, EvidenceSet, Framework, Item, LedgerRef};
use super::{BadgeError, BadgeErrorKind, LIFETIME_SECONDS, MAX_BADGE_BYTES};
use crate::crypto::{sign_checked, KeyAlgorithm, PublicKey, Scheme, Signer};
use crate::digest::Sha256Digest;
use crate::jcs;
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::trust::{Role, Trust};
use crate::verdict::Outcome;

/// The header `typ` (badge-v0.md §2.2, explicit typing per RFC 8725 §3.11).
pub const TYP: &str = "clyra-badge+jwt";

/// A bundle the badge rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleRef {
    /// The manifest's `bundle_id`.
    pub bundle_id: String,
    /// SHA-256 of the bundle file, 64 lowercase hex.
    pub sha256: String,
}

/// The `evidence` claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceClaim {
    /// Bundles given, sorted by `sha256`.
    pub bundles: Vec<BundleRef>,
    /// The ledger checkpoint, when a ledger was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<LedgerRef>,
}

/// The claims of a badge (badge-v0.md §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// The issuer.
    pub iss: String,
    /// The project.
    pub sub: String,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Expiry: `iat` + 90 days.
    pub exp: i64,
    /// The badge id (`badge:` + 32 hex).
    pub jti: String,
    /// Always 0.
    pub v: u8,
    /// The framework.
    pub framework: Framework,
    /// `passing`, `failing` or `incomplete`.
    pub status: String,
    /// The criteria results, in the framework's order.
    pub criteria: Vec<Criterion>,
    /// What the badge rests on.
    pub evidence: EvidenceClaim,
}

impl Claims {
    /// The claims of a badge issued by `iss` for project `sub` at `iat` over `set`, with the
    /// criteria already evaluated ([`super::evaluate`]).
    pub fn new(
        iss: &str,
        sub: &str,
        iat: &Timestamp,
        framework: Framework,
        criteria: Vec<Criterion>,
        set: &EvidenceSet,
    ) -> Result<Self, BadgeError> {
        for (name, value) in [("issuer", iss), ("project", sub)] {
            if value.is_empty() || value.chars().count() > 256 {
                return Err(BadgeError::new(
                    BadgeErrorKind::Input,
                    format!("the {name} must have 1 to 256 characters"),
                ));
            }
        }
        let mut bundles: Vec<BundleRef> = set
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Bundle(b) => Some(BundleRef {
                    bundle_id: b.bundle_id.clone(),
                    sha256: b.sha256.clone(),
                }),
                Item::Record(_) => None,
            })
            .collect();
        bundles.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        let iat = iat.unix_seconds();
        let mut claims = Self {
            iss: iss.to_owned(),
            sub: sub.to_owned(),
            iat,
            exp: iat + LIFETIME_SECONDS,
            jti: String::new(),
            v: 0,
            framework,
            status: status(&criteria).to_owned(),
            criteria,
            evidence: EvidenceClaim {
                bundles,
                ledger: set.ledger.clone(),
            },
        };
        claims.jti = claims.badge_id();
        Ok(claims)
    }

    /// The canonical JSON bytes of the claims (badge-v0.md §2.3).
    pub fn to_canonical(&self) -> Vec<u8> {
        canonical(&serde_json::to_value(self).unwrap_or_default())
    }

    /// `badge:` + the first 32 hex digits of SHA-256 of the canonical claims without `jti`.
    pub fn badge_id(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.remove("jti");
        }
        let hex = Sha256Digest::of(&canonical(&value)).to_hex();
        format!("badge:{}", hex.get(..32).unwrap_or_default())
    }
}

/// RFC 8785 bytes of a serde value the core built (safe integers only, so never an error).
fn canonical(value: &serde_json::Value) -> Vec<u8> {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    jcs::canonicalize(&bytes, &Limits::default()).unwrap_or(bytes)
}

/// Signs `claims` as a compact JWS through any [`Signer`] (a key file, a PKCS#11 token, a signer
/// command): Ed25519 only (`alg` `EdDSA`; `badge.key` otherwise); the signature is checked
/// against the signer's public key before the badge is returned.
pub fn issue<S: Signer + ?Sized>(claims: &Claims, key: &S) -> Result<String, BadgeError> {
    if key.scheme() != Scheme::Ed25519 {
        return Err(BadgeError::new(
            BadgeErrorKind::Key,
            "badges are signed with Ed25519 (alg EdDSA): give an Ed25519 key",
        ));
    }
    let public = key.public_key();
    let raw = public.spki_der().get(12..).unwrap_or_default();
    let header = canonical(&json!({
        "alg": "EdDSA",
        "jwk": {"crv": "Ed25519", "kty": "OKP", "x": URL_SAFE_NO_PAD.encode(raw)},
        "kid": public.keyid(),
        "typ": TYP,
    }));
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_canonical())
    );
    let signature = sign_checked(key, input.as_bytes())
        .map_err(|e| BadgeError::new(BadgeErrorKind::Signer(e.kind()), e.to_string()))?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The verdict on a badge (badge-v0.md §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeVerdict {
    /// The outcome.
    pub outcome: Outcome,
    /// The code of the check that decided it (`ok` for VALID).
    pub primary: &'static str,
    /// The exit code: 0, 1, 2 or 3.
    pub exit: u8,
    /// A plain-language sentence.
    pub message: String,
    /// The claims, once they passed §4.2.
    pub claims: Option<Claims>,
}

impl BadgeVerdict {
    fn new(outcome: Outcome, primary: &'static str, message: impl Into<String>) -> Self {
        Self {
            outcome,
            primary,
            exit: outcome.exit_code(false),
            message: message.into(),
            claims: None,
        }
    }

    /// The verdict JSON of badge-v0.md §5.3, canonical, without a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut value = json!({
            "outcome": self.outcome.as_str(),
            "primary": self.primary,
            "exit": self.exit,
            "message": self.message,
        });
        if let (Some(c), Some(map)) = (&self.claims, value.as_object_mut()) {
            map.insert(
                "badge".into(),
                json!({
                    "iss": c.iss, "sub": c.sub, "framework": c.framework.as_str(),
                    "status": c.status, "iat": c.iat, "exp": c.exp, "jti": c.jti,
                }),
            );
        }
        canonical(&value)
    }
}

fn invalid(primary: &'static str, message: impl Into<String>) -> BadgeVerdict {
    BadgeVerdict::new(Outcome::Invalid, primary, message)
}

/// Verifies `badge` against `trust` at `at` (badge-v0.md §5). Every byte string yields a verdict.
pub fn verify(badge: &[u8], trust: &Trust, at: &Timestamp) -> BadgeVerdict {
    // A trailing newline (as files end) is not part of the badge.
    let badge = badge.strip_suffix(b"\n").unwrap_or(badge);
    let (key, input, signature, payload) = match decode(badge) {
        Ok(parts) => parts,
        Err((code, why)) => return invalid(code, why),
    };
    if crate::crypto::verify(&key, Scheme::Ed25519, input, &signature).is_err() {
        return invalid(
            "badge.signature",
            "the signature does not verify: the badge was altered or signed by another key",
        );
    }
    let claims = match check_claims(&payload) {
        Ok(claims) => claims,
        Err(why) => return invalid("badge.claims", why),
    };
    let mut verdict = judge(&claims, key.keyid(), trust, at);
    verdict.claims = Some(claims);
    verdict
}

type Decoded<'a> = (PublicKey, &'a [u8], Vec<u8>, Vec<u8>);

/// §2.1–§2.2: segments, base64url, header; returns the key, the signing input, the signature
/// and the payload bytes.
fn decode(badge: &[u8]) -> Result<Decoded<'_>, (&'static str, String)> {
    let malformed = |why: &str| ("badge.malformed", why.to_owned());
    if badge.len() > MAX_BADGE_BYTES {
        return Err(malformed("the badge is larger than 65,536 bytes"));
    }
    let parts: Vec<&[u8]> = badge.split(|&b| b == b'.').collect();
    let [h, p, s] = parts.as_slice() else {
        return Err(malformed("a compact JWS has exactly three segments"));
    };
    let b64 = |seg: &[u8]| {
        URL_SAFE_NO_PAD
            .decode(seg)
            .map_err(|_| malformed("a segment is not unpadded base64url"))
    };
    let (header, payload, signature) = (b64(h)?, b64(p)?, b64(s)?);
    let limits = Limits::default();
    let header =
        jcs::parse(&header, &limits).map_err(|_| malformed("the header is not strict JSON"))?;
    let alg = header.get("alg").and_then(jcs::Value::as_str);
    if alg != Some("EdDSA") {
        return Err((
            "badge.alg",
            format!("the header's alg is {alg:?}, not EdDSA"),
        ));
    }
    let members: Vec<&str> = header
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    if members != ["alg", "jwk", "kid", "typ"] {
        return Err(malformed(
            "the header must have exactly alg, jwk, kid and typ",
        ));
    }
    if header.get("typ").and_then(jcs::Value::as_str) != Some(TYP) {
        return Err(malformed("the header's typ is not clyra-badge+jwt"));
    }
    let jwk = header.get("jwk");
    let jwk_members: Vec<&str> = jwk
        .and_then(jcs::Value::as_object)
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let field = |k: &str| jwk.and_then(|j| j.get(k)).and_then(jcs::Value::as_str);
    if jwk_members != ["crv", "kty", "x"]
        || field("kty") != Some("OKP")
        || field("crv") != Some("Ed25519")
    {
        return Err(malformed(
            "the header's jwk is not an Ed25519 OKP key (crv, kty, x)",
        ));
    }
    let raw: [u8; 32] = field("x")
        .and_then(|x| URL_SAFE_NO_PAD.decode(x).ok())
        .and_then(|x| x.try_into().ok())
        .ok_or_else(|| malformed("the jwk's x is not 32 bytes of base64url"))?;
    let key = PublicKey::ed25519_from_raw(&raw)
        .map_err(|_| malformed("the jwk's x is not an Ed25519 public key"))?;
    if header.get("kid").and_then(jcs::Value::as_str) != Some(key.keyid()) {
        return Err((
            "badge.key_mismatch",
            "the header's kid is not the keyid of its jwk".to_owned(),
        ));
    }
    if signature.len() != 64 {
        return Err((
            "badge.signature",
            "an Ed25519 signature has 64 bytes".to_owned(),
        ));
    }
    let cut = h.len() + 1 + p.len();
    Ok((
        key,
        badge.get(..cut).unwrap_or_default(),
        signature,
        payload,
    ))
}

/// §2.3 and §4.2: strict canonical JSON, members, `exp`, `jti`, `status`, criteria order.
fn check_claims(payload: &[u8]) -> Result<Claims, String> {
    jcs::parse_canonical(payload, &Limits::default())
        .map_err(|e| format!("the claims are not canonical strict JSON: {e}"))?;
    let claims: Claims = serde_json::from_slice(payload)
        .map_err(|e| format!("the claims break badge-v0.md §4.1: {e}"))?;
    for (name, value) in [("iss", &claims.iss), ("sub", &claims.sub)] {
        if value.is_empty() || value.chars().count() > 256 {
            return Err(format!("`{name}` must have 1 to 256 characters"));
        }
    }
    if claims.v != 0 {
        return Err("`v` must be 0".into());
    }
    if claims.exp != claims.iat.saturating_add(LIFETIME_SECONDS) {
        return Err("`exp` must be `iat` + 7776000 (90 days)".into());
    }
    if claims.jti != claims.badge_id() {
        return Err("`jti` is not the badge id of the claims".into());
    }
    let ids: Vec<&str> = claims.criteria.iter().map(|c| c.id.as_str()).collect();
    if ids != claims.framework.criteria() {
        return Err("the criteria are not those of the framework, in order".into());
    }
    if claims.status != status(&claims.criteria) {
        return Err("`status` does not follow from the criteria".into());
    }
    Ok(claims)
}

/// §5.1 steps 4–7: time, then trust.
fn judge(claims: &Claims, keyid: &str, trust: &Trust, at: &Timestamp) -> BadgeVerdict {
    let Some(iat) = Timestamp::from_unix_seconds(claims.iat) else {
        return invalid("badge.claims", "`iat` is not a representable time");
    };
    if claims.iat > at.unix_seconds() {
        return BadgeVerdict::new(
            Outcome::Indeterminate,
            "badge.not_yet_valid",
            format!(
                "issued at {}, after the verification time {}",
                iat.as_str(),
                at.as_str()
            ),
        );
    }
    if at.unix_seconds() >= claims.exp {
        let exp = Timestamp::from_unix_seconds(claims.exp)
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default();
        return invalid("badge.expired", format!("the badge expired at {exp}"));
    }
    let trusted = trust.key(keyid).filter(|k| {
        k.has_role(Role::Producer)
            && k.scheme() == Scheme::Ed25519
            && k.public_key().algorithm() == KeyAlgorithm::Ed25519
    });
    let Some(key) = trusted else {
        return BadgeVerdict::new(
            Outcome::ValidUntrusted,
            "badge.untrusted_key",
            format!("signed by {keyid}, which the trust file does not hold as an ed25519 producer"),
        );
    };
    if !key.in_window(&iat) || key.revoked(at) {
        return invalid(
            "badge.key_window",
            format!("the key {keyid} is outside its trust window at issue or revoked"),
        );
    }
    let c = claims;
    BadgeVerdict::new(
        Outcome::Valid,
        "ok",
        format!(
            "{} badge of `{}`: {} (signed by a trusted key)",
            c.framework.as_str(),
            c.sub,
            c.status
        ),
    )
}
