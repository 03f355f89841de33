//! The ITypeLib / ITypeInfo model: what a type library describes, independent of its file format.
//!
//! The readers fill it from MSFT and SLTG files; the writers turn it back into them. Names follow the
//! OLE Automation structures (`TYPEATTR`, `FUNCDESC`, `VARDESC`, `ELEMDESC`) so the SDK documentation maps onto it.
//! References between types are [`TypeRef`]s, never loader handles: a type in the same library by index, or a type
//! in an imported library (resolved through a caller-supplied [`crate::Resolver`]).

use marshal_core::{Guid, VarType};

use crate::value::Value;

/// `SYSKIND`: the platform a library was built for (pointer size of its layouts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SysKind {
    /// `SYS_WIN16`.
    Win16,
    /// `SYS_WIN32` (4-byte pointers).
    Win32,
    /// `SYS_MAC`.
    Mac,
    /// `SYS_WIN64` (8-byte pointers).
    Win64,
}

impl SysKind {
    /// From the stored number.
    pub fn from_raw(v: u32) -> Option<SysKind> {
        Some(match v {
            0 => SysKind::Win16,
            1 => SysKind::Win32,
            2 => SysKind::Mac,
            3 => SysKind::Win64,
            _ => return None,
        })
    }
    /// The stored number.
    pub fn raw(self) -> u32 {
        match self {
            SysKind::Win16 => 0,
            SysKind::Win32 => 1,
            SysKind::Mac => 2,
            SysKind::Win64 => 3,
        }
    }
    /// Pointer size in bytes of layouts computed for this platform.
    pub fn pointer_size(self) -> u32 {
        match self {
            SysKind::Win16 => 2,
            SysKind::Win64 => 8,
            SysKind::Win32 | SysKind::Mac => 4,
        }
    }
}

/// `TLIBATTR` plus the library's documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct LibAttr {
    /// LIBID.
    pub guid: Guid,
    /// Locale of the library (`TLIBATTR.lcid`).
    pub lcid: u32,
    /// Platform.
    pub syskind: SysKind,
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// `LIBFLAGS` as stored (`LIBFLAG_FRESTRICTED` 1, `FCONTROL` 2, `FHIDDEN` 4, `FHASDISKIMAGE` 8).
    pub flags: u16,
}

/// `LIBFLAG_FHASDISKIMAGE`: set by loaders on every library read from a file.
pub const LIBFLAG_FHASDISKIMAGE: u16 = 8;

/// A type library read from a file, or built to be written.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeLib {
    /// Identity and version.
    pub attr: LibAttr,
    /// The locale the library's types report in `TYPEATTR.lcid` (MSFT stores it apart from `attr.lcid`).
    pub type_lcid: u32,
    /// The library name (`library Name` in IDL).
    pub name: String,
    /// `helpstring`.
    pub doc: Option<String>,
    /// `helpfile`.
    pub help_file: Option<String>,
    /// `helpcontext`.
    pub help_context: u32,
    /// `helpstringcontext`.
    pub help_string_context: u32,
    /// `helpstringdll`.
    pub help_string_dll: Option<String>,
    /// Custom data (`[custom(guid, value)]`), in stored order.
    pub custom: Vec<CustData>,
    /// The types, in index order.
    pub types: Vec<TypeInfo>,
    /// Libraries whose types this one refers to.
    pub imports: Vec<ImportLib>,
    /// In MSFT files: the `IDispatch` reference the library was built with (informational).
    pub dispatch_ref: Option<TypeRef>,
}

/// A library imported by reference (`importlib("stdole2.tlb")`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportLib {
    /// Its LIBID.
    pub guid: Guid,
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// Locale.
    pub lcid: u32,
    /// File name as recorded (`stdole2.tlb`).
    pub name: String,
}

/// A GUID-keyed custom value (`[custom(guid, value)]`).
#[derive(Clone, Debug, PartialEq)]
pub struct CustData {
    /// The key.
    pub guid: Guid,
    /// The value.
    pub value: Value,
}

/// `TYPEKIND`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeKind {
    /// `TKIND_ENUM`.
    Enum,
    /// `TKIND_RECORD`: a struct.
    Record,
    /// `TKIND_MODULE`: functions and constants exported by a DLL.
    Module,
    /// `TKIND_INTERFACE`: a vtable interface.
    Interface,
    /// `TKIND_DISPATCH`: a dispinterface (or the dispatch side of a dual interface).
    Dispatch,
    /// `TKIND_COCLASS`: a component class.
    Coclass,
    /// `TKIND_ALIAS`: a typedef.
    Alias,
    /// `TKIND_UNION`.
    Union,
}

impl TypeKind {
    /// From the stored number.
    pub fn from_raw(v: u32) -> Option<TypeKind> {
        Some(match v {
            0 => TypeKind::Enum,
            1 => TypeKind::Record,
            2 => TypeKind::Module,
            3 => TypeKind::Interface,
            4 => TypeKind::Dispatch,
            5 => TypeKind::Coclass,
            6 => TypeKind::Alias,
            7 => TypeKind::Union,
            _ => return None,
        })
    }
    /// The stored number.
    pub fn raw(self) -> u32 {
        match self {
            TypeKind::Enum => 0,
            TypeKind::Record => 1,
            TypeKind::Module => 2,
            TypeKind::Interface => 3,
            TypeKind::Dispatch => 4,
            TypeKind::Coclass => 5,
            TypeKind::Alias => 6,
            TypeKind::Union => 7,
        }
    }
}

/// `TYPEFLAGS` bits.
pub mod typeflags {
    /// `TYPEFLAG_FAPPOBJECT`.
    pub const APPOBJECT: u16 = 0x01;
    /// `TYPEFLAG_FCANCREATE`.
    pub const CANCREATE: u16 = 0x02;
    /// `TYPEFLAG_FLICENSED`.
    pub const LICENSED: u16 = 0x04;
    /// `TYPEFLAG_FPREDECLID`.
    pub const PREDECLID: u16 = 0x08;
    /// `TYPEFLAG_FHIDDEN`.
    pub const HIDDEN: u16 = 0x10;
    /// `TYPEFLAG_FCONTROL`.
    pub const CONTROL: u16 = 0x20;
    /// `TYPEFLAG_FDUAL`.
    pub const DUAL: u16 = 0x40;
    /// `TYPEFLAG_FNONEXTENSIBLE`.
    pub const NONEXTENSIBLE: u16 = 0x80;
    /// `TYPEFLAG_FOLEAUTOMATION`.
    pub const OLEAUTOMATION: u16 = 0x100;
    /// `TYPEFLAG_FRESTRICTED`.
    pub const RESTRICTED: u16 = 0x200;
    /// `TYPEFLAG_FAGGREGATABLE`.
    pub const AGGREGATABLE: u16 = 0x400;
    /// `TYPEFLAG_FREPLACEABLE`.
    pub const REPLACEABLE: u16 = 0x800;
    /// `TYPEFLAG_FDISPATCHABLE`: derives from IDispatch.
    pub const DISPATCHABLE: u16 = 0x1000;
    /// `TYPEFLAG_FREVERSEBIND`.
    pub const REVERSEBIND: u16 = 0x2000;
    /// `TYPEFLAG_FPROXY`.
    pub const PROXY: u16 = 0x4000;
}

/// `PARAMFLAGS` bits.
pub mod paramflags {
    /// `PARAMFLAG_FIN`.
    pub const IN: u16 = 0x01;
    /// `PARAMFLAG_FOUT`.
    pub const OUT: u16 = 0x02;
    /// `PARAMFLAG_FLCID`.
    pub const LCID: u16 = 0x04;
    /// `PARAMFLAG_FRETVAL`.
    pub const RETVAL: u16 = 0x08;
    /// `PARAMFLAG_FOPT`.
    pub const OPT: u16 = 0x10;
    /// `PARAMFLAG_FHASDEFAULT`.
    pub const HASDEFAULT: u16 = 0x20;
    /// `PARAMFLAG_FHASCUSTDATA`.
    pub const HASCUSTDATA: u16 = 0x40;
}

/// `IMPLTYPEFLAGS` bits.
pub mod impltypeflags {
    /// `IMPLTYPEFLAG_FDEFAULT`.
    pub const DEFAULT: i32 = 0x1;
    /// `IMPLTYPEFLAG_FSOURCE`.
    pub const SOURCE: i32 = 0x2;
    /// `IMPLTYPEFLAG_FRESTRICTED`.
    pub const RESTRICTED: i32 = 0x4;
    /// `IMPLTYPEFLAG_FDEFAULTVTABLE`.
    pub const DEFAULTVTABLE: i32 = 0x8;
}

/// A type inside a library.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeInfo {
    /// Name.
    pub name: String,
    /// `helpstring`.
    pub doc: Option<String>,
    /// `helpcontext`.
    pub help_context: u32,
    /// `helpstringcontext`.
    pub help_string_context: u32,
    /// GUID (IID, CLSID, or `GUID_NULL` for types without one).
    pub guid: Guid,
    /// Kind.
    pub kind: TypeKind,
    /// `TYPEFLAGS` ([`typeflags`]).
    pub flags: u16,
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// `cbSizeInstance` as stored: the size of a record/union/enum, the pointer size for interfaces.
    pub size: u32,
    /// `cbAlignment` as stored.
    pub align: u16,
    /// `cbSizeVft` as stored: the vtable size in bytes (inherited methods included).
    pub vft_size: u16,
    /// `tdescAlias` of a `TKIND_ALIAS`.
    pub alias: Option<ElemType>,
    /// The DLL of a `TKIND_MODULE`.
    pub dll_name: Option<String>,
    /// Functions, in stored order.
    pub funcs: Vec<FuncDesc>,
    /// Variables (enum constants, record fields, module constants, dispinterface properties).
    pub vars: Vec<VarDesc>,
    /// Implemented or inherited interfaces.
    pub impl_types: Vec<ImplType>,
    /// Custom data.
    pub custom: Vec<CustData>,
}

/// A type description (`TYPEDESC`).
#[derive(Clone, Debug, PartialEq)]
pub enum ElemType {
    /// A base type (`VT_I4`, `VT_BSTR`, `VT_VARIANT`, `VT_HRESULT`, `VT_VOID`, …).
    Base(VarType),
    /// `VT_PTR` to a type.
    Ptr(Box<ElemType>),
    /// `VT_SAFEARRAY` of a type.
    SafeArray(Box<ElemType>),
    /// `VT_CARRAY`: a fixed-size array.
    CArray {
        /// Element type.
        elem: Box<ElemType>,
        /// `(cElements, lLbound)` per dimension, as stored.
        bounds: Vec<(u32, i32)>,
    },
    /// `VT_USERDEFINED`: another type by reference.
    UserDefined(TypeRef),
}

impl ElemType {
    /// The VARTYPE of this description (`VT_PTR`, `VT_USERDEFINED`, … or the base type).
    pub fn vt(&self) -> VarType {
        match self {
            ElemType::Base(vt) => *vt,
            ElemType::Ptr(_) => VarType::PTR,
            ElemType::SafeArray(_) => VarType::SAFEARRAY,
            ElemType::CArray { .. } => VarType::CARRAY,
            ElemType::UserDefined(_) => VarType::USERDEFINED,
        }
    }
    /// A pointer to `self`.
    pub fn ptr(self) -> ElemType {
        ElemType::Ptr(Box::new(self))
    }
}

/// A reference from one type to another.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeRef {
    /// The type at this index of the same library.
    Local(u32),
    /// A type of an imported library ([`TypeLib::imports`]).
    External {
        /// Index into [`TypeLib::imports`].
        lib: u32,
        /// Which type of it.
        target: ExternalTarget,
    },
}

/// How an external reference names its target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExternalTarget {
    /// By the target's GUID (MSFT's usual form).
    Guid(Guid),
    /// By index in the imported library (SLTG, and MSFT for types without a GUID).
    Index(u32),
}

/// `FUNCKIND`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FuncKind {
    /// `FUNC_VIRTUAL`.
    Virtual,
    /// `FUNC_PUREVIRTUAL`.
    PureVirtual,
    /// `FUNC_NONVIRTUAL`.
    NonVirtual,
    /// `FUNC_STATIC`.
    Static,
    /// `FUNC_DISPATCH`.
    Dispatch,
}

impl FuncKind {
    /// From the stored number.
    pub fn from_raw(v: u32) -> Option<FuncKind> {
        Some(match v {
            0 => FuncKind::Virtual,
            1 => FuncKind::PureVirtual,
            2 => FuncKind::NonVirtual,
            3 => FuncKind::Static,
            4 => FuncKind::Dispatch,
            _ => return None,
        })
    }
    /// The stored number.
    pub fn raw(self) -> u32 {
        match self {
            FuncKind::Virtual => 0,
            FuncKind::PureVirtual => 1,
            FuncKind::NonVirtual => 2,
            FuncKind::Static => 3,
            FuncKind::Dispatch => 4,
        }
    }
}

/// `INVOKEKIND`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InvokeKind {
    /// `INVOKE_FUNC` (1).
    Func,
    /// `INVOKE_PROPERTYGET` (2).
    PropertyGet,
    /// `INVOKE_PROPERTYPUT` (4).
    PropertyPut,
    /// `INVOKE_PROPERTYPUTREF` (8).
    PropertyPutRef,
}

impl InvokeKind {
    /// From the stored number.
    pub fn from_raw(v: u32) -> Option<InvokeKind> {
        Some(match v {
            1 => InvokeKind::Func,
            2 => InvokeKind::PropertyGet,
            4 => InvokeKind::PropertyPut,
            8 => InvokeKind::PropertyPutRef,
            _ => return None,
        })
    }
    /// The stored number (also the `DISPATCH_*` flag of `IDispatch::Invoke`).
    pub fn raw(self) -> u32 {
        match self {
            InvokeKind::Func => 1,
            InvokeKind::PropertyGet => 2,
            InvokeKind::PropertyPut => 4,
            InvokeKind::PropertyPutRef => 8,
        }
    }
    /// A property accessor.
    pub fn is_property(self) -> bool {
        self != InvokeKind::Func
    }
}

/// `CALLCONV`, kept as stored (`CC_STDCALL` = 4, `CC_CDECL` = 1, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallConv(pub u8);

impl CallConv {
    /// `CC_CDECL`.
    pub const CDECL: CallConv = CallConv(1);
    /// `CC_PASCAL`.
    pub const PASCAL: CallConv = CallConv(2);
    /// `CC_STDCALL`: every COM method.
    pub const STDCALL: CallConv = CallConv(4);
    /// `CC_SYSCALL`.
    pub const SYSCALL: CallConv = CallConv(6);
}

/// Where a module function lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DllEntry {
    /// Exported by name.
    Name(String),
    /// Exported by ordinal.
    Ordinal(u16),
}

/// A function (`FUNCDESC` with its names and documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct FuncDesc {
    /// Member id (DISPID).
    pub memid: i32,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: FuncKind,
    /// Method or property accessor.
    pub invkind: InvokeKind,
    /// Calling convention.
    pub callconv: CallConv,
    /// `FUNCFLAGS` as stored.
    pub flags: u16,
    /// Byte offset of the function in the vtable, as stored (in units of the library's pointer size).
    pub vtable_offset: u16,
    /// Return type (`HRESULT` for COM methods; the real result is the `[retval]` parameter).
    pub ret: ElemType,
    /// Parameters.
    pub params: Vec<ParamDesc>,
    /// `cParamsOpt`: trailing `[optional]` VARIANT parameters (-1: a `vararg` SAFEARRAY last parameter).
    pub opt_params: i16,
    /// `helpstring`.
    pub doc: Option<String>,
    /// `helpcontext`.
    pub help_context: u32,
    /// `helpstringcontext`.
    pub help_string_context: u32,
    /// The export of a `TKIND_MODULE` function.
    pub entry: Option<DllEntry>,
    /// Custom data.
    pub custom: Vec<CustData>,
}

/// A parameter (`ELEMDESC` with `PARAMDESC`).
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDesc {
    /// Name (libraries may omit it).
    pub name: Option<String>,
    /// Type.
    pub ty: ElemType,
    /// `PARAMFLAGS` ([`paramflags`]).
    pub flags: u16,
    /// Default value (`PARAMFLAG_FHASDEFAULT`).
    pub default: Option<Value>,
    /// Custom data.
    pub custom: Vec<CustData>,
}

impl ParamDesc {
    /// `[in]`.
    pub fn is_in(&self) -> bool {
        self.flags & paramflags::IN != 0
    }
    /// `[out]`.
    pub fn is_out(&self) -> bool {
        self.flags & paramflags::OUT != 0
    }
    /// `[retval]`.
    pub fn is_retval(&self) -> bool {
        self.flags & paramflags::RETVAL != 0
    }
    /// `[lcid]`.
    pub fn is_lcid(&self) -> bool {
        self.flags & paramflags::LCID != 0
    }
    /// `[optional]`.
    pub fn is_optional(&self) -> bool {
        self.flags & paramflags::OPT != 0
    }
}

/// `VARKIND`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VarKind {
    /// `VAR_PERINSTANCE`: a record field at an offset.
    PerInstance,
    /// `VAR_STATIC`.
    Static,
    /// `VAR_CONST`: a constant with a value.
    Const,
    /// `VAR_DISPATCH`: a dispinterface property.
    Dispatch,
}

impl VarKind {
    /// From the stored number.
    pub fn from_raw(v: u32) -> Option<VarKind> {
        Some(match v {
            0 => VarKind::PerInstance,
            1 => VarKind::Static,
            2 => VarKind::Const,
            3 => VarKind::Dispatch,
            _ => return None,
        })
    }
    /// The stored number.
    pub fn raw(self) -> u32 {
        match self {
            VarKind::PerInstance => 0,
            VarKind::Static => 1,
            VarKind::Const => 2,
            VarKind::Dispatch => 3,
        }
    }
}

/// A variable (`VARDESC` with its name and documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct VarDesc {
    /// Member id.
    pub memid: i32,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: VarKind,
    /// `VARFLAGS` as stored.
    pub flags: u16,
    /// Type.
    pub ty: ElemType,
    /// Field offset (`oInst`) or constant value.
    pub value: VarValue,
    /// `helpstring`.
    pub doc: Option<String>,
    /// `helpcontext`.
    pub help_context: u32,
    /// `helpstringcontext`.
    pub help_string_context: u32,
    /// Custom data.
    pub custom: Vec<CustData>,
}

/// What a variable holds.
#[derive(Clone, Debug, PartialEq)]
pub enum VarValue {
    /// `oInst`: the byte offset of a record field (or a dispatch property's stored number).
    Offset(u32),
    /// The value of a `VAR_CONST`.
    Const(Value),
}

/// An implemented (coclass) or inherited (interface) interface.
#[derive(Clone, Debug, PartialEq)]
pub struct ImplType {
    /// The interface.
    pub target: TypeRef,
    /// `IMPLTYPEFLAGS` ([`impltypeflags`]).
    pub flags: i32,
    /// Custom data.
    pub custom: Vec<CustData>,
}

impl TypeLib {
    /// The type at `index`, if any.
    pub fn type_info(&self, index: usize) -> Option<&TypeInfo> {
        self.types.get(index)
    }

    /// The index of the type named `name` (case-insensitive, as `ITypeLib::FindName` compares).
    pub fn find_type(&self, name: &str) -> Option<usize> {
        self.types.iter().position(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The index of the type with this GUID (`ITypeLib::GetTypeInfoOfGuid`).
    pub fn find_guid(&self, guid: &Guid) -> Option<usize> {
        if *guid == Guid::NULL {
            return None;
        }
        self.types.iter().position(|t| t.guid == *guid)
    }

    /// The pointer size of the library's platform.
    pub fn pointer_size(&self) -> u32 {
        self.attr.syskind.pointer_size()
    }
}
