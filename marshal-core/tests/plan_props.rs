//! Properties of the runtime plans over random struct descriptors (nested,
//! every field form, every Pack and CharSet) with random values:
//!
//! - `PtrToStructure(StructureToPtr(v)) == v` for values whose forms are lossless
//!   (the generators keep to what each form can carry: no NUL in NUL-terminated
//!   strings, well-formed text in 8-bit forms, millisecond DateTimes …);
//! - `DestroyStructure` frees exactly what `StructureToPtr` allocated (the
//!   allocator's leak tracking balances to zero) and nulls those fields;
//! - a conversion that fails part way frees what it had allocated.

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;

use marshal_core::alloc::tracking::LeakCheck;
use marshal_core::plan::Plan;
use marshal_core::value::{DateTime, Value};
use marshal_core::variant::{Currency, Decimal};
use marshal_core::{BoolRepr, CharRepr, CharSet, Guid, Prim, StringRepr, StructBuilder, Target, TypeDesc, VarType};

/// A field's form, as far as the generators need to know it.
#[derive(Clone, Debug)]
enum Shape {
    Prim(Prim),
    Bool(BoolRepr),
    Char(CharRepr),
    Str(StringRepr),
    TStr(u32),
    Array(Box<Shape>, u32),
    Decimal,
    Currency,
    Date,
    Object,
    SafeArray(VarType),
    FnPtr,
    Guid,
    Struct(Vec<Shape>, u32, CharSet),
}

const PRIMS: [Prim; 12] = [
    Prim::I8,
    Prim::U8,
    Prim::I16,
    Prim::U16,
    Prim::I32,
    Prim::U32,
    Prim::I64,
    Prim::U64,
    Prim::F32,
    Prim::F64,
    Prim::ISize,
    Prim::USize,
];
const BOOLS: [BoolRepr; 4] = [BoolRepr::Win32, BoolRepr::VariantBool, BoolRepr::U1, BoolRepr::I1];
const STRINGS: [StringRepr; 8] = [
    StringRepr::ByCharSet,
    StringRepr::LPStr,
    StringRepr::LPWStr,
    StringRepr::LPUTF8Str,
    StringRepr::LPTStr,
    StringRepr::BStr,
    StringRepr::AnsiBStr,
    StringRepr::TBStr,
];
const SAFEARRAY_VTS: [VarType; 10] = [
    VarType::I2,
    VarType::I4,
    VarType::UI1,
    VarType::R8,
    VarType::BOOL,
    VarType::BSTR,
    VarType::VARIANT,
    VarType::DECIMAL,
    VarType::CY,
    VarType::DATE,
];

fn leaf_shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        4 => prop::sample::select(&PRIMS[..]).prop_map(Shape::Prim),
        2 => prop::sample::select(&BOOLS[..]).prop_map(Shape::Bool),
        1 => prop::sample::select(vec![CharRepr::Ansi, CharRepr::Utf16]).prop_map(Shape::Char),
        4 => prop::sample::select(&STRINGS[..]).prop_map(Shape::Str),
        1 => (1u32..12).prop_map(Shape::TStr),
        1 => (prop::sample::select(&PRIMS[..]), 1u32..5).prop_map(|(p, n)| Shape::Array(Box::new(Shape::Prim(p)), n)),
        1 => (prop::sample::select(&BOOLS[..]), 1u32..5).prop_map(|(b, n)| Shape::Array(Box::new(Shape::Bool(b)), n)),
        1 => (1u32..4).prop_map(|n| Shape::Array(Box::new(Shape::Str(StringRepr::BStr)), n)),
        1 => Just(Shape::Decimal),
        1 => Just(Shape::Currency),
        1 => Just(Shape::Date),
        2 => Just(Shape::Object),
        2 => prop::sample::select(&SAFEARRAY_VTS[..]).prop_map(Shape::SafeArray),
        1 => Just(Shape::FnPtr),
        1 => Just(Shape::Guid),
    ]
}

fn layout_attrs() -> impl Strategy<Value = (u32, CharSet)> {
    (prop::sample::select(vec![0u32, 1, 2, 4, 8, 16]), prop::sample::select(vec![CharSet::Ansi, CharSet::Unicode]))
}

fn struct_shape() -> impl Strategy<Value = Shape> {
    let leaf = (vec(leaf_shape(), 1..6), layout_attrs()).prop_map(|(f, (p, c))| Shape::Struct(f, p, c));
    leaf.prop_recursive(2, 24, 6, |inner| {
        (vec(prop_oneof![3 => leaf_shape(), 1 => inner.clone()], 1..7), layout_attrs())
            .prop_map(|(f, (p, c))| Shape::Struct(f, p, c))
    })
}

fn desc(shape: &Shape, n: &mut usize) -> TypeDesc {
    match shape {
        Shape::Prim(p) => TypeDesc::Prim(*p),
        Shape::Bool(b) => TypeDesc::Bool(*b),
        Shape::Char(c) => TypeDesc::Char(*c),
        Shape::Str(r) => TypeDesc::String(*r),
        Shape::TStr(k) => TypeDesc::ByValTStr(*k),
        Shape::Array(e, k) => TypeDesc::by_val_array(desc(e, n), *k),
        Shape::Decimal => TypeDesc::Decimal,
        Shape::Currency => TypeDesc::Currency,
        Shape::Date => TypeDesc::Date,
        Shape::Object => TypeDesc::Variant,
        Shape::SafeArray(vt) => TypeDesc::SafeArray(*vt),
        Shape::FnPtr => TypeDesc::FnPtr,
        Shape::Guid => TypeDesc::Guid,
        Shape::Struct(fields, pack, charset) => {
            *n += 1;
            let mut b = StructBuilder::sequential(&format!("S{n}")).pack(*pack).charset(*charset);
            for (i, f) in fields.iter().enumerate() {
                b = b.field(&format!("f{i}"), desc(f, n));
            }
            b.build().unwrap()
        }
    }
}

fn prim_value(p: Prim) -> BoxedStrategy<Value> {
    match p {
        Prim::I8 => any::<i8>().prop_map(Value::I8).boxed(),
        Prim::U8 => any::<u8>().prop_map(Value::U8).boxed(),
        Prim::I16 => any::<i16>().prop_map(Value::I16).boxed(),
        Prim::U16 => any::<u16>().prop_map(Value::U16).boxed(),
        Prim::I32 => any::<i32>().prop_map(Value::I32).boxed(),
        Prim::U32 => any::<u32>().prop_map(Value::U32).boxed(),
        Prim::I64 => any::<i64>().prop_map(Value::I64).boxed(),
        Prim::U64 => any::<u64>().prop_map(Value::U64).boxed(),
        // NaN is not equal to itself; every other bit pattern round-trips.
        Prim::F32 => any::<f32>().prop_filter("not NaN", |x| !x.is_nan()).prop_map(Value::F32).boxed(),
        Prim::F64 => any::<f64>().prop_filter("not NaN", |x| !x.is_nan()).prop_map(Value::F64).boxed(),
        Prim::ISize => any::<isize>().prop_map(|x| Value::ISize(x as i64)).boxed(),
        Prim::USize => any::<usize>().prop_map(|x| Value::USize(x as u64)).boxed(),
    }
}

/// UTF-16 text an 8-bit form keeps: well-formed, no NUL.
fn text_8bit() -> impl Strategy<Value = Vec<u16>> {
    "[^\u{0}]{0,24}".prop_map(|s: String| s.encode_utf16().collect())
}

/// UTF-16 units a NUL-terminated UTF-16 form keeps: anything but NUL (lone surrogates too).
fn units_no_nul(max: usize) -> impl Strategy<Value = Vec<u16>> {
    vec(1u16.., 0..max)
}

fn string_value(r: StringRepr) -> BoxedStrategy<Value> {
    let s = match r {
        StringRepr::LPWStr | StringRepr::LPTStr => units_no_nul(24).boxed(),
        // A BSTR keeps everything: embedded NULs and lone surrogates.
        StringRepr::BStr | StringRepr::TBStr => vec(any::<u16>(), 0..24).boxed(),
        _ => text_8bit().boxed(),
    };
    prop_oneof![1 => Just(Value::Null), 5 => s.prop_map(Value::Str)].boxed()
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (0u128..(1 << 96), 0u8..=28, any::<bool>()).prop_map(|(m, s, neg)| Decimal::new(m, s, neg && m != 0).unwrap())
}

/// What `decimal.FromOACurrency` gives: the normal form a CY round-trips to.
fn currency_decimal() -> impl Strategy<Value = Decimal> {
    any::<i64>().prop_map(|c| Decimal::from_clr_currency(Currency(c)))
}

/// Millisecond DateTimes from 0100-01-01 to 9999-12-31 (a DATE keeps milliseconds).
fn datetime() -> impl Strategy<Value = DateTime> {
    (3_124_137_600_000i64..=315_537_897_599_999).prop_map(|ms| DateTime { ticks: ms * 10_000 })
}

fn object_value() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        Just(Value::DbNull),
        Just(Value::Missing),
        any::<bool>().prop_map(Value::Bool),
        any::<i8>().prop_map(Value::I8),
        any::<u8>().prop_map(Value::U8),
        any::<i16>().prop_map(Value::I16),
        any::<u16>().prop_map(Value::U16),
        any::<i32>().prop_map(Value::I32),
        any::<u32>().prop_map(Value::U32),
        any::<i64>().prop_map(Value::I64),
        any::<u64>().prop_map(Value::U64),
        any::<f64>().prop_filter("not NaN", |x| !x.is_nan()).prop_map(Value::F64),
        vec(any::<u16>(), 0..16).prop_map(Value::Str),
        decimal().prop_map(Value::Decimal),
        datetime().prop_map(Value::DateTime),
    ]
    .boxed()
}

fn safearray_element(vt: VarType) -> BoxedStrategy<Value> {
    match vt {
        VarType::I2 => prim_value(Prim::I16),
        VarType::I4 => prim_value(Prim::I32),
        VarType::UI1 => prim_value(Prim::U8),
        VarType::R8 => prim_value(Prim::F64),
        VarType::BOOL => any::<bool>().prop_map(Value::Bool).boxed(),
        VarType::BSTR => string_value(StringRepr::BStr),
        VarType::VARIANT => object_value(),
        VarType::DECIMAL => decimal().prop_map(Value::Decimal).boxed(),
        VarType::CY => currency_decimal().prop_map(Value::Decimal).boxed(),
        VarType::DATE => datetime().prop_map(Value::DateTime).boxed(),
        other => panic!("no generator for {other:?}"),
    }
}

fn value(shape: &Shape, charset: CharSet) -> BoxedStrategy<Value> {
    match shape {
        Shape::Prim(p) => prim_value(*p),
        Shape::Bool(_) => any::<bool>().prop_map(Value::Bool).boxed(),
        // An ANSI char is one UTF-8 byte: only ASCII comes back as it was.
        Shape::Char(CharRepr::Ansi) => (0u16..0x80).prop_map(Value::Char).boxed(),
        Shape::Char(_) => any::<u16>().prop_map(Value::Char).boxed(),
        Shape::Str(r) => string_value(*r),
        Shape::TStr(n) => {
            let max = *n as usize - 1;
            if charset == CharSet::Unicode {
                units_no_nul(max + 1).prop_map(Value::Str).boxed()
            } else {
                "[ -~]{0,16}".prop_map(move |s: String| Value::Str(s.encode_utf16().take(max).collect())).boxed()
            }
        }
        Shape::Array(e, n) => vec(value(e, charset), *n as usize).prop_map(Value::Array).boxed(),
        Shape::Decimal => decimal().prop_map(Value::Decimal).boxed(),
        Shape::Currency => currency_decimal().prop_map(Value::Decimal).boxed(),
        Shape::Date => datetime().prop_map(Value::DateTime).boxed(),
        Shape::Object => object_value(),
        Shape::SafeArray(vt) => {
            prop_oneof![1 => Just(Value::Null), 4 => vec(safearray_element(*vt), 0..5).prop_map(Value::Array)].boxed()
        }
        Shape::FnPtr => prop_oneof![Just(Value::Null), (1u64..).prop_map(Value::Pointer)].boxed(),
        Shape::Guid => any::<u128>().prop_map(|g| Value::Guid(Guid::from_u128(g))).boxed(),
        Shape::Struct(fields, _, cs) => {
            let strategies: Vec<BoxedStrategy<Value>> = fields.iter().map(|f| value(f, *cs)).collect();
            strategies
                .prop_map(|vals| {
                    Value::Struct(vals.into_iter().enumerate().map(|(i, v)| (Arc::from(format!("f{i}")), v)).collect())
                })
                .boxed()
        }
    }
}

fn case() -> impl Strategy<Value = (TypeDesc, Value)> {
    struct_shape().prop_flat_map(|shape| {
        let ty = desc(&shape, &mut 0);
        (Just(ty), value(&shape, CharSet::Ansi))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn to_native_then_from_native_is_identity_and_destroy_frees_everything((ty, v) in case()) {
        let check = LeakCheck::start();
        let plan = Plan::for_type(&ty, Target::host()).unwrap();
        let mut native = vec![0xA5u8; plan.size()];
        plan.to_native(&v, &mut native).unwrap();
        // SAFETY: written by to_native of this plan.
        let back = unsafe { plan.from_native(&native) }.unwrap();
        prop_assert_eq!(&back, &v);
        drop(back);
        // SAFETY: as above.
        unsafe { plan.destroy(&mut native) };
        let (co_task_mem, bstr) = check.live();
        prop_assert_eq!((co_task_mem, bstr), (0, 0));
        // Destroy nulled every owned pointer: a second destroy frees nothing.
        // SAFETY: as above, with its owned fields nulled.
        unsafe { plan.destroy(&mut native) };
        prop_assert_eq!(check.live(), (0, 0));
    }

    #[test]
    fn a_conversion_failing_part_way_frees_what_it_allocated((ty, v) in case()) {
        let check = LeakCheck::start();
        let plan = Plan::for_type(&ty, Target::host()).unwrap();
        // An empty struct value fits no field form: the last field fails after all
        // the others were converted (and allocated).
        let Value::Struct(mut fields) = v else { unreachable!() };
        fields.last_mut().unwrap().1 = Value::Struct(Vec::new());
        let mut native = vec![0u8; plan.size()];
        prop_assert!(plan.to_native(&Value::Struct(fields), &mut native).is_err());
        prop_assert_eq!(check.live(), (0, 0));
    }
}

#[test]
fn the_generators_cover_every_form() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    fn walk(ty: &TypeDesc, seen: &mut std::collections::BTreeSet<String>) {
        let name = ty.display_name();
        seen.insert(name.split(['(', '[', ' ']).next().unwrap_or("").to_string());
        if let TypeDesc::Struct(s) = ty {
            for f in s.fields() {
                walk(&f.ty, seen);
            }
        }
    }
    for _ in 0..256 {
        let (ty, _) = case().new_tree(&mut runner).unwrap().current();
        walk(&ty, &mut seen);
    }
    eprintln!("{seen:?}");
    assert!(seen.len() >= 12, "{seen:?}");
}

#[test]
fn datetime_boundaries_round_trip_through_a_date() {
    for ticks in [3_124_137_600_000 * 10_000, 315_537_897_599_999 * 10_000, 599_264_352_000_000_000] {
        let t = DateTime { ticks };
        assert_eq!(DateTime::from_ole_date(t.to_ole_date().unwrap()), Some(t), "{ticks}");
    }
}
