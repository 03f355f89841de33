//! The project's copy of the golden vectors, checked by the conformance runner.

use std::path::{Path, PathBuf};

use marshal_conformance::runner::{check_file, check_line, LineResult};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// The shared golden vectors and the cases this project recorded itself (`vectors-extra/`).
fn vector_files() -> Vec<PathBuf> {
    let extra = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors-extra");
    let mut files: Vec<PathBuf> = [vectors_dir(), extra]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).expect("vector folder exists"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

#[test]
fn no_vector_line_disagrees_with_the_engine() {
    let mut failures = Vec::new();
    for f in vector_files() {
        let report = check_file(&f).unwrap();
        for (family, c) in &report.by_family {
            eprintln!(
                "{}: {family}: {} passed, {} failed, {} not supported yet, {} skipped (quirk)",
                f.file_name().unwrap().to_string_lossy(),
                c.passed,
                c.failed,
                c.unsupported,
                c.skipped_quirk
            );
        }
        for fail in report.failures {
            failures.push(format!("{}:{} {}: {}", f.display(), fail.line_no, fail.case, fail.diffs.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} failing lines:\n{}", failures.len(), failures.join("\n"));
}

/// Issue 2's bar: every struct's `Marshal.SizeOf` and `Marshal.OffsetOf` (and the
/// refusals: Auto layout, type-load errors) agree, for every line whose verdict
/// asserts them, whether or not the engine converts the struct's contents yet.
#[test]
fn every_struct_size_and_offset_agrees() {
    let text = std::fs::read_to_string(vectors_dir().join("mono_layout.jsonl")).unwrap();
    let layout_paths = ["size", "fields", "size_error", "type_load_error"];
    let (mut checked, mut unsupported) = (0, Vec::new());
    for (i, raw) in text.lines().enumerate() {
        let mut line: Value = serde_json::from_str(raw).unwrap();
        let obj = line.as_object_mut().unwrap();
        let reference = obj.get("authority").and_then(Value::as_str) == Some("reference");
        let listed: Vec<String> = match obj.get("compare").and_then(Value::as_array) {
            Some(c) => c.iter().filter_map(|p| p.as_str().map(str::to_string)).collect(),
            None if reference => obj.keys().cloned().collect(),
            None => Vec::new(),
        };
        let compare: Vec<Value> =
            listed.iter().filter(|p| layout_paths.contains(&p.as_str())).map(|p| Value::from(p.as_str())).collect();
        if let Some(exp) = obj.get_mut("expected").and_then(Value::as_object_mut) {
            exp.retain(|k, _| layout_paths.contains(&k.as_str()) || k == "sample");
        }
        let has_expected =
            obj.get("expected").and_then(Value::as_object).is_some_and(|e| e.keys().any(|k| k != "sample"));
        if compare.is_empty() && !has_expected {
            continue;
        }
        obj.insert("compare".into(), Value::Array(compare));
        obj.insert("authority".into(), "reference".into());
        obj.remove("expect_error");
        match check_line(&line, true) {
            LineResult::Passed => checked += 1,
            LineResult::Unsupported(why) => unsupported.push(format!("line {}: {why}", i + 1)),
            LineResult::Failed(d) => panic!("line {}: {}", i + 1, d.join("; ")),
            LineResult::SkippedQuirk => {}
        }
    }
    eprintln!("{checked} layout lines agree on size/offsets; not rebuildable: {unsupported:#?}");
    assert!(checked >= 140, "only {checked} lines checked");
}

/// Issue 6's bar: the struct-bytes part of every layout line (StructureToPtr bytes,
/// pointees, PtrToStructure of them and of the pattern) is rebuilt and agrees. The
/// three lines left are ones the recording cannot rebuild: two types that did not
/// load (no fields recorded) and a C# fixed buffer whose sample shows its first element only.
#[test]
fn every_rebuildable_layout_line_agrees_byte_for_byte() {
    let report = check_file(&vectors_dir().join("mono_layout.jsonl")).unwrap();
    let c = report.total();
    assert_eq!(c.failed, 0, "{:#?}", report.failures);
    assert!(c.passed >= 150 && c.unsupported <= 3, "{c:?}: {:#?}", report.unsupported_reasons);
}

/// The project's copy must stay equal to ../shared/vectors when that is present.
#[test]
fn vector_copy_matches_shared_when_present() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/MANIFEST.json");
    let Ok(theirs) = std::fs::read_to_string(&shared) else {
        eprintln!("no ../shared beside the project: nothing to compare");
        return;
    };
    let ours = std::fs::read_to_string(vectors_dir().join("MANIFEST.json")).unwrap();
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    assert_eq!(parse(&ours), parse(&theirs), "conformance/vectors is out of date: copy ../shared/vectors again");
}
