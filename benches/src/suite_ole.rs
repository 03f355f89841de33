//! Report cases for VARIANT, VariantChangeType, SAFEARRAY and P/Invoke calls, each
//! with its baselines in the same run.

use std::ffi::CStr;
use std::hint::black_box;
use std::sync::Arc;

use marshal_core::safearray::{Bound, SafeArray};
use marshal_core::value::Value;
use marshal_core::variant::{change_type, Date, Variant};
use marshal_core::{TypeDesc, VarType};
use marshal_pinvoke::{pinvoke, Library, Param, Signature};

use crate::suite::Case;

mod direct {
    extern "C" {
        pub fn strlen(s: *const core::ffi::c_char) -> usize;
    }
}

pinvoke! {
    #[library("c")]
    unsafe extern "C" {
        #[entry_point = "strlen"]
        fn macro_strlen(s: &CStr) -> usize;
    }
}

/// The macro's linker-bound form (`#[link]`).
mod linked {
    use core::ffi::CStr;
    use marshal_pinvoke::pinvoke;
    pinvoke! {
        #[link("c")]
        unsafe extern "C" {
            #[entry_point = "strlen"]
            pub fn macro_strlen(s: &CStr) -> usize;
        }
    }
}

/// VARIANT and coercion cases.
pub fn variant_cases(v: &mut Vec<Case>) {
    v.push(Case {
        conversion: "VARIANT from/to",
        input: "i32 (VT_I4)".into(),
        bytes: None,
        elements: Some(1),
        ours: Box::new(|| {
            black_box(i32::try_from(&Variant::from(black_box(-70000i32))).expect("I4"));
        }),
        baselines: vec![(
            "i64 copy",
            Box::new(|| {
                black_box(black_box(-70000i64));
            }),
        )],
        memcpy: None,
    });
    v.push(Case {
        conversion: "VARIANT from/to",
        input: "f64 (VT_R8)".into(),
        bytes: None,
        elements: Some(1),
        ours: Box::new(|| {
            black_box(f64::try_from(&Variant::from(black_box(2.75f64))).expect("R8"));
        }),
        baselines: Vec::new(),
        memcpy: None,
    });
    let s32 = "0123456789abcdef0123456789abcdef";
    v.push(Case {
        conversion: "VARIANT create+clear",
        input: "BSTR of 32 chars".into(),
        bytes: Some(64),
        elements: Some(1),
        ours: Box::new(move || {
            black_box(Variant::from(black_box(s32)));
        }),
        baselines: vec![(
            "String alloc+free",
            Box::new(move || {
                black_box(String::from(black_box(s32)));
            }),
        )],
        memcpy: None,
    });
    for (input, src, vt) in change_type_pairs() {
        v.push(Case {
            conversion: "VariantChangeType",
            input: input.into(),
            bytes: None,
            elements: Some(1),
            ours: Box::new(move || {
                black_box(change_type(black_box(&src), vt, 0).expect("converts"));
            }),
            baselines: Vec::new(),
            memcpy: None,
        });
    }
}

/// The VariantChangeType cases: (input, source, target type), the pairs anchors.md measured under Wine.
/// The report's Wine baseline (`benches/wine/WineBaseline.c`) times the same pairs under the same input
/// strings, and the report checks its answers against `change_type` of these.
pub fn change_type_pairs() -> Vec<(&'static str, Variant, VarType)> {
    vec![
        ("I4→BSTR 123456789", Variant::from(123456789i32), VarType::BSTR),
        ("BSTR→R8 \"1234.5678\"", Variant::from("1234.5678"), VarType::R8),
        ("R8→I4 1234.5678", Variant::from(1234.5678f64), VarType::I4),
        ("DATE→BSTR 2024-03-15 13:45:30", Variant::from(Date(45366.5732638889)), VarType::BSTR),
        ("R8→BSTR 1234.5678", Variant::from(1234.5678f64), VarType::BSTR),
        ("BSTR→DATE \"3/15/2024 1:45:30 PM\"", Variant::from("3/15/2024 1:45:30 PM"), VarType::DATE),
    ]
}

/// SAFEARRAY cases (anchors.md §5: Wine does 1000 × VT_I4 create/put/get/destroy in 23.5 µs).
pub fn safearray_cases(v: &mut Vec<Case>) {
    v.push(Case {
        conversion: "SAFEARRAY",
        input: "1000 × I4 create+put+get+destroy".into(),
        bytes: Some(4000),
        elements: Some(1000),
        ours: Box::new(|| {
            let mut sa = SafeArray::vector(VarType::I4, 0, 1000).expect("creates");
            for i in 0..1000i32 {
                sa.put(&[i], &i).expect("in bounds");
            }
            let mut sum = 0i64;
            for i in 0..1000i32 {
                sum += sa.get::<i32>(&[i]).expect("in bounds") as i64;
            }
            black_box(sum);
        }),
        baselines: vec![(
            "Vec<i32> build+read",
            Box::new(|| {
                let mut v = vec![0i32; 1000];
                for (i, x) in v.iter_mut().enumerate() {
                    *x = black_box(i as i32);
                }
                black_box(v.iter().map(|&x| x as i64).sum::<i64>());
            }),
        )],
        memcpy: None,
    });
    let mut sa = SafeArray::new(VarType::R8, &[Bound { count: 131_072, lower: 0 }]).expect("creates");
    sa.with_data_mut::<f64, _>(|d| d.iter_mut().enumerate().for_each(|(i, x)| *x = i as f64)).expect("R8 data");
    let plain: Vec<f64> = (0..131_072).map(|i| i as f64).collect();
    v.push(Case {
        conversion: "SAFEARRAY",
        input: "zero-copy read of 1 MiB f64 (sum)".into(),
        bytes: Some(1 << 20),
        elements: Some(131_072),
        ours: Box::new(move || {
            black_box(sa.with_data::<f64, _>(|d| d.iter().sum::<f64>()).expect("R8 data"));
        }),
        baselines: vec![(
            "plain slice sum",
            Box::new(move || {
                black_box(black_box(&plain).iter().sum::<f64>());
            }),
        )],
        memcpy: None,
    });
}

const TEXT: &CStr = c"The quick brown fox jumps over t"; // 32 chars, as the anchors' ascii_64

/// The integer a runtime-signature call returned: what its caller reads of the result
/// (matching the `Value` in place, as the extern and macro callers get the integer
/// itself). Shared by the P/Invoke benchmarks and the callgrind example.
#[inline(always)]
pub fn int_of(r: Result<Value, marshal_pinvoke::PinvokeError>) -> i64 {
    match &r {
        Ok(Value::I32(x)) => *x as i64,
        Ok(Value::USize(x)) => *x as i64,
        other => panic!("unexpected {other:?}"),
    }
}

/// P/Invoke call overhead (anchors.md §6).
pub fn pinvoke_cases(v: &mut Vec<Case>) {
    let Ok(libc) = Library::load("c") else { return };
    let libc = Arc::new(libc);
    let sig = Signature::new(Some(TypeDesc::USIZE)).param(Param::new("s", TypeDesc::Pointer));
    let Ok(by_ptr) = sig.bind(&libc, "strlen") else { return };
    let mut args = [Value::Pointer(TEXT.as_ptr() as u64)];
    v.push(Case {
        conversion: "P/Invoke strlen",
        input: "32 chars, runtime Signature (libffi)".into(),
        bytes: None,
        elements: Some(1),
        ours: Box::new(move || {
            black_box(by_ptr.call(black_box(&mut args)).expect("calls"));
        }),
        baselines: vec![(
            "direct extern",
            Box::new(|| {
                // SAFETY: a NUL-terminated string.
                black_box(unsafe { direct::strlen(black_box(TEXT.as_ptr())) });
            }),
        )],
        memcpy: None,
    });
    v.push(Case {
        conversion: "P/Invoke strlen",
        input: "32 chars, pinvoke! #[library]".into(),
        bytes: None,
        elements: Some(1),
        ours: Box::new(|| {
            black_box(macro_strlen(black_box(TEXT)).expect("calls"));
        }),
        baselines: vec![(
            "direct extern",
            Box::new(|| {
                // The same opaque `&CStr` the macro gets.
                // SAFETY: a NUL-terminated string.
                black_box(unsafe { direct::strlen(black_box(TEXT).as_ptr()) });
            }),
        )],
        memcpy: None,
    });
    v.push(Case {
        conversion: "P/Invoke strlen",
        input: "32 chars, pinvoke! #[link]".into(),
        bytes: None,
        elements: Some(1),
        ours: Box::new(|| {
            black_box(linked::macro_strlen(black_box(TEXT)).expect("calls"));
        }),
        baselines: vec![(
            "direct extern",
            Box::new(|| {
                // The same opaque `&CStr` the macro gets.
                // SAFETY: a NUL-terminated string.
                black_box(unsafe { direct::strlen(black_box(TEXT).as_ptr()) });
            }),
        )],
        memcpy: None,
    });
}
