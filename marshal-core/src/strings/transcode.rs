//! UTF-16 ⇄ UTF-8 transcoding: simdutf, with a plain loop (UTF-16 → UTF-8) or
//! encoding_rs (UTF-8 → UTF-16, invalid input) where it is faster or needed, and the
//! CLR's rules for ill-formed input.
//!
//! - UTF-16 → UTF-8: a lone surrogate becomes U+FFFD (`EF BF BD`), as CoreCLR's
//!   `Encoding.UTF8` writes it. One pass into a worst-case-sized destination (3 bytes a
//!   unit, as `Marshal.StringToCoTaskMemUTF8` allocates): simdutf converts and stops at a
//!   lone surrogate, the replacement is written, and the conversion resumes after it.
//! - UTF-8 → UTF-16: one pass into a worst-case-sized destination (a unit a byte).
//!   Invalid input is either replaced (U+FFFD per maximal subpart, the Unicode / WHATWG
//!   rule .NET Core follows, through encoding_rs) or reported with the offset of the
//!   first invalid byte ([`InvalidUtf8`]).
//!
//! Every function writes only into memory it was given with a known size: the
//! destinations are sized for the worst case of the whole input plus [`SIMD_SLACK`]
//! spare bytes, so no input, however ill-formed, can make a converter write out of
//! bounds. Results much smaller than their worst case give the rest back
//! ([`SHRINK_ABOVE`]).
//!
//! ```
//! use marshal_core::strings::transcode::*;
//! assert_eq!(utf16_to_string(&[0x48, 0xD800, 0x69]), "H\u{FFFD}i");
//! assert_eq!(utf8_to_utf16(b"h\xC3\xA9", InvalidUtf8::Error).unwrap(), [0x68, 0xE9]);
//! assert_eq!(utf8_to_utf16(b"a\xFFb", InvalidUtf8::Replace).unwrap(), [0x61, 0xFFFD, 0x62]);
//! ```

use core::ptr;

use crate::bstr::{Bstr, BstrError};

/// UTF-16 inputs shorter than this (in code units) are converted to UTF-8 by a plain
/// loop in this module: below it the SIMD library's per-call set-up outweighs its
/// throughput (callgrind instruction counts and timings in the strings section of
/// docs/ARCHITECTURE.md).
pub const SIMD_THRESHOLD_UTF16: usize = 16;

/// UTF-8 inputs of unknown validity (native strings) shorter than this (in bytes) are
/// validated and converted to UTF-16 by encoding_rs, which beats simdutf below it.
pub const SIMD_THRESHOLD: usize = 64;

/// `str` inputs (valid UTF-8) shorter than this (in bytes) are converted to UTF-16 by
/// std's `encode_utf16`; from it simdutf's non-validating converter is faster.
pub const SIMD_THRESHOLD_STR: usize = 16;

/// Spare bytes given to the SIMD converters beyond the worst-case output size.
pub const SIMD_SLACK: usize = 64;

/// Whether the SIMD transcoder (simdutf) is compiled in: cargo feature `simd`, on by
/// default. Without it every conversion takes the portable path, with the same results.
pub const SIMD: bool = cfg!(feature = "simd");

#[inline]
fn use_simd(len: usize) -> bool {
    SIMD && len >= SIMD_THRESHOLD
}

#[inline]
fn use_simd_str(len: usize) -> bool {
    SIMD && len >= SIMD_THRESHOLD_STR
}

#[inline]
fn use_simd_utf16(len: usize) -> bool {
    SIMD && len >= SIMD_THRESHOLD_UTF16
}

/// Above this many unused bytes, a worst-case-sized UTF-8 result is shrunk to its length
/// (an in-place `realloc` for the C allocator); below it the spare room is kept, as
/// CoreCLR's `Marshal.StringToCoTaskMemUTF8` keeps its `GetMaxByteCount` block. 8 KiB
/// bounds what a result can waste (strings up to a few thousand units keep their slack,
/// which costs nothing to leave), where CoreCLR keeps up to twice the text's length.
pub const SHRINK_ABOVE: usize = 8 * 1024;

#[cfg(feature = "simd")]
mod simd {
    pub(super) use simdutf::{
        convert_valid_utf8_to_utf16, utf16_length_from_utf8, utf8_length_from_utf16, validate_utf16, validate_utf8,
    };

    /// UTF-8 → UTF-16 at `dst`; `None` for invalid input.
    ///
    /// # Safety
    /// `dst` is writable for `src.len()` units plus slack.
    #[inline]
    pub(super) unsafe fn utf8_to_utf16(src: &[u8], dst: *mut u16) -> Option<usize> {
        // The validating converter without error positions: on this project's machine
        // (Zen 4) simdutf's `_with_errors` variant is ~30 % slower on non-ASCII text, and
        // the position is only needed on the (rare) invalid path, which starts over.
        // SAFETY: forwarded contract; a UTF-8 byte never makes more than one unit.
        let n = unsafe { simdutf::convert_utf8_to_utf16(src.as_ptr(), src.len(), dst) };
        // 0 units from non-empty input means invalid: valid UTF-8 makes at least one.
        (n != 0 || src.is_empty()).then_some(n)
    }

    /// UTF-16 → UTF-8 at `dst`: `Ok(bytes written)`, or `Err(index of the first lone
    /// surrogate)` (the well-formed units before it are converted at `dst`).
    ///
    /// # Safety
    /// `dst` is writable for `3 * src.len()` bytes plus slack.
    #[inline]
    pub(super) unsafe fn utf16_to_utf8(src: &[u16], dst: *mut u8) -> Result<usize, usize> {
        // SAFETY: forwarded contract; no unit makes more than 3 bytes.
        let r = unsafe { simdutf::convert_utf16_to_utf8_with_errors(src.as_ptr(), src.len(), dst) };
        if r.error == simdutf::ErrorCode::Success {
            Ok(r.count)
        } else {
            Err(r.count)
        }
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
    pub(super) unsafe fn utf16_to_utf8(src: &[u16], dst: *mut u8) -> Result<usize, usize> {
        // SAFETY: forwarded contract.
        Ok(unsafe { super::utf16_to_utf8_scalar(src, dst) })
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

/// Bytes a destination must offer [`utf16_to_utf8_raw`] for `units` UTF-16 units: the
/// worst case, 3 bytes per unit (a surrogate pair makes 4 bytes of 2 units, a lone
/// surrogate 3), plus [`SIMD_SLACK`]. Never overflows for the length of a real slice.
#[inline]
pub const fn utf8_capacity(units: usize) -> usize {
    units * 3 + SIMD_SLACK
}

/// UTF-16 → UTF-8 at `dst` in one pass, lone surrogates → U+FFFD (`EF BF BD`, as
/// CoreCLR's `Encoding.UTF8`). Returns the bytes written (= [`utf8_len_lossy`]`(src)`).
///
/// Well-formed stretches go through simdutf (from [`SIMD_THRESHOLD_UTF16`] units); at a
/// lone surrogate the replacement is written and the SIMD conversion resumes after it,
/// so ill-formed input stays linear. Short inputs take a plain loop.
///
/// # Safety
/// `dst` is writable for [`utf8_capacity`]`(src.len())` bytes and does not overlap `src`.
#[inline]
pub unsafe fn utf16_to_utf8_raw(src: &[u16], dst: *mut u8) -> usize {
    if use_simd_utf16(src.len()) {
        // SAFETY: forwarded contract.
        unsafe { utf16_to_utf8_simd_lossy(src, dst) }
    } else {
        // SAFETY: forwarded contract (the plain loop writes at most 3 bytes per unit).
        unsafe { utf16_to_utf8_scalar(src, dst) }
    }
}

/// # Safety
/// As [`utf16_to_utf8_raw`].
unsafe fn utf16_to_utf8_simd_lossy(mut src: &[u16], dst: *mut u8) -> usize {
    let mut written = 0;
    loop {
        // SAFETY: `written` bytes so far came from the units consumed so far, at most 3
        // per unit, so the rest of the destination still holds 3 per remaining unit plus
        // the slack.
        match unsafe { simd::utf16_to_utf8(src, dst.add(written)) } {
            Ok(n) => return written + n,
            Err(at) => {
                // The units before `at` are well-formed and were converted.
                written += simd::utf8_length_from_utf16(&src[..at]);
                // SAFETY: 3 bytes for the lone surrogate's replacement, within its share.
                unsafe { ptr::copy_nonoverlapping(REPLACEMENT_UTF8.as_ptr(), dst.add(written), 3) };
                written += 3;
                src = &src[at + 1..];
                if !use_simd_utf16(src.len()) {
                    // SAFETY: as above.
                    return written + unsafe { utf16_to_utf8_scalar(src, dst.add(written)) };
                }
            }
        }
    }
}

/// U+FFFD in UTF-8.
const REPLACEMENT_UTF8: [u8; 3] = [0xEF, 0xBF, 0xBD];

/// The plain loop of [`utf16_to_utf8_raw`].
///
/// # Safety
/// `dst` is writable for `3 * src.len()` bytes and does not overlap `src`.
#[inline]
unsafe fn utf16_to_utf8_scalar(src: &[u16], dst: *mut u8) -> usize {
    let mut o = 0;
    let mut i = 0;
    // SAFETY: every write below is within the destination: each unit read writes at
    // most 3 bytes at `o`, and `o` never exceeds 3 * (units read) (a pair writes 4 bytes
    // for 2 units).
    unsafe {
        while i < src.len() {
            let u = u32::from(src[i]);
            i += 1;
            if u < 0x80 {
                dst.add(o).write(u as u8);
                o += 1;
            } else if u < 0x800 {
                dst.add(o).write(0xC0 | (u >> 6) as u8);
                dst.add(o + 1).write(0x80 | (u & 0x3F) as u8);
                o += 2;
            } else if u & 0xF800 != 0xD800 {
                dst.add(o).write(0xE0 | (u >> 12) as u8);
                dst.add(o + 1).write(0x80 | ((u >> 6) & 0x3F) as u8);
                dst.add(o + 2).write(0x80 | (u & 0x3F) as u8);
                o += 3;
            } else if u < 0xDC00 && i < src.len() && src[i] & 0xFC00 == 0xDC00 {
                let c = 0x10000 + ((u - 0xD800) << 10) + (u32::from(src[i]) - 0xDC00);
                i += 1;
                dst.add(o).write(0xF0 | (c >> 18) as u8);
                dst.add(o + 1).write(0x80 | ((c >> 12) & 0x3F) as u8);
                dst.add(o + 2).write(0x80 | ((c >> 6) & 0x3F) as u8);
                dst.add(o + 3).write(0x80 | (c & 0x3F) as u8);
                o += 4;
            } else {
                ptr::copy_nonoverlapping(REPLACEMENT_UTF8.as_ptr(), dst.add(o), 3);
                o += 3;
            }
        }
    }
    o
}

/// UTF-16 → UTF-8 into a fresh `Vec<u8>` (lone surrogates → U+FFFD), with `extra_zeros`
/// zero bytes appended (a terminator) that are part of the returned vector.
///
/// One pass into a worst-case-sized vector; a large unused remainder is given back
/// (see [`SHRINK_ABOVE`]).
pub fn utf16_to_utf8_vec(src: &[u16], extra_zeros: usize) -> Vec<u8> {
    let mut v: Vec<u8> = Vec::with_capacity(utf8_capacity(src.len()) + extra_zeros);
    // SAFETY: the capacity covers the converter's need and the zeros; the length is set
    // only over initialised bytes.
    unsafe {
        let n = utf16_to_utf8_raw(src, v.as_mut_ptr());
        ptr::write_bytes(v.as_mut_ptr().add(n), 0, extra_zeros);
        v.set_len(n + extra_zeros);
    }
    if v.capacity() - v.len() > SHRINK_ABOVE {
        v.shrink_to_fit();
    }
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
    if use_simd_str(src.len()) {
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
    if use_simd_str(src.len()) {
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

/// How many leading bytes [`str_to_bstr`] looks at to guess whether a string is ASCII.
pub const ASCII_PROBE: usize = 64;

/// `str` → BSTR, transcoded straight into the BSTR's payload.
///
/// Text that starts with [`ASCII_PROBE`] ASCII bytes (from [`SIMD_THRESHOLD_STR`] bytes) is
/// converted in one pass: the BSTR is allocated for the worst case (one unit per byte,
/// exact for ASCII), filled by simdutf, and shrunk to the units written with the
/// allocator's `realloc` if the text was not all ASCII after all. Other text is measured
/// first and allocated exactly: for it the measuring pass costs less than the `realloc`
/// (timings in docs/ARCHITECTURE.md).
pub fn str_to_bstr(src: &str) -> Result<Bstr, BstrError> {
    let worst = src.len().checked_mul(2).ok_or(BstrError::TooLong { byte_len: usize::MAX })?;
    let probe = &src.as_bytes()[..src.len().min(ASCII_PROBE)];
    if use_simd_str(src.len()) && worst <= crate::bstr::MAX_BYTE_LEN as usize && probe.is_ascii() {
        let mut units = 0;
        // SAFETY: the fill gets `worst` bytes = src.len() units, room for the UTF-16 of
        // any valid UTF-8 of that many bytes; exactly `units` of them are written.
        let b = unsafe {
            Bstr::from_fill(worst, |p| {
                units = simd::convert_valid_utf8_to_utf16(src.as_ptr(), src.len(), p.cast::<u16>());
            })
        }?;
        if units == src.len() {
            return Ok(b);
        }
        let raw = b.into_raw();
        // SAFETY: `raw` is a live BSTR of the process allocator that we own; the smaller
        // length keeps exactly the units written.
        let shrunk = unsafe { crate::bstr::allocator().realloc_byte_len(raw, (units * 2) as u32) };
        if shrunk.is_null() {
            // SAFETY: the realloc failed, so `raw` is still live and ours to free.
            drop(unsafe { Bstr::from_raw(raw) });
            return Err(BstrError::OutOfMemory);
        }
        // SAFETY: a live BSTR of the process allocator, owned from here on.
        return Ok(unsafe { Bstr::from_raw(shrunk) });
    }
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
///
/// The vector is allocated once for the worst case (one unit per byte); a large unused
/// remainder is given back (see [`SHRINK_ABOVE`]).
#[inline]
pub fn utf8_to_utf16(src: &[u8], invalid: InvalidUtf8) -> Result<Vec<u16>, Utf8Error> {
    // Sized as `utf8_to_utf16_append` reserves, so its `reserve` finds the room already.
    let mut v: Vec<u16> = Vec::with_capacity(src.len() + 1 + SIMD_SLACK);
    utf8_to_utf16_append(src, invalid, &mut v)?;
    // Counted in 2-byte units: SHRINK_ABOVE bytes.
    if v.capacity() - v.len() > SHRINK_ABOVE / 2 {
        v.shrink_to_fit();
    }
    Ok(v)
}

/// UTF-8 bytes (of unknown validity) → UTF-16, appended to `out` (which is left as it
/// was on error).
#[inline]
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
