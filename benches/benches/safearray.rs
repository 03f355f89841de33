//! SAFEARRAY benchmarks: create + fill + read of 1-D and 2-D arrays against
//! building a `Vec` of the same data, the oleaut32 anchor (1000 × VT_I4
//! create / put / get / destroy), and zero-copy reads of 1 MiB of f64 against
//! memcpy. Baselines run in the same process.
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use marshal_core::safearray::raw::{self, SAFEARRAYBOUND};
use marshal_core::safearray::{Bound, SafeArray};
use marshal_core::variant::Variant;
use marshal_core::VarType;

const N: usize = 1000;
const SIDE: usize = 32;

/// The anchor: one array of 1000 VT_I4, every element put then got, destroyed.
fn anchor(c: &mut Criterion) {
    let mut g = c.benchmark_group("safearray/anchor_1000xI4_create_put_get_destroy");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("SafeArray (owned API)", |b| {
        b.iter(|| {
            let mut a = SafeArray::new(VarType::I4, &[Bound::zero_based(N as u32)]).unwrap();
            for i in 0..N as i32 {
                a.put(&[i], &i).unwrap();
            }
            let mut sum = 0i64;
            for i in 0..N as i32 {
                sum += a.get::<i32>(&[i]).unwrap() as i64;
            }
            black_box(sum);
        })
    });
    g.bench_function("SafeArray::view_mut (typed view)", |b| {
        b.iter(|| {
            let mut a = SafeArray::new(VarType::I4, &[Bound::zero_based(N as u32)]).unwrap();
            let mut v = a.view_mut::<i32>().unwrap();
            for i in 0..N as i32 {
                v.set(&[i], i).unwrap();
            }
            let mut sum = 0i64;
            for i in 0..N as i32 {
                sum += v.get(&[i]).unwrap() as i64;
            }
            drop(v);
            black_box(sum);
        })
    });
    g.bench_function("raw oleaut32 API (SafeArrayPutElement/GetElement)", |b| {
        // SAFETY: the array is created, used within its bounds and destroyed in the closure.
        b.iter(|| unsafe {
            let bound = SAFEARRAYBOUND { cElements: N as u32, lLbound: 0 };
            let psa = raw::safe_array_create(VarType::I4, 1, &bound);
            for i in 0..N as i32 {
                raw::safe_array_put_element(psa, &i, &i as *const i32 as *const _);
            }
            let mut sum = 0i64;
            for i in 0..N as i32 {
                let mut v = 0i32;
                raw::safe_array_get_element(psa, &i, &mut v as *mut i32 as *mut _);
                sum += v as i64;
            }
            raw::safe_array_destroy(psa);
            black_box(sum);
        })
    });
    g.bench_function("baseline Vec<i32>", |b| {
        b.iter(|| {
            let mut v = vec![0i32; N];
            for i in 0..N {
                v[black_box(i)] = i as i32;
            }
            let mut sum = 0i64;
            for i in 0..N {
                sum += v[black_box(i)] as i64;
            }
            black_box(sum);
        })
    });
    g.finish();
}

fn create_fill_read(c: &mut Criterion) {
    let mut g = c.benchmark_group("safearray/create_fill_read");
    let ints: Vec<i32> = (0..N as i32).collect();
    let floats: Vec<f64> = (0..N).map(|i| i as f64 * 0.5).collect();

    // 1-D, bulk: from_slice + to_vec.
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function(BenchmarkId::new("1d_i32", "SafeArray::from_slice+to_vec"), |b| {
        b.iter(|| black_box(SafeArray::from_slice(black_box(&ints)).unwrap().to_vec::<i32>().unwrap()))
    });
    g.bench_function(BenchmarkId::new("1d_i32", "SafeArray::from_slice+with_data"), |b| {
        b.iter(|| {
            let a = SafeArray::from_slice(black_box(&ints)).unwrap();
            black_box(a.with_data(|xs: &[i32]| xs.iter().map(|&x| x as i64).sum::<i64>()).unwrap())
        })
    });
    g.bench_function(BenchmarkId::new("1d_i32", "baseline Vec clone+clone"), |b| {
        b.iter(|| {
            let v = black_box(&ints).to_vec();
            black_box(v.to_vec())
        })
    });
    g.bench_function(BenchmarkId::new("1d_f64", "SafeArray::from_slice+to_vec"), |b| {
        b.iter(|| black_box(SafeArray::from_slice(black_box(&floats)).unwrap().to_vec::<f64>().unwrap()))
    });
    g.bench_function(BenchmarkId::new("1d_f64", "baseline Vec clone+clone"), |b| {
        b.iter(|| {
            let v = black_box(&floats).to_vec();
            black_box(v.to_vec())
        })
    });

    // BSTR and VARIANT elements: 1-D bulk (from_slice + to_vec) against a Vec of the same values.
    let strings: Vec<String> = (0..N).map(|i| format!("element number {i:05}")).collect();
    let str_refs: Vec<&str> = strings.iter().map(String::as_str).collect();
    g.bench_function(BenchmarkId::new("1d_bstr", "SafeArray::from_slice+to_vec::<String>"), |b| {
        b.iter(|| black_box(SafeArray::from_slice(black_box(&str_refs)).unwrap().to_vec::<String>().unwrap()))
    });
    g.bench_function(BenchmarkId::new("1d_bstr", "baseline Vec<String> build+clone"), |b| {
        b.iter(|| {
            let v: Vec<String> = black_box(&str_refs).iter().map(|s| s.to_string()).collect();
            black_box(v.clone())
        })
    });
    let variants: Vec<Variant> = (0..N as i32).map(Variant::from).collect();
    g.bench_function(BenchmarkId::new("1d_variant", "SafeArray::from_slice+to_vec::<Variant>"), |b| {
        b.iter(|| black_box(SafeArray::from_slice(black_box(&variants)).unwrap().to_vec::<Variant>().unwrap()))
    });
    g.bench_function(BenchmarkId::new("1d_variant", "baseline Vec<Variant> clone+clone"), |b| {
        b.iter(|| {
            let v = black_box(&variants).clone();
            black_box(v.clone())
        })
    });

    // 2-D (32 × 32), per element: put(i, j) for every element, get every element.
    let bounds = [Bound::zero_based(SIDE as u32), Bound::zero_based(SIDE as u32)];
    g.throughput(Throughput::Elements((SIDE * SIDE) as u64));
    g.bench_function(BenchmarkId::new("2d_i32", "SafeArray put/get each"), |b| {
        b.iter(|| {
            let mut a = SafeArray::new(VarType::I4, &bounds).unwrap();
            for j in 0..SIDE as i32 {
                for i in 0..SIDE as i32 {
                    a.put(&[i, j], &(i * 100 + j)).unwrap();
                }
            }
            let mut sum = 0i64;
            for j in 0..SIDE as i32 {
                for i in 0..SIDE as i32 {
                    sum += a.get::<i32>(&[i, j]).unwrap() as i64;
                }
            }
            black_box(sum)
        })
    });
    g.bench_function(BenchmarkId::new("2d_f64", "SafeArray put/get each"), |b| {
        b.iter(|| {
            let mut a = SafeArray::new(VarType::R8, &bounds).unwrap();
            for j in 0..SIDE as i32 {
                for i in 0..SIDE as i32 {
                    a.put(&[i, j], &((i * 100 + j) as f64)).unwrap();
                }
            }
            let mut sum = 0f64;
            for j in 0..SIDE as i32 {
                for i in 0..SIDE as i32 {
                    sum += a.get::<f64>(&[i, j]).unwrap();
                }
            }
            black_box(sum)
        })
    });
    g.bench_function(BenchmarkId::new("2d_i32", "SafeArray::view_mut set/get each"), |b| {
        b.iter(|| {
            let mut a = SafeArray::new(VarType::I4, &bounds).unwrap();
            let mut v = a.view_mut::<i32>().unwrap();
            for j in 0..SIDE as i32 {
                for i in 0..SIDE as i32 {
                    v.set(&[i, j], i * 100 + j).unwrap();
                }
            }
            let mut sum = 0i64;
            for j in 0..SIDE as i32 {
                for i in 0..SIDE as i32 {
                    sum += v.get(&[i, j]).unwrap() as i64;
                }
            }
            drop(v);
            black_box(sum)
        })
    });
    g.bench_function(BenchmarkId::new("2d_i32", "baseline Vec index each"), |b| {
        b.iter(|| {
            let mut v = vec![0i32; SIDE * SIDE];
            for j in 0..SIDE {
                for i in 0..SIDE {
                    v[black_box(i + j * SIDE)] = (i * 100 + j) as i32;
                }
            }
            let mut sum = 0i64;
            for j in 0..SIDE {
                for i in 0..SIDE {
                    sum += v[black_box(i + j * SIDE)] as i64;
                }
            }
            black_box(sum)
        })
    });
    // 2-D bulk with the CLR's transposition (row-major data in and out).
    let grid: Vec<i32> = (0..(SIDE * SIDE) as i32).collect();
    g.bench_function(BenchmarkId::new("2d_i32", "SafeArray::from_row_major+to_row_major"), |b| {
        b.iter(|| {
            let a = SafeArray::from_row_major(&bounds, black_box(&grid)).unwrap();
            black_box(a.to_row_major::<i32>().unwrap())
        })
    });
    g.bench_function(BenchmarkId::new("2d_i32", "SafeArray::from_column_major+to_vec"), |b| {
        b.iter(|| {
            let a = SafeArray::from_column_major(&bounds, black_box(&grid)).unwrap();
            black_box(a.to_vec::<i32>().unwrap())
        })
    });
    // 2-D bulk of BSTR and VARIANT elements (row-major in and out, as the CLR transposes).
    let grid_strings: Vec<String> = (0..SIDE * SIDE).map(|i| format!("element number {i:05}")).collect();
    let grid_str: Vec<&str> = grid_strings.iter().map(String::as_str).collect();
    g.bench_function(BenchmarkId::new("2d_bstr", "SafeArray::from_row_major+to_row_major"), |b| {
        b.iter(|| {
            let a = SafeArray::from_row_major(&bounds, black_box(&grid_str)).unwrap();
            black_box(a.to_row_major::<String>().unwrap())
        })
    });
    g.bench_function(BenchmarkId::new("2d_bstr", "baseline Vec<String> build+clone"), |b| {
        b.iter(|| {
            let v: Vec<String> = black_box(&grid_str).iter().map(|s| s.to_string()).collect();
            black_box(v.clone())
        })
    });
    let grid_var: Vec<Variant> = (0..(SIDE * SIDE) as i32).map(Variant::from).collect();
    g.bench_function(BenchmarkId::new("2d_variant", "SafeArray::from_row_major+to_row_major"), |b| {
        b.iter(|| {
            let a = SafeArray::from_row_major(&bounds, black_box(&grid_var)).unwrap();
            black_box(a.to_row_major::<Variant>().unwrap())
        })
    });
    g.bench_function(BenchmarkId::new("2d_variant", "baseline Vec<Variant> clone+clone"), |b| {
        b.iter(|| {
            let v = black_box(&grid_var).clone();
            black_box(v.clone())
        })
    });
    g.finish();
}

/// Reading 1 MiB of f64 through the zero-copy view against copying it out.
fn zero_copy(c: &mut Criterion) {
    const LEN: usize = 1 << 17; // 131072 f64 = 1 MiB
    let data: Vec<f64> = (0..LEN).map(|i| i as f64).collect();
    let array = SafeArray::from_slice(&data).unwrap();
    let mut g = c.benchmark_group("safearray/read_1MiB_f64");
    g.throughput(Throughput::Bytes((LEN * 8) as u64));
    g.bench_function("with_data (borrow, no copy)", |b| {
        b.iter(|| black_box(array.with_data(|xs: &[f64]| black_box(xs).as_ptr()).unwrap()))
    });
    g.bench_function("with_data + sum", |b| {
        b.iter(|| black_box(array.with_data(|xs: &[f64]| xs.iter().sum::<f64>()).unwrap()))
    });
    g.bench_function("baseline Vec sum", |b| b.iter(|| black_box(black_box(&data).iter().sum::<f64>())));
    let mut dst = vec![0f64; LEN];
    g.bench_function("baseline memcpy 1 MiB", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&data));
            black_box(&dst);
        })
    });
    g.bench_function("to_vec (copy out)", |b| b.iter(|| black_box(array.to_vec::<f64>().unwrap())));
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches; config = config();
    targets = anchor, create_fill_read, zero_copy
}
criterion_main!(benches);
