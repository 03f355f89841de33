//! OLE `DATE`: days since 1899-12-30 in an f64. The fraction is the time of day and stays
//! positive for negative dates (-1.25 is 1899-12-29 06:00). Conversions to and from
//! calendar fields follow oleaut32's `VarUdateFromDate` / `VarDateFromUdate` (year 100–9999).

use core::fmt;

use crate::hresult::Hresult;

/// 0100-01-01 as a DATE.
pub const DATE_MIN: f64 = -657434.0;
/// 9999-12-31 as a DATE.
pub const DATE_MAX: f64 = 2958465.0;

/// An OLE Automation DATE.
///
/// ```
/// use marshal_core::variant::{Date, SystemTime};
/// let st = Date(-1.25).to_system_time().unwrap();
/// assert_eq!((st.year, st.month, st.day, st.hour), (1899, 12, 29, 6));
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, Default, PartialEq, PartialOrd, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Date(pub f64);

const _: () = assert!(core::mem::size_of::<Date>() == 8);

/// `SYSTEMTIME`: calendar fields as Win32 lays them out (8 × u16).
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug, Hash)]
pub struct SystemTime {
    /// Year (100–9999 for a valid DATE).
    pub year: u16,
    /// Month 1–12.
    pub month: u16,
    /// Day of week, 0 = Sunday.
    pub day_of_week: u16,
    /// Day of month 1–31.
    pub day: u16,
    /// Hour 0–23.
    pub hour: u16,
    /// Minute 0–59.
    pub minute: u16,
    /// Second 0–59.
    pub second: u16,
    /// Milliseconds (DATE conversions ignore them, as oleaut32 does).
    pub milliseconds: u16,
}

fn is_leap(y: i32) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn julian_from_dmy(year: i32, month: i32, day: i32) -> i32 {
    let m12 = (month - 14) / 12;
    (1461 * (year + 4800 + m12)) / 4 + (367 * (month - 2 - 12 * m12)) / 12 - (3 * ((year + 4900 + m12) / 100)) / 4 + day
        - 32075
}

/// Year, month, day of a Julian day number of the DATE range (`jd` ≥ 1 757 585, so every
/// intermediate value below is non-negative: unsigned divisions by constants are a multiply
/// and a shift each, where signed ones need sign fix-ups on the conversion's critical path).
fn dmy_from_julian(jd: i32) -> (i32, i32, i32) {
    debug_assert!(jd > 0);
    let mut l = jd as u32 + 68569;
    let n = l * 4 / 146097;
    l -= (n * 146097).div_ceil(4);
    let i = (4000 * (l + 1)) / 1461001;
    l = l + 31 - (i * 1461) / 4;
    let j = (l * 80) / 2447;
    let day = l - (j * 2447) / 80;
    let l = j / 11;
    let month = (j + 2) - (12 * l);
    let year = 100 * n as i32 - 4900 + i as i32 + l as i32;
    (year, month as i32, day as i32)
}

/// The whole days of an in-range DATE, truncated toward zero (oleaut32: `ceil` below zero,
/// `floor` above). A cast does it without libm: DATEs in range are far below 2^63.
#[inline]
pub(crate) fn whole_days(d: f64) -> f64 {
    debug_assert!(d.abs() < 1e9);
    (d as i64) as f64
}

/// `floor` for the small values of the DATE arithmetic (|x| < 2^52), without libm.
#[inline]
fn floor_in_date_range(x: f64) -> f64 {
    let t = (x as i64) as f64;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

const JULIAN_OFFSET: i32 = 1757585 + 657434; // days from the Julian epoch to 1899-12-30 (+DATE_MIN shift)

/// `VARIANT_RollUdate`: normalises out-of-range fields by carrying into the next field.
fn roll(st: &mut SystemTime) -> Result<(), Hresult> {
    const DAYS: [i16; 13] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut year = st.year as i16;
    let mut month = st.month as i16;
    let mut day = st.day as i16;
    let mut hour = st.hour as i16;
    let mut minute = st.minute as i16;
    let mut second = st.second as i16;
    if !(-9999..=9999).contains(&year) {
        return Err(Hresult::E_INVALIDARG);
    }
    if (0..=49).contains(&year) {
        year += 2000;
    } else if (50..=99).contains(&year) {
        year += 1900;
    }
    minute += second / 60;
    second %= 60;
    hour += minute / 60;
    minute %= 60;
    day += hour / 24;
    hour %= 24;
    year += month / 12;
    month %= 12;
    if month <= 0 {
        month += 12;
        year -= 1;
    }
    // A literal port: stepping past November leaves month 0 (whose table entry is 0), as
    // oleaut32 does.
    while day > DAYS[month as usize] {
        if month == 2 && is_leap(year as i32) {
            day -= 29;
        } else {
            day -= DAYS[month as usize];
        }
        month += 1;
        year += month / 12;
        month %= 12;
    }
    while day <= 0 {
        month -= 1;
        if month <= 0 {
            month += 12;
            year -= 1;
        }
        if month == 2 && is_leap(year as i32) {
            day += 29;
        } else {
            day += DAYS[month as usize];
        }
    }
    if second < 0 {
        second += 60;
        minute -= 1;
    }
    if minute < 0 {
        minute += 60;
        hour -= 1;
    }
    if hour < 0 {
        hour += 24;
        day -= 1;
    }
    if year <= 0 {
        year += 2000;
    }
    st.year = year as u16;
    st.month = month as u16;
    st.day = day as u16;
    st.hour = hour as u16;
    st.minute = minute as u16;
    st.second = second as u16;
    Ok(())
}

impl Date {
    /// `VarUdateFromDate` / `VariantTimeToSystemTime`: `E_INVALIDARG` outside
    /// (DATE_MIN - 1, DATE_MAX + 1). Seconds are rounded; a time that rounds to 24:00 rolls
    /// into the next day (Wine then reports year 10000 for the last instant of 9999).
    pub fn to_system_time(self) -> Result<SystemTime, Hresult> {
        self.calendar_fields(true)
    }

    /// [`Date::to_system_time`], with the day of the week left 0 unless asked for (the date
    /// pictures do not print it, and it costs a division chain of its own).
    #[inline(always)]
    pub(crate) fn calendar_fields(self, with_day_of_week: bool) -> Result<SystemTime, Hresult> {
        let d = self.0;
        if !(d > DATE_MIN - 1.0 && d < DATE_MAX + 1.0) {
            return Err(Hresult::E_INVALIDARG);
        }
        // SAFETY: `d` is finite and inside (DATE_MIN - 1, DATE_MAX + 1) (checked above), so
        // its truncation fits an i32; the same truncation toward zero as `whole_days`.
        let days = unsafe { d.to_int_unchecked::<i32>() };
        let date_part = days as f64;
        let mut time_part = (d - date_part).abs() + 0.00000000001;
        if time_part >= 1.0 {
            time_part -= 0.00000000001;
        }
        let julian = days + JULIAN_OFFSET;
        let (year, month, day) = dmy_from_julian(julian);
        let mut st = SystemTime { year: year as u16, month: month as u16, day: day as u16, ..SystemTime::default() };
        if with_day_of_week {
            let dp = (date_part + 1.5) / 7.0;
            let dow = ((dp - floor_in_date_range(dp)) * 7.0) as u16;
            st.day_of_week = match dow {
                0 => 5,
                1 => 6,
                n => n - 2,
            };
        }
        // `time_part` is in [0, 1), so each product below is in [0, 24) or [0, 60): a plain
        // truncating conversion, without the clamping of `as` on the chain of dependent steps.
        let whole = |x: f64| {
            debug_assert!((0.0..60.0).contains(&x));
            // SAFETY: `x` is finite and in [0, 60), which u16 holds.
            unsafe { x.to_int_unchecked::<u16>() }
        };
        time_part *= 24.0;
        st.hour = whole(time_part);
        time_part -= st.hour as f64;
        time_part *= 60.0;
        st.minute = whole(time_part);
        time_part -= st.minute as f64;
        time_part *= 60.0;
        st.second = whole(time_part);
        time_part -= st.second as f64;
        if time_part > 0.5 {
            if st.second < 59 {
                st.second += 1;
            } else {
                st.second = 0;
                if st.minute < 59 {
                    st.minute += 1;
                } else {
                    st.minute = 0;
                    if st.hour < 23 {
                        st.hour += 1;
                    } else {
                        st.hour = 0;
                        st.day += 1;
                        if st.day > 28 {
                            let _ = roll(&mut st);
                        }
                    }
                }
            }
        }
        Ok(st)
    }

    /// `SystemTimeToVariantTime`: month > 12, day > 31 or a negative year fail
    /// (`E_INVALIDARG`); other out-of-range fields roll over; milliseconds are ignored.
    pub fn from_system_time(st: &SystemTime) -> Result<Date, Hresult> {
        if st.month > 12 || st.day > 31 || (st.year as i16) < 0 {
            return Err(Hresult::E_INVALIDARG);
        }
        Date::from_udate(st, 0)
    }

    /// `VarDateFromUdateEx` with `VAR_TIMEVALUEONLY` (1) / `VAR_DATEVALUEONLY` (2) flags.
    pub fn from_udate(st: &SystemTime, flags: u32) -> Result<Date, Hresult> {
        let mut ud = *st;
        roll(&mut ud)?;
        let mut v = 0.0f64;
        if flags & 1 == 0 {
            v = (julian_from_dmy(ud.year as i32, ud.month as i32, ud.day as i32) - JULIAN_OFFSET) as f64;
        }
        if flags & 1 != 0 || flags & 2 == 0 {
            let sign = if v < 0.0 { -1.0 } else { 1.0 };
            v += ud.hour as f64 / 24.0 * sign;
            v += ud.minute as f64 / 1440.0 * sign;
            v += ud.second as f64 / 86400.0 * sign;
        }
        Ok(Date(v))
    }

    /// The CLR's `DateTime.FromOADate` as ticks (100 ns since 0001-01-01), millisecond-rounded;
    /// `None` outside (-657435, 2958466).
    pub fn to_clr_ticks(self) -> Option<i64> {
        let d = self.0;
        if !(d < 2958466.0 && d > -657435.0) {
            return None;
        }
        let mut ms = (d * 86_400_000.0 + if d >= 0.0 { 0.5 } else { -0.5 }) as i64;
        if ms < 0 {
            ms -= (ms % 86_400_000) * 2;
        }
        ms += 59_926_435_200_000;
        Some(ms * 10_000)
    }

    /// The CLR's `DateTime.ToOADate` for ticks; `None` before 0100-01-01.
    pub fn from_clr_ticks(ticks: i64) -> Option<Date> {
        const TICKS_PER_DAY: i64 = 864_000_000_000;
        const DOUBLE_DATE_OFFSET: i64 = 599_264_352_000_000_000;
        const OA_MIN_TICKS: i64 = 31_241_376_000_000_000;
        let mut t = ticks;
        if t == 0 {
            return Some(Date(0.0));
        }
        if t < TICKS_PER_DAY {
            t += DOUBLE_DATE_OFFSET;
        }
        if t < OA_MIN_TICKS {
            return None;
        }
        let mut ms = (t - DOUBLE_DATE_OFFSET) / 10_000;
        if ms < 0 {
            let frac = ms % 86_400_000;
            if frac != 0 {
                ms -= (86_400_000 + frac) * 2;
            }
        }
        Some(Date(ms as f64 / 86_400_000.0))
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_system_time() {
            Ok(st) => write!(
                f,
                "Date({:04}-{:02}-{:02} {:02}:{:02}:{:02})",
                st.year, st.month, st.day, st.hour, st.minute, st.second
            ),
            Err(_) => write!(f, "Date({})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Fliegel–Van Flandern conversion in signed arithmetic, as oleaut32 writes it.
    fn dmy_from_julian_signed(jd: i32) -> (i32, i32, i32) {
        let mut l = jd + 68569;
        let n = l * 4 / 146097;
        l -= (n * 146097 + 3) / 4;
        let i = (4000 * (l + 1)) / 1461001;
        l += 31 - (i * 1461) / 4;
        let j = (l * 80) / 2447;
        let day = l - (j * 2447) / 80;
        let l = j / 11;
        let month = (j + 2) - (12 * l);
        let year = 100 * (n - 49) + i + l;
        (year, month, day)
    }

    #[test]
    fn unsigned_julian_conversion_matches_the_signed_one_over_the_whole_date_range() {
        let first = DATE_MIN as i32 + JULIAN_OFFSET;
        let last = DATE_MAX as i32 + JULIAN_OFFSET;
        for jd in first..=last {
            assert_eq!(dmy_from_julian(jd), dmy_from_julian_signed(jd), "julian day {jd}");
        }
        // And it round-trips through julian_from_dmy.
        for jd in (first..=last).step_by(97) {
            let (y, m, d) = dmy_from_julian(jd);
            assert_eq!(julian_from_dmy(y, m, d), jd);
        }
    }
}
