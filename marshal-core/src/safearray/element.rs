//! Rust types that SAFEARRAY elements are read as and written from.

use super::error::SafeArrayError;
use crate::hresult::Hresult;
use crate::vartype::VarType;

/// A Rust type whose native form is the element of some SAFEARRAY element types.
///
/// # Safety
///
/// [`ElementType::accepts`] must only accept VARTYPEs whose element is exactly
/// this type's native form (size and meaning): the read and write functions of
/// [`FromElement`] / [`ToElement`] rely on it.
pub unsafe trait ElementType {
    /// The VARTYPE an array built from values of this type gets.
    const VARTYPE: VarType;

    /// Whether elements of type `vt` have this type's native form (`i32` reads
    /// both `VT_I4` and `VT_INT`, as the CLR tolerates).
    fn accepts(vt: VarType) -> bool {
        vt == Self::VARTYPE
    }
}

/// A type that an element can be read as (a copy the caller owns: a `String`
/// from a BSTR, a deep-copied VARIANT, …).
///
/// # Safety
///
/// `read_element` must only read the element's native form and leave the
/// element as it was.
pub unsafe trait FromElement: ElementType + Sized {
    /// Reads one element.
    ///
    /// # Safety
    ///
    /// `src` points to an initialised element of a VARTYPE [`ElementType::accepts`]
    /// accepts (possibly unaligned).
    unsafe fn read_element(src: *const u8) -> Result<Self, SafeArrayError>;
}

/// A type whose value can be stored into an element (copied: the array owns
/// its copy, and the element's previous content is freed).
///
/// # Safety
///
/// `write_element` must leave a valid element of the accepted VARTYPE, and free
/// (release, clear) exactly what the previous element owned.
pub unsafe trait ToElement: ElementType {
    /// Replaces the element at `dst` with a copy of `self`. On error the
    /// element is unchanged.
    ///
    /// # Safety
    ///
    /// `dst` points to an initialised element, owned by the array, of a
    /// VARTYPE [`ElementType::accepts`] accepts (possibly unaligned).
    unsafe fn write_element(&self, dst: *mut u8) -> Result<(), SafeArrayError>;
}

macro_rules! plain_elements {
    ($($t:ty => $vt:ident $(| $alt:ident)*;)*) => {$(
        // SAFETY: the accepted VARTYPEs have exactly this type's size and meaning.
        unsafe impl ElementType for $t {
            const VARTYPE: VarType = VarType::$vt;
            fn accepts(vt: VarType) -> bool {
                vt == VarType::$vt $(|| vt == VarType::$alt)*
            }
        }
        // SAFETY: a plain copy of the element's bytes.
        unsafe impl FromElement for $t {
            #[inline]
            unsafe fn read_element(src: *const u8) -> Result<Self, SafeArrayError> {
                // SAFETY: per the trait contract, `src` holds one element of this type.
                Ok(unsafe { (src as *const $t).read_unaligned() })
            }
        }
        // SAFETY: plain bytes own nothing; the write replaces them.
        unsafe impl ToElement for $t {
            #[inline]
            unsafe fn write_element(&self, dst: *mut u8) -> Result<(), SafeArrayError> {
                // SAFETY: per the trait contract, `dst` holds one element of this type.
                unsafe { (dst as *mut $t).write_unaligned(*self) };
                Ok(())
            }
        }
    )*};
}

plain_elements! {
    i8 => I1;
    u8 => UI1;
    i16 => I2;
    u16 => UI2;
    i32 => I4 | INT;
    u32 => UI4 | UINT;
    i64 => I8;
    u64 => UI8;
    f32 => R4;
    f64 => R8;
    isize => INT_PTR;
    usize => UINT_PTR;
    Hresult => ERROR;
}

// SAFETY: VT_BOOL elements are 2-byte VARIANT_BOOLs.
unsafe impl ElementType for bool {
    const VARTYPE: VarType = VarType::BOOL;
}

// SAFETY: reads the 2-byte VARIANT_BOOL.
unsafe impl FromElement for bool {
    #[inline]
    unsafe fn read_element(src: *const u8) -> Result<Self, SafeArrayError> {
        // Any non-zero VARIANT_BOOL is true, as the CLR reads it.
        // SAFETY: per the trait contract.
        Ok(unsafe { (src as *const i16).read_unaligned() } != 0)
    }
}

// SAFETY: writes the 2-byte VARIANT_BOOL.
unsafe impl ToElement for bool {
    #[inline]
    unsafe fn write_element(&self, dst: *mut u8) -> Result<(), SafeArrayError> {
        // VARIANT_TRUE is -1.
        // SAFETY: per the trait contract.
        unsafe { (dst as *mut i16).write_unaligned(if *self { -1 } else { 0 }) };
        Ok(())
    }
}
