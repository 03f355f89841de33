//! The type-info-driven IDispatch core: GetIDsOfNames and Invoke's argument binding over the Rust-described
//! library and the widl-built test library.

mod common;

use common::*;
use marshal_core::variant::Variant;
use marshal_core::{Hresult, VarType};
use marshal_typelib::dispatch::*;
use marshal_typelib::*;

fn dual_table() -> DispatchTable {
    let lib = rust_described_lib();
    DispatchTable::from_type_info(&lib, lib.find_type("IDualCalc").unwrap(), &()).unwrap()
}

fn i32_of(v: &Variant) -> i32 {
    i32::try_from(v).unwrap()
}

#[test]
fn get_ids_of_names_is_case_insensitive_with_parameter_names() {
    let t = dual_table();
    assert_eq!(t.get_ids_of_names(&["twice", "X"]).unwrap(), vec![1, 0]);
    assert_eq!(t.get_ids_of_names(&["ITEM", "Index"]).unwrap(), vec![2, 0]);
    assert_eq!(t.get_ids_of_names(&["Nope"]), Err((Hresult::DISP_E_UNKNOWNNAME, vec![-1])));
    assert_eq!(t.get_ids_of_names(&["Twice", "nope"]), Err((Hresult::DISP_E_UNKNOWNNAME, vec![1, -1])));
}

#[test]
fn invoke_coerces_arguments_and_returns_the_retval() {
    let t = dual_table();
    let seen = std::cell::RefCell::new(Vec::new());
    let mut object = |call: &BoundCall<'_>| -> Result<Variant, Exception> {
        seen.borrow_mut().push((call.name.to_string(), call.args.iter().map(|a| a.vt()).collect::<Vec<_>>()));
        Ok(Variant::from(2 * i32_of(&call.args[0])))
    };
    // "21" (BSTR) becomes VT_I4 21 for the [in] long parameter.
    let r = t.invoke(1, DISPATCH_METHOD, &[Variant::from("21")], &[], 0x409, &mut object).unwrap();
    assert_eq!(i32_of(&r), 42);
    // Named argument x.
    let r = t.invoke(1, DISPATCH_METHOD, &[Variant::from(5i16)], &[0], 0x409, &mut object).unwrap();
    assert_eq!(i32_of(&r), 10);
    assert_eq!(seen.borrow()[0], ("Twice".to_string(), vec![VarType::I4]));
    // VB's DISPATCH_METHOD | DISPATCH_PROPERTYGET picks the method.
    assert!(t.invoke(1, DISPATCH_METHOD | DISPATCH_PROPERTYGET, &[Variant::from(1)], &[], 0, &mut object).is_ok());
}

#[test]
fn invoke_errors_name_the_argument() {
    let t = dual_table();
    let mut object = |_: &BoundCall<'_>| -> Result<Variant, Exception> { Ok(Variant::from(0)) };
    let e = t.invoke(1, DISPATCH_METHOD, &[Variant::from("abc")], &[], 0x409, &mut object).unwrap_err();
    assert_eq!(e, InvokeError::Argument { hr: Hresult::DISP_E_TYPEMISMATCH, arg_err: 0 });
    let e = t.invoke(1, DISPATCH_METHOD, &[Variant::from(1), Variant::from(2)], &[], 0, &mut object).unwrap_err();
    assert_eq!(e.hresult(), Hresult::DISP_E_BADPARAMCOUNT);
    let e = t.invoke(1, DISPATCH_METHOD, &[], &[], 0, &mut object).unwrap_err();
    assert_eq!(e.hresult(), Hresult::DISP_E_PARAMNOTOPTIONAL);
    let e = t.invoke(99, DISPATCH_METHOD, &[], &[], 0, &mut object).unwrap_err();
    assert_eq!(e.hresult(), Hresult::DISP_E_MEMBERNOTFOUND);
    // A named argument that is no parameter.
    let e = t.invoke(1, DISPATCH_METHOD, &[Variant::from(1)], &[7], 0, &mut object).unwrap_err();
    assert_eq!(e, InvokeError::Argument { hr: Hresult::DISP_E_PARAMNOTFOUND, arg_err: 0 });
    // An exception from the implementation.
    let mut failing = |_: &BoundCall<'_>| -> Result<Variant, Exception> {
        Err(Exception { scode: Hresult::E_FAIL.0, description: Some("no".into()), ..Exception::default() })
    };
    let e = t.invoke(1, DISPATCH_METHOD, &[Variant::from(1)], &[], 0, &mut failing).unwrap_err();
    assert_eq!(e.hresult(), Hresult::DISP_E_EXCEPTION);
}

#[test]
fn indexed_property_put_and_get() {
    let t = dual_table();
    let calls = std::cell::RefCell::new(Vec::new());
    let mut object = |call: &BoundCall<'_>| -> Result<Variant, Exception> {
        calls.borrow_mut().push((call.invkind, call.args.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>()));
        Ok(Variant::from("got"))
    };
    // obj.Item(3) = "v": rgvarg = [value, index], the value named DISPID_PROPERTYPUT.
    let args = [Variant::from("v"), Variant::from(3u8)];
    t.invoke(2, DISPATCH_PROPERTYPUT, &args, &[DISPID_PROPERTYPUT], 0x409, &mut object).unwrap();
    assert_eq!(calls.borrow()[0].0, InvokeKind::PropertyPut);
    assert_eq!(calls.borrow()[0].1.len(), 2);
    assert!(calls.borrow()[0].1[0].contains("I4(3)"), "{:?}", calls.borrow()[0].1);
    assert!(calls.borrow()[0].1[1].contains("Bstr"), "{:?}", calls.borrow()[0].1);
    // Without DISPID_PROPERTYPUT the value has no place.
    let e = t.invoke(2, DISPATCH_PROPERTYPUT, &args, &[], 0, &mut object).unwrap_err();
    assert_eq!(e.hresult(), Hresult::DISP_E_PARAMNOTOPTIONAL);
    let r = t.invoke(2, DISPATCH_PROPERTYGET, &[Variant::from(3)], &[], 0, &mut object).unwrap();
    assert_eq!(String::try_from(&r).unwrap(), "got");
}

#[test]
fn dispinterface_properties() {
    let lib = rust_described_lib();
    let t = DispatchTable::from_type_info(&lib, lib.find_type("DEvents").unwrap(), &()).unwrap();
    assert_eq!(t.get_ids_of_names(&["count"]).unwrap(), vec![2]);
    let mut store = 0;
    let mut object = |call: &BoundCall<'_>| -> Result<Variant, Exception> {
        match call.invkind {
            InvokeKind::PropertyPut => {
                store = i32_of(&call.args[0]);
                Ok(Variant::empty())
            }
            _ => Ok(Variant::from(store)),
        }
    };
    t.invoke(2, DISPATCH_PROPERTYPUT, &[Variant::from("17")], &[DISPID_PROPERTYPUT], 0x409, &mut object).unwrap();
    let r = t.invoke(2, DISPATCH_PROPERTYGET, &[], &[], 0, &mut object).unwrap();
    assert_eq!(i32_of(&r), 17);
}

#[test]
fn optional_and_default_parameters() {
    let Some(path) = widl("testlib", 64) else { return };
    let lib = TypeLib::from_file(&path).unwrap();
    let resolver = SearchPath::new([WINE_DIR]);
    let t = DispatchTable::from_type_info(&lib, lib.find_type("IPlain").unwrap(), &resolver).unwrap();
    let ids = t.get_ids_of_names(&["Defaults"]).unwrap();
    let got = std::cell::RefCell::new(Vec::<String>::new());
    let mut object = |call: &BoundCall<'_>| -> Result<Variant, Exception> {
        *got.borrow_mut() = call.args.iter().map(|a| format!("{a:?}")).collect();
        Ok(Variant::empty())
    };
    // All four omitted: [defaultvalue(42)] n, [defaultvalue("hi")] s, [defaultvalue(-1)] neg, [optional] VARIANT.
    t.invoke(ids[0], DISPATCH_METHOD, &[], &[], 0x409, &mut object).unwrap();
    assert_eq!(got.borrow().len(), 4, "{:?}", got.borrow());
    assert!(got.borrow()[0].contains("I4(42)"), "{:?}", got.borrow());
    assert!(got.borrow()[1].contains("Bstr"), "{:?}", got.borrow());
    assert!(got.borrow()[2].contains("I4(-1)"), "{:?}", got.borrow());
    assert!(got.borrow()[3].contains("Error"), "{:?}", got.borrow());
    // The first given, the rest passed as "missing" (VT_ERROR DISP_E_PARAMNOTFOUND).
    let missing = Variant::error(Hresult::DISP_E_PARAMNOTFOUND);
    let args = [missing.clone(), missing.clone(), missing, Variant::from(7)];
    t.invoke(ids[0], DISPATCH_METHOD, &args, &[], 0x409, &mut object).unwrap();
    assert!(got.borrow()[0].contains("I4(7)"), "{:?}", got.borrow());
    assert!(got.borrow()[2].contains("I4(-1)"), "{:?}", got.borrow());
    // [lcid] is filled from Invoke's locale, not from the arguments.
    let ids = t.get_ids_of_names(&["WithLcid"]).unwrap();
    t.invoke(ids[0], DISPATCH_METHOD, &[Variant::from(5)], &[], 0x407, &mut object).unwrap();
    assert_eq!(got.borrow().len(), 2, "{:?}", got.borrow());
    assert!(got.borrow()[1].contains("I4(1031)"), "{:?}", got.borrow());
}
