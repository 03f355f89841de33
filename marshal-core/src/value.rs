//! A runtime value for interop layers that have no Rust type for the data they
//! marshal (a scripting language, a type library, a vector file): a tree of
//! [`Value`]s matched against a [`crate::TypeDesc`] by a [`crate::plan::Plan`].
//!
//! Each variant is a managed (.NET) value; which native form it takes is the
//! descriptor's business:
//!
//! | `Value` | managed type | native forms (by `TypeDesc`) |
//! |---|---|---|
//! | `Bool` | `bool` | BOOL, VARIANT_BOOL, U1/I1 |
//! | `Char` | `char` | 1-byte ANSI, UTF-16 |
//! | `I8` … `F64`, `ISize`, `USize` | numbers, enums | themselves |
//! | `Str`, `Null` | `string` | LPStr, LPWStr, LPUTF8Str, BStr, AnsiBStr, ByValTStr |
//! | `Decimal` | `decimal` | DECIMAL, CY (`UnmanagedType.Currency`) |
//! | `DateTime` | `DateTime` | OLE DATE |
//! | `Guid`, `Error` | `Guid`, an HRESULT `int` | themselves |
//! | `Array` | `T[]` | ByValArray, SAFEARRAY, LPArray |
//! | `Struct` | a struct or formatted class | the struct's layout |
//! | `Interface` | a COM object | `IUnknown*`, `IDispatch*`, `I*` |
//! | `Pointer` | `IntPtr`, a delegate's code | a pointer |
//! | any of them, `DbNull`, `Missing`, `Currency` | `object` | VARIANT |
//!
//! Cost: converting a `Value` to native bytes is one `match` per field and no
//! heap allocation beyond the native strings, arrays and VARIANT payloads the ABI
//! demands — about 30 instructions per number field and 6 numbers in ~180
//! (callgrind: `benches/examples/profile_structs.rs`), against ~5 per field for a
//! `#[derive(Marshal)]` type, which needs no tree. Build struct values with the
//! plan's own field names ([`crate::plan::Plan::field_names`]): they are then
//! matched by address, not by comparing strings. Reading native bytes back builds
//! the tree (one `Vec` per struct, array and string, one `Arc` clone per field
//! name), which costs about 3× the derived type's read.

use std::sync::Arc;

use crate::guid::Guid;
use crate::iunknown::ComRef;
use crate::variant::{Currency, Date, Decimal};

/// A managed-side value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A null reference (string, array, interface, delegate, `object`).
    Null,
    /// `bool`.
    Bool(bool),
    /// `char`: one UTF-16 code unit, as .NET's `System.Char`.
    Char(u16),
    /// `sbyte`.
    I8(i8),
    /// `byte`.
    U8(u8),
    /// `short`.
    I16(i16),
    /// `ushort`.
    U16(u16),
    /// `int`.
    I32(i32),
    /// `uint`.
    U32(u32),
    /// `long`.
    I64(i64),
    /// `ulong`.
    U64(u64),
    /// `float`.
    F32(f32),
    /// `double`.
    F64(f64),
    /// `IntPtr` (held as i64 whatever the target width).
    ISize(i64),
    /// `UIntPtr` (held as u64 whatever the target width).
    USize(u64),
    /// A raw data or function pointer value.
    Pointer(u64),
    /// An HRESULT / SCODE (`UnmanagedType.Error`, `ErrorWrapper` in an `object`).
    Error(i32),
    /// A GUID.
    Guid(Guid),
    /// `decimal`: the 16 bytes of a .NET decimal (the same bytes as a DECIMAL).
    Decimal(Decimal),
    /// A `CurrencyWrapper` in an `object`: VT_CY.
    Currency(Currency),
    /// `DateTime`.
    DateTime(DateTime),
    /// `DBNull.Value` in an `object`: VT_NULL.
    DbNull,
    /// `Type.Missing` in an `object`: VT_ERROR `DISP_E_PARAMNOTFOUND`.
    Missing,
    /// A COM object (one reference).
    Interface(ComRef),
    /// A string as UTF-16 code units (possibly ill-formed, as .NET strings may be).
    Str(Vec<u16>),
    /// A `System.Text.StringBuilder` argument: its text (UTF-16 code units) and its
    /// `Capacity`, which sizes the native buffer (`capacity + 1` characters). Only a
    /// P/Invoke parameter takes one; after the call it holds what the callee wrote.
    StringBuilder {
        /// The text.
        text: Vec<u16>,
        /// `StringBuilder.Capacity`.
        capacity: u32,
    },
    /// Array elements in order.
    Array(Vec<Value>),
    /// Struct fields in declaration order.
    Struct(Vec<(Arc<str>, Value)>),
}

impl Value {
    /// A string value from Rust text.
    pub fn str(s: &str) -> Value {
        Value::Str(s.encode_utf16().collect())
    }

    /// The named field of a struct value.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(fields) => fields.iter().find(|(n, _)| &**n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A short name of the variant, for errors (`"an int"`, `"a string"`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a bool",
            Value::Char(_) => "a char",
            Value::I8(_) => "an sbyte",
            Value::U8(_) => "a byte",
            Value::I16(_) => "a short",
            Value::U16(_) => "a ushort",
            Value::I32(_) => "an int",
            Value::U32(_) => "a uint",
            Value::I64(_) => "a long",
            Value::U64(_) => "a ulong",
            Value::F32(_) => "a float",
            Value::F64(_) => "a double",
            Value::ISize(_) => "an IntPtr",
            Value::USize(_) => "a UIntPtr",
            Value::Pointer(_) => "a pointer",
            Value::Error(_) => "an HRESULT",
            Value::Guid(_) => "a Guid",
            Value::Decimal(_) => "a decimal",
            Value::Currency(_) => "a CurrencyWrapper",
            Value::DateTime(_) => "a DateTime",
            Value::DbNull => "DBNull",
            Value::Missing => "Missing",
            Value::Interface(_) => "an interface",
            Value::Str(_) => "a string",
            Value::StringBuilder { .. } => "a StringBuilder",
            Value::Array(_) => "an array",
            Value::Struct(_) => "a struct",
        }
    }
}

/// .NET's `DateTime`: 100-nanosecond ticks since 0001-01-01 00:00 (the `Kind`
/// is not kept: an OLE DATE has none, and reads back as `Unspecified`).
///
/// Its native form is an OLE `DATE`, converted as `DateTime.ToOADate` /
/// `DateTime.FromOADate` do (millisecond precision; dates before 0100-01-01
/// have no DATE).
///
/// ```
/// use marshal_core::value::DateTime;
/// // 2001-02-03T04:05:06.007
/// let t = DateTime { ticks: 631_167_699_060_070_000 };
/// let d = t.to_ole_date().unwrap();
/// assert_eq!(d.0.to_bits(), 0x40e2_07a5_7258_eaa5);
/// assert_eq!(DateTime::from_ole_date(d), Some(t));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// Ticks (100 ns) since 0001-01-01.
    pub ticks: i64,
}

impl DateTime {
    /// The largest valid tick count (9999-12-31 23:59:59.9999999).
    pub const MAX_TICKS: i64 = 3_155_378_975_999_999_999;

    /// `DateTime.ToOADate`; `None` before 0100-01-01 (the CLR's OverflowException)
    /// or outside the valid tick range.
    pub fn to_ole_date(self) -> Option<Date> {
        if !(0..=Self::MAX_TICKS).contains(&self.ticks) {
            return None;
        }
        Date::from_clr_ticks(self.ticks)
    }

    /// `DateTime.FromOADate`; `None` outside (-657435, 2958466) (the CLR's
    /// ArgumentException "Not a legal OleAut date").
    pub fn from_ole_date(d: Date) -> Option<DateTime> {
        d.to_clr_ticks().map(|ticks| DateTime { ticks })
    }
}
