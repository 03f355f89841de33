//! # marshal-pinvoke
//!
//! The P/Invoke front end of the marshaling engine: loading native libraries
//! with the CLR's probing rules, describing signatures at run time and at compile
//! time, calling through them with `marshal-core`'s conversions, SetLastError,
//! and callbacks into Rust.
//!
//! This crate builds on `marshal-core`; it does not depend on `marshal-com`.
//!
//! ```
//! // Parameter types are described with marshal-core's TypeDesc.
//! use marshal_pinvoke::core::TypeDesc;
//! assert!(TypeDesc::I32.is_blittable());
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

/// The engine this front end drives.
pub use marshal_core as core;
