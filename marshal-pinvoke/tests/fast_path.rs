//! Signatures of numbers and pointers by value take the prepared fast path
//! (`src/fast.rs`): its results, SetLastError, PreserveSig=false and its
//! fall-back to the general path for values that need a conversion or are wrong
//! must be those of the general path.

use core::ffi::c_void;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use marshal_pinvoke::core::value::Value;
use marshal_pinvoke::core::{BoolRepr, Hresult, TypeDesc};
use marshal_pinvoke::{last_error, set_last_error, Library, Param, PinvokeError, Signature};

fn libc_lib() -> Arc<Library> {
    Arc::new(Library::load("c").unwrap())
}

#[test]
fn set_last_error_on_the_fast_path_captures_errno_and_clears_it_first() {
    // close(int) -> int: a fast-path shape.
    let close = Signature::new(Some(TypeDesc::I32)).param(Param::new("fd", TypeDesc::I32)).set_last_error(true);
    let close = close.bind(&libc_lib(), "close").unwrap();
    set_last_error(0);
    assert_eq!(close.call(&mut [Value::I32(-1)]).unwrap(), Value::I32(-1));
    assert_eq!(last_error(), libc::EBADF);
    // A call that succeeds leaves 0: errno is cleared before the call, as CoreCLR does.
    let getpid = Signature::new(Some(TypeDesc::I32)).set_last_error(true).bind(&libc_lib(), "getpid").unwrap();
    set_last_error(7);
    // SAFETY: errno of this thread, set to a stale value the call must not report.
    unsafe { *libc::__errno_location() = libc::ENOENT };
    assert_eq!(getpid.call(&mut []).unwrap(), Value::I32(std::process::id() as i32));
    assert_eq!(last_error(), 0);
    // Without SetLastError the stored code is left alone.
    let close_plain =
        Signature::new(Some(TypeDesc::I32)).param(Param::new("fd", TypeDesc::I32)).bind(&libc_lib(), "close").unwrap();
    set_last_error(5);
    assert_eq!(close_plain.call(&mut [Value::I32(-1)]).unwrap(), Value::I32(-1));
    assert_eq!(last_error(), 5);
}

#[test]
fn numbers_cross_as_the_native_types() {
    let libc = libc_lib();
    let labs = Signature::new(Some(TypeDesc::I64)).param(Param::new("x", TypeDesc::I64)).bind(&libc, "labs").unwrap();
    assert_eq!(labs.call(&mut [Value::I64(-(1 << 40))]).unwrap(), Value::I64(1 << 40));
    let libm = Arc::new(Library::load("m").unwrap());
    let ldexp = Signature::new(Some(TypeDesc::F64))
        .param(Param::new("x", TypeDesc::F64))
        .param(Param::new("exp", TypeDesc::I32))
        .bind(&libm, "ldexp")
        .unwrap();
    assert_eq!(ldexp.call(&mut [Value::F64(0.75), Value::I32(-3)]).unwrap(), Value::F64(0.09375));
    let strtoul = Signature::new(Some(TypeDesc::U64))
        .param(Param::new("s", TypeDesc::Pointer))
        .param(Param::new("end", TypeDesc::Pointer))
        .param(Param::new("base", TypeDesc::I32))
        .bind(&libc, "strtoul")
        .unwrap();
    let text = c"ffffffffffffffff";
    let r = strtoul.call(&mut [Value::Pointer(text.as_ptr() as u64), Value::Null, Value::I32(16)]).unwrap();
    assert_eq!(r, Value::U64(u64::MAX));
}

extern "C" fn identity_ptr(p: *const c_void) -> *const c_void {
    p
}

extern "C" fn negate_bool(b: i32) -> i32 {
    if b == 0 {
        2
    } else {
        0
    }
}

extern "C" fn hresult_of(x: i32) -> i32 {
    x
}

#[test]
fn pointers_bools_and_hresults() {
    // SAFETY: each function has the bound native signature.
    let ident = unsafe {
        Signature::new(Some(TypeDesc::Pointer))
            .param(Param::new("p", TypeDesc::Pointer))
            .bind_address(identity_ptr as *const ())
    }
    .unwrap();
    assert_eq!(ident.call(&mut [Value::Null]).unwrap(), Value::Null);
    assert_eq!(ident.call(&mut [Value::Pointer(0x1000)]).unwrap(), Value::Pointer(0x1000));
    assert_eq!(ident.call(&mut [Value::USize(0x2000)]).unwrap(), Value::Pointer(0x2000));
    assert_eq!(ident.call(&mut [Value::ISize(0x3000)]).unwrap(), Value::Pointer(0x3000));

    let bool_ty = TypeDesc::Bool(BoolRepr::Win32);
    // SAFETY: as above.
    let not = unsafe {
        Signature::new(Some(bool_ty.clone())).param(Param::new("b", bool_ty)).bind_address(negate_bool as *const ())
    }
    .unwrap();
    assert_eq!(not.call(&mut [Value::Bool(true)]).unwrap(), Value::Bool(false));
    // Any non-zero BOOL reads as true.
    assert_eq!(not.call(&mut [Value::Bool(false)]).unwrap(), Value::Bool(true));

    // PreserveSig=false without a managed return: the native return is the HRESULT.
    // SAFETY: as above.
    let check = unsafe {
        Signature::new(None)
            .param(Param::new("hr", TypeDesc::I32))
            .preserve_sig(false)
            .bind_address(hresult_of as *const ())
    }
    .unwrap();
    assert_eq!(check.call(&mut [Value::I32(1)]).unwrap(), Value::Null); // S_FALSE succeeds
    let e_fail = 0x8000_4005u32 as i32;
    match check.call(&mut [Value::I32(e_fail)]) {
        Err(PinvokeError::Hresult(Hresult(hr))) => assert_eq!(hr, e_fail),
        other => panic!("expected the HRESULT as an error, got {other:?}"),
    }
}

static CALLS: AtomicU32 = AtomicU32::new(0);

extern "C" fn counted(a: i32, b: f64) -> i32 {
    CALLS.fetch_add(1, Ordering::SeqCst);
    a + b as i32
}

#[test]
fn values_that_are_not_plain_words_take_the_general_path() {
    // SAFETY: `counted` has this native signature.
    let f = unsafe {
        Signature::new(Some(TypeDesc::I32))
            .param(Param::new("a", TypeDesc::I32))
            .param(Param::new("b", TypeDesc::F64))
            .bind_address(counted as *const ())
    }
    .unwrap();
    let before = CALLS.load(Ordering::SeqCst);
    assert_eq!(f.call(&mut [Value::I32(40), Value::F64(2.0)]).unwrap(), Value::I32(42));
    assert_eq!(CALLS.load(Ordering::SeqCst), before + 1);
    // Wrong types and counts: the general path's typed errors, no call made.
    for mut args in [
        vec![Value::I16(1), Value::F64(2.0)],
        vec![Value::I32(1), Value::Null],
        vec![Value::str("1"), Value::F64(2.0)],
        vec![Value::I32(1)],
        vec![Value::I32(1), Value::F64(2.0), Value::I32(3)],
    ] {
        let e = f.call(&mut args).unwrap_err();
        assert!(matches!(e, PinvokeError::ArgumentCount { .. } | PinvokeError::ArgumentType { .. }), "{e:?}");
    }
    assert_eq!(CALLS.load(Ordering::SeqCst), before + 1);
}
