//! [`ModelResponse`]: the model's answer to one request.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Message;

/// Why the model stopped writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The answer is complete.
    EndTurn,
    /// The model asks for the tool calls in its message.
    ToolUse,
    /// The response hit `max_tokens`; it may be cut mid-block.
    MaxTokens,
    /// A stop sequence ended the response.
    StopSequence,
    /// A guardrail stopped the response.
    GuardrailIntervened,
    /// The service filtered the content.
    ContentFiltered,
    /// A reason this version does not know, as the service named it.
    Unknown(String),
}

/// Tokens used by a call.
///
/// With prompt caching the prompt splits three ways, each billed at its own
/// price: `input_tokens` (full price: neither read from nor written to the
/// cache), `cache_read_input_tokens` (a fraction of it) and
/// `cache_write_input_tokens` (a premium), as Bedrock and the Messages API
/// report them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens billed at full price (not read from the cache, not
    /// written to it).
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
    /// Prompt tokens read from the prompt cache.
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    /// Prompt tokens written to the prompt cache.
    #[serde(default)]
    pub cache_write_input_tokens: u64,
}

impl Usage {
    /// Every prompt token, whatever its price: full-price, cache reads and
    /// cache writes.
    pub fn total_input_tokens(&self) -> u64 {
        self.input_tokens + self.cache_read_input_tokens + self.cache_write_input_tokens
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, rhs: Self) {
        self.input_tokens += rhs.input_tokens;
        self.output_tokens += rhs.output_tokens;
        self.cache_read_input_tokens += rhs.cache_read_input_tokens;
        self.cache_write_input_tokens += rhs.cache_write_input_tokens;
    }
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelResponse {
    /// The assistant message.
    pub message: Message,
    /// Why it stopped.
    pub stop_reason: StopReason,
    /// Tokens used.
    pub usage: Usage,
    /// The latency the service reported, or else the measured one.
    pub latency: Duration,
    /// The model-specific response fields asked for with
    /// [`crate::ModelRequest::response_field_paths`] (Bedrock's
    /// `additionalModelResponseFields`), as the service returned them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_fields: Option<serde_json::Value>,
}
