//! The native allocators the P/Invoke ABI names, as on CoreCLR for Unix:
//! CoTaskMem is `malloc`/`free`, and a BSTR is a `malloc` block holding a
//! 4-byte byte length right before the UTF-16 data and two zero bytes after it.
//!
//! These are the front end's own minimal copies until marshal-core's allocator
//! module is shared; every allocation the marshaler makes goes through here.

use core::ffi::c_void;

/// `CoTaskMemAlloc(n)`: at least one byte so that an empty buffer is non-null
/// (the CLR passes empty arrays as non-null pointers).
pub(crate) fn co_task_mem_alloc(n: usize) -> *mut c_void {
    // SAFETY: malloc has no preconditions; a null result is handled by callers.
    unsafe { libc::malloc(n.max(1)) }
}

/// `CoTaskMemFree(p)`.
///
/// # Safety
/// `p` is null or came from `malloc` and is not used afterwards.
pub(crate) unsafe fn co_task_mem_free(p: *mut c_void) {
    // SAFETY: the caller's contract.
    unsafe { libc::free(p) }
}

/// `SysAllocStringByteLen(bytes, len)`: a BSTR holding exactly `bytes`.
pub(crate) fn bstr_alloc_bytes(bytes: &[u8]) -> *mut u16 {
    let n = bytes.len();
    let Ok(len32) = u32::try_from(n) else { return core::ptr::null_mut() };
    let block = co_task_mem_alloc(4 + n + 2) as *mut u8;
    if block.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: block has 4 + n + 2 writable bytes.
    unsafe {
        core::ptr::copy_nonoverlapping(len32.to_le_bytes().as_ptr(), block, 4);
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), block.add(4), n);
        *block.add(4 + n) = 0;
        *block.add(5 + n) = 0;
        block.add(4) as *mut u16
    }
}

/// `SysFreeString(b)`.
///
/// # Safety
/// `b` is null or a BSTR from [`bstr_alloc_bytes`] (or the same scheme natively).
pub(crate) unsafe fn bstr_free(b: *mut u16) {
    if !b.is_null() {
        // SAFETY: the block starts 4 bytes before the data (caller's contract).
        unsafe { libc::free((b as *mut u8).sub(4) as *mut c_void) }
    }
}

/// The byte length stored before a BSTR's data.
///
/// # Safety
/// `b` is a non-null BSTR.
pub(crate) unsafe fn bstr_byte_len(b: *const u16) -> u32 {
    let mut len = [0u8; 4];
    // SAFETY: a BSTR has 4 readable bytes before its data (caller's contract).
    unsafe { core::ptr::copy_nonoverlapping((b as *const u8).sub(4), len.as_mut_ptr(), 4) };
    u32::from_le_bytes(len)
}
