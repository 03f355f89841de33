//! Instruction counts of the SAFEARRAY anchor case (run under callgrind:
//! `valgrind --tool=callgrind target/release/examples/safearray_loop <op> <n>`; the difference
//! between two values of `n` divided by their difference is the cost of one operation).
//!
//! Ops: `put` / `get` (owned API, one 1000-element VT_I4 vector, `n` calls), `raw_put` /
//! `raw_get` (SafeArrayPutElement / GetElement), `vec` (the Vec baseline's store + load),
//! `put2d` / `get2d` (a 32 × 32 VT_I4
//! array), `create` (SafeArray::vector(I4, 0, 1000) + drop), `anchor` (the report case: create,
//! 1000 put, 1000 get, drop).
use std::hint::black_box;

use marshal_core::safearray::raw;
use marshal_core::safearray::{Bound, SafeArray};
use marshal_core::VarType;

const LEN: i32 = 1000;

fn main() {
    let op = std::env::args().nth(1).unwrap_or_else(|| "put".into());
    let n: u64 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let mut sa = SafeArray::vector(VarType::I4, 0, LEN as u32).expect("creates");
    let mut i = 0i32;
    let mut next = || {
        i += 1;
        if i == LEN {
            i = 0;
        }
        black_box(i)
    };
    match op.as_str() {
        "put" => {
            for _ in 0..n {
                let k = next();
                sa.put(&[k], &k).expect("in bounds");
            }
        }
        "get" => {
            let mut sum = 0i64;
            for _ in 0..n {
                sum += sa.get::<i32>(&[next()]).expect("in bounds") as i64;
            }
            black_box(sum);
        }
        "raw_put" => {
            for _ in 0..n {
                let k = next();
                // SAFETY: a valid array, one index, a readable i32.
                black_box(unsafe { raw::safe_array_put_element(sa.as_ptr(), &k, &k as *const i32 as *const _) });
            }
        }
        "raw_get" => {
            let mut sum = 0i64;
            for _ in 0..n {
                let k = next();
                let mut x = 0i32;
                // SAFETY: a valid array, one index, a writable i32.
                black_box(unsafe { raw::safe_array_get_element(sa.as_ptr(), &k, &mut x as *mut i32 as *mut _) });
                sum += x as i64;
            }
            black_box(sum);
        }
        "vec" => {
            let mut v = vec![0i32; LEN as usize];
            let mut sum = 0i64;
            for _ in 0..n {
                let k = next();
                v[k as usize] = k;
                sum += v[black_box(k) as usize] as i64;
            }
            black_box(sum);
        }
        "create" => {
            for _ in 0..n {
                black_box(SafeArray::vector(VarType::I4, 0, black_box(LEN as u32)).expect("creates"));
            }
        }
        "anchor" => {
            for _ in 0..n {
                let mut a = SafeArray::vector(VarType::I4, 0, LEN as u32).expect("creates");
                for i in 0..LEN {
                    a.put(&[i], &i).expect("in bounds");
                }
                let mut sum = 0i64;
                for i in 0..LEN {
                    sum += a.get::<i32>(&[i]).expect("in bounds") as i64;
                }
                black_box(sum);
            }
        }
        "put2d" | "get2d" => {
            let mut m = SafeArray::new(VarType::I4, &[Bound::zero_based(32), Bound::zero_based(32)]).expect("creates");
            let mut sum = 0i64;
            for _ in 0..n {
                let k = next();
                let (r, c) = (k % 32, (k / 32) % 32);
                if op == "put2d" {
                    m.put(&[r, c], &k).expect("in bounds");
                } else {
                    sum += m.get::<i32>(&[r, c]).expect("in bounds") as i64;
                }
            }
            black_box(sum);
        }
        "time" => time_parts(),
        other => panic!("unknown op {other}"),
    }
    black_box(&sa);
}

/// Exploration only: median ns of each part of the anchor, with the Vec baseline, in one run.
fn time_parts() {
    use marshal_benches::measure::measure;
    use std::time::Duration;
    let budget = Duration::from_millis(1500);
    let anchor = measure(budget, || {
        let mut a = SafeArray::vector(VarType::I4, 0, LEN as u32).expect("creates");
        for i in 0..LEN {
            a.put(&[i], &i).expect("in bounds");
        }
        let mut sum = 0i64;
        for i in 0..LEN {
            sum += a.get::<i32>(&[i]).expect("in bounds") as i64;
        }
        black_box(sum);
    });
    let vec = measure(budget, || {
        let mut v = vec![0i32; 1000];
        for (i, x) in v.iter_mut().enumerate() {
            *x = black_box(i as i32);
        }
        black_box(v.iter().map(|&x| x as i64).sum::<i64>());
    });
    let mut sa = SafeArray::vector(VarType::I4, 0, LEN as u32).expect("creates");
    let put = measure(budget, || {
        for i in 0..LEN {
            sa.put(&[i], &i).expect("in bounds");
        }
    });
    let get = measure(budget, || {
        let mut sum = 0i64;
        for i in 0..LEN {
            sum += sa.get::<i32>(&[i]).expect("in bounds") as i64;
        }
        black_box(sum);
    });
    let create = measure(budget, || black_box(SafeArray::vector(VarType::I4, 0, LEN as u32).expect("creates")));
    println!(
        "anchor {:.0} ns  vec {:.0} ns  ratio {:.2}x | put loop {:.0} ns  get loop {:.0} ns  create+drop {:.0} ns",
        anchor.median_ns,
        vec.median_ns,
        anchor.median_ns / vec.median_ns,
        put.median_ns,
        get.median_ns,
        create.median_ns
    );
}
