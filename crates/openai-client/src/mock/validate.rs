//! What OpenAI refuses, with its own wording: the key it was given, then
//! the wire request, before the core's conversation rules.

use std::collections::HashSet;

use axum::http::HeaderMap;

use super::wire::{ChatMessage, Request};

/// A refusal: the message, and the parameter at fault.
pub(crate) struct Refusal {
    pub message: String,
    pub param: Option<String>,
}

fn refuse(message: impl Into<String>, param: &str) -> Refusal {
    Refusal {
        message: message.into(),
        param: Some(param.into()),
    }
}

/// The key a request presents as `Authorization: Bearer`.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// Whether `presented` passes: any request does when no key is configured
/// (`want`); otherwise OpenAI's 401 message.
pub(crate) fn check_auth(want: Option<&str>, presented: Option<&str>) -> Result<(), &'static str> {
    match (want, presented) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(
            "You didn't provide an API key. You need to provide your API key in an Authorization \
             header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        ),
        (Some(want), Some(got)) if want == got => Ok(()),
        (Some(_), Some(_)) => Err("Incorrect API key provided."),
    }
}

/// The `invalid_request_error` for `request`, if OpenAI would refuse it.
pub(crate) fn check_request(request: &Request) -> Result<(), Refusal> {
    if request.model.trim().is_empty() {
        return Err(refuse("you must provide a model parameter", "model"));
    }
    if request.messages.is_empty() {
        return Err(refuse("[] is too short - 'messages'", "messages"));
    }
    if request.parallel_tool_calls.is_some() && request.tools.is_empty() {
        return Err(refuse(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when \
             'tools' are specified.",
            "parallel_tool_calls",
        ));
    }
    check_tool_choice(request)?;
    if let Some(format) = &request.response_format {
        super::response_format::check(format, mentions_json(request)).map_err(
            |(message, param)| Refusal {
                message,
                param: Some(param),
            },
        )?;
    }
    if request.stream_options.is_some() && !request.stream {
        return Err(refuse(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        ));
    }
    for (i, message) in request.messages.iter().enumerate() {
        if let super::wire::ChatMessage::User {
            content: super::wire::Content::Parts(parts),
            ..
        } = message
        {
            for (j, part) in parts.iter().enumerate() {
                if let super::wire::Part::ImageUrl { image_url } = part
                    && super::wire::data_url_image(image_url).is_none()
                {
                    return Err(refuse(
                        "You uploaded an unsupported image. Please make sure your image has of \
                         one the following formats: ['png', 'jpeg', 'gif', 'webp'].",
                        &format!("messages.[{i}].content.[{j}].image_url"),
                    ));
                }
            }
        }
    }
    let mut names = HashSet::new();
    for (i, tool) in request.tools.iter().enumerate() {
        if tool.kind != "function" {
            return Err(refuse(
                format!(
                    "Invalid value: '{}'. Supported values are: 'function' and 'custom'.",
                    tool.kind
                ),
                &format!("tools[{i}].type"),
            ));
        }
        let name = &tool.function.name;
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(refuse(
                format!(
                    "Invalid 'tools[{i}].function.name': string does not match pattern. Expected \
                     a string that matches the pattern '^[a-zA-Z0-9_-]+$'."
                ),
                &format!("tools[{i}].function.name"),
            ));
        }
        let ty = tool
            .function
            .parameters
            .get("type")
            .and_then(|t| t.as_str());
        if ty != Some("object") {
            return Err(refuse(
                format!(
                    "Invalid schema for function '{name}': schema must be a JSON Schema of 'type: \
                     \"object\"', got 'type: \"{}\"'.",
                    ty.unwrap_or("None")
                ),
                &format!("tools[{i}].function.parameters"),
            ));
        }
        if !names.insert(name.as_str()) {
            return Err(refuse(
                format!("Duplicate function name '{name}' in 'tools'."),
                "tools",
            ));
        }
    }
    // Ids of the last assistant message's calls still waiting for a `tool`
    // message.
    let mut pending: Vec<&str> = Vec::new();
    let mut calls_of_last: Vec<&str> = Vec::new();
    for (i, message) in request.messages.iter().enumerate() {
        if !matches!(message, ChatMessage::Tool { .. }) && !pending.is_empty() {
            return Err(unanswered(&pending, &format!("messages.[{i}].role")));
        }
        match message {
            ChatMessage::Assistant { tool_calls, .. } => {
                if let Some(j) = tool_calls.iter().position(|c| c.kind != "function") {
                    return Err(refuse(
                        format!(
                            "Invalid value: '{}'. Supported values are: 'function' and 'custom'.",
                            tool_calls[j].kind
                        ),
                        &format!("messages.[{i}].tool_calls.[{j}].type"),
                    ));
                }
                calls_of_last = tool_calls.iter().map(|c| c.id.as_str()).collect();
                pending = calls_of_last.clone();
            }
            ChatMessage::Tool { tool_call_id, .. } => {
                if calls_of_last.is_empty() {
                    return Err(refuse(
                        "Invalid parameter: messages with role 'tool' must be a response to a \
                         preceeding message with 'tool_calls'.",
                        &format!("messages.[{i}].role"),
                    ));
                }
                let Some(at) = pending.iter().position(|id| id == tool_call_id) else {
                    return Err(refuse(
                        format!(
                            "Invalid parameter: 'tool_call_id' of '{tool_call_id}' not found in \
                             'tool_calls' of previous message."
                        ),
                        &format!("messages.[{i}].tool_call_id"),
                    ));
                };
                pending.remove(at);
            }
            _ => calls_of_last.clear(),
        }
    }
    if !pending.is_empty() {
        return Err(unanswered(&pending, "messages"));
    }
    Ok(())
}

/// Whether a message says "json" (any case), as a `json_object` response
/// format needs.
fn mentions_json(request: &Request) -> bool {
    request.messages.iter().any(|m| {
        let content = match m {
            ChatMessage::System { content, .. }
            | ChatMessage::Developer { content, .. }
            | ChatMessage::User { content, .. }
            | ChatMessage::Tool { content, .. } => Some(content),
            ChatMessage::Assistant { content, .. } => content.as_ref(),
        };
        content.is_some_and(|c| c.text().to_ascii_lowercase().contains("json"))
    })
}

/// Calls of an assistant message left without their `tool` messages.
fn unanswered(pending: &[&str], param: &str) -> Refusal {
    refuse(
        format!(
            "An assistant message with 'tool_calls' must be followed by tool messages responding \
             to each 'tool_call_id'. The following tool_call_ids did not have response messages: \
             {}",
            pending.join(", ")
        ),
        param,
    )
}

/// `tool_choice`: only with tools, a known value, and a function it names
/// must be on offer.
fn check_tool_choice(request: &Request) -> Result<(), Refusal> {
    let Some(choice) = &request.tool_choice else {
        return Ok(());
    };
    if request.tools.is_empty() {
        return Err(refuse(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are \
             specified.",
            "tool_choice",
        ));
    }
    match choice {
        serde_json::Value::String(s) if ["auto", "required", "none"].contains(&s.as_str()) => {
            Ok(())
        }
        other => match other
            .pointer("/function/name")
            .and_then(serde_json::Value::as_str)
        {
            Some(name) if request.tools.iter().any(|t| t.function.name == name) => Ok(()),
            Some(name) => Err(refuse(
                format!("Invalid 'tool_choice': function '{name}' is not among the 'tools'."),
                "tool_choice",
            )),
            None => Err(refuse(
                format!("Invalid value for 'tool_choice': {other}."),
                "tool_choice",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn req(messages: serde_json::Value) -> Request {
        serde_json::from_value(json!({
            "model": "m", "messages": messages,
            "tools": [{"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}]
        }))
        .unwrap()
    }

    fn call(id: &str) -> serde_json::Value {
        json!({"id": id, "type": "function", "function": {"name": "t", "arguments": "{}"}})
    }

    #[test]
    fn tool_messages_must_answer_the_previous_calls() {
        let ok = req(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": null, "tool_calls": [call("a"), call("b")]},
            {"role": "tool", "tool_call_id": "a", "content": "1"},
            {"role": "tool", "tool_call_id": "b", "content": "2"},
            {"role": "user", "content": "thanks"}
        ]));
        assert!(check_request(&ok).is_ok());

        let orphan = req(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "tool", "tool_call_id": "a", "content": "1"}
        ]));
        let e = check_request(&orphan).err().unwrap();
        assert!(
            e.message
                .contains("must be a response to a preceeding message with 'tool_calls'")
        );

        let wrong_id = req(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": null, "tool_calls": [call("a")]},
            {"role": "tool", "tool_call_id": "zz", "content": "1"}
        ]));
        let e = check_request(&wrong_id).err().unwrap();
        assert!(
            e.message.contains("'tool_call_id' of 'zz' not found"),
            "{}",
            e.message
        );

        let missing = req(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": null, "tool_calls": [call("a"), call("b")]},
            {"role": "tool", "tool_call_id": "a", "content": "1"},
            {"role": "user", "content": "and?"}
        ]));
        let e = check_request(&missing).err().unwrap();
        assert!(
            e.message.ends_with("did not have response messages: b"),
            "{}",
            e.message
        );
    }

    #[test]
    fn parameters_that_need_others() {
        let mut r = req(json!([{"role": "user", "content": "hi"}]));
        r.tools.clear();
        r.parallel_tool_calls = Some(true);
        assert!(
            check_request(&r)
                .err()
                .unwrap()
                .message
                .contains("only allowed when 'tools'")
        );
        let mut r = req(json!([{"role": "user", "content": "hi"}]));
        r.stream_options = Some(serde_json::from_value(json!({"include_usage": true})).unwrap());
        assert!(
            check_request(&r)
                .err()
                .unwrap()
                .message
                .contains("'stream' is enabled")
        );
        let mut r = req(json!([{"role": "user", "content": "hi"}]));
        r.tools[0].function.parameters = json!({"type": "array"});
        assert!(
            check_request(&r)
                .err()
                .unwrap()
                .message
                .contains("got 'type: \"array\"'")
        );
    }
}
