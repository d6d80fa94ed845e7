//! Fixed little-endian encodings of the primitives' stored state: small and fast to decode.

use super::EnforceError;

/// Appends fields to a stored value.
#[derive(Default)]
pub(super) struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }

    pub fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn bytes(mut self, v: &[u8]) -> Self {
        self.0.extend_from_slice(v);
        self
    }
}

/// Reads fields back; any shortfall is `enforce.store_corrupt` for `key`.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    key: &'a str,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], key: &'a str) -> Self {
        Self { bytes, key }
    }

    fn corrupt(&self) -> EnforceError {
        EnforceError::StoreCorrupt(self.key.to_owned())
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], EnforceError> {
        if self.bytes.len() < n {
            return Err(self.corrupt());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn u8(&mut self) -> Result<u8, EnforceError> {
        let b = self.take(1)?;
        b.first().copied().ok_or_else(|| self.corrupt())
    }

    pub fn u64(&mut self) -> Result<u64, EnforceError> {
        let b = self.take(8)?;
        let arr: [u8; 8] = b.try_into().map_err(|_| self.corrupt())?;
        Ok(u64::from_le_bytes(arr))
    }

    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.bytes)
    }

    /// Fails unless everything was read.
    pub fn end(&self) -> Result<(), EnforceError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(self.corrupt())
        }
    }
}
