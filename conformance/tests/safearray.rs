//! The SAFEARRAY family: every Wine oleaut32 `safearray` line and every asserted
//! part of `mono_safearray.jsonl` agrees with the engine.

use std::path::Path;

use marshal_conformance::runner::{check_line, LineResult};
use serde_json::{json, Value};

fn lines(file: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors").join(file);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l.get("kind").or_else(|| l.get("section")).and_then(Value::as_str) == Some("safearray"))
        .collect()
}

fn tally(file: &str, mono: bool) -> (usize, Vec<String>, Vec<String>) {
    let (mut passed, mut failed, mut unsupported) = (0, Vec::new(), Vec::new());
    for (i, line) in lines(file).iter().enumerate() {
        match check_line(line, mono) {
            LineResult::Passed => passed += 1,
            LineResult::Failed(d) => failed.push(format!("{file} #{i}: {}", d.join("; "))),
            LineResult::Unsupported(why) => unsupported.push(format!("{file} #{i}: {why}")),
            LineResult::SkippedQuirk => {}
        }
    }
    (passed, failed, unsupported)
}

#[test]
fn wine_safearray_lines_agree() {
    let (passed, failed, unsupported) = tally("wine_oleaut.jsonl", false);
    eprintln!("wine safearray: {passed} passed, unsupported: {unsupported:#?}");
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(unsupported.is_empty(), "{unsupported:#?}");
    assert_eq!(passed, 22);
}

#[test]
fn mono_safearray_lines_agree() {
    let (passed, failed, unsupported) = tally("mono_safearray.jsonl", true);
    eprintln!("mono safearray: {passed} passed, unsupported: {unsupported:#?}");
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(unsupported.is_empty(), "{unsupported:#?}");
    // 14 quirk lines whose corrected values (`expected`) agree, and the SizeOf line.
    assert_eq!(passed, 15);
}

/// Lines in the recording's format with values from Wine's oleaut32 test suite
/// (`test_safearray`: bounds {42, lb 1}, {2, lb 23} of VT_I4; PtrOfIndex (3,24) is
/// 176 bytes in, (20,23) 76; GetUBound(0) is DISP_E_BADINDEX), replayed like the
/// recorded ones.
#[test]
fn replayed_wine_test_suite_cases() {
    let create = json!({"fn": "SafeArrayCreate", "args": {"vt": 3, "cDims": 2,
        "rgsabound": [{"cElements": 42, "lLbound": 1}, {"cElements": 2, "lLbound": 23}]}, "ret": "h1"});
    let cases = [
        (json!({"what": "PtrOfIndex", "of": "h1", "idx": [3, 24]}), json!({"hr": "0x00000000", "offset": 176})),
        (json!({"what": "PtrOfIndex", "of": "h1", "idx": [20, 23]}), json!({"hr": "0x00000000", "offset": 76})),
        (json!({"what": "PtrOfIndex", "of": "h1", "idx": [1, 25]}), json!({"hr": "0x8002000b"})),
        (
            json!({"what": "bound_hrs", "of": "h1", "ubound_dim": 0, "lbound_dim": 2}),
            json!({"ubound_hr": "0x8002000b", "lbound_hr": "0x00000000"}),
        ),
    ];
    for (probe, want) in cases {
        let mut line = json!({"kind": "safearray", "authority": "reference", "ops": [create.clone()], "probe": probe});
        for (k, v) in want.as_object().unwrap() {
            line[k] = v.clone();
        }
        assert_eq!(check_line(&line, false), LineResult::Passed, "{line}");
    }
    // Copy, CopyData into a reshaped target (E_INVALIDARG), Redim then dump.
    let ops = json!([
        create,
        {"fn": "SafeArrayCopy", "args": {"psa": "h1", "ppsaOut": {"ref": "h2"}}},
        {"fn": "SafeArrayCreate", "args": {"vt": 3, "cDims": 2,
            "rgsabound": [{"cElements": 42, "lLbound": 1}, {"cElements": 3, "lLbound": 23}]}, "ret": "h3"},
        {"fn": "SafeArrayCopyData", "args": {"psaSource": "h1", "psaTarget": "h3"}}
    ]);
    let line = json!({"kind": "safearray", "authority": "reference", "ops": ops, "probe": {"what": "ret", "field": "hr"},
        "hr": "0x80070057", "hr_name": "E_INVALIDARG"});
    assert_eq!(check_line(&line, false), LineResult::Passed);
}
