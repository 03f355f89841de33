//! VARIANT: round trips, arithmetic against independent computations, lossless
//! change_type round trips, and bad input named by its HRESULT (Wine's test style).

use marshal_core::variant::{
    change_type, change_type_ex, change_type_raw, Currency, Date, Decimal, SystemTime, Variant, VariantError,
    VariantRef, VariantValue, VARIANT,
};
use marshal_core::{Hresult, VarType};
use proptest::prelude::*;

macro_rules! round_trip {
    ($name:ident, $t:ty, $strat:expr) => {
        proptest! {
            #[test]
            fn $name(x in $strat) {
                let v = Variant::from(x);
                let back = <$t>::try_from(&v).unwrap();
                prop_assert_eq!(back.to_ne_bytes(), x.to_ne_bytes());
                // The native bytes hold the value at offset 8.
                let bytes = v.as_raw().to_bytes();
                prop_assert_eq!(&bytes[8..8 + core::mem::size_of::<$t>()], &x.to_ne_bytes()[..]);
            }
        }
    };
}

round_trip!(i8_round_trips, i8, any::<i8>());
round_trip!(u8_round_trips, u8, any::<u8>());
round_trip!(i16_round_trips, i16, any::<i16>());
round_trip!(u16_round_trips, u16, any::<u16>());
round_trip!(i32_round_trips, i32, any::<i32>());
round_trip!(u32_round_trips, u32, any::<u32>());
round_trip!(i64_round_trips, i64, any::<i64>());
round_trip!(u64_round_trips, u64, any::<u64>());
round_trip!(f32_round_trips, f32, any::<f32>());
round_trip!(f64_round_trips, f64, any::<f64>());

proptest! {
    #[test]
    fn bool_cy_date_decimal_and_strings_round_trip(b in any::<bool>(), cy in any::<i64>(), d in -657434.0f64..2958465.0,
            m in 0u128..(1u128 << 96), scale in 0u8..=28, neg in any::<bool>(), s in ".{0,40}") {
        prop_assert_eq!(bool::try_from(&Variant::from(b)), Ok(b));
        // VARIANT_BOOL is -1 / 0.
        let raw = Variant::from(b).as_raw().to_bytes();
        prop_assert_eq!(&raw[8..10], &(if b { -1i16 } else { 0 }).to_le_bytes()[..]);
        prop_assert_eq!(Currency::try_from(&Variant::from(Currency(cy))), Ok(Currency(cy)));
        prop_assert_eq!(Date::try_from(&Variant::from(Date(d))).map(|x| x.0.to_bits()), Ok(d.to_bits()));
        let dec = Decimal::new(m, scale, neg).unwrap();
        let v = Variant::from(dec);
        prop_assert_eq!(v.vt(), VarType::DECIMAL);
        prop_assert_eq!(Decimal::try_from(&v).map(|x| (x.mantissa(), x.scale, x.is_negative())), Ok((m, scale, neg)));
        let sv = Variant::from(s.as_str());
        prop_assert_eq!(String::try_from(&sv).unwrap(), s.clone());
        let copy = sv.try_clone().unwrap();
        prop_assert_eq!(String::try_from(&copy).unwrap(), s);
    }

    /// Decimal add/sub/mul against i128 arithmetic where the exact result fits 96 bits.
    #[test]
    fn decimal_arithmetic_matches_i128(a in -(1i64 << 62)..(1i64 << 62), b in -(1i64 << 62)..(1i64 << 62),
            sa in 0u8..=9, sb in 0u8..=9) {
        let da = Decimal::new(a.unsigned_abs() as u128, sa, a < 0).unwrap();
        let db = Decimal::new(b.unsigned_abs() as u128, sb, b < 0).unwrap();
        let s = sa.max(sb) as u32;
        let ia = a as i128 * 10i128.pow(s - sa as u32);
        let ib = b as i128 * 10i128.pow(s - sb as u32);
        let as_i128 = |d: Decimal, scale: u32| {
            let v = d.mantissa() as i128 * 10i128.pow(scale - d.scale as u32);
            if d.is_negative() { -v } else { v }
        };
        let sum = da.checked_add(&db).unwrap();
        prop_assert_eq!(as_i128(sum, s.max(sum.scale as u32)) , (ia + ib) * 10i128.pow(s.max(sum.scale as u32) - s));
        let diff = da.checked_sub(&db).unwrap();
        prop_assert_eq!(as_i128(diff, s.max(diff.scale as u32)), (ia - ib) * 10i128.pow(s.max(diff.scale as u32) - s));
        let (small_a, small_b) = (a >> 31, b >> 31); // products that stay below 2^96
        let pa = Decimal::new(small_a.unsigned_abs() as u128, sa, small_a < 0).unwrap();
        let pb = Decimal::new(small_b.unsigned_abs() as u128, sb, small_b < 0).unwrap();
        let p = pa.checked_mul(&pb).unwrap();
        let want = small_a as i128 * small_b as i128;
        prop_assert_eq!(p.scale, sa + sb);
        prop_assert_eq!(if p.is_negative() { -(p.mantissa() as i128) } else { p.mantissa() as i128 }, want);
    }

    /// Currency arithmetic is exact i64 / i128 arithmetic.
    #[test]
    fn currency_arithmetic_matches_i128(a in any::<i64>(), b in any::<i64>()) {
        let (ca, cb) = (Currency(a), Currency(b));
        prop_assert_eq!(ca.checked_add(cb).ok().map(|c| c.0), a.checked_add(b));
        prop_assert_eq!(ca.checked_sub(cb).ok().map(|c| c.0), a.checked_sub(b));
        let p = a as i128 * b as i128;
        let (q, r) = (p / 10000, p % 10000);
        let want = if r.abs() > 5000 || (r.abs() == 5000 && q & 1 != 0) { q + r.signum() } else { q };
        prop_assert_eq!(ca.checked_mul(cb).ok().map(|c| c.0 as i128), i64::try_from(want).ok().map(|x| x as i128));
    }

    /// DATE → calendar → DATE is the identity at whole seconds; the calendar fields agree with
    /// a civil-from-days computation (Howard Hinnant's algorithm) and the weekday too.
    #[test]
    fn date_calendar_round_trip(days in -657434i64..=2958465, secs in 0i64..86400) {
        let d = if days >= 0 { days as f64 + secs as f64 / 86400.0 } else { days as f64 - secs as f64 / 86400.0 };
        let st = Date(d).to_system_time().unwrap();
        // Independent civil date: days since 1899-12-30 = days since 1970-01-01 + 25569.
        let (year, month, day) = civil(days);
        prop_assert_eq!((st.year as i64, st.month as i64, st.day as i64), (year, month, day));
        prop_assert_eq!(st.day_of_week as i64, (days + 6).rem_euclid(7)); // 1899-12-30 was a Saturday
        prop_assert_eq!((st.hour as i64, st.minute as i64, st.second as i64), (secs / 3600, secs / 60 % 60, secs % 60));
        let back = Date::from_system_time(&st).unwrap();
        prop_assert!((back.0 - d).abs() < 1e-9, "{} vs {}", back.0, d);
    }

    /// change_type(change_type(x, T), S) == x for lossless pairs.
    #[test]
    fn lossless_change_type_round_trips(i in any::<i32>(), s in any::<i16>(), f in any::<f64>().prop_filter("finite, not near the underflow oleaut32 flushes to 0", |f| f.is_finite() && (*f == 0.0 || f.abs() > 1e-290))) {
        let back = |v: &Variant, t: VarType, s: VarType| change_type(&change_type(v, t, 0).unwrap(), s, 0).unwrap();
        for t in [VarType::I8, VarType::R8, VarType::DECIMAL, VarType::BSTR, VarType::CY] {
            let r = back(&Variant::from(i), t, VarType::I4);
            prop_assert_eq!(r.value(), VariantValue::I4(i), "{:?}", t);
        }
        for t in [VarType::I4, VarType::R4, VarType::I8, VarType::BSTR, VarType::DATE] {
            let r = back(&Variant::from(s), t, VarType::I2);
            prop_assert_eq!(r.value(), VariantValue::I2(s), "{:?}", t);
        }
        // R8 → BSTR → R8 keeps 15 significant digits: exact for values printed exactly.
        let r = format!("{:.14e}", f).parse::<f64>().unwrap();
        let round = back(&Variant::from(r), VarType::BSTR, VarType::R8);
        let VariantValue::R8(x) = round.value() else { panic!() };
        prop_assert!((x - r).abs() <= r.abs() * 1e-14, "{r} -> {x}");
    }
}

/// The civil date of a day count since 1899-12-30 (Howard Hinnant's days-to-civil).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days - 25569 + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if month <= 2 { 1 } else { 0 }, month, day)
}

fn text(v: &Variant) -> String {
    String::try_from(v).unwrap()
}

const POW10: [f64; 11] = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

proptest! {
    /// Numbers → BSTR, against Rust's own integer formatting.
    #[test]
    fn integers_print_as_rust_prints_them(i in any::<i64>(), u in any::<u64>(), small in any::<i32>(), b in any::<u8>()) {
        prop_assert_eq!(text(&change_type(&Variant::from(i), VarType::BSTR, 0).unwrap()), i.to_string());
        prop_assert_eq!(text(&change_type(&Variant::from(u), VarType::BSTR, 0).unwrap()), u.to_string());
        prop_assert_eq!(text(&change_type(&Variant::from(small), VarType::BSTR, 0).unwrap()), small.to_string());
        prop_assert_eq!(text(&change_type(&Variant::from(b), VarType::BSTR, 0).unwrap()), b.to_string());
        // ... and back: BSTR → I8 / I4 read the digits.
        let s = Variant::from(i.to_string().as_str());
        prop_assert_eq!(i64::try_from(&change_type(&s, VarType::I8, 0).unwrap()), Ok(i));
        let want = i32::try_from(i).map_err(|_| Hresult::DISP_E_OVERFLOW);
        prop_assert_eq!(change_type(&s, VarType::I4, 0).map(|v| i32::try_from(&v).unwrap()), want);
    }

    /// R8 → integer types: half-to-even rounding (std's `round_ties_even`) within the target's
    /// range extended by half a unit, DISP_E_OVERFLOW outside.
    #[test]
    fn reals_round_half_to_even_into_integers(f in -5e9f64..5e9, half in -3_000_000_000i64..3_000_000_000) {
        for x in [f, half as f64 + 0.5, half as f64] {
            let r = x.round_ties_even();
            let want_i4 = if (-2147483648.5..2147483647.5).contains(&x) { Ok(r as i32) } else { Err(Hresult::DISP_E_OVERFLOW) };
            prop_assert_eq!(change_type(&Variant::from(x), VarType::I4, 0).map(|v| i32::try_from(&v).unwrap()), want_i4, "{}", x);
            let want_ui2 = if (-0.5..65535.5).contains(&x) { Ok(r as u16) } else { Err(Hresult::DISP_E_OVERFLOW) };
            prop_assert_eq!(change_type(&Variant::from(x), VarType::UI2, 0).map(|v| u16::try_from(&v).unwrap()), want_ui2, "{}", x);
            prop_assert_eq!(change_type(&Variant::from(x), VarType::I8, 0).map(|v| i64::try_from(&v).unwrap()), Ok(r as i64), "{}", x);
        }
    }

    /// BSTR → R8 for plain decimal text of up to 15 digits, 10 of them after the point:
    /// oleaut32 divides the digits (an exact integer) by a power of ten once, a correctly
    /// rounded division computed here from the integer and the digit count.
    #[test]
    fn decimal_text_parses_as_one_correctly_rounded_division(int in 0u64..100_000, frac in 0u64..10_000_000_000, frac_digits in 0usize..=10, neg in any::<bool>()) {
        let frac = frac % 10u64.pow(frac_digits as u32);
        let int_digits = if int == 0 { 0 } else { int.to_string().len() };
        prop_assume!(int_digits + frac_digits <= 15);
        let s = if frac_digits == 0 {
            format!("{}{}", if neg { "-" } else { "" }, int)
        } else {
            format!("{}{}.{:0width$}", if neg { "-" } else { "" }, int, frac, width = frac_digits)
        };
        let n = int * 10u64.pow(frac_digits as u32) + frac;
        let magnitude = n as f64 / POW10[frac_digits];
        let want = if neg { -magnitude } else { magnitude };
        let got = change_type(&Variant::from(s.as_str()), VarType::R8, 0).unwrap();
        let VariantValue::R8(x) = got.value() else { panic!("{s}: {:?}", got) };
        prop_assert_eq!(x.to_bits(), want.to_bits(), "{}: {} vs {}", s, x, want);
    }

    /// DATE → BSTR under en-US ("M/d/yyyy h:mm:ss tt"), against an independent civil-date
    /// computation; whole days print the date only, day 0 the time only.
    #[test]
    fn dates_print_as_en_us_short_date_and_time(days in -657434i64..=2958465, secs in 0i64..86400) {
        let d = if days >= 0 { days as f64 + secs as f64 / 86400.0 } else { days as f64 - secs as f64 / 86400.0 };
        let (y, m, dd) = civil(days);
        let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let time = format!("{}:{:02}:{:02} {}", if h % 12 == 0 { 12 } else { h % 12 }, mi, s, if h >= 12 { "PM" } else { "AM" });
        let date = format!("{m}/{dd}/{y}");
        let want = if days == 0 { time } else if secs == 0 { date } else { format!("{date} {time}") };
        prop_assert_eq!(text(&change_type(&Variant::from(Date(d)), VarType::BSTR, 0).unwrap()), want);
    }
}

#[test]
fn layout_is_the_native_one() {
    assert_eq!(core::mem::size_of::<VARIANT>(), if cfg!(target_pointer_width = "64") { 24 } else { 16 });
    assert_eq!(core::mem::size_of::<Decimal>(), 16);
    // DECIMAL -123.456 inside a VARIANT (the bytes oleaut32 shows: wine_oleaut info line).
    let v = Variant::from(Decimal::new(123456, 3, true).unwrap());
    assert_eq!(&v.as_raw().to_bytes()[..16], &[0x0e, 0, 3, 0x80, 0, 0, 0, 0, 0x40, 0xe2, 1, 0, 0, 0, 0, 0]);
}

fn raw_with_vt(vt: u16) -> VARIANT {
    VARIANT::with_vt(VarType(vt))
}

#[test]
fn invalid_vartypes_are_disp_e_badvartype() {
    for vt in [15u16, 0x7fff, 0x1003, 0x8003, 0x4000, 0x4001, 0x2000, 0x2001, 24, 25, 30, 31, 0x0FFF] {
        // SAFETY: no pointers in these VARIANTs.
        let r = unsafe { Variant::from_raw(raw_with_vt(vt)) };
        assert_eq!(r.map_err(|e| e.hresult()).err(), Some(Hresult::DISP_E_BADVARTYPE), "vt {vt:#x}");
        let src = Variant::from(1i32);
        assert_eq!(change_type(&src, VarType(vt), 0).err(), Some(Hresult::DISP_E_BADVARTYPE), "dst vt {vt:#x}");
    }
    assert_eq!(change_type(&Variant::from(1i32), VarType::CLSID, 0).err(), Some(Hresult::DISP_E_BADVARTYPE));
}

#[test]
fn byref_with_a_null_pointer_is_refused() {
    // SAFETY: the pointer is null, which is what is being refused.
    let r = unsafe { Variant::from_raw(raw_with_vt(VarType::I4.byref().0)) };
    assert_eq!(r.err(), Some(VariantError::NullByRef(VarType::I4.byref())));
    let raw = raw_with_vt(VarType::BSTR.byref().0);
    // SAFETY: null pointer: refused before any read.
    assert!(unsafe { VariantRef::new(&raw) }.is_err());
}

#[test]
fn bad_decimals_are_e_invalidarg() {
    let mut raw = VARIANT::EMPTY;
    raw.set_decimal(&Decimal { reserved: 0, scale: 29, sign: 0, hi32: 0, lo64: 1 });
    // SAFETY: no pointers.
    assert_eq!(unsafe { Variant::from_raw(raw) }.map_err(|e| e.hresult()).err(), Some(Hresult::E_INVALIDARG));
    raw.set_decimal(&Decimal { reserved: 0, scale: 2, sign: 0x01, hi32: 0, lo64: 1 });
    // SAFETY: no pointers.
    assert_eq!(unsafe { Variant::from_raw(raw) }.err(), Some(VariantError::BadDecimal));
    assert_eq!(Decimal::new(1u128 << 96, 0, false), Err(Hresult::E_INVALIDARG));
}

#[test]
fn coercion_edges_name_their_hresult() {
    let ui1 = |v: Variant| change_type(&v, VarType::UI1, 0);
    assert_eq!(ui1(Variant::from(256i32)).err(), Some(Hresult::DISP_E_OVERFLOW));
    assert_eq!(ui1(Variant::from(-1i32)).err(), Some(Hresult::DISP_E_OVERFLOW));
    assert_eq!(change_type(&Variant::null(), VarType::I4, 0).err(), Some(Hresult::DISP_E_TYPEMISMATCH));
    assert_eq!(change_type(&Variant::null(), VarType::EMPTY, 0).err(), Some(Hresult::DISP_E_TYPEMISMATCH));
    assert_eq!(change_type(&Variant::from("abc"), VarType::R8, 0).err(), Some(Hresult::DISP_E_TYPEMISMATCH));
    assert_eq!(change_type(&Variant::from("1.5e400"), VarType::R8, 0).err(), Some(Hresult::DISP_E_OVERFLOW));
    assert_eq!(change_type(&Variant::error(Hresult::E_FAIL), VarType::I4, 0).err(), Some(Hresult::DISP_E_TYPEMISMATCH));
    // Same-width signed/unsigned copies bits; I4 -1 → UI8 is the documented exception.
    assert_eq!(change_type(&Variant::from(-1i32), VarType::UI4, 0).unwrap().value(), VariantValue::UI4(u32::MAX));
    assert_eq!(change_type(&Variant::from(-1i32), VarType::UI8, 0).err(), Some(Hresult::DISP_E_OVERFLOW));
    // BOOL → DECIMAL gives +1 through VariantChangeType.
    let d = change_type(&Variant::from(true), VarType::DECIMAL, 0).unwrap();
    assert_eq!(Decimal::try_from(&d).unwrap().to_string(), "1");
    // German decimal comma, both ways.
    let r = change_type_ex(&Variant::from(1.5f64), 0x0407, 0, VarType::BSTR).unwrap();
    assert_eq!(String::try_from(&r).unwrap(), "1,5");
    assert_eq!(change_type_ex(&Variant::from("1,5"), 0x0407, 0, VarType::R8).unwrap().value(), VariantValue::R8(1.5));
    // SystemTime years outside 100..=9999 and bad months.
    assert!(Date(2958466.0).to_system_time().is_err());
    assert!(Date(-657435.0).to_system_time().is_err());
    let st = SystemTime { year: 2001, month: 13, day: 1, ..SystemTime::default() };
    assert_eq!(Date::from_system_time(&st), Err(Hresult::E_INVALIDARG));
}

#[test]
fn copy_ind_dereferences_byref() {
    let mut target: i32 = 77;
    // SAFETY: `target` outlives `v`.
    let v = unsafe { Variant::by_ref(VarType::I4, &mut target as *mut i32 as *mut core::ffi::c_void) }.unwrap();
    assert_eq!(v.copy_ind().unwrap().value(), VariantValue::I4(77));
    assert_eq!(i32::try_from(&v), Ok(77));
    assert_eq!(change_type(&v, VarType::BSTR, 0).map(|b| String::try_from(&b).unwrap()), Ok("77".to_string()));
}

proptest! {
    /// Integer → BSTR has an entry of its own in `change_type_ex`; the raw entry the C ABI
    /// uses (`change_type_raw`) takes the general one. Both print Rust's decimal text, and both
    /// refuse an LCID they do not know.
    #[test]
    fn integers_print_as_decimal_text_on_both_entries(i in any::<i64>(), u in any::<u64>(), shift in 0u32..64,
                                                      lcid in prop::sample::select(vec![0u32, 0x0409, 0x0400, 0x0800, 0x007F, 0x0407, 0x0411, 0x0C0C, 0x1_0409])) {
        let i = i >> shift;
        let u = u >> shift;
        let cases: Vec<(Variant, String)> = vec![
            (Variant::from(i as i8), (i as i8).to_string()),
            (Variant::from(i as i16), (i as i16).to_string()),
            (Variant::from(i as i32), (i as i32).to_string()),
            (Variant::from(i), i.to_string()),
            (Variant::from(u as u8), (u as u8).to_string()),
            (Variant::from(u as u16), (u as u16).to_string()),
            (Variant::from(u as u32), (u as u32).to_string()),
            (Variant::from(u), u.to_string()),
        ];
        let known = !matches!(lcid & 0xFFFF, 0x0C0C);
        for (v, text) in cases {
            let fast = change_type_ex(&v, lcid, 0, VarType::BSTR);
            // SAFETY: `v` is a valid VARIANT without pointers.
            // SAFETY: the result owns a BSTR of this crate's allocator.
            let raw = unsafe { change_type_raw(v.as_raw(), lcid, 0, VarType::BSTR) }
                .map(|r| unsafe { Variant::from_raw(r) }.unwrap());
            if known {
                prop_assert_eq!(String::try_from(&fast.unwrap()).unwrap(), text.clone());
                prop_assert_eq!(String::try_from(&raw.unwrap()).unwrap(), text);
            } else {
                prop_assert_eq!(fast.err(), Some(Hresult::DISP_E_UNKNOWNLCID));
                prop_assert_eq!(raw.err(), Some(Hresult::DISP_E_UNKNOWNLCID));
            }
        }
    }
}
