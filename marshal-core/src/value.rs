//! A runtime value for interop layers that have no Rust type for the data they
//! marshal (a scripting language, a type library, a vector file): a tree of
//! [`Value`]s matched against a [`crate::TypeDesc`] by a [`crate::plan::Plan`].
//!
//! Cost: converting a `Value` to native bytes is one `match` per field and no
//! heap allocation beyond the native strings and arrays the ABI demands; reading
//! native bytes back builds the tree (one `Vec` per struct and array).

use std::sync::Arc;

use crate::guid::Guid;

/// A managed-side value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A null reference (string, array, interface, delegate).
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
    /// An HRESULT / SCODE.
    Error(i32),
    /// A GUID.
    Guid(Guid),
    /// A string as UTF-16 code units (possibly ill-formed, as .NET strings may be).
    Str(Vec<u16>),
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
}
