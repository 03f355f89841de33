//! The one error type of the front end: every refusal is typed and, where the
//! refusal concerns a call, happens before any native code runs.

use core::fmt;

use marshal_core::plan::PlanError;
use marshal_core::Hresult;

/// Why loading, describing or calling failed.
#[derive(Clone, Debug, PartialEq)]
pub enum PinvokeError {
    /// No candidate file name of the library could be loaded. `tried` lists each
    /// candidate with the loader's message, in probing order.
    LibraryNotFound {
        /// The name as given.
        name: String,
        /// (candidate, loader error) in the order tried.
        tried: Vec<(String, String)>,
    },
    /// The library has none of the spellings of the entry point.
    SymbolNotFound {
        /// The library's name.
        library: String,
        /// Every spelling tried (EntryPoint, then the CharSet suffix variants).
        tried: Vec<String>,
    },
    /// The signature itself is invalid (the CLR's MarshalDirectiveException):
    /// an unknown SizeParamIndex, a field-only form as a parameter, …
    InvalidSignature {
        /// Parameter (`#i name`) or `return`.
        at: String,
        /// What is wrong.
        reason: String,
    },
    /// Wrong number of arguments for the signature.
    ArgumentCount {
        /// Parameters declared.
        expected: usize,
        /// Arguments given.
        given: usize,
    },
    /// An argument does not fit its parameter's type.
    ArgumentType {
        /// Where (parameter and path inside it).
        at: String,
        /// What the parameter wants.
        expected: String,
    },
    /// A null where the signature forbids it (a by-value struct, a `[retval]`
    /// slot, a non-nullable handle).
    NullNotAllowed {
        /// Where.
        at: String,
    },
    /// The count a `SizeParamIndex` parameter gave is not a valid element count.
    BadArraySize {
        /// The array parameter.
        at: String,
        /// The count read.
        count: i128,
    },
    /// A form this engine does not marshal (yet), with the reason.
    Unsupported {
        /// Where.
        at: String,
        /// What.
        what: String,
    },
    /// `PreserveSig = false` and the callee returned a failure HRESULT.
    Hresult(Hresult),
    /// libffi refused the call interface (bad type, unsupported ABI).
    Ffi(String),
    /// A callback failed or panicked; the native caller got a zero result.
    Callback(String),
    /// The engine refused to convert a value (a string the code page cannot
    /// hold, a decimal out of the CY range, an array of the wrong VARTYPE, …).
    Marshal {
        /// Where (parameter and path inside it).
        at: String,
        /// The engine's error.
        error: PlanError,
    },
}

impl PinvokeError {
    /// Puts `outer` (a parameter, an index) in front of the location of the error.
    /// Locations are built only on the error path: a successful call formats nothing.
    pub(crate) fn within(self, outer: impl FnOnce() -> String) -> PinvokeError {
        match self {
            PinvokeError::ArgumentType { at, expected } => PinvokeError::ArgumentType { at: outer() + &at, expected },
            PinvokeError::NullNotAllowed { at } => PinvokeError::NullNotAllowed { at: outer() + &at },
            PinvokeError::Unsupported { at, what } => PinvokeError::Unsupported { at: outer() + &at, what },
            PinvokeError::BadArraySize { at, count } => PinvokeError::BadArraySize { at: outer() + &at, count },
            PinvokeError::InvalidSignature { at, reason } => {
                PinvokeError::InvalidSignature { at: outer() + &at, reason }
            }
            PinvokeError::Marshal { at, error } => PinvokeError::Marshal { at: outer() + &at, error },
            other => other,
        }
    }
}

/// A field path of the engine (`inner.name`, `[3]`) as the suffix of a location.
fn path_suffix(path: &str) -> String {
    if path.is_empty() || path.starts_with('[') {
        path.to_string()
    } else {
        format!(".{path}")
    }
}

impl From<PlanError> for PinvokeError {
    fn from(e: PlanError) -> PinvokeError {
        match e {
            PlanError::Mismatch { path, expected } => PinvokeError::ArgumentType { at: path_suffix(&path), expected },
            PlanError::Unsupported { path, what } => PinvokeError::Unsupported { at: path_suffix(&path), what },
            PlanError::Layout(l) => PinvokeError::InvalidSignature { at: String::new(), reason: l.to_string() },
            other => PinvokeError::Marshal { at: path_suffix(other.path()), error: other },
        }
    }
}

impl fmt::Display for PinvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinvokeError::LibraryNotFound { name, tried } => {
                write!(f, "unable to load library `{name}`; tried:")?;
                for (cand, err) in tried {
                    write!(f, "\n  {cand}: {err}")?;
                }
                Ok(())
            }
            PinvokeError::SymbolNotFound { library, tried } => {
                write!(f, "no entry point in `{library}`; tried {}", tried.join(", "))
            }
            PinvokeError::InvalidSignature { at, reason } => write!(f, "invalid signature at {at}: {reason}"),
            PinvokeError::ArgumentCount { expected, given } => {
                write!(f, "{given} arguments given, the signature has {expected}")
            }
            PinvokeError::ArgumentType { at, expected } => write!(f, "{at}: expected {expected}"),
            PinvokeError::NullNotAllowed { at } => write!(f, "{at}: null is not allowed here"),
            PinvokeError::BadArraySize { at, count } => write!(f, "{at}: invalid element count {count}"),
            PinvokeError::Unsupported { at, what } => write!(f, "{at}: {what} is not supported"),
            PinvokeError::Hresult(hr) => write!(f, "call failed with HRESULT 0x{:08x}", hr.0 as u32),
            PinvokeError::Ffi(e) => write!(f, "libffi: {e}"),
            PinvokeError::Callback(e) => write!(f, "callback: {e}"),
            PinvokeError::Marshal { at, error } => write!(f, "{at}: {error}"),
        }
    }
}

impl std::error::Error for PinvokeError {}
