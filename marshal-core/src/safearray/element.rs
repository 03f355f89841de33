//! Rust types that SAFEARRAY elements are read as and written from.

use super::error::SafeArrayError;
use crate::hresult::Hresult;
use crate::vartype::VarType;

/// A Rust type whose native form is the element of some SAFEARRAY element types.
///
/// # Safety
///
/// [`ElementType::accepts`] must only accept VARTYPEs whose element is exactly
/// this type's native form (size and meaning), `ELEMENT_SIZE` must be that
/// element's size, and `PLAIN` may only be `true` when `Self` (sized) *is* the
/// element, byte for byte, every value of either being valid as the other (the
/// bulk conversions then copy memory instead of calling the read / write
/// functions): the read and write functions of [`FromElement`] / [`ToElement`]
/// and the bulk paths rely on it.
pub unsafe trait ElementType {
    /// The VARTYPE an array built from values of this type gets.
    const VARTYPE: VarType;

    /// The size of one element of the accepted VARTYPEs (`cbElements`).
    const ELEMENT_SIZE: usize;

    /// `true` when the element's bytes are exactly this type's bytes (numbers).
    const PLAIN: bool = false;

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
            const ELEMENT_SIZE: usize = core::mem::size_of::<$t>();
            const PLAIN: bool = true;
            #[inline]
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
    const ELEMENT_SIZE: usize = 2;
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

// ---------------------------------------------------------------------------
// BSTR elements: `str` / `String` / `Bstr`.
// ---------------------------------------------------------------------------

const PTR_SIZE: usize = core::mem::size_of::<*mut u16>();

/// Replaces the BSTR element at `dst` with `new` (which it now owns), freeing the old one.
///
/// # Safety
///
/// `dst` holds a BSTR element owned by the array.
unsafe fn replace_bstr(dst: *mut u8, new: crate::bstr::BSTR) {
    // SAFETY: per the caller.
    unsafe {
        let slot = dst as *mut crate::bstr::BSTR;
        crate::bstr::sys_free_string(slot.read_unaligned());
        slot.write_unaligned(new);
    }
}

// SAFETY: VT_BSTR elements are BSTR pointers.
unsafe impl ElementType for str {
    const VARTYPE: VarType = VarType::BSTR;
    const ELEMENT_SIZE: usize = PTR_SIZE;
}

// SAFETY: writes a new BSTR of the process allocator and frees the old one.
unsafe impl ToElement for str {
    unsafe fn write_element(&self, dst: *mut u8) -> Result<(), SafeArrayError> {
        let b = crate::bstr::Bstr::try_from(self).map_err(|_| SafeArrayError::OutOfMemory)?;
        // SAFETY: per the trait contract.
        unsafe { replace_bstr(dst, b.into_raw()) };
        Ok(())
    }
}

// SAFETY: VT_BSTR elements are BSTR pointers.
unsafe impl ElementType for String {
    const VARTYPE: VarType = VarType::BSTR;
    const ELEMENT_SIZE: usize = PTR_SIZE;
}

// SAFETY: reads the BSTR without changing it.
unsafe impl FromElement for String {
    /// A null BSTR reads as "" (as the CLR reads a null BSTR into a string it must
    /// produce); ill-formed UTF-16 (lone surrogates) becomes U+FFFD. Use [`Bstr`]
    /// elements to keep the exact units and the null / empty distinction.
    ///
    /// [`Bstr`]: crate::bstr::Bstr
    unsafe fn read_element(src: *const u8) -> Result<Self, SafeArrayError> {
        // SAFETY: per the trait contract, `src` holds a null or valid BSTR.
        unsafe {
            let b = (src as *const *const u16).read_unaligned();
            Ok(crate::strings::transcode::utf16_to_string(crate::bstr::BstrRef::from_raw(b).as_wide()))
        }
    }
}

// SAFETY: as for `str`.
unsafe impl ToElement for String {
    unsafe fn write_element(&self, dst: *mut u8) -> Result<(), SafeArrayError> {
        // SAFETY: per the trait contract.
        unsafe { self.as_str().write_element(dst) }
    }
}

// SAFETY: VT_BSTR elements are BSTR pointers.
unsafe impl ElementType for crate::bstr::Bstr {
    const VARTYPE: VarType = VarType::BSTR;
    const ELEMENT_SIZE: usize = PTR_SIZE;
}

// SAFETY: copies the BSTR (exact bytes; null stays null).
unsafe impl FromElement for crate::bstr::Bstr {
    unsafe fn read_element(src: *const u8) -> Result<Self, SafeArrayError> {
        // SAFETY: per the trait contract, `src` holds a null or valid BSTR.
        unsafe {
            let b = (src as *const *const u16).read_unaligned();
            if b.is_null() {
                return Ok(crate::bstr::Bstr::null());
            }
            let copy = super::elements::bstr_copy(b).map_err(|_| SafeArrayError::OutOfMemory)?;
            Ok(crate::bstr::Bstr::from_raw(copy))
        }
    }
}

// SAFETY: stores a copy of the BSTR (exact bytes; a null Bstr stores a null element).
unsafe impl ToElement for crate::bstr::Bstr {
    unsafe fn write_element(&self, dst: *mut u8) -> Result<(), SafeArrayError> {
        let copy = if self.is_null() {
            core::ptr::null_mut()
        } else {
            // SAFETY: a valid BSTR.
            unsafe { super::elements::bstr_copy(self.as_ptr()) }.map_err(|_| SafeArrayError::OutOfMemory)?
        };
        // SAFETY: per the trait contract.
        unsafe { replace_bstr(dst, copy) };
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// VARIANT elements.
// ---------------------------------------------------------------------------

// SAFETY: VT_VARIANT elements are VARIANTs.
unsafe impl ElementType for crate::variant::Variant {
    const VARTYPE: VarType = VarType::VARIANT;
    const ELEMENT_SIZE: usize = core::mem::size_of::<crate::variant::VARIANT>();
}

// SAFETY: a deep copy (`VariantCopy`); the element is unchanged.
unsafe impl FromElement for crate::variant::Variant {
    unsafe fn read_element(src: *const u8) -> Result<Self, SafeArrayError> {
        // SAFETY: per the trait contract, `src` holds an initialised VARIANT.
        let raw = unsafe { (src as *const crate::variant::VARIANT).read_unaligned() };
        // SAFETY: the element's pointers are live (the array owns them).
        let copy = unsafe { crate::variant::owned::copy_raw(&raw) }.map_err(SafeArrayError::Element)?;
        Ok(crate::variant::Variant::wrap(copy))
    }
}

// SAFETY: `VariantCopy` into the element, which is cleared first.
unsafe impl ToElement for crate::variant::Variant {
    unsafe fn write_element(&self, dst: *mut u8) -> Result<(), SafeArrayError> {
        // SAFETY: per the trait contract; `self` is a valid VARIANT.
        let hr = unsafe { super::elements::variant_copy(dst, self.as_ptr() as *const u8) };
        hr.ok().map_err(SafeArrayError::Element)
    }
}

// ---------------------------------------------------------------------------
// Interface elements: `Option<ComRef>` for VT_UNKNOWN.
// ---------------------------------------------------------------------------

// SAFETY: VT_UNKNOWN elements are `IUnknown*` (VT_DISPATCH arrays are not accepted: an
// element written there must be an IDispatch, which a ComRef does not promise).
unsafe impl ElementType for Option<crate::iunknown::ComRef> {
    const VARTYPE: VarType = VarType::UNKNOWN;
    const ELEMENT_SIZE: usize = PTR_SIZE;
}

// SAFETY: a new reference (AddRef); the element keeps its own.
unsafe impl FromElement for Option<crate::iunknown::ComRef> {
    unsafe fn read_element(src: *const u8) -> Result<Self, SafeArrayError> {
        // SAFETY: per the trait contract, `src` holds a null or live interface pointer.
        unsafe { Ok(crate::iunknown::ComRef::from_borrowed((src as *const *mut core::ffi::c_void).read_unaligned())) }
    }
}

// SAFETY: AddRef on the new pointer, Release on the old one, as SafeArrayPutElement.
unsafe impl ToElement for Option<crate::iunknown::ComRef> {
    unsafe fn write_element(&self, dst: *mut u8) -> Result<(), SafeArrayError> {
        let new = self.as_ref().map_or(core::ptr::null_mut(), |c| c.clone().into_raw());
        // SAFETY: per the trait contract, `dst` holds a null or owned interface pointer.
        unsafe {
            let slot = dst as *mut *mut core::ffi::c_void;
            super::elements::interface_release(slot.read_unaligned());
            slot.write_unaligned(new);
        }
        Ok(())
    }
}
