//! The `Var*From*` conversions and the DATE ↔ SYSTEMTIME pair: the engine's
//! [`format`](marshal_core::variant::format) (`VarBstrFrom*`),
//! [`parse`](marshal_core::variant::parse) (`Var*FromStr`, i.e. `VarParseNumFromStr` +
//! `VarNumFromParseNum`, `VarDateFromStr`, `VarBoolFromStr`), [`Decimal`] / [`Currency`]
//! arithmetic and [`Date`]'s calendar — the same code `VariantChangeTypeEx` runs.
//!
//! Locale-dependent conversions take 0x0409 (en-US, also what 0, `LOCALE_USER_DEFAULT` and
//! `LOCALE_SYSTEM_DEFAULT` mean here), 0x007F (invariant), 0x0407 (German) and 0x0411
//! (Japanese); other LCIDs give `DISP_E_UNKNOWNLCID`. A null string is
//! `DISP_E_TYPEMISMATCH` (as `VarParseNumFromStr`), a null out-pointer `E_INVALIDARG`.

use marshal_core::bstr::Bstr;
use marshal_core::variant::format::{self, TextBuf};
use marshal_core::variant::locale::{locale, Locale};
use marshal_core::variant::parse::{self, NumTarget, Number};
use marshal_core::variant::{Currency, Date, Decimal};
use marshal_core::Hresult;

use crate::guard;
use crate::types::*;

/// The engine's facts for `lcid`, or `DISP_E_UNKNOWNLCID`.
fn locale_of(lcid: LCID) -> Result<&'static Locale, Hresult> {
    locale(lcid).ok_or(Hresult::DISP_E_UNKNOWNLCID)
}

/// The units of a NUL-terminated string (without the NUL).
///
/// # Safety
/// `s` is non-null and NUL-terminated.
unsafe fn units<'a>(s: LPCOLESTR) -> &'a [u16] {
    let mut n = 0;
    // SAFETY: every unit up to and including the NUL is readable.
    unsafe {
        while *s.add(n) != 0 {
            n += 1;
        }
        core::slice::from_raw_parts(s, n)
    }
}

/// Stores `text` as a new BSTR in `*out` (null when the conversion failed).
///
/// # Safety
/// `out` is non-null and writable.
unsafe fn store_bstr(out: *mut BSTR, text: Result<TextBuf, Hresult>) -> HRESULT {
    let b = match text.and_then(|t| Bstr::from_wide(t.as_slice()).map_err(|_| Hresult::E_OUTOFMEMORY)) {
        Ok(b) => b.into_raw(),
        Err(hr) => return hr,
    };
    // SAFETY: writable per the contract.
    unsafe { *out = b };
    Hresult::S_OK
}

/// Runs a `VarBstrFrom*` body: `E_INVALIDARG` for a null out-pointer.
///
/// # Safety
/// `out` is null or writable.
unsafe fn bstr_from(out: *mut BSTR, text: impl FnOnce() -> Result<TextBuf, Hresult>) -> HRESULT {
    guard(Hresult::E_UNEXPECTED, || {
        if out.is_null() {
            return Hresult::E_INVALIDARG;
        }
        // SAFETY: non-null and writable per the contract.
        unsafe { store_bstr(out, text()) }
    })
}

/// Runs a `Var*FromStr` body: the string's units and the locale in, the value out.
///
/// # Safety
/// `s` is null or NUL-terminated; `out` is null or writable.
unsafe fn from_str<T>(
    s: LPCOLESTR,
    lcid: LCID,
    out: *mut T,
    convert: impl FnOnce(&[u16], &'static Locale) -> Result<T, Hresult>,
) -> HRESULT {
    guard(Hresult::E_UNEXPECTED, || {
        if out.is_null() {
            return Hresult::E_INVALIDARG;
        }
        if s.is_null() {
            return Hresult::DISP_E_TYPEMISMATCH;
        }
        let l = match locale_of(lcid) {
            Ok(l) => l,
            Err(hr) => return hr,
        };
        // SAFETY: NUL-terminated per the contract.
        match convert(unsafe { units(s) }, l) {
            Ok(v) => {
                // SAFETY: writable per the contract.
                unsafe { out.write_unaligned(v) };
                Hresult::S_OK
            }
            Err(hr) => hr,
        }
    })
}

/// Runs a scalar conversion with an out-pointer: `E_INVALIDARG` for null.
///
/// # Safety
/// `out` is null or writable.
unsafe fn to_out<T>(out: *mut T, convert: impl FnOnce() -> Result<T, Hresult>) -> HRESULT {
    guard(Hresult::E_UNEXPECTED, || {
        if out.is_null() {
            return Hresult::E_INVALIDARG;
        }
        match convert() {
            Ok(v) => {
                // SAFETY: writable per the contract.
                unsafe { out.write_unaligned(v) };
                Hresult::S_OK
            }
            Err(hr) => hr,
        }
    })
}

/// Reads a DECIMAL argument, validated (scale ≤ 28, sign 0 or 0x80): `E_INVALIDARG`
/// otherwise.
///
/// # Safety
/// `p` is null or readable.
unsafe fn decimal_arg(p: *const DECIMAL) -> Result<Decimal, Hresult> {
    if p.is_null() {
        return Err(Hresult::E_INVALIDARG);
    }
    // SAFETY: readable per the contract.
    let d = unsafe { p.read_unaligned() };
    d.validate().map_err(|_| Hresult::E_INVALIDARG)?;
    Ok(d)
}

export! {
    /// `VarBstrFromUI1`: the decimal digits of `v` (the locale and flags do not matter).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromUI1(v: BYTE, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = (lcid, dw_flags);
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || Ok(format::u64_to_text(v.into()))) }
    }
}

export! {
    /// `VarBstrFromI2`: the decimal digits of `v` (the locale and flags do not matter).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromI2(v: SHORT, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = (lcid, dw_flags);
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || Ok(format::i64_to_text(v.into()))) }
    }
}

export! {
    /// `VarBstrFromI4`: the decimal digits of `v` (the locale and flags do not matter).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromI4(v: LONG, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = (lcid, dw_flags);
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || Ok(format::i64_to_text(v.into()))) }
    }
}

export! {
    /// `VarBstrFromI8`: the decimal digits of `v` (the locale and flags do not matter).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromI8(v: LONG64, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = (lcid, dw_flags);
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || Ok(format::i64_to_text(v))) }
    }
}

export! {
    /// `VarBstrFromUI2`: the decimal digits of `v` (the locale and flags do not matter).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromUI2(v: USHORT, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = (lcid, dw_flags);
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || Ok(format::u64_to_text(v.into()))) }
    }
}

export! {
    /// `VarBstrFromUI4`: the decimal digits of `v` (the locale and flags do not matter).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromUI4(v: ULONG, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = (lcid, dw_flags);
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || Ok(format::u64_to_text(v.into()))) }
    }
}

export! {
    /// `VarBstrFromUI8`: the decimal digits of `v` (the locale and flags do not matter).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromUI8(v: ULONG64, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = (lcid, dw_flags);
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || Ok(format::u64_to_text(v))) }
    }
}

export! {
    /// `VarBstrFromR4`: `%.7G` with the locale's decimal separator (`VarBstrFromR4`).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromR4(v: FLOAT, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || locale_of(lcid).map(|l| format::r4_to_text(v, l))) }
    }
}

export! {
    /// `VarBstrFromR8`: `%.15G` with the locale's decimal separator (`VarBstrFromR8`).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromR8(v: DOUBLE, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || locale_of(lcid).map(|l| format::r8_to_text(v, l))) }
    }
}

export! {
    /// `VarBstrFromCy`: the exact amount, up to 4 decimals, with the locale's separator (`VarBstrFromCy`).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromCy(v: CY, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || locale_of(lcid).map(|l| format::cy_to_text(v, l))) }
    }
}

export! {
    /// `VarBstrFromDate`: the locale's short date and long time (date or time alone when
    /// the other part is zero; `VAR_DATEVALUEONLY` = 2 / `VAR_TIMEVALUEONLY` = 1 choose).
    /// `E_INVALIDARG` outside the DATE range.
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromDate(v: DATE, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe { bstr_from(pbstr_out, || format::date_to_text(Date(v), locale_of(lcid)?, dw_flags)) }
    }
}

export! {
    /// `VarBstrFromBool`: "True" / "False" (the locale's words with `VAR_LOCALBOOL`).
    ///
    /// # Safety
    /// `pbstr_out` is null or writable; the BSTR stored there is the caller's to free.
    pub unsafe extern "C" fn VarBstrFromBool(v: VARIANT_BOOL, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe {
            bstr_from(pbstr_out, || {
                locale_of(lcid).map(|l| format::bool_to_text(v != 0, l, dw_flags & VAR_LOCALBOOL != 0))
            })
        }
    }
}

export! {
    /// `VarBstrFromDec`: the exact decimal text with the locale's separator.
    /// `E_INVALIDARG` for a null or invalid DECIMAL.
    ///
    /// # Safety
    /// `pdec_in` is null or readable; `pbstr_out` is null or writable.
    pub unsafe extern "C" fn VarBstrFromDec(pdec_in: *const DECIMAL, lcid: LCID, dw_flags: ULONG, pbstr_out: *mut BSTR) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            bstr_from(pbstr_out, || {
                let d = decimal_arg(pdec_in)?;
                Ok(format::dec_to_text(&d, locale_of(lcid)?))
            })
        }
    }
}

export! {
    /// `VarUI1FromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to BYTE (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarUI1FromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut BYTE) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::UI1)? {
                Number::UI1(v) => Ok(v),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarI2FromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to SHORT (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarI2FromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut SHORT) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::I2)? {
                Number::I2(v) => Ok(v),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarI4FromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to LONG (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarI4FromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut LONG) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::I4)? {
                Number::I4(v) => Ok(v),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarI8FromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to LONG64 (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarI8FromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut LONG64) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::I8)? {
                Number::I8(v) => Ok(v),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarUI2FromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to USHORT (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarUI2FromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut USHORT) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::UI2)? {
                Number::UI2(v) => Ok(v),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarUI4FromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to ULONG (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarUI4FromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut ULONG) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::UI4)? {
                Number::UI4(v) => Ok(v),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarUI8FromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to ULONG64 (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarUI8FromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut ULONG64) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::UI8)? {
                Number::UI8(v) => Ok(v),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarR4FromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to FLOAT (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarR4FromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut FLOAT) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::R4)? {
                Number::R4(v) => Ok(v),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarR8FromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to DOUBLE (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarR8FromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut DOUBLE) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::R8)? {
                Number::R8(v) => Ok(v),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarCyFromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to CY (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarCyFromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut CY) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::Cy)? {
                Number::Cy(v) => Ok(v),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarDecFromStr`: `VarParseNumFromStr` (leading/trailing blanks, signs, parentheses,
    /// thousands and decimal separators, currency symbol, exponent, `&H`/`&O`) then
    /// `VarNumFromParseNum` to DECIMAL (banker's rounding; `DISP_E_OVERFLOW` out of range,
    /// `DISP_E_TYPEMISMATCH` for text that is not a number).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `out` is null or writable.
    pub unsafe extern "C" fn VarDecFromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, out: *mut DECIMAL) -> HRESULT {
        let _ = dw_flags;
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, out, |s, l| match parse::number_from_str(s, l, NumTarget::Decimal)? {
                // oleaut32 parses into a VARIANT and copies its DECIMAL out: `wReserved` is
                // VT_DECIMAL (recorded in wine_oleaut.jsonl's VarDecFromStr lines).
                Number::Decimal(v) => Ok(DECIMAL { reserved: marshal_core::VarType::DECIMAL.0, ..v }),
                _ => Err(Hresult::DISP_E_TYPEMISMATCH),
            })
        }
    }
}

export! {
    /// `VarDateFromStr`: a date and/or time in the locale's order and words
    /// (`DISP_E_TYPEMISMATCH` when the text is not one).
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `pdate_out` is null or writable.
    pub unsafe extern "C" fn VarDateFromStr(str_in: LPCOLESTR, lcid: LCID, dw_flags: ULONG, pdate_out: *mut DATE) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe { from_str(str_in, lcid, pdate_out, |s, l| parse::date_from_str(s, l, dw_flags).map(|d| d.0)) }
    }
}

export! {
    /// `VarBoolFromStr`: "True" / "False" (the locale's words too with `VAR_LOCALBOOL`), or
    /// a number (non-zero is true): -1 / 0.
    ///
    /// # Safety
    /// `str_in` is null or NUL-terminated; `pbool_out` is null or writable.
    pub unsafe extern "C" fn VarBoolFromStr(
        str_in: LPCOLESTR,
        lcid: LCID,
        dw_flags: ULONG,
        pbool_out: *mut VARIANT_BOOL,
    ) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe {
            from_str(str_in, lcid, pbool_out, |s, l| {
                parse::bool_from_str(s, l, dw_flags & VAR_LOCALBOOL != 0).map(|b| if b { -1 } else { 0 })
            })
        }
    }
}

export! {
    /// `VarDecFromR8`: the double's 15 significant digits as a DECIMAL
    /// (`DISP_E_OVERFLOW` beyond the DECIMAL range).
    ///
    /// # Safety
    /// `pdec_out` is null or writable.
    pub unsafe extern "C" fn VarDecFromR8(dbl_in: DOUBLE, pdec_out: *mut DECIMAL) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe { to_out(pdec_out, || Decimal::from_f64(dbl_in)) }
    }
}

export! {
    /// `VarR8FromDec`: the nearest double. `E_INVALIDARG` for an invalid DECIMAL.
    ///
    /// # Safety
    /// `pdec_in` is null or readable; `pdbl_out` is null or writable.
    pub unsafe extern "C" fn VarR8FromDec(pdec_in: *const DECIMAL, pdbl_out: *mut DOUBLE) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe { to_out(pdbl_out, || decimal_arg(pdec_in)?.to_f64()) }
    }
}

export! {
    /// `VarCyFromR8`: rounded to 4 decimals (banker's rounding), `DISP_E_OVERFLOW` out of
    /// range.
    ///
    /// # Safety
    /// `pcy_out` is null or writable.
    pub unsafe extern "C" fn VarCyFromR8(dbl_in: DOUBLE, pcy_out: *mut CY) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe { to_out(pcy_out, || Currency::from_f64(dbl_in)) }
    }
}

export! {
    /// `VarR8FromCy`: the amount as a double.
    ///
    /// # Safety
    /// `pdbl_out` is null or writable.
    pub unsafe extern "C" fn VarR8FromCy(cy_in: CY, pdbl_out: *mut DOUBLE) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe { to_out(pdbl_out, || Ok(cy_in.to_f64())) }
    }
}

export! {
    /// `VarDecFromCy`: exact (scale 4).
    ///
    /// # Safety
    /// `pdec_out` is null or writable.
    pub unsafe extern "C" fn VarDecFromCy(cy_in: CY, pdec_out: *mut DECIMAL) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe { to_out(pdec_out, || Ok(Decimal::from_currency(cy_in))) }
    }
}

export! {
    /// `VarCyFromDec`: rounded to 4 decimals, `DISP_E_OVERFLOW` out of range,
    /// `E_INVALIDARG` for an invalid DECIMAL.
    ///
    /// # Safety
    /// `pdec_in` is null or readable; `pcy_out` is null or writable.
    pub unsafe extern "C" fn VarCyFromDec(pdec_in: *const DECIMAL, pcy_out: *mut CY) -> HRESULT {
        // SAFETY: forwarded contract.
        unsafe { to_out(pcy_out, || Currency::from_decimal(&decimal_arg(pdec_in)?)) }
    }
}

export! {
    /// `VariantTimeToSystemTime`: the calendar fields of a DATE (milliseconds rounded as
    /// oleaut32 does). `TRUE` (1), or `FALSE` (0) outside the DATE range or for a null
    /// pointer.
    ///
    /// # Safety
    /// `lp_system_time` is null or writable.
    pub unsafe extern "C" fn VariantTimeToSystemTime(vtime: DOUBLE, lp_system_time: *mut SYSTEMTIME) -> INT {
        guard(0, || {
            if lp_system_time.is_null() {
                return 0;
            }
            match Date(vtime).to_system_time() {
                Ok(st) => {
                    // SAFETY: writable per the contract.
                    unsafe { lp_system_time.write_unaligned(st) };
                    1
                }
                Err(_) => 0,
            }
        })
    }
}

export! {
    /// `SystemTimeToVariantTime`: a DATE from calendar fields (out-of-range days and months
    /// roll over as oleaut32's `VarDateFromUdate`; milliseconds ignored). `TRUE` (1), or
    /// `FALSE` (0) for fields it refuses or a null pointer.
    ///
    /// # Safety
    /// `lp_system_time` is null or readable; `pvtime` is null or writable.
    pub unsafe extern "C" fn SystemTimeToVariantTime(lp_system_time: *mut SYSTEMTIME, pvtime: *mut DOUBLE) -> INT {
        guard(0, || {
            if lp_system_time.is_null() || pvtime.is_null() {
                return 0;
            }
            // SAFETY: readable per the contract.
            let st = unsafe { lp_system_time.read_unaligned() };
            match Date::from_system_time(&st) {
                Ok(d) => {
                    // SAFETY: writable per the contract.
                    unsafe { pvtime.write_unaligned(d.0) };
                    1
                }
                Err(_) => 0,
            }
        })
    }
}
