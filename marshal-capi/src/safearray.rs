//! The `SafeArray*` family: [`marshal_core::safearray::raw`]'s functions (oleaut32's
//! descriptors, hidden VARTYPE / IID / IRecordInfo, locking and HRESULTs), plus
//! `BstrFromVector` / `VectorFromBstr` ([`marshal_core::safearray::variant_array`]).

use core::ptr;

use marshal_core::safearray::{raw, variant_array as vector};
use marshal_core::Hresult;

use crate::guard;
use crate::types::*;

export! {
    /// `SafeArrayCreate`: a descriptor and zeroed data for `c_dims` dimensions (`rgsabound[0]` is
    /// dimension 1); null for an element type a SAFEARRAY cannot hold, 0 dimensions, null
    /// bounds or sizes that overflow.
    ///
    /// # Safety
    /// `rgsabound` is null or holds `c_dims` bounds.
    pub unsafe extern "C" fn SafeArrayCreate(vt: VARTYPE, c_dims: UINT, rgsabound: *mut SAFEARRAYBOUND) -> *mut SAFEARRAY {
        // SAFETY: forwarded contract.
        guard(ptr::null_mut(), || unsafe { raw::safe_array_create(vt, c_dims, rgsabound) })
    }
}

export! {
    /// `SafeArrayCreateVector`: a one-dimensional array whose descriptor and data are one
    /// block (`FADF_CREATEVECTOR`).
    ///
    /// # Safety
    /// None beyond destroying the array once.
    pub unsafe extern "C" fn SafeArrayCreateVector(vt: VARTYPE, l_lbound: LONG, c_elements: ULONG) -> *mut SAFEARRAY {
        guard(ptr::null_mut(), || raw::safe_array_create_vector(vt, l_lbound, c_elements))
    }
}

export! {
    /// `SafeArrayDestroy`: destroys the elements (BSTRs freed, VARIANTs cleared, interfaces
    /// released), the data and the descriptor. `S_OK` for null, `DISP_E_ARRAYISLOCKED` while
    /// locked.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor owned by the caller.
    pub unsafe extern "C" fn SafeArrayDestroy(psa: *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_destroy(psa) })
    }
}

export! {
    /// `SafeArrayDestroyData`: destroys the elements and frees the data (static / embedded data
    /// is only cleared).
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor owned by the caller.
    pub unsafe extern "C" fn SafeArrayDestroyData(psa: *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_destroy_data(psa) })
    }
}

export! {
    /// `SafeArrayDestroyDescriptor`: frees the descriptor (and a vector's data).
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor owned by the caller.
    pub unsafe extern "C" fn SafeArrayDestroyDescriptor(psa: *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_destroy_descriptor(psa) })
    }
}

export! {
    /// `SafeArrayAllocDescriptor`: a zeroed descriptor for `c_dims` dimensions (no element
    /// type, no data). `E_INVALIDARG` for 0 or more than 65535 dimensions or a null `ppsa_out`.
    ///
    /// # Safety
    /// `ppsa_out` is null or writable.
    pub unsafe extern "C" fn SafeArrayAllocDescriptor(c_dims: UINT, ppsa_out: *mut *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_alloc_descriptor(c_dims, ppsa_out) })
    }
}

export! {
    /// `SafeArrayAllocDescriptorEx`: as [`SafeArrayAllocDescriptor`], with the element type,
    /// its size and FADF flags set.
    ///
    /// # Safety
    /// `ppsa_out` is null or writable.
    pub unsafe extern "C" fn SafeArrayAllocDescriptorEx(vt: VARTYPE, c_dims: UINT, ppsa_out: *mut *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_alloc_descriptor_ex(vt, c_dims, ppsa_out) })
    }
}

export! {
    /// `SafeArrayAllocData`: zeroed data for the bounds and element size the descriptor holds.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor.
    pub unsafe extern "C" fn SafeArrayAllocData(psa: *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_alloc_data(psa) })
    }
}

export! {
    /// `SafeArrayGetDim`: the number of dimensions; 0 for null.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor.
    pub unsafe extern "C" fn SafeArrayGetDim(psa: *mut SAFEARRAY) -> UINT {
        // SAFETY: forwarded contract.
        guard(0, || unsafe { raw::safe_array_get_dim(psa) })
    }
}

export! {
    /// `SafeArrayGetElemsize`: `cbElements`; 0 for null.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor.
    pub unsafe extern "C" fn SafeArrayGetElemsize(psa: *mut SAFEARRAY) -> UINT {
        // SAFETY: forwarded contract.
        guard(0, || unsafe { raw::safe_array_get_elemsize(psa) })
    }
}

export! {
    /// `SafeArrayGetLBound`: the lower bound of dimension `n_dim` (1-based). `E_INVALIDARG` for
    /// null arguments, `DISP_E_BADINDEX` for a dimension out of range.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor; `pl_lbound` null or writable.
    pub unsafe extern "C" fn SafeArrayGetLBound(psa: *mut SAFEARRAY, n_dim: UINT, pl_lbound: *mut LONG) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_get_lbound(psa, n_dim, pl_lbound) })
    }
}

export! {
    /// `SafeArrayGetUBound`: the upper bound of dimension `n_dim` (1-based). `E_INVALIDARG` for
    /// null arguments, `DISP_E_BADINDEX` for a dimension out of range.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor; `pl_ubound` null or writable.
    pub unsafe extern "C" fn SafeArrayGetUBound(psa: *mut SAFEARRAY, n_dim: UINT, pl_ubound: *mut LONG) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_get_ubound(psa, n_dim, pl_ubound) })
    }
}

export! {
    /// `SafeArrayGetElement`: copies the element at `rg_indices` (dimension 1 first) to `pv`:
    /// a new BSTR, a `VariantCopy`, an AddRef'd interface or the element's bytes.
    /// `DISP_E_BADINDEX` for an index out of bounds, `E_INVALIDARG` for null arguments.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor; `rg_indices` null or `cDims` values; `pv` null or
    /// room for one element.
    pub unsafe extern "C" fn SafeArrayGetElement(psa: *mut SAFEARRAY, rg_indices: *mut LONG, pv: *mut core::ffi::c_void) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_get_element(psa, rg_indices.cast_const(), pv) })
    }
}

export! {
    /// `SafeArrayPutElement`: stores a copy of `pv` at `rg_indices` (for BSTR arrays `pv` is
    /// the BSTR itself, for VARIANT arrays a `VARIANT*`), releasing what was there.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor; `rg_indices` null or `cDims` values; `pv` as
    /// described.
    pub unsafe extern "C" fn SafeArrayPutElement(psa: *mut SAFEARRAY, rg_indices: *mut LONG, pv: *mut core::ffi::c_void) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_put_element(psa, rg_indices.cast_const(), pv.cast_const()) })
    }
}

export! {
    /// `SafeArrayPtrOfIndex`: the address of the element at `rg_indices`.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor; `rg_indices` null or `cDims` values; `ppv_data`
    /// null or writable.
    pub unsafe extern "C" fn SafeArrayPtrOfIndex(psa: *mut SAFEARRAY, rg_indices: *mut LONG, ppv_data: *mut *mut core::ffi::c_void) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_ptr_of_index(psa, rg_indices.cast_const(), ppv_data) })
    }
}

export! {
    /// `SafeArrayAccessData`: locks the array and returns its data pointer.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor; `ppv_data` null or writable.
    pub unsafe extern "C" fn SafeArrayAccessData(psa: *mut SAFEARRAY, ppv_data: *mut *mut core::ffi::c_void) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_access_data(psa, ppv_data) })
    }
}

export! {
    /// `SafeArrayUnaccessData`: [`SafeArrayUnlock`].
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor.
    pub unsafe extern "C" fn SafeArrayUnaccessData(psa: *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_unaccess_data(psa) })
    }
}

export! {
    /// `SafeArrayLock`: one more lock (`E_UNEXPECTED` past 65535).
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor.
    pub unsafe extern "C" fn SafeArrayLock(psa: *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_lock(psa) })
    }
}

export! {
    /// `SafeArrayUnlock`: one lock less (`E_UNEXPECTED` when not locked).
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor.
    pub unsafe extern "C" fn SafeArrayUnlock(psa: *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_unlock(psa) })
    }
}

export! {
    /// `SafeArrayCopy`: a deep copy (null for a null source, `S_OK`).
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor; `ppsa_out` null or writable.
    pub unsafe extern "C" fn SafeArrayCopy(psa: *mut SAFEARRAY, ppsa_out: *mut *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_copy(psa, ppsa_out) })
    }
}

export! {
    /// `SafeArrayCopyData`: copies the elements into an array of the same shape
    /// (`E_INVALIDARG` otherwise).
    ///
    /// # Safety
    /// Both are null or valid descriptors.
    pub unsafe extern "C" fn SafeArrayCopyData(psa_source: *mut SAFEARRAY, psa_target: *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_copy_data(psa_source, psa_target) })
    }
}

export! {
    /// `SafeArrayRedim`: new bounds for the last dimension (elements dropped are destroyed,
    /// new ones zeroed).
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor; `psabound_new` null or readable.
    pub unsafe extern "C" fn SafeArrayRedim(psa: *mut SAFEARRAY, psabound_new: *mut SAFEARRAYBOUND) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_redim(psa, psabound_new.cast_const()) })
    }
}

export! {
    /// `SafeArrayGetVartype`: the element type (from the hidden VARTYPE, or the FADF flags).
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor; `pvt` null or writable.
    pub unsafe extern "C" fn SafeArrayGetVartype(psa: *mut SAFEARRAY, pvt: *mut VARTYPE) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { raw::safe_array_get_vartype(psa, pvt) })
    }
}

export! {
    /// `BstrFromVector`: a BSTR holding the bytes of a one-dimensional array of bytes.
    ///
    /// # Safety
    /// `psa` is null or a valid descriptor; `pbstr` null or writable.
    pub unsafe extern "C" fn BstrFromVector(psa: *mut SAFEARRAY, pbstr: *mut BSTR) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { vector::bstr_from_vector(psa, pbstr) })
    }
}

export! {
    /// `VectorFromBstr`: a zero-based `VT_UI1` vector holding the bytes of `bstr`.
    ///
    /// # Safety
    /// `bstr` is null or a valid BSTR; `ppsa` null or writable.
    pub unsafe extern "C" fn VectorFromBstr(bstr: BSTR, ppsa: *mut *mut SAFEARRAY) -> HRESULT {
        // SAFETY: forwarded contract.
        guard(Hresult::E_UNEXPECTED, || unsafe { vector::vector_from_bstr(bstr, ppsa) })
    }
}
