//! Calls one function N times through a runtime `Signature`, for instruction counts:
//!
//! ```text
//! cargo build --release -p marshal-benches --example profile_pinvoke
//! valgrind --tool=callgrind target/release/examples/profile_pinvoke abs_sig 100000
//! ```
//!
//! Cases: the no-op `marshal_bench_nop(int, double) -> int` of `native/nop.c`
//! (a gcc -O2 shared library) called by `nop_extern` (a direct `extern "C"` call
//! through the PLT, the baseline), `nop_macro` (`pinvoke!`), `nop_sig` (a
//! `Signature`, the caller reading the int in place as it would), `nop_sig_value`
//! (the same, moving the whole returned `Value` out instead), `nop_sig_sle`
//! (SetLastError); `abs_sig` (`abs(int)` through a `Signature`), `strlen_ptr` (a pointer),
//! `strlen_lpstr` (a string converted per call). The case is chosen once, outside
//! the loop, so the loop body is the call alone.

use std::hint::black_box;
use std::sync::Arc;

use marshal_benches::suite_ole::int_of;
use marshal_core::value::Value;
use marshal_core::{StringRepr, TypeDesc};
use marshal_pinvoke::{Library, Param, Signature};

#[link(name = "marshal_bench_nop")]
extern "C" {
    fn marshal_bench_nop(a: i32, b: f64) -> i32;
}

mod typed {
    marshal_pinvoke::pinvoke! {
        #[library("marshal_bench_nop")]
        unsafe extern "C" {
            pub fn marshal_bench_nop(a: i32, b: f64) -> i32;
        }
    }
}

/// Runs `f` `n` times (monomorphised per case: no dispatch inside the loop).
fn run(n: usize, mut f: impl FnMut()) {
    for _ in 0..n {
        f();
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "nop_sig".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let libc = Arc::new(Library::load("c").unwrap());
    let abs_sig = Signature::new(Some(TypeDesc::I32)).param(Param::new("x", TypeDesc::I32)).bind(&libc, "abs").unwrap();
    let nop_lib = Arc::new(Library::load("marshal_bench_nop").unwrap());
    let nop =
        Signature::new(Some(TypeDesc::I32)).param(Param::new("a", TypeDesc::I32)).param(Param::new("b", TypeDesc::F64));
    let nop_sig = nop.bind(&nop_lib, "marshal_bench_nop").unwrap();
    let nop_sle = nop.set_last_error(true).bind(&nop_lib, "marshal_bench_nop").unwrap();
    let mut a0 = [Value::I32(7), Value::F64(0.5)];
    let strlen_ptr =
        Signature::new(Some(TypeDesc::USIZE)).param(Param::new("s", TypeDesc::Pointer)).bind(&libc, "strlen").unwrap();
    let strlen_str = Signature::new(Some(TypeDesc::USIZE))
        .param(Param::new("s", TypeDesc::String(StringRepr::LPStr)))
        .bind(&libc, "strlen")
        .unwrap();
    let text = c"The quick brown fox jumps over t";
    let mut a1 = [Value::I32(-5)];
    let mut a2 = [Value::Pointer(text.as_ptr() as u64)];
    let mut a3 = [Value::str("The quick brown fox jumps over t")];
    match case.as_str() {
        // SAFETY: the no-op of native/nop.c.
        "nop_extern" => run(n, || _ = black_box(unsafe { marshal_bench_nop(black_box(7), black_box(0.5)) })),
        "nop_macro" => run(n, || _ = black_box(typed::marshal_bench_nop(black_box(7), black_box(0.5)).unwrap())),
        "nop_sig" => run(n, || _ = black_box(int_of(nop_sig.call(black_box(&mut a0))))),
        "nop_sig_value" => run(n, || drop(black_box(nop_sig.call(black_box(&mut a0)).unwrap()))),
        "nop_sig_sle" => run(n, || _ = black_box(int_of(nop_sle.call(black_box(&mut a0))))),
        "abs_sig" => run(n, || _ = black_box(int_of(abs_sig.call(black_box(&mut a1))))),
        "strlen_ptr" => run(n, || _ = black_box(int_of(strlen_ptr.call(black_box(&mut a2))))),
        "strlen_lpstr" => run(n, || _ = black_box(int_of(strlen_str.call(black_box(&mut a3))))),
        other => panic!("unknown case {other}"),
    }
}
