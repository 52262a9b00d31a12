//! The backend-neutral conversation: [`Message`]s of [`ContentBlock`]s.
//!
//! Shaped after the Converse API's content blocks because they carry the most
//! (text, tool use, tool result with status), and every backend maps onto
//! them: the Anthropic Messages API one to one, OpenAI Chat Completions by
//! splitting a user message of N tool results into N `tool` messages.
//!
//! Reasoning blocks are kept byte for byte as the service sent them: the
//! service checks their signature when they come back, and a changed byte
//! fails the next call. Images and documents are `tool_api`'s types, so a
//! tool's image reaches the model unconverted.
//!
//! # Compatibility
//!
//! Journals written before a variant existed still read: variants were only
//! added, never renamed, and new fields are optional.

use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use tool_api::{Blob, Document, DocumentFormat, Image, ImageFormat, MediaSource};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user, or the runtime answering tool calls on the user's behalf.
    User,
    /// The model.
    Assistant,
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its blocks, in order.
    pub content: Vec<ContentBlock>,
}

impl Message {
    /// A user message of one text block.
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: vec![ContentBlock::Text { text: text.into() }],
        }
    }

    /// An assistant message of one text block.
    pub fn assistant(text: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: vec![ContentBlock::Text { text: text.into() }],
        }
    }

    /// The reasoning text blocks, joined (redacted reasoning has none).
    pub fn reasoning(&self) -> String {
        self.content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Reasoning(r) => Some(r.text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The text blocks, joined.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The tool calls the message asks for, in order.
    pub fn tool_uses(&self) -> impl Iterator<Item = &ToolUse> {
        self.content.iter().filter_map(|b| match b {
            ContentBlock::ToolUse(u) => Some(u),
            _ => None,
        })
    }
}

/// A block of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// The model asks for a tool call.
    ToolUse(ToolUse),
    /// The answer to a tool call.
    ToolResult(ToolResult),
    /// The model's reasoning before it answers (extended thinking), with
    /// the signature the service checks when it is sent back.
    Reasoning(Reasoning),
    /// Reasoning the service's safety systems encrypted: opaque bytes, sent
    /// back unchanged.
    RedactedReasoning {
        /// The encrypted reasoning (base64 in JSON).
        data: Blob,
    },
    /// An image (user messages).
    Image(Image),
    /// A document (user messages).
    Document(Document),
    /// A prompt cache point: the conversation up to here may be cached
    /// (see [`crate::CachePoint`]).
    CachePoint(crate::CachePoint),
}

/// Reasoning text as the model wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reasoning {
    /// The reasoning.
    pub text: String,
    /// The service's signature over it; the service refuses reasoning
    /// sent back without it (or changed) in a tool-use round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl ContentBlock {
    /// Whether the block is reasoning, plain or redacted.
    pub fn is_reasoning(&self) -> bool {
        matches!(self, Self::Reasoning(_) | Self::RedactedReasoning { .. })
    }
}

/// A tool call the model asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolUse {
    /// The model's id for the call; its result carries the same id.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The input, as JSON (an object when the model follows the schema).
    pub input: Value,
}

/// Whether a tool call succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolResultStatus {
    /// The tool succeeded.
    Success,
    /// The tool failed; the content says why.
    Error,
}

/// The answer to one [`ToolUse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The id of the [`ToolUse`] this answers.
    pub tool_use_id: String,
    /// What the tool returned, or the error message.
    pub content: Vec<ToolResultContent>,
    /// Success or error.
    pub status: ToolResultStatus,
}

impl ToolResult {
    /// A successful result.
    pub fn success(tool_use_id: impl Into<String>, content: ToolResultContent) -> Self {
        Self {
            tool_use_id: tool_use_id.into(),
            content: vec![content],
            status: ToolResultStatus::Success,
        }
    }

    /// The successful result of a tool's `output`, each of its parts a
    /// block (text, JSON, images, documents).
    pub fn from_output(tool_use_id: impl Into<String>, output: tool_api::ToolOutput) -> Self {
        Self {
            tool_use_id: tool_use_id.into(),
            content: output
                .into_parts()
                .into_iter()
                .map(ToolResultContent::from)
                .collect(),
            status: ToolResultStatus::Success,
        }
    }

    /// An error result with a message for the model.
    pub fn error(tool_use_id: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            tool_use_id: tool_use_id.into(),
            content: vec![ToolResultContent::Text(message.into())],
            status: ToolResultStatus::Error,
        }
    }

    /// Whether the call failed.
    pub fn is_error(&self) -> bool {
        self.status == ToolResultStatus::Error
    }
}

/// One block of a tool result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ToolResultContent {
    /// Structured output.
    Json(Value),
    /// Text.
    Text(String),
    /// An image.
    Image(Image),
    /// A document.
    Document(Document),
}

impl ToolResultContent {
    /// The content as text, for people and logs: text as is, JSON as its
    /// text, an image or a document as a short label (`[png image, 120
    /// bytes]`), never its bytes.
    pub fn to_text(&self) -> String {
        let size = |s: &MediaSource| match s {
            MediaSource::Bytes(b) => format!("{} bytes", b.len()),
            MediaSource::S3 { uri, .. } => uri.clone(),
        };
        match self {
            Self::Text(t) => t.clone(),
            Self::Json(v) => v.to_string(),
            Self::Image(i) => format!("[{} image, {}]", i.format.as_str(), size(&i.source)),
            Self::Document(d) => format!(
                "[{} document {:?}, {}]",
                d.format.as_str(),
                d.name,
                size(&d.source)
            ),
        }
    }
}

impl From<tool_api::OutputPart> for ToolResultContent {
    fn from(part: tool_api::OutputPart) -> Self {
        match part {
            tool_api::OutputPart::Json(v) => Self::Json(v),
            tool_api::OutputPart::Text(t) => Self::Text(t),
            tool_api::OutputPart::Image(i) => Self::Image(i),
            tool_api::OutputPart::Document(d) => Self::Document(d),
        }
    }
}

impl From<tool_api::ToolOutput> for ToolResultContent {
    /// Text or JSON output as its one block; several parts as their text
    /// (use [`ToolResult::from_output`], which keeps every part as its own
    /// block).
    fn from(out: tool_api::ToolOutput) -> Self {
        match out {
            tool_api::ToolOutput::Json(v) => Self::Json(v),
            tool_api::ToolOutput::Text(t) => Self::Text(t),
            tool_api::ToolOutput::Parts(parts) => Self::Text(
                parts
                    .iter()
                    .map(tool_api::OutputPart::to_text)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Entries journaled before reasoning and media existed read as before.
    #[test]
    fn old_journal_entries_still_read() {
        let old = json!({"role": "user", "content": [
            {"type": "text", "text": "hi"},
            {"type": "tool_result", "tool_use_id": "t1", "status": "success",
             "content": [{"type": "json", "value": {"a": 1}}, {"type": "text", "value": "x"}]}
        ]});
        let m: Message = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(serde_json::to_value(&m).unwrap(), old);
    }

    #[test]
    fn reasoning_and_media_round_trip() {
        let m = Message {
            role: Role::Assistant,
            content: vec![
                ContentBlock::Reasoning(Reasoning {
                    text: "think \u{1F914}\n".into(),
                    signature: Some("c2ln".into()),
                }),
                ContentBlock::RedactedReasoning {
                    data: Blob::from(vec![1u8, 2, 3]),
                },
                ContentBlock::Image(Image::from_bytes(b"GIF89a".to_vec()).unwrap()),
                ContentBlock::Document(Document::from_bytes("a.md", b"# A".to_vec()).unwrap()),
            ],
        };
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(
            v["content"][1],
            json!({"type": "redacted_reasoning", "data": "AQID"})
        );
        assert_eq!(v["content"][2]["type"], "image");
        assert_eq!(serde_json::from_value::<Message>(v).unwrap(), m);
        assert_eq!(m.reasoning(), "think \u{1F914}\n");
        assert_eq!(m.text(), "");
    }
}
