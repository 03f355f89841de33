//! Compile-time described calls: the [`pinvoke!`](crate::pinvoke) macro turns
//! declarations into typed Rust functions. Each parameter type says how it
//! crosses ([`Arg`]), each return type how it comes back ([`Ret`]):
//!
//! | Rust type | native | cost |
//! |---|---|---|
//! | `i8` … `u64`, `isize`, `usize`, `f32`, `f64`, raw pointers, `extern "C" fn` (also in `Option`) | itself | none |
//! | `bool` | Win32 `BOOL` (4 bytes, 1/0; any nonzero reads as true) | none |
//! | `&T`, `&mut T` (`T: Blittable`) | `const T*` / `T*`, pinned (In / In-Out) | none: no copy |
//! | `&[T]`, `&mut [T]` (`T: Blittable`) | `const T*` / `T*` to the elements (LPArray, pinned) | none: no copy |
//! | [`Out<T>`] / [`OutSlice`] | `T*` to the caller's storage, Out only (named for intent) | none |
//! | `&str`, `Option<&str>` | NUL-terminated UTF-8 (`LPStr`/`LPUTF8Str` on Unix) | one copy (on the stack up to 256 bytes) |
//! | `&CStr` | `const char*` | none |
//! | `&Callback` | the closure's code pointer (borrowed for the call: cannot dangle) | none |
//! | `&SafeHandle<K>` (`K::Raw = *mut c_void`) | the raw handle | none |
//! | structs by value | themselves, after [`by_value!`](crate::by_value) | none |
//!
//! Returns: the numbers, pointers, `bool`, `()`, [`CoTaskMemStr`] (a returned
//! `char*` the caller frees, read as UTF-8: the CLR's string return) and
//! [`UnownedStr`] (read, never freed: `getenv`).
//!
//! Two ways to bind: `#[library("name")]`, as `DllImport`: the first call of a
//! function loads its library (probing as [`crate::Library::load`]) and looks its
//! entry point up; later calls cost one atomic load and an indirect call (a missing
//! library is an error at the call). `#[link("name")]`: the linker binds it (`-lname`,
//! the library must be there at build time), and the generated function is a
//! hand-written `extern "C"` call plus the argument conversions: for blittable
//! arguments the same machine code.

#![allow(clippy::needless_lifetimes)] // each impl names the lifetime its borrowed argument lives for

use core::ffi::{c_char, c_void, CStr};
use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use marshal_core::Blittable;
use smallvec::SmallVec;

use crate::callback::Callback;
use crate::error::PinvokeError;
use crate::handle::{Release, SafeHandle};
use crate::library::Library;

/// How a Rust argument type crosses to native code.
///
/// # Safety
/// `Native` must be the exact ABI form native code expects for this type, and
/// the pointer [`Arg::native`] returns must stay valid while the prepared value
/// lives.
pub unsafe trait Arg {
    /// The native argument.
    type Native: Copy;
    /// What lives on the caller's stack during the call (a converted string;
    /// for zero-copy types the native value itself).
    type Prepared;
    /// Converts (or not) before the call.
    fn prepare(self) -> Result<Self::Prepared, PinvokeError>;
    /// The native argument, borrowed from the prepared value.
    fn native(prepared: &Self::Prepared) -> Self::Native;
}

/// How a native return value becomes a Rust value.
///
/// # Safety
/// `Native` must be the exact ABI form the native function returns.
pub unsafe trait Ret {
    /// The native return type.
    type Native: Copy;
    /// Converts, taking ownership of what the ABI hands over.
    ///
    /// # Safety
    /// `n` is what the native function returned (a valid value of its kind).
    unsafe fn from_native(n: Self::Native) -> Self;
}

macro_rules! identity {
    ($($t:ty),*) => {$(
        // SAFETY: a primitive crosses as itself.
        unsafe impl Arg for $t {
            type Native = $t;
            type Prepared = $t;
            #[inline(always)]
            fn prepare(self) -> Result<$t, PinvokeError> { Ok(self) }
            #[inline(always)]
            fn native(p: &$t) -> $t { *p }
        }
        // SAFETY: a primitive returns as itself.
        unsafe impl Ret for $t {
            type Native = $t;
            #[inline(always)]
            unsafe fn from_native(n: $t) -> $t { n }
        }
    )*};
}
identity!(i8, u8, i16, u16, i32, u32, i64, u64, isize, usize, f32, f64);

// SAFETY: void.
unsafe impl Ret for () {
    type Native = ();
    #[inline(always)]
    unsafe fn from_native(_: ()) {}
}

// SAFETY: bool crosses as a Win32 BOOL (4 bytes, 1/0), the P/Invoke default.
unsafe impl Arg for bool {
    type Native = i32;
    type Prepared = i32;
    #[inline(always)]
    fn prepare(self) -> Result<i32, PinvokeError> {
        Ok(self as i32)
    }
    #[inline(always)]
    fn native(p: &i32) -> i32 {
        *p
    }
}

// SAFETY: a returned BOOL: any nonzero value is true.
unsafe impl Ret for bool {
    type Native = i32;
    #[inline(always)]
    unsafe fn from_native(n: i32) -> bool {
        n != 0
    }
}

// SAFETY: raw pointers cross as themselves.
unsafe impl<T> Arg for *const T {
    type Native = *const T;
    type Prepared = *const T;
    #[inline(always)]
    fn prepare(self) -> Result<*const T, PinvokeError> {
        Ok(self)
    }
    #[inline(always)]
    fn native(p: &*const T) -> *const T {
        *p
    }
}
// SAFETY: as above.
unsafe impl<T> Arg for *mut T {
    type Native = *mut T;
    type Prepared = *mut T;
    #[inline(always)]
    fn prepare(self) -> Result<*mut T, PinvokeError> {
        Ok(self)
    }
    #[inline(always)]
    fn native(p: &*mut T) -> *mut T {
        *p
    }
}
// SAFETY: as above.
unsafe impl<T> Ret for *const T {
    type Native = *const T;
    #[inline(always)]
    unsafe fn from_native(n: *const T) -> *const T {
        n
    }
}
// SAFETY: as above.
unsafe impl<T> Ret for *mut T {
    type Native = *mut T;
    #[inline(always)]
    unsafe fn from_native(n: *mut T) -> *mut T {
        n
    }
}

// SAFETY: a blittable value by reference is pinned: native reads the caller's memory.
unsafe impl<'a, T: Blittable> Arg for &'a T {
    type Native = *const T;
    type Prepared = *const T;
    #[inline(always)]
    fn prepare(self) -> Result<*const T, PinvokeError> {
        Ok(self)
    }
    #[inline(always)]
    fn native(p: &*const T) -> *const T {
        *p
    }
}
// SAFETY: as above, In/Out.
unsafe impl<'a, T: Blittable> Arg for &'a mut T {
    type Native = *mut T;
    type Prepared = *mut T;
    #[inline(always)]
    fn prepare(self) -> Result<*mut T, PinvokeError> {
        Ok(self)
    }
    #[inline(always)]
    fn native(p: &*mut T) -> *mut T {
        *p
    }
}
// SAFETY: a blittable slice is pinned: native gets the elements' address.
unsafe impl<'a, T: Blittable> Arg for &'a [T] {
    type Native = *const T;
    type Prepared = *const T;
    #[inline(always)]
    fn prepare(self) -> Result<*const T, PinvokeError> {
        Ok(self.as_ptr())
    }
    #[inline(always)]
    fn native(p: &*const T) -> *const T {
        *p
    }
}
// SAFETY: as above, In/Out.
unsafe impl<'a, T: Blittable> Arg for &'a mut [T] {
    type Native = *mut T;
    type Prepared = *mut T;
    #[inline(always)]
    fn prepare(self) -> Result<*mut T, PinvokeError> {
        Ok(self.as_mut_ptr())
    }
    #[inline(always)]
    fn native(p: &*mut T) -> *mut T {
        *p
    }
}

/// An out-only value: the callee writes `*T`, the caller's storage is passed
/// (pinned) and its previous content is not meant as input.
#[derive(Debug)]
pub struct Out<'a, T: Blittable>(pub &'a mut T);

/// An out-only buffer: the callee fills the caller's elements.
#[derive(Debug)]
pub struct OutSlice<'a, T: Blittable>(pub &'a mut [T]);

// SAFETY: the caller's storage, pinned.
unsafe impl<'a, T: Blittable> Arg for Out<'a, T> {
    type Native = *mut T;
    type Prepared = *mut T;
    #[inline(always)]
    fn prepare(self) -> Result<*mut T, PinvokeError> {
        Ok(self.0)
    }
    #[inline(always)]
    fn native(p: &*mut T) -> *mut T {
        *p
    }
}
// SAFETY: the caller's elements, pinned.
unsafe impl<'a, T: Blittable> Arg for OutSlice<'a, T> {
    type Native = *mut T;
    type Prepared = *mut T;
    #[inline(always)]
    fn prepare(self) -> Result<*mut T, PinvokeError> {
        Ok(self.0.as_mut_ptr())
    }
    #[inline(always)]
    fn native(p: &*mut T) -> *mut T {
        *p
    }
}

/// A NUL-terminated UTF-8 copy of a `&str` (on the stack up to 256 bytes).
pub type Utf8Buf = SmallVec<[u8; 256]>;

fn utf8_z(s: &str) -> Utf8Buf {
    let mut b = Utf8Buf::with_capacity(s.len() + 1);
    b.extend_from_slice(s.as_bytes());
    b.push(0);
    b
}

// SAFETY: the pointer is into the prepared buffer, alive for the call.
unsafe impl<'a> Arg for &'a str {
    type Native = *const c_char;
    type Prepared = Utf8Buf;
    #[inline]
    fn prepare(self) -> Result<Utf8Buf, PinvokeError> {
        Ok(utf8_z(self))
    }
    #[inline(always)]
    fn native(p: &Utf8Buf) -> *const c_char {
        p.as_ptr() as *const c_char
    }
}
// SAFETY: as above; None is a null pointer.
unsafe impl<'a> Arg for Option<&'a str> {
    type Native = *const c_char;
    type Prepared = Option<Utf8Buf>;
    #[inline]
    fn prepare(self) -> Result<Option<Utf8Buf>, PinvokeError> {
        Ok(self.map(utf8_z))
    }
    #[inline(always)]
    fn native(p: &Option<Utf8Buf>) -> *const c_char {
        p.as_ref().map_or(core::ptr::null(), |b| b.as_ptr() as *const c_char)
    }
}
// SAFETY: a C string crosses as its pointer.
unsafe impl<'a> Arg for &'a CStr {
    type Native = *const c_char;
    type Prepared = *const c_char;
    #[inline(always)]
    fn prepare(self) -> Result<*const c_char, PinvokeError> {
        Ok(self.as_ptr())
    }
    #[inline(always)]
    fn native(p: &*const c_char) -> *const c_char {
        *p
    }
}
// SAFETY: the closure's code pointer, valid while the borrowed handle lives.
unsafe impl<'a, 'b> Arg for &'a Callback<'b> {
    type Native = *const c_void;
    type Prepared = *const c_void;
    #[inline(always)]
    fn prepare(self) -> Result<*const c_void, PinvokeError> {
        Ok(self.code_ptr() as *const c_void)
    }
    #[inline(always)]
    fn native(p: &*const c_void) -> *const c_void {
        *p
    }
}
// SAFETY: the raw handle, still owned by the borrowed SafeHandle.
unsafe impl<'a, K: Release<Raw = *mut c_void>> Arg for &'a SafeHandle<K> {
    type Native = *mut c_void;
    type Prepared = *mut c_void;
    #[inline(always)]
    fn prepare(self) -> Result<*mut c_void, PinvokeError> {
        self.as_raw().ok_or(PinvokeError::NullNotAllowed { at: "closed SafeHandle".into() })
    }
    #[inline(always)]
    fn native(p: &*mut c_void) -> *mut c_void {
        *p
    }
}

macro_rules! fn_ptr_args {
    ($($a:ident),*) => {
        // SAFETY: a function pointer crosses as itself.
        unsafe impl<R, $($a),*> Arg for extern "C" fn($($a),*) -> R {
            type Native = Self;
            type Prepared = Self;
            #[inline(always)]
            fn prepare(self) -> Result<Self, PinvokeError> { Ok(self) }
            #[inline(always)]
            fn native(p: &Self) -> Self { *p }
        }
        // SAFETY: `None` is the null function pointer (guaranteed niche).
        unsafe impl<R, $($a),*> Arg for Option<extern "C" fn($($a),*) -> R> {
            type Native = Self;
            type Prepared = Self;
            #[inline(always)]
            fn prepare(self) -> Result<Self, PinvokeError> { Ok(self) }
            #[inline(always)]
            fn native(p: &Self) -> Self { *p }
        }
        // SAFETY: as above.
        unsafe impl<R, $($a),*> Arg for unsafe extern "C" fn($($a),*) -> R {
            type Native = Self;
            type Prepared = Self;
            #[inline(always)]
            fn prepare(self) -> Result<Self, PinvokeError> { Ok(self) }
            #[inline(always)]
            fn native(p: &Self) -> Self { *p }
        }
    };
}
fn_ptr_args!();
fn_ptr_args!(A);
fn_ptr_args!(A, B);
fn_ptr_args!(A, B, C);
fn_ptr_args!(A, B, C, D);
fn_ptr_args!(A, B, C, D, E);

/// A returned `char*` the caller owns (the CLR's string return): read as
/// UTF-8 (invalid sequences become U+FFFD), then freed with CoTaskMemFree (`free`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoTaskMemStr(pub Option<String>);

// SAFETY: a returned char* (null or malloc'd, NUL-terminated).
unsafe impl Ret for CoTaskMemStr {
    type Native = *mut c_char;
    unsafe fn from_native(n: *mut c_char) -> CoTaskMemStr {
        if n.is_null() {
            return CoTaskMemStr(None);
        }
        // SAFETY: a NUL-terminated string the callee handed over.
        let s = unsafe { CStr::from_ptr(n) }.to_string_lossy().into_owned();
        // SAFETY: ownership passed to the caller; freed once.
        unsafe { marshal_core::alloc::CoTaskMem::free(n.cast()) };
        CoTaskMemStr(Some(s))
    }
}

/// A returned `const char*` the callee keeps (`getenv`, `sqlite3_errmsg`):
/// copied, never freed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnownedStr(pub Option<String>);

// SAFETY: a returned const char* (null or NUL-terminated).
unsafe impl Ret for UnownedStr {
    type Native = *const c_char;
    unsafe fn from_native(n: *const c_char) -> UnownedStr {
        if n.is_null() {
            return UnownedStr(None);
        }
        // SAFETY: a NUL-terminated string valid until the next call into the library.
        UnownedStr(Some(unsafe { CStr::from_ptr(n) }.to_string_lossy().into_owned()))
    }
}

/// Lets a blittable struct cross by value (argument and return) in
/// [`pinvoke!`](crate::pinvoke) functions.
///
/// ```
/// #[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, marshal_core::Blittable)]
/// #[repr(C)]
/// struct Div { quot: i32, rem: i32 }
/// marshal_pinvoke::by_value!(Div);
/// marshal_pinvoke::pinvoke! {
///     #[library("c")]
///     unsafe extern "C" { fn div(num: i32, denom: i32) -> Div; }
/// }
/// assert_eq!(div(17, 5).unwrap(), Div { quot: 3, rem: 2 });
/// ```
#[macro_export]
macro_rules! by_value {
    ($($t:ty),* $(,)?) => {$(
        const _: () = {
            const fn assert_blittable<T: $crate::core::Blittable>() {}
            assert_blittable::<$t>();
        };
        // SAFETY: a Blittable struct's bytes are its native form; it crosses as itself.
        unsafe impl $crate::typed::Arg for $t {
            type Native = $t;
            type Prepared = $t;
            #[inline(always)]
            fn prepare(self) -> ::core::result::Result<$t, $crate::PinvokeError> { Ok(self) }
            #[inline(always)]
            fn native(p: &$t) -> $t { *p }
        }
        // SAFETY: as above.
        unsafe impl $crate::typed::Ret for $t {
            type Native = $t;
            #[inline(always)]
            unsafe fn from_native(n: $t) -> $t { n }
        }
    )*};
}

/// Calls a code address with a tuple of native arguments (C calling convention).
pub trait Invoke<R> {
    /// Calls `f` with these arguments.
    ///
    /// # Safety
    /// `f` is a C function taking exactly these argument types and returning `R`.
    unsafe fn invoke(self, f: *const ()) -> R;
}

macro_rules! invoke_tuples {
    ($( ($($a:ident $i:tt),*) )*) => {$(
        impl<R, $($a),*> Invoke<R> for ($($a,)*) {
            #[inline(always)]
            #[allow(clippy::unused_unit)]
            unsafe fn invoke(self, f: *const ()) -> R {
                // SAFETY: the caller's contract: f has exactly this type.
                let f: unsafe extern "C" fn($($a),*) -> R = unsafe { core::mem::transmute::<*const (), _>(f) };
                // SAFETY: as above.
                unsafe { f($(self.$i),*) }
            }
        }
    )*};
}
invoke_tuples! {
    ()
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11)
}

/// A lazily bound entry point of a [`pinvoke!`](crate::pinvoke) function.
#[derive(Debug)]
pub struct Entry {
    library: &'static str,
    name: &'static str,
    addr: AtomicPtr<()>,
    _not_send_sensitive: PhantomData<()>,
}

/// Libraries loaded by [`Entry`], kept for the life of the process (as the CLR does).
fn libraries() -> &'static Mutex<HashMap<&'static str, &'static Library>> {
    static LIBS: OnceLock<Mutex<HashMap<&'static str, &'static Library>>> = OnceLock::new();
    LIBS.get_or_init(Default::default)
}

impl Entry {
    /// An unbound entry point `name` in `library`.
    pub const fn new(library: &'static str, name: &'static str) -> Entry {
        Entry { library, name, addr: AtomicPtr::new(core::ptr::null_mut()), _not_send_sensitive: PhantomData }
    }

    /// The entry point's address: bound on first use, then one atomic load.
    #[inline(always)]
    pub fn address(&self) -> Result<*const (), PinvokeError> {
        let p = self.addr.load(Ordering::Acquire);
        if !p.is_null() {
            return Ok(p);
        }
        self.bind()
    }

    #[cold]
    #[inline(never)]
    fn bind(&self) -> Result<*const (), PinvokeError> {
        let lib = {
            let mut libs = libraries().lock().unwrap_or_else(|e| e.into_inner());
            match libs.get(self.library) {
                Some(l) => *l,
                None => {
                    let l: &'static Library = Box::leak(Box::new(Library::load(self.library)?));
                    libs.insert(self.library, l);
                    l
                }
            }
        };
        let (_, p) = lib.find_entry(self.name, marshal_core::CharSet::Ansi, false)?;
        self.addr.store(p as *mut (), Ordering::Release);
        Ok(p as *const ())
    }
}

/// Declares native functions and generates typed Rust functions that call them.
///
/// ```
/// use marshal_pinvoke::pinvoke;
/// pinvoke! {
///     #[library("c")]
///     unsafe extern "C" {
///         /// The length of a C string.
///         pub fn strlen(s: &str) -> usize;
///         #[entry_point = "abs"]
///         pub fn absolute(x: i32) -> i32;
///         #[set_last_error = true]
///         pub fn close(fd: i32) -> i32;
///     }
/// }
/// assert_eq!(strlen("héllo").unwrap(), 6);
/// assert_eq!(absolute(-4).unwrap(), 4);
/// assert_eq!(close(-1).unwrap(), -1);
/// assert_eq!(marshal_pinvoke::last_error(), libc::EBADF);
/// ```
///
/// `#[library("c")]` binds at run time, on the first call (CLR probing of the
/// name); `#[link("c")]` instead has the linker bind the functions (`-lc`), which
/// makes each call a direct `extern` call:
///
/// ```
/// marshal_pinvoke::pinvoke! {
///     #[link("c")]
///     unsafe extern "C" {
///         pub fn labs(x: i64) -> i64;
///     }
/// }
/// assert_eq!(labs(-9).unwrap(), 9);
/// ```
///
/// Each function returns `Result<R, PinvokeError>`: the error is a missing
/// library or entry point (`#[library]` only: reported on every call until it
/// resolves) or an argument that could not be prepared. `unsafe extern` is the declaration's
/// promise that the signatures are right; the generated functions are safe to
/// call as far as the parameter types make them (see [`crate::typed`]).
/// Options per function: `#[entry_point = "name"]`, `#[set_last_error = true]`.
/// The ABI string must be `"C"` (or `"system"`, the same everywhere but 32-bit Windows).
#[macro_export]
macro_rules! pinvoke {
    (
        #[library($lib:literal)]
        unsafe extern $abi:literal {
            $(
                $(#[doc = $doc:literal])*
                $(#[entry_point = $entry:literal])?
                $(#[set_last_error = $sle:literal])?
                $vis:vis fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? ;
            )*
        }
    ) => {
        $(
            $(#[doc = $doc])*
            #[allow(clippy::unused_unit)]
            $vis fn $name($($arg: $ty),*) -> ::core::result::Result<$crate::pinvoke!(@ret $($ret)?), $crate::PinvokeError> {
                $crate::pinvoke!(@abi $abi);
                static ENTRY: $crate::typed::Entry =
                    $crate::typed::Entry::new($lib, $crate::pinvoke!(@entry $name $($entry)?));
                let __code = ENTRY.address()?;
                $crate::pinvoke!(@call [$($sle)?] [$($ret)?] ($($arg: $ty),*) {
                    <_ as $crate::typed::Invoke<<$crate::pinvoke!(@ret $($ret)?) as $crate::typed::Ret>::Native>>::invoke(
                        ( $( <$ty as $crate::typed::Arg>::native(&$arg), )* ),
                        __code,
                    )
                })
            }
        )*
    };
    (
        #[link($lib:literal)]
        unsafe extern $abi:literal {
            $(
                $(#[doc = $doc:literal])*
                $(#[entry_point = $entry:literal])?
                $(#[set_last_error = $sle:literal])?
                $vis:vis fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? ;
            )*
        }
    ) => {
        $(
            $(#[doc = $doc])*
            #[allow(clippy::unused_unit)]
            #[inline]
            $vis fn $name($($arg: $ty),*) -> ::core::result::Result<$crate::pinvoke!(@ret $($ret)?), $crate::PinvokeError> {
                $crate::pinvoke!(@abi $abi);
                // Bound by the linker, as a hand-written `extern` block: the call below is a
                // direct call (through the PLT for a shared library).
                #[link(name = $lib)]
                unsafe extern $abi {
                    #[link_name = $crate::pinvoke!(@entry $name $($entry)?)]
                    fn __native(
                        $($arg: <$ty as $crate::typed::Arg>::Native),*
                    ) -> <$crate::pinvoke!(@ret $($ret)?) as $crate::typed::Ret>::Native;
                }
                $crate::pinvoke!(@call [$($sle)?] [$($ret)?] ($($arg: $ty),*) {
                    __native($( <$ty as $crate::typed::Arg>::native(&$arg) ),*)
                })
            }
        )*
    };
    // The body both bindings share: prepare the arguments, SetLastError around the call
    // (`$call`, which reads the prepared arguments by their names), the return converted.
    (@call [$($sle:literal)?] [$($ret:ty)?] ($($arg:ident : $ty:ty),*) { $($call:tt)* }) => {{
        $( let $arg = <$ty as $crate::typed::Arg>::prepare($arg)?; )*
        let __sle: bool = $crate::pinvoke!(@sle $($sle)?);
        if __sle {
            $crate::__private::clear_os_error();
        }
        // SAFETY: the `unsafe extern` declaration promises this signature; each
        // argument is the native form its `Arg` impl defines, alive for the call.
        let __ret = unsafe { $($call)* };
        if __sle {
            $crate::__private::capture_os_error();
        }
        // SAFETY: `__ret` is what the native function returned.
        ::core::result::Result::Ok(unsafe {
            <$crate::pinvoke!(@ret $($ret)?) as $crate::typed::Ret>::from_native(__ret)
        })
    }};
    (@abi $abi:literal) => {
        const _: () = assert!(
            matches!($abi.as_bytes(), b"C" | b"system"),
            "pinvoke!: the ABI must be \"C\" or \"system\""
        );
    };
    (@ret) => { () };
    (@ret $ret:ty) => { $ret };
    (@entry $name:ident) => { stringify!($name) };
    (@entry $name:ident $entry:literal) => { $entry };
    (@sle) => { false };
    (@sle $sle:literal) => { $sle };
}
