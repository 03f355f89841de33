//! `#[derive(Blittable)]`: the descriptor it builds lays out exactly as rustc lays
//! out the `#[repr(C)]` type (rustc is the independent check), packed and generic
//! structs included.

use core::mem::{offset_of, size_of};

use marshal_core::pin::pin_slice;
use marshal_core::{classify, Blittable, Layout};

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, Blittable)]
struct Sample {
    a: u32,
    b: u16,
    c: u16,
    d: f64,
    e: [u8; 8],
}

#[repr(C, packed(2))]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, Blittable)]
struct Packed2 {
    tag: u16,
    value: u64,
    small: [i16; 3],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, Blittable)]
struct Outer {
    head: u64,
    inner: Sample,
    pair: Pair<i32>,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Zeroable, Blittable)]
struct Pair<T> {
    first: T,
    second: T,
}
// SAFETY: Pair<T> is two T with no padding between them when T is Pod.
unsafe impl<T: bytemuck::Pod> bytemuck::Pod for Pair<T> {}

#[test]
fn derived_descriptors_match_rustc_offsets() {
    let l = Layout::of(&Sample::type_desc()).unwrap();
    assert_eq!(l.size() as usize, size_of::<Sample>());
    assert_eq!(l.offset_of("b"), Some(offset_of!(Sample, b) as u32));
    assert_eq!(l.offset_of("d"), Some(offset_of!(Sample, d) as u32));
    assert_eq!(l.offset_of("e"), Some(offset_of!(Sample, e) as u32));

    let l = Layout::of(&Packed2::type_desc()).unwrap();
    assert_eq!(l.size() as usize, size_of::<Packed2>());
    assert_eq!(l.offset_of("value"), Some(offset_of!(Packed2, value) as u32));
    assert_eq!(l.offset_of("small"), Some(offset_of!(Packed2, small) as u32));

    let l = Layout::of(&Outer::type_desc()).unwrap();
    assert_eq!(l.size() as usize, size_of::<Outer>());
    assert_eq!(l.offset_of("inner.d"), Some((offset_of!(Outer, inner) + offset_of!(Sample, d)) as u32));
    assert_eq!(l.offset_of("pair.second"), Some((offset_of!(Outer, pair) + offset_of!(Pair<i32>, second)) as u32));
}

#[test]
fn derived_types_classify_as_blittable_and_pass_without_copy() {
    assert!(classify(&Outer::type_desc()).is_blittable());
    assert!(classify(&Pair::<f64>::type_desc()).is_blittable());
    let data = [Sample { a: 1, b: 2, c: 3, d: 4.0, e: [5; 8] }; 3];
    let view = pin_slice(&data);
    assert_eq!(view.as_ptr(), data.as_ptr());
    assert_eq!(view.byte_len(), 3 * size_of::<Sample>());
}
