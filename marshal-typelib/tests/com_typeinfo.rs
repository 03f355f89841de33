//! `ITypeLib` / `ITypeInfo` on the COM ABI.
//!
//! - A native client (tests/c/typeinfo_dump.c, raw vtables, its own oaidl.h layouts) reads libraries served from
//!   this crate's reader and prints what every method reports; that must equal what Wine's `LoadTypeLib` reported
//!   for the same files (the oracle's recordings in vectors/), and the client's releases must leave nothing
//!   allocated and no object alive.
//! - `StdDispatch::GetTypeInfo` hands out the type it serves.
//! - The client side: a served `ITypeInfo` read back through its COM methods gives the same model as the reader,
//!   and `LateBound::from_dispatch` calls an object with the type information the object itself hands out.

mod common;

use std::sync::Arc;

use common::*;
use core::ffi::c_void;
use marshal_core::variant::Variant;
use marshal_core::{Bstr, Hresult, BSTR};
use marshal_typelib::com_reader::read_type_info;
use marshal_typelib::com_typeinfo::TypeLibObject;
use marshal_typelib::dispatch::*;
use marshal_typelib::std_dispatch::{Invokable, LateBound, StdDispatch};
use marshal_typelib::*;
use serde_json::Value as Json;

extern "C" {
    fn c_dump_typelib(lib: *mut c_void, free_bstr: extern "C" fn(BSTR), len: *mut usize) -> *mut u8;
    fn c_dump_free(text: *mut u8);
    fn c_dispatch_type_info(
        d: *mut c_void,
        count: *mut u32,
        free_bstr: extern "C" fn(BSTR),
        name: *mut u16,
        name_room: u32,
        funcs: *mut u32,
        typekind: *mut i32,
        bad_index_hr: *mut Hresult,
    ) -> Hresult;
}

/// `SysFreeString` for the C client.
extern "C" fn free_bstr(b: BSTR) {
    if !b.is_null() {
        // SAFETY: a BSTR this crate allocated and handed to the C client, which gives it back once.
        drop(unsafe { Bstr::from_raw(b) });
    }
}

/// The C client's dump of a served library, one JSON value per line.
fn c_dump(served: &TypeLibObject) -> Vec<Json> {
    let tl = served.type_lib();
    let mut len = 0usize;
    // SAFETY: a live ITypeLib; the C client follows the ITypeLib / ITypeInfo contracts.
    let text = unsafe { c_dump_typelib(tl.as_raw(), free_bstr, &mut len) };
    assert!(!text.is_null());
    // SAFETY: open_memstream's buffer of `len` bytes.
    let s = String::from_utf8(unsafe { core::slice::from_raw_parts(text, len) }.to_vec()).unwrap();
    // SAFETY: the buffer c_dump_typelib returned, freed once.
    unsafe { c_dump_free(text) };
    drop(tl);
    s.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

fn wine_resolver() -> Arc<dyn Resolver + Send + Sync> {
    Arc::new(SearchPath::new([WINE_DIR]))
}

/// The served library, dumped by the C client, against the oracle's recording of Wine on the same file.
///
/// `library_help_context`: the library's `helpcontext` from its IDL, where Wine's loader reports another number (it
/// reports the header's help *string* context as the library's help context; the served object reports the
/// library's help context, as `ITypeLib::GetDocumentation` documents).
fn assert_native_client_sees_what_wine_reports(
    name: &str,
    lib: TypeLib,
    mut oracle: Vec<Json>,
    library_help_context: Option<u32>,
) {
    if let Some(ctx) = library_help_context {
        oracle[0]["helpctx"] = ctx.into();
    }
    let served = TypeLibObject::new(lib, wine_resolver());
    let dump = c_dump(&served);
    assert_eq!(dump.len(), oracle.len(), "{name}: one line per type info plus the library's");
    let mut diffs = Vec::new();
    let mut compared_funcs = 0;
    for (ours, theirs) in dump.iter().zip(oracle.iter_mut()) {
        assert_eq!(ours["kind"], theirs["kind"]);
        compared_funcs += ours.get("funcs").and_then(Json::as_array).map_or(0, Vec::len);
        compare(&format!("{name}[{}]", ours.get("index").unwrap_or(&Json::Null)), ours, theirs, &mut diffs);
    }
    assert!(compared_funcs > 0, "{name}: the dump compared no function");
    if !diffs.is_empty() {
        let n = diffs.len();
        diffs.truncate(40);
        panic!("{name}: {n} differences between the native client's view and Wine's:\n{}", diffs.join("\n"));
    }
    // Every structure went back through Release*, every reference through Release.
    assert_eq!(served.outstanding_structures(), 0, "{name}: structures not released");
    assert_eq!(served.live_objects(), 0, "{name}: objects still alive");
}

#[test]
fn native_client_reads_stdole2_as_wine_reports_it() {
    let Some(dir) = wine_dir() else { return };
    let lib = TypeLib::from_file(dir.join("stdole2.tlb")).unwrap();
    assert_native_client_sees_what_wine_reports("stdole2.tlb", lib, read_vectors("wine_stdole2.jsonl.gz"), None);
}

#[test]
fn native_client_reads_stdole32_as_wine_reports_it() {
    let Some(dir) = wine_dir() else { return };
    let lib = TypeLib::from_file(dir.join("stdole32.tlb")).unwrap();
    assert_native_client_sees_what_wine_reports("stdole32.tlb", lib, read_vectors("wine_stdole32.jsonl.gz"), None);
}

#[test]
fn native_client_reads_activeds_as_wine_reports_it() {
    let Some(dir) = wine_dir() else { return };
    let lib = TypeLib::from_file(dir.join("activeds.tlb")).unwrap();
    assert_native_client_sees_what_wine_reports("activeds.tlb", lib, read_vectors("wine_activeds.jsonl.gz"), None);
}

#[test]
fn native_client_reads_mshtml_as_wine_reports_it() {
    let Some(dir) = wine_dir() else { return };
    let lib = TypeLib::from_file(dir.join("mshtml.tlb")).unwrap();
    assert_native_client_sees_what_wine_reports("mshtml.tlb", lib, read_vectors("wine_mshtml.jsonl.gz"), None);
}

#[test]
fn native_client_reads_msxml3_as_wine_reports_it() {
    let Some(dir) = wine_dir() else { return };
    let lib = TypeLib::from_file(dir.join("msxml3.dll")).unwrap();
    assert_native_client_sees_what_wine_reports("msxml3.dll", lib, read_vectors("wine_msxml3.jsonl.gz"), None);
}

#[test]
fn native_client_reads_a_win32_widl_library_as_wine_reports_it() {
    let Some(path) = widl("testlib", 32) else { return };
    let lib = TypeLib::from_file(&path).unwrap();
    // tests/idl/testlib.idl: `helpcontext(77)`.
    let oracle = read_vectors("widl_testlib32.jsonl.gz");
    assert_native_client_sees_what_wine_reports("testlib32.tlb", lib, oracle, Some(77));
}

#[test]
fn native_client_reads_msado15_as_wine_reports_it() {
    let Some(dir) = wine_dir() else { return };
    let lib = TypeLib::from_file(dir.join("msado15.dll")).unwrap();
    // Where Wine's own GetFuncDesc crashed (recorded as `crashed`), `compare` has nothing to compare.
    assert_native_client_sees_what_wine_reports("msado15.dll", lib, read_vectors("wine_msado15.jsonl.gz"), None);
}

#[test]
fn native_client_reads_a_widl_library_as_wine_reports_it() {
    let Some(path) = widl("testlib", 64) else { return };
    let lib = TypeLib::from_file(&path).unwrap();
    // tests/idl/testlib.idl: `helpcontext(77)`.
    let oracle = read_vectors("widl_testlib64.jsonl.gz");
    assert_native_client_sees_what_wine_reports("testlib64.tlb", lib, oracle, Some(77));
}

/// The Rust object behind IDualThing of the widl test library.
struct Thing;

impl Invokable for Thing {
    fn invoke(&self, call: &BoundCall<'_>) -> Result<Variant, Exception> {
        match call.name {
            "Compute" => {
                let x = f64::try_from(&call.args[0]).unwrap();
                let times = i32::try_from(&call.args[1]).unwrap();
                Ok(Variant::from(x * times as f64))
            }
            _ => Err(Exception { scode: Hresult::E_NOTIMPL.0, ..Exception::default() }),
        }
    }
}

/// The oracle's `typeinfo` line for the type named `name`.
fn oracle_line<'a>(lines: &'a [Json], name: &str) -> &'a Json {
    lines.iter().find(|l| l["kind"] == "typeinfo" && l["name"] == name).unwrap()
}

#[test]
fn std_dispatch_hands_out_its_type_info() {
    let Some(path) = widl("testlib", 64) else { return };
    let served = TypeLibObject::new(TypeLib::from_file(&path).unwrap(), wine_resolver());
    let index = served.lib().find_type("IDualThing").unwrap();
    let disp = StdDispatch::with_type_info(&served, index, Thing).unwrap();
    let (mut count, mut funcs, mut typekind, mut bad) = (0u32, 0u32, 0i32, Hresult::S_OK);
    let mut name = [0u16; 64];
    // SAFETY: a live IDispatch; the C function follows the IDispatch / ITypeInfo contracts.
    let hr = unsafe {
        c_dispatch_type_info(
            disp.as_raw(),
            &mut count,
            free_bstr,
            name.as_mut_ptr(),
            64,
            &mut funcs,
            &mut typekind,
            &mut bad,
        )
    };
    assert_eq!(hr, Hresult::S_OK);
    assert_eq!(count, 1, "GetTypeInfoCount");
    assert_eq!(bad, Hresult::DISP_E_BADINDEX, "GetTypeInfo(1)");
    let name = String::from_utf16_lossy(&name[..name.iter().position(|c| *c == 0).unwrap()]);
    assert_eq!(name, "IDualThing");
    // What Wine's LoadTypeLib reports for the same type.
    let oracle = read_vectors("widl_testlib64.jsonl.gz");
    let line = oracle_line(&oracle, "IDualThing");
    assert_eq!(typekind as i64, line["typekind"].as_i64().unwrap());
    assert_eq!(funcs as i64, line["cFuncs"].as_i64().unwrap());
    assert_eq!(served.live_objects(), 0, "the ITypeInfo handed out was released");
    assert_eq!(served.outstanding_structures(), 0);

    // Without a library, no type information.
    let table = DispatchTable::from_type_info(served.lib(), index, served.resolver()).unwrap();
    let plain = StdDispatch::create(table, Thing).unwrap();
    let mut n = 9;
    // SAFETY: a live IDispatch; `n` is writable.
    assert_eq!(unsafe { plain.get_type_info_count(&mut n) }, Hresult::S_OK);
    assert_eq!(n, 0);
    let e = LateBound::from_dispatch(plain, 0x409).err().expect("no type information");
    assert!(matches!(e, TypeLibError::ComCall { .. }), "{e}");
}

/// A model's view with what the COM client cannot see removed: ITypeInfo2's answers (custom data, help strings)
/// and where a referenced type lives (the client builds one library of everything it reached); the referenced
/// type's name stays.
fn comparable(j: &mut Json) {
    match j {
        Json::Object(m) => {
            for k in ["custdata", "helpstring", "helpstringctx", "helpstringdll", "doc2_hr", "typeflags2", "typekind2"]
            {
                m.remove(k);
            }
            if let Some(Json::Object(r)) = m.get_mut("ref") {
                r.remove("lib");
                r.remove("index");
            }
            m.values_mut().for_each(comparable);
        }
        Json::Array(a) => a.iter_mut().for_each(comparable),
        _ => {}
    }
}

/// Every type of `lib`, served, read back through the COM methods, seen through the ITypeInfo view: the same as
/// the reader's model seen through the same view.
fn assert_round_trip_through_com(name: &str, lib: TypeLib) {
    let resolver = wine_resolver();
    let served = TypeLibObject::new(lib, resolver.clone());
    let original = served.lib().clone();
    let mut diffs = Vec::new();
    for index in 0..original.types.len() {
        let info = served.type_info(index).unwrap();
        let (model, at) = read_type_info(&info).unwrap_or_else(|e| panic!("{name}[{index}]: {e}"));
        drop(info);
        let mut expected = type_info_json(&original, index, &*resolver, Format::Msft);
        let mut got = type_info_json(&model, at, &(), Format::Msft);
        comparable(&mut expected);
        comparable(&mut got);
        let ti = &original.types[index];
        if ti.kind == TypeKind::Dispatch && ti.flags & typeflags::DUAL == 0 {
            // A dispinterface wrapping an interface lists that interface's functions in Invoke form; their vtable
            // offsets (meaningless to Invoke) are not recoverable from that form (see com_reader's docs).
            for j in [&mut expected, &mut got] {
                j["funcs"].as_array_mut().unwrap().iter_mut().for_each(|f| {
                    f.as_object_mut().unwrap().remove("oVft");
                });
            }
        }
        compare(&format!("{name}[{index}]"), &got, &expected, &mut diffs);
        compare(&format!("{name}[{index}] (reverse)"), &expected, &got, &mut diffs);
        if matches!(original.types[index].kind, TypeKind::Dispatch) {
            let a = DispatchTable::from_type_info(&original, index, &*resolver).unwrap();
            let b = DispatchTable::from_type_info(&model, at, &()).unwrap();
            if format!("{a:?}") != format!("{b:?}") {
                diffs.push(format!("{name}[{index}]: dispatch tables differ:\n{a:?}\n{b:?}"));
            }
        }
    }
    if !diffs.is_empty() {
        let n = diffs.len();
        diffs.truncate(40);
        panic!("{name}: {n} differences after the COM round trip:\n{}", diffs.join("\n"));
    }
    assert_eq!(served.outstanding_structures(), 0, "{name}: the reader released every structure");
    assert_eq!(served.live_objects(), 0, "{name}: the reader released every object");
}

#[test]
fn stdole2_round_trips_through_the_com_abi() {
    let Some(dir) = wine_dir() else { return };
    assert_round_trip_through_com("stdole2.tlb", TypeLib::from_file(dir.join("stdole2.tlb")).unwrap());
}

#[test]
fn widl_library_round_trips_through_the_com_abi() {
    let Some(path) = widl("testlib", 64) else { return };
    assert_round_trip_through_com("testlib64.tlb", TypeLib::from_file(&path).unwrap());
}

#[test]
fn late_bound_client_from_the_objects_own_type_info() {
    let Some(path) = widl("testlib", 64) else { return };
    let served = TypeLibObject::new(TypeLib::from_file(&path).unwrap(), wine_resolver());
    let index = served.lib().find_type("IDualThing").unwrap();
    let disp = StdDispatch::with_type_info(&served, index, Thing).unwrap();
    let client = LateBound::from_dispatch(disp, 0x409).unwrap();
    // Named arguments, case-insensitive, the defaulted `times` omitted (its default, 1, comes from the type info).
    let r = client.call("compute", DISPATCH_METHOD, &[], &[("X", Variant::from("2.5"))]).unwrap();
    assert_eq!(f64::try_from(&r).unwrap(), 2.5);
    let r = client
        .call("Compute", DISPATCH_METHOD, &[], &[("times", Variant::from(3)), ("x", Variant::from(1.5f64))])
        .unwrap();
    assert_eq!(f64::try_from(&r).unwrap(), 4.5);
    // A bad argument is caught by the type information read through COM.
    let e = client.call("Compute", DISPATCH_METHOD, &[Variant::from("not a number")], &[]).unwrap_err();
    assert_eq!(e, InvokeError::Argument { hr: Hresult::DISP_E_TYPEMISMATCH, arg_err: 0 });
    drop(client);
    assert_eq!(served.live_objects(), 0);
    assert_eq!(served.outstanding_structures(), 0);
}

#[test]
fn served_objects_refuse_bad_calls_and_ignore_foreign_releases() {
    let Some(dir) = wine_dir() else { return };
    let served = TypeLibObject::new(TypeLib::from_file(dir.join("stdole2.tlb")).unwrap(), wine_resolver());
    let index = served.lib().find_type("IFont").unwrap();
    let info = served.type_info(index).unwrap();
    // SAFETY: a live ITypeInfo; every pointer passed is a local or null, as each case says.
    unsafe {
        assert_eq!(info.get_type_attr(core::ptr::null_mut()), Hresult::E_INVALIDARG);
        let mut fd = core::ptr::null_mut();
        assert_eq!(info.get_func_desc(u32::MAX, &mut fd), Hresult::TYPE_E_ELEMENTNOTFOUND);
        assert!(fd.is_null());
        let mut names = [core::ptr::null_mut(); 2];
        assert_eq!(info.get_names(0x7fff_0000, names.as_mut_ptr(), 2, core::ptr::null_mut()), Hresult::E_INVALIDARG);
        assert_eq!(info.get_ref_type_info(0xffff_fffe, &mut core::ptr::null_mut()), Hresult::TYPE_E_ELEMENTNOTFOUND);
        // A structure it did not hand out, and one released twice, are ignored.
        let mut foreign: marshal_typelib::oaidl::TYPEATTR = core::mem::zeroed();
        info.release_type_attr(&mut foreign);
        let mut attr = core::ptr::null_mut();
        assert_eq!(info.get_type_attr(&mut attr), Hresult::S_OK);
        assert_eq!(served.outstanding_structures(), 1);
        info.release_type_attr(attr);
        info.release_type_attr(attr);
        assert_eq!(served.outstanding_structures(), 0);
    }
    drop(info);
    assert_eq!(served.live_objects(), 0);
}
