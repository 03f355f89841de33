//! The compiled form of one value ([`Kind`]) and its three stages over
//! [`Value`]s: write (to native), read (from native), destroy.

use core::ffi::c_void;
use std::sync::Arc;

use super::{leaf, object, safearray, Plan, PlanError};
use crate::guid::Guid;
use crate::hresult::Hresult;
use crate::iunknown::{self, ComRef};
use crate::layout::Target;
use crate::strings::{self, NativeString, NativeStringKind, StringOptions};
use crate::types::{BoolRepr, CharSet, InterfaceKind, Prim, TypeDesc};
use crate::value::{DateTime, Value};
use crate::variant::{Currency, Decimal, Variant, VARIANT};
use crate::vartype::VarType;

/// What one value's conversion does, everything about its type resolved
/// (charset, target, string form, element strides).
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Prim(Prim),
    Bool(BoolRepr),
    Char16,
    CharAnsi,
    Guid,
    Error,
    /// `void*` and function pointers: the address as is.
    Pointer,
    /// A string as a pointer of this form.
    Str(NativeStringKind),
    /// A ByValTStr of `chars` characters.
    ByValTStr {
        chars: u32,
        wide: bool,
    },
    /// `object` as an inline VARIANT.
    Variant,
    /// `SAFEARRAY*` of this element type (VT_EMPTY already read as VT_VARIANT).
    SafeArray(VarType),
    Decimal,
    Currency,
    Date,
    Interface(InterfaceKind),
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

impl Kind {
    /// Whether the native form holds pointers it owns.
    pub(crate) fn owns(&self) -> bool {
        match self {
            Kind::Str(_) | Kind::Variant | Kind::SafeArray(_) | Kind::Interface(_) => true,
            Kind::Array { elem, .. } => elem.owns(),
            Kind::Struct(p) => p.owns_native_memory,
            _ => false,
        }
    }

    /// Whether writing any value stores every byte of the native form (no
    /// reliance on a zeroed buffer): false for a ByValTStr (its tail is left as it
    /// is) and for a struct with padding.
    pub(crate) fn writes_all_bytes(&self) -> bool {
        match self {
            Kind::ByValTStr { .. } => false,
            Kind::Array { elem, .. } => elem.writes_all_bytes(),
            Kind::Struct(p) => !p.zero_first,
            _ => true,
        }
    }

    /// Whether the native form differs from the managed bytes.
    pub(crate) fn converts(&self) -> bool {
        match self {
            Kind::Prim(_) | Kind::Char16 | Kind::Guid | Kind::Error | Kind::Pointer => false,
            Kind::Array { elem, .. } => elem.converts(),
            Kind::Struct(p) => !p.blittable,
            _ => true,
        }
    }
}

/// What every conversion needs besides the value: the target's pointer width
/// and the string options.
pub(crate) struct Ctx<'a> {
    pub(crate) ptr8: bool,
    pub(crate) opts: &'a StringOptions,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(target: Target, opts: &'a StringOptions) -> Ctx<'a> {
        Ctx { ptr8: target.pointer_width == 8, opts }
    }
}

const HOST_PTR: u32 = core::mem::size_of::<usize>() as u32;

/// Compiles the kind of `ty` in a context of `charset` on `target`.
pub(crate) fn kind_of(ty: &TypeDesc, charset: CharSet, target: Target) -> Result<Kind, PlanError> {
    let host_pointers = |what: &str| -> Result<(), PlanError> {
        if target.pointer_width == HOST_PTR {
            Ok(())
        } else {
            Err(PlanError::Unsupported {
                path: String::new(),
                what: format!("{what} for a {}-bit target on this host", target.pointer_width * 8),
            })
        }
    };
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
        TypeDesc::String(repr) => {
            host_pointers("a string pointer")?;
            Kind::Str(NativeStringKind::resolve_for(*repr, charset, target))
        }
        TypeDesc::ByValTStr(0) => {
            return Err(PlanError::String { path: String::new(), error: strings::StringError::ZeroSizeConst })
        }
        TypeDesc::ByValTStr(n) => Kind::ByValTStr { chars: *n, wide: charset.is_unicode_on(target) },
        TypeDesc::Variant => {
            host_pointers("a VARIANT")?;
            Kind::Variant
        }
        TypeDesc::SafeArray(vt) => {
            host_pointers("a SAFEARRAY")?;
            let vt = if *vt == VarType::EMPTY { VarType::VARIANT } else { *vt };
            safearray::element_kind(vt).ok_or_else(|| PlanError::Unsupported {
                path: String::new(),
                what: format!("a SAFEARRAY of {vt:?}"),
            })?;
            Kind::SafeArray(vt)
        }
        TypeDesc::Decimal => Kind::Decimal,
        TypeDesc::Currency => Kind::Currency,
        TypeDesc::Date => Kind::Date,
        TypeDesc::Interface(k) => {
            host_pointers("an interface pointer")?;
            Kind::Interface(*k)
        }
        TypeDesc::ByValArray { elem, count } if matches!(**elem, TypeDesc::Char(r) if !leaf::char_is_utf16(r, charset, target)) => {
            Kind::AnsiChars { count: *count }
        }
        TypeDesc::ByValArray { elem, count } => {
            let stride = crate::layout::native_size_align(elem, charset, target)?.0;
            Kind::Array { elem: Box::new(kind_of(elem, charset, target)?), count: *count, stride }
        }
        TypeDesc::Struct(inner) => Kind::Struct(Plan::for_struct(inner, target)?),
        other @ (TypeDesc::LpArray { .. } | TypeDesc::Named(_)) => {
            return Err(PlanError::Unsupported { path: String::new(), what: other.display_name() })
        }
    })
}

pub(crate) fn mismatch(expected: &str) -> PlanError {
    PlanError::Mismatch { path: String::new(), expected: expected.to_string() }
}

pub(crate) fn invalid(reason: String) -> PlanError {
    PlanError::Invalid { path: String::new(), reason }
}

pub(crate) fn string_error(error: strings::StringError) -> PlanError {
    PlanError::String { path: String::new(), error }
}

pub(crate) fn hresult_error(hresult: Hresult, what: &'static str) -> PlanError {
    PlanError::Hresult { path: String::new(), hresult, what }
}

#[inline(always)]
fn put<const N: usize>(out: &mut [u8], b: [u8; N]) {
    out[..N].copy_from_slice(&b);
}

#[inline(always)]
fn get<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// Writes a pointer-sized value.
#[inline(always)]
pub(crate) fn put_ptr(out: &mut [u8], p: u64, ptr8: bool) {
    if ptr8 {
        put(out, p.to_le_bytes());
    } else {
        put(out, (p as u32).to_le_bytes());
    }
}

/// Reads a pointer-sized value.
#[inline(always)]
pub(crate) fn get_ptr(b: &[u8], ptr8: bool) -> u64 {
    if ptr8 {
        u64::from_le_bytes(get(b))
    } else {
        u32::from_le_bytes(get(b)) as u64
    }
}

/// A host pointer stored in native bytes.
#[inline(always)]
fn host_ptr(b: &[u8]) -> *mut c_void {
    usize::from_ne_bytes(get(b)) as *mut c_void
}

#[inline(always)]
fn put_host_ptr(out: &mut [u8], p: *mut c_void) {
    put(out, (p as usize).to_ne_bytes());
}

/// To native: converts `v` into `out` (zero-filled by the caller).
pub(crate) fn write_kind(kind: &Kind, v: &Value, out: &mut [u8], ctx: &Ctx<'_>) -> Result<(), PlanError> {
    match (kind, v) {
        (Kind::Prim(p), v) => write_prim(*p, v, ctx.ptr8, out).ok_or_else(|| mismatch(p.clr_name())),
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
        (Kind::Error, Value::Error(e) | Value::I32(e)) => {
            put(out, e.to_le_bytes());
            Ok(())
        }
        (Kind::Pointer, Value::Pointer(p) | Value::USize(p)) => {
            put_ptr(out, *p, ctx.ptr8);
            Ok(())
        }
        (Kind::Pointer, Value::ISize(p)) => {
            put_ptr(out, *p as u64, ctx.ptr8);
            Ok(())
        }
        (Kind::Pointer, Value::Null) => {
            put_ptr(out, 0, ctx.ptr8);
            Ok(())
        }
        (Kind::Str(_), Value::Null) => {
            put_host_ptr(out, core::ptr::null_mut());
            Ok(())
        }
        (Kind::Str(k), Value::Str(units)) => {
            let s = NativeString::from_wide(*k, units, &ctx.opts.ansi).map_err(string_error)?;
            put_host_ptr(out, s.into_raw());
            Ok(())
        }
        (Kind::ByValTStr { chars, wide }, Value::Null | Value::Str(_)) => {
            let units = if let Value::Str(u) = v { Some(&u[..]) } else { None };
            let bytes = *chars as usize * if *wide { 2 } else { 1 };
            strings::write_by_val_tstr(&mut out[..bytes], units, *wide, &ctx.opts.ansi).map_err(string_error)
        }
        (Kind::Variant, v) => {
            let var = object::to_variant(v)?;
            write_variant(out, var);
            Ok(())
        }
        (Kind::SafeArray(_), Value::Null) => {
            put_host_ptr(out, core::ptr::null_mut());
            Ok(())
        }
        (Kind::SafeArray(vt), Value::Array(items)) => {
            let psa = safearray::array_to_native(*vt, items, ctx)?;
            put_host_ptr(out, psa.cast());
            Ok(())
        }
        (Kind::Decimal, Value::Decimal(d)) => {
            put(out, d.to_bytes());
            Ok(())
        }
        (Kind::Currency, Value::Decimal(d)) => {
            let cy = Currency::from_clr_decimal(d).map_err(|h| hresult_error(h, "decimal out of the CY range"))?;
            put(out, cy.0.to_le_bytes());
            Ok(())
        }
        (Kind::Currency, Value::Currency(cy)) => {
            put(out, cy.0.to_le_bytes());
            Ok(())
        }
        (Kind::Date, Value::DateTime(t)) => {
            let d = t
                .to_ole_date()
                .ok_or_else(|| hresult_error(Hresult::DISP_E_OVERFLOW, "DateTime before 0100-01-01 has no OLE DATE"))?;
            put(out, d.0.to_le_bytes());
            Ok(())
        }
        (Kind::Interface(_), Value::Null) => {
            put_host_ptr(out, core::ptr::null_mut());
            Ok(())
        }
        (Kind::Interface(k), Value::Interface(obj)) => {
            let p = interface_to_native(obj, *k)?;
            put_host_ptr(out, p);
            Ok(())
        }
        // CoreCLR zero-fills a null ByValArray.
        (Kind::Array { count, stride, .. }, Value::Null) => {
            out[..(*count * *stride) as usize].fill(0);
            Ok(())
        }
        (Kind::AnsiChars { count }, Value::Null) => {
            out[..*count as usize].fill(0);
            Ok(())
        }
        (Kind::Array { elem, count, stride }, Value::Array(items)) => {
            if items.len() < *count as usize {
                return Err(invalid(format!("array of {} elements is shorter than SizeConst = {count}", items.len())));
            }
            for (i, item) in items.iter().take(*count as usize).enumerate() {
                if let Err(e) = write_kind(elem, item, &mut out[i * *stride as usize..], ctx) {
                    if elem.owns() {
                        for k in 0..i {
                            // SAFETY: elements ..i were written just now.
                            unsafe { destroy_kind(elem, &mut out[k * *stride as usize..]) };
                        }
                    }
                    return Err(e.within(&format!("[{i}]")));
                }
            }
            Ok(())
        }
        (Kind::AnsiChars { count }, Value::Array(items)) => write_ansi_chars(*count as usize, items, out),
        (Kind::Struct(p), v) => p.write(v, out, ctx),
        (k, v) => Err(mismatch(&format!("{} (got {})", kind_name(k), v.kind_name()))),
    }
}

fn write_ansi_chars(count: usize, items: &[Value], out: &mut [u8]) -> Result<(), PlanError> {
    if items.len() < count {
        return Err(invalid(format!("array of {} chars is shorter than SizeConst = {count}", items.len())));
    }
    let mut units = smallvec::SmallVec::<[u16; 64]>::with_capacity(count);
    for c in &items[..count] {
        match c {
            Value::Char(c) => units.push(*c),
            other => return Err(mismatch(&format!("chars (got {})", other.kind_name()))),
        }
    }
    let written = leaf::ansi_chars_to_native(&units, &mut out[..count])
        .ok_or_else(|| invalid(format!("the ANSI form of the chars is longer than SizeConst = {count} bytes")))?;
    out[written..count].fill(0);
    Ok(())
}

/// An interface pointer for a field of `kind`: `QueryInterface` for the field's
/// interface (one reference the native side owns), as the CLR's interface marshaler.
fn interface_to_native(obj: &ComRef, kind: InterfaceKind) -> Result<*mut c_void, PlanError> {
    let iid = match kind {
        InterfaceKind::IUnknown => iunknown::IID_IUNKNOWN,
        InterfaceKind::IDispatch => iunknown::IID_IDISPATCH,
        InterfaceKind::Iid(g) => g,
    };
    obj.query(&iid).map(ComRef::into_raw).map_err(|h| hresult_error(h, "QueryInterface for the field's interface"))
}

/// Stores an owned VARIANT into native bytes (the bytes own it afterwards).
pub(crate) fn write_variant(out: &mut [u8], v: Variant) {
    let raw = v.into_raw();
    let n = core::mem::size_of::<VARIANT>();
    out[..n].copy_from_slice(&raw.to_bytes());
}

/// A VARIANT read out of native bytes (a bit copy: ownership stays with the bytes).
pub(crate) fn read_variant_raw(b: &[u8]) -> VARIANT {
    const N: usize = core::mem::size_of::<VARIANT>();
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    VARIANT::from_bytes(&a)
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
        // IntPtr fields also take raw pointers and null, as IntPtr.Zero.
        (Prim::ISize | Prim::USize, Value::Pointer(x)) => {
            if !ptr8 && *x > u32::MAX as u64 {
                return None;
            }
            put_ptr(out, *x, ptr8)
        }
        (Prim::ISize | Prim::USize, Value::Null) => put_ptr(out, 0, ptr8),
        _ => return None,
    }
    Some(())
}

pub(crate) fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::Prim(_) => "a number",
        Kind::Bool(_) => "a bool",
        Kind::Char16 | Kind::CharAnsi => "a char",
        Kind::Guid => "a GUID",
        Kind::Error => "an HRESULT",
        Kind::Pointer => "a pointer or null",
        Kind::Str(_) | Kind::ByValTStr { .. } => "a string or null",
        Kind::Variant => "an object",
        Kind::SafeArray(_) => "an array or null",
        Kind::Decimal | Kind::Currency => "a decimal",
        Kind::Date => "a DateTime",
        Kind::Interface(_) => "an interface or null",
        Kind::Array { .. } | Kind::AnsiChars { .. } => "an array or null",
        Kind::Struct(_) => "a struct",
    }
}

/// From native: reads the value of `kind` from `b`. The bytes keep what they own.
///
/// # Safety
/// Pointer fields in `b` are null or valid for their form (see `Plan::from_native_with`).
pub(crate) unsafe fn read_kind(kind: &Kind, b: &[u8], ctx: &Ctx<'_>) -> Result<Value, PlanError> {
    let ptr8 = ctx.ptr8;
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
            Prim::USize => Value::USize(get_ptr(b, ptr8)),
        },
        Kind::Bool(r) => Value::Bool(leaf::bool_from_native(*r, b)),
        Kind::Char16 => Value::Char(u16::from_le_bytes(get(b))),
        Kind::CharAnsi => Value::Char(leaf::ansi_char_from_native(b[0])),
        Kind::Guid => Value::Guid(Guid::from_bytes(get(b))),
        Kind::Error => Value::Error(i32::from_le_bytes(get(b))),
        Kind::Pointer => match get_ptr(b, ptr8) {
            0 => Value::Null,
            p => Value::Pointer(p),
        },
        Kind::Str(k) => {
            // SAFETY: forwarded contract: null or a valid string of this form.
            match unsafe { strings::read_native(*k, host_ptr(b), ctx.opts) }.map_err(string_error)? {
                None => Value::Null,
                Some(s) => Value::Str(s.into_vec()),
            }
        }
        Kind::ByValTStr { chars, wide } => {
            let bytes = *chars as usize * if *wide { 2 } else { 1 };
            let s = strings::read_by_val_tstr(&b[..bytes], *wide, ctx.opts).map_err(string_error)?;
            Value::Str(s.into_vec())
        }
        Kind::Variant => {
            let raw = read_variant_raw(b);
            // SAFETY: forwarded contract: the VARIANT's pointers are valid (its tag is validated).
            unsafe { object::from_variant(&raw)? }
        }
        Kind::SafeArray(vt) => {
            // SAFETY: forwarded contract: null or a SAFEARRAY (its descriptor is validated).
            unsafe { safearray::array_from_native(*vt, host_ptr(b).cast(), ctx)? }
        }
        Kind::Decimal => Value::Decimal(Decimal::from_bytes(get(b))),
        Kind::Currency => Value::Decimal(Decimal::from_clr_currency(Currency(i64::from_le_bytes(get(b))))),
        Kind::Date => {
            let d = crate::variant::Date(f64::from_le_bytes(get(b)));
            Value::DateTime(
                DateTime::from_ole_date(d)
                    .ok_or_else(|| invalid(format!("{} is not a legal OLE Automation date", d.0)))?,
            )
        }
        Kind::Interface(_) => {
            // SAFETY: forwarded contract: null or a live interface pointer; the copy gets its own reference.
            match unsafe { ComRef::from_borrowed(host_ptr(b)) } {
                None => Value::Null,
                Some(r) => Value::Interface(r),
            }
        }
        Kind::Array { elem, count, stride } => {
            let mut items = Vec::with_capacity(*count as usize);
            for i in 0..*count as usize {
                // SAFETY: forwarded contract, element by element.
                let item = unsafe { read_kind(elem, &b[i * *stride as usize..], ctx) }
                    .map_err(|e| e.within(&format!("[{i}]")))?;
                items.push(item);
            }
            Value::Array(items)
        }
        Kind::AnsiChars { count } => {
            Value::Array(leaf::ansi_chars_from_native(&b[..*count as usize]).into_iter().map(Value::Char).collect())
        }
        // SAFETY: forwarded contract.
        Kind::Struct(p) => unsafe { p.read(b, ctx)? },
    })
}

/// Destroy: frees what the native form of `kind` in `b` owns and nulls it.
///
/// # Safety
/// Owned pointers in `b` are null or from the allocators their forms name.
pub(crate) unsafe fn destroy_kind(kind: &Kind, b: &mut [u8]) {
    match kind {
        Kind::Str(k) => {
            let p = host_ptr(b);
            // SAFETY: forwarded contract.
            unsafe { strings::free_native(*k, p) };
            put_host_ptr(b, core::ptr::null_mut());
        }
        Kind::Variant => {
            let raw = read_variant_raw(b);
            // SAFETY: forwarded contract: the VARIANT owns its payload; an invalid tag is
            // left alone (nothing can be freed safely).
            if let Ok(v) = unsafe { Variant::from_raw(raw) } {
                drop(v);
                let n = core::mem::size_of::<VARIANT>();
                b[..n].copy_from_slice(&VARIANT::EMPTY.to_bytes());
            }
        }
        Kind::SafeArray(_) => {
            let field = b.as_mut_ptr().cast::<*mut crate::safearray::SAFEARRAY>();
            // SAFETY: forwarded contract; the slot is read and written unaligned-safely below.
            unsafe {
                let mut slot = field.read_unaligned();
                // A locked array is left in place, as DestroyStructure leaves it.
                let _ = crate::safearray::marshal::field_destroy(&mut slot);
                field.write_unaligned(slot);
            }
        }
        Kind::Interface(_) => {
            // SAFETY: forwarded contract: the field owns one reference.
            unsafe { iunknown::release_native(host_ptr(b)) };
            put_host_ptr(b, core::ptr::null_mut());
        }
        Kind::Array { elem, count, stride } if elem.owns() => {
            for i in 0..*count as usize {
                // SAFETY: forwarded contract, element by element.
                unsafe { destroy_kind(elem, &mut b[i * *stride as usize..]) };
            }
        }
        // SAFETY: forwarded contract; a nested struct lies whole inside its field.
        Kind::Struct(p) => unsafe { p.destroy_fields(b) },
        _ => {}
    }
}
