//! Rust objects exposed as COM objects (the COM callable wrapper, CCW).
//!
//! A Rust type implements the `…Impl` traits of the interfaces it exposes and lists them in
//! [`ComClass::Interfaces`]; [`ComObject::create`] boxes it into a COM object:
//!
//! ```text
//!  interface pointer for slot k ──┐
//!                                 v
//!  ComObject<T> { vtables: [&I0 vtbl, &I1 vtbl, …, &ISupportErrorInfo vtbl], refs: AtomicU32, value: T }
//! ```
//!
//! - one vtable pointer per implemented interface (slot = position in the list), plus a last
//!   slot for `ISupportErrorInfo`, which every CCW implements as the CLR's do;
//! - `QueryInterface` answers every implemented IID and each one's ancestors (the first slot
//!   whose interface derives from the IID wins), `IUnknown` always with slot 0 (the identity
//!   rule: one object, one `IUnknown` pointer), anything else `E_NOINTERFACE` with `*ppv = NULL`;
//! - thread-safe reference counting (atomic, Release ordering on decrement); the value is
//!   dropped when the count reaches zero;
//! - every method runs under `catch_unwind`: a panic becomes `E_UNEXPECTED` with an
//!   `IErrorInfo` describing it, and an `Err(ComError)` becomes its HRESULT with an
//!   `IErrorInfo` carrying the description (see [`crate::errorinfo`]).
//!
//! ```
//! use marshal_com::{com_interface, ComClass, ComObject, ComResult, Hresult, IUnknown, ErrorKind};
//! use std::sync::atomic::{AtomicI32, Ordering};
//!
//! com_interface! {
//!     pub interface ICounter: IUnknown {
//!         iid = 0x6d9e1b0c_1d8f_4a43_9a6e_3f1b2c3d4e5f;
//!         vtable = ICounterVtbl;
//!         impl = ICounterImpl;
//!         fn add(&self, delta: i32, total: *mut i32) -> Hresult;
//!     }
//! }
//!
//! struct Counter(AtomicI32);
//! impl ICounterImpl for Counter {
//!     unsafe fn add(&self, delta: i32, total: *mut i32) -> ComResult<()> {
//!         if total.is_null() {
//!             return Err(ErrorKind::NullReference.into());
//!         }
//!         let now = self.0.fetch_add(delta, Ordering::SeqCst) + delta;
//!         // SAFETY: checked non-null; the caller passes a writable i32.
//!         unsafe { total.write(now) };
//!         Ok(())
//!     }
//! }
//! impl ComClass for Counter {
//!     type Interfaces = (ICounter,);
//! }
//!
//! let counter = ComObject::create_as::<ICounter>(Counter(AtomicI32::new(40))).unwrap();
//! let total: i32 = unsafe { counter.retval(|c, out| c.add(2, out)) }.unwrap();
//! assert_eq!(total, 42);
//! let err = unsafe { counter.check(counter.add(1, core::ptr::null_mut())) }.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::NullReference);
//! ```

use core::ffi::c_void;
use core::marker::PhantomData;
use core::sync::atomic::{fence, AtomicU32, Ordering};
use std::panic::{catch_unwind, AssertUnwindSafe};

use marshal_core::iunknown::{IUnknownVtbl, IID_IUNKNOWN};
use marshal_core::{Guid, Hresult};

use crate::comptr::ComPtr;
use crate::error::{ComError, ComResult};
use crate::errorinfo::{ISupportErrorInfo, ISupportErrorInfoVtbl};
use crate::interface::{IUnknown, Interface, VtableFor};

/// A Rust type that can be exposed as a COM object.
///
/// It is `Send + Sync` because COM callers may use one object from several threads; use
/// interior mutability (atomics, `Mutex`) for state.
pub trait ComClass: Sized + Send + Sync + 'static {
    /// The interfaces the object implements, as a tuple in slot order: `(IFoo,)`, `(IFoo, IBar)`, …
    /// (up to 8). Each `I` needs `Self: IImpl` (the trait [`com_interface!`](crate::com_interface)
    /// generated) and, for derived interfaces, the parents' `Impl` traits too.
    type Interfaces: InterfaceList<Self>;
}

/// A tuple of interfaces implemented by `T`: its vtables and the IID → slot lookup.
///
/// # Safety
///
/// `VTABLES` must be `COUNT + 1` pointers to `VtableFor<T, k>::VTABLE` for slot `k` in order,
/// then the `ISupportErrorInfo` vtable for slot `COUNT`; `slot_of` must only return slots
/// whose interface derives from the IID.
pub unsafe trait InterfaceList<T: ComClass>: 'static {
    /// `[*const c_void; COUNT + 1]`.
    type Vtables: Copy + 'static;
    /// The vtable pointers, one per slot.
    const VTABLES: Self::Vtables;
    /// Number of listed interfaces (the `ISupportErrorInfo` slot is index `COUNT`).
    const COUNT: usize;
    /// The slot `QueryInterface` hands out for `iid`.
    fn slot_of(iid: &Guid) -> Option<usize>;
}

/// How a method's ABI return type is produced from what its Rust implementation returns.
///
/// `Hresult` methods are implemented as returning `ComResult<()>`: `Ok` → `S_OK`, `Err(e)` →
/// `e`'s HRESULT with `e` stored as the thread's error information. Other return types (`u32`
/// for `AddRef`-like methods, `()`, numbers, pointers) are returned as is; after a panic they
/// return zero (or null).
pub trait AbiReturn: Sized {
    /// What the Rust implementation returns.
    type Impl;
    /// The ABI value for a completed call of interface `iid`.
    fn into_abi(value: Self::Impl, iid: &Guid) -> Self;
    /// The ABI value after a panic (already converted to `error`) in a method of interface `iid`.
    fn from_error(error: ComError, iid: &Guid) -> Self;
}

impl AbiReturn for Hresult {
    type Impl = ComResult<()>;
    fn into_abi(value: ComResult<()>, iid: &Guid) -> Hresult {
        match value {
            Ok(()) => Hresult::S_OK,
            Err(e) => e.into_native(iid),
        }
    }
    fn from_error(error: ComError, iid: &Guid) -> Hresult {
        error.into_native(iid)
    }
}

macro_rules! plain_abi_returns {
    ($($t:ty = $zero:expr),*) => {$(
        impl AbiReturn for $t {
            type Impl = $t;
            fn into_abi(value: $t, _iid: &Guid) -> $t {
                value
            }
            fn from_error(error: ComError, iid: &Guid) -> $t {
                // The return value cannot carry the failure; the error information still does.
                error.into_native(iid);
                $zero
            }
        }
    )*};
}
plain_abi_returns!(
    () = (), u8 = 0, i8 = 0, u16 = 0, i16 = 0, u32 = 0, i32 = 0, u64 = 0, i64 = 0, usize = 0, isize = 0,
    f32 = 0.0, f64 = 0.0, *mut c_void = core::ptr::null_mut()
);

/// The COM object wrapping a `T`. Only reachable through interface pointers; see the module docs.
#[repr(C)]
pub struct ComObject<T: ComClass> {
    // First field: slot k's interface pointer is `&vtables[k]`, so the object is `this - k`.
    vtables: <T::Interfaces as InterfaceList<T>>::Vtables,
    refs: AtomicU32,
    value: T,
}

impl<T: ComClass> ComObject<T> {
    /// Boxes `value` as a COM object with reference count 1 and returns its `IUnknown`
    /// (slot 0). The object lives until the last reference is released.
    pub fn create(value: T) -> ComPtr<IUnknown> {
        let boxed = Box::new(ComObject { vtables: T::Interfaces::VTABLES, refs: AtomicU32::new(1), value });
        let raw = Box::into_raw(boxed) as *mut c_void;
        // SAFETY: `raw` is slot 0 of a fresh object with one reference, which we hand over.
        unsafe { ComPtr::from_raw(raw) }.expect("Box::into_raw is never null")
    }

    /// Boxes `value` and returns it as interface `I` (through `QueryInterface`).
    ///
    /// # Errors
    ///
    /// `InvalidCast` (`E_NOINTERFACE`) when `T` does not implement `I`; the object is then freed.
    pub fn create_as<I: Interface>(value: T) -> ComResult<ComPtr<I>> {
        ComObject::create(value).cast::<I>()
    }

    /// The object behind the interface pointer of slot `slot`.
    ///
    /// # Safety
    ///
    /// `this` must be slot `slot` of a live `ComObject<T>`.
    unsafe fn from_slot<'a>(this: *mut c_void, slot: usize) -> &'a ComObject<T> {
        // SAFETY: `vtables` is the first field and an array of pointers, so slot `slot` lies
        // `slot` pointers after the start of the object, which is live per the caller.
        unsafe { &*((this as *mut *const c_void).sub(slot) as *const ComObject<T>) }
    }

    /// Interface pointer of slot `slot`.
    fn slot_ptr(&self, slot: usize) -> *mut c_void {
        // SAFETY: slot < COUNT + 1 (callers only pass slots from `slot_of`), inside `vtables`.
        unsafe { (self as *const Self as *mut *const c_void).add(slot) as *mut c_void }
    }
}

/// Runs a method of `T` for the thunk of slot `SLOT`: finds the object, calls `f` under
/// `catch_unwind`, turns the result (or a panic) into the ABI return value.
///
/// # Safety
///
/// `this` must be slot `SLOT` of a live `ComObject<T>`.
#[doc(hidden)]
pub unsafe fn __call<T: ComClass, const SLOT: usize, R: AbiReturn>(
    this: *mut c_void,
    iid: &Guid,
    f: impl FnOnce(&T) -> R::Impl,
) -> R {
    // SAFETY: forwarded from the caller.
    let obj = unsafe { ComObject::<T>::from_slot(this, SLOT) };
    match catch_unwind(AssertUnwindSafe(|| f(&obj.value))) {
        Ok(value) => R::into_abi(value, iid),
        Err(payload) => {
            let error = ComError::from_panic(&*payload);
            // Dropping a payload can itself panic; keep that inside too.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            R::from_error(error, iid)
        }
    }
}

unsafe extern "system" fn query_interface<T: ComClass, const SLOT: usize>(
    this: *mut c_void,
    iid: *const Guid,
    out: *mut *mut c_void,
) -> Hresult {
    if out.is_null() {
        return Hresult::E_POINTER;
    }
    // SAFETY: `out` is non-null and, per the COM contract, writable.
    unsafe { out.write(core::ptr::null_mut()) };
    if iid.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: `this` is slot SLOT of a live ComObject<T> (this thunk is only in its vtables);
    // `iid` is non-null and points at a GUID per the contract (read unaligned: native callers
    // are not trusted with alignment).
    unsafe {
        let obj = ComObject::<T>::from_slot(this, SLOT);
        match T::Interfaces::slot_of(&iid.read_unaligned()) {
            Some(slot) => {
                obj.refs.fetch_add(1, Ordering::Relaxed);
                out.write(obj.slot_ptr(slot));
                Hresult::S_OK
            }
            None => Hresult::E_NOINTERFACE,
        }
    }
}

unsafe extern "system" fn add_ref<T: ComClass, const SLOT: usize>(this: *mut c_void) -> u32 {
    // SAFETY: `this` is slot SLOT of a live ComObject<T>.
    let obj = unsafe { ComObject::<T>::from_slot(this, SLOT) };
    // Relaxed suffices: a new reference is made from an existing one (as in `Arc::clone`).
    obj.refs.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
}

unsafe extern "system" fn release<T: ComClass, const SLOT: usize>(this: *mut c_void) -> u32 {
    // SAFETY: `this` is slot SLOT of a live ComObject<T>; the caller gives up one reference.
    let obj = unsafe { ComObject::<T>::from_slot(this, SLOT) };
    let before = obj.refs.fetch_sub(1, Ordering::Release);
    if before != 1 {
        return before.wrapping_sub(1);
    }
    // Last reference: synchronise with every other thread's Release before destroying.
    fence(Ordering::Acquire);
    let raw = obj as *const ComObject<T> as *mut ComObject<T>;
    // A panicking Drop must not unwind into the native caller; Release has no way to report it.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the count reached zero, so nobody else holds the object; it came from Box::into_raw.
        drop(unsafe { Box::from_raw(raw) })
    }));
    0
}

// SAFETY: the three thunks recover the object with the same T and SLOT.
unsafe impl<T: ComClass, const SLOT: usize> VtableFor<T, SLOT> for IUnknown {
    const VTABLE: &'static IUnknownVtbl = &IUnknownVtbl {
        query_interface: query_interface::<T, SLOT>,
        add_ref: add_ref::<T, SLOT>,
        release: release::<T, SLOT>,
    };
}

/// The built-in `ISupportErrorInfo` of every CCW, at slot `N` (after the listed interfaces).
struct SupportErrorInfoSlot<T, const N: usize>(PhantomData<T>);

impl<T: ComClass, const N: usize> SupportErrorInfoSlot<T, N> {
    const VTABLE: &'static ISupportErrorInfoVtbl = &ISupportErrorInfoVtbl {
        parent: *<IUnknown as VtableFor<T, N>>::VTABLE,
        interface_supports_error_info: interface_supports_error_info::<T>,
    };
}

unsafe extern "system" fn interface_supports_error_info<T: ComClass>(_this: *mut c_void, iid: *const Guid) -> Hresult {
    if iid.is_null() {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: non-null and, per the contract, a GUID (read unaligned, as in QueryInterface).
    let iid = &unsafe { iid.read_unaligned() };
    // Every implemented interface reports its failures through IErrorInfo (see `__call`).
    match T::Interfaces::slot_of(iid) {
        Some(_) if *iid != IID_IUNKNOWN && *iid != ISupportErrorInfo::IID => Hresult::S_OK,
        _ => Hresult::S_FALSE,
    }
}

macro_rules! interface_lists {
    ($( $n:literal: ($($I:ident = $slot:literal),+); )*) => {$(
        // SAFETY: VTABLES lists slot k's vtable for `VtableFor<T, k>` in order, then
        // ISupportErrorInfo at slot $n; slot_of only returns slots whose interface derives from the IID.
        unsafe impl<T: ComClass, $($I),+> InterfaceList<T> for ($($I,)+)
        where
            $($I: VtableFor<T, $slot>,)+
        {
            type Vtables = [*const c_void; $n + 1];
            const VTABLES: Self::Vtables = [
                $(<$I as VtableFor<T, $slot>>::VTABLE as *const <$I as Interface>::Vtbl as *const c_void,)+
                SupportErrorInfoSlot::<T, $n>::VTABLE as *const ISupportErrorInfoVtbl as *const c_void,
            ];
            const COUNT: usize = $n;
            fn slot_of(iid: &Guid) -> Option<usize> {
                // IUnknown is always slot 0 (identity), which every interface derives from.
                $(if <$I as Interface>::is_iid(iid) {
                    return Some($slot);
                })+
                if *iid == <ISupportErrorInfo as Interface>::IID {
                    return Some($n);
                }
                None
            }
        }
    )*};
}

interface_lists! {
    1: (A = 0);
    2: (A = 0, B = 1);
    3: (A = 0, B = 1, C = 2);
    4: (A = 0, B = 1, C = 2, D = 3);
    5: (A = 0, B = 1, C = 2, D = 3, E = 4);
    6: (A = 0, B = 1, C = 2, D = 3, E = 4, F = 5);
    7: (A = 0, B = 1, C = 2, D = 3, E = 4, F = 5, G = 6);
    8: (A = 0, B = 1, C = 2, D = 3, E = 4, F = 5, G = 6, H = 7);
}
