//! IDispatch on the COM ABI: a Rust object served through a [`DispatchTable`] (the equivalent of
//! `CreateStdDispatch`), and the late-bound client that calls any `IDispatch*` with the coercions and parameter
//! names of its type information.
//!
//! The server is a marshal-com CCW ([`marshal_com::ComObject`]) implementing [`IDispatch`]: `GetIDsOfNames` and
//! `Invoke` go to the table; the bound call goes to the object's [`Invokable::invoke`]; failures come back as
//! `DISP_E_*` with `puArgErr`, or `DISP_E_EXCEPTION` with a filled `EXCEPINFO`.

use core::ffi::c_void;

use marshal_com::{com_interface, ComClass, ComError, ComObject, ComPtr, ComResult, IUnknown};
use marshal_core::variant::{Variant, VariantRef, VARIANT};
use marshal_core::{Bstr, Guid, Hresult, BSTR};

use crate::com_reader::read_type_info;
use crate::com_typeinfo::{ITypeInfo, TypeLibObject};
use crate::dispatch::{
    BoundCall, DispatchTable, Exception, InvokeError, DISPATCH_PROPERTYPUT, DISPATCH_PROPERTYPUTREF, DISPID_PROPERTYPUT,
};

/// `DISPPARAMS`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct DispParams {
    /// `rgvarg`: the arguments, last first.
    pub args: *mut VARIANT,
    /// `rgdispidNamedArgs`.
    pub named: *mut i32,
    /// `cArgs`.
    pub count: u32,
    /// `cNamedArgs`.
    pub named_count: u32,
}

/// `EXCEPINFO`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ExcepInfo {
    /// `wCode`.
    pub code: u16,
    /// `wReserved`.
    pub reserved: u16,
    /// `bstrSource`.
    pub source: BSTR,
    /// `bstrDescription`.
    pub description: BSTR,
    /// `bstrHelpFile`.
    pub help_file: BSTR,
    /// `dwHelpContext`.
    pub help_context: u32,
    /// `pvReserved`.
    pub reserved2: *mut c_void,
    /// `pfnDeferredFillIn`.
    pub deferred_fill_in: *mut c_void,
    /// `scode`.
    pub scode: i32,
}

const _: () = assert!(core::mem::size_of::<ExcepInfo>() == if cfg!(target_pointer_width = "64") { 64 } else { 32 });

com_interface! {
    /// `IDispatch`.
    pub interface IDispatch: IUnknown {
        iid = 0x00020400_0000_0000_c000_000000000046;
        vtable = IDispatchVtbl;
        impl = IDispatchImpl;
        /// `GetTypeInfoCount(UINT *pctinfo)`.
        fn get_type_info_count(&self, count: *mut u32) -> Hresult;
        /// `GetTypeInfo(UINT iTInfo, LCID lcid, ITypeInfo **ppTInfo)`.
        fn get_type_info(&self, index: u32, lcid: u32, info: *mut *mut c_void) -> Hresult;
        /// `GetIDsOfNames(REFIID riid, LPOLESTR *rgszNames, UINT cNames, LCID lcid, DISPID *rgDispId)`.
        fn get_ids_of_names(&self, iid: *const Guid, names: *const *const u16, count: u32, lcid: u32, ids: *mut i32) -> Hresult;
        /// `Invoke(DISPID, REFIID, LCID, WORD wFlags, DISPPARAMS*, VARIANT *pVarResult, EXCEPINFO*, UINT *puArgErr)`.
        fn invoke(&self, id: i32, iid: *const Guid, lcid: u32, flags: u16, params: *mut DispParams, result: *mut VARIANT, excepinfo: *mut ExcepInfo, arg_err: *mut u32) -> Hresult;
    }
}

/// A Rust object callable through a [`DispatchTable`].
pub trait Invokable: Send + Sync + 'static {
    /// Runs a bound call (arguments already placed and coerced); returns the result (`VT_EMPTY` for none).
    fn invoke(&self, call: &BoundCall<'_>) -> Result<Variant, Exception>;
}

/// The `CreateStdDispatch` object: a table and the object it serves, and the type it hands out as its
/// `ITypeInfo` when it was made from a library ([`StdDispatch::with_type_info`]).
pub struct StdDispatch<T: Invokable> {
    table: DispatchTable,
    object: T,
    /// The served library and the index of the type `GetTypeInfo` reports.
    type_info: Option<(TypeLibObject, usize)>,
}

impl<T: Invokable> ComClass for StdDispatch<T> {
    type Interfaces = (IDispatch,);
}

impl<T: Invokable> StdDispatch<T> {
    /// Exposes `object` as an IDispatch whose members are `table`'s (`CreateStdDispatch`).
    ///
    /// Such an object has no type information to hand out: `GetTypeInfoCount` reports 0.
    pub fn create(table: DispatchTable, object: T) -> ComResult<ComPtr<IDispatch>> {
        ComObject::create_as::<IDispatch>(StdDispatch { table, object, type_info: None })
    }

    /// Exposes `object` as an IDispatch described by type `index` of the served library `lib` (a dual interface
    /// or a dispinterface), as `CreateStdDispatch` does with an `ITypeInfo`: the members come from the type, and
    /// `GetTypeInfo(0)` hands a caller that type as an [`ITypeInfo`] object (`GetTypeInfoCount` reports 1).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use marshal_typelib::com_typeinfo::TypeLibObject;
    /// # use marshal_typelib::std_dispatch::{Invokable, StdDispatch};
    /// # fn demo(lib: marshal_typelib::TypeLib, object: impl Invokable) {
    /// let served = TypeLibObject::new(lib, Arc::new(()));
    /// let index = served.lib().find_type("IMyDual").unwrap();
    /// let dispatch = StdDispatch::with_type_info(&served, index, object).unwrap();
    /// # }
    /// ```
    pub fn with_type_info(lib: &TypeLibObject, index: usize, object: T) -> crate::Result<ComPtr<IDispatch>> {
        if index >= lib.lib().types.len() {
            return Err(crate::TypeLibError::BadIndex {
                what: "type index",
                index: index as i64,
                limit: lib.lib().types.len() as u64,
            });
        }
        let table = DispatchTable::from_type_info(lib.lib(), index, lib.resolver())?;
        ComObject::create_as::<IDispatch>(StdDispatch { table, object, type_info: Some((lib.clone(), index)) })
            .map_err(|e| crate::TypeLibError::ComCall { what: "creating the IDispatch object", hr: e.hresult().0 })
    }
}

/// A NUL-terminated UTF-16 string from a caller (bounded, so a missing terminator cannot run forever).
///
/// # Safety
/// `p` must be null or point to readable UTF-16 units up to a NUL or `limit`.
unsafe fn wide(p: *const u16, limit: usize) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let mut n = 0;
    // SAFETY: the caller's contract: readable up to the terminator.
    while n < limit && unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    // SAFETY: the `n` units just read.
    Some(String::from_utf16_lossy(unsafe { core::slice::from_raw_parts(p, n) }))
}

fn bstr_of(s: &Option<String>) -> BSTR {
    match s {
        Some(s) => {
            let units: Vec<u16> = s.encode_utf16().collect();
            Bstr::from_wide(&units).map(Bstr::into_raw).unwrap_or(core::ptr::null_mut())
        }
        None => core::ptr::null_mut(),
    }
}

// The CCW calls these with the caller's pointers, which the IDispatch contract defines; each use says why it holds.
impl<T: Invokable> IDispatchImpl for StdDispatch<T> {
    unsafe fn get_type_info_count(&self, count: *mut u32) -> ComResult<()> {
        if count.is_null() {
            return Err(ComError::from_hresult(Hresult::E_INVALIDARG));
        }
        // SAFETY: checked non-null; the caller passes a writable UINT.
        unsafe { count.write(self.type_info.is_some() as u32) };
        Ok(())
    }

    unsafe fn get_type_info(&self, index: u32, _lcid: u32, info: *mut *mut c_void) -> ComResult<()> {
        if info.is_null() {
            return Err(ComError::from_hresult(Hresult::E_INVALIDARG));
        }
        // SAFETY: checked non-null; the caller passes a writable pointer.
        unsafe { info.write(core::ptr::null_mut()) };
        match (&self.type_info, index) {
            (Some((lib, i)), 0) => {
                let object = lib.dispatch_type_info(*i).ok_or(ComError::from_hresult(Hresult::DISP_E_BADINDEX))?;
                // SAFETY: checked non-null; the new reference goes to the caller.
                unsafe { info.write(object.into_raw()) };
                Ok(())
            }
            _ => Err(ComError::from_hresult(Hresult::DISP_E_BADINDEX)),
        }
    }

    unsafe fn get_ids_of_names(
        &self,
        _iid: *const Guid,
        names: *const *const u16,
        count: u32,
        _lcid: u32,
        ids: *mut i32,
    ) -> ComResult<()> {
        if names.is_null() || ids.is_null() || count == 0 {
            return Err(ComError::from_hresult(Hresult::E_INVALIDARG));
        }
        let mut list = Vec::with_capacity(count.min(32) as usize);
        for i in 0..count as usize {
            // SAFETY: the caller passes `count` name pointers, each a NUL-terminated string.
            let name = unsafe { wide(*names.add(i), 4096) }.ok_or(ComError::from_hresult(Hresult::E_INVALIDARG))?;
            list.push(name);
        }
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        let (result, found) = match self.table.get_ids_of_names(&refs) {
            Ok(ids) => (Ok(()), ids),
            Err((hr, ids)) => (Err(ComError::from_hresult(hr)), ids),
        };
        for (i, id) in found.iter().enumerate() {
            // SAFETY: the caller passes room for `count` DISPIDs.
            unsafe { ids.add(i).write(*id) };
        }
        result
    }

    unsafe fn invoke(
        &self,
        id: i32,
        _iid: *const Guid,
        lcid: u32,
        flags: u16,
        params: *mut DispParams,
        result: *mut VARIANT,
        excepinfo: *mut ExcepInfo,
        arg_err: *mut u32,
    ) -> ComResult<()> {
        if params.is_null() {
            return Err(ComError::from_hresult(Hresult::E_INVALIDARG));
        }
        // SAFETY: checked non-null; the caller passes a DISPPARAMS.
        let p = unsafe { *params };
        if (p.count > 0 && p.args.is_null()) || (p.named_count > 0 && p.named.is_null()) || p.named_count > p.count {
            return Err(ComError::from_hresult(Hresult::E_INVALIDARG));
        }
        // Sized by what is read, not by the caller's count (which is not to be trusted with an allocation).
        let mut args = Vec::with_capacity((p.count as usize).min(32));
        for i in 0..p.count as usize {
            // SAFETY: `count` VARIANTs at `args` (caller contract); validated before use.
            let raw = unsafe { &*p.args.add(i) };
            // SAFETY: the caller's VARIANT is valid and stays alive during the call.
            let arg = unsafe { VariantRef::new(raw) }
                .map_err(|e| ComError::from_hresult(e.into()))?
                .to_owned()
                .map_err(ComError::from_hresult)?;
            args.push(arg);
        }
        let named: Vec<i32> = (0..p.named_count as usize)
            // SAFETY: `named_count` DISPIDs at `named` (caller contract).
            .map(|i| unsafe { *p.named.add(i) })
            .collect();
        let mut run = |call: &BoundCall<'_>| self.object.invoke(call);
        match self.table.invoke(id, flags, &args, &named, lcid, &mut run) {
            Ok(value) => {
                if !result.is_null() {
                    // SAFETY: the caller passes a VARIANT to receive the result (VariantInit'ed).
                    unsafe { result.write(value.into_raw()) };
                }
                Ok(())
            }
            Err(InvokeError::Argument { hr, arg_err: at }) => {
                if !arg_err.is_null() {
                    // SAFETY: the caller passes a writable UINT.
                    unsafe { arg_err.write(at) };
                }
                Err(ComError::from_hresult(hr))
            }
            Err(InvokeError::Exception(e)) => {
                if !excepinfo.is_null() {
                    let info = ExcepInfo {
                        code: e.code,
                        reserved: 0,
                        source: bstr_of(&e.source),
                        description: bstr_of(&e.description),
                        help_file: bstr_of(&e.help_file),
                        help_context: e.help_context,
                        reserved2: core::ptr::null_mut(),
                        deferred_fill_in: core::ptr::null_mut(),
                        scode: if e.code != 0 { 0 } else { e.scode },
                    };
                    // SAFETY: the caller passes an EXCEPINFO to fill.
                    unsafe { excepinfo.write(info) };
                }
                Err(ComError::from_hresult(Hresult::DISP_E_EXCEPTION))
            }
            Err(e) => Err(ComError::from_hresult(e.hresult())),
        }
    }
}

/// A late-bound client: calls an `IDispatch*` by member name, with the DISPIDs, argument coercions and
/// parameter names of the object's type information (the library's, so the object's own `GetIDsOfNames` is
/// not needed).
pub struct LateBound {
    table: DispatchTable,
    object: ComPtr<IDispatch>,
    lcid: u32,
}

impl LateBound {
    /// A client for `object`, described by `table`, calling with locale `lcid`.
    pub fn new(object: ComPtr<IDispatch>, table: DispatchTable, lcid: u32) -> LateBound {
        LateBound { table, object, lcid }
    }

    /// A client for `object` described by its own type information: `IDispatch::GetTypeInfo(0, lcid)` read through
    /// the `ITypeInfo` methods ([`crate::com_reader::read_type_info`]). An object without type information
    /// (`GetTypeInfoCount` 0) or whose `ITypeInfo` answers nonsense is a [`crate::TypeLibError`].
    pub fn from_dispatch(object: ComPtr<IDispatch>, lcid: u32) -> crate::Result<LateBound> {
        let mut count = 0u32;
        // SAFETY: a live IDispatch; `count` is a local.
        let hr = unsafe { object.get_type_info_count(&mut count) };
        if hr.is_err() {
            return Err(crate::TypeLibError::ComCall { what: "IDispatch::GetTypeInfoCount", hr: hr.0 });
        }
        if count == 0 {
            return Err(crate::TypeLibError::ComCall {
                what: "IDispatch::GetTypeInfoCount (no type information)",
                hr: Hresult::DISP_E_BADINDEX.0,
            });
        }
        let mut raw = core::ptr::null_mut();
        // SAFETY: a live IDispatch; `raw` is a local.
        let hr = unsafe { object.get_type_info(0, lcid, &mut raw) };
        // SAFETY: the reference written (if any) is ours.
        let info = unsafe { ComPtr::<ITypeInfo>::from_raw(raw) };
        if hr.is_err() {
            return Err(crate::TypeLibError::ComCall { what: "IDispatch::GetTypeInfo", hr: hr.0 });
        }
        let info =
            info.ok_or(crate::TypeLibError::BadValue { what: "GetTypeInfo returned a null ITypeInfo", value: 0 })?;
        let (lib, index) = read_type_info(&info)?;
        let table = DispatchTable::from_type_info(&lib, index, &())?;
        Ok(LateBound { table, object, lcid })
    }

    /// The table the client binds calls with.
    pub fn table(&self) -> &DispatchTable {
        &self.table
    }

    /// Calls member `name` with `flags` (`DISPATCH_METHOD`, `DISPATCH_PROPERTYGET`, …): positional `args` in
    /// declaration order and `named` arguments by parameter name. The arguments are bound and coerced with the
    /// type information first, so the object receives every parameter in its declared type (omitted optional
    /// ones as "missing"); then `IDispatch::Invoke` runs.
    pub fn call(
        &self,
        name: &str,
        flags: u16,
        args: &[Variant],
        named: &[(&str, Variant)],
    ) -> Result<Variant, InvokeError> {
        let mut names = vec![name];
        names.extend(named.iter().map(|(n, _)| *n));
        let ids = self.table.get_ids_of_names(&names).map_err(|(hr, _)| InvokeError::Hresult(hr))?;
        let clone = |v: &Variant| v.try_clone().map_err(InvokeError::Hresult);
        let is_put = flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF) != 0;
        // DISPPARAMS order for binding: a put's value (the last positional argument, named DISPID_PROPERTYPUT),
        // the named arguments, then the positional ones last-first.
        let mut positional: Vec<&Variant> = args.iter().collect();
        let mut rgvarg = Vec::with_capacity(args.len() + named.len());
        let mut rg_ids = Vec::with_capacity(named.len() + 1);
        if is_put {
            let v = positional.pop().ok_or(InvokeError::Hresult(Hresult::DISP_E_PARAMNOTOPTIONAL))?;
            rgvarg.push(clone(v)?);
            rg_ids.push(DISPID_PROPERTYPUT);
        }
        for (i, (_, v)) in named.iter().enumerate() {
            rgvarg.push(clone(v)?);
            rg_ids.push(ids[1 + i]);
        }
        for v in positional.into_iter().rev() {
            rgvarg.push(clone(v)?);
        }
        let call = self.table.bind(ids[0], flags, &rgvarg, &rg_ids, self.lcid)?;
        // Every parameter, coerced, goes positionally (the [lcid] one excepted: Invoke supplies the locale); a
        // put's value stays named DISPID_PROPERTYPUT.
        let lcid_at = self.table.lcid_position(ids[0], flags);
        let mut send: Vec<Variant> =
            call.args.into_iter().enumerate().filter(|(i, _)| Some(*i) != lcid_at).map(|(_, v)| v).collect();
        let mut send_named = Vec::new();
        let value = if is_put { send.pop() } else { None };
        send.reverse();
        if let Some(v) = value {
            send.insert(0, v);
            send_named.push(DISPID_PROPERTYPUT);
        }
        let mut raw: Vec<VARIANT> = send.into_iter().map(Variant::into_raw).collect();
        let mut params = DispParams {
            args: raw.as_mut_ptr(),
            named: send_named.as_mut_ptr(),
            count: raw.len() as u32,
            named_count: send_named.len() as u32,
        };
        let mut result = Variant::empty().into_raw();
        let mut arg_err = 0u32;
        let mut info = ExcepInfo {
            code: 0,
            reserved: 0,
            source: core::ptr::null_mut(),
            description: core::ptr::null_mut(),
            help_file: core::ptr::null_mut(),
            help_context: 0,
            reserved2: core::ptr::null_mut(),
            deferred_fill_in: core::ptr::null_mut(),
            scode: 0,
        };
        // SAFETY: a live IDispatch; every pointer is to a local that outlives the call.
        let hr = unsafe {
            self.object.invoke(ids[0], &Guid::NULL, self.lcid, flags, &mut params, &mut result, &mut info, &mut arg_err)
        };
        for v in raw {
            // SAFETY: the arguments were ours (into_raw above); the callee does not keep them.
            drop(unsafe { Variant::from_raw(v) });
        }
        // SAFETY: the callee wrote a valid VARIANT (or left the empty one), now owned by us.
        let result = unsafe { Variant::from_raw(result) }.map_err(|e| InvokeError::Hresult(e.into()))?;
        let take = |b: BSTR| -> Option<String> {
            if b.is_null() {
                None
            } else {
                // SAFETY: a BSTR the callee allocated for us; taken over and freed here.
                let s = unsafe { Bstr::from_raw(b) };
                Some(String::from_utf16_lossy(s.as_wide()))
            }
        };
        match hr {
            h if h.is_ok() => Ok(result),
            Hresult::DISP_E_EXCEPTION => Err(InvokeError::Exception(Exception {
                code: info.code,
                scode: info.scode,
                source: take(info.source),
                description: take(info.description),
                help_file: take(info.help_file),
                help_context: info.help_context,
            })),
            h @ (Hresult::DISP_E_TYPEMISMATCH | Hresult::DISP_E_PARAMNOTFOUND) => {
                Err(InvokeError::Argument { hr: h, arg_err })
            }
            h => Err(InvokeError::Hresult(h)),
        }
    }
}
