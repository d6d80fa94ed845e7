//! The PKCS#11 signer: a private key on a token (an HSM, a smart card, SoftHSM2), through the
//! token's PKCS#11 library (`cryptoki`).
//!
//! spec: signer-command-v0.md §2.2 — the key is named by an RFC 7512 URI; the library by its
//! `module-path` or `CLYRA_PKCS11_MODULE`; the PIN by `pin-source` or `CLYRA_PKCS11_PIN`, never
//! by the URI or the command line. Ed25519 keys sign with `CKM_EDDSA`; P-256 keys with
//! `CKM_ECDSA` over SHA-256(message), the token's raw `r‖s` re-encoded as DER.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use clyra_core::crypto::{PublicKey, Scheme, Signer, SignerError, SignerErrorKind};
use clyra_core::Limits;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::uri::Pkcs11Uri;

/// DER of the P-256 curve OID (1.2.840.10045.3.1.7) as CKA_EC_PARAMS holds it.
pub const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of the Ed25519 OID (1.3.101.112) as CKA_EC_PARAMS holds it.
pub const ED25519_PARAMS: [u8; 5] = [0x06, 0x03, 0x2b, 0x65, 0x70];
/// DER PrintableString `edwards25519`, the other CKA_EC_PARAMS form of PKCS#11 3.0.
const ED25519_PARAMS_NAMED: &[u8] = b"\x13\x0cedwards25519";
/// SPKI DER prefix of an uncompressed P-256 point (26 bytes, then the 65-byte point).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The environment variable naming the PKCS#11 library when the URI has no `module-path`.
pub const MODULE_ENV: &str = "CLYRA_PKCS11_MODULE";
/// The environment variable holding the user PIN when the URI has no `pin-source`.
pub const PIN_ENV: &str = "CLYRA_PKCS11_PIN";

/// A logged-in session on a token and the private key it signs with.
pub struct Pkcs11Signer {
    // Field order matters: the session closes before the library is finalized.
    session: Session,
    key: ObjectHandle,
    public: PublicKey,
    scheme: Scheme,
    _context: Pkcs11,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("keyid", &self.public.keyid())
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

fn err(kind: SignerErrorKind, message: impl Into<String>) -> SignerError {
    SignerError::new(kind, message)
}

/// A cryptoki error as a signer error. The PKCS#11 return value names the failure; no
/// attribute value or PIN is ever part of it.
fn ck(what: &str, e: CkError) -> SignerError {
    let kind = match &e {
        CkError::Pkcs11(
            RvError::PinIncorrect
            | RvError::PinInvalid
            | RvError::PinLenRange
            | RvError::PinLocked
            | RvError::PinExpired,
            _,
        ) => SignerErrorKind::Pin,
        CkError::Pkcs11(
            RvError::MechanismInvalid
            | RvError::KeyTypeInconsistent
            | RvError::KeyFunctionNotPermitted,
            _,
        ) => SignerErrorKind::Unsupported,
        CkError::LibraryLoading(_) => SignerErrorKind::NotFound,
        _ => SignerErrorKind::Failed,
    };
    err(kind, format!("pkcs11: {what}: {e}"))
}

impl Pkcs11Signer {
    /// Loads the library, finds the token and the key `uri` names, logs in and reads the
    /// public key.
    pub fn open(uri: &Pkcs11Uri) -> Result<Self, SignerError> {
        let module = match &uri.module_path {
            Some(path) => path.clone(),
            None => std::env::var_os(MODULE_ENV).map(PathBuf::from).ok_or_else(|| {
                err(
                    SignerErrorKind::NotFound,
                    format!("no PKCS#11 library: add `?module-path=…` to the key URI or set {MODULE_ENV}"),
                )
            })?,
        };
        let context = context(&module)?;
        let slot = find_slot(&context, uri)?;
        let session = context
            .open_ro_session(slot)
            .map_err(|e| ck("open session", e))?;
        let login_required = context
            .get_token_info(slot)
            .map_err(|e| ck("token info", e))?
            .login_required();
        if login_required {
            let pin = read_pin(uri)?;
            match session.login(UserType::User, Some(&pin)) {
                // Login is per application and token: another signer of this process on the
                // same token already logged in.
                Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
                Err(e) => return Err(ck("login", e)),
            }
        }
        let key = find_one(&session, ObjectClass::PRIVATE_KEY, uri)?;
        let public_handle = find_one(&session, ObjectClass::PUBLIC_KEY, uri)?;
        let (public, scheme) = read_public(&session, public_handle)?;
        Ok(Self {
            session,
            key,
            public,
            scheme,
            _context: context,
        })
    }
}

/// The process's one initialized context for the PKCS#11 library at `module`.
///
/// A library is initialized once per process (a second `C_Initialize` fails) and finalized when
/// its last context is dropped, which would end every other session: contexts are kept for the
/// life of the process and shared by every signer of the same library.
pub fn context(module: &Path) -> Result<Pkcs11, SignerError> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut contexts = CONTEXTS.get_or_init(Mutex::default).lock().map_err(|_| {
        err(
            SignerErrorKind::Failed,
            "pkcs11: a thread panicked while loading a library",
        )
    })?;
    if let Some(context) = contexts.get(module) {
        return Ok(context.clone());
    }
    let context = Pkcs11::new(module).map_err(|e| {
        err(
            SignerErrorKind::NotFound,
            format!("cannot load PKCS#11 library `{}`: {e}", module.display()),
        )
    })?;
    context
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .map_err(|e| ck("initialize", e))?;
    contexts.insert(module.to_path_buf(), context.clone());
    Ok(context)
}

fn find_slot(context: &Pkcs11, uri: &Pkcs11Uri) -> Result<Slot, SignerError> {
    let slots = context
        .get_slots_with_token()
        .map_err(|e| ck("list slots", e))?;
    let mut found = Vec::new();
    for slot in slots {
        if uri.slot_id.is_some_and(|id| id != slot.id()) {
            continue;
        }
        let info = context
            .get_token_info(slot)
            .map_err(|e| ck("token info", e))?;
        let matches = |want: &Option<String>, have: &str| {
            want.as_deref().is_none_or(|w| w == have.trim_end())
        };
        if matches(&uri.token, info.label())
            && matches(&uri.manufacturer, info.manufacturer_id())
            && matches(&uri.serial, info.serial_number())
            && matches(&uri.model, info.model())
        {
            found.push(slot);
        }
    }
    match found.as_slice() {
        [slot] => Ok(*slot),
        [] => Err(err(
            SignerErrorKind::NotFound,
            format!(
                "no PKCS#11 token matches `{}`",
                uri.token.as_deref().unwrap_or("*")
            ),
        )),
        _ => Err(err(
            SignerErrorKind::NotFound,
            format!(
                "{} PKCS#11 tokens match: name one with `token=`, `serial=` or `slot-id=`",
                found.len()
            ),
        )),
    }
}

/// The PIN from `pin-source` or `CLYRA_PKCS11_PIN`; one trailing LF of a PIN file is dropped.
fn read_pin(uri: &Pkcs11Uri) -> Result<AuthPin, SignerError> {
    let pin = match &uri.pin_source {
        Some(path) => {
            let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
                err(
                    SignerErrorKind::Pin,
                    format!(
                        "cannot read the PIN source `{}`: {}",
                        path.display(),
                        e.to_string().to_lowercase()
                    ),
                )
            })?);
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                err(
                    SignerErrorKind::Pin,
                    format!("the PIN source `{}` is not UTF-8", path.display()),
                )
            })?;
            let text = text.strip_suffix('\n').unwrap_or(text);
            Zeroizing::new(text.strip_suffix('\r').unwrap_or(text).to_owned())
        }
        None => Zeroizing::new(std::env::var(PIN_ENV).map_err(|_| {
            err(
                SignerErrorKind::Pin,
                format!(
                    "the token needs a PIN: add `?pin-source=FILE` to the key URI or set {PIN_ENV}"
                ),
            )
        })?),
    };
    Ok(AuthPin::from(pin.as_str()))
}

/// The one object of `class` with the URI's label and id.
fn find_one(
    session: &Session,
    class: ObjectClass,
    uri: &Pkcs11Uri,
) -> Result<ObjectHandle, SignerError> {
    let mut template = vec![Attribute::Class(class)];
    if let Some(label) = &uri.object {
        template.push(Attribute::Label(label.as_bytes().to_vec()));
    }
    if let Some(id) = &uri.id {
        template.push(Attribute::Id(id.clone()));
    }
    let what = if class == ObjectClass::PRIVATE_KEY {
        "private"
    } else {
        "public"
    };
    let found = session
        .find_objects(&template)
        .map_err(|e| ck("find objects", e))?;
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(err(
            SignerErrorKind::NotFound,
            format!(
                "no {what} key `{}` on the token",
                uri.object.as_deref().unwrap_or("(by id)")
            ),
        )),
        _ => Err(err(
            SignerErrorKind::NotFound,
            format!(
                "{} {what} keys match on the token: name one with `object=` and `id=`",
                found.len()
            ),
        )),
    }
}

/// The SPKI public key and scheme of an EC or EdDSA public key object.
fn read_public(
    session: &Session,
    handle: ObjectHandle,
) -> Result<(PublicKey, Scheme), SignerError> {
    let attrs = session
        .get_attributes(
            handle,
            &[
                AttributeType::KeyType,
                AttributeType::EcParams,
                AttributeType::EcPoint,
            ],
        )
        .map_err(|e| ck("read public key", e))?;
    let (mut key_type, mut params, mut point) = (None, None, None);
    for attr in attrs {
        match attr {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            _ => {}
        }
    }
    let unsupported = || {
        err(
            SignerErrorKind::Unsupported,
            "only Ed25519 and P-256 keys on a token sign for Clyra",
        )
    };
    let (params, point) = params.zip(point).ok_or_else(unsupported)?;
    let limits = Limits::default();
    let bad = |e: clyra_core::crypto::KeyError| {
        err(
            SignerErrorKind::BadSignature,
            format!("the token's public key is invalid: {e}"),
        )
    };
    match key_type {
        Some(t)
            if t == KeyType::EC_EDWARDS
                && (params == ED25519_PARAMS || params == ED25519_PARAMS_NAMED) =>
        {
            let raw: [u8; 32] = unwrap_octets(&point, 32)
                .and_then(|p| p.try_into().ok())
                .ok_or_else(unsupported)?;
            Ok((
                PublicKey::ed25519_from_raw(&raw).map_err(bad)?,
                Scheme::Ed25519,
            ))
        }
        Some(t) if t == KeyType::EC && params == P256_PARAMS => {
            let raw = unwrap_octets(&point, 65).ok_or_else(unsupported)?;
            let mut der = P256_SPKI_PREFIX.to_vec();
            der.extend_from_slice(raw);
            Ok((
                PublicKey::from_spki_der(&der, &limits).map_err(bad)?,
                Scheme::EcdsaP256Sha256,
            ))
        }
        _ => Err(unsupported()),
    }
}

/// CKA_EC_POINT is a DER OCTET STRING holding the point; some tokens give the raw point.
fn unwrap_octets(point: &[u8], len: usize) -> Option<&[u8]> {
    match point {
        [0x04, l, rest @ ..] if usize::from(*l) == len && rest.len() == len => Some(rest),
        raw if raw.len() == len => Some(raw),
        _ => None,
    }
}

impl Signer for Pkcs11Signer {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn scheme(&self) -> Scheme {
        self.scheme
    }

    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        match self.scheme {
            Scheme::Ed25519 => {
                let mechanism = Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure));
                self.session
                    .sign(&mechanism, self.key, message)
                    .map_err(|e| ck("sign", e))
            }
            Scheme::EcdsaP256Sha256 => {
                let digest = Sha256::digest(message);
                let raw = self
                    .session
                    .sign(&Mechanism::Ecdsa, self.key, &digest)
                    .map_err(|e| ck("sign", e))?;
                let sig = p256::ecdsa::Signature::from_slice(&raw).map_err(|_| {
                    err(
                        SignerErrorKind::BadSignature,
                        "the token's ECDSA signature is not 64 bytes r‖s",
                    )
                })?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            other => Err(err(
                SignerErrorKind::Unsupported,
                format!("signing with `{}` is not supported", other.as_str()),
            )),
        }
    }
}
