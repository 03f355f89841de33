//! `IDispatch`: late binding by name and DISPID, both ways.
//!
//! - The ABI: [`IDispatch`], [`DISPPARAMS`], [`EXCEPINFO`], the `DISPID_*` and `DISPATCH_*`
//!   constants.
//! - [`Dispatch`]: the server side as a trait, "invoke by DISPID with VARIANT arguments". Any
//!   [`ComClass`] that implements it is an `IDispatch` COM object (list `IDispatch` in its
//!   interfaces); the raw `IDispatch` methods (pointer checks, `IID_NULL`, EXCEPINFO, `puArgErr`)
//!   are handled once here. A type-info-driven dispatcher implements the same trait.
//! - [`server`]: [`DispatchTable`](server::DispatchTable), a ready dispatcher for Rust objects:
//!   methods and properties by name and DISPID, arguments coerced with `VariantChangeTypeEx`,
//!   optional arguments, the `DISP_E_*` errors where oleaut32's `ITypeInfo::Invoke` returns them.
//! - [`client`]: calling any `IDispatch` (`ComPtr<IDispatch>::invoke`, `call`, `get`, `put`):
//!   arguments in reverse order, named arguments, EXCEPINFO → [`ComError`].

pub mod client;
pub mod server;

use core::ffi::c_void;

use marshal_core::iunknown::IID_IDISPATCH;
use marshal_core::variant::{Variant, VARIANT};
use marshal_core::{Guid, Hresult};

use crate::bstr;
use crate::com_interface;
use crate::error::{ComError, ComResult};
use crate::interface::IUnknown;
use crate::object::ComClass;

/// A member or parameter identifier.
pub type DispId = i32;

/// `DISPID_VALUE`: the default member.
pub const DISPID_VALUE: DispId = 0;
/// `DISPID_UNKNOWN`: what `GetIDsOfNames` stores for a name it does not know.
pub const DISPID_UNKNOWN: DispId = -1;
/// `DISPID_PROPERTYPUT`: the named-argument id of the value in a property put.
pub const DISPID_PROPERTYPUT: DispId = -3;
/// `DISPID_NEWENUM`: `_NewEnum`.
pub const DISPID_NEWENUM: DispId = -4;

/// `DISPATCH_METHOD`.
pub const DISPATCH_METHOD: u16 = 0x1;
/// `DISPATCH_PROPERTYGET`.
pub const DISPATCH_PROPERTYGET: u16 = 0x2;
/// `DISPATCH_PROPERTYPUT`.
pub const DISPATCH_PROPERTYPUT: u16 = 0x4;
/// `DISPATCH_PROPERTYPUTREF`.
pub const DISPATCH_PROPERTYPUTREF: u16 = 0x8;

/// `IID_NULL`, the only `riid` `GetIDsOfNames` and `Invoke` accept.
pub const IID_NULL: Guid = Guid::NULL;

/// `DISPPARAMS`: the arguments of `Invoke`. Named arguments come first in `rgvarg` (matching
/// `rgdispid_named_args` one to one), then the positional ones **in reverse order** (the last
/// argument at `rgvarg[c_named_args]`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct DISPPARAMS {
    /// The arguments.
    pub rgvarg: *mut VARIANT,
    /// The DISPIDs of the named arguments.
    pub rgdispid_named_args: *mut DispId,
    /// Number of arguments.
    pub c_args: u32,
    /// Number of named arguments.
    pub c_named_args: u32,
}

/// `EXCEPINFO`: what a failed `Invoke` (`DISP_E_EXCEPTION`) reports. The BSTRs belong to the
/// caller after the call.
#[repr(C)]
#[derive(Debug)]
pub struct EXCEPINFO {
    /// An application error code (0 when `scode` is used).
    pub w_code: u16,
    /// Reserved.
    pub w_reserved: u16,
    /// Source (BSTR).
    pub bstr_source: *mut u16,
    /// Description (BSTR).
    pub bstr_description: *mut u16,
    /// Help file (BSTR).
    pub bstr_help_file: *mut u16,
    /// Help context.
    pub dw_help_context: u32,
    /// Reserved.
    pub pv_reserved: *mut c_void,
    /// Fills the other fields on demand, when non-null.
    pub pfn_deferred_fill_in: Option<unsafe extern "system" fn(*mut EXCEPINFO) -> Hresult>,
    /// The error (an HRESULT); 0 when `w_code` is used.
    pub scode: Hresult,
}

const _: () = assert!(core::mem::size_of::<DISPPARAMS>() == 8 + 2 * core::mem::size_of::<usize>());
#[cfg(target_pointer_width = "64")]
const _: () = assert!(core::mem::size_of::<EXCEPINFO>() == 64);

impl Default for EXCEPINFO {
    fn default() -> Self {
        EXCEPINFO {
            w_code: 0,
            w_reserved: 0,
            bstr_source: core::ptr::null_mut(),
            bstr_description: core::ptr::null_mut(),
            bstr_help_file: core::ptr::null_mut(),
            dw_help_context: 0,
            pv_reserved: core::ptr::null_mut(),
            pfn_deferred_fill_in: None,
            scode: Hresult::S_OK,
        }
    }
}

impl EXCEPINFO {
    /// Fills the fields from an error (BSTRs allocated here, owned by the receiver).
    pub fn fill_from(&mut self, error: &ComError) {
        let details = error.details().cloned().unwrap_or_default();
        *self = EXCEPINFO {
            scode: error.hresult(),
            bstr_description: bstr::alloc_str(&error.message()),
            bstr_source: details.source.as_deref().map_or(core::ptr::null_mut(), bstr::alloc_str),
            bstr_help_file: details.help_file.as_deref().map_or(core::ptr::null_mut(), bstr::alloc_str),
            dw_help_context: details.help_context,
            ..EXCEPINFO::default()
        };
    }

    /// The error an EXCEPINFO describes (after `DISP_E_EXCEPTION`), freeing its BSTRs: the
    /// HRESULT is `scode`, or `DISP_E_EXCEPTION` when only `w_code` is set; the deferred
    /// fill-in function is called first when present.
    ///
    /// # Safety
    ///
    /// The fields must be as a callee of `Invoke` left them: null or owned BSTRs.
    pub unsafe fn take_error(&mut self) -> ComError {
        if let Some(fill) = self.pfn_deferred_fill_in.take() {
            // SAFETY: the callee's own fill-in function, called on its EXCEPINFO as documented.
            unsafe { fill(self) };
        }
        // SAFETY: null or owned BSTRs (the caller's contract); each is read once and freed.
        let take = |b: &mut *mut u16| unsafe {
            let p = core::mem::replace(b, core::ptr::null_mut());
            let s = (!p.is_null()).then(|| bstr::to_string(p));
            bstr::free_bstr(p);
            s
        };
        let description = take(&mut self.bstr_description);
        let source = take(&mut self.bstr_source);
        let help_file = take(&mut self.bstr_help_file);
        let hr = if self.scode.is_err() { self.scode } else { Hresult::DISP_E_EXCEPTION };
        let mut details = crate::ErrorDetails {
            description,
            source,
            help_file,
            help_context: self.dw_help_context,
            ..Default::default()
        };
        if details.description.is_none() && self.w_code != 0 {
            details.description = Some(format!("Exception code {} from IDispatch::Invoke.", self.w_code));
        }
        ComError::from_parts(hr, Some(details))
    }
}

com_interface! {
    /// `IDispatch` {00020400-0000-0000-C000-000000000046}.
    pub interface IDispatch: IUnknown {
        iid = 0x00020400_0000_0000_C000_000000000046;
        vtable = IDispatchVtbl;
        impl = IDispatchImpl;
        /// `GetTypeInfoCount(UINT*)`: 1 if type information is available, else 0.
        fn get_type_info_count(&self, count: *mut u32) -> Hresult;
        /// `GetTypeInfo(UINT, LCID, ITypeInfo**)`.
        fn get_type_info(&self, index: u32, lcid: u32, type_info: *mut *mut c_void) -> Hresult;
        /// `GetIDsOfNames(REFIID, LPOLESTR*, UINT, LCID, DISPID*)`.
        fn get_ids_of_names(&self, iid: *const Guid, names: *const *const u16, count: u32, lcid: u32, ids: *mut DispId) -> Hresult;
        /// `Invoke(DISPID, REFIID, LCID, WORD, DISPPARAMS*, VARIANT*, EXCEPINFO*, UINT*)`.
        fn invoke(&self, dispid: DispId, iid: *const Guid, lcid: u32, flags: u16, params: *mut DISPPARAMS, result: *mut VARIANT, excep_info: *mut EXCEPINFO, arg_err: *mut u32) -> Hresult;
    }
}

const _: () = assert!(IID_IDISPATCH.to_u128() == 0x00020400_0000_0000_C000_000000000046);

/// The arguments of one `Invoke`, validated: borrowed from the caller (who owns them).
#[derive(Clone, Copy)]
pub struct DispParams<'a> {
    args: &'a [VARIANT],
    named: &'a [DispId],
}

impl<'a> DispParams<'a> {
    /// A view of a `DISPPARAMS`.
    ///
    /// # Safety
    ///
    /// `rgvarg` must point at `c_args` VARIANTs and `rgdispid_named_args` at `c_named_args`
    /// DISPIDs (either may be null when its count is 0), valid for `'a`.
    ///
    /// # Errors
    ///
    /// `E_INVALIDARG` for more named arguments than arguments, or a null array with a count.
    pub unsafe fn new(raw: &DISPPARAMS) -> Result<DispParams<'a>, Hresult> {
        if raw.c_named_args > raw.c_args
            || (raw.c_args > 0 && raw.rgvarg.is_null())
            || (raw.c_named_args > 0 && raw.rgdispid_named_args.is_null())
        {
            return Err(Hresult::E_INVALIDARG);
        }
        // SAFETY: non-null with the given counts (checked), valid for 'a (the caller's contract).
        unsafe {
            let args =
                if raw.c_args == 0 { &[][..] } else { core::slice::from_raw_parts(raw.rgvarg, raw.c_args as usize) };
            let named = if raw.c_named_args == 0 {
                &[][..]
            } else {
                core::slice::from_raw_parts(raw.rgdispid_named_args, raw.c_named_args as usize)
            };
            Ok(DispParams { args, named })
        }
    }

    /// Every argument in `rgvarg` order (named first, then positional last-to-first).
    pub fn rgvarg(&self) -> &'a [VARIANT] {
        self.args
    }

    /// The DISPIDs of the named arguments (`rgvarg[i]` is the value of `named()[i]`).
    pub fn named(&self) -> &'a [DispId] {
        self.named
    }

    /// Number of positional arguments.
    pub fn positional_count(&self) -> usize {
        self.args.len() - self.named.len()
    }

    /// Positional argument `k` in natural (left-to-right) order, with its `rgvarg` index.
    pub fn positional(&self, k: usize) -> Option<(usize, &'a VARIANT)> {
        let n = self.positional_count();
        (k < n).then(|| {
            let index = self.args.len() - 1 - k;
            (index, &self.args[index])
        })
    }
}

/// Why an `Invoke` failed, as the server reports it.
#[derive(Debug)]
pub enum InvokeError {
    /// A dispatch-level failure (`DISP_E_MEMBERNOTFOUND`, `DISP_E_TYPEMISMATCH`, …), with the
    /// `rgvarg` index of the offending argument where one applies (`puArgErr`).
    Dispatch {
        /// The HRESULT `Invoke` returns.
        hr: Hresult,
        /// The `rgvarg` index stored in `*puArgErr`.
        arg_err: Option<u32>,
    },
    /// The member itself failed: `Invoke` returns `DISP_E_EXCEPTION` and fills EXCEPINFO.
    Exception(ComError),
}

impl InvokeError {
    /// A dispatch-level failure without an argument index.
    pub fn hr(hr: Hresult) -> InvokeError {
        InvokeError::Dispatch { hr, arg_err: None }
    }

    /// A dispatch-level failure blaming the argument at `rgvarg[index]`.
    pub fn arg(hr: Hresult, index: usize) -> InvokeError {
        InvokeError::Dispatch { hr, arg_err: Some(index as u32) }
    }
}

impl From<ComError> for InvokeError {
    fn from(e: ComError) -> InvokeError {
        InvokeError::Exception(e)
    }
}

/// The server side of `IDispatch`: "invoke by DISPID with VARIANT arguments". Implemented by
/// [`server::DispatchTable`]-based objects and by any other dispatcher (a type-info-driven one).
/// A `ComClass` implementing it is an `IDispatch` COM object.
pub trait Dispatch {
    /// `GetIDsOfNames`: `names[0]` is a member, the rest its parameters. Fill `ids` (same
    /// length) and return `Err(DISP_E_UNKNOWNNAME)` if any name is unknown (its id
    /// [`DISPID_UNKNOWN`]).
    ///
    /// # Errors
    ///
    /// `DISP_E_UNKNOWNNAME`, or another failure of the dispatcher.
    fn ids_of_names(&self, names: &[String], lcid: u32, ids: &mut [DispId]) -> Result<(), Hresult>;

    /// `Invoke`: run member `dispid` as `flags` says with `params`; store the result in
    /// `result` when the caller wants one.
    ///
    /// # Errors
    ///
    /// See [`InvokeError`].
    fn invoke(
        &self,
        dispid: DispId,
        lcid: u32,
        flags: u16,
        params: DispParams<'_>,
        result: Option<&mut Variant>,
    ) -> Result<(), InvokeError>;

    /// `GetTypeInfoCount`: 0 unless the dispatcher has type information.
    fn type_info_count(&self) -> u32 {
        0
    }

    /// `GetTypeInfo`: an owned `ITypeInfo*`.
    ///
    /// # Errors
    ///
    /// `DISP_E_BADINDEX` (the default: no type information).
    fn type_info(&self, index: u32, lcid: u32) -> Result<*mut c_void, Hresult> {
        let _ = (index, lcid);
        Err(Hresult::DISP_E_BADINDEX)
    }
}

fn check_iid_null(iid: *const Guid) -> Result<(), Hresult> {
    // SAFETY: checked non-null; REFIID points at a GUID per the contract (read unaligned).
    if iid.is_null() || unsafe { iid.read_unaligned() } != IID_NULL {
        return Err(Hresult::DISP_E_UNKNOWNINTERFACE);
    }
    Ok(())
}

/// Failures of the raw methods go out as plain HRESULTs (no error object): `IDispatch`
/// reports member failures through EXCEPINFO, not the thread's error information.
fn plain(hr: Hresult) -> ComResult<()> {
    Err(ComError::from_hresult(hr).without_error_info())
}

impl<T: Dispatch + ComClass> IDispatchImpl for T {
    unsafe fn get_type_info_count(&self, count: *mut u32) -> ComResult<()> {
        if count.is_null() {
            return plain(Hresult::E_INVALIDARG);
        }
        // SAFETY: non-null, writable per the contract.
        unsafe { count.write(self.type_info_count()) };
        Ok(())
    }

    unsafe fn get_type_info(&self, index: u32, lcid: u32, type_info: *mut *mut c_void) -> ComResult<()> {
        if type_info.is_null() {
            return plain(Hresult::E_INVALIDARG);
        }
        // SAFETY: non-null, writable per the contract.
        unsafe { type_info.write(core::ptr::null_mut()) };
        match self.type_info(index, lcid) {
            Ok(p) => {
                // SAFETY: as above.
                unsafe { type_info.write(p) };
                Ok(())
            }
            Err(hr) => plain(hr),
        }
    }

    unsafe fn get_ids_of_names(
        &self,
        iid: *const Guid,
        names: *const *const u16,
        count: u32,
        lcid: u32,
        ids: *mut DispId,
    ) -> ComResult<()> {
        if let Err(hr) = check_iid_null(iid) {
            return plain(hr);
        }
        if names.is_null() || ids.is_null() || count == 0 {
            return plain(Hresult::E_INVALIDARG);
        }
        // No capacity from `count`: it is the caller's number, not a size to trust.
        let mut owned = Vec::new();
        for i in 0..count as usize {
            // SAFETY: `names` holds `count` pointers to NUL-terminated strings (the contract).
            let s = unsafe { bstr::wide_cstr_to_string(*names.add(i)) };
            match s {
                Some(s) => owned.push(s),
                None => return plain(Hresult::E_INVALIDARG),
            }
        }
        // SAFETY: `ids` holds `count` writable DISPIDs (the contract).
        let ids = unsafe { core::slice::from_raw_parts_mut(ids, count as usize) };
        ids.fill(DISPID_UNKNOWN);
        match self.ids_of_names(&owned, lcid, ids) {
            Ok(()) => Ok(()),
            Err(hr) => plain(hr),
        }
    }

    unsafe fn invoke(
        &self,
        dispid: DispId,
        iid: *const Guid,
        lcid: u32,
        flags: u16,
        params: *mut DISPPARAMS,
        result: *mut VARIANT,
        excep_info: *mut EXCEPINFO,
        arg_err: *mut u32,
    ) -> ComResult<()> {
        if let Err(hr) = check_iid_null(iid) {
            return plain(hr);
        }
        if params.is_null() {
            return plain(Hresult::E_INVALIDARG);
        }
        // SAFETY: the caller passes a valid DISPPARAMS whose arrays live for the call.
        let view = match unsafe { DispParams::new(&*params) } {
            Ok(v) => v,
            Err(hr) => return plain(hr),
        };
        let mut out = Variant::empty();
        let want_result = !result.is_null();
        match Dispatch::invoke(self, dispid, lcid, flags, view, want_result.then_some(&mut out)) {
            Ok(()) => {
                if want_result {
                    // The caller's VARIANT is [out]: overwritten, not cleared (it may be uninitialised).
                    // SAFETY: non-null and writable per the contract; ownership goes to the caller.
                    unsafe { result.write(out.into_raw()) };
                }
                Ok(())
            }
            Err(InvokeError::Dispatch { hr, arg_err: index }) => {
                if let (Some(i), false) = (index, arg_err.is_null()) {
                    // SAFETY: non-null and writable per the contract.
                    unsafe { arg_err.write(i) };
                }
                plain(hr)
            }
            Err(InvokeError::Exception(e)) => {
                if !excep_info.is_null() {
                    // SAFETY: non-null and writable; the caller owns the BSTRs afterwards.
                    unsafe { (*excep_info).fill_from(&e) };
                }
                plain(Hresult::DISP_E_EXCEPTION)
            }
        }
    }
}
