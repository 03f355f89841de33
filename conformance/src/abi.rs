//! Which implementation the Wine oleaut32 families (`bstr`, `safearray`, `change_type`,
//! `format`, `parse`, `vartime`) call: the engine's Rust API (the default), or the C ABI of
//! `marshal-capi` — the `extern "C"` exports linked into this binary, or those of a shared
//! library loaded at run time (`libmarshal_capi.so`, or any library exporting the same
//! oleaut32 names, plain or `marshal_`-prefixed).
//!
//! The families call the functions below, which have the engine's Rust signatures; each
//! dispatches to the Rust API or to the C export of the same oleaut32 function, so one
//! evaluator, driven by the same lines, checks both.
//!
//! The choice is per thread ([`with_api`], [`set_api`]), so tests can compare the two
//! paths side by side.
//!
//! ```
//! use marshal_conformance::abi::{self, Api};
//! let units: Vec<u16> = "12".encode_utf16().collect();
//! let rust = abi::var_i4_from_str(&units, 0x0409);
//! let c = abi::with_api(Api::linked_c(), || abi::var_i4_from_str(&units, 0x0409));
//! assert_eq!(rust, Ok(12));
//! assert_eq!(rust, c);
//! ```

use std::cell::Cell;
use std::ffi::c_void;
use std::sync::OnceLock;

use marshal_capi as capi;
use marshal_core::variant::format as fmt;
use marshal_core::variant::locale::{locale, Locale};
use marshal_core::variant::parse::{self as vparse, NumTarget, Number};
use marshal_core::variant::{Currency, Date, Decimal, SystemTime, VARIANT};
use marshal_core::{Hresult, VarType};

/// The functions of the C ABI the families use, as function pointers.
macro_rules! exports {
    ($($name:ident: fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        /// The C exports the families call (one field per oleaut32 function).
        #[allow(non_snake_case, missing_docs)]
        pub struct Exports {
            /// Where they come from (for reports).
            pub origin: String,
            $(pub $name: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
        }

        impl Exports {
            /// The exports of the `marshal-capi` linked into this binary.
            fn linked() -> Exports {
                Exports { origin: "C ABI (linked marshal-capi)".into(), $($name: capi::$name,)* }
            }

            /// The exports of a loaded library, with `prefix` before every name.
            ///
            /// # Safety
            /// The library's symbols of these names must have these C signatures.
            unsafe fn from_library(lib: &'static libloading::Library, prefix: &str, origin: String) -> Result<Exports, String> {
                Ok(Exports {
                    origin,
                    $($name: {
                        let symbol = format!("{prefix}{}\0", stringify!($name));
                        // SAFETY: the caller vouches for the signature.
                        *unsafe { lib.get::<unsafe extern "C" fn($($arg),*) $(-> $ret)?>(symbol.as_bytes()) }
                            .map_err(|e| format!("{}: {e}", symbol.trim_end_matches('\0')))?
                    },)*
                })
            }
        }
    };
}

exports! {
    SysAllocString: fn(capi::LPCOLESTR) -> capi::BSTR;
    SysAllocStringLen: fn(capi::LPCOLESTR, capi::UINT) -> capi::BSTR;
    SysAllocStringByteLen: fn(capi::LPCSTR, capi::UINT) -> capi::BSTR;
    SysReAllocString: fn(*mut capi::BSTR, capi::LPCOLESTR) -> capi::INT;
    SysReAllocStringLen: fn(*mut capi::BSTR, capi::LPCOLESTR, capi::UINT) -> capi::INT;
    SysFreeString: fn(capi::BSTR);
    SysStringLen: fn(capi::BSTR) -> capi::UINT;
    SysStringByteLen: fn(capi::BSTR) -> capi::UINT;
    VariantInit: fn(*mut capi::VARIANTARG);
    VariantClear: fn(*mut capi::VARIANTARG) -> capi::HRESULT;
    VariantChangeTypeEx: fn(*mut capi::VARIANTARG, *const capi::VARIANTARG, capi::LCID, capi::USHORT, capi::VARTYPE) -> capi::HRESULT;
    SafeArrayCreate: fn(capi::VARTYPE, capi::UINT, *mut capi::SAFEARRAYBOUND) -> *mut capi::SAFEARRAY;
    SafeArrayCreateVector: fn(capi::VARTYPE, capi::LONG, capi::ULONG) -> *mut capi::SAFEARRAY;
    SafeArrayDestroy: fn(*mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayDestroyData: fn(*mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayDestroyDescriptor: fn(*mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayAllocDescriptor: fn(capi::UINT, *mut *mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayAllocDescriptorEx: fn(capi::VARTYPE, capi::UINT, *mut *mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayAllocData: fn(*mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayGetDim: fn(*mut capi::SAFEARRAY) -> capi::UINT;
    SafeArrayGetElemsize: fn(*mut capi::SAFEARRAY) -> capi::UINT;
    SafeArrayGetLBound: fn(*mut capi::SAFEARRAY, capi::UINT, *mut capi::LONG) -> capi::HRESULT;
    SafeArrayGetUBound: fn(*mut capi::SAFEARRAY, capi::UINT, *mut capi::LONG) -> capi::HRESULT;
    SafeArrayGetElement: fn(*mut capi::SAFEARRAY, *mut capi::LONG, *mut c_void) -> capi::HRESULT;
    SafeArrayPutElement: fn(*mut capi::SAFEARRAY, *mut capi::LONG, *mut c_void) -> capi::HRESULT;
    SafeArrayPtrOfIndex: fn(*mut capi::SAFEARRAY, *mut capi::LONG, *mut *mut c_void) -> capi::HRESULT;
    SafeArrayAccessData: fn(*mut capi::SAFEARRAY, *mut *mut c_void) -> capi::HRESULT;
    SafeArrayUnaccessData: fn(*mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayLock: fn(*mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayUnlock: fn(*mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayCopy: fn(*mut capi::SAFEARRAY, *mut *mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayCopyData: fn(*mut capi::SAFEARRAY, *mut capi::SAFEARRAY) -> capi::HRESULT;
    SafeArrayRedim: fn(*mut capi::SAFEARRAY, *mut capi::SAFEARRAYBOUND) -> capi::HRESULT;
    SafeArrayGetVartype: fn(*mut capi::SAFEARRAY, *mut capi::VARTYPE) -> capi::HRESULT;
    VarBstrFromR8: fn(capi::DOUBLE, capi::LCID, capi::ULONG, *mut capi::BSTR) -> capi::HRESULT;
    VarBstrFromR4: fn(capi::FLOAT, capi::LCID, capi::ULONG, *mut capi::BSTR) -> capi::HRESULT;
    VarBstrFromDate: fn(capi::DATE, capi::LCID, capi::ULONG, *mut capi::BSTR) -> capi::HRESULT;
    VarBstrFromCy: fn(capi::CY, capi::LCID, capi::ULONG, *mut capi::BSTR) -> capi::HRESULT;
    VarBstrFromDec: fn(*const capi::DECIMAL, capi::LCID, capi::ULONG, *mut capi::BSTR) -> capi::HRESULT;
    VarBstrFromBool: fn(capi::VARIANT_BOOL, capi::LCID, capi::ULONG, *mut capi::BSTR) -> capi::HRESULT;
    VarBstrFromI8: fn(capi::LONG64, capi::LCID, capi::ULONG, *mut capi::BSTR) -> capi::HRESULT;
    VarBstrFromUI8: fn(capi::ULONG64, capi::LCID, capi::ULONG, *mut capi::BSTR) -> capi::HRESULT;
    VarDecFromR8: fn(capi::DOUBLE, *mut capi::DECIMAL) -> capi::HRESULT;
    VarR8FromStr: fn(capi::LPCOLESTR, capi::LCID, capi::ULONG, *mut capi::DOUBLE) -> capi::HRESULT;
    VarI4FromStr: fn(capi::LPCOLESTR, capi::LCID, capi::ULONG, *mut capi::LONG) -> capi::HRESULT;
    VarUI1FromStr: fn(capi::LPCOLESTR, capi::LCID, capi::ULONG, *mut capi::BYTE) -> capi::HRESULT;
    VarCyFromStr: fn(capi::LPCOLESTR, capi::LCID, capi::ULONG, *mut capi::CY) -> capi::HRESULT;
    VarDecFromStr: fn(capi::LPCOLESTR, capi::LCID, capi::ULONG, *mut capi::DECIMAL) -> capi::HRESULT;
    VarDateFromStr: fn(capi::LPCOLESTR, capi::LCID, capi::ULONG, *mut capi::DATE) -> capi::HRESULT;
    VarBoolFromStr: fn(capi::LPCOLESTR, capi::LCID, capi::ULONG, *mut capi::VARIANT_BOOL) -> capi::HRESULT;
    VariantTimeToSystemTime: fn(capi::DOUBLE, *mut capi::SYSTEMTIME) -> capi::INT;
    SystemTimeToVariantTime: fn(*mut capi::SYSTEMTIME, *mut capi::DOUBLE) -> capi::INT;
}

/// The implementation the families call.
#[derive(Clone, Copy)]
pub enum Api {
    /// The engine's Rust API (`marshal_core`).
    Rust,
    /// The C ABI: these exports.
    C(&'static Exports),
}

impl Api {
    /// The C ABI of the `marshal-capi` linked into this binary.
    pub fn linked_c() -> Api {
        static LINKED: OnceLock<Exports> = OnceLock::new();
        Api::C(LINKED.get_or_init(Exports::linked))
    }

    /// The C ABI of a shared library loaded from `path` (kept loaded for the process).
    /// Its exports may carry the plain names or the `marshal_` prefix.
    pub fn load_c(path: &str) -> Result<Api, String> {
        // SAFETY: loading runs the library's initialisers; the library is one the user
        // named as an oleaut32 implementation.
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| format!("{path}: {e}"))?;
        let lib: &'static libloading::Library = Box::leak(Box::new(lib));
        let mut errors = Vec::new();
        for prefix in ["", "marshal_"] {
            // SAFETY: an oleaut32-compatible library exports these names with these signatures.
            match unsafe { Exports::from_library(lib, prefix, format!("C ABI ({path})")) } {
                Ok(x) => return Ok(Api::C(Box::leak(Box::new(x)))),
                Err(e) => errors.push(e),
            }
        }
        Err(errors.join("; "))
    }

    /// `rust`, `c` (the linked C ABI) or `c:PATH` (a shared library).
    pub fn parse(spec: &str) -> Result<Api, String> {
        match spec {
            "rust" => Ok(Api::Rust),
            "c" => Ok(Api::linked_c()),
            _ => match spec.strip_prefix("c:") {
                Some(path) => Api::load_c(path),
                None => Err(format!("unknown API `{spec}` (rust, c, c:PATH)")),
            },
        }
    }

    /// What the reports call it.
    pub fn describe(&self) -> &str {
        match self {
            Api::Rust => "Rust API",
            Api::C(x) => &x.origin,
        }
    }
}

thread_local! {
    static CURRENT: Cell<Option<&'static Exports>> = const { Cell::new(None) };
}

/// Selects the implementation for this thread.
pub fn set_api(api: Api) {
    CURRENT.with(|c| {
        c.set(match api {
            Api::Rust => None,
            Api::C(x) => Some(x),
        })
    });
}

/// The implementation this thread uses.
pub fn current() -> Api {
    CURRENT.with(Cell::get).map_or(Api::Rust, Api::C)
}

/// Runs `f` with `api` selected on this thread, then restores the previous choice.
pub fn with_api<R>(api: Api, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<&'static Exports>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(Cell::get));
    set_api(api);
    f()
}

fn c() -> Option<&'static Exports> {
    CURRENT.with(Cell::get)
}

/// `SysAllocString` & co. with the signatures of [`marshal_core::bstr`]'s `sys_*`.
pub mod bstr {
    use super::c;
    use marshal_core::bstr as core_bstr;
    pub use marshal_core::bstr::BSTR;

    /// `SysAllocString`.
    ///
    /// # Safety
    /// As [`core_bstr::sys_alloc_string`].
    pub unsafe fn sys_alloc_string(psz: *const u16) -> BSTR {
        // SAFETY: forwarded contract.
        unsafe { c().map_or_else(|| core_bstr::sys_alloc_string(psz), |x| (x.SysAllocString)(psz)) }
    }

    /// `SysAllocStringLen`.
    ///
    /// # Safety
    /// As [`core_bstr::sys_alloc_string_len`].
    pub unsafe fn sys_alloc_string_len(s: *const u16, len: u32) -> BSTR {
        // SAFETY: forwarded contract.
        unsafe { c().map_or_else(|| core_bstr::sys_alloc_string_len(s, len), |x| (x.SysAllocStringLen)(s, len)) }
    }

    /// `SysAllocStringByteLen`.
    ///
    /// # Safety
    /// As [`core_bstr::sys_alloc_string_byte_len`].
    pub unsafe fn sys_alloc_string_byte_len(s: *const u8, len: u32) -> BSTR {
        // SAFETY: forwarded contract.
        unsafe {
            c().map_or_else(
                || core_bstr::sys_alloc_string_byte_len(s, len),
                |x| (x.SysAllocStringByteLen)(s.cast(), len),
            )
        }
    }

    /// `SysReAllocString`.
    ///
    /// # Safety
    /// As [`core_bstr::sys_re_alloc_string`].
    pub unsafe fn sys_re_alloc_string(pbstr: *mut BSTR, psz: *const u16) -> i32 {
        // SAFETY: forwarded contract.
        unsafe { c().map_or_else(|| core_bstr::sys_re_alloc_string(pbstr, psz), |x| (x.SysReAllocString)(pbstr, psz)) }
    }

    /// `SysReAllocStringLen`.
    ///
    /// # Safety
    /// As [`core_bstr::sys_re_alloc_string_len`].
    pub unsafe fn sys_re_alloc_string_len(pbstr: *mut BSTR, psz: *const u16, len: u32) -> i32 {
        // SAFETY: forwarded contract.
        unsafe {
            c().map_or_else(
                || core_bstr::sys_re_alloc_string_len(pbstr, psz, len),
                |x| (x.SysReAllocStringLen)(pbstr, psz, len),
            )
        }
    }

    /// `SysFreeString`.
    ///
    /// # Safety
    /// As [`core_bstr::sys_free_string`].
    pub unsafe fn sys_free_string(b: BSTR) {
        // SAFETY: forwarded contract.
        unsafe { c().map_or_else(|| core_bstr::sys_free_string(b), |x| (x.SysFreeString)(b)) }
    }

    /// `SysStringLen`.
    ///
    /// # Safety
    /// As [`core_bstr::sys_string_len`].
    pub unsafe fn sys_string_len(b: BSTR) -> u32 {
        // SAFETY: forwarded contract.
        unsafe { c().map_or_else(|| core_bstr::sys_string_len(b), |x| (x.SysStringLen)(b)) }
    }

    /// `SysStringByteLen`.
    ///
    /// # Safety
    /// As [`core_bstr::sys_string_byte_len`].
    pub unsafe fn sys_string_byte_len(b: BSTR) -> u32 {
        // SAFETY: forwarded contract.
        unsafe { c().map_or_else(|| core_bstr::sys_string_byte_len(b), |x| (x.SysStringByteLen)(b)) }
    }
}

/// The `SafeArray*` functions with the signatures of [`marshal_core::safearray::raw`].
pub mod raw {
    use core::ffi::c_void;

    use super::c;
    use marshal_core::safearray::raw as core_raw;
    pub use marshal_core::safearray::raw::{HEADER_SIZE, SAFEARRAY, SAFEARRAYBOUND};
    use marshal_core::{Hresult, VarType};

    macro_rules! forward {
        ($(#[$doc:meta])* $name:ident => $c:ident ($($arg:ident: $ty:ty),*) -> $ret:ty; $($conv:ident),*) => {
            $(#[$doc])*
            ///
            /// # Safety
            /// As the `marshal_core::safearray::raw` function of the same name.
            pub unsafe fn $name($($arg: $ty),*) -> $ret {
                // SAFETY: forwarded contract.
                unsafe {
                    match c() {
                        None => core_raw::$name($($arg),*),
                        Some(x) => (x.$c)($(forward!(@conv $conv $arg)),*),
                    }
                }
            }
        };
        (@conv id $a:ident) => { $a };
        (@conv mutp $a:ident) => { $a.cast_mut() };
    }

    /// `SafeArrayCreate`.
    ///
    /// # Safety
    /// As [`core_raw::safe_array_create`].
    pub unsafe fn safe_array_create(vt: VarType, dims: u32, bounds: *const SAFEARRAYBOUND) -> *mut SAFEARRAY {
        // SAFETY: forwarded contract (the C signature is not const, the function only reads).
        unsafe {
            c().map_or_else(
                || core_raw::safe_array_create(vt, dims, bounds),
                |x| (x.SafeArrayCreate)(vt, dims, bounds.cast_mut()),
            )
        }
    }

    /// `SafeArrayCreateVector`.
    pub fn safe_array_create_vector(vt: VarType, lower: i32, count: u32) -> *mut SAFEARRAY {
        match c() {
            None => core_raw::safe_array_create_vector(vt, lower, count),
            // SAFETY: no pointer arguments.
            Some(x) => unsafe { (x.SafeArrayCreateVector)(vt, lower, count) },
        }
    }

    forward!(/// `SafeArrayDestroy`.
        safe_array_destroy => SafeArrayDestroy(psa: *mut SAFEARRAY) -> Hresult; id);
    forward!(/// `SafeArrayDestroyData`.
        safe_array_destroy_data => SafeArrayDestroyData(psa: *mut SAFEARRAY) -> Hresult; id);
    forward!(/// `SafeArrayDestroyDescriptor`.
        safe_array_destroy_descriptor => SafeArrayDestroyDescriptor(psa: *mut SAFEARRAY) -> Hresult; id);
    forward!(/// `SafeArrayAllocDescriptor`.
        safe_array_alloc_descriptor => SafeArrayAllocDescriptor(dims: u32, out: *mut *mut SAFEARRAY) -> Hresult; id, id);
    forward!(/// `SafeArrayAllocDescriptorEx`.
        safe_array_alloc_descriptor_ex => SafeArrayAllocDescriptorEx(vt: VarType, dims: u32, out: *mut *mut SAFEARRAY) -> Hresult; id, id, id);
    forward!(/// `SafeArrayAllocData`.
        safe_array_alloc_data => SafeArrayAllocData(psa: *mut SAFEARRAY) -> Hresult; id);
    forward!(/// `SafeArrayGetDim`.
        safe_array_get_dim => SafeArrayGetDim(psa: *mut SAFEARRAY) -> u32; id);
    forward!(/// `SafeArrayGetElemsize`.
        safe_array_get_elemsize => SafeArrayGetElemsize(psa: *mut SAFEARRAY) -> u32; id);
    forward!(/// `SafeArrayGetLBound`.
        safe_array_get_lbound => SafeArrayGetLBound(psa: *mut SAFEARRAY, dim: u32, out: *mut i32) -> Hresult; id, id, id);
    forward!(/// `SafeArrayGetUBound`.
        safe_array_get_ubound => SafeArrayGetUBound(psa: *mut SAFEARRAY, dim: u32, out: *mut i32) -> Hresult; id, id, id);
    forward!(/// `SafeArrayGetElement`.
        safe_array_get_element => SafeArrayGetElement(psa: *mut SAFEARRAY, idx: *const i32, pv: *mut c_void) -> Hresult; id, mutp, id);
    forward!(/// `SafeArrayPutElement`.
        safe_array_put_element => SafeArrayPutElement(psa: *mut SAFEARRAY, idx: *const i32, pv: *const c_void) -> Hresult; id, mutp, mutp);
    forward!(/// `SafeArrayPtrOfIndex`.
        safe_array_ptr_of_index => SafeArrayPtrOfIndex(psa: *mut SAFEARRAY, idx: *const i32, out: *mut *mut c_void) -> Hresult; id, mutp, id);
    forward!(/// `SafeArrayAccessData`.
        safe_array_access_data => SafeArrayAccessData(psa: *mut SAFEARRAY, out: *mut *mut c_void) -> Hresult; id, id);
    forward!(/// `SafeArrayUnaccessData`.
        safe_array_unaccess_data => SafeArrayUnaccessData(psa: *mut SAFEARRAY) -> Hresult; id);
    forward!(/// `SafeArrayLock`.
        safe_array_lock => SafeArrayLock(psa: *mut SAFEARRAY) -> Hresult; id);
    forward!(/// `SafeArrayUnlock`.
        safe_array_unlock => SafeArrayUnlock(psa: *mut SAFEARRAY) -> Hresult; id);
    forward!(/// `SafeArrayCopy`.
        safe_array_copy => SafeArrayCopy(psa: *mut SAFEARRAY, out: *mut *mut SAFEARRAY) -> Hresult; id, id);
    forward!(/// `SafeArrayCopyData`.
        safe_array_copy_data => SafeArrayCopyData(src: *mut SAFEARRAY, dst: *mut SAFEARRAY) -> Hresult; id, id);
    forward!(/// `SafeArrayRedim`.
        safe_array_redim => SafeArrayRedim(psa: *mut SAFEARRAY, bound: *const SAFEARRAYBOUND) -> Hresult; id, mutp);
    forward!(/// `SafeArrayGetVartype`.
        safe_array_get_vartype => SafeArrayGetVartype(psa: *mut SAFEARRAY, out: *mut VarType) -> Hresult; id, id);
}

/// `VariantClear`.
///
/// # Safety
/// As [`marshal_core::variant::clear_raw`].
pub unsafe fn variant_clear(v: &mut VARIANT) -> Hresult {
    // SAFETY: forwarded contract.
    unsafe {
        match c() {
            None => marshal_core::variant::clear_raw(v),
            Some(x) => (x.VariantClear)(v),
        }
    }
}

/// `VariantChangeTypeEx` into a fresh VARIANT (which then owns its payload).
///
/// # Safety
/// As [`marshal_core::variant::change_type_raw`].
pub unsafe fn change_type_raw(src: &VARIANT, lcid: u32, flags: u16, vt: VarType) -> Result<VARIANT, Hresult> {
    match c() {
        // SAFETY: forwarded contract.
        None => unsafe { marshal_core::variant::change_type_raw(src, lcid, flags, vt) },
        Some(x) => {
            let mut out = VARIANT::EMPTY;
            // SAFETY: `out` is a fresh VARIANT; `src` valid per the contract.
            unsafe {
                (x.VariantInit)(&mut out);
                (x.VariantChangeTypeEx)(&mut out, src, lcid, flags, vt).ok()?;
            }
            Ok(out)
        }
    }
}

fn locale_of(lcid: u32) -> Result<&'static Locale, Hresult> {
    locale(lcid).ok_or(Hresult::DISP_E_UNKNOWNLCID)
}

/// The units of a BSTR a C function returned, freed.
///
/// # Safety
/// `b` is null or a BSTR of the library `x`.
unsafe fn take_bstr(x: &Exports, b: capi::BSTR) -> Vec<u16> {
    if b.is_null() {
        return Vec::new();
    }
    // SAFETY: a live BSTR, freed once by the library that made it.
    unsafe {
        let units = std::slice::from_raw_parts(b, (x.SysStringLen)(b) as usize).to_vec();
        (x.SysFreeString)(b);
        units
    }
}

/// Calls a `VarBstrFrom*` export.
fn c_bstr(x: &Exports, call: impl FnOnce(*mut capi::BSTR) -> Hresult) -> Result<Vec<u16>, Hresult> {
    let mut b: capi::BSTR = std::ptr::null_mut();
    call(&mut b).ok()?;
    // SAFETY: the function succeeded: `b` is its BSTR.
    Ok(unsafe { take_bstr(x, b) })
}

/// `VarBstrFromR8`.
pub fn var_bstr_from_r8(v: f64, lcid: u32, flags: u32) -> Result<Vec<u16>, Hresult> {
    match c() {
        None => locale_of(lcid).map(|l| fmt::r8_to_text(v, l).as_slice().to_vec()),
        // SAFETY: `out` is writable.
        Some(x) => c_bstr(x, |out| unsafe { (x.VarBstrFromR8)(v, lcid, flags, out) }),
    }
}

/// `VarBstrFromR4`.
pub fn var_bstr_from_r4(v: f32, lcid: u32, flags: u32) -> Result<Vec<u16>, Hresult> {
    match c() {
        None => locale_of(lcid).map(|l| fmt::r4_to_text(v, l).as_slice().to_vec()),
        // SAFETY: `out` is writable.
        Some(x) => c_bstr(x, |out| unsafe { (x.VarBstrFromR4)(v, lcid, flags, out) }),
    }
}

/// `VarBstrFromDate`.
pub fn var_bstr_from_date(v: f64, lcid: u32, flags: u32) -> Result<Vec<u16>, Hresult> {
    match c() {
        None => fmt::date_to_text(Date(v), locale_of(lcid)?, flags).map(|t| t.as_slice().to_vec()),
        // SAFETY: `out` is writable.
        Some(x) => c_bstr(x, |out| unsafe { (x.VarBstrFromDate)(v, lcid, flags, out) }),
    }
}

/// `VarBstrFromCy`.
pub fn var_bstr_from_cy(v: Currency, lcid: u32, flags: u32) -> Result<Vec<u16>, Hresult> {
    match c() {
        None => locale_of(lcid).map(|l| fmt::cy_to_text(v, l).as_slice().to_vec()),
        // SAFETY: `out` is writable.
        Some(x) => c_bstr(x, |out| unsafe { (x.VarBstrFromCy)(v, lcid, flags, out) }),
    }
}

/// `VarDecFromR8` then `VarBstrFromDec` (how the format lines build their DECIMAL).
pub fn var_bstr_from_dec_of_r8(v: f64, lcid: u32, flags: u32) -> Result<Vec<u16>, Hresult> {
    match c() {
        None => Decimal::from_f64(v).and_then(|d| Ok(fmt::dec_to_text(&d, locale_of(lcid)?).as_slice().to_vec())),
        Some(x) => {
            let mut d = Decimal::ZERO;
            // SAFETY: `d` and `out` are writable.
            unsafe { (x.VarDecFromR8)(v, &mut d) }.ok()?;
            // SAFETY: as above.
            c_bstr(x, |out| unsafe { (x.VarBstrFromDec)(&d, lcid, flags, out) })
        }
    }
}

/// `VarBstrFromBool`.
pub fn var_bstr_from_bool(v: i16, lcid: u32, flags: u32) -> Result<Vec<u16>, Hresult> {
    match c() {
        None => locale_of(lcid).map(|l| fmt::bool_to_text(v != 0, l, flags & 0x10 != 0).as_slice().to_vec()),
        // SAFETY: `out` is writable.
        Some(x) => c_bstr(x, |out| unsafe { (x.VarBstrFromBool)(v, lcid, flags, out) }),
    }
}

/// `VarBstrFromI8`.
pub fn var_bstr_from_i8(v: i64, lcid: u32, flags: u32) -> Result<Vec<u16>, Hresult> {
    match c() {
        None => Ok(fmt::i64_to_text(v).as_slice().to_vec()),
        // SAFETY: `out` is writable.
        Some(x) => c_bstr(x, |out| unsafe { (x.VarBstrFromI8)(v, lcid, flags, out) }),
    }
}

/// `VarBstrFromUI8`.
pub fn var_bstr_from_ui8(v: u64, lcid: u32, flags: u32) -> Result<Vec<u16>, Hresult> {
    match c() {
        None => Ok(fmt::u64_to_text(v).as_slice().to_vec()),
        // SAFETY: `out` is writable.
        Some(x) => c_bstr(x, |out| unsafe { (x.VarBstrFromUI8)(v, lcid, flags, out) }),
    }
}

/// Parses with the engine (Rust API), to `target`.
fn rust_number(s: &[u16], lcid: u32, target: NumTarget) -> Result<Number, Hresult> {
    vparse::number_from_str(s, locale_of(lcid)?, target)
}

/// Calls a `Var*FromStr` export on `s` (NUL-terminated for the call).
fn c_from_str<T: Default>(s: &[u16], call: impl FnOnce(*const u16, *mut T) -> Hresult) -> Result<T, Hresult> {
    let mut z = s.to_vec();
    z.push(0);
    let mut out = T::default();
    call(z.as_ptr(), &mut out).ok()?;
    Ok(out)
}

/// `VarR8FromStr`.
pub fn var_r8_from_str(s: &[u16], lcid: u32) -> Result<f64, Hresult> {
    match c() {
        None => match rust_number(s, lcid, NumTarget::R8)? {
            Number::R8(x) => Ok(x),
            _ => Err(Hresult::DISP_E_TYPEMISMATCH),
        },
        // SAFETY: NUL-terminated input, writable output.
        Some(x) => c_from_str(s, |p, out| unsafe { (x.VarR8FromStr)(p, lcid, 0, out) }),
    }
}

/// `VarI4FromStr`.
pub fn var_i4_from_str(s: &[u16], lcid: u32) -> Result<i32, Hresult> {
    match c() {
        None => match rust_number(s, lcid, NumTarget::I4)? {
            Number::I4(x) => Ok(x),
            _ => Err(Hresult::DISP_E_TYPEMISMATCH),
        },
        // SAFETY: NUL-terminated input, writable output.
        Some(x) => c_from_str(s, |p, out| unsafe { (x.VarI4FromStr)(p, lcid, 0, out) }),
    }
}

/// `VarUI1FromStr`.
pub fn var_ui1_from_str(s: &[u16], lcid: u32) -> Result<u8, Hresult> {
    match c() {
        None => match rust_number(s, lcid, NumTarget::UI1)? {
            Number::UI1(x) => Ok(x),
            _ => Err(Hresult::DISP_E_TYPEMISMATCH),
        },
        // SAFETY: NUL-terminated input, writable output.
        Some(x) => c_from_str(s, |p, out| unsafe { (x.VarUI1FromStr)(p, lcid, 0, out) }),
    }
}

/// `VarCyFromStr`.
pub fn var_cy_from_str(s: &[u16], lcid: u32) -> Result<Currency, Hresult> {
    match c() {
        None => match rust_number(s, lcid, NumTarget::Cy)? {
            Number::Cy(x) => Ok(x),
            _ => Err(Hresult::DISP_E_TYPEMISMATCH),
        },
        // SAFETY: NUL-terminated input, writable output.
        Some(x) => c_from_str(s, |p, out| unsafe { (x.VarCyFromStr)(p, lcid, 0, out) }),
    }
}

/// `VarDecFromStr`: the 16 bytes the caller's DECIMAL holds afterwards. The Rust API
/// returns a [`Decimal`] (placed in a VARIANT, whose `vt` is its `wReserved`, as oleaut32
/// copies it out of one); the C function writes the DECIMAL itself.
pub fn var_dec_from_str(s: &[u16], lcid: u32) -> Result<[u8; 16], Hresult> {
    match c() {
        None => match rust_number(s, lcid, NumTarget::Decimal)? {
            Number::Decimal(d) => {
                let mut raw = VARIANT::EMPTY;
                raw.set_decimal(&d);
                let mut b = [0u8; 16];
                b.copy_from_slice(&raw.to_bytes()[..16]);
                Ok(b)
            }
            _ => Err(Hresult::DISP_E_TYPEMISMATCH),
        },
        Some(x) => {
            // SAFETY: NUL-terminated input, writable output.
            let d = c_from_str(s, |p, out| unsafe { (x.VarDecFromStr)(p, lcid, 0, out) })?;
            Ok(d.to_bytes())
        }
    }
}

/// `VarDateFromStr`.
pub fn var_date_from_str(s: &[u16], lcid: u32) -> Result<f64, Hresult> {
    match c() {
        None => vparse::date_from_str(s, locale_of(lcid)?, 0).map(|d| d.0),
        // SAFETY: NUL-terminated input, writable output.
        Some(x) => c_from_str(s, |p, out| unsafe { (x.VarDateFromStr)(p, lcid, 0, out) }),
    }
}

/// `VarBoolFromStr`: -1 or 0.
pub fn var_bool_from_str(s: &[u16], lcid: u32) -> Result<i16, Hresult> {
    match c() {
        None => vparse::bool_from_str(s, locale_of(lcid)?, false).map(|b| if b { -1 } else { 0 }),
        // SAFETY: NUL-terminated input, writable output.
        Some(x) => c_from_str(s, |p, out| unsafe { (x.VarBoolFromStr)(p, lcid, 0, out) }),
    }
}

/// `VariantTimeToSystemTime` (`None` for FALSE).
pub fn variant_time_to_system_time(d: f64) -> Option<SystemTime> {
    match c() {
        None => Date(d).to_system_time().ok(),
        Some(x) => {
            let mut st = SystemTime::default();
            // SAFETY: `st` is writable.
            (unsafe { (x.VariantTimeToSystemTime)(d, &mut st) } != 0).then_some(st)
        }
    }
}

/// `SystemTimeToVariantTime` (`None` for FALSE).
pub fn system_time_to_variant_time(st: &SystemTime) -> Option<f64> {
    match c() {
        None => Date::from_system_time(st).ok().map(|d| d.0),
        Some(x) => {
            let mut st = *st;
            let mut d = 0.0;
            // SAFETY: both writable.
            (unsafe { (x.SystemTimeToVariantTime)(&mut st, &mut d) } != 0).then_some(d)
        }
    }
}
