//! `VARTYPE`: the type tag of VARIANTs and SAFEARRAY elements.

use core::fmt;

/// A `VARTYPE` (`u16`): a base type in bits 0..=11 and the flags
/// [`VarType::VECTOR`], [`VarType::ARRAY`], [`VarType::BYREF`], [`VarType::RESERVED`].
///
/// ```
/// use marshal_core::VarType;
/// let vt = VarType::I4.byref();
/// assert!(vt.is_byref());
/// assert_eq!(vt.base(), VarType::I4);
/// assert_eq!(format!("{vt:?}"), "VT_I4|VT_BYREF");
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct VarType(pub u16);

macro_rules! vartypes {
    ($($name:ident = $v:expr;)*) => {
        impl VarType {
            $(
                #[doc = concat!("`VT_", stringify!($name), "` = ", stringify!($v), ".")]
                pub const $name: VarType = VarType($v);
            )*

            /// The SDK name of a base type (`"VT_I4"`), if it is one.
            pub fn base_name(self) -> Option<&'static str> {
                match VarType(self.0 & 0x0FFF) {
                    $(VarType::$name => Some(concat!("VT_", stringify!($name))),)*
                    _ => None,
                }
            }

            /// The base type of an SDK name, with or without the `VT_` prefix
            /// (`"VT_I4"`, `"I4"`); `None` for an unknown name.
            ///
            /// ```
            /// use marshal_core::VarType;
            /// assert_eq!(VarType::from_base_name("VT_BSTR"), Some(VarType::BSTR));
            /// assert_eq!(VarType::from_base_name("UI2"), Some(VarType::UI2));
            /// assert_eq!(VarType::from_base_name("VT_FROB"), None);
            /// ```
            pub fn from_base_name(name: &str) -> Option<VarType> {
                match name.strip_prefix("VT_").unwrap_or(name) {
                    $(stringify!($name) => Some(VarType::$name),)*
                    _ => None,
                }
            }
        }
    };
}

vartypes! {
    EMPTY = 0; NULL = 1; I2 = 2; I4 = 3; R4 = 4; R8 = 5; CY = 6; DATE = 7; BSTR = 8;
    DISPATCH = 9; ERROR = 10; BOOL = 11; VARIANT = 12; UNKNOWN = 13; DECIMAL = 14;
    I1 = 16; UI1 = 17; UI2 = 18; UI4 = 19; I8 = 20; UI8 = 21; INT = 22; UINT = 23;
    VOID = 24; HRESULT = 25; PTR = 26; SAFEARRAY = 27; CARRAY = 28; USERDEFINED = 29;
    LPSTR = 30; LPWSTR = 31; RECORD = 36; INT_PTR = 37; UINT_PTR = 38;
    FILETIME = 64; BLOB = 65; STREAM = 66; STORAGE = 67; STREAMED_OBJECT = 68;
    STORED_OBJECT = 69; BLOB_OBJECT = 70; CF = 71; CLSID = 72; VERSIONED_STREAM = 73;
}

impl VarType {
    /// `VT_VECTOR` flag.
    pub const VECTOR_FLAG: u16 = 0x1000;
    /// `VT_ARRAY` flag.
    pub const ARRAY_FLAG: u16 = 0x2000;
    /// `VT_BYREF` flag.
    pub const BYREF_FLAG: u16 = 0x4000;
    /// `VT_RESERVED` flag.
    pub const RESERVED_FLAG: u16 = 0x8000;
    /// `VT_TYPEMASK`.
    pub const TYPEMASK: u16 = 0x0FFF;
    /// `VT_VECTOR` as a VarType (flag only).
    pub const VECTOR: VarType = VarType(0x1000);
    /// `VT_ARRAY` as a VarType (flag only).
    pub const ARRAY: VarType = VarType(0x2000);
    /// `VT_BYREF` as a VarType (flag only).
    pub const BYREF: VarType = VarType(0x4000);
    /// `VT_RESERVED` as a VarType (flag only).
    pub const RESERVED: VarType = VarType(0x8000);

    /// The base type without flags.
    pub const fn base(self) -> VarType {
        VarType(self.0 & Self::TYPEMASK)
    }
    /// `VT_BYREF` is set.
    pub const fn is_byref(self) -> bool {
        self.0 & Self::BYREF_FLAG != 0
    }
    /// `VT_ARRAY` is set.
    pub const fn is_array(self) -> bool {
        self.0 & Self::ARRAY_FLAG != 0
    }
    /// `VT_VECTOR` is set.
    pub const fn is_vector(self) -> bool {
        self.0 & Self::VECTOR_FLAG != 0
    }
    /// This type with `VT_BYREF` added.
    pub const fn byref(self) -> VarType {
        VarType(self.0 | Self::BYREF_FLAG)
    }
    /// This type with `VT_ARRAY` added.
    pub const fn array(self) -> VarType {
        VarType(self.0 | Self::ARRAY_FLAG)
    }

    /// The size of one SAFEARRAY element of this base type, as oleaut32's
    /// `SAFEARRAY_GetVTSize` defines it, for a target with `pointer_width` bytes
    /// per pointer; `None` for types a SAFEARRAY cannot hold by VARTYPE alone
    /// (`VT_RECORD` takes its size from IRecordInfo).
    pub const fn element_size(self, pointer_width: u32) -> Option<u32> {
        match self.base() {
            VarType::I1 | VarType::UI1 => Some(1),
            VarType::BOOL | VarType::I2 | VarType::UI2 => Some(2),
            VarType::I4 | VarType::UI4 | VarType::R4 | VarType::ERROR | VarType::INT | VarType::UINT => Some(4),
            VarType::I8 | VarType::UI8 | VarType::R8 | VarType::CY | VarType::DATE => Some(8),
            VarType::INT_PTR | VarType::UINT_PTR => Some(pointer_width),
            VarType::BSTR | VarType::DISPATCH | VarType::UNKNOWN => Some(pointer_width),
            VarType::VARIANT => Some(if pointer_width == 8 { 24 } else { 16 }),
            VarType::DECIMAL => Some(16),
            _ => None,
        }
    }
}

impl fmt::Debug for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.base_name() {
            Some(n) => f.write_str(n)?,
            None => write!(f, "VT_{}", self.0 & Self::TYPEMASK)?,
        }
        for (flag, name) in [
            (Self::VECTOR_FLAG, "|VT_VECTOR"),
            (Self::ARRAY_FLAG, "|VT_ARRAY"),
            (Self::BYREF_FLAG, "|VT_BYREF"),
            (Self::RESERVED_FLAG, "|VT_RESERVED"),
        ] {
            if self.0 & flag != 0 {
                f.write_str(name)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_sizes_follow_the_reference_table() {
        // clr-marshaling.md §6 "Element sizes".
        let w = 8;
        for (vt, size) in [
            (VarType::I1, 1),
            (VarType::UI1, 1),
            (VarType::I2, 2),
            (VarType::UI2, 2),
            (VarType::BOOL, 2),
            (VarType::I4, 4),
            (VarType::UI4, 4),
            (VarType::R4, 4),
            (VarType::ERROR, 4),
            (VarType::INT, 4),
            (VarType::UINT, 4),
            (VarType::I8, 8),
            (VarType::UI8, 8),
            (VarType::R8, 8),
            (VarType::CY, 8),
            (VarType::DATE, 8),
            (VarType::BSTR, 8),
            (VarType::UNKNOWN, 8),
            (VarType::DISPATCH, 8),
            (VarType::VARIANT, 24),
            (VarType::DECIMAL, 16),
        ] {
            assert_eq!(vt.element_size(w), Some(size), "{vt:?}");
        }
        assert_eq!(VarType::VARIANT.element_size(4), Some(16));
        assert_eq!(VarType::BSTR.element_size(4), Some(4));
        assert_eq!(VarType::RECORD.element_size(8), None);
    }
}
