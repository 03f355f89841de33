//! [`SafeArray`]: an owned SAFEARRAY.

use core::ffi::c_void;
use core::fmt;
use core::marker::PhantomData;
use core::mem::{align_of, size_of, ManuallyDrop};
use core::ptr::NonNull;

use super::element::{ElementType, FromElement, ToElement};
use super::elements::ElemKind;
use super::error::SafeArrayError;
use super::raw::{self, SAFEARRAY, SAFEARRAYBOUND};
use super::validate::{validate, ArrayInfo};
use super::{Bound, MAX_RANK};
use crate::blittable::Blittable;
use crate::hresult::Hresult;
use crate::types::{Prim, TypeDesc};
use crate::vartype::VarType;

/// An owned SAFEARRAY: a descriptor and its data, with its elements (BSTRs,
/// VARIANTs, interface pointers) owned too. Dropping it destroys everything, as
/// `SafeArrayDestroy`.
///
/// The layout is the native one ([`SAFEARRAY`]); `SafeArray` is
/// `#[repr(transparent)]` over a non-null `SAFEARRAY*`, so `Option<SafeArray>`
/// can stand for a `SAFEARRAY*` in `extern "C"` signatures.
///
/// Indices follow oleaut32: `idx[0]` is dimension 1, and dimension 1 varies
/// fastest in memory (column-major). Dimension numbers are 1-based.
///
/// ```
/// use marshal_core::safearray::{Bound, SafeArray};
/// use marshal_core::VarType;
///
/// // A 2 × 3 array of VT_I4 with lower bounds 1 and -1.
/// let mut a = SafeArray::new(VarType::I4, &[Bound::new(1, 2), Bound::new(-1, 3)])?;
/// a.put(&[2, 1], &42i32)?;
/// assert_eq!(a.get::<i32>(&[2, 1])?, 42);
/// assert_eq!((a.lbound(2)?, a.ubound(2)?), (-1, 1));
/// // Column-major: element (2, 1) is cell (2-1) + (1-(-1)) * 2 = 5.
/// a.with_data(|cells: &[i32]| assert_eq!(cells[5], 42))?;
/// # Ok::<(), marshal_core::safearray::SafeArrayError>(())
/// ```
#[repr(transparent)]
pub struct SafeArray {
    ptr: NonNull<SAFEARRAY>,
    // Elements may be COM interface pointers: not Send / Sync.
    _not_send: PhantomData<*mut SAFEARRAY>,
}

impl SafeArray {
    /// A new array of `vt` with the given bounds (dimension 1 first), every
    /// element zeroed (null BSTRs, VT_EMPTY VARIANTs, null interfaces), as
    /// `SafeArrayCreate`.
    ///
    /// Refused: no bounds or more than [`MAX_RANK`]; a VARTYPE a SAFEARRAY
    /// cannot hold (and `VT_RECORD`, which needs an `IRecordInfo`); a
    /// dimension whose last index overflows `i32`; a size that overflows.
    pub fn new(vt: VarType, bounds: &[Bound]) -> Result<SafeArray, SafeArrayError> {
        check_create(vt, bounds)?;
        let mut native: smallvec::SmallVec<[SAFEARRAYBOUND; 4]> = smallvec::SmallVec::with_capacity(bounds.len());
        native.extend(bounds.iter().map(|b| SAFEARRAYBOUND { cElements: b.count, lLbound: b.lower }));
        // SAFETY: `native` holds bounds.len() bounds.
        let psa = unsafe { raw::safe_array_create(vt, bounds.len() as u32, native.as_ptr()) };
        NonNull::new(psa).map(Self::from_nonnull).ok_or(SafeArrayError::OutOfMemory)
    }

    /// A one-dimensional array of `count` zeroed elements with lower bound
    /// `lower`, descriptor and data in one allocation (`SafeArrayCreateVector`).
    pub fn vector(vt: VarType, lower: i32, count: u32) -> Result<SafeArray, SafeArrayError> {
        check_create(vt, &[Bound::new(lower, count)])?;
        let psa = raw::safe_array_create_vector(vt, lower, count);
        NonNull::new(psa).map(Self::from_nonnull).ok_or(SafeArrayError::OutOfMemory)
    }

    fn from_nonnull(ptr: NonNull<SAFEARRAY>) -> SafeArray {
        SafeArray { ptr, _not_send: PhantomData }
    }

    /// Takes ownership of a descriptor received from native code after
    /// [`validate`]-ing it; a locked array is refused
    /// ([`SafeArrayError::Locked`]: it could not be destroyed). On error
    /// nothing is freed or changed: the pointer still belongs to the caller.
    ///
    /// # Safety
    ///
    /// As [`validate`]; in addition the descriptor and data were allocated the
    /// way this module allocates them (the project's allocator, 16 hidden bytes
    /// before the descriptor) or are flagged as not owned, the elements are
    /// initialised, and nobody else owns the array.
    pub unsafe fn from_raw(psa: *mut SAFEARRAY) -> Result<SafeArray, SafeArrayError> {
        // SAFETY: per the caller.
        let info = unsafe { validate(psa)? };
        if info.locks != 0 {
            return Err(SafeArrayError::Locked { locks: info.locks });
        }
        // `validate` refused null.
        Ok(Self::from_nonnull(NonNull::new(psa).ok_or(SafeArrayError::Null)?))
    }

    /// Takes ownership of a descriptor without validating it.
    ///
    /// # Safety
    ///
    /// `psa` is a valid, consistent SAFEARRAY owned by nobody else (for
    /// example one returned by [`SafeArray::into_raw`]).
    pub unsafe fn from_raw_unchecked(psa: NonNull<SAFEARRAY>) -> SafeArray {
        Self::from_nonnull(psa)
    }

    /// Gives up ownership; the caller must destroy the array
    /// (`SafeArrayDestroy`, or [`SafeArray::from_raw_unchecked`] and drop).
    pub fn into_raw(self) -> *mut SAFEARRAY {
        ManuallyDrop::new(self).ptr.as_ptr()
    }

    /// The descriptor (still owned by `self`).
    pub fn as_ptr(&self) -> *mut SAFEARRAY {
        self.ptr.as_ptr()
    }

    #[inline]
    fn raw(&self) -> *mut SAFEARRAY {
        self.ptr.as_ptr()
    }

    /// Number of dimensions (`SafeArrayGetDim`).
    pub fn dims(&self) -> u32 {
        // SAFETY: `self` owns a valid descriptor.
        unsafe { (*self.raw()).cDims as u32 }
    }

    /// Size of one element in bytes (`SafeArrayGetElemsize`).
    pub fn element_size(&self) -> u32 {
        // SAFETY: `self` owns a valid descriptor.
        unsafe { (*self.raw()).cbElements }
    }

    /// The element VARTYPE (`SafeArrayGetVartype`), if the array carries one.
    pub fn vartype(&self) -> Option<VarType> {
        // SAFETY: `self` owns a valid descriptor with its hidden area.
        unsafe { raw::vartype_of(self.raw()) }
    }

    /// The FADF flags.
    pub fn features(&self) -> u16 {
        // SAFETY: `self` owns a valid descriptor.
        unsafe { (*self.raw()).fFeatures }
    }

    /// The current lock count.
    pub fn lock_count(&self) -> u32 {
        // SAFETY: `self` owns a valid descriptor.
        unsafe { (*self.raw()).cLocks }
    }

    /// The bounds of dimension `dim` (1-based).
    pub fn bound(&self, dim: u32) -> Result<Bound, SafeArrayError> {
        let dims = self.dims();
        if dim == 0 || dim > dims {
            return Err(SafeArrayError::BadDimension { dim, dims });
        }
        // SAFETY: dims - dim < cDims.
        let b = unsafe { *raw::bound_ptr(self.raw(), (dims - dim) as usize) };
        Ok(Bound { lower: b.lLbound, count: b.cElements })
    }

    /// Lower bound of dimension `dim` (1-based), as `SafeArrayGetLBound`.
    pub fn lbound(&self, dim: u32) -> Result<i32, SafeArrayError> {
        Ok(self.bound(dim)?.lower)
    }

    /// Upper bound of dimension `dim` (1-based), as `SafeArrayGetUBound`
    /// (`lower - 1` for an empty dimension).
    pub fn ubound(&self, dim: u32) -> Result<i32, SafeArrayError> {
        let b = self.bound(dim)?;
        Ok(b.lower.wrapping_add(b.count as i32).wrapping_sub(1))
    }

    /// Every dimension's bounds, dimension 1 first.
    pub fn bounds(&self) -> Vec<Bound> {
        (1..=self.dims()).map(|d| self.bound(d).expect("dimension in range")).collect()
    }

    /// Number of elements (the product of the dimensions' counts).
    pub fn len(&self) -> usize {
        // SAFETY: `self` owns a consistent descriptor, whose cell count fits.
        unsafe { raw::cell_count(self.raw()).unwrap_or(0) }
    }

    /// `true` when some dimension is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What [`validate`] reports for this array.
    pub fn info(&self) -> Result<ArrayInfo, SafeArrayError> {
        // SAFETY: `self` owns a valid descriptor.
        unsafe { validate(self.raw()) }
    }

    /// Increments the lock count (`SafeArrayLock`); returns the new count.
    /// While locked, the array cannot be destroyed or redimensioned (by this
    /// API or by native code), and dropping it leaks it instead.
    pub fn lock(&self) -> Result<u32, SafeArrayError> {
        // SAFETY: `self` owns a valid descriptor.
        match unsafe { raw::safe_array_lock(self.raw()) } {
            hr if hr.is_ok() => Ok(self.lock_count()),
            _ => Err(SafeArrayError::TooManyLocks),
        }
    }

    /// Decrements the lock count (`SafeArrayUnlock`); returns the new count.
    pub fn unlock(&self) -> Result<u32, SafeArrayError> {
        // SAFETY: `self` owns a valid descriptor.
        match unsafe { raw::safe_array_unlock(self.raw()) } {
            hr if hr.is_ok() => Ok(self.lock_count()),
            _ => Err(SafeArrayError::NotLocked),
        }
    }

    /// The address of the element at `idx` of a one-dimensional array whose
    /// elements are exactly `T`'s (hidden VARTYPE `T::VARTYPE`, element size
    /// `T::ELEMENT_SIZE`), data present, index in range; `None` for anything
    /// else, which [`SafeArray::slot_general`] then answers. Every check is a
    /// load and a comparison on the descriptor (the descriptor is not trusted to
    /// have kept its shape since the last call: native code may have changed it
    /// through [`SafeArray::as_ptr`]), so `get` / `put` inline into loops as a
    /// few comparisons and one load or store.
    #[inline(always)]
    fn vector_slot<T: ElementType + ?Sized>(&self, idx: &[i32]) -> Option<*mut u8> {
        if !cfg!(target_endian = "little") || idx.len() != 1 {
            return None;
        }
        // cDims, fFeatures and cbElements are the first 8 bytes of the descriptor
        // (little-endian): one dimension, a hidden VARTYPE that no record or IID
        // overrides, data not deleted, elements of T's size.
        const FLAGS: u64 =
            (raw::FADF_RECORD | raw::FADF_HAVEIID | raw::FADF_HAVEVARTYPE | raw::FADF_DATADELETED) as u64;
        const MASK: u64 = 0xFFFF | (FLAGS << 16) | (0xFFFF_FFFF << 32);
        let want = 1 | ((raw::FADF_HAVEVARTYPE as u64) << 16) | ((T::ELEMENT_SIZE as u64) << 32);
        let psa = self.raw();
        // SAFETY: `self` owns a valid descriptor: its first 8 bytes, its one bound and
        // pvData are readable, and its hidden VARTYPE is (FADF_HAVEVARTYPE is set) when it
        // is read.
        unsafe {
            if (psa as *const u64).read_unaligned() & MASK != want || raw::hidden_vartype(psa) != T::VARTYPE {
                return None;
            }
            let bound = *raw::bound_ptr(psa, 0);
            let offset = (idx[0] as i64).wrapping_sub(bound.lLbound as i64) as u64;
            if offset >= bound.cElements as u64 {
                return None;
            }
            let data = (*psa).pvData as *mut u8;
            if data.is_null() {
                return None;
            }
            // offset < cElements, and the data holds cElements elements of ELEMENT_SIZE bytes.
            Some(data.add(offset as usize * T::ELEMENT_SIZE))
        }
    }

    /// The address of the element at `idx` (dimension 1 first) for an element of
    /// type `T`, by the general walk over every dimension, or why not. Answers
    /// what [`SafeArray::vector_slot`] answers where that one answers.
    #[inline]
    fn slot_general<T: ElementType + ?Sized>(&self, idx: &[i32]) -> Result<*mut u8, SafeArrayError> {
        let psa = self.raw();
        // SAFETY: `self` owns a valid, consistent descriptor with cDims bounds and its hidden area.
        let found = unsafe {
            let cb = (*psa).cbElements as usize;
            let dims = (*psa).cDims as usize;
            match raw::vartype_of(psa) {
                Some(vt) if cb == T::ELEMENT_SIZE && T::accepts(vt) && idx.len() == dims => {
                    // Dimension 1 fastest; bound `dims - d` is stored at rgsabound[dims - d].
                    // Every offset is below its count and the product of the counts fits (a
                    // consistent array), so the sums cannot overflow.
                    let mut cell = Some(0usize);
                    let mut stride = 1usize;
                    for (d, &index) in idx.iter().enumerate() {
                        let b = *raw::bound_ptr(psa, dims - 1 - d);
                        let off = (index as i64).wrapping_sub(b.lLbound as i64);
                        if (off as u64) >= b.cElements as u64 {
                            cell = None;
                            break;
                        }
                        cell = cell.map(|c| c + off as usize * stride);
                        stride *= b.cElements as usize;
                    }
                    let data = (*psa).pvData as *mut u8;
                    match cell {
                        // In range: cell < len, and len × cbElements fits (the array is consistent).
                        Some(c) if !data.is_null() && (*psa).fFeatures & raw::FADF_DATADELETED == 0 => {
                            Some(data.add(c * cb))
                        }
                        _ => None,
                    }
                }
                _ => None,
            }
        };
        found.ok_or_else(|| self.access_error::<T>(idx))
    }

    /// Why [`SafeArray::slot_general`] refused.
    #[cold]
    #[inline(never)]
    fn access_error<T: ElementType + ?Sized>(&self, idx: &[i32]) -> SafeArrayError {
        if let Err(e) = self.check_type::<T>() {
            return e;
        }
        let dims = self.dims();
        if idx.len() != dims as usize {
            return SafeArrayError::WrongIndexCount { expected: dims, found: idx.len() };
        }
        for (d, &index) in idx.iter().enumerate() {
            let dim = d as u32 + 1;
            if let Ok(b) = self.bound(dim) {
                let off = index as i64 - b.lower as i64;
                if off < 0 || off >= b.count as i64 {
                    return SafeArrayError::BadIndex { dim, index };
                }
            }
        }
        SafeArrayError::NullData { elements: self.len() }
    }

    fn check_type<T: ElementType + ?Sized>(&self) -> Result<(), SafeArrayError> {
        match self.vartype() {
            Some(vt) if T::accepts(vt) && self.element_size() as usize == T::ELEMENT_SIZE => Ok(()),
            found => Err(SafeArrayError::TypeMismatch {
                expected: format!("{:?}", T::VARTYPE),
                found,
                element_size: self.element_size(),
            }),
        }
    }

    /// A copy of the element at `idx` (dimension 1 first), as
    /// `SafeArrayGetElement`: a BSTR element is read into a new `String`, a
    /// VARIANT is deep-copied. The element type must match `T`
    /// ([`SafeArrayError::TypeMismatch`]).
    #[inline]
    pub fn get<T: FromElement>(&self, idx: &[i32]) -> Result<T, SafeArrayError> {
        if let Some(p) = self.vector_slot::<T>(idx) {
            // SAFETY: `p` is an initialised element of a type T accepts.
            return unsafe { T::read_element(p) };
        }
        if let [index] = *idx {
            return Self::get_vector_general(self.ptr, index);
        }
        self.get_general(idx)
    }

    /// [`SafeArray::get`] by the general walk, for a one-dimensional index. The
    /// descriptor and the index are passed by value so that the caller's loop
    /// keeps them in registers (a reference to the `SafeArray` would make every
    /// store through the data pointer a possible store into it).
    #[cold]
    #[inline(never)]
    fn get_vector_general<T: FromElement>(ptr: NonNull<SAFEARRAY>, index: i32) -> Result<T, SafeArrayError> {
        // The caller's `&self` lends the array for this call; it is not dropped here.
        ManuallyDrop::new(Self::from_nonnull(ptr)).get_general(&[index])
    }

    /// [`SafeArray::get`] by the general walk (inline: the path of every
    /// multi-dimensional index).
    #[inline]
    fn get_general<T: FromElement>(&self, idx: &[i32]) -> Result<T, SafeArrayError> {
        let p = self.slot_general::<T>(idx)?;
        // SAFETY: `p` is an initialised element of a type T accepts.
        unsafe { T::read_element(p) }
    }

    /// Stores a copy of `value` at `idx` (dimension 1 first), as
    /// `SafeArrayPutElement`: a string becomes a new BSTR, a VARIANT is
    /// deep-copied; the element's previous content is freed. The element
    /// type must match `T` ([`SafeArrayError::TypeMismatch`]).
    #[inline]
    pub fn put<T: ToElement + ?Sized>(&mut self, idx: &[i32], value: &T) -> Result<(), SafeArrayError> {
        if let Some(p) = self.vector_slot::<T>(idx) {
            // SAFETY: `p` is an initialised element, owned by this array, of a type T accepts.
            return unsafe { value.write_element(p) };
        }
        if let [index] = *idx {
            return Self::put_vector_general(self.ptr, index, value);
        }
        self.put_general(idx, value)
    }

    /// [`SafeArray::put`] by the general walk, for a one-dimensional index; by
    /// value for the reason given at [`SafeArray::get_vector_general`].
    #[cold]
    #[inline(never)]
    fn put_vector_general<T: ToElement + ?Sized>(
        ptr: NonNull<SAFEARRAY>,
        index: i32,
        value: &T,
    ) -> Result<(), SafeArrayError> {
        // The caller's `&mut self` lends the array for this call; it is not dropped here.
        ManuallyDrop::new(Self::from_nonnull(ptr)).put_general(&[index], value)
    }

    /// [`SafeArray::put`] by the general walk (inline: the path of every
    /// multi-dimensional index).
    #[inline]
    fn put_general<T: ToElement + ?Sized>(&mut self, idx: &[i32], value: &T) -> Result<(), SafeArrayError> {
        let p = self.slot_general::<T>(idx)?;
        // SAFETY: `p` is an initialised element, owned by this array, of a type T accepts.
        unsafe { value.write_element(p) }
    }

    /// Changes the last dimension (dimension [`SafeArray::dims`]) to `bound`,
    /// as `SafeArrayRedim`: shrinking destroys the elements that no longer
    /// fit, growing adds zeroed ones; the other elements keep their indices.
    /// Refused when locked or FADF_FIXEDSIZE, or when the new size overflows;
    /// the array is then unchanged.
    pub fn redim(&mut self, bound: Bound) -> Result<(), SafeArrayError> {
        let dims = self.dims();
        let locks = self.lock_count();
        if locks != 0 {
            return Err(SafeArrayError::Locked { locks });
        }
        let last = bound.lower as i64 + bound.count as i64 - 1;
        if last > i32::MAX as i64 || last < i32::MIN as i64 {
            return Err(SafeArrayError::BoundOverflow { dim: dims, lower: bound.lower, count: bound.count });
        }
        let native = SAFEARRAYBOUND { cElements: bound.count, lLbound: bound.lower };
        // SAFETY: `self` owns a valid descriptor with initialised elements.
        match unsafe { raw::safe_array_redim(self.raw(), &native) } {
            hr if hr.is_ok() => Ok(()),
            Hresult::DISP_E_ARRAYISLOCKED => Err(SafeArrayError::FixedSize),
            Hresult::E_OUTOFMEMORY => {
                let other: Option<usize> =
                    (1..dims).try_fold(1usize, |acc, d| acc.checked_mul(self.bound(d).ok()?.count as usize));
                let fits = other
                    .and_then(|o| o.checked_mul(bound.count as usize))
                    .and_then(|n| n.checked_mul(self.element_size() as usize))
                    .is_some_and(|n| n <= isize::MAX as usize);
                Err(if fits { SafeArrayError::OutOfMemory } else { SafeArrayError::SizeOverflow })
            }
            hr => Err(SafeArrayError::Element(hr)),
        }
    }

    /// A deep copy (`SafeArrayCopy`): new descriptor and data, BSTRs and
    /// VARIANTs copied, interfaces AddRef'd.
    pub fn try_clone(&self) -> Result<SafeArray, SafeArrayError> {
        let mut out = core::ptr::null_mut();
        // SAFETY: `self` owns a valid descriptor; `out` is a valid out-pointer.
        let hr = unsafe { raw::safe_array_copy(self.raw(), &mut out) };
        match NonNull::new(out) {
            Some(p) if hr.is_ok() => Ok(Self::from_nonnull(p)),
            _ if hr == Hresult::E_OUTOFMEMORY => Err(SafeArrayError::OutOfMemory),
            _ => Err(SafeArrayError::Element(hr)),
        }
    }

    /// Checks that `T` is the native form of this array's elements, for the
    /// zero-copy views.
    fn check_blittable<T: Blittable>(&self, writable: bool) -> Result<(), SafeArrayError> {
        let vt = self.vartype();
        let cb = self.element_size();
        let mismatch = || SafeArrayError::TypeMismatch {
            expected: core::any::type_name::<T>().to_string(),
            found: vt,
            element_size: cb,
        };
        if size_of::<T>() != cb as usize || size_of::<T>() == 0 {
            return Err(mismatch());
        }
        // SAFETY: `self` owns a valid descriptor.
        let kind = unsafe { super::elements::elem_kind_of(self.raw()) }.map_err(|_| mismatch())?;
        let ok = match (vt, kind) {
            // Records: any blittable T of the record's size may read them; writing could
            // break what the IRecordInfo owns, so only plain arrays lend mutable data.
            (Some(VarType::RECORD), ElemKind::Record) => !writable,
            (Some(vt), ElemKind::Plain) => blittable_accepts(&T::type_desc(), vt),
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(mismatch())
        }
    }

    /// The checked data pointer and length for a zero-copy view of `T`s.
    pub(crate) fn blittable_data<T: Blittable>(&self, writable: bool) -> Result<(*mut T, usize), SafeArrayError> {
        self.check_blittable::<T>(writable)?;
        self.data_for::<T>()
    }

    /// The data pointer for a zero-copy view of `T`s: non-null, aligned.
    fn data_for<T>(&self) -> Result<(*mut T, usize), SafeArrayError> {
        let len = self.len();
        if len == 0 {
            return Ok((NonNull::dangling().as_ptr(), 0));
        }
        // SAFETY: `self` owns a valid descriptor.
        let (data, deleted) =
            unsafe { ((*self.raw()).pvData as *mut T, (*self.raw()).fFeatures & raw::FADF_DATADELETED != 0) };
        if data.is_null() || deleted {
            return Err(SafeArrayError::NullData { elements: len });
        }
        if data as usize % align_of::<T>() != 0 {
            return Err(SafeArrayError::Misaligned { align: align_of::<T>() });
        }
        Ok((data, len))
    }

    /// Lends the element storage as `&[T]` without copying, in memory order
    /// (column-major: dimension 1 fastest). The array is locked during `f`, as
    /// `SafeArrayAccessData` does, so native code cannot destroy or redim it.
    ///
    /// `T` must be the native form of the elements: its size is `cbElements`
    /// and its type matches the VARTYPE (`i32` for VT_I4 / VT_INT, `f64` for
    /// VT_R8, any blittable record type of the right size for VT_RECORD …);
    /// otherwise [`SafeArrayError::TypeMismatch`].
    ///
    /// ```
    /// use marshal_core::safearray::SafeArray;
    /// let a = SafeArray::from_slice(&[1.5f64, 2.5, 3.0])?;
    /// let sum = a.with_data(|xs: &[f64]| xs.iter().sum::<f64>())?;
    /// assert_eq!(sum, 7.0);
    /// assert!(a.with_data(|xs: &[i64]| xs.len()).is_err()); // VT_R8 is not i64
    /// # Ok::<(), marshal_core::safearray::SafeArrayError>(())
    /// ```
    pub fn with_data<T: Blittable, R>(&self, f: impl FnOnce(&[T]) -> R) -> Result<R, SafeArrayError> {
        let (data, len) = self.blittable_data::<T>(false)?;
        let _guard = LockGuard::new(self)?;
        // SAFETY: `data` is non-null, aligned, and holds `len` initialised elements whose
        // native form is T (checked); the array is locked and borrowed for the call.
        let slice = unsafe { core::slice::from_raw_parts(data, len) };
        Ok(f(slice))
    }

    /// Lends the element storage as `&mut [T]` without copying (see
    /// [`SafeArray::with_data`]); only for arrays of plain elements (numbers,
    /// not BSTRs, VARIANTs, interfaces or records).
    pub fn with_data_mut<T: Blittable, R>(&mut self, f: impl FnOnce(&mut [T]) -> R) -> Result<R, SafeArrayError> {
        let (data, len) = self.blittable_data::<T>(true)?;
        let _guard = LockGuard::new(self)?;
        // SAFETY: as in `with_data`; `&mut self` makes the borrow exclusive, and plain
        // elements own nothing, so any bit pattern of T (Pod) written is valid.
        let slice = unsafe { core::slice::from_raw_parts_mut(data, len) };
        Ok(f(slice))
    }

    /// The element bytes in memory order, copied (any element type; pointer
    /// elements are copied as their addresses).
    pub fn to_bytes(&self) -> Result<Vec<u8>, SafeArrayError> {
        let info = self.info()?;
        if info.byte_len == 0 {
            return Ok(Vec::new());
        }
        // SAFETY: validated: pvData holds byte_len readable bytes.
        unsafe {
            let data = (*self.raw()).pvData as *const u8;
            Ok(core::slice::from_raw_parts(data, info.byte_len).to_vec())
        }
    }

    /// The raw data pointer (`pvData`), for handing to native code.
    pub fn data_ptr(&self) -> *mut c_void {
        // SAFETY: `self` owns a valid descriptor.
        unsafe { (*self.raw()).pvData }
    }
}

/// Locks an array for the lifetime of a borrow of its data.
struct LockGuard<'a>(&'a SafeArray);

impl<'a> LockGuard<'a> {
    fn new(array: &'a SafeArray) -> Result<LockGuard<'a>, SafeArrayError> {
        array.lock()?;
        Ok(LockGuard(array))
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        // Balanced with the lock taken in `new`; native code cannot unlock it in between
        // without breaking the lock contract.
        let _ = self.0.unlock();
    }
}

/// Whether a blittable Rust type (by its descriptor) is the native form of `vt`.
pub(crate) fn blittable_accepts(desc: &TypeDesc, vt: VarType) -> bool {
    match desc {
        TypeDesc::Prim(p) => match p {
            Prim::I8 => vt == VarType::I1,
            Prim::U8 => vt == VarType::UI1,
            Prim::I16 => vt == VarType::I2,
            Prim::U16 => vt == VarType::UI2,
            Prim::I32 => vt == VarType::I4 || vt == VarType::INT,
            Prim::U32 => vt == VarType::UI4 || vt == VarType::UINT,
            Prim::I64 => vt == VarType::I8,
            Prim::U64 => vt == VarType::UI8,
            Prim::F32 => vt == VarType::R4,
            Prim::F64 => vt == VarType::R8,
            Prim::ISize => vt == VarType::INT_PTR,
            Prim::USize => vt == VarType::UINT_PTR,
        },
        TypeDesc::Error => vt == VarType::ERROR,
        _ => false,
    }
}

/// The checks of [`SafeArray::new`].
fn check_create(vt: VarType, bounds: &[Bound]) -> Result<(), SafeArrayError> {
    if bounds.is_empty() {
        return Err(SafeArrayError::NoDimensions);
    }
    if bounds.len() > MAX_RANK as usize {
        return Err(SafeArrayError::TooManyDimensions { dims: bounds.len() as u32, max: MAX_RANK });
    }
    let cb = raw::vt_element_size(vt);
    if cb == 0 || vt == VarType::RECORD {
        return Err(SafeArrayError::UnsupportedVarType(vt));
    }
    let mut len: usize = 1;
    for (i, b) in bounds.iter().enumerate() {
        let last = b.lower as i64 + b.count as i64 - 1;
        if last > i32::MAX as i64 || last < i32::MIN as i64 {
            return Err(SafeArrayError::BoundOverflow { dim: i as u32 + 1, lower: b.lower, count: b.count });
        }
        len = len.checked_mul(b.count as usize).ok_or(SafeArrayError::SizeOverflow)?;
    }
    len.checked_mul(cb as usize).filter(|&n| n <= isize::MAX as usize).ok_or(SafeArrayError::SizeOverflow)?;
    Ok(())
}

impl Drop for SafeArray {
    fn drop(&mut self) {
        // A locked array is refused by SafeArrayDestroy and leaks: someone (native
        // code, or a `lock` without `unlock`) still relies on its memory.
        // SAFETY: `self` owns a valid descriptor.
        let _ = unsafe { raw::safe_array_destroy(self.raw()) };
    }
}

impl fmt::Debug for SafeArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SafeArray")
            .field("vartype", &self.vartype())
            .field("bounds", &self.bounds())
            .field("element_size", &self.element_size())
            .field("features", &format_args!("0x{:04x}", self.features()))
            .field("locks", &self.lock_count())
            .finish()
    }
}
