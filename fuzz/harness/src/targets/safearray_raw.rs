//! `safearray_raw`: SAFEARRAY descriptors from native code — header and hidden data validation, element
//! access, copy, redim and destroy.
//!
//! The input sets every header field (`cDims` up to 65535, `fFeatures`, `cbElements`, `cLocks`, the bounds), the
//! hidden VARTYPE / IID / IRecordInfo and the elements. The harness lays the descriptor out as oleaut32 does
//! (16 hidden bytes before it, `min(cDims, 32)` bounds after it — a larger `cDims` must be refused before its
//! bounds are read) and allocates the data exactly as large as the header says, when that is at most 4 KiB.
//! Elements are initialised for the kind the FADF flags name: BSTRs, fake interfaces, valid VARIANTs, plain
//! records, or bytes.
//!
//! Invariants:
//! - `validate` agrees with an independent computation of the documented rules: rank 1..=32, one element kind,
//!   an element size matching the VARTYPE / kind, bounds whose last index fits `i32`, element count × size
//!   without overflow, non-null data when there are elements; its `len`, `byte_len` and bounds are the
//!   harness's;
//! - on a valid descriptor: `SafeArrayPtrOfIndex` gives the column-major address (or `DISP_E_BADINDEX`),
//!   `SafeArrayGetElement` copies (BSTRs duplicated, interfaces AddRef'd), `SafeArrayPutElement` then get gives
//!   the value back, `SafeArrayCopy` gives a valid array with the same shape and bytes;
//! - taken over (`SafeArray::from_raw`): bounds and length as given; `try_clone` equal; `redim` either changes
//!   exactly the last dimension (keeping the surviving elements of a vector) or fails leaving the array as it
//!   was; dropping it frees every element, the data and the descriptor (allocator and reference counts balance).

use core::ffi::c_void;

use arbitrary::Unstructured;
use marshal_core::bstr::{self, Bstr};
use marshal_core::hresult::Hresult;
use marshal_core::safearray::raw::{
    self, FADF_BSTR, FADF_CREATEVECTOR, FADF_DATADELETED, FADF_DISPATCH, FADF_HAVEIID, FADF_HAVEVARTYPE, FADF_RECORD,
    FADF_UNKNOWN, FADF_VARIANT, SAFEARRAY, SAFEARRAYBOUND,
};
use marshal_core::safearray::{self, Bound, SafeArray, SafeArrayError, MAX_RANK};
use marshal_core::variant::Variant;
use marshal_core::{VarType, VARIANT};

use crate::com;
use crate::native::{self, give_up_all, Arena};
use crate::{byte, bytes, short_bytes, u16_le, u32_le, Guard};

/// Largest element data the harness allocates (bigger headers are only validated).
const MAX_DATA: u128 = 4096;
const PTR: u32 = core::mem::size_of::<usize>() as u32;
const VARIANT_SIZE: u32 = core::mem::size_of::<VARIANT>() as u32;

/// The element kind the FADF flags name (`None`: more than one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Plain,
    Bstr,
    Variant,
    Interface,
    Record,
}

fn kind_of(features: u16) -> Option<Kind> {
    let named = [
        (FADF_BSTR, Kind::Bstr),
        (FADF_VARIANT, Kind::Variant),
        (FADF_UNKNOWN | FADF_DISPATCH, Kind::Interface),
        (FADF_RECORD, Kind::Record),
    ];
    let mut found = None;
    for (flags, kind) in named {
        if features & flags != 0 {
            if found.is_some() {
                return None;
            }
            found = Some(kind);
        }
    }
    Some(found.unwrap_or(Kind::Plain))
}

/// Element sizes oleaut32 gives each VARTYPE a SAFEARRAY can hold (0: cannot hold).
fn vt_size(vt: u16) -> u32 {
    match vt {
        16 | 17 => 1,                   // I1, UI1
        2 | 18 | 11 => 2,               // I2, UI2, BOOL
        3 | 19 | 22 | 23 | 4 | 10 => 4, // I4, UI4, INT, UINT, R4, ERROR
        20 | 21 | 5 | 6 | 7 => 8,       // I8, UI8, R8, CY, DATE
        8 | 9 | 13 => PTR,              // BSTR, DISPATCH, UNKNOWN
        12 => VARIANT_SIZE,             // VARIANT
        14 => 16,                       // DECIMAL
        37 | 38 => PTR,                 // INT_PTR, UINT_PTR
        _ => 0,
    }
}

/// What the harness built, to check the engine against and to tear down.
struct Built {
    psa: *mut SAFEARRAY,
    /// Bounds as stored (`rgsabound` order), `min(cDims, 32)` of them.
    stored: Vec<SAFEARRAYBOUND>,
    dims: u16,
    features: u16,
    cb: u32,
    kind: Option<Kind>,
    /// Elements and bytes, `None` on overflow.
    len: Option<u128>,
    byte_len: Option<u128>,
    /// Data allocated by the engine's allocator (`SafeArrayAllocData`), or a harness block.
    data: *mut u8,
    harness_data: Option<Box<[u64]>>,
    /// The IRecordInfo the harness stored before the descriptor (the array holds one reference).
    record_info: *mut c_void,
}

impl Built {
    fn small(&self) -> bool {
        // (A 0-byte element type is always refused, and could claim any count.)
        (1..=MAX_RANK as u16).contains(&self.dims) && self.cb > 0 && self.byte_len.is_some_and(|n| n <= MAX_DATA)
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let guard = Guard::start();
    {
        let mut u = Unstructured::new(data);
        let mut arena = Arena::new();
        let b = build(&mut u, &mut arena);
        let ops = byte(&mut u);
        // SAFETY: the descriptor, its hidden data and min(cDims, 32) bounds are readable; validate reads no
        // more bounds than that (a larger cDims is refused first) and no element.
        let verdict = unsafe { safearray::validate(b.psa) };
        cross_check(&b, &verdict);
        let valid = verdict.is_ok() && b.small();
        let mut torn_down = false;
        if valid {
            raw_ops(&b, &mut u, &mut arena);
            if ops & 1 != 0 {
                torn_down = owned_ops(&b, &mut u);
            }
        } else if b.dims as u32 <= MAX_RANK && b.dims > 0 {
            metadata_ops(&b);
        }
        if !torn_down {
            tear_down(b);
        }
        drop(arena);
    }
    guard.finish();
}

fn build(u: &mut Unstructured<'_>, arena: &mut Arena) -> Built {
    let dims_sel = byte(u);
    let dims: u16 = if dims_sel & 0x80 != 0 { u16_le(u) } else { (dims_sel % 5) as u16 };
    let stored_n = (dims as usize).clamp(1, MAX_RANK as usize);
    let features = u16_le(u) & !(FADF_CREATEVECTOR | FADF_DATADELETED);
    let kind = kind_of(features);
    let hidden_vt = u16_le(u);
    let cb_sel = byte(u);
    let cb = match cb_sel % 4 {
        0 => u32_le(u),
        1 => vt_size(hidden_vt),
        _ => match kind {
            Some(Kind::Bstr) | Some(Kind::Interface) => PTR,
            Some(Kind::Variant) => VARIANT_SIZE,
            _ => vt_size(hidden_vt).max(1),
        },
    };
    let lock_sel = byte(u);
    let locks = if lock_sel & 0xF0 == 0xF0 { (lock_sel & 3) as u32 } else { 0 };

    let mut psa: *mut SAFEARRAY = core::ptr::null_mut();
    // SAFETY: `psa` is a valid out-pointer.
    let hr = unsafe { raw::safe_array_alloc_descriptor(stored_n as u32, &mut psa) };
    assert!(hr.is_ok() && !psa.is_null());

    // Bounds, stored rightmost dimension first.
    let mut stored = Vec::with_capacity(stored_n);
    for _ in 0..stored_n {
        let sel = byte(u);
        let count = if sel & 0x80 != 0 { u32_le(u) } else { (sel & 7) as u32 };
        let lower = if sel & 0x40 != 0 { u32_le(u) as i32 } else { ((sel >> 3) & 7) as i32 - 3 };
        stored.push(SAFEARRAYBOUND { cElements: count, lLbound: lower });
    }
    let mut len: Option<u128> = Some(1);
    for b in &stored[..(dims as usize).min(stored_n)] {
        len = len.and_then(|l| l.checked_mul(b.cElements as u128));
    }
    if stored[..(dims as usize).min(stored_n)].iter().any(|b| b.cElements == 0) {
        len = Some(0);
    }
    let byte_len = len.and_then(|l| l.checked_mul(cb as u128));

    let mut built = Built {
        psa,
        stored: stored.clone(),
        dims,
        features,
        cb,
        kind,
        len,
        byte_len,
        data: core::ptr::null_mut(),
        harness_data: None,
        record_info: core::ptr::null_mut(),
    };

    // SAFETY: a fresh descriptor of ours with `stored_n` bounds and its 16 hidden bytes.
    unsafe {
        let first_bound = (psa as *mut u8).add(raw::HEADER_SIZE) as *mut SAFEARRAYBOUND;
        for (i, b) in stored.iter().enumerate() {
            first_bound.add(i).write_unaligned(*b);
        }
        (*psa).cbElements = cb;
        let data_sel = byte(u);
        if built.small() && len != Some(0) {
            (*psa).cDims = dims;
            assert!(raw::safe_array_alloc_data(psa).is_ok(), "allocating {byte_len:?} bytes failed");
            built.data = (*psa).pvData as *mut u8;
            fill(&built, u, arena);
        } else if data_sel & 1 != 0 && !built.small() {
            // A header claiming more than is there: only its validation is exercised.
            let mut block = vec![0u64; 2].into_boxed_slice();
            (*psa).pvData = block.as_mut_ptr() as *mut c_void;
            built.harness_data = Some(block);
        }
        (*psa).cDims = dims;
        (*psa).fFeatures = features;
        (*psa).cLocks = locks;
        let hidden = (psa as *mut u8).sub(raw::HIDDEN_SIZE);
        if features & FADF_HAVEIID != 0 {
            let iid = bytes(u, 16);
            core::ptr::copy_nonoverlapping(iid.as_ptr(), hidden, iid.len());
        }
        if features & FADF_HAVEVARTYPE != 0 {
            (hidden.add(12) as *mut u32).write_unaligned(hidden_vt as u32);
        }
        if features & FADF_RECORD != 0 && byte(u) & 1 != 0 {
            let info = com::new_record_info(cb.min(1 << 16), false);
            marshal_core::iunknown::add_ref(info);
            (hidden.add(8) as *mut *mut c_void).write_unaligned(info);
            built.record_info = info;
        }
    }
    built
}

/// Elements for the kind the flags name (when the element size is right for it): zero is a valid element of
/// every kind (null BSTR / interface, VT_EMPTY, a zero record), so slots left alone stay valid.
///
/// # Safety
/// `b.data` holds `b.byte_len` zeroed bytes.
unsafe fn fill(b: &Built, u: &mut Unstructured<'_>, arena: &mut Arena) {
    let len = b.len.unwrap_or(0) as usize;
    let cb = b.cb as usize;
    for i in 0..len.min(16) {
        // SAFETY: cell `i` lies within the data block.
        let slot = unsafe { b.data.add(i * cb) };
        let sel = byte(u);
        if sel & 1 == 0 {
            continue;
        }
        // SAFETY: as above; each write stays within one cell of `cb` bytes.
        unsafe {
            match b.kind {
                Some(Kind::Bstr) if b.cb == PTR => {
                    let s = Bstr::from_bytes(short_bytes(u)).unwrap();
                    (slot as *mut *mut u16).write_unaligned(s.into_raw());
                }
                Some(Kind::Interface) if b.cb == PTR => {
                    let p = if sel & 2 != 0 { com::new_dispatch(native::disp_value(u)) } else { com::new_unknown() };
                    marshal_core::iunknown::add_ref(p);
                    (slot as *mut *mut c_void).write_unaligned(p);
                }
                Some(Kind::Variant) if b.cb == VARIANT_SIZE => {
                    let (v, owned) = valid_variant(u, arena);
                    give_up_all(owned);
                    (slot as *mut VARIANT).write_unaligned(v);
                }
                Some(Kind::Bstr | Kind::Interface | Kind::Variant) => {}
                _ => {
                    let src = bytes(u, cb);
                    core::ptr::copy_nonoverlapping(src.as_ptr(), slot, src.len());
                }
            }
        }
    }
}

/// A VARIANT that passes validation (an element a VARIANT array may hold); its payload is owned.
fn valid_variant(u: &mut Unstructured<'_>, arena: &mut Arena) -> (VARIANT, Vec<native::Owned>) {
    for _ in 0..4 {
        let (v, owned) = native::variant(u, arena, 0);
        if marshal_core::variant::validate(&v).is_ok() {
            return (v, owned);
        }
        drop(owned);
    }
    (VARIANT::EMPTY, Vec::new())
}

/// The verdict of `validate` against the documented rules, computed here.
fn cross_check(b: &Built, verdict: &Result<safearray::ArrayInfo, SafeArrayError>) {
    let dims = b.dims as u32;
    if dims == 0 {
        assert_eq!(verdict, &Err(SafeArrayError::NoDimensions));
        return;
    }
    if dims > MAX_RANK {
        assert!(matches!(verdict, Err(SafeArrayError::TooManyDimensions { .. })), "{verdict:?}");
        return;
    }
    if b.kind.is_none() || (b.features & FADF_RECORD != 0 && b.features & (FADF_HAVEIID | FADF_HAVEVARTYPE) != 0) {
        // Two element kinds, or an IRecordInfo pointer whose bytes the IID / VARTYPE share.
        assert!(matches!(verdict, Err(SafeArrayError::InconsistentFeatures { .. })), "{verdict:?}");
        return;
    }
    let overflowing_bound = b.stored.iter().any(|s| {
        let last = s.lLbound as i64 + s.cElements as i64 - 1;
        last > i32::MAX as i64 || last < i32::MIN as i64
    });
    let too_big = b.byte_len.is_none_or(|n| n > isize::MAX as u128);
    match verdict {
        Ok(info) => {
            assert!(!overflowing_bound, "a bound whose last index overflows was accepted");
            assert!(!too_big, "{:?} elements × {} bytes accepted", b.len, b.cb);
            assert_eq!(info.len as u128, b.len.unwrap());
            assert_eq!(info.byte_len as u128, b.byte_len.unwrap());
            assert_eq!(info.element_size, b.cb);
            assert_eq!(info.dims(), dims);
            // Dimension 1 is stored last.
            let expect: Vec<Bound> =
                b.stored.iter().rev().map(|s| Bound { lower: s.lLbound, count: s.cElements }).collect();
            assert_eq!(info.bounds, expect);
            if info.len > 0 {
                // SAFETY: a readable descriptor.
                assert!(!unsafe { (*b.psa).pvData }.is_null());
            }
            if b.cb == 0 {
                panic!("an element size of 0 was accepted");
            }
            let kind = b.kind.unwrap();
            let required = match kind {
                Kind::Bstr | Kind::Interface => Some(PTR),
                Kind::Variant => Some(VARIANT_SIZE),
                _ => None,
            };
            if let Some(size) = required {
                assert_eq!(b.cb, size, "{kind:?} elements of {} bytes accepted", b.cb);
            }
        }
        Err(SafeArrayError::BoundOverflow { .. }) => assert!(overflowing_bound),
        Err(SafeArrayError::SizeOverflow) => assert!(too_big || overflowing_bound),
        Err(SafeArrayError::NullData { elements }) => {
            assert_eq!(Some(*elements as u128), b.len);
            // SAFETY: a readable descriptor.
            assert!(unsafe { (*b.psa).pvData }.is_null());
        }
        Err(
            SafeArrayError::InconsistentFeatures { .. }
            | SafeArrayError::ElementSizeMismatch { .. }
            | SafeArrayError::UnsupportedVarType(_),
        ) => {}
        Err(e) => panic!("unexpected refusal {e:?}"),
    }
}

/// Reads that need only the header: bounds, dimension count, VARTYPE, locks.
fn metadata_ops(b: &Built) {
    // SAFETY: the descriptor has `cDims` (≤ 32) readable bounds.
    unsafe {
        let psa = b.psa;
        assert_eq!(raw::safe_array_get_dim(psa), b.dims as u32);
        for d in 0..=b.dims as u32 + 1 {
            let (mut lo, mut hi) = (0, 0);
            let hr = raw::safe_array_get_lbound(psa, d, &mut lo);
            let hr2 = raw::safe_array_get_ubound(psa, d, &mut hi);
            if d == 0 || d > b.dims as u32 {
                assert_eq!((hr, hr2), (Hresult::DISP_E_BADINDEX, Hresult::DISP_E_BADINDEX));
            } else {
                let s = b.stored[(b.dims as u32 - d) as usize];
                assert_eq!(lo, s.lLbound);
                assert_eq!(hi, s.lLbound.wrapping_add(s.cElements as i32).wrapping_sub(1));
            }
        }
        let mut vt = VarType(0);
        let _ = raw::safe_array_get_vartype(psa, &mut vt);
        let locks = (*psa).cLocks;
        if raw::safe_array_lock(psa).is_ok() {
            assert_eq!((*psa).cLocks, locks + 1);
            assert!(raw::safe_array_unlock(psa).is_ok());
        }
        assert_eq!((*psa).cLocks, locks);
    }
}

/// The column-major cell of `idx` (dimension 1 first), or `None` when out of range.
fn cell_of(b: &Built, idx: &[i32]) -> Option<usize> {
    let dims = b.dims as usize;
    let mut cell: u128 = 0;
    let mut stride: u128 = 1;
    for (d, &i) in idx.iter().enumerate().take(dims) {
        let s = b.stored[dims - 1 - d];
        let off = i as i64 - s.lLbound as i64;
        if off < 0 || off >= s.cElements as i64 {
            return None;
        }
        // Saturating: the stride after the last dimension is never used, and with many large
        // dimensions it exceeds even u128 (an accepted descriptor's cells all fit in memory).
        cell = cell.saturating_add((off as u128).saturating_mul(stride));
        stride = stride.saturating_mul(s.cElements as u128);
    }
    Some(cell as usize)
}

/// An index vector: mostly in range, sometimes anywhere.
fn index(b: &Built, u: &mut Unstructured<'_>) -> Vec<i32> {
    let dims = b.dims as usize;
    (0..dims)
        .map(|d| {
            let s = b.stored[dims - 1 - d];
            let sel = byte(u);
            if sel & 0x80 != 0 {
                u32_le(u) as i32
            } else {
                s.lLbound.wrapping_add((sel as u32 % s.cElements.max(1)) as i32)
            }
        })
        .collect()
}

fn raw_ops(b: &Built, u: &mut Unstructured<'_>, arena: &mut Arena) {
    metadata_ops(b);
    let psa = b.psa;
    let kind = b.kind.unwrap();
    for _ in 0..4 {
        if u.is_empty() {
            break;
        }
        let idx = index(b, u);
        let expect = cell_of(b, &idx);
        let mut p: *mut c_void = core::ptr::null_mut();
        // SAFETY: a valid descriptor; `idx` holds cDims indices.
        let hr = unsafe { raw::safe_array_ptr_of_index(psa, idx.as_ptr(), &mut p) };
        match expect {
            Some(cell) => {
                assert_eq!(hr, Hresult::S_OK);
                assert_eq!(p as usize, b.data as usize + cell * b.cb as usize, "wrong address for {idx:?}");
            }
            None => {
                assert_eq!(hr, Hresult::DISP_E_BADINDEX, "{idx:?} is out of range");
                continue;
            }
        }
        let cell = expect.unwrap();
        // SAFETY: `cell` is within the data block.
        let slot = unsafe { b.data.add(cell * b.cb as usize) };
        get_element(b, kind, &idx, slot);
        if byte(u) & 1 != 0 {
            put_element(b, kind, &idx, u, arena);
        }
    }
    // A deep copy validates and has the same shape.
    let mut copy: *mut SAFEARRAY = core::ptr::null_mut();
    // SAFETY: a valid descriptor with initialised elements.
    let hr = unsafe { raw::safe_array_copy(psa, &mut copy) };
    if hr.is_ok() {
        // SAFETY: the copy is a fresh array of the engine's.
        let info = unsafe { safearray::validate(copy) }.expect("SafeArrayCopy made an invalid array");
        assert_eq!(info.len as u128, b.len.unwrap());
        if kind == Kind::Plain && info.byte_len > 0 {
            // SAFETY: both data blocks hold byte_len bytes.
            unsafe {
                let a = core::slice::from_raw_parts(b.data, info.byte_len);
                let c = core::slice::from_raw_parts((*copy).pvData as *const u8, info.byte_len);
                assert_eq!(a, c, "SafeArrayCopy changed the data");
            }
        }
        // SAFETY: the copy is ours to destroy.
        assert_eq!(unsafe { raw::safe_array_destroy(copy) }, Hresult::S_OK);
    } else {
        assert!(copy.is_null());
    }
}

fn get_element(b: &Built, kind: Kind, idx: &[i32], slot: *mut u8) {
    let psa = b.psa;
    let cb = b.cb as usize;
    let mut out = vec![0u64; cb.div_ceil(8).max(3)];
    let outp = out.as_mut_ptr() as *mut c_void;
    // SAFETY: a valid descriptor; `out` has room for one element.
    let hr = unsafe { raw::safe_array_get_element(psa, idx.as_ptr(), outp) };
    if hr.is_err() {
        // Element copies may fail (a record's RecordCopy); plain ones may not.
        assert!(kind != Kind::Plain, "SafeArrayGetElement of a plain element failed: {hr:?}");
        return;
    }
    // SAFETY: `out` holds the copy; `slot` the element.
    unsafe {
        match kind {
            Kind::Plain | Kind::Record => {
                let got = core::slice::from_raw_parts(outp as *const u8, cb);
                let want = core::slice::from_raw_parts(slot as *const u8, cb);
                assert_eq!(got, want);
            }
            Kind::Bstr => {
                let got = *(outp as *const *mut u16);
                let want = (slot as *const *mut u16).read_unaligned();
                assert_eq!(got.is_null(), want.is_null());
                if !got.is_null() {
                    assert_ne!(got, want, "SafeArrayGetElement returned the array's own BSTR");
                    let n = bstr::sys_string_byte_len(want) as usize;
                    assert_eq!(bstr::sys_string_byte_len(got) as usize, n);
                    assert_eq!(
                        core::slice::from_raw_parts(got as *const u8, n),
                        core::slice::from_raw_parts(want as *const u8, n)
                    );
                    bstr::sys_free_string(got);
                }
            }
            Kind::Interface => {
                let got = *(outp as *const *mut c_void);
                assert_eq!(got, (slot as *const *mut c_void).read_unaligned());
                if !got.is_null() {
                    marshal_core::iunknown::release(got);
                }
            }
            Kind::Variant => {
                let v = (outp as *const VARIANT).read();
                let v = Variant::from_raw(v).expect("SafeArrayGetElement produced an invalid VARIANT");
                drop(v);
            }
        }
    }
}

fn put_element(b: &Built, kind: Kind, idx: &[i32], u: &mut Unstructured<'_>, arena: &mut Arena) {
    let psa = b.psa;
    let cb = b.cb as usize;
    // SAFETY: a valid descriptor with initialised elements; every `pv` is what its kind expects.
    unsafe {
        match kind {
            Kind::Plain => {
                let mut value = bytes(u, cb).to_vec();
                value.resize(cb, 0);
                assert_eq!(raw::safe_array_put_element(psa, idx.as_ptr(), value.as_ptr().cast()), Hresult::S_OK);
                let mut out = vec![0u8; cb];
                assert_eq!(raw::safe_array_get_element(psa, idx.as_ptr(), out.as_mut_ptr().cast()), Hresult::S_OK);
                assert_eq!(out, value, "put then get gave another value");
            }
            Kind::Bstr => {
                let s = Bstr::from_bytes(short_bytes(u)).unwrap();
                let hr = raw::safe_array_put_element(psa, idx.as_ptr(), s.as_ptr().cast());
                if hr.is_ok() {
                    let mut got: *mut u16 = core::ptr::null_mut();
                    let hr = raw::safe_array_get_element(psa, idx.as_ptr(), (&mut got as *mut *mut u16).cast());
                    assert_eq!(hr, Hresult::S_OK);
                    assert_eq!(Bstr::from_raw(got).as_bytes(), s.as_bytes());
                }
            }
            Kind::Interface => {
                let p = com::new_unknown();
                let before = com::refs(p);
                if raw::safe_array_put_element(psa, idx.as_ptr(), p).is_ok() {
                    assert_eq!(com::refs(p), before + 1, "PutElement must AddRef once");
                }
            }
            Kind::Variant => {
                let (v, owned) = valid_variant(u, arena);
                let _ = raw::safe_array_put_element(psa, idx.as_ptr(), (&v as *const VARIANT).cast());
                drop(owned);
            }
            Kind::Record => {
                let mut value = bytes(u, cb).to_vec();
                value.resize(cb, 0);
                let _ = raw::safe_array_put_element(psa, idx.as_ptr(), value.as_ptr().cast());
            }
        }
    }
}

/// Takes the array over and works on it as a `SafeArray`. Returns whether it is gone (freed by the engine).
fn owned_ops(b: &Built, u: &mut Unstructured<'_>) -> bool {
    // SAFETY: descriptor and data come from the engine's allocator; elements are initialised and the
    // harness gives the array up.
    let sa = match unsafe { SafeArray::from_raw(b.psa) } {
        Ok(sa) => sa,
        Err(SafeArrayError::Locked { locks }) => {
            // SAFETY: a readable descriptor.
            assert_eq!(locks, unsafe { (*b.psa).cLocks });
            return false;
        }
        Err(e) => panic!("a validated array was refused: {e:?}"),
    };
    let mut sa = sa;
    // The record info reference now belongs to the SafeArray.
    let expect: Vec<Bound> = b.stored.iter().rev().map(|s| Bound { lower: s.lLbound, count: s.cElements }).collect();
    assert_eq!(sa.bounds(), expect);
    assert_eq!(sa.len() as u128, b.len.unwrap());
    let plain = b.kind == Some(Kind::Plain);
    let before = if plain { sa.to_bytes().ok() } else { None };
    if let Ok(c) = sa.try_clone() {
        assert_eq!(c.bounds(), expect);
        if plain {
            assert_eq!(c.to_bytes().ok(), before);
        }
    }
    // Redim of the last dimension; the new size stays small (a hostile count is tested by validate).
    let sel = byte(u);
    let count = if sel & 0x80 != 0 { u32_le(u) } else { (sel & 15) as u32 };
    let lower = if sel & 0x40 != 0 { u32_le(u) as i32 } else { ((sel >> 4) & 3) as i32 - 1 };
    // Saturating: many large dimensions exceed even u128.
    let others: u128 = expect[..expect.len() - 1].iter().fold(1u128, |n, d| n.saturating_mul(d.count as u128));
    let new_bytes = others.saturating_mul(count as u128).saturating_mul(b.cb as u128);
    if new_bytes <= MAX_DATA * 4 {
        let old_bounds = sa.bounds();
        match sa.redim(Bound::new(lower, count)) {
            Ok(()) => {
                let now = sa.bounds();
                assert_eq!(now[..now.len() - 1], old_bounds[..old_bounds.len() - 1]);
                assert_eq!(now[now.len() - 1], Bound::new(lower, count));
                // The last dimension varies slowest: the surviving elements are a prefix of the data.
                if let (Some(before), Ok(after)) = (&before, sa.to_bytes()) {
                    let keep = before.len().min(after.len());
                    assert_eq!(before[..keep], after[..keep], "redim lost surviving elements");
                }
            }
            Err(e) => {
                assert_eq!(sa.bounds(), old_bounds, "a failed redim changed the bounds ({e:?})");
                if plain {
                    assert_eq!(sa.to_bytes().ok(), before, "a failed redim changed the data ({e:?})");
                }
            }
        }
    }
    let not_owned = b.features & (raw::FADF_AUTO | raw::FADF_STATIC | raw::FADF_EMBEDDED) != 0;
    let psa = sa.as_ptr();
    drop(sa);
    if not_owned {
        // The engine destroyed the elements but left the memory to its owner, the harness.
        // SAFETY: the descriptor is still alive (flagged as not the array's).
        unsafe {
            let data = (*psa).pvData;
            free_memory(psa, data as *mut u8, b.stored.len());
        }
    }
    true
}

/// Frees what the harness allocated, after releasing whatever the elements still hold.
fn tear_down(b: Built) {
    let psa = b.psa;
    // SAFETY: the descriptor and its data are alive and the harness's; elements are those it built or the
    // engine stored (valid for the harness's kind).
    unsafe {
        // Only elements that own something need a visit (and only those kinds have sizes that keep a
        // "small" array short: a 0-byte element type could claim any count).
        let owning =
            matches!((b.kind, b.cb), (Some(Kind::Bstr | Kind::Interface), PTR) | (Some(Kind::Variant), VARIANT_SIZE));
        if b.small() && owning && !b.data.is_null() {
            let len = b.len.unwrap_or(0) as usize;
            let cb = b.cb as usize;
            for i in 0..len {
                let slot = b.data.add(i * cb);
                match b.kind {
                    Some(Kind::Bstr) if b.cb == PTR => {
                        bstr::sys_free_string((slot as *const *mut u16).read_unaligned());
                    }
                    Some(Kind::Interface) if b.cb == PTR => {
                        let p = (slot as *const *mut c_void).read_unaligned();
                        if !p.is_null() {
                            marshal_core::iunknown::release(p);
                        }
                    }
                    Some(Kind::Variant) if b.cb == VARIANT_SIZE => {
                        let v = (slot as *const VARIANT).read_unaligned();
                        drop(Variant::from_raw(v).expect("an element VARIANT became invalid"));
                    }
                    _ => {}
                }
                core::ptr::write_bytes(slot, 0, cb);
            }
        }
        if !b.record_info.is_null() {
            let slot = (psa as *mut u8).sub(8) as *mut *mut c_void;
            let p = slot.read_unaligned();
            if !p.is_null() {
                marshal_core::iunknown::release(p);
                slot.write_unaligned(core::ptr::null_mut());
            }
        }
        let data = if b.harness_data.is_some() { core::ptr::null_mut() } else { b.data };
        free_memory(psa, data, b.stored.len());
    }
    drop(b.harness_data);
}

/// Frees a descriptor (and an engine-allocated data block) with the engine's allocator.
///
/// # Safety
/// `psa` is a live descriptor of the engine's allocator with `stored` bounds; `data` null or its data block;
/// the elements own nothing any more.
unsafe fn free_memory(psa: *mut SAFEARRAY, data: *mut u8, stored: usize) {
    // SAFETY: per the caller: a plain, unlocked, owned header makes SafeArrayDestroy free both blocks.
    unsafe {
        (*psa).cDims = stored as u16;
        (*psa).fFeatures = 0;
        (*psa).cLocks = 0;
        (*psa).cbElements = 1;
        (*psa).pvData = data as *mut c_void;
        assert_eq!(raw::safe_array_destroy(psa), Hresult::S_OK);
    }
}
