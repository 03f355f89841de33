//! `#[derive(Marshal)]` against the golden vectors (bytes recorded from the CLR
//! marshaler, corrected to CoreCLR where the verdicts say so) and against the
//! runtime plan built from the same descriptor: both paths must give the same bytes.

use std::sync::Arc;

use marshal_core::marshal::Marshal;
use marshal_core::plan::Plan;
use marshal_core::value::Value;
use marshal_core::{Layout, Target};

/// mono_layout S_BoolVariantBool / S_BoolDefault shapes.
#[derive(Marshal, Debug, PartialEq, Clone)]
struct BoolVariantBool {
    a: u8,
    #[marshal(as = variant_bool)]
    b: bool,
    c: u8,
}

#[derive(Marshal, Debug, PartialEq, Clone)]
struct BoolDefault {
    a: u8,
    b: bool,
    c: u8,
}

/// mono_layout S_CharAnsi (CoreCLR expected bytes a2 e4 41 c3).
#[derive(Marshal, Debug, PartialEq, Clone)]
struct CharAnsi {
    a: u8,
    #[marshal(as = char)]
    c1: u16,
    #[marshal(as = char)]
    c2: u16,
    #[marshal(as = char)]
    c3: u16,
}

/// mono_layout S_Nested: a byte, S_Inner { short x; long y; }, a byte; 32 bytes.
#[derive(Marshal, Debug, PartialEq, Clone)]
struct Inner {
    x: i16,
    y: i64,
}

#[derive(Marshal, Debug, PartialEq, Clone)]
struct Nested {
    a: u8,
    inner: Inner,
    b: u8,
}

/// mono_layout S_NestedP1: the same under Pack = 1 (18 bytes).
#[derive(Marshal, Debug, PartialEq, Clone)]
#[marshal(pack = 1)]
struct NestedP1 {
    a: u8,
    inner: Inner,
    b: u8,
}

/// mono_layout S_ArrBoolVB (CoreCLR expected a2 00 ffff ffff ffff).
#[derive(Marshal, Debug, PartialEq, Clone)]
struct ArrBoolVb {
    a: u8,
    #[marshal(as = by_val_array(3), elem = variant_bool)]
    b: [bool; 3],
}

/// mono_layout E_Gaps: explicit offsets 1, 4, 10; 12 bytes.
#[derive(Marshal, Debug, PartialEq, Clone)]
#[marshal(layout = explicit)]
struct Gaps {
    #[marshal(offset = 1)]
    a: u8,
    #[marshal(offset = 4)]
    b: i32,
    #[marshal(offset = 10)]
    c: i16,
}

/// A Unicode struct: chars are UTF-16 (blittable) there.
#[derive(Marshal, Debug, PartialEq, Clone)]
#[marshal(charset = unicode, size = 16)]
struct UnicodeChars {
    #[marshal(as = char)]
    c: u16,
    n: [i32; 2],
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn to_native<T: Marshal>(v: &T) -> Vec<u8> {
    let mut out = vec![0xCC; T::NATIVE_SIZE];
    v.to_native(&mut out).unwrap();
    out
}

#[test]
fn derived_bytes_equal_the_vectors() {
    assert_eq!(hex(&to_native(&BoolVariantBool { a: 0xa2, b: true, c: 0xa4 })), "a200ffffa400");
    assert_eq!(hex(&to_native(&BoolDefault { a: 0xa2, b: true, c: 0xa4 })), "a200000001000000a4000000");
    assert_eq!(hex(&to_native(&CharAnsi { a: 0xa2, c1: 20013, c2: 65, c3: 233 })), "a2e441c3");
    let nested = Nested { a: 0xa2, inner: Inner { x: -261, y: -72623859790382862 }, b: 0xa4 };
    assert_eq!(Nested::NATIVE_SIZE, 32);
    assert_eq!(&hex(&to_native(&nested))[..6], "a20000");
    assert_eq!(NestedP1::NATIVE_SIZE, 18);
    assert_eq!(hex(&to_native(&ArrBoolVb { a: 0xa2, b: [true; 3] })), "a200ffffffffffff");
    assert_eq!(Gaps::NATIVE_SIZE, 12);
    assert_eq!(hex(&to_native(&Gaps { a: 1, b: 2, c: 3 })), "000100000200000000000300");
}

#[test]
fn derived_read_back_follows_the_clr() {
    let bytes = to_native(&CharAnsi { a: 0xa2, c1: 20013, c2: 65, c3: 233 });
    // SAFETY: bytes produced by to_native of the same type.
    let back = unsafe { CharAnsi::from_native(&bytes) }.unwrap();
    assert_eq!(back, CharAnsi { a: 0xa2, c1: 0xFFFD, c2: 65, c3: 0xFFFD });
    let v = ArrBoolVb { a: 7, b: [true, false, true] };
    // SAFETY: as above.
    assert_eq!(unsafe { ArrBoolVb::from_native(&to_native(&v)) }.unwrap(), v);
}

/// The runtime path (a Plan over a Value built from the same field values) and
/// the derive path produce identical bytes, and the derive's constant layout
/// equals Layout::of of its own descriptor.
#[test]
fn derive_and_runtime_paths_agree() {
    fn check<T: Marshal>(v: &T, value: Value) {
        let desc = T::type_desc();
        let layout = Layout::of(&desc).unwrap();
        assert_eq!(layout.size() as usize, T::NATIVE_SIZE);
        assert_eq!(layout.align() as usize, T::NATIVE_ALIGN);
        let plan = Plan::for_type(&desc, Target::host()).unwrap();
        let mut runtime = vec![0xCC; plan.size()];
        plan.to_native(&value, &mut runtime).unwrap();
        assert_eq!(to_native(v), runtime);
    }
    let f = |pairs: Vec<(&str, Value)>| Value::Struct(pairs.into_iter().map(|(n, v)| (Arc::from(n), v)).collect());
    check(
        &BoolVariantBool { a: 1, b: true, c: 2 },
        f(vec![("a", Value::U8(1)), ("b", Value::Bool(true)), ("c", Value::U8(2))]),
    );
    check(
        &CharAnsi { a: 1, c1: 0x4e2d, c2: 0x41, c3: 0xd800 },
        f(vec![
            ("a", Value::U8(1)),
            ("c1", Value::Char(0x4e2d)),
            ("c2", Value::Char(0x41)),
            ("c3", Value::Char(0xd800)),
        ]),
    );
    let inner = |x, y| f(vec![("x", Value::I16(x)), ("y", Value::I64(y))]);
    check(
        &NestedP1 { a: 1, inner: Inner { x: -5, y: 1 << 40 }, b: 9 },
        f(vec![("a", Value::U8(1)), ("inner", inner(-5, 1 << 40)), ("b", Value::U8(9))]),
    );
    check(&Gaps { a: 1, b: -2, c: 3 }, f(vec![("a", Value::U8(1)), ("b", Value::I32(-2)), ("c", Value::I16(3))]));
    check(
        &UnicodeChars { c: 0x20ac, n: [1, -1] },
        f(vec![("c", Value::Char(0x20ac)), ("n", Value::Array(vec![Value::I32(1), Value::I32(-1)]))]),
    );
}
