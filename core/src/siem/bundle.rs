//! SIEM events for sealed bundles (reports: `clyra report daily-review --siem`).
