//! Native string forms: the owned to-native result ([`NativeString`]) and the
//! from-native readers.

use core::ffi::c_void;
use core::ptr;

use widestring::U16String;

use super::ansi::{decode_ansi, encode_ansi, AnsiOptions, CodePage};
use super::error::StringError;
use super::transcode::{self, InvalidUtf8};
use crate::alloc::CoTaskMem;
use crate::bstr::{Bstr, BstrRef};
use crate::layout::Target;
use crate::types::{CharSet, StringRepr};

/// A native string form, with `ByCharSet`, `LPTStr` and `TBStr` already resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NativeStringKind {
    /// NUL-terminated ANSI (UTF-8 on Unix), `CoTaskMem`.
    LPStr,
    /// NUL-terminated UTF-16, `CoTaskMem`.
    LPWStr,
    /// NUL-terminated UTF-8, `CoTaskMem`.
    LPUTF8Str,
    /// Length-prefixed UTF-16, the BSTR allocator.
    BStr,
    /// A BSTR whose payload is ANSI bytes (no NUL; read back up to the first NUL).
    AnsiBStr,
}

/// Which allocator frees a native string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NativeAllocator {
    /// `CoTaskMemFree`.
    CoTaskMem,
    /// `SysFreeString`.
    Bstr,
}

impl NativeStringKind {
    /// The form a `[MarshalAs]` (or its absence) gives on this host: `ByCharSet` follows
    /// `charset` (Auto = Unicode on Windows, ANSI elsewhere), `LPTStr` is LPWStr and
    /// `TBStr` is BStr, as in CoreCLR.
    pub fn resolve(repr: StringRepr, charset: CharSet) -> NativeStringKind {
        NativeStringKind::resolve_for(repr, charset, Target::host())
    }

    /// [`NativeStringKind::resolve`] for a given target OS.
    pub fn resolve_for(repr: StringRepr, charset: CharSet, target: Target) -> NativeStringKind {
        match repr {
            StringRepr::ByCharSet if charset.is_unicode_on(target) => NativeStringKind::LPWStr,
            StringRepr::ByCharSet => NativeStringKind::LPStr,
            StringRepr::LPStr => NativeStringKind::LPStr,
            StringRepr::LPWStr | StringRepr::LPTStr => NativeStringKind::LPWStr,
            StringRepr::LPUTF8Str => NativeStringKind::LPUTF8Str,
            StringRepr::BStr | StringRepr::TBStr => NativeStringKind::BStr,
            StringRepr::AnsiBStr => NativeStringKind::AnsiBStr,
        }
    }

    /// Whether the native characters are UTF-16 units.
    pub const fn is_wide(self) -> bool {
        matches!(self, NativeStringKind::LPWStr | NativeStringKind::BStr)
    }

    /// The allocator the ABI names for this form.
    pub const fn allocator(self) -> NativeAllocator {
        match self {
            NativeStringKind::BStr | NativeStringKind::AnsiBStr => NativeAllocator::Bstr,
            _ => NativeAllocator::CoTaskMem,
        }
    }

    /// The code page of the form's bytes (`None` for UTF-16 forms).
    fn code_page(self, ansi: &AnsiOptions) -> Option<CodePage> {
        match self {
            NativeStringKind::LPStr | NativeStringKind::AnsiBStr => Some(ansi.code_page),
            NativeStringKind::LPUTF8Str => Some(CodePage::Utf8),
            NativeStringKind::LPWStr | NativeStringKind::BStr => None,
        }
    }
}

/// Options of every conversion: the ANSI code page and flags, and what to do with
/// invalid UTF-8 coming from native code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StringOptions {
    /// ANSI code page, `BestFitMapping`, `ThrowOnUnmappableChar`.
    pub ansi: AnsiOptions,
    /// Invalid UTF-8 read from native memory: replaced (CoreCLR) or an error.
    pub invalid_utf8: InvalidUtf8,
}

impl StringOptions {
    /// CoreCLR on Unix: ANSI is UTF-8, invalid UTF-8 replaced.
    pub const CORECLR_UNIX: StringOptions =
        StringOptions { ansi: AnsiOptions::UTF8, invalid_utf8: InvalidUtf8::Replace };
}

/// Length of a NUL-terminated UTF-16 string.
///
/// # Safety
/// `p` points at a NUL-terminated UTF-16 string.
#[inline]
pub(crate) unsafe fn wide_strlen(p: *const u16) -> usize {
    let mut n = 0;
    // SAFETY: every unit up to and including the NUL is readable.
    unsafe {
        while *p.add(n) != 0 {
            n += 1;
        }
    }
    n
}

/// Length of a NUL-terminated byte string.
///
/// # Safety
/// `p` points at a NUL-terminated byte string.
#[inline]
pub(crate) unsafe fn narrow_strlen(p: *const u8) -> usize {
    // SAFETY: forwarded contract (libc's strlen is the vectorised scan std uses too).
    unsafe { core::ffi::CStr::from_ptr(p.cast()).count_bytes() }
}

/// Allocates `bytes` + `zeros` zero bytes in CoTaskMem.
fn co_task_mem_copy(bytes: &[u8], zeros: usize) -> Result<*mut c_void, StringError> {
    CoTaskMem::alloc_copy(bytes, zeros).map(|p| p.as_ptr().cast()).ok_or(StringError::OutOfMemory)
}

/// UTF-16 → NUL-terminated UTF-8 straight into a CoTaskMem block.
fn utf16_to_co_task_mem_utf8(src: &[u16]) -> Result<*mut c_void, StringError> {
    let cap = transcode::simd_utf8_capacity(src);
    if cap != 0 {
        let p = CoTaskMem::alloc(cap + 1);
        if p.is_null() {
            return Err(StringError::OutOfMemory);
        }
        // SAFETY: `p` has room for the SIMD converter plus the terminator.
        unsafe {
            if let Some(n) = transcode::utf16_to_utf8_simd(src, p) {
                *p.add(n) = 0;
                return Ok(p.cast());
            }
            CoTaskMem::free(p);
        }
    }
    let n = transcode::utf8_len_lossy(src);
    let p = CoTaskMem::alloc_zeroed(n + 1);
    if p.is_null() {
        return Err(StringError::OutOfMemory);
    }
    // SAFETY: `p` holds n + 1 zeroed (initialised) bytes.
    transcode::utf16_to_utf8_exact(src, unsafe { core::slice::from_raw_parts_mut(p, n) });
    Ok(p.cast())
}

/// A native string owned by Rust, made by a to-native conversion; dropping it frees it
/// with the allocator its form names (`CoTaskMemFree` / `SysFreeString`).
///
/// The whole managed string is converted, embedded NULs included: for NUL-terminated
/// forms native readers stop at the first NUL (the CLR writes the same bytes), a BSTR
/// keeps them.
///
/// ```
/// use marshal_core::strings::{NativeString, NativeStringKind, StringOptions};
/// let opts = StringOptions::CORECLR_UNIX;
/// let s: Vec<u16> = "héllo".encode_utf16().collect();
/// let native = NativeString::from_wide(NativeStringKind::LPUTF8Str, &s, &opts.ansi).unwrap();
/// assert_eq!(native.bytes_with_terminator(), b"h\xC3\xA9llo\0");
/// // SAFETY: `native` is a live LPUTF8Str.
/// let back = unsafe { marshal_core::strings::read_native(native.kind(), native.as_ptr(), &opts) };
/// assert_eq!(back.unwrap().unwrap().as_slice(), &s[..]);
/// ```
#[derive(Debug)]
pub struct NativeString {
    kind: NativeStringKind,
    ptr: *mut c_void,
}

// SAFETY: the block is owned exclusively; both allocators are thread-safe.
unsafe impl Send for NativeString {}
// SAFETY: shared access only reads.
unsafe impl Sync for NativeString {}

impl NativeString {
    /// The null string of a form (a null pointer).
    pub const fn null(kind: NativeStringKind) -> NativeString {
        NativeString { kind, ptr: ptr::null_mut() }
    }

    /// Converts a managed string (UTF-16, possibly ill-formed) to a native one.
    pub fn from_wide(kind: NativeStringKind, s: &[u16], ansi: &AnsiOptions) -> Result<NativeString, StringError> {
        let ptr: *mut c_void = match kind {
            NativeStringKind::LPWStr => {
                // SAFETY: viewing initialised u16s as their bytes.
                let bytes = unsafe { core::slice::from_raw_parts(s.as_ptr().cast::<u8>(), s.len() * 2) };
                co_task_mem_copy(bytes, 2)?
            }
            NativeStringKind::BStr => Bstr::from_wide(s)?.into_raw().cast(),
            NativeStringKind::LPUTF8Str => utf16_to_co_task_mem_utf8(s)?,
            NativeStringKind::LPStr if ansi.code_page == CodePage::Utf8 => utf16_to_co_task_mem_utf8(s)?,
            NativeStringKind::LPStr => {
                let mut bytes = Vec::new();
                encode_ansi(s, ansi, &mut bytes)?;
                co_task_mem_copy(&bytes, 1)?
            }
            NativeStringKind::AnsiBStr => {
                let mut bytes = Vec::new();
                encode_ansi(s, ansi, &mut bytes)?;
                Bstr::from_bytes(&bytes)?.into_raw().cast()
            }
        };
        Ok(NativeString { kind, ptr })
    }

    /// [`NativeString::from_wide`] with `None` giving the null string.
    pub fn from_optional_wide(
        kind: NativeStringKind,
        s: Option<&[u16]>,
        ansi: &AnsiOptions,
    ) -> Result<NativeString, StringError> {
        match s {
            None => Ok(NativeString::null(kind)),
            Some(s) => NativeString::from_wide(kind, s, ansi),
        }
    }

    /// Converts a Rust string (no UTF-16 detour for the UTF-8 forms).
    pub fn from_str(kind: NativeStringKind, s: &str, ansi: &AnsiOptions) -> Result<NativeString, StringError> {
        let ptr: *mut c_void = match kind {
            NativeStringKind::LPUTF8Str => co_task_mem_copy(s.as_bytes(), 1)?,
            NativeStringKind::LPStr | NativeStringKind::AnsiBStr if ansi.code_page == CodePage::Utf8 => {
                if kind == NativeStringKind::LPStr {
                    co_task_mem_copy(s.as_bytes(), 1)?
                } else {
                    Bstr::from_bytes(s.as_bytes())?.into_raw().cast()
                }
            }
            NativeStringKind::BStr => transcode::str_to_bstr(s)?.into_raw().cast(),
            NativeStringKind::LPWStr => {
                let n = transcode::utf16_len_from_str(s);
                let bytes = n.checked_add(1).and_then(|u| u.checked_mul(2)).ok_or(StringError::OutOfMemory)?;
                let p = CoTaskMem::alloc(bytes).cast::<u16>();
                if p.is_null() {
                    return Err(StringError::OutOfMemory);
                }
                // SAFETY: `p` has room for n units and the terminator.
                unsafe {
                    let w = transcode::str_to_utf16_raw(s, p);
                    *p.add(w) = 0;
                }
                p.cast()
            }
            NativeStringKind::LPStr | NativeStringKind::AnsiBStr => {
                let units = transcode::str_to_utf16_vec(s, 0);
                return NativeString::from_wide(kind, &units, ansi);
            }
        };
        Ok(NativeString { kind, ptr })
    }

    /// Takes ownership of a native string of form `kind` (null allowed).
    ///
    /// # Safety
    /// `ptr` is null or a live string of that form from the allocator the form names,
    /// which nothing else frees.
    pub const unsafe fn from_raw(kind: NativeStringKind, ptr: *mut c_void) -> NativeString {
        NativeString { kind, ptr }
    }

    /// The form.
    pub const fn kind(&self) -> NativeStringKind {
        self.kind
    }

    /// The native pointer (`char*`, `WCHAR*` or `BSTR`), still owned.
    pub const fn as_ptr(&self) -> *mut c_void {
        self.ptr
    }

    /// Whether this is the null string.
    pub const fn is_null(&self) -> bool {
        self.ptr.is_null()
    }

    /// Gives up ownership; free it with [`free_native`] (or the form's allocator).
    pub fn into_raw(self) -> *mut c_void {
        let p = self.ptr;
        core::mem::forget(self);
        p
    }

    /// The native bytes: for NUL-terminated forms up to and including the first
    /// terminator (1 byte, or 2 for LPWStr); for BSTR forms the 4-byte prefix, the payload
    /// and the 2-byte terminator (what `Marshal.StringTo*` vectors record). Empty for null.
    pub fn bytes_with_terminator(&self) -> &[u8] {
        if self.ptr.is_null() {
            return &[];
        }
        // SAFETY: `ptr` is a live string of its form owned by `self`.
        unsafe {
            match self.kind {
                NativeStringKind::LPWStr => {
                    let n = wide_strlen(self.ptr.cast());
                    core::slice::from_raw_parts(self.ptr.cast::<u8>(), n * 2 + 2)
                }
                NativeStringKind::LPStr | NativeStringKind::LPUTF8Str => {
                    let n = narrow_strlen(self.ptr.cast());
                    core::slice::from_raw_parts(self.ptr.cast::<u8>(), n + 1)
                }
                NativeStringKind::BStr | NativeStringKind::AnsiBStr => {
                    let n = BstrRef::from_raw(self.ptr.cast()).byte_len();
                    core::slice::from_raw_parts(self.ptr.cast::<u8>().sub(4), 4 + n + 2)
                }
            }
        }
    }

    /// Reads the string back (as the CLR's from-native conversion would).
    pub fn to_wide(&self, opts: &StringOptions) -> Result<Option<U16String>, StringError> {
        // SAFETY: `ptr` is a live string of its form owned by `self`.
        unsafe { read_native(self.kind, self.ptr, opts) }
    }
}

impl Drop for NativeString {
    fn drop(&mut self) {
        // SAFETY: an owned live string of its form, freed once.
        unsafe { free_native(self.kind, self.ptr) }
    }
}

/// Frees a native string with the allocator its form names (`CoTaskMemFree` or
/// `SysFreeString`). Null is ignored.
///
/// # Safety
/// `ptr` is null or a live string of that form from that allocator, not used afterwards.
pub unsafe fn free_native(kind: NativeStringKind, ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: forwarded contract.
    unsafe {
        match kind.allocator() {
            NativeAllocator::CoTaskMem => CoTaskMem::free(ptr.cast()),
            NativeAllocator::Bstr => crate::bstr::sys_free_string(ptr.cast()),
        }
    }
}

/// Decodes narrow bytes of a form.
fn decode_narrow(kind: NativeStringKind, bytes: &[u8], opts: &StringOptions) -> Result<Vec<u16>, StringError> {
    let cp = kind.code_page(&opts.ansi).unwrap_or(CodePage::Utf8);
    decode_ansi(bytes, cp, opts.invalid_utf8)
}

/// Reads a native string into a managed one (null → `None`): LPWStr / LPStr / LPUTF8Str
/// up to the first NUL, BSTR by its length prefix (embedded NULs kept; an odd trailing
/// byte is not a unit), AnsiBStr up to the first NUL (the prefix ignored, as the CLR).
///
/// # Safety
/// `ptr` is null or a valid string of that form (NUL-terminated, or with a valid BSTR
/// prefix), readable while the call runs.
pub unsafe fn read_native(
    kind: NativeStringKind,
    ptr: *const c_void,
    opts: &StringOptions,
) -> Result<Option<U16String>, StringError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    let units = unsafe {
        match kind {
            NativeStringKind::LPWStr => {
                let n = wide_strlen(ptr.cast());
                core::slice::from_raw_parts(ptr.cast::<u16>(), n).to_vec()
            }
            NativeStringKind::BStr => BstrRef::from_raw(ptr.cast()).as_wide().to_vec(),
            NativeStringKind::LPStr | NativeStringKind::LPUTF8Str | NativeStringKind::AnsiBStr => {
                let n = narrow_strlen(ptr.cast());
                decode_narrow(kind, core::slice::from_raw_parts(ptr.cast::<u8>(), n), opts)?
            }
        }
    };
    Ok(Some(U16String::from_vec(units)))
}

/// Reads exactly `len` characters — UTF-16 units for wide forms, bytes for narrow ones —
/// embedded NULs included (`Marshal.PtrToStringUni(p, len)` / `PtrToStringAnsi(p, len)`).
/// A null pointer is an error, as in .NET.
///
/// # Safety
/// `ptr` is null or readable for `len` units / bytes.
pub unsafe fn read_native_len(
    kind: NativeStringKind,
    ptr: *const c_void,
    len: usize,
    opts: &StringOptions,
) -> Result<U16String, StringError> {
    if ptr.is_null() {
        return Err(StringError::NullPointer);
    }
    // SAFETY: forwarded contract.
    let units = unsafe {
        if kind.is_wide() {
            core::slice::from_raw_parts(ptr.cast::<u16>(), len).to_vec()
        } else {
            decode_narrow(kind, core::slice::from_raw_parts(ptr.cast::<u8>(), len), opts)?
        }
    };
    Ok(U16String::from_vec(units))
}

/// Reads a string from a buffer of known capacity (units for wide forms, bytes for
/// narrow ones): up to the first NUL, or the whole buffer when it has none. Never reads
/// past `capacity`.
///
/// # Safety
/// `ptr` is null or readable for `capacity` units / bytes.
pub unsafe fn read_native_bounded(
    kind: NativeStringKind,
    ptr: *const c_void,
    capacity: usize,
    opts: &StringOptions,
) -> Result<Option<U16String>, StringError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    let units = unsafe {
        if kind.is_wide() {
            let all = core::slice::from_raw_parts(ptr.cast::<u16>(), capacity);
            let n = all.iter().position(|&u| u == 0).unwrap_or(capacity);
            all[..n].to_vec()
        } else {
            let all = core::slice::from_raw_parts(ptr.cast::<u8>(), capacity);
            let n = all.iter().position(|&b| b == 0).unwrap_or(capacity);
            decode_narrow(kind, &all[..n], opts)?
        }
    };
    Ok(Some(U16String::from_vec(units)))
}

/// The Out / return-value step: reads a native string the callee produced, then frees it
/// with the allocator its form names — also when reading fails.
///
/// # Safety
/// As [`read_native`], and `ptr` is owned by the caller (null, or from the form's
/// allocator) and not used afterwards.
pub unsafe fn take_native(
    kind: NativeStringKind,
    ptr: *mut c_void,
    opts: &StringOptions,
) -> Result<Option<U16String>, StringError> {
    // SAFETY: forwarded contract; the string is freed once whatever the outcome.
    unsafe {
        let result = read_native(kind, ptr, opts);
        free_native(kind, ptr);
        result
    }
}

/// `Marshal.PtrToStringBSTR`: a BSTR's units by its length prefix; null is an error.
///
/// # Safety
/// `bstr` is null or a valid BSTR.
pub unsafe fn ptr_to_string_bstr(bstr: *const u16) -> Result<U16String, StringError> {
    if bstr.is_null() {
        return Err(StringError::NullPointer);
    }
    // SAFETY: forwarded contract.
    Ok(unsafe { BstrRef::from_raw(bstr) }.to_u16_string())
}
