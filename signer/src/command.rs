//! The command signer: an external program that holds or reaches the key (a cloud KMS, Vault
//! Transit, a cloud HSM) and speaks signer-command/v0.
//!
//! spec: signer-command-v0.md §3–§6 — the program is run without a shell as its URI's words plus
//! one operation argument (`public-key`, then `sign` for each signature), with
//! `CLYRA_SIGNER_PROTOCOL`, `CLYRA_SIGNER_OPERATION` (and, for `sign`, `CLYRA_SIGNER_SCHEME`,
//! `CLYRA_SIGNER_KEYID`, `CLYRA_SIGNER_MESSAGE_SHA256`) in its environment. `sign` reads the
//! message on stdin and prints the signature as one line of standard padded base64. Its stderr is
//! passed through to Clyra's; it is never copied into an error.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clyra_core::crypto::{PublicKey, Scheme, Signer, SignerError, SignerErrorKind};
use clyra_core::Limits;
use sha2::{Digest as _, Sha256};

/// The protocol name the program sees in `CLYRA_SIGNER_PROTOCOL`.
pub const PROTOCOL: &str = "signer-command/v0";
/// The default time a command has to answer (§5).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most a command may print on stdout (§5): a public key PEM or a signature, with room.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024;
/// The largest message Clyra writes to a command's stdin (§5).
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// A signer-command/v0 program, with the public key it announced.
#[derive(Debug)]
pub struct CommandSigner {
    words: Vec<String>,
    timeout: Duration,
    public: PublicKey,
    scheme: Scheme,
}

impl CommandSigner {
    /// Runs `words` + `public-key` and keeps the key it prints (a strict SPKI PEM, Ed25519 or
    /// P-256). `timeout` bounds each run of the program.
    pub fn open(words: Vec<String>, timeout: Duration) -> Result<Self, SignerError> {
        let program = words.first().cloned().unwrap_or_default();
        let pem = run(&words, timeout, "public-key", &[], &[])?;
        let public = PublicKey::from_pem(&pem, &Limits::default()).map_err(|e| {
            SignerError::new(
                SignerErrorKind::BadSignature,
                format!("signer command `{program}` printed no valid public key PEM: {e}"),
            )
        })?;
        let scheme = public.implied_scheme().ok_or_else(|| {
            SignerError::new(
                SignerErrorKind::Unsupported,
                format!(
                    "signer command `{program}` holds a {} key: only Ed25519 and P-256 keys sign",
                    public.algorithm().as_str()
                ),
            )
        })?;
        Ok(Self {
            words,
            timeout,
            public,
            scheme,
        })
    }

    fn program(&self) -> &str {
        self.words.first().map_or("", String::as_str)
    }
}

/// Runs `words` + `operation` with `input` on stdin and `env` added, within `timeout`; its stdout.
fn run(
    words: &[String],
    timeout: Duration,
    operation: &str,
    input: &[u8],
    env: &[(&str, String)],
) -> Result<Vec<u8>, SignerError> {
    let program = words.first().map_or("", String::as_str);
    let (first, rest) = words.split_first().ok_or_else(|| {
        SignerError::new(SignerErrorKind::Uri, "a `cmd:` key URI names a program")
    })?;
    let mut command = Command::new(first);
    command
        .args(rest)
        .arg(operation)
        .env("CLYRA_SIGNER_PROTOCOL", PROTOCOL)
        .env("CLYRA_SIGNER_OPERATION", operation)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    // Its own process group, so a time-out ends the program and every child it started.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            SignerErrorKind::NotFound
        } else {
            SignerErrorKind::Failed
        };
        SignerError::new(
            kind,
            format!(
                "cannot run signer command `{program}`: {}",
                e.to_string().to_lowercase()
            ),
        )
    })?;
    let writer = child.stdin.take().map(|mut stdin| {
        let input = input.to_vec();
        // A program that exits without reading its stdin is not an error here: its exit
        // status and output decide.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        })
    });
    let reader = child.stdout.take().map(|stdout| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let mut stdout = stdout;
            (&mut stdout)
                .take(MAX_OUTPUT_BYTES as u64 + 1)
                .read_to_end(&mut out)?;
            // Drain the rest so the program ends on its own, not by SIGPIPE; the size is
            // refused below either way.
            std::io::copy(&mut stdout, &mut std::io::sink())?;
            Ok::<_, std::io::Error>(out)
        })
    });
    let status = wait(&mut child, timeout).map_err(|e| match e {
        Waited::TimedOut => SignerError::new(
            SignerErrorKind::Timeout,
            format!(
                "signer command `{program}` did not answer `{operation}` within {} s",
                timeout.as_secs()
            ),
        ),
        Waited::Io(e) => SignerError::new(
            SignerErrorKind::Failed,
            format!("signer command `{program}`: {e}"),
        ),
    })?;
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    let out = reader
        .and_then(|r| r.join().ok())
        .and_then(Result::ok)
        .unwrap_or_default();
    if !status.success() {
        // spec: signer-command-v0.md §4 — exit codes.
        let (kind, what) = match status.code() {
            Some(2) => (
                SignerErrorKind::Unsupported,
                "does not support the operation or the key",
            ),
            Some(3) => (SignerErrorKind::NotFound, "did not find the key"),
            Some(4) => (SignerErrorKind::Pin, "was refused access to the key"),
            _ => (SignerErrorKind::Failed, "failed"),
        };
        let code = status
            .code()
            .map_or_else(|| "a signal".to_owned(), |c| c.to_string());
        return Err(SignerError::new(
                kind,
                format!("signer command `{program}` {what} on `{operation}` (exit {code}; its stderr says why)"),
            ));
    }
    if out.len() > MAX_OUTPUT_BYTES {
        return Err(SignerError::new(
            SignerErrorKind::BadSignature,
            format!("signer command `{program}` printed more than {MAX_OUTPUT_BYTES} bytes"),
        ));
    }
    Ok(out)
}

enum Waited {
    TimedOut,
    Io(String),
}

/// Waits for `child` until `timeout`; kills it and reaps it when the time is up.
fn wait(child: &mut Child, timeout: Duration) -> Result<std::process::ExitStatus, Waited> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                #[cfg(unix)]
                let _ = rustix::process::kill_process_group(
                    rustix::process::Pid::from_child(child),
                    rustix::process::Signal::KILL,
                );
                let _ = child.kill();
                let _ = child.wait();
                return Err(Waited::TimedOut);
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(Waited::Io(e.to_string().to_lowercase())),
        }
    }
}

impl Signer for CommandSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn scheme(&self) -> Scheme {
        self.scheme
    }

    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        if message.len() > MAX_MESSAGE_BYTES {
            return Err(SignerError::new(
                SignerErrorKind::Unsupported,
                format!("a message of {} bytes is larger than a signer command takes ({MAX_MESSAGE_BYTES})", message.len()),
            ));
        }
        let env = [
            ("CLYRA_SIGNER_SCHEME", self.scheme.as_str().to_owned()),
            ("CLYRA_SIGNER_KEYID", self.public.keyid().to_owned()),
            ("CLYRA_SIGNER_MESSAGE_SHA256", hex(&Sha256::digest(message))),
        ];
        let out = run(&self.words, self.timeout, "sign", message, &env)?;
        let text = std::str::from_utf8(&out).ok();
        let line = text.map(|t| t.strip_suffix('\n').unwrap_or(t));
        line.filter(|l| !l.contains(['\n', '\r', ' ']))
            .and_then(|l| STANDARD.decode(l).ok())
            .ok_or_else(|| {
                SignerError::new(
                    SignerErrorKind::BadSignature,
                    format!(
                        "signer command `{}` did not print one line of standard base64",
                        self.program()
                    ),
                )
            })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
