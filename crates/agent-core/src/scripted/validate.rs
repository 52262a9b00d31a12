//! The conversation rules every Converse-style service enforces, with the
//! texts Amazon Bedrock answers in its `ValidationException`. Used by the
//! scripted backend and the local mock servers, so tests fail where the
//! real service would.

use std::collections::HashSet;

use crate::{ContentBlock, ModelRequest, Role};

/// Checks `request` as the service does; the error is the service's text.
///
/// - the conversation starts with a user message and roles alternate;
/// - every toolUse of an assistant message has exactly one toolResult in the
///   next user message, and no toolResult answers nothing;
/// - toolUse or toolResult blocks need tools on offer;
/// - each tool name is valid and each input schema is an object schema.
pub fn validate_conversation(request: &ModelRequest) -> Result<(), String> {
    for (i, tool) in request.tools.iter().enumerate() {
        if tool_api::validate_tool_name(&tool.name).is_err() {
            return Err(format!(
                "1 validation error detected: Value '{}' at 'toolConfig.tools.{}.member.toolSpec.name' \
                 failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
                tool.name,
                i + 1
            ));
        }
        if tool.input_schema.get("type").and_then(|t| t.as_str()) != Some("object") {
            return Err(format!(
                "The value at toolConfig.tools.{i}.toolSpec.inputSchema.json.type must be object"
            ));
        }
    }
    let Some(first) = request.messages.first() else {
        return Err(
            "A conversation must start with a user message. Try again with a conversation \
                    that starts with a user message."
                .into(),
        );
    };
    if first.role != Role::User {
        return Err(
            "A conversation must start with a user message. Try again with a conversation \
                    that starts with a user message."
                .into(),
        );
    }
    let mut pending: Vec<String> = Vec::new();
    for (n, message) in request.messages.iter().enumerate() {
        if n > 0 && request.messages[n - 1].role == message.role {
            return Err(
                "A conversation must alternate between user and assistant roles. Make sure \
                        the conversation alternates between user and assistant roles and try again."
                    .into(),
            );
        }
        if message.content.is_empty() {
            return Err(format!(
                "The content field in the Message object at messages.{n} is empty. Add a \
                 ContentBlock object to the content field and try again."
            ));
        }
        let uses_tools = message
            .content
            .iter()
            .any(|b| matches!(b, ContentBlock::ToolUse(_) | ContentBlock::ToolResult(_)));
        if uses_tools && request.tools.is_empty() {
            return Err(
                "The toolConfig field must be defined when using toolUse and toolResult \
                        content blocks."
                    .into(),
            );
        }
        match message.role {
            Role::Assistant => {
                pending = message.tool_uses().map(|u| u.id.clone()).collect();
            }
            Role::User => {
                let results: Vec<&str> = message
                    .content
                    .iter()
                    .filter_map(|b| match b {
                        ContentBlock::ToolResult(r) => Some(r.tool_use_id.as_str()),
                        _ => None,
                    })
                    .collect();
                if results.len() > pending.len() {
                    return Err(format!(
                        "The number of toolResult blocks at messages.{n}.content exceeds the number \
                         of toolUse blocks of previous turn."
                    ));
                }
                let answered: HashSet<&str> = results.iter().copied().collect();
                let missing: Vec<&str> = pending
                    .iter()
                    .map(String::as_str)
                    .filter(|id| !answered.contains(id))
                    .collect();
                if !missing.is_empty() {
                    return Err(format!(
                        "Expected toolResult blocks at messages.{n}.content for the following Ids: {}",
                        missing.join(", ")
                    ));
                }
                if let Some(stray) = results.iter().find(|id| !pending.iter().any(|p| p == *id)) {
                    return Err(format!(
                        "The toolUseId {stray} at messages.{n}.content does not match any toolUse \
                         of the previous turn."
                    ));
                }
                pending.clear();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{InferenceConfig, Message, ToolResult, ToolResultContent, ToolUse};

    fn req(messages: Vec<Message>) -> ModelRequest {
        ModelRequest {
            system: None,
            messages,
            tools: vec![tool_api::ToolSpec::new(
                "t",
                "d",
                json!({"type": "object", "properties": {}}),
            )],
            inference: InferenceConfig::default(),
        }
    }

    fn uses(ids: &[&str]) -> Message {
        Message {
            role: Role::Assistant,
            content: ids
                .iter()
                .map(|id| {
                    ContentBlock::ToolUse(ToolUse {
                        id: (*id).into(),
                        name: "t".into(),
                        input: json!({}),
                    })
                })
                .collect(),
        }
    }

    fn results(ids: &[&str]) -> Message {
        Message {
            role: Role::User,
            content: ids
                .iter()
                .map(|id| {
                    ContentBlock::ToolResult(ToolResult::success(
                        *id,
                        ToolResultContent::Text("ok".into()),
                    ))
                })
                .collect(),
        }
    }

    #[test]
    fn accepts_a_valid_tool_turn() {
        let r = req(vec![
            Message::user("hi"),
            uses(&["a", "b"]),
            results(&["b", "a"]),
        ]);
        assert_eq!(validate_conversation(&r), Ok(()));
    }

    #[test]
    fn refuses_what_the_service_refuses() {
        let e = validate_conversation(&req(vec![Message::assistant("x")])).unwrap_err();
        assert!(e.starts_with("A conversation must start with a user message"));
        let e =
            validate_conversation(&req(vec![Message::user("a"), Message::user("b")])).unwrap_err();
        assert!(e.contains("alternate"));
        let e = validate_conversation(&req(vec![
            Message::user("hi"),
            uses(&["a", "b"]),
            results(&["a"]),
        ]))
        .unwrap_err();
        assert_eq!(
            e,
            "Expected toolResult blocks at messages.2.content for the following Ids: b"
        );
        let e = validate_conversation(&req(vec![
            Message::user("hi"),
            uses(&["a"]),
            results(&["a", "b"]),
        ]))
        .unwrap_err();
        assert!(e.contains("exceeds the number of toolUse blocks"), "{e}");
        let mut no_tools = req(vec![Message::user("hi"), uses(&["a"]), results(&["a"])]);
        no_tools.tools.clear();
        assert!(
            validate_conversation(&no_tools)
                .unwrap_err()
                .contains("toolConfig")
        );
    }
}
