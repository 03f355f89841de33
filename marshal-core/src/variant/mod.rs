//! OLE Automation `VARIANT` with `DECIMAL`, `CY` and `DATE`, and oleaut32's coercions.
//!
//! - [`VARIANT`] (module [`raw`]): the exact native layout (24 bytes on 64-bit, 16 on 32-bit).
//! - [`Variant`]: the owned wrapper (Drop = `VariantClear`, `try_clone` = `VariantCopy`,
//!   [`Variant::copy_ind`] = `VariantCopyInd`); [`VariantRef`] borrows a native-owned one.
//! - [`VariantValue`]: the content as an enum; `From`/`TryFrom` between Rust values and
//!   [`Variant`] as the CLR's `GetNativeVariantForObject` / `GetObjectForNativeVariant` map them.
//! - [`Decimal`], [`Currency`], [`Date`] / [`SystemTime`]: the value types, with oleaut32's
//!   conversions and rounding.
//! - [`change_type()`] / [`change_type_ex`]: `VariantChangeType(Ex)` for every scalar type.
//! - [`parse`] and [`format`](mod@format): `Var*FromStr` / `VarBstrFrom*` under en-US, invariant,
//!   German and Japanese locales ([`locale`]).
//!
//! VARIANTs read from native memory are validated first ([`Variant::from_raw`],
//! [`VariantRef::new`]): an unknown or reserved VARTYPE, a BYREF with a null pointer or an
//! invalid DECIMAL is a typed [`VariantError`], never undefined behaviour.
//!
//! BSTRs come from [`crate::bstr::Bstr`] (one allocator for the process).
//!
//! SAFEARRAY payloads (VT_ARRAY) are the [`crate::safearray`] module's: clearing destroys the
//! array, copying copies it (`SafeArrayCopy`), a native one is validated when taken over, and
//! `VT_ARRAY|VT_UI1` ↔ `VT_BSTR` coerce as oleaut32 (`BstrFromVector` / `VectorFromBstr`).

mod bstr_shim;
pub mod change_type;
pub mod currency;
pub mod date;
pub mod decimal;
pub mod format;
pub mod locale;
pub mod number;
pub mod owned;
pub mod parse;
pub mod raw;
pub mod value;

pub use change_type::{
    change_type, change_type_ex, change_type_raw, LCID_EN_US, LCID_INVARIANT, VARIANT_ALPHABOOL, VARIANT_LOCALBOOL,
    VARIANT_NOUSEROVERRIDE, VARIANT_NOVALUEPROP, VARIANT_USE_NLS,
};
pub use currency::Currency;
pub use date::{Date, SystemTime};
pub use decimal::Decimal;
pub use owned::{clear_raw, copy_into, validate, validate_vartype, Variant, VariantError, VariantRef};
pub use raw::VARIANT;
pub use value::{VariantValue, WrongType};
