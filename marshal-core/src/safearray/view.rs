//! Typed, zero-copy views of a SAFEARRAY's blittable elements with oleaut32's
//! multi-dimensional indexing: the element type and the shape are checked once
//! when the view is made, so each access is a bounds check and a load or store.

use core::marker::PhantomData;

use super::error::SafeArrayError;
use super::owned::SafeArray;
use super::{Bound, MAX_RANK};
use crate::blittable::Blittable;

/// The shape of a view: (lower bound, count) per dimension, dimension 1 first,
/// inline (no allocation, no indirection on access).
#[derive(Clone, Debug)]
struct Shape {
    dims: [(i32, u32); MAX_RANK as usize],
    rank: usize,
}

impl Shape {
    fn of(array: &SafeArray) -> Shape {
        let mut shape = Shape { dims: [(0, 0); MAX_RANK as usize], rank: 0 };
        for b in array.bounds().into_iter().take(MAX_RANK as usize) {
            shape.dims[shape.rank] = (b.lower, b.count);
            shape.rank += 1;
        }
        shape
    }

    #[inline(always)]
    fn dims(&self) -> &[(i32, u32)] {
        &self.dims[..self.rank.min(MAX_RANK as usize)]
    }

    /// The cell (column-major) of `idx`, or `None` if out of range.
    #[inline(always)]
    fn cell(&self, idx: &[i32]) -> Option<usize> {
        let dims = self.dims();
        if idx.len() != dims.len() {
            return None;
        }
        if let [(lower, count)] = dims[..] {
            let off = (idx[0] as i64).wrapping_sub(lower as i64);
            return if off >= 0 && off < count as i64 { Some(off as usize) } else { None };
        }
        let mut cell = 0usize;
        let mut stride = 1usize;
        for (&i, &(lower, count)) in idx.iter().zip(dims.iter()) {
            let off = (i as i64).wrapping_sub(lower as i64);
            if off < 0 || off >= count as i64 {
                return None;
            }
            // No overflow: the array's element count fits in usize.
            cell += off as usize * stride;
            stride *= count as usize;
        }
        Some(cell)
    }

    #[cold]
    #[inline(never)]
    fn error(&self, idx: &[i32]) -> SafeArrayError {
        if idx.len() != self.rank {
            return SafeArrayError::WrongIndexCount { expected: self.rank as u32, found: idx.len() };
        }
        for (d, (&index, &(lower, count))) in idx.iter().zip(self.dims()).enumerate() {
            let off = index as i64 - lower as i64;
            if off < 0 || off >= count as i64 {
                return SafeArrayError::BadIndex { dim: d as u32 + 1, index };
            }
        }
        SafeArrayError::BadIndex { dim: 1, index: idx[0] }
    }

    fn bounds(&self) -> Vec<Bound> {
        self.dims().iter().map(|&(lower, count)| Bound { lower, count }).collect()
    }
}

/// A read-only typed view of an array's elements ([`SafeArray::view`]). The
/// array stays locked while the view lives.
pub struct ArrayView<'a, T> {
    data: &'a [T],
    shape: Shape,
    array: &'a SafeArray,
}

/// A mutable typed view of an array's elements ([`SafeArray::view_mut`]). The
/// array stays locked while the view lives.
pub struct ArrayViewMut<'a, T> {
    data: &'a mut [T],
    shape: Shape,
    array: &'a SafeArray,
    _exclusive: PhantomData<&'a mut SafeArray>,
}

impl SafeArray {
    /// A locked, typed view of the elements (checked like
    /// [`SafeArray::with_data`]) with multi-dimensional indexing.
    ///
    /// ```
    /// use marshal_core::safearray::{Bound, SafeArray};
    /// let a = SafeArray::from_column_major(&[Bound::new(1, 2), Bound::new(0, 2)], &[1.0f64, 2.0, 3.0, 4.0])?;
    /// let v = a.view::<f64>()?;
    /// assert_eq!(v.get(&[2, 1])?, 4.0);
    /// assert_eq!(v.as_slice(), [1.0, 2.0, 3.0, 4.0]);
    /// # Ok::<(), marshal_core::safearray::SafeArrayError>(())
    /// ```
    pub fn view<T: Blittable>(&self) -> Result<ArrayView<'_, T>, SafeArrayError> {
        let (data, len) = self.blittable_data::<T>(false)?;
        self.lock()?;
        // SAFETY: as in `with_data`: non-null, aligned, `len` initialised elements whose
        // native form is T; the array is locked until the view is dropped.
        let data = unsafe { core::slice::from_raw_parts(data, len) };
        Ok(ArrayView { data, shape: Shape::of(self), array: self })
    }

    /// A locked, typed, mutable view of the elements (checked like
    /// [`SafeArray::with_data_mut`]) with multi-dimensional indexing.
    ///
    /// ```
    /// use marshal_core::safearray::{Bound, SafeArray};
    /// use marshal_core::VarType;
    /// let mut a = SafeArray::new(VarType::I4, &[Bound::new(-1, 3)])?;
    /// let mut v = a.view_mut::<i32>()?;
    /// for i in -1..=1 {
    ///     v.set(&[i], i * 10)?;
    /// }
    /// assert!(v.set(&[2], 0).is_err());
    /// drop(v);
    /// assert_eq!(a.to_vec::<i32>()?, [-10, 0, 10]);
    /// # Ok::<(), marshal_core::safearray::SafeArrayError>(())
    /// ```
    pub fn view_mut<T: Blittable>(&mut self) -> Result<ArrayViewMut<'_, T>, SafeArrayError> {
        let (data, len) = self.blittable_data::<T>(true)?;
        let array: &SafeArray = self;
        array.lock()?;
        // SAFETY: as in `with_data_mut`: the `&mut self` borrow is held by the view, so no
        // other access goes through this SafeArray; plain elements own nothing.
        let data = unsafe { core::slice::from_raw_parts_mut(data, len) };
        Ok(ArrayViewMut { data, shape: Shape::of(array), array, _exclusive: PhantomData })
    }
}

impl<T: Blittable> ArrayView<'_, T> {
    /// The element at `idx` (dimension 1 first).
    #[inline]
    pub fn get(&self, idx: &[i32]) -> Result<T, SafeArrayError> {
        match self.shape.cell(idx) {
            Some(cell) => Ok(self.data[cell]),
            None => Err(self.shape.error(idx)),
        }
    }

    /// The elements in memory order (column-major).
    pub fn as_slice(&self) -> &[T] {
        self.data
    }

    /// The bounds, dimension 1 first.
    pub fn bounds(&self) -> Vec<Bound> {
        self.shape.bounds()
    }
}

impl<T: Blittable> ArrayViewMut<'_, T> {
    /// The element at `idx` (dimension 1 first).
    #[inline]
    pub fn get(&self, idx: &[i32]) -> Result<T, SafeArrayError> {
        match self.shape.cell(idx) {
            Some(cell) => Ok(self.data[cell]),
            None => Err(self.shape.error(idx)),
        }
    }

    /// Stores `value` at `idx` (dimension 1 first).
    #[inline]
    pub fn set(&mut self, idx: &[i32], value: T) -> Result<(), SafeArrayError> {
        match self.shape.cell(idx) {
            Some(cell) => {
                self.data[cell] = value;
                Ok(())
            }
            None => Err(self.shape.error(idx)),
        }
    }

    /// The elements in memory order (column-major).
    pub fn as_slice(&self) -> &[T] {
        self.data
    }

    /// The elements in memory order (column-major), writable.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.data
    }

    /// The bounds, dimension 1 first.
    pub fn bounds(&self) -> Vec<Bound> {
        self.shape.bounds()
    }
}

impl<T> Drop for ArrayView<'_, T> {
    fn drop(&mut self) {
        // Balances the lock taken by `view`.
        let _ = self.array.unlock();
    }
}

impl<T> Drop for ArrayViewMut<'_, T> {
    fn drop(&mut self) {
        // Balances the lock taken by `view_mut`.
        let _ = self.array.unlock();
    }
}
