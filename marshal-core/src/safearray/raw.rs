//! The native `SAFEARRAY` ABI and the oleaut32 functions over raw pointers.
//!
//! Each `safe_array_*` function does what the oleaut32 function of the same name
//! does (`safe_array_create` = `SafeArrayCreate`, …), with the same arguments and
//! the same HRESULTs, so that the C-ABI crate can export them one to one. The
//! behaviour follows Wine 8's oleaut32 (the recorded vectors) and its test suite,
//! except where oleaut32 is unsafe on bad input; those places are hardened and say
//! so:
//!
//! - every size, count and offset is computed with checked arithmetic (oleaut32
//!   multiplies in 32 bits; CVE-2014-6332 was a `SafeArrayRedim` overflow);
//! - a descriptor whose FADF flags name two element kinds, or whose element size
//!   does not fit its element kind, has its elements left alone (`E_INVALIDARG` /
//!   `E_UNEXPECTED`) instead of being freed as the wrong type;
//! - `SafeArrayRedim` changes nothing when it fails, and never moves or frees data
//!   flagged `FADF_AUTO`/`FADF_STATIC`/`FADF_EMBEDDED` (memory the array does not
//!   own); `SafeArrayDestroyDescriptor` and `SafeArrayDestroyData` do not free such
//!   memory either (the data is cleared and zeroed, as oleaut32 does for `FADF_STATIC`);
//! - `SafeArrayCopyData` releases the target's elements even when the source's
//!   element kind differs (oleaut32 leaks them).
//!
//! Memory layout (64-bit; 32-bit in brackets):
//!
//! ```text
//!  -16  GUID (FADF_HAVEIID: VT_UNKNOWN / VT_DISPATCH)
//!   -4  DWORD VARTYPE (FADF_HAVEVARTYPE)         -8 [-4] IRecordInfo* (FADF_RECORD)
//!    0  u16 cDims, u16 fFeatures, u32 cbElements, u32 cLocks
//!   16 [12] void* pvData
//!   24 [16] SAFEARRAYBOUND rgsabound[cDims]: {u32 cElements, i32 lLbound}, rightmost dimension first
//! ```
//!
//! Dimension `n` (1-based, as `SafeArrayGetLBound` numbers them) is stored at
//! `rgsabound[cDims - n]`. An index array passed to `safe_array_put_element` /
//! `safe_array_get_element` / `safe_array_ptr_of_index` lists dimension 1 first,
//! and the data is column-major: the index of dimension 1 varies fastest.
#![allow(non_snake_case)]

use core::ffi::c_void;
use core::mem::{offset_of, size_of};
use core::ptr::{self, addr_of_mut};

use super::elements::{self, ElemKind};
use super::mem;
use crate::guid::Guid;
use crate::hresult::Hresult;
use crate::iunknown::{IID_IDISPATCH, IID_IUNKNOWN};
use crate::vartype::VarType;

/// `FADF_AUTO`: the array lives on the stack (its memory is not the array's to free).
pub const FADF_AUTO: u16 = 0x0001;
/// `FADF_STATIC`: the array is statically allocated (its memory is not the array's to free).
pub const FADF_STATIC: u16 = 0x0002;
/// `FADF_EMBEDDED`: the array is embedded in a structure (its memory is not the array's to free).
pub const FADF_EMBEDDED: u16 = 0x0004;
/// `FADF_FIXEDSIZE`: the array may not be redimensioned.
pub const FADF_FIXEDSIZE: u16 = 0x0010;
/// `FADF_RECORD`: elements are records; an `IRecordInfo*` precedes the descriptor.
pub const FADF_RECORD: u16 = 0x0020;
/// `FADF_HAVEIID`: an interface IID occupies the 16 bytes before the descriptor.
pub const FADF_HAVEIID: u16 = 0x0040;
/// `FADF_HAVEVARTYPE`: the element VARTYPE is the DWORD before the descriptor.
pub const FADF_HAVEVARTYPE: u16 = 0x0080;
/// `FADF_BSTR`: elements are BSTRs.
pub const FADF_BSTR: u16 = 0x0100;
/// `FADF_UNKNOWN`: elements are `IUnknown*`.
pub const FADF_UNKNOWN: u16 = 0x0200;
/// `FADF_DISPATCH`: elements are `IDispatch*`.
pub const FADF_DISPATCH: u16 = 0x0400;
/// `FADF_VARIANT`: elements are VARIANTs.
pub const FADF_VARIANT: u16 = 0x0800;
/// `FADF_RESERVED`: bits reserved for the implementation.
pub const FADF_RESERVED: u16 = 0xF008;
/// `FADF_DATADELETED` (implementation bit): a vector's elements were destroyed in place.
pub const FADF_DATADELETED: u16 = 0x1000;
/// `FADF_CREATEVECTOR` (implementation bit): descriptor and data are one block (`SafeArrayCreateVector`).
pub const FADF_CREATEVECTOR: u16 = 0x2000;

/// Flags that say the array's memory belongs to someone else.
const FADF_NOT_OWNED: u16 = FADF_AUTO | FADF_STATIC | FADF_EMBEDDED;
/// Flags a copy does not inherit.
const IGNORED_COPY_FEATURES: u16 = FADF_AUTO | FADF_STATIC | FADF_EMBEDDED | FADF_FIXEDSIZE | FADF_CREATEVECTOR;

/// One dimension's bounds: `{ULONG cElements; LONG lLbound;}`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, bytemuck::Pod, bytemuck::Zeroable)]
pub struct SAFEARRAYBOUND {
    /// Number of elements in the dimension.
    pub cElements: u32,
    /// Lower bound (the index of the first element).
    pub lLbound: i32,
}

/// The `SAFEARRAY` descriptor. `rgsabound` has `cDims` entries in memory (the
/// declared length 1 is the C idiom for a trailing array): reach them through
/// raw pointers, never by indexing this field.
#[repr(C)]
#[derive(Debug)]
pub struct SAFEARRAY {
    /// Number of dimensions.
    pub cDims: u16,
    /// FADF flags.
    pub fFeatures: u16,
    /// Size of one element in bytes.
    pub cbElements: u32,
    /// Lock count (`SafeArrayLock` / `SafeArrayAccessData`).
    pub cLocks: u32,
    /// The elements, column-major.
    pub pvData: *mut c_void,
    /// The bounds, rightmost dimension first.
    pub rgsabound: [SAFEARRAYBOUND; 1],
}

/// Bytes of hidden data before every descriptor this module allocates.
pub const HIDDEN_SIZE: usize = 16;
/// Bytes of the descriptor before `rgsabound` (24 on 64-bit, 16 on 32-bit).
pub const HEADER_SIZE: usize = offset_of!(SAFEARRAY, rgsabound);
/// Largest dimension count oleaut32 accepts.
pub const MAX_DIMS: u32 = 65535;
/// Largest lock count oleaut32 allows.
pub const MAX_LOCKS: u32 = 0xFFFF;

const _: () = {
    assert!(size_of::<SAFEARRAYBOUND>() == 8);
    if size_of::<usize>() == 8 {
        assert!(size_of::<SAFEARRAY>() == 32);
        assert!(offset_of!(SAFEARRAY, pvData) == 16);
        assert!(HEADER_SIZE == 24);
    } else {
        assert!(size_of::<SAFEARRAY>() == 24);
        assert!(offset_of!(SAFEARRAY, pvData) == 12);
        assert!(HEADER_SIZE == 16);
    }
};

// ---------------------------------------------------------------------------
// Helpers shared with the safe layer.
// ---------------------------------------------------------------------------

/// The size oleaut32 gives an element of `vt` (`SAFEARRAY_GetVTSize`): 0 for a
/// type a SAFEARRAY cannot hold (flags included), 32 for `VT_RECORD` (a
/// placeholder until the record's `IRecordInfo` says).
pub fn vt_element_size(vt: VarType) -> u32 {
    if vt.0 & !VarType::TYPEMASK != 0 {
        return 0;
    }
    match vt {
        VarType::RECORD => 32,
        _ => vt.element_size(size_of::<usize>() as u32).unwrap_or(0),
    }
}

/// Pointer to the `i`-th stored bound (`rgsabound[i]`, rightmost dimension first).
///
/// # Safety
///
/// `psa` points to a descriptor with more than `i` bounds.
#[inline]
pub(crate) unsafe fn bound_ptr(psa: *mut SAFEARRAY, i: usize) -> *mut SAFEARRAYBOUND {
    // SAFETY: the bounds follow the header inside the same allocation.
    unsafe { (addr_of_mut!((*psa).rgsabound) as *mut SAFEARRAYBOUND).add(i) }
}

/// Number of elements: the product of every dimension's count (0 as soon as one
/// is 0); `None` when the product overflows `usize`.
///
/// # Safety
///
/// `psa` points to a readable descriptor with `cDims` bounds.
pub(crate) unsafe fn cell_count(psa: *mut SAFEARRAY) -> Option<usize> {
    // SAFETY: per the caller.
    let dims = unsafe { (*psa).cDims } as usize;
    let mut cells: usize = 1;
    let mut overflow = false;
    for i in 0..dims {
        // SAFETY: i < cDims.
        let count = unsafe { (*bound_ptr(psa, i)).cElements } as usize;
        if count == 0 {
            return Some(0);
        }
        match cells.checked_mul(count) {
            Some(c) => cells = c,
            None => overflow = true,
        }
    }
    if overflow {
        None
    } else {
        Some(cells)
    }
}

/// Bytes of element data: cells × cbElements, `None` on overflow or beyond `isize::MAX`.
///
/// # Safety
///
/// As [`cell_count`].
pub(crate) unsafe fn data_bytes(psa: *mut SAFEARRAY) -> Option<usize> {
    // SAFETY: per the caller.
    let (cells, cb) = unsafe { (cell_count(psa)?, (*psa).cbElements as usize) };
    cells.checked_mul(cb).filter(|&n| n <= isize::MAX as usize)
}

/// # Safety
///
/// `psa` was allocated by this module (16 hidden bytes before it).
#[inline(always)]
unsafe fn hidden_vartype_ptr(psa: *mut SAFEARRAY) -> *mut u32 {
    // SAFETY: per the caller, the hidden area precedes the descriptor.
    unsafe { (psa as *mut u8).sub(4) as *mut u32 }
}

/// The VARTYPE stored before a FADF_HAVEVARTYPE descriptor.
///
/// # Safety
///
/// `psa` has its hidden area.
#[inline(always)]
pub(crate) unsafe fn hidden_vartype(psa: *mut SAFEARRAY) -> VarType {
    // SAFETY: per the caller.
    VarType(unsafe { hidden_vartype_ptr(psa).read_unaligned() } as u16)
}

/// # Safety
///
/// As [`hidden_vartype_ptr`].
unsafe fn hidden_iid_ptr(psa: *mut SAFEARRAY) -> *mut Guid {
    // SAFETY: per the caller.
    unsafe { (psa as *mut u8).sub(16) as *mut Guid }
}

/// # Safety
///
/// As [`hidden_vartype_ptr`].
unsafe fn hidden_record_ptr(psa: *mut SAFEARRAY) -> *mut *mut c_void {
    // SAFETY: per the caller.
    unsafe { (psa as *mut u8).sub(size_of::<*mut c_void>()) as *mut *mut c_void }
}

/// The `IRecordInfo*` stored before a FADF_RECORD descriptor (not AddRef'd).
///
/// # Safety
///
/// `psa` is a FADF_RECORD descriptor with its hidden area.
pub(crate) unsafe fn record_info_of(psa: *mut SAFEARRAY) -> *mut c_void {
    // SAFETY: per the caller.
    unsafe { hidden_record_ptr(psa).read_unaligned() }
}

/// Allocates a zeroed block of `HIDDEN_SIZE + size` bytes and returns the
/// descriptor address inside it.
fn alloc_descriptor_block(size: usize) -> Result<*mut SAFEARRAY, Hresult> {
    let total = size.checked_add(HIDDEN_SIZE).ok_or(Hresult::E_OUTOFMEMORY)?;
    let block = mem::alloc_zeroed(total);
    if block.is_null() {
        return Err(Hresult::E_OUTOFMEMORY);
    }
    // SAFETY: the block has at least HIDDEN_SIZE bytes.
    Ok(unsafe { block.add(HIDDEN_SIZE) } as *mut SAFEARRAY)
}

/// Sets the hidden type information for `vt` (`SAFEARRAY_SetFeatures`).
///
/// # Safety
///
/// `psa` is a descriptor allocated by this module.
unsafe fn set_features_for(vt: VarType, psa: *mut SAFEARRAY) {
    // SAFETY: per the caller, the descriptor and its hidden area are writable.
    unsafe {
        match vt {
            VarType::DISPATCH => {
                (*psa).fFeatures = FADF_HAVEIID;
                hidden_iid_ptr(psa).write_unaligned(IID_IDISPATCH);
            }
            VarType::UNKNOWN => {
                (*psa).fFeatures = FADF_HAVEIID;
                hidden_iid_ptr(psa).write_unaligned(IID_IUNKNOWN);
            }
            VarType::RECORD => (*psa).fFeatures = FADF_RECORD,
            _ => {
                (*psa).fFeatures = FADF_HAVEVARTYPE;
                hidden_vartype_ptr(psa).write_unaligned(vt.0 as u32);
            }
        }
    }
}

/// The element-kind flag `SafeArrayCreate` adds for `vt`.
fn kind_feature(vt: VarType) -> u16 {
    match vt {
        VarType::BSTR => FADF_BSTR,
        VarType::UNKNOWN => FADF_UNKNOWN,
        VarType::DISPATCH => FADF_DISPATCH,
        VarType::VARIANT => FADF_VARIANT,
        _ => 0,
    }
}

/// Destroys (frees, clears, releases) the elements from cell `start` on, and
/// zeroes their bytes (`SAFEARRAY_DestroyData`).
///
/// # Safety
///
/// `psa` is a valid descriptor whose data holds initialised elements.
pub(crate) unsafe fn destroy_elements(psa: *mut SAFEARRAY, start: usize) -> Hresult {
    // SAFETY: per the caller.
    unsafe {
        let data = (*psa).pvData as *mut u8;
        if data.is_null() || (*psa).fFeatures & FADF_DATADELETED != 0 {
            return Hresult::S_OK;
        }
        let Some(cells) = cell_count(psa) else { return Hresult::E_UNEXPECTED };
        if start > cells {
            return Hresult::E_UNEXPECTED;
        }
        let kind = match elements::elem_kind_of(psa) {
            Ok(kind) => kind,
            Err(_) => return Hresult::E_UNEXPECTED,
        };
        if !kind.is_owning() {
            return Hresult::S_OK;
        }
        let cb = (*psa).cbElements as usize;
        if data_bytes(psa).is_none() {
            return Hresult::E_UNEXPECTED;
        }
        let record = if kind == ElemKind::Record { record_info_of(psa) } else { ptr::null_mut() };
        for cell in start..cells {
            let p = data.add(cell * cb);
            match kind {
                ElemKind::Bstr => elements::bstr_free((p as *const *mut u16).read_unaligned()),
                ElemKind::Interface => elements::interface_release((p as *const *mut c_void).read_unaligned()),
                ElemKind::Variant => {
                    // A VARIANT that cannot be cleared is left as it is (oleaut32 goes on too).
                    let _ = elements::variant_clear(p);
                }
                ElemKind::Record => {
                    if !record.is_null() {
                        let _ = elements::record_clear(record, p);
                    }
                }
                ElemKind::Plain => {}
            }
            if kind != ElemKind::Variant && kind != ElemKind::Record {
                ptr::write_bytes(p, 0, cb);
            }
        }
        Hresult::S_OK
    }
}

// ---------------------------------------------------------------------------
// The oleaut32 functions.
// ---------------------------------------------------------------------------

/// `SafeArrayAllocDescriptor`: a zeroed descriptor for `c_dims` dimensions, no
/// data, no features.
///
/// `E_INVALIDARG` when `c_dims` is 0 or above 65535, `E_POINTER` for a null
/// `ppsa_out`, `E_OUTOFMEMORY`.
///
/// # Safety
///
/// `ppsa_out` is null or writable.
pub unsafe fn safe_array_alloc_descriptor(c_dims: u32, ppsa_out: *mut *mut SAFEARRAY) -> Hresult {
    if c_dims == 0 || c_dims > MAX_DIMS {
        return Hresult::E_INVALIDARG;
    }
    if ppsa_out.is_null() {
        return Hresult::E_POINTER;
    }
    let size = HEADER_SIZE + size_of::<SAFEARRAYBOUND>() * c_dims as usize;
    match alloc_descriptor_block(size) {
        Ok(psa) => {
            // SAFETY: fresh descriptor; `ppsa_out` is writable per the caller.
            unsafe {
                (*psa).cDims = c_dims as u16;
                *ppsa_out = psa;
            }
            Hresult::S_OK
        }
        Err(hr) => {
            // SAFETY: writable per the caller.
            unsafe { *ppsa_out = ptr::null_mut() };
            hr
        }
    }
}

/// `SafeArrayAllocDescriptorEx`: as [`safe_array_alloc_descriptor`], with the
/// type information of `vt` (hidden VARTYPE, or IID for interfaces, or
/// FADF_RECORD) and `cbElements` set from it (0 for a type a SAFEARRAY cannot
/// hold: oleaut32 does not check `vt` here).
///
/// # Safety
///
/// `ppsa_out` is null or writable.
pub unsafe fn safe_array_alloc_descriptor_ex(vt: VarType, c_dims: u32, ppsa_out: *mut *mut SAFEARRAY) -> Hresult {
    // SAFETY: per the caller.
    let hr = unsafe { safe_array_alloc_descriptor(c_dims, ppsa_out) };
    if hr.is_ok() {
        // SAFETY: the call succeeded, so *ppsa_out is a fresh descriptor of ours.
        unsafe {
            let psa = *ppsa_out;
            set_features_for(vt, psa);
            (*psa).cbElements = vt_element_size(vt);
        }
    }
    hr
}

/// `SafeArrayAllocData`: allocates zeroed storage for every element the bounds
/// describe (`cElements` product × `cbElements`).
///
/// `E_INVALIDARG` for null, `E_OUTOFMEMORY` when the size overflows or the
/// allocation fails.
///
/// # Safety
///
/// `psa` is null or a valid descriptor with `cDims` bounds. Like oleaut32, an
/// existing `pvData` is overwritten, not freed.
pub unsafe fn safe_array_alloc_data(psa: *mut SAFEARRAY) -> Hresult {
    if psa.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: valid descriptor per the caller.
    let Some(bytes) = (unsafe { data_bytes(psa) }) else { return Hresult::E_OUTOFMEMORY };
    let data = mem::alloc_zeroed(bytes);
    if data.is_null() {
        return Hresult::E_OUTOFMEMORY;
    }
    // SAFETY: valid descriptor per the caller.
    unsafe { (*psa).pvData = data as *mut c_void };
    Hresult::S_OK
}

/// Common part of `SafeArrayCreate` / `SafeArrayCreateEx`.
///
/// # Safety
///
/// `rgsabound` is null or points to `c_dims` bounds.
unsafe fn create(vt: VarType, c_dims: u32, rgsabound: *const SAFEARRAYBOUND, elem_size: u32) -> *mut SAFEARRAY {
    if rgsabound.is_null() {
        return ptr::null_mut();
    }
    let mut psa = ptr::null_mut();
    // SAFETY: `psa` is a valid out-pointer.
    if unsafe { safe_array_alloc_descriptor_ex(vt, c_dims, &mut psa) }.is_err() {
        return ptr::null_mut();
    }
    // SAFETY: `psa` is our fresh descriptor with c_dims bounds; `rgsabound` has c_dims entries.
    unsafe {
        (*psa).fFeatures |= kind_feature(vt);
        let dims = c_dims as usize;
        for i in 0..dims {
            *bound_ptr(psa, i) = rgsabound.add(dims - 1 - i).read_unaligned();
        }
        if elem_size != 0 {
            (*psa).cbElements = elem_size;
        }
        if (*psa).cbElements == 0 || safe_array_alloc_data(psa).is_err() {
            safe_array_destroy_descriptor(psa);
            return ptr::null_mut();
        }
    }
    psa
}

/// `SafeArrayCreate`: a new array of `vt` with `c_dims` dimensions; `rgsabound`
/// lists dimension 1 first (it is stored reversed). Elements are zeroed.
///
/// Null when `vt` cannot be stored (VT_EMPTY, VT_NULL, flagged types, …) or is
/// `VT_RECORD` (use [`safe_array_create_ex`]), `c_dims` is 0 or above 65535,
/// `rgsabound` is null, or the size overflows / cannot be allocated.
///
/// # Safety
///
/// `rgsabound` is null or points to `c_dims` readable bounds.
pub unsafe fn safe_array_create(vt: VarType, c_dims: u32, rgsabound: *const SAFEARRAYBOUND) -> *mut SAFEARRAY {
    if vt == VarType::RECORD {
        return ptr::null_mut();
    }
    // SAFETY: per the caller.
    unsafe { create(vt, c_dims, rgsabound, 0) }
}

/// `SafeArrayCreateEx`: as [`safe_array_create`]; `pv_extra` is the
/// `IRecordInfo*` of a `VT_RECORD` array (required; its `GetSize` gives the
/// element size, and the array keeps a reference) or the IID of a
/// `VT_UNKNOWN` / `VT_DISPATCH` array (optional).
///
/// # Safety
///
/// `rgsabound` as for [`safe_array_create`]; `pv_extra` is null, a live
/// `IRecordInfo*` (VT_RECORD) or a readable GUID (interfaces).
pub unsafe fn safe_array_create_ex(
    vt: VarType,
    c_dims: u32,
    rgsabound: *const SAFEARRAYBOUND,
    pv_extra: *mut c_void,
) -> *mut SAFEARRAY {
    let mut size = 0;
    if vt == VarType::RECORD {
        if pv_extra.is_null() {
            return ptr::null_mut();
        }
        // The size is used even when GetSize fails (as Windows does).
        // SAFETY: a live IRecordInfo per the caller.
        size = unsafe { elements::record_size(pv_extra) }.1;
    }
    // SAFETY: per the caller.
    let psa = unsafe { create(vt, c_dims, rgsabound, size) };
    if !pv_extra.is_null() && !psa.is_null() {
        // SAFETY: `psa` is ours; `pv_extra` per the caller.
        unsafe { attach_extra(vt, psa, pv_extra) };
    }
    psa
}

/// # Safety
///
/// `psa` is a descriptor of ours created for `vt`; `pv_extra` as for [`safe_array_create_ex`].
unsafe fn attach_extra(vt: VarType, psa: *mut SAFEARRAY, pv_extra: *mut c_void) {
    // SAFETY: per the caller.
    unsafe {
        match vt {
            VarType::RECORD => {
                safe_array_set_record_info(psa, pv_extra);
            }
            VarType::UNKNOWN | VarType::DISPATCH => {
                safe_array_set_iid(psa, pv_extra as *const Guid);
            }
            _ => {}
        }
    }
}

/// Common part of `SafeArrayCreateVector` / `SafeArrayCreateVectorEx`.
fn create_vector(vt: VarType, l_lbound: i32, c_elements: u32, elem_size: u32) -> *mut SAFEARRAY {
    if elem_size == 0 && vt != VarType::RECORD {
        return ptr::null_mut();
    }
    let Some(data) = (elem_size as usize).checked_mul(c_elements as usize) else { return ptr::null_mut() };
    let Some(size) = data.checked_add(size_of::<SAFEARRAY>()) else { return ptr::null_mut() };
    let Ok(psa) = alloc_descriptor_block(size) else { return ptr::null_mut() };
    // SAFETY: fresh descriptor with one bound and `data` bytes after it.
    unsafe {
        set_features_for(vt, psa);
        (*psa).cDims = 1;
        (*psa).fFeatures |= FADF_CREATEVECTOR | kind_feature(vt);
        (*psa).pvData = (psa as *mut u8).add(size_of::<SAFEARRAY>()) as *mut c_void;
        (*psa).cbElements = elem_size;
        *bound_ptr(psa, 0) = SAFEARRAYBOUND { cElements: c_elements, lLbound: l_lbound };
    }
    psa
}

/// `SafeArrayCreateVector`: a one-dimensional array whose descriptor and data
/// are one block (FADF_CREATEVECTOR). Null for `VT_RECORD`, types a SAFEARRAY
/// cannot hold, and sizes that overflow.
pub fn safe_array_create_vector(vt: VarType, l_lbound: i32, c_elements: u32) -> *mut SAFEARRAY {
    if vt == VarType::RECORD {
        return ptr::null_mut();
    }
    create_vector(vt, l_lbound, c_elements, vt_element_size(vt))
}

/// `SafeArrayCreateVectorEx`: as [`safe_array_create_vector`], with `pv_extra`
/// as for [`safe_array_create_ex`].
///
/// # Safety
///
/// `pv_extra` is null, a live `IRecordInfo*` (VT_RECORD) or a readable GUID (interfaces).
pub unsafe fn safe_array_create_vector_ex(
    vt: VarType,
    l_lbound: i32,
    c_elements: u32,
    pv_extra: *mut c_void,
) -> *mut SAFEARRAY {
    let size = if vt == VarType::RECORD {
        if pv_extra.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: a live IRecordInfo per the caller.
        unsafe { elements::record_size(pv_extra) }.1
    } else {
        vt_element_size(vt)
    };
    let psa = create_vector(vt, l_lbound, c_elements, size);
    if !pv_extra.is_null() && !psa.is_null() {
        // SAFETY: `psa` is ours; `pv_extra` per the caller.
        unsafe { attach_extra(vt, psa, pv_extra) };
    }
    psa
}

/// `SafeArrayDestroyDescriptor`: frees the descriptor (and, for a vector, its
/// elements, which share the block); a separately allocated data block is left
/// alone. Null is `S_OK`; a locked array is `DISP_E_ARRAYISLOCKED`.
///
/// # Safety
///
/// `psa` is null or a valid descriptor allocated by this module (or flagged
/// FADF_AUTO / FADF_STATIC / FADF_EMBEDDED, which is then not freed).
pub unsafe fn safe_array_destroy_descriptor(psa: *mut SAFEARRAY) -> Hresult {
    if psa.is_null() {
        return Hresult::S_OK;
    }
    // SAFETY: valid descriptor per the caller.
    unsafe {
        if (*psa).cLocks != 0 {
            return Hresult::DISP_E_ARRAYISLOCKED;
        }
        let features = (*psa).fFeatures;
        if features & FADF_RECORD != 0 {
            safe_array_set_record_info(psa, ptr::null_mut());
        }
        if features & FADF_CREATEVECTOR != 0 && features & FADF_DATADELETED == 0 {
            let _ = destroy_elements(psa, 0);
        }
        if features & FADF_NOT_OWNED == 0 {
            mem::free_block((psa as *mut u8).sub(HIDDEN_SIZE));
        }
    }
    Hresult::S_OK
}

/// `SafeArrayDestroyData`: destroys every element (BSTRs freed, VARIANTs
/// cleared, interfaces released, records cleared) and frees the data block
/// (`pvData` becomes null; a vector's in-block data is marked deleted; data
/// flagged FADF_AUTO / FADF_STATIC / FADF_EMBEDDED is zeroed and kept).
/// `E_INVALIDARG` for null, `DISP_E_ARRAYISLOCKED` when locked.
///
/// # Safety
///
/// `psa` is null or a valid descriptor whose elements are initialised.
pub unsafe fn safe_array_destroy_data(psa: *mut SAFEARRAY) -> Hresult {
    if psa.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: valid descriptor per the caller.
    unsafe {
        if (*psa).cLocks != 0 {
            return Hresult::DISP_E_ARRAYISLOCKED;
        }
        let hr = destroy_elements(psa, 0);
        if hr.is_err() {
            return hr;
        }
        let data = (*psa).pvData as *mut u8;
        if data.is_null() {
            return Hresult::S_OK;
        }
        let features = (*psa).fFeatures;
        if features & FADF_NOT_OWNED != 0 {
            if let Some(bytes) = data_bytes(psa) {
                ptr::write_bytes(data, 0, bytes);
            }
        } else if features & FADF_CREATEVECTOR == 0 {
            mem::free_block(data);
            (*psa).pvData = ptr::null_mut();
        } else {
            (*psa).fFeatures |= FADF_DATADELETED;
        }
    }
    Hresult::S_OK
}

/// `SafeArrayDestroy`: [`safe_array_destroy_data`] then
/// [`safe_array_destroy_descriptor`]. Null is `S_OK`; a locked array is
/// `DISP_E_ARRAYISLOCKED` and left intact.
///
/// # Safety
///
/// As [`safe_array_destroy_descriptor`] and [`safe_array_destroy_data`].
pub unsafe fn safe_array_destroy(psa: *mut SAFEARRAY) -> Hresult {
    if psa.is_null() {
        return Hresult::S_OK;
    }
    // SAFETY: valid descriptor per the caller.
    unsafe {
        if (*psa).cLocks != 0 {
            return Hresult::DISP_E_ARRAYISLOCKED;
        }
        let hr = safe_array_destroy_data(psa);
        if hr.is_err() {
            // Elements that cannot be destroyed (corrupt flags) are leaked with the
            // descriptor rather than freed as the wrong type.
            return hr;
        }
        safe_array_destroy_descriptor(psa)
    }
}

/// `SafeArrayLock`: increments the lock count. `E_INVALIDARG` for null,
/// `E_UNEXPECTED` beyond 65535 locks (the count is left unchanged).
///
/// As in Windows' oleaut32 ("in Win32 these locks are not thread safe"), the
/// count is not updated atomically: one array is not locked from two threads
/// at once. The lock protects against re-entrant destruction (a callback made
/// while an element is copied) and against native code holding the data.
///
/// # Safety
///
/// `psa` is null or a valid descriptor not used by another thread meanwhile.
#[inline]
pub unsafe fn safe_array_lock(psa: *mut SAFEARRAY) -> Hresult {
    if psa.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: valid descriptor, no concurrent user, per the caller.
    unsafe {
        if (*psa).cLocks >= MAX_LOCKS {
            return Hresult::E_UNEXPECTED;
        }
        (*psa).cLocks += 1;
    }
    Hresult::S_OK
}

/// `SafeArrayUnlock`: decrements the lock count. `E_INVALIDARG` for null,
/// `E_UNEXPECTED` when no lock is held.
///
/// # Safety
///
/// As [`safe_array_lock`].
#[inline]
pub unsafe fn safe_array_unlock(psa: *mut SAFEARRAY) -> Hresult {
    if psa.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: valid descriptor, no concurrent user, per the caller.
    unsafe {
        if (*psa).cLocks == 0 {
            return Hresult::E_UNEXPECTED;
        }
        (*psa).cLocks -= 1;
    }
    Hresult::S_OK
}

/// The cell number (column-major) of `indices` (dimension 1 first), or
/// `DISP_E_BADINDEX`. Every dimension is checked; arithmetic cannot overflow.
///
/// # Safety
///
/// `psa` is a valid descriptor; `indices` points to `cDims` readable values.
#[inline]
pub(crate) unsafe fn cell_of(psa: *mut SAFEARRAY, indices: *const i32) -> Result<usize, Hresult> {
    // SAFETY: per the caller.
    unsafe {
        let dims = (*psa).cDims as usize;
        if dims == 0 {
            return Err(Hresult::E_INVALIDARG);
        }
        if dims == 1 {
            // The common vector: one check, no stride.
            let bound = *bound_ptr(psa, 0);
            let offset = indices.read_unaligned() as i64 - bound.lLbound as i64;
            if offset < 0 || offset >= bound.cElements as i64 {
                return Err(Hresult::DISP_E_BADINDEX);
            }
            return Ok(offset as usize);
        }
        let mut cell: usize = 0;
        let mut stride: usize = 1;
        for d in 0..dims {
            let bound = *bound_ptr(psa, dims - 1 - d);
            let offset = indices.add(d).read_unaligned() as i64 - bound.lLbound as i64;
            if offset < 0 || offset >= bound.cElements as i64 {
                return Err(Hresult::DISP_E_BADINDEX);
            }
            let term = (offset as usize).checked_mul(stride).ok_or(Hresult::DISP_E_BADINDEX)?;
            cell = cell.checked_add(term).ok_or(Hresult::DISP_E_BADINDEX)?;
            stride = stride.saturating_mul(bound.cElements as usize);
        }
        Ok(cell)
    }
}

/// `SafeArrayPtrOfIndex`: the address of the element at `rg_indices`
/// (dimension 1 first). Does not lock. `E_INVALIDARG` for null arguments,
/// `DISP_E_BADINDEX` for an index outside its dimension.
///
/// # Safety
///
/// `psa` is null or a valid descriptor; `rg_indices` is null or points to
/// `cDims` values; `ppv_data` is null or writable.
pub unsafe fn safe_array_ptr_of_index(
    psa: *mut SAFEARRAY,
    rg_indices: *const i32,
    ppv_data: *mut *mut c_void,
) -> Hresult {
    if psa.is_null() || rg_indices.is_null() || ppv_data.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        match element_ptr(psa, rg_indices) {
            Ok(p) => {
                *ppv_data = p as *mut c_void;
                Hresult::S_OK
            }
            Err(hr) => hr,
        }
    }
}

/// # Safety
///
/// As [`cell_of`].
unsafe fn element_ptr(psa: *mut SAFEARRAY, indices: *const i32) -> Result<*mut u8, Hresult> {
    // SAFETY: per the caller.
    unsafe {
        let cell = cell_of(psa, indices)?;
        let offset = cell.checked_mul((*psa).cbElements as usize).ok_or(Hresult::DISP_E_BADINDEX)?;
        Ok(((*psa).pvData as *mut u8).wrapping_add(offset))
    }
}

/// True when the FADF flags name no owning element kind (BSTR, VARIANT, interface,
/// record). `SafeArrayPutElement` / `GetElement` do not lock such an array: copying a
/// plain element runs no code that could see the lock, so only the lock count's limit is
/// checked, with `SafeArrayLock`'s answer ([`lock_limit_reached`]).
///
/// # Safety
///
/// `psa` is a valid descriptor.
#[inline]
unsafe fn holds_plain_elements(psa: *const SAFEARRAY) -> bool {
    // SAFETY: per the caller.
    unsafe { ElemKind::from_features((*psa).fFeatures) == Some(ElemKind::Plain) }
}

/// `SafeArrayLock`'s refusal, without taking the lock: `E_UNEXPECTED` at the limit.
///
/// # Safety
///
/// `psa` is a valid descriptor.
#[inline]
unsafe fn lock_limit_reached(psa: *const SAFEARRAY) -> Option<Hresult> {
    // SAFETY: per the caller.
    unsafe { ((*psa).cLocks >= MAX_LOCKS).then_some(Hresult::E_UNEXPECTED) }
}

/// `SafeArrayPutElement`: stores a copy of `pv` at `rg_indices`: for a BSTR
/// array `pv` is the BSTR itself (copied with its byte length; the previous
/// string is freed), for an interface array the interface pointer itself
/// (AddRef'd; the previous one Released), for a VARIANT array a `VARIANT*`
/// (VariantCopy), otherwise a pointer to `cbElements` bytes. Locks the array
/// for the duration.
///
/// # Safety
///
/// `psa` is null or a valid descriptor with initialised elements; `rg_indices`
/// null or `cDims` values; `pv` as described (null allowed for BSTR / interface).
pub unsafe fn safe_array_put_element(psa: *mut SAFEARRAY, rg_indices: *const i32, pv: *const c_void) -> Hresult {
    if psa.is_null() || rg_indices.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        if holds_plain_elements(psa) {
            return match lock_limit_reached(psa) {
                Some(hr) => hr,
                None => put_locked(psa, rg_indices, pv),
            };
        }
        let hr = safe_array_lock(psa);
        if hr.is_err() {
            return hr;
        }
        let hr = put_locked(psa, rg_indices, pv);
        safe_array_unlock(psa);
        hr
    }
}

/// # Safety
///
/// As [`safe_array_put_element`], array locked (or holding plain elements).
unsafe fn put_locked(psa: *mut SAFEARRAY, rg_indices: *const i32, pv: *const c_void) -> Hresult {
    // SAFETY: per the caller.
    unsafe {
        let dest = match element_ptr(psa, rg_indices) {
            Ok(p) => p,
            Err(hr) => return hr,
        };
        if (*psa).pvData.is_null() {
            return Hresult::E_INVALIDARG;
        }
        let kind = match elements::elem_kind_of(psa) {
            Ok(k) => k,
            Err(hr) => return hr,
        };
        match kind {
            ElemKind::Bstr => {
                let copy = match elements::bstr_copy(pv as *const u16) {
                    Ok(b) => b,
                    Err(hr) => return hr,
                };
                let slot = dest as *mut *mut u16;
                elements::bstr_free(slot.read_unaligned());
                slot.write_unaligned(copy);
                Hresult::S_OK
            }
            ElemKind::Interface => {
                let slot = dest as *mut *mut c_void;
                elements::interface_add_ref(pv as *mut c_void);
                elements::interface_release(slot.read_unaligned());
                slot.write_unaligned(pv as *mut c_void);
                Hresult::S_OK
            }
            _ if pv.is_null() => Hresult::E_INVALIDARG,
            ElemKind::Variant => elements::variant_copy(dest, pv as *const u8),
            ElemKind::Record => {
                let record = record_info_of(psa);
                if record.is_null() {
                    return Hresult::E_UNEXPECTED;
                }
                elements::record_copy(record, pv as *const u8, dest)
            }
            ElemKind::Plain => {
                copy_element(pv as *const u8, dest, (*psa).cbElements as usize);
                Hresult::S_OK
            }
        }
    }
}

/// Copies one plain element (`memmove` of `cb` bytes, without a call for the
/// usual sizes).
///
/// # Safety
///
/// `src` and `dst` are valid for `cb` bytes.
#[inline]
unsafe fn copy_element(src: *const u8, dst: *mut u8, cb: usize) {
    // SAFETY: per the caller; unaligned accesses of exactly cb bytes.
    unsafe {
        match cb {
            1 => dst.write(src.read()),
            2 => (dst as *mut u16).write_unaligned((src as *const u16).read_unaligned()),
            4 => (dst as *mut u32).write_unaligned((src as *const u32).read_unaligned()),
            8 => (dst as *mut u64).write_unaligned((src as *const u64).read_unaligned()),
            16 => (dst as *mut u128).write_unaligned((src as *const u128).read_unaligned()),
            _ => ptr::copy(src, dst, cb),
        }
    }
}

/// `SafeArrayGetElement`: copies the element at `rg_indices` to `pv`: a new
/// BSTR (null stays null), an AddRef'd interface pointer, a VariantCopy (the
/// previous content of `*pv` is ignored, as oleaut32 does), or `cbElements`
/// bytes. The caller owns what it gets. Locks the array for the duration.
///
/// # Safety
///
/// `psa` is null or a valid descriptor with initialised elements; `rg_indices`
/// null or `cDims` values; `pv` null or `cbElements` writable bytes.
pub unsafe fn safe_array_get_element(psa: *mut SAFEARRAY, rg_indices: *const i32, pv: *mut c_void) -> Hresult {
    if psa.is_null() || rg_indices.is_null() || pv.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        if holds_plain_elements(psa) {
            return match lock_limit_reached(psa) {
                Some(hr) => hr,
                None => get_locked(psa, rg_indices, pv as *mut u8),
            };
        }
        let hr = safe_array_lock(psa);
        if hr.is_err() {
            return hr;
        }
        let hr = get_locked(psa, rg_indices, pv as *mut u8);
        safe_array_unlock(psa);
        hr
    }
}

/// # Safety
///
/// As [`safe_array_get_element`], array locked (or holding plain elements).
unsafe fn get_locked(psa: *mut SAFEARRAY, rg_indices: *const i32, out: *mut u8) -> Hresult {
    // SAFETY: per the caller.
    unsafe {
        let src = match element_ptr(psa, rg_indices) {
            Ok(p) => p,
            Err(hr) => return hr,
        };
        if (*psa).pvData.is_null() {
            return Hresult::E_INVALIDARG;
        }
        let kind = match elements::elem_kind_of(psa) {
            Ok(k) => k,
            Err(hr) => return hr,
        };
        match kind {
            ElemKind::Bstr => {
                let b = (src as *const *mut u16).read_unaligned();
                let copy = if b.is_null() {
                    ptr::null_mut()
                } else {
                    match elements::bstr_copy(b) {
                        Ok(c) => c,
                        Err(hr) => return hr,
                    }
                };
                (out as *mut *mut u16).write_unaligned(copy);
                Hresult::S_OK
            }
            ElemKind::Interface => {
                let p = (src as *const *mut c_void).read_unaligned();
                elements::interface_add_ref(p);
                (out as *mut *mut c_void).write_unaligned(p);
                Hresult::S_OK
            }
            ElemKind::Variant => {
                (out as *mut u16).write_unaligned(VarType::EMPTY.0);
                elements::variant_copy(out, src)
            }
            ElemKind::Record => {
                let record = record_info_of(psa);
                if record.is_null() {
                    return Hresult::E_UNEXPECTED;
                }
                elements::record_copy(record, src, out)
            }
            ElemKind::Plain => {
                copy_element(src, out, (*psa).cbElements as usize);
                Hresult::S_OK
            }
        }
    }
}

/// `SafeArrayGetUBound`: the upper bound of dimension `n_dim` (1-based).
/// `E_INVALIDARG` for null arguments, `DISP_E_BADINDEX` for a dimension out of range.
///
/// # Safety
///
/// `psa` is null or a valid descriptor; `pl_ubound` null or writable.
pub unsafe fn safe_array_get_ubound(psa: *mut SAFEARRAY, n_dim: u32, pl_ubound: *mut i32) -> Hresult {
    if psa.is_null() || pl_ubound.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        let dims = (*psa).cDims as u32;
        if n_dim == 0 || n_dim > dims {
            return Hresult::DISP_E_BADINDEX;
        }
        let b = *bound_ptr(psa, (dims - n_dim) as usize);
        // LONG + ULONG - 1 in C: wraps, never traps.
        *pl_ubound = b.lLbound.wrapping_add(b.cElements as i32).wrapping_sub(1);
    }
    Hresult::S_OK
}

/// `SafeArrayGetLBound`: the lower bound of dimension `n_dim` (1-based).
/// `E_INVALIDARG` for null arguments, `DISP_E_BADINDEX` for a dimension out of range.
///
/// # Safety
///
/// `psa` is null or a valid descriptor; `pl_lbound` null or writable.
pub unsafe fn safe_array_get_lbound(psa: *mut SAFEARRAY, n_dim: u32, pl_lbound: *mut i32) -> Hresult {
    if psa.is_null() || pl_lbound.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        let dims = (*psa).cDims as u32;
        if n_dim == 0 || n_dim > dims {
            return Hresult::DISP_E_BADINDEX;
        }
        *pl_lbound = (*bound_ptr(psa, (dims - n_dim) as usize)).lLbound;
    }
    Hresult::S_OK
}

/// `SafeArrayGetDim`: the number of dimensions (0 for null).
///
/// # Safety
///
/// `psa` is null or a valid descriptor.
pub unsafe fn safe_array_get_dim(psa: *mut SAFEARRAY) -> u32 {
    if psa.is_null() {
        0
    } else {
        // SAFETY: per the caller.
        unsafe { (*psa).cDims as u32 }
    }
}

/// `SafeArrayGetElemsize`: the element size (0 for null).
///
/// # Safety
///
/// `psa` is null or a valid descriptor.
pub unsafe fn safe_array_get_elemsize(psa: *mut SAFEARRAY) -> u32 {
    if psa.is_null() {
        0
    } else {
        // SAFETY: per the caller.
        unsafe { (*psa).cbElements }
    }
}

/// `SafeArrayAccessData`: locks the array and returns its data pointer
/// (null on failure). `E_INVALIDARG` for null arguments, `E_UNEXPECTED` when
/// the lock count is exhausted.
///
/// # Safety
///
/// `psa` is null or a valid descriptor; `ppv_data` null or writable.
pub unsafe fn safe_array_access_data(psa: *mut SAFEARRAY, ppv_data: *mut *mut c_void) -> Hresult {
    if psa.is_null() || ppv_data.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        let hr = safe_array_lock(psa);
        *ppv_data = if hr.is_ok() { (*psa).pvData } else { ptr::null_mut() };
        hr
    }
}

/// `SafeArrayUnaccessData`: [`safe_array_unlock`].
///
/// # Safety
///
/// As [`safe_array_unlock`].
pub unsafe fn safe_array_unaccess_data(psa: *mut SAFEARRAY) -> Hresult {
    // SAFETY: per the caller.
    unsafe { safe_array_unlock(psa) }
}

/// `SafeArrayGetVartype`: the element VARTYPE from the hidden data:
/// `VT_RECORD` for FADF_RECORD, `VT_DISPATCH` for FADF_HAVEIID|FADF_DISPATCH,
/// `VT_UNKNOWN` for other FADF_HAVEIID, the stored DWORD for FADF_HAVEVARTYPE;
/// otherwise `E_INVALIDARG` (also for null arguments).
///
/// # Safety
///
/// `psa` is null or a valid descriptor (with its hidden area when a flag says
/// so); `pvt` null or writable.
pub unsafe fn safe_array_get_vartype(psa: *mut SAFEARRAY, pvt: *mut VarType) -> Hresult {
    if psa.is_null() || pvt.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        match vartype_of(psa) {
            Some(vt) => {
                *pvt = vt;
                Hresult::S_OK
            }
            None => Hresult::E_INVALIDARG,
        }
    }
}

/// The VARTYPE [`safe_array_get_vartype`] reports, if any.
///
/// # Safety
///
/// As [`safe_array_get_vartype`], `psa` non-null.
#[inline]
pub(crate) unsafe fn vartype_of(psa: *mut SAFEARRAY) -> Option<VarType> {
    // SAFETY: per the caller.
    unsafe {
        let features = (*psa).fFeatures;
        // The common case first: a hidden VARTYPE and nothing that overrides it.
        if features & (FADF_RECORD | FADF_HAVEIID | FADF_HAVEVARTYPE) == FADF_HAVEVARTYPE {
            Some(VarType(hidden_vartype_ptr(psa).read_unaligned() as u16))
        } else if features & FADF_RECORD != 0 {
            Some(VarType::RECORD)
        } else if features & (FADF_HAVEIID | FADF_DISPATCH) == FADF_HAVEIID | FADF_DISPATCH {
            Some(VarType::DISPATCH)
        } else if features & FADF_HAVEIID != 0 {
            Some(VarType::UNKNOWN)
        } else {
            None
        }
    }
}

/// `SafeArraySetIID`: stores the interface IID of a FADF_HAVEIID array;
/// `E_INVALIDARG` otherwise or for null arguments.
///
/// # Safety
///
/// `psa` null or a valid descriptor with its hidden area; `guid` null or readable.
pub unsafe fn safe_array_set_iid(psa: *mut SAFEARRAY, guid: *const Guid) -> Hresult {
    // SAFETY: per the caller.
    unsafe {
        if psa.is_null() || guid.is_null() || (*psa).fFeatures & FADF_HAVEIID == 0 {
            return Hresult::E_INVALIDARG;
        }
        hidden_iid_ptr(psa).write_unaligned(guid.read_unaligned());
    }
    Hresult::S_OK
}

/// `SafeArrayGetIID`: the interface IID of a FADF_HAVEIID array;
/// `E_INVALIDARG` otherwise or for null arguments.
///
/// # Safety
///
/// `psa` null or a valid descriptor with its hidden area; `pguid` null or writable.
pub unsafe fn safe_array_get_iid(psa: *mut SAFEARRAY, pguid: *mut Guid) -> Hresult {
    // SAFETY: per the caller.
    unsafe {
        if psa.is_null() || pguid.is_null() || (*psa).fFeatures & FADF_HAVEIID == 0 {
            return Hresult::E_INVALIDARG;
        }
        pguid.write_unaligned(hidden_iid_ptr(psa).read_unaligned());
    }
    Hresult::S_OK
}

/// `SafeArraySetRecordInfo`: replaces the `IRecordInfo*` of a FADF_RECORD
/// array (AddRef on the new one, Release on the old); `E_INVALIDARG` otherwise.
///
/// # Safety
///
/// `psa` null or a valid descriptor with its hidden area; `rec` null or a live `IRecordInfo*`.
pub unsafe fn safe_array_set_record_info(psa: *mut SAFEARRAY, rec: *mut c_void) -> Hresult {
    // SAFETY: per the caller.
    unsafe {
        if psa.is_null() || (*psa).fFeatures & FADF_RECORD == 0 {
            return Hresult::E_INVALIDARG;
        }
        elements::interface_add_ref(rec);
        let slot = hidden_record_ptr(psa);
        elements::interface_release(slot.read_unaligned());
        slot.write_unaligned(rec);
    }
    Hresult::S_OK
}

/// `SafeArrayGetRecordInfo`: the `IRecordInfo*` of a FADF_RECORD array,
/// AddRef'd (null if none); `E_INVALIDARG` otherwise.
///
/// # Safety
///
/// `psa` null or a valid descriptor with its hidden area; `prec` null or writable.
pub unsafe fn safe_array_get_record_info(psa: *mut SAFEARRAY, prec: *mut *mut c_void) -> Hresult {
    // SAFETY: per the caller.
    unsafe {
        if psa.is_null() || prec.is_null() || (*psa).fFeatures & FADF_RECORD == 0 {
            return Hresult::E_INVALIDARG;
        }
        let rec = record_info_of(psa);
        elements::interface_add_ref(rec);
        *prec = rec;
    }
    Hresult::S_OK
}

/// The element kind flags, hidden type information and IRecordInfo of `src`, onto a fresh `dst` that holds
/// no elements.
///
/// # Safety
///
/// Both valid descriptors with their hidden areas; `dst` has no initialised elements.
unsafe fn copy_type_info(src: *mut SAFEARRAY, dst: *mut SAFEARRAY) {
    // SAFETY: per the caller.
    unsafe {
        let features = (*src).fFeatures;
        (*dst).fFeatures = ((*dst).fFeatures & FADF_CREATEVECTOR) | (features & !IGNORED_COPY_FEATURES);
        if features & FADF_RECORD != 0 {
            safe_array_set_record_info(dst, record_info_of(src));
        }
        if features & FADF_HAVEIID != 0 {
            hidden_iid_ptr(dst).write_unaligned(hidden_iid_ptr(src).read_unaligned());
        } else if features & FADF_HAVEVARTYPE != 0 {
            hidden_vartype_ptr(dst).write_unaligned(hidden_vartype_ptr(src).read_unaligned());
        }
    }
}

/// Copies every element of `src` into `dst` (same shape; `dst`'s previous
/// elements are destroyed first) and the type information (`SAFEARRAY_CopyData`).
///
/// # Safety
///
/// Both valid descriptors of equal cDims, cbElements and counts.
unsafe fn copy_data(src: *mut SAFEARRAY, dst: *mut SAFEARRAY) -> Hresult {
    // SAFETY: per the caller.
    unsafe {
        if (*src).pvData.is_null() {
            return Hresult::S_OK;
        }
        if (*dst).pvData.is_null() || (*src).fFeatures & FADF_DATADELETED != 0 {
            return Hresult::E_INVALIDARG;
        }
        let src_kind = match elements::elem_kind_of(src) {
            Ok(k) => k,
            Err(hr) => return hr,
        };
        let dst_kind = match elements::elem_kind_of(dst) {
            Ok(k) => k,
            Err(hr) => return hr,
        };
        let Some(cells) = cell_count(src) else { return Hresult::E_INVALIDARG };
        let Some(bytes) = data_bytes(src) else { return Hresult::E_INVALIDARG };
        if dst_kind != src_kind {
            let hr = destroy_elements(dst, 0);
            if hr.is_err() {
                return hr;
            }
            // Whatever the old elements left behind must not be read as the new kind.
            ptr::write_bytes((*dst).pvData as *mut u8, 0, bytes);
        }
        (*dst).fFeatures = ((*dst).fFeatures & FADF_CREATEVECTOR) | ((*src).fFeatures & !IGNORED_COPY_FEATURES);
        let cb = (*src).cbElements as usize;
        let (s, d) = ((*src).pvData as *const u8, (*dst).pvData as *mut u8);
        let mut hr = Hresult::S_OK;
        match src_kind {
            ElemKind::Plain => ptr::copy(s, d, bytes),
            ElemKind::Variant => {
                for i in 0..cells {
                    // A failed element copy leaves that element empty; oleaut32 goes on too.
                    let _ = elements::variant_copy(d.add(i * cb), s.add(i * cb));
                }
            }
            ElemKind::Bstr => {
                for i in 0..cells {
                    let slot = d.add(i * cb) as *mut *mut u16;
                    let b = (s.add(i * cb) as *const *mut u16).read_unaligned();
                    let copy = if b.is_null() {
                        ptr::null_mut()
                    } else {
                        match elements::bstr_copy(b) {
                            Ok(c) => c,
                            Err(e) => {
                                hr = e;
                                ptr::null_mut()
                            }
                        }
                    };
                    elements::bstr_free(slot.read_unaligned());
                    slot.write_unaligned(copy);
                }
            }
            ElemKind::Interface => {
                for i in 0..cells {
                    let slot = d.add(i * cb) as *mut *mut c_void;
                    let p = (s.add(i * cb) as *const *mut c_void).read_unaligned();
                    elements::interface_add_ref(p);
                    elements::interface_release(slot.read_unaligned());
                    slot.write_unaligned(p);
                }
            }
            ElemKind::Record => {
                let record = record_info_of(src);
                if !record.is_null() {
                    for i in 0..cells {
                        hr = elements::record_copy(record, s.add(i * cb), d.add(i * cb));
                        if hr.is_err() {
                            break;
                        }
                    }
                }
                safe_array_set_record_info(dst, record);
                (*dst).cbElements = (*src).cbElements;
            }
        }
        let features = (*src).fFeatures;
        if features & FADF_HAVEIID != 0 {
            hidden_iid_ptr(dst).write_unaligned(hidden_iid_ptr(src).read_unaligned());
        } else if features & FADF_HAVEVARTYPE != 0 {
            hidden_vartype_ptr(dst).write_unaligned(hidden_vartype_ptr(src).read_unaligned());
        }
        hr
    }
}

/// `SafeArrayCopyData`: copies the elements of `psa_source` into the existing
/// `psa_target`, which must have the same number of dimensions, element size
/// and element counts (lower bounds may differ); `E_INVALIDARG` otherwise.
///
/// # Safety
///
/// Both null or valid descriptors with initialised elements.
pub unsafe fn safe_array_copy_data(psa_source: *mut SAFEARRAY, psa_target: *mut SAFEARRAY) -> Hresult {
    if psa_source.is_null() || psa_target.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        let dims = (*psa_source).cDims;
        if dims != (*psa_target).cDims || (*psa_source).cbElements != (*psa_target).cbElements {
            return Hresult::E_INVALIDARG;
        }
        for i in 0..dims as usize {
            if (*bound_ptr(psa_source, i)).cElements != (*bound_ptr(psa_target, i)).cElements {
                return Hresult::E_INVALIDARG;
            }
        }
        copy_data(psa_source, psa_target)
    }
}

/// `SafeArrayCopy`: a deep copy (new descriptor and data; BSTRs, VARIANTs and
/// records copied, interfaces AddRef'd). A null source gives a null copy and
/// `S_OK`; `E_INVALIDARG` for a null `ppsa_out` or an element size of 0.
///
/// # Safety
///
/// `psa` null or a valid descriptor with initialised elements; `ppsa_out` null or writable.
pub unsafe fn safe_array_copy(psa: *mut SAFEARRAY, ppsa_out: *mut *mut SAFEARRAY) -> Hresult {
    if ppsa_out.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        *ppsa_out = ptr::null_mut();
        if psa.is_null() {
            return Hresult::S_OK;
        }
        if (*psa).cbElements == 0 {
            return Hresult::E_INVALIDARG;
        }
        let mut out = ptr::null_mut();
        let hr = match vartype_of(psa) {
            Some(vt) => safe_array_alloc_descriptor_ex(vt, (*psa).cDims as u32, &mut out),
            None => {
                let hr = safe_array_alloc_descriptor((*psa).cDims as u32, &mut out);
                if hr.is_ok() {
                    (*out).fFeatures = (*psa).fFeatures & !IGNORED_COPY_FEATURES;
                }
                hr
            }
        };
        if hr.is_err() {
            return hr;
        }
        (*out).cbElements = (*psa).cbElements;
        ptr::copy_nonoverlapping(bound_ptr(psa, 0), bound_ptr(out, 0), (*psa).cDims as usize);
        let Some(bytes) = data_bytes(psa) else {
            safe_array_destroy_descriptor(out);
            return Hresult::E_OUTOFMEMORY;
        };
        let data = mem::alloc_zeroed(bytes);
        if data.is_null() {
            safe_array_destroy_descriptor(out);
            return Hresult::E_OUTOFMEMORY;
        }
        (*out).pvData = data as *mut c_void;
        let hr = if (*psa).pvData.is_null() {
            // No data (an empty array): nothing to copy, but the copy still takes the source's element
            // kind and type information, or it would describe VARIANTs without FADF_VARIANT, records
            // without their IRecordInfo (copy_data sets them only when it copies elements).
            copy_type_info(psa, out);
            Hresult::S_OK
        } else {
            copy_data(psa, out)
        };
        if hr.is_err() {
            // Elements copied so far are owned by `out`: destroy them with it.
            let _ = safe_array_destroy(out);
            return hr;
        }
        *ppsa_out = out;
        Hresult::S_OK
    }
}

/// `SafeArrayRedim`: changes the last dimension (dimension `cDims`, stored at
/// `rgsabound[0]`) to `psabound_new`. Shrinking destroys the elements that no
/// longer fit; growing moves the data to a larger zeroed block. Existing
/// elements keep their indices in the other dimensions.
///
/// `E_INVALIDARG` for null arguments, `DISP_E_ARRAYISLOCKED` when locked or
/// FADF_FIXEDSIZE (or growing memory flagged FADF_AUTO/STATIC/EMBEDDED),
/// `E_OUTOFMEMORY` when the new size overflows or cannot be allocated. On any
/// error the array is unchanged.
///
/// # Safety
///
/// `psa` null or a valid descriptor with initialised elements; `psabound_new` null or readable.
pub unsafe fn safe_array_redim(psa: *mut SAFEARRAY, psabound_new: *const SAFEARRAYBOUND) -> Hresult {
    if psa.is_null() || psabound_new.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: per the caller.
    unsafe {
        let features = (*psa).fFeatures;
        if features & FADF_FIXEDSIZE != 0 || (*psa).cLocks != 0 {
            return Hresult::DISP_E_ARRAYISLOCKED;
        }
        let dims = (*psa).cDims as usize;
        if dims == 0 {
            return Hresult::E_INVALIDARG;
        }
        let new = psabound_new.read_unaligned();
        let last = bound_ptr(psa, 0);
        let old_count = (*last).cElements as usize;
        let new_count = new.cElements as usize;
        // Elements per index of the last dimension (its slab), checked.
        let mut slab: usize = 1;
        for i in 1..dims {
            match slab.checked_mul((*bound_ptr(psa, i)).cElements as usize) {
                Some(s) => slab = s,
                None => return Hresult::E_OUTOFMEMORY,
            }
        }
        let cb = (*psa).cbElements as usize;
        let new_cells = match slab.checked_mul(new_count) {
            Some(c) => c,
            None => return Hresult::E_OUTOFMEMORY,
        };
        let new_bytes = match new_cells.checked_mul(cb).filter(|&n| n <= isize::MAX as usize) {
            Some(n) => n,
            None => return Hresult::E_OUTOFMEMORY,
        };
        if new_count < old_count {
            let hr = destroy_elements(psa, new_cells);
            if hr.is_err() {
                return hr;
            }
        } else if new_count > old_count {
            if features & FADF_NOT_OWNED != 0 {
                return Hresult::DISP_E_ARRAYISLOCKED;
            }
            let Some(old_cells) = slab.checked_mul(old_count) else { return Hresult::E_OUTOFMEMORY };
            let Some(old_bytes) = old_cells.checked_mul(cb) else { return Hresult::E_OUTOFMEMORY };
            let data = mem::alloc_zeroed(new_bytes);
            if data.is_null() {
                return Hresult::E_OUTOFMEMORY;
            }
            let old = (*psa).pvData as *mut u8;
            if !old.is_null() && features & FADF_DATADELETED == 0 {
                ptr::copy_nonoverlapping(old, data, old_bytes);
            }
            if features & FADF_CREATEVECTOR == 0 {
                mem::free_block(old);
            }
            // The data now lives in its own block, like a SafeArrayCreate array's.
            (*psa).fFeatures &= !(FADF_CREATEVECTOR | FADF_DATADELETED);
            (*psa).pvData = data as *mut c_void;
        }
        *last = new;
    }
    Hresult::S_OK
}
