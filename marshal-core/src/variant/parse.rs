//! Text → number / date / bool, as oleaut32's `VarParseNumFromStr`, `VarNumFromParseNum`,
//! `VarDateFromStr` and `VarBoolFromStr` do it (under the locales of [`super::locale`]).
//! Inputs are UTF-16 slices (no terminator needed); nothing here allocates.

// A line-by-line port of oleaut32's parsers: the branch structure mirrors theirs so each rule can be checked against it.
#![allow(
    clippy::manual_range_contains,
    clippy::excessive_precision,
    clippy::if_same_then_else,
    clippy::explicit_counter_loop,
    clippy::collapsible_match,
    clippy::absurd_extreme_comparisons
)]

use super::locale::Locale;
use super::{Currency, Decimal};
use crate::hresult::Hresult;

/// `NUMPRS_*` flags.
#[allow(missing_docs)]
pub mod numprs {
    pub const LEADING_WHITE: u32 = 0x0001;
    pub const TRAILING_WHITE: u32 = 0x0002;
    pub const LEADING_PLUS: u32 = 0x0004;
    pub const TRAILING_PLUS: u32 = 0x0008;
    pub const LEADING_MINUS: u32 = 0x0010;
    pub const TRAILING_MINUS: u32 = 0x0020;
    pub const HEX_OCT: u32 = 0x0040;
    pub const PARENS: u32 = 0x0080;
    pub const DECIMAL: u32 = 0x0100;
    pub const THOUSANDS: u32 = 0x0200;
    pub const CURRENCY: u32 = 0x0400;
    pub const EXPONENT: u32 = 0x0800;
    pub const USE_ALL: u32 = 0x1000;
    pub const STD: u32 = 0x1FFF;
    pub const NEG: u32 = 0x10000;
    pub const INEXACT: u32 = 0x20000;
}

use numprs::*;

/// Maximum digits kept (oleaut32's internal buffer).
pub const MAX_DIGITS: usize = 1024;

/// `NUMPARSE` plus the digit buffer. `N` is the buffer's size: oleaut32 keeps up to
/// [`MAX_DIGITS`] digits, but a text of `n` units cannot hold more than `n` digits, so short
/// texts are parsed into a short buffer (same results, no 1 KiB to clear and move).
pub struct NumParse<const N: usize = MAX_DIGITS> {
    /// Digits (0–15) in `digits[..count]`.
    pub digits: [u8; N],
    /// `cDig`.
    pub count: usize,
    /// `dwInFlags`.
    pub in_flags: u32,
    /// `dwOutFlags`.
    pub out_flags: u32,
    /// `cchUsed`.
    pub used: usize,
    /// `nBaseShift` (4 hex, 3 octal).
    pub base_shift: i32,
    /// `nPwr10`.
    pub pwr10: i32,
}

const B_PROCESSING_EXPONENT: u32 = 0x1;
const B_NEGATIVE_EXPONENT: u32 = 0x2;
const B_EXPONENT_START: u32 = 0x4;
const B_INEXACT_ZEROS: u32 = 0x8;
const B_LEADING_ZERO: u32 = 0x10;
const B_PROCESSING_HEX: u32 = 0x20;
const B_PROCESSING_OCT: u32 = 0x40;

/// Whitespace as the number parser sees it (the C runtime's `iswspace`; U+00A0 is not one).
fn num_space(c: u16) -> bool {
    matches!(c, 0x09..=0x0D | 0x20)
}

/// Whitespace as the date parser sees it (Unicode spaces, U+00A0 included).
fn date_space(c: u16) -> bool {
    matches!(c, 0x09..=0x0D | 0x20 | 0x85 | 0xA0 | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000)
}

fn starts_with(s: &[u16], pos: usize, text: &str) -> bool {
    let mut i = pos;
    for u in text.encode_utf16() {
        if s.get(i) != Some(&u) {
            return false;
        }
        i += 1;
    }
    true
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `VarParseNumFromStr` with `dwInFlags = flags` (usually [`numprs::STD`]).
pub fn parse_number(s: &[u16], loc: &Locale, flags: u32) -> Result<NumParse, Hresult> {
    parse_number_into(s, loc, flags)
}

/// The capacity of the short digit buffer (texts up to this many units).
const SHORT_DIGITS: usize = 64;

/// [`parse_number`] into a buffer of `N` digits: `N` must be [`MAX_DIGITS`] or at least
/// `s.len()` (a text of `n` units holds at most `n` digits), so that the digits oleaut32
/// would keep always fit.
fn parse_number_into<const N: usize>(s: &[u16], loc: &Locale, flags: u32) -> Result<NumParse<N>, Hresult> {
    debug_assert!(N == MAX_DIGITS || s.len() <= N);
    let at = |i: usize| -> u16 { s.get(i).copied().unwrap_or(0) };
    // The NUMPARSE fields live in locals (registers) while scanning; the struct is built at
    // the end.
    let mut digits = [0u8; N];
    let mut count = 0usize;
    let mut out_flags = 0u32;
    let mut base_shift = 0i32;
    let mut pwr10 = 0i32;
    let mut state = B_EXPONENT_START | B_INEXACT_ZEROS;
    let mut decimal = loc.decimal;
    let mut thousand = loc.thousand;
    let (mon_decimal, mon_thousand) = (loc.mon_decimal, loc.mon_thousand);
    if thousand == decimal {
        thousand = 0;
    }
    let thousand2: u16 = if thousand == 0xA0 { b' ' as u16 } else { 0 };
    let currency = loc.currency;
    let cur_len = utf16_len(currency);
    let mut p = 0usize;
    let mut used = 0usize;
    let is_thousand = |c: u16| (thousand != 0 && c == thousand) || (thousand2 != 0 && c == thousand2);

    loop {
        let c = at(p);
        if flags & DECIMAL != 0 && (c == decimal || c == mon_decimal) {
            out_flags |= DECIMAL;
            if c == mon_decimal && decimal != mon_decimal {
                out_flags |= CURRENCY;
            }
            used += 1;
            p += 1;
            if count == 0 {
                while at(p) == b'0' as u16 {
                    state |= B_LEADING_ZERO;
                    used += 1;
                    p += 1;
                    pwr10 -= 1;
                }
            }
            break;
        } else if flags & LEADING_WHITE != 0 && num_space(c) {
            out_flags |= LEADING_WHITE;
            while num_space(at(p)) {
                used += 1;
                p += 1;
            }
        } else if flags & THOUSANDS != 0 && is_thousand(c) {
            return Err(Hresult::DISP_E_TYPEMISMATCH);
        } else if flags & (THOUSANDS | CURRENCY) == (THOUSANDS | CURRENCY) && mon_thousand != 0 && c == mon_thousand {
            return Err(Hresult::DISP_E_TYPEMISMATCH);
        } else if flags & LEADING_PLUS != 0 && c == loc.positive && out_flags & LEADING_PLUS == 0 {
            out_flags |= LEADING_PLUS;
            used += 1;
            p += 1;
        } else if flags & LEADING_MINUS != 0 && c == loc.negative && out_flags & LEADING_MINUS == 0 {
            out_flags |= LEADING_MINUS | NEG;
            used += 1;
            p += 1;
        } else if flags & CURRENCY != 0 && out_flags & CURRENCY == 0 && c != 0 && starts_with(s, p, currency) {
            out_flags |= CURRENCY;
            used += cur_len;
            p += cur_len;
        } else if flags & PARENS != 0 && c == b'(' as u16 && out_flags & PARENS == 0 {
            out_flags |= PARENS;
            used += 1;
            p += 1;
        } else {
            break;
        }
    }

    if out_flags & (CURRENCY | DECIMAL) == 0 && at(p) == b'&' as u16 && flags & HEX_OCT != 0 {
        let n = at(p + 1);
        if n == b'H' as u16 || n == b'h' as u16 {
            state |= B_PROCESSING_HEX;
            out_flags |= HEX_OCT;
            used += 2;
            p += 2;
        } else if n == b'O' as u16 || n == b'o' as u16 {
            state |= B_PROCESSING_OCT;
            out_flags |= HEX_OCT;
            used += 2;
            p += 2;
        }
    }

    while at(p) == b'0' as u16 {
        state |= B_LEADING_ZERO;
        used += 1;
        p += 1;
    }

    let is_digit = |c: u16| (b'0' as u16..=b'9' as u16).contains(&c);
    while at(p) != 0 {
        let c = at(p);
        if is_digit(c) {
            if state & B_PROCESSING_EXPONENT != 0 {
                let mut exponent: i32 = 0;
                if state & B_EXPONENT_START != 0 {
                    while at(p) == b'0' as u16 {
                        used += 1;
                        p += 1;
                    }
                }
                while is_digit(at(p)) {
                    exponent = exponent.saturating_mul(10).saturating_add((at(p) - b'0' as u16) as i32);
                    used += 1;
                    p += 1;
                }
                if state & B_NEGATIVE_EXPONENT != 0 {
                    exponent = -exponent;
                }
                pwr10 = pwr10.saturating_add(exponent);
                state &= !(B_PROCESSING_EXPONENT | B_EXPONENT_START);
                // back up so the loop's increment lands on the next character
                p = p.wrapping_sub(1);
            } else if state & (B_PROCESSING_HEX | B_PROCESSING_OCT) == 0 && count < MAX_DIGITS {
                // A run of decimal digits, the common case, in one tight loop: each digit is
                // stored, counted and (after the decimal separator) moves the exponent, as
                // the general branch below does digit by digit, up to MAX_DIGITS.
                let run_start = p;
                while count < MAX_DIGITS && is_digit(at(p)) {
                    digits[count] = (at(p) - b'0' as u16) as u8;
                    count += 1;
                    p += 1;
                }
                let run = p - run_start;
                used += run;
                if out_flags & DECIMAL != 0 {
                    pwr10 -= run as i32;
                }
                // back up so the loop's increment lands on the next character
                p -= 1;
            } else {
                if count >= MAX_DIGITS && state & (B_PROCESSING_HEX | B_PROCESSING_OCT) == 0 {
                    out_flags |= INEXACT;
                    if c != b'0' as u16 {
                        state &= !B_INEXACT_ZEROS;
                    }
                    if out_flags & DECIMAL != 0 {
                        pwr10 -= 1;
                    } else {
                        pwr10 += 1;
                    }
                } else {
                    if state & B_PROCESSING_OCT != 0 && (c == b'8' as u16 || c == b'9' as u16) {
                        break;
                    }
                    if count >= MAX_DIGITS {
                        return Err(Hresult::DISP_E_OVERFLOW);
                    }
                    if out_flags & DECIMAL != 0 {
                        pwr10 -= 1;
                    }
                    digits[count] = (c - b'0' as u16) as u8;
                }
                count += 1;
                used += 1;
            }
        } else if flags & THOUSANDS != 0 && out_flags & HEX_OCT == 0 && is_thousand(c) {
            out_flags |= THOUSANDS;
            used += 1;
        } else if flags & (THOUSANDS | CURRENCY) == (THOUSANDS | CURRENCY)
            && out_flags & HEX_OCT == 0
            && mon_thousand != 0
            && c == mon_thousand
        {
            out_flags |= THOUSANDS | CURRENCY;
            used += 1;
        } else if flags & DECIMAL != 0
            && (c == decimal || c == mon_decimal)
            && out_flags & (HEX_OCT | DECIMAL | EXPONENT) == 0
        {
            out_flags |= DECIMAL;
            if c == mon_decimal && decimal != mon_decimal {
                out_flags |= CURRENCY;
            }
            used += 1;
            if count == 0 {
                while at(p + 1) == b'0' as u16 {
                    state |= B_LEADING_ZERO;
                    used += 1;
                    p += 1;
                    pwr10 -= 1;
                }
            }
        } else if state & B_PROCESSING_HEX != 0
            && ((b'a' as u16..=b'f' as u16).contains(&c) || (b'A' as u16..=b'F' as u16).contains(&c))
        {
            if count >= MAX_DIGITS {
                return Err(Hresult::DISP_E_OVERFLOW);
            }
            digits[count] = if c >= b'a' as u16 { (c - b'a' as u16 + 10) as u8 } else { (c - b'A' as u16 + 10) as u8 };
            count += 1;
            used += 1;
        } else if (c == b'e' as u16 || c == b'E' as u16)
            && flags & EXPONENT != 0
            && out_flags & (HEX_OCT | CURRENCY | EXPONENT) == 0
        {
            state |= B_PROCESSING_EXPONENT;
            out_flags |= EXPONENT;
            used += 1;
        } else if state & B_PROCESSING_EXPONENT != 0 && c == loc.positive {
            used += 1;
        } else if state & B_PROCESSING_EXPONENT != 0 && c == loc.negative {
            state |= B_NEGATIVE_EXPONENT;
            used += 1;
        } else {
            break;
        }
        p = p.wrapping_add(1);
    }
    let _ = &mut decimal;

    if count == 0 && state & B_LEADING_ZERO != 0 {
        count = 1;
        digits[0] = 0;
    }
    if out_flags & EXPONENT != 0 && state & B_PROCESSING_EXPONENT != 0 {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    if out_flags & INEXACT != 0 {
        if state & B_INEXACT_ZEROS != 0 {
            out_flags &= !INEXACT;
        }
    } else if flags & HEX_OCT != 0 {
        if state & B_PROCESSING_HEX != 0 {
            pwr10 = 0;
            base_shift = 4;
        } else if state & B_PROCESSING_OCT != 0 {
            pwr10 = 0;
            base_shift = 3;
        } else {
            while count > 1 && digits[count - 1] == 0 {
                pwr10 = pwr10.saturating_add(1);
                count -= 1;
            }
        }
    } else {
        // Saturating: an exponent near i32::MAX plus trailing zeros overflowed (found by `variant_text`);
        // either way the number is out of every type's range.
        while count > 1 && digits[count - 1] == 0 {
            pwr10 = pwr10.saturating_add(1);
            count -= 1;
        }
    }
    if count <= MAX_DIGITS {
        out_flags &= !INEXACT;
    } else {
        count = MAX_DIGITS;
    }

    loop {
        let c = at(p);
        if is_thousand(c) && c != 0 {
            if flags & THOUSANDS != 0 && out_flags & HEX_OCT == 0 {
                out_flags |= THOUSANDS;
                used += 1;
                p += 1;
            } else {
                break;
            }
        } else if c == mon_thousand && c != 0 {
            if flags & (THOUSANDS | CURRENCY) == (THOUSANDS | CURRENCY) && out_flags & HEX_OCT == 0 {
                out_flags |= THOUSANDS | CURRENCY;
                used += 1;
                p += 1;
            } else {
                break;
            }
        } else if flags & TRAILING_WHITE != 0 && num_space(c) {
            out_flags |= TRAILING_WHITE;
            while num_space(at(p)) {
                used += 1;
                p += 1;
            }
        } else if flags & TRAILING_PLUS != 0 && out_flags & LEADING_PLUS == 0 && c == loc.positive {
            out_flags |= TRAILING_PLUS;
            used += 1;
            p += 1;
        } else if flags & TRAILING_MINUS != 0 && out_flags & LEADING_MINUS == 0 && c == loc.negative {
            out_flags |= TRAILING_MINUS | NEG;
            used += 1;
            p += 1;
        } else if flags & PARENS != 0 && c == b')' as u16 && out_flags & PARENS != 0 {
            used += 1;
            p += 1;
            out_flags |= NEG;
        } else if flags & CURRENCY != 0 && out_flags & HEX_OCT == 0 && c != 0 && starts_with(s, p, currency) {
            out_flags |= CURRENCY;
            used += cur_len;
            p += cur_len;
        } else {
            break;
        }
    }

    if out_flags & PARENS != 0 && out_flags & NEG == 0 {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    if flags & USE_ALL != 0 && at(p) != 0 {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    if count == 0 {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    Ok(NumParse { digits, count, in_flags: flags, out_flags, used, base_shift, pwr10 })
}

/// [`parse_number`] with [`numprs::STD`] for the plainest texts, in one pass: an optional
/// minus sign, ASCII digits (at least one), at most one decimal separator followed by more
/// digits, nothing else. `None` for any other text, which the general scanner handles. The
/// NUMPARSE is the general scanner's (the tests compare them field by field):
///
/// - leading zeros are skipped, the other digits kept;
/// - every digit after the separator moves the exponent down by one (skipped zeros too);
/// - no digit kept means the single digit 0;
/// - trailing zeros are dropped, each moving the exponent up;
/// - the flags say minus (`LEADING_MINUS | NEG`) and separator (`DECIMAL`).
fn parse_plain<const N: usize>(s: &[u16], loc: &Locale) -> Option<NumParse<N>> {
    // Locales whose monetary separator differs would add CURRENCY to the flags.
    if s.len() > N || loc.decimal != loc.mon_decimal {
        return None;
    }
    let negative = s.first() == Some(&loc.negative);
    let body = if negative { &s[1..] } else { s };
    let mut digits = [0u8; N];
    let mut count = 0usize;
    let mut int_digits = 0usize;
    let mut frac_digits = 0usize;
    let mut seen_decimal = false;
    for &c in body {
        let d = c.wrapping_sub(b'0' as u16);
        if d <= 9 {
            if count != 0 || d != 0 {
                digits[count] = d as u8;
                count += 1;
            }
            if seen_decimal {
                frac_digits += 1;
            } else {
                int_digits += 1;
            }
        } else if c == loc.decimal && !seen_decimal && int_digits != 0 {
            seen_decimal = true;
        } else {
            return None;
        }
    }
    if int_digits == 0 {
        return None;
    }
    let mut pwr10 = -(frac_digits as i32);
    if count == 0 {
        count = 1; // all zeros: the single digit 0 (its array slot is already 0)
    }
    while count > 1 && digits[count - 1] == 0 {
        pwr10 += 1;
        count -= 1;
    }
    let mut out_flags = 0;
    if negative {
        out_flags |= LEADING_MINUS | NEG;
    }
    if seen_decimal {
        out_flags |= DECIMAL;
    }
    Some(NumParse { digits, count, in_flags: STD, out_flags, used: s.len(), base_shift: 0, pwr10 })
}

/// The destination of [`number_from_parse`] (one VTBIT each, as `VARIANT_NumberFromBstr` asks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum NumTarget {
    I1,
    UI1,
    I2,
    UI2,
    I4,
    UI4,
    I8,
    UI8,
    R4,
    R8,
    Cy,
    Decimal,
}

impl NumTarget {
    /// Every target: the integers and reals (in this order, the ones plain text converts to
    /// directly), then CY and DECIMAL.
    pub const ALL: [NumTarget; 12] = [
        NumTarget::I1,
        NumTarget::UI1,
        NumTarget::I2,
        NumTarget::UI2,
        NumTarget::I4,
        NumTarget::UI4,
        NumTarget::I8,
        NumTarget::UI8,
        NumTarget::R4,
        NumTarget::R8,
        NumTarget::Cy,
        NumTarget::Decimal,
    ];
}

/// The parsed value in its destination type.
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum Number {
    I1(i8),
    UI1(u8),
    I2(i16),
    UI2(u16),
    I4(i32),
    UI4(u32),
    I8(i64),
    UI8(u64),
    R4(f32),
    R8(f64),
    Cy(Currency),
    Decimal(Decimal),
}

const R8_MAX: f64 = 1.79769313486231570e+308;
const R8_MIN: f64 = 2.22507385850720138e-308;

/// `VarNumFromParseNum` restricted to one destination type.
pub fn number_from_parse<const N: usize>(np: &NumParse<N>, target: NumTarget) -> Result<Number, Hresult> {
    use NumTarget as T;
    let dig = &np.digits[..np.count];
    if np.base_shift != 0 {
        let mut ul64: u64 = 0;
        for &d in dig {
            if ul64 > ((u64::MAX >> np.base_shift) - d as u64) {
                return Err(Hresult::DISP_E_OVERFLOW);
            }
            ul64 = (ul64 << np.base_shift) + d as u64;
        }
        let l64 = ul64.wrapping_neg() as i64;
        let fits8 = ul64 >> 8 == 0;
        let fits16 = ul64 >> 16 == 0;
        let fits32 = ul64 >> 32 == 0;
        return match target {
            T::I1 if fits8 => Ok(Number::I1(ul64 as i8)),
            T::UI1 if fits8 => Ok(Number::UI1(ul64 as u8)),
            T::I2 if fits16 => Ok(Number::I2(ul64 as i16)),
            T::UI2 if fits16 => Ok(Number::UI2(ul64 as u16)),
            T::I4 if fits32 => Ok(Number::I4(ul64 as i32)),
            T::UI4 if fits32 => Ok(Number::UI4(ul64 as u32)),
            T::I8 if ul64 <= i64::MAX as u64 || l64 >= i64::MIN => Ok(Number::I8(ul64 as i64)),
            T::UI8 => Ok(Number::UI8(ul64)),
            T::Decimal => Ok(Number::Decimal(Decimal::from_u64(ul64))),
            T::R4 if ul64 <= i32::MAX as u64 || l64 >= i32::MIN as i64 => {
                Ok(Number::R4(if ul64 <= i32::MAX as u64 { ul64 as f32 } else { l64 as f32 }))
            }
            T::R8 if ul64 <= i32::MAX as u64 || l64 >= i32::MIN as i64 => {
                Ok(Number::R8(if ul64 <= i32::MAX as u64 { ul64 as f64 } else { l64 as f64 }))
            }
            _ => Err(Hresult::DISP_E_OVERFLOW),
        };
    }

    let count = np.count as i32;
    let (whole_digits, fractional_digits, mut divisor10, mut multiplier10);
    if np.pwr10 < 0 {
        if -np.pwr10 >= count {
            whole_digits = 0;
            fractional_digits = count;
            divisor10 = -np.pwr10;
        } else {
            whole_digits = count + np.pwr10;
            fractional_digits = count - whole_digits;
            divisor10 = count - whole_digits;
        }
        multiplier10 = 0;
    } else if np.pwr10 == 0 {
        whole_digits = count;
        fractional_digits = 0;
        divisor10 = 0;
        multiplier10 = 0;
    } else {
        whole_digits = count;
        fractional_digits = 0;
        divisor10 = 0;
        multiplier10 = np.pwr10;
    }
    let is_int = matches!(target, T::I1 | T::UI1 | T::I2 | T::UI2 | T::I4 | T::UI4 | T::I8 | T::UI8);
    let is_real = matches!(target, T::R4 | T::R8 | T::Cy);
    let is_dec = target == T::Decimal;

    if (is_int || is_dec) && (fractional_digits == 0 || !(is_real || is_dec)) {
        let mut overflow = false;
        let mut ul64: u64 = 0;
        let whole = &dig[..whole_digits as usize];
        if whole.len() <= 19 {
            // At most 19 decimal digits stay below 10^19 < 2^64: no overflow to check.
            for &d in whole {
                ul64 = ul64 * 10 + d as u64;
            }
        } else {
            for &d in whole {
                if ul64 > u64::MAX / 10 || (ul64 == u64::MAX / 10 && d as u64 > u64::MAX % 10) {
                    overflow = true;
                    break;
                }
                ul64 = ul64 * 10 + d as u64;
            }
        }
        // Zero times any power of ten is zero: without this, "0E999999999" looped ~10^9 times (found by
        // `variant_text` as a timeout; the result is unchanged).
        if !overflow && multiplier10 != 0 && ul64 != 0 {
            for _ in 0..multiplier10 {
                if ul64 > u64::MAX / 10 {
                    overflow = true;
                    break;
                }
                ul64 *= 10;
            }
        }
        if !overflow && fractional_digits != 0 && divisor10 > 0 {
            let frac = &dig[whole_digits as usize..];
            let mut adjust = false;
            if frac[0] > 5 {
                adjust = true;
            } else if frac[0] == 5 {
                let mut i = 1;
                while i < fractional_digits as usize {
                    if frac[i] != 0 {
                        adjust = true;
                        break;
                    }
                    i += 1;
                }
                if i == fractional_digits as usize && ul64 & 1 != 0 {
                    adjust = true;
                }
            }
            if adjust {
                if ul64 == u64::MAX {
                    overflow = true;
                }
                ul64 = ul64.wrapping_add(1);
            }
        }
        let negative = np.out_flags & NEG != 0 && ul64 != 0;
        if !overflow {
            if let Some(n) = int_number(ul64, negative, target) {
                return Ok(n);
            }
            // Unsigned integer types refuse a negative value (oleaut32 falls through to overflow).
            if target == T::Decimal {
                return Ok(Number::Decimal(if negative {
                    Decimal::from_parts_unchecked(ul64 as u128, 0, true)
                } else {
                    Decimal::from_u64(ul64)
                }));
            }
        }
    }

    if is_real {
        let negative = np.out_flags & NEG != 0;
        // oleaut32 accumulates `whole = whole * 10 + digit` in f64. Up to 15 decimal digits
        // every partial value is an integer below 2^53, so each step is exact and an integer
        // accumulation converted once gives the same double, without the chain of
        // floating-point multiplies and adds.
        let mut whole = 0.0f64;
        if dig.len() <= 15 {
            let mut acc = 0u64;
            for &d in dig {
                acc = acc * 10 + d as u64;
            }
            whole = acc as f64;
        } else {
            for &d in dig {
                whole = whole * 10.0 + d as f64;
            }
        }
        if let Some(n) = scale_real(whole, multiplier10, divisor10).and_then(|w| real_number(w, negative, target)) {
            return Ok(n);
        }
    }

    if is_dec {
        let mut m: u128 = 0;
        for &d in dig {
            m = m * 10 + d as u128;
            if m > super::decimal::MAX_MANTISSA {
                return Err(Hresult::DISP_E_OVERFLOW);
            }
        }
        if m == 0 {
            // Zero stays zero: skip a loop as long as the exponent.
            multiplier10 = 0;
        }
        while multiplier10 > 0 {
            m *= 10;
            if m > super::decimal::MAX_MANTISSA {
                return Err(Hresult::DISP_E_OVERFLOW);
            }
            multiplier10 -= 1;
        }
        if divisor10 > 255 {
            return Err(Hresult::DISP_E_OVERFLOW);
        }
        if divisor10 > 28 {
            // A DECIMAL holds at most 28 decimals: round the rest away (half to even) rather than store
            // the scale as is, which made an invalid DECIMAL (Wine stores it; found by the `variant_text`
            // fuzz target when printing "1.2E-33" read back as a DECIMAL overran the text buffer).
            let shift = (divisor10 - 28) as u32;
            m = if shift > 38 {
                0
            } else {
                let p = super::decimal::pow10(shift);
                let (q, r) = (m / p, m % p);
                if r > p / 2 || (r == p / 2 && q & 1 == 1) {
                    q + 1
                } else {
                    q
                }
            };
            divisor10 = 28;
        }
        let mut d = Decimal::from_parts_unchecked(m, 0, np.out_flags & NEG != 0 && m != 0);
        d.scale = divisor10 as u8;
        return Ok(Number::Decimal(d));
    }
    Err(Hresult::DISP_E_OVERFLOW)
}

/// `whole × 10^multiplier10 / 10^divisor10` as `VarNumFromParseNum` computes it for the
/// real types: steps of at most 10^10 (each rounded), overflow (`None`) checked against
/// `R8_MAX` before each multiplication, and a value that would fall below `R8_MIN` flushed
/// to zero.
#[inline]
fn scale_real(mut whole: f64, mut multiplier10: i32, mut divisor10: i32) -> Option<f64> {
    const MULT: [f64; 11] = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];
    let maximums = |i: usize| R8_MAX / MULT[i];
    let minimums = |i: usize| R8_MIN * MULT[i];
    if whole == 0.0 {
        // Zero stays zero whatever the exponent: skip loops as long as the exponent / 10.
        return Some(0.0);
    }
    while multiplier10 > 10 {
        if whole > maximums(10) {
            return None;
        }
        whole *= MULT[10];
        multiplier10 -= 10;
    }
    if multiplier10 != 0 {
        if whole > maximums(multiplier10 as usize) {
            return None;
        }
        whole *= MULT[multiplier10 as usize];
    }
    while divisor10 > 10 {
        if whole < minimums(10) && whole != 0.0 {
            return Some(0.0);
        }
        whole /= MULT[10];
        divisor10 -= 10;
    }
    if divisor10 != 0 {
        if whole < minimums(divisor10 as usize) && whole != 0.0 {
            whole = 0.0;
        } else {
            whole /= MULT[divisor10 as usize];
        }
    }
    Some(whole)
}

/// The value of four UTF-16 units that are all ASCII digits, `None` otherwise: the units
/// as 16-bit lanes of one integer, checked and combined in a few word operations
/// (SWAR) rather than four rounds of the per-digit loop.
#[inline]
fn four_digits(units: &[u16]) -> Option<u64> {
    const LANES: u64 = 0x0001_0001_0001_0001;
    let v = units[0] as u64 | (units[1] as u64) << 16 | (units[2] as u64) << 32 | (units[3] as u64) << 48;
    // Every lane is 0x0030..=0x0039: high byte zero, low byte 0x3_ and still 0x3_ after +6.
    let high_bytes_clear = v & (0xFF00 * LANES) == 0;
    let tens_three = v & (0x00F0 * LANES) == 0x0030 * LANES;
    // Wrapping: a lane with its high byte set may carry out of the word; such text is refused by
    // `high_bytes_clear` anyway (found by `variant_text` with overflow checks on).
    let at_most_nine = v.wrapping_add(0x0006 * LANES) & (0x00F0 * LANES) == 0x0030 * LANES;
    if !(high_bytes_clear && tens_three && at_most_nine) {
        return None;
    }
    let d = v - 0x0030 * LANES; // digit k in lane k (lane 0 = first unit)
                                // Lanes 0 and 2 become d0·10 + d1 and d2·10 + d3 (two 32-bit halves), then one more step.
    let pairs = (d * 10 + (d >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((pairs & 0xFFFF) * 100 + (pairs >> 32))
}

/// The real target's value of a scaled magnitude `whole`; `None` when it does not fit
/// (R4 out of range, CY overflow), which `VarNumFromParseNum` reports as overflow.
#[inline]
fn real_number(whole: f64, negative: bool, target: NumTarget) -> Option<Number> {
    let v = if negative { -whole } else { whole };
    match target {
        NumTarget::R4 => {
            if (whole <= f32::MAX as f64 && whole >= f32::MIN_POSITIVE as f64) || whole == 0.0 {
                return Some(Number::R4(v as f32));
            }
            None
        }
        NumTarget::R8 => Some(Number::R8(v)),
        NumTarget::Cy => Currency::from_f64(v).ok().map(Number::Cy),
        _ => None,
    }
}

/// Plain decimal text (`-?digits[.digits]` in the locale's symbols, as [`parse_plain`]
/// takes it) read in one pass into its significant digits as an integer: what the
/// NUMPARSE of such a text says, without the digit array. At most 19 significant digits
/// (they fit a `u64`); `None` otherwise and for any other text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PlainNumber {
    negative: bool,
    /// The NUMPARSE's digits (leading and trailing zeros dropped; 0 for an all-zero text).
    mantissa: u64,
    /// How many digits that is (1 for zero), as the NUMPARSE's `count`.
    count: u32,
    /// The NUMPARSE's `pwr10`.
    pwr10: i32,
}

impl PlainNumber {
    #[inline]
    fn scan(s: &[u16], loc: &Locale) -> Option<PlainNumber> {
        const ZERO: u16 = b'0' as u16;
        if loc.decimal != loc.mon_decimal {
            return None;
        }
        let negative = s.first() == Some(&loc.negative);
        let body = if negative { &s[1..] } else { s };
        let n = body.len();
        // Integer part: leading zeros, then the significant digits. The accumulation may
        // wrap past 19 digits; such texts are refused below, before the value is used.
        let mut i = 0;
        while i < n && body[i] == ZERO {
            i += 1;
        }
        let first_significant = i;
        let mut mantissa = 0u64;
        while i + 4 <= n {
            let Some(quad) = four_digits(&body[i..i + 4]) else { break };
            mantissa = mantissa.wrapping_mul(10_000).wrapping_add(quad);
            i += 4;
        }
        while i < n {
            let d = body[i].wrapping_sub(ZERO);
            if d > 9 {
                break;
            }
            mantissa = mantissa.wrapping_mul(10).wrapping_add(d as u64);
            i += 1;
        }
        if i == 0 {
            return None; // no integer digit
        }
        let mut count = i - first_significant;
        let mut frac_digits = 0;
        if i < n {
            if body[i] != loc.decimal {
                return None;
            }
            i += 1;
            let frac_start = i;
            if count == 0 {
                // Still no significant digit: zeros after the separator are leading zeros too.
                while i < n && body[i] == ZERO {
                    i += 1;
                }
            }
            let frac_significant = i;
            while i + 4 <= n {
                let Some(quad) = four_digits(&body[i..i + 4]) else { break };
                mantissa = mantissa.wrapping_mul(10_000).wrapping_add(quad);
                i += 4;
            }
            while i < n {
                let d = body[i].wrapping_sub(ZERO);
                if d > 9 {
                    return None;
                }
                mantissa = mantissa.wrapping_mul(10).wrapping_add(d as u64);
                i += 1;
            }
            count += i - frac_significant;
            frac_digits = (i - frac_start) as i32;
        }
        if count > 19 {
            return None;
        }
        let mut pwr10 = -frac_digits;
        if count == 0 {
            return Some(PlainNumber { negative, mantissa: 0, count: 1, pwr10 });
        }
        // Trailing zeros are not digits of the NUMPARSE: each moves the exponent up.
        while mantissa % 10 == 0 {
            mantissa /= 10;
            count -= 1;
            pwr10 += 1;
        }
        Some(PlainNumber { negative, mantissa, count: count as u32, pwr10 })
    }

    /// [`number_from_parse`] of this number for the integer and real targets it can answer
    /// exactly as the general path does: integers without fraction digits, reals of at most
    /// 15 digits (accumulated exactly, then scaled by the same steps). `None`: ask the
    /// general path.
    #[inline]
    fn convert(self, target: NumTarget) -> Option<Result<Number, Hresult>> {
        use NumTarget as T;
        match target {
            T::R4 | T::R8 if self.count <= 15 => {
                let (multiplier10, divisor10) = (self.pwr10.max(0), (-self.pwr10).max(0));
                let number = scale_real(self.mantissa as f64, multiplier10, divisor10)
                    .and_then(|whole| real_number(whole, self.negative, target));
                Some(number.ok_or(Hresult::DISP_E_OVERFLOW))
            }
            T::I1 | T::UI1 | T::I2 | T::UI2 | T::I4 | T::UI4 | T::I8 | T::UI8 if self.pwr10 >= 0 => {
                let mut ul64 = self.mantissa;
                for _ in 0..self.pwr10 {
                    if ul64 > u64::MAX / 10 {
                        return Some(Err(Hresult::DISP_E_OVERFLOW));
                    }
                    ul64 *= 10;
                }
                Some(int_number(ul64, self.negative && ul64 != 0, target).ok_or(Hresult::DISP_E_OVERFLOW))
            }
            _ => None,
        }
    }
}

/// An integer target's value of a magnitude and sign, `None` when out of its range
/// (`VarNumFromParseNum`'s overflow; unsigned targets refuse every negative value).
#[inline]
fn int_number(ul64: u64, negative: bool, target: NumTarget) -> Option<Number> {
    use NumTarget as T;
    Some(if negative {
        match target {
            T::I1 if ul64 <= 128 => Number::I1(ul64.wrapping_neg() as i8),
            T::I2 if ul64 <= 32768 => Number::I2(ul64.wrapping_neg() as i16),
            T::I4 if ul64 <= 2147483648 => Number::I4(ul64.wrapping_neg() as i32),
            T::I8 if ul64 <= i64::MAX as u64 + 1 => Number::I8(ul64.wrapping_neg() as i64),
            _ => return None,
        }
    } else {
        match target {
            T::I1 if ul64 <= 127 => Number::I1(ul64 as i8),
            T::UI1 if ul64 <= 255 => Number::UI1(ul64 as u8),
            T::I2 if ul64 <= 32767 => Number::I2(ul64 as i16),
            T::UI2 if ul64 <= 65535 => Number::UI2(ul64 as u16),
            T::I4 if ul64 <= i32::MAX as u64 => Number::I4(ul64 as i32),
            T::UI4 if ul64 <= u32::MAX as u64 => Number::UI4(ul64 as u32),
            T::I8 if ul64 <= i64::MAX as u64 => Number::I8(ul64 as i64),
            T::UI8 => Number::UI8(ul64),
            _ => return None,
        }
    })
}

/// `VARIANT_NumberFromBstr`: parse with `NUMPRS_STD` and convert to one type.
pub fn number_from_str(s: &[u16], loc: &Locale, target: NumTarget) -> Result<Number, Hresult> {
    match number_from_plain(s, loc, target) {
        Some(answer) => answer,
        None => number_from_numparse(s, loc, target),
    }
}

/// [`number_from_str`] for plain decimal text to an integer or real type, straight from the
/// text (the tests compare it with the NUMPARSE route on every such text); `None` for the
/// texts and targets it leaves to [`number_from_numparse`].
#[inline]
pub(crate) fn number_from_plain(s: &[u16], loc: &Locale, target: NumTarget) -> Option<Result<Number, Hresult>> {
    PlainNumber::scan(s, loc).and_then(|n| n.convert(target))
}

/// [`number_from_str`] through the NUMPARSE: `VarParseNumFromStr`, then `VarNumFromParseNum`.
#[inline(never)]
pub(crate) fn number_from_numparse(s: &[u16], loc: &Locale, target: NumTarget) -> Result<Number, Hresult> {
    if s.len() <= SHORT_DIGITS {
        if let Some(np) = parse_plain::<SHORT_DIGITS>(s, loc) {
            return number_from_parse(&np, target);
        }
        let np = parse_number_into::<SHORT_DIGITS>(s, loc, STD)?;
        number_from_parse(&np, target)
    } else {
        let np = parse_number_into::<MAX_DIGITS>(s, loc, STD)?;
        number_from_parse(&np, target)
    }
}

/// `VarBoolFromStr`: localized True/False (with `VAR_LOCALBOOL`), English True/False
/// (case-insensitive), `#TRUE#` / `#FALSE#`, else a number (zero is false).
pub fn bool_from_str(s: &[u16], loc: &Locale, local_bool: bool) -> Result<bool, Hresult> {
    let eq_ci = |text: &str| -> bool {
        let mut it = s.iter();
        for u in text.encode_utf16() {
            match it.next() {
                Some(&c) if fold(c) == fold(u) => {}
                _ => return false,
            }
        }
        it.next().is_none()
    };
    if local_bool {
        if eq_ci(loc.bool_text[0]) {
            return Ok(true);
        }
        if eq_ci(loc.bool_text[1]) {
            return Ok(false);
        }
    }
    if eq_ci("True") {
        return Ok(true);
    }
    if eq_ci("False") {
        return Ok(false);
    }
    let exact = |text: &str| s.iter().copied().eq(text.encode_utf16());
    if exact("#FALSE#") {
        return Ok(false);
    }
    if exact("#TRUE#") {
        return Ok(true);
    }
    match number_from_str(s, loc, NumTarget::R8)? {
        Number::R8(v) => Ok(v != 0.0),
        _ => Err(Hresult::DISP_E_TYPEMISMATCH),
    }
}

fn fold(c: u16) -> u16 {
    if (b'a' as u16..=b'z' as u16).contains(&c) {
        c - 32
    } else if let Some(ch) = char::from_u32(c as u32) {
        let mut up = ch.to_uppercase();
        match (up.next(), up.next()) {
            (Some(u), None) if (u as u32) < 0x10000 => u as u32 as u16,
            _ => c,
        }
    } else {
        c
    }
}

const DP_TIMESEP: u32 = 0x01;
const DP_DATESEP: u32 = 0x02;
const DP_MONTH: u32 = 0x04;
const DP_AM: u32 = 0x08;
const DP_PM: u32 = 0x10;

struct DateParse {
    count: usize,
    parse_flags: u32,
    flags: [u32; 7],
    values: [u32; 7],
}

const ORDER_MDY: u32 = 0x01;
const ORDER_YMD: u32 = 0x02;
const ORDER_YDM: u32 = 0x04;
const ORDER_DMY: u32 = 0x08;
const ORDER_MYD: u32 = 0x10;

fn valid_month_day(day: u32, month: u32, year: u32) -> bool {
    const DAYS: [u32; 13] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if day != 0 && month != 0 && month < 13 {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        if day <= DAYS[month as usize] || (month == 2 && day == 29 && leap) {
            return true;
        }
    }
    false
}

fn current_year() -> u32 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = (secs / 86400) as f64 + 25569.0; // 1970-01-01 as an OLE DATE
    super::Date(days).to_system_time().map(|st| st.year as u32).unwrap_or(2000)
}

fn make_date(dp: &mut DateParse, idate: u32, offset: usize, st: &mut super::SystemTime) -> Result<(), Hresult> {
    let (mut v1, mut v2, mut v3);
    let mut attempt = 0;
    if dp.count == 0 {
        v1 = 30;
        v2 = 12;
        v3 = 1899;
    } else {
        v1 = dp.values[offset];
        v2 = dp.values[offset + 1];
        v3 = if dp.count == 2 { current_year() } else { dp.values[offset + 2] };
        let mut all = if dp.flags[offset] & DP_MONTH != 0 {
            ORDER_MDY
        } else if dp.flags[offset + 1] & DP_MONTH != 0 {
            ORDER_DMY | if dp.count > 2 { ORDER_YMD } else { 0 }
        } else if dp.count > 2 && dp.flags[offset + 2] & DP_MONTH != 0 {
            ORDER_YDM
        } else {
            ORDER_MDY | ORDER_DMY | if dp.count > 2 { ORDER_YMD | ORDER_YDM } else { 0 }
        };
        // A leading number that cannot be a day or a month (an ISO "2001-02-03") is read as
        // year-month-day first, whatever the locale's order (what Wine 8 answers under de-DE).
        let iso = dp.count > 2 && v1 > 31 && all & ORDER_YMD != 0 && valid_month_day(v3, v2, v1);
        if iso {
            core::mem::swap(&mut v1, &mut v3);
        }
        'outer: loop {
            if iso {
                break 'outer;
            }
            while all != 0 {
                let t = match attempt {
                    0 => match idate {
                        0 => all & ORDER_MDY,
                        1 => all & ORDER_DMY,
                        _ => all & ORDER_YMD,
                    },
                    1 => match idate {
                        0 => all & !(ORDER_DMY | ORDER_YDM),
                        1 => all & !(ORDER_MDY | ORDER_YMD | ORDER_MYD),
                        _ => all & !(ORDER_DMY | ORDER_YDM),
                    },
                    _ => all,
                };
                attempt += 1;
                if t == 0 {
                    continue;
                }
                if t & ORDER_MDY != 0 {
                    if valid_month_day(v2, v1, v3) {
                        core::mem::swap(&mut v1, &mut v2);
                        break 'outer;
                    }
                    all &= !ORDER_MDY;
                }
                if t & ORDER_YMD != 0 {
                    if valid_month_day(v3, v2, v1) {
                        core::mem::swap(&mut v1, &mut v3);
                        break 'outer;
                    }
                    all &= !ORDER_YMD;
                }
                if t & ORDER_YDM != 0 {
                    if valid_month_day(v2, v3, v1) {
                        core::mem::swap(&mut v1, &mut v2);
                        core::mem::swap(&mut v2, &mut v3);
                        break 'outer;
                    }
                    all &= !ORDER_YDM;
                }
                if t & ORDER_DMY != 0 {
                    if valid_month_day(v1, v2, v3) {
                        break 'outer;
                    }
                    all &= !ORDER_DMY;
                }
                if t & ORDER_MYD != 0 {
                    if valid_month_day(v3, v1, v2) {
                        core::mem::swap(&mut v1, &mut v3);
                        core::mem::swap(&mut v2, &mut v3);
                        break 'outer;
                    }
                    all &= !ORDER_MYD;
                }
            }
            if dp.count == 2 {
                v3 = 1;
                all = ORDER_YMD | ORDER_MYD;
                dp.count = 0;
                attempt = 0;
                continue;
            }
            return Err(Hresult::DISP_E_TYPEMISMATCH);
        }
    }
    if st.hour > 23 || st.minute > 59 || st.second > 59 {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    if st.hour < 12 && dp.parse_flags & DP_PM != 0 {
        st.hour += 12;
    } else if st.hour == 12 && dp.parse_flags & DP_AM != 0 {
        st.hour = 0;
    }
    st.day = v1 as u16;
    st.month = v2 as u16;
    st.year = if v3 < 30 {
        2000 + v3
    } else if v3 < 100 {
        1900 + v3
    } else {
        v3
    } as u16;
    Ok(())
}

/// `VarDateFromStr` (flags: `VAR_TIMEVALUEONLY` 1, `VAR_DATEVALUEONLY` 2).
pub fn date_from_str(s: &[u16], loc: &Locale, flags: u32) -> Result<super::Date, Hresult> {
    if flags & 3 == 3 {
        return Err(Hresult::E_INVALIDARG);
    }
    let at = |i: usize| -> u16 { s.get(i).copied().unwrap_or(0) };
    let mut dp = DateParse { count: 0, parse_flags: 0, flags: [0; 7], values: [0; 7] };
    let mut date_seps = 0;
    let mut hr: Result<(), Hresult> = Ok(());
    // Tokens in oleaut32's order: 13 month names, 13 abbreviations, 7 day names, 7
    // abbreviations, AM, PM (the 13th month of each list is empty).
    let mut p = 0usize;
    let ascii_alpha = |c: u16| (b'a' as u16..=b'z' as u16).contains(&c) || (b'A' as u16..=b'Z' as u16).contains(&c);
    let match_ci = |pos: usize, text: &str| -> usize {
        let mut i = pos;
        let mut n = 0;
        for u in text.encode_utf16() {
            match s.get(i) {
                Some(&c) if fold(c) == fold(u) => {}
                _ => return 0,
            }
            i += 1;
            n += 1;
        }
        n
    };
    while at(p) != 0 {
        if dp.count > 6 {
            break;
        }
        let c = at(p);
        if (b'0' as u16..=b'9' as u16).contains(&c) {
            let mut v: u32 = 0;
            while (b'0' as u16..=b'9' as u16).contains(&at(p)) {
                v = v.saturating_mul(10).saturating_add((at(p) - b'0' as u16) as u32);
                p += 1;
            }
            dp.values[dp.count] = v;
            dp.count += 1;
            p -= 1;
        } else if ascii_alpha(c) {
            let mut found = false;
            let mut tokens: [(&str, u32); 42] = [("", 0); 42];
            for i in 0..12 {
                tokens[i] = (loc.months[i], 1 + i as u32);
                tokens[13 + i] = (loc.abbrev_months[i], 1 + i as u32);
            }
            for i in 0..7 {
                tokens[26 + i] = (loc.days[i], 0);
                tokens[33 + i] = (loc.abbrev_days[i], 0);
            }
            tokens[40] = (loc.am_pm[0], 0);
            tokens[41] = (loc.am_pm[1], 0);
            for (i, (text, month)) in tokens.iter().enumerate() {
                let len = if text.is_empty() { 0 } else { match_ci(p, text) };
                if len != 0 {
                    if i <= 25 {
                        dp.values[dp.count] = *month;
                        dp.flags[dp.count] |= DP_MONTH | DP_DATESEP;
                        dp.count += 1;
                    } else if i > 39 {
                        if dp.count == 0 || dp.parse_flags & (DP_AM | DP_PM) != 0 {
                            hr = Err(Hresult::DISP_E_TYPEMISMATCH);
                        } else {
                            let f = if i == 40 { DP_AM } else { DP_PM };
                            dp.flags[dp.count - 1] |= f;
                            dp.parse_flags |= f;
                        }
                    }
                    p += len - 1;
                    found = true;
                    break;
                }
            }
            if !found {
                let lc = c | 0x20;
                if (lc == b'a' as u16 || lc == b'p' as u16) && dp.count != 0 && dp.parse_flags & (DP_AM | DP_PM) == 0 {
                    let f = if lc == b'a' as u16 { DP_AM } else { DP_PM };
                    dp.flags[dp.count - 1] |= f;
                    dp.parse_flags |= f;
                    p += 1;
                } else {
                    hr = Err(Hresult::DISP_E_TYPEMISMATCH);
                    break;
                }
            }
        } else if c == b':' as u16 || (c == b'.' as u16 && loc.date_sep != b'.' as u16) {
            if dp.count == 0 || at(p + 1) == 0 {
                hr = Err(Hresult::DISP_E_TYPEMISMATCH);
            } else {
                dp.flags[dp.count - 1] |= DP_TIMESEP;
            }
        } else if c == b'-' as u16 || c == b'/' as u16 || c == loc.date_sep {
            date_seps += 1;
            if date_seps > 2 || dp.count == 0 || at(p + 1) == 0 {
                hr = Err(Hresult::DISP_E_TYPEMISMATCH);
            } else {
                dp.flags[dp.count - 1] |= DP_DATESEP;
            }
        } else if c == b',' as u16 || date_space(c) {
            if c == b',' as u16 && at(p + 1) == 0 {
                hr = Err(Hresult::DISP_E_TYPEMISMATCH);
            }
        } else {
            hr = Err(Hresult::DISP_E_TYPEMISMATCH);
        }
        p += 1;
    }
    if dp.count == 0 || dp.count > 6 || (dp.count == 1 && dp.parse_flags & (DP_AM | DP_PM) == 0) {
        hr = Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    hr?;
    let mut st = super::SystemTime::default();
    let mut offset = 0usize;
    let tf = |i: usize| (dp.flags[i] & DP_TIMESEP) << i;
    let ampm = |i: usize| dp.flags[i] & (DP_AM | DP_PM) != 0;
    let mut hr: Result<(), Hresult> = Ok(());
    let mismatch = Err(Hresult::DISP_E_TYPEMISMATCH);
    let key = tf(0) | tf(1) | tf(2) | tf(3) | tf(4);
    // Below, a shape that does not fit its time-separator pattern sets `hr` and goes on (as Wine's
    // VarDateFromStr does); the counts then saturate instead of wrapping ("12:PM" has one value).
    let mut fallthrough_8 = false;
    match key {
        0x1 => {
            if dp.count > 3 && (ampm(2) || ampm(3) || ampm(4)) {
                hr = mismatch;
            } else if dp.count != 2 && dp.count != 4 && dp.count != 5 {
                hr = mismatch;
            }
            st.hour = dp.values[0] as u16;
            st.minute = dp.values[1] as u16;
            dp.count = dp.count.saturating_sub(2);
            offset = 2;
        }
        0x3 => {
            if dp.count > 4 && (ampm(3) || ampm(4) || ampm(5)) {
                hr = mismatch;
            } else if dp.count != 3 && dp.count != 5 && dp.count != 6 {
                hr = mismatch;
            }
            st.hour = dp.values[0] as u16;
            st.minute = dp.values[1] as u16;
            st.second = dp.values[2] as u16;
            offset = 3;
            dp.count = dp.count.saturating_sub(3);
        }
        0x4 => {
            if dp.count != 4 || ampm(0) || ampm(1) {
                hr = mismatch;
            }
            st.hour = dp.values[2] as u16;
            st.minute = dp.values[3] as u16;
            dp.count = dp.count.saturating_sub(2);
        }
        0x0 => {
            if dp.count == 1 && dp.parse_flags & (DP_AM | DP_PM) != 0 {
                st.hour = dp.values[0] as u16;
                dp.count = 0;
            } else if dp.count > 4 || (dp.count < 3 && dp.parse_flags & (DP_AM | DP_PM) != 0) {
                hr = mismatch;
                fallthrough_8 = true;
            } else if dp.count == 3 {
                if ampm(0) {
                    dp.count = 2;
                    st.hour = dp.values[0] as u16;
                    offset = 1;
                } else if ampm(2) {
                    dp.count = 2;
                    st.hour = dp.values[2] as u16;
                } else {
                    if dp.parse_flags & (DP_AM | DP_PM) != 0 {
                        hr = mismatch;
                    }
                    fallthrough_8 = true;
                }
            } else if dp.count == 4 {
                dp.count = 3;
                if ampm(0) {
                    st.hour = dp.values[0] as u16;
                    offset = 1;
                } else if ampm(3) {
                    st.hour = dp.values[3] as u16;
                } else {
                    hr = mismatch;
                }
            } else {
                fallthrough_8 = true;
            }
        }
        0x8 => fallthrough_8 = true,
        0xC => {
            if dp.count != 5 || ampm(0) || ampm(1) {
                hr = mismatch;
            }
            st.hour = dp.values[2] as u16;
            st.minute = dp.values[3] as u16;
            st.second = dp.values[4] as u16;
            dp.count = dp.count.saturating_sub(3);
        }
        0x18 => {
            if ampm(0) || ampm(1) || ampm(2) {
                hr = mismatch;
            }
            st.hour = dp.values[3] as u16;
            st.minute = dp.values[4] as u16;
            st.second = dp.values[5] as u16;
            dp.count = dp.count.saturating_sub(3);
        }
        _ => hr = mismatch,
    }
    if fallthrough_8 {
        if (dp.count == 2 && dp.parse_flags & (DP_AM | DP_PM) != 0)
            || (dp.count == 5 && (ampm(0) || ampm(1) || ampm(2)))
            || dp.count == 4
            || dp.count == 6
        {
            hr = mismatch;
        }
        st.hour = dp.values[3] as u16;
        st.minute = dp.values[4] as u16;
        if dp.count == 5 {
            dp.count = dp.count.saturating_sub(2);
        }
    }
    hr?;
    let made = make_date(&mut dp, loc.idate, offset, &mut st);
    if flags & 1 != 0 {
        st.year = 1899;
        st.month = 12;
        st.day = 30;
    } else if flags & 2 != 0 {
        st.hour = 0;
        st.minute = 0;
        st.second = 0;
    }
    made?;
    super::Date::from_system_time(&st).map_err(|_| Hresult::DISP_E_TYPEMISMATCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variant::locale::{DE_DE, EN_US, INVARIANT, JA_JP};
    use proptest::prelude::*;

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    /// The one-pass scanner gives the general scanner's NUMPARSE wherever it answers.
    fn same_as_general(text: &str) -> Result<bool, TestCaseError> {
        let s = utf16(text);
        let mut answered = false;
        for loc in [&EN_US, &INVARIANT, &DE_DE, &JA_JP] {
            let Some(fast) = parse_plain::<SHORT_DIGITS>(&s, loc) else { continue };
            answered = true;
            let general = parse_number_into::<SHORT_DIGITS>(&s, loc, STD);
            prop_assert!(general.is_ok(), "{:?} under {:x}: general scanner refused", text, loc.lcid);
            let general = general.unwrap();
            prop_assert_eq!(&fast.digits[..fast.count], &general.digits[..general.count], "{:?}", text);
            prop_assert_eq!(
                (fast.in_flags, fast.out_flags, fast.used, fast.base_shift, fast.pwr10),
                (general.in_flags, general.out_flags, general.used, general.base_shift, general.pwr10),
                "{:?} under {:x}",
                text,
                loc.lcid
            );
        }
        Ok(answered)
    }

    #[test]
    fn plain_scanner_matches_the_general_one_on_edges() {
        for text in [
            "0",
            "-0",
            "00",
            "0.0",
            "0.000",
            "000.0100",
            "1",
            "-1",
            "10",
            "100.",
            "1.",
            "1234.5678",
            "-1234.5678",
            "0.05",
            "007",
            "1,5",
            "-0,50",
            "123456789",
            "99999999999999999999",
            "1.000000000001",
            "5.50",
        ] {
            same_as_general(text).unwrap();
        }
        // Not plain: signs, spaces, separators, exponents, hex, currency, two separators.
        for text in ["", "-", ".", ".5", "-.5", "+1", "1-", " 1", "1 ", "1e5", "&H10", "$1", "1.2.3", "1,000", "(1)"] {
            let s = utf16(text);
            assert!(parse_plain::<SHORT_DIGITS>(&s, &EN_US).is_none(), "{text:?}");
        }
    }

    /// The integer and real targets, which plain text converts to directly.
    const FAST_TARGETS: &[NumTarget] = NumTarget::ALL.split_at(10).0;

    /// The direct conversion of plain text gives what the NUMPARSE route gives (the general
    /// scanner, then `VarNumFromParseNum`), bit for bit, wherever it answers.
    fn direct_same_as_numparse(text: &str) -> Result<(), TestCaseError> {
        let s = utf16(text);
        for loc in [&EN_US, &INVARIANT, &DE_DE, &JA_JP] {
            let Some(plain) = PlainNumber::scan(&s, loc) else { continue };
            let general = parse_number_into::<MAX_DIGITS>(&s, loc, STD);
            prop_assert!(general.is_ok(), "{:?}: general scanner refused", text);
            let general = general.unwrap();
            for &target in FAST_TARGETS {
                let Some(direct) = plain.convert(target) else { continue };
                let reference = number_from_parse(&general, target);
                let bits = |r: &Result<Number, Hresult>| match r {
                    Ok(Number::R8(x)) => Ok(x.to_bits() as i128),
                    Ok(Number::R4(x)) => Ok(x.to_bits() as i128),
                    Ok(other) => Err(format!("{other:?}")),
                    Err(h) => Err(format!("{h:?}")),
                };
                prop_assert_eq!(bits(&direct), bits(&reference), "{:?} as {:?} under {:x}", text, target, loc.lcid);
            }
        }
        Ok(())
    }

    #[test]
    fn four_digits_reads_exactly_four_ascii_digits() {
        assert_eq!(four_digits(&utf16("1234")), Some(1234));
        assert_eq!(four_digits(&utf16("0009")), Some(9));
        assert_eq!(four_digits(&utf16("9999")), Some(9999));
        for bad in ["123a", "/123", ":123", "12.4", "1 34"] {
            assert_eq!(four_digits(&utf16(bad)), None, "{bad}");
        }
        // Units beyond ASCII whose low byte is a digit.
        assert_eq!(four_digits(&[0x0131, 0x32, 0x33, 0x34]), None);
        assert_eq!(four_digits(&[0x31, 0x32, 0x33, 0xFF34]), None);
        // A last unit near 0xFFFF carries out of the word when +6 is added to every lane (found by
        // `variant_text`: an overflow panic with overflow checks on).
        assert_eq!(four_digits(&[0x31, 0x32, 0x33, 0xFFFF]), None);
        assert_eq!(four_digits(&[0xFFFF, 0xFFFF, 0xFFFF, 0xFFFA]), None);
        for n in 0..10_000u64 {
            assert_eq!(four_digits(&utf16(&format!("{n:04}"))), Some(n));
        }
    }

    #[test]
    fn direct_conversion_matches_numparse_on_edges() {
        let zeros = "0".repeat(2000);
        for text in [
            "0".to_string(),
            "-0".into(),
            "0.000".into(),
            "1234.5678".into(),
            "-1234.5678".into(),
            "123456789".into(),
            "-2147483648".into(),
            "2147483648".into(),
            "-9223372036854775808".into(),
            "18446744073709551615".into(),
            "9999999999999999999".into(),
            "999999999999999".into(),
            "0.1".into(),
            "3.4028235".into(),
            "340282350000000000000000000000000000000".into(),
            "0.0000000000000000000000000000000000000000000001".into(),
            "1.000000000000001".into(),
            "255".into(),
            "-128".into(),
            "-129".into(),
            "65535".into(),
            "4294967295".into(),
            "100000".into(),
            "1.5".into(),
            format!("{zeros}1"),
            format!("1{zeros}"),
            format!("0.{zeros}1"),
            format!("1.{zeros}"),
        ] {
            direct_same_as_numparse(&text).unwrap();
        }
        assert_eq!(number_from_str(&utf16("1234.5678"), &EN_US, NumTarget::R8), Ok(Number::R8(1234.5678)));
        assert_eq!(number_from_str(&utf16("-7"), &EN_US, NumTarget::UI4), Err(Hresult::DISP_E_OVERFLOW));
    }

    proptest! {
        #[test]
        fn direct_conversion_matches_numparse(text in "-?[0-9]{1,22}([.,][0-9]{0,22})?", x in any::<f64>(), i in any::<i64>()) {
            direct_same_as_numparse(&text)?;
            direct_same_as_numparse(&format!("{}", x.abs()))?;
            direct_same_as_numparse(&format!("{x}"))?;
            direct_same_as_numparse(&format!("{i}"))?;
        }

        #[test]
        fn plain_scanner_matches_the_general_one(text in "-?[0-9]{0,25}([.,][0-9]{0,25})?", junk in "[-+.,0-9 eE&$]{0,12}") {
            same_as_general(&text)?;
            same_as_general(&junk)?;
        }

        #[test]
        fn plain_scanner_answers_plain_text(int in "[0-9]{1,25}", frac in proptest::option::of("[0-9]{0,25}"), neg in any::<bool>()) {
            let text = format!("{}{}{}", if neg { "-" } else { "" }, int, frac.map(|f| format!(".{f}")).unwrap_or_default());
            prop_assert!(same_as_general(&text)?, "{:?} not taken by the one-pass scanner", text);
        }
    }

    /// Found by the `variant_text` fuzz target: "1.2E-33" read as a DECIMAL kept scale 34 (an invalid
    /// DECIMAL), and printing it overran the text buffer. The decimals beyond 28 are rounded away.
    #[test]
    fn decimals_beyond_28_are_rounded_away() {
        let loc = super::super::locale::locale(0x0409).unwrap();
        let dec = |t: &str| {
            let s: Vec<u16> = t.encode_utf16().collect();
            match number_from_str(&s, loc, NumTarget::Decimal) {
                Ok(Number::Decimal(d)) => d,
                other => panic!("{t}: {other:?}"),
            }
        };
        for (text, mantissa, scale) in [
            ("1.2E-33", 0u128, 28u8),
            ("1.5E-28", 2, 28),
            ("2.5E-28", 2, 28),
            ("123456789E-30", 1234568, 28),
            ("-7E-29", 1, 28),
        ] {
            let d = dec(text);
            assert!(d.validate().is_ok(), "{text}: {d:?}");
            assert_eq!((d.mantissa(), d.scale), (mantissa, scale), "{text}");
        }
        assert!(dec("-1E-40").validate().is_ok());
        let mut buf = [0u8; 32];
        let _ = dec("1.2E-33").write_invariant(&mut buf);
    }

    /// Found by the `variant_text` fuzz target: an exponent near i32::MAX followed by trailing zeros in the
    /// mantissa overflowed the power of ten; it saturates, and the number is out of every range.
    #[test]
    fn a_huge_exponent_with_trailing_zeros_is_an_overflow() {
        let loc = super::super::locale::locale(0x0409).unwrap();
        let units: Vec<u16> = "1000E2147483647".encode_utf16().collect();
        for target in [NumTarget::I4, NumTarget::R8, NumTarget::Decimal] {
            assert_eq!(number_from_str(&units, loc, target), Err(Hresult::DISP_E_OVERFLOW), "{target:?}");
        }
    }

    /// Found by the `variant_text` fuzz target (a timeout): zero with a huge exponent looped once per power of
    /// ten. Zero times any power of ten is zero, for every target type.
    #[test]
    fn zero_with_a_huge_exponent_is_zero_at_once() {
        for target in NumTarget::ALL {
            let zero = number_from_str(&utf16("0"), &EN_US, target);
            for text in ["0E999999999", "0.0E999999999", "0E-999999999", "000E2000000000"] {
                // A DECIMAL scale above 255 is DISP_E_OVERFLOW before any digit is looked at
                // (VarNumFromParseNum's rule, kept as Wine has it).
                let expected = if target == NumTarget::Decimal && text.contains("E-") {
                    Err(Hresult::DISP_E_OVERFLOW)
                } else {
                    zero
                };
                assert_eq!(number_from_str(&utf16(text), &EN_US, target), expected, "{text} as {target:?}");
            }
        }
    }

    /// Found by the `variant_text` fuzz target: one number, a time separator and AM/PM ("12:PM") made a
    /// count underflow (a panic with overflow checks, a wrapped count without).
    #[test]
    fn a_time_with_a_single_number_is_a_type_mismatch() {
        for lcid in [0x0409, 0x007F, 0x0407, 0x0411] {
            let loc = super::super::locale::locale(lcid).unwrap();
            for text in ["12:PM", "12:", "1:2:PM"] {
                let s: Vec<u16> = text.encode_utf16().collect();
                assert_eq!(date_from_str(&s, loc, 0).err(), Some(Hresult::DISP_E_TYPEMISMATCH), "{text:?} {lcid:#x}");
            }
        }
    }
}
