//! [`Variant`]: an owned VARIANT. Drop = `VariantClear`, `try_clone` = `VariantCopy` (deep),
//! [`Variant::copy_ind`] = `VariantCopyInd`. [`VariantRef`] borrows a VARIANT owned by native code.

use core::ffi::c_void;

use super::raw::{IRecordInfoVtbl, VARIANT};
use super::{bstr_shim, Decimal};
use crate::hresult::Hresult;
use crate::vartype::VarType;

/// Why a VARIANT read from native memory was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariantError {
    /// The VARTYPE is not valid in a VARIANT (unknown base type, VT_VECTOR / VT_RESERVED set,
    /// BYREF/ARRAY of EMPTY or NULL, type 15, …): `DISP_E_BADVARTYPE`.
    BadVarType(VarType),
    /// VT_BYREF with a null pointer.
    NullByRef(VarType),
    /// A DECIMAL with scale > 28 or a sign byte other than 0 / 0x80: `E_INVALIDARG`.
    BadDecimal,
    /// VT_RECORD with a record but no IRecordInfo: `E_INVALIDARG`.
    RecordWithoutInfo,
    /// VT_ARRAY whose SAFEARRAY descriptor is invalid or holds another element type
    /// (checked by [`crate::safearray::validate`]): `E_INVALIDARG`.
    BadArray(VarType),
}

impl VariantError {
    /// The HRESULT oleaut32 answers for this condition.
    pub fn hresult(self) -> Hresult {
        match self {
            VariantError::BadVarType(_) => Hresult::DISP_E_BADVARTYPE,
            VariantError::BadArray(_) => Hresult::E_INVALIDARG,
            VariantError::NullByRef(_) => Hresult::DISP_E_TYPEMISMATCH,
            VariantError::BadDecimal | VariantError::RecordWithoutInfo => Hresult::E_INVALIDARG,
        }
    }
}

impl core::fmt::Display for VariantError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            VariantError::BadVarType(vt) => write!(f, "invalid VARTYPE {vt:?}"),
            VariantError::NullByRef(vt) => write!(f, "{vt:?} with a null pointer"),
            VariantError::BadDecimal => f.write_str("DECIMAL with scale > 28 or an invalid sign byte"),
            VariantError::RecordWithoutInfo => f.write_str("VT_RECORD without IRecordInfo"),
            VariantError::BadArray(vt) => write!(f, "{vt:?} with an invalid or mismatched SAFEARRAY"),
        }
    }
}

impl std::error::Error for VariantError {}

impl From<VariantError> for Hresult {
    fn from(e: VariantError) -> Hresult {
        e.hresult()
    }
}

/// `VARIANT_ValidateType`: the VARTYPEs oleaut32 accepts in a VARIANT.
pub fn validate_vartype(vt: VarType) -> Result<(), Hresult> {
    let extra = vt.0 & 0xF000;
    let base = vt.0 & VarType::TYPEMASK;
    if extra & (VarType::VECTOR_FLAG | VarType::RESERVED_FLAG) == 0
        && (base < VarType::VOID.0 || base == VarType::RECORD.0 || base == VarType::CLSID.0)
    {
        if extra & (VarType::BYREF_FLAG | VarType::ARRAY_FLAG) != 0 && base <= VarType::NULL.0 {
            return Err(Hresult::DISP_E_BADVARTYPE);
        }
        if base != 15 {
            return Ok(());
        }
    }
    Err(Hresult::DISP_E_BADVARTYPE)
}

/// Checks a raw VARIANT before anything reads its payload.
pub fn validate(v: &VARIANT) -> Result<(), VariantError> {
    let vt = v.vt;
    validate_vartype(vt).map_err(|_| VariantError::BadVarType(vt))?;
    if vt.is_byref() {
        // SAFETY: reading the pointer member of a fully initialised union.
        if unsafe { v.data.ptr }.is_null() {
            return Err(VariantError::NullByRef(vt));
        }
        return Ok(());
    }
    if vt.is_array() {
        // The SAFEARRAY behind the pointer is checked where it may be dereferenced
        // (`Variant::from_raw`, `VariantRef::new`: `check_array`).
        return Ok(());
    }
    if vt == VarType::DECIMAL && v.decimal().validate().is_err() {
        return Err(VariantError::BadDecimal);
    }
    if vt == VarType::RECORD {
        // SAFETY: reading the record member of a fully initialised union.
        let r = unsafe { v.data.record };
        if r.rec_info.is_null() && !r.record.is_null() {
            return Err(VariantError::RecordWithoutInfo);
        }
    }
    Ok(())
}

/// Validates the SAFEARRAY of a by-value VT_ARRAY VARIANT (see
/// [`crate::safearray::validate`]) and its element type.
///
/// # Safety
/// The array pointer of a by-value VT_ARRAY VARIANT is null or readable as a descriptor.
unsafe fn check_array(v: &VARIANT) -> Result<(), VariantError> {
    if v.vt.is_array() && !v.vt.is_byref() {
        // SAFETY: reading the pointer member; the descriptor is readable per the caller.
        unsafe { crate::safearray::variant_array::check_variant_array(v.vt.base(), v.data.ptr) }
            .map_err(|_| VariantError::BadArray(v.vt))?;
    }
    Ok(())
}

/// An owned VARIANT: the BSTR, interface reference or record it holds is released on drop.
///
/// ```
/// use marshal_core::variant::{Variant, VariantValue};
/// let v = Variant::from("héllo");
/// let w = v.try_clone().unwrap(); // deep copy: a second BSTR
/// assert!(matches!(w.value(), VariantValue::Bstr(s) if String::from_utf16_lossy(s) == "héllo"));
/// assert_eq!(i32::try_from(&Variant::from(7i32)), Ok(7));
/// ```
#[repr(transparent)]
pub struct Variant(pub(crate) VARIANT);

// A Variant holding interface pointers is as thread-bound as COM makes them; keep the
// compiler's default (!Send, !Sync) because of the raw pointers.

impl Default for Variant {
    fn default() -> Self {
        Variant(VARIANT::EMPTY)
    }
}

impl Drop for Variant {
    #[inline]
    fn drop(&mut self) {
        // Scalars own nothing: their drop is this one test, inlined at every drop site. A
        // BSTR is freed right here; interfaces, records and arrays take the general path.
        let vt = self.0.vt;
        if owns_payload(vt) {
            if vt == VarType::BSTR {
                // SAFETY: a Variant owns its BSTR (null or live, from the process allocator).
                unsafe { bstr_shim::free(self.0.data.ptr as *mut u16) }
            } else {
                // SAFETY: the invariant of Variant is that its payload is owned and valid.
                unsafe { clear_in_place(&mut self.0) };
            }
        }
    }
}

/// Whether a VARIANT of this type may own something `VariantClear` releases: a BSTR, an
/// interface, a record or a SAFEARRAY held by value (BYREF VARIANTs own nothing).
#[inline]
pub(crate) const fn owns_payload(vt: VarType) -> bool {
    const OWNING: u64 = 1 << VarType::BSTR.0
        | 1 << VarType::DISPATCH.0
        | 1 << VarType::UNKNOWN.0
        | 1 << VarType::RECORD.0
        | 1 << VarType::SAFEARRAY.0;
    let vt = vt.0;
    if vt < 64 {
        // By value, no flags: the common case is this one bit test.
        return OWNING & (1 << vt) != 0;
    }
    vt & VarType::BYREF_FLAG == 0 && vt & VarType::ARRAY_FLAG != 0
}

/// `VariantClear` on a raw VARIANT: an invalid VARTYPE is `DISP_E_BADVARTYPE` (the VARIANT
/// is left as it is); otherwise the payload is freed (BSTR), released (interfaces), cleared
/// (records) or destroyed (SAFEARRAY) and the VARIANT becomes VT_EMPTY. A SAFEARRAY that
/// cannot be destroyed (locked) gives `SafeArrayDestroy`'s HRESULT, the VARIANT still
/// becoming VT_EMPTY, as oleaut32 does.
///
/// # Safety
/// A valid VARTYPE's payload must be valid and owned by the caller.
pub unsafe fn clear_raw(v: &mut VARIANT) -> Hresult {
    if let Err(hr) = validate_vartype(v.vt) {
        return hr;
    }
    let mut hr = Hresult::S_OK;
    if v.vt.is_array() && !v.vt.is_byref() {
        // SAFETY: reading the pointer member; the array is owned (caller contract).
        hr = unsafe { crate::safearray::variant_array::destroy_variant_array(v.data.ptr) };
        // Destroyed, or locked by someone else: either way no longer this VARIANT's.
        v.data.ptr = core::ptr::null_mut();
    }
    // SAFETY: forwarded contract (the array, if any, is gone from the VARIANT).
    unsafe { clear_in_place(v) };
    hr
}

/// `VariantCopy(dst, src)` on raw VARIANTs: `src` is validated and deep-copied, then `dst`
/// is cleared ([`clear_raw`]) and receives the copy. On failure `dst` is unchanged, except
/// when clearing it failed after freeing part of it (a locked SAFEARRAY), as in oleaut32.
/// The two must not be the same VARIANT (oleaut32 then does nothing: check before calling).
///
/// # Safety
/// `src` as for [`copy_raw`]; `dst` as for [`clear_raw`].
pub unsafe fn copy_into(dst: &mut VARIANT, src: &VARIANT) -> Hresult {
    // SAFETY: forwarded contract.
    let copy = match unsafe { copy_raw(src) } {
        Ok(copy) => copy,
        Err(hr) => return hr,
    };
    // SAFETY: forwarded contract.
    let hr = unsafe { clear_raw(dst) };
    if hr.is_err() {
        // The copy is owned here: release it rather than leak it.
        drop(Variant::wrap(copy));
        return hr;
    }
    *dst = copy;
    Hresult::S_OK
}

/// `VariantClear` on a VARIANT whose payload this code owns.
///
/// # Safety
/// `v` must be valid (see [`validate`]) and own its BSTR / interface / record.
#[inline(never)]
pub(crate) unsafe fn clear_in_place(v: &mut VARIANT) {
    let vt = v.vt;
    if !vt.is_byref() {
        match vt {
            VarType::BSTR => {
                // SAFETY: the BSTR is owned (caller contract).
                unsafe { bstr_shim::free(v.data.ptr as *mut u16) }
            }
            VarType::UNKNOWN | VarType::DISPATCH => {
                // SAFETY: the interface reference is owned (caller contract).
                let p = unsafe { v.data.ptr };
                if !p.is_null() {
                    // SAFETY: a live COM object on which we own one reference.
                    unsafe { crate::iunknown::release(p) };
                }
            }
            VarType::RECORD => {
                // The record is cleared through its IRecordInfo, then its memory freed: a VARIANT owns
                // its record, allocated with the task allocator (what `copy_record` and oleaut32's
                // VariantCopy use, and what `IRecordInfo::RecordDestroy` frees).
                // SAFETY: the record and its IRecordInfo are owned (caller contract).
                unsafe {
                    let r = v.data.record;
                    if !r.rec_info.is_null() {
                        let vtbl = *(r.rec_info as *const *const IRecordInfoVtbl);
                        if !r.record.is_null() {
                            ((*vtbl).record_clear)(r.rec_info, r.record);
                            crate::alloc::CoTaskMem::free(r.record.cast());
                        }
                        crate::iunknown::release(r.rec_info);
                    }
                }
            }
            _ if vt.is_array() => {
                // SAFETY: the SAFEARRAY is owned (caller contract); SafeArrayDestroy.
                unsafe { crate::safearray::variant_array::destroy_variant_array(v.data.ptr) };
            }
            _ => {}
        }
    }
    *v = VARIANT::EMPTY;
}

impl Variant {
    /// VT_EMPTY.
    pub const fn empty() -> Variant {
        Variant(VARIANT::EMPTY)
    }

    /// VT_NULL (DBNull).
    pub const fn null() -> Variant {
        Variant(VARIANT::with_vt(VarType::NULL))
    }

    /// Takes ownership of a VARIANT read from native memory, after validation.
    ///
    /// # Safety
    /// Non-null BSTR, interface and record pointers in `raw` must be valid, owned by the
    /// caller (who gives them up) and allocated compatibly with this crate's BSTR allocator
    /// (BSTRs) and the task allocator (a VT_RECORD's record: `CoTaskMemAlloc`, as
    /// `IRecordInfo::RecordCreate` and oleaut32's `VariantCopy` allocate it).
    /// BYREF pointers must stay valid while the Variant is read.
    pub unsafe fn from_raw(raw: VARIANT) -> Result<Variant, VariantError> {
        validate(&raw)?;
        // SAFETY: the array pointer is valid per the caller.
        unsafe { check_array(&raw)? };
        Ok(Variant(raw))
    }

    /// Gives up ownership: the caller must clear the returned VARIANT.
    pub fn into_raw(self) -> VARIANT {
        let v = self.0;
        core::mem::forget(self);
        v
    }

    /// The raw VARIANT (still owned by `self`).
    pub fn as_raw(&self) -> &VARIANT {
        &self.0
    }

    /// A pointer suitable for a `VARIANT*` `[in]` parameter.
    pub fn as_ptr(&self) -> *const VARIANT {
        &self.0
    }

    /// The VARTYPE.
    pub fn vt(&self) -> VarType {
        self.0.vt
    }

    /// A BSTR VARIANT holding `units`. `E_OUTOFMEMORY` on allocation failure.
    pub fn from_utf16(units: &[u16]) -> Result<Variant, Hresult> {
        let p = bstr_shim::alloc_units(units);
        if p.is_null() {
            return Err(Hresult::E_OUTOFMEMORY);
        }
        let mut v = VARIANT::with_vt(VarType::BSTR);
        v.data.ptr = p as *mut c_void;
        Ok(Variant(v))
    }

    /// VT_ERROR with the given SCODE (`Missing` is `DISP_E_PARAMNOTFOUND`).
    pub fn error(scode: Hresult) -> Variant {
        let mut v = VARIANT::with_vt(VarType::ERROR);
        v.data.i32_ = scode.0;
        Variant(v)
    }

    /// VT_UNKNOWN holding `p` (AddRef'd here; null allowed).
    ///
    /// # Safety
    /// `p` is null or a live COM interface pointer.
    pub unsafe fn from_unknown(p: *mut c_void) -> Variant {
        Self::interface(VarType::UNKNOWN, p)
    }

    /// VT_DISPATCH holding `p` (AddRef'd here; null allowed).
    ///
    /// # Safety
    /// `p` is null or a live `IDispatch` pointer.
    pub unsafe fn from_dispatch(p: *mut c_void) -> Variant {
        Self::interface(VarType::DISPATCH, p)
    }

    fn interface(vt: VarType, p: *mut c_void) -> Variant {
        if !p.is_null() {
            // SAFETY: the public constructors' contract: a live interface pointer.
            unsafe { crate::iunknown::add_ref(p) };
        }
        let mut v = VARIANT::with_vt(vt);
        v.data.ptr = p;
        Variant(v)
    }

    /// A BYREF VARIANT pointing at `target` (owns nothing).
    ///
    /// # Safety
    /// `target` must point to a value of type `vt` that outlives every read of the Variant.
    pub unsafe fn by_ref(vt: VarType, target: *mut c_void) -> Result<Variant, VariantError> {
        let mut v = VARIANT::with_vt(vt.byref());
        v.data.ptr = target;
        validate(&v)?;
        Ok(Variant(v))
    }

    /// `VariantCopy`: BSTRs are duplicated, interfaces AddRef'd, records copied through
    /// their IRecordInfo; BYREF VARIANTs copy the pointer only.
    pub fn try_clone(&self) -> Result<Variant, Hresult> {
        // SAFETY: self is valid and owns its payload.
        unsafe { copy_raw(&self.0) }.map(Variant)
    }

    /// `VariantCopyInd`: like `try_clone`, but a BYREF VARIANT yields a by-value copy of
    /// what it points to (one level of BYREF VARIANT is followed).
    pub fn copy_ind(&self) -> Result<Variant, Hresult> {
        // SAFETY: self is valid; BYREF targets are valid by the constructors' contracts.
        unsafe { copy_ind_raw(&self.0) }.map(Variant)
    }

    /// Sets a DECIMAL payload.
    #[inline]
    pub fn from_decimal(d: Decimal) -> Variant {
        let mut v = VARIANT::EMPTY;
        v.set_decimal(&d);
        Variant(v)
    }
}

impl Clone for Variant {
    /// `VariantCopy`. Panics only when the copy fails (out of memory, or a record's
    /// `IRecordInfo::RecordCopy` failing); use [`Variant::try_clone`] to handle that.
    fn clone(&self) -> Variant {
        match self.try_clone() {
            Ok(v) => v,
            Err(hr) => panic!("VariantCopy failed: {hr:?}"),
        }
    }
}

impl core::fmt::Debug for Variant {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Variant({:?})", self.value())
    }
}

/// `VariantCopy` of a valid source into a fresh VARIANT (the result owns its payload).
///
/// # Safety
/// `src` must be valid and its pointers live.
pub unsafe fn copy_raw(src: &VARIANT) -> Result<VARIANT, Hresult> {
    if src.vt.base() == VarType::CLSID {
        return Err(Hresult::DISP_E_BADVARTYPE);
    }
    validate(src).map_err(Hresult::from)?;
    let mut dst = *src;
    if src.vt.is_byref() {
        return Ok(dst);
    }
    match src.vt {
        VarType::BSTR => {
            // SAFETY: a valid BSTR (caller contract).
            let p = unsafe { src.data.ptr } as *const u16;
            if !p.is_null() {
                // SAFETY: as above.
                dst.data.ptr = unsafe { bstr_shim::copy(p)? } as *mut c_void;
            }
        }
        VarType::UNKNOWN | VarType::DISPATCH => {
            // SAFETY: a live interface pointer (caller contract).
            let p = unsafe { src.data.ptr };
            if !p.is_null() {
                // SAFETY: as above.
                unsafe { crate::iunknown::add_ref(p) };
            }
        }
        VarType::RECORD => {
            // SAFETY: the record and IRecordInfo are live (caller contract).
            unsafe { copy_record(src.data.record, &mut dst)? };
        }
        vt if vt.is_array() => {
            // SAFETY: a valid SAFEARRAY (caller contract); SafeArrayCopy.
            dst.data.ptr = unsafe { crate::safearray::variant_array::copy_variant_array(src.data.ptr)? };
        }
        _ => {}
    }
    Ok(dst)
}

/// Copies a record with its IRecordInfo (`GetSize`, allocate zeroed, `RecordCopy`).
///
/// # Safety
/// `r.rec_info` is null or a live IRecordInfo; `r.record` is a record of that type.
unsafe fn copy_record(r: super::raw::BRecord, dst: &mut VARIANT) -> Result<(), Hresult> {
    if r.rec_info.is_null() {
        return if r.record.is_null() { Ok(()) } else { Err(Hresult::E_INVALIDARG) };
    }
    // SAFETY: a live IRecordInfo (caller contract); the vtable follows the SDK layout.
    unsafe {
        let vtbl = *(r.rec_info as *const *const IRecordInfoVtbl);
        let mut size = 0u32;
        ((*vtbl).get_size)(r.rec_info, &mut size).ok()?;
        // The task allocator, as oleaut32 (so that `RecordDestroy`, or `clear_in_place`, frees it).
        let mem = crate::alloc::CoTaskMem::alloc_zeroed(size as usize) as *mut c_void;
        if mem.is_null() {
            return Err(Hresult::E_OUTOFMEMORY);
        }
        let hr = ((*vtbl).record_copy)(r.rec_info, r.record, mem);
        if hr.is_err() {
            // Nothing was handed out yet: the copy and its memory go, the destination is unchanged.
            ((*vtbl).record_clear)(r.rec_info, mem);
            crate::alloc::CoTaskMem::free(mem.cast());
            return Err(hr);
        }
        crate::iunknown::add_ref(r.rec_info);
        dst.data.record = super::raw::BRecord { record: mem, rec_info: r.rec_info };
        Ok(())
    }
}

/// `VariantCopyInd` into a fresh VARIANT (the result owns its payload).
///
/// # Safety
/// `src` valid; a BYREF pointer points at a live value of its type.
pub unsafe fn copy_ind_raw(src: &VARIANT) -> Result<VARIANT, Hresult> {
    if !src.vt.is_byref() {
        // SAFETY: forwarded contract.
        return unsafe { copy_raw(src) };
    }
    // As oleaut32's VariantCopyInd, the tag is checked first: also the tag of a VARIANT reached
    // through VT_BYREF|VT_VARIANT (a BYREF array tagged VT_VECTOR|VT_RESERVED was copied into a
    // VARIANT nobody could free; found by `variant_change_type`).
    validate_vartype(src.vt)?;
    if src.vt.is_array() {
        // SAFETY: reading the pointer member; a BYREF pointer is valid (caller contract).
        let pp = unsafe { src.data.ptr } as *const *mut c_void;
        if pp.is_null() {
            return Err(Hresult::DISP_E_TYPEMISMATCH);
        }
        let mut dst = VARIANT::with_vt(VarType(src.vt.0 & !VarType::BYREF_FLAG));
        // SAFETY: `*pp` is null or a valid SAFEARRAY (caller contract); SafeArrayCopy.
        dst.data.ptr = unsafe { crate::safearray::variant_array::copy_variant_array(*pp)? };
        return Ok(dst);
    }
    let base = src.vt.base();
    let ok = src.vt.0 == VarType::RECORD.0 | VarType::BYREF_FLAG
        || (base.0 > VarType::NULL.0 && base.0 != 15 && base.0 < VarType::VOID.0 && src.vt.0 & 0x9000 == 0);
    if !ok {
        return Err(Hresult::E_INVALIDARG);
    }
    // SAFETY: reading the pointer member.
    let p = unsafe { src.data.ptr };
    if p.is_null() {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    let mut dst = VARIANT::with_vt(base);
    // SAFETY: `p` points at a live value of type `base` (caller contract).
    unsafe {
        match base {
            VarType::BSTR => {
                let b = *(p as *const *const u16);
                dst.data.ptr = core::ptr::null_mut();
                if !b.is_null() {
                    dst.data.ptr = bstr_shim::copy(b)? as *mut c_void;
                }
            }
            VarType::UNKNOWN | VarType::DISPATCH => {
                let i = *(p as *const *mut c_void);
                if !i.is_null() {
                    crate::iunknown::add_ref(i);
                }
                dst.data.ptr = i;
            }
            VarType::VARIANT => {
                let inner = &*(p as *const VARIANT);
                if inner.vt.0 == VarType::VARIANT.0 | VarType::BYREF_FLAG {
                    return Err(Hresult::E_INVALIDARG);
                }
                return copy_ind_raw(inner);
            }
            VarType::DECIMAL => {
                let d = *(p as *const Decimal);
                dst.set_decimal(&d);
            }
            VarType::RECORD => {
                copy_record(src.data.record, &mut dst)?;
            }
            VarType::I1 | VarType::UI1 => dst.data.i8_ = *(p as *const i8),
            VarType::I2 | VarType::UI2 | VarType::BOOL => dst.data.i16_ = (p as *const i16).read_unaligned(),
            VarType::I4 | VarType::UI4 | VarType::INT | VarType::UINT | VarType::ERROR | VarType::R4 => {
                dst.data.i32_ = (p as *const i32).read_unaligned()
            }
            VarType::I8 | VarType::UI8 | VarType::R8 | VarType::CY | VarType::DATE => {
                dst.data.i64_ = (p as *const i64).read_unaligned()
            }
            _ => return Err(Hresult::E_INVALIDARG),
        }
    }
    Ok(dst)
}

/// A VARIANT owned by native code, borrowed for reading (validated on creation).
#[derive(Clone, Copy)]
pub struct VariantRef<'a> {
    raw: &'a VARIANT,
}

impl<'a> VariantRef<'a> {
    /// Validates and borrows.
    ///
    /// # Safety
    /// Pointers inside `raw` (BSTR, interfaces, BYREF targets) must be valid for `'a`.
    pub unsafe fn new(raw: &'a VARIANT) -> Result<VariantRef<'a>, VariantError> {
        validate(raw)?;
        // SAFETY: the array pointer is valid per the caller.
        unsafe { check_array(raw)? };
        Ok(VariantRef { raw })
    }

    /// The borrowed VARIANT.
    pub fn raw(&self) -> &'a VARIANT {
        self.raw
    }

    /// The value, for pattern matching.
    pub fn value(&self) -> super::VariantValue<'a> {
        // SAFETY: validated on construction, pointers valid for 'a (constructor contract).
        unsafe { super::value::value_of(self.raw) }
    }

    /// An owned deep copy (`VariantCopy`).
    pub fn to_owned(&self) -> Result<Variant, Hresult> {
        // SAFETY: as in `value`.
        unsafe { copy_raw(self.raw) }.map(Variant)
    }
}

#[cfg(test)]
mod found_by_fuzzing {
    //! Cases the `variant_raw` fuzz target found. VT_RECORD ownership: `VariantCopy` allocates the copy
    //! with the task allocator and `VariantClear` clears and frees it (the copy leaked). BSTR copies keep
    //! an odd trailing byte, as `SysAllocStringByteLen` does.
    use core::cell::Cell;
    use core::ffi::c_void;

    use super::*;
    use crate::alloc::tracking::LeakCheck;
    use crate::iunknown::IUnknownVtbl;
    use crate::variant::raw::BRecord;

    #[repr(C)]
    struct Info {
        vtbl: *const IRecordInfoVtbl,
        refs: Cell<u32>,
        clears: Cell<u32>,
        fail_copy: bool,
    }

    fn info<'a>(this: *mut c_void) -> &'a Info {
        // SAFETY: only called with pointers to the `Info` of a test.
        unsafe { &*(this as *const Info) }
    }
    unsafe extern "system" fn qi(_: *mut c_void, _: *const crate::Guid, _: *mut *mut c_void) -> Hresult {
        Hresult::E_NOINTERFACE
    }
    unsafe extern "system" fn add_ref(this: *mut c_void) -> u32 {
        info(this).refs.set(info(this).refs.get() + 1);
        info(this).refs.get()
    }
    unsafe extern "system" fn release(this: *mut c_void) -> u32 {
        info(this).refs.set(info(this).refs.get() - 1);
        info(this).refs.get()
    }
    unsafe extern "system" fn init(_: *mut c_void, _: *mut c_void) -> Hresult {
        Hresult::E_NOTIMPL
    }
    unsafe extern "system" fn clear(this: *mut c_void, _: *mut c_void) -> Hresult {
        info(this).clears.set(info(this).clears.get() + 1);
        Hresult::S_OK
    }
    unsafe extern "system" fn copy(this: *mut c_void, src: *mut c_void, dst: *mut c_void) -> Hresult {
        if info(this).fail_copy {
            return Hresult::E_FAIL;
        }
        // SAFETY: both hold 8-byte records.
        unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, 8) };
        Hresult::S_OK
    }
    unsafe extern "system" fn size(_: *mut c_void, size: *mut u32) -> Hresult {
        // SAFETY: a writable out-pointer.
        unsafe { *size = 8 };
        Hresult::S_OK
    }
    /// The vtable (its opaque slots are raw pointers, all null: never called).
    struct Vtbl(IRecordInfoVtbl);
    // SAFETY: read-only function and null pointers.
    unsafe impl Sync for Vtbl {}
    static VTBL: Vtbl = Vtbl(IRecordInfoVtbl {
        base: IUnknownVtbl { query_interface: qi, add_ref, release },
        record_init: init,
        record_clear: clear,
        record_copy: copy,
        get_guid: core::ptr::null(),
        get_name: core::ptr::null(),
        get_size: size,
        rest: [core::ptr::null(); 10],
    });

    fn record_variant(info: &Info, record: &mut u64) -> VARIANT {
        let mut v = VARIANT::with_vt(VarType::RECORD);
        v.data.record = BRecord { record: (record as *mut u64).cast(), rec_info: info as *const Info as *mut c_void };
        v
    }

    #[test]
    fn a_copied_record_is_freed_by_clear() {
        let check = LeakCheck::start();
        let info = Info { vtbl: &VTBL.0, refs: Cell::new(1), clears: Cell::new(0), fail_copy: false };
        let mut record = 0x0102_0304_0506_0708u64;
        let src = record_variant(&info, &mut record);
        // SAFETY: `src` borrows a live record and IRecordInfo.
        let copy = unsafe { VariantRef::new(&src) }.unwrap().to_owned().unwrap();
        // SAFETY: reading the record member.
        let r = unsafe { copy.as_raw().data.record };
        assert_ne!(r.record, src_record(&src));
        // SAFETY: the copy holds 8 bytes.
        assert_eq!(unsafe { *(r.record as *const u64) }, 0x0102_0304_0506_0708);
        assert_eq!(info.refs.get(), 2);
        assert_eq!(check.live(), (1, 0), "the copy is one task-allocator block");
        drop(copy);
        assert_eq!((info.refs.get(), info.clears.get()), (1, 1));
        check.assert_no_leaks();
    }

    #[test]
    fn a_failed_record_copy_leaves_nothing() {
        let check = LeakCheck::start();
        let info = Info { vtbl: &VTBL.0, refs: Cell::new(1), clears: Cell::new(0), fail_copy: true };
        let mut record = 7u64;
        let src = record_variant(&info, &mut record);
        // SAFETY: as above.
        let r = unsafe { VariantRef::new(&src) }.unwrap().to_owned();
        assert_eq!(r.err(), Some(Hresult::E_FAIL));
        assert_eq!(info.refs.get(), 1, "no reference kept by a failed copy");
        check.assert_no_leaks();
    }

    #[test]
    fn copies_of_an_odd_length_bstr_keep_every_byte() {
        let check = LeakCheck::start();
        let odd = crate::bstr::Bstr::from_bytes(b"abc").unwrap();
        let mut v = VARIANT::with_vt(VarType::BSTR);
        v.data.ptr = odd.as_ptr().cast();
        // SAFETY: `v` borrows the live BSTR `odd`.
        let copy = unsafe { VariantRef::new(&v) }.unwrap().to_owned().unwrap();
        // SAFETY: a BSTR VARIANT's payload.
        let q = unsafe { copy.as_raw().data.ptr } as *const u16;
        // SAFETY: `q` is the copy's live BSTR.
        assert_eq!(unsafe { crate::bstr::BstrRef::from_raw(q) }.as_bytes(), b"abc");
        let mut cell = odd.as_ptr();
        // SAFETY: a BYREF BSTR pointing at `cell`, which outlives the Variant.
        let byref = unsafe { Variant::by_ref(VarType::BSTR, (&mut cell as *mut *mut u16).cast()) }.unwrap();
        let deref = byref.copy_ind().unwrap();
        // SAFETY: as above.
        let r = unsafe { deref.as_raw().data.ptr } as *const u16;
        // SAFETY: the dereferenced copy's live BSTR.
        assert_eq!(unsafe { crate::bstr::BstrRef::from_raw(r) }.as_bytes(), b"abc");
        drop((copy, deref, byref, odd));
        check.assert_no_leaks();
    }

    fn src_record(v: &VARIANT) -> *mut c_void {
        // SAFETY: reading the record member.
        unsafe { v.data.record.record }
    }
}
