//! The OLE Automation structures `ITypeInfo` and `ITypeLib` hand out, laid out exactly as `oaidl.h` declares them:
//! `TYPEDESC`, `ARRAYDESC`, `IDLDESC`, `PARAMDESC`, `PARAMDESCEX`, `ELEMDESC`, `TYPEATTR`, `FUNCDESC`, `VARDESC`,
//! `TLIBATTR`.
//!
//! The `#[repr(C)]` types are the host's layout (what a native caller in this process reads). The same structures on
//! the other pointer size are computed, not declared: [`layouts`] describes each one to marshal-core's layout engine
//! for a [`Target`], so a 64-bit process knows every offset a 32-bit one would use. Tests compare both with the C
//! compiler's layout of Wine's `oaidl.h` (`gcc -m64`, and `gcc -m32 -malign-double` for MSVC's 8-byte alignment of
//! `double` and `LONGLONG`), and the host declarations with the computed layout (tests/oaidl_layout.rs).
//!
//! | structure | Win64 size | Win32 size |
//! |---|---|---|
//! | `TYPEDESC` | 16 | 8 |
//! | `ELEMDESC` | 32 | 16 |
//! | `TYPEATTR` | 96 | 76 |
//! | `FUNCDESC` | 88 | 52 |
//! | `VARDESC` | 64 | 36 |
//! | `PARAMDESCEX` | 32 | 24 |
//! | `TLIBATTR` | 32 | 32 |
//!
//! ```
//! use marshal_core::layout::Target;
//! use marshal_typelib::oaidl::layouts;
//! let win32 = layouts(Target::WINDOWS_32);
//! let funcdesc = win32.iter().find(|(name, _)| *name == "FUNCDESC").unwrap();
//! assert_eq!(funcdesc.1.size(), 52);
//! assert_eq!(funcdesc.1.offset_of("elemdescFunc"), Some(32));
//! ```
#![allow(non_camel_case_types)]

use core::ffi::c_void;
use std::sync::Arc;

use marshal_core::layout::{Layout, Target};
use marshal_core::types::{StructBuilder, TypeDesc};
use marshal_core::variant::VARIANT;
use marshal_core::Guid;

/// The union of a `TYPEDESC`: what `vt` says it is.
#[repr(C)]
#[derive(Clone, Copy)]
pub union TypeDescUnion {
    /// `VT_PTR`, `VT_SAFEARRAY`: the pointee / element type.
    pub lptdesc: *mut TYPEDESC,
    /// `VT_CARRAY`: the array description.
    pub lpadesc: *mut ARRAYDESC,
    /// `VT_USERDEFINED`: the referenced type, for `ITypeInfo::GetRefTypeInfo`.
    pub hreftype: u32,
}

/// `TYPEDESC`: a type, as a tree of these.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TYPEDESC {
    /// `lptdesc` / `lpadesc` / `hreftype`.
    pub u: TypeDescUnion,
    /// The VARTYPE.
    pub vt: u16,
}

/// `SAFEARRAYBOUND`: one dimension of an `ARRAYDESC`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SAFEARRAYBOUND {
    /// `cElements`.
    pub c_elements: u32,
    /// `lLbound`.
    pub l_lbound: i32,
}

/// `ARRAYDESC`: a fixed-size array (`VT_CARRAY`). `rgbounds` has `c_dims` entries: the structure is allocated
/// with room for all of them after the declared one.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ARRAYDESC {
    /// `tdescElem`.
    pub tdesc_elem: TYPEDESC,
    /// `cDims`.
    pub c_dims: u16,
    /// `rgbounds[cDims]`.
    pub rgbounds: [SAFEARRAYBOUND; 1],
}

/// `IDLDESC`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct IDLDESC {
    /// `dwReserved` (`ULONG_PTR`).
    pub dw_reserved: usize,
    /// `wIDLFlags`.
    pub w_idl_flags: u16,
}

/// `PARAMDESCEX`: a parameter's default value.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PARAMDESCEX {
    /// `cBytes`: the size of this structure.
    pub c_bytes: u32,
    /// `varDefaultValue`.
    pub var_default_value: VARIANT,
}

/// `PARAMDESC`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PARAMDESC {
    /// `pparamdescex`: the default value when `PARAMFLAG_FHASDEFAULT` is set, else null.
    pub pparamdescex: *mut PARAMDESCEX,
    /// `wParamFlags`.
    pub w_param_flags: u16,
}

/// The union of an `ELEMDESC`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union ElemDescUnion {
    /// `idldesc`.
    pub idldesc: IDLDESC,
    /// `paramdesc`.
    pub paramdesc: PARAMDESC,
}

/// `ELEMDESC`: a parameter's or field's type and flags.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ELEMDESC {
    /// `tdesc`.
    pub tdesc: TYPEDESC,
    /// `idldesc` / `paramdesc`.
    pub u: ElemDescUnion,
}

/// `TYPEATTR`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TYPEATTR {
    /// `guid`.
    pub guid: Guid,
    /// `lcid`.
    pub lcid: u32,
    /// `dwReserved`.
    pub dw_reserved: u32,
    /// `memidConstructor`.
    pub memid_constructor: i32,
    /// `memidDestructor`.
    pub memid_destructor: i32,
    /// `lpstrSchema`.
    pub lpstr_schema: *mut u16,
    /// `cbSizeInstance`.
    pub cb_size_instance: u32,
    /// `typekind` (`TYPEKIND`, an enum: 4 bytes).
    pub typekind: u32,
    /// `cFuncs`.
    pub c_funcs: u16,
    /// `cVars`.
    pub c_vars: u16,
    /// `cImplTypes`.
    pub c_impl_types: u16,
    /// `cbSizeVft`.
    pub cb_size_vft: u16,
    /// `cbAlignment`.
    pub cb_alignment: u16,
    /// `wTypeFlags`.
    pub w_type_flags: u16,
    /// `wMajorVerNum`.
    pub w_major_ver_num: u16,
    /// `wMinorVerNum`.
    pub w_minor_ver_num: u16,
    /// `tdescAlias` (`TKIND_ALIAS` only).
    pub tdesc_alias: TYPEDESC,
    /// `idldescType`.
    pub idldesc_type: IDLDESC,
}

/// `FUNCDESC`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FUNCDESC {
    /// `memid`.
    pub memid: i32,
    /// `lprgscode`.
    pub lprgscode: *mut i32,
    /// `lprgelemdescParam`: `c_params` entries.
    pub lprgelemdesc_param: *mut ELEMDESC,
    /// `funckind`.
    pub funckind: u32,
    /// `invkind`.
    pub invkind: u32,
    /// `callconv`.
    pub callconv: u32,
    /// `cParams`.
    pub c_params: i16,
    /// `cParamsOpt`.
    pub c_params_opt: i16,
    /// `oVft`.
    pub o_vft: i16,
    /// `cScodes`.
    pub c_scodes: i16,
    /// `elemdescFunc`: the return type.
    pub elemdesc_func: ELEMDESC,
    /// `wFuncFlags`.
    pub w_func_flags: u16,
}

/// The union of a `VARDESC`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union VarDescUnion {
    /// `oInst`: a field's offset (`VAR_PERINSTANCE`, `VAR_DISPATCH`).
    pub o_inst: u32,
    /// `lpvarValue`: a constant's value (`VAR_CONST`).
    pub lpvar_value: *mut VARIANT,
}

/// `VARDESC`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct VARDESC {
    /// `memid`.
    pub memid: i32,
    /// `lpstrSchema`.
    pub lpstr_schema: *mut u16,
    /// `oInst` / `lpvarValue`.
    pub u: VarDescUnion,
    /// `elemdescVar`.
    pub elemdesc_var: ELEMDESC,
    /// `wVarFlags`.
    pub w_var_flags: u16,
    /// `varkind`.
    pub varkind: u32,
}

/// `TLIBATTR`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TLIBATTR {
    /// `guid`.
    pub guid: Guid,
    /// `lcid`.
    pub lcid: u32,
    /// `syskind`.
    pub syskind: u32,
    /// `wMajorVerNum`.
    pub w_major_ver_num: u16,
    /// `wMinorVerNum`.
    pub w_minor_ver_num: u16,
    /// `wLibFlags`.
    pub w_lib_flags: u16,
}

// The host layout is Win64's on 64-bit targets and Win32's on 32-bit ones (the SDK's sizes).
#[cfg(target_pointer_width = "64")]
const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(size_of::<TYPEDESC>() == 16 && size_of::<ARRAYDESC>() == 32 && size_of::<ELEMDESC>() == 32);
    assert!(size_of::<TYPEATTR>() == 96 && offset_of!(TYPEATTR, tdesc_alias) == 64);
    assert!(size_of::<FUNCDESC>() == 88 && offset_of!(FUNCDESC, elemdesc_func) == 48);
    assert!(size_of::<VARDESC>() == 64 && offset_of!(VARDESC, varkind) == 60);
    assert!(size_of::<PARAMDESCEX>() == 32 && size_of::<TLIBATTR>() == 32);
};
#[cfg(target_pointer_width = "32")]
const _: () = {
    use core::mem::size_of;
    assert!(size_of::<TYPEDESC>() == 8 && size_of::<ELEMDESC>() == 16);
    assert!(size_of::<TYPEATTR>() == 76 && size_of::<FUNCDESC>() == 52 && size_of::<VARDESC>() == 36);
};

/// A field of a host structure: `(name, offset, size)`.
pub type FieldAt = (&'static str, usize, usize);

/// The fields of each structure, by the names `oaidl.h` gives them, in declaration order: `(name, offset, size)`
/// of the host's `#[repr(C)]` types. The layout tests compare these with [`layouts`] for the host target.
pub fn host_fields() -> Vec<(&'static str, Vec<FieldAt>)> {
    use core::mem::{offset_of, size_of};
    macro_rules! fields {
        ($t:ty { $($name:literal: $field:ident: $ft:ty),* $(,)? }) => {
            vec![$(($name, offset_of!($t, $field), size_of::<$ft>())),*]
        };
    }
    vec![
        ("TYPEDESC", fields!(TYPEDESC { "u": u: TypeDescUnion, "vt": vt: u16 })),
        (
            "ARRAYDESC",
            fields!(ARRAYDESC { "tdescElem": tdesc_elem: TYPEDESC, "cDims": c_dims: u16, "rgbounds": rgbounds: [SAFEARRAYBOUND; 1] }),
        ),
        ("IDLDESC", fields!(IDLDESC { "dwReserved": dw_reserved: usize, "wIDLFlags": w_idl_flags: u16 })),
        ("PARAMDESCEX", fields!(PARAMDESCEX { "cBytes": c_bytes: u32, "varDefaultValue": var_default_value: VARIANT })),
        (
            "PARAMDESC",
            fields!(PARAMDESC { "pparamdescex": pparamdescex: *mut PARAMDESCEX, "wParamFlags": w_param_flags: u16 }),
        ),
        ("ELEMDESC", fields!(ELEMDESC { "tdesc": tdesc: TYPEDESC, "u": u: ElemDescUnion })),
        (
            "TYPEATTR",
            fields!(TYPEATTR {
                "guid": guid: Guid,
                "lcid": lcid: u32,
                "dwReserved": dw_reserved: u32,
                "memidConstructor": memid_constructor: i32,
                "memidDestructor": memid_destructor: i32,
                "lpstrSchema": lpstr_schema: *mut u16,
                "cbSizeInstance": cb_size_instance: u32,
                "typekind": typekind: u32,
                "cFuncs": c_funcs: u16,
                "cVars": c_vars: u16,
                "cImplTypes": c_impl_types: u16,
                "cbSizeVft": cb_size_vft: u16,
                "cbAlignment": cb_alignment: u16,
                "wTypeFlags": w_type_flags: u16,
                "wMajorVerNum": w_major_ver_num: u16,
                "wMinorVerNum": w_minor_ver_num: u16,
                "tdescAlias": tdesc_alias: TYPEDESC,
                "idldescType": idldesc_type: IDLDESC,
            }),
        ),
        (
            "FUNCDESC",
            fields!(FUNCDESC {
                "memid": memid: i32,
                "lprgscode": lprgscode: *mut i32,
                "lprgelemdescParam": lprgelemdesc_param: *mut ELEMDESC,
                "funckind": funckind: u32,
                "invkind": invkind: u32,
                "callconv": callconv: u32,
                "cParams": c_params: i16,
                "cParamsOpt": c_params_opt: i16,
                "oVft": o_vft: i16,
                "cScodes": c_scodes: i16,
                "elemdescFunc": elemdesc_func: ELEMDESC,
                "wFuncFlags": w_func_flags: u16,
            }),
        ),
        (
            "VARDESC",
            fields!(VARDESC {
                "memid": memid: i32,
                "lpstrSchema": lpstr_schema: *mut u16,
                "u": u: VarDescUnion,
                "elemdescVar": elemdesc_var: ELEMDESC,
                "wVarFlags": w_var_flags: u16,
                "varkind": varkind: u32,
            }),
        ),
        (
            "TLIBATTR",
            fields!(TLIBATTR {
                "guid": guid: Guid,
                "lcid": lcid: u32,
                "syskind": syskind: u32,
                "wMajorVerNum": w_major_ver_num: u16,
                "wMinorVerNum": w_minor_ver_num: u16,
                "wLibFlags": w_lib_flags: u16,
            }),
        ),
    ]
}

/// The host sizes of the structures [`host_fields`] lists, by name.
pub fn host_size(name: &str) -> Option<usize> {
    use core::mem::size_of;
    Some(match name {
        "TYPEDESC" => size_of::<TYPEDESC>(),
        "ARRAYDESC" => size_of::<ARRAYDESC>(),
        "IDLDESC" => size_of::<IDLDESC>(),
        "PARAMDESCEX" => size_of::<PARAMDESCEX>(),
        "PARAMDESC" => size_of::<PARAMDESC>(),
        "ELEMDESC" => size_of::<ELEMDESC>(),
        "TYPEATTR" => size_of::<TYPEATTR>(),
        "FUNCDESC" => size_of::<FUNCDESC>(),
        "VARDESC" => size_of::<VARDESC>(),
        "TLIBATTR" => size_of::<TLIBATTR>(),
        _ => return None,
    })
}

/// The layout of every structure on `target` (`Target::WINDOWS_32`, `Target::WINDOWS_64`), computed by
/// marshal-core's layout engine from a description of `oaidl.h`: a union is an explicit layout with every member at
/// offset 0; enums are 4-byte integers; `ULONG_PTR` and pointers are the target's pointer size. Fields are named as
/// in `oaidl.h`; `Layout::offset_of("tdescAlias.vt")` reaches nested fields.
pub fn layouts(target: Target) -> Vec<(&'static str, Arc<Layout>)> {
    let built = |b: StructBuilder| b.build().expect("the oaidl.h descriptions are valid");
    let ptr = || TypeDesc::Pointer;
    let typedesc_u = built(StructBuilder::explicit("TYPEDESC.u").field_at("lptdesc", 0, ptr()).field_at(
        "hreftype",
        0,
        TypeDesc::U32,
    ));
    let typedesc = built(StructBuilder::sequential("TYPEDESC").field("u", typedesc_u).field("vt", TypeDesc::U16));
    let bound = built(
        StructBuilder::sequential("SAFEARRAYBOUND").field("cElements", TypeDesc::U32).field("lLbound", TypeDesc::I32),
    );
    let arraydesc = built(
        StructBuilder::sequential("ARRAYDESC")
            .field("tdescElem", typedesc.clone())
            .field("cDims", TypeDesc::U16)
            .field("rgbounds", TypeDesc::by_val_array(bound, 1)),
    );
    let idldesc = built(
        StructBuilder::sequential("IDLDESC").field("dwReserved", TypeDesc::USIZE).field("wIDLFlags", TypeDesc::U16),
    );
    let paramdescex = built(
        StructBuilder::sequential("PARAMDESCEX")
            .field("cBytes", TypeDesc::U32)
            .field("varDefaultValue", TypeDesc::Variant),
    );
    let paramdesc =
        built(StructBuilder::sequential("PARAMDESC").field("pparamdescex", ptr()).field("wParamFlags", TypeDesc::U16));
    let elemdesc_u = built(StructBuilder::explicit("ELEMDESC.u").field_at("idldesc", 0, idldesc.clone()).field_at(
        "paramdesc",
        0,
        paramdesc.clone(),
    ));
    let elemdesc = built(StructBuilder::sequential("ELEMDESC").field("tdesc", typedesc.clone()).field("u", elemdesc_u));
    let typeattr = built(
        StructBuilder::sequential("TYPEATTR")
            .field("guid", TypeDesc::Guid)
            .field("lcid", TypeDesc::U32)
            .field("dwReserved", TypeDesc::U32)
            .field("memidConstructor", TypeDesc::I32)
            .field("memidDestructor", TypeDesc::I32)
            .field("lpstrSchema", ptr())
            .field("cbSizeInstance", TypeDesc::U32)
            .field("typekind", TypeDesc::U32)
            .field("cFuncs", TypeDesc::U16)
            .field("cVars", TypeDesc::U16)
            .field("cImplTypes", TypeDesc::U16)
            .field("cbSizeVft", TypeDesc::U16)
            .field("cbAlignment", TypeDesc::U16)
            .field("wTypeFlags", TypeDesc::U16)
            .field("wMajorVerNum", TypeDesc::U16)
            .field("wMinorVerNum", TypeDesc::U16)
            .field("tdescAlias", typedesc.clone())
            .field("idldescType", idldesc.clone()),
    );
    let funcdesc = built(
        StructBuilder::sequential("FUNCDESC")
            .field("memid", TypeDesc::I32)
            .field("lprgscode", ptr())
            .field("lprgelemdescParam", ptr())
            .field("funckind", TypeDesc::U32)
            .field("invkind", TypeDesc::U32)
            .field("callconv", TypeDesc::U32)
            .field("cParams", TypeDesc::I16)
            .field("cParamsOpt", TypeDesc::I16)
            .field("oVft", TypeDesc::I16)
            .field("cScodes", TypeDesc::I16)
            .field("elemdescFunc", elemdesc.clone())
            .field("wFuncFlags", TypeDesc::U16),
    );
    let vardesc_u = built(StructBuilder::explicit("VARDESC.u").field_at("oInst", 0, TypeDesc::U32).field_at(
        "lpvarValue",
        0,
        ptr(),
    ));
    let vardesc = built(
        StructBuilder::sequential("VARDESC")
            .field("memid", TypeDesc::I32)
            .field("lpstrSchema", ptr())
            .field("u", vardesc_u)
            .field("elemdescVar", elemdesc.clone())
            .field("wVarFlags", TypeDesc::U16)
            .field("varkind", TypeDesc::U32),
    );
    let tlibattr = built(
        StructBuilder::sequential("TLIBATTR")
            .field("guid", TypeDesc::Guid)
            .field("lcid", TypeDesc::U32)
            .field("syskind", TypeDesc::U32)
            .field("wMajorVerNum", TypeDesc::U16)
            .field("wMinorVerNum", TypeDesc::U16)
            .field("wLibFlags", TypeDesc::U16),
    );
    [
        ("TYPEDESC", typedesc),
        ("ARRAYDESC", arraydesc),
        ("IDLDESC", idldesc),
        ("PARAMDESCEX", paramdescex),
        ("PARAMDESC", paramdesc),
        ("ELEMDESC", elemdesc),
        ("TYPEATTR", typeattr),
        ("FUNCDESC", funcdesc),
        ("VARDESC", vardesc),
        ("TLIBATTR", tlibattr),
    ]
    .into_iter()
    .map(|(name, ty)| (name, Layout::for_target(&ty, target).expect("the oaidl.h descriptions lay out")))
    .collect()
}

/// Native memory handed out by a `Get*` method and taken back by its `Release*`: every structure of one
/// `FUNCDESC` (its parameters, type trees, default values) lives in blocks owned here, and the BSTRs inside
/// its VARIANTs are freed with it.
#[derive(Default)]
pub(crate) struct Arena {
    blocks: Vec<Box<[u64]>>,
    bstrs: Vec<marshal_core::BSTR>,
}

// SAFETY: the arena exclusively owns its blocks and BSTRs (nothing else frees them); the raw pointers in the
// structures it holds point into its own blocks.
unsafe impl Send for Arena {}

impl Arena {
    /// Room for `count` values of `T` (alignment at most 8), zero-filled; the pointer stays valid while the arena
    /// lives.
    pub(crate) fn alloc_zeroed<T>(&mut self, count: usize) -> *mut T {
        const { assert!(core::mem::align_of::<T>() <= 8) };
        let words = (core::mem::size_of::<T>() * count).div_ceil(8).max(1);
        let mut block = vec![0u64; words].into_boxed_slice();
        let p = block.as_mut_ptr() as *mut T;
        self.blocks.push(block);
        p
    }

    /// `value` moved into the arena.
    pub(crate) fn alloc<T: Copy>(&mut self, value: T) -> *mut T {
        let p = self.alloc_zeroed::<T>(1);
        // SAFETY: a fresh block of at least size_of::<T>() bytes, 8-aligned.
        unsafe { p.write(value) };
        p
    }

    /// Room for an `ARRAYDESC` with `dims` bounds (the declared one and `dims - 1` more).
    pub(crate) fn alloc_arraydesc(&mut self, dims: usize) -> *mut ARRAYDESC {
        let bytes = core::mem::offset_of!(ARRAYDESC, rgbounds) + dims.max(1) * core::mem::size_of::<SAFEARRAYBOUND>();
        let p = self.alloc_zeroed::<u8>(bytes.max(core::mem::size_of::<ARRAYDESC>()));
        p as *mut ARRAYDESC
    }

    /// Records a BSTR to free with the arena.
    pub(crate) fn own_bstr(&mut self, b: marshal_core::BSTR) {
        if !b.is_null() {
            self.bstrs.push(b);
        }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        for b in self.bstrs.drain(..) {
            // SAFETY: allocated by Bstr and given to the arena, which is its only owner.
            drop(unsafe { marshal_core::Bstr::from_raw(b) });
        }
    }
}

/// A null pointer of the `void*` kind, for readability at call sites.
pub(crate) const NULL: *mut c_void = core::ptr::null_mut();
