//! [`SafeArrayError`]: why a SAFEARRAY operation or a native descriptor was refused.

use core::fmt;

use crate::hresult::Hresult;
use crate::vartype::VarType;

/// Why a SAFEARRAY operation failed, or why a descriptor received from native
/// code was rejected. [`SafeArrayError::hresult`] gives the HRESULT oleaut32 or
/// the CLR reports for the same condition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SafeArrayError {
    /// A null `SAFEARRAY*` where an array is required.
    Null,
    /// `cDims` is 0.
    NoDimensions,
    /// More dimensions than the engine accepts ([`super::MAX_RANK`]).
    TooManyDimensions {
        /// `cDims` as found.
        dims: u32,
        /// The limit.
        max: u32,
    },
    /// A VARTYPE a SAFEARRAY cannot hold (`VT_EMPTY`, `VT_NULL`, flagged types, …).
    UnsupportedVarType(VarType),
    /// The descriptor carries no element type (no FADF_HAVEVARTYPE, FADF_HAVEIID or FADF_RECORD).
    NoVarType,
    /// `cbElements` is not the size the element type requires.
    ElementSizeMismatch {
        /// The element type, when the descriptor names one.
        vt: Option<VarType>,
        /// The size the type (or the FADF element flag) requires.
        expected: u32,
        /// `cbElements` as found.
        found: u32,
    },
    /// The FADF flags contradict each other or the element type (e.g. FADF_BSTR
    /// together with FADF_VARIANT, or VT_BSTR without FADF_BSTR).
    InconsistentFeatures {
        /// `fFeatures` as found.
        features: u16,
    },
    /// The element count or the byte size overflows (`count × cbElements`).
    SizeOverflow,
    /// A dimension whose last index does not fit in an `i32` (`lLbound + cElements - 1`).
    BoundOverflow {
        /// The dimension (1-based).
        dim: u32,
        /// Its lower bound.
        lower: i32,
        /// Its element count.
        count: u32,
    },
    /// `pvData` is null (or the vector's data was deleted) while the bounds describe elements.
    NullData {
        /// The number of elements the bounds describe.
        elements: usize,
    },
    /// An index outside its dimension's bounds (`DISP_E_BADINDEX`).
    BadIndex {
        /// The dimension (1-based).
        dim: u32,
        /// The index given.
        index: i32,
    },
    /// The number of indices is not the number of dimensions (`DISP_E_BADINDEX`).
    WrongIndexCount {
        /// The array's dimension count.
        expected: u32,
        /// Indices given.
        found: usize,
    },
    /// A dimension number outside `1..=dims` (`DISP_E_BADINDEX`).
    BadDimension {
        /// The dimension asked for.
        dim: u32,
        /// The array's dimension count.
        dims: u32,
    },
    /// The array is locked (`DISP_E_ARRAYISLOCKED`): it cannot be destroyed,
    /// redimensioned or taken over.
    Locked {
        /// The lock count.
        locks: u32,
    },
    /// The array is FADF_FIXEDSIZE (or its memory is not its own) and cannot be
    /// resized (`DISP_E_ARRAYISLOCKED`, as oleaut32).
    FixedSize,
    /// Unlock without a lock (`E_UNEXPECTED`).
    NotLocked,
    /// More than 65535 locks (`E_UNEXPECTED`).
    TooManyLocks,
    /// The array's element type is not the one asked for
    /// (`SafeArrayTypeMismatchException`).
    TypeMismatch {
        /// What was asked for (a VARTYPE name or a Rust type).
        expected: String,
        /// The array's element type, if it has one.
        found: Option<VarType>,
        /// The array's element size.
        element_size: u32,
    },
    /// The array does not have the rank asked for (`SafeArrayRankMismatchException`).
    RankMismatch {
        /// The rank asked for.
        expected: u32,
        /// The array's rank.
        found: u32,
    },
    /// The data pointer is not aligned for the element type asked for.
    Misaligned {
        /// The alignment required.
        align: usize,
    },
    /// The data given does not have as many elements as the shape describes.
    ShapeMismatch {
        /// Elements the shape describes.
        expected: usize,
        /// Elements given.
        found: usize,
    },
    /// Allocation failed (`E_OUTOFMEMORY`).
    OutOfMemory,
    /// An element could not be copied or converted (the HRESULT of the element
    /// operation: `VariantCopy`, BSTR allocation, `IRecordInfo::RecordCopy`, …).
    Element(Hresult),
}

impl SafeArrayError {
    /// The HRESULT oleaut32 (or, for the type and rank checks, the CLR) reports for this condition.
    pub fn hresult(&self) -> Hresult {
        use SafeArrayError::*;
        match self {
            Null => Hresult::E_POINTER,
            NoDimensions | TooManyDimensions { .. } | NoVarType | ElementSizeMismatch { .. } => Hresult::E_INVALIDARG,
            InconsistentFeatures { .. } | SizeOverflow | BoundOverflow { .. } | NullData { .. } => {
                Hresult::E_INVALIDARG
            }
            Misaligned { .. } | ShapeMismatch { .. } => Hresult::E_INVALIDARG,
            UnsupportedVarType(_) => Hresult::DISP_E_BADVARTYPE,
            BadIndex { .. } | WrongIndexCount { .. } | BadDimension { .. } => Hresult::DISP_E_BADINDEX,
            Locked { .. } | FixedSize => Hresult::DISP_E_ARRAYISLOCKED,
            NotLocked | TooManyLocks => Hresult::E_UNEXPECTED,
            TypeMismatch { .. } => Hresult::COR_E_SAFEARRAYTYPEMISMATCH,
            RankMismatch { .. } => Hresult::COR_E_SAFEARRAYRANKMISMATCH,
            OutOfMemory => Hresult::E_OUTOFMEMORY,
            Element(hr) => *hr,
        }
    }
}

impl fmt::Display for SafeArrayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SafeArrayError::*;
        match self {
            Null => f.write_str("null SAFEARRAY pointer"),
            NoDimensions => f.write_str("SAFEARRAY with 0 dimensions"),
            TooManyDimensions { dims, max } => write!(f, "SAFEARRAY with {dims} dimensions (at most {max} accepted)"),
            UnsupportedVarType(vt) => write!(f, "a SAFEARRAY cannot hold elements of type {vt:?}"),
            NoVarType => f.write_str("SAFEARRAY without element type information"),
            ElementSizeMismatch { vt: Some(vt), expected, found } => {
                write!(f, "SAFEARRAY of {vt:?} with cbElements {found} (expected {expected})")
            }
            ElementSizeMismatch { vt: None, expected, found } => {
                write!(f, "SAFEARRAY with cbElements {found} where its element flags require {expected}")
            }
            InconsistentFeatures { features } => write!(f, "SAFEARRAY with contradictory fFeatures 0x{features:04x}"),
            SizeOverflow => f.write_str("SAFEARRAY element count × element size overflows"),
            BoundOverflow { dim, lower, count } => {
                write!(f, "SAFEARRAY dimension {dim}: lower bound {lower} + {count} elements overflows a 32-bit index")
            }
            NullData { elements } => write!(f, "SAFEARRAY with {elements} elements but no data"),
            BadIndex { dim, index } => write!(f, "index {index} is outside dimension {dim} (DISP_E_BADINDEX)"),
            WrongIndexCount { expected, found } => {
                write!(f, "{found} indices for a {expected}-dimensional SAFEARRAY (DISP_E_BADINDEX)")
            }
            BadDimension { dim, dims } => {
                write!(f, "dimension {dim} of a {dims}-dimensional SAFEARRAY (DISP_E_BADINDEX)")
            }
            Locked { locks } => write!(f, "SAFEARRAY is locked ({locks} locks; DISP_E_ARRAYISLOCKED)"),
            FixedSize => f.write_str("SAFEARRAY has a fixed size (DISP_E_ARRAYISLOCKED)"),
            NotLocked => f.write_str("SAFEARRAY unlocked without a lock (E_UNEXPECTED)"),
            TooManyLocks => f.write_str("SAFEARRAY lock count exhausted (E_UNEXPECTED)"),
            TypeMismatch { expected, found: Some(vt), element_size } => {
                write!(f, "SAFEARRAY of {vt:?} ({element_size}-byte elements) where {expected} was expected")
            }
            TypeMismatch { expected, found: None, element_size } => {
                write!(f, "untyped SAFEARRAY ({element_size}-byte elements) where {expected} was expected")
            }
            RankMismatch { expected, found } => {
                write!(f, "SAFEARRAY of rank {found} where rank {expected} was expected")
            }
            Misaligned { align } => write!(f, "SAFEARRAY data is not aligned to {align} bytes"),
            ShapeMismatch { expected, found } => write!(f, "{found} elements given for a shape of {expected}"),
            OutOfMemory => f.write_str("out of memory allocating a SAFEARRAY"),
            Element(hr) => write!(f, "SAFEARRAY element operation failed: {hr}"),
        }
    }
}

impl std::error::Error for SafeArrayError {}

impl From<SafeArrayError> for Hresult {
    fn from(e: SafeArrayError) -> Hresult {
        e.hresult()
    }
}
