//! String conversions, each direction × {64 B, 4 KiB, 1 MiB} × {ASCII, European mixed,
//! CJK + emoji}, with std, widestring, encoding_rs and simdutf as baselines and an
//! allocation + memcpy of the same bytes as the ceiling, all in the same run.
//!
//! Sizes count UTF-16 bytes (as the anchors in shared/reference/anchors.md); every call
//! allocates its output and frees it, as a marshaler must.
//!
//! `cargo bench -p marshal-benches --bench strings -- --quick`

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use marshal_core::bstr::{Bstr, BstrRef};
use marshal_core::strings::transcode::{self, InvalidUtf8};
use marshal_core::strings::{read_native, AnsiOptions, NativeString, NativeStringKind, StringOptions};
use widestring::{U16CStr, U16Str, U16String};

const ASCII: &str = "The quick brown fox jumps over the lazy dog while the committee reviews its \
    quarterly report on interoperability, marshaling costs and the price of copying strings. ";
const EURO: &str = "Le cœur déçu mais l'âme plutôt naïve, Louÿs rêva de crapaüter en canoë au-delà des îles, \
    près du mälström où brûlent les novæ. Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter \
    Deich. Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Съешь же ещё этих мягких французских булок. ";
const CJK: &str = "日本語の文章と中文的句子混在しています。我们在这里测试字符串的转换速度，\
    以及代理对的处理😀。東京都の天気は晴れ、気温は二十度です。𠀋𡈽𡌛人工知能と機械学習の研究が進んでいる。";

/// `text` repeated to `bytes` UTF-16 bytes, never splitting a surrogate pair.
fn sample(text: &str, bytes: usize) -> Vec<u16> {
    let units = bytes / 2;
    let mut v: Vec<u16> = Vec::with_capacity(units + 2);
    'outer: loop {
        for c in text.chars() {
            if v.len() + c.len_utf16() > units {
                break 'outer;
            }
            let mut buf = [0u16; 2];
            v.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    while v.len() < units {
        v.push(u16::from(b' '));
    }
    v
}

const SIZES: [(usize, &str); 3] = [(64, "64B"), (4096, "4KiB"), (1 << 20, "1MiB")];
const TEXTS: [(&str, &str); 3] = [("ascii", ASCII), ("euro", EURO), ("cjk", CJK)];

fn config<'c>(
    c: &'c mut Criterion,
    group: &str,
    size: usize,
) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes(size as u64));
    g.warm_up_time(std::time::Duration::from_millis(300));
    g.measurement_time(std::time::Duration::from_millis(800));
    g.sample_size(20);
    g
}

/// Managed UTF-16 → native UTF-8 (LPUTF8Str; LPStr on Unix): allocate, convert, free.
fn utf16_to_utf8(c: &mut Criterion) {
    let ansi = AnsiOptions::UTF8;
    for (size, size_name) in SIZES {
        let mut g = config(c, &format!("utf16_to_utf8/{size_name}"), size);
        for (name, text) in TEXTS {
            let src = sample(text, size);
            let src = &src[..];
            g.bench_with_input(BenchmarkId::new("engine NativeString LPUTF8Str", name), src, |b, s| {
                b.iter(|| NativeString::from_wide(NativeStringKind::LPUTF8Str, black_box(s), &ansi).unwrap())
            });
            g.bench_with_input(BenchmarkId::new("engine transcode::utf16_to_string", name), src, |b, s| {
                b.iter(|| transcode::utf16_to_string(black_box(s)))
            });
            g.bench_with_input(BenchmarkId::new("std String::from_utf16_lossy", name), src, |b, s| {
                b.iter(|| String::from_utf16_lossy(black_box(s)))
            });
            g.bench_with_input(BenchmarkId::new("widestring to_string_lossy", name), src, |b, s| {
                b.iter(|| U16Str::from_slice(black_box(s)).to_string_lossy())
            });
            g.bench_with_input(BenchmarkId::new("encoding_rs convert_utf16_to_utf8", name), src, |b, s| {
                b.iter(|| {
                    let mut v = vec![0u8; s.len() * 3];
                    let n = encoding_rs::mem::convert_utf16_to_utf8(black_box(s), &mut v);
                    v.truncate(n);
                    v
                })
            });
            g.bench_with_input(BenchmarkId::new("simdutf length+convert", name), src, |b, s| {
                b.iter(|| {
                    let s = black_box(s);
                    let n = simdutf::utf8_length_from_utf16(s);
                    let mut v: Vec<u8> = Vec::with_capacity(n);
                    // SAFETY: valid input, capacity is the exact output length.
                    unsafe {
                        let w = simdutf::convert_utf16_to_utf8(s.as_ptr(), s.len(), v.as_mut_ptr());
                        v.set_len(w);
                    }
                    v
                })
            });
            g.bench_with_input(BenchmarkId::new("ceiling alloc+memcpy", name), src, |b, s| {
                b.iter(|| black_box(s).to_vec())
            });
        }
        g.finish();
    }
}

/// Native UTF-8 → managed UTF-16.
fn utf8_to_utf16(c: &mut Criterion) {
    let opts = StringOptions::CORECLR_UNIX;
    for (size, size_name) in SIZES {
        let mut g = config(c, &format!("utf8_to_utf16/{size_name}"), size);
        for (name, text) in TEXTS {
            let units = sample(text, size);
            let s = String::from_utf16(&units).unwrap();
            let mut nul = s.clone().into_bytes();
            nul.push(0);
            let bytes = s.as_bytes();
            g.bench_with_input(BenchmarkId::new("engine read_native LPUTF8Str (NUL scan)", name), &nul, |b, n| {
                // SAFETY: `n` is NUL-terminated.
                b.iter(|| unsafe { read_native(NativeStringKind::LPUTF8Str, black_box(n.as_ptr()).cast(), &opts) })
            });
            g.bench_with_input(BenchmarkId::new("engine transcode::utf8_to_utf16", name), bytes, |b, s| {
                b.iter(|| transcode::utf8_to_utf16(black_box(s), InvalidUtf8::Replace).unwrap())
            });
            g.bench_with_input(BenchmarkId::new("std from_utf8+encode_utf16", name), bytes, |b, s| {
                b.iter(|| core::str::from_utf8(black_box(s)).unwrap().encode_utf16().collect::<Vec<u16>>())
            });
            g.bench_with_input(BenchmarkId::new("widestring U16String::from_str", name), &s, |b, s| {
                b.iter(|| U16String::from_str(black_box(s.as_str())))
            });
            g.bench_with_input(BenchmarkId::new("encoding_rs convert_utf8_to_utf16", name), bytes, |b, s| {
                b.iter(|| {
                    let mut v = vec![0u16; s.len() + 1];
                    let n = encoding_rs::mem::convert_utf8_to_utf16(black_box(s), &mut v);
                    v.truncate(n);
                    v
                })
            });
            g.bench_with_input(BenchmarkId::new("simdutf length+convert", name), bytes, |b, s| {
                b.iter(|| {
                    let s = black_box(s);
                    let n = simdutf::utf16_length_from_utf8(s);
                    let mut v: Vec<u16> = Vec::with_capacity(n);
                    // SAFETY: valid input, capacity is the exact output length.
                    unsafe {
                        let w = simdutf::convert_utf8_to_utf16(s.as_ptr(), s.len(), v.as_mut_ptr());
                        v.set_len(w);
                    }
                    v
                })
            });
            g.bench_with_input(BenchmarkId::new("ceiling alloc+memcpy", name), &units, |b, u| {
                b.iter(|| black_box(u.as_slice()).to_vec())
            });
        }
        g.finish();
    }
}

/// Managed UTF-16 → native BSTR / LPWStr (alloc + copy + free).
fn u16copy_out(c: &mut Criterion) {
    let ansi = AnsiOptions::UTF8;
    for (size, size_name) in SIZES {
        let mut g = config(c, &format!("u16copy_out/{size_name}"), size);
        for (name, text) in TEXTS {
            let src = sample(text, size);
            let src = &src[..];
            g.bench_with_input(BenchmarkId::new("engine Bstr::from_wide", name), src, |b, s| {
                b.iter(|| Bstr::from_wide(black_box(s)).unwrap())
            });
            g.bench_with_input(BenchmarkId::new("engine NativeString LPWStr", name), src, |b, s| {
                b.iter(|| NativeString::from_wide(NativeStringKind::LPWStr, black_box(s), &ansi).unwrap())
            });
            g.bench_with_input(BenchmarkId::new("ceiling alloc+memcpy", name), src, |b, s| {
                b.iter(|| black_box(s).to_vec())
            });
        }
        g.finish();
    }
}

/// Native BSTR / LPWStr → owned managed string.
fn u16copy_in(c: &mut Criterion) {
    let opts = StringOptions::CORECLR_UNIX;
    for (size, size_name) in SIZES {
        let mut g = config(c, &format!("u16copy_in/{size_name}"), size);
        for (name, text) in TEXTS {
            let src = sample(text, size);
            let bstr = Bstr::from_wide(&src).unwrap();
            let mut lpw = src.clone();
            lpw.push(0);
            g.bench_with_input(BenchmarkId::new("engine BstrRef::to_u16_string", name), &bstr, |b, s| {
                // SAFETY: a live BSTR.
                b.iter(|| unsafe { BstrRef::from_raw(black_box(s.as_ptr())) }.to_u16_string())
            });
            g.bench_with_input(BenchmarkId::new("engine read_native LPWStr (NUL scan)", name), &lpw, |b, p| {
                // SAFETY: NUL-terminated.
                b.iter(|| unsafe { read_native(NativeStringKind::LPWStr, black_box(p.as_ptr()).cast(), &opts) })
            });
            g.bench_with_input(BenchmarkId::new("widestring U16CStr::from_ptr_str (NUL scan)", name), &lpw, |b, p| {
                // SAFETY: NUL-terminated.
                b.iter(|| unsafe { U16CStr::from_ptr_str(black_box(p.as_ptr())) }.to_ustring())
            });
            g.bench_with_input(BenchmarkId::new("ceiling alloc+memcpy", name), &src, |b, u| {
                b.iter(|| black_box(u.as_slice()).to_vec())
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = utf16_to_utf8, utf8_to_utf16, u16copy_out, u16copy_in
}
criterion_main!(benches);
