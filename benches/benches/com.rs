//! COM call costs: a virtual call through `ComPtr` into a Rust COM object (vtable thunk, object
//! lookup, `catch_unwind`, HRESULT mapping) against the same method called as a Rust trait
//! method (static and `dyn`), in the same run; `IDispatch::Invoke` by DISPID with three VARIANT
//! arguments into a Rust `DispatchTable` server, against calling the member's Rust code directly.
#![allow(missing_docs)] // criterion's generated entry points

use std::hint::black_box;

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use marshal_com::dispatch::server::{DispatchObject, DispatchTable, Param};
use marshal_com::dispatch::{IDispatch, DISPATCH_METHOD, DISPPARAMS, IID_NULL};
use marshal_com::{com_interface, ComClass, ComObject, ComPtr, ComResult, Hresult, IUnknown};
use marshal_core::variant::VARIANT;
use marshal_core::{VarType, Variant};

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
    unsafe fn add(&self, delta: i32, total: *mut i32) -> ComResult<()> {
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
            let mut total = 0i32;
            // SAFETY: valid out-pointer.
            let hr = unsafe { com.add(black_box(1), &mut total) };
            black_box(hr);
            black_box(total)
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
            // SAFETY: valid out-pointer.
            let r = unsafe { IAdderImpl::add(black_box(&direct), black_box(1), &mut total) };
            black_box(r.is_ok());
            black_box(total)
        })
    });
    let dynamic: &dyn IAdderImpl = &direct;
    group.bench_function("rust_trait_dyn", |b| {
        b.iter(|| {
            let mut total = 0;
            // SAFETY: valid out-pointer.
            let r = unsafe { black_box(dynamic).add(black_box(1), &mut total) };
            black_box(r.is_ok());
            black_box(total)
        })
    });
    group.finish();
}

/// The member's own work: three i32 in, their weighted sum out.
fn digits(a: i32, b: i32, c: i32) -> i32 {
    a.wrapping_mul(100).wrapping_add(b.wrapping_mul(10)).wrapping_add(c)
}

fn dispatch_invoke(c: &mut Criterion) {
    let mut group = c.benchmark_group("idispatch_invoke_3_args");
    let table = DispatchTable::<()>::builder()
        .method(
            "Digits",
            1,
            [Param::new("a", VarType::I4), Param::new("b", VarType::I4), Param::new("c", VarType::I4)],
            |_, a| {
                let v = |i: usize| i32::try_from(&a[i]).unwrap_or(0);
                Ok(Variant::from(digits(v(0), v(1), v(2))))
            },
        )
        .build();
    let disp: ComPtr<IDispatch> = DispatchObject::create((), Arc::new(table));

    // Server cost alone: DISPPARAMS built once, as a native caller would hold them.
    let raw_call = |args: &mut [VARIANT]| {
        let mut params = DISPPARAMS {
            rgvarg: args.as_mut_ptr(),
            rgdispid_named_args: core::ptr::null_mut(),
            c_args: 3,
            c_named_args: 0,
        };
        let mut result = VARIANT::EMPTY;
        // SAFETY: valid DISPPARAMS and result; no EXCEPINFO / puArgErr wanted.
        let hr = unsafe {
            disp.invoke(
                1,
                &IID_NULL,
                0x0409,
                DISPATCH_METHOD,
                &mut params,
                &mut result,
                core::ptr::null_mut(),
                core::ptr::null_mut(),
            )
        };
        black_box((hr, result.vt))
    };
    let i4 = [Variant::from(3i32), Variant::from(2i32), Variant::from(1i32)];
    let mut i4_raw: Vec<VARIANT> = i4.iter().map(|v| *v.as_raw()).collect();
    group.bench_function("raw_invoke_vt_i4", |b| b.iter(|| raw_call(black_box(&mut i4_raw))));
    let r8 = [Variant::from(3.0f64), Variant::from(2.0f64), Variant::from(1.0f64)];
    let mut r8_raw: Vec<VARIANT> = r8.iter().map(|v| *v.as_raw()).collect();
    group.bench_function("raw_invoke_vt_r8_coerced", |b| b.iter(|| raw_call(black_box(&mut r8_raw))));
    let natural = [Variant::from(1i32), Variant::from(2i32), Variant::from(3i32)];
    group.bench_function("client_invoke_id", |b| {
        b.iter(|| black_box(disp.invoke_id(black_box(1), DISPATCH_METHOD, black_box(&natural)).unwrap()))
    });
    group
        .bench_function("direct_rust_call", |b| b.iter(|| black_box(digits(black_box(1), black_box(2), black_box(3)))));
    group.finish();
}

criterion_group!(benches, virtual_call, dispatch_invoke);
criterion_main!(benches);
