//! # marshal-core
//!
//! The engine of an interop marshaler modelled on the .NET one: it moves data
//! between Rust and native code with the CLR's rules, byte for byte.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//!  TypeDesc ──> Layout ──> classify / Plan ──> native bytes
//!  (types)      (layout)   (blittable)
//! ```
//!
//! - [`types`]: [`TypeDesc`], the runtime description of a managed-side type and
//!   its `[MarshalAs]`, with [`StructBuilder`] and the name-resolving [`TypeSet`].
//! - [`layout`]: [`Layout::of`], native size, alignment and field offsets as
//!   `Marshal.SizeOf` / `Marshal.OffsetOf` report them, for 64- and 32-bit targets.
//! - [`blittable`]: [`classify`] (why a type is or is not blittable) and the
//!   static [`Blittable`] trait.
//! - [`pin`]: zero-copy views that hand native code a pointer to the caller's memory.
//! - [`value`]: the runtime [`value::Value`] tree for interop layers without Rust types.
//! - [`plan`]: compiled struct plans: `StructureToPtr`, `PtrToStructure`, `DestroyStructure`.
//! - [`marshal`]: the [`marshal::Marshal`] trait `#[derive(Marshal)]` implements, built from field [`marshal::Form`]s.
//! - [`safearray`]: SAFEARRAY, byte for byte as oleaut32 (raw functions, owned [`SafeArray`],
//!   zero-copy views, validation of native descriptors, the `SafeArray(vt)` marshaler).
//! - [`guid`], [`hresult`], [`vartype`], [`iunknown`]: the small OLE vocabulary every stage shares;
//!   [`unmanaged`]: the .NET `UnmanagedType` members and the descriptors they mean.
//!
//! ```
//! use marshal_core::{TypeDesc, StructBuilder, Layout, classify};
//!
//! let point = StructBuilder::sequential("Point")
//!     .field("x", TypeDesc::I32)
//!     .field("flag", TypeDesc::bool_win32())
//!     .build()
//!     .unwrap();
//! let layout = Layout::of(&point).unwrap();
//! assert_eq!((layout.size(), layout.align()), (8, 4));
//! assert!(!classify(&point).is_blittable());
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

// Lets the derive macros' `::marshal_core::…` paths work inside this crate too.
#[allow(unused_extern_crates)]
extern crate self as marshal_core;

pub mod alloc;
pub mod blittable;
pub mod bstr;
pub mod guid;
pub mod hresult;
pub mod iunknown;
pub mod layout;
pub mod marshal;
pub mod pin;
pub mod plan;
pub mod safearray;
pub mod strings;
pub mod types;
pub mod unmanaged;
pub mod value;
pub mod variant;
pub mod vartype;

pub use blittable::{classify, Blittable, Classification, NonBlittableReason};
pub use bstr::{Bstr, BstrRef, BSTR};
pub use guid::Guid;
pub use hresult::Hresult;
pub use layout::{FieldLayout, Layout, LayoutError, Target};
pub use safearray::{Bound, SafeArray, SafeArrayError};
pub use types::{
    BoolRepr, CharRepr, CharSet, DescError, FieldDesc, InterfaceKind, LayoutKind, Pack, Prim, StringRepr,
    StructBuilder, StructDesc, TypeDesc, TypeSet,
};
pub use variant::{Currency, Date, Decimal, Variant, VariantValue, VARIANT};
pub use vartype::VarType;

pub use marshal::Marshal;
/// Derive [`Blittable`] for a `#[repr(C)]` struct whose fields are all blittable.
///
/// The derive checks at compile time that every field implements [`Blittable`] and
/// that the Rust layout equals the layout the engine computes for the struct's
/// [`TypeDesc`]. The type must also implement `bytemuck::Pod` (no padding bytes).
pub use marshal_derive::Blittable;

#[doc(hidden)]
pub mod __private {
    //! Items the derive macros expand to. Not a public API.
    pub use crate::layout::{clr_field_align, clr_round_up};
    pub use bytemuck;
}
