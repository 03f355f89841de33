//! `SysAllocString` & co.: [`marshal_core::bstr`]'s `sys_*` functions, which keep oleaut32's
//! layout (4-byte byte length before the data, two zero bytes after), limits and
//! self-overlap rules.

use core::ptr;

use marshal_core::bstr as core_bstr;

use crate::guard;
use crate::types::*;

export! {
    /// `SysAllocString`: a BSTR copy of the NUL-terminated `psz`; null for a null `psz` or
    /// when memory runs out.
    ///
    /// # Safety
    /// `psz` is null or a NUL-terminated UTF-16 string.
    pub unsafe extern "C" fn SysAllocString(psz: LPCOLESTR) -> BSTR {
        // SAFETY: forwarded contract.
        guard(ptr::null_mut(), || unsafe { core_bstr::sys_alloc_string(psz) })
    }
}

export! {
    /// `SysAllocStringLen`: `ui` units copied from `str_in` (left zeroed when `str_in` is
    /// null); null past oleaut32's length limit or when memory runs out.
    ///
    /// # Safety
    /// `str_in` is null or readable for `ui` units.
    pub unsafe extern "C" fn SysAllocStringLen(str_in: LPCOLESTR, ui: UINT) -> BSTR {
        // SAFETY: forwarded contract.
        guard(ptr::null_mut(), || unsafe { core_bstr::sys_alloc_string_len(str_in, ui) })
    }
}

export! {
    /// `SysAllocStringByteLen`: `len` bytes copied from `psz` (zeroed when null), odd
    /// lengths kept; null past the limit or when memory runs out.
    ///
    /// # Safety
    /// `psz` is null or readable for `len` bytes.
    pub unsafe extern "C" fn SysAllocStringByteLen(psz: LPCSTR, len: UINT) -> BSTR {
        // SAFETY: forwarded contract.
        guard(ptr::null_mut(), || unsafe { core_bstr::sys_alloc_string_byte_len(psz.cast(), len) })
    }
}

export! {
    /// `SysReAllocString`: replaces `*pbstr` with a copy of `psz` (which may point into
    /// `*pbstr`). 1 on success; 0, `*pbstr` unchanged, for a null `pbstr` or no memory.
    ///
    /// # Safety
    /// `pbstr` is null or points at a null or live BSTR; `psz` is null or NUL-terminated.
    pub unsafe extern "C" fn SysReAllocString(pbstr: *mut BSTR, psz: LPCOLESTR) -> INT {
        // SAFETY: forwarded contract.
        guard(0, || unsafe { core_bstr::sys_re_alloc_string(pbstr, psz) })
    }
}

export! {
    /// `SysReAllocStringLen`: replaces `*pbstr` with `len` units of `psz` (a null `psz`
    /// keeps the old contents). 1 on success, 0 on failure (`*pbstr` unchanged).
    ///
    /// # Safety
    /// `pbstr` is null or points at a null or live BSTR; `psz` is null or readable for `len`
    /// units.
    pub unsafe extern "C" fn SysReAllocStringLen(pbstr: *mut BSTR, psz: LPCOLESTR, len: UINT) -> INT {
        // SAFETY: forwarded contract.
        guard(0, || unsafe { core_bstr::sys_re_alloc_string_len(pbstr, psz, len) })
    }
}

export! {
    /// `SysFreeString`; null is ignored.
    ///
    /// # Safety
    /// `bstr` is null or a live BSTR of this library, not used afterwards.
    pub unsafe extern "C" fn SysFreeString(bstr: BSTR) {
        // SAFETY: forwarded contract.
        guard((), || unsafe { core_bstr::sys_free_string(bstr) })
    }
}

export! {
    /// `SysStringLen`: the length in UTF-16 units (byte length / 2); 0 for null.
    ///
    /// # Safety
    /// `bstr` is null or a valid BSTR.
    pub unsafe extern "C" fn SysStringLen(bstr: BSTR) -> UINT {
        // SAFETY: forwarded contract.
        guard(0, || unsafe { core_bstr::sys_string_len(bstr) })
    }
}

export! {
    /// `SysStringByteLen`: the length in bytes; 0 for null.
    ///
    /// # Safety
    /// `bstr` is null or a valid BSTR.
    pub unsafe extern "C" fn SysStringByteLen(bstr: BSTR) -> UINT {
        // SAFETY: forwarded contract.
        guard(0, || unsafe { core_bstr::sys_string_byte_len(bstr) })
    }
}
