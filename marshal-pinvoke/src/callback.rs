//! Reverse P/Invoke: Rust code called from native code.
//!
//! - [`Callback`]: a Rust closure behind a native function pointer whose
//!   signature is a runtime [`Signature`] (a libffi closure). Arguments arrive
//!   as [`Value`]s marshaled from native (strings decoded, `ref` structs read,
//!   LPArrays sized by `SizeConst`/`SizeParamIndex`); `ref`/`out` values the
//!   closure leaves are written back; the return value is converted to native.
//!   The code pointer lives exactly as long as the `Callback` handle, which
//!   borrows whatever the closure borrows: it cannot dangle.
//! - [`guard`] and [`extern_callback!`](crate::extern_callback): plain
//!   `extern "C"` thunks for compile-time signatures.
//!
//! Either way a panic is caught at the boundary and never unwinds into C: the
//! native caller gets a zero result and [`Callback::take_failure`] tells why.
//!
//! ```
//! use marshal_pinvoke::{Callback, Param, Signature, core::{TypeDesc, value::Value}};
//! let sig = Signature::new(Some(TypeDesc::I32)).param(Param::new("x", TypeDesc::I32));
//! let offset = 10;
//! let cb = Callback::new(&sig, |args| match args[0] { Value::I32(x) => Ok(Value::I32(x + offset)), _ => unreachable!() }).unwrap();
//! // SAFETY: the code pointer has the C signature int(int) the Signature describes.
//! let f: extern "C" fn(i32) -> i32 = unsafe { core::mem::transmute(cb.code_ptr()) };
//! assert_eq!(f(32), 42);
//! ```

use core::cell::{Cell, RefCell};
use core::ffi::c_void;
use core::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};

use libffi::raw::{ffi_cif, ffi_closure};
use marshal_core::plan::ElementPlan;
use marshal_core::strings::StringOptions;
use marshal_core::value::Value;
use marshal_core::TypeDesc;
use smallvec::SmallVec;

use crate::abi::{AbiType, CallCore};
use crate::error::PinvokeError;
use crate::signature::{as_count, read_ptr, CallPlan, Plan, Signature};

type Handler<'a> = dyn FnMut(&mut [Value]) -> Result<Value, PinvokeError> + 'a;

struct State<'a> {
    plan: CallPlan,
    core: CallCore,
    handler: RefCell<Box<Handler<'a>>>,
    failure: RefCell<Option<PinvokeError>>,
    calls: Cell<u64>,
}

/// A Rust closure callable from native code through [`Callback::code_ptr`].
///
/// Not `Send`/`Sync`: the closure runs on the thread the native code calls it
/// from, which for the synchronous callbacks this type is for (qsort, sqlite3_exec,
/// enumerators) is the caller's. A re-entrant call while the closure runs is
/// refused (zero result, recorded failure) rather than aliasing it.
pub struct Callback<'a> {
    closure: *mut ffi_closure,
    code: *const (),
    state: Box<State<'a>>,
    _borrows: PhantomData<&'a mut ()>,
}

impl core::fmt::Debug for Callback<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Callback").field("code", &self.code).field("calls", &self.state.calls.get()).finish()
    }
}

impl<'a> Callback<'a> {
    /// Makes `handler` callable as a native function with signature `sig` (the
    /// delegate's: return, parameters, CharSet, calling convention).
    pub fn new<F>(sig: &Signature, handler: F) -> Result<Callback<'a>, PinvokeError>
    where
        F: FnMut(&mut [Value]) -> Result<Value, PinvokeError> + 'a,
    {
        if !sig.preserve_sig {
            return Err(PinvokeError::Unsupported { at: "callback".into(), what: "PreserveSig = false".into() });
        }
        let plan = CallPlan::new(sig)?;
        let core = CallCore::for_closure(&plan.abi_params(), &plan.ret_abi, plan.conv)?;
        let state = Box::new(State {
            plan,
            core,
            handler: RefCell::new(Box::new(handler)),
            failure: RefCell::new(None),
            calls: Cell::new(0),
        });
        let mut code: *mut c_void = core::ptr::null_mut();
        // SAFETY: allocates writable closure memory and its executable alias.
        let closure = unsafe { libffi::raw::ffi_closure_alloc(core::mem::size_of::<ffi_closure>(), &mut code) }
            as *mut ffi_closure;
        if closure.is_null() {
            return Err(PinvokeError::Ffi("ffi_closure_alloc failed".into()));
        }
        let userdata = &*state as *const State<'a> as *mut c_void;
        // SAFETY: the closure, the cif (owned by `state.core`, boxed: stable address)
        // and the userdata (the boxed state) all live until Drop frees the closure first.
        let status = unsafe {
            libffi::raw::ffi_prep_closure_loc(closure, state.core.cif_ptr(), Some(trampoline), userdata, code)
        };
        if status != libffi::raw::ffi_status_FFI_OK {
            // SAFETY: allocated above, never handed out.
            unsafe { libffi::raw::ffi_closure_free(closure as *mut c_void) };
            return Err(PinvokeError::Ffi(format!("ffi_prep_closure_loc: status {status}")));
        }
        Ok(Callback { closure, code: code as *const (), state, _borrows: PhantomData })
    }

    /// The native function pointer. Valid while this handle lives.
    pub fn code_ptr(&self) -> *const () {
        self.code
    }

    /// The function pointer as an argument value for a [`crate::Function`]
    /// parameter of type `FnPtr` (the handle must outlive the call's use of it).
    pub fn as_value(&self) -> Value {
        Value::Pointer(self.code as u64)
    }

    /// How many times native code called it.
    pub fn calls(&self) -> u64 {
        self.state.calls.get()
    }

    /// The last failure (a panic, an error the closure returned, a value that
    /// did not convert), cleared by reading it. The native caller got a zero
    /// result for that call.
    pub fn take_failure(&self) -> Option<PinvokeError> {
        self.state.failure.borrow_mut().take()
    }
}

impl Drop for Callback<'_> {
    fn drop(&mut self) {
        // SAFETY: allocated in `new`, freed once; the state it points to is dropped after.
        unsafe { libffi::raw::ffi_closure_free(self.closure as *mut c_void) };
    }
}

unsafe extern "C" fn trampoline(
    _cif: *mut ffi_cif,
    result: *mut c_void,
    args: *mut *mut c_void,
    userdata: *mut c_void,
) {
    // SAFETY: userdata is the boxed State registered in `Callback::new`, alive while the closure is.
    let state = unsafe { &*(userdata as *const State<'_>) };
    state.calls.set(state.calls.get() + 1);
    let (size, _) = state.plan.ret_abi.size_align();
    let ret_bytes = if state.plan.ret_abi.widened_on_return() { 8 } else { size };
    // A zero result unless the handler succeeds.
    // SAFETY: libffi's result buffer holds the return type (widened to a word for narrow integers).
    unsafe { core::ptr::write_bytes(result as *mut u8, 0, ret_bytes) };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: libffi hands one pointer per argument of the prepared types.
        unsafe { invoke(state, result, args) }
    }));
    let failure = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(e)) => e,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            PinvokeError::Callback(format!("panicked: {msg}"))
        }
    };
    // SAFETY: as above; a failed call returns zero.
    unsafe { core::ptr::write_bytes(result as *mut u8, 0, ret_bytes) };
    if let Ok(mut f) = state.failure.try_borrow_mut() {
        *f = Some(failure);
    }
}

/// Reads the native arguments, runs the handler, writes back.
///
/// # Safety
/// `args` holds one valid pointer per parameter of `state.plan`; `result` is
/// libffi's result buffer.
unsafe fn invoke(state: &State<'_>, result: *mut c_void, args: *mut *mut c_void) -> Result<(), PinvokeError> {
    let plan = &state.plan;
    let opts = &plan.opts;
    let n = plan.params.len();
    let arg_ptr = |i: usize| {
        // SAFETY: args[i] points to argument i's native value (a pointer-sized slot for
        // the pointer-passed forms).
        read_ptr(unsafe { core::slice::from_raw_parts(*args.add(i) as *const u8, core::mem::size_of::<usize>()) })
    };
    let mut values = Vec::with_capacity(n);
    // First the scalars (SizeParamIndex counts), then the arrays. The native caller
    // keeps what it passed: values are read, never freed.
    for (i, pp) in plan.params.iter().enumerate() {
        let here = || format!("callback parameter #{i} `{}`", pp.param.name);
        let elem = &pp.elem;
        values.push(match pp.plan {
            Plan::Direct { .. } => {
                let (size, _) = pp.abi.size_align();
                // SAFETY: the argument has its ABI type's size.
                let bytes = unsafe { core::slice::from_raw_parts(*args.add(i) as *const u8, size) };
                // SAFETY: a value of this native type; its pointers come from the native caller.
                unsafe { elem.from_native(bytes, opts) }.map_err(|e| PinvokeError::from(e).within(here))?
            }
            Plan::ByRef { copy_in, .. } | Plan::Class { copy_in, .. } => {
                let p = arg_ptr(i);
                if p == 0 || !copy_in {
                    Value::Null
                } else {
                    // SAFETY: the caller passed a pointer to a value of this type.
                    let pointee = unsafe { core::slice::from_raw_parts(p as *const u8, elem.size()) };
                    // SAFETY: as above.
                    unsafe { elem.from_native(pointee, opts) }.map_err(|e| PinvokeError::from(e).within(here))?
                }
            }
            Plan::Array { .. } | Plan::ArrayByRef { .. } => Value::Null,
            Plan::StringBuilder { .. } => {
                return Err(PinvokeError::Unsupported { at: here(), what: "a StringBuilder in a callback".into() })
            }
        });
    }
    for (i, pp) in plan.params.iter().enumerate() {
        let size = match (&pp.plan, &pp.param.ty) {
            (Plan::Array { .. }, TypeDesc::LpArray { size_const, size_param_index, .. }) => {
                (*size_const, *size_param_index)
            }
            (Plan::ArrayByRef { .. }, _) => {
                return Err(PinvokeError::Unsupported {
                    at: format!("callback parameter #{i}"),
                    what: "ref arrays".into(),
                })
            }
            _ => continue,
        };
        let p = arg_ptr(i);
        if p == 0 {
            continue;
        }
        let count = match size.1 {
            Some(k) => as_count(&values[k as usize]).unwrap_or(0) + size.0 as i128,
            None if size.0 > 0 => size.0 as i128,
            None => 1,
        };
        if !(0..=i32::MAX as i128).contains(&count) {
            return Err(PinvokeError::BadArraySize { at: format!("callback parameter #{i}"), count });
        }
        let esize = pp.elem.size();
        let mut items = Vec::with_capacity(count as usize);
        for k in 0..count as usize {
            // SAFETY: the caller passes `count` elements (the signature's size rule).
            let b = unsafe { core::slice::from_raw_parts((p + k * esize) as *const u8, esize) };
            // SAFETY: element k.
            items.push(
                unsafe { pp.elem.from_native(b, opts) }
                    .map_err(|e| PinvokeError::from(e).within(|| format!("callback parameter #{i}[{k}]")))?,
            );
        }
        values[i] = Value::Array(items);
    }
    let ret = {
        let mut handler =
            state.handler.try_borrow_mut().map_err(|_| PinvokeError::Callback("re-entrant call refused".into()))?;
        (handler)(&mut values)?
    };
    // Write back ref/out values and the return into the caller's memory: all of
    // them are converted first, so a failure leaves the caller's memory untouched
    // and frees what was converted; after that, what they hold (strings …) belongs
    // to the native caller.
    let mut outs: SmallVec<[(usize, &ElementPlan, Vec<u8>); 4]> = SmallVec::new();
    let converted = (|| {
        for (i, pp) in plan.params.iter().enumerate() {
            let copy_out = match pp.plan {
                Plan::ByRef { copy_out, .. } | Plan::Class { copy_out, .. } => copy_out,
                _ => false,
            };
            if !copy_out || matches!(values[i], Value::Null) && !matches!(pp.param.ty, TypeDesc::String(_)) {
                continue;
            }
            let p = arg_ptr(i);
            if p == 0 {
                continue;
            }
            let mut tmp = vec![0u8; pp.elem.size()];
            pp.elem
                .to_native(&values[i], &mut tmp, opts)
                .map_err(|e| PinvokeError::from(e).within(|| format!("callback out value #{i}")))?;
            outs.push((p, &pp.elem, tmp));
        }
        let ret = match &plan.ret {
            Some(elem) => Some(return_bytes(elem, &plan.ret_abi, &ret, opts)?),
            None => None,
        };
        Ok::<_, PinvokeError>(ret)
    })();
    match converted {
        Ok(ret_bytes) => {
            for (p, elem, tmp) in &outs {
                // SAFETY: the caller's pointee has the type's size.
                unsafe { core::ptr::copy_nonoverlapping(tmp.as_ptr(), *p as *mut u8, elem.size()) };
            }
            if let Some(bytes) = ret_bytes {
                // SAFETY: libffi's result buffer holds the return type (narrow integers widened to a word).
                unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), result as *mut u8, bytes.len()) };
            }
            Ok(())
        }
        Err(e) => {
            for (_, elem, tmp) in &mut outs {
                // SAFETY: converted just above by the same plan, never handed out.
                unsafe { elem.destroy(tmp) };
            }
            Err(e)
        }
    }
}

/// The bytes libffi expects in its result buffer for a return of `abi`
/// (narrow integers widened to a full word, sign- or zero-extended).
fn return_bytes(elem: &ElementPlan, abi: &AbiType, v: &Value, opts: &StringOptions) -> Result<Vec<u8>, PinvokeError> {
    let (size, _) = abi.size_align();
    let mut tmp = vec![0u8; size.max(elem.size()).max(8)];
    elem.to_native(v, &mut tmp, opts).map_err(|e| PinvokeError::from(e).within(|| "callback return".into()))?;
    let word: Option<u64> = match abi {
        AbiType::I8 => Some(tmp[0] as i8 as i64 as u64),
        AbiType::U8 => Some(tmp[0] as u64),
        AbiType::I16 => Some(i16::from_ne_bytes([tmp[0], tmp[1]]) as i64 as u64),
        AbiType::U16 => Some(u16::from_ne_bytes([tmp[0], tmp[1]]) as u64),
        AbiType::I32 => Some(i32::from_ne_bytes([tmp[0], tmp[1], tmp[2], tmp[3]]) as i64 as u64),
        AbiType::U32 => Some(u32::from_ne_bytes([tmp[0], tmp[1], tmp[2], tmp[3]]) as u64),
        _ => None,
    };
    Ok(match word {
        Some(w) => w.to_ne_bytes().to_vec(),
        None => {
            tmp.truncate(size);
            tmp
        }
    })
}

/// Runs `f` for an `extern "C"` thunk: a panic is caught (never unwinding into
/// C) and `R::default()` returned instead.
///
/// ```
/// extern "C" fn cmp(a: *const core::ffi::c_void, b: *const core::ffi::c_void) -> i32 {
///     marshal_pinvoke::callback::guard(|| {
///         // SAFETY: qsort passes pointers to two elements (i32 here).
///         let (a, b) = unsafe { (*(a as *const i32), *(b as *const i32)) };
///         a.cmp(&b) as i32
///     })
/// }
/// assert_eq!(cmp(&1 as *const i32 as *const _, &2 as *const i32 as *const _), -1);
/// ```
#[inline(always)]
pub fn guard<R: Default>(f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_default()
}

/// Defines `extern "C"` functions whose bodies run under [`guard`]: a panic
/// returns the return type's default value instead of unwinding into C.
///
/// ```
/// marshal_pinvoke::extern_callback! {
///     fn compare_i32(a: *const core::ffi::c_void, b: *const core::ffi::c_void) -> i32 {
///         // SAFETY: the caller passes two i32 pointers.
///         let (a, b) = unsafe { (*(a as *const i32), *(b as *const i32)) };
///         a.cmp(&b) as i32
///     }
///     fn always_panics() -> i32 { panic!("caught at the boundary") }
/// }
/// assert_eq!(compare_i32(&3 as *const i32 as *const _, &2 as *const i32 as *const _), 1);
/// assert_eq!(always_panics(), 0);
/// ```
#[macro_export]
macro_rules! extern_callback {
    ($( $(#[$m:meta])* $vis:vis fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? $body:block )*) => {
        $(
            $(#[$m])*
            $vis extern "C" fn $name($($arg: $ty),*) $(-> $ret)? {
                $crate::callback::guard(move || $body)
            }
        )*
    };
}
