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
use super::Bound;
use crate::bstr::Bstr;
use crate::types::TypeDesc;
use crate::value::Value;
use crate::variant::{Variant, VariantValue};
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

// ---------------------------------------------------------------------------
// Runtime values (`crate::value::Value`), for plans and P/Invoke without Rust types.
// ---------------------------------------------------------------------------

impl SafeArrayMarshaler {
    /// The array for a runtime [`Value`]: `Value::Null` is no array (a null
    /// `SAFEARRAY*`); `Value::Array` holds the elements, nested `Value::Array`s
    /// for each further dimension (row-major, as a .NET `T[,]` literal: the
    /// outer list is dimension 1), lower bounds 0. The rank is the marshaler's
    /// ([`SafeArrayMarshaler::with_rank`]) or 1.
    ///
    /// Elements by sub-type: I1 `I8`, UI1 `U8`, I2 `I16`, UI2 `U16` / `Char`,
    /// I4 / INT `I32`, UI4 / UINT `U32`, I8 `I64`, UI8 `U64`, R4 `F32`, R8 `F64`,
    /// BOOL `Bool`, ERROR `Error`, INT_PTR `ISize`, UINT_PTR `USize`, BSTR `Str` /
    /// `Null` (a null BSTR), VARIANT any scalar or string (`Null` → VT_EMPTY, as
    /// the CLR marshals a null object). Anything else is a
    /// [`SafeArrayError::TypeMismatch`].
    ///
    /// ```
    /// use marshal_core::safearray::marshal::SafeArrayMarshaler;
    /// use marshal_core::value::Value;
    /// use marshal_core::VarType;
    ///
    /// let m = SafeArrayMarshaler::new(VarType::I4).with_rank(2);
    /// let rows = Value::Array(vec![
    ///     Value::Array(vec![Value::I32(1), Value::I32(2)]),
    ///     Value::Array(vec![Value::I32(3), Value::I32(4)]),
    /// ]);
    /// let a = m.from_value(&rows)?.unwrap();
    /// assert_eq!(a.to_vec::<i32>()?, [1, 3, 2, 4]); // column-major in memory
    /// assert_eq!(m.to_value(&a)?, rows);
    /// # Ok::<(), marshal_core::safearray::SafeArrayError>(())
    /// ```
    pub fn from_value(&self, value: &Value) -> Result<Option<SafeArray>, SafeArrayError> {
        let rank = self.rank.unwrap_or(1) as usize;
        let items = match value {
            Value::Null => return Ok(None),
            Value::Array(items) => items,
            other => return Err(value_mismatch("an array", other)),
        };
        // Shape from the nesting, then the elements in row-major order.
        let mut counts = Vec::with_capacity(rank);
        let mut level: &[Value] = items;
        for d in 0..rank {
            counts.push(level.len());
            if d + 1 < rank {
                level = match level.first() {
                    Some(Value::Array(inner)) => inner,
                    None => &[],
                    Some(other) => return Err(value_mismatch("a nested array", other)),
                };
            }
        }
        let mut flat = Vec::with_capacity(counts.iter().product());
        flatten(items, &counts, &mut flat)?;
        let bounds = counts
            .iter()
            .map(|&n| u32::try_from(n).map(Bound::zero_based).map_err(|_| SafeArrayError::SizeOverflow))
            .collect::<Result<Vec<_>, _>>()?;
        let vt = self.sub_type;
        macro_rules! typed {
            ($t:ty, $pat:pat => $e:expr) => {{
                let vals = flat
                    .iter()
                    .map(|v| match v {
                        $pat => Ok($e),
                        other => Err(value_mismatch(concat!("a ", stringify!($t)), other)),
                    })
                    .collect::<Result<Vec<$t>, _>>()?;
                SafeArray::from_row_major(&bounds, &vals)?
            }};
        }
        let mut array = match vt {
            VarType::I1 => typed!(i8, Value::I8(n) => *n),
            VarType::UI1 => typed!(u8, Value::U8(n) => *n),
            VarType::I2 => typed!(i16, Value::I16(n) => *n),
            VarType::UI2 => typed!(u16, Value::U16(n) | Value::Char(n) => *n),
            VarType::I4 | VarType::INT => typed!(i32, Value::I32(n) => *n),
            VarType::UI4 | VarType::UINT => typed!(u32, Value::U32(n) => *n),
            VarType::I8 => typed!(i64, Value::I64(n) => *n),
            VarType::UI8 => typed!(u64, Value::U64(n) => *n),
            VarType::R4 => typed!(f32, Value::F32(n) => *n),
            VarType::R8 => typed!(f64, Value::F64(n) => *n),
            VarType::BOOL => typed!(bool, Value::Bool(b) => *b),
            VarType::ERROR => typed!(crate::hresult::Hresult, Value::Error(n) => crate::hresult::Hresult(*n)),
            VarType::INT_PTR => typed!(isize, Value::ISize(n) => *n as isize),
            VarType::UINT_PTR => typed!(usize, Value::USize(n) => *n as usize),
            VarType::BSTR => {
                let vals = flat
                    .iter()
                    .map(|v| match v {
                        Value::Null => Ok(Bstr::null()),
                        Value::Str(units) => Bstr::from_wide(units).map_err(|_| SafeArrayError::OutOfMemory),
                        other => Err(value_mismatch("a string", other)),
                    })
                    .collect::<Result<Vec<Bstr>, _>>()?;
                SafeArray::from_row_major(&bounds, &vals)?
            }
            VarType::VARIANT => {
                let vals = flat.iter().map(|v| variant_of_value(v)).collect::<Result<Vec<Variant>, _>>()?;
                SafeArray::from_row_major(&bounds, &vals)?
            }
            other => {
                return Err(SafeArrayError::TypeMismatch {
                    expected: "an element type a runtime Value can hold".into(),
                    found: Some(other),
                    element_size: raw::vt_element_size(other),
                })
            }
        };
        // INT / UINT arrays keep their declared VARTYPE (the Rust type made I4 / UI4).
        if matches!(vt, VarType::INT | VarType::UINT) {
            array = retype(array, vt)?;
        }
        Ok(Some(array))
    }

    /// The runtime [`Value`] of an array (checked against this marshaler):
    /// `Value::Array` of elements for one dimension, nested (row-major, the
    /// outer list is dimension 1) for more; the element encoding of
    /// [`SafeArrayMarshaler::from_value`]. Lower bounds are not represented.
    pub fn to_value(&self, array: &SafeArray) -> Result<Value, SafeArrayError> {
        self.check(array)?;
        let vt = array.vartype().ok_or(SafeArrayError::NoVarType)?;
        let flat: Vec<Value> = match vt {
            VarType::I1 => array.to_row_major::<i8>()?.into_iter().map(Value::I8).collect(),
            VarType::UI1 => array.to_row_major::<u8>()?.into_iter().map(Value::U8).collect(),
            VarType::I2 => array.to_row_major::<i16>()?.into_iter().map(Value::I16).collect(),
            VarType::UI2 => array.to_row_major::<u16>()?.into_iter().map(Value::U16).collect(),
            VarType::I4 | VarType::INT => array.to_row_major::<i32>()?.into_iter().map(Value::I32).collect(),
            VarType::UI4 | VarType::UINT => array.to_row_major::<u32>()?.into_iter().map(Value::U32).collect(),
            VarType::I8 => array.to_row_major::<i64>()?.into_iter().map(Value::I64).collect(),
            VarType::UI8 => array.to_row_major::<u64>()?.into_iter().map(Value::U64).collect(),
            VarType::R4 => array.to_row_major::<f32>()?.into_iter().map(Value::F32).collect(),
            VarType::R8 => array.to_row_major::<f64>()?.into_iter().map(Value::F64).collect(),
            VarType::BOOL => array.to_row_major::<bool>()?.into_iter().map(Value::Bool).collect(),
            VarType::ERROR => {
                array.to_row_major::<crate::hresult::Hresult>()?.into_iter().map(|h| Value::Error(h.0)).collect()
            }
            VarType::INT_PTR => array.to_row_major::<isize>()?.into_iter().map(|n| Value::ISize(n as i64)).collect(),
            VarType::UINT_PTR => array.to_row_major::<usize>()?.into_iter().map(|n| Value::USize(n as u64)).collect(),
            VarType::BSTR => array
                .to_row_major::<Bstr>()?
                .iter()
                .map(|b| if b.is_null() { Value::Null } else { Value::Str(b.as_wide().to_vec()) })
                .collect(),
            VarType::VARIANT => {
                array.to_row_major::<Variant>()?.iter().map(value_of_variant).collect::<Result<_, _>>()?
            }
            other => {
                return Err(SafeArrayError::TypeMismatch {
                    expected: "an element type a runtime Value can hold".into(),
                    found: Some(other),
                    element_size: array.element_size(),
                })
            }
        };
        let counts: Vec<usize> = array.bounds().iter().map(|b| b.count as usize).collect();
        Ok(nest(flat, &counts))
    }
}

fn value_mismatch(expected: &str, found: &Value) -> SafeArrayError {
    let name = format!("{found:?}");
    let kind = name.split(['(', ' ']).next().unwrap_or("value").to_string();
    SafeArrayError::TypeMismatch { expected: format!("{expected} (got Value::{kind})"), found: None, element_size: 0 }
}

/// Appends the leaves of a nested row-major value to `out`, checking the shape.
fn flatten<'v>(items: &'v [Value], counts: &[usize], out: &mut Vec<&'v Value>) -> Result<(), SafeArrayError> {
    if items.len() != counts[0] {
        return Err(SafeArrayError::ShapeMismatch { expected: counts[0], found: items.len() });
    }
    if counts.len() == 1 {
        out.extend(items.iter());
        return Ok(());
    }
    for item in items {
        match item {
            Value::Array(inner) => flatten(inner, &counts[1..], out)?,
            other => return Err(value_mismatch("a nested array", other)),
        }
    }
    Ok(())
}

/// Nests row-major leaves into `Value::Array`s of the given counts.
fn nest(flat: Vec<Value>, counts: &[usize]) -> Value {
    if counts.len() <= 1 {
        return Value::Array(flat);
    }
    let inner: usize = counts[1..].iter().product();
    let mut rows = Vec::with_capacity(counts[0]);
    let mut it = flat.into_iter();
    for _ in 0..counts[0] {
        let chunk: Vec<Value> = it.by_ref().take(inner).collect();
        rows.push(nest(chunk, &counts[1..]));
    }
    Value::Array(rows)
}

/// The VARIANT the CLR makes of a boxed scalar (`GetNativeVariantForObject`).
fn variant_of_value(v: &Value) -> Result<Variant, SafeArrayError> {
    Ok(match v {
        Value::Null => Variant::empty(),
        Value::Bool(b) => Variant::from(*b),
        Value::I8(n) => Variant::from(*n),
        Value::U8(n) => Variant::from(*n),
        Value::I16(n) => Variant::from(*n),
        Value::U16(n) | Value::Char(n) => Variant::from(*n),
        Value::I32(n) => Variant::from(*n),
        Value::U32(n) => Variant::from(*n),
        Value::I64(n) => Variant::from(*n),
        Value::U64(n) => Variant::from(*n),
        Value::F32(n) => Variant::from(*n),
        Value::F64(n) => Variant::from(*n),
        Value::Error(n) => Variant::error(crate::hresult::Hresult(*n)),
        Value::Str(units) => Variant::from_utf16(units).map_err(SafeArrayError::Element)?,
        other => return Err(value_mismatch("a value a VARIANT can hold", other)),
    })
}

/// The runtime value of a VARIANT element (scalars and strings).
fn value_of_variant(v: &Variant) -> Result<Value, SafeArrayError> {
    Ok(match v.value() {
        VariantValue::Empty | VariantValue::Null => Value::Null,
        VariantValue::Bool(b) => Value::Bool(b),
        VariantValue::I1(n) => Value::I8(n),
        VariantValue::UI1(n) => Value::U8(n),
        VariantValue::I2(n) => Value::I16(n),
        VariantValue::UI2(n) => Value::U16(n),
        VariantValue::I4(n) | VariantValue::Int(n) => Value::I32(n),
        VariantValue::UI4(n) | VariantValue::UInt(n) => Value::U32(n),
        VariantValue::I8(n) => Value::I64(n),
        VariantValue::UI8(n) => Value::U64(n),
        VariantValue::R4(n) => Value::F32(n),
        VariantValue::R8(n) => Value::F64(n),
        VariantValue::Error(h) => Value::Error(h.0),
        VariantValue::Bstr(units) => Value::Str(units.to_vec()),
        VariantValue::NullBstr => Value::Null,
        _ => {
            return Err(SafeArrayError::TypeMismatch {
                expected: "a VARIANT a runtime Value can hold".into(),
                found: Some(v.vt()),
                element_size: 0,
            })
        }
    })
}

/// An array of the same shape and data whose hidden VARTYPE is `vt` (same size
/// and meaning: INT for I4, UINT for UI4).
fn retype(array: SafeArray, vt: VarType) -> Result<SafeArray, SafeArrayError> {
    debug_assert_eq!(raw::vt_element_size(vt), array.element_size());
    let out = SafeArray::new(vt, &array.bounds())?;
    let bytes = array.to_bytes()?;
    // SAFETY: both arrays have the same shape and element size, plain elements.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), out.data_ptr() as *mut u8, bytes.len()) };
    Ok(out)
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
