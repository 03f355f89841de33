//! Struct marshaling: blittable struct (expect ~no work) and converted structs,
//! runtime plan vs a hand-written conversion, memcpy as the ceiling.
#![allow(missing_docs)] // criterion_group! generates an undocumented public fn

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use marshal_benches::suite::cases;

fn bench(c: &mut Criterion) {
    for case in
        cases().into_iter().filter(|c| c.conversion.starts_with("struct") || c.conversion.starts_with("blittable"))
    {
        let mut g = c.benchmark_group(format!("{}/{}", case.conversion, case.input));
        if let Some(b) = case.bytes {
            g.throughput(Throughput::Bytes(b));
        }
        let mut ours = case.ours;
        g.bench_function("engine", |b| b.iter(&mut ours));
        for (name, mut op) in case.baselines {
            g.bench_function(name, |b| b.iter(&mut op));
        }
        if let Some(mut m) = case.memcpy {
            g.bench_function("memcpy", |b| b.iter(&mut m));
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
