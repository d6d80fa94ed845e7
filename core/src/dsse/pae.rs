//! The DSSE v1 pre-authentication encoding: the exact bytes a signature covers.

/// Returns `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, LEN being the byte length in
/// ASCII decimal without leading zeros.
///
/// spec: dsse.md §1 (DSSE v1 protocol). Binding the payload type into the signed bytes stops an
/// attacker from re-labelling a payload.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let type_len = payload_type.len().to_string();
    let body_len = payload.len().to_string();
    let mut out = Vec::with_capacity(
        7 + type_len.len() + 1 + payload_type.len() + 1 + body_len.len() + 1 + payload.len(),
    );
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(type_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(body_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}
