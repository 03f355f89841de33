//! BSTR allocation for VARIANT payloads, delegated to [`crate::bstr::Bstr`] so that VARIANTs
//! and every other BSTR of the process share one allocator.

use core::mem::MaybeUninit;

use crate::bstr::Bstr;

/// Allocates a BSTR holding `units`; null on allocation failure.
#[inline]
pub(crate) fn alloc_units(units: &[u16]) -> *mut u16 {
    Bstr::from_wide(units).map(Bstr::into_raw).unwrap_or(core::ptr::null_mut())
}

/// Allocates a BSTR of `len` code units and lets `fill` write them; null on allocation
/// failure (or a length beyond what a BSTR can hold).
///
/// # Safety
/// `fill` initialises every one of the `len` units it is given.
#[inline]
pub(crate) unsafe fn alloc_fill(len: usize, fill: impl FnOnce(&mut [MaybeUninit<u16>])) -> *mut u16 {
    let Some(byte_len) = len.checked_mul(2) else { return core::ptr::null_mut() };
    // SAFETY: `fill` writes all `len` units = `byte_len` bytes (this function's contract).
    let bstr = unsafe {
        Bstr::from_fill(byte_len, |p| {
            // SAFETY: `p` is the payload: `len` units, 2-aligned (BstrAllocator contract);
            // MaybeUninit makes no claim on its contents.
            fill(core::slice::from_raw_parts_mut(p.cast::<MaybeUninit<u16>>(), len))
        })
    };
    bstr.map(Bstr::into_raw).unwrap_or(core::ptr::null_mut())
}

/// Allocates a BSTR holding `s` as UTF-16; null on allocation failure. ASCII text (the
/// common case for VARIANT strings) is widened straight into the BSTR's payload, a loop
/// the compiler vectorises; other text goes through the crate's transcoder.
pub(crate) fn alloc_str(s: &str) -> *mut u16 {
    if s.is_ascii() {
        let bytes = s.as_bytes();
        // SAFETY: the fill writes all `bytes.len()` units (one per byte).
        unsafe {
            alloc_fill(bytes.len(), |units| {
                // Indexed stores through one raw pointer over exactly `bytes.len()` units: a
                // loop the compiler widens 16 or 32 bytes at a time (the zip of two slice
                // iterators it did not).
                let dst = units.as_mut_ptr().cast::<u16>();
                for (i, &byte) in bytes.iter().enumerate() {
                    // SAFETY: `i < bytes.len()`, the number of units given to the fill.
                    dst.add(i).write(byte as u16);
                }
            })
        }
    } else {
        crate::strings::transcode::str_to_bstr(s).map(Bstr::into_raw).unwrap_or(core::ptr::null_mut())
    }
}

/// A copy of a BSTR with the same byte length (`SysAllocStringByteLen(p, SysStringByteLen(p))`,
/// as `VariantCopy` makes it: an odd byte length is kept). `E_OUTOFMEMORY` on failure.
///
/// # Safety
/// `p` is a valid, non-null BSTR.
pub(crate) unsafe fn copy(p: *const u16) -> Result<*mut u16, crate::hresult::Hresult> {
    // SAFETY: a valid BSTR's byte length covers its payload.
    let q = unsafe { crate::bstr::sys_alloc_string_byte_len(p as *const u8, crate::bstr::sys_string_byte_len(p as _)) };
    if q.is_null() {
        Err(crate::hresult::Hresult::E_OUTOFMEMORY)
    } else {
        Ok(q)
    }
}

/// Frees a BSTR; null is ignored.
///
/// # Safety
/// `p` is null or a live BSTR of the process's allocator, not used afterwards.
#[inline]
pub(crate) unsafe fn free(p: *mut u16) {
    // SAFETY: forwarded contract; dropping the Bstr frees it exactly once.
    drop(unsafe { Bstr::from_raw(p) });
}

/// The units of a BSTR (empty for null).
///
/// # Safety
/// `p` is null or a valid BSTR that outlives `'a`.
pub(crate) unsafe fn units<'a>(p: *const u16) -> &'a [u16] {
    if p.is_null() {
        return &[];
    }
    // SAFETY: a valid BSTR has its byte length in the 4 bytes before it.
    unsafe {
        let bytes = ((p as *const u8).sub(4) as *const u32).read_unaligned() as usize;
        core::slice::from_raw_parts(p, bytes / 2)
    }
}
