//! `dispatch_invoke`: `IDispatch::Invoke` argument unpacking from a raw `DISPPARAMS`, both ways.
//!
//! Server side: a `DispatchObject` with a fixed table (methods with typed, optional and defaulted parameters,
//! a VARIANT pass-through, a property get/put pair, a member that fails, one parameter of every scalar type) is
//! invoked through its vtable with everything the input chooses: DISPID, `wFlags`, LCID, `riid` (IID_NULL, null,
//! another), the arguments (VARIANTs of any type as [`crate::native::variant`] builds them), the named DISPIDs
//! and their count (more than the arguments, null arrays with counts), and null or real `pVarResult`,
//! `pExcepInfo`, `puArgErr`.
//!
//! Invariants:
//! - argument arrays inconsistent with their counts are `E_INVALIDARG`; a `riid` other than IID_NULL is
//!   `DISP_E_UNKNOWNINTERFACE`;
//! - every handler receives exactly its declared types (the coercion happened, or the call failed), or VT_ERROR
//!   `DISP_E_PARAMNOTFOUND` for an omitted optional parameter;
//! - the caller's arguments are not modified;
//! - `*puArgErr`, when set, indexes an argument; `DISP_E_EXCEPTION` fills EXCEPINFO with a failure `scode`;
//! - on success the result is a valid VARIANT the caller owns; nothing leaks, no reference is lost.
//!
//! Client side: `invoke_with` against a fake `IDispatch` whose value property returns what the input chose (a
//! number, a BSTR, an invalid VARIANT, a failure): the result is a valid VARIANT or a typed error.

use std::cell::RefCell;
use std::sync::Arc;

use arbitrary::Unstructured;
use marshal_com::dispatch::server::{DispatchObject, DispatchTable, Param};
use marshal_com::dispatch::{
    DispId, DISPATCH_METHOD, DISPATCH_PROPERTYGET, DISPATCH_PROPERTYPUT, DISPID_PROPERTYPUT, DISPPARAMS, EXCEPINFO,
    IID_NULL,
};
use marshal_com::{ComError, ComPtr, IDispatch};
use marshal_core::hresult::Hresult;
use marshal_core::iunknown::IID_IDISPATCH;
use marshal_core::variant::Variant;
use marshal_core::{Guid, VarType, VARIANT};

use crate::com;
use crate::native::{self, Arena, Owned};
use crate::{byte, u32_le, Guard};

thread_local! {
    /// Handler arguments of a type other than declared (checked after the call: a panic inside the COM call
    /// would be caught at its boundary and turned into an HRESULT).
    static VIOLATIONS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn expect_types(member: &str, params: &[(VarType, bool)], args: &[Variant]) {
    if args.len() != params.len() {
        VIOLATIONS.with(|v| v.borrow_mut().push(format!("{member}: {} arguments for {}", args.len(), params.len())));
        return;
    }
    for (i, ((vt, optional), a)) in params.iter().zip(args).enumerate() {
        // SAFETY: reading the i32 member of a valid VARIANT's union.
        let scode = unsafe { a.as_raw().data.i32_ };
        let omitted = *optional && a.vt() == VarType::ERROR && scode == Hresult::DISP_E_PARAMNOTFOUND.0;
        if *vt != VarType::VARIANT && a.vt() != *vt && !omitted {
            VIOLATIONS.with(|v| v.borrow_mut().push(format!("{member}: argument {i} is {:?}, not {vt:?}", a.vt())));
        }
    }
}

const SCALARS: [VarType; 17] = [
    VarType::I1,
    VarType::UI1,
    VarType::I2,
    VarType::UI2,
    VarType::I4,
    VarType::UI4,
    VarType::I8,
    VarType::UI8,
    VarType::R4,
    VarType::R8,
    VarType::CY,
    VarType::DATE,
    VarType::BOOL,
    VarType::DECIMAL,
    VarType::ERROR,
    VarType::DISPATCH,
    VarType::UNKNOWN,
];

fn table() -> Arc<DispatchTable<()>> {
    Arc::new(
        DispatchTable::<()>::builder()
            .property_get("Value", 0, [], |_, args| {
                expect_types("Value", &[], args);
                Ok(Variant::from("value"))
            })
            .method("Add", 1, [Param::new("a", VarType::I4), Param::new("b", VarType::I4)], |_, args| {
                expect_types("Add", &[(VarType::I4, false), (VarType::I4, false)], args);
                let a = i32::try_from(&args[0]).unwrap_or(0);
                let b = i32::try_from(&args[1]).unwrap_or(0);
                Ok(Variant::from(a.wrapping_add(b)))
            })
            .method(
                "Concat",
                2,
                [Param::new("s", VarType::BSTR), Param::new("n", VarType::I2).with_default(|| Variant::from(1i16))],
                |_, args| {
                    expect_types("Concat", &[(VarType::BSTR, false), (VarType::I2, true)], args);
                    let s = String::try_from(&args[0]).unwrap_or_default();
                    let n = i16::try_from(&args[1]).unwrap_or(1).clamp(0, 4) as usize;
                    Ok(Variant::from(s.repeat(n).as_str()))
                },
            )
            .method(
                "Any",
                3,
                [Param::new("v", VarType::VARIANT), Param::new("w", VarType::VARIANT).optional()],
                |_, args| {
                    expect_types("Any", &[(VarType::VARIANT, false), (VarType::VARIANT, true)], args);
                    args[0].try_clone().map_err(ComError::from_hresult)
                },
            )
            .property_get("Number", 4, [], |_, args| {
                expect_types("Number get", &[], args);
                Ok(Variant::from(2.5f64))
            })
            .property_put("Number", 4, [Param::new("value", VarType::R8)], |_, args| {
                expect_types("Number put", &[(VarType::R8, false)], args);
                Ok(())
            })
            .method("Fail", 5, [Param::new("x", VarType::BOOL)], |_, args| {
                expect_types("Fail", &[(VarType::BOOL, false)], args);
                Err(ComError::with_message(Hresult::E_FAIL, "the member failed"))
            })
            .method("Many", 6, SCALARS.map(|vt| Param::new("p", vt).optional()), |_, args| {
                let declared: Vec<(VarType, bool)> = SCALARS.iter().map(|&vt| (vt, true)).collect();
                expect_types("Many", &declared, args);
                Ok(Variant::empty())
            })
            .build(),
    )
}

/// DISPIDs of the selector byte (the last one reads a raw i32).
const DISPIDS: [DispId; 8] = [0, 1, 2, 3, 4, 5, 6, DISPID_PROPERTYPUT];

/// Runs one input.
pub fn run(data: &[u8]) {
    let guard = Guard::start();
    {
        let mut u = Unstructured::new(data);
        let mode = byte(&mut u);
        if mode & 0x80 != 0 {
            client(&mut u);
        } else {
            server(&mut u, mode);
        }
    }
    let violations: Vec<String> = VIOLATIONS.with(|v| v.borrow_mut().drain(..).collect());
    assert!(violations.is_empty(), "handlers received undeclared types: {violations:?}");
    guard.finish();
}

fn server(u: &mut Unstructured<'_>, mode: u8) {
    let disp = DispatchObject::create((), table());
    let sel = byte(u) as usize;
    let dispid = DISPIDS.get(sel % 9).copied().unwrap_or_else(|| u32_le(u) as i32);
    let flags = match byte(u) {
        f if f & 0x80 != 0 => f as u16 & 0x0F,
        f => [DISPATCH_METHOD, DISPATCH_PROPERTYGET, DISPATCH_PROPERTYPUT, DISPATCH_METHOD | DISPATCH_PROPERTYGET]
            [f as usize % 4],
    };
    let lcid = [0x0409, 0x0400, 0x0407, 0x1234][byte(u) as usize % 4];
    let iid_sel = byte(u) % 8;
    let iid_value = if iid_sel == 1 { IID_IDISPATCH } else { IID_NULL };
    let iid: *const Guid = if iid_sel == 2 { core::ptr::null() } else { &iid_value };

    let nargs = (byte(u) % 8) as usize;
    let nnamed = (byte(u) as usize) % (nargs + 2);
    let mut arena = Arena::new();
    let mut owned: Vec<Owned> = Vec::new();
    let mut args: Vec<VARIANT> = Vec::with_capacity(nargs);
    for _ in 0..nargs {
        let (v, o) = native::variant(u, &mut arena, 0);
        args.push(v);
        owned.extend(o);
    }
    let mut named: Vec<DispId> = (0..nnamed)
        .map(|_| match byte(u) % 6 {
            5 => DISPID_PROPERTYPUT,
            4 => u32_le(u) as i32,
            k => k as i32,
        })
        .collect();
    let nulls = byte(u);
    let mut params = DISPPARAMS {
        rgvarg: if nulls & 1 != 0 || args.is_empty() { core::ptr::null_mut() } else { args.as_mut_ptr() },
        rgdispid_named_args: if nulls & 2 != 0 || named.is_empty() {
            core::ptr::null_mut()
        } else {
            named.as_mut_ptr()
        },
        c_args: nargs as u32,
        // More named arguments than arguments is the caller's mistake Invoke must refuse; a count beyond the
        // named array itself would be a read past the caller's memory, so it stays within it.
        c_named_args: nnamed as u32,
    };
    let before: Vec<[u8; core::mem::size_of::<VARIANT>()]> = args.iter().map(VARIANT::to_bytes).collect();
    let mut result = VARIANT::EMPTY;
    let mut excep = EXCEPINFO::default();
    let mut arg_err = u32::MAX;
    let want_result = mode & 1 == 0;
    let want_excep = mode & 2 == 0;
    let want_arg_err = mode & 4 == 0;
    // SAFETY: every pointer is null or valid for the call; the argument arrays hold their counts (or are
    // null, which Invoke must refuse); the arguments' pointers are live.
    let hr = unsafe {
        disp.invoke(
            dispid,
            iid,
            lcid,
            flags,
            &mut params,
            if want_result { &mut result } else { core::ptr::null_mut() },
            if want_excep { &mut excep } else { core::ptr::null_mut() },
            if want_arg_err { &mut arg_err } else { core::ptr::null_mut() },
        )
    };
    let after: Vec<_> = args.iter().map(VARIANT::to_bytes).collect();
    assert_eq!(before, after, "Invoke modified its [in] arguments");

    let bad_arrays = nnamed > nargs
        || (nargs > 0 && params.rgvarg.is_null())
        || (nnamed > 0 && params.rgdispid_named_args.is_null());
    if iid_sel == 1 || iid_sel == 2 {
        assert_eq!(hr, Hresult::DISP_E_UNKNOWNINTERFACE, "riid {iid_sel}");
    } else if bad_arrays {
        assert_eq!(hr, Hresult::E_INVALIDARG, "{nargs} arguments, {nnamed} named, nulls {nulls}");
    }
    if arg_err != u32::MAX {
        assert!(hr.is_err() && (arg_err as usize) < nargs, "puArgErr {arg_err} of {nargs} arguments after {hr:?}");
    }
    if hr == Hresult::DISP_E_EXCEPTION && want_excep {
        assert!(excep.scode.is_err() || excep.w_code != 0, "DISP_E_EXCEPTION without an error in EXCEPINFO");
    }
    // SAFETY: the callee left null or owned BSTRs in EXCEPINFO.
    let _ = unsafe { excep.take_error() };
    if hr.is_ok() && want_result {
        // SAFETY: on success the result belongs to the caller.
        let v = unsafe { Variant::from_raw(result) };
        drop(v.unwrap_or_else(|e| panic!("Invoke returned an invalid VARIANT: {e:?}")));
    } else {
        assert_eq!(result.vt, VarType::EMPTY, "a failed Invoke left a result of type {:?}", result.vt);
    }
    // The arguments are the caller's: released by the harness.
    drop(owned);
    drop(arena);
    drop(disp);
}

fn client(u: &mut Unstructured<'_>) {
    let value = native::disp_value(u);
    let fake = com::new_dispatch(value);
    // SAFETY: a live fake IDispatch; the ComPtr takes its own reference.
    let disp: ComPtr<IDispatch> = unsafe { ComPtr::from_raw_borrowed(fake) }.unwrap();
    let flags = if byte(u) & 1 != 0 { DISPATCH_PROPERTYGET } else { DISPATCH_METHOD | DISPATCH_PROPERTYGET };
    match disp.invoke_with(0, 0x0409, flags, &[], &[]) {
        Ok(v) => {
            assert!(marshal_core::variant::validate(v.as_raw()).is_ok());
            drop(v);
        }
        Err(e) => assert!(e.hresult().is_err()),
    }
    drop(disp);
}

/// A seed: mode, DISPID selector, flags, LCID selector, riid selector, argument count, named count, then the
/// arguments (VARIANT seeds, see [`crate::targets::variant_raw::seed`] without the ops byte), named DISPID
/// selectors, the null selector.
pub fn seed(mode: u8, dispid: u8, flags: u8, args: &[Vec<u8>], named: &[u8]) -> Vec<u8> {
    let mut s = vec![mode, dispid, flags, 0, 0, args.len() as u8, named.len() as u8];
    for a in args {
        s.extend_from_slice(a);
    }
    s.extend_from_slice(named);
    s.push(0);
    s
}
