//! Fake COM objects for the fuzz targets: `IUnknown`, `IDispatch` (whose value property, DISPID 0, returns what
//! the input chose — a number, a fresh BSTR, an invalid VARIANT, an error, or the object itself) and
//! `IRecordInfo` (plain records of a chosen size).
//!
//! Each object counts its references. An input starts with every object at one reference (the harness's own);
//! at its end ([`check_and_free`]) every object must be back at exactly one: more means the engine leaked an
//! AddRef, fewer (or a Release at zero) means it released what it did not own. Records made by `RecordCreate`
//! must all have been destroyed too.

use core::ffi::c_void;
use std::cell::{Cell, RefCell};

use marshal_core::bstr::Bstr;
use marshal_core::iunknown::{IID_IDISPATCH, IID_IUNKNOWN};
use marshal_core::{Guid, Hresult, VarType, VARIANT};

/// What a fake IDispatch's value property (`Invoke(DISPID_VALUE, DISPATCH_PROPERTYGET)`) returns.
#[derive(Clone, Debug)]
pub enum DispValue {
    /// `Invoke` fails with `DISP_E_MEMBERNOTFOUND`.
    Fail,
    /// A VARIANT without an owned payload (any VARTYPE, even an invalid one; pointer payloads are null).
    Plain(VARIANT),
    /// A fresh BSTR holding these units (the caller owns it).
    Text(Vec<u16>),
    /// The object itself as VT_DISPATCH (AddRef'd): a property that never bottoms out.
    Itself,
}

/// Which interface a fake object implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FakeKind {
    /// `IUnknown` only.
    Unknown,
    /// `IDispatch`.
    Dispatch,
    /// `IRecordInfo`.
    RecordInfo,
}

/// A fake COM object. Its first field is the vtable pointer, as COM requires.
#[repr(C)]
pub struct FakeObject {
    vtbl: *const c_void,
    kind: FakeKind,
    refs: Cell<u32>,
    over_released: Cell<bool>,
    value: RefCell<DispValue>,
    record_size: u32,
    fail_copy: bool,
    live_records: Cell<i64>,
}

thread_local! {
    static OBJECTS: RefCell<Vec<*mut FakeObject>> = const { RefCell::new(Vec::new()) };
}

/// Forgets (and frees) the objects of a previous input without checking them (after a failed input).
pub fn reset() {
    OBJECTS.with(|o| {
        for p in o.borrow_mut().drain(..) {
            // SAFETY: every registered pointer came from Box::into_raw and is freed once, here.
            drop(unsafe { Box::from_raw(p) });
        }
    });
}

/// Asserts that every fake object of this input is back at one reference, was never released below it, and
/// that every record it created was destroyed; then frees them all.
#[track_caller]
pub fn check_and_free() {
    let objects: Vec<*mut FakeObject> = OBJECTS.with(|o| o.borrow_mut().drain(..).collect());
    let mut problems = Vec::new();
    for (i, &p) in objects.iter().enumerate() {
        // SAFETY: registered objects are live until freed below.
        let o = unsafe { &*p };
        if o.over_released.get() {
            problems.push(format!("object #{i} ({:?}) was released below zero", o.kind));
        } else if o.refs.get() != 1 {
            problems.push(format!("object #{i} ({:?}) ends with {} references, not 1", o.kind, o.refs.get()));
        }
        if o.live_records.get() != 0 {
            problems.push(format!("object #{i}: {} records created and not destroyed", o.live_records.get()));
        }
    }
    for p in objects {
        if problems.is_empty() {
            // SAFETY: from Box::into_raw, freed once. (Objects of a failing input are leaked on purpose: the
            // engine may still hold a pointer to them while the panic unwinds.)
            drop(unsafe { Box::from_raw(p) });
        }
    }
    assert!(problems.is_empty(), "COM reference counts unbalanced: {}", problems.join("; "));
}

fn register(kind: FakeKind, value: DispValue, record_size: u32, fail_copy: bool) -> *mut c_void {
    let vtbl: *const c_void = match kind {
        FakeKind::Unknown => &UNKNOWN_VTBL as *const UnknownVtbl as *const c_void,
        FakeKind::Dispatch => &DISPATCH_VTBL as *const DispatchVtbl as *const c_void,
        FakeKind::RecordInfo => &RECORD_VTBL as *const RecordVtbl as *const c_void,
    };
    let obj = Box::new(FakeObject {
        vtbl,
        kind,
        refs: Cell::new(1),
        over_released: Cell::new(false),
        value: RefCell::new(value),
        record_size,
        fail_copy,
        live_records: Cell::new(0),
    });
    let p = Box::into_raw(obj);
    OBJECTS.with(|o| o.borrow_mut().push(p));
    p.cast()
}

/// A new `IUnknown` with one reference (the harness's; do not release it).
pub fn new_unknown() -> *mut c_void {
    register(FakeKind::Unknown, DispValue::Fail, 0, false)
}

/// A new `IDispatch` whose value property returns `value`.
pub fn new_dispatch(value: DispValue) -> *mut c_void {
    register(FakeKind::Dispatch, value, 0, false)
}

/// A new `IRecordInfo` for plain records of `size` bytes; with `fail_copy` its `RecordCopy` fails.
pub fn new_record_info(size: u32, fail_copy: bool) -> *mut c_void {
    register(FakeKind::RecordInfo, DispValue::Fail, size, fail_copy)
}

/// The reference count of a fake object (for targets that check a count mid-input).
///
/// # Safety
/// `p` is an object made by this module during the current input.
pub unsafe fn refs(p: *mut c_void) -> u32 {
    // SAFETY: per the caller.
    unsafe { (*(p as *const FakeObject)).refs.get() }
}

/// # Safety
/// `this` is a fake object of this module.
unsafe fn obj<'a>(this: *mut c_void) -> &'a FakeObject {
    // SAFETY: per the caller.
    unsafe { &*(this as *const FakeObject) }
}

type Qi = unsafe extern "system" fn(*mut c_void, *const Guid, *mut *mut c_void) -> Hresult;
type Count = unsafe extern "system" fn(*mut c_void) -> u32;
type NotImpl = unsafe extern "system" fn(*mut c_void) -> Hresult;

#[repr(C)]
struct UnknownVtbl {
    query_interface: Qi,
    add_ref: Count,
    release: Count,
}

#[repr(C)]
struct DispatchVtbl {
    base: UnknownVtbl,
    get_type_info_count: unsafe extern "system" fn(*mut c_void, *mut u32) -> Hresult,
    get_type_info: NotImpl,
    get_ids_of_names: NotImpl,
    #[allow(clippy::type_complexity)]
    invoke: unsafe extern "system" fn(
        *mut c_void,
        i32,
        *const Guid,
        u32,
        u16,
        *mut c_void,
        *mut VARIANT,
        *mut c_void,
        *mut u32,
    ) -> Hresult,
}

#[repr(C)]
struct RecordVtbl {
    base: UnknownVtbl,
    record_init: unsafe extern "system" fn(*mut c_void, *mut c_void) -> Hresult,
    record_clear: unsafe extern "system" fn(*mut c_void, *mut c_void) -> Hresult,
    record_copy: unsafe extern "system" fn(*mut c_void, *mut c_void, *mut c_void) -> Hresult,
    get_guid: unsafe extern "system" fn(*mut c_void, *mut Guid) -> Hresult,
    get_name: NotImpl,
    get_size: unsafe extern "system" fn(*mut c_void, *mut u32) -> Hresult,
    not_implemented: [NotImpl; 7],
    record_create: unsafe extern "system" fn(*mut c_void) -> *mut c_void,
    record_create_copy: unsafe extern "system" fn(*mut c_void, *mut c_void, *mut *mut c_void) -> Hresult,
    record_destroy: unsafe extern "system" fn(*mut c_void, *mut c_void) -> Hresult,
}

static UNKNOWN_VTBL: UnknownVtbl = UnknownVtbl { query_interface, add_ref, release };
static DISPATCH_VTBL: DispatchVtbl = DispatchVtbl {
    base: UnknownVtbl { query_interface, add_ref, release },
    get_type_info_count,
    get_type_info: not_implemented,
    get_ids_of_names: not_implemented,
    invoke,
};
static RECORD_VTBL: RecordVtbl = RecordVtbl {
    base: UnknownVtbl { query_interface, add_ref, release },
    record_init,
    record_clear,
    record_copy,
    get_guid,
    get_name: not_implemented,
    get_size,
    not_implemented: [not_implemented; 7],
    record_create,
    record_create_copy,
    record_destroy,
};

unsafe extern "system" fn query_interface(this: *mut c_void, iid: *const Guid, out: *mut *mut c_void) -> Hresult {
    if out.is_null() || iid.is_null() {
        return Hresult::E_POINTER;
    }
    // SAFETY: COM contract: `this` is one of ours, `iid` readable, `out` writable.
    unsafe {
        let o = obj(this);
        let iid = iid.read_unaligned();
        let ok = iid == IID_IUNKNOWN || (iid == IID_IDISPATCH && o.kind == FakeKind::Dispatch);
        if !ok {
            *out = core::ptr::null_mut();
            return Hresult::E_NOINTERFACE;
        }
        add_ref(this);
        *out = this;
    }
    Hresult::S_OK
}

unsafe extern "system" fn add_ref(this: *mut c_void) -> u32 {
    // SAFETY: COM contract: `this` is one of ours.
    let o = unsafe { obj(this) };
    o.refs.set(o.refs.get() + 1);
    o.refs.get()
}

unsafe extern "system" fn release(this: *mut c_void) -> u32 {
    // SAFETY: COM contract: `this` is one of ours.
    let o = unsafe { obj(this) };
    // The harness holds the last reference: the engine may never take the count below one.
    if o.refs.get() <= 1 {
        o.over_released.set(true);
        return 0;
    }
    o.refs.set(o.refs.get() - 1);
    o.refs.get()
}

unsafe extern "system" fn not_implemented(_this: *mut c_void) -> Hresult {
    Hresult::E_NOTIMPL
}

unsafe extern "system" fn get_type_info_count(_this: *mut c_void, count: *mut u32) -> Hresult {
    if !count.is_null() {
        // SAFETY: a writable out-pointer per the COM contract.
        unsafe { *count = 0 };
    }
    Hresult::S_OK
}

#[allow(clippy::too_many_arguments)]
unsafe extern "system" fn invoke(
    this: *mut c_void,
    dispid: i32,
    _iid: *const Guid,
    _lcid: u32,
    _flags: u16,
    _params: *mut c_void,
    result: *mut VARIANT,
    _excep: *mut c_void,
    _arg_err: *mut u32,
) -> Hresult {
    if dispid != 0 {
        return Hresult::DISP_E_MEMBERNOTFOUND;
    }
    if result.is_null() {
        return Hresult::E_POINTER;
    }
    // SAFETY: COM contract: `this` is one of ours; `result` is a writable VARIANT the caller owns (empty).
    unsafe {
        let o = obj(this);
        let value = o.value.borrow().clone();
        let v = match value {
            DispValue::Fail => return Hresult::DISP_E_MEMBERNOTFOUND,
            DispValue::Plain(v) => v,
            DispValue::Text(units) => {
                let Ok(b) = Bstr::from_wide(&units) else { return Hresult::E_OUTOFMEMORY };
                let mut v = VARIANT::with_vt(VarType::BSTR);
                v.data.ptr = b.into_raw().cast();
                v
            }
            DispValue::Itself => {
                add_ref(this);
                let mut v = VARIANT::with_vt(VarType::DISPATCH);
                v.data.ptr = this;
                v
            }
        };
        result.write(v);
    }
    Hresult::S_OK
}

unsafe extern "system" fn record_init(this: *mut c_void, new: *mut c_void) -> Hresult {
    if new.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: IRecordInfo contract: `new` holds one record of our size.
    unsafe { core::ptr::write_bytes(new as *mut u8, 0, obj(this).record_size as usize) };
    Hresult::S_OK
}

unsafe extern "system" fn record_clear(this: *mut c_void, existing: *mut c_void) -> Hresult {
    // Plain records own nothing: clearing zeroes them.
    // SAFETY: as record_init.
    unsafe { record_init(this, existing) }
}

unsafe extern "system" fn record_copy(this: *mut c_void, existing: *mut c_void, new: *mut c_void) -> Hresult {
    if existing.is_null() || new.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: `this` is one of ours.
    if unsafe { obj(this) }.fail_copy {
        return Hresult::E_FAIL;
    }
    // SAFETY: IRecordInfo contract: both hold one record of our size (they may be the same record).
    unsafe { core::ptr::copy(existing as *const u8, new as *mut u8, obj(this).record_size as usize) };
    Hresult::S_OK
}

unsafe extern "system" fn get_guid(_this: *mut c_void, guid: *mut Guid) -> Hresult {
    if guid.is_null() {
        return Hresult::E_POINTER;
    }
    // SAFETY: a writable out-pointer.
    unsafe { guid.write_unaligned(Guid::from_u128(0x6f5f_0a5e_0000_4000_8000_0000_0000_0001)) };
    Hresult::S_OK
}

unsafe extern "system" fn get_size(this: *mut c_void, size: *mut u32) -> Hresult {
    if size.is_null() {
        return Hresult::E_POINTER;
    }
    // SAFETY: `this` is one of ours; `size` writable.
    unsafe { *size = obj(this).record_size };
    Hresult::S_OK
}

unsafe extern "system" fn record_create(this: *mut c_void) -> *mut c_void {
    // SAFETY: `this` is one of ours.
    let o = unsafe { obj(this) };
    // SAFETY: calloc has no preconditions.
    let p = unsafe { libc::calloc(1, (o.record_size as usize).max(1)) };
    if !p.is_null() {
        o.live_records.set(o.live_records.get() + 1);
    }
    p
}

unsafe extern "system" fn record_create_copy(
    this: *mut c_void,
    source: *mut c_void,
    dest: *mut *mut c_void,
) -> Hresult {
    if dest.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: IRecordInfo contract.
    unsafe {
        let p = record_create(this);
        if p.is_null() {
            return Hresult::E_OUTOFMEMORY;
        }
        *dest = p;
        record_copy(this, source, p)
    }
}

unsafe extern "system" fn record_destroy(this: *mut c_void, record: *mut c_void) -> Hresult {
    if !record.is_null() {
        // SAFETY: `this` is one of ours; `record` came from our record_create.
        unsafe {
            let o = obj(this);
            o.live_records.set(o.live_records.get() - 1);
            libc::free(record);
        }
    }
    Hresult::S_OK
}
