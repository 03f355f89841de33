//! `CY`: a signed 64-bit integer counting ten-thousandths.

// The bounds are oleaut32's literals, kept digit for digit.
#![allow(clippy::manual_range_contains, clippy::excessive_precision)]

use core::fmt;

use crate::hresult::Hresult;

/// An OLE Automation `CURRENCY` (`CY`): value × 10 000 in an `i64`.
///
/// ```
/// use marshal_core::variant::Currency;
/// let c = Currency::from_f64(1.23456).unwrap(); // banker's rounding to 4 places
/// assert_eq!(c.0, 12346);
/// assert_eq!(c.to_string(), "1.2346");
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Currency(pub i64);

const _: () = assert!(core::mem::size_of::<Currency>() == 8);

impl Currency {
    /// 10 000: one unit.
    pub const SCALE: i64 = 10_000;

    /// `VarCyFromR8` (portable branch): values outside ±922337203685477.5807 overflow; the
    /// product with 10 000 is rounded half to even.
    pub fn from_f64(v: f64) -> Result<Currency, Hresult> {
        if v < -922337203685477.5807 || v >= 922337203685477.5807 || v.is_nan() {
            return Err(Hresult::DISP_E_OVERFLOW);
        }
        Ok(Currency(super::number::dutch_round_i64(v * 10000.0)))
    }

    /// `VarR8FromCy`: `int64 / 10000.0`.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 10000.0
    }

    /// `VarCyFromI8`: overflow at |v| ≥ i64::MAX / 10000.
    pub fn from_i64(v: i64) -> Result<Currency, Hresult> {
        if v <= i64::MIN / 10000 || v >= i64::MAX / 10000 {
            return Err(Hresult::DISP_E_OVERFLOW);
        }
        Ok(Currency(v * 10000))
    }

    /// `VarI8FromCy`: positive values round half to even; negative values are floored
    /// and then lowered by one more (a Win32 bug oleaut32 keeps).
    pub fn to_i64(self) -> i64 {
        let q = self.0 / 10000;
        if self.0 < 0 {
            q - 1
        } else {
            let r = self.0 - q * 10000;
            if r > 5000 || (r == 5000 && q & 1 != 0) {
                q + 1
            } else {
                q
            }
        }
    }

    /// `VarUI8FromCy`: -0.5000 ≤ v < 0 gives 0, below that `DISP_E_OVERFLOW`.
    pub fn to_u64(self) -> Result<u64, Hresult> {
        if self.0 < 0 {
            if self.0 < -5000 {
                return Err(Hresult::DISP_E_OVERFLOW);
            }
            return Ok(0);
        }
        let q = (self.0 / 10000) as u64;
        let r = self.0 as u64 - q * 10000;
        Ok(if r > 5000 || (r == 5000 && q & 1 != 0) { q + 1 } else { q })
    }

    /// `VarCyFromDec`: rounds to 4 places (`VarDecRound`) then goes through a double.
    pub fn from_decimal(d: &super::Decimal) -> Result<Currency, Hresult> {
        let r = d.round(4)?;
        if r.hi32 != 0 {
            return Err(Hresult::DISP_E_OVERFLOW);
        }
        const DIV: [f64; 5] = [1.0, 10.0, 100.0, 1000.0, 10000.0];
        let mut v = r.lo64 as f64 / DIV[r.scale as usize];
        if r.is_negative() {
            v = -v;
        }
        Currency::from_f64(v)
    }

    /// .NET's `decimal.ToOACurrency` (the CLR's `UnmanagedType.Currency` marshaler):
    /// exact, rounded half to even at 4 places; `DISP_E_OVERFLOW` (the CLR's
    /// OverflowException) outside the i64 range. Unlike [`Currency::from_decimal`]
    /// (oleaut32's `VarCyFromDec`) it never goes through a double.
    ///
    /// ```
    /// use marshal_core::variant::{Currency, Decimal};
    /// let d = Decimal::new(123_456_789_125, 7, false).unwrap(); // 12345.6789125
    /// assert_eq!(Currency::from_clr_decimal(&d), Ok(Currency(123_456_789)));
    /// ```
    pub fn from_clr_decimal(d: &super::Decimal) -> Result<Currency, Hresult> {
        let m = d.mantissa() as i128;
        let v = if d.scale <= 4 {
            m * 10i128.pow(4 - d.scale as u32)
        } else {
            let div = 10i128.pow(d.scale as u32 - 4);
            let (q, r) = (m / div, m % div);
            if r * 2 > div || (r * 2 == div && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        };
        let v = if d.is_negative() { -v } else { v };
        i64::try_from(v).map(Currency).map_err(|_| Hresult::DISP_E_OVERFLOW)
    }

    /// Exact sum, `DISP_E_OVERFLOW` past the i64 range.
    pub fn checked_add(self, o: Currency) -> Result<Currency, Hresult> {
        self.0.checked_add(o.0).map(Currency).ok_or(Hresult::DISP_E_OVERFLOW)
    }

    /// Exact difference, `DISP_E_OVERFLOW` past the i64 range.
    pub fn checked_sub(self, o: Currency) -> Result<Currency, Hresult> {
        self.0.checked_sub(o.0).map(Currency).ok_or(Hresult::DISP_E_OVERFLOW)
    }

    /// Product rounded half to even at the fourth place, computed exactly in i128.
    pub fn checked_mul(self, o: Currency) -> Result<Currency, Hresult> {
        let p = self.0 as i128 * o.0 as i128;
        let q = p / 10000;
        let r = p % 10000;
        let q = if r.abs() > 5000 || (r.abs() == 5000 && q & 1 != 0) { q + r.signum() } else { q };
        i64::try_from(q).map(Currency).map_err(|_| Hresult::DISP_E_OVERFLOW)
    }

    /// Writes the `%.15G` text oleaut32's `VarBstrFromCy` prints before localisation… but
    /// exact: currency values always have at most 19 digits, so this writes them exactly
    /// ("1.2345", "-922337203685477.5808").
    pub fn write_invariant(self, out: &mut [u8; 24]) -> usize {
        let neg = self.0 < 0;
        let mag = self.0.unsigned_abs();
        let int = mag / 10000;
        let mut frac = mag % 10000;
        let mut len = 0;
        if neg && mag != 0 {
            out[len] = b'-';
            len += 1;
        }
        let mut tmp = [0u8; 20];
        let mut n = 0;
        let mut v = int;
        loop {
            tmp[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        while n > 0 {
            n -= 1;
            out[len] = tmp[n];
            len += 1;
        }
        if frac != 0 {
            out[len] = b'.';
            len += 1;
            let mut digits = 4;
            while frac % 10 == 0 {
                frac /= 10;
                digits -= 1;
            }
            let start = len;
            for i in (0..digits).rev() {
                out[start + i] = b'0' + (frac % 10) as u8;
                frac /= 10;
            }
            len += digits;
        }
        len
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut b = [0u8; 24];
        let n = self.write_invariant(&mut b);
        f.write_str(core::str::from_utf8(&b[..n]).unwrap_or("?"))
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({self})")
    }
}
