//! Blittable classification: whether a type's managed and native forms are the
//! same bytes, so that it can cross the boundary with no copy.
//!
//! The CLR's rules (clr-marshaling.md §1): the integer and float primitives,
//! pointer-sized integers, pointers, function pointers and enums are blittable;
//! so are `char` in a CharSet.Unicode context (a UTF-16 unit either way), GUIDs,
//! HRESULTs, fixed inline arrays of blittable elements, and Sequential or Explicit
//! structs whose fields all are. `bool` (1, 2 or 4 bytes, true = 1 or -1),
//! ANSI `char`, strings, VARIANT, DECIMAL, CY, DATE, interfaces and arrays passed
//! by pointer never are.
//!
//! [`classify`] answers for a runtime [`TypeDesc`] and says why not;
//! the [`Blittable`] trait is the static side for Rust types.

use core::fmt;

use crate::layout::Target;
use crate::types::{BoolRepr, CharRepr, CharSet, LayoutKind, Prim, StringRepr, TypeDesc};

/// The answer of [`classify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Classification {
    /// Managed and native bytes are identical: pass by pointer, copy with memcpy.
    Blittable,
    /// Conversion needed; every offending field, in declaration order (the first
    /// one is `reasons[0]`).
    NonBlittable(Vec<NonBlittableReason>),
}

impl Classification {
    /// `true` for [`Classification::Blittable`].
    pub fn is_blittable(&self) -> bool {
        matches!(self, Classification::Blittable)
    }

    /// The offending fields (empty when blittable).
    pub fn reasons(&self) -> &[NonBlittableReason] {
        match self {
            Classification::Blittable => &[],
            Classification::NonBlittable(r) => r,
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Classification::Blittable => f.write_str("blittable"),
            Classification::NonBlittable(reasons) => {
                f.write_str("not blittable: ")?;
                for (i, r) in reasons.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{r}")?;
                }
                Ok(())
            }
        }
    }
}

/// One reason a type is not blittable: where (a field path such as
/// `inner.flag`, `items[]` for array elements, empty for the type itself) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonBlittableReason {
    /// Field path from the classified type.
    pub path: String,
    /// Why that part needs a conversion (`"bool marshals as 4-byte BOOL"`).
    pub reason: String,
}

impl fmt::Display for NonBlittableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

/// Classifies `ty` on the host target.
///
/// ```
/// use marshal_core::{classify, StructBuilder, TypeDesc};
/// let inner = StructBuilder::sequential("Inner").field("flag", TypeDesc::bool_win32()).build().unwrap();
/// let outer = StructBuilder::sequential("Outer")
///     .field("id", TypeDesc::I32)
///     .field("inner", inner)
///     .build()
///     .unwrap();
/// let c = classify(&outer);
/// assert_eq!(c.reasons()[0].to_string(), "inner.flag: bool marshals as 4-byte BOOL");
/// ```
pub fn classify(ty: &TypeDesc) -> Classification {
    classify_for(ty, Target::host())
}

/// Classifies `ty` for `target` (which decides what `CharSet.Auto` means).
pub fn classify_for(ty: &TypeDesc, target: Target) -> Classification {
    let mut reasons = Vec::new();
    collect(ty, CharSet::Ansi, target, &mut String::new(), &mut reasons);
    if reasons.is_empty() {
        Classification::Blittable
    } else {
        Classification::NonBlittable(reasons)
    }
}

fn collect(ty: &TypeDesc, charset: CharSet, target: Target, path: &mut String, out: &mut Vec<NonBlittableReason>) {
    let mut why = |reason: String| out.push(NonBlittableReason { path: path.clone(), reason });
    match ty {
        TypeDesc::Prim(_) | TypeDesc::Pointer | TypeDesc::FnPtr | TypeDesc::Guid | TypeDesc::Error => {}
        TypeDesc::Bool(r) => why(match r {
            BoolRepr::Win32 => "bool marshals as 4-byte BOOL".into(),
            BoolRepr::VariantBool => "bool marshals as 2-byte VARIANT_BOOL (-1/0)".into(),
            BoolRepr::U1 | BoolRepr::I1 => "bool marshals as 1 byte normalised to 0/1".into(),
        }),
        TypeDesc::Char(r) => {
            let unicode = match r {
                CharRepr::Utf16 => true,
                CharRepr::Ansi => false,
                CharRepr::ByCharSet => charset.is_unicode_on(target),
            };
            if !unicode {
                why("char marshals as a 1-byte ANSI character".into());
            }
        }
        TypeDesc::String(r) => why(format!("string marshals as a {} pointer", string_form(*r, charset, target))),
        TypeDesc::ByValTStr(n) => why(format!("string marshals as an inline ByValTStr({n}) buffer")),
        TypeDesc::ByValArray { elem, .. } => {
            let len = path.len();
            path.push_str("[]");
            collect(elem, charset, target, path, out);
            path.truncate(len);
        }
        TypeDesc::LpArray { .. } => why("array marshals as a pointer to a native copy (LPArray)".into()),
        TypeDesc::SafeArray(_) => why("array marshals as a SAFEARRAY".into()),
        TypeDesc::Variant => why("object marshals as a VARIANT".into()),
        TypeDesc::Decimal => why("decimal marshals as a DECIMAL (converted)".into()),
        TypeDesc::Currency => why("decimal marshals as a CY (converted)".into()),
        TypeDesc::Date => why("DateTime marshals as an OLE DATE (converted)".into()),
        TypeDesc::Interface(_) => why("interface pointers are reference-counted".into()),
        TypeDesc::Named(n) => why(format!("unresolved struct `{n}`")),
        TypeDesc::Struct(s) => {
            if s.kind() == LayoutKind::Auto {
                why("LayoutKind.Auto cannot be marshaled".into());
                return;
            }
            for f in s.fields() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&f.name);
                collect(&f.ty, s.charset(), target, path, out);
                path.truncate(len);
            }
        }
    }
}

fn string_form(r: StringRepr, charset: CharSet, target: Target) -> &'static str {
    match r {
        StringRepr::ByCharSet if charset.is_unicode_on(target) => "LPWStr",
        StringRepr::ByCharSet => "LPStr",
        StringRepr::LPStr => "LPStr",
        StringRepr::LPWStr | StringRepr::LPTStr => "LPWStr",
        StringRepr::LPUTF8Str => "LPUTF8Str",
        StringRepr::BStr | StringRepr::TBStr => "BSTR",
        StringRepr::AnsiBStr => "ANSI BSTR",
    }
}

/// A Rust type whose bytes are its native form: it may be handed to native code
/// by pointer and copied with memcpy.
///
/// # Safety
///
/// Implementors must be `#[repr(C)]` (or `#[repr(transparent)]`, or a primitive)
/// with a Rust layout equal to the native layout [`Blittable::type_desc`]
/// describes, and that descriptor must classify as blittable. `bytemuck::Pod`
/// (no padding, every bit pattern valid) is required as well. Use
/// `#[derive(Blittable)]`, which checks all of this at compile time.
///
/// ```
/// use marshal_core::{Blittable, Layout};
/// #[repr(C)]
/// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, marshal_core::Blittable)]
/// struct Point { x: i32, y: i32 }
/// assert_eq!(Layout::of(&Point::type_desc()).unwrap().size(), 8);
/// ```
///
/// Generic structs are supported: the CLR refuses generic types in most
/// marshaling (`Marshal.SizeOf` and `StructureToPtr` throw for them; only
/// blittable generic structs cross P/Invoke, since .NET Core 3.0), but here a
/// generic `#[repr(C)]` struct of blittable fields is an ordinary native type per
/// instantiation: `#[derive(Blittable)]` checks the layout of each instantiation
/// where it is used, and its descriptor is named after its arguments.
///
/// ```
/// use marshal_core::{Blittable, Layout};
/// #[repr(C)]
/// #[derive(Clone, Copy, marshal_core::Blittable)]
/// struct Pair<T: Blittable> { a: T, b: T }
/// // SAFETY: two fields of one Pod type: no padding, every bit pattern valid.
/// unsafe impl<T: Blittable> bytemuck::Zeroable for Pair<T> {}
/// // SAFETY: as above.
/// unsafe impl<T: Blittable> bytemuck::Pod for Pair<T> {}
/// let d = Pair::<f64>::type_desc();
/// assert_eq!(d.as_struct().unwrap().name(), "Pair<f64>");
/// assert_eq!(Layout::of(&d).unwrap().offset_of("b"), Some(8));
/// ```
pub unsafe trait Blittable: bytemuck::Pod {
    /// The runtime descriptor of this type.
    fn type_desc() -> TypeDesc;
}

macro_rules! blittable_prims {
    ($($t:ty => $p:ident),*) => {$(
        // SAFETY: a primitive is its own native form; Prim::$p has the same size.
        unsafe impl Blittable for $t {
            fn type_desc() -> TypeDesc {
                TypeDesc::Prim(Prim::$p)
            }
        }
    )*};
}

blittable_prims!(i8 => I8, u8 => U8, i16 => I16, u16 => U16, i32 => I32, u32 => U32, i64 => I64, u64 => U64,
    f32 => F32, f64 => F64, isize => ISize, usize => USize);

// SAFETY: an array of blittable elements is laid out inline with no gaps, as ByValArray.
unsafe impl<T: Blittable, const N: usize> Blittable for [T; N]
where
    [T; N]: bytemuck::Pod,
{
    fn type_desc() -> TypeDesc {
        TypeDesc::by_val_array(T::type_desc(), N as u32)
    }
}

// SAFETY: Guid is #[repr(C)] {u32, u16, u16, [u8; 8]}, the native GUID.
unsafe impl Blittable for crate::guid::Guid {
    fn type_desc() -> TypeDesc {
        TypeDesc::Guid
    }
}

// SAFETY: Hresult is #[repr(transparent)] over i32, the native HRESULT.
unsafe impl Blittable for crate::hresult::Hresult {
    fn type_desc() -> TypeDesc {
        TypeDesc::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::StructBuilder;

    #[test]
    fn every_offending_field_is_listed_with_its_path() {
        let inner = StructBuilder::sequential("Inner")
            .field("n", TypeDesc::I32)
            .field("flag", TypeDesc::bool_win32())
            .build()
            .unwrap();
        let outer = StructBuilder::sequential("Outer")
            .field("inner", inner)
            .field("name", TypeDesc::String(StringRepr::LPWStr))
            .field("tags", TypeDesc::by_val_array(TypeDesc::Bool(BoolRepr::U1), 3))
            .build()
            .unwrap();
        let c = classify(&outer);
        let paths: Vec<_> = c.reasons().iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["inner.flag", "name", "tags[]"]);
        assert_eq!(c.reasons()[1].reason, "string marshals as a LPWStr pointer");
    }

    #[test]
    fn char_is_blittable_only_in_unicode_structs() {
        let make =
            |cs| StructBuilder::sequential("C").charset(cs).field("c", TypeDesc::char_default()).build().unwrap();
        assert!(classify(&make(CharSet::Unicode)).is_blittable());
        assert!(!classify(&make(CharSet::Ansi)).is_blittable());
        assert!(!classify_for(&make(CharSet::Auto), Target::UNIX_64).is_blittable());
        assert!(classify_for(&make(CharSet::Auto), Target::WINDOWS_64).is_blittable());
    }

    #[test]
    fn primitive_arrays_guid_and_nested_blittable_structs_are_blittable() {
        let inner =
            StructBuilder::sequential("P").field("x", TypeDesc::F64).field("g", TypeDesc::Guid).build().unwrap();
        let outer = StructBuilder::explicit("U")
            .field_at("a", 0, TypeDesc::by_val_array(inner, 2))
            .field_at("b", 0, TypeDesc::I64)
            .build()
            .unwrap();
        assert_eq!(classify(&outer), Classification::Blittable);
        assert!(classify(&<[u16; 4]>::type_desc()).is_blittable());
    }
}
