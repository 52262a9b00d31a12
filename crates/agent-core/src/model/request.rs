//! [`ModelRequest`]: what the agent asks the model.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tool_api::ToolSpec;

use crate::{CacheSettings, Guardrail, Message, OutputFormat, ToolChoice};

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
/// offer, the sampling settings and the request options (tool choice,
/// caching, guardrail, pass-through fields), which default to none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelRequest {
    /// Instructions for the model, if any.
    pub system: Option<String>,
    /// The conversation, starting with a user message, roles alternating.
    pub messages: Vec<Message>,
    /// The tools the model may call (normalised specs, stable order).
    pub tools: Vec<ToolSpec>,
    /// Sampling settings.
    pub inference: InferenceConfig,
    /// Whether the model must call a tool; `None`: the service's default
    /// (the model decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Automatic prompt caching ([`ModelRequest::cache_plan`]); `None`: no
    /// cache points besides those in the messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheSettings>,
    /// A guardrail to apply (Bedrock only; other backends refuse it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<Guardrail>,
    /// Model-specific request fields passed through as they are (Bedrock's
    /// `additionalModelRequestFields`), for features not modelled yet.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub model_fields: Map<String, Value>,
    /// JSON pointers of model-specific response fields to return (Bedrock's
    /// `additionalModelResponseFieldPaths`); they come back in
    /// [`crate::ModelResponse::model_fields`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_field_paths: Vec<String>,
    /// Native structured output: the final text must be JSON valid against
    /// this schema. Set by the agent loop only for a backend whose
    /// [`crate::ModelBackend::native_structured_output`] is true; others
    /// get an output tool instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<OutputFormat>,
}

impl ModelRequest {
    /// The model-specific request fields to send: `runtime` (the fields the
    /// runtime writes itself, such as a thinking budget) with
    /// [`ModelRequest::model_fields`] over them: for the same key the
    /// caller's explicit field wins, so a model feature can be tuned beyond
    /// what the runtime models (docs/BEDROCK.md, "Pass-through fields").
    pub fn merged_model_fields(&self, mut runtime: Map<String, Value>) -> Map<String, Value> {
        for (key, value) in &self.model_fields {
            runtime.insert(key.clone(), value.clone());
        }
        runtime
    }

    /// Refuses the options only Bedrock's Converse API carries (a
    /// guardrail, pass-through request fields, response field paths), with
    /// an error naming `backend`: a backend whose protocol cannot carry them
    /// calls this first, so a flag is never dropped silently.
    pub fn refuse_bedrock_only_options(&self, backend: &str) -> Result<(), crate::ModelError> {
        let refused = if self.guardrail.is_some() {
            Some("guardrails (--guardrail)")
        } else if !self.model_fields.is_empty() {
            Some("additional model request fields (--model-field)")
        } else if !self.response_field_paths.is_empty() {
            Some("additional model response field paths (--response-field)")
        } else {
            None
        };
        match refused {
            Some(what) => Err(crate::ModelError::new(
                crate::ModelErrorKind::Validation,
                format!(
                    "the {backend} backend cannot carry {what}: only the bedrock backend \
                     (Converse API) has them"
                ),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn explicit_model_fields_win_over_the_runtimes() {
        let mut request = ModelRequest::default();
        request
            .model_fields
            .insert("thinking".into(), json!({"type": "disabled"}));
        let mut runtime = Map::new();
        runtime.insert(
            "thinking".into(),
            json!({"type": "enabled", "budget_tokens": 2048}),
        );
        runtime.insert("anthropic_beta".into(), json!(["x"]));
        let merged = request.merged_model_fields(runtime);
        assert_eq!(merged["thinking"], json!({"type": "disabled"}));
        assert_eq!(merged["anthropic_beta"], json!(["x"]));
    }

    #[test]
    fn bedrock_only_options_are_refused_naming_the_backend() {
        let request = ModelRequest {
            guardrail: Some(Guardrail::parse("gr").unwrap()),
            ..ModelRequest::default()
        };
        let e = request.refuse_bedrock_only_options("openai").unwrap_err();
        assert!(
            e.message
                .contains("the openai backend cannot carry guardrails"),
            "{e}"
        );
        assert!(
            ModelRequest::default()
                .refuse_bedrock_only_options("openai")
                .is_ok()
        );
    }
}
