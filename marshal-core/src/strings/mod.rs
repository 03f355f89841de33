//! String conversions between managed strings and every native string form the CLR
//! marshals, in both directions.
//!
//! In this engine a managed string is UTF-16, possibly ill-formed (lone surrogates), as
//! .NET's `System.String`: `&[u16]` going out, [`U16String`](widestring::U16String)
//! coming back. `&str` entry points are conveniences on top.
//!
//! | form | native | to native | from native | freed with |
//! |---|---|---|---|---|
//! | LPWStr (LPTStr) | NUL-terminated UTF-16 | copy | up to the NUL | CoTaskMem |
//! | LPUTF8Str | NUL-terminated UTF-8 | lone surrogates → U+FFFD | invalid → U+FFFD or error | CoTaskMem |
//! | LPStr | NUL-terminated ANSI (UTF-8 on Unix) | code page, best fit / throw | code page | CoTaskMem |
//! | BStr (TBStr) | [`Bstr`](crate::bstr::Bstr) | copy, NULs kept | by the length prefix | SysFreeString |
//! | AnsiBStr | BSTR of ANSI bytes | code page | up to the first NUL | SysFreeString |
//! | ByValTStr(n) | inline `n` chars | truncated to `n - 1` + NUL | up to NUL or `n` | — |
//!
//! The stages, as the CLR names them:
//! - **In** (by-value argument): [`InString`] — the native copy lives for the call, on the
//!   stack up to [`STACK_BYTES`], borrowed (no copy) for an LPWStr from a `&U16CStr`.
//! - **To native, owned** (struct fields, `ref` arguments, `Marshal.StringTo*`):
//!   [`NativeString`], freed on drop with the form's allocator (or handed over with
//!   `into_raw`).
//! - **Out / return**: [`take_native`] reads what the callee produced and frees it with the
//!   allocator the ABI names; [`read_native`] only reads (struct from-native),
//!   [`free_native`] only frees (struct destroy).
//! - **InOut capacity buffers** (StringBuilder): [`StringBuffer`].
//! - **In-struct buffers**: [`write_by_val_tstr`] / [`read_by_val_tstr`].
//!
//! Rules for bad input: a lone surrogate becomes U+FFFD in every 8-bit form (CoreCLR
//! writes `EF BF BD`); invalid UTF-8 from native code is replaced or an error, per
//! [`InvalidUtf8`]; an embedded NUL is kept in a BSTR and ends NUL-terminated forms; a
//! buffer with a known capacity is never read past it; a string too long for a BSTR's
//! 32-bit length is an error.
//!
//! ```
//! use marshal_core::strings::*;
//!
//! let opts = StringOptions::CORECLR_UNIX;
//! let managed: Vec<u16> = vec![0x61, 0xD83D, 0x62]; // "a", a lone surrogate, "b"
//! let native = NativeString::from_wide(NativeStringKind::LPStr, &managed, &opts.ansi).unwrap();
//! assert_eq!(native.bytes_with_terminator(), b"a\xEF\xBF\xBDb\0");
//!
//! // Out: the callee's string is read and freed with CoTaskMemFree.
//! let raw = native.into_raw();
//! // SAFETY: `raw` is a CoTaskMem LPStr we own.
//! let back = unsafe { take_native(NativeStringKind::LPStr, raw, &opts) }.unwrap().unwrap();
//! assert_eq!(back.to_string_lossy(), "a\u{FFFD}b");
//! ```

mod ansi;
mod buffer;
mod error;
mod inarg;
mod native;
pub mod transcode;

pub use ansi::{decode_ansi, decode_ansi_char, encode_ansi, encode_ansi_char, AnsiOptions, CodePage};
pub use buffer::{read_by_val_tstr, write_by_val_tstr, StringBuffer};
pub use error::StringError;
pub use inarg::{InString, STACK_BYTES};
pub use native::{
    free_native, ptr_to_string_bstr, read_native, read_native_bounded, read_native_len, take_native, NativeAllocator,
    NativeString, NativeStringKind, StringOptions,
};
pub use transcode::InvalidUtf8;
