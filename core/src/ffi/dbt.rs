//! dbt over the FFI: seal one run (artifacts + hook facts + state) into a signed DEF bundle, and
//! schema fingerprints (def-v0.md §3) for hosts that compare relations themselves.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bundle::{build, Produced};
use super::{parse_call, Answer, DetailedError};
use crate::def::dbt::{seal_spec, RunContext};
use crate::def::fingerprint::{fingerprint as fingerprint_of, Column};
use crate::def::DefError;

fn def_error(e: &DefError) -> Vec<DetailedError> {
    vec![DetailedError::of(e).with_help(e.help())]
}

/// The call of [`seal`]: everything but dbt's artifact bytes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealCall {
    /// The host's facts about the run.
    pub context: RunContext,
    /// The object the `on-run-end` hook logged, when it ran.
    #[serde(default)]
    pub facts: Option<Value>,
    /// The state the previous run left, when there was one.
    #[serde(default)]
    pub previous: Option<Value>,
    /// The producer keys, PKCS#8 PEM.
    pub keys: Vec<String>,
    /// The signing time.
    pub signed_at: String,
}

/// The result of [`seal`]; the bundle is the produced bytes.
#[derive(Debug, Clone, Serialize)]
pub struct SealResult {
    /// The build report (bundle id, digests, risk score, entries).
    pub bundle: Value,
    /// The state to keep for the next run.
    pub state: Value,
    /// What happened: status, schema changes, tests, anchors.
    pub summary: Value,
    /// The bundle spec that was sealed.
    pub spec: Value,
}

/// Seals a dbt run: `run_results.json` and `manifest.json` bytes (added as the artifacts
/// `dbt/run_results.json` and `dbt/manifest.json`, exact bytes) and `extra` artifacts.
pub fn seal(
    call: &[u8],
    run_results: &[u8],
    manifest: &[u8],
    extra: &[(String, &[u8])],
) -> Produced {
    let parsed = parse_call::<SealCall>(call).and_then(|c| {
        let json = |bytes: &[u8], name: &str| {
            serde_json::from_slice::<Value>(bytes).map_err(|e| {
                vec![
                    DetailedError::new("seal.artifact", format!("`{name}` is not JSON: {e}"))
                        .with_help("run dbt again so that target/ holds complete artifacts"),
                ]
            })
        };
        let results = json(run_results, "run_results.json")?;
        let manifest_json = json(manifest, "manifest.json")?;
        let mut context = c.context.clone();
        for name in ["dbt/run_results.json", "dbt/manifest.json"] {
            context
                .artifacts
                .insert(name.to_owned(), "application/json".to_owned());
        }
        let sealed = seal_spec(
            &results,
            &manifest_json,
            c.facts.as_ref(),
            c.previous.as_ref(),
            &context,
        )
        .map_err(|e| def_error(&e))?;
        Ok((c, sealed))
    });
    let (c, sealed) = match parsed {
        Ok(ok) => ok,
        Err(errors) => {
            return Produced {
                answer: Answer::<()>::of(Err(errors)).to_json(),
                bytes: Vec::new(),
            }
        }
    };
    let build_call = serde_json::json!({"spec": sealed.spec.to_string(), "keys": c.keys, "signed_at": c.signed_at});
    let mut artifacts: Vec<(String, &[u8])> = vec![
        ("dbt/run_results.json".to_owned(), run_results),
        ("dbt/manifest.json".to_owned(), manifest),
    ];
    artifacts.extend(extra.iter().cloned());
    let built = build(build_call.to_string().as_bytes(), &artifacts);
    let answer: Value = serde_json::from_slice(&built.answer).unwrap_or(Value::Null);
    if answer.get("type").and_then(Value::as_str) != Some("success") {
        return built;
    }
    let result = SealResult {
        bundle: answer.get("result").cloned().unwrap_or(Value::Null),
        state: sealed.state,
        summary: sealed.summary,
        spec: sealed.spec,
    };
    Produced {
        answer: Answer::of(Ok(result)).to_json(),
        bytes: built.bytes,
    }
}

/// The call of [`fingerprint`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FingerprintCall {
    /// `db.schema.table`.
    pub relation: String,
    /// The columns as the warehouse reports them.
    pub columns: Vec<Column>,
}

/// The schema fingerprint of a relation (def-v0.md §3): `{"fingerprint": "sha256:…"}`.
pub fn fingerprint(call: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<FingerprintCall>(call).and_then(|c| {
        fingerprint_of(&c.relation, &c.columns)
            .map(|fp| serde_json::json!({"fingerprint": fp}))
            .map_err(|e| def_error(&e))
    }))
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_answers_and_fails_with_codes() {
        let ok = fingerprint(
            br#"{"relation":"a.b.c","columns":[{"name":"x","type":"int","nullable":true}]}"#,
        );
        assert!(String::from_utf8(ok).unwrap().contains("sha256:"));
        let dup = fingerprint(br#"{"relation":"a.b.c","columns":[{"name":"x","type":"int","nullable":true},{"name":"x","type":"int","nullable":true}]}"#);
        assert!(String::from_utf8(dup).unwrap().contains("seal.columns"));
    }

    #[test]
    fn seal_rejects_corrupt_artifacts_with_one_code() {
        let call = br#"{"context":{"producer_version":"0","created_at":"2026-11-21T07:47:00Z","actor":"a","environments":{}},"keys":[],"signed_at":"2026-11-21T07:47:00Z"}"#;
        let out = seal(call, b"{not json", b"{}", &[]);
        let text = String::from_utf8(out.answer).unwrap();
        assert!(
            text.contains("seal.artifact") && out.bytes.is_empty(),
            "{text}"
        );
    }
}
