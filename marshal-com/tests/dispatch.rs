//! IDispatch both ways: a Rust `DispatchTable` server checked call by call against oleaut32's
//! `ITypeInfo::Invoke` rules (raw DISPPARAMS built here), a hand-written C IDispatch consumed by
//! the Rust client, and C calling Invoke on a Rust server.

use core::ffi::c_void;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use marshal_com::dispatch::server::{DispatchObject, DispatchTable, Param};
use marshal_com::dispatch::{
    IDispatch, DISPATCH_METHOD, DISPATCH_PROPERTYGET, DISPATCH_PROPERTYPUT, DISPATCH_PROPERTYPUTREF,
    DISPID_PROPERTYPUT, DISPID_UNKNOWN, DISPPARAMS, EXCEPINFO, IID_NULL,
};
use marshal_com::errorinfo::SysAllocString;
use marshal_com::{ComError, ComPtr, ErrorKind, Guid, Hresult};
use marshal_core::variant::VARIANT;
use marshal_core::{VarType, Variant};

extern "C" {
    fn fx_disp_create(
        destroyed: *mut i32,
        sys_alloc_string: unsafe extern "system" fn(*const u16) -> *mut u16,
    ) -> *mut c_void;
    fn fx_disp_invoke3(disp: *mut c_void, id: i32, a: i32, b: i32, c: i32, out: *mut i32, argerr: *mut u32) -> Hresult;
}

struct State {
    value: AtomicI32,
}

fn table() -> DispatchTable<State> {
    DispatchTable::<State>::builder()
        .method("Sub", 1, [Param::new("a", VarType::I4), Param::new("b", VarType::I4)], |_, a| {
            Ok(Variant::from(i32::try_from(&a[0]).unwrap() - i32::try_from(&a[1]).unwrap()))
        })
        .method(
            "Scale",
            2,
            [Param::new("x", VarType::R8), Param::new("factor", VarType::R8).with_default(|| Variant::from(10.0f64))],
            |_, a| Ok(Variant::from(f64::try_from(&a[0]).unwrap() * f64::try_from(&a[1]).unwrap())),
        )
        .method("Probe", 3, [Param::new("opt", VarType::VARIANT).optional()], |_, a| {
            // Reports what the optional parameter received: its VARTYPE and, for VT_ERROR, the code.
            let vt = a[0].vt().0 as i32;
            let code = if a[0].vt() == VarType::ERROR { err_code(&a[0]) } else { 0 };
            Ok(Variant::from(format!("{vt}:{code:#x}").as_str()))
        })
        .method("Fail", 4, [Param::new("why", VarType::BSTR)], |_, a| {
            Err(ComError::new(ErrorKind::Argument, String::try_from(&a[0]).unwrap()).with_source("Tests.Disp"))
        })
        .method("Panic", 5, [], |_, _| panic!("handler panicked"))
        .property_get("Value", 0, [], |s, _| Ok(Variant::from(s.value.load(Ordering::SeqCst))))
        .property_put("Value", 0, [Param::new("v", VarType::I4)], |s, a| {
            s.value.store(i32::try_from(&a[0]).unwrap(), Ordering::SeqCst);
            Ok(())
        })
        .build()
}

fn err_code(v: &Variant) -> i32 {
    // SAFETY: VT_ERROR's payload is the i32.
    unsafe { v.as_raw().data.i32_ }
}

fn server() -> ComPtr<IDispatch> {
    DispatchObject::create(State { value: AtomicI32::new(7) }, Arc::new(table()))
}

/// A raw Invoke with `rgvarg` given in DISPPARAMS order and named DISPIDs.
struct RawCall {
    hr: Hresult,
    result: Variant,
    arg_err: u32,
    excep: EXCEPINFO,
}

fn raw_invoke(disp: &ComPtr<IDispatch>, id: i32, flags: u16, rgvarg: &[Variant], named: &[i32]) -> RawCall {
    raw_invoke_iid(disp, id, &IID_NULL, flags, rgvarg, named)
}

fn raw_invoke_iid(
    disp: &ComPtr<IDispatch>,
    id: i32,
    iid: &Guid,
    flags: u16,
    rgvarg: &[Variant],
    named: &[i32],
) -> RawCall {
    let mut args: Vec<VARIANT> = rgvarg.iter().map(|v| *v.as_raw()).collect();
    let mut named = named.to_vec();
    let mut p = DISPPARAMS {
        rgvarg: args.as_mut_ptr(),
        rgdispid_named_args: named.as_mut_ptr(),
        c_args: args.len() as u32,
        c_named_args: named.len() as u32,
    };
    let mut result = VARIANT::EMPTY;
    let mut excep = EXCEPINFO::default();
    let mut arg_err = 99u32;
    // SAFETY: every pointer is valid for the call.
    let hr = unsafe { disp.invoke(id, iid, 0x0409, flags, &mut p, &mut result, &mut excep, &mut arg_err) };
    // SAFETY: the server stores an owned, valid VARIANT (or leaves EMPTY).
    let result = unsafe { Variant::from_raw(result) }.unwrap();
    RawCall { hr, result, arg_err, excep }
}

fn i4(v: i32) -> Variant {
    Variant::from(v)
}

fn missing() -> Variant {
    Variant::error(Hresult::DISP_E_PARAMNOTFOUND)
}

#[test]
fn positional_arguments_arrive_reversed_and_are_coerced() {
    let d = server();
    // Sub(a=10, b=3): rgvarg = [b, a].
    let r = raw_invoke(&d, 1, DISPATCH_METHOD, &[i4(3), i4(10)], &[]);
    assert_eq!((r.hr, i32::try_from(&r.result)), (Hresult::S_OK, Ok(7)));
    // Strings and doubles are coerced with VariantChangeType (banker's rounding for 2.5 → 2).
    let r = raw_invoke(&d, 1, DISPATCH_METHOD, &[Variant::from(2.5f64), Variant::from("10")], &[]);
    assert_eq!((r.hr, i32::try_from(&r.result)), (Hresult::S_OK, Ok(8)));
    // The client does the reversing itself.
    assert_eq!(i32::try_from(&d.invoke_id(1, DISPATCH_METHOD, &[i4(10), i4(3)]).unwrap()), Ok(7));
}

#[test]
fn named_arguments_bind_by_parameter_index() {
    let d = server();
    // Sub(b:=3, a:=10): named DISPIDs [1, 0] with rgvarg in the same order.
    let r = raw_invoke(&d, 1, DISPATCH_METHOD, &[i4(3), i4(10)], &[1, 0]);
    assert_eq!(i32::try_from(&r.result), Ok(7));
    // Mixed: positional a=10, named b=3 (named first in rgvarg).
    let r = raw_invoke(&d, 1, DISPATCH_METHOD, &[i4(3), i4(10)], &[1]);
    assert_eq!(i32::try_from(&r.result), Ok(7));
    // Through the client, names resolved by GetIDsOfNames.
    let ids = d.ids_of_names(&["SUB", "b", "A"]).unwrap();
    assert_eq!(ids, vec![1, 1, 0]);
    let (b, a) = (i4(3), i4(10));
    let v = d.invoke_with(ids[0], 0x0409, DISPATCH_METHOD, &[], &[(ids[1], &b), (ids[2], &a)]).unwrap();
    assert_eq!(i32::try_from(&v), Ok(7));
}

#[test]
fn invoke_errors_match_oleaut32() {
    let d = server();
    let other = Guid::from_u128(1);
    assert_eq!(
        raw_invoke_iid(&d, 1, &other, DISPATCH_METHOD, &[i4(1), i4(2)], &[]).hr,
        Hresult::DISP_E_UNKNOWNINTERFACE
    );
    assert_eq!(raw_invoke(&d, 42, DISPATCH_METHOD, &[], &[]).hr, Hresult::DISP_E_MEMBERNOTFOUND);
    // A method is not a property, a getter is not a method.
    assert_eq!(raw_invoke(&d, 1, DISPATCH_PROPERTYGET, &[i4(1), i4(2)], &[]).hr, Hresult::DISP_E_MEMBERNOTFOUND);
    assert_eq!(
        raw_invoke(&d, 0, DISPATCH_PROPERTYPUTREF, &[i4(1)], &[DISPID_PROPERTYPUT]).hr,
        Hresult::DISP_E_MEMBERNOTFOUND
    );
    // Argument counts.
    assert_eq!(raw_invoke(&d, 1, DISPATCH_METHOD, &[i4(1)], &[]).hr, Hresult::DISP_E_BADPARAMCOUNT);
    assert_eq!(raw_invoke(&d, 1, DISPATCH_METHOD, &[i4(1), i4(2), i4(3)], &[]).hr, Hresult::DISP_E_BADPARAMCOUNT);
    // Type mismatch: puArgErr is the rgvarg index (reverse order): b is index 0, a index 1.
    let r = raw_invoke(&d, 1, DISPATCH_METHOD, &[Variant::from("x"), i4(10)], &[]);
    assert_eq!((r.hr, r.arg_err), (Hresult::DISP_E_TYPEMISMATCH, 0));
    let r = raw_invoke(&d, 1, DISPATCH_METHOD, &[i4(3), Variant::from("x")], &[]);
    assert_eq!((r.hr, r.arg_err), (Hresult::DISP_E_TYPEMISMATCH, 1));
    let r = raw_invoke(&d, 1, DISPATCH_METHOD, &[i4(3), Variant::from(1e20f64)], &[]);
    assert_eq!((r.hr, r.arg_err), (Hresult::DISP_E_OVERFLOW, 1));
    // A named argument naming no parameter.
    let r = raw_invoke(&d, 1, DISPATCH_METHOD, &[i4(3), i4(10)], &[7]);
    assert_eq!((r.hr, r.arg_err), (Hresult::DISP_E_PARAMNOTFOUND, 0));
    // Property put without DISPID_PROPERTYPUT as first named argument.
    assert_eq!(raw_invoke(&d, 0, DISPATCH_PROPERTYPUT, &[i4(1)], &[]).hr, Hresult::DISP_E_PARAMNOTFOUND);
    // A required argument passed as "missing".
    let r = raw_invoke(&d, 1, DISPATCH_METHOD, &[i4(3), missing()], &[]);
    assert_eq!((r.hr, r.arg_err), (Hresult::DISP_E_PARAMNOTOPTIONAL, 1));
    // An argument with an invalid VARTYPE (15) is refused before its payload is read.
    let mut bad = VARIANT::EMPTY;
    bad.vt = VarType(15);
    let mut args = [*i4(3).as_raw(), bad];
    let mut p = DISPPARAMS {
        rgvarg: args.as_mut_ptr(),
        rgdispid_named_args: core::ptr::null_mut(),
        c_args: 2,
        c_named_args: 0,
    };
    let mut arg_err = 99;
    // SAFETY: valid DISPPARAMS; the server validates each VARIANT.
    let hr = unsafe {
        d.invoke(1, &IID_NULL, 0, DISPATCH_METHOD, &mut p, core::ptr::null_mut(), core::ptr::null_mut(), &mut arg_err)
    };
    assert_eq!((hr, arg_err), (Hresult::DISP_E_BADVARTYPE, 1));
    // Bad DISPPARAMS.
    let mut p = DISPPARAMS {
        rgvarg: core::ptr::null_mut(),
        rgdispid_named_args: core::ptr::null_mut(),
        c_args: 1,
        c_named_args: 0,
    };
    // SAFETY: the server must reject the null array without reading it.
    let hr = unsafe {
        d.invoke(
            1,
            &IID_NULL,
            0,
            DISPATCH_METHOD,
            &mut p,
            core::ptr::null_mut(),
            core::ptr::null_mut(),
            core::ptr::null_mut(),
        )
    };
    assert_eq!(hr, Hresult::E_INVALIDARG);
    // SAFETY: null DISPPARAMS.
    let hr = unsafe {
        d.invoke(
            1,
            &IID_NULL,
            0,
            DISPATCH_METHOD,
            core::ptr::null_mut(),
            core::ptr::null_mut(),
            core::ptr::null_mut(),
            core::ptr::null_mut(),
        )
    };
    assert_eq!(hr, Hresult::E_INVALIDARG);
}

#[test]
fn optional_parameters_get_defaults_or_missing() {
    let d = server();
    // Scale(x) → factor defaults to 10.
    assert_eq!(f64::try_from(&d.invoke_id(2, DISPATCH_METHOD, &[Variant::from(1.5f64)]).unwrap()), Ok(15.0));
    // Passed as "missing" → default too.
    assert_eq!(f64::try_from(&d.invoke_id(2, DISPATCH_METHOD, &[Variant::from(1.5f64), missing()]).unwrap()), Ok(15.0));
    assert_eq!(f64::try_from(&d.invoke_id(2, DISPATCH_METHOD, &[Variant::from(1.5f64), i4(2)]).unwrap()), Ok(3.0));
    // No default: VT_ERROR DISP_E_PARAMNOTFOUND, as oleaut32 passes it.
    let v = d.invoke_id(3, DISPATCH_METHOD, &[]).unwrap();
    assert_eq!(String::try_from(&v).unwrap(), "10:0x80020004");
    // A VT_VARIANT parameter takes the argument as is.
    let v = d.invoke_id(3, DISPATCH_METHOD, &[Variant::from("s")]).unwrap();
    assert_eq!(String::try_from(&v).unwrap(), "8:0x0");
}

#[test]
fn properties_get_and_put() {
    let d = server();
    assert_eq!(i32::try_from(&d.get("value").unwrap()), Ok(7));
    d.put("Value", Variant::from("12")).unwrap();
    assert_eq!(i32::try_from(&d.get("Value").unwrap()), Ok(12));
    // VB asks for METHOD|PROPERTYGET together.
    let r = raw_invoke(&d, 0, DISPATCH_METHOD | DISPATCH_PROPERTYGET, &[], &[]);
    assert_eq!(i32::try_from(&r.result), Ok(12));
    // A put returns no value even if the caller asks for one.
    let r = raw_invoke(&d, 0, DISPATCH_PROPERTYPUT, &[i4(1)], &[DISPID_PROPERTYPUT]);
    assert_eq!((r.hr, r.result.vt()), (Hresult::S_OK, VarType::EMPTY));
}

#[test]
fn member_failures_become_disp_e_exception_with_excepinfo() {
    let d = server();
    let mut r = raw_invoke(&d, 4, DISPATCH_METHOD, &[Variant::from("bad input")], &[]);
    assert_eq!(r.hr, Hresult::DISP_E_EXCEPTION);
    assert_eq!(r.excep.scode, Hresult::E_INVALIDARG);
    // SAFETY: BSTRs the server allocated, owned by us now.
    let e = unsafe { r.excep.take_error() };
    assert_eq!(
        (e.kind(), e.description(), e.details().unwrap().source.as_deref()),
        (ErrorKind::Argument, Some("bad input"), Some("Tests.Disp"))
    );
    // Through the client: the mapped kind.
    let e = d.call("fail", &[Variant::from("nope")]).unwrap_err();
    assert_eq!((e.kind(), e.hresult(), e.message()), (ErrorKind::Argument, Hresult::E_INVALIDARG, "nope".to_owned()));
    // A panicking handler: E_UNEXPECTED, the object survives.
    let e = d.call("panic", &[]).unwrap_err();
    assert_eq!(e.hresult(), Hresult::E_UNEXPECTED);
    assert!(e.message().contains("handler panicked"), "{}", e.message());
    assert_eq!(i32::try_from(&d.get("Value").unwrap()), Ok(7));
    // Dispatch-level failures carry puArgErr.
    let e = d.call("sub", &[Variant::from("x"), i4(1)]).unwrap_err();
    assert_eq!((e.kind(), e.details().and_then(|d| d.arg_error)), (ErrorKind::Com, Some(1)));
}

#[test]
fn names_resolve_case_insensitively_and_unknown_names_are_reported() {
    let d = server();
    assert_eq!(d.ids_of_names(&["scale", "FACTOR", "x"]).unwrap(), vec![2, 1, 0]);
    let e = d.ids_of_names(&["Nope"]).unwrap_err();
    assert_eq!(e.hresult(), Hresult::DISP_E_UNKNOWNNAME);
    // The raw call fills DISPID_UNKNOWN for each unknown name and keeps the known ones.
    let names: Vec<Vec<u16>> = ["Sub", "zz", "b"].iter().map(|n| n.encode_utf16().chain([0]).collect()).collect();
    let ptrs: Vec<*const u16> = names.iter().map(|n| n.as_ptr()).collect();
    let mut ids = [0i32; 3];
    // SAFETY: valid arrays of 3.
    let hr = unsafe { d.get_ids_of_names(&IID_NULL, ptrs.as_ptr(), 3, 0, ids.as_mut_ptr()) };
    assert_eq!((hr, ids), (Hresult::DISP_E_UNKNOWNNAME, [1, DISPID_UNKNOWN, 1]));
    let mut n = 9u32;
    let mut ti: *mut c_void = core::ptr::dangling_mut();
    // SAFETY: valid out-pointers.
    unsafe {
        assert_eq!(d.get_type_info_count(&mut n), Hresult::S_OK);
        assert_eq!(d.get_type_info(0, 0, &mut ti), Hresult::DISP_E_BADINDEX);
    }
    assert_eq!((n, ti), (0, core::ptr::null_mut()));
}

fn c_dispatch(destroyed: &mut i32) -> ComPtr<IDispatch> {
    // SAFETY: `destroyed` outlives the object in every test below; the creation reference is handed over.
    unsafe { ComPtr::from_raw(fx_disp_create(destroyed, SysAllocString)) }.unwrap()
}

#[test]
fn rust_client_drives_a_c_idispatch() {
    let mut destroyed = 0;
    {
        let d = c_dispatch(&mut destroyed);
        // Argument order: Digits(1, 2, 3) = 123 only if the client reversed them.
        assert_eq!(i32::try_from(&d.call("digits", &[i4(1), i4(2), i4(3)]).unwrap()), Ok(123));
        // Named arguments: Div(den:=4, num:=12).
        let ids = d.ids_of_names(&["Div", "den", "num"]).unwrap();
        assert_eq!(ids, vec![2, 1, 0]);
        let (den, num) = (i4(4), i4(12));
        let v = d.invoke_with(2, 0, DISPATCH_METHOD, &[], &[(1, &den), (0, &num)]).unwrap();
        assert_eq!(i32::try_from(&v), Ok(3));
        // Mixed: num positional, den named.
        let v = d.invoke_with(2, 0, DISPATCH_METHOD, &[i4(20)], &[(1, &den)]).unwrap();
        assert_eq!(i32::try_from(&v), Ok(5));
        // Properties.
        d.put("value", i4(41)).unwrap();
        assert_eq!(i32::try_from(&d.get("Value").unwrap()), Ok(41));
        // EXCEPINFO → the mapped error kind with the C object's texts.
        let e = d.call("Fail", &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidOperation);
        assert_eq!(e.hresult(), Hresult::COR_E_INVALIDOPERATION);
        let det = e.details().unwrap();
        assert_eq!(
            (det.description.as_deref(), det.source.as_deref(), det.help_context),
            (Some("not now"), Some("Fixture.Disp"), 5)
        );
        // Plain failing HRESULTs and puArgErr.
        let e = d.call("Digits", &[i4(1), Variant::from("2"), i4(3)]).unwrap_err();
        assert_eq!((e.hresult(), e.details().and_then(|d| d.arg_error)), (Hresult::DISP_E_TYPEMISMATCH, Some(1)));
        let e = d.invoke_id(2, DISPATCH_METHOD, &[i4(1), i4(0)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DivideByZero);
        let e = d.call("Missing", &[]).unwrap_err();
        assert_eq!(e.hresult(), Hresult::DISP_E_UNKNOWNNAME);
        assert!(e.message().contains("Missing"));
        assert_eq!(destroyed, 0);
    }
    assert_eq!(destroyed, 1, "released exactly once");
}

#[test]
fn c_client_invokes_a_rust_dispatch_object() {
    let d = server();
    let (mut out, mut arg_err) = (0, 0);
    // SAFETY: live IDispatch; valid out-pointers.
    let hr = unsafe { fx_disp_invoke3(d.as_raw(), 2, 3, 4, 0, &mut out, &mut arg_err) };
    // Scale has 2 parameters: three arguments are too many.
    assert_eq!(hr, Hresult::DISP_E_BADPARAMCOUNT);
    let table = DispatchTable::<()>::builder()
        .method(
            "Digits",
            1,
            [Param::new("a", VarType::I4), Param::new("b", VarType::I4), Param::new("c", VarType::I4)],
            |_, a| {
                let d: Vec<i32> = a.iter().map(|v| i32::try_from(v).unwrap()).collect();
                Ok(Variant::from(d[0] * 100 + d[1] * 10 + d[2]))
            },
        )
        .build();
    let digits = DispatchObject::create((), Arc::new(table));
    // SAFETY: as above.
    let hr = unsafe { fx_disp_invoke3(digits.as_raw(), 1, 4, 5, 6, &mut out, &mut arg_err) };
    assert_eq!((hr, out), (Hresult::S_OK, 456));
}

mod permutations {
    use super::*;
    use proptest::prelude::*;

    /// Five I4 parameters; the result encodes which value reached which parameter.
    fn five() -> ComPtr<IDispatch> {
        let params = ["p0", "p1", "p2", "p3", "p4"].map(|n| Param::new(n, VarType::I4));
        let table = DispatchTable::<()>::builder()
            .method("Five", 9, params, |_, a| {
                Ok(Variant::from(a.iter().fold(0i32, |acc, v| acc * 10 + i32::try_from(v).unwrap())))
            })
            .build();
        DispatchObject::create((), Arc::new(table))
    }

    proptest! {
        /// However the arguments are split into positional ones and named ones (in any order),
        /// every value reaches its parameter.
        #[test]
        fn any_mix_of_positional_and_named_arguments_binds_the_same(
            values in proptest::array::uniform5(0i32..10),
            positional in 0usize..=5,
            order in Just((0..5usize).collect::<Vec<_>>()).prop_shuffle(),
        ) {
            let d = five();
            let expected = values.iter().fold(0i32, |acc, v| acc * 10 + v);
            let args: Vec<Variant> = values[..positional].iter().map(|&v| Variant::from(v)).collect();
            let named_vals: Vec<(i32, Variant)> = order
                .iter()
                .filter(|&&i| i >= positional)
                .map(|&i| (i as i32, Variant::from(values[i])))
                .collect();
            let named: Vec<(i32, &Variant)> = named_vals.iter().map(|(id, v)| (*id, v)).collect();
            let got = d.invoke_with(9, 0, DISPATCH_METHOD, &args, &named).unwrap();
            prop_assert_eq!(i32::try_from(&got), Ok(expected));
        }
    }
}
