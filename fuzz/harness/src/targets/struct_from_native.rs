//! `struct_from_native`: `PtrToStructure` (and back) through a random struct descriptor.
//!
//! The input is a [`StructCase`] (an [`Arbitrary`] value): up to three struct declarations — layout kind, Pack,
//! CharSet, declared size and up to eight fields each, of every field form a `TypeDesc` has (numbers, every
//! bool and char representation, GUID, HRESULT, pointers, ByValArray, ByValTStr, every string form, DECIMAL /
//! CY / DATE, VARIANT, SAFEARRAY, interfaces, LPArray, nested structs by name) — followed by the native image.
//!
//! The image's bytes are the input's, except where the field form is a pointer the engine would dereference
//! (strings, arrays, interfaces, VARIANTs): those bytes are zero (a null pointer / VT_EMPTY), as a native caller
//! that owns no such object would leave them.
//!
//! Invariants, for every descriptor the engine accepts:
//! - descriptor errors and unsupported forms are typed errors;
//! - the plan's size is `Marshal.SizeOf`'s (the layout's);
//! - reading the image gives a value; writing that value gives bytes that read back as the same value and write
//!   again as the same bytes (a fixed point after one round);
//! - for a blittable struct, writing gives the image back byte for byte (outside padding);
//! - `DestroyStructure` after `StructureToPtr` frees everything (allocator balanced).

use arbitrary::{Arbitrary, Unstructured};
use marshal_core::layout::FieldLayout;
use marshal_core::plan::Plan;
use marshal_core::types::{BoolRepr, CharRepr, CharSet, InterfaceKind, LayoutKind, StringRepr};
use marshal_core::{Layout, StructBuilder, Target, TypeDesc, TypeSet, VarType};

use crate::{byte, Guard};

/// One field: a form selector, a parameter, an explicit offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldDecl {
    /// Form selector (see [`FieldDecl::to_type`]).
    pub form: u8,
    /// The form's parameter (representation, count, VARTYPE, nested struct).
    pub param: u8,
    /// Offset in an explicit layout.
    pub offset: u8,
}

/// One struct declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructDecl {
    /// Bit 0: explicit layout (bit 1 with it: Auto, refused by the engine).
    pub kind: u8,
    /// Pack (any value; the engine refuses the invalid ones).
    pub pack: u8,
    /// CharSet selector.
    pub charset: u8,
    /// Declared size (`StructLayout.Size`).
    pub size: u8,
    /// The fields.
    pub fields: Vec<FieldDecl>,
}

/// A fuzz case: declarations (struct 0 is marshaled; it may nest 1 and 2, 1 may nest 2) and the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructCase {
    /// The declarations (one to three).
    pub decls: Vec<StructDecl>,
    /// The native bytes (zero-padded to the native size).
    pub image: Vec<u8>,
}

impl<'a> Arbitrary<'a> for StructCase {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<StructCase> {
        let n = byte(u) % 3 + 1;
        let mut decls = Vec::new();
        for _ in 0..n {
            let (kind, pack, charset, size) = (byte(u), byte(u), byte(u), byte(u));
            let nfields = byte(u) % 9;
            let fields = (0..nfields).map(|_| FieldDecl { form: byte(u), param: byte(u), offset: byte(u) }).collect();
            decls.push(StructDecl { kind, pack, charset, size, fields });
        }
        let image = u.bytes(u.len())?.to_vec();
        Ok(StructCase { decls, image })
    }
}

impl StructCase {
    /// The bytes [`Arbitrary::arbitrary`] reads this case from.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![(self.decls.len().max(1) - 1) as u8];
        for d in &self.decls {
            out.extend_from_slice(&[d.kind, d.pack, d.charset, d.size, d.fields.len() as u8]);
            for f in &d.fields {
                out.extend_from_slice(&[f.form, f.param, f.offset]);
            }
        }
        out.extend_from_slice(&self.image);
        out
    }
}

const PRIMS: [TypeDesc; 12] = [
    TypeDesc::I8,
    TypeDesc::U8,
    TypeDesc::I16,
    TypeDesc::U16,
    TypeDesc::I32,
    TypeDesc::U32,
    TypeDesc::I64,
    TypeDesc::U64,
    TypeDesc::F32,
    TypeDesc::F64,
    TypeDesc::ISIZE,
    TypeDesc::USIZE,
];
const BOOLS: [BoolRepr; 4] = [BoolRepr::Win32, BoolRepr::VariantBool, BoolRepr::U1, BoolRepr::I1];
const CHARS: [CharRepr; 3] = [CharRepr::ByCharSet, CharRepr::Ansi, CharRepr::Utf16];
const STRINGS: [StringRepr; 8] = [
    StringRepr::ByCharSet,
    StringRepr::LPStr,
    StringRepr::LPWStr,
    StringRepr::LPUTF8Str,
    StringRepr::LPTStr,
    StringRepr::BStr,
    StringRepr::AnsiBStr,
    StringRepr::TBStr,
];

/// The names of the declared structs.
pub const NAMES: [&str; 3] = ["S0", "S1", "S2"];

impl FieldDecl {
    /// The field's type in struct number `owner` (which may only nest higher-numbered structs).
    pub fn to_type(self, owner: usize, structs: usize) -> TypeDesc {
        let p = self.param;
        let leaf = |sel: u8| -> TypeDesc {
            match sel % 16 {
                s @ 0..=11 => PRIMS[s as usize].clone(),
                12 => TypeDesc::Bool(BOOLS[(sel as usize / 16) % 4]),
                13 => TypeDesc::Char(CHARS[(sel as usize / 16) % 3]),
                14 => TypeDesc::Guid,
                _ => TypeDesc::String(STRINGS[(sel as usize / 16) % 8]),
            }
        };
        let nested = || -> Option<TypeDesc> {
            let later = structs.checked_sub(owner + 1).filter(|&n| n > 0)?;
            Some(TypeDesc::named(NAMES[owner + 1 + p as usize % later]))
        };
        match self.form % 24 {
            f @ 0..=11 => PRIMS[f as usize].clone(),
            12 => TypeDesc::Bool(BOOLS[p as usize % 4]),
            13 => TypeDesc::Char(CHARS[p as usize % 3]),
            14 => TypeDesc::Guid,
            15 => TypeDesc::Error,
            16 => TypeDesc::Pointer,
            17 => TypeDesc::FnPtr,
            18 => TypeDesc::by_val_array(leaf(p & 0x0F | (p & 0x30)), (p >> 6) as u32 * 3 + (p & 1) as u32),
            19 => TypeDesc::ByValTStr((p % 20) as u32),
            20 => TypeDesc::String(STRINGS[p as usize % 8]),
            21 => [TypeDesc::Decimal, TypeDesc::Currency, TypeDesc::Date][p as usize % 3].clone(),
            22 => match p % 4 {
                0 => TypeDesc::Variant,
                1 => TypeDesc::SafeArray(VarType((p >> 2) as u16)),
                2 => TypeDesc::Interface(InterfaceKind::IUnknown),
                _ => TypeDesc::Interface(InterfaceKind::IDispatch),
            },
            _ => match (p % 3, nested()) {
                (0, Some(t)) => t,
                (1, Some(t)) => TypeDesc::by_val_array(t, (p >> 4) as u32 % 4),
                _ => TypeDesc::lp_array(leaf(p), (p >> 4) as u32, None),
            },
        }
    }
}

/// Builds the descriptor of struct 0, or the engine's refusal.
pub fn descriptor(case: &StructCase) -> Option<TypeDesc> {
    let mut set = TypeSet::new();
    let n = case.decls.len().min(3);
    for (i, d) in case.decls.iter().take(3).enumerate() {
        let kind = match d.kind & 3 {
            1 => LayoutKind::Explicit,
            3 => LayoutKind::Auto,
            _ => LayoutKind::Sequential,
        };
        let charset = [CharSet::Ansi, CharSet::Unicode, CharSet::Auto][d.charset as usize % 3];
        let mut b = StructBuilder::new(NAMES[i], kind).pack(d.pack as u32).charset(charset).size(d.size as u32);
        for (j, f) in d.fields.iter().enumerate() {
            let name = format!("f{j}");
            let ty = f.to_type(i, n);
            b = if kind == LayoutKind::Explicit { b.field_at(&name, f.offset as u32, ty) } else { b.field(&name, ty) };
        }
        // A refused declaration (bad Pack, duplicate names…) is a typed error.
        if set.declare(b).is_err() {
            return None;
        }
    }
    set.resolve("S0").ok()
}

/// Whether the engine would dereference a field of this form read from native memory.
fn holds_pointers(ty: &TypeDesc) -> bool {
    match ty {
        TypeDesc::String(_)
        | TypeDesc::LpArray { .. }
        | TypeDesc::SafeArray(_)
        | TypeDesc::Variant
        | TypeDesc::Interface(_)
        | TypeDesc::FnPtr => true,
        TypeDesc::ByValArray { elem, .. } => holds_pointers(elem),
        _ => false,
    }
}

/// Zeroes the bytes of every pointer-holding field (recursively through nested structs and their arrays).
fn zero_pointers(ty: &TypeDesc, layout: &Layout, image: &mut [u8], base: usize) {
    let Some(s) = ty.as_struct() else { return };
    for (f, fl) in s.fields().iter().zip(layout.fields()) {
        let at = base + fl.offset as usize;
        zero_field(&f.ty, fl, image, at);
    }
}

fn zero_field(ty: &TypeDesc, fl: &FieldLayout, image: &mut [u8], at: usize) {
    let end = (at + fl.size as usize).min(image.len());
    if holds_pointers(ty) {
        image[at.min(end)..end].fill(0);
        return;
    }
    match (ty, &fl.nested) {
        (TypeDesc::Struct(_), Some(nested)) => zero_pointers(ty, nested, image, at),
        (TypeDesc::ByValArray { elem, count }, _) if elem.as_struct().is_some() && *count > 0 => {
            if let Ok(inner) = Layout::of(elem) {
                let stride = fl.size as usize / *count as usize;
                for k in 0..*count as usize {
                    zero_pointers(elem, &inner, image, at + k * stride);
                }
            }
        }
        _ => {}
    }
}

/// The byte ranges the leaf fields occupy (through nested structs and their arrays, so that padding inside a
/// nested struct is not counted), when no two overlap (unions are settled by the CLR's managed image instead).
fn field_ranges(ty: &TypeDesc, layout: &Layout) -> Option<Vec<(usize, usize)>> {
    let mut r = Vec::new();
    leaf_ranges(ty, layout, 0, &mut r);
    r.sort();
    if r.windows(2).any(|w| w[0].1 > w[1].0) {
        return None;
    }
    Some(r)
}

fn leaf_ranges(ty: &TypeDesc, layout: &Layout, base: usize, out: &mut Vec<(usize, usize)>) {
    let Some(s) = ty.as_struct() else { return };
    for (f, fl) in s.fields().iter().zip(layout.fields()) {
        let at = base + fl.offset as usize;
        match (&f.ty, &fl.nested) {
            (TypeDesc::Struct(_), Some(nested)) => leaf_ranges(&f.ty, nested, at, out),
            (TypeDesc::ByValArray { elem, count }, _) if elem.as_struct().is_some() => {
                if let (Ok(inner), true) = (Layout::of(elem), *count > 0) {
                    let stride = fl.size as usize / *count as usize;
                    for k in 0..*count as usize {
                        leaf_ranges(elem, &inner, at + k * stride, out);
                    }
                }
            }
            _ => out.push((at, at + fl.size as usize)),
        }
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(case) = StructCase::arbitrary_take_rest(Unstructured::new(data)) else { return };
    let guard = Guard::start();
    run_case(&case);
    guard.finish();
}

fn run_case(case: &StructCase) {
    let Some(ty) = descriptor(case) else { return };
    let Ok(layout) = Layout::for_target(&ty, Target::host()) else { return };
    let plan = match Plan::for_type(&ty, Target::host()) {
        Ok(p) => p,
        Err(_) => return,
    };
    assert_eq!(plan.size(), layout.size() as usize, "plan and layout disagree on the size");
    let size = plan.size();
    if size > 1 << 16 {
        return;
    }
    let mut image = case.image.clone();
    image.resize(size, 0);
    zero_pointers(&ty, &layout, &mut image, 0);

    // SAFETY: the image holds no pointer the engine would follow (those bytes are zero: null / VT_EMPTY).
    let Ok(value) = (unsafe { plan.from_native(&image) }) else { return };
    let mut first = vec![0u8; size];
    if plan.to_native(&value, &mut first).is_err() {
        return;
    }
    let ranges = field_ranges(&ty, &layout);
    // SAFETY: `first` was written by to_native of this plan.
    let again = match unsafe { plan.from_native(&first) } {
        Ok(v) => v,
        // Overlapping fields: a later field's bytes land on an earlier one (a DATE whose bytes are now an
        // integer's), which may read back as a value the CLR refuses too — with a typed error.
        Err(_) if ranges.is_none() => {
            // SAFETY: written by to_native of this plan.
            unsafe { plan.destroy(&mut first) };
            return;
        }
        Err(e) => panic!("reading what StructureToPtr wrote failed: {e:?}"),
    };
    let mut second = vec![0u8; size];
    // Writing back what was read may be refused as the CLR refuses it (an ANSI ByValTStr whose U+FFFD
    // replacements need more bytes than the buffer), but only with a typed error.
    if plan.to_native(&again, &mut second).is_err() {
        // SAFETY: written by to_native of this plan.
        unsafe { plan.destroy(&mut first) };
        return;
    }
    // In a union the CLR settles the fields through one managed image (a 2-byte char over a byte), so
    // values may keep changing round after round. Elsewhere the second round is the fixed point (the first
    // may still move: an ANSI ByValTStr that fills its buffer exactly loses its last byte to the NUL, cutting
    // a multibyte character that then reads back as U+FFFD).
    if ranges.is_some() {
        // SAFETY: `second` was written by to_native of this plan.
        let third_value = unsafe { plan.from_native(&second) }.expect("reading the second round failed");
        let mut third = vec![0u8; size];
        plan.to_native(&third_value, &mut third).expect("writing the second round's value again failed");
        assert_eq!(second, third, "StructureToPtr ∘ PtrToStructure does not settle");
        // SAFETY: written by to_native of this plan.
        unsafe { plan.destroy(&mut third) };
    }
    if plan.is_blittable() {
        if let Some(ranges) = ranges {
            for (a, b) in ranges {
                assert_eq!(first[a..b], image[a..b], "a blittable field changed between {a} and {b}");
            }
        }
    }
    // SAFETY: both buffers hold what to_native wrote (owned pointers of the ABI's allocators).
    unsafe {
        plan.destroy(&mut first);
        plan.destroy(&mut second);
    }
}
