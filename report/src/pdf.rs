//! The PDF renderer: lays out a [`Document`] on A4 pages and writes PDF/A-2u with krilla
//! (docs/decisions/0007-pdf-library.md). Fonts are the DejaVu faces shipped in `fonts/`, embedded
//! (subset) in every file; nothing is read from the system. The output is a pure function of the
//! document: no clock, no random ids (the document id and date come from the input).

use std::collections::HashMap;

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use krilla::{Document as PdfDocument, SerializeSettings};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use crate::document::{Block, Document};
use crate::error::ReportError;

const SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const SANS_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
const MONO: &[u8] = include_bytes!("../fonts/DejaVuSansMono.ttf");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 40.0;
const BOTTOM: f32 = PAGE_H - 48.0;
const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
const CELL_PAD: f32 = 4.0;

/// A typeface of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Face {
    Regular,
    Bold,
    Mono,
}

/// Glyph advances of the three faces, for line breaking and character replacement.
struct Metrics {
    faces: HashMap<Face, FaceMetrics>,
}

struct FaceMetrics {
    font: FontRef<'static>,
    units_per_em: f32,
    widths: HashMap<char, Option<f32>>,
}

impl FaceMetrics {
    fn new(data: &'static [u8]) -> Result<Self, ReportError> {
        let font =
            FontRef::new(data).map_err(|_| ReportError::pdf("a shipped font does not load"))?;
        let units_per_em = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        Ok(Self {
            font,
            units_per_em,
            widths: HashMap::new(),
        })
    }

    /// The advance of `c` in em, `None` when the face has no glyph for it.
    fn advance(&mut self, c: char) -> Option<f32> {
        if let Some(w) = self.widths.get(&c) {
            return *w;
        }
        let gid = self.font.charmap().map(c);
        let width = gid.and_then(|gid| {
            self.font
                .glyph_metrics(Size::unscaled(), LocationRef::default())
                .advance_width(gid)
                .map(|w| w / self.units_per_em)
        });
        self.widths.insert(c, width);
        width
    }
}

impl Metrics {
    fn new() -> Result<Self, ReportError> {
        let mut faces = HashMap::new();
        faces.insert(Face::Regular, FaceMetrics::new(SANS)?);
        faces.insert(Face::Bold, FaceMetrics::new(SANS_BOLD)?);
        faces.insert(Face::Mono, FaceMetrics::new(MONO)?);
        Ok(Self { faces })
    }

    /// `text` with every character the face cannot draw (controls, private use, unmapped)
    /// replaced by `?`: PDF/A forbids .notdef glyphs and private-use code points. The PDF is a
    /// rendering; the JSON it was made from (its digest is printed) holds the exact strings.
    fn printable(&mut self, face: Face, text: &str) -> String {
        let Some(m) = self.faces.get_mut(&face) else {
            return String::new();
        };
        text.chars()
            .map(|c| {
                let private = ('\u{E000}'..='\u{F8FF}').contains(&c) || c > '\u{EFFFF}';
                if c.is_control() || private || m.advance(c).is_none() {
                    '?'
                } else {
                    c
                }
            })
            .collect()
    }

    /// The width of `text` (already printable) at `size` points.
    fn width(&mut self, face: Face, size: f32, text: &str) -> f32 {
        let Some(m) = self.faces.get_mut(&face) else {
            return 0.0;
        };
        text.chars()
            .map(|c| m.advance(c).unwrap_or(0.5))
            .sum::<f32>()
            * size
    }

    /// `text` broken into lines no wider than `width`: at spaces, and inside a word only when the
    /// word alone is too wide (digests, paths). Line breaks in `text` are kept.
    fn wrap(&mut self, face: Face, size: f32, text: &str, width: f32) -> Vec<String> {
        let text = text.replace('\t', "    ").replace("\r\n", "\n");
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let para = self.printable(face, para);
            let mut line = String::new();
            for word in para.split(' ') {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(face, size, &candidate) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // The word alone: break it by characters where too wide.
                for c in word.chars() {
                    let mut next = line.clone();
                    next.push(c);
                    if !line.is_empty() && self.width(face, size, &next) > width {
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    } else {
                        line = next;
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// One drawing operation on a page.
#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        gray: u8,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        shade: (u8, u8, u8),
    },
}

/// The pages being laid out and the current position (y grows downwards, krilla's convention).
struct Layout {
    metrics: Metrics,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Result<Self, ReportError> {
        Ok(Self {
            metrics: Metrics::new()?,
            pages: vec![Vec::new()],
            y: MARGIN,
        })
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        #[expect(clippy::indexing_slicing, reason = "pages is non-empty, checked above")]
        &mut self.pages[last]
    }

    /// Starts a new page when `height` does not fit below the current position.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > BOTTOM && self.y > MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
            return true;
        }
        false
    }

    fn text(&mut self, x: f32, face: Face, size: f32, gray: u8, text: String) {
        let y = self.y + size;
        self.ops().push(Op::Text {
            x,
            y,
            face,
            size,
            gray,
            text,
        });
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, shade: (u8, u8, u8)) {
        self.ops().push(Op::Rect { x, y, w, h, shade });
    }

    /// Wrapped lines of `text` at `x`, within `width`.
    fn lines(&mut self, x: f32, width: f32, face: Face, size: f32, gray: u8, text: &str) {
        let leading = size * 1.35;
        for line in self.metrics.wrap(face, size, text, width) {
            self.ensure(leading);
            self.text(x, face, size, gray, line);
            self.y += leading;
        }
    }

    fn title(&mut self, doc: &Document) {
        self.lines(MARGIN, WIDTH, Face::Bold, 16.0, 0, &doc.title);
        if !doc.subtitle.is_empty() {
            self.lines(MARGIN, WIDTH, Face::Regular, 9.5, 80, &doc.subtitle);
        }
        self.y += 4.0;
        self.rect(MARGIN, self.y, WIDTH, 1.2, (40, 70, 120));
        self.y += 8.0;
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading(text) => {
                self.y += 5.0;
                // Keep a heading with at least two lines of what follows.
                self.ensure(36.0);
                self.lines(MARGIN, WIDTH, Face::Bold, 11.0, 30, text);
                self.y += 1.0;
            }
            Block::Paragraph(text) => {
                self.lines(MARGIN, WIDTH, Face::Regular, 8.5, 0, text);
                self.y += 3.0;
            }
            Block::Code(text) => {
                let size = 7.5;
                let leading = size * 1.35;
                let lines = self.metrics.wrap(Face::Mono, size, text, WIDTH - 8.0);
                for line in lines {
                    self.ensure(leading);
                    let y = self.y;
                    self.rect(MARGIN, y, WIDTH, leading, (242, 242, 242));
                    self.y += 0.5;
                    self.text(MARGIN + 4.0, Face::Mono, size, 20, line);
                    self.y = y + leading;
                }
                self.y += 5.0;
            }
            Block::KeyValues(pairs) => self.key_values(pairs),
            Block::Table { columns, rows } => self.table(columns, rows),
        }
    }

    fn key_values(&mut self, pairs: &[(String, String)]) {
        let size = 8.0;
        let leading = size * 1.3;
        let labels = pairs
            .iter()
            .map(|(k, _)| {
                let k = self.metrics.printable(Face::Bold, k);
                self.metrics.width(Face::Bold, size, &k)
            })
            .fold(0.0_f32, f32::max);
        let label_w = (labels + 10.0).min(WIDTH * 0.35);
        for (key, value) in pairs {
            let keys = self.metrics.wrap(Face::Bold, size, key, label_w - 6.0);
            let values = self
                .metrics
                .wrap(Face::Regular, size, value, WIDTH - label_w);
            let n = keys.len().max(values.len());
            for i in 0..n {
                self.ensure(leading);
                if let Some(k) = keys.get(i) {
                    self.text(MARGIN, Face::Bold, size, 40, k.clone());
                }
                if let Some(v) = values.get(i) {
                    self.text(MARGIN + label_w, Face::Regular, size, 0, v.clone());
                }
                self.y += leading;
            }
            self.y += 1.0;
        }
        self.y += 3.0;
    }

    /// Column widths: each column its natural width when all fit; otherwise narrow columns keep
    /// theirs and the wide ones share what is left equally.
    fn column_widths(&mut self, columns: &[String], rows: &[Vec<String>], size: f32) -> Vec<f32> {
        let n = columns.len().max(1);
        let mut natural = vec![0.0_f32; n];
        for (i, w) in natural.iter_mut().enumerate() {
            let header = columns.get(i).map_or(String::new(), |c| c.clone());
            let header = self.metrics.printable(Face::Bold, &header);
            *w = self.metrics.width(Face::Bold, size, &header);
            for row in rows {
                let cell = row.get(i).map_or("", String::as_str);
                let cell = self.metrics.printable(Face::Regular, cell);
                *w = w.max(self.metrics.width(Face::Regular, size, &cell));
            }
            *w += 2.0 * CELL_PAD + 1.0;
        }
        let mut widths = vec![0.0_f32; n];
        let mut open: Vec<usize> = (0..n).collect();
        let mut left = WIDTH;
        loop {
            let share = left / open.len().max(1) as f32;
            let (fit, wide): (Vec<usize>, Vec<usize>) = open
                .iter()
                .partition(|&&i| natural.get(i).is_some_and(|w| *w <= share));
            if fit.is_empty() {
                for i in &wide {
                    if let Some(w) = widths.get_mut(*i) {
                        *w = share;
                    }
                }
                break;
            }
            for i in fit {
                let w = natural.get(i).copied().unwrap_or(share);
                if let Some(slot) = widths.get_mut(i) {
                    *slot = w;
                }
                left -= w;
            }
            open = wide;
            if open.is_empty() {
                break;
            }
        }
        widths
    }

    fn table(&mut self, columns: &[String], rows: &[Vec<String>]) {
        let size = 7.0;
        let leading = size * 1.25;
        let widths = self.column_widths(columns, rows, size);
        self.table_row(
            columns,
            &widths,
            Face::Bold,
            size,
            leading,
            Some((220, 228, 240)),
        );
        for (r, row) in rows.iter().enumerate() {
            let shade = (r % 2 == 1).then_some((246, 246, 246));
            let height = self.row_height(row, &widths, size, leading);
            if self.ensure(height) {
                self.table_row(
                    columns,
                    &widths,
                    Face::Bold,
                    size,
                    leading,
                    Some((220, 228, 240)),
                );
            }
            self.table_row(row, &widths, Face::Regular, size, leading, shade);
        }
        self.y += 6.0;
    }

    fn row_height(&mut self, row: &[String], widths: &[f32], size: f32, leading: f32) -> f32 {
        let lines = widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let cell = row.get(i).map_or("", String::as_str);
                self.metrics
                    .wrap(Face::Regular, size, cell, w - 2.0 * CELL_PAD)
                    .len()
            })
            .max()
            .unwrap_or(1);
        lines as f32 * leading + 3.0
    }

    fn table_row(
        &mut self,
        row: &[String],
        widths: &[f32],
        face: Face,
        size: f32,
        leading: f32,
        shade: Option<(u8, u8, u8)>,
    ) {
        let cells: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let cell = row.get(i).map_or("", String::as_str);
                self.metrics.wrap(face, size, cell, w - 2.0 * CELL_PAD)
            })
            .collect();
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
        let height = lines as f32 * leading + 3.0;
        self.ensure(height);
        let top = self.y;
        if let Some(shade) = shade {
            self.rect(MARGIN, top, WIDTH, height, shade);
        }
        let mut x = MARGIN;
        for (cell, w) in cells.into_iter().zip(widths) {
            self.y = top + 1.5;
            for line in cell {
                self.text(x + CELL_PAD, face, size, 0, line);
                self.y += leading;
            }
            x += w;
        }
        self.y = top + height;
    }
}

/// Renders `doc` as PDF/A-2u bytes. The same document always gives the same bytes.
pub fn render(doc: &Document) -> Result<Vec<u8>, ReportError> {
    let date = parse_date(&doc.date)?;
    let mut layout = Layout::new()?;
    layout.title(doc);
    for block in &doc.blocks {
        layout.block(block);
    }
    let title = layout.metrics.printable(Face::Regular, &doc.title);
    let total = layout.pages.len();
    let fonts = [
        (Face::Regular, load(SANS)?),
        (Face::Bold, load(SANS_BOLD)?),
        (Face::Mono, load(MONO)?),
    ];
    let font = |face: Face| {
        fonts
            .iter()
            .find(|(f, _)| *f == face)
            .map(|(_, font)| font.clone())
    };
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .finish()
        .map_err(|e| ReportError::pdf(format!("pdf configuration: {e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut pdf = PdfDocument::new_with(settings);
    let page_size =
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| ReportError::pdf("page size"))?;
    for (n, ops) in layout.pages.iter().enumerate() {
        let mut page = pdf.start_page_with(page_size.clone());
        let mut surface = page.surface();
        let footer = Op::Text {
            x: MARGIN,
            y: PAGE_H - 26.0,
            face: Face::Regular,
            size: 7.0,
            gray: 110,
            text: format!("{title}  ·  page {} of {total}", n + 1),
        };
        for op in ops.iter().chain(std::iter::once(&footer)) {
            match op {
                Op::Text {
                    x,
                    y,
                    face,
                    size,
                    gray,
                    text,
                } => {
                    if text.is_empty() {
                        continue;
                    }
                    let Some(font) = font(*face) else { continue };
                    surface.set_fill(Some(fill((*gray, *gray, *gray))));
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font,
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rect { x, y, w, h, shade } => {
                    let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                        continue;
                    };
                    let mut builder = PathBuilder::new();
                    builder.push_rect(rect);
                    if let Some(path) = builder.finish() {
                        surface.set_fill(Some(fill(*shade)));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    let metadata = Metadata::new()
        .title(doc.title.clone())
        .language("en".to_owned())
        .creator("Clyra".to_owned())
        .producer(format!("clyra-report {}", env!("CARGO_PKG_VERSION")))
        .creation_date(date)
        .document_id(doc.id.clone());
    pdf.set_metadata(metadata);
    pdf.finish()
        .map_err(|e| ReportError::pdf(format!("pdf export failed: {e:?}")))
}

fn fill(rgb: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(rgb.0, rgb.1, rgb.2).into(),
        opacity: NormalizedF32::ONE,
        rule: krilla::paint::FillRule::default(),
    }
}

fn load(data: &'static [u8]) -> Result<Font, ReportError> {
    Font::new(data.into(), 0).ok_or_else(|| ReportError::pdf("a shipped font does not load"))
}

/// `YYYY-MM-DDTHH:MM:SSZ` as a PDF date (UTC).
fn parse_date(text: &str) -> Result<DateTime, ReportError> {
    let bad = || ReportError::input(format!("`{text}` is not a UTC timestamp"));
    let b = text.as_bytes();
    let field = |from: usize, to: usize| -> Result<u16, ReportError> {
        let part = text.get(from..to).ok_or_else(bad)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse().map_err(|_| bad())
    };
    if b.len() != 20 || b.get(10) != Some(&b'T') || b.get(19) != Some(&b'Z') {
        return Err(bad());
    }
    let small = |v: u16| u8::try_from(v).map_err(|_| bad());
    Ok(DateTime::new(field(0, 4)?)
        .month(small(field(5, 7)?)?)
        .day(small(field(8, 10)?)?)
        .hour(small(field(11, 13)?)?)
        .minute(small(field(14, 16)?)?)
        .second(small(field(17, 19)?)?)
        .utc_offset_hour(0)
        .utc_offset_minute(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unprintable_characters_become_question_marks() {
        let mut m = Metrics::new().unwrap();
        assert_eq!(m.printable(Face::Regular, "a\u{7}b\u{E000}c"), "a?b?c");
        assert_eq!(m.printable(Face::Regular, "Zürich ✓"), "Zürich ✓");
    }

    #[test]
    fn long_words_break_inside() {
        let mut m = Metrics::new().unwrap();
        let digest = format!("sha256:{}", "ab".repeat(32));
        let lines = m.wrap(Face::Mono, 8.0, &digest, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), digest);
    }

    #[test]
    fn dates_must_be_utc_timestamps() {
        assert!(parse_date("2026-12-01T10:00:00Z").is_ok());
        assert!(parse_date("2026-12-01").is_err());
        assert!(parse_date("2026-12-01T10:00:00+01:00").is_err());
    }
}
