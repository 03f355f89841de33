//! Bad input is a typed error before any native call: the callee here counts
//! its calls, and every refused call leaves the count unchanged.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use marshal_pinvoke::core::value::Value;
use marshal_pinvoke::core::{StringRepr, StructBuilder, TypeDesc};
use marshal_pinvoke::{pinvoke, Library, Param, PinvokeError, Signature};

static CALLS: AtomicU32 = AtomicU32::new(0);

extern "C" fn counted(_a: i32, _p: *mut i32, _s: *const u8, _arr: *const i32, _n: i32) -> i32 {
    CALLS.fetch_add(1, Ordering::SeqCst);
    0
}

fn sig() -> Signature {
    Signature::new(Some(TypeDesc::I32))
        .param(Param::new("a", TypeDesc::I32))
        .param(Param::by_ref("p", TypeDesc::I32))
        .param(Param::new("s", TypeDesc::String(StringRepr::LPStr)))
        .param(Param::new("arr", TypeDesc::lp_array(TypeDesc::I32, 0, Some(4))))
        .param(Param::new("n", TypeDesc::I32))
}

fn good() -> Vec<Value> {
    vec![Value::I32(1), Value::I32(2), Value::str("x"), Value::Array(vec![Value::I32(3)]), Value::I32(1)]
}

#[test]
fn argument_mismatches_are_refused_before_the_call() {
    // SAFETY: `counted` has exactly this native signature.
    let f = unsafe { sig().bind_address(counted as *const ()) }.unwrap();
    let before = CALLS.load(Ordering::SeqCst);
    f.call(&mut good()).unwrap();
    assert_eq!(CALLS.load(Ordering::SeqCst), before + 1);

    type Case = (Vec<Value>, fn(&PinvokeError) -> bool);
    let cases: Vec<Case> = vec![
        (good()[..4].to_vec(), |e| matches!(e, PinvokeError::ArgumentCount { expected: 5, given: 4 })),
        (
            {
                let mut a = good();
                a[0] = Value::I64(1);
                a
            },
            |e| matches!(e, PinvokeError::ArgumentType { at, .. } if at.contains("#0")),
        ),
        (
            {
                let mut a = good();
                a[1] = Value::str("not an int");
                a
            },
            |e| matches!(e, PinvokeError::ArgumentType { at, .. } if at.contains("#1")),
        ),
        (
            {
                let mut a = good();
                a[2] = Value::I32(5);
                a
            },
            |e| matches!(e, PinvokeError::ArgumentType { at, .. } if at.contains("#2")),
        ),
        (
            {
                let mut a = good();
                a[3] = Value::Array(vec![Value::I32(1), Value::str("x")]);
                a
            },
            |e| matches!(e, PinvokeError::ArgumentType { at, .. } if at.contains("#3")),
        ),
    ];
    for (mut args, check) in cases {
        let e = f.call(&mut args).unwrap_err();
        assert!(check(&e), "{e:?}");
        assert_eq!(CALLS.load(Ordering::SeqCst), before + 1, "no native call for {e}");
    }
}

#[test]
fn null_where_a_value_is_required_is_refused() {
    let s = StructBuilder::sequential("P").field("x", TypeDesc::I32).build().unwrap();
    let sig = Signature::new(None).param(Param::by_ref("p", s.clone()));
    // SAFETY: never called (the argument is refused).
    let f = unsafe { sig.bind_address(counted as *const ()) }.unwrap();
    let before = CALLS.load(Ordering::SeqCst);
    assert!(matches!(f.call(&mut [Value::Null]).unwrap_err(), PinvokeError::NullNotAllowed { .. }));
    let by_value = Signature::new(None).param(Param::new("p", s));
    // SAFETY: never called.
    let f = unsafe { by_value.bind_address(counted as *const ()) }.unwrap();
    assert!(matches!(f.call(&mut [Value::Null]).unwrap_err(), PinvokeError::NullNotAllowed { .. }));
    assert_eq!(CALLS.load(Ordering::SeqCst), before);
    // SAFETY: a null address is refused before anything else.
    assert!(matches!(unsafe { sig.bind_address(core::ptr::null()) }.unwrap_err(), PinvokeError::NullNotAllowed { .. }));
}

#[test]
fn invalid_signatures_are_refused_at_bind_time() {
    let bad_index = Signature::new(None).param(Param::new("a", TypeDesc::lp_array(TypeDesc::I32, 0, Some(3))));
    // SAFETY: never called.
    let e = unsafe { bad_index.bind_address(counted as *const ()) }.unwrap_err();
    assert!(matches!(&e, PinvokeError::InvalidSignature { reason, .. } if reason.contains("out of range")), "{e}");

    let not_integer = Signature::new(None)
        .param(Param::new("a", TypeDesc::lp_array(TypeDesc::I32, 0, Some(1))))
        .param(Param::new("n", TypeDesc::F64));
    // SAFETY: never called.
    let r = unsafe { not_integer.bind_address(counted as *const ()) };
    assert!(matches!(r, Err(PinvokeError::InvalidSignature { .. })));

    let field_only = Signature::new(None).param(Param::new("s", TypeDesc::ByValTStr(8)));
    // SAFETY: never called.
    let r = unsafe { field_only.bind_address(counted as *const ()) };
    assert!(matches!(r, Err(PinvokeError::InvalidSignature { .. })));

    let out_string = Signature::new(None).param(Param::new("s", TypeDesc::String(StringRepr::LPWStr)).with_out());
    // SAFETY: never called.
    let r = unsafe { out_string.bind_address(counted as *const ()) };
    assert!(matches!(r, Err(PinvokeError::InvalidSignature { .. })));
}

#[test]
fn missing_libraries_and_symbols_are_typed_errors_listing_what_was_tried() {
    let e = Library::load("marshal_surely_missing").unwrap_err();
    let text = e.to_string();
    for cand in ["libmarshal_surely_missing.so", "marshal_surely_missing.so", "libmarshal_surely_missing"] {
        assert!(text.contains(cand), "{text}");
    }
    let libm = Arc::new(Library::load("m").unwrap());
    let unicode = Signature::new(None).charset(marshal_pinvoke::core::CharSet::Unicode);
    match unicode.bind(&libm, "no_such_function") {
        Err(PinvokeError::SymbolNotFound { tried, .. }) => assert_eq!(tried, ["no_such_functionW", "no_such_function"]),
        other => panic!("{other:?}"),
    }
    let exact = Signature::new(None).exact_spelling(true);
    match exact.bind(&libm, "no_such_function") {
        Err(PinvokeError::SymbolNotFound { tried, .. }) => assert_eq!(tried, ["no_such_function"]),
        other => panic!("{other:?}"),
    }
}

pinvoke! {
    #[library("marshal_surely_missing")]
    unsafe extern "C" {
        fn not_there(x: i32) -> i32;
    }
}

pinvoke! {
    #[library("m")]
    unsafe extern "C" {
        fn marshal_no_such_symbol(x: i32) -> i32;
    }
}

#[test]
fn the_macro_reports_a_missing_library_or_entry_point_on_every_call() {
    for _ in 0..2 {
        assert!(matches!(not_there(1), Err(PinvokeError::LibraryNotFound { .. })));
        assert!(matches!(marshal_no_such_symbol(1), Err(PinvokeError::SymbolNotFound { .. })));
    }
}

extern "C" fn doubles_or_fails(x: i32, out: *mut i32) -> i32 {
    if x < 0 {
        return 0x8007_0057u32 as i32; // E_INVALIDARG
    }
    // SAFETY: the marshaler passes a valid [retval] slot.
    unsafe { *out = x * 2 };
    1 // S_FALSE: a success code, dropped as the CLR does
}

#[test]
fn preserve_sig_false_turns_the_hresult_into_a_result_and_the_retval_into_the_value() {
    let sig = Signature::new(Some(TypeDesc::I32)).param(Param::new("x", TypeDesc::I32)).preserve_sig(false);
    // SAFETY: `doubles_or_fails` is HRESULT(int, int*).
    let f = unsafe { sig.bind_address(doubles_or_fails as *const ()) }.unwrap();
    assert_eq!(f.arity(), 1);
    assert_eq!(f.call(&mut [Value::I32(21)]).unwrap(), Value::I32(42));
    assert_eq!(
        f.call(&mut [Value::I32(-1)]).unwrap_err(),
        PinvokeError::Hresult(marshal_pinvoke::core::Hresult(0x8007_0057u32 as i32))
    );
}

/// Keeps the caller's array but reports more elements than it holds.
extern "C" fn claims_more(_arr: *mut *mut i32, n: *mut i32) {
    // SAFETY: the marshaler passes a valid `ref int` slot.
    unsafe { *n = 1000 };
}

/// Found by the `pinvoke_signature` fuzz target: a `ref` LPArray sized by a `ref` count that the callee
/// raised while leaving the caller's own buffer in place was read past the buffer's end.
#[test]
fn a_count_beyond_our_own_array_is_an_error_not_an_overread() {
    let sig = Signature::new(None)
        .param(Param::by_ref("arr", TypeDesc::lp_array(TypeDesc::I32, 0, Some(1))))
        .param(Param::by_ref("n", TypeDesc::I32));
    // SAFETY: `claims_more` is void(int**, int*).
    let f = unsafe { sig.bind_address(claims_more as *const ()) }.unwrap();
    let mut args = [Value::Array(vec![Value::I32(1), Value::I32(2), Value::I32(3)]), Value::I32(3)];
    assert!(matches!(f.call(&mut args), Err(PinvokeError::BadArraySize { count: 1000, .. })));
    // SizeConst elements beyond an empty array of ours: the same.
    let sig = Signature::new(None).param(Param::by_ref("arr", TypeDesc::lp_array(TypeDesc::I32, 4, None)));
    // SAFETY: a callee that touches nothing fits void(int**).
    let f = unsafe { sig.bind_address(leaves_alone as *const ()) }.unwrap();
    assert!(matches!(f.call(&mut [Value::Array(vec![])]), Err(PinvokeError::BadArraySize { count: 4, .. })));
}

extern "C" fn leaves_alone(_arr: *mut *mut i32) {}
