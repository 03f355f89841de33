//! A small, fixed-budget timer for the report (criterion stays the tool for
//! `cargo bench`): calibrate a batch size, take repeated samples, report the
//! median time per operation and the heap allocations per operation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// A global allocator that counts allocations (install it with
/// `#[global_allocator]` in a binary to make [`Stats::allocs_per_op`] meaningful).
pub struct CountingAlloc;

// SAFETY: every call forwards to the system allocator unchanged; the counter is atomic.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Heap allocations counted so far (0 unless [`CountingAlloc`] is installed).
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// The result of measuring one operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Median nanoseconds per operation over the samples.
    pub median_ns: f64,
    /// Heap allocations per operation (native allocations through malloc are not
    /// counted: only the Rust heap).
    pub allocs_per_op: f64,
}

/// Measures `op` for about `budget`: a warm-up, a batch size calibrated to
/// ~1/20 of the budget per sample, then up to 21 samples; the median is reported.
pub fn measure<R>(budget: Duration, mut op: impl FnMut() -> R) -> Stats {
    // Warm up and calibrate: double the batch until one batch takes >= budget/40.
    let target = budget / 40;
    let mut batch: u64 = 1;
    loop {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(op());
        }
        let el = t.elapsed();
        if el >= target || batch >= 1 << 30 {
            break;
        }
        batch = if el.as_nanos() == 0 {
            batch * 16
        } else {
            (batch * 2).max(batch * target.as_nanos() as u64 / el.as_nanos() as u64 / 2)
        };
    }
    let mut samples = Vec::with_capacity(21);
    let a0 = allocations();
    let mut ops = 0u64;
    let start = Instant::now();
    while samples.len() < 21 && (samples.len() < 5 || start.elapsed() < budget) {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(op());
        }
        samples.push(t.elapsed().as_nanos() as f64 / batch as f64);
        ops += batch;
    }
    let allocs = (allocations() - a0) as f64 / ops as f64;
    samples.sort_by(|a, b| a.partial_cmp(b).expect("no NaN timings"));
    Stats { median_ns: samples[samples.len() / 2], allocs_per_op: allocs }
}
