//! Badges through the FFI (spec: badge-v0.md §5): verify a badge's bytes against a trust file.

use serde::Deserialize;

use super::{parse_call, Answer, DetailedError};
use crate::badge;
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::trust::Trust;

/// The call of [`badge_verify`] (the badge's bytes travel beside it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadgeVerifyCall {
    /// The trust file's text, or a bare PEM public key.
    pub trust: String,
    /// The verification time.
    pub at: String,
}

/// Verifies `badge` (badge-v0.md §5): the verdict JSON of §5.3 as `result`; any bytes give a
/// verdict. Fails only with `trust.file` or `cli.usage` (a bad `at`).
pub fn badge_verify(call: &[u8], badge: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<BadgeVerifyCall>(call).and_then(|c| {
        let (trust, at) = trust_and_time(&c.trust, &c.at)?;
        let verdict = badge::verify(badge, &trust, &at);
        serde_json::from_slice::<serde_json::Value>(&verdict.to_json())
            .map_err(|e| vec![DetailedError::new("ffi.answer", e.to_string())])
    }))
    .to_json()
}

/// The trust file (`trust.file` with its detail) and the time (`cli.usage`) of a call that
/// verifies one signed document against them (a badge, an envelope).
pub(super) fn trust_and_time(
    trust: &str,
    at: &str,
) -> Result<(Trust, Timestamp), Vec<DetailedError>> {
    let trust = Trust::parse(trust.as_bytes(), &Limits::default()).map_err(|e| {
        vec![DetailedError::new("trust.file", e.to_string()).with_detail(e.detail())]
    })?;
    let at = Timestamp::parse(at).map_err(|_| {
        vec![DetailedError::new(
            "cli.usage",
            format!("`{at}` is not a timestamp (YYYY-MM-DDThh:mm:ssZ)"),
        )]
    })?;
    Ok((trust, at))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn bad_inputs_fail_and_any_bytes_give_a_verdict() {
        let a: serde_json::Value =
            serde_json::from_slice(&badge_verify(br#"{"trust":"{}","at":"x"}"#, b"")).unwrap();
        assert_eq!(a["errors"][0]["code"], "trust.file");
        let a: serde_json::Value =
            serde_json::from_slice(&badge_verify(br#"{"trust":"{}","at":"x","x":1}"#, b""))
                .unwrap();
        assert_eq!(a["errors"][0]["code"], "ffi.call");
    }
}
