//! SAFEARRAYs inside VARIANTs (`VT_ARRAY | vt`): the hooks the VARIANT module
//! calls (clear = `SafeArrayDestroy`, copy = `SafeArrayCopy`, validation of a
//! native `parray`), oleaut32's `BstrFromVector` / `VectorFromBstr` for the
//! `VT_ARRAY|VT_UI1` ↔ `VT_BSTR` coercions, and conversions between
//! [`SafeArray`] and [`Variant`].

use core::ffi::c_void;
use core::ptr::{self, NonNull};

use super::error::SafeArrayError;
use super::owned::SafeArray;
use super::raw::{self, SAFEARRAY, SAFEARRAYBOUND};
use super::validate::validate;
use crate::bstr::BSTR;
use crate::hresult::Hresult;
use crate::variant::{Variant, VARIANT};
use crate::vartype::VarType;

/// Checks the array of a by-value `VT_ARRAY | base` VARIANT read from native
/// memory: a valid descriptor ([`validate`]) whose element type is `base`
/// (or, for an array without type information, whose element size is `base`'s).
///
/// # Safety
///
/// `psa` is null or readable as [`validate`] requires.
pub(crate) unsafe fn check_variant_array(base: VarType, psa: *mut c_void) -> Result<(), SafeArrayError> {
    if psa.is_null() {
        return Ok(());
    }
    // SAFETY: per the caller.
    let info = unsafe { validate(psa as *mut SAFEARRAY)? };
    let ok = match info.vartype {
        Some(vt) => vt == base,
        None => raw::vt_element_size(base) == info.element_size,
    };
    if ok {
        Ok(())
    } else {
        Err(SafeArrayError::TypeMismatch {
            expected: format!("{:?}", base),
            found: info.vartype,
            element_size: info.element_size,
        })
    }
}

/// `VariantClear` of a by-value `VT_ARRAY` payload: `SafeArrayDestroy`.
///
/// # Safety
///
/// `psa` is null or an array the VARIANT owns.
pub(crate) unsafe fn destroy_variant_array(psa: *mut c_void) -> Hresult {
    // SAFETY: per the caller.
    unsafe { raw::safe_array_destroy(psa as *mut SAFEARRAY) }
}

/// `VariantCopy` of a `VT_ARRAY` payload: `SafeArrayCopy` (null stays null).
///
/// # Safety
///
/// `psa` is null or a valid array with initialised elements.
pub(crate) unsafe fn copy_variant_array(psa: *mut c_void) -> Result<*mut c_void, Hresult> {
    let mut out = ptr::null_mut();
    // SAFETY: per the caller; `out` is a valid out-pointer.
    let hr = unsafe { raw::safe_array_copy(psa as *mut SAFEARRAY, &mut out) };
    if hr.is_err() {
        return Err(hr);
    }
    Ok(out as *mut c_void)
}

/// `BstrFromVector`: a BSTR holding the bytes of a one-dimensional array of
/// 1-byte elements. `E_INVALIDARG` for a null `pbstr`, a null array or another
/// shape; `E_OUTOFMEMORY`.
///
/// # Safety
///
/// `psa` is null or a valid array; `pbstr` is null or writable.
pub unsafe fn bstr_from_vector(psa: *mut SAFEARRAY, pbstr: *mut BSTR) -> Hresult {
    if pbstr.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        *pbstr = ptr::null_mut();
        if psa.is_null() || (*psa).cbElements != 1 || (*psa).cDims != 1 {
            return Hresult::E_INVALIDARG;
        }
        let count = (*raw::bound_ptr(psa, 0)).cElements;
        let data = (*psa).pvData as *const u8;
        if data.is_null() && count != 0 {
            return Hresult::E_INVALIDARG;
        }
        let b = crate::bstr::sys_alloc_string_byte_len(data, count);
        if b.is_null() {
            return Hresult::E_OUTOFMEMORY;
        }
        *pbstr = b;
    }
    Hresult::S_OK
}

/// `VectorFromBstr`: a `VT_UI1` vector (lower bound 0) holding the bytes of a
/// BSTR (a null BSTR gives an empty vector). `E_INVALIDARG` for a null `ppsa`,
/// `E_OUTOFMEMORY`.
///
/// # Safety
///
/// `bstr` is null or a valid BSTR; `ppsa` is null or writable.
pub unsafe fn vector_from_bstr(bstr: BSTR, ppsa: *mut *mut SAFEARRAY) -> Hresult {
    if ppsa.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        let len = crate::bstr::sys_string_byte_len(bstr);
        let bound = SAFEARRAYBOUND { cElements: len, lLbound: 0 };
        let psa = raw::safe_array_create(VarType::UI1, 1, &bound);
        *ppsa = psa;
        if psa.is_null() {
            return Hresult::E_OUTOFMEMORY;
        }
        if len != 0 {
            ptr::copy_nonoverlapping(bstr as *const u8, (*psa).pvData as *mut u8, len as usize);
        }
    }
    Hresult::S_OK
}

/// `VariantChangeType` where the source or the target is an array: the same
/// array type is a copy (`SafeArrayCopy`), `VT_ARRAY|VT_UI1` → `VT_BSTR` is
/// `BstrFromVector`, `VT_BSTR` → `VT_ARRAY|VT_UI1` is `VectorFromBstr`; every
/// other pair is `DISP_E_TYPEMISMATCH`, as oleaut32.
///
/// # Safety
///
/// `src` is a valid by-value VARIANT whose pointers are live.
pub(crate) unsafe fn change_array_type(src: &VARIANT, vt: VarType) -> Result<VARIANT, Hresult> {
    let from = src.vt;
    // SAFETY: reading pointer members of a valid VARIANT; the pointers are live (caller).
    unsafe {
        if from == vt {
            let mut out = VARIANT::with_vt(vt);
            out.data.ptr = copy_variant_array(src.data.ptr)?;
            return Ok(out);
        }
        if from == VarType::UI1.array() && vt == VarType::BSTR {
            let mut b: BSTR = ptr::null_mut();
            bstr_from_vector(src.data.ptr as *mut SAFEARRAY, &mut b).ok()?;
            let mut out = VARIANT::with_vt(VarType::BSTR);
            out.data.ptr = b as *mut c_void;
            return Ok(out);
        }
        if from == VarType::BSTR && vt == VarType::UI1.array() {
            let mut psa = ptr::null_mut();
            vector_from_bstr(src.data.ptr as BSTR, &mut psa).ok()?;
            let mut out = VARIANT::with_vt(vt);
            out.data.ptr = psa as *mut c_void;
            return Ok(out);
        }
    }
    Err(Hresult::DISP_E_TYPEMISMATCH)
}

impl SafeArray {
    /// A `VT_ARRAY | vt` VARIANT owning this array (`vt` is the array's element type).
    /// An array without type information is refused ([`SafeArrayError::NoVarType`]).
    ///
    /// ```
    /// use marshal_core::safearray::SafeArray;
    /// use marshal_core::VarType;
    /// let v = SafeArray::from_slice(&[1i32, 2])?.into_variant()?;
    /// assert_eq!(v.vt(), VarType::I4.array());
    /// let back = SafeArray::from_variant(&v)?; // a deep copy
    /// assert_eq!(back.to_vec::<i32>()?, [1, 2]);
    /// # Ok::<(), marshal_core::safearray::SafeArrayError>(())
    /// ```
    pub fn into_variant(self) -> Result<Variant, SafeArrayError> {
        let vt = self.vartype().ok_or(SafeArrayError::NoVarType)?;
        let mut raw = VARIANT::with_vt(vt.array());
        raw.data.ptr = self.into_raw() as *mut c_void;
        Ok(Variant::wrap(raw))
    }

    /// A deep copy of the array a `VT_ARRAY | vt` VARIANT holds (also through
    /// `VT_BYREF`). Other VARIANTs and null arrays are refused.
    pub fn from_variant(v: &Variant) -> Result<SafeArray, SafeArrayError> {
        let raw = v.as_raw();
        if !raw.vt.is_array() {
            return Err(SafeArrayError::TypeMismatch {
                expected: "VT_ARRAY".into(),
                found: Some(raw.vt),
                element_size: 0,
            });
        }
        // SAFETY: reading the pointer member; a Variant's BYREF target is valid (its
        // constructors' contract) and its array was validated when it was taken over.
        let psa = unsafe {
            let p = raw.data.ptr;
            if raw.vt.is_byref() {
                if p.is_null() {
                    return Err(SafeArrayError::Null);
                }
                *(p as *const *mut SAFEARRAY)
            } else {
                p as *mut SAFEARRAY
            }
        };
        let psa = NonNull::new(psa).ok_or(SafeArrayError::Null)?;
        // SAFETY: a valid array owned by (or reachable from) the Variant; copied, not taken.
        let borrowed = core::mem::ManuallyDrop::new(unsafe { SafeArray::from_raw_unchecked(psa) });
        borrowed.try_clone()
    }
}
