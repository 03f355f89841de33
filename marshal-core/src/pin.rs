//! Zero-copy passing of blittable data: views that hand native code a pointer to
//! the caller's own memory, with no copy and no allocation, for exactly as long
//! as the borrow lives.
//!
//! This is what the CLR does when it pins a blittable array or a `ref` to a
//! blittable struct. In Rust the borrow checker already keeps the memory in
//! place; the views add the type-level guarantee that only [`Blittable`] data is
//! handed out this way, and they are `#[repr(transparent)]` over the raw pointer,
//! so they can appear directly as parameters of `extern "C"` declarations:
//!
//! ```
//! use marshal_core::pin::{InPtr, pin_slice};
//!
//! // A native function `double sum(const double *p, size_t n)` declared with the view type:
//! extern "C" fn sum(p: InPtr<'_, f64>, n: usize) -> f64 {
//!     // (a Rust stand-in for the native side)
//!     (0..n).map(|i| unsafe { *p.as_ptr().add(i) }).sum()
//! }
//! let data = [1.0, 2.0, 3.5];
//! let view = pin_slice(&data);
//! assert_eq!(view.as_ptr(), data.as_ptr()); // the caller's memory, not a copy
//! assert_eq!(sum(view.ptr(), view.len()), 6.5);
//! ```

use core::marker::PhantomData;

use crate::blittable::Blittable;

/// A `*const T` valid for `'a`, for an `[In]` pointer parameter.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct InPtr<'a, T> {
    ptr: *const T,
    _borrow: PhantomData<&'a T>,
}

impl<'a, T: Blittable> InPtr<'a, T> {
    /// The raw pointer.
    pub fn as_ptr(self) -> *const T {
        self.ptr
    }
}

/// A `*mut T` valid for `'a` with exclusive access, for an `[In, Out]` pointer parameter.
#[repr(transparent)]
#[derive(Debug)]
pub struct InOutPtr<'a, T> {
    ptr: *mut T,
    _borrow: PhantomData<&'a mut T>,
}

impl<'a, T: Blittable> InOutPtr<'a, T> {
    /// The raw pointer.
    pub fn as_mut_ptr(&self) -> *mut T {
        self.ptr
    }
}

/// A borrowed blittable slice seen as native memory: pointer + length.
#[derive(Clone, Copy, Debug)]
pub struct NativeSlice<'a, T> {
    slice: &'a [T],
}

impl<'a, T: Blittable> NativeSlice<'a, T> {
    /// Pointer to the first element. Never null, even for an empty slice (as the
    /// CLR passes a non-null pointer for an empty array).
    pub fn as_ptr(&self) -> *const T {
        self.slice.as_ptr()
    }
    /// The pointer as an `extern "C"`-ready parameter.
    pub fn ptr(&self) -> InPtr<'a, T> {
        InPtr { ptr: self.slice.as_ptr(), _borrow: PhantomData }
    }
    /// Element count.
    pub fn len(&self) -> usize {
        self.slice.len()
    }
    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.slice.is_empty()
    }
    /// Size in bytes.
    pub fn byte_len(&self) -> usize {
        core::mem::size_of_val(self.slice)
    }
    /// The bytes, as native code sees them.
    pub fn as_bytes(&self) -> &'a [u8] {
        bytemuck::cast_slice(self.slice)
    }
}

/// A mutably borrowed blittable slice seen as native memory (an `[In, Out]` array).
#[derive(Debug)]
pub struct NativeSliceMut<'a, T> {
    slice: &'a mut [T],
}

impl<'a, T: Blittable> NativeSliceMut<'a, T> {
    /// Pointer to the first element; never null.
    pub fn as_mut_ptr(&mut self) -> *mut T {
        self.slice.as_mut_ptr()
    }
    /// The pointer as an `extern "C"`-ready parameter, borrowing this view.
    pub fn ptr(&mut self) -> InOutPtr<'_, T> {
        InOutPtr { ptr: self.slice.as_mut_ptr(), _borrow: PhantomData }
    }
    /// Element count.
    pub fn len(&self) -> usize {
        self.slice.len()
    }
    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.slice.is_empty()
    }
}

/// Lends `slice` to native code without copying.
pub fn pin_slice<T: Blittable>(slice: &[T]) -> NativeSlice<'_, T> {
    NativeSlice { slice }
}

/// Lends `slice` to native code for reading and writing without copying.
pub fn pin_slice_mut<T: Blittable>(slice: &mut [T]) -> NativeSliceMut<'_, T> {
    NativeSliceMut { slice }
}

/// Lends one value by pointer (`ref` of a blittable struct, `[In]`).
pub fn pin_ref<T: Blittable>(value: &T) -> InPtr<'_, T> {
    InPtr { ptr: value, _borrow: PhantomData }
}

/// Lends one value by pointer for reading and writing (`ref`, `[In, Out]`).
pub fn pin_mut<T: Blittable>(value: &mut T) -> InOutPtr<'_, T> {
    InOutPtr { ptr: value, _borrow: PhantomData }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, crate::Blittable)]
    struct Rect {
        left: i32,
        top: i32,
        right: i32,
        bottom: i32,
    }

    extern "C" fn inflate(r: InOutPtr<'_, Rect>, by: i32) {
        // SAFETY: the view points at a live, exclusively borrowed Rect.
        let r = unsafe { &mut *r.as_mut_ptr() };
        r.left -= by;
        r.top -= by;
        r.right += by;
        r.bottom += by;
    }

    #[test]
    fn the_callee_writes_into_the_callers_own_struct() {
        let mut rect = Rect { left: 10, top: 10, right: 20, bottom: 20 };
        let addr = &rect as *const Rect;
        let view = pin_mut(&mut rect);
        assert_eq!(view.as_mut_ptr() as *const Rect, addr);
        inflate(view, 2);
        assert_eq!(rect, Rect { left: 8, top: 8, right: 22, bottom: 22 });
    }

    #[test]
    fn empty_slices_still_get_a_non_null_pointer() {
        let empty: [u64; 0] = [];
        assert!(!pin_slice(&empty).as_ptr().is_null());
        assert_eq!(pin_slice(&[1u16, 2, 3]).as_bytes(), &[1, 0, 2, 0, 3, 0]);
    }
}
