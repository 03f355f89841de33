//! `HRESULT`: the 32-bit status code every OLE Automation call returns.
//!
//! The core needs the codes its conversions fail with (`DISP_E_OVERFLOW`,
//! `DISP_E_TYPEMISMATCH`, `DISP_E_BADINDEX`, …); the COM front end adds the
//! mapping to exception kinds on top.

use core::fmt;

/// An `HRESULT`: bit 31 is the severity (1 = failure), bits 16..=26 the facility,
/// bits 0..=15 the code.
///
/// ```
/// use marshal_core::Hresult;
/// assert!(Hresult::DISP_E_OVERFLOW.is_err());
/// assert_eq!(Hresult::DISP_E_OVERFLOW.facility(), 2); // FACILITY_DISPATCH
/// assert_eq!(Hresult::DISP_E_OVERFLOW.name(), Some("DISP_E_OVERFLOW"));
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Hresult(pub i32);

macro_rules! hresults {
    ($($name:ident = $value:expr, $text:expr;)*) => {
        impl Hresult {
            $(
                #[doc = $text]
                pub const $name: Hresult = Hresult($value as u32 as i32);
            )*

            /// The symbolic name of a well-known code (`"E_INVALIDARG"`), if it is one.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $(Hresult::$name => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// The standard message of a well-known code, as `FormatMessage` gives it.
            pub fn message(self) -> Option<&'static str> {
                match self {
                    $(Hresult::$name => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

hresults! {
    S_OK = 0, "Success.";
    S_FALSE = 1, "Success, with a false or partial result.";
    E_NOTIMPL = 0x8000_4001u32, "Not implemented.";
    E_NOINTERFACE = 0x8000_4002u32, "No such interface supported.";
    E_POINTER = 0x8000_4003u32, "Invalid pointer.";
    E_ABORT = 0x8000_4004u32, "Operation aborted.";
    E_FAIL = 0x8000_4005u32, "Unspecified error.";
    E_UNEXPECTED = 0x8000_FFFFu32, "Catastrophic failure.";
    E_ACCESSDENIED = 0x8007_0005u32, "Access is denied.";
    E_HANDLE = 0x8007_0006u32, "The handle is invalid.";
    E_OUTOFMEMORY = 0x8007_000Eu32, "Not enough memory resources are available to complete this operation.";
    E_INVALIDARG = 0x8007_0057u32, "The parameter is incorrect.";
    DISP_E_UNKNOWNINTERFACE = 0x8002_0001u32, "Unknown interface.";
    DISP_E_MEMBERNOTFOUND = 0x8002_0003u32, "Member not found.";
    DISP_E_PARAMNOTFOUND = 0x8002_0004u32, "Parameter not found.";
    DISP_E_TYPEMISMATCH = 0x8002_0005u32, "Type mismatch.";
    DISP_E_UNKNOWNNAME = 0x8002_0006u32, "Unknown name.";
    DISP_E_NONAMEDARGS = 0x8002_0007u32, "No named arguments.";
    DISP_E_BADVARTYPE = 0x8002_0008u32, "Bad variable type.";
    DISP_E_EXCEPTION = 0x8002_0009u32, "Exception occurred.";
    DISP_E_OVERFLOW = 0x8002_000Au32, "Out of present range.";
    DISP_E_BADINDEX = 0x8002_000Bu32, "Invalid index.";
    DISP_E_UNKNOWNLCID = 0x8002_000Cu32, "Unknown language.";
    DISP_E_ARRAYISLOCKED = 0x8002_000Du32, "Memory is locked.";
    DISP_E_BADPARAMCOUNT = 0x8002_000Eu32, "Invalid number of parameters.";
    DISP_E_PARAMNOTOPTIONAL = 0x8002_000Fu32, "Parameter not optional.";
    DISP_E_BADCALLEE = 0x8002_0010u32, "Invalid callee.";
    DISP_E_NOTACOLLECTION = 0x8002_0011u32, "Does not support a collection.";
    DISP_E_DIVBYZERO = 0x8002_0012u32, "Division by zero.";
    DISP_E_BUFFERTOOSMALL = 0x8002_0013u32, "Buffer too small.";
    TYPE_E_BUFFERTOOSMALL = 0x8002_8016u32, "Buffer too small.";
    TYPE_E_FIELDNOTFOUND = 0x8002_8017u32, "Field name not defined in the record.";
    TYPE_E_INVDATAREAD = 0x8002_8018u32, "Old format or invalid type library.";
    TYPE_E_UNSUPFORMAT = 0x8002_8019u32, "Old format or invalid type library.";
    TYPE_E_REGISTRYACCESS = 0x8002_801Cu32, "Error accessing the OLE registry.";
    TYPE_E_LIBNOTREGISTERED = 0x8002_801Du32, "Library not registered.";
    TYPE_E_UNDEFINEDTYPE = 0x8002_8027u32, "Bound to unknown type.";
    TYPE_E_QUALIFIEDNAMEDISALLOWED = 0x8002_8028u32, "Qualified name disallowed.";
    TYPE_E_INVALIDSTATE = 0x8002_8029u32, "Invalid forward reference, or reference to uncompiled type.";
    TYPE_E_WRONGTYPEKIND = 0x8002_802Au32, "Type mismatch.";
    TYPE_E_ELEMENTNOTFOUND = 0x8002_802Bu32, "Element not found.";
    TYPE_E_AMBIGUOUSNAME = 0x8002_802Cu32, "Ambiguous name.";
    TYPE_E_NAMECONFLICT = 0x8002_802Du32, "Name already exists in the library.";
    TYPE_E_UNKNOWNLCID = 0x8002_802Eu32, "Unknown LCID.";
    TYPE_E_DLLFUNCTIONNOTFOUND = 0x8002_802Fu32, "Function not defined in specified DLL.";
    TYPE_E_BADMODULEKIND = 0x8002_88BDu32, "Wrong module kind for the operation.";
    TYPE_E_SIZETOOBIG = 0x8002_88C5u32, "Size may not exceed 64K.";
    TYPE_E_DUPLICATEID = 0x8002_88C6u32, "Duplicate ID in inheritance hierarchy.";
    TYPE_E_INVALIDID = 0x8002_88CFu32, "Incorrect inheritance depth in standard OLE hmember.";
    TYPE_E_TYPEMISMATCH = 0x8002_8CA0u32, "Type mismatch.";
    TYPE_E_OUTOFBOUNDS = 0x8002_8CA1u32, "Invalid number of arguments.";
    TYPE_E_IOERROR = 0x8002_8CA2u32, "I/O Error.";
    TYPE_E_CANTCREATETMPFILE = 0x8002_8CA3u32, "Error creating unique tmp file.";
    TYPE_E_CANTLOADLIBRARY = 0x8002_9C4Au32, "Error loading type library/DLL.";
    TYPE_E_INCONSISTENTPROPFUNCS = 0x8002_9C83u32, "Inconsistent property functions.";
    TYPE_E_CIRCULARTYPE = 0x8002_9C84u32, "Circular dependency between types/modules.";
    CLASS_E_NOAGGREGATION = 0x8004_0110u32, "Class does not support aggregation (or class object is remote).";
    CLASS_E_CLASSNOTAVAILABLE = 0x8004_0111u32, "ClassFactory cannot supply requested class.";
    REGDB_E_CLASSNOTREG = 0x8004_0154u32, "Class not registered.";
    CO_E_NOTINITIALIZED = 0x8004_01F0u32, "CoInitialize has not been called.";
    RPC_E_CHANGED_MODE = 0x8001_0106u32, "Cannot change thread mode after it is set.";
    RPC_E_WRONG_THREAD = 0x8001_010Eu32, "The application called an interface that was marshalled for a different thread.";
    COR_E_ARGUMENTOUTOFRANGE = 0x8013_1502u32, "Specified argument was out of the range of valid values.";
    COR_E_INDEXOUTOFRANGE = 0x8013_1508u32, "Index was outside the bounds of the array.";
    COR_E_INVALIDOPERATION = 0x8013_1509u32, "Operation is not valid due to the current state of the object.";
    COR_E_NOTSUPPORTED = 0x8013_1515u32, "Specified method is not supported.";
    COR_E_OVERFLOW = 0x8013_1516u32, "Arithmetic operation resulted in an overflow.";
    COR_E_SAFEARRAYRANKMISMATCH = 0x8013_1538u32, "Specified array was not of the expected rank.";
    COR_E_SAFEARRAYTYPEMISMATCH = 0x8013_1533u32, "Specified array was not of the expected type.";
    COR_E_MARSHALDIRECTIVE = 0x8013_1535u32, "Marshaling directives are invalid.";
}

impl Hresult {
    /// `true` when the severity bit is set (`FAILED(hr)`).
    pub const fn is_err(self) -> bool {
        self.0 < 0
    }

    /// `true` when the severity bit is clear (`SUCCEEDED(hr)`).
    pub const fn is_ok(self) -> bool {
        self.0 >= 0
    }

    /// The facility field (bits 16..=26): 2 = DISPATCH, 7 = WIN32, 0x13 = URT (.NET).
    pub const fn facility(self) -> u16 {
        ((self.0 as u32 >> 16) & 0x7FF) as u16
    }

    /// The code field (bits 0..=15).
    pub const fn code(self) -> u16 {
        self.0 as u32 as u16
    }

    /// `HRESULT_FROM_WIN32`: a Win32 error code in FACILITY_WIN32.
    pub const fn from_win32(err: u32) -> Hresult {
        if err as i32 <= 0 {
            Hresult(err as i32)
        } else {
            Hresult(((err & 0xFFFF) | (7 << 16) | 0x8000_0000) as i32)
        }
    }

    /// `Ok(())` for success codes, `Err(self)` for failures.
    pub fn ok(self) -> Result<(), Hresult> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Debug for Hresult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} (0x{:08X})", self.0 as u32),
            None => write!(f, "HRESULT(0x{:08X})", self.0 as u32),
        }
    }
}

impl fmt::Display for Hresult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(m) => write!(f, "{m} (0x{:08X})", self.0 as u32),
            None => write!(f, "HRESULT 0x{:08X}", self.0 as u32),
        }
    }
}

impl std::error::Error for Hresult {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win32_errors_map_into_facility_win32() {
        // ERROR_ACCESS_DENIED (5) -> E_ACCESSDENIED, as HRESULT_FROM_WIN32 in winerror.h.
        assert_eq!(Hresult::from_win32(5), Hresult::E_ACCESSDENIED);
        assert_eq!(Hresult::from_win32(0), Hresult::S_OK);
        assert_eq!(Hresult::E_INVALIDARG.facility(), 7);
        assert_eq!(Hresult::E_INVALIDARG.code(), 0x57);
    }
}
