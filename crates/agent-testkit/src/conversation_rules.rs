//! The conversation rules every Converse-style service enforces before a
//! model sees a request, checked once here. A broken rule is a
//! [`ConversationError`] in neutral words: the scripted backend and the
//! Anthropic and OpenAI local servers answer with it, and the Converse
//! server (`bedrock-client`'s `mock`) words each variant as Bedrock's
//! `ValidationException` does. So tests fail where the real service would.

use std::collections::HashSet;

use agent_core::{ContentBlock, ModelRequest, Role};

/// A rule of [`validate_conversation`] that the request breaks. Indices are
/// 0-based positions in [`ModelRequest::tools`] and
/// [`ModelRequest::messages`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversationError {
    /// A tool on offer has a name the service refuses.
    #[error("tool {index} is named {name:?}, which is not a valid tool name: {reason}")]
    InvalidToolName {
        /// The tool's position.
        index: usize,
        /// Its name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A tool's input schema does not describe an object.
    #[error("the input schema of tool {index} must have \"type\": \"object\"")]
    SchemaNotObject {
        /// The tool's position.
        index: usize,
    },
    /// The conversation is empty or starts with an assistant message.
    #[error("the conversation must start with a user message")]
    NoUserFirst,
    /// Two messages in a row have the same role.
    #[error("message {index} has the same role as the one before it: roles must alternate")]
    RolesDoNotAlternate {
        /// The second of the two messages.
        index: usize,
    },
    /// A message without content blocks.
    #[error("message {index} has no content: give it at least one block")]
    EmptyMessage {
        /// The message's position.
        index: usize,
    },
    /// Tool-use or tool-result blocks in a request that offers no tools.
    #[error(
        "message {index} holds tool-use or tool-result blocks, but the request offers no tools"
    )]
    ToolBlocksWithoutTools {
        /// The first message holding such a block.
        index: usize,
    },
    /// More tool results than the previous turn asked for.
    #[error("message {index} holds more tool results than the previous turn has tool uses")]
    TooManyResults {
        /// The user message holding the results.
        index: usize,
    },
    /// Tool uses of the previous turn left unanswered.
    #[error("message {index} does not answer the tool uses {}: every tool use needs a result in the next message", ids.join(", "))]
    MissingResults {
        /// The user message that should hold the results.
        index: usize,
        /// The ids of the unanswered tool uses, in call order.
        ids: Vec<String>,
    },
    /// A tool result answering no tool use of the previous turn.
    #[error("message {index} holds a result for {id}, which no tool use of the previous turn has")]
    UnknownResult {
        /// The user message holding the result.
        index: usize,
        /// The result's tool-use id.
        id: String,
    },
}

/// Checks `request` against the conversation rules, in the order the
/// service checks them, and returns the first one broken:
///
/// - each tool name is valid and each input schema is an object schema;
/// - the conversation starts with a user message and roles alternate;
/// - no message is empty;
/// - toolUse or toolResult blocks need tools on offer;
/// - every toolUse of an assistant message has exactly one toolResult in the
///   next user message, and no toolResult answers nothing.
pub fn validate_conversation(request: &ModelRequest) -> Result<(), ConversationError> {
    for (index, tool) in request.tools.iter().enumerate() {
        if let Err(e) = tool_api::validate_tool_name(&tool.name) {
            return Err(ConversationError::InvalidToolName {
                index,
                name: tool.name.clone(),
                reason: e.to_string(),
            });
        }
        if tool.input_schema.get("type").and_then(|t| t.as_str()) != Some("object") {
            return Err(ConversationError::SchemaNotObject { index });
        }
    }
    match request.messages.first() {
        Some(first) if first.role == Role::User => {}
        _ => return Err(ConversationError::NoUserFirst),
    }
    let mut pending: Vec<String> = Vec::new();
    for (index, message) in request.messages.iter().enumerate() {
        if index > 0 && request.messages[index - 1].role == message.role {
            return Err(ConversationError::RolesDoNotAlternate { index });
        }
        if message.content.is_empty() {
            return Err(ConversationError::EmptyMessage { index });
        }
        let uses_tools = message
            .content
            .iter()
            .any(|b| matches!(b, ContentBlock::ToolUse(_) | ContentBlock::ToolResult(_)));
        if uses_tools && request.tools.is_empty() {
            return Err(ConversationError::ToolBlocksWithoutTools { index });
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
                    return Err(ConversationError::TooManyResults { index });
                }
                let answered: HashSet<&str> = results.iter().copied().collect();
                let missing: Vec<String> = pending
                    .iter()
                    .filter(|id| !answered.contains(id.as_str()))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    return Err(ConversationError::MissingResults {
                        index,
                        ids: missing,
                    });
                }
                if let Some(stray) = results.iter().find(|id| !pending.iter().any(|p| p == *id)) {
                    return Err(ConversationError::UnknownResult {
                        index,
                        id: (*stray).to_owned(),
                    });
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
    use crate::tool_round::{answers as results, calls as uses, request as req};
    use agent_core::Message;

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
        assert_eq!(e, ConversationError::NoUserFirst);
        assert_eq!(
            validate_conversation(&req(vec![])),
            Err(ConversationError::NoUserFirst)
        );
        let e =
            validate_conversation(&req(vec![Message::user("a"), Message::user("b")])).unwrap_err();
        assert_eq!(e, ConversationError::RolesDoNotAlternate { index: 1 });
        assert!(e.to_string().contains("alternate"), "{e}");
        let e = validate_conversation(&req(vec![
            Message::user("hi"),
            uses(&["a", "b"]),
            results(&["a"]),
        ]))
        .unwrap_err();
        assert_eq!(
            e,
            ConversationError::MissingResults {
                index: 2,
                ids: vec!["b".into()]
            }
        );
        assert_eq!(
            e.to_string(),
            "message 2 does not answer the tool uses b: every tool use needs a result in the next message"
        );
        let e = validate_conversation(&req(vec![
            Message::user("hi"),
            uses(&["a"]),
            results(&["a", "b"]),
        ]))
        .unwrap_err();
        assert_eq!(e, ConversationError::TooManyResults { index: 2 });
        // Reachable only past the other pairing checks: a repeated id.
        let e = validate_conversation(&req(vec![
            Message::user("hi"),
            uses(&["a", "a"]),
            results(&["a", "z"]),
        ]))
        .unwrap_err();
        assert_eq!(
            e,
            ConversationError::UnknownResult {
                index: 2,
                id: "z".into()
            }
        );
        let mut no_tools = req(vec![Message::user("hi"), uses(&["a"]), results(&["a"])]);
        no_tools.tools.clear();
        assert_eq!(
            validate_conversation(&no_tools),
            Err(ConversationError::ToolBlocksWithoutTools { index: 1 })
        );
        let mut bad_tools = req(vec![Message::user("hi")]);
        bad_tools.tools[0].input_schema = json!({"type": "string"});
        assert_eq!(
            validate_conversation(&bad_tools),
            Err(ConversationError::SchemaNotObject { index: 0 })
        );
        bad_tools.tools[0].name = "no spaces".into();
        assert!(matches!(
            validate_conversation(&bad_tools),
            Err(ConversationError::InvalidToolName { index: 0, .. })
        ));
    }
}
