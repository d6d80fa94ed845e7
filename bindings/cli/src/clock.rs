//! The host's clock, read only here: the core takes times as inputs.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current UTC time in the spec's timestamp form, `YYYY-MM-DDTHH:MM:SSZ` (bundle-v0.md §1.2).
pub fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_utc(i64::try_from(secs).unwrap_or(0))
}

/// Formats seconds since the Unix epoch as a timestamp (the core's civil-from-days; instants
/// outside years 0000–9999, which no clock reads, print as the epoch).
pub fn format_utc(unix: i64) -> String {
    clyra_core::time::Timestamp::from_unix_seconds(unix).map_or_else(
        || "1970-01-01T00:00:00Z".to_owned(),
        |t| t.as_str().to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::format_utc;

    #[test]
    fn known_instants() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_795_165_275), "2026-11-20T09:01:15Z");
        assert_eq!(format_utc(4_107_542_399), "2100-02-28T23:59:59Z");
        assert!(clyra_core::time::Timestamp::parse(&super::now_utc()).is_ok());
    }
}
