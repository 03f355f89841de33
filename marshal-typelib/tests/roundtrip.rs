//! Writers: model → MSFT → reader gives the same model, for Wine's libraries and the widl-built test library.

mod common;

use common::*;
use marshal_typelib::*;

fn roundtrip_msft(label: &str, lib: &TypeLib) {
    let bytes = lib.to_msft().unwrap_or_else(|e| panic!("{label}: write: {e}"));
    let back = TypeLib::from_bytes(&bytes).unwrap_or_else(|e| panic!("{label}: read back: {e}"));
    assert_eq!(back.types.len(), lib.types.len());
    for (a, b) in lib.types.iter().zip(&back.types) {
        assert_eq!(a, b, "{label}: type {}", a.name);
    }
    assert_eq!(&back, lib, "{label}: library attributes");
}

#[test]
fn wine_libraries_roundtrip_through_msft() {
    let Some(dir) = wine_dir() else { return };
    for f in ["stdole2.tlb", "stdole32.tlb", "activeds.tlb", "mshtml.tlb", "msxml3.dll", "msado15.dll"] {
        let lib = TypeLib::from_file(dir.join(f)).unwrap();
        roundtrip_msft(f, &lib);
    }
}

#[test]
fn widl_testlib_roundtrips_through_msft() {
    for arch in [64, 32] {
        let Some(path) = widl("testlib", arch) else { return };
        let lib = TypeLib::from_file(&path).unwrap();
        roundtrip_msft(&format!("testlib{arch}"), &lib);
    }
}

/// Writer → LoadTypeLib under Wine: what Wine reports for the written file equals what the reader reports for the
/// model. One test runs every library in turn (one Wine prefix, no concurrent wineservers).
#[test]
fn msft_written_files_load_in_wine() {
    let Some(dir) = wine_dir() else { return };
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("written");
    std::fs::create_dir_all(&out).unwrap();
    let mut libs: Vec<(String, TypeLib)> = Vec::new();
    for f in ["stdole2.tlb", "activeds.tlb", "msxml3.dll"] {
        libs.push((f.to_string(), TypeLib::from_file(dir.join(f)).unwrap()));
    }
    for arch in [64, 32] {
        let Some(path) = widl("testlib", arch) else { return };
        libs.push((format!("testlib{arch}"), TypeLib::from_file(&path).unwrap()));
    }
    for (label, lib) in libs {
        let file = out.join(format!("{}.msft.tlb", label.replace('.', "_")));
        std::fs::write(&file, lib.to_msft().unwrap()).unwrap();
        let Some(lines) = oracle_dump(&file) else { return };
        assert_matches_oracle(&label, &lib, Format::Msft, lines);
    }
}
