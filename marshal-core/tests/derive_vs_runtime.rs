//! The derive path and the runtime path agree byte for byte on a fixed corpus of
//! `#[derive(Marshal)]` types holding every field form, for random values:
//!
//! - both write the same native bytes (pointer values differ, so pointer fields are
//!   compared by what they point to: each path reads the other's bytes back);
//! - `PtrToStructure` of either path's bytes gives the value back, in either path;
//! - `DestroyStructure` of either path frees what either allocated.

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;

use marshal_core::alloc::tracking::LeakCheck;
use marshal_core::marshal::Marshal;
use marshal_core::plan::Plan;
use marshal_core::value::{DateTime, Value};
use marshal_core::variant::{Currency, Decimal};
use marshal_core::{Layout, Target, TypeDesc, VarType};

#[derive(Marshal, Debug, Clone, PartialEq)]
struct Inner {
    a: i16,
    #[marshal(as = variant_bool)]
    flag: bool,
    b: i64,
}

/// Unicode: chars and default strings are UTF-16.
#[derive(Marshal, Debug, Clone, PartialEq)]
#[marshal(charset = unicode)]
struct Mixed {
    id: i32,
    ok: bool,
    #[marshal(as = variant_bool)]
    vb: bool,
    #[marshal(as = char)]
    c: u16,
    name: String,
    #[marshal(as = lpstr)]
    narrow: Option<String>,
    #[marshal(as = bstr)]
    b: Option<String>,
    #[marshal(as = by_val_tstr(6))]
    tag: String,
    #[marshal(as = by_val_array(3), elem = u1)]
    bits: [bool; 3],
    dec: Decimal,
    #[marshal(as = currency)]
    price: Decimal,
    when: DateTime,
    obj: Value,
    #[marshal(as = safearray(I4))]
    list: Vec<i32>,
    inner: Inner,
    x: f64,
    shorts: [i16; 4],
}

/// ANSI: chars are one UTF-8 byte, char arrays one UTF-8 string, default strings LPStr.
#[derive(Marshal, Debug, Clone, PartialEq)]
struct Ansi {
    #[marshal(as = char)]
    c: u16,
    s: Option<String>,
    #[marshal(as = lputf8str)]
    u: String,
    #[marshal(as = ansi_bstr)]
    ab: Option<String>,
    #[marshal(as = by_val_tstr(5))]
    tag: String,
    #[marshal(as = by_val_array(4), elem = char)]
    chars: [u16; 4],
    #[marshal(as = lptstr)]
    t: Option<String>,
}

#[derive(Marshal, Debug, Clone, PartialEq)]
#[marshal(pack = 1)]
struct Packed {
    a: u8,
    b: i64,
    s: String,
    ok: bool,
    #[marshal(as = safearray(BSTR))]
    names: Vec<String>,
}

/// A union of scalars with a string beside it (a reference may not overlap).
#[derive(Marshal, Debug, Clone, PartialEq)]
#[marshal(layout = explicit)]
struct Union {
    #[marshal(offset = 0)]
    i: i32,
    #[marshal(offset = 4)]
    pad: u32,
    #[marshal(offset = 8)]
    #[marshal(as = lpwstr)]
    s: String,
}

fn st(fields: Vec<(&str, Value)>) -> Value {
    Value::Struct(fields.into_iter().map(|(n, v)| (Arc::from(n), v)).collect())
}

fn opt(s: &Option<String>) -> Value {
    s.as_deref().map_or(Value::Null, Value::str)
}

fn inner_value(i: &Inner) -> Value {
    st(vec![("a", Value::I16(i.a)), ("flag", Value::Bool(i.flag)), ("b", Value::I64(i.b))])
}

fn mixed_value(m: &Mixed) -> Value {
    st(vec![
        ("id", Value::I32(m.id)),
        ("ok", Value::Bool(m.ok)),
        ("vb", Value::Bool(m.vb)),
        ("c", Value::Char(m.c)),
        ("name", Value::str(&m.name)),
        ("narrow", opt(&m.narrow)),
        ("b", opt(&m.b)),
        ("tag", Value::str(&m.tag)),
        ("bits", Value::Array(m.bits.iter().map(|&b| Value::Bool(b)).collect())),
        ("dec", Value::Decimal(m.dec)),
        ("price", Value::Decimal(m.price)),
        ("when", Value::DateTime(m.when)),
        ("obj", m.obj.clone()),
        ("list", Value::Array(m.list.iter().map(|&x| Value::I32(x)).collect())),
        ("inner", inner_value(&m.inner)),
        ("x", Value::F64(m.x)),
        ("shorts", Value::Array(m.shorts.iter().map(|&x| Value::I16(x)).collect())),
    ])
}

fn ansi_value(a: &Ansi) -> Value {
    st(vec![
        ("c", Value::Char(a.c)),
        ("s", opt(&a.s)),
        ("u", Value::str(&a.u)),
        ("ab", opt(&a.ab)),
        ("tag", Value::str(&a.tag)),
        ("chars", Value::Array(a.chars.iter().map(|&c| Value::Char(c)).collect())),
        ("t", opt(&a.t)),
    ])
}

fn packed_value(p: &Packed) -> Value {
    st(vec![
        ("a", Value::U8(p.a)),
        ("b", Value::I64(p.b)),
        ("s", Value::str(&p.s)),
        ("ok", Value::Bool(p.ok)),
        ("names", Value::Array(p.names.iter().map(|s| Value::str(s)).collect())),
    ])
}

fn union_value(u: &Union) -> Value {
    st(vec![("i", Value::I32(u.i)), ("pad", Value::U32(u.pad)), ("s", Value::str(&u.s))])
}

/// Offsets of the pointer-holding bytes of a native struct of `ty` (string and
/// SAFEARRAY pointers, a VARIANT's BSTR payload), nested structs included.
fn pointer_bytes(ty: &TypeDesc, native: &[u8], base: usize, out: &mut Vec<usize>) {
    let s = ty.as_struct().unwrap();
    let layout = Layout::of(ty).unwrap();
    for (f, fl) in s.fields().iter().zip(layout.fields()) {
        let at = base + fl.offset as usize;
        match &f.ty {
            TypeDesc::String(_) | TypeDesc::SafeArray(_) | TypeDesc::Interface(_) => out.push(at),
            TypeDesc::Variant if native[at] == VarType::BSTR.0 as u8 => out.push(at + 8),
            TypeDesc::Struct(_) => pointer_bytes(&f.ty, native, at, out),
            _ => {}
        }
    }
}

fn masked(ty: &TypeDesc, native: &[u8]) -> Vec<u8> {
    let mut at = Vec::new();
    pointer_bytes(ty, native, 0, &mut at);
    let mut b = native.to_vec();
    for p in at {
        b[p..p + 8].fill(0);
    }
    b
}

fn agree<T: Marshal + PartialEq + std::fmt::Debug>(v: &T, value: Value) -> Result<(), TestCaseError> {
    let check = LeakCheck::start();
    let ty = T::type_desc();
    let plan = Plan::for_type(&ty, Target::host()).unwrap();
    prop_assert_eq!(plan.size(), T::NATIVE_SIZE);
    let mut derived = vec![0x11u8; T::NATIVE_SIZE];
    let mut runtime = vec![0x22u8; T::NATIVE_SIZE];
    v.to_native(&mut derived).unwrap();
    plan.to_native(&value, &mut runtime).unwrap();
    prop_assert_eq!(masked(&ty, &derived), masked(&ty, &runtime));
    // SAFETY: both buffers were written by to_native of this type.
    unsafe {
        prop_assert_eq!(&T::from_native(&runtime).unwrap(), v);
        prop_assert_eq!(&T::from_native(&derived).unwrap(), v);
        prop_assert_eq!(plan.from_native(&derived).unwrap(), value.clone());
        // Each path destroys what the other allocated.
        T::destroy_native(&mut runtime);
        plan.destroy(&mut derived);
    }
    prop_assert_eq!(check.live(), (0, 0));
    Ok(())
}

fn text() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,12}"
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (0u128..(1 << 96), 0u8..=28, any::<bool>()).prop_map(|(m, s, n)| Decimal::new(m, s, n && m != 0).unwrap())
}

fn datetime() -> impl Strategy<Value = DateTime> {
    (3_124_137_600_000i64..=315_537_897_599_999).prop_map(|ms| DateTime { ticks: ms * 10_000 })
}

fn object() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i32>().prop_map(Value::I32),
        any::<bool>().prop_map(Value::Bool),
        text().prop_map(|s| Value::str(&s)),
        decimal().prop_map(Value::Decimal),
        any::<f64>().prop_filter("not NaN", |x| !x.is_nan()).prop_map(Value::F64),
    ]
}

fn inner() -> impl Strategy<Value = Inner> {
    (any::<i16>(), any::<bool>(), any::<i64>()).prop_map(|(a, flag, b)| Inner { a, flag, b })
}

fn mixed() -> impl Strategy<Value = Mixed> {
    (
        (any::<i32>(), any::<bool>(), any::<bool>(), any::<u16>(), text(), prop::option::of(text())),
        (prop::option::of(text()), "[a-zé€日]{0,5}", any::<[bool; 3]>(), decimal(), any::<i64>(), datetime()),
        (object(), vec(any::<i32>(), 0..4), inner(), any::<f64>().prop_filter("", |x| !x.is_nan()), any::<[i16; 4]>()),
    )
        .prop_map(
            |((id, ok, vb, c, name, narrow), (b, tag, bits, dec, cy, when), (obj, list, inner, x, shorts))| Mixed {
                id,
                ok,
                vb,
                c,
                name,
                narrow,
                b,
                tag,
                bits,
                dec,
                price: Decimal::from_clr_currency(Currency(cy)),
                when,
                obj,
                list,
                inner,
                x,
                shorts,
            },
        )
}

fn ansi() -> impl Strategy<Value = Ansi> {
    (
        0u16..0x80,
        prop::option::of(text()),
        text(),
        prop::option::of(text()),
        "[ -~]{0,4}",
        "[ -~]{4}",
        prop::option::of(text()),
    )
        .prop_map(|(c, s, u, ab, tag, chars, t)| {
            let units: Vec<u16> = chars.encode_utf16().collect();
            Ansi { c, s, u, ab, tag, chars: [units[0], units[1], units[2], units[3]], t }
        })
}

fn packed() -> impl Strategy<Value = Packed> {
    (any::<u8>(), any::<i64>(), text(), any::<bool>(), vec(text(), 0..3)).prop_map(|(a, b, s, ok, names)| Packed {
        a,
        b,
        s,
        ok,
        names,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn mixed_paths_agree(m in mixed()) {
        agree(&m, mixed_value(&m))?;
    }

    #[test]
    fn ansi_paths_agree(a in ansi()) {
        agree(&a, ansi_value(&a))?;
    }

    #[test]
    fn packed_paths_agree(p in packed()) {
        agree(&p, packed_value(&p))?;
    }

    #[test]
    fn union_paths_agree(i in any::<i32>(), pad in any::<u32>(), s in text()) {
        let u = Union { i, pad, s };
        agree(&u, union_value(&u))?;
    }
}

#[test]
fn the_derive_writes_the_runtime_builders_descriptors() {
    use marshal_core::{BoolRepr, CharRepr, CharSet, StringRepr, StructBuilder};
    let inner = StructBuilder::sequential("Inner")
        .field("a", TypeDesc::I16)
        .field("flag", TypeDesc::Bool(BoolRepr::VariantBool))
        .field("b", TypeDesc::I64)
        .build()
        .unwrap();
    assert_eq!(Inner::type_desc(), inner);
    let ansi = StructBuilder::sequential("Ansi")
        .field("c", TypeDesc::Char(CharRepr::ByCharSet))
        .field("s", TypeDesc::String(StringRepr::ByCharSet))
        .field("u", TypeDesc::String(StringRepr::LPUTF8Str))
        .field("ab", TypeDesc::String(StringRepr::AnsiBStr))
        .field("tag", TypeDesc::ByValTStr(5))
        .field("chars", TypeDesc::by_val_array(TypeDesc::Char(CharRepr::ByCharSet), 4))
        .field("t", TypeDesc::String(StringRepr::LPTStr))
        .build()
        .unwrap();
    assert_eq!(Ansi::type_desc(), ansi);
    let union = StructBuilder::explicit("Union")
        .field_at("i", 0, TypeDesc::I32)
        .field_at("pad", 4, TypeDesc::U32)
        .field_at("s", 8, TypeDesc::String(StringRepr::LPWStr))
        .build()
        .unwrap();
    assert_eq!(Union::type_desc(), union);
    assert_eq!(Mixed::type_desc().as_struct().unwrap().charset(), CharSet::Unicode);
    assert_eq!(Packed::NATIVE_SIZE, 1 + 8 + 8 + 4 + 8);
}
