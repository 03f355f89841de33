//! The calling core under both front ends: a native signature in ABI terms
//! ([`AbiType`]), prepared once into a libffi call interface ([`CallCore`]) and
//! called with pointers to argument slots. Nothing here knows about managed
//! values; the [`crate::signature`] layer above converts them.

use core::ffi::c_void;

use libffi::low::{ffi_abi, ffi_abi_FFI_DEFAULT_ABI, CodePtr};
use libffi::middle::{Cif, Type};

use crate::error::PinvokeError;

/// A native type as the ABI sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AbiType {
    /// No value (returns only).
    Void,
    /// `int8_t`.
    I8,
    /// `uint8_t`.
    U8,
    /// `int16_t`.
    I16,
    /// `uint16_t`.
    U16,
    /// `int32_t`.
    I32,
    /// `uint32_t`.
    U32,
    /// `int64_t`.
    I64,
    /// `uint64_t`.
    U64,
    /// `float`.
    F32,
    /// `double`.
    F64,
    /// Any data or code pointer.
    Pointer,
    /// A struct of these members at their natural C alignment.
    Struct(Vec<AbiType>),
}

impl AbiType {
    /// (size, alignment) under the C rules of the host.
    pub fn size_align(&self) -> (usize, usize) {
        match self {
            AbiType::Void => (0, 1),
            AbiType::I8 | AbiType::U8 => (1, 1),
            AbiType::I16 | AbiType::U16 => (2, 2),
            AbiType::I32 | AbiType::U32 | AbiType::F32 => (4, 4),
            AbiType::I64 | AbiType::U64 | AbiType::F64 => (8, core::mem::align_of::<u64>()),
            AbiType::Pointer => (core::mem::size_of::<usize>(), core::mem::align_of::<usize>()),
            AbiType::Struct(members) => {
                let (mut end, mut align) = (0usize, 1usize);
                for m in members {
                    let (s, a) = m.size_align();
                    end = end.div_ceil(a) * a + s;
                    align = align.max(a);
                }
                (end.div_ceil(align) * align, align)
            }
        }
    }

    /// Whether a return of this type is widened to a full register word by
    /// libffi (`ffi_arg`): integers narrower than 8 bytes.
    pub fn widened_on_return(&self) -> bool {
        matches!(self, AbiType::I8 | AbiType::U8 | AbiType::I16 | AbiType::U16 | AbiType::I32 | AbiType::U32)
    }

    fn ffi(&self) -> Type {
        match self {
            AbiType::Void => Type::void(),
            AbiType::I8 => Type::i8(),
            AbiType::U8 => Type::u8(),
            AbiType::I16 => Type::i16(),
            AbiType::U16 => Type::u16(),
            AbiType::I32 => Type::i32(),
            AbiType::U32 => Type::u32(),
            AbiType::I64 => Type::i64(),
            AbiType::U64 => Type::u64(),
            AbiType::F32 => Type::f32(),
            AbiType::F64 => Type::f64(),
            AbiType::Pointer => Type::pointer(),
            AbiType::Struct(m) => Type::structure(m.iter().map(AbiType::ffi)),
        }
    }
}

/// A calling convention of `[DllImport]` / `[UnmanagedFunctionPointer]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CallConv {
    /// `CallingConvention.Winapi`: the platform default (stdcall on 32-bit
    /// Windows, C elsewhere).
    #[default]
    Winapi,
    /// `Cdecl`.
    Cdecl,
    /// `StdCall`: the same as C except on 32-bit x86.
    StdCall,
    /// `ThisCall`: the same as C except on 32-bit x86.
    ThisCall,
    /// `FastCall`: the same as C except on 32-bit x86.
    FastCall,
}

impl CallConv {
    /// The libffi ABI for this convention on the host. Everywhere but 32-bit x86
    /// all of them are the C convention (the CLR does the same); the 32-bit x86
    /// callee-cleanup conventions are refused rather than called wrongly.
    pub(crate) fn ffi_abi(self) -> Result<ffi_abi, PinvokeError> {
        match self {
            CallConv::Winapi | CallConv::Cdecl => Ok(ffi_abi_FFI_DEFAULT_ABI),
            _ if !cfg!(target_arch = "x86") => Ok(ffi_abi_FFI_DEFAULT_ABI),
            other => Err(PinvokeError::Unsupported {
                at: "calling convention".into(),
                what: format!("{other:?} on 32-bit x86"),
            }),
        }
    }

    /// Parses the .NET names (`Cdecl`, `StdCall`, `Winapi`, `ThisCall`, `FastCall`).
    pub fn from_clr_name(s: &str) -> Option<CallConv> {
        Some(match s {
            "Winapi" => CallConv::Winapi,
            "Cdecl" => CallConv::Cdecl,
            "StdCall" => CallConv::StdCall,
            "ThisCall" => CallConv::ThisCall,
            "FastCall" => CallConv::FastCall,
            _ => return None,
        })
    }
}

/// A prepared native call: the libffi call interface and the code address.
///
/// ```
/// use marshal_pinvoke::abi::{AbiType, CallCore, CallConv};
/// extern "C" fn add(a: i32, b: i32) -> i32 { a + b }
/// let core = CallCore::new(add as *const (), &[AbiType::I32, AbiType::I32], &AbiType::I32, CallConv::Cdecl).unwrap();
/// let (mut a, mut b, mut r) = (2i32, 40i32, 0u64);
/// // SAFETY: the types match `add`, and the slots are valid for the call.
/// unsafe { core.call(&mut [&mut a as *mut i32 as *mut _, &mut b as *mut i32 as *mut _], &mut r as *mut u64 as *mut _) };
/// assert_eq!(r as i32, 42);
/// ```
#[derive(Debug)]
pub struct CallCore {
    cif: Cif,
    code: *const (),
    nargs: usize,
}

// SAFETY: the Cif is immutable after preparation and a code address may be
// called from any thread; libffi's ffi_call only reads the cif.
unsafe impl Send for CallCore {}
// SAFETY: as above.
unsafe impl Sync for CallCore {}

impl CallCore {
    /// Prepares a call of `code` with these argument and return types.
    pub fn new(code: *const (), args: &[AbiType], ret: &AbiType, conv: CallConv) -> Result<CallCore, PinvokeError> {
        let cif = Cif::try_new_with_abi(args.iter().map(AbiType::ffi), ret.ffi(), conv.ffi_abi()?)
            .map_err(|e| PinvokeError::Ffi(format!("{e:?}")))?;
        Ok(CallCore { cif, code, nargs: args.len() })
    }

    /// The number of arguments.
    pub fn arg_count(&self) -> usize {
        self.nargs
    }

    /// The code address.
    pub fn code(&self) -> *const () {
        self.code
    }

    /// Calls with `args[i]` pointing at argument `i`'s native value and `ret`
    /// at a buffer for the result (at least 8 bytes, and at least the return
    /// type's size; narrow integer returns arrive widened to 8 bytes).
    ///
    /// # Safety
    /// The code must have the prepared signature; every argument slot must hold
    /// a valid value of its type; `ret` must be writable as described. Whatever
    /// the callee does with pointers it receives is the caller's responsibility.
    pub unsafe fn call(&self, args: &mut [*mut c_void], ret: *mut c_void) {
        debug_assert_eq!(args.len(), self.nargs);
        // SAFETY: the caller's contract; `CodePtr` wraps the address unchanged.
        unsafe {
            libffi::low::call_return_into(
                self.cif.as_raw_ptr(),
                CodePtr(self.code as *mut c_void),
                args.as_mut_ptr(),
                ret,
            )
        }
    }

    pub(crate) fn cif_ptr(&self) -> *mut libffi::low::ffi_cif {
        self.cif.as_raw_ptr()
    }

    /// A call interface for a closure (no code address).
    pub(crate) fn for_closure(args: &[AbiType], ret: &AbiType, conv: CallConv) -> Result<CallCore, PinvokeError> {
        CallCore::new(core::ptr::null(), args, ret, conv)
    }
}
