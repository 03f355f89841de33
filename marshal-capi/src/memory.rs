//! `CoTaskMemAlloc` / `CoTaskMemRealloc` / `CoTaskMemFree`: [`marshal_core::alloc::CoTaskMem`],
//! the C heap on Linux (as CoreCLR's PAL), so blocks can also be released with `free`.

use core::ptr;

use marshal_core::alloc::CoTaskMem;

use crate::guard;
use crate::types::*;

export! {
    /// `CoTaskMemAlloc`: `cb` uninitialised bytes aligned for any type; a unique non-null
    /// block for 0; null when memory runs out.
    ///
    /// # Safety
    /// None beyond freeing the block once with `CoTaskMemFree`.
    pub unsafe extern "C" fn CoTaskMemAlloc(cb: SIZE_T) -> LPVOID {
        guard(ptr::null_mut(), || CoTaskMem::alloc(cb).cast())
    }
}

export! {
    /// `CoTaskMemRealloc`: resizes `pv` (a null `pv` allocates), contents kept up to the
    /// smaller size; null on failure, `pv` then still valid. As `IMalloc::Realloc`, a size
    /// of 0 frees a non-null `pv` and returns null.
    ///
    /// # Safety
    /// `pv` is null or a live block of this allocator; on success it is no longer used.
    pub unsafe extern "C" fn CoTaskMemRealloc(pv: LPVOID, cb: SIZE_T) -> LPVOID {
        guard(ptr::null_mut(), || {
            if cb == 0 && !pv.is_null() {
                // SAFETY: forwarded contract: a live block, freed once.
                unsafe { CoTaskMem::free(pv.cast()) };
                return ptr::null_mut();
            }
            // SAFETY: forwarded contract.
            unsafe { CoTaskMem::realloc(pv.cast(), cb) }.cast()
        })
    }
}

export! {
    /// `CoTaskMemFree`; null is ignored.
    ///
    /// # Safety
    /// `pv` is null or a live block of this allocator, not used afterwards.
    pub unsafe extern "C" fn CoTaskMemFree(pv: LPVOID) {
        // SAFETY: forwarded contract.
        guard((), || unsafe { CoTaskMem::free(pv.cast()) })
    }
}
