//! Element marshalers: one managed [`Value`] of a [`TypeDesc`] to and from its
//! native form in a byte slot, with the allocations the ABI demands recorded in
//! [`Frees`] so that every exit path releases them exactly once.
//!
//! The stages follow the CLR's marshaler kinds: *convert to native* ([`write`]),
//! *convert to managed* ([`read`]), and *clear native* ([`release`]: free what a
//! native form owns, for callee-allocated out values and returns). Struct
//! fields (blittable or not: bool, char, strings, ByValTStr, ByValArray,
//! nested structs) are handled here field by field at the offsets of
//! [`Layout`]; the forms owned by other parts of the engine (VARIANT, SAFEARRAY,
//! DECIMAL, interfaces) are refused with [`PinvokeError::Unsupported`].

use core::ffi::c_void;

use marshal_core::value::Value;
use marshal_core::{BoolRepr, CharRepr, CharSet, Layout, Prim, StringRepr, Target, TypeDesc};

use crate::abi::AbiType;
use crate::alloc;
use crate::error::PinvokeError;
use crate::text;

const PTR: usize = core::mem::size_of::<usize>();

/// One native allocation and the allocator that frees it.
#[derive(Debug)]
pub(crate) enum Owned {
    /// `CoTaskMemFree`.
    CoTaskMem(*mut c_void),
    /// `SysFreeString`.
    Bstr(*mut u16),
}

impl Owned {
    /// # Safety
    /// The pointer is live and owned by this record.
    unsafe fn free(self) {
        match self {
            // SAFETY: the caller's contract.
            Owned::CoTaskMem(p) => unsafe { alloc::co_task_mem_free(p) },
            // SAFETY: the caller's contract.
            Owned::Bstr(p) => unsafe { alloc::bstr_free(p) },
        }
    }

    fn addr(&self) -> usize {
        match self {
            Owned::CoTaskMem(p) => *p as usize,
            Owned::Bstr(p) => *p as usize,
        }
    }
}

/// The allocations of one call, freed when dropped.
#[derive(Debug, Default)]
pub(crate) struct Frees(Vec<Owned>);

impl Frees {
    pub(crate) fn push(&mut self, o: Owned) {
        self.0.push(o)
    }

    /// Forgets (without freeing) the allocation at `addr`: ownership passed to
    /// the callee (it replaced a `ref` string and freed the old one, per COM rules).
    pub(crate) fn disown(&mut self, addr: usize) {
        if let Some(i) = self.0.iter().position(|o| o.addr() == addr) {
            self.0.swap_remove(i);
        }
    }

    /// Hands every allocation over to native code (a callback's out values).
    pub(crate) fn forget_all(&mut self) {
        self.0.clear();
    }

    /// Whether `addr` is one of this call's own allocations.
    pub(crate) fn owns(&self, addr: usize) -> bool {
        addr != 0 && self.0.iter().any(|o| o.addr() == addr)
    }
}

impl Drop for Frees {
    fn drop(&mut self) {
        for o in self.0.drain(..) {
            // SAFETY: every record is a live allocation this call made and still owns.
            unsafe { o.free() }
        }
    }
}

/// Whether a char / ByValTStr is UTF-16 under `charset` on the host.
fn unicode(r: CharRepr, charset: CharSet) -> bool {
    match r {
        CharRepr::Utf16 => true,
        CharRepr::Ansi => false,
        CharRepr::ByCharSet => charset.is_unicode_on(Target::host()),
    }
}

/// The effective string form of `repr` under `charset`.
pub(crate) fn string_form(repr: StringRepr, charset: CharSet) -> StringRepr {
    match repr {
        StringRepr::ByCharSet if charset.is_unicode_on(Target::host()) => StringRepr::LPWStr,
        StringRepr::ByCharSet => StringRepr::LPStr,
        StringRepr::LPTStr => StringRepr::LPWStr,
        StringRepr::TBStr => StringRepr::BStr,
        other => other,
    }
}

/// (size, alignment) of `ty`'s native form under `charset`.
pub(crate) fn size_align(ty: &TypeDesc, charset: CharSet) -> Result<(usize, usize), PinvokeError> {
    let at = || ty.display_name();
    match ty {
        TypeDesc::Char(r) => Ok(if unicode(*r, charset) { (2, 2) } else { (1, 1) }),
        TypeDesc::ByValTStr(n) => {
            let c = if unicode(CharRepr::ByCharSet, charset) { 2 } else { 1 };
            Ok((*n as usize * c, c))
        }
        TypeDesc::ByValArray { elem, count } => {
            let (s, a) = size_align(elem, charset)?;
            Ok((s * *count as usize, a))
        }
        _ => {
            let l = Layout::of(ty).map_err(|e| PinvokeError::InvalidSignature { at: at(), reason: e.to_string() })?;
            Ok((l.size() as usize, l.align() as usize))
        }
    }
}

/// The ABI type of `ty`'s native form passed by value.
pub(crate) fn abi_type(ty: &TypeDesc, charset: CharSet, at: &str) -> Result<AbiType, PinvokeError> {
    Ok(match ty {
        TypeDesc::Prim(p) => match p {
            Prim::I8 => AbiType::I8,
            Prim::U8 => AbiType::U8,
            Prim::I16 => AbiType::I16,
            Prim::U16 => AbiType::U16,
            Prim::I32 => AbiType::I32,
            Prim::U32 => AbiType::U32,
            Prim::I64 => AbiType::I64,
            Prim::U64 => AbiType::U64,
            Prim::F32 => AbiType::F32,
            Prim::F64 => AbiType::F64,
            Prim::ISize | Prim::USize => AbiType::Pointer,
        },
        TypeDesc::Bool(BoolRepr::Win32) | TypeDesc::Error => AbiType::I32,
        TypeDesc::Bool(BoolRepr::VariantBool) => AbiType::I16,
        TypeDesc::Bool(BoolRepr::U1) => AbiType::U8,
        TypeDesc::Bool(BoolRepr::I1) => AbiType::I8,
        TypeDesc::Char(r) if unicode(*r, charset) => AbiType::U16,
        TypeDesc::Char(_) => AbiType::U8,
        TypeDesc::Pointer
        | TypeDesc::FnPtr
        | TypeDesc::String(_)
        | TypeDesc::Interface(_)
        | TypeDesc::LpArray { .. }
        | TypeDesc::SafeArray(_) => AbiType::Pointer,
        TypeDesc::Currency => AbiType::I64,
        TypeDesc::Date => AbiType::F64,
        TypeDesc::Guid => AbiType::Struct(vec![AbiType::U32, AbiType::U16, AbiType::U16, AbiType::U64]),
        TypeDesc::Decimal => AbiType::Struct(vec![AbiType::U16, AbiType::U8, AbiType::U8, AbiType::U32, AbiType::U64]),
        TypeDesc::ByValTStr(n) => {
            let c = if unicode(CharRepr::ByCharSet, charset) { AbiType::U16 } else { AbiType::U8 };
            AbiType::Struct(vec![c; *n as usize])
        }
        TypeDesc::ByValArray { elem, count } => {
            let e = abi_type(elem, charset, at)?;
            AbiType::Struct(vec![e; *count as usize])
        }
        TypeDesc::Struct(s) => {
            let layout =
                Layout::of(ty).map_err(|e| PinvokeError::InvalidSignature { at: at.into(), reason: e.to_string() })?;
            let mut members = Vec::with_capacity(s.fields().len());
            for f in s.fields() {
                members.push(match &f.ty {
                    // Inline arrays are flattened so that libffi classifies each element.
                    TypeDesc::ByValArray { .. } | TypeDesc::ByValTStr(_) => match abi_type(&f.ty, s.charset(), at)? {
                        AbiType::Struct(m) => AbiType::Struct(m),
                        other => other,
                    },
                    other => abi_type(other, s.charset(), at)?,
                });
            }
            let abi = AbiType::Struct(members);
            // libffi lays members out at natural C alignment: refuse what it would get wrong
            // (Pack < natural alignment, explicit offsets, StructLayout.Size padding).
            let (size, align) = abi.size_align();
            let natural = s.kind() == marshal_core::LayoutKind::Sequential
                && size == layout.size() as usize
                && align == layout.align() as usize
                && natural_offsets(&abi) == layout.fields().iter().map(|f| f.offset as usize).collect::<Vec<_>>();
            if !natural {
                return Err(PinvokeError::Unsupported {
                    at: at.into(),
                    what: format!("struct `{}` by value with a non-natural layout", s.name()),
                });
            }
            abi
        }
        TypeDesc::Variant => {
            return Err(PinvokeError::Unsupported { at: at.into(), what: "VARIANT by value".into() });
        }
        TypeDesc::Named(n) => {
            return Err(PinvokeError::InvalidSignature { at: at.into(), reason: format!("unresolved struct `{n}`") })
        }
    })
}

fn natural_offsets(abi: &AbiType) -> Vec<usize> {
    let AbiType::Struct(members) = abi else { return Vec::new() };
    let mut end = 0usize;
    members
        .iter()
        .map(|m| {
            let (s, a) = m.size_align();
            let off = end.div_ceil(a) * a;
            end = off + s;
            off
        })
        .collect()
}

/// Puts `outer` in front of the location of `e` (locations are built only on
/// the error path: a successful call formats nothing).
pub(crate) fn locate(e: PinvokeError, outer: impl FnOnce() -> String) -> PinvokeError {
    match e {
        PinvokeError::ArgumentType { at, expected } => PinvokeError::ArgumentType { at: outer() + &at, expected },
        PinvokeError::NullNotAllowed { at } => PinvokeError::NullNotAllowed { at: outer() + &at },
        PinvokeError::Unsupported { at, what } => PinvokeError::Unsupported { at: outer() + &at, what },
        PinvokeError::BadArraySize { at, count } => PinvokeError::BadArraySize { at: outer() + &at, count },
        PinvokeError::InvalidSignature { at, reason } => PinvokeError::InvalidSignature { at: outer() + &at, reason },
        other => other,
    }
}

fn mismatch(path: &str, expected: impl Into<String>) -> PinvokeError {
    PinvokeError::ArgumentType { at: path.to_string(), expected: expected.into() }
}

fn put(out: &mut [u8], bytes: &[u8]) {
    out[..bytes.len()].copy_from_slice(bytes);
}

fn get<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

pub(crate) fn read_ptr(b: &[u8]) -> usize {
    usize::from_ne_bytes(get(b))
}

pub(crate) fn write_ptr(out: &mut [u8], p: usize) {
    put(out, &p.to_ne_bytes());
}

/// An integer value as i128 (for SizeParamIndex counts and checks).
pub(crate) fn as_count(v: &Value) -> Option<i128> {
    Some(match v {
        Value::I8(x) => *x as i128,
        Value::U8(x) => *x as i128,
        Value::I16(x) => *x as i128,
        Value::U16(x) => *x as i128,
        Value::I32(x) => *x as i128,
        Value::U32(x) => *x as i128,
        Value::I64(x) => *x as i128,
        Value::U64(x) => *x as i128,
        Value::ISize(x) => *x as i128,
        Value::USize(x) => *x as i128,
        _ => return None,
    })
}

/// Allocates the native form of a string; null for `Value::Null`.
pub(crate) fn alloc_string(form: StringRepr, v: &Value, frees: &mut Frees, path: &str) -> Result<usize, PinvokeError> {
    let units = match v {
        Value::Null => return Ok(0),
        Value::Str(u) => u,
        _ => return Err(mismatch(path, "string or null")),
    };
    let oom = || PinvokeError::Ffi("out of memory".into());
    match form {
        StringRepr::LPWStr => {
            let p = alloc::co_task_mem_alloc((units.len() + 1) * 2) as *mut u16;
            if p.is_null() {
                return Err(oom());
            }
            frees.push(Owned::CoTaskMem(p as *mut c_void));
            // SAFETY: p has room for len + 1 units.
            unsafe {
                core::ptr::copy_nonoverlapping(units.as_ptr(), p, units.len());
                *p.add(units.len()) = 0;
            }
            Ok(p as usize)
        }
        StringRepr::BStr => {
            let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            let p = alloc::bstr_alloc_bytes(&bytes);
            if p.is_null() {
                return Err(oom());
            }
            frees.push(Owned::Bstr(p));
            Ok(p as usize)
        }
        StringRepr::AnsiBStr => {
            let p = alloc::bstr_alloc_bytes(&text::utf16_to_utf8(units));
            if p.is_null() {
                return Err(oom());
            }
            frees.push(Owned::Bstr(p));
            Ok(p as usize)
        }
        _ => {
            let bytes = text::utf16_to_utf8(units);
            let p = alloc::co_task_mem_alloc(bytes.len() + 1) as *mut u8;
            if p.is_null() {
                return Err(oom());
            }
            frees.push(Owned::CoTaskMem(p as *mut c_void));
            // SAFETY: p has room for the bytes and the NUL.
            unsafe {
                core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
                *p.add(bytes.len()) = 0;
            }
            Ok(p as usize)
        }
    }
}

/// Reads a native string of `form` at `p` (0 = null).
///
/// # Safety
/// `p` is null or points to a valid string of that form.
pub(crate) unsafe fn read_string(form: StringRepr, p: usize) -> Value {
    if p == 0 {
        return Value::Null;
    }
    match form {
        StringRepr::LPWStr => {
            let s = p as *const u16;
            let mut n = 0;
            // SAFETY: NUL-terminated UTF-16 (caller's contract).
            while unsafe { *s.add(n) } != 0 {
                n += 1;
            }
            // SAFETY: n units are readable.
            Value::Str(unsafe { core::slice::from_raw_parts(s, n) }.to_vec())
        }
        StringRepr::BStr => {
            // SAFETY: a BSTR (caller's contract).
            let bytes = unsafe { alloc::bstr_byte_len(p as *const u16) } as usize;
            let mut units = vec![0u16; bytes / 2];
            // SAFETY: the BSTR has `bytes` readable bytes; an odd last byte is dropped.
            unsafe { core::ptr::copy_nonoverlapping(p as *const u8, units.as_mut_ptr() as *mut u8, units.len() * 2) };
            Value::Str(units)
        }
        _ => {
            // SAFETY: NUL-terminated bytes (LPStr, LPUTF8Str, and AnsiBStr read to the first NUL).
            let c = unsafe { core::ffi::CStr::from_ptr(p as *const core::ffi::c_char) };
            Value::Str(text::utf8_to_utf16(c.to_bytes()))
        }
    }
}

/// Frees a native string of `form` (the callee's, per the ABI).
///
/// # Safety
/// `p` is null or a string of that form from the ABI's allocator, not used afterwards.
pub(crate) unsafe fn free_string(form: StringRepr, p: usize) {
    if p == 0 {
        return;
    }
    match form {
        // SAFETY: the caller's contract.
        StringRepr::BStr | StringRepr::AnsiBStr => unsafe { alloc::bstr_free(p as *mut u16) },
        // SAFETY: the caller's contract.
        _ => unsafe { alloc::co_task_mem_free(p as *mut c_void) },
    }
}

/// Converts `v` to the native form of `ty` in `out` (the slot is at least the
/// native size). Allocations go to `frees`.
pub(crate) fn write(
    ty: &TypeDesc,
    charset: CharSet,
    v: &Value,
    out: &mut [u8],
    frees: &mut Frees,
    path: &str,
) -> Result<(), PinvokeError> {
    match (ty, v) {
        (TypeDesc::Prim(p), v) => write_prim(*p, v, out).ok_or_else(|| mismatch(path, p.clr_name())),
        (TypeDesc::Bool(r), Value::Bool(b)) => {
            match r {
                BoolRepr::Win32 => put(out, &(*b as i32).to_ne_bytes()),
                BoolRepr::VariantBool => put(out, &(if *b { -1i16 } else { 0 }).to_ne_bytes()),
                BoolRepr::U1 | BoolRepr::I1 => out[0] = *b as u8,
            }
            Ok(())
        }
        (TypeDesc::Char(r), Value::Char(c)) => {
            if unicode(*r, charset) {
                put(out, &c.to_ne_bytes());
            } else {
                out[0] = text::ansi_char_byte(*c);
            }
            Ok(())
        }
        (TypeDesc::Error, Value::Error(e) | Value::I32(e)) => {
            put(out, &e.to_ne_bytes());
            Ok(())
        }
        (TypeDesc::Guid, Value::Guid(g)) => {
            put(out, &g.to_bytes());
            Ok(())
        }
        (TypeDesc::Pointer | TypeDesc::FnPtr | TypeDesc::Interface(_), v) => {
            let p = match v {
                Value::Null => 0,
                Value::Pointer(p) | Value::USize(p) => *p as usize,
                Value::ISize(p) => *p as usize,
                _ => return Err(mismatch(path, "pointer or null")),
            };
            write_ptr(out, p);
            Ok(())
        }
        (TypeDesc::String(repr), v) => {
            let p = alloc_string(string_form(*repr, charset), v, frees, path)?;
            write_ptr(out, p);
            Ok(())
        }
        (TypeDesc::ByValTStr(n), v) => {
            let n = *n as usize;
            let units: &[u16] = match v {
                Value::Null => &[],
                Value::Str(u) => u,
                _ => return Err(mismatch(path, "string or null")),
            };
            let keep = &units[..units.len().min(n.saturating_sub(1))];
            if unicode(CharRepr::ByCharSet, charset) {
                out[..n * 2].fill(0);
                for (i, u) in keep.iter().enumerate() {
                    put(&mut out[i * 2..], &u.to_ne_bytes());
                }
            } else {
                let bytes = text::utf16_to_utf8(keep);
                if bytes.len() >= n {
                    // CoreCLR refuses an ANSI ByValTStr whose bytes do not fit with their NUL.
                    return Err(mismatch(path, format!("a string of at most {} UTF-8 bytes", n - 1)));
                }
                out[..n].fill(0);
                put(out, &bytes);
            }
            Ok(())
        }
        (TypeDesc::ByValArray { elem, count }, v) => {
            let (esize, _) = size_align(elem, charset)?;
            let count = *count as usize;
            match v {
                Value::Null => {
                    out[..esize * count].fill(0);
                    Ok(())
                }
                Value::Array(items) if items.len() >= count => {
                    for (i, item) in items.iter().take(count).enumerate() {
                        write(elem, charset, item, &mut out[i * esize..], frees, "")
                            .map_err(|e| locate(e, || format!("{path}[{i}]")))?;
                    }
                    Ok(())
                }
                _ => Err(mismatch(path, format!("an array of at least SizeConst = {count} elements"))),
            }
        }
        (TypeDesc::Struct(s), Value::Struct(fields)) => {
            let layout = Layout::of(ty).map_err(|e| mismatch(path, e.to_string()))?;
            out[..layout.size() as usize].fill(0);
            for (f, fl) in s.fields().iter().zip(layout.fields()) {
                let fpath = || format!("{path}.{}", f.name);
                let fv = fields
                    .iter()
                    .find(|(n, _)| *n == f.name)
                    .map(|(_, v)| v)
                    .ok_or_else(|| mismatch(&fpath(), "a value for this field"))?;
                write(&f.ty, s.charset(), fv, &mut out[fl.offset as usize..], frees, "")
                    .map_err(|e| locate(e, fpath))?;
            }
            Ok(())
        }
        (TypeDesc::Struct(_), Value::Null) => Err(PinvokeError::NullNotAllowed { at: path.into() }),
        (
            TypeDesc::Variant
            | TypeDesc::SafeArray(_)
            | TypeDesc::Decimal
            | TypeDesc::Currency
            | TypeDesc::Date
            | TypeDesc::LpArray { .. }
            | TypeDesc::Named(_),
            _,
        ) => Err(PinvokeError::Unsupported { at: path.into(), what: ty.display_name() }),
        _ => Err(mismatch(path, ty.display_name())),
    }
}

fn write_prim(p: Prim, v: &Value, out: &mut [u8]) -> Option<()> {
    match (p, v) {
        (Prim::I8, Value::I8(x)) => put(out, &x.to_ne_bytes()),
        (Prim::U8, Value::U8(x)) => put(out, &x.to_ne_bytes()),
        (Prim::I16, Value::I16(x)) => put(out, &x.to_ne_bytes()),
        (Prim::U16, Value::U16(x)) => put(out, &x.to_ne_bytes()),
        (Prim::I32, Value::I32(x)) => put(out, &x.to_ne_bytes()),
        (Prim::U32, Value::U32(x)) => put(out, &x.to_ne_bytes()),
        (Prim::I64, Value::I64(x)) => put(out, &x.to_ne_bytes()),
        (Prim::U64, Value::U64(x)) => put(out, &x.to_ne_bytes()),
        (Prim::F32, Value::F32(x)) => put(out, &x.to_ne_bytes()),
        (Prim::F64, Value::F64(x)) => put(out, &x.to_ne_bytes()),
        (Prim::ISize, Value::ISize(x)) => put(out, &(isize::try_from(*x).ok()?).to_ne_bytes()),
        (Prim::USize, Value::USize(x) | Value::Pointer(x)) => put(out, &(usize::try_from(*x).ok()?).to_ne_bytes()),
        (Prim::ISize | Prim::USize, Value::Null) => put(out, &0usize.to_ne_bytes()),
        (Prim::ISize, Value::Pointer(x)) => put(out, &(usize::try_from(*x).ok()?).to_ne_bytes()),
        _ => return None,
    }
    Some(())
}

/// Reads the managed value of `ty` from its native form in `b`.
///
/// # Safety
/// Pointers inside the native form (strings) are null or valid.
pub(crate) unsafe fn read(ty: &TypeDesc, charset: CharSet, b: &[u8], path: &str) -> Result<Value, PinvokeError> {
    Ok(match ty {
        TypeDesc::Prim(p) => match p {
            Prim::I8 => Value::I8(b[0] as i8),
            Prim::U8 => Value::U8(b[0]),
            Prim::I16 => Value::I16(i16::from_ne_bytes(get(b))),
            Prim::U16 => Value::U16(u16::from_ne_bytes(get(b))),
            Prim::I32 => Value::I32(i32::from_ne_bytes(get(b))),
            Prim::U32 => Value::U32(u32::from_ne_bytes(get(b))),
            Prim::I64 => Value::I64(i64::from_ne_bytes(get(b))),
            Prim::U64 => Value::U64(u64::from_ne_bytes(get(b))),
            Prim::F32 => Value::F32(f32::from_ne_bytes(get(b))),
            Prim::F64 => Value::F64(f64::from_ne_bytes(get(b))),
            Prim::ISize => Value::ISize(isize::from_ne_bytes(get(b)) as i64),
            Prim::USize => Value::USize(usize::from_ne_bytes(get(b)) as u64),
        },
        // Any nonzero value is true, for every form (CoreCLR).
        TypeDesc::Bool(r) => Value::Bool(match r {
            BoolRepr::Win32 => i32::from_ne_bytes(get(b)) != 0,
            BoolRepr::VariantBool => i16::from_ne_bytes(get(b)) != 0,
            BoolRepr::U1 | BoolRepr::I1 => b[0] != 0,
        }),
        TypeDesc::Char(r) if unicode(*r, charset) => Value::Char(u16::from_ne_bytes(get(b))),
        TypeDesc::Char(_) => Value::Char(text::ansi_byte_char(b[0])),
        TypeDesc::Error => Value::Error(i32::from_ne_bytes(get(b))),
        TypeDesc::Guid => Value::Guid(marshal_core::Guid::from_bytes(get(b))),
        TypeDesc::Pointer | TypeDesc::FnPtr | TypeDesc::Interface(_) => match read_ptr(b) {
            0 => Value::Null,
            p => Value::Pointer(p as u64),
        },
        // SAFETY: the caller's contract.
        TypeDesc::String(repr) => unsafe { read_string(string_form(*repr, charset), read_ptr(b)) },
        TypeDesc::ByValTStr(n) => {
            let n = *n as usize;
            if unicode(CharRepr::ByCharSet, charset) {
                let units: Vec<u16> =
                    (0..n).map(|i| u16::from_ne_bytes(get(&b[i * 2..]))).take_while(|u| *u != 0).collect();
                Value::Str(units)
            } else {
                let end = b[..n].iter().position(|x| *x == 0).unwrap_or(n);
                Value::Str(text::utf8_to_utf16(&b[..end]))
            }
        }
        TypeDesc::ByValArray { elem, count } => {
            let (esize, _) = size_align(elem, charset)?;
            let mut items = Vec::with_capacity(*count as usize);
            for i in 0..*count as usize {
                // SAFETY: the caller's contract, element by element.
                items.push(
                    unsafe { read(elem, charset, &b[i * esize..], "") }
                        .map_err(|e| locate(e, || format!("{path}[{i}]")))?,
                );
            }
            Value::Array(items)
        }
        TypeDesc::Struct(s) => {
            let layout = Layout::of(ty).map_err(|e| mismatch(path, e.to_string()))?;
            let mut fields = Vec::with_capacity(s.fields().len());
            for (f, fl) in s.fields().iter().zip(layout.fields()) {
                // SAFETY: the caller's contract, field by field.
                let v = unsafe { read(&f.ty, s.charset(), &b[fl.offset as usize..], "") }
                    .map_err(|e| locate(e, || format!("{path}.{}", f.name)))?;
                fields.push((f.name.clone(), v));
            }
            Value::Struct(fields)
        }
        other => return Err(PinvokeError::Unsupported { at: path.into(), what: other.display_name() }),
    })
}

/// Whether a native form of `ty` can own memory that [`release`] frees.
pub(crate) fn owns_memory(ty: &TypeDesc) -> bool {
    match ty {
        TypeDesc::String(_) => true,
        TypeDesc::ByValArray { elem, .. } => owns_memory(elem),
        TypeDesc::Struct(s) => s.fields().iter().any(|f| owns_memory(&f.ty)),
        _ => false,
    }
}

/// Collects the (form, pointer) of every string inside a native form, to tell
/// after a call which are the marshaler's own allocations and which the callee's.
pub(crate) fn string_ptrs(ty: &TypeDesc, charset: CharSet, b: &[u8], out: &mut Vec<(StringRepr, usize)>) {
    match ty {
        TypeDesc::String(repr) => out.push((string_form(*repr, charset), read_ptr(b))),
        TypeDesc::ByValArray { elem, count } if owns_memory(elem) => {
            if let Ok((esize, _)) = size_align(elem, charset) {
                for i in 0..*count as usize {
                    string_ptrs(elem, charset, &b[i * esize..], out);
                }
            }
        }
        TypeDesc::Struct(s) if owns_memory(ty) => {
            if let Ok(layout) = Layout::of(ty) {
                for (f, fl) in s.fields().iter().zip(layout.fields()) {
                    string_ptrs(&f.ty, s.charset(), &b[fl.offset as usize..], out);
                }
            }
        }
        _ => {}
    }
}

/// After a call, settles who owns the strings inside a native form the
/// marshaler had filled (`before`: the pointers it wrote): a pointer the callee
/// replaced is the callee's to free (COM's in/out rule) and is disowned; every
/// pointer the callee put there is freed now (the value has been read).
///
/// # Safety
/// The form's pointers are null, the marshaler's own, or callee allocations
/// from the ABI's allocators.
pub(crate) unsafe fn reconcile(
    ty: &TypeDesc,
    charset: CharSet,
    b: &[u8],
    before: &[(StringRepr, usize)],
    frees: &mut Frees,
) {
    let mut now = Vec::new();
    string_ptrs(ty, charset, b, &mut now);
    now.sort_by_key(|(_, p)| *p);
    now.dedup_by_key(|(_, p)| *p);
    for (_, p) in before {
        if *p != 0 && !now.iter().any(|(_, q)| q == p) {
            frees.disown(*p);
        }
    }
    for (form, p) in now {
        if p != 0 && !frees.owns(p) {
            // SAFETY: the caller's contract: a callee allocation.
            unsafe { free_string(form, p) };
        }
    }
}

pub(crate) const POINTER_SIZE: usize = PTR;
