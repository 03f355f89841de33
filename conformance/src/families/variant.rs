//! Mono `variant` section (`mono_variant.jsonl`): `GetNativeVariantForObject` (to_native)
//! and `GetObjectForNativeVariant` (from_native), with CoreCLR's mapping.

use marshal_core::plan::object;
use marshal_core::value::Value as EngineValue;
use marshal_core::variant::{Currency, VariantValue, VARIANT};
use marshal_core::{TypeDesc, VarType, Variant};
use serde_json::{json, Value};

use super::oleaut::{hex, unhex};
use crate::oracle_value::{decimal_from_getbits, json_to_value, object_value, value_to_json, TypeNames};
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
                "System.Runtime.InteropServices.BStrWrapper" => {
                    return Err("BStrWrapper: the input records the wrapper's type name only, not the wrapped \
                                string (it shows only in the outputs bstr_hex/back)"
                        .into())
                }
                "System.Object" => {
                    return Err("a plain managed System.Object: marshaling it makes a COM-callable wrapper of a \
                                managed object, and `back` is that same object again; the engine has no managed \
                                objects (its interfaces are native COM objects)"
                        .into())
                }
                _ => return Err(format!("object of type {ty}: the input records its type name only")),
            }));
        }
        "array" => return Ok(array_variant(input)),
        _ => object_value(input)?,
    };
    Ok(object::to_variant(&value).map_err(|e| format!("{}: {e}", e.clr_exception())))
}

/// The VARTYPE of a managed array element type, as the oracle names it
/// (`elem`), with the field type of its elements.
fn array_element(name: &str) -> Option<(VarType, TypeDesc)> {
    let vt = match name {
        "Object" => VarType::VARIANT,
        "String" => VarType::BSTR,
        "Boolean" => VarType::BOOL,
        "SByte" => VarType::I1,
        "Byte" => VarType::UI1,
        "Int16" => VarType::I2,
        "UInt16" => VarType::UI2,
        "Int32" => VarType::I4,
        "UInt32" => VarType::UI4,
        "Int64" => VarType::I8,
        "UInt64" => VarType::UI8,
        "Single" => VarType::R4,
        "Double" => VarType::R8,
        _ => return None,
    };
    Some((vt, TypeDesc::from_vartype(vt)?))
}

/// The oracle's `{"t": "array", …}` shape: rank, lower bounds and lengths.
fn array_shape(j: &Value) -> Result<(Vec<i64>, Vec<usize>), String> {
    let rank = j.get("rank").and_then(Value::as_u64).ok_or("array without rank")? as usize;
    let count = j.get("v").and_then(Value::as_array).map_or(0, Vec::len);
    if rank == 1 {
        let lbound = j.get("lbound").and_then(Value::as_i64).unwrap_or(0);
        return Ok((vec![lbound], vec![count]));
    }
    let ints = |key: &str| -> Result<Vec<i64>, String> {
        let list = j.get(key).and_then(Value::as_array).ok_or(format!("rank-{rank} array without {key}"))?;
        list.iter().map(|x| x.as_i64().ok_or(format!("bad {key}"))).collect()
    };
    let lbounds = ints("lbounds")?;
    let lengths: Vec<usize> = ints("lengths")?.into_iter().map(|n| n as usize).collect();
    if lbounds.len() != rank || lengths.len() != rank || lengths.iter().product::<usize>() != count {
        return Err("array shape does not match its elements".into());
    }
    Ok((lbounds, lengths))
}

/// Nests row-major leaves (a .NET multi-dimensional array enumerates in row-major
/// order) into one `Value::Array` per dimension.
fn nest(flat: &mut impl Iterator<Item = EngineValue>, lengths: &[usize]) -> EngineValue {
    match lengths {
        [n] => EngineValue::Array(flat.take(*n).collect()),
        [n, rest @ ..] => EngineValue::Array((0..*n).map(|_| nest(flat, rest)).collect()),
        [] => EngineValue::Array(Vec::new()),
    }
}

fn flatten(v: &EngineValue, out: &mut Vec<EngineValue>) {
    match v {
        EngineValue::Array(items) => items.iter().for_each(|x| flatten(x, out)),
        leaf => out.push(leaf.clone()),
    }
}

/// A managed array through `GetNativeVariantForObject` (VT_ARRAY | elem) and
/// `GetObjectForNativeVariant` back (the engine's [`object::array_to_variant`]
/// and [`object::from_variant`]).
fn array_variant(input: &Value) -> Result<Variant, String> {
    let elem_name = input.get("elem").and_then(Value::as_str).ok_or("array without elem")?;
    let (vt, elem) = array_element(elem_name).ok_or(format!("arrays of {elem_name} are not covered"))?;
    let (lbounds, lengths) = array_shape(input)?;
    if lbounds.iter().any(|&b| b != 0) {
        return Err("arrays with non-zero lower bounds have no runtime Value".into());
    }
    let names = TypeNames::default();
    let items = input.get("v").and_then(Value::as_array).ok_or("array without v")?;
    let flat = items.iter().map(|x| json_to_value(x, &elem, &names)).collect::<Result<Vec<_>, _>>()?;
    let value = nest(&mut flat.into_iter(), &lengths);
    object::array_to_variant(vt, lengths.len() as u32, &value).map_err(|e| format!("{}: {e}", e.clr_exception()))
}

/// The oracle encoding of the managed array a VT_ARRAY VARIANT comes back as.
fn array_json(v: &VARIANT) -> Result<Value, String> {
    let elem_vt = v.vt.base();
    let (name, elem) = match elem_vt {
        VarType::VARIANT => ("Object".to_string(), TypeDesc::Variant),
        other => {
            let desc = TypeDesc::from_vartype(other).ok_or(format!("no managed element type for {other:?}"))?;
            let name = array_element_name(other).ok_or(format!("no managed element type for {other:?}"))?;
            (name.to_string(), desc)
        }
    };
    // SAFETY: a VARIANT the engine made, with a valid array.
    let value = unsafe { object::from_variant(v) }.map_err(|e| format!("{}: {e}", e.clr_exception()))?;
    // SAFETY: reading the pointer member of a VT_ARRAY VARIANT.
    let psa = unsafe { v.data.ptr } as *mut marshal_core::safearray::SAFEARRAY;
    // SAFETY: the engine's own valid array, read only.
    let info = unsafe { marshal_core::safearray::validate(psa) }.map_err(|e| e.to_string())?;
    let names = TypeNames::default();
    let mut flat = Vec::new();
    flatten(&value, &mut flat);
    let items: Vec<Value> = flat.iter().map(|x| value_to_json(x, &elem, &names)).collect();
    let bounds = &info.bounds;
    Ok(if bounds.len() == 1 {
        json!({"t": "array", "elem": name, "rank": 1, "lbound": bounds[0].lower, "v": items})
    } else {
        let lbounds: Vec<i64> = bounds.iter().map(|b| b.lower as i64).collect();
        let lengths: Vec<u64> = bounds.iter().map(|b| b.count as u64).collect();
        json!({"t": "array", "elem": name, "rank": bounds.len(), "lbounds": lbounds, "lengths": lengths, "v": items})
    })
}

fn array_element_name(vt: VarType) -> Option<&'static str> {
    [
        "Object", "String", "Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64",
        "Single", "Double",
    ]
    .into_iter()
    .find(|n| array_element(n).is_some_and(|(v, _)| v == vt))
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
    let back = if raw.vt.is_array() { array_json(raw) } else { object_for(raw) };
    match back {
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
        return Err(format!(
            "VT_BYREF|{:?}: input_hex24 has its pointer zeroed and the line records no input for the value it \
             points to (only input_bstr_hex, for a BSTR target)",
            raw.vt.base()
        ));
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
