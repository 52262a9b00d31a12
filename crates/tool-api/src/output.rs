//! [`ToolOutput`]: what a successful tool call returns to the model.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ToolError;
use crate::media::{Blob, Document, Image, MediaError};

/// The result of a successful call: JSON (sent as a `json` content block),
/// plain text (sent as a `text` block), or several [`OutputPart`]s together
/// (text, JSON, images, documents, in order: a chart with its caption, a
/// page with its screenshot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ToolOutput {
    /// Structured output; the model sees it as JSON.
    Json(Value),
    /// Free text.
    Text(String),
    /// Several parts, in order.
    Parts(Vec<OutputPart>),
}

/// One part of a [`ToolOutput::Parts`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum OutputPart {
    /// Structured output.
    Json(Value),
    /// Free text.
    Text(String),
    /// An image (on the wire its bytes are base64).
    Image(Image),
    /// A document.
    Document(Document),
}

impl OutputPart {
    /// The part as text for a reader that has no place for images or
    /// documents (an older plugin host, a log): a short label for those.
    pub fn to_text(&self) -> String {
        match self {
            Self::Json(v) => v.to_string(),
            Self::Text(t) => t.clone(),
            Self::Image(i) => format!("[{} image]", i.format.as_str()),
            Self::Document(d) => format!("[{} document {:?}]", d.format.as_str(), d.name),
        }
    }
}

impl ToolOutput {
    /// An image of `bytes` (PNG, JPEG, GIF or WebP, told from the bytes).
    ///
    /// ```
    /// use tool_api::ToolOutput;
    /// let out = ToolOutput::image(b"GIF89a...".to_vec()).unwrap();
    /// assert!(matches!(out, ToolOutput::Parts(_)));
    /// ```
    pub fn image(bytes: impl Into<Blob>) -> Result<Self, MediaError> {
        Ok(Self::Parts(vec![OutputPart::Image(Image::from_bytes(
            bytes,
        )?)]))
    }

    /// Several parts together, in order.
    pub fn parts(parts: impl IntoIterator<Item = OutputPart>) -> Self {
        Self::Parts(parts.into_iter().collect())
    }

    /// The output's parts, in order (one for text or JSON).
    pub fn into_parts(self) -> Vec<OutputPart> {
        match self {
            Self::Json(v) => vec![OutputPart::Json(v)],
            Self::Text(t) => vec![OutputPart::Text(t)],
            Self::Parts(parts) => parts,
        }
    }

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
