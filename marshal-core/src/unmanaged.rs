//! The .NET `UnmanagedType` vocabulary (the values `[MarshalAs]` takes), with
//! the [`TypeDesc`] each member means.
//!
//! Interop layers that read .NET metadata, a type library or a serialized
//! signature get `UnmanagedType` numbers; [`UnmanagedType::type_desc`] turns the
//! ones that name a native form by themselves into descriptors, and answers the
//! members the engine does not marshal (AsAny, CustomMarshaler, VBByRefStr,
//! HString) with a typed error that says why.

use core::fmt;

use crate::guid::Guid;
use crate::types::{BoolRepr, CharRepr, DescError, InterfaceKind, Prim, StringRepr, TypeDesc};
use crate::vartype::VarType;

/// `IID_IInspectable` = {AF86E2E0-B12D-4C6A-9C5A-D7AA65101E90} (WinRT).
pub const IID_IINSPECTABLE: Guid = Guid::from_u128(0xAF86E2E0_B12D_4C6A_9C5A_D7AA65101E90);

macro_rules! unmanaged_types {
    ($($name:ident = $v:expr,)*) => {
        /// A member of `System.Runtime.InteropServices.UnmanagedType`, with its .NET value.
        ///
        /// ```
        /// use marshal_core::unmanaged::UnmanagedType;
        /// use marshal_core::{StringRepr, TypeDesc};
        /// let ut = UnmanagedType::try_from(0x15).unwrap();
        /// assert_eq!(ut, UnmanagedType::LPWStr);
        /// assert_eq!(ut.name(), "LPWStr");
        /// assert_eq!(ut.type_desc(), Ok(TypeDesc::String(StringRepr::LPWStr)));
        /// assert!(UnmanagedType::AsAny.type_desc().is_err());
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum UnmanagedType {
            $(
                #[doc = concat!("`UnmanagedType.", stringify!($name), "` = ", stringify!($v), ".")]
                $name = $v,
            )*
        }

        impl UnmanagedType {
            /// The member's .NET name.
            pub const fn name(self) -> &'static str {
                match self { $(UnmanagedType::$name => stringify!($name),)* }
            }

            /// The member named `name` (as in C#, case-sensitive).
            pub fn from_name(name: &str) -> Option<UnmanagedType> {
                match name { $(stringify!($name) => Some(UnmanagedType::$name),)* _ => None }
            }
        }

        impl TryFrom<u8> for UnmanagedType {
            type Error = DescError;
            fn try_from(v: u8) -> Result<UnmanagedType, DescError> {
                match v {
                    $($v => Ok(UnmanagedType::$name),)*
                    other => Err(DescError::Unsupported {
                        at: String::new(),
                        reason: format!("0x{other:02x} is not an UnmanagedType value"),
                    }),
                }
            }
        }
    };
}

unmanaged_types! {
    Bool = 0x02, I1 = 0x03, U1 = 0x04, I2 = 0x05, U2 = 0x06, I4 = 0x07, U4 = 0x08, I8 = 0x09, U8 = 0x0A,
    R4 = 0x0B, R8 = 0x0C, Currency = 0x0F, BStr = 0x13, LPStr = 0x14, LPWStr = 0x15, LPTStr = 0x16,
    ByValTStr = 0x17, IUnknown = 0x19, IDispatch = 0x1A, Struct = 0x1B, Interface = 0x1C, SafeArray = 0x1D,
    ByValArray = 0x1E, SysInt = 0x1F, SysUInt = 0x20, VBByRefStr = 0x22, AnsiBStr = 0x23, TBStr = 0x24,
    VariantBool = 0x25, FunctionPtr = 0x26, AsAny = 0x28, LPArray = 0x2A, LPStruct = 0x2B,
    CustomMarshaler = 0x2C, Error = 0x2D, IInspectable = 0x2E, HString = 0x2F, LPUTF8Str = 0x30,
}

impl fmt::Display for UnmanagedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn refuse(ut: UnmanagedType, reason: &str) -> Result<TypeDesc, DescError> {
    Err(DescError::Unsupported { at: String::new(), reason: format!("UnmanagedType.{ut}: {reason}") })
}

impl UnmanagedType {
    /// The descriptor this member means on its own.
    ///
    /// Members that need more than the member itself are refused with a reason
    /// naming what to use instead: `ByValTStr` / `ByValArray` / `LPArray` need
    /// `SizeConst` (and an element type): build [`TypeDesc::ByValTStr`],
    /// [`TypeDesc::by_val_array`], [`TypeDesc::lp_array`]; `SafeArray` needs its
    /// `SafeArraySubType` ([`UnmanagedType::safe_array`]); `Struct` means a VARIANT
    /// on `object` and the struct itself on a value type; `LPStruct` is a by-reference
    /// parameter of a struct (a P/Invoke parameter's direction, not a field form).
    /// `Interface` without an IID is `IUnknown`. `I1`/`U1`/`I2`/`U2` on `bool` or
    /// `char` are forms of those types: see [`UnmanagedType::on_bool`] and
    /// [`UnmanagedType::on_char`]; here they are the integers.
    pub fn type_desc(self) -> Result<TypeDesc, DescError> {
        use UnmanagedType as U;
        Ok(match self {
            U::Bool => TypeDesc::Bool(BoolRepr::Win32),
            U::VariantBool => TypeDesc::Bool(BoolRepr::VariantBool),
            U::I1 => TypeDesc::Prim(Prim::I8),
            U::U1 => TypeDesc::Prim(Prim::U8),
            U::I2 => TypeDesc::Prim(Prim::I16),
            U::U2 => TypeDesc::Prim(Prim::U16),
            U::I4 => TypeDesc::Prim(Prim::I32),
            U::U4 => TypeDesc::Prim(Prim::U32),
            U::I8 => TypeDesc::Prim(Prim::I64),
            U::U8 => TypeDesc::Prim(Prim::U64),
            U::R4 => TypeDesc::Prim(Prim::F32),
            U::R8 => TypeDesc::Prim(Prim::F64),
            U::SysInt => TypeDesc::Prim(Prim::ISize),
            U::SysUInt => TypeDesc::Prim(Prim::USize),
            U::Currency => TypeDesc::Currency,
            U::Error => TypeDesc::Error,
            U::BStr => TypeDesc::String(StringRepr::BStr),
            U::LPStr => TypeDesc::String(StringRepr::LPStr),
            U::LPWStr => TypeDesc::String(StringRepr::LPWStr),
            U::LPTStr => TypeDesc::String(StringRepr::LPTStr),
            U::LPUTF8Str => TypeDesc::String(StringRepr::LPUTF8Str),
            U::AnsiBStr => TypeDesc::String(StringRepr::AnsiBStr),
            U::TBStr => TypeDesc::String(StringRepr::TBStr),
            U::IUnknown | U::Interface => TypeDesc::Interface(InterfaceKind::IUnknown),
            U::IDispatch => TypeDesc::Interface(InterfaceKind::IDispatch),
            U::IInspectable => TypeDesc::Interface(InterfaceKind::Iid(IID_IINSPECTABLE)),
            U::FunctionPtr => TypeDesc::FnPtr,
            U::Struct => TypeDesc::Variant,
            U::ByValTStr => return refuse(self, "needs SizeConst: use TypeDesc::ByValTStr(n)"),
            U::ByValArray => return refuse(self, "needs SizeConst and an element type: use TypeDesc::by_val_array"),
            U::LPArray => return refuse(self, "needs an element type: use TypeDesc::lp_array"),
            U::SafeArray => return refuse(self, "needs its SafeArraySubType: use UnmanagedType::safe_array"),
            U::LPStruct => {
                return refuse(self, "a struct passed by reference: a by-ref P/Invoke parameter of the struct type")
            }
            U::AsAny => return refuse(self, "the form is chosen from the runtime type of an object; not supported"),
            U::CustomMarshaler => return refuse(self, "ICustomMarshaler is a managed extension point; not supported"),
            U::VBByRefStr => return refuse(self, "Visual Basic only; not supported"),
            U::HString => return refuse(self, "WinRT HSTRING: unsupported in .NET 5 and later"),
        })
    }

    /// `SafeArray` with its `SafeArraySubType` (VT_VARIANT when absent, as the CLR).
    pub fn safe_array(sub_type: Option<VarType>) -> TypeDesc {
        TypeDesc::SafeArray(sub_type.unwrap_or(VarType::VARIANT))
    }

    /// This member applied to a `bool`: Bool, VariantBool, I1 or U1; anything else
    /// is the CLR's invalid combination.
    pub fn on_bool(self) -> Result<TypeDesc, DescError> {
        match self {
            UnmanagedType::Bool => Ok(TypeDesc::Bool(BoolRepr::Win32)),
            UnmanagedType::VariantBool => Ok(TypeDesc::Bool(BoolRepr::VariantBool)),
            UnmanagedType::I1 => Ok(TypeDesc::Bool(BoolRepr::I1)),
            UnmanagedType::U1 => Ok(TypeDesc::Bool(BoolRepr::U1)),
            other => refuse(other, "not a valid form for bool (Bool, VariantBool, I1 or U1)"),
        }
    }

    /// This member applied to a `char`: I1/U1 force ANSI, I2/U2 force UTF-16.
    pub fn on_char(self) -> Result<TypeDesc, DescError> {
        match self {
            UnmanagedType::I1 | UnmanagedType::U1 => Ok(TypeDesc::Char(CharRepr::Ansi)),
            UnmanagedType::I2 | UnmanagedType::U2 => Ok(TypeDesc::Char(CharRepr::Utf16)),
            other => refuse(other, "not a valid form for char (I1, U1, I2 or U2)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_of_the_reference_table_round_trips() {
        // clr-marshaling.md §2: the members and their values.
        let table: &[(&str, u8)] = &[
            ("Bool", 0x02),
            ("I1", 0x03),
            ("U1", 0x04),
            ("I2", 0x05),
            ("U2", 0x06),
            ("I4", 0x07),
            ("U4", 0x08),
            ("I8", 0x09),
            ("U8", 0x0A),
            ("R4", 0x0B),
            ("R8", 0x0C),
            ("Currency", 0x0F),
            ("BStr", 0x13),
            ("LPStr", 0x14),
            ("LPWStr", 0x15),
            ("LPTStr", 0x16),
            ("ByValTStr", 0x17),
            ("IUnknown", 0x19),
            ("IDispatch", 0x1A),
            ("Struct", 0x1B),
            ("Interface", 0x1C),
            ("SafeArray", 0x1D),
            ("ByValArray", 0x1E),
            ("SysInt", 0x1F),
            ("SysUInt", 0x20),
            ("VBByRefStr", 0x22),
            ("AnsiBStr", 0x23),
            ("TBStr", 0x24),
            ("VariantBool", 0x25),
            ("FunctionPtr", 0x26),
            ("AsAny", 0x28),
            ("LPArray", 0x2A),
            ("LPStruct", 0x2B),
            ("CustomMarshaler", 0x2C),
            ("Error", 0x2D),
            ("IInspectable", 0x2E),
            ("HString", 0x2F),
            ("LPUTF8Str", 0x30),
        ];
        for &(name, v) in table {
            let ut = UnmanagedType::try_from(v).unwrap();
            assert_eq!(ut.name(), name);
            assert_eq!(UnmanagedType::from_name(name), Some(ut));
            assert_eq!(ut as u8, v);
        }
        assert!(UnmanagedType::try_from(0x01).is_err());
        assert!(UnmanagedType::try_from(0x31).is_err());
    }

    #[test]
    fn the_forms_follow_the_reference() {
        // §2: LPTStr is treated as LPWStr and TBStr as BStr by the string layer; Struct on object is a VARIANT.
        assert_eq!(UnmanagedType::Struct.type_desc(), Ok(TypeDesc::Variant));
        assert_eq!(UnmanagedType::Error.type_desc(), Ok(TypeDesc::Error));
        assert_eq!(UnmanagedType::VariantBool.on_bool(), Ok(TypeDesc::Bool(BoolRepr::VariantBool)));
        assert_eq!(UnmanagedType::U2.on_char(), Ok(TypeDesc::Char(CharRepr::Utf16)));
        assert!(UnmanagedType::I4.on_bool().is_err());
        assert_eq!(UnmanagedType::safe_array(None), TypeDesc::SafeArray(VarType::VARIANT));
        for refused in [
            UnmanagedType::AsAny,
            UnmanagedType::CustomMarshaler,
            UnmanagedType::VBByRefStr,
            UnmanagedType::HString,
            UnmanagedType::ByValTStr,
            UnmanagedType::LPArray,
        ] {
            assert!(matches!(refused.type_desc(), Err(DescError::Unsupported { .. })), "{refused}");
        }
    }
}
