//! `#[derive(Marshal)]`: the .NET attribute vocabulary on Rust structs.
//!
//! ```text
//! #[derive(Marshal)]
//! #[marshal(layout = sequential, pack = 4, charset = unicode, size = 64)]
//! struct Example {
//!     id: i32,                                   // Int32
//!     #[marshal(as = variant_bool)] flag: bool,  // VARIANT_BOOL
//!     #[marshal(as = char)] c: u16,              // char by the CharSet
//!     #[marshal(as = by_val_array(4), elem = u1)] bits: [bool; 4],
//!     inner: Inner,                              // nested #[derive(Marshal)] struct
//! }
//! ```
//!
//! Each field's form is a type of `marshal_core::marshal` chosen here from the
//! attribute and the field's Rust type; offsets are compile-time constants from
//! the forms' sizes and alignments and the CLR rules.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, Ident, LitInt, Type};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Charset {
    Ansi,
    Unicode,
    Auto,
    Utf8,
}

#[derive(Debug)]
pub(crate) struct StructAttrs {
    pub explicit: bool,
    pub pack: u32,
    pub charset: Charset,
    pub size: u32,
}

#[derive(Debug, Default)]
pub(crate) struct FieldAttrs {
    /// `as = name` or `as = name(N)`.
    pub form: Option<(String, Option<u32>, Span)>,
    /// `elem = name` for arrays.
    pub elem: Option<(String, Span)>,
    pub offset: Option<u32>,
}

fn err<T>(span: Span, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new(span, msg))
}

pub(crate) fn parse_struct_attrs(input: &DeriveInput) -> syn::Result<StructAttrs> {
    let mut a = StructAttrs { explicit: false, pack: 0, charset: Charset::Ansi, size: 0 };
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("marshal")) {
        attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            match key.as_str() {
                "layout" => {
                    let v: Ident = meta.value()?.parse()?;
                    a.explicit = match v.to_string().as_str() {
                        "sequential" => false,
                        "explicit" => true,
                        "auto" => return err(v.span(), "LayoutKind.Auto cannot be marshaled"),
                        other => return err(v.span(), format!("unknown layout `{other}` (sequential or explicit)")),
                    };
                }
                "pack" => {
                    let v: LitInt = meta.value()?.parse()?;
                    a.pack = v.base10_parse()?;
                    if !matches!(a.pack, 0 | 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128) {
                        return err(v.span(), "Pack must be 0, 1, 2, 4, 8, 16, 32, 64 or 128");
                    }
                }
                "charset" => {
                    let v: Ident = meta.value()?.parse()?;
                    a.charset = match v.to_string().as_str() {
                        "ansi" => Charset::Ansi,
                        "unicode" => Charset::Unicode,
                        "auto" => Charset::Auto,
                        "utf8" => Charset::Utf8,
                        other => {
                            return err(v.span(), format!("unknown charset `{other}` (ansi, unicode, auto, utf8)"))
                        }
                    };
                }
                "size" => {
                    let v: LitInt = meta.value()?.parse()?;
                    a.size = v.base10_parse()?;
                }
                _ => return Err(meta.error("unknown struct attribute (layout, pack, charset, size)")),
            }
            Ok(())
        })?;
    }
    Ok(a)
}

pub(crate) fn parse_field_attrs(field: &syn::Field) -> syn::Result<FieldAttrs> {
    let mut a = FieldAttrs::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("marshal")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("as") {
                if a.form.is_some() {
                    return Err(meta.error("`as` given twice"));
                }
                let v: Ident = meta.value()?.parse()?;
                let mut n = None;
                if meta.input.peek(syn::token::Paren) {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let lit: LitInt = content.parse()?;
                    n = Some(lit.base10_parse()?);
                }
                a.form = Some((v.to_string(), n, v.span()));
            } else if meta.path.is_ident("elem") {
                let v: Ident = meta.value()?.parse()?;
                a.elem = Some((v.to_string(), v.span()));
            } else if meta.path.is_ident("offset") {
                let v: LitInt = meta.value()?.parse()?;
                a.offset = Some(v.base10_parse()?);
            } else {
                return Err(meta.error("unknown field attribute (as, elem, offset)"));
            }
            Ok(())
        })?;
    }
    Ok(a)
}

const NUMBERS: &[&str] = &["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "f32", "f64", "isize", "usize"];

/// The last path segment of a type (`marshal_core::Guid` → `Guid`).
fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn charset_unicode(cs: Charset) -> TokenStream {
    match cs {
        Charset::Ansi | Charset::Utf8 => quote!(false),
        Charset::Unicode => quote!(true),
        Charset::Auto => quote!(cfg!(windows)),
    }
}

/// The form type for a field of Rust type `ty`.
fn form_for(
    ty: &Type,
    form: Option<&(String, Option<u32>, Span)>,
    elem: Option<&(String, Span)>,
    cs: Charset,
) -> syn::Result<TokenStream> {
    let m = quote!(::marshal_core::marshal);
    let name = type_name(ty);
    let is_bool = name.as_deref() == Some("bool");
    let is_u16 = name.as_deref() == Some("u16");
    let is_number = name.as_deref().is_some_and(|n| NUMBERS.contains(&n));
    let span = form.map(|f| f.2).unwrap_or_else(Span::call_site);
    let Some((f, n, _)) = form else {
        if let Some((_, espan)) = elem {
            return err(*espan, "`elem` needs `as = by_val_array(N)`");
        }
        // Defaults by Rust type, as the CLR's defaults by managed type.
        return Ok(match ty {
            Type::Array(a) => {
                let inner = form_for(&a.elem, None, None, cs)?;
                if type_name(&a.elem).is_some_and(|n| NUMBERS.contains(&n.as_str())) {
                    quote!(#m::Native)
                } else {
                    quote!(#m::ByValArray<#inner>)
                }
            }
            _ if is_bool => quote!(#m::Win32Bool),
            _ if is_number => quote!(#m::Native),
            _ if matches!(name.as_deref(), Some("Guid" | "Hresult")) => quote!(#m::Native),
            _ => quote!(#m::Nested),
        });
    };
    let need = |ok: bool, what: &str| -> syn::Result<()> {
        if ok {
            Ok(())
        } else {
            err(span, format!("`as = {f}` needs a field of type {what}"))
        }
    };
    Ok(match f.as_str() {
        "bool" | "win32_bool" => {
            need(is_bool, "bool")?;
            quote!(#m::Win32Bool)
        }
        "variant_bool" => {
            need(is_bool, "bool")?;
            quote!(#m::VariantBool)
        }
        "u1" | "i1" if is_bool => {
            if f == "u1" {
                quote!(#m::U1Bool)
            } else {
                quote!(#m::I1Bool)
            }
        }
        "i1" | "u1" | "i2" | "u2" | "i4" | "u4" | "i8" | "u8" | "r4" | "r8" | "sys_int" | "sys_uint" => {
            need(is_number, "a number of that width")?;
            quote!(#m::Native)
        }
        "char" => {
            need(is_u16, "u16 (a UTF-16 unit, as System.Char)")?;
            let unicode = charset_unicode(cs);
            quote!(#m::CharByCharSet<{ #unicode }>)
        }
        "ansi_char" => {
            need(is_u16, "u16 (a UTF-16 unit, as System.Char)")?;
            quote!(#m::AnsiChar)
        }
        "utf16_char" => {
            need(is_u16, "u16 (a UTF-16 unit, as System.Char)")?;
            quote!(#m::Utf16Char)
        }
        "struct" => quote!(#m::Nested),
        "by_val_array" => {
            let Type::Array(a) = ty else {
                return err(span, "`as = by_val_array(N)` needs an array field `[T; N]`");
            };
            let Some(count) = n else {
                return err(span, "`by_val_array` needs SizeConst: `by_val_array(N)`");
            };
            if *count == 0 {
                return err(span, "ByValArray needs SizeConst > 0");
            }
            if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(len), .. }) = &a.len {
                if len.base10_parse::<u32>()? != *count {
                    return err(span, format!("by_val_array({count}) contradicts the array length {len}"));
                }
            }
            let inner = match elem {
                Some((e, espan)) => form_for(&a.elem, Some(&(e.clone(), None, *espan)), None, cs)?,
                None => form_for(&a.elem, None, None, cs)?,
            };
            quote!(#m::ByValArray<#inner>)
        }
        "by_val_tstr" | "lpstr" | "lpwstr" | "lputf8str" | "lptstr" | "bstr" | "ansi_bstr" | "tbstr" | "variant"
        | "safearray" | "currency" | "decimal" | "date" | "error" | "interface" | "fnptr" => {
            return err(span, format!("`as = {f}` is not supported by this version of the derive yet"));
        }
        other => return err(span, format!("unknown marshaling `as = {other}`")),
    })
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Struct(data) = &input.data else {
        return err(input.ident.span(), "#[derive(Marshal)] supports structs only");
    };
    let attrs = parse_struct_attrs(input)?;
    let name = &input.ident;
    let name_str = name.to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let m = quote!(::marshal_core::marshal);

    let fields: Vec<&syn::Field> = match &data.fields {
        Fields::Named(n) => n.named.iter().collect(),
        Fields::Unnamed(u) => u.unnamed.iter().collect(),
        Fields::Unit => Vec::new(),
    };
    let mut forms = Vec::new();
    let mut field_names = Vec::new();
    let mut members = Vec::new();
    let mut offsets_explicit = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let fa = parse_field_attrs(f)?;
        match (attrs.explicit, fa.offset) {
            (true, None) => {
                return err(
                    f.ident.as_ref().map_or_else(Span::call_site, |i| i.span()),
                    "layout = explicit needs #[marshal(offset = N)] on every field",
                )
            }
            (false, Some(_)) => {
                return err(
                    f.ident.as_ref().map_or_else(Span::call_site, |i| i.span()),
                    "#[marshal(offset = N)] needs #[marshal(layout = explicit)] on the struct",
                )
            }
            _ => {}
        }
        offsets_explicit.push(fa.offset.unwrap_or(0) as usize);
        let form = form_for(&f.ty, fa.form.as_ref(), fa.elem.as_ref(), attrs.charset)?;
        let ty = &f.ty;
        forms.push(quote!(<#form as #m::Form<#ty>>));
        match &f.ident {
            Some(id) => {
                field_names.push(id.to_string());
                members.push(quote!(#id));
            }
            None => {
                field_names.push(i.to_string());
                let idx = syn::Index::from(i);
                members.push(quote!(#idx));
            }
        }
    }

    let pack = attrs.pack as usize;
    let declared_size = attrs.size as usize;
    let explicit = attrs.explicit;
    let n = fields.len();
    // Offsets, size and alignment as constants: the CLR rules of layout.rs, evaluated at compile time.
    let offsets_ident = format_ident!("__MARSHAL_OFFSETS");
    let layout_calc = {
        let steps = forms.iter().enumerate().map(|(i, f)| {
            let given = offsets_explicit[i];
            quote! {
                let align = ::marshal_core::__private::clr_field_align(#f::ALIGN, #pack);
                if align > max_align { max_align = align; }
                let offset = if #explicit { #given } else { ::marshal_core::__private::clr_round_up(end, align) };
                offsets[#i] = offset;
                let field_end = offset + #f::SIZE;
                end = if #explicit { if field_end > end { field_end } else { end } } else { field_end };
            }
        });
        quote! {
            let mut offsets = [0usize; #n];
            let mut end: usize = 0;
            let mut max_align: usize = 1;
            #(#steps)*
            let size = if #declared_size != 0 {
                if end > #declared_size { end } else { #declared_size }
            } else if #n == 0 {
                1
            } else {
                ::marshal_core::__private::clr_round_up(end, max_align)
            };
            (offsets, size, max_align)
        }
    };
    let desc_calls = forms.iter().zip(&field_names).enumerate().map(|(i, (f, fname))| {
        if explicit {
            let off = offsets_explicit[i] as u32;
            quote!(.field_at(#fname, #off, #f::desc()))
        } else {
            quote!(.field(#fname, #f::desc()))
        }
    });
    let charset = match attrs.charset {
        Charset::Ansi | Charset::Utf8 => quote!(::marshal_core::CharSet::Ansi),
        Charset::Unicode => quote!(::marshal_core::CharSet::Unicode),
        Charset::Auto => quote!(::marshal_core::CharSet::Auto),
    };
    let kind = if explicit { quote!(Explicit) } else { quote!(Sequential) };
    let pack_u32 = attrs.pack;
    let size_u32 = attrs.size;
    let writes = forms
        .iter()
        .zip(&members)
        .enumerate()
        .map(|(i, (f, mem))| quote!(#f::write(&self.#mem, &mut out[Self::#offsets_ident.0[#i]..])?;));
    let reads = forms
        .iter()
        .zip(&members)
        .enumerate()
        .map(|(i, (f, mem))| quote!(#mem: #f::read(&bytes[Self::#offsets_ident.0[#i]..])?,));
    let destroys = forms
        .iter()
        .enumerate()
        .map(|(i, f)| quote!(if #f::OWNS { #f::destroy(&mut bytes[Self::#offsets_ident.0[#i]..]); }));
    let owns = forms.iter().map(|f| quote!(#f::OWNS));
    let construct = match &data.fields {
        Fields::Named(_) => quote!(Self { #(#reads)* }),
        Fields::Unnamed(_) => {
            let reads = forms.iter().enumerate().map(|(i, f)| quote!(#f::read(&bytes[Self::#offsets_ident.0[#i]..])?,));
            quote!(Self( #(#reads)* ))
        }
        Fields::Unit => quote!(Self),
    };

    Ok(quote! {
        impl #impl_generics #name #ty_generics #where_clause {
            #[doc(hidden)]
            const #offsets_ident: ([usize; #n], usize, usize) = { #layout_calc };
        }

        impl #impl_generics #m::Marshal for #name #ty_generics #where_clause {
            const NATIVE_SIZE: usize = Self::#offsets_ident.1;
            const NATIVE_ALIGN: usize = Self::#offsets_ident.2;
            const OWNS_NATIVE_MEMORY: bool = false #(|| #owns)*;

            fn type_desc() -> ::marshal_core::TypeDesc {
                ::marshal_core::StructBuilder::new(#name_str, ::marshal_core::LayoutKind::#kind)
                    .pack(#pack_u32)
                    .charset(#charset)
                    .size(#size_u32)
                    #(#desc_calls)*
                    .build()
                    .expect("#[derive(Marshal)] checked the descriptor at compile time")
            }

            fn to_native(&self, out: &mut [u8]) -> ::core::result::Result<(), ::marshal_core::plan::PlanError> {
                if out.len() < Self::NATIVE_SIZE {
                    return Err(::marshal_core::plan::PlanError::BufferTooSmall { needed: Self::NATIVE_SIZE, given: out.len() });
                }
                out[..Self::NATIVE_SIZE].fill(0);
                let r = (|| -> ::core::result::Result<(), ::marshal_core::plan::PlanError> {
                    #(#writes)*
                    Ok(())
                })();
                if r.is_err() && Self::OWNS_NATIVE_MEMORY {
                    // SAFETY: `out` was zero-filled and only this conversion wrote into it.
                    unsafe { <Self as #m::Marshal>::destroy_native(out) };
                }
                r
            }

            unsafe fn from_native(bytes: &[u8]) -> ::core::result::Result<Self, ::marshal_core::plan::PlanError> {
                if bytes.len() < Self::NATIVE_SIZE {
                    return Err(::marshal_core::plan::PlanError::BufferTooSmall { needed: Self::NATIVE_SIZE, given: bytes.len() });
                }
                // SAFETY: each field's bytes lie at its offset inside the caller's native struct.
                unsafe { Ok(#construct) }
            }

            unsafe fn destroy_native(bytes: &mut [u8]) {
                if bytes.len() < Self::NATIVE_SIZE {
                    return;
                }
                // SAFETY: forwarded from the caller's contract, field by field.
                unsafe { #(#destroys)* }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(src: &str) -> syn::Result<TokenStream> {
        expand(&syn::parse_str(src).unwrap())
    }

    #[test]
    fn contradictory_attributes_are_compile_errors() {
        for (src, msg) in [
            ("#[marshal(pack = 3)] struct S { a: i32 }", "Pack must be"),
            ("struct S { #[marshal(as = variant_bool)] a: i32 }", "needs a field of type bool"),
            ("struct S { #[marshal(offset = 4)] a: i32 }", "needs #[marshal(layout = explicit)]"),
            ("#[marshal(layout = explicit)] struct S { a: i32 }", "needs #[marshal(offset = N)]"),
            ("struct S { #[marshal(as = by_val_array(3))] a: [i32; 4] }", "contradicts the array length"),
            ("struct S { #[marshal(as = by_val_array)] a: [i32; 4] }", "needs SizeConst"),
            ("struct S { #[marshal(as = char)] a: u32 }", "needs a field of type u16"),
            ("struct S { #[marshal(as = frobnicate)] a: i32 }", "unknown marshaling"),
            ("#[marshal(layout = auto)] struct S { a: i32 }", "LayoutKind.Auto"),
        ] {
            let e = expand_str(src).unwrap_err().to_string();
            assert!(e.contains(msg), "{src}: {e}");
        }
    }
}
