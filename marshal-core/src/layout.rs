//! Native layout: size, alignment and field offsets of a [`TypeDesc`], exactly as
//! the CLR's `Marshal.SizeOf` / `Marshal.OffsetOf` report them.
//!
//! The rules (clr-marshaling.md §5): each field is aligned to
//! min(its own alignment, Pack); the struct's alignment is min(largest field
//! alignment, Pack); its size is the end of the last field rounded up to that
//! alignment, or, when `StructLayout.Size` is declared, max(Size, end of the
//! last field) without rounding. Nested structs are inlined with their own
//! layout. An empty struct has size 1.

use core::fmt;
use std::sync::Arc;

use crate::types::{CharRepr, CharSet, LayoutKind, StructDesc, TypeDesc};

/// The platform a layout is computed for: pointer width and OS family (the OS
/// decides what `CharSet.Auto` means and how 8-byte scalars align on 32-bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// Bytes per pointer: 4 or 8.
    pub pointer_width: u32,
    /// Windows (Auto = Unicode, x86 aligns 8-byte scalars to 8) or not.
    pub windows: bool,
}

impl Target {
    /// x86-64 Linux / macOS.
    pub const UNIX_64: Target = Target { pointer_width: 8, windows: false };
    /// i686 Linux (System V i386: 8-byte scalars align to 4).
    pub const UNIX_32: Target = Target { pointer_width: 4, windows: false };
    /// x64 Windows.
    pub const WINDOWS_64: Target = Target { pointer_width: 8, windows: true };
    /// x86 Windows (8-byte scalars align to 8).
    pub const WINDOWS_32: Target = Target { pointer_width: 4, windows: true };
    pub(crate) const COUNT: usize = 4;

    /// The target this code runs on.
    pub const fn host() -> Target {
        Target { pointer_width: core::mem::size_of::<usize>() as u32, windows: cfg!(windows) }
    }

    /// The host's OS with another pointer width (4 or 8).
    pub const fn with_pointer_width(pointer_width: u32) -> Target {
        Target { pointer_width, windows: cfg!(windows) }
    }

    /// Whether `CharSet.Auto` means UTF-16 here.
    pub const fn auto_is_unicode(self) -> bool {
        self.windows
    }

    /// Alignment of 8-byte scalars (`long`, `double`, CY, DATE) inside structs.
    pub const fn align_of_8_byte_scalar(self) -> u32 {
        if self.pointer_width == 4 && !self.windows {
            4
        } else {
            8
        }
    }

    /// Size of a VARIANT: 24 on 64-bit, 16 on 32-bit.
    pub const fn variant_size(self) -> u32 {
        if self.pointer_width == 8 {
            24
        } else {
            16
        }
    }

    pub(crate) const fn cache_index(self) -> usize {
        (self.pointer_width == 8) as usize * 2 + self.windows as usize
    }
}

impl Default for Target {
    fn default() -> Target {
        Target::host()
    }
}

/// The computed native layout of a type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    size: u32,
    align: u32,
    fields: Vec<FieldLayout>,
}

/// Where one field of a struct lies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldLayout {
    /// The field's name.
    pub name: Arc<str>,
    /// Offset from the start of the enclosing struct.
    pub offset: u32,
    /// Native size of the field.
    pub size: u32,
    /// The field's alignment after Pack.
    pub align: u32,
    /// The nested struct's own layout, for struct fields.
    pub nested: Option<Arc<Layout>>,
}

/// Why no layout exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// `LayoutKind.Auto` cannot be marshaled (`Marshal.SizeOf` throws ArgumentException).
    AutoLayout {
        /// The type.
        type_name: String,
    },
    /// The type has no fixed native size (an LPArray or unresolved name on its own).
    Unsized {
        /// What.
        what: String,
    },
    /// Explicit layout: a reference field whose offset is not pointer-aligned
    /// (the CLR's TypeLoadException).
    MisalignedReference {
        /// The field.
        field: String,
        /// Its offset.
        offset: u32,
    },
    /// The size does not fit in 32 bits.
    TooLarge {
        /// The type.
        type_name: String,
    },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::AutoLayout { type_name } => {
                write!(f, "type {type_name} has LayoutKind.Auto and cannot be marshaled as an unmanaged structure")
            }
            LayoutError::Unsized { what } => write!(f, "{what} has no fixed native size"),
            LayoutError::MisalignedReference { field, offset } => {
                write!(f, "reference field `{field}` has explicit offset {offset} that is not pointer-size aligned")
            }
            LayoutError::TooLarge { type_name } => write!(f, "type {type_name} is too large"),
        }
    }
}

impl std::error::Error for LayoutError {}

impl Layout {
    /// The layout of `ty` on the host.
    ///
    /// ```
    /// use marshal_core::{Layout, StructBuilder, TypeDesc};
    /// // struct { byte a; int b; byte c; } -> 12 bytes, b at 4, c at 8
    /// let s = StructBuilder::sequential("S")
    ///     .field("a", TypeDesc::U8)
    ///     .field("b", TypeDesc::I32)
    ///     .field("c", TypeDesc::U8)
    ///     .build()
    ///     .unwrap();
    /// let l = Layout::of(&s).unwrap();
    /// assert_eq!(l.size(), 12);
    /// assert_eq!(l.offset_of("b"), Some(4));
    /// assert_eq!(l.offset_of("c"), Some(8));
    /// ```
    pub fn of(ty: &TypeDesc) -> Result<Arc<Layout>, LayoutError> {
        Layout::for_target(ty, Target::host())
    }

    /// The layout of `ty` on `target`. Struct layouts are computed once per target
    /// and cached in the [`StructDesc`].
    pub fn for_target(ty: &TypeDesc, target: Target) -> Result<Arc<Layout>, LayoutError> {
        match ty {
            TypeDesc::Struct(s) => struct_layout(s, target),
            other => {
                let (size, align) = native_size_align(other, CharSet::Ansi, target)?;
                Ok(Arc::new(Layout { size, align, fields: Vec::new() }))
            }
        }
    }

    /// `Marshal.SizeOf`.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Alignment of the type when nested or in an array.
    pub fn align(&self) -> u32 {
        self.align
    }

    /// The direct fields, in declaration order.
    pub fn fields(&self) -> &[FieldLayout] {
        &self.fields
    }

    /// `Marshal.OffsetOf` for a direct field, or a nested path `"inner.x"`
    /// (absolute offset from the start of this struct).
    pub fn offset_of(&self, path: &str) -> Option<u32> {
        let mut layout = self;
        let mut base = 0;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            let f = layout.fields.iter().find(|f| &*f.name == part)?;
            base += f.offset;
            if parts.peek().is_some() {
                layout = f.nested.as_deref()?;
            }
        }
        Some(base)
    }

    /// Every field, nested ones included, as (path, absolute offset) in
    /// declaration order, the way `Marshal.OffsetOf` reports nested fields.
    pub fn flat_offsets(&self) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        self.flatten_into("", 0, &mut out);
        out
    }

    fn flatten_into(&self, prefix: &str, base: u32, out: &mut Vec<(String, u32)>) {
        for f in &self.fields {
            let path = if prefix.is_empty() { f.name.to_string() } else { format!("{prefix}.{}", f.name) };
            out.push((path.clone(), base + f.offset));
            if let Some(n) = &f.nested {
                n.flatten_into(&path, base + f.offset, out);
            }
        }
    }
}

/// The alignment the CLR gives a field of natural alignment `align` under
/// `Pack = pack` (0 = default). A `const fn` so that derives can assert a
/// `#[repr(C)]` type's offsets at compile time.
pub const fn clr_field_align(align: usize, pack: usize) -> usize {
    if pack != 0 && pack < align {
        pack
    } else {
        align
    }
}

/// `v` rounded up to a multiple of `align` (`const fn` for compile-time layout checks).
pub const fn clr_round_up(v: usize, align: usize) -> usize {
    v.div_ceil(align) * align
}

fn round_up(v: u64, align: u32) -> u64 {
    let a = align as u64;
    v.div_ceil(a) * a
}

fn char_size(repr: CharRepr, charset: CharSet, target: Target) -> u32 {
    match repr {
        CharRepr::Ansi => 1,
        CharRepr::Utf16 => 2,
        CharRepr::ByCharSet => {
            if charset.is_unicode_on(target) {
                2
            } else {
                1
            }
        }
    }
}

/// Native (size, alignment) of one value of `ty` inside a struct whose CharSet is
/// `charset`, before Pack is applied.
pub(crate) fn native_size_align(ty: &TypeDesc, charset: CharSet, target: Target) -> Result<(u32, u32), LayoutError> {
    let ptr = target.pointer_width;
    let eight = target.align_of_8_byte_scalar();
    Ok(match ty {
        TypeDesc::Prim(p) => {
            let s = p.size(ptr);
            (s, if s == 8 { eight } else { s })
        }
        TypeDesc::Pointer | TypeDesc::String(_) | TypeDesc::Interface(_) | TypeDesc::FnPtr => (ptr, ptr),
        TypeDesc::SafeArray(_) | TypeDesc::LpArray { .. } => (ptr, ptr),
        TypeDesc::Bool(r) => (r.size(), r.size()),
        TypeDesc::Char(r) => {
            let s = char_size(*r, charset, target);
            (s, s)
        }
        TypeDesc::ByValTStr(n) => {
            let c = char_size(CharRepr::ByCharSet, charset, target);
            (n.checked_mul(c).ok_or_else(|| LayoutError::TooLarge { type_name: ty.display_name() })?, c)
        }
        TypeDesc::ByValArray { elem, count } => {
            let (s, a) = native_size_align(elem, charset, target)?;
            let total = s.checked_mul(*count).ok_or_else(|| LayoutError::TooLarge { type_name: ty.display_name() })?;
            (total, a)
        }
        TypeDesc::Variant => (target.variant_size(), eight),
        TypeDesc::Decimal => (16, eight),
        TypeDesc::Currency | TypeDesc::Date => (8, eight),
        TypeDesc::Error => (4, 4),
        TypeDesc::Guid => (16, 4),
        TypeDesc::Struct(s) => {
            let l = struct_layout(s, target)?;
            (l.size, l.align)
        }
        TypeDesc::Named(n) => return Err(LayoutError::Unsized { what: format!("unresolved struct `{n}`") }),
    })
}

fn struct_layout(s: &Arc<StructDesc>, target: Target) -> Result<Arc<Layout>, LayoutError> {
    s.cached_layout(target, || compute_struct_layout(s, target).map(Arc::new))
}

fn compute_struct_layout(s: &StructDesc, target: Target) -> Result<Layout, LayoutError> {
    let too_large = || LayoutError::TooLarge { type_name: s.name().to_string() };
    if s.kind() == LayoutKind::Auto {
        return Err(LayoutError::AutoLayout { type_name: s.name().to_string() });
    }
    let cap = s.pack().cap();
    let mut fields = Vec::with_capacity(s.fields().len());
    let mut end: u64 = 0;
    let mut max_align = 1u32;
    for f in s.fields() {
        let (size, natural) = native_size_align(&f.ty, s.charset(), target)?;
        let align = natural.min(cap).max(1);
        let offset = match f.offset {
            Some(off) => {
                if f.ty.is_reference() && off % target.pointer_width != 0 {
                    return Err(LayoutError::MisalignedReference { field: f.name.to_string(), offset: off });
                }
                off as u64
            }
            None => round_up(end, align),
        };
        let field_end = offset + size as u64;
        end = match s.kind() {
            LayoutKind::Explicit => end.max(field_end),
            _ => field_end,
        };
        max_align = max_align.max(align);
        let nested = match &f.ty {
            TypeDesc::Struct(inner) => Some(struct_layout(inner, target)?),
            _ => None,
        };
        fields.push(FieldLayout {
            name: f.name.clone(),
            offset: u32::try_from(offset).map_err(|_| too_large())?,
            size,
            align,
            nested,
        });
    }
    let size = if s.declared_size() != 0 {
        end.max(s.declared_size() as u64)
    } else if fields.is_empty() {
        1
    } else {
        round_up(end, max_align).max(1)
    };
    Ok(Layout { size: u32::try_from(size).map_err(|_| too_large())?, align: max_align, fields })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{BoolRepr, StringRepr, StructBuilder};

    fn s(b: StructBuilder) -> TypeDesc {
        b.build().unwrap()
    }

    #[test]
    fn declared_size_is_a_minimum_and_is_not_rounded() {
        // vectors: S_Size20 (20), S_P1Size7 (7), S_Size2Small: CoreCLR gives max(2, 5) = 5.
        let base = || StructBuilder::sequential("S").field("a", TypeDesc::I32).field("b", TypeDesc::U8);
        assert_eq!(Layout::of(&s(base().size(20))).unwrap().size(), 20);
        assert_eq!(Layout::of(&s(base().size(2))).unwrap().size(), 5);
        assert_eq!(Layout::of(&s(base())).unwrap().size(), 8);
    }

    #[test]
    fn pointer_width_changes_pointer_fields_and_variant() {
        let t = s(StructBuilder::sequential("S")
            .field("a", TypeDesc::U8)
            .field("p", TypeDesc::String(StringRepr::LPWStr))
            .field("v", TypeDesc::Variant));
        let l64 = Layout::for_target(&t, Target::UNIX_64).unwrap();
        let l32 = Layout::for_target(&t, Target::WINDOWS_32).unwrap();
        assert_eq!((l64.offset_of("p"), l64.offset_of("v"), l64.size()), (Some(8), Some(16), 40));
        assert_eq!((l32.offset_of("p"), l32.offset_of("v"), l32.size()), (Some(4), Some(8), 24));
    }

    #[test]
    fn i386_unix_aligns_doubles_to_four_like_gcc() {
        let t = s(StructBuilder::sequential("S").field("a", TypeDesc::U8).field("d", TypeDesc::F64));
        assert_eq!(Layout::for_target(&t, Target::UNIX_32).unwrap().offset_of("d"), Some(4));
        assert_eq!(Layout::for_target(&t, Target::WINDOWS_32).unwrap().offset_of("d"), Some(8));
    }

    #[test]
    fn misaligned_reference_in_explicit_layout_is_an_error() {
        let t = s(StructBuilder::explicit("E").field_at("s", 1, TypeDesc::String(StringRepr::LPStr)));
        assert!(matches!(Layout::of(&t), Err(LayoutError::MisalignedReference { offset: 1, .. })));
    }

    #[test]
    fn auto_layout_is_refused() {
        let t = s(StructBuilder::new("A", LayoutKind::Auto).field("x", TypeDesc::I32));
        assert!(matches!(Layout::of(&t), Err(LayoutError::AutoLayout { .. })));
    }

    #[test]
    fn bool_forms_have_their_native_sizes() {
        let t = s(StructBuilder::sequential("B")
            .field("w", TypeDesc::Bool(BoolRepr::Win32))
            .field("v", TypeDesc::Bool(BoolRepr::VariantBool))
            .field("u", TypeDesc::Bool(BoolRepr::U1)));
        let l = Layout::of(&t).unwrap();
        assert_eq!(l.flat_offsets(), vec![("w".into(), 0), ("v".into(), 4), ("u".into(), 6)]);
        assert_eq!(l.size(), 8);
    }
}
