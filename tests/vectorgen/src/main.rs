//! `clyra-vectorgen`: writes the golden vectors of `spec/conformance.md` deterministically.
//!
//! Usage: `clyra-vectorgen --out vectors [--check]`. Without `--check` it writes every
//! non-superseded vector (and, once, the signing keys of `vectors/keys/`); with `--check` it
//! regenerates in memory and fails on any byte of drift, a missing or an extra file
//! (conformance.md §4.3). The expected triple of each case is written by hand from the spec in
//! the case table below, never taken from a verifier.
//!
//! spec: conformance.md §2 (layout), §4 (deterministic generation), §5 (ERRATA).

// A generator, not a library: any inconsistency in its own inputs is a bug to stop on loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod attest_cases;
mod badge_cases;
mod cases;
mod coverage;
mod ledger_cases;
mod numbers;
mod pins;
mod policy_risk;
mod rsa_cases;
mod rsa_keys;
mod witness_cases;
mod zip;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use clyra_core::approval::APPROVAL_PAYLOAD_TYPE;
use clyra_core::build::{build_bundle, ApprovalFile, Artifact, BuildInputs, BundleSpec};
use clyra_core::bundle::{Container, ContainerWriter, Method};
use clyra_core::crypto::{PublicKey, Scheme, SigningKey};
use clyra_core::dsse::{self, Envelope, IN_TOTO_PAYLOAD_TYPE};
use clyra_core::Limits;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The verification time of most vectors.
pub const AT: &str = "2026-12-01T00:00:00Z";
/// `created_at` of the DEF bases.
pub const CREATED_AT: &str = "2026-11-20T09:01:15Z";
/// `signed_at` of every producer signature unless a case says otherwise.
pub const SIGNED_AT: &str = "2026-11-20T09:01:16Z";
/// The policy document of the policy vectors (not canonical on purpose: it is hashed as JCS).
pub const POLICY: &[u8] =
    b"{\"rules\": [{\"id\": \"prod-schema-change\", \"require\": \"two_person\"}], \"version\": 1}\n";
/// A different policy: a wrong policy.
pub const OTHER_POLICY: &[u8] =
    b"{\"rules\": [{\"id\": \"prod-schema-change\", \"require\": \"none\"}], \"version\": 1}\n";

/// The keys of `vectors/keys/`, in the order they were created.
pub const KEY_NAMES: &[&str] = &[
    "producer-ed25519-1",
    "producer-ed25519-2",
    "producer-p256-1",
    "approver-ed25519-1",
    "approver-p256-1",
    "approver-ed25519-2",
];

/// SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// `sha256:<hex>` of bytes.
pub fn prefixed(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha256(bytes)))
}

/// Canonical JSON (RFC 8785) of a serde value, via the core's canonicalizer.
pub fn canon(value: &Value) -> Vec<u8> {
    clyra_core::jcs::canonicalize(&serde_json::to_vec(value).unwrap(), &Limits::default()).unwrap()
}

/// A parsed JSON document.
pub fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// The loaded signing keys, by name, and the RSA keys (signed by vectorgen alone).
pub struct Keys(BTreeMap<String, SigningKey>, pub rsa_keys::RsaKeys);

impl Keys {
    /// Reads every key of `dir`, creating (once) the ones that do not exist yet from the seed
    /// SHA-256(key name). In check mode a missing key is an error.
    fn load(dir: &Path, create: bool) -> Keys {
        let mut map = BTreeMap::new();
        for name in KEY_NAMES {
            let path = dir.join(format!("{name}.key"));
            if !path.exists() {
                assert!(create, "missing committed key {}", path.display());
                let scheme = if name.contains("p256") {
                    Scheme::EcdsaP256Sha256
                } else {
                    Scheme::Ed25519
                };
                let key = SigningKey::generate(scheme, sha256(name.as_bytes())).unwrap();
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(&path, key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
            }
            let pem = std::fs::read_to_string(&path).unwrap();
            map.insert(
                (*name).to_owned(),
                SigningKey::from_pkcs8_pem(&pem).unwrap(),
            );
        }
        Keys(map, rsa_keys::RsaKeys::load(dir, create))
    }

    /// The key named `name`.
    pub fn get(&self, name: &str) -> &SigningKey {
        self.0.get(name).unwrap_or_else(|| panic!("no key {name}"))
    }

    /// The key whose keyid hex is `hex`.
    pub fn by_hex(&self, hex: &str) -> &SigningKey {
        self.0
            .values()
            .find(|k| k.public_key().keyid() == format!("sha256:{hex}"))
            .unwrap_or_else(|| panic!("no key {hex}"))
    }
}

/// The keyid hex of a key.
pub fn key_hex(key: &SigningKey) -> String {
    key.public_key()
        .keyid()
        .strip_prefix("sha256:")
        .unwrap()
        .to_owned()
}

/// One vector's generation context: its seed and the keys.
pub struct Ctx<'k> {
    /// SHA-256 of the slug.
    pub seed: [u8; 32],
    /// The committed keys.
    pub keys: &'k Keys,
}

impl Ctx<'_> {
    /// The value labelled `label`: SHA-256(seed ‖ label) (conformance.md §4.1).
    pub fn label(&self, label: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.seed);
        h.update(label.as_bytes());
        h.finalize().into()
    }

    /// A nonce derived from the label `label`: `n-` + 32 hex digits.
    pub fn nonce(&self, label: &str) -> String {
        format!("n-{}", hex::encode(&self.label(label)[..16]))
    }

    /// A bundle id derived from the seed.
    pub fn bundle_id(&self) -> String {
        format!("vectors:{}", hex::encode(&self.label("bundle_id")[..8]))
    }
}

/// One zip entry as the vectors handle it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The entry name.
    pub name: String,
    /// Stored or deflated.
    pub method: Method,
    /// The uncompressed bytes.
    pub data: Vec<u8>,
}

/// A bundle taken apart: its entries in zip order.
#[derive(Clone, Debug)]
pub struct Parts(pub Vec<Entry>);

impl Parts {
    /// Opens a bundle written by the builder.
    pub fn open(bytes: &[u8]) -> Parts {
        let limits = Limits::default();
        let mut c = Container::open(Cursor::new(bytes), bytes.len() as u64, &limits).unwrap();
        let infos: Vec<(String, Method)> = c
            .entries()
            .iter()
            .map(|e| (e.name.clone(), e.method))
            .collect();
        Parts(
            infos
                .into_iter()
                .enumerate()
                .map(|(i, (name, method))| Entry {
                    name,
                    method,
                    data: c.read_small_entry(i, u64::MAX).unwrap(),
                })
                .collect(),
        )
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> &[u8] {
        &self
            .0
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no entry {name}"))
            .data
    }

    /// Replaces the bytes of the entry `name`.
    pub fn set(&mut self, name: &str, data: Vec<u8>) {
        self.0
            .iter_mut()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no entry {name}"))
            .data = data;
    }

    /// Inserts an entry among the entries of its folder (`keys/`, …) at its name-order place.
    pub fn insert_sorted(&mut self, name: &str, method: Method, data: Vec<u8>) {
        let folder = &name[..=name.find('/').unwrap()];
        let at = self
            .0
            .iter()
            .position(|e| e.name.starts_with(folder) && e.name.as_str() > name)
            .or_else(|| {
                self.0
                    .iter()
                    .rposition(|e| e.name.starts_with(folder))
                    .map(|i| i + 1)
            })
            .unwrap_or_else(|| panic!("no entry in {folder}"));
        self.0.insert(
            at,
            Entry {
                name: name.to_owned(),
                method,
                data,
            },
        );
    }

    /// Removes the entry `name`.
    pub fn remove(&mut self, name: &str) {
        let before = self.0.len();
        self.0.retain(|e| e.name != name);
        assert_eq!(before, self.0.len() + 1, "no entry {name}");
    }

    /// The name of the first entry starting with `prefix`.
    pub fn first(&self, prefix: &str) -> String {
        self.0
            .iter()
            .find(|e| e.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no entry {prefix}*"))
            .name
            .clone()
    }

    /// The manifest as JSON.
    pub fn manifest(&self) -> Value {
        parse(self.get("manifest.json"))
    }

    /// Edits the manifest and writes it back canonical (signatures are not touched).
    pub fn edit_manifest(&mut self, f: impl FnOnce(&mut Value)) {
        let mut m = self.manifest();
        f(&mut m);
        self.set("manifest.json", canon(&m));
    }

    /// The journal lines (without LF).
    pub fn journal_lines(&self) -> Vec<Vec<u8>> {
        let j = self.get("journal.ndjson");
        j.strip_suffix(b"\n")
            .unwrap_or(j)
            .split(|b| *b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    }

    /// The producer Statement (bundle-v0.md §6.4) over the current manifest bytes.
    pub fn statement(&self, signed_at: &Value, scheme: &str) -> Value {
        let manifest_bytes = self.get("manifest.json");
        let m = parse(manifest_bytes);
        json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "manifest.json",
                         "digest": {"sha256": hex::encode(sha256(manifest_bytes))}}],
            // A manifest without `format` (a vector) is signed as DEF.
            "predicateType": format!("https://clyra.dev/{}", m["format"].as_str().unwrap_or("def/v0")),
            "predicate": {
                "bundle_id": m["bundle_id"],
                "merkle_root": m["merkle"]["root"],
                "journal_head": m["journal"]["head"],
                "signed_at": signed_at,
                "role": "producer",
                "scheme": scheme,
            }
        })
    }

    /// Re-signs every producer envelope over the current manifest bytes, the statement edited by
    /// `edit` and wrapped with `payload_type`.
    pub fn resign_with(&mut self, keys: &Keys, payload_type: &str, edit: impl Fn(&mut Value)) {
        let names: Vec<String> = self
            .0
            .iter()
            .filter(|e| e.name.starts_with("signatures/"))
            .map(|e| e.name.clone())
            .collect();
        for name in names {
            let hex = name
                .strip_prefix("signatures/")
                .unwrap()
                .strip_suffix(".dsse.json")
                .unwrap();
            let key = keys.by_hex(hex);
            let old = Envelope::decode(self.get(&name), &Limits::default()).unwrap();
            let old_statement = parse(&old.payload);
            let mut statement = self.statement(
                &old_statement["predicate"]["signed_at"],
                key.scheme().as_str(),
            );
            edit(&mut statement);
            let envelope = dsse::sign(payload_type, &canon(&statement), key);
            self.set(&name, envelope.encode());
        }
    }

    /// Replaces approval file `index` (from 0) by `envelope`, records its digest in the manifest
    /// and re-signs, so that only the approval rule under test can fail.
    pub fn replace_approval(&mut self, keys: &Keys, index: usize, envelope: Vec<u8>) {
        let digest = prefixed(&envelope);
        self.set(&format!("approvals/{:04}.dsse.json", index + 1), envelope);
        self.edit_manifest(|m| m["approvals"]["entries"][index]["digest"] = json!(digest));
        self.resign(keys);
    }

    /// Re-signs every producer envelope over the current manifest.
    pub fn resign(&mut self, keys: &Keys) {
        self.resign_with(keys, IN_TOTO_PAYLOAD_TYPE, |_| {});
    }

    /// Writes the entries with the core's deterministic container writer (bundle-v0.md §2.3).
    pub fn write(&self) -> Vec<u8> {
        let limits = Limits::default();
        let mut w = ContainerWriter::new(Cursor::new(Vec::new()), &limits);
        for e in &self.0 {
            w.add_entry(&e.name, e.method, e.data.as_slice()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// The entries as raw zip entries, for the byte-level encoder.
    pub fn raw(&self) -> Vec<zip::RawEntry> {
        self.0
            .iter()
            .map(|e| zip::RawEntry::new(&e.name, e.method, &e.data))
            .collect()
    }
}

/// The bundle spec of the DEF bases: the run of bundle-v0.md §8 with a seeded bundle id.
pub fn def_spec(ctx: &Ctx<'_>) -> Value {
    json!({
        "format": "def/v0",
        "bundle_id": ctx.bundle_id(),
        "created_at": CREATED_AT,
        "producer": {"name": "clyra-dbt", "version": "0.1.0", "host": "dbt-core 1.11.2"},
        "change": {"actor": "dana@example.com", "environment": "production", "kind": "schema",
                   "subject": "model.shop.orders"},
        "policy": {"required": false, "decisions": []},
        "risk": {"factors": {"change_magnitude": "schema", "violations_critical": 0,
                 "violations_warning": 0, "production": true, "off_hours": false,
                 "approval_bypassed": false, "threats": 0, "sql_findings": 0,
                 "first_time_actor": false}},
        "approvals": {"required": 0},
        "def": {"run": {"tool": "dbt", "tool_version": "1.11.2",
                        "invocation_id": "5f0c8a4e-7d2b-4c1e-9a63-0b8e2f4d1c77",
                        "command": "dbt build", "started_at": "2026-11-20T09:00:00Z",
                        "finished_at": "2026-11-20T09:01:12Z", "environment": "prod",
                        "actor": "svc-dbt-ci@example.com", "status": "success"},
                "assets": [{"id": "model.shop.orders", "relation": "analytics.shop.orders",
                            "change": "schema", "columns_added": ["discount_cents"]}],
                "tests": [], "metrics": {"rows_affected": 1842}},
        "artifacts": {"run_results.json": {"media_type": "application/json"}},
        "journal": [
            {"at": "2026-11-20T09:00:00Z", "kind": "run.started",
             "data": {"command": "build", "tool": "dbt", "tool_version": "1.11.2"}},
            {"at": "2026-11-20T09:00:41Z", "kind": "asset.changed",
             "data": {"asset": "model.shop.orders", "change": "schema"}},
            {"at": "2026-11-20T09:01:12Z", "kind": "run.finished",
             "data": {"rows_affected": 1842, "status": "success"}}
        ]
    })
}

/// The PEF base spec: one MCP tool call through a gateway.
pub fn pef_spec(ctx: &Ctx<'_>) -> Value {
    let zeros = format!("sha256:{}", "0".repeat(64));
    json!({
        "format": "pef/v0",
        "bundle_id": ctx.bundle_id(),
        "created_at": "2026-11-20T09:00:45Z",
        "producer": {"name": "clyra-gateway", "version": "0.1.0"},
        "change": {"subject": "crm:case/500XX00000A1b2C", "kind": "tool_call",
                   "actor": "agent-support-7", "environment": "staging"},
        "policy": {"required": false, "decisions": []},
        "risk": {"factors": {"change_magnitude": "data", "violations_critical": 0,
                 "violations_warning": 0, "production": false, "off_hours": false,
                 "approval_bypassed": false, "threats": 1, "sql_findings": 0,
                 "first_time_actor": true}},
        "approvals": {"required": 0},
        "pef": {"operations": [{"seq": 0, "actor": "agent-support-7", "tool": "crm.update_case",
                                "target": "crm:case/500XX00000A1b2C", "parameters_hash": zeros,
                                "decision": "allow", "outcome": "executed"}],
                "threats": [{"owasp_llm": {"edition": "2025", "id": "LLM01"}, "confidence": 40,
                             "detector": "clyra-guard/prompt-injection@0.4.0", "seq": 0}]},
        "extensions": {"mcp": {"server_id": "mcp-crm.acme.example", "tool": "crm.update_case",
                               "operation": "tools/call", "params_hash": zeros,
                               "token_scope": ["crm.cases:write"]}},
        "journal": [
            {"at": "2026-11-20T09:00:40Z", "kind": "operation.requested",
             "data": {"tool": "crm.update_case"}},
            {"at": "2026-11-20T09:00:42Z", "kind": "operation.executed",
             "data": {"applies_to": 0}}
        ]
    })
}

/// The artifact of the DEF bases (`artifacts/run_results.json`).
pub const RUN_RESULTS: &[u8] = b"{\"metadata\":{\"dbt_version\":\"1.11.2\"},\"results\":[{\"unique_id\":\"model.shop.orders\",\"status\":\"success\",\"rows_affected\":1842}],\"elapsed_time\":31.2}\n";

/// An approval payload (approval-v0.md §3) for `change`, edited by `edit`.
pub fn approval_payload(
    sso_sub: &str,
    nonce: &str,
    change: &Value,
    edit: impl FnOnce(&mut Value),
) -> Vec<u8> {
    let mut payload = json!({
        "type": "https://clyra.dev/approval/v0",
        "sso_sub": sso_sub,
        "idp_domain": "acme.example",
        "mfa_verified": true,
        "challenge_nonce": nonce,
        "payload_hash": prefixed(&canon(change)),
        "approved_at": "2026-11-20T08:30:00Z",
        "expires_at": "2026-11-21T08:30:00Z",
    });
    edit(&mut payload);
    canon(&payload)
}

/// An approval envelope by `key` for `change`, with the payload edited by `edit`.
pub fn approval(
    key: &SigningKey,
    sso_sub: &str,
    nonce: &str,
    change: &Value,
    edit: impl FnOnce(&mut Value),
) -> ApprovalFile {
    let payload = approval_payload(sso_sub, nonce, change, edit);
    ApprovalFile {
        envelope: dsse::sign(APPROVAL_PAYLOAD_TYPE, &payload, key).encode(),
        nonce: nonce.to_owned(),
    }
}

/// Inputs of one built bundle besides the spec.
pub struct Build<'a> {
    /// Artifacts: name under `artifacts/` and bytes.
    pub artifacts: Vec<(&'a str, Vec<u8>)>,
    /// Approval envelopes in order.
    pub approvals: Vec<ApprovalFile>,
    /// Approver public keys.
    pub approver_keys: Vec<PublicKey>,
    /// Producer key names.
    pub signers: Vec<&'a str>,
    /// `signed_at`.
    pub signed_at: &'a str,
}

impl Default for Build<'_> {
    fn default() -> Self {
        Build {
            artifacts: vec![("run_results.json", RUN_RESULTS.to_vec())],
            approvals: vec![],
            approver_keys: vec![],
            signers: vec!["producer-ed25519-1"],
            signed_at: SIGNED_AT,
        }
    }
}

/// Builds a bundle with the core's builder.
pub fn build(ctx: &Ctx<'_>, spec: &Value, b: Build<'_>) -> Vec<u8> {
    let spec = BundleSpec::parse(&canon(spec), &Limits::default()).unwrap();
    let signers: Vec<&SigningKey> = b.signers.iter().map(|n| ctx.keys.get(n)).collect();
    let mut out = Cursor::new(Vec::new());
    build_bundle(
        &spec,
        BuildInputs {
            artifacts: b
                .artifacts
                .iter()
                .map(|(n, bytes)| Artifact::new(*n, Cursor::new(bytes.clone())))
                .collect(),
            approvals: b.approvals,
            approver_keys: &b.approver_keys,
            signers: &signers,
            signed_at: b.signed_at,
        },
        &mut out,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("build: {e}"));
    out.into_inner()
}

/// One key of a trust file.
pub struct TrustKey<'a> {
    /// Key name.
    pub name: &'a str,
    /// Roles.
    pub roles: &'a [&'a str],
    /// Extra members (`not_before`, `not_after`, `revoked_at`).
    pub extra: &'a [(&'a str, &'a str)],
}

/// Shorthand for a producer key without window.
pub fn producer(name: &str) -> TrustKey<'_> {
    TrustKey {
        name,
        roles: &["producer"],
        extra: &[],
    }
}

/// Shorthand for an approver key without window.
pub fn approver(name: &str) -> TrustKey<'_> {
    TrustKey {
        name,
        roles: &["approver"],
        extra: &[],
    }
}

/// A trust file (canonical JSON) holding `keys` with producer threshold `threshold`.
pub fn trust(keys: &Keys, entries: &[TrustKey<'_>], threshold: u32) -> Vec<u8> {
    let items: Vec<Value> = entries
        .iter()
        .map(|t| {
            let k = keys.get(t.name);
            let mut item = json!({
                "keyid": k.public_key().keyid(),
                "scheme": k.scheme().as_str(),
                "public_key_pem": k.public_key().to_pem(),
                "roles": t.roles,
            });
            for (name, value) in t.extra {
                item[*name] = json!(value);
            }
            item
        })
        .collect();
    canon(&json!({"version": 0, "keys": items, "thresholds": {"producer": threshold}}))
}

/// What one case produces.
pub struct Vector {
    /// `bundle.zip`, or `receipt.json` when `receipt` is set.
    pub bundle: Vec<u8>,
    /// The vector is a receipt vector (conformance.md §2.2): `bundle` holds `receipt.json`.
    pub receipt: bool,
    /// `trust.json`.
    pub trust: Vec<u8>,
    /// `args.json` `at`.
    pub at: &'static str,
    /// `policy.json`, when given.
    pub policy: Option<Vec<u8>>,
    /// `expected.json` `subject` (conformance.md §2.5), when the vector pins it.
    pub subject: Option<String>,
    /// `expected.json` `detail` of an ERROR (conformance.md §2.5), when the vector pins it.
    pub detail: Option<&'static str>,
    /// The vector is a ledger vector (conformance.md §2.6): `bundle` holds `ledger-proof.json`
    /// and `trust` holds `ledger-key.txt`.
    pub ledger: bool,
    /// `ledger-proof.json` beside `bundle.zip`: a witnessed vector (conformance.md §2.9).
    pub ledger_proof: Option<Vec<u8>>,
}

/// The files of one vector folder.
fn files_of(case: &cases::Case, ctx: &Ctx<'_>) -> BTreeMap<String, Vec<u8>> {
    let v = (case.make)(ctx);
    let mut files = BTreeMap::new();
    assert!(
        !(v.receipt && v.policy.is_some()),
        "a receipt vector has no policy"
    );
    // conformance.md §2.7: a badge vector's bytes are a compact JWS, whose JSON header starts
    // `{"` and so its base64url `eyJ`; no bundle (`PK`) or receipt (`{`) starts so.
    let badge = v.bundle.starts_with(b"eyJ");
    let name = if v.ledger {
        "ledger-proof.json"
    } else if badge {
        "badge.jws"
    } else if v.receipt {
        "receipt.json"
    } else {
        "bundle.zip"
    };
    files.insert(name.to_owned(), v.bundle);
    if let Some(proof) = v.ledger_proof {
        assert!(
            !v.ledger && !v.receipt && !badge,
            "a witnessed vector is a bundle vector"
        );
        files.insert("ledger-proof.json".to_owned(), proof);
    }
    if let Some(attestation) = attest_cases::attestation(case.slug, ctx) {
        files.insert("attestation.dsse.json".to_owned(), attestation);
    }
    let trust_name = if v.ledger {
        "ledger-key.txt"
    } else {
        "trust.json"
    };
    files.insert(trust_name.to_owned(), v.trust);
    let mut args = json!({"at": v.at});
    if let Some(policy) = v.policy {
        args["policy"] = json!("policy.json");
        files.insert("policy.json".to_owned(), policy);
    }
    files.insert("args.json".to_owned(), canon(&args));
    let (outcome, primary, exit) = case.expected;
    let mut expected = json!({"outcome": outcome, "primary": primary, "exit": exit});
    if let Some(subject) = v.subject {
        expected["subject"] = json!(subject);
    }
    if let Some(detail) = v.detail {
        assert_eq!(outcome, "ERROR", "a detail is pinned for ERROR only");
        expected["detail"] = json!(detail);
    }
    files.insert("expected.json".to_owned(), canon(&expected));
    assert!(case.readme.is_ascii() && !case.readme.contains('\n'));
    files.insert(
        "README".to_owned(),
        format!("{}\n", case.readme).into_bytes(),
    );
    files
}

/// Folder names superseded in `ERRATA.md` (conformance.md §5).
fn superseded(out: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(out.join("ERRATA.md")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out: Option<PathBuf> = None;
    let mut check = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--out" => {
                out = args.get(i + 1).map(PathBuf::from);
                i += 1;
            }
            "--check" => check = true,
            other => {
                eprintln!("unknown argument `{other}`; usage: clyra-vectorgen --out DIR [--check]");
                std::process::exit(4);
            }
        }
        i += 1;
    }
    let Some(out) = out else {
        eprintln!("usage: clyra-vectorgen --out DIR [--check]");
        std::process::exit(4);
    };
    let keys = Keys::load(&out.join("keys"), !check);
    let frozen = superseded(&out);
    let table = cases::cases();
    let mut problems = Vec::new();
    let mut known = BTreeSet::new();
    for (n, case) in table.iter().enumerate() {
        let folder = format!("{:04}-{}", n + 1, case.slug);
        known.insert(folder.clone());
        if frozen.contains(&folder) {
            continue;
        }
        let ctx = Ctx {
            seed: sha256(case.slug.as_bytes()),
            keys: &keys,
        };
        let files = files_of(case, &ctx);
        let dir = out.join(&folder);
        if check {
            for (name, bytes) in &files {
                match std::fs::read(dir.join(name)) {
                    Ok(have) if have == *bytes => {}
                    Ok(_) => problems.push(format!("{folder}/{name}: drift")),
                    Err(_) => problems.push(format!("{folder}/{name}: missing")),
                }
            }
            if let Ok(rd) = std::fs::read_dir(&dir) {
                for entry in rd.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if !files.contains_key(&name) {
                        problems.push(format!("{folder}/{name}: extra file"));
                    }
                }
            }
        } else {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).unwrap();
            }
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in &files {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
    }
    // Folders vectorgen does not know (and that are not frozen) are drift too.
    if let Ok(rd) = std::fs::read_dir(&out) {
        for entry in rd.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_vector = name.len() > 5 && name.as_bytes()[..4].iter().all(u8::is_ascii_digit);
            if is_vector && !known.contains(&name) && !frozen.contains(&name) {
                problems.push(format!("{name}: not produced by vectorgen"));
            }
        }
    }
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("vectors drift: {p}");
        }
        eprintln!(
            "{} problem(s); regenerate with `cargo run -p clyra-vectorgen -- --out vectors`",
            problems.len()
        );
        std::process::exit(1);
    }
    println!(
        "{} vectors {}",
        table.len() - frozen.len(),
        if check { "match" } else { "written" }
    );
}
