//! The one error type of canonical JSON parsing, with its stable codes.

use crate::error::Coded;

/// Why a JSON document was rejected, and where (byte offset into the input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct JcsError {
    kind: JcsErrorKind,
    offset: usize,
}

impl JcsError {
    pub(crate) const fn new(kind: JcsErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// What went wrong.
    pub const fn kind(&self) -> JcsErrorKind {
        self.kind
    }

    /// Byte offset into the input where the problem was found.
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

impl Coded for JcsError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// The reasons a document can be rejected; each has a code registered in `spec/verdicts.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JcsErrorKind {
    /// The input is larger than `Limits::json_max_bytes`.
    #[error("document exceeds the size limit")]
    TooLarge,
    /// The input ended inside a value.
    #[error("unexpected end of input")]
    UnexpectedEnd,
    /// A byte that cannot start or continue a value here.
    #[error("unexpected character")]
    UnexpectedCharacter,
    /// Something other than whitespace follows the top-level value.
    #[error("trailing characters after the value")]
    TrailingCharacters,
    /// Bytes that are not valid UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A raw control character (U+0000..U+001F) inside a string.
    #[error("raw control character in a string")]
    ControlCharacter,
    /// An escape sequence JSON does not define.
    #[error("invalid escape sequence")]
    InvalidEscape,
    /// A `\u` escape of a surrogate without its pair.
    #[error("lone surrogate in a string")]
    LoneSurrogate,
    /// A number that breaks the JSON grammar (leading zeros, missing digits, ...).
    #[error("invalid number")]
    InvalidNumber,
    /// `NaN`, `Infinity` or `-Infinity`: JSON has no non-finite numbers.
    #[error("non-finite number")]
    NonFinite,
    /// A number token longer than `Limits::json_max_number_bytes`, or with more exponent digits
    /// than `Limits::json_max_exponent_digits`.
    #[error("number token exceeds the length limit")]
    NumberTooLong,
    /// A number whose magnitude rounds to infinity.
    #[error("number overflows to infinity")]
    NumberOverflow,
    /// An integer literal outside ±(2^53−1), which canonicalization would change.
    #[error("integer literal outside ±(2^53-1)")]
    IntegerOutOfRange,
    /// An object key that appears twice.
    #[error("duplicate object key")]
    DuplicateKey,
    /// Nesting deeper than `Limits::json_max_depth`.
    #[error("nesting exceeds the depth limit")]
    TooDeep,
    /// A string longer than `Limits::json_max_string_bytes`.
    #[error("string exceeds the length limit")]
    StringTooLong,
    /// An object or array with more entries than `Limits::json_max_entries`.
    #[error("object or array exceeds the entry limit")]
    TooManyEntries,
    /// A document with more values than its size allows (limits.md L43–L44).
    #[error("document holds more values than its size allows")]
    TooManyValues,
    /// Valid JSON whose bytes differ from its canonical form.
    #[error("JSON is not in canonical form")]
    NotCanonical,
}

impl JcsErrorKind {
    /// The stable code of this reason.
    pub const fn code(self) -> &'static str {
        match self {
            Self::TooLarge => "jcs.too_large",
            Self::UnexpectedEnd => "jcs.unexpected_end",
            Self::UnexpectedCharacter => "jcs.unexpected_character",
            Self::TrailingCharacters => "jcs.trailing_characters",
            Self::InvalidUtf8 => "jcs.invalid_utf8",
            Self::ControlCharacter => "jcs.control_character",
            Self::InvalidEscape => "jcs.invalid_escape",
            Self::LoneSurrogate => "jcs.lone_surrogate",
            Self::InvalidNumber => "jcs.invalid_number",
            Self::NonFinite => "jcs.non_finite",
            Self::NumberTooLong => "jcs.number_too_long",
            Self::NumberOverflow => "jcs.number_overflow",
            Self::IntegerOutOfRange => "jcs.integer_out_of_range",
            Self::DuplicateKey => "jcs.duplicate_key",
            Self::TooDeep => "jcs.too_deep",
            Self::StringTooLong => "jcs.string_too_long",
            Self::TooManyEntries => "jcs.too_many_entries",
            Self::TooManyValues => "jcs.too_many_values",
            Self::NotCanonical => "jcs.not_canonical",
        }
    }

    /// Every reason, in registry order (used to check `spec/verdicts.md` stays complete).
    pub const ALL: [JcsErrorKind; 19] = [
        Self::TooLarge,
        Self::UnexpectedEnd,
        Self::UnexpectedCharacter,
        Self::TrailingCharacters,
        Self::InvalidUtf8,
        Self::ControlCharacter,
        Self::InvalidEscape,
        Self::LoneSurrogate,
        Self::InvalidNumber,
        Self::NonFinite,
        Self::NumberTooLong,
        Self::NumberOverflow,
        Self::IntegerOutOfRange,
        Self::DuplicateKey,
        Self::TooDeep,
        Self::StringTooLong,
        Self::TooManyEntries,
        Self::TooManyValues,
        Self::NotCanonical,
    ];
}
