//! Report cases for strings and BSTR: each direction over the corpus, with std,
//! widestring, encoding_rs and simdutf as baselines and alloc + memcpy of the
//! same UTF-16 bytes as the ceiling.

use std::ffi::c_void;
use std::hint::black_box;

use marshal_core::bstr::Bstr;
use marshal_core::strings::transcode::{str_to_bstr, utf16_to_string};
use marshal_core::strings::{read_native, AnsiOptions, NativeString, NativeStringKind, StringOptions};
use widestring::U16CStr;

use crate::corpus::{text, CJK, EURO};
use crate::suite::{Case, Op};

/// The report's string inputs: (name, text).
pub fn inputs() -> Vec<(String, String)> {
    let mut v = Vec::new();
    for (name, p) in crate::corpus::TEXTS {
        v.push((format!("4KiB {name}"), text(p, 4096)));
    }
    v.push(("64B euro".into(), text(EURO, 64)));
    v.push(("1MiB cjk".into(), text(CJK, 1 << 20)));
    v
}

/// Alloc + copy of `units` as a `Vec<u16>`: the physical ceiling of any conversion
/// that produces UTF-16 of the same length.
fn memcpy_units(units: Vec<u16>) -> Op {
    Box::new(move || {
        let v: Vec<u16> = black_box(&units).to_vec();
        black_box(v);
    })
}

/// `str` → UTF-16 without validation (a `str` is valid UTF-8): what `String→BSTR` must
/// do, less the BSTR allocation.
fn simdutf_valid_utf8_to_utf16(s: &str) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::with_capacity(s.len() + 1);
    // SAFETY: `s` is valid UTF-8; UTF-16 never has more units than the UTF-8 has bytes;
    // `set_len` covers only what the converter wrote.
    unsafe {
        let n = simdutf::convert_valid_utf8_to_utf16(s.as_ptr(), s.len(), out.as_mut_ptr());
        out.set_len(n);
    }
    out
}

/// What `PtrToStringUTF8` must do with a native `char*`: find its length, then convert
/// (validating: native bytes are untrusted).
///
/// # Safety
/// `p` points at a NUL-terminated byte string.
unsafe fn strlen_simdutf_utf8_to_utf16(p: *const std::ffi::c_char) -> Vec<u16> {
    // SAFETY: forwarded contract.
    let len = unsafe { std::ffi::CStr::from_ptr(p) }.count_bytes();
    let mut out: Vec<u16> = Vec::with_capacity(len + 1);
    // SAFETY: `len` bytes are readable at `p`; room for one unit per byte; `set_len`
    // covers only what the converter wrote.
    unsafe {
        let n = simdutf::convert_utf8_to_utf16(p.cast(), len, out.as_mut_ptr());
        out.set_len(n);
    }
    out
}

fn simdutf_utf16_to_utf8(u: &[u16]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(u.len() * 3 + 1);
    // SAFETY: UTF-8 needs at most 3 bytes per UTF-16 unit; `set_len` covers what was written.
    unsafe {
        let n = simdutf::convert_utf16_to_utf8(u.as_ptr(), u.len(), out.as_mut_ptr());
        out.set_len(n);
    }
    out
}

/// The string cases.
pub fn cases(v: &mut Vec<Case>) {
    let ansi = AnsiOptions::default();
    for (input, s) in inputs() {
        let units: Vec<u16> = s.encode_utf16().collect();
        let bytes = (units.len() * 2) as u64;

        // Rust &str -> BSTR (SysAllocString of transcoded text).
        let (s1, s2, s3) = (s.clone(), s.clone(), s.clone());
        v.push(Case {
            conversion: "String→BSTR",
            input: input.clone(),
            bytes: Some(bytes),
            elements: None,
            ours: Box::new(move || {
                black_box(str_to_bstr(black_box(&s1)).expect("allocates"));
            }),
            baselines: vec![
                (
                    "std",
                    Box::new(move || {
                        black_box(black_box(&s2).encode_utf16().collect::<Vec<u16>>());
                    }),
                ),
                (
                    // Without validation: the input is a `str`, which the engine trusts too.
                    "simdutf",
                    Box::new(move || {
                        black_box(simdutf_valid_utf8_to_utf16(black_box(&s3)));
                    }),
                ),
            ],
            memcpy: Some(memcpy_units(units.clone())),
        });

        // Native LPWSTR (NUL-terminated UTF-16) -> Rust String.
        let native = NativeString::from_wide(NativeStringKind::LPWStr, &units, &ansi).expect("allocates");
        let ptr = native.as_ptr() as usize;
        let keep = std::rc::Rc::new(native);
        let (k1, k2, k3) = (keep.clone(), keep.clone(), keep);
        v.push(Case {
            conversion: "LPWStr→String",
            input: input.clone(),
            bytes: Some(bytes),
            elements: None,
            ours: Box::new(move || {
                let _ = &k1;
                // SAFETY: `ptr` is the NUL-terminated LPWSTR kept alive by `k1`.
                let wide = unsafe { U16CStr::from_ptr_str(ptr as *const u16) };
                black_box(utf16_to_string(wide.as_slice()));
            }),
            baselines: vec![
                (
                    "std",
                    Box::new(move || {
                        let _ = &k2;
                        // SAFETY: as above.
                        let wide = unsafe { U16CStr::from_ptr_str(ptr as *const u16) };
                        black_box(String::from_utf16_lossy(wide.as_slice()));
                    }),
                ),
                (
                    "simdutf",
                    Box::new(move || {
                        let _ = &k3;
                        // SAFETY: as above.
                        let wide = unsafe { U16CStr::from_ptr_str(ptr as *const u16) };
                        black_box(simdutf_utf16_to_utf8(wide.as_slice()));
                    }),
                ),
            ],
            memcpy: Some(memcpy_units(units.clone())),
        });

        // Managed UTF-16 -> LPUTF8Str (StringToCoTaskMemUTF8) and back (PtrToStringUTF8).
        let (u1, u2, u3, u4) = (units.clone(), units.clone(), units.clone(), units.clone());
        v.push(Case {
            conversion: "UTF-16→LPUTF8Str",
            input: input.clone(),
            bytes: Some(bytes),
            elements: None,
            ours: Box::new(move || {
                black_box(NativeString::from_wide(
                    NativeStringKind::LPUTF8Str,
                    black_box(&u1),
                    &AnsiOptions::default(),
                ))
                .expect("converts");
            }),
            baselines: vec![
                (
                    "std",
                    Box::new(move || {
                        black_box(String::from_utf16_lossy(black_box(&u2)));
                    }),
                ),
                (
                    "encoding_rs",
                    Box::new(move || {
                        let mut out = vec![0u8; u3.len() * 3 + 1];
                        let n = encoding_rs::mem::convert_utf16_to_utf8(black_box(&u3), &mut out);
                        black_box(n);
                    }),
                ),
                (
                    "simdutf",
                    Box::new(move || {
                        black_box(simdutf_utf16_to_utf8(black_box(&u4)));
                    }),
                ),
            ],
            memcpy: Some(memcpy_units(units.clone())),
        });

        let utf8 = NativeString::from_wide(NativeStringKind::LPUTF8Str, &units, &ansi).expect("converts");
        let p8 = utf8.as_ptr() as usize;
        let keep = std::rc::Rc::new(utf8);
        let (k1, k2, s4) = (keep.clone(), keep, s.clone());
        let opts = StringOptions::default();
        v.push(Case {
            conversion: "LPUTF8Str→UTF-16",
            input: input.clone(),
            bytes: Some(bytes),
            elements: None,
            ours: Box::new(move || {
                let _ = &k1;
                // SAFETY: `p8` is the NUL-terminated UTF-8 string kept alive by `k1`.
                black_box(unsafe { read_native(NativeStringKind::LPUTF8Str, p8 as *const c_void, &opts) })
                    .expect("valid UTF-8");
            }),
            baselines: vec![
                (
                    "std",
                    Box::new(move || {
                        black_box(black_box(&s4).encode_utf16().collect::<Vec<u16>>());
                    }),
                ),
                (
                    // From the same native pointer, length found with strlen as the
                    // marshaler must (PtrToStringUTF8 gets a pointer, not a length).
                    "strlen+simdutf",
                    Box::new(move || {
                        let _ = &k2;
                        // SAFETY: `p8` is the NUL-terminated UTF-8 string kept alive by `k2`.
                        black_box(unsafe { strlen_simdutf_utf8_to_utf16(black_box(p8) as *const std::ffi::c_char) });
                    }),
                ),
            ],
            memcpy: Some(memcpy_units(units.clone())),
        });

        // Managed UTF-16 <-> BSTR: alloc + copy both ways.
        let u5 = units.clone();
        v.push(Case {
            conversion: "UTF-16→BSTR",
            input: input.clone(),
            bytes: Some(bytes),
            elements: None,
            ours: Box::new(move || {
                black_box(Bstr::from_wide(black_box(&u5)).expect("allocates"));
            }),
            baselines: Vec::new(),
            memcpy: Some(memcpy_units(units.clone())),
        });
        let b = Bstr::from_wide(&units).expect("allocates");
        let u6 = units.clone();
        v.push(Case {
            conversion: "BSTR→UTF-16",
            input,
            bytes: Some(bytes),
            elements: None,
            ours: Box::new(move || {
                black_box(b.as_wide().to_vec());
            }),
            baselines: vec![(
                "widestring U16String",
                Box::new(move || {
                    black_box(widestring::U16String::from_vec(black_box(&u6).clone()));
                }),
            )],
            memcpy: Some(memcpy_units(units)),
        });
    }
}
