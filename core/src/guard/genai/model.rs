//! A small linear classifier over hashed character n-grams, trained offline and shipped as data.
//!
//! spec: guard-genai.md §5. Features: every byte 3-, 4- and 5-gram of `" " + text + " "` (the
//! normalised text), hashed with FNV-1a (64-bit) into 2^k buckets. Score: `z = (bias + Σ w[b] /
//! √n) / scale` over the n n-grams (with repeats), probability `1 / (1 + e^-z)`, reported per
//! mille. Weights are integers (`i16`) and `exp` is computed here from IEEE basic operations, so
//! the score is the same on every platform. The model file (`model.bin`) is written by
//! `core/examples/genai_train.rs` from the development split (tests/genai/README.md).
//!
//! File format (little-endian): magic `CLYRAGM1`, u32 `k`, u32 `scale`, i32 `bias`, u32
//! `threshold` (per mille), then 2^k `i16` weights.

use super::error::GenaiError;

/// The model trained on the development split, shipped inside the crate.
const SHIPPED: &[u8] = include_bytes!("model.bin");
const MAGIC: &[u8; 8] = b"CLYRAGM1";
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
        for_each_bucket(normalised, self.bits, |b| {
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

/// Calls `f` with the bucket of every n-gram of `" " + text + " "`, lengths [`NGRAMS`].
pub fn for_each_bucket(text: &[u8], bits: u32, mut f: impl FnMut(usize)) {
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
    use super::{exp, for_each_bucket, sigmoid_permille, Model};

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
        for_each_bucket(b"abc", 16, |_| n += 1);
        // " abc " has 5 bytes: 3 trigrams, 2 four-grams, 1 five-gram.
        assert_eq!(n, 6);
    }

    #[test]
    fn shipped_model_loads_and_round_trips() {
        let m = Model::shipped().unwrap();
        assert_eq!(Model::parse(&m.to_bytes()).unwrap(), m);
        assert!(Model::parse(b"CLYRAGM1").is_err());
        assert!(m.score(b"") == 0);
    }
}
