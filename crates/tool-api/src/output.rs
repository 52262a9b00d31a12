//! [`ToolOutput`]: what a successful tool call returns to the model.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ToolError;

/// The result of a successful call: JSON (sent as a `json` content block) or
/// plain text (sent as a `text` block).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ToolOutput {
    /// Structured output; the model sees it as JSON.
    Json(Value),
    /// Free text.
    Text(String),
}

impl ToolOutput {
    /// Text output.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// JSON output from any serialisable value.
    ///
    /// A value that cannot be represented as JSON (a map with non-string keys,
    /// say) is a [`ToolError::Fatal`] naming the reason.
    pub fn json<T: Serialize>(value: &T) -> Result<Self, ToolError> {
        serde_json::to_value(value)
            .map(Self::Json)
            .map_err(|e| ToolError::fatal(format!("tool output is not representable as JSON: {e}")))
    }
}

impl From<Value> for ToolOutput {
    fn from(value: Value) -> Self {
        Self::Json(value)
    }
}

impl From<String> for ToolOutput {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&str> for ToolOutput {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}
