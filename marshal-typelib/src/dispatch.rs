//! Type-info-driven late binding: what `CreateStdDispatch` / `DispInvoke` / `DispGetIDsOfNames` do with an
//! `ITypeInfo`, independent of the COM ABI.
//!
//! A [`DispatchTable`] is built from the type info of a dual interface or a dispinterface. It serves
//! `GetIDsOfNames` (case-insensitive member and parameter names) and binds an `Invoke` call: it picks the member by
//! DISPID and `DISPATCH_*` flags, places positional arguments (DISPPARAMS order: last argument first) and named
//! ones, coerces each to its parameter's type with the core's `change_type`, passes omitted `[optional]` VARIANTs
//! as `VT_ERROR`/`DISP_E_PARAMNOTFOUND` and omitted `[defaultvalue]` parameters as their default, and reports the
//! failing argument's index (`puArgErr`). The bound call goes to a Rust implementation; its result is the
//! `[retval]`, and its failure an `EXCEPINFO`.
//!
//! ```
//! # use marshal_typelib::dispatch::*;
//! # fn demo(table: &DispatchTable) {
//! use marshal_core::variant::Variant;
//! let ids = table.get_ids_of_names(&["Twice", "x"]).unwrap();
//! let mut object = |call: &BoundCall<'_>| -> Result<Variant, Exception> {
//!     let x: i32 = i32::try_from(&call.args[0]).unwrap();
//!     Ok(Variant::from(2 * x))
//! };
//! let result = table.invoke(ids[0], DISPATCH_METHOD, &[Variant::from("21")], &[], 0x409, &mut object);
//! assert_eq!(i32::try_from(&result.unwrap()).unwrap(), 42);
//! # }
//! ```

use marshal_core::variant::{change_type_ex, Variant};
use marshal_core::{Hresult, VarType};
use smallvec::SmallVec;

use crate::api::TypeInfoView;
use crate::error::Result;
use crate::model::*;
use crate::resolve::Resolver;
use crate::value::Value;

/// `DISPATCH_METHOD`.
pub const DISPATCH_METHOD: u16 = 1;
/// `DISPATCH_PROPERTYGET`.
pub const DISPATCH_PROPERTYGET: u16 = 2;
/// `DISPATCH_PROPERTYPUT`.
pub const DISPATCH_PROPERTYPUT: u16 = 4;
/// `DISPATCH_PROPERTYPUTREF`.
pub const DISPATCH_PROPERTYPUTREF: u16 = 8;
/// `DISPID_PROPERTYPUT`: the named argument that carries a property put's value.
pub const DISPID_PROPERTYPUT: i32 = -3;
/// `MEMBERID_NIL` / `DISPID_UNKNOWN`.
pub const DISPID_UNKNOWN: i32 = -1;

/// A failure reported by the implementation: `Invoke` returns `DISP_E_EXCEPTION` with this as `EXCEPINFO`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Exception {
    /// `wCode` (0 when `scode` is used).
    pub code: u16,
    /// `scode`.
    pub scode: i32,
    /// `bstrSource`.
    pub source: Option<String>,
    /// `bstrDescription`.
    pub description: Option<String>,
    /// `bstrHelpFile`.
    pub help_file: Option<String>,
    /// `dwHelpContext`.
    pub help_context: u32,
}

/// Why `Invoke` failed.
#[derive(Clone, Debug, PartialEq)]
pub enum InvokeError {
    /// A failure HRESULT (`DISP_E_MEMBERNOTFOUND`, `DISP_E_BADPARAMCOUNT`, `DISP_E_PARAMNOTOPTIONAL`, …).
    Hresult(Hresult),
    /// An argument could not be used: `DISP_E_TYPEMISMATCH` / `DISP_E_PARAMNOTFOUND` / `DISP_E_OVERFLOW` with
    /// `puArgErr`, the index of the argument in DISPPARAMS order.
    Argument {
        /// The HRESULT.
        hr: Hresult,
        /// `puArgErr`.
        arg_err: u32,
    },
    /// The implementation failed: `DISP_E_EXCEPTION` with this `EXCEPINFO`.
    Exception(Exception),
}

impl InvokeError {
    /// The HRESULT `Invoke` returns.
    pub fn hresult(&self) -> Hresult {
        match self {
            InvokeError::Hresult(h) | InvokeError::Argument { hr: h, .. } => *h,
            InvokeError::Exception(_) => Hresult::DISP_E_EXCEPTION,
        }
    }
}

/// One parameter as Invoke passes it.
#[derive(Clone, Debug, PartialEq)]
struct Param {
    name: Option<String>,
    /// The VARTYPE the argument is coerced to (`VT_VARIANT`: passed as is).
    vt: VarType,
    optional: bool,
    default: Option<Value>,
}

/// One member: a function or a property accessor (or a dispinterface property, with its get and put forms).
#[derive(Clone, Debug, PartialEq)]
struct Member {
    memid: i32,
    name: String,
    invkind: InvokeKind,
    /// Parameters in declaration order, without `[retval]` and `[lcid]`.
    params: Vec<Param>,
    /// Position of an `[lcid]` parameter (filled from Invoke's `lcid`).
    lcid_at: Option<usize>,
    /// The result's VARTYPE (`VT_VOID`: none).
    ret: VarType,
}

/// A call bound to a member, for the implementation.
#[derive(Debug)]
pub struct BoundCall<'a> {
    /// DISPID.
    pub memid: i32,
    /// Member name.
    pub name: &'a str,
    /// Method or which property accessor.
    pub invkind: InvokeKind,
    /// Arguments in declaration order, each coerced to its parameter's type (an `[lcid]` parameter holds the
    /// locale as `VT_I4`; an omitted `[optional]` one `VT_ERROR` `DISP_E_PARAMNOTFOUND`).
    pub args: Vec<Variant>,
}

/// The members of one dual interface or dispinterface, ready to serve `IDispatch`.
#[derive(Clone, Debug)]
pub struct DispatchTable {
    members: Vec<Member>,
}

fn vt_of(lib: &TypeLib, t: &ElemType, resolver: &dyn Resolver) -> VarType {
    match t {
        ElemType::Base(vt) => *vt,
        ElemType::SafeArray(e) => VarType(vt_of(lib, e, resolver).0 | VarType::ARRAY_FLAG),
        ElemType::UserDefined(r) => match lib.resolve_ref(r, resolver) {
            Ok((l, i)) => {
                let ti = &l.types[i as usize];
                match (ti.kind, &ti.alias) {
                    (TypeKind::Enum, _) => VarType::I4,
                    (TypeKind::Alias, Some(a)) => vt_of(&l, &a.clone(), resolver),
                    (TypeKind::Dispatch, _) => VarType::DISPATCH,
                    (TypeKind::Interface | TypeKind::Coclass, _) => VarType::UNKNOWN,
                    (TypeKind::Record, _) => VarType::RECORD,
                    _ => VarType::VARIANT,
                }
            }
            Err(_) => VarType::VARIANT,
        },
        ElemType::Ptr(inner) => match &**inner {
            ElemType::UserDefined(_) => match vt_of(lib, inner, resolver) {
                vt @ (VarType::DISPATCH | VarType::UNKNOWN) => vt,
                vt => VarType(vt.0 | VarType::BYREF_FLAG),
            },
            other => VarType(vt_of(lib, other, resolver).0 | VarType::BYREF_FLAG),
        },
        ElemType::CArray { .. } => VarType::VARIANT,
    }
}

impl DispatchTable {
    /// The table of type `index` of `lib` (a dual interface, a dispinterface or an interface), with the
    /// functions `ITypeInfo` reports for it (inherited ones included, in Invoke form) and its properties.
    pub fn from_type_info(lib: &TypeLib, index: usize, resolver: &dyn Resolver) -> Result<DispatchTable> {
        let view = TypeInfoView::new(lib, index, resolver);
        let mut members = Vec::new();
        for f in view.funcs() {
            let flib = f.lib();
            // The Invoke form, except that an [lcid] parameter stays (the implementation receives the locale there).
            let mut func = f.func.clone();
            if func.kind != FuncKind::Dispatch {
                match func.params.last() {
                    Some(p) if p.is_retval() => {
                        if let ElemType::Ptr(inner) = &p.ty {
                            func.ret = (**inner).clone();
                        }
                        func.params.pop();
                    }
                    _ if func.ret == ElemType::Base(VarType::HRESULT) => func.ret = ElemType::Base(VarType::VOID),
                    _ => {}
                }
            }
            // IUnknown and IDispatch themselves are not callable through Invoke.
            if func.flags & 1 != 0
                && matches!(
                    func.name.as_str(),
                    "QueryInterface"
                        | "AddRef"
                        | "Release"
                        | "GetTypeInfoCount"
                        | "GetTypeInfo"
                        | "GetIDsOfNames"
                        | "Invoke"
                )
            {
                continue;
            }
            let mut params = Vec::new();
            let mut lcid_at = None;
            for (i, p) in func.params.iter().enumerate() {
                if p.is_lcid() {
                    lcid_at = Some(i);
                }
                params.push(Param {
                    name: p.name.clone(),
                    vt: vt_of(flib, &p.ty, resolver),
                    optional: p.is_optional() || p.default.is_some(),
                    default: p.default.clone(),
                });
            }
            members.push(Member {
                memid: func.memid,
                name: func.name.clone(),
                invkind: func.invkind,
                params,
                lcid_at,
                ret: vt_of(flib, &func.ret, resolver),
            });
        }
        for v in &lib.types[index].vars {
            let vt = vt_of(lib, &v.ty, resolver);
            members.push(Member {
                memid: v.memid,
                name: v.name.clone(),
                invkind: InvokeKind::PropertyGet,
                params: Vec::new(),
                lcid_at: None,
                ret: vt,
            });
            if v.flags & 1 == 0 {
                members.push(Member {
                    memid: v.memid,
                    name: v.name.clone(),
                    invkind: InvokeKind::PropertyPut,
                    params: vec![Param { name: Some(v.name.clone()), vt, optional: false, default: None }],
                    lcid_at: None,
                    ret: VarType::VOID,
                });
            }
        }
        Ok(DispatchTable { members })
    }

    /// `GetIDsOfNames`: the member's DISPID, then the DISPIDs (indexes) of the named parameters. Names compare
    /// case-insensitively. An unknown name gives `DISP_E_UNKNOWNNAME` with `DISPID_UNKNOWN` in its place.
    pub fn get_ids_of_names(&self, names: &[&str]) -> core::result::Result<Vec<i32>, (Hresult, Vec<i32>)> {
        let mut ids = vec![DISPID_UNKNOWN; names.len()];
        let Some(first) = names.first() else { return Ok(ids) };
        let candidates: Vec<&Member> = self.members.iter().filter(|m| m.name.eq_ignore_ascii_case(first)).collect();
        let Some(member) = candidates.first() else { return Err((Hresult::DISP_E_UNKNOWNNAME, ids)) };
        ids[0] = member.memid;
        let mut ok = true;
        for (i, n) in names.iter().enumerate().skip(1) {
            // Parameter names of any accessor of the member (a property's get and put list the same indexes).
            let found = candidates.iter().find_map(|m| {
                m.params.iter().position(|p| p.name.as_deref().is_some_and(|pn| pn.eq_ignore_ascii_case(n)))
            });
            match found {
                Some(pos) => ids[i] = pos as i32,
                None => ok = false,
            }
        }
        if ok {
            Ok(ids)
        } else {
            Err((Hresult::DISP_E_UNKNOWNNAME, ids))
        }
    }

    fn find(&self, memid: i32, flags: u16) -> core::result::Result<&Member, InvokeError> {
        for m in self.members.iter().filter(|m| m.memid == memid) {
            if flags & m.invkind.raw() as u16 != 0 {
                return Ok(m);
            }
        }
        // A property put on a member that only has putref (or the reverse) is accepted, as DispInvoke does.
        if flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF) != 0 {
            if let Some(m) = self
                .members
                .iter()
                .find(|m| m.memid == memid && matches!(m.invkind, InvokeKind::PropertyPut | InvokeKind::PropertyPutRef))
            {
                return Ok(m);
            }
        }
        Err(InvokeError::Hresult(Hresult::DISP_E_MEMBERNOTFOUND))
    }

    /// The position of the `[lcid]` parameter of the member `Invoke(memid, flags)` would call, if it has one.
    pub fn lcid_position(&self, memid: i32, flags: u16) -> Option<usize> {
        self.find(memid, flags).ok().and_then(|m| m.lcid_at)
    }

    /// Binds an `Invoke` call. `args` are in DISPPARAMS order (`rgvarg`: the last argument first, named arguments
    /// at the front), `named` the DISPIDs of the first `named.len()` of them (`DISPID_PROPERTYPUT` for a put's
    /// value).
    pub fn bind(
        &self,
        memid: i32,
        flags: u16,
        args: &[Variant],
        named: &[i32],
        lcid: u32,
    ) -> core::result::Result<BoundCall<'_>, InvokeError> {
        let member = self.find(memid, flags)?;
        self.bind_member(member, args, named, lcid)
    }

    fn bind_member<'a>(
        &'a self,
        member: &'a Member,
        args: &[Variant],
        named: &[i32],
        lcid: u32,
    ) -> core::result::Result<BoundCall<'a>, InvokeError> {
        if named.len() > args.len() {
            return Err(InvokeError::Hresult(Hresult::E_INVALIDARG));
        }
        let is_put = matches!(member.invkind, InvokeKind::PropertyPut | InvokeKind::PropertyPutRef);
        let n = member.params.len();
        // slots[i] = index in `args` of the argument for parameter i.
        let mut slots: SmallVec<[Option<usize>; 8]> = smallvec::smallvec![None; n];
        let lcid_slot = member.lcid_at;
        let value_params: SmallVec<[usize; 8]> = (0..n).filter(|i| Some(*i) != lcid_slot).collect();
        let mut named_iter = named.iter().enumerate();
        let mut positional_params = value_params.clone();
        if is_put {
            // The value of a put is the named argument DISPID_PROPERTYPUT, and the last parameter.
            let Some((at, _)) = named_iter.clone().find(|(_, id)| **id == DISPID_PROPERTYPUT) else {
                return Err(InvokeError::Hresult(Hresult::DISP_E_PARAMNOTOPTIONAL));
            };
            let Some(last) = positional_params.pop() else {
                return Err(InvokeError::Hresult(Hresult::DISP_E_BADPARAMCOUNT));
            };
            slots[last] = Some(at);
        }
        for (at, id) in named_iter.by_ref() {
            if *id == DISPID_PROPERTYPUT {
                if !is_put {
                    return Err(InvokeError::Argument { hr: Hresult::DISP_E_PARAMNOTFOUND, arg_err: at as u32 });
                }
                continue;
            }
            let p = usize::try_from(*id).ok().filter(|p| *p < n && Some(*p) != lcid_slot);
            let Some(p) = p else {
                return Err(InvokeError::Argument { hr: Hresult::DISP_E_PARAMNOTFOUND, arg_err: at as u32 });
            };
            if slots[p].is_some() {
                return Err(InvokeError::Argument { hr: Hresult::DISP_E_PARAMNOTFOUND, arg_err: at as u32 });
            }
            slots[p] = Some(at);
        }
        // Positional arguments: rgvarg[args.len() - 1] is the first one.
        let positional = args.len() - named.len();
        let free: SmallVec<[usize; 8]> = positional_params.iter().copied().filter(|p| slots[*p].is_none()).collect();
        if positional > free.len() {
            return Err(InvokeError::Hresult(Hresult::DISP_E_BADPARAMCOUNT));
        }
        for (k, p) in free.iter().take(positional).enumerate() {
            slots[*p] = Some(args.len() - 1 - k);
        }
        let mut bound = Vec::with_capacity(n);
        for (i, param) in member.params.iter().enumerate() {
            if Some(i) == lcid_slot {
                bound.push(Variant::from(lcid as i32));
                continue;
            }
            let value = match slots[i] {
                Some(at) => {
                    let arg = &args[at];
                    let missing = arg.vt() == VarType::ERROR
                        && Variant::error(Hresult::DISP_E_PARAMNOTFOUND).value() == arg.value();
                    if missing && param.optional {
                        omitted(param, lcid).map_err(|hr| InvokeError::Argument { hr, arg_err: at as u32 })?
                    } else {
                        coerce(arg, param.vt, lcid).map_err(|hr| InvokeError::Argument { hr, arg_err: at as u32 })?
                    }
                }
                None if param.optional => omitted(param, lcid).map_err(InvokeError::Hresult)?,
                None => return Err(InvokeError::Hresult(Hresult::DISP_E_PARAMNOTOPTIONAL)),
            };
            bound.push(value);
        }
        Ok(BoundCall { memid: member.memid, name: &member.name, invkind: member.invkind, args: bound })
    }

    /// `Invoke`: binds the call, runs it on `object`, and returns its result (coerced to the member's result type;
    /// `VT_EMPTY` for none).
    pub fn invoke(
        &self,
        memid: i32,
        flags: u16,
        args: &[Variant],
        named: &[i32],
        lcid: u32,
        object: &mut dyn FnMut(&BoundCall<'_>) -> core::result::Result<Variant, Exception>,
    ) -> core::result::Result<Variant, InvokeError> {
        let member = self.find(memid, flags)?;
        let ret = member.ret;
        let call = self.bind_member(member, args, named, lcid)?;
        let result = object(&call).map_err(InvokeError::Exception)?;
        if ret == VarType::VOID || ret == VarType::VARIANT || ret == VarType::HRESULT || result.vt() == ret {
            return Ok(result);
        }
        coerce(&result, ret, lcid).map_err(InvokeError::Hresult)
    }
}

/// The value of an omitted optional parameter: its default converted to the parameter's type, or
/// `VT_ERROR` `DISP_E_PARAMNOTFOUND`.
fn omitted(param: &Param, lcid: u32) -> core::result::Result<Variant, Hresult> {
    match &param.default {
        Some(v) => coerce(&value_to_variant(v)?, param.vt, lcid),
        None => Ok(Variant::error(Hresult::DISP_E_PARAMNOTFOUND)),
    }
}

/// `VariantChangeTypeEx` to a parameter's type (VARIANT parameters take the argument as is; BYREF parameters
/// need an argument of exactly that type).
fn coerce(arg: &Variant, vt: VarType, lcid: u32) -> core::result::Result<Variant, Hresult> {
    if vt == VarType::VARIANT || arg.vt() == vt {
        return arg.try_clone();
    }
    if vt.is_byref() || vt.is_array() || vt == VarType::RECORD {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    change_type_ex(arg, lcid, 0, vt)
}

/// A stored value (default, constant) as a VARIANT.
pub fn value_to_variant(v: &Value) -> core::result::Result<Variant, Hresult> {
    Ok(match v {
        Value::Empty => Variant::empty(),
        Value::Null => Variant::null(),
        Value::I1(x) => Variant::from(*x),
        Value::U1(x) => Variant::from(*x),
        Value::I2(x) => Variant::from(*x),
        Value::U2(x) => Variant::from(*x),
        Value::I4(x) => Variant::from(*x),
        Value::U4(x) => Variant::from(*x),
        Value::Int(x) => change_type_ex(&Variant::from(*x), 0, 0, VarType::INT)?,
        Value::UInt(x) => change_type_ex(&Variant::from(*x), 0, 0, VarType::UINT)?,
        Value::I8(x) => Variant::from(*x),
        Value::U8(x) => Variant::from(*x),
        Value::R4(x) => Variant::from(*x),
        Value::R8(x) => Variant::from(*x),
        Value::Cy(x) => Variant::from(marshal_core::variant::Currency(*x)),
        Value::Date(x) => Variant::from(marshal_core::variant::Date(*x)),
        Value::Bstr(Some(s)) => Variant::from(s.as_str()),
        Value::Bstr(None) => Variant::from_utf16(&[])?,
        Value::Bool(b) => Variant::from(*b != 0),
        Value::Error(e) => Variant::error(Hresult(*e)),
        Value::Hresult(e) => Variant::error(Hresult(*e)),
        Value::Decimal(_) | Value::Unsupported(_) => return Err(Hresult::DISP_E_BADVARTYPE),
    })
}
