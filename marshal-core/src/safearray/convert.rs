//! Conversions between Rust collections and SAFEARRAYs.
//!
//! Memory order is column-major (dimension 1 fastest), as oleaut32 and the CLR
//! lay SAFEARRAYs out. `*_column_major` functions take / give data in that
//! order; `*_row_major` ones in the order of a .NET multi-dimensional array or
//! of nested Rust vectors (the last dimension fastest), transposing as the CLR does.

use super::element::{ElementType, FromElement, ToElement};
use super::error::SafeArrayError;
use super::owned::SafeArray;
use super::Bound;
use crate::vartype::VarType;

// SAFETY: a reference has the native form of what it refers to.
unsafe impl<T: ElementType + ?Sized> ElementType for &T {
    const VARTYPE: VarType = T::VARTYPE;
    const ELEMENT_SIZE: usize = T::ELEMENT_SIZE;
    #[inline]
    fn accepts(vt: VarType) -> bool {
        T::accepts(vt)
    }
}

// SAFETY: delegates to T's write.
unsafe impl<T: ToElement + ?Sized> ToElement for &T {
    #[inline]
    unsafe fn write_element(&self, dst: *mut u8) -> Result<(), SafeArrayError> {
        // SAFETY: per the trait contract.
        unsafe { (**self).write_element(dst) }
    }
}

impl SafeArray {
    /// A one-dimensional array (lower bound 0) holding copies of `values`,
    /// of the VARTYPE of `T` (`i32` → VT_I4, `String`/`&str` → VT_BSTR, …).
    ///
    /// ```
    /// use marshal_core::safearray::SafeArray;
    /// let a = SafeArray::from_slice(&[10i32, 20, 30])?;
    /// assert_eq!((a.dims(), a.lbound(1)?, a.ubound(1)?), (1, 0, 2));
    /// assert_eq!(a.to_vec::<i32>()?, [10, 20, 30]);
    /// # Ok::<(), marshal_core::safearray::SafeArrayError>(())
    /// ```
    pub fn from_slice<T: ToElement>(values: &[T]) -> Result<SafeArray, SafeArrayError> {
        Self::from_slice_with_lower(0, values)
    }

    /// As [`SafeArray::from_slice`], with lower bound `lower`.
    pub fn from_slice_with_lower<T: ToElement>(lower: i32, values: &[T]) -> Result<SafeArray, SafeArrayError> {
        let count = u32::try_from(values.len()).map_err(|_| SafeArrayError::SizeOverflow)?;
        let mut array = SafeArray::vector(T::VARTYPE, lower, count)?;
        array.fill_memory_order(values)?;
        Ok(array)
    }

    /// An array of the given bounds (dimension 1 first) holding `data` in
    /// memory order (column-major: dimension 1 fastest).
    pub fn from_column_major<T: ToElement>(bounds: &[Bound], data: &[T]) -> Result<SafeArray, SafeArrayError> {
        let mut array = SafeArray::new(T::VARTYPE, bounds)?;
        if array.len() != data.len() {
            return Err(SafeArrayError::ShapeMismatch { expected: array.len(), found: data.len() });
        }
        array.fill_memory_order(data)?;
        Ok(array)
    }

    /// An array of the given bounds (dimension 1 first) holding `data` in
    /// row-major order (the last dimension fastest: the order of a .NET
    /// `int[,]` or of nested vectors), transposed into the SAFEARRAY's
    /// column-major order as the CLR does.
    ///
    /// ```
    /// use marshal_core::safearray::{Bound, SafeArray};
    /// // C#: int[,] a = {{1, 2}, {3, 4}};  a[0,1] == 2
    /// let a = SafeArray::from_row_major(&[Bound::zero_based(2), Bound::zero_based(2)], &[1i32, 2, 3, 4])?;
    /// assert_eq!(a.get::<i32>(&[0, 1])?, 2);
    /// assert_eq!(a.to_vec::<i32>()?, [1, 3, 2, 4]); // memory order
    /// # Ok::<(), marshal_core::safearray::SafeArrayError>(())
    /// ```
    pub fn from_row_major<T: ToElement>(bounds: &[Bound], data: &[T]) -> Result<SafeArray, SafeArrayError> {
        let array = SafeArray::new(T::VARTYPE, bounds)?;
        if array.len() != data.len() {
            return Err(SafeArrayError::ShapeMismatch { expected: array.len(), found: data.len() });
        }
        let counts: Vec<usize> = bounds.iter().map(|b| b.count as usize).collect();
        let cb = array.element_size() as usize;
        let base = array.data_ptr() as *mut u8;
        if T::PLAIN {
            // A compile-time size: each copy is one load and one store.
            let size = core::mem::size_of::<T>();
            debug_assert_eq!(size, cb);
            let src = data.as_ptr() as *const u8;
            for_each_transposed(&counts, |cell, row| {
                // SAFETY: PLAIN: T's bytes are the element (size == cb); cell, row < len.
                unsafe { core::ptr::copy_nonoverlapping(src.add(row * size), base.add(cell * size), size) };
            });
            return Ok(array);
        }
        let mut result = Ok(());
        for_each_transposed(&counts, |cell, row| {
            if result.is_ok() {
                // SAFETY: cell < len; the array owns initialised (zeroed) elements of T's type.
                result = unsafe { data[row].write_element(base.add(cell * cb)) };
            }
        });
        result.map(|()| array)
    }

    /// A two-dimensional array from rows (dimension 1 = row, dimension 2 =
    /// column, lower bounds 0), as the CLR marshals a `T[,]`. Rows of unequal
    /// length are a [`SafeArrayError::ShapeMismatch`].
    pub fn from_rows<T: ToElement, R: AsRef<[T]>>(rows: &[R]) -> Result<SafeArray, SafeArrayError> {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        let mut flat = Vec::with_capacity(rows.len() * cols);
        for r in rows {
            let r = r.as_ref();
            if r.len() != cols {
                return Err(SafeArrayError::ShapeMismatch { expected: cols, found: r.len() });
            }
            flat.extend(r.iter());
        }
        let count = |n: usize| u32::try_from(n).map_err(|_| SafeArrayError::SizeOverflow);
        Self::from_row_major(&[Bound::zero_based(count(rows.len())?), Bound::zero_based(count(cols)?)], &flat)
    }

    /// Writes `values` over the elements in memory order (same count).
    fn fill_memory_order<T: ToElement>(&mut self, values: &[T]) -> Result<(), SafeArrayError> {
        debug_assert_eq!(self.len(), values.len());
        if values.is_empty() {
            return Ok(());
        }
        let cb = self.element_size() as usize;
        debug_assert_eq!(Some(cb as u32), Some(super::raw::vt_element_size(T::VARTYPE)));
        let base = self.data_ptr() as *mut u8;
        if T::PLAIN {
            // SAFETY: PLAIN: the elements are T's bytes, own nothing, and the data
            // holds len × cb = values.len() × size_of::<T>() bytes.
            unsafe { core::ptr::copy_nonoverlapping(values.as_ptr() as *const u8, base, values.len() * cb) };
            return Ok(());
        }
        for (i, v) in values.iter().enumerate() {
            // SAFETY: i < len; the array owns initialised elements of T's type.
            unsafe { v.write_element(base.add(i * cb))? };
        }
        Ok(())
    }

    /// Copies of every element in memory order (for one dimension, index
    /// order; for more, column-major). The element type must match `T`.
    pub fn to_vec<T: FromElement>(&self) -> Result<Vec<T>, SafeArrayError> {
        let info = self.checked_info::<T>()?;
        let cb = info.element_size as usize;
        let base = self.data_ptr() as *const u8;
        let mut out = Vec::with_capacity(info.len);
        if T::PLAIN {
            // SAFETY: PLAIN: each element is a valid T, byte for byte; the data holds
            // len × cb bytes and `out` has room for len T's of cb bytes each.
            unsafe {
                core::ptr::copy_nonoverlapping(base, out.as_mut_ptr() as *mut u8, info.byte_len);
                out.set_len(info.len);
            }
            return Ok(out);
        }
        for i in 0..info.len {
            // SAFETY: validated: i < len elements of a type T accepts.
            out.push(unsafe { T::read_element(base.add(i * cb))? });
        }
        Ok(out)
    }

    /// Copies of every element in row-major order (the last dimension
    /// fastest: the order of a .NET multi-dimensional array).
    pub fn to_row_major<T: FromElement>(&self) -> Result<Vec<T>, SafeArrayError> {
        let info = self.checked_info::<T>()?;
        let cb = info.element_size as usize;
        let base = self.data_ptr() as *const u8;
        let counts: Vec<usize> = info.bounds.iter().map(|b| b.count as usize).collect();
        if T::PLAIN {
            let size = core::mem::size_of::<T>();
            debug_assert_eq!(size, cb);
            let mut out: Vec<T> = Vec::with_capacity(info.len);
            let dst = out.as_mut_ptr() as *mut u8;
            for_each_transposed(&counts, |cell, row| {
                // SAFETY: PLAIN: each element is a valid T byte for byte (size == cb); cell, row < len.
                unsafe { core::ptr::copy_nonoverlapping(base.add(cell * size), dst.add(row * size), size) };
            });
            // SAFETY: every one of the len slots was written exactly once.
            unsafe { out.set_len(info.len) };
            return Ok(out);
        }
        let mut slots: Vec<Option<T>> = (0..info.len).map(|_| None).collect();
        let mut result = Ok(());
        for_each_transposed(&counts, |cell, row| {
            if result.is_ok() {
                // SAFETY: validated: cell < len elements of a type T accepts.
                match unsafe { T::read_element(base.add(cell * cb)) } {
                    Ok(v) => slots[row] = Some(v),
                    Err(e) => result = Err(e),
                }
            }
        });
        result?;
        Ok(slots.into_iter().map(|v| v.expect("every row-major slot is visited once")).collect())
    }

    /// The rows of a two-dimensional array (dimension 1 = row), as a .NET
    /// `T[,]` reads it. Other ranks are a [`SafeArrayError::RankMismatch`].
    pub fn to_rows<T: FromElement>(&self) -> Result<Vec<Vec<T>>, SafeArrayError> {
        if self.dims() != 2 {
            return Err(SafeArrayError::RankMismatch { expected: 2, found: self.dims() });
        }
        let cols = self.bound(2)?.count as usize;
        let flat = self.to_row_major::<T>()?;
        if cols == 0 {
            return Ok((0..self.bound(1)?.count).map(|_| Vec::new()).collect());
        }
        let mut rows = Vec::with_capacity(flat.len() / cols);
        let mut it = flat.into_iter();
        loop {
            let row: Vec<T> = it.by_ref().take(cols).collect();
            if row.is_empty() {
                break;
            }
            rows.push(row);
        }
        Ok(rows)
    }

    /// Validates the array and checks `T` against its element type.
    fn checked_info<T: FromElement>(&self) -> Result<super::ArrayInfo, SafeArrayError> {
        let info = self.info()?;
        match info.vartype {
            Some(vt) if T::accepts(vt) && info.element_size == super::raw::vt_element_size(vt) => Ok(info),
            found => Err(SafeArrayError::TypeMismatch {
                expected: format!("{:?}", T::VARTYPE),
                found,
                element_size: info.element_size,
            }),
        }
    }
}

/// Visits every cell of an array of the given counts (dimension 1 first) with
/// its column-major index (`cell`, dimension 1 fastest) and its row-major index
/// (`row`, last dimension fastest).
pub(crate) fn for_each_transposed(counts: &[usize], mut visit: impl FnMut(usize, usize)) {
    let total: usize = counts.iter().product();
    if total == 0 || counts.is_empty() {
        return;
    }
    let n = counts.len();
    // Row-major stride of each dimension.
    let mut row_stride = vec![1usize; n];
    for d in (0..n - 1).rev() {
        row_stride[d] = row_stride[d + 1] * counts[d + 1];
    }
    let (c0, s0) = (counts[0], row_stride[0]);
    let mut index = vec![0usize; n];
    let mut row_base = 0usize;
    let mut cell = 0usize;
    loop {
        // Dimension 1 (fastest in memory) in the inner loop.
        let mut row = row_base;
        for _ in 0..c0 {
            visit(cell, row);
            cell += 1;
            row += s0;
        }
        // Odometer over dimensions 2…n.
        let mut d = 1;
        loop {
            if d == n {
                return;
            }
            index[d] += 1;
            row_base += row_stride[d];
            if index[d] < counts[d] {
                break;
            }
            row_base -= row_stride[d] * counts[d];
            index[d] = 0;
            d += 1;
        }
    }
}
