//! Co-signing: one more producer signature on a finished bundle.
//!
//! spec: bundle-v0.md §6 — a bundle holds one `signatures/<keyid-hex>.dsse.json` per producer
//! key, each signing the same manifest; a second producer adds its envelope and its key file
//! without changing any other entry. The zip is re-written in §2.1.4 order (the new entries fall
//! into their sorted places); other entries keep their bytes and compression method.

use std::io::Cursor;

use super::error::{BuildError, BuildErrorKind as Kind};
use super::sign::{self, Binding};
use super::write_error;
use crate::bundle::{check_entry_set, cmp_expected, Container, ContainerWriter, Method};
use crate::crypto::{Signer, SigningKey};
use crate::digest::Sha256Digest;
use crate::error::Coded;
use crate::format::{check_manifest, Schemas};
use crate::time::Timestamp;
use crate::Limits;

/// Adds `key`'s producer signature, made at `signed_at`, to the bundle `bundle` and returns the
/// new bundle's bytes.
///
/// The bundle must pass the container checks and the manifest step (`build.bundle`, the
/// underlying code as detail). A key that already signs the bundle, or signs one of its
/// approvals, is refused (`build.signer`); `signed_at` must be a valid time not before
/// `created_at` (`build.time`). Existing signatures are copied, not re-verified. Each entry is
/// held in memory while it is copied.
pub fn co_sign(
    bundle: &[u8],
    key: &SigningKey,
    signed_at: &str,
    limits: &Limits,
) -> Result<Vec<u8>, BuildError> {
    co_sign_with(bundle, key, signed_at, limits)
}

/// [`co_sign`] through any [`Signer`] (a key file, a token, a command); a signer that cannot
/// sign is `build.signer` with its `signer.*` code as the detail.
pub fn co_sign_with<S: Signer + ?Sized>(
    bundle: &[u8],
    key: &S,
    signed_at: &str,
    limits: &Limits,
) -> Result<Vec<u8>, BuildError> {
    let unreadable = |e: &dyn Coded, what: &str| {
        BuildError::new(
            Kind::Bundle,
            format!("the bundle cannot be co-signed: {what}"),
        )
        .with_detail(e.code())
    };
    let mut container = Container::open(Cursor::new(bundle), bundle.len() as u64, limits)
        .map_err(|e| unreadable(&e, &e.to_string()))?;
    let entries: Vec<(String, Method)> = container
        .entries()
        .iter()
        .map(|e| (e.name.clone(), e.method))
        .collect();
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    check_entry_set(&names).map_err(|e| unreadable(&e, &e.to_string()))?;
    // INVARIANT: a checked entry set starts with `manifest.json`.
    let manifest_bytes = container
        .read_small_entry(0, limits.bundle_max_manifest_bytes)
        .map_err(|e| unreadable(&e, &e.to_string()))?;
    let schemas = Schemas::new().map_err(|e| BuildError::new(Kind::Bundle, e.to_string()))?;
    let (manifest, _) = check_manifest(&manifest_bytes, &schemas, limits)
        .map_err(|e| unreadable(&e, &e.to_string()).with_subject("manifest.json"))?;

    let signed = Timestamp::parse(signed_at).map_err(|e| {
        BuildError::new(
            Kind::Time,
            format!("`{signed_at}` is not a valid timestamp: {e}"),
        )
        .with_subject("signed_at")
    })?;
    let created = Timestamp::parse(&manifest.created_at).map_err(|e| {
        BuildError::new(Kind::Bundle, format!("created_at is not a valid time: {e}"))
            .with_detail("manifest.time")
    })?;
    if signed < created {
        return Err(BuildError::new(
            Kind::Time,
            format!(
                "signed_at `{signed_at}` is before created_at `{}`",
                manifest.created_at
            ),
        )
        .with_subject("signed_at"));
    }
    let public = key.public_key();
    let signature_name = sign::signature_entry(public);
    let key_name = sign::key_entry(public);
    if names.contains(&signature_name.as_str()) {
        return Err(BuildError::new(Kind::Signer, "already signs this bundle")
            .with_subject(public.keyid().to_owned()));
    }
    if names.contains(&key_name.as_str()) {
        return Err(BuildError::new(
            Kind::Signer,
            "signs an approval of this bundle; a key holds one role per bundle",
        )
        .with_subject(public.keyid().to_owned()));
    }
    let envelope = sign::producer_envelope(
        &Binding {
            format: manifest.format,
            manifest_digest: Sha256Digest::of(&manifest_bytes),
            bundle_id: &manifest.bundle_id,
            merkle_root: manifest.merkle_root.to_prefixed(),
            journal_head: manifest.journal_head.to_prefixed(),
            signed_at,
        },
        key,
    )
    .map_err(|e| {
        BuildError::new(Kind::Signer, format!("could not sign: {e}"))
            .with_detail(e.code())
            .with_subject(public.keyid().to_owned())
    })?;

    // Every entry in §2.1.4 order: the existing ones by index, the two new ones by content.
    enum Source {
        Existing(usize, Method),
        New(Vec<u8>),
    }
    let mut plan: Vec<(String, Source)> = entries
        .into_iter()
        .enumerate()
        .map(|(i, (name, method))| (name, Source::Existing(i, method)))
        .collect();
    plan.push((key_name, Source::New(public.to_pem().into_bytes())));
    plan.push((signature_name, Source::New(envelope)));
    plan.sort_by(|a, b| cmp_expected(&a.0, &b.0));

    let mut out = Cursor::new(Vec::with_capacity(bundle.len() + 4096));
    let mut writer = ContainerWriter::new(&mut out, limits);
    for (name, source) in plan {
        let (method, bytes) = match source {
            Source::Existing(index, method) => {
                let mut bytes = Vec::new();
                container
                    .read_entry(index, &mut bytes)
                    .map_err(|e| unreadable(&e, &e.to_string()).with_subject(name.clone()))?;
                (method, bytes)
            }
            Source::New(bytes) => (Method::Stored, bytes),
        };
        writer
            .add_entry(&name, method, bytes.as_slice())
            .map_err(|e| write_error(e, &name))?;
    }
    writer.finish().map_err(|e| write_error(e, ""))?;
    Ok(out.into_inner())
}
