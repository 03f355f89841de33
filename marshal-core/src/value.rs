//! A runtime value for interop layers that have no Rust type for the data they
//! marshal (a scripting language, a type library, a vector file): a tree of
//! [`Value`]s matched against a [`TypeDesc`].
//!
//! This module holds the value model and the blittable encoder/decoder: every
//! blittable [`TypeDesc`] is written to and read from native bytes field by
//! field at the offsets [`Layout`] computes. Cost: one match per scalar, no heap
//! allocation when writing; reading allocates the `Vec`s of the tree it builds.
//! Conversions of non-blittable forms (strings, BSTR, VARIANT, SAFEARRAY …)
//! belong to the plans built on top and report [`ValueError::Unsupported`] here.

use core::fmt;
use std::sync::Arc;

use crate::guid::Guid;
use crate::layout::{Layout, LayoutError, Target};
use crate::types::{CharRepr, CharSet, Prim, TypeDesc};

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

/// Why a value cannot be written or read.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueError {
    /// The value does not match the descriptor (`path`: what was expected).
    Mismatch {
        /// Field path.
        path: String,
        /// What the descriptor wanted.
        expected: String,
    },
    /// The buffer is smaller than the type's native size.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        given: usize,
    },
    /// The descriptor has no layout.
    Layout(LayoutError),
    /// A form this encoder does not handle (non-blittable conversions live in plans).
    Unsupported {
        /// Field path.
        path: String,
        /// The form.
        what: String,
    },
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::Mismatch { path, expected } => write!(f, "`{path}`: expected {expected}"),
            ValueError::BufferTooSmall { needed, given } => write!(f, "buffer of {given} bytes, {needed} needed"),
            ValueError::Layout(e) => write!(f, "{e}"),
            ValueError::Unsupported { path, what } => write!(f, "`{path}`: {what} is not a blittable form"),
        }
    }
}

impl std::error::Error for ValueError {}

impl From<LayoutError> for ValueError {
    fn from(e: LayoutError) -> ValueError {
        ValueError::Layout(e)
    }
}

/// Writes a blittable `value` of type `ty` into `out` (at least `Layout` size
/// bytes) for `target`. The whole native size is written: padding bytes are
/// zero, as a copy of a zero-initialised managed value gives them.
///
/// ByValArray rules as CoreCLR: a null array is zero-filled, a shorter array
/// than `SizeConst` is an error, a longer one is cut at `SizeConst`.
///
/// ```
/// use marshal_core::value::{write_blittable, read_blittable, Value};
/// use marshal_core::{StructBuilder, Target, TypeDesc};
/// let ty = StructBuilder::sequential("P").field("a", TypeDesc::U8).field("b", TypeDesc::I32).build().unwrap();
/// let v = Value::Struct(vec![("a".into(), Value::U8(1)), ("b".into(), Value::I32(-2))]);
/// let mut buf = [0u8; 8];
/// write_blittable(&ty, &v, Target::host(), &mut buf).unwrap();
/// assert_eq!(buf, [1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff]);
/// assert_eq!(read_blittable(&ty, Target::host(), &buf).unwrap(), v);
/// ```
pub fn write_blittable(ty: &TypeDesc, value: &Value, target: Target, out: &mut [u8]) -> Result<(), ValueError> {
    let size = Layout::for_target(ty, target)?.size() as usize;
    if out.len() < size {
        return Err(ValueError::BufferTooSmall { needed: size, given: out.len() });
    }
    out[..size].fill(0);
    write_at(ty, CharSet::Ansi, value, target, out, &mut String::new())
}

/// Reads a blittable value of type `ty` from `bytes` for `target`.
pub fn read_blittable(ty: &TypeDesc, target: Target, bytes: &[u8]) -> Result<Value, ValueError> {
    let size = Layout::for_target(ty, target)?.size() as usize;
    if bytes.len() < size {
        return Err(ValueError::BufferTooSmall { needed: size, given: bytes.len() });
    }
    read_at(ty, CharSet::Ansi, target, bytes, &mut String::new())
}

fn mismatch(path: &str, expected: &str) -> ValueError {
    ValueError::Mismatch { path: path.to_string(), expected: expected.to_string() }
}

fn put<const N: usize>(out: &mut [u8], bytes: [u8; N]) {
    out[..N].copy_from_slice(&bytes);
}

fn write_at(
    ty: &TypeDesc,
    charset: CharSet,
    value: &Value,
    target: Target,
    out: &mut [u8],
    path: &mut String,
) -> Result<(), ValueError> {
    let ptr8 = target.pointer_width == 8;
    match (ty, value) {
        (TypeDesc::Prim(p), v) => write_prim(*p, v, ptr8, out).ok_or_else(|| mismatch(path, p.clr_name())),
        (TypeDesc::Char(r), Value::Char(c)) if char_is_utf16(*r, charset, target) => {
            put(out, c.to_le_bytes());
            Ok(())
        }
        (TypeDesc::Error, Value::Error(e)) => {
            put(out, e.to_le_bytes());
            Ok(())
        }
        (TypeDesc::Guid, Value::Guid(g)) => {
            put(out, g.to_bytes());
            Ok(())
        }
        (TypeDesc::Pointer | TypeDesc::FnPtr, v) => {
            let p = match v {
                Value::Pointer(p) => *p,
                Value::Null => 0,
                _ => return Err(mismatch(path, "pointer")),
            };
            if ptr8 {
                put(out, p.to_le_bytes());
            } else {
                put(out, (p as u32).to_le_bytes());
            }
            Ok(())
        }
        (TypeDesc::ByValArray { .. }, Value::Null) => Ok(()),
        (TypeDesc::ByValArray { elem, count }, Value::Array(items)) => {
            if items.len() < *count as usize {
                return Err(mismatch(path, &format!("at least SizeConst = {count} elements")));
            }
            let stride = Layout::for_target(elem, target)?.size() as usize;
            let stride = if matches!(**elem, TypeDesc::Struct(_)) { stride } else { elem_size(elem, charset, target)? };
            let len = path.len();
            for (i, item) in items.iter().take(*count as usize).enumerate() {
                path.push_str(&format!("[{i}]"));
                write_at(elem, charset, item, target, &mut out[i * stride..], path)?;
                path.truncate(len);
            }
            Ok(())
        }
        (TypeDesc::Struct(s), Value::Struct(values)) => {
            let layout = Layout::for_target(ty, target)?;
            for (f, fl) in s.fields().iter().zip(layout.fields()) {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&f.name);
                let v = values
                    .iter()
                    .find(|(n, _)| *n == f.name)
                    .map(|(_, v)| v)
                    .ok_or_else(|| mismatch(path, "a value"))?;
                write_at(&f.ty, s.charset(), v, target, &mut out[fl.offset as usize..], path)?;
                path.truncate(len);
            }
            Ok(())
        }
        (
            TypeDesc::Char(_) | TypeDesc::Error | TypeDesc::Guid | TypeDesc::ByValArray { .. } | TypeDesc::Struct(_),
            _,
        ) if crate::blittable::classify_for(ty, target).is_blittable() => Err(mismatch(path, &ty.display_name())),
        _ => Err(ValueError::Unsupported { path: path.clone(), what: ty.display_name() }),
    }
}

fn elem_size(elem: &TypeDesc, charset: CharSet, target: Target) -> Result<usize, ValueError> {
    Ok(crate::layout::native_size_align(elem, charset, target)?.0 as usize)
}

fn char_is_utf16(r: CharRepr, charset: CharSet, target: Target) -> bool {
    match r {
        CharRepr::Utf16 => true,
        CharRepr::Ansi => false,
        CharRepr::ByCharSet => charset.is_unicode_on(target),
    }
}

fn write_prim(p: Prim, v: &Value, ptr8: bool, out: &mut [u8]) -> Option<()> {
    match (p, v) {
        (Prim::I8, Value::I8(x)) => put(out, x.to_le_bytes()),
        (Prim::U8, Value::U8(x)) => put(out, x.to_le_bytes()),
        (Prim::I16, Value::I16(x)) => put(out, x.to_le_bytes()),
        (Prim::U16, Value::U16(x)) => put(out, x.to_le_bytes()),
        (Prim::I32, Value::I32(x)) => put(out, x.to_le_bytes()),
        (Prim::U32, Value::U32(x)) => put(out, x.to_le_bytes()),
        (Prim::I64, Value::I64(x)) => put(out, x.to_le_bytes()),
        (Prim::U64, Value::U64(x)) => put(out, x.to_le_bytes()),
        (Prim::F32, Value::F32(x)) => put(out, x.to_le_bytes()),
        (Prim::F64, Value::F64(x)) => put(out, x.to_le_bytes()),
        (Prim::ISize, Value::ISize(x)) if ptr8 => put(out, x.to_le_bytes()),
        (Prim::ISize, Value::ISize(x)) => put(out, i32::try_from(*x).ok()?.to_le_bytes()),
        (Prim::USize, Value::USize(x)) if ptr8 => put(out, x.to_le_bytes()),
        (Prim::USize, Value::USize(x)) => put(out, u32::try_from(*x).ok()?.to_le_bytes()),
        _ => return None,
    }
    Some(())
}

fn get<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

fn read_at(ty: &TypeDesc, charset: CharSet, target: Target, b: &[u8], path: &mut String) -> Result<Value, ValueError> {
    let ptr8 = target.pointer_width == 8;
    Ok(match ty {
        TypeDesc::Prim(p) => match p {
            Prim::I8 => Value::I8(i8::from_le_bytes(get(b))),
            Prim::U8 => Value::U8(b[0]),
            Prim::I16 => Value::I16(i16::from_le_bytes(get(b))),
            Prim::U16 => Value::U16(u16::from_le_bytes(get(b))),
            Prim::I32 => Value::I32(i32::from_le_bytes(get(b))),
            Prim::U32 => Value::U32(u32::from_le_bytes(get(b))),
            Prim::I64 => Value::I64(i64::from_le_bytes(get(b))),
            Prim::U64 => Value::U64(u64::from_le_bytes(get(b))),
            Prim::F32 => Value::F32(f32::from_le_bytes(get(b))),
            Prim::F64 => Value::F64(f64::from_le_bytes(get(b))),
            Prim::ISize if ptr8 => Value::ISize(i64::from_le_bytes(get(b))),
            Prim::ISize => Value::ISize(i32::from_le_bytes(get(b)) as i64),
            Prim::USize if ptr8 => Value::USize(u64::from_le_bytes(get(b))),
            Prim::USize => Value::USize(u32::from_le_bytes(get(b)) as u64),
        },
        TypeDesc::Char(r) if char_is_utf16(*r, charset, target) => Value::Char(u16::from_le_bytes(get(b))),
        TypeDesc::Error => Value::Error(i32::from_le_bytes(get(b))),
        TypeDesc::Guid => Value::Guid(Guid::from_bytes(get(b))),
        TypeDesc::Pointer | TypeDesc::FnPtr => {
            let p = if ptr8 { u64::from_le_bytes(get(b)) } else { u32::from_le_bytes(get(b)) as u64 };
            if p == 0 {
                Value::Null
            } else {
                Value::Pointer(p)
            }
        }
        TypeDesc::ByValArray { elem, count } => {
            let stride = if matches!(**elem, TypeDesc::Struct(_)) {
                Layout::for_target(elem, target)?.size() as usize
            } else {
                elem_size(elem, charset, target)?
            };
            let mut items = Vec::with_capacity(*count as usize);
            let len = path.len();
            for i in 0..*count as usize {
                path.push_str(&format!("[{i}]"));
                items.push(read_at(elem, charset, target, &b[i * stride..], path)?);
                path.truncate(len);
            }
            Value::Array(items)
        }
        TypeDesc::Struct(s) => {
            let layout = Layout::for_target(ty, target)?;
            let mut fields = Vec::with_capacity(s.fields().len());
            for (f, fl) in s.fields().iter().zip(layout.fields()) {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&f.name);
                fields.push((f.name.clone(), read_at(&f.ty, s.charset(), target, &b[fl.offset as usize..], path)?));
                path.truncate(len);
            }
            Value::Struct(fields)
        }
        other => return Err(ValueError::Unsupported { path: path.clone(), what: other.display_name() }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::StructBuilder;

    #[test]
    fn vector_s_byteintbyte_bytes_are_reproduced() {
        // mono_layout.jsonl S_ByteIntByte#0: a=162, b=-16909063, c=164 -> a2000000 f9fcfdfe a4000000
        let ty = StructBuilder::sequential("S_ByteIntByte")
            .field("a", TypeDesc::U8)
            .field("b", TypeDesc::I32)
            .field("c", TypeDesc::U8)
            .build()
            .unwrap();
        let v = Value::Struct(vec![
            ("a".into(), Value::U8(162)),
            ("b".into(), Value::I32(-16909063)),
            ("c".into(), Value::U8(164)),
        ]);
        let mut buf = [0u8; 12];
        write_blittable(&ty, &v, Target::UNIX_64, &mut buf).unwrap();
        assert_eq!(buf, [0xa2, 0, 0, 0, 0xf9, 0xfc, 0xfd, 0xfe, 0xa4, 0, 0, 0]);
    }

    #[test]
    fn wrong_values_and_small_buffers_are_typed_errors() {
        let ty = StructBuilder::sequential("S").field("a", TypeDesc::I32).build().unwrap();
        let v = Value::Struct(vec![("a".into(), Value::U8(1))]);
        assert!(matches!(write_blittable(&ty, &v, Target::UNIX_64, &mut [0u8; 4]), Err(ValueError::Mismatch { .. })));
        let v = Value::Struct(vec![("a".into(), Value::I32(1))]);
        assert!(matches!(
            write_blittable(&ty, &v, Target::UNIX_64, &mut [0u8; 3]),
            Err(ValueError::BufferTooSmall { needed: 4, given: 3 })
        ));
        let s = StructBuilder::sequential("S").field("s", TypeDesc::string_default()).build().unwrap();
        assert!(matches!(read_blittable(&s, Target::UNIX_64, &[0u8; 8]), Err(ValueError::Unsupported { .. })));
    }
}
