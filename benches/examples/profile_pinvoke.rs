//! Calls one function N times through a runtime `Signature`, for instruction counts:
//!
//! ```text
//! cargo build --release -p marshal-benches --example profile_pinvoke
//! valgrind --tool=callgrind target/release/examples/profile_pinvoke abs_sig 100000
//! ```
//!
//! Cases: `abs_direct`, `abs_sig` (int → int), `strlen_ptr` (a pointer),
//! `strlen_lpstr` (a string converted per call), `div_sig` (a struct returned by value).

use std::hint::black_box;
use std::sync::Arc;

use marshal_core::value::Value;
use marshal_core::{StringRepr, TypeDesc};
use marshal_pinvoke::{Library, Param, Signature};

extern "C" {
    fn abs(x: i32) -> i32;
}

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "abs_sig".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let libc = Arc::new(Library::load("c").unwrap());
    let abs_sig = Signature::new(Some(TypeDesc::I32)).param(Param::new("x", TypeDesc::I32)).bind(&libc, "abs").unwrap();
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
    for _ in 0..n {
        match case.as_str() {
            // SAFETY: libc's abs.
            "abs_direct" => drop(black_box(unsafe { abs(black_box(-5)) })),
            "abs_sig" => drop(black_box(abs_sig.call(black_box(&mut a1)).unwrap())),
            "strlen_ptr" => drop(black_box(strlen_ptr.call(black_box(&mut a2)).unwrap())),
            "strlen_lpstr" => drop(black_box(strlen_str.call(black_box(&mut a3)).unwrap())),
            other => panic!("unknown case {other}"),
        }
    }
}
