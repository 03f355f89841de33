//! proptest strategies for random type libraries (within what both MSFT and SLTG hold).
#![allow(dead_code)]

use marshal_core::{Guid, VarType};
use marshal_typelib::*;
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_]{0,12}"
}

fn base_type() -> impl Strategy<Value = ElemType> {
    prop_oneof![
        Just(VarType::I1),
        Just(VarType::UI1),
        Just(VarType::I2),
        Just(VarType::UI2),
        Just(VarType::I4),
        Just(VarType::UI4),
        Just(VarType::I8),
        Just(VarType::R4),
        Just(VarType::R8),
        Just(VarType::BSTR),
        Just(VarType::VARIANT),
        Just(VarType::BOOL),
        Just(VarType::CY),
        Just(VarType::DATE),
        Just(VarType::UNKNOWN),
        Just(VarType::DISPATCH),
    ]
    .prop_map(ElemType::Base)
}

/// A type description referring (maybe) to one of `n` types of the library.
fn elem(n: u32) -> impl Strategy<Value = ElemType> {
    let leaf = prop_oneof![base_type(), (0..n).prop_map(|i| ElemType::UserDefined(TypeRef::Local(i)))];
    leaf.prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| ElemType::Ptr(Box::new(t))),
            inner.clone().prop_map(|t| ElemType::SafeArray(Box::new(t))),
            (inner, 1u32..9).prop_map(|(t, c)| ElemType::CArray { elem: Box::new(t), bounds: vec![(c, 0)] }),
        ]
    })
}

fn param(n: u32) -> impl Strategy<Value = ParamDesc> {
    (proptest::option::of(name()), elem(n), prop_oneof![Just(1u16), Just(2), Just(3), Just(1 | 4), Just(2 | 8)])
        .prop_map(|(name, ty, flags)| ParamDesc { name, ty, flags, default: None, custom: Vec::new() })
}

fn func(n: u32, kind: FuncKind) -> impl Strategy<Value = FuncDesc> {
    (name(), any::<i32>(), 0u8..4, proptest::collection::vec(param(n), 0..5), 0u16..200, elem(n)).prop_map(
        move |(name, memid, inv, params, slot, ret)| FuncDesc {
            memid,
            name,
            kind,
            invkind: [InvokeKind::Func, InvokeKind::PropertyGet, InvokeKind::PropertyPut, InvokeKind::PropertyPutRef]
                [inv as usize],
            callconv: CallConv::STDCALL,
            flags: 0,
            vtable_offset: if kind == FuncKind::Dispatch { 0 } else { slot * 8 },
            ret,
            params,
            opt_params: 0,
            doc: None,
            help_context: 0,
            help_string_context: 0,
            entry: None,
            custom: Vec::new(),
        },
    )
}

fn var(n: u32, kind: VarKind) -> impl Strategy<Value = VarDesc> {
    (name(), any::<i32>(), elem(n), any::<i32>(), 0u32..4096).prop_map(move |(name, memid, ty, c, off)| VarDesc {
        memid,
        name,
        kind,
        flags: 0,
        ty: if kind == VarKind::Const { ElemType::Base(VarType::INT) } else { ty },
        value: match kind {
            VarKind::Const => VarValue::Const(Value::Int(c)),
            VarKind::Dispatch => VarValue::Offset(0),
            _ => VarValue::Offset(off),
        },
        doc: None,
        help_context: 0,
        help_string_context: 0,
        custom: Vec::new(),
    })
}

fn type_info(n: u32) -> impl Strategy<Value = TypeInfo> {
    (
        0u8..7,
        name(),
        any::<u128>(),
        0u16..0x1000,
        1u32..512,
        proptest::collection::vec(var(n, VarKind::PerInstance), 0..4),
    )
        .prop_flat_map(move |(k, name, g, flags, size, fields)| {
            let kind = [
                TypeKind::Enum,
                TypeKind::Record,
                TypeKind::Module,
                TypeKind::Interface,
                TypeKind::Dispatch,
                TypeKind::Coclass,
                TypeKind::Alias,
            ][k as usize];
            let funcs = match kind {
                TypeKind::Interface => proptest::collection::vec(func(n, FuncKind::PureVirtual), 0..4).boxed(),
                TypeKind::Dispatch => proptest::collection::vec(func(n, FuncKind::Dispatch), 0..4).boxed(),
                TypeKind::Module => proptest::collection::vec(func(n, FuncKind::Static), 0..3).boxed(),
                _ => Just(Vec::new()).boxed(),
            };
            let vars = match kind {
                TypeKind::Enum | TypeKind::Module => proptest::collection::vec(var(n, VarKind::Const), 0..4).boxed(),
                TypeKind::Record => Just(fields.clone()).boxed(),
                TypeKind::Dispatch => proptest::collection::vec(var(n, VarKind::Dispatch), 0..3).boxed(),
                _ => Just(Vec::new()).boxed(),
            };
            let impls = match kind {
                TypeKind::Coclass => proptest::collection::vec((0..n, 0i32..4), 0..3).boxed(),
                TypeKind::Interface => proptest::collection::vec((0..n, Just(0i32)), 0..2).boxed(),
                _ => Just(Vec::new()).boxed(),
            };
            let alias = if kind == TypeKind::Alias { elem(n).prop_map(Some).boxed() } else { Just(None).boxed() };
            (funcs, vars, impls, alias).prop_map(move |(funcs, vars, impls, alias)| TypeInfo {
                name: name.clone(),
                doc: None,
                help_context: 0,
                help_string_context: 0,
                guid: if kind == TypeKind::Alias || kind == TypeKind::Module { Guid::NULL } else { Guid::from_u128(g) },
                kind,
                flags: flags & !typeflags::DUAL,
                major: 0,
                minor: 0,
                size,
                align: 4,
                vft_size: (funcs.len() * 8) as u16,
                alias,
                dll_name: None,
                funcs,
                vars,
                impl_types: impls
                    .into_iter()
                    .map(|(t, f)| ImplType { target: TypeRef::Local(t), flags: f, custom: Vec::new() })
                    .collect(),
                custom: Vec::new(),
            })
        })
}

pub fn library() -> impl Strategy<Value = TypeLib> {
    (1u32..6).prop_flat_map(|n| {
        (proptest::collection::vec(type_info(n), n as usize), name(), any::<u128>()).prop_map(|(types, name, g)| {
            TypeLib {
                attr: LibAttr {
                    guid: Guid::from_u128(g),
                    lcid: 0,
                    syskind: SysKind::Win64,
                    major: 1,
                    minor: 0,
                    flags: 0,
                },
                type_lcid: 0,
                name,
                doc: None,
                help_file: None,
                help_context: 0,
                help_string_context: 0,
                help_string_dll: None,
                custom: Vec::new(),
                types,
                imports: Vec::new(),
                dispatch_ref: None,
            }
        })
    })
}
