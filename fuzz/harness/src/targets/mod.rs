//! One module per fuzz target; each has `run(data: &[u8])`, the whole body of its cargo-fuzz target.

pub mod bstr_raw;
pub mod dispatch_invoke;
pub mod pinvoke_signature;
pub mod safearray_header;
pub mod safearray_raw;
pub mod strings_decode;
pub mod struct_from_native;
pub mod variant_change_type;
pub mod variant_raw;
pub mod variant_text;

/// The body of a fuzz target: one input, panicking on a broken invariant.
pub type Body = fn(&[u8]);

/// Every target of this crate by name, with its body.
pub const ALL: [(&str, Body); 10] = [
    ("bstr_raw", bstr_raw::run),
    ("strings_decode", strings_decode::run),
    ("variant_raw", variant_raw::run),
    ("variant_change_type", variant_change_type::run),
    ("variant_text", variant_text::run),
    ("safearray_header", safearray_header::run),
    ("safearray_raw", safearray_raw::run),
    ("struct_from_native", struct_from_native::run),
    ("pinvoke_signature", pinvoke_signature::run),
    ("dispatch_invoke", dispatch_invoke::run),
];

/// The body of the target called `name`.
pub fn by_name(name: &str) -> Option<Body> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
