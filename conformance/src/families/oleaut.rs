//! Wine oleaut32 lines (`wine_oleaut.jsonl`) of kinds `change_type`, `format`, `parse`,
//! `vartime` and `info`, run through `marshal_core::variant` (or the C ABI's
//! `VariantChangeTypeEx`, `VarBstrFrom*`, `Var*FromStr` …, see [`crate::abi`]).

use marshal_core::variant::format as fmt;
use marshal_core::variant::locale::locale;
use marshal_core::variant::{Currency, Date, Decimal, SystemTime, VariantValue, VARIANT};
use marshal_core::{Hresult, VarType, Variant};
use serde_json::{json, Map, Value};

use crate::outcome::Outcome;

/// Evaluates one line.
pub fn evaluate(line: &Value) -> Outcome {
    let kind = line.get("kind").and_then(Value::as_str).unwrap_or("");
    let r = match kind {
        "change_type" => change_type(line),
        "format" => format(line),
        "parse" => parse_line(line),
        "vartime" => vartime(line),
        "info" => info(line),
        _ => Err(format!("kind `{kind}` is not an oleaut VARIANT line")),
    };
    match r {
        Ok(o) => o,
        Err(why) => Outcome::unsupported(why),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

pub(crate) fn u16_from_hex(s: &str) -> Option<Vec<u16>> {
    if s.len() % 4 != 0 {
        return None;
    }
    (0..s.len()).step_by(4).map(|i| u16::from_str_radix(&s[i..i + 4], 16).ok()).collect()
}

fn u16_hex(units: &[u16]) -> String {
    units.iter().map(|u| format!("{u:04x}")).collect()
}

fn lcid_of(line: &Value) -> Result<u32, String> {
    let s = line.get("lcid").and_then(Value::as_str).ok_or("no lcid")?;
    u32::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| e.to_string())
}

fn set_hr(o: &mut Outcome, hr: Hresult) {
    o.set("hr", format!("0x{:08x}", hr.0 as u32));
    o.set("hr_name", hr.name().unwrap_or("?"));
}

/// C's `%.{p}g` (lower-case, as the oracle prints floats).
pub(crate) fn c_g(v: f64, p: usize) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let sci = format!("{:.*e}", p - 1, v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < -4 || exp >= p as i32 {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs()));
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        for i in 0..int_len {
            out.push(digits.as_bytes().get(i).map(|&b| b as char).unwrap_or('0'));
        }
        if digits.len() > int_len {
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    } else {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits);
    }
    out
}

pub(crate) fn bstr_dump(units: Option<&[u16]>) -> Value {
    match units {
        None => json!({"null": true}),
        Some(u) => json!({
            "null": false,
            "len": u.len(),
            "bytelen": u.len() * 2,
            "u16": u16_hex(u),
            "text": String::from_utf16_lossy(u),
        }),
    }
}

fn is_pointer_vt(vt: VarType) -> bool {
    vt.is_byref()
        || vt.is_array()
        || matches!(vt, VarType::BSTR | VarType::UNKNOWN | VarType::DISPATCH | VarType::RECORD)
}

/// The oracle's VARIANT dump: vt, 24 bytes with a pointer payload zeroed, and the typed value.
pub(crate) fn dump_variant(v: &VARIANT) -> Result<Value, String> {
    let mut m = Map::new();
    let vt = v.vt;
    let mut bytes = v.to_bytes().to_vec();
    bytes.resize(24, 0);
    let is_ptr = is_pointer_vt(vt);
    if is_ptr {
        for b in &mut bytes[8..16] {
            *b = 0;
        }
    }
    m.insert("vt".into(), json!(vt.0));
    m.insert("hex".into(), json!(hex(&bytes)));
    m.insert("payload_is_pointer".into(), json!(is_ptr));
    // SAFETY: the VARIANT was produced by the engine or read from the line and validated.
    let r = unsafe { marshal_core::variant::VariantRef::new(v) }.map_err(|e| e.to_string())?;
    let en = locale(0x007F).ok_or("no invariant locale")?;
    let (k, val) = match r.value() {
        VariantValue::Empty | VariantValue::Null => return Ok(Value::Object(m)),
        VariantValue::I1(x) => ("i1", json!(x)),
        VariantValue::UI1(x) => ("ui1", json!(x)),
        VariantValue::I2(x) => ("i2", json!(x)),
        VariantValue::UI2(x) => ("ui2", json!(x)),
        VariantValue::I4(x) | VariantValue::Int(x) => ("i4", json!(x)),
        VariantValue::UI4(x) | VariantValue::UInt(x) => ("ui4", json!(x)),
        VariantValue::I8(x) => ("i8", json!(x)),
        VariantValue::UI8(x) => ("ui8", json!(x)),
        VariantValue::R4(x) => ("r4", json!(c_g(x as f64, 9))),
        VariantValue::R8(x) => ("r8", json!(c_g(x, 17))),
        VariantValue::Date(d) => ("date", json!(c_g(d.0, 17))),
        VariantValue::Bool(_) => {
            // SAFETY: VT_BOOL payload.
            ("bool", json!(unsafe { v.data.i16_ }))
        }
        VariantValue::Error(h) => ("scode", json!(format!("0x{:08x}", h.0 as u32))),
        VariantValue::Cy(c) => ("cy_int64", json!(c.0)),
        VariantValue::Decimal(d) => ("decimal_invariant", bstr_dump(Some(fmt::dec_to_text(&d, en).as_slice()))),
        VariantValue::Bstr(s) => ("bstr", bstr_dump(Some(s))),
        VariantValue::NullBstr => ("bstr", bstr_dump(None)),
        other => return Err(format!("no dump for {other:?}")),
    };
    m.insert(k.into(), val);
    Ok(Value::Object(m))
}

/// Rebuilds a VARIANT from an oracle dump (`hex` + `bstr`); the BSTR (if any) is leaked into
/// the returned Variant's ownership.
pub(crate) fn variant_from_dump(d: &Value) -> Result<Variant, String> {
    let hexs = d.get("hex").and_then(Value::as_str).ok_or("no hex")?;
    let bytes = unhex(hexs).ok_or("bad hex")?;
    let mut b = [0u8; core::mem::size_of::<VARIANT>()];
    let n = b.len().min(bytes.len());
    b[..n].copy_from_slice(&bytes[..n]);
    let raw = VARIANT::from_bytes(&b);
    if raw.vt == VarType::BSTR {
        let units = d.get("bstr").and_then(|x| x.get("u16")).and_then(Value::as_str).ok_or("BSTR without units")?;
        let units = u16_from_hex(units).ok_or("bad u16")?;
        let v = Variant::from_utf16(&units).map_err(|e| format!("{e:?}"))?;
        return Ok(v);
    }
    // SAFETY: no pointer payload besides the BSTR handled above.
    unsafe { Variant::from_raw(raw) }.map_err(|e| e.to_string())
}

fn change_type(line: &Value) -> Result<Outcome, String> {
    let lcid = lcid_of(line)?;
    let flags = line.get("flags").and_then(Value::as_u64).unwrap_or(0) as u16;
    let dst = VarType(line.get("dst_vt").and_then(Value::as_u64).ok_or("no dst_vt")? as u16);
    let src = variant_from_dump(line.get("src").ok_or("no src")?)?;
    let mut o = Outcome::default();
    // SAFETY: src is a valid Variant.
    match unsafe { crate::abi::change_type_raw(src.as_raw(), lcid, flags, dst) } {
        Ok(raw) => {
            // SAFETY: the engine's result owns its payload.
            let owned = unsafe { Variant::from_raw(raw) }.map_err(|e| e.to_string())?;
            set_hr(&mut o, Hresult::S_OK);
            o.set("result", dump_variant(owned.as_raw())?);
        }
        Err(hr) => set_hr(&mut o, hr),
    }
    Ok(o)
}

fn parse_f64(s: &str) -> Result<f64, String> {
    match s {
        "nan" => Ok(f64::NAN),
        "inf" => Ok(f64::INFINITY),
        "-inf" => Ok(f64::NEG_INFINITY),
        _ => s.parse::<f64>().map_err(|e| format!("{s}: {e}")),
    }
}

fn format(line: &Value) -> Result<Outcome, String> {
    let lcid = lcid_of(line)?;
    let f = line.get("fn").and_then(Value::as_str).ok_or("no fn")?;
    let input = line.get("input").and_then(Value::as_str).ok_or("no input")?;
    let flags =
        u32::from_str_radix(line.get("flags").and_then(Value::as_str).unwrap_or("0x0").trim_start_matches("0x"), 16)
            .map_err(|e| e.to_string())?;
    use crate::abi;
    let text: Result<Vec<u16>, Hresult> = match f {
        "VarBstrFromR8" => abi::var_bstr_from_r8(parse_f64(input)?, lcid, flags),
        "VarBstrFromR4" => abi::var_bstr_from_r4(parse_f64(input)? as f32, lcid, flags),
        "VarBstrFromDate" => abi::var_bstr_from_date(parse_f64(input)?, lcid, flags),
        "VarBstrFromCy" => {
            let v: i64 = input.trim_start_matches("cy.int64=").parse().map_err(|_| "bad cy input")?;
            abi::var_bstr_from_cy(Currency(v), lcid, flags)
        }
        "VarBstrFromDec" => {
            let inner = input.strip_prefix("VarDecFromR8(").and_then(|s| s.strip_suffix(')')).ok_or("bad dec input")?;
            abi::var_bstr_from_dec_of_r8(parse_f64(inner)?, lcid, flags)
        }
        "VarBstrFromBool" => abi::var_bstr_from_bool(input.parse().map_err(|_| "bad bool input")?, lcid, flags),
        "VarBstrFromI8" => abi::var_bstr_from_i8(input.parse().map_err(|_| "bad i8")?, lcid, flags),
        "VarBstrFromUI8" => abi::var_bstr_from_ui8(input.parse().map_err(|_| "bad ui8")?, lcid, flags),
        _ => return Err(format!("fn {f} not covered")),
    };
    let mut o = Outcome::default();
    match text {
        Ok(t) => {
            set_hr(&mut o, Hresult::S_OK);
            o.set("out", bstr_dump(Some(&t)));
        }
        Err(hr) => set_hr(&mut o, hr),
    }
    Ok(o)
}

fn parse_line(line: &Value) -> Result<Outcome, String> {
    let lcid = lcid_of(line)?;
    let f = line.get("fn").and_then(Value::as_str).ok_or("no fn")?;
    let s = u16_from_hex(line.get("input_u16").and_then(Value::as_str).ok_or("no input_u16")?).ok_or("bad u16")?;
    let mut o = Outcome::default();
    use crate::abi;
    let r: Result<(&str, Value), Hresult> = match f {
        "VarR8FromStr" => abi::var_r8_from_str(&s, lcid).map(|x| {
            o.set("bits", hex(&x.to_le_bytes()));
            ("r8", json!(c_g(x, 17)))
        }),
        "VarI4FromStr" => abi::var_i4_from_str(&s, lcid).map(|x| ("i4", json!(x))),
        "VarUI1FromStr" => abi::var_ui1_from_str(&s, lcid).map(|x| ("ui1", json!(x))),
        "VarCyFromStr" => abi::var_cy_from_str(&s, lcid).map(|x| ("cy_int64", json!(x.0))),
        "VarDecFromStr" => abi::var_dec_from_str(&s, lcid).map(|b| ("decimal_hex", json!(hex(&b)))),
        "VarDateFromStr" => abi::var_date_from_str(&s, lcid).map(|d| ("date", json!(c_g(d, 17)))),
        "VarBoolFromStr" => abi::var_bool_from_str(&s, lcid).map(|b| ("bool", json!(b))),
        _ => return Err(format!("fn {f} not covered")),
    };
    match r {
        Ok((k, v)) => {
            set_hr(&mut o, Hresult::S_OK);
            o.set(k, v);
        }
        Err(hr) => {
            o.outputs.remove("bits");
            set_hr(&mut o, hr)
        }
    }
    Ok(o)
}

fn parse_st(s: &str) -> Result<SystemTime, String> {
    // "YYYY-MM-DD hh:mm:ss.mmm"
    let bad = || format!("bad SYSTEMTIME text {s}");
    let (date, time) = s.split_once(' ').ok_or_else(bad)?;
    let d: Vec<u16> = date.split('-').map(|x| x.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
    let (hms, ms) = time.split_once('.').ok_or_else(bad)?;
    let t: Vec<u16> = hms.split(':').map(|x| x.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
    if d.len() != 3 || t.len() != 3 {
        return Err(bad());
    }
    Ok(SystemTime {
        year: d[0],
        month: d[1],
        day: d[2],
        hour: t[0],
        minute: t[1],
        second: t[2],
        milliseconds: ms.parse().map_err(|_| bad())?,
        day_of_week: 0,
    })
}

fn vartime(line: &Value) -> Result<Outcome, String> {
    let f = line.get("fn").and_then(Value::as_str).ok_or("no fn")?;
    let mut o = Outcome::default();
    match f {
        "VariantTimeToSystemTime" => {
            let d = parse_f64(line.get("date").and_then(Value::as_str).ok_or("no date")?)?;
            match crate::abi::variant_time_to_system_time(d) {
                Some(st) => {
                    o.set("ok", 1);
                    o.set(
                        "st",
                        format!(
                            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
                            st.year, st.month, st.day, st.hour, st.minute, st.second, st.milliseconds
                        ),
                    );
                    o.set("dow", st.day_of_week);
                }
                None => o.set("ok", 0),
            }
        }
        "SystemTimeToVariantTime" => {
            let st = parse_st(line.get("st").and_then(Value::as_str).ok_or("no st")?)?;
            match crate::abi::system_time_to_variant_time(&st) {
                Some(d) => {
                    o.set("ok", 1);
                    o.set("date", c_g(d, 17));
                }
                None => {
                    o.set("ok", 0);
                    o.set("date", "0");
                }
            }
        }
        _ => return Err(format!("fn {f} not covered")),
    }
    Ok(o)
}

fn info(line: &Value) -> Result<Outcome, String> {
    let mut o = Outcome::default();
    if line.get("sizeof_VARIANT").is_some() {
        o.set("wine_version", "8.0");
        o.set("sizeof_VARIANT", core::mem::size_of::<VARIANT>());
        o.set("sizeof_DECIMAL", core::mem::size_of::<Decimal>());
        o.set("sizeof_CY", core::mem::size_of::<Currency>());
        o.set("sizeof_DATE", core::mem::size_of::<Date>());
        o.set("sizeof_VARIANT_BOOL", core::mem::size_of::<i16>());
        o.set("offsetof_VARIANT_data", core::mem::offset_of!(VARIANT, data));
        o.set("offsetof_VARIANT_decVal", 0);
        o.set("sizeof_void_ptr", core::mem::size_of::<*const u8>());
        return Ok(o);
    }
    let v = variant_from_dump(line.get("variant").ok_or("no variant")?)?;
    o.set("variant", dump_variant(v.as_raw())?);
    Ok(o)
}
