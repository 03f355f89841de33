//! `SafeArray(vt)` fields and parameters over [`Value`]s: a managed `T[]`
//! ([`Value::Array`], rank 1, lower bound 0) ↔ a `SAFEARRAY*`, each element
//! converted by the same [`Kind`] as a field of the element's type (VT_BSTR as a
//! BSTR string, VT_BOOL as a VARIANT_BOOL, VT_VARIANT as an `object`, …).

use super::exec::{self, Ctx, Kind};
use super::PlanError;
use crate::layout::Target;
use crate::safearray::marshal::SafeArrayMarshaler;
use crate::safearray::{validate, SafeArray, SafeArrayError, SAFEARRAY};
use crate::types::{CharSet, TypeDesc};
use crate::value::Value;
use crate::vartype::VarType;

fn sa_error(error: SafeArrayError) -> PlanError {
    PlanError::SafeArray { path: String::new(), error }
}

/// The element conversion of a SAFEARRAY of `vt` (the same as a field of the
/// element's type, [`TypeDesc::from_vartype`]); `None` for element types a runtime
/// value cannot describe (VT_RECORD needs an IRecordInfo).
pub(super) fn element_kind(vt: VarType) -> Option<Kind> {
    let desc = TypeDesc::from_vartype(vt)?;
    exec::kind_of(&desc, CharSet::Unicode, Target::host()).ok()
}

/// A new SAFEARRAY of `vt` holding `items` (the CLR's managed-to-native array
/// conversion). On error nothing stays allocated.
pub(super) fn array_to_native(vt: VarType, items: &[Value], ctx: &Ctx<'_>) -> Result<*mut SAFEARRAY, PlanError> {
    let kind = element_kind(vt)
        .ok_or_else(|| PlanError::Unsupported { path: String::new(), what: format!("a SAFEARRAY of {vt:?}") })?;
    let count = u32::try_from(items.len()).map_err(|_| sa_error(SafeArrayError::SizeOverflow))?;
    // Elements start zeroed (null BSTRs, VT_EMPTY, null interfaces); a failure part
    // way drops the array, which frees the elements written so far.
    let array = SafeArray::vector(vt, 0, count).map_err(sa_error)?;
    let cb = array.element_size() as usize;
    if count > 0 {
        // SAFETY: the new array's data holds `count` zeroed elements of `cb` bytes, not
        // shared with anything until `into_raw`.
        let data = unsafe { core::slice::from_raw_parts_mut(array.data_ptr().cast::<u8>(), cb * items.len()) };
        for (i, item) in items.iter().enumerate() {
            exec::write_kind(&kind, item, &mut data[i * cb..(i + 1) * cb], ctx)
                .map_err(|e| e.within(&format!("[{i}]")))?;
        }
    }
    Ok(array.into_raw())
}

/// The managed array of a native SAFEARRAY (null → `Value::Null`): the
/// descriptor is validated, its element type checked against `vt` (with the
/// CLR's tolerated pairs) and its rank must be 1; the elements are read, the
/// array left to its owner.
///
/// # Safety
/// `psa` is null or a descriptor as [`validate`] requires, with initialised
/// elements whose pointers (BSTRs, interfaces, VARIANT payloads) are valid.
pub(super) unsafe fn array_from_native(vt: VarType, psa: *mut SAFEARRAY, ctx: &Ctx<'_>) -> Result<Value, PlanError> {
    if psa.is_null() {
        return Ok(Value::Null);
    }
    // SAFETY: per the caller.
    let info = unsafe { validate(psa) }.map_err(sa_error)?;
    let found = match info.vartype {
        Some(found) if SafeArrayMarshaler::vartype_compatible(vt, found) => found,
        found => {
            return Err(sa_error(SafeArrayError::TypeMismatch {
                expected: format!("{vt:?}"),
                found,
                element_size: info.element_size,
            }))
        }
    };
    if info.dims() != 1 {
        return Err(sa_error(SafeArrayError::RankMismatch { expected: 1, found: info.dims() }));
    }
    let kind = element_kind(found).ok_or_else(|| sa_error(SafeArrayError::UnsupportedVarType(found)))?;
    let mut items = Vec::with_capacity(info.len);
    if info.len > 0 {
        // SAFETY: validated: pvData holds byte_len readable, initialised bytes.
        let data = unsafe { core::slice::from_raw_parts((*psa).pvData.cast::<u8>(), info.byte_len) };
        let cb = info.element_size as usize;
        for i in 0..info.len {
            // SAFETY: per the caller, the element's pointers are valid.
            let item = unsafe { exec::read_kind(&kind, &data[i * cb..(i + 1) * cb], ctx) }
                .map_err(|e| e.within(&format!("[{i}]")))?;
            items.push(item);
        }
    }
    Ok(Value::Array(items))
}
