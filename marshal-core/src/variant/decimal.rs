//! `DECIMAL`: a 96-bit unsigned mantissa, a power-of-ten scale 0–28 and a sign.
//!
//! The native layout is 16 bytes: `wReserved: u16, scale: u8, sign: u8, Hi32: u32, Lo64: u64`.
//! Inside a VARIANT the DECIMAL overlays the whole first 16 bytes, `wReserved` being the VARIANT's `vt`.
//! Conversions follow oleaut32 (`VarDecFrom*`, `Var*FromDec`) including its rounding and error codes.

use core::fmt;

use crate::hresult::Hresult;

/// Largest scale a valid DECIMAL may carry (`DEC_MAX_SCALE`).
pub const DEC_MAX_SCALE: u8 = 28;
/// The `sign` byte of a negative DECIMAL (`DECIMAL_NEG`).
pub const DECIMAL_NEG: u8 = 0x80;
/// The largest 96-bit mantissa.
pub const MAX_MANTISSA: u128 = (1u128 << 96) - 1;

/// An OLE Automation `DECIMAL`, laid out exactly as the native struct.
///
/// ```
/// use marshal_core::variant::Decimal;
/// let d = Decimal::new(123456, 3, true).unwrap();
/// assert_eq!(d.to_string(), "-123.456");
/// assert_eq!(core::mem::size_of::<Decimal>(), 16);
/// ```
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// `wReserved`; the VARIANT's `vt` when the DECIMAL sits in a VARIANT.
    pub reserved: u16,
    /// Power of ten the mantissa is divided by (valid: 0..=28).
    pub scale: u8,
    /// `0` positive, `0x80` negative (other values are invalid).
    pub sign: u8,
    /// Bits 64..96 of the mantissa.
    pub hi32: u32,
    /// Bits 0..64 of the mantissa.
    pub lo64: u64,
}

const _: () = assert!(core::mem::size_of::<Decimal>() == 16);
const _: () = assert!(core::mem::offset_of!(Decimal, scale) == 2);
const _: () = assert!(core::mem::offset_of!(Decimal, sign) == 3);
const _: () = assert!(core::mem::offset_of!(Decimal, hi32) == 4);
const _: () = assert!(core::mem::offset_of!(Decimal, lo64) == 8);

const POW10_U128: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `10^n` as u128 (n ≤ 38).
pub(crate) fn pow10(n: u32) -> u128 {
    POW10_U128[n as usize]
}

impl Decimal {
    /// Zero (positive, scale 0).
    pub const ZERO: Decimal = Decimal { reserved: 0, scale: 0, sign: 0, hi32: 0, lo64: 0 };

    /// Builds a DECIMAL from a mantissa, a scale and a sign. `E_INVALIDARG` when the
    /// mantissa needs more than 96 bits or the scale is above 28.
    pub fn new(mantissa: u128, scale: u8, negative: bool) -> Result<Decimal, Hresult> {
        if mantissa > MAX_MANTISSA || scale > DEC_MAX_SCALE {
            return Err(Hresult::E_INVALIDARG);
        }
        Ok(Decimal::from_parts_unchecked(mantissa, scale, negative))
    }

    pub(crate) fn from_parts_unchecked(mantissa: u128, scale: u8, negative: bool) -> Decimal {
        Decimal {
            reserved: 0,
            scale,
            sign: if negative { DECIMAL_NEG } else { 0 },
            hi32: (mantissa >> 64) as u32,
            lo64: mantissa as u64,
        }
    }

    /// .NET's `decimal.FromOACurrency` (the CLR's `UnmanagedType.Currency`
    /// marshaler, VT_CY → `decimal`): the value at scale 4 with trailing zeros
    /// removed (unlike oleaut32's `VarDecFromCy`, which keeps scale 4).
    ///
    /// ```
    /// use marshal_core::variant::{Currency, Decimal};
    /// let d = Decimal::from_clr_currency(Currency(-15_000));
    /// assert_eq!((d.mantissa(), d.scale, d.is_negative()), (15, 1, true));
    /// ```
    pub fn from_clr_currency(cy: super::Currency) -> Decimal {
        let mut m = cy.0.unsigned_abs();
        let mut scale = 4u8;
        while scale > 0 && m != 0 && m % 10 == 0 {
            m /= 10;
            scale -= 1;
        }
        if m == 0 {
            scale = 0;
        }
        Decimal { reserved: 0, scale, sign: if cy.0 < 0 && m != 0 { 0x80 } else { 0 }, hi32: 0, lo64: m }
    }

    /// Reads the 16 native bytes (`wReserved` included).
    pub fn from_bytes(b: [u8; 16]) -> Decimal {
        Decimal {
            reserved: u16::from_le_bytes([b[0], b[1]]),
            scale: b[2],
            sign: b[3],
            hi32: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            lo64: u64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]),
        }
    }

    /// The 16 native bytes (little-endian).
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..2].copy_from_slice(&self.reserved.to_le_bytes());
        b[2] = self.scale;
        b[3] = self.sign;
        b[4..8].copy_from_slice(&self.hi32.to_le_bytes());
        b[8..16].copy_from_slice(&self.lo64.to_le_bytes());
        b
    }

    /// The 96-bit mantissa.
    pub fn mantissa(&self) -> u128 {
        ((self.hi32 as u128) << 64) | self.lo64 as u128
    }

    /// The sign byte says negative (any set bit 0x80).
    pub fn is_negative(&self) -> bool {
        self.sign & DECIMAL_NEG != 0
    }

    /// `Ok` when the scale is at most 28 and the sign byte is 0 or 0x80, else `E_INVALIDARG`
    /// (what oleaut32 answers for such a DECIMAL).
    pub fn validate(&self) -> Result<(), Hresult> {
        if self.scale > DEC_MAX_SCALE || self.sign & !DECIMAL_NEG != 0 {
            Err(Hresult::E_INVALIDARG)
        } else {
            Ok(())
        }
    }

    /// `VarDecFromI8`.
    pub fn from_i64(v: i64) -> Decimal {
        Decimal::from_parts_unchecked(v.unsigned_abs() as u128, 0, v < 0)
    }

    /// `VarDecFromUI8`.
    pub fn from_u64(v: u64) -> Decimal {
        Decimal::from_parts_unchecked(v as u128, 0, false)
    }

    /// `VarDecFromCy`: scale 4, the currency's 64-bit value as mantissa.
    pub fn from_currency(cy: super::Currency) -> Decimal {
        Decimal::from_parts_unchecked(cy.0.unsigned_abs() as u128, 4, cy.0 < 0)
    }

    /// `VarDecFromR8`: the exact binary value of the double, reduced to the precision a
    /// double carries, as oleaut32 computes it. Infinity → `DISP_E_OVERFLOW`, NaN →
    /// `DISP_E_BADVARTYPE`, magnitude ≥ 2^96 → `DISP_E_OVERFLOW`.
    pub fn from_f64(v: f64) -> Result<Decimal, Hresult> {
        let bits = v.to_bits();
        let negative = bits >> 63 != 0;
        let exp_bias = ((bits >> 52) & 0x7FF) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        if exp_bias == 0 && frac == 0 {
            return Ok(Decimal::ZERO);
        }
        if exp_bias == 0x7FF {
            return Err(if frac == 0 { Hresult::DISP_E_OVERFLOW } else { Hresult::DISP_E_BADVARTYPE });
        }
        let (mantissa, exponent2) =
            if exp_bias == 0 { (frac, exp_bias - 1023 + 1 - 52) } else { (frac | (1u64 << 52), exp_bias - 1023 - 52) };
        let (m, scale) = normalize(mantissa as u128, exponent2, true)?;
        Ok(Decimal::from_parts_unchecked(m, scale, negative))
    }

    /// `VarDecFromR4`: as [`Decimal::from_f64`] with a float's precision.
    pub fn from_f32(v: f32) -> Result<Decimal, Hresult> {
        let bits = v.to_bits();
        let negative = bits >> 31 != 0;
        let exp_bias = ((bits >> 23) & 0xFF) as i32;
        let frac = bits & 0x7F_FFFF;
        if exp_bias == 0 && frac == 0 {
            return Ok(Decimal::ZERO);
        }
        if exp_bias == 0xFF {
            return Err(if frac == 0 { Hresult::DISP_E_OVERFLOW } else { Hresult::DISP_E_BADVARTYPE });
        }
        let (mantissa, exponent2) =
            if exp_bias == 0 { (frac, exp_bias - 127 + 1 - 23) } else { (frac | 0x80_0000, exp_bias - 127 - 23) };
        let (m, scale) = normalize(mantissa as u128, exponent2, false)?;
        Ok(Decimal::from_parts_unchecked(m, scale, negative))
    }

    /// `VarR8FromDec`: oleaut32's own (not correctly rounded) computation.
    pub fn to_f64(&self) -> Result<f64, Hresult> {
        self.validate()?;
        let mut divisor = 1.0f64;
        for _ in 0..self.scale {
            divisor *= 10.0;
        }
        if self.is_negative() {
            divisor = -divisor;
        }
        let high = if self.hi32 != 0 { (self.hi32 as f64 / divisor) * 4294967296.0 * 4294967296.0 } else { 0.0 };
        Ok(self.lo64 as f64 / divisor + high)
    }

    /// `VarR4FromDec`: computed in double with an integer divisor, then narrowed.
    pub fn to_f32(&self) -> Result<f32, Hresult> {
        self.validate()?;
        let mut divisor: i32 = 1;
        for _ in 0..self.scale {
            divisor = divisor.wrapping_mul(10);
        }
        if self.is_negative() {
            divisor = divisor.wrapping_neg();
        }
        let high = if self.hi32 != 0 {
            (self.hi32 as f64 / divisor as f64) * 4294967296.0f32 as f64 * 4294967296.0f32 as f64
        } else {
            0.0
        };
        Ok((self.lo64 as f64 / divisor as f64 + high) as f32)
    }

    /// `VarI8FromDec`: integers directly (overflow past 63 bits), scaled values via double.
    pub fn to_i64(&self) -> Result<i64, Hresult> {
        if self.scale == 0 {
            if self.sign & !DECIMAL_NEG != 0 {
                return Err(Hresult::E_INVALIDARG);
            }
            if self.hi32 != 0 || self.lo64 & (1 << 63) != 0 {
                return Err(Hresult::DISP_E_OVERFLOW);
            }
            Ok(if self.is_negative() { (self.lo64 as i64).wrapping_neg() } else { self.lo64 as i64 })
        } else {
            super::number::i64_from_f64(self.to_f64()?)
        }
    }

    /// `VarUI8FromDec`: negative integers overflow (Wine's behaviour; Windows ignores the sign).
    pub fn to_u64(&self) -> Result<u64, Hresult> {
        if self.scale == 0 {
            if self.sign & !DECIMAL_NEG != 0 {
                return Err(Hresult::E_INVALIDARG);
            }
            if self.hi32 != 0 || self.is_negative() {
                return Err(Hresult::DISP_E_OVERFLOW);
            }
            Ok(self.lo64)
        } else {
            super::number::u64_from_f64(self.to_f64()?)
        }
    }

    /// `VarDecRound`: keeps `decimals` digits after the point. oleaut32 divides by the power
    /// of ten and rounds the quotient up when the integer remainder is at least 5.
    pub fn round(&self, decimals: u8) -> Result<Decimal, Hresult> {
        self.validate()?;
        if decimals >= self.scale {
            return Ok(*self);
        }
        let divisor = pow10((self.scale - decimals) as u32);
        let m = self.mantissa();
        let mut q = m / divisor;
        if m % divisor >= 5 {
            q += 1;
        }
        Ok(Decimal::from_parts_unchecked(q, decimals, self.is_negative() && m != 0))
    }

    /// Negation (`VarDecNeg`: flips the sign byte).
    pub fn neg(&self) -> Decimal {
        let mut d = *self;
        d.sign ^= DECIMAL_NEG;
        d
    }

    /// Exact sum when representable; when aligning the scales overflows 96 bits the operand
    /// with the larger scale loses digits (rounded half up), as `VarDecAdd` does; a result
    /// past 96 bits at scale 0 is `DISP_E_OVERFLOW`.
    pub fn checked_add(&self, other: &Decimal) -> Result<Decimal, Hresult> {
        self.validate()?;
        other.validate()?;
        let (mut a, mut sa) = (self.mantissa(), self.scale as u32);
        let (mut b, mut sb) = (other.mantissa(), other.scale as u32);
        // Align scales: scale up the smaller-scale operand while it fits, else scale down the other.
        while sa < sb {
            match a.checked_mul(10).filter(|v| *v <= MAX_MANTISSA) {
                Some(v) => {
                    a = v;
                    sa += 1;
                }
                None => {
                    b = div_round_half_up(b, 10);
                    sb -= 1;
                }
            }
        }
        while sb < sa {
            match b.checked_mul(10).filter(|v| *v <= MAX_MANTISSA) {
                Some(v) => {
                    b = v;
                    sb += 1;
                }
                None => {
                    a = div_round_half_up(a, 10);
                    sa -= 1;
                }
            }
        }
        let (na, nb) = (self.is_negative(), other.is_negative());
        let (mut mag, neg) = if na == nb {
            (a + b, na)
        } else if a >= b {
            (a - b, na && a != b)
        } else {
            (b - a, nb)
        };
        let mut scale = sa;
        while mag > MAX_MANTISSA {
            if scale == 0 {
                return Err(Hresult::DISP_E_OVERFLOW);
            }
            mag = div_round_half_up(mag, 10);
            scale -= 1;
        }
        Ok(Decimal::from_parts_unchecked(mag, scale as u8, neg))
    }

    /// `self - other` (`VarDecSub`).
    pub fn checked_sub(&self, other: &Decimal) -> Result<Decimal, Hresult> {
        self.checked_add(&other.neg())
    }

    /// Product, reduced to 96 bits / scale 28 with round-half-up; `DISP_E_OVERFLOW` when the
    /// integer part does not fit.
    pub fn checked_mul(&self, other: &Decimal) -> Result<Decimal, Hresult> {
        self.validate()?;
        other.validate()?;
        // 96 x 96 bits = 192 bits: multiply as (hi, lo) u128 halves.
        let (a, b) = (self.mantissa(), other.mantissa());
        let (a_hi, a_lo) = (a >> 64, a & u64::MAX as u128);
        let (b_hi, b_lo) = (b >> 64, b & u64::MAX as u128);
        let lo_lo = a_lo * b_lo;
        let cross = a_hi * b_lo + a_lo * b_hi; // < 2^97
        let hi_hi = a_hi * b_hi; // < 2^64
        let mut wide = U192::from_parts(hi_hi, cross, lo_lo);
        let mut scale = self.scale as u32 + other.scale as u32;
        let mut remainder_digit_ge5 = false;
        while (wide.hi != 0 || wide.lo > MAX_MANTISSA || scale > DEC_MAX_SCALE as u32) && scale > 0 {
            let r = wide.div_small(10);
            remainder_digit_ge5 = r >= 5;
            scale -= 1;
        }
        if wide.hi != 0 || wide.lo > MAX_MANTISSA {
            return Err(Hresult::DISP_E_OVERFLOW);
        }
        let mut m = wide.lo;
        if remainder_digit_ge5 {
            m += 1;
            if m > MAX_MANTISSA {
                if scale == 0 {
                    return Err(Hresult::DISP_E_OVERFLOW);
                }
                m = div_round_half_up(m, 10);
                scale -= 1;
            }
        }
        Ok(Decimal::from_parts_unchecked(m, scale as u8, self.is_negative() != other.is_negative() && m != 0))
    }

    /// Numeric comparison (`VarDecCmp` semantics: -0 equals 0).
    pub fn cmp_value(&self, other: &Decimal) -> core::cmp::Ordering {
        use core::cmp::Ordering;
        let diff = match self.checked_sub(other) {
            Ok(d) => d,
            Err(_) => {
                // Only reachable for invalid inputs or huge magnitudes of opposite signs.
                return match (self.is_negative(), other.is_negative()) {
                    (false, true) => Ordering::Greater,
                    (true, false) => Ordering::Less,
                    _ => Ordering::Equal,
                };
            }
        };
        if diff.mantissa() == 0 {
            Ordering::Equal
        } else if diff.is_negative() {
            Ordering::Less
        } else {
            Ordering::Greater
        }
    }

    /// Writes the invariant text ("-123.456", trailing fraction zeros removed) into `out`
    /// (at most 31 units) and returns the length. This is oleaut32's `VARIANT_DI_tostringW`.
    pub fn write_invariant(&self, out: &mut [u8; 32]) -> usize {
        let m = self.mantissa();
        let mut digits = [0u8; 40];
        let mut n = 0;
        let mut v = m;
        while v != 0 {
            digits[n] = b'0' + (v % 10) as u8;
            v /= 10;
            n += 1;
        }
        let mut len = 0;
        if m == 0 {
            out[0] = b'0';
            return 1;
        }
        if self.sign != 0 {
            out[len] = b'-';
            len += 1;
        }
        let scale = self.scale as usize;
        // Pad with leading zeros so there is at least one digit before the point.
        while n <= scale {
            digits[n] = b'0';
            n += 1;
        }
        for i in (0..n).rev() {
            out[len] = digits[i];
            len += 1;
            if i == scale && scale > 0 {
                out[len] = b'.';
                len += 1;
            }
        }
        if scale > 0 {
            while out[len - 1] == b'0' {
                len -= 1;
            }
            if out[len - 1] == b'.' {
                len -= 1;
            }
        }
        len
    }
}

/// `x / d` rounded half up.
fn div_round_half_up(x: u128, d: u128) -> u128 {
    let q = x / d;
    if (x % d) * 2 >= d {
        q + 1
    } else {
        q
    }
}

/// A 192-bit unsigned integer as (hi: 64 significant bits in u128, lo: 128 bits).
struct U192 {
    hi: u128,
    lo: u128,
}

impl U192 {
    fn from_parts(hi_hi: u128, cross: u128, lo_lo: u128) -> U192 {
        // value = hi_hi << 128 + cross << 64 + lo_lo
        let (lo, c1) = lo_lo.overflowing_add(cross << 64);
        let hi = hi_hi + (cross >> 64) + c1 as u128;
        U192 { hi, lo }
    }

    fn div_small(&mut self, d: u128) -> u128 {
        let hq = self.hi / d;
        let hr = self.hi % d;
        // (hr << 128 | lo) / d with hr < d ≤ 10: split lo into two 64-bit halves.
        let mid = (hr << 64) | (self.lo >> 64);
        let mq = mid / d;
        let mr = mid % d;
        let low = (mr << 64) | (self.lo & u64::MAX as u128);
        let lq = low / d;
        let lr = low % d;
        self.hi = hq;
        self.lo = (mq << 64) | lq;
        lr
    }
}

/// `VARIANT_DI_normalize`: turns `mantissa × 2^exponent2` into a 96-bit mantissa and a
/// decimal scale, dropping the binary digits a double (or float) cannot carry.
fn normalize(mantissa: u128, exponent2: i32, is_double: bool) -> Result<(u128, u8), Hresult> {
    let mut m = mantissa;
    let mut exponent5 = -exponent2;
    let mut exponent10 = exponent2;
    while exponent5 > 0 {
        if m & 1 == 0 {
            exponent10 += 1;
            exponent5 -= 1;
            m >>= 1;
        } else {
            exponent5 -= 1;
            let t = m * 5;
            if t <= MAX_MANTISSA {
                m = t;
            } else {
                exponent10 += 1;
                m >>= 1;
            }
        }
    }
    while exponent5 < 0 {
        if m & (1u128 << 95) == 0 {
            exponent10 -= 1;
            exponent5 += 1;
            m <<= 1;
        } else {
            exponent5 += 1;
            m /= 5;
        }
    }
    while exponent10 > 0 {
        let t = m * 10;
        if t <= MAX_MANTISSA {
            m = t;
            exponent10 -= 1;
        } else {
            return Err(Hresult::DISP_E_OVERFLOW);
        }
    }
    while exponent10 < -(DEC_MAX_SCALE as i32) {
        let rem = m % 10;
        m /= 10;
        exponent10 += 1;
        if m == 0 {
            exponent10 = 0;
        } else if rem >= 5 {
            m += 1;
        }
    }
    let limit_reached = |m: u128| {
        if is_double {
            (m >> 64) as u32 != 0 || ((m >> 32) as u32 & 0xFFE0_0000) != 0
        } else {
            (m >> 32) != 0 || (m as u32 & 0xFF00_0000) != 0
        }
    };
    while exponent10 < 0 && limit_reached(m) {
        let rem = m % 10;
        m /= 10;
        exponent10 += 1;
        if rem >= 5 {
            m += 1;
        }
    }
    while exponent10 < 0 && m % 10 == 0 {
        m /= 10;
        exponent10 += 1;
    }
    Ok((m, (-exponent10) as u8))
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 32];
        let n = self.write_invariant(&mut buf);
        f.write_str(core::str::from_utf8(&buf[..n]).unwrap_or("?"))
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self}, scale {}, sign {:#x})", self.scale, self.sign)
    }
}
