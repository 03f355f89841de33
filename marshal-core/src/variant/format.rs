//! Number / date / bool → text, as oleaut32's `VarBstrFrom*` write it, into a stack buffer
//! (no heap allocation until the caller makes the BSTR).

// Index loops over the digit buffer mirror the C formatting code.
#![allow(clippy::needless_range_loop)]

use core::fmt::Write;

use super::locale::{Locale, Picture, PictureItem};
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
    #[inline]
    fn push(&mut self, u: u16) {
        if self.len < self.buf.len() {
            self.buf[self.len] = u;
            self.len += 1;
        }
    }
    fn push_units(&mut self, units: &[u16]) {
        let n = units.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&units[..n]);
        self.len += n;
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
    out.push_units(IntText::signed(v).as_units());
    out
}

/// `VarBstrFromUI8`.
pub fn u64_to_text(v: u64) -> TextBuf {
    let mut out = TextBuf::default();
    out.push_units(IntText::unsigned(v).as_units());
    out
}

/// "00" "01" … "99": two digits per division by 100.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The number of decimal digits of `v` (1 for zero).
#[inline]
pub(crate) fn decimal_len(v: u64) -> usize {
    // floor(log10) from the bit length (×1233/4096 ≈ log10 2), then one comparison to fix
    // the estimate: a handful of instructions where `ilog10` compares its way down.
    // `v | 1` has the digit count of `v` (a power of ten is even) and avoids zero.
    const POW10: [u64; 20] = {
        let mut t = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    let v = v | 1;
    let bits = 64 - v.leading_zeros() as usize;
    let estimate = (bits * 1233) >> 12;
    estimate + (v >= POW10[estimate]) as usize
}

/// Writes the `len` = [`decimal_len`]`(v)` decimal digits of `v` as UTF-16 code units,
/// through `put(index, unit)` for every index in `0..len`, two digits per division.
#[inline]
pub(crate) fn write_decimal(mut v: u64, len: usize, mut put: impl FnMut(usize, u16)) {
    debug_assert_eq!(len, decimal_len(v));
    let mut end = len;
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        end -= 2;
        put(end, DIGIT_PAIRS[pair] as u16);
        put(end + 1, DIGIT_PAIRS[pair + 1] as u16);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        put(end - 2, DIGIT_PAIRS[pair] as u16);
        put(end - 1, DIGIT_PAIRS[pair + 1] as u16);
    } else {
        put(end - 1, b'0' as u16 + v as u16);
    }
}

/// The digit pairs "00" … "99" as two UTF-16 units packed in one `u32` in native byte
/// order (the first digit at the lower address), for one store per pair.
const UNIT_PAIRS: [u32; 100] = {
    let mut t = [0u32; 100];
    let mut i = 0;
    while i < 100 {
        let (hi, lo) = (b'0' as u32 + (i / 10) as u32, b'0' as u32 + (i % 10) as u32);
        t[i] = if cfg!(target_endian = "little") { hi | lo << 16 } else { hi << 16 | lo };
        i += 1;
    }
    t
};

/// Writes the `len` = [`decimal_len`]`(v)` decimal digits of `v` as UTF-16 code units to
/// `dst[0..len]`, one 4-byte store per digit pair (the [`write_decimal`] of a raw buffer).
///
/// # Safety
/// `dst` is valid for writes of `len` units (2-byte aligned).
#[inline]
pub(crate) unsafe fn write_decimal_units(v: u64, len: usize, dst: *mut u16) {
    debug_assert_eq!(len, decimal_len(v));
    // SAFETY: every index written is below `len` (the digits fill `0..len` exactly, from the
    // end); unaligned 4-byte stores cover two units each.
    unsafe {
        let mut end = len;
        let mut v = v;
        // Above 2^32 the pairs come from 64-bit divisions; below, from cheaper 32-bit ones.
        while v > u32::MAX as u64 {
            end -= 2;
            dst.add(end).cast::<u32>().write_unaligned(UNIT_PAIRS[(v % 100) as usize]);
            v /= 100;
        }
        write_u32_units(v as u32, end, dst);
    }
}

/// [`write_decimal_units`] below 2^32: four digits per division from the right, the two
/// pairs of each group split by one more (independent) division, then what is left.
/// Fewer dependent divisions than a pair at a time, and about half the instructions.
///
/// # Safety
/// As [`write_decimal_units`]; `len` = [`decimal_len`]`(v)`.
#[inline]
unsafe fn write_u32_units(v: u32, len: usize, dst: *mut u16) {
    debug_assert_eq!(len, decimal_len(v as u64));
    // SAFETY: every store is inside `dst[0..len]`: a group of four at `end - 4 .. end` while
    // `end > 4`, then the 1 to 4 digits left at `0..end`.
    unsafe {
        let pair_at = |at: usize, pair: u32| dst.add(at).cast::<u32>().write_unaligned(UNIT_PAIRS[pair as usize]);
        let mut end = len;
        let mut w = v;
        // `w` has `end` digits.
        while end > 4 {
            let group = w % 10_000;
            w /= 10_000;
            end -= 4;
            pair_at(end, group / 100);
            pair_at(end + 2, group % 100);
        }
        match end {
            4 => {
                pair_at(0, w / 100);
                pair_at(2, w % 100);
            }
            3 => {
                dst.write(b'0' as u16 + (w / 100) as u16);
                pair_at(1, w % 100);
            }
            2 => pair_at(0, w),
            _ => dst.write(b'0' as u16 + w as u16),
        }
    }
}

/// An integer's decimal text as UTF-16 (`-` and up to 20 digits) in a small stack buffer:
/// what `VarBstrFromI4` and the other integer forms print.
pub(crate) struct IntText {
    buf: [u16; 21],
    len: usize,
}

impl IntText {
    /// The text of a signed value.
    #[inline]
    pub(crate) fn signed(v: i64) -> IntText {
        IntText::new(v < 0, v.unsigned_abs())
    }

    /// The text of an unsigned value.
    #[inline]
    pub(crate) fn unsigned(v: u64) -> IntText {
        IntText::new(false, v)
    }

    #[inline]
    fn new(negative: bool, magnitude: u64) -> IntText {
        let mut buf = [0u16; 21];
        let sign = negative as usize;
        buf[0] = b'-' as u16;
        let digits = decimal_len(magnitude);
        write_decimal(magnitude, digits, |i, u| buf[sign + i] = u);
        IntText { buf, len: sign + digits }
    }

    /// The text.
    #[inline]
    pub(crate) fn as_units(&self) -> &[u16] {
        &self.buf[..self.len]
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

/// A cursor over a [`TextBuf`]'s units whose length lives in a local while a picture is
/// written (through `&mut TextBuf` the compiler reloads and stores the length around
/// every unit written).
struct Cursor<'a> {
    buf: &'a mut [u16; 64],
    len: usize,
}

impl Cursor<'_> {
    #[inline]
    fn push(&mut self, u: u16) {
        if self.len < self.buf.len() {
            self.buf[self.len] = u;
            self.len += 1;
        }
    }

    /// Appends the first `n` (1 or 2) units of `pair` (two units in memory order, as in
    /// [`UNIT_PAIRS`]) with one 4-byte store: fewer stores and length updates than a unit at
    /// a time, on the path every date field takes.
    #[inline]
    fn pair(&mut self, pair: u32, n: usize) {
        if self.len + 2 <= self.buf.len() {
            // SAFETY: units `len` and `len + 1` are inside the buffer (checked above).
            unsafe { self.buf.as_mut_ptr().add(self.len).cast::<u32>().write_unaligned(pair) };
            self.len += n;
        } else {
            let units = if cfg!(target_endian = "little") {
                [pair as u16, (pair >> 16) as u16]
            } else {
                [(pair >> 16) as u16, pair as u16]
            };
            for &u in &units[..n] {
                self.push(u);
            }
        }
    }

    /// `v` in decimal, zero-padded to `width` digits.
    #[inline]
    fn num(&mut self, v: u32, width: usize) {
        if v < 100 && width <= 2 {
            // Day, month, hour, minute, second, two-digit year: one or two digits.
            let pair = UNIT_PAIRS[v as usize];
            if v >= 10 || width == 2 {
                self.pair(pair, 2);
            } else {
                // The second digit alone.
                self.pair(if cfg!(target_endian = "little") { pair >> 16 } else { pair << 16 }, 1);
            }
        } else if (1000..10_000).contains(&v) && width <= 4 {
            // A four-digit year.
            self.pair(UNIT_PAIRS[(v / 100) as usize], 2);
            self.pair(UNIT_PAIRS[(v % 100) as usize], 2);
        } else {
            self.wide_num(v, width);
        }
    }

    /// [`Cursor::num`] for a year (or anything from 100 up, or wider than two digits).
    #[inline(never)]
    fn wide_num(&mut self, v: u32, width: usize) {
        let len = decimal_len(v as u64);
        for _ in len..width {
            self.push(b'0' as u16);
        }
        let mut digits = [0u16; 20];
        write_decimal(v as u64, len, |i, u| digits[i] = u);
        for &u in &digits[..len] {
            self.push(u);
        }
    }

    #[inline]
    fn text(&mut self, s: &str) {
        if s.is_ascii() {
            for b in s.bytes() {
                self.push(b as u16);
            }
        } else {
            for u in s.encode_utf16() {
                self.push(u);
            }
        }
    }
}

/// Writes the fields of a date or time picture.
fn picture(out: &mut TextBuf, pic: &Picture, st: &super::SystemTime, loc: &Locale) {
    let mut w = Cursor { buf: &mut out.buf, len: out.len };
    for &item in pic.items() {
        match item {
            PictureItem::Day(width) => w.num(st.day as u32, width as usize),
            PictureItem::Month(width) => w.num(st.month as u32, width as usize),
            PictureItem::Year => w.num(st.year as u32, 1),
            PictureItem::ShortYear(width) => w.num(st.year as u32 % 100, width as usize),
            PictureItem::Hour12(width) => {
                let h = st.hour % 12;
                w.num(if h == 0 { 12 } else { h } as u32, width as usize)
            }
            PictureItem::Hour24(width) => w.num(st.hour as u32, width as usize),
            PictureItem::Minute(width) => w.num(st.minute as u32, width as usize),
            PictureItem::Second(width) => w.num(st.second as u32, width as usize),
            PictureItem::AmPm => w.text(loc.am_pm[(st.hour >= 12) as usize]),
            PictureItem::Literal(c) => w.push(c),
        }
    }
    out.len = w.len;
}

/// `VarBstrFromDate` with `VAR_TIMEVALUEONLY` (1) / `VAR_DATEVALUEONLY` (2): the short date,
/// the time, or both; a DATE without a date part prints only the time, one without a time
/// part only the date. `E_INVALIDARG` outside the DATE range.
pub fn date_to_text(v: Date, loc: &Locale, flags: u32) -> Result<TextBuf, Hresult> {
    let mut out = TextBuf::default();
    write_date(&mut out, v, loc, flags)?;
    Ok(out)
}

/// [`date_to_text`] into a buffer of the caller's (no copy of the text on return).
pub(crate) fn write_date(out: &mut TextBuf, v: Date, loc: &Locale, flags: u32) -> Result<(), Hresult> {
    let st = v.calendar_fields(false)?;
    let mut flags = flags;
    let d = v.0;
    let whole = super::date::whole_days(d);
    let partial = d - whole;
    if whole == 0.0 {
        flags |= 1;
    } else if partial.abs() < 1e-12 {
        flags |= 2;
    }
    if flags & 1 == 0 {
        picture(out, &loc.short_date, &st, loc);
    }
    if flags & 2 == 0 {
        if out.len != 0 {
            out.push(b' ' as u16);
        }
        picture(out, &loc.time_format, &st, loc);
    }
    Ok(())
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
    fn integer_text_matches_rust_formatting() {
        // Rust's own `Display` is the independent reference for decimal integer text.
        let mut values = vec![0i64, 1, -1, 9, 10, -10, 99, 100, 101, 999, 1000, i64::MIN, i64::MAX, -123456789];
        let mut p = 1i64;
        for _ in 0..18 {
            p *= 10;
            values.extend([p - 1, p, p + 1, -(p - 1), -p]);
        }
        for v in values {
            assert_eq!(String::from_utf16_lossy(IntText::signed(v).as_units()), v.to_string());
            assert_eq!(i64_to_text(v).to_string_lossy(), v.to_string());
        }
        for v in [0u64, 7, 42, u64::MAX, u64::MAX / 10, 10_000_000_000_000_000_000] {
            assert_eq!(String::from_utf16_lossy(IntText::unsigned(v).as_units()), v.to_string());
            assert_eq!(u64_to_text(v).to_string_lossy(), v.to_string());
        }
    }

    #[test]
    fn decimal_len_counts_digits_at_every_power_of_ten() {
        assert_eq!(decimal_len(0), 1);
        assert_eq!(decimal_len(u64::MAX), 20);
        let mut p = 1u64;
        for digits in 1..=19 {
            assert_eq!(decimal_len(p), digits, "{p}");
            assert_eq!(decimal_len(p - 1), if p == 1 { 1 } else { digits - 1 }, "{}", p - 1);
            assert_eq!(decimal_len(p + 1), digits, "{}", p + 1);
            p *= 10;
        }
        assert_eq!(decimal_len(p), 20);
        assert_eq!(decimal_len(p - 1), 19);
    }

    proptest::proptest! {
        #[test]
        fn decimal_len_is_the_length_of_display(v in proptest::prelude::any::<u64>(), shift in 0u32..64) {
            proptest::prop_assert_eq!(decimal_len(v), v.to_string().len());
            let w = v >> shift;
            proptest::prop_assert_eq!(decimal_len(w), w.to_string().len());
        }

        #[test]
        fn decimal_units_are_display(v in proptest::prelude::any::<u64>(), shift in 0u32..64) {
            for w in [v, v >> shift] {
                let len = decimal_len(w);
                let mut buf = [0xFFFFu16; 22];
                // SAFETY: `len` ≤ 20 units of a 22-unit buffer, written from index 1.
                unsafe { write_decimal_units(w, len, buf.as_mut_ptr().add(1)) };
                proptest::prop_assert_eq!(String::from_utf16_lossy(&buf[1..1 + len]), w.to_string());
                proptest::prop_assert_eq!((buf[0], buf[1 + len]), (0xFFFF, 0xFFFF), "wrote outside 0..len");
            }
        }

        #[test]
        fn integer_text_is_display(v in proptest::prelude::any::<i64>(), u in proptest::prelude::any::<u64>()) {
            proptest::prop_assert_eq!(String::from_utf16_lossy(IntText::signed(v).as_units()), v.to_string());
            proptest::prop_assert_eq!(String::from_utf16_lossy(IntText::unsigned(u).as_units()), u.to_string());
        }
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
