//! Shared pieces of the C-fixture tests: the fixture's functions, its interfaces, and a Rust
//! COM class with a drop counter.
#![allow(dead_code)]

use core::ffi::c_void;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Once};

use marshal_com::errorinfo::{CreateErrorInfo, GetErrorInfo, SetErrorInfo, SysFreeString};
use marshal_com::{com_interface, ComClass, ComError, ComResult, ErrorKind, Guid, Hresult, IUnknown};

#[repr(C)]
pub struct HostApi {
    pub create_error_info: unsafe extern "system" fn(*mut *mut c_void) -> Hresult,
    pub set_error_info: unsafe extern "system" fn(u32, *mut c_void) -> Hresult,
    pub get_error_info: unsafe extern "system" fn(u32, *mut *mut c_void) -> Hresult,
    pub sys_free_string: unsafe extern "system" fn(*mut u16),
}

/// Counters the C object updates atomically (same layout as the C `FxCounters`).
#[repr(C)]
#[derive(Default)]
pub struct FxCounters {
    pub created: AtomicI32,
    pub destroyed: AtomicI32,
    pub misuse: AtomicI32,
}

extern "C" {
    fn fx_init(api: *const HostApi);
    pub fn fx_calc_create(id: i32, counters: *const FxCounters) -> *mut c_void;
    pub fn fx_calc_refs(identity: *mut c_void) -> i32;
    pub fn fx_calc_reclaim(identity: *mut c_void) -> i32;
    pub fn fx_addref(p: *mut c_void) -> u32;
    pub fn fx_release(p: *mut c_void) -> u32;
    pub fn fx_qi(p: *mut c_void, iid: *const Guid, out: *mut *mut c_void) -> Hresult;
    pub fn fx_qi_unaligned(p: *mut c_void, iid: *const Guid, out: *mut *mut c_void) -> Hresult;
    pub fn fx_check_qi_rules(p: *mut c_void, a: *const Guid, b: *const Guid, absent: *const Guid) -> i32;
    pub fn fx_counter_add_and_read_error(
        counter: *mut c_void,
        iid: *const Guid,
        delta: i32,
        total: *mut i32,
        desc: *mut u16,
        cap: i32,
        guid: *mut Guid,
        got_info: *mut i32,
    ) -> Hresult;
}

/// Hands the fixture this crate's oleaut32 stand-ins (once per process).
pub fn init_fixture() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let api = HostApi {
            create_error_info: CreateErrorInfo,
            set_error_info: SetErrorInfo,
            get_error_info: GetErrorInfo,
            sys_free_string: SysFreeString,
        };
        // SAFETY: the fixture copies the struct.
        unsafe { fx_init(&api) };
    });
}

com_interface! {
    /// The C object's main interface.
    pub interface ICalc: IUnknown {
        iid = 0x8C3A4E2B_7F10_4C55_9B1E_2D6F0A1B3C01;
        vtable = ICalcVtbl;
        impl = ICalcImpl;
        fn add(&self, a: i32, b: i32, out: *mut i32) -> Hresult;
        fn divide(&self, a: i32, b: i32, out: *mut i32) -> Hresult;
        fn fail(&self, hr: Hresult, description: *const u16) -> Hresult;
    }
}

com_interface! {
    /// The C object's second interface (not covered by its ISupportErrorInfo).
    pub interface INamed: IUnknown {
        iid = 0x8C3A4E2B_7F10_4C55_9B1E_2D6F0A1B3C02;
        vtable = INamedVtbl;
        impl = INamedImpl;
        fn get_id(&self, out: *mut i32) -> Hresult;
        fn fail_with_stale_info(&self, hr: Hresult) -> Hresult;
    }
}

/// A C `Calc` object owned by a test: counters at a stable address, memory reclaimed at the end.
pub struct CalcFixture {
    pub counters: Box<FxCounters>,
    pub identity: *mut c_void,
}

impl CalcFixture {
    pub fn new(id: i32) -> CalcFixture {
        init_fixture();
        let counters = Box::<FxCounters>::default();
        // SAFETY: the counters outlive the object (reclaimed in Drop, before the Box goes).
        let identity = unsafe { fx_calc_create(id, &*counters) };
        assert!(!identity.is_null());
        CalcFixture { counters, identity }
    }
    pub fn refs(&self) -> i32 {
        // SAFETY: the memory stays valid until reclaimed (zombies keep it).
        unsafe { fx_calc_refs(self.identity) }
    }
    pub fn destroyed(&self) -> i32 {
        self.counters.destroyed.load(Ordering::SeqCst)
    }
    pub fn misuse(&self) -> i32 {
        self.counters.misuse.load(Ordering::SeqCst)
    }
}

impl Drop for CalcFixture {
    fn drop(&mut self) {
        // SAFETY: reclaims only a destroyed object; a live one is leaked (the test fails anyway).
        unsafe { fx_calc_reclaim(self.identity) };
    }
}

pub fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain([0]).collect()
}

com_interface! {
    /// The Rust object's counter interface.
    pub interface ICounter: IUnknown {
        iid = 0x5A1F0C3E_2B4D_4E6F_8A9B_0C1D2E3F4A51;
        vtable = ICounterVtbl;
        impl = ICounterImpl;
        fn add(&self, delta: i32, total: *mut i32) -> Hresult;
        fn get(&self, total: *mut i32) -> Hresult;
    }
}

com_interface! {
    /// Derived from ICounter: inherits its slots.
    pub interface IResettable: ICounter {
        iid = 0x5A1F0C3E_2B4D_4E6F_8A9B_0C1D2E3F4A52;
        vtable = IResettableVtbl;
        impl = IResettableImpl;
        fn reset(&self) -> Hresult;
    }
}

com_interface! {
    /// The Rust object's second, unrelated interface.
    pub interface IIdentified: IUnknown {
        iid = 0x5A1F0C3E_2B4D_4E6F_8A9B_0C1D2E3F4A53;
        vtable = IIdentifiedVtbl;
        impl = IIdentifiedImpl;
        fn get_id(&self, id: *mut i32) -> Hresult;
    }
}

/// An IID nobody implements.
pub const IID_ABSENT: Guid = Guid::from_u128(0x5A1F0C3E_2B4D_4E6F_8A9B_0C1D2E3F4AFF);

/// The Rust COM class: counts its drops.
pub struct Counter {
    pub value: AtomicI32,
    pub id: i32,
    pub drops: Arc<AtomicUsize>,
}

impl Counter {
    pub fn new(id: i32) -> (Counter, Arc<AtomicUsize>) {
        let drops = Arc::new(AtomicUsize::new(0));
        (Counter { value: AtomicI32::new(0), id, drops: drops.clone() }, drops)
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// # Safety
/// `out` is null or writable.
unsafe fn write<T>(out: *mut T, v: T) -> ComResult<()> {
    if out.is_null() {
        return Err(ErrorKind::NullReference.into());
    }
    // SAFETY: non-null; the interface contract makes it writable.
    unsafe { out.write(v) };
    Ok(())
}

impl ICounterImpl for Counter {
    unsafe fn add(&self, delta: i32, total: *mut i32) -> ComResult<()> {
        if delta == i32::MIN {
            panic!("delta i32::MIN is a bug");
        }
        if delta < 0 {
            return Err(
                ComError::new(ErrorKind::ArgumentOutOfRange, "delta must not be negative").with_source("Tests.Counter")
            );
        }
        let now = self.value.fetch_add(delta, Ordering::SeqCst) + delta;
        // SAFETY: the caller's out-pointer.
        unsafe { write(total, now) }
    }
    unsafe fn get(&self, total: *mut i32) -> ComResult<()> {
        // SAFETY: the caller's out-pointer.
        unsafe { write(total, self.value.load(Ordering::SeqCst)) }
    }
}

impl IResettableImpl for Counter {
    unsafe fn reset(&self) -> ComResult<()> {
        self.value.store(0, Ordering::SeqCst);
        Ok(())
    }
}

impl IIdentifiedImpl for Counter {
    unsafe fn get_id(&self, id: *mut i32) -> ComResult<()> {
        // SAFETY: the caller's out-pointer.
        unsafe { write(id, self.id) }
    }
}

impl ComClass for Counter {
    type Interfaces = (IResettable, IIdentified);
}
