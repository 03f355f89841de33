//! The reader against Wine's oleaut32: every type library Wine ships that the oracle (oracle/tlbdump.c) recorded
//! in vectors/ is read from Debian's wine64 package and compared on every field the oracle prints.

mod common;

use common::*;
use marshal_typelib::*;
use serde_json::json;

fn check_library(file: &str) {
    let Some(dir) = wine_dir() else { return };
    let lines = read_vectors(&format!("wine_{}.jsonl.gz", file.rsplit_once('.').unwrap().0));
    check_against(file, &dir.join(file), lines);
}

fn check_widl(arch: u32) {
    let Some(path) = widl("testlib", arch) else { return };
    let mut lines = read_vectors(&format!("widl_testlib{arch}.jsonl.gz"));
    // widl's build stamp differs between the recording and this build.
    for l in &mut lines {
        if let Some(serde_json::Value::Array(c)) = l.get_mut("custdata") {
            c.retain(|e| !is_widl_stamp(e["guid"].as_str().unwrap()));
        }
    }
    check_against(&format!("testlib{arch}.tlb"), &path, lines);
}

fn check_against(file: &str, path: &std::path::Path, lines: Vec<serde_json::Value>) {
    let dir = std::path::PathBuf::from(WINE_DIR);
    let mut lib = TypeLib::from_file(path).unwrap_or_else(|e| panic!("{file}: {e}"));
    if file.starts_with("testlib") {
        lib.custom.retain(|c| !is_widl_stamp(&c.guid.to_string()));
    }
    let resolver = SearchPath::new([dir.clone()]);
    let head = &lines[0];
    assert_eq!(head["kind"], "typelib");
    let ours = json!({
        "guid": guid(&lib.attr.guid),
        // GetLibAttr reports the locale the types report (the header's second LCID), not the first.
        "lcid": lib.type_lcid,
        "syskind": lib.attr.syskind.raw(),
        "major": lib.attr.major,
        "minor": lib.attr.minor,
        "libflags": lib.attr.flags | LIBFLAG_FHASDISKIMAGE,
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
    for line in &lines[1..] {
        let index = line["index"].as_u64().unwrap() as usize;
        let ours = type_info_json(&lib, index, &resolver);
        compare(&format!("{file}[{index}]"), &ours, line, &mut diffs);
    }
    if !diffs.is_empty() {
        let n = diffs.len();
        diffs.truncate(60);
        panic!("{file}: {n} differences from Wine's oleaut32:\n{}", diffs.join("\n"));
    }
}

#[test]
fn stdole2() {
    check_library("stdole2.tlb");
}

#[test]
fn stdole32() {
    check_library("stdole32.tlb");
}

#[test]
fn activeds() {
    check_library("activeds.tlb");
}

#[test]
fn mshtml() {
    check_library("mshtml.tlb");
}

#[test]
fn msxml3() {
    check_library("msxml3.dll");
}

#[test]
fn msado15() {
    check_library("msado15.dll");
}

#[test]
fn widl_testlib_win64() {
    check_widl(64);
}

#[test]
fn widl_testlib_win32() {
    check_widl(32);
}
