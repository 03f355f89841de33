//! # marshal-typelib
//!
//! COM type libraries, anywhere: read the two binary formats (MSFT, written by MIDL and widl; SLTG, the older one of
//! `ICreateTypeLib`), from bytes, a file, or the `TYPELIB` resource of a PE file; expose the ITypeLib / ITypeInfo
//! model ([`TypeLib`], [`TypeInfo`], [`FuncDesc`], [`VarDesc`]); resolve references into other libraries through a
//! caller-supplied [`Resolver`].
//!
//! On the COM ABI: [`com_typeinfo::TypeLibObject`] serves a library as `ITypeLib` / `ITypeInfo` objects (the native
//! structures of [`oaidl`]), [`com_reader::read_type_info`] reads any native `ITypeInfo` back into the model, and
//! [`std_dispatch`] serves and calls IDispatch with type information ([`dispatch`] binds the calls).
//!
//! Every offset, count, length and index in a type library is untrusted: a truncated, corrupted or hostile file gives
//! a [`TypeLibError`], never a panic, an out-of-bounds read, unbounded recursion or an allocation sized by an
//! unchecked count.
//!
//! ```no_run
//! use marshal_typelib::TypeLib;
//! let lib = TypeLib::from_file("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/stdole2.tlb")?;
//! assert_eq!(lib.name, "stdole");
//! let font = &lib.types[lib.find_type("IFont").unwrap()];
//! for f in &font.funcs {
//!     println!("{} {:?}", f.name, f.invkind);
//! }
//! # Ok::<(), marshal_typelib::TypeLibError>(())
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod api;
pub mod bindings;
mod bytes;
pub mod com_reader;
pub mod com_typeinfo;
pub mod dispatch;
pub mod error;
pub mod layout;
pub mod model;
pub mod msft;
pub mod oaidl;
pub mod pe;
pub mod resolve;
pub mod sltg;
pub mod std_dispatch;
pub mod value;

pub use error::{Result, TypeLibError};
pub use layout::{com_signature, ComParam, ComSignature, Direction, Mapper};
pub use model::*;
pub use resolve::{LibraryMap, RefTarget, Resolver, SearchPath};
pub use value::Value;

use std::path::Path;

/// How deep the reader follows nested type descriptions (pointer to pointer to …) before it reports
/// [`TypeLibError::TooDeep`]. Real libraries nest a few levels; a cycle in a hostile file stops here.
pub const MAX_TYPE_DEPTH: u32 = 32;

/// The binary format of a type library image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `MSFT`.
    Msft,
    /// `SLTG`.
    Sltg,
    /// A PE image holding `TYPELIB` resources.
    Pe,
}

impl Format {
    /// Recognises an image by its first bytes.
    pub fn detect(data: &[u8]) -> Result<Format> {
        if pe::is_pe(data) {
            return Ok(Format::Pe);
        }
        let magic = bytes::Bytes::new(data).u32(0, "type library signature")?;
        match magic {
            msft::MAGIC => Ok(Format::Msft),
            sltg::MAGIC => Ok(Format::Sltg),
            _ => Err(TypeLibError::UnknownFormat { magic }),
        }
    }
}

impl TypeLib {
    /// Reads a library image: MSFT, SLTG, or a PE image (its `TYPELIB` resource 1, as `LoadTypeLib` does).
    pub fn from_bytes(data: &[u8]) -> Result<TypeLib> {
        match Format::detect(data)? {
            Format::Msft => msft::read(data),
            Format::Sltg => sltg::read(data),
            Format::Pe => TypeLib::from_pe_resource(data, 1),
        }
    }

    /// Reads resource `TYPELIB` number `index` of a PE image.
    pub fn from_pe_resource(data: &[u8], index: u32) -> Result<TypeLib> {
        let res = pe::typelib_resource(data, index)?;
        match Format::detect(res)? {
            Format::Pe => Err(TypeLibError::BadPe("TYPELIB resource is itself a PE image")),
            _ => TypeLib::from_bytes(res),
        }
    }

    /// Reads a `.tlb` file, or resource 1 of a PE file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<TypeLib> {
        TypeLib::from_bytes(&std::fs::read(path)?)
    }

    /// Writes the library as an MSFT image (the format of MIDL and widl), which `LoadTypeLib` and
    /// [`TypeLib::from_bytes`] load back as the same library.
    pub fn to_msft(&self) -> Result<Vec<u8>> {
        msft::write(self)
    }

    /// Writes the library as an SLTG image (the format of the first `ICreateTypeLib`). SLTG holds less than MSFT
    /// (see [`sltg`]); what it cannot hold is a [`TypeLibError::Unsupported`]. `resolver` supplies the imported
    /// libraries whose types are referred to by GUID (SLTG refers by index).
    pub fn to_sltg(&self, resolver: &dyn Resolver) -> Result<Vec<u8>> {
        sltg::write(self, resolver)
    }

    /// Reads resource `TYPELIB` number `index` of a PE file.
    pub fn from_file_resource(path: impl AsRef<Path>, index: u32) -> Result<TypeLib> {
        TypeLib::from_pe_resource(&std::fs::read(path)?, index)
    }
}
