//! Instruction counts of the VARIANT operations of `benches/variant.rs` (run under callgrind:
//! `valgrind --tool=callgrind target/release/examples/variant_loop <op> <n>`; the difference
//! between two values of `n` divided by their difference is the cost of one operation).
use std::hint::black_box;

use marshal_core::variant::{change_type, Currency, Date, Decimal, Variant};
use marshal_core::VarType;

/// "123456789" as UTF-16: what `i4_bstr` produces.
const NINE_UNITS: [u16; 9] = [0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39];

fn main() {
    let op = std::env::args().nth(1).unwrap_or_else(|| "i32".into());
    let n: u64 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let i4 = Variant::from(123456789i32);
    let r8 = Variant::from(1234.5678f64);
    let s = Variant::from("1234.5678");
    let s_i4 = Variant::from("123456789");
    let s_date = Variant::from("3/15/2024 1:45:30 PM");
    let date = Variant::from(Date(45366.5732638889));
    let dec = Decimal::new(123456, 3, true).unwrap();
    let text = "0123456789abcdef0123456789abcdef";
    // The operation is chosen once; each arm runs its own loop so the count per iteration
    // is the operation's alone.
    macro_rules! repeat {
        ($body:block) => {
            for _ in 0..n $body
        };
    }
    {
        match op.as_str() {
            "i32" => repeat!({
                black_box(i32::try_from(&Variant::from(black_box(-70000i32))).unwrap());
            }),
            "f64" => repeat!({
                black_box(f64::try_from(&Variant::from(black_box(2.75f64))).unwrap());
            }),
            "u8" => repeat!({
                black_box(u8::try_from(&Variant::from(black_box(200u8))).unwrap());
            }),
            "i64" => repeat!({
                black_box(i64::try_from(&Variant::from(black_box(-5i64))).unwrap());
            }),
            "bool" => repeat!({
                black_box(bool::try_from(&Variant::from(black_box(true))).unwrap());
            }),
            "cy" => repeat!({
                black_box(Currency::try_from(&Variant::from(black_box(Currency(12345)))).unwrap());
            }),
            "date" => repeat!({
                black_box(Date::try_from(&Variant::from(black_box(Date(36526.5)))).unwrap());
            }),
            "decimal" => repeat!({
                black_box(Decimal::try_from(&Variant::from(black_box(dec))).unwrap());
            }),
            "string_alloc" => repeat!({
                black_box(String::from(black_box(text)));
            }),
            "bstr_variant" => repeat!({
                black_box(Variant::from(black_box(text)));
            }),
            "i4_bstr" => repeat!({
                black_box(change_type(black_box(&i4), VarType::BSTR, 0).unwrap());
            }),
            "bstr_r8" => repeat!({
                black_box(change_type(black_box(&s), VarType::R8, 0).unwrap());
            }),
            "bstr_i4" => repeat!({
                black_box(change_type(black_box(&s_i4), VarType::I4, 0).unwrap());
            }),
            "r8_i4" => repeat!({
                black_box(change_type(black_box(&r8), VarType::I4, 0).unwrap());
            }),
            "date_bstr" => repeat!({
                black_box(change_type(black_box(&date), VarType::BSTR, 0).unwrap());
            }),
            "bstr_date" => repeat!({
                black_box(change_type(black_box(&s_date), VarType::DATE, 0).unwrap());
            }),
            "r8_bstr" => repeat!({
                black_box(change_type(black_box(&r8), VarType::BSTR, 0).unwrap());
            }),
            "i4_bstr_ref" => repeat!({
                let v = change_type(black_box(&i4), VarType::BSTR, 0).unwrap();
                black_box(&v);
            }),
            // Calibration for i4_bstr: a BSTR of the same nine units made and freed, no digits.
            "bstr9" => repeat!({
                black_box(marshal_core::bstr::Bstr::from_wide(black_box(&NINE_UNITS)).unwrap());
            }),
            other => panic!("unknown op {other}"),
        }
    }
}
