//! Error information: the per-thread error object of OLE Automation, with the `IErrorInfo` /
//! `ICreateErrorInfo` / `ISupportErrorInfo` ABI.
//!
//! - [`CreateErrorInfo`], [`SetErrorInfo`], [`GetErrorInfo`] have oleaut32's signatures and
//!   semantics, for native code (hand it the function pointers, or export them from a C
//!   library): `SetErrorInfo` AddRefs and replaces the thread's object (null clears it),
//!   `GetErrorInfo` hands the object over (the slot is cleared) or returns `S_FALSE` with null.
//! - The Rust API: [`set_error_info`], [`take_error_info`], [`create_error_info`], [`read_error_info`].
//! - A Rust COM method that fails with a [`ComError`] stores it as the thread's error object
//!   ([`ComError::into_native`]); a Rust caller of a failing COM method reads it back when the
//!   object says through `ISupportErrorInfo` that the interface uses it
//!   ([`error_for_failed_call`], which `ComPtr::check` uses), as the CLR does.
//!
//! ```
//! use marshal_com::errorinfo::{create_error_info, set_error_info, take_error_info, read_error_info};
//! use marshal_com::ErrorDetails;
//!
//! let details = ErrorDetails { description: Some("disk full".into()), source: Some("App.Saver".into()), ..Default::default() };
//! set_error_info(Some(&create_error_info(&details)));
//! let info = take_error_info().expect("set above");
//! assert_eq!(read_error_info(&info), details);
//! assert!(take_error_info().is_none(), "GetErrorInfo clears the slot");
//! ```

#![allow(non_snake_case)] // the oleaut32 entry points keep their names

use core::cell::Cell;
use core::ffi::c_void;
use std::sync::Mutex;

use marshal_core::{Guid, Hresult};

use crate::bstr;
use crate::com_interface;
use crate::comptr::ComPtr;
use crate::error::{ComError, ComResult, ErrorDetails};
use crate::interface::{IUnknown, Interface};
use crate::object::{ComClass, ComObject};

com_interface! {
    /// `IErrorInfo`: read access to an error object. Strings come back as BSTRs the caller frees.
    pub interface IErrorInfo: IUnknown {
        iid = 0x1CF2B120_547D_101B_8E65_08002B2BD119;
        vtable = IErrorInfoVtbl;
        impl = IErrorInfoImpl;
        /// `GetGUID(GUID*)`: the IID of the interface that defined the error.
        fn get_guid(&self, guid: *mut Guid) -> Hresult;
        /// `GetSource(BSTR*)`.
        fn get_source(&self, source: *mut *mut u16) -> Hresult;
        /// `GetDescription(BSTR*)`.
        fn get_description(&self, description: *mut *mut u16) -> Hresult;
        /// `GetHelpFile(BSTR*)`.
        fn get_help_file(&self, help_file: *mut *mut u16) -> Hresult;
        /// `GetHelpContext(DWORD*)`.
        fn get_help_context(&self, help_context: *mut u32) -> Hresult;
    }
}

com_interface! {
    /// `ICreateErrorInfo`: fills an error object; strings are NUL-terminated UTF-16 (`LPOLESTR`).
    pub interface ICreateErrorInfo: IUnknown {
        iid = 0x22F03340_547D_101B_8E65_08002B2BD119;
        vtable = ICreateErrorInfoVtbl;
        impl = ICreateErrorInfoImpl;
        /// `SetGUID(REFGUID)`.
        fn set_guid(&self, guid: *const Guid) -> Hresult;
        /// `SetSource(LPOLESTR)`.
        fn set_source(&self, source: *const u16) -> Hresult;
        /// `SetDescription(LPOLESTR)`.
        fn set_description(&self, description: *const u16) -> Hresult;
        /// `SetHelpFile(LPOLESTR)`.
        fn set_help_file(&self, help_file: *const u16) -> Hresult;
        /// `SetHelpContext(DWORD)`.
        fn set_help_context(&self, help_context: u32) -> Hresult;
    }
}

com_interface! {
    /// `ISupportErrorInfo`: whether an object's interface reports failures through `IErrorInfo`.
    pub interface ISupportErrorInfo: IUnknown {
        iid = 0xDF0B3D60_548F_101B_8E65_08002B2BD119;
        vtable = ISupportErrorInfoVtbl;
        impl = ISupportErrorInfoImpl;
        /// `InterfaceSupportsErrorInfo(REFIID)`: `S_OK` if it does, `S_FALSE` if not.
        fn interface_supports_error_info(&self, iid: *const Guid) -> Hresult;
    }
}

/// The error object `CreateErrorInfo` makes: `ICreateErrorInfo` and `IErrorInfo` on one object.
struct ErrorObject {
    details: Mutex<ErrorDetails>,
}

impl ErrorObject {
    fn with<R>(&self, f: impl FnOnce(&mut ErrorDetails) -> R) -> R {
        // A poisoned lock only means another call panicked mid-update of plain data.
        let mut guard = self.details.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

impl ComClass for ErrorObject {
    type Interfaces = (ICreateErrorInfo, IErrorInfo);
}

/// # Safety
///
/// `out` must be null or valid for a write.
unsafe fn write_out<T>(out: *mut T, value: T) -> ComResult<()> {
    if out.is_null() {
        return Err(Hresult::E_INVALIDARG.into());
    }
    // SAFETY: non-null; the caller passes a writable out-pointer per the interface contract.
    unsafe { out.write(value) };
    Ok(())
}

/// # Safety
///
/// `out` must be null or valid for a write.
unsafe fn write_bstr(out: *mut *mut u16, text: &Option<String>) -> ComResult<()> {
    if out.is_null() {
        return Err(Hresult::E_INVALIDARG.into());
    }
    let bstr = match text {
        Some(t) => {
            let b = bstr::alloc_str(t);
            if b.is_null() {
                return Err(Hresult::E_OUTOFMEMORY.into());
            }
            b
        }
        // oleaut32 hands out a NULL BSTR for a string never set.
        None => core::ptr::null_mut(),
    };
    // SAFETY: forwarded.
    unsafe { write_out(out, bstr) }
}

impl IErrorInfoImpl for ErrorObject {
    unsafe fn get_guid(&self, guid: *mut Guid) -> ComResult<()> {
        // SAFETY: the caller's out-pointer, per the interface contract.
        unsafe { write_out(guid, self.with(|d| d.guid)) }
    }
    unsafe fn get_source(&self, source: *mut *mut u16) -> ComResult<()> {
        // SAFETY: the caller's out-pointer, per the interface contract.
        self.with(|d| unsafe { write_bstr(source, &d.source) })
    }
    unsafe fn get_description(&self, description: *mut *mut u16) -> ComResult<()> {
        // SAFETY: the caller's out-pointer, per the interface contract.
        self.with(|d| unsafe { write_bstr(description, &d.description) })
    }
    unsafe fn get_help_file(&self, help_file: *mut *mut u16) -> ComResult<()> {
        // SAFETY: the caller's out-pointer, per the interface contract.
        self.with(|d| unsafe { write_bstr(help_file, &d.help_file) })
    }
    unsafe fn get_help_context(&self, help_context: *mut u32) -> ComResult<()> {
        // SAFETY: as above.
        unsafe { write_out(help_context, self.with(|d| d.help_context)) }
    }
}

impl ICreateErrorInfoImpl for ErrorObject {
    unsafe fn set_guid(&self, guid: *const Guid) -> ComResult<()> {
        if guid.is_null() {
            return Err(Hresult::E_INVALIDARG.into());
        }
        // SAFETY: non-null; REFGUID points at a GUID.
        let guid = unsafe { guid.read_unaligned() };
        self.with(|d| d.guid = guid);
        Ok(())
    }
    unsafe fn set_source(&self, source: *const u16) -> ComResult<()> {
        // SAFETY: LPOLESTR: null or NUL-terminated UTF-16, per the interface contract.
        let s = unsafe { bstr::wide_cstr_to_string(source) };
        self.with(|d| d.source = s);
        Ok(())
    }
    unsafe fn set_description(&self, description: *const u16) -> ComResult<()> {
        // SAFETY: as above.
        let s = unsafe { bstr::wide_cstr_to_string(description) };
        self.with(|d| d.description = s);
        Ok(())
    }
    unsafe fn set_help_file(&self, help_file: *const u16) -> ComResult<()> {
        // SAFETY: as above.
        let s = unsafe { bstr::wide_cstr_to_string(help_file) };
        self.with(|d| d.help_file = s);
        Ok(())
    }
    unsafe fn set_help_context(&self, help_context: u32) -> ComResult<()> {
        self.with(|d| d.help_context = help_context);
        Ok(())
    }
}

/// The thread's error object (one owned reference, or none).
struct Slot(Cell<Option<ComPtr<IErrorInfo>>>);

thread_local! {
    static CURRENT: Slot = const { Slot(Cell::new(None)) };
}

/// Replaces the thread's error object; the previous one is released after the slot is updated,
/// so a `Release` that sets error information itself cannot observe a half-done swap.
fn replace_current(new: Option<ComPtr<IErrorInfo>>) -> Option<ComPtr<IErrorInfo>> {
    // During thread teardown the slot is gone: keep nothing (dropping `new` releases it).
    CURRENT.try_with(|slot| slot.0.replace(new)).unwrap_or(None)
}

/// A new error object holding `details`, as `CreateErrorInfo` + the `ICreateErrorInfo` setters.
pub fn create_error_info(details: &ErrorDetails) -> ComPtr<IErrorInfo> {
    ComObject::create_as::<IErrorInfo>(ErrorObject { details: Mutex::new(details.clone()) })
        .expect("ErrorObject implements IErrorInfo")
}

/// `SetErrorInfo(0, info)`: makes `info` (or nothing) the thread's error object.
pub fn set_error_info(info: Option<&ComPtr<IErrorInfo>>) {
    drop(replace_current(info.cloned()));
}

/// `GetErrorInfo(0, &info)`: takes the thread's error object, leaving none.
pub fn take_error_info() -> Option<ComPtr<IErrorInfo>> {
    replace_current(None)
}

/// Reads every field of an error object. Fields whose getter fails read as empty.
pub fn read_error_info(info: &IErrorInfo) -> ErrorDetails {
    fn text(get: impl FnOnce(*mut *mut u16) -> Hresult) -> Option<String> {
        let mut b: *mut u16 = core::ptr::null_mut();
        if get(&mut b).is_err() || b.is_null() {
            return None;
        }
        // SAFETY: a successful getter hands over a BSTR, which we read once and free.
        unsafe {
            let s = bstr::to_string(b);
            bstr::free_bstr(b);
            Some(s)
        }
    }
    let mut guid = Guid::NULL;
    let mut help_context = 0u32;
    // SAFETY: `info` is a live IErrorInfo; each out-pointer is valid for its write.
    unsafe {
        if info.get_guid(&mut guid).is_err() {
            guid = Guid::NULL;
        }
        if info.get_help_context(&mut help_context).is_err() {
            help_context = 0;
        }
        ErrorDetails {
            description: text(|p| info.get_description(p)),
            source: text(|p| info.get_source(p)),
            guid,
            help_file: text(|p| info.get_help_file(p)),
            help_context,
            arg_error: None,
        }
    }
}

/// The error for a failed call of interface `iid` on `object`: the kind of the HRESULT table,
/// and the thread's error information if `object` declares through `ISupportErrorInfo` that
/// `iid` uses it (otherwise the error object, if any, is left alone as the CLR does).
pub fn error_for_failed_call(object: &IUnknown, iid: &Guid, hr: Hresult) -> ComError {
    let mut support: *mut c_void = core::ptr::null_mut();
    // SAFETY: `object` is live; `support` is a valid out-pointer.
    let qi = unsafe { object.query_interface(&ISupportErrorInfo::IID, &mut support) };
    // SAFETY: a successful QueryInterface returns an owned ISupportErrorInfo pointer.
    let support = if qi.is_ok() { unsafe { ComPtr::<ISupportErrorInfo>::from_raw(support) } } else { None };
    // SAFETY: live pointer; `iid` is a valid GUID.
    let supported = support.is_some_and(|s| unsafe { s.interface_supports_error_info(iid) } == Hresult::S_OK);
    let details = if supported { take_error_info().map(|info| read_error_info(&info)) } else { None };
    ComError::from_parts(hr, details)
}

impl ComError {
    /// Stores this error as the thread's error object (or clears it for an error marked
    /// [`ComError::without_error_info`]) (description = [`ComError::message`], the
    /// source and help fields if set, GUID = `iid`) and returns its HRESULT: what a Rust COM
    /// method returns to a native caller, as the CLR does for an exception leaving a CCW.
    pub fn into_native(self, iid: &Guid) -> Hresult {
        if self.is_without_error_info() {
            set_error_info(None);
            return self.hresult();
        }
        let mut details = self.details().cloned().unwrap_or_default();
        details.description = Some(self.message());
        details.guid = *iid;
        set_error_info(Some(&create_error_info(&details)));
        self.hresult()
    }
}

/// `CreateErrorInfo(ICreateErrorInfo**)`: a new, empty error object.
///
/// # Safety
///
/// `out` must be null or valid for a pointer write.
pub unsafe extern "system" fn CreateErrorInfo(out: *mut *mut c_void) -> Hresult {
    if out.is_null() {
        return Hresult::E_INVALIDARG;
    }
    let created = std::panic::catch_unwind(|| {
        ComObject::create_as::<ICreateErrorInfo>(ErrorObject { details: Mutex::default() })
            .expect("ErrorObject implements ICreateErrorInfo")
            .into_raw()
    });
    // SAFETY: `out` is non-null and writable per the caller.
    unsafe {
        match created {
            Ok(raw) => {
                out.write(raw);
                Hresult::S_OK
            }
            Err(_) => {
                out.write(core::ptr::null_mut());
                Hresult::E_OUTOFMEMORY
            }
        }
    }
}

/// `SetErrorInfo(DWORD reserved, IErrorInfo*)`: AddRefs `info` (which may be null) and makes
/// it the thread's error object, releasing the previous one. `reserved` must be 0.
///
/// # Safety
///
/// `info` must be null or a live `IErrorInfo` pointer.
pub unsafe extern "system" fn SetErrorInfo(reserved: u32, info: *mut c_void) -> Hresult {
    if reserved != 0 {
        return Hresult::E_INVALIDARG;
    }
    // SAFETY: null or live IErrorInfo, per the caller; the new reference belongs to the slot.
    let info = unsafe { ComPtr::<IErrorInfo>::from_raw_borrowed(info) };
    // A panic here can only come from a foreign Release; it must not unwind into C.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(replace_current(info)))) {
        Ok(()) => Hresult::S_OK,
        Err(_) => Hresult::E_UNEXPECTED,
    }
}

/// `GetErrorInfo(DWORD reserved, IErrorInfo**)`: hands the thread's error object to the caller
/// (`S_OK`, one reference, the slot is cleared) or stores null and returns `S_FALSE`.
///
/// # Safety
///
/// `out` must be null or valid for a pointer write.
pub unsafe extern "system" fn GetErrorInfo(reserved: u32, out: *mut *mut c_void) -> Hresult {
    if reserved != 0 || out.is_null() {
        return Hresult::E_INVALIDARG;
    }
    let taken = take_error_info();
    // SAFETY: `out` is non-null and writable per the caller.
    unsafe {
        match taken {
            Some(info) => {
                out.write(info.into_raw());
                Hresult::S_OK
            }
            None => {
                out.write(core::ptr::null_mut());
                Hresult::S_FALSE
            }
        }
    }
}

pub use crate::bstr::{sys_alloc_string as SysAllocString, sys_free_string as SysFreeString};

#[cfg(test)]
mod tests {
    use super::*;

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain([0]).collect()
    }

    #[test]
    fn create_set_get_round_trip_through_the_abi() {
        // SAFETY: the calls follow the oleaut32 contracts with valid pointers.
        unsafe {
            let mut create: *mut c_void = core::ptr::null_mut();
            assert_eq!(CreateErrorInfo(&mut create), Hresult::S_OK);
            let create = ComPtr::<ICreateErrorInfo>::from_raw(create).unwrap();
            let iid = ICreateErrorInfo::IID;
            assert!(create.set_guid(&iid).is_ok());
            assert!(create.set_description(wide("bad thing").as_ptr()).is_ok());
            assert!(create.set_source(wide("Test.Source").as_ptr()).is_ok());
            assert!(create.set_help_file(wide("help.chm").as_ptr()).is_ok());
            assert!(create.set_help_context(7).is_ok());
            let info: ComPtr<IErrorInfo> = create.cast().unwrap();
            assert_eq!(SetErrorInfo(0, info.as_raw()), Hresult::S_OK);
            drop(info);
            drop(create);

            let mut got: *mut c_void = core::ptr::null_mut();
            assert_eq!(GetErrorInfo(0, &mut got), Hresult::S_OK);
            let got = ComPtr::<IErrorInfo>::from_raw(got).unwrap();
            let d = read_error_info(&got);
            assert_eq!(d.description.as_deref(), Some("bad thing"));
            assert_eq!(d.source.as_deref(), Some("Test.Source"));
            assert_eq!(d.help_link().as_deref(), Some("help.chm#7"));
            assert_eq!(d.guid, ICreateErrorInfo::IID);

            let mut again: *mut c_void = core::ptr::dangling_mut::<c_void>();
            assert_eq!(GetErrorInfo(0, &mut again), Hresult::S_FALSE);
            assert!(again.is_null());
            assert_eq!(GetErrorInfo(1, &mut again), Hresult::E_INVALIDARG);
            assert_eq!(SetErrorInfo(1, core::ptr::null_mut()), Hresult::E_INVALIDARG);
        }
    }

    #[test]
    fn unset_strings_come_back_as_null_bstrs() {
        let info = create_error_info(&ErrorDetails::default());
        let mut b: *mut u16 = core::ptr::dangling_mut::<u16>();
        // SAFETY: valid out-pointer.
        assert!(unsafe { info.get_description(&mut b) }.is_ok());
        assert!(b.is_null());
        assert_eq!(read_error_info(&info), ErrorDetails::default());
    }

    #[test]
    fn error_info_is_per_thread() {
        let d = ErrorDetails { description: Some("main".into()), ..Default::default() };
        set_error_info(Some(&create_error_info(&d)));
        std::thread::spawn(|| assert!(take_error_info().is_none())).join().unwrap();
        assert_eq!(read_error_info(&take_error_info().unwrap()).description.as_deref(), Some("main"));
    }
}
