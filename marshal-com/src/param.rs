//! Interface parameters (`TypeDesc::Interface`): the AddRef/Release rules of In, Out, InOut and
//! `[retval]`, over [`ComPtr`]. The raw rules live in `marshal_core::iunknown` (so the P/Invoke
//! front end and struct plans use the same ones without this crate); this module gives them
//! owned Rust types.
//!
//! | direction | before the call | after the call |
//! |---|---|---|
//! | In | [`InArg::new`]: QueryInterface for the declared IID (+1) | drop the `InArg` (−1) |
//! | InOut | [`InOutArg::new`]: +1, the callee may release and replace it | [`InOutArg::finish`]: take whatever is there |
//! | Out / `[retval]` | [`OutArg::new`]: null | [`OutArg::finish`]: take the callee's reference |
//!
//! ```
//! use marshal_com::param::{InArg, OutArg};
//! use marshal_com::{ComObject, ComClass, IUnknown, ComPtr, Interface};
//!
//! struct Thing;
//! impl ComClass for Thing { type Interfaces = (IUnknown,); }
//! let obj = ComObject::create(Thing);
//!
//! // A native function `void keep(IUnknown* in, IUnknown** out)` that returns its input.
//! unsafe extern "C" fn keep(input: *mut core::ffi::c_void, out: *mut *mut core::ffi::c_void) {
//!     unsafe { marshal_core::iunknown::add_ref(input); *out = input; }
//! }
//! let arg = InArg::new(Some(&obj), &IUnknown::IID).unwrap();
//! let mut out = OutArg::<IUnknown>::new();
//! unsafe { keep(arg.as_raw(), out.as_out_ptr()) };
//! drop(arg);
//! let back = unsafe { out.finish() }.unwrap();
//! assert!(back.same_object(&obj));
//! ```

use core::ffi::c_void;
use core::marker::PhantomData;

use marshal_core::{iunknown, Guid};

use crate::comptr::ComPtr;
use crate::error::{ComError, ComResult};
use crate::interface::{IUnknown, Interface};

/// An In interface argument: the pointer for the declared IID, with the marshaler's
/// reference released when dropped (after the call).
pub struct InArg {
    raw: *mut c_void,
}

impl InArg {
    /// QueryInterface `obj` for `iid` (the declared interface); `None` passes null.
    ///
    /// # Errors
    ///
    /// `InvalidCast` when the object does not implement `iid`.
    pub fn new<I: Interface>(obj: Option<&ComPtr<I>>, iid: &Guid) -> ComResult<InArg> {
        let src = obj.map_or(core::ptr::null_mut(), ComPtr::as_raw);
        // SAFETY: null or a live pointer held by `obj`.
        let raw = unsafe { iunknown::to_native(src, iid) }.map_err(ComError::from_hresult)?;
        Ok(InArg { raw })
    }

    /// The pointer to pass (borrowed: valid while the `InArg` lives).
    pub fn as_raw(&self) -> *mut c_void {
        self.raw
    }
}

impl Drop for InArg {
    fn drop(&mut self) {
        // SAFETY: `raw` carries the reference `to_native` made, released exactly once here.
        unsafe { iunknown::release_native(self.raw) }
    }
}

/// An Out or `[retval]` interface argument: a null slot the callee fills with an owned pointer.
pub struct OutArg<I: Interface> {
    slot: *mut c_void,
    _i: PhantomData<ComPtr<I>>,
}

impl<I: Interface> Default for OutArg<I> {
    fn default() -> Self {
        OutArg::new()
    }
}

impl<I: Interface> OutArg<I> {
    /// A null slot.
    pub fn new() -> OutArg<I> {
        OutArg { slot: core::ptr::null_mut(), _i: PhantomData }
    }

    /// The `I**` to pass.
    pub fn as_out_ptr(&mut self) -> *mut *mut c_void {
        &mut self.slot
    }

    /// Takes the callee's reference (no AddRef); `None` if it left null.
    ///
    /// # Safety
    ///
    /// The slot must hold null or an owned `I` pointer (the callee's contract).
    pub unsafe fn finish(mut self) -> Option<ComPtr<I>> {
        let raw = core::mem::replace(&mut self.slot, core::ptr::null_mut());
        // SAFETY: per the caller, `raw` is null or an owned I pointer.
        unsafe { ComPtr::from_raw(iunknown::from_native_owned(raw)) }
    }
}

impl<I: Interface> Drop for OutArg<I> {
    fn drop(&mut self) {
        // A slot never finished (the call failed): a pointer left there is the caller's to release.
        // SAFETY: null or the callee's owned reference.
        unsafe { iunknown::release_native(self.slot) }
    }
}

/// An InOut (`ref`) interface argument: the callee receives an owned reference, may release it
/// and store another, and what is there after the call belongs to the caller.
pub struct InOutArg<I: Interface> {
    out: OutArg<I>,
}

impl<I: Interface> InOutArg<I> {
    /// QueryInterface `obj` for `I` (its own reference goes to the callee).
    ///
    /// # Errors
    ///
    /// `InvalidCast` when the object does not implement `I`.
    pub fn new<J: Interface>(obj: Option<&ComPtr<J>>) -> ComResult<InOutArg<I>> {
        let src = obj.map_or(core::ptr::null_mut(), ComPtr::as_raw);
        // SAFETY: null or a live pointer held by `obj`.
        let raw = unsafe { iunknown::to_native(src, &I::IID) }.map_err(ComError::from_hresult)?;
        Ok(InOutArg { out: OutArg { slot: raw, _i: PhantomData } })
    }

    /// The `I**` to pass.
    pub fn as_out_ptr(&mut self) -> *mut *mut c_void {
        self.out.as_out_ptr()
    }

    /// Takes what the callee left.
    ///
    /// # Safety
    ///
    /// As [`OutArg::finish`].
    pub unsafe fn finish(self) -> Option<ComPtr<I>> {
        // SAFETY: forwarded.
        unsafe { self.out.finish() }
    }
}

/// A Rust callee receiving an In interface parameter it wants to keep: a new reference
/// (AddRef), leaving the caller's own untouched.
///
/// # Safety
///
/// `raw` must be null or a live `I` pointer.
pub unsafe fn keep_in_param<I: Interface>(raw: *mut c_void) -> Option<ComPtr<I>> {
    // SAFETY: per the caller.
    unsafe { ComPtr::from_raw(iunknown::from_native_borrowed(raw)) }
}

/// A Rust callee returning an interface through an Out parameter or `[retval]`: the pointer
/// stored carries its own reference, which the caller takes over. Null stores null.
///
/// # Safety
///
/// `out` must be null or valid for a pointer write.
///
/// # Errors
///
/// `NullReference` (`E_POINTER`) when `out` is null.
pub unsafe fn store_out_param<I: Interface>(out: *mut *mut c_void, value: Option<ComPtr<I>>) -> ComResult<()> {
    if out.is_null() {
        return Err(crate::ErrorKind::NullReference.into());
    }
    // SAFETY: non-null and writable per the caller; the reference moves into the slot.
    unsafe { out.write(value.map_or(core::ptr::null_mut(), ComPtr::into_raw)) };
    Ok(())
}

/// The IID a `TypeDesc::Interface` names.
pub fn iid_of(kind: marshal_core::InterfaceKind) -> Guid {
    match kind {
        marshal_core::InterfaceKind::IUnknown => IUnknown::IID,
        marshal_core::InterfaceKind::IDispatch => marshal_core::iunknown::IID_IDISPATCH,
        marshal_core::InterfaceKind::Iid(g) => g,
    }
}
