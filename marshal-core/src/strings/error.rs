//! The error of every string conversion.

use core::fmt;

use crate::bstr::BstrError;

/// Why a string conversion failed. Each variant names the .NET exception the CLR throws
/// for the same case ([`StringError::clr_exception`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StringError {
    /// Native bytes are not valid UTF-8 and [`InvalidUtf8::Error`](super::InvalidUtf8::Error)
    /// was asked for.
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        valid_up_to: usize,
    },
    /// A character has no mapping in the ANSI code page and `ThrowOnUnmappableChar` is on.
    Unmappable {
        /// Index (in UTF-16 units) of the character in the source string.
        index: usize,
        /// The character (U+FFFD for a lone surrogate).
        ch: char,
    },
    /// An ANSI `ByValTStr`: the encoded first `SizeConst - 1` characters need more than
    /// `SizeConst` bytes (CoreCLR throws where Mono truncates).
    ByValTStrOverflow {
        /// Bytes the encoded characters need.
        needed: usize,
        /// The buffer's size (`SizeConst`).
        capacity: usize,
    },
    /// A `ByValTStr` with `SizeConst = 0` (a buffer too small for even the terminator).
    ZeroSizeConst,
    /// The string is longer than the native form can describe (a BSTR's 32-bit length).
    TooLong {
        /// The requested length in bytes.
        byte_len: usize,
    },
    /// The native allocator returned null.
    OutOfMemory,
    /// A null pointer where the API requires a string (`Marshal.PtrToStringBSTR(null)`,
    /// `PtrToStringAnsi(null, len)`).
    NullPointer,
    /// A code page this engine does not carry.
    UnsupportedCodePage(u32),
    /// The form cannot be used this way (e.g. a BSTR as a StringBuilder buffer).
    UnsupportedForm(&'static str),
}

impl StringError {
    /// The full name of the .NET exception the CLR throws in the same case
    /// (`"System.ArgumentException"`): what conformance vectors record.
    pub fn clr_exception(&self) -> &'static str {
        match self {
            StringError::InvalidUtf8 { .. }
            | StringError::Unmappable { .. }
            | StringError::ByValTStrOverflow { .. } => "System.ArgumentException",
            StringError::ZeroSizeConst | StringError::UnsupportedForm(_) => {
                "System.Runtime.InteropServices.MarshalDirectiveException"
            }
            StringError::TooLong { .. } | StringError::OutOfMemory => "System.OutOfMemoryException",
            StringError::NullPointer => "System.ArgumentNullException",
            StringError::UnsupportedCodePage(_) => "System.NotSupportedException",
        }
    }
}

impl fmt::Display for StringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StringError::InvalidUtf8 { valid_up_to } => {
                write!(f, "native string is not valid UTF-8 (first invalid byte at offset {valid_up_to})")
            }
            StringError::Unmappable { index, ch } => {
                write!(f, "character {ch:?} at index {index} has no mapping in the ANSI code page")
            }
            StringError::ByValTStrOverflow { needed, capacity } => {
                write!(f, "ByValTStr: the encoded string needs {needed} bytes, the buffer holds {capacity}")
            }
            StringError::ZeroSizeConst => f.write_str("ByValTStr needs SizeConst > 0"),
            StringError::TooLong { byte_len } => {
                write!(f, "string of {byte_len} bytes is too long for its native form")
            }
            StringError::OutOfMemory => f.write_str("out of memory allocating a native string"),
            StringError::NullPointer => f.write_str("null pointer where a string is required"),
            StringError::UnsupportedCodePage(cp) => write!(f, "code page {cp} is not supported"),
            StringError::UnsupportedForm(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for StringError {}

impl From<BstrError> for StringError {
    fn from(e: BstrError) -> StringError {
        match e {
            BstrError::TooLong { byte_len } => StringError::TooLong { byte_len },
            BstrError::OutOfMemory => StringError::OutOfMemory,
        }
    }
}

impl From<super::transcode::Utf8Error> for StringError {
    fn from(e: super::transcode::Utf8Error) -> StringError {
        StringError::InvalidUtf8 { valid_up_to: e.valid_up_to }
    }
}
