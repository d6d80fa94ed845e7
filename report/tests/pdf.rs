//! The PDF renderer: deterministic bytes, PDF/A metadata, pagination, unprintable characters,
//! bad dates as typed errors, and the Markdown rendering of the same document.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use clyra_core::Coded;
use clyra_report::daily::to_markdown;
use clyra_report::pdf::render;
use clyra_report::Document;

fn sample(rows: usize) -> Document {
    let mut doc = Document::new("Sample report", "2026-11-20T09:00:47Z", "sha256:00");
    doc.subtitle = "bundle b-1 · def/v0".to_owned();
    doc.heading("Who")
        .key_values(vec![("Author".into(), "maria.chen@acme.example".into())])
        .paragraph("A paragraph long enough to wrap. ".repeat(12))
        .code(format!(
            "clyra verify b.zip --trust t.json\nsha256:{}",
            "ab".repeat(32)
        ));
    let table_rows = (0..rows)
        .map(|i| vec![i.to_string(), format!("model.shop.m{i}"), "VALID".into()])
        .collect();
    doc.table(
        vec!["#".into(), "subject".into(), "status".into()],
        table_rows,
    );
    doc
}

#[test]
fn the_same_document_gives_the_same_bytes() {
    let a = render(&sample(5)).unwrap();
    let b = render(&sample(5)).unwrap();
    assert_eq!(a, b);
    assert!(a.starts_with(b"%PDF-"));
    let mut other = sample(5);
    other.id = "sha256:01".into();
    assert_ne!(render(&other).unwrap(), a, "the document id is in the file");
}

#[test]
fn output_is_pdf_a_2u_with_the_documents_date_and_no_clock() {
    let pdf = render(&sample(1)).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("<pdfaid:part>2</pdfaid:part>"), "PDF/A part");
    assert!(
        text.contains("<pdfaid:conformance>U</pdfaid:conformance>"),
        "level u"
    );
    assert!(
        text.contains("2026-11-20T09:00:47"),
        "the date comes from the document"
    );
    assert!(text.contains("DejaVu"), "embedded DejaVu subset");
}

#[test]
fn long_tables_continue_on_new_pages() {
    let one = render(&sample(3)).unwrap();
    let many = render(&sample(400)).unwrap();
    assert!(many.len() > one.len());
    let count = |pdf: &[u8]| {
        let text = String::from_utf8_lossy(pdf).into_owned();
        text.matches("/Type/Page").count() - text.matches("/Type/Pages").count()
    };
    assert_eq!(count(&one), 1);
    assert!(count(&many) >= 5, "{} pages", count(&many));
}

#[test]
fn characters_no_font_has_still_render() {
    let mut doc = sample(1);
    doc.paragraph("control \u{1b}[31m, private \u{E000}, CJK 漢字, emoji 🙂, RTL \u{202E}abc");
    assert!(render(&doc).is_ok());
}

#[test]
fn a_date_that_is_not_utc_is_report_input() {
    let mut doc = sample(1);
    doc.date = "2026-11-20".into();
    let err = render(&doc).unwrap_err();
    assert_eq!(err.code(), "report.input");
}

#[test]
fn markdown_has_the_same_content() {
    let md = to_markdown(&sample(2));
    assert!(md.starts_with("# Sample report\n\n_bundle b-1 · def/v0_\n"));
    assert!(md.contains("## Who\n"));
    assert!(md.contains("- **Author**: maria.chen@acme.example\n"));
    assert!(md.contains("| # | subject | status |\n|---|---|---|\n| 0 | model.shop.m0 | VALID |\n"));
    assert!(md.contains("```\nclyra verify b.zip"));
}
