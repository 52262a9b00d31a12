//! A tool round as messages, by call id: the assistant's calls and the
//! user's answers, in a request offering one tool. For the tests of the
//! conversation rules, here and in the local servers that enforce them.

use agent_core::{
    ContentBlock, InferenceConfig, Message, ModelRequest, Role, ToolResult, ToolResultContent,
    ToolUse,
};
use serde_json::json;

/// `messages` in a request offering one tool, `t`, with an empty object
/// schema.
pub fn request(messages: Vec<Message>) -> ModelRequest {
    ModelRequest {
        system: None,
        messages,
        tools: vec![tool_api::ToolSpec::new(
            "t",
            "d",
            json!({"type": "object", "properties": {}}),
        )],
        inference: InferenceConfig::default(),
        ..Default::default()
    }
}

/// The assistant's message calling `t` once per id, in order.
pub fn calls(ids: &[&str]) -> Message {
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

/// The user's message answering each id with a success, in order.
pub fn answers(ids: &[&str]) -> Message {
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
