//! The client side of [`crate::com_typeinfo`]: the model of a type read from a native `ITypeInfo` through its COM
//! methods (`GetTypeAttr`, `GetFuncDesc`, `GetVarDesc`, `GetNames`, `GetDocumentation`, `GetRefTypeOfImplType`,
//! `GetImplTypeFlags`, `GetRefTypeInfo`, `GetContainingTypeLib` …), as a late-bound client needs it when all it has
//! is an object's `IDispatch::GetTypeInfo`.
//!
//! [`read_type_info`] builds a self-contained [`TypeLib`]: the type asked for, and every type it reaches through
//! `GetRefTypeInfo` (inherited interfaces, parameter and field types), each once, with [`TypeRef::Local`]
//! references between them. The model is the stored form the file reader produces, so that
//! [`crate::api::TypeInfoView`] and [`crate::dispatch::DispatchTable`] see it as they see a library read from disk:
//! a dual interface is read from its vtable side (`GetRefTypeOfImplType(-1)`), and the `IDispatch` a dispinterface
//! reports as implemented becomes the library's dispatch reference.
//!
//! Whatever the object answers is untrusted: a null pointer where a structure is due, a count beyond
//! [`MAX_PARAMS`] / [`MAX_MEMBERS`], a type tree deeper than [`crate::MAX_TYPE_DEPTH`], more than [`MAX_TYPES`]
//! distinct types reached through `GetRefTypeInfo` (a cyclic or endless chain) is a [`TypeLibError`]. Every
//! structure obtained is released with its `Release*` method and every BSTR freed, on error paths too. (Pointers
//! the object hands out are trusted to point where it says; a lying `cParams` over a short array cannot be
//! detected from here.)
//!
//! What the COM methods do not show is not in the model: custom data and help strings (`ITypeInfo2`), the names of
//! a property accessor's parameters beyond those `GetNames` gives for its first accessor, and the vtable offsets of
//! a dispinterface that wraps an interface (its functions are read in the `Invoke` form it lists them in).
//!
//! ```
//! use std::sync::Arc;
//! use marshal_typelib::com_reader::read_type_info;
//! use marshal_typelib::com_typeinfo::TypeLibObject;
//! # fn demo(lib: marshal_typelib::TypeLib) {
//! let served = TypeLibObject::new(lib, Arc::new(()));
//! let info = served.type_info(0).unwrap();
//! let (model, index) = read_type_info(&info).unwrap();
//! println!("{} has {} functions", model.types[index].name, model.types[index].funcs.len());
//! # }
//! ```

use core::ffi::c_void;
use std::collections::{HashMap, VecDeque};

use marshal_com::ComPtr;
use marshal_core::variant::VARIANT;
use marshal_core::{Bstr, Guid, Hresult, VarType, BSTR};

use crate::com_typeinfo::{ITypeInfo, ITypeLib, MEMBERID_NIL};
use crate::error::{Result, TypeLibError};
use crate::model::*;
use crate::oaidl::*;
use crate::value::Value;

/// The most distinct types [`read_type_info`] follows through `GetRefTypeInfo` (an endless chain of new type
/// infos stops here).
pub const MAX_TYPES: usize = 4096;
/// The most parameters a function may report (`cParams`).
pub const MAX_PARAMS: usize = 1024;
/// The most functions or variables one type may report (`cFuncs`, `cVars`).
pub const MAX_MEMBERS: usize = 16384;
/// The most dimensions of a `VT_CARRAY` (`cDims`).
pub const MAX_DIMS: usize = 64;
/// The longest BSTR taken from the object, in UTF-16 units.
const MAX_BSTR_UNITS: usize = 1 << 20;

/// Reads the type `info` describes, and every type it refers to, into a library of its own: `(library, index of
/// the type)`. The library's attributes are those of `info`'s `GetContainingTypeLib` when it answers.
pub fn read_type_info(info: &ComPtr<ITypeInfo>) -> Result<(TypeLib, usize)> {
    let mut reader = Reader::default();
    let root = reader.intern(info.clone())?;
    while let Some((object, index)) = reader.queue.pop_front() {
        let ti = reader.read_type(&object)?;
        reader.types[index] = Some(ti);
    }
    let types: Vec<TypeInfo> = reader.types.into_iter().map(|t| t.expect("every queued type was read")).collect();
    let dispatch_ref = reader.dispatch_ref;
    let mut lib = library_attributes(info);
    lib.types = types;
    lib.dispatch_ref = dispatch_ref;
    Ok((lib, root))
}

fn com_error(what: &'static str, hr: Hresult) -> TypeLibError {
    TypeLibError::ComCall { what, hr: hr.0 }
}

fn null(what: &'static str) -> TypeLibError {
    TypeLibError::BadValue { what, value: 0 }
}

/// Takes over a BSTR the object allocated for the caller.
///
/// # Safety
/// `b` must be null or a BSTR the caller now owns.
unsafe fn take_bstr(b: BSTR) -> Result<Option<String>> {
    if b.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller's contract: an owned BSTR, freed when `owned` drops.
    let owned = unsafe { Bstr::from_raw(b) };
    if owned.len() > MAX_BSTR_UNITS {
        return Err(TypeLibError::BadIndex {
            what: "BSTR length",
            index: owned.len() as i64,
            limit: MAX_BSTR_UNITS as u64,
        });
    }
    Ok(Some(String::from_utf16_lossy(owned.as_wide())))
}

/// Reads a BSTR the object keeps (inside a VARIANT it owns) without taking it.
///
/// # Safety
/// `b` must be null or a live BSTR.
unsafe fn borrow_bstr(b: BSTR) -> Result<Option<String>> {
    if b.is_null() {
        return Ok(None);
    }
    // SAFETY: a BSTR's byte length is the 4 bytes before its first unit.
    let bytes = unsafe { (b as *const u8).sub(4).cast::<u32>().read_unaligned() } as usize;
    if bytes / 2 > MAX_BSTR_UNITS {
        return Err(TypeLibError::BadIndex {
            what: "BSTR length",
            index: (bytes / 2) as i64,
            limit: MAX_BSTR_UNITS as u64,
        });
    }
    // SAFETY: a live BSTR holds `bytes / 2` units.
    let units = unsafe { core::slice::from_raw_parts(b, bytes / 2) };
    Ok(Some(String::from_utf16_lossy(units)))
}

/// A value from a VARIANT the object owns (a constant, a default value).
///
/// # Safety
/// `v` must point to a readable VARIANT.
unsafe fn read_value(v: *const VARIANT) -> Result<Value> {
    // SAFETY: the caller's contract.
    let v = unsafe { v.read_unaligned() };
    Ok(match v.vt {
        VarType::BSTR => {
            // SAFETY: a VT_BSTR VARIANT holds a BSTR (or null) that the object keeps alive.
            Value::Bstr(unsafe { borrow_bstr(v.data.ptr as BSTR) }?)
        }
        VarType::DECIMAL => {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&v.to_bytes()[..16]);
            // The first word is the VARIANT's vt, DECIMAL's wReserved.
            bytes[..2].copy_from_slice(&[0, 0]);
            Value::Decimal(bytes)
        }
        // SAFETY: every bit pattern of the union's first 8 bytes is a valid i64.
        vt => Value::from_raw_bits(vt, unsafe { v.data.i64_ } as u64),
    })
}

/// `GetDocumentation`'s answer: `(name, doc string, help context, help file)`.
type Documentation = (Option<String>, Option<String>, u32, Option<String>);

/// `GetDocumentation(memid)`.
fn documentation(info: &ITypeInfo, memid: i32) -> Result<Documentation> {
    let (mut name, mut doc, mut ctx, mut file) =
        (core::ptr::null_mut(), core::ptr::null_mut(), 0u32, core::ptr::null_mut());
    // SAFETY: a live ITypeInfo; every out pointer is a local.
    let hr = unsafe { info.get_documentation(memid, &mut name, &mut doc, &mut ctx, &mut file) };
    // SAFETY: whatever the object wrote into the out BSTRs is the caller's (null when nothing was written).
    let (name, doc, file) = unsafe { (take_bstr(name), take_bstr(doc), take_bstr(file)) };
    if hr.is_err() {
        return Err(com_error("ITypeInfo::GetDocumentation", hr));
    }
    Ok((name?, doc?, ctx, file?))
}

/// `GetNames(memid)` with room for `max` names.
fn names(info: &ITypeInfo, memid: i32, max: usize) -> Result<Vec<Option<String>>> {
    let mut buf: Vec<BSTR> = vec![core::ptr::null_mut(); max.max(1)];
    let mut count = 0u32;
    // SAFETY: a live ITypeInfo; `buf` has room for `max` BSTRs.
    let hr = unsafe { info.get_names(memid, buf.as_mut_ptr(), max as u32, &mut count) };
    // Whatever was written is ours to free, even when the count is absurd.
    let taken: Vec<Result<Option<String>>> = buf
        .iter()
        // SAFETY: null, or a BSTR the object allocated for us.
        .map(|b| unsafe { take_bstr(*b) })
        .collect();
    if hr.is_err() {
        return Err(com_error("ITypeInfo::GetNames", hr));
    }
    if count as usize > max {
        return Err(TypeLibError::BadIndex { what: "GetNames count", index: count as i64, limit: max as u64 });
    }
    taken.into_iter().take(count as usize).collect()
}

/// A structure handed out by `Get*`, released by its `Release*` when dropped.
struct Handout<'a, T> {
    info: &'a ITypeInfo,
    p: *mut T,
    release: unsafe fn(&ITypeInfo, *mut T),
}

impl<T> Drop for Handout<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `p` came from the matching Get* of `info`, and is released once.
        unsafe { (self.release)(self.info, self.p) };
    }
}

fn type_attr<'a>(info: &'a ITypeInfo) -> Result<Handout<'a, TYPEATTR>> {
    let mut p = core::ptr::null_mut();
    // SAFETY: a live ITypeInfo; `p` is a local.
    let hr = unsafe { info.get_type_attr(&mut p) };
    if hr.is_err() {
        return Err(com_error("ITypeInfo::GetTypeAttr", hr));
    }
    if p.is_null() {
        return Err(null("GetTypeAttr returned a null TYPEATTR"));
    }
    // SAFETY: (the release function) the ITypeInfo contract.
    Ok(Handout { info, p, release: |i, p| unsafe { i.release_type_attr(p) } })
}

fn ref_type_info(info: &ITypeInfo, href: u32) -> Result<ComPtr<ITypeInfo>> {
    let mut p = core::ptr::null_mut();
    // SAFETY: a live ITypeInfo; `p` is a local.
    let hr = unsafe { info.get_ref_type_info(href, &mut p) };
    // SAFETY: the reference written (if any) is the caller's.
    let object = unsafe { ComPtr::<ITypeInfo>::from_raw(p) };
    if hr.is_err() {
        return Err(com_error("ITypeInfo::GetRefTypeInfo", hr));
    }
    object.ok_or_else(|| null("GetRefTypeInfo returned a null ITypeInfo"))
}

#[derive(Default)]
struct Reader {
    /// Types read or queued, by index in the library being built.
    types: Vec<Option<TypeInfo>>,
    /// `(GUID, name)` → index, so a type reached twice (or through a cycle) is read once.
    seen: HashMap<(Guid, String), usize>,
    queue: VecDeque<(ComPtr<ITypeInfo>, usize)>,
    dispatch_ref: Option<TypeRef>,
}

impl Reader {
    /// The index of the type `info` describes, queued for reading when new.
    fn intern(&mut self, info: ComPtr<ITypeInfo>) -> Result<usize> {
        let guid = {
            let attr = type_attr(&info)?;
            // SAFETY: a TYPEATTR the object handed out, alive until `attr` drops.
            unsafe { (*attr.p).guid }
        };
        let name = documentation(&info, MEMBERID_NIL)?.0.unwrap_or_default();
        let key = (guid, name);
        if let Some(i) = self.seen.get(&key) {
            return Ok(*i);
        }
        if self.types.len() >= MAX_TYPES {
            return Err(TypeLibError::BadIndex {
                what: "types reached through GetRefTypeInfo",
                index: self.types.len() as i64,
                limit: MAX_TYPES as u64,
            });
        }
        let index = self.types.len();
        self.types.push(None);
        self.seen.insert(key, index);
        self.queue.push_back((info, index));
        Ok(index)
    }

    fn reference(&mut self, info: &ITypeInfo, href: u32) -> Result<TypeRef> {
        let other = ref_type_info(info, href)?;
        Ok(TypeRef::Local(self.intern(other)? as u32))
    }

    /// A native type tree as the model's.
    ///
    /// # Safety
    /// `t` must point to a readable TYPEDESC of `info`'s handouts.
    unsafe fn tdesc(&mut self, info: &ITypeInfo, t: *const TYPEDESC, depth: u32) -> Result<ElemType> {
        if depth > crate::MAX_TYPE_DEPTH {
            return Err(TypeLibError::TooDeep { what: "TYPEDESC from ITypeInfo", limit: crate::MAX_TYPE_DEPTH });
        }
        // SAFETY: the caller's contract.
        let t = unsafe { t.read_unaligned() };
        Ok(match VarType(t.vt) {
            VarType::PTR | VarType::SAFEARRAY => {
                // SAFETY: the union's pointer member for VT_PTR / VT_SAFEARRAY.
                let inner = unsafe { t.u.lptdesc };
                if inner.is_null() {
                    return Err(null("TYPEDESC: null lptdesc"));
                }
                // SAFETY: a non-null TYPEDESC of the same handout.
                let inner = Box::new(unsafe { self.tdesc(info, inner, depth + 1) }?);
                if t.vt == VarType::PTR.0 {
                    ElemType::Ptr(inner)
                } else {
                    ElemType::SafeArray(inner)
                }
            }
            VarType::CARRAY => {
                // SAFETY: the union's ARRAYDESC member for VT_CARRAY.
                let a = unsafe { t.u.lpadesc };
                if a.is_null() {
                    return Err(null("TYPEDESC: null lpadesc"));
                }
                // SAFETY: a non-null ARRAYDESC; its header is readable.
                let dims = unsafe { core::ptr::addr_of!((*a).c_dims).read_unaligned() } as usize;
                if dims == 0 || dims > MAX_DIMS {
                    return Err(TypeLibError::BadIndex {
                        what: "ARRAYDESC cDims",
                        index: dims as i64,
                        limit: MAX_DIMS as u64,
                    });
                }
                // SAFETY: as above.
                let elem = Box::new(unsafe { self.tdesc(info, core::ptr::addr_of!((*a).tdesc_elem), depth + 1) }?);
                let first =
                    (a as *const u8).wrapping_add(core::mem::offset_of!(ARRAYDESC, rgbounds)) as *const SAFEARRAYBOUND;
                let bounds = (0..dims)
                    .map(|i| {
                        // SAFETY: an ARRAYDESC holds `cDims` bounds from `rgbounds` on.
                        let b = unsafe { first.add(i).read_unaligned() };
                        (b.c_elements, b.l_lbound)
                    })
                    .collect();
                ElemType::CArray { elem, bounds }
            }
            // SAFETY: the union's hreftype member for VT_USERDEFINED.
            VarType::USERDEFINED => ElemType::UserDefined(self.reference(info, unsafe { t.u.hreftype })?),
            vt => ElemType::Base(vt),
        })
    }

    fn read_type(&mut self, object: &ComPtr<ITypeInfo>) -> Result<TypeInfo> {
        let attr_guard = type_attr(object)?;
        // SAFETY: a TYPEATTR the object handed out, alive until the guard drops.
        let attr = unsafe { attr_guard.p.read_unaligned() };
        let kind = TypeKind::from_raw(attr.typekind)
            .ok_or(TypeLibError::BadValue { what: "TYPEATTR typekind", value: attr.typekind as i64 })?;
        let (name, doc, help_context, _) = documentation(object, MEMBERID_NIL)?;
        let alias = if kind == TypeKind::Alias {
            // SAFETY: the TYPEDESC inside the live TYPEATTR.
            Some(unsafe { self.tdesc(object, core::ptr::addr_of!((*attr_guard.p).tdesc_alias), 0) }?)
        } else {
            None
        };
        drop(attr_guard);
        let mut ti = TypeInfo {
            name: name.unwrap_or_default(),
            doc,
            help_context,
            help_string_context: 0,
            guid: attr.guid,
            kind,
            flags: attr.w_type_flags,
            major: attr.w_major_ver_num,
            minor: attr.w_minor_ver_num,
            size: attr.cb_size_instance,
            align: attr.cb_alignment,
            vft_size: attr.cb_size_vft,
            alias,
            dll_name: None,
            funcs: Vec::new(),
            vars: Vec::new(),
            impl_types: Vec::new(),
            custom: Vec::new(),
        };
        // The stored form of a dual interface is its vtable side's functions and base interface.
        let dual = kind == TypeKind::Dispatch && attr.w_type_flags & typeflags::DUAL != 0;
        let vtable_side = if dual {
            let mut href = 0u32;
            // SAFETY: a live ITypeInfo; `href` is a local.
            let hr = unsafe { object.get_ref_type_of_impl_type(u32::MAX, &mut href) };
            if hr.is_err() {
                return Err(com_error("ITypeInfo::GetRefTypeOfImplType(-1)", hr));
            }
            Some(ref_type_info(object, href)?)
        } else {
            None
        };
        let source: &ITypeInfo = vtable_side.as_deref().unwrap_or(object);
        let source_attr = if dual {
            let a = type_attr(source)?;
            // SAFETY: as above.
            unsafe { a.p.read_unaligned() }
        } else {
            attr
        };
        if dual {
            ti.flags = source_attr.w_type_flags;
            ti.vft_size = source_attr.cb_size_vft;
        } else if kind == TypeKind::Dispatch {
            // A dispinterface's stored vtable size counts every function `GetFuncDesc` lists.
            ti.vft_size = (attr.c_funcs as usize * core::mem::size_of::<usize>()).min(u16::MAX as usize) as u16;
        }
        if kind == TypeKind::Dispatch {
            // What a dispinterface reports as implemented (IDispatch) is the library's dispatch reference; a pure
            // dispinterface stores no implemented type, and a dual one its vtable side's base.
            let reported = self.impl_types(object, attr.c_impl_types.min(1))?;
            if self.dispatch_ref.is_none() {
                self.dispatch_ref = reported.into_iter().next().map(|i| i.target);
            }
        }
        if kind != TypeKind::Dispatch || dual {
            ti.impl_types = self.impl_types(source, source_attr.c_impl_types)?;
        }
        if source_attr.c_funcs as usize > MAX_MEMBERS || attr.c_vars as usize > MAX_MEMBERS {
            return Err(TypeLibError::BadIndex {
                what: "TYPEATTR cFuncs / cVars",
                index: source_attr.c_funcs.max(attr.c_vars) as i64,
                limit: MAX_MEMBERS as u64,
            });
        }
        // `GetNames` describes the first function with a member id; a property's other accessors share its id, and
        // only their leading parameters (those the first accessor has before its [retval]) take its names.
        let mut named_by_first: HashMap<i32, usize> = HashMap::new();
        for i in 0..source_attr.c_funcs as u32 {
            let mut f = self.func(source, i, kind == TypeKind::Module)?;
            match named_by_first.get(&f.memid) {
                Some(k) => f.params.iter_mut().skip(*k).for_each(|p| p.name = None),
                None => {
                    named_by_first.insert(f.memid, f.params.iter().filter(|p| !p.is_retval()).count());
                }
            }
            ti.funcs.push(f);
        }
        if kind == TypeKind::Module {
            ti.dll_name = self.dll_name(object, &ti.funcs);
        }
        for i in 0..attr.c_vars as u32 {
            let v = self.var(object, i)?;
            ti.vars.push(v);
        }
        Ok(ti)
    }

    fn impl_types(&mut self, info: &ITypeInfo, count: u16) -> Result<Vec<ImplType>> {
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count as u32 {
            let (mut href, mut flags) = (0u32, 0i32);
            // SAFETY: a live ITypeInfo; the out pointers are locals.
            let hr = unsafe { info.get_ref_type_of_impl_type(i, &mut href) };
            if hr.is_err() {
                return Err(com_error("ITypeInfo::GetRefTypeOfImplType", hr));
            }
            // SAFETY: as above.
            let hr = unsafe { info.get_impl_type_flags(i, &mut flags) };
            if hr.is_err() {
                return Err(com_error("ITypeInfo::GetImplTypeFlags", hr));
            }
            out.push(ImplType { target: self.reference(info, href)?, flags, custom: Vec::new() });
        }
        Ok(out)
    }

    fn func(&mut self, info: &ITypeInfo, index: u32, module: bool) -> Result<FuncDesc> {
        let mut p = core::ptr::null_mut();
        // SAFETY: a live ITypeInfo; `p` is a local.
        let hr = unsafe { info.get_func_desc(index, &mut p) };
        if hr.is_err() {
            return Err(com_error("ITypeInfo::GetFuncDesc", hr));
        }
        if p.is_null() {
            return Err(null("GetFuncDesc returned a null FUNCDESC"));
        }
        // SAFETY: (the release function) the ITypeInfo contract.
        let guard = Handout { info, p, release: |i, p| unsafe { i.release_func_desc(p) } };
        // SAFETY: a FUNCDESC the object handed out, alive until the guard drops.
        let fd = unsafe { guard.p.read_unaligned() };
        let count = usize::try_from(fd.c_params).ok().filter(|n| *n <= MAX_PARAMS).ok_or(TypeLibError::BadIndex {
            what: "FUNCDESC cParams",
            index: fd.c_params as i64,
            limit: MAX_PARAMS as u64,
        })?;
        if count > 0 && fd.lprgelemdesc_param.is_null() {
            return Err(null("FUNCDESC: null lprgelemdescParam"));
        }
        let invkind = InvokeKind::from_raw(fd.invkind)
            .ok_or(TypeLibError::BadValue { what: "FUNCDESC invkind", value: fd.invkind as i64 })?;
        let kind = FuncKind::from_raw(fd.funckind)
            .ok_or(TypeLibError::BadValue { what: "FUNCDESC funckind", value: fd.funckind as i64 })?;
        let mut params = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: `cParams` ELEMDESCs at `lprgelemdescParam` (the FUNCDESC contract).
            let e = unsafe { fd.lprgelemdesc_param.add(i) };
            // SAFETY: as above.
            let ty = unsafe { self.tdesc(info, core::ptr::addr_of!((*e).tdesc), 0) }?;
            // SAFETY: as above; PARAMDESC is the union member of a parameter.
            let pd = unsafe { core::ptr::addr_of!((*e).u.paramdesc).read_unaligned() };
            let default = if pd.w_param_flags & paramflags::HASDEFAULT != 0 && !pd.pparamdescex.is_null() {
                // SAFETY: a PARAMDESCEX of the handout.
                Some(unsafe { read_value(core::ptr::addr_of!((*pd.pparamdescex).var_default_value)) }?)
            } else {
                None
            };
            params.push(ParamDesc { name: None, ty, flags: pd.w_param_flags, default, custom: Vec::new() });
        }
        // SAFETY: the return type's TYPEDESC inside the live FUNCDESC.
        let ret = unsafe { self.tdesc(info, core::ptr::addr_of!((*guard.p).elemdesc_func.tdesc), 0) }?;
        drop(guard);
        let names = names(info, fd.memid, count + 1)?;
        let (_, doc, help_context, _) = documentation(info, fd.memid)?;
        let mut it = names.into_iter();
        let name = it.next().flatten().unwrap_or_default();
        for (p, n) in params.iter_mut().zip(it) {
            p.name = n;
        }
        let entry = if module { dll_entry(info, fd.memid, fd.invkind).1 } else { None };
        Ok(FuncDesc {
            memid: fd.memid,
            name,
            kind,
            invkind,
            callconv: CallConv(fd.callconv as u8),
            flags: fd.w_func_flags,
            vtable_offset: fd.o_vft as u16,
            ret,
            params,
            opt_params: fd.c_params_opt,
            doc,
            help_context,
            help_string_context: 0,
            entry,
            custom: Vec::new(),
        })
    }

    fn var(&mut self, info: &ITypeInfo, index: u32) -> Result<VarDesc> {
        let mut p = core::ptr::null_mut();
        // SAFETY: a live ITypeInfo; `p` is a local.
        let hr = unsafe { info.get_var_desc(index, &mut p) };
        if hr.is_err() {
            return Err(com_error("ITypeInfo::GetVarDesc", hr));
        }
        if p.is_null() {
            return Err(null("GetVarDesc returned a null VARDESC"));
        }
        // SAFETY: (the release function) the ITypeInfo contract.
        let guard = Handout { info, p, release: |i, p| unsafe { i.release_var_desc(p) } };
        // SAFETY: a VARDESC the object handed out, alive until the guard drops.
        let vd = unsafe { guard.p.read_unaligned() };
        let kind = VarKind::from_raw(vd.varkind)
            .ok_or(TypeLibError::BadValue { what: "VARDESC varkind", value: vd.varkind as i64 })?;
        // SAFETY: the variable's TYPEDESC inside the live VARDESC.
        let ty = unsafe { self.tdesc(info, core::ptr::addr_of!((*guard.p).elemdesc_var.tdesc), 0) }?;
        let value = if kind == VarKind::Const {
            // SAFETY: a constant's union member is its VARIANT's pointer.
            let v = unsafe { vd.u.lpvar_value };
            if v.is_null() {
                return Err(null("VARDESC: null lpvarValue"));
            }
            // SAFETY: a VARIANT of the handout.
            VarValue::Const(unsafe { read_value(v) }?)
        } else {
            // SAFETY: any other kind's union member is oInst.
            VarValue::Offset(unsafe { vd.u.o_inst })
        };
        drop(guard);
        let name = names(info, vd.memid, 1)?.into_iter().next().flatten().unwrap_or_default();
        let (_, doc, help_context, _) = documentation(info, vd.memid)?;
        Ok(VarDesc {
            memid: vd.memid,
            name,
            kind,
            flags: vd.w_var_flags,
            ty,
            value,
            doc,
            help_context,
            help_string_context: 0,
            custom: Vec::new(),
        })
    }

    fn dll_name(&self, info: &ITypeInfo, funcs: &[FuncDesc]) -> Option<String> {
        let f = funcs.first()?;
        dll_entry(info, f.memid, f.invkind.raw()).0
    }
}

/// `GetDllEntry`: `(DLL name, entry)`; nothing when the object does not answer.
fn dll_entry(info: &ITypeInfo, memid: i32, invkind: u32) -> (Option<String>, Option<DllEntry>) {
    let (mut dll, mut name, mut ordinal) = (core::ptr::null_mut(), core::ptr::null_mut(), 0u16);
    // SAFETY: a live ITypeInfo; the out pointers are locals.
    let hr = unsafe { info.get_dll_entry(memid, invkind, &mut dll, &mut name, &mut ordinal) };
    // SAFETY: the BSTRs written are the caller's.
    let (dll, name) = unsafe { (take_bstr(dll).ok().flatten(), take_bstr(name).ok().flatten()) };
    if hr.is_err() {
        return (None, None);
    }
    let entry = match name {
        Some(n) => Some(DllEntry::Name(n)),
        None if ordinal != 0 => Some(DllEntry::Ordinal(ordinal)),
        None => None,
    };
    (dll, entry)
}

/// The library around the type: `GetContainingTypeLib`'s attributes and documentation when it answers, else
/// an anonymous library. Pointer sizes are the caller's (what the object reports is laid out for this process).
fn library_attributes(info: &ITypeInfo) -> TypeLib {
    let syskind = if cfg!(target_pointer_width = "64") { SysKind::Win64 } else { SysKind::Win32 };
    let mut lib = TypeLib {
        attr: LibAttr { guid: Guid::NULL, lcid: 0, syskind, major: 0, minor: 0, flags: 0 },
        type_lcid: 0,
        name: String::new(),
        doc: None,
        help_file: None,
        help_context: 0,
        help_string_context: 0,
        help_string_dll: None,
        custom: Vec::new(),
        types: Vec::new(),
        imports: Vec::new(),
        dispatch_ref: None,
    };
    let (mut raw, mut index) = (core::ptr::null_mut::<c_void>(), 0u32);
    // SAFETY: a live ITypeInfo; the out pointers are locals.
    let hr = unsafe { info.get_containing_type_lib(&mut raw, &mut index) };
    // SAFETY: the reference written (if any) is the caller's.
    let Some(tl) = (unsafe { ComPtr::<ITypeLib>::from_raw(raw) }) else { return lib };
    if hr.is_err() {
        return lib;
    }
    let mut attr = core::ptr::null_mut();
    // SAFETY: a live ITypeLib; `attr` is a local.
    if unsafe { tl.get_lib_attr(&mut attr) }.is_ok() && !attr.is_null() {
        // SAFETY: a TLIBATTR the library handed out, released right after.
        let a = unsafe { attr.read_unaligned() };
        // SAFETY: returned to the library that handed it out.
        unsafe { tl.release_tlib_attr(attr) };
        lib.attr = LibAttr {
            guid: a.guid,
            lcid: a.lcid,
            syskind,
            major: a.w_major_ver_num,
            minor: a.w_minor_ver_num,
            flags: a.w_lib_flags,
        };
        lib.type_lcid = a.lcid;
    }
    let (mut name, mut doc, mut ctx, mut file) =
        (core::ptr::null_mut(), core::ptr::null_mut(), 0u32, core::ptr::null_mut());
    // SAFETY: a live ITypeLib; the out pointers are locals.
    let hr = unsafe { tl.get_documentation(-1, &mut name, &mut doc, &mut ctx, &mut file) };
    // SAFETY: the BSTRs written are the caller's.
    let (name, doc, file) = unsafe { (take_bstr(name), take_bstr(doc), take_bstr(file)) };
    if hr.is_ok() {
        lib.name = name.ok().flatten().unwrap_or_default();
        lib.doc = doc.ok().flatten();
        lib.help_file = file.ok().flatten();
        lib.help_context = ctx;
    }
    lib
}
