//! `#[derive(Marshal)]`: the .NET attribute vocabulary on Rust structs.
//!
//! ```text
//! #[derive(Marshal)]
//! #[marshal(layout = sequential, pack = 4, charset = unicode, size = 64)]
//! struct Example {
//!     id: i32,                                   // Int32
//!     #[marshal(as = variant_bool)] flag: bool,  // VARIANT_BOOL
//!     #[marshal(as = char)] c: u16,              // char by the CharSet
//!     name: String,                              // LPWStr (CharSet.Unicode)
//!     #[marshal(as = by_val_tstr(16))] tag: String,
//!     #[marshal(as = bstr)] note: Option<String>,
//!     #[marshal(as = by_val_array(4), elem = u1)] bits: [bool; 4],
//!     #[marshal(as = safearray(I4))] list: Vec<i32>,
//!     #[marshal(as = currency)] price: Decimal,
//!     when: DateTime,                            // OLE DATE
//!     value: Variant,                            // VARIANT
//!     #[marshal(as = interface, iid = IID_IFOO)] obj: Option<ComRef>,
//!     inner: Inner,                              // nested #[derive(Marshal)] struct
//! }
//! ```
//!
//! Each field's form is a type of `marshal_core::marshal` chosen here from the
//! attribute and the field's Rust type; offsets are compile-time constants from
//! the forms' sizes and alignments and the CLR rules. Contradictions that the
//! syntax shows (a form on a field type it cannot carry, a SizeConst that is not
//! the array's length, offsets outside explicit layout) are errors here;
//! contradictions that need the layout (a reference field overlapping another or
//! misaligned in explicit layout) fail the compile-time layout constant.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, GenericArgument, Ident, LitInt, PathArguments, Type};

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

/// The argument of `as = name(arg)`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Arg {
    Int(u32),
    Ident(String),
}

#[derive(Clone)]
pub(crate) struct FormAttr {
    pub name: String,
    pub arg: Option<Arg>,
    pub span: Span,
}

#[derive(Default)]
pub(crate) struct FieldAttrs {
    /// `as = name` or `as = name(N)` / `as = name(IDENT)`.
    pub form: Option<FormAttr>,
    /// `elem = name` for arrays.
    pub elem: Option<(String, Span)>,
    pub offset: Option<u32>,
    /// `iid = CONST` for `as = interface`.
    pub iid: Option<syn::Expr>,
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
                let mut arg = None;
                if meta.input.peek(syn::token::Paren) {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    if content.peek(LitInt) {
                        let lit: LitInt = content.parse()?;
                        arg = Some(Arg::Int(lit.base10_parse()?));
                    } else {
                        let id: Ident = content.parse()?;
                        arg = Some(Arg::Ident(id.to_string()));
                    }
                }
                a.form = Some(FormAttr { name: v.to_string(), arg, span: v.span() });
            } else if meta.path.is_ident("elem") {
                let v: Ident = meta.value()?.parse()?;
                a.elem = Some((v.to_string(), v.span()));
            } else if meta.path.is_ident("offset") {
                let v: LitInt = meta.value()?.parse()?;
                a.offset = Some(v.base10_parse()?);
            } else if meta.path.is_ident("iid") {
                a.iid = Some(meta.value()?.parse()?);
            } else {
                return Err(meta.error("unknown field attribute (as, elem, offset, iid)"));
            }
            Ok(())
        })?;
    }
    Ok(a)
}

const NUMBERS: &[&str] = &["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "f32", "f64", "isize", "usize"];

/// What a field's Rust type is, as far as the syntax shows.
#[derive(Clone)]
enum Shape {
    Bool,
    Number(String),
    /// `String`, `U16String` and their `Option`s.
    Str,
    Array(Box<Type>),
    Decimal,
    Currency,
    DateTime,
    Date,
    Variant,
    Value,
    SafeArray,
    Vec,
    ComRef,
    /// `Option<extern "C" fn …>`, raw pointers.
    FnPtr,
    Guid,
    Hresult,
    Other,
}

fn last_ident(ty: &Type) -> Option<(String, &PathArguments)> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| (s.ident.to_string(), &s.arguments)),
        _ => None,
    }
}

fn first_type_arg(args: &PathArguments) -> Option<&Type> {
    match args {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

fn shape(ty: &Type) -> Shape {
    match ty {
        Type::Array(a) => return Shape::Array(a.elem.clone()),
        Type::Ptr(_) => return Shape::FnPtr,
        Type::Group(g) => return shape(&g.elem),
        Type::Paren(p) => return shape(&p.elem),
        _ => {}
    }
    let Some((name, args)) = last_ident(ty) else { return Shape::Other };
    match name.as_str() {
        "bool" => Shape::Bool,
        n if NUMBERS.contains(&n) => Shape::Number(n.to_string()),
        "String" | "U16String" => Shape::Str,
        "Decimal" => Shape::Decimal,
        "Currency" => Shape::Currency,
        "DateTime" => Shape::DateTime,
        "Date" => Shape::Date,
        "Variant" => Shape::Variant,
        "Value" => Shape::Value,
        "Guid" => Shape::Guid,
        "Hresult" => Shape::Hresult,
        "Vec" => Shape::Vec,
        "Option" => match first_type_arg(args) {
            Some(Type::BareFn(_)) => Shape::FnPtr,
            Some(inner) => match last_ident(inner).map(|(n, _)| n).as_deref() {
                Some("String" | "U16String") => Shape::Str,
                Some("SafeArray") => Shape::SafeArray,
                Some("ComRef") => Shape::ComRef,
                _ => Shape::Other,
            },
            None => Shape::Other,
        },
        _ => Shape::Other,
    }
}

fn is_num(sh: &Shape, name: &str) -> bool {
    matches!(sh, Shape::Number(n) if n == name)
}

fn unicode_expr(cs: Charset) -> TokenStream {
    match cs {
        Charset::Ansi | Charset::Utf8 => quote!(false),
        Charset::Unicode => quote!(true),
        Charset::Auto => quote!(cfg!(windows)),
    }
}

/// The VARTYPE code of `safearray(NAME)`.
fn vartype_code(name: &str) -> Option<u16> {
    let n = name.trim_start_matches("VT_").trim_start_matches("vt_").to_ascii_uppercase();
    Some(match n.as_str() {
        "EMPTY" => 0,
        "I2" => 2,
        "I4" => 3,
        "R4" => 4,
        "R8" => 5,
        "CY" => 6,
        "DATE" => 7,
        "BSTR" => 8,
        "DISPATCH" => 9,
        "ERROR" => 10,
        "BOOL" => 11,
        "VARIANT" => 12,
        "UNKNOWN" => 13,
        "DECIMAL" => 14,
        "I1" => 16,
        "UI1" => 17,
        "UI2" => 18,
        "UI4" => 19,
        "I8" => 20,
        "UI8" => 21,
        "INT" => 22,
        "UINT" => 23,
        _ => return None,
    })
}

/// A form chosen for a field: its type, and whether it is the blittable `Native`.
struct Chosen {
    form: TokenStream,
    native: bool,
    /// A marker type to declare next to the impls (interfaces by IID).
    extra: Option<TokenStream>,
}

fn chosen(form: TokenStream) -> Chosen {
    Chosen { form, native: false, extra: None }
}

fn native() -> Chosen {
    Chosen { form: quote!(::marshal_core::marshal::Native), native: true, extra: None }
}

/// The form type for a field of Rust type `ty`.
fn form_for(ty: &Type, attrs: &FieldAttrs, cs: Charset, marker: &dyn Fn() -> Ident) -> syn::Result<Chosen> {
    let m = quote!(::marshal_core::marshal);
    let sh = shape(ty);
    let unicode = unicode_expr(cs);
    let Some(FormAttr { name: f, arg, span }) = &attrs.form else {
        if let Some((_, espan)) = &attrs.elem {
            return err(*espan, "`elem` needs `as = by_val_array(N)`");
        }
        if let Some(iid) = &attrs.iid {
            return err(iid.span(), "`iid` needs `as = interface`");
        }
        // Defaults by Rust type, as the CLR's defaults by managed type.
        return Ok(match sh {
            Shape::Array(elem) => match shape(&elem) {
                Shape::Number(_) => native(),
                _ => {
                    let inner = form_for(&elem, &FieldAttrs::default(), cs, marker)?;
                    let inner = inner.form;
                    chosen(quote!(#m::ByValArray<#inner>))
                }
            },
            Shape::Bool => chosen(quote!(#m::Win32Bool)),
            Shape::Number(_) | Shape::Guid | Shape::Hresult => native(),
            Shape::Str if cs == Charset::Utf8 => chosen(quote!(#m::LpUtf8Str)),
            Shape::Str => chosen(quote!(#m::StrByCharSet<{ #unicode }>)),
            Shape::Decimal => chosen(quote!(#m::DecimalForm)),
            Shape::Currency => chosen(quote!(#m::CurrencyForm)),
            Shape::DateTime | Shape::Date => chosen(quote!(#m::DateForm)),
            Shape::Variant | Shape::Value => chosen(quote!(#m::Object)),
            Shape::SafeArray => chosen(quote!(#m::SafeArrayOf<0>)),
            Shape::Vec => {
                return err(
                    ty.span(),
                    "a Vec field needs `#[marshal(as = safearray(VT))]` (the CLR refuses arrays in fields otherwise)",
                )
            }
            Shape::ComRef => chosen(quote!(#m::InterfaceOf<#m::IUnknownId>)),
            Shape::FnPtr => chosen(quote!(#m::FnPtr)),
            Shape::Other => chosen(quote!(#m::Nested)),
        });
    };
    let span = *span;
    if attrs.iid.is_some() && f != "interface" {
        return err(span, "`iid` needs `as = interface`");
    }
    if attrs.elem.is_some() && f != "by_val_array" {
        return err(span, "`elem` needs `as = by_val_array(N)`");
    }
    let need = |ok: bool, what: &str| -> syn::Result<()> {
        if ok {
            Ok(())
        } else {
            err(span, format!("`as = {f}` needs a field of type {what}"))
        }
    };
    let no_arg = || -> syn::Result<()> {
        match arg {
            None => Ok(()),
            Some(_) => err(span, format!("`as = {f}` takes no argument")),
        }
    };
    let is_number = matches!(sh, Shape::Number(_));
    let is_u16 = is_num(&sh, "u16");
    let is_str = matches!(sh, Shape::Str);
    const STRINGS: &str = "String, Option<String>, U16String or Option<U16String>";
    Ok(match f.as_str() {
        "bool" | "win32_bool" => {
            need(matches!(sh, Shape::Bool), "bool")?;
            chosen(quote!(#m::Win32Bool))
        }
        "variant_bool" => {
            need(matches!(sh, Shape::Bool), "bool")?;
            chosen(quote!(#m::VariantBool))
        }
        "u1" | "i1" if matches!(sh, Shape::Bool) => {
            if f == "u1" {
                chosen(quote!(#m::U1Bool))
            } else {
                chosen(quote!(#m::I1Bool))
            }
        }
        "i1" | "u1" | "i2" | "u2" | "i4" | "u4" | "i8" | "u8" | "r4" | "r8" | "sys_int" | "sys_uint" => {
            let width = match f.as_str() {
                "i1" => "i8",
                "u1" => "u8",
                "i2" => "i16",
                "u2" => "u16",
                "i4" => "i32",
                "u4" => "u32",
                "i8" => "i64",
                "u8" => "u64",
                "r4" => "f32",
                "r8" => "f64",
                "sys_int" => "isize",
                _ => "usize",
            };
            need(is_num(&sh, width), &format!("`{width}`"))?;
            native()
        }
        "native" | "blittable" => native(),
        "error" => {
            need(matches!(sh, Shape::Hresult) || is_num(&sh, "i32"), "i32 or Hresult")?;
            chosen(quote!(#m::ErrorForm))
        }
        "char" => {
            need(is_u16, "u16 (a UTF-16 unit, as System.Char)")?;
            chosen(quote!(#m::CharByCharSet<{ #unicode }>))
        }
        "ansi_char" => {
            need(is_u16, "u16 (a UTF-16 unit, as System.Char)")?;
            chosen(quote!(#m::AnsiChar))
        }
        "utf16_char" => {
            need(is_u16, "u16 (a UTF-16 unit, as System.Char)")?;
            chosen(quote!(#m::Utf16Char))
        }
        "struct" | "variant" if matches!(sh, Shape::Variant | Shape::Value) => chosen(quote!(#m::Object)),
        "variant" => return err(span, "`as = variant` needs a field of type Variant or Value"),
        "struct" => {
            need(!is_number && !is_str && !matches!(sh, Shape::Bool), "a struct (or Variant / Value for a VARIANT)")?;
            chosen(quote!(#m::Nested))
        }
        "by_val_array" => {
            let Shape::Array(elem) = &sh else {
                return err(span, "`as = by_val_array(N)` needs an array field `[T; N]`");
            };
            let count = match arg {
                Some(Arg::Int(n)) => *n,
                Some(Arg::Ident(_)) => return err(span, "`by_val_array(N)` takes a number"),
                None => return err(span, "`by_val_array` needs SizeConst: `by_val_array(N)`"),
            };
            if count == 0 {
                return err(span, "ByValArray needs SizeConst > 0");
            }
            if let Type::Array(a) = ty {
                if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(len), .. }) = &a.len {
                    if len.base10_parse::<u32>()? != count {
                        return err(span, format!("by_val_array({count}) contradicts the array length {len}"));
                    }
                }
            }
            let elem_is_u16 = is_num(&shape(elem), "u16");
            match attrs.elem.as_ref().map(|(e, s)| (e.as_str(), *s)) {
                Some(("char", s)) => {
                    if !elem_is_u16 {
                        return err(s, "`elem = char` needs `[u16; N]` (UTF-16 units, as System.Char)");
                    }
                    chosen(quote!(#m::CharsByCharSet<{ #unicode }>))
                }
                Some(("ansi_char", s)) => {
                    if !elem_is_u16 {
                        return err(s, "`elem = ansi_char` needs `[u16; N]`");
                    }
                    chosen(quote!(#m::AnsiChars))
                }
                Some((e, s)) => {
                    let ea = FieldAttrs {
                        form: Some(FormAttr { name: e.to_string(), arg: None, span: s }),
                        ..FieldAttrs::default()
                    };
                    let inner = form_for(elem, &ea, cs, marker)?;
                    let inner = inner.form;
                    chosen(quote!(#m::ByValArray<#inner>))
                }
                None => {
                    let inner = form_for(elem, &FieldAttrs::default(), cs, marker)?;
                    if inner.native {
                        native()
                    } else {
                        let inner = inner.form;
                        chosen(quote!(#m::ByValArray<#inner>))
                    }
                }
            }
        }
        "lpstr" | "lpwstr" | "lptstr" | "lputf8str" | "bstr" | "ansi_bstr" | "tbstr" => {
            need(is_str, STRINGS)?;
            no_arg()?;
            match f.as_str() {
                "lpstr" => chosen(quote!(#m::LpStr)),
                "lpwstr" => chosen(quote!(#m::LpWStr)),
                "lptstr" => chosen(quote!(#m::LpTStr)),
                "lputf8str" => chosen(quote!(#m::LpUtf8Str)),
                "bstr" => chosen(quote!(#m::BStr)),
                "ansi_bstr" => chosen(quote!(#m::AnsiBStr)),
                _ => chosen(quote!(#m::TBStr)),
            }
        }
        "by_val_tstr" => {
            need(is_str, STRINGS)?;
            let n = match arg {
                Some(Arg::Int(0)) => return err(span, "ByValTStr needs SizeConst > 0"),
                Some(Arg::Int(n)) => *n as usize,
                _ => return err(span, "`by_val_tstr` needs SizeConst: `by_val_tstr(N)`"),
            };
            chosen(quote!(#m::ByValTStr<#n, { #unicode }>))
        }
        "safearray" => {
            need(matches!(sh, Shape::SafeArray | Shape::Vec), "Option<SafeArray> or Vec<T>")?;
            let vt = match arg {
                None => 0u16,
                Some(Arg::Ident(name)) => match vartype_code(name) {
                    Some(vt) => vt,
                    None => return err(span, format!("`{name}` is not a VARTYPE a SAFEARRAY field can hold")),
                },
                Some(Arg::Int(_)) => return err(span, "`safearray(VT)` takes a VARTYPE name (`I4`, `BSTR`, …)"),
            };
            chosen(quote!(#m::SafeArrayOf<#vt>))
        }
        "decimal" => {
            need(matches!(sh, Shape::Decimal), "Decimal")?;
            chosen(quote!(#m::DecimalForm))
        }
        "currency" => {
            need(matches!(sh, Shape::Decimal | Shape::Currency), "Decimal or Currency")?;
            chosen(quote!(#m::CurrencyForm))
        }
        "date" => {
            need(matches!(sh, Shape::DateTime | Shape::Date), "DateTime or Date")?;
            chosen(quote!(#m::DateForm))
        }
        "iunknown" | "idispatch" | "interface" => {
            need(matches!(sh, Shape::ComRef), "Option<ComRef>")?;
            match (f.as_str(), &attrs.iid) {
                ("idispatch", _) => chosen(quote!(#m::InterfaceOf<#m::IDispatchId>)),
                ("interface", Some(iid)) => {
                    let mk = marker();
                    let extra = quote! {
                        #[doc(hidden)]
                        #[allow(non_camel_case_types)]
                        pub struct #mk;
                        impl #m::InterfaceId for #mk {
                            const IID: ::marshal_core::Guid = #iid;
                            const KIND: ::marshal_core::InterfaceKind = ::marshal_core::InterfaceKind::Iid(#iid);
                        }
                    };
                    Chosen { form: quote!(#m::InterfaceOf<#mk>), native: false, extra: Some(extra) }
                }
                _ => chosen(quote!(#m::InterfaceOf<#m::IUnknownId>)),
            }
        }
        "fnptr" | "function_ptr" => {
            need(
                matches!(sh, Shape::FnPtr) || is_num(&sh, "usize"),
                "Option<extern \"C\" fn(..)>, usize or a raw pointer",
            )?;
            chosen(quote!(#m::FnPtr))
        }
        other => return err(span, format!("unknown marshaling `as = {other}`")),
    })
}

/// Whether `#[derive(...)]` on the input names `what` (e.g. `Pod`).
fn derives(input: &DeriveInput, what: &str) -> bool {
    input.attrs.iter().filter(|a| a.path().is_ident("derive")).any(|a| {
        let mut found = false;
        let _ = a.parse_nested_meta(|meta| {
            if meta.path.segments.last().is_some_and(|s| s.ident == what) {
                found = true;
            }
            Ok(())
        });
        found
    })
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Struct(data) = &input.data else {
        return err(input.ident.span(), "#[derive(Marshal)] supports structs only");
    };
    let attrs = parse_struct_attrs(input)?;
    let name = &input.ident;
    let name_str = name.to_string();
    let desc_name = crate::desc_name(input);
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
    let mut extras = Vec::new();
    let mut all_native = true;
    for (i, f) in fields.iter().enumerate() {
        let fa = parse_field_attrs(f)?;
        let fspan = f.ident.as_ref().map_or_else(Span::call_site, |i| i.span());
        match (attrs.explicit, fa.offset) {
            (true, None) => return err(fspan, "layout = explicit needs #[marshal(offset = N)] on every field"),
            (false, Some(_)) => {
                return err(fspan, "#[marshal(offset = N)] needs #[marshal(layout = explicit)] on the struct")
            }
            _ => {}
        }
        offsets_explicit.push(fa.offset.unwrap_or(0) as usize);
        let fname = f.ident.as_ref().map_or_else(|| i.to_string(), |id| id.to_string());
        let marker = || format_ident!("__MarshalIid_{}_{}", name, fname);
        let c = form_for(&f.ty, &fa, attrs.charset, &marker)?;
        all_native &= c.native;
        extras.extend(c.extra);
        let ty = &f.ty;
        let form = c.form;
        forms.push(quote!(<#form as #m::Form<#ty>>));
        field_names.push(fname);
        match &f.ident {
            Some(id) => members.push(quote!(#id)),
            None => {
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
    let checks_ident = format_ident!("__MARSHAL_CHECKS");
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
    // Explicit layout: the CLR refuses (TypeLoadException) a reference field that
    // overlaps another field or is not pointer-aligned.
    let explicit_checks = if explicit {
        let mut checks = Vec::new();
        for (i, fi) in forms.iter().enumerate() {
            let misaligned = format!(
                "#[derive(Marshal)] {name_str}.{}: a reference field's offset must be a multiple of the pointer size",
                field_names[i]
            );
            checks.push(quote! {
                if #fi::REFERENCE && offsets[#i] % ::core::mem::size_of::<usize>() != 0 { panic!(#misaligned); }
            });
            for (j, fj) in forms.iter().enumerate() {
                if i == j {
                    continue;
                }
                let msg = format!(
                    "#[derive(Marshal)] {name_str}: reference field `{}` overlaps field `{}` in explicit layout",
                    field_names[i], field_names[j]
                );
                checks.push(quote! {
                    if #fi::REFERENCE {
                        let (a0, a1) = (offsets[#i], offsets[#i] + #fi::SIZE);
                        let (b0, b1) = (offsets[#j], offsets[#j] + #fj::SIZE);
                        let a1 = if a1 > a0 { a1 } else { a0 + 1 };
                        let b1 = if b1 > b0 { b1 } else { b0 + 1 };
                        if a0 < b1 && b0 < a1 { panic!(#msg); }
                    }
                });
            }
        }
        quote! {
            let offsets = Self::#offsets_ident.0;
            #(#checks)*
        }
    } else {
        quote!()
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
    let writes = forms.iter().zip(&members).zip(&field_names).enumerate().map(|(i, ((f, mem), fname))| {
        quote!(#f::write(&self.#mem, &mut out[Self::#offsets_ident.0[#i]..], opts).map_err(|e| e.within(#fname))?;)
    });
    let reads = forms.iter().zip(&field_names).enumerate().map(
        |(i, (f, fname))| quote!(#f::read(&bytes[Self::#offsets_ident.0[#i]..], opts).map_err(|e| e.within(#fname))?),
    );
    let destroys = forms
        .iter()
        .enumerate()
        .map(|(i, f)| quote!(if #f::OWNS { #f::destroy(&mut bytes[Self::#offsets_ident.0[#i]..]); }));
    let owns = forms.iter().map(|f| quote!(#f::OWNS));
    let blit = forms.iter().map(|f| quote!(#f::BLITTABLE));
    let construct = match &data.fields {
        Fields::Named(_) => {
            let inits = members.iter().zip(reads).map(|(mem, r)| quote!(#mem: #r,));
            quote!(Self { #(#inits)* })
        }
        Fields::Unnamed(_) => quote!(Self( #(#reads,)* )),
        Fields::Unit => quote!(Self),
    };
    let is_generic = !input.generics.params.is_empty();
    let eager = if is_generic { quote!() } else { quote!(const _: () = <#name>::#checks_ident;) };

    // A `#[repr(C)]` struct of blittable fields that also derives bytemuck's Pod is
    // Blittable: it crosses by pointer. The layout is proven by derive(Blittable)'s checks.
    let blittable_impl = if all_native
        && !fields.is_empty()
        && !explicit
        && attrs.size == 0
        && matches!(attrs.charset, Charset::Ansi | Charset::Unicode | Charset::Utf8)
        && derives(input, "Pod")
        && !derives(input, "Blittable")
        && crate::blittable::parse_repr(input).is_ok_and(|r| r.c && r.packed == attrs.pack && !r.align)
    {
        crate::blittable::expand(input)?
    } else {
        quote!()
    };

    Ok(quote! {
        #(#extras)*

        impl #impl_generics #name #ty_generics #where_clause {
            #[doc(hidden)]
            const #offsets_ident: ([usize; #n], usize, usize) = { #layout_calc };
            #[doc(hidden)]
            #[allow(unused_variables)]
            const #checks_ident: () = { #explicit_checks };
        }
        #eager

        #blittable_impl

        impl #impl_generics #m::Marshal for #name #ty_generics #where_clause {
            const NATIVE_SIZE: usize = Self::#offsets_ident.1;
            const NATIVE_ALIGN: usize = Self::#offsets_ident.2;
            const OWNS_NATIVE_MEMORY: bool = false #(|| #owns)*;
            const BLITTABLE: bool = true #(&& #blit)*;

            fn type_desc() -> ::marshal_core::TypeDesc {
                #[allow(clippy::let_unit_value)]
                let () = Self::#checks_ident;
                ::marshal_core::StructBuilder::new(#desc_name, ::marshal_core::LayoutKind::#kind)
                    .pack(#pack_u32)
                    .charset(#charset)
                    .size(#size_u32)
                    #(#desc_calls)*
                    .build()
                    .expect("#[derive(Marshal)] checked the descriptor at compile time")
            }

            fn to_native_with(
                &self,
                out: &mut [u8],
                opts: &::marshal_core::strings::StringOptions,
            ) -> ::core::result::Result<(), ::marshal_core::plan::PlanError> {
                #[allow(clippy::let_unit_value)]
                let () = Self::#checks_ident;
                if out.len() < Self::NATIVE_SIZE {
                    return Err(::marshal_core::plan::PlanError::BufferTooSmall { needed: Self::NATIVE_SIZE, given: out.len() });
                }
                let out = &mut out[..Self::NATIVE_SIZE];
                out.fill(0);
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

            unsafe fn from_native_with(
                bytes: &[u8],
                opts: &::marshal_core::strings::StringOptions,
            ) -> ::core::result::Result<Self, ::marshal_core::plan::PlanError> {
                if bytes.len() < Self::NATIVE_SIZE {
                    return Err(::marshal_core::plan::PlanError::BufferTooSmall { needed: Self::NATIVE_SIZE, given: bytes.len() });
                }
                // SAFETY: each field's bytes lie at its offset inside the caller's native struct.
                unsafe { Ok(#construct) }
            }

            unsafe fn destroy_native(bytes: &mut [u8]) {
                if !Self::OWNS_NATIVE_MEMORY || bytes.len() < Self::NATIVE_SIZE {
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
            ("struct S { #[marshal(as = bstr)] a: i32 }", "needs a field of type String"),
            ("struct S { #[marshal(as = by_val_tstr(0))] a: String }", "SizeConst > 0"),
            ("struct S { #[marshal(as = by_val_tstr)] a: String }", "needs SizeConst"),
            ("struct S { #[marshal(as = safearray(FROB))] a: Vec<i32> }", "not a VARTYPE"),
            ("struct S { a: Vec<i32> }", "needs `#[marshal(as = safearray(VT))]`"),
            ("struct S { #[marshal(as = currency)] a: f64 }", "Decimal or Currency"),
            ("struct S { #[marshal(as = i4)] a: i64 }", "needs a field of type `i32`"),
            ("struct S { #[marshal(as = lpwstr(4))] a: String }", "takes no argument"),
            ("struct S { #[marshal(iid = X)] a: Option<ComRef> }", "`iid` needs `as = interface`"),
            ("struct S { #[marshal(as = variant)] a: i32 }", "Variant or Value"),
            ("struct S { #[marshal(as = idispatch)] a: String }", "Option<ComRef>"),
        ] {
            let e = expand_str(src).unwrap_err().to_string();
            assert!(e.contains(msg), "{src}: {e}");
        }
    }

    #[test]
    fn defaults_follow_the_clr_defaults_by_managed_type() {
        let out = expand_str(
            "#[marshal(charset = unicode)] struct S { a: String, b: bool, c: Decimal, d: DateTime, e: Variant, \
             f: Option<ComRef>, g: Option<SafeArray>, h: [bool; 2], i: Inner }",
        )
        .unwrap()
        .to_string();
        for form in ["StrByCharSet < { true } >", "Win32Bool", "DecimalForm", "DateForm", "Object", "IUnknownId"] {
            assert!(out.contains(form), "{form} missing in {out}");
        }
        assert!(out.contains("SafeArrayOf < 0 >"), "{out}");
        assert!(out.contains("ByValArray < :: marshal_core :: marshal :: Win32Bool >"), "{out}");
        assert!(out.contains("Nested"), "{out}");
        let utf8 = expand_str("#[marshal(charset = utf8)] struct S { a: Option<String> }").unwrap().to_string();
        assert!(utf8.contains("LpUtf8Str"), "{utf8}");
    }
}
