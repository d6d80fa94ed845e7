//! Normalisation before detection: one canonical, lowercase text with a map back to the input.
//!
//! spec: guard-genai.md §2. Steps, per input character: invalid UTF-8 → U+FFFD; Unicode tag
//! characters (U+E0020..U+E007E) → the ASCII they hide; zero-width, bidi and other invisible
//! format characters dropped; NFKC per segment (a character and the combining marks after it);
//! combining marks removed (diacritic folding); homoglyphs folded ([`super::confusables`]);
//! lowercase; whitespace and control runs collapsed to one space (or one `\n` when the run holds
//! a line break). Every normalised byte remembers the input byte range it came from, so a
//! finding's span always points into the caller's input.

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::UnicodeNormalization;

use super::confusables;

/// The normalised text, its map back to the input, and what normalisation removed or folded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalised {
    /// The normalised text (lowercase, NFKC, folded, whitespace collapsed).
    pub text: String,
    /// For each byte of `text`, the input byte range `(start, end)` it was produced from.
    pub origin: Vec<(u32, u32)>,
    /// What was hidden in the input (for the obfuscation detector).
    pub hidden: Hidden,
}

/// Counts and first positions of obfuscation seen while normalising.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hidden {
    /// Zero-width or invisible characters between two letters.
    pub invisible: u32,
    /// Bidi embedding, override or isolate controls.
    pub bidi: u32,
    /// Unicode tag characters (ASCII smuggling).
    pub tags: u32,
    /// Words mixing Latin letters with folded look-alikes of other scripts.
    pub mixed_words: u32,
    /// Input byte range of the first such character or word.
    pub first: Option<(u32, u32)>,
}

impl Hidden {
    fn note(&mut self, span: (u32, u32)) {
        if self.first.is_none() {
            self.first = Some(span);
        }
    }
}

impl Normalised {
    /// The input byte range of normalised bytes `start..end` (`end` exclusive).
    pub fn input_span(&self, start: usize, end: usize) -> (u32, u32) {
        let first = self.origin.get(start).map_or(0, |o| o.0);
        let last = end
            .checked_sub(1)
            .and_then(|i| self.origin.get(i))
            .map_or(first, |o| o.1);
        (first, last.max(first))
    }
}

/// What to do with one input character before NFKC.
enum Class {
    Keep,
    Drop,
    Bidi,
    Tag(char),
}

fn classify(c: char) -> Class {
    match c {
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Class::Bidi,
        '\u{E0020}'..='\u{E007E}' => {
            // INVARIANT: the range maps onto printable ASCII 0x20..=0x7E.
            char::from_u32(u32::from(c) - 0xE0000).map_or(Class::Drop, Class::Tag)
        }
        '\u{200B}'..='\u{200F}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}'
        | '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180E}'
        | '\u{3164}'
        | '\u{FFA0}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{E0000}'..='\u{E001F}'
        | '\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}' => Class::Drop,
        _ => Class::Keep,
    }
}

/// Builds the normalised text.
struct Writer {
    out: Normalised,
    /// Whitespace seen since the last letter: `None`, `Some(false)` space, `Some(true)` newline.
    pending_space: Option<(bool, (u32, u32))>,
    /// The current word has a Latin letter / a folded look-alike; span of the word so far.
    word_latin: bool,
    word_folded: bool,
    word_start: Option<u32>,
    last_end: u32,
}

impl Writer {
    fn new(capacity: usize) -> Self {
        let mut out = Normalised::default();
        out.text.reserve(capacity);
        out.origin.reserve(capacity);
        Self {
            out,
            pending_space: None,
            word_latin: false,
            word_folded: false,
            word_start: None,
            last_end: 0,
        }
    }

    fn push_raw(&mut self, c: char, span: (u32, u32)) {
        let before = self.out.text.len();
        self.out.text.push(c);
        for _ in before..self.out.text.len() {
            self.out.origin.push(span);
        }
    }

    fn end_word(&mut self) {
        if self.word_latin && self.word_folded {
            self.out.hidden.mixed_words += 1;
            let start = self.word_start.unwrap_or(self.last_end);
            self.out.hidden.note((start, self.last_end));
        }
        self.word_latin = false;
        self.word_folded = false;
        self.word_start = None;
    }

    /// One character after NFKC and diacritic removal.
    fn push(&mut self, c: char, span: (u32, u32)) {
        if c.is_whitespace() || c.is_control() {
            self.end_word();
            let newline = c == '\n' || c == '\r' || c == '\u{2028}' || c == '\u{2029}';
            self.pending_space = match self.pending_space {
                Some((nl, first)) => Some((nl || newline, first)),
                None => Some((newline, span)),
            };
            return;
        }
        if let Some((newline, first)) = self.pending_space.take() {
            if !self.out.text.is_empty() {
                self.push_raw(if newline { '\n' } else { ' ' }, first);
            }
        }
        for lower in c.to_lowercase() {
            // Turkish and Azerbaijani dotless `ı` is a letter of the Latin script: folded for
            // matching, but a word with it is not mixed-script.
            let (ch, folded) = match confusables::fold(lower) {
                Some(latin) => (latin, lower != 'ı'),
                None => (lower, false),
            };
            if ch.is_alphanumeric() {
                if self.word_start.is_none() {
                    self.word_start = Some(span.0);
                }
                if folded {
                    self.word_folded = true;
                } else if ch.is_ascii_alphabetic() {
                    self.word_latin = true;
                }
            } else {
                self.end_word();
            }
            self.push_raw(ch, span);
        }
        self.last_end = span.1;
    }

    fn finish(mut self) -> Normalised {
        self.end_word();
        self.out
    }
}

/// Normalises `input` (any bytes; invalid UTF-8 becomes U+FFFD).
pub fn normalise(input: &[u8]) -> Normalised {
    let mut n = Segmenter {
        w: Writer::new(input.len()),
        segment: String::new(),
        span: None,
        pending_invisible: None,
        prev_letter: false,
    };
    let mut offset: u32 = 0;
    for chunk in input.utf8_chunks() {
        for c in chunk.valid().chars() {
            let len = c.len_utf8() as u32;
            n.feed(c, (offset, offset + len));
            offset += len;
        }
        let bad = chunk.invalid().len() as u32;
        if bad > 0 {
            n.feed('\u{FFFD}', (offset, offset + bad));
            offset += bad;
        }
    }
    let span = n.span.take();
    flush(&mut n.w, &mut n.segment, span);
    n.w.finish()
}

/// Groups characters into segments (one starter and the combining marks after it) so that NFKC
/// runs per segment and every output byte maps to one input range.
struct Segmenter {
    w: Writer,
    segment: String,
    span: Option<(u32, u32)>,
    pending_invisible: Option<(u32, u32)>,
    /// The last character kept was a letter or digit.
    prev_letter: bool,
}

impl Segmenter {
    fn feed(&mut self, c: char, span: (u32, u32)) {
        let c = match classify(c) {
            Class::Keep => c,
            Class::Tag(ascii) => {
                self.w.out.hidden.tags += 1;
                self.w.out.hidden.note(span);
                ascii
            }
            Class::Bidi => {
                self.w.out.hidden.bidi += 1;
                self.w.out.hidden.note(span);
                return;
            }
            Class::Drop => {
                if self.prev_letter && self.pending_invisible.is_none() {
                    self.pending_invisible = Some(span);
                }
                return;
            }
        };
        if let Some(inv) = self.pending_invisible.take() {
            if c.is_alphanumeric() && self.prev_letter {
                self.w.out.hidden.invisible += 1;
                self.w.out.hidden.note(inv);
            }
        }
        if !c.is_ascii() && canonical_combining_class(c) != 0 {
            if let Some(s) = self.span.as_mut() {
                self.segment.push(c);
                s.1 = span.1;
                return;
            }
        }
        self.prev_letter = c.is_alphanumeric();
        let previous = self.span.take();
        flush(&mut self.w, &mut self.segment, previous);
        self.segment.push(c);
        self.span = Some(span);
    }
}

/// NFKC of one segment, combining marks dropped, characters written.
fn flush(w: &mut Writer, segment: &mut String, span: Option<(u32, u32)>) {
    let Some(span) = span else {
        return;
    };
    if segment.is_ascii() {
        for c in segment.chars() {
            w.push(c, span);
        }
    } else {
        for c in segment.nfkc().nfd() {
            if canonical_combining_class(c) == 0 {
                w.push(c, span);
            }
        }
    }
    segment.clear();
}

#[cfg(test)]
mod tests {
    use super::normalise;

    fn text(input: &str) -> String {
        normalise(input.as_bytes()).text
    }

    #[test]
    fn nfkc_folds_compatibility_forms() {
        assert_eq!(text("ＩＧＮＯＲＥ ｐｒｅｖｉｏｕｓ"), "ignore previous");
        assert_eq!(text("𝐢𝐠𝐧𝐨𝐫𝐞 ﬁle ⓘ"), "ignore file i");
    }

    #[test]
    fn zero_width_and_bidi_are_removed_and_counted() {
        let n = normalise("ig\u{200B}no\u{200D}re \u{202E}all\u{202C}".as_bytes());
        assert_eq!(n.text, "ignore all");
        assert_eq!(n.hidden.invisible, 2);
        assert_eq!(n.hidden.bidi, 2);
        assert_eq!(n.hidden.first, Some((2, 5)));
    }

    #[test]
    fn tag_characters_reveal_ascii() {
        let hidden: String = "hi"
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xE0000).unwrap())
            .collect();
        let n = normalise(format!("ok{hidden}").as_bytes());
        assert_eq!(n.text, "okhi");
        assert_eq!(n.hidden.tags, 2);
    }

    #[test]
    fn diacritics_and_homoglyphs_fold() {
        assert_eq!(text("ÌGNÖRÉ"), "ignore");
        let n = normalise("іgnоrе".as_bytes());
        assert_eq!(n.text, "ignore");
        assert_eq!(n.hidden.mixed_words, 1);
        // A word wholly in another script is not "mixed".
        assert_eq!(normalise("привет".as_bytes()).hidden.mixed_words, 0);
        // Turkish words are Latin script: folded, not mixed.
        let n = normalise("Kızılay yüz bakış ışık".as_bytes());
        assert_eq!(
            (n.text.as_str(), n.hidden.mixed_words),
            ("kizilay yuz bakis isik", 0)
        );
    }

    #[test]
    fn whitespace_collapses_keeping_line_breaks() {
        assert_eq!(text("  a \t\u{00A0} b\r\n\n c "), "a b\nc");
    }

    #[test]
    fn invalid_utf8_maps_to_replacement_and_spans_point_into_input() {
        let n = normalise(b"ab\xFFcd");
        assert_eq!(n.text, "ab\u{FFFD}cd");
        let start = n.text.find('c').unwrap();
        assert_eq!(n.input_span(start, start + 2), (3, 5));
    }

    #[test]
    fn spans_cover_the_segment_that_produced_a_byte() {
        let input = "x ＩＧ y";
        let n = normalise(input.as_bytes());
        assert_eq!(n.text, "x ig y");
        assert_eq!(n.input_span(2, 4), (2, 8));
    }
}
