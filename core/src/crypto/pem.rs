//! The one PEM form Clyra accepts for public keys, and its encoder.
//!
//! spec: signatures.md §2.1 — exactly one `PUBLIC KEY` block; LF line endings only; base64 lines
//! of 64 characters except the last (1 to 64); standard alphabet with padding and zero pad bits;
//! no headers, no text before the block; nothing after the END line but one optional LF.
//! This is RFC 7468 §3 `stricttextualmsg`, the form OpenSSL, Go and Python write.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::KeyError;

const BEGIN: &[u8] = b"-----BEGIN PUBLIC KEY-----\n";
const END: &[u8] = b"-----END PUBLIC KEY-----";
const LINE: usize = 64;

/// Decodes strict PEM text to the DER bytes it armors.
pub(crate) fn decode_public_key(text: &[u8]) -> Result<Vec<u8>, KeyError> {
    let bad = |reason| KeyError::PemMalformed { reason };
    if text.contains(&b'\r') {
        return Err(bad("line endings must be LF, not CR LF"));
    }
    let body = text.strip_prefix(BEGIN).ok_or(bad(
        "text must start with the `-----BEGIN PUBLIC KEY-----` line",
    ))?;
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let body = body.strip_suffix(END).ok_or(bad(
        "text must end with the `-----END PUBLIC KEY-----` line",
    ))?;
    // The base64 lines, each terminated by LF.
    let body = body
        .strip_suffix(b"\n")
        .ok_or(bad("the END line must start a new line"))?;
    if body.is_empty() {
        return Err(bad("empty PEM body"));
    }
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    let last = lines.len() - 1;
    let mut base64 = Vec::with_capacity(body.len());
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with(b"-----") {
            return Err(bad("more than one PEM block"));
        }
        if line.is_empty() || line.len() > LINE || (i < last && line.len() != LINE) {
            return Err(bad(
                "base64 lines must hold 64 characters, the last 1 to 64",
            ));
        }
        if !line
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        {
            return Err(bad("PEM body holds characters outside the base64 alphabet"));
        }
        base64.extend_from_slice(line);
    }
    STANDARD
        .decode(&base64)
        .map_err(|_| bad("PEM body is not canonical padded base64"))
}

/// Encodes DER bytes as the one accepted PEM form (with a trailing LF).
pub(crate) fn encode_public_key(der: &[u8]) -> String {
    let base64 = STANDARD.encode(der);
    let mut out = String::with_capacity(base64.len() + base64.len() / LINE + 60);
    out.push_str("-----BEGIN PUBLIC KEY-----\n");
    let mut rest = base64.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(LINE));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}
