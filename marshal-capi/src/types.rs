//! The Windows type names of the exported signatures, as Rust aliases of the engine's types.
//! `include/oleaut.h` declares the same names for C; the tests check that every prototype
//! there names the same types as the Rust signature here, and that the sizes agree.

use core::ffi::c_void;

use marshal_core::Hresult;

/// `HRESULT`: a 32-bit status (`S_OK` = 0; failures negative).
pub type HRESULT = Hresult;
/// `VARTYPE`: a VARIANT / SAFEARRAY element type tag (16 bits).
pub type VARTYPE = marshal_core::VarType;
/// `OLECHAR`: one UTF-16 code unit.
pub type OLECHAR = u16;
/// `BSTR`: a length-prefixed UTF-16 string from the BSTR allocator.
pub type BSTR = *mut OLECHAR;
/// `LPCOLESTR`: a NUL-terminated UTF-16 string (read only).
pub type LPCOLESTR = *const OLECHAR;
/// `LPCSTR`: a byte string (read only).
pub type LPCSTR = *const core::ffi::c_char;
/// `LCID`: a locale identifier.
pub type LCID = u32;
/// `INT` (32 bits).
pub type INT = i32;
/// `UINT` (32 bits).
pub type UINT = u32;
/// `LONG` (32 bits on Windows, whatever C's `long` is here).
pub type LONG = i32;
/// `ULONG` (32 bits).
pub type ULONG = u32;
/// `SHORT`.
pub type SHORT = i16;
/// `USHORT`.
pub type USHORT = u16;
/// `BYTE`.
pub type BYTE = u8;
/// `LONG64`.
pub type LONG64 = i64;
/// `ULONG64`.
pub type ULONG64 = u64;
/// `FLOAT`.
pub type FLOAT = f32;
/// `DOUBLE`.
pub type DOUBLE = f64;
/// `DATE`: days since 1899-12-30, the fraction being the time of day.
pub type DATE = f64;
/// `VARIANT_BOOL`: -1 (true) or 0.
pub type VARIANT_BOOL = i16;
/// `CY`: a currency amount, an `i64` scaled by 10 000 (passed by value like one).
pub type CY = marshal_core::Currency;
/// `DECIMAL`: 16 bytes, 96-bit mantissa, scale and sign.
pub type DECIMAL = marshal_core::Decimal;
/// `SYSTEMTIME`: 8 × `WORD` (year, month, day of week, day, hour, minute, second, ms).
pub type SYSTEMTIME = marshal_core::variant::SystemTime;
/// `VARIANT` (24 bytes on 64-bit).
pub type VARIANT = marshal_core::VARIANT;
/// `VARIANTARG` (the same layout).
pub type VARIANTARG = VARIANT;
/// `SAFEARRAY` descriptor.
pub type SAFEARRAY = marshal_core::safearray::SAFEARRAY;
/// `SAFEARRAYBOUND`: element count and lower bound of one dimension.
pub type SAFEARRAYBOUND = marshal_core::safearray::SAFEARRAYBOUND;
/// `SIZE_T`.
pub type SIZE_T = usize;
/// `LPVOID`.
pub type LPVOID = *mut c_void;

/// `S_OK`.
pub const S_OK: HRESULT = Hresult::S_OK;
/// `LOCALE_USER_DEFAULT`: what `VariantChangeType` converts under (en-US here).
pub const LOCALE_USER_DEFAULT: LCID = 0x0400;
/// `VAR_LOCALBOOL`: `VarBstrFromBool` / `VarBoolFromStr` use the locale's words for
/// true and false.
pub const VAR_LOCALBOOL: ULONG = 0x10;

const _: () = assert!(core::mem::size_of::<VARIANT>() == 3 * core::mem::size_of::<usize>());
const _: () = assert!(core::mem::size_of::<DECIMAL>() == 16);
const _: () = assert!(core::mem::size_of::<CY>() == 8);
const _: () = assert!(core::mem::size_of::<SYSTEMTIME>() == 16);
const _: () = assert!(core::mem::size_of::<SAFEARRAYBOUND>() == 8);
