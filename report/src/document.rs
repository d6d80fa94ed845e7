//! The generic document every Clyra PDF is made from: a title, a date, then headings, key/value
//! blocks, tables, paragraphs and code lines. Adapters (auditor one-pager, receipt sheet, daily
//! review, later the attestation) build one; [`crate::pdf::render`] lays it out. Keeping the model
//! this small keeps every PDF kind one renderer, and lets tests check the content without a PDF.

/// A document to render: what it says, never how it is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The title, first on the first page and in the PDF metadata.
    pub title: String,
    /// A line under the title (e.g. the bundle id), empty for none.
    pub subtitle: String,
    /// The document's date, RFC 3339 UTC (`2026-12-01T10:00:00Z`), taken from the evidence and
    /// never from the clock, so the same input gives the same bytes. PDF/A requires a date.
    pub date: String,
    /// A stable identifier of the input (e.g. the digest of the JSON it was made from): the PDF's
    /// document id, instead of a random one.
    pub id: String,
    /// The content, top to bottom.
    pub blocks: Vec<Block>,
}

/// One block of content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// Running text, wrapped at word boundaries.
    Paragraph(String),
    /// Label/value pairs, labels in bold in a left column.
    KeyValues(Vec<(String, String)>),
    /// A table: header cells, then rows of the same width (shorter rows are padded).
    Table {
        /// The header cells.
        columns: Vec<String>,
        /// The rows.
        rows: Vec<Vec<String>>,
    },
    /// Monospaced lines (commands, digests, trees), wrapped only where too long.
    Code(String),
}

impl Document {
    /// An empty document titled `title`, dated `date`, identified by `id`.
    pub fn new(title: impl Into<String>, date: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            subtitle: String::new(),
            date: date.into(),
            id: id.into(),
            blocks: Vec::new(),
        }
    }

    /// Appends a heading.
    pub fn heading(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading(text.into()));
        self
    }

    /// Appends a paragraph.
    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    /// Appends a key/value block.
    pub fn key_values(&mut self, pairs: Vec<(String, String)>) -> &mut Self {
        self.blocks.push(Block::KeyValues(pairs));
        self
    }

    /// Appends a table.
    pub fn table(&mut self, columns: Vec<String>, rows: Vec<Vec<String>>) -> &mut Self {
        self.blocks.push(Block::Table { columns, rows });
        self
    }

    /// Appends monospaced lines.
    pub fn code(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Code(text.into()));
        self
    }

    /// The document as plain text, in reading order (what `pdftotext` should find, modulo
    /// wrapping): used by tests and as a text fallback.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        if !self.subtitle.is_empty() {
            out.push_str(&format!("{}\n", self.subtitle));
        }
        for block in &self.blocks {
            match block {
                Block::Heading(t) | Block::Paragraph(t) | Block::Code(t) => {
                    out.push_str(t);
                    out.push('\n');
                }
                Block::KeyValues(pairs) => {
                    for (k, v) in pairs {
                        out.push_str(&format!("{k}: {v}\n"));
                    }
                }
                Block::Table { columns, rows } => {
                    out.push_str(&columns.join(" | "));
                    out.push('\n');
                    for row in rows {
                        out.push_str(&row.join(" | "));
                        out.push('\n');
                    }
                }
            }
        }
        out
    }
}

/// Strings typed `&str` to `(String, String)` pairs, for [`Document::key_values`].
pub fn pairs<const N: usize>(items: [(&str, String); N]) -> Vec<(String, String)> {
    items.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
