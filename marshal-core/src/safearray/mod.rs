//! SAFEARRAY: OLE Automation's self-describing, multi-dimensional array,
//! byte for byte as oleaut32 lays it out.
//!
//! Three layers:
//!
//! - [`raw`]: the native [`SAFEARRAY`] / [`SAFEARRAYBOUND`] and the oleaut32
//!   functions over raw pointers (`safe_array_create` = `SafeArrayCreate`, …),
//!   with oleaut32's HRESULTs; the C-ABI crate exports them as they are.
//! - [`SafeArray`]: an owned array (drop = `SafeArrayDestroy`) with checked
//!   multi-dimensional get/put, bounds, locking, redim, deep copy, and
//!   zero-copy views of blittable elements ([`SafeArray::with_data`],
//!   [`SafeArray::view`] / [`SafeArray::view_mut`] with multi-dimensional indexing).
//! - Conversions ([`SafeArray::from_slice`], [`SafeArray::to_vec`], row-major /
//!   column-major N-D data, strings ↔ BSTR arrays) and the marshaler of
//!   `TypeDesc::SafeArray(vt)` parameters and fields ([`marshal`]).
//!
//! Descriptors from native code are untrusted: [`validate`] checks one (and
//! [`SafeArray::from_raw`] validates before taking ownership) before any element
//! is touched.
//!
//! **Element order.** Indices are given dimension 1 first (`idx[0]` is
//! dimension 1, as `SafeArrayPutElement`'s `rgIndices`), the bounds are stored
//! reversed in the descriptor (`rgsabound[0]` is the last dimension), and the
//! data is column-major: the index of dimension 1 varies fastest. A .NET
//! `int[,]` (row-major) is transposed on the way, as the CLR does
//! ([`SafeArray::from_row_major`]).
//!
//! **Memory.** Descriptors and data come from the C heap (the project's
//! CoTaskMem on Linux), 16 hidden bytes before each descriptor, as oleaut32.

pub(crate) mod elements;
mod mem;

mod convert;
mod element;
mod error;
pub mod marshal;
mod owned;
pub mod raw;
mod validate;
pub mod variant_array;
mod view;

#[cfg(test)]
mod tests;

pub use element::{ElementType, FromElement, ToElement};
pub use error::SafeArrayError;
pub use owned::SafeArray;
pub use raw::{SAFEARRAY, SAFEARRAYBOUND};
pub use validate::{validate, ArrayInfo};
pub use view::{ArrayView, ArrayViewMut};

/// The largest number of dimensions the safe layer creates or accepts from
/// native code: the CLR's maximum array rank. (oleaut32 itself allows 65535;
/// [`raw`] does too.) A hostile `cDims` beyond this is refused before its
/// bounds are read.
pub const MAX_RANK: u32 = 32;

/// One dimension's bounds: its lower bound and element count.
///
/// Note the order of [`Bound::new`]: lower bound first (the native
/// [`SAFEARRAYBOUND`] stores the count first).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bound {
    /// The index of the first element (may be negative).
    pub lower: i32,
    /// The number of elements.
    pub count: u32,
}

impl Bound {
    /// `count` elements starting at index `lower`.
    pub const fn new(lower: i32, count: u32) -> Bound {
        Bound { lower, count }
    }

    /// `count` elements starting at index 0.
    pub const fn zero_based(count: u32) -> Bound {
        Bound { lower: 0, count }
    }

    /// The last index (`lower + count - 1`), `None` when the dimension is empty
    /// or the index overflows `i32`.
    pub fn upper(self) -> Option<i32> {
        if self.count == 0 {
            return None;
        }
        i32::try_from(self.lower as i64 + self.count as i64 - 1).ok()
    }
}
