//! Direct calls for the common shapes of runtime signatures: up to three
//! arguments of the classes `int` (32-bit), `long long` (64-bit), pointer and
//! `double`, returning one of them or nothing. For those, the prepared call is a
//! Rust function pointer of exactly the native signature (`extern "C" fn(i32,
//! *const c_void) -> f64`, …), chosen once when the signature is bound, instead
//! of libffi's `ffi_call`, which classifies every argument again on every call.
//!
//! Every shape is an exact match of the native signature under Rust's ABI
//! compatibility rules (the same scalar types in the same positions); anything
//! else (narrow integers, `float`, structs by value, more arguments, a calling
//! convention other than C) goes through libffi.

use core::ffi::c_void;

use marshal_core::value::Value;

use crate::abi::AbiType;
use crate::fast::FastCall;

/// The argument words of a direct call (each slot's first 8 bytes).
pub(crate) const MAX_ARGS: usize = 3;

/// A prepared direct call: calls `code` with the argument words and returns the
/// result as a word (an `int` zero-extended, a `double` by its bits).
pub(crate) type Caller = unsafe fn(code: *const (), args: &[u64; MAX_ARGS]) -> u64;

/// The scalar classes a direct call passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// `int32_t` / `uint32_t` (and BOOL, HRESULT).
    Int,
    /// `int64_t` / `uint64_t`.
    Long,
    /// Any pointer, `intptr_t`, `size_t`.
    Ptr,
    /// `double`.
    Double,
}

impl Class {
    fn of(abi: &AbiType) -> Option<Class> {
        Some(match abi {
            AbiType::I32 | AbiType::U32 => Class::Int,
            AbiType::I64 | AbiType::U64 if core::mem::size_of::<usize>() == 8 => Class::Long,
            AbiType::Pointer => Class::Ptr,
            AbiType::F64 => Class::Double,
            _ => return None,
        })
    }
}

/// A native scalar moved in and out of an argument word.
trait Word: Copy {
    fn from_word(w: u64) -> Self;
    fn to_word(self) -> u64;
}

impl Word for i32 {
    #[inline(always)]
    fn from_word(w: u64) -> i32 {
        w as u32 as i32
    }
    #[inline(always)]
    fn to_word(self) -> u64 {
        self as u32 as u64
    }
}

impl Word for i64 {
    #[inline(always)]
    fn from_word(w: u64) -> i64 {
        w as i64
    }
    #[inline(always)]
    fn to_word(self) -> u64 {
        self as u64
    }
}

impl Word for *const c_void {
    #[inline(always)]
    fn from_word(w: u64) -> *const c_void {
        w as usize as *const c_void
    }
    #[inline(always)]
    fn to_word(self) -> u64 {
        self as usize as u64
    }
}

impl Word for f64 {
    #[inline(always)]
    fn from_word(w: u64) -> f64 {
        f64::from_bits(w)
    }
    #[inline(always)]
    fn to_word(self) -> u64 {
        self.to_bits()
    }
}

impl Word for () {
    #[inline(always)]
    fn from_word(_: u64) {}
    #[inline(always)]
    fn to_word(self) -> u64 {
        0
    }
}

/// # Safety
/// `code` is a function `extern "C" fn() -> R`.
unsafe fn call0<R: Word>(code: *const (), _: &[u64; MAX_ARGS]) -> u64 {
    // SAFETY: per the caller, the code has exactly this signature.
    let f: extern "C" fn() -> R = unsafe { core::mem::transmute(code) };
    f().to_word()
}

/// # Safety
/// `code` is a function `extern "C" fn(A) -> R`.
unsafe fn call1<A: Word, R: Word>(code: *const (), a: &[u64; MAX_ARGS]) -> u64 {
    // SAFETY: per the caller, the code has exactly this signature.
    let f: extern "C" fn(A) -> R = unsafe { core::mem::transmute(code) };
    f(A::from_word(a[0])).to_word()
}

/// # Safety
/// `code` is a function `extern "C" fn(A, B) -> R`.
unsafe fn call2<A: Word, B: Word, R: Word>(code: *const (), a: &[u64; MAX_ARGS]) -> u64 {
    // SAFETY: per the caller, the code has exactly this signature.
    let f: extern "C" fn(A, B) -> R = unsafe { core::mem::transmute(code) };
    f(A::from_word(a[0]), B::from_word(a[1])).to_word()
}

/// # Safety
/// `code` is a function `extern "C" fn(A, B, C) -> R`.
unsafe fn call3<A: Word, B: Word, C: Word, R: Word>(code: *const (), a: &[u64; MAX_ARGS]) -> u64 {
    // SAFETY: per the caller, the code has exactly this signature.
    let f: extern "C" fn(A, B, C) -> R = unsafe { core::mem::transmute(code) };
    f(A::from_word(a[0]), B::from_word(a[1]), C::from_word(a[2])).to_word()
}

/// A prepared fast call (see [`crate::fast`]): the managed arguments matched
/// into the native types (`None`: not plain words, or not as many as the
/// signature has; nothing called), the call made with them in registers, the
/// return as a word.
pub(crate) type Runner = unsafe fn(fc: &FastCall, code: *const (), args: &[Value]) -> Option<u64>;

/// # Safety
/// `code` is a function `extern "C" fn() -> R`.
unsafe fn run0<R: Word>(fc: &FastCall, code: *const (), args: &[Value]) -> Option<u64> {
    let [] = args else { return None };
    // SAFETY: per the caller, the code has exactly this signature.
    let f: extern "C" fn() -> R = unsafe { core::mem::transmute(code) };
    fc.before_call();
    let r = f();
    fc.after_call();
    Some(r.to_word())
}

/// # Safety
/// `code` is a function `extern "C" fn(A) -> R`.
unsafe fn run1<A: Word, R: Word>(fc: &FastCall, code: *const (), args: &[Value]) -> Option<u64> {
    let [a] = args else { return None };
    let a = A::from_word(fc.arg(0, a)?);
    // SAFETY: per the caller, the code has exactly this signature.
    let f: extern "C" fn(A) -> R = unsafe { core::mem::transmute(code) };
    fc.before_call();
    let r = f(a);
    fc.after_call();
    Some(r.to_word())
}

/// # Safety
/// `code` is a function `extern "C" fn(A, B) -> R`.
unsafe fn run2<A: Word, B: Word, R: Word>(fc: &FastCall, code: *const (), args: &[Value]) -> Option<u64> {
    let [a, b] = args else { return None };
    let (a, b) = (A::from_word(fc.arg(0, a)?), B::from_word(fc.arg(1, b)?));
    // SAFETY: per the caller, the code has exactly this signature.
    let f: extern "C" fn(A, B) -> R = unsafe { core::mem::transmute(code) };
    fc.before_call();
    let r = f(a, b);
    fc.after_call();
    Some(r.to_word())
}

/// # Safety
/// `code` is a function `extern "C" fn(A, B, C) -> R`.
unsafe fn run3<A: Word, B: Word, C: Word, R: Word>(fc: &FastCall, code: *const (), args: &[Value]) -> Option<u64> {
    let [a, b, c] = args else { return None };
    let (a, b, c) = (A::from_word(fc.arg(0, a)?), B::from_word(fc.arg(1, b)?), C::from_word(fc.arg(2, c)?));
    // SAFETY: per the caller, the code has exactly this signature.
    let f: extern "C" fn(A, B, C) -> R = unsafe { core::mem::transmute(code) };
    fc.before_call();
    let r = f(a, b, c);
    fc.after_call();
    Some(r.to_word())
}

/// Expands `$body` with `$t` the Rust type of class `$c`.
macro_rules! with_class {
    ($c:expr, $t:ident => $body:expr) => {
        match $c {
            Class::Int => {
                type $t = i32;
                $body
            }
            Class::Long => {
                type $t = i64;
                $body
            }
            Class::Ptr => {
                type $t = *const c_void;
                $body
            }
            Class::Double => {
                type $t = f64;
                $body
            }
        }
    };
}

/// Expands `$body` with `$t` the Rust type of return class `$c` (`None` = void).
macro_rules! with_return {
    ($c:expr, $t:ident => $body:expr) => {
        match $c {
            None => {
                type $t = ();
                $body
            }
            Some(c) => with_class!(c, $t => $body),
        }
    };
}

/// The direct caller of a signature of these native parameter and return types
/// with the C calling convention, when it has one of the supported shapes (and
/// the host passes integer and floating arguments in separate register files with
/// 8-byte words, little-endian: x86-64 and AArch64 outside Windows, where these
/// shapes are what the call instructions see).
pub(crate) fn caller(params: &[AbiType], ret: &AbiType) -> Option<Caller> {
    if !cfg!(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(windows), target_endian = "little")) {
        return None;
    }
    let ret = match ret {
        AbiType::Void => None,
        other => Some(Class::of(other)?),
    };
    let classes: Vec<Class> = params.iter().map(Class::of).collect::<Option<_>>()?;
    Some(match classes[..] {
        [] => with_return!(ret, R => call0::<R> as Caller),
        [a] => with_class!(a, A => with_return!(ret, R => call1::<A, R> as Caller)),
        [a, b] => with_class!(a, A => with_class!(b, B => with_return!(ret, R => call2::<A, B, R> as Caller))),
        [a, b, c] => with_class!(a, A => with_class!(b, B => with_class!(c, C =>
            with_return!(ret, R => call3::<A, B, C, R> as Caller)))),
        _ => return None,
    })
}

/// The fast runner of a signature of these native parameter and return types
/// (the same shapes as [`caller`]).
pub(crate) fn runner(params: &[AbiType], ret: &AbiType) -> Option<Runner> {
    caller(params, ret)?;
    let ret = match ret {
        AbiType::Void => None,
        other => Some(Class::of(other)?),
    };
    let classes: Vec<Class> = params.iter().map(Class::of).collect::<Option<_>>()?;
    Some(match classes[..] {
        [] => with_return!(ret, R => run0::<R> as Runner),
        [a] => with_class!(a, A => with_return!(ret, R => run1::<A, R> as Runner)),
        [a, b] => with_class!(a, A => with_class!(b, B => with_return!(ret, R => run2::<A, B, R> as Runner))),
        [a, b, c] => with_class!(a, A => with_class!(b, B => with_class!(c, C =>
            with_return!(ret, R => run3::<A, B, C, R> as Runner)))),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" fn mix(a: i32, b: *const c_void, c: f64) -> f64 {
        a as f64 + b as usize as f64 + c
    }
    extern "C" fn neg(a: i64) -> i64 {
        -a
    }
    extern "C" fn seven() -> i32 {
        7
    }

    #[test]
    fn each_shape_calls_with_the_native_types() {
        let Some(c) = caller(&[AbiType::I32, AbiType::Pointer, AbiType::F64], &AbiType::F64) else {
            return; // not a host with direct shapes
        };
        let words = [(-2i32) as u32 as u64, 40, 0.5f64.to_bits()];
        // SAFETY: `mix` has exactly this signature.
        assert_eq!(f64::from_bits(unsafe { c(mix as *const (), &words) }), 38.5);
        let c = caller(&[AbiType::I64], &AbiType::I64).unwrap();
        // SAFETY: `neg` has this signature.
        assert_eq!(unsafe { c(neg as *const (), &[5, 0, 0]) } as i64, -5);
        let c = caller(&[], &AbiType::I32).unwrap();
        // SAFETY: `seven` has this signature.
        assert_eq!(unsafe { c(seven as *const (), &[0; 3]) }, 7);
        assert!(caller(&[AbiType::I16], &AbiType::Void).is_none());
        assert!(caller(&[AbiType::F32], &AbiType::Void).is_none());
        assert!(caller(&[AbiType::I32, AbiType::I32, AbiType::I32, AbiType::I32], &AbiType::Void).is_none());
    }
}
