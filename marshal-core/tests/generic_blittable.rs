//! Generic blittable structs. The CLR refuses generic types in most marshaling
//! (`Marshal.SizeOf` / `StructureToPtr` throw ArgumentException for a generic
//! instantiation; only blittable generic structs cross P/Invoke, since .NET Core
//! 3.0). Here a generic struct is an ordinary native type per instantiation: its
//! layout is checked against the CLR's rules when the instantiation is used, its
//! descriptor is named after its type arguments, and it crosses by pointer.

use marshal_core::marshal::Marshal;
use marshal_core::plan::Plan;
use marshal_core::value::Value;
use marshal_core::{classify, pin, Blittable, Layout, Target, TypeDesc};

/// `struct Pair<T> { T a; T b; }`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Default, Blittable)]
struct Pair<T: Blittable> {
    a: T,
    b: T,
}

// SAFETY: two fields of the same Pod type: no padding, every bit pattern valid.
unsafe impl<T: Blittable> bytemuck::Zeroable for Pair<T> {}
// SAFETY: as above.
unsafe impl<T: Blittable> bytemuck::Pod for Pair<T> {}

/// A generic struct with a converted field beside the generic ones: only the derive
/// path (no `Blittable`), each `T` field in its own native form.
#[derive(Marshal, Debug, Clone, PartialEq)]
struct Tagged<T: Blittable> {
    #[marshal(as = native)]
    value: T,
    flag: bool,
    #[marshal(as = native)]
    pair: Pair<T>,
}

#[test]
fn each_instantiation_has_the_clr_layout_of_its_arguments() {
    let p32 = Pair::<i32>::type_desc();
    let p64 = Pair::<f64>::type_desc();
    let pbytes = Pair::<[u8; 3]>::type_desc();
    assert_eq!(p32.as_struct().unwrap().name(), "Pair<i32>");
    assert_eq!(p64.as_struct().unwrap().name(), "Pair<f64>");
    for (desc, size, b) in [(&p32, 8, 4), (&p64, 16, 8), (&pbytes, 6, 3)] {
        let l = Layout::of(desc).unwrap();
        assert_eq!((l.size(), l.offset_of("b")), (size, Some(b)));
        assert!(classify(desc).is_blittable());
    }
    assert_eq!(core::mem::size_of::<Pair<f64>>(), 16);
    // Nested generics: Pair<Pair<i16>> is 8 bytes, its `b.a` at 4.
    let nested = Pair::<Pair<i16>>::type_desc();
    assert_eq!(Layout::of(&nested).unwrap().offset_of("b.a"), Some(4));
}

#[test]
fn a_generic_blittable_struct_crosses_by_pointer_and_matches_the_runtime_plan() {
    let mut pairs = [Pair { a: 1.5f64, b: -2.0 }, Pair { a: 3.0, b: 4.0 }];
    // Zero-copy: native code sees the caller's memory.
    let mut view = pin::pin_slice_mut(&mut pairs);
    // SAFETY: the view points at two live Pair<f64>s; this stands in for native code.
    unsafe { (*view.as_mut_ptr().add(1)).b = 40.0 };
    assert_eq!(pairs[1].b, 40.0);
    // The runtime plan of the same descriptor writes the Rust bytes.
    let plan = Plan::for_type(&Pair::<f64>::type_desc(), Target::host()).unwrap();
    assert!(plan.is_blittable());
    let mut native = vec![0u8; plan.size()];
    let v = Value::Struct(vec![("a".into(), Value::F64(1.5)), ("b".into(), Value::F64(-2.0))]);
    plan.to_native(&v, &mut native).unwrap();
    assert_eq!(native, bytemuck::bytes_of(&Pair { a: 1.5f64, b: -2.0 }));
}

#[test]
fn a_generic_struct_with_converted_fields_marshals_per_instantiation() {
    let t = Tagged { value: 7u16, flag: true, pair: Pair { a: 1, b: 2 } };
    assert_eq!(Tagged::<u16>::NATIVE_SIZE, 2 + 2 + 4 + 4); // u16, pad, BOOL, Pair<u16>
    let desc = Tagged::<u16>::type_desc();
    assert_eq!(desc.as_struct().unwrap().name(), "Tagged<u16>");
    assert_eq!(desc.as_struct().unwrap().fields()[2].ty, Pair::<u16>::type_desc());
    let mut native = vec![0u8; Tagged::<u16>::NATIVE_SIZE];
    t.to_native(&mut native).unwrap();
    assert_eq!(native, [7, 0, 0, 0, 1, 0, 0, 0, 1, 0, 2, 0]);
    // SAFETY: written just above.
    assert_eq!(unsafe { Tagged::<u16>::from_native(&native) }.unwrap(), t);
    let plan = Plan::for_type(&desc, Target::host()).unwrap();
    let mut runtime = vec![0u8; plan.size()];
    let pair = Value::Struct(vec![("a".into(), Value::U16(1)), ("b".into(), Value::U16(2))]);
    let v =
        Value::Struct(vec![("value".into(), Value::U16(7)), ("flag".into(), Value::Bool(true)), ("pair".into(), pair)]);
    plan.to_native(&v, &mut runtime).unwrap();
    assert_eq!(runtime, native);
    assert!(matches!(desc, TypeDesc::Struct(_)));
}
