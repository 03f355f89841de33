//! The static side of struct marshaling: the [`Marshal`] trait that
//! `#[derive(Marshal)]` implements for Rust structs, and the field [`Form`]s it
//! is assembled from.
//!
//! A form is a zero-sized type naming one native representation (a 4-byte
//! `BOOL`, an ANSI `char`, an LPWStr pointer, an inline array …) and
//! implementing [`Form<T>`] for the Rust types it can carry. Forms have constant
//! native sizes and alignments, so a derived struct's field offsets are
//! compile-time constants (the CLR's layout rules evaluated by the same
//! `const fn`s as [`crate::layout`]), and its conversion is straight-line code —
//! as fast as a hand-written one. Every form converts through the same
//! functions as the runtime [`crate::plan::Plan`]: [`crate::plan::leaf`] for
//! scalars, [`crate::strings`] for strings, [`crate::plan::object`] for VARIANTs,
//! [`crate::safearray`] for SAFEARRAYs.
//!
//! | form | Rust field types | native |
//! |---|---|---|
//! | [`Native`] | numbers, `[T; N]` of numbers, `Guid`, `Hresult`, `Currency`, `Date`, `#[derive(Blittable)]` types | the same bytes |
//! | [`Win32Bool`], [`VariantBool`], [`U1Bool`], [`I1Bool`] | `bool` | BOOL, VARIANT_BOOL, 1 byte |
//! | [`AnsiChar`], [`Utf16Char`], [`CharByCharSet`] | `u16` (a UTF-16 unit) | 1 or 2 bytes |
//! | [`LpStr`], [`LpWStr`], [`LpUtf8Str`], [`BStr`], [`AnsiBStr`], [`StrByCharSet`] | `String`, `Option<String>`, `U16String`, `Option<U16String>` | a string pointer |
//! | [`ByValTStr`] | the same string types | `N` chars inline |
//! | [`ByValArray`] | `[T; N]` | `N` elements inline |
//! | [`Object`] | [`Variant`], [`Value`] | a VARIANT |
//! | [`SafeArrayOf`] | `Option<SafeArray>`, `Vec<T>` of element types | `SAFEARRAY*` |
//! | [`DecimalForm`], [`CurrencyForm`] | [`Decimal`] (and `Currency`) | DECIMAL, CY |
//! | [`DateForm`] | [`DateTime`] | OLE DATE |
//! | [`InterfaceOf`] | `Option<ComRef>` | an interface pointer |
//! | [`FnPtr`] | `Option<extern "C" fn(..) -> R>`, `usize`, raw pointers | a code pointer |
//! | [`Nested`] | a `#[derive(Marshal)]` struct | its native layout |

use core::ffi::c_void;
use core::marker::PhantomData;

use widestring::U16String;

/// Derive [`Marshal`]: `StructureToPtr` / `PtrToStructure` / `DestroyStructure` for a
/// Rust struct, with the .NET attribute vocabulary in `#[marshal(...)]` (see the
/// `marshal-derive` crate documentation).
pub use marshal_derive::Marshal;

use crate::blittable::Blittable;
use crate::guid::Guid;
use crate::iunknown::{ComRef, IID_IDISPATCH, IID_IUNKNOWN};
use crate::plan::exec::{self, Kind};
use crate::plan::{leaf, object, PlanError};
use crate::safearray::marshal::SafeArrayMarshaler;
use crate::safearray::{FromElement, SafeArray, ToElement, SAFEARRAY};
use crate::strings::{self, NativeString, NativeStringKind, StringError, StringOptions};
use crate::types::{BoolRepr, CharRepr, InterfaceKind, StringRepr, TypeDesc};
use crate::value::{DateTime, Value};
use crate::variant::{Currency, Date, Decimal, Variant, VariantRef};
use crate::vartype::VarType;

/// A Rust struct with a native form: `Marshal.StructureToPtr` /
/// `PtrToStructure` / `DestroyStructure` as methods. Implement it with
/// `#[derive(Marshal)]`.
pub trait Marshal: Sized {
    /// `Marshal.SizeOf`.
    const NATIVE_SIZE: usize;
    /// Native alignment.
    const NATIVE_ALIGN: usize;
    /// Whether to-native allocates native memory that `destroy_native` frees.
    const OWNS_NATIVE_MEMORY: bool;
    /// Whether the native bytes are the struct's own bytes (a `#[repr(C)]`
    /// struct of blittable fields laid out as the CLR lays it out): to-native is
    /// one copy.
    const BLITTABLE: bool = false;

    /// The runtime descriptor: the same one a runtime builder would write, so the
    /// derive path and the runtime path can be checked against each other.
    fn type_desc() -> TypeDesc;

    /// Writes the native form into `out[..NATIVE_SIZE]` (padding zeroed), with
    /// the default [`StringOptions`] (the system code page: UTF-8 on Unix).
    fn to_native(&self, out: &mut [u8]) -> Result<(), PlanError> {
        self.to_native_with(out, &StringOptions::default())
    }

    /// Writes the native form into `out[..NATIVE_SIZE]` (padding zeroed). On
    /// error nothing stays allocated.
    fn to_native_with(&self, out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError>;

    /// Reads a value from its native form with the default [`StringOptions`].
    ///
    /// # Safety
    ///
    /// As [`Marshal::from_native_with`].
    unsafe fn from_native(bytes: &[u8]) -> Result<Self, PlanError> {
        // SAFETY: forwarded contract.
        unsafe { Self::from_native_with(bytes, &StringOptions::default()) }
    }

    /// Reads a value from its native form (the native struct keeps what it owns).
    ///
    /// # Safety
    ///
    /// `bytes` must hold a native struct of this type whose pointer fields are
    /// null or point to valid native data of their form.
    unsafe fn from_native_with(bytes: &[u8], opts: &StringOptions) -> Result<Self, PlanError>;

    /// Frees what the native struct owns and nulls those pointers.
    ///
    /// # Safety
    ///
    /// `bytes` must hold a native struct of this type whose owned pointers are null
    /// or were allocated with the allocators their forms name.
    unsafe fn destroy_native(bytes: &mut [u8]);
}

/// One native representation of a field of Rust type `T`.
pub trait Form<T> {
    /// Native size in bytes.
    const SIZE: usize;
    /// Native alignment (before Pack).
    const ALIGN: usize;
    /// Whether writing allocates native memory.
    const OWNS: bool = false;
    /// Whether the native form is `T`'s own bytes.
    const BLITTABLE: bool = false;
    /// Whether the CLR counts the field as an object reference (strings, arrays,
    /// interfaces, VARIANTs), which Explicit layout may not overlap or misalign.
    const REFERENCE: bool = false;
    /// The descriptor of this form (as a field type).
    fn desc() -> TypeDesc;
    /// Writes `v` into `out[..SIZE]` (zeroed by the caller).
    fn write(v: &T, out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError>;
    /// Reads a value from `b[..SIZE]`.
    ///
    /// # Safety
    ///
    /// As [`Marshal::from_native_with`], for this field's bytes.
    unsafe fn read(b: &[u8], opts: &StringOptions) -> Result<T, PlanError>;
    /// Frees what `write` allocated (or what native code stored) and nulls it.
    ///
    /// # Safety
    ///
    /// As [`Marshal::destroy_native`], for this field's bytes.
    unsafe fn destroy(_b: &mut [u8]) {}
}

/// The native form is the Rust value's own bytes (numbers, GUIDs, inline arrays
/// of blittable elements, `#[derive(Blittable)]` structs).
pub struct Native;

impl<T: Blittable> Form<T> for Native {
    const SIZE: usize = core::mem::size_of::<T>();
    const ALIGN: usize = core::mem::align_of::<T>();
    const BLITTABLE: bool = true;
    fn desc() -> TypeDesc {
        T::type_desc()
    }
    #[inline(always)]
    fn write(v: &T, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        out[..core::mem::size_of::<T>()].copy_from_slice(bytemuck::bytes_of(v));
        Ok(())
    }
    #[inline(always)]
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<T, PlanError> {
        Ok(bytemuck::pod_read_unaligned(&b[..core::mem::size_of::<T>()]))
    }
}

/// `bool` as Win32 `BOOL` (4 bytes, `UnmanagedType.Bool`, the default).
pub struct Win32Bool;
/// `bool` as `VARIANT_BOOL` (2 bytes, -1/0).
pub struct VariantBool;
/// `bool` as 1 byte (`UnmanagedType.U1`).
pub struct U1Bool;
/// `bool` as 1 byte (`UnmanagedType.I1`).
pub struct I1Bool;

macro_rules! bool_form {
    ($form:ident, $repr:expr, $size:expr) => {
        impl Form<bool> for $form {
            const SIZE: usize = $size;
            const ALIGN: usize = $size;
            fn desc() -> TypeDesc {
                TypeDesc::Bool($repr)
            }
            #[inline(always)]
            fn write(v: &bool, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
                leaf::bool_to_native(*v, $repr, out);
                Ok(())
            }
            #[inline(always)]
            unsafe fn read(b: &[u8], _: &StringOptions) -> Result<bool, PlanError> {
                Ok(leaf::bool_from_native($repr, b))
            }
        }
    };
}

bool_form!(Win32Bool, BoolRepr::Win32, 4);
bool_form!(VariantBool, BoolRepr::VariantBool, 2);
bool_form!(U1Bool, BoolRepr::U1, 1);
bool_form!(I1Bool, BoolRepr::I1, 1);

/// A `char` (UTF-16 unit, `u16`) as one ANSI byte (UTF-8 on Unix).
pub struct AnsiChar;
/// A `char` (UTF-16 unit, `u16`) as itself.
pub struct Utf16Char;

impl Form<u16> for AnsiChar {
    const SIZE: usize = 1;
    const ALIGN: usize = 1;
    fn desc() -> TypeDesc {
        TypeDesc::Char(CharRepr::Ansi)
    }
    #[inline(always)]
    fn write(v: &u16, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        out[0] = leaf::ansi_char_to_native(*v);
        Ok(())
    }
    #[inline(always)]
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<u16, PlanError> {
        Ok(leaf::ansi_char_from_native(b[0]))
    }
}

impl Form<u16> for Utf16Char {
    const SIZE: usize = 2;
    const ALIGN: usize = 2;
    const BLITTABLE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::Char(CharRepr::Utf16)
    }
    #[inline(always)]
    fn write(v: &u16, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        out[..2].copy_from_slice(&v.to_le_bytes());
        Ok(())
    }
    #[inline(always)]
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<u16, PlanError> {
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
}

/// A `char` laid out by the struct's CharSet: UTF-16 when `UNICODE`, else ANSI.
pub struct CharByCharSet<const UNICODE: bool>;

impl<const UNICODE: bool> Form<u16> for CharByCharSet<UNICODE> {
    const SIZE: usize = if UNICODE { 2 } else { 1 };
    const ALIGN: usize = Self::SIZE;
    const BLITTABLE: bool = UNICODE;
    fn desc() -> TypeDesc {
        TypeDesc::Char(CharRepr::ByCharSet)
    }
    #[inline(always)]
    fn write(v: &u16, out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError> {
        if UNICODE {
            <Utf16Char as Form<u16>>::write(v, out, opts)
        } else {
            <AnsiChar as Form<u16>>::write(v, out, opts)
        }
    }
    #[inline(always)]
    unsafe fn read(b: &[u8], opts: &StringOptions) -> Result<u16, PlanError> {
        // SAFETY: plain bytes; no pointers are read.
        unsafe {
            if UNICODE {
                <Utf16Char as Form<u16>>::read(b, opts)
            } else {
                <AnsiChar as Form<u16>>::read(b, opts)
            }
        }
    }
}

/// A nested struct that implements [`Marshal`] itself.
pub struct Nested;

impl<T: Marshal> Form<T> for Nested {
    const SIZE: usize = T::NATIVE_SIZE;
    const ALIGN: usize = T::NATIVE_ALIGN;
    const OWNS: bool = T::OWNS_NATIVE_MEMORY;
    const BLITTABLE: bool = T::BLITTABLE;
    fn desc() -> TypeDesc {
        T::type_desc()
    }
    #[inline(always)]
    fn write(v: &T, out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError> {
        v.to_native_with(out, opts)
    }
    #[inline(always)]
    unsafe fn read(b: &[u8], opts: &StringOptions) -> Result<T, PlanError> {
        // SAFETY: forwarded from the caller's contract.
        unsafe { T::from_native_with(b, opts) }
    }
    unsafe fn destroy(b: &mut [u8]) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { T::destroy_native(b) }
    }
}

/// `UnmanagedType.ByValArray`: `[T; N]` inline, each element in form `F`.
pub struct ByValArray<F>(PhantomData<F>);

impl<T, F: Form<T>, const N: usize> Form<[T; N]> for ByValArray<F> {
    const SIZE: usize = F::SIZE * N;
    const ALIGN: usize = F::ALIGN;
    const OWNS: bool = F::OWNS;
    const BLITTABLE: bool = F::BLITTABLE;
    const REFERENCE: bool = F::REFERENCE;
    fn desc() -> TypeDesc {
        const { assert!(N > 0, "a ByValArray needs SizeConst > 0") };
        TypeDesc::by_val_array(F::desc(), N as u32)
    }
    fn write(v: &[T; N], out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError> {
        for (i, item) in v.iter().enumerate() {
            F::write(item, &mut out[i * F::SIZE..], opts).map_err(|e| e.within(&format!("[{i}]")))?;
        }
        Ok(())
    }
    unsafe fn read(b: &[u8], opts: &StringOptions) -> Result<[T; N], PlanError> {
        let mut items = Vec::with_capacity(N);
        for i in 0..N {
            // SAFETY: forwarded from the caller's contract, element by element.
            items.push(unsafe { F::read(&b[i * F::SIZE..], opts) }.map_err(|e| e.within(&format!("[{i}]")))?);
        }
        match items.try_into() {
            Ok(a) => Ok(a),
            Err(_) => unreachable!("exactly N elements were read"),
        }
    }
    unsafe fn destroy(b: &mut [u8]) {
        if F::OWNS {
            for i in 0..N {
                // SAFETY: forwarded from the caller's contract, element by element.
                unsafe { F::destroy(&mut b[i * F::SIZE..]) };
            }
        }
    }
}

/// `char[]` as a ByValArray of ANSI chars: converted as one string (the chars'
/// UTF-8 must fit in `N` bytes), as CoreCLR does.
pub struct AnsiChars;

impl<const N: usize> Form<[u16; N]> for AnsiChars {
    const SIZE: usize = N;
    const ALIGN: usize = 1;
    fn desc() -> TypeDesc {
        TypeDesc::by_val_array(TypeDesc::Char(CharRepr::Ansi), N as u32)
    }
    fn write(v: &[u16; N], out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        let written = leaf::ansi_chars_to_native(v, &mut out[..N])
            .ok_or_else(|| exec::invalid(format!("the ANSI form of the chars is longer than SizeConst = {N} bytes")))?;
        out[written..N].fill(0);
        Ok(())
    }
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<[u16; N], PlanError> {
        let units = leaf::ansi_chars_from_native(&b[..N]);
        let mut a = [0u16; N];
        a.copy_from_slice(&units[..N]);
        Ok(a)
    }
}

/// A `char[]` ByValArray laid out by the struct's CharSet: UTF-16 units when
/// `UNICODE`, otherwise ANSI converted as one string ([`AnsiChars`]).
pub struct CharsByCharSet<const UNICODE: bool>;

impl<const N: usize, const UNICODE: bool> Form<[u16; N]> for CharsByCharSet<UNICODE> {
    const SIZE: usize = if UNICODE { 2 * N } else { N };
    const ALIGN: usize = if UNICODE { 2 } else { 1 };
    const BLITTABLE: bool = UNICODE;
    fn desc() -> TypeDesc {
        TypeDesc::by_val_array(TypeDesc::Char(CharRepr::ByCharSet), N as u32)
    }
    fn write(v: &[u16; N], out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError> {
        if UNICODE {
            <ByValArray<Utf16Char> as Form<[u16; N]>>::write(v, out, opts)
        } else {
            <AnsiChars as Form<[u16; N]>>::write(v, out, opts)
        }
    }
    unsafe fn read(b: &[u8], opts: &StringOptions) -> Result<[u16; N], PlanError> {
        // SAFETY: plain bytes.
        unsafe {
            if UNICODE {
                <ByValArray<Utf16Char> as Form<[u16; N]>>::read(b, opts)
            } else {
                <AnsiChars as Form<[u16; N]>>::read(b, opts)
            }
        }
    }
}

/// An `int` as an HRESULT / SCODE (`UnmanagedType.Error`): the same 4 bytes.
pub struct ErrorForm;

impl Form<i32> for ErrorForm {
    const SIZE: usize = 4;
    const ALIGN: usize = 4;
    const BLITTABLE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::Error
    }
    #[inline(always)]
    fn write(v: &i32, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        out[..4].copy_from_slice(&v.to_le_bytes());
        Ok(())
    }
    #[inline(always)]
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<i32, PlanError> {
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Form<crate::hresult::Hresult> for ErrorForm {
    const SIZE: usize = 4;
    const ALIGN: usize = 4;
    const BLITTABLE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::Error
    }
    #[inline(always)]
    fn write(v: &crate::hresult::Hresult, out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError> {
        <ErrorForm as Form<i32>>::write(&v.0, out, opts)
    }
    #[inline(always)]
    unsafe fn read(b: &[u8], opts: &StringOptions) -> Result<crate::hresult::Hresult, PlanError> {
        // SAFETY: plain bytes.
        unsafe { <ErrorForm as Form<i32>>::read(b, opts) }.map(crate::hresult::Hresult)
    }
}

// ---------------------------------------------------------------------------
// Strings

/// A Rust type that carries a managed `string`: what it writes as native text
/// and how it is built from what native code holds.
pub trait ManagedString: Sized {
    /// The native string of `kind` (null for a `None`).
    fn to_native_string(&self, kind: NativeStringKind, opts: &StringOptions) -> Result<NativeString, StringError>;
    /// The UTF-16 units (`None` for null), for inline buffers.
    fn with_units<R>(&self, f: impl FnOnce(Option<&[u16]>) -> R) -> R;
    /// The value of a native string read as UTF-16 (`None` = a null pointer).
    fn from_units(units: Option<U16String>) -> Self;
}

impl ManagedString for String {
    fn to_native_string(&self, kind: NativeStringKind, opts: &StringOptions) -> Result<NativeString, StringError> {
        NativeString::from_str(kind, self, &opts.ansi)
    }
    fn with_units<R>(&self, f: impl FnOnce(Option<&[u16]>) -> R) -> R {
        let units: smallvec::SmallVec<[u16; 128]> = self.encode_utf16().collect();
        f(Some(&units))
    }
    /// A null string reads as `""` (use `Option<String>` to tell them apart);
    /// ill-formed UTF-16 has its lone surrogates replaced by U+FFFD.
    fn from_units(units: Option<U16String>) -> Self {
        units.map(|u| u.to_string_lossy()).unwrap_or_default()
    }
}

impl ManagedString for Option<String> {
    fn to_native_string(&self, kind: NativeStringKind, opts: &StringOptions) -> Result<NativeString, StringError> {
        match self {
            None => Ok(NativeString::null(kind)),
            Some(s) => s.to_native_string(kind, opts),
        }
    }
    fn with_units<R>(&self, f: impl FnOnce(Option<&[u16]>) -> R) -> R {
        match self {
            None => f(None),
            Some(s) => s.with_units(f),
        }
    }
    fn from_units(units: Option<U16String>) -> Self {
        units.map(|u| u.to_string_lossy())
    }
}

impl ManagedString for U16String {
    fn to_native_string(&self, kind: NativeStringKind, opts: &StringOptions) -> Result<NativeString, StringError> {
        NativeString::from_wide(kind, self.as_slice(), &opts.ansi)
    }
    fn with_units<R>(&self, f: impl FnOnce(Option<&[u16]>) -> R) -> R {
        f(Some(self.as_slice()))
    }
    fn from_units(units: Option<U16String>) -> Self {
        units.unwrap_or_default()
    }
}

impl ManagedString for Option<U16String> {
    fn to_native_string(&self, kind: NativeStringKind, opts: &StringOptions) -> Result<NativeString, StringError> {
        NativeString::from_optional_wide(kind, self.as_ref().map(|s| s.as_slice()), &opts.ansi)
    }
    fn with_units<R>(&self, f: impl FnOnce(Option<&[u16]>) -> R) -> R {
        f(self.as_ref().map(|s| s.as_slice()))
    }
    fn from_units(units: Option<U16String>) -> Self {
        units
    }
}

const PTR: usize = core::mem::size_of::<usize>();

#[inline(always)]
fn read_ptr(b: &[u8]) -> *mut c_void {
    let mut a = [0u8; PTR];
    a.copy_from_slice(&b[..PTR]);
    usize::from_ne_bytes(a) as *mut c_void
}

#[inline(always)]
fn write_ptr(out: &mut [u8], p: *mut c_void) {
    out[..PTR].copy_from_slice(&(p as usize).to_ne_bytes());
}

macro_rules! string_forms {
    ($($(#[$doc:meta])* $form:ident => $repr:expr, $kind:expr;)*) => {$(
        $(#[$doc])*
        pub struct $form;

        impl<T: ManagedString> Form<T> for $form {
            const SIZE: usize = PTR;
            const ALIGN: usize = PTR;
            const OWNS: bool = true;
            const REFERENCE: bool = true;
            fn desc() -> TypeDesc {
                TypeDesc::String($repr)
            }
            #[inline]
            fn write(v: &T, out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError> {
                let s = v.to_native_string($kind, opts).map_err(exec::string_error)?;
                write_ptr(out, s.into_raw());
                Ok(())
            }
            #[inline]
            unsafe fn read(b: &[u8], opts: &StringOptions) -> Result<T, PlanError> {
                // SAFETY: forwarded contract: null or a valid string of this form.
                let units = unsafe { strings::read_native($kind, read_ptr(b), opts) }.map_err(exec::string_error)?;
                Ok(T::from_units(units))
            }
            #[inline]
            unsafe fn destroy(b: &mut [u8]) {
                // SAFETY: forwarded contract: the field holds null or a string of this form it owns.
                unsafe { strings::free_native($kind, read_ptr(b)) };
                write_ptr(b, core::ptr::null_mut());
            }
        }
    )*};
}

string_forms! {
    /// `UnmanagedType.LPStr`: an ANSI `char*` (UTF-8 on Unix), CoTaskMem.
    LpStr => StringRepr::LPStr, NativeStringKind::LPStr;
    /// `UnmanagedType.LPWStr` (and LPTStr): a UTF-16 `WCHAR*`, CoTaskMem.
    LpWStr => StringRepr::LPWStr, NativeStringKind::LPWStr;
    /// `UnmanagedType.LPUTF8Str`: a UTF-8 `char*`, CoTaskMem.
    LpUtf8Str => StringRepr::LPUTF8Str, NativeStringKind::LPUTF8Str;
    /// `UnmanagedType.BStr` (and TBStr): a BSTR.
    BStr => StringRepr::BStr, NativeStringKind::BStr;
    /// `UnmanagedType.AnsiBStr`: a BSTR holding ANSI bytes.
    AnsiBStr => StringRepr::AnsiBStr, NativeStringKind::AnsiBStr;
    /// `UnmanagedType.LPTStr`: treated as LPWStr, as CoreCLR does.
    LpTStr => StringRepr::LPTStr, NativeStringKind::LPWStr;
    /// `UnmanagedType.TBStr`: treated as BStr.
    TBStr => StringRepr::TBStr, NativeStringKind::BStr;
}

/// A string with no `[MarshalAs]`: LPWStr when `UNICODE` (the struct's CharSet
/// is Unicode), LPStr otherwise.
pub struct StrByCharSet<const UNICODE: bool>;

impl<T: ManagedString, const UNICODE: bool> Form<T> for StrByCharSet<UNICODE> {
    const SIZE: usize = PTR;
    const ALIGN: usize = PTR;
    const OWNS: bool = true;
    const REFERENCE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::String(StringRepr::ByCharSet)
    }
    #[inline]
    fn write(v: &T, out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError> {
        if UNICODE {
            <LpWStr as Form<T>>::write(v, out, opts)
        } else {
            <LpStr as Form<T>>::write(v, out, opts)
        }
    }
    #[inline]
    unsafe fn read(b: &[u8], opts: &StringOptions) -> Result<T, PlanError> {
        // SAFETY: forwarded contract.
        unsafe {
            if UNICODE {
                <LpWStr as Form<T>>::read(b, opts)
            } else {
                <LpStr as Form<T>>::read(b, opts)
            }
        }
    }
    #[inline]
    unsafe fn destroy(b: &mut [u8]) {
        let kind = if UNICODE { NativeStringKind::LPWStr } else { NativeStringKind::LPStr };
        // SAFETY: forwarded contract: the field holds null or a string of this form it owns.
        unsafe { strings::free_native(kind, read_ptr(b)) };
        write_ptr(b, core::ptr::null_mut());
    }
}

/// `UnmanagedType.ByValTStr` with `SizeConst = N`: `N` chars inline, UTF-16 when
/// `UNICODE` (the struct's CharSet), ANSI otherwise; truncated to `N - 1` chars
/// and a NUL, as the CLR does (an ANSI form longer than `N` bytes is an error).
pub struct ByValTStr<const N: usize, const UNICODE: bool>;

impl<T: ManagedString, const N: usize, const UNICODE: bool> Form<T> for ByValTStr<N, UNICODE> {
    const SIZE: usize = if UNICODE { 2 * N } else { N };
    const ALIGN: usize = if UNICODE { 2 } else { 1 };
    const REFERENCE: bool = true;
    fn desc() -> TypeDesc {
        const { assert!(N > 0, "a ByValTStr needs SizeConst > 0") };
        TypeDesc::ByValTStr(N as u32)
    }
    fn write(v: &T, out: &mut [u8], opts: &StringOptions) -> Result<(), PlanError> {
        v.with_units(|units| {
            strings::write_by_val_tstr(&mut out[..<Self as Form<T>>::SIZE], units, UNICODE, &opts.ansi)
        })
        .map_err(exec::string_error)
    }
    unsafe fn read(b: &[u8], opts: &StringOptions) -> Result<T, PlanError> {
        let s = strings::read_by_val_tstr(&b[..<Self as Form<T>>::SIZE], UNICODE, opts).map_err(exec::string_error)?;
        Ok(T::from_units(Some(s)))
    }
}

// ---------------------------------------------------------------------------
// VARIANT, SAFEARRAY, DECIMAL, CY, DATE

const VARIANT_SIZE: usize = core::mem::size_of::<crate::variant::VARIANT>();
/// The alignment of 8-byte scalars (DECIMAL, CY, DATE, VARIANT) on this host: 4 on i386 Unix.
const ALIGN8: usize = core::mem::align_of::<f64>();

/// `object` as an inline VARIANT (`UnmanagedType.Struct`): a [`Variant`] is
/// copied in and out (`VariantCopy`); a [`Value`] converts as the CLR's
/// `GetNativeVariantForObject` / `GetObjectForNativeVariant`.
pub struct Object;

impl Form<Variant> for Object {
    const SIZE: usize = VARIANT_SIZE;
    const ALIGN: usize = ALIGN8;
    const OWNS: bool = true;
    const REFERENCE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::Variant
    }
    fn write(v: &Variant, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        let copy = v.try_clone().map_err(|h| exec::hresult_error(h, "VariantCopy"))?;
        exec::write_variant(out, copy);
        Ok(())
    }
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<Variant, PlanError> {
        let raw = exec::read_variant_raw(b);
        // SAFETY: forwarded contract: the VARIANT's pointers are valid (its tag is validated).
        let r = unsafe { VariantRef::new(&raw) }.map_err(|e| exec::hresult_error(e.hresult(), "invalid VARIANT"))?;
        r.to_owned().map_err(|h| exec::hresult_error(h, "VariantCopy"))
    }
    unsafe fn destroy(b: &mut [u8]) {
        // SAFETY: forwarded contract.
        unsafe { exec::destroy_kind(&Kind::Variant, b) }
    }
}

impl Form<Value> for Object {
    const SIZE: usize = VARIANT_SIZE;
    const ALIGN: usize = ALIGN8;
    const OWNS: bool = true;
    const REFERENCE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::Variant
    }
    fn write(v: &Value, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        exec::write_variant(out, object::to_variant(v)?);
        Ok(())
    }
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<Value, PlanError> {
        let raw = exec::read_variant_raw(b);
        // SAFETY: forwarded contract.
        unsafe { object::from_variant(&raw) }
    }
    unsafe fn destroy(b: &mut [u8]) {
        // SAFETY: forwarded contract.
        unsafe { exec::destroy_kind(&Kind::Variant, b) }
    }
}

/// `UnmanagedType.SafeArray` with `SafeArraySubType = VarType(VT)`: a
/// `SAFEARRAY*` the struct owns. An `Option<SafeArray>` is deep-copied in
/// (`SafeArrayCopy`) and out; a `Vec<T>` of an element type becomes a new
/// one-dimensional array and is read back from one (rank 1 required).
pub struct SafeArrayOf<const VT: u16>;

impl<const VT: u16> SafeArrayOf<VT> {
    fn marshaler() -> SafeArrayMarshaler {
        SafeArrayMarshaler::new(VarType(VT))
    }
}

fn sa_error(error: crate::safearray::SafeArrayError) -> PlanError {
    PlanError::SafeArray { path: String::new(), error }
}

impl<const VT: u16> Form<Option<SafeArray>> for SafeArrayOf<VT> {
    const SIZE: usize = PTR;
    const ALIGN: usize = PTR;
    const OWNS: bool = true;
    const REFERENCE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::SafeArray(VarType(VT))
    }
    fn write(v: &Option<SafeArray>, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        let mut slot: *mut SAFEARRAY = core::ptr::null_mut();
        // SAFETY: `slot` is a valid, aligned local.
        unsafe { Self::marshaler().field_to_native(v.as_ref(), &mut slot) }.map_err(sa_error)?;
        write_ptr(out, slot.cast());
        Ok(())
    }
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<Option<SafeArray>, PlanError> {
        let slot: *mut SAFEARRAY = read_ptr(b).cast();
        // SAFETY: forwarded contract; `slot` is a valid local holding the field's pointer.
        unsafe { Self::marshaler().field_from_native(&slot) }.map_err(sa_error)
    }
    unsafe fn destroy(b: &mut [u8]) {
        // SAFETY: forwarded contract.
        unsafe { exec::destroy_kind(&Kind::SafeArray(VarType(VT)), b) }
    }
}

impl<T: ToElement + FromElement, const VT: u16> Form<Vec<T>> for SafeArrayOf<VT> {
    const SIZE: usize = PTR;
    const ALIGN: usize = PTR;
    const OWNS: bool = true;
    const REFERENCE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::SafeArray(VarType(VT))
    }
    fn write(v: &Vec<T>, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        let array = SafeArray::from_slice(v).map_err(sa_error)?;
        Self::marshaler().with_rank(1).check(&array).map_err(sa_error)?;
        write_ptr(out, array.into_raw().cast());
        Ok(())
    }
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<Vec<T>, PlanError> {
        let slot: *mut SAFEARRAY = read_ptr(b).cast();
        // SAFETY: forwarded contract.
        let array = unsafe { Self::marshaler().with_rank(1).field_from_native(&slot) }.map_err(sa_error)?;
        match array {
            None => Ok(Vec::new()),
            Some(a) => a.to_vec().map_err(sa_error),
        }
    }
    unsafe fn destroy(b: &mut [u8]) {
        // SAFETY: forwarded contract.
        unsafe { exec::destroy_kind(&Kind::SafeArray(VarType(VT)), b) }
    }
}

/// `decimal` as a 16-byte DECIMAL (the field default).
pub struct DecimalForm;

impl Form<Decimal> for DecimalForm {
    const SIZE: usize = 16;
    const ALIGN: usize = ALIGN8;
    fn desc() -> TypeDesc {
        TypeDesc::Decimal
    }
    #[inline]
    fn write(v: &Decimal, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        out[..16].copy_from_slice(&v.to_bytes());
        Ok(())
    }
    #[inline]
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<Decimal, PlanError> {
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[..16]);
        Ok(Decimal::from_bytes(a))
    }
}

/// `decimal` as CY (`UnmanagedType.Currency`): `decimal.ToOACurrency` out
/// (rounded half to even, OverflowException past the range),
/// `decimal.FromOACurrency` back. A [`Currency`] field is stored as is.
pub struct CurrencyForm;

impl Form<Decimal> for CurrencyForm {
    const SIZE: usize = 8;
    const ALIGN: usize = ALIGN8;
    fn desc() -> TypeDesc {
        TypeDesc::Currency
    }
    #[inline]
    fn write(v: &Decimal, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        let cy = Currency::from_clr_decimal(v).map_err(|h| exec::hresult_error(h, "decimal out of the CY range"))?;
        out[..8].copy_from_slice(&cy.0.to_le_bytes());
        Ok(())
    }
    #[inline]
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<Decimal, PlanError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        Ok(Decimal::from_clr_currency(Currency(i64::from_le_bytes(a))))
    }
}

impl Form<Currency> for CurrencyForm {
    const SIZE: usize = 8;
    const ALIGN: usize = ALIGN8;
    const BLITTABLE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::Currency
    }
    #[inline]
    fn write(v: &Currency, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        out[..8].copy_from_slice(&v.0.to_le_bytes());
        Ok(())
    }
    #[inline]
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<Currency, PlanError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        Ok(Currency(i64::from_le_bytes(a)))
    }
}

/// `DateTime` as an OLE DATE (the field default): `DateTime.ToOADate` out,
/// `DateTime.FromOADate` back. A [`Date`] field is stored as is.
pub struct DateForm;

impl Form<DateTime> for DateForm {
    const SIZE: usize = 8;
    const ALIGN: usize = ALIGN8;
    fn desc() -> TypeDesc {
        TypeDesc::Date
    }
    #[inline]
    fn write(v: &DateTime, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        let d = v.to_ole_date().ok_or_else(|| {
            exec::hresult_error(crate::hresult::Hresult::DISP_E_OVERFLOW, "DateTime before 0100-01-01 has no OLE DATE")
        })?;
        out[..8].copy_from_slice(&d.0.to_le_bytes());
        Ok(())
    }
    #[inline]
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<DateTime, PlanError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        let d = Date(f64::from_le_bytes(a));
        DateTime::from_ole_date(d).ok_or_else(|| exec::invalid(format!("{} is not a legal OLE Automation date", d.0)))
    }
}

impl Form<Date> for DateForm {
    const SIZE: usize = 8;
    const ALIGN: usize = ALIGN8;
    const BLITTABLE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::Date
    }
    #[inline]
    fn write(v: &Date, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        out[..8].copy_from_slice(&v.0.to_le_bytes());
        Ok(())
    }
    #[inline]
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<Date, PlanError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        Ok(Date(f64::from_le_bytes(a)))
    }
}

// ---------------------------------------------------------------------------
// Interfaces and function pointers

/// Which interface an [`InterfaceOf`] field holds.
pub trait InterfaceId {
    /// The interface's IID.
    const IID: Guid;
    /// The descriptor's kind.
    const KIND: InterfaceKind;
}

/// `UnmanagedType.IUnknown`.
pub struct IUnknownId;
impl InterfaceId for IUnknownId {
    const IID: Guid = IID_IUNKNOWN;
    const KIND: InterfaceKind = InterfaceKind::IUnknown;
}

/// `UnmanagedType.IDispatch`.
pub struct IDispatchId;
impl InterfaceId for IDispatchId {
    const IID: Guid = IID_IDISPATCH;
    const KIND: InterfaceKind = InterfaceKind::IDispatch;
}

/// An interface pointer field: to native, `QueryInterface` for `I::IID` (the
/// struct owns that reference); from native, `AddRef` (the value gets its own);
/// destroy, `Release`.
pub struct InterfaceOf<I>(PhantomData<I>);

impl<I: InterfaceId> Form<Option<ComRef>> for InterfaceOf<I> {
    const SIZE: usize = PTR;
    const ALIGN: usize = PTR;
    const OWNS: bool = true;
    const REFERENCE: bool = true;
    fn desc() -> TypeDesc {
        TypeDesc::Interface(I::KIND)
    }
    fn write(v: &Option<ComRef>, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        if let Some(obj) = v {
            let p =
                obj.query(&I::IID).map_err(|h| exec::hresult_error(h, "QueryInterface for the field's interface"))?;
            write_ptr(out, p.into_raw());
        }
        Ok(())
    }
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<Option<ComRef>, PlanError> {
        // SAFETY: forwarded contract: null or a live interface pointer.
        Ok(unsafe { ComRef::from_borrowed(read_ptr(b)) })
    }
    unsafe fn destroy(b: &mut [u8]) {
        // SAFETY: forwarded contract.
        unsafe { exec::destroy_kind(&Kind::Interface(I::KIND), b) }
    }
}

/// A Rust type that is a native code address: `Option` of an `extern "C"` /
/// `extern "system"` function pointer (null = `None`), or a raw address.
///
/// # Safety
///
/// The type has the size of a pointer, and every bit pattern a native struct
/// may hold in a function-pointer field (null included) is a valid value of it.
pub unsafe trait FunctionPointer: Copy {}

// SAFETY: pointer-sized integers and raw pointers accept every bit pattern.
unsafe impl FunctionPointer for usize {}
// SAFETY: as above.
unsafe impl FunctionPointer for *const c_void {}
// SAFETY: as above.
unsafe impl FunctionPointer for *mut c_void {}

macro_rules! fn_pointers {
    ($($arg:ident),*) => {
        // SAFETY: `Option<fn>` is pointer-sized with null as `None`.
        unsafe impl<R $(, $arg)*> FunctionPointer for Option<extern "C" fn($($arg),*) -> R> {}
        // SAFETY: as above.
        unsafe impl<R $(, $arg)*> FunctionPointer for Option<unsafe extern "C" fn($($arg),*) -> R> {}
        #[cfg(all(windows, target_arch = "x86"))]
        // SAFETY: as above.
        unsafe impl<R $(, $arg)*> FunctionPointer for Option<extern "system" fn($($arg),*) -> R> {}
        #[cfg(all(windows, target_arch = "x86"))]
        // SAFETY: as above.
        unsafe impl<R $(, $arg)*> FunctionPointer for Option<unsafe extern "system" fn($($arg),*) -> R> {}
    };
}

fn_pointers!();
fn_pointers!(A);
fn_pointers!(A, B);
fn_pointers!(A, B, C);
fn_pointers!(A, B, C, D);
fn_pointers!(A, B, C, D, E);
fn_pointers!(A, B, C, D, E, F);

/// `UnmanagedType.FunctionPtr`: a code address, stored as is.
pub struct FnPtr;

impl<T: FunctionPointer> Form<T> for FnPtr {
    const SIZE: usize = PTR;
    const ALIGN: usize = PTR;
    const BLITTABLE: bool = true;
    fn desc() -> TypeDesc {
        const { assert!(core::mem::size_of::<T>() == PTR, "a function pointer field is pointer-sized") };
        TypeDesc::FnPtr
    }
    #[inline]
    fn write(v: &T, out: &mut [u8], _: &StringOptions) -> Result<(), PlanError> {
        const { assert!(core::mem::size_of::<T>() == PTR, "a function pointer field is pointer-sized") };
        // SAFETY: T is pointer-sized (asserted) and Copy; its bytes are an address.
        let addr: usize = unsafe { core::mem::transmute_copy(v) };
        out[..PTR].copy_from_slice(&addr.to_ne_bytes());
        Ok(())
    }
    #[inline]
    unsafe fn read(b: &[u8], _: &StringOptions) -> Result<T, PlanError> {
        let addr = read_ptr(b) as usize;
        // SAFETY: FunctionPointer: every pointer-sized bit pattern is a valid T.
        Ok(unsafe { core::mem::transmute_copy(&addr) })
    }
}
