//! One DSSE envelope against a trust file through the FFI (spec: dsse.md §10): the DSSE-only
//! check a Sigstore verifier makes, for SDK callers (Node's `verifyEnvelope`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::{parse_call, Answer};
use crate::dsse::{self, Envelope};
use crate::error::Coded;
use crate::limits::Limits;
use crate::time::Timestamp;
use crate::trust::Trust;

/// The call of [`verify_envelope`] (the envelope's bytes travel beside it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeVerifyCall {
    /// The trust file's text, or a bare PEM public key.
    pub trust: String,
    /// The verification time (revocation and key windows, dsse.md §10 step 4).
    pub at: String,
}

/// The verdict of one envelope (dsse.md §10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvelopeVerdict {
    /// `VALID` or `INVALID`.
    pub outcome: &'static str,
    /// `ok`, or the code of the failing step.
    pub primary: String,
    /// 0 VALID, 1 INVALID.
    pub exit: u8,
    /// The failure in words, or what verified.
    pub message: String,
    /// What verified (VALID only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Verified>,
}

/// The authenticated content of a VALID envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// The keyid of the trusted key whose signature verified.
    pub keyid: String,
    /// The envelope's payload type.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The payload, standard padded base64.
    pub payload: String,
}

fn invalid(code: &str, message: impl Into<String>) -> EnvelopeVerdict {
    EnvelopeVerdict {
        outcome: "INVALID",
        primary: code.to_owned(),
        exit: 1,
        message: message.into(),
        envelope: None,
    }
}

/// The verdict of `bytes` as an envelope signed by a key of `trust`, at `at` (dsse.md §10).
fn judge(bytes: &[u8], trust: &Trust, at: &Timestamp, limits: &Limits) -> EnvelopeVerdict {
    let envelope = match Envelope::decode(bytes, limits) {
        Ok(envelope) => envelope,
        Err(e) => return invalid(e.code(), e.to_string()),
    };
    let Some(key) = envelope.signatures.iter().find_map(|s| trust.key(&s.keyid)) else {
        return invalid(
            "dsse.keyid_mismatch",
            "no signature carries the keyid of a key of the trust file",
        );
    };
    if let Err(e) = dsse::verify(&envelope, key.public_key(), key.scheme(), limits) {
        return invalid(e.code(), e.to_string());
    }
    if key.revoked(at) {
        return invalid(
            "time.key_revoked",
            format!("key {} is revoked at {at}", key.keyid()),
        );
    }
    if !key.in_window(at) {
        return invalid(
            "time.key_window",
            format!("key {} is outside its trust window at {at}", key.keyid()),
        );
    }
    EnvelopeVerdict {
        outcome: "VALID",
        primary: "ok".to_owned(),
        exit: 0,
        message: format!("signed by trusted key {}", key.keyid()),
        envelope: Some(Verified {
            keyid: key.keyid().to_owned(),
            payload_type: envelope.payload_type.clone(),
            payload: STANDARD.encode(&envelope.payload),
        }),
    }
}

/// Verifies the DSSE envelope `envelope` against the call's trust file at its time (dsse.md
/// §10): the envelope verdict as `result`; any bytes give a verdict. Fails only with
/// `trust.file` or `cli.usage` (a bad `at`).
pub fn verify_envelope(call: &[u8], envelope: &[u8]) -> Vec<u8> {
    Answer::of(parse_call::<EnvelopeVerifyCall>(call).and_then(|c| {
        let (trust, at) = super::badge::trust_and_time(&c.trust, &c.at)?;
        Ok(judge(envelope, &trust, &at, &Limits::default()))
    }))
    .to_json()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::crypto::{Scheme, SigningKey};

    fn answer(call: &str, envelope: &[u8]) -> serde_json::Value {
        serde_json::from_slice(&verify_envelope(call.as_bytes(), envelope)).unwrap()
    }

    #[test]
    fn a_signed_envelope_verifies_and_every_failure_is_its_code() {
        let key = SigningKey::generate(Scheme::Ed25519, [9; 32]).unwrap();
        let pem = key.public_key().to_pem();
        let envelope = dsse::sign("application/json", br#"{"a":1}"#, &key).encode();
        let call = serde_json::json!({"trust": pem, "at": "2026-12-01T00:00:00Z"}).to_string();
        let ok = answer(&call, &envelope);
        assert_eq!(ok["result"]["outcome"], "VALID", "{ok}");
        assert_eq!(ok["result"]["envelope"]["payload"], "eyJhIjoxfQ==");
        assert_eq!(ok["result"]["envelope"]["keyid"], key.public_key().keyid());
        // A flipped payload byte: the signature no longer verifies.
        let text = String::from_utf8(envelope.clone()).unwrap();
        let tampered = text.replace("eyJhIjoxfQ==", "eyJhIjoyfQ==");
        assert_eq!(
            answer(&call, tampered.as_bytes())["result"]["primary"],
            "sig.invalid"
        );
        // Another key's trust: no signature by a trusted key.
        let other = SigningKey::generate(Scheme::Ed25519, [8; 32]).unwrap();
        let call2 =
            serde_json::json!({"trust": other.public_key().to_pem(), "at": "2026-12-01T00:00:00Z"})
                .to_string();
        assert_eq!(
            answer(&call2, &envelope)["result"]["primary"],
            "dsse.keyid_mismatch"
        );
        assert_eq!(
            answer(&call, b"{}")["result"]["primary"],
            "dsse.missing_field"
        );
        assert_eq!(answer(&call, b"{")["result"]["exit"], 1);
        let bad_at = serde_json::json!({"trust": pem, "at": "x"}).to_string();
        assert_eq!(answer(&bad_at, &envelope)["errors"][0]["code"], "cli.usage");
        assert_eq!(
            answer(r#"{"trust":"{","at":"x"}"#, &envelope)["errors"][0]["code"],
            "trust.file"
        );
    }
}
