//! [`ModelRequest`]: what the agent asks the model.

use serde::{Deserialize, Serialize};
use tool_api::ToolSpec;

use crate::Message;

/// Sampling settings sent with every request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferenceConfig {
    /// Most tokens the model may write in one response.
    pub max_tokens: u32,
    /// Sampling temperature, if set.
    pub temperature: Option<f32>,
    /// Nucleus sampling, if set.
    pub top_p: Option<f32>,
    /// Sequences that end the response.
    pub stop_sequences: Vec<String>,
    /// Extended thinking, if on: the model reasons (in reasoning blocks)
    /// before it answers. See [`crate::model::constraints`] for the rules
    /// it comes with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Thinking>,
}

/// Extended thinking: how many tokens the model may spend reasoning before
/// it answers, per response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thinking {
    /// The reasoning budget: at least [`Thinking::MIN_BUDGET`] and below
    /// `max_tokens` (the budget is part of them).
    pub budget_tokens: u32,
}

impl Thinking {
    /// The smallest budget the services take.
    pub const MIN_BUDGET: u32 = 1024;

    /// Thinking with `budget_tokens` of reasoning.
    pub fn budget(budget_tokens: u32) -> Self {
        Self { budget_tokens }
    }
}

impl Default for InferenceConfig {
    /// 4000 max tokens, as the reference work uses; the rest unset.
    fn default() -> Self {
        Self {
            max_tokens: 4000,
            temperature: None,
            top_p: None,
            stop_sequences: Vec::new(),
            thinking: None,
        }
    }
}

/// One model call: the system prompt, the conversation so far, the tools on
/// offer and the sampling settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRequest {
    /// Instructions for the model, if any.
    pub system: Option<String>,
    /// The conversation, starting with a user message, roles alternating.
    pub messages: Vec<Message>,
    /// The tools the model may call (normalised specs, stable order).
    pub tools: Vec<ToolSpec>,
    /// Sampling settings.
    pub inference: InferenceConfig,
}
