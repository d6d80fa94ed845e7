//! A JS `Blob` as `Read + Seek`: each read copies one slice through `FileReaderSync` (workers
//! only), so wasm memory holds a slice at a time, never the file.

use std::io::{self, Read, Seek, SeekFrom};

use js_sys::Uint8Array;
use web_sys::{Blob, FileReaderSync};

/// A reader over a Blob's bytes.
pub struct BlobReader {
    blob: Blob,
    len: u64,
    pos: u64,
}

impl BlobReader {
    /// A reader at offset 0 of `blob`.
    pub fn new(blob: Blob) -> Self {
        // INVARIANT: a Blob's size is a non-negative integer below 2^53.
        let len = blob.size() as u64;
        Self { blob, len, pos: 0 }
    }

    /// The Blob's size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the Blob is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn js_error(what: &str, error: &wasm_bindgen::JsValue) -> io::Error {
    io::Error::other(format!("{what}: {error:?}"))
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = u64::try_from(buf.len()).unwrap_or(u64::MAX);
        let end = self.len.min(self.pos.saturating_add(want));
        if end <= self.pos {
            return Ok(0);
        }
        let slice = self
            .blob
            .slice_with_f64_and_f64(self.pos as f64, end as f64)
            .map_err(|e| js_error("cannot slice the file", &e))?;
        let reader = FileReaderSync::new().map_err(|e| js_error("no FileReaderSync", &e))?;
        let bytes = reader
            .read_as_array_buffer(&slice)
            .map_err(|e| js_error("cannot read the file", &e))?;
        let array = Uint8Array::new(&bytes);
        let n = usize::try_from(array.length()).unwrap_or(0).min(buf.len());
        let Some(target) = buf.get_mut(..n) else {
            return Ok(0);
        };
        array.slice(0, n as u32).copy_to(target);
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
