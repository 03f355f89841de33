//! The oracle's value encoding (`{"t": type, "v": value, …}`, see
//! `oracle/README.md`) to and from the engine's [`marshal_core::value::Value`],
//! guided by the [`TypeDesc`] the value belongs to.

use std::collections::HashMap;

use serde_json::{json, Map, Value as Json};

use marshal_core::types::{Prim, TypeDesc};
use marshal_core::value::Value;
use marshal_core::Guid;

/// Names a [`TypeDesc`] does not keep but the oracle encoding shows: which
/// fields are enums (and of which type), which are C# `fixed` buffers.
#[derive(Debug, Default, Clone)]
pub struct TypeNames {
    /// (struct, field) → enum type name.
    pub enum_fields: HashMap<(String, String), String>,
    /// (struct, field) → fixed-buffer type name (`<buf>__FixedBuffer0`).
    pub fixed_fields: HashMap<(String, String), String>,
    /// The top-level type is a class (`"t": "class"` instead of `"struct"`).
    pub top_is_class: bool,
}

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
        TypeDesc::FnPtr => return Err("a delegate sample has no native function pointer to write".into()),
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
        other => return Err(format!("no oracle value conversion for {}", other.display_name())),
    })
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
        Value::Pointer(p) => json!({"t": "intptr", "v": format!("{p:x}")}),
        Value::Str(u) => string_json(u),
        Value::Array(items) => {
            let elem = match ty {
                TypeDesc::ByValArray { elem, .. } | TypeDesc::LpArray { elem, .. } => (**elem).clone(),
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
