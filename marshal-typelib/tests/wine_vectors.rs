//! The reader against Wine's oleaut32: every type library Wine ships that the oracle (oracle/tlbdump.c) recorded
//! in vectors/ is read from Debian's wine64 package and compared on every field the oracle prints.

mod common;

use common::*;
use marshal_typelib::*;

fn check_library(file: &str) {
    let Some(dir) = wine_dir() else { return };
    let lines = read_vectors(&format!("wine_{}.jsonl.gz", file.rsplit_once('.').unwrap().0));
    let lib = TypeLib::from_file(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_matches_oracle(file, &lib, Format::Msft, lines);
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
    let mut lib = TypeLib::from_file(&path).unwrap();
    lib.custom.retain(|c| !is_widl_stamp(&c.guid.to_string()));
    assert_matches_oracle(&format!("testlib{arch}.tlb"), &lib, Format::Msft, lines);
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
