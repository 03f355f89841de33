//! Mono `variant` section (`mono_variant.jsonl`): `GetNativeVariantForObject` (to_native)
//! and `GetObjectForNativeVariant` (from_native), with CoreCLR's mapping.

use marshal_core::plan::object;
use marshal_core::value::Value as EngineValue;
use marshal_core::variant::{Currency, VariantValue, VARIANT};
use marshal_core::{TypeDesc, VarType, Variant};
use serde_json::{json, Value};

use super::oleaut::{hex, unhex};
use crate::oracle_value::{decimal_from_getbits, object_value, value_to_json, TypeNames};
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

/// `GetObjectForNativeVariant` with CoreCLR's table (the engine's
/// [`object::from_variant`]); `Err` is the exception text.
fn object_for(v: &VARIANT) -> Result<Value, String> {
    // The crafted VARIANTs carry no live interfaces: a non-null one is not rebuildable.
    if matches!(v.vt, VarType::UNKNOWN | VarType::DISPATCH) {
        // SAFETY: reading the pointer member of a fully initialised union.
        if !unsafe { v.data.ptr }.is_null() {
            return Err("System.ArgumentException: the recording holds no live interface".into());
        }
    }
    // SAFETY: the line's VARIANT was rebuilt with valid pointers only.
    match unsafe { object::from_variant(v) } {
        Ok(value) => Ok(value_to_json(&value, &TypeDesc::Variant, &TypeNames::default())),
        Err(e) => Err(format!("{}: {e}", e.clr_exception())),
    }
}

/// `GetNativeVariantForObject` of a line's input value (the engine's
/// [`object::to_variant`]); the inner `Err` is the exception the conversion throws.
fn native_for(input: &Value) -> Result<Result<Variant, String>, String> {
    let t = input.get("t").and_then(Value::as_str).ok_or("input without t")?;
    let value = match t {
        "CurrencyWrapper" => {
            let d = input
                .get("v")
                .and_then(|v| v.get("getbits_hex"))
                .and_then(Value::as_str)
                .and_then(decimal_from_getbits)
                .ok_or("bad CurrencyWrapper")?;
            match Currency::from_clr_decimal(&d) {
                Ok(c) => EngineValue::Currency(c),
                Err(_) => return Ok(Err("System.OverflowException".into())),
            }
        }
        "ErrorWrapper" => EngineValue::Error(input.get("v").and_then(Value::as_i64).ok_or("bad scode")? as i32),
        "enum" => EngineValue::I32(input.get("v").and_then(Value::as_i64).ok_or("bad enum")? as i32),
        "object" => {
            let ty = input.get("type").and_then(Value::as_str).unwrap_or("");
            return Ok(Ok(match ty {
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
            }));
        }
        "array" => return Err("SAFEARRAY-typed VARIANTs belong to the safearray module".into()),
        _ => object_value(input)?,
    };
    Ok(object::to_variant(&value).map_err(|e| format!("{}: {e}", e.clr_exception())))
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
