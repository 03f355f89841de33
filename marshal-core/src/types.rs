//! The type model: [`TypeDesc`] describes a managed-side value and how it is
//! marshaled, the equivalent of a .NET field or parameter type plus its
//! `[MarshalAs]`, `[StructLayout]` and `[FieldOffset]` attributes.
//!
//! Interop layers that learn types at run time build descriptors with the
//! constants and constructors of [`TypeDesc`] and with [`StructBuilder`];
//! types that refer to each other by name (a type library, a vector file) are
//! declared in a [`TypeSet`] and resolved in one step, which also catches a
//! struct that contains itself by value. Every invalid descriptor is a
//! [`DescError`], never a panic.

use core::fmt;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::guid::Guid;
use crate::layout::{Layout, LayoutError, Target};
use crate::plan::{Plan, PlanError};
use crate::vartype::VarType;

/// A primitive number: the blittable scalars of the CLR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prim {
    /// `sbyte` / `i8`.
    I8,
    /// `byte` / `u8`.
    U8,
    /// `short` / `i16`.
    I16,
    /// `ushort` / `u16`.
    U16,
    /// `int` / `i32`.
    I32,
    /// `uint` / `u32`.
    U32,
    /// `long` / `i64`.
    I64,
    /// `ulong` / `u64`.
    U64,
    /// `float` / `f32`.
    F32,
    /// `double` / `f64`.
    F64,
    /// `IntPtr` / `nint` / `isize` (`UnmanagedType.SysInt`).
    ISize,
    /// `UIntPtr` / `nuint` / `usize` (`UnmanagedType.SysUInt`).
    USize,
}

impl Prim {
    /// Size in bytes on a target with `pointer_width`-byte pointers.
    pub const fn size(self, pointer_width: u32) -> u32 {
        match self {
            Prim::I8 | Prim::U8 => 1,
            Prim::I16 | Prim::U16 => 2,
            Prim::I32 | Prim::U32 | Prim::F32 => 4,
            Prim::I64 | Prim::U64 | Prim::F64 => 8,
            Prim::ISize | Prim::USize => pointer_width,
        }
    }

    /// The .NET name of the managed type (`"Int32"`).
    pub const fn clr_name(self) -> &'static str {
        match self {
            Prim::I8 => "SByte",
            Prim::U8 => "Byte",
            Prim::I16 => "Int16",
            Prim::U16 => "UInt16",
            Prim::I32 => "Int32",
            Prim::U32 => "UInt32",
            Prim::I64 => "Int64",
            Prim::U64 => "UInt64",
            Prim::F32 => "Single",
            Prim::F64 => "Double",
            Prim::ISize => "IntPtr",
            Prim::USize => "UIntPtr",
        }
    }
}

/// How a `bool` is laid out natively.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoolRepr {
    /// Win32 `BOOL`: 4 bytes, 1 / 0 (`UnmanagedType.Bool`, the P/Invoke and field default).
    Win32,
    /// `VARIANT_BOOL`: 2 bytes, -1 / 0 (`UnmanagedType.VariantBool`, the COM default).
    VariantBool,
    /// 1 byte, 1 / 0 (`UnmanagedType.U1`).
    U1,
    /// 1 byte, 1 / 0 (`UnmanagedType.I1`).
    I1,
}

impl BoolRepr {
    /// Native size in bytes.
    pub const fn size(self) -> u32 {
        match self {
            BoolRepr::Win32 => 4,
            BoolRepr::VariantBool => 2,
            BoolRepr::U1 | BoolRepr::I1 => 1,
        }
    }
}

/// How a `char` (a UTF-16 code unit, as .NET's `System.Char`) is laid out natively.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CharRepr {
    /// Decided by the enclosing struct's (or signature's) [`CharSet`].
    ByCharSet,
    /// 1 byte: the system code page on Windows, the first UTF-8 byte on Unix
    /// (`UnmanagedType.I1`/`U1`, or CharSet.Ansi).
    Ansi,
    /// 2 bytes: the UTF-16 unit itself (`UnmanagedType.I2`/`U2`, or CharSet.Unicode).
    Utf16,
}

/// The native form of a string passed as a pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StringRepr {
    /// No `[MarshalAs]`: decided by the [`CharSet`] (Ansi → LPStr, Unicode → LPWStr).
    ByCharSet,
    /// `char*` in the ANSI code page (UTF-8 on Unix).
    LPStr,
    /// `wchar_t*` / `WCHAR*`: NUL-terminated UTF-16.
    LPWStr,
    /// NUL-terminated UTF-8.
    LPUTF8Str,
    /// `LPTSTR`: treated as LPWStr by CoreCLR on every platform.
    LPTStr,
    /// `BSTR`: length-prefixed UTF-16.
    BStr,
    /// A BSTR whose payload is ANSI bytes.
    AnsiBStr,
    /// `TBStr`: treated as BStr.
    TBStr,
}

/// `CharSet` of a struct or signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum CharSet {
    /// `CharSet.Ansi` (also `CharSet.None`): 1-byte chars, LPStr strings.
    #[default]
    Ansi,
    /// `CharSet.Unicode`: UTF-16 chars, LPWStr strings.
    Unicode,
    /// `CharSet.Auto`: Unicode on Windows, Ansi (UTF-8) elsewhere.
    Auto,
}

impl CharSet {
    /// Whether chars are UTF-16 on `target` (Auto resolved by its OS).
    pub const fn is_unicode_on(self, target: Target) -> bool {
        match self {
            CharSet::Ansi => false,
            CharSet::Unicode => true,
            CharSet::Auto => target.auto_is_unicode(),
        }
    }
}

/// Which interface a pointer field or parameter carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InterfaceKind {
    /// `IUnknown*` (`UnmanagedType.IUnknown`).
    IUnknown,
    /// `IDispatch*` (`UnmanagedType.IDispatch`).
    IDispatch,
    /// A specific interface by IID (`UnmanagedType.Interface`).
    Iid(Guid),
}

/// `StructLayout.Pack`: 0 (the platform default) or a power of two up to 128.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Pack(u8);

impl Pack {
    /// The default packing (`Pack = 0`): every field at its natural alignment.
    pub const DEFAULT: Pack = Pack(0);

    /// A packing value; only 0, 1, 2, 4, 8, 16, 32, 64 and 128 are valid, as in the CLR.
    pub const fn new(pack: u32) -> Result<Pack, DescError> {
        match pack {
            0 | 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 => Ok(Pack(pack as u8)),
            _ => Err(DescError::InvalidPack(pack)),
        }
    }

    /// The declared value (0 = default).
    pub const fn get(self) -> u32 {
        self.0 as u32
    }

    /// The alignment cap this packing imposes (`u32::MAX` for the default).
    pub const fn cap(self) -> u32 {
        if self.0 == 0 {
            u32::MAX
        } else {
            self.0 as u32
        }
    }
}

/// `StructLayout.Value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayoutKind {
    /// Fields in declaration order, each aligned to min(its alignment, Pack).
    Sequential,
    /// Every field at a declared `FieldOffset`.
    Explicit,
    /// `LayoutKind.Auto`: the runtime chooses; cannot be marshaled (describable so
    /// that the refusal is a typed error).
    Auto,
}

/// A runtime description of a managed-side type and its marshaling.
///
/// ```
/// use marshal_core::{TypeDesc, StringRepr, VarType};
/// let name = TypeDesc::String(StringRepr::LPWStr);
/// let grid = TypeDesc::by_val_array(TypeDesc::F64, 16);
/// let list = TypeDesc::SafeArray(VarType::BSTR);
/// assert!(!name.is_blittable());
/// assert!(grid.is_blittable());
/// assert!(!list.is_blittable());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum TypeDesc {
    /// A number (the blittable primitives, enums included: describe an enum by
    /// its underlying type).
    Prim(Prim),
    /// An untyped data pointer (`void*`, `T*`), passed as is.
    Pointer,
    /// `bool` with its native representation.
    Bool(BoolRepr),
    /// `char` (a UTF-16 unit) with its native representation.
    Char(CharRepr),
    /// A string passed as a pointer to native memory.
    String(StringRepr),
    /// `UnmanagedType.ByValTStr`: an inline buffer of `n` chars (field only);
    /// the char width comes from the struct's [`CharSet`].
    ByValTStr(u32),
    /// `UnmanagedType.ByValArray`: `count` elements inline (field only).
    ByValArray {
        /// Element type (`ArraySubType`).
        elem: Box<TypeDesc>,
        /// `SizeConst`.
        count: u32,
    },
    /// `UnmanagedType.LPArray`: a pointer to elements (parameters only); the
    /// native→managed element count is `size_const` plus the value of parameter
    /// `size_param_index`.
    LpArray {
        /// Element type (`ArraySubType`).
        elem: Box<TypeDesc>,
        /// `SizeConst`.
        size_const: u32,
        /// `SizeParamIndex` (0-based parameter number).
        size_param_index: Option<u16>,
    },
    /// `UnmanagedType.SafeArray` with its `SafeArraySubType`.
    SafeArray(VarType),
    /// `object` as an inline `VARIANT` (`UnmanagedType.Struct` on object fields).
    Variant,
    /// `decimal` as a 16-byte `DECIMAL`.
    Decimal,
    /// `decimal` as `CY` (`UnmanagedType.Currency`): i64 ×10⁴.
    Currency,
    /// `DateTime` as an OLE `DATE` (f64 days since 1899-12-30).
    Date,
    /// `int` as an `HRESULT` / SCODE (`UnmanagedType.Error`).
    Error,
    /// `System.Guid` (16 bytes, alignment 4).
    Guid,
    /// An interface pointer.
    Interface(InterfaceKind),
    /// A function pointer (`UnmanagedType.FunctionPtr`, delegates).
    FnPtr,
    /// A struct by value.
    Struct(Arc<StructDesc>),
    /// A struct by name, to be resolved by a [`TypeSet`]. Only valid inside
    /// declarations given to [`TypeSet::declare`].
    Named(Arc<str>),
}

impl TypeDesc {
    /// `sbyte`.
    pub const I8: TypeDesc = TypeDesc::Prim(Prim::I8);
    /// `byte`.
    pub const U8: TypeDesc = TypeDesc::Prim(Prim::U8);
    /// `short`.
    pub const I16: TypeDesc = TypeDesc::Prim(Prim::I16);
    /// `ushort`.
    pub const U16: TypeDesc = TypeDesc::Prim(Prim::U16);
    /// `int`.
    pub const I32: TypeDesc = TypeDesc::Prim(Prim::I32);
    /// `uint`.
    pub const U32: TypeDesc = TypeDesc::Prim(Prim::U32);
    /// `long`.
    pub const I64: TypeDesc = TypeDesc::Prim(Prim::I64);
    /// `ulong`.
    pub const U64: TypeDesc = TypeDesc::Prim(Prim::U64);
    /// `float`.
    pub const F32: TypeDesc = TypeDesc::Prim(Prim::F32);
    /// `double`.
    pub const F64: TypeDesc = TypeDesc::Prim(Prim::F64);
    /// `IntPtr`.
    pub const ISIZE: TypeDesc = TypeDesc::Prim(Prim::ISize);
    /// `UIntPtr`.
    pub const USIZE: TypeDesc = TypeDesc::Prim(Prim::USize);

    /// `bool` as a 4-byte Win32 `BOOL` (the default for fields and P/Invoke).
    pub const fn bool_win32() -> TypeDesc {
        TypeDesc::Bool(BoolRepr::Win32)
    }

    /// `char` laid out by the enclosing [`CharSet`] (the default).
    pub const fn char_default() -> TypeDesc {
        TypeDesc::Char(CharRepr::ByCharSet)
    }

    /// `string` with no `[MarshalAs]`: LPStr or LPWStr by the enclosing [`CharSet`].
    pub const fn string_default() -> TypeDesc {
        TypeDesc::String(StringRepr::ByCharSet)
    }

    /// `ByValArray` of `count` elements.
    pub fn by_val_array(elem: TypeDesc, count: u32) -> TypeDesc {
        TypeDesc::ByValArray { elem: Box::new(elem), count }
    }

    /// `LPArray` with `SizeConst` and optional `SizeParamIndex`.
    pub fn lp_array(elem: TypeDesc, size_const: u32, size_param_index: Option<u16>) -> TypeDesc {
        TypeDesc::LpArray { elem: Box::new(elem), size_const, size_param_index }
    }

    /// A reference to a struct declared by name in a [`TypeSet`].
    pub fn named(name: &str) -> TypeDesc {
        TypeDesc::Named(Arc::from(name))
    }

    /// The descriptor of a value of base VARTYPE `vt` as OLE Automation stores it
    /// (a SAFEARRAY element, a typed VARIANT payload, a type library's base type):
    /// VT_BOOL is a VARIANT_BOOL, VT_BSTR a BSTR string, VT_VARIANT an `object`, …
    /// `None` for tags that are not a value type by themselves (VT_EMPTY, VT_RECORD …).
    ///
    /// ```
    /// use marshal_core::{BoolRepr, TypeDesc, VarType};
    /// assert_eq!(TypeDesc::from_vartype(VarType::BOOL), Some(TypeDesc::Bool(BoolRepr::VariantBool)));
    /// assert_eq!(TypeDesc::from_vartype(VarType::INT), Some(TypeDesc::I32));
    /// assert_eq!(TypeDesc::from_vartype(VarType::RECORD), None);
    /// ```
    pub fn from_vartype(vt: VarType) -> Option<TypeDesc> {
        Some(match vt {
            VarType::I1 => TypeDesc::I8,
            VarType::UI1 => TypeDesc::U8,
            VarType::I2 => TypeDesc::I16,
            VarType::UI2 => TypeDesc::U16,
            VarType::I4 | VarType::INT => TypeDesc::I32,
            VarType::UI4 | VarType::UINT => TypeDesc::U32,
            VarType::I8 => TypeDesc::I64,
            VarType::UI8 => TypeDesc::U64,
            VarType::R4 => TypeDesc::F32,
            VarType::R8 => TypeDesc::F64,
            VarType::INT_PTR => TypeDesc::ISIZE,
            VarType::UINT_PTR => TypeDesc::USIZE,
            VarType::BOOL => TypeDesc::Bool(BoolRepr::VariantBool),
            VarType::BSTR => TypeDesc::String(StringRepr::BStr),
            VarType::LPSTR => TypeDesc::String(StringRepr::LPStr),
            VarType::LPWSTR => TypeDesc::String(StringRepr::LPWStr),
            VarType::VARIANT => TypeDesc::Variant,
            VarType::DECIMAL => TypeDesc::Decimal,
            VarType::CY => TypeDesc::Currency,
            VarType::DATE => TypeDesc::Date,
            VarType::ERROR | VarType::HRESULT => TypeDesc::Error,
            VarType::UNKNOWN => TypeDesc::Interface(InterfaceKind::IUnknown),
            VarType::DISPATCH => TypeDesc::Interface(InterfaceKind::IDispatch),
            VarType::PTR => TypeDesc::Pointer,
            _ => return None,
        })
    }

    /// The struct descriptor, if this is a struct.
    pub fn as_struct(&self) -> Option<&Arc<StructDesc>> {
        match self {
            TypeDesc::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the managed value owns native resources that a field overlapping
    /// it would corrupt: the CLR's "object reference" fields (strings, arrays,
    /// interfaces, VARIANT), which Explicit layout may not overlap.
    pub fn is_reference(&self) -> bool {
        match self {
            TypeDesc::String(_)
            | TypeDesc::ByValTStr(_)
            | TypeDesc::LpArray { .. }
            | TypeDesc::SafeArray(_)
            | TypeDesc::Variant
            | TypeDesc::Interface(_) => true,
            TypeDesc::ByValArray { elem, .. } => elem.is_reference(),
            TypeDesc::Struct(s) => s.contains_reference(),
            _ => false,
        }
    }

    /// Shorthand for `classify(self).is_blittable()`.
    pub fn is_blittable(&self) -> bool {
        crate::blittable::classify(self).is_blittable()
    }

    /// A short human-readable name (`"LPWStr"`, `"ByValArray<Int32; 4>"`, `"struct Point"`).
    pub fn display_name(&self) -> String {
        match self {
            TypeDesc::Prim(p) => p.clr_name().to_string(),
            TypeDesc::Pointer => "pointer".into(),
            TypeDesc::Bool(r) => format!("bool as {r:?}"),
            TypeDesc::Char(r) => format!("char as {r:?}"),
            TypeDesc::String(r) => format!("string as {r:?}"),
            TypeDesc::ByValTStr(n) => format!("ByValTStr({n})"),
            TypeDesc::ByValArray { elem, count } => format!("ByValArray<{}; {count}>", elem.display_name()),
            TypeDesc::LpArray { elem, .. } => format!("LPArray<{}>", elem.display_name()),
            TypeDesc::SafeArray(vt) => format!("SafeArray({vt:?})"),
            TypeDesc::Variant => "VARIANT".into(),
            TypeDesc::Decimal => "DECIMAL".into(),
            TypeDesc::Currency => "CY".into(),
            TypeDesc::Date => "DATE".into(),
            TypeDesc::Error => "HRESULT".into(),
            TypeDesc::Guid => "GUID".into(),
            TypeDesc::Interface(k) => format!("interface {k:?}"),
            TypeDesc::FnPtr => "function pointer".into(),
            TypeDesc::Struct(s) => format!("struct {}", s.name()),
            TypeDesc::Named(n) => format!("struct {n} (unresolved)"),
        }
    }

    /// Checks a descriptor used on its own (a parameter or array element): the
    /// same rules [`StructBuilder::build`] applies to fields, except that the
    /// field-only forms are reported as [`DescError::FieldOnly`].
    pub fn validate(&self) -> Result<(), DescError> {
        match self {
            TypeDesc::ByValTStr(_) | TypeDesc::ByValArray { .. } => {
                Err(DescError::FieldOnly { what: self.display_name() })
            }
            other => check_element(other, "<value>"),
        }
    }
}

impl From<Prim> for TypeDesc {
    fn from(p: Prim) -> TypeDesc {
        TypeDesc::Prim(p)
    }
}

impl From<Arc<StructDesc>> for TypeDesc {
    fn from(s: Arc<StructDesc>) -> TypeDesc {
        TypeDesc::Struct(s)
    }
}

/// One field of a struct.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDesc {
    /// The field's name (used in layouts, error paths and conformance diffs).
    pub name: Arc<str>,
    /// Its type and marshaling.
    pub ty: TypeDesc,
    /// `FieldOffset` (Explicit layout only).
    pub offset: Option<u32>,
}

/// A struct type: its fields and `[StructLayout]`. Built by [`StructBuilder`] or
/// [`TypeSet`], always valid, shared through `Arc`. Its layouts are computed once
/// per [`Target`] and cached here.
pub struct StructDesc {
    name: Arc<str>,
    kind: LayoutKind,
    pack: Pack,
    charset: CharSet,
    size: u32,
    fields: Vec<FieldDesc>,
    has_reference: bool,
    layouts: [OnceLock<Result<Arc<Layout>, LayoutError>>; Target::COUNT],
    plans: [OnceLock<Result<Arc<Plan>, PlanError>>; Target::COUNT],
}

impl StructDesc {
    /// The type's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Sequential, Explicit or Auto.
    pub fn kind(&self) -> LayoutKind {
        self.kind
    }
    /// `StructLayout.Pack`.
    pub fn pack(&self) -> Pack {
        self.pack
    }
    /// `StructLayout.CharSet`.
    pub fn charset(&self) -> CharSet {
        self.charset
    }
    /// `StructLayout.Size` (0 = not declared).
    pub fn declared_size(&self) -> u32 {
        self.size
    }
    /// The fields in declaration order.
    pub fn fields(&self) -> &[FieldDesc] {
        &self.fields
    }
    /// Whether any field (nested structs included) is a reference (see [`TypeDesc::is_reference`]).
    pub fn contains_reference(&self) -> bool {
        self.has_reference
    }

    pub(crate) fn cached_layout(
        &self,
        target: Target,
        compute: impl FnOnce() -> Result<Arc<Layout>, LayoutError>,
    ) -> Result<Arc<Layout>, LayoutError> {
        self.layouts[target.cache_index()].get_or_init(compute).clone()
    }

    pub(crate) fn cached_plan(
        &self,
        target: Target,
        compute: impl FnOnce() -> Result<Arc<Plan>, PlanError>,
    ) -> Result<Arc<Plan>, PlanError> {
        self.plans[target.cache_index()].get_or_init(compute).clone()
    }
}

impl PartialEq for StructDesc {
    fn eq(&self, other: &StructDesc) -> bool {
        self.name == other.name
            && self.kind == other.kind
            && self.pack == other.pack
            && self.charset == other.charset
            && self.size == other.size
            && self.fields == other.fields
    }
}

impl fmt::Debug for StructDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StructDesc")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("pack", &self.pack.get())
            .field("charset", &self.charset)
            .field("size", &self.size)
            .field("fields", &self.fields)
            .finish()
    }
}

/// An invalid type descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DescError {
    /// `Pack` other than 0, 1, 2, 4, 8, 16, 32, 64, 128.
    InvalidPack(u32),
    /// `ByValTStr` or `ByValArray` with `SizeConst = 0`.
    ZeroSizeConst {
        /// The field.
        field: String,
    },
    /// Explicit layout: a reference field (string, array, interface, VARIANT)
    /// overlaps another field.
    OverlappingReference {
        /// The reference field.
        field: String,
        /// The field it overlaps.
        other: String,
    },
    /// Explicit layout without a `FieldOffset` on `field`, or Sequential with one.
    OffsetMismatch {
        /// The field.
        field: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A struct contains itself by value; `cycle` lists the types around the loop.
    RecursiveStruct {
        /// The chain of struct names, first = last.
        cycle: Vec<String>,
    },
    /// A [`TypeDesc::Named`] reference to a type the [`TypeSet`] does not have,
    /// or outside a `TypeSet`.
    UnresolvedName(String),
    /// A name declared twice in a [`TypeSet`].
    DuplicateName(String),
    /// Two fields with the same name.
    DuplicateField(String),
    /// `ByValTStr` / `ByValArray` used outside a struct field.
    FieldOnly {
        /// The form.
        what: String,
    },
    /// A form the CLR refuses in this position (e.g. an LPArray field, an array
    /// of arrays), with the reason.
    Unsupported {
        /// Where (field path or `<value>`).
        at: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for DescError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescError::InvalidPack(p) => write!(f, "Pack = {p} is invalid (0, 1, 2, 4, 8, 16, 32, 64 or 128)"),
            DescError::ZeroSizeConst { field } => write!(f, "field `{field}`: SizeConst must be greater than 0"),
            DescError::OverlappingReference { field, other } => {
                write!(f, "reference field `{field}` overlaps field `{other}` in explicit layout")
            }
            DescError::OffsetMismatch { field, reason } => write!(f, "field `{field}`: {reason}"),
            DescError::RecursiveStruct { cycle } => {
                write!(f, "struct contains itself by value: {}", cycle.join(" -> "))
            }
            DescError::UnresolvedName(n) => write!(f, "unknown struct type `{n}`"),
            DescError::DuplicateName(n) => write!(f, "struct type `{n}` declared twice"),
            DescError::DuplicateField(n) => write!(f, "field `{n}` declared twice"),
            DescError::FieldOnly { what } => write!(f, "{what} is only valid as a struct field"),
            DescError::Unsupported { at, reason } => write!(f, "`{at}`: {reason}"),
        }
    }
}

impl std::error::Error for DescError {}

/// Builds a [`StructDesc`].
///
/// ```
/// use marshal_core::{StructBuilder, TypeDesc, CharSet, DescError};
/// let s = StructBuilder::sequential("Named")
///     .charset(CharSet::Unicode)
///     .pack(4)
///     .field("id", TypeDesc::I32)
///     .field("name", TypeDesc::ByValTStr(32))
///     .build()
///     .unwrap();
/// assert_eq!(s.as_struct().unwrap().fields().len(), 2);
///
/// let bad = StructBuilder::sequential("Bad").pack(3).field("x", TypeDesc::I32).build();
/// assert_eq!(bad.unwrap_err(), DescError::InvalidPack(3));
/// ```
#[derive(Clone, Debug)]
pub struct StructBuilder {
    name: Arc<str>,
    kind: LayoutKind,
    pack: u32,
    charset: CharSet,
    size: u32,
    fields: Vec<FieldDesc>,
}

impl StructBuilder {
    /// A `LayoutKind.Sequential` struct.
    pub fn sequential(name: &str) -> StructBuilder {
        StructBuilder::new(name, LayoutKind::Sequential)
    }

    /// A `LayoutKind.Explicit` struct: add fields with [`StructBuilder::field_at`].
    pub fn explicit(name: &str) -> StructBuilder {
        StructBuilder::new(name, LayoutKind::Explicit)
    }

    /// A struct of any layout kind.
    pub fn new(name: &str, kind: LayoutKind) -> StructBuilder {
        StructBuilder { name: Arc::from(name), kind, pack: 0, charset: CharSet::Ansi, size: 0, fields: Vec::new() }
    }

    /// `StructLayout.Pack` (checked by [`StructBuilder::build`]).
    pub fn pack(mut self, pack: u32) -> StructBuilder {
        self.pack = pack;
        self
    }

    /// `StructLayout.CharSet`.
    pub fn charset(mut self, charset: CharSet) -> StructBuilder {
        self.charset = charset;
        self
    }

    /// `StructLayout.Size`: the minimum native size.
    pub fn size(mut self, size: u32) -> StructBuilder {
        self.size = size;
        self
    }

    /// Appends a field (Sequential layout).
    pub fn field(mut self, name: &str, ty: impl Into<TypeDesc>) -> StructBuilder {
        self.fields.push(FieldDesc { name: Arc::from(name), ty: ty.into(), offset: None });
        self
    }

    /// Appends a field at `FieldOffset(offset)` (Explicit layout).
    pub fn field_at(mut self, name: &str, offset: u32, ty: impl Into<TypeDesc>) -> StructBuilder {
        self.fields.push(FieldDesc { name: Arc::from(name), ty: ty.into(), offset: Some(offset) });
        self
    }

    /// The struct's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Validates and builds the struct as a [`TypeDesc::Struct`].
    /// A [`TypeDesc::Named`] anywhere inside is [`DescError::UnresolvedName`]: use a
    /// [`TypeSet`] for types that refer to each other by name.
    pub fn build(self) -> Result<TypeDesc, DescError> {
        self.build_resolved(&mut |name| Err(DescError::UnresolvedName(name.to_string()))).map(TypeDesc::Struct)
    }

    fn build_resolved(
        self,
        resolve: &mut dyn FnMut(&str) -> Result<Arc<StructDesc>, DescError>,
    ) -> Result<Arc<StructDesc>, DescError> {
        let pack = Pack::new(self.pack)?;
        let mut fields = self.fields;
        for f in &mut fields {
            resolve_named(&mut f.ty, resolve)?;
        }
        for (i, f) in fields.iter().enumerate() {
            if fields[..i].iter().any(|g| g.name == f.name) {
                return Err(DescError::DuplicateField(f.name.to_string()));
            }
            check_field(&f.ty, &f.name)?;
            match (self.kind, f.offset) {
                (LayoutKind::Explicit, None) => {
                    return Err(DescError::OffsetMismatch {
                        field: f.name.to_string(),
                        reason: "explicit layout needs a FieldOffset on every field",
                    })
                }
                (LayoutKind::Sequential | LayoutKind::Auto, Some(_)) => {
                    return Err(DescError::OffsetMismatch {
                        field: f.name.to_string(),
                        reason: "FieldOffset is only valid in explicit layout",
                    })
                }
                _ => {}
            }
        }
        if self.kind == LayoutKind::Explicit {
            check_overlaps(&fields, self.charset)?;
        }
        let has_reference = fields.iter().any(|f| f.ty.is_reference());
        Ok(Arc::new(StructDesc {
            name: self.name,
            kind: self.kind,
            pack,
            charset: self.charset,
            size: self.size,
            fields,
            has_reference,
            layouts: Default::default(),
            plans: Default::default(),
        }))
    }
}

fn resolve_named(
    ty: &mut TypeDesc,
    resolve: &mut dyn FnMut(&str) -> Result<Arc<StructDesc>, DescError>,
) -> Result<(), DescError> {
    match ty {
        TypeDesc::Named(n) => {
            *ty = TypeDesc::Struct(resolve(n)?);
            Ok(())
        }
        TypeDesc::ByValArray { elem, .. } | TypeDesc::LpArray { elem, .. } => resolve_named(elem, resolve),
        _ => Ok(()),
    }
}

/// Field-position rules.
fn check_field(ty: &TypeDesc, field: &str) -> Result<(), DescError> {
    match ty {
        TypeDesc::ByValTStr(0) | TypeDesc::ByValArray { count: 0, .. } => {
            Err(DescError::ZeroSizeConst { field: field.to_string() })
        }
        TypeDesc::ByValTStr(_) => Ok(()),
        TypeDesc::ByValArray { elem, .. } => match **elem {
            TypeDesc::ByValArray { .. } | TypeDesc::LpArray { .. } | TypeDesc::ByValTStr(_) => {
                Err(DescError::Unsupported {
                    at: field.to_string(),
                    reason: "nested arrays cannot be marshaled".into(),
                })
            }
            ref e => check_element(e, field),
        },
        TypeDesc::LpArray { .. } => Err(DescError::Unsupported {
            at: field.to_string(),
            reason: "an LPArray is not valid in a struct field (use ByValArray or SafeArray)".into(),
        }),
        other => check_element(other, field),
    }
}

/// Rules for a value outside the field-only forms.
fn check_element(ty: &TypeDesc, at: &str) -> Result<(), DescError> {
    match ty {
        TypeDesc::Named(n) => Err(DescError::UnresolvedName(n.to_string())),
        TypeDesc::ByValTStr(_) | TypeDesc::ByValArray { .. } => Err(DescError::FieldOnly { what: ty.display_name() }),
        TypeDesc::LpArray { elem, .. } => match **elem {
            TypeDesc::LpArray { .. } | TypeDesc::ByValArray { .. } | TypeDesc::ByValTStr(_) => {
                Err(DescError::Unsupported { at: at.to_string(), reason: "nested arrays cannot be marshaled".into() })
            }
            ref e => check_element(e, at),
        },
        _ => Ok(()),
    }
}

/// Explicit layout: a reference field may not share a byte with any other field.
/// Sizes are taken for the host target; reference fields are pointer-sized or
/// fixed-size inline buffers whose extent does not depend on the target beyond that.
fn check_overlaps(fields: &[FieldDesc], charset: CharSet) -> Result<(), DescError> {
    let target = Target::host();
    let extents: Vec<(u32, u32)> = fields
        .iter()
        .map(|f| {
            let start = f.offset.unwrap_or(0);
            let size = crate::layout::native_size_align(&f.ty, charset, target).map(|(s, _)| s).unwrap_or(0);
            (start, start.saturating_add(size))
        })
        .collect();
    for (i, f) in fields.iter().enumerate() {
        if !f.ty.is_reference() {
            continue;
        }
        for (j, g) in fields.iter().enumerate() {
            if i == j {
                continue;
            }
            let (a0, a1) = extents[i];
            let (b0, b1) = extents[j];
            // Zero-sized extents still occupy their start byte for this check.
            if a0 < b1.max(b0 + 1) && b0 < a1.max(a0 + 1) {
                return Err(DescError::OverlappingReference { field: f.name.to_string(), other: g.name.to_string() });
            }
        }
    }
    Ok(())
}

/// A set of struct declarations that refer to each other by name
/// ([`TypeDesc::Named`]), resolved together. Resolution validates every struct,
/// reports unknown names, and rejects a struct that contains itself by value.
///
/// ```
/// use marshal_core::{StructBuilder, TypeDesc, TypeSet, DescError};
/// let mut set = TypeSet::new();
/// set.declare(StructBuilder::sequential("Inner").field("x", TypeDesc::I16)).unwrap();
/// set.declare(StructBuilder::sequential("Outer").field("inner", TypeDesc::named("Inner"))).unwrap();
/// let outer = set.resolve("Outer").unwrap();
/// assert_eq!(outer.as_struct().unwrap().fields()[0].ty.as_struct().unwrap().name(), "Inner");
///
/// let mut cyclic = TypeSet::new();
/// cyclic.declare(StructBuilder::sequential("Node").field("next", TypeDesc::named("Node"))).unwrap();
/// assert!(matches!(cyclic.resolve("Node"), Err(DescError::RecursiveStruct { .. })));
/// ```
#[derive(Default, Debug)]
pub struct TypeSet {
    decls: HashMap<Arc<str>, StructBuilder>,
    resolved: HashMap<Arc<str>, Arc<StructDesc>>,
}

impl TypeSet {
    /// An empty set.
    pub fn new() -> TypeSet {
        TypeSet::default()
    }

    /// Adds a declaration (checked when resolved).
    pub fn declare(&mut self, decl: StructBuilder) -> Result<(), DescError> {
        if self.decls.contains_key(&decl.name) {
            return Err(DescError::DuplicateName(decl.name.to_string()));
        }
        self.decls.insert(decl.name.clone(), decl);
        Ok(())
    }

    /// Whether `name` is declared.
    pub fn contains(&self, name: &str) -> bool {
        self.decls.contains_key(name)
    }

    /// Resolves `name` and everything it refers to.
    pub fn resolve(&mut self, name: &str) -> Result<TypeDesc, DescError> {
        let mut stack = Vec::new();
        self.resolve_inner(name, &mut stack).map(TypeDesc::Struct)
    }

    /// Resolves every [`TypeDesc::Named`] inside `ty` (a parameter type, say).
    pub fn resolve_desc(&mut self, mut ty: TypeDesc) -> Result<TypeDesc, DescError> {
        let mut stack = Vec::new();
        resolve_named(&mut ty, &mut |n| self.resolve_inner(n, &mut stack))?;
        Ok(ty)
    }

    fn resolve_inner(&mut self, name: &str, stack: &mut Vec<Arc<str>>) -> Result<Arc<StructDesc>, DescError> {
        if let Some(done) = self.resolved.get(name) {
            return Ok(done.clone());
        }
        if let Some(pos) = stack.iter().position(|n| &**n == name) {
            let mut cycle: Vec<String> = stack[pos..].iter().map(|n| n.to_string()).collect();
            cycle.push(name.to_string());
            return Err(DescError::RecursiveStruct { cycle });
        }
        let decl = self.decls.get(name).cloned().ok_or_else(|| DescError::UnresolvedName(name.to_string()))?;
        let key = decl.name.clone();
        stack.push(key.clone());
        let built = decl.build_resolved(&mut |n| self.resolve_inner(n, stack));
        stack.pop();
        let built = built?;
        self.resolved.insert(key, built.clone());
        Ok(built)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_invalid_pack_is_refused_and_every_valid_one_accepted() {
        for p in 0..=256u32 {
            let ok = matches!(p, 0 | 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128);
            assert_eq!(Pack::new(p).is_ok(), ok, "pack {p}");
        }
    }

    #[test]
    fn zero_size_const_is_refused_for_both_inline_forms() {
        let e = StructBuilder::sequential("S").field("s", TypeDesc::ByValTStr(0)).build().unwrap_err();
        assert_eq!(e, DescError::ZeroSizeConst { field: "s".into() });
        let e =
            StructBuilder::sequential("S").field("a", TypeDesc::by_val_array(TypeDesc::I32, 0)).build().unwrap_err();
        assert_eq!(e, DescError::ZeroSizeConst { field: "a".into() });
    }

    #[test]
    fn explicit_reference_overlap_is_refused_but_scalar_unions_are_allowed() {
        let e = StructBuilder::explicit("U")
            .field_at("s", 0, TypeDesc::String(StringRepr::LPWStr))
            .field_at("i", 4, TypeDesc::I32)
            .build()
            .unwrap_err();
        assert!(
            matches!(e, DescError::OverlappingReference { ref field, ref other } if field == "s" && other == "i"),
            "{e:?}"
        );
        StructBuilder::explicit("U")
            .field_at("i", 0, TypeDesc::I32)
            .field_at("f", 0, TypeDesc::F32)
            .field_at("b", 0, TypeDesc::bool_win32())
            .build()
            .unwrap();
        StructBuilder::explicit("U")
            .field_at("i", 0, TypeDesc::I32)
            .field_at("s", 8, TypeDesc::String(StringRepr::LPWStr))
            .build()
            .unwrap();
    }

    #[test]
    fn recursion_through_a_chain_is_reported_with_its_cycle() {
        let mut set = TypeSet::new();
        set.declare(StructBuilder::sequential("A").field("b", TypeDesc::named("B"))).unwrap();
        set.declare(StructBuilder::sequential("B").field("arr", TypeDesc::by_val_array(TypeDesc::named("A"), 2)))
            .unwrap();
        assert_eq!(
            set.resolve("A").unwrap_err(),
            DescError::RecursiveStruct { cycle: vec!["A".into(), "B".into(), "A".into()] }
        );
    }

    #[test]
    fn unresolved_and_field_only_forms_are_typed_errors() {
        assert_eq!(
            StructBuilder::sequential("S").field("x", TypeDesc::named("Nope")).build().unwrap_err(),
            DescError::UnresolvedName("Nope".into())
        );
        assert!(matches!(TypeDesc::ByValTStr(4).validate(), Err(DescError::FieldOnly { .. })));
        assert!(matches!(
            StructBuilder::sequential("S").field("a", TypeDesc::lp_array(TypeDesc::I32, 4, None)).build(),
            Err(DescError::Unsupported { .. })
        ));
        assert!(matches!(
            StructBuilder::sequential("S")
                .field("a", TypeDesc::by_val_array(TypeDesc::by_val_array(TypeDesc::I32, 2), 2))
                .build(),
            Err(DescError::Unsupported { .. })
        ));
        assert!(matches!(
            StructBuilder::explicit("S").field("a", TypeDesc::I32).build(),
            Err(DescError::OffsetMismatch { .. })
        ));
    }
}
