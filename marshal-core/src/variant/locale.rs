//! The locale facts oleaut32 reads through `GetLocaleInfo` for the LCIDs this engine
//! supports: 0x0409 (en-US, also what LCID 0 / LOCALE_USER_DEFAULT resolve to), 0x007F
//! (invariant), 0x0407 (de-DE) and 0x0411 (ja-JP). Values are those Wine 8 reports.

/// One element of a date or time picture: a field with its width in digits, the AM/PM
/// designator, or a literal character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PictureItem {
    /// `d` / `dd`: day of the month.
    Day(u8),
    /// `M` / `MM`: month.
    Month(u8),
    /// `yyy…`: the whole year.
    Year,
    /// `y` / `yy`: the year modulo 100.
    ShortYear(u8),
    /// `h` / `hh`: hour 1–12.
    Hour12(u8),
    /// `H` / `HH`: hour 0–23.
    Hour24(u8),
    /// `m` / `mm`.
    Minute(u8),
    /// `s` / `ss`.
    Second(u8),
    /// `t…`: the locale's AM or PM text.
    AmPm,
    /// Any other character, printed as it is (one per byte of the picture).
    Literal(u16),
}

/// A `GetDateFormat` / `GetTimeFormat` picture such as `"M/d/yyyy"`, split into
/// [`PictureItem`]s once, when the locale table is compiled, so that formatting a DATE only
/// walks the items.
#[derive(Clone, Copy, Debug)]
pub struct Picture {
    text: &'static str,
    items: [PictureItem; Picture::CAPACITY],
    len: usize,
}

impl Picture {
    /// The most items a picture may have.
    pub const CAPACITY: usize = 24;

    /// Parses a picture (a run of one field letter is one field; a run of 3 or more `y` is
    /// the whole year). Pictures longer than [`Picture::CAPACITY`] items do not compile.
    pub const fn new(text: &'static str) -> Picture {
        let b = text.as_bytes();
        let mut items = [PictureItem::Literal(0); Picture::CAPACITY];
        let mut len = 0;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let mut run = 1;
            while i + run < b.len() && b[i + run] == c {
                run += 1;
            }
            let width = if run < 2 { run as u8 } else { 2 };
            let field = match c {
                b'd' => Some(PictureItem::Day(width)),
                b'M' => Some(PictureItem::Month(width)),
                b'y' => Some(if run >= 3 { PictureItem::Year } else { PictureItem::ShortYear(run as u8) }),
                b'h' => Some(PictureItem::Hour12(width)),
                b'H' => Some(PictureItem::Hour24(width)),
                b'm' => Some(PictureItem::Minute(width)),
                b's' => Some(PictureItem::Second(width)),
                b't' => Some(PictureItem::AmPm),
                _ => None,
            };
            match field {
                Some(item) => {
                    items[len] = item;
                    len += 1;
                }
                None => {
                    let mut k = 0;
                    while k < run {
                        items[len] = PictureItem::Literal(c as u16);
                        len += 1;
                        k += 1;
                    }
                }
            }
            i += run;
        }
        Picture { text, items, len }
    }

    /// The picture as written.
    pub const fn text(&self) -> &'static str {
        self.text
    }

    /// Its items, in order.
    pub fn items(&self) -> &[PictureItem] {
        &self.items[..self.len]
    }
}

/// Number, date and boolean texts of one locale.
#[derive(Debug)]
pub struct Locale {
    /// The LCID.
    pub lcid: u32,
    /// `LOCALE_SDECIMAL`.
    pub decimal: u16,
    /// `LOCALE_STHOUSAND`.
    pub thousand: u16,
    /// `LOCALE_SNEGATIVESIGN`.
    pub negative: u16,
    /// `LOCALE_SPOSITIVESIGN`.
    pub positive: u16,
    /// `LOCALE_SCURRENCY`.
    pub currency: &'static str,
    /// `LOCALE_SMONDECIMALSEP`.
    pub mon_decimal: u16,
    /// `LOCALE_SMONTHOUSANDSEP`.
    pub mon_thousand: u16,
    /// `LOCALE_SDATE`: the date separator.
    pub date_sep: u16,
    /// `LOCALE_IDATE`: 0 = M/D/Y, 1 = D/M/Y, 2 = Y/M/D.
    pub idate: u32,
    /// `LOCALE_SSHORTDATE` picture (d, dd, M, MM, yyyy).
    pub short_date: Picture,
    /// `LOCALE_STIMEFORMAT` picture (h, hh, H, HH, mm, ss, tt).
    pub time_format: Picture,
    /// `LOCALE_S1159` / `LOCALE_S2359`.
    pub am_pm: [&'static str; 2],
    /// Month names (13th empty).
    pub months: [&'static str; 12],
    /// Abbreviated month names.
    pub abbrev_months: [&'static str; 12],
    /// Day names, Monday first (`LOCALE_SDAYNAME1` is Monday).
    pub days: [&'static str; 7],
    /// Abbreviated day names, Monday first.
    pub abbrev_days: [&'static str; 7],
    /// oleaut32's localized "True"/"False" resource (English when the language has none).
    pub bool_text: [&'static str; 2],
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const EN_ABBREV_MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const EN_DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const EN_ABBREV_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// en-US.
pub static EN_US: Locale = Locale {
    lcid: 0x0409,
    decimal: b'.' as u16,
    thousand: b',' as u16,
    negative: b'-' as u16,
    positive: b'+' as u16,
    currency: "$",
    mon_decimal: b'.' as u16,
    mon_thousand: b',' as u16,
    date_sep: b'/' as u16,
    idate: 0,
    short_date: Picture::new("M/d/yyyy"),
    time_format: Picture::new("h:mm:ss tt"),
    am_pm: ["AM", "PM"],
    months: EN_MONTHS,
    abbrev_months: EN_ABBREV_MONTHS,
    days: EN_DAYS,
    abbrev_days: EN_ABBREV_DAYS,
    bool_text: ["True", "False"],
};

/// The invariant locale.
pub static INVARIANT: Locale = Locale {
    lcid: 0x007F,
    decimal: b'.' as u16,
    thousand: b',' as u16,
    negative: b'-' as u16,
    positive: b'+' as u16,
    currency: "\u{a4}",
    mon_decimal: b'.' as u16,
    mon_thousand: b',' as u16,
    date_sep: b'/' as u16,
    idate: 0,
    short_date: Picture::new("MM/dd/yyyy"),
    time_format: Picture::new("HH:mm:ss"),
    am_pm: ["AM", "PM"],
    months: EN_MONTHS,
    abbrev_months: EN_ABBREV_MONTHS,
    days: EN_DAYS,
    abbrev_days: EN_ABBREV_DAYS,
    bool_text: ["True", "False"],
};

/// de-DE.
pub static DE_DE: Locale = Locale {
    lcid: 0x0407,
    decimal: b',' as u16,
    thousand: b'.' as u16,
    negative: b'-' as u16,
    positive: b'+' as u16,
    currency: "\u{20ac}",
    mon_decimal: b',' as u16,
    mon_thousand: b'.' as u16,
    date_sep: b'.' as u16,
    idate: 1,
    short_date: Picture::new("d.M.yyyy"),
    time_format: Picture::new("HH:mm:ss"),
    am_pm: ["", ""],
    months: [
        "Januar",
        "Februar",
        "M\u{e4}rz",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    abbrev_months: ["Jan", "Feb", "M\u{e4}r", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
    days: ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    abbrev_days: ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"],
    bool_text: ["Wahr", "Falsch"],
};

/// ja-JP.
pub static JA_JP: Locale = Locale {
    lcid: 0x0411,
    decimal: b'.' as u16,
    thousand: b',' as u16,
    negative: b'-' as u16,
    positive: b'+' as u16,
    currency: "\u{a5}",
    mon_decimal: b'.' as u16,
    mon_thousand: b',' as u16,
    date_sep: b'/' as u16,
    idate: 2,
    short_date: Picture::new("yyyy/M/d"),
    time_format: Picture::new("H:mm:ss"),
    am_pm: ["\u{5348}\u{524d}", "\u{5348}\u{5f8c}"],
    months: [
        "1\u{6708}",
        "2\u{6708}",
        "3\u{6708}",
        "4\u{6708}",
        "5\u{6708}",
        "6\u{6708}",
        "7\u{6708}",
        "8\u{6708}",
        "9\u{6708}",
        "10\u{6708}",
        "11\u{6708}",
        "12\u{6708}",
    ],
    abbrev_months: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"],
    days: [
        "\u{6708}\u{66dc}\u{65e5}",
        "\u{706b}\u{66dc}\u{65e5}",
        "\u{6c34}\u{66dc}\u{65e5}",
        "\u{6728}\u{66dc}\u{65e5}",
        "\u{91d1}\u{66dc}\u{65e5}",
        "\u{571f}\u{66dc}\u{65e5}",
        "\u{65e5}\u{66dc}\u{65e5}",
    ],
    abbrev_days: ["\u{6708}", "\u{706b}", "\u{6c34}", "\u{6728}", "\u{91d1}", "\u{571f}", "\u{65e5}"],
    bool_text: ["True", "False"],
};

/// Whether [`locale`] knows `lcid` (a few compares, for paths that need no locale facts
/// but must refuse the LCIDs oleaut32 refuses).
#[inline]
pub fn is_known(lcid: u32) -> bool {
    matches!(lcid & 0xFFFF, 0x0409 | 0 | 0x0400 | 0x0800 | 0x007F | 0x0407 | 0x0411)
}

/// `LOCALE_USER_DEFAULT` (0x0400) and `LOCALE_SYSTEM_DEFAULT` (0x0800) resolve to en-US here,
/// as they do under the Wine prefix the vectors were recorded in.
pub fn locale(lcid: u32) -> Option<&'static Locale> {
    match lcid & 0xFFFF {
        0x0409 | 0 | 0x0400 | 0x0800 => Some(&EN_US),
        0x007F => Some(&INVARIANT),
        0x0407 => Some(&DE_DE),
        0x0411 => Some(&JA_JP),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_known_answers_as_locale_does_for_every_language_and_sort_bits() {
        for lcid in (0..=0xFFFFu32).chain([0x1_0409, 0x8_0407, 0xF_0000, 0xF_FFFF, u32::MAX]) {
            assert_eq!(is_known(lcid), locale(lcid).is_some(), "{lcid:#x}");
        }
    }
}
