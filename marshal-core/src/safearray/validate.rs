//! Validation of SAFEARRAY descriptors that come from native code.
//!
//! A descriptor handed over by native code (an `[Out]` parameter, a struct
//! field, a VARIANT's `parray`) is untrusted: every count and size in it may be
//! hostile. [`validate`] reads the header and the bounds only, and checks, with
//! checked arithmetic, everything the engine relies on before any element is
//! touched (the classes of `hostile-inputs.md`; CVE-2014-6332 was an unchecked
//! size in oleaut32). Nothing is modified or freed.

use core::ffi::c_void;

use super::elements::ElemKind;
use super::error::SafeArrayError;
use super::raw::{self, FADF_DATADELETED, FADF_HAVEIID, FADF_HAVEVARTYPE, FADF_RECORD, SAFEARRAY};
use super::{Bound, MAX_RANK};
use crate::vartype::VarType;

/// What [`validate`] learned about a descriptor: a consistent, usable array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrayInfo {
    /// Element type, when the descriptor carries one.
    pub vartype: Option<VarType>,
    /// `cbElements`.
    pub element_size: u32,
    /// `fFeatures`.
    pub features: u16,
    /// `cLocks`.
    pub locks: u32,
    /// Bounds in dimension order (dimension 1 first).
    pub bounds: Vec<Bound>,
    /// Number of elements.
    pub len: usize,
    /// Bytes of element data (`len × element_size`).
    pub byte_len: usize,
}

impl ArrayInfo {
    /// Number of dimensions.
    pub fn dims(&self) -> u32 {
        self.bounds.len() as u32
    }
}

/// Checks a descriptor received from native code; see the module docs.
///
/// Refused, in this order: a null pointer ([`SafeArrayError::Null`]); `cDims`
/// 0 or above [`MAX_RANK`]; FADF flags naming two element kinds, FADF_RECORD with
/// FADF_HAVEIID or FADF_HAVEVARTYPE (their hidden data overlap), or an element
/// type that contradicts them (VT_BSTR without FADF_BSTR …)
/// ([`SafeArrayError::InconsistentFeatures`]); an element type a SAFEARRAY
/// cannot hold; `cbElements` other than the type's (or 0); a record array
/// without its `IRecordInfo`; a dimension whose last index overflows `i32`;
/// an element count × size that overflows or exceeds `isize::MAX`; a null (or
/// deleted) `pvData` with elements.
///
/// ```
/// use marshal_core::safearray::{raw, validate, SafeArrayError};
/// use marshal_core::VarType;
///
/// let psa = raw::safe_array_create_vector(VarType::I4, 0, 3);
/// unsafe {
///     assert_eq!(validate(psa).unwrap().len, 3);
///     (*psa).cbElements = 2; // a hostile header
///     assert!(matches!(validate(psa), Err(SafeArrayError::ElementSizeMismatch { .. })));
///     (*psa).cbElements = 4;
///     raw::safe_array_destroy(psa);
/// }
/// ```
///
/// # Safety
///
/// `psa` is null or points to readable memory holding a descriptor header and
/// `cDims` (up to [`MAX_RANK`]) bounds, and, where its flags say so, the hidden
/// type information before it. The element data is not read.
pub unsafe fn validate(psa: *mut SAFEARRAY) -> Result<ArrayInfo, SafeArrayError> {
    if psa.is_null() {
        return Err(SafeArrayError::Null);
    }
    // SAFETY: a readable header per the caller.
    let (dims, features, cb, locks, data) =
        unsafe { ((*psa).cDims as u32, (*psa).fFeatures, (*psa).cbElements, (*psa).cLocks, (*psa).pvData) };
    if dims == 0 {
        return Err(SafeArrayError::NoDimensions);
    }
    if dims > MAX_RANK {
        return Err(SafeArrayError::TooManyDimensions { dims, max: MAX_RANK });
    }
    let kind = ElemKind::from_features(features).ok_or(SafeArrayError::InconsistentFeatures { features })?;
    if features & FADF_RECORD != 0 && features & (FADF_HAVEIID | FADF_HAVEVARTYPE) != 0 {
        // The IRecordInfo pointer shares the hidden bytes with the IID and the VARTYPE: with both flags the
        // "pointer" may be IID or VARTYPE bytes (found by the `safearray_raw` fuzz target: a call through one).
        return Err(SafeArrayError::InconsistentFeatures { features });
    }
    // SAFETY: per the caller, the hidden data is present where the flags say so.
    let vartype = unsafe { raw::vartype_of(psa) };
    check_element_type(vartype, kind, features, cb)?;
    if kind == ElemKind::Record {
        // SAFETY: FADF_RECORD is set, so the IRecordInfo slot precedes the descriptor.
        let rec: *mut c_void = unsafe { raw::record_info_of(psa) };
        if rec.is_null() {
            return Err(SafeArrayError::InconsistentFeatures { features });
        }
    }

    let mut bounds = Vec::with_capacity(dims as usize);
    let mut len: usize = 1;
    let mut overflow = false;
    for dim in 1..=dims {
        // SAFETY: dim <= cDims bounds are readable per the caller.
        let b = unsafe { raw::bound_ptr(psa, (dims - dim) as usize).read_unaligned() };
        let last = b.lLbound as i64 + b.cElements as i64 - 1;
        if last > i32::MAX as i64 || last < i32::MIN as i64 {
            return Err(SafeArrayError::BoundOverflow { dim, lower: b.lLbound, count: b.cElements });
        }
        match len.checked_mul(b.cElements as usize) {
            Some(n) => len = n,
            None => overflow = true,
        }
        bounds.push(Bound { lower: b.lLbound, count: b.cElements });
    }
    if bounds.iter().any(|b| b.count == 0) {
        len = 0;
    } else if overflow {
        return Err(SafeArrayError::SizeOverflow);
    }
    let byte_len =
        len.checked_mul(cb as usize).filter(|&n| n <= isize::MAX as usize).ok_or(SafeArrayError::SizeOverflow)?;
    if len > 0 && (data.is_null() || features & FADF_DATADELETED != 0) {
        return Err(SafeArrayError::NullData { elements: len });
    }
    Ok(ArrayInfo { vartype, element_size: cb, features, locks, bounds, len, byte_len })
}

/// The element type, the element-kind flags and the element size must agree.
fn check_element_type(vt: Option<VarType>, kind: ElemKind, features: u16, cb: u32) -> Result<(), SafeArrayError> {
    let inconsistent = SafeArrayError::InconsistentFeatures { features };
    if let Some(vt) = vt {
        let expected_kind = match vt {
            VarType::BSTR => ElemKind::Bstr,
            VarType::VARIANT => ElemKind::Variant,
            VarType::UNKNOWN | VarType::DISPATCH => ElemKind::Interface,
            VarType::RECORD => ElemKind::Record,
            _ => ElemKind::Plain,
        };
        if expected_kind != kind {
            return Err(inconsistent);
        }
        if vt == VarType::RECORD {
            if cb == 0 {
                return Err(SafeArrayError::ElementSizeMismatch { vt: Some(vt), expected: 1, found: 0 });
            }
            return Ok(());
        }
        let size = raw::vt_element_size(vt);
        if size == 0 {
            return Err(SafeArrayError::UnsupportedVarType(vt));
        }
        if size != cb {
            return Err(SafeArrayError::ElementSizeMismatch { vt: Some(vt), expected: size, found: cb });
        }
        return Ok(());
    }
    // No type information: only the element flags say what the elements are.
    match kind.required_size() {
        Some(size) if size as u32 != cb => {
            Err(SafeArrayError::ElementSizeMismatch { vt: None, expected: size as u32, found: cb })
        }
        _ if cb == 0 => Err(SafeArrayError::ElementSizeMismatch { vt: None, expected: 1, found: 0 }),
        _ => Ok(()),
    }
}
