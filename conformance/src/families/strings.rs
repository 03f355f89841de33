//! `mono_strings.jsonl` (section `strings`): `Marshal.StringTo*` bytes and their
//! `PtrToString*` read-backs, and native byte sequences decoded by `PtrToString*`.
//!
//! Each line is rebuilt from its own fields: `api` + `input` (a to-native case),
//! `bytes_hex` (decode8 / decode16: the line's `back` keys say which), `prefix` +
//! `payload_hex` (a hand-built BSTR), or none of those (`info`, the null-pointer case,
//! recognised by their output keys). The `Marshal` APIs map onto the engine's forms as
//! CoreCLR on Unix: `*Uni` = LPWStr, `*Ansi` and `*Auto` = LPStr (ANSI = UTF-8),
//! `*UTF8` = LPUTF8Str, `StringToBSTR` = BStr.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use marshal_core::strings::{
    self, read_native, read_native_len, NativeString, NativeStringKind, StringError, StringOptions,
};

use crate::oracle_value::u16_units;
use crate::outcome::Outcome;

/// The line's own inputs beyond the common ones.
pub const INPUTS: &[&str] =
    &["api", "input_name", "bytes_hex", "hex_full_note", "runtime", "mono_version", "prefix", "payload_hex"];

const OPTS: StringOptions = StringOptions::CORECLR_UNIX;

/// Evaluates one strings line.
pub fn evaluate(line: &Value) -> Outcome {
    if let Some(api) = line.get("api").and_then(Value::as_str) {
        return to_native(line, api);
    }
    if let Some(hex) = line.get("bytes_hex").and_then(Value::as_str) {
        let Some(bytes) = from_hex(hex) else { return Outcome::unsupported("strings: bytes_hex is not hex") };
        let wide = line.pointer("/back/PtrToStringUni").is_some();
        return if wide { decode16(&bytes) } else { decode8(&bytes) };
    }
    if let (Some(prefix), Some(hex)) =
        (line.get("prefix").and_then(Value::as_u64), line.get("payload_hex").and_then(Value::as_str))
    {
        let Some(payload) = from_hex(hex) else { return Outcome::unsupported("strings: payload_hex is not hex") };
        return decode_bstr(prefix, &payload);
    }
    if line.get("PtrToStringBSTR_error").is_some() || line.get("PtrToStringUni").is_some() {
        return null_pointer_decode();
    }
    if line.get("IntPtr_Size").is_some() {
        let mut out = Outcome::default();
        out.set("IntPtr_Size", core::mem::size_of::<usize>());
        out.set("Encoding_Default", "utf-8");
        // CoreCLR on Unix (the recording is Mono's: 1 and 2).
        out.set("SystemDefaultCharSize", 2);
        out.set("SystemMaxDBCSCharSize", OPTS.ansi.code_page.max_bytes_per_unit());
        return out;
    }
    Outcome::unsupported("strings: unrecognised line shape")
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The oracle's string encoding (`Json.cs` `Str`): strings over 600 units carry a
/// SHA-256 of their UTF-16LE bytes and the first 16 units instead of `u16` / `v`.
pub fn string_value(units: &[u16]) -> Value {
    let well_formed = char::decode_utf16(units.iter().copied()).all(|c| c.is_ok());
    let mut m = Map::new();
    m.insert("t".into(), "string".into());
    m.insert("len".into(), units.len().into());
    if units.len() > 600 {
        m.insert("u16".into(), Value::Null);
        m.insert("u16_sha256".into(), sha256_units(units).into());
        m.insert("u16_head".into(), u16_hex(&units[..16]).into());
    } else {
        m.insert("u16".into(), u16_hex(units).into());
    }
    m.insert("well_formed".into(), well_formed.into());
    if well_formed && units.len() <= 600 {
        m.insert("v".into(), String::from_utf16_lossy(units).into());
    }
    Value::Object(m)
}

fn u16_hex(units: &[u16]) -> String {
    units.iter().map(|u| format!("{u:04x}")).collect()
}

fn sha256_units(units: &[u16]) -> String {
    let mut h = Sha256::new();
    for u in units {
        h.update(u.to_le_bytes());
    }
    to_hex(&h.finalize())
}

fn error_value(e: &StringError) -> Value {
    json!({"t": "error", "v": format!("{}: {e}", e.clr_exception())})
}

fn string_or_error(r: Result<Option<widestring::U16String>, StringError>) -> Value {
    match r {
        Ok(Some(s)) => string_value(s.as_slice()),
        Ok(None) => json!({"t": "null"}),
        Err(e) => error_value(&e),
    }
}

/// The input string: `{"t":"null"}`, or units from `u16`; a long one (`u16` null) is
/// rebuilt by repeating the smallest period of `u16_head` to `len` units, accepted only
/// if its SHA-256 matches `u16_sha256`.
fn input_units(input: &Value) -> Result<Option<Vec<u16>>, String> {
    match input.get("t").and_then(Value::as_str) {
        Some("null") => return Ok(None),
        Some("string") => {}
        _ => return Err("strings: input is not a string".into()),
    }
    if let Some(hex) = input.get("u16").and_then(Value::as_str) {
        return u16_units(hex).map(Some).ok_or_else(|| "strings: bad u16".into());
    }
    let len = input.get("len").and_then(Value::as_u64).ok_or("strings: no len")? as usize;
    let head = input.get("u16_head").and_then(Value::as_str).and_then(u16_units).ok_or("strings: no u16_head")?;
    let sha = input.get("u16_sha256").and_then(Value::as_str).ok_or("strings: no u16_sha256")?;
    for period in 1..=head.len() {
        if (0..head.len()).all(|i| head[i] == head[i % period]) {
            let units: Vec<u16> = (0..len).map(|i| head[i % period]).collect();
            if sha256_units(&units) == sha {
                return Ok(Some(units));
            }
        }
    }
    Err("strings: long input is not a repetition of its head".into())
}

fn to_native(line: &Value, api: &str) -> Outcome {
    let kind = match api {
        "StringToHGlobalUni" | "StringToCoTaskMemUni" => NativeStringKind::LPWStr,
        "StringToHGlobalAnsi" | "StringToCoTaskMemAnsi" | "StringToHGlobalAuto" | "StringToCoTaskMemAuto" => {
            NativeStringKind::LPStr
        }
        "StringToCoTaskMemUTF8" => NativeStringKind::LPUTF8Str,
        "StringToBSTR" => NativeStringKind::BStr,
        other => return Outcome::unsupported(format!("strings: API {other} not modelled")),
    };
    let input = match line.get("input").map(input_units) {
        Some(Ok(u)) => u,
        Some(Err(why)) => return Outcome::unsupported(why),
        None => return Outcome::unsupported("strings: no input"),
    };
    let mut out = Outcome::default();
    let native = match NativeString::from_optional_wide(kind, input.as_deref(), &OPTS.ansi) {
        Ok(n) => n,
        Err(e) => {
            out.engine_error = Some(e.to_string());
            out.set("error", format!("{}: {e}", e.clr_exception()));
            return out;
        }
    };
    out.set("ptr_null", native.is_null());
    if native.is_null() {
        return out;
    }
    let input = input.unwrap_or_default();
    out.set("addr_mod16", native.as_ptr() as usize % 16);
    let p = native.as_ptr();
    let mut back = Map::new();
    // SAFETY: `p` is the live native string `native` owns, of form `kind`; reads with a
    // length stay within what the conversion wrote (the input's units / bytes and the
    // terminator).
    unsafe {
        match kind {
            NativeStringKind::BStr => {
                let bytes = native.bytes_with_terminator();
                out.set("bstr_prefix", u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
                out.set("hex", to_hex(bytes));
                let bstr = strings::ptr_to_string_bstr(p.cast());
                back.insert("PtrToStringBSTR".into(), string_or_error(bstr.map(Some)));
                back.insert("PtrToStringUni".into(), string_or_error(read_native(NativeStringKind::LPWStr, p, &OPTS)));
            }
            NativeStringKind::LPWStr => {
                // `(len + 1) * 2` bytes, embedded NULs included: all the conversion wrote.
                let all = core::slice::from_raw_parts(p.cast::<u8>(), (input.len() + 1) * 2);
                out.set("hex", to_hex(all));
                back.insert("PtrToStringUni".into(), string_or_error(read_native(kind, p, &OPTS)));
                back.insert(
                    "PtrToStringUni_len".into(),
                    string_or_error(read_native_len(kind, p, input.len(), &OPTS).map(Some)),
                );
                back.insert("PtrToStringAuto".into(), string_or_error(read_native(NativeStringKind::LPStr, p, &OPTS)));
            }
            _ => {
                let hex = native.bytes_with_terminator();
                let n = hex.len() - 1;
                out.set("hex", to_hex(hex));
                if input.contains(&0) {
                    // All the bytes the conversion wrote: UTF8.GetByteCount(input) + 1.
                    let full = strings::transcode::utf8_len_lossy(&input) + 1;
                    let all = core::slice::from_raw_parts(p.cast::<u8>(), full);
                    out.set("hex_full", to_hex(all));
                }
                let ansi = NativeStringKind::LPStr;
                let utf8 = NativeStringKind::LPUTF8Str;
                back.insert("PtrToStringAnsi".into(), string_or_error(read_native(ansi, p, &OPTS)));
                back.insert(
                    "PtrToStringAnsi_len".into(),
                    string_or_error(read_native_len(ansi, p, n, &OPTS).map(Some)),
                );
                back.insert("PtrToStringUTF8".into(), string_or_error(read_native(utf8, p, &OPTS)));
                back.insert(
                    "PtrToStringUTF8_len".into(),
                    string_or_error(read_native_len(utf8, p, n, &OPTS).map(Some)),
                );
                back.insert("PtrToStringAuto".into(), string_or_error(read_native(ansi, p, &OPTS)));
            }
        }
    }
    out.set("back", Value::Object(back));
    out
}

/// A native buffer holding `bytes` then 4 zero bytes (as the oracle's AllocHGlobal copy).
fn padded(bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v.extend_from_slice(&[0; 4]);
    v
}

fn decode8(bytes: &[u8]) -> Outcome {
    let buf = padded(bytes);
    let p = buf.as_ptr().cast();
    let (ansi, utf8) = (NativeStringKind::LPStr, NativeStringKind::LPUTF8Str);
    let mut back = Map::new();
    // SAFETY: `buf` is NUL-terminated and `bytes.len()` long before the zeros.
    unsafe {
        back.insert("PtrToStringAnsi".into(), string_or_error(read_native(ansi, p, &OPTS)));
        back.insert(
            "PtrToStringAnsi_len".into(),
            string_or_error(read_native_len(ansi, p, bytes.len(), &OPTS).map(Some)),
        );
        back.insert("PtrToStringUTF8".into(), string_or_error(read_native(utf8, p, &OPTS)));
        back.insert(
            "PtrToStringUTF8_len".into(),
            string_or_error(read_native_len(utf8, p, bytes.len(), &OPTS).map(Some)),
        );
        back.insert("PtrToStringAuto".into(), string_or_error(read_native(ansi, p, &OPTS)));
    }
    let decoded = strings::decode_ansi(bytes, strings::CodePage::Utf8, strings::InvalidUtf8::Replace);
    back.insert("Encoding.UTF8.GetString".into(), string_or_error(decoded.map(|v| Some(v.into()))));
    let mut out = Outcome::default();
    out.set("back", Value::Object(back));
    out
}

fn decode16(bytes: &[u8]) -> Outcome {
    // Units in an aligned buffer, NUL-padded like the oracle's.
    let mut units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect();
    let n = bytes.len() / 2;
    units.extend_from_slice(&[0, 0]);
    let p = units.as_ptr().cast();
    let kind = NativeStringKind::LPWStr;
    let mut back = Map::new();
    // SAFETY: `units` is NUL-terminated and holds `n` units before the zeros.
    unsafe {
        back.insert("PtrToStringUni".into(), string_or_error(read_native(kind, p, &OPTS)));
        back.insert("PtrToStringUni_len".into(), string_or_error(read_native_len(kind, p, n, &OPTS).map(Some)));
    }
    let mut out = Outcome::default();
    out.set("back", Value::Object(back));
    out
}

fn decode_bstr(prefix: u64, payload: &[u8]) -> Outcome {
    let Ok(prefix32) = u32::try_from(prefix) else { return Outcome::unsupported("strings: prefix over 32 bits") };
    // A block as the oracle's: prefix, payload, zeros; never shorter than the prefix claims.
    let body = payload.len().max(prefix32 as usize) + 4;
    let mut words = vec![0u32; 1 + body.div_ceil(4)];
    words[0] = prefix32;
    // SAFETY: `words` has 4 + body bytes; the payload fits after the prefix word.
    unsafe { core::ptr::copy_nonoverlapping(payload.as_ptr(), words.as_mut_ptr().cast::<u8>().add(4), payload.len()) };
    // SAFETY: a valid BSTR image: 2-aligned, prefix before, `prefix` readable bytes after.
    let bstr = unsafe { strings::ptr_to_string_bstr(words.as_ptr().cast::<u8>().add(4).cast()) };
    let mut back = Map::new();
    back.insert("PtrToStringBSTR".into(), string_or_error(bstr.map(Some)));
    let mut out = Outcome::default();
    out.set("back", Value::Object(back));
    out
}

fn null_pointer_decode() -> Outcome {
    let mut out = Outcome::default();
    let null = core::ptr::null();
    let json_of = |r: Result<Option<widestring::U16String>, StringError>| string_or_error(r);
    // SAFETY: null pointers are accepted by every reader (null → None or NullPointer).
    unsafe {
        out.set("PtrToStringAnsi", json_of(read_native(NativeStringKind::LPStr, null, &OPTS)));
        out.set("PtrToStringUni", json_of(read_native(NativeStringKind::LPWStr, null, &OPTS)));
        out.set("PtrToStringUTF8", json_of(read_native(NativeStringKind::LPUTF8Str, null, &OPTS)));
        if let Err(e) = strings::ptr_to_string_bstr(null.cast()) {
            out.set("PtrToStringBSTR_error", format!("{}: {e}", e.clr_exception()));
        }
        if let Err(e) = read_native_len(NativeStringKind::LPStr, null, 3, &OPTS) {
            out.set("PtrToStringAnsi_null_len3_error", format!("{}: {e}", e.clr_exception()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{check_line, LineResult};

    #[test]
    fn every_strings_line_agrees() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/mono_strings.jsonl");
        let text = std::fs::read_to_string(path).unwrap();
        let (mut passed, mut skipped) = (0, 0);
        for (i, raw) in text.lines().enumerate() {
            let line: Value = serde_json::from_str(raw).unwrap();
            match check_line(&line, true) {
                LineResult::Passed => passed += 1,
                LineResult::SkippedQuirk => skipped += 1,
                other => panic!("line {}: {other:?}", i + 1),
            }
        }
        assert_eq!(passed + skipped, 189);
        assert_eq!((passed, skipped), (177, 12), "every reference line and every checkable quirk line");
    }
}
