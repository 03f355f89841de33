//! Instruction counts of COM calls (run under callgrind with two loop counts and subtract):
//! `com_loop vtable N` (one call through `ComPtr` into a Rust COM object), `com_loop direct N`
//! (the same method as a static Rust trait call) or `com_loop invoke N`
//! (IDispatch::Invoke by DISPID with three VT_I4 arguments into a `DispatchTable` server).

use std::hint::black_box;
use std::sync::Arc;

use marshal_com::dispatch::server::{DispatchObject, DispatchTable, Param};
use marshal_com::dispatch::{DISPATCH_METHOD, DISPPARAMS, IID_NULL};
use marshal_com::{com_interface, ComClass, ComObject, ComResult, Hresult, IUnknown};
use marshal_core::variant::VARIANT;
use marshal_core::{VarType, Variant};

com_interface! {
    /// One method with an in and an out argument.
    pub interface IAdder: IUnknown {
        iid = 0x3E4F5A6B_7C8D_4E9F_A0B1_C2D3E4F5A6B8;
        vtable = IAdderVtbl;
        impl = IAdderImpl;
        /// Writes `base + delta` to `total`.
        fn add(&self, delta: i32, total: *mut i32) -> Hresult;
    }
}

struct Adder(i32);

impl IAdderImpl for Adder {
    unsafe fn add(&self, delta: i32, total: *mut i32) -> ComResult<()> {
        // SAFETY: the caller passes a writable i32.
        unsafe { total.write(self.0.wrapping_add(delta)) };
        Ok(())
    }
}

impl ComClass for Adder {
    type Interfaces = (IAdder,);
}

fn main() {
    let mut argv = std::env::args().skip(1);
    let what = argv.next().unwrap_or_else(|| "vtable".into());
    let n: u64 = argv.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    match what.as_str() {
        "direct" => {
            let adder = Adder(1);
            for _ in 0..n {
                let mut total = 0;
                // SAFETY: valid out-pointer.
                black_box(unsafe { IAdderImpl::add(black_box(&adder), black_box(1), &mut total) }.is_ok());
                black_box(total);
            }
        }
        "vtable" => {
            let com = ComObject::create_as::<IAdder>(Adder(1)).unwrap();
            for _ in 0..n {
                let mut total = 0;
                // SAFETY: valid out-pointer.
                black_box(unsafe { com.add(black_box(1), &mut total) });
                black_box(total);
            }
        }
        _ => {
            let table = DispatchTable::<()>::builder()
                .method(
                    "Digits",
                    1,
                    [Param::new("a", VarType::I4), Param::new("b", VarType::I4), Param::new("c", VarType::I4)],
                    |_, a| {
                        let v = |i: usize| i32::try_from(&a[i]).unwrap_or(0);
                        Ok(Variant::from(v(0) * 100 + v(1) * 10 + v(2)))
                    },
                )
                .build();
            let disp = DispatchObject::create((), Arc::new(table));
            let args = [Variant::from(3i32), Variant::from(2i32), Variant::from(1i32)];
            let mut raw: Vec<VARIANT> = args.iter().map(|v| *v.as_raw()).collect();
            for _ in 0..n {
                let mut params = DISPPARAMS {
                    rgvarg: raw.as_mut_ptr(),
                    rgdispid_named_args: core::ptr::null_mut(),
                    c_args: 3,
                    c_named_args: 0,
                };
                let mut result = VARIANT::EMPTY;
                // SAFETY: valid DISPPARAMS and result.
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
                black_box((hr, result.vt));
            }
        }
    }
}
