//! `mono_layout.jsonl` (section `layout`): one struct sample per line.
//!
//! The struct's [`TypeDesc`] is rebuilt from the line alone: its own `layout`,
//! `pack`, `charset`, `size_attr` and `fields` (nested fields appear as
//! `inner.x` paths), and the `types` block (nested struct attributes, enum
//! underlying types, ByValArray `array_sub_type`, `fixed` buffers). Offsets are
//! computed, never read from the line, except Explicit layout's declared
//! `FieldOffset`s, which are the declaration itself.
//!
//! Outputs: `size` / `size_error`, `fields` (the recorded field descriptors with
//! the engine's offsets), `type_load_error`; and for blittable structs the bytes
//! (`hex`, `hex_cc`, `overrun`, `overrun_cc`, `pattern_hex`) and the read-backs
//! (`roundtrip`, `from_pattern`).

use serde_json::{json, Map, Value};

use marshal_core::layout::Target;
use marshal_core::plan::Plan;
use marshal_core::strings::NativeStringKind;
use marshal_core::types::{
    BoolRepr, CharRepr, CharSet, LayoutKind, Prim, StringRepr, StructBuilder, TypeDesc, TypeSet,
};
use marshal_core::{InterfaceKind, Layout, LayoutError, VarType};

use crate::oracle_value::{json_to_value, value_to_json, TypeNames};
use crate::outcome::Outcome;

/// The line's own inputs beyond the common ones.
pub const INPUTS: &[&str] = &["type", "sample_index", "is_class", "layout", "pack", "charset", "size_attr"];

const TARGET: Target = Target::UNIX_64;

/// Evaluates one layout line.
pub fn evaluate(line: &Value) -> Outcome {
    // A recording that crashed keeps the case's inputs in `partial`; the line's own
    // fields (with `expected`'s corrections applied by the runner) win over them.
    let merged;
    let line = match (line.get("type"), line.get("partial").and_then(Value::as_object)) {
        (None, Some(partial)) => {
            let mut m = partial.clone();
            for (k, v) in line.as_object().into_iter().flatten() {
                m.insert(k.clone(), v.clone());
            }
            merged = Value::Object(m);
            &merged
        }
        _ => line,
    };
    let Some(type_name) = line.get("type").and_then(Value::as_str) else {
        return Outcome::unsupported("layout: line describes no type");
    };
    if line.get("fields").is_none() {
        return Outcome::unsupported("layout: line records no fields (the type did not load in the recording)");
    }
    let mut out = Outcome::default();
    let names_init = TypeNames {
        top_is_class: line.get("is_class").and_then(Value::as_bool).unwrap_or(false),
        ..TypeNames::default()
    };
    let mut names = names_init;
    // A generic instantiation: CoreCLR lays it out (OffsetOf answers) but refuses
    // to marshal it (SizeOf / StructureToPtr throw ArgumentException).
    let generic = type_name.contains(['<', '`']);
    let built = build_type(line, type_name, &mut names);
    let ty = match built {
        Ok(ty) => ty,
        Err(BuildError::Refused(e)) => {
            out.engine_error = Some(e.clone());
            out.set("type_load_error", format!("System.TypeLoadException: {e}"));
            return out;
        }
        Err(BuildError::NotModelled(why)) => return Outcome::unsupported(format!("layout: {why}")),
    };

    let recorded_fields = line.get("fields").and_then(Value::as_array).cloned().unwrap_or_default();
    match Layout::for_target(&ty, TARGET) {
        Ok(layout) => {
            out.set("fields", with_offsets(&recorded_fields, |p| layout.offset_of(p).map(i64::from)));
            if generic {
                let why = format!("{type_name} is generic; generic types cannot be marshaled");
                out.set("size_error", format!("System.ArgumentException: {why}"));
                out.engine_error = Some(why);
                return out;
            }
            out.set("size", layout.size());
            match Plan::for_type(&ty, TARGET) {
                Ok(plan) => struct_bytes(line, &ty, &plan, &layout, &recorded_fields, &names, &mut out),
                Err(e) if line.get("expect_error").and_then(Value::as_bool) == Some(true) => {
                    return Outcome::unsupported(format!("layout: no plan for this struct: {e}"));
                }
                Err(_) => {}
            }
        }
        Err(e @ LayoutError::MisalignedReference { .. }) => {
            out.engine_error = Some(e.to_string());
            out.set("type_load_error", format!("System.TypeLoadException: {e}"));
        }
        Err(e) => {
            out.engine_error = Some(e.to_string());
            out.set("size", Value::Null);
            out.set("size_error", format!("System.ArgumentException: {e}"));
            out.set("fields", with_offsets(&recorded_fields, |_| Some(-1)));
        }
    }
    out
}

fn with_offsets(recorded: &[Value], offset: impl Fn(&str) -> Option<i64>) -> Value {
    Value::Array(
        recorded
            .iter()
            .map(|f| {
                let mut f = f.as_object().cloned().unwrap_or_default();
                let path = f.get("path").and_then(Value::as_str).unwrap_or("").to_string();
                f.insert("offset".into(), offset(&path).map_or(Value::Null, Value::from));
                Value::Object(f)
            })
            .collect(),
    )
}

fn struct_bytes(
    line: &Value,
    ty: &TypeDesc,
    plan: &Plan,
    layout: &Layout,
    recorded_fields: &[Value],
    names: &TypeNames,
    out: &mut Outcome,
) {
    let size = plan.size();
    let pointer_fields = pointer_fields(recorded_fields, layout, ty);
    // A sample the runner cannot rebuild (a fixed buffer shown by its first element)
    // leaves the byte outputs unproduced: the line is not supported.
    if let Some(Ok(value)) = line.get("sample").map(|s| json_to_value(s, ty, names)) {
        for (fill, hex_key, overrun_key) in [(0x00u8, "hex", "overrun"), (0xCC, "hex_cc", "overrun_cc")] {
            // One guard byte past the struct shows whether the engine wrote beyond it.
            let mut buf = vec![fill; size + 1];
            match plan.to_native(&value, &mut buf[..size]) {
                Ok(()) => {
                    out.set(overrun_key, buf[size] != fill);
                    out.set(hex_key, hex(&masked(&buf[..size], &pointer_fields)));
                    if fill == 0 {
                        // SAFETY: the pointers were written by to_native of this plan and are live.
                        out.set("pointers", unsafe { pointees(&buf[..size], &pointer_fields) });
                        // SAFETY: the bytes were written by to_native of this plan.
                        match unsafe { plan.from_native(&buf[..size]) } {
                            Ok(back) => out.set("roundtrip", value_to_json(&back, ty, names)),
                            Err(e) => out.set("roundtrip_error", format!("{}: {e}", e.clr_exception())),
                        }
                    }
                    // SAFETY: as above; destroy frees what to_native allocated.
                    unsafe { plan.destroy(&mut buf[..size]) };
                }
                Err(e) => {
                    out.engine_error = Some(e.to_string());
                    out.set("to_native_error", format!("{}: {e}", e.clr_exception()));
                }
            }
        }
    }
    // The oracle's pattern: bytes 01 02 03 … with pointer and VARIANT fields zeroed.
    let mut pattern: Vec<u8> = (1..=size).map(|i| i as u8).collect();
    for f in &pointer_fields {
        let end = (f.offset + f.width).min(size);
        pattern[f.offset..end].fill(0);
    }
    out.set("pattern_hex", hex(&pattern));
    // SAFETY: every pointer field of the pattern is zeroed (null), every VARIANT VT_EMPTY.
    match unsafe { plan.from_native(&pattern) } {
        Ok(v) => out.set("from_pattern", value_to_json(&v, ty, names)),
        Err(e) => out.set("from_pattern_error", format!("{}: {e}", e.clr_exception())),
    }
}

/// A field whose native bytes are (or hold) a pointer the recording does not show.
struct PointerField {
    path: String,
    offset: usize,
    /// Bytes zeroed in the pattern: the pointer, or a VARIANT's tag and payload pointer.
    width: usize,
    /// The oracle's `pointer_kind`.
    kind: String,
    /// The string form of a string field (`None`: a function pointer, a SAFEARRAY, a VARIANT).
    form: Option<NativeStringKind>,
}

fn pointer_fields(recorded: &[Value], layout: &Layout, ty: &TypeDesc) -> Vec<PointerField> {
    let ptr = TARGET.pointer_width as usize;
    recorded
        .iter()
        .filter_map(|f| {
            let kind = f.get("pointer_kind")?.as_str()?.to_string();
            let path = f.get("path")?.as_str()?.to_string();
            let offset = layout.offset_of(&path)? as usize;
            let (field_ty, charset) = field_of(ty, &path)?;
            let form = match field_ty {
                TypeDesc::String(repr) => Some(NativeStringKind::resolve_for(repr, charset, TARGET)),
                _ => None,
            };
            // A VARIANT's tag words and its pointer-sized payload slot, as the oracle zeroes them.
            let width = if kind == "variant_inline" { 8 + ptr } else { ptr };
            Some(PointerField { path, offset, width, kind, form })
        })
        .collect()
}

/// The descriptor of the field at `path` (nested as `a.b`) and its struct's CharSet.
fn field_of(ty: &TypeDesc, path: &str) -> Option<(TypeDesc, CharSet)> {
    let mut cur = ty.as_struct()?.clone();
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let f = cur.fields().iter().find(|f| &*f.name == part)?.clone();
        if parts.peek().is_none() {
            return Some((f.ty, cur.charset()));
        }
        cur = f.ty.as_struct()?.clone();
    }
    None
}

/// The bytes as the oracle records them: pointer fields zeroed, and in a VARIANT
/// the payload when it is a pointer (BSTR, interface, array, BYREF).
fn masked(bytes: &[u8], fields: &[PointerField]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let ptr = TARGET.pointer_width as usize;
    for f in fields {
        if f.kind == "variant_inline" {
            let vt = VarType(u16::from_le_bytes([b[f.offset], b[f.offset + 1]]));
            let pointer_payload = matches!(vt, VarType::BSTR | VarType::UNKNOWN | VarType::DISPATCH | VarType::RECORD)
                || vt.is_byref()
                || vt.is_array();
            if pointer_payload {
                b[f.offset + 8..f.offset + 8 + ptr].fill(0);
            }
        } else {
            b[f.offset..f.offset + ptr].fill(0);
        }
    }
    b
}

/// The oracle's `pointers[]`: for every string / function-pointer field, whether it
/// is null and the bytes it points to (strings with their terminator; a BSTR with
/// its length prefix).
///
/// # Safety
/// The bytes hold a native struct whose pointers are live.
unsafe fn pointees(bytes: &[u8], fields: &[PointerField]) -> Value {
    let mut list = Vec::new();
    for f in fields.iter().filter(|f| f.form.is_some() || f.kind == "fnptr") {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&bytes[f.offset..f.offset + 8]);
        let p = usize::from_ne_bytes(raw) as *const u8;
        let pointee = match (p.is_null(), f.form) {
            (true, _) | (false, None) => Value::Null,
            // SAFETY: a live string of this form written by the engine.
            (false, Some(form)) => Value::String(hex(unsafe { string_bytes(form, p) })),
        };
        list.push(json!({
            "path": f.path,
            "offset": f.offset,
            "kind": f.kind,
            "is_null": p.is_null(),
            "pointee_hex": pointee,
        }));
    }
    Value::Array(list)
}

/// A native string's bytes with its terminator (and a BSTR's prefix).
///
/// # Safety
/// `p` is a live string of form `form`.
unsafe fn string_bytes<'a>(form: NativeStringKind, p: *const u8) -> &'a [u8] {
    // SAFETY: per the caller, the string and its terminator (and a BSTR's prefix) are readable.
    unsafe {
        match form {
            NativeStringKind::LPWStr => {
                let w = p.cast::<u16>();
                let mut n = 0;
                while *w.add(n) != 0 {
                    n += 1;
                }
                core::slice::from_raw_parts(p, n * 2 + 2)
            }
            NativeStringKind::BStr | NativeStringKind::AnsiBStr => {
                let len = u32::from_le_bytes(*p.sub(4).cast::<[u8; 4]>()) as usize;
                core::slice::from_raw_parts(p.sub(4), 4 + len + 2)
            }
            NativeStringKind::LPStr | NativeStringKind::LPUTF8Str => {
                let n = core::ffi::CStr::from_ptr(p.cast()).count_bytes();
                core::slice::from_raw_parts(p, n + 1)
            }
        }
    }
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Bytes from lowercase or uppercase hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

enum BuildError {
    /// The engine refuses the declaration (the CLR's TypeLoadException / MarshalDirectiveException).
    Refused(String),
    /// The line uses a declaration this runner cannot rebuild.
    NotModelled(String),
}

fn build_type(line: &Value, type_name: &str, names: &mut TypeNames) -> Result<TypeDesc, BuildError> {
    let types = line.get("types").and_then(Value::as_object).cloned().unwrap_or_default();
    let fields = line.get("fields").and_then(Value::as_array).cloned().unwrap_or_default();
    let attrs = line.as_object().cloned().unwrap_or_default();
    let mut set = TypeSet::new();
    declare(&mut set, type_name, &attrs, &fields, "", &types, line.get("sample"), names)?;
    set.resolve(type_name).map_err(|e| BuildError::Refused(e.to_string()))
}

/// Declares `name` (attributes in `attrs`) whose fields are the entries of
/// `fields` directly under `prefix`, and recursively its nested struct types.
#[allow(clippy::too_many_arguments)]
fn declare(
    set: &mut TypeSet,
    name: &str,
    attrs: &Map<String, Value>,
    fields: &[Value],
    prefix: &str,
    types: &Map<String, Value>,
    sample: Option<&Value>,
    names: &mut TypeNames,
) -> Result<(), BuildError> {
    if set.contains(name) {
        return Ok(());
    }
    let kind = match attrs.get("layout").and_then(Value::as_str) {
        Some("Sequential") | None => LayoutKind::Sequential,
        Some("Explicit") => LayoutKind::Explicit,
        Some("Auto") => LayoutKind::Auto,
        Some(other) => return Err(BuildError::NotModelled(format!("layout kind {other}"))),
    };
    let charset = match attrs.get("charset").and_then(Value::as_str) {
        Some("Unicode") => CharSet::Unicode,
        Some("Auto") => CharSet::Auto,
        _ => CharSet::Ansi,
    };
    let pack = attrs.get("pack").and_then(Value::as_u64).unwrap_or(0) as u32;
    let size = attrs.get("size_attr").and_then(Value::as_u64).unwrap_or(0) as u32;
    let mut b = StructBuilder::new(name, kind).pack(pack).charset(charset).size(size);
    let owner = types.get(name).and_then(Value::as_object);

    let direct: Vec<&Map<String, Value>> = fields
        .iter()
        .filter_map(Value::as_object)
        .filter(|f| {
            let p = f.get("path").and_then(Value::as_str).unwrap_or("");
            p.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty() && !rest.contains('.'))
        })
        .collect();
    for f in direct {
        let path = f.get("path").and_then(Value::as_str).unwrap_or("");
        let fname = &path[prefix.len()..];
        let tname = f.get("type").and_then(Value::as_str).unwrap_or("");
        let marshal_as = f.get("marshal_as").and_then(Value::as_str);
        let size_const = f.get("size_const").and_then(Value::as_u64).map(|n| n as u32);
        let sub_type = f
            .get("array_sub_type")
            .and_then(Value::as_str)
            .or_else(|| owner?.get("array_sub_type")?.get(fname)?.as_str());
        let field_sample = sample.and_then(|s| s.get("fields")).and_then(|s| s.get(fname));
        let ty = if let Some(fixed) = owner.and_then(|o| o.get("fixed")).and_then(|x| x.get(fname)) {
            let elem = fixed.get(0).and_then(Value::as_str).unwrap_or("");
            let count = fixed.get(1).and_then(Value::as_u64).unwrap_or(0) as u32;
            names.fixed_fields.insert((name.to_string(), fname.to_string()), tname.to_string());
            TypeDesc::by_val_array(scalar(elem, None, types).ok_or_else(|| not_modelled(elem))?, count)
        } else if f.get("pointer_kind").and_then(Value::as_str) == Some("fnptr") {
            names.delegate_fields.insert((name.to_string(), fname.to_string()), tname.to_string());
            TypeDesc::FnPtr
        } else if let Some(elem) = tname.strip_suffix("[]") {
            match marshal_as {
                Some("ByValArray") => {
                    let count = size_const.ok_or_else(|| BuildError::Refused("ByValArray needs SizeConst".into()))?;
                    let elem_ty = match element(elem, sub_type, types) {
                        Some(t) => t,
                        None => {
                            let first = field_sample.and_then(|s| s.get("v")).and_then(|v| v.get(0));
                            nested_from_sample(set, elem, types, first, names).ok_or_else(|| not_modelled(tname))??
                        }
                    };
                    TypeDesc::by_val_array(elem_ty, count)
                }
                Some("SafeArray") => {
                    let named = f.get("safearray_sub_type").and_then(Value::as_str).and_then(VarType::from_base_name);
                    let vt = match named {
                        Some(vt) if vt != VarType::EMPTY => vt,
                        // No SafeArraySubType: the element type's own VARTYPE, as CoreCLR infers it.
                        _ => element_vartype(elem, sub_type, types).ok_or_else(|| not_modelled(tname))?,
                    };
                    TypeDesc::SafeArray(vt)
                }
                None => {
                    return Err(BuildError::Refused(format!("{tname} field without MarshalAs cannot be marshaled")))
                }
                Some(other) => return Err(BuildError::Refused(format!("{tname} cannot be marshaled as {other}"))),
            }
        } else if let Some(t) = field_type(tname, marshal_as, size_const, types)? {
            if types.get(tname).and_then(|t| t.get("enum")).is_some() {
                names.enum_fields.insert((name.to_string(), fname.to_string()), tname.to_string());
            }
            t
        } else if let Some(nested) = types.get(tname).and_then(Value::as_object).filter(|t| t.contains_key("layout")) {
            let nested_prefix = format!("{prefix}{fname}.");
            declare(set, tname, nested, fields, &nested_prefix, types, field_sample, names)?;
            TypeDesc::named(tname)
        } else {
            return Err(not_modelled(tname));
        };
        b = match f.get("offset").and_then(Value::as_i64) {
            Some(off) if kind == LayoutKind::Explicit => b.field_at(fname, off as u32, ty),
            _ => b.field(fname, ty),
        };
    }
    set.declare(b).map_err(|e| BuildError::Refused(e.to_string()))
}

/// A struct element type known only from a sample element's fields (ByValArray of
/// a struct whose fields the line does not list): every field a primitive.
fn nested_from_sample(
    set: &mut TypeSet,
    name: &str,
    types: &Map<String, Value>,
    sample_elem: Option<&Value>,
    names: &mut TypeNames,
) -> Option<Result<TypeDesc, BuildError>> {
    let attrs = types.get(name)?.as_object()?;
    let fields = sample_elem?.get("fields")?.as_object()?;
    let synthetic: Vec<Value> = fields
        .iter()
        .map(|(k, v)| {
            let t = prim_name_of_value_tag(v.get("t").and_then(Value::as_str).unwrap_or(""));
            json!({"path": format!("{name}::{k}"), "type": t})
        })
        .collect();
    Some(
        declare(set, name, attrs, &synthetic, &format!("{name}::"), types, sample_elem, names)
            .map(|_| TypeDesc::named(name)),
    )
}

fn prim_name_of_value_tag(t: &str) -> &'static str {
    match t {
        "u8" => "Byte",
        "i8" => "SByte",
        "i16" => "Int16",
        "u16" => "UInt16",
        "i32" => "Int32",
        "u32" => "UInt32",
        "i64" => "Int64",
        "u64" => "UInt64",
        "f32" => "Single",
        "f64" => "Double",
        "bool" => "Boolean",
        "char" => "Char",
        _ => "?",
    }
}

fn not_modelled(what: &str) -> BuildError {
    BuildError::NotModelled(format!("field type `{what}`"))
}

fn prim(name: &str) -> Option<Prim> {
    Some(match name {
        "Byte" => Prim::U8,
        "SByte" => Prim::I8,
        "Int16" => Prim::I16,
        "UInt16" => Prim::U16,
        "Int32" => Prim::I32,
        "UInt32" => Prim::U32,
        "Int64" => Prim::I64,
        "UInt64" => Prim::U64,
        "Single" => Prim::F32,
        "Double" => Prim::F64,
        "IntPtr" => Prim::ISize,
        "UIntPtr" => Prim::USize,
        _ => return None,
    })
}

/// A scalar type name (primitive or enum).
fn scalar(name: &str, _marshal_as: Option<&str>, types: &Map<String, Value>) -> Option<TypeDesc> {
    if let Some(p) = prim(name) {
        return Some(TypeDesc::Prim(p));
    }
    let underlying = types.get(name)?.get("enum")?.as_str()?;
    prim(underlying).map(TypeDesc::Prim)
}

/// An array element (`ArraySubType` applied).
fn element(name: &str, sub: Option<&str>, types: &Map<String, Value>) -> Option<TypeDesc> {
    Some(match (name, sub) {
        ("Boolean", None | Some("Bool")) => TypeDesc::Bool(BoolRepr::Win32),
        ("Boolean", Some("I1")) => TypeDesc::Bool(BoolRepr::I1),
        ("Boolean", Some("U1")) => TypeDesc::Bool(BoolRepr::U1),
        ("Boolean", Some("VariantBool")) => TypeDesc::Bool(BoolRepr::VariantBool),
        ("Char", None) => TypeDesc::Char(CharRepr::ByCharSet),
        ("Char", Some("I1" | "U1")) => TypeDesc::Char(CharRepr::Ansi),
        ("Char", Some("I2" | "U2")) => TypeDesc::Char(CharRepr::Utf16),
        (n, _) => scalar(n, None, types)?,
    })
}

/// A non-array, non-struct field type with its `MarshalAs`; `Ok(None)` when the
/// name is not a known scalar (a struct, say); `Err` for combinations the CLR refuses.
fn field_type(
    name: &str,
    marshal_as: Option<&str>,
    size_const: Option<u32>,
    types: &Map<String, Value>,
) -> Result<Option<TypeDesc>, BuildError> {
    let refuse = |m: &str| Err(BuildError::Refused(format!("{name} cannot be marshaled as {m}")));
    let t = match (name, marshal_as) {
        ("Boolean", None | Some("Bool")) => TypeDesc::Bool(BoolRepr::Win32),
        ("Boolean", Some("I1")) => TypeDesc::Bool(BoolRepr::I1),
        ("Boolean", Some("U1")) => TypeDesc::Bool(BoolRepr::U1),
        ("Boolean", Some("VariantBool")) => TypeDesc::Bool(BoolRepr::VariantBool),
        ("Char", None) => TypeDesc::Char(CharRepr::ByCharSet),
        ("Char", Some("I1" | "U1")) => TypeDesc::Char(CharRepr::Ansi),
        ("Char", Some("I2" | "U2")) => TypeDesc::Char(CharRepr::Utf16),
        ("String", None) => TypeDesc::String(StringRepr::ByCharSet),
        ("String", Some("LPStr")) => TypeDesc::String(StringRepr::LPStr),
        ("String", Some("LPWStr")) => TypeDesc::String(StringRepr::LPWStr),
        ("String", Some("LPTStr")) => TypeDesc::String(StringRepr::LPTStr),
        ("String", Some("LPUTF8Str")) => TypeDesc::String(StringRepr::LPUTF8Str),
        ("String", Some("BStr")) => TypeDesc::String(StringRepr::BStr),
        ("String", Some("AnsiBStr")) => TypeDesc::String(StringRepr::AnsiBStr),
        ("String", Some("TBStr")) => TypeDesc::String(StringRepr::TBStr),
        ("String", Some("ByValTStr")) => TypeDesc::ByValTStr(size_const.unwrap_or(0)),
        ("Decimal", None | Some("Struct")) => TypeDesc::Decimal,
        ("Decimal", Some("Currency")) => TypeDesc::Currency,
        ("DateTime", None) => TypeDesc::Date,
        ("Guid", None) => TypeDesc::Guid,
        ("Object", Some("Struct")) => TypeDesc::Variant,
        ("Object", None | Some("IUnknown")) => TypeDesc::Interface(InterfaceKind::IUnknown),
        ("Object", Some("IDispatch")) => TypeDesc::Interface(InterfaceKind::IDispatch),
        ("Boolean" | "Char" | "String" | "Decimal" | "DateTime" | "Guid" | "Object", Some(m)) => return refuse(m),
        (n, None) => match scalar(n, None, types) {
            Some(t) => t,
            None => return Ok(None),
        },
        (n, Some(m)) => match (scalar(n, None, types), m) {
            (Some(TypeDesc::Prim(p)), m) if marshal_as_matches(p, m) => TypeDesc::Prim(p),
            (Some(_), m) => return refuse(m),
            (None, _) => return Ok(None),
        },
    };
    Ok(Some(t))
}

/// The VARTYPE of a managed array element (the CLR's default `SafeArraySubType`).
fn element_vartype(elem: &str, sub: Option<&str>, types: &Map<String, Value>) -> Option<VarType> {
    if let Some(vt) = sub.and_then(VarType::from_base_name) {
        return Some(vt);
    }
    Some(match elem {
        "Boolean" => VarType::BOOL,
        "String" => VarType::BSTR,
        "Object" => VarType::VARIANT,
        "Decimal" => VarType::DECIMAL,
        "DateTime" => VarType::DATE,
        "Char" => VarType::UI2,
        n => match scalar(n, None, types)? {
            TypeDesc::Prim(p) => match p {
                Prim::I8 => VarType::I1,
                Prim::U8 => VarType::UI1,
                Prim::I16 => VarType::I2,
                Prim::U16 => VarType::UI2,
                Prim::I32 => VarType::I4,
                Prim::U32 => VarType::UI4,
                Prim::I64 => VarType::I8,
                Prim::U64 => VarType::UI8,
                Prim::F32 => VarType::R4,
                Prim::F64 => VarType::R8,
                Prim::ISize => VarType::INT,
                Prim::USize => VarType::UINT,
            },
            _ => return None,
        },
    })
}

fn marshal_as_matches(p: Prim, m: &str) -> bool {
    matches!(
        (p, m),
        (Prim::I8, "I1")
            | (Prim::U8, "U1")
            | (Prim::I16, "I2")
            | (Prim::U16, "U2")
            | (Prim::I32, "I4" | "Error")
            | (Prim::U32, "U4" | "Error")
            | (Prim::I64, "I8")
            | (Prim::U64, "U8")
            | (Prim::F32, "R4")
            | (Prim::F64, "R8")
            | (Prim::ISize, "SysInt")
            | (Prim::USize, "SysUInt")
    )
}
