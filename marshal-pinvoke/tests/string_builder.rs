//! `StringBuilder` parameters: the CLR passes a buffer of `Capacity + 1` characters holding
//! the text (`[In, Out]` by default), and reads the text back up to the first NUL.
//! Expected bytes are the ones Mono recorded for the same declarations
//! (`conformance/vectors/mono_pinvoke.jsonl`, `stringbuilder_*`), stated here in their own terms.

use std::cell::RefCell;

use marshal_pinvoke::core::alloc::tracking::LeakCheck;
use marshal_pinvoke::core::value::Value;
use marshal_pinvoke::core::{CharSet, StringRepr, TypeDesc};
use marshal_pinvoke::{Param, PinvokeError, Signature};

thread_local! {
    /// What the callee saw: the buffer's first bytes (up to and including the first NUL) and `cap`.
    static SAW: RefCell<Option<(Vec<u8>, i32)>> = const { RefCell::new(None) };
}

fn units(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// void FillW(wchar_t *buf, int cap): records the buffer, then writes "filledé" if it fits.
extern "C" fn fill_wide(buf: *mut u16, cap: i32) {
    if buf.is_null() {
        SAW.with(|s| *s.borrow_mut() = Some((Vec::new(), cap)));
        return;
    }
    let mut seen = Vec::new();
    // SAFETY: the marshaler passes `cap + 1` characters; we stop at the first NUL.
    unsafe {
        for k in 0..=cap as usize {
            let u = *buf.add(k);
            seen.extend_from_slice(&u.to_le_bytes());
            if u == 0 {
                break;
            }
        }
    }
    SAW.with(|s| *s.borrow_mut() = Some((seen, cap)));
    let text = units("filledé\0");
    if cap as usize + 1 >= text.len() {
        // SAFETY: it fits in `cap + 1` characters.
        unsafe { buf.copy_from_nonoverlapping(text.as_ptr(), text.len()) };
    }
}

/// void FillA(char *buf, int cap): the same over UTF-8 bytes.
extern "C" fn fill_narrow(buf: *mut u8, cap: i32) {
    let mut seen = Vec::new();
    // SAFETY: the marshaler passes at least `cap + 1` bytes; we stop at the first NUL.
    unsafe {
        for k in 0..=cap as usize {
            let b = *buf.add(k);
            seen.push(b);
            if b == 0 {
                break;
            }
        }
    }
    SAW.with(|s| *s.borrow_mut() = Some((seen, cap)));
    let text = "filledé\0".as_bytes();
    if cap as usize + 1 >= text.len() {
        // SAFETY: it fits.
        unsafe { buf.copy_from_nonoverlapping(text.as_ptr(), text.len()) };
    }
}

fn saw() -> (Vec<u8>, i32) {
    SAW.with(|s| s.borrow_mut().take()).expect("the callee ran")
}

fn signature(builder: Param) -> Signature {
    Signature::new(None).param(builder).param(Param::new("cap", TypeDesc::I32))
}

fn builder(text: &str, capacity: u32) -> Value {
    Value::StringBuilder { text: units(text), capacity }
}

#[test]
fn a_unicode_builder_passes_its_text_and_takes_back_what_the_callee_wrote() {
    let check = LeakCheck::start();
    let sig = signature(Param::string_builder("sb", StringRepr::LPWStr));
    // SAFETY: `fill_wide` is void(wchar_t*, int).
    let f = unsafe { sig.bind_address(fill_wide as *const ()) }.unwrap();
    let mut args = [builder("inité", 16), Value::I32(16)];
    f.call(&mut args).unwrap();
    // "inité" in UTF-16LE and its NUL.
    assert_eq!(saw(), (vec![0x69, 0, 0x6e, 0, 0x69, 0, 0x74, 0, 0xe9, 0, 0, 0], 16));
    assert_eq!(args[0], builder("filledé", 16));
    check.assert_no_leaks();
}

#[test]
fn an_ansi_builder_is_utf8_on_unix() {
    let check = LeakCheck::start();
    let sig = signature(Param::string_builder("sb", StringRepr::ByCharSet)).charset(CharSet::Ansi);
    // SAFETY: `fill_narrow` is void(char*, int).
    let f = unsafe { sig.bind_address(fill_narrow as *const ()) }.unwrap();
    let mut args = [builder("inité", 16), Value::I32(16)];
    f.call(&mut args).unwrap();
    assert_eq!(saw(), (vec![0x69, 0x6e, 0x69, 0x74, 0xc3, 0xa9, 0], 16));
    assert_eq!(args[0], builder("filledé", 16));
    check.assert_no_leaks();
}

#[test]
fn in_and_out_attributes_choose_the_directions() {
    let check = LeakCheck::start();
    // [Out]: the callee's text comes back (the buffer's initial contents are unspecified).
    let sig = signature(Param::string_builder("sb", StringRepr::LPWStr).with_out());
    // SAFETY: as above.
    let f = unsafe { sig.bind_address(fill_wide as *const ()) }.unwrap();
    let mut args = [builder("init", 16), Value::I32(16)];
    f.call(&mut args).unwrap();
    assert_eq!(args[0], builder("filledé", 16));
    // [In]: the callee sees the text, the managed text stays as it was.
    let sig = signature(Param::string_builder("sb", StringRepr::LPWStr).with_in());
    // SAFETY: as above.
    let f = unsafe { sig.bind_address(fill_wide as *const ()) }.unwrap();
    let mut args = [builder("init", 16), Value::I32(16)];
    f.call(&mut args).unwrap();
    assert_eq!(saw().0, vec![0x69, 0, 0x6e, 0, 0x69, 0, 0x74, 0, 0, 0]);
    assert_eq!(args[0], builder("init", 16));
    check.assert_no_leaks();
}

#[test]
fn a_callee_that_writes_nothing_leaves_the_text_it_was_given() {
    let sig = signature(Param::string_builder("sb", StringRepr::LPWStr));
    // SAFETY: as above.
    let f = unsafe { sig.bind_address(fill_wide as *const ()) }.unwrap();
    // Capacity 4: "filledé" does not fit, the callee writes nothing.
    let mut args = [builder("ab", 4), Value::I32(4)];
    f.call(&mut args).unwrap();
    assert_eq!(args[0], builder("ab", 4));
    // A text longer than the capacity grows the buffer, as StringBuilder's capacity grows.
    let mut args = [builder("abcdefgh", 4), Value::I32(8)];
    f.call(&mut args).unwrap();
    assert_eq!(saw().0.len(), 9 * 2, "eight characters and a NUL");
    assert_eq!(args[0], builder("filledé", 4));
}

#[test]
fn a_null_builder_is_a_null_pointer() {
    let sig = signature(Param::string_builder("sb", StringRepr::LPWStr));
    // SAFETY: as above.
    let f = unsafe { sig.bind_address(fill_wide as *const ()) }.unwrap();
    let mut args = [Value::Null, Value::I32(3)];
    f.call(&mut args).unwrap();
    assert_eq!(saw(), (vec![], 3));
    assert_eq!(args[0], Value::Null);
}

#[test]
fn builders_by_reference_or_as_bstr_are_refused() {
    let by_ref = Param { pass: marshal_pinvoke::PassBy::Ref, ..Param::string_builder("sb", StringRepr::LPWStr) };
    // SAFETY: never called.
    let e = unsafe { signature(by_ref).bind_address(fill_wide as *const ()) }.unwrap_err();
    assert!(matches!(e, PinvokeError::InvalidSignature { .. }), "{e}");
    // SAFETY: never called.
    let e = unsafe { signature(Param::string_builder("sb", StringRepr::BStr)).bind_address(fill_wide as *const ()) }
        .unwrap_err();
    assert!(matches!(e, PinvokeError::InvalidSignature { .. }), "{e}");
    // A plain string where a StringBuilder is declared is a typed argument error.
    let sig = signature(Param::string_builder("sb", StringRepr::LPWStr));
    // SAFETY: the call is refused before it is made.
    let f = unsafe { sig.bind_address(fill_wide as *const ()) }.unwrap();
    let e = f.call(&mut [Value::str("x"), Value::I32(1)]).unwrap_err();
    assert!(matches!(e, PinvokeError::ArgumentType { .. }), "{e}");
}
