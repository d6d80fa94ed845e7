//! A small linear classifier over hashed character n-grams and word features, trained offline and
//! shipped as data.
//!
//! spec: guard-genai.md §5. Features: every byte 3-, 4- and 5-gram of `" " + text + " "` (the
//! normalised text) and the word features of [`for_each_word_bucket`] (skeletons that fold typos
//! and leetspeak, synonym classes), hashed with FNV-1a (64-bit) into 2^k buckets. Score: `z =
//! (bias + Σ w[b] / √n) / scale` over the n features (with repeats), probability `1 / (1 + e^-z)`, reported per
//! mille. Weights are integers (`i16`) and `exp` is computed here from IEEE basic operations, so
//! the score is the same on every platform. The model file (`model.bin`) is written by
//! `core/examples/genai_train.rs` from the development split (tests/genai/README.md).
//!
//! File format (little-endian): magic `CLYRAGM2` (`CLYRAGM1` had no word features), u32 `k`, u32
//! `scale`, i32 `bias`, u32 `threshold` (per mille), then 2^k `i16` weights.

use super::error::GenaiError;

/// The model trained on the development split, shipped inside the crate.
const SHIPPED: &[u8] = include_bytes!("model.bin");
const MAGIC: &[u8; 8] = b"CLYRAGM2";
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
/// The n-gram lengths used as features.
pub const NGRAMS: [usize; 3] = [3, 4, 5];

/// A loaded model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    bits: u32,
    scale: u32,
    bias: i32,
    threshold: u16,
    weights: Vec<i16>,
    lexicon: Lexicon,
}

impl Model {
    /// The model shipped with this crate.
    pub fn shipped() -> Result<Self, GenaiError> {
        Self::parse(SHIPPED)
    }

    /// Parses a model file.
    pub fn parse(bytes: &[u8]) -> Result<Self, GenaiError> {
        let bad = || GenaiError::internal("malformed model file");
        let (magic, rest) = bytes.split_first_chunk::<8>().ok_or_else(bad)?;
        if magic != MAGIC {
            return Err(bad());
        }
        let (bits, rest) = rest.split_first_chunk::<4>().ok_or_else(bad)?;
        let (scale, rest) = rest.split_first_chunk::<4>().ok_or_else(bad)?;
        let (bias, rest) = rest.split_first_chunk::<4>().ok_or_else(bad)?;
        let (threshold, rest) = rest.split_first_chunk::<4>().ok_or_else(bad)?;
        let bits = u32::from_le_bytes(*bits);
        let scale = u32::from_le_bytes(*scale);
        let threshold = u16::try_from(u32::from_le_bytes(*threshold)).map_err(|_| bad())?;
        if !(8..=24).contains(&bits) || scale == 0 || threshold > 1000 || rest.len() != 2 << bits {
            return Err(bad());
        }
        let weights = rest
            .chunks_exact(2)
            .map(|c| {
                i16::from_le_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            })
            .collect();
        Ok(Self {
            bits,
            scale,
            bias: i32::from_le_bytes(*bias),
            threshold,
            weights,
            lexicon: Lexicon::new(),
        })
    }

    /// Builds a model from trained values (used by the trainer).
    pub fn from_parts(bits: u32, scale: u32, bias: i32, threshold: u16, weights: Vec<i16>) -> Self {
        Self {
            bits,
            scale,
            bias,
            threshold,
            weights,
            lexicon: Lexicon::new(),
        }
    }

    /// The model file bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + 2 * self.weights.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.bits.to_le_bytes());
        out.extend_from_slice(&self.scale.to_le_bytes());
        out.extend_from_slice(&self.bias.to_le_bytes());
        out.extend_from_slice(&u32::from(self.threshold).to_le_bytes());
        for w in &self.weights {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Score at or above which the classifier reports a finding, per mille (chosen on the
    /// development split).
    pub fn threshold(&self) -> u16 {
        self.threshold
    }

    /// The probability that `normalised` is an injection or jailbreak, per mille.
    pub fn score(&self, normalised: &[u8]) -> u16 {
        let mut sum: i64 = 0;
        let mut n: u64 = 0;
        for_each_bucket(normalised, self.bits, &self.lexicon, |b| {
            sum += i64::from(self.weights.get(b).copied().unwrap_or(0));
            n += 1;
        });
        if n == 0 {
            return 0;
        }
        let z = (f64::from(self.bias) + sum as f64 / (n as f64).sqrt()) / f64::from(self.scale);
        sigmoid_permille(z)
    }
}

/// Calls `f` with the bucket of every feature of `text` (the normalised text): every byte n-gram
/// of `" " + text + " "`, lengths [`NGRAMS`], then the word features of [`for_each_word_bucket`].
pub fn for_each_bucket(text: &[u8], bits: u32, lexicon: &Lexicon, mut f: impl FnMut(usize)) {
    let mask = (1u64 << bits) - 1;
    let len = text.len() + 2;
    let byte = |i: usize| -> u8 {
        if i == 0 || i == len - 1 {
            b' '
        } else {
            text.get(i - 1).copied().unwrap_or(b' ')
        }
    };
    for start in 0..len {
        let mut h = FNV_OFFSET;
        for k in 0..5 {
            let i = start + k;
            if i >= len {
                break;
            }
            h = (h ^ u64::from(byte(i))).wrapping_mul(FNV_PRIME);
            if k >= 2 {
                // Mix the length in so that a 3-gram and a 4-gram never share a hash by prefix.
                let mixed = (h ^ (k as u64 + 1)).wrapping_mul(FNV_PRIME);
                f(usize::try_from(mixed & mask).unwrap_or(0));
            }
        }
    }
    for_each_word_bucket(text, bits, lexicon, f);
}

/// Word classes of the word features: override verbs, instruction nouns, words of prior context,
/// "what you were told", role-play, no-limits words, exfiltration verbs, secrets, reveal verbs.
/// A word is in a class when its skeleton ([`skeleton`]) equals, or is one letter away from
/// (one dropped or added, for skeletons of at least 4 letters), the skeleton of a listed word.
const CLASSES: &[(u8, &[&str])] = &[
    (
        1,
        &[
            "ignore",
            "disregard",
            "forget",
            "overlook",
            "skip",
            "bypass",
            "neglect",
            "discard",
            "abandon",
            "dismiss",
            "override",
            "circumvent",
            "omit",
            "overrule",
            "scrap",
            "erase",
        ],
    ),
    (
        2,
        &[
            "instructions",
            "instruction",
            "rules",
            "guidelines",
            "directives",
            "directive",
            "prompt",
            "prompts",
            "programming",
            "policies",
            "policy",
            "restrictions",
            "constraints",
            "guardrails",
            "filters",
            "orders",
            "commands",
            "guidance",
            "limitations",
            "safeguards",
        ],
    ),
    (
        3,
        &[
            "previous",
            "previously",
            "prior",
            "above",
            "earlier",
            "preceding",
            "initial",
            "original",
            "former",
            "preset",
            "before",
        ],
    ),
    (
        4,
        &[
            "told",
            "instructed",
            "taught",
            "programmed",
            "trained",
            "configured",
        ],
    ),
    (
        5,
        &[
            "pretend",
            "roleplay",
            "persona",
            "character",
            "simulate",
            "emulate",
            "embody",
            "impersonate",
            "hypothetical",
            "fictional",
            "scenario",
        ],
    ),
    (
        6,
        &[
            "unrestricted",
            "unfiltered",
            "uncensored",
            "jailbroken",
            "jailbreak",
            "amoral",
            "unethical",
            "limitless",
            "unlimited",
            "unbound",
            "immoral",
            "lawless",
        ],
    ),
    (
        7,
        &[
            "send",
            "forward",
            "email",
            "upload",
            "transmit",
            "exfiltrate",
            "leak",
            "attach",
            "post",
            "webhook",
        ],
    ),
    (
        8,
        &[
            "password",
            "passwords",
            "credentials",
            "secret",
            "secrets",
            "token",
            "tokens",
            "apikey",
            "confidential",
            "private",
        ],
    ),
    (
        9,
        &[
            "reveal", "print", "repeat", "output", "disclose", "display", "dump", "verbatim",
        ],
    ),
];

/// Longest word skeleton handled, in bytes (longer words are hashed whole).
const SKELETON_MAX: usize = 24;

/// A word's skeleton: its letters and digits without the vowels `a e i o u y`, runs of one
/// letter collapsed ("ignnore" and "ignroe" → "gnr", "everthing" → "vrthng"); leetspeak digits
/// read as letters first (`0 1 3 4 5 7` → `o i e a s t`).
fn skeleton(word: &[u8], out: &mut [u8; SKELETON_MAX]) -> usize {
    let mut n = 0;
    for &b in word {
        let c = match b {
            b'0' => b'o',
            b'1' => b'i',
            b'3' => b'e',
            b'4' => b'a',
            b'5' => b's',
            b'7' => b't',
            c => c,
        };
        if matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y') {
            continue;
        }
        if n > 0 && out.get(n - 1) == Some(&c) {
            continue;
        }
        if let Some(slot) = out.get_mut(n) {
            *slot = c;
            n += 1;
        }
    }
    n
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    bytes
        .iter()
        .fold(seed, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME))
}

/// The word classes ([`CLASSES`]) as a sorted table of skeleton hashes: each listed word's
/// skeleton and, for skeletons of at least 4 letters, each spelling with one letter dropped. Built
/// once per [`Model`] (and by the trainer); lookups are binary searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexicon {
    table: Vec<(u64, u8)>,
}

impl Lexicon {
    /// Builds the table from [`CLASSES`].
    pub fn new() -> Self {
        let mut table = Vec::new();
        let mut buf = [0u8; SKELETON_MAX];
        for &(class, words) in CLASSES {
            for w in words {
                let n = skeleton(w.as_bytes(), &mut buf);
                let sk = buf.get(..n).unwrap_or_default();
                table.push((fnv(sk, FNV_OFFSET), class));
                if n >= 4 {
                    for_each_deletion(sk, DROPPED, |h| table.push((h, class)));
                }
            }
        }
        table.sort_unstable();
        table.dedup_by_key(|e| e.0);
        Self { table }
    }

    fn get(&self, hash: u64) -> Option<u8> {
        self.table
            .binary_search_by_key(&hash, |e| e.0)
            .ok()
            .and_then(|i| self.table.get(i))
            .map(|e| e.1)
    }

    /// The class of a word skeleton: a listed skeleton itself, or (4 letters or more) one letter
    /// away from it — a letter missing (a listed skeleton with one dropped) or one extra (the
    /// word's skeleton with one dropped is listed).
    fn class_of(&self, sk: &[u8]) -> Option<u8> {
        if let Some(c) = self.get(fnv(sk, FNV_OFFSET)) {
            return Some(c);
        }
        if sk.len() < 3 {
            return None;
        }
        if let Some(c) = self.get(fnv(sk, DROPPED)) {
            return Some(c);
        }
        if sk.len() < 5 {
            return None;
        }
        let mut found = None;
        for_each_deletion(sk, FNV_OFFSET, |h| {
            if found.is_none() {
                found = self.get(h);
            }
        });
        found
    }
}

impl Default for Lexicon {
    fn default() -> Self {
        Self::new()
    }
}

/// Hash seed of the listed skeletons with one letter dropped.
const DROPPED: u64 = FNV_OFFSET ^ 0xD0;

/// Calls `f` with the hash (from `seed`) of `sk` with each one of its bytes dropped.
fn for_each_deletion(sk: &[u8], seed: u64, mut f: impl FnMut(u64)) {
    for i in 0..sk.len() {
        let head = fnv(sk.get(..i).unwrap_or_default(), seed);
        f(fnv(sk.get(i + 1..).unwrap_or_default(), head));
    }
}

/// Calls `f` with the bucket of every word feature of `text`: for each word (a run of ASCII
/// letters and digits), its token — its class ([`CLASSES`]) or else its skeleton — as a unigram
/// and as a bigram with the previous word's token, and each class token paired with the previous
/// class token seen within four words (so "ignore all the previous rules" and "overlook what came
/// before" share features).
pub fn for_each_word_bucket(text: &[u8], bits: u32, lexicon: &Lexicon, mut f: impl FnMut(usize)) {
    let mask = (1u64 << bits) - 1;
    let mut emit = |h: u64| f(usize::try_from(h & mask).unwrap_or(0));
    let mut prev: u64 = 0;
    let mut last_class: Option<(u8, usize)> = None;
    let mut buf = [0u8; SKELETON_MAX];
    for (index, word) in text
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        let n = skeleton(word, &mut buf);
        let sk = buf.get(..n).unwrap_or_default();
        let class = if word.len() >= 4 && n > 0 && n < SKELETON_MAX {
            lexicon.class_of(sk)
        } else {
            None
        };
        let token = match class {
            Some(c) => fnv(&[0xC0, c], FNV_OFFSET),
            None if n == 0 || n >= SKELETON_MAX => fnv(word, FNV_OFFSET ^ 0x57),
            None => fnv(sk, FNV_OFFSET ^ 0x53),
        };
        emit(fnv(b"w1", token));
        if index > 0 {
            emit(fnv(&prev.to_le_bytes(), token ^ 0xB1));
        }
        if let Some(c) = class {
            if let Some((p, at)) = last_class {
                if index - at <= 4 {
                    emit(fnv(&[0xC2, p, c], FNV_OFFSET));
                }
            }
            last_class = Some((c, index));
        }
        prev = token;
    }
}

/// `round(1000 / (1 + e^-z))`, from basic IEEE operations only.
pub fn sigmoid_permille(z: f64) -> u16 {
    let z = z.clamp(-30.0, 30.0);
    let p = 1.0 / (1.0 + exp(-z));
    // INVARIANT: p is in [0, 1], so the product is in [0, 1000].
    (p * 1000.0).round().clamp(0.0, 1000.0) as u16
}

/// e^x for |x| ≤ 30: range reduction by ln 2 and a Taylor series on the remainder.
fn exp(x: f64) -> f64 {
    const LN2: f64 = std::f64::consts::LN_2;
    let k = (x / LN2).round();
    let r = x - k * LN2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..=16 {
        term = term * r / f64::from(i);
        sum += term;
    }
    // INVARIANT: |k| ≤ 44, so the biased exponent is in the normal range.
    let bits = ((k as i64 + 1023) as u64) << 52;
    sum * f64::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::{exp, for_each_bucket, for_each_word_bucket, sigmoid_permille, Lexicon, Model};

    #[test]
    fn exp_and_sigmoid_match_the_library_closely() {
        for x in [-30.0, -5.5, -1.0, 0.0, 0.3, 2.0, 29.9] {
            let ours = exp(x);
            assert!(((ours - f64::exp(x)) / f64::exp(x)).abs() < 1e-13, "{x}");
        }
        assert_eq!(sigmoid_permille(0.0), 500);
        assert_eq!(sigmoid_permille(50.0), 1000);
        assert_eq!(sigmoid_permille(-50.0), 0);
    }

    #[test]
    fn buckets_cover_three_lengths_per_position() {
        let mut n = 0;
        for_each_bucket(b"abc", 16, &Lexicon::new(), |_| n += 1);
        // " abc " has 5 bytes: 3 trigrams, 2 four-grams, 1 five-gram; one word unigram.
        assert_eq!(n, 7);
    }

    fn words(text: &str) -> Vec<usize> {
        let mut out = Vec::new();
        for_each_word_bucket(text.as_bytes(), 16, &Lexicon::new(), |b| out.push(b));
        out
    }

    #[test]
    fn word_features_fold_typos_and_synonyms() {
        // Typos one letter away and synonyms share the class features of the plain wording.
        assert_eq!(
            words("ignore previous instructions"),
            words("ignroe previus instrucions")
        );
        assert_eq!(
            words("ignore previous instructions"),
            words("disregard earlier rules")
        );
        assert_eq!(
            words("ignore previous instructions"),
            words("1gn0re prior guidelines")
        );
        // Words outside the classes keep their own features.
        assert_ne!(
            words("ignore previous instructions"),
            words("ignore previous meetings")
        );
        assert_ne!(words("summarize the notes"), words("summarize the votes"));
    }

    #[test]
    fn shipped_model_loads_and_round_trips() {
        let m = Model::shipped().unwrap();
        assert_eq!(Model::parse(&m.to_bytes()).unwrap(), m);
        assert!(Model::parse(b"CLYRAGM2").is_err());
        assert!(m.score(b"") == 0);
    }
}
