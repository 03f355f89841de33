//! InOut fixed-capacity buffers (the CLR's `StringBuilder` case) and in-struct
//! `ByValTStr` buffers.

use core::ffi::c_void;

use widestring::U16String;

use super::ansi::{encode_ansi, AnsiOptions};
use super::error::StringError;
use super::native::{read_native_bounded, NativeStringKind, StringOptions};
use crate::alloc::CoTaskMem;

/// A caller-allocated string buffer the callee fills (`StringBuilder` marshaling): room
/// for `capacity` characters plus the terminator, initialised with the current contents,
/// read back up to the first NUL — never past the buffer, even when the callee wrote no
/// terminator. The block is CoTaskMem and freed on drop.
///
/// Sizes: LPWStr `(capacity + 1) × 2` bytes; LPStr / LPUTF8Str
/// `(capacity + 1) × max bytes per character` (3 for UTF-8, 2 for DBCS code pages).
///
/// ```
/// use marshal_core::strings::{StringBuffer, NativeStringKind, StringOptions};
/// let opts = StringOptions::CORECLR_UNIX;
/// let mut buf = StringBuffer::new(NativeStringKind::LPWStr, 8, &[], &opts.ansi).unwrap();
/// // What a callee does: write "hi" and a NUL.
/// let p = buf.as_mut_ptr() as *mut u16;
/// // SAFETY: the buffer holds 9 units.
/// unsafe { p.copy_from_nonoverlapping([0x68, 0x69, 0].as_ptr(), 3) };
/// assert_eq!(buf.read(&opts).unwrap().to_string_lossy(), "hi");
/// ```
#[derive(Debug)]
pub struct StringBuffer {
    kind: NativeStringKind,
    ptr: *mut u8,
    byte_size: usize,
}

// SAFETY: the block is owned exclusively.
unsafe impl Send for StringBuffer {}

impl StringBuffer {
    /// A buffer for `capacity` characters holding `contents` (the capacity grows to the
    /// contents' length if needed, as a StringBuilder's does).
    pub fn new(
        kind: NativeStringKind,
        capacity: usize,
        contents: &[u16],
        ansi: &AnsiOptions,
    ) -> Result<StringBuffer, StringError> {
        let chars = capacity.max(contents.len()).checked_add(1).ok_or(StringError::OutOfMemory)?;
        let (byte_size, initial): (usize, Vec<u8>) = match kind {
            NativeStringKind::LPWStr => {
                let size = chars.checked_mul(2).ok_or(StringError::OutOfMemory)?;
                // SAFETY: viewing initialised u16s as bytes.
                let bytes = unsafe { core::slice::from_raw_parts(contents.as_ptr().cast::<u8>(), contents.len() * 2) };
                (size, bytes.to_vec())
            }
            NativeStringKind::LPStr | NativeStringKind::LPUTF8Str => {
                let opts = if kind == NativeStringKind::LPUTF8Str { AnsiOptions::UTF8 } else { *ansi };
                let size = chars.checked_mul(opts.code_page.max_bytes_per_unit()).ok_or(StringError::OutOfMemory)?;
                let mut bytes = Vec::new();
                encode_ansi(contents, &opts, &mut bytes)?;
                (size, bytes)
            }
            NativeStringKind::BStr | NativeStringKind::AnsiBStr => {
                return Err(StringError::UnsupportedForm("a StringBuilder buffer is LPStr, LPWStr or LPUTF8Str"))
            }
        };
        let ptr = CoTaskMem::alloc_zeroed(byte_size);
        if ptr.is_null() {
            return Err(StringError::OutOfMemory);
        }
        let n = initial.len().min(byte_size.saturating_sub(if kind.is_wide() { 2 } else { 1 }));
        // SAFETY: `ptr` holds `byte_size` bytes; at most `byte_size - terminator` are copied.
        unsafe { core::ptr::copy_nonoverlapping(initial.as_ptr(), ptr, n) };
        Ok(StringBuffer { kind, ptr, byte_size })
    }

    /// The pointer to pass to the callee.
    pub fn as_mut_ptr(&mut self) -> *mut c_void {
        self.ptr.cast()
    }

    /// The buffer's size in bytes.
    pub fn byte_size(&self) -> usize {
        self.byte_size
    }

    /// The form.
    pub fn kind(&self) -> NativeStringKind {
        self.kind
    }

    /// Gives up ownership: the pointer and the buffer's size in bytes, for
    /// [`StringBuffer::from_raw`].
    pub fn into_raw(self) -> (*mut c_void, usize) {
        let me = core::mem::ManuallyDrop::new(self);
        (me.ptr.cast(), me.byte_size)
    }

    /// Takes back a buffer given up by [`StringBuffer::into_raw`].
    ///
    /// # Safety
    /// `ptr` and `byte_size` come from `into_raw` of a buffer of this `kind`, and
    /// the buffer is taken back once.
    pub unsafe fn from_raw(kind: NativeStringKind, ptr: *mut c_void, byte_size: usize) -> StringBuffer {
        StringBuffer { kind, ptr: ptr.cast(), byte_size }
    }

    /// The contents after the call: up to the first NUL, or the whole buffer.
    pub fn read(&self, opts: &StringOptions) -> Result<U16String, StringError> {
        let capacity = if self.kind.is_wide() { self.byte_size / 2 } else { self.byte_size };
        let kind = if self.kind == NativeStringKind::LPStr { NativeStringKind::LPStr } else { self.kind };
        // SAFETY: `ptr` holds `byte_size` initialised bytes (zeroed at allocation).
        unsafe { read_native_bounded(kind, self.ptr.cast(), capacity, opts) }.map(Option::unwrap_or_default)
    }
}

impl Drop for StringBuffer {
    fn drop(&mut self) {
        // SAFETY: the block is owned and freed once.
        unsafe { CoTaskMem::free(self.ptr) }
    }
}

/// Writes a `ByValTStr` field: `dst` is the whole inline buffer (`SizeConst` characters:
/// `SizeConst × 2` bytes when `wide`, `SizeConst` bytes for ANSI). As the CLR:
/// - wide: the first `min(len, SizeConst - 1)` units (a surrogate pair may be cut), then NUL;
/// - ANSI: the first `min(len, SizeConst - 1)` units encoded; more than `SizeConst` bytes
///   is an error ([`StringError::ByValTStrOverflow`], CoreCLR's ArgumentException),
///   exactly `SizeConst` bytes has its last byte replaced by the NUL;
/// - `None` (a null string) writes an empty string.
///
/// Bytes after the terminator are left as they were (CoreCLR does not touch them).
///
/// ```
/// use marshal_core::strings::{write_by_val_tstr, read_by_val_tstr, AnsiOptions, StringOptions};
/// let mut field = [0xCCu8; 8];
/// let s: Vec<u16> = "abcdef".encode_utf16().collect();
/// write_by_val_tstr(&mut field, Some(&s), true, &AnsiOptions::UTF8).unwrap();
/// assert_eq!(field, [0x61, 0, 0x62, 0, 0x63, 0, 0, 0]);
/// let back = read_by_val_tstr(&field, true, &StringOptions::CORECLR_UNIX).unwrap();
/// assert_eq!(back.to_string_lossy(), "abc");
/// ```
pub fn write_by_val_tstr(dst: &mut [u8], s: Option<&[u16]>, wide: bool, ansi: &AnsiOptions) -> Result<(), StringError> {
    let size_const = if wide { dst.len() / 2 } else { dst.len() };
    if size_const == 0 {
        return Err(StringError::ZeroSizeConst);
    }
    let s = s.unwrap_or(&[]);
    let n = s.len().min(size_const - 1);
    if wide {
        for (i, &u) in s[..n].iter().enumerate() {
            dst[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
        dst[2 * n..2 * n + 2].fill(0);
        return Ok(());
    }
    let mut bytes = Vec::with_capacity(n * 3);
    encode_ansi(&s[..n], ansi, &mut bytes)?;
    if bytes.len() > size_const {
        return Err(StringError::ByValTStrOverflow { needed: bytes.len(), capacity: size_const });
    }
    let end = bytes.len().min(size_const - 1);
    dst[..end].copy_from_slice(&bytes[..end]);
    dst[end] = 0;
    Ok(())
}

/// Reads a `ByValTStr` field back: characters up to the first NUL or the end of the
/// buffer (`src` is the whole inline buffer).
pub fn read_by_val_tstr(src: &[u8], wide: bool, opts: &StringOptions) -> Result<U16String, StringError> {
    if wide {
        let units: Vec<u16> =
            src.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|&u| u != 0).collect();
        return Ok(U16String::from_vec(units));
    }
    let n = src.iter().position(|&b| b == 0).unwrap_or(src.len());
    Ok(U16String::from_vec(super::ansi::decode_ansi(&src[..n], opts.ansi.code_page, opts.invalid_utf8)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alloc::tracking::LeakCheck;

    fn w(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn by_val_tstr_matches_coreclr_rules() {
        let utf8 = AnsiOptions::UTF8;
        // Expected bytes from the Mono 6.8 / CoreCLR vectors (S_TStrAnsi, S_TStrUnicode).
        let mut f = [0u8; 8];
        write_by_val_tstr(&mut f, Some(&w("abcdefgh")), false, &utf8).unwrap();
        assert_eq!(f, *b"abcdefg\0");
        write_by_val_tstr(&mut f, Some(&w("hé€é")), false, &utf8).unwrap();
        assert_eq!(f, [0x68, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xC3, 0x00]);
        assert_eq!(
            write_by_val_tstr(&mut f, Some(&w("ééééé")), false, &utf8),
            Err(StringError::ByValTStrOverflow { needed: 10, capacity: 8 })
        );
        let mut u = [0xCCu8; 8];
        write_by_val_tstr(&mut u, Some(&w("ab😀")), true, &utf8).unwrap();
        assert_eq!(u, [0x61, 0, 0x62, 0, 0x3D, 0xD8, 0, 0]);
        write_by_val_tstr(&mut u, None, true, &utf8).unwrap();
        assert_eq!(&u[..2], &[0, 0]);
        assert_eq!(write_by_val_tstr(&mut [], Some(&w("a")), false, &utf8), Err(StringError::ZeroSizeConst));

        // Reading stops at the first NUL or the end.
        let opts = StringOptions::CORECLR_UNIX;
        assert_eq!(read_by_val_tstr(b"abcdefgh", false, &opts).unwrap().to_string_lossy(), "abcdefgh");
        assert_eq!(read_by_val_tstr(b"ab\0cdefg", false, &opts).unwrap().to_string_lossy(), "ab");
    }

    #[test]
    fn string_buffer_never_reads_past_capacity() {
        let check = LeakCheck::start();
        let opts = StringOptions::CORECLR_UNIX;
        for kind in [NativeStringKind::LPWStr, NativeStringKind::LPUTF8Str, NativeStringKind::LPStr] {
            let mut b = StringBuffer::new(kind, 4, &w("ab"), &opts.ansi).unwrap();
            assert_eq!(b.read(&opts).unwrap().to_string_lossy(), "ab");
            // The callee fills every byte, no terminator.
            let size = b.byte_size();
            // SAFETY: the buffer holds `size` bytes.
            unsafe { core::ptr::write_bytes(b.as_mut_ptr().cast::<u8>(), 0x41, size) };
            let back = b.read(&opts).unwrap();
            assert_eq!(back.len(), if kind.is_wide() { size / 2 } else { size });
        }
        assert!(StringBuffer::new(NativeStringKind::BStr, 4, &[], &opts.ansi).is_err());
        check.assert_no_leaks();
    }
}
