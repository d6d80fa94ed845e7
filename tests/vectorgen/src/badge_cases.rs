//! Badge vectors (badge-v0.md §5, conformance.md §2.7): compact JWS badges issued by
//! `producer-ed25519-1` over a fixed evidence set, verified at `AT` unless a case says otherwise. Expected triples are written from badge-v0.md
//! §5.1–§5.2.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use clyra_core::badge::criteria::{BundleItem, EvidenceSet, Framework, Item};
use clyra_core::badge::{self, Claims};
use clyra_core::jcs;
use clyra_core::time::Timestamp;
use clyra_core::Limits;

use crate::cases::{invalid, t1, Case, P1, P2, VALID};
use crate::{producer, trust, Ctx, Vector};

/// The claims every badge vector signs (unless a case edits them): SOX over one bundle, issued
/// at `AT` minus one day.
fn claims(ctx: &Ctx<'_>) -> Claims {
    let manifest = jcs::parse(
        br#"{"bundle_id":"vectors:badge","created_at":"2026-11-20T09:01:15Z","change":{"kind":"data","environment":"production"},"approvals":{"required":0,"approvals":[]},"def":{"tests":[{"id":"test.shop.not_null","status":"pass"}],"assets":[]}}"#,
        &Limits::default(),
    )
    .unwrap();
    let set = EvidenceSet {
        items: vec![Item::Bundle(BundleItem {
            bundle_id: "vectors:badge".into(),
            sha256: hex::encode(ctx.label("bundle")),
            valid: true,
            manifest: Some(manifest),
        })],
        ..EvidenceSet::default()
    };
    let criteria = badge::evaluate(Framework::Sox, &set).unwrap();
    let iat = Timestamp::parse("2026-11-30T00:00:00Z").unwrap();
    Claims::new(
        "vectors.clyra.dev",
        "vectors/shop",
        &iat,
        Framework::Sox,
        criteria,
        &set,
    )
    .unwrap()
}

fn badge_vector(jws: String, trust: Vec<u8>) -> Vector {
    crate::cases::vector(format!("{jws}\n").into_bytes(), trust)
}

fn issued(ctx: &Ctx<'_>, key: &str) -> String {
    badge::issue(&claims(ctx), ctx.keys.get(key)).unwrap()
}

/// Signs `header` and `payload` as given with `key` (for headers and claims the issuer never writes).
fn signed(ctx: &Ctx<'_>, key: &str, header: &str, payload: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = ctx.keys.get(key).sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn header_of(jws: &str) -> String {
    let first = jws.split('.').next().unwrap();
    String::from_utf8(URL_SAFE_NO_PAD.decode(first).unwrap()).unwrap()
}

/// The badge cases, appended at the end of the case table.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            slug: "badge-valid",
            readme: "A SOX badge signed by a trusted Ed25519 producer key, verified inside its 90 days: VALID",
            expected: VALID,
            make: |c| badge_vector(issued(c, P1), t1(c)),
        },
        Case {
            slug: "badge-expired",
            readme: "The same badge verified exactly at exp (iat + 90 days): expired",
            expected: invalid("badge.expired"),
            make: |c| Vector {
                at: "2027-02-28T00:00:00Z",
                ..badge_vector(issued(c, P1), t1(c))
            },
        },
        Case {
            slug: "badge-altered",
            readme: "The payload's project changed after signing: the Ed25519 signature no longer verifies",
            expected: invalid("badge.signature"),
            make: |c| {
                let jws = issued(c, P1);
                let parts: Vec<&str> = jws.split('.').collect();
                let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap())
                    .unwrap()
                    .replace("vectors/shop", "vectors/shoq");
                let altered = format!(
                    "{}.{}.{}",
                    parts[0],
                    URL_SAFE_NO_PAD.encode(payload),
                    parts[2]
                );
                badge_vector(altered, t1(c))
            },
        },
        Case {
            slug: "badge-wrong-key",
            readme: "A badge signed by producer-ed25519-2, which the trust file does not hold: untrusted",
            expected: ("VALID_UNTRUSTED", "badge.untrusted_key", 2),
            make: |c| badge_vector(issued(c, P2), t1(c)),
        },
        Case {
            slug: "badge-alg-none",
            readme: "The header's alg is none (the classic JWT downgrade): refused before any key is used",
            expected: invalid("badge.alg"),
            make: |c| {
                let jws = issued(c, P1);
                let header = header_of(&jws).replace("EdDSA", "none");
                let payload = claims(c).to_canonical();
                badge_vector(signed(c, P1, &header, &payload), t1(c))
            },
        },
        Case {
            slug: "badge-kid-mismatch",
            readme: "The header's kid names another key than its jwk: key mismatch",
            expected: invalid("badge.key_mismatch"),
            make: |c| {
                let jws = issued(c, P1);
                let other = c.keys.get(P2).public_key().keyid().to_owned();
                let mine = c.keys.get(P1).public_key().keyid().to_owned();
                let header = header_of(&jws).replace(&mine, &other);
                badge_vector(signed(c, P1, &header, &claims(c).to_canonical()), t1(c))
            },
        },
        Case {
            slug: "badge-not-yet-valid",
            readme: "Verified one second before iat: the badge claims to come from the future",
            expected: ("INDETERMINATE", "badge.not_yet_valid", 3),
            make: |c| Vector {
                at: "2026-11-29T23:59:59Z",
                ..badge_vector(issued(c, P1), t1(c))
            },
        },
        Case {
            slug: "badge-status-forged",
            readme: "Signed claims whose status says passing while a criterion is not evaluated: bad claims",
            expected: invalid("badge.claims"),
            make: |c| {
                let jws = issued(c, P1);
                let payload = String::from_utf8(claims(c).to_canonical())
                    .unwrap()
                    .replace("\"status\":\"incomplete\"", "\"status\":\"passing\"");
                badge_vector(signed(c, P1, &header_of(&jws), payload.as_bytes()), t1(c))
            },
        },
        Case {
            slug: "badge-key-revoked",
            readme: "The issuer key was revoked before the verification time: key window",
            expected: invalid("badge.key_window"),
            make: |c| {
                let revoked = crate::TrustKey {
                    extra: &[("revoked_at", "2026-11-30T12:00:00Z")],
                    ..producer(P1)
                };
                badge_vector(issued(c, P1), trust(c.keys, &[revoked], 1))
            },
        },
    ]
}
