//! The reader against Wine's oleaut32: every type library Wine ships that the oracle (oracle/tlbdump.c) recorded
//! in vectors/ is read from Debian's wine64 package and compared on every field the oracle prints.

mod common;

use common::*;
use marshal_typelib::*;
use serde_json::json;

fn check_library(file: &str) {
    let Some(dir) = wine_dir() else { return };
    let lines = read_vectors(&format!("wine_{}.jsonl.gz", file.rsplit_once('.').unwrap().0));
    let lib = TypeLib::from_file(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
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
