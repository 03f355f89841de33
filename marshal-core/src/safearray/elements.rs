//! What owning an element means, per kind: BSTRs are copied and freed, VARIANTs
//! copied and cleared, interface pointers AddRef'd and Released, records copied
//! and cleared through their `IRecordInfo`. Everything else is plain bytes.
//!
//! The kind comes from the descriptor's FADF flags, as in oleaut32; the hooks into
//! the BSTR and VARIANT modules are the functions at the bottom of this file.

use core::ffi::c_void;
use core::mem::size_of;

use super::raw::{FADF_BSTR, FADF_DISPATCH, FADF_RECORD, FADF_UNKNOWN, FADF_VARIANT, SAFEARRAY};
use crate::hresult::Hresult;
use crate::iunknown;

/// Size of a VARIANT on this target (24 on 64-bit, 16 on 32-bit).
pub(crate) const VARIANT_SIZE: usize = size_of::<crate::variant::VARIANT>();

/// How the elements of an array are owned, from its FADF flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ElemKind {
    /// Plain bytes (numbers, DECIMAL, CY, DATE, VARIANT_BOOL, …).
    Plain,
    /// `BSTR` pointers (FADF_BSTR).
    Bstr,
    /// `VARIANT`s (FADF_VARIANT).
    Variant,
    /// `IUnknown*` / `IDispatch*` (FADF_UNKNOWN / FADF_DISPATCH).
    Interface,
    /// Records described by the `IRecordInfo` before the descriptor (FADF_RECORD).
    Record,
}

impl ElemKind {
    /// The element kind the flags name, or `None` when they name more than one
    /// (a hostile or corrupt descriptor: oleaut32 would treat the same element as
    /// a BSTR in one call and a VARIANT in the next).
    #[inline]
    pub(crate) fn from_features(features: u16) -> Option<ElemKind> {
        if features & (FADF_BSTR | FADF_VARIANT | FADF_UNKNOWN | FADF_DISPATCH | FADF_RECORD) == 0 {
            return Some(ElemKind::Plain);
        }
        let kinds = [
            (features & FADF_BSTR != 0, ElemKind::Bstr),
            (features & FADF_VARIANT != 0, ElemKind::Variant),
            (features & (FADF_UNKNOWN | FADF_DISPATCH) != 0, ElemKind::Interface),
            (features & FADF_RECORD != 0, ElemKind::Record),
        ];
        let mut found = ElemKind::Plain;
        for (set, kind) in kinds {
            if set {
                if found != ElemKind::Plain {
                    return None;
                }
                found = kind;
            }
        }
        Some(found)
    }

    /// The element size this kind requires (`None`: any non-zero size).
    pub(crate) fn required_size(self) -> Option<usize> {
        match self {
            ElemKind::Bstr | ElemKind::Interface => Some(size_of::<*mut c_void>()),
            ElemKind::Variant => Some(VARIANT_SIZE),
            ElemKind::Plain | ElemKind::Record => None,
        }
    }

    /// `true` when elements own resources (freeing the data must visit them).
    pub(crate) fn is_owning(self) -> bool {
        self != ElemKind::Plain
    }
}

/// The element kind of `psa`, checked against its element size.
///
/// # Safety
///
/// `psa` points to a readable descriptor.
#[inline]
pub(crate) unsafe fn elem_kind_of(psa: *const SAFEARRAY) -> Result<ElemKind, Hresult> {
    // SAFETY: the caller guarantees a readable descriptor.
    let (features, cb) = unsafe { ((*psa).fFeatures, (*psa).cbElements as usize) };
    let kind = ElemKind::from_features(features).ok_or(Hresult::E_INVALIDARG)?;
    match kind.required_size() {
        Some(size) if size != cb => Err(Hresult::E_INVALIDARG),
        _ if kind == ElemKind::Record && cb == 0 => Err(Hresult::E_INVALIDARG),
        _ => Ok(kind),
    }
}

/// The `IRecordInfo` vtable slots a SAFEARRAY uses (the interface has more; only
/// the prefix up to `GetSize` is declared).
#[repr(C)]
pub(crate) struct IRecordInfoVtbl {
    pub(crate) base: iunknown::IUnknownVtbl,
    pub(crate) record_init: unsafe extern "system" fn(this: *mut c_void, new: *mut c_void) -> Hresult,
    pub(crate) record_clear: unsafe extern "system" fn(this: *mut c_void, existing: *mut c_void) -> Hresult,
    pub(crate) record_copy:
        unsafe extern "system" fn(this: *mut c_void, existing: *mut c_void, new: *mut c_void) -> Hresult,
    pub(crate) get_guid: unsafe extern "system" fn(this: *mut c_void, guid: *mut crate::guid::Guid) -> Hresult,
    pub(crate) get_name: unsafe extern "system" fn(this: *mut c_void, name: *mut *mut u16) -> Hresult,
    pub(crate) get_size: unsafe extern "system" fn(this: *mut c_void, size: *mut u32) -> Hresult,
}

/// # Safety
///
/// `rec` is a live `IRecordInfo*`.
unsafe fn record_vtbl(rec: *mut c_void) -> *const IRecordInfoVtbl {
    // SAFETY: a COM object's first field is its vtable pointer.
    unsafe { *(rec as *const *const IRecordInfoVtbl) }
}

/// `IRecordInfo::RecordClear`.
///
/// # Safety
///
/// `rec` is a live `IRecordInfo*`, `data` one record of its type.
pub(crate) unsafe fn record_clear(rec: *mut c_void, data: *mut u8) -> Hresult {
    // SAFETY: per the caller's guarantee.
    unsafe { ((*record_vtbl(rec)).record_clear)(rec, data as *mut c_void) }
}

/// `IRecordInfo::RecordCopy` (clears `dst` first, per its contract).
///
/// # Safety
///
/// `rec` is a live `IRecordInfo*`, `src` and `dst` records of its type.
pub(crate) unsafe fn record_copy(rec: *mut c_void, src: *const u8, dst: *mut u8) -> Hresult {
    // SAFETY: per the caller's guarantee.
    unsafe { ((*record_vtbl(rec)).record_copy)(rec, src as *mut c_void, dst as *mut c_void) }
}

/// `IRecordInfo::GetSize`.
///
/// # Safety
///
/// `rec` is a live `IRecordInfo*`.
pub(crate) unsafe fn record_size(rec: *mut c_void) -> (Hresult, u32) {
    let mut size = 0u32;
    // SAFETY: per the caller's guarantee; `size` is a valid out-pointer.
    let hr = unsafe { ((*record_vtbl(rec)).get_size)(rec, &mut size) };
    (hr, size)
}

/// AddRef on a possibly-null interface pointer.
///
/// # Safety
///
/// `p` is null or a live interface pointer.
pub(crate) unsafe fn interface_add_ref(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: non-null and live per the caller.
        unsafe { iunknown::add_ref(p) };
    }
}

/// Release on a possibly-null interface pointer.
///
/// # Safety
///
/// `p` is null or a live interface pointer on which the caller owns a reference.
pub(crate) unsafe fn interface_release(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: non-null, live and owned per the caller.
        unsafe { iunknown::release(p) };
    }
}

// ---------------------------------------------------------------------------
// Hooks into the BSTR and VARIANT modules.
// ---------------------------------------------------------------------------

/// `SysFreeString`.
///
/// # Safety
///
/// `b` is null or a BSTR of the process allocator, owned by the caller.
#[inline]
pub(crate) unsafe fn bstr_free(b: *mut u16) {
    // SAFETY: per the caller.
    unsafe { crate::bstr::sys_free_string(b) }
}

/// `SysAllocStringByteLen(b, SysStringByteLen(b))`: a copy with the same byte
/// length (odd lengths kept), as oleaut32's SafeArrayPutElement / Copy; a null
/// `b` gives an empty, non-null BSTR.
///
/// # Safety
///
/// `b` is null or a valid BSTR.
pub(crate) unsafe fn bstr_copy(b: *const u16) -> Result<*mut u16, Hresult> {
    // SAFETY: per the caller: the prefix and `len` payload bytes are readable.
    let copy = unsafe {
        let len = crate::bstr::sys_string_byte_len(b as *mut u16);
        crate::bstr::sys_alloc_string_byte_len(b as *const u8, len)
    };
    if copy.is_null() {
        Err(Hresult::E_OUTOFMEMORY)
    } else {
        Ok(copy)
    }
}

/// `VariantClear` of an element: refused (`DISP_E_BADVARTYPE`, the element left
/// alone) when its VARTYPE is not valid, as oleaut32 does.
///
/// # Safety
///
/// `v` points to `VARIANT_SIZE` bytes holding an initialised VARIANT owned by the
/// caller (possibly unaligned).
pub(crate) unsafe fn variant_clear(v: *mut u8) -> Hresult {
    use crate::variant::VARIANT;
    // SAFETY: per the caller.
    let mut local = unsafe { (v as *const VARIANT).read_unaligned() };
    if let Err(e) = crate::variant::validate(&local) {
        return e.hresult();
    }
    // SAFETY: validated; the payload is owned by the caller.
    unsafe {
        crate::variant::owned::clear_in_place(&mut local);
        (v as *mut VARIANT).write_unaligned(local);
    }
    Hresult::S_OK
}

/// `VariantCopy(dst, src)`: `dst` (cleared) becomes a deep copy of `src`. The
/// copy is made first, so on failure `dst` is unchanged.
///
/// # Safety
///
/// `dst` and `src` point to initialised VARIANTs (possibly unaligned); the caller
/// owns `dst`; `src`'s pointers are live.
pub(crate) unsafe fn variant_copy(dst: *mut u8, src: *const u8) -> Hresult {
    use crate::variant::VARIANT;
    // SAFETY: per the caller.
    let copy = match unsafe { crate::variant::owned::copy_raw(&(src as *const VARIANT).read_unaligned()) } {
        Ok(c) => c,
        Err(hr) => return hr,
    };
    // SAFETY: `dst` is an initialised VARIANT owned by the caller.
    let hr = unsafe { variant_clear(dst) };
    if hr.is_err() {
        // The copy is owned here: release it rather than leak it.
        drop(crate::variant::Variant::wrap(copy));
        return hr;
    }
    // SAFETY: `dst` is writable for a VARIANT.
    unsafe { (dst as *mut VARIANT).write_unaligned(copy) };
    Hresult::S_OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safearray::raw::FADF_HAVEIID;

    #[test]
    fn conflicting_element_flags_are_no_kind() {
        assert_eq!(ElemKind::from_features(FADF_BSTR | FADF_VARIANT), None);
        assert_eq!(ElemKind::from_features(FADF_UNKNOWN | FADF_RECORD), None);
        assert_eq!(ElemKind::from_features(FADF_UNKNOWN | FADF_DISPATCH | FADF_HAVEIID), Some(ElemKind::Interface));
        assert_eq!(ElemKind::from_features(0), Some(ElemKind::Plain));
    }
}
