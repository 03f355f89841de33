//! Type libraries: parse time and peak heap for Wine's mshtml.tlb (1.2 MB PE, ~390 types), with the floors in the
//! same run (copying the image; finding the TYPELIB resource), and the MSFT writer on the parsed model.
//! Needs wine64 (Debian) for mshtml.tlb; without it the group says so and measures nothing.
#![allow(missing_docs)] // criterion_group! generates an undocumented public fn

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use marshal_typelib::{pe, TypeLib};

/// Tracks live and peak heap bytes, to report the parser's peak memory.
struct PeakAlloc;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator unchanged; the counters are atomic.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's pointer and layout.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let now = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: PeakAlloc = PeakAlloc;

const MSHTML: &str = "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/mshtml.tlb";

fn bench(c: &mut Criterion) {
    let Ok(image) = std::fs::read(MSHTML) else {
        eprintln!("typelib benchmarks skipped: {MSHTML} not found (apt-get install wine64)");
        return;
    };
    // Peak heap of one parse, above what was live before it (the image itself is not counted).
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let lib = TypeLib::from_bytes(&image).unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let resource = pe::typelib_resource(&image, 1).unwrap().len();
    println!(
        "typelib/mshtml: {} types, PE {} bytes, MSFT resource {} bytes, peak heap during parse {} bytes ({:.2}x the resource)",
        lib.types.len(),
        image.len(),
        resource,
        peak,
        peak as f64 / resource as f64
    );

    let mut g = c.benchmark_group("typelib/parse_mshtml");
    g.throughput(Throughput::Bytes(resource as u64));
    g.sample_size(20);
    g.bench_function("engine: TypeLib::from_bytes", |b| b.iter(|| TypeLib::from_bytes(black_box(&image)).unwrap()));
    g.bench_function("floor: find TYPELIB resource", |b| {
        b.iter(|| pe::typelib_resource(black_box(&image), 1).unwrap().len())
    });
    g.bench_function("floor: copy the image", |b| b.iter(|| black_box(&image).to_vec()));
    g.finish();

    let mut g = c.benchmark_group("typelib/write_mshtml");
    g.sample_size(20);
    g.bench_function("engine: to_msft", |b| b.iter(|| black_box(&lib).to_msft().unwrap()));
    g.bench_function("floor: clone the model", |b| b.iter(|| black_box(&lib).clone()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
