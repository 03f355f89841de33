//! The reader's and writer's errors. Every offset, count, length and index in a type library is
//! untrusted: each check that fails names what was being read and where.

use core::fmt;

/// Why a type library could not be read (or written).
#[derive(Debug)]
#[non_exhaustive]
pub enum TypeLibError {
    /// Fewer bytes than a structure needs: `what` at `offset` needs `needed` bytes, the input has `available`.
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Where it starts (from the start of the library image).
        offset: u64,
        /// How many bytes it needs.
        needed: u64,
        /// How many bytes the input (or segment) has from `offset` on.
        available: u64,
    },
    /// The first bytes are neither `MSFT`, `SLTG` nor a PE image.
    UnknownFormat {
        /// The first four bytes (little-endian).
        magic: u32,
    },
    /// A structure's signature or fixed field is not what the format requires.
    BadMagic {
        /// The structure.
        what: &'static str,
        /// The value found.
        found: u32,
    },
    /// An offset that points outside the segment or image it must lie in.
    BadOffset {
        /// What the offset locates.
        what: &'static str,
        /// The offset as stored.
        offset: i64,
    },
    /// An index or count out of its range.
    BadIndex {
        /// What is indexed or counted.
        what: &'static str,
        /// The value as stored.
        index: i64,
        /// The number of valid entries (or the largest valid count).
        limit: u64,
    },
    /// A field with a value the format does not allow.
    BadValue {
        /// The field.
        what: &'static str,
        /// The value as stored.
        value: i64,
    },
    /// Nested type descriptions deeper than the reader follows (a cycle in the file, or a hostile depth).
    TooDeep {
        /// What was being followed.
        what: &'static str,
        /// The depth limit.
        limit: u32,
    },
    /// A chain (custom data, implemented interfaces) that loops or is longer than its table allows.
    Cycle {
        /// The chain.
        what: &'static str,
    },
    /// A PE image without a `TYPELIB` resource of the requested number.
    NoTypeLibResource {
        /// The resource number (`LoadTypeLib`'s `file.dll\N`; 1 by default).
        index: u32,
    },
    /// A malformed PE image (headers, sections or resource directory).
    BadPe(&'static str),
    /// A reference to a type in another library that the resolver could not supply.
    Unresolved {
        /// What the reference names (library GUID and type).
        what: String,
    },
    /// Something a writer cannot express in the target format.
    Unsupported(String),
    /// A COM method of a native `ITypeInfo` / `ITypeLib` (read by [`crate::com_reader`]) failed.
    ComCall {
        /// The method.
        what: &'static str,
        /// The HRESULT it returned.
        hr: i32,
    },
    /// Reading a file failed.
    Io(std::io::Error),
}

impl fmt::Display for TypeLibError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeLibError::Truncated { what, offset, needed, available } => {
                write!(f, "truncated {what} at offset {offset:#x}: needs {needed} bytes, {available} available")
            }
            TypeLibError::UnknownFormat { magic } => {
                write!(f, "not a type library (MSFT, SLTG or PE): first bytes {magic:#010x}")
            }
            TypeLibError::BadMagic { what, found } => write!(f, "bad {what}: found {found:#x}"),
            TypeLibError::BadOffset { what, offset } => write!(f, "{what}: offset {offset:#x} out of bounds"),
            TypeLibError::BadIndex { what, index, limit } => write!(f, "{what}: {index} out of range (limit {limit})"),
            TypeLibError::BadValue { what, value } => write!(f, "{what}: invalid value {value:#x}"),
            TypeLibError::TooDeep { what, limit } => write!(f, "{what}: nested deeper than {limit} levels"),
            TypeLibError::Cycle { what } => write!(f, "{what}: chain loops or overruns its table"),
            TypeLibError::NoTypeLibResource { index } => write!(f, "no TYPELIB resource {index} in the PE image"),
            TypeLibError::BadPe(what) => write!(f, "malformed PE image: {what}"),
            TypeLibError::Unresolved { what } => write!(f, "unresolved external reference: {what}"),
            TypeLibError::Unsupported(what) => write!(f, "unsupported: {what}"),
            TypeLibError::ComCall { what, hr } => write!(f, "{what} failed: HRESULT {:#010x}", *hr as u32),
            TypeLibError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for TypeLibError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TypeLibError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for TypeLibError {
    fn from(e: std::io::Error) -> Self {
        TypeLibError::Io(e)
    }
}

/// Result alias of this crate.
pub type Result<T, E = TypeLibError> = core::result::Result<T, E>;
