//! Shared by the integration tests: where Wine's files are, the recorded vectors, and the model → oracle JSON
//! encoding (the same shape `oracle/tlbdump.c` prints).
#![allow(dead_code)]

pub mod strategies;

use std::io::Read;
use std::path::{Path, PathBuf};

use marshal_typelib::api;
use marshal_typelib::*;
use serde_json::{json, Map, Value as Json};

/// Where Debian's wine64 puts Wine's PE files (type libraries included).
pub const WINE_DIR: &str = "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows";

/// Wine's directory, or `None` (with a note) when wine64 is not installed. Under CI (`CI` set) a missing Wine is a
/// failure: .ci/run installs it.
pub fn wine_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(WINE_DIR);
    if dir.join("stdole2.tlb").exists() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("wine64 is not installed ({WINE_DIR} missing): .ci/run must install wine64");
    }
    eprintln!("skipped: wine64 not installed ({WINE_DIR} missing)");
    None
}

pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// The lines of a gzip'd JSONL vector file.
pub fn read_vectors(name: &str) -> Vec<Json> {
    let path = vectors_dir().join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

pub fn guid(g: &marshal_core::Guid) -> Json {
    Json::String(g.to_string())
}

pub fn opt_str(s: &Option<String>) -> Json {
    match s {
        Some(s) => Json::String(s.clone()),
        None => Json::Null,
    }
}

pub fn value(v: &Value) -> Json {
    let mut m = Map::new();
    m.insert("vt".into(), json!(v.vt().0));
    match v {
        Value::R4(f) => {
            m.insert("bits".into(), json!(hex(&f.to_le_bytes())));
        }
        Value::R8(f) | Value::Date(f) => {
            m.insert("bits".into(), json!(hex(&f.to_le_bytes())));
        }
        Value::Bstr(s) => {
            m.insert("s".into(), opt_str(s));
        }
        Value::Decimal(d) => {
            m.insert("hex".into(), json!(hex(d)));
        }
        Value::Unsupported(_) => {
            m.insert("unsupported".into(), json!(true));
        }
        Value::Empty | Value::Null => {}
        other => {
            m.insert("i".into(), json!(other.as_i64().unwrap()));
        }
    }
    Json::Object(m)
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn custdata(c: &[CustData]) -> Json {
    Json::Array(c.iter().map(|c| json!({"guid": guid(&c.guid), "value": value(&c.value)})).collect())
}

/// `{"lib", "index", "name"}` of a referenced type, as the oracle prints `GetRefTypeInfo`'s result.
pub fn reference(lib: &TypeLib, r: &TypeRef, resolver: &dyn Resolver) -> Json {
    match lib.resolve_ref(r, resolver) {
        Ok((target, index)) => json!({
            "lib": guid(&target.attr.guid),
            "index": index,
            "name": target.types[index as usize].name,
        }),
        Err(e) => json!({"error": e.to_string()}),
    }
}

pub fn tdesc(lib: &TypeLib, t: &ElemType, resolver: &dyn Resolver) -> Json {
    let mut m = Map::new();
    m.insert("vt".into(), json!(t.vt().0));
    match t {
        ElemType::Ptr(inner) | ElemType::SafeArray(inner) => {
            m.insert("t".into(), tdesc(lib, inner, resolver));
        }
        ElemType::CArray { elem, bounds } => {
            m.insert("elem".into(), tdesc(lib, elem, resolver));
            m.insert("bounds".into(), json!(bounds.iter().map(|(c, l)| json!([c, l])).collect::<Vec<_>>()));
        }
        ElemType::UserDefined(r) => {
            m.insert("ref".into(), reference(lib, r, resolver));
        }
        ElemType::Base(_) => {}
    }
    Json::Object(m)
}

/// A type info as the oracle prints it, through the API view ([`api`]).
pub fn type_info_json(lib: &TypeLib, index: usize, resolver: &dyn Resolver, format: Format) -> Json {
    let view = api::TypeInfoView::new(lib, index, resolver).loaded_from(format);
    let mut j = view_json(lib, index, &view, resolver);
    if let Some(dual) = view.dual_interface() {
        let mut d = view_json(lib, index, &dual, resolver);
        d["kind"] = json!("dual_view");
        j["dual"] = d;
    }
    j
}

fn view_json(lib: &TypeLib, index: usize, view: &api::TypeInfoView<'_>, resolver: &dyn Resolver) -> Json {
    let ti = &lib.types[index];
    let attr = view.type_attr();
    let mut m = Map::new();
    m.insert("guid".into(), guid(&attr.guid));
    m.insert("lcid".into(), json!(attr.lcid));
    m.insert("cbSizeInstance".into(), json!(attr.size));
    m.insert("typekind".into(), json!(attr.kind.raw()));
    m.insert("cFuncs".into(), json!(attr.func_count));
    m.insert("cVars".into(), json!(attr.var_count));
    m.insert("cImplTypes".into(), json!(attr.impl_count));
    m.insert("cbSizeVft".into(), json!(attr.vft_size));
    m.insert("cbAlignment".into(), json!(attr.align));
    m.insert("wTypeFlags".into(), json!(attr.flags));
    m.insert("major".into(), json!(attr.major));
    m.insert("minor".into(), json!(attr.minor));
    m.insert("memidConstructor".into(), json!(-1));
    m.insert("memidDestructor".into(), json!(-1));
    m.insert("idlflags".into(), json!(0));
    m.insert("typekind2".into(), json!(attr.kind.raw()));
    m.insert("typeflags2".into(), json!(view.type_flags()));
    // The loader's GetDocumentation2(MEMBERID_NIL) reports the type's name as its help string.
    m.insert("helpstring".into(), opt_str(&view.help_string()));
    if let Some(a) = &ti.alias {
        m.insert("alias".into(), tdesc(lib, a, resolver));
    }
    m.insert("name".into(), json!(ti.name));
    m.insert("doc".into(), opt_str(&ti.doc));
    m.insert("helpctx".into(), json!(ti.help_context));
    m.insert("helpstringctx".into(), json!(ti.help_string_context));
    m.insert("custdata".into(), custdata(&ti.custom));
    let mut impls: Vec<Json> = view
        .impl_types()
        .iter()
        .map(|it| {
            let mut o = Map::new();
            o.insert("ref".into(), reference(lib, &it.target, resolver));
            o.insert("flags".into(), json!(it.flags));
            if ti.kind == TypeKind::Coclass {
                o.insert("custdata".into(), custdata(&it.custom));
            }
            Json::Object(o)
        })
        .collect();
    // Implemented types the loader counts but cannot name (IDispatch without a reference to it).
    while impls.len() < attr.impl_count as usize {
        impls.push(json!({"flags": 0}));
    }
    m.insert("impltypes".into(), Json::Array(impls));
    let module_entry = |f: &FuncDesc| -> Option<(Json, Json, u16)> {
        if ti.kind != TypeKind::Module {
            return None;
        }
        // GetDllEntry: a named export reports ordinal 0xFFFF, an ordinal export no name.
        Some(match &f.entry {
            Some(DllEntry::Name(n)) => (opt_str(&ti.dll_name), json!(n), 0xFFFF),
            Some(DllEntry::Ordinal(o)) => (opt_str(&ti.dll_name), Json::Null, *o),
            None => (opt_str(&ti.dll_name), Json::Null, 0),
        })
    };
    let funcs = view.funcs();
    m.insert(
        "funcs".into(),
        Json::Array(
            funcs
                .iter()
                .map(|f| {
                    let (flib, f) = (f.lib(), &f.func);
                    let entry = module_entry(f);
                    let mut j = json!({
                        "memid": f.memid,
                        "funckind": f.kind.raw(),
                        "invkind": f.invkind.raw(),
                        "callconv": f.callconv.0,
                        "cParams": f.params.len(),
                        "cParamsOpt": f.opt_params,
                        "oVft": f.vtable_offset,
                        "wFuncFlags": f.flags,
                        "ret": tdesc(flib, &f.ret, resolver),
                        "params": f.params.iter().map(|p| {
                            let mut o = Map::new();
                            o.insert("t".into(), tdesc(flib, &p.ty, resolver));
                            o.insert("flags".into(), json!(p.flags));
                            if let Some(d) = &p.default { o.insert("default".into(), value(d)); }
                            o.insert("custdata".into(), custdata(&p.custom));
                            Json::Object(o)
                        }).collect::<Vec<_>>(),
                        "name": f.name,
                        "names": view.names(f.memid),
                        "cScodes": 0,
                        "helpstring": opt_str(&f.doc),
                        "doc": opt_str(&f.doc),
                        "helpctx": f.help_context,
                        "helpstringctx": f.help_string_context,
                        "custdata": custdata(&f.custom),
                    });
                    if let Some((dll, name, ordinal)) = entry {
                        j["dll"] = dll;
                        j["entry"] = name;
                        j["ordinal"] = json!(ordinal);
                    }
                    j
                })
                .collect(),
        ),
    );
    m.insert(
        "vars".into(),
        Json::Array(
            ti.vars
                .iter()
                .map(|v| {
                    let mut o = Map::new();
                    o.insert("memid".into(), json!(v.memid));
                    o.insert("varkind".into(), json!(v.kind.raw()));
                    o.insert("wVarFlags".into(), json!(v.flags));
                    o.insert("t".into(), tdesc(lib, &v.ty, resolver));
                    match &v.value {
                        VarValue::Const(c) => o.insert("value".into(), value(c)),
                        VarValue::Offset(off) => o.insert("oInst".into(), json!(off)),
                    };
                    o.insert("name".into(), json!(v.name));
                    o.insert("names".into(), json!(view.names(v.memid)));
                    o.insert("doc".into(), opt_str(&v.doc));
                    o.insert("helpctx".into(), json!(v.help_context));
                    o.insert("helpstringctx".into(), json!(v.help_string_context));
                    o.insert("custdata".into(), custdata(&v.custom));
                    Json::Object(o)
                })
                .collect(),
        ),
    );
    Json::Object(m)
}

/// Compares `ours` against the oracle's `theirs` on every key `ours` has (recursively), appending
/// `path: ours != theirs` lines to `out`. Custom data lists compare as sets (their order is the loader's).
pub fn compare(path: &str, ours: &Json, theirs: &Json, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in a {
                let p = format!("{path}.{k}");
                match b.get(k) {
                    Some(w) if k == "custdata" => {
                        let mut x: Vec<String> = v.as_array().into_iter().flatten().map(|e| e.to_string()).collect();
                        let mut y: Vec<String> = w.as_array().into_iter().flatten().map(|e| e.to_string()).collect();
                        x.sort();
                        y.sort();
                        if x != y {
                            out.push(format!("{p}: {x:?} != {y:?}"));
                        }
                    }
                    Some(w) => compare(&p, v, w, out),
                    None => out.push(format!("{p}: missing in oracle")),
                }
            }
        }
        (Json::Array(a), Json::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!("{path}: length {} != {}", a.len(), b.len()));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                // Where Wine's GetFuncDesc failed or crashed (the oracle recorded `error` / `crashed`: widl stored
                // an inline default of VT 31 for -1, which Wine's VariantCopy rejects), there is nothing to compare.
                if y.get("crashed").is_some() || y.get("error").is_some() {
                    continue;
                }
                compare(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (a, b) => {
            if a != b {
                out.push(format!("{path}: {a} != {b}"));
            }
        }
    }
}

/// Builds `tests/idl/<name>.idl` with widl for Win64 (`arch` 64) or Win32 (32) into the test's temp dir; `None`
/// (with a note) when widl is not installed (CI requires it).
pub fn widl(name: &str, arch: u32) -> Option<PathBuf> {
    let widl = Path::new("/usr/lib/wine/widl");
    if !widl.exists() || wine_dir().is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("widl is not installed: .ci/run must install wine64-tools");
        }
        eprintln!("skipped: widl not installed");
        return None;
    }
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("widl");
    std::fs::create_dir_all(&out_dir).unwrap();
    // One output per call: tests run in parallel and must not read a file another is writing.
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = out_dir.join(format!("{name}{arch}-{}-{n}.tlb", std::process::id()));
    let idl = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/idl").join(format!("{name}.idl"));
    let status = std::process::Command::new(widl)
        .arg("-I/usr/include/wine/wine/windows")
        .arg(format!("-L{WINE_DIR}"))
        .arg(format!("-m{arch}"))
        .arg("-t")
        .arg("-o")
        .arg(&out)
        .arg(&idl)
        .status()
        .expect("run widl");
    assert!(status.success(), "widl failed on {}", idl.display());
    Some(out)
}

/// The custom data widl stamps into every library (its version and the build time): not comparable between a
/// recording and a rebuild.
pub fn is_widl_stamp(g: &str) -> bool {
    g.starts_with("{DE77BA6")
}

/// Panics with the differences if `lib`, seen through the ITypeInfo view, differs from the oracle's `lines` (a
/// "typelib" line then one "typeinfo" line per type) on any field the view produces.
pub fn assert_matches_oracle(file: &str, lib: &TypeLib, format: Format, lines: Vec<Json>) {
    let resolver = SearchPath::new([PathBuf::from(WINE_DIR)]);
    let head = &lines[0];
    assert_eq!(head["kind"], "typelib");
    assert_eq!(head["load_hr"], "0x00000000", "{file}: LoadTypeLib failed");
    let ours = json!({
        "guid": guid(&lib.attr.guid),
        // GetLibAttr reports the locale the types report (the header's second LCID), not the first.
        "lcid": lib.type_lcid,
        "syskind": lib.attr.syskind.raw(),
        "major": lib.attr.major,
        "minor": lib.attr.minor,
        // The MSFT loader marks every library it reads from a file.
        "libflags": if format == Format::Msft { lib.attr.flags | LIBFLAG_FHASDISKIMAGE } else { lib.attr.flags },
        "count": lib.types.len(),
        "name": lib.name,
        "doc": opt_str(&lib.doc),
        "helpfile": opt_str(&lib.help_file),
        // Wine reports the header's help string context as the library's help context.
        "helpctx": lib.help_string_context,
        "helpstringdll": opt_str(&lib.help_string_dll),
        "custdata": custdata(&lib.custom),
        "types": lib.types.iter().map(|t| t.kind.raw()).collect::<Vec<_>>(),
    });
    let mut diffs = Vec::new();
    compare(file, &ours, head, &mut diffs);
    assert_eq!(lines.len(), lib.types.len() + 1, "{file}: line count");
    for line in &lines[1..] {
        let index = line["index"].as_u64().unwrap() as usize;
        let mut ours = type_info_json(lib, index, &resolver, format);
        if format == Format::Sltg && matches!(lib.types[index].kind, TypeKind::Record | TypeKind::Enum) {
            // Wine quirk: its SLTG loader reads records and enums without their reference table (it passes none
            // to its variable reader), so references in their fields do not resolve there (TYPE_E_ELEMENTNOTFOUND).
            // This crate's reader resolves them; the references are left out of the comparison.
            strip_refs(&mut ours["vars"]);
        }
        compare(&format!("{file}[{index}]"), &ours, line, &mut diffs);
    }
    if !diffs.is_empty() {
        let n = diffs.len();
        diffs.truncate(60);
        panic!("{file}: {n} differences from Wine's oleaut32:\n{}", diffs.join("\n"));
    }
}

fn strip_refs(j: &mut Json) {
    match j {
        Json::Object(m) => {
            m.remove("ref");
            m.values_mut().for_each(strip_refs);
        }
        Json::Array(a) => a.iter_mut().for_each(strip_refs),
        _ => {}
    }
}

/// Runs the oracle (oracle/tlbdump.c, built with mingw-w64 into the test's temp dir) under wine64 on `path`;
/// `None` (with a note) without mingw / wine64 (CI requires them).
pub fn oracle_dump(path: &Path) -> Option<Vec<Json>> {
    let gcc = "x86_64-w64-mingw32-gcc";
    let have_gcc = std::process::Command::new(gcc).arg("--version").output().is_ok();
    if !have_gcc || wine_dir().is_none() || !Path::new("/usr/lib/wine/wine64").exists() {
        if std::env::var_os("CI").is_some() {
            panic!("mingw-w64 / wine64 missing: .ci/run must install gcc-mingw-w64-x86-64 and wine64");
        }
        eprintln!("skipped: mingw-w64 or wine64 not installed");
        return None;
    }
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let exe = tmp.join("tlbdump.exe");
    static BUILD: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    {
        let mut built = BUILD.lock().unwrap_or_else(|e| e.into_inner());
        if !*built {
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle/tlbdump.c");
            let status = std::process::Command::new(gcc)
                .args(["-O1", "-o"])
                .arg(&exe)
                .arg(&src)
                .args(["-loleaut32", "-lole32", "-luuid"])
                .status()
                .unwrap();
            assert!(status.success(), "building the oracle failed");
            *built = true;
        }
    }
    // One wine64 at a time per test process: the first run creates the prefix, and two doing so at once race.
    static WINE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = WINE.lock().unwrap_or_else(|e| e.into_inner());
    let out = std::process::Command::new("/usr/lib/wine/wine64")
        .arg(&exe)
        .arg(format!("--label={}", path.file_name().unwrap().to_string_lossy()))
        .arg(path)
        .env("WINEPREFIX", tmp.join("wineprefix"))
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect())
}

/// A library described from Rust (as a Rust COM server would describe itself), within what both MSFT and SLTG
/// hold: an enum, a record, an alias, a vtable interface, a dual interface, a dispinterface, a coclass and a
/// module, referring to IUnknown / IDispatch in stdole2.
pub fn rust_described_lib() -> TypeLib {
    use marshal_core::{Guid, VarType};
    let g = |n: u128| Guid::from_u128(0x5A1E0000_0000_4000_8000_000000000000 | n);
    let base = |vt: VarType| ElemType::Base(vt);
    let stdole = |index: u32| TypeRef::External { lib: 0, target: ExternalTarget::Index(index) };
    let param = |name: &str, ty: ElemType, flags: u16| ParamDesc {
        name: Some(name.into()),
        ty,
        flags,
        default: None,
        custom: Vec::new(),
    };
    let func =
        |memid: i32, name: &str, kind: FuncKind, invkind: InvokeKind, vft: u16, ret: ElemType, params| FuncDesc {
            memid,
            name: name.into(),
            kind,
            invkind,
            callconv: CallConv::STDCALL,
            flags: 0,
            vtable_offset: vft,
            ret,
            params,
            opt_params: 0,
            doc: None,
            help_context: 0,
            help_string_context: 0,
            entry: None,
            custom: Vec::new(),
        };
    let var = |memid: i32, name: &str, kind: VarKind, ty: ElemType, value: VarValue| VarDesc {
        memid,
        name: name.into(),
        kind,
        flags: 0,
        ty,
        value,
        doc: None,
        help_context: 0,
        help_string_context: 0,
        custom: Vec::new(),
    };
    let ty = |name: &str, guid: Guid, kind: TypeKind, flags: u16, size: u32, align: u16, vft: u16| TypeInfo {
        name: name.into(),
        doc: None,
        help_context: 0,
        help_string_context: 0,
        guid,
        kind,
        flags,
        major: 0,
        minor: 0,
        size,
        align,
        vft_size: vft,
        alias: None,
        dll_name: None,
        funcs: Vec::new(),
        vars: Vec::new(),
        impl_types: Vec::new(),
        custom: Vec::new(),
    };
    let hr = base(VarType::HRESULT);
    let (pin, pout) = (paramflags::IN, paramflags::OUT | paramflags::RETVAL);
    let c = |v: i32| VarValue::Const(Value::Int(v));

    let mut colour = ty("Colour", g(1), TypeKind::Enum, 0, 4, 4, 0);
    colour.vars = vec![
        var(0x4000_0000, "Red", VarKind::Const, base(VarType::INT), c(0)),
        var(0x4000_0001, "Green", VarKind::Const, base(VarType::INT), c(7)),
        var(0x4000_0002, "Blue", VarKind::Const, base(VarType::INT), c(-3)),
    ];
    let mut point = ty("Point", g(2), TypeKind::Record, 0, 24, 8, 0);
    point.vars = vec![
        var(0x4000_0000, "x", VarKind::PerInstance, base(VarType::I4), VarValue::Offset(0)),
        var(0x4000_0001, "y", VarKind::PerInstance, base(VarType::I4), VarValue::Offset(4)),
        var(0x4000_0002, "name", VarKind::PerInstance, base(VarType::BSTR), VarValue::Offset(8)),
        var(
            0x4000_0003,
            "tag",
            VarKind::PerInstance,
            ElemType::CArray { elem: Box::new(base(VarType::UI1)), bounds: vec![(4, 0)] },
            VarValue::Offset(16),
        ),
    ];
    let mut handle = ty("Handle", Guid::NULL, TypeKind::Alias, 0, 4, 4, 0);
    handle.alias = Some(base(VarType::I4));
    let mut icalc = ty("ICalc", g(3), TypeKind::Interface, typeflags::OLEAUTOMATION, 8, 8, 48);
    icalc.impl_types = vec![ImplType { target: stdole(3), flags: 0, custom: Vec::new() }];
    icalc.funcs = vec![
        func(
            0x6001_0000,
            "Add",
            FuncKind::PureVirtual,
            InvokeKind::Func,
            24,
            hr.clone(),
            vec![
                param("a", base(VarType::I4), pin),
                param("b", base(VarType::I4), pin),
                param("sum", base(VarType::I4).ptr(), pout),
            ],
        ),
        func(
            0x6001_0001,
            "Name",
            FuncKind::PureVirtual,
            InvokeKind::PropertyGet,
            32,
            hr.clone(),
            vec![param("name", base(VarType::BSTR).ptr(), pout)],
        ),
        func(
            0x6001_0001,
            "Name",
            FuncKind::PureVirtual,
            InvokeKind::PropertyPut,
            40,
            hr.clone(),
            vec![param("name", base(VarType::BSTR), pin)],
        ),
        func(
            0x6001_0003,
            "Move",
            FuncKind::PureVirtual,
            InvokeKind::Func,
            48 - 8,
            hr.clone(),
            vec![
                param("p", ElemType::UserDefined(TypeRef::Local(1)).ptr(), pin | paramflags::OUT),
                param("colour", ElemType::UserDefined(TypeRef::Local(0)), pin),
            ],
        ),
    ];
    icalc.funcs[3].vtable_offset = 48;
    icalc.vft_size = 56;
    let mut dual = ty(
        "IDualCalc",
        g(4),
        TypeKind::Dispatch,
        typeflags::DUAL | typeflags::OLEAUTOMATION | typeflags::DISPATCHABLE,
        8,
        8,
        80,
    );
    dual.impl_types = vec![ImplType { target: stdole(4), flags: 0, custom: Vec::new() }];
    dual.funcs = vec![
        func(
            1,
            "Twice",
            FuncKind::PureVirtual,
            InvokeKind::Func,
            56,
            hr.clone(),
            vec![param("x", base(VarType::I4), pin), param("result", base(VarType::I4).ptr(), pout)],
        ),
        func(
            2,
            "Item",
            FuncKind::PureVirtual,
            InvokeKind::PropertyGet,
            64,
            hr.clone(),
            vec![param("index", base(VarType::I4), pin), param("item", base(VarType::VARIANT).ptr(), pout)],
        ),
        func(
            2,
            "Item",
            FuncKind::PureVirtual,
            InvokeKind::PropertyPut,
            72,
            hr.clone(),
            vec![param("index", base(VarType::I4), pin), param("item", base(VarType::VARIANT), pin)],
        ),
    ];
    let mut events = ty("DEvents", g(5), TypeKind::Dispatch, 0, 8, 8, 8);
    events.funcs = vec![func(
        1,
        "Changed",
        FuncKind::Dispatch,
        InvokeKind::Func,
        0,
        base(VarType::VOID),
        vec![param("what", base(VarType::BSTR), pin)],
    )];
    events.vars = vec![var(2, "Count", VarKind::Dispatch, base(VarType::I4), VarValue::Offset(0))];
    let mut calc = ty("Calc", g(6), TypeKind::Coclass, typeflags::CANCREATE, 8, 8, 0);
    calc.impl_types = vec![
        ImplType { target: TypeRef::Local(3), flags: impltypeflags::DEFAULT, custom: Vec::new() },
        ImplType { target: TypeRef::Local(4), flags: 0, custom: Vec::new() },
        ImplType {
            target: TypeRef::Local(5),
            flags: impltypeflags::DEFAULT | impltypeflags::SOURCE,
            custom: Vec::new(),
        },
    ];
    let mut consts = ty("Consts", Guid::NULL, TypeKind::Module, 0, 0, 0, 0);
    consts.vars = vec![
        var(0x4000_0000, "Answer", VarKind::Const, base(VarType::INT), c(42)),
        var(0x4000_0001, "Big", VarKind::Const, base(VarType::INT), c(-100_000)),
        var(
            0x4000_0002,
            "Greeting",
            VarKind::Const,
            base(VarType::BSTR),
            VarValue::Const(Value::Bstr(Some("hello".into()))),
        ),
    ];
    consts.funcs = vec![func(
        0x6000_0000,
        "Twice",
        FuncKind::Static,
        InvokeKind::Func,
        0,
        base(VarType::I4),
        vec![param("x", base(VarType::I4), pin)],
    )];
    TypeLib {
        attr: LibAttr { guid: g(0), lcid: 0, syskind: SysKind::Win64, major: 1, minor: 2, flags: 0 },
        type_lcid: 0,
        name: "RustCalc".into(),
        doc: Some("described from Rust".into()),
        help_file: None,
        help_context: 0,
        help_string_context: 0,
        help_string_dll: None,
        custom: Vec::new(),
        types: vec![colour, point, handle, icalc, dual, events, calc, consts],
        imports: vec![ImportLib {
            guid: Guid::from_u128(0x00020430_0000_0000_c000_000000000046),
            major: 2,
            minor: 0,
            lcid: 0,
            name: "stdole2.tlb".into(),
        }],
        dispatch_ref: Some(stdole(4)),
    }
}
