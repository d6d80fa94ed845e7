//! The one error type of the bundle container, with its stable codes.

use std::fmt;

use crate::error::Coded;

/// Why a bundle container was rejected, and where: the entry it concerns (when there is one) and
/// the byte offset into the file (when there is one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}", Location { entry: self.entry.as_deref(), offset: self.offset })]
pub struct ContainerError {
    kind: ContainerErrorKind,
    entry: Option<String>,
    offset: Option<u64>,
}

impl ContainerError {
    pub(crate) const fn new(kind: ContainerErrorKind) -> Self {
        Self {
            kind,
            entry: None,
            offset: None,
        }
    }

    /// Attaches the name of the entry the error concerns (printable ASCII only is kept as is;
    /// other bytes are escaped, since a rejected name may hold anything).
    pub(crate) fn with_entry(mut self, name: &[u8]) -> Self {
        self.entry = Some(name.escape_ascii().to_string());
        self
    }

    /// Attaches the byte offset into the file where the problem was found.
    pub(crate) const fn at(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// What went wrong.
    pub const fn kind(&self) -> ContainerErrorKind {
        self.kind
    }

    /// The entry name the error concerns (escaped when not printable ASCII), if any.
    pub fn entry(&self) -> Option<&str> {
        self.entry.as_deref()
    }

    /// Byte offset into the file where the problem was found, if any.
    pub const fn offset(&self) -> Option<u64> {
        self.offset
    }
}

impl Coded for ContainerError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }
}

struct Location<'a> {
    entry: Option<&'a str>,
    offset: Option<u64>,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(entry) = self.entry {
            write!(f, " in entry `{entry}`")?;
        }
        if let Some(offset) = self.offset {
            write!(f, " at byte {offset}")?;
        }
        Ok(())
    }
}

/// The reasons a container can be rejected; each has a code registered in `spec/verdicts.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerErrorKind {
    /// No single valid end-of-central-directory record, or bytes before the first entry or
    /// between the central directory and the end record (bundle-v0 §2.4.2).
    #[error("invalid end of central directory")]
    Eocd,
    /// An entry name outside the allowed form, or a case-fold duplicate (§2.1.1–§2.1.2).
    #[error("invalid entry name")]
    Name,
    /// General-purpose flags other than 0, or a file type other than a regular file.
    #[error("invalid flags or file type")]
    Flags,
    /// A compression method the entry may not use (§2.2.1).
    #[error("compression method not allowed")]
    Method,
    /// An extra field other than a needed zip64 field, or a file comment (§2.5).
    #[error("extra field or comment not allowed")]
    Extra,
    /// A local header that differs from the central directory, or records that do not follow
    /// each other exactly.
    #[error("local header disagrees with the central directory")]
    LocalHeader,
    /// The file, an entry, the total uncompressed size or an entry count beyond limits.md.
    #[error("size or count limit exceeded")]
    SizeLimit,
    /// A deflated entry whose compression ratio exceeds limits.md L18.
    #[error("compression ratio exceeds the limit")]
    Ratio,
    /// Entry data that does not inflate, or does not match its sizes or CRC-32.
    #[error("entry data does not match its CRC-32 or sizes")]
    Crc,
    /// A required entry is missing (§2.1.3).
    #[error("required entry missing")]
    MissingEntry,
    /// An entry of none of the allowed forms (§2.1.3).
    #[error("unexpected entry")]
    UnexpectedEntry,
    /// Entries out of the required order (§2.1.4).
    #[error("entries out of order")]
    EntryOrder,
}

impl ContainerErrorKind {
    /// The stable code of this reason.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Eocd => "zip.eocd",
            Self::Name => "zip.name",
            Self::Flags => "zip.flags",
            Self::Method => "zip.method",
            Self::Extra => "zip.extra",
            Self::LocalHeader => "zip.local_header",
            Self::SizeLimit => "zip.size_limit",
            Self::Ratio => "zip.ratio",
            Self::Crc => "zip.crc",
            Self::MissingEntry => "bundle.missing_entry",
            Self::UnexpectedEntry => "bundle.unexpected_entry",
            Self::EntryOrder => "bundle.entry_order",
        }
    }

    /// Every reason, in registry order (used to check `spec/verdicts.md` stays complete).
    pub const ALL: [ContainerErrorKind; 12] = [
        Self::Eocd,
        Self::Name,
        Self::Flags,
        Self::Method,
        Self::Extra,
        Self::LocalHeader,
        Self::SizeLimit,
        Self::Ratio,
        Self::Crc,
        Self::MissingEntry,
        Self::UnexpectedEntry,
        Self::EntryOrder,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_registered_in_the_spec() {
        let registry =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/verdicts.md"))
                .unwrap();
        for kind in ContainerErrorKind::ALL {
            assert!(
                registry.contains(&format!("| `{}` | fail |", kind.code())),
                "{} missing from spec/verdicts.md",
                kind.code()
            );
        }
    }

    #[test]
    fn display_names_entry_and_offset() {
        let e = ContainerError::new(ContainerErrorKind::Name)
            .with_entry(b"a\\b")
            .at(7);
        assert_eq!(
            e.to_string(),
            "invalid entry name in entry `a\\\\b` at byte 7"
        );
        assert_eq!(e.code(), "zip.name");
    }
}
