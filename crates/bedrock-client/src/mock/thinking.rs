//! Extended thinking as the service plays it: the `thinking` request field
//! and its rules, signed reasoning in the answers, and the check that a
//! tool-use round sends the signed reasoning back first and unchanged.
//!
//! The signature is a keyed hash of the reasoning text (the server's key,
//! never sent), so a changed byte of the text, or a made-up signature, is
//! found exactly as the service finds it.

use agent_core::{ContentBlock, ModelRequest, ModelResponse, Role, Thinking};
use serde_json::Value;

/// The server's signing key.
const KEY: &str = "mock-converse-reasoning-key";

/// The prefix the service puts before the model's own validation errors.
const MODEL_ERRORS: &str = "The model returned the following errors: ";

/// The signature of `text` under this server's key.
pub(crate) fn sign(text: &str) -> String {
    mock_support::reasoning::sign(KEY, text)
}

/// Reads and checks `thinking` and `anthropic_beta` of the additional
/// fields (`request` holds the rest of the request), with the service's
/// words for what it refuses: the thinking asked for, if any.
pub(crate) fn read_fields(
    fields: Option<&Value>,
    request: &ModelRequest,
) -> Result<Option<Thinking>, String> {
    let Some(fields) = fields else {
        return Ok(None);
    };
    if let Some(betas) = fields.get("anthropic_beta") {
        let ok = betas
            .as_array()
            .is_some_and(|b| b.iter().all(|v| v.as_str().is_some()));
        if !ok {
            return Err(format!(
                "{MODEL_ERRORS}anthropic_beta: Input should be a valid list of strings"
            ));
        }
    }
    let Some(thinking) = fields.get("thinking") else {
        return Ok(None);
    };
    match thinking.get("type").and_then(Value::as_str) {
        Some("disabled") => return Ok(None),
        Some("enabled") => {}
        _ => {
            return Err(format!(
                "{MODEL_ERRORS}thinking: Input tag does not match any of the expected tags: \
                 'enabled', 'disabled'"
            ));
        }
    }
    let Some(budget) = thinking.get("budget_tokens").and_then(Value::as_u64) else {
        return Err(format!(
            "{MODEL_ERRORS}thinking.enabled.budget_tokens: Field required"
        ));
    };
    if budget < 1024 {
        return Err(format!(
            "{MODEL_ERRORS}thinking.enabled.budget_tokens: Input should be greater than or equal \
             to 1024"
        ));
    }
    if u64::from(request.inference.max_tokens) <= budget {
        return Err(format!(
            "{MODEL_ERRORS}`max_tokens` must be greater than `thinking.budget_tokens`. Please \
             consult our documentation at \
             https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
        ));
    }
    if request.inference.temperature.is_some_and(|t| t != 1.0) {
        return Err(format!(
            "{MODEL_ERRORS}`temperature` may only be set to 1 when thinking is enabled. Please \
             consult our documentation at \
             https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
        ));
    }
    Ok(Some(Thinking::budget(
        u32::try_from(budget).unwrap_or(u32::MAX),
    )))
}

/// The service's checks of reasoning sent back: every reasoning block of
/// an assistant message carries the signature of its text; with thinking
/// on, the last assistant message of a tool-use round (the one whose tool
/// uses the last user message answers) starts with reasoning.
pub(crate) fn check_reasoning(request: &ModelRequest) -> Result<(), String> {
    for (n, message) in request.messages.iter().enumerate() {
        for (b, block) in message.content.iter().enumerate() {
            if let ContentBlock::Reasoning(r) = block
                && r.signature.as_deref() != Some(sign(&r.text).as_str())
            {
                return Err(format!(
                    "{MODEL_ERRORS}messages.{n}.content.{b}: Invalid `signature` in `thinking` block"
                ));
            }
        }
    }
    if request.inference.thinking.is_none() {
        return Ok(());
    }
    let [.., assistant, last] = &request.messages[..] else {
        return Ok(());
    };
    let in_tool_round = last.role == Role::User
        && last
            .content
            .iter()
            .any(|b| matches!(b, ContentBlock::ToolResult(_)));
    if !in_tool_round || assistant.role != Role::Assistant {
        return Ok(());
    }
    match assistant.content.first() {
        Some(b) if b.is_reasoning() => Ok(()),
        first => {
            let found = match first {
                Some(ContentBlock::Text { .. }) => "text",
                Some(ContentBlock::ToolUse(_)) => "tool_use",
                _ => "other",
            };
            Err(format!(
                "{MODEL_ERRORS}messages.{}.content.0.type: Expected `thinking` or \
                 `redacted_thinking`, but found `{found}`. When `thinking` is enabled, a final \
                 `assistant` message must start with a thinking block (preceeding the lastmost \
                 set of `tool_use` and `tool_result` blocks). We recommend you include thinking \
                 blocks from previous turns. To avoid this requirement, disable `thinking`. \
                 Please consult our documentation at \
                 https://docs.claude.com/en/docs/build-with-claude/extended-thinking",
                request.messages.len() - 2
            ))
        }
    }
}

/// The reasoning the scripted model "writes" before its answer when
/// thinking is on: deterministic, signed, with the spacing and characters a
/// careless client would change (a double space, a newline, non-ASCII).
pub(crate) fn add_reasoning(response: &mut ModelResponse, request: &ModelRequest) {
    mock_support::reasoning::add_reasoning(KEY, response, request);
}

#[cfg(test)]
mod tests {
    use agent_core::{InferenceConfig, Message, Reasoning, ToolResult, ToolResultContent, ToolUse};
    use serde_json::json;

    use super::*;

    fn round(first: Vec<ContentBlock>) -> ModelRequest {
        ModelRequest {
            system: None,
            messages: vec![
                Message::user("q"),
                Message {
                    role: Role::Assistant,
                    content: first,
                },
                Message {
                    role: Role::User,
                    content: vec![ContentBlock::ToolResult(ToolResult::success(
                        "t",
                        ToolResultContent::Text("r".into()),
                    ))],
                },
            ],
            tools: vec![],
            inference: InferenceConfig::default(),
            ..Default::default()
        }
    }

    #[test]
    fn a_tool_round_must_lead_with_signed_reasoning() {
        let on = |mut r: ModelRequest| {
            r.inference.thinking = Some(Thinking::budget(2000));
            r
        };
        let call = ContentBlock::ToolUse(ToolUse {
            id: "t".into(),
            name: "f".into(),
            input: json!({}),
        });
        let e = check_reasoning(&on(round(vec![call.clone()]))).unwrap_err();
        assert!(e.contains("but found `tool_use`"), "{e}");
        assert!(check_reasoning(&round(vec![call.clone()])).is_ok());
        let signed = |text: &str, sig: String| {
            ContentBlock::Reasoning(Reasoning {
                text: text.into(),
                signature: Some(sig),
            })
        };
        let good = round(vec![signed("why", sign("why")), call.clone()]);
        assert!(check_reasoning(&on(good)).is_ok());
        let changed = round(vec![signed("why ", sign("why")), call]);
        let e = check_reasoning(&on(changed)).unwrap_err();
        assert!(e.contains("Invalid `signature`"), "{e}");
    }

    #[test]
    fn thinking_fields_are_checked() {
        let request = round(vec![]);
        let ok = json!({"thinking": {"type": "enabled", "budget_tokens": 2048}});
        assert_eq!(
            read_fields(Some(&ok), &request).unwrap(),
            Some(Thinking::budget(2048))
        );
        let small = json!({"thinking": {"type": "enabled", "budget_tokens": 10}});
        assert!(
            read_fields(Some(&small), &request)
                .unwrap_err()
                .contains("1024")
        );
        let big = json!({"thinking": {"type": "enabled", "budget_tokens": 5000}});
        assert!(
            read_fields(Some(&big), &request)
                .unwrap_err()
                .contains("max_tokens")
        );
    }
}
