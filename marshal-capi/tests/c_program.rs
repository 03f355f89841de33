//! The C test program (`tests/c/capi_test.c`): built with gcc against `include/oleaut.h`,
//! linked with the shared library, fed the cases `tests/cases` generates from
//! `wine_oleaut.jsonl`, run natively and under valgrind memcheck (no leak, no invalid
//! access). Then the same program against the static library, and against a shared library
//! relinked from the static one with `oleaut.map` (every export versioned MARSHAL_OLEAUT_1).

mod cases;
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

/// Generates cases.h once per test binary; returns the scratch directory holding it.
fn generated() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let jsonl = std::fs::read_to_string(wine_vectors()).expect("wine_oleaut.jsonl");
        let g = cases::generate(&jsonl);
        let dir = scratch("c-program");
        std::fs::write(dir.join("cases.h"), g.header).unwrap();
        eprintln!("cases.h: {:?}", g.counts);
        let count = |k: &str| g.counts.iter().find(|(n, _)| *n == k).map_or(0, |c| c.1);
        // Every reference line of these kinds (and the quirk lines with corrections).
        assert_eq!(count("change_type"), 3824);
        assert!(count("format") >= 436, "{:?}", g.counts);
        assert_eq!(count("parse"), 945);
        assert_eq!(count("vartime"), 21);
        assert_eq!(count("bstr"), 18);
        assert_eq!(count("safearray"), 22);
        dir
    })
}

fn source() -> PathBuf {
    crate_dir().join("tests/c/capi_test.c")
}

/// gcc with the warnings the program is kept clean of.
fn gcc(out: &Path) -> Command {
    let mut cmd = Command::new("gcc");
    cmd.args(["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-Wno-missing-field-initializers"])
        .arg("-I")
        .arg(include_dir())
        .arg("-I")
        .arg(generated())
        .args(prefix_define())
        .arg(source())
        .arg("-o")
        .arg(out);
    cmd
}

/// Runs a built program with its own rpath only (cargo's LD_LIBRARY_PATH would put a stale
/// uplifted copy of the library first).
fn program(exe: &Path) -> Command {
    let mut cmd = Command::new(exe);
    cmd.env_remove("LD_LIBRARY_PATH");
    cmd
}

/// Builds the program against `lib` (a shared library, rpath'd) and returns its path.
fn build_shared(name: &str, lib: &Path) -> PathBuf {
    let exe = generated().join(name);
    let dir = lib.parent().unwrap();
    run(gcc(&exe).arg(lib).arg(format!("-Wl,-rpath,{}", dir.display())).arg("-lm"));
    exe
}

/// The libraries the static library needs from the system (Rust std; C++ for simdutf).
const NATIVE_STATIC_LIBS: &[&str] = &["-lstdc++", "-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"];

#[test]
fn every_export_is_called_by_the_c_program() {
    let text = std::fs::read_to_string(source()).unwrap();
    let missing: Vec<String> =
        header_prototypes().into_iter().map(|(n, _)| n).filter(|n| !text.contains(&format!("{n}("))).collect();
    assert!(missing.is_empty(), "capi_test.c never calls {missing:?}");
}

#[test]
fn c_program_agrees_with_oleaut32_and_valgrind_finds_nothing() {
    let exe = build_shared("capi_test", &cdylib());
    let out = run(&mut program(&exe));
    eprintln!("{out}");
    assert!(out.contains("failures: 0"), "{out}");

    if !have("valgrind") {
        assert!(std::env::var_os("CI").is_none(), "valgrind is required in CI");
        eprintln!("valgrind not installed: memcheck skipped");
        return;
    }
    let out = run(Command::new("valgrind")
        .env_remove("LD_LIBRARY_PATH")
        .args([
            "--quiet",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99",
        ])
        .arg(&exe));
    assert!(out.contains("failures: 0"), "{out}");
}

#[test]
fn c_program_links_the_static_library() {
    let exe = generated().join("capi_test_static");
    let mut cmd = gcc(&exe);
    cmd.arg(staticlib()).args(NATIVE_STATIC_LIBS);
    run(&mut cmd);
    let out = run(&mut program(&exe));
    assert!(out.contains("failures: 0"), "{out}");
}

#[test]
fn version_script_lists_the_header_and_versions_every_export() {
    let map = std::fs::read_to_string(crate_dir().join("oleaut.map")).unwrap();
    let listed: Vec<String> = map
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with(';') && !l.starts_with(['*', '}']) && !l.contains(':'))
        .map(|l| l.trim_end_matches(';').to_string())
        .collect();
    let declared: Vec<String> = header_prototypes().into_iter().map(|(n, _)| n).collect();
    assert_eq!(listed, declared, "oleaut.map and oleaut.h list different functions");
    if cfg!(feature = "prefixed") {
        return; // the map names the unprefixed symbols
    }

    // The relink the README documents: the static library, whole, behind the version script.
    let dir = generated();
    let so = dir.join("libmarshal_oleaut.so.1");
    run(Command::new("gcc")
        .args(["-shared", "-o"])
        .arg(&so)
        .arg("-Wl,-soname,libmarshal_oleaut.so.1")
        .arg("-Wl,--whole-archive")
        .arg(staticlib())
        .arg("-Wl,--no-whole-archive")
        .arg(format!("-Wl,--version-script={}", crate_dir().join("oleaut.map").display()))
        .args(NATIVE_STATIC_LIBS));
    let syms = run(Command::new("readelf").args(["--dyn-syms", "--wide"]).arg(&so));
    let mut versioned = 0;
    for line in syms.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // Num: Value Size Type Bind Vis Ndx Name
        if cols.len() < 8 || cols[4] != "GLOBAL" || cols[6] == "UND" {
            continue;
        }
        let name = cols[7];
        if name.starts_with("MARSHAL_OLEAUT_1") {
            continue; // the version definition itself
        }
        assert!(name.ends_with("@@MARSHAL_OLEAUT_1"), "{name} is exported without the version");
        versioned += 1;
    }
    assert_eq!(versioned, declared.len());

    let exe = build_shared("capi_test_versioned", &so);
    let needed = run(Command::new("readelf").args(["--dyn-syms", "--wide"]).arg(&exe));
    assert!(needed.contains("SysAllocString@MARSHAL_OLEAUT_1"), "the program binds to the versioned names");
    let out = run(&mut program(&exe));
    assert!(out.contains("failures: 0"), "{out}");
}

#[test]
fn the_readme_example_builds_runs_and_frees_everything() {
    let readme = std::fs::read_to_string(crate_dir().join("../README.md")).unwrap();
    let section = &readme[readme.find("## C ABI (marshal-capi)").expect("README section")..];
    let start = section.find("```c\n").expect("a C example") + 5;
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let dir = generated();
    let file = dir.join("readme_example.c");
    std::fs::write(&file, example).unwrap();
    let exe = dir.join("readme_example");
    let lib = cdylib();
    run(Command::new("gcc")
        .args(["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(include_dir())
        .args(prefix_define())
        .arg(&file)
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.parent().unwrap().display()))
        .arg("-o")
        .arg(&exe));
    let out = run(&mut program(&exe));
    assert!(out.contains("hr=0x00000000 value=3.75"), "{out}");
    if have("valgrind") {
        run(Command::new("valgrind")
            .env_remove("LD_LIBRARY_PATH")
            .args(["--quiet", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99"])
            .arg(&exe));
    }
}
