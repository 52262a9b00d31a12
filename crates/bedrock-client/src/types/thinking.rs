//! Extended thinking → Converse's `additionalModelRequestFields`: the
//! `thinking` object, and interleaved thinking's beta flag on the models
//! that have it.

use agent_core::InferenceConfig;
use serde_json::{Map, Value, json};

/// The beta flag that lets Claude 4 models think between tool calls.
pub const INTERLEAVED_THINKING_BETA: &str = "interleaved-thinking-2025-05-14";

/// Whether `model_id` (a model or inference-profile id) is a Claude 4
/// model, which thinks between tool calls with [`INTERLEAVED_THINKING_BETA`].
/// Claude 3.7 Sonnet thinks, but only before its first tool call.
pub fn supports_interleaved_thinking(model_id: &str) -> bool {
    ["claude-sonnet-4", "claude-opus-4", "claude-haiku-4"]
        .iter()
        .any(|family| model_id.contains(family))
}

/// The additional request fields for `inference` on `model_id`, if any:
/// `{"thinking": {"type": "enabled", "budget_tokens": N}}`, plus
/// `"anthropic_beta": ["interleaved-thinking-2025-05-14"]` on Claude 4.
/// Key order fixed (the backend sends these bytes exactly).
///
/// ```
/// use agent_core::{InferenceConfig, Thinking};
/// use bedrock_client::types::thinking::additional_fields;
///
/// let inference = InferenceConfig { thinking: Some(Thinking::budget(2048)), ..Default::default() };
/// let fields = additional_fields(&inference, "us.anthropic.claude-sonnet-4-20250514-v1:0").unwrap();
/// assert_eq!(
///     fields.to_string(),
///     r#"{"thinking":{"type":"enabled","budget_tokens":2048},"anthropic_beta":["interleaved-thinking-2025-05-14"]}"#
/// );
/// ```
pub fn additional_fields(inference: &InferenceConfig, model_id: &str) -> Option<Value> {
    let thinking = inference.thinking?;
    let mut fields = Map::new();
    fields.insert(
        "thinking".into(),
        json!({ "type": "enabled", "budget_tokens": thinking.budget_tokens }),
    );
    if supports_interleaved_thinking(model_id) {
        fields.insert("anthropic_beta".into(), json!([INTERLEAVED_THINKING_BETA]));
    }
    Some(Value::Object(fields))
}

#[cfg(test)]
mod tests {
    use agent_core::Thinking;

    use super::*;

    #[test]
    fn interleaved_only_on_claude_4() {
        let inference = InferenceConfig {
            thinking: Some(Thinking::budget(1024)),
            ..InferenceConfig::default()
        };
        let old = additional_fields(&inference, "us.anthropic.claude-3-7-sonnet-20250219-v1:0");
        assert_eq!(
            old,
            Some(json!({"thinking": {"type": "enabled", "budget_tokens": 1024}}))
        );
        assert!(additional_fields(&InferenceConfig::default(), "x").is_none());
        assert!(supports_interleaved_thinking(
            "anthropic.claude-opus-4-1-20250805-v1:0"
        ));
    }
}
