//! Constant and default values stored in a type library, as the VARIANT they load as.
//!
//! This is a plain owned enum (no native memory): a type library stores only scalars and strings.

use marshal_core::VarType;

/// A value stored in a type library (a constant's value, a parameter's default, custom data), as the VARIANT
/// `ITypeInfo` hands out for it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `VT_EMPTY`.
    Empty,
    /// `VT_NULL`.
    Null,
    /// `VT_I1`.
    I1(i8),
    /// `VT_UI1`.
    U1(u8),
    /// `VT_I2`.
    I2(i16),
    /// `VT_UI2`.
    U2(u16),
    /// `VT_I4`.
    I4(i32),
    /// `VT_UI4`.
    U4(u32),
    /// `VT_INT`.
    Int(i32),
    /// `VT_UINT`.
    UInt(u32),
    /// `VT_I8`.
    I8(i64),
    /// `VT_UI8`.
    U8(u64),
    /// `VT_R4`.
    R4(f32),
    /// `VT_R8`.
    R8(f64),
    /// `VT_CY`: the 64-bit integer scaled by 10 000.
    Cy(i64),
    /// `VT_DATE`: days since 1899-12-30.
    Date(f64),
    /// `VT_BSTR`; `None` is a null BSTR.
    Bstr(Option<String>),
    /// `VT_BOOL`: `VARIANT_BOOL` (-1 true, 0 false; other values kept as stored).
    Bool(i16),
    /// `VT_ERROR`: an SCODE.
    Error(i32),
    /// `VT_HRESULT`.
    Hresult(i32),
    /// `VT_DECIMAL`: the 16 bytes of a `DECIMAL`.
    Decimal([u8; 16]),
    /// A VARTYPE the format records but whose payload a type library cannot carry (pointers, interfaces);
    /// it loads as that VARTYPE with a zero payload.
    Unsupported(VarType),
}

impl Value {
    /// The VARTYPE of the VARIANT this value loads as.
    pub fn vt(&self) -> VarType {
        match self {
            Value::Empty => VarType::EMPTY,
            Value::Null => VarType::NULL,
            Value::I1(_) => VarType::I1,
            Value::U1(_) => VarType::UI1,
            Value::I2(_) => VarType::I2,
            Value::U2(_) => VarType::UI2,
            Value::I4(_) => VarType::I4,
            Value::U4(_) => VarType::UI4,
            Value::Int(_) => VarType::INT,
            Value::UInt(_) => VarType::UINT,
            Value::I8(_) => VarType::I8,
            Value::U8(_) => VarType::UI8,
            Value::R4(_) => VarType::R4,
            Value::R8(_) => VarType::R8,
            Value::Cy(_) => VarType::CY,
            Value::Date(_) => VarType::DATE,
            Value::Bstr(_) => VarType::BSTR,
            Value::Bool(_) => VarType::BOOL,
            Value::Error(_) => VarType::ERROR,
            Value::Hresult(_) => VarType::HRESULT,
            Value::Decimal(_) => VarType::DECIMAL,
            Value::Unsupported(vt) => *vt,
        }
    }

    /// A value of type `vt` from the low bytes of `raw` (the VARIANT's union read as integers), as a loader that
    /// copies `size` bytes into the union sees it.
    pub(crate) fn from_raw_bits(vt: VarType, raw: u64) -> Value {
        match vt {
            VarType::EMPTY => Value::Empty,
            VarType::NULL => Value::Null,
            VarType::I1 => Value::I1(raw as u8 as i8),
            VarType::UI1 => Value::U1(raw as u8),
            VarType::I2 => Value::I2(raw as u16 as i16),
            VarType::UI2 => Value::U2(raw as u16),
            VarType::I4 => Value::I4(raw as u32 as i32),
            VarType::UI4 => Value::U4(raw as u32),
            VarType::INT => Value::Int(raw as u32 as i32),
            VarType::UINT => Value::UInt(raw as u32),
            VarType::I8 => Value::I8(raw as i64),
            VarType::UI8 => Value::U8(raw),
            VarType::R4 => Value::R4(f32::from_bits(raw as u32)),
            VarType::R8 => Value::R8(f64::from_bits(raw)),
            VarType::CY => Value::Cy(raw as i64),
            VarType::DATE => Value::Date(f64::from_bits(raw)),
            VarType::BOOL => Value::Bool(raw as u16 as i16),
            VarType::ERROR => Value::Error(raw as u32 as i32),
            VarType::HRESULT => Value::Hresult(raw as u32 as i32),
            other => Value::Unsupported(other),
        }
    }

    /// The VARIANT this value loads as (a core [`marshal_core::Variant`], owning its BSTR). `VT_DECIMAL` and the
    /// pointer types a library cannot carry are `DISP_E_BADVARTYPE`.
    pub fn to_variant(&self) -> Result<marshal_core::Variant, marshal_core::Hresult> {
        crate::dispatch::value_to_variant(self)
    }

    /// The integer payload, for the integer-like types (BOOL, ERROR, CY's raw int64 included).
    pub fn as_i64(&self) -> Option<i64> {
        Some(match *self {
            Value::I1(v) => v as i64,
            Value::U1(v) => v as i64,
            Value::I2(v) => v as i64,
            Value::U2(v) => v as i64,
            Value::I4(v) | Value::Int(v) | Value::Error(v) | Value::Hresult(v) => v as i64,
            Value::U4(v) | Value::UInt(v) => v as i64,
            Value::I8(v) | Value::Cy(v) => v,
            Value::U8(v) => v as i64,
            Value::Bool(v) => v as i64,
            _ => return None,
        })
    }
}
