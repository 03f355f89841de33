//! Unit tests of the plans against the golden vectors and the CLR rules.

use super::*;
use crate::types::{BoolRepr, CharRepr, StructBuilder};

fn s(fields: Vec<(&str, Value)>) -> Value {
    Value::Struct(fields.into_iter().map(|(n, v)| (Arc::from(n), v)).collect())
}

#[test]
fn bool_and_char_forms_match_the_coreclr_vectors() {
    // mono_layout S_BoolVariantBool#0: a2 00 ffff a4 00; S_BoolDefault#0: a2000000 01000000 a4000000.
    let vb = StructBuilder::sequential("S")
        .field("a", TypeDesc::U8)
        .field("b", TypeDesc::Bool(BoolRepr::VariantBool))
        .field("c", TypeDesc::U8)
        .build()
        .unwrap();
    let plan = Plan::for_type(&vb, Target::UNIX_64).unwrap();
    let mut out = vec![0xCC; plan.size()];
    plan.to_native(&s(vec![("a", Value::U8(0xa2)), ("b", Value::Bool(true)), ("c", Value::U8(0xa4))]), &mut out)
        .unwrap();
    assert_eq!(out, [0xa2, 0, 0xff, 0xff, 0xa4, 0]);
    // S_CharAnsi#0 (CoreCLR expected): 中 A é -> e4 41 c3.
    let ansi = StructBuilder::sequential("C")
        .field("a", TypeDesc::U8)
        .field("c1", TypeDesc::Char(CharRepr::ByCharSet))
        .field("c2", TypeDesc::Char(CharRepr::ByCharSet))
        .field("c3", TypeDesc::Char(CharRepr::ByCharSet))
        .build()
        .unwrap();
    let plan = Plan::for_type(&ansi, Target::UNIX_64).unwrap();
    let mut out = vec![0; 4];
    let v =
        s(vec![("a", Value::U8(0xa2)), ("c1", Value::Char(20013)), ("c2", Value::Char(65)), ("c3", Value::Char(233))]);
    plan.to_native(&v, &mut out).unwrap();
    assert_eq!(out, [0xa2, 0xe4, 0x41, 0xc3]);
    // SAFETY: bytes from to_native of the same plan.
    let back = unsafe { plan.from_native(&out) }.unwrap();
    assert_eq!(back.field("c1"), Some(&Value::Char(0xFFFD)));
    assert_eq!(back.field("c2"), Some(&Value::Char(65)));
}

#[test]
fn short_arrays_are_refused_and_null_arrays_zero_filled() {
    let t = StructBuilder::sequential("A")
        .pack(1)
        .field("a", TypeDesc::I32)
        .field("b", TypeDesc::by_val_array(TypeDesc::U8, 5))
        .field("c", TypeDesc::I16)
        .build()
        .unwrap();
    let plan = Plan::for_type(&t, Target::UNIX_64).unwrap();
    let mut out = vec![0xCC; plan.size()];
    let short =
        s(vec![("a", Value::I32(1)), ("b", Value::Array(vec![Value::U8(1), Value::U8(2)])), ("c", Value::I16(2))]);
    assert!(matches!(plan.to_native(&short, &mut out), Err(PlanError::Invalid { .. })));
    // mono_layout S_ArrByteP1#3 (CoreCLR): 01000000 0000000000 0200
    let null = s(vec![("a", Value::I32(1)), ("b", Value::Null), ("c", Value::I16(2))]);
    plan.to_native(&null, &mut out).unwrap();
    assert_eq!(out, [1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
}

fn one(name: &str, ty: TypeDesc) -> Arc<Plan> {
    Plan::for_type(&StructBuilder::sequential(name).field("f", ty).build().unwrap(), Target::host()).unwrap()
}

#[test]
fn out_of_range_values_are_the_clr_exceptions_and_free_what_was_converted() {
    use crate::alloc::tracking::LeakCheck;
    use crate::types::StringRepr;
    use crate::value::DateTime;
    use crate::variant::Decimal;
    let check = LeakCheck::start();
    // A string first (allocated), then a decimal beyond the CY range: OverflowException.
    let t = StructBuilder::sequential("Cy")
        .field("s", TypeDesc::String(StringRepr::LPWStr))
        .field("b", TypeDesc::String(StringRepr::BStr))
        .field("c", TypeDesc::Currency)
        .build()
        .unwrap();
    let plan = Plan::for_type(&t, Target::host()).unwrap();
    let mut out = vec![0u8; plan.size()];
    let huge = Decimal::new(1u128 << 90, 0, false).unwrap();
    let e =
        plan.to_native(&s(vec![("s", Value::str("x")), ("b", Value::str("y")), ("c", Value::Decimal(huge))]), &mut out);
    let e = e.unwrap_err();
    assert_eq!((e.clr_exception(), e.path()), ("System.OverflowException", "c"));
    check.assert_no_leaks();
    // DateTime before 0100-01-01 has no DATE (DateTime.ToOADate throws OverflowException).
    let plan = one("D", TypeDesc::Date);
    let e = plan.to_native(&s(vec![("f", Value::DateTime(DateTime { ticks: 10 * 864_000_000_000 }))]), &mut out);
    assert_eq!(e.unwrap_err().clr_exception(), "System.OverflowException");
    // A DATE outside (-657435, 2958466) read back: ArgumentException.
    let mut bytes = 3.0e6f64.to_le_bytes().to_vec();
    // SAFETY: plain bytes.
    let e = unsafe { plan.from_native(&bytes) }.unwrap_err();
    assert_eq!(e.clr_exception(), "System.ArgumentException");
    bytes.fill(0);
    // SAFETY: plain bytes: DATE 0 is 1899-12-30.
    let back = unsafe { plan.from_native(&bytes) }.unwrap();
    assert_eq!(back, s(vec![("f", Value::DateTime(DateTime { ticks: 599_264_352_000_000_000 }))]));
}

#[test]
fn an_ansi_by_val_tstr_whose_utf8_does_not_fit_is_refused() {
    // CoreCLR on Unix: the UTF-8 of the first SizeConst-1 chars longer than SizeConst bytes
    // throws ArgumentException (vectors S_TStrAnsi#4: "ééééé" in 8 bytes).
    let plan = one("T", TypeDesc::ByValTStr(8));
    let mut out = vec![0u8; plan.size()];
    let e = plan.to_native(&s(vec![("f", Value::str("ééééé"))]), &mut out).unwrap_err();
    assert_eq!(e.clr_exception(), "System.ArgumentException");
    // Within the limit it is truncated to SizeConst-1 chars and a NUL.
    plan.to_native(&s(vec![("f", Value::str("abcdefghij"))]), &mut out).unwrap();
    assert_eq!(out, b"abcdefg\0");
}

#[test]
fn safearrays_of_another_type_or_rank_are_the_clr_mismatch_exceptions() {
    use crate::safearray::{Bound, SafeArray};
    use crate::vartype::VarType;
    let plan = one("A", TypeDesc::SafeArray(VarType::I4));
    let check = |psa: *mut crate::safearray::SAFEARRAY| {
        let bytes = (psa as usize).to_ne_bytes();
        // SAFETY: a live SAFEARRAY in the field.
        unsafe { plan.from_native(&bytes) }.map_err(|e| e.clr_exception())
    };
    let doubles = SafeArray::from_slice(&[1.0f64, 2.0]).unwrap();
    assert_eq!(check(doubles.as_ptr()), Err("System.Runtime.InteropServices.SafeArrayTypeMismatchException"));
    let square = SafeArray::from_row_major(&[Bound::zero_based(2), Bound::zero_based(2)], &[1i32, 2, 3, 4]).unwrap();
    assert_eq!(check(square.as_ptr()), Err("System.Runtime.InteropServices.SafeArrayRankMismatchException"));
    // The declared element type reads back.
    let ints = SafeArray::from_slice(&[7i32, 8]).unwrap();
    assert_eq!(check(ints.as_ptr()), Ok(s(vec![("f", Value::Array(vec![Value::I32(7), Value::I32(8)]))])));
}

#[test]
fn a_variant_field_with_an_invalid_tag_is_refused_on_read() {
    let plan = one("V", TypeDesc::Variant);
    let mut bytes = vec![0u8; plan.size()];
    bytes[0] = 15; // VT 15 is reserved
                   // SAFETY: no pointer payload is read: the tag is refused first.
    let e = unsafe { plan.from_native(&bytes) }.unwrap_err();
    assert_eq!(e.clr_exception(), "System.ArgumentException");
    // Destroy leaves an invalid VARIANT alone (nothing it could free safely).
    // SAFETY: as above.
    unsafe { plan.destroy(&mut bytes) };
    assert_eq!(bytes[0], 15);
}

#[test]
fn pointer_forms_are_refused_for_a_target_of_another_pointer_width() {
    use crate::types::StringRepr;
    let other = if cfg!(target_pointer_width = "64") { Target::UNIX_32 } else { Target::UNIX_64 };
    let t = StructBuilder::sequential("P").field("s", TypeDesc::String(StringRepr::LPWStr)).build().unwrap();
    assert!(matches!(Plan::for_type(&t, other), Err(PlanError::Unsupported { .. })));
    // Numbers and pointer values have plans for any target (the layout checks of other platforms).
    let t = StructBuilder::sequential("N").field("p", TypeDesc::Pointer).field("x", TypeDesc::F64).build().unwrap();
    let plan = Plan::for_type(&t, Target::UNIX_32).unwrap();
    let mut out = vec![0u8; plan.size()];
    plan.to_native(&s(vec![("p", Value::Pointer(0x1234)), ("x", Value::F64(1.0))]), &mut out).unwrap();
    assert_eq!(out[..4], [0x34, 0x12, 0, 0]);
    assert_eq!(plan.size(), 12);
}

#[test]
fn values_out_of_declaration_order_are_matched_by_name() {
    let t = StructBuilder::sequential("O")
        .field("a", TypeDesc::I32)
        .field("s", TypeDesc::String(crate::types::StringRepr::LPStr))
        .field("b", TypeDesc::I16)
        .build()
        .unwrap();
    let plan = Plan::for_type(&t, Target::host()).unwrap();
    let mut x = vec![0u8; plan.size()];
    let mut y = vec![0u8; plan.size()];
    plan.to_native(&s(vec![("a", Value::I32(1)), ("s", Value::str("q")), ("b", Value::I16(2))]), &mut x).unwrap();
    plan.to_native(&s(vec![("b", Value::I16(2)), ("a", Value::I32(1)), ("s", Value::str("q"))]), &mut y).unwrap();
    // SAFETY: both written by to_native.
    unsafe {
        assert_eq!(plan.from_native(&x).unwrap(), plan.from_native(&y).unwrap());
        plan.destroy(&mut x);
        plan.destroy(&mut y);
    }
    let e = plan.to_native(&s(vec![("a", Value::I32(1)), ("b", Value::I16(2))]), &mut x).unwrap_err();
    assert!(matches!(e, PlanError::Mismatch { ref path, .. } if path == "s"), "{e:?}");
}
