//! Mono `variant` section (`mono_variant.jsonl`): `GetNativeVariantForObject` (to_native)
//! and `GetObjectForNativeVariant` (from_native), with CoreCLR's mapping.

use marshal_core::variant::{Currency, Date, Decimal, VariantRef, VariantValue, VARIANT};
use marshal_core::{Hresult, VarType, Variant};
use serde_json::{json, Value};

use super::oleaut::{hex, u16_from_hex, unhex};
use crate::outcome::Outcome;

/// Evaluates one line.
pub fn evaluate(line: &Value) -> Outcome {
    let case = line.get("case").and_then(Value::as_str).unwrap_or("");
    let r = if line.get("input").is_some() {
        to_native(line)
    } else if line.get("input_hex24").is_some() {
        from_native(line)
    } else if line.get("hex").is_some() && line.get("result").is_some() {
        many_from_native(line)
    } else {
        Err(format!("line `{case}` describes no marshaling call"))
    };
    match r {
        Ok(o) => o,
        Err(why) => Outcome::unsupported(why),
    }
}

fn err_outcome(text: &str) -> Outcome {
    Outcome { engine_error: Some(text.to_string()), ..Outcome::default() }
}

/// CLR `decimal` from its `GetBits` bytes (lo, mid, hi, flags).
fn decimal_from_getbits(h: &str) -> Result<Decimal, String> {
    let b = unhex(h).ok_or("bad getbits")?;
    if b.len() != 16 {
        return Err("getbits is not 16 bytes".into());
    }
    let w = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mantissa = (w(8) as u128) << 64 | (w(4) as u128) << 32 | w(0) as u128;
    let flags = w(12);
    Decimal::new(mantissa, ((flags >> 16) & 0xFF) as u8, flags >> 31 != 0).map_err(|e| format!("{e:?}"))
}

fn getbits_of(d: &Decimal) -> String {
    let m = d.mantissa();
    let mut b = Vec::with_capacity(16);
    b.extend_from_slice(&(m as u32).to_le_bytes());
    b.extend_from_slice(&((m >> 32) as u32).to_le_bytes());
    b.extend_from_slice(&((m >> 64) as u32).to_le_bytes());
    let flags = (d.scale as u32) << 16 | if d.is_negative() { 1 << 31 } else { 0 };
    b.extend_from_slice(&flags.to_le_bytes());
    hex(&b)
}

/// .NET `decimal.ToString()` (invariant): all `scale` digits kept.
fn clr_decimal_text(d: &Decimal) -> String {
    let digits = d.mantissa().to_string();
    let scale = d.scale as usize;
    let mut s = String::new();
    if d.is_negative() && d.mantissa() != 0 {
        s.push('-');
    }
    if scale == 0 {
        s.push_str(&digits);
    } else {
        let padded = format!("{:0>width$}", digits, width = scale + 1);
        let (i, f) = padded.split_at(padded.len() - scale);
        s.push_str(i);
        s.push('.');
        s.push_str(f);
    }
    s
}

fn clr_decimal(d: &Decimal) -> Value {
    json!({"t": "decimal", "v": clr_decimal_text(d), "getbits_hex": getbits_of(d)})
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn clr_datetime(ticks: i64) -> Value {
    const TICKS_PER_DAY: i64 = 864_000_000_000;
    let days = ticks / TICKS_PER_DAY;
    let rem = ticks % TICKS_PER_DAY;
    // 0001-01-01 is day 0; days_from_civil(0001-01-01) = -719162.
    let (y, m, d) = civil_from_days(days - 719162);
    let secs = rem / 10_000_000;
    let frac = rem % 10_000_000;
    let v = format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}", y, m, d, secs / 3600, secs / 60 % 60, secs % 60, frac);
    json!({"t": "datetime", "v": v, "ticks": ticks, "kind": "Unspecified"})
}

fn clr_string(units: &[u16]) -> Value {
    let u16hex: String = units.iter().map(|u| format!("{u:04x}")).collect();
    match String::from_utf16(units) {
        Ok(s) => json!({"t": "string", "len": units.len(), "u16": u16hex, "well_formed": true, "v": s}),
        Err(_) => json!({"t": "string", "len": units.len(), "u16": u16hex, "well_formed": false}),
    }
}

fn f32_json(x: f32) -> Value {
    json!({"t": "f32", "v": format!("{x}"), "bits": format!("{:08x}", x.to_bits())})
}

fn f64_json(x: f64) -> Value {
    json!({"t": "f64", "v": format!("{x}"), "bits": format!("{:016x}", x.to_bits())})
}

/// `GetObjectForNativeVariant` with CoreCLR's table; `Err` is the exception text.
fn object_for(v: &VARIANT) -> Result<Value, String> {
    // VT_VOID reads as null; CLSID, HRESULT, LPSTR … and a bare VT_VARIANT are errors.
    let vt = v.vt;
    if vt == VarType::VOID {
        return Ok(json!({"t": "null"}));
    }
    // SAFETY: the line's VARIANT was rebuilt with valid pointers only.
    let r = unsafe { VariantRef::new(v) }.map_err(|e| format!("System.ArgumentException: {e}"))?;
    Ok(match r.value() {
        VariantValue::Empty => json!({"t": "null"}),
        VariantValue::Null => json!({"t": "dbnull"}),
        VariantValue::I1(x) => json!({"t": "i8", "v": x}),
        VariantValue::UI1(x) => json!({"t": "u8", "v": x}),
        VariantValue::I2(x) => json!({"t": "i16", "v": x}),
        VariantValue::UI2(x) => json!({"t": "u16", "v": x}),
        VariantValue::I4(x) | VariantValue::Int(x) => json!({"t": "i32", "v": x}),
        VariantValue::UI4(x) | VariantValue::UInt(x) => json!({"t": "u32", "v": x}),
        VariantValue::I8(x) => json!({"t": "i64", "v": x}),
        VariantValue::UI8(x) => json!({"t": "u64", "v": x}),
        VariantValue::R4(x) => f32_json(x),
        VariantValue::R8(x) => f64_json(x),
        VariantValue::Bool(b) => json!({"t": "bool", "v": b}),
        VariantValue::Error(h) if h == Hresult::DISP_E_PARAMNOTFOUND => json!({"t": "missing"}),
        VariantValue::Error(h) => json!({"t": "i32", "v": h.0}),
        VariantValue::Cy(c) => clr_decimal(&clr_from_oa_currency(c)),
        VariantValue::Date(d) => match d.to_clr_ticks() {
            Some(t) => clr_datetime(t),
            None => return Err("System.ArgumentException: not a legal OleAut date".into()),
        },
        VariantValue::Decimal(d) => clr_decimal(&d),
        VariantValue::Bstr(s) => clr_string(s),
        VariantValue::NullBstr => json!({"t": "null"}),
        VariantValue::Unknown(p) | VariantValue::Dispatch(p) if p.is_null() => json!({"t": "null"}),
        VariantValue::Array(_, p) if p.is_null() => json!({"t": "null"}),
        VariantValue::ByRef(..) => {
            let owned = r.raw();
            // SAFETY: BYREF targets were built by this evaluator and are live.
            let inner = unsafe { marshal_core::variant::owned::copy_ind_raw(owned) }
                .map_err(|h| format!("System.ArgumentException: {h:?}"))?;
            // SAFETY: the copy owns its payload.
            let inner = unsafe { Variant::from_raw(inner) }.map_err(|e| e.to_string())?;
            return object_for(inner.as_raw());
        }
        other => return Err(format!("System.ArgumentException: VARIANT type not supported ({other:?})")),
    })
}

/// .NET `decimal.FromOACurrency`: scale 4 with trailing zeros removed.
fn clr_from_oa_currency(c: Currency) -> Decimal {
    let mut m = c.0.unsigned_abs() as u128;
    let mut scale = 4u8;
    while scale > 0 && m != 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    if m == 0 {
        scale = 0;
    }
    Decimal::new(m, scale, c.0 < 0).unwrap_or(Decimal::ZERO)
}

/// .NET `decimal.ToOACurrency`: round half to even at 4 places.
fn clr_to_oa_currency(d: &Decimal) -> Result<Currency, String> {
    let m = d.mantissa() as i128;
    let v = if d.scale <= 4 {
        m * 10i128.pow(4 - d.scale as u32)
    } else {
        let div = 10i128.pow(d.scale as u32 - 4);
        let q = m / div;
        let r = m % div;
        if r * 2 > div || (r * 2 == div && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    let v = if d.is_negative() { -v } else { v };
    i64::try_from(v).map(Currency).map_err(|_| "System.OverflowException".into())
}

/// `GetNativeVariantForObject` of a line's input value.
fn native_for(input: &Value) -> Result<Result<Variant, String>, String> {
    let t = input.get("t").and_then(Value::as_str).ok_or("input without t")?;
    let num = |k: &str| input.get(k).cloned().unwrap_or(Value::Null);
    let v = num("v");
    Ok(Ok(match t {
        "null" => Variant::empty(),
        "dbnull" => Variant::null(),
        "missing" => Variant::error(Hresult::DISP_E_PARAMNOTFOUND),
        "bool" => Variant::from(v.as_bool().ok_or("bad bool")?),
        "i8" => Variant::from(v.as_i64().ok_or("bad i8")? as i8),
        "u8" => Variant::from(v.as_u64().ok_or("bad u8")? as u8),
        "i16" => Variant::from(v.as_i64().ok_or("bad i16")? as i16),
        "u16" | "char" => Variant::from(v.as_u64().ok_or("bad u16")? as u16),
        "i32" => Variant::from(v.as_i64().ok_or("bad i32")? as i32),
        "u32" => Variant::from(v.as_u64().ok_or("bad u32")? as u32),
        "i64" => Variant::from(v.as_i64().ok_or("bad i64")?),
        "u64" => Variant::from(v.as_u64().ok_or("bad u64")?),
        "enum" => Variant::from(v.as_i64().ok_or("bad enum")? as i32),
        "f32" => {
            let bits = u32::from_str_radix(input.get("bits").and_then(Value::as_str).ok_or("no bits")?, 16)
                .map_err(|e| e.to_string())?;
            Variant::from(f32::from_bits(bits))
        }
        "f64" => {
            let bits = u64::from_str_radix(input.get("bits").and_then(Value::as_str).ok_or("no bits")?, 16)
                .map_err(|e| e.to_string())?;
            Variant::from(f64::from_bits(bits))
        }
        "string" => {
            let units = u16_from_hex(input.get("u16").and_then(Value::as_str).ok_or("no u16")?).ok_or("bad u16")?;
            Variant::from_utf16(&units).map_err(|e| format!("{e:?}"))?
        }
        "decimal" => {
            Variant::from(decimal_from_getbits(input.get("getbits_hex").and_then(Value::as_str).ok_or("no getbits")?)?)
        }
        "datetime" => {
            let ticks = input.get("ticks").and_then(Value::as_i64).ok_or("no ticks")?;
            match Date::from_clr_ticks(ticks) {
                Some(d) => Variant::from(d),
                None => return Ok(Err("System.OverflowException".into())),
            }
        }
        "intptr" | "uintptr" => {
            let x = i64::from_str_radix(v.as_str().ok_or("bad intptr")?, 16).map_err(|e| e.to_string())?;
            let mut raw = VARIANT::with_vt(if t == "intptr" { VarType::INT } else { VarType::UINT });
            raw.data.i32_ = x as i32;
            // SAFETY: a scalar VARIANT.
            unsafe { Variant::from_raw(raw) }.map_err(|e| e.to_string())?
        }
        "CurrencyWrapper" => {
            let d = decimal_from_getbits(v.get("getbits_hex").and_then(Value::as_str).ok_or("no getbits")?)?;
            match clr_to_oa_currency(&d) {
                Ok(c) => Variant::from(c),
                Err(e) => return Ok(Err(e)),
            }
        }
        "ErrorWrapper" => Variant::error(Hresult(v.as_i64().ok_or("bad scode")? as i32)),
        "object" => {
            let ty = input.get("type").and_then(Value::as_str).unwrap_or("");
            match ty {
                // The wrappers of the oracle wrap null (the line does not record the wrapped object).
                "System.Runtime.InteropServices.UnknownWrapper" => {
                    // SAFETY: null interface pointer.
                    unsafe { Variant::from_unknown(core::ptr::null_mut()) }
                }
                "System.Runtime.InteropServices.DispatchWrapper" => {
                    // SAFETY: null interface pointer.
                    unsafe { Variant::from_dispatch(core::ptr::null_mut()) }
                }
                "System.Runtime.InteropServices.VariantWrapper" => {
                    return Ok(Err("System.ArgumentException: VariantWrapper is not supported".into()))
                }
                _ => return Err(format!("object of type {ty}: its value is not recorded")),
            }
        }
        "guid" => return Ok(Err("System.ArgumentException: structs cannot be marshaled as VARIANT".into())),
        "array" => return Err("SAFEARRAY-typed VARIANTs belong to the safearray module".into()),
        other => return Err(format!("input type {other} not covered")),
    }))
}

fn to_native(line: &Value) -> Result<Outcome, String> {
    let input = line.get("input").ok_or("no input")?;
    let v = match native_for(input)? {
        Ok(v) => v,
        Err(e) => return Ok(err_outcome(&e)),
    };
    let mut o = Outcome::default();
    let raw = v.as_raw();
    let mut bytes = raw.to_bytes().to_vec();
    bytes.resize(24, 0);
    let is_ptr = raw.vt == VarType::BSTR
        || raw.vt == VarType::UNKNOWN
        || raw.vt == VarType::DISPATCH
        || raw.vt.is_byref()
        || raw.vt.is_array();
    if is_ptr {
        bytes[8..16].iter_mut().for_each(|b| *b = 0);
    }
    o.set("hex24", hex(&bytes));
    o.set("vt", raw.vt.0);
    o.set("payload_is_pointer", is_ptr);
    o.set("bytes_24_31_untouched", true);
    if let VariantValue::Bstr(s) = v.value() {
        let mut b = ((s.len() * 2) as u32).to_le_bytes().to_vec();
        for u in s {
            b.extend_from_slice(&u.to_le_bytes());
        }
        b.extend_from_slice(&[0, 0]);
        o.set("bstr_hex", hex(&b));
    }
    match object_for(raw) {
        Ok(back) => o.set("back", back),
        Err(e) => o.set("back_error", e),
    }
    Ok(o)
}

/// Rebuilds the crafted VARIANT of a from_native line. Returns the VARIANT and the storage
/// its pointers point into (kept alive by the caller).
/// A crafted VARIANT with the BSTRs and BYREF cells its pointers refer to.
type Crafted = (VARIANT, Vec<Variant>, Vec<Box<*mut u16>>);

fn crafted(line: &Value, hex_key: &str) -> Result<Crafted, String> {
    let bytes = unhex(line.get(hex_key).and_then(Value::as_str).ok_or("no hex")?).ok_or("bad hex")?;
    let mut b = [0u8; core::mem::size_of::<VARIANT>()];
    let n = b.len().min(bytes.len());
    b[..n].copy_from_slice(&bytes[..n]);
    let mut raw = VARIANT::from_bytes(&b);
    let mut keep = Vec::new();
    if marshal_core::variant::validate_vartype(raw.vt).is_err() {
        return Ok((raw, keep, Vec::new()));
    }
    let mut boxes = Vec::new();
    if let Some(bh) = line.get("input_bstr_hex").and_then(Value::as_str) {
        let bb = unhex(bh).ok_or("bad bstr hex")?;
        if bb.len() < 6 {
            return Err("short BSTR dump".into());
        }
        let len = u32::from_le_bytes([bb[0], bb[1], bb[2], bb[3]]) as usize;
        let units: Vec<u16> = bb[4..4 + len].chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        let s = Variant::from_utf16(&units).map_err(|e| format!("{e:?}"))?;
        // SAFETY: reading the BSTR pointer of the engine's own VT_BSTR Variant.
        let p = unsafe { s.as_raw().data.ptr } as *mut u16;
        keep.push(s);
        if raw.vt.is_byref() {
            let mut bx = Box::new(p);
            raw.data.ptr = &mut *bx as *mut *mut u16 as *mut core::ffi::c_void;
            boxes.push(bx);
        } else {
            raw.data.ptr = p as *mut core::ffi::c_void;
        }
    } else if raw.vt.is_byref() {
        return Err("the line does not record what the BYREF VARIANT points to".into());
    } else if raw.vt == VarType::BSTR {
        raw.data.ptr = core::ptr::null_mut();
    }
    Ok((raw, keep, boxes))
}

fn from_native(line: &Value) -> Result<Outcome, String> {
    let (raw, _keep, _boxes) = crafted(line, "input_hex24")?;
    Ok(match object_for(&raw) {
        Ok(v) => {
            let mut o = Outcome::default();
            o.set("result", v);
            o
        }
        Err(e) => {
            let mut o = err_outcome(&e);
            o.set("error", e);
            o
        }
    })
}

fn many_from_native(line: &Value) -> Result<Outcome, String> {
    let bytes = unhex(line.get("hex").and_then(Value::as_str).ok_or("no hex")?).ok_or("bad hex")?;
    let size = core::mem::size_of::<VARIANT>();
    let mut items = Vec::new();
    for chunk in bytes.chunks(size) {
        if chunk.len() != size {
            return Err("partial VARIANT".into());
        }
        let mut b = [0u8; core::mem::size_of::<VARIANT>()];
        b.copy_from_slice(chunk);
        let raw = VARIANT::from_bytes(&b);
        if raw.vt == VarType::BSTR || raw.vt.is_byref() {
            return Err("pointer payloads are not recorded".into());
        }
        items.push(object_for(&raw).map_err(|e| e.to_string())?);
    }
    let mut o = Outcome::default();
    o.set("hex", line.get("hex").cloned().unwrap_or(Value::Null));
    o.set("result", json!({"t": "array", "elem": "Object", "rank": 1, "lbound": 0, "v": items}));
    Ok(o)
}
