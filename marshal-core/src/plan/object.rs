//! `object` ↔ VARIANT, as the CLR's `GetNativeVariantForObject` /
//! `GetObjectForNativeVariant` do it (CoreCLR's tables, clr-marshaling.md §7).
//! The conversion of `object` struct fields (`UnmanagedType.Struct`), VT_VARIANT
//! SAFEARRAY elements and VARIANT parameters.
//!
//! | `Value` | VARIANT |
//! |---|---|
//! | `Null` | VT_EMPTY |
//! | `DbNull` | VT_NULL |
//! | `Missing` | VT_ERROR `DISP_E_PARAMNOTFOUND` |
//! | `Bool` | VT_BOOL (-1 / 0) |
//! | `I8` … `U64`, `F32`, `F64` | VT_I1 … VT_UI8, VT_R4, VT_R8 |
//! | `Char` | VT_UI2 |
//! | `ISize`, `USize`, `Pointer` | VT_INT, VT_UINT (32 bits, as `(int)` / `(uint)`) |
//! | `Error` | VT_ERROR (`ErrorWrapper`) |
//! | `Decimal` | VT_DECIMAL |
//! | `Currency` | VT_CY (`CurrencyWrapper`) |
//! | `DateTime` | VT_DATE |
//! | `Str` | VT_BSTR |
//! | `Interface` | VT_DISPATCH when the object has IDispatch, else VT_UNKNOWN |
//! | `Guid`, `Struct` | refused (a record needs an IRecordInfo): ArgumentException |
//! | `Array` | refused: VARIANT array payloads are not supported by the variant module yet |
//!
//! Back: VT_EMPTY and VT_VOID → `Null`, VT_NULL → `DbNull`, VT_INT → `I32`,
//! VT_UINT → `U32`, VT_ERROR → `I32` (`Missing` for `DISP_E_PARAMNOTFOUND`),
//! VT_CY → `Decimal` (`decimal.FromOACurrency`), VT_DATE → `DateTime`, a null
//! BSTR or interface → `Null`, BYREF → the value it points to; any other tag is
//! an error.

use super::exec::hresult_error;
use super::PlanError;
use crate::hresult::Hresult;
use crate::iunknown::{ComRef, IID_IDISPATCH};
use crate::value::{DateTime, Value};
use crate::variant::{Decimal, Variant, VariantRef, VariantValue, VARIANT};
use crate::vartype::VarType;

/// `GetNativeVariantForObject`: the VARIANT of a managed value (it owns its BSTR
/// or interface reference).
///
/// ```
/// use marshal_core::plan::object::{from_variant, to_variant};
/// use marshal_core::value::Value;
/// use marshal_core::VarType;
/// let v = to_variant(&Value::Char(0x41)).unwrap();
/// assert_eq!(v.vt(), VarType::UI2);
/// // SAFETY: a VARIANT this engine made.
/// assert_eq!(unsafe { from_variant(v.as_raw()) }.unwrap(), Value::U16(0x41));
/// ```
pub fn to_variant(v: &Value) -> Result<Variant, PlanError> {
    let scalar = |vt: VarType, set: &dyn Fn(&mut VARIANT)| {
        let mut raw = VARIANT::with_vt(vt);
        set(&mut raw);
        // SAFETY: a scalar VARIANT owns nothing and its tag is valid.
        unsafe { Variant::from_raw(raw) }.map_err(|e| hresult_error(e.hresult(), "VARIANT"))
    };
    Ok(match v {
        Value::Null => Variant::empty(),
        Value::DbNull => Variant::null(),
        Value::Missing => Variant::error(Hresult::DISP_E_PARAMNOTFOUND),
        Value::Bool(b) => Variant::from(*b),
        Value::I8(x) => Variant::from(*x),
        Value::U8(x) => Variant::from(*x),
        Value::I16(x) => Variant::from(*x),
        Value::U16(x) | Value::Char(x) => Variant::from(*x),
        Value::I32(x) => Variant::from(*x),
        Value::U32(x) => Variant::from(*x),
        Value::I64(x) => Variant::from(*x),
        Value::U64(x) => Variant::from(*x),
        Value::F32(x) => Variant::from(*x),
        Value::F64(x) => Variant::from(*x),
        Value::ISize(x) => scalar(VarType::INT, &|r| r.data.i32_ = *x as i32)?,
        Value::USize(x) | Value::Pointer(x) => scalar(VarType::UINT, &|r| r.data.i32_ = *x as u32 as i32)?,
        Value::Error(e) => Variant::error(Hresult(*e)),
        Value::Decimal(d) => {
            d.validate().map_err(|h| hresult_error(h, "decimal with an invalid scale or sign"))?;
            Variant::from(*d)
        }
        Value::Currency(c) => Variant::from(*c),
        Value::DateTime(t) => Variant::from(
            t.to_ole_date()
                .ok_or_else(|| hresult_error(Hresult::DISP_E_OVERFLOW, "DateTime before 0100-01-01 has no OLE DATE"))?,
        ),
        Value::Str(units) => Variant::from_utf16(units).map_err(|h| hresult_error(h, "BSTR allocation"))?,
        Value::Interface(obj) => match obj.query(&IID_IDISPATCH) {
            Ok(disp) => {
                // SAFETY: the QI result carries one reference, taken over by the VARIANT.
                unsafe { Variant::from_raw(dispatch_raw(disp)) }.map_err(|e| hresult_error(e.hresult(), "VARIANT"))?
            }
            // SAFETY: a live interface pointer; from_unknown AddRefs for the VARIANT.
            Err(_) => unsafe { Variant::from_unknown(obj.as_raw()) },
        },
        Value::Guid(_) | Value::Struct(_) => {
            return Err(PlanError::Invalid {
                path: String::new(),
                reason: "a struct cannot be marshaled as a VARIANT without an IRecordInfo".into(),
            })
        }
        Value::Array(_) => {
            return Err(PlanError::Unsupported { path: String::new(), what: "an array in a VARIANT".into() })
        }
        Value::StringBuilder { .. } => {
            // The CLR passes it as a COM-callable wrapper of the managed object.
            return Err(PlanError::Unsupported { path: String::new(), what: "a StringBuilder in a VARIANT".into() });
        }
    })
}

fn dispatch_raw(disp: ComRef) -> VARIANT {
    let mut raw = VARIANT::with_vt(VarType::DISPATCH);
    raw.data.ptr = disp.into_raw();
    raw
}

/// `GetObjectForNativeVariant`: the managed value of a VARIANT (BSTR text
/// copied, interfaces `AddRef`ed: the VARIANT keeps what it owns).
///
/// # Safety
///
/// The VARIANT's pointers (BSTR, interface, BYREF target) are valid for its tag;
/// the tag itself is validated first.
pub unsafe fn from_variant(raw: &VARIANT) -> Result<Value, PlanError> {
    if raw.vt == VarType::VOID {
        return Ok(Value::Null);
    }
    // SAFETY: forwarded contract; the tag is validated here.
    let r = unsafe { VariantRef::new(raw) }.map_err(|e| hresult_error(e.hresult(), "invalid VARIANT"))?;
    Ok(match r.value() {
        VariantValue::Empty => Value::Null,
        VariantValue::Null => Value::DbNull,
        VariantValue::I1(x) => Value::I8(x),
        VariantValue::UI1(x) => Value::U8(x),
        VariantValue::I2(x) => Value::I16(x),
        VariantValue::UI2(x) => Value::U16(x),
        VariantValue::I4(x) | VariantValue::Int(x) => Value::I32(x),
        VariantValue::UI4(x) | VariantValue::UInt(x) => Value::U32(x),
        VariantValue::I8(x) => Value::I64(x),
        VariantValue::UI8(x) => Value::U64(x),
        VariantValue::R4(x) => Value::F32(x),
        VariantValue::R8(x) => Value::F64(x),
        VariantValue::Bool(b) => Value::Bool(b),
        VariantValue::Error(h) if h == Hresult::DISP_E_PARAMNOTFOUND => Value::Missing,
        VariantValue::Error(h) => Value::I32(h.0),
        VariantValue::Cy(c) => Value::Decimal(Decimal::from_clr_currency(c)),
        VariantValue::Date(d) => Value::DateTime(DateTime::from_ole_date(d).ok_or_else(|| PlanError::Invalid {
            path: String::new(),
            reason: format!("{} is not a legal OLE Automation date", d.0),
        })?),
        // The DECIMAL's reserved word is the VARIANT's tag: a .NET decimal has zero there.
        VariantValue::Decimal(d) => Value::Decimal(Decimal { reserved: 0, ..d }),
        VariantValue::Bstr(s) => Value::Str(s.to_vec()),
        VariantValue::NullBstr => Value::Null,
        VariantValue::Unknown(p) | VariantValue::Dispatch(p) => {
            // SAFETY: a live interface pointer per the caller; the value gets its own reference.
            match unsafe { ComRef::from_borrowed(p) } {
                Some(obj) => Value::Interface(obj),
                None => Value::Null,
            }
        }
        VariantValue::Array(_, p) if p.is_null() => Value::Null,
        VariantValue::ByRef(..) => {
            // SAFETY: the BYREF target is valid per the caller.
            let inner = unsafe { crate::variant::owned::copy_ind_raw(raw) }
                .map_err(|h| hresult_error(h, "dereferencing a BYREF VARIANT"))?;
            // SAFETY: the copy owns its payload.
            let inner = unsafe { Variant::from_raw(inner) }.map_err(|e| hresult_error(e.hresult(), "VARIANT"))?;
            // SAFETY: a VARIANT this code owns.
            return unsafe { from_variant(inner.as_raw()) };
        }
        other => {
            return Err(PlanError::Invalid {
                path: String::new(),
                reason: format!("a VARIANT of {:?} has no managed equivalent ({other:?})", raw.vt),
            })
        }
    })
}
