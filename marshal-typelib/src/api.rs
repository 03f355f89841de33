//! What `ITypeInfo` reports for a type: the loader's view on top of the stored model.
//!
//! A loader does not hand out every stored field as is: `TYPEATTR.lcid` is the library's, a dispinterface's
//! `cbSizeVft` is IDispatch's vtable, and so on. [`TypeInfoView`] computes those values, so that code driving
//! IDispatch, and the tests comparing with Wine's `oleaut32`, see what a COM client sees.

use std::sync::Arc;

use marshal_core::Guid;

use crate::model::*;
use crate::resolve::{RefTarget, Resolver};
use crate::Format;

/// `TYPEATTR` as `ITypeInfo::GetTypeAttr` reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeAttr {
    /// GUID.
    pub guid: Guid,
    /// Locale.
    pub lcid: u32,
    /// `cbSizeInstance`.
    pub size: u32,
    /// `typekind`.
    pub kind: TypeKind,
    /// `cFuncs`.
    pub func_count: u16,
    /// `cVars`.
    pub var_count: u16,
    /// `cImplTypes`.
    pub impl_count: u16,
    /// `cbSizeVft`.
    pub vft_size: u16,
    /// `cbAlignment`.
    pub align: u16,
    /// `wTypeFlags`.
    pub flags: u16,
    /// `wMajorVerNum`.
    pub major: u16,
    /// `wMinorVerNum`.
    pub minor: u16,
}

/// A function as `GetFuncDesc` reports it, with the library its types refer into.
pub struct ApiFunc<'a> {
    lib: RefTarget<'a>,
    /// The function.
    pub func: FuncDesc,
}

impl ApiFunc<'_> {
    /// The library whose references the function's types use.
    pub fn lib(&self) -> &TypeLib {
        &self.lib
    }

    /// The imported library the function comes from (an interface it inherits from lives there), or `None` when
    /// it is the viewed library's own.
    pub fn imported(&self) -> Option<&Arc<TypeLib>> {
        match &self.lib {
            RefTarget::This(_) => None,
            RefTarget::Other(l) => Some(l),
        }
    }
}

/// One type of a library seen through the ITypeInfo API.
pub struct TypeInfoView<'a> {
    lib: &'a TypeLib,
    index: usize,
    resolver: &'a dyn Resolver,
    format: Format,
    /// The interface side of a dual interface (`GetRefTypeOfImplType(-1)`).
    interface_side: bool,
}

impl<'a> TypeInfoView<'a> {
    /// The view of type `index` of `lib`; `resolver` supplies imported libraries.
    ///
    /// # Panics
    /// If `index` is not a type of `lib`.
    pub fn new(lib: &'a TypeLib, index: usize, resolver: &'a dyn Resolver) -> Self {
        assert!(index < lib.types.len(), "type index {index} out of range");
        TypeInfoView { lib, index, resolver, format: Format::Msft, interface_side: false }
    }

    /// The vtable side of a dual interface, which `GetRefTypeOfImplType(-1)` leads to: a `TKIND_INTERFACE` with
    /// the stored functions, vtable size and flags. `None` for anything but a dual dispinterface.
    pub fn dual_interface(&self) -> Option<TypeInfoView<'a>> {
        let ti = self.info();
        (ti.kind == TypeKind::Dispatch && ti.flags & typeflags::DUAL != 0).then_some(TypeInfoView {
            lib: self.lib,
            index: self.index,
            resolver: self.resolver,
            format: self.format,
            interface_side: true,
        })
    }

    /// `ITypeInfo2::GetTypeFlags`: the stored flags (no dispinterface adjustment).
    pub fn type_flags(&self) -> u16 {
        self.info().flags
    }

    /// `GetNames(memid)`: the first function (then variable) with this member id, its name and its parameters'
    /// names up to the first unnamed one; a dispinterface hides a vtable function's `[retval]` and `[lcid]`
    /// parameters. Members of the interface this one derives from are searched next.
    pub fn names(&self, memid: i32) -> Vec<String> {
        let dispinterface = self.kind() == TypeKind::Dispatch;
        names_in(self.lib, self.index, memid, dispinterface, self.resolver, 0)
    }

    /// `ITypeInfo2::GetDocumentation2` help string of the type itself: the loader reports the type's name.
    pub fn help_string(&self) -> Option<String> {
        Some(self.info().name.clone())
    }

    fn kind(&self) -> TypeKind {
        if self.interface_side {
            TypeKind::Interface
        } else {
            self.info().kind
        }
    }

    /// The loader's view of a library read from `format` (the default is MSFT). The formats differ in one
    /// reported value: an MSFT dispinterface always reports that it implements IDispatch; an SLTG one only when
    /// its file names an implemented interface.
    pub fn loaded_from(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// The stored type.
    pub fn info(&self) -> &'a TypeInfo {
        &self.lib.types[self.index]
    }

    /// `GetTypeAttr`. A dispinterface reports IDispatch's vtable size, a function count that includes the
    /// inherited functions (its stored vtable size in pointers), and no `TYPEFLAG_FOLEAUTOMATION`.
    pub fn type_attr(&self) -> TypeAttr {
        let ti = self.info();
        let ptr = self.lib.pointer_size().max(1);
        let mut attr = TypeAttr {
            guid: ti.guid,
            lcid: self.lib.type_lcid,
            size: ti.size,
            kind: ti.kind,
            func_count: ti.funcs.len() as u16,
            var_count: ti.vars.len() as u16,
            impl_count: self.impl_count(),
            vft_size: ti.vft_size,
            align: ti.align,
            flags: ti.flags,
            major: ti.major,
            minor: ti.minor,
        };
        if self.lib.pointer_size() != NATIVE_POINTER {
            self.fix_pointer_size(&mut attr);
        }
        if self.interface_side {
            attr.kind = TypeKind::Interface;
            return attr;
        }
        if ti.kind == TypeKind::Dispatch {
            attr.func_count = (ti.vft_size as u32 / ptr) as u16;
            attr.vft_size = (7 * NATIVE_POINTER) as u16;
            attr.flags &= !typeflags::OLEAUTOMATION;
        }
        attr
    }

    /// A library built for another pointer size reports the sizes of the caller's platform for what holds
    /// pointers: interfaces and coclasses are one pointer, and so are aliases of pointer types.
    fn fix_pointer_size(&self, attr: &mut TypeAttr) {
        use marshal_core::VarType;
        let ti = self.info();
        match ti.kind {
            TypeKind::Interface | TypeKind::Dispatch | TypeKind::Coclass => {
                attr.size = NATIVE_POINTER;
                attr.align = NATIVE_POINTER as u16;
            }
            TypeKind::Alias => match &ti.alias {
                Some(ElemType::Base(
                    VarType::BSTR | VarType::DISPATCH | VarType::UNKNOWN | VarType::LPSTR | VarType::LPWSTR,
                ))
                | Some(ElemType::Ptr(_))
                | Some(ElemType::SafeArray(_)) => {
                    attr.size = NATIVE_POINTER;
                    attr.align = NATIVE_POINTER as u16;
                }
                Some(ElemType::Base(VarType::VARIANT)) => {
                    attr.size = 2 * NATIVE_POINTER + 8;
                    attr.align = NATIVE_POINTER as u16;
                }
                Some(ElemType::CArray { .. }) | Some(ElemType::UserDefined(_)) => {
                    if let Some((size, align)) =
                        crate::layout::size_of_elem(self.lib, ti.alias.as_ref().unwrap(), self.resolver, NATIVE_POINTER)
                    {
                        attr.size = size;
                        attr.align = align;
                    }
                }
                _ => {
                    attr.align = if attr.size < NATIVE_POINTER { attr.size as u16 } else { NATIVE_POINTER as u16 };
                }
            },
            _ => {}
        }
    }

    /// `TYPEATTR.cImplTypes`: an MSFT dispinterface counts IDispatch even when the library has no reference to it
    /// (then [`TypeInfoView::impl_types`] cannot name it).
    fn impl_count(&self) -> u16 {
        let ti = self.info();
        if ti.kind == TypeKind::Dispatch && !self.interface_side && self.format == Format::Msft {
            return 1;
        }
        self.impl_types().len() as u16
    }

    /// `GetRefTypeOfImplType` / `GetImplTypeFlags` for each implemented type. Every dispinterface reports that it
    /// implements IDispatch (flags 0), whatever interface it wraps.
    pub fn impl_types(&self) -> Vec<ImplType> {
        let ti = self.info();
        if ti.kind == TypeKind::Dispatch && !self.interface_side {
            if self.format == Format::Sltg && ti.impl_types.is_empty() {
                return Vec::new();
            }
            return match &self.lib.dispatch_ref {
                Some(r) => vec![ImplType { target: r.clone(), flags: 0, custom: Vec::new() }],
                None => Vec::new(),
            };
        }
        ti.impl_types.clone()
    }

    /// `GetFuncDesc` for each function. A dispinterface lists the functions of the interfaces it derives from
    /// first, and shows every function in its `IDispatch::Invoke` form: `FUNC_DISPATCH`, the `[retval]` parameter
    /// as the return type (else `HRESULT` as `void`), and no trailing `[lcid]` parameter.
    pub fn funcs(&self) -> Vec<ApiFunc<'a>> {
        let ti = self.info();
        // Vtable offsets are stored in the pointer size of the library holding the function; a loader scales them
        // to its own.
        let fix_vft = |f: &mut FuncDesc, ptr: u32| {
            f.vtable_offset = ((f.vtable_offset as u32 * NATIVE_POINTER / ptr.max(1)) as u16) & 0xFFFC;
        };
        if ti.kind != TypeKind::Dispatch || self.interface_side {
            return ti
                .funcs
                .iter()
                .map(|f| {
                    let mut func = f.clone();
                    fix_vft(&mut func, self.lib.pointer_size());
                    ApiFunc { lib: RefTarget::This(self.lib), func }
                })
                .collect();
        }
        let mut out = Vec::new();
        collect_inherited(RefTarget::This(self.lib), self.index, self.resolver, 0, &mut out);
        // A client asks for `cFuncs` of them (the stored vtable size in pointers).
        out.truncate(self.type_attr().func_count as usize);
        for f in &mut out {
            if f.func.kind == FuncKind::Dispatch {
                // A dispinterface's own functions have no vtable slot, whatever the file stores.
                f.func.vtable_offset = 0;
            } else {
                let ptr = f.lib().pointer_size();
                fix_vft(&mut f.func, ptr);
            }
            to_dispatch_form(&mut f.func);
        }
        out
    }
}

/// `GetNames` on type `index` of `lib` (see [`TypeInfoView::names`]).
fn names_in(
    lib: &TypeLib,
    index: usize,
    memid: i32,
    dispinterface: bool,
    resolver: &dyn Resolver,
    depth: u32,
) -> Vec<String> {
    let Some(ti) = lib.types.get(index) else { return Vec::new() };
    if let Some(f) = ti.funcs.iter().find(|f| f.memid == memid) {
        let mut params = f.params.len();
        if dispinterface && f.kind != FuncKind::Dispatch {
            if params > 0 && f.params[params - 1].is_retval() {
                params -= 1;
            }
            if params > 0 && f.params[params - 1].is_lcid() {
                params -= 1;
            }
        }
        let mut out = vec![f.name.clone()];
        for p in &f.params[..params] {
            match &p.name {
                Some(n) => out.push(n.clone()),
                None => break,
            }
        }
        return out;
    }
    if let Some(v) = ti.vars.iter().find(|v| v.memid == memid) {
        return vec![v.name.clone()];
    }
    if depth < crate::MAX_TYPE_DEPTH && matches!(ti.kind, TypeKind::Interface | TypeKind::Dispatch) {
        if let Some(base) = ti.impl_types.first() {
            if let Ok((l, i)) = lib.resolve_ref(&base.target, resolver) {
                return names_in(&l, i as usize, memid, dispinterface, resolver, depth + 1);
            }
        }
    }
    Vec::new()
}

/// Pointer size of the process the view is for: `GetTypeAttr` reports `sizeof(IDispatchVtbl)` of the caller.
const NATIVE_POINTER: u32 = core::mem::size_of::<usize>() as u32;

/// The functions of type `index` of `lib`, after those of the interface it derives from (recursively, depth-bounded
/// against cyclic inheritance in hostile files; a base that cannot be resolved contributes nothing).
fn collect_inherited<'a>(
    lib: RefTarget<'a>,
    index: usize,
    resolver: &'a dyn Resolver,
    depth: u32,
    out: &mut Vec<ApiFunc<'a>>,
) {
    let Some(ti) = lib.types.get(index) else { return };
    if depth < crate::MAX_TYPE_DEPTH && matches!(ti.kind, TypeKind::Interface | TypeKind::Dispatch) {
        if let Some(base) = ti.impl_types.first() {
            if let Ok((base_lib, base_index)) = lib.resolve_ref(&base.target, resolver) {
                let base_lib = match base_lib {
                    RefTarget::This(_) => clone_target(&lib),
                    RefTarget::Other(l) => RefTarget::Other(l),
                };
                collect_inherited(base_lib, base_index as usize, resolver, depth + 1, out);
            }
        }
    }
    for f in &ti.funcs {
        out.push(ApiFunc { lib: clone_target(&lib), func: f.clone() });
    }
}

fn clone_target<'a>(t: &RefTarget<'a>) -> RefTarget<'a> {
    match t {
        RefTarget::This(l) => RefTarget::This(l),
        RefTarget::Other(l) => RefTarget::Other(Arc::clone(l)),
    }
}

/// Rewrites a vtable function into the form a dispinterface reports (what `IDispatch::Invoke` passes in
/// DISPPARAMS): the `[retval]` pointer's target becomes the return type, an `HRESULT` result becomes `void`, and a
/// trailing `[lcid]` parameter (supplied by Invoke's `lcid`) disappears.
pub fn to_dispatch_form(f: &mut FuncDesc) {
    let was_dispatch = f.kind == FuncKind::Dispatch;
    f.kind = FuncKind::Dispatch;
    if was_dispatch {
        return;
    }
    match f.params.last() {
        Some(p) if p.is_retval() => {
            if let ElemType::Ptr(inner) = &p.ty {
                f.ret = (**inner).clone();
                f.params.pop();
            }
        }
        _ => {
            if f.ret == ElemType::Base(marshal_core::VarType::HRESULT) {
                f.ret = ElemType::Base(marshal_core::VarType::VOID);
            }
        }
    }
    if f.params.last().is_some_and(|p| p.is_lcid()) {
        f.params.pop();
    }
}
