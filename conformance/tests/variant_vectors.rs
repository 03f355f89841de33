//! Runs the VARIANT families over the golden vectors with the verdict rules of
//! vectors/README.md and asserts that every reference line agrees.

use marshal_conformance::families;
use serde_json::Value;

fn vectors_dir() -> Option<std::path::PathBuf> {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    [here.join("vectors"), here.join("../../shared/vectors"), "/work/shared/vectors".into()]
        .into_iter()
        .find(|c| c.join("wine_oleaut.jsonl").exists())
}

/// Value at a compare path: `a`, `a/b`, `a[i:j]` (hex byte slice), `a/b[i:j]`.
fn get_path(v: &Value, path: &str) -> Option<Value> {
    let (p, slice) = match path.find('[') {
        Some(i) => (&path[..i], Some(&path[i + 1..path.len() - 1])),
        None => (path, None),
    };
    let mut cur = v;
    for part in p.split('/') {
        cur = cur.get(part)?;
    }
    match slice {
        None => Some(cur.clone()),
        Some(s) => {
            let (a, b) = s.split_once(':')?;
            let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
            let h = cur.as_str()?;
            h.get(a * 2..b * 2).map(|x| Value::String(x.to_string()))
        }
    }
}

fn normalise(v: Value) -> Value {
    match v {
        Value::Object(mut m) => {
            if matches!(m.get("t").and_then(Value::as_str), Some("f32" | "f64")) {
                m.remove("v");
            }
            Value::Object(m.into_iter().map(|(k, v)| (k, normalise(v))).collect())
        }
        Value::String(s) if s.starts_with("nonnull") => Value::String("nonnull".into()),
        Value::Array(a) => Value::Array(a.into_iter().map(normalise).collect()),
        other => other,
    }
}

const INPUTS: &[&str] = &[
    "kind",
    "section",
    "case",
    "lcid",
    "flags",
    "src_name",
    "src",
    "dst_vt",
    "fn",
    "input",
    "input_u16",
    "authority",
    "note",
    "compare",
    "quirk",
    "expected",
    "expect_error",
    "input_hex24",
    "input_vt",
    "input_payload_is_pointer",
    "input_bstr_hex",
    "input_bstr_addr_mod16",
    "date",
    "st",
    "wine_version",
    "addr_mod16",
    "bstr_addr_mod16",
];

#[derive(Default, Debug)]
struct Counts {
    passed: usize,
    failed: usize,
    unsupported: usize,
    skipped: usize,
}

fn run(file: &str, filter: impl Fn(&Value) -> bool) -> (Counts, Vec<String>) {
    let dir = vectors_dir().expect("golden vectors not found");
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let mut c = Counts::default();
    let mut fails = Vec::new();
    for l in text.lines() {
        let line: Value = serde_json::from_str(l).unwrap();
        if !filter(&line) {
            continue;
        }
        let out = families::evaluate(&line);
        let reference = line.get("authority").and_then(Value::as_str) == Some("reference");
        let compare: Option<Vec<String>> = line
            .get("compare")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect());
        let expected = line.get("expected").and_then(Value::as_object).cloned();
        let expect_error = line.get("expect_error").and_then(Value::as_bool) == Some(true);
        let mut checks: Vec<(String, Value)> = Vec::new();
        if reference {
            let paths = compare.clone().unwrap_or_else(|| {
                line.as_object().unwrap().keys().filter(|k| !INPUTS.contains(&k.as_str())).cloned().collect()
            });
            for p in paths {
                if let Some(v) = get_path(&line, &p) {
                    checks.push((p, v));
                }
            }
        } else {
            for p in compare.clone().unwrap_or_default() {
                if let Some(v) = get_path(&line, &p) {
                    checks.push((p, v));
                }
            }
            for (p, v) in expected.unwrap_or_default() {
                checks.push((p, v));
            }
            if checks.is_empty() && !expect_error {
                c.skipped += 1;
                continue;
            }
        }
        if let Some(why) = &out.unsupported {
            c.unsupported += 1;
            fails.push(format!("UNSUPPORTED {}: {why}", &l[..l.len().min(160)]));
            continue;
        }
        let got = Value::Object(out.outputs.clone());
        let mut ok = true;
        let mut why = String::new();
        if expect_error && out.engine_error.is_none() {
            ok = false;
            why = "expected an engine error".into();
        }
        for (p, want) in &checks {
            if expect_error && (p == "error" || p.starts_with("result")) {
                continue;
            }
            let have = get_path(&got, p);
            if have.map(normalise) != Some(normalise(want.clone())) {
                ok = false;
                why = format!("{p}: want {want}, got {:?}", get_path(&got, p));
                break;
            }
        }
        if ok {
            c.passed += 1;
        } else {
            c.failed += 1;
            fails.push(format!("FAIL {} => {why}", &l[..l.len().min(300)]));
        }
    }
    (c, fails)
}

fn report(name: &str, r: (Counts, Vec<String>)) -> Counts {
    let (c, fails) = r;
    eprintln!("{name}: {c:?}");
    for f in fails.iter().take(40) {
        eprintln!("  {f}");
    }
    c
}

fn kind_is(k: &'static str) -> impl Fn(&Value) -> bool {
    move |l: &Value| l.get("kind").and_then(Value::as_str) == Some(k)
}

#[test]
fn wine_change_type_lines_agree() {
    let c = report("change_type", run("wine_oleaut.jsonl", kind_is("change_type")));
    assert_eq!((c.failed, c.unsupported), (0, 0));
}

#[test]
fn wine_format_lines_agree() {
    let c = report("format", run("wine_oleaut.jsonl", kind_is("format")));
    assert_eq!((c.failed, c.unsupported), (0, 0));
}

#[test]
fn wine_parse_lines_agree() {
    let c = report("parse", run("wine_oleaut.jsonl", kind_is("parse")));
    assert_eq!((c.failed, c.unsupported), (0, 0));
}

#[test]
fn wine_vartime_and_info_lines_agree() {
    let c = report("vartime", run("wine_oleaut.jsonl", kind_is("vartime")));
    let i = report("info", run("wine_oleaut.jsonl", kind_is("info")));
    assert_eq!((c.failed, c.unsupported, i.failed, i.unsupported), (0, 0, 0, 0));
}

#[test]
fn mono_variant_lines_agree() {
    let c = report("mono_variant", run("mono_variant.jsonl", |_| true));
    assert_eq!(c.failed, 0);
}
