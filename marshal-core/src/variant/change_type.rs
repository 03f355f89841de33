//! `VariantChangeType(Ex)`: converts a VARIANT to another VARTYPE with oleaut32's rules,
//! results and HRESULTs (`VARIANT_Coerce` and the `Var*From*` family).

use core::ffi::c_void;

use super::bstr_shim;
use super::format::{self, TextBuf};
use super::locale::{self, Locale};
use super::number::*;
use super::owned::{copy_ind_raw, copy_raw, validate_vartype};
use super::parse::{self, NumTarget, Number};
use super::raw::VARIANT;
use super::value::value_of;
use super::{Currency, Date, Decimal, Variant, VariantValue};
use crate::hresult::Hresult;
use crate::vartype::VarType;

/// `VARIANT_NOVALUEPROP`: do not read an IDispatch's DISPID_VALUE property.
pub const VARIANT_NOVALUEPROP: u16 = 0x01;
/// `VARIANT_ALPHABOOL`: BOOL → BSTR gives "True"/"False" instead of "-1"/"0".
pub const VARIANT_ALPHABOOL: u16 = 0x02;
/// `VARIANT_NOUSEROVERRIDE`.
pub const VARIANT_NOUSEROVERRIDE: u16 = 0x04;
/// `VARIANT_LOCALBOOL`: BOOL ↔ BSTR uses the locale's words for True/False.
pub const VARIANT_LOCALBOOL: u16 = 0x10;
/// `VARIANT_USE_NLS`.
pub const VARIANT_USE_NLS: u16 = 0x80;

/// LCID 0x0409 (en-US), what `VariantChangeType` (LOCALE_USER_DEFAULT) resolves to here.
pub const LCID_EN_US: u32 = 0x0409;
/// LCID 0x007F (invariant).
pub const LCID_INVARIANT: u32 = 0x007F;

/// `VariantChangeType`: [`change_type_ex`] with LOCALE_USER_DEFAULT (en-US).
///
/// ```
/// use marshal_core::variant::{change_type, Variant, VariantValue, VARIANT_ALPHABOOL};
/// use marshal_core::{Hresult, VarType};
/// let v = change_type(&Variant::from(2.5f64), VarType::I4, 0).unwrap();
/// assert_eq!(v.value(), VariantValue::I4(2)); // banker's rounding
/// let b = change_type(&Variant::from(true), VarType::BSTR, VARIANT_ALPHABOOL).unwrap();
/// assert_eq!(String::try_from(&b).unwrap(), "True");
/// assert_eq!(change_type(&Variant::from(300i32), VarType::UI1, 0).unwrap_err(), Hresult::DISP_E_OVERFLOW);
/// ```
#[inline]
pub fn change_type(src: &Variant, vt: VarType, flags: u16) -> Result<Variant, Hresult> {
    change_type_ex(src, LCID_EN_US, flags, vt)
}

/// `VariantChangeTypeEx` under `lcid` (0x0409, 0x007F, 0x0407, 0x0411, or the defaults
/// 0 / 0x0400 / 0x0800; others give `DISP_E_UNKNOWNLCID` when text is involved).
#[inline]
pub fn change_type_ex(src: &Variant, lcid: u32, flags: u16, vt: VarType) -> Result<Variant, Hresult> {
    // Integer → BSTR, the commonest coercion (a number shown as text), on a path of its own:
    // the general one below answers it the same way after more dispatch.
    if vt == VarType::BSTR && locale::is_known(lcid) {
        let answer = integer_to_bstr(src.as_raw());
        if answer.status == Converted::OK {
            return Ok(Variant(VARIANT::scalar_for_return(VarType::BSTR, answer.bits)));
        }
        if answer.status != Converted::UNHANDLED {
            return Err(Hresult(answer.status as i32));
        }
    }
    // Number → number (R8 → I4 …): straight from the payload, inlined here so that a target
    // known at the call site folds to its one conversion.
    if vt != VarType::BSTR {
        let answer = number_to_number(src.as_raw(), vt);
        if answer.status == Converted::OK {
            return Ok(Variant(VARIANT::scalar_for_return(vt, answer.bits)));
        }
        if answer.status != Converted::UNHANDLED {
            return Err(Hresult(answer.status as i32));
        }
    }
    // Number → number or BSTR and text → number, the common conversions, come back as
    // payload bits in registers; the VARIANT is built here, in the caller's frame.
    // SAFETY: a Variant's BSTR is null or live (its invariant).
    let answer = unsafe { convert_scalar(src.as_raw(), lcid, vt) };
    if answer.status == Converted::OK {
        return Ok(Variant(VARIANT::scalar_for_return(vt, answer.bits)));
    }
    if answer.status != Converted::UNHANDLED {
        return Err(Hresult(answer.status as i32));
    }
    change_type_general(src, lcid, flags, vt)
}

/// The answer of [`convert_scalar`] as two integers, which the Rust ABI returns in two
/// registers (an `Option<Result<u64, Hresult>>` goes through memory).
#[derive(Clone, Copy)]
struct Converted {
    /// [`Converted::OK`], [`Converted::UNHANDLED`], or a failure HRESULT (negative).
    status: i64,
    /// The result's payload when `status` is OK.
    bits: u64,
}

impl Converted {
    const OK: i64 = 0;
    const UNHANDLED: i64 = 1;

    #[inline]
    fn from_result(r: Result<u64, Hresult>) -> Converted {
        match r {
            Ok(bits) => Converted { status: Converted::OK, bits },
            // Failure HRESULTs have the severity bit set: never OK or UNHANDLED.
            Err(hr) => Converted { status: hr.0 as i64, bits: 0 },
        }
    }

    #[inline]
    fn from_option(r: Option<Result<u64, Hresult>>) -> Converted {
        match r {
            Some(r) => Converted::from_result(r),
            None => Converted { status: Converted::UNHANDLED, bits: 0 },
        }
    }

    /// Back to the `Option<Result<…>>` form, the result stored as a VARIANT of type `vt`.
    #[inline]
    fn into_variant(self, vt: VarType) -> Option<Result<VARIANT, Hresult>> {
        match self.status {
            Converted::OK => Some(Ok(VARIANT::scalar(vt, self.bits))),
            Converted::UNHANDLED => None,
            hr => Some(Err(Hresult(hr as i32))),
        }
    }
}

/// [`change_type_ex`] for the pairs [`convert_scalar`] leaves.
#[inline(never)]
fn change_type_general(src: &Variant, lcid: u32, flags: u16, vt: VarType) -> Result<Variant, Hresult> {
    // SAFETY: a Variant is valid and its pointers live (its invariant).
    unsafe { change_type_raw(src.as_raw(), lcid, flags, vt) }.map(Variant::wrap)
}

/// `VariantChangeType` for the common pairs, whose result is a scalar or a BSTR: a number
/// held by value (integer, R4, R8, DATE) to a number, BOOL or BSTR, and a non-null BSTR to
/// an integer, R4 or R8. The answer is the result's payload ([`payload`]: the value's bits,
/// or the new BSTR's pointer), to be stored with [`VARIANT::scalar`] under `vt`: eight bytes
/// that travel back in a register where a whole VARIANT would go through memory. `None`
/// for every other pair, identical types included (a copy). Flags play no part for these
/// sources.
///
/// # Safety
/// A BSTR in `src` is null or live.
#[inline(never)]
unsafe fn convert_scalar(src: &VARIANT, lcid: u32, vt: VarType) -> Converted {
    // SAFETY: forwarded contract.
    Converted::from_option(unsafe { convert_scalar_inner(src, lcid, vt) })
}

/// [`convert_scalar`] in `Option<Result<…>>` form.
///
/// # Safety
/// As [`convert_scalar`].
#[inline]
unsafe fn convert_scalar_inner(src: &VARIANT, lcid: u32, vt: VarType) -> Option<Result<u64, Hresult>> {
    if let Some(n) = num_of(src) {
        let (from, to) = (fold_int(src.vt), fold_int(vt));
        if from == to {
            return None;
        }
        if to == VarType::BSTR {
            return Some(number_to_bstr(from, n, lcid).map(|p| payload((p as usize).to_ne_bytes())));
        }
        return num_to_num(to, from, n);
    }
    if src.vt == VarType::BSTR {
        // SAFETY: caller contract.
        return unsafe { text_to_number(src, lcid, vt) };
    }
    None
}

/// A non-null BSTR held by value to an integer type, R4 or R8: the text parsed under
/// `lcid`; `None` for the other targets and for a null BSTR (the general path answers
/// those).
///
/// # Safety
/// `src` is a VT_BSTR VARIANT whose pointer is null or a live BSTR.
#[inline]
unsafe fn text_to_number(src: &VARIANT, lcid: u32, vt: VarType) -> Option<Result<u64, Hresult>> {
    let target = match fold_int(vt) {
        VarType::I1 => NumTarget::I1,
        VarType::I2 => NumTarget::I2,
        VarType::I4 => NumTarget::I4,
        VarType::I8 => NumTarget::I8,
        VarType::UI1 => NumTarget::UI1,
        VarType::UI2 => NumTarget::UI2,
        VarType::UI4 => NumTarget::UI4,
        VarType::UI8 => NumTarget::UI8,
        VarType::R4 => NumTarget::R4,
        VarType::R8 => NumTarget::R8,
        _ => return None,
    };
    // SAFETY: the pointer member of a BSTR VARIANT.
    let p = unsafe { src.data.ptr } as *const u16;
    if p.is_null() {
        return None;
    }
    // SAFETY: a live BSTR (caller contract).
    let text = unsafe { bstr_shim::units(p) };
    let parsed = loc(lcid).and_then(|l| match parse::number_from_plain(text, l, target) {
        Some(answer) => answer,
        None => parse::number_from_numparse(text, l, target),
    });
    Some(parsed.and_then(|n| {
        Ok(match n {
            Number::I1(x) => payload(x.to_ne_bytes()),
            Number::UI1(x) => payload(x.to_ne_bytes()),
            Number::I2(x) => payload(x.to_ne_bytes()),
            Number::UI2(x) => payload(x.to_ne_bytes()),
            Number::I4(x) => payload(x.to_ne_bytes()),
            Number::UI4(x) => payload(x.to_ne_bytes()),
            Number::I8(x) => payload(x.to_ne_bytes()),
            Number::UI8(x) => payload(x.to_ne_bytes()),
            Number::R4(x) => payload(x.to_ne_bytes()),
            Number::R8(x) => payload(x.to_ne_bytes()),
            // The parser answers in the type it was asked for; `coerce` treats any other
            // answer as a mismatch, and so does this path.
            Number::Cy(_) | Number::Decimal(_) => return Err(Hresult::DISP_E_TYPEMISMATCH),
        })
    }))
}

/// `VarBstrFromI4` and the other integer forms for a by-value integer source (I1 … UI8,
/// INT, UINT), under a known LCID (integers print the same in all of them): the new
/// BSTR's pointer as payload bits, in registers; [`Converted::UNHANDLED`] for any other
/// source.
#[inline(never)]
fn integer_to_bstr(src: &VARIANT) -> Converted {
    let Some((negative, magnitude)) = integer_parts(src) else {
        return Converted { status: Converted::UNHANDLED, bits: 0 };
    };
    Converted::from_result(int_bstr(negative, magnitude).map(|p| p as usize as u64))
}

/// Number → number for a by-value numeric source ([`num_of`]) and a numeric, DATE or BOOL
/// target ([`num_to_num`]): the result's payload bits; [`Converted::UNHANDLED`] for other
/// pairs and for a source of the target's own type (a copy).
#[inline(always)]
fn number_to_number(src: &VARIANT, vt: VarType) -> Converted {
    let Some(n) = num_of(src) else {
        return Converted { status: Converted::UNHANDLED, bits: 0 };
    };
    let (from, to) = (fold_int(src.vt), fold_int(vt));
    if from == to {
        return Converted { status: Converted::UNHANDLED, bits: 0 };
    }
    Converted::from_option(num_to_num(to, from, n))
}

/// A by-value integer VARIANT (I1 … UI8, INT, UINT) as sign and magnitude; `None` for every
/// other tag.
#[inline]
fn integer_parts(v: &VARIANT) -> Option<(bool, u64)> {
    // SAFETY: the tag says which union member holds the value; all are plain data.
    unsafe {
        let signed = |i: i64| Some((i < 0, i.unsigned_abs()));
        match v.vt {
            VarType::I1 => signed(v.data.i8_ as i64),
            VarType::I2 => signed(v.data.i16_ as i64),
            VarType::I4 | VarType::INT => signed(v.data.i32_ as i64),
            VarType::I8 => signed(v.data.i64_),
            VarType::UI1 => Some((false, v.data.i8_ as u8 as u64)),
            VarType::UI2 => Some((false, v.data.i16_ as u16 as u64)),
            VarType::UI4 | VarType::UINT => Some((false, v.data.i32_ as u32 as u64)),
            VarType::UI8 => Some((false, v.data.i64_ as u64)),
            _ => None,
        }
    }
}

/// `VarBstrFromI4` … `VarBstrFromDate` under `lcid` (`from` folded by [`fold_int`]): the new
/// BSTR.
fn number_to_bstr(from: VarType, n: Num, lcid: u32) -> Result<*mut u16, Hresult> {
    let l = loc(lcid)?;
    match (from, n) {
        (_, Num::I(i)) => int_bstr(i < 0, i.unsigned_abs()),
        (_, Num::U(u)) => int_bstr(false, u),
        (VarType::R4, Num::F(x)) => text_bstr(format::r4_to_text(x as f32, l).as_slice()),
        (VarType::R8, Num::F(x)) => text_bstr(format::r8_to_text(x, l).as_slice()),
        (_, Num::F(x)) => {
            // DATE
            let mut text = TextBuf::default();
            format::write_date(&mut text, Date(x), l, 0)?;
            text_bstr(text.as_slice())
        }
    }
}

/// A new BSTR holding `units`.
fn text_bstr(units: &[u16]) -> Result<*mut u16, Hresult> {
    let p = bstr_shim::alloc_units(units);
    if p.is_null() {
        return Err(Hresult::E_OUTOFMEMORY);
    }
    Ok(p)
}

/// An integer's decimal text (no grouping, `-` for negatives, in every locale) written
/// straight into a new BSTR.
#[inline(always)]
fn int_bstr(negative: bool, magnitude: u64) -> Result<*mut u16, Hresult> {
    let digits = format::decimal_len(magnitude);
    let sign = negative as usize;
    // SAFETY: every unit is written: the sign (when negative) and the `digits` digits after it.
    let p = unsafe {
        bstr_shim::alloc_fill(sign + digits, |units| {
            let dst = units.as_mut_ptr().cast::<u16>();
            if negative {
                dst.write(b'-' as u16);
            }
            // SAFETY: `units` holds `sign + digits` units.
            format::write_decimal_units(magnitude, digits, dst.add(sign));
        })
    };
    if p.is_null() {
        return Err(Hresult::E_OUTOFMEMORY);
    }
    Ok(p)
}

/// The by-value VARTYPEs whose VARIANTs are valid whatever their payload (no pointer to
/// check, no DECIMAL scale, no record): EMPTY, NULL, I2, I4, R4, R8, CY, DATE, BSTR, ERROR,
/// BOOL, I1, UI1, UI2, UI4, I8, UI8, INT, UINT.
#[inline]
fn is_plain(vt: VarType) -> bool {
    const PLAIN: u32 = 0x1FF | 1 << VarType::ERROR.0 | 1 << VarType::BOOL.0 | 0xFF << VarType::I1.0;
    vt.0 < 32 && PLAIN & (1 << vt.0) != 0
}

/// `VariantChangeTypeEx` on a raw VARIANT; the returned VARIANT owns its payload.
///
/// # Safety
/// Pointers in `src` (BSTR, interfaces, BYREF targets) must be valid.
pub unsafe fn change_type_raw(src: &VARIANT, lcid: u32, flags: u16, vt: VarType) -> Result<VARIANT, Hresult> {
    if is_plain(src.vt) && is_plain(vt) {
        // Both tags are valid and the source needs no payload check: straight to the
        // conversion (what the general path below does for these tags, minus its checks),
        // number → number or BSTR, text → number first.
        // SAFETY: caller contract: the BSTR is null or live.
        if let Some(result) = unsafe { convert_scalar(src, lcid, vt) }.into_variant(vt) {
            return result;
        }
        // SAFETY: caller contract.
        let mut out = unsafe { coerce(src, lcid, flags, vt) }?;
        out.vt = vt;
        return Ok(out);
    }
    if vt == VarType::CLSID {
        return Err(Hresult::DISP_E_BADVARTYPE);
    }
    validate_vartype(src.vt)?;
    validate_vartype(vt)?;
    // SAFETY: reading the pointer member.
    if src.vt.is_byref() && unsafe { src.data.ptr }.is_null() {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    // By-value sources are read in place (no copy of their BSTR); BYREF ones are
    // dereferenced into an owned copy first, as `VariantCopyInd` does.
    let owned_deref;
    let deref: &VARIANT = if src.vt.is_byref() {
        // The dereferenced value is validated like any VARIANT: a DECIMAL with a bad scale behind a BYREF
        // is E_INVALIDARG, as oleaut32's Var*FromDec answer it (taking it as VT_EMPTY converted it to 0).
        // SAFETY: caller contract; the copy owns its payload.
        let mut copy = unsafe { copy_ind_raw(src)? };
        // SAFETY: the copy's pointers are live (ours, or references we hold).
        owned_deref = match unsafe { Variant::from_raw(copy) } {
            Ok(v) => v,
            Err(e) => {
                // The copy is ours even when it is refused (a BYREF array whose descriptor does
                // not match its VARTYPE): free it, or it leaks (found by `variant_change_type`).
                // SAFETY: the copy owns what it holds.
                unsafe { super::owned::clear_raw(&mut copy) };
                return Err(Hresult::from(e));
            }
        };
        owned_deref.as_raw()
    } else {
        super::owned::validate(src).map_err(Hresult::from)?;
        src
    };
    if deref.vt.is_array() || vt.is_array() {
        // SAFETY: the payload pointers are valid (caller contract / owned copy).
        return unsafe { crate::safearray::variant_array::change_array_type(deref, vt) };
    }
    // SAFETY: `deref` is valid and its pointers live (caller contract, or our own copy).
    let mut out = unsafe { coerce(deref, lcid, flags, vt) }?;
    out.vt = vt;
    Ok(out)
}

impl Variant {
    /// Owns a VARIANT this module produced. They are valid by construction, except that a
    /// DECIMAL parsed from text may carry a scale above 28: such a result reads as EMPTY,
    /// as it always has (it owns nothing, so nothing leaks).
    #[inline]
    pub(crate) fn wrap(raw: VARIANT) -> Variant {
        if raw.vt == VarType::DECIMAL && raw.decimal().validate().is_err() {
            return Variant::default();
        }
        debug_assert!(super::owned::validate(&raw).is_ok());
        Variant(raw)
    }
}

fn scalar(vt: VarType, set: impl FnOnce(&mut VARIANT)) -> VARIANT {
    let mut v = VARIANT::with_vt(vt);
    set(&mut v);
    v
}

fn bstr_of(text: &[u16]) -> Result<VARIANT, Hresult> {
    Variant::from_utf16(text).map(Variant::into_raw)
}

fn loc(lcid: u32) -> Result<&'static Locale, Hresult> {
    locale::locale(lcid).ok_or(Hresult::DISP_E_UNKNOWNLCID)
}

/// Numeric view of a by-value source, for the integer / float targets.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Num {
    I(i64),
    U(u64),
    F(f64),
}

fn parse_target(s: &[u16], lcid: u32, t: NumTarget) -> Result<Number, Hresult> {
    parse::number_from_str(s, loc(lcid)?, t)
}

/// Nested value-property conversions on this thread (see [`from_dispatch`]).
struct DispatchDepth;

/// How many `IDispatch` value properties one conversion follows.
const MAX_DISPATCH_DEPTH: u32 = 16;

std::thread_local! {
    static DISPATCH_DEPTH: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
}

impl DispatchDepth {
    fn enter() -> Option<DispatchDepth> {
        DISPATCH_DEPTH.with(|d| {
            (d.get() < MAX_DISPATCH_DEPTH).then(|| {
                d.set(d.get() + 1);
                DispatchDepth
            })
        })
    }
}

impl Drop for DispatchDepth {
    fn drop(&mut self) {
        DISPATCH_DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Calls `IDispatch::Invoke(DISPID_VALUE, PROPERTYGET)` and converts the result.
///
/// # Safety
/// `disp` is null or a live IDispatch.
unsafe fn from_dispatch(disp: *mut c_void, lcid: u32, vt: VarType) -> Result<VARIANT, Hresult> {
    if disp.is_null() {
        return Err(Hresult::DISP_E_BADVARTYPE);
    }
    // The value property may itself be an object whose value property is converted in turn; an object
    // that returns itself (or a longer cycle) would recurse until the stack overflows (found by the
    // `variant_change_type` fuzz target). Real chains are a level or two deep.
    let Some(_depth) = DispatchDepth::enter() else { return Err(Hresult::DISP_E_TYPEMISMATCH) };
    #[repr(C)]
    struct DispParams {
        args: *mut VARIANT,
        named: *mut i32,
        c_args: u32,
        c_named: u32,
    }
    type Invoke = unsafe extern "system" fn(
        *mut c_void,
        i32,
        *const crate::Guid,
        u32,
        u16,
        *mut DispParams,
        *mut VARIANT,
        *mut c_void,
        *mut u32,
    ) -> Hresult;
    let mut params = DispParams { args: core::ptr::null_mut(), named: core::ptr::null_mut(), c_args: 0, c_named: 0 };
    let mut result = VARIANT::EMPTY;
    let iid_null = crate::Guid::from_u128(0);
    // SAFETY: IDispatch's vtable has Invoke at slot 6 (after IUnknown's 3 and 3 type-info slots).
    let hr = unsafe {
        let vtbl = *(disp as *const *const *const c_void);
        let invoke: Invoke = core::mem::transmute(*vtbl.add(6));
        invoke(disp, 0, &iid_null, lcid, 2, &mut params, &mut result, core::ptr::null_mut(), core::ptr::null_mut())
    };
    if hr.is_err() {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    // SAFETY: the callee returned an owned, valid VARIANT (COM contract); validate anyway.
    let owned = unsafe { Variant::from_raw(result) }.map_err(Hresult::from)?;
    // SAFETY: owned is valid.
    unsafe { change_type_raw(owned.as_raw(), lcid, 0, vt) }
}

/// The numeric view of a by-value source (integers, reals and DATE); `None` for the others.
#[inline]
fn num_of(v: &VARIANT) -> Option<Num> {
    // SAFETY: the tag says which union member holds the value; all are plain data.
    unsafe {
        Some(match v.vt {
            VarType::I1 => Num::I(v.data.i8_ as i64),
            VarType::I2 => Num::I(v.data.i16_ as i64),
            VarType::I4 | VarType::INT => Num::I(v.data.i32_ as i64),
            VarType::I8 => Num::I(v.data.i64_),
            VarType::UI1 => Num::U(v.data.i8_ as u8 as u64),
            VarType::UI2 => Num::U(v.data.i16_ as u16 as u64),
            VarType::UI4 | VarType::UINT => Num::U(v.data.i32_ as u32 as u64),
            VarType::UI8 => Num::U(v.data.i64_ as u64),
            VarType::R4 => Num::F(v.data.f32_ as f64),
            VarType::R8 | VarType::DATE => Num::F(v.data.f64_),
            _ => return None,
        })
    }
}

/// VARIANT_Coerce for a valid, by-value, non-array source.
///
/// # Safety
/// `ps` is valid and its pointers (BSTR, interfaces) live.
unsafe fn coerce(ps: &VARIANT, lcid: u32, flags: u16, vt_in: VarType) -> Result<VARIANT, Hresult> {
    let vt = fold_int(vt_in);
    let from = fold_int(ps.vt);
    if vt == from {
        // SAFETY: ps is valid.
        return unsafe { copy_raw(ps) };
    }
    if flags & VARIANT_NOVALUEPROP != 0 && from == VarType::DISPATCH && vt != VarType::UNKNOWN {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    let mismatch = Err(Hresult::DISP_E_TYPEMISMATCH);

    // Number → number or BSTR and text → number, the common cases, straight from the payload.
    // SAFETY: caller contract: the BSTR is null or live.
    if let Some(result) = unsafe { convert_scalar(ps, lcid, vt_in) }.into_variant(vt_in) {
        return result;
    }
    let num = num_of(ps);

    // SAFETY: ps is valid and its BSTR (if any) outlives this call (caller contract).
    let value = unsafe { value_of(ps) };
    let local_bool = flags & VARIANT_LOCALBOOL != 0;
    macro_rules! disp {
        ($p:expr) => {
            // SAFETY: the IDispatch pointer comes from a valid VARIANT, so it is null or live.
            unsafe { from_dispatch($p, lcid, vt) }
        };
    }

    match vt {
        VarType::EMPTY | VarType::NULL => {
            if vt == VarType::EMPTY && from == VarType::NULL {
                return mismatch;
            }
            if from.0 <= VarType::UINT.0 && from.0 != 15 && from != VarType::ERROR {
                return Ok(VARIANT::with_vt(vt));
            }
            mismatch
        }
        VarType::I1
        | VarType::I2
        | VarType::I4
        | VarType::UI1
        | VarType::UI2
        | VarType::UI4
        | VarType::I8
        | VarType::UI8 => coerce_int(vt, value, lcid, ps_bool_i16(ps)),
        VarType::R4 => {
            let r: f32 = match value {
                VariantValue::Empty => 0.0,
                VariantValue::Bool(_) => ps_bool_i16(ps) as f32,
                VariantValue::Cy(c) => c.to_f64() as f32,
                VariantValue::Decimal(d) => d.to_f32()?,
                VariantValue::Dispatch(p) => return disp!(p),
                VariantValue::Bstr(s) => match parse_target(s, lcid, NumTarget::R4)? {
                    Number::R4(x) => x,
                    _ => return mismatch,
                },
                _ => return mismatch,
            };
            Ok(scalar(vt, |v| v.data.f32_ = r))
        }
        VarType::R8 | VarType::DATE => {
            let r: f64 = match value {
                VariantValue::Empty => 0.0,
                VariantValue::Bstr(s) if vt == VarType::DATE => parse::date_from_str(s, loc(lcid)?, 0)?.0,
                VariantValue::Bstr(s) => match parse_target(s, lcid, NumTarget::R8)? {
                    Number::R8(x) => x,
                    _ => return mismatch,
                },
                VariantValue::Bool(_) => ps_bool_i16(ps) as f64,
                VariantValue::Cy(c) => c.to_f64(),
                VariantValue::Decimal(d) => d.to_f64()?,
                VariantValue::Dispatch(p) => return disp!(p),
                _ => return mismatch,
            };
            Ok(scalar(vt, |v| v.data.f64_ = r))
        }
        VarType::BOOL => {
            let b: bool = match value {
                VariantValue::Empty => false,
                VariantValue::Cy(c) => c.0 != 0,
                VariantValue::Decimal(d) => {
                    d.validate()?;
                    d.mantissa() != 0
                }
                VariantValue::Bstr(s) => parse::bool_from_str(s, loc(lcid)?, local_bool)?,
                VariantValue::Dispatch(p) => return disp!(p),
                _ => return mismatch,
            };
            Ok(scalar(vt, |v| v.data.i16_ = if b { -1 } else { 0 }))
        }
        VarType::BSTR => {
            let l = loc(lcid)?;
            let text: TextBuf = match value {
                VariantValue::Empty => TextBuf::default(),
                VariantValue::Bool(b) => {
                    if flags & (VARIANT_ALPHABOOL | VARIANT_LOCALBOOL) != 0 {
                        format::bool_to_text(b, l, local_bool)
                    } else {
                        format::i64_to_text(ps_bool_i16(ps) as i64)
                    }
                }
                VariantValue::Cy(c) => format::cy_to_text(c, l),
                VariantValue::Decimal(d) => format::dec_to_text(&d, l),
                VariantValue::Dispatch(p) => return disp!(p),
                _ => return mismatch,
            };
            bstr_of(text.as_slice())
        }
        VarType::CY => {
            let c = match (value, num) {
                (VariantValue::Empty, _) => Currency(0),
                (VariantValue::I8(i), _) => Currency::from_i64(i)?,
                (_, Some(Num::I(i))) => Currency::from_f64(i as f64)?,
                (_, Some(Num::U(u))) => Currency::from_f64(u as f64)?,
                (_, Some(Num::F(f))) => Currency::from_f64(f)?,
                (VariantValue::Bool(_), _) => Currency::from_f64(ps_bool_i16(ps) as f64)?,
                (VariantValue::Decimal(d), _) => Currency::from_decimal(&d)?,
                (VariantValue::Bstr(s), _) => match parse_target(s, lcid, NumTarget::Cy)? {
                    Number::Cy(c) => c,
                    _ => return mismatch,
                },
                (VariantValue::Dispatch(p), _) => return disp!(p),
                _ => return mismatch,
            };
            Ok(scalar(vt, |v| v.data.i64_ = c.0))
        }
        VarType::DECIMAL => {
            let d = match value {
                VariantValue::Empty => Decimal::ZERO,
                // VarDecFromBool gives -1; VariantChangeType gives +1 (oleaut32's own rule).
                VariantValue::Bool(b) => Decimal::from_u64(b as u64),
                VariantValue::I1(x) => Decimal::from_i64(x as i64),
                VariantValue::I2(x) => Decimal::from_i64(x as i64),
                VariantValue::I4(x) | VariantValue::Int(x) => Decimal::from_i64(x as i64),
                VariantValue::I8(x) => Decimal::from_i64(x),
                VariantValue::UI1(x) => Decimal::from_u64(x as u64),
                VariantValue::UI2(x) => Decimal::from_u64(x as u64),
                VariantValue::UI4(x) | VariantValue::UInt(x) => Decimal::from_u64(x as u64),
                VariantValue::UI8(x) => Decimal::from_u64(x),
                VariantValue::R4(x) => Decimal::from_f32(x)?,
                VariantValue::R8(x) | VariantValue::Date(Date(x)) => Decimal::from_f64(x)?,
                VariantValue::Cy(c) => Decimal::from_currency(c),
                VariantValue::Bstr(s) => match parse_target(s, lcid, NumTarget::Decimal)? {
                    Number::Decimal(d) => d,
                    _ => return mismatch,
                },
                VariantValue::Dispatch(p) => return disp!(p),
                _ => return mismatch,
            };
            let mut v = VARIANT::EMPTY;
            v.set_decimal(&d);
            Ok(v)
        }
        VarType::UNKNOWN | VarType::DISPATCH => {
            let p = match (vt, value) {
                (VarType::UNKNOWN, VariantValue::Dispatch(p)) => p,
                (VarType::DISPATCH, VariantValue::Unknown(p)) => p,
                _ => return mismatch,
            };
            let mut out = VARIANT::with_vt(vt);
            if !p.is_null() {
                let iid =
                    if vt == VarType::UNKNOWN { crate::iunknown::IID_IUNKNOWN } else { crate::iunknown::IID_IDISPATCH };
                // SAFETY: a live interface pointer held by a valid VARIANT.
                out.data.ptr = unsafe { crate::iunknown::query_interface(p, &iid)? };
            }
            Ok(out)
        }
        _ => mismatch,
    }
}

/// INT → I4 and UINT → UI4: oleaut32 converts them as their fixed-size twins.
#[inline]
fn fold_int(vt: VarType) -> VarType {
    match vt {
        VarType::INT => VarType::I4,
        VarType::UINT => VarType::UI4,
        v => v,
    }
}

/// Number → integer, real, DATE or BOOL (`from` and `vt` folded by [`fold_int`], `from !=
/// vt`), as the result's payload bits ([`payload`]); `None` for the other targets. The hot
/// pairs of `VariantChangeType` (R8 → I4, I4 → R8 …) need nothing else, and eight bytes
/// travel back in a register where a whole VARIANT would go through memory.
#[inline(always)]
fn num_to_num(vt: VarType, from: VarType, n: Num) -> Option<Result<u64, Hresult>> {
    Some(match vt {
        VarType::I1
        | VarType::I2
        | VarType::I4
        | VarType::UI1
        | VarType::UI2
        | VarType::UI4
        | VarType::I8
        | VarType::UI8 => int_from_num(vt, from, n),
        VarType::R4 => match n {
            Num::F(x) => f32_from_f64(x).map(|r| payload(r.to_ne_bytes())), // R8 or DATE
            Num::I(i) => Ok(payload((i as f32).to_ne_bytes())),
            Num::U(u) => Ok(payload((u as f32).to_ne_bytes())),
        },
        VarType::R8 | VarType::DATE => real_from_num(vt, from, n).map(|r| payload(r.to_ne_bytes())),
        VarType::BOOL => {
            let b = match n {
                Num::I(i) => i != 0,
                Num::U(u) => u != 0,
                Num::F(f) => f != 0.0,
            };
            Ok(payload((if b { -1i16 } else { 0 }).to_ne_bytes()))
        }
        _ => return None,
    })
}

/// The first eight payload bytes of a scalar VARIANT holding a value whose native bytes are
/// `bytes` (zero beyond them), as one integer; [`VARIANT::scalar`] stores it back.
#[inline]
fn payload<const N: usize>(bytes: [u8; N]) -> u64 {
    let mut p = [0u8; 8];
    p[..N].copy_from_slice(&bytes);
    u64::from_ne_bytes(p)
}

/// The raw VARIANT_BOOL of a VT_BOOL source (VariantChangeType keeps its value: 1 stays 1).
fn ps_bool_i16(ps: &VARIANT) -> i16 {
    // SAFETY: the caller only asks for VT_BOOL sources; reading i16 of the union is plain data.
    unsafe { ps.data.i16_ }
}

/// R8 / DATE from a numeric source (`from` is not `vt`). DATE targets check the DATE range
/// for R8, I4, UI4, I8 and UI8 sources, as `VarDateFromR8` / `VarDateFromI4` … do; the
/// narrower integers and R4 always fit.
#[inline(always)]
fn real_from_num(vt: VarType, from: VarType, n: Num) -> Result<f64, Hresult> {
    let to_date = vt == VarType::DATE;
    Ok(match n {
        Num::F(x) if to_date && from == VarType::R8 => date_from_f64(x)?,
        Num::F(x) => x,
        Num::I(i) if to_date && from == VarType::I4 => date_from_f64(i as f64)?,
        Num::I(i) if to_date && from == VarType::I8 => date_from_i64(i)?,
        Num::I(i) => i as f64,
        Num::U(u) if to_date && from == VarType::UI4 => date_from_f64(u as f64)?,
        Num::U(u) if to_date && from == VarType::UI8 => {
            if u as f64 > super::date::DATE_MAX {
                return Err(Hresult::DISP_E_OVERFLOW);
            }
            u as f64
        }
        Num::U(u) => u as f64,
    })
}

fn width_of(t: VarType) -> u32 {
    match t {
        VarType::I1 | VarType::UI1 => 1,
        VarType::I2 | VarType::UI2 => 2,
        VarType::I4 | VarType::UI4 => 4,
        _ => 8,
    }
}

/// An integer type from a numeric source (`from`, not `vt`; INT/UINT already folded into
/// I4/UI4): oleaut32's range checks (`DISP_E_OVERFLOW`) and its rounding of reals.
#[inline(always)]
fn int_from_num(vt: VarType, from: VarType, n: Num) -> Result<u64, Hresult> {
    let overflow = Err(Hresult::DISP_E_OVERFLOW);
    let x: i128 = match n {
        Num::F(f) => {
            return Ok(match vt {
                VarType::I1 => int_bits(vt, i8_from_f64(f)? as i128),
                VarType::I2 => int_bits(vt, i16_from_f64(f)? as i128),
                VarType::I4 => int_bits(vt, i32_from_f64(f)? as i128),
                VarType::I8 => int_bits(vt, i64_from_f64(f)? as i128),
                VarType::UI1 => int_bits(vt, u8_from_f64(f)? as i128),
                VarType::UI2 => int_bits(vt, u16_from_f64(f)? as i128),
                VarType::UI4 => int_bits(vt, u32_from_f64(f)? as i128),
                _ => int_bits(vt, u64_from_f64(f)? as i128),
            });
        }
        // Same width, other signedness: oleaut32 copies the bits.
        Num::I(i) if width_of(from) == width_of(vt) => return Ok(int_bits(vt, i as i128)),
        Num::U(u) if width_of(from) == width_of(vt) => return Ok(int_bits(vt, u as i128)),
        Num::I(i) => {
            // UI2 from I8 goes through VarUI4FromI8 in oleaut32 (range of a UI4).
            if vt == VarType::UI2 && from == VarType::I8 {
                if i < 0 || i > u32::MAX as i64 {
                    return overflow;
                }
                return Ok(int_bits(VarType::UI4, i as i128));
            }
            i as i128
        }
        Num::U(u) => {
            if vt == VarType::UI2 && from == VarType::UI8 {
                if u > u32::MAX as u64 {
                    return overflow;
                }
                return Ok(int_bits(VarType::UI4, u as i128));
            }
            u as i128
        }
    };
    let (lo, hi) = int_range(vt);
    if x < lo || x > hi {
        return overflow;
    }
    Ok(int_bits(vt, x))
}

/// The range of an integer VARTYPE.
fn int_range(vt: VarType) -> (i128, i128) {
    match vt {
        VarType::I1 => (-128, 127),
        VarType::I2 => (-32768, 32767),
        VarType::I4 => (i32::MIN as i128, i32::MAX as i128),
        VarType::I8 => (i64::MIN as i128, i64::MAX as i128),
        VarType::UI1 => (0, 255),
        VarType::UI2 => (0, 65535),
        VarType::UI4 => (0, u32::MAX as i128),
        _ => (0, u64::MAX as i128),
    }
}

/// An integer type from a non-numeric source (numeric ones go through [`int_from_num`]).
fn coerce_int(vt: VarType, value: VariantValue<'_>, lcid: u32, raw_bool: i16) -> Result<VARIANT, Hresult> {
    let x: i128 = match value {
        VariantValue::Empty => 0,
        VariantValue::Bool(_) => {
            // A plain C cast of the VARIANT_BOOL (-1 → 0xFF… for unsigned targets).
            return Ok(store_int(vt, raw_bool as i128));
        }
        VariantValue::Cy(c) => match vt {
            VarType::I8 => c.to_i64() as i128,
            VarType::UI8 => c.to_u64()? as i128,
            VarType::I1 | VarType::I2 | VarType::I4 => {
                i32_from_f64(c.to_f64()).map(|v| v as i128).unwrap_or(i32::MAX as i128 + 1)
            }
            _ => u32_from_f64(c.to_f64()).map(|v| v as i128).unwrap_or(u32::MAX as i128 + 1),
        },
        VariantValue::Decimal(d) => match vt {
            VarType::UI8 => d.to_u64()? as i128,
            _ => d.to_i64()? as i128,
        },
        VariantValue::Bstr(s) => {
            let t = match vt {
                VarType::I1 => NumTarget::I1,
                VarType::I2 => NumTarget::I2,
                VarType::I4 => NumTarget::I4,
                VarType::I8 => NumTarget::I8,
                VarType::UI1 => NumTarget::UI1,
                VarType::UI2 => NumTarget::UI2,
                VarType::UI4 => NumTarget::UI4,
                _ => NumTarget::UI8,
            };
            let n = parse_target(s, lcid, t)?;
            let x: i128 = match n {
                Number::I1(x) => x as i128,
                Number::UI1(x) => x as i128,
                Number::I2(x) => x as i128,
                Number::UI2(x) => x as i128,
                Number::I4(x) => x as i128,
                Number::UI4(x) => x as i128,
                Number::I8(x) => x as i128,
                Number::UI8(x) => x as i128,
                _ => return Err(Hresult::DISP_E_TYPEMISMATCH),
            };
            return Ok(store_int(vt, x));
        }
        VariantValue::Dispatch(p) => {
            // SAFETY: a live IDispatch held by a valid VARIANT.
            return unsafe { from_dispatch(p, lcid, vt) };
        }
        _ => return Err(Hresult::DISP_E_TYPEMISMATCH),
    };
    let (lo, hi) = int_range(vt);
    if x < lo || x > hi {
        return Err(Hresult::DISP_E_OVERFLOW);
    }
    Ok(store_int(vt, x))
}

/// The payload bits of `x` stored in an integer VARIANT of type `vt` (truncated to its
/// width, as a C assignment does).
#[inline]
fn int_bits(vt: VarType, x: i128) -> u64 {
    match vt {
        VarType::I1 | VarType::UI1 => payload((x as i8).to_ne_bytes()),
        VarType::I2 | VarType::UI2 => payload((x as i16).to_ne_bytes()),
        VarType::I4 | VarType::UI4 => payload((x as i32).to_ne_bytes()),
        _ => payload((x as i64).to_ne_bytes()),
    }
}

fn store_int(vt: VarType, x: i128) -> VARIANT {
    VARIANT::scalar(vt, int_bits(vt, x))
}

#[cfg(test)]
mod tests {
    use core::cell::Cell;
    use core::ffi::c_void;

    use super::*;

    /// An IDispatch whose value property is the object itself.
    #[repr(C)]
    struct SelfValued {
        vtbl: *const [usize; 7],
        refs: Cell<u32>,
    }

    fn this<'a>(p: *mut c_void) -> &'a SelfValued {
        // SAFETY: only called with the test's object.
        unsafe { &*(p as *const SelfValued) }
    }
    unsafe extern "system" fn add_ref(p: *mut c_void) -> u32 {
        this(p).refs.set(this(p).refs.get() + 1);
        this(p).refs.get()
    }
    unsafe extern "system" fn release(p: *mut c_void) -> u32 {
        this(p).refs.set(this(p).refs.get() - 1);
        this(p).refs.get()
    }
    #[allow(clippy::too_many_arguments)]
    unsafe extern "system" fn invoke(
        p: *mut c_void,
        _: i32,
        _: *const crate::Guid,
        _: u32,
        _: u16,
        _: *mut c_void,
        result: *mut VARIANT,
        _: *mut c_void,
        _: *mut u32,
    ) -> Hresult {
        // SAFETY: the caller's result VARIANT; the object hands out a new reference to itself.
        unsafe {
            add_ref(p);
            let mut v = VARIANT::with_vt(VarType::DISPATCH);
            v.data.ptr = p;
            result.write(v);
        }
        Hresult::S_OK
    }

    /// A BYREF DECIMAL whose scale is invalid is E_INVALIDARG (it was taken as VT_EMPTY and converted to 0).
    #[test]
    fn a_bad_decimal_behind_a_byref_is_invalid() {
        let mut cell = crate::variant::Decimal::from_i64(5);
        cell.scale = 40;
        let p = &mut cell as *mut crate::variant::Decimal;
        // SAFETY: `cell` outlives the VARIANT and is only reached through `p` from here on.
        let byref = unsafe { Variant::by_ref(VarType::DECIMAL, p.cast()) }.unwrap();
        assert_eq!(change_type(&byref, VarType::I4, 0).err(), Some(Hresult::E_INVALIDARG));
        // SAFETY: as above.
        unsafe { (*p).scale = 0 };
        assert_eq!(i32::try_from(&change_type(&byref, VarType::I4, 0).unwrap()), Ok(5));
    }

    /// Found by the `variant_change_type` fuzz target: a VT_BYREF|VT_VARIANT whose inner VARIANT is tagged
    /// VT_BYREF|VT_ARRAY|VT_VECTOR|VT_RESERVED had its array copied under a tag nothing can free. oleaut32
    /// checks the inner tag first: DISP_E_BADVARTYPE, nothing allocated.
    #[test]
    fn an_invalid_tag_behind_a_byref_variant_is_refused_before_copying() {
        use crate::alloc::tracking::LeakCheck;
        let check = LeakCheck::start();
        let array = crate::safearray::SafeArray::from_slice(&[1i32, 2, 3]).unwrap();
        let mut psa = array.as_ptr();
        let mut inner = VARIANT::with_vt(VarType(0xF000 | VarType::I4.0));
        inner.data.ptr = (&mut psa as *mut *mut crate::safearray::SAFEARRAY).cast();
        let mut outer = VARIANT::with_vt(VarType(VarType::BYREF_FLAG | VarType::VARIANT.0));
        outer.data.ptr = (&mut inner as *mut VARIANT).cast();
        // SAFETY: every pointer is live for the call.
        let r = unsafe { change_type_raw(&outer, LCID_EN_US, 0, VarType::EMPTY) };
        assert_eq!(r.err(), Some(Hresult::DISP_E_BADVARTYPE));
        drop(array);
        check.assert_no_leaks();
    }

    /// Found by the `variant_change_type` fuzz target: converting such an object recursed until the
    /// stack overflowed.
    #[test]
    fn a_value_property_that_never_bottoms_out_is_a_type_mismatch() {
        let vtbl: [usize; 7] =
            [0, add_ref as *const () as usize, release as *const () as usize, 0, 0, 0, invoke as *const () as usize];
        let obj = SelfValued { vtbl: &vtbl, refs: Cell::new(1) };
        let p = &obj as *const SelfValued as *mut c_void;
        let mut src = VARIANT::with_vt(VarType::DISPATCH);
        src.data.ptr = p;
        for vt in [VarType::I4, VarType::BSTR, VarType::R8] {
            // SAFETY: `src` holds a live IDispatch (the test object).
            let r = unsafe { change_type_raw(&src, LCID_EN_US, 0, vt) };
            assert_eq!(r.err(), Some(Hresult::DISP_E_TYPEMISMATCH));
        }
        assert_eq!(obj.refs.get(), 1, "every reference the property handed out was released");
    }
}
