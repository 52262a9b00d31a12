//! [`OutputFormat`]: the shape a model's final text must have, for
//! backends whose service constrains output natively.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A JSON Schema the model's final text must be a JSON value valid
/// against, carried by [`crate::ModelRequest::output_format`].
///
/// The agent loop sets it only for a backend that says it has native
/// structured output ([`crate::ModelBackend::native_structured_output`]):
/// such a backend sends it as the service's own setting (OpenAI's
/// `response_format` with a `json_schema`), and the loop reads the final
/// text as the value. Every other backend gets the output tool instead
/// (`agent/structured.rs`) and never sees this field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputFormat {
    /// A name for the schema (letters, digits, `_` and `-`, at most 64),
    /// as services that name schemas ask.
    pub name: String,
    /// The normalised JSON Schema; its root is an object.
    pub schema: Value,
}
