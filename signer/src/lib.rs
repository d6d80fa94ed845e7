//! Signers for Clyra hosts (the CLI, the Python package): a key file, a PKCS#11 token or an
//! external command, opened from one key URI.
//!
//! spec: signer-command-v0.md — the core signs through [`clyra_core::crypto::Signer`]; this crate
//! holds what the core must not: files, devices, processes and the environment. Errors carry a
//! stable `signer.*` code and never a private key, a PIN or a token.

mod command;
mod file;
mod pkcs11;
mod uri;

use std::time::Duration;

pub use clyra_core::crypto::{Signer, SignerError, SignerErrorKind};
pub use command::{CommandSigner, DEFAULT_TIMEOUT, MAX_MESSAGE_BYTES, MAX_OUTPUT_BYTES, PROTOCOL};
pub use file::open_file;
pub use pkcs11::{
    context as pkcs11_context, Pkcs11Signer, ED25519_PARAMS, MODULE_ENV, P256_PARAMS, PIN_ENV,
};
pub use uri::{KeyUri, Pkcs11Uri};

/// The environment variable that sets a signer command's time limit in seconds (1 to 600).
pub const TIMEOUT_ENV: &str = "CLYRA_SIGNER_TIMEOUT";

/// Opens the signer a key URI names: `file:`/a path, `pkcs11:` or `cmd:`.
pub fn open(uri: &str) -> Result<Box<dyn Signer>, SignerError> {
    Ok(match KeyUri::parse(uri)? {
        KeyUri::File(path) => Box::new(open_file(&path)?),
        KeyUri::Pkcs11(uri) => Box::new(Pkcs11Signer::open(&uri)?),
        KeyUri::Command(words) => Box::new(CommandSigner::open(words, command_timeout()?)?),
    })
}

/// The signer command time limit: `CLYRA_SIGNER_TIMEOUT` seconds, else 30 s.
fn command_timeout() -> Result<Duration, SignerError> {
    match std::env::var(TIMEOUT_ENV) {
        Err(_) => Ok(DEFAULT_TIMEOUT),
        Ok(text) => match text.parse::<u64>() {
            Ok(secs @ 1..=600) => Ok(Duration::from_secs(secs)),
            _ => Err(SignerError::new(
                SignerErrorKind::Uri,
                format!(
                    "{TIMEOUT_ENV} must be a whole number of seconds from 1 to 600, not `{text}`"
                ),
            )),
        },
    }
}
