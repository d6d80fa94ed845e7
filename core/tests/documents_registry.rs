//! Every code the trust, risk and journal modules can emit is registered in `spec/verdicts.md`,
//! with the severity the module records.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use clyra_core::crypto::{KeyError, Scheme};
use clyra_core::jcs::JcsErrorKind;
use clyra_core::trust::TrustFileError;
use clyra_core::verdict::Severity;
use clyra_core::{journal, risk, trust, Coded};

/// `code → severity` from the registry's table rows.
fn registry() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/verdicts.md"))
        .unwrap();
    let mut codes = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 {
            continue;
        }
        if let Some(code) = cells[1].strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
            codes.insert(code.to_owned(), cells[2].to_owned());
        }
    }
    codes
}

#[test]
fn every_emitted_code_is_registered_with_its_severity() {
    let registry = registry();
    let emitted: Vec<(&str, Severity)> = trust::judge::CODES
        .iter()
        .chain(&risk::CODES)
        .chain(&journal::CODES)
        .copied()
        .collect();
    for (code, severity) in emitted {
        assert_eq!(
            registry.get(code).map(String::as_str),
            Some(severity.as_str()),
            "`{code}` is not registered with severity `{severity}`"
        );
    }
    // trust.file is an exit-4 code, never a verdict check.
    assert_eq!(
        registry.get(TrustFileError::CODE).map(String::as_str),
        Some("—")
    );
}

#[test]
fn every_detail_code_is_registered() {
    let registry = registry();
    let mut details: Vec<&str> = JcsErrorKind::ALL.iter().map(|k| k.code()).collect();
    let key_errors = [
        KeyError::TooLarge { size: 0, limit: 0 },
        KeyError::PemMalformed { reason: "" },
        KeyError::DerMalformed { reason: "" },
        KeyError::UnsupportedAlgorithm { oid: String::new() },
        KeyError::Invalid { reason: "" },
        KeyError::PointNotUncompressed,
        KeyError::RsaSize { bits: 0 },
        KeyError::RsaExponent,
    ];
    details.extend(key_errors.iter().map(Coded::code));
    details.push("unknown".parse::<Scheme>().unwrap_err().code());
    for code in details {
        assert!(
            registry.contains_key(code),
            "`{code}` missing from spec/verdicts.md"
        );
    }
}
