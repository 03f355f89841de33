//! Calling any `IDispatch`: names → DISPIDs, `Invoke` with arguments in natural order (they go
//! into `DISPPARAMS` reversed, named arguments first), EXCEPINFO and `puArgErr` → [`ComError`].
//!
//! ```
//! use marshal_com::dispatch::server::{DispatchObject, DispatchTable, Param};
//! use marshal_core::{VarType, Variant};
//! use std::sync::{Arc, Mutex};
//!
//! let table = DispatchTable::<Mutex<String>>::builder()
//!     .property_get("Name", 1, [], |s, _| Ok(Variant::from(s.lock().unwrap().as_str())))
//!     .property_put("Name", 1, [Param::new("value", VarType::BSTR)], |s, a| {
//!         *s.lock().unwrap() = String::try_from(&a[0]).unwrap();
//!         Ok(())
//!     })
//!     .build();
//! let obj = DispatchObject::create(Mutex::new("old".into()), Arc::new(table));
//! obj.put("Name", Variant::from("new")).unwrap();
//! assert_eq!(String::try_from(&obj.get("name").unwrap()).unwrap(), "new");
//! ```

use marshal_core::variant::{Variant, VARIANT};
use marshal_core::Hresult;

use super::{
    DispId, IDispatch, DISPATCH_METHOD, DISPATCH_PROPERTYGET, DISPATCH_PROPERTYPUT, DISPATCH_PROPERTYPUTREF,
    DISPID_PROPERTYPUT, DISPPARAMS, EXCEPINFO, IID_NULL,
};
use crate::comptr::ComPtr;
use crate::error::{ComError, ComResult, ErrorDetails};

/// `LOCALE_USER_DEFAULT`, the locale the convenience calls pass.
pub const LOCALE_USER_DEFAULT: u32 = 0x0400;

impl ComPtr<IDispatch> {
    /// `GetIDsOfNames` for a member and (optionally) its parameters' names.
    ///
    /// # Errors
    ///
    /// `DISP_E_UNKNOWNNAME` (description naming the unknown names) or the call's failure.
    pub fn ids_of_names(&self, names: &[&str]) -> ComResult<Vec<DispId>> {
        let wide: Vec<Vec<u16>> = names.iter().map(|n| n.encode_utf16().chain([0]).collect()).collect();
        let ptrs: Vec<*const u16> = wide.iter().map(|w| w.as_ptr()).collect();
        let mut ids = vec![super::DISPID_UNKNOWN; names.len()];
        // SAFETY: `ptrs` holds `names.len()` NUL-terminated strings and `ids` as many slots.
        let hr = unsafe {
            self.get_ids_of_names(&IID_NULL, ptrs.as_ptr(), ptrs.len() as u32, LOCALE_USER_DEFAULT, ids.as_mut_ptr())
        };
        if hr == Hresult::DISP_E_UNKNOWNNAME {
            let unknown: Vec<&str> =
                names.iter().zip(&ids).filter(|(_, &id)| id == super::DISPID_UNKNOWN).map(|(n, _)| *n).collect();
            return Err(ComError::with_message(hr, format!("Unknown name: {}", unknown.join(", "))));
        }
        self.check(hr)?;
        Ok(ids)
    }

    /// The DISPID of one member.
    ///
    /// # Errors
    ///
    /// As [`Self::ids_of_names`].
    pub fn id_of_name(&self, name: &str) -> ComResult<DispId> {
        Ok(self.ids_of_names(&[name])?[0])
    }

    /// `Invoke(dispid, IID_NULL, lcid, flags, …)` with `args` in natural order and `named`
    /// arguments (DISPID, value). Arguments are passed by value (borrowed: the callee must not
    /// free them). Returns the result VARIANT (`VT_EMPTY` when the member returns nothing).
    ///
    /// # Errors
    ///
    /// `DISP_E_EXCEPTION` becomes the error EXCEPINFO describes (kind from its `scode`, text
    /// from its description); other failures carry `puArgErr` in
    /// [`ErrorDetails::arg_error`] when the callee set it.
    pub fn invoke_with(
        &self,
        dispid: DispId,
        lcid: u32,
        flags: u16,
        args: &[Variant],
        named: &[(DispId, &Variant)],
    ) -> ComResult<Variant> {
        // Named arguments first (in the order of their DISPIDs), then the positional ones reversed.
        let mut rgvarg: Vec<VARIANT> = Vec::with_capacity(args.len() + named.len());
        rgvarg.extend(named.iter().map(|(_, v)| *v.as_raw()));
        rgvarg.extend(args.iter().rev().map(|v| *v.as_raw()));
        let mut ids: Vec<DispId> = named.iter().map(|(id, _)| *id).collect();
        let mut params = DISPPARAMS {
            rgvarg: if rgvarg.is_empty() { core::ptr::null_mut() } else { rgvarg.as_mut_ptr() },
            rgdispid_named_args: if ids.is_empty() { core::ptr::null_mut() } else { ids.as_mut_ptr() },
            c_args: rgvarg.len() as u32,
            c_named_args: ids.len() as u32,
        };
        let mut result = VARIANT::EMPTY;
        let mut excep = EXCEPINFO::default();
        let mut arg_err = u32::MAX;
        // SAFETY: every pointer is valid for the call; the argument VARIANTs are shallow copies
        // the callee only reads (DISPPARAMS arguments are [in]).
        let hr =
            unsafe { self.invoke(dispid, &IID_NULL, lcid, flags, &mut params, &mut result, &mut excep, &mut arg_err) };
        // SAFETY: the callee left null or owned BSTRs in EXCEPINFO.
        let from_excep = unsafe { excep.take_error() };
        if hr == Hresult::DISP_E_EXCEPTION {
            return Err(from_excep);
        }
        if hr.is_err() {
            let mut details = match self.check(hr) {
                Err(e) => e.details().cloned(),
                Ok(()) => None,
            }
            .unwrap_or_default();
            if arg_err != u32::MAX {
                details.arg_error = Some(arg_err);
            }
            let has_details = details != ErrorDetails::default();
            return Err(ComError::from_parts(hr, has_details.then_some(details)));
        }
        // SAFETY: on success the result VARIANT is the caller's, owning its payload.
        unsafe { Variant::from_raw(result) }.map_err(|e| {
            ComError::with_message(e.hresult(), format!("IDispatch::Invoke returned an invalid VARIANT: {e}"))
        })
    }

    /// [`Self::invoke_with`] under `LOCALE_USER_DEFAULT`.
    ///
    /// # Errors
    ///
    /// As [`Self::invoke_with`].
    pub fn invoke_id(&self, dispid: DispId, flags: u16, args: &[Variant]) -> ComResult<Variant> {
        self.invoke_with(dispid, LOCALE_USER_DEFAULT, flags, args, &[])
    }

    /// Calls method `name` (`DISPATCH_METHOD`).
    ///
    /// # Errors
    ///
    /// An unknown name, or the failure of the call.
    pub fn call(&self, name: &str, args: &[Variant]) -> ComResult<Variant> {
        let id = self.id_of_name(name)?;
        self.invoke_id(id, DISPATCH_METHOD, args)
    }

    /// Reads property `name` (`DISPATCH_PROPERTYGET`).
    ///
    /// # Errors
    ///
    /// An unknown name, or the failure of the call.
    pub fn get(&self, name: &str) -> ComResult<Variant> {
        let id = self.id_of_name(name)?;
        self.invoke_id(id, DISPATCH_PROPERTYGET, &[])
    }

    /// Writes property `name` (`DISPATCH_PROPERTYPUT`, the value as the named argument
    /// `DISPID_PROPERTYPUT`).
    ///
    /// # Errors
    ///
    /// An unknown name, or the failure of the call.
    pub fn put(&self, name: &str, value: Variant) -> ComResult<()> {
        let id = self.id_of_name(name)?;
        self.invoke_with(id, LOCALE_USER_DEFAULT, DISPATCH_PROPERTYPUT, &[], &[(DISPID_PROPERTYPUT, &value)]).map(drop)
    }

    /// Writes property `name` by reference (`DISPATCH_PROPERTYPUTREF`).
    ///
    /// # Errors
    ///
    /// An unknown name, or the failure of the call.
    pub fn put_ref(&self, name: &str, value: Variant) -> ComResult<()> {
        let id = self.id_of_name(name)?;
        self.invoke_with(id, LOCALE_USER_DEFAULT, DISPATCH_PROPERTYPUTREF, &[], &[(DISPID_PROPERTYPUT, &value)])
            .map(drop)
    }
}
