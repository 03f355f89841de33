//! Tests of the SAFEARRAY module.
//!
//! Expected values come from the Wine 8 oleaut32 recordings (`wine_oleaut.jsonl`,
//! quoted where used), from Wine's own oleaut32 test suite (`dlls/oleaut32/tests/
//! safearray.c`, which also runs against Windows), from the reference tables
//! (`clr-marshaling.md` §6) or from an independent computation in the test.
#![allow(clippy::undocumented_unsafe_blocks)]

use core::cell::Cell;
use core::ffi::c_void;
use core::ptr;

use super::raw::*;
use super::variant_array;
use super::*;
use crate::hresult::Hresult;
use crate::iunknown::{IUnknownVtbl, IID_IUNKNOWN};
use crate::vartype::VarType;

/// Live CoTaskMem blocks plus BSTRs of this thread (tracking is turned on by the first call).
fn live_blocks() -> isize {
    crate::alloc::tracking::enable();
    let (blocks, bstrs) = crate::alloc::tracking::live_on_this_thread();
    blocks + bstrs
}

fn bounds(list: &[(u32, i32)]) -> Vec<SAFEARRAYBOUND> {
    list.iter().map(|&(c, l)| SAFEARRAYBOUND { cElements: c, lLbound: l }).collect()
}

fn create(vt: VarType, list: &[(u32, i32)]) -> *mut SAFEARRAY {
    let b = bounds(list);
    unsafe { safe_array_create(vt, b.len() as u32, b.as_ptr()) }
}

/// The descriptor header as bytes, pvData zeroed (the recordings' `header_hex_pvData_zeroed`).
fn header_hex(psa: *mut SAFEARRAY) -> String {
    unsafe {
        let len = HEADER_SIZE + 8 * (*psa).cDims as usize;
        let mut bytes = core::slice::from_raw_parts(psa as *const u8, len).to_vec();
        let off = core::mem::offset_of!(SAFEARRAY, pvData);
        bytes[off..off + core::mem::size_of::<usize>()].fill(0);
        hex(&bytes)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pre16(psa: *mut SAFEARRAY) -> String {
    unsafe { hex(core::slice::from_raw_parts((psa as *const u8).sub(16), 16)) }
}

fn data_hex(psa: *mut SAFEARRAY) -> String {
    unsafe { hex(core::slice::from_raw_parts((*psa).pvData as *const u8, data_bytes(psa).unwrap())) }
}

// ---------------------------------------------------------------------------
// A counting IUnknown and IRecordInfo, for element ownership.
// ---------------------------------------------------------------------------

#[repr(C)]
struct FakeUnknown {
    vtbl: *const IUnknownVtbl,
    refs: Cell<u32>,
}

unsafe extern "system" fn fake_qi(_this: *mut c_void, _iid: *const crate::Guid, out: *mut *mut c_void) -> Hresult {
    unsafe { *out = ptr::null_mut() };
    Hresult::E_NOINTERFACE
}
unsafe extern "system" fn fake_add_ref(this: *mut c_void) -> u32 {
    let o = unsafe { &*(this as *const FakeUnknown) };
    o.refs.set(o.refs.get() + 1);
    o.refs.get()
}
unsafe extern "system" fn fake_release(this: *mut c_void) -> u32 {
    let o = unsafe { &*(this as *const FakeUnknown) };
    o.refs.set(o.refs.get() - 1);
    o.refs.get()
}
static FAKE_VTBL: IUnknownVtbl =
    IUnknownVtbl { query_interface: fake_qi, add_ref: fake_add_ref, release: fake_release };

impl FakeUnknown {
    fn new() -> Box<FakeUnknown> {
        Box::new(FakeUnknown { vtbl: &FAKE_VTBL, refs: Cell::new(1) })
    }
    fn ptr(&self) -> *mut c_void {
        self as *const FakeUnknown as *mut c_void
    }
}

#[repr(C)]
struct FakeRecordInfo {
    vtbl: *const elements::IRecordInfoVtbl,
    refs: Cell<u32>,
    copies: Cell<u32>,
    clears: Cell<u32>,
    size: u32,
}

unsafe extern "system" fn rec_add_ref(this: *mut c_void) -> u32 {
    let o = unsafe { &*(this as *const FakeRecordInfo) };
    o.refs.set(o.refs.get() + 1);
    o.refs.get()
}
unsafe extern "system" fn rec_release(this: *mut c_void) -> u32 {
    let o = unsafe { &*(this as *const FakeRecordInfo) };
    o.refs.set(o.refs.get() - 1);
    o.refs.get()
}
unsafe extern "system" fn rec_init(_this: *mut c_void, _new: *mut c_void) -> Hresult {
    Hresult::E_NOTIMPL
}
unsafe extern "system" fn rec_clear(this: *mut c_void, _existing: *mut c_void) -> Hresult {
    let o = unsafe { &*(this as *const FakeRecordInfo) };
    o.clears.set(o.clears.get() + 1);
    Hresult::S_OK
}
unsafe extern "system" fn rec_copy(this: *mut c_void, existing: *mut c_void, new: *mut c_void) -> Hresult {
    let o = unsafe { &*(this as *const FakeRecordInfo) };
    o.copies.set(o.copies.get() + 1);
    unsafe { ptr::copy(existing as *const u8, new as *mut u8, o.size as usize) };
    Hresult::S_OK
}
unsafe extern "system" fn rec_guid(_this: *mut c_void, _g: *mut crate::Guid) -> Hresult {
    Hresult::E_NOTIMPL
}
unsafe extern "system" fn rec_name(_this: *mut c_void, _n: *mut *mut u16) -> Hresult {
    Hresult::E_NOTIMPL
}
unsafe extern "system" fn rec_size(this: *mut c_void, size: *mut u32) -> Hresult {
    let o = unsafe { &*(this as *const FakeRecordInfo) };
    unsafe { *size = o.size };
    Hresult::S_OK
}
static REC_VTBL: elements::IRecordInfoVtbl = elements::IRecordInfoVtbl {
    base: IUnknownVtbl { query_interface: fake_qi, add_ref: rec_add_ref, release: rec_release },
    record_init: rec_init,
    record_clear: rec_clear,
    record_copy: rec_copy,
    get_guid: rec_guid,
    get_name: rec_name,
    get_size: rec_size,
};

impl FakeRecordInfo {
    fn new(size: u32) -> Box<FakeRecordInfo> {
        Box::new(FakeRecordInfo {
            vtbl: &REC_VTBL,
            refs: Cell::new(1),
            copies: Cell::new(0),
            clears: Cell::new(0),
            size,
        })
    }
    fn ptr(&self) -> *mut c_void {
        self as *const FakeRecordInfo as *mut c_void
    }
}

// ---------------------------------------------------------------------------
// Layout and creation, against the recorded oleaut32 bytes.
// ---------------------------------------------------------------------------

#[cfg(target_pointer_width = "64")]
#[test]
fn descriptor_layout_matches_oleaut32() {
    // wine_oleaut.jsonl "sizes": sizeof 32, SAFEARRAYBOUND 8, pvData at 16, rgsabound at 24.
    assert_eq!(core::mem::size_of::<SAFEARRAY>(), 32);
    assert_eq!(core::mem::size_of::<SAFEARRAYBOUND>(), 8);
    assert_eq!(core::mem::offset_of!(SAFEARRAY, pvData), 16);
    assert_eq!(core::mem::offset_of!(SAFEARRAY, rgsabound), 24);
}

#[cfg(target_pointer_width = "64")]
#[test]
fn create_2d_stores_bounds_reversed_and_data_column_major() {
    // wine_oleaut.jsonl: SafeArrayCreate(VT_I2, 2, {{2,lb 1},{3,lb 10}}); a[i][j]=i*100+j via PutElement({i,j}).
    let psa = create(VarType::I2, &[(2, 1), (3, 10)]);
    for i in 1..=2 {
        for j in 10..=12 {
            let v = (i * 100 + j) as i16;
            let idx = [i, j];
            assert_eq!(unsafe { safe_array_put_element(psa, idx.as_ptr(), &v as *const i16 as _) }, Hresult::S_OK);
        }
    }
    assert_eq!(header_hex(psa), "020080000200000000000000000000000000000000000000030000000a0000000200000001000000");
    assert_eq!(&pre16(psa)[24..32], "02000000");
    assert_eq!(data_hex(psa), "6e00d2006f00d3007000d400");
    let (mut lb, mut ub) = (0, 0);
    unsafe {
        assert_eq!(safe_array_get_lbound(psa, 1, &mut lb), Hresult::S_OK);
        assert_eq!(safe_array_get_ubound(psa, 1, &mut ub), Hresult::S_OK);
        assert_eq!((lb, ub), (1, 2));
        assert_eq!(safe_array_get_lbound(psa, 2, &mut lb), Hresult::S_OK);
        assert_eq!(safe_array_get_ubound(psa, 2, &mut ub), Hresult::S_OK);
        assert_eq!((lb, ub), (10, 12));
        assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
    }
}

#[cfg(target_pointer_width = "64")]
#[test]
fn create_vector_is_one_block_with_createvector_flag() {
    // wine_oleaut.jsonl: SafeArrayCreateVector(VT_UI1, 5, 4) -> fFeatures 0x2080, bounds {4, 5}.
    let before = live_blocks();
    let psa = safe_array_create_vector(VarType::UI1, 5, 4);
    assert_eq!(live_blocks() - before, 1);
    assert_eq!(header_hex(psa), "0100802001000000000000000000000000000000000000000400000005000000");
    assert_eq!(&pre16(psa)[24..32], "11000000");
    unsafe {
        assert_eq!((*psa).pvData as usize - psa as usize, core::mem::size_of::<SAFEARRAY>());
        assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
    }
    assert_eq!(live_blocks(), before);
}

#[cfg(target_pointer_width = "64")]
#[test]
fn interface_arrays_carry_the_iid() {
    // wine_oleaut.jsonl: SafeArrayCreate(VT_UNKNOWN, 1, {2,0}) -> fFeatures 0x0240, IID_IUnknown at -16.
    let psa = create(VarType::UNKNOWN, &[(2, 0)]);
    assert_eq!(header_hex(psa), "0100400208000000000000000000000000000000000000000200000000000000");
    assert_eq!(pre16(psa), "0000000000000000c000000000000046");
    let mut vt = VarType::EMPTY;
    let mut iid = crate::Guid::NULL;
    unsafe {
        assert_eq!(safe_array_get_vartype(psa, &mut vt), Hresult::S_OK);
        assert_eq!(vt, VarType::UNKNOWN);
        assert_eq!(safe_array_get_iid(psa, &mut iid), Hresult::S_OK);
        assert_eq!(iid, IID_IUNKNOWN);
        safe_array_destroy(psa);
    }
    // VT_DISPATCH: FADF_HAVEIID|FADF_DISPATCH reads back as VT_DISPATCH (Wine test: Vista and later).
    let psa = create(VarType::DISPATCH, &[(1, 0)]);
    unsafe {
        assert_eq!((*psa).fFeatures, FADF_HAVEIID | FADF_DISPATCH);
        assert_eq!(safe_array_get_vartype(psa, &mut vt), Hresult::S_OK);
        assert_eq!(vt, VarType::DISPATCH);
        safe_array_destroy(psa);
    }
}

#[test]
fn create_refuses_what_oleaut32_refuses() {
    // wine_oleaut.jsonl: SafeArrayCreate(VT_EMPTY, ...) -> NULL. Wine tests: VT_RECORD, 65536 dims, NULL bounds.
    assert!(create(VarType::EMPTY, &[(2, 0)]).is_null());
    assert!(create(VarType::NULL, &[(2, 0)]).is_null());
    assert!(create(VarType::I4.byref(), &[(2, 0)]).is_null());
    assert!(create(VarType::RECORD, &[(2, 0)]).is_null());
    assert!(unsafe { safe_array_create(VarType::I4, 1, ptr::null()) }.is_null());
    let b = bounds(&[(1, 0); 4]);
    assert!(unsafe { safe_array_create(VarType::UI1, 65536, b.as_ptr()) }.is_null());
    assert!(unsafe { safe_array_create(VarType::UI1, 0, b.as_ptr()) }.is_null());
    assert!(safe_array_create_vector(VarType::RECORD, 0, 1).is_null());
    assert!(safe_array_create_vector(VarType::EMPTY, 0, 1).is_null());
    // Sizes that overflow give NULL, not a short allocation.
    assert!(create(VarType::VARIANT, &[(u32::MAX, 0), (u32::MAX, 0), (u32::MAX, 0)]).is_null());
    assert!(safe_array_create_vector(VarType::DECIMAL, 0, u32::MAX).is_null() || cfg!(target_pointer_width = "64"));
}

#[test]
fn alloc_descriptor_dimension_limits() {
    // Wine tests: 0 and 65536 dimensions -> E_INVALIDARG; NULL out -> E_POINTER; 65535 works.
    let mut psa = ptr::null_mut();
    unsafe {
        assert_eq!(safe_array_alloc_descriptor(0, &mut psa), Hresult::E_INVALIDARG);
        assert_eq!(safe_array_alloc_descriptor(65536, &mut psa), Hresult::E_INVALIDARG);
        assert_eq!(safe_array_alloc_descriptor(1, ptr::null_mut()), Hresult::E_POINTER);
        assert_eq!(safe_array_alloc_descriptor_ex(VarType::UI1, 1, ptr::null_mut()), Hresult::E_POINTER);
        assert_eq!(safe_array_alloc_descriptor(65535, &mut psa), Hresult::S_OK);
        assert_eq!(safe_array_get_dim(psa), 65535);
        assert_eq!(safe_array_destroy_descriptor(psa), Hresult::S_OK);
    }
}

#[test]
fn alloc_descriptor_then_data_has_no_vartype() {
    // wine_oleaut.jsonl: AllocDescriptor(2) + cbElements=4 + cElements 2,3 + AllocData:
    // fFeatures 0, GetVartype E_INVALIDARG, bounds dim1 0..2 (rgsabound[1]), dim2 0..1.
    let mut psa = ptr::null_mut();
    unsafe {
        assert_eq!(safe_array_alloc_descriptor(2, &mut psa), Hresult::S_OK);
        (*psa).cbElements = 4;
        (*bound_ptr(psa, 0)).cElements = 2;
        (*bound_ptr(psa, 1)).cElements = 3;
        assert_eq!(safe_array_alloc_data(psa), Hresult::S_OK);
        assert_eq!((*psa).fFeatures, 0);
        let mut vt = VarType::EMPTY;
        assert_eq!(safe_array_get_vartype(psa, &mut vt), Hresult::E_INVALIDARG);
        let mut ub = 0;
        assert_eq!(safe_array_get_ubound(psa, 1, &mut ub), Hresult::S_OK);
        assert_eq!(ub, 2);
        assert_eq!(safe_array_get_ubound(psa, 2, &mut ub), Hresult::S_OK);
        assert_eq!(ub, 1);
        assert_eq!(data_hex(psa), "00".repeat(24));
        assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
    }
}

// ---------------------------------------------------------------------------
// Indexing (Wine test suite values).
// ---------------------------------------------------------------------------

#[test]
fn ptr_of_index_offsets() {
    // Wine test_safearray: bounds {42, lb 1}, {2, lb 23} of VT_I4: (3,23) at 8, (3,24) at 176, (20,23) at 76.
    let psa = create(VarType::I4, &[(42, 1), (2, 23)]);
    let offset = |i: i32, j: i32| unsafe {
        let idx = [i, j];
        let mut p = ptr::null_mut();
        let hr = safe_array_ptr_of_index(psa, idx.as_ptr(), &mut p);
        (hr, p as usize - (*psa).pvData as usize)
    };
    assert_eq!(offset(3, 23), (Hresult::S_OK, 8));
    assert_eq!(offset(3, 24), (Hresult::S_OK, 176));
    assert_eq!(offset(20, 23), (Hresult::S_OK, 76));
    let mut v = 0i32;
    for (i, j, hr) in [(0, 23, Hresult::DISP_E_BADINDEX), (1, 22, Hresult::DISP_E_BADINDEX), (1, 23, Hresult::S_OK)]
        .into_iter()
        .chain([(1, 25, Hresult::DISP_E_BADINDEX), (3, 23, Hresult::S_OK)])
    {
        let idx = [i, j];
        assert_eq!(unsafe { safe_array_get_element(psa, idx.as_ptr(), &mut v as *mut i32 as _) }, hr, "({i},{j})");
    }
    let mut l = 0;
    unsafe {
        assert_eq!(safe_array_get_lbound(psa, 0, &mut l), Hresult::DISP_E_BADINDEX);
        assert_eq!(safe_array_get_lbound(psa, 3, &mut l), Hresult::DISP_E_BADINDEX);
        assert_eq!(safe_array_get_ubound(psa, 1, &mut l), Hresult::S_OK);
        assert_eq!(l, 42);
        assert_eq!(safe_array_get_ubound(psa, 2, &mut l), Hresult::S_OK);
        assert_eq!(l, 24);
        assert_eq!(safe_array_get_lbound(ptr::null_mut(), 1, &mut l), Hresult::E_INVALIDARG);
        safe_array_destroy(psa);
    }
}

#[test]
fn empty_dimension_bounds() {
    // Wine test: SafeArrayCreate(VT_I4, 1, {0, lb 42}): lbound 42, ubound 41, access works.
    let psa = create(VarType::I4, &[(0, 42)]);
    assert!(!psa.is_null());
    let (mut lb, mut ub) = (0, 0);
    let mut data = ptr::null_mut();
    unsafe {
        assert_eq!(safe_array_get_lbound(psa, 1, &mut lb), Hresult::S_OK);
        assert_eq!(safe_array_get_ubound(psa, 1, &mut ub), Hresult::S_OK);
        assert_eq!((lb, ub), (42, 41));
        assert_eq!(safe_array_access_data(psa, &mut data), Hresult::S_OK);
        assert!(!data.is_null());
        assert_eq!(safe_array_unaccess_data(psa), Hresult::S_OK);
        let idx = [42];
        let mut p = ptr::null_mut();
        assert_eq!(safe_array_ptr_of_index(psa, idx.as_ptr(), &mut p), Hresult::DISP_E_BADINDEX);
        safe_array_destroy(psa);
    }
}

#[test]
fn get_put_4d_every_element() {
    // Wine test_SafeArrayGetPutElement: 4 dims, lbound d*2+1, count d*3+1, values put in
    // order read back in order; every dimension's too-small / too-big index is DISP_E_BADINDEX.
    let list: Vec<(u32, i32)> = (0..4).map(|d| (d as u32 * 3 + 1, d * 2 + 1)).collect();
    let psa = create(VarType::INT, &list);
    let mut idx = [0i32; 4];
    for x in 0..4 {
        for (d, &(_, lb)) in list.iter().enumerate() {
            idx[d] = lb;
        }
        let v = 0i32;
        idx[x] = list[x].1 - 1;
        assert_eq!(
            unsafe { safe_array_put_element(psa, idx.as_ptr(), &v as *const i32 as _) },
            Hresult::DISP_E_BADINDEX
        );
        idx[x] = list[x].1 + list[x].0 as i32;
        assert_eq!(
            unsafe { safe_array_put_element(psa, idx.as_ptr(), &v as *const i32 as _) },
            Hresult::DISP_E_BADINDEX
        );
    }
    let mut value = 0i32;
    let mut visit = |check: bool| {
        value = 0;
        for a in 0..list[0].0 as i32 {
            for b in 0..list[1].0 as i32 {
                for c in 0..list[2].0 as i32 {
                    for d in 0..list[3].0 as i32 {
                        let idx = [a + list[0].1, b + list[1].1, c + list[2].1, d + list[3].1];
                        if check {
                            let mut got = -1i32;
                            let hr = unsafe { safe_array_get_element(psa, idx.as_ptr(), &mut got as *mut i32 as _) };
                            assert_eq!((hr, got), (Hresult::S_OK, value));
                        } else {
                            let hr = unsafe { safe_array_put_element(psa, idx.as_ptr(), &value as *const i32 as _) };
                            assert_eq!(hr, Hresult::S_OK);
                        }
                        value += 1;
                    }
                }
            }
        }
    };
    visit(false);
    visit(true);
    unsafe {
        assert_eq!(
            safe_array_put_element(ptr::null_mut(), idx.as_ptr(), &value as *const i32 as _),
            Hresult::E_INVALIDARG
        );
        assert_eq!(safe_array_put_element(psa, ptr::null(), &value as *const i32 as _), Hresult::E_INVALIDARG);
        assert_eq!(safe_array_get_element(psa, idx.as_ptr(), ptr::null_mut()), Hresult::E_INVALIDARG);
        safe_array_destroy(psa);
    }
}

// ---------------------------------------------------------------------------
// Locking and destruction.
// ---------------------------------------------------------------------------

#[test]
fn lock_limits_and_locked_destroy() {
    // Wine test_LockUnlock: unlock without lock E_UNEXPECTED; 65535 locks, the next E_UNEXPECTED.
    unsafe {
        assert_eq!(safe_array_lock(ptr::null_mut()), Hresult::E_INVALIDARG);
        assert_eq!(safe_array_unlock(ptr::null_mut()), Hresult::E_INVALIDARG);
    }
    for psa in [create(VarType::UI1, &[(8, 0); 4]), safe_array_create_vector(VarType::UI1, 0, 100)] {
        unsafe {
            assert_eq!(safe_array_unlock(psa), Hresult::E_UNEXPECTED);
            let mut count = 0;
            while safe_array_lock(psa) == Hresult::S_OK {
                count += 1;
            }
            assert_eq!(count, 65535);
            assert_eq!(safe_array_destroy(psa), Hresult::DISP_E_ARRAYISLOCKED);
            assert_eq!(safe_array_destroy_data(psa), Hresult::DISP_E_ARRAYISLOCKED);
            assert_eq!(safe_array_destroy_descriptor(psa), Hresult::DISP_E_ARRAYISLOCKED);
            let mut vt = VarType(0);
            assert_eq!(
                safe_array_redim(psa, &SAFEARRAYBOUND { cElements: 1, lLbound: 0 }),
                Hresult::DISP_E_ARRAYISLOCKED
            );
            assert_eq!(safe_array_get_vartype(psa, &mut vt), Hresult::S_OK);
            while safe_array_unlock(psa) == Hresult::S_OK {
                count -= 1;
            }
            assert_eq!(count, 0);
            assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
        }
    }
    assert_eq!(unsafe { safe_array_destroy(ptr::null_mut()) }, Hresult::S_OK);
}

#[test]
fn destroy_data_keeps_static_data_and_vectors_mark_deleted() {
    // Wine test_SafeArrayDestroyData: FADF_STATIC data is cleared, not freed; otherwise pvData becomes NULL.
    let psa = create(VarType::INT, &[(10, 0)]);
    unsafe {
        let idx = [1];
        let v = 0x1234_5678i32;
        safe_array_put_element(psa, idx.as_ptr(), &v as *const i32 as _);
        (*psa).fFeatures |= FADF_STATIC;
        let data = (*psa).pvData;
        assert_eq!(safe_array_destroy_data(psa), Hresult::S_OK);
        assert_eq!((*psa).pvData, data);
        let mut got = -1;
        safe_array_get_element(psa, idx.as_ptr(), &mut got as *mut i32 as _);
        assert_eq!(got, 0);
        (*psa).fFeatures &= !FADF_STATIC;
        assert_eq!(safe_array_destroy_data(psa), Hresult::S_OK);
        assert!((*psa).pvData.is_null());
        assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
    }
    let psa = safe_array_create_vector(VarType::I4, 0, 10);
    unsafe {
        assert_eq!(safe_array_destroy_data(psa), Hresult::S_OK);
        assert_ne!((*psa).fFeatures & FADF_DATADELETED, 0);
        assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
    }
}

#[test]
fn every_block_is_freed() {
    let before = live_blocks();
    for vt in [VarType::I4, VarType::BSTR, VarType::VARIANT, VarType::UNKNOWN, VarType::DECIMAL] {
        let psa = create(vt, &[(3, -1), (2, 5)]);
        let mut copy = ptr::null_mut();
        unsafe {
            assert_eq!(safe_array_copy(psa, &mut copy), Hresult::S_OK);
            assert_eq!(safe_array_redim(copy, &SAFEARRAYBOUND { cElements: 9, lLbound: 0 }), Hresult::S_OK);
            assert_eq!(safe_array_destroy(copy), Hresult::S_OK);
            assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
        }
        let v = safe_array_create_vector(vt, 0, 4);
        unsafe {
            assert_eq!(safe_array_redim(v, &SAFEARRAYBOUND { cElements: 7, lLbound: 0 }), Hresult::S_OK);
            assert_eq!(safe_array_destroy(v), Hresult::S_OK);
        }
    }
    assert_eq!(live_blocks(), before);
}

// ---------------------------------------------------------------------------
// Redim.
// ---------------------------------------------------------------------------

#[test]
fn redim_keeps_data_and_zero_fills() {
    // Wine test_safearray: AllocDescriptor(2), rgsabound[0]={2,1}, [1]={4,1}, cb 2; (4,2) is at
    // byte 14; after Redim({10,1}) it keeps its value; after Redim({10,0}) index 2 of the last
    // dimension is a grown (zero) slot and index 1 holds the value.
    let mut psa = ptr::null_mut();
    unsafe {
        safe_array_alloc_descriptor(2, &mut psa);
        *bound_ptr(psa, 0) = SAFEARRAYBOUND { cElements: 2, lLbound: 1 };
        *bound_ptr(psa, 1) = SAFEARRAYBOUND { cElements: 4, lLbound: 1 };
        (*psa).cbElements = 2;
        assert_eq!(safe_array_alloc_data(psa), Hresult::S_OK);
        let idx = [4, 2];
        let mut p = ptr::null_mut();
        assert_eq!(safe_array_ptr_of_index(psa, idx.as_ptr(), &mut p), Hresult::S_OK);
        assert_eq!(p as usize - (*psa).pvData as usize, 14);
        *(p as *mut u16) = 0x55aa;
        assert_eq!(safe_array_redim(psa, &SAFEARRAYBOUND { cElements: 10, lLbound: 1 }), Hresult::S_OK);
        safe_array_ptr_of_index(psa, idx.as_ptr(), &mut p);
        assert_eq!(*(p as *const u16), 0x55aa);
        assert_eq!(safe_array_redim(psa, &SAFEARRAYBOUND { cElements: 10, lLbound: 0 }), Hresult::S_OK);
        safe_array_ptr_of_index(psa, idx.as_ptr(), &mut p);
        assert_eq!(*(p as *const u16), 0);
        let idx = [4, 1];
        safe_array_ptr_of_index(psa, idx.as_ptr(), &mut p);
        assert_eq!(*(p as *const u16), 0x55aa);
        safe_array_destroy(psa);
    }
}

#[cfg(target_pointer_width = "64")]
#[test]
fn redim_after_create_matches_recording() {
    // wine_oleaut.jsonl "after Redim": Create(VT_I4, {3, lb -2}) + Redim({5, lb 7}) -> S_OK,
    // bounds 7..11, 20 zero bytes.
    let psa = create(VarType::I4, &[(3, -2)]);
    unsafe {
        assert_eq!(safe_array_redim(psa, &SAFEARRAYBOUND { cElements: 5, lLbound: 7 }), Hresult::S_OK);
        assert_eq!(header_hex(psa), "0100800004000000000000000000000000000000000000000500000007000000");
        assert_eq!(data_hex(psa), "00".repeat(20));
        safe_array_destroy(psa);
    }
}

#[test]
fn redim_refusals_leave_the_array_unchanged() {
    // Wine test_SafeArrayRedim: NULL -> E_INVALIDARG; FADF_FIXEDSIZE and locked -> DISP_E_ARRAYISLOCKED.
    let psa = create(VarType::I4, &[(2, 1)]);
    let b = SAFEARRAYBOUND { cElements: 3, lLbound: 1 };
    unsafe {
        assert_eq!(safe_array_redim(ptr::null_mut(), &b), Hresult::E_INVALIDARG);
        assert_eq!(safe_array_redim(psa, ptr::null()), Hresult::E_INVALIDARG);
        (*psa).fFeatures |= FADF_FIXEDSIZE;
        assert_eq!(safe_array_redim(psa, &b), Hresult::DISP_E_ARRAYISLOCKED);
        (*psa).fFeatures &= !FADF_FIXEDSIZE;
        safe_array_lock(psa);
        assert_eq!(safe_array_redim(psa, &b), Hresult::DISP_E_ARRAYISLOCKED);
        safe_array_unlock(psa);
        assert_eq!(*bound_ptr(psa, 0), SAFEARRAYBOUND { cElements: 2, lLbound: 1 });
        safe_array_destroy(psa);
    }
}

#[test]
fn redim_overflow_is_refused_and_changes_nothing() {
    // CVE-2014-6332: an overflowing redim must fail before anything changes. Dimension 1
    // claims 2^32 - 1 elements (a hostile header; the data block is small), so a new count
    // of 2^31 or more for dimension 2 overflows the byte size (2^63 × 24).
    let psa = create(VarType::VARIANT, &[(1, 0), (1, 0)]);
    unsafe {
        *bound_ptr(psa, 1) = SAFEARRAYBOUND { cElements: u32::MAX, lLbound: i32::MIN };
        let data = (*psa).pvData;
        for count in [u32::MAX, 0x8000_0000] {
            let b = SAFEARRAYBOUND { cElements: count, lLbound: 3 };
            assert_eq!(safe_array_redim(psa, &b), Hresult::E_OUTOFMEMORY);
            assert_eq!(*bound_ptr(psa, 0), SAFEARRAYBOUND { cElements: 1, lLbound: 0 });
            assert_eq!((*psa).pvData, data);
        }
        *bound_ptr(psa, 1) = SAFEARRAYBOUND { cElements: 1, lLbound: 0 };
        assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
    }
}

// ---------------------------------------------------------------------------
// Copy.
// ---------------------------------------------------------------------------

#[test]
fn copy_data_requires_the_same_shape() {
    // Wine test_SafeArrayCopyData: 4 dims lb d*2+2, count d*3+1.
    let list: Vec<(u32, i32)> = (0..4).map(|d| (d as u32 * 3 + 1, d * 2 + 2)).collect();
    let src = create(VarType::INT, &list);
    let dst = create(VarType::INT, &list);
    unsafe {
        let n = data_bytes(src).unwrap() / 4;
        for i in 0..n {
            *((*src).pvData as *mut i32).add(i) = i as i32;
        }
        assert_eq!(safe_array_copy_data(src, dst), Hresult::S_OK);
        assert_eq!(data_hex(src), data_hex(dst));
        assert_eq!(safe_array_copy_data(ptr::null_mut(), dst), Hresult::E_INVALIDARG);
        assert_eq!(safe_array_copy_data(src, ptr::null_mut()), Hresult::E_INVALIDARG);
        for i in [0, 3] {
            (*bound_ptr(dst, i)).cElements += 1;
            assert_eq!(safe_array_copy_data(src, dst), Hresult::E_INVALIDARG);
            (*bound_ptr(dst, i)).cElements -= 2;
            assert_eq!(safe_array_copy_data(src, dst), Hresult::E_INVALIDARG);
            (*bound_ptr(dst, i)).cElements += 1;
        }
        // Features a copy never inherits.
        for f in [FADF_AUTO, FADF_STATIC, FADF_EMBEDDED, FADF_FIXEDSIZE] {
            (*src).fFeatures |= f;
            assert_eq!(safe_array_copy_data(src, dst), Hresult::S_OK);
            assert_eq!((*dst).fFeatures, FADF_HAVEVARTYPE);
            (*src).fFeatures &= !f;
        }
        let mut copy = ptr::null_mut();
        assert_eq!(safe_array_copy(src, &mut copy), Hresult::S_OK);
        assert_eq!(data_hex(src), data_hex(copy));
        assert_eq!(safe_array_get_dim(copy), 4);
        safe_array_destroy(copy);
        safe_array_destroy(dst);
        safe_array_destroy(src);
    }
}

#[test]
fn copy_of_null_and_of_empty_descriptors() {
    // Wine test_SafeArrayCopy: NULL source -> S_OK and NULL; cbElements 0 -> E_INVALIDARG and NULL;
    // a vector's copy is not a vector (FADF_HAVEVARTYPE only).
    let mut out = 0xdead_beef_usize as *mut SAFEARRAY;
    unsafe {
        assert_eq!(safe_array_copy(ptr::null_mut(), &mut out), Hresult::S_OK);
        assert!(out.is_null());
        let mut psa = ptr::null_mut();
        safe_array_alloc_descriptor(1, &mut psa);
        out = 0xdead_beef_usize as *mut SAFEARRAY;
        assert_eq!(safe_array_copy(psa, &mut out), Hresult::E_INVALIDARG);
        assert!(out.is_null());
        (*psa).cbElements = 16;
        assert_eq!(safe_array_copy(psa, &mut out), Hresult::S_OK);
        assert_ne!(out, psa);
        safe_array_destroy(out);
        safe_array_destroy(psa);
        let v = safe_array_create_vector(VarType::UI1, 0, 2);
        assert_eq!(safe_array_copy(v, &mut out), Hresult::S_OK);
        assert_eq!((*out).fFeatures, FADF_HAVEVARTYPE);
        safe_array_destroy(out);
        safe_array_destroy(v);
    }
}

// ---------------------------------------------------------------------------
// Interfaces and records.
// ---------------------------------------------------------------------------

#[test]
fn interface_elements_are_addrefed_and_released() {
    // Wine test_SafeArrayGetPutElement_IUnknown / test_SafeArrayRedim.
    let obj = FakeUnknown::new();
    let psa = create(VarType::UNKNOWN, &[(2, 1)]);
    let idx = [2];
    unsafe {
        assert_eq!(safe_array_put_element(psa, idx.as_ptr(), obj.ptr()), Hresult::S_OK);
        assert_eq!(obj.refs.get(), 2);
        let mut got: *mut c_void = ptr::null_mut();
        assert_eq!(safe_array_get_element(psa, idx.as_ptr(), &mut got as *mut _ as _), Hresult::S_OK);
        assert_eq!((got, obj.refs.get()), (obj.ptr(), 3));
        crate::iunknown::release(got);
        let mut copy = ptr::null_mut();
        assert_eq!(safe_array_copy(psa, &mut copy), Hresult::S_OK);
        assert_eq!(obj.refs.get(), 3);
        assert_eq!(safe_array_destroy(copy), Hresult::S_OK);
        assert_eq!(obj.refs.get(), 2);
        // Shrinking past the element releases it.
        assert_eq!(safe_array_redim(psa, &SAFEARRAYBOUND { cElements: 1, lLbound: 1 }), Hresult::S_OK);
        assert_eq!(obj.refs.get(), 1);
        assert_eq!(safe_array_put_element(psa, [1].as_ptr(), obj.ptr()), Hresult::S_OK);
        assert_eq!(safe_array_put_element(psa, [1].as_ptr(), ptr::null()), Hresult::S_OK);
        assert_eq!(obj.refs.get(), 1);
        assert_eq!(safe_array_put_element(psa, [1].as_ptr(), obj.ptr()), Hresult::S_OK);
        assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
    }
    assert_eq!(obj.refs.get(), 1);
}

#[test]
fn record_arrays_use_their_record_info() {
    // Wine test_SafeArrayCreateEx / test_SafeArrayGetPutElement (VT_RECORD).
    let rec = FakeRecordInfo::new(12);
    let b = bounds(&[(8, 0)]);
    unsafe {
        assert!(safe_array_create_ex(VarType::RECORD, 1, b.as_ptr(), ptr::null_mut()).is_null());
        let psa = safe_array_create_ex(VarType::RECORD, 1, b.as_ptr(), rec.ptr());
        assert!(!psa.is_null());
        assert_eq!(rec.refs.get(), 2);
        assert_eq!((*psa).cbElements, 12);
        assert_eq!((*psa).fFeatures, FADF_RECORD);
        assert_eq!(*((psa as *const *mut c_void).sub(1)), rec.ptr());
        let value = [7u8; 12];
        assert_eq!(safe_array_put_element(psa, [3].as_ptr(), value.as_ptr() as _), Hresult::S_OK);
        let mut got = [0u8; 12];
        assert_eq!(safe_array_get_element(psa, [3].as_ptr(), got.as_mut_ptr() as _), Hresult::S_OK);
        assert_eq!((got, rec.copies.get()), (value, 2));
        let mut r = ptr::null_mut();
        assert_eq!(safe_array_get_record_info(psa, &mut r), Hresult::S_OK);
        assert_eq!((r, rec.refs.get()), (rec.ptr(), 3));
        crate::iunknown::release(r);
        let mut vt = VarType(0);
        assert_eq!(safe_array_get_vartype(psa, &mut vt), Hresult::S_OK);
        assert_eq!(vt, VarType::RECORD);
        let mut copy = ptr::null_mut();
        assert_eq!(safe_array_copy(psa, &mut copy), Hresult::S_OK);
        assert_eq!((rec.copies.get(), rec.refs.get(), (*copy).cbElements), (10, 3, 12));
        assert_eq!(safe_array_destroy(copy), Hresult::S_OK);
        assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
        assert_eq!((rec.clears.get(), rec.refs.get()), (16, 1));
    }
}

// ---------------------------------------------------------------------------
// Hostile headers: one test per class, naming the expected error.
// ---------------------------------------------------------------------------

/// A well-formed 2-D VT_I4 array to corrupt.
fn victim() -> SafeArray {
    SafeArray::new(VarType::I4, &[Bound::new(0, 3), Bound::new(-5, 2)]).unwrap()
}

#[test]
fn hostile_null_pointer() {
    assert_eq!(unsafe { validate(ptr::null_mut()) }, Err(SafeArrayError::Null));
    assert_eq!(unsafe { SafeArray::from_raw(ptr::null_mut()) }.unwrap_err(), SafeArrayError::Null);
}

#[test]
fn hostile_zero_dimensions() {
    let a = victim();
    unsafe {
        (*a.as_ptr()).cDims = 0;
        assert_eq!(validate(a.as_ptr()), Err(SafeArrayError::NoDimensions));
        assert_eq!(SafeArray::from_raw(a.as_ptr()).unwrap_err().hresult(), Hresult::E_INVALIDARG);
        (*a.as_ptr()).cDims = 2;
    }
}

#[test]
fn hostile_absurd_dimension_count() {
    let a = victim();
    unsafe {
        (*a.as_ptr()).cDims = 0xFFFF;
        // Refused before any of the 65535 claimed bounds is read.
        assert_eq!(validate(a.as_ptr()), Err(SafeArrayError::TooManyDimensions { dims: 0xFFFF, max: MAX_RANK }));
        (*a.as_ptr()).cDims = 2;
    }
}

#[test]
fn hostile_element_size_inconsistent_with_vartype() {
    let a = victim();
    unsafe {
        (*a.as_ptr()).cbElements = 0x4000_0000;
        assert_eq!(
            validate(a.as_ptr()),
            Err(SafeArrayError::ElementSizeMismatch { vt: Some(VarType::I4), expected: 4, found: 0x4000_0000 })
        );
        (*a.as_ptr()).cbElements = 4;
    }
    // A BSTR array whose elements would be walked with the wrong stride.
    let b = SafeArray::new(VarType::BSTR, &[Bound::zero_based(2)]).unwrap();
    unsafe {
        (*b.as_ptr()).cbElements = 4;
        assert!(
            matches!(validate(b.as_ptr()), Err(SafeArrayError::ElementSizeMismatch { expected: 8, .. }))
                || cfg!(target_pointer_width = "32")
        );
        // Raw destroy refuses to free elements of an inconsistent array (it leaks instead).
        assert_eq!(safe_array_destroy_data(b.as_ptr()), Hresult::E_UNEXPECTED);
        (*b.as_ptr()).cbElements = core::mem::size_of::<usize>() as u32;
    }
}

#[test]
fn hostile_contradictory_feature_flags() {
    let a = SafeArray::new(VarType::BSTR, &[Bound::zero_based(2)]).unwrap();
    unsafe {
        (*a.as_ptr()).fFeatures |= FADF_VARIANT;
        assert_eq!(
            validate(a.as_ptr()),
            Err(SafeArrayError::InconsistentFeatures { features: FADF_HAVEVARTYPE | FADF_BSTR | FADF_VARIANT })
        );
        (*a.as_ptr()).fFeatures &= !FADF_VARIANT;
        // VT_BSTR elements without FADF_BSTR would never be freed.
        (*a.as_ptr()).fFeatures &= !FADF_BSTR;
        assert!(matches!(validate(a.as_ptr()), Err(SafeArrayError::InconsistentFeatures { .. })));
        (*a.as_ptr()).fFeatures |= FADF_BSTR;
    }
}

#[test]
fn hostile_unsupported_vartype() {
    let a = victim();
    let hidden = unsafe { (a.as_ptr() as *mut u32).sub(1) };
    unsafe {
        *hidden = VarType::LPSTR.0 as u32;
        assert_eq!(validate(a.as_ptr()), Err(SafeArrayError::UnsupportedVarType(VarType::LPSTR)));
        *hidden = VarType::I4.0 as u32;
    }
}

#[test]
fn hostile_element_count_overflow() {
    let a = victim();
    unsafe {
        // Lower bounds of i32::MIN keep every index in range: only the size overflows.
        *bound_ptr(a.as_ptr(), 0) = SAFEARRAYBOUND { cElements: u32::MAX, lLbound: i32::MIN };
        *bound_ptr(a.as_ptr(), 1) = SAFEARRAYBOUND { cElements: u32::MAX, lLbound: i32::MIN };
        // 2^64 - 2^33 + 1 elements of 4 bytes: the byte size overflows on 64-bit (the count on 32-bit).
        assert_eq!(validate(a.as_ptr()), Err(SafeArrayError::SizeOverflow));
        // Same refusal from the raw layer when sizing a copy.
        let mut out = ptr::null_mut();
        assert_eq!(safe_array_copy(a.as_ptr(), &mut out), Hresult::E_OUTOFMEMORY);
        assert!(out.is_null());
        *bound_ptr(a.as_ptr(), 0) = SAFEARRAYBOUND { cElements: 2, lLbound: -5 };
        *bound_ptr(a.as_ptr(), 1) = SAFEARRAYBOUND { cElements: 3, lLbound: 0 };
    }
}

#[test]
fn hostile_null_data_with_elements() {
    let a = victim();
    unsafe {
        let data = (*a.as_ptr()).pvData;
        (*a.as_ptr()).pvData = ptr::null_mut();
        assert_eq!(validate(a.as_ptr()), Err(SafeArrayError::NullData { elements: 6 }));
        (*a.as_ptr()).pvData = data;
    }
    // A deleted vector's data counts as absent too.
    let v = SafeArray::vector(VarType::I4, 0, 4).unwrap();
    unsafe {
        (*v.as_ptr()).fFeatures |= FADF_DATADELETED;
        assert_eq!(validate(v.as_ptr()), Err(SafeArrayError::NullData { elements: 4 }));
        (*v.as_ptr()).fFeatures &= !FADF_DATADELETED;
    }
}

#[test]
fn hostile_lbound_plus_count_overflow() {
    let a = victim();
    unsafe {
        // Dimension 2 is stored at rgsabound[0].
        *bound_ptr(a.as_ptr(), 0) = SAFEARRAYBOUND { cElements: 2, lLbound: i32::MAX };
        assert_eq!(validate(a.as_ptr()), Err(SafeArrayError::BoundOverflow { dim: 2, lower: i32::MAX, count: 2 }));
        *bound_ptr(a.as_ptr(), 0) = SAFEARRAYBOUND { cElements: 2, lLbound: -5 };
    }
    assert_eq!(
        SafeArray::new(VarType::I4, &[Bound::new(i32::MAX - 1, 3)]).unwrap_err(),
        SafeArrayError::BoundOverflow { dim: 1, lower: i32::MAX - 1, count: 3 }
    );
}

#[test]
fn hostile_record_array_without_record_info() {
    let rec = FakeRecordInfo::new(8);
    let b = bounds(&[(2, 0)]);
    let psa = unsafe { safe_array_create_ex(VarType::RECORD, 1, b.as_ptr(), rec.ptr()) };
    unsafe {
        let slot = (psa as *mut *mut c_void).sub(1);
        *slot = ptr::null_mut();
        assert!(matches!(validate(psa), Err(SafeArrayError::InconsistentFeatures { .. })));
        *slot = rec.ptr();
        assert!(validate(psa).is_ok());
        safe_array_destroy(psa);
    }
    assert_eq!(rec.refs.get(), 1);
}

#[test]
fn locked_arrays_are_not_taken_over() {
    let a = victim();
    a.lock().unwrap();
    assert_eq!(unsafe { SafeArray::from_raw(a.as_ptr()) }.unwrap_err(), SafeArrayError::Locked { locks: 1 });
    a.unlock().unwrap();
}

// ---------------------------------------------------------------------------
// The owned API.
// ---------------------------------------------------------------------------

#[test]
fn owned_bounds_and_dimensions() {
    let a = SafeArray::new(VarType::R8, &[Bound::new(-3, 4), Bound::new(10, 1), Bound::new(0, 2)]).unwrap();
    assert_eq!(a.dims(), 3);
    assert_eq!(a.len(), 8);
    assert_eq!(a.element_size(), 8);
    assert_eq!(a.vartype(), Some(VarType::R8));
    assert_eq!((a.lbound(1), a.ubound(1)), (Ok(-3), Ok(0)));
    assert_eq!((a.lbound(2), a.ubound(2)), (Ok(10), Ok(10)));
    assert_eq!((a.lbound(3), a.ubound(3)), (Ok(0), Ok(1)));
    assert_eq!(a.lbound(0), Err(SafeArrayError::BadDimension { dim: 0, dims: 3 }));
    assert_eq!(a.ubound(4).unwrap_err().hresult(), Hresult::DISP_E_BADINDEX);
    assert_eq!(a.bounds(), [Bound::new(-3, 4), Bound::new(10, 1), Bound::new(0, 2)]);
    // Stored reversed: rgsabound[0] is dimension 3.
    assert_eq!(unsafe { *bound_ptr(a.as_ptr(), 0) }, SAFEARRAYBOUND { cElements: 2, lLbound: 0 });
}

#[test]
fn owned_get_put_errors() {
    let mut a = SafeArray::new(VarType::I4, &[Bound::new(1, 2), Bound::new(0, 3)]).unwrap();
    assert_eq!(a.put(&[3, 0], &1i32), Err(SafeArrayError::BadIndex { dim: 1, index: 3 }));
    assert_eq!(a.put(&[1, -1], &1i32), Err(SafeArrayError::BadIndex { dim: 2, index: -1 }));
    assert_eq!(a.get::<i32>(&[1]), Err(SafeArrayError::WrongIndexCount { expected: 2, found: 1 }));
    assert!(matches!(a.get::<f32>(&[1, 0]), Err(SafeArrayError::TypeMismatch { found: Some(VarType::I4), .. })));
    assert_eq!(a.get::<u32>(&[1, 0]).unwrap_err().hresult(), Hresult::COR_E_SAFEARRAYTYPEMISMATCH);
    a.put(&[2, 2], &-7i32).unwrap();
    assert_eq!(a.get::<i32>(&[2, 2]), Ok(-7));
    // VT_INT holds i32 too (the CLR tolerates I4 <-> INT).
    let mut b = SafeArray::new(VarType::INT, &[Bound::zero_based(1)]).unwrap();
    b.put(&[0], &5i32).unwrap();
    assert_eq!(b.get::<i32>(&[0]), Ok(5));
}

#[test]
fn owned_bool_elements_are_variant_bools() {
    let a = SafeArray::from_slice(&[true, false, true]).unwrap();
    assert_eq!(a.vartype(), Some(VarType::BOOL));
    assert_eq!(a.to_bytes().unwrap(), [0xff, 0xff, 0, 0, 0xff, 0xff]);
    assert_eq!(a.to_vec::<bool>().unwrap(), [true, false, true]);
}

#[test]
fn owned_lock_count_and_locked_redim() {
    let mut a = SafeArray::vector(VarType::I2, 0, 3).unwrap();
    assert_eq!(a.lock(), Ok(1));
    assert_eq!(a.lock(), Ok(2));
    assert_eq!(a.redim(Bound::zero_based(5)), Err(SafeArrayError::Locked { locks: 2 }));
    assert_eq!(unsafe { safe_array_destroy(a.as_ptr()) }, Hresult::DISP_E_ARRAYISLOCKED);
    assert_eq!(a.unlock(), Ok(1));
    assert_eq!(a.unlock(), Ok(0));
    assert_eq!(a.unlock(), Err(SafeArrayError::NotLocked));
    a.redim(Bound::new(-1, 5)).unwrap();
    assert_eq!(a.bounds(), [Bound::new(-1, 5)]);
    unsafe { (*a.as_ptr()).fFeatures |= FADF_FIXEDSIZE };
    assert_eq!(a.redim(Bound::zero_based(1)), Err(SafeArrayError::FixedSize));
}

#[test]
fn owned_redim_last_dimension_keeps_elements() {
    let mut a = SafeArray::from_row_major(&[Bound::zero_based(2), Bound::zero_based(2)], &[1i32, 2, 3, 4]).unwrap();
    a.redim(Bound::zero_based(3)).unwrap();
    assert_eq!(a.to_rows::<i32>().unwrap(), [vec![1, 2, 0], vec![3, 4, 0]]);
    a.redim(Bound::new(5, 1)).unwrap();
    assert_eq!(a.get::<i32>(&[1, 5]), Ok(3));
    assert_eq!(
        a.redim(Bound::new(i32::MAX, 2)).unwrap_err(),
        SafeArrayError::BoundOverflow { dim: 2, lower: i32::MAX, count: 2 }
    );
    // A hostile first dimension of 2^32 - 1 elements: growing the last one overflows.
    let mut big = SafeArray::new(VarType::VARIANT, &[Bound::zero_based(1), Bound::zero_based(1)]).unwrap();
    unsafe { *bound_ptr(big.as_ptr(), 1) = SAFEARRAYBOUND { cElements: u32::MAX, lLbound: i32::MIN } };
    assert_eq!(big.redim(Bound::new(i32::MIN, u32::MAX)), Err(SafeArrayError::SizeOverflow));
    assert_eq!(big.bound(2), Ok(Bound::zero_based(1)));
    unsafe { *bound_ptr(big.as_ptr(), 1) = SAFEARRAYBOUND { cElements: 1, lLbound: 0 } };
}

#[test]
fn zero_copy_views_lend_the_storage() {
    let mut a = SafeArray::from_slice(&[1.0f64, 2.0, 3.0]).unwrap();
    let data = a.data_ptr() as usize;
    a.with_data(|xs: &[f64]| {
        assert_eq!(xs.as_ptr() as usize, data);
        assert_eq!(xs, [1.0, 2.0, 3.0]);
    })
    .unwrap();
    // Locked while lent.
    a.with_data(|_: &[f64]| assert_eq!(unsafe { safe_array_destroy(a.as_ptr()) }, Hresult::DISP_E_ARRAYISLOCKED))
        .unwrap();
    assert_eq!(a.lock_count(), 0);
    a.with_data_mut(|xs: &mut [f64]| xs[1] = 20.0).unwrap();
    assert_eq!(a.get::<f64>(&[1]), Ok(20.0));
    assert!(matches!(a.with_data(|_: &[i64]| ()), Err(SafeArrayError::TypeMismatch { .. })));
    assert!(matches!(a.with_data(|_: &[f32]| ()), Err(SafeArrayError::TypeMismatch { .. })));
    // BSTR arrays have no blittable view.
    let s = SafeArray::new(VarType::BSTR, &[Bound::zero_based(2)]).unwrap();
    assert!(matches!(s.with_data(|_: &[usize]| ()), Err(SafeArrayError::TypeMismatch { .. })));
    // Empty arrays lend an empty slice.
    let e = SafeArray::vector(VarType::I4, 0, 0).unwrap();
    assert_eq!(e.with_data(|xs: &[i32]| xs.len()), Ok(0));
}

#[test]
fn typed_views_index_like_oleaut32_and_lock() {
    let mut a = SafeArray::new(VarType::I4, &[Bound::new(1, 2), Bound::new(10, 3)]).unwrap();
    {
        let mut v = a.view_mut::<i32>().unwrap();
        for i in 1..=2 {
            for j in 10..=12 {
                v.set(&[i, j], i * 100 + j).unwrap();
            }
        }
        assert_eq!(v.set(&[3, 10], 0), Err(SafeArrayError::BadIndex { dim: 1, index: 3 }));
        assert_eq!(v.get(&[1, 13]), Err(SafeArrayError::BadIndex { dim: 2, index: 13 }));
        assert_eq!(v.get(&[1]), Err(SafeArrayError::WrongIndexCount { expected: 2, found: 1 }));
        // The same memory order as the recorded oleaut32 dump (110, 210, 111, 211, 112, 212).
        assert_eq!(v.as_slice(), [110, 210, 111, 211, 112, 212]);
        assert_eq!(v.bounds(), [Bound::new(1, 2), Bound::new(10, 3)]);
    }
    assert_eq!(a.lock_count(), 0);
    let v = a.view::<i32>().unwrap();
    assert_eq!(a.lock_count(), 1);
    assert_eq!(unsafe { safe_array_destroy(a.as_ptr()) }, Hresult::DISP_E_ARRAYISLOCKED);
    assert_eq!(v.get(&[2, 11]), Ok(211));
    assert!(a.view::<u32>().is_err());
    drop(v);
    assert_eq!(a.lock_count(), 0);
}

#[test]
fn zero_copy_view_of_misaligned_native_data_is_refused() {
    let mut a = SafeArray::vector(VarType::R8, 0, 2).unwrap();
    unsafe {
        let data = (*a.as_ptr()).pvData;
        (*a.as_ptr()).pvData = (data as *mut u8).add(1) as *mut c_void;
        assert_eq!(a.with_data(|_: &[f64]| ()), Err(SafeArrayError::Misaligned { align: 8 }));
        assert_eq!(a.with_data_mut(|_: &mut [f64]| ()), Err(SafeArrayError::Misaligned { align: 8 }));
        (*a.as_ptr()).pvData = data;
    }
}

#[test]
fn row_and_column_major_conversions() {
    // The CLR's int[,] {{1,2},{3,4}} goes native as 1,3,2,4 (mono_safearray.jsonl
    // safearray_in_I4_2d, expected native/data).
    let a = SafeArray::from_rows(&[[1i32, 2], [3, 4]]).unwrap();
    assert_eq!(a.to_bytes().unwrap(), [1, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0]);
    assert_eq!(a.to_rows::<i32>().unwrap(), [[1, 2], [3, 4]]);
    let b = SafeArray::from_column_major(&[Bound::zero_based(2), Bound::zero_based(2)], &[1i32, 3, 2, 4]).unwrap();
    assert_eq!(b.to_row_major::<i32>().unwrap(), [1, 2, 3, 4]);
    assert_eq!(
        SafeArray::from_rows(&[vec![1i32], vec![2, 3]]).unwrap_err(),
        SafeArrayError::ShapeMismatch { expected: 1, found: 2 }
    );
    assert_eq!(
        SafeArray::from_column_major(&[Bound::zero_based(3)], &[1i32]).unwrap_err(),
        SafeArrayError::ShapeMismatch { expected: 3, found: 1 }
    );
}

#[test]
fn owned_clone_is_deep_and_drop_frees_everything() {
    let before = live_blocks();
    {
        let mut a = SafeArray::new(VarType::I8, &[Bound::new(2, 3)]).unwrap();
        a.put(&[3], &99i64).unwrap();
        let b = a.try_clone().unwrap();
        a.put(&[3], &1i64).unwrap();
        assert_eq!(b.get::<i64>(&[3]), Ok(99));
        assert_ne!(a.as_ptr(), b.as_ptr());
        let raw = b.into_raw();
        let back = unsafe { SafeArray::from_raw(raw) }.unwrap();
        assert_eq!(back.to_vec::<i64>().unwrap(), [0, 99, 0]);
    }
    assert_eq!(live_blocks(), before);
}

#[test]
fn interface_elements_of_owned_arrays_are_released_on_drop() {
    let obj = FakeUnknown::new();
    {
        let a = SafeArray::new(VarType::UNKNOWN, &[Bound::zero_based(3)]).unwrap();
        for i in 0..3 {
            assert_eq!(unsafe { safe_array_put_element(a.as_ptr(), [i].as_ptr(), obj.ptr()) }, Hresult::S_OK);
        }
        assert_eq!(obj.refs.get(), 4);
        let b = a.try_clone().unwrap();
        assert_eq!(obj.refs.get(), 7);
        drop(b);
        assert_eq!(obj.refs.get(), 4);
    }
    assert_eq!(obj.refs.get(), 1);
}

#[test]
fn com_ref_elements_count_references() {
    use crate::iunknown::ComRef;
    let obj = FakeUnknown::new();
    {
        let r = unsafe { ComRef::from_borrowed(obj.ptr()) };
        assert_eq!(obj.refs.get(), 2);
        let mut a = SafeArray::from_slice(&[r.clone(), None]).unwrap();
        assert_eq!(a.vartype(), Some(VarType::UNKNOWN));
        assert_eq!(obj.refs.get(), 3);
        let got = a.get::<Option<ComRef>>(&[0]).unwrap();
        assert_eq!(got.as_ref().map(ComRef::as_raw), Some(obj.ptr()));
        assert_eq!(obj.refs.get(), 4);
        drop(got);
        a.put(&[1], &r).unwrap();
        assert_eq!(obj.refs.get(), 4);
        a.put(&[0], &None).unwrap();
        assert_eq!(obj.refs.get(), 3);
        // VT_DISPATCH arrays do not take ComRefs (an element there must be an IDispatch).
        let mut d = SafeArray::new(VarType::DISPATCH, &[Bound::zero_based(1)]).unwrap();
        assert!(matches!(d.put(&[0], &r), Err(SafeArrayError::TypeMismatch { .. })));
    }
    assert_eq!(obj.refs.get(), 1);
}

#[test]
fn marshal_type_and_rank_checks() {
    use super::marshal::*;
    let m = SafeArrayMarshaler::new(VarType::I4).with_rank(1);
    let a = SafeArray::from_slice(&[1i32, 2]).unwrap();
    {
        let arg = m.to_native_in(Some(&a)).unwrap();
        assert_eq!(arg.as_ptr(), a.as_ptr());
        // The callee may not destroy what it was lent.
        assert_eq!(unsafe { safe_array_destroy(arg.as_ptr()) }, Hresult::DISP_E_ARRAYISLOCKED);
    }
    assert_eq!(a.lock_count(), 0);
    let f = SafeArray::from_slice(&[1.0f32]).unwrap();
    assert_eq!(m.to_native_in(Some(&f)).unwrap_err().hresult(), Hresult::COR_E_SAFEARRAYTYPEMISMATCH);
    let two = SafeArray::from_rows(&[[1i32]]).unwrap();
    assert_eq!(m.check(&two), Err(SafeArrayError::RankMismatch { expected: 1, found: 2 }));
    assert!(SafeArrayMarshaler::new(VarType::I4).check(&two).is_ok());
    // Tolerated: INT where I4 is declared; an omitted subtype means VARIANT.
    let int = SafeArray::new(VarType::INT, &[Bound::zero_based(1)]).unwrap();
    assert!(m.check(&int).is_ok());
    assert_eq!(SafeArrayMarshaler::new(VarType::EMPTY).sub_type(), VarType::VARIANT);

    // Out: ownership of a returned array; a mismatched one is destroyed, not leaked.
    let before = live_blocks();
    let out = SafeArray::from_slice(&[5i32]).unwrap().into_raw();
    assert_eq!(unsafe { m.from_native_out(out) }.unwrap().unwrap().to_vec::<i32>(), Ok(vec![5]));
    let out = SafeArray::from_slice(&[5u8]).unwrap().into_raw();
    assert!(unsafe { m.from_native_out(out) }.is_err());
    assert!(matches!(unsafe { m.from_native_out(ptr::null_mut()) }, Ok(None)));
    assert_eq!(live_blocks(), before);

    // InOut: the callee replaces the array.
    let mut slot = InOutArray::new(m, Some(SafeArray::from_slice(&[1i32]).unwrap())).unwrap();
    unsafe {
        let pp = slot.as_mut_ptr();
        assert_eq!(safe_array_destroy(*pp), Hresult::S_OK);
        *pp = SafeArray::from_slice(&[8i32, 9]).unwrap().into_raw();
    }
    assert_eq!(unsafe { slot.finish() }.unwrap().unwrap().to_vec::<i32>(), Ok(vec![8, 9]));
    assert_eq!(live_blocks(), before);

    // Struct field: to native stores a copy; from native copies; destroy frees.
    let mut field: *mut SAFEARRAY = ptr::null_mut();
    unsafe {
        m.field_to_native(Some(&a), &mut field).unwrap();
        assert_ne!(field, a.as_ptr());
        let back = m.field_from_native(&field).unwrap().unwrap();
        assert_eq!(back.to_vec::<i32>(), Ok(vec![1, 2]));
        assert_ne!(back.as_ptr(), field);
        field_destroy(&mut field).unwrap();
        assert!(field.is_null());
    }
}

// ---------------------------------------------------------------------------
// BSTR and VARIANT elements, VT_ARRAY VARIANTs.
// ---------------------------------------------------------------------------

use crate::alloc::tracking::LeakCheck;
use crate::bstr::{sys_alloc_string_byte_len, sys_free_string, sys_string_byte_len, Bstr};
use crate::variant::{change_type, Variant, VariantValue, VARIANT};

#[test]
fn bstr_elements_are_copied_and_freed() {
    let check = LeakCheck::start();
    {
        let mut a = SafeArray::from_slice(&["alpha", "", "γάμμα"]).unwrap();
        assert_eq!(a.vartype(), Some(VarType::BSTR));
        assert_eq!(a.features() & FADF_BSTR, FADF_BSTR);
        assert_eq!(a.to_vec::<String>().unwrap(), ["alpha", "", "γάμμα"]);
        // Put copies: the array owns its own BSTR, the caller keeps hers.
        let mine = Bstr::try_from("mine").unwrap();
        a.put(&[0], &mine).unwrap();
        let got = a.get::<Bstr>(&[0]).unwrap();
        assert_eq!(got, "mine");
        assert_ne!(got.as_ptr(), mine.as_ptr());
        // A null Bstr is stored as a null element and read back as null (and "" as String).
        a.put(&[1], &Bstr::null()).unwrap();
        assert!(a.get::<Bstr>(&[1]).unwrap().is_null());
        assert_eq!(a.get::<String>(&[1]).unwrap(), "");
        assert!(matches!(a.get::<i64>(&[0]), Err(SafeArrayError::TypeMismatch { .. })));
        let copy = a.try_clone().unwrap();
        a.redim(Bound::zero_based(1)).unwrap(); // frees the truncated strings
        assert_eq!(copy.to_vec::<String>().unwrap(), ["mine", "", "γάμμα"]);
    }
    check.assert_no_leaks();
}

#[test]
fn raw_bstr_put_and_get_follow_oleaut32() {
    // SafeArrayPutElement copies the BSTR with its byte length (odd lengths kept); a NULL
    // BSTR put becomes an empty BSTR (SysAllocStringByteLen(NULL, 0)); GetElement of a
    // NULL element gives NULL.
    let check = LeakCheck::start();
    let psa = create(VarType::BSTR, &[(3, 0)]);
    unsafe {
        let odd = sys_alloc_string_byte_len(b"abc".as_ptr(), 3);
        assert_eq!(safe_array_put_element(psa, [0].as_ptr(), odd as *const c_void), Hresult::S_OK);
        let mut got: *mut u16 = ptr::null_mut();
        assert_eq!(safe_array_get_element(psa, [0].as_ptr(), &mut got as *mut _ as _), Hresult::S_OK);
        assert_ne!(got, odd);
        assert_eq!(sys_string_byte_len(got), 3);
        assert_eq!(core::slice::from_raw_parts(got as *const u8, 3), b"abc");
        sys_free_string(got);
        sys_free_string(odd);
        assert_eq!(safe_array_put_element(psa, [1].as_ptr(), ptr::null()), Hresult::S_OK);
        let slot = *((*psa).pvData as *const *mut u16).add(1);
        assert!(!slot.is_null());
        assert_eq!(sys_string_byte_len(slot), 0);
        let mut got: *mut u16 = ptr::dangling_mut();
        assert_eq!(safe_array_get_element(psa, [2].as_ptr(), &mut got as *mut _ as _), Hresult::S_OK);
        assert!(got.is_null());
        assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
    }
    check.assert_no_leaks();
}

#[test]
fn variant_elements_are_deep_copied_and_cleared() {
    let check = LeakCheck::start();
    {
        let values = [Variant::from(7i32), Variant::from("text"), Variant::from(2.5f64), Variant::empty()];
        let mut a = SafeArray::from_slice(&values).unwrap();
        assert_eq!((a.vartype(), a.element_size()), (Some(VarType::VARIANT), core::mem::size_of::<VARIANT>() as u32));
        let back = a.to_vec::<Variant>().unwrap();
        assert!(matches!(back[1].value(), VariantValue::Bstr(u) if String::from_utf16_lossy(u) == "text"));
        assert_eq!(i32::try_from(&back[0]), Ok(7));
        // A VARIANT holding an array, inside an array of VARIANTs: destroyed recursively.
        let inner = SafeArray::from_slice(&["x", "y"]).unwrap().into_variant().unwrap();
        a.put(&[3], &inner).unwrap();
        let nested = a.get::<Variant>(&[3]).unwrap();
        assert_eq!(nested.vt(), VarType::BSTR.array());
        assert_eq!(SafeArray::from_variant(&nested).unwrap().to_vec::<String>().unwrap(), ["x", "y"]);
        a.put(&[1], &Variant::from(1u8)).unwrap(); // frees the old BSTR
        let copy = a.try_clone().unwrap();
        drop(a);
        assert_eq!(SafeArray::from_variant(&copy.get::<Variant>(&[3]).unwrap()).unwrap().len(), 2);
    }
    check.assert_no_leaks();
}

#[test]
fn variant_clear_and_copy_of_arrays() {
    // Wine test_SafeArrayClear / test_SafeArrayCopy: VariantClear of VT_ARRAY|VT_UI1 destroys
    // the array; VariantCopy deep-copies it (a different SAFEARRAY*); VariantCopyInd of
    // VT_ARRAY|VT_BYREF copies the array pointed to.
    let check = LeakCheck::start();
    {
        let v = SafeArray::from_slice(&[1u8, 2, 3]).unwrap().into_variant().unwrap();
        assert_eq!(v.vt(), VarType::UI1.array());
        let w = v.try_clone().unwrap();
        let (pv, pw) = match (v.value(), w.value()) {
            (VariantValue::Array(_, a), VariantValue::Array(_, b)) => (a, b),
            other => panic!("{other:?}"),
        };
        assert_ne!(pv, pw);
        let mut psa = pv as *mut SAFEARRAY;
        let byref = unsafe { Variant::by_ref(VarType::UI1.array(), &mut psa as *mut _ as *mut c_void) }.unwrap();
        let ind = byref.copy_ind().unwrap();
        assert_eq!(ind.vt(), VarType::UI1.array());
        assert_eq!(SafeArray::from_variant(&ind).unwrap().to_vec::<u8>().unwrap(), [1, 2, 3]);
        assert_eq!(SafeArray::from_variant(&byref).unwrap().to_vec::<u8>().unwrap(), [1, 2, 3]);
    }
    check.assert_no_leaks();
}

#[test]
fn change_type_of_arrays() {
    // Wine test_SafeArrayChangeTypeEx: VT_ARRAY|VT_UI1 -> VT_BSTR takes the bytes; the same
    // array type copies; another array type, VT_NULL and VT_EMPTY are DISP_E_TYPEMISMATCH;
    // VT_BSTR -> VT_ARRAY|VT_UI1 gives the BSTR's bytes.
    let check = LeakCheck::start();
    {
        let hello = b"Hello World\0";
        let v = SafeArray::from_slice(&hello[..]).unwrap().into_variant().unwrap();
        let b = change_type(&v, VarType::BSTR, 0).unwrap();
        assert_eq!(b.vt(), VarType::BSTR);
        let units = match b.value() {
            VariantValue::Bstr(u) => u.to_vec(),
            other => panic!("{other:?}"),
        };
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(&bytes, hello);
        let back = change_type(&b, VarType::UI1.array(), 0).unwrap();
        assert_eq!(SafeArray::from_variant(&back).unwrap().to_vec::<u8>().unwrap(), hello);
        let same = change_type(&v, VarType::UI1.array(), 0).unwrap();
        assert_eq!(SafeArray::from_variant(&same).unwrap().len(), hello.len());
        for target in [VarType::I1.array(), VarType::NULL, VarType::EMPTY, VarType::I4] {
            assert_eq!(change_type(&v, target, 0).unwrap_err(), Hresult::DISP_E_TYPEMISMATCH, "{target:?}");
        }
        // Only VT_UI1 arrays become BSTRs.
        let ints = SafeArray::from_slice(&[1i32]).unwrap().into_variant().unwrap();
        assert_eq!(change_type(&ints, VarType::BSTR, 0).unwrap_err(), Hresult::DISP_E_TYPEMISMATCH);
    }
    check.assert_no_leaks();
}

#[test]
fn variants_with_hostile_arrays_are_refused() {
    let a = victim();
    let mut raw = VARIANT::with_vt(VarType::I4.array());
    raw.data.ptr = a.as_ptr() as *mut c_void;
    // An array of VT_I4 under the VARTYPE VT_ARRAY|VT_R8.
    let mut wrong = raw;
    wrong.vt = VarType::R8.array();
    assert_eq!(
        unsafe { Variant::from_raw(wrong) }.unwrap_err(),
        crate::variant::VariantError::BadArray(VarType::R8.array())
    );
    unsafe { (*a.as_ptr()).cDims = 0 };
    assert!(unsafe { Variant::from_raw(raw) }.is_err());
    unsafe { (*a.as_ptr()).cDims = 2 };
    // Well-formed: accepted (and then owned: give it up without destroying `a` twice).
    let v = unsafe { Variant::from_raw(raw) }.unwrap();
    core::mem::forget(v);
}

#[test]
fn bstr_vector_conversions() {
    let check = LeakCheck::start();
    unsafe {
        let b = sys_alloc_string_byte_len(b"xyz".as_ptr(), 3);
        let mut psa = ptr::null_mut();
        assert_eq!(variant_array::vector_from_bstr(b, &mut psa), Hresult::S_OK);
        assert_eq!((safe_array_get_dim(psa), safe_array_get_elemsize(psa)), (1, 1));
        let mut back: *mut u16 = ptr::null_mut();
        assert_eq!(variant_array::bstr_from_vector(psa, &mut back), Hresult::S_OK);
        assert_eq!(sys_string_byte_len(back), 3);
        sys_free_string(back);
        let two = create(VarType::UI1, &[(1, 0), (1, 0)]);
        assert_eq!(variant_array::bstr_from_vector(two, &mut back), Hresult::E_INVALIDARG);
        assert!(back.is_null());
        assert_eq!(variant_array::bstr_from_vector(ptr::null_mut(), &mut back), Hresult::E_INVALIDARG);
        safe_array_destroy(two);
        safe_array_destroy(psa);
        sys_free_string(b);
    }
    check.assert_no_leaks();
}

#[test]
fn runtime_values_convert_both_ways() {
    use super::marshal::SafeArrayMarshaler;
    use crate::value::Value;
    let check = LeakCheck::start();
    {
        let m = SafeArrayMarshaler::new(VarType::BSTR).with_rank(1);
        let v = Value::Array(vec![Value::str("a"), Value::Null, Value::str("")]);
        let a = m.from_value(&v).unwrap().unwrap();
        assert_eq!(a.vartype(), Some(VarType::BSTR));
        assert!(a.get::<Bstr>(&[1]).unwrap().is_null());
        assert_eq!(m.to_value(&a).unwrap(), v);
        assert!(m.from_value(&Value::Null).unwrap().is_none());

        let m = SafeArrayMarshaler::new(VarType::VARIANT);
        let v = Value::Array(vec![Value::I32(1), Value::str("a"), Value::F64(0.5), Value::Null, Value::Bool(true)]);
        let a = m.from_value(&v).unwrap().unwrap();
        assert_eq!(a.get::<Variant>(&[0]).unwrap().vt(), VarType::I4);
        assert_eq!(a.get::<Variant>(&[3]).unwrap().vt(), VarType::EMPTY);
        assert_eq!(m.to_value(&a).unwrap(), v);

        // INT keeps its VARTYPE.
        let m = SafeArrayMarshaler::new(VarType::INT);
        let a = m.from_value(&Value::Array(vec![Value::I32(5)])).unwrap().unwrap();
        assert_eq!(a.vartype(), Some(VarType::INT));

        // Refusals: wrong element, ragged rows, wrong rank on the way back.
        let m = SafeArrayMarshaler::new(VarType::I4).with_rank(2);
        assert!(matches!(
            SafeArrayMarshaler::new(VarType::I4).from_value(&Value::Array(vec![Value::F64(1.0)])),
            Err(SafeArrayError::TypeMismatch { .. })
        ));
        let ragged = Value::Array(vec![Value::Array(vec![Value::I32(1)]), Value::Array(vec![])]);
        assert_eq!(m.from_value(&ragged).unwrap_err(), SafeArrayError::ShapeMismatch { expected: 1, found: 0 });
        let one_d = SafeArray::from_slice(&[1i32]).unwrap();
        assert_eq!(m.to_value(&one_d).unwrap_err(), SafeArrayError::RankMismatch { expected: 2, found: 1 });
        assert!(matches!(
            SafeArrayMarshaler::new(VarType::DATE).from_value(&Value::Array(vec![])),
            Err(SafeArrayError::TypeMismatch { .. })
        ));
    }
    check.assert_no_leaks();
}

// ---------------------------------------------------------------------------
// Property tests.
// ---------------------------------------------------------------------------

mod props {
    use super::*;
    use proptest::prelude::*;

    fn shape() -> impl Strategy<Value = Vec<Bound>> {
        prop::collection::vec((-1000i32..1000, 0u32..5), 1..=4)
            .prop_map(|v| v.into_iter().map(|(l, c)| Bound::new(l, c)).collect())
    }

    /// Every multi-index of a shape, dimension 1 fastest, with its column-major cell number
    /// computed independently (Σ (i_d - lb_d) × Π_{e<d} count_e).
    fn indices(bounds: &[Bound]) -> Vec<(Vec<i32>, usize)> {
        let total: usize = bounds.iter().map(|b| b.count as usize).product();
        (0..total)
            .map(|cell| {
                let mut rest = cell;
                let idx = bounds
                    .iter()
                    .map(|b| {
                        let i = rest % b.count as usize;
                        rest /= b.count as usize;
                        b.lower + i as i32
                    })
                    .collect::<Vec<_>>();
                let mut expected = 0usize;
                let mut stride = 1usize;
                for (i, b) in idx.iter().zip(bounds) {
                    expected += (i - b.lower) as usize * stride;
                    stride *= b.count as usize;
                }
                (idx, expected)
            })
            .collect()
    }

    fn check_roundtrip<T>(bounds: &[Bound], values: &[T]) -> Result<(), TestCaseError>
    where
        T: FromElement + ToElement + Clone + PartialEq + core::fmt::Debug + crate::Blittable,
    {
        let before = live_blocks();
        {
            let mut a = SafeArray::new(T::VARTYPE, bounds).unwrap();
            let all = indices(bounds);
            prop_assert_eq!(a.len(), all.len());
            for ((idx, cell), v) in all.iter().zip(values.iter().cycle()) {
                a.put(idx, v).unwrap();
                let mut p = ptr::null_mut();
                prop_assert_eq!(unsafe { safe_array_ptr_of_index(a.as_ptr(), idx.as_ptr(), &mut p) }, Hresult::S_OK);
                prop_assert_eq!(p as usize - a.data_ptr() as usize, cell * core::mem::size_of::<T>());
            }
            let expected: Vec<T> = values.iter().cycle().take(all.len()).cloned().collect();
            for ((idx, _), v) in all.iter().zip(&expected) {
                prop_assert_eq!(&a.get::<T>(idx).unwrap(), v);
            }
            // Memory order = put order (dimension 1 fastest).
            prop_assert_eq!(&a.to_vec::<T>().unwrap(), &expected);
            a.with_data(|xs: &[T]| assert_eq!(xs, &expected[..])).unwrap();
            let view = a.view::<T>().unwrap();
            for ((idx, _), v) in all.iter().zip(&expected) {
                prop_assert_eq!(&view.get(idx).unwrap(), v);
            }
            drop(view);
            let back = SafeArray::from_column_major(bounds, &expected).unwrap();
            prop_assert_eq!(back.to_vec::<T>().unwrap(), expected.clone());
            let rows = a.to_row_major::<T>().unwrap();
            let again = SafeArray::from_row_major(bounds, &rows).unwrap();
            prop_assert_eq!(again.to_vec::<T>().unwrap(), expected.clone());
            let copy = a.try_clone().unwrap();
            prop_assert_eq!(copy.bounds(), a.bounds());
            prop_assert_eq!(copy.to_bytes().unwrap(), a.to_bytes().unwrap());
            if a.dims() == 1 {
                let v = SafeArray::from_slice_with_lower(bounds[0].lower, &expected).unwrap();
                prop_assert_eq!(v.bounds(), a.bounds());
                prop_assert_eq!(v.to_vec::<T>().unwrap(), expected.clone());
            }
        }
        prop_assert_eq!(live_blocks(), before);
        Ok(())
    }

    proptest! {
        #[test]
        fn i32_any_shape(bounds in shape(), values in prop::collection::vec(any::<i32>(), 1..8)) {
            check_roundtrip(&bounds, &values)?;
        }

        #[test]
        fn f64_any_shape(bounds in shape(), values in prop::collection::vec(any::<f64>().prop_filter("nan", |x| !x.is_nan()), 1..8)) {
            check_roundtrip(&bounds, &values)?;
        }

        #[test]
        fn u8_i16_u64_any_shape(bounds in shape(), a in prop::collection::vec(any::<u8>(), 1..8),
                                b in prop::collection::vec(any::<i16>(), 1..8), c in prop::collection::vec(any::<u64>(), 1..8)) {
            check_roundtrip(&bounds, &a)?;
            check_roundtrip(&bounds, &b)?;
            check_roundtrip(&bounds, &c)?;
        }

        #[test]
        fn redim_keeps_the_prefix(bounds in shape(), new_count in 0u32..6, new_lower in -10i32..10) {
            let before = live_blocks();
            {
                let mut a = SafeArray::new(VarType::I4, &bounds).unwrap();
                let n = a.len() as i32;
                a.with_data_mut(|xs: &mut [i32]| for (i, x) in xs.iter_mut().enumerate() { *x = i as i32 + 1 }).unwrap();
                a.redim(Bound::new(new_lower, new_count)).unwrap();
                let last = bounds.len() - 1;
                let slab: usize = bounds[..last].iter().map(|b| b.count as usize).product();
                let kept = slab * new_count.min(bounds[last].count) as usize;
                let data = a.to_vec::<i32>().unwrap();
                prop_assert_eq!(data.len(), slab * new_count as usize);
                for (i, x) in data.iter().enumerate() {
                    prop_assert_eq!(*x, if i < kept { i as i32 + 1 } else { 0 }, "cell {} of {}", i, n);
                }
                prop_assert_eq!(a.bound(a.dims()).unwrap(), Bound::new(new_lower, new_count));
            }
            prop_assert_eq!(live_blocks(), before);
        }

        #[test]
        fn strings_roundtrip_through_bstr_arrays(values in prop::collection::vec(".{0,12}", 0..12), lower in -50i32..50) {
            let check = LeakCheck::start();
            {
                let a = SafeArray::from_slice_with_lower(lower, &values).unwrap();
                prop_assert_eq!(a.vartype(), Some(VarType::BSTR));
                prop_assert_eq!(a.to_vec::<String>().unwrap(), values.clone());
                for (i, v) in values.iter().enumerate() {
                    prop_assert_eq!(&a.get::<String>(&[lower + i as i32]).unwrap(), v);
                }
                let copy = a.try_clone().unwrap();
                drop(a);
                prop_assert_eq!(copy.to_vec::<String>().unwrap(), values.clone());
                // As rows of a 2-D array too.
                if !values.is_empty() {
                    let grid = SafeArray::from_rows(&[values.clone(), values.clone()]).unwrap();
                    prop_assert_eq!(grid.to_rows::<String>().unwrap(), vec![values.clone(), values.clone()]);
                }
            }
            check.assert_no_leaks();
        }

        #[test]
        fn variants_roundtrip_through_variant_arrays(items in prop::collection::vec(
            prop_oneof![any::<i32>().prop_map(Ok), ".{0,8}".prop_map(Err)], 0..10)) {
            let check = LeakCheck::start();
            {
                let values: Vec<Variant> = items
                    .iter()
                    .map(|i| match i { Ok(n) => Variant::from(*n), Err(s) => Variant::from(s.as_str()) })
                    .collect();
                let a = SafeArray::from_slice(&values).unwrap();
                let back = a.to_vec::<Variant>().unwrap();
                prop_assert_eq!(back.len(), items.len());
                for (v, i) in back.iter().zip(&items) {
                    match i {
                        Ok(n) => prop_assert_eq!(i32::try_from(v), Ok(*n)),
                        Err(s) => prop_assert_eq!(String::try_from(v).ok(), Some(s.clone())),
                    }
                }
                let as_variant = a.try_clone().unwrap().into_variant().unwrap();
                let copied = as_variant.try_clone().unwrap();
                prop_assert_eq!(SafeArray::from_variant(&copied).unwrap().len(), items.len());
            }
            check.assert_no_leaks();
        }

        #[test]
        fn runtime_values_roundtrip(dims in prop::collection::vec(0usize..4, 1..=3), seed in any::<i32>()) {
            use crate::value::Value;
            // A nested row-major Value of the given shape, values numbered from `seed`.
            fn build(dims: &[usize], next: &mut i32) -> Value {
                Value::Array((0..dims[0]).map(|_| if dims.len() == 1 {
                    *next = next.wrapping_add(1);
                    Value::I32(*next)
                } else {
                    build(&dims[1..], next)
                }).collect())
            }
            let mut next = seed;
            let v = build(&dims, &mut next);
            let m = super::super::marshal::SafeArrayMarshaler::new(VarType::I4).with_rank(dims.len() as u32);
            let a = m.from_value(&v).unwrap().unwrap();
            // A nested Value says nothing of the dimensions below an empty one: compare
            // the shape when it is fully described, the values when nothing is empty.
            if dims[..dims.len() - 1].iter().all(|&d| d > 0) {
                prop_assert_eq!(a.bounds().iter().map(|b| b.count as usize).collect::<Vec<_>>(), dims.clone());
            }
            if dims.iter().all(|&d| d > 0) {
                prop_assert_eq!(m.to_value(&a).unwrap(), v);
            }
        }

        #[test]
        fn transposition_visits_matching_cells(counts in prop::collection::vec(0usize..5, 1..=4)) {
            // Decode both numbers independently: column-major (dimension 1 fastest) and
            // row-major (last dimension fastest) must name the same multi-index.
            let total: usize = counts.iter().product();
            let mut seen = vec![false; total];
            let mut visits = 0;
            super::super::convert::for_each_transposed(&counts, |cell, row| {
                let mut c = cell;
                let col_idx: Vec<usize> = counts.iter().map(|&n| { let i = c % n; c /= n; i }).collect();
                let mut r = row;
                let mut row_idx: Vec<usize> = counts.iter().rev().map(|&n| { let i = r % n; r /= n; i }).collect();
                row_idx.reverse();
                assert_eq!(col_idx, row_idx);
                assert!(!seen[cell]);
                seen[cell] = true;
                visits += 1;
            });
            prop_assert_eq!(visits, total);
        }

        #[test]
        fn validate_accepts_what_it_creates(bounds in shape()) {
            let a = SafeArray::new(VarType::DECIMAL, &bounds).unwrap();
            let info = unsafe { validate(a.as_ptr()) }.unwrap();
            prop_assert_eq!(info.bounds, bounds.clone());
            prop_assert_eq!(info.byte_len, a.len() * 16);
        }

        #[test]
        fn validate_never_panics_on_random_headers(dims in 0u16..6, features in any::<u16>(), cb in any::<u32>(),
                                                   counts in prop::collection::vec(any::<u32>(), 5),
                                                   lowers in prop::collection::vec(any::<i32>(), 5),
                                                   vt in any::<u16>(), null_data in any::<bool>()) {
            // A descriptor with room for 5 bounds and a hidden area, random contents.
            let mut psa = ptr::null_mut();
            unsafe {
                prop_assert_eq!(safe_array_alloc_descriptor(5, &mut psa), Hresult::S_OK);
                (*psa).cDims = dims;
                (*psa).fFeatures = features & !FADF_RECORD;
                (*psa).cbElements = cb;
                (*psa).pvData = if null_data { ptr::null_mut() } else { 16 as *mut c_void };
                for i in 0..5 {
                    *bound_ptr(psa, i) = SAFEARRAYBOUND { cElements: counts[i], lLbound: lowers[i] };
                }
                *((psa as *mut u32).sub(1)) = vt as u32;
                if let Ok(info) = validate(psa) {
                    // Whatever is accepted is self-consistent.
                    prop_assert_eq!(info.byte_len, info.len * info.element_size as usize);
                    prop_assert!(info.len == 0 || !null_data);
                    for b in &info.bounds {
                        prop_assert!(b.count == 0 || b.upper().is_some());
                    }
                }
                (*psa).cDims = 5;
                (*psa).pvData = ptr::null_mut();
                (*psa).fFeatures = 0;
                prop_assert_eq!(safe_array_destroy_descriptor(psa), Hresult::S_OK);
            }
        }
    }
}

/// Found by the `safearray_raw` fuzz target: a native descriptor with no elements and a null `pvData`
/// (valid) was copied without its element kind and type information, so the engine's own validation
/// refused the copy (VT_VARIANT without FADF_VARIANT, FADF_RECORD without an IRecordInfo).
#[test]
fn copying_an_empty_array_without_data_keeps_its_type() {
    let rec = FakeRecordInfo::new(8);
    for vt in [VarType::VARIANT, VarType::BSTR, VarType::RECORD, VarType::I4] {
        let mut psa = ptr::null_mut();
        unsafe {
            assert_eq!(safe_array_alloc_descriptor_ex(vt, 1, &mut psa), Hresult::S_OK);
            (*psa).fFeatures |= match vt {
                VarType::VARIANT => FADF_VARIANT,
                VarType::BSTR => FADF_BSTR,
                _ => 0,
            };
            if vt == VarType::RECORD {
                (*psa).cbElements = 8;
                assert_eq!(safe_array_set_record_info(psa, rec.ptr()), Hresult::S_OK);
            }
            assert!(validate(psa).is_ok(), "{vt:?}: the source is valid (no elements, no data)");
            let mut copy = ptr::null_mut();
            assert_eq!(safe_array_copy(psa, &mut copy), Hresult::S_OK);
            let info = validate(copy).unwrap_or_else(|e| panic!("{vt:?}: the copy is refused: {e:?}"));
            assert_eq!((info.vartype, info.len), (Some(vt), 0));
            assert_eq!((*copy).fFeatures & !FADF_HAVEVARTYPE, (*psa).fFeatures & !FADF_HAVEVARTYPE);
            assert_eq!(safe_array_destroy(copy), Hresult::S_OK);
            assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
        }
    }
    assert_eq!(rec.refs.get(), 1, "the copies released their IRecordInfo");
}

/// Found by the `safearray_raw` fuzz target: FADF_RECORD with FADF_HAVEIID let the IID's bytes be taken
/// for the IRecordInfo pointer (the two share the hidden area), and a call went through them.
#[test]
fn a_record_array_with_an_iid_or_a_vartype_is_refused() {
    let rec = FakeRecordInfo::new(8);
    for extra in [FADF_HAVEIID, FADF_HAVEVARTYPE] {
        let mut psa = ptr::null_mut();
        unsafe {
            assert_eq!(safe_array_alloc_descriptor_ex(VarType::RECORD, 1, &mut psa), Hresult::S_OK);
            (*psa).cbElements = 8;
            assert_eq!(safe_array_set_record_info(psa, rec.ptr()), Hresult::S_OK);
            assert!(validate(psa).is_ok());
            (*psa).fFeatures |= extra;
            assert!(matches!(validate(psa), Err(SafeArrayError::InconsistentFeatures { .. })));
            (*psa).fFeatures &= !extra;
            assert_eq!(safe_array_destroy(psa), Hresult::S_OK);
        }
    }
    assert_eq!(rec.refs.get(), 1);
}

/// One-dimensional arrays of plain elements take a shorter path through
/// `SafeArrayPutElement` / `SafeArrayGetElement`: its answers (HRESULT, the element, the
/// lock count after the call) are those of the general path, which an n × 1 array with the
/// same first dimension takes, for indices in and out of range, a saturated lock count and
/// a missing data block.
#[test]
fn vector_put_get_answer_as_the_general_path_does() {
    for vt in [VarType::UI1, VarType::I2, VarType::I4, VarType::R8, VarType::CY, VarType::DECIMAL] {
        let vector = create(vt, &[(5, -2)]);
        let matrix = create(vt, &[(5, -2), (1, 7)]);
        let size = unsafe { (*vector).cbElements } as usize;
        assert_eq!(size, unsafe { (*matrix).cbElements } as usize);
        let check = move |label: &str, value: u8| {
            for i in -4..5 {
                let input = vec![value.wrapping_add(i as u8); size];
                let hr_v = unsafe { safe_array_put_element(vector, &i, input.as_ptr().cast()) };
                let hr_m = unsafe { safe_array_put_element(matrix, [i, 7].as_ptr(), input.as_ptr().cast()) };
                assert_eq!(hr_v, hr_m, "{vt:?} {label} put [{i}]");
                let (mut out_v, mut out_m) = (vec![0xEEu8; size], vec![0xEEu8; size]);
                let hr_v = unsafe { safe_array_get_element(vector, &i, out_v.as_mut_ptr().cast()) };
                let hr_m = unsafe { safe_array_get_element(matrix, [i, 7].as_ptr(), out_m.as_mut_ptr().cast()) };
                assert_eq!(hr_v, hr_m, "{vt:?} {label} get [{i}]");
                assert_eq!(out_v, out_m, "{vt:?} {label} get [{i}]");
                assert_eq!(hr_v == Hresult::S_OK, (-2..3).contains(&i) && label == "plain");
                if hr_v == Hresult::S_OK {
                    assert_eq!(out_v, input);
                }
                assert_eq!(unsafe { (*vector).cLocks }, unsafe { (*matrix).cLocks }, "{vt:?} {label} lock count");
            }
        };
        check("plain", 10);
        // A lock count at its limit: E_UNEXPECTED, the count unchanged.
        unsafe {
            (*vector).cLocks = MAX_LOCKS;
            (*matrix).cLocks = MAX_LOCKS;
        }
        check("saturated", 20);
        assert_eq!(unsafe { (*vector).cLocks }, MAX_LOCKS);
        unsafe {
            (*vector).cLocks = 0;
            (*matrix).cLocks = 0;
        }
        // No data block: E_INVALIDARG for an index in range, DISP_E_BADINDEX outside.
        let (data_v, data_m) = unsafe { ((*vector).pvData, (*matrix).pvData) };
        unsafe {
            (*vector).pvData = ptr::null_mut();
            (*matrix).pvData = ptr::null_mut();
        }
        check("no data", 30);
        unsafe {
            (*vector).pvData = data_v;
            (*matrix).pvData = data_m;
            assert_eq!(safe_array_destroy(vector), Hresult::S_OK);
            assert_eq!(safe_array_destroy(matrix), Hresult::S_OK);
        }
    }
}

/// What `SafeArray::get` / `put` may meet in a descriptor: each state is applied to a
/// one-dimensional array (the typed fast path's case) and to an n × 1 array (which always
/// takes the general walk), and undone before the arrays are dropped.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tamper {
    None,
    /// The other VARTYPE `T` accepts (VT_INT for i32): the fast path leaves it to the walk.
    AlternateVartype(VarType),
    /// A VARTYPE of the same size that `T` does not accept.
    OtherVartype(VarType),
    ElementSize,
    DataDeleted,
    NoData,
    IidFlag,
    RecordFlag,
    NoVartypeFlag,
    LockedAtLimit,
    FixedSize,
}

impl Tamper {
    /// Applies the state; returns what `undo` needs.
    unsafe fn apply(self, psa: *mut SAFEARRAY) -> (u16, u32, u32, u32, *mut c_void) {
        unsafe {
            let saved = ((*psa).fFeatures, (*psa).cbElements, (*psa).cLocks, hidden_vt(psa), (*psa).pvData);
            match self {
                Tamper::None => {}
                Tamper::AlternateVartype(vt) | Tamper::OtherVartype(vt) => set_hidden_vt(psa, vt.0 as u32),
                Tamper::ElementSize => (*psa).cbElements += 4,
                Tamper::DataDeleted => (*psa).fFeatures |= FADF_DATADELETED,
                Tamper::NoData => (*psa).pvData = ptr::null_mut(),
                Tamper::IidFlag => (*psa).fFeatures |= FADF_HAVEIID,
                Tamper::RecordFlag => (*psa).fFeatures |= FADF_RECORD,
                Tamper::NoVartypeFlag => (*psa).fFeatures &= !FADF_HAVEVARTYPE,
                Tamper::LockedAtLimit => (*psa).cLocks = MAX_LOCKS,
                Tamper::FixedSize => (*psa).fFeatures |= FADF_FIXEDSIZE,
            }
            saved
        }
    }

    unsafe fn undo(psa: *mut SAFEARRAY, saved: (u16, u32, u32, u32, *mut c_void)) {
        unsafe {
            (*psa).fFeatures = saved.0;
            (*psa).cbElements = saved.1;
            (*psa).cLocks = saved.2;
            set_hidden_vt(psa, saved.3);
            (*psa).pvData = saved.4;
        }
    }

    /// Whether an element in range is reachable in this state (an independent statement of
    /// the rules: the hidden VARTYPE is one `T` accepts, of `T`'s size, data present).
    fn reachable(self) -> bool {
        matches!(self, Tamper::None | Tamper::AlternateVartype(_) | Tamper::LockedAtLimit | Tamper::FixedSize)
    }
}

unsafe fn hidden_vt(psa: *mut SAFEARRAY) -> u32 {
    unsafe { ((psa as *mut u8).sub(4) as *const u32).read_unaligned() }
}

unsafe fn set_hidden_vt(psa: *mut SAFEARRAY, vt: u32) {
    unsafe { ((psa as *mut u8).sub(4) as *mut u32).write_unaligned(vt) }
}

/// The element bytes of an array of `count` elements of `size` bytes.
unsafe fn element_bytes(a: &SafeArray, count: usize, size: usize) -> Vec<u8> {
    unsafe { core::slice::from_raw_parts(a.data_ptr() as *const u8, count * size).to_vec() }
}

/// `get` / `put` on a one-dimensional array (the typed fast path) answer exactly what the
/// general walk answers on an n × 1 array of the same first dimension, in every state of
/// [`Tamper`], for indices in and out of range, at the ends of the `i32` range too; and
/// they write the same cells.
fn fast_path_answers_as_the_general_walk<T>(vt: VarType, alternate: Option<VarType>, other: VarType, make: fn(i64) -> T)
where
    T: FromElement + ToElement + PartialEq + core::fmt::Debug,
{
    let mut states = vec![
        Tamper::None,
        Tamper::OtherVartype(other),
        Tamper::ElementSize,
        Tamper::DataDeleted,
        Tamper::NoData,
        Tamper::IidFlag,
        Tamper::RecordFlag,
        Tamper::NoVartypeFlag,
        Tamper::LockedAtLimit,
        Tamper::FixedSize,
    ];
    states.extend(alternate.map(Tamper::AlternateVartype));
    const COUNT: u32 = 5;
    for lower in [-2, 0, i32::MAX - COUNT as i32 + 1, i32::MIN] {
        let size = T::ELEMENT_SIZE;
        // The vector both ways (one block, and descriptor + data block), and the n × 1 array.
        let vectors =
            [SafeArray::vector(vt, lower, COUNT).unwrap(), SafeArray::new(vt, &[Bound::new(lower, COUNT)]).unwrap()];
        for mut vector in vectors {
            let mut matrix = SafeArray::new(vt, &[Bound::new(lower, COUNT), Bound::new(7, 1)]).unwrap();
            let mut indices: Vec<i32> =
                (lower as i64 - 2..lower as i64 + COUNT as i64 + 2).filter_map(|i| i32::try_from(i).ok()).collect();
            // 7: the n × 1 array's index of dimension 2, which a one-index call must not reach.
            indices.extend([i32::MIN, i32::MIN + 1, -1, 0, 1, 7, i32::MAX - 1, i32::MAX]);
            for (s, &state) in states.iter().enumerate() {
                let (saved_v, saved_m) = unsafe { (state.apply(vector.as_ptr()), state.apply(matrix.as_ptr())) };
                for &i in &indices {
                    let value = make(s as i64 * 1000 + i as i64);
                    let put_v = vector.put(&[i], &value);
                    let put_m = matrix.put(&[i, 7], &value);
                    assert_eq!(put_v, put_m, "{vt:?} lower {lower} {state:?} put [{i}]");
                    let get_v = vector.get::<T>(&[i]);
                    let get_m = matrix.get::<T>(&[i, 7]);
                    assert_eq!(get_v, get_m, "{vt:?} lower {lower} {state:?} get [{i}]");
                    let in_range = (lower as i64..lower as i64 + COUNT as i64).contains(&(i as i64));
                    assert_eq!(get_v.is_ok(), in_range && state.reachable(), "{vt:?} lower {lower} {state:?} [{i}]");
                    if let Ok(got) = get_v {
                        assert_eq!(got, value);
                    }
                    // One index for two dimensions, two for one: refused whatever the state (the
                    // count is checked after the element type).
                    if state.reachable() {
                        let wrong_count = |expected, found| SafeArrayError::WrongIndexCount { expected, found };
                        assert_eq!(matrix.get::<T>(&[i]), Err(wrong_count(2, 1)), "{vt:?} {state:?} [{i}] on 2 dims");
                        assert_eq!(
                            matrix.put(&[i], &value),
                            Err(wrong_count(2, 1)),
                            "{vt:?} {state:?} [{i}] on 2 dims"
                        );
                        assert_eq!(
                            vector.get::<T>(&[i, 7]),
                            Err(wrong_count(1, 2)),
                            "{vt:?} {state:?} [{i}, 7] on 1 dim"
                        );
                    }
                }
                unsafe {
                    Tamper::undo(vector.as_ptr(), saved_v);
                    Tamper::undo(matrix.as_ptr(), saved_m);
                    assert_eq!(
                        element_bytes(&vector, COUNT as usize, size),
                        element_bytes(&matrix, COUNT as usize, size),
                        "{vt:?} lower {lower} {state:?}: the same cells written"
                    );
                }
            }
        }
    }
}

#[test]
fn owned_vector_put_get_answer_as_the_general_walk_does() {
    let before = live_blocks();
    fast_path_answers_as_the_general_walk::<i32>(VarType::I4, Some(VarType::INT), VarType::R4, |k| k as i32);
    fast_path_answers_as_the_general_walk::<u32>(VarType::UI4, Some(VarType::UINT), VarType::I4, |k| k as u32);
    fast_path_answers_as_the_general_walk::<u8>(VarType::UI1, None, VarType::I1, |k| k as u8);
    fast_path_answers_as_the_general_walk::<i16>(VarType::I2, None, VarType::UI2, |k| k as i16);
    fast_path_answers_as_the_general_walk::<f64>(VarType::R8, None, VarType::I8, |k| k as f64 + 0.5);
    fast_path_answers_as_the_general_walk::<i64>(VarType::I8, None, VarType::CY, |k| k << 20);
    fast_path_answers_as_the_general_walk::<bool>(VarType::BOOL, None, VarType::I2, |k| k % 3 == 0);
    fast_path_answers_as_the_general_walk::<Hresult>(VarType::ERROR, None, VarType::I4, |k| Hresult(k as i32));
    assert_eq!(live_blocks(), before, "every array freed");
}
