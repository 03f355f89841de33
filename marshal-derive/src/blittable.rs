//! `#[derive(Blittable)]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, Member};

/// What `#[repr(...)]` says about a struct.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Repr {
    pub c: bool,
    pub transparent: bool,
    /// `packed` = 1, `packed(N)` = N; 0 when absent.
    pub packed: u32,
    pub align: bool,
}

pub(crate) fn parse_repr(input: &DeriveInput) -> syn::Result<Repr> {
    let mut repr = Repr::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("C") {
                repr.c = true;
            } else if meta.path.is_ident("transparent") {
                repr.transparent = true;
            } else if meta.path.is_ident("packed") {
                repr.packed = 1;
                if meta.input.peek(syn::token::Paren) {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let lit: syn::LitInt = content.parse()?;
                    repr.packed = lit.base10_parse()?;
                }
            } else if meta.path.is_ident("align") {
                repr.align = true;
                let content;
                syn::parenthesized!(content in meta.input);
                let _: syn::LitInt = content.parse()?;
            } else {
                // repr(u8) and friends: not a struct repr we can describe.
                return Err(meta.error("unsupported repr for a blittable struct"));
            }
            Ok(())
        })?;
    }
    Ok(repr)
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(&input.ident, "#[derive(Blittable)] supports structs only"));
    };
    let repr = parse_repr(input)?;
    if !repr.c && !repr.transparent {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Blittable)] needs #[repr(C)] (or #[repr(transparent)]): Rust's default layout is unspecified",
        ));
    }
    if repr.align {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[repr(align(N))] has no StructLayout equivalent; the CLR cannot describe it",
        ));
    }
    let name = &input.ident;
    let name_str = name.to_string();
    let desc_name = crate::desc_name(input);
    let pack = repr.packed as usize;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();

    let fields: Vec<(Member, String, &syn::Type)> = match &data.fields {
        Fields::Named(n) => n
            .named
            .iter()
            .map(|f| {
                let id = f.ident.clone().expect("named field");
                let s = id.to_string();
                (Member::Named(id), s, &f.ty)
            })
            .collect(),
        Fields::Unnamed(u) => {
            u.unnamed.iter().enumerate().map(|(i, f)| (Member::Unnamed(i.into()), i.to_string(), &f.ty)).collect()
        }
        Fields::Unit => Vec::new(),
    };

    let mut where_preds: Vec<TokenStream> =
        where_clause.map(|w| w.predicates.iter().map(|p| quote!(#p)).collect()).unwrap_or_default();
    for (_, _, ty) in &fields {
        where_preds.push(quote!(#ty: ::marshal_core::Blittable));
    }

    let field_calls =
        fields.iter().map(|(_, s, ty)| quote!(.field(#s, <#ty as ::marshal_core::Blittable>::type_desc())));

    // Compile-time layout check: walk the fields with the CLR's rules and compare
    // with what rustc laid out.
    let checks = fields.iter().map(|(member, s, ty)| {
        let msg = format!("#[derive(Blittable)] {name_str}.{s}: Rust offset differs from the CLR layout");
        quote! {
            let align = ::marshal_core::__private::clr_field_align(::core::mem::align_of::<#ty>(), #pack);
            if align > max_align { max_align = align; }
            let offset = ::marshal_core::__private::clr_round_up(end, align);
            assert!(offset == ::core::mem::offset_of!(Self, #member), #msg);
            end = offset + ::core::mem::size_of::<#ty>();
        }
    });
    let size_msg = format!("#[derive(Blittable)] {name_str}: Rust size differs from the CLR layout");
    let check_ident = format_ident!("__MARSHAL_LAYOUT_CHECK");
    let pack_u32 = pack as u32;
    let is_generic = !input.generics.params.is_empty();
    let eager = if is_generic { quote!() } else { quote!(const _: () = <#name>::#check_ident;) };

    Ok(quote! {
        #[allow(clippy::multiple_bound_locations)]
        impl #impl_generics #name #ty_generics where #(#where_preds,)* {
            #[doc(hidden)]
            #[allow(unused_assignments, unused_mut)]
            const #check_ident: () = {
                let mut end: usize = 0;
                let mut max_align: usize = 1;
                #(#checks)*
                let expected = if end == 0 { 1 } else { ::marshal_core::__private::clr_round_up(end, max_align) };
                assert!(::core::mem::size_of::<Self>() == expected || (end == 0 && ::core::mem::size_of::<Self>() == 0), #size_msg);
            };
        }
        #eager

        // SAFETY: the layout assertions above prove the Rust layout equals the CLR
        // layout of the descriptor, every field is Blittable, and Pod is required.
        #[allow(clippy::multiple_bound_locations)]
        unsafe impl #impl_generics ::marshal_core::Blittable for #name #ty_generics where #(#where_preds,)* Self: ::marshal_core::__private::bytemuck::Pod {
            fn type_desc() -> ::marshal_core::TypeDesc {
                #[allow(clippy::let_unit_value)]
                let () = Self::#check_ident;
                ::marshal_core::StructBuilder::sequential(#desc_name)
                    .pack(#pack_u32)
                    #(#field_calls)*
                    .build()
                    .expect("a struct of blittable fields is a valid descriptor")
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> DeriveInput {
        syn::parse_str(src).unwrap()
    }

    #[test]
    fn repr_packed_values_are_read() {
        assert_eq!(parse_repr(&parse("#[repr(C, packed(2))] struct S { a: u8 }")).unwrap().packed, 2);
        assert_eq!(parse_repr(&parse("#[repr(C, packed)] struct S { a: u8 }")).unwrap().packed, 1);
        assert_eq!(parse_repr(&parse("#[repr(C)] struct S { a: u8 }")).unwrap().packed, 0);
    }

    #[test]
    fn structs_without_repr_c_are_refused() {
        let e = expand(&parse("struct S { a: u8 }")).unwrap_err();
        assert!(e.to_string().contains("repr(C)"));
        let e = expand(&parse("#[repr(C)] enum E { A }")).unwrap_err();
        assert!(e.to_string().contains("structs only"));
        let e = expand(&parse("#[repr(C, align(16))] struct S { a: u8 }")).unwrap_err();
        assert!(e.to_string().contains("align"));
    }

    #[test]
    fn expansion_names_each_field_in_order() {
        let out = expand(&parse("#[repr(C)] struct P { x: i32, y: f64 }")).unwrap().to_string();
        let x = out.find("field (\"x\"").unwrap();
        let y = out.find("field (\"y\"").unwrap();
        assert!(x < y);
    }
}
