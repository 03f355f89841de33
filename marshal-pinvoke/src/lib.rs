//! # marshal-pinvoke
//!
//! The P/Invoke front end of the marshaling engine: loading native libraries
//! with the CLR's probing rules, describing signatures at run time and at
//! compile time, calling through them with the CLR's marshaling rules,
//! SetLastError, callbacks into Rust and owned native handles.
//!
//! The layers, each usable alone (like libffi-rs' raw → middle → high):
//!
//! | layer | what | for |
//! |---|---|---|
//! | [`abi`] | [`abi::CallCore`]: a libffi call interface over native ABI types | anyone with native types in hand |
//! | [`signature`] | [`Signature`] → [`Function`]: managed declarations ([`core::TypeDesc`] + direction) called with [`core::value::Value`]s | interop layers that learn signatures at run time |
//! | [`pinvoke!`] | typed Rust functions generated at compile time, blittable data passed by pointer | Rust code |
//! | [`callback`] | Rust closures as native function pointers (runtime signature) and panic-safe `extern "C"` thunks | reverse P/Invoke |
//! | [`handle`] | [`SafeHandle`]: a native handle released exactly once | owned resources |
//!
//! This crate builds on `marshal-core`; it does not depend on `marshal-com`.
//!
//! ```
//! use std::sync::Arc;
//! use marshal_pinvoke::{Library, Param, Signature, core::{TypeDesc, value::Value}};
//! let libm = Arc::new(Library::load("m").unwrap());
//! let pow = Signature::new(Some(TypeDesc::F64))
//!     .param(Param::new("x", TypeDesc::F64))
//!     .param(Param::new("y", TypeDesc::F64))
//!     .bind(&libm, "pow")
//!     .unwrap();
//! assert_eq!(pow.call(&mut [Value::F64(2.0), Value::F64(10.0)]).unwrap(), Value::F64(1024.0));
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

/// The engine this front end drives.
pub use marshal_core as core;

pub mod abi;
pub mod callback;
mod direct;
pub mod error;
mod fast;
pub mod handle;
mod last_error;
pub mod library;
pub mod signature;
pub mod typed;

pub use abi::CallConv;
pub use callback::Callback;
pub use error::PinvokeError;
pub use handle::{Release, SafeHandle};
pub use last_error::{last_error, set_last_error};
pub use library::Library;
pub use signature::{ptr_to_string, ptr_to_structure, Function, Param, PassBy, Signature};

#[doc(hidden)]
pub mod __private {
    //! Items the `pinvoke!` macro expands to. Not a public API.
    pub use crate::last_error::{capture_os_error, clear_os_error};
}
