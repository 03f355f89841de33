//! P/Invoke call overhead (anchors.md §6): the same native functions called
//! through a direct `extern "C"` declaration (the baseline), the `pinvoke!`
//! macro (compile-time path, target ≤ 1.1× extern; `#[library]` bound on first call,
//! `#[link]` bound by the linker) and a runtime `Signature`
//! through libffi (target ≤ 10× extern); and qsort of 100 000 ints with a Rust
//! comparator called back from C vs Rust's `sort_unstable_by` with the same comparator.
#![allow(missing_docs)] // criterion_group! generates an undocumented public fn

use core::ffi::{c_void, CStr};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use marshal_benches::suite_ole::int_of;
use marshal_core::value::Value;
use marshal_core::{StringRepr, StructBuilder, TypeDesc};
use marshal_pinvoke::{extern_callback, pinvoke, Callback, Library, Param, Signature};

/// C99 `double complex`: passed and returned exactly as this struct (SysV: two SSE eightbytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, marshal_core::Blittable)]
struct Complex {
    re: f64,
    im: f64,
}
marshal_pinvoke::by_value!(Complex);

mod direct {
    use super::Complex;
    #[link(name = "marshal_bench_nop")]
    extern "C" {
        /// `native/nop.c`: returns its first argument.
        pub fn marshal_bench_nop(a: i32, b: f64) -> i32;
    }
    #[link(name = "m")]
    extern "C" {
        pub fn conj(z: Complex) -> Complex;
    }
    extern "C" {
        pub fn strlen(s: *const core::ffi::c_char) -> usize;
        pub fn qsort(
            base: *mut core::ffi::c_void,
            n: usize,
            size: usize,
            cmp: extern "C" fn(*const core::ffi::c_void, *const core::ffi::c_void) -> i32,
        );
    }
}

pinvoke! {
    #[library("c")]
    unsafe extern "C" {
        fn strlen(s: &CStr) -> usize;
        #[entry_point = "strlen"]
        fn strlen_str(s: &str) -> usize;
        fn qsort(base: &mut [i32], n: usize, size: usize, cmp: extern "C" fn(*const c_void, *const c_void) -> i32);
    }
}

pinvoke! {
    #[library("marshal_bench_nop")]
    unsafe extern "C" {
        fn marshal_bench_nop(a: i32, b: f64) -> i32;
    }
}

/// The same functions bound by the linker (`#[link]`): a direct call, as the `extern` baseline.
mod linked {
    use super::Complex;
    use core::ffi::CStr;
    use marshal_pinvoke::pinvoke;
    pinvoke! {
        #[link("marshal_bench_nop")]
        unsafe extern "C" {
            pub fn marshal_bench_nop(a: i32, b: f64) -> i32;
        }
    }
    pinvoke! {
        #[link("c")]
        unsafe extern "C" {
            pub fn strlen(s: &CStr) -> usize;
        }
    }
    pinvoke! {
        #[link("m")]
        unsafe extern "C" {
            pub fn conj(z: Complex) -> Complex;
        }
    }
}

pinvoke! {
    #[library("m")]
    unsafe extern "C" {
        fn conj(z: Complex) -> Complex;
    }
}

fn compare(a: &i32, b: &i32) -> core::cmp::Ordering {
    a.cmp(b)
}

extern_callback! {
    fn compare_thunk(a: *const c_void, b: *const c_void) -> i32 {
        // SAFETY: qsort passes pointers to two i32 elements.
        unsafe { compare(&*(a as *const i32), &*(b as *const i32)) as i32 }
    }
}

const TEXT: &CStr = c"The quick brown fox jumps over t"; // 32 chars, as the anchors' ascii_64

fn calls(c: &mut Criterion) {
    let libc = Arc::new(Library::load("c").unwrap());
    let libm = Arc::new(Library::load("m").unwrap());

    // The no-op call of anchors.md §6: `nop(int, double) -> int` in a gcc -O2 shared library.
    let nop_lib = Arc::new(Library::load("marshal_bench_nop").unwrap());
    let mut g = c.benchmark_group("pinvoke/no-op call nop(int,double)->int");
    // SAFETY: the no-op of native/nop.c.
    g.bench_function("extern", |b| b.iter(|| unsafe { direct::marshal_bench_nop(black_box(7), black_box(0.5)) }));
    let (_, addr) = nop_lib.find_entry("marshal_bench_nop", marshal_core::CharSet::Ansi, true).unwrap();
    // SAFETY: the symbol is the no-op, of exactly this type.
    let fnptr: extern "C" fn(i32, f64) -> i32 = unsafe { core::mem::transmute(addr) };
    g.bench_function("extern(dlsym fn pointer)", |b| b.iter(|| black_box(fnptr)(black_box(7), black_box(0.5))));
    g.bench_function("macro", |b| b.iter(|| marshal_bench_nop(black_box(7), black_box(0.5)).unwrap()));
    g.bench_function("macro(link)", |b| b.iter(|| linked::marshal_bench_nop(black_box(7), black_box(0.5)).unwrap()));
    let nop_sig =
        Signature::new(Some(TypeDesc::I32)).param(Param::new("a", TypeDesc::I32)).param(Param::new("b", TypeDesc::F64));
    let nop_fn = nop_sig.bind(&nop_lib, "marshal_bench_nop").unwrap();
    let mut nargs = [Value::I32(7), Value::F64(0.5)];
    g.bench_function("signature", |b| b.iter(|| int_of(nop_fn.call(black_box(&mut nargs)))));
    // The whole `Value` moved out (a 32-byte copy the caller makes) instead of read in place.
    g.bench_function("signature(Value moved out)", |b| b.iter(|| nop_fn.call(black_box(&mut nargs)).unwrap()));
    let nop_sle = nop_sig.set_last_error(true).bind(&nop_lib, "marshal_bench_nop").unwrap();
    g.bench_function("signature(SetLastError)", |b| b.iter(|| int_of(nop_sle.call(black_box(&mut nargs)))));
    g.finish();

    let mut g = c.benchmark_group("pinvoke/strlen(32 chars)");
    g.bench_function("extern", |b| {
        // The same opaque `&CStr` as the macro rows get (a fat pointer through `black_box`).
        // SAFETY: a NUL-terminated string.
        b.iter(|| unsafe { direct::strlen(black_box(TEXT).as_ptr()) })
    });
    g.bench_function("macro(&CStr)", |b| b.iter(|| strlen(black_box(TEXT)).unwrap()));
    g.bench_function("macro(link, &CStr)", |b| b.iter(|| linked::strlen(black_box(TEXT)).unwrap()));
    let ptr_sig = Signature::new(Some(TypeDesc::USIZE)).param(Param::new("s", TypeDesc::Pointer));
    let by_ptr = ptr_sig.bind(&libc, "strlen").unwrap();
    let mut args = [Value::Pointer(TEXT.as_ptr() as u64)];
    g.bench_function("signature(IntPtr)", |b| b.iter(|| int_of(by_ptr.call(black_box(&mut args)))));
    let text = TEXT.to_str().unwrap();
    g.bench_function("extern(&str -> CString per call)", |b| {
        b.iter(|| {
            let c = std::ffi::CString::new(black_box(text)).unwrap();
            // SAFETY: a NUL-terminated string.
            unsafe { direct::strlen(c.as_ptr()) }
        })
    });
    g.bench_function("macro(&str, converted)", |b| b.iter(|| strlen_str(black_box(text)).unwrap()));
    let lpstr = Signature::new(Some(TypeDesc::USIZE))
        .param(Param::new("s", TypeDesc::String(StringRepr::LPStr)))
        .bind(&libc, "strlen")
        .unwrap();
    let mut sargs = [Value::str(text)];
    g.bench_function("signature(LPStr, converted)", |b| b.iter(|| lpstr.call(black_box(&mut sargs)).unwrap()));
    g.finish();

    let mut g = c.benchmark_group("pinvoke/struct in+out by value (conj)");
    let z = Complex { re: 1.5, im: -2.0 };
    g.bench_function("extern", |b| {
        // SAFETY: conj takes and returns a double complex, laid out as Complex.
        b.iter(|| unsafe { direct::conj(black_box(z)) })
    });
    g.bench_function("macro", |b| b.iter(|| conj(black_box(z)).unwrap()));
    g.bench_function("macro(link)", |b| b.iter(|| linked::conj(black_box(z)).unwrap()));
    let cty =
        StructBuilder::sequential("Complex").field("re", TypeDesc::F64).field("im", TypeDesc::F64).build().unwrap();
    let conj_sig = Signature::new(Some(cty.clone())).param(Param::new("z", cty)).bind(&libm, "conj").unwrap();
    let mut zargs = [Value::Struct(vec![("re".into(), Value::F64(1.5)), ("im".into(), Value::F64(-2.0))])];
    g.bench_function("signature", |b| b.iter(|| conj_sig.call(black_box(&mut zargs)).unwrap()));
    g.finish();

    let data: Vec<i32> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as i32).collect();
    let mut g = c.benchmark_group("pinvoke/sort 100000 i32 with a Rust comparator");
    g.sample_size(10).measurement_time(Duration::from_secs(4));
    g.bench_function("rust sort_unstable_by", |b| {
        b.iter_batched_ref(|| data.clone(), |v| v.sort_unstable_by(compare), criterion::BatchSize::LargeInput)
    });
    g.bench_function("qsort extern + extern \"C\" thunk", |b| {
        b.iter_batched_ref(
            || data.clone(),
            // SAFETY: v holds v.len() i32 elements; the thunk compares two of them.
            |v| unsafe { direct::qsort(v.as_mut_ptr() as *mut c_void, v.len(), 4, compare_thunk) },
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("qsort macro + extern \"C\" thunk", |b| {
        b.iter_batched_ref(
            || data.clone(),
            |v| {
                let n = v.len();
                qsort(v, n, 4, compare_thunk).unwrap()
            },
            criterion::BatchSize::LargeInput,
        )
    });
    let cmp_sig = Signature::new(Some(TypeDesc::I32))
        .param(Param::by_ref("a", TypeDesc::I32).with_in())
        .param(Param::by_ref("b", TypeDesc::I32).with_in());
    let cb = Callback::new(&cmp_sig, |a| match (&a[0], &a[1]) {
        (Value::I32(x), Value::I32(y)) => Ok(Value::I32(compare(x, y) as i32)),
        _ => Ok(Value::I32(0)),
    })
    .unwrap();
    g.bench_function("qsort extern + runtime Callback (libffi closure)", |b| {
        b.iter_batched_ref(
            || data.clone(),
            // SAFETY: the closure has the comparator's C signature and outlives the sort.
            |v| unsafe {
                let f: extern "C" fn(*const c_void, *const c_void) -> i32 = core::mem::transmute(cb.code_ptr());
                direct::qsort(v.as_mut_ptr() as *mut c_void, v.len(), 4, f)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = calls
}
criterion_main!(benches);
