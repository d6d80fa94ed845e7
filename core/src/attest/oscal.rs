//! The OSCAL 1.1.3 assessment-results view of a signed attestation (attestation-v0.md §8).
//!
//! One result; one finding per control (target `objective-id`, state `satisfied` only for
//! `supported`), one observation per bundle. UUIDs are derived from the payload digest and a
//! label (version-5 layout over SHA-256), so the same attestation gives the same bytes.

use crate::digest::Sha256Digest;
use crate::dsse::Statement;
use crate::jcs::{self, Map, Value};

/// The OSCAL version written.
pub const OSCAL_VERSION: &str = "1.1.3";

/// The namespace of Clyra's OSCAL props.
const NS: &str = "https://clyra.dev/ns/oscal";

/// A deterministic UUID (RFC 9562 layout, version 5 bits) from `seed` and `label`.
fn uuid(seed: &Sha256Digest, label: &str) -> String {
    let mut input = seed.to_hex().into_bytes();
    input.push(0);
    input.extend_from_slice(label.as_bytes());
    let h = Sha256Digest::of(&input).to_hex();
    let hex: Vec<char> = h.chars().take(32).collect();
    let mut out = String::with_capacity(36);
    for (i, c) in hex.iter().enumerate() {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        let c = match i {
            12 => '5',
            16 => ['8', '9', 'a', 'b']
                .get(c.to_digit(16).unwrap_or(0) as usize % 4)
                .copied()
                .unwrap_or('8'),
            _ => *c,
        };
        out.push(c);
    }
    out
}

/// An OSCAL token for a control: the framework id, `_`, then the identifier with every character
/// outside `[A-Za-z0-9._-]` replaced by `-` (OSCAL tokens allow no spaces or parentheses).
pub fn control_token(framework: &str, id: &str) -> String {
    let mut out = format!("{framework}_");
    for ch in id.chars() {
        if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-') {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::from(m)
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn prop(name: &str, value: &str) -> Value {
    obj(vec![("name", s(name)), ("ns", s(NS)), ("value", s(value))])
}

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The assessment-results document for `statement` (an attestation Statement), as canonical
/// JSON bytes.
pub fn assessment_results(statement: &Statement) -> Vec<u8> {
    let payload = Sha256Digest::of(&statement.to_canonical_bytes());
    let p = &statement.predicate;
    let framework_id = text(p, &["framework", "id"]);
    let framework = text(p, &["framework", "name"]);
    let attested_at = text(p, &["attested_at"]);
    let verified_at = text(p, &["verified_at"]);
    let bundles = p.get("bundles").and_then(Value::as_array).unwrap_or(&[]);
    let observations: Vec<Value> = bundles
        .iter()
        .filter_map(|b| {
            let i = usize::try_from(b.get("subject")?.as_u64()?).ok()?;
            let subject = statement.subject.get(i)?;
            Some(obj(vec![
                ("uuid", s(&uuid(&payload, &format!("observation/{i}")))),
                ("title", s(&format!("Bundle {}", subject.name))),
                (
                    "description",
                    s(&format!(
                        "Verified {} (sha256 {}) at {verified_at}: {} ({})",
                        subject.name,
                        subject.sha256.to_hex(),
                        text(b, &["outcome"]),
                        text(b, &["primary"])
                    )),
                ),
                (
                    "props",
                    Value::from(vec![
                        prop("bundle-sha256", &subject.sha256.to_hex()),
                        prop("verdict", text(b, &["outcome"])),
                    ]),
                ),
                ("methods", Value::from(vec![s("TEST")])),
                ("collected", s(verified_at)),
            ]))
        })
        .collect();
    let controls = p.get("controls").and_then(Value::as_array).unwrap_or(&[]);
    let findings: Vec<Value> = controls
        .iter()
        .map(|c| {
            let id = text(c, &["id"]);
            let status = text(c, &["status"]);
            let state = if status == "supported" {
                "satisfied"
            } else {
                "not-satisfied"
            };
            let related: Vec<Value> = c
                .get("references")
                .and_then(Value::as_array)
                .unwrap_or(&[])
                .iter()
                .filter_map(|r| r.get("subject")?.as_u64())
                .map(|i| {
                    obj(vec![(
                        "observation-uuid",
                        s(&uuid(&payload, &format!("observation/{i}"))),
                    )])
                })
                .collect();
            let mut f = vec![
                ("uuid", s(&uuid(&payload, &format!("finding/{id}")))),
                (
                    "title",
                    s(&format!("{framework} {id}: {}", text(c, &["title"]))),
                ),
                (
                    "description",
                    s(&format!(
                        "{}. Mechanism: {}. Evidence: {}. Re-test: {}.",
                        text(c, &["rationale", "objective"]),
                        text(c, &["rationale", "mechanism"]),
                        text(c, &["rationale", "evidence"]),
                        text(c, &["rationale", "retest"])
                    )),
                ),
                (
                    "props",
                    Value::from(vec![prop("control-id", id), prop("clyra-status", status)]),
                ),
                (
                    "target",
                    obj(vec![
                        ("type", s("objective-id")),
                        ("target-id", s(&control_token(framework_id, id))),
                        (
                            "status",
                            obj(vec![
                                ("state", s(state)),
                                ("reason", s(status.replace('_', "-").as_str())),
                            ]),
                        ),
                    ]),
                ),
            ];
            if !related.is_empty() {
                f.push(("related-observations", Value::from(related)));
            }
            obj(f)
        })
        .collect();
    let mut result = vec![
        ("uuid", s(&uuid(&payload, "result"))),
        ("title", s(&format!("{framework} attestation"))),
        (
            "description",
            s(&format!(
                "Controls of {framework} evaluated by clyra attest over {} bundles (attestation-v0); the signed DSSE envelope with payload sha256:{} is authoritative.",
                bundles.len(),
                payload.to_hex()
            )),
        ),
        ("start", s(verified_at)),
        ("end", s(attested_at)),
        (
            "reviewed-controls",
            obj(vec![(
                "control-selections",
                Value::from(vec![obj(vec![("include-all", Value::from(Map::new()))])]),
            )]),
        ),
    ];
    if !observations.is_empty() {
        result.push(("observations", Value::from(observations)));
    }
    result.push(("findings", Value::from(findings)));
    let doc = obj(vec![(
        "assessment-results",
        obj(vec![
            ("uuid", s(&uuid(&payload, "assessment-results"))),
            (
                "metadata",
                obj(vec![
                    ("title", s(&format!("Clyra attestation: {framework}"))),
                    ("last-modified", s(attested_at)),
                    ("version", s("attestation-v0")),
                    ("oscal-version", s(OSCAL_VERSION)),
                    (
                        "props",
                        Value::from(vec![prop("payload-sha256", &payload.to_hex())]),
                    ),
                ]),
            ),
            (
                "import-ap",
                obj(vec![(
                    "href",
                    s("urn:clyra:attestation-v0:no-assessment-plan"),
                )]),
            ),
            ("results", Value::from(vec![obj(result)])),
        ]),
    )]);
    jcs::to_vec(&doc)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_oscal_tokens() {
        assert_eq!(
            control_token("sox", "Program changes"),
            "sox_Program-changes"
        );
        assert_eq!(control_token("hipaa", "164.312(c)(1)"), "hipaa_164.312-c-1");
        assert_eq!(
            control_token("eu-ai-act", "Art. 14(5)"),
            "eu-ai-act_Art.-14-5"
        );
    }

    #[test]
    fn uuids_have_the_version_5_layout() {
        let u = uuid(&Sha256Digest::of(b"x"), "result");
        assert_eq!(u.len(), 36);
        assert_eq!(u.chars().nth(14), Some('5'));
        assert!(matches!(u.chars().nth(19), Some('8' | '9' | 'a' | 'b')));
        assert_eq!(u, uuid(&Sha256Digest::of(b"x"), "result"));
    }
}
