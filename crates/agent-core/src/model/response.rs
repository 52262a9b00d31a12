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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, rhs: Self) {
        self.input_tokens += rhs.input_tokens;
        self.output_tokens += rhs.output_tokens;
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
}
