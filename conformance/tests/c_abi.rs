//! The Wine oleaut32 families run through the C ABI (`marshal-capi`'s exports, linked and as
//! the built shared library) agree line for line with the Rust API: the same outputs, the
//! same verdicts, every reference line passing.

use std::path::{Path, PathBuf};

use marshal_conformance::abi::{with_api, Api};
use marshal_conformance::families;
use marshal_conformance::runner::{check_line, family_of, LineResult};
use serde_json::Value;

const FAMILIES: &[&str] = &["bstr", "change_type", "format", "parse", "vartime", "safearray"];

fn wine_lines() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/wine_oleaut.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| FAMILIES.contains(&family_of(l)))
        .collect()
}

/// Evaluates every line under `api` and under the Rust API; returns how many lines passed.
fn compare_with_rust(api: Api) -> usize {
    let mut passed = 0;
    for line in wine_lines() {
        let rust = with_api(Api::Rust, || families::evaluate(&line));
        let c = with_api(api, || families::evaluate(&line));
        assert_eq!(rust.outputs, c.outputs, "{}: outputs differ on {line}", api.describe());
        assert_eq!(rust.engine_error, c.engine_error, "{line}");
        assert_eq!(rust.unsupported, c.unsupported, "{line}");
        let verdict = with_api(api, || check_line(&line, false));
        assert_eq!(verdict, with_api(Api::Rust, || check_line(&line, false)), "{line}");
        match verdict {
            LineResult::Passed => passed += 1,
            LineResult::SkippedQuirk => {}
            other => panic!("{}: {other:?} on {line}", api.describe()),
        }
    }
    passed
}

#[test]
fn the_linked_c_abi_gives_the_rust_api_s_outputs_on_every_wine_line() {
    let passed = compare_with_rust(Api::linked_c());
    // bstr 18, change_type 3824, format 436, parse 945, vartime 21, safearray 22.
    assert_eq!(passed, 5266);
}

/// The shared library cargo built with marshal-capi (beside this test's dependencies).
fn built_cdylib() -> Option<PathBuf> {
    let deps = std::env::current_exe().ok()?.parent()?.to_path_buf();
    [deps.join("libmarshal_capi.so"), deps.parent()?.join("libmarshal_capi.so")]
        .into_iter()
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
}

#[test]
fn the_shared_library_gives_the_rust_api_s_outputs_on_every_wine_line() {
    let Some(lib) = built_cdylib() else {
        assert!(std::env::var_os("CI").is_none(), "libmarshal_capi.so was not built");
        eprintln!("libmarshal_capi.so not found: skipped");
        return;
    };
    let api = Api::load_c(lib.to_str().unwrap()).unwrap();
    assert_eq!(compare_with_rust(api), 5266);
}

#[test]
fn api_specs_parse() {
    assert!(matches!(Api::parse("rust"), Ok(Api::Rust)));
    assert!(matches!(Api::parse("c"), Ok(Api::C(_))));
    assert!(Api::parse("c:/nonexistent/libnothing.so").is_err());
    assert!(Api::parse("python").is_err());
}
