//! Number / date / bool → text, as oleaut32's `VarBstrFrom*` write it, into a stack buffer
//! (no heap allocation until the caller makes the BSTR).

// Index loops over the digit buffer mirror the C formatting code.
#![allow(clippy::needless_range_loop)]

use core::fmt::Write;

use super::locale::Locale;
use super::{Currency, Date, Decimal};
use crate::hresult::Hresult;

/// A fixed-capacity UTF-16 buffer (what a formatted number or date needs: ≤ 64 units).
#[derive(Clone)]
pub struct TextBuf {
    buf: [u16; 64],
    len: usize,
}

impl Default for TextBuf {
    fn default() -> Self {
        TextBuf { buf: [0; 64], len: 0 }
    }
}

impl TextBuf {
    /// The text written so far.
    pub fn as_slice(&self) -> &[u16] {
        &self.buf[..self.len]
    }
    fn push(&mut self, u: u16) {
        if self.len < self.buf.len() {
            self.buf[self.len] = u;
            self.len += 1;
        }
    }
    fn push_str(&mut self, s: &str) {
        for u in s.encode_utf16() {
            self.push(u);
        }
    }
    fn push_ascii(&mut self, s: &[u8]) {
        for &b in s {
            self.push(b as u16);
        }
    }
    /// As a `String` (tests, diagnostics).
    pub fn to_string_lossy(&self) -> String {
        String::from_utf16_lossy(self.as_slice())
    }
}

/// An ASCII stack buffer implementing `fmt::Write`.
struct AsciiBuf {
    buf: [u8; 48],
    len: usize,
}

impl Write for AsciiBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let b = s.as_bytes();
        if self.len + b.len() > self.buf.len() {
            return Err(core::fmt::Error);
        }
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
        Ok(())
    }
}

/// C's `%.{precision}G` (upper-case exponent, at least two exponent digits, trailing zeros
/// removed) as the Windows C runtime prints it. Writes ASCII into `out`.
fn format_g(v: f64, precision: usize, out: &mut TextBuf) {
    if v.is_nan() {
        out.push_ascii(if v.is_sign_negative() { b"-NAN" } else { b"NAN" });
        return;
    }
    if v.is_infinite() {
        out.push_ascii(if v < 0.0 { b"-INF" } else { b"INF" });
        return;
    }
    if v == 0.0 {
        out.push_ascii(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    let mut sci = AsciiBuf { buf: [0; 48], len: 0 };
    // Rust's `{:e}` is correctly rounded, as the C runtime's printf is.
    let _ = write!(sci, "{:.*e}", precision - 1, v);
    let s = &sci.buf[..sci.len];
    let (neg, s) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    let epos = s.iter().position(|&c| c == b'e').unwrap_or(s.len());
    let mantissa = &s[..epos];
    let exp: i32 = core::str::from_utf8(&s[epos + 1..]).ok().and_then(|t| t.parse().ok()).unwrap_or(0);
    let mut digits = [0u8; 24];
    let mut nd = 0;
    for &c in mantissa {
        if c.is_ascii_digit() {
            digits[nd] = c;
            nd += 1;
        }
    }
    while nd > 1 && digits[nd - 1] == b'0' {
        nd -= 1;
    }
    if neg {
        out.push(b'-' as u16);
    }
    if exp < -4 || exp >= precision as i32 {
        out.push(digits[0] as u16);
        if nd > 1 {
            out.push(b'.' as u16);
            out.push_ascii(&digits[1..nd]);
        }
        out.push(b'E' as u16);
        out.push(if exp < 0 { b'-' } else { b'+' } as u16);
        let a = exp.unsigned_abs();
        if a >= 100 {
            out.push((b'0' + (a / 100) as u8) as u16);
        }
        out.push((b'0' + (a / 10 % 10) as u8) as u16);
        out.push((b'0' + (a % 10) as u8) as u16);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        for i in 0..int_len {
            out.push(if i < nd { digits[i] } else { b'0' } as u16);
        }
        if nd > int_len {
            out.push(b'.' as u16);
            out.push_ascii(&digits[int_len..nd]);
        }
    } else {
        out.push_ascii(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0' as u16);
        }
        out.push_ascii(&digits[..nd]);
    }
}

/// Replaces `.` by the locale's decimal separator (oleaut32 does it through
/// `GetNumberFormat` only for plain numbers; exponent forms keep the `.`, a Wine quirk that
/// this engine does not copy).
fn localize_decimal(buf: &mut TextBuf, loc: &Locale) {
    if loc.decimal != b'.' as u16 {
        for u in &mut buf.buf[..buf.len] {
            if *u == b'.' as u16 {
                *u = loc.decimal;
            }
        }
    }
}

fn real_to_text(v: f64, precision: usize, loc: &Locale) -> TextBuf {
    let mut out = TextBuf::default();
    format_g(v, precision, &mut out);
    // "-0", "-0.0…" → "0" (oleaut32 disallows negative zero text).
    if out.as_slice().first() == Some(&(b'-' as u16))
        && out.as_slice()[1..].iter().all(|&u| u == b'0' as u16 || u == b'.' as u16)
    {
        out.len = 0;
        out.push(b'0' as u16);
    }
    localize_decimal(&mut out, loc);
    out
}

/// `VarBstrFromR8`: `%.15G`, negative zero printed as "0", the locale's decimal separator.
pub fn r8_to_text(v: f64, loc: &Locale) -> TextBuf {
    real_to_text(v, 15, loc)
}

/// `VarBstrFromR4`: `%.7G`.
pub fn r4_to_text(v: f32, loc: &Locale) -> TextBuf {
    real_to_text(v as f64, 7, loc)
}

/// `VarBstrFromI8` and the other integer forms.
pub fn i64_to_text(v: i64) -> TextBuf {
    let mut out = TextBuf::default();
    if v < 0 {
        out.push(b'-' as u16);
    }
    u64_digits(v.unsigned_abs(), &mut out);
    out
}

/// `VarBstrFromUI8`.
pub fn u64_to_text(v: u64) -> TextBuf {
    let mut out = TextBuf::default();
    u64_digits(v, &mut out);
    out
}

fn u64_digits(mut v: u64, out: &mut TextBuf) {
    let mut tmp = [0u8; 20];
    let mut n = 0;
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
        out.push(tmp[n] as u16);
    }
}

/// `VarBstrFromCy`: exact digits with the locale's decimal separator.
pub fn cy_to_text(v: Currency, loc: &Locale) -> TextBuf {
    let mut b = [0u8; 24];
    let n = v.write_invariant(&mut b);
    let mut out = TextBuf::default();
    out.push_ascii(&b[..n]);
    localize_decimal(&mut out, loc);
    out
}

/// `VarBstrFromDec`.
pub fn dec_to_text(v: &Decimal, loc: &Locale) -> TextBuf {
    let mut b = [0u8; 32];
    let n = v.write_invariant(&mut b);
    let mut out = TextBuf::default();
    out.push_ascii(&b[..n]);
    localize_decimal(&mut out, loc);
    out
}

/// `VarBstrFromBool`: "True"/"False", localized with `VAR_LOCALBOOL` (0x10).
pub fn bool_to_text(v: bool, loc: &Locale, local_bool: bool) -> TextBuf {
    let mut out = TextBuf::default();
    let texts = if local_bool { loc.bool_text } else { ["True", "False"] };
    out.push_str(if v { texts[0] } else { texts[1] });
    out
}

fn push_num(out: &mut TextBuf, v: u32, width: usize) {
    let mut tmp = [0u8; 10];
    let mut n = 0;
    let mut x = v;
    loop {
        tmp[n] = b'0' + (x % 10) as u8;
        n += 1;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    while n < width {
        tmp[n] = b'0';
        n += 1;
    }
    while n > 0 {
        n -= 1;
        out.push(tmp[n] as u16);
    }
}

fn picture(out: &mut TextBuf, pic: &str, st: &super::SystemTime, loc: &Locale) {
    let b = pic.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let mut run = 1;
        while i + run < b.len() && b[i + run] == c {
            run += 1;
        }
        match c {
            b'd' => push_num(out, st.day as u32, run.min(2)),
            b'M' => push_num(out, st.month as u32, run.min(2)),
            b'y' => {
                if run >= 3 {
                    push_num(out, st.year as u32, 1)
                } else {
                    push_num(out, st.year as u32 % 100, run)
                }
            }
            b'h' => {
                let h = st.hour % 12;
                push_num(out, if h == 0 { 12 } else { h } as u32, run.min(2))
            }
            b'H' => push_num(out, st.hour as u32, run.min(2)),
            b'm' => push_num(out, st.minute as u32, run.min(2)),
            b's' => push_num(out, st.second as u32, run.min(2)),
            b't' => out.push_str(loc.am_pm[(st.hour >= 12) as usize]),
            _ => {
                for _ in 0..run {
                    out.push(c as u16);
                }
            }
        }
        i += run;
    }
}

/// `VarBstrFromDate` with `VAR_TIMEVALUEONLY` (1) / `VAR_DATEVALUEONLY` (2): the short date,
/// the time, or both; a DATE without a date part prints only the time, one without a time
/// part only the date. `E_INVALIDARG` outside the DATE range.
pub fn date_to_text(v: Date, loc: &Locale, flags: u32) -> Result<TextBuf, Hresult> {
    let st = v.to_system_time()?;
    let mut flags = flags;
    let d = v.0;
    let whole = if d < 0.0 { d.ceil() } else { d.floor() };
    let partial = d - whole;
    if whole == 0.0 {
        flags |= 1;
    } else if partial.abs() < 1e-12 {
        flags |= 2;
    }
    let mut out = TextBuf::default();
    if flags & 1 == 0 {
        picture(&mut out, loc.short_date, &st, loc);
    }
    if flags & 2 == 0 {
        if out.len != 0 {
            out.push(b' ' as u16);
        }
        picture(&mut out, loc.time_format, &st, loc);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(v: f64, p: usize) -> String {
        let mut t = TextBuf::default();
        format_g(v, p, &mut t);
        t.to_string_lossy()
    }

    #[test]
    fn percent_g_follows_the_c_rules() {
        // Values checked against glibc's printf("%.15G") / ("%.7G").
        assert_eq!(g(1e15, 15), "1E+15");
        assert_eq!(g(123456789012345.0, 15), "123456789012345");
        assert_eq!(g(0.0001, 15), "0.0001");
        assert_eq!(g(0.00001, 15), "1E-05");
        assert_eq!(g(1.7976931348623157e308, 15), "1.79769313486232E+308");
        assert_eq!(g(16777216.0, 7), "1.677722E+07");
        assert_eq!(g(0.5, 7), "0.5");
    }
}
