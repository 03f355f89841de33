//! One evaluator per family of vector lines. Each module exposes
//! `pub fn evaluate(line: &serde_json::Value) -> Outcome`, and [`evaluate`]
//! dispatches on the line's `section` (Mono files) or `kind` (Wine files).

use serde_json::Value;

use crate::outcome::Outcome;

pub mod bstr;
pub mod layout;
pub mod oleaut;
pub mod pinvoke;
pub mod safearray;
pub mod strings;
pub mod variant;

/// Evaluates one line with the family its `section` / `kind` names.
pub fn evaluate(line: &Value) -> Outcome {
    match crate::runner::family_of(line) {
        "layout" => layout::evaluate(line),
        "strings" => strings::evaluate(line),
        "bstr" => bstr::evaluate(line),
        "variant" => variant::evaluate(line),
        "change_type" | "format" | "parse" | "vartime" | "info" => oleaut::evaluate(line),
        "safearray" => safearray::evaluate(line),
        "pinvoke" => pinvoke::evaluate(line),
        family => Outcome::unsupported(format!("family `{family}` is not covered yet")),
    }
}

/// The keys of a line that describe its case in this family (inputs), beyond
/// the common ones every file shares: never compared as outputs.
pub fn input_keys(line: &Value) -> Vec<&'static str> {
    match crate::runner::family_of(line) {
        "layout" => layout::INPUTS.to_vec(),
        "strings" => strings::INPUTS.to_vec(),
        "variant" => vec!["input_hex24", "input_vt", "input_payload_is_pointer", "input_bstr_hex"],
        "pinvoke" | "safearray" if line.get("section").is_some() => vec!["MONO_COM"],
        "change_type" => vec!["lcid", "flags", "src_name", "dst_vt"],
        "format" => vec!["fn", "lcid", "flags"],
        "parse" => vec!["fn", "input_u16", "lcid"],
        "vartime" => match line.get("fn").and_then(Value::as_str) {
            Some("SystemTimeToVariantTime") => vec!["fn", "st"],
            _ => vec!["fn", "date"],
        },
        "bstr" => bstr::INPUTS.to_vec(),
        "info" => vec!["wine_version"],
        _ => Vec::new(),
    }
}
