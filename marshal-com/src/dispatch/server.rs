//! A ready `IDispatch` server for Rust objects: a [`DispatchTable`] lists members by name and
//! DISPID with their parameters' VARTYPEs; [`DispatchObject`] pairs it with the object's state
//! and is the COM object.
//!
//! Invoke follows oleaut32's `ITypeInfo::Invoke` (Wine `typelib.c`):
//!
//! | situation | result |
//! |---|---|
//! | `riid` not `IID_NULL` | `DISP_E_UNKNOWNINTERFACE` |
//! | no member with that DISPID accepting those `wFlags` | `DISP_E_MEMBERNOTFOUND` |
//! | property put whose first named argument is not `DISPID_PROPERTYPUT` | `DISP_E_PARAMNOTFOUND` |
//! | a named argument naming no parameter | `DISP_E_PARAMNOTFOUND`, `*puArgErr` = its `rgvarg` index |
//! | too many positional arguments, or a required one absent | `DISP_E_BADPARAMCOUNT` |
//! | a required argument passed as "missing" (`VT_ERROR` `DISP_E_PARAMNOTFOUND`) | `DISP_E_PARAMNOTOPTIONAL`, `*puArgErr` |
//! | an argument `VariantChangeTypeEx` cannot convert | its HRESULT (`DISP_E_TYPEMISMATCH`, `DISP_E_OVERFLOW`, …), `*puArgErr` |
//! | the member fails | `DISP_E_EXCEPTION`, EXCEPINFO filled (`scode` = the error's HRESULT) |
//!
//! An optional parameter that is absent or "missing" gets its default, or `VT_ERROR`
//! `DISP_E_PARAMNOTFOUND` when it has none (as oleaut32 passes it). A parameter of type
//! `VT_VARIANT` receives a copy of the argument as is.
//!
//! ```
//! use marshal_com::dispatch::server::{DispatchObject, DispatchTable, Param};
//! use marshal_com::dispatch::{IDispatch, DISPATCH_METHOD};
//! use marshal_core::{VarType, Variant};
//! use std::sync::Arc;
//!
//! struct Calc;
//! let table = DispatchTable::<Calc>::builder()
//!     .method("Add", 1, [Param::new("a", VarType::I4), Param::new("b", VarType::I4)], |_, args| {
//!         let (a, b) = (i32::try_from(&args[0]).unwrap(), i32::try_from(&args[1]).unwrap());
//!         Ok(Variant::from(a + b))
//!     })
//!     .build();
//! let disp = DispatchObject::create(Calc, Arc::new(table));
//! // "40" is coerced to VT_I4 by VariantChangeType, as an oleaut32 server does.
//! let sum = disp.call("add", &[Variant::from("40"), Variant::from(2i32)]).unwrap();
//! assert_eq!(i32::try_from(&sum), Ok(42));
//! ```

use std::sync::Arc;

use smallvec::SmallVec;

use marshal_core::variant::{change_type_raw, Variant, VariantRef, VARIANT};
use marshal_core::{Hresult, VarType};

use super::{
    DispId, DispParams, Dispatch, IDispatch, InvokeError, DISPATCH_METHOD, DISPATCH_PROPERTYGET, DISPATCH_PROPERTYPUT,
    DISPATCH_PROPERTYPUTREF, DISPID_PROPERTYPUT, DISPID_UNKNOWN,
};
use crate::comptr::ComPtr;
use crate::error::ComResult;
use crate::object::{ComClass, ComObject};

/// A member's implementation: the object's state and the arguments, coerced to the declared
/// types, in parameter order (the value of a property put last).
pub type Handler<S> = Box<dyn Fn(&S, &[Variant]) -> ComResult<Variant> + Send + Sync>;

/// A parameter: name (for named arguments), VARTYPE it is coerced to, optional or not.
pub struct Param {
    name: String,
    vt: VarType,
    optional: bool,
    default: Option<Box<dyn Fn() -> Variant + Send + Sync>>,
}

impl Param {
    /// A required parameter of type `vt` (`VarType::VARIANT` takes any argument as is).
    pub fn new(name: &str, vt: VarType) -> Param {
        Param { name: name.to_owned(), vt, optional: false, default: None }
    }

    /// Makes it optional: absent, it is passed as `VT_ERROR` `DISP_E_PARAMNOTFOUND`.
    pub fn optional(mut self) -> Param {
        self.optional = true;
        self
    }

    /// Makes it optional with a default value (`[optional, defaultvalue(…)]`).
    pub fn with_default(mut self, default: impl Fn() -> Variant + Send + Sync + 'static) -> Param {
        self.optional = true;
        self.default = Some(Box::new(default));
        self
    }
}

struct Member<S> {
    name: String,
    dispid: DispId,
    invkind: u16,
    params: Vec<Param>,
    handler: Handler<S>,
}

/// The members of a dispatch interface: methods and properties by name and DISPID.
pub struct DispatchTable<S> {
    members: Vec<Member<S>>,
}

/// Builds a [`DispatchTable`].
pub struct DispatchTableBuilder<S> {
    members: Vec<Member<S>>,
}

impl<S> DispatchTable<S> {
    /// An empty builder.
    pub fn builder() -> DispatchTableBuilder<S> {
        DispatchTableBuilder { members: Vec::new() }
    }
}

impl<S> DispatchTableBuilder<S> {
    fn member(
        mut self,
        name: &str,
        dispid: DispId,
        invkind: u16,
        params: Vec<Param>,
        handler: impl Fn(&S, &[Variant]) -> ComResult<Variant> + Send + Sync + 'static,
    ) -> Self {
        self.members.push(Member { name: name.to_owned(), dispid, invkind, params, handler: Box::new(handler) });
        self
    }

    /// A method (`DISPATCH_METHOD`).
    pub fn method(
        self,
        name: &str,
        dispid: DispId,
        params: impl IntoIterator<Item = Param>,
        handler: impl Fn(&S, &[Variant]) -> ComResult<Variant> + Send + Sync + 'static,
    ) -> Self {
        self.member(name, dispid, DISPATCH_METHOD, params.into_iter().collect(), handler)
    }

    /// A property getter (`DISPATCH_PROPERTYGET`), optionally with index parameters.
    pub fn property_get(
        self,
        name: &str,
        dispid: DispId,
        params: impl IntoIterator<Item = Param>,
        handler: impl Fn(&S, &[Variant]) -> ComResult<Variant> + Send + Sync + 'static,
    ) -> Self {
        self.member(name, dispid, DISPATCH_PROPERTYGET, params.into_iter().collect(), handler)
    }

    /// A property setter (`DISPATCH_PROPERTYPUT`): `params` are the index parameters and the
    /// value, last. The handler's result is ignored.
    pub fn property_put(
        self,
        name: &str,
        dispid: DispId,
        params: impl IntoIterator<Item = Param>,
        handler: impl Fn(&S, &[Variant]) -> ComResult<()> + Send + Sync + 'static,
    ) -> Self {
        let params = params.into_iter().collect();
        self.member(name, dispid, DISPATCH_PROPERTYPUT, params, move |s, a| handler(s, a).map(|()| Variant::empty()))
    }

    /// A by-reference property setter (`DISPATCH_PROPERTYPUTREF`), as [`Self::property_put`].
    pub fn property_put_ref(
        self,
        name: &str,
        dispid: DispId,
        params: impl IntoIterator<Item = Param>,
        handler: impl Fn(&S, &[Variant]) -> ComResult<()> + Send + Sync + 'static,
    ) -> Self {
        let params = params.into_iter().collect();
        self.member(name, dispid, DISPATCH_PROPERTYPUTREF, params, move |s, a| handler(s, a).map(|()| Variant::empty()))
    }

    /// The table.
    pub fn build(self) -> DispatchTable<S> {
        DispatchTable { members: self.members }
    }
}

/// oleaut32 compares names case-insensitively.
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
}

/// `VT_ERROR` carrying `DISP_E_PARAMNOTFOUND`: how a caller marks an optional argument as omitted.
pub fn is_missing(v: &VARIANT) -> bool {
    // SAFETY: VT_ERROR's payload is the i32 member of the union.
    v.vt == VarType::ERROR && unsafe { v.data.i32_ } == Hresult::DISP_E_PARAMNOTFOUND.0
}

/// By-value VARTYPEs whose payload is plain data (no BSTR, interface, record, array or BYREF).
fn owns_nothing(vt: VarType) -> bool {
    matches!(
        vt,
        VarType::EMPTY
            | VarType::NULL
            | VarType::I1
            | VarType::UI1
            | VarType::I2
            | VarType::UI2
            | VarType::I4
            | VarType::UI4
            | VarType::INT
            | VarType::UINT
            | VarType::I8
            | VarType::UI8
            | VarType::R4
            | VarType::R8
            | VarType::CY
            | VarType::DATE
            | VarType::BOOL
            | VarType::ERROR
            | VarType::DECIMAL
    )
}

/// Converts the argument at `rgvarg[index]` to `vt` as oleaut32's `Invoke` does (a copy; the
/// caller's argument is untouched): validated first (an invalid VARIANT is `DISP_E_BADVARTYPE`),
/// taken as is for `VT_VARIANT` or an identical type, else `VariantChangeTypeEx(lcid)`. A failure
/// blames `index` (`puArgErr`). Public so that other dispatchers (type-info-driven ones) coerce
/// the same way.
///
/// # Errors
///
/// The validation or conversion HRESULT, as [`InvokeError::Dispatch`] with `arg_err = index`.
pub fn coerce_argument(arg: &VARIANT, vt: VarType, lcid: u32, index: usize) -> Result<Variant, InvokeError> {
    // SAFETY: the caller's VARIANTs are valid for the call (IDispatch contract); validated here.
    let arg_ref = unsafe { VariantRef::new(arg) }.map_err(|e| InvokeError::arg(e.hresult(), index))?;
    let converted = if arg.vt == vt && owns_nothing(vt) {
        // Same scalar type: a bitwise copy is the copy (nothing owned to duplicate).
        // SAFETY: validated above; a by-value scalar VARIANT holds no pointer.
        unsafe { Variant::from_raw(*arg) }.map_err(|e| e.hresult())
    } else if vt == VarType::VARIANT || arg.vt == vt {
        arg_ref.to_owned()
    } else {
        // SAFETY: validated above; pointers valid for the call.
        unsafe { change_type_raw(arg, lcid, 0, vt) }.map(|raw| {
            // SAFETY: change_type_raw returns a VARIANT that owns its payload.
            unsafe { Variant::from_raw(raw) }.unwrap_or_default()
        })
    };
    converted.map_err(|hr| InvokeError::arg(hr, index))
}

impl<S> DispatchTable<S> {
    fn find(&self, dispid: DispId, flags: u16) -> Option<&Member<S>> {
        self.members.iter().find(|m| m.dispid == dispid && flags & m.invkind != 0)
    }

    /// `GetIDsOfNames` over the table: `names[0]` a member (any kind), the rest its
    /// parameters' indices. Unknown names get [`DISPID_UNKNOWN`] and `DISP_E_UNKNOWNNAME`.
    ///
    /// # Errors
    ///
    /// `DISP_E_UNKNOWNNAME`.
    pub fn ids_of_names(&self, names: &[String], ids: &mut [DispId]) -> Result<(), Hresult> {
        ids.fill(DISPID_UNKNOWN);
        let Some(first) = names.first() else { return Ok(()) };
        let Some(member) = self.members.iter().find(|m| same_name(&m.name, first)) else {
            return Err(Hresult::DISP_E_UNKNOWNNAME);
        };
        ids[0] = member.dispid;
        let mut all_known = true;
        for (name, id) in names.iter().zip(ids.iter_mut()).skip(1) {
            // Parameter names are looked up across every member sharing the DISPID
            // (a property's getter and setter).
            let index = self
                .members
                .iter()
                .filter(|m| m.dispid == member.dispid)
                .find_map(|m| m.params.iter().position(|p| same_name(&p.name, name)));
            match index {
                Some(i) => *id = i as DispId,
                None => all_known = false,
            }
        }
        if all_known {
            Ok(())
        } else {
            Err(Hresult::DISP_E_UNKNOWNNAME)
        }
    }

    /// `Invoke` over the table for the object `state`.
    ///
    /// # Errors
    ///
    /// As listed in the [module documentation](self).
    pub fn invoke(
        &self,
        state: &S,
        dispid: DispId,
        lcid: u32,
        flags: u16,
        params: DispParams<'_>,
        result: Option<&mut Variant>,
    ) -> Result<(), InvokeError> {
        let member = self.find(dispid, flags).ok_or(InvokeError::hr(Hresult::DISP_E_MEMBERNOTFOUND))?;
        let named = params.named();
        let is_put = member.invkind & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF) != 0;
        if is_put && named.first() != Some(&DISPID_PROPERTYPUT) {
            return Err(InvokeError::hr(Hresult::DISP_E_PARAMNOTFOUND));
        }
        let count = member.params.len();
        // Where each parameter's argument is: rgvarg index, or None.
        let mut sources: SmallVec<[Option<usize>; 8]> = smallvec::smallvec![None; count];
        for (j, &id) in named.iter().enumerate() {
            let target = if id == DISPID_PROPERTYPUT && is_put && count > 0 {
                Some(count - 1)
            } else {
                usize::try_from(id).ok().filter(|&i| i < count)
            };
            match target {
                Some(i) if sources[i].is_none() => sources[i] = Some(j),
                _ => return Err(InvokeError::arg(Hresult::DISP_E_PARAMNOTFOUND, j)),
            }
        }
        let mut next_positional = 0;
        for slot in sources.iter_mut().filter(|s| s.is_none()) {
            match params.positional(next_positional) {
                Some((index, _)) => {
                    *slot = Some(index);
                    next_positional += 1;
                }
                None => break,
            }
        }
        if next_positional < params.positional_count() {
            return Err(InvokeError::hr(Hresult::DISP_E_BADPARAMCOUNT));
        }
        let rgvarg = params.rgvarg();
        let mut args: SmallVec<[Variant; 8]> = SmallVec::with_capacity(count);
        for (param, source) in member.params.iter().zip(&sources) {
            let provided = source.filter(|&i| !is_missing(&rgvarg[i]));
            let value = match (provided, source) {
                (Some(i), _) => coerce_argument(&rgvarg[i], param.vt, lcid, i)?,
                (None, _) if param.optional => match &param.default {
                    Some(default) => default(),
                    None => Variant::error(Hresult::DISP_E_PARAMNOTFOUND),
                },
                (None, Some(i)) => return Err(InvokeError::arg(Hresult::DISP_E_PARAMNOTOPTIONAL, *i)),
                (None, None) => return Err(InvokeError::hr(Hresult::DISP_E_BADPARAMCOUNT)),
            };
            args.push(value);
        }
        let value = (member.handler)(state, &args)?;
        if let (Some(out), false) = (result, is_put) {
            *out = value;
        }
        Ok(())
    }
}

/// A Rust object exposed through `IDispatch` by a [`DispatchTable`].
pub struct DispatchObject<S: Send + Sync + 'static> {
    state: S,
    table: Arc<DispatchTable<S>>,
}

impl<S: Send + Sync + 'static> DispatchObject<S> {
    /// The COM object for `state` with the members of `table`.
    pub fn create(state: S, table: Arc<DispatchTable<S>>) -> ComPtr<IDispatch> {
        ComObject::create_as::<IDispatch>(DispatchObject { state, table }).expect("DispatchObject implements IDispatch")
    }
}

impl<S: Send + Sync + 'static> Dispatch for DispatchObject<S> {
    fn ids_of_names(&self, names: &[String], _lcid: u32, ids: &mut [DispId]) -> Result<(), Hresult> {
        self.table.ids_of_names(names, ids)
    }

    fn invoke(
        &self,
        dispid: DispId,
        lcid: u32,
        flags: u16,
        params: DispParams<'_>,
        result: Option<&mut Variant>,
    ) -> Result<(), InvokeError> {
        self.table.invoke(&self.state, dispid, lcid, flags, params, result)
    }
}

impl<S: Send + Sync + 'static> ComClass for DispatchObject<S> {
    type Interfaces = (IDispatch,);
}
