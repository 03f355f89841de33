//! # marshal-com
//!
//! The COM front end of the marshaling engine: HRESULTs and their mapping to error kinds,
//! IUnknown and [`ComPtr`], interfaces declared once with [`com_interface!`], Rust objects
//! exposed as COM objects ([`ComObject`]), IErrorInfo, and IDispatch both ways. COM here is the
//! binary standard (vtables, reference counting, IIDs), which works on any OS: nothing here
//! needs Windows.
//!
//! | module | what |
//! |---|---|
//! | [`error`] | [`ComError`] / [`ErrorKind`]: the CLR's HRESULT ↔ exception table, PreserveSig helpers |
//! | [`interface`] | [`Interface`], [`IUnknown`], the [`com_interface!`] macro |
//! | [`comptr`] | [`ComPtr<I>`]: AddRef on clone, Release on drop, `cast` through QueryInterface |
//! | [`object`] | [`ComObject`]: the COM callable wrapper for Rust types |
//! | [`errorinfo`] | thread error object, `IErrorInfo` / `ICreateErrorInfo` / `ISupportErrorInfo` |
//! | [`dispatch`] | `IDispatch`: the [`dispatch::Dispatch`] server trait, [`dispatch::server::DispatchTable`], the client calls on `ComPtr<IDispatch>` |
//! | [`param`] | interface parameters: AddRef/Release rules of In, Out, InOut and `[retval]` |
//!
//! This crate builds on `marshal-core`; it does not depend on `marshal-pinvoke`.
//!
//! ```
//! use marshal_com::{Guid, Hresult, ComError, ErrorKind};
//! let iid: Guid = "{00020400-0000-0000-C000-000000000046}".parse().unwrap();
//! assert_eq!(iid.to_string(), "{00020400-0000-0000-C000-000000000046}");
//! assert_eq!(ComError::from_hresult(Hresult::E_NOINTERFACE).kind(), ErrorKind::InvalidCast);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod bstr;
pub mod comptr;
pub mod dispatch;
pub mod error;
pub mod errorinfo;
pub mod interface;
pub mod object;
pub mod param;

pub use comptr::ComPtr;
pub use dispatch::IDispatch;
pub use error::{preserve_sig_false, ComError, ComResult, ErrorDetails, ErrorKind};
pub use errorinfo::{IErrorInfo, ISupportErrorInfo};
pub use interface::{IUnknown, Interface};
pub use marshal_core::{Guid, Hresult};
pub use object::{ComClass, ComObject};
