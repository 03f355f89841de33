//! UTF-16 ⇄ UTF-8 transcoding: simdutf for large inputs, encoding_rs for small ones,
//! with the CLR's rules for ill-formed input.
//!
//! - UTF-16 → UTF-8: a lone surrogate becomes U+FFFD (`EF BF BD`), as CoreCLR's
//!   `Encoding.UTF8` writes it. Well-formed input takes the SIMD path; the first lone
//!   surrogate sends the conversion to encoding_rs, which substitutes.
//! - UTF-8 → UTF-16: invalid input is either replaced (U+FFFD per maximal subpart, the
//!   Unicode / WHATWG rule .NET Core follows) or reported with the offset of the first
//!   invalid byte ([`InvalidUtf8`]).
//!
//! Every function writes only into memory it was given with a known size: the SIMD
//! converters get a destination with [`SIMD_SLACK`] spare bytes beyond the exact
//! result, so that even an input that turns out ill-formed half way cannot make them
//! write out of bounds.
//!
//! ```
//! use marshal_core::strings::transcode::*;
//! assert_eq!(utf16_to_string(&[0x48, 0xD800, 0x69]), "H\u{FFFD}i");
//! assert_eq!(utf8_to_utf16(b"h\xC3\xA9", InvalidUtf8::Error).unwrap(), [0x68, 0xE9]);
//! assert_eq!(utf8_to_utf16(b"a\xFFb", InvalidUtf8::Replace).unwrap(), [0x61, 0xFFFD, 0x62]);
//! ```

use core::ptr;

use crate::bstr::{Bstr, BstrError};

/// Inputs shorter than this (in code units or bytes) use encoding_rs: below it the
/// SIMD library's per-call overhead outweighs its throughput (see benches/strings.rs).
pub const SIMD_THRESHOLD: usize = 64;

/// Spare bytes given to the SIMD converters beyond the exact output size.
pub const SIMD_SLACK: usize = 64;

/// Whether the SIMD transcoder (simdutf) is compiled in: cargo feature `simd`, on by
/// default. Without it every conversion takes the encoding_rs path, with the same results.
pub const SIMD: bool = cfg!(feature = "simd");

#[inline]
fn use_simd(len: usize) -> bool {
    SIMD && len >= SIMD_THRESHOLD
}

#[cfg(feature = "simd")]
mod simd {
    pub(super) use simdutf::{
        convert_utf16_to_utf8, convert_valid_utf8_to_utf16, utf16_length_from_utf8, utf8_length_from_utf16,
        validate_utf16, validate_utf8,
    };

    /// UTF-8 → UTF-16 at `dst`; `None` for invalid input.
    ///
    /// # Safety
    /// `dst` is writable for `src.len()` units plus slack.
    #[inline]
    pub(super) unsafe fn utf8_to_utf16(src: &[u8], dst: *mut u16) -> Option<usize> {
        // SAFETY: forwarded contract; a UTF-8 byte never makes more than one unit.
        let r = unsafe { simdutf::convert_utf8_to_utf16_with_errors(src.as_ptr(), src.len(), dst) };
        (r.error == simdutf::ErrorCode::Success).then_some(r.count)
    }
}

/// Stand-ins when simdutf is not compiled in: never reached, since `use_simd` is false,
/// and correct anyway.
#[cfg(not(feature = "simd"))]
mod simd {
    pub(super) fn validate_utf16(_: &[u16]) -> bool {
        false
    }
    pub(super) fn validate_utf8(src: &[u8]) -> bool {
        core::str::from_utf8(src).is_ok()
    }
    pub(super) fn utf8_length_from_utf16(src: &[u16]) -> usize {
        super::utf8_len_lossy(src)
    }
    pub(super) fn utf16_length_from_utf8(src: &[u8]) -> usize {
        core::str::from_utf8(src).map_or(0, |s| s.encode_utf16().count())
    }
    pub(super) unsafe fn convert_utf16_to_utf8(_: *const u16, _: usize, _: *mut u8) -> usize {
        0
    }
    pub(super) unsafe fn convert_valid_utf8_to_utf16(src: *const u8, len: usize, dst: *mut u16) -> usize {
        // SAFETY: the caller passes valid UTF-8 and room for its UTF-16.
        unsafe {
            let s = core::str::from_utf8_unchecked(core::slice::from_raw_parts(src, len));
            let mut n = 0;
            for u in s.encode_utf16() {
                dst.add(n).write(u);
                n += 1;
            }
            n
        }
    }
    pub(super) unsafe fn utf8_to_utf16(_: &[u8], _: *mut u16) -> Option<usize> {
        None
    }
}

/// What to do with bytes that are not valid UTF-8 when reading native strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum InvalidUtf8 {
    /// Replace each maximal invalid subpart with U+FFFD (CoreCLR's behaviour).
    #[default]
    Replace,
    /// Fail with the offset of the first invalid byte.
    Error,
}

/// A byte sequence that is not UTF-8, found under [`InvalidUtf8::Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utf8Error {
    /// Offset of the first byte of the first invalid sequence.
    pub valid_up_to: usize,
}

/// Exact UTF-8 length of UTF-16 input, lone surrogates counted as U+FFFD (3 bytes).
pub fn utf8_len_lossy(src: &[u16]) -> usize {
    if use_simd(src.len()) && simd::validate_utf16(src) {
        return simd::utf8_length_from_utf16(src);
    }
    let mut n = 0;
    let mut i = 0;
    while i < src.len() {
        let u = src[i];
        n += match u {
            0..=0x7F => 1,
            0x80..=0x7FF => 2,
            0xD800..=0xDBFF if i + 1 < src.len() && (0xDC00..=0xDFFF).contains(&src[i + 1]) => {
                i += 1;
                4
            }
            _ => 3,
        };
        i += 1;
    }
    n
}

/// The SIMD half of UTF-16 → UTF-8: converts well-formed input of at least
/// [`SIMD_THRESHOLD`] units and returns the bytes written; `None` for shorter input or
/// when the input holds a lone surrogate (then use [`utf16_to_utf8_exact`]; what was
/// written at `dst` is meaningless).
///
/// # Safety
/// `dst` is writable for `simd::utf8_length_from_utf16(src) + SIMD_SLACK` bytes and
/// does not overlap `src`.
#[inline]
pub unsafe fn utf16_to_utf8_simd(src: &[u16], dst: *mut u8) -> Option<usize> {
    if !use_simd(src.len()) {
        return None;
    }
    // SAFETY: `dst` has room for the exact result of well-formed input plus slack. The
    // converter returns 0 for ill-formed input; well-formed input of 64+ units never
    // converts to 0 bytes.
    let n = unsafe { simd::convert_utf16_to_utf8(src.as_ptr(), src.len(), dst) };
    (n != 0).then_some(n)
}

/// Capacity [`utf16_to_utf8_simd`] needs at `dst` (0 when it would not run).
#[inline]
pub fn simd_utf8_capacity(src: &[u16]) -> usize {
    if !use_simd(src.len()) {
        0
    } else {
        simd::utf8_length_from_utf16(src) + SIMD_SLACK
    }
}

/// UTF-16 → UTF-8 into `dst` of exactly [`utf8_len_lossy`]`(src)` bytes, lone surrogates
/// → U+FFFD. Returns the bytes written (= `dst.len()`). Panics if `dst` is shorter.
pub fn utf16_to_utf8_exact(src: &[u16], dst: &mut [u8]) -> usize {
    let (read, written) = encoding_rs::mem::convert_utf16_to_utf8_partial(src, dst);
    assert_eq!(read, src.len(), "destination shorter than utf8_len_lossy(src)");
    written
}

/// UTF-16 → UTF-8 into a fresh `Vec<u8>` (lone surrogates → U+FFFD), with `extra_zeros`
/// zero bytes appended (a terminator) that are part of the returned vector.
pub fn utf16_to_utf8_vec(src: &[u16], extra_zeros: usize) -> Vec<u8> {
    let cap = simd_utf8_capacity(src);
    if cap != 0 {
        let mut v: Vec<u8> = Vec::with_capacity(cap + extra_zeros);
        // SAFETY: capacity covers the SIMD converter's need and the zeros; the length is
        // set only over initialised bytes.
        unsafe {
            if let Some(n) = utf16_to_utf8_simd(src, v.as_mut_ptr()) {
                ptr::write_bytes(v.as_mut_ptr().add(n), 0, extra_zeros);
                v.set_len(n + extra_zeros);
                return v;
            }
        }
    }
    let n = utf8_len_lossy(src);
    let mut v = vec![0u8; n + extra_zeros];
    utf16_to_utf8_exact(src, &mut v[..n]);
    v
}

/// UTF-16 → `String`, lone surrogates → U+FFFD (as `String::from_utf16_lossy`, faster).
pub fn utf16_to_string(src: &[u16]) -> String {
    let v = utf16_to_utf8_vec(src, 0);
    // SAFETY: the converters produce UTF-8 only.
    unsafe { String::from_utf8_unchecked(v) }
}

/// Exact UTF-16 length of valid UTF-8.
#[inline]
pub fn utf16_len_from_str(src: &str) -> usize {
    if use_simd(src.len()) {
        simd::utf16_length_from_utf8(src.as_bytes())
    } else {
        src.chars().map(char::len_utf16).sum()
    }
}

/// Converts a `str` to UTF-16 at `dst`; returns the units written
/// (`utf16_len_from_str(src)`).
///
/// # Safety
/// `dst` is writable for `utf16_len_from_str(src)` units and does not overlap `src`.
#[inline]
pub unsafe fn str_to_utf16_raw(src: &str, dst: *mut u16) -> usize {
    if use_simd(src.len()) {
        // SAFETY: valid UTF-8 input writes exactly utf16_length_from_utf8 units.
        return unsafe { simd::convert_valid_utf8_to_utf16(src.as_ptr(), src.len(), dst) };
    }
    let mut n = 0;
    for u in src.encode_utf16() {
        // SAFETY: exactly utf16_len_from_str(src) units are written.
        unsafe { dst.add(n).write(u) };
        n += 1;
    }
    n
}

/// `str` → UTF-16 `Vec<u16>` with `extra_zeros` zero units appended.
pub fn str_to_utf16_vec(src: &str, extra_zeros: usize) -> Vec<u16> {
    let n = utf16_len_from_str(src);
    let mut v: Vec<u16> = Vec::with_capacity(n + extra_zeros);
    // SAFETY: capacity n + extra_zeros; everything up to the new length is written.
    unsafe {
        let w = str_to_utf16_raw(src, v.as_mut_ptr());
        ptr::write_bytes(v.as_mut_ptr().add(w), 0, extra_zeros);
        v.set_len(w + extra_zeros);
    }
    v
}

/// `str` → BSTR, transcoded straight into the BSTR's payload.
pub fn str_to_bstr(src: &str) -> Result<Bstr, BstrError> {
    let n = utf16_len_from_str(src);
    let byte_len = n.checked_mul(2).ok_or(BstrError::TooLong { byte_len: usize::MAX })?;
    // SAFETY: the fill writes exactly `n` units = `byte_len` bytes.
    unsafe {
        Bstr::from_fill(byte_len, |p| {
            str_to_utf16_raw(src, p.cast::<u16>());
        })
    }
}

/// UTF-8 bytes (of unknown validity) → UTF-16.
pub fn utf8_to_utf16(src: &[u8], invalid: InvalidUtf8) -> Result<Vec<u16>, Utf8Error> {
    let mut v: Vec<u16> = Vec::new();
    utf8_to_utf16_append(src, invalid, &mut v)?;
    Ok(v)
}

/// UTF-8 bytes (of unknown validity) → UTF-16, appended to `out` (which is left as it
/// was on error).
pub fn utf8_to_utf16_append(src: &[u8], invalid: InvalidUtf8, out: &mut Vec<u16>) -> Result<(), Utf8Error> {
    let start = out.len();
    // Never more units than bytes, valid or not (each invalid byte is at most one U+FFFD).
    out.reserve(src.len() + 1 + SIMD_SLACK);
    if use_simd(src.len()) {
        // SAFETY: room for src.len() units plus slack after `start`; only what the
        // converter reports written becomes part of the vector.
        unsafe {
            if let Some(n) = simd::utf8_to_utf16(src, out.as_mut_ptr().add(start)) {
                out.set_len(start + n);
                return Ok(());
            }
        }
    }
    match invalid {
        InvalidUtf8::Replace => {
            out.resize(start + src.len() + 1, 0);
            let n = encoding_rs::mem::convert_utf8_to_utf16(src, &mut out[start..]);
            out.truncate(start + n);
            Ok(())
        }
        InvalidUtf8::Error => match core::str::from_utf8(src) {
            Ok(s) => {
                out.resize(start + src.len(), 0);
                let n = encoding_rs::mem::convert_str_to_utf16(s, &mut out[start..]);
                out.truncate(start + n);
                Ok(())
            }
            Err(e) => Err(Utf8Error { valid_up_to: e.valid_up_to() }),
        },
    }
}

/// UTF-8 bytes → `String`: validated (copy) or replaced per maximal subpart.
pub fn utf8_to_string(src: &[u8], invalid: InvalidUtf8) -> Result<String, Utf8Error> {
    let valid = if use_simd(src.len()) { simd::validate_utf8(src) } else { core::str::from_utf8(src).is_ok() };
    if valid {
        // SAFETY: just validated.
        return Ok(unsafe { String::from_utf8_unchecked(src.to_vec()) });
    }
    match invalid {
        InvalidUtf8::Replace => Ok(String::from_utf8_lossy(src).into_owned()),
        InvalidUtf8::Error => Err(Utf8Error { valid_up_to: core::str::from_utf8(src).unwrap_err().valid_up_to() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(s: &str, n: usize) -> String {
        s.repeat(n)
    }

    #[test]
    fn lone_surrogates_become_efbfbd_in_both_paths() {
        for n in [1, 100] {
            let mut units: Vec<u16> = "ab".repeat(n).encode_utf16().collect();
            units.insert(1, 0xD83D);
            units.push(0xDC00);
            let v = utf16_to_utf8_vec(&units, 1);
            let expect = {
                let mut s = String::from("a\u{FFFD}b");
                s.push_str(&"ab".repeat(n - 1));
                s.push('\u{FFFD}');
                s.push('\0');
                s.into_bytes()
            };
            assert_eq!(v, expect);
            assert_eq!(utf8_len_lossy(&units), expect.len() - 1);
        }
    }

    #[test]
    fn str_paths_agree_with_std() {
        for s in ["", "abc", "héllo wörld", "日本語😀", &long("Abé中😀", 40)] {
            let std16: Vec<u16> = s.encode_utf16().collect();
            assert_eq!(str_to_utf16_vec(s, 0), std16);
            assert_eq!(utf16_len_from_str(s), std16.len());
            assert_eq!(utf16_to_string(&std16), s);
            assert_eq!(utf8_to_utf16(s.as_bytes(), InvalidUtf8::Error).unwrap(), std16);
            assert_eq!(str_to_bstr(s).unwrap().as_wide(), &std16[..]);
        }
    }

    #[test]
    fn invalid_utf8_both_modes_both_paths() {
        for prefix in ["", &"x".repeat(100)] {
            let mut bytes = prefix.as_bytes().to_vec();
            bytes.extend_from_slice(b"a\xE0\x80\xAFb\xF0\x9F\x98");
            let expect: Vec<u16> = String::from_utf8_lossy(&bytes).encode_utf16().collect();
            assert_eq!(utf8_to_utf16(&bytes, InvalidUtf8::Replace).unwrap(), expect);
            assert_eq!(
                utf8_to_utf16(&bytes, InvalidUtf8::Error).unwrap_err(),
                Utf8Error { valid_up_to: prefix.len() + 1 }
            );
            assert_eq!(utf8_to_string(&bytes, InvalidUtf8::Replace).unwrap(), String::from_utf8_lossy(&bytes));
        }
    }
}
