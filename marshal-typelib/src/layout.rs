//! From type information to the core: records and unions become struct [`TypeDesc`]s (whose
//! [`marshal_core::Layout`] agrees with `TYPEATTR.cbSizeInstance` and the `VARDESC` offsets), and methods become
//! COM call signatures of `TypeDesc`s ([`ComSignature`]), so an interop layer can call any interface a type library
//! describes, at run time.

use marshal_core::{InterfaceKind, LayoutKind, StructBuilder, TypeDesc, TypeSet, VarType};

use crate::error::{Result, TypeLibError};
use crate::model::*;
use crate::resolve::Resolver;
use crate::value::Value;
use crate::MAX_TYPE_DEPTH;

/// Builds the core descriptors of a library's records and unions (and of the records they embed, imported ones
/// included) into one [`TypeSet`], keyed by type name.
pub struct Mapper<'a> {
    lib: &'a TypeLib,
    resolver: &'a dyn Resolver,
    set: TypeSet,
}

impl<'a> Mapper<'a> {
    /// A mapper for `lib`; `resolver` supplies imported libraries.
    pub fn new(lib: &'a TypeLib, resolver: &'a dyn Resolver) -> Self {
        Mapper { lib, resolver, set: TypeSet::new() }
    }

    /// The struct descriptor of the record or union at `index` (declaring, on the way, every record it embeds).
    pub fn record(&mut self, index: usize) -> Result<TypeDesc> {
        let ti = self.lib.types.get(index).ok_or(TypeLibError::BadIndex {
            what: "type index",
            index: index as i64,
            limit: self.lib.types.len() as u64,
        })?;
        self.declare(self.lib, index, 0, false)?;
        self.set.resolve(&ti.name).map_err(|e| TypeLibError::Unsupported(format!("{}: {e}", ti.name)))
    }

    /// Declares record `index` of `lib` (and what it embeds). With `shape`, it is declared under
    /// [`shape_name`] with every member in its native shape (for use inside a union).
    fn declare(&mut self, lib: &TypeLib, index: usize, depth: u32, shape: bool) -> Result<()> {
        let ti = &lib.types[index];
        let name = if shape { shape_name(&ti.name) } else { ti.name.clone() };
        if self.set.contains(&name) {
            return Ok(());
        }
        if depth >= MAX_TYPE_DEPTH {
            return Err(TypeLibError::TooDeep { what: "nested records", limit: MAX_TYPE_DEPTH });
        }
        let kind = match ti.kind {
            TypeKind::Record => LayoutKind::Sequential,
            TypeKind::Union => LayoutKind::Explicit,
            _ => return Err(TypeLibError::Unsupported(format!("{} is not a record or union", ti.name))),
        };
        let mut b = StructBuilder::new(&name, kind);
        let shape_members = shape || kind == LayoutKind::Explicit;
        // MIDL aligns each field naturally (up to 8); the record's alignment is recorded in TYPEATTR. The CLR's
        // default packing gives the same offsets.
        let mut nested = Vec::new();
        for v in &ti.vars {
            let mut ty = self.field_type(lib, &v.ty, depth, &mut nested)?;
            // A conformant trailing array (`byte data[]`, stored with 0 elements) takes no bytes; the CLR has no
            // zero-length inline array, so it is left out (its elements follow the record in native memory).
            if matches!(ty, TypeDesc::ByValArray { count: 0, .. }) {
                continue;
            }
            // The CLR cannot overlap references: a union's string / interface / VARIANT members (and those of the
            // records it embeds) are described by their native shape, to be read raw.
            if shape_members {
                ty = native_shape(ty);
            }
            b = match kind {
                LayoutKind::Explicit => b.field_at(&v.name, 0, ty),
                _ => b.field(&v.name, ty),
            };
        }
        // Declared first so that a record embedding itself is caught by the TypeSet, not by recursion here.
        self.set.declare(b).map_err(|e| TypeLibError::Unsupported(format!("{}: {e}", ti.name)))?;
        for (nested_lib, nested_index) in nested {
            match nested_lib {
                Some(l) => self.declare(&l, nested_index, depth + 1, shape_members)?,
                None => self.declare(lib, nested_index, depth + 1, shape_members)?,
            }
        }
        Ok(())
    }

    /// A field's descriptor; embedded records are named and queued in `nested` for declaration.
    fn field_type(
        &self,
        lib: &TypeLib,
        t: &ElemType,
        depth: u32,
        nested: &mut Vec<(Option<std::sync::Arc<TypeLib>>, usize)>,
    ) -> Result<TypeDesc> {
        if depth >= MAX_TYPE_DEPTH {
            return Err(TypeLibError::TooDeep { what: "field type", limit: MAX_TYPE_DEPTH });
        }
        Ok(match t {
            ElemType::CArray { elem, bounds } => {
                let count = bounds
                    .iter()
                    .try_fold(1u32, |acc, (n, _)| acc.checked_mul(*n))
                    .ok_or(TypeLibError::BadValue { what: "array element count", value: -1 })?;
                TypeDesc::by_val_array(self.field_type(lib, elem, depth + 1, nested)?, count)
            }
            ElemType::UserDefined(r) => {
                let (target, index) = lib.resolve_ref(r, self.resolver)?;
                let ti = &target.types[index as usize];
                match ti.kind {
                    TypeKind::Record | TypeKind::Union => {
                        let other = match &target {
                            crate::resolve::RefTarget::This(_) => None,
                            crate::resolve::RefTarget::Other(l) => Some(l.clone()),
                        };
                        nested.push((other, index as usize));
                        TypeDesc::named(&ti.name)
                    }
                    TypeKind::Alias => match &ti.alias {
                        Some(a) => {
                            let a = a.clone();
                            let target_lib: &TypeLib = &target;
                            self.field_type(target_lib, &a, depth + 1, nested)?
                        }
                        None => return Err(TypeLibError::BadValue { what: "alias without type", value: 0 }),
                    },
                    _ => user_defined_scalar(ti),
                }
            }
            other => elem_to_desc(lib, other, self.resolver, depth)?,
        })
    }
}

/// The name under which a record is declared in its native shape (inside a union).
fn shape_name(name: &str) -> String {
    format!("{name} (native shape)")
}

/// A reference-free descriptor with the same native size and alignment as `ty` on every target: pointers for
/// strings, interfaces and arrays by pointer; `{u64, ptr, ptr}` for a VARIANT (16 bytes on 32-bit, 24 on 64-bit).
fn native_shape(ty: TypeDesc) -> TypeDesc {
    match ty {
        TypeDesc::String(_) | TypeDesc::Interface(_) | TypeDesc::SafeArray(_) | TypeDesc::LpArray { .. } => {
            TypeDesc::Pointer
        }
        TypeDesc::Variant => StructBuilder::sequential("VARIANT (native shape)")
            .field("head", TypeDesc::U64)
            .field("data0", TypeDesc::Pointer)
            .field("data1", TypeDesc::Pointer)
            .build()
            .expect("a fixed blittable struct"),
        TypeDesc::ByValArray { elem, count } => TypeDesc::by_val_array(native_shape(*elem), count),
        TypeDesc::Named(n) => TypeDesc::named(&shape_name(&n)),
        other => other,
    }
}

/// The descriptor of an enum / interface / coclass used by value.
fn user_defined_scalar(ti: &TypeInfo) -> TypeDesc {
    match ti.kind {
        TypeKind::Enum => TypeDesc::I32,
        TypeKind::Interface | TypeKind::Dispatch if ti.guid != marshal_core::Guid::NULL => {
            TypeDesc::Interface(InterfaceKind::Iid(ti.guid))
        }
        TypeKind::Dispatch => TypeDesc::Interface(InterfaceKind::IDispatch),
        _ => TypeDesc::Interface(InterfaceKind::IUnknown),
    }
}

/// The core descriptor of a type description used as a parameter or field (records by reference are
/// [`TypeDesc::Pointer`]; use [`Mapper`] for records by value).
pub fn elem_to_desc(lib: &TypeLib, t: &ElemType, resolver: &dyn Resolver, depth: u32) -> Result<TypeDesc> {
    if depth >= MAX_TYPE_DEPTH {
        return Err(TypeLibError::TooDeep { what: "type description", limit: MAX_TYPE_DEPTH });
    }
    Ok(match t {
        ElemType::Base(vt) => base_to_desc(*vt)?,
        ElemType::Ptr(inner) => match &**inner {
            // A pointer to an interface is the interface pointer itself.
            ElemType::UserDefined(r) => {
                let (target, index) = lib.resolve_ref(r, resolver)?;
                let ti = &target.types[index as usize];
                match ti.kind {
                    TypeKind::Interface | TypeKind::Dispatch | TypeKind::Coclass => user_defined_scalar(ti),
                    _ => TypeDesc::Pointer,
                }
            }
            _ => TypeDesc::Pointer,
        },
        ElemType::SafeArray(elem) => TypeDesc::SafeArray(safearray_vt(lib, elem, resolver)?),
        ElemType::CArray { elem, bounds } => {
            let count = bounds.iter().try_fold(1u32, |acc, (n, _)| acc.checked_mul(*n)).unwrap_or(0);
            TypeDesc::by_val_array(elem_to_desc(lib, elem, resolver, depth + 1)?, count)
        }
        ElemType::UserDefined(r) => {
            let (target, index) = lib.resolve_ref(r, resolver)?;
            let ti = &target.types[index as usize];
            match (ti.kind, &ti.alias) {
                (TypeKind::Alias, Some(a)) => elem_to_desc(&target, &a.clone(), resolver, depth + 1)?,
                (TypeKind::Record | TypeKind::Union, _) => Mapper::new(&target, resolver).record(index as usize)?,
                _ => user_defined_scalar(ti),
            }
        }
    })
}

/// The VARTYPE of a SAFEARRAY's elements.
fn safearray_vt(lib: &TypeLib, elem: &ElemType, resolver: &dyn Resolver) -> Result<VarType> {
    Ok(match elem {
        ElemType::Base(vt) => *vt,
        ElemType::UserDefined(r) => {
            let (target, index) = lib.resolve_ref(r, resolver)?;
            let ti = &target.types[index as usize];
            match ti.kind {
                TypeKind::Enum => VarType::I4,
                TypeKind::Record => VarType::RECORD,
                TypeKind::Dispatch => VarType::DISPATCH,
                TypeKind::Alias => match &ti.alias {
                    Some(ElemType::Base(vt)) => *vt,
                    _ => VarType::UNKNOWN,
                },
                _ => VarType::UNKNOWN,
            }
        }
        ElemType::Ptr(inner) => safearray_vt(lib, inner, resolver)?,
        _ => return Err(TypeLibError::Unsupported(format!("SAFEARRAY of {:?}", elem.vt()))),
    })
}

/// The core descriptor of a base VARTYPE ([`TypeDesc::from_vartype`]).
pub fn base_to_desc(vt: VarType) -> Result<TypeDesc> {
    TypeDesc::from_vartype(vt).ok_or_else(|| TypeLibError::Unsupported(format!("{vt:?} as a value")))
}

/// Size and alignment of a type description as `ITypeInfo` computes them for an alias (pointer-sized types take
/// `ptr`; arrays multiply; user-defined types take their `TYPEATTR`).
pub(crate) fn size_of_elem(lib: &TypeLib, t: &ElemType, resolver: &dyn Resolver, ptr: u32) -> Option<(u32, u16)> {
    fn go(lib: &TypeLib, t: &ElemType, resolver: &dyn Resolver, ptr: u32, depth: u32) -> Option<(u32, u16)> {
        if depth >= MAX_TYPE_DEPTH {
            return None;
        }
        let size = match t {
            ElemType::Base(vt) => match *vt {
                VarType::VOID => 0,
                VarType::I1 | VarType::UI1 => 1,
                VarType::I2 | VarType::BOOL | VarType::UI2 => 2,
                VarType::I4
                | VarType::R4
                | VarType::ERROR
                | VarType::UI4
                | VarType::INT
                | VarType::UINT
                | VarType::HRESULT => 4,
                VarType::R8 | VarType::I8 | VarType::UI8 | VarType::DATE | VarType::CY => 8,
                VarType::BSTR | VarType::DISPATCH | VarType::UNKNOWN | VarType::LPSTR | VarType::LPWSTR => ptr,
                VarType::VARIANT => 2 * ptr + 8,
                VarType::DECIMAL => 16,
                _ => return None,
            },
            ElemType::Ptr(_) | ElemType::SafeArray(_) => ptr,
            ElemType::CArray { elem, bounds } => {
                let n = bounds.iter().try_fold(0u32, |acc, (c, _)| acc.checked_add(*c))?;
                let (sub, align) = go(lib, elem, resolver, ptr, depth + 1)?;
                return Some((n.checked_mul(sub)?, align));
            }
            ElemType::UserDefined(r) => {
                let (target, index) = lib.resolve_ref(r, resolver).ok()?;
                let ti = &target.types[index as usize];
                return Some((ti.size, ti.align));
            }
        };
        Some((size, if size < 4 { size as u16 } else { 4 }))
    }
    go(lib, t, resolver, ptr, 0)
}

/// How a parameter crosses the call, from its `PARAMFLAGS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `[in]` (also a parameter with no flags).
    In,
    /// `[out]`.
    Out,
    /// `[in, out]`.
    InOut,
}

/// One parameter of a [`ComSignature`].
#[derive(Clone, Debug, PartialEq)]
pub struct ComParam {
    /// Name, if the library records it.
    pub name: Option<String>,
    /// The value's descriptor (for a by-reference parameter: the pointee's).
    pub ty: TypeDesc,
    /// Whether the native parameter is a pointer to the value (`[out]`, `[in, out]`, and `[in]` records passed
    /// by pointer).
    pub by_ref: bool,
    /// Direction.
    pub direction: Direction,
    /// `[optional]`.
    pub optional: bool,
    /// `[lcid]`: filled with the caller's locale.
    pub lcid: bool,
    /// `[defaultvalue]`.
    pub default: Option<Value>,
}

/// A method as a call: the native parameters in order, and how the result comes back.
#[derive(Clone, Debug, PartialEq)]
pub struct ComSignature {
    /// Method name.
    pub name: String,
    /// Slot offset in the vtable, in bytes for the library's pointer size.
    pub vtable_offset: u16,
    /// Parameters except `[retval]`.
    pub params: Vec<ComParam>,
    /// The `[retval]` parameter's value type (returned as the call's result), or the native return type of a
    /// method that does not return an HRESULT (`None` for `void`).
    pub ret: Option<TypeDesc>,
    /// The native return is an HRESULT: failures become `Err(Hresult)`.
    pub returns_hresult: bool,
}

/// The call signature of `func` (a vtable method of a type in `lib`).
pub fn com_signature(lib: &TypeLib, func: &FuncDesc, resolver: &dyn Resolver) -> Result<ComSignature> {
    let mut params = Vec::new();
    let mut ret = None;
    for p in &func.params {
        let direction = match (p.is_in(), p.is_out()) {
            (true, true) => Direction::InOut,
            (false, true) => Direction::Out,
            _ => Direction::In,
        };
        // Out and in/out parameters are pointers to the value; so is `[in] T*` for a record.
        let (by_ref, value_ty) = match (&p.ty, direction) {
            (ElemType::Ptr(inner), Direction::Out | Direction::InOut) => (true, &**inner),
            (ElemType::Ptr(inner), Direction::In) if is_record(lib, inner, resolver) => (true, &**inner),
            (t, _) => (false, t),
        };
        let ty = elem_to_desc(lib, value_ty, resolver, 0)?;
        if p.is_retval() {
            ret = Some(ty);
            continue;
        }
        params.push(ComParam {
            name: p.name.clone(),
            ty,
            by_ref,
            direction,
            optional: p.is_optional(),
            lcid: p.is_lcid(),
            default: p.default.clone(),
        });
    }
    let returns_hresult = func.ret == ElemType::Base(VarType::HRESULT);
    if !returns_hresult && func.ret != ElemType::Base(VarType::VOID) {
        ret = Some(elem_to_desc(lib, &func.ret, resolver, 0)?);
    }
    Ok(ComSignature { name: func.name.clone(), vtable_offset: func.vtable_offset, params, ret, returns_hresult })
}

fn is_record(lib: &TypeLib, t: &ElemType, resolver: &dyn Resolver) -> bool {
    match t {
        ElemType::UserDefined(r) => lib
            .resolve_ref(r, resolver)
            .map(|(l, i)| matches!(l.types[i as usize].kind, TypeKind::Record | TypeKind::Union))
            .unwrap_or(false),
        _ => false,
    }
}
