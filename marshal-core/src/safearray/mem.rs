//! The one allocator every SAFEARRAY block (descriptor and data) comes from.
//!
//! oleaut32 takes both from `CoTaskMemAlloc`; on Linux the project's CoTaskMem is
//! the C heap, so descriptors and data are `calloc`ed and `free`d here, and the
//! C-ABI crate's `SafeArrayDestroy` (which calls back into this module) frees
//! exactly what the Rust side allocated, and the other way round.
//!
//! In unit tests every block is counted per thread, so a test can assert that
//! destroying an array returned every byte.

use core::ffi::c_void;

extern "C" {
    fn calloc(count: usize, size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
}

/// Allocates `size` zeroed bytes (at least one, so that an empty array still has
/// a non-null data pointer, as oleaut32's). Null when out of memory or when
/// `size` exceeds `isize::MAX`.
pub(crate) fn alloc_zeroed(size: usize) -> *mut u8 {
    if size > isize::MAX as usize {
        return core::ptr::null_mut();
    }
    // SAFETY: calloc has no preconditions; a null result is handled by callers.
    let p = unsafe { calloc(1, size.max(1)) } as *mut u8;
    #[cfg(test)]
    if !p.is_null() {
        counting::on_alloc();
    }
    p
}

/// Frees a block from [`alloc_zeroed`]; null is ignored.
///
/// # Safety
///
/// `p` is null or came from [`alloc_zeroed`] and was not freed yet.
pub(crate) unsafe fn free_block(p: *mut u8) {
    if p.is_null() {
        return;
    }
    #[cfg(test)]
    counting::on_free();
    // SAFETY: the caller passes a live block from calloc.
    unsafe { free(p as *mut c_void) }
}

#[cfg(test)]
pub(crate) mod counting {
    //! Live SAFEARRAY blocks of the current thread (each test runs on its own thread).
    use std::cell::Cell;

    thread_local! {
        static LIVE: Cell<isize> = const { Cell::new(0) };
    }

    pub(crate) fn on_alloc() {
        LIVE.with(|c| c.set(c.get() + 1));
    }

    pub(crate) fn on_free() {
        LIVE.with(|c| c.set(c.get() - 1));
    }

    /// Blocks allocated and not yet freed by this thread.
    pub(crate) fn live_blocks() -> isize {
        LIVE.with(Cell::get)
    }
}
