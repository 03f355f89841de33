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

mod invoke {
    //! Invoke through type information vs a direct vtable call, on the same Rust object.
    use super::*;
    use marshal_com::{com_interface, ComClass, ComObject, ComResult, Hresult, IUnknown};
    use marshal_core::variant::Variant;
    use marshal_typelib::dispatch::{BoundCall, DispatchTable, Exception, DISPATCH_METHOD};
    use marshal_typelib::std_dispatch::{DispParams, Invokable, LateBound, StdDispatch};
    use marshal_typelib::*;

    com_interface! {
        pub interface ITwice: IUnknown {
            iid = 0x5a1e0000_0000_4000_8000_0000000000f1;
            vtable = ITwiceVtbl;
            impl = ITwiceImpl;
            fn twice(&self, x: i32, result: *mut i32) -> Hresult;
        }
    }

    struct Object;
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    impl ITwiceImpl for Object {
        unsafe fn twice(&self, x: i32, result: *mut i32) -> ComResult<()> {
            // SAFETY: the benchmark passes a writable i32.
            unsafe { result.write(2 * x) };
            Ok(())
        }
    }
    impl ComClass for Object {
        type Interfaces = (ITwice,);
    }
    impl Invokable for Object {
        fn invoke(&self, call: &BoundCall<'_>) -> Result<Variant, Exception> {
            Ok(Variant::from(2 * i32::try_from(&call.args[0]).unwrap_or(0)))
        }
    }

    /// A dual interface `IDual { HRESULT Twice([in] long x, [out, retval] long *r); }` described from Rust.
    fn table() -> DispatchTable {
        use marshal_core::{Guid, VarType};
        let base = |vt| ElemType::Base(vt);
        let param =
            |name: &str, ty, flags| ParamDesc { name: Some(name.into()), ty, flags, default: None, custom: vec![] };
        let ti = TypeInfo {
            name: "IDual".into(),
            doc: None,
            help_context: 0,
            help_string_context: 0,
            guid: Guid::from_u128(0x5a1e0000_0000_4000_8000_0000000000f2),
            kind: TypeKind::Dispatch,
            flags: typeflags::DUAL | typeflags::DISPATCHABLE,
            major: 0,
            minor: 0,
            size: 8,
            align: 8,
            vft_size: 64,
            alias: None,
            dll_name: None,
            funcs: vec![FuncDesc {
                memid: 1,
                name: "Twice".into(),
                kind: FuncKind::PureVirtual,
                invkind: InvokeKind::Func,
                callconv: CallConv::STDCALL,
                flags: 0,
                vtable_offset: 56,
                ret: base(VarType::HRESULT),
                params: vec![
                    param("x", base(VarType::I4), paramflags::IN),
                    param("r", base(VarType::I4).ptr(), paramflags::OUT | paramflags::RETVAL),
                ],
                opt_params: 0,
                doc: None,
                help_context: 0,
                help_string_context: 0,
                entry: None,
                custom: vec![],
            }],
            vars: vec![],
            impl_types: vec![],
            custom: vec![],
        };
        let lib = TypeLib {
            attr: LibAttr { guid: Guid::NULL, lcid: 0, syskind: SysKind::Win64, major: 1, minor: 0, flags: 0 },
            type_lcid: 0,
            name: "Bench".into(),
            doc: None,
            help_file: None,
            help_context: 0,
            help_string_context: 0,
            help_string_dll: None,
            custom: vec![],
            types: vec![ti],
            imports: vec![],
            dispatch_ref: None,
        };
        DispatchTable::from_type_info(&lib, 0, &()).unwrap()
    }

    pub fn bench(c: &mut Criterion) {
        let direct = ComObject::create_as::<ITwice>(Object).unwrap();
        let disp = StdDispatch::create(table(), Object).unwrap();
        let client = LateBound::new(StdDispatch::create(table(), Object).unwrap(), table(), 0x409);
        let mut g = c.benchmark_group("typelib/invoke_twice");
        g.bench_function("baseline: direct vtable call", |b| {
            b.iter(|| {
                let mut r = 0;
                // SAFETY: a live ITwice; `r` is writable.
                unsafe { direct.twice(black_box(21), &mut r) };
                r
            })
        });
        g.bench_function("engine: IDispatch::Invoke (StdDispatch)", |b| {
            b.iter(|| {
                let mut arg = Variant::from(black_box(21)).into_raw();
                let mut params = DispParams { args: &mut arg, named: core::ptr::null_mut(), count: 1, named_count: 0 };
                let mut result = Variant::empty().into_raw();
                // SAFETY: a live IDispatch; every pointer is to a local.
                let hr = unsafe {
                    disp.invoke(
                        1,
                        &marshal_core::Guid::NULL,
                        0x409,
                        DISPATCH_METHOD,
                        &mut params,
                        &mut result,
                        core::ptr::null_mut(),
                        core::ptr::null_mut(),
                    )
                };
                // SAFETY: the callee wrote a valid VARIANT.
                let r = unsafe { Variant::from_raw(result) }.unwrap();
                (hr, r)
            })
        });
        g.bench_function("engine: LateBound::call (coercion from BSTR)", |b| {
            b.iter(|| client.call("Twice", DISPATCH_METHOD, &[Variant::from("21")], &[]).unwrap())
        });
        g.finish();
    }
}

criterion_group!(invoke_benches, invoke::bench);
criterion_main!(benches, invoke_benches);
