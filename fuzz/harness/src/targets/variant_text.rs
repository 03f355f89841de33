//! `variant_text`: `Var*FromStr` on arbitrary text and `VarBstrFrom*` on arbitrary values, under the four
//! locales the engine carries.
//!
//! Input: `[mode, locale, flags, rest…]`; the rest is UTF-16 text (modes 0–2) or raw value bytes (modes 3–5).
//!
//! | mode % 6 | what | invariant |
//! |---|---|---|
//! | 0 | `VarNumFromParseNum` of the text into each of the 12 numeric types | typed error or a value; I8 / CY / DECIMAL results print and parse back to themselves, R8 to within its 15 printed digits |
//! | 1 | `VarDateFromStr` (flags 0–3) | a date prints (`VarBstrFromDate`) and parses back to the same second |
//! | 2 | `VarBoolFromStr` | the bool prints and parses back |
//! | 3 | i64 / u64 / CY printed | parse back exactly |
//! | 4 | DATE (any f64) printed | parses back to the same second (or is refused out of range) |
//! | 5 | R8 / R4 / DECIMAL printed | parse back (R8 within 15 digits, R4 within 7, DECIMAL exactly) |

use arbitrary::Unstructured;
use marshal_core::hresult::Hresult;
use marshal_core::variant::format::{
    bool_to_text, cy_to_text, date_to_text, dec_to_text, i64_to_text, r4_to_text, r8_to_text, u64_to_text,
};
use marshal_core::variant::locale::{self, Locale};
use marshal_core::variant::parse::{bool_from_str, date_from_str, number_from_str, NumTarget, Number};
use marshal_core::variant::{Currency, Date, Decimal};

use crate::native::units_of;
use crate::{byte, bytes, u32_le, u64_le, Guard};

/// The locales of the selector byte.
pub const LCIDS: [u32; 4] = [0x0409, 0x007F, 0x0407, 0x0411];

/// Runs one input.
pub fn run(data: &[u8]) {
    let guard = Guard::start();
    let mut u = Unstructured::new(data);
    let mode = byte(&mut u);
    let loc = locale::locale(LCIDS[byte(&mut u) as usize % LCIDS.len()]).expect("a carried locale");
    let flags = byte(&mut u);
    match mode % 6 {
        0 => {
            let text = units_of(bytes(&mut u, 512));
            for t in NumTarget::ALL {
                if let Ok(n) = number_from_str(&text, loc, t) {
                    check_number(n, loc);
                }
            }
        }
        1 => {
            let text = units_of(bytes(&mut u, 512));
            if let Ok(d) = date_from_str(&text, loc, (flags % 4) as u32) {
                check_date(d, loc);
            }
        }
        2 => {
            let text = units_of(bytes(&mut u, 512));
            let local = flags & 1 != 0;
            if let Ok(b) = bool_from_str(&text, loc, local) {
                let printed = bool_to_text(b, loc, local);
                assert_eq!(bool_from_str(printed.as_slice(), loc, local), Ok(b), "{}", printed.to_string_lossy());
            }
        }
        3 => {
            let v = u64_le(&mut u);
            check_number(Number::I8(v as i64), loc);
            check_number(Number::UI8(v), loc);
            check_number(Number::Cy(Currency(v as i64)), loc);
            check_number(Number::I4(v as i32), loc);
        }
        4 => {
            let d = Date(f64::from_bits(u64_le(&mut u)));
            let date_flags = (flags % 3) as u32;
            if let Ok(text) = date_to_text(d, loc, date_flags) {
                if date_flags == 0 && day_survives_printing(d) {
                    let back = date_from_str(text.as_slice(), loc, 0);
                    let back = back.unwrap_or_else(|e| panic!("{:?} printed {:?}: {e:?}", d.0, text.to_string_lossy()));
                    assert_same_second(d, back, &text.to_string_lossy());
                }
            }
        }
        _ => {
            let bits = u64_le(&mut u);
            check_number(Number::R8(f64::from_bits(bits)), loc);
            check_number(Number::R4(f32::from_bits(bits as u32)), loc);
            let raw = [bits.to_le_bytes(), u64_le(&mut u).to_le_bytes()].concat();
            let mut d = Decimal::from_bytes(raw.try_into().unwrap());
            d.reserved = 0;
            if d.validate().is_ok() {
                check_number(Number::Decimal(d), loc);
            }
            let _ = u32_le(&mut u);
        }
    }
    guard.finish();
}

/// Prints a parsed (or given) number with `VarBstrFrom*` and parses it back into the same type.
fn check_number(n: Number, loc: &Locale) {
    let (text, target) = match n {
        Number::I8(v) => (i64_to_text(v), NumTarget::I8),
        Number::I4(v) => (i64_to_text(v as i64), NumTarget::I4),
        Number::UI8(v) => (u64_to_text(v), NumTarget::UI8),
        Number::Cy(v) => (cy_to_text(v, loc), NumTarget::Cy),
        Number::Decimal(v) => (dec_to_text(&v, loc), NumTarget::Decimal),
        Number::R8(v) if v.is_finite() => (r8_to_text(v, loc), NumTarget::R8),
        Number::R4(v) if v.is_finite() => (r4_to_text(v, loc), NumTarget::R4),
        _ => return,
    };
    let shown = text.to_string_lossy();
    let back = number_from_str(text.as_slice(), loc, target);
    match (n, back) {
        (Number::R8(v), Ok(Number::R8(w))) => {
            // oleaut32 scales by powers of ten and flushes to zero below about 2.2e-298 (Wine's
            // VarNumFromParseNum, which the engine follows).
            let flushed = w == 0.0 && v.abs() < 1e-297;
            assert!(close(v, w, 1e-14) || flushed, "R8 {v:e} printed {shown:?} parsed {w:e}")
        }
        (Number::R8(v), Err(hr)) => {
            // 15 digits of a value next to the largest double round above it.
            assert!(hr == Hresult::DISP_E_OVERFLOW && v.abs() > 1.797693134862e308, "R8 {v:e} {shown:?}: {hr:?}")
        }
        (Number::R4(v), Ok(Number::R4(w))) => {
            assert!(close(v as f64, w as f64, 1e-6), "R4 {v:e} printed {shown:?} parsed {w:e}")
        }
        (Number::R4(v), Err(hr)) => {
            // Below FLT_MIN oleaut32 refuses an R4 (`R4_MIN` in VarNumFromParseNum), as above FLT_MAX.
            // (FLT_MIN itself prints as 1.175494E-38, just below it.)
            let out_of_range = v.abs() > 3.402823e38 || v.abs() < f32::MIN_POSITIVE * 1.000001;
            assert!(hr == Hresult::DISP_E_OVERFLOW && out_of_range, "R4 {v:e} {shown:?}: {hr:?}")
        }
        // CY text is parsed through a double and divided by 10^4 there (Wine's VarNumFromParseNum, which the
        // engine follows): exact only while the count of 1/10000 stays well inside the double's 53 bits.
        (Number::Cy(c), _) if c.0.unsigned_abs() > 1 << 50 => {}
        (Number::Decimal(a), Ok(Number::Decimal(b))) => {
            assert_eq!(a.cmp_value(&b), core::cmp::Ordering::Equal, "DECIMAL {shown:?} parsed back as {b:?}")
        }
        (n, back) => assert_eq!(back, Ok(n), "{n:?} printed {shown:?}"),
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs()) || (a.abs() < 1e-300 && b.abs() < 1e-300)
}

/// A DATE's real time in days (for negative DATEs the fraction is still the time of day).
fn real_days(d: f64) -> f64 {
    let whole = d.trunc();
    whole + (d - whole).abs()
}

fn assert_same_second(a: Date, b: Date, text: &str) {
    let diff = (real_days(a.0) - real_days(b.0)).abs() * 86400.0;
    assert!(diff <= 1.0 + 1e-6, "DATE {} printed {text:?} parsed back as {} ({diff} s apart)", a.0, b.0);
}

/// Whether printing keeps the day: oleaut32 rounds the time to the second without carrying into the date
/// (0.999999 prints as "12:00:00 AM", the last second of 9999 as 1/1/10000), which no parse can undo.
fn day_survives_printing(d: Date) -> bool {
    let fraction = (d.0 - d.0.trunc()).abs();
    (fraction * 86400.0).round() < 86400.0
}

fn check_date(d: Date, loc: &Locale) {
    if !day_survives_printing(d) {
        return;
    }
    if let Ok(text) = date_to_text(d, loc, 0) {
        let back = date_from_str(text.as_slice(), loc, 0)
            .unwrap_or_else(|e| panic!("{} printed {:?}: {e:?}", d.0, text.to_string_lossy()));
        assert_same_second(d, back, &text.to_string_lossy());
    }
}

/// A seed: mode, locale index, flags, then text as UTF-16LE.
pub fn seed_text(mode: u8, locale: u8, flags: u8, text: &[u16]) -> Vec<u8> {
    let mut s = vec![mode, locale, flags];
    for u in text {
        s.extend_from_slice(&u.to_le_bytes());
    }
    s
}
