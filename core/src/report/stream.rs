//! The daily review's outputs written one bundle row at a time (daily-review-v0.md §5.3), so a
//! host keeps the rows out of memory (in a spool file) and holds only the aggregates: the review
//! JSON, the showback CSV and JSON, and SIEM NDJSON, each byte for byte what the in-memory
//! functions ([`DailyReview::to_json`], [`showback::to_csv`], [`showback::to_json`],
//! [`crate::siem::bundle::to_ndjson`]) write for the same rows.

use std::io::{self, Write};

use serde_json::Value;

use super::daily::{BundleFacts, DailyReview};
use super::showback::{self, ShowbackLine};

/// Writes the canonical JSON of `review` with `rows` appended to its `bundles` (in ledger order,
/// after any `review.bundles`), one row in memory at a time. The first error of `rows` or `out`
/// stops the writing and is returned.
pub fn write_review_json<W: Write + ?Sized>(
    review: &DailyReview,
    rows: impl IntoIterator<Item = io::Result<BundleFacts>>,
    out: &mut W,
) -> io::Result<()> {
    // The review's other members, canonical, in canonical key order; `bundles` is spliced in.
    let head: Value = serde_json::from_slice(&super::canonical(review))?;
    let Value::Object(members) = head else {
        return Err(io::Error::other("the review is not a JSON object"));
    };
    let mut keys: Vec<&String> = members.keys().collect();
    // RFC 8785 §3.2.3: member names sorted by UTF-16 code units.
    keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    out.write_all(b"{")?;
    let mut rows = rows.into_iter();
    for (n, key) in keys.into_iter().enumerate() {
        if n > 0 {
            out.write_all(b",")?;
        }
        out.write_all(&super::canonical(key))?;
        out.write_all(b":")?;
        if key == "bundles" {
            out.write_all(b"[")?;
            let mut first = true;
            let given = review.bundles.iter().cloned().map(Ok);
            for row in given.chain(&mut rows) {
                if !first {
                    out.write_all(b",")?;
                }
                first = false;
                out.write_all(&super::canonical(&row?))?;
            }
            out.write_all(b"]")?;
        } else if let Some(value) = members.get(key) {
            out.write_all(&super::canonical(value))?;
        }
    }
    out.write_all(b"}")
}

/// Writes the showback CSV of `lines` ([`showback::to_csv`]), one line in memory at a time.
pub fn write_showback_csv<W: Write + ?Sized>(
    lines: impl IntoIterator<Item = io::Result<ShowbackLine>>,
    out: &mut W,
) -> io::Result<()> {
    out.write_all(showback::to_csv(&[]).as_bytes())?;
    for line in lines {
        out.write_all(showback::csv_row(&line?).as_bytes())?;
    }
    Ok(())
}

/// Writes the showback JSON of `lines` ([`showback::to_json`]), one line in memory at a time.
pub fn write_showback_json<W: Write + ?Sized>(
    lines: impl IntoIterator<Item = io::Result<ShowbackLine>>,
    out: &mut W,
) -> io::Result<()> {
    // `{"columns":[…],"lines":[…]}`: "columns" sorts before "lines".
    out.write_all(b"{\"columns\":")?;
    out.write_all(&super::canonical(&showback::COLUMNS))?;
    out.write_all(b",\"lines\":[")?;
    for (n, line) in lines.into_iter().enumerate() {
        if n > 0 {
            out.write_all(b",")?;
        }
        out.write_all(&super::canonical(&line?))?;
    }
    out.write_all(b"]}")
}

/// Writes one SIEM event per row ([`crate::siem::bundle::to_ndjson`]), one row in memory at a
/// time.
pub fn write_siem_ndjson<W: Write + ?Sized>(
    rows: impl IntoIterator<Item = io::Result<BundleFacts>>,
    event: fn(&BundleFacts) -> Value,
    out: &mut W,
) -> io::Result<()> {
    for row in rows {
        out.write_all(&super::canonical(&event(&row?)))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
