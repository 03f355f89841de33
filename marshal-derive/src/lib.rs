//! # marshal-derive
//!
//! Derive macros for `marshal-core`. The expansion logic lives in ordinary
//! modules that take and return `proc_macro2::TokenStream`, so it is unit-tested
//! without expanding macros; the `#[proc_macro_derive]` functions are thin shims.
//!
//! - `#[derive(Blittable)]`: implements `marshal_core::Blittable` for a
//!   `#[repr(C)]` (optionally `packed(N)`) struct whose fields are all
//!   blittable, with compile-time assertions that every field offset and the size
//!   equal what the CLR's layout rules give. Generic structs (`Pair<T: Blittable>`)
//!   are checked per instantiation.
//! - `#[derive(Marshal)]`: implements `marshal_core::marshal::Marshal`
//!   (StructureToPtr / PtrToStructure / DestroyStructure) with the .NET vocabulary.
//!
//! ## `#[derive(Marshal)]`
//!
//! On the struct, `#[marshal(...)]` is `[StructLayout]`:
//!
//! | attribute | .NET |
//! |---|---|
//! | `layout = sequential \| explicit` | `LayoutKind` (Auto cannot be marshaled: an error) |
//! | `pack = N` | `Pack` (0, 1, 2, 4, …, 128) |
//! | `charset = ansi \| unicode \| auto \| utf8` | `CharSet` (`utf8`: default strings are LPUTF8Str) |
//! | `size = N` | `Size` |
//!
//! On a field, `#[marshal(as = ...)]` is `[MarshalAs]`, `offset = N` is `[FieldOffset]`:
//!
//! | `as =` | field types | native form |
//! |---|---|---|
//! | (none) | numbers, `[T; N]` of numbers, `Guid`, `Hresult` | themselves |
//! | (none), `bool`, `variant_bool`, `u1`, `i1` | `bool` | BOOL (default), VARIANT_BOOL, 1 byte |
//! | `char`, `ansi_char`, `utf16_char` | `u16` (a UTF-16 unit) | by CharSet, ANSI, UTF-16 |
//! | (none), `lpstr`, `lpwstr`, `lptstr`, `lputf8str`, `bstr`, `ansi_bstr`, `tbstr` | `String`, `Option<String>`, `U16String`, `Option<U16String>` | a string pointer (default: by CharSet) |
//! | `by_val_tstr(N)` | the same string types | N chars inline |
//! | `by_val_array(N)` + `elem = ...` | `[T; N]` | N elements inline (`elem = char`: ANSI chars as one string) |
//! | (none), `struct`, `variant` | `Variant`, `Value` | VARIANT (`object`) |
//! | (none), `safearray(VT)` | `Option<SafeArray>` (default VT_VARIANT), `Vec<T>` | `SAFEARRAY*` |
//! | (none), `decimal`, `currency` | `Decimal` (`currency` also `Currency`) | DECIMAL, CY |
//! | (none), `date` | `DateTime` (`Date`) | OLE DATE |
//! | (none), `iunknown`, `idispatch`, `interface` + `iid = CONST` | `Option<ComRef>` | an interface pointer |
//! | (none), `fnptr` | `Option<extern "C" fn(..)>`, `usize`, raw pointers | a code pointer |
//! | `error` | `i32`, `Hresult` | HRESULT |
//! | `native` | a `Blittable` type (a generic `T`) | its own bytes |
//! | (none), `struct` | a `#[derive(Marshal)]` struct | nested |
//!
//! Contradictions are compile errors: a form on a field type it cannot carry, `by_val_array(N)` against an
//! array of another length, a missing SizeConst, `offset` outside explicit layout or missing in it, a reference
//! field (string, array, interface, VARIANT) overlapping another field or not pointer-aligned in explicit
//! layout (as the CLR's TypeLoadException). A `#[repr(C)]` struct of blittable fields that also derives
//! `bytemuck::Pod` implements `Blittable` too, and crosses by pointer.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod blittable;
mod marshal;

/// The descriptor name of a derived type: its identifier, with its type arguments
/// (`Pair<i32>`) for a generic one, as each instantiation is its own native type.
fn desc_name(input: &syn::DeriveInput) -> proc_macro2::TokenStream {
    let name = input.ident.to_string();
    let params: Vec<&syn::Ident> = input.generics.type_params().map(|p| &p.ident).collect();
    if params.is_empty() {
        quote::quote!(#name)
    } else {
        quote::quote!(&::std::format!("{}<{}>", #name, [#(::core::any::type_name::<#params>()),*].join(", ")))
    }
}

use proc_macro::TokenStream;

/// Implements `marshal_core::Blittable`; see the crate documentation.
#[proc_macro_derive(Blittable)]
pub fn derive_blittable(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    blittable::expand(&input).unwrap_or_else(|e| e.to_compile_error()).into()
}

/// Implements `marshal_core::marshal::Marshal`; see the crate documentation.
#[proc_macro_derive(Marshal, attributes(marshal))]
pub fn derive_marshal(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    marshal::expand(&input).unwrap_or_else(|e| e.to_compile_error()).into()
}
