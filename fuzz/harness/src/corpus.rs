//! Seed corpora from the golden vectors (`conformance/vectors/*.jsonl`) and the tests' edge cases.
//!
//! Each vector line that describes something a target reads — a BSTR, a string's native bytes, a VARIANT image,
//! a `VariantChangeType` case, a parse or format case, a SAFEARRAY descriptor, a struct layout with its byte
//! pattern, a P/Invoke declaration — is encoded in that target's input format. `cargo run -p
//! marshal-fuzz-harness --bin make-corpus` writes them to `fuzz/corpus/<target>/` (file name: the first 16 hex
//! digits of the SHA-256 of the contents, so regenerating is idempotent).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value as Json;

use crate::put_short_bytes;
use crate::targets::{bstr_raw, strings_decode, struct_from_native, variant_change_type, variant_raw, variant_text};

/// Every vector line, as JSON, with the file it came from.
pub struct Vectors {
    lines: Vec<(String, Json)>,
}

impl Vectors {
    /// Reads every `*.jsonl` file of `dir`.
    pub fn load(dir: &Path) -> std::io::Result<Vectors> {
        let mut lines = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if f.extension().and_then(|e| e.to_str()) != Some("jsonl") {
                continue;
            }
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            for line in std::fs::read_to_string(&f)?.lines() {
                if let Ok(j) = serde_json::from_str::<Json>(line) {
                    lines.push((name.clone(), j));
                }
            }
        }
        Ok(Vectors { lines })
    }

    fn of<'a>(&'a self, file: &'a str) -> impl Iterator<Item = &'a Json> + 'a {
        self.lines.iter().filter(move |(f, _)| f == file).map(|(_, j)| j)
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()).collect()
}

/// The vectors write UTF-16 as big-endian 4-digit groups ("0048" = 'H').
fn units(s: &str) -> Vec<u16> {
    (0..s.len() / 4).filter_map(|i| u16::from_str_radix(s.get(4 * i..4 * i + 4)?, 16).ok()).collect()
}

fn le(units: &[u16]) -> Vec<u8> {
    units.iter().flat_map(|u| u.to_le_bytes()).collect()
}

fn text_units(j: &Json) -> Option<Vec<u16>> {
    j.get("u16").and_then(Json::as_str).map(units)
}

/// Strings every target should see: empty, odd-length, embedded NUL, lone surrogates, non-BMP, invalid UTF-8.
fn edge_payloads() -> Vec<Vec<u8>> {
    vec![
        vec![],
        vec![0x61],
        vec![0x61, 0x00, 0x62],
        le(&[0x41, 0, 0x42]),
        le(&[0xD800]),
        le(&[0xDC00, 0xD800, 0x41]),
        le(&[0xD83D, 0xDE00]),
        vec![0xC3, 0x28, 0xE2, 0x82, 0xF0, 0x9F, 0x98, 0x80, 0xFF, 0xE0, 0x80, 0xAF],
        vec![0x82, 0xA0, 0x81, 0x5C, 0xA4, 0x40, 0x80],
        (0u8..=255).collect(),
    ]
}

/// All seeds: (target, input).
pub fn seeds(v: &Vectors) -> Vec<(&'static str, Vec<u8>)> {
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let mut add = |t: &'static str, s: Vec<u8>| out.push((t, s));

    // BSTRs: the oleaut32 BSTR lines' payloads, the managed strings of the string vectors, the edge cases.
    let mut payloads: BTreeSet<Vec<u8>> = edge_payloads().into_iter().collect();
    for j in v.of("wine_oleaut").filter(|j| j["kind"] == "bstr") {
        if let (Some(h), Some(n)) = (j["prefix_plus_payload_plus_hex"].as_str(), j["SysStringByteLen"].as_u64()) {
            let b = hex(h);
            if b.len() >= 4 + n as usize {
                payloads.insert(b[4..4 + n as usize].to_vec());
            }
        }
    }
    for j in v.of("mono_strings") {
        if let Some(u) = text_units(&j["input"]) {
            let mut b = le(&u);
            b.truncate(255);
            payloads.insert(b);
        }
    }
    let payloads: Vec<Vec<u8>> = payloads.into_iter().collect();
    for chunk in payloads.chunks(4) {
        let mut s = Vec::new();
        for seed in bstr_raw::seeds(chunk) {
            s.extend(seed);
        }
        add("bstr_raw", s);
    }

    // Strings: native bytes of every StringTo* line decoded in its form, managed strings encoded in every form,
    // the decode8 byte sequences through every narrow form and a few code pages.
    for j in v.of("mono_strings") {
        let api = j["api"].as_str().unwrap_or("");
        let form = match api {
            a if a.ends_with("Uni") => 1,
            a if a.ends_with("UTF8") => 2,
            "StringToBSTR" => 3,
            _ => 0,
        };
        if let Some(u) = text_units(&j["input"]) {
            let b = le(&u[..u.len().min(300)]);
            add("strings_decode", strings_decode::seed(form, 0, 0, 3, &b));
            add("strings_decode", strings_decode::seed(form, 8, 4, 3, &b));
        }
        if let Some(h) = j["hex"].as_str() {
            let mut b = hex(h);
            if form == 3 && b.len() >= 4 {
                b.drain(..4);
            }
            b.truncate(600);
            add("strings_decode", strings_decode::seed(form, 0, 0, 0, &b));
        }
        if let Some(h) = j["bytes_hex"].as_str() {
            let b = hex(h);
            for (form, cp, flags) in [(0, 0, 0), (2, 0, 1), (0, 2, 0), (4, 5, 0), (0, 8, 0)] {
                for mode in [0, 1, 2, 4] {
                    add("strings_decode", strings_decode::seed(form, cp, flags, mode, &b));
                }
            }
        }
    }
    for p in edge_payloads() {
        for form in 0..5 {
            for mode in 0..5 {
                add(
                    "strings_decode",
                    strings_decode::seed(form, (form * 3 + mode) % 15, (mode % 8) as u8, mode as u8, &p),
                );
            }
        }
    }

    // VARIANTs: the Mono VARIANT images and the sources of the change-type matrix.
    let mut sources: Vec<(String, Vec<u8>)> = Vec::new();
    for j in v.of("mono_variant") {
        if let Some(h) = j["hex24"].as_str() {
            let b = hex(h);
            if b.len() == 24 {
                let vt = u16::from_le_bytes([b[0], b[1]]);
                let text = text_units(&j["back"]).map(|u| le(&u)).unwrap_or_default();
                let mut extra = Vec::new();
                put_short_bytes(&mut extra, &text);
                add("variant_raw", variant_raw::seed(vt, 1, &b[2..], &extra, 7));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for j in v.of("wine_oleaut").filter(|j| j["kind"] == "change_type") {
        let name = j["src_name"].as_str().unwrap_or("").to_string();
        let src = &j["src"];
        let Some(h) = src["hex"].as_str() else { continue };
        let b = hex(h);
        if b.len() != 24 {
            continue;
        }
        let vt = src["vt"].as_u64().unwrap_or(0) as u16;
        let mut extra = Vec::new();
        if vt == 8 {
            let t = text_units(&src["bstr"]).unwrap_or_default();
            put_short_bytes(&mut extra, &le(&t));
        }
        let seed = variant_raw::seed(vt, 1, &b[2..], &extra, 7);
        if seen.insert(name.clone()) {
            add("variant_raw", seed.clone());
            // by reference too
            add("variant_raw", variant_raw::seed(vt | 0x4000, 1, &b[2..], &extra, 7));
        }
        sources.push((name, seed[..seed.len() - 1].to_vec()));
        let dst = j["dst_vt"].as_u64().unwrap_or(0) as u16;
        let flags = j["flags"].as_u64().unwrap_or(0) as u16;
        let lcid =
            u32::from_str_radix(j["lcid"].as_str().unwrap_or("0x0409").trim_start_matches("0x"), 16).unwrap_or(0x409);
        let lsel = variant_change_type::LCIDS.iter().position(|&l| l == lcid).unwrap_or(0) as u8;
        // A sample of the matrix: every source to a rotating subset of targets.
        if (dst as usize + sources.len()) % 7 == 0 {
            add("variant_change_type", variant_change_type::seed(&sources.last().unwrap().1, dst, flags, lsel));
        }
    }
    for (name, src) in sources.iter().filter(|(n, _)| n.starts_with("BSTR") || n.starts_with("I4")) {
        let _ = name;
        for dst in [2u16, 3, 5, 6, 7, 8, 11, 14, 20, 0x2011] {
            add("variant_change_type", variant_change_type::seed(src, dst, 0, 2));
        }
    }

    // Text: the parse lines (text in, each locale) and the format lines (values in).
    for j in v.of("wine_oleaut") {
        let lcid =
            u32::from_str_radix(j["lcid"].as_str().unwrap_or("0x0409").trim_start_matches("0x"), 16).unwrap_or(0x409);
        let loc = variant_text::LCIDS.iter().position(|&l| l == lcid).unwrap_or(0) as u8;
        match (j["kind"].as_str(), j["fn"].as_str()) {
            (Some("parse"), Some(f)) => {
                let text = j["input_u16"].as_str().map(units).unwrap_or_default();
                let mode = match f {
                    "VarDateFromStr" => 1,
                    "VarBoolFromStr" => 2,
                    _ => 0,
                };
                if f == "VarR8FromStr" || mode != 0 {
                    add("variant_text", variant_text::seed_text(mode, loc, 0, &text));
                }
            }
            (Some("format"), Some(f)) => {
                let input = j["input"].as_str().unwrap_or("0");
                let x: f64 = input.parse().unwrap_or(0.0);
                let (mode, bits) = match f {
                    "VarBstrFromDate" => (4u8, x.to_bits()),
                    "VarBstrFromCy" => (3, (x * 10000.0) as i64 as u64),
                    "VarBstrFromI8" | "VarBstrFromUI8" => {
                        (3, input.parse::<i64>().map(|v| v as u64).unwrap_or(x as u64))
                    }
                    _ => (5, x.to_bits()),
                };
                let flags =
                    u32::from_str_radix(j["flags"].as_str().unwrap_or("0x0").trim_start_matches("0x"), 16).unwrap_or(0);
                let mut s = vec![mode, loc, flags as u8];
                s.extend_from_slice(&bits.to_le_bytes());
                s.extend_from_slice(&[0; 12]);
                add("variant_text", s);
            }
            _ => {}
        }
    }

    // SAFEARRAYs: the oleaut32 descriptors.
    for j in v.of("wine_oleaut").filter(|j| j["kind"] == "safearray") {
        let Some(h) = j["header_hex_pvData_zeroed"].as_str() else { continue };
        let header = hex(h);
        if header.len() < 24 {
            continue;
        }
        let dims = u16::from_le_bytes([header[0], header[1]]);
        let features = u16::from_le_bytes([header[2], header[3]]);
        let cb = u32::from_le_bytes(header[4..8].try_into().unwrap());
        let vt = j["vartype"].as_u64().unwrap_or(0) as u16;
        let mut s = vec![if dims <= 4 { dims as u8 } else { 0x80 }];
        if dims > 4 {
            s.extend_from_slice(&dims.to_le_bytes());
        }
        s.extend_from_slice(&features.to_le_bytes());
        s.extend_from_slice(&vt.to_le_bytes());
        s.push(0);
        s.extend_from_slice(&cb.to_le_bytes());
        s.push(0); // no locks
        for b in header[24..].chunks(8).take(dims.max(1) as usize) {
            if b.len() < 8 {
                break;
            }
            s.push(0xC0);
            s.extend_from_slice(&b[..4]);
            s.extend_from_slice(&b[4..8]);
        }
        s.push(0); // data selector
        let data = j["data_hex"].as_str().map(hex).unwrap_or_default();
        for chunk in data.chunks(cb.max(1) as usize).take(16) {
            s.push(1);
            put_short_bytes(&mut s, chunk);
        }
        s.extend_from_slice(&[1, 0, 0, 0x01, 0x81, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 0, 1]);
        add("safearray_raw", s);
    }

    // Structs: every layout sample whose fields map to the target's forms, with its 01 02 03 … pattern.
    for j in v.of("mono_layout") {
        let Some(fields) = j["fields"].as_array() else { continue };
        let mut decl = struct_from_native::StructDecl {
            kind: if j["layout"] == "Explicit" { 1 } else { 0 },
            pack: j["pack"].as_u64().unwrap_or(0) as u8,
            charset: match j["charset"].as_str() {
                Some("Unicode") => 1,
                Some("Auto") => 2,
                _ => 0,
            },
            size: j["size_attr"].as_u64().unwrap_or(0) as u8,
            fields: Vec::new(),
        };
        let mut ok = true;
        for f in fields {
            match form_of(
                f["type"].as_str().unwrap_or(""),
                f.get("marshal_as").and_then(Json::as_str),
                f["size_const"].as_u64(),
            ) {
                Some((form, param)) => decl.fields.push(struct_from_native::FieldDecl {
                    form,
                    param,
                    offset: f["offset"].as_u64().unwrap_or(0) as u8,
                }),
                None => ok = false,
            }
        }
        if !ok || decl.fields.len() > 8 {
            continue;
        }
        let image = j["pattern_hex"].as_str().map(hex).unwrap_or_default();
        add("struct_from_native", struct_from_native::StructCase { decls: vec![decl], image }.to_bytes());
    }

    // P/Invoke declarations.
    for j in v.of("mono_pinvoke") {
        let sig = &j["call"]["sig"];
        let Some(params) = sig["params"].as_array() else { continue };
        let mut s = vec![0u8]; // no struct declarations
        let ret = &sig["return"];
        match form_of(ret["type"].as_str().unwrap_or("Void"), ret["marshal_as"]["value"].as_str(), None) {
            Some((f, p)) => s.extend_from_slice(&[1, f, p]),
            None => s.push(0),
        }
        let mapped: Vec<(u8, u8, u8)> = params
            .iter()
            .filter_map(|p| {
                let (f, q) = form_of(p["type"].as_str()?, p["marshal_as"]["value"].as_str(), None)?;
                let pass = match p["byref"].as_str() {
                    Some("ref") => 1,
                    Some("out") => 2,
                    _ => 0,
                };
                let attrs = (p["in"] == true) as u8 * 4 + (p["out"] == true) as u8 * 8;
                Some((f, q, pass + attrs))
            })
            .collect();
        s.push(mapped.len().min(6) as u8);
        for (f, q, flags) in mapped.iter().take(6) {
            s.extend_from_slice(&[*f, *q, *flags]);
        }
        let charset = match sig["charset"].as_str() {
            Some("Unicode") => 1,
            Some("Auto") => 2,
            _ => 0,
        };
        let preserve = if sig["preserve_sig"] == false { 0x40 } else { 0 };
        s.push(0x80 | preserve | charset);
        s.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        add("pinvoke_signature", s);
    }

    // IDispatch: every member called with the change-type sources as arguments, positional and named.
    let args: Vec<Vec<u8>> = sources.iter().step_by(9).map(|(_, s)| s.clone()).collect();
    for (i, chunk) in args.chunks(3).enumerate() {
        let dispid = (i % 8) as u8;
        add("dispatch_invoke", crate::targets::dispatch_invoke::seed(0, dispid, i as u8 % 4, chunk, &[]));
        add("dispatch_invoke", crate::targets::dispatch_invoke::seed(0, dispid, 2, chunk, &[5, 0]));
    }
    for value in [0u8, 1, 2, 3, 4] {
        add("dispatch_invoke", vec![0x80, value, 3, 0x61, 0, 0x62, 0, 1]);
    }

    out.sort();
    out.dedup();
    out
}

/// The field form (see [`struct_from_native::FieldDecl::to_type`]) of a CLR type name with its `MarshalAs`.
fn form_of(ty: &str, marshal_as: Option<&str>, size_const: Option<u64>) -> Option<(u8, u8)> {
    let prims = [
        "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Single", "Double", "IntPtr",
        "UIntPtr",
    ];
    if let Some(i) = prims.iter().position(|p| *p == ty) {
        return Some((i as u8, 0));
    }
    let strings = ["", "LPStr", "LPWStr", "LPUTF8Str", "LPTStr", "BStr", "AnsiBStr", "TBStr"];
    Some(match (ty, marshal_as) {
        ("Boolean", Some("VariantBool")) => (12, 1),
        ("Boolean", Some("U1")) => (12, 2),
        ("Boolean", Some("I1")) => (12, 3),
        ("Boolean", _) => (12, 0),
        ("Char", Some("U1" | "I1")) => (13, 1),
        ("Char", Some("U2" | "I2")) => (13, 2),
        ("Char", _) => (13, 0),
        ("Guid", _) => (14, 0),
        ("String", Some("ByValTStr")) => (19, size_const.unwrap_or(8) as u8),
        ("String", m) => (20, strings.iter().position(|s| Some(*s) == m).unwrap_or(0) as u8),
        ("Decimal", Some("Currency")) => (21, 1),
        ("Decimal", _) => (21, 0),
        ("DateTime", _) => (21, 2),
        ("Object", _) => (22, 0),
        ("Byte[]", Some("ByValArray")) => (18, 1 | (size_const.unwrap_or(1) as u8 / 3) << 6),
        ("Int32[]", Some("ByValArray")) => (18, 4 | (size_const.unwrap_or(1) as u8 / 3) << 6),
        ("Int32[]", _) => (23, 0x44),
        _ => return None,
    })
}
