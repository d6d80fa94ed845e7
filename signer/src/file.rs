//! The key file signer: a PKCS#8 PEM private key, as `clyra keygen` writes it.

use std::path::Path;

use clyra_core::crypto::{SignerError, SignerErrorKind, SigningKey};
use clyra_core::Coded as _;
use zeroize::Zeroizing;

/// Reads the PKCS#8 PEM key at `path`. Errors name the path and the rule, never the key bytes.
pub fn open_file(path: &Path) -> Result<SigningKey, SignerError> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            SignerErrorKind::NotFound
        } else {
            SignerErrorKind::Failed
        };
        SignerError::new(
            kind,
            format!(
                "cannot read key file `{}`: {}",
                path.display(),
                e.to_string().to_lowercase()
            ),
        )
    })?);
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        SignerError::new(
            SignerErrorKind::Unsupported,
            format!("key file `{}` is not a PEM text file", path.display()),
        )
    })?;
    SigningKey::from_pkcs8_pem(text).map_err(|e| {
        SignerError::new(
            SignerErrorKind::Unsupported,
            format!("key file `{}`: {e} ({})", path.display(), e.code()),
        )
    })
}
