//! Timestamps of evidence and trust files, checked and compared without any clock.
//!
//! spec: bundle-v0.md §1.2 — a timestamp matches
//! `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$` and is a valid time of the proleptic
//! Gregorian calendar (no leap second). For this form string order is time order; seconds since
//! the Unix epoch are computed by civil-from-days arithmetic, never from the system clock.

use std::cmp::Ordering;
use std::fmt;

/// A valid RFC 3339 UTC timestamp in whole seconds, e.g. `2026-11-20T09:01:15Z`.
///
/// Ordered by time, which for this form is the byte order of the text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    // INVARIANT: `text` matches the pattern and is a valid time; `unix` is its offset in seconds
    // from 1970-01-01T00:00:00Z.
    text: String,
    unix: i64,
}

impl Timestamp {
    /// Parses a timestamp: the pattern first, then the calendar (bundle-v0.md §1.2).
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let fields = pattern_fields(text.as_bytes()).ok_or(TimestampError::Pattern)?;
        let [year, month, day, hour, minute, second] = fields;
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(TimestampError::InvalidTime);
        }
        let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
        let unix =
            days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second);
        Ok(Self {
            text: text.to_owned(),
            unix,
        })
    }

    /// The timestamp as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Seconds since 1970-01-01T00:00:00Z (negative before it).
    pub fn unix_seconds(&self) -> i64 {
        self.unix
    }

    /// The timestamp `seconds` after 1970-01-01T00:00:00Z, for years 0000–9999 (else `None`).
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        let days = seconds.div_euclid(86_400);
        let rest = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return None;
        }
        let text = format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            rest / 3_600,
            rest % 3_600 / 60,
            rest % 60
        );
        Some(Self {
            text,
            unix: seconds,
        })
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.unix.cmp(&other.unix)
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// Why a string is not a timestamp. Each format maps these to its own code (`manifest.schema`
/// and `manifest.time`, `journal.schema`, `trust.file`, …), so this type has no code of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The text does not match `YYYY-MM-DDTHH:MM:SSZ`.
    #[error("not a timestamp of the form `YYYY-MM-DDTHH:MM:SSZ`")]
    Pattern,
    /// The text matches the pattern but names no valid time (month 13, 30 February, second 60…).
    #[error("not a valid time")]
    InvalidTime,
}

/// Year, month, day, hour, minute, second when `bytes` match the pattern exactly.
fn pattern_fields(bytes: &[u8]) -> Option<[u32; 6]> {
    let &[y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b'T', h0, h1, b':', mi0, mi1, b':', s0, s1, b'Z'] =
        bytes
    else {
        return None;
    };
    let digit = |b: u8| b.is_ascii_digit().then(|| u32::from(b - b'0'));
    let two = |a: u8, b: u8| Some(digit(a)? * 10 + digit(b)?);
    let year = two(y0, y1)? * 100 + two(y2, y3)?;
    Some([
        year,
        two(mo0, mo1)?,
        two(d0, d1)?,
        two(h0, h1)?,
        two(mi0, mi1)?,
        two(s0, s1)?,
    ])
}

fn is_leap(year: u32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_unix_seconds_round_trips() {
        for text in [
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2000-02-29T12:34:56Z",
            "2026-11-20T09:01:15Z",
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
        ] {
            let t = ts(text);
            assert_eq!(Timestamp::from_unix_seconds(t.unix_seconds()).unwrap(), t);
            assert_eq!(
                Timestamp::from_unix_seconds(t.unix_seconds())
                    .unwrap()
                    .as_str(),
                text
            );
        }
        assert!(Timestamp::from_unix_seconds(253_402_300_800).is_none());
        assert!(Timestamp::from_unix_seconds(-62_167_219_201).is_none());
    }

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn seconds_since_epoch_without_a_clock() {
        assert_eq!(ts("1970-01-01T00:00:00Z").unix_seconds(), 0);
        assert_eq!(ts("1969-12-31T23:59:59Z").unix_seconds(), -1);
        assert_eq!(ts("2000-03-01T00:00:00Z").unix_seconds(), 951_868_800);
        assert_eq!(ts("2026-11-20T09:01:15Z").unix_seconds(), 1_795_165_275);
        assert_eq!(ts("9999-12-31T23:59:59Z").unix_seconds(), 253_402_300_799);
        assert_eq!(ts("0000-01-01T00:00:00Z").unix_seconds(), -62_167_219_200);
    }

    #[test]
    fn calendar_rules() {
        for ok in [
            "2024-02-29T00:00:00Z",
            "2000-02-29T23:59:59Z",
            "0000-02-29T00:00:00Z",
            "2026-04-30T12:00:00Z",
            "2026-12-31T23:59:59Z",
        ] {
            assert!(Timestamp::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2016-12-31T23:59:60Z",
        ] {
            assert_eq!(
                Timestamp::parse(bad),
                Err(TimestampError::InvalidTime),
                "{bad}"
            );
        }
        for bad in [
            "",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00.0Z",
            "2026-01-01T00:00:00+00:00",
            "+026-01-01T00:00:00Z",
            "２026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z\n",
        ] {
            assert_eq!(
                Timestamp::parse(bad),
                Err(TimestampError::Pattern),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn order_is_string_order() {
        let samples = [
            "0000-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2026-11-20T09:00:00Z",
            "2026-11-20T09:00:41Z",
            "2026-11-21T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ];
        for a in samples {
            for b in samples {
                assert_eq!(ts(a).cmp(&ts(b)), a.cmp(b), "{a} vs {b}");
            }
        }
    }
}
