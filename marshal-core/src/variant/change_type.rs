//! `VariantChangeType(Ex)`: converts a VARIANT to another VARTYPE with oleaut32's rules,
//! results and HRESULTs (`VARIANT_Coerce` and the `Var*From*` family).

use core::ffi::c_void;

use super::format::{self, TextBuf};
use super::locale::{self, Locale};
use super::number::*;
use super::owned::{copy_ind_raw, copy_raw, validate_vartype};
use super::parse::{self, NumTarget, Number};
use super::raw::VARIANT;
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
pub fn change_type(src: &Variant, vt: VarType, flags: u16) -> Result<Variant, Hresult> {
    change_type_ex(src, LCID_EN_US, flags, vt)
}

/// `VariantChangeTypeEx` under `lcid` (0x0409, 0x007F, 0x0407, 0x0411, or the defaults
/// 0 / 0x0400 / 0x0800; others give `DISP_E_UNKNOWNLCID` when text is involved).
pub fn change_type_ex(src: &Variant, lcid: u32, flags: u16, vt: VarType) -> Result<Variant, Hresult> {
    // SAFETY: a Variant is valid and its pointers live (its invariant).
    unsafe { change_type_raw(src.as_raw(), lcid, flags, vt) }.map(|raw| {
        // SAFETY: the result owns what it holds and is valid by construction.
        unsafe { Variant::from_raw(raw) }.unwrap_or_default()
    })
}

/// `VariantChangeTypeEx` on a raw VARIANT; the returned VARIANT owns its payload.
///
/// # Safety
/// Pointers in `src` (BSTR, interfaces, BYREF targets) must be valid.
pub unsafe fn change_type_raw(src: &VARIANT, lcid: u32, flags: u16, vt: VarType) -> Result<VARIANT, Hresult> {
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
    let deref: &Variant = if src.vt.is_byref() {
        // The dereferenced value is validated like any VARIANT: a DECIMAL with a bad scale behind a BYREF
        // is E_INVALIDARG, as oleaut32's Var*FromDec answer it (taking it as VT_EMPTY converted it to 0).
        // SAFETY: caller contract; the copy owns its payload.
        owned_deref = unsafe { Variant::from_raw(copy_ind_raw(src)?) }.map_err(Hresult::from)?;
        &owned_deref
    } else {
        super::owned::validate(src).map_err(Hresult::from)?;
        // SAFETY: Variant is repr(transparent) over VARIANT; the reference is only read and
        // never dropped as an owner (it borrows `src`).
        unsafe { &*(src as *const VARIANT as *const Variant) }
    };
    if deref.vt().is_array() || vt.is_array() {
        // SAFETY: the payload pointers are valid (caller contract / owned copy).
        return unsafe { crate::safearray::variant_array::change_array_type(deref.as_raw(), vt) };
    }
    let mut out = coerce(deref, lcid, flags, vt)?;
    out.vt = vt;
    Ok(out)
}

impl Variant {
    pub(crate) fn wrap(raw: VARIANT) -> Variant {
        // SAFETY: only called on VARIANTs this module produced (valid, owning).
        unsafe { Variant::from_raw(raw) }.unwrap_or_default()
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
#[derive(Clone, Copy)]
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

fn coerce(ps: &Variant, lcid: u32, flags: u16, vt_in: VarType) -> Result<VARIANT, Hresult> {
    let from_in = ps.vt();
    let vt = match vt_in {
        VarType::INT => VarType::I4,
        VarType::UINT => VarType::UI4,
        v => v,
    };
    let from = match from_in {
        VarType::INT => VarType::I4,
        VarType::UINT => VarType::UI4,
        v => v,
    };
    if vt == from {
        // SAFETY: ps is valid.
        return unsafe { copy_raw(ps.as_raw()) };
    }
    if flags & VARIANT_NOVALUEPROP != 0 && from == VarType::DISPATCH && vt != VarType::UNKNOWN {
        return Err(Hresult::DISP_E_TYPEMISMATCH);
    }
    let mismatch = Err(Hresult::DISP_E_TYPEMISMATCH);
    let value = ps.value();
    let local_bool = flags & VARIANT_LOCALBOOL != 0;

    // Source as a number, where the target family treats all numeric sources alike.
    let num = match value {
        VariantValue::I1(x) => Some(Num::I(x as i64)),
        VariantValue::I2(x) => Some(Num::I(x as i64)),
        VariantValue::I4(x) | VariantValue::Int(x) => Some(Num::I(x as i64)),
        VariantValue::I8(x) => Some(Num::I(x)),
        VariantValue::UI1(x) => Some(Num::U(x as u64)),
        VariantValue::UI2(x) => Some(Num::U(x as u64)),
        VariantValue::UI4(x) | VariantValue::UInt(x) => Some(Num::U(x as u64)),
        VariantValue::UI8(x) => Some(Num::U(x)),
        VariantValue::R4(x) => Some(Num::F(x as f64)),
        VariantValue::R8(x) => Some(Num::F(x)),
        VariantValue::Date(d) => Some(Num::F(d.0)),
        _ => None,
    };
    macro_rules! disp {
        ($p:expr) => {
            // SAFETY: the IDispatch pointer comes from a valid Variant, so it is null or live.
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
        | VarType::UI8 => coerce_int(vt, from, value, num, lcid, ps_bool_i16(ps)),
        VarType::R4 => {
            let r: f32 = match (value, num) {
                (VariantValue::Empty, _) => 0.0,
                (VariantValue::R8(x), _) | (VariantValue::Date(Date(x)), _) => f32_from_f64(x)?,
                (_, Some(Num::I(i))) => i as f32,
                (_, Some(Num::U(u))) => u as f32,
                (VariantValue::Bool(_), _) => ps_bool_i16(ps) as f32,
                (VariantValue::Cy(c), _) => c.to_f64() as f32,
                (VariantValue::Decimal(d), _) => d.to_f32()?,
                (VariantValue::Dispatch(p), _) => return disp!(p),
                (VariantValue::Bstr(s), _) => match parse_target(s, lcid, NumTarget::R4)? {
                    Number::R4(x) => x,
                    _ => return mismatch,
                },
                (VariantValue::NullBstr, _) => return mismatch,
                _ => return mismatch,
            };
            Ok(scalar(vt, |v| v.data.f32_ = r))
        }
        VarType::R8 | VarType::DATE => {
            let r: f64 = match (value, num) {
                (VariantValue::Empty, _) => 0.0,
                (VariantValue::Bstr(s), _) if vt == VarType::DATE => parse::date_from_str(s, loc(lcid)?, 0)?.0,
                (VariantValue::Bstr(s), _) => match parse_target(s, lcid, NumTarget::R8)? {
                    Number::R8(x) => x,
                    _ => return mismatch,
                },
                (VariantValue::R8(x), _) if vt == VarType::DATE => date_from_f64(x)?,
                (VariantValue::R4(x), _) => x as f64,
                (VariantValue::R8(x), _) | (VariantValue::Date(Date(x)), _) => x,
                (VariantValue::I4(i), _) | (VariantValue::Int(i), _) if vt == VarType::DATE => date_from_f64(i as f64)?,
                (VariantValue::UI4(u), _) | (VariantValue::UInt(u), _) if vt == VarType::DATE => {
                    date_from_f64(u as f64)?
                }
                (VariantValue::I8(i), _) if vt == VarType::DATE => date_from_i64(i)?,
                (VariantValue::UI8(u), _) if vt == VarType::DATE => {
                    if u as f64 > super::date::DATE_MAX {
                        return Err(Hresult::DISP_E_OVERFLOW);
                    }
                    u as f64
                }
                (_, Some(Num::I(i))) => i as f64,
                (_, Some(Num::U(u))) => u as f64,
                (VariantValue::Bool(_), _) => ps_bool_i16(ps) as f64,
                (VariantValue::Cy(c), _) => c.to_f64(),
                (VariantValue::Decimal(d), _) => d.to_f64()?,
                (VariantValue::Dispatch(p), _) => return disp!(p),
                _ => return mismatch,
            };
            Ok(scalar(vt, |v| v.data.f64_ = r))
        }
        VarType::BOOL => {
            let b: bool = match (value, num) {
                (VariantValue::Empty, _) => false,
                (_, Some(Num::I(i))) => i != 0,
                (_, Some(Num::U(u))) => u != 0,
                (_, Some(Num::F(f))) => f != 0.0,
                (VariantValue::Cy(c), _) => c.0 != 0,
                (VariantValue::Decimal(d), _) => {
                    d.validate()?;
                    d.mantissa() != 0
                }
                (VariantValue::Bstr(s), _) => parse::bool_from_str(s, loc(lcid)?, local_bool)?,
                (VariantValue::Dispatch(p), _) => return disp!(p),
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
                VariantValue::I1(x) => format::i64_to_text(x as i64),
                VariantValue::I2(x) => format::i64_to_text(x as i64),
                VariantValue::I4(x) | VariantValue::Int(x) => format::i64_to_text(x as i64),
                VariantValue::I8(x) => format::i64_to_text(x),
                VariantValue::UI1(x) => format::u64_to_text(x as u64),
                VariantValue::UI2(x) => format::u64_to_text(x as u64),
                VariantValue::UI4(x) | VariantValue::UInt(x) => format::u64_to_text(x as u64),
                VariantValue::UI8(x) => format::u64_to_text(x),
                VariantValue::R4(x) => format::r4_to_text(x, l),
                VariantValue::R8(x) => format::r8_to_text(x, l),
                VariantValue::Date(d) => format::date_to_text(d, l, 0)?,
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
                // SAFETY: a live interface pointer held by a valid Variant.
                out.data.ptr = unsafe { crate::iunknown::query_interface(p, &iid)? };
            }
            Ok(out)
        }
        _ => mismatch,
    }
}

/// The raw VARIANT_BOOL of a VT_BOOL source (VariantChangeType keeps its value: 1 stays 1).
fn ps_bool_i16(ps: &Variant) -> i16 {
    // SAFETY: the caller only asks for VT_BOOL sources; reading i16 of the union is plain data.
    unsafe { ps.as_raw().data.i16_ }
}

fn coerce_int(
    vt: VarType,
    from: VarType,
    value: VariantValue<'_>,
    num: Option<Num>,
    lcid: u32,
    raw_bool: i16,
) -> Result<VARIANT, Hresult> {
    let overflow = Err(Hresult::DISP_E_OVERFLOW);
    // Range limits of the target.
    let (lo, hi): (i128, i128) = match vt {
        VarType::I1 => (-128, 127),
        VarType::I2 => (-32768, 32767),
        VarType::I4 => (i32::MIN as i128, i32::MAX as i128),
        VarType::I8 => (i64::MIN as i128, i64::MAX as i128),
        VarType::UI1 => (0, 255),
        VarType::UI2 => (0, 65535),
        VarType::UI4 => (0, u32::MAX as i128),
        _ => (0, u64::MAX as i128),
    };
    let width_of = |t: VarType| match t {
        VarType::I1 | VarType::UI1 => 1,
        VarType::I2 | VarType::UI2 => 2,
        VarType::I4 | VarType::UI4 => 4,
        _ => 8,
    };
    let value_i128: i128 = match (value, num) {
        (VariantValue::Empty, _) => 0,
        // Same width, other signedness: oleaut32 copies the bits.
        (_, Some(Num::I(_))) | (_, Some(Num::U(_)))
            if width_of(from) == width_of(vt) && from != vt && !(from == VarType::I4 && vt == VarType::UI8) =>
        {
            let bits = match num {
                Some(Num::I(i)) => i as i128,
                Some(Num::U(u)) => u as i128,
                _ => 0,
            };
            return Ok(store_int(vt, bits));
        }
        (_, Some(Num::I(i))) => {
            // UI2 from I8 goes through VarUI4FromI8 in oleaut32 (range of a UI4).
            if vt == VarType::UI2 && from == VarType::I8 {
                if i < 0 || i > u32::MAX as i64 {
                    return overflow;
                }
                return Ok(store_int(VarType::UI4, i as i128));
            }
            i as i128
        }
        (_, Some(Num::U(u))) => {
            if vt == VarType::UI2 && from == VarType::UI8 {
                if u > u32::MAX as u64 {
                    return overflow;
                }
                return Ok(store_int(VarType::UI4, u as i128));
            }
            u as i128
        }
        (_, Some(Num::F(f))) => {
            return Ok(match vt {
                VarType::I1 => store_int(vt, i8_from_f64(f)? as i128),
                VarType::I2 => store_int(vt, i16_from_f64(f)? as i128),
                VarType::I4 => store_int(vt, i32_from_f64(f)? as i128),
                VarType::I8 => store_int(vt, i64_from_f64(f)? as i128),
                VarType::UI1 => store_int(vt, u8_from_f64(f)? as i128),
                VarType::UI2 => store_int(vt, u16_from_f64(f)? as i128),
                VarType::UI4 => store_int(vt, u32_from_f64(f)? as i128),
                _ => store_int(vt, u64_from_f64(f)? as i128),
            });
        }
        (VariantValue::Bool(_), _) => {
            // A plain C cast of the VARIANT_BOOL (-1 → 0xFF… for unsigned targets).
            return Ok(store_int(vt, raw_bool as i128));
        }
        (VariantValue::Cy(c), _) => match vt {
            VarType::I8 => c.to_i64() as i128,
            VarType::UI8 => c.to_u64()? as i128,
            VarType::I1 | VarType::I2 | VarType::I4 => {
                i32_from_f64(c.to_f64()).map(|v| v as i128).unwrap_or(i32::MAX as i128 + 1)
            }
            _ => u32_from_f64(c.to_f64()).map(|v| v as i128).unwrap_or(u32::MAX as i128 + 1),
        },
        (VariantValue::Decimal(d), _) => match vt {
            VarType::UI8 => d.to_u64()? as i128,
            _ => d.to_i64()? as i128,
        },
        (VariantValue::Bstr(s), _) => {
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
        (VariantValue::Dispatch(p), _) => {
            // SAFETY: a live IDispatch held by a valid Variant.
            return unsafe { from_dispatch(p, lcid, vt) };
        }
        _ => return Err(Hresult::DISP_E_TYPEMISMATCH),
    };
    if value_i128 < lo || value_i128 > hi {
        return overflow;
    }
    Ok(store_int(vt, value_i128))
}

fn store_int(vt: VarType, x: i128) -> VARIANT {
    let mut v = VARIANT::with_vt(vt);
    match vt {
        VarType::I1 | VarType::UI1 => v.data.i8_ = x as i8,
        VarType::I2 | VarType::UI2 => v.data.i16_ = x as i16,
        VarType::I4 | VarType::UI4 => v.data.i32_ = x as i32,
        _ => v.data.i64_ = x as i64,
    }
    v
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
