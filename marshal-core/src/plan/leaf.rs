//! The conversion of one scalar field between its managed and native forms.
//!
//! Both the runtime plans (over [`crate::value::Value`]) and the code
//! `#[derive(Marshal)]` generates call these functions, so the two paths cannot
//! drift apart: one conversion per form.

use crate::layout::Target;
use crate::types::{BoolRepr, CharRepr, CharSet};

/// Native bytes of a `bool` in representation `repr` (1 / -1 / 0 as the CLR writes them).
///
/// ```
/// use marshal_core::plan::leaf::bool_to_native;
/// use marshal_core::BoolRepr;
/// let mut b = [0u8; 4];
/// bool_to_native(true, BoolRepr::VariantBool, &mut b);
/// assert_eq!(b[..2], [0xff, 0xff]);
/// ```
#[inline]
pub fn bool_to_native(v: bool, repr: BoolRepr, out: &mut [u8]) {
    match repr {
        BoolRepr::Win32 => out[..4].copy_from_slice(&(v as i32).to_le_bytes()),
        BoolRepr::VariantBool => out[..2].copy_from_slice(&(if v { -1i16 } else { 0 }).to_le_bytes()),
        BoolRepr::U1 | BoolRepr::I1 => out[0] = v as u8,
    }
}

/// A `bool` read from native bytes: any non-zero value is true, for every
/// representation (clr-marshaling.md §4).
#[inline]
pub fn bool_from_native(repr: BoolRepr, b: &[u8]) -> bool {
    b[..repr.size() as usize].iter().any(|&x| x != 0)
}

/// Whether a `char` field is UTF-16 on `target` in a struct of `charset`.
#[inline]
pub fn char_is_utf16(repr: CharRepr, charset: CharSet, target: Target) -> bool {
    match repr {
        CharRepr::Utf16 => true,
        CharRepr::Ansi => false,
        CharRepr::ByCharSet => charset.is_unicode_on(target),
    }
}

/// The 1-byte ANSI form of a UTF-16 `char` on Unix, where ANSI is UTF-8: the
/// first byte of the character's UTF-8 encoding (a lone surrogate encodes as
/// U+FFFD, so its first byte is 0xEF), as CoreCLR writes it.
#[inline]
pub fn ansi_char_to_native(c: u16) -> u8 {
    match c {
        0..=0x7F => c as u8,
        0x80..=0x7FF => 0xC0 | (c >> 6) as u8,
        0xD800..=0xDFFF => 0xEF,
        _ => 0xE0 | (c >> 12) as u8,
    }
}

/// A UTF-16 `char` from a 1-byte ANSI (UTF-8) char: ASCII maps to itself; any
/// other byte is not a complete character on its own and reads as U+FFFD, as
/// CoreCLR's `AnsiCharMarshaler.ConvertToManaged` decodes it.
#[inline]
pub fn ansi_char_from_native(b: u8) -> u16 {
    if b < 0x80 {
        b as u16
    } else {
        0xFFFD
    }
}

/// A `char[]` ByValArray in ANSI form on Unix: the chars encoded as one UTF-8
/// string (lone surrogates as U+FFFD) into `out`; `None` when that does not fit
/// (CoreCLR throws). Returns the bytes written.
pub fn ansi_chars_to_native(units: &[u16], out: &mut [u8]) -> Option<usize> {
    let mut n = 0;
    for c in char::decode_utf16(units.iter().copied()) {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        let len = c.len_utf8();
        if n + len > out.len() {
            return None;
        }
        c.encode_utf8(&mut out[n..n + len]);
        n += len;
    }
    Some(n)
}

/// A `char[]` ByValArray read from its ANSI (UTF-8) form: the bytes decoded
/// (each invalid sequence as U+FFFD) into as many UTF-16 units as the array has
/// elements, zero-padded.
pub fn ansi_chars_from_native(bytes: &[u8]) -> Vec<u16> {
    let mut units: Vec<u16> = String::from_utf8_lossy(bytes).encode_utf16().collect();
    units.resize(bytes.len(), 0);
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_chars_follow_the_coreclr_vectors() {
        // mono_layout S_CharAnsi#0 expected (CoreCLR): 中 -> e4, A -> 41, é -> c3; read back U+FFFD, A, U+FFFD.
        assert_eq!([20013u16, 65, 233].map(ansi_char_to_native), [0xe4, 0x41, 0xc3]);
        assert_eq!([0xe4u8, 0x41, 0xc3].map(ansi_char_from_native), [0xFFFD, 65, 0xFFFD]);
        // Independent check against Rust's UTF-8 encoder for every BMP scalar value.
        for c in (0u32..0x10000).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            assert_eq!(ansi_char_to_native(c as u16), c.encode_utf8(&mut buf).as_bytes()[0], "{c:?}");
        }
    }

    #[test]
    fn any_nonzero_bool_byte_is_true() {
        assert!(bool_from_native(BoolRepr::Win32, &[0, 0, 0, 0x80]));
        assert!(!bool_from_native(BoolRepr::Win32, &[0, 0, 0, 0]));
        assert!(bool_from_native(BoolRepr::VariantBool, &[1, 0]));
        assert!(bool_from_native(BoolRepr::U1, &[2]));
    }
}
