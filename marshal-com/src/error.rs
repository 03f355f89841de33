//! HRESULT ↔ error mapping: the table the CLR uses to turn a failing HRESULT into an
//! exception type (`rexcep.h`), as a Rust error with one [`ErrorKind`] per mapped
//! exception and the raw HRESULT always kept.
//!
//! Direction native → Rust ([`ErrorKind::from_hresult`]): every HRESULT listed for an
//! exception maps to it; where several exceptions list the same code the first entry of
//! the CLR's table wins (`E_POINTER` is `NullReferenceException`, not
//! `ArgumentNullException`; `E_FAIL` is `COMException`). Anything unmapped is
//! [`ErrorKind::Com`] (`COMException` with `ErrorCode = hr`).
//!
//! Direction Rust → native ([`ErrorKind::hresult`]): each kind's representative code
//! (the first of its list), so `ArgumentNull` goes out as `E_POINTER` and comes back as
//! `NullReference`, exactly as in .NET. A [`ComError`] built from an HRESULT keeps that
//! exact HRESULT when it goes back out.
//!
//! ```
//! use marshal_com::{ComError, ErrorKind, Hresult};
//! let e = ComError::from_hresult(Hresult::E_INVALIDARG);
//! assert_eq!(e.kind(), ErrorKind::Argument);
//! assert_eq!(e.kind().exception_name(), "System.ArgumentException");
//! assert_eq!(ErrorKind::from_hresult(Hresult::E_POINTER), ErrorKind::NullReference);
//! assert_eq!(ErrorKind::ArgumentNull.hresult(), Hresult::E_POINTER);
//! // Unmapped codes keep their value under the COMException kind.
//! let e = ComError::from_hresult(Hresult::DISP_E_OVERFLOW);
//! assert_eq!((e.kind(), e.hresult()), (ErrorKind::Com, Hresult::DISP_E_OVERFLOW));
//! ```

use core::fmt;

use marshal_core::{Guid, Hresult};

/// `STD_CTL_SCODE(n)`: a Visual Basic runtime error in FACILITY_CONTROL (0x800A0000 | n).
const fn ctl(n: u32) -> Hresult {
    Hresult((0x800A_0000 | n) as i32)
}

/// `COR_E_INVALIDOLEVARIANTTYPE`: InvalidOleVariantTypeException.
pub const COR_E_INVALIDOLEVARIANTTYPE: Hresult = Hresult(0x8013_1531u32 as i32);
/// `HRESULT_FROM_WIN32(ERROR_NO_UNICODE_TRANSLATION)`, the second code of ArgumentOutOfRangeException.
const NO_UNICODE_TRANSLATION: Hresult = Hresult::from_win32(1113);

macro_rules! error_kinds {
    ($(
        $(#[$doc:meta])*
        $kind:ident => $exception:literal, [$($hr:expr),+ $(,)?];
    )*) => {
        /// The exception a failing HRESULT becomes (one variant per entry of the CLR's table).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $($(#[$doc])* $kind,)*
        }

        /// The table in the CLR's order: (kind, the HRESULTs that map to it, first = representative).
        const TABLE: &[(ErrorKind, &[Hresult])] = &[$((ErrorKind::$kind, &[$($hr),+]),)*];

        impl ErrorKind {
            /// Every kind, in the order of the CLR's table.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind,)*];

            /// The full name of the .NET exception type (`"System.ArgumentException"`).
            pub const fn exception_name(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $exception,)*
                }
            }
        }
    };
}

// Order and codes follow `rexcep.h` (dotnet/runtime `src/coreclr/vm/rexcep.h`) for the exceptions
// an interop call can produce; where two kinds share a code the earlier one wins the lookup.
error_kinds! {
    /// `ArgumentException`: `E_INVALIDARG` (COR_E_ARGUMENT) and VB errors 449, 450.
    Argument => "System.ArgumentException", [Hresult::E_INVALIDARG, ctl(449), ctl(450)];
    /// `ArgumentOutOfRangeException`: COR_E_ARGUMENTOUTOFRANGE 0x80131502.
    ArgumentOutOfRange => "System.ArgumentOutOfRangeException",
        [Hresult::COR_E_ARGUMENTOUTOFRANGE, NO_UNICODE_TRANSLATION];
    /// `DivideByZeroException`: COR_E_DIVIDEBYZERO = `DISP_E_DIVBYZERO` 0x80020012, VB error 11.
    DivideByZero => "System.DivideByZeroException", [Hresult::DISP_E_DIVBYZERO, ctl(11)];
    /// `IndexOutOfRangeException`: COR_E_INDEXOUTOFRANGE 0x80131508, VB "subscript out of range" 9.
    IndexOutOfRange => "System.IndexOutOfRangeException", [Hresult::COR_E_INDEXOUTOFRANGE, ctl(9)];
    /// `InvalidCastException`: COR_E_INVALIDCAST = `E_NOINTERFACE`.
    InvalidCast => "System.InvalidCastException", [Hresult::E_NOINTERFACE];
    /// `InvalidOleVariantTypeException`: COR_E_INVALIDOLEVARIANTTYPE 0x80131531.
    InvalidOleVariantType => "System.Runtime.InteropServices.InvalidOleVariantTypeException",
        [COR_E_INVALIDOLEVARIANTTYPE];
    /// `InvalidOperationException`: COR_E_INVALIDOPERATION 0x80131509.
    InvalidOperation => "System.InvalidOperationException", [Hresult::COR_E_INVALIDOPERATION];
    /// `MarshalDirectiveException`: COR_E_MARSHALDIRECTIVE 0x80131535.
    MarshalDirective => "System.Runtime.InteropServices.MarshalDirectiveException",
        [Hresult::COR_E_MARSHALDIRECTIVE];
    /// `NotSupportedException`: COR_E_NOTSUPPORTED 0x80131515 and VB errors 438, 445, 458, 459.
    NotSupported => "System.NotSupportedException",
        [Hresult::COR_E_NOTSUPPORTED, ctl(438), ctl(445), ctl(458), ctl(459)];
    /// `NullReferenceException`: COR_E_NULLREFERENCE = `E_POINTER` (first entry for that code).
    NullReference => "System.NullReferenceException", [Hresult::E_POINTER];
    /// `OverflowException`: COR_E_OVERFLOW 0x80131516, VB error 6 (CTL_E_OVERFLOW).
    Overflow => "System.OverflowException", [Hresult::COR_E_OVERFLOW, ctl(6)];
    /// `SafeArrayRankMismatchException`: COR_E_SAFEARRAYRANKMISMATCH 0x80131538.
    SafeArrayRankMismatch => "System.Runtime.InteropServices.SafeArrayRankMismatchException",
        [Hresult::COR_E_SAFEARRAYRANKMISMATCH];
    /// `SafeArrayTypeMismatchException`: COR_E_SAFEARRAYTYPEMISMATCH 0x80131533.
    SafeArrayTypeMismatch => "System.Runtime.InteropServices.SafeArrayTypeMismatchException",
        [Hresult::COR_E_SAFEARRAYTYPEMISMATCH];
    /// `COMException`: `E_FAIL`, and every HRESULT no other entry claims.
    Com => "System.Runtime.InteropServices.COMException", [Hresult::E_FAIL];
    /// `NotImplementedException`: `E_NOTIMPL`.
    NotImplemented => "System.NotImplementedException", [Hresult::E_NOTIMPL];
    /// `OutOfMemoryException`: `E_OUTOFMEMORY`, VB errors 7 and 31001.
    OutOfMemory => "System.OutOfMemoryException", [Hresult::E_OUTOFMEMORY, ctl(7), ctl(31001)];
    /// `ArgumentNullException`: goes out as `E_POINTER`, which comes back as [`ErrorKind::NullReference`].
    ArgumentNull => "System.ArgumentNullException", [Hresult::E_POINTER];
}

impl ErrorKind {
    /// The kind a failing HRESULT maps to: the first table entry listing it, else [`ErrorKind::Com`].
    /// Success codes have no kind and also give `Com` (callers only ask for failures).
    pub fn from_hresult(hr: Hresult) -> ErrorKind {
        TABLE.iter().find(|(_, codes)| codes.contains(&hr)).map(|&(kind, _)| kind).unwrap_or(ErrorKind::Com)
    }

    /// The representative HRESULT of the kind (what `Exception.HResult` is by default),
    /// returned to native callers when a Rust method fails with this kind.
    pub fn hresult(self) -> Hresult {
        TABLE.iter().find(|(kind, _)| *kind == self).map(|(_, codes)| codes[0]).unwrap_or(Hresult::E_FAIL)
    }

    /// Every HRESULT that maps to this kind (its representative first). A code listed here
    /// may still map to an earlier kind (`E_POINTER` under `ArgumentNull`).
    pub fn hresults(self) -> &'static [Hresult] {
        TABLE.iter().find(|(kind, _)| *kind == self).map(|(_, codes)| *codes).unwrap_or(&[])
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.exception_name())
    }
}

/// What an `IErrorInfo` carries besides the HRESULT: description (→ `Exception.Message`),
/// source (→ `Source`), the GUID of the interface that defined the error, and help file +
/// context (→ `HelpLink` = `file#context`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    /// `IErrorInfo::GetDescription`.
    pub description: Option<String>,
    /// `IErrorInfo::GetSource` (usually a ProgID).
    pub source: Option<String>,
    /// `IErrorInfo::GetGUID`: the IID of the interface that defined the error ([`Guid::NULL`] if none).
    pub guid: Guid,
    /// `IErrorInfo::GetHelpFile`.
    pub help_file: Option<String>,
    /// `IErrorInfo::GetHelpContext`.
    pub help_context: u32,
    /// `IDispatch::Invoke`'s `*puArgErr`: the `rgvarg` index of the argument at fault (named
    /// arguments first, then the positional ones last to first), when the callee set it.
    pub arg_error: Option<u32>,
}

impl ErrorDetails {
    /// `HelpLink` as the CLR builds it: `file#context`, or the file alone when the context is 0.
    pub fn help_link(&self) -> Option<String> {
        let file = self.help_file.as_deref().filter(|f| !f.is_empty())?;
        Some(if self.help_context != 0 { format!("{file}#{}", self.help_context) } else { file.to_owned() })
    }
}

/// A failed COM or interop call: the mapped [`ErrorKind`], the exact HRESULT, and the
/// error information the callee left (if any).
///
/// Two words wide, so `ComResult<T>` stays cheap on the success path.
#[derive(Clone, PartialEq, Eq)]
pub struct ComError {
    hr: Hresult,
    kind: ErrorKind,
    /// Set by [`ComError::without_error_info`]: leaving a COM method, the thread's error object
    /// is cleared instead of being set to this error.
    plain: bool,
    details: Option<Box<ErrorDetails>>,
}

/// `Result<T, ComError>`.
pub type ComResult<T> = Result<T, ComError>;

impl ComError {
    /// The error for a failing HRESULT, with the kind of the CLR's table and no details.
    /// A success code is kept as is (it is what the caller asked to wrap) under [`ErrorKind::Com`].
    pub fn from_hresult(hr: Hresult) -> ComError {
        ComError { hr, kind: ErrorKind::from_hresult(hr), plain: false, details: None }
    }

    /// An error of `kind`, going out as the kind's representative HRESULT.
    pub fn new(kind: ErrorKind, description: impl Into<String>) -> ComError {
        ComError { hr: kind.hresult(), kind, plain: false, details: None }.with_description(description)
    }

    /// An error with an explicit HRESULT (kind from the table) and a description.
    pub fn with_message(hr: Hresult, description: impl Into<String>) -> ComError {
        ComError::from_hresult(hr).with_description(description)
    }

    /// An error from an HRESULT and the error information read from the callee.
    pub fn from_parts(hr: Hresult, details: Option<ErrorDetails>) -> ComError {
        ComError { hr, kind: ErrorKind::from_hresult(hr), plain: false, details: details.map(Box::new) }
    }

    /// Replaces the description.
    pub fn with_description(mut self, description: impl Into<String>) -> ComError {
        self.details_mut().description = Some(description.into());
        self
    }

    /// Replaces the source.
    pub fn with_source(mut self, source: impl Into<String>) -> ComError {
        self.details_mut().source = Some(source.into());
        self
    }

    /// The error for a panic payload caught at a COM boundary: `E_UNEXPECTED`, with the
    /// panic message as the description.
    pub fn from_panic(payload: &(dyn core::any::Any + Send)) -> ComError {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_owned());
        ComError::with_message(Hresult::E_UNEXPECTED, format!("panic in a Rust COM method: {what}"))
    }

    /// Marks the error as reported by its HRESULT alone: a Rust COM method returning it clears
    /// the thread's error object rather than setting one (for methods whose callers do not
    /// read `IErrorInfo`, such as `IDispatch::Invoke`'s own failures).
    pub fn without_error_info(mut self) -> ComError {
        self.plain = true;
        self
    }

    /// `true` after [`ComError::without_error_info`].
    pub fn is_without_error_info(&self) -> bool {
        self.plain
    }

    fn details_mut(&mut self) -> &mut ErrorDetails {
        self.details.get_or_insert_with(Default::default)
    }

    /// The exact HRESULT (what native callers see).
    pub fn hresult(&self) -> Hresult {
        self.hr
    }

    /// The mapped kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The error information, if the callee provided any or a description was set.
    pub fn details(&self) -> Option<&ErrorDetails> {
        self.details.as_deref()
    }

    /// The description from the error information, if any.
    pub fn description(&self) -> Option<&str> {
        self.details.as_ref()?.description.as_deref()
    }

    /// `Exception.Message`: the description if there is one, else the standard message of
    /// the HRESULT, else the CLR's generic COMException text.
    pub fn message(&self) -> String {
        if let Some(d) = self.description() {
            return d.to_owned();
        }
        match self.hr.message() {
            Some(m) => m.to_owned(),
            None => {
                format!("Error HRESULT 0x{:08X} has been returned from a call to a COM component.", self.hr.0 as u32)
            }
        }
    }
}

impl fmt::Debug for ComError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ComError");
        s.field("kind", &self.kind).field("hr", &self.hr);
        if let Some(d) = &self.details {
            s.field("details", d);
        }
        s.finish()
    }
}

impl fmt::Display for ComError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (0x{:08X})", self.kind.exception_name(), self.message(), self.hr.0 as u32)
    }
}

impl std::error::Error for ComError {}

impl From<Hresult> for ComError {
    fn from(hr: Hresult) -> ComError {
        ComError::from_hresult(hr)
    }
}

impl From<ErrorKind> for ComError {
    fn from(kind: ErrorKind) -> ComError {
        ComError { hr: kind.hresult(), kind, plain: false, details: None }
    }
}

/// `PreserveSig = false` for one HRESULT: failures become a [`ComError`] (without error
/// information: use [`crate::ComPtr::check`] to read the callee's), success codes such as
/// `S_FALSE` are dropped.
///
/// ```
/// use marshal_com::{preserve_sig_false, Hresult, ErrorKind};
/// assert!(preserve_sig_false(Hresult::S_FALSE).is_ok());
/// assert_eq!(preserve_sig_false(Hresult::E_NOTIMPL).unwrap_err().kind(), ErrorKind::NotImplemented);
/// ```
pub fn preserve_sig_false(hr: Hresult) -> ComResult<()> {
    if hr.is_ok() {
        Ok(())
    } else {
        Err(ComError::from_hresult(hr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The §9 table of the reference, written out independently of the macro above.
    const REFERENCE: &[(u32, ErrorKind)] = &[
        (0x8000_4003, ErrorKind::NullReference),
        (0x8007_0057, ErrorKind::Argument),
        (0x8007_000E, ErrorKind::OutOfMemory),
        (0x8000_4002, ErrorKind::InvalidCast),
        (0x8000_4001, ErrorKind::NotImplemented),
        (0x8013_1502, ErrorKind::ArgumentOutOfRange),
        (0x8013_1509, ErrorKind::InvalidOperation),
        (0x8013_1515, ErrorKind::NotSupported),
        (0x8013_1516, ErrorKind::Overflow),
        (0x8002_0012, ErrorKind::DivideByZero),
        (0x8013_1508, ErrorKind::IndexOutOfRange),
        (0x8013_1535, ErrorKind::MarshalDirective),
        (0x8013_1533, ErrorKind::SafeArrayTypeMismatch),
        (0x8013_1538, ErrorKind::SafeArrayRankMismatch),
        (0x8000_4005, ErrorKind::Com),
    ];

    #[test]
    fn reference_table_maps_each_hresult_to_its_exception() {
        for &(hr, kind) in REFERENCE {
            assert_eq!(ErrorKind::from_hresult(Hresult(hr as i32)), kind, "0x{hr:08X}");
            assert_eq!(kind.hresult(), Hresult(hr as i32), "{kind:?} goes out as its code");
        }
    }

    #[test]
    fn e_pointer_first_entry_wins_and_argument_null_goes_out_as_e_pointer() {
        assert_eq!(ErrorKind::from_hresult(Hresult(0x8000_4003u32 as i32)), ErrorKind::NullReference);
        let e = ComError::from(ErrorKind::ArgumentNull);
        assert_eq!(e.hresult().0 as u32, 0x8000_4003);
        assert_eq!(ComError::from_hresult(e.hresult()).kind(), ErrorKind::NullReference);
    }

    #[test]
    fn unmapped_codes_fall_back_to_com_exception_and_keep_the_code() {
        for hr in [0x8002_0005u32, 0x8002_000A, 0x8000_FFFF, 0x8765_4321, 0x8002_0009] {
            let e = ComError::from_hresult(Hresult(hr as i32));
            assert_eq!(e.kind(), ErrorKind::Com);
            assert_eq!(e.hresult().0 as u32, hr);
        }
    }

    #[test]
    fn visual_basic_runtime_codes_map_like_the_clr() {
        // STD_CTL_SCODE(n) = 0x800A0000 | n.
        assert_eq!(ErrorKind::from_hresult(Hresult(0x800A_0006u32 as i32)), ErrorKind::Overflow);
        assert_eq!(ErrorKind::from_hresult(Hresult(0x800A_000Bu32 as i32)), ErrorKind::DivideByZero);
        assert_eq!(ErrorKind::from_hresult(Hresult(0x800A_01B6u32 as i32)), ErrorKind::NotSupported);
        assert_eq!(ErrorKind::from_hresult(Hresult(0x800A_0007u32 as i32)), ErrorKind::OutOfMemory);
    }

    #[test]
    fn message_prefers_description_then_standard_text() {
        let e = ComError::with_message(Hresult::E_INVALIDARG, "bad width");
        assert_eq!(e.message(), "bad width");
        assert_eq!(ComError::from_hresult(Hresult::E_INVALIDARG).message(), "The parameter is incorrect.");
        let unknown = ComError::from_hresult(Hresult(0x8765_4321u32 as i32));
        assert!(unknown.message().contains("0x87654321"));
        assert_eq!(e.to_string(), "System.ArgumentException: bad width (0x80070057)");
    }

    #[test]
    fn help_link_joins_file_and_context() {
        let d = ErrorDetails { help_file: Some("app.chm".into()), help_context: 42, ..Default::default() };
        assert_eq!(d.help_link().as_deref(), Some("app.chm#42"));
        let d = ErrorDetails { help_file: Some("app.chm".into()), ..Default::default() };
        assert_eq!(d.help_link().as_deref(), Some("app.chm"));
        assert_eq!(ErrorDetails::default().help_link(), None);
    }

    #[test]
    fn error_is_two_words() {
        assert!(core::mem::size_of::<ComError>() <= 2 * core::mem::size_of::<usize>());
    }

    #[test]
    fn panic_payloads_become_e_unexpected() {
        let e = ComError::from_panic(&"boom");
        assert_eq!(e.hresult(), Hresult::E_UNEXPECTED);
        assert!(e.description().unwrap().contains("boom"));
    }
}
