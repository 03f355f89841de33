//! The raw `IUnknown` ABI: the three methods every COM interface starts with.
//!
//! The core needs them to own interface pointers held in VARIANTs and SAFEARRAYs
//! (AddRef on copy, Release on clear); `marshal-com` builds `ComPtr`, interface
//! declarations and Rust-implemented objects on the same definitions.

use core::ffi::c_void;

use crate::guid::Guid;
use crate::hresult::Hresult;

/// `IID_IUnknown` = {00000000-0000-0000-C000-000000000046}.
pub const IID_IUNKNOWN: Guid = Guid::from_u128(0x00000000_0000_0000_c000_000000000046);
/// `IID_IDispatch` = {00020400-0000-0000-C000-000000000046}.
pub const IID_IDISPATCH: Guid = Guid::from_u128(0x00020400_0000_0000_c000_000000000046);

/// The vtable layout shared by every COM interface's first three slots.
/// `extern "system"` is stdcall on 32-bit Windows and the C convention elsewhere.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct IUnknownVtbl {
    /// `HRESULT QueryInterface(this, REFIID riid, void **ppv)`.
    pub query_interface:
        unsafe extern "system" fn(this: *mut c_void, iid: *const Guid, out: *mut *mut c_void) -> Hresult,
    /// `ULONG AddRef(this)`.
    pub add_ref: unsafe extern "system" fn(this: *mut c_void) -> u32,
    /// `ULONG Release(this)`.
    pub release: unsafe extern "system" fn(this: *mut c_void) -> u32,
}

/// What an interface pointer points at: an object whose first field is its vtable pointer.
#[repr(C)]
pub struct RawComObject {
    /// Pointer to the (at least) IUnknown-shaped vtable.
    pub vtbl: *const IUnknownVtbl,
}

/// Calls `AddRef` on a non-null interface pointer; returns the new count.
///
/// # Safety
///
/// `this` must be a valid, live COM interface pointer.
pub unsafe fn add_ref(this: *mut c_void) -> u32 {
    // SAFETY: the caller guarantees a live COM object, whose first field is its vtable.
    unsafe {
        let obj = this as *mut RawComObject;
        ((*(*obj).vtbl).add_ref)(this)
    }
}

/// Calls `Release` on a non-null interface pointer; returns the new count.
///
/// # Safety
///
/// `this` must be a valid COM interface pointer on which the caller owns one
/// reference; the pointer must not be used afterwards unless other references remain.
pub unsafe fn release(this: *mut c_void) -> u32 {
    // SAFETY: the caller guarantees a live COM object and gives up one reference.
    unsafe {
        let obj = this as *mut RawComObject;
        ((*(*obj).vtbl).release)(this)
    }
}

/// Calls `QueryInterface`; on success the returned pointer carries one reference.
///
/// # Safety
///
/// `this` must be a valid, live COM interface pointer.
pub unsafe fn query_interface(this: *mut c_void, iid: &Guid) -> Result<*mut c_void, Hresult> {
    let mut out = core::ptr::null_mut();
    // SAFETY: the caller guarantees a live COM object; `out` is a valid out-pointer.
    let hr = unsafe {
        let obj = this as *mut RawComObject;
        ((*(*obj).vtbl).query_interface)(this, iid, &mut out)
    };
    if hr.is_ok() && !out.is_null() {
        Ok(out)
    } else if hr.is_ok() {
        Err(Hresult::E_POINTER)
    } else {
        Err(hr)
    }
}

// Interface parameters and fields (`TypeDesc::Interface`): the reference-count rules the
// marshaler applies, as the CLR's interface marshaler does. "Managed" is the caller's side
// holding its own reference; "native" is the pointer that crosses.
//
// | use                                  | to native                    | after the call / from native        |
// |--------------------------------------|------------------------------|-------------------------------------|
// | In parameter                         | `to_native` (QI: +1)         | `release_native` (cleanup: -1)      |
// | InOut (`ref`) parameter              | `to_native` (callee owns it) | `from_native_owned` (take the ref)  |
// | Out parameter, `[retval]`, return    | null                         | `from_native_owned` (take the ref)  |
// | struct field: StructureToPtr         | `to_native`                  | DestroyStructure: `release_native`  |
// | struct field: PtrToStructure, callee In | —                         | `from_native_borrowed` (+1, copy)   |

/// An interface pointer for `iid` to hand to native code: `QueryInterface` on `obj` (so the
/// result carries one reference the marshaler owns), null for null.
///
/// # Safety
///
/// `obj` must be null or a live COM interface pointer.
///
/// # Errors
///
/// The failing HRESULT of `QueryInterface` (`E_NOINTERFACE` when the object lacks `iid`).
pub unsafe fn to_native(obj: *mut c_void, iid: &Guid) -> Result<*mut c_void, Hresult> {
    if obj.is_null() {
        return Ok(core::ptr::null_mut());
    }
    // SAFETY: live per the caller.
    unsafe { query_interface(obj, iid) }
}

/// Cleanup of what [`to_native`] produced (In parameters, destroyed struct fields): `Release`
/// unless null.
///
/// # Safety
///
/// `native` must be null or carry a reference the caller owns.
pub unsafe fn release_native(native: *mut c_void) {
    if !native.is_null() {
        // SAFETY: per the caller.
        unsafe { release(native) };
    }
}

/// Out, `[retval]` and InOut results: the callee's reference is taken over as is (no `AddRef`);
/// the returned pointer (maybe null) is owned by the caller.
///
/// # Safety
///
/// `native` must be null or an interface pointer whose reference the callee handed over.
pub unsafe fn from_native_owned(native: *mut c_void) -> *mut c_void {
    native
}

/// A pointer read from native memory the native side keeps owning (PtrToStructure, an In
/// parameter received by a Rust callee that keeps it): `AddRef` so the copy has its own reference.
///
/// # Safety
///
/// `native` must be null or a live COM interface pointer.
pub unsafe fn from_native_borrowed(native: *mut c_void) -> *mut c_void {
    if !native.is_null() {
        // SAFETY: per the caller.
        unsafe { add_ref(native) };
    }
    native
}

/// One owned reference to a COM object, as the engine holds it in a runtime
/// [`Value`](crate::value::Value): `AddRef` on clone, `Release` on drop. The
/// interface is whichever the pointer was obtained for (fields typed
/// `IDispatch` or by IID are `QueryInterface`d when written to native memory).
///
/// Not `Send`/`Sync`: whether an object may be used from another thread is the
/// object's business (apartments), as for `marshal_com::ComPtr`.
///
/// ```
/// use marshal_core::iunknown::ComRef;
/// // A null pointer is no reference.
/// assert!(unsafe { ComRef::from_raw(core::ptr::null_mut()) }.is_none());
/// ```
#[repr(transparent)]
pub struct ComRef(core::ptr::NonNull<c_void>);

impl ComRef {
    /// Takes over one reference held in `raw` (no `AddRef`); `None` for null.
    ///
    /// # Safety
    ///
    /// A non-null `raw` must be a live COM interface pointer on which the caller
    /// owns a reference, transferred to the result.
    pub unsafe fn from_raw(raw: *mut c_void) -> Option<ComRef> {
        core::ptr::NonNull::new(raw).map(ComRef)
    }

    /// A new reference to a borrowed pointer (`AddRef`); `None` for null.
    ///
    /// # Safety
    ///
    /// A non-null `raw` must be a live COM interface pointer.
    pub unsafe fn from_borrowed(raw: *mut c_void) -> Option<ComRef> {
        let r = core::ptr::NonNull::new(raw)?;
        // SAFETY: live per the caller; the new reference belongs to the result.
        unsafe { add_ref(raw) };
        Some(ComRef(r))
    }

    /// The interface pointer (the reference stays owned by `self`).
    pub fn as_raw(&self) -> *mut c_void {
        self.0.as_ptr()
    }

    /// Gives up ownership: the returned pointer carries the reference.
    pub fn into_raw(self) -> *mut c_void {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }

    /// `QueryInterface` for `iid`: a new reference to the same object.
    pub fn query(&self, iid: &Guid) -> Result<ComRef, Hresult> {
        // SAFETY: `self` holds a live interface pointer; a successful QI returns one reference.
        unsafe { query_interface(self.as_raw(), iid).map(|p| ComRef(core::ptr::NonNull::new_unchecked(p))) }
    }
}

impl Clone for ComRef {
    fn clone(&self) -> ComRef {
        // SAFETY: `self` keeps the object alive; the new reference belongs to the clone.
        unsafe { add_ref(self.as_raw()) };
        ComRef(self.0)
    }
}

impl Drop for ComRef {
    fn drop(&mut self) {
        // SAFETY: `self` owns one reference, given up here.
        unsafe { release(self.as_raw()) };
    }
}

impl PartialEq for ComRef {
    /// The same interface pointer (COM identity needs a `QueryInterface` for IUnknown).
    fn eq(&self, other: &ComRef) -> bool {
        self.0 == other.0
    }
}

impl core::fmt::Debug for ComRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ComRef({:p})", self.0)
    }
}
