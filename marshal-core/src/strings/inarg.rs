//! In parameters: the native copy lives for the call only, on the stack when it is small.

use core::ffi::c_void;
use core::marker::PhantomData;
use core::ptr;

use smallvec::SmallVec;
use widestring::U16CStr;

use super::ansi::{encode_ansi, AnsiOptions, CodePage};
use super::error::StringError;
use super::native::NativeStringKind;
use super::transcode;
use crate::bstr::MAX_BYTE_LEN;

/// Bytes of native string an [`InString`] keeps inline (no heap allocation): the CLR's
/// source-generated marshallers use a 256-byte caller buffer for the same purpose.
pub const STACK_BYTES: usize = 256;

#[derive(Debug)]
enum Repr<'a> {
    Null,
    Borrowed(*const c_void, PhantomData<&'a U16CStr>),
    Narrow(SmallVec<[u8; STACK_BYTES]>),
    Wide(SmallVec<[u16; STACK_BYTES / 2]>),
    /// A BSTR image: prefix in word 0, payload from byte 4, then the terminator.
    Bstr(SmallVec<[u32; STACK_BYTES / 4]>),
}

/// The native copy of an In string argument. Up to [`STACK_BYTES`] bytes of native
/// string it stays inline (allocation-free; keep the `InString` on the stack), beyond
/// that it is one heap buffer; either way it is freed when the `InString` drops, after
/// the call, as the CLR's cleanup stage. An LPWStr made from a `&U16CStr` borrows the
/// caller's memory: no copy at all.
///
/// BSTR arguments are built in the same buffer with the BSTR layout (prefix, payload,
/// terminator): a callee may read them with `SysStringLen` but, as with any In BSTR, must
/// not free or reallocate them.
///
/// ```
/// use marshal_core::strings::{AnsiOptions, InString, NativeStringKind};
/// let s: Vec<u16> = "hello".encode_utf16().collect();
/// let arg = InString::new(NativeStringKind::LPUTF8Str, Some(&s), &AnsiOptions::UTF8).unwrap();
/// assert!(arg.is_inline());
/// let p = arg.as_ptr() as *const u8;
/// // SAFETY: `arg` is alive; its buffer is NUL-terminated.
/// assert_eq!(unsafe { core::ffi::CStr::from_ptr(p.cast()) }.to_bytes(), b"hello");
/// ```
#[derive(Debug)]
pub struct InString<'a> {
    repr: Repr<'a>,
}

impl InString<'static> {
    /// The native copy of a managed string (`None` = null) in the form `kind`.
    pub fn new(
        kind: NativeStringKind,
        s: Option<&[u16]>,
        ansi: &AnsiOptions,
    ) -> Result<InString<'static>, StringError> {
        let Some(s) = s else { return Ok(InString { repr: Repr::Null }) };
        let repr = match kind {
            NativeStringKind::LPWStr => {
                let mut v: SmallVec<[u16; STACK_BYTES / 2]> = SmallVec::with_capacity(s.len() + 1);
                v.extend_from_slice(s);
                v.push(0);
                Repr::Wide(v)
            }
            NativeStringKind::BStr => {
                // SAFETY: viewing initialised u16s as bytes.
                let bytes = unsafe { core::slice::from_raw_parts(s.as_ptr().cast::<u8>(), s.len() * 2) };
                Repr::Bstr(bstr_image(bytes)?)
            }
            NativeStringKind::LPUTF8Str => Repr::Narrow(utf8_nul_terminated(s)),
            NativeStringKind::LPStr if ansi.code_page == CodePage::Utf8 => Repr::Narrow(utf8_nul_terminated(s)),
            NativeStringKind::LPStr => {
                let mut bytes = Vec::new();
                encode_ansi(s, ansi, &mut bytes)?;
                bytes.push(0);
                Repr::Narrow(SmallVec::from_vec(bytes))
            }
            NativeStringKind::AnsiBStr => {
                let mut bytes = Vec::new();
                encode_ansi(s, ansi, &mut bytes)?;
                Repr::Bstr(bstr_image(&bytes)?)
            }
        };
        Ok(InString { repr })
    }

    /// The native copy of a Rust string in the form `kind`.
    pub fn from_str(kind: NativeStringKind, s: &str, ansi: &AnsiOptions) -> Result<InString<'static>, StringError> {
        match kind {
            NativeStringKind::LPUTF8Str | NativeStringKind::LPStr
                if kind == NativeStringKind::LPUTF8Str || ansi.code_page == CodePage::Utf8 =>
            {
                let mut v: SmallVec<[u8; STACK_BYTES]> = SmallVec::with_capacity(s.len() + 1);
                v.extend_from_slice(s.as_bytes());
                v.push(0);
                Ok(InString { repr: Repr::Narrow(v) })
            }
            NativeStringKind::LPWStr => {
                let n = transcode::utf16_len_from_str(s);
                let mut v: SmallVec<[u16; STACK_BYTES / 2]> = SmallVec::with_capacity(n + 1);
                // SAFETY: capacity n + 1; n units written, then the terminator.
                unsafe {
                    let w = transcode::str_to_utf16_raw(s, v.as_mut_ptr());
                    *v.as_mut_ptr().add(w) = 0;
                    v.set_len(w + 1);
                }
                Ok(InString { repr: Repr::Wide(v) })
            }
            _ => {
                let units: SmallVec<[u16; STACK_BYTES / 2]> = s.encode_utf16().collect();
                InString::new(kind, Some(&units), ansi)
            }
        }
    }
}

impl<'a> InString<'a> {
    /// An LPWStr argument that is the caller's own NUL-terminated buffer: no copy (the
    /// CLR pins the managed string the same way).
    pub fn borrowed_wide(s: &'a U16CStr) -> InString<'a> {
        InString { repr: Repr::Borrowed(s.as_ptr().cast(), PhantomData) }
    }

    /// The pointer to pass (`char*`, `WCHAR*` or `BSTR`; null for a null string). Valid
    /// while `self` is neither moved nor dropped.
    pub fn as_ptr(&self) -> *const c_void {
        match &self.repr {
            Repr::Null => ptr::null(),
            Repr::Borrowed(p, _) => *p,
            Repr::Narrow(v) => v.as_ptr().cast(),
            Repr::Wide(v) => v.as_ptr().cast(),
            // SAFETY: the image always holds at least the prefix word and the terminator.
            Repr::Bstr(v) => unsafe { v.as_ptr().cast::<u8>().add(4).cast() },
        }
    }

    /// Whether the native copy is inline (or borrowed, or null): no heap allocation.
    pub fn is_inline(&self) -> bool {
        match &self.repr {
            Repr::Null | Repr::Borrowed(..) => true,
            Repr::Narrow(v) => !v.spilled(),
            Repr::Wide(v) => !v.spilled(),
            Repr::Bstr(v) => !v.spilled(),
        }
    }
}

/// UTF-16 → UTF-8 + NUL, inline when it fits.
fn utf8_nul_terminated(s: &[u16]) -> SmallVec<[u8; STACK_BYTES]> {
    if s.len() < STACK_BYTES {
        // Each unit takes at least one byte: only strings this short can fit. Try inline.
        let mut buf = [0u8; STACK_BYTES];
        let (read, written) = encoding_rs::mem::convert_utf16_to_utf8_partial(s, &mut buf[..STACK_BYTES - 1]);
        if read == s.len() {
            let mut v = SmallVec::from_buf(buf);
            v.truncate(written + 1); // the byte after the text is still 0: the terminator
            return v;
        }
    }
    SmallVec::from_vec(transcode::utf16_to_utf8_vec(s, 1))
}

/// A BSTR image of `payload`: u32 prefix, payload, zero terminator (3 bytes for odd
/// lengths, as oleaut32).
fn bstr_image(payload: &[u8]) -> Result<SmallVec<[u32; STACK_BYTES / 4]>, StringError> {
    if payload.len() > MAX_BYTE_LEN as usize {
        return Err(StringError::TooLong { byte_len: payload.len() });
    }
    let words = (4 + payload.len() + 3).div_ceil(4);
    let mut v: SmallVec<[u32; STACK_BYTES / 4]> = SmallVec::from_elem(0, words);
    v[0] = payload.len() as u32;
    // SAFETY: the image has 4 + len + 3 bytes or more; the rest stays zero.
    unsafe { ptr::copy_nonoverlapping(payload.as_ptr(), v.as_mut_ptr().cast::<u8>().add(4), payload.len()) };
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bstr::BstrRef;

    fn w(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn small_strings_stay_inline_large_spill() {
        let opts = AnsiOptions::UTF8;
        for kind in [NativeStringKind::LPWStr, NativeStringKind::LPUTF8Str, NativeStringKind::BStr] {
            assert!(InString::new(kind, Some(&w("short")), &opts).unwrap().is_inline(), "{kind:?}");
            assert!(!InString::new(kind, Some(&w(&"x".repeat(300))), &opts).unwrap().is_inline(), "{kind:?}");
        }
        // 255 ASCII bytes + NUL fit exactly; 85 three-byte units + NUL fit; 86 do not.
        assert!(InString::new(NativeStringKind::LPUTF8Str, Some(&w(&"a".repeat(255))), &opts).unwrap().is_inline());
        assert!(InString::new(NativeStringKind::LPUTF8Str, Some(&w(&"中".repeat(85))), &opts).unwrap().is_inline());
        assert!(!InString::new(NativeStringKind::LPUTF8Str, Some(&w(&"中".repeat(86))), &opts).unwrap().is_inline());
    }

    #[test]
    fn bytes_are_the_native_forms() {
        let opts = AnsiOptions::UTF8;
        for text in ["", "a\u{0}b", "héllo😀", &"中x".repeat(200)] {
            let s = w(text);
            let a = InString::new(NativeStringKind::LPUTF8Str, Some(&s), &opts).unwrap();
            // SAFETY: NUL-terminated buffer owned by `a`.
            let got = unsafe { core::ffi::CStr::from_ptr(a.as_ptr().cast()) }.to_bytes().to_vec();
            let expect: Vec<u8> = text.split('\0').next().unwrap().as_bytes().to_vec();
            assert_eq!(got, expect);

            let b = InString::new(NativeStringKind::BStr, Some(&s), &opts).unwrap();
            // SAFETY: a BSTR image owned by `b`.
            let view = unsafe { BstrRef::from_raw(b.as_ptr().cast()) };
            assert_eq!(view.as_wide(), &s[..]);

            let c = InString::from_str(NativeStringKind::LPWStr, text, &opts).unwrap();
            // SAFETY: NUL-terminated UTF-16 owned by `c`.
            let n = unsafe { super::super::native::wide_strlen(c.as_ptr().cast()) };
            assert_eq!(n, s.iter().position(|&u| u == 0).unwrap_or(s.len()));
        }
        assert!(InString::new(NativeStringKind::LPWStr, None, &opts).unwrap().as_ptr().is_null());
        let cstr = widestring::U16CString::from_str("abc").unwrap();
        let borrowed = InString::borrowed_wide(&cstr);
        assert_eq!(borrowed.as_ptr(), cstr.as_ptr().cast());
    }

    #[test]
    fn odd_ansi_bstr_image_has_three_zero_bytes() {
        let img = bstr_image(b"abc").unwrap();
        // SAFETY: viewing the image's initialised words as bytes.
        let bytes = unsafe { core::slice::from_raw_parts(img.as_ptr().cast::<u8>(), img.len() * 4) };
        assert_eq!(&bytes[..10], &[3, 0, 0, 0, b'a', b'b', b'c', 0, 0, 0]);
    }
}
