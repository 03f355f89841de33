//! [`VariantValue`]: a VARIANT's content as a Rust enum, and conversions between Rust values
//! and [`Variant`] following the CLR's `GetNativeVariantForObject` / `GetObjectForNativeVariant`.

use core::ffi::c_void;

use super::raw::{BRecord, VARIANT};
use super::{bstr_shim, Currency, Date, Decimal, Variant};
use crate::hresult::Hresult;
use crate::vartype::VarType;

/// What a VARIANT holds. Borrowed data (BSTR text) lives as long as the VARIANT.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VariantValue<'a> {
    /// VT_EMPTY.
    Empty,
    /// VT_NULL.
    Null,
    /// VT_I1.
    I1(i8),
    /// VT_UI1.
    UI1(u8),
    /// VT_I2.
    I2(i16),
    /// VT_UI2.
    UI2(u16),
    /// VT_I4.
    I4(i32),
    /// VT_UI4.
    UI4(u32),
    /// VT_INT.
    Int(i32),
    /// VT_UINT.
    UInt(u32),
    /// VT_I8.
    I8(i64),
    /// VT_UI8.
    UI8(u64),
    /// VT_R4.
    R4(f32),
    /// VT_R8.
    R8(f64),
    /// VT_BOOL (any non-zero VARIANT_BOOL is true).
    Bool(bool),
    /// VT_CY.
    Cy(Currency),
    /// VT_DATE.
    Date(Date),
    /// VT_DECIMAL.
    Decimal(Decimal),
    /// VT_BSTR (a null BSTR reads as empty; see [`VariantValue::NullBstr`]).
    Bstr(&'a [u16]),
    /// VT_BSTR with a null pointer.
    NullBstr,
    /// VT_ERROR (an SCODE).
    Error(Hresult),
    /// VT_UNKNOWN (may be null).
    Unknown(*mut c_void),
    /// VT_DISPATCH (may be null).
    Dispatch(*mut c_void),
    /// VT_RECORD.
    Record(BRecord),
    /// VT_ARRAY | element type, with its SAFEARRAY* (may be null).
    Array(VarType, *mut c_void),
    /// Any VT_BYREF: the base type and the pointer.
    ByRef(VarType, *mut c_void),
    /// Other valid tags (VT_CLSID …): the type and the raw payload.
    Other(VarType),
}

/// Reads a valid VARIANT.
///
/// # Safety
/// `v` passed [`super::owned::validate`] and its BSTR pointer (if any) is valid for `'a`.
#[inline]
pub(crate) unsafe fn value_of<'a>(v: &'a VARIANT) -> VariantValue<'a> {
    let vt = v.vt;
    // SAFETY: every union member is plain data over initialised bytes; the BSTR pointer
    // is valid for 'a by the caller's contract.
    unsafe {
        if vt.is_byref() {
            return VariantValue::ByRef(vt.base(), v.data.ptr);
        }
        if vt.is_array() {
            return VariantValue::Array(vt.base(), v.data.ptr);
        }
        match vt {
            VarType::EMPTY => VariantValue::Empty,
            VarType::NULL => VariantValue::Null,
            VarType::I1 => VariantValue::I1(v.data.i8_),
            VarType::UI1 => VariantValue::UI1(v.data.i8_ as u8),
            VarType::I2 => VariantValue::I2(v.data.i16_),
            VarType::UI2 => VariantValue::UI2(v.data.i16_ as u16),
            VarType::I4 => VariantValue::I4(v.data.i32_),
            VarType::UI4 => VariantValue::UI4(v.data.i32_ as u32),
            VarType::INT => VariantValue::Int(v.data.i32_),
            VarType::UINT => VariantValue::UInt(v.data.i32_ as u32),
            VarType::I8 => VariantValue::I8(v.data.i64_),
            VarType::UI8 => VariantValue::UI8(v.data.i64_ as u64),
            VarType::R4 => VariantValue::R4(v.data.f32_),
            VarType::R8 => VariantValue::R8(v.data.f64_),
            VarType::BOOL => VariantValue::Bool(v.data.i16_ != 0),
            VarType::CY => VariantValue::Cy(Currency(v.data.i64_)),
            VarType::DATE => VariantValue::Date(Date(v.data.f64_)),
            VarType::DECIMAL => VariantValue::Decimal(v.decimal()),
            VarType::BSTR => {
                let p = v.data.ptr as *const u16;
                if p.is_null() {
                    VariantValue::NullBstr
                } else {
                    VariantValue::Bstr(bstr_shim::units(p))
                }
            }
            VarType::ERROR => VariantValue::Error(Hresult(v.data.i32_)),
            VarType::UNKNOWN => VariantValue::Unknown(v.data.ptr),
            VarType::DISPATCH => VariantValue::Dispatch(v.data.ptr),
            VarType::RECORD => VariantValue::Record(v.data.record),
            other => VariantValue::Other(other),
        }
    }
}

impl Variant {
    /// The value, for pattern matching.
    pub fn value(&self) -> VariantValue<'_> {
        // SAFETY: a Variant is always valid and owns (or validly borrows) its payload.
        unsafe { value_of(self.as_raw()) }
    }
}

macro_rules! scalar_from {
    ($t:ty, $vt:ident, $field:ident, $conv:expr) => {
        impl From<$t> for Variant {
            #[doc = concat!("`", stringify!($t), "` → VT_", stringify!($vt), " (as `GetNativeVariantForObject`).")]
            #[inline]
            fn from(v: $t) -> Variant {
                let mut raw = VARIANT::with_vt(VarType::$vt);
                raw.data.$field = $conv(v);
                // A scalar VARIANT owns nothing and is valid by construction: no validation.
                Variant(raw)
            }
        }
    };
}

scalar_from!(i8, I1, i8_, |v| v);
scalar_from!(u8, UI1, i8_, |v: u8| v as i8);
scalar_from!(i16, I2, i16_, |v| v);
scalar_from!(u16, UI2, i16_, |v: u16| v as i16);
scalar_from!(i32, I4, i32_, |v| v);
scalar_from!(u32, UI4, i32_, |v: u32| v as i32);
scalar_from!(i64, I8, i64_, |v| v);
scalar_from!(u64, UI8, i64_, |v: u64| v as i64);
scalar_from!(f32, R4, f32_, |v| v);
scalar_from!(f64, R8, f64_, |v| v);
scalar_from!(bool, BOOL, i16_, |v: bool| if v { -1i16 } else { 0 });
scalar_from!(Currency, CY, i64_, |v: Currency| v.0);
scalar_from!(Date, DATE, f64_, |v: Date| v.0);

impl From<Decimal> for Variant {
    /// `decimal` → VT_DECIMAL.
    #[inline]
    fn from(d: Decimal) -> Variant {
        Variant::from_decimal(d)
    }
}

impl From<()> for Variant {
    /// `null` → VT_EMPTY.
    #[inline]
    fn from(_: ()) -> Variant {
        Variant::empty()
    }
}

impl From<&str> for Variant {
    /// `string` → VT_BSTR. Panics only if the allocator fails (as `String` does).
    fn from(s: &str) -> Variant {
        let p = bstr_shim::alloc_str(s);
        if p.is_null() {
            std::alloc::handle_alloc_error(
                std::alloc::Layout::from_size_align(s.len() * 2 + 16, 8).unwrap_or(std::alloc::Layout::new::<u64>()),
            );
        }
        let mut raw = VARIANT::with_vt(VarType::BSTR);
        raw.data.ptr = p as *mut c_void;
        Variant(raw)
    }
}

impl From<String> for Variant {
    /// `string` → VT_BSTR.
    fn from(s: String) -> Variant {
        Variant::from(s.as_str())
    }
}

/// Why a VARIANT cannot be read as a given Rust type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrongType(pub VarType);

impl core::fmt::Display for WrongType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "VARIANT holds {:?}", self.0)
    }
}

impl std::error::Error for WrongType {}

/// Reads `T` through a BYREF VARIANT (`VariantCopyInd`, then the by-value read); the slow
/// path of the `TryFrom<&Variant>` conversions, kept out of line so their by-value path
/// stays a tag compare and a load.
#[cold]
#[inline(never)]
fn try_from_byref<T>(v: &Variant, read: fn(&Variant) -> Option<T>) -> Result<T, WrongType> {
    if v.vt().is_byref() && !v.vt().is_array() {
        // SAFETY: BYREF targets are valid by the constructors' contracts.
        if let Ok(raw) = unsafe { super::owned::copy_ind_raw(v.as_raw()) } {
            let owned = Variant(raw);
            if let Some(x) = read(&owned) {
                return Ok(x);
            }
        }
    }
    Err(WrongType(v.vt()))
}

macro_rules! scalar_try_from {
    ($t:ty, $vt:ident, |$d:ident| $read:expr) => {
        impl TryFrom<&Variant> for $t {
            type Error = WrongType;
            #[doc = concat!("Exactly VT_", stringify!($vt), " (BYREF dereferenced), as `GetObjectForNativeVariant`.")]
            #[inline]
            fn try_from(v: &Variant) -> Result<$t, WrongType> {
                #[inline]
                #[allow(unused_unsafe)] // the DECIMAL read is a safe call
                fn read(v: &Variant) -> Option<$t> {
                    if v.0.vt != VarType::$vt {
                        return None;
                    }
                    let $d = &v.0;
                    // SAFETY: the tag says which union member holds the value; every
                    // member is plain data over initialised bytes.
                    Some(unsafe { $read })
                }
                match read(v) {
                    Some(x) => Ok(x),
                    None => try_from_byref(v, read),
                }
            }
        }
    };
}

scalar_try_from!(i8, I1, |d| d.data.i8_);
scalar_try_from!(u8, UI1, |d| d.data.i8_ as u8);
scalar_try_from!(i16, I2, |d| d.data.i16_);
scalar_try_from!(u16, UI2, |d| d.data.i16_ as u16);
scalar_try_from!(i32, I4, |d| d.data.i32_);
scalar_try_from!(u32, UI4, |d| d.data.i32_ as u32);
scalar_try_from!(i64, I8, |d| d.data.i64_);
scalar_try_from!(u64, UI8, |d| d.data.i64_ as u64);
scalar_try_from!(f32, R4, |d| d.data.f32_);
scalar_try_from!(f64, R8, |d| d.data.f64_);
scalar_try_from!(bool, BOOL, |d| d.data.i16_ != 0);
scalar_try_from!(Currency, CY, |d| Currency(d.data.i64_));
scalar_try_from!(Date, DATE, |d| Date(d.data.f64_));
scalar_try_from!(Decimal, DECIMAL, |d| d.decimal());

impl TryFrom<&Variant> for String {
    type Error = WrongType;
    /// VT_BSTR (lossy for unpaired surrogates); a null BSTR is "".
    fn try_from(v: &Variant) -> Result<String, WrongType> {
        match v.value() {
            VariantValue::Bstr(s) => Ok(String::from_utf16_lossy(s)),
            VariantValue::NullBstr => Ok(String::new()),
            _ => Err(WrongType(v.vt())),
        }
    }
}
