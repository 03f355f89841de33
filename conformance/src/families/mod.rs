//! One evaluator per family of vector lines. Each module exposes
//! `pub fn evaluate(line: &serde_json::Value) -> Outcome`, and [`evaluate`]
//! dispatches on the line's `section` (Mono files) or `kind` (Wine files).

use serde_json::Value;

use crate::outcome::Outcome;

pub mod oleaut;
pub mod variant;

/// Evaluates one line with the family its `section` / `kind` names.
pub fn evaluate(line: &Value) -> Outcome {
    let family = line.get("section").or_else(|| line.get("kind")).and_then(Value::as_str).unwrap_or("");
    match family {
        "variant" => variant::evaluate(line),
        "change_type" | "format" | "parse" | "vartime" | "info" => oleaut::evaluate(line),
        _ => Outcome::unsupported(format!("family `{family}` is not covered yet")),
    }
}
