//! Plans: how a value becomes native bytes and back, compiled once per
//! (type, target) from its [`TypeDesc`] and [`Layout`].
//!
//! A [`Plan`] (a struct) is a flat list of field operations with their native
//! offsets resolved, so executing it never consults the descriptor or the
//! layout again: one `match` per field and no heap allocation beyond the native
//! strings, arrays and VARIANT payloads the ABI demands. An [`ElementPlan`] is
//! the same for one value of any type (a parameter, an array element). The
//! stages follow the CLR's marshalers:
//!
//! - [`Plan::to_native`] — `Marshal.StructureToPtr`: convert space and contents
//!   (In). The whole native size is written; padding is zero.
//! - [`Plan::from_native`] — `Marshal.PtrToStructure`: convert back (Out). The
//!   native struct keeps what it owns: strings are copied, interfaces `AddRef`ed,
//!   VARIANTs and SAFEARRAYs read into new values.
//! - [`Plan::destroy`] — `Marshal.DestroyStructure`: free what the native struct
//!   owns (strings with CoTaskMemFree / SysFreeString, VARIANTs with
//!   VariantClear, SAFEARRAYs with SafeArrayDestroy, interfaces with Release) and
//!   null those fields, so a second call does nothing.
//!
//! Every field form converts through one function shared by this runtime path
//! (over [`Value`]), the code `#[derive(Marshal)]` generates and the P/Invoke
//! front end: [`leaf`] for scalars, [`crate::strings`] for strings, [`object`]
//! for VARIANTs, [`crate::safearray`] for SAFEARRAYs.
//!
//! | field form | `Value` | native | destroy |
//! |---|---|---|---|
//! | numbers, `Pointer`, `FnPtr`, `Guid`, `Error` | the number | itself | — |
//! | `Bool(repr)` | `Bool` | 4 / 2 / 1 bytes, 1 / -1 / 1 | — |
//! | `Char(repr)` | `Char` | UTF-16 unit, or first UTF-8 byte | — |
//! | `String(repr)` | `Str` / `Null` | pointer: LPStr, LPWStr, LPUTF8Str, BSTR, ANSI BSTR | freed |
//! | `ByValTStr(n)` | `Str` / `Null` | n chars inline, truncated + NUL | — |
//! | `ByValArray` | `Array` / `Null` | elements inline (ANSI chars as one string) | per element |
//! | `Variant` | any (`object`) | 24-byte VARIANT | VariantClear |
//! | `SafeArray(vt)` | `Array` / `Null` | `SAFEARRAY*` | SafeArrayDestroy |
//! | `Decimal` / `Currency` | `Decimal` | DECIMAL / CY | — |
//! | `Date` | `DateTime` | OLE DATE | — |
//! | `Interface(kind)` | `Interface` / `Null` | `IUnknown*` (QueryInterface'd) | Release |
//! | `Struct` | `Struct` | nested layout | per field |
//!
//! Runs of blittable fields need no conversion: a fully blittable struct's plan
//! reports [`Plan::is_blittable`], and callers holding its bytes (derived Rust
//! types, pinned buffers) pass them with one copy or none. The `Value` tree has
//! no bytes to copy in runs (each field is its own node); derived types do, and
//! `#[derive(Marshal)]` copies a blittable `#[repr(C)]` struct in one piece.

pub(crate) mod exec;
pub mod leaf;
pub mod object;
mod safearray;

use core::fmt;
use std::sync::Arc;

use crate::hresult::Hresult;
use crate::layout::{Layout, LayoutError, Target};
use crate::safearray::SafeArrayError;
use crate::strings::{StringError, StringOptions};
use crate::types::{CharSet, Prim, StructDesc, TypeDesc};
use crate::value::Value;

use exec::{Ctx, Kind};

/// Why a plan cannot be compiled or executed.
#[derive(Clone, Debug, PartialEq)]
pub enum PlanError {
    /// The type has no layout.
    Layout(LayoutError),
    /// A field form the engine cannot marshal in this position (the CLR's
    /// MarshalDirectiveException), or on this target.
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
    /// A string conversion failed.
    String {
        /// Field path.
        path: String,
        /// The string module's error.
        error: StringError,
    },
    /// A SAFEARRAY was refused (type or rank mismatch, a bad descriptor from native code, …).
    SafeArray {
        /// Field path.
        path: String,
        /// The safearray module's error.
        error: SafeArrayError,
    },
    /// An OLE operation failed: a VARIANT that is not valid, a value out of the
    /// range of its native form (`DISP_E_OVERFLOW`: the CLR's OverflowException),
    /// an interface the object does not implement (`E_NOINTERFACE`: InvalidCastException).
    Hresult {
        /// Field path.
        path: String,
        /// The failing code.
        hresult: Hresult,
        /// What was being done.
        what: &'static str,
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
            PlanError::Unsupported { path, what } => write!(f, "`{path}`: {what} cannot be marshaled here"),
            PlanError::Mismatch { path, expected } => write!(f, "`{path}`: expected {expected}"),
            PlanError::Invalid { path, reason } => write!(f, "`{path}`: {reason}"),
            PlanError::String { path, error } => write!(f, "`{path}`: {error}"),
            PlanError::SafeArray { path, error } => write!(f, "`{path}`: {error}"),
            PlanError::Hresult { path, hresult, what } => write!(f, "`{path}`: {what}: {hresult:?}"),
            PlanError::BufferTooSmall { needed, given } => write!(f, "buffer of {given} bytes, {needed} needed"),
        }
    }
}

impl std::error::Error for PlanError {}

impl PlanError {
    /// Prefixes the error's field path with the enclosing field (`name`) or array
    /// index (`[i]`). Paths are built only while an error propagates, so the
    /// success path never allocates for them.
    pub fn within(mut self, segment: &str) -> PlanError {
        if let PlanError::Unsupported { path, .. }
        | PlanError::Mismatch { path, .. }
        | PlanError::Invalid { path, .. }
        | PlanError::String { path, .. }
        | PlanError::SafeArray { path, .. }
        | PlanError::Hresult { path, .. } = &mut self
        {
            let sep = if path.is_empty() || path.starts_with('[') { "" } else { "." };
            *path = format!("{segment}{sep}{path}");
        }
        self
    }

    /// The field path the error concerns (empty for the value itself).
    pub fn path(&self) -> &str {
        match self {
            PlanError::Unsupported { path, .. }
            | PlanError::Mismatch { path, .. }
            | PlanError::Invalid { path, .. }
            | PlanError::String { path, .. }
            | PlanError::SafeArray { path, .. }
            | PlanError::Hresult { path, .. } => path,
            PlanError::Layout(_) | PlanError::BufferTooSmall { .. } => "",
        }
    }

    /// The full name of the .NET exception the CLR throws in the same case
    /// (`"System.ArgumentException"`).
    pub fn clr_exception(&self) -> &'static str {
        match self {
            PlanError::Layout(LayoutError::MisalignedReference { .. }) => "System.TypeLoadException",
            PlanError::Layout(_) | PlanError::Mismatch { .. } | PlanError::Invalid { .. } => "System.ArgumentException",
            PlanError::BufferTooSmall { .. } => "System.ArgumentException",
            PlanError::Unsupported { .. } => "System.Runtime.InteropServices.MarshalDirectiveException",
            PlanError::String { error, .. } => error.clr_exception(),
            PlanError::SafeArray { error, .. } => match error {
                SafeArrayError::TypeMismatch { .. } => "System.Runtime.InteropServices.SafeArrayTypeMismatchException",
                SafeArrayError::RankMismatch { .. } => "System.Runtime.InteropServices.SafeArrayRankMismatchException",
                SafeArrayError::OutOfMemory => "System.OutOfMemoryException",
                _ => "System.ArgumentException",
            },
            PlanError::Hresult { hresult, .. } => match *hresult {
                Hresult::DISP_E_OVERFLOW => "System.OverflowException",
                Hresult::E_NOINTERFACE => "System.InvalidCastException",
                Hresult::E_OUTOFMEMORY => "System.OutOfMemoryException",
                _ => "System.ArgumentException",
            },
        }
    }
}

impl From<LayoutError> for PlanError {
    fn from(e: LayoutError) -> PlanError {
        PlanError::Layout(e)
    }
}

/// One field: where it lies and how it converts.
#[derive(Debug)]
struct FieldOp {
    name: Arc<str>,
    offset: u32,
    kind: Kind,
    /// The number fields of the host's width, converted without the general dispatch.
    fast: Fast,
}

/// A number field, flattened for the hot loop of [`Plan::write`]: one byte to
/// compare instead of two nested matches and a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fast {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    /// A string pointer.
    Str,
    /// Anything else: [`exec::write_kind`].
    No,
}

impl Fast {
    fn of(kind: &Kind) -> Fast {
        match kind {
            Kind::Prim(p) => match p {
                Prim::I8 => Fast::I8,
                Prim::U8 => Fast::U8,
                Prim::I16 => Fast::I16,
                Prim::U16 => Fast::U16,
                Prim::I32 => Fast::I32,
                Prim::U32 => Fast::U32,
                Prim::I64 => Fast::I64,
                Prim::U64 => Fast::U64,
                Prim::F32 => Fast::F32,
                Prim::F64 => Fast::F64,
                Prim::ISize | Prim::USize => Fast::No,
            },
            Kind::Str(_) => Fast::Str,
            _ => Fast::No,
        }
    }
}

/// Loads `N` bytes at `b[off..off + N]`.
///
/// # Safety
/// `off + N <= b.len()`.
#[inline(always)]
unsafe fn load<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    debug_assert!(off + N <= b.len());
    // SAFETY: in bounds per the caller; `[u8; N]` has alignment 1.
    unsafe { b.as_ptr().add(off).cast::<[u8; N]>().read() }
}

/// Stores `b` at `out[off..off + N]`.
///
/// # Safety
/// `off + N <= out.len()`.
#[inline(always)]
unsafe fn store<const N: usize>(out: &mut [u8], off: usize, b: [u8; N]) -> bool {
    debug_assert!(off + N <= out.len());
    // SAFETY: in bounds per the caller; `[u8; N]` has alignment 1.
    unsafe { out.as_mut_ptr().add(off).cast::<[u8; N]>().write(b) };
    true
}

/// A compiled struct plan (see the module docs).
///
/// ```
/// use marshal_core::plan::Plan;
/// use marshal_core::value::Value;
/// use marshal_core::{StructBuilder, Target, TypeDesc, StringRepr};
/// let ty = StructBuilder::sequential("S")
///     .field("flag", TypeDesc::bool_win32())
///     .field("n", TypeDesc::I16)
///     .field("name", TypeDesc::String(StringRepr::LPWStr))
///     .build()
///     .unwrap();
/// let plan = Plan::for_type(&ty, Target::host()).unwrap();
/// let v = Value::Struct(vec![
///     ("flag".into(), Value::Bool(true)),
///     ("n".into(), Value::I16(-2)),
///     ("name".into(), Value::str("hi")),
/// ]);
/// let mut native = vec![0u8; plan.size()];
/// plan.to_native(&v, &mut native).unwrap();
/// assert_eq!(native[..8], [1, 0, 0, 0, 0xfe, 0xff, 0, 0]);
/// // SAFETY: the bytes were produced by to_native of this plan.
/// assert_eq!(unsafe { plan.from_native(&native) }.unwrap(), v);
/// // SAFETY: as above; frees the LPWStr.
/// unsafe { plan.destroy(&mut native) };
/// assert_eq!(native[8..16], [0; 8]);
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
    /// The fields whose native form owns memory: the only ones destroy visits.
    owning: Vec<usize>,
    /// Explicit layout with fields sharing bytes (a union).
    overlapping: bool,
    /// Whether to-native must zero the buffer first: padding, a union, or a field
    /// form that leaves bytes unwritten (a ByValTStr's tail).
    zero_first: bool,
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

    /// The struct's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Native size in bytes (`Marshal.SizeOf`).
    pub fn size(&self) -> usize {
        self.size as usize
    }

    /// Native alignment.
    pub fn align(&self) -> usize {
        self.align as usize
    }

    /// The target the plan was compiled for.
    pub fn target(&self) -> Target {
        self.target
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

    /// `true` when the native form holds pointers it owns (strings, VARIANT
    /// payloads, SAFEARRAYs, interfaces) that [`Plan::destroy`] frees.
    pub fn owns_native_memory(&self) -> bool {
        self.owns_native_memory
    }

    /// `StructureToPtr` with the default [`StringOptions`] (the system code page,
    /// UTF-8 on Unix): writes `value` into `out[..size]`.
    pub fn to_native(&self, value: &Value, out: &mut [u8]) -> Result<(), PlanError> {
        self.to_native_with(value, out, &StringOptions::default())
    }

    /// `StructureToPtr`: writes `value` into `out[..size]` (every byte, padding
    /// zeroed). On error nothing stays allocated and `out` holds no owned pointers.
    pub fn to_native_with(&self, value: &Value, out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError> {
        let size = self.size();
        if out.len() < size {
            return Err(PlanError::BufferTooSmall { needed: size, given: out.len() });
        }
        let out = &mut out[..size];
        if self.zero_first {
            out.fill(0);
        }
        // On error `write` has freed what the fields before the failing one allocated.
        self.write(value, out, &Ctx::new(self.target, opts))
    }

    /// `PtrToStructure` with the default [`StringOptions`].
    ///
    /// # Safety
    ///
    /// As [`Plan::from_native_with`].
    pub unsafe fn from_native(&self, bytes: &[u8]) -> Result<Value, PlanError> {
        // SAFETY: forwarded contract.
        unsafe { self.from_native_with(bytes, &StringOptions::default()) }
    }

    /// `PtrToStructure`: reads a value from native bytes. The native struct keeps
    /// what it owns.
    ///
    /// # Safety
    ///
    /// `bytes` must hold a native struct of this type: pointer fields (strings,
    /// SAFEARRAYs, interfaces, VARIANT payloads) must be null or point to valid
    /// native data of their form. VARIANT tags and SAFEARRAY descriptors are
    /// validated; string and interface pointers cannot be.
    pub unsafe fn from_native_with(&self, bytes: &[u8], opts: &StringOptions) -> Result<Value, PlanError> {
        if bytes.len() < self.size() {
            return Err(PlanError::BufferTooSmall { needed: self.size(), given: bytes.len() });
        }
        // SAFETY: forwarded contract.
        unsafe { self.read(&bytes[..self.size()], &Ctx::new(self.target, opts)) }
    }

    /// `DestroyStructure`: frees what the native struct owns (what
    /// [`Plan::to_native`] allocated, or what native code put there) and nulls
    /// those fields, so a second call does nothing.
    ///
    /// # Safety
    ///
    /// `bytes` must hold a native struct of this type whose owned pointer fields
    /// are null or were allocated with the allocators the ABI names for them.
    pub unsafe fn destroy(&self, bytes: &mut [u8]) {
        if bytes.len() >= self.size() {
            // SAFETY: forwarded contract.
            unsafe { self.destroy_fields(bytes) };
        }
    }

    /// Frees what the owning fields hold.
    ///
    /// # Safety
    /// As [`Plan::destroy`]; `bytes` holds at least the struct.
    pub(crate) unsafe fn destroy_fields(&self, bytes: &mut [u8]) {
        for &i in &self.owning {
            let op = &self.ops[i];
            // SAFETY: forwarded contract, field by field.
            unsafe { exec::destroy_kind(&op.kind, &mut bytes[op.offset as usize..]) };
        }
    }

    /// Converts every field; on error frees what the fields before the failing one
    /// allocated (the failing one frees its own), so nothing stays allocated.
    pub(crate) fn write(&self, value: &Value, out: &mut [u8], ctx: &Ctx<'_>) -> Result<(), PlanError> {
        let Value::Struct(fields) = value else {
            return Err(exec::mismatch(&format!("struct {}", self.name)));
        };
        // Every field lies inside the struct's size (the layout guarantees it): checked
        // once here, not per field.
        assert!(out.len() >= self.size(), "a plan writes into at least its size");
        if fields.len() == self.ops.len() {
            // The usual case: the value's fields in declaration order, named with the
            // plan's own `Arc`s (compared by address) or equal names.
            for (i, (op, (n, v))) in self.ops.iter().zip(fields).enumerate() {
                if !(Arc::ptr_eq(n, &op.name) || *n == op.name) {
                    // Not in declaration order after all: start again by name.
                    self.free_fields(out, i);
                    return self.write_by_name(fields, out, ctx);
                }
                // Numbers are most fields: stored here, without the general dispatch.
                let off = op.offset as usize;
                // SAFETY: every `store` is a number field, whose bytes lie inside the struct;
                // `out` holds at least the struct (asserted above).
                let done = unsafe {
                    match (op.fast, v) {
                        (Fast::No, _) => false,
                        (Fast::I32, Value::I32(x)) => store(out, off, x.to_le_bytes()),
                        (Fast::F64, Value::F64(x)) => store(out, off, x.to_le_bytes()),
                        (Fast::I64, Value::I64(x)) => store(out, off, x.to_le_bytes()),
                        (Fast::U32, Value::U32(x)) => store(out, off, x.to_le_bytes()),
                        (Fast::U8, Value::U8(x)) => store(out, off, x.to_le_bytes()),
                        (Fast::I16, Value::I16(x)) => store(out, off, x.to_le_bytes()),
                        (Fast::U16, Value::U16(x)) => store(out, off, x.to_le_bytes()),
                        (Fast::I8, Value::I8(x)) => store(out, off, x.to_le_bytes()),
                        (Fast::U64, Value::U64(x)) => store(out, off, x.to_le_bytes()),
                        (Fast::F32, Value::F32(x)) => store(out, off, x.to_le_bytes()),
                        (Fast::Str, Value::Str(units)) => {
                            // Strings are the next most common fields.
                            self.write_str(i, op, units, out, ctx)?;
                            true
                        }
                        _ => false,
                    }
                };
                if !done {
                    self.write_field(i, op, v, out, ctx)?;
                }
            }
            Ok(())
        } else {
            self.write_by_name(fields, out, ctx)
        }
    }

    /// A string field; on error the fields before it are freed.
    #[inline(never)]
    fn write_str(&self, i: usize, op: &FieldOp, units: &[u16], out: &mut [u8], ctx: &Ctx<'_>) -> Result<(), PlanError> {
        let Kind::Str(k) = op.kind else { unreachable!("Fast::Str is only given to string fields") };
        match crate::strings::NativeString::from_wide(k, units, &ctx.opts.ansi) {
            Ok(s) => {
                let off = op.offset as usize;
                out[off..off + core::mem::size_of::<usize>()].copy_from_slice(&(s.into_raw() as usize).to_ne_bytes());
                Ok(())
            }
            Err(e) => Err(self.undo(out, i, exec::string_error(e).within(&op.name))),
        }
    }

    /// One field through the general dispatch; on error the fields before it are freed.
    #[inline(never)]
    fn write_field(&self, i: usize, op: &FieldOp, v: &Value, out: &mut [u8], ctx: &Ctx<'_>) -> Result<(), PlanError> {
        exec::write_kind(&op.kind, v, &mut out[op.offset as usize..], ctx)
            .map_err(|e| self.undo(out, i, e.within(&op.name)))
    }

    /// [`Plan::write`] for a value whose fields are not in declaration order.
    #[cold]
    fn write_by_name(&self, fields: &[(Arc<str>, Value)], out: &mut [u8], ctx: &Ctx<'_>) -> Result<(), PlanError> {
        for (i, op) in self.ops.iter().enumerate() {
            let Some((_, v)) = fields.iter().find(|(n, _)| *n == op.name) else {
                return Err(self.undo(out, i, exec::mismatch("a value").within(&op.name)));
            };
            self.write_field(i, op, v, out, ctx)?;
        }
        Ok(())
    }

    /// The error path of [`Plan::write`]: frees what fields `..failed` allocated.
    #[cold]
    fn undo(&self, out: &mut [u8], failed: usize, e: PlanError) -> PlanError {
        self.free_fields(out, failed);
        e
    }

    /// Frees what fields `..upto` (just written by `write`) allocated.
    #[cold]
    fn free_fields(&self, out: &mut [u8], upto: usize) {
        for &i in self.owning.iter().take_while(|&&i| i < upto) {
            let op = &self.ops[i];
            // SAFETY: these fields were written by `write` just now.
            unsafe { exec::destroy_kind(&op.kind, &mut out[op.offset as usize..]) };
        }
    }

    /// # Safety
    /// As [`Plan::from_native_with`].
    unsafe fn read(&self, bytes: &[u8], ctx: &Ctx<'_>) -> Result<Value, PlanError> {
        assert!(bytes.len() >= self.size(), "a plan reads at least its size");
        let mut fields = Vec::with_capacity(self.ops.len());
        for op in &self.ops {
            let off = op.offset as usize;
            // SAFETY: every `load` is a number field, whose bytes lie inside the struct;
            // `bytes` holds at least the struct (asserted above). Other fields: the caller's contract.
            let v = unsafe {
                match op.fast {
                    Fast::I32 => Value::I32(i32::from_le_bytes(load(bytes, off))),
                    Fast::F64 => Value::F64(f64::from_le_bytes(load(bytes, off))),
                    Fast::I64 => Value::I64(i64::from_le_bytes(load(bytes, off))),
                    Fast::U32 => Value::U32(u32::from_le_bytes(load(bytes, off))),
                    Fast::U8 => Value::U8(load::<1>(bytes, off)[0]),
                    Fast::I16 => Value::I16(i16::from_le_bytes(load(bytes, off))),
                    Fast::U16 => Value::U16(u16::from_le_bytes(load(bytes, off))),
                    Fast::I8 => Value::I8(load::<1>(bytes, off)[0] as i8),
                    Fast::U64 => Value::U64(u64::from_le_bytes(load(bytes, off))),
                    Fast::F32 => Value::F32(f32::from_le_bytes(load(bytes, off))),
                    // SAFETY: forwarded contract.
                    Fast::Str | Fast::No => {
                        exec::read_kind(&op.kind, &bytes[off..], ctx).map_err(|e| e.within(&op.name))?
                    }
                }
            };
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
    /// (Only blittable-or-bool/char fields may overlap: reference fields cannot.)
    fn settle_union(&self, fields: &mut [(Arc<str>, Value)]) {
        let mut image = vec![0u8; self.size() + 16];
        let ctx_opts = StringOptions::default();
        let ctx = Ctx::new(Target::host(), &ctx_opts);
        for (op, (_, v)) in self.ops.iter().zip(fields.iter()) {
            let at = &mut image[op.offset as usize..];
            match (&op.kind, v) {
                (Kind::Bool(_), Value::Bool(b)) => at[0] = *b as u8,
                (Kind::Char16 | Kind::CharAnsi, Value::Char(c)) => at[..2].copy_from_slice(&c.to_le_bytes()),
                (Kind::Prim(_), v) => {
                    let _ = exec::write_kind(&op.kind, v, at, &ctx);
                }
                _ => {}
            }
        }
        for (op, (_, v)) in self.ops.iter().zip(fields.iter_mut()) {
            let at = &image[op.offset as usize..];
            match (&op.kind, &*v) {
                (Kind::Bool(_), Value::Bool(_)) => *v = Value::Bool(at[0] != 0),
                (Kind::Char16 | Kind::CharAnsi, Value::Char(_)) => *v = Value::Char(u16::from_le_bytes([at[0], at[1]])),
                (Kind::Prim(_), _) => {
                    // SAFETY: a number reads no pointers.
                    if let Ok(x) = unsafe { exec::read_kind(&op.kind, at, &ctx) } {
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
    let mut writes_all = true;
    let host = target.pointer_width == Target::host().pointer_width;
    for (f, fl) in s.fields().iter().zip(layout.fields()) {
        let kind = exec::kind_of(&f.ty, s.charset(), target).map_err(|e| e.within(&f.name))?;
        owns |= kind.owns();
        writes_all &= kind.writes_all_bytes();
        let fast = if host { Fast::of(&kind) } else { Fast::No };
        ops.push(FieldOp { name: f.name.clone(), offset: fl.offset, kind, fast });
    }
    let mut overlapping = false;
    for (i, a) in layout.fields().iter().enumerate() {
        for b in &layout.fields()[i + 1..] {
            overlapping |= a.offset < b.offset + b.size && b.offset < a.offset + a.size;
        }
    }
    let field_bytes: u64 = layout.fields().iter().map(|f| f.size as u64).sum();
    let padded = field_bytes != layout.size() as u64;
    let owning = ops.iter().enumerate().filter(|(_, op)| op.kind.owns()).map(|(i, _)| i).collect();
    Ok(Plan {
        owning,
        zero_first: padded || overlapping || !writes_all,
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

/// The plan of one value of any marshalable type (a parameter, an array
/// element, a return value): [`Plan`]'s stages for a single slot.
///
/// ```
/// use marshal_core::plan::ElementPlan;
/// use marshal_core::strings::StringOptions;
/// use marshal_core::value::Value;
/// use marshal_core::{CharSet, StringRepr, Target, TypeDesc};
/// let p = ElementPlan::new(&TypeDesc::String(StringRepr::BStr), CharSet::Ansi, Target::host()).unwrap();
/// let opts = StringOptions::default();
/// let mut slot = [0u8; 8];
/// p.to_native(&Value::str("abc"), &mut slot, &opts).unwrap();
/// // SAFETY: the slot holds the BSTR just written.
/// assert_eq!(unsafe { p.from_native(&slot, &opts) }.unwrap(), Value::str("abc"));
/// // SAFETY: as above.
/// unsafe { p.destroy(&mut slot) };
/// ```
#[derive(Clone, Debug)]
pub struct ElementPlan {
    kind: Kind,
    size: u32,
    align: u32,
    target: Target,
    blittable: bool,
}

impl ElementPlan {
    /// Compiles the plan of `ty` in a context of `charset` (the signature's or
    /// the enclosing struct's) for `target`. ByValTStr and ByValArray are field
    /// forms but are accepted (an inline buffer of their size).
    pub fn new(ty: &TypeDesc, charset: CharSet, target: Target) -> Result<ElementPlan, PlanError> {
        let kind = exec::kind_of(ty, charset, target)?;
        let (size, align) = crate::layout::native_size_align(ty, charset, target)?;
        let blittable = !kind.converts();
        Ok(ElementPlan { kind, size, align, target, blittable })
    }

    /// Native size in bytes.
    pub fn size(&self) -> usize {
        self.size as usize
    }

    /// Native alignment.
    pub fn align(&self) -> usize {
        self.align as usize
    }

    /// `true` when the native form is the managed value's own bytes.
    pub fn is_blittable(&self) -> bool {
        self.blittable
    }

    /// `true` when the native form holds pointers it owns.
    pub fn owns_native_memory(&self) -> bool {
        self.kind.owns()
    }

    /// The struct plan, when the value is a struct.
    pub fn struct_plan(&self) -> Option<&Arc<Plan>> {
        match &self.kind {
            Kind::Struct(p) => Some(p),
            _ => None,
        }
    }

    /// Converts `v` into `out[..size]` (zeroed first). On error nothing stays allocated.
    pub fn to_native(&self, v: &Value, out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError> {
        let size = self.size();
        if out.len() < size {
            return Err(PlanError::BufferTooSmall { needed: size, given: out.len() });
        }
        out[..size].fill(0);
        // On error the conversion has freed what it allocated.
        exec::write_kind(&self.kind, v, &mut out[..size], &Ctx::new(self.target, opts))
    }

    /// Reads the value from `b[..size]`; the native form keeps what it owns.
    ///
    /// # Safety
    ///
    /// As [`Plan::from_native_with`], for this value's bytes.
    pub unsafe fn from_native(&self, b: &[u8], opts: &StringOptions) -> Result<Value, PlanError> {
        if b.len() < self.size() {
            return Err(PlanError::BufferTooSmall { needed: self.size(), given: b.len() });
        }
        // SAFETY: forwarded contract.
        unsafe { exec::read_kind(&self.kind, &b[..self.size()], &Ctx::new(self.target, opts)) }
    }

    /// Frees what the native form owns and nulls it.
    ///
    /// # Safety
    ///
    /// As [`Plan::destroy`], for this value's bytes.
    pub unsafe fn destroy(&self, b: &mut [u8]) {
        if self.kind.owns() && b.len() >= self.size() {
            // SAFETY: forwarded contract.
            unsafe { exec::destroy_kind(&self.kind, b) };
        }
    }
}

#[cfg(test)]
mod tests;
