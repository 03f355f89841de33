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
/// On x86_64 the scan reads aligned 16-byte blocks (SSE2), as libc's `strlen` (which
/// `CStr::from_ptr` relies on) reads aligned blocks of bytes: an aligned block that holds
/// one readable unit lies within one page, so it is readable too, and the block holding
/// the terminator is the last one read. Elsewhere, or for an odd address, a plain loop.
///
/// # Safety
/// `p` points at a NUL-terminated UTF-16 string.
#[inline]
pub(crate) unsafe fn wide_strlen(p: *const u16) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        if (p as usize) % 2 == 0 {
            // SAFETY: forwarded contract; `p` is 2-aligned.
            return unsafe { wide_strlen_sse2(p) };
        }
    }
    // SAFETY: forwarded contract.
    unsafe { wide_strlen_scalar(p) }
}

/// # Safety
/// As [`wide_strlen`].
#[inline]
unsafe fn wide_strlen_scalar(p: *const u16) -> usize {
    let mut n = 0;
    // SAFETY: every unit up to and including the NUL is readable (unaligned reads).
    unsafe {
        while p.add(n).read_unaligned() != 0 {
            n += 1;
        }
    }
    n
}

/// # Safety
/// `p` is 2-aligned and points at a NUL-terminated UTF-16 string.
#[cfg(target_arch = "x86_64")]
unsafe fn wide_strlen_sse2(p: *const u16) -> usize {
    // Units before the first 16-byte boundary, one by one (never past the terminator).
    let mut q = p;
    while (q as usize) % 16 != 0 {
        // SAFETY: units up to the terminator are readable; we stop at it.
        if unsafe { *q } == 0 {
            // SAFETY: both pointers are in the same string.
            return unsafe { q.offset_from(p) } as usize;
        }
        // SAFETY: the terminator is further on.
        q = unsafe { q.add(1) };
    }
    let mut block = q;
    let mask: u32;
    // SAFETY: `block` is 16-aligned and its first unit is readable (no terminator was seen
    // before it), so the whole aligned block is on that unit's page; each following block
    // is read only after the previous one was found to hold no NUL unit, i.e. when the
    // string continues into it. The block holding the terminator is the last one read, and
    // the terminator itself is in it (units are 2-aligned and never straddle blocks). The
    // loop is unrolled four times with a check after each load. The asm only reads.
    unsafe {
        core::arch::asm!(
            "pxor {zero}, {zero}",
            "2:",
            "movdqa {x}, xmmword ptr [{block}]",
            "pcmpeqw {x}, {zero}",
            "pmovmskb {mask:e}, {x}",
            "test {mask:e}, {mask:e}",
            "jnz 3f",
            "movdqa {x}, xmmword ptr [{block} + 16]",
            "pcmpeqw {x}, {zero}",
            "pmovmskb {mask:e}, {x}",
            "test {mask:e}, {mask:e}",
            "jnz 4f",
            "movdqa {x}, xmmword ptr [{block} + 32]",
            "pcmpeqw {x}, {zero}",
            "pmovmskb {mask:e}, {x}",
            "test {mask:e}, {mask:e}",
            "jnz 5f",
            "movdqa {x}, xmmword ptr [{block} + 48]",
            "pcmpeqw {x}, {zero}",
            "pmovmskb {mask:e}, {x}",
            "add {block}, 64",
            "test {mask:e}, {mask:e}",
            "jz 2b",
            "sub {block}, 16",
            "jmp 3f",
            "5:",
            "add {block}, 16",
            "4:",
            "add {block}, 16",
            "3:",
            block = inout(reg) block,
            mask = out(reg) mask,
            x = out(xmm_reg) _,
            zero = out(xmm_reg) _,
            options(nostack, readonly),
        );
    }
    let byte_in_block = mask.trailing_zeros() as usize;
    (block as usize + byte_in_block - p as usize) / 2
}

/// Copies `n` UTF-16 units from a possibly unaligned address.
///
/// # Safety
/// `p` is readable for `n * 2` bytes.
unsafe fn copy_units(p: *const u16, n: usize) -> Vec<u16> {
    let mut v: Vec<u16> = Vec::with_capacity(n);
    // SAFETY: `v` has room for n units; a byte copy needs no alignment of the source.
    unsafe {
        ptr::copy_nonoverlapping(p.cast::<u8>(), v.as_mut_ptr().cast::<u8>(), n * 2);
        v.set_len(n);
    }
    v
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

/// UTF-16 → NUL-terminated UTF-8 straight into a CoTaskMem block: one pass into a
/// worst-case-sized block, as `Marshal.StringToCoTaskMemUTF8` does; a large unused
/// remainder is given back with an in-place `realloc` (see [`transcode::SHRINK_ABOVE`]).
fn utf16_to_co_task_mem_utf8(src: &[u16]) -> Result<*mut c_void, StringError> {
    let cap = transcode::utf8_capacity(src.len()) + 1;
    let p = CoTaskMem::alloc(cap);
    if p.is_null() {
        return Err(StringError::OutOfMemory);
    }
    // SAFETY: `p` has room for the converter's worst case plus the terminator.
    let n = unsafe { transcode::utf16_to_utf8_raw(src, p) };
    // SAFETY: n < cap.
    unsafe { *p.add(n) = 0 };
    if cap - (n + 1) > transcode::SHRINK_ABOVE {
        // SAFETY: `p` is a live CoTaskMem block; on failure it stays valid and is kept.
        let q = unsafe { CoTaskMem::realloc(p, n + 1) };
        if !q.is_null() {
            return Ok(q.cast());
        }
    }
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
#[inline]
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
#[inline]
fn decode_narrow(kind: NativeStringKind, bytes: &[u8], opts: &StringOptions) -> Result<Vec<u16>, StringError> {
    match kind.code_page(&opts.ansi).unwrap_or(CodePage::Utf8) {
        // UTF-8 straight to the transcoder: this is every narrow form on Unix.
        CodePage::Utf8 => Ok(transcode::utf8_to_utf16(bytes, opts.invalid_utf8)?),
        cp => decode_ansi(bytes, cp, opts.invalid_utf8),
    }
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
                copy_units(ptr.cast(), n)
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
            copy_units(ptr.cast(), len)
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
            let all = copy_units(ptr.cast(), capacity);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_strlen_agrees_with_a_plain_scan_at_every_alignment() {
        // Strings ending near a page end test that the block reads stay on the page.
        let page = 4096;
        let mut buf: Vec<u16> = vec![0x41; page * 2];
        let base = buf.as_mut_ptr();
        for start in 0..80 {
            for len in [0usize, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 200] {
                // SAFETY: start + len + 1 < buf.len(); the terminator is written first.
                unsafe {
                    let s = base.add(start);
                    *s.add(len) = 0;
                    assert_eq!(wide_strlen(s), len, "start {start} len {len}");
                    assert_eq!(wide_strlen_scalar(s), len);
                    *s.add(len) = 0x41;
                }
            }
        }
        // An odd address takes the plain loop.
        let bytes: Vec<u8> = vec![0, 0x41, 0, 0x42, 0, 0, 0];
        // SAFETY: a NUL-terminated sequence of unaligned units at offset 1.
        assert_eq!(unsafe { wide_strlen(bytes.as_ptr().add(1).cast()) }, 2);
    }

    #[test]
    #[cfg(unix)]
    fn wide_strlen_never_touches_the_next_page() {
        // SAFETY: a private anonymous mapping of two pages, the second made inaccessible;
        // strings are written to end exactly at the first page's end.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
            let m = libc::mmap(
                ptr::null_mut(),
                2 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(m, libc::MAP_FAILED);
            assert_eq!(libc::mprotect(m.cast::<u8>().add(page).cast(), page, libc::PROT_NONE), 0);
            let end = m.cast::<u8>().add(page);
            for len in 0..200usize {
                let s = end.sub((len + 1) * 2).cast::<u16>();
                for i in 0..len {
                    *s.add(i) = 0x41;
                }
                *s.add(len) = 0;
                assert_eq!(wide_strlen(s), len);
            }
            libc::munmap(m, 2 * page);
        }
    }
}
