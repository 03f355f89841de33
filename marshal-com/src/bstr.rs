//! The few BSTR operations error information needs (`IErrorInfo` hands out BSTRs).
//!
//! Layout as the project's BSTR: a `malloc` block, a pointer-sized header whose last 4 bytes
//! are the byte length, the UTF-16 data, two zero bytes. Kept private and small so it can be
//! pointed at the core's `Bstr` allocator once that lands.

use core::ffi::c_void;

extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
}

const HEADER: usize = core::mem::size_of::<usize>();

/// `SysAllocStringLen` of UTF-16 units; null when out of memory or too long.
pub(crate) fn alloc_wide(units: &[u16]) -> *mut u16 {
    let Some(bytes) = units.len().checked_mul(2).filter(|&b| b <= u32::MAX as usize) else {
        return core::ptr::null_mut();
    };
    let Some(total) = bytes.checked_add(HEADER + 2) else {
        return core::ptr::null_mut();
    };
    // SAFETY: malloc with a non-zero size; the result is checked for null.
    let block = unsafe { malloc(total) } as *mut u8;
    if block.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: `block` has `total` = HEADER + bytes + 2 writable bytes, malloc-aligned (≥ 8).
    unsafe {
        let data = block.add(HEADER) as *mut u16;
        (data as *mut u32).sub(1).write(bytes as u32);
        core::ptr::copy_nonoverlapping(units.as_ptr(), data, units.len());
        data.add(units.len()).write(0);
        data
    }
}

/// `SysAllocString` of a Rust string.
pub(crate) fn alloc_str(s: &str) -> *mut u16 {
    let units: Vec<u16> = s.encode_utf16().collect();
    alloc_wide(&units)
}

/// `SysFreeString`; null is a no-op.
///
/// # Safety
///
/// `bstr` must be null or come from [`alloc_wide`] / [`alloc_str`] and not be freed yet.
pub(crate) unsafe fn free_bstr(bstr: *mut u16) {
    if !bstr.is_null() {
        // SAFETY: the block starts HEADER bytes before the data, per the caller.
        unsafe { free((bstr as *mut u8).sub(HEADER) as *mut c_void) }
    }
}

/// `SysFreeString` with the ABI of oleaut32's, for native code that receives this crate's BSTRs.
///
/// # Safety
///
/// `bstr` must be null or a BSTR this crate allocated (an `IErrorInfo` getter's result), not freed yet.
pub unsafe extern "system" fn sys_free_string(bstr: *mut u16) {
    // SAFETY: forwarded.
    unsafe { free_bstr(bstr) }
}

/// The text of a BSTR (length from its prefix; lone surrogates become U+FFFD); null is "".
///
/// # Safety
///
/// `bstr` must be null or a live BSTR.
pub(crate) unsafe fn to_string(bstr: *const u16) -> String {
    if bstr.is_null() {
        return String::new();
    }
    // SAFETY: a live BSTR has its byte length 4 bytes before the data and that many bytes of data.
    unsafe {
        let bytes = (bstr as *const u32).sub(1).read() as usize;
        String::from_utf16_lossy(core::slice::from_raw_parts(bstr, bytes / 2))
    }
}

/// The text of a NUL-terminated UTF-16 string (`LPCOLESTR`); null is `None`.
///
/// # Safety
///
/// `s` must be null or point at a NUL-terminated UTF-16 string.
pub(crate) unsafe fn wide_cstr_to_string(s: *const u16) -> Option<String> {
    if s.is_null() {
        return None;
    }
    let mut len = 0;
    // SAFETY: the string is NUL-terminated, so every unit up to the NUL is readable.
    unsafe {
        while s.add(len).read() != 0 {
            len += 1;
        }
        Some(String::from_utf16_lossy(core::slice::from_raw_parts(s, len)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_bstr_rules() {
        let b = alloc_str("hé");
        // SAFETY: fresh BSTR of 2 units: prefix 4 bytes before, NUL after.
        unsafe {
            assert_eq!((b as *const u32).sub(1).read(), 4);
            assert_eq!(core::slice::from_raw_parts(b, 3), &[0x68, 0xE9, 0]);
            assert_eq!(to_string(b), "hé");
            free_bstr(b);
            assert_eq!(to_string(core::ptr::null()), "");
        }
    }
}
