//! The unsigned renderings of a badge: an SVG and a shields.io endpoint document (badge-v0.md §6).

use serde_json::json;

use super::jws::Claims;

/// The colour of a status: green passing, red failing, grey incomplete.
fn colour(status: &str) -> (&'static str, &'static str) {
    match status {
        "passing" => ("brightgreen", "#4c1"),
        "failing" => ("red", "#e05d44"),
        _ => ("lightgrey", "#9f9f9f"),
    }
}

/// The shields.io endpoint JSON (`https://shields.io/badges/endpoint-badge`), with a newline.
pub fn endpoint_json(claims: &Claims) -> String {
    let (name, _) = colour(&claims.status);
    format!(
        "{}\n",
        json!({
            "schemaVersion": 1,
            "label": format!("clyra {}", claims.framework.as_str()),
            "message": claims.status,
            "color": name,
        })
    )
}

/// A flat two-part SVG badge: `clyra <framework>` | status.
pub fn svg(claims: &Claims) -> String {
    let label = format!("clyra {}", claims.framework.as_str());
    let message = claims.status.as_str();
    let (_, fill) = colour(message);
    // ~7 px per character of Verdana 11 plus 10 px padding each side.
    let lw = label.len() * 7 + 10;
    let mw = message.len() * 7 + 10;
    let w = lw + mw;
    let (lx, mx) = (lw / 2, lw + mw / 2);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"20\" role=\"img\" aria-label=\"{label}: {message}\">\
<title>{label}: {message}</title>\
<rect width=\"{lw}\" height=\"20\" fill=\"#555\"/>\
<rect x=\"{lw}\" width=\"{mw}\" height=\"20\" fill=\"{fill}\"/>\
<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" font-size=\"11\">\
<text x=\"{lx}\" y=\"14\">{label}</text><text x=\"{mx}\" y=\"14\">{message}</text></g></svg>\n"
    )
}
