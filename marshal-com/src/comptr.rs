//! [`ComPtr<I>`]: an owned reference to a COM object through interface `I`.

use core::ffi::c_void;
use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;

use marshal_core::iunknown;
use marshal_core::{Guid, Hresult};

use crate::error::{ComError, ComResult};
use crate::errorinfo;
use crate::interface::{IUnknown, Interface};

/// One reference to a COM object, seen through interface `I`: `AddRef` on clone, `Release` on
/// drop, `QueryInterface` through [`ComPtr::cast`], and the raw forms for embedding
/// ([`ComPtr::into_raw`], [`ComPtr::from_raw`], [`ComPtr::as_raw`]).
///
/// The same size as a raw pointer; `Option<ComPtr<I>>` is a nullable interface pointer.
/// Not `Send`/`Sync`: whether an object may be used from another thread is the object's
/// business (apartments), so crossing threads is left to raw pointers and the caller's judgement.
#[repr(transparent)]
pub struct ComPtr<I: Interface> {
    ptr: NonNull<I>,
    _owns: PhantomData<I>,
}

const _: () = assert!(core::mem::size_of::<Option<ComPtr<IUnknown>>>() == core::mem::size_of::<usize>());

impl<I: Interface> ComPtr<I> {
    /// Takes over one reference held in `raw` (no `AddRef`); `None` for null.
    ///
    /// # Safety
    ///
    /// A non-null `raw` must be a live interface pointer of type `I` on which the caller owns a
    /// reference, which is transferred to the `ComPtr`.
    pub unsafe fn from_raw(raw: *mut c_void) -> Option<ComPtr<I>> {
        NonNull::new(raw as *mut I).map(|ptr| ComPtr { ptr, _owns: PhantomData })
    }

    /// Makes a new reference from a borrowed pointer (`AddRef`); `None` for null.
    ///
    /// # Safety
    ///
    /// A non-null `raw` must be a live interface pointer of type `I`.
    pub unsafe fn from_raw_borrowed(raw: *mut c_void) -> Option<ComPtr<I>> {
        if raw.is_null() {
            return None;
        }
        // SAFETY: live per the caller; the new reference is owned by the result.
        unsafe {
            iunknown::add_ref(raw);
            ComPtr::from_raw(raw)
        }
    }

    /// Gives up ownership: the returned pointer carries the reference (release it, or pass it
    /// to `from_raw`).
    pub fn into_raw(self) -> *mut c_void {
        let raw = self.as_raw();
        core::mem::forget(self);
        raw
    }

    /// The interface pointer, borrowed (no reference added).
    pub fn as_raw(&self) -> *mut c_void {
        self.ptr.as_ptr() as *mut c_void
    }

    /// `QueryInterface` for `J`: a new reference to the same object through `J`.
    ///
    /// # Errors
    ///
    /// `InvalidCast` (`E_NOINTERFACE`) when the object does not implement `J`; other failing
    /// HRESULTs of `QueryInterface` map by the table; a success without a pointer is `E_POINTER`.
    pub fn cast<J: Interface>(&self) -> ComResult<ComPtr<J>> {
        let raw = self.query_raw(&J::IID)?;
        // SAFETY: QueryInterface(IID of J) returned an owned J pointer.
        Ok(unsafe { ComPtr::from_raw(raw) }.expect("query_raw never returns null"))
    }

    /// `QueryInterface` for any IID; the pointer carries one reference.
    ///
    /// # Errors
    ///
    /// As [`ComPtr::cast`].
    pub fn query_raw(&self, iid: &Guid) -> ComResult<*mut c_void> {
        // SAFETY: self is a live interface pointer.
        unsafe { iunknown::query_interface(self.as_raw(), iid) }.map_err(ComError::from_hresult)
    }

    /// The object's identity: its `IUnknown` from `QueryInterface` (the same pointer whichever
    /// interface it is asked from).
    ///
    /// # Errors
    ///
    /// When the object breaks the COM rules and refuses `IUnknown`.
    pub fn identity(&self) -> ComResult<ComPtr<IUnknown>> {
        self.cast::<IUnknown>()
    }

    /// `true` when both pointers reach the same object (their `IUnknown`s are equal), as the
    /// CLR compares RCW identities.
    pub fn same_object<J: Interface>(&self, other: &ComPtr<J>) -> bool {
        match (self.identity(), other.identity()) {
            (Ok(a), Ok(b)) => a.as_raw() == b.as_raw(),
            _ => false,
        }
    }

    /// The same reference seen as `IUnknown` (every interface is one; no `QueryInterface`).
    pub fn into_unknown(self) -> ComPtr<IUnknown> {
        // SAFETY: every interface pointer is a valid IUnknown pointer; the reference moves over.
        unsafe { ComPtr::from_raw(self.into_raw()) }.expect("non-null")
    }

    /// `IUnknown` view of this pointer (borrowed).
    pub fn as_unknown(&self) -> &IUnknown {
        // SAFETY: every interface starts with IUnknown's vtable; same single-pointer layout.
        unsafe { &*(self.ptr.as_ptr() as *const IUnknown) }
    }

    /// `PreserveSig = false` for one call through this pointer: `Ok` for success codes
    /// (`S_FALSE` dropped); for a failure, the [`ComError`] of the table's kind carrying the
    /// object's error information when it declares it through `ISupportErrorInfo` for `I`.
    ///
    /// # Errors
    ///
    /// The failure `hr` stands for.
    pub fn check(&self, hr: Hresult) -> ComResult<()> {
        if hr.is_ok() {
            Ok(())
        } else {
            Err(errorinfo::error_for_failed_call(self.as_unknown(), &I::IID, hr))
        }
    }

    /// `PreserveSig = false` with a `[retval]`: `f` makes the call with a pointer to a zeroed
    /// `T`; on success the value is returned, on failure the [`ComError`] (as [`ComPtr::check`]).
    ///
    /// # Safety
    ///
    /// `f` must make a call that writes a valid `T` (or leaves the zeroed value) on success.
    ///
    /// # Errors
    ///
    /// The failure the call returned.
    pub unsafe fn retval<T: bytemuck::Zeroable>(&self, f: impl FnOnce(&I, *mut T) -> Hresult) -> ComResult<T> {
        let mut value = T::zeroed();
        let hr = f(self, &mut value);
        self.check(hr)?;
        Ok(value)
    }

    /// `PreserveSig = false` with an interface `[retval]`: the callee's reference is taken over
    /// (no extra `AddRef`), `Ok(None)` when it returned null.
    ///
    /// # Safety
    ///
    /// On success the call must store null or an owned interface pointer of type `J`.
    ///
    /// # Errors
    ///
    /// The failure the call returned (a pointer stored despite the failure is released).
    pub unsafe fn retval_interface<J: Interface>(
        &self,
        f: impl FnOnce(&I, *mut *mut c_void) -> Hresult,
    ) -> ComResult<Option<ComPtr<J>>> {
        let mut raw: *mut c_void = core::ptr::null_mut();
        let hr = f(self, &mut raw);
        // SAFETY: per the caller, a non-null result is an owned J pointer.
        let value = unsafe { ComPtr::<J>::from_raw(raw) };
        self.check(hr)?;
        Ok(value)
    }
}

impl<I: Interface> Clone for ComPtr<I> {
    fn clone(&self) -> ComPtr<I> {
        // SAFETY: self is live; the new reference is owned by the clone.
        unsafe { iunknown::add_ref(self.as_raw()) };
        ComPtr { ptr: self.ptr, _owns: PhantomData }
    }
}

impl<I: Interface> Drop for ComPtr<I> {
    fn drop(&mut self) {
        // SAFETY: we own one reference and never use the pointer again.
        unsafe { iunknown::release(self.as_raw()) };
    }
}

impl<I: Interface> Deref for ComPtr<I> {
    type Target = I;
    fn deref(&self) -> &I {
        // SAFETY: the pointer is live while we hold our reference.
        unsafe { self.ptr.as_ref() }
    }
}

impl<I: Interface> fmt::Debug for ComPtr<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ComPtr<{}>({:p})", core::any::type_name::<I>(), self.ptr)
    }
}

impl<I: Interface> PartialEq for ComPtr<I> {
    /// Pointer equality of this interface pointer (not identity: see [`ComPtr::same_object`]).
    fn eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }
}

impl<I: Interface> Eq for ComPtr<I> {}
