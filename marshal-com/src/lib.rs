//! # marshal-com
//!
//! The COM front end of the marshaling engine: GUIDs, HRESULTs and their mapping
//! to error kinds, IUnknown and `ComPtr`, Rust objects exposed as COM objects,
//! IDispatch both ways, IErrorInfo, and type libraries. COM here is the binary
//! standard (vtables, reference counting, IIDs), which works on any OS.
//!
//! This crate builds on `marshal-core`; it does not depend on `marshal-pinvoke`.
//!
//! ```
//! use marshal_com::{Guid, Hresult};
//! let iid: Guid = "{00020400-0000-0000-C000-000000000046}".parse().unwrap();
//! assert_eq!(iid.to_string(), "{00020400-0000-0000-C000-000000000046}");
//! assert!(Hresult::E_NOINTERFACE.is_err());
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub use marshal_core::{Guid, Hresult};
