//! The report's fixed suite: one [`Case`] per (conversion, input), each with the
//! engine's operation, its baselines and the memcpy ceiling, all measured in the
//! same run. Families add their cases here as their conversions land.

use std::hint::black_box;
use std::sync::Arc;

use marshal_core::plan::Plan;
use marshal_core::value::Value;
use marshal_core::{pin, StructBuilder, Target, TypeDesc};

/// A boxed operation to time.
pub type Op = Box<dyn FnMut()>;

/// One row of the report.
pub struct Case {
    /// Conversion family and direction, e.g. `struct/to_native`.
    pub conversion: &'static str,
    /// The input, e.g. `blittable 32 B`.
    pub input: String,
    /// Bytes moved per operation (for throughput), if meaningful.
    pub bytes: Option<u64>,
    /// Elements per operation (for elements/s), if meaningful.
    pub elements: Option<u64>,
    /// The engine's operation.
    pub ours: Op,
    /// Baselines measured in the same run (std, a hand-written conversion, …).
    pub baselines: Vec<(&'static str, Op)>,
    /// `copy_from_slice` of the same bytes: the physical ceiling.
    pub memcpy: Option<Op>,
}

/// The blittable struct of `anchors.md` §3 (a): 4 × int32 + 2 × double (32 B).
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Blit32 {
    /// Field.
    pub a: i32,
    /// Field.
    pub b: i32,
    /// Field.
    pub c: i32,
    /// Field.
    pub d: i32,
    /// Field.
    pub x: f64,
    /// Field.
    pub y: f64,
}

fn blit32_desc() -> TypeDesc {
    StructBuilder::sequential("Blit32")
        .field("a", TypeDesc::I32)
        .field("b", TypeDesc::I32)
        .field("c", TypeDesc::I32)
        .field("d", TypeDesc::I32)
        .field("x", TypeDesc::F64)
        .field("y", TypeDesc::F64)
        .build()
        .expect("valid")
}

fn blit32_value() -> Value {
    Value::Struct(vec![
        (Arc::from("a"), Value::I32(1)),
        (Arc::from("b"), Value::I32(2)),
        (Arc::from("c"), Value::I32(3)),
        (Arc::from("d"), Value::I32(4)),
        (Arc::from("x"), Value::F64(5.0)),
        (Arc::from("y"), Value::F64(6.0)),
    ])
}

/// A struct with a bool, a char and a nested blittable pair: every field converted.
fn mixed_desc() -> TypeDesc {
    let pair = StructBuilder::sequential("Pair").field("x", TypeDesc::F64).field("y", TypeDesc::F64).build().unwrap();
    StructBuilder::sequential("Mixed")
        .field("id", TypeDesc::I32)
        .field("flag", TypeDesc::bool_win32())
        .field("c", TypeDesc::char_default())
        .field("pair", pair)
        .build()
        .expect("valid")
}

fn mixed_value() -> Value {
    Value::Struct(vec![
        (Arc::from("id"), Value::I32(7)),
        (Arc::from("flag"), Value::Bool(true)),
        (Arc::from("c"), Value::Char(b'A' as u16)),
        (Arc::from("pair"), Value::Struct(vec![(Arc::from("x"), Value::F64(1.0)), (Arc::from("y"), Value::F64(2.0))])),
    ])
}

/// Every case of the suite, in report order.
pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    crate::suite_strings::cases(&mut v);
    crate::suite_ole::variant_cases(&mut v);
    crate::suite_ole::safearray_cases(&mut v);
    structs(&mut v);
    crate::suite_structs::cases(&mut v);
    blittable_arrays(&mut v);
    crate::suite_ole::pinvoke_cases(&mut v);
    v
}

fn structs(v: &mut Vec<Case>) {
    let target = Target::host();
    // (a) blittable: the runtime plan says "blittable", so the bytes cross with one copy.
    let plan = Plan::for_type(&blit32_desc(), target).expect("plan");
    let src = Blit32 { a: 1, b: 2, c: 3, d: 4, x: 5.0, y: 6.0 };
    let mut dst = [0u8; 32];
    let src2 = src;
    let mut dst2 = [0u8; 32];
    let src3 = src;
    v.push(Case {
        conversion: "struct/to_native",
        input: "blittable 32 B (plan: one copy)".into(),
        bytes: Some(32),
        elements: Some(1),
        ours: Box::new(move || {
            let bytes = bytemuck::bytes_of(black_box(&src));
            if plan.is_blittable() {
                dst.copy_from_slice(bytes);
            }
            black_box(&dst);
        }),
        baselines: vec![(
            "hand-written",
            Box::new(move || {
                let s = black_box(&src3);
                let copy = Blit32 { a: s.a, b: s.b, c: s.c, d: s.d, x: s.x, y: s.y };
                black_box(copy);
            }),
        )],
        memcpy: Some(Box::new(move || {
            dst2.copy_from_slice(bytemuck::bytes_of(black_box(&src2)));
            black_box(&dst2);
        })),
    });

    // (a) again, from a runtime Value tree (an interop layer without a Rust type).
    let plan = Plan::for_type(&blit32_desc(), target).expect("plan");
    let value = blit32_value();
    let mut out = vec![0u8; plan.size()];
    let src = Blit32 { a: 1, b: 2, c: 3, d: 4, x: 5.0, y: 6.0 };
    let mut dst = [0u8; 32];
    v.push(Case {
        conversion: "struct/to_native",
        input: "blittable 32 B from Value".into(),
        bytes: Some(32),
        elements: Some(1),
        ours: Box::new(move || {
            plan.to_native(black_box(&value), &mut out).expect("converts");
            black_box(&out);
        }),
        baselines: vec![(
            "hand-written",
            Box::new(move || {
                let s = black_box(&src);
                dst[0..4].copy_from_slice(&s.a.to_le_bytes());
                dst[4..8].copy_from_slice(&s.b.to_le_bytes());
                dst[8..12].copy_from_slice(&s.c.to_le_bytes());
                dst[12..16].copy_from_slice(&s.d.to_le_bytes());
                dst[16..24].copy_from_slice(&s.x.to_le_bytes());
                dst[24..32].copy_from_slice(&s.y.to_le_bytes());
                black_box(&dst);
            }),
        )],
        memcpy: None,
    });

    // A converted struct: BOOL, ANSI char, nested pair.
    let plan = Plan::for_type(&mixed_desc(), target).expect("plan");
    let value = mixed_value();
    let mut out = vec![0u8; plan.size()];
    let mut dst = vec![0u8; plan.size()];
    let (id, flag, c, x, y) = (7i32, true, b'A' as u16, 1.0f64, 2.0f64);
    v.push(Case {
        conversion: "struct/to_native",
        input: "bool + ANSI char + nested (Value)".into(),
        bytes: None,
        elements: Some(1),
        ours: Box::new(move || {
            plan.to_native(black_box(&value), &mut out).expect("converts");
            black_box(&out);
        }),
        baselines: vec![(
            "hand-written",
            Box::new(move || {
                dst[0..4].copy_from_slice(&black_box(id).to_le_bytes());
                dst[4..8].copy_from_slice(&(black_box(flag) as i32).to_le_bytes());
                dst[8] = black_box(c) as u8;
                dst[16..24].copy_from_slice(&black_box(x).to_le_bytes());
                dst[24..32].copy_from_slice(&black_box(y).to_le_bytes());
                black_box(&dst);
            }),
        )],
        memcpy: None,
    });
}

fn blittable_arrays(v: &mut Vec<Case>) {
    let data: Vec<f64> = (0..131_072).map(|i| i as f64).collect();
    let data2 = data.clone();
    let mut copy = vec![0f64; data.len()];
    v.push(Case {
        conversion: "blittable/pass",
        input: "1 MiB f64 array (zero-copy view)".into(),
        bytes: Some(1 << 20),
        elements: Some(131_072),
        ours: Box::new(move || {
            let view = pin::pin_slice(black_box(&data));
            black_box(view.as_ptr());
        }),
        baselines: Vec::new(),
        memcpy: Some(Box::new(move || {
            copy.copy_from_slice(black_box(&data2));
            black_box(&copy);
        })),
    });
}
