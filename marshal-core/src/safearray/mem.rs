//! The one allocator every SAFEARRAY block (descriptor and data) comes from:
//! [`CoTaskMem`], as oleaut32 (the C heap on Linux, `CoTaskMemAlloc` on
//! Windows). The C-ABI crate's `SafeArrayDestroy` (which calls back into this
//! module) therefore frees exactly what the Rust side allocated, and the other
//! way round; [`crate::alloc::tracking`] counts the blocks in leak tests.

use crate::alloc::CoTaskMem;

/// Allocates `size` zeroed bytes (at least one, so that an empty array still has
/// a non-null data pointer, as oleaut32's). Null when out of memory or when
/// `size` exceeds `isize::MAX`.
pub(crate) fn alloc_zeroed(size: usize) -> *mut u8 {
    if size > isize::MAX as usize {
        return core::ptr::null_mut();
    }
    CoTaskMem::alloc_zeroed(size)
}

/// Frees a block from [`alloc_zeroed`]; null is ignored.
///
/// # Safety
///
/// `p` is null or came from [`alloc_zeroed`] and was not freed yet.
pub(crate) unsafe fn free_block(p: *mut u8) {
    if !p.is_null() {
        // SAFETY: a live CoTaskMem block per the caller.
        unsafe { CoTaskMem::free(p) }
    }
}
