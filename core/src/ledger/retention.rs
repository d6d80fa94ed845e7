//! Object Lock retention of an object-storage ledger (ledger-v0.md §8.3): where the period comes
//! from (command line, the policy's `compliance.retention`, the project config's `retain_days`)
//! and the retain-until date it gives. Pure: the caller passes the time.

use jiff::civil::DateTime;
use jiff::{Span, Timestamp as JTimestamp};

use super::{LedgerError, LedgerErrorKind as K};
use crate::policy::model::PolicyDoc;
use crate::time::Timestamp;

/// The largest period accepted, in days (and 100 years in `PnYnMnD` form): a bound so the
/// retain-until date stays a valid date.
pub const MAX_DAYS: u32 = 36_600;

/// A retention period: calendar years, months and days (ISO 8601 `PnYnMnD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Years.
    pub years: u32,
    /// Months.
    pub months: u32,
    /// Days.
    pub days: u32,
}

impl Period {
    /// `days` days.
    pub const fn days(days: u32) -> Self {
        Self {
            years: 0,
            months: 0,
            days,
        }
    }

    /// Parses an ISO 8601 `PnYnMnD` period (each part optional, at least one, in that order;
    /// no time part, no weeks). `ledger.storage_lock` when malformed, empty or over 100 years.
    pub fn parse(text: &str) -> Result<Self, LedgerError> {
        let bad = || {
            LedgerError::new(
                K::StorageLock,
                format!("retention period `{text}` is not an ISO 8601 PnYnMnD period (e.g. P7Y, P6M, P30D)"),
            )
        };
        let mut rest = text.strip_prefix('P').ok_or_else(bad)?;
        let mut parts = [None::<u32>; 3];
        for (slot, unit) in parts.iter_mut().zip(['Y', 'M', 'D']) {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || rest.as_bytes().get(digits) != Some(&(unit as u8)) {
                continue;
            }
            let (num, tail) = rest.split_at(digits);
            if digits > 6 {
                return Err(bad());
            }
            *slot = Some(num.parse().map_err(|_| bad())?);
            rest = tail.get(1..).unwrap_or_default();
        }
        if !rest.is_empty() || parts.iter().all(Option::is_none) {
            return Err(bad());
        }
        let [years, months, days] = parts.map(Option::unwrap_or_default);
        let period = Self {
            years,
            months,
            days,
        };
        let approx = u64::from(years) * 366 + u64::from(months) * 31 + u64::from(days);
        if approx == 0 || approx > u64::from(MAX_DAYS) + 100 {
            return Err(LedgerError::new(
                K::StorageLock,
                format!("retention period `{text}` must be more than zero and at most 100 years"),
            ));
        }
        Ok(period)
    }

    /// `now` plus this period: calendar years and months first (the day clamped to the month's
    /// end), then days, in UTC; the RFC 3339 date-time (seconds, `Z`) Object Lock expects.
    pub fn retain_until(&self, now: &Timestamp) -> Result<String, LedgerError> {
        let out_of_range = || LedgerError::new(K::StorageLock, "retention date out of range");
        let start = JTimestamp::from_second(now.unix_seconds())
            .map_err(|_| out_of_range())?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .datetime();
        let months = Span::new()
            .try_years(i64::from(self.years))
            .and_then(|s| s.try_months(i64::from(self.months)))
            .map_err(|_| out_of_range())?;
        let days = Span::new()
            .try_days(i64::from(self.days))
            .map_err(|_| out_of_range())?;
        let end: DateTime = start
            .checked_add(months)
            .and_then(|d| d.checked_add(days))
            .map_err(|_| out_of_range())?;
        let ts = end
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|_| out_of_range())?
            .timestamp();
        Ok(ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    }
}

/// The Object Lock settings of an object-storage write, with where the period came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// The period.
    pub period: Period,
    /// Also set a legal hold.
    pub legal_hold: bool,
    /// Where the period came from, for messages: `--retain-days`, `policy`, `config`.
    pub source: &'static str,
}

/// The retention sources of ledger-v0.md §8.3.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sources<'a> {
    /// `--retain-days N`.
    pub retain_days: Option<u32>,
    /// `--legal-hold`.
    pub legal_hold: bool,
    /// The policy in force, when one was given.
    pub policy: Option<&'a PolicyDoc>,
    /// `retain_days` of the ledger entry of `.clyra/config.json`.
    pub config_retain_days: Option<u32>,
}

/// The retention an append uses (ledger-v0.md §8.3): the period from `--retain-days`, else the
/// policy's `compliance.retention.period`, else the config's `retain_days`; legal hold when asked
/// on the command line or by the policy. `Ok(None)` when no source gives a period.
pub fn resolve(sources: &Sources<'_>) -> Result<Option<Retention>, LedgerError> {
    let policy = sources
        .policy
        .and_then(|p| p.compliance.as_ref())
        .and_then(|c| c.retention.as_ref());
    let legal_hold = sources.legal_hold || policy.and_then(|r| r.legal_hold).unwrap_or(false);
    let checked = |days: u32, what: &str| {
        if days == 0 || days > MAX_DAYS {
            Err(LedgerError::new(
                K::StorageLock,
                format!("{what} must be 1 to {MAX_DAYS} days"),
            ))
        } else {
            Ok(Period::days(days))
        }
    };
    let (period, source) = if let Some(days) = sources.retain_days {
        (checked(days, "--retain-days")?, "--retain-days")
    } else if let Some(r) = policy {
        (Period::parse(&r.period)?, "policy")
    } else if let Some(days) = sources.config_retain_days {
        (checked(days, "retain_days")?, "config")
    } else {
        return Ok(None);
    };
    Ok(Some(Retention {
        period,
        legal_hold,
        source,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(t: &str) -> Timestamp {
        Timestamp::parse(t).unwrap()
    }

    #[test]
    fn periods_parse_and_refuse() {
        assert_eq!(
            Period::parse("P7Y").unwrap(),
            Period {
                years: 7,
                months: 0,
                days: 0
            }
        );
        assert_eq!(
            Period::parse("P1Y2M3D").unwrap(),
            Period {
                years: 1,
                months: 2,
                days: 3
            }
        );
        assert_eq!(Period::parse("P30D").unwrap(), Period::days(30));
        for bad in [
            "",
            "P",
            "7Y",
            "P1W",
            "PT1H",
            "P1D1Y",
            "P0D",
            "P101Y",
            "P1Y ",
            "P-1Y",
            "P9999999D",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retain_until_adds_calendar_units_and_clamps() {
        let p = |s: &str| Period::parse(s).unwrap();
        assert_eq!(
            p("P7Y").retain_until(&at("2026-12-04T10:00:00Z")).unwrap(),
            "2033-12-04T10:00:00Z"
        );
        assert_eq!(
            p("P1M").retain_until(&at("2026-01-31T00:00:00Z")).unwrap(),
            "2026-02-28T00:00:00Z"
        );
        assert_eq!(
            p("P1Y").retain_until(&at("2028-02-29T12:00:00Z")).unwrap(),
            "2029-02-28T12:00:00Z"
        );
        assert_eq!(
            p("P1M1D")
                .retain_until(&at("2026-01-31T00:00:00Z"))
                .unwrap(),
            "2026-03-01T00:00:00Z"
        );
        assert_eq!(
            Period::days(30)
                .retain_until(&at("2026-12-04T10:00:00Z"))
                .unwrap(),
            "2027-01-03T10:00:00Z"
        );
    }

    #[test]
    fn resolve_takes_the_flag_then_the_policy_then_the_config() {
        let doc = crate::policy::Policy::load(
            b"version: 1\ncompliance:\n  retention: {period: P7Y, legal_hold: true}\n",
            "p",
            &crate::Limits::default(),
        )
        .unwrap();
        let policy = Some(doc.doc());
        let r = |s: Sources<'_>| resolve(&s).unwrap();
        assert_eq!(r(Sources::default()), None);
        let got = r(Sources {
            config_retain_days: Some(5),
            ..Sources::default()
        })
        .unwrap();
        assert_eq!(
            (got.period, got.legal_hold, got.source),
            (Period::days(5), false, "config")
        );
        let got = r(Sources {
            policy,
            config_retain_days: Some(5),
            ..Sources::default()
        })
        .unwrap();
        assert_eq!(
            (got.period, got.legal_hold, got.source),
            (Period::parse("P7Y").unwrap(), true, "policy")
        );
        let got = r(Sources {
            retain_days: Some(2),
            policy,
            ..Sources::default()
        })
        .unwrap();
        assert_eq!((got.period, got.legal_hold), (Period::days(2), true));
        assert!(resolve(&Sources {
            config_retain_days: Some(0),
            ..Sources::default()
        })
        .is_err());
    }
}
