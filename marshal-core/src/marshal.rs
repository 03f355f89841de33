//! The static side of struct marshaling: the [`Marshal`] trait that
//! `#[derive(Marshal)]` implements for Rust structs, and the field [`Form`]s it
//! is assembled from.
//!
//! A form is a zero-sized type naming one native representation (a 4-byte
//! `BOOL`, an ANSI `char`, an inline array …) and implementing [`Form<T>`] for
//! the Rust types it can carry. Forms have constant native sizes and
//! alignments, so a derived struct's field offsets are compile-time constants
//! (the CLR's layout rules evaluated by the same `const fn`s as
//! [`crate::layout`]), and its conversion is straight-line code — as fast as a
//! hand-written one. Every form converts through the functions of
//! [`crate::plan::leaf`], the same ones the runtime [`crate::plan::Plan`] uses.

use core::marker::PhantomData;

/// Derive [`Marshal`]: `StructureToPtr` / `PtrToStructure` / `DestroyStructure` for a
/// Rust struct, with the .NET attribute vocabulary in `#[marshal(...)]` (see the
/// `marshal-derive` crate documentation).
pub use marshal_derive::Marshal;

use crate::blittable::Blittable;
use crate::plan::{leaf, PlanError};
use crate::types::{BoolRepr, CharRepr, TypeDesc};

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

    /// The runtime descriptor: the same one a runtime builder would write, so the
    /// derive path and the runtime path can be checked against each other.
    fn type_desc() -> TypeDesc;

    /// Writes the native form into `out[..NATIVE_SIZE]` (padding zeroed).
    fn to_native(&self, out: &mut [u8]) -> Result<(), PlanError>;

    /// Reads a value from its native form.
    ///
    /// # Safety
    ///
    /// `bytes` must hold a native struct of this type whose pointer fields are
    /// null or point to valid native data of their form.
    unsafe fn from_native(bytes: &[u8]) -> Result<Self, PlanError>;

    /// Frees what [`Marshal::to_native`] allocated and nulls those pointers.
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
    /// The descriptor of this form (as a field type).
    fn desc() -> TypeDesc;
    /// Writes `v` into `out[..SIZE]`.
    fn write(v: &T, out: &mut [u8]) -> Result<(), PlanError>;
    /// Reads a value from `b[..SIZE]`.
    ///
    /// # Safety
    ///
    /// As [`Marshal::from_native`], for this field's bytes.
    unsafe fn read(b: &[u8]) -> Result<T, PlanError>;
    /// Frees what `write` allocated.
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
    fn desc() -> TypeDesc {
        T::type_desc()
    }
    #[inline(always)]
    fn write(v: &T, out: &mut [u8]) -> Result<(), PlanError> {
        out[..core::mem::size_of::<T>()].copy_from_slice(bytemuck::bytes_of(v));
        Ok(())
    }
    #[inline(always)]
    unsafe fn read(b: &[u8]) -> Result<T, PlanError> {
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
            fn write(v: &bool, out: &mut [u8]) -> Result<(), PlanError> {
                leaf::bool_to_native(*v, $repr, out);
                Ok(())
            }
            #[inline(always)]
            unsafe fn read(b: &[u8]) -> Result<bool, PlanError> {
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
    fn write(v: &u16, out: &mut [u8]) -> Result<(), PlanError> {
        out[0] = leaf::ansi_char_to_native(*v);
        Ok(())
    }
    #[inline(always)]
    unsafe fn read(b: &[u8]) -> Result<u16, PlanError> {
        Ok(leaf::ansi_char_from_native(b[0]))
    }
}

impl Form<u16> for Utf16Char {
    const SIZE: usize = 2;
    const ALIGN: usize = 2;
    fn desc() -> TypeDesc {
        TypeDesc::Char(CharRepr::Utf16)
    }
    #[inline(always)]
    fn write(v: &u16, out: &mut [u8]) -> Result<(), PlanError> {
        out[..2].copy_from_slice(&v.to_le_bytes());
        Ok(())
    }
    #[inline(always)]
    unsafe fn read(b: &[u8]) -> Result<u16, PlanError> {
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
}

/// A `char` laid out by the struct's CharSet: UTF-16 when `UNICODE`, else ANSI.
pub struct CharByCharSet<const UNICODE: bool>;

impl<const UNICODE: bool> Form<u16> for CharByCharSet<UNICODE> {
    const SIZE: usize = if UNICODE { 2 } else { 1 };
    const ALIGN: usize = Self::SIZE;
    fn desc() -> TypeDesc {
        TypeDesc::Char(CharRepr::ByCharSet)
    }
    #[inline(always)]
    fn write(v: &u16, out: &mut [u8]) -> Result<(), PlanError> {
        if UNICODE {
            <Utf16Char as Form<u16>>::write(v, out)
        } else {
            <AnsiChar as Form<u16>>::write(v, out)
        }
    }
    #[inline(always)]
    unsafe fn read(b: &[u8]) -> Result<u16, PlanError> {
        // SAFETY: plain bytes; no pointers are read.
        unsafe {
            if UNICODE {
                <Utf16Char as Form<u16>>::read(b)
            } else {
                <AnsiChar as Form<u16>>::read(b)
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
    fn desc() -> TypeDesc {
        T::type_desc()
    }
    #[inline(always)]
    fn write(v: &T, out: &mut [u8]) -> Result<(), PlanError> {
        v.to_native(out)
    }
    #[inline(always)]
    unsafe fn read(b: &[u8]) -> Result<T, PlanError> {
        // SAFETY: forwarded from the caller's contract.
        unsafe { T::from_native(b) }
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
    fn desc() -> TypeDesc {
        const { assert!(N > 0, "a ByValArray needs SizeConst > 0") };
        TypeDesc::by_val_array(F::desc(), N as u32)
    }
    fn write(v: &[T; N], out: &mut [u8]) -> Result<(), PlanError> {
        for (i, item) in v.iter().enumerate() {
            F::write(item, &mut out[i * F::SIZE..])?;
        }
        Ok(())
    }
    unsafe fn read(b: &[u8]) -> Result<[T; N], PlanError> {
        let mut items = Vec::with_capacity(N);
        for i in 0..N {
            // SAFETY: forwarded from the caller's contract, element by element.
            items.push(unsafe { F::read(&b[i * F::SIZE..]) }?);
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
