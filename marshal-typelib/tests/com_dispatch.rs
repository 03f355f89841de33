//! End to end on raw vtables: a Rust object exposed through the type-info-driven IDispatch (StdDispatch) and
//! called late-bound from C (named arguments, an omitted optional argument, an indexed property put, a type
//! mismatch with puArgErr, an exception with EXCEPINFO); and a Rust client calling a C COM object late-bound
//! through its type library.

mod common;

use std::sync::Mutex;

use common::*;
use core::ffi::c_void;
use marshal_com::ComPtr;
use marshal_core::variant::Variant;
use marshal_core::{Bstr, Hresult};
use marshal_typelib::dispatch::*;
use marshal_typelib::std_dispatch::{IDispatch, Invokable, LateBound, StdDispatch};
use marshal_typelib::*;

extern "C" {
    fn c_named_call(d: *mut c_void, out: *mut f64) -> Hresult;
    fn c_omitted_optional(d: *mut c_void, out: *mut f64) -> Hresult;
    fn c_indexed_put(d: *mut c_void) -> Hresult;
    fn c_type_mismatch(d: *mut c_void, arg_err: *mut u32) -> Hresult;
    fn c_exception(d: *mut c_void, scode: *mut i32, source: *mut *mut u16, description: *mut *mut u16) -> Hresult;
    fn c_make_calc() -> *mut c_void;
    fn c_calc_refs() -> u32;
    fn c_calc_calls() -> i32;
}

/// What the object's property puts received.
static PUTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The Rust object behind IDualThing of the widl test library.
struct Thing;

impl Invokable for Thing {
    fn invoke(&self, call: &BoundCall<'_>) -> Result<Variant, Exception> {
        match call.name {
            "Compute" => {
                let x = f64::try_from(&call.args[0]).unwrap();
                let times = i32::try_from(&call.args[1]).unwrap();
                Ok(Variant::from(x * times as f64))
            }
            "Item" if call.invkind == InvokeKind::PropertyPut => {
                PUTS.lock().unwrap().push(format!("{:?} = {:?}", call.args[0], call.args[1]));
                Ok(Variant::empty())
            }
            "Secret" => Err(Exception {
                scode: 0x8004_0201u32 as i32,
                description: Some("not for you".into()),
                source: Some("Thing".into()),
                ..Exception::default()
            }),
            other => panic!("unexpected call {other}"),
        }
    }
}

#[test]
fn rust_object_called_late_bound_from_c() {
    let Some(path) = widl("testlib", 64) else { return };
    let lib = TypeLib::from_file(&path).unwrap();
    let resolver = SearchPath::new([WINE_DIR]);
    let table = DispatchTable::from_type_info(&lib, lib.find_type("IDualThing").unwrap(), &resolver).unwrap();
    let disp = StdDispatch::create(table, Thing).unwrap();
    let raw = disp.as_raw();
    let mut out = 0.0;
    // SAFETY: a live IDispatch; the C functions follow the IDispatch contract.
    unsafe {
        assert_eq!(c_named_call(raw, &mut out), Hresult::S_OK);
        assert_eq!(out, 2.5, "x = 2.5, times defaulted to 1");
        assert_eq!(c_omitted_optional(raw, &mut out), Hresult::S_OK);
        assert_eq!(out, 4.0);
        assert_eq!(c_indexed_put(raw), Hresult::S_OK);
        let puts = PUTS.lock().unwrap().clone();
        assert_eq!(puts.len(), 1);
        assert!(puts[0].starts_with("Variant(I4(7)) = Variant(Bstr("), "{puts:?}");
        let mut arg_err = 99;
        assert_eq!(c_type_mismatch(raw, &mut arg_err), Hresult::DISP_E_TYPEMISMATCH);
        assert_eq!(arg_err, 0);
        let (mut scode, mut source, mut description) = (0, core::ptr::null_mut(), core::ptr::null_mut());
        assert_eq!(c_exception(raw, &mut scode, &mut source, &mut description), Hresult::DISP_E_EXCEPTION);
        assert_eq!(scode as u32, 0x8004_0201);
        assert!(!source.is_null() && !description.is_null());
        // The caller owns the EXCEPINFO's BSTRs (help file: none was set, so null).
        let source = Bstr::from_raw(source);
        assert_eq!(String::from_utf16_lossy(source.as_wide()), "Thing");
        let description = Bstr::from_raw(description);
        assert_eq!(String::from_utf16_lossy(description.as_wide()), "not for you");
    }
}

#[test]
fn rust_client_calls_a_c_object_through_its_type_library() {
    let lib = rust_described_lib();
    let table = DispatchTable::from_type_info(&lib, lib.find_type("IDualCalc").unwrap(), &()).unwrap();
    // SAFETY: c_make_calc returns a live IDispatch with one reference, which the ComPtr takes over.
    let object: ComPtr<IDispatch> = unsafe { ComPtr::from_raw(c_make_calc()) }.unwrap();
    let client = LateBound::new(object, table, 0x409);
    // The C object accepts only VT_I4: the client coerces "21" with the type information.
    let r = client.call("twice", DISPATCH_METHOD, &[Variant::from("21")], &[]).unwrap();
    assert_eq!(i32::try_from(&r).unwrap(), 42);
    // A named argument becomes positional for the object.
    let r = client.call("Twice", DISPATCH_METHOD, &[], &[("X", Variant::from(5.0f64))]).unwrap();
    assert_eq!(i32::try_from(&r).unwrap(), 10);
    // Indexed property put then get.
    client.call("Item", DISPATCH_PROPERTYPUT, &[Variant::from(3i16), Variant::from(99)], &[]).unwrap();
    let r = client.call("Item", DISPATCH_PROPERTYGET, &[Variant::from(3)], &[]).unwrap();
    assert_eq!(i32::try_from(&r).unwrap(), 99);
    // A bad argument is caught by the type information before the object is called.
    // SAFETY: plain C functions reading the fixture's counters.
    let calls = unsafe { c_calc_calls() };
    let e = client.call("Twice", DISPATCH_METHOD, &[Variant::from("x")], &[]).unwrap_err();
    assert_eq!(e, InvokeError::Argument { hr: Hresult::DISP_E_TYPEMISMATCH, arg_err: 0 });
    // SAFETY: as above.
    assert_eq!(unsafe { c_calc_calls() }, calls);
    drop(client);
    // SAFETY: as above.
    assert_eq!(unsafe { c_calc_refs() }, 0, "the client released its reference");
}
