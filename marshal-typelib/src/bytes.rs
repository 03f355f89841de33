//! Bounds-checked little-endian reads over an untrusted byte image.
#![allow(dead_code)] // parts serve the SLTG reader and the writers, which land in later steps

use crate::error::{Result, TypeLibError};
use marshal_core::Guid;

/// A view of `data` whose offsets are reported relative to `base` (the view's position in the whole image),
/// so errors name file offsets.
#[derive(Clone, Copy)]
pub(crate) struct Bytes<'a> {
    data: &'a [u8],
    base: u64,
}

impl<'a> Bytes<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Bytes { data, base: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    pub(crate) fn data(&self) -> &'a [u8] {
        self.data
    }

    /// `len` bytes at `offset`.
    pub(crate) fn slice(&self, offset: usize, len: usize, what: &'static str) -> Result<&'a [u8]> {
        match offset.checked_add(len) {
            Some(end) if end <= self.data.len() => Ok(&self.data[offset..end]),
            _ => Err(TypeLibError::Truncated {
                what,
                offset: self.base + offset as u64,
                needed: len as u64,
                available: self.data.len().saturating_sub(offset) as u64,
            }),
        }
    }

    /// A sub-view of `len` bytes at `offset`.
    pub(crate) fn sub(&self, offset: usize, len: usize, what: &'static str) -> Result<Bytes<'a>> {
        let data = self.slice(offset, len, what)?;
        Ok(Bytes { data, base: self.base + offset as u64 })
    }

    /// The view from `offset` to the end.
    pub(crate) fn tail(&self, offset: usize, what: &'static str) -> Result<Bytes<'a>> {
        let len = self
            .data
            .len()
            .checked_sub(offset)
            .ok_or(TypeLibError::BadOffset { what, offset: (self.base + offset as u64) as i64 })?;
        self.sub(offset, len, what)
    }

    pub(crate) fn u8(&self, offset: usize, what: &'static str) -> Result<u8> {
        Ok(self.slice(offset, 1, what)?[0])
    }

    pub(crate) fn u16(&self, offset: usize, what: &'static str) -> Result<u16> {
        let b = self.slice(offset, 2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn i16(&self, offset: usize, what: &'static str) -> Result<i16> {
        Ok(self.u16(offset, what)? as i16)
    }

    pub(crate) fn u32(&self, offset: usize, what: &'static str) -> Result<u32> {
        let b = self.slice(offset, 4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn i32(&self, offset: usize, what: &'static str) -> Result<i32> {
        Ok(self.u32(offset, what)? as i32)
    }

    pub(crate) fn u64(&self, offset: usize, what: &'static str) -> Result<u64> {
        let b = self.slice(offset, 8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    pub(crate) fn guid(&self, offset: usize, what: &'static str) -> Result<Guid> {
        let b = self.slice(offset, 16, what)?;
        let mut a = [0u8; 16];
        a.copy_from_slice(b);
        Ok(Guid::from_bytes(a))
    }
}

/// A non-negative `i32` offset as `usize`, or `BadOffset`.
pub(crate) fn offset(value: i32, what: &'static str) -> Result<usize> {
    usize::try_from(value).map_err(|_| TypeLibError::BadOffset { what, offset: value as i64 })
}

/// Text in a type library's 8-bit code page. Names and strings of MSFT and SLTG files are in the code page of the
/// library's locale; the libraries seen in practice are ASCII, and Windows-1252 is the code page of every Western
/// locale, so this decodes Windows-1252 (which maps every byte, so it never fails).
pub(crate) fn decode_ansi(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        return bytes.iter().map(|&b| b as char).collect();
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    text.into_owned()
}

/// Encodes text for a type library (Windows-1252); characters it lacks become `?`, as `WideCharToMultiByte` does.
pub(crate) fn encode_ansi(text: &str) -> Vec<u8> {
    if text.is_ascii() {
        return text.as_bytes().to_vec();
    }
    // encoding_rs writes HTML numeric references for unmappable characters; a type library wants '?'.
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        let mut buf = [0u8; 4];
        let (b, _, unmappable) = encoding_rs::WINDOWS_1252.encode(ch.encode_utf8(&mut buf));
        if unmappable {
            out.push(b'?');
        } else {
            out.extend_from_slice(&b);
        }
    }
    out
}
