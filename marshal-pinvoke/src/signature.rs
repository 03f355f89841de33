//! Runtime-described calls: a [`Signature`] (the managed declaration: return and
//! parameters as [`TypeDesc`]s with their direction, CharSet, calling
//! convention, SetLastError, PreserveSig) is bound once to an entry point as a
//! [`Function`] and called many times with [`Value`] arguments.
//!
//! Parameter semantics are the CLR's (clr-marshaling.md §1, §6):
//! - by value: In. Blittable arrays and blittable formatted classes are pinned
//!   (the callee works on the caller's data, so changes show), by-value UTF-16
//!   strings too; non-blittable arrays and classes copy back only with `[Out]`.
//! - `ref`: In/Out (`[In]` or `[Out]` alone restrict it); `out`: Out only, except
//!   that blittable data is pinned and so also seen by the callee.
//! - LPArray native→managed sizes: `SizeConst` + the value of parameter
//!   `SizeParamIndex` after the call; neither given: one element.
//! - Everything the callee hands back (strings, arrays) is freed with the
//!   ABI's allocator after it is read; everything the marshaler allocated is
//!   freed on every exit path.
//!
//! ```
//! use marshal_pinvoke::{Library, Signature, Param, core::{TypeDesc, StringRepr, value::Value}};
//! let libc = std::sync::Arc::new(Library::this_process());
//! let strlen = Signature::new(Some(TypeDesc::USIZE))
//!     .param(Param::new("s", TypeDesc::String(StringRepr::LPStr)))
//!     .bind(&libc, "strlen")
//!     .unwrap();
//! assert_eq!(strlen.call(&mut [Value::str("héllo")]).unwrap(), Value::USize(6));
//! ```

use core::ffi::c_void;
use std::sync::Arc;

use marshal_core::value::Value;
use marshal_core::{CharSet, StringRepr, Target, TypeDesc};
use smallvec::SmallVec;

use crate::abi::{AbiType, CallConv, CallCore};
use crate::error::PinvokeError;
use crate::library::Library;
use crate::marshal::{self, Frees, Owned, POINTER_SIZE};

/// How a parameter is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PassBy {
    /// By value.
    #[default]
    Value,
    /// C# `ref`: a pointer to the value, In/Out.
    Ref,
    /// C# `out`: a pointer to the value, Out.
    Out,
}

/// One parameter of a [`Signature`].
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The name (used in errors and by callbacks).
    pub name: Arc<str>,
    /// The managed type and its `[MarshalAs]`.
    pub ty: TypeDesc,
    /// By value, `ref` or `out`.
    pub pass: PassBy,
    /// `[In]` given.
    pub in_attr: bool,
    /// `[Out]` given.
    pub out_attr: bool,
    /// A formatted class (a reference type with sequential/explicit layout):
    /// passed by value as a pointer to its fields.
    pub class: bool,
}

impl Param {
    /// A by-value parameter.
    pub fn new(name: &str, ty: TypeDesc) -> Param {
        Param { name: Arc::from(name), ty, pass: PassBy::Value, in_attr: false, out_attr: false, class: false }
    }

    /// A `ref` parameter.
    pub fn by_ref(name: &str, ty: TypeDesc) -> Param {
        Param { pass: PassBy::Ref, ..Param::new(name, ty) }
    }

    /// An `out` parameter.
    pub fn out(name: &str, ty: TypeDesc) -> Param {
        Param { pass: PassBy::Out, out_attr: true, ..Param::new(name, ty) }
    }

    /// A formatted class passed by value (a pointer to its fields).
    pub fn class(name: &str, ty: TypeDesc) -> Param {
        Param { class: true, ..Param::new(name, ty) }
    }

    /// Adds `[In]`.
    pub fn with_in(mut self) -> Param {
        self.in_attr = true;
        self
    }

    /// Adds `[Out]`.
    pub fn with_out(mut self) -> Param {
        self.out_attr = true;
        self
    }

    /// (copy in, copy out) for non-pinned data, from the attributes and passing mode.
    fn direction(&self) -> (bool, bool) {
        match (self.pass, self.in_attr, self.out_attr) {
            (PassBy::Out, _, _) => (false, true),
            (PassBy::Ref, false, false) => (true, true),
            (PassBy::Ref, i, o) | (PassBy::Value, i, o) => (i || !o, o),
        }
    }
}

/// A managed P/Invoke declaration, described at run time.
#[derive(Clone, Debug, PartialEq)]
pub struct Signature {
    /// The return type (`None`: void).
    pub ret: Option<TypeDesc>,
    /// The parameters.
    pub params: Vec<Param>,
    /// `CharSet` (strings and chars without `[MarshalAs]`, and the A/W suffix probing).
    pub charset: CharSet,
    /// `CallingConvention`.
    pub conv: CallConv,
    /// `SetLastError`.
    pub set_last_error: bool,
    /// `PreserveSig` (true: the native return is the managed return; false: it
    /// is an HRESULT and the managed return is a trailing `[retval]` out pointer).
    pub preserve_sig: bool,
    /// `ExactSpelling`: no A/W suffix probing.
    pub exact_spelling: bool,
}

impl Signature {
    /// A signature returning `ret` (`None` = void), no parameters yet,
    /// CharSet.Ansi, Winapi, PreserveSig.
    pub fn new(ret: Option<TypeDesc>) -> Signature {
        Signature {
            ret,
            params: Vec::new(),
            charset: CharSet::Ansi,
            conv: CallConv::Winapi,
            set_last_error: false,
            preserve_sig: true,
            exact_spelling: false,
        }
    }

    /// Appends a parameter.
    pub fn param(mut self, p: Param) -> Signature {
        self.params.push(p);
        self
    }

    /// Sets the CharSet.
    pub fn charset(mut self, c: CharSet) -> Signature {
        self.charset = c;
        self
    }

    /// Sets the calling convention.
    pub fn conv(mut self, c: CallConv) -> Signature {
        self.conv = c;
        self
    }

    /// Sets SetLastError.
    pub fn set_last_error(mut self, on: bool) -> Signature {
        self.set_last_error = on;
        self
    }

    /// Sets PreserveSig.
    pub fn preserve_sig(mut self, on: bool) -> Signature {
        self.preserve_sig = on;
        self
    }

    /// Sets ExactSpelling.
    pub fn exact_spelling(mut self, on: bool) -> Signature {
        self.exact_spelling = on;
        self
    }

    /// Binds to `entry` in `lib` (EntryPoint / ExactSpelling / CharSet suffix
    /// rules of [`Library::find_entry`]). The function keeps the library loaded.
    pub fn bind(&self, lib: &Arc<Library>, entry: &str) -> Result<Function, PinvokeError> {
        // Check the signature before looking the symbol up, so a bad signature
        // is reported as such even when the entry point is missing too.
        let plan = CallPlan::new(self)?;
        let (_, addr) = lib.find_entry(entry, self.charset, self.exact_spelling)?;
        plan.into_function(addr as *const (), Some(lib.clone()))
    }

    /// Binds to a code address.
    ///
    /// # Safety
    /// `code` is a function with this native signature, live as long as the
    /// returned [`Function`].
    pub unsafe fn bind_address(&self, code: *const ()) -> Result<Function, PinvokeError> {
        if code.is_null() {
            return Err(PinvokeError::NullNotAllowed { at: "function address".into() });
        }
        CallPlan::new(self)?.into_function(code, None)
    }

    /// The parameters and return at the native level (PreserveSig=false adds
    /// the `[retval]` pointer and returns an HRESULT).
    pub(crate) fn native_shape(&self) -> (Vec<Param>, Option<TypeDesc>) {
        let mut params = self.params.clone();
        if self.preserve_sig {
            return (params, self.ret.clone());
        }
        if let Some(r) = &self.ret {
            params.push(Param::out("<retval>", r.clone()));
        }
        (params, Some(TypeDesc::Error))
    }
}

/// What one parameter does at each stage.
#[derive(Clone, Debug)]
pub(crate) enum Plan {
    /// The native form is the argument itself. `pinned_utf16`: a by-value
    /// UTF-16 string the callee may change in place (CLR pins it).
    Direct { pinned_utf16: bool },
    /// A pointer to a slot holding the native form.
    ByRef { copy_in: bool, copy_out: bool },
    /// A formatted class: a pointer to its fields.
    Class { copy_in: bool, copy_out: bool },
    /// A by-value LPArray: a pointer to the elements.
    Array { elem: TypeDesc, copy_in: bool, copy_out: bool },
    /// A `ref`/`out` LPArray: a pointer to the pointer to the elements.
    ArrayByRef { elem: TypeDesc, size: ArraySize, copy_in: bool, copy_out: bool },
}

/// Native→managed element count of an LPArray.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArraySize {
    pub(crate) size_const: u32,
    pub(crate) size_param: Option<usize>,
}

/// One parameter, prepared.
#[derive(Clone, Debug)]
pub(crate) struct ParamPlan {
    pub(crate) param: Param,
    pub(crate) plan: Plan,
    pub(crate) abi: AbiType,
    /// Offset and size of the argument slot in the arena (bytes, 8-aligned).
    pub(crate) slot: (usize, usize),
    /// Offset and size of the pointee slot (ByRef, Class, ArrayByRef pointer).
    pub(crate) inner: (usize, usize),
}

/// A prepared signature without a code address.
#[derive(Clone, Debug)]
pub(crate) struct CallPlan {
    pub(crate) params: Vec<ParamPlan>,
    pub(crate) ret: Option<TypeDesc>,
    pub(crate) ret_abi: AbiType,
    pub(crate) arena_words: usize,
    pub(crate) ret_words: usize,
    pub(crate) charset: CharSet,
    pub(crate) conv: CallConv,
    pub(crate) set_last_error: bool,
    pub(crate) preserve_sig: bool,
    /// The managed parameter count (PreserveSig=false hides the `[retval]`).
    pub(crate) managed_params: usize,
}

fn at(i: usize, p: &Param) -> String {
    format!("parameter #{i} `{}`", p.name)
}

fn words(bytes: usize) -> usize {
    bytes.div_ceil(8)
}

impl CallPlan {
    pub(crate) fn new(sig: &Signature) -> Result<CallPlan, PinvokeError> {
        let (params, ret) = sig.native_shape();
        let charset = sig.charset;
        let mut out = Vec::with_capacity(params.len());
        let mut arena = 0usize;
        for (i, p) in params.iter().enumerate() {
            let here = at(i, p);
            let invalid = |reason: &str| PinvokeError::InvalidSignature { at: here.clone(), reason: reason.into() };
            if matches!(p.ty, TypeDesc::ByValTStr(_) | TypeDesc::ByValArray { .. }) {
                return Err(invalid("ByValTStr / ByValArray are only valid in struct fields"));
            }
            if let TypeDesc::Named(n) = &p.ty {
                return Err(invalid(&format!("unresolved struct `{n}`")));
            }
            let blittable = marshal_core::blittable::classify_for(&p.ty, Target::host()).is_blittable()
                && !matches!(p.ty, TypeDesc::Char(marshal_core::CharRepr::ByCharSet) if !charset.is_unicode_on(Target::host()));
            let (copy_in, copy_out) = p.direction();
            let (plan, abi, inner) = match (&p.ty, p.pass) {
                (TypeDesc::LpArray { elem, size_const, size_param_index }, PassBy::Value) => {
                    check_elem(elem, &here)?;
                    check_size_param(*size_param_index, &params, i)?;
                    let pinned = is_blittable_elem(elem, charset);
                    let plan = Plan::Array {
                        elem: (**elem).clone(),
                        copy_in: pinned || copy_in,
                        copy_out: pinned || copy_out,
                    };
                    let _ = size_const;
                    (plan, AbiType::Pointer, 0)
                }
                (TypeDesc::LpArray { elem, size_const, size_param_index }, _) => {
                    check_elem(elem, &here)?;
                    check_size_param(*size_param_index, &params, i)?;
                    let size = ArraySize { size_const: *size_const, size_param: size_param_index.map(usize::from) };
                    let plan = Plan::ArrayByRef { elem: (**elem).clone(), size, copy_in, copy_out };
                    (plan, AbiType::Pointer, POINTER_SIZE)
                }
                (TypeDesc::Struct(_), PassBy::Value) if p.class => {
                    let (size, _) = marshal::size_align(&p.ty, charset)?;
                    let plan = Plan::Class { copy_in: blittable || copy_in, copy_out: blittable || copy_out };
                    (plan, AbiType::Pointer, size)
                }
                (_, PassBy::Value) => {
                    if p.out_attr && matches!(p.ty, TypeDesc::String(_)) {
                        // CoreCLR refuses [Out] on a by-value string (use StringBuilder).
                        return Err(invalid("[Out] on a by-value string is not allowed"));
                    }
                    let abi = marshal::abi_type(&p.ty, charset, &here)?;
                    let pinned_utf16 = matches!(p.ty, TypeDesc::String(r)
                        if marshal::string_form(r, charset) == StringRepr::LPWStr);
                    (Plan::Direct { pinned_utf16 }, abi, 0)
                }
                (ty, _) => {
                    let (size, _) = marshal::size_align(ty, charset)?;
                    // Validate that the type has a native form at all.
                    marshal::abi_type(ty, charset, &here).or_else(|e| match e {
                        PinvokeError::Unsupported { .. } if matches!(ty, TypeDesc::Struct(_)) => Ok(AbiType::Pointer),
                        e => Err(e),
                    })?;
                    let plan = Plan::ByRef { copy_in: blittable || copy_in, copy_out: blittable || copy_out };
                    (plan, AbiType::Pointer, size)
                }
            };
            let (slot_size, _) = abi.size_align();
            let slot = (arena, slot_size.max(8));
            arena += words(slot.1) * 8;
            let inner = (arena, inner);
            arena += words(inner.1) * 8;
            out.push(ParamPlan { param: p.clone(), plan, abi, slot, inner });
        }
        let ret_abi = match &ret {
            None => AbiType::Void,
            Some(TypeDesc::LpArray { .. }) => {
                return Err(PinvokeError::Unsupported { at: "return".into(), what: "an array return".into() })
            }
            Some(TypeDesc::ByValTStr(_) | TypeDesc::ByValArray { .. }) => {
                return Err(PinvokeError::InvalidSignature {
                    at: "return".into(),
                    reason: "ByValTStr / ByValArray are only valid in struct fields".into(),
                })
            }
            Some(t) => marshal::abi_type(t, charset, "return")?,
        };
        let ret_words = words(ret_abi.size_align().0.max(8));
        Ok(CallPlan {
            managed_params: if sig.preserve_sig { out.len() } else { sig.params.len() },
            params: out,
            ret,
            ret_abi,
            arena_words: words(arena),
            ret_words,
            charset,
            conv: sig.conv,
            set_last_error: sig.set_last_error,
            preserve_sig: sig.preserve_sig,
        })
    }

    pub(crate) fn abi_params(&self) -> Vec<AbiType> {
        self.params.iter().map(|p| p.abi.clone()).collect()
    }

    fn into_function(self, code: *const (), lib: Option<Arc<Library>>) -> Result<Function, PinvokeError> {
        let core = CallCore::new(code, &self.abi_params(), &self.ret_abi, self.conv)?;
        Ok(Function { plan: self, core, _lib: lib })
    }
}

fn check_elem(elem: &TypeDesc, here: &str) -> Result<(), PinvokeError> {
    match elem {
        TypeDesc::LpArray { .. } | TypeDesc::ByValArray { .. } | TypeDesc::ByValTStr(_) => {
            Err(PinvokeError::InvalidSignature { at: here.into(), reason: "nested arrays cannot be marshaled".into() })
        }
        _ => Ok(()),
    }
}

fn check_size_param(index: Option<u16>, params: &[Param], me: usize) -> Result<(), PinvokeError> {
    let Some(i) = index else { return Ok(()) };
    let here = at(me, &params[me]);
    let Some(p) = params.get(i as usize) else {
        return Err(PinvokeError::InvalidSignature {
            at: here,
            reason: format!("SizeParamIndex {i} is out of range ({} parameters)", params.len()),
        });
    };
    let integer =
        matches!(p.ty, TypeDesc::Prim(pr) if !matches!(pr, marshal_core::Prim::F32 | marshal_core::Prim::F64));
    if !integer || i as usize == me {
        return Err(PinvokeError::InvalidSignature {
            at: here,
            reason: format!("SizeParamIndex {i} does not name an integer parameter"),
        });
    }
    Ok(())
}

/// Whether an LPArray of `elem` is pinned (its elements are blittable; a char
/// is when it is UTF-16).
fn is_blittable_elem(elem: &TypeDesc, charset: CharSet) -> bool {
    match elem {
        TypeDesc::Char(r) => match r {
            marshal_core::CharRepr::Utf16 => true,
            marshal_core::CharRepr::Ansi => false,
            marshal_core::CharRepr::ByCharSet => charset.is_unicode_on(Target::host()),
        },
        other => marshal_core::blittable::classify_for(other, Target::host()).is_blittable(),
    }
}

/// A signature bound to a code address: call it many times.
#[derive(Debug)]
pub struct Function {
    plan: CallPlan,
    core: CallCore,
    _lib: Option<Arc<Library>>,
}

type Arena = SmallVec<[u64; 32]>;

impl Function {
    /// The number of managed arguments [`Function::call`] takes.
    pub fn arity(&self) -> usize {
        self.plan.managed_params
    }

    /// The code address called.
    pub fn address(&self) -> *const () {
        self.core.code()
    }

    /// Calls with `args` (one per parameter, in order). `ref`/`out` arguments
    /// and copied-back arrays/classes are updated in place; the return value
    /// is returned (`Value::Null` for void). Every mismatch between the
    /// arguments and the signature is an error before the native call.
    ///
    /// # Safety of the call itself
    /// This function is safe to call in the sense of Rust's type system only
    /// to the extent that the signature truthfully describes the native
    /// function; that is the binder's responsibility, as for any FFI.
    pub fn call(&self, args: &mut [Value]) -> Result<Value, PinvokeError> {
        let plan = &self.plan;
        if args.len() != plan.managed_params {
            return Err(PinvokeError::ArgumentCount { expected: plan.managed_params, given: args.len() });
        }
        let mut retval = Value::Null;
        let mut frees = Frees::default();
        let mut arena: Arena = SmallVec::from_elem(0u64, plan.arena_words);
        let mut before: Vec<Vec<(StringRepr, usize)>> = Vec::new();
        // Convert to native: every check happens here, before the call.
        for (i, pp) in plan.params.iter().enumerate() {
            let v = if i < args.len() { &args[i] } else { &retval };
            let b = bytes_mut(&mut arena);
            let mut ptrs = Vec::new();
            convert_in(pp, v, b, &mut frees, plan.charset, i, &mut ptrs)?;
            before.push(ptrs);
        }
        let mut argv: SmallVec<[*mut c_void; 16]> = SmallVec::with_capacity(plan.params.len());
        let base = arena.as_mut_ptr() as *mut u8;
        for pp in &plan.params {
            // SAFETY: the slot lies inside the arena, which is not resized below.
            argv.push(unsafe { base.add(pp.slot.0) } as *mut c_void);
        }
        let mut ret: SmallVec<[u64; 4]> = SmallVec::from_elem(0u64, plan.ret_words);
        if plan.set_last_error {
            crate::last_error::clear_os_error();
        }
        // SAFETY: the arguments were converted to the prepared native types; the
        // return buffer is at least 8 bytes and the return type's size.
        unsafe { self.core.call(&mut argv, ret.as_mut_ptr() as *mut c_void) };
        if plan.set_last_error {
            crate::last_error::capture_os_error();
        }
        drop(argv);
        // Convert back: plain out values first, then arrays (whose sizes may
        // come from those values).
        let mut result = Ok(());
        let mut counts: SmallVec<[Option<i128>; 16]> = SmallVec::new();
        for pass in [false, true] {
            if pass {
                counts.extend(args.iter().map(marshal::as_count));
            }
            for (i, pp) in plan.params.iter().enumerate() {
                if matches!(pp.plan, Plan::ArrayByRef { .. }) != pass {
                    continue;
                }
                let b = bytes_mut(&mut arena);
                let v = if i < args.len() { &mut args[i] } else { &mut retval };
                let r = convert_out(pp, v, &counts, b, &mut frees, plan.charset, i, &before[i]);
                if result.is_ok() {
                    result = r;
                }
            }
        }
        // The return value (read, then the callee's memory freed).
        let ret_bytes = bytes_mut(&mut ret);
        let value = match &plan.ret {
            None => Value::Null,
            Some(ty) => {
                let ty_bytes = narrow_return(&plan.ret_abi, ret_bytes);
                // SAFETY: the callee returned a value of this native type.
                let v = unsafe { marshal::read(ty, plan.charset, ty_bytes, "return") };
                // SAFETY: returned strings belong to the caller (CoTaskMemFree / SysFreeString).
                unsafe { marshal::reconcile(ty, plan.charset, ty_bytes, &[], &mut frees) };
                v?
            }
        };
        result?;
        if !plan.preserve_sig {
            let hr = match value {
                Value::Error(hr) => hr,
                _ => 0,
            };
            if hr < 0 {
                return Err(PinvokeError::Hresult(marshal_core::Hresult(hr)));
            }
            return Ok(retval);
        }
        Ok(value)
    }
}

fn bytes_mut(words: &mut [u64]) -> &mut [u8] {
    let n = words.len() * 8;
    // SAFETY: u64 storage viewed as bytes, same lifetime and length in bytes.
    unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr() as *mut u8, n) }
}

/// libffi widens narrow integer returns to a full word; on little-endian hosts
/// the value's own bytes are the first ones either way.
fn narrow_return<'a>(abi: &AbiType, b: &'a [u8]) -> &'a [u8] {
    if cfg!(target_endian = "big") && abi.widened_on_return() {
        let (s, _) = abi.size_align();
        &b[8 - s..]
    } else {
        b
    }
}

/// Converts one argument to native form into its slots.
fn convert_in(
    pp: &ParamPlan,
    v: &Value,
    arena: &mut [u8],
    frees: &mut Frees,
    charset: CharSet,
    i: usize,
    ptrs: &mut Vec<(StringRepr, usize)>,
) -> Result<(), PinvokeError> {
    convert_in_at(pp, v, arena, frees, charset, ptrs).map_err(|e| marshal::locate(e, || at(i, &pp.param)))
}

fn convert_in_at(
    pp: &ParamPlan,
    v: &Value,
    arena: &mut [u8],
    frees: &mut Frees,
    charset: CharSet,
    ptrs: &mut Vec<(StringRepr, usize)>,
) -> Result<(), PinvokeError> {
    let here = "";
    let (slot_off, _) = pp.slot;
    let (inner_off, inner_size) = pp.inner;
    let ty = &pp.param.ty;
    match &pp.plan {
        Plan::Direct { .. } => {
            marshal::write(ty, charset, v, &mut arena[slot_off..], frees, here)?;
            marshal::string_ptrs(ty, charset, &arena[slot_off..], ptrs);
        }
        Plan::ByRef { copy_in, .. } | Plan::Class { copy_in, .. } => {
            if matches!(pp.plan, Plan::Class { .. }) && matches!(v, Value::Null) {
                // A null class is passed as a null pointer.
                marshal::write_ptr(&mut arena[slot_off..], 0);
                return Ok(());
            }
            let out_unset = pp.param.pass == PassBy::Out && matches!(v, Value::Null);
            if *copy_in && !out_unset {
                if matches!(v, Value::Null)
                    && !matches!(ty, TypeDesc::String(_) | TypeDesc::Pointer | TypeDesc::FnPtr | TypeDesc::Interface(_))
                {
                    return Err(PinvokeError::NullNotAllowed { at: here.into() });
                }
                marshal::write(ty, charset, v, &mut arena[inner_off..inner_off + inner_size.max(8)], frees, here)?;
                marshal::string_ptrs(ty, charset, &arena[inner_off..], ptrs);
            } else if !matches!(pp.param.pass, PassBy::Out) {
                // [Out]-only: the callee gets zeroed space, but the value must still fit the type.
                check_shape(ty, v, here)?;
            }
            let p = arena[inner_off..].as_mut_ptr() as usize;
            marshal::write_ptr(&mut arena[slot_off..], p);
        }
        Plan::Array { elem, copy_in, .. } => {
            let items = match v {
                Value::Null => {
                    marshal::write_ptr(&mut arena[slot_off..], 0);
                    return Ok(());
                }
                Value::Array(items) => items,
                _ => return Err(PinvokeError::ArgumentType { at: here.into(), expected: "an array or null".into() }),
            };
            let buf = alloc_elems(elem, charset, items.len(), frees)?;
            // SAFETY: alloc_elems returned items.len() * esize zeroed bytes.
            let bytes = unsafe { core::slice::from_raw_parts_mut(buf.0 as *mut u8, buf.1) };
            let (esize, _) = marshal::size_align(elem, charset)?;
            for (k, item) in items.iter().enumerate() {
                let epath = || format!("[{k}]");
                if *copy_in {
                    marshal::write(elem, charset, item, &mut bytes[k * esize..], frees, "")
                        .map_err(|e| marshal::locate(e, epath))?;
                    marshal::string_ptrs(elem, charset, &bytes[k * esize..], ptrs);
                } else {
                    check_shape(elem, item, "").map_err(|e| marshal::locate(e, epath))?;
                }
            }
            marshal::write_ptr(&mut arena[slot_off..], buf.0);
        }
        Plan::ArrayByRef { elem, copy_in, .. } => {
            let mut p = 0usize;
            if *copy_in {
                match v {
                    Value::Null => {}
                    Value::Array(items) => {
                        let buf = alloc_elems(elem, charset, items.len(), frees)?;
                        // SAFETY: as above.
                        let bytes = unsafe { core::slice::from_raw_parts_mut(buf.0 as *mut u8, buf.1) };
                        let (esize, _) = marshal::size_align(elem, charset)?;
                        for (k, item) in items.iter().enumerate() {
                            marshal::write(
                                elem,
                                charset,
                                item,
                                &mut bytes[k * esize..],
                                frees,
                                &format!("{here}[{k}]"),
                            )?;
                        }
                        p = buf.0;
                    }
                    _ => {
                        return Err(PinvokeError::ArgumentType { at: here.into(), expected: "an array or null".into() })
                    }
                }
            }
            marshal::write_ptr(&mut arena[inner_off..], p);
            ptrs.push((StringRepr::LPStr, p));
            let q = arena[inner_off..].as_mut_ptr() as usize;
            marshal::write_ptr(&mut arena[slot_off..], q);
        }
    }
    Ok(())
}

/// An [Out]-only value still has to be of the parameter's type.
fn check_shape(ty: &TypeDesc, v: &Value, here: &str) -> Result<(), PinvokeError> {
    let ok = match (ty, v) {
        (_, Value::Null) => true,
        (TypeDesc::Struct(_), Value::Struct(_)) => true,
        (TypeDesc::String(_), Value::Str(_)) => true,
        (TypeDesc::Bool(_), Value::Bool(_)) => true,
        (TypeDesc::Char(_), Value::Char(_)) => true,
        (TypeDesc::LpArray { .. }, Value::Array(_)) => true,
        (TypeDesc::Prim(_) | TypeDesc::Pointer | TypeDesc::FnPtr | TypeDesc::Error | TypeDesc::Guid, _) => {
            let mut scratch = [0u8; 16];
            marshal::write(ty, CharSet::Ansi, v, &mut scratch, &mut Frees::default(), here).is_ok()
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(PinvokeError::ArgumentType { at: here.into(), expected: ty.display_name() })
    }
}

/// Allocates `n` zeroed elements (CoTaskMem; never null, even for 0 elements).
fn alloc_elems(elem: &TypeDesc, charset: CharSet, n: usize, frees: &mut Frees) -> Result<(usize, usize), PinvokeError> {
    let (esize, _) = marshal::size_align(elem, charset)?;
    let total = esize.checked_mul(n).ok_or(PinvokeError::BadArraySize { at: "array".into(), count: n as i128 })?;
    let p = crate::alloc::co_task_mem_alloc(total);
    if p.is_null() {
        return Err(PinvokeError::Ffi("out of memory".into()));
    }
    // SAFETY: p has `total` (or 1) writable bytes.
    unsafe { core::ptr::write_bytes(p as *mut u8, 0, total) };
    frees.push(Owned::CoTaskMem(p));
    Ok((p as usize, total))
}

/// Converts one argument back after the call (and settles native ownership).
#[allow(clippy::too_many_arguments)]
fn convert_out(
    pp: &ParamPlan,
    v: &mut Value,
    counts: &[Option<i128>],
    arena: &mut [u8],
    frees: &mut Frees,
    charset: CharSet,
    i: usize,
    before: &[(StringRepr, usize)],
) -> Result<(), PinvokeError> {
    convert_out_at(pp, v, counts, arena, frees, charset, before).map_err(|e| marshal::locate(e, || at(i, &pp.param)))
}

fn convert_out_at(
    pp: &ParamPlan,
    v: &mut Value,
    counts: &[Option<i128>],
    arena: &mut [u8],
    frees: &mut Frees,
    charset: CharSet,
    before: &[(StringRepr, usize)],
) -> Result<(), PinvokeError> {
    let here = "";
    let ty = &pp.param.ty;
    let (slot_off, _) = pp.slot;
    let (inner_off, _) = pp.inner;
    match &pp.plan {
        Plan::Direct { pinned_utf16 } => {
            if *pinned_utf16 {
                // The CLR passes a by-value UTF-16 string pinned: in-place changes
                // of its characters are visible to the caller.
                if let Value::Str(units) = v {
                    let p = marshal::read_ptr(&arena[slot_off..]) as *const u16;
                    if !p.is_null() {
                        // SAFETY: p is the marshaler's own buffer of units.len() + 1 units.
                        let now = unsafe { core::slice::from_raw_parts(p, units.len()) };
                        if now != units.as_slice() {
                            units.copy_from_slice(now);
                        }
                    }
                }
            }
            Ok(())
        }
        Plan::ByRef { copy_out, .. } | Plan::Class { copy_out, .. } => {
            if matches!(pp.plan, Plan::Class { .. }) && matches!(v, Value::Null) {
                return Ok(());
            }
            let b = &arena[inner_off..];
            let r = if *copy_out {
                // SAFETY: the slot holds the native form, filled by us or the callee.
                unsafe { marshal::read(ty, charset, b, here) }.map(|nv| *v = nv)
            } else {
                Ok(())
            };
            // SAFETY: the slot's pointers are ours or the callee's allocations.
            unsafe { marshal::reconcile(ty, charset, b, before, frees) };
            r
        }
        Plan::Array { elem, copy_out, .. } => {
            let Value::Array(items) = v else { return Ok(()) };
            let p = marshal::read_ptr(&arena[slot_off..]);
            let (esize, _) = marshal::size_align(elem, charset)?;
            // SAFETY: our buffer of items.len() elements.
            let bytes = unsafe { core::slice::from_raw_parts(p as *const u8, esize * items.len()) };
            let mut r = Ok(());
            if *copy_out {
                for (k, item) in items.iter_mut().enumerate() {
                    // SAFETY: element k of our buffer, filled by us or the callee.
                    match unsafe { marshal::read(elem, charset, &bytes[k * esize..], here) } {
                        Ok(nv) => *item = nv,
                        Err(e) => r = Err(e),
                    }
                }
            }
            if marshal::owns_memory(elem) {
                let whole = TypeDesc::by_val_array(elem.clone(), items.len() as u32);
                if !items.is_empty() {
                    // SAFETY: the elements' pointers are ours or the callee's.
                    unsafe { marshal::reconcile(&whole, charset, bytes, before, frees) };
                }
            }
            r
        }
        Plan::ArrayByRef { elem, size, copy_out, .. } => {
            let p = marshal::read_ptr(&arena[inner_off..]);
            let ours = before.first().map(|(_, q)| *q).unwrap_or(0);
            if p != ours && ours != 0 {
                // The callee replaced our array: it owns the old one now.
                frees.disown(ours);
            }
            let theirs = p != 0 && p != ours;
            if theirs {
                frees.push(Owned::CoTaskMem(p as *mut c_void));
            }
            if !*copy_out {
                return Ok(());
            }
            if p == 0 {
                *v = Value::Null;
                return Ok(());
            }
            let count = match size.size_param {
                Some(k) => {
                    let n = counts.get(k).copied().flatten().ok_or_else(|| PinvokeError::InvalidSignature {
                        at: here.into(),
                        reason: "SizeParamIndex names no integer argument".into(),
                    })?;
                    n + size.size_const as i128
                }
                None if size.size_const > 0 => size.size_const as i128,
                None => 1,
            };
            if !(0..=i32::MAX as i128).contains(&count) {
                return Err(PinvokeError::BadArraySize { at: here.into(), count });
            }
            // A callee that left our own array in place but reports more elements than it holds would
            // make us read past our allocation: its size is known, so the count is checked against it.
            let ours_len = match v {
                Value::Array(items) => items.len() as i128,
                _ => 0,
            };
            if p == ours && count > ours_len {
                return Err(PinvokeError::BadArraySize { at: here.into(), count });
            }
            let (esize, _) = marshal::size_align(elem, charset)?;
            // SAFETY: the callee promised `count` elements at p (the signature's size rule), and when p is
            // our own buffer the count was checked against its length above.
            let bytes = unsafe { core::slice::from_raw_parts(p as *const u8, esize * count as usize) };
            let mut items = Vec::with_capacity(count as usize);
            for k in 0..count as usize {
                // SAFETY: element k of the callee's array.
                items.push(unsafe { marshal::read(elem, charset, &bytes[k * esize..], here)? });
            }
            if theirs && marshal::owns_memory(elem) && count > 0 {
                let whole = TypeDesc::by_val_array(elem.clone(), count as u32);
                // SAFETY: the callee's element strings are the caller's to free.
                unsafe { marshal::reconcile(&whole, charset, bytes, &[], frees) };
            }
            *v = Value::Array(items);
            Ok(())
        }
    }
}

/// `Marshal.PtrToString*`: the string of form `repr` (under `charset`) at `p`;
/// `Value::Null` for a null pointer. Nothing is freed.
///
/// # Safety
/// `p` is null or points to a valid string of that form.
pub unsafe fn ptr_to_string(repr: StringRepr, charset: CharSet, p: *const c_void) -> Value {
    // SAFETY: the caller's contract.
    unsafe { marshal::read_string(marshal::string_form(repr, charset), p as usize) }
}

/// `Marshal.PtrToStructure`: the managed value of `ty` from its native form at
/// `p` (strings inside are read, not freed).
///
/// # Safety
/// `p` points to a valid native form of `ty`.
pub unsafe fn ptr_to_structure(ty: &TypeDesc, charset: CharSet, p: *const c_void) -> Result<Value, PinvokeError> {
    if p.is_null() {
        return Err(PinvokeError::NullNotAllowed { at: "ptr_to_structure".into() });
    }
    let (size, _) = marshal::size_align(ty, charset)?;
    // SAFETY: the caller's contract: `size` readable bytes.
    let bytes = unsafe { core::slice::from_raw_parts(p as *const u8, size) };
    // SAFETY: as above.
    unsafe { marshal::read(ty, charset, bytes, "structure") }
}
