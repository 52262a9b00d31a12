//! The checks the service makes before a model sees a request, with its
//! status codes, error types and texts: the conversation rules are
//! `agent-testkit`'s, worded here as Bedrock's `ValidationException` words
//! them.

use agent_core::ModelRequest;
use agent_testkit::{ConversationError, validate_conversation};
use axum::http::HeaderMap;

use super::answer::ServiceError;
use super::wire::WireRequest;
use crate::types::errors::INVALID_MODEL_MESSAGE;

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
/// checks it: wire shape, tool specs, roles, toolUse/toolResult pairing.
pub(crate) fn check_request(body: &[u8]) -> Result<ModelRequest, ServiceError> {
    let wire: WireRequest = serde_json::from_slice(body).map_err(|e| {
        ServiceError::new(
            400,
            "SerializationException",
            format!("Malformed request body: {e}"),
        )
    })?;
    let request = wire.to_core().map_err(ServiceError::validation)?;
    validate_conversation(&request)
        .map_err(|e| ServiceError::validation(conversation_message(&e)))?;
    Ok(request)
}

/// The text Bedrock's `ValidationException` gives for a broken conversation
/// rule (its tool indices are 1-based in the name check, 0-based in the
/// schema check, as the service's are).
fn conversation_message(error: &ConversationError) -> String {
    match error {
        ConversationError::InvalidToolName { index, name, .. } => format!(
            "1 validation error detected: Value '{name}' at 'toolConfig.tools.{}.member.toolSpec.name' \
             failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
            index + 1
        ),
        ConversationError::SchemaNotObject { index } => format!(
            "The value at toolConfig.tools.{index}.toolSpec.inputSchema.json.type must be object"
        ),
        ConversationError::NoUserFirst => "A conversation must start with a user message. Try \
             again with a conversation that starts with a user message."
            .into(),
        ConversationError::RolesDoNotAlternate { .. } => "A conversation must alternate between \
             user and assistant roles. Make sure the conversation alternates between user and \
             assistant roles and try again."
            .into(),
        ConversationError::EmptyMessage { index } => format!(
            "The content field in the Message object at messages.{index} is empty. Add a \
             ContentBlock object to the content field and try again."
        ),
        ConversationError::ToolBlocksWithoutTools { .. } => "The toolConfig field must be defined \
             when using toolUse and toolResult content blocks."
            .into(),
        ConversationError::TooManyResults { index } => format!(
            "The number of toolResult blocks at messages.{index}.content exceeds the number of \
             toolUse blocks of previous turn."
        ),
        ConversationError::MissingResults { index, ids } => format!(
            "Expected toolResult blocks at messages.{index}.content for the following Ids: {}",
            ids.join(", ")
        ),
        ConversationError::UnknownResult { index, id } => format!(
            "The toolUseId {id} at messages.{index}.content does not match any toolUse of the \
             previous turn."
        ),
    }
}

#[cfg(test)]
mod tests {
    use agent_core::{
        ContentBlock, InferenceConfig, Message, Role, ToolResult, ToolResultContent, ToolUse,
    };
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
    fn schema_type_is_checked() {
        let body = br#"{"messages":[{"role":"user","content":[{"text":"x"}]}],
            "toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"string"}}}}]}}"#;
        let e = check_request(body).unwrap_err();
        assert_eq!(
            e.message,
            "The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be object"
        );
    }

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

    /// The conversation rules, in Bedrock's words.
    fn check(request: &ModelRequest) -> Result<(), String> {
        validate_conversation(request).map_err(|e| conversation_message(&e))
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
