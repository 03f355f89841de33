//! Reading vector files, applying the verdict rules of `vectors/README.md`, and
//! counting.
//!
//! For each line: rebuild and evaluate it with its family, then
//! - `reference` lines: every path in `compare` (or, without `compare`, every
//!   output field the line recorded) must equal the engine's value;
//! - `quirk` lines: the paths in `compare` (if any) must still agree;
//! - both: every `expected` path must equal the corrected value, and
//!   `expect_error: true` requires the engine to refuse the case;
//! - a quirk line with neither `compare` nor `expected` is skipped.
//!
//! A line whose compared paths the engine did not produce is "not supported yet",
//! never "passed".

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value};

use crate::families;

/// How one line ended.
#[derive(Debug, Clone, PartialEq)]
pub enum LineResult {
    /// Every compared path agreed.
    Passed,
    /// At least one compared path differs: the differences, one per line.
    Failed(Vec<String>),
    /// The engine does not cover this line (yet): why.
    Unsupported(String),
    /// A quirk line with nothing authoritative left.
    SkippedQuirk,
}

/// Counts for one family of one file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Lines that agreed.
    pub passed: usize,
    /// Lines that disagreed.
    pub failed: usize,
    /// Lines the engine does not cover yet.
    pub unsupported: usize,
    /// Quirk lines with nothing to compare.
    pub skipped_quirk: usize,
}

impl Counts {
    fn add(&mut self, r: &LineResult) {
        match r {
            LineResult::Passed => self.passed += 1,
            LineResult::Failed(_) => self.failed += 1,
            LineResult::Unsupported(_) => self.unsupported += 1,
            LineResult::SkippedQuirk => self.skipped_quirk += 1,
        }
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, o: Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.unsupported += o.unsupported;
        self.skipped_quirk += o.skipped_quirk;
    }
}

/// One failed line.
#[derive(Debug, Clone)]
pub struct Failure {
    /// 1-based line number.
    pub line_no: usize,
    /// The line's `case` (or a description built from its inputs).
    pub case: String,
    /// The differences.
    pub diffs: Vec<String>,
}

/// The result of checking one file.
#[derive(Debug, Default, Clone)]
pub struct FileReport {
    /// The file's path as given.
    pub file: String,
    /// Counts per family (`section` / `kind`).
    pub by_family: BTreeMap<String, Counts>,
    /// Every failed line.
    pub failures: Vec<Failure>,
    /// Why lines were unsupported, with counts.
    pub unsupported_reasons: BTreeMap<String, usize>,
}

impl FileReport {
    /// Sum over families.
    pub fn total(&self) -> Counts {
        let mut t = Counts::default();
        for c in self.by_family.values() {
            t.merge(*c);
        }
        t
    }
}

/// Checks every line of a JSONL vector file.
pub fn check_file(path: &Path) -> std::io::Result<FileReport> {
    let text = std::fs::read_to_string(path)?;
    let mono = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("mono_"));
    let mut report = FileReport { file: path.display().to_string(), ..FileReport::default() };
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let line: Value = match serde_json::from_str(raw) {
            Ok(v) => v,
            Err(e) => {
                report.by_family.entry("<unparsable>".into()).or_default().failed += 1;
                report.failures.push(Failure {
                    line_no: i + 1,
                    case: "<unparsable>".into(),
                    diffs: vec![e.to_string()],
                });
                continue;
            }
        };
        let family = family_of(&line).to_string();
        let result = check_line(&line, mono);
        report.by_family.entry(family).or_default().add(&result);
        match result {
            LineResult::Failed(diffs) => {
                report.failures.push(Failure { line_no: i + 1, case: case_name(&line), diffs });
            }
            LineResult::Unsupported(why) => *report.unsupported_reasons.entry(why).or_default() += 1,
            _ => {}
        }
    }
    Ok(report)
}

/// The family a line belongs to: `section` (Mono files) or `kind` (Wine files).
pub fn family_of(line: &Value) -> &str {
    line.get("section").or_else(|| line.get("kind")).and_then(Value::as_str).unwrap_or("")
}

fn case_name(line: &Value) -> String {
    if let Some(c) = line.get("case").and_then(Value::as_str) {
        return c.to_string();
    }
    let mut s = family_of(line).to_string();
    for k in ["fn", "op", "src_name", "input", "dst_vt", "lcid"] {
        if let Some(v) = line.get(k) {
            let _ = write!(s, " {k}={v}");
        }
    }
    s
}

/// Keys that describe a case in every file: never compared as outputs.
const COMMON_INPUTS: &[&str] = &[
    "section",
    "case",
    "kind",
    "authority",
    "quirk",
    "note",
    "compare",
    "expected",
    "expect_error",
    "types",
    "sample",
    "input",
    "decl",
    "call",
    "pattern_hex",
    "src",
    "ops",
    "probe",
    "args",
    "callbacks",
    "unverified",
];

/// Keys Mono records that say nothing about CoreCLR (its allocator, pinning, crash bookkeeping).
fn mono_ignored(key: &str) -> bool {
    key == "addr_mod16"
        || key.ends_with("_addr_mod16")
        || matches!(
            key,
            "gchandle_pin_ok" | "crashed" | "exit_code" | "timeout" | "abort_message" | "stderr_head" | "partial"
        )
}

/// Evaluates and judges one line.
pub fn check_line(line: &Value, mono: bool) -> LineResult {
    let Some(obj) = line.as_object() else {
        return LineResult::Failed(vec!["line is not a JSON object".into()]);
    };
    let reference = obj.get("authority").and_then(Value::as_str) == Some("reference");
    let compare: Option<Vec<String>> = obj
        .get("compare")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_string)).collect());
    let expected: Map<String, Value> = obj.get("expected").and_then(Value::as_object).cloned().unwrap_or_default();
    let expect_error = obj.get("expect_error").and_then(Value::as_bool).unwrap_or(false);
    if !reference && compare.is_none() && expected.is_empty() && !expect_error {
        return LineResult::SkippedQuirk;
    }

    // The case as the reference runtime would see it: `expected` corrects inputs
    // the recording lacked or misdescribed.
    let mut effective = obj.clone();
    for k in ["sample", "pattern_hex", "fields"] {
        if let Some(v) = expected.get(k) {
            effective.insert(k.to_string(), v.clone());
        }
    }
    let effective = Value::Object(effective);
    let outcome = families::evaluate(&effective);
    if let Some(why) = outcome.unsupported {
        return LineResult::Unsupported(why);
    }
    let family_inputs = families::input_keys(&effective);

    let mut paths: Vec<String> = match (&compare, reference) {
        (Some(c), _) => c.clone(),
        (None, true) => obj
            .keys()
            .filter(|k| !COMMON_INPUTS.contains(&k.as_str()) && !family_inputs.contains(&k.as_str()))
            .filter(|k| !(mono && mono_ignored(k)))
            .cloned()
            .collect(),
        (None, false) => Vec::new(),
    };
    paths.retain(|p| !expected.contains_key(p));

    let mut diffs = Vec::new();
    let mut missing = Vec::new();
    let mut wanted: Vec<(String, Value)> = Vec::new();
    for p in &paths {
        match get_path(obj, p) {
            Some(want) => wanted.push((p.clone(), want)),
            None => diffs.push(format!("{p}: listed in compare but not recorded")),
        }
    }
    wanted.extend(expected.iter().filter(|(p, _)| *p != "sample").map(|(p, v)| (p.clone(), v.clone())));
    for (path, want) in &wanted {
        match get_path(&outcome.outputs, path) {
            None => missing.push(path.clone()),
            Some(got) => {
                let last = path.rsplit('/').next().unwrap_or(path);
                let equal = if last == "error" || last.ends_with("_error") {
                    error_type(Some(&got)) == error_type(Some(want))
                } else {
                    values_equal(&got, want, mono)
                };
                if !equal {
                    diffs.push(format!("{path}: expected {} got {}", short(want), short(&got)));
                }
            }
        }
    }
    if expect_error && outcome.engine_error.is_none() {
        diffs.push("expected the engine to refuse this case, but it accepted it".into());
    }
    if !diffs.is_empty() {
        if let Some(e) = &outcome.engine_error {
            if !expect_error {
                diffs.push(format!("engine error: {e}"));
            }
        }
        LineResult::Failed(diffs)
    } else if !missing.is_empty() {
        match &outcome.engine_error {
            Some(e) if !expect_error => LineResult::Failed(vec![format!("engine refused a valid case: {e}")]),
            _ => LineResult::Unsupported(format!("{}: outputs not produced: {}", family_of(line), missing.join(", "))),
        }
    } else {
        LineResult::Passed
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!("{}…", &s[..s.char_indices().nth(300).map_or(s.len(), |(i, _)| i)])
    } else {
        s
    }
}

/// Reads `a/b/c[i:j]` from an object: members separated by `/`, an optional byte
/// slice `[i:j]` of a hex string on the last segment (bytes i..j-1).
pub fn get_path(root: &Map<String, Value>, path: &str) -> Option<Value> {
    let mut segs = path.split('/').peekable();
    let mut cur: Option<&Value> = None;
    while let Some(seg) = segs.next() {
        let (name, slice) = match seg.find('[') {
            Some(i) if seg.ends_with(']') => (&seg[..i], Some(&seg[i + 1..seg.len() - 1])),
            _ => (seg, None),
        };
        let container = match cur {
            None => root,
            Some(v) => v.as_object()?,
        };
        let v = container.get(name)?;
        if let Some(range) = slice {
            let (a, b) = range.split_once(':')?;
            let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
            let hex = v.as_str()?;
            if segs.peek().is_some() || b < a || hex.len() < 2 * b {
                return if hex.len() < 2 * b { Some(Value::Null) } else { None };
            }
            return Some(Value::String(hex[2 * a..2 * b].to_string()));
        }
        cur = Some(v);
    }
    cur.cloned()
}

/// Equality under the vector normalisations: `nonnull*` markers equal each
/// other, errors compare by exception type only, floats by `bits`, and in Mono
/// files Mono-only keys are ignored.
pub fn values_equal(got: &Value, want: &Value, mono: bool) -> bool {
    match (got, want) {
        (Value::String(a), Value::String(b)) => {
            if a.starts_with("nonnull") && b.starts_with("nonnull") {
                return true;
            }
            a == b
        }
        (Value::Object(a), Value::Object(b)) => {
            let t = b.get("t").and_then(Value::as_str);
            if matches!(t, Some("f32" | "f64")) && a.get("t") == b.get("t") && b.contains_key("bits") {
                return a.get("bits") == b.get("bits");
            }
            if t == Some("error") && a.get("t") == b.get("t") {
                return error_type(a.get("v")) == error_type(b.get("v"));
            }
            let keys = |m: &Map<String, Value>| -> Vec<String> {
                m.keys().filter(|k| !(mono && mono_ignored(k))).cloned().collect()
            };
            let (ka, kb) = (keys(a), keys(b));
            if ka.len() != kb.len() {
                return false;
            }
            kb.iter().all(|k| match (a.get(k), b.get(k)) {
                (Some(x), Some(y)) => {
                    if k == "error" || k.ends_with("_error") {
                        error_type(Some(x)) == error_type(Some(y))
                    } else {
                        values_equal(x, y, mono)
                    }
                }
                _ => false,
            })
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| values_equal(x, y, mono))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => got == want,
    }
}

fn error_type(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(|s| s.split(": ").next().unwrap_or(s).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hex_slices_and_nested_members_are_addressed() {
        let m = json!({"result": {"hex": "0b00ffff"}, "back": {"PtrToStringUni": "x"}});
        let m = m.as_object().unwrap();
        assert_eq!(get_path(m, "result/hex[0:2]"), Some(json!("0b00")));
        assert_eq!(get_path(m, "result/hex[2:4]"), Some(json!("ffff")));
        assert_eq!(get_path(m, "back/PtrToStringUni"), Some(json!("x")));
        assert_eq!(get_path(m, "back/none"), None);
    }

    #[test]
    fn normalisations_follow_the_vectors_readme() {
        assert!(values_equal(&json!("nonnull_mod16_8"), &json!("nonnull"), true));
        assert!(values_equal(
            &json!({"t": "f64", "v": "1E-45", "bits": "01"}),
            &json!({"t": "f64", "v": "1.401298E-45", "bits": "01"}),
            true
        ));
        assert!(!values_equal(
            &json!({"t": "f64", "v": "1", "bits": "02"}),
            &json!({"t": "f64", "v": "1", "bits": "01"}),
            true
        ));
        assert!(values_equal(
            &json!({"error": "System.ArgumentException: mine"}),
            &json!({"error": "System.ArgumentException: theirs"}),
            true
        ));
        assert!(values_equal(&json!({"a": 1, "addr_mod16": 8}), &json!({"a": 1, "addr_mod16": 0}), true));
        assert!(!values_equal(&json!({"a": 1, "addr_mod16": 8}), &json!({"a": 1, "addr_mod16": 0}), false));
    }

    #[test]
    fn quirk_lines_without_anything_authoritative_are_skipped() {
        let line = json!({"section": "layout", "authority": "quirk", "quirk": "x"});
        assert_eq!(check_line(&line, true), LineResult::SkippedQuirk);
    }
}
