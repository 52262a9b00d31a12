//! What the Messages API refuses, with its own wording: the key it was
//! given, then the wire request, before the core's conversation rules.

use std::collections::HashSet;

use axum::http::HeaderMap;

use super::wire::{InputBlock as Block, Request, Role};

/// The key a request presents: `x-api-key`, or a bearer token, as
/// Anthropic's own SDKs have sent either, depending on their version.
pub(crate) fn api_key(headers: &HeaderMap) -> Option<&str> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    header("x-api-key").or_else(|| {
        header("authorization").and_then(|v| {
            // The scheme's name is case-insensitive (RFC 9110).
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim())
                .filter(|t| !t.is_empty())
        })
    })
}

/// The `invalid_request_error` message for `request`, if the API would
/// refuse it.
pub(crate) fn check_request(request: &Request) -> Result<(), String> {
    if request.model.trim().is_empty() {
        return Err("model: Field required".into());
    }
    if request.max_tokens < 1 {
        return Err("max_tokens: Field required (an integer of at least 1)".into());
    }
    if request.messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    check_tool_choice(request)?;
    let mut names = HashSet::new();
    for (i, tool) in request.tools.iter().enumerate() {
        let valid = !tool.name.is_empty()
            && tool.name.len() <= 128
            && tool
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(format!(
                "tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'"
            ));
        }
        if tool.input_schema.get("type").and_then(|t| t.as_str()) != Some("object") {
            return Err(format!(
                "tools.{i}.custom.input_schema.type: Input should be 'object'"
            ));
        }
        if !names.insert(tool.name.as_str()) {
            return Err("tools: Tool names must be unique.".into());
        }
    }
    let mut pending: Vec<String> = Vec::new();
    let mut pending_at = 0;
    for (i, message) in request.messages.iter().enumerate() {
        let blocks = message.content.blocks();
        if blocks.is_empty() {
            return Err(format!(
                "messages.{i}: all messages must have non-empty content except for the optional \
                 final assistant message"
            ));
        }
        for (j, block) in blocks.iter().enumerate() {
            if matches!(block, Block::Text(t) if t.text.is_empty()) {
                return Err(format!(
                    "messages.{i}.content.{j}.text: text content blocks must be non-empty"
                ));
            }
            if matches!(block, Block::ToolUse { .. } | Block::ToolResult { .. })
                && request.tools.is_empty()
            {
                return Err(
                    "Requests which include `tool_use` or `tool_result` blocks must define tools."
                        .into(),
                );
            }
        }
        match message.role {
            Role::Assistant => {
                if !pending.is_empty() {
                    return Err(unanswered(pending_at, &pending));
                }
                if let Some(j) = blocks
                    .iter()
                    .position(|b| matches!(b, Block::ToolResult { .. }))
                {
                    return Err(format!(
                        "messages.{i}.content.{j}: `tool_result` blocks can only be in `user` messages"
                    ));
                }
                pending = blocks
                    .iter()
                    .filter_map(|b| match b {
                        Block::ToolUse { id, .. } => Some(id.clone()),
                        _ => None,
                    })
                    .collect();
                pending_at = i;
            }
            Role::User => {
                if let Some(j) = blocks
                    .iter()
                    .position(|b| matches!(b, Block::ToolUse { .. }))
                {
                    return Err(format!(
                        "messages.{i}.content.{j}: `tool_use` blocks can only be in `assistant` messages"
                    ));
                }
                let mut seen_other = false;
                let mut answered = HashSet::new();
                for (j, block) in blocks.iter().enumerate() {
                    match block {
                        Block::ToolResult { tool_use_id, .. } => {
                            if seen_other {
                                return Err(format!(
                                    "messages.{i}.content.{j}: `tool_result` blocks must come \
                                     first in a user message, before any other content"
                                ));
                            }
                            if !pending.contains(tool_use_id) || !answered.insert(tool_use_id) {
                                return Err(format!(
                                    "messages.{i}.content.{j}: unexpected `tool_use_id` found in \
                                     `tool_result` blocks: {tool_use_id}. Each `tool_result` \
                                     block must have a corresponding `tool_use` block in the \
                                     previous message."
                                ));
                            }
                        }
                        _ => seen_other = true,
                    }
                }
                let missing: Vec<String> = pending
                    .iter()
                    .filter(|id| !answered.contains(id))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    return Err(unanswered(pending_at, &missing));
                }
                pending.clear();
            }
        }
    }
    if !pending.is_empty() {
        return Err(unanswered(pending_at, &pending));
    }
    Ok(())
}

fn unanswered(at: usize, ids: &[String]) -> String {
    format!(
        "messages.{at}: `tool_use` ids were found without `tool_result` blocks immediately \
         after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the \
         next message.",
        ids.join(", ")
    )
}

/// `tool_choice`: a known type, and a tool it names must be on offer.
fn check_tool_choice(request: &Request) -> Result<(), String> {
    let Some(choice) = &request.tool_choice else {
        return Ok(());
    };
    match choice.get("type").and_then(serde_json::Value::as_str) {
        Some("auto" | "any" | "none") => Ok(()),
        Some("tool") => {
            let name = choice.get("name").and_then(serde_json::Value::as_str);
            match name {
                None => Err("tool_choice.tool.name: Field required".into()),
                Some(name) if !request.tools.iter().any(|t| t.name == name) => Err(format!(
                    "tool_choice.tool.name: Tool '{name}' not found in the provided tools"
                )),
                Some(_) => Ok(()),
            }
        }
        _ => Err(
            "tool_choice: Input tag does not match any of the expected tags: 'auto', 'any', \
             'tool', 'none'"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn req(messages: serde_json::Value) -> Request {
        serde_json::from_value(json!({
            "model": "m", "max_tokens": 10, "messages": messages,
            "tools": [{"name": "t", "input_schema": {"type": "object"}}]
        }))
        .unwrap()
    }

    #[test]
    fn accepts_a_tool_turn_and_refuses_broken_pairs() {
        let ok = req(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "t", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "x"},
                                         {"type": "text", "text": "and?"}]}
        ]));
        assert_eq!(check_request(&ok), Ok(()));

        let stray = req(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "zz", "content": "x"}]}
        ]));
        let e = check_request(&stray).unwrap_err();
        assert!(
            e.starts_with("messages.2.content.0: unexpected `tool_use_id`"),
            "{e}"
        );

        let missing = req(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "t", "input": {}},
                                              {"type": "tool_use", "id": "b", "name": "t", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a"}]}
        ]));
        let e = check_request(&missing).unwrap_err();
        assert!(e.starts_with("messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: b."), "{e}");

        let late = req(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "t", "input": {}}]},
            {"role": "user", "content": [{"type": "text", "text": "first"},
                                         {"type": "tool_result", "tool_use_id": "a"}]}
        ]));
        assert!(
            check_request(&late)
                .unwrap_err()
                .contains("must come first")
        );
    }

    #[test]
    fn refuses_bad_tools_and_missing_fields() {
        let mut r = req(json!([{"role": "user", "content": "hi"}]));
        r.tools[0].name = "bad name".into();
        assert!(
            check_request(&r)
                .unwrap_err()
                .contains("tools.0.custom.name")
        );
        let mut r = req(json!([{"role": "user", "content": "hi"}]));
        r.tools[0].input_schema = json!({"type": "string"});
        assert!(
            check_request(&r)
                .unwrap_err()
                .contains("Input should be 'object'")
        );
        let mut r = req(json!([{"role": "user", "content": "hi"}]));
        r.max_tokens = 0;
        assert!(check_request(&r).unwrap_err().starts_with("max_tokens"));
        let r = req(json!([{"role": "user", "content": [{"type": "text", "text": ""}]}]));
        assert!(check_request(&r).unwrap_err().contains("must be non-empty"));
    }
}
