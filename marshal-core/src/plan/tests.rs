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
