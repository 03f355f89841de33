//! BSTR allocation for VARIANT payloads, delegated to [`crate::bstr::Bstr`] so that VARIANTs
//! and every other BSTR of the process share one allocator.

use crate::bstr::Bstr;

/// Allocates a BSTR holding `units`; null on allocation failure.
pub(crate) fn alloc_units(units: &[u16]) -> *mut u16 {
    Bstr::from_wide(units).map(Bstr::into_raw).unwrap_or(core::ptr::null_mut())
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
