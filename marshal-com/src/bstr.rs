//! The few BSTR operations error information and EXCEPINFO need, over the project's BSTR
//! allocator (`marshal_core::bstr`), so every BSTR this crate hands out or frees is the one
//! kind the rest of the engine (and `SysFreeString` in native code given these functions) uses.

use marshal_core::bstr as core_bstr;

/// `SysAllocStringLen` of UTF-16 units; null when out of memory or too long.
pub(crate) fn alloc_wide(units: &[u16]) -> *mut u16 {
    let Ok(len) = u32::try_from(units.len()) else {
        return core::ptr::null_mut();
    };
    // SAFETY: `units` is readable for `len` code units.
    unsafe { core_bstr::sys_alloc_string_len(units.as_ptr(), len) }
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
/// `bstr` must be null or a live BSTR of the project's allocator, not used afterwards.
pub(crate) unsafe fn free_bstr(bstr: *mut u16) {
    // SAFETY: forwarded.
    unsafe { core_bstr::sys_free_string(bstr) }
}

/// `SysAllocString` with the ABI of oleaut32's, for native code that hands this crate BSTRs
/// (EXCEPINFO fields, `IErrorInfo` implementations written in C). Null gives null.
///
/// # Safety
///
/// `s` must be null or a NUL-terminated UTF-16 string.
pub unsafe extern "system" fn sys_alloc_string(s: *const u16) -> *mut u16 {
    // SAFETY: forwarded.
    unsafe { core_bstr::sys_alloc_string(s) }
}

/// `SysFreeString` with the ABI of oleaut32's, for native code that receives this crate's BSTRs.
///
/// # Safety
///
/// `bstr` must be null or a BSTR of the project's allocator (an `IErrorInfo` getter's
/// result), not freed yet.
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
        let bytes = (bstr as *const u32).sub(1).read_unaligned() as usize;
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
            assert_eq!(core_bstr::sys_string_len(b), 2);
            free_bstr(b);
            assert_eq!(to_string(core::ptr::null()), "");
        }
    }
}
