//! The checks the service makes before a model sees a request, with its
//! status codes, error types and texts, written here in the service's
//! words: tool names and schemas (their `$ref`s included), roles, and the
//! toolUse/toolResult pairing. They share no code with the client or with
//! the conversation rules the tests use as their oracle
//! (`agent_testkit::validate_conversation`), so each checks the other.

use std::collections::HashSet;

use agent_core::{ContentBlock, ModelRequest, Role};
use axum::http::HeaderMap;
use serde_json::Value;

use super::answer::ServiceError;
use super::wire::WireRequest;

/// The service's text for an unknown or malformed model id (the server's
/// own copy: the client recognises it by its own).
pub(crate) const INVALID_MODEL_MESSAGE: &str = "The provided model identifier is invalid.";

/// Unsigned requests are refused with 403 and the type the service gives
/// them (`MissingAuthenticationTokenException`).
pub(crate) fn check_auth(headers: &HeaderMap) -> Result<(), ServiceError> {
    if headers.contains_key("authorization") {
        Ok(())
    } else {
        Err(ServiceError::new(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ))
    }
}

/// An unknown or malformed model id: 400 ValidationException, or 404
/// ResourceNotFoundException for an ARN nothing is deployed at. `listed`:
/// whether the id is among the models the server was given; `None` (no
/// list) serves any Anthropic id (`anthropic.` in it, as in
/// `us.anthropic.claude-sonnet-4-20250514-v1:0`) or one starting `mock`.
pub(crate) fn check_model(model_id: &str, listed: Option<bool>) -> Result<(), ServiceError> {
    let well_formed = !model_id.is_empty()
        && model_id.len() <= 2048
        && model_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c));
    let known = well_formed
        && listed
            .unwrap_or_else(|| model_id.contains("anthropic.") || model_id.starts_with("mock"));
    if known {
        Ok(())
    } else if well_formed && model_id.starts_with("arn:") {
        Err(ServiceError::new(
            404,
            "ResourceNotFoundException",
            "Could not resolve the foundation model from the provided model identifier.",
        ))
    } else {
        Err(ServiceError::validation(INVALID_MODEL_MESSAGE))
    }
}

/// The body read as the service reads it, then checked as the service
/// checks it: wire shape, tool specs and their schemas' references, roles,
/// toolUse/toolResult pairing.
pub(crate) fn check_request(body: &[u8]) -> Result<ModelRequest, ServiceError> {
    let wire: WireRequest = serde_json::from_slice(body).map_err(|e| {
        ServiceError::new(
            400,
            "SerializationException",
            format!("Malformed request body: {e}"),
        )
    })?;
    check_cache_points(&wire).map_err(ServiceError::validation)?;
    let request = wire.to_core().map_err(ServiceError::validation)?;
    check_conversation(&request).map_err(ServiceError::validation)?;
    check_tool_choice(&request).map_err(ServiceError::validation)?;
    super::thinking::check_reasoning(&request).map_err(ServiceError::validation)?;
    Ok(request)
}

/// CountTokens counts for foundation models: an inference profile's id
/// (`us.anthropic.…`, `global.anthropic.…`) is refused as the service
/// refuses it, so a client that does not map it to its base model fails
/// here as it would there.
pub(crate) fn check_base_model(model_id: &str) -> Result<(), ServiceError> {
    let id = model_id.rsplit('/').next().unwrap_or(model_id);
    let profile = id.split_once('.').is_some_and(|(geo, rest)| {
        rest.contains('.') && geo.chars().all(|c| c.is_ascii_lowercase() || c == '-')
    });
    if profile || model_id.contains(":inference-profile/") {
        Err(ServiceError::validation(INVALID_MODEL_MESSAGE))
    } else {
        Ok(())
    }
}

/// A CountTokens body (`{"input": {"converse": {...}}}`), read and checked
/// as a Converse body is.
pub(crate) fn check_count_request(body: &[u8]) -> Result<ModelRequest, ServiceError> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        input: Input,
    }
    #[derive(serde::Deserialize)]
    struct Input {
        converse: WireRequest,
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        ServiceError::new(
            400,
            "SerializationException",
            format!("Malformed request body: {e}"),
        )
    })?;
    let request = envelope
        .input
        .converse
        .to_core()
        .map_err(ServiceError::validation)?;
    check_conversation(&request).map_err(ServiceError::validation)?;
    Ok(request)
}

/// The most cache points a request may carry.
const MAX_CACHE_POINTS: usize = 4;

/// Cache points: a known type (`default`) and TTL (`5m`, `1h`), at most
/// [`MAX_CACHE_POINTS`], and no 1-hour point after a 5-minute one (in the
/// service's reading order: tools, system, messages).
fn check_cache_points(wire: &WireRequest) -> Result<(), String> {
    let points = wire.cache_points();
    let mut short_seen = false;
    for (at, point) in &points {
        if point.kind != "default" {
            return Err(format!(
                "1 validation error detected: Value '{}' at '{at}.type' failed to satisfy \
                 constraint: Member must satisfy enum value set: [default]",
                point.kind
            ));
        }
        match point.ttl.as_deref() {
            None | Some("5m") => short_seen = true,
            Some("1h") if short_seen => {
                return Err(
                    "The model returned the following errors: a ttl='1h' cache_control \
                            block must not come after a ttl='5m' cache_control block. Note that \
                            blocks are processed in the following order: `tools`, `system`, \
                            `messages`."
                        .into(),
                );
            }
            Some("1h") => {}
            Some(other) => {
                return Err(format!(
                    "1 validation error detected: Value '{other}' at '{at}.ttl' failed to \
                     satisfy constraint: Member must satisfy enum value set: [5m, 1h]"
                ));
            }
        }
    }
    if points.len() > MAX_CACHE_POINTS {
        return Err(format!(
            "The model returned the following errors: A maximum of {MAX_CACHE_POINTS} blocks \
             with cache_control may be provided. Found {}.",
            points.len()
        ));
    }
    Ok(())
}

/// A tool choice naming a tool must name one on offer.
fn check_tool_choice(request: &ModelRequest) -> Result<(), String> {
    match request
        .tool_choice
        .as_ref()
        .and_then(agent_core::ToolChoice::tool_name)
    {
        Some(name) if !request.tools.iter().any(|t| t.name == name) => Err(format!(
            "The model returned the following errors: tool_choice.name: Tool '{name}' not \
             found in the provided tools. Make sure toolConfig.toolChoice names a tool in \
             toolConfig.tools."
        )),
        _ => Ok(()),
    }
}

/// Whether `name` is a tool name the service takes: 1 to 64 characters of
/// `[a-zA-Z0-9_-]`.
fn valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The service's rules for the tools on offer and the conversation, checked
/// in the service's order; the first broken one is its
/// `ValidationException` text (tool indices 1-based in the name check,
/// 0-based in the schema checks, as the service's are).
fn check_conversation(request: &ModelRequest) -> Result<(), String> {
    for (index, tool) in request.tools.iter().enumerate() {
        if !valid_tool_name(&tool.name) {
            return Err(format!(
                "1 validation error detected: Value '{}' at 'toolConfig.tools.{}.member.toolSpec.name' \
                 failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
                tool.name,
                index + 1
            ));
        }
        if tool.input_schema.get("type").and_then(|t| t.as_str()) != Some("object") {
            return Err(format!(
                "The value at toolConfig.tools.{index}.toolSpec.inputSchema.json.type must be object"
            ));
        }
        check_refs(&tool.input_schema, index)?;
    }
    if request.messages.first().map(|m| m.role) != Some(Role::User) {
        return Err(
            "A conversation must start with a user message. Try again with a \
                    conversation that starts with a user message."
                .into(),
        );
    }
    let mut asked: Vec<&str> = Vec::new();
    for (index, message) in request.messages.iter().enumerate() {
        if index > 0 && request.messages[index - 1].role == message.role {
            return Err(
                "A conversation must alternate between user and assistant roles. Make \
                        sure the conversation alternates between user and assistant roles and \
                        try again."
                    .into(),
            );
        }
        if message.content.is_empty() {
            return Err(format!(
                "The content field in the Message object at messages.{index} is empty. Add a \
                 ContentBlock object to the content field and try again."
            ));
        }
        let tool_blocks = message
            .content
            .iter()
            .any(|b| matches!(b, ContentBlock::ToolUse(_) | ContentBlock::ToolResult(_)));
        if tool_blocks && request.tools.is_empty() {
            return Err(
                "The toolConfig field must be defined when using toolUse and toolResult \
                        content blocks."
                    .into(),
            );
        }
        match message.role {
            Role::Assistant => asked = message.tool_uses().map(|u| u.id.as_str()).collect(),
            Role::User => {
                let answered: Vec<&str> = message
                    .content
                    .iter()
                    .filter_map(|b| match b {
                        ContentBlock::ToolResult(r) => Some(r.tool_use_id.as_str()),
                        _ => None,
                    })
                    .collect();
                if answered.len() > asked.len() {
                    return Err(format!(
                        "The number of toolResult blocks at messages.{index}.content exceeds the \
                         number of toolUse blocks of previous turn."
                    ));
                }
                // Sets, not `Vec::contains`: a turn of n calls is checked in
                // O(n), not O(n²) (FANOUT-1024's 1024 results cost the
                // bench's server ~1M string comparisons per request, counted
                // as the agent's model time).
                let answered_set: HashSet<&str> = answered.iter().copied().collect();
                let asked_set: HashSet<&str> = asked.iter().copied().collect();
                let missing: Vec<&str> = asked
                    .iter()
                    .filter(|id| !answered_set.contains(*id))
                    .copied()
                    .collect();
                if !missing.is_empty() {
                    return Err(format!(
                        "Expected toolResult blocks at messages.{index}.content for the following \
                         Ids: {}",
                        missing.join(", ")
                    ));
                }
                if let Some(stray) = answered.iter().find(|id| !asked_set.contains(**id)) {
                    return Err(format!(
                        "The toolUseId {stray} at messages.{index}.content does not match any \
                         toolUse of the previous turn."
                    ));
                }
                asked.clear();
            }
        }
    }
    Ok(())
}

/// Every `$ref` in tool `index`'s input schema must be a local reference
/// the service resolves: exactly `#/$defs/NAME`, with NAME defined in the
/// schema's root `$defs` (the form `tool-api` normalises schemas to).
fn check_refs(schema: &Value, index: usize) -> Result<(), String> {
    let defs = schema.get("$defs").and_then(Value::as_object);
    let mut stack = vec![schema];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    let resolves = target
                        .strip_prefix("#/$defs/")
                        .is_some_and(|name| defs.is_some_and(|d| d.contains_key(name)));
                    if !resolves {
                        return Err(format!(
                            "The value at toolConfig.tools.{index}.toolSpec.inputSchema.json is \
                             not a valid JSON schema: the reference '{target}' does not resolve to \
                             a definition under '#/$defs'."
                        ));
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use agent_core::Message;
    use agent_testkit::tool_round::{answers as results, calls as uses, request as req};
    use serde_json::json;

    use super::*;

    #[test]
    fn model_ids() {
        let p = None;
        assert!(check_model("us.anthropic.claude-sonnet-4-20250514-v1:0", p).is_ok());
        assert!(check_model("mock-model", p).is_ok());
        let e = check_model("gpt-5", p).unwrap_err();
        assert_eq!((e.status, e.message.as_str()), (400, INVALID_MODEL_MESSAGE));
        let e = check_model("arn:aws:bedrock:us-east-1::foundation-model/x", p).unwrap_err();
        assert_eq!(e.status, 404);
        assert!(check_model("a", Some(true)).is_ok());
        assert!(check_model("anthropic.claude", Some(false)).is_err());
    }

    #[test]
    fn unsigned_requests_get_403() {
        let e = check_auth(&HeaderMap::new()).unwrap_err();
        assert_eq!(
            (e.status, e.error_type.as_str()),
            (403, "MissingAuthenticationTokenException")
        );
    }

    #[test]
    fn schema_refs_must_resolve_under_the_root_defs() {
        let body = |schema: serde_json::Value| {
            let body = json!({
                "messages": [{"role": "user", "content": [{"text": "x"}]}],
                "toolConfig": {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": schema}}}]}
            });
            check_request(body.to_string().as_bytes())
        };
        let tree = |reference: &str| {
            json!({
                "type": "object",
                "properties": {"root": {"$ref": "#/$defs/Tree"}},
                "$defs": {"Tree": {"type": "object", "properties": {
                    "children": {"type": "array", "items": {"$ref": reference}}
                }}}
            })
        };
        assert!(body(tree("#/$defs/Tree")).is_ok());
        for bad in [
            "#",
            "#/$defs/Forest",
            "#/definitions/Tree",
            "other.json#/$defs/Tree",
        ] {
            let e = body(tree(bad)).unwrap_err();
            assert_eq!(
                (e.status, e.error_type.as_str()),
                (400, "ValidationException")
            );
            assert!(
                e.message.contains(&format!("'{bad}'")),
                "{bad}: {}",
                e.message
            );
            assert!(
                e.message
                    .contains("toolConfig.tools.0.toolSpec.inputSchema.json")
            );
        }
        let no_defs = json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}});
        assert!(body(no_defs).is_err());
    }

    #[test]
    fn schema_type_is_checked() {
        let body = br#"{"messages":[{"role":"user","content":[{"text":"x"}]}],
            "toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"string"}}}}]}}"#;
        let e = check_request(body).unwrap_err();
        assert_eq!(
            e.message,
            "The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be object"
        );
    }

    /// The conversation rules, in Bedrock's words.
    fn check(request: &ModelRequest) -> Result<(), String> {
        check_conversation(request)
    }

    #[test]
    fn refuses_what_the_service_refuses_in_its_words() {
        let r = req(vec![
            Message::user("hi"),
            uses(&["a", "b"]),
            results(&["b", "a"]),
        ]);
        assert_eq!(check(&r), Ok(()));
        let e = check(&req(vec![Message::assistant("x")])).unwrap_err();
        assert!(e.starts_with("A conversation must start with a user message"));
        let e = check(&req(vec![Message::user("a"), Message::user("b")])).unwrap_err();
        assert!(e.contains("alternate"));
        let e = check(&req(vec![
            Message::user("hi"),
            uses(&["a", "b"]),
            results(&["a"]),
        ]))
        .unwrap_err();
        assert_eq!(
            e,
            "Expected toolResult blocks at messages.2.content for the following Ids: b"
        );
        let e = check(&req(vec![
            Message::user("hi"),
            uses(&["a"]),
            results(&["a", "b"]),
        ]))
        .unwrap_err();
        assert!(e.contains("exceeds the number of toolUse blocks"), "{e}");
        let mut no_tools = req(vec![Message::user("hi"), uses(&["a"]), results(&["a"])]);
        no_tools.tools.clear();
        assert!(check(&no_tools).unwrap_err().contains("toolConfig"));
        let mut bad_name = req(vec![Message::user("hi")]);
        bad_name.tools[0].name = "no spaces".into();
        assert_eq!(
            check(&bad_name).unwrap_err(),
            "1 validation error detected: Value 'no spaces' at 'toolConfig.tools.1.member.toolSpec.name' \
             failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"
        );
    }
}
