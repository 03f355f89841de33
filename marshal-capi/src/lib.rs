//! # marshal-capi
//!
//! The marshaling engine as a C library with OLE Automation's own names, signatures and
//! HRESULTs: `SysAllocString` & co., `VariantInit` / `VariantClear` / `VariantCopy(Ind)` /
//! `VariantChangeType(Ex)`, the `SafeArray*` family, the common `Var*From*` conversions,
//! `VariantTimeToSystemTime` / `SystemTimeToVariantTime` and `CoTaskMemAlloc` / `Realloc` /
//! `Free`. A C or C++ interop layer on Linux links `libmarshal_capi.so` (or the static
//! `libmarshal_capi.a`), includes `include/oleaut.h` and calls them as it would call
//! oleaut32 on Windows.
//!
//! Every export is a thin layer over [`marshal_core`]: [`marshal_core::bstr`]'s `sys_*`
//! functions, [`marshal_core::variant`] (`clear_raw`, `copy_into`, `change_type_raw`,
//! `format`, `parse`), [`marshal_core::safearray::raw`] and [`marshal_core::alloc::CoTaskMem`].
//! No conversion is implemented here; this crate adds only the C signatures, the checks of
//! null arguments and aliasing that oleaut32 does at its entry points, and [`guard`]: every
//! export catches unwinding, so no panic ever crosses into C (a caught panic returns
//! `E_UNEXPECTED`, a null pointer, 0 or `FALSE`).
//!
//! Bad arguments return the HRESULTs oleaut32 returns (`E_INVALIDARG`, `DISP_E_BADINDEX`,
//! `DISP_E_BADVARTYPE`, `DISP_E_ARRAYISLOCKED`, …). Where oleaut32 would dereference a null
//! pointer and crash (a null `VARIANT*` in `VariantClear`, a null out-pointer of a `Var*From*`
//! function), this library returns `E_INVALIDARG` (`FALSE` for the `INT` functions, nothing
//! for the `void` ones) instead.
//!
//! ```
//! use marshal_capi::*;
//!
//! let text: Vec<u16> = "42\0".encode_utf16().collect();
//! let mut n: LONG = 0;
//! // SAFETY: `text` is NUL-terminated and `n` is writable.
//! let hr = unsafe { VarI4FromStr(text.as_ptr(), 0x0409, 0, &mut n) };
//! assert_eq!((hr, n), (S_OK, 42));
//!
//! let mut s: BSTR = core::ptr::null_mut();
//! // SAFETY: `s` is writable; the BSTR is freed once.
//! unsafe {
//!     assert_eq!(VarBstrFromR8(2.5, 0x0407, 0, &mut s), S_OK);
//!     assert_eq!(core::slice::from_raw_parts(s, SysStringLen(s) as usize), &[0x32, 0x2C, 0x35]); // "2,5"
//!     SysFreeString(s);
//! }
//! ```
//!
//! ## Symbol names
//!
//! By default the exports carry the plain Windows names. With the cargo feature `prefixed`
//! they are `marshal_SysAllocString`, `marshal_VariantClear`, …; a C host compiles against
//! the same header with `-DMARSHAL_OLEAUT_PREFIXED` and keeps writing `SysAllocString`.
//! `oleaut.map` (beside this crate's manifest) is a linker version script that binds every
//! export to the version `MARSHAL_OLEAUT_1`; the README shows the relink that applies it.
#![allow(non_snake_case)]
#![allow(non_camel_case_types)]

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Defines an exported function: `#[no_mangle]` under its own name, or
/// `marshal_<name>` with the `prefixed` feature.
macro_rules! export {
    ($(#[$meta:meta])* pub unsafe extern "C" fn $name:ident $($rest:tt)*) => {
        $(#[$meta])*
        #[cfg_attr(not(feature = "prefixed"), no_mangle)]
        #[cfg_attr(feature = "prefixed", export_name = concat!("marshal_", stringify!($name)))]
        pub unsafe extern "C" fn $name $($rest)*
    };
}

mod bstr;
mod convert;
mod memory;
mod safearray;
mod types;
mod variant;

pub use bstr::*;
pub use convert::*;
pub use memory::*;
pub use safearray::*;
pub use types::*;
pub use variant::*;

/// Runs the body of an export, returning `fallback` if it panics: no unwinding crosses
/// the C boundary.
///
/// ```
/// assert_eq!(marshal_capi::guard(-1, || 7), 7);
/// assert_eq!(marshal_capi::guard(-1, || -> i32 { panic!("caught") }), -1);
/// ```
pub fn guard<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The symbol name each export has in this build (`SysAllocString`, or
/// `marshal_SysAllocString` with the `prefixed` feature).
///
/// ```
/// let name = marshal_capi::symbol_name("VariantClear");
/// assert!(name == "VariantClear" || name == "marshal_VariantClear");
/// ```
pub fn symbol_name(name: &str) -> String {
    if cfg!(feature = "prefixed") {
        format!("marshal_{name}")
    } else {
        name.to_string()
    }
}
