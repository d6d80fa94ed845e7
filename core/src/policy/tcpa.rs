//! TCPA calling window (47 CFR 64.1200(c)(1)): no call before 08:00 or after 21:00 in the
//! callee's local time (policy-v1.md §6.3). Pure: the call time is an input, and the tz database
//! is the one bundled with `jiff` (IANA tzdb), never the host's.

use jiff::tz::TimeZoneDatabase;

use super::error::{PolicyError, PolicyErrorKind};
use crate::time::Timestamp;

/// A local wall-clock time, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalTime {
    seconds: u32,
}

impl LocalTime {
    /// `HH:MM` (or `HH:MM:SS`) as written in a policy; `None` when malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(':');
        let mut next = |max: u32| -> Option<u32> {
            let p = parts.next()?;
            if p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok().filter(|v| *v <= max)
        };
        let h = next(24)?;
        let m = next(59)?;
        let s = match parts.next() {
            None => 0,
            Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().ok().filter(|v: &u32| *v <= 59)?
            }
            Some(_) => return None,
        };
        if parts.next().is_some() {
            return None;
        }
        let seconds = h * 3600 + m * 60 + s;
        (seconds <= 24 * 3600).then_some(Self { seconds })
    }

    /// Hours, minutes and seconds since midnight.
    pub const fn from_hms(h: u32, m: u32, s: u32) -> Self {
        Self {
            seconds: h * 3600 + m * 60 + s,
        }
    }
}

impl std::fmt::Display for LocalTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}",
            self.seconds / 3600,
            self.seconds / 60 % 60
        )
    }
}

/// A daily window `[start, end]` in local time, both ends allowed (a call at 21:00:00 is not
/// "after 9 p.m.").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First allowed moment.
    pub start: LocalTime,
    /// Last allowed moment.
    pub end: LocalTime,
}

impl Window {
    /// The TCPA default, 08:00–21:00.
    pub const TCPA: Window = Window {
        start: LocalTime::from_hms(8, 0, 0),
        end: LocalTime::from_hms(21, 0, 0),
    };

    /// Whether `t` falls inside the window.
    pub fn contains(&self, t: LocalTime) -> bool {
        self.start <= t && t <= self.end
    }
}

/// The local time of the UTC instant `at` (RFC 3339 with `Z`) in the IANA zone `tz`.
pub fn local_time(at: &str, tz: &str) -> Result<LocalTime, PolicyError> {
    let parsed = Timestamp::parse(at).map_err(|e| {
        PolicyError::new(
            PolicyErrorKind::FactType,
            format!("`call.at` `{at}` is not a UTC timestamp: {e}"),
        )
        .with_pointer("/call/at")
    })?;
    let zone = TimeZoneDatabase::bundled().get(tz).map_err(|_| {
        PolicyError::new(
            PolicyErrorKind::TimeZone,
            format!("unknown time zone `{tz}` (use an IANA name such as `America/New_York`)"),
        )
        .with_pointer("/call/callee_tz")
    })?;
    let instant = jiff::Timestamp::from_second(parsed.unix_seconds()).map_err(|_| {
        PolicyError::new(
            PolicyErrorKind::FactType,
            format!("`call.at` `{at}` is out of range"),
        )
    })?;
    let civil = instant.to_zoned(zone).datetime();
    let (h, m, s) = (civil.hour(), civil.minute(), civil.second());
    Ok(LocalTime::from_hms(
        u32::try_from(h).unwrap_or(0),
        u32::try_from(m).unwrap_or(0),
        u32::try_from(s).unwrap_or(0),
    ))
}

/// Whether a call starting at `at` to a callee in `tz` is inside `window` (pure; `now` is `at`).
pub fn within_window(at: &str, tz: &str, window: &Window) -> Result<bool, PolicyError> {
    Ok(window.contains(local_time(at, tz)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_follows_the_callee_zone_and_dst() {
        // 2026-07-01 13:30Z is 08:30 in Chicago (CDT, UTC−5), 06:30 in Los Angeles (PDT).
        assert_eq!(
            local_time("2026-07-01T13:30:00Z", "America/Chicago")
                .unwrap()
                .to_string(),
            "08:30"
        );
        assert_eq!(
            local_time("2026-07-01T13:30:00Z", "America/Los_Angeles")
                .unwrap()
                .to_string(),
            "06:30"
        );
        // In January Chicago is UTC−6.
        assert_eq!(
            local_time("2026-01-15T13:30:00Z", "America/Chicago")
                .unwrap()
                .to_string(),
            "07:30"
        );
        // A half-hour zone.
        assert_eq!(
            local_time("2026-01-15T00:00:00Z", "Asia/Kolkata")
                .unwrap()
                .to_string(),
            "05:30"
        );
    }

    #[test]
    fn window_bounds_are_inclusive() {
        let w = Window::TCPA;
        // 21:00:00 local (Eastern, EDT = UTC−4) is allowed; 21:00:01 is not.
        assert!(within_window("2026-07-02T01:00:00Z", "America/New_York", &w).unwrap());
        assert!(!within_window("2026-07-02T01:00:01Z", "America/New_York", &w).unwrap());
        assert!(within_window("2026-07-01T12:00:00Z", "America/New_York", &w).unwrap());
        assert!(!within_window("2026-07-01T11:59:59Z", "America/New_York", &w).unwrap());
    }

    #[test]
    fn unknown_zone_and_bad_time_are_typed_errors() {
        let e = local_time("2026-07-01T13:30:00Z", "Mars/Olympus").unwrap_err();
        assert_eq!(e.kind(), PolicyErrorKind::TimeZone);
        let e = local_time("2026-07-01 13:30", "UTC").unwrap_err();
        assert_eq!(e.kind(), PolicyErrorKind::FactType);
    }

    #[test]
    fn parse_local_times() {
        assert_eq!(
            LocalTime::parse("08:00"),
            Some(LocalTime::from_hms(8, 0, 0))
        );
        assert_eq!(
            LocalTime::parse("21:00:30"),
            Some(LocalTime::from_hms(21, 0, 30))
        );
        assert_eq!(
            LocalTime::parse("24:00"),
            Some(LocalTime::from_hms(24, 0, 0))
        );
        for bad in ["8:00", "24:01", "12:60", "ab:cd", "12:00:00:00", ""] {
            assert_eq!(LocalTime::parse(bad), None, "{bad}");
        }
    }
}
