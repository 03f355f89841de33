//! Runs one struct conversion of the suite N times, for instruction counts:
//!
//! ```text
//! cargo build --release -p marshal-benches --example profile_structs
//! valgrind --tool=callgrind target/release/examples/profile_structs a_value 100000
//! ```
//!
//! Cases: `a_value`, `a_derive`, `b_value`, `b_derive`, `b_hand`, `b_read_value`, `b_read_derive`.

use std::hint::black_box;
use std::sync::Arc;

use marshal_benches::suite_structs::{A, B};
use marshal_core::marshal::Marshal;
use marshal_core::plan::Plan;
use marshal_core::value::Value;
use marshal_core::Target;
use widestring::U16String;

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "a_value".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let a = A { a: 1, b: 2, c: 3, d: 4, x: 5.0, y: 6.0 };
    let text: Vec<u16> = "0123456789abcdefghijklmnopqrstuv".encode_utf16().collect();
    let b = B { a: 1, b: 2, c: 3, d: 4, x: 5.0, y: 6.0, s: U16String::from_vec(text.clone()) };
    let plan_a = Plan::for_type(&A::type_desc(), Target::host()).unwrap();
    let plan_b = Plan::for_type(&B::type_desc(), Target::host()).unwrap();
    let names_a: Vec<Arc<str>> = plan_a.field_names().cloned().collect();
    let names: Vec<Arc<str>> = plan_b.field_names().cloned().collect();
    let nums = [Value::I32(1), Value::I32(2), Value::I32(3), Value::I32(4), Value::F64(5.0), Value::F64(6.0)];
    let va = Value::Struct(names_a.iter().cloned().zip(nums.iter().cloned()).collect());
    let mut fields: Vec<(Arc<str>, Value)> = names.iter().take(6).cloned().zip(nums.iter().cloned()).collect();
    fields.push((names[6].clone(), Value::Str(text)));
    let vb = Value::Struct(fields);
    let mut out = vec![0u8; 40];
    let mut native_b = vec![0u8; 40];
    b.to_native(&mut native_b).unwrap();
    for _ in 0..n {
        match case.as_str() {
            "a_value" => plan_a.to_native(black_box(&va), &mut out).unwrap(),
            "a_derive" => black_box(&a).to_native(&mut out).unwrap(),
            "b_value" => {
                plan_b.to_native(black_box(&vb), &mut out).unwrap();
                // SAFETY: written just above.
                unsafe { plan_b.destroy(&mut out) };
            }
            "b_derive" => {
                black_box(&b).to_native(&mut out).unwrap();
                // SAFETY: written just above.
                unsafe { B::destroy_native(&mut out) };
            }
            "b_hand" => {
                // The suite's hand-written (b): fields copied, the string malloc'd + copied, freed.
                let s = black_box(&b);
                out[0..4].copy_from_slice(&s.a.to_le_bytes());
                out[4..8].copy_from_slice(&s.b.to_le_bytes());
                out[8..12].copy_from_slice(&s.c.to_le_bytes());
                out[12..16].copy_from_slice(&s.d.to_le_bytes());
                out[16..24].copy_from_slice(&s.x.to_le_bytes());
                out[24..32].copy_from_slice(&s.y.to_le_bytes());
                let units = s.s.as_slice();
                let p = marshal_core::alloc::CoTaskMem::alloc(units.len() * 2 + 2);
                // SAFETY: `p` holds the units and the NUL.
                unsafe {
                    core::ptr::copy_nonoverlapping(units.as_ptr().cast::<u8>(), p, units.len() * 2);
                    p.add(units.len() * 2).cast::<u16>().write_unaligned(0);
                }
                out[32..40].copy_from_slice(&(p as usize).to_ne_bytes());
                black_box(&out);
                // SAFETY: the block just allocated.
                unsafe { marshal_core::alloc::CoTaskMem::free(p) };
            }
            // SAFETY: a native B made by to_native above.
            "b_read_value" => drop(black_box(unsafe { plan_b.from_native(&native_b) }.unwrap())),
            // SAFETY: as above.
            "b_read_derive" => drop(black_box(unsafe { B::from_native(&native_b) }.unwrap())),
            other => panic!("unknown case {other}"),
        }
        black_box(&out);
    }
}
