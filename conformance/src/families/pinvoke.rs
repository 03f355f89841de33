//! `mono_pinvoke.jsonl`: each line's structured `call` (entry, lib, the
//! declaration `sig`, `args`, the managed callback's `callbacks`, the `types`
//! involved) is rebuilt as a [`Signature`] and called against the oracle's
//! native logger library (`oracle/native/oracle_native.c`, built by build.rs).
//! Outputs: `native` (the key=value log the callee wrote), `managed_after` (the
//! return value, or the first parameter whose managed value the call may
//! change), `callback_saw`, `n_out`, `b_returned_nonnull`.

use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value as Json};

use marshal_core::value::Value;
use marshal_core::{BoolRepr, CharRepr, CharSet, StringRepr, StructBuilder, TypeDesc, TypeSet};
use marshal_pinvoke::{CallConv, Callback, Library, Param, PinvokeError, Signature};

use crate::oracle_value::{json_to_value, string_json, value_to_json, TypeNames};
use crate::outcome::Outcome;

/// The native logger, loaded once; calls are serialized (its log is global).
struct Oracle {
    lib: Arc<Library>,
    clear: extern "C" fn(),
    log: extern "C" fn() -> *const core::ffi::c_char,
}

fn oracle() -> Result<&'static Mutex<Oracle>, String> {
    static ORACLE: OnceLock<Result<Mutex<Oracle>, String>> = OnceLock::new();
    ORACLE
        .get_or_init(|| {
            let path = env!("ORACLE_NATIVE_SO");
            if path.is_empty() {
                return Err("the oracle's native library was not built (no C compiler)".into());
            }
            let lib = Arc::new(Library::load(path).map_err(|e| e.to_string())?);
            let clear = lib.address("on_clear").ok_or("on_clear missing")?;
            let log = lib.address("on_log").ok_or("on_log missing")?;
            // SAFETY: oracle_native.c defines `void on_clear(void)` and `const char *on_log(void)`.
            let (clear, log) = unsafe {
                (
                    core::mem::transmute::<*mut core::ffi::c_void, extern "C" fn()>(clear),
                    core::mem::transmute::<*mut core::ffi::c_void, extern "C" fn() -> *const core::ffi::c_char>(log),
                )
            };
            Ok(Mutex::new(Oracle { lib, clear, log }))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Evaluates one pinvoke line.
pub fn evaluate(line: &Json) -> Outcome {
    let Some(call) = line.get("call") else { return Outcome::unsupported("no structured `call`") };
    match run(call) {
        Ok(o) => o,
        Err(Fail::Unsupported(why)) => Outcome::unsupported(why),
        Err(Fail::Engine(e)) => Outcome { engine_error: Some(e), ..Outcome::default() },
    }
}

enum Fail {
    Unsupported(String),
    Engine(String),
}

impl From<PinvokeError> for Fail {
    fn from(e: PinvokeError) -> Fail {
        match e {
            PinvokeError::Unsupported { .. } => Fail::Unsupported(e.to_string()),
            other => Fail::Engine(other.to_string()),
        }
    }
}

fn unsupported<T>(why: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Unsupported(why.into()))
}

fn s<'a>(j: &'a Json, k: &str) -> &'a str {
    j.get(k).and_then(Json::as_str).unwrap_or("")
}

fn charset_of(name: &str) -> CharSet {
    match name {
        "Unicode" => CharSet::Unicode,
        "Auto" => CharSet::Auto,
        _ => CharSet::Ansi,
    }
}

/// How a parameter's managed type is passed, beyond its TypeDesc.
#[derive(Clone, Debug)]
enum Kind {
    Plain(TypeDesc),
    /// A formatted class (pointer to its fields).
    Class(TypeDesc),
    /// `[MarshalAs(LPStruct)]`: a pointer to an In copy.
    LpStruct(TypeDesc),
    /// A SafeHandle / HandleRef: its IntPtr.
    Handle,
    /// A delegate with its own signature.
    Delegate(Signature),
    /// A `StringBuilder` whose buffer has this string form.
    StringBuilder(StringRepr),
}

struct Types<'a> {
    json: &'a Map<String, Json>,
    set: TypeSet,
}

impl<'a> Types<'a> {
    fn new(json: &'a Map<String, Json>) -> Result<Types<'a>, Fail> {
        let mut set = TypeSet::new();
        for (name, t) in json {
            if s(t, "base") == "SafeHandle" || s(t, "layout") == "Auto" {
                continue;
            }
            let mut b = match s(t, "layout") {
                "Explicit" => return unsupported("explicit-layout parameter structs"),
                _ => StructBuilder::sequential(name),
            };
            b = b.charset(charset_of(s(t, "charset"))).pack(t.get("pack").and_then(Json::as_u64).unwrap_or(0) as u32);
            if let Some(size) = t.get("size_attr").and_then(Json::as_u64) {
                b = b.size(size as u32);
            }
            for f in t.get("fields").and_then(Json::as_array).into_iter().flatten() {
                let ty = field_desc(s(f, "type"), f.get("marshal_as"), json)?;
                b = b.field(s(f, "name"), ty);
            }
            set.declare(b).map_err(|e| Fail::Engine(e.to_string()))?;
        }
        Ok(Types { json, set })
    }

    fn resolve(&mut self, ty: TypeDesc) -> Result<TypeDesc, Fail> {
        self.set.resolve_desc(ty).map_err(|e| Fail::Engine(e.to_string()))
    }
}

fn marshal_as(ma: Option<&Json>) -> Option<&str> {
    ma.filter(|m| !m.is_null()).and_then(|m| m.get("value")).and_then(Json::as_str)
}

fn ma_u32(ma: Option<&Json>, key: &str) -> Option<u32> {
    ma.filter(|m| !m.is_null()).and_then(|m| m.get(key)).and_then(Json::as_u64).map(|v| v as u32)
}

/// The TypeDesc of a managed scalar / string / struct type name under a MarshalAs value.
fn scalar_desc(name: &str, ma: Option<&str>, types: &Map<String, Json>) -> Result<TypeDesc, Fail> {
    Ok(match (name, ma) {
        ("Boolean", None | Some("Bool")) => TypeDesc::Bool(BoolRepr::Win32),
        ("Boolean", Some("I1")) => TypeDesc::Bool(BoolRepr::I1),
        ("Boolean", Some("U1")) => TypeDesc::Bool(BoolRepr::U1),
        ("Boolean", Some("VariantBool")) => TypeDesc::Bool(BoolRepr::VariantBool),
        ("Char", None) => TypeDesc::Char(CharRepr::ByCharSet),
        ("Char", Some("I1" | "U1")) => TypeDesc::Char(CharRepr::Ansi),
        ("Char", Some("I2" | "U2")) => TypeDesc::Char(CharRepr::Utf16),
        ("SByte", _) => TypeDesc::I8,
        ("Byte", _) => TypeDesc::U8,
        ("Int16", _) => TypeDesc::I16,
        ("UInt16", _) => TypeDesc::U16,
        ("Int32", Some("Error")) => TypeDesc::Error,
        ("Int32", _) => TypeDesc::I32,
        ("UInt32", _) => TypeDesc::U32,
        ("Int64", _) => TypeDesc::I64,
        ("UInt64", _) => TypeDesc::U64,
        ("Single", _) => TypeDesc::F32,
        ("Double", _) => TypeDesc::F64,
        ("IntPtr", _) => TypeDesc::ISIZE,
        ("UIntPtr", _) => TypeDesc::USIZE,
        ("Guid", _) => TypeDesc::Guid,
        ("String", None) => TypeDesc::String(StringRepr::ByCharSet),
        ("String", Some(m)) => TypeDesc::String(match m {
            "LPStr" => StringRepr::LPStr,
            "LPWStr" => StringRepr::LPWStr,
            "LPTStr" => StringRepr::LPTStr,
            "LPUTF8Str" => StringRepr::LPUTF8Str,
            "BStr" => StringRepr::BStr,
            "AnsiBStr" => StringRepr::AnsiBStr,
            "TBStr" => StringRepr::TBStr,
            other => return unsupported(format!("string as {other}")),
        }),
        ("Decimal", None | Some("Struct")) => TypeDesc::Decimal,
        ("Decimal", Some("Currency")) => TypeDesc::Currency,
        ("DateTime", None) => TypeDesc::Date,
        // `object` parameters are VARIANTs by default (clr-marshaling.md §6).
        ("Object", None | Some("Struct")) => TypeDesc::Variant,
        ("Object", Some("IUnknown")) => TypeDesc::Interface(marshal_core::InterfaceKind::IUnknown),
        ("Object", Some("IDispatch")) => TypeDesc::Interface(marshal_core::InterfaceKind::IDispatch),
        ("Decimal" | "DateTime" | "Object", Some(m)) => return unsupported(format!("{name} as {m}")),
        (n, _) if types.contains_key(n) => TypeDesc::named(n),
        (n, m) => return unsupported(format!("type {n} as {m:?}")),
    })
}

fn field_desc(name: &str, ma: Option<&Json>, types: &Map<String, Json>) -> Result<TypeDesc, Fail> {
    match marshal_as(ma) {
        Some("ByValTStr") => Ok(TypeDesc::ByValTStr(ma_u32(ma, "size_const").unwrap_or(0))),
        Some("ByValArray") => {
            let elem = name.strip_suffix("[]").unwrap_or(name);
            let sub = ma.and_then(|m| m.get("array_sub_type")).and_then(Json::as_str);
            Ok(TypeDesc::by_val_array(scalar_desc(elem, sub, types)?, ma_u32(ma, "size_const").unwrap_or(0)))
        }
        m => scalar_desc(name, m, types),
    }
}

fn param_kind(p: &Json, types: &mut Types<'_>) -> Result<Kind, Fail> {
    let name = s(p, "type");
    let ma = p.get("marshal_as");
    if let Some(sig) = p.get("sig").filter(|s| !s.is_null()) {
        return Ok(Kind::Delegate(signature(sig, types)?));
    }
    if name == "StringBuilder" {
        let repr = match marshal_as(ma) {
            None => StringRepr::ByCharSet,
            Some("LPStr") => StringRepr::LPStr,
            Some("LPWStr") => StringRepr::LPWStr,
            Some("LPTStr") => StringRepr::LPTStr,
            Some("LPUTF8Str") => StringRepr::LPUTF8Str,
            Some(other) => return unsupported(format!("StringBuilder as {other}")),
        };
        return Ok(Kind::StringBuilder(repr));
    }
    if name == "HandleRef" || types.json.get(name).is_some_and(|t| s(t, "base") == "SafeHandle") {
        return Ok(Kind::Handle);
    }
    if let Some(elem) = name.strip_suffix("[]") {
        if matches!(marshal_as(ma), Some("SafeArray")) {
            return unsupported("SAFEARRAY parameters");
        }
        let sub = ma.and_then(|m| m.get("array_sub_type")).and_then(Json::as_str);
        let elem = types.resolve(scalar_desc(elem, sub, types.json)?)?;
        let ty = TypeDesc::lp_array(
            elem,
            ma_u32(ma, "size_const").unwrap_or(0),
            ma_u32(ma, "size_param_index").map(|i| i as u16),
        );
        return Ok(Kind::Plain(ty));
    }
    let ty = types.resolve(scalar_desc(name, marshal_as(ma), types.json)?)?;
    if marshal_as(ma) == Some("LPStruct") {
        return Ok(Kind::LpStruct(ty));
    }
    if types.json.get(name).is_some_and(|t| s(t, "kind") == "class") {
        return Ok(Kind::Class(ty));
    }
    Ok(Kind::Plain(ty))
}

fn to_param(p: &Json, kind: &Kind) -> Param {
    let name = s(p, "name");
    let ty = match kind {
        Kind::Plain(t) | Kind::Class(t) | Kind::LpStruct(t) => t.clone(),
        Kind::Handle => TypeDesc::ISIZE,
        Kind::Delegate(_) => TypeDesc::FnPtr,
        Kind::StringBuilder(r) => TypeDesc::String(*r),
    };
    let mut param = match (kind, s(p, "byref")) {
        (Kind::Class(_), "none") => Param::class(name, ty),
        (Kind::LpStruct(_), _) => Param::by_ref(name, ty).with_in(),
        (Kind::StringBuilder(r), _) => Param::string_builder(name, *r),
        (_, "ref") => Param::by_ref(name, ty),
        (_, "out") => Param::out(name, ty),
        _ => Param::new(name, ty),
    };
    if p.get("in").and_then(Json::as_bool).unwrap_or(false) {
        param.in_attr = true;
    }
    if p.get("out").and_then(Json::as_bool).unwrap_or(false) {
        param.out_attr = true;
    }
    param
}

fn signature(sig: &Json, types: &mut Types<'_>) -> Result<Signature, Fail> {
    let ret = sig.get("return").unwrap_or(&Json::Null);
    let ret_ty = match s(ret, "type") {
        "Void" | "" => None,
        name => Some(types.resolve(scalar_desc(name, marshal_as(ret.get("marshal_as")), types.json)?)?),
    };
    let mut out = Signature::new(ret_ty)
        .charset(charset_of(s(sig, "charset")))
        .conv(CallConv::from_clr_name(s(sig, "calling_convention")).unwrap_or_default())
        .set_last_error(sig.get("set_last_error").and_then(Json::as_bool).unwrap_or(false))
        .preserve_sig(sig.get("preserve_sig").and_then(Json::as_bool).unwrap_or(true))
        .exact_spelling(sig.get("exact_spelling").and_then(Json::as_bool).unwrap_or(false));
    for p in sig.get("params").and_then(Json::as_array).into_iter().flatten() {
        let kind = param_kind(p, types)?;
        out = out.param(to_param(p, &kind));
    }
    Ok(out)
}

fn names_for(class: bool) -> TypeNames {
    TypeNames { top_is_class: class, ..TypeNames::default() }
}

/// The engine value of one recorded argument.
fn arg_value(j: &Json, param: &Param, kind: &Kind) -> Result<Value, Fail> {
    let t = s(j, "t");
    match (kind, t) {
        (Kind::Handle, "safehandle" | "handleref") => {
            let h = u64::from_str_radix(s(j, "handle"), 16).map_err(|e| Fail::Engine(e.to_string()))?;
            return Ok(Value::ISize(h as i64));
        }
        (Kind::StringBuilder(_), "stringbuilder") => {
            let text = match value_of(&j["v"], &param.ty)? {
                Value::Str(units) => units,
                _ => Vec::new(),
            };
            let capacity = j.get("capacity").and_then(Json::as_u64).unwrap_or(16) as u32;
            return Ok(Value::StringBuilder { text, capacity });
        }
        (_, "stringbuilder") => return unsupported("StringBuilder"),
        _ => {}
    }
    value_of(j, &param.ty)
}

fn value_of(j: &Json, ty: &TypeDesc) -> Result<Value, Fail> {
    match (ty, s(j, "t")) {
        (_, "null") => Ok(Value::Null),
        (TypeDesc::LpArray { elem, .. }, "array") => {
            let items = j.get("v").and_then(Json::as_array).ok_or_else(|| Fail::Engine("array without v".into()))?;
            Ok(Value::Array(items.iter().map(|x| value_of(x, elem)).collect::<Result<_, _>>()?))
        }
        (TypeDesc::Struct(_), "class") => {
            let mut j = j.clone();
            j["t"] = "struct".into();
            json_to_value(&j, ty, &TypeNames::default()).map_err(Fail::Unsupported)
        }
        _ => json_to_value(j, ty, &TypeNames::default()).map_err(Fail::Unsupported),
    }
}

/// A callback value as `callback_saw` shows it: numbers and bools plain, the rest encoded.
fn saw_json(v: &Value, ty: &TypeDesc) -> Json {
    match v {
        Value::I8(x) => json!(x),
        Value::U8(x) => json!(x),
        Value::I16(x) => json!(x),
        Value::U16(x) => json!(x),
        Value::I32(x) => json!(x),
        Value::U32(x) => json!(x),
        Value::I64(x) => json!(x),
        Value::U64(x) => json!(x),
        Value::Bool(b) => json!(b),
        Value::Str(u) => string_json(u),
        other => value_to_json(other, ty, &TypeNames::default()),
    }
}

/// The oracle prints no addresses: IntPtr fields of structs read back as 0.
fn zero_addresses(v: &Value) -> Value {
    match v {
        Value::Struct(fields) => Value::Struct(
            fields
                .iter()
                .map(|(n, f)| {
                    let f = match f {
                        Value::ISize(_) | Value::Pointer(_) => Value::ISize(0),
                        Value::USize(_) => Value::USize(0),
                        other => zero_addresses(other),
                    };
                    (n.clone(), f)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(zero_addresses).collect()),
        other => other.clone(),
    }
}

fn parse_log(text: &str) -> Map<String, Json> {
    let mut m = Map::new();
    for pair in text.split(';').filter(|p| !p.is_empty()) {
        if let Some((k, v)) = pair.split_once('=') {
            m.insert(k.to_string(), Json::String(v.to_string()));
        }
    }
    m
}

fn run(call: &Json) -> Result<Outcome, Fail> {
    if s(call, "lib") != "oracle_native" {
        return unsupported(format!("library {}", s(call, "lib")));
    }
    let empty = Map::new();
    let mut types = Types::new(call.get("types").and_then(Json::as_object).unwrap_or(&empty))?;
    let sig_json = call.get("sig").ok_or_else(|| Fail::Engine("no sig".into()))?;
    let params_json: Vec<&Json> = sig_json.get("params").and_then(Json::as_array).into_iter().flatten().collect();
    let kinds: Vec<Kind> = params_json.iter().map(|p| param_kind(p, &mut types)).collect::<Result<_, _>>()?;
    let sig = signature(sig_json, &mut types)?;
    let args_json: Vec<&Json> = call.get("args").and_then(Json::as_array).into_iter().flatten().collect();
    if args_json.len() != sig.params.len() {
        return Err(Fail::Engine(format!("{} args for {} parameters", args_json.len(), sig.params.len())));
    }

    // Callbacks: each delegate parameter gets a Callback that records what it
    // saw and returns / leaves what the managed callback did.
    let callbacks_json: Vec<&Json> = call.get("callbacks").and_then(Json::as_array).into_iter().flatten().collect();
    let saw = std::cell::RefCell::new(Map::new());
    let mut handles: Vec<(usize, Callback<'_>)> = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        let Kind::Delegate(dsig) = kind else { continue };
        let plan = callbacks_json.iter().find(|c| c.get("param").and_then(Json::as_u64) == Some(i as u64));
        let returns = match (plan.and_then(|c| c.get("returns")), &dsig.ret) {
            (Some(r), Some(t)) => value_of(r, t)?,
            _ => Value::Null,
        };
        let mut byref_after = Vec::new();
        if let Some(after) = plan.and_then(|c| c.get("byref_after")).and_then(Json::as_object) {
            for (name, v) in after {
                let Some(k) = dsig.params.iter().position(|p| &*p.name == name) else { continue };
                byref_after.push((k, value_of(v, &dsig.params[k].ty)?));
            }
        }
        let dparams = dsig.params.clone();
        let saw = &saw;
        let cb = Callback::new(dsig, move |args| {
            let mut m = saw.borrow_mut();
            for (p, v) in dparams.iter().zip(args.iter()) {
                let key = if p.pass == marshal_pinvoke::PassBy::Value {
                    p.name.to_string()
                } else {
                    format!("{}_in", p.name)
                };
                m.insert(key, saw_json(v, &p.ty));
            }
            for (k, v) in &byref_after {
                args[*k] = v.clone();
            }
            Ok(returns.clone())
        })?;
        handles.push((i, cb));
    }

    let mut args = Vec::with_capacity(sig.params.len());
    for (i, (j, (p, kind))) in args_json.iter().zip(sig.params.iter().zip(&kinds)).enumerate() {
        if let Kind::Delegate(_) = kind {
            let cb = handles.iter().find(|(k, _)| *k == i).map(|(_, c)| c.as_value()).unwrap_or(Value::Null);
            args.push(cb);
        } else {
            args.push(arg_value(j, p, kind)?);
        }
    }

    let oracle = oracle().map_err(Fail::Unsupported)?;
    let guard = oracle.lock().unwrap_or_else(|e| e.into_inner());
    let function = sig.bind(&guard.lib, s(call, "entry"))?;
    (guard.clear)();
    let capacity_before = args.iter().find_map(|a| match a {
        Value::StringBuilder { capacity, .. } => Some(*capacity),
        _ => None,
    });
    let result = function.call(&mut args);
    // SAFETY: on_log returns the logger's NUL-terminated buffer.
    let log = unsafe { core::ffi::CStr::from_ptr((guard.log)()) }.to_string_lossy().into_owned();
    drop(guard);
    for (_, cb) in &handles {
        if let Some(e) = cb.take_failure() {
            return Err(Fail::Engine(e.to_string()));
        }
    }

    let mut out = Outcome::default();
    out.set("native", Json::Object(parse_log(&log)));
    if let Some(capacity) = capacity_before {
        // StringBuilder.Capacity before the call (the buffer holds capacity + 1 characters).
        out.set("capacity_before", Json::from(capacity));
    }
    let ret = match result {
        Ok(v) => v,
        Err(e) => {
            let fail: Fail = e.into();
            return match fail {
                Fail::Engine(e) => Ok(Outcome { engine_error: Some(e), ..out }),
                other => Err(other),
            };
        }
    };
    drop(handles);
    let saw = saw.into_inner();
    if !saw.is_empty() {
        out.set("callback_saw", Json::Object(saw));
    }
    // managed_after: the return value, or the first parameter the call may change.
    if let Some(rt) = &sig.ret {
        out.set("managed_after", value_to_json(&ret, rt, &TypeNames::default()));
    } else if let Some(i) = sig.params.iter().position(|p| {
        p.pass != marshal_pinvoke::PassBy::Value
            || p.class
            || matches!(p.ty, TypeDesc::LpArray { .. } | TypeDesc::String(_) | TypeDesc::Struct(_))
    }) {
        let p = &sig.params[i];
        let class = matches!(kinds[i], Kind::Class(_));
        let ty = p.ty.clone();
        let after = match &args[i] {
            // The managed side of a StringBuilder is its text.
            Value::StringBuilder { text, .. } => Value::Str(text.clone()),
            other => zero_addresses(other),
        };
        out.set("managed_after", value_to_json(&after, &ty, &names_for(class)));
    }
    // n_out: an `out int` count beside an out array.
    if let Some(i) =
        sig.params.iter().position(|p| p.pass == marshal_pinvoke::PassBy::Out && matches!(p.ty, TypeDesc::Prim(_)))
    {
        if let Some(n) = match &args[i] {
            Value::I32(n) => Some(*n as i64),
            Value::I64(n) => Some(*n),
            _ => None,
        } {
            out.set("n_out", n);
        }
    }
    // b_returned_nonnull: an IntPtr field `b` of a ref struct left non-null by the callee.
    for (i, p) in sig.params.iter().enumerate() {
        if p.pass == marshal_pinvoke::PassBy::Ref {
            if let Some(b) = args[i].field("b") {
                out.set("b_returned_nonnull", !matches!(b, Value::ISize(0) | Value::Null | Value::Pointer(0)));
            }
        }
    }
    Ok(out)
}
