//! Extended thinking as the Messages API plays it: the `thinking` field
//! and its rules, signed thinking blocks in the answers, and the check that
//! a tool-use round sends them back first and unchanged. Images' bytes are
//! checked against their media type here too.
//!
//! The signature is a keyed hash of the thinking text (the server's key,
//! never sent), so a changed byte, or a made-up signature, is found as the
//! API finds it.

use agent_core::{Blob, ModelRequest, ModelResponse, Thinking};
use serde_json::Value;

use super::wire::{InputBlock, Request, ResultBlock, ResultContent};

const KEY: &str = "mock-messages-thinking-key";

/// The signature of `text` under this server's key.
pub(crate) fn sign(text: &str) -> String {
    mock_support::reasoning::sign(KEY, text)
}

/// The thinking the request asks for, checked as the API checks it.
pub(crate) fn read(request: &Request) -> Result<Option<Thinking>, String> {
    let Some(thinking) = &request.thinking else {
        return Ok(None);
    };
    match thinking.get("type").and_then(Value::as_str) {
        Some("disabled") => return Ok(None),
        Some("enabled") => {}
        _ => {
            return Err(
                "thinking: Input tag does not match any of the expected tags: \
                        'enabled', 'disabled'"
                    .into(),
            );
        }
    }
    let Some(budget) = thinking.get("budget_tokens").and_then(Value::as_u64) else {
        return Err("thinking.enabled.budget_tokens: Field required".into());
    };
    if budget < 1024 {
        return Err(
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024".into(),
        );
    }
    if u64::from(request.max_tokens) <= budget {
        return Err("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult \
                    our documentation at \
                    https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
            .into());
    }
    if request.temperature.is_some_and(|t| t != 1.0) {
        return Err("`temperature` may only be set to 1 when thinking is enabled. Please consult \
                    our documentation at \
                    https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
            .into());
    }
    Ok(Some(Thinking::budget(
        u32::try_from(budget).unwrap_or(u32::MAX),
    )))
}

/// Every thinking block carries the signature of its text; with thinking
/// on, the assistant message a tool round answers starts with thinking;
/// every image's bytes are of its media type.
pub(crate) fn check(request: &Request, thinking: Option<Thinking>) -> Result<(), String> {
    for (i, message) in request.messages.iter().enumerate() {
        for (j, block) in message.content.blocks().iter().enumerate() {
            match block {
                InputBlock::Thinking {
                    thinking,
                    signature,
                } if *signature != sign(thinking) => {
                    return Err(format!(
                        "messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
                    ));
                }
                InputBlock::Image(image) => {
                    check_image(&image.source, &format!("messages.{i}.content.{j}.image"))?;
                }
                InputBlock::ToolResult {
                    content: Some(ResultContent::Blocks(parts)),
                    ..
                } => {
                    for (k, part) in parts.iter().enumerate() {
                        if let ResultBlock::Image(image) = part {
                            check_image(
                                &image.source,
                                &format!("messages.{i}.content.{j}.content.{k}.image"),
                            )?;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if thinking.is_none() {
        return Ok(());
    }
    let [.., assistant, last] = &request.messages[..] else {
        return Ok(());
    };
    let last_blocks = last.content.blocks();
    let in_tool_round = last_blocks
        .iter()
        .any(|b| matches!(b, InputBlock::ToolResult { .. }));
    if !in_tool_round {
        return Ok(());
    }
    let first = assistant.content.blocks().into_iter().next();
    let found = match first {
        Some(InputBlock::Thinking { .. } | InputBlock::RedactedThinking { .. }) => return Ok(()),
        Some(InputBlock::Text(_)) => "text",
        Some(InputBlock::ToolUse { .. }) => "tool_use",
        _ => "other",
    };
    Err(format!(
        "messages.{}.content.0.type: Expected `thinking` or `redacted_thinking`, but found \
         `{found}`. When `thinking` is enabled, a final `assistant` message must start with a \
         thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). \
         We recommend you include thinking blocks from previous turns. To avoid this \
         requirement, disable `thinking`. Please consult our documentation at \
         https://docs.claude.com/en/docs/build-with-claude/extended-thinking",
        request.messages.len() - 2
    ))
}

fn check_image(source: &Value, at: &str) -> Result<(), String> {
    let media_type = source
        .get("media_type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(format) = agent_core::ImageFormat::from_mime_type(media_type) else {
        return Err(format!(
            "{at}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', \
             'image/gif' or 'image/webp'"
        ));
    };
    let bytes = source
        .get("data")
        .and_then(Value::as_str)
        .and_then(Blob::from_base64)
        .ok_or_else(|| format!("{at}.source.base64.data: invalid base64 data"))?;
    if agent_core::ImageFormat::sniff(&bytes) != Some(format) {
        return Err(format!(
            "{at}.source.base64.data: Image does not match the provided media type {media_type}"
        ));
    }
    Ok(())
}

/// Signed thinking before the scripted answer, when thinking is on.
pub(crate) fn add_thinking(response: &mut ModelResponse, request: &ModelRequest) {
    mock_support::reasoning::add_reasoning(KEY, response, request);
}
