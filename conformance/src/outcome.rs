//! What a family evaluator returns for one vector line.

use serde_json::{Map, Value};

/// The engine's answer to one vector line.
///
/// A family evaluator rebuilds the line's case from its inputs alone (never from
/// its name), runs it on the engine and fills `outputs` with the engine's values
/// for the line's output fields, in the vector encoding (same keys, same shapes:
/// `"hex"` as lowercase hex, `{"t":"i32","v":5}` values, `"hr": "0x80020005"` …).
/// The runner then compares them with the recorded values under the line's
/// `authority` / `compare` / `expected` verdict.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Output fields the engine computed. A compared path the engine did not
    /// produce makes the line "not supported yet" (not a failure).
    pub outputs: Map<String, Value>,
    /// The engine refused the case with a typed error (its text). Lines with
    /// `expect_error: true` require this.
    pub engine_error: Option<String>,
    /// The engine cannot evaluate this kind of line yet: why. The line counts as
    /// "not supported yet" whatever `outputs` holds.
    pub unsupported: Option<String>,
}

impl Outcome {
    /// An outcome for a line the engine does not cover yet.
    pub fn unsupported(why: impl Into<String>) -> Outcome {
        Outcome { unsupported: Some(why.into()), ..Outcome::default() }
    }

    /// Records one output field.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.outputs.insert(key.to_string(), value.into());
    }
}
