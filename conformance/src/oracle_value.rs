//! The oracle's value encoding (`{"t": type, "v": value, …}`, see
//! `oracle/README.md`) to and from the engine's [`marshal_core::value::Value`],
//! guided by the [`TypeDesc`] the value belongs to.

use std::collections::HashMap;

use serde_json::{json, Map, Value as Json};

use marshal_core::types::{Prim, TypeDesc};
use marshal_core::value::{DateTime, Value};
use marshal_core::variant::Decimal;
use marshal_core::{Guid, VarType};

/// Names a [`TypeDesc`] does not keep but the oracle encoding shows: which
/// fields are enums (and of which type), which are C# `fixed` buffers.
#[derive(Debug, Default, Clone)]
pub struct TypeNames {
    /// (struct, field) → enum type name.
    pub enum_fields: HashMap<(String, String), String>,
    /// (struct, field) → fixed-buffer type name (`<buf>__FixedBuffer0`).
    pub fixed_fields: HashMap<(String, String), String>,
    /// (struct, field) → delegate type name (function-pointer fields).
    pub delegate_fields: HashMap<(String, String), String>,
    /// The top-level type is a class (`"t": "class"` instead of `"struct"`).
    pub top_is_class: bool,
}

/// The code address a `{"t": "delegate"}` sample stands for: a real function
/// (the runner never calls it), so the native field is non-null as in the recording.
pub extern "C" fn delegate_stand_in() {}

fn tag(p: Prim) -> &'static str {
    match p {
        Prim::I8 => "i8",
        Prim::U8 => "u8",
        Prim::I16 => "i16",
        Prim::U16 => "u16",
        Prim::I32 => "i32",
        Prim::U32 => "u32",
        Prim::I64 => "i64",
        Prim::U64 => "u64",
        Prim::F32 => "f32",
        Prim::F64 => "f64",
        Prim::ISize => "intptr",
        Prim::USize => "uintptr",
    }
}

/// Converts an oracle value of type `ty` to an engine value.
pub fn json_to_value(j: &Json, ty: &TypeDesc, names: &TypeNames) -> Result<Value, String> {
    to_value(j, ty, names, None)
}

fn to_value(j: &Json, ty: &TypeDesc, names: &TypeNames, ctx: Option<(&str, &str)>) -> Result<Value, String> {
    let t = j.get("t").and_then(Json::as_str).unwrap_or("");
    let v = j.get("v");
    let bad = || format!("value {j} does not fit {}", ty.display_name());
    Ok(match ty {
        TypeDesc::Prim(p @ (Prim::F32 | Prim::F64)) if t == tag(*p) => float_value(*p, j).ok_or_else(bad)?,
        TypeDesc::Prim(p) => prim_value(*p, t, v).ok_or_else(bad)?,
        TypeDesc::Bool(_) => Value::Bool(v.and_then(Json::as_bool).ok_or_else(bad)?),
        TypeDesc::Char(_) => Value::Char(v.and_then(Json::as_u64).and_then(|c| u16::try_from(c).ok()).ok_or_else(bad)?),
        TypeDesc::Guid => Value::Guid(v.and_then(Json::as_str).and_then(|s| s.parse::<Guid>().ok()).ok_or_else(bad)?),
        TypeDesc::Error => Value::Error(v.and_then(Json::as_i64).ok_or_else(bad)? as i32),
        TypeDesc::FnPtr | TypeDesc::Pointer if t == "null" => Value::Null,
        TypeDesc::FnPtr if t == "delegate" => Value::Pointer(delegate_stand_in as *const () as usize as u64),
        TypeDesc::FnPtr => return Err(format!("function pointer value {j} is not covered")),
        TypeDesc::ByValArray { .. } if t == "null" => Value::Null,
        TypeDesc::ByValArray { elem, .. } => {
            if ctx.is_some_and(|(s, f)| names.fixed_fields.contains_key(&(s.to_string(), f.to_string()))) {
                return Err("a fixed buffer's sample shows element 0 only".into());
            }
            let items = v.and_then(Json::as_array).ok_or_else(bad)?;
            Value::Array(items.iter().map(|x| to_value(x, elem, names, None)).collect::<Result<_, _>>()?)
        }
        TypeDesc::Struct(s) => {
            let fields = j.get("fields").and_then(Json::as_object).ok_or_else(bad)?;
            let mut out = Vec::with_capacity(s.fields().len());
            for f in s.fields() {
                let fj = fields.get(&*f.name).ok_or_else(|| format!("sample lacks field {}", f.name))?;
                out.push((f.name.clone(), to_value(fj, &f.ty, names, Some((s.name(), &f.name)))?));
            }
            Value::Struct(out)
        }
        TypeDesc::String(_) | TypeDesc::ByValTStr(_) => match t {
            "null" => Value::Null,
            "string" => Value::Str(u16_units(j.get("u16").and_then(Json::as_str).ok_or_else(bad)?).ok_or_else(bad)?),
            _ => return Err(bad()),
        },
        TypeDesc::Decimal | TypeDesc::Currency => match t {
            "decimal" => Value::Decimal(decimal_from_json(j).ok_or_else(bad)?),
            _ => return Err(bad()),
        },
        TypeDesc::Date => match t {
            "datetime" => Value::DateTime(DateTime { ticks: j.get("ticks").and_then(Json::as_i64).ok_or_else(bad)? }),
            _ => return Err(bad()),
        },
        TypeDesc::Variant => object_value(j)?,
        TypeDesc::SafeArray(_) if t == "null" => Value::Null,
        TypeDesc::SafeArray(vt) => {
            let elem = safearray_element(*vt).ok_or_else(bad)?;
            let items = v.and_then(Json::as_array).ok_or_else(bad)?;
            Value::Array(items.iter().map(|x| to_value(x, &elem, names, None)).collect::<Result<_, _>>()?)
        }
        TypeDesc::Interface(_) if t == "null" => Value::Null,
        other => return Err(format!("no oracle value conversion for {}", other.display_name())),
    })
}

/// The field type a SAFEARRAY element of `vt` has in a managed array.
fn safearray_element(vt: VarType) -> Option<TypeDesc> {
    if vt == VarType::EMPTY {
        return Some(TypeDesc::Variant);
    }
    TypeDesc::from_vartype(vt)
}

/// An `object` (what a VARIANT holds) from the oracle encoding of any managed value.
pub fn object_value(j: &Json) -> Result<Value, String> {
    let t = j.get("t").and_then(Json::as_str).unwrap_or("");
    let v = j.get("v");
    let bad = || format!("object value {j} is not covered");
    let prim = |p: Prim| prim_value(p, t, v).ok_or_else(bad);
    Ok(match t {
        "null" => Value::Null,
        "dbnull" => Value::DbNull,
        "missing" => Value::Missing,
        "bool" => Value::Bool(v.and_then(Json::as_bool).ok_or_else(bad)?),
        "char" => Value::Char(v.and_then(Json::as_u64).and_then(|c| u16::try_from(c).ok()).ok_or_else(bad)?),
        "enum" => prim(Prim::I32)?,
        "i8" => prim(Prim::I8)?,
        "u8" => prim(Prim::U8)?,
        "i16" => prim(Prim::I16)?,
        "u16" => prim(Prim::U16)?,
        "i32" => prim(Prim::I32)?,
        "u32" => prim(Prim::U32)?,
        "i64" => prim(Prim::I64)?,
        "u64" => prim(Prim::U64)?,
        "intptr" => prim(Prim::ISize)?,
        "uintptr" => prim(Prim::USize)?,
        "f32" => float_value(Prim::F32, j).ok_or_else(bad)?,
        "f64" => float_value(Prim::F64, j).ok_or_else(bad)?,
        "string" => Value::Str(u16_units(j.get("u16").and_then(Json::as_str).ok_or_else(bad)?).ok_or_else(bad)?),
        "decimal" => Value::Decimal(decimal_from_json(j).ok_or_else(bad)?),
        "datetime" => Value::DateTime(DateTime { ticks: j.get("ticks").and_then(Json::as_i64).ok_or_else(bad)? }),
        "guid" => Value::Guid(v.and_then(Json::as_str).and_then(|s| s.parse::<Guid>().ok()).ok_or_else(bad)?),
        _ => return Err(bad()),
    })
}

/// A .NET `decimal` from its `GetBits` bytes (lo, mid, hi, flags; little-endian
/// words): the same 16 bytes as a DECIMAL reordered (flags, hi, lo, mid).
pub fn decimal_from_getbits(h: &str) -> Option<Decimal> {
    let b = unhex(h)?;
    if b.len() != 16 {
        return None;
    }
    let mut native = [0u8; 16];
    native[0..4].copy_from_slice(&b[12..16]);
    native[4..8].copy_from_slice(&b[8..12]);
    native[8..12].copy_from_slice(&b[0..4]);
    native[12..16].copy_from_slice(&b[4..8]);
    Some(Decimal::from_bytes(native))
}

fn decimal_from_json(j: &Json) -> Option<Decimal> {
    decimal_from_getbits(j.get("getbits_hex")?.as_str()?)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// `decimal.GetBits` as the oracle's hex (lo, mid, hi, flags), from the 16 bytes as they are.
pub fn getbits_hex(d: &Decimal) -> String {
    let n = d.to_bytes();
    let mut b = Vec::with_capacity(16);
    b.extend_from_slice(&n[8..12]);
    b.extend_from_slice(&n[12..16]);
    b.extend_from_slice(&n[4..8]);
    b.extend_from_slice(&n[0..4]);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// .NET `decimal.ToString()` (invariant): all `scale` digits kept.
pub fn clr_decimal_text(d: &Decimal) -> String {
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

/// The oracle encoding of a `decimal`.
pub fn decimal_json(d: &Decimal) -> Json {
    json!({"t": "decimal", "v": clr_decimal_text(d), "getbits_hex": getbits_hex(d)})
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

/// The oracle encoding of a `DateTime` (ISO text, ticks, `Unspecified`).
pub fn datetime_json(ticks: i64) -> Json {
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

fn prim_value(p: Prim, t: &str, v: Option<&Json>) -> Option<Value> {
    if t != tag(p) && t != "enum" {
        return None;
    }
    let v = v?;
    Some(match p {
        Prim::I8 => Value::I8(i8::try_from(v.as_i64()?).ok()?),
        Prim::U8 => Value::U8(u8::try_from(v.as_u64()?).ok()?),
        Prim::I16 => Value::I16(i16::try_from(v.as_i64()?).ok()?),
        Prim::U16 => Value::U16(u16::try_from(v.as_u64()?).ok()?),
        Prim::I32 => Value::I32(i32::try_from(v.as_i64()?).ok()?),
        Prim::U32 => Value::U32(u32::try_from(v.as_u64()?).ok()?),
        Prim::I64 => Value::I64(v.as_i64()?),
        Prim::U64 => Value::U64(v.as_u64()?),
        Prim::F32 | Prim::F64 => return None, // floats come with their bits: see float_value
        Prim::ISize => Value::ISize(u64::from_str_radix(v.as_str()?, 16).ok()? as i64),
        Prim::USize => Value::USize(u64::from_str_radix(v.as_str()?, 16).ok()?),
    })
}

/// UTF-16 units from the oracle's 4-hex-digits-per-unit encoding.
pub fn u16_units(hex: &str) -> Option<Vec<u16>> {
    if hex.len() % 4 != 0 {
        return None;
    }
    (0..hex.len()).step_by(4).map(|i| u16::from_str_radix(hex.get(i..i + 4)?, 16).ok()).collect()
}

/// The oracle's string encoding of UTF-16 units.
pub fn string_json(units: &[u16]) -> Json {
    let mut m = Map::new();
    m.insert("t".into(), "string".into());
    m.insert("len".into(), units.len().into());
    m.insert("u16".into(), units.iter().map(|u| format!("{u:04x}")).collect::<String>().into());
    match String::from_utf16(units) {
        Ok(s) => {
            m.insert("well_formed".into(), true.into());
            m.insert("v".into(), s.into());
        }
        Err(_) => {
            m.insert("well_formed".into(), false.into());
        }
    }
    Json::Object(m)
}

/// Converts an engine value of type `ty` to the oracle encoding.
pub fn value_to_json(v: &Value, ty: &TypeDesc, names: &TypeNames) -> Json {
    let mut j = to_json(v, ty, names, None);
    if names.top_is_class {
        if let Some(m) = j.as_object_mut() {
            m.insert("t".into(), "class".into());
        }
    }
    j
}

fn elem_name(ty: &TypeDesc) -> String {
    match ty {
        TypeDesc::Prim(p) => p.clr_name().to_string(),
        TypeDesc::Bool(_) => "Boolean".into(),
        TypeDesc::Char(_) => "Char".into(),
        TypeDesc::String(_) | TypeDesc::ByValTStr(_) => "String".into(),
        TypeDesc::Struct(s) => s.name().to_string(),
        TypeDesc::Guid => "Guid".into(),
        TypeDesc::Decimal | TypeDesc::Currency => "Decimal".into(),
        TypeDesc::Date => "DateTime".into(),
        other => other.display_name(),
    }
}

fn to_json(v: &Value, ty: &TypeDesc, names: &TypeNames, ctx: Option<(&str, &str)>) -> Json {
    let key = ctx.map(|(s, f)| (s.to_string(), f.to_string()));
    if let (Some(k), Value::Array(items)) = (&key, v) {
        if let (Some(buf), TypeDesc::ByValArray { elem, .. }) = (names.fixed_fields.get(k), ty) {
            // C# shows a fixed buffer as a struct holding its first element.
            let first = items.first().map(|x| to_json(x, elem, names, None)).unwrap_or(Json::Null);
            return json!({"t": "struct", "type": buf, "fields": {"FixedElementField": first}});
        }
    }
    match v {
        Value::Null => json!({"t": "null"}),
        Value::Bool(b) => json!({"t": "bool", "v": b}),
        Value::Char(c) => json!({"t": "char", "v": c}),
        Value::F32(x) => json!({"t": "f32", "v": x.to_string(), "bits": format!("{:08x}", x.to_bits())}),
        Value::F64(x) => json!({"t": "f64", "v": x.to_string(), "bits": format!("{:016x}", x.to_bits())}),
        Value::ISize(x) => json!({"t": "intptr", "v": format!("{:x}", *x as u64)}),
        Value::USize(x) => json!({"t": "uintptr", "v": format!("{x:x}")}),
        Value::Guid(g) => {
            let s = g.to_string().to_lowercase();
            json!({"t": "guid", "v": s.trim_matches(|c| c == '{' || c == '}')})
        }
        Value::Error(e) => json!({"t": "i32", "v": e}),
        Value::Pointer(_) if matches!(ty, TypeDesc::FnPtr) => {
            let name = key.as_ref().and_then(|k| names.delegate_fields.get(k)).cloned().unwrap_or_default();
            json!({"t": "delegate", "type": name})
        }
        Value::Pointer(p) => json!({"t": "intptr", "v": format!("{p:x}")}),
        Value::Decimal(d) => decimal_json(d),
        Value::Currency(c) => json!({"t": "CurrencyWrapper", "v": decimal_json(&Decimal::from_clr_currency(*c))}),
        Value::DateTime(t) => datetime_json(t.ticks),
        Value::DbNull => json!({"t": "dbnull"}),
        Value::Missing => json!({"t": "missing"}),
        Value::Interface(_) => json!({"t": "object", "type": "System.__ComObject"}),
        Value::Str(u) => string_json(u),
        Value::Array(items) => {
            let elem = match ty {
                TypeDesc::ByValArray { elem, .. } | TypeDesc::LpArray { elem, .. } => (**elem).clone(),
                TypeDesc::SafeArray(vt) => safearray_element(*vt).unwrap_or(TypeDesc::Variant),
                _ => TypeDesc::Pointer,
            };
            let vs: Vec<Json> = items.iter().map(|x| to_json(x, &elem, names, None)).collect();
            json!({"t": "array", "elem": elem_name(&elem), "rank": 1, "lbound": 0, "v": vs})
        }
        Value::Struct(fields) => {
            let (name, descs) = match ty {
                TypeDesc::Struct(s) => (s.name().to_string(), Some(s)),
                _ => (String::new(), None),
            };
            let mut m = Map::new();
            for (fname, fv) in fields {
                let fty = descs
                    .and_then(|s| s.fields().iter().find(|f| f.name == *fname))
                    .map(|f| f.ty.clone())
                    .unwrap_or(TypeDesc::Pointer);
                m.insert(fname.to_string(), to_json(fv, &fty, names, Some((&name, fname))));
            }
            json!({"t": "struct", "type": name, "fields": m})
        }
        scalar => {
            let (t, n): (&str, Json) = match scalar {
                Value::I8(x) => ("i8", (*x).into()),
                Value::U8(x) => ("u8", (*x).into()),
                Value::I16(x) => ("i16", (*x).into()),
                Value::U16(x) => ("u16", (*x).into()),
                Value::I32(x) => ("i32", (*x).into()),
                Value::U32(x) => ("u32", (*x).into()),
                Value::I64(x) => ("i64", (*x).into()),
                Value::U64(x) => ("u64", (*x).into()),
                _ => ("unknown", Json::Null),
            };
            match key.as_ref().and_then(|k| names.enum_fields.get(k)) {
                Some(e) => json!({"t": "enum", "type": e, "v": n}),
                None => json!({"t": t, "v": n}),
            }
        }
    }
}

/// Floats in the oracle encoding carry their bits as big-endian hex.
pub fn float_value(p: Prim, j: &Json) -> Option<Value> {
    let bits = j.get("bits")?.as_str()?;
    match p {
        Prim::F32 => Some(Value::F32(f32::from_bits(u32::from_str_radix(bits, 16).ok()?))),
        Prim::F64 => Some(Value::F64(f64::from_bits(u64::from_str_radix(bits, 16).ok()?))),
        _ => None,
    }
}
