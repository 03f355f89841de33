//! `pinvoke_signature`: P/Invoke `Signature` validation on random declarations, and calls through a callee
//! that does nothing.
//!
//! Input: struct declarations for parameters to use (as in [`super::struct_from_native`]), then the
//! signature — return type, up to six parameters (form, parameter, passing mode, `[In]`, `[Out]`, formatted
//! class, `SizeParamIndex`), CharSet, calling convention, SetLastError, PreserveSig — then argument values.
//!
//! The callee (on x86_64) is a stub that returns zero in every return register and touches nothing: a real
//! native function of *every* signature that leaves its out-parameters alone. Invariants:
//! - binding validates the whole signature: an invalid one is a typed `PinvokeError`, never a panic;
//! - a call with arguments of the wrong count or type is a typed error before the native call;
//! - after a call, a `ref` argument (In/Out) comes back as its own round trip (numbers, bools, chars and GUIDs
//!   unchanged; UTF-16 and BSTR strings unchanged up to an embedded NUL), an `out` string comes back null;
//! - the return value of a zeroed return register is the zero / null of its type;
//! - everything the marshaler allocated for the call is freed (allocator balanced).

use arbitrary::Unstructured;
use marshal_core::value::Value;
use marshal_core::{CharSet, Guid, StringRepr, TypeDesc, TypeSet};
use marshal_pinvoke::{CallConv, Param, PassBy, Signature};

use super::struct_from_native::{FieldDecl, StructDecl, NAMES};
use crate::{byte, bytes, u16_le, u32_le, u64_le, Guard};

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".globl marshal_fuzz_zero_callee",
    "marshal_fuzz_zero_callee:",
    "xor eax, eax",
    "xor edx, edx",
    "xorps xmm0, xmm0",
    "xorps xmm1, xmm1",
    "ret",
);

#[cfg(target_arch = "x86_64")]
extern "C" {
    fn marshal_fuzz_zero_callee();
}

/// The do-nothing callee (null where no stub exists: binding still validates, calls are skipped).
fn callee() -> *const () {
    #[cfg(target_arch = "x86_64")]
    {
        marshal_fuzz_zero_callee as *const ()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        core::ptr::null()
    }
}

const CONVS: [CallConv; 5] =
    [CallConv::Winapi, CallConv::Cdecl, CallConv::StdCall, CallConv::ThisCall, CallConv::FastCall];

/// Runs one input.
pub fn run(data: &[u8]) {
    let guard = Guard::start();
    {
        let mut u = Unstructured::new(data);
        let mut set = TypeSet::new();
        let nstructs = (byte(&mut u) % 3) as usize;
        for (i, name) in NAMES.iter().enumerate().skip(1).take(nstructs) {
            let (kind, pack, charset, size) = (byte(&mut u), byte(&mut u), byte(&mut u), byte(&mut u));
            let nfields = byte(&mut u) % 6;
            let fields: Vec<FieldDecl> = (0..nfields)
                .map(|_| FieldDecl { form: byte(&mut u), param: byte(&mut u), offset: byte(&mut u) })
                .collect();
            let d = StructDecl { kind, pack, charset, size, fields };
            let mut b = marshal_core::StructBuilder::new(
                name,
                if d.kind & 1 != 0 { marshal_core::LayoutKind::Explicit } else { marshal_core::LayoutKind::Sequential },
            )
            .pack(d.pack as u32)
            .charset([CharSet::Ansi, CharSet::Unicode, CharSet::Auto][d.charset as usize % 3])
            .size(d.size as u32);
            for (j, f) in d.fields.iter().enumerate() {
                let ty = f.to_type(i, nstructs + 1);
                b = if d.kind & 1 != 0 {
                    b.field_at(&format!("f{j}"), f.offset as u32, ty)
                } else {
                    b.field(&format!("f{j}"), ty)
                };
            }
            let _ = set.declare(b);
        }
        let mut ty = |u: &mut Unstructured<'_>| -> TypeDesc {
            let f = FieldDecl { form: byte(u), param: byte(u), offset: 0 };
            let t = f.to_type(0, nstructs + 1);
            set.resolve_desc(t.clone()).unwrap_or(t)
        };
        let ret = if byte(&mut u) % 4 == 0 { None } else { Some(ty(&mut u)) };
        let nparams = byte(&mut u) % 7;
        let mut sig = Signature::new(ret);
        for i in 0..nparams {
            let mut t = ty(&mut u);
            let flags = byte(&mut u);
            if let TypeDesc::LpArray { size_param_index, .. } = &mut t {
                if flags & 0x80 != 0 {
                    *size_param_index = Some(((flags >> 5) & 3) as u16 + (i as u16 & !3));
                }
            }
            let mut p = match flags % 3 {
                0 => Param::new(&format!("p{i}"), t),
                1 => Param::by_ref(&format!("p{i}"), t),
                _ => Param::out(&format!("p{i}"), t),
            };
            p.in_attr = flags & 4 != 0;
            p.out_attr = flags & 8 != 0;
            p.class = flags & 16 != 0;
            sig = sig.param(p);
        }
        let sflags = byte(&mut u);
        sig = sig
            .charset([CharSet::Ansi, CharSet::Unicode, CharSet::Auto][sflags as usize % 3])
            .conv(CONVS[(sflags as usize / 3) % 5])
            .set_last_error(sflags & 0x20 != 0)
            .preserve_sig(sflags & 0x40 == 0);
        let code = callee();
        if code.is_null() {
            return guard.finish();
        }
        // SAFETY: the stub is a function of every signature (it reads nothing and returns zeros).
        let Ok(function) = (unsafe { sig.bind_address(code) }) else {
            return guard.finish();
        };
        if sflags & 0x80 == 0 {
            return guard.finish();
        }
        let mut args: Vec<Value> = Vec::new();
        for p in sig.params.iter().take(function.arity()) {
            args.push(value_for(&p.ty, &mut u, 0));
        }
        consistent_sizes(&sig, &mut args);
        let before = args.clone();
        if let Ok(ret) = function.call(&mut args) {
            check_return(sig.ret.as_ref(), sig.preserve_sig, &ret);
            for (p, (a, b)) in sig.params.iter().zip(before.iter().zip(&args)) {
                check_after_call(p, sig.charset, a, b);
            }
        }
    }
    guard.finish();
}

/// A value of (mostly) the right shape for `ty`.
fn value_for(ty: &TypeDesc, u: &mut Unstructured<'_>, depth: u32) -> Value {
    use marshal_core::Prim;
    let sel = byte(u);
    if sel == 0xFF {
        return Value::Null;
    }
    match ty {
        TypeDesc::Prim(p) => match p {
            Prim::I8 => Value::I8(sel as i8),
            Prim::U8 => Value::U8(sel),
            Prim::I16 => Value::I16(u16_le(u) as i16),
            Prim::U16 => Value::U16(u16_le(u)),
            Prim::I32 => Value::I32(u32_le(u) as i32),
            Prim::U32 => Value::U32(u32_le(u)),
            Prim::I64 => Value::I64(u64_le(u) as i64),
            Prim::U64 => Value::U64(u64_le(u)),
            Prim::F32 => Value::F32(f32::from_bits(u32_le(u))),
            Prim::F64 => Value::F64(f64::from_bits(u64_le(u))),
            Prim::ISize => Value::ISize(u64_le(u) as i64),
            Prim::USize => Value::USize(u64_le(u)),
        },
        TypeDesc::Bool(_) => Value::Bool(sel & 1 != 0),
        TypeDesc::Char(_) => Value::Char(u16_le(u)),
        TypeDesc::Guid => Value::Guid(Guid::from_u128(u64_le(u) as u128)),
        TypeDesc::Error => Value::Error(u32_le(u) as i32),
        TypeDesc::Pointer => Value::Pointer(u64_le(u)),
        TypeDesc::String(_) => {
            let n = (sel % 24) as usize;
            Value::Str(bytes(u, n * 2).chunks(2).map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect())
        }
        TypeDesc::LpArray { elem, .. } if depth < 2 => {
            Value::Array((0..sel % 6).map(|_| value_for(elem, u, depth + 1)).collect())
        }
        TypeDesc::Struct(s) if depth < 3 => {
            Value::Struct(s.fields().iter().map(|f| (f.name.clone(), value_for(&f.ty, u, depth + 1))).collect())
        }
        TypeDesc::ByValArray { elem, count } if depth < 3 => {
            Value::Array((0..*count.min(&16)).map(|_| value_for(elem, u, depth + 1)).collect())
        }
        _ => Value::Null,
    }
}

/// Makes every `SizeParamIndex` count consistent with the array it sizes: a callee that leaves a `ref` array
/// alone hands back the caller's own elements, and a caller that claims more than it passed is lying (the CLR
/// would read past its array too).
fn consistent_sizes(sig: &Signature, args: &mut [Value]) {
    for (i, p) in sig.params.iter().enumerate() {
        let TypeDesc::LpArray { size_const, size_param_index, .. } = &p.ty else { continue };
        let len = match args.get(i) {
            Some(Value::Array(items)) => items.len(),
            _ => 0,
        };
        let room = len.saturating_sub(*size_const as usize) as i64;
        if let Some(k) = size_param_index {
            if let Some(a) = args.get_mut(*k as usize) {
                let resized = match &*a {
                    Value::I8(_) => Value::I8(room.min(i8::MAX as i64) as i8),
                    Value::U8(_) => Value::U8(room.min(u8::MAX as i64) as u8),
                    Value::I16(_) => Value::I16(room as i16),
                    Value::U16(_) => Value::U16(room as u16),
                    Value::I32(_) => Value::I32(room as i32),
                    Value::U32(_) => Value::U32(room as u32),
                    Value::I64(_) => Value::I64(room),
                    Value::U64(_) => Value::U64(room as u64),
                    Value::ISize(_) => Value::ISize(room),
                    Value::USize(_) => Value::USize(room as u64),
                    other => other.clone(),
                };
                *a = resized;
            }
        } else if len < (*size_const as usize).max(1) {
            // Without a count parameter the marshaler reads back SizeConst elements (one when 0).
            if let Some(Value::Array(items)) = args.get_mut(i) {
                let filler = items.first().cloned();
                if let Some(f) = filler {
                    items.resize((*size_const as usize).max(1), f);
                }
            }
        }
    }
}

fn check_return(ret: Option<&TypeDesc>, preserve_sig: bool, value: &Value) {
    let Some(ty) = ret else {
        assert_eq!(value, &Value::Null, "a void function returned {value:?}");
        return;
    };
    let zero = match ty {
        TypeDesc::Prim(_) | TypeDesc::Error => {
            matches!(
                value,
                Value::I8(0)
                    | Value::U8(0)
                    | Value::I16(0)
                    | Value::U16(0)
                    | Value::I32(0)
                    | Value::U32(0)
                    | Value::I64(0)
                    | Value::U64(0)
                    | Value::ISize(0)
                    | Value::USize(0)
                    | Value::Error(0)
            ) || matches!(value, Value::F32(f) if *f == 0.0)
                || matches!(value, Value::F64(f) if *f == 0.0)
        }
        TypeDesc::Bool(_) => *value == Value::Bool(false),
        TypeDesc::Char(_) => *value == Value::Char(0),
        TypeDesc::String(_) => *value == Value::Null,
        _ => true,
    };
    assert!(zero || !preserve_sig && *value == Value::Null, "zeroed return registers read as {value:?} for {ty:?}");
}

fn until_nul(s: &[u16]) -> &[u16] {
    &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())]
}

fn check_after_call(p: &Param, charset: CharSet, before: &Value, after: &Value) {
    let in_out = p.pass == PassBy::Ref && p.in_attr == p.out_attr;
    match (&p.ty, before, after) {
        (TypeDesc::String(_), _, after) if p.pass == PassBy::Out => {
            assert_eq!(after, &Value::Null, "an out string the callee did not set came back as {after:?}")
        }
        (TypeDesc::String(repr), Value::Str(a), after) if in_out => {
            let form = lossless_form(*repr, charset);
            match (form, after) {
                (Some(true), Value::Str(b)) => assert_eq!(b, a, "a ref BSTR changed in a call that did nothing"),
                (Some(false), Value::Str(b)) => {
                    assert_eq!(b.as_slice(), until_nul(a), "a ref UTF-16 string changed in a call that did nothing")
                }
                (None, _) => {}
                (_, other) => panic!("a ref string came back as {other:?}"),
            }
        }
        (
            TypeDesc::Prim(_) | TypeDesc::Error | TypeDesc::Guid | TypeDesc::Char(marshal_core::CharRepr::Utf16),
            a,
            b,
        ) if in_out => {
            assert!(same_bits(a, b), "a ref {:?} changed from {a:?} to {b:?}", p.ty)
        }
        (TypeDesc::Bool(_), a, b) if in_out => assert_eq!(a, b, "a ref bool changed"),
        _ => {}
    }
}

/// `Some(true)`: BSTR (embedded NULs kept); `Some(false)`: NUL-terminated UTF-16; `None`: an 8-bit form.
fn lossless_form(repr: StringRepr, charset: CharSet) -> Option<bool> {
    match repr {
        StringRepr::BStr | StringRepr::TBStr => Some(true),
        StringRepr::LPWStr | StringRepr::LPTStr => Some(false),
        StringRepr::ByCharSet if charset == CharSet::Unicode => Some(false),
        _ => None,
    }
}

fn same_bits(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::F32(x), Value::F32(y)) => x.to_bits() == y.to_bits(),
        (Value::F64(x), Value::F64(y)) => x.to_bits() == y.to_bits(),
        (Value::Error(x), Value::I32(y)) | (Value::I32(x), Value::Error(y)) => x == y,
        (x, y) => x == y,
    }
}
