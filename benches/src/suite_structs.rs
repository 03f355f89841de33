//! Struct cases of the suite (anchors.md §3): the runtime plan over a `Value`
//! tree, the `#[derive(Marshal)]` code and a hand-written conversion of the same
//! struct, in the same run, with memcpy as the ceiling where the struct is
//! blittable.
//!
//! - (a) 4 × int32 + 2 × double (blittable, 32 B);
//! - (b) (a) + one `LPWStr` of 32 chars: `StructureToPtr + DestroyStructure`, and
//!   `PtrToStructure`;
//! - (c) `LPStr`, `LPWStr`, `ByValTStr(32)`, `BStr` (CharSet.Unicode);
//! - (d) 10 000 × (b) to native (an `[In] SB[10000]` array), then freed.
//!
//! Hand-written = the fields copied at their offsets and each string
//! allocated (CoTaskMem = malloc) and copied as UTF-16 from UTF-16 text, freed
//! afterwards: the floor an engine can reach (anchors' "Rust hand-written").

use std::hint::black_box;
use std::sync::Arc;

use marshal_core::alloc::CoTaskMem;
use marshal_core::marshal::Marshal;
use marshal_core::plan::Plan;
use marshal_core::value::Value;
use marshal_core::Target;
use widestring::U16String;

use crate::suite::Case;

/// (a): 4 × int32 + 2 × double, blittable.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable, Marshal)]
pub struct A {
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

/// (b): (a) + one LPWStr.
#[derive(Clone, Debug, Default, PartialEq, Marshal)]
pub struct B {
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
    /// LPWStr, from UTF-16 text.
    #[marshal(as = lpwstr)]
    pub s: U16String,
}

/// (c): the four string forms of anchors.md c4, CharSet.Unicode.
#[derive(Clone, Debug, Default, PartialEq, Marshal)]
#[marshal(charset = unicode)]
pub struct C4 {
    /// LPStr.
    #[marshal(as = lpstr)]
    pub a: U16String,
    /// LPWStr.
    #[marshal(as = lpwstr)]
    pub w: U16String,
    /// BSTR.
    #[marshal(as = bstr)]
    pub b: U16String,
    /// ByValTStr(32), UTF-16.
    #[marshal(as = by_val_tstr(32))]
    pub t: U16String,
}

const TEXT32: &str = "0123456789abcdefghijklmnopqrstuv";

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn b_sample() -> B {
    B { a: 1, b: 2, c: 3, d: 4, x: 5.0, y: 6.0, s: U16String::from_vec(utf16(TEXT32)) }
}

fn a_value(a: &A, names: &[Arc<str>]) -> Vec<(Arc<str>, Value)> {
    vec![
        (names[0].clone(), Value::I32(a.a)),
        (names[1].clone(), Value::I32(a.b)),
        (names[2].clone(), Value::I32(a.c)),
        (names[3].clone(), Value::I32(a.d)),
        (names[4].clone(), Value::F64(a.x)),
        (names[5].clone(), Value::F64(a.y)),
    ]
}

fn b_value(b: &B, plan: &Plan) -> Value {
    let names: Vec<Arc<str>> = plan.field_names().cloned().collect();
    let a = A { a: b.a, b: b.b, c: b.c, d: b.d, x: b.x, y: b.y };
    let mut fields = a_value(&a, &names);
    fields.push((names[6].clone(), Value::Str(b.s.as_slice().to_vec())));
    Value::Struct(fields)
}

/// The hand-written StructureToPtr of (b): fields at their offsets, the string
/// malloc'd and copied as UTF-16. Returns the string to free.
#[inline(always)]
fn hand_b_to_native(b: &B, units: &[u16], out: &mut [u8]) -> *mut u8 {
    out[0..4].copy_from_slice(&b.a.to_le_bytes());
    out[4..8].copy_from_slice(&b.b.to_le_bytes());
    out[8..12].copy_from_slice(&b.c.to_le_bytes());
    out[12..16].copy_from_slice(&b.d.to_le_bytes());
    out[16..24].copy_from_slice(&b.x.to_le_bytes());
    out[24..32].copy_from_slice(&b.y.to_le_bytes());
    let bytes = units.len() * 2;
    let p = CoTaskMem::alloc(bytes + 2);
    // SAFETY: `p` holds bytes + 2; the units are initialised u16s.
    unsafe {
        core::ptr::copy_nonoverlapping(units.as_ptr().cast::<u8>(), p, bytes);
        p.add(bytes).cast::<u16>().write_unaligned(0);
    }
    out[32..40].copy_from_slice(&(p as usize).to_ne_bytes());
    p
}

/// The hand-written PtrToStructure of (b).
#[inline(always)]
fn hand_b_from_native(n: &[u8]) -> B {
    let i = |k: usize| i32::from_le_bytes(n[k..k + 4].try_into().unwrap());
    let f = |k: usize| f64::from_le_bytes(n[k..k + 8].try_into().unwrap());
    let p = usize::from_ne_bytes(n[32..40].try_into().unwrap()) as *const u16;
    let mut len = 0;
    // SAFETY: a NUL-terminated UTF-16 string written by the to-native side.
    let s = unsafe {
        while *p.add(len) != 0 {
            len += 1;
        }
        core::slice::from_raw_parts(p, len).to_vec()
    };
    B { a: i(0), b: i(4), c: i(8), d: i(12), x: f(16), y: f(24), s: U16String::from_vec(s) }
}

/// The struct cases, in report order.
pub fn cases(v: &mut Vec<Case>) {
    let target = Target::host();

    // (a) blittable 32 B.
    let plan = Plan::for_type(&A::type_desc(), target).expect("plan");
    assert!(plan.is_blittable());
    let names: Vec<Arc<str>> = plan.field_names().cloned().collect();
    let a = A { a: 1, b: 2, c: 3, d: 4, x: 5.0, y: 6.0 };
    let value = Value::Struct(a_value(&a, &names));
    let mut out = vec![0u8; plan.size()];
    let (mut d1, mut d2, mut d3) = ([0u8; 32], [0u8; 32], [0u8; 32]);
    v.push(Case {
        conversion: "struct/to_native",
        input: "(a) blittable 32 B: Value plan".into(),
        bytes: Some(32),
        elements: Some(1),
        ours: Box::new(move || {
            plan.to_native(black_box(&value), &mut out).expect("converts");
            black_box(&out);
        }),
        baselines: vec![
            (
                "derive",
                Box::new(move || {
                    black_box(&a).to_native(&mut d1).expect("converts");
                    black_box(&d1);
                }),
            ),
            (
                "hand-written",
                Box::new(move || {
                    let s = black_box(&a);
                    d2[0..4].copy_from_slice(&s.a.to_le_bytes());
                    d2[4..8].copy_from_slice(&s.b.to_le_bytes());
                    d2[8..12].copy_from_slice(&s.c.to_le_bytes());
                    d2[12..16].copy_from_slice(&s.d.to_le_bytes());
                    d2[16..24].copy_from_slice(&s.x.to_le_bytes());
                    d2[24..32].copy_from_slice(&s.y.to_le_bytes());
                    black_box(&d2);
                }),
            ),
        ],
        memcpy: Some(Box::new(move || {
            d3.copy_from_slice(bytemuck::bytes_of(black_box(&a)));
            black_box(&d3);
        })),
    });

    // (b) + one LPWStr(32): StructureToPtr + DestroyStructure.
    let plan = Plan::for_type(&B::type_desc(), target).expect("plan");
    let sample = b_sample();
    let value = b_value(&sample, &plan);
    let units = utf16(TEXT32);
    let (s1, s2) = (sample.clone(), sample.clone());
    let (mut o1, mut o2, mut o3) = (vec![0u8; 40], vec![0u8; 40], vec![0u8; 40]);
    let plan2 = plan.clone();
    v.push(Case {
        conversion: "struct/to_native+destroy",
        input: "(b) 32 B + LPWStr(32): Value plan".into(),
        bytes: None,
        elements: Some(1),
        ours: Box::new(move || {
            plan2.to_native(black_box(&value), &mut o1).expect("converts");
            // SAFETY: written just above.
            unsafe { plan2.destroy(black_box(&mut o1)) };
        }),
        baselines: vec![
            (
                "derive",
                Box::new(move || {
                    black_box(&s1).to_native(&mut o2).expect("converts");
                    // SAFETY: written just above.
                    unsafe { B::destroy_native(black_box(&mut o2)) };
                }),
            ),
            (
                "hand-written",
                Box::new(move || {
                    let p = hand_b_to_native(black_box(&s2), black_box(&units), &mut o3);
                    black_box(&o3);
                    // SAFETY: the block just allocated.
                    unsafe { CoTaskMem::free(p) };
                }),
            ),
        ],
        memcpy: None,
    });

    // (b) PtrToStructure of bytes made once.
    let mut native = vec![0u8; 40];
    sample.to_native(&mut native).expect("converts");
    let native = Arc::new(native);
    let (n1, n2, n3) = (native.clone(), native.clone(), native);
    let plan3 = plan.clone();
    v.push(Case {
        conversion: "struct/from_native",
        input: "(b) 32 B + LPWStr(32): Value plan".into(),
        bytes: None,
        elements: Some(1),
        ours: Box::new(move || {
            // SAFETY: a native B made by to_native (never destroyed: leaked on purpose, once).
            black_box(unsafe { plan3.from_native(black_box(&n1)) }.expect("reads"));
        }),
        baselines: vec![
            (
                "derive",
                // SAFETY: as above.
                Box::new(move || drop(black_box(unsafe { B::from_native(black_box(&n2)) }.expect("reads")))),
            ),
            ("hand-written", Box::new(move || drop(black_box(hand_b_from_native(black_box(&n3)))))),
        ],
        memcpy: None,
    });

    // (c) string-heavy: LPStr, LPWStr, BSTR, ByValTStr(32).
    let c = C4 {
        a: U16String::from_vec(utf16(TEXT32)),
        w: U16String::from_vec(utf16(TEXT32)),
        b: U16String::from_vec(utf16(TEXT32)),
        t: U16String::from_vec(utf16(TEXT32)),
    };
    let plan4 = Plan::for_type(&C4::type_desc(), target).expect("plan");
    let names: Vec<Arc<str>> = plan4.field_names().cloned().collect();
    let value = Value::Struct(names.iter().map(|n| (n.clone(), Value::Str(utf16(TEXT32)))).collect());
    let (mut o1, mut o2) = (vec![0u8; C4::NATIVE_SIZE], vec![0u8; C4::NATIVE_SIZE]);
    v.push(Case {
        conversion: "struct/to_native+destroy",
        input: "(c) LPStr+LPWStr+BSTR+ByValTStr(32): Value plan".into(),
        bytes: None,
        elements: Some(1),
        ours: Box::new(move || {
            plan4.to_native(black_box(&value), &mut o1).expect("converts");
            // SAFETY: written just above.
            unsafe { plan4.destroy(black_box(&mut o1)) };
        }),
        baselines: vec![(
            "derive",
            Box::new(move || {
                black_box(&c).to_native(&mut o2).expect("converts");
                // SAFETY: written just above.
                unsafe { C4::destroy_native(black_box(&mut o2)) };
            }),
        )],
        memcpy: None,
    });

    // (d) 10 000 × (b) to native, then freed.
    const N: usize = 10_000;
    let items: Vec<B> = (0..N).map(|i| B { a: i as i32, ..b_sample() }).collect();
    let values: Vec<Value> = items.iter().map(|b| b_value(b, &plan)).collect();
    let (i1, i2) = (items.clone(), items);
    let (mut o1, mut o2, mut o3) = (vec![0u8; 40 * N], vec![0u8; 40 * N], vec![0u8; 40 * N]);
    let mut ptrs: Vec<*mut u8> = Vec::with_capacity(N);
    v.push(Case {
        conversion: "struct array/to_native+destroy",
        input: "(d) 10 000 × (b): Value plan".into(),
        bytes: None,
        elements: Some(N as u64),
        ours: Box::new(move || {
            for (k, val) in values.iter().enumerate() {
                plan.to_native(black_box(val), &mut o1[k * 40..(k + 1) * 40]).expect("converts");
            }
            black_box(&o1);
            for k in 0..N {
                // SAFETY: element k was written above.
                unsafe { plan.destroy(&mut o1[k * 40..(k + 1) * 40]) };
            }
        }),
        baselines: vec![
            (
                "derive",
                Box::new(move || {
                    for (k, b) in i1.iter().enumerate() {
                        black_box(b).to_native(&mut o2[k * 40..(k + 1) * 40]).expect("converts");
                    }
                    black_box(&o2);
                    for k in 0..N {
                        // SAFETY: element k was written above.
                        unsafe { B::destroy_native(&mut o2[k * 40..(k + 1) * 40]) };
                    }
                }),
            ),
            (
                "hand-written",
                Box::new(move || {
                    ptrs.clear();
                    for (k, b) in i2.iter().enumerate() {
                        ptrs.push(hand_b_to_native(black_box(b), b.s.as_slice(), &mut o3[k * 40..(k + 1) * 40]));
                    }
                    black_box(&o3);
                    for &p in &ptrs {
                        // SAFETY: each block was allocated above.
                        unsafe { CoTaskMem::free(p) };
                    }
                }),
            ),
        ],
        memcpy: None,
    });
}
