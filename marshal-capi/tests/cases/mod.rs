//! Turns `wine_oleaut.jsonl` (oleaut32's own answers, recorded under Wine) into `cases.h`, the
//! tables the C test program runs through the exported functions: every reference line of
//! the `change_type`, `format`, `parse`, `vartime`, `bstr` and `safearray` kinds (quirk lines
//! only where the line carries the corrected `expected` value), compared on the fields the
//! line's `compare` names (all of them when it names none).
//!
//! Values cross into C as exact bit patterns (doubles and floats as integers), strings as
//! UTF-16 unit arrays, so nothing is re-parsed by the C compiler.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

/// What the generator produced.
pub struct Generated {
    /// The C text of `cases.h`.
    pub header: String,
    /// Lines per kind written into the tables.
    pub counts: Vec<(&'static str, usize)>,
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex")).collect()
}

fn hex_units(s: &str) -> Vec<u16> {
    (0..s.len() / 4).map(|i| u16::from_str_radix(&s[4 * i..4 * i + 4], 16).expect("u16 hex")).collect()
}

fn parse_f64(s: &str) -> f64 {
    match s {
        "nan" => f64::NAN,
        "-nan" => -f64::NAN,
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
    }
}

fn lcid(line: &Value) -> u32 {
    let s = line["lcid"].as_str().expect("lcid");
    u32::from_str_radix(s.trim_start_matches("0x"), 16).expect("lcid hex")
}

fn hr(v: &Value) -> String {
    format!("(HRESULT){}", v.as_str().expect("hr"))
}

fn byte_list(b: &[u8]) -> String {
    let items: Vec<String> = b.iter().map(|x| format!("0x{x:02x}")).collect();
    format!("{{{}}}", items.join(","))
}

/// Static arrays of UTF-16 units, named and deduplicated.
#[derive(Default)]
struct Pool {
    text: String,
    names: HashMap<Vec<u16>, String>,
}

impl Pool {
    /// The name of a NUL-terminated array holding `units`.
    fn units(&mut self, units: &[u16]) -> String {
        if let Some(n) = self.names.get(units) {
            return n.clone();
        }
        let name = format!("U{}", self.names.len());
        let mut items: Vec<String> = units.iter().map(|u| format!("0x{u:x}")).collect();
        items.push("0".into());
        writeln!(self.text, "static const OLECHAR {name}[] = {{{}}};", items.join(",")).unwrap();
        self.names.insert(units.to_vec(), name.clone());
        name
    }
}

/// The output paths of a line that are authoritative: `None` = every output.
type Paths = Option<Vec<String>>;

/// Whether a line counts, its authoritative paths and its `expected` corrections. Quirk
/// lines count only with `expected` (then those paths).
fn verdict(line: &Value) -> Option<(Paths, Map<String, Value>)> {
    let expected = line.get("expected").and_then(Value::as_object).cloned().unwrap_or_default();
    let compare = line
        .get("compare")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>());
    match line.get("authority").and_then(Value::as_str) {
        Some("reference") => Some((compare, expected)),
        Some("quirk") if !expected.is_empty() => {
            Some((Some(compare.unwrap_or_default().into_iter().chain(expected.keys().cloned()).collect()), expected))
        }
        _ => None,
    }
}

/// The value of an output field, the `expected` correction first.
fn output<'a>(line: &'a Value, expected: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    expected.get(key).or_else(|| line.get(key))
}

/// Whether `path` (or a sub-path / slice of it) is authoritative.
fn compared(paths: &Paths, path: &str) -> bool {
    match paths {
        None => true,
        Some(list) => {
            list.iter().any(|p| p == path || p.starts_with(&format!("{path}/")) || p.starts_with(&format!("{path}[")))
        }
    }
}

/// A `?` mask of a hex string: positions outside the `path[i:j]` byte slices are `?`.
fn hex_mask(paths: &Paths, path: &str, hex_len: usize) -> String {
    let Some(list) = paths else { return "x".repeat(hex_len) };
    if list.iter().any(|p| p == path) {
        return "x".repeat(hex_len);
    }
    let mut mask = vec![b'?'; hex_len];
    for p in list {
        let Some(range) = p.strip_prefix(path).and_then(|r| r.strip_prefix('[')).and_then(|r| r.strip_suffix(']'))
        else {
            continue;
        };
        let (i, j) = range.split_once(':').expect("slice");
        let (i, j): (usize, usize) = (i.parse().unwrap(), j.parse().unwrap());
        for m in mask.iter_mut().take((2 * j).min(hex_len)).skip(2 * i) {
            *m = b'x';
        }
    }
    String::from_utf8(mask).unwrap()
}

fn vt_payload_size(vt: u64) -> usize {
    match vt {
        16 | 17 => 1,
        2 | 18 | 11 => 2,
        3 | 19 | 4 | 22 | 23 | 10 => 4,
        20 | 21 | 5 | 6 | 7 => 8,
        _ => 0,
    }
}

fn change_type(out: &mut String, pool: &mut Pool, n: usize, line: &Value) -> bool {
    let Some((paths, expected)) = verdict(line) else { return false };
    let src = &line["src"];
    let src_bytes = hex_bytes(src["hex"].as_str().unwrap());
    let src_units = if src["vt"].as_u64() == Some(8) {
        let u = hex_units(src["bstr"]["u16"].as_str().expect("BSTR source units"));
        format!("{}, {}", pool.units(&u), u.len())
    } else {
        "NULL, 0".into()
    };
    let hr_v = output(line, &expected, "hr").expect("hr");
    let mut kind = 0;
    let (mut res_vt, mut res_len, mut res, mut res_units) = (0u64, 0usize, Vec::new(), "NULL, 0, 0".to_string());
    if let Some(r) = output(line, &expected, "result").filter(|_| compared(&paths, "result")) {
        res_vt = r["vt"].as_u64().unwrap();
        let bytes = hex_bytes(r["hex"].as_str().unwrap());
        if res_vt == 8 {
            kind = 2;
            let b = &r["bstr"];
            if b["null"].as_bool() == Some(true) {
                res_units = "NULL, 0, 1".into();
            } else {
                let u = hex_units(b["u16"].as_str().unwrap());
                res_units = format!("{}, {}, 0", pool.units(&u), u.len());
            }
        } else if res_vt == 14 {
            kind = 3;
            res_len = 16;
            res = bytes[..16].to_vec();
        } else {
            kind = 1;
            res_len = vt_payload_size(res_vt);
            res = bytes[8..8 + res_len].to_vec();
        }
    }
    res.resize(16, 0);
    writeln!(
        out,
        "  {{{n}, 0x{:04x}, {}, {}, {}, {src_units}, {}, {kind}, {res_vt}, {res_len}, {}, {res_units}}},",
        lcid(line),
        line["flags"].as_u64().unwrap(),
        line["dst_vt"].as_u64().unwrap(),
        byte_list(&src_bytes),
        hr(hr_v),
        byte_list(&res),
    )
    .unwrap();
    true
}

fn format_line(out: &mut String, pool: &mut Pool, n: usize, line: &Value) -> bool {
    let Some((paths, expected)) = verdict(line) else { return false };
    let f = line["fn"].as_str().unwrap();
    let input = line["input"].as_str().unwrap();
    let (id, bits, int) = match f {
        "VarBstrFromR8" => ("F_R8", parse_f64(input).to_bits(), 0i128),
        "VarBstrFromR4" => ("F_R4", u64::from((parse_f64(input) as f32).to_bits()), 0),
        "VarBstrFromDate" => ("F_DATE", parse_f64(input).to_bits(), 0),
        "VarBstrFromCy" => ("F_CY", 0, input.trim_start_matches("cy.int64=").parse().unwrap()),
        "VarBstrFromDec" => {
            let inner = input.strip_prefix("VarDecFromR8(").and_then(|s| s.strip_suffix(')')).unwrap();
            ("F_DEC", parse_f64(inner).to_bits(), 0)
        }
        "VarBstrFromBool" => ("F_BOOL", 0, input.parse().unwrap()),
        "VarBstrFromI8" => ("F_I8", 0, input.parse().unwrap()),
        "VarBstrFromUI8" => ("F_UI8", 0, input.parse().unwrap()),
        other => panic!("format fn {other} has no C case"),
    };
    let flags = u32::from_str_radix(line["flags"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    let hr_v = output(line, &expected, "hr").unwrap();
    let text = match output(line, &expected, "out").filter(|_| compared(&paths, "out")) {
        Some(o) => {
            let u = hex_units(o["u16"].as_str().unwrap());
            format!("{}, {}, 1", pool.units(&u), u.len())
        }
        None => "NULL, 0, 0".into(),
    };
    writeln!(
        out,
        "  {{{n}, {id}, 0x{bits:016x}ULL, (int64_t)0x{:x}ULL, 0x{:x}ULL, 0x{:04x}, 0x{flags:x}, {}, {text}}},",
        int as u64,
        int as u64,
        lcid(line),
        hr(hr_v)
    )
    .unwrap();
    true
}

fn parse_line(out: &mut String, pool: &mut Pool, n: usize, line: &Value) -> bool {
    let Some((paths, expected)) = verdict(line) else { return false };
    let f = line["fn"].as_str().unwrap();
    let units = hex_units(line["input_u16"].as_str().unwrap());
    let input = pool.units(&units);
    let hr_v = output(line, &expected, "hr").unwrap();
    let ok = hr_v.as_str() == Some("0x00000000");
    let get = |k: &str| output(line, &expected, k).filter(|_| compared(&paths, k));
    let (id, check, int, bits, dec) = match f {
        "VarR8FromStr" => {
            let b = get("bits").map(|b| u64::from_le_bytes(hex_bytes(b.as_str().unwrap()).try_into().unwrap()));
            ("P_R8", b.is_some(), 0, b.unwrap_or(0), vec![0; 16])
        }
        "VarDateFromStr" => {
            let d = get("date").map(|d| parse_f64(d.as_str().unwrap()).to_bits());
            ("P_DATE", d.is_some(), 0, d.unwrap_or(0), vec![0; 16])
        }
        "VarI4FromStr" | "VarUI1FromStr" | "VarCyFromStr" | "VarBoolFromStr" => {
            let key = match f {
                "VarI4FromStr" => "i4",
                "VarUI1FromStr" => "ui1",
                "VarCyFromStr" => "cy_int64",
                _ => "bool",
            };
            let v = get(key).map(|v| v.as_i64().unwrap());
            let id = match f {
                "VarI4FromStr" => "P_I4",
                "VarUI1FromStr" => "P_UI1",
                "VarCyFromStr" => "P_CY",
                _ => "P_BOOL",
            };
            (id, v.is_some(), v.unwrap_or(0), 0, vec![0; 16])
        }
        "VarDecFromStr" => {
            let d = get("decimal_hex").map(|d| hex_bytes(d.as_str().unwrap()));
            ("P_DEC", d.is_some(), 0, 0, d.unwrap_or(vec![0; 16]))
        }
        other => panic!("parse fn {other} has no C case"),
    };
    let check = check && ok;
    writeln!(
        out,
        "  {{{n}, {id}, {input}, 0x{:04x}, {}, {}, (int64_t)0x{:x}ULL, 0x{bits:016x}ULL, {}}},",
        lcid(line),
        hr(hr_v),
        check as u8,
        int as u64,
        byte_list(&dec)
    )
    .unwrap();
    true
}

/// "YYYY-MM-DD hh:mm:ss.mmm" → SYSTEMTIME words (day of week 0).
fn st_words(s: &str) -> [u16; 8] {
    let (date, time) = s.split_once(' ').unwrap();
    let d: Vec<u16> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (hms, ms) = time.split_once('.').unwrap();
    let t: Vec<u16> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    [d[0], d[1], 0, d[2], t[0], t[1], t[2], ms.parse().unwrap()]
}

fn vartime(out: &mut String, n: usize, line: &Value) -> bool {
    let Some((_, expected)) = verdict(line) else { return false };
    let get = |k: &str| output(line, &expected, k);
    let ok = get("ok").and_then(Value::as_i64).unwrap();
    match line["fn"].as_str().unwrap() {
        "VariantTimeToSystemTime" => {
            let date = parse_f64(line["date"].as_str().unwrap()).to_bits();
            let mut st = [0u16; 8];
            if ok == 1 {
                st = st_words(get("st").unwrap().as_str().unwrap());
                st[2] = get("dow").unwrap().as_u64().unwrap() as u16;
            }
            writeln!(out, "  {{{n}, T_TO_ST, 0x{date:016x}ULL, {{0}}, {ok}, {{{}}}, 0}},", words(&st)).unwrap();
        }
        "SystemTimeToVariantTime" => {
            let st = st_words(line["st"].as_str().unwrap());
            let date = if ok == 1 { parse_f64(get("date").unwrap().as_str().unwrap()).to_bits() } else { 0 };
            writeln!(out, "  {{{n}, T_FROM_ST, 0, {{{}}}, {ok}, {{0}}, 0x{date:016x}ULL}},", words(&st)).unwrap();
        }
        other => panic!("vartime fn {other}"),
    }
    true
}

fn words(w: &[u16; 8]) -> String {
    w.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
}

/// The expected probe fields of a bstr / safearray line: (name, text, mask).
fn expected_fields(line: &Value, paths: &Paths, expected: &Map<String, Value>, names: &[&str]) -> String {
    let mut fields = Vec::new();
    let mut keys: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    keys.extend(line.as_object().unwrap().keys().filter(|k| k.starts_with("addr_mod16_by_")).cloned());
    for key in keys {
        let Some(v) = output(line, expected, &key) else { continue };
        if !compared(paths, &key) {
            continue;
        }
        let text = field_text(&key, v);
        let mask = if key.ends_with("hex") || key.ends_with("hex_pvData_zeroed") {
            hex_mask(paths, &key, text.len())
        } else {
            "x".repeat(text.len())
        };
        fields.push(format!("{{\"{key}\", \"{text}\", \"{mask}\"}}"));
    }
    fields.join(", ")
}

/// A field as the C program prints it: numbers in decimal, booleans as true/false, lists
/// joined by commas, bounds as `dim:lb:ub` joined by `;`, BSTR dumps as their u16 hex.
fn field_text(key: &str, v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if key == "fFeatures" => {
            u32::from_str_radix(s.trim_start_matches("0x"), 16).unwrap().to_string()
        }
        Value::String(s) => s.clone(),
        Value::Array(a) if key == "bounds" => {
            a.iter().map(|b| format!("{}:{}:{}", b["dim"], b["lbound"], b["ubound"])).collect::<Vec<_>>().join(";")
        }
        Value::Array(a) => a.iter().map(|x| field_text(key, x)).collect::<Vec<_>>().join(","),
        Value::Object(o) if o.contains_key("u16") => {
            if o["null"].as_bool() == Some(true) {
                "null".into()
            } else {
                o["u16"].as_str().unwrap().to_string()
            }
        }
        Value::Object(o) if o.get("null").and_then(Value::as_bool) == Some(true) => "null".into(),
        other => panic!("field {key}: no C text for {other}"),
    }
}

/// Handle names → small integers.
#[derive(Default)]
struct Handles(HashMap<String, usize>);

impl Handles {
    fn of(&mut self, name: &str) -> usize {
        let n = self.0.len();
        *self.0.entry(name.to_string()).or_insert(n)
    }
    fn arg(&mut self, v: Option<&Value>) -> i64 {
        match v {
            Some(Value::String(s)) => self.of(s) as i64,
            Some(Value::Object(o)) => self.of(o["ref"].as_str().expect("ref")) as i64,
            _ => -1,
        }
    }
}

/// A pointer argument of a BSTR op: `NULL`, or a literal (units or bytes) from the pool.
fn literal(pool: &mut Pool, bytes_pool: &mut String, v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "LIT_NULL, NULL, 0".into(),
        Some(Value::Object(o)) if o.contains_key("u16") => {
            let mut u = hex_units(o["u16"].as_str().unwrap());
            let len = u.len();
            if u.last() == Some(&0) {
                u.pop(); // the pool adds the NUL back
            }
            format!("LIT_UNITS, {}, {len}", pool.units(&u))
        }
        Some(Value::Object(o)) if o.contains_key("bytes") => {
            let b = hex_bytes(o["bytes"].as_str().unwrap());
            let name = format!("B{}", bytes_pool.matches("static const").count());
            writeln!(bytes_pool, "static const unsigned char {name}[] = {};", byte_list(&b)).unwrap();
            format!("LIT_BYTES, {name}, {}", b.len())
        }
        Some(Value::String(_)) => panic!("a handle as a string argument: not in the vectors yet"),
        Some(other) => panic!("BSTR argument {other}"),
    }
}

fn bstr_line(
    out: &mut String,
    ops_out: &mut String,
    pool: &mut Pool,
    bytes_pool: &mut String,
    n: usize,
    line: &Value,
) -> bool {
    let Some((paths, expected)) = verdict(line) else { return false };
    let mut h = Handles::default();
    let mut ops = Vec::new();
    for op in line["ops"].as_array().unwrap() {
        let a = &op["args"];
        let ret = op.get("ret").and_then(Value::as_str).map(|r| h.of(r) as i64).unwrap_or(-1);
        let num = |k: &str| a.get(k).and_then(Value::as_u64).unwrap_or(0);
        let (id, handle, lit, len) = match op["fn"].as_str().unwrap() {
            "SysAllocString" => ("B_ALLOC", ret, literal(pool, bytes_pool, a.get("psz")), 0),
            "SysAllocStringLen" => ("B_ALLOC_LEN", ret, literal(pool, bytes_pool, a.get("strIn")), num("ui")),
            "SysAllocStringByteLen" => ("B_ALLOC_BYTE_LEN", ret, literal(pool, bytes_pool, a.get("psz")), num("len")),
            "SysReAllocString" => ("B_REALLOC", h.arg(a.get("pbstr")), literal(pool, bytes_pool, a.get("psz")), 0),
            "SysReAllocStringLen" => {
                ("B_REALLOC_LEN", h.arg(a.get("pbstr")), literal(pool, bytes_pool, a.get("psz")), num("len"))
            }
            "SysFreeString" => ("B_FREE", h.arg(a.get("bstrString")), "LIT_NULL, NULL, 0".into(), 0),
            "SysStringLen" => ("B_LEN", h.arg(a.get("pbstr")), "LIT_NULL, NULL, 0".into(), 0),
            "SysStringByteLen" => ("B_BYTE_LEN", h.arg(a.get("bstr")), "LIT_NULL, NULL, 0".into(), 0),
            other => panic!("bstr op {other} has no C case"),
        };
        ops.push(format!("{{{id}, {handle}, {lit}, {len}}}"));
    }
    let probe = &line["probe"];
    let (pid, of, extra, list) = match probe["what"].as_str().unwrap() {
        "bstr" => (
            "PB_DUMP",
            h.arg(probe.get("of")),
            probe.get("extra_after").and_then(Value::as_u64).unwrap_or(2),
            String::new(),
        ),
        "ret" => ("PB_RET", -1, 0, probe["field"].as_str().unwrap().to_string()),
        "addr_mod16" => {
            let of: Vec<String> =
                probe["of"].as_array().unwrap().iter().map(|v| h.of(v.as_str().unwrap()).to_string()).collect();
            ("PB_ADDR", -1, 0, of.join(","))
        }
        other => panic!("bstr probe {other}"),
    };
    let fields = expected_fields(
        line,
        &paths,
        &expected,
        &[
            "result_null",
            "addr_mod16",
            "SysStringLen",
            "SysStringByteLen",
            "prefix_plus_payload_plus_hex",
            "extra_after_bytes",
            "ret",
            "value",
        ],
    );
    writeln!(ops_out, "static const struct bstr_op BOPS{n}[] = {{{}}};", ops.join(", ")).unwrap();
    writeln!(ops_out, "static const struct field BF{n}[] = {{{fields}}};").unwrap();
    writeln!(
        out,
        "  {{{n}, BOPS{n}, {}, {pid}, {of}, {extra}, \"{list}\", BF{n}, sizeof BF{n} / sizeof BF{n}[0]}},",
        ops.len()
    )
    .unwrap();
    true
}

/// The element bytes of a typed `pv` value (as the oracle encodes it).
fn scalar_bytes(v: &Map<String, Value>) -> Vec<u8> {
    let (k, x) = v.iter().next().expect("a value");
    let i = x.as_i64().unwrap_or(0);
    match k.as_str() {
        "i1" | "ui1" => vec![i as u8],
        "i2" | "ui2" | "bool" => (i as i16).to_le_bytes().to_vec(),
        "i4" | "ui4" => (i as i32).to_le_bytes().to_vec(),
        "i8" | "ui8" | "cy_int64" => i.to_le_bytes().to_vec(),
        "bits" | "decimal_hex" => hex_bytes(x.as_str().unwrap()),
        "scode" => {
            u32::from_str_radix(x.as_str().unwrap().trim_start_matches("0x"), 16).unwrap().to_le_bytes().to_vec()
        }
        other => panic!("element value {other}"),
    }
}

fn safearray_line(out: &mut String, ops_out: &mut String, pool: &mut Pool, n: usize, line: &Value) -> bool {
    let Some((paths, expected)) = verdict(line) else { return false };
    let mut h = Handles::default();
    let mut ops = Vec::new();
    for op in line["ops"].as_array().unwrap() {
        let a = &op["args"];
        let ret = op.get("ret").and_then(Value::as_str).map(|r| h.of(r) as i64).unwrap_or(-1);
        let num = |k: &str| a.get(k).and_then(Value::as_i64).unwrap_or(0);
        let mut bounds: Vec<String> = Vec::new();
        let mut idx: Vec<String> = Vec::new();
        let (mut pv_kind, mut pv, mut units) = ("PV_NONE", Vec::new(), "NULL, 0".to_string());
        let mut field = ("SF_NONE", 0);
        let (id, handle, handle2) = match op["fn"].as_str().unwrap() {
            "SafeArrayCreate" => {
                for b in a["rgsabound"].as_array().unwrap() {
                    bounds.push(format!("{{{}, {}}}", b["cElements"], b["lLbound"]));
                }
                ("S_CREATE", ret, -1)
            }
            "SafeArrayCreateVector" => {
                bounds.push(format!("{{{}, {}}}", a["cElements"], a["lLbound"]));
                ("S_CREATE_VECTOR", ret, -1)
            }
            "SafeArrayPutElement" => {
                for i in a["rgIndices"].as_array().unwrap() {
                    idx.push(i.to_string());
                }
                let v = a["pv"].as_object().unwrap();
                if let Some(b) = v.get("bstr") {
                    match b.as_str() {
                        Some(u) => {
                            let u = hex_units(u);
                            units = format!("{}, {}", pool.units(&u), u.len());
                            pv_kind = "PV_BSTR";
                        }
                        None => pv_kind = "PV_BSTR_NULL",
                    }
                } else if let Some(var) = v.get("variant").and_then(Value::as_object) {
                    let vt = var["vt"].as_u64().unwrap() as u16;
                    let mut rest = var.clone();
                    rest.remove("vt");
                    let mut bytes = vec![0u8; 24];
                    if let Some(b) = rest.get("bstr") {
                        let u = hex_units(b.as_str().unwrap());
                        units = format!("{}, {}", pool.units(&u), u.len());
                    } else if !rest.is_empty() {
                        let payload = scalar_bytes(&rest);
                        if vt == 14 {
                            bytes[..16].copy_from_slice(&payload);
                        } else {
                            bytes[8..8 + payload.len()].copy_from_slice(&payload);
                        }
                    }
                    bytes[0..2].copy_from_slice(&vt.to_le_bytes());
                    pv = bytes;
                    pv_kind = "PV_VARIANT";
                } else {
                    pv = scalar_bytes(v);
                    pv_kind = "PV_BYTES";
                }
                ("S_PUT", h.arg(a.get("psa")), -1)
            }
            "SafeArrayLock" => ("S_LOCK", h.arg(a.get("psa")), -1),
            "SafeArrayUnlock" => ("S_UNLOCK", h.arg(a.get("psa")), -1),
            "SafeArrayDestroy" => ("S_DESTROY", h.arg(a.get("psa")), -1),
            "SafeArrayDestroyData" => ("S_DESTROY_DATA", h.arg(a.get("psa")), -1),
            "SafeArrayDestroyDescriptor" => ("S_DESTROY_DESC", h.arg(a.get("psa")), -1),
            "SafeArrayAllocData" => ("S_ALLOC_DATA", h.arg(a.get("psa")), -1),
            "SafeArrayAccessData" => ("S_ACCESS", h.arg(a.get("psa")), -1),
            "SafeArrayUnaccessData" => ("S_UNACCESS", h.arg(a.get("psa")), -1),
            "SafeArrayAllocDescriptor" => ("S_ALLOC_DESC", h.arg(a.get("ppsaOut")), -1),
            "SafeArrayAllocDescriptorEx" => ("S_ALLOC_DESC_EX", h.arg(a.get("ppsaOut")), -1),
            "SafeArrayRedim" => {
                let b = &a["psaboundNew"];
                bounds.push(format!("{{{}, {}}}", b["cElements"], b["lLbound"]));
                ("S_REDIM", h.arg(a.get("psa")), -1)
            }
            "SafeArrayCopy" => ("S_COPY", h.arg(a.get("psa")), h.arg(a.get("ppsaOut"))),
            "SafeArrayCopyData" => ("S_COPY_DATA", h.arg(a.get("psaSource")), h.arg(a.get("psaTarget"))),
            "SafeArrayGetDim" => ("S_GET_DIM", h.arg(a.get("psa")), -1),
            "SafeArrayGetElemsize" => ("S_GET_ELEMSIZE", h.arg(a.get("psa")), -1),
            "SetField" => {
                let f = a["field"].as_str().unwrap();
                field = match f {
                    "cbElements" => ("SF_CB_ELEMENTS", 0),
                    _ => {
                        let (i, member) = f
                            .strip_prefix("rgsabound[")
                            .and_then(|r| r.split_once("]."))
                            .unwrap_or_else(|| panic!("SetField {f}"));
                        (if member == "cElements" { "SF_ELEMENTS" } else { "SF_LBOUND" }, i.parse().unwrap())
                    }
                };
                ("S_SET_FIELD", h.arg(a.get("psa")), -1)
            }
            other => panic!("safearray op {other} has no C case"),
        };
        pv.resize(24, 0);
        let b = if bounds.is_empty() { "{{0, 0}}".to_string() } else { format!("{{{}}}", bounds.join(", ")) };
        let i = if idx.is_empty() { "{0}".to_string() } else { format!("{{{}}}", idx.join(", ")) };
        ops.push(format!(
            "{{{id}, {handle}, {handle2}, {}, {}, {}, {b}, {}, {i}, {pv_kind}, {}, {units}, {}, {}, {}}}",
            num("vt"),
            num("cDims"),
            bounds.len(),
            idx.len(),
            byte_list(&pv),
            field.0,
            field.1,
            num("value"),
        ));
    }
    let probe = &line["probe"];
    let what = probe["what"].as_str().unwrap();
    let of = h.arg(probe.get("of"));
    let mut pidx: Vec<String> = Vec::new();
    for i in probe.get("idx").and_then(Value::as_array).into_iter().flatten() {
        pidx.push(i.to_string());
    }
    let (pid, aux) = match what {
        "dump" => ("PS_DUMP", format!("\"{}\"", probe.get("mask").and_then(Value::as_str).unwrap_or(""))),
        "ret" => ("PS_RET", format!("\"{}\"", probe["field"].as_str().unwrap())),
        "GetElement" => ("PS_GET_ELEMENT", format!("\"{}\"", probe["as"].as_str().unwrap())),
        "sizes" => ("PS_SIZES", "\"\"".into()),
        other => panic!("safearray probe {other} has no C case"),
    };
    let fields = expected_fields(
        line,
        &paths,
        &expected,
        &[
            "cDims",
            "fFeatures",
            "cbElements",
            "cLocks",
            "header_hex_pvData_zeroed",
            "pre16_hex",
            "GetVartype_hr",
            "vartype",
            "GetDim",
            "GetElemsize",
            "bounds",
            "pvData_mod16",
            "data_hex",
            "null",
            "hr",
            "ret",
            "value",
            "decimal_hex",
            "sizeof_SAFEARRAY",
            "sizeof_SAFEARRAYBOUND",
            "offsetof_pvData",
            "offsetof_rgsabound",
        ],
    );
    writeln!(
        ops_out,
        "static const struct sa_op SOPS{n}[] = {{{}}};",
        if ops.is_empty() { "{0}".to_string() } else { ops.join(",\n  ") }
    )
    .unwrap();
    writeln!(ops_out, "static const struct field SF{n}[] = {{{fields}}};").unwrap();
    let pi = if pidx.is_empty() { "{0}".to_string() } else { format!("{{{}}}", pidx.join(", ")) };
    writeln!(
        out,
        "  {{{n}, SOPS{n}, {}, {pid}, {of}, {aux}, {}, {pi}, SF{n}, sizeof SF{n} / sizeof SF{n}[0]}},",
        ops.len(),
        pidx.len(),
    )
    .unwrap();
    true
}

/// Builds `cases.h` from the lines of `wine_oleaut.jsonl`.
pub fn generate(jsonl: &str) -> Generated {
    let mut pool = Pool::default();
    let mut bytes_pool = String::new();
    let (mut ct, mut fm, mut ps, mut vtm, mut bs, mut sa) =
        (String::new(), String::new(), String::new(), String::new(), String::new(), String::new());
    let mut ops = String::new();
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for (i, raw) in jsonl.lines().enumerate() {
        let line: Value = serde_json::from_str(raw).expect("JSON line");
        let n = i + 1;
        let (kind, used) = match line.get("kind").and_then(Value::as_str) {
            Some("change_type") => ("change_type", change_type(&mut ct, &mut pool, n, &line)),
            Some("format") => ("format", format_line(&mut fm, &mut pool, n, &line)),
            Some("parse") => ("parse", parse_line(&mut ps, &mut pool, n, &line)),
            Some("vartime") => ("vartime", vartime(&mut vtm, n, &line)),
            Some("bstr") => ("bstr", bstr_line(&mut bs, &mut ops, &mut pool, &mut bytes_pool, n, &line)),
            Some("safearray") => ("safearray", safearray_line(&mut sa, &mut ops, &mut pool, n, &line)),
            _ => continue,
        };
        if used {
            *counts.entry(kind).or_default() += 1;
        }
    }
    let mut header =
        String::from("/* Generated by marshal-capi/tests/cases/mod.rs from wine_oleaut.jsonl: do not edit. */\n");
    header.push_str(&pool.text);
    header.push_str(&bytes_pool);
    header.push_str(&ops);
    for (name, ty, body) in [
        ("CT", "ct_case", &ct),
        ("FMT", "fmt_case", &fm),
        ("PARSE", "parse_case", &ps),
        ("VTIME", "vtime_case", &vtm),
        ("BSTRS", "bstr_case", &bs),
        ("ARRAYS", "sa_case", &sa),
    ] {
        writeln!(header, "static const struct {ty} {name}[] = {{\n{body}}};").unwrap();
        writeln!(header, "#define N_{name} (sizeof {name} / sizeof {name}[0])").unwrap();
    }
    let mut counts: Vec<(&'static str, usize)> = counts.into_iter().collect();
    counts.sort();
    Generated { header, counts }
}
