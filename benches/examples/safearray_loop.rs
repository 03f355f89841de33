//! Instruction counts of the SAFEARRAY anchor case (run under callgrind:
//! `valgrind --tool=callgrind target/release/examples/safearray_loop <op> <n>`; the difference
//! between two values of `n` divided by their difference is the cost of one operation).
//!
//! Ops: `put` / `get` (owned API, one 1000-element VT_I4 vector, `n` calls), `raw_put` /
//! `raw_get` (SafeArrayPutElement / GetElement), `vec` (the Vec baseline's store + load),
//! `put2d` / `get2d` (a 32 × 32 VT_I4
//! array), `create` (SafeArray::vector(I4, 0, 1000) + drop), `anchor` (the report case: create,
//! 1000 put, 1000 get, drop), `anchor_vec` (its Vec<i32> baseline).
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
                black_box(unsafe { put_element(sa.as_ptr(), &k, &k as *const i32 as *const _) });
            }
        }
        "raw_get" => {
            let mut sum = 0i64;
            for _ in 0..n {
                let k = next();
                let mut x = 0i32;
                // SAFETY: a valid array, one index, a writable i32.
                black_box(unsafe { get_element(sa.as_ptr(), &k, &mut x as *mut i32 as *mut _) });
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
        "anchor_vec" => {
            // The report's baseline for `anchor`: the same values through a Vec<i32>.
            for _ in 0..n {
                let mut v = vec![0i32; LEN as usize];
                for (i, x) in v.iter_mut().enumerate() {
                    *x = black_box(i as i32);
                }
                black_box(v.iter().map(|&x| x as i64).sum::<i64>());
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
        other => panic!("unknown op {other}"),
    }
    black_box(&sa);
}

/// `SafeArrayPutElement` as a C caller reaches it: not inlined into the loop (so the
/// argument checks run as they do for unknown pointers).
///
/// # Safety
///
/// As [`raw::safe_array_put_element`].
#[inline(never)]
unsafe fn put_element(
    psa: *mut raw::SAFEARRAY,
    idx: *const i32,
    pv: *const core::ffi::c_void,
) -> marshal_core::Hresult {
    // SAFETY: per the caller.
    unsafe { raw::safe_array_put_element(psa, idx, pv) }
}

/// `SafeArrayGetElement` as a C caller reaches it (see [`put_element`]).
///
/// # Safety
///
/// As [`raw::safe_array_get_element`].
#[inline(never)]
unsafe fn get_element(psa: *mut raw::SAFEARRAY, idx: *const i32, pv: *mut core::ffi::c_void) -> marshal_core::Hresult {
    // SAFETY: per the caller.
    unsafe { raw::safe_array_get_element(psa, idx, pv) }
}
