//! `{name}` templates of the ticket configuration (spec: ticket-config-v0.md §3).

use super::{TicketError, TicketErrorKind};

/// The names a template may use.
pub const NAMES: [&str; 8] = [
    "bundle_id",
    "change.subject",
    "change.kind",
    "change.environment",
    "change.actor",
    "risk.score",
    "outcome",
    "attestation_hash",
];

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Name(&'static str),
}

/// Checks `template` (`ticket.config` on an unknown name or an unclosed brace).
pub fn check(template: &str) -> Result<(), TicketError> {
    parse(template).map(|_| ())
}

fn parse(template: &str) -> Result<Vec<Piece>, TicketError> {
    let bad = |why: String| TicketError::new(TicketErrorKind::Config, why);
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => name.push(ch),
                        None => return Err(bad(format!("unclosed `{{{name}` in template"))),
                    }
                }
                let known = NAMES.iter().find(|n| **n == name).ok_or_else(|| {
                    bad(format!(
                        "unknown template name `{name}` (known: {})",
                        NAMES.join(", ")
                    ))
                })?;
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                pieces.push(Piece::Name(known));
            }
            '}' => return Err(bad("a lone `}` in template (write `}}`)".into())),
            other => text.push(other),
        }
    }
    pieces.push(Piece::Text(text));
    Ok(pieces)
}

/// Renders `template`, each name's value given by `value` and passed through `escape`.
pub fn render(
    template: &str,
    value: &dyn Fn(&str) -> String,
    escape: &dyn Fn(&str) -> String,
) -> Result<String, TicketError> {
    Ok(parse(template)?
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t,
            Piece::Name(n) => escape(&value(n)),
        })
        .collect())
}

/// Percent-encodes everything but `A–Z a–z 0–9 - . _ ~ :` (URL templates, §3).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_braces_and_errors() {
        let v = |n: &str| format!("<{n}>");
        let same = |t: &str| t.to_owned();
        assert_eq!(
            render("a {bundle_id} {{x}} b", &v, &same).unwrap(),
            "a <bundle_id> {x} b"
        );
        assert!(check("{nope}").is_err());
        assert!(check("{bundle_id").is_err());
        assert!(check("x } y").is_err());
        assert_eq!(percent_encode("a b/c:d"), "a%20b%2Fc:d");
    }
}
