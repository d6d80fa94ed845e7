//! `format::check_manifest` on the spec's worked manifests and on each kind of bad manifest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

mod common;

use clyra_core::format::{check_manifest, Format, ManifestCheck, ManifestErrorKind, Schemas};
use clyra_core::jcs::{self, Map, Value};
use clyra_core::{Coded, Limits};

fn spec_example(file: &str, stem: &str) -> Vec<u8> {
    common::spec_example(file, stem)
}

fn edit(bytes: &[u8], f: impl FnOnce(&mut Map)) -> Vec<u8> {
    let Value::Object(mut map) = jcs::parse(bytes, &Limits::default()).unwrap() else {
        panic!()
    };
    f(&mut map);
    jcs::to_vec(&Value::from(map))
}

fn kind(bytes: &[u8]) -> ManifestErrorKind {
    check_manifest(bytes, &Schemas::new().unwrap(), &Limits::default())
        .unwrap_err()
        .kind()
}

#[test]
fn the_spec_worked_manifests_pass_and_their_derived_ids_match() {
    let schemas = Schemas::new().unwrap();
    for (file, stem, format) in [
        ("def-v0.md", "manifest-def-v0", Format::DefV0),
        ("pef-v0.md", "manifest-pef-v0", Format::PefV0),
    ] {
        let bytes = spec_example(file, stem);
        let (manifest, findings) = check_manifest(&bytes, &schemas, &Limits::default())
            .unwrap_or_else(|e| panic!("{file}: {} {e}", e.code()));
        assert_eq!(manifest.format, format);
        // The examples use derived ids computed independently by the spec's author: the
        // derivation check just passed, so both implementations agree.
        assert!(manifest.bundle_id.starts_with("b-"), "{file}");
        assert!(manifest.journal_count > 0);
        assert!(findings.is_empty(), "{file}: {findings:?}");
    }
}

#[test]
fn each_stopping_failure_has_its_code() {
    let def = spec_example("def-v0.md", "manifest-def-v0");
    // Not JSON / not an object / duplicate key.
    assert_eq!(kind(b"[1]"), ManifestErrorKind::Json);
    let dup = [b"{\"format\":\"def/v0\",".as_slice(), &def[1..]].concat();
    let err = check_manifest(&dup, &Schemas::new().unwrap(), &Limits::default()).unwrap_err();
    assert_eq!(
        (err.code(), err.jcs_error().map(|e| e.code())),
        ("manifest.json", Some("jcs.duplicate_key"))
    );
    // Not canonical.
    let mut spaced = def.clone();
    spaced.insert(1, b' ');
    assert_eq!(kind(&spaced), ManifestErrorKind::NotCanonical);
    // Unknown format or version: indeterminate, before the schema.
    assert_eq!(
        kind(&edit(&def, |m| {
            m.insert("format", Value::from("def/v9"));
        })),
        ManifestErrorKind::FormatUnknown
    );
    assert_eq!(
        kind(&edit(&def, |m| {
            m.remove("format");
        })),
        ManifestErrorKind::Schema
    );
    // Unknown top-level member, missing member, PEF block in a DEF manifest.
    assert_eq!(
        kind(&edit(&def, |m| {
            m.insert("x_extra", Value::Null);
        })),
        ManifestErrorKind::Schema
    );
    assert_eq!(
        kind(&edit(&def, |m| {
            m.remove("journal");
        })),
        ManifestErrorKind::Schema
    );
    // A derived-looking id that is not the derivation.
    assert_eq!(
        kind(&edit(&def, |m| {
            m.insert(
                "bundle_id",
                Value::from("b-00000000000000000000000000000000"),
            );
        })),
        ManifestErrorKind::BundleIdMismatch
    );
    // Changing what the id is derived from breaks it too.
    assert_eq!(
        kind(&edit(&def, |m| {
            m.insert("created_at", Value::from("2026-11-20T09:59:59Z"));
        })),
        ManifestErrorKind::BundleIdMismatch
    );
}

#[test]
fn host_given_ids_are_not_rederived() {
    let def = spec_example("def-v0.md", "manifest-def-v0");
    let bytes = edit(&def, |m| {
        m.insert("bundle_id", Value::from("acme:dbt:run-2026-11-20-0001"));
    });
    let (manifest, _) =
        check_manifest(&bytes, &Schemas::new().unwrap(), &Limits::default()).unwrap();
    assert_eq!(manifest.bundle_id, "acme:dbt:run-2026-11-20-0001");
}

#[test]
fn unknown_extensions_are_warnings_in_key_order() {
    let def = spec_example("def-v0.md", "manifest-def-v0");
    let bytes = edit(&def, |m| {
        let mut ext = Map::new();
        ext.insert("zeta", Value::Null);
        ext.insert("mcp", Value::Bool(true)); // defined for PEF only
        m.insert("extensions", Value::from(ext));
    });
    let (_, findings) =
        check_manifest(&bytes, &Schemas::new().unwrap(), &Limits::default()).unwrap();
    assert_eq!(
        findings,
        [
            ManifestCheck::UnknownExtension("mcp".into()),
            ManifestCheck::UnknownExtension("zeta".into())
        ]
    );
    assert_eq!(findings[0].code(), "manifest.unknown_extension");
    let pef = spec_example("pef-v0.md", "manifest-pef-v0");
    let (_, findings) = check_manifest(&pef, &Schemas::new().unwrap(), &Limits::default()).unwrap();
    assert!(findings.is_empty(), "mcp is defined for PEF");
}

#[test]
fn unsorted_artifacts_are_a_schema_failure() {
    let def = spec_example("def-v0.md", "manifest-def-v0");
    let Value::Object(map) = jcs::parse(&def, &Limits::default()).unwrap() else {
        panic!()
    };
    let artifacts = map
        .get("artifacts")
        .and_then(Value::as_array)
        .unwrap()
        .to_vec();
    assert!(
        artifacts.len() >= 2,
        "the DEF example needs two artifacts for this test"
    );
    let mut reversed = artifacts.clone();
    reversed.reverse();
    assert_eq!(
        kind(&edit(&def, |m| {
            m.insert("artifacts", Value::from(reversed));
        })),
        ManifestErrorKind::Schema
    );
}

#[test]
fn every_manifest_code_is_registered() {
    let registry =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/verdicts.md"))
            .unwrap();
    let codes = ManifestErrorKind::ALL
        .iter()
        .map(|k| k.code())
        .chain(["manifest.unknown_extension"]);
    for code in codes {
        assert!(
            registry.contains(&format!("`{code}`")),
            "{code} missing from spec/verdicts.md"
        );
    }
}
