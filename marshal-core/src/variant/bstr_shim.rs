//! BSTR allocation for VARIANT payloads.
//!
//! The project's `Bstr` type (marshal-core/src/bstr.rs, strings engineer) had not landed
//! when this module was written. These three functions are the only place the variant code
//! allocates or frees BSTRs; they use the BSTR layout of DESIGN.md (4-byte byte length
//! before the data, two zero bytes after) on the global allocator. When `Bstr` lands they
//! must delegate to it so that both use one allocator.

use std::alloc::{alloc, dealloc, Layout};

fn layout(units: usize) -> Option<Layout> {
    // prefix (4) + data + terminator (2), rounded to 8 so the pointer after the prefix is
    // 4 mod 8 like SysAllocString's.
    let size = 4usize.checked_add(units.checked_mul(2)?)?.checked_add(2)?;
    Layout::from_size_align(size, 8).ok()
}

/// Allocates a BSTR holding `units`; null on allocation failure or a length past u32.
pub(crate) fn alloc_units(units: &[u16]) -> *mut u16 {
    let Some(l) = layout(units.len()) else { return core::ptr::null_mut() };
    if units.len() > (u32::MAX / 2) as usize {
        return core::ptr::null_mut();
    }
    // SAFETY: `l` has non-zero size (at least 6 bytes).
    let base = unsafe { alloc(l) };
    if base.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: `base` points to `l.size()` writable bytes: prefix, data, terminator.
    unsafe {
        (base as *mut u32).write((units.len() * 2) as u32);
        let data = base.add(4) as *mut u16;
        core::ptr::copy_nonoverlapping(units.as_ptr(), data, units.len());
        data.add(units.len()).write(0);
        data
    }
}

/// Frees a BSTR made by [`alloc_units`]; null is ignored.
///
/// # Safety
/// `p` is null or came from [`alloc_units`] and is not used afterwards.
pub(crate) unsafe fn free(p: *mut u16) {
    if p.is_null() {
        return;
    }
    // SAFETY: the caller guarantees `p` came from alloc_units, so the prefix precedes it.
    unsafe {
        let base = (p as *mut u8).sub(4);
        let bytes = (base as *const u32).read() as usize;
        if let Some(l) = layout(bytes.div_ceil(2)) {
            dealloc(base, l);
        }
    }
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
