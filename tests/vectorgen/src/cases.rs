//! The case table. Append-only (conformance.md §1.2): a case's position is its number `NNNN`;
//! never reorder, edit or delete an entry once merged — supersede it (§5) and append.
//!
//! Each expected triple (outcome, primary, exit) is written here by hand from the spec
//! (verdicts.md §1–§3, bundle-v0.md §2.4 and §7, trust-v0.md, approval-v0.md §5), never copied
//! from a verifier's output.

use clyra_core::bundle::Method;
use clyra_core::crypto::PublicKey;
use clyra_core::dsse::Envelope;
use clyra_core::Limits;
use serde_json::{json, Value};

use crate::zip::{self, RawEntry};
use crate::{
    approval, approver, build, canon, def_spec, parse, pef_spec, prefixed, producer, trust, Build,
    Ctx, Parts, TrustKey, Vector, AT, CREATED_AT, OTHER_POLICY, POLICY,
};

/// One vector: slug, one-line README, expected (outcome, primary, exit), and its maker.
pub struct Case {
    /// The slug (folder name without `NNNN-`).
    pub slug: &'static str,
    /// The README line.
    pub readme: &'static str,
    /// (outcome, primary, exit), from the spec.
    pub expected: (&'static str, &'static str, u8),
    /// Writes the vector.
    pub make: fn(&Ctx<'_>) -> Vector,
}

pub(crate) const VALID: (&str, &str, u8) = ("VALID", "ok", 0);

pub(crate) fn invalid(code: &'static str) -> (&'static str, &'static str, u8) {
    ("INVALID", code, 1)
}

pub(crate) const P1: &str = "producer-ed25519-1";
pub(crate) const P2: &str = "producer-ed25519-2";
pub(crate) const P3: &str = "producer-p256-1";
pub(crate) const A1: &str = "approver-p256-1";
pub(crate) const A2: &str = "approver-ed25519-1";

/// Trust holding `producer-ed25519-1` as producer, threshold 1.
pub(crate) fn t1(ctx: &Ctx<'_>) -> Vec<u8> {
    trust(ctx.keys, &[producer(P1)], 1)
}

/// Trust holding P1 as producer and both approvers.
pub(crate) fn t_approvers(ctx: &Ctx<'_>) -> Vec<u8> {
    trust(ctx.keys, &[producer(P1), approver(A1), approver(A2)], 1)
}

pub(crate) fn vector(bundle: Vec<u8>, trust: Vec<u8>) -> Vector {
    Vector {
        bundle,
        trust,
        receipt: false,
        at: AT,
        policy: None,
        subject: None,
        detail: None,
        ledger: false,
        ledger_proof: None,
    }
}

/// The receipt (receipt-v0.md §3) of journal line `seq` of base 0001's bundle, as extracted by
/// `clyra_core::receipt::extract`, parsed.
pub(crate) fn base_receipt(ctx: &Ctx<'_>, seq: u64) -> Value {
    let b = base(ctx).write();
    let r = clyra_core::receipt::extract(
        std::io::Cursor::new(&b),
        b.len() as u64,
        seq,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("extract: {e}"));
    parse(&r)
}

/// A receipt vector: `receipt.json` holding `receipt`, trusted as 0001.
pub(crate) fn receipt_vector(receipt: Vec<u8>, trust: Vec<u8>) -> Vector {
    Vector {
        receipt: true,
        ..vector(receipt, trust)
    }
}

/// The receipt of base 0001's line `seq`, edited by `f`, written canonically, trusted as 0001.
pub(crate) fn receipt_mutated(ctx: &Ctx<'_>, seq: u64, f: impl FnOnce(&mut Value)) -> Vector {
    let mut r = base_receipt(ctx, seq);
    f(&mut r);
    receipt_vector(canon(&r), t1(ctx))
}

/// The DEF base bundle (vector 0001) taken apart.
pub(crate) fn base(ctx: &Ctx<'_>) -> Parts {
    Parts::open(&build(ctx, &def_spec(ctx), Build::default()))
}

/// Base 0001 mutated by `f`, written by the deterministic writer, trusted as 0001.
pub(crate) fn mutate(ctx: &Ctx<'_>, f: impl FnOnce(&mut Parts, &Ctx<'_>)) -> Vector {
    let mut p = base(ctx);
    f(&mut p, ctx);
    vector(p.write(), t1(ctx))
}

/// Base 0001's entries mutated at the byte level by `f`, written by vectorgen's zip encoder.
fn hostile(ctx: &Ctx<'_>, f: impl FnOnce(&mut Vec<RawEntry>)) -> Vector {
    let mut entries = base(ctx).raw();
    f(&mut entries);
    vector(zip::encode(&entries, b""), t1(ctx))
}

/// Base 0001's bytes changed by `f`.
fn bytes(ctx: &Ctx<'_>, f: impl FnOnce(&mut Vec<u8>)) -> Vector {
    let mut b = base(ctx).write();
    f(&mut b);
    vector(b, t1(ctx))
}

fn pos(entries: &[RawEntry], name: &str) -> usize {
    entries
        .iter()
        .position(|e| e.name == name.as_bytes())
        .unwrap_or_else(|| panic!("no entry {name}"))
}

pub(crate) fn sig_name(p: &Parts) -> String {
    p.first("signatures/")
}

/// The producer envelope as JSON, edited, written back (unsigned change).
pub(crate) fn edit_envelope_json(p: &mut Parts, f: impl FnOnce(&mut Value)) {
    let name = sig_name(p);
    let mut env = parse(p.get(&name));
    f(&mut env);
    p.set(&name, canon(&env));
}

/// A bundle with approvals: `required`, approvals by the listed (key, sso_sub), each payload
/// edited by `edit`.
pub(crate) fn with_approvals(
    ctx: &Ctx<'_>,
    required: u32,
    approvers: &[(&str, &str)],
    edit: fn(&mut Value),
) -> Vec<u8> {
    let mut spec = def_spec(ctx);
    spec["approvals"] = json!({"required": required});
    let change = spec["change"].clone();
    let approvals = approvers
        .iter()
        .enumerate()
        .map(|(i, (key, sub))| {
            approval(
                ctx.keys.get(key),
                sub,
                &ctx.nonce(&format!("nonce-{i}")),
                &change,
                edit,
            )
        })
        .collect();
    let approver_keys: Vec<PublicKey> = approvers
        .iter()
        .map(|(k, _)| ctx.keys.get(k).public_key().clone())
        .collect();
    build(
        ctx,
        &spec,
        Build {
            approvals,
            approver_keys,
            ..Build::default()
        },
    )
}

/// Vector 0006's bundle with its approval file replaced by one whose payload `edit` changes;
/// the manifest's digest for it is updated and the bundle re-signed, so that only the approval
/// rule under test fails.
pub(crate) fn approval_mutated(ctx: &Ctx<'_>, edit: fn(&mut Value)) -> Vector {
    let mut p = Parts::open(&with_approvals(
        ctx,
        1,
        &[(A1, "lee.ortiz@acme.example")],
        |_| {},
    ));
    let change = p.manifest()["change"].clone();
    let nonce = p.manifest()["approvals"]["entries"][0]["nonce"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = approval(
        ctx.keys.get(A1),
        "lee.ortiz@acme.example",
        &nonce,
        &change,
        edit,
    );
    p.replace_approval(ctx.keys, 0, file.envelope);
    vector(p.write(), t_approvers(ctx))
}

/// A DEF bundle whose policy block is required, with the hash of [`POLICY`].
fn policy_bundle(ctx: &Ctx<'_>) -> Vec<u8> {
    let mut spec = def_spec(ctx);
    let hash = prefixed(&clyra_core::jcs::canonicalize(POLICY, &Limits::default()).unwrap());
    spec["policy"] = json!({"required": true, "hash": hash, "decisions": []});
    build(ctx, &spec, Build::default())
}

pub(crate) fn cosigned(ctx: &Ctx<'_>, signers: Vec<&'static str>) -> Vec<u8> {
    build(
        ctx,
        &def_spec(ctx),
        Build {
            signers,
            ..Build::default()
        },
    )
}

/// A 64-hex digest that differs from `d` in its last digit.
fn off_by_one(d: &str) -> String {
    let (head, last) = d.split_at(d.len() - 1);
    format!("{head}{}", if last == "0" { "1" } else { "0" })
}

/// Every case, in creation order: case `i` (from 0) is vector `i + 1` (0102 on: `pins.rs`).
#[allow(clippy::too_many_lines)]
pub fn cases() -> Vec<Case> {
    vec![
        // ---- valid-ish ----
        Case {
            slug: "def-minimal",
            readme: "DEF bundle of bundle-v0.md 8 built by core::build, one Ed25519 producer, trusted: VALID, the base of most negative vectors",
            expected: VALID,
            make: |c| vector(base(c).write(), t1(c)),
        },
        Case {
            slug: "pef-mcp",
            readme: "PEF bundle of one MCP tool call with an extensions.mcp block (a defined extension, no warning): VALID",
            expected: VALID,
            make: |c| {
                let b = build(c, &pef_spec(c), Build { artifacts: vec![], ..Build::default() });
                vector(b, t1(c))
            },
        },
        Case {
            slug: "def-p256-producer",
            readme: "0001 signed by a P-256 producer key (ecdsa-p256-sha256, RFC 6979) trusted with that scheme: VALID",
            expected: VALID,
            make: |c| {
                let b = build(c, &def_spec(c), Build { signers: vec![P3], ..Build::default() });
                vector(b, trust(c.keys, &[producer(P3)], 1))
            },
        },
        Case {
            slug: "def-cosigned-two-producers",
            readme: "0001 signed by an Ed25519 and a P-256 producer, both trusted, threshold 1: both counted, VALID",
            expected: VALID,
            make: |c| vector(cosigned(c, vec![P1, P3]), trust(c.keys, &[producer(P1), producer(P3)], 1)),
        },
        Case {
            slug: "def-threshold-two",
            readme: "0004's bundle with threshold 2 and both producers trusted: two distinct counted keys meet it, VALID",
            expected: VALID,
            make: |c| vector(cosigned(c, vec![P1, P3]), trust(c.keys, &[producer(P1), producer(P3)], 2)),
        },
        Case {
            slug: "def-approvals-one",
            readme: "0001 with approvals.required 1 and one valid approval by a trusted P-256 approver: VALID",
            expected: VALID,
            make: |c| vector(with_approvals(c, 1, &[(A1, "lee.ortiz@acme.example")], |_| {}), t_approvers(c)),
        },
        Case {
            slug: "def-approvals-two",
            readme: "0001 with approvals.required 2 and two valid approvals by distinct trusted approvers: VALID",
            expected: VALID,
            make: |c| {
                let b = with_approvals(c, 2, &[(A1, "lee.ortiz@acme.example"), (A2, "sam.kim@acme.example")], |_| {});
                vector(b, t_approvers(c))
            },
        },
        Case {
            slug: "pef-unknown-extension",
            readme: "0002 with an extra extensions key x-acme this version does not define: manifest.unknown_extension is a warning, VALID with exit 2",
            expected: ("VALID", "manifest.unknown_extension", 2),
            make: |c| {
                let mut spec = pef_spec(c);
                spec["extensions"]["x-acme"] = json!({});
                vector(build(c, &spec, Build { artifacts: vec![], ..Build::default() }), t1(c))
            },
        },
        Case {
            slug: "def-untrusted-producer",
            readme: "0001 verified with a trust file holding only another producer key: intact but untrusted, VALID_UNTRUSTED trust.untrusted_key",
            expected: ("VALID_UNTRUSTED", "trust.untrusted_key", 2),
            make: |c| vector(base(c).write(), trust(c.keys, &[producer(P2)], 1)),
        },
        Case {
            slug: "def-policy-required-match",
            readme: "0001 with policy.required true and the hash of the policy given with --policy: VALID",
            expected: VALID,
            make: |c| Vector { policy: Some(POLICY.to_vec()), ..vector(policy_bundle(c), t1(c)) },
        },
        Case {
            slug: "def-retention",
            readme: "0001 with a retention block (P7Y, no legal hold): VALID",
            expected: VALID,
            make: |c| {
                let mut spec = def_spec(c);
                spec["retention"] = json!({"period": "P7Y", "legal_hold": false});
                vector(build(c, &spec, Build::default()), t1(c))
            },
        },
        Case {
            slug: "def-payout",
            readme: "0001 with a payout reference block (def-v0.md 8, schema only): VALID",
            expected: VALID,
            make: |c| {
                let mut spec = def_spec(c);
                spec["payout"] = json!({"run_id": "run-42", "actor_id": "dana@example.com",
                    "asset_id": "model.shop.orders", "change_intent": "add discount column",
                    "business_metric_refs": ["metric.revenue"], "payout_ref": "po-2026-0042",
                    "currency": "EUR"});
                vector(build(c, &spec, Build::default()), t1(c))
            },
        },
        Case {
            slug: "def-several-artifacts",
            readme: "0001 with five artifacts in nested folders, given unsorted: listed and written sorted, VALID",
            expected: VALID,
            make: |c| {
                let b = build(c, &def_spec(c), Build {
                    artifacts: vec![
                        ("run_results.json", crate::RUN_RESULTS.to_vec()),
                        ("compiled/orders.sql", b"select * from stg_orders\n".to_vec()),
                        ("manifest/graph.json", b"{\"nodes\":[]}\n".to_vec()),
                        ("logs/dbt.log", b"09:00:00 Running with dbt=1.11.2\n".to_vec()),
                        ("compiled/customers.sql", b"select * from stg_customers\n".to_vec()),
                    ],
                    ..Build::default()
                });
                vector(b, t1(c))
            },
        },
        Case {
            slug: "def-large-journal",
            readme: "0001 with a 1,000-event journal (Merkle tree of 1,001 leaves): VALID",
            expected: VALID,
            make: |c| {
                let mut spec = def_spec(c);
                let events: Vec<Value> = (0..1000)
                    .map(|i| json!({"at": format!("2026-11-20T09:00:{:02}Z", i * 60 / 1000),
                                    "kind": "row.batch", "data": {"batch": i}}))
                    .collect();
                spec["journal"] = json!(events);
                vector(build(c, &spec, Build::default()), t1(c))
            },
        },
        Case {
            slug: "def-deflated-and-stored-artifacts",
            readme: "0001 with a .json artifact (deflated) and a binary artifact (stored), as bundle-v0.md 9.4 writes them: VALID",
            expected: VALID,
            make: |c| {
                let png: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
                let mut spec = def_spec(c);
                spec["artifacts"] = json!({"report.json": {"media_type": "application/json"},
                                           "plot.png": {"media_type": "image/png"}});
                let b = build(c, &spec, Build {
                    artifacts: vec![("report.json", b"{\"rows\": 1842}\n".repeat(200)), ("plot.png", png)],
                    ..Build::default()
                });
                vector(b, t1(c))
            },
        },
        Case {
            slug: "def-bare-pem-trust",
            readme: "0001 verified with a bare-PEM trust file holding the producer key (trust-v0.md 4): VALID",
            expected: VALID,
            make: |c| vector(base(c).write(), c.keys.get(P1).public_key().to_pem().into_bytes()),
        },
        Case {
            slug: "def-extra-untrusted-cosigner",
            readme: "0001 co-signed by a second Ed25519 producer the trust does not hold; threshold 1 met: trust.extra_untrusted_key warning, VALID exit 2",
            expected: ("VALID", "trust.extra_untrusted_key", 2),
            make: |c| vector(cosigned(c, vec![P1, P2]), t1(c)),
        },
        Case {
            slug: "def-derived-bundle-id",
            readme: "0001 without a host bundle_id: the builder derives b-... (bundle-v0.md 5.4) and the verifier re-derives it: VALID",
            expected: VALID,
            make: |c| {
                let mut spec = def_spec(c);
                spec.as_object_mut().unwrap().remove("bundle_id");
                vector(build(c, &spec, Build::default()), t1(c))
            },
        },
        Case {
            slug: "def-equal-times",
            readme: "0001 signed at created_at and verified at created_at: equal times pass (trust-v0.md 6.4), VALID",
            expected: VALID,
            make: |c| {
                let b = build(c, &def_spec(c), Build { signed_at: CREATED_AT, ..Build::default() });
                Vector { at: CREATED_AT, ..vector(b, t1(c)) }
            },
        },
        Case {
            slug: "def-approver-untrusted",
            readme: "0006 verified without the approver key in the trust: the only approval does not count, approval.insufficient_trusted, VALID_UNTRUSTED",
            expected: ("VALID_UNTRUSTED", "approval.insufficient_trusted", 2),
            make: |c| vector(with_approvals(c, 1, &[(A1, "lee.ortiz@acme.example")], |_| {}), t1(c)),
        },
        Case {
            slug: "def-key-window-inclusive",
            readme: "0001 with a trust window whose not_before and not_after both equal signed_at: inclusive window, VALID",
            expected: VALID,
            make: |c| {
                let extra = [("not_before", crate::SIGNED_AT), ("not_after", crate::SIGNED_AT)];
                let t = trust(c.keys, &[TrustKey { name: P1, roles: &["producer"], extra: &extra }], 1);
                vector(base(c).write(), t)
            },
        },
        Case {
            slug: "def-actor-is-deployer",
            readme: "0001 in production with change.deployer equal to change.actor: approval.actor_is_deployer warning (approval-v0.md rule 18), VALID exit 2",
            expected: ("VALID", "approval.actor_is_deployer", 2),
            make: |c| {
                let mut spec = def_spec(c);
                spec["change"]["deployer"] = json!("dana@example.com");
                vector(build(c, &spec, Build::default()), t1(c))
            },
        },
        // ---- container bytes ----
        Case {
            slug: "zip-raw-flipped-data-byte",
            readme: "0001 with one byte of the stored key file flipped in place, CRC-32 left as written: zip.crc",
            expected: invalid("zip.crc"),
            make: |c| hostile(c, |e| {
                let i = e.iter().position(|x| x.name.starts_with(b"keys/")).unwrap();
                e[i].stored[40] ^= 0x01;
            }),
        },
        Case {
            slug: "zip-prefix-byte",
            readme: "0001 with one zero byte before the first local header: bytes before the first entry, zip.eocd",
            expected: invalid("zip.eocd"),
            make: |c| bytes(c, |b| b.insert(0, 0)),
        },
        Case {
            slug: "zip-trailing-byte",
            readme: "0001 with one zero byte after the EOCD record: zip.eocd",
            expected: invalid("zip.eocd"),
            make: |c| bytes(c, |b| b.push(0)),
        },
        Case {
            slug: "zip-archive-comment",
            readme: "0001 with a one-byte archive comment in the EOCD: comments are not allowed, zip.eocd",
            expected: invalid("zip.eocd"),
            make: |c| vector(zip::encode(&base(c).raw(), b"x"), t1(c)),
        },
        Case {
            slug: "zip-truncated",
            readme: "0001 cut to its first half: no EOCD record, zip.eocd",
            expected: invalid("zip.eocd"),
            make: |c| bytes(c, |b| b.truncate(b.len() / 2)),
        },
        Case {
            slug: "zip-random-bytes",
            readme: "4,096 seeded pseudo-random bytes given as a bundle: any byte string yields a verdict, zip.eocd",
            expected: invalid("zip.eocd"),
            make: |c| {
                let b: Vec<u8> = (0..128).flat_map(|i| c.label(&format!("random-{i}"))).collect();
                vector(b, t1(c))
            },
        },
        // ---- entry names ----
        Case {
            slug: "zip-name-dotdot",
            readme: "0001 plus an entry artifacts/../x: a .. segment, zip.name",
            expected: invalid("zip.name"),
            make: |c| hostile(c, |e| {
                let i = pos(e, "journal.ndjson") + 1;
                e.insert(i, RawEntry::new("artifacts/../x", Method::Stored, b"x"));
            }),
        },
        Case {
            slug: "zip-name-absolute",
            readme: "0001 plus an entry /etc/passwd: a leading slash, zip.name",
            expected: invalid("zip.name"),
            make: |c| hostile(c, |e| e.push(RawEntry::new("/etc/passwd", Method::Stored, b"root\n"))),
        },
        Case {
            slug: "zip-name-duplicate",
            readme: "0001 with journal.ndjson written twice: a (case-fold) duplicate name, zip.name",
            expected: invalid("zip.name"),
            make: |c| hostile(c, |e| {
                let i = pos(e, "journal.ndjson");
                let dup = e[i].clone();
                e.insert(i + 1, dup);
            }),
        },
        Case {
            slug: "zip-name-casefold",
            readme: "0001 plus Manifest.json next to manifest.json: a case-fold duplicate, zip.name",
            expected: invalid("zip.name"),
            make: |c| hostile(c, |e| {
                let dup = RawEntry { name: b"Manifest.json".to_vec(), local_name: b"Manifest.json".to_vec(), ..e[0].clone() };
                e.insert(1, dup);
            }),
        },
        Case {
            slug: "zip-directory-entry",
            readme: "0001 plus a directory entry artifacts/: a trailing slash, zip.name",
            expected: invalid("zip.name"),
            make: |c| hostile(c, |e| {
                let i = pos(e, "journal.ndjson") + 1;
                e.insert(i, RawEntry::new("artifacts/", Method::Stored, b""));
            }),
        },
        Case {
            slug: "zip-name-empty-segment",
            readme: "0001 with its artifact renamed artifacts//run_results.json in both headers: an empty segment, zip.name",
            expected: invalid("zip.name"),
            make: |c| hostile(c, |e| {
                let i = pos(e, "artifacts/run_results.json");
                e[i].name = b"artifacts//run_results.json".to_vec();
                e[i].local_name = e[i].name.clone();
            }),
        },
        // ---- headers ----
        Case {
            slug: "zip-local-name-mismatch",
            readme: "0001 whose journal local header names journal.ndjsoo while the central directory says journal.ndjson: zip.local_header",
            expected: invalid("zip.local_header"),
            make: |c| hostile(c, |e| {
                let i = pos(e, "journal.ndjson");
                e[i].local_name = b"journal.ndjsoo".to_vec();
            }),
        },
        Case {
            slug: "zip-data-descriptor-flag",
            readme: "0001 with general-purpose flag bit 3 (data descriptor) set on journal.ndjson in both headers: zip.flags",
            expected: invalid("zip.flags"),
            make: |c| hostile(c, |e| {
                let i = pos(e, "journal.ndjson");
                e[i].flags = 0x0008;
            }),
        },
        Case {
            slug: "zip-deflated-key",
            readme: "0001 with its keys/ entry deflated (CRC and sizes correct): keys must be stored, zip.method",
            expected: invalid("zip.method"),
            make: |c| hostile(c, |e| {
                let i = e.iter().position(|x| x.name.starts_with(b"keys/")).unwrap();
                let name = String::from_utf8(e[i].name.clone()).unwrap();
                let data = e[i].stored.clone();
                e[i] = RawEntry::new(&name, Method::Deflated, &data);
            }),
        },
        Case {
            slug: "zip-unknown-extra-field",
            readme: "0001 with an empty extra field of unknown header id 0xcafe on manifest.json in both headers: zip.extra",
            expected: invalid("zip.extra"),
            make: |c| hostile(c, |e| e[0].extra = vec![0xfe, 0xca, 0, 0]),
        },
        Case {
            slug: "zip-deflate-bomb",
            readme: "0001 plus artifacts/bomb.json, 4 MiB of zeros deflated far beyond 200:1 (over 1 MiB): zip.ratio",
            expected: invalid("zip.ratio"),
            make: |c| hostile(c, |e| {
                let i = pos(e, "artifacts/run_results.json");
                e.insert(i, RawEntry::new("artifacts/bomb.json", Method::Deflated, &vec![0u8; 4 << 20]));
            }),
        },
        // ---- entry set ----
        Case {
            slug: "bundle-missing-journal",
            readme: "0001 without journal.ndjson: bundle.missing_entry",
            expected: invalid("bundle.missing_entry"),
            make: |c| hostile(c, |e| e.retain(|x| x.name != b"journal.ndjson")),
        },
        Case {
            slug: "bundle-missing-signature",
            readme: "0001 without its signatures/ envelope (no producer signature at all): bundle.missing_entry",
            expected: invalid("bundle.missing_entry"),
            make: |c| hostile(c, |e| e.retain(|x| !x.name.starts_with(b"signatures/"))),
        },
        Case {
            slug: "bundle-unknown-top-level",
            readme: "0001 plus a top-level notes.txt no bundle-v0 name form allows: bundle.unexpected_entry",
            expected: invalid("bundle.unexpected_entry"),
            make: |c| hostile(c, |e| e.push(RawEntry::new("notes.txt", Method::Stored, b"hello\n"))),
        },
        Case {
            slug: "bundle-swapped-order",
            readme: "0001 with journal.ndjson written before manifest.json: bundle.entry_order",
            expected: invalid("bundle.entry_order"),
            make: |c| hostile(c, |e| e.swap(0, 1)),
        },
        // ---- manifest ----
        Case {
            slug: "manifest-not-canonical",
            readme: "0001 with manifest.json pretty-printed (same members, not RFC 8785 bytes): manifest.not_canonical",
            expected: invalid("manifest.not_canonical"),
            make: |c| mutate(c, |p, _| {
                let m = serde_json::to_vec_pretty(&p.manifest()).unwrap();
                p.set("manifest.json", m);
            }),
        },
        Case {
            slug: "manifest-duplicate-key",
            readme: "0001 with a second bundle_id member appended to manifest.json: not strict JSON, manifest.json (detail jcs.duplicate_key)",
            expected: invalid("manifest.json"),
            make: |c| mutate(c, |p, _| {
                let mut m = p.get("manifest.json").to_vec();
                m.pop();
                m.extend_from_slice(b",\"bundle_id\":\"x\"}");
                p.set("manifest.json", m);
            }),
        },
        Case {
            slug: "manifest-format-unknown",
            readme: "0001 with format def/v1, re-signed: an unknown format version, manifest.format_unknown, INDETERMINATE",
            expected: ("INDETERMINATE", "manifest.format_unknown", 3),
            make: |c| mutate(c, |p, ctx| {
                p.edit_manifest(|m| m["format"] = json!("def/v1"));
                p.resign_with(ctx.keys, clyra_core::dsse::IN_TOTO_PAYLOAD_TYPE, |s| {
                    s["predicateType"] = json!("https://clyra.dev/def/v0");
                });
            }),
        },
        Case {
            slug: "manifest-extra-member",
            readme: "0001 with an extra top-level manifest member x, canonical: manifest.schema",
            expected: invalid("manifest.schema"),
            make: |c| mutate(c, |p, ctx| {
                p.edit_manifest(|m| m["x"] = json!(1));
                p.resign(ctx.keys);
            }),
        },
        Case {
            slug: "manifest-wrong-derived-id",
            readme: "0018 with the last digit of its derived b-... bundle_id changed: manifest.bundle_id_mismatch",
            expected: invalid("manifest.bundle_id_mismatch"),
            make: |c| {
                let mut spec = def_spec(c);
                spec.as_object_mut().unwrap().remove("bundle_id");
                let mut p = Parts::open(&build(c, &spec, Build::default()));
                p.edit_manifest(|m| {
                    let id = off_by_one(m["bundle_id"].as_str().unwrap());
                    m["bundle_id"] = json!(id);
                });
                p.resign(c.keys);
                vector(p.write(), t1(c))
            },
        },
        Case {
            slug: "manifest-invalid-time",
            readme: "0001 with created_at 2026-11-31T09:01:15Z (matches the pattern, no such day): manifest.time",
            expected: invalid("manifest.time"),
            make: |c| mutate(c, |p, ctx| {
                p.edit_manifest(|m| m["created_at"] = json!("2026-11-31T09:01:15Z"));
                p.resign(ctx.keys);
            }),
        },
        // ---- artifacts ----
        Case {
            slug: "artifact-flipped-byte",
            readme: "0001 with one byte of run_results.json flipped and the zip rewritten (CRC matches the new bytes): artifact.digest_mismatch",
            expected: invalid("artifact.digest_mismatch"),
            make: |c| mutate(c, |p, _| {
                let mut a = p.get("artifacts/run_results.json").to_vec();
                a[10] ^= 0x20;
                p.set("artifacts/run_results.json", a);
            }),
        },
        Case {
            slug: "artifact-removed",
            readme: "0001 without the artifacts/run_results.json entry the manifest lists: artifact.missing",
            expected: invalid("artifact.missing"),
            make: |c| mutate(c, |p, _| p.remove("artifacts/run_results.json")),
        },
        Case {
            slug: "artifact-unlisted",
            readme: "0001 plus artifacts/zz-extra.txt that the manifest does not list: artifact.unlisted",
            expected: invalid("artifact.unlisted"),
            make: |c| mutate(c, |p, _| {
                let i = p.0.iter().position(|e| e.name == "artifacts/run_results.json").unwrap() + 1;
                p.0.insert(i, crate::Entry { name: "artifacts/zz-extra.txt".into(), method: Method::Stored, data: b"extra\n".to_vec() });
            }),
        },
        Case {
            slug: "artifact-size-changed",
            readme: "0001 with one byte appended to run_results.json: artifact.size_mismatch",
            expected: invalid("artifact.size_mismatch"),
            make: |c| mutate(c, |p, _| {
                let mut a = p.get("artifacts/run_results.json").to_vec();
                a.push(b'\n');
                p.set("artifacts/run_results.json", a);
            }),
        },
        // ---- journal ----
        Case {
            slug: "journal-lines-swapped",
            readme: "0001 with journal lines 0 and 1 swapped: line 0 has seq 1, journal.seq",
            expected: invalid("journal.seq"),
            make: |c| mutate(c, |p, _| {
                let mut l = p.journal_lines();
                l.swap(0, 1);
                p.set("journal.ndjson", join(&l));
            }),
        },
        Case {
            slug: "journal-line-removed",
            readme: "0001 with journal line 1 removed: the new line 1 has seq 2, journal.seq",
            expected: invalid("journal.seq"),
            make: |c| mutate(c, |p, _| {
                let mut l = p.journal_lines();
                l.remove(1);
                p.set("journal.ndjson", join(&l));
            }),
        },
        Case {
            slug: "journal-line-inserted",
            readme: "0001 with journal line 0 repeated as line 1: seq 0 at index 1, journal.seq",
            expected: invalid("journal.seq"),
            make: |c| mutate(c, |p, _| {
                let mut l = p.journal_lines();
                let first = l[0].clone();
                l.insert(1, first);
                p.set("journal.ndjson", join(&l));
            }),
        },
        Case {
            slug: "journal-broken-chain",
            readme: "0001 with journal line 1's prev set to line 0's prev (64 zeros): the chain breaks, journal.prev",
            expected: invalid("journal.prev"),
            make: |c| mutate(c, |p, _| {
                let mut l = p.journal_lines();
                let mut line1 = parse(&l[1]);
                line1["prev"] = parse(&l[0])["prev"].clone();
                l[1] = canon(&line1);
                p.set("journal.ndjson", join(&l));
            }),
        },
        Case {
            slug: "journal-not-canonical",
            readme: "0001 with a space after the first colon of journal line 0: journal.not_canonical",
            expected: invalid("journal.not_canonical"),
            make: |c| mutate(c, |p, _| {
                let mut l = p.journal_lines();
                let at = l[0].iter().position(|b| *b == b':').unwrap() + 1;
                l[0].insert(at, b' ');
                p.set("journal.ndjson", join(&l));
            }),
        },
        Case {
            slug: "journal-no-trailing-newline",
            readme: "0001 with the final LF of journal.ndjson removed: journal.no_trailing_newline",
            expected: invalid("journal.no_trailing_newline"),
            make: |c| mutate(c, |p, _| {
                let mut j = p.get("journal.ndjson").to_vec();
                j.pop();
                p.set("journal.ndjson", j);
            }),
        },
        Case {
            slug: "journal-time-decreasing",
            readme: "0001 with the last journal line's at moved before line 1's (chain intact): journal.time_order",
            expected: invalid("journal.time_order"),
            make: |c| mutate(c, |p, _| {
                let mut l = p.journal_lines();
                let mut last = parse(&l[2]);
                last["at"] = json!("2026-11-20T09:00:30Z");
                l[2] = canon(&last);
                p.set("journal.ndjson", join(&l));
            }),
        },
        Case {
            slug: "journal-head-mismatch",
            readme: "0001 with manifest journal.head changed in its last digit, re-signed: journal.head_mismatch",
            expected: invalid("journal.head_mismatch"),
            make: |c| mutate(c, |p, ctx| {
                p.edit_manifest(|m| {
                    let h = off_by_one(m["journal"]["head"].as_str().unwrap());
                    m["journal"]["head"] = json!(h);
                });
                p.resign(ctx.keys);
            }),
        },
        Case {
            slug: "journal-count-mismatch",
            readme: "0001 with manifest journal.count 4 for 3 lines, re-signed: journal.count_mismatch",
            expected: invalid("journal.count_mismatch"),
            make: |c| mutate(c, |p, ctx| {
                p.edit_manifest(|m| m["journal"]["count"] = json!(4));
                p.resign(ctx.keys);
            }),
        },
        Case {
            slug: "journal-empty",
            readme: "0001 with an empty journal.ndjson: journal.empty",
            expected: invalid("journal.empty"),
            make: |c| mutate(c, |p, _| p.set("journal.ndjson", Vec::new())),
        },
        // ---- Merkle ----
        Case {
            slug: "merkle-root-wrong",
            readme: "0001 with manifest merkle.root changed in its last digit, re-signed: merkle.root_mismatch",
            expected: invalid("merkle.root_mismatch"),
            make: |c| mutate(c, |p, ctx| {
                p.edit_manifest(|m| {
                    let r = off_by_one(m["merkle"]["root"].as_str().unwrap());
                    m["merkle"]["root"] = json!(r);
                });
                p.resign(ctx.keys);
            }),
        },
        Case {
            slug: "merkle-size-off-by-one",
            readme: "0001 with manifest merkle.size one more than the leaf count, re-signed: merkle.size_mismatch",
            expected: invalid("merkle.size_mismatch"),
            make: |c| mutate(c, |p, ctx| {
                p.edit_manifest(|m| {
                    let n = m["merkle"]["size"].as_u64().unwrap() + 1;
                    m["merkle"]["size"] = json!(n);
                });
                p.resign(ctx.keys);
            }),
        },
        // ---- keys and envelopes ----
        Case {
            slug: "sig-invalid",
            readme: "0001 with one bit of the producer signature flipped (envelope re-encoded, not re-signed): sig.invalid",
            expected: invalid("sig.invalid"),
            make: |c| mutate(c, |p, _| {
                let name = sig_name(p);
                let mut env = Envelope::decode(p.get(&name), &Limits::default()).unwrap();
                env.signatures[0].sig[5] ^= 0x01;
                p.set(&name, env.encode());
            }),
        },
        Case {
            slug: "signature-two-signatures",
            readme: "0001 with the producer envelope's signature listed twice: not exactly one signature, signature.file_mismatch",
            expected: invalid("signature.file_mismatch"),
            make: |c| mutate(c, |p, _| {
                let name = sig_name(p);
                let mut env = Envelope::decode(p.get(&name), &Limits::default()).unwrap();
                let s = env.signatures[0].clone();
                env.signatures.push(s);
                p.set(&name, env.encode());
            }),
        },
        Case {
            slug: "dsse-bad-base64",
            readme: "0001 with the envelope payload's first base64 character replaced by !: dsse.bad_base64",
            expected: invalid("dsse.bad_base64"),
            make: |c| mutate(c, |p, _| edit_envelope_json(p, |e| {
                let s = e["payload"].as_str().unwrap();
                e["payload"] = json!(format!("!{}", &s[1..]));
            })),
        },
        Case {
            slug: "key-filename-mismatch",
            readme: "0001 with keys/<hex>.pub.pem holding another Ed25519 public key: its keyid is not <hex>, key.filename_mismatch",
            expected: invalid("key.filename_mismatch"),
            make: |c| mutate(c, |p, ctx| {
                let name = p.first("keys/");
                p.set(&name, ctx.keys.get(P2).public_key().to_pem().into_bytes());
            }),
        },
        Case {
            slug: "sig-scheme-mismatch",
            readme: "0001 re-signed by its Ed25519 key with predicate.scheme ecdsa-p256-sha256: sig.scheme_mismatch",
            expected: invalid("sig.scheme_mismatch"),
            make: |c| mutate(c, |p, ctx| {
                p.resign_with(ctx.keys, clyra_core::dsse::IN_TOTO_PAYLOAD_TYPE, |s| {
                    s["predicate"]["scheme"] = json!("ecdsa-p256-sha256");
                });
            }),
        },
        Case {
            slug: "statement-payload-type",
            readme: "0001 re-signed with payloadType application/json instead of the in-toto type (signature valid): statement.schema",
            expected: invalid("statement.schema"),
            make: |c| mutate(c, |p, ctx| p.resign_with(ctx.keys, "application/json", |_| {})),
        },
        Case {
            slug: "statement-subject-mismatch",
            readme: "0001 re-signed over a subject digest of other bytes than manifest.json: statement.subject_mismatch",
            expected: invalid("statement.subject_mismatch"),
            make: |c| mutate(c, |p, ctx| {
                p.resign_with(ctx.keys, clyra_core::dsse::IN_TOTO_PAYLOAD_TYPE, |s| {
                    s["subject"][0]["digest"]["sha256"] = json!(hex::encode(crate::sha256(b"other")));
                });
            }),
        },
        Case {
            slug: "statement-predicate-type",
            readme: "0001 (DEF) re-signed with the PEF predicateType: statement.predicate_type",
            expected: invalid("statement.predicate_type"),
            make: |c| mutate(c, |p, ctx| {
                p.resign_with(ctx.keys, clyra_core::dsse::IN_TOTO_PAYLOAD_TYPE, |s| {
                    s["predicateType"] = json!("https://clyra.dev/pef/v0");
                });
            }),
        },
        Case {
            slug: "statement-binding-bundle-id",
            readme: "0001 re-signed with predicate.bundle_id of another bundle: statement.binding",
            expected: invalid("statement.binding"),
            make: |c| mutate(c, |p, ctx| {
                p.resign_with(ctx.keys, clyra_core::dsse::IN_TOTO_PAYLOAD_TYPE, |s| {
                    s["predicate"]["bundle_id"] = json!("vectors:another");
                });
            }),
        },
        // ---- trust and time ----
        Case {
            slug: "trust-producer-as-approver-only",
            readme: "0001 with its key in the trust only with role approver: not a trusted producer, VALID_UNTRUSTED trust.untrusted_key",
            expected: ("VALID_UNTRUSTED", "trust.untrusted_key", 2),
            make: |c| vector(base(c).write(), trust(c.keys, &[producer(P2), approver(P1)], 1)),
        },
        Case {
            slug: "time-key-window",
            readme: "0001 with the producer key's not_after one second before signed_at: time.key_window",
            expected: invalid("time.key_window"),
            make: |c| {
                let extra = [("not_after", CREATED_AT)];
                let t = trust(c.keys, &[TrustKey { name: P1, roles: &["producer"], extra: &extra }], 1);
                vector(base(c).write(), t)
            },
        },
        Case {
            slug: "time-key-revoked",
            readme: "0001 with the producer key revoked at 2026-11-25 (after signed_at, before at): revoked keys prove nothing, time.key_revoked",
            expected: invalid("time.key_revoked"),
            make: |c| {
                let extra = [("revoked_at", "2026-11-25T00:00:00Z")];
                let t = trust(c.keys, &[TrustKey { name: P1, roles: &["producer"], extra: &extra }], 1);
                vector(base(c).write(), t)
            },
        },
        Case {
            slug: "time-signed-before-created",
            readme: "0001 re-signed with signed_at one second before created_at: time.signed_before_created",
            expected: invalid("time.signed_before_created"),
            make: |c| mutate(c, |p, ctx| {
                p.resign_with(ctx.keys, clyra_core::dsse::IN_TOTO_PAYLOAD_TYPE, |s| {
                    s["predicate"]["signed_at"] = json!("2026-11-20T09:01:14Z");
                });
            }),
        },
        Case {
            slug: "time-created-after-at",
            readme: "0001 verified at 2026-11-20T09:01:00Z, before its created_at and signed_at: time.future, INDETERMINATE",
            expected: ("INDETERMINATE", "time.future", 3),
            make: |c| Vector { at: "2026-11-20T09:01:00Z", ..vector(base(c).write(), t1(c)) },
        },
        Case {
            slug: "trust-threshold-not-met",
            readme: "0001 (one producer signature) with two trusted producers and threshold 2: trust.threshold",
            expected: invalid("trust.threshold"),
            make: |c| vector(base(c).write(), trust(c.keys, &[producer(P1), producer(P3)], 2)),
        },
        Case {
            slug: "trust-file-malformed",
            readme: "0001 with a trust file that is not JSON ({): no verdict, ERROR trust.file exit 4",
            expected: ("ERROR", "trust.file", 4),
            make: |c| vector(base(c).write(), b"{".to_vec()),
        },
        // ---- approvals ----
        Case {
            slug: "approval-expired",
            readme: "0006 with its approval's expires_at before created_at (digest updated, re-signed): approval.window",
            expected: invalid("approval.window"),
            make: |c| approval_mutated(c, |a| a["expires_at"] = json!("2026-11-20T09:00:30Z")),
        },
        Case {
            slug: "approval-self-approval",
            readme: "0006 with the approval given by change.actor itself (two-person rule broken; digest updated, re-signed): approval.self_approval",
            expected: invalid("approval.self_approval"),
            make: |c| approval_mutated(c, |a| a["sso_sub"] = json!("dana@example.com")),
        },
        Case {
            slug: "approval-insufficient",
            readme: "0001 with approvals.required 2 and one valid trusted approval: approval.insufficient",
            expected: invalid("approval.insufficient"),
            make: |c| vector(with_approvals(c, 2, &[(A1, "lee.ortiz@acme.example")], |_| {}), t_approvers(c)),
        },
        Case {
            slug: "approval-digest",
            readme: "0006 with its approval file replaced by another valid approval, manifest digest not updated: approval.digest",
            expected: invalid("approval.digest"),
            make: |c| {
                let mut p = Parts::open(&with_approvals(c, 1, &[(A1, "lee.ortiz@acme.example")], |_| {}));
                let change = p.manifest()["change"].clone();
                let nonce = p.manifest()["approvals"]["entries"][0]["nonce"].as_str().unwrap().to_owned();
                let file = approval(c.keys.get(A1), "lee.ortiz@acme.example", &nonce, &change,
                    |a| a["approved_at"] = json!("2026-11-20T08:31:00Z"));
                p.set("approvals/0001.dsse.json", file.envelope);
                vector(p.write(), t_approvers(c))
            },
        },
        // ---- policy and risk ----
        Case {
            slug: "policy-required-missing",
            readme: "0010's bundle (policy.required true) verified without --policy: policy.missing, INDETERMINATE",
            expected: ("INDETERMINATE", "policy.missing", 3),
            make: |c| vector(policy_bundle(c), t1(c)),
        },
        Case {
            slug: "policy-wrong",
            readme: "0010's bundle verified with a different policy document: policy.hash_mismatch",
            expected: invalid("policy.hash_mismatch"),
            make: |c| Vector { policy: Some(OTHER_POLICY.to_vec()), ..vector(policy_bundle(c), t1(c)) },
        },
        Case {
            slug: "risk-score-mismatch",
            readme: "0001 with risk.score one more than the recorded factors and weights give, re-signed: risk.score_mismatch",
            expected: invalid("risk.score_mismatch"),
            make: |c| mutate(c, |p, ctx| {
                p.edit_manifest(|m| {
                    let s = m["risk"]["score"].as_u64().unwrap() + 1;
                    m["risk"]["score"] = json!(s);
                });
                p.resign(ctx.keys);
            }),
        },
        // ---- receipts (receipt-v0.md; conformance.md §3.1 receipt-verify) ----
        Case {
            slug: "receipt-first-event",
            readme: "receipt of journal line 0 of 0001's bundle (tree of 4 leaves), trusted as 0001: VALID",
            expected: VALID,
            make: |c| receipt_mutated(c, 0, |_| {}),
        },
        Case {
            slug: "receipt-middle-event",
            readme: "receipt of journal line 1 of 0001's bundle, trusted as 0001: VALID",
            expected: VALID,
            make: |c| receipt_mutated(c, 1, |_| {}),
        },
        Case {
            slug: "receipt-last-event",
            readme: "receipt of journal line 2 (the last, so also checked against journal.head) of 0001's bundle: VALID",
            expected: VALID,
            make: |c| receipt_mutated(c, 2, |_| {}),
        },
        Case {
            slug: "receipt-untrusted-producer",
            readme: "receipt of line 1 of 0001's bundle verified with a trust holding only another producer key: VALID_UNTRUSTED trust.untrusted_key",
            expected: ("VALID_UNTRUSTED", "trust.untrusted_key", 2),
            make: |c| receipt_vector(canon(&base_receipt(c, 1)), trust(c.keys, &[producer(P2)], 1)),
        },
        Case {
            slug: "receipt-time-future",
            readme: "receipt of line 1 of 0001's bundle verified at 2026-11-20T09:01:00Z, before created_at and signed_at: time.future, INDETERMINATE",
            expected: ("INDETERMINATE", "time.future", 3),
            make: |c| Vector { at: "2026-11-20T09:01:00Z", ..receipt_mutated(c, 1, |_| {}) },
        },
        Case {
            slug: "receipt-event-tampered",
            readme: "receipt of line 1 with event.data.change set to data: the leaf hash changes, the proof misses merkle.root: receipt.proof",
            expected: invalid("receipt.proof"),
            make: |c| receipt_mutated(c, 1, |r| r["event"]["data"]["change"] = json!("data")),
        },
        Case {
            slug: "receipt-leaf-index-wrong",
            readme: "receipt of line 1 with leaf_index 2: event.seq differs from leaf_index, receipt.event_mismatch (before the proof step)",
            expected: invalid("receipt.event_mismatch"),
            make: |c| receipt_mutated(c, 1, |r| r["leaf_index"] = json!(2)),
        },
        Case {
            slug: "receipt-proof-flipped",
            readme: "receipt of line 1 with the last hex digit of proof[0] changed: the proof misses merkle.root, receipt.proof",
            expected: invalid("receipt.proof"),
            make: |c| receipt_mutated(c, 1, |r| {
                let h = r["proof"][0].as_str().unwrap().to_owned();
                let last = if h.ends_with('0') { '1' } else { '0' };
                r["proof"][0] = json!(format!("{}{last}", &h[..63]));
            }),
        },
        Case {
            slug: "receipt-tree-size-changed",
            readme: "receipt of line 1 with tree_size 5 (manifest merkle.size 4): receipt.proof",
            expected: invalid("receipt.proof"),
            make: |c| receipt_mutated(c, 1, |r| r["tree_size"] = json!(5)),
        },
        Case {
            slug: "receipt-manifest-changed",
            readme: "receipt of line 1 with manifest producer.version 0.1.1 (not a bundle_id input): JCS(manifest) no longer matches the signed subject, statement.subject_mismatch",
            expected: invalid("statement.subject_mismatch"),
            make: |c| receipt_mutated(c, 1, |r| r["manifest"]["producer"]["version"] = json!("0.1.1")),
        },
        Case {
            slug: "receipt-not-json",
            readme: "receipt.json holding the text `not a receipt` and LF: not strict JSON, receipt.schema",
            expected: invalid("receipt.schema"),
            make: |c| receipt_vector(b"not a receipt\n".to_vec(), t1(c)),
        },
        // ---- pinned by the Rust-vs-Go differential campaign ----
        Case {
            slug: "dsse-missing-before-unknown",
            readme: "0001 whose envelope key `signatures` is renamed `shgnatures`: a missing field is reported before an unknown one (dsse.md section 3.1), dsse.missing_field",
            expected: invalid("dsse.missing_field"),
            make: |c| mutate(c, |p, _| edit_envelope_json(p, |e| {
                let map = e.as_object_mut().unwrap();
                let list = map.remove("signatures").unwrap();
                map.insert("shgnatures".to_owned(), list);
            })),
        },
        Case {
            slug: "zip-local-extra-beyond-eof",
            readme: "0001 whose last local header declares a 65,535-byte extra field running past the end of the file: an unreadable local header, zip.local_header (bundle-v0.md section 2.4.3 item 4)",
            expected: invalid("zip.local_header"),
            make: |c| bytes(c, |b| {
                let last = b.windows(4).rposition(|w| w == b"PK\x03\x04").unwrap();
                b[last + 28] = 0xFF;
                b[last + 29] = 0xFF;
            }),
        },
    ]
    .into_iter()
    .chain(crate::pins::cases())
    .chain(crate::rsa_cases::cases())
    .chain(crate::coverage::cases())
    .chain(crate::policy_risk::cases())
    .chain(crate::numbers::cases())
    .chain(crate::ledger_cases::cases())
    .chain(crate::badge_cases::cases())
    .chain(crate::attest_cases::cases())
    .chain(crate::witness_cases::cases())
    .collect()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| l.iter().copied().chain([b'\n']))
        .collect()
}
