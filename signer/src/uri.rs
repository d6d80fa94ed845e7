//! Key URIs: where a signing key is, as one string (`--key`, `clyra dbt` config).
//!
//! spec: signer-command-v0.md §2 — `file:PATH` (or a plain path), `pkcs11:…` (RFC 7512) and
//! `cmd:PROGRAM [ARG…]`. A URI never carries a PIN: `pin-value` is refused, the PIN comes from
//! `pin-source` or `CLYRA_PKCS11_PIN`.

use std::path::PathBuf;

use clyra_core::crypto::{SignerError, SignerErrorKind};

/// A parsed key URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUri {
    /// A PKCS#8 PEM private key file (`file:PATH`, `file:///PATH` or a plain path).
    File(PathBuf),
    /// A key on a PKCS#11 token.
    Pkcs11(Pkcs11Uri),
    /// An external command speaking signer-command/v0: the program and its arguments.
    Command(Vec<String>),
}

/// The attributes of a `pkcs11:` URI Clyra uses (RFC 7512 §2.3), percent-decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `token`: the token label.
    pub token: Option<String>,
    /// `manufacturer`: the token's manufacturer ID.
    pub manufacturer: Option<String>,
    /// `serial`: the token's serial number.
    pub serial: Option<String>,
    /// `model`: the token's model.
    pub model: Option<String>,
    /// `slot-id`: the slot number.
    pub slot_id: Option<u64>,
    /// `object`: the key's label (CKA_LABEL).
    pub object: Option<String>,
    /// `id`: the key's CKA_ID bytes.
    pub id: Option<Vec<u8>>,
    /// `pin-source`: a file holding the PIN (`file:PATH` or a path).
    pub pin_source: Option<PathBuf>,
    /// `module-path`: the PKCS#11 library to load.
    pub module_path: Option<PathBuf>,
}

impl KeyUri {
    /// Parses a key URI; anything without a known scheme is a file path.
    ///
    /// A string that looks like an unknown URI scheme (`pkcs12:…`, two letters or more before the
    /// colon) and names no existing file is `signer.uri`, so a typo never reads as a missing file.
    pub fn parse(text: &str) -> Result<Self, SignerError> {
        if let Some(rest) = text.strip_prefix("pkcs11:") {
            return Ok(Self::Pkcs11(parse_pkcs11(rest)?));
        }
        if let Some(rest) = text.strip_prefix("cmd:") {
            let words: Vec<String> = rest
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect();
            if words.is_empty() {
                return Err(uri_error("a `cmd:` key URI names a program"));
            }
            return Ok(Self::Command(words));
        }
        if let Some(rest) = text.strip_prefix("file:") {
            let path = match rest.strip_prefix("//") {
                // RFC 8089: `file:///abs` or `file://localhost/abs`; no other host.
                Some(authority) => {
                    let path = authority.strip_prefix("localhost").unwrap_or(authority);
                    if !path.starts_with('/') {
                        return Err(uri_error("a `file://` key URI names a local absolute path"));
                    }
                    percent_decode(path)?
                }
                None => percent_decode(rest)?,
            };
            if path.is_empty() {
                return Err(uri_error("a `file:` key URI names a path"));
            }
            return Ok(Self::File(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once(':') {
            let looks_like_scheme = scheme.len() >= 2
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
                && scheme
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic());
            if looks_like_scheme && !std::path::Path::new(text).exists() {
                return Err(uri_error(format!(
                    "unknown key URI scheme `{scheme}:` (use file:, pkcs11: or cmd:)"
                )));
            }
        }
        if text.is_empty() {
            return Err(uri_error("the key URI is empty"));
        }
        Ok(Self::File(PathBuf::from(text)))
    }

    /// A description safe for logs and errors: the scheme and what it names, never a secret.
    pub fn describe(&self) -> String {
        match self {
            Self::File(path) => format!("key file `{}`", path.display()),
            Self::Pkcs11(uri) => format!(
                "PKCS#11 key `{}` on token `{}`",
                uri.object.as_deref().unwrap_or("*"),
                uri.token.as_deref().unwrap_or("*")
            ),
            Self::Command(words) => format!(
                "signer command `{}`",
                words.first().map_or("", String::as_str)
            ),
        }
    }
}

fn parse_pkcs11(rest: &str) -> Result<Pkcs11Uri, SignerError> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut uri = Pkcs11Uri::default();
    for attr in path.split(';').filter(|a| !a.is_empty()) {
        let (name, value) = attr
            .split_once('=')
            .ok_or_else(|| uri_error("a pkcs11 URI path attribute has no `=`"))?;
        let value = percent_decode_bytes(value)?;
        let text = || {
            String::from_utf8(value.clone())
                .map_err(|_| uri_error(format!("pkcs11 URI attribute `{name}` is not UTF-8")))
        };
        match name {
            "token" => uri.token = Some(text()?),
            "manufacturer" => uri.manufacturer = Some(text()?),
            "serial" => uri.serial = Some(text()?),
            "model" => uri.model = Some(text()?),
            "object" => uri.object = Some(text()?),
            "id" => uri.id = Some(value),
            "slot-id" => {
                uri.slot_id = Some(text()?.parse().map_err(|_| {
                    uri_error("pkcs11 URI attribute `slot-id` is not a decimal number")
                })?)
            }
            "type" => {
                if text()? != "private" {
                    return Err(uri_error(
                        "pkcs11 URI `type` must be `private` for a signing key",
                    ));
                }
            }
            // Informational attributes of RFC 7512 that do not change which key is used.
            "library-manufacturer"
            | "library-description"
            | "library-version"
            | "slot-description"
            | "slot-manufacturer" => {}
            other => {
                return Err(uri_error(format!(
                    "unknown pkcs11 URI path attribute `{other}`"
                )));
            }
        }
    }
    for attr in query.split('&').filter(|a| !a.is_empty()) {
        let (name, value) = attr.split_once('=').unwrap_or((attr, ""));
        match name {
            // Never echo the value: it is the PIN.
            "pin-value" => {
                return Err(SignerError::new(
                    SignerErrorKind::Pin,
                    "a PIN in the key URI (`pin-value`) is refused: use `pin-source=FILE` or CLYRA_PKCS11_PIN",
                ))
            }
            "pin-source" => {
                let source = percent_decode(value)?;
                let source = source.strip_prefix("file://").or_else(|| source.strip_prefix("file:")).unwrap_or(&source).to_owned();
                uri.pin_source = Some(PathBuf::from(source));
            }
            "module-path" => uri.module_path = Some(PathBuf::from(percent_decode(value)?)),
            "module-name" => {
                let name = percent_decode(value)?;
                uri.module_path.get_or_insert_with(|| PathBuf::from(format!("lib{name}.so")));
            }
            other => {
                return Err(uri_error(format!("unknown pkcs11 URI query attribute `{other}`")));
            }
        }
    }
    if uri.object.is_none() && uri.id.is_none() {
        return Err(uri_error(
            "a pkcs11 key URI names the key with `object=` or `id=`",
        ));
    }
    Ok(uri)
}

fn percent_decode(text: &str) -> Result<String, SignerError> {
    String::from_utf8(percent_decode_bytes(text)?)
        .map_err(|_| uri_error("a key URI value is not UTF-8 once percent-decoded"))
}

/// RFC 3986 percent-decoding: `%HH` with two hex digits; a lone `%` is an error.
fn percent_decode_bytes(text: &str) -> Result<Vec<u8>, SignerError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| uri_error("a `%` in a key URI is not followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Ok(out)
}

pub(crate) fn uri_error(message: impl Into<String>) -> SignerError {
    SignerError::new(SignerErrorKind::Uri, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_forms() {
        assert_eq!(
            KeyUri::parse("a.key").unwrap(),
            KeyUri::File("a.key".into())
        );
        assert_eq!(
            KeyUri::parse("file:a.key").unwrap(),
            KeyUri::File("a.key".into())
        );
        assert_eq!(
            KeyUri::parse("file:///k/a%20b.key").unwrap(),
            KeyUri::File("/k/a b.key".into())
        );
        assert_eq!(
            KeyUri::parse("file://localhost/k").unwrap(),
            KeyUri::File("/k".into())
        );
        assert_eq!(
            KeyUri::parse("file://host/k").unwrap_err().code_str(),
            "signer.uri"
        );
        assert_eq!(
            KeyUri::parse("pkcs12:x").unwrap_err().code_str(),
            "signer.uri"
        );
        assert_eq!(KeyUri::parse("").unwrap_err().code_str(), "signer.uri");
    }

    #[test]
    fn pkcs11_forms() {
        let uri = KeyUri::parse(
            "pkcs11:token=Clyra%20CI;object=release;id=%01%02;type=private?pin-source=file:/run/pin&module-path=/usr/lib/softhsm/libsofthsm2.so",
        )
        .unwrap();
        let KeyUri::Pkcs11(p) = uri else {
            panic!("not pkcs11")
        };
        assert_eq!(p.token.as_deref(), Some("Clyra CI"));
        assert_eq!(p.object.as_deref(), Some("release"));
        assert_eq!(p.id, Some(vec![1, 2]));
        assert_eq!(p.pin_source, Some(PathBuf::from("/run/pin")));
        assert_eq!(
            p.module_path,
            Some(PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"))
        );
        for bad in [
            "pkcs11:token=a",
            "pkcs11:object=a;colour=red",
            "pkcs11:object=a;type=public",
            "pkcs11:object=%zz",
            "pkcs11:object=a?ping=1",
        ] {
            assert_eq!(
                KeyUri::parse(bad).unwrap_err().code_str(),
                "signer.uri",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_pin_in_the_uri_is_refused_and_never_echoed() {
        let err = KeyUri::parse("pkcs11:object=k?pin-value=s3cr3t-1234").unwrap_err();
        assert_eq!(err.code_str(), "signer.pin");
        assert!(!err.to_string().contains("s3cr3t"));
        let err = KeyUri::parse("pkcs11:object=k;s3cr3t-1234").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("s3cr3t"), "{err}");
    }

    #[test]
    fn cmd_forms() {
        assert_eq!(
            KeyUri::parse("cmd:/opt/kms-sign  --key alias/x").unwrap(),
            KeyUri::Command(vec![
                "/opt/kms-sign".into(),
                "--key".into(),
                "alias/x".into()
            ])
        );
        assert_eq!(KeyUri::parse("cmd: ").unwrap_err().code_str(), "signer.uri");
    }

    trait CodeStr {
        fn code_str(&self) -> &'static str;
    }
    impl CodeStr for SignerError {
        fn code_str(&self) -> &'static str {
            self.kind().code()
        }
    }
}
