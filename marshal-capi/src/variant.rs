//! `VariantInit`, `VariantClear`, `VariantCopy`, `VariantCopyInd`, `VariantChangeType(Ex)`:
//! [`marshal_core::variant`]'s `clear_raw`, `copy_into`, `copy_ind_raw` and
//! `change_type_raw`, with oleaut32's handling of aliasing (source and destination the same
//! VARIANT) and of the destination (cleared first, left alone on failure).

use marshal_core::variant::owned::{clear_raw, copy_ind_raw, copy_into, validate_vartype};
use marshal_core::variant::{change_type_raw, VARIANT as RawVariant};
use marshal_core::{Hresult, VarType};

use crate::guard;
use crate::types::*;

export! {
    /// `VariantInit`: sets the type to `VT_EMPTY` (only the type, as oleaut32). A null
    /// pointer is ignored.
    ///
    /// # Safety
    /// `pvarg` is null or points to a writable VARIANT.
    pub unsafe extern "C" fn VariantInit(pvarg: *mut VARIANTARG) {
        guard((), || {
            if !pvarg.is_null() {
                // SAFETY: writable per the contract.
                unsafe { (*pvarg).vt = VarType::EMPTY };
            }
        })
    }
}

export! {
    /// `VariantClear`: frees what the VARIANT owns (BSTR, interface reference, record,
    /// SAFEARRAY) and sets it to `VT_EMPTY`. `DISP_E_BADVARTYPE` for an invalid type (the
    /// VARIANT is untouched), `DISP_E_ARRAYISLOCKED` for a locked array, `E_INVALIDARG` for
    /// a null pointer.
    ///
    /// # Safety
    /// `pvarg` is null or a VARIANT whose payload (if its type is valid) is valid and owned.
    pub unsafe extern "C" fn VariantClear(pvarg: *mut VARIANTARG) -> HRESULT {
        guard(Hresult::E_UNEXPECTED, || {
            if pvarg.is_null() {
                return Hresult::E_INVALIDARG;
            }
            // SAFETY: forwarded contract.
            unsafe { clear_raw(&mut *pvarg) }
        })
    }
}

export! {
    /// `VariantCopy`: clears `pvarg_dest`, then makes it a deep copy of `pvarg_src`
    /// (BSTRs and arrays copied, interfaces AddRef'd, BYREF pointers copied as they are).
    /// `DISP_E_BADVARTYPE` for an invalid (or `VT_CLSID`) source, with the destination
    /// untouched; the same VARIANT as both is `S_OK` and nothing happens; `E_INVALIDARG`
    /// for a null pointer.
    ///
    /// # Safety
    /// Both are null or valid VARIANTs; the destination owns its payload.
    pub unsafe extern "C" fn VariantCopy(pvarg_dest: *mut VARIANTARG, pvarg_src: *const VARIANTARG) -> HRESULT {
        guard(Hresult::E_UNEXPECTED, || {
            if pvarg_dest.is_null() || pvarg_src.is_null() {
                return Hresult::E_INVALIDARG;
            }
            // SAFETY: forwarded contract.
            unsafe { copy(pvarg_dest, pvarg_src) }
        })
    }
}

/// `VariantCopy` on non-null pointers (also the by-value case of `VariantCopyInd`).
///
/// # Safety
/// As [`VariantCopy`], both non-null.
unsafe fn copy(dest: *mut RawVariant, src: *const RawVariant) -> HRESULT {
    if core::ptr::eq(dest, src) {
        // SAFETY: readable per the contract.
        let vt = unsafe { (*src).vt };
        if vt.base() == VarType::CLSID {
            return Hresult::DISP_E_BADVARTYPE;
        }
        return validate_vartype(vt).err().unwrap_or(Hresult::S_OK);
    }
    // SAFETY: distinct, valid VARIANTs (contract).
    unsafe { copy_into(&mut *dest, &*src) }
}

export! {
    /// `VariantCopyInd`: as [`VariantCopy`], but a BYREF source yields a by-value copy of
    /// what it points to (one level of `VT_VARIANT|VT_BYREF` followed; `E_INVALIDARG` for
    /// a reference to a reference). The same VARIANT as both dereferences in place.
    ///
    /// # Safety
    /// Both are null or valid VARIANTs whose BYREF pointers point at live values of their
    /// types; the destination owns its payload.
    pub unsafe extern "C" fn VariantCopyInd(pvarg_dest: *mut VARIANT, pvarg_src: *const VARIANTARG) -> HRESULT {
        guard(Hresult::E_UNEXPECTED, || {
            if pvarg_dest.is_null() || pvarg_src.is_null() {
                return Hresult::E_INVALIDARG;
            }
            // SAFETY: readable per the contract.
            if unsafe { !(*pvarg_src).vt.is_byref() } {
                // SAFETY: forwarded contract.
                return unsafe { copy(pvarg_dest, pvarg_src) };
            }
            // SAFETY: forwarded contract; the source is only read.
            let value = match unsafe { copy_ind_raw(&*pvarg_src) } {
                Ok(value) => value,
                Err(hr) => return hr,
            };
            // SAFETY: the destination is valid and owned; a BYREF source owns nothing, so
            // clearing it when it is the destination frees nothing the copy needs.
            unsafe { replace(pvarg_dest, value) }
        })
    }
}

/// Clears `*dest` and moves `value` in; if the clear fails, `value` is cleared and the
/// error returned.
///
/// # Safety
/// `dest` is a valid VARIANT owning its payload; `value` owns its payload.
unsafe fn replace(dest: *mut RawVariant, mut value: RawVariant) -> HRESULT {
    // SAFETY: forwarded contract.
    unsafe {
        let hr = clear_raw(&mut *dest);
        if hr.is_err() {
            let _ = clear_raw(&mut value);
            return hr;
        }
        *dest = value;
    }
    Hresult::S_OK
}

export! {
    /// `VariantChangeTypeEx`: converts `pvarg_src` to `vt` under `lcid` with oleaut32's
    /// rules (`VARIANT_Coerce`), then clears `pvarg_dest` and stores the result. On failure
    /// the destination is untouched. The same VARIANT as both converts in place.
    /// `VARIANT_ALPHABOOL` / `VARIANT_LOCALBOOL` in `w_flags` select the BOOL → BSTR words.
    ///
    /// # Safety
    /// Both are null or valid VARIANTs (BSTRs, interfaces, BYREF targets and arrays live);
    /// the destination owns its payload.
    pub unsafe extern "C" fn VariantChangeTypeEx(
        pvarg_dest: *mut VARIANTARG,
        pvarg_src: *const VARIANTARG,
        lcid: LCID,
        w_flags: USHORT,
        vt: VARTYPE,
    ) -> HRESULT {
        guard(Hresult::E_UNEXPECTED, || {
            if pvarg_dest.is_null() || pvarg_src.is_null() {
                return Hresult::E_INVALIDARG;
            }
            // SAFETY: forwarded contract; the borrow of the source ends with the call.
            let value = match unsafe { change_type_raw(&*pvarg_src, lcid, w_flags, vt) } {
                Ok(value) => value,
                Err(hr) => return hr,
            };
            // SAFETY: the destination is valid and owned (when it is the source, its old
            // value was only read by the conversion and is released now).
            unsafe { replace(pvarg_dest, value) }
        })
    }
}

export! {
    /// `VariantChangeType`: [`VariantChangeTypeEx`] under `LOCALE_USER_DEFAULT` (en-US).
    ///
    /// # Safety
    /// As [`VariantChangeTypeEx`].
    pub unsafe extern "C" fn VariantChangeType(
        pvarg_dest: *mut VARIANTARG,
        pvarg_src: *const VARIANTARG,
        w_flags: USHORT,
        vt: VARTYPE,
    ) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe { VariantChangeTypeEx(pvarg_dest, pvarg_src, LOCALE_USER_DEFAULT, w_flags, vt) }
    }
}
