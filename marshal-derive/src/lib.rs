//! # marshal-derive
//!
//! Derive macros for `marshal-core`. The expansion logic lives in ordinary
//! modules that take and return `proc_macro2::TokenStream`, so it is unit-tested
//! without expanding macros; the `#[proc_macro_derive]` functions are thin shims.
//!
//! - `#[derive(Blittable)]`: implements `marshal_core::Blittable` for a
//!   `#[repr(C)]` (optionally `packed(N)`) struct whose fields are all
//!   blittable, with compile-time assertions that every field offset and the size
//!   equal what the CLR's layout rules give.
//! - `#[derive(Marshal)]`: implements `marshal_core::marshal::Marshal`
//!   (StructureToPtr / PtrToStructure / DestroyStructure) with the .NET
//!   vocabulary: `#[marshal(layout = sequential|explicit, pack = N,
//!   charset = ansi|unicode|auto|utf8, size = N)]` on the struct and
//!   `#[marshal(as = bool|variant_bool|u1|i1|char|ansi_char|utf16_char|by_val_array(N)|struct|…,
//!   elem = …, offset = N)]` on fields. Contradictory attributes are compile errors.
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
