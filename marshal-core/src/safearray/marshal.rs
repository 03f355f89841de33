//! Marshaling of `TypeDesc::SafeArray(vt)`: parameters (In, Out, InOut) and
//! struct fields, as the CLR's SAFEARRAY marshaler does it.
//!
//! The Rust-side value of a SAFEARRAY parameter or field is a [`SafeArray`]
//! (build one with [`SafeArray::from_slice`], [`SafeArray::from_row_major`], …;
//! read one with [`SafeArray::to_vec`], …). The native side is a `SAFEARRAY*`.
//!
//! | direction | before the call | after the call |
//! |---|---|---|
//! | In (by value) | the caller's array is passed as is, locked ([`InArray`]): no copy, and a callee that tries to destroy it gets `DISP_E_ARRAYISLOCKED` | unlocked |
//! | Out (`out`) | a null `SAFEARRAY*` slot | the callee's array is validated, type-checked and owned ([`SafeArrayMarshaler::from_native_out`]) |
//! | InOut (`ref`) | the caller's array moves into the slot ([`InOutArray`]) | whatever the slot holds is validated and owned again (the callee may have destroyed and replaced it) |
//! | struct field, to native | a deep copy is stored in the field ([`SafeArrayMarshaler::field_to_native`]) | `DestroyStructure` destroys it ([`field_destroy`]) |
//! | struct field, from native | the field's array is validated and deep-copied ([`SafeArrayMarshaler::field_from_native`]); the native struct keeps its own | |
//!
//! Element types are checked as the CLR does (`SafeArrayTypeMismatchException`),
//! tolerating I4↔INT, UI4↔UINT, UNKNOWN←DISPATCH and CY←DECIMAL; a rank
//! other than the expected one is `SafeArrayRankMismatchException`.

use core::ptr;

use super::error::SafeArrayError;
use super::owned::SafeArray;
use super::raw::{self, SAFEARRAY};
use super::validate::validate;
use crate::types::TypeDesc;
use crate::vartype::VarType;

/// The marshaler of one `TypeDesc::SafeArray(vt)` parameter or field.
///
/// ```
/// use marshal_core::safearray::{marshal::SafeArrayMarshaler, SafeArray};
/// use marshal_core::{TypeDesc, VarType};
///
/// let m = SafeArrayMarshaler::for_type(&TypeDesc::SafeArray(VarType::I4)).unwrap().with_rank(1);
/// // A callee returned an array in an [Out] parameter:
/// let native = SafeArray::from_slice(&[1i32, 2, 3])?.into_raw();
/// let back = unsafe { m.from_native_out(native)? }.unwrap();
/// assert_eq!(back.to_vec::<i32>()?, [1, 2, 3]);
/// # Ok::<(), marshal_core::safearray::SafeArrayError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SafeArrayMarshaler {
    sub_type: VarType,
    rank: Option<u32>,
}

impl SafeArrayMarshaler {
    /// A marshaler for arrays of `sub_type` (`SafeArraySubType`; `VT_EMPTY`,
    /// i.e. not given, means VT_VARIANT as in the CLR), of any rank.
    pub fn new(sub_type: VarType) -> SafeArrayMarshaler {
        let sub_type = if sub_type == VarType::EMPTY { VarType::VARIANT } else { sub_type };
        SafeArrayMarshaler { sub_type, rank: None }
    }

    /// The marshaler of a `TypeDesc::SafeArray(vt)`; `None` for other descriptors.
    pub fn for_type(desc: &TypeDesc) -> Option<SafeArrayMarshaler> {
        match desc {
            TypeDesc::SafeArray(vt) => Some(SafeArrayMarshaler::new(*vt)),
            _ => None,
        }
    }

    /// Requires arrays of exactly `rank` dimensions (a managed `T[]` is rank 1,
    /// `T[,]` rank 2; `System.Array` accepts any).
    pub fn with_rank(self, rank: u32) -> SafeArrayMarshaler {
        SafeArrayMarshaler { rank: Some(rank), ..self }
    }

    /// The element VARTYPE arrays are expected to have.
    pub fn sub_type(&self) -> VarType {
        self.sub_type
    }

    /// Whether an array of `found` elements is acceptable where `expected` is
    /// declared: equal, or one of the CLR's tolerated pairs.
    pub fn vartype_compatible(expected: VarType, found: VarType) -> bool {
        expected == found
            || matches!(
                (expected, found),
                (VarType::I4, VarType::INT)
                    | (VarType::INT, VarType::I4)
                    | (VarType::UI4, VarType::UINT)
                    | (VarType::UINT, VarType::UI4)
                    | (VarType::UNKNOWN, VarType::DISPATCH)
                    | (VarType::CY, VarType::DECIMAL)
            )
    }

    /// Checks an array's element type and rank against this marshaler.
    pub fn check(&self, array: &SafeArray) -> Result<(), SafeArrayError> {
        self.check_parts(array.vartype(), array.element_size(), array.dims())
    }

    fn check_parts(&self, vt: Option<VarType>, element_size: u32, dims: u32) -> Result<(), SafeArrayError> {
        match vt {
            Some(vt) if Self::vartype_compatible(self.sub_type, vt) => {}
            found => {
                return Err(SafeArrayError::TypeMismatch {
                    expected: format!("{:?}", self.sub_type),
                    found,
                    element_size,
                })
            }
        }
        match self.rank {
            Some(rank) if rank != dims => Err(SafeArrayError::RankMismatch { expected: rank, found: dims }),
            _ => Ok(()),
        }
    }

    /// In: checks `array` and lends it to the callee, locked for the duration
    /// of the call (no copy). A `None` passes a null `SAFEARRAY*`.
    pub fn to_native_in<'a>(&self, array: Option<&'a SafeArray>) -> Result<InArray<'a>, SafeArrayError> {
        match array {
            None => Ok(InArray { array: None }),
            Some(a) => {
                self.check(a)?;
                a.lock()?;
                Ok(InArray { array: Some(a) })
            }
        }
    }

    /// Out: takes ownership of the array a callee returned (null → `None`)
    /// after validating it and checking its type and rank. On error the
    /// array is destroyed if it is consistent (the caller owned it per the
    /// Out contract) and leaked if its header is not trustworthy.
    ///
    /// # Safety
    ///
    /// `psa` is null or an array the callee handed over (see [`SafeArray::from_raw`]).
    pub unsafe fn from_native_out(&self, psa: *mut SAFEARRAY) -> Result<Option<SafeArray>, SafeArrayError> {
        if psa.is_null() {
            return Ok(None);
        }
        // SAFETY: per the caller.
        let array = unsafe { SafeArray::from_raw(psa)? };
        // A type or rank mismatch drops (destroys) the validated array.
        self.check(&array)?;
        Ok(Some(array))
    }

    /// Struct field, to native: stores a deep copy of `array` (or null) into
    /// the field at `field`. The field then owns the copy: free it with
    /// [`field_destroy`] (`Marshal.DestroyStructure`).
    ///
    /// # Safety
    ///
    /// `field` is writable and aligned for a pointer; its previous content is
    /// overwritten without being freed.
    pub unsafe fn field_to_native(
        &self,
        array: Option<&SafeArray>,
        field: *mut *mut SAFEARRAY,
    ) -> Result<(), SafeArrayError> {
        let copy = match array {
            None => ptr::null_mut(),
            Some(a) => {
                self.check(a)?;
                a.try_clone()?.into_raw()
            }
        };
        // SAFETY: per the caller.
        unsafe { field.write(copy) };
        Ok(())
    }

    /// Struct field, from native: a deep copy of the array the field points to
    /// (null → `None`), validated and type-checked first. The native struct
    /// keeps its array (`Marshal.PtrToStructure` semantics).
    ///
    /// # Safety
    ///
    /// `field` is readable; the pointer in it is null or a descriptor as
    /// [`validate`] requires, with initialised elements.
    pub unsafe fn field_from_native(&self, field: *const *mut SAFEARRAY) -> Result<Option<SafeArray>, SafeArrayError> {
        // SAFETY: per the caller.
        let psa = unsafe { field.read() };
        if psa.is_null() {
            return Ok(None);
        }
        // SAFETY: per the caller.
        let info = unsafe { validate(psa)? };
        self.check_parts(info.vartype, info.element_size, info.dims())?;
        let mut out = ptr::null_mut();
        // SAFETY: a validated descriptor with initialised elements; `out` is a valid out-pointer.
        let hr = unsafe { raw::safe_array_copy(psa, &mut out) };
        if hr.is_err() {
            return Err(if hr == crate::hresult::Hresult::E_OUTOFMEMORY {
                SafeArrayError::OutOfMemory
            } else {
                SafeArrayError::Element(hr)
            });
        }
        // SAFETY: a fresh copy owned by nobody else.
        Ok(core::ptr::NonNull::new(out).map(|p| unsafe { SafeArray::from_raw_unchecked(p) }))
    }
}

/// Struct field cleanup: destroys the array in the field and nulls it
/// (`Marshal.DestroyStructure`). A locked array is left in place
/// ([`SafeArrayError::Locked`]).
///
/// # Safety
///
/// `field` is readable and writable; the pointer in it is null or an array the
/// field owns.
pub unsafe fn field_destroy(field: *mut *mut SAFEARRAY) -> Result<(), SafeArrayError> {
    // SAFETY: per the caller.
    unsafe {
        let psa = field.read();
        if psa.is_null() {
            return Ok(());
        }
        let locks = (*psa).cLocks;
        if locks != 0 {
            return Err(SafeArrayError::Locked { locks });
        }
        raw::safe_array_destroy(psa);
        field.write(ptr::null_mut());
    }
    Ok(())
}

/// An In argument: the caller's array, locked while native code uses it.
/// Unlocks on drop (after the call).
#[derive(Debug)]
pub struct InArray<'a> {
    array: Option<&'a SafeArray>,
}

impl InArray<'_> {
    /// The `SAFEARRAY*` to pass.
    pub fn as_ptr(&self) -> *mut SAFEARRAY {
        self.array.map_or(ptr::null_mut(), SafeArray::as_ptr)
    }
}

impl Drop for InArray<'_> {
    fn drop(&mut self) {
        if let Some(a) = self.array {
            // Balances the lock taken in `to_native_in`.
            let _ = a.unlock();
        }
    }
}

/// An InOut (`ref`) argument: the slot a `SAFEARRAY**` parameter points to.
/// The caller's array moves into the slot for the call; [`InOutArray::finish`]
/// takes back whatever the callee left there.
#[derive(Debug)]
pub struct InOutArray {
    slot: *mut SAFEARRAY,
    marshaler: SafeArrayMarshaler,
}

impl InOutArray {
    /// Moves `array` (or null) into a new slot, after checking it.
    pub fn new(marshaler: SafeArrayMarshaler, array: Option<SafeArray>) -> Result<InOutArray, SafeArrayError> {
        if let Some(a) = &array {
            marshaler.check(a)?;
        }
        Ok(InOutArray { slot: array.map_or(ptr::null_mut(), SafeArray::into_raw), marshaler })
    }

    /// The `SAFEARRAY**` to pass.
    pub fn as_mut_ptr(&mut self) -> *mut *mut SAFEARRAY {
        &mut self.slot
    }

    /// After the call: validates, type-checks and owns what the slot holds.
    ///
    /// # Safety
    ///
    /// The callee left in the slot null, the array passed in, or an array it
    /// hands over (as [`SafeArrayMarshaler::from_native_out`] requires).
    pub unsafe fn finish(mut self) -> Result<Option<SafeArray>, SafeArrayError> {
        let psa = core::mem::replace(&mut self.slot, ptr::null_mut());
        // SAFETY: per the caller.
        unsafe { self.marshaler.from_native_out(psa) }
    }
}

impl Drop for InOutArray {
    fn drop(&mut self) {
        // Not finished (the call was never made, or unwinding): the slot still holds
        // the caller's own array.
        if !self.slot.is_null() {
            // SAFETY: the slot holds the array moved in by `new`.
            unsafe { raw::safe_array_destroy(self.slot) };
        }
    }
}
