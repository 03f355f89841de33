//! Paths and tools the C-facing tests share: the built libraries, the header, gcc.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The crate's directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `include/` (oleaut.h).
pub fn include_dir() -> PathBuf {
    crate_dir().join("include")
}

/// The directory cargo put this test binary in (`target/<profile>/deps`).
fn deps_dir() -> PathBuf {
    std::env::current_exe().expect("test binary path").parent().expect("deps dir").to_path_buf()
}

/// A library artifact of this crate (`libmarshal_capi.so` / `.a`): cargo builds every
/// crate type of the library before its tests into `deps/` (and uplifts it beside `deps/`
/// only for `cargo build`): the newer of the two is the one this test run belongs to.
pub fn artifact(file: &str) -> PathBuf {
    let deps = deps_dir();
    let candidates = [deps.join(file), deps.parent().unwrap_or(&deps).join(file)];
    candidates
        .into_iter()
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("{file} not found near {} (cargo builds it with the library)", deps.display()))
}

/// The shared library.
pub fn cdylib() -> PathBuf {
    artifact("libmarshal_capi.so")
}

/// The static library.
pub fn staticlib() -> PathBuf {
    artifact("libmarshal_capi.a")
}

/// A scratch directory for this test binary's generated files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = deps_dir().join(format!("marshal-capi-{name}"));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The `-D` that selects the prefixed names when the library was built with them.
pub fn prefix_define() -> Option<&'static str> {
    cfg!(feature = "prefixed").then_some("-DMARSHAL_OLEAUT_PREFIXED")
}

/// Runs a command, panicking with its output when it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed ({}):\n{text}", out.status);
    text
}

/// Whether a tool is on PATH.
pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// The names a library exports (defined dynamic symbols, version suffix removed).
pub fn exported_names(lib: &Path) -> Vec<String> {
    let text = run(Command::new("nm").args(["-D", "--defined-only", "--format=posix"]).arg(lib));
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.split('@').next().unwrap_or(n).to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The prototypes of `include/oleaut.h`: (name, whole line), in order.
pub fn header_prototypes() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(include_dir().join("oleaut.h")).expect("oleaut.h");
    text.lines()
        .filter_map(|l| l.strip_prefix("MARSHAL_OLEAUT_API "))
        .map(|decl| {
            let before = decl.split('(').next().unwrap_or("");
            let name = before.rsplit([' ', '*']).next().unwrap_or("").to_string();
            (name, decl.to_string())
        })
        .collect()
}

/// The vector file the expectations come from (the project's copy of ../shared/vectors,
/// which marshal-conformance's tests keep in sync).
pub fn wine_vectors() -> PathBuf {
    crate_dir().join("../conformance/vectors/wine_oleaut.jsonl")
}
