//! The errors of building a bundle: one type, with a stable `build.*` code per kind.

use std::fmt;

use crate::error::Coded;

/// Why a bundle could not be built. Nothing usable was written when this is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    kind: BuildErrorKind,
    message: String,
    detail: Option<&'static str>,
    subject: Option<String>,
}

impl BuildError {
    pub(crate) fn new(kind: BuildErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            detail: None,
            subject: None,
        }
    }

    pub(crate) fn with_detail(mut self, detail: &'static str) -> Self {
        self.detail = Some(detail);
        self
    }

    pub(crate) fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// What kind of problem it is.
    pub const fn kind(&self) -> BuildErrorKind {
        self.kind
    }

    /// The underlying code when a verifier check or a primitive refused the input, e.g.
    /// `approval.nonce` under `build.approval`, `jcs.duplicate_key` under `build.spec_json`.
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }

    /// The input the problem is in: a spec member (`journal[2].at`), an artifact name, an
    /// approval file, an entry name.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(subject) = &self.subject {
            write!(f, "`{subject}`: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(detail) = self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}

impl Coded for BuildError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// The kinds of [`BuildError`], each with its code in `spec/verdicts.md` (table `build`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuildErrorKind {
    /// The bundle spec is not strict JSON (`build.spec_json`; the `jcs.*` code is the detail).
    SpecJson,
    /// The bundle spec has a missing, unknown or mistyped member (`build.spec_schema`).
    SpecSchema,
    /// A timestamp is not a valid time, or times are out of order (`build.time`).
    Time,
    /// The journal the spec describes breaks a journal rule (`build.journal`).
    Journal,
    /// An artifact name is not a valid entry name, or is given twice (`build.artifact_name`).
    ArtifactName,
    /// An artifact changed between the hash pass and the write pass (`build.artifact_changed`).
    ArtifactChanged,
    /// An approval envelope breaks an approval rule a producer can check (`build.approval`).
    Approval,
    /// The public key of an approval's signer was not supplied (`build.key_missing`).
    KeyMissing,
    /// No producer key, one key given twice, a key in two roles, or a key that already signed
    /// (`build.signer`).
    Signer,
    /// The manifest built would not pass the manifest step (`build.manifest`).
    Manifest,
    /// The container writer refused an entry (`build.container`; the `zip.*`/`bundle.*` code is
    /// the detail).
    Container,
    /// Reading an input or writing the sink failed (`build.io`).
    Io,
    /// The bundle given to co-sign cannot be read (`build.bundle`).
    Bundle,
}

impl BuildErrorKind {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::SpecJson => "build.spec_json",
            Self::SpecSchema => "build.spec_schema",
            Self::Time => "build.time",
            Self::Journal => "build.journal",
            Self::ArtifactName => "build.artifact_name",
            Self::ArtifactChanged => "build.artifact_changed",
            Self::Approval => "build.approval",
            Self::KeyMissing => "build.key_missing",
            Self::Signer => "build.signer",
            Self::Manifest => "build.manifest",
            Self::Container => "build.container",
            Self::Io => "build.io",
            Self::Bundle => "build.bundle",
        }
    }

    /// Every kind, for registry tests.
    pub const ALL: [BuildErrorKind; 13] = [
        Self::SpecJson,
        Self::SpecSchema,
        Self::Time,
        Self::Journal,
        Self::ArtifactName,
        Self::ArtifactChanged,
        Self::Approval,
        Self::KeyMissing,
        Self::Signer,
        Self::Manifest,
        Self::Container,
        Self::Io,
        Self::Bundle,
    ];
}
