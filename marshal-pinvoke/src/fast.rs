//! The prepared fast path of runtime signatures whose parameters and return are
//! all numbers or pointers passed by value (`int`, `uint`, `long`, `ulong`,
//! `double`, `IntPtr`, `UIntPtr`, pointers, `BOOL`, HRESULT) and that have a
//! [direct caller](crate::direct): it is selected once, when the signature is
//! bound, and a call then does one `match` per argument (the managed value
//! straight into its argument word), the native call and one `match` building
//! the returned [`Value`] — no arena, no per-parameter plan walk, no cleanup
//! list, no allocation.
//!
//! Only argument values whose conversion is exactly a word copy are taken here
//! (the same results as the general path's conversions); any other value (one
//! that needs a conversion, or that is an error) makes the call go through the
//! general path, which converts or reports it as it always does.

use marshal_core::value::Value;
use marshal_core::{BoolRepr, Prim, TypeDesc};

use crate::direct::{Runner, MAX_ARGS};
use crate::error::PinvokeError;
use crate::signature::{ParamPlan, PassBy, Plan};

/// How one fast argument becomes its argument word (or the return word its value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Word {
    /// `int`.
    I32,
    /// `uint`.
    U32,
    /// `long`.
    I64,
    /// `ulong`.
    U64,
    /// `double`.
    F64,
    /// `IntPtr`.
    ISize,
    /// `UIntPtr`.
    USize,
    /// A raw data or function pointer.
    Pointer,
    /// `bool` as a Win32 `BOOL`.
    Bool,
    /// An HRESULT (`UnmanagedType.Error`).
    Error,
}

impl Word {
    fn of(ty: &TypeDesc) -> Option<Word> {
        Some(match ty {
            TypeDesc::Prim(p) => match p {
                Prim::I32 => Word::I32,
                Prim::U32 => Word::U32,
                Prim::I64 => Word::I64,
                Prim::U64 => Word::U64,
                Prim::F64 => Word::F64,
                Prim::ISize => Word::ISize,
                Prim::USize => Word::USize,
                _ => return None,
            },
            TypeDesc::Pointer | TypeDesc::FnPtr => Word::Pointer,
            TypeDesc::Bool(BoolRepr::Win32) => Word::Bool,
            TypeDesc::Error => Word::Error,
            _ => return None,
        })
    }

    /// The argument word of `v`, when its conversion is a plain copy (the values
    /// the core's conversion of this type takes as they are, on a 64-bit host).
    #[inline(always)]
    fn arg(self, v: &Value) -> Option<u64> {
        Some(match (self, v) {
            (Word::I32, Value::I32(x)) | (Word::Error, Value::I32(x) | Value::Error(x)) => *x as u32 as u64,
            (Word::U32, Value::U32(x)) => *x as u64,
            (Word::I64, Value::I64(x)) => *x as u64,
            (Word::U64, Value::U64(x)) => *x,
            (Word::F64, Value::F64(x)) => x.to_bits(),
            (Word::ISize, Value::ISize(x)) | (Word::Pointer, Value::ISize(x)) => *x as u64,
            (Word::USize, Value::USize(x)) | (Word::Pointer, Value::USize(x)) => *x,
            (Word::ISize | Word::USize | Word::Pointer, Value::Pointer(x)) => *x,
            (Word::ISize | Word::USize | Word::Pointer, Value::Null) => 0,
            (Word::Bool, Value::Bool(b)) => *b as u64,
            _ => return None,
        })
    }

    /// The managed value of a returned word (an `int` arrives zero-extended, a
    /// `double` as its bits).
    #[inline(always)]
    fn value(self, w: u64) -> Value {
        match self {
            Word::I32 => Value::I32(w as u32 as i32),
            Word::U32 => Value::U32(w as u32),
            Word::I64 => Value::I64(w as i64),
            Word::U64 => Value::U64(w),
            Word::F64 => Value::F64(f64::from_bits(w)),
            Word::ISize => Value::ISize(w as i64),
            Word::USize => Value::USize(w),
            Word::Pointer if w == 0 => Value::Null,
            Word::Pointer => Value::Pointer(w),
            Word::Bool => Value::Bool(w as u32 != 0),
            Word::Error => Value::Error(w as u32 as i32),
        }
    }
}

/// A signature prepared for the fast path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FastCall {
    runner: Runner,
    args: [Word; MAX_ARGS],
    /// `None`: void.
    ret: Option<Word>,
    set_last_error: bool,
    /// PreserveSig=false: the return is an HRESULT, turned into an error when it fails.
    hresult: bool,
}

impl FastCall {
    /// The fast path of a prepared signature, when every parameter is a number or
    /// pointer by value and the return one or void, and the shape has a direct caller.
    pub(crate) fn new(
        params: &[ParamPlan],
        ret: Option<&TypeDesc>,
        runner: Option<Runner>,
        set_last_error: bool,
        preserve_sig: bool,
    ) -> Option<FastCall> {
        let runner = runner?;
        if params.len() > MAX_ARGS {
            return None;
        }
        let mut args = [Word::I32; MAX_ARGS];
        for (w, pp) in args.iter_mut().zip(params) {
            let by_value = pp.param.pass == PassBy::Value && !pp.param.class;
            if !by_value || !matches!(pp.plan, Plan::Direct { pinned_utf16: false }) || pp.after_call {
                return None;
            }
            *w = Word::of(&pp.param.ty)?;
        }
        let ret = match ret {
            None => None,
            Some(t) => Some(Word::of(t)?),
        };
        // PreserveSig=false without a managed return: the native return is the HRESULT.
        if !preserve_sig && ret != Some(Word::Error) {
            return None;
        }
        Some(FastCall { runner, args, ret, set_last_error, hresult: !preserve_sig })
    }

    /// Calls with `args` and returns the native return's word, or `None` when
    /// their count is not the signature's or an argument is not a plain word copy
    /// (the general path then handles the call, or reports the mismatch; nothing
    /// has happened yet). [`FastCall::result`] makes the managed result of the word.
    #[inline(always)]
    pub(crate) fn call(&self, code: *const (), args: &[Value]) -> Option<u64> {
        // SAFETY: the runner was chosen for the native signature `code` has (the
        // signature's promise, as for any call).
        unsafe { (self.runner)(self, code, args) }
    }

    /// The word of argument `i` (< MAX_ARGS), when `v` is a plain copy.
    #[inline(always)]
    pub(crate) fn arg(&self, i: usize, v: &Value) -> Option<u64> {
        self.args[i].arg(v)
    }

    /// SetLastError: clears the OS error right before the call.
    #[inline(always)]
    pub(crate) fn before_call(&self) {
        if self.set_last_error {
            crate::last_error::clear_os_error();
        }
    }

    /// SetLastError: captures the OS error right after the call.
    #[inline(always)]
    pub(crate) fn after_call(&self) {
        if self.set_last_error {
            crate::last_error::capture_os_error();
        }
    }

    /// The managed result of a returned word: its value, or for PreserveSig=false
    /// an error for a failed HRESULT and nothing otherwise. Built straight into the
    /// result (a `Value` built first and then moved costs a copy that stalls the
    /// store-to-load forwarding of its partly written bytes).
    #[inline(always)]
    pub(crate) fn result(&self, w: u64) -> Result<Value, PinvokeError> {
        match self.ret {
            None => Ok(Value::Null),
            Some(_) if self.hresult => match w as u32 as i32 {
                hr if hr < 0 => Err(PinvokeError::Hresult(marshal_core::Hresult(hr))),
                _ => Ok(Value::Null),
            },
            Some(r) => Ok(r.value(w)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_words_are_the_plain_copies_only() {
        assert_eq!(Word::I32.arg(&Value::I32(-1)), Some(0xffff_ffff));
        assert_eq!(Word::Error.arg(&Value::Error(-2147467259)), Some(0x8000_4005));
        assert_eq!(Word::F64.arg(&Value::F64(1.5)), Some(1.5f64.to_bits()));
        assert_eq!(Word::Pointer.arg(&Value::Null), Some(0));
        assert_eq!(Word::ISize.arg(&Value::ISize(-3)), Some(-3i64 as u64));
        assert_eq!(Word::Bool.arg(&Value::Bool(true)), Some(1));
        // Anything that is not the type's own value goes through the general path.
        assert_eq!(Word::I32.arg(&Value::I16(1)), None);
        assert_eq!(Word::I64.arg(&Value::I32(1)), None);
        assert_eq!(Word::F64.arg(&Value::Null), None);
        assert_eq!(Word::Bool.arg(&Value::I32(1)), None);
    }

    #[test]
    fn returned_words_become_values() {
        assert_eq!(Word::I32.value(0xffff_fffe), Value::I32(-2));
        assert_eq!(Word::Pointer.value(0), Value::Null);
        assert_eq!(Word::Pointer.value(16), Value::Pointer(16));
        assert_eq!(Word::Bool.value(0x1_0000_0000), Value::Bool(false));
        assert_eq!(Word::Bool.value(2), Value::Bool(true));
        assert_eq!(Word::Error.value(0x8000_4005), Value::Error(0x8000_4005u32 as i32));
    }
}
