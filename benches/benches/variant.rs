//! VARIANT benchmarks: scalar from/to, BSTR VARIANT create/clear, and VariantChangeType for
//! the pairs of reference/anchors.md (Wine: I4→BSTR 118 ns, BSTR→R8 222 ns, BSTR→I4 219 ns,
//! R8→I4 31 ns, DATE→BSTR 348 ns, R8→BSTR 2.98 µs, BSTR→DATE 6.66 µs). Baselines in the same
//! run: a plain i64 copy, a `String` alloc+free, and Rust's `format!`/`parse` for the text
//! conversions. `examples/variant_loop.rs` runs the same operations for callgrind.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use marshal_core::variant::{change_type, Currency, Date, Decimal, Variant};
use marshal_core::VarType;

fn scalars(c: &mut Criterion) {
    let mut g = c.benchmark_group("variant_scalar");
    g.bench_function("baseline_i64_copy", |b| b.iter(|| black_box(black_box(5i64))));
    g.bench_function("i32_to_variant_and_back", |b| {
        b.iter(|| i32::try_from(&Variant::from(black_box(-70000i32))).unwrap())
    });
    g.bench_function("f64_to_variant_and_back", |b| {
        b.iter(|| f64::try_from(&Variant::from(black_box(2.75f64))).unwrap())
    });
    g.bench_function("u8_to_variant_and_back", |b| b.iter(|| u8::try_from(&Variant::from(black_box(200u8))).unwrap()));
    g.bench_function("i64_to_variant_and_back", |b| {
        b.iter(|| i64::try_from(&Variant::from(black_box(-5i64))).unwrap())
    });
    g.bench_function("bool_to_variant_and_back", |b| {
        b.iter(|| bool::try_from(&Variant::from(black_box(true))).unwrap())
    });
    g.bench_function("currency_to_variant_and_back", |b| {
        b.iter(|| Currency::try_from(&Variant::from(black_box(Currency(12345)))).unwrap())
    });
    g.bench_function("date_to_variant_and_back", |b| {
        b.iter(|| Date::try_from(&Variant::from(black_box(Date(36526.5)))).unwrap())
    });
    let d = Decimal::new(123456, 3, true).unwrap();
    g.bench_function("decimal_to_variant_and_back", |b| {
        b.iter(|| Decimal::try_from(&Variant::from(black_box(d))).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("variant_bstr");
    let s = "0123456789abcdef0123456789abcdef"; // 32 chars, as the anchors' string32
    g.bench_function("baseline_string_alloc_free", |b| b.iter(|| black_box(String::from(black_box(s)))));
    g.bench_function("bstr_variant_create_clear_32", |b| b.iter(|| black_box(Variant::from(black_box(s)))));
    g.finish();
}

fn coercions(c: &mut Criterion) {
    let mut g = c.benchmark_group("variant_change_type");
    let i4 = Variant::from(123456789i32);
    let r8 = Variant::from(1234.5678f64);
    let s = Variant::from("1234.5678");
    let date = Variant::from(Date(45366.5732638889));
    let s_i4 = Variant::from("123456789");
    let s_date = Variant::from("3/15/2024 1:45:30 PM");
    g.bench_function("I4_to_BSTR", |b| b.iter(|| change_type(black_box(&i4), VarType::BSTR, 0).unwrap()));
    g.bench_function("BSTR_to_R8", |b| b.iter(|| change_type(black_box(&s), VarType::R8, 0).unwrap()));
    g.bench_function("R8_to_I4", |b| b.iter(|| change_type(black_box(&r8), VarType::I4, 0).unwrap()));
    g.bench_function("DATE_to_BSTR", |b| b.iter(|| change_type(black_box(&date), VarType::BSTR, 0).unwrap()));
    g.bench_function("R8_to_BSTR", |b| b.iter(|| change_type(black_box(&r8), VarType::BSTR, 0).unwrap()));
    g.bench_function("BSTR_to_I4", |b| b.iter(|| change_type(black_box(&s_i4), VarType::I4, 0).unwrap()));
    g.bench_function("BSTR_to_DATE", |b| b.iter(|| change_type(black_box(&s_date), VarType::DATE, 0).unwrap()));
    g.bench_function("baseline_rust_format_f64", |b| b.iter(|| black_box(format!("{}", black_box(1234.5678f64)))));
    g.bench_function("baseline_rust_parse_f64", |b| b.iter(|| black_box("1234.5678").parse::<f64>().unwrap()));
    g.finish();
}

criterion_group!(benches, scalars, coercions);
criterion_main!(benches);
