//! COM call costs: a virtual call through `ComPtr` into a Rust COM object (vtable thunk, object
//! lookup, `catch_unwind`, HRESULT mapping) against the same method called as a Rust trait
//! method (static and `dyn`), in the same run.
#![allow(missing_docs)] // criterion's generated entry points

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use marshal_com::{com_interface, ComClass, ComObject, ComPtr, ComResult, Hresult, IUnknown};

com_interface! {
    /// The benchmarked interface: one method with an in and an out argument.
    pub interface IAdder: IUnknown {
        iid = 0x3E4F5A6B_7C8D_4E9F_A0B1_C2D3E4F5A6B7;
        vtable = IAdderVtbl;
        impl = IAdderImpl;
        /// Writes `base + delta` to `total`.
        fn add(&self, delta: i32, total: *mut i32) -> Hresult;
    }
}

/// Stateless apart from a constant, so the call overhead is what is measured.
struct Adder(i32);

impl IAdderImpl for Adder {
    fn add(&self, delta: i32, total: *mut i32) -> ComResult<()> {
        let now = self.0.wrapping_add(delta);
        if total.is_null() {
            return Err(Hresult::E_POINTER.into());
        }
        // SAFETY: non-null; the caller passes a writable i32.
        unsafe { total.write(now) };
        Ok(())
    }
}

impl ComClass for Adder {
    type Interfaces = (IAdder,);
}

fn virtual_call(c: &mut Criterion) {
    let mut group = c.benchmark_group("com_call");
    let com: ComPtr<IAdder> = ComObject::create_as(Adder(0)).unwrap();
    group.bench_function("comptr_vtable_call", |b| {
        b.iter(|| {
            let mut total = 0;
            // SAFETY: valid out-pointer.
            let hr = unsafe { com.add(black_box(1), &mut total) };
            black_box((hr, total))
        })
    });
    group.bench_function("comptr_call_checked", |b| {
        b.iter(|| {
            // SAFETY: Add writes an i32.
            black_box(unsafe { com.retval(|i, out| i.add(black_box(1), out)) }.unwrap())
        })
    });
    let direct = Adder(0);
    group.bench_function("rust_trait_static", |b| {
        b.iter(|| {
            let mut total = 0;
            let r = IAdderImpl::add(black_box(&direct), black_box(1), &mut total);
            black_box((r, total))
        })
    });
    let dynamic: &dyn IAdderImpl = &direct;
    group.bench_function("rust_trait_dyn", |b| {
        b.iter(|| {
            let mut total = 0;
            let r = black_box(dynamic).add(black_box(1), &mut total);
            black_box((r, total))
        })
    });
    group.finish();
}

criterion_group!(benches, virtual_call);
criterion_main!(benches);
