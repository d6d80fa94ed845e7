//! A JS `Blob` as `Read + Seek`: reads copy slices through `FileReaderSync` (workers only), so
//! wasm memory holds one window of the file at a time, never the file.
//!
//! The window grows while reading goes on where the last one ended (from [`MIN_WINDOW`] up to
//! [`MAX_WINDOW`]) and starts small again after a seek elsewhere: streaming a large entry
//! crosses into JS once per 8 MiB, while reading a small entry or the central directory reads
//! little more than it needs (issue 13: each crossing costs a `Blob.slice`, a `FileReaderSync`
//! read and a copy into wasm memory).

use std::io::{self, Read, Seek, SeekFrom};

use js_sys::Uint8Array;
use web_sys::{Blob, FileReaderSync};

/// The first window after a seek: a small entry's header and data.
pub const MIN_WINDOW: usize = 64 << 10;
/// The largest window: what wasm memory holds of the file at most (the 1 GiB page test keeps
/// memory under 64 MiB).
pub const MAX_WINDOW: usize = 8 << 20;

/// A reader over a Blob's bytes, buffering one window.
pub struct BlobReader {
    blob: Blob,
    reader: Option<FileReaderSync>,
    len: u64,
    pos: u64,
    /// The file's bytes from `start`.
    window: Vec<u8>,
    start: u64,
    /// The size of the next window read.
    next: usize,
}

impl BlobReader {
    /// A reader at offset 0 of `blob`.
    pub fn new(blob: Blob) -> Self {
        // INVARIANT: a Blob's size is a non-negative integer below 2^53.
        let len = blob.size() as u64;
        Self {
            blob,
            reader: None,
            len,
            pos: 0,
            window: Vec::new(),
            start: 0,
            next: MIN_WINDOW,
        }
    }

    /// The Blob's size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the Blob is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reads the window at `self.pos`: twice the last one when it follows it, else the smallest.
    fn fill(&mut self) -> io::Result<()> {
        let end_of_window = self.start + self.window.len() as u64;
        self.next = if self.pos == end_of_window && !self.window.is_empty() {
            self.next.saturating_mul(2).min(MAX_WINDOW)
        } else {
            MIN_WINDOW
        };
        let end = self.len.min(self.pos.saturating_add(self.next as u64));
        self.window.clear();
        self.start = self.pos;
        if end <= self.pos {
            return Ok(());
        }
        let slice = self
            .blob
            .slice_with_f64_and_f64(self.pos as f64, end as f64)
            .map_err(|e| js_error("cannot slice the file", &e))?;
        let reader = match self.reader.take() {
            Some(reader) => reader,
            None => FileReaderSync::new().map_err(|e| js_error("no FileReaderSync", &e))?,
        };
        let bytes = reader
            .read_as_array_buffer(&slice)
            .map_err(|e| js_error("cannot read the file", &e));
        self.reader = Some(reader);
        let bytes = bytes?;
        let array = Uint8Array::new(&bytes);
        let n = usize::try_from(array.length()).unwrap_or(0);
        // One copy, from the ArrayBuffer straight into wasm memory.
        self.window.resize(n, 0);
        array.copy_to(&mut self.window);
        Ok(())
    }
}

fn js_error(what: &str, error: &wasm_bindgen::JsValue) -> io::Error {
    io::Error::other(format!("{what}: {error:?}"))
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let end_of_window = self.start + self.window.len() as u64;
        if self.pos < self.start || self.pos >= end_of_window {
            self.fill()?;
        }
        let from = usize::try_from(self.pos - self.start).unwrap_or(usize::MAX);
        let Some(available) = self.window.get(from..) else {
            return Ok(0);
        };
        let n = available.len().min(buf.len());
        let (Some(target), Some(source)) = (buf.get_mut(..n), available.get(..n)) else {
            return Ok(0);
        };
        target.copy_from_slice(source);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.pos)
    }
}
