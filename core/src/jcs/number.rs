//! JSON numbers as IEEE-754 doubles, printed the way ECMAScript prints them.
//!
//! spec: primitives.md §2.4 — JCS serializes numbers with ECMAScript's `Number.prototype.toString`;
//! `ryu-js` implements exactly that (0 mismatches over the 100 M reference numbers).

/// The largest integer every JSON implementation represents exactly: 2^53 − 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A finite JSON number.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Number(f64);

impl Number {
    /// Wraps a finite double; NaN and ±∞ have no JSON form and give `None`.
    pub fn from_f64(value: f64) -> Option<Self> {
        value.is_finite().then_some(Self(value))
    }

    /// The value as a double.
    pub const fn as_f64(self) -> f64 {
        self.0
    }

    /// The value as an unsigned integer, when it is one within ±(2^53−1).
    pub fn as_u64(self) -> Option<u64> {
        let v = self.0;
        (v.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER as f64).contains(&v)).then_some(v as u64)
    }

    /// The value as a signed integer, when it is one within ±(2^53−1).
    pub fn as_i64(self) -> Option<i64> {
        let v = self.0;
        let max = MAX_SAFE_INTEGER as f64;
        (v.fract() == 0.0 && (-max..=max).contains(&v)).then_some(v as i64)
    }

    /// The number from an integer, when it lies within ±(2^53−1).
    pub fn from_i64(value: i64) -> Option<Self> {
        (value.unsigned_abs() <= MAX_SAFE_INTEGER).then_some(Self(value as f64))
    }
}

impl From<u32> for Number {
    fn from(value: u32) -> Self {
        Self(f64::from(value))
    }
}

impl From<i32> for Number {
    fn from(value: i32) -> Self {
        Self(f64::from(value))
    }
}

/// Appends the ECMAScript form of a finite double (`-0` prints as `0`).
///
/// spec: primitives.md §2.4. The shortest round-trip digits come from `zmij` (the Schubfach
/// family, as ryu: shortest, then closest, ties to even); the layout is ECMA-262
/// Number::toString. Tests hold this to `ryu-js` and to the ES6 reference numbers.
pub fn format_number(value: Number, out: &mut Vec<u8>) {
    let v = value.0;
    if v == 0.0 {
        out.push(b'0');
        return;
    }
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(v).as_bytes();
    if let Some(fixed) = es6_fixed_form(text) {
        out.extend_from_slice(fixed);
        return;
    }
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (mantissa, exponent) = match text.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => (
            text.get(..i).unwrap_or_default(),
            parse_exponent(text.get(i + 1..).unwrap_or_default()),
        ),
        None => (text, 0),
    };
    // Decompose into significant digits d1..dk and n, with value = 0.d1..dk × 10^n.
    let mut digits = [0u8; 24];
    let mut k = 0usize;
    let mut n = exponent;
    let mut after_point = false;
    for &c in mantissa {
        match c {
            b'.' => after_point = true,
            b'0' if k == 0 => n -= i32::from(after_point),
            b'0'..=b'9' => {
                if let Some(slot) = digits.get_mut(k) {
                    *slot = c;
                    k += 1;
                }
                n += i32::from(!after_point);
            }
            _ => {}
        }
    }
    while k > 1 && digits.get(k - 1) == Some(&b'0') {
        k -= 1;
    }
    let digits = digits.get(..k).unwrap_or_default();
    if negative {
        out.push(b'-');
    }
    write_es6(digits, n, out);
}

/// `zmij`'s text when it is already the ES6 form: fixed notation, fewer than 22 integer digits,
/// fewer than 6 zeros after `0.`, once a trailing `.0` is dropped.
fn es6_fixed_form(text: &[u8]) -> Option<&[u8]> {
    if text.contains(&b'e') {
        return None;
    }
    let body = text.strip_prefix(b"-").unwrap_or(text);
    let int_len = body.iter().position(|&c| c == b'.').unwrap_or(body.len());
    let small_zeros = body
        .strip_prefix(b"0.")
        .map_or(0, |frac| frac.iter().take_while(|&&c| c == b'0').count());
    (int_len <= 21 && small_zeros < 6).then(|| text.strip_suffix(b".0").unwrap_or(text))
}

fn parse_exponent(text: &[u8]) -> i32 {
    let (sign, digits) = match text.split_first() {
        Some((b'-', rest)) => (-1, rest),
        Some((b'+', rest)) => (1, rest),
        _ => (1, text),
    };
    sign * digits
        .iter()
        .fold(0i32, |acc, d| acc * 10 + i32::from(d.wrapping_sub(b'0')))
}

/// Lays out digits d1..dk with value 0.d1..dk × 10^n per ECMA-262 Number::toString steps 6–10.
fn write_es6(digits: &[u8], n: i32, out: &mut Vec<u8>) {
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let zeros = |count: i32, out: &mut Vec<u8>| {
        out.extend(std::iter::repeat_n(
            b'0',
            usize::try_from(count).unwrap_or(0),
        ));
    };
    if k <= n && n <= 21 {
        // An integer: the digits, then n − k zeros.
        out.extend_from_slice(digits);
        zeros(n - k, out);
    } else if 0 < n && n <= 21 {
        // The point falls inside the digits.
        let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0).min(digits.len()));
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else if -6 < n && n <= 0 {
        // A small fraction: "0.", −n zeros, the digits.
        out.extend_from_slice(b"0.");
        zeros(-n, out);
        out.extend_from_slice(digits);
    } else {
        // Exponential: d1[.d2..dk]e±(n−1).
        let (first, rest) = digits.split_at(digits.len().min(1));
        out.extend_from_slice(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.push(b'e');
        out.push(if n > 0 { b'+' } else { b'-' });
        let e = (n - 1).unsigned_abs();
        let mut started = false;
        for divisor in [100, 10, 1] {
            let d = (e / divisor) % 10;
            started |= d != 0 || divisor == 1;
            if started {
                out.push(b'0' + u8::try_from(d).unwrap_or(0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn es6(v: f64) -> String {
        let mut out = Vec::new();
        format_number(Number::from_f64(v).unwrap(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn layout_follows_ecma262() {
        for (v, s) in [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (100.0, "100"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123e18, "123000000000000000000"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.1, "0.1"),
            (-65.61361699999998, "-65.61361699999998"),
            (4.5, "4.5"),
            (2e-3, "0.002"),
            (9007199254740992.0, "9007199254740992"),
            (333333333.3333333, "333333333.3333333"),
        ] {
            assert_eq!(es6(v), s, "{v:e}");
        }
    }

    /// ryu-js is the oracle: random bit patterns across the whole double range must agree.
    #[test]
    fn agrees_with_ryu_js_on_random_doubles() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut checked = 0;
        while checked < 200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = f64::from_bits(state);
            if !v.is_finite() {
                continue;
            }
            let mut oracle = ryu_js::Buffer::new();
            let want = if v == 0.0 {
                "0"
            } else {
                oracle.format_finite(v)
            };
            assert_eq!(es6(v), want, "bits {state:#x}");
            checked += 1;
        }
    }
}
