//! The backend-neutral conversation: [`Message`]s of [`ContentBlock`]s.
//!
//! Shaped after the Converse API's content blocks because they carry the most
//! (text, tool use, tool result with status), and every backend maps onto
//! them: the Anthropic Messages API one to one, OpenAI Chat Completions by
//! splitting a user message of N tool results into N `tool` messages.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// A prompt cache point: the conversation up to here may be cached
    /// (see [`crate::CachePoint`]).
    CachePoint(crate::CachePoint),
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
}

impl From<tool_api::ToolOutput> for ToolResultContent {
    fn from(out: tool_api::ToolOutput) -> Self {
        match out {
            tool_api::ToolOutput::Json(v) => Self::Json(v),
            tool_api::ToolOutput::Text(t) => Self::Text(t),
        }
    }
}
