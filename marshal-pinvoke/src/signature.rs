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

use marshal_core::alloc::CoTaskMem;
use marshal_core::plan::{ElementPlan, PlanError};
use marshal_core::strings::{NativeStringKind, StringBuffer, StringOptions};
use marshal_core::value::Value;
use marshal_core::{BoolRepr, CharRepr, CharSet, Layout, Prim, StringRepr, Target, TypeDesc};
use smallvec::SmallVec;

use crate::abi::{AbiType, CallConv, CallCore};
use crate::error::PinvokeError;
use crate::library::Library;

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
    /// A `System.Text.StringBuilder` (`ty` is its string form): a native buffer of
    /// `Capacity + 1` characters the callee may fill; the argument is a
    /// [`Value::StringBuilder`].
    pub string_builder: bool,
}

impl Param {
    /// A by-value parameter.
    pub fn new(name: &str, ty: TypeDesc) -> Param {
        Param {
            name: Arc::from(name),
            ty,
            pass: PassBy::Value,
            in_attr: false,
            out_attr: false,
            class: false,
            string_builder: false,
        }
    }

    /// A by-value `StringBuilder` whose buffer has the native form `repr` (`[In, Out]`
    /// unless `[In]` / `[Out]` say otherwise, as the CLR passes it): the callee gets a
    /// buffer of `Capacity + 1` characters holding the text, and the text is read
    /// back up to the first NUL after the call.
    ///
    /// ```
    /// use marshal_pinvoke::{Param, Signature};
    /// use marshal_pinvoke::core::value::Value;
    /// use marshal_pinvoke::core::{StringRepr, TypeDesc};
    /// extern "C" fn fill(buf: *mut u8, cap: i32) {
    ///     let text = b"filled\0";
    ///     if cap as usize >= text.len() {
    ///         // SAFETY: the marshaler passes `cap + 1` bytes.
    ///         unsafe { buf.copy_from_nonoverlapping(text.as_ptr(), text.len()) };
    ///     }
    /// }
    /// let sig = Signature::new(None)
    ///     .param(Param::string_builder("sb", StringRepr::LPUTF8Str))
    ///     .param(Param::new("cap", TypeDesc::I32));
    /// // SAFETY: `fill` is void(char*, int).
    /// let f = unsafe { sig.bind_address(fill as *const ()) }.unwrap();
    /// let mut args = [Value::StringBuilder { text: vec![], capacity: 16 }, Value::I32(16)];
    /// f.call(&mut args).unwrap();
    /// assert_eq!(args[0], Value::StringBuilder { text: "filled".encode_utf16().collect(), capacity: 16 });
    /// ```
    pub fn string_builder(name: &str, repr: StringRepr) -> Param {
        Param { string_builder: true, ..Param::new(name, TypeDesc::String(repr)) }
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
        if self.string_builder && !self.in_attr && !self.out_attr {
            // A StringBuilder is [In, Out] by default.
            return (true, true);
        }
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
#[derive(Clone, Copy, Debug)]
pub(crate) enum Plan {
    /// The native form is the argument itself. `pinned_utf16`: a by-value
    /// UTF-16 string the callee may change in place (CLR pins it).
    Direct { pinned_utf16: bool },
    /// A pointer to a slot holding the native form.
    ByRef { copy_in: bool, copy_out: bool },
    /// A formatted class: a pointer to its fields.
    Class { copy_in: bool, copy_out: bool },
    /// A by-value LPArray: a pointer to the elements.
    Array { copy_in: bool, copy_out: bool },
    /// A `ref`/`out` LPArray: a pointer to the pointer to the elements.
    ArrayByRef { size: ArraySize, copy_in: bool, copy_out: bool },
    /// A `StringBuilder`: a pointer to a buffer of `Capacity + 1` characters of
    /// `kind` (the slot holds the pointer, the inner slot the buffer's byte size).
    StringBuilder { kind: NativeStringKind, copy_in: bool, copy_out: bool },
}

/// Native→managed element count of an LPArray.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArraySize {
    pub(crate) size_const: u32,
    pub(crate) size_param: Option<usize>,
}

/// One parameter, prepared: everything a call needs is computed here, once.
#[derive(Clone, Debug)]
pub(crate) struct ParamPlan {
    pub(crate) param: Param,
    pub(crate) plan: Plan,
    pub(crate) abi: AbiType,
    /// The conversion of the parameter's value (of its elements, for arrays).
    pub(crate) elem: ElementPlan,
    /// Offset and size of the argument slot in the arena (bytes, 8-aligned).
    pub(crate) slot: (usize, usize),
    /// Offset and size of the pointee slot (ByRef, Class; for ArrayByRef the
    /// pointer passed and the marshaler's own array).
    pub(crate) inner: (usize, usize),
    /// Whether anything happens after the call (a copy back, memory to free):
    /// false for a by-value number, which then costs nothing after the call.
    pub(crate) after_call: bool,
}

/// A prepared signature without a code address.
#[derive(Clone, Debug)]
pub(crate) struct CallPlan {
    pub(crate) params: Vec<ParamPlan>,
    pub(crate) ret: Option<ElementPlan>,
    pub(crate) ret_abi: AbiType,
    pub(crate) arena_words: usize,
    pub(crate) conv: CallConv,
    pub(crate) set_last_error: bool,
    pub(crate) preserve_sig: bool,
    /// The managed parameter count (PreserveSig=false hides the `[retval]`).
    pub(crate) managed_params: usize,
    /// Whether any parameter is a `ref`/`out` LPArray (sized after the call).
    pub(crate) sized_after_call: bool,
    /// The libffi-free call of the common shapes (see [`crate::direct`]).
    pub(crate) direct: Option<crate::direct::Caller>,
    /// The whole call prepared for numbers and pointers by value (see [`crate::fast`]).
    pub(crate) fast: Option<crate::fast::FastCall>,
    pub(crate) opts: StringOptions,
}

fn at(i: usize, p: &Param) -> String {
    format!("parameter #{i} `{}`", p.name)
}

fn words(bytes: usize) -> usize {
    bytes.div_ceil(8)
}

const POINTER_SIZE: usize = core::mem::size_of::<usize>();

pub(crate) fn read_ptr(b: &[u8]) -> usize {
    let mut a = [0u8; POINTER_SIZE];
    a.copy_from_slice(&b[..POINTER_SIZE]);
    usize::from_ne_bytes(a)
}

pub(crate) fn write_ptr(out: &mut [u8], p: usize) {
    out[..POINTER_SIZE].copy_from_slice(&p.to_ne_bytes());
}

/// An integer value as i128 (for SizeParamIndex counts).
pub(crate) fn as_count(v: &Value) -> Option<i128> {
    Some(match v {
        Value::I8(x) => *x as i128,
        Value::U8(x) => *x as i128,
        Value::I16(x) => *x as i128,
        Value::U16(x) => *x as i128,
        Value::I32(x) => *x as i128,
        Value::U32(x) => *x as i128,
        Value::I64(x) => *x as i128,
        Value::U64(x) => *x as i128,
        Value::ISize(x) => *x as i128,
        Value::USize(x) => *x as i128,
        _ => return None,
    })
}

/// The element plan of `ty` (the engine's conversion of one value), located at `here` on error.
fn element_plan(ty: &TypeDesc, charset: CharSet, here: &str) -> Result<ElementPlan, PinvokeError> {
    ElementPlan::new(ty, charset, Target::host()).map_err(|e| PinvokeError::from(e).within(|| here.to_string()))
}

/// The ABI type of `ty`'s native form passed by value.
pub(crate) fn abi_type(ty: &TypeDesc, charset: CharSet, at: &str) -> Result<AbiType, PinvokeError> {
    let unicode = |r: CharRepr| match r {
        CharRepr::Utf16 => true,
        CharRepr::Ansi => false,
        CharRepr::ByCharSet => charset.is_unicode_on(Target::host()),
    };
    Ok(match ty {
        TypeDesc::Prim(p) => match p {
            Prim::I8 => AbiType::I8,
            Prim::U8 => AbiType::U8,
            Prim::I16 => AbiType::I16,
            Prim::U16 => AbiType::U16,
            Prim::I32 => AbiType::I32,
            Prim::U32 => AbiType::U32,
            Prim::I64 => AbiType::I64,
            Prim::U64 => AbiType::U64,
            Prim::F32 => AbiType::F32,
            Prim::F64 => AbiType::F64,
            Prim::ISize | Prim::USize => AbiType::Pointer,
        },
        TypeDesc::Bool(BoolRepr::Win32) | TypeDesc::Error => AbiType::I32,
        TypeDesc::Bool(BoolRepr::VariantBool) => AbiType::I16,
        TypeDesc::Bool(BoolRepr::U1) => AbiType::U8,
        TypeDesc::Bool(BoolRepr::I1) => AbiType::I8,
        TypeDesc::Char(r) if unicode(*r) => AbiType::U16,
        TypeDesc::Char(_) => AbiType::U8,
        TypeDesc::Pointer
        | TypeDesc::FnPtr
        | TypeDesc::String(_)
        | TypeDesc::Interface(_)
        | TypeDesc::LpArray { .. }
        | TypeDesc::SafeArray(_) => AbiType::Pointer,
        TypeDesc::Currency => AbiType::I64,
        TypeDesc::Date => AbiType::F64,
        TypeDesc::Guid => AbiType::Struct(vec![AbiType::U32, AbiType::U16, AbiType::U16, AbiType::U64]),
        TypeDesc::Decimal => AbiType::Struct(vec![AbiType::U16, AbiType::U8, AbiType::U8, AbiType::U32, AbiType::U64]),
        // A VARIANT by value: vt + 3 reserved words, then the 8- or 16-byte union.
        TypeDesc::Variant => {
            let mut m = vec![AbiType::U16; 4];
            m.extend([AbiType::Pointer, AbiType::Pointer]);
            AbiType::Struct(m)
        }
        TypeDesc::ByValTStr(n) => {
            let c = if unicode(CharRepr::ByCharSet) { AbiType::U16 } else { AbiType::U8 };
            AbiType::Struct(vec![c; *n as usize])
        }
        TypeDesc::ByValArray { elem, count } => {
            let e = abi_type(elem, charset, at)?;
            AbiType::Struct(vec![e; *count as usize])
        }
        TypeDesc::Struct(s) => {
            let layout =
                Layout::of(ty).map_err(|e| PinvokeError::InvalidSignature { at: at.into(), reason: e.to_string() })?;
            let mut members = Vec::with_capacity(s.fields().len());
            for f in s.fields() {
                members.push(abi_type(&f.ty, s.charset(), at)?);
            }
            let abi = AbiType::Struct(members);
            // libffi lays members out at natural C alignment: refuse what it would get wrong
            // (Pack < natural alignment, explicit offsets, StructLayout.Size padding).
            let (size, align) = abi.size_align();
            let natural = s.kind() == marshal_core::LayoutKind::Sequential
                && size == layout.size() as usize
                && align == layout.align() as usize
                && natural_offsets(&abi) == layout.fields().iter().map(|f| f.offset as usize).collect::<Vec<_>>();
            if !natural {
                return Err(PinvokeError::Unsupported {
                    at: at.into(),
                    what: format!("struct `{}` by value with a non-natural layout", s.name()),
                });
            }
            abi
        }
        TypeDesc::Named(n) => {
            return Err(PinvokeError::InvalidSignature { at: at.into(), reason: format!("unresolved struct `{n}`") })
        }
    })
}

fn natural_offsets(abi: &AbiType) -> Vec<usize> {
    let AbiType::Struct(members) = abi else { return Vec::new() };
    let mut end = 0usize;
    members
        .iter()
        .map(|m| {
            let (s, a) = m.size_align();
            let off = end.div_ceil(a) * a;
            end = off + s;
            off
        })
        .collect()
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
                && !matches!(p.ty, TypeDesc::Char(CharRepr::ByCharSet) if !charset.is_unicode_on(Target::host()));
            let (copy_in, copy_out) = p.direction();
            let (plan, abi, elem, inner) = match (&p.ty, p.pass) {
                _ if p.string_builder => {
                    let TypeDesc::String(repr) = p.ty else {
                        return Err(invalid("a StringBuilder's type is a string form"));
                    };
                    if p.pass != PassBy::Value {
                        // CoreCLR: MarshalDirectiveException for `ref`/`out` StringBuilder.
                        return Err(invalid("a StringBuilder is passed by value only"));
                    }
                    let kind = NativeStringKind::resolve(repr, charset);
                    if !matches!(kind, NativeStringKind::LPStr | NativeStringKind::LPWStr | NativeStringKind::LPUTF8Str)
                    {
                        return Err(invalid("a StringBuilder buffer is LPStr, LPWStr or LPUTF8Str"));
                    }
                    let plan = Plan::StringBuilder { kind, copy_in, copy_out };
                    (plan, AbiType::Pointer, element_plan(&TypeDesc::ISIZE, charset, &here)?, POINTER_SIZE)
                }
                (TypeDesc::LpArray { elem, size_param_index, .. }, PassBy::Value) => {
                    check_elem(elem, &here)?;
                    check_size_param(*size_param_index, &params, i)?;
                    let pinned = is_blittable_elem(elem, charset);
                    let plan = Plan::Array { copy_in: pinned || copy_in, copy_out: pinned || copy_out };
                    (plan, AbiType::Pointer, element_plan(elem, charset, &here)?, 0)
                }
                (TypeDesc::LpArray { elem, size_const, size_param_index }, _) => {
                    check_elem(elem, &here)?;
                    check_size_param(*size_param_index, &params, i)?;
                    let size = ArraySize { size_const: *size_const, size_param: size_param_index.map(usize::from) };
                    let plan = Plan::ArrayByRef { size, copy_in, copy_out };
                    (plan, AbiType::Pointer, element_plan(elem, charset, &here)?, 2 * POINTER_SIZE)
                }
                (TypeDesc::Struct(_), PassBy::Value) if p.class => {
                    let elem = element_plan(&p.ty, charset, &here)?;
                    let plan = Plan::Class { copy_in: blittable || copy_in, copy_out: blittable || copy_out };
                    let size = elem.size();
                    (plan, AbiType::Pointer, elem, size)
                }
                (_, PassBy::Value) => {
                    if p.out_attr && matches!(p.ty, TypeDesc::String(_)) {
                        // CoreCLR refuses [Out] on a by-value string (use StringBuilder).
                        return Err(invalid("[Out] on a by-value string is not allowed"));
                    }
                    let abi = abi_type(&p.ty, charset, &here)?;
                    let pinned_utf16 = matches!(p.ty, TypeDesc::String(r)
                        if NativeStringKind::resolve(r, charset) == NativeStringKind::LPWStr);
                    (Plan::Direct { pinned_utf16 }, abi, element_plan(&p.ty, charset, &here)?, 0)
                }
                (ty, _) => {
                    // Validate that the type has a native form at all (a by-ref struct need not
                    // have a libffi one: it passes by pointer).
                    abi_type(ty, charset, &here).or_else(|e| match e {
                        PinvokeError::Unsupported { .. } if matches!(ty, TypeDesc::Struct(_)) => Ok(AbiType::Pointer),
                        e => Err(e),
                    })?;
                    let elem = element_plan(ty, charset, &here)?;
                    let plan = Plan::ByRef { copy_in: blittable || copy_in, copy_out: blittable || copy_out };
                    let size = elem.size();
                    (plan, AbiType::Pointer, elem, size)
                }
            };
            let (slot_size, _) = abi.size_align();
            let slot = (arena, slot_size.max(8));
            arena += words(slot.1) * 8;
            let inner = (arena, inner);
            arena += words(inner.1) * 8;
            let after_call = !matches!(plan, Plan::Direct { pinned_utf16: false }) || elem.owns_native_memory();
            out.push(ParamPlan { param: p.clone(), plan, abi, elem, slot, inner, after_call });
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
            Some(t) => abi_type(t, charset, "return")?,
        };
        let ret_elem = match &ret {
            None => None,
            Some(t) => Some(element_plan(t, charset, "return")?),
        };
        let ret_words = words(ret_abi.size_align().0.max(8));
        if ret_words > RET_WORDS || ret_elem.as_ref().is_some_and(|e| e.size() > RET_WORDS * 8) {
            return Err(PinvokeError::Unsupported {
                at: "return".into(),
                what: format!("a return value of more than {} bytes", RET_WORDS * 8),
            });
        }
        let direct = crate::direct::caller(&out.iter().map(|p| p.abi.clone()).collect::<Vec<_>>(), &ret_abi);
        Ok(CallPlan {
            managed_params: if sig.preserve_sig { out.len() } else { sig.params.len() },
            sized_after_call: out.iter().any(|p| matches!(p.plan, Plan::ArrayByRef { .. })),
            fast: crate::fast::FastCall::new(
                &out,
                ret.as_ref(),
                crate::direct::runner(&out.iter().map(|p| p.abi.clone()).collect::<Vec<_>>(), &ret_abi),
                sig.set_last_error,
                sig.preserve_sig,
            ),
            direct,
            params: out,
            ret: ret_elem,
            ret_abi,
            arena_words: words(arena),
            conv: sig.conv,
            set_last_error: sig.set_last_error,
            preserve_sig: sig.preserve_sig,
            opts: StringOptions::default(),
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
            CharRepr::Utf16 => true,
            CharRepr::Ansi => false,
            CharRepr::ByCharSet => charset.is_unicode_on(Target::host()),
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

/// Argument-slot words kept on the stack (larger signatures use the heap).
const INLINE_ARENA: usize = 32;
/// Arguments whose pointers are kept on the stack.
const INLINE_ARGS: usize = 16;
/// The return buffer: a VARIANT or DECIMAL returned by value fits.
const RET_WORDS: usize = 4;

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
    /// Native memory follows the CLR's rules: what the marshaler allocated for
    /// the call, and whatever the callee left in `ref`/`out` slots, arrays and
    /// the return value, is read and then freed with the allocator the ABI names
    /// (`DestroyStructure` of each native form); a `ref` array the callee
    /// replaced is the callee's to free.
    ///
    /// # Safety of the call itself
    /// This function is safe to call in the sense of Rust's type system only
    /// to the extent that the signature truthfully describes the native
    /// function; that is the binder's responsibility, as for any FFI.
    #[inline]
    pub fn call(&self, args: &mut [Value]) -> Result<Value, PinvokeError> {
        if let Some(fast) = &self.plan.fast {
            // Numbers and pointers by value: one match per argument, the call, the value.
            if let Some(word) = fast.call(self.core.code(), args) {
                return fast.result(word);
            }
        }
        self.call_general(args)
    }

    /// Every signature's call: convert in, call, convert out and free, return.
    #[inline(never)]
    fn call_general(&self, args: &mut [Value]) -> Result<Value, PinvokeError> {
        let plan = &self.plan;
        if args.len() != plan.managed_params {
            return Err(PinvokeError::ArgumentCount { expected: plan.managed_params, given: args.len() });
        }
        let mut retval = Value::Null;
        // The argument slots, the return buffer and the argument pointers live on the
        // stack for the usual signatures (no allocation per call).
        let mut inline_arena = [0u64; INLINE_ARENA];
        let mut heap_arena = Vec::new();
        let arena: &mut [u64] = if plan.arena_words <= INLINE_ARENA {
            &mut inline_arena[..plan.arena_words]
        } else {
            heap_arena.resize(plan.arena_words, 0u64);
            &mut heap_arena
        };
        // Convert to native: every check happens here, before the call.
        for (i, pp) in plan.params.iter().enumerate() {
            let v = if i < args.len() { &args[i] } else { &retval };
            if let Err(e) = convert_in(pp, v, bytes_mut(arena), &plan.opts) {
                for (k, done) in plan.params[..i].iter().enumerate() {
                    let v = if k < args.len() { &args[k] } else { &retval };
                    // SAFETY: parameter k was converted by convert_in into this arena.
                    unsafe { cleanup(done, v, bytes_mut(arena), None) };
                }
                return Err(e.within(|| at(i, &pp.param)));
            }
        }
        let mut ret = [0u64; RET_WORDS];
        if let Some(direct) = plan.direct {
            // A common shape: the slots' words straight into a call of the exact native type.
            let mut words = [0u64; crate::direct::MAX_ARGS];
            for (w, pp) in words.iter_mut().zip(&plan.params) {
                *w = arena[pp.slot.0 / 8];
            }
            if plan.set_last_error {
                crate::last_error::clear_os_error();
            }
            // SAFETY: the code has the native signature the shape was chosen for (the
            // signature's promise, as for any call); each word holds its argument.
            ret[0] = unsafe { direct(self.core.code(), &words) };
            if plan.set_last_error {
                crate::last_error::capture_os_error();
            }
        } else {
            let mut inline_argv = [core::ptr::null_mut::<c_void>(); INLINE_ARGS];
            let mut heap_argv = Vec::new();
            let argv: &mut [*mut c_void] = if plan.params.len() <= INLINE_ARGS {
                &mut inline_argv[..plan.params.len()]
            } else {
                heap_argv.resize(plan.params.len(), core::ptr::null_mut());
                &mut heap_argv
            };
            let base = arena.as_mut_ptr() as *mut u8;
            for (slot, pp) in argv.iter_mut().zip(&plan.params) {
                // SAFETY: the slot lies inside the arena, which is not resized below.
                *slot = unsafe { base.add(pp.slot.0) } as *mut c_void;
            }
            if plan.set_last_error {
                crate::last_error::clear_os_error();
            }
            // SAFETY: the arguments were converted to the prepared native types; the
            // return buffer is at least 8 bytes and the return type's size (RET_WORDS
            // words, checked when the plan was made).
            unsafe { self.core.call(argv, ret.as_mut_ptr() as *mut c_void) };
            if plan.set_last_error {
                crate::last_error::capture_os_error();
            }
        }
        // Convert back and free: plain out values first, then arrays sized by
        // `SizeParamIndex` (whose sizes may come from those values).
        let mut result = Ok(());
        let mut counts: SmallVec<[Option<i128>; 16]> = SmallVec::new();
        for pass in [false, true] {
            if pass {
                if !plan.sized_after_call {
                    break;
                }
                counts.extend(args.iter().map(as_count));
            }
            for (i, pp) in plan.params.iter().enumerate() {
                if !pp.after_call || matches!(pp.plan, Plan::ArrayByRef { .. }) != pass {
                    continue;
                }
                let v = if i < args.len() { &mut args[i] } else { &mut retval };
                // SAFETY: the arena holds what convert_in wrote, as the callee left it.
                let r = unsafe { convert_out(pp, v, &counts, bytes_mut(arena), &plan.opts) };
                if result.is_ok() {
                    result = r.map_err(|e| e.within(|| at(i, &pp.param)));
                }
            }
        }
        // The return value: read, then freed (what a callee returns is the caller's).
        let value = match &plan.ret {
            None => Value::Null,
            Some(elem) => {
                let ret_bytes = narrow_return_mut(&plan.ret_abi, bytes_mut(&mut ret));
                // SAFETY: the callee returned a value of this native type.
                let v = unsafe { elem.from_native(ret_bytes, &plan.opts) };
                // SAFETY: as above; its owned pointers are the caller's to free.
                unsafe { elem.destroy(ret_bytes) };
                v.map_err(|e| PinvokeError::from(e).within(|| "return".into()))?
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
fn narrow_return_mut<'a>(abi: &AbiType, b: &'a mut [u8]) -> &'a mut [u8] {
    if cfg!(target_endian = "big") && abi.widened_on_return() {
        let (s, _) = abi.size_align();
        &mut b[8 - s..]
    } else {
        b
    }
}

/// A by-reference value that may be null: strings, pointers, interfaces, arrays, objects.
fn nullable(ty: &TypeDesc) -> bool {
    matches!(
        ty,
        TypeDesc::String(_)
            | TypeDesc::Pointer
            | TypeDesc::FnPtr
            | TypeDesc::Interface(_)
            | TypeDesc::SafeArray(_)
            | TypeDesc::Variant
    )
}

/// An [Out]-only value still has to be of the parameter's type: converted into
/// scratch space and dropped.
fn check_shape(elem: &ElementPlan, v: &Value, opts: &StringOptions) -> Result<(), PinvokeError> {
    if matches!(v, Value::Null) {
        return Ok(());
    }
    let mut scratch: SmallVec<[u8; 64]> = SmallVec::from_elem(0, elem.size());
    elem.to_native(v, &mut scratch, opts)?;
    // SAFETY: written just above by the same plan.
    unsafe { elem.destroy(&mut scratch) };
    Ok(())
}

/// Allocates `n` zeroed elements of `esize` bytes (CoTaskMem; never null, even for 0 elements).
fn alloc_elems(esize: usize, n: usize) -> Result<&'static mut [u8], PinvokeError> {
    let total = esize.checked_mul(n).ok_or(PinvokeError::BadArraySize { at: String::new(), count: n as i128 })?;
    let p = CoTaskMem::alloc_zeroed(total);
    if p.is_null() {
        return Err(PinvokeError::Ffi("out of memory".into()));
    }
    // SAFETY: a fresh zeroed block of `total` bytes, owned by the call until freed in `cleanup`.
    Ok(unsafe { core::slice::from_raw_parts_mut(p, total) })
}

/// Writes `items` into a new native array; on error nothing stays allocated.
fn array_to_native(
    elem: &ElementPlan,
    items: &[Value],
    copy_in: bool,
    opts: &StringOptions,
) -> Result<usize, PinvokeError> {
    let esize = elem.size();
    let bytes = alloc_elems(esize, items.len())?;
    for (k, item) in items.iter().enumerate() {
        let r = if copy_in {
            elem.to_native(item, &mut bytes[k * esize..(k + 1) * esize], opts).map_err(PinvokeError::from)
        } else {
            check_shape(elem, item, opts)
        };
        if let Err(e) = r {
            // SAFETY: elements 0..k were written by this plan; the block is ours.
            unsafe { free_array(elem, bytes.as_mut_ptr() as usize, k) };
            return Err(e.within(|| format!("[{k}]")));
        }
    }
    Ok(bytes.as_mut_ptr() as usize)
}

/// Destroys `n` elements of a native array and frees the block (CoTaskMemFree).
///
/// # Safety
/// `p` is null or a CoTaskMem block of at least `n` native elements of `elem`.
unsafe fn free_array(elem: &ElementPlan, p: usize, n: usize) {
    if p == 0 {
        return;
    }
    if elem.owns_native_memory() {
        let esize = elem.size();
        for k in 0..n {
            // SAFETY: element k of the block.
            let e = unsafe { core::slice::from_raw_parts_mut((p + k * esize) as *mut u8, esize) };
            // SAFETY: per the caller.
            unsafe { elem.destroy(e) };
        }
    }
    // SAFETY: per the caller.
    unsafe { CoTaskMem::free(p as *mut u8) };
}

/// Converts one argument to native form into its slots.
fn convert_in(pp: &ParamPlan, v: &Value, arena: &mut [u8], opts: &StringOptions) -> Result<(), PinvokeError> {
    let (slot_off, _) = pp.slot;
    let (inner_off, inner_size) = pp.inner;
    let ty = &pp.param.ty;
    let elem = &pp.elem;
    match pp.plan {
        Plan::Direct { .. } => {
            if matches!(v, Value::Null) && matches!(ty, TypeDesc::Struct(_)) {
                return Err(PinvokeError::NullNotAllowed { at: String::new() });
            }
            elem.to_native(v, &mut arena[slot_off..slot_off + elem.size()], opts)?;
        }
        Plan::ByRef { copy_in, .. } | Plan::Class { copy_in, .. } => {
            if matches!(pp.plan, Plan::Class { .. }) && matches!(v, Value::Null) {
                // A null class is passed as a null pointer.
                write_ptr(&mut arena[slot_off..], 0);
                return Ok(());
            }
            let out_unset = pp.param.pass == PassBy::Out && matches!(v, Value::Null);
            if copy_in && !out_unset {
                if matches!(v, Value::Null) && !nullable(ty) {
                    return Err(PinvokeError::NullNotAllowed { at: String::new() });
                }
                elem.to_native(v, &mut arena[inner_off..inner_off + inner_size], opts)?;
            } else if pp.param.pass != PassBy::Out {
                // [Out]-only: the callee gets zeroed space, but the value must still fit the type.
                check_shape(elem, v, opts)?;
            }
            let p = arena[inner_off..].as_mut_ptr() as usize;
            write_ptr(&mut arena[slot_off..], p);
        }
        Plan::StringBuilder { kind, copy_in, .. } => {
            let (ptr, size) = match v {
                Value::Null => (core::ptr::null_mut(), 0),
                Value::StringBuilder { text, capacity } => {
                    let contents: &[u16] = if copy_in { text } else { &[] };
                    StringBuffer::new(kind, *capacity as usize, contents, &opts.ansi)
                        .map_err(|error| PlanError::String { path: String::new(), error })?
                        .into_raw()
                }
                _ => {
                    return Err(PinvokeError::ArgumentType {
                        at: String::new(),
                        expected: "a StringBuilder or null".into(),
                    })
                }
            };
            write_ptr(&mut arena[slot_off..], ptr as usize);
            write_ptr(&mut arena[inner_off..], size);
        }
        Plan::Array { copy_in, .. } => {
            let p = match v {
                Value::Null => 0,
                Value::Array(items) => array_to_native(elem, items, copy_in, opts)?,
                _ => return Err(PinvokeError::ArgumentType { at: String::new(), expected: "an array or null".into() }),
            };
            write_ptr(&mut arena[slot_off..], p);
        }
        Plan::ArrayByRef { copy_in, .. } => {
            let p = match (copy_in, v) {
                (false, _) | (true, Value::Null) => 0,
                (true, Value::Array(items)) => array_to_native(elem, items, true, opts)?,
                _ => return Err(PinvokeError::ArgumentType { at: String::new(), expected: "an array or null".into() }),
            };
            // [0]: the pointer the callee sees (and may replace); [1]: the marshaler's own array.
            write_ptr(&mut arena[inner_off..], p);
            write_ptr(&mut arena[inner_off + POINTER_SIZE..], p);
            let q = arena[inner_off..].as_mut_ptr() as usize;
            write_ptr(&mut arena[slot_off..], q);
        }
    }
    Ok(())
}

/// Frees what one converted argument's native form owns (`counted`: for a `ref`
/// array the callee replaced, how many elements its array has, if known).
///
/// # Safety
/// The slots hold what [`convert_in`] wrote, as the callee left them (its own
/// allocations from the allocators the ABI names).
unsafe fn cleanup(pp: &ParamPlan, v: &Value, arena: &mut [u8], counted: Option<usize>) {
    let (slot_off, _) = pp.slot;
    let (inner_off, inner_size) = pp.inner;
    let elem = &pp.elem;
    let n_ours = match v {
        Value::Array(items) => items.len(),
        _ => 0,
    };
    // SAFETY: per the caller, in every arm: the slots hold this parameter's native form.
    unsafe {
        match pp.plan {
            Plan::Direct { .. } => elem.destroy(&mut arena[slot_off..slot_off + elem.size()]),
            Plan::ByRef { .. } | Plan::Class { .. } => {
                if read_ptr(&arena[slot_off..]) != 0 {
                    elem.destroy(&mut arena[inner_off..inner_off + inner_size]);
                }
            }
            Plan::Array { .. } => free_array(elem, read_ptr(&arena[slot_off..]), n_ours),
            Plan::StringBuilder { kind, .. } => {
                let p = read_ptr(&arena[slot_off..]);
                if p != 0 {
                    drop(StringBuffer::from_raw(kind, p as *mut c_void, read_ptr(&arena[inner_off..])));
                }
            }
            Plan::ArrayByRef { .. } => {
                let now = read_ptr(&arena[inner_off..]);
                let ours = read_ptr(&arena[inner_off + POINTER_SIZE..]);
                if now == ours {
                    free_array(elem, ours, n_ours);
                } else {
                    // The callee replaced our array (it owns the old one now) with its own.
                    let n = if elem.owns_native_memory() { counted.unwrap_or(0) } else { 0 };
                    free_array(elem, now, n);
                }
            }
        }
    }
}

/// Converts one argument back after the call, then frees its native form.
///
/// # Safety
/// As [`cleanup`]; pointers the callee left are valid native data of their form.
unsafe fn convert_out(
    pp: &ParamPlan,
    v: &mut Value,
    counts: &[Option<i128>],
    arena: &mut [u8],
    opts: &StringOptions,
) -> Result<(), PinvokeError> {
    let (slot_off, _) = pp.slot;
    let (inner_off, inner_size) = pp.inner;
    let elem = &pp.elem;
    let mut counted = None;
    let mut new_value = None;
    let r = match pp.plan {
        Plan::Direct { pinned_utf16 } => {
            if pinned_utf16 {
                // The CLR passes a by-value UTF-16 string pinned: in-place changes
                // of its characters are visible to the caller.
                if let Value::Str(units) = v {
                    let p = read_ptr(&arena[slot_off..]) as *const u16;
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
            if read_ptr(&arena[slot_off..]) == 0 || !copy_out {
                Ok(())
            } else {
                // SAFETY: the slot holds the native form, filled by us or the callee.
                unsafe { elem.from_native(&arena[inner_off..inner_off + inner_size], opts) }
                    .map(|nv| *v = nv)
                    .map_err(PinvokeError::from)
            }
        }
        Plan::StringBuilder { kind, copy_out, .. } => {
            let p = read_ptr(&arena[slot_off..]);
            match v {
                Value::StringBuilder { capacity, .. } if copy_out && p != 0 => {
                    // SAFETY: the buffer convert_in made (freed by `cleanup` below, not here).
                    let buffer = core::mem::ManuallyDrop::new(unsafe {
                        StringBuffer::from_raw(kind, p as *mut c_void, read_ptr(&arena[inner_off..]))
                    });
                    match buffer.read(opts) {
                        Ok(text) => {
                            new_value = Some(Value::StringBuilder { text: text.into_vec(), capacity: *capacity });
                            Ok(())
                        }
                        Err(error) => Err(PinvokeError::from(PlanError::String { path: String::new(), error })),
                    }
                }
                _ => Ok(()),
            }
        }
        Plan::Array { copy_out, .. } => {
            let p = read_ptr(&arena[slot_off..]);
            match v {
                Value::Array(items) if copy_out && p != 0 => {
                    let esize = elem.size();
                    let mut r = Ok(());
                    for (k, item) in items.iter_mut().enumerate() {
                        // SAFETY: element k of our buffer, filled by us or the callee.
                        let b = unsafe { core::slice::from_raw_parts((p + k * esize) as *const u8, esize) };
                        // SAFETY: as above.
                        match unsafe { elem.from_native(b, opts) } {
                            Ok(nv) => *item = nv,
                            Err(e) if r.is_ok() => r = Err(PinvokeError::from(e).within(|| format!("[{k}]"))),
                            Err(_) => {}
                        }
                    }
                    r
                }
                _ => Ok(()),
            }
        }
        Plan::ArrayByRef { size, copy_out, .. } => {
            let p = read_ptr(&arena[inner_off..]);
            if !copy_out {
                Ok(())
            } else if p == 0 {
                new_value = Some(Value::Null);
                Ok(())
            } else {
                // A callee that left our own array in place but reports more elements than it
                // holds would make us read past our allocation: its length is known, so the
                // count is checked against it.
                let ours = read_ptr(&arena[inner_off + POINTER_SIZE..]);
                let ours_len = match v {
                    Value::Array(items) => items.len(),
                    _ => 0,
                };
                let count = array_count(size, counts).and_then(|count| {
                    if p == ours && count > ours_len {
                        Err(PinvokeError::BadArraySize { at: String::new(), count: count as i128 })
                    } else {
                        Ok(count)
                    }
                });
                // SAFETY: the callee left `count` elements at p (the signature's size rule), and
                // when p is our own buffer the count was checked against its length above.
                match count.and_then(|count| unsafe { read_array(elem, p, count, opts) }) {
                    Ok(items) => {
                        counted = Some(items.len());
                        new_value = Some(Value::Array(items));
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
        }
    };
    // Free what the native form owns now (the argument as passed still counts our own array).
    // SAFETY: per the caller.
    unsafe { cleanup(pp, v, arena, counted) };
    if let Some(nv) = new_value {
        *v = nv;
    }
    r
}

/// Reads `count` elements of a native array at `p`.
///
/// # Safety
/// `p` holds `count` valid native elements of `elem`.
unsafe fn read_array(
    elem: &ElementPlan,
    p: usize,
    count: usize,
    opts: &StringOptions,
) -> Result<Vec<Value>, PinvokeError> {
    let esize = elem.size();
    let mut items = Vec::with_capacity(count);
    for k in 0..count {
        // SAFETY: element k, per the caller.
        let b = unsafe { core::slice::from_raw_parts((p + k * esize) as *const u8, esize) };
        // SAFETY: as above.
        let item =
            unsafe { elem.from_native(b, opts) }.map_err(|e| PinvokeError::from(e).within(|| format!("[{k}]")))?;
        items.push(item);
    }
    Ok(items)
}

/// The native→managed element count of a `ref`/`out` LPArray: SizeConst plus the
/// SizeParamIndex argument after the call; neither given: one element.
fn array_count(size: ArraySize, counts: &[Option<i128>]) -> Result<usize, PinvokeError> {
    let count = match size.size_param {
        Some(k) => {
            let n = counts.get(k).copied().flatten().ok_or_else(|| PinvokeError::InvalidSignature {
                at: String::new(),
                reason: "SizeParamIndex names no integer argument".into(),
            })?;
            n + size.size_const as i128
        }
        None if size.size_const > 0 => size.size_const as i128,
        None => 1,
    };
    if !(0..=i32::MAX as i128).contains(&count) {
        return Err(PinvokeError::BadArraySize { at: String::new(), count });
    }
    Ok(count as usize)
}

/// `Marshal.PtrToString*`: the string of form `repr` (under `charset`) at `p`;
/// `Value::Null` for a null pointer. Nothing is freed.
///
/// # Safety
/// `p` is null or points to a valid string of that form.
pub unsafe fn ptr_to_string(repr: StringRepr, charset: CharSet, p: *const c_void) -> Value {
    let kind = NativeStringKind::resolve(repr, charset);
    // SAFETY: the caller's contract.
    match unsafe { marshal_core::strings::read_native(kind, p, &StringOptions::default()) } {
        Ok(Some(s)) => Value::Str(s.into_vec()),
        Ok(None) | Err(_) => Value::Null,
    }
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
    let elem = element_plan(ty, charset, "structure")?;
    // SAFETY: the caller's contract: `size` readable bytes.
    let bytes = unsafe { core::slice::from_raw_parts(p as *const u8, elem.size()) };
    // SAFETY: as above.
    unsafe { elem.from_native(bytes, &StringOptions::default()) }.map_err(PinvokeError::from)
}
