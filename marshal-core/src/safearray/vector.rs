//! `BstrFromVector` / `VectorFromBstr`: the byte-for-byte bridge between a BSTR and a
//! one-dimensional `VT_UI1` SAFEARRAY that `VariantChangeType` uses between `VT_BSTR` and
//! `VT_ARRAY | VT_UI1`.

use core::ptr;

use super::raw::{self, SAFEARRAY, SAFEARRAYBOUND};
use crate::bstr::{self, BSTR};
use crate::hresult::Hresult;
use crate::vartype::VarType;

/// `BstrFromVector`: a BSTR whose bytes are the elements of a one-dimensional array of
/// one-byte elements (its byte length is the element count). `*pbstr` is set to null
/// first; `E_INVALIDARG` for a null argument or an array that is not a one-dimensional
/// vector of one-byte elements, `E_OUTOFMEMORY` when allocation fails.
///
/// ```
/// use marshal_core::safearray::{raw, vector};
/// use marshal_core::{bstr, VarType};
///
/// let psa = raw::safe_array_create_vector(VarType::UI1, 0, 4);
/// let mut b = core::ptr::null_mut();
/// unsafe {
///     core::ptr::copy_nonoverlapping(b"a\0b\0".as_ptr(), (*psa).pvData as *mut u8, 4);
///     assert!(vector::bstr_from_vector(psa, &mut b).is_ok());
///     assert_eq!(bstr::sys_string_len(b), 2);
///     bstr::sys_free_string(b);
///     raw::safe_array_destroy(psa);
/// }
/// ```
///
/// # Safety
///
/// `psa` is null or a valid descriptor; `pbstr` null or writable.
pub unsafe fn bstr_from_vector(psa: *mut SAFEARRAY, pbstr: *mut BSTR) -> Hresult {
    if pbstr.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        *pbstr = ptr::null_mut();
        if psa.is_null() || (*psa).cDims != 1 || (*psa).cbElements != 1 {
            return Hresult::E_INVALIDARG;
        }
        let count = (*ptr::addr_of!((*psa).rgsabound).cast::<SAFEARRAYBOUND>()).cElements;
        let data = (*psa).pvData as *const u8;
        if data.is_null() && count != 0 {
            return Hresult::E_INVALIDARG;
        }
        let b = bstr::sys_alloc_string_byte_len(data, count);
        if b.is_null() {
            return Hresult::E_OUTOFMEMORY;
        }
        *pbstr = b;
        Hresult::S_OK
    }
}

/// `VectorFromBstr`: a new zero-based `VT_UI1` vector holding the bytes of `bstr` (a null
/// BSTR gives an empty vector). `E_INVALIDARG` for a null `ppsa`, `E_OUTOFMEMORY` when
/// allocation fails.
///
/// # Safety
///
/// `bstr` is null or a valid BSTR; `ppsa` null or writable.
pub unsafe fn vector_from_bstr(bstr: BSTR, ppsa: *mut *mut SAFEARRAY) -> Hresult {
    if ppsa.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller: `bstr` is null or valid for its byte length.
    unsafe {
        let len = bstr::sys_string_byte_len(bstr);
        let bound = SAFEARRAYBOUND { cElements: len, lLbound: 0 };
        let psa = raw::safe_array_create(VarType::UI1, 1, &bound);
        *ppsa = psa;
        if psa.is_null() {
            return Hresult::E_OUTOFMEMORY;
        }
        if len != 0 {
            ptr::copy_nonoverlapping(bstr as *const u8, (*psa).pvData as *mut u8, len as usize);
        }
        Hresult::S_OK
    }
}
