//! The Messages API's JSON, as it crosses the wire: requests, responses,
//! stream events and errors, as the client writes and reads it (the local
//! server has its own, in `mock/wire.rs`).
//!
//! Field order follows Anthropic's documentation and is kept when
//! serialised; tool inputs and schemas are passed through as JSON values,
//! key order and numbers untouched.

use agent_core::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/messages` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesRequest {
    /// The model id, e.g. `claude-sonnet-4-5`.
    #[serde(default)]
    pub model: String,
    /// Most tokens the model may write.
    #[serde(default)]
    pub max_tokens: u32,
    /// The system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemPrompt>,
    /// The conversation.
    #[serde(default)]
    pub messages: Vec<WireMessage>,
    /// Tools on offer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<WireTool>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// Sequences that end the response.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
    /// Whether the model must call a tool: `{"type": "auto" | "any"}` or
    /// `{"type": "tool", "name": NAME}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<serde_json::Value>,
    /// Stream the response as server-sent events.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stream: bool,
    /// Extended thinking: `{"type": "enabled", "budget_tokens": N}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Value>,
}

/// `POST /v1/messages/count_tokens` body: a Messages request without the
/// sampling settings, which the endpoint refuses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountTokensRequest {
    /// The model id.
    pub model: String,
    /// The system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemPrompt>,
    /// The conversation.
    pub messages: Vec<WireMessage>,
    /// Tools on offer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<WireTool>,
}

impl From<MessagesRequest> for CountTokensRequest {
    fn from(r: MessagesRequest) -> Self {
        Self {
            model: r.model,
            system: r.system,
            messages: r.messages,
            tools: r.tools,
        }
    }
}

/// The count endpoint's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountTokensResponse {
    /// Input tokens of the request.
    pub input_tokens: u64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The system prompt: a string, or text blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SystemPrompt {
    /// Plain text.
    Text(String),
    /// Text blocks (other block types are ignored).
    Blocks(Vec<Block>),
}

impl SystemPrompt {
    /// The prompt's text.
    pub fn text(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Blocks(blocks) => blocks_text(blocks),
        }
    }
}

/// One message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireMessage {
    /// `user` or `assistant`.
    pub role: Role,
    /// A string (one text block) or blocks.
    pub content: MessageContent,
}

/// A message's content: a string is shorthand for one text block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// One text block.
    Text(String),
    /// Blocks.
    Blocks(Vec<Block>),
}

impl MessageContent {
    /// The content as blocks.
    pub fn blocks(&self) -> Vec<Block> {
        match self {
            Self::Text(t) => vec![Block::Text { text: t.clone() }],
            Self::Blocks(b) => b.clone(),
        }
    }
}

/// A content block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// The model asks for a tool call.
    ToolUse {
        /// The call's id (`toolu_...`).
        id: String,
        /// The tool.
        name: String,
        /// The input object.
        input: Value,
    },
    /// The answer to a tool call.
    ToolResult {
        /// The id of the `tool_use` it answers.
        tool_use_id: String,
        /// The result: a string or text blocks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<ToolResultBody>,
        /// Whether the call failed.
        #[serde(default, skip_serializing_if = "is_false")]
        is_error: bool,
    },
    /// The model's reasoning, signed.
    Thinking {
        /// The reasoning text.
        thinking: String,
        /// The API's signature over it, sent back unchanged.
        #[serde(default)]
        signature: String,
    },
    /// Reasoning the API encrypted: an opaque string, sent back unchanged.
    RedactedThinking {
        /// The encrypted reasoning.
        data: String,
    },
    /// An image.
    Image {
        /// Its bytes.
        source: MediaSourceWire,
    },
    /// A document (PDF or plain text).
    Document {
        /// Its bytes.
        source: MediaSourceWire,
        /// The name the model sees.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// A block this client does not use (server tools...).
    #[serde(other)]
    Other,
}

/// The source of an image or document: base64 bytes, or plain text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MediaSourceWire {
    /// Base64 bytes of a media type.
    Base64 {
        /// `image/png`, `application/pdf`...
        media_type: String,
        /// The bytes, base64.
        data: String,
    },
    /// A plain-text document.
    Text {
        /// `text/plain`.
        media_type: String,
        /// The text.
        data: String,
    },
}

/// A tool result's content: a string or blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolResultBody {
    /// Plain text.
    Text(String),
    /// Blocks (text ones are read).
    Blocks(Vec<Block>),
}

impl ToolResultBody {
    /// The text of the result.
    pub fn text(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Blocks(blocks) => blocks_text(blocks),
        }
    }
}

fn blocks_text(blocks: &[Block]) -> String {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A tool definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireTool {
    /// Its name, `^[a-zA-Z0-9_-]{1,128}$`.
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// JSON Schema of its input (an object schema).
    pub input_schema: Value,
}

/// A whole (non-streamed) response, also the `message` of `message_start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesResponse {
    /// The message id (`msg_...`).
    pub id: String,
    /// Always `message`.
    #[serde(rename = "type", default = "message_type")]
    pub kind: String,
    /// Always `assistant`.
    pub role: Role,
    /// The blocks.
    #[serde(default)]
    pub content: Vec<Block>,
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// `end_turn`, `tool_use`, `max_tokens`, `stop_sequence`, `refusal`,
    /// `pause_turn`; `null` in `message_start`.
    pub stop_reason: Option<String>,
    /// The stop sequence that ended the response, if one did.
    #[serde(default)]
    pub stop_sequence: Option<String>,
    /// Tokens used.
    #[serde(default)]
    pub usage: WireUsage,
}

fn message_type() -> String {
    "message".into()
}

/// Token usage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireUsage {
    /// Input tokens not read from or written to the cache.
    #[serde(default)]
    pub input_tokens: u64,
    /// Tokens written.
    #[serde(default)]
    pub output_tokens: u64,
    /// Input tokens written to the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    /// Input tokens read from the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Every input token, cached or not: the prompt's size.
    pub fn total_input(&self) -> u64 {
        self.input_tokens
            + self.cache_creation_input_tokens.unwrap_or(0)
            + self.cache_read_input_tokens.unwrap_or(0)
    }
}

/// One server-sent event's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The response starts; `message` has no content yet.
    MessageStart {
        /// The message so far.
        message: MessagesResponse,
    },
    /// A block opens.
    ContentBlockStart {
        /// Its index.
        index: usize,
        /// The block, empty (`text: ""`, `input: {}`).
        content_block: Block,
    },
    /// A piece of a block.
    ContentBlockDelta {
        /// The block's index.
        index: usize,
        /// The piece.
        delta: Delta,
    },
    /// A block is complete.
    ContentBlockStop {
        /// Its index.
        index: usize,
    },
    /// Top-level changes: the stop reason and the final output tokens.
    MessageDelta {
        /// The changes.
        delta: MessageDeltaBody,
        /// Cumulative usage.
        #[serde(default)]
        usage: DeltaUsage,
    },
    /// The response is complete.
    MessageStop,
    /// Keep-alive.
    Ping,
    /// An error mid-stream (`overloaded_error`, say).
    Error {
        /// The error.
        error: ErrorDetail,
    },
    /// An event this client does not know (new types may be added).
    #[serde(other)]
    Unknown,
}

/// A block delta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Delta {
    /// More text.
    TextDelta {
        /// The text.
        text: String,
    },
    /// More of a tool input's JSON text.
    InputJsonDelta {
        /// The piece.
        partial_json: String,
    },
    /// More reasoning text.
    ThinkingDelta {
        /// The text.
        thinking: String,
    },
    /// The reasoning block's signature.
    SignatureDelta {
        /// The signature.
        signature: String,
    },
    /// A delta this client does not use (citations...).
    #[serde(other)]
    Other,
}

/// The body of `message_delta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageDeltaBody {
    /// Why the model stopped.
    #[serde(default)]
    pub stop_reason: Option<String>,
    /// The stop sequence hit, if any.
    #[serde(default)]
    pub stop_sequence: Option<String>,
}

/// The usage of `message_delta` (cumulative).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaUsage {
    /// Tokens written so far.
    #[serde(default)]
    pub output_tokens: u64,
    /// Input tokens, when the service repeats them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
}

/// An error response body (and the `error` stream event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Always `error`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The error.
    pub error: ErrorDetail,
    /// The request id, when the service includes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// An error's type and message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `invalid_request_error`, `authentication_error`, `permission_error`,
    /// `not_found_error`, `request_too_large`, `rate_limit_error`,
    /// `api_error`, `overloaded_error`...
    #[serde(rename = "type")]
    pub kind: String,
    /// What went wrong, for people.
    pub message: String,
}
