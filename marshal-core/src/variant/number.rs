//! Scalar conversions between the numeric VARIANT types, with oleaut32's range checks
//! (`DISP_E_OVERFLOW`) and its rounding of floating values to integers (half to even,
//! `VARIANT_DutchRound`).

// Comparisons are written as oleaut32 writes them: `v < lo || v >= hi` lets NaN through where `Range::contains` would not.
#![allow(clippy::manual_range_contains)]

use crate::hresult::Hresult;

/// Rounds half to even the way oleaut32's `VARIANT_DutchRound` does, in f64.
///
/// oleaut32 splits the value into whole and fraction with `floor`/`ceil` and compares the
/// fraction with ±0.5; that is round-half-to-even for every finite value. Here the FPU does
/// it: adding and subtracting 2^52 to a magnitude below 2^52 rounds it to an integer under
/// the default (nearest, ties-to-even) rounding mode, with no call to libm's `floor`/`ceil`
/// (which baseline x86-64 has no instruction for). Larger magnitudes, infinities and NaN
/// are already what the rounding gives back.
#[inline]
pub fn dutch_round(v: f64) -> f64 {
    const TWO_POW_52: f64 = 4_503_599_627_370_496.0;
    let magnitude = v.abs();
    if magnitude < TWO_POW_52 {
        ((magnitude + TWO_POW_52) - TWO_POW_52).copysign(v)
    } else {
        v
    }
}

/// [`dutch_round`] then a saturating cast to i64 (callers check the range first).
#[inline]
pub(crate) fn dutch_round_i64(v: f64) -> i64 {
    dutch_round(v) as i64
}

/// What oleaut32 yields for a NaN on x86-64: its rounding falls through to
/// `(type)NaN - 1`, and the conversion of NaN gives the "integer indefinite" value.
fn nan_result(bits: u32, signed: bool) -> i128 {
    let indefinite: i128 = match (bits, signed) {
        (64, true) | (64, false) => i64::MIN as i128,
        (32, true) => i32::MIN as i128,
        _ => 0, // narrower types and UI4 keep the low bits of 0x8000_0000(_0000_0000)
    };
    indefinite - 1
}

macro_rules! from_f64_int {
    ($name:ident, $t:ty, $lo:expr, $hi:expr, $bits:expr, $signed:expr) => {
        /// oleaut32's `Var…FromR8`: the range [MIN - 0.5, MAX + 0.5) (unsigned: [-0.5, MAX + 0.5)),
        /// then half-to-even rounding.
        #[inline]
        pub fn $name(v: f64) -> Result<$t, Hresult> {
            if v.is_nan() {
                return Ok(nan_result($bits, $signed) as $t);
            }
            if v < $lo || v >= $hi {
                return Err(Hresult::DISP_E_OVERFLOW);
            }
            Ok(dutch_round(v) as i64 as $t)
        }
    };
}

from_f64_int!(i8_from_f64, i8, -128.5, 127.5, 8, true);
from_f64_int!(i16_from_f64, i16, -32768.5, 32767.5, 16, true);
from_f64_int!(i32_from_f64, i32, -2147483648.5, 2147483647.5, 32, true);
from_f64_int!(u8_from_f64, u8, -0.5, 255.5, 8, false);
from_f64_int!(u16_from_f64, u16, -0.5, 65535.5, 16, false);
from_f64_int!(u32_from_f64, u32, -0.5, 4294967295.5, 32, false);

/// `VarI8FromR8`: only values within ±2^62 are accepted.
#[inline]
pub fn i64_from_f64(v: f64) -> Result<i64, Hresult> {
    if v.is_nan() {
        return Ok(i64::MAX);
    }
    if v < -4611686018427387904.0 || v >= 4611686018427387904.0 {
        return Err(Hresult::DISP_E_OVERFLOW);
    }
    Ok(dutch_round(v) as i64)
}

/// `VarUI8FromR8`: [-0.5, 1.844674407370955e19].
#[inline]
pub fn u64_from_f64(v: f64) -> Result<u64, Hresult> {
    if v.is_nan() {
        return Ok(i64::MAX as u64);
    }
    if v < -0.5 || v > 1.844674407370955e19 {
        return Err(Hresult::DISP_E_OVERFLOW);
    }
    Ok(dutch_round(v) as u64)
}

/// `VarR4FromR8`: |v| > f32::MAX overflows.
pub fn f32_from_f64(v: f64) -> Result<f32, Hresult> {
    if v.abs() > f32::MAX as f64 {
        return Err(Hresult::DISP_E_OVERFLOW);
    }
    Ok(v as f32)
}

/// `VarDateFromR8`: the open interval (DATE_MIN - 1, DATE_MAX + 1).
pub fn date_from_f64(v: f64) -> Result<f64, Hresult> {
    if v <= super::date::DATE_MIN - 1.0 || v >= super::date::DATE_MAX + 1.0 {
        return Err(Hresult::DISP_E_OVERFLOW);
    }
    Ok(v)
}

/// `VarDateFromI8`: [DATE_MIN, DATE_MAX].
pub fn date_from_i64(v: i64) -> Result<f64, Hresult> {
    if (v as f64) < super::date::DATE_MIN || (v as f64) > super::date::DATE_MAX {
        return Err(Hresult::DISP_E_OVERFLOW);
    }
    Ok(v as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_rounding_matches_the_documented_table() {
        // vartype.c's table for VarI8FromR8: 0.4→0, -0.4→0, 0.6→1, -0.6→-1, halves to even.
        for (v, r) in [
            (0.4, 0.0),
            (-0.4, 0.0),
            (0.6, 1.0),
            (-0.6, -1.0),
            (0.5, 0.0),
            (1.5, 2.0),
            (2.5, 2.0),
            (-2.5, -2.0),
            (-3.5, -4.0),
        ] {
            assert_eq!(dutch_round(v), r, "{v}");
        }
    }

    /// oleaut32's own formulation (`VARIANT_DutchRound`): whole part by floor/ceil, then
    /// the fraction compared with ±0.5.
    fn dutch_round_by_fraction(v: f64) -> f64 {
        let whole = if v < 0.0 { v.ceil() } else { v.floor() };
        let fract = v - whole;
        if fract > 0.5 {
            whole + 1.0
        } else if fract == 0.5 {
            whole + if whole % 2.0 != 0.0 { 1.0 } else { 0.0 }
        } else if fract >= 0.0 {
            whole
        } else if fract == -0.5 {
            whole - if whole % 2.0 != 0.0 { 1.0 } else { 0.0 }
        } else if fract > -0.5 {
            whole
        } else {
            whole - 1.0
        }
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn dutch_round_agrees_with_the_fraction_formulation_and_std_on_edges() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            0.49999999999999994,
            -0.49999999999999994,
            1.5,
            2.5,
            -1.5,
            -2.5,
            4503599627370495.5,
            -4503599627370495.5,
            4503599627370496.0,
            4503599627370497.0,
            9007199254740993.0,
            2251799813685247.5,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for v in edges {
            assert!(same(dutch_round(v), dutch_round_by_fraction(v)), "{v:e}");
            assert!(same(dutch_round(v), v.round_ties_even()), "{v:e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn dutch_round_is_round_half_even(bits in proptest::prelude::any::<u64>(), half in -1_000_000i64..1_000_000) {
            let v = f64::from_bits(bits);
            proptest::prop_assert!(same(dutch_round(v), dutch_round_by_fraction(v)), "{v:e}");
            proptest::prop_assert!(same(dutch_round(v), v.round_ties_even()), "{v:e}");
            let h = half as f64 + 0.5;
            proptest::prop_assert!(same(dutch_round(h), dutch_round_by_fraction(h)), "{h}");
        }
    }

    #[test]
    fn narrowing_overflow_is_disp_e_overflow() {
        assert_eq!(i8_from_f64(127.5), Err(Hresult::DISP_E_OVERFLOW));
        assert_eq!(u8_from_f64(-0.6), Err(Hresult::DISP_E_OVERFLOW));
        assert_eq!(i8_from_f64(-128.5), Ok(-128));
        assert_eq!(u8_from_f64(-0.5), Ok(0));
        assert_eq!(i64_from_f64(4611686018427387904.0), Err(Hresult::DISP_E_OVERFLOW));
    }
}
