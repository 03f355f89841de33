//! Plans: how a struct's value becomes native bytes and back, compiled once per
//! (type, target) from its [`TypeDesc`] and [`Layout`].
//!
//! A [`Plan`] is a flat list of field operations with their native offsets
//! resolved, so executing it never consults the descriptor or the layout again:
//! one `match` per field and no heap allocation beyond the native strings and
//! arrays the ABI demands. The stages follow the CLR's marshalers:
//!
//! - [`Plan::to_native`] — `Marshal.StructureToPtr`: convert space and contents
//!   (In). The whole native size is written; padding is zero.
//! - [`Plan::from_native`] — `Marshal.PtrToStructure`: convert back (Out).
//! - [`Plan::destroy`] — `Marshal.DestroyStructure`: free what to-native allocated.
//!
//! Runs of blittable fields need no conversion: a fully blittable struct's plan
//! reports [`Plan::is_blittable`], and callers holding its bytes (derived Rust
//! types, pinned buffers) pass them with one copy or none.

pub mod leaf;

use core::fmt;
use std::sync::Arc;

use crate::guid::Guid;
use crate::layout::{Layout, LayoutError, Target};
use crate::types::{BoolRepr, CharSet, Prim, StructDesc, TypeDesc};
use crate::value::Value;

/// Why a plan cannot be compiled or executed.
#[derive(Clone, Debug, PartialEq)]
pub enum PlanError {
    /// The type has no layout.
    Layout(LayoutError),
    /// A field form the engine cannot marshal in a struct (yet, or ever).
    Unsupported {
        /// Field path.
        path: String,
        /// The form.
        what: String,
    },
    /// The value does not match the descriptor.
    Mismatch {
        /// Field path.
        path: String,
        /// What was expected.
        expected: String,
    },
    /// A conversion refused the value (the CLR's ArgumentException).
    Invalid {
        /// Field path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The buffer is smaller than the native size.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        given: usize,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Layout(e) => write!(f, "{e}"),
            PlanError::Unsupported { path, what } => write!(f, "`{path}`: {what} cannot be marshaled in a struct"),
            PlanError::Mismatch { path, expected } => write!(f, "`{path}`: expected {expected}"),
            PlanError::Invalid { path, reason } => write!(f, "`{path}`: {reason}"),
            PlanError::BufferTooSmall { needed, given } => write!(f, "buffer of {given} bytes, {needed} needed"),
        }
    }
}

impl std::error::Error for PlanError {}

impl PlanError {
    /// Prefixes the error's field path with the enclosing field (`name`) or array
    /// index (`[i]`). Paths are built only while an error propagates, so the
    /// success path never allocates for them.
    fn within(mut self, segment: &str) -> PlanError {
        if let PlanError::Unsupported { path, .. }
        | PlanError::Mismatch { path, .. }
        | PlanError::Invalid { path, .. } = &mut self
        {
            let sep = if path.is_empty() || path.starts_with('[') { "" } else { "." };
            *path = format!("{segment}{sep}{path}");
        }
        self
    }
}

impl From<LayoutError> for PlanError {
    fn from(e: LayoutError) -> PlanError {
        PlanError::Layout(e)
    }
}

/// What one field op does.
#[derive(Clone, Debug)]
enum Kind {
    Prim(Prim),
    Bool(BoolRepr),
    Char16,
    CharAnsi,
    Guid,
    Error,
    Pointer,
    Array {
        elem: Box<Kind>,
        count: u32,
        stride: u32,
    },
    /// A ByValArray of ANSI chars: converted as one string, as CoreCLR does.
    AnsiChars {
        count: u32,
    },
    Struct(Arc<Plan>),
}

#[derive(Clone, Debug)]
struct FieldOp {
    name: Arc<str>,
    offset: u32,
    kind: Kind,
}

/// A compiled struct plan (see the module docs).
///
/// ```
/// use marshal_core::plan::Plan;
/// use marshal_core::value::Value;
/// use marshal_core::{StructBuilder, Target, TypeDesc};
/// let ty = StructBuilder::sequential("S")
///     .field("flag", TypeDesc::bool_win32())
///     .field("n", TypeDesc::I16)
///     .build()
///     .unwrap();
/// let plan = Plan::for_type(&ty, Target::host()).unwrap();
/// let v = Value::Struct(vec![("flag".into(), Value::Bool(true)), ("n".into(), Value::I16(-2))]);
/// let mut native = vec![0u8; plan.size()];
/// plan.to_native(&v, &mut native).unwrap();
/// assert_eq!(native, [1, 0, 0, 0, 0xfe, 0xff, 0, 0]);
/// // SAFETY: the bytes were produced by to_native of this plan.
/// assert_eq!(unsafe { plan.from_native(&native) }.unwrap(), v);
/// ```
#[derive(Debug)]
pub struct Plan {
    name: Arc<str>,
    size: u32,
    align: u32,
    target: Target,
    ops: Vec<FieldOp>,
    blittable: bool,
    owns_native_memory: bool,
    /// Explicit layout with fields sharing bytes (a union).
    overlapping: bool,
}

impl Plan {
    /// Compiles (or fetches) the plan of a struct type for `target`.
    pub fn for_type(ty: &TypeDesc, target: Target) -> Result<Arc<Plan>, PlanError> {
        match ty {
            TypeDesc::Struct(s) => Plan::for_struct(s, target),
            other => Err(PlanError::Unsupported {
                path: String::new(),
                what: format!("{} (not a struct)", other.display_name()),
            }),
        }
    }

    /// Compiles (or fetches from the struct's cache) the plan of `s` for `target`.
    pub fn for_struct(s: &Arc<StructDesc>, target: Target) -> Result<Arc<Plan>, PlanError> {
        s.cached_plan(target, || compile(s, target).map(Arc::new))
    }

    /// Native size in bytes (`Marshal.SizeOf`).
    pub fn size(&self) -> usize {
        self.size as usize
    }

    /// Native alignment.
    pub fn align(&self) -> usize {
        self.align as usize
    }

    /// The field names in declaration order. A [`Value::Struct`] built with these
    /// `Arc`s is matched by pointer, not by string comparison.
    pub fn field_names(&self) -> impl Iterator<Item = &Arc<str>> + '_ {
        self.ops.iter().map(|op| &op.name)
    }

    /// `true` when managed and native forms are identical: no conversion at all.
    pub fn is_blittable(&self) -> bool {
        self.blittable
    }

    /// `true` when to-native allocates native memory that [`Plan::destroy`] must free.
    pub fn owns_native_memory(&self) -> bool {
        self.owns_native_memory
    }

    /// `StructureToPtr`: writes `value` into `out[..size]`. On error nothing stays
    /// allocated and `out` holds no owned pointers.
    pub fn to_native(&self, value: &Value, out: &mut [u8]) -> Result<(), PlanError> {
        if out.len() < self.size() {
            return Err(PlanError::BufferTooSmall { needed: self.size(), given: out.len() });
        }
        out[..self.size()].fill(0);
        let r = self.write(value, out);
        if r.is_err() && self.owns_native_memory {
            // SAFETY: `out` was zero-filled and only this plan wrote into it, so every
            // pointer slot is null or owned by a completed field conversion.
            unsafe { self.destroy(out) };
        }
        r
    }

    /// `PtrToStructure`: reads a value from native bytes.
    ///
    /// # Safety
    ///
    /// `bytes` must hold a native struct of this type: pointer fields (strings,
    /// arrays, interfaces) must be null or point to valid native data of their form.
    pub unsafe fn from_native(&self, bytes: &[u8]) -> Result<Value, PlanError> {
        if bytes.len() < self.size() {
            return Err(PlanError::BufferTooSmall { needed: self.size(), given: bytes.len() });
        }
        self.read(bytes)
    }

    /// `DestroyStructure`: frees what [`Plan::to_native`] allocated and nulls the
    /// pointers, so a second call does nothing.
    ///
    /// # Safety
    ///
    /// `bytes` must hold a native struct of this type whose owned pointer fields
    /// are null or were allocated with the allocators the ABI names for them.
    pub unsafe fn destroy(&self, bytes: &mut [u8]) {
        // No field kind owns memory yet; strings, BSTR, VARIANT and SAFEARRAY
        // fields free here as their conversions are added.
        let _ = bytes;
    }

    fn write(&self, value: &Value, out: &mut [u8]) -> Result<(), PlanError> {
        let Value::Struct(fields) = value else {
            return Err(mismatch(&format!("struct {}", self.name)));
        };
        for (i, op) in self.ops.iter().enumerate() {
            // Fields are expected in declaration order; fall back to a lookup by name.
            let v = match fields.get(i) {
                Some((n, v)) if Arc::ptr_eq(n, &op.name) || *n == op.name => v,
                _ => fields
                    .iter()
                    .find(|(n, _)| *n == op.name)
                    .map(|(_, v)| v)
                    .ok_or_else(|| mismatch("a value").within(&op.name))?,
            };
            let at = &mut out[op.offset as usize..];
            // Numbers are most fields: convert them here, without the general dispatch.
            let done = match op.kind {
                Kind::Prim(p) => write_prim(p, v, self.target.pointer_width == 8, at).is_some(),
                _ => false,
            };
            if !done {
                write_kind(&op.kind, v, at, self.target).map_err(|e| e.within(&op.name))?;
            }
        }
        Ok(())
    }

    fn read(&self, bytes: &[u8]) -> Result<Value, PlanError> {
        let mut fields = Vec::with_capacity(self.ops.len());
        for op in &self.ops {
            let v = read_kind(&op.kind, &bytes[op.offset as usize..], self.target).map_err(|e| e.within(&op.name))?;
            fields.push((op.name.clone(), v));
        }
        if self.overlapping {
            self.settle_union(&mut fields);
        }
        Ok(Value::Struct(fields))
    }

    /// In a union the managed fields share memory too: the CLR converts the fields
    /// in declaration order into one managed object, so a later field overwrites
    /// the managed bytes of an earlier one (a 1-byte managed `bool` over an `int`
    /// reads back as the int's low byte). Replays that on a managed image.
    fn settle_union(&self, fields: &mut [(Arc<str>, Value)]) {
        let mut image = vec![0u8; self.size() + 16];
        for (op, (_, v)) in self.ops.iter().zip(fields.iter()) {
            let at = &mut image[op.offset as usize..];
            match (&op.kind, v) {
                (Kind::Bool(_), Value::Bool(b)) => at[0] = *b as u8,
                (Kind::Char16 | Kind::CharAnsi, Value::Char(c)) => put(at, c.to_le_bytes()),
                (Kind::Prim(p), v) => {
                    let _ = write_prim(*p, v, true, at);
                }
                _ => {}
            }
        }
        for (op, (_, v)) in self.ops.iter().zip(fields.iter_mut()) {
            let at = &image[op.offset as usize..];
            match (&op.kind, &*v) {
                (Kind::Bool(_), Value::Bool(_)) => *v = Value::Bool(at[0] != 0),
                (Kind::Char16 | Kind::CharAnsi, Value::Char(_)) => *v = Value::Char(u16::from_le_bytes(get(at))),
                (Kind::Prim(p), _) => {
                    if let Ok(x) = read_kind(&Kind::Prim(*p), at, Target::host()) {
                        *v = x;
                    }
                }
                _ => {}
            }
        }
    }
}

fn compile(s: &Arc<StructDesc>, target: Target) -> Result<Plan, PlanError> {
    let ty = TypeDesc::Struct(s.clone());
    let layout = Layout::for_target(&ty, target)?;
    let mut ops = Vec::with_capacity(s.fields().len());
    let mut owns = false;
    for (f, fl) in s.fields().iter().zip(layout.fields()) {
        let kind = kind_of(&f.ty, s.charset(), target, &f.name)?;
        owns |= kind_owns(&kind);
        ops.push(FieldOp { name: f.name.clone(), offset: fl.offset, kind });
    }
    let mut overlapping = false;
    for (i, a) in layout.fields().iter().enumerate() {
        for b in &layout.fields()[i + 1..] {
            overlapping |= a.offset < b.offset + b.size && b.offset < a.offset + a.size;
        }
    }
    Ok(Plan {
        overlapping,
        name: Arc::from(s.name()),
        size: layout.size(),
        align: layout.align(),
        target,
        ops,
        blittable: crate::blittable::classify_for(&ty, target).is_blittable(),
        owns_native_memory: owns,
    })
}

fn kind_owns(k: &Kind) -> bool {
    match k {
        Kind::Array { elem, .. } => kind_owns(elem),
        Kind::Struct(p) => p.owns_native_memory,
        _ => false,
    }
}

fn kind_of(ty: &TypeDesc, charset: CharSet, target: Target, path: &str) -> Result<Kind, PlanError> {
    Ok(match ty {
        TypeDesc::Prim(p) => Kind::Prim(*p),
        TypeDesc::Bool(r) => Kind::Bool(*r),
        TypeDesc::Char(r) => {
            if leaf::char_is_utf16(*r, charset, target) {
                Kind::Char16
            } else {
                Kind::CharAnsi
            }
        }
        TypeDesc::Guid => Kind::Guid,
        TypeDesc::Error => Kind::Error,
        TypeDesc::Pointer | TypeDesc::FnPtr => Kind::Pointer,
        TypeDesc::ByValArray { elem, count } if matches!(**elem, TypeDesc::Char(r) if !leaf::char_is_utf16(r, charset, target)) => {
            Kind::AnsiChars { count: *count }
        }
        TypeDesc::ByValArray { elem, count } => {
            let stride = crate::layout::native_size_align(elem, charset, target)?.0;
            Kind::Array { elem: Box::new(kind_of(elem, charset, target, path)?), count: *count, stride }
        }
        TypeDesc::Struct(inner) => Kind::Struct(Plan::for_struct(inner, target)?),
        other => return Err(PlanError::Unsupported { path: path.to_string(), what: other.display_name() }),
    })
}

fn mismatch(expected: &str) -> PlanError {
    PlanError::Mismatch { path: String::new(), expected: expected.to_string() }
}

fn invalid(reason: String) -> PlanError {
    PlanError::Invalid { path: String::new(), reason }
}

fn put<const N: usize>(out: &mut [u8], b: [u8; N]) {
    out[..N].copy_from_slice(&b);
}

fn get<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

fn write_kind(kind: &Kind, v: &Value, out: &mut [u8], target: Target) -> Result<(), PlanError> {
    let ptr8 = target.pointer_width == 8;
    match (kind, v) {
        (Kind::Prim(p), v) => write_prim(*p, v, ptr8, out).ok_or_else(|| mismatch(p.clr_name())),
        (Kind::Bool(r), Value::Bool(b)) => {
            leaf::bool_to_native(*b, *r, out);
            Ok(())
        }
        (Kind::Char16, Value::Char(c)) => {
            put(out, c.to_le_bytes());
            Ok(())
        }
        (Kind::CharAnsi, Value::Char(c)) => {
            out[0] = leaf::ansi_char_to_native(*c);
            Ok(())
        }
        (Kind::Guid, Value::Guid(g)) => {
            put(out, g.to_bytes());
            Ok(())
        }
        (Kind::Error, Value::Error(e)) => {
            put(out, e.to_le_bytes());
            Ok(())
        }
        (Kind::Pointer, Value::Pointer(p)) => {
            if ptr8 {
                put(out, p.to_le_bytes());
            } else {
                put(out, (*p as u32).to_le_bytes());
            }
            Ok(())
        }
        (Kind::Pointer, Value::Null) => Ok(()),
        // CoreCLR zero-fills a null ByValArray (the buffer is already zero).
        (Kind::Array { .. }, Value::Null) => Ok(()),
        (Kind::Array { elem, count, stride }, Value::Array(items)) => {
            if items.len() < *count as usize {
                return Err(invalid(format!("array of {} elements is shorter than SizeConst = {count}", items.len())));
            }
            for (i, item) in items.iter().take(*count as usize).enumerate() {
                write_kind(elem, item, &mut out[i * *stride as usize..], target)
                    .map_err(|e| e.within(&format!("[{i}]")))?;
            }
            Ok(())
        }
        (Kind::AnsiChars { .. }, Value::Null) => Ok(()),
        (Kind::AnsiChars { count }, Value::Array(items)) => {
            let units: Option<Vec<u16>> =
                items.iter().map(|c| if let Value::Char(c) = c { Some(*c) } else { None }).collect();
            let units = units.ok_or_else(|| mismatch("chars"))?;
            if units.len() < *count as usize {
                return Err(invalid(format!("array of {} chars is shorter than SizeConst = {count}", units.len())));
            }
            let written = leaf::ansi_chars_to_native(&units[..*count as usize], &mut out[..*count as usize])
                .ok_or_else(|| {
                    invalid(format!("the ANSI form of the chars is longer than SizeConst = {count} bytes"))
                })?;
            out[written..*count as usize].fill(0);
            Ok(())
        }
        (Kind::Struct(p), v) => p.write(v, out),
        (k, _) => Err(mismatch(kind_name(k))),
    }
}

#[inline(always)]
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

fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::Prim(_) => "a number",
        Kind::Bool(_) => "a bool",
        Kind::Char16 | Kind::CharAnsi => "a char",
        Kind::Guid => "a GUID",
        Kind::Error => "an HRESULT",
        Kind::Pointer => "a pointer",
        Kind::Array { .. } | Kind::AnsiChars { .. } => "an array",
        Kind::Struct(_) => "a struct",
    }
}

fn read_kind(kind: &Kind, b: &[u8], target: Target) -> Result<Value, PlanError> {
    let ptr8 = target.pointer_width == 8;
    Ok(match kind {
        Kind::Prim(p) => match p {
            Prim::I8 => Value::I8(b[0] as i8),
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
        Kind::Bool(r) => Value::Bool(leaf::bool_from_native(*r, b)),
        Kind::Char16 => Value::Char(u16::from_le_bytes(get(b))),
        Kind::CharAnsi => Value::Char(leaf::ansi_char_from_native(b[0])),
        Kind::Guid => Value::Guid(Guid::from_bytes(get(b))),
        Kind::Error => Value::Error(i32::from_le_bytes(get(b))),
        Kind::Pointer => {
            let p = if ptr8 { u64::from_le_bytes(get(b)) } else { u32::from_le_bytes(get(b)) as u64 };
            if p == 0 {
                Value::Null
            } else {
                Value::Pointer(p)
            }
        }
        Kind::Array { elem, count, stride } => {
            let mut items = Vec::with_capacity(*count as usize);
            for i in 0..*count as usize {
                items.push(
                    read_kind(elem, &b[i * *stride as usize..], target).map_err(|e| e.within(&format!("[{i}]")))?,
                );
            }
            Value::Array(items)
        }
        Kind::AnsiChars { count } => {
            Value::Array(leaf::ansi_chars_from_native(&b[..*count as usize]).into_iter().map(Value::Char).collect())
        }
        Kind::Struct(p) => p.read(b)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{CharRepr, StructBuilder};

    fn s(fields: Vec<(&str, Value)>) -> Value {
        Value::Struct(fields.into_iter().map(|(n, v)| (Arc::from(n), v)).collect())
    }

    #[test]
    fn bool_and_char_forms_match_the_coreclr_vectors() {
        // mono_layout S_BoolVariantBool#0: a2 00 ffff a4 00; S_BoolDefault#0: a2000000 01000000 a4000000.
        let vb = StructBuilder::sequential("S")
            .field("a", TypeDesc::U8)
            .field("b", TypeDesc::Bool(BoolRepr::VariantBool))
            .field("c", TypeDesc::U8)
            .build()
            .unwrap();
        let plan = Plan::for_type(&vb, Target::UNIX_64).unwrap();
        let mut out = vec![0xCC; plan.size()];
        plan.to_native(&s(vec![("a", Value::U8(0xa2)), ("b", Value::Bool(true)), ("c", Value::U8(0xa4))]), &mut out)
            .unwrap();
        assert_eq!(out, [0xa2, 0, 0xff, 0xff, 0xa4, 0]);
        // S_CharAnsi#0 (CoreCLR expected): 中 A é -> e4 41 c3.
        let ansi = StructBuilder::sequential("C")
            .field("a", TypeDesc::U8)
            .field("c1", TypeDesc::Char(CharRepr::ByCharSet))
            .field("c2", TypeDesc::Char(CharRepr::ByCharSet))
            .field("c3", TypeDesc::Char(CharRepr::ByCharSet))
            .build()
            .unwrap();
        let plan = Plan::for_type(&ansi, Target::UNIX_64).unwrap();
        let mut out = vec![0; 4];
        let v = s(vec![
            ("a", Value::U8(0xa2)),
            ("c1", Value::Char(20013)),
            ("c2", Value::Char(65)),
            ("c3", Value::Char(233)),
        ]);
        plan.to_native(&v, &mut out).unwrap();
        assert_eq!(out, [0xa2, 0xe4, 0x41, 0xc3]);
        // SAFETY: bytes from to_native of the same plan.
        let back = unsafe { plan.from_native(&out) }.unwrap();
        assert_eq!(back.field("c1"), Some(&Value::Char(0xFFFD)));
        assert_eq!(back.field("c2"), Some(&Value::Char(65)));
    }

    #[test]
    fn short_arrays_are_refused_and_null_arrays_zero_filled() {
        let t = StructBuilder::sequential("A")
            .pack(1)
            .field("a", TypeDesc::I32)
            .field("b", TypeDesc::by_val_array(TypeDesc::U8, 5))
            .field("c", TypeDesc::I16)
            .build()
            .unwrap();
        let plan = Plan::for_type(&t, Target::UNIX_64).unwrap();
        let mut out = vec![0xCC; plan.size()];
        let short =
            s(vec![("a", Value::I32(1)), ("b", Value::Array(vec![Value::U8(1), Value::U8(2)])), ("c", Value::I16(2))]);
        assert!(matches!(plan.to_native(&short, &mut out), Err(PlanError::Invalid { .. })));
        // mono_layout S_ArrByteP1#3 (CoreCLR): 01000000 0000000000 0200
        let null = s(vec![("a", Value::I32(1)), ("b", Value::Null), ("c", Value::I16(2))]);
        plan.to_native(&null, &mut out).unwrap();
        assert_eq!(out, [1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
    }
}
